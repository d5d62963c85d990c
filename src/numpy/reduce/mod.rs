//! Reductions (whole array and along an axis) and scans of expressions.
//!
//! Each rank folds the elements of its block of the expression's domain
//! (the block map of an aligned operand, else a regular one). Whole-array
//! results: one `MPI_Allgather` of the per-rank partials, combined in rank
//! order, so every rank gets the same bits. Along an axis: the partials go
//! to a small global array and the owner of each block of the (distributed)
//! result combines them.
//!
//! The files, each using only those before it:
//! 1. `domain.rs` — [`Domain`](domain::Domain), an expression with the
//!    block map its evaluation is split by: tiles of a rank's block,
//!    folds over them, folds and scans along an axis;
//! 2. `whole.rs` — reductions over the whole expression, and the index of
//!    its extremes;
//! 3. `axis.rs` — reductions and scans along an axis;
//! 4. `stats.rs` — statistics and norms of floating-point expressions,
//!    whole and along an axis;
//! 5. `eval.rs` — evaluation into a new global array;
//! 6. `dot.rs` — the dot product of vectors;
//! 7. `methods.rs` — the reductions as methods of arrays and views.
//!
//! This file holds the small helpers the others share.

// In the order above; the blank lines keep rustfmt from sorting them.
mod domain;

mod whole;

mod axis;

mod stats;

mod eval;

mod dot;

mod methods;

pub use dot::dot;

use mpi::traits::{CommunicatorCollectives, Equivalence};
use ndarray::{IxDyn, SliceInfoElem};

use super::expr::{Expr, IntoExpr};
use crate::{Element, GlobalArray, Result, Runtime};

fn all_gather<A: Equivalence + Copy + Default>(rt: &Runtime, x: A) -> Vec<A> {
    let mut all = vec![A::default(); rt.size()];
    rt.comm().all_gather_into(&x, &mut all[..]);
    all
}

/// Like `a.insert_axis(axis)` for a view of a global array of the other
/// axes: broadcasts it back along `axis`.
fn along<'r, T: Element>(r: &'r GlobalArray<T, IxDyn>, axis: usize) -> Result<Expr<'r, T>> {
    let mut info: Vec<SliceInfoElem> = vec![SliceInfoElem::from(..); r.shape().len()];
    info.insert(axis, SliceInfoElem::NewAxis);
    Ok(r.slice(&info[..])?.into_expr())
}

fn nan_min<T: Element>(a: T, x: T) -> T {
    #[allow(clippy::eq_op)]
    if x < a || x != x { x } else { a }
}

fn nan_max<T: Element>(a: T, x: T) -> T {
    #[allow(clippy::eq_op)]
    if x > a || x != x { x } else { a }
}
