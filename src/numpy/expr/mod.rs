//! Lazy elementwise expressions: the operands (global arrays, views,
//! ndarray arrays, scalars) and the ufuncs that combine them.
//!
//! Building an [`Expr`] computes nothing and cannot fail; a shape error is
//! kept and reported by whatever evaluates the expression, on every rank,
//! before anything is written. Evaluation is owner-computes (see
//! `engine.rs`): each rank binds the expression to a chunk of the output
//! it owns (operands borrowed from shared memory, or fetched in one `get`
//! each) and evaluates it tile by tile, so temporaries stay in cache.
//!
//! The tree inside is dynamic (shapes are `Vec`s, tiles `IxDyn`); an
//! `Expr` carries its dimension type only as a marker, so that evaluation
//! and axis reductions can return arrays of the right static type.
//!
//! The files:
//! - `mod.rs` — [`Expr`], the node traits it is a tree of, and the
//!   operands ([`IntoExpr`]);
//! - `nodes.rs` — the nodes: global-array leaves, ndarray arrays, scalars,
//!   index grids, maps of one and two children, `where`;
//! - `map.rs` — shape and dimension types of an expression, user ufuncs
//!   (`mapv`, `zip_with`), `cast`, `maximum` and `minimum`;
//! - `ufuncs.rs` — the built-in ufuncs: comparisons, masks, float and
//!   signed ufuncs, [`where_`] and [`index_along`].

mod map;
mod nodes;
mod ufuncs;

pub(crate) use nodes::child_cuts;
pub use ufuncs::{index_along, where_};

use std::marker::PhantomData;
use std::sync::Arc;

use ndarray::{Array, ArrayBase, ArrayView, CowArray, Data, Dimension, Ix0, IxDyn};

use super::geometry::Rect;
use super::slicing::Selection;
use super::store::{Shared, Store};
use crate::{Element, Error, Result};
use nodes::{Leaf, Local, Scalar};

/// One node of an expression tree.
pub(crate) trait Node<T: Element>: Send + Sync {
    fn shape(&self) -> &[usize];
    /// Positions on `axis` (this node's coordinates) where a chunk must be
    /// cut so that each operand lies in one block.
    fn cuts(&self, axis: usize, out: &mut Vec<usize>);
    /// Visits the global arrays read, with whether each is read whole and
    /// in order at this node's shape (aligned with the result).
    fn arrays<'s>(&'s self, f: &mut dyn FnMut(&'s dyn Shared, bool));
    /// Whether evaluating makes temporaries (then it runs in tiles).
    fn temporaries(&self) -> bool {
        true
    }
    /// Fetches or borrows what the region `rect` needs.
    fn bind<'s>(&'s self, rect: &Rect) -> Result<Box<dyn Bound<T> + 's>>;
}

/// An expression bound to a region: evaluates tiles of it (coordinates
/// relative to the region).
pub(crate) trait Bound<T>: Sync {
    fn eval(&self, tile: &Rect) -> CowArray<'_, T, IxDyn>;
}

/// The tree of an expression, or the error building it met.
type Tree<'a, T> = Result<Arc<dyn Node<T> + 'a>>;

/// A lazy elementwise expression of element type `T` and dimension type
/// `D`.
///
/// Made by the operators (`&a + &b`, `&v * 2.0`, `-e`), the ufunc
/// functions of [`numpy`](crate::numpy) and the methods below. Evaluate it
/// with [`eval`](Expr::eval), [`GlobalArray::assign`](crate::GlobalArray::assign) or
/// [`ViewMut::assign`](super::ViewMut::assign), or reduce it
/// ([`sum`](Expr::sum) and friends). Cloning is cheap.
///
/// `D` follows ndarray's broadcasting: combining operands of dimension
/// types `D` and `E` gives `<D as DimMax<E>>::Output` (`Ix2` with `Ix1`
/// is `Ix2`, anything with `IxDyn` is `IxDyn`) and a scalar keeps the
/// other operand's type, so [`eval`](Expr::eval) and the `*_axis`
/// reductions know their result types without a turbofish. `Expr<'a, T>`
/// is the dynamic form, `Expr<'a, T, IxDyn>`; [`into_dyn`](Expr::into_dyn)
/// and [`into_dimensionality`](Expr::into_dimensionality) convert.
///
/// # Examples
///
/// ```
/// use gain::{GlobalArray, numpy};
/// # let rt = gain::init()?;
/// let a = numpy::arange(&rt, 0.0, 6.0, 1.0)?;
/// let e = (&a * 2.0 + 1.0).sqrt();
/// let b: GlobalArray<f64, ndarray::Ix1> = e.eval()?;
/// assert_eq!(b.at(&[4])?, 3.0);
/// # Ok::<(), gain::Error>(())
/// ```
pub struct Expr<'a, T: Element, D: Dimension = IxDyn> {
    pub(crate) node: Tree<'a, T>,
    /// The runtime of the arrays an expression that failed to build reads,
    /// so that a collective on it still agrees with the other ranks (an
    /// ndarray operand of another shape on one rank fails there only).
    ranks: Option<crate::Runtime>,
    _d: PhantomData<D>,
}

/// The runtime of the first global array `node` reads, if any.
fn runtime_of<T: Element>(node: &dyn Node<T>) -> Option<crate::Runtime> {
    let mut rt = None;
    node.arrays(&mut |a, _| {
        rt.get_or_insert_with(|| a.rt().clone());
    });
    rt
}

impl<T: Element, D: Dimension> std::fmt::Debug for Expr<'_, T, D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Expr")
            .field("elem", &std::any::type_name::<T>())
            .field("shape", &self.shape())
            .finish()
    }
}

impl<T: Element, D: Dimension> Clone for Expr<'_, T, D> {
    fn clone(&self) -> Self {
        Expr::from_tree(self.node.clone()).with_ranks(self.ranks.clone())
    }
}

/// Anything usable as an operand: `&GlobalArray`, [`View`](super::View)
/// (or `&View`), [`Expr`], ndarray arrays (`Array`, `&Array`,
/// `ArrayView`: the same data on every rank) and scalars.
///
/// [`Dim`](IntoExpr::Dim) is the operand's dimension type: the array's or
/// view's own, `Ix0` for a scalar.
///
/// # Examples
///
/// ```
/// use gain::numpy::{Expr, IntoExpr};
/// use ndarray::Ix2;
/// # let rt = gain::init()?;
/// let a = gain::numpy::ones::<f64, _>(&rt, [2, 3])?;
/// let row = ndarray::array![1.0, 2.0, 3.0];
/// let e: Expr<f64, Ix2> = (&a).into_expr();
/// assert_eq!((e + &row).sum()?, 18.0);
/// # Ok::<(), gain::Error>(())
/// ```
pub trait IntoExpr<'a, T: Element> {
    /// The operand's dimension type.
    type Dim: Dimension;

    /// The operand as an expression.
    ///
    /// # Local
    ///
    /// Wraps the operand only: nothing is read or sent.
    ///
    /// # Examples
    ///
    /// ```
    /// use gain::numpy::IntoExpr;
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::ones::<i32, _>(&rt, 4)?;
    /// assert_eq!((&a).into_expr().shape()?, vec![4]);
    /// assert_eq!(IntoExpr::<i32>::into_expr(7).shape()?, Vec::<usize>::new());
    /// # Ok::<(), gain::Error>(())
    /// ```
    fn into_expr(self) -> Expr<'a, T, Self::Dim>;
}

impl<'a, T: Element, D: Dimension> IntoExpr<'a, T> for Expr<'a, T, D> {
    type Dim = D;
    fn into_expr(self) -> Expr<'a, T, D> {
        self
    }
}

impl<'a, T: Element, D: Dimension> IntoExpr<'a, T> for &Expr<'a, T, D> {
    type Dim = D;
    fn into_expr(self) -> Expr<'a, T, D> {
        self.clone()
    }
}

impl<'a, T: Element> IntoExpr<'a, T> for T {
    type Dim = Ix0;
    fn into_expr(self) -> Expr<'a, T, Ix0> {
        Expr::node(Scalar(self))
    }
}

impl<'a, T: Element, S: Data<Elem = T>, D: Dimension> IntoExpr<'a, T> for &'a ArrayBase<S, D> {
    type Dim = D;
    fn into_expr(self) -> Expr<'a, T, D> {
        Expr::node(Local(CowArray::from(self.view().into_dyn())))
    }
}

impl<'a, T: Element, D: Dimension> IntoExpr<'a, T> for ArrayView<'a, T, D> {
    type Dim = D;
    fn into_expr(self) -> Expr<'a, T, D> {
        Expr::node(Local(CowArray::from(self.into_dyn())))
    }
}

impl<'a, T: Element, D: Dimension> IntoExpr<'a, T> for Array<T, D> {
    type Dim = D;
    fn into_expr(self) -> Expr<'a, T, D> {
        Expr::node(Local(CowArray::from(self.into_dyn())))
    }
}

/// # Construction (inside the crate)
impl<'a, T: Element, D: Dimension> Expr<'a, T, D> {
    fn from_tree(node: Tree<'a, T>) -> Self {
        Expr {
            node,
            ranks: None,
            _d: PhantomData,
        }
    }

    /// The same expression, remembering `ranks` if it knows none.
    fn with_ranks(mut self, ranks: Option<crate::Runtime>) -> Self {
        if self.ranks.is_none() {
            self.ranks = ranks;
        }
        self
    }

    fn node(n: impl Node<T> + 'a) -> Self {
        Expr::from_tree(Ok(Arc::new(n)))
    }

    fn error(e: Error) -> Self {
        Expr::from_tree(Err(e))
    }

    /// The elements of `store` that `sel` selects (a view's expression).
    pub(crate) fn leaf(store: &'a dyn Store<T>, sel: Selection) -> Self {
        let shape = sel.shape();
        Expr::node(Leaf { store, sel, shape })
    }
}
