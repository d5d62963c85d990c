//! # gain — Global Arrays in ndarray
//!
//! Distributed N-d arrays in the style of Global Arrays, for SPMD Rust
//! programs launched with `mpirun`. A [`GlobalArray`] is cut into blocks,
//! one per rank; any rank can get, put and atomically accumulate any
//! rectangular section one-sidedly and view its own block as a zero-copy
//! ndarray view. Ranks on one node share their blocks through MPI-3
//! shared-memory windows, so same-node access is a memory copy or no copy
//! at all; ranks on other nodes are reached with MPI RMA.
//!
//! The crate is layered; each layer can be read and changed alone:
//! - [`Distribution`], [`Section`], [`process_grid`]: pure index math;
//! - the window layer (private): MPI windows, the only MPI FFI;
//! - [`GlobalArray`]: the user-facing array;
//! - [`numpy`]: NumPy-style views, ufuncs, broadcasting, reductions and
//!   creation on top of `GlobalArray`'s public API;
//! - [`cluster`], [`linalg`], [`random`]: k-means, distributed GEMM and
//!   transpose, counter-based random arrays, on `GlobalArray`'s public API;
//! - [`Runtime`] / [`init`]: start-up and abort-on-panic;
//! - [`prefetch`], [`prefetch_l1`]: CPU cache hints for local kernels.
//!
//! Every call says in its docs what it means for the ranks:
//! - **Collective**: every rank of the runtime must call it, in the same
//!   order relative to its other collective calls, with the arguments
//!   the docs say must agree; it returns when the ranks have done their
//!   part (creation returns with every block allocated, `sync` with every
//!   earlier write visible to all).
//! - **One-sided**: only the calling rank takes part; the docs say what
//!   it waits for (a `get` for its data, a `put` until its source may be
//!   reused; other ranks see the data after the next `sync`).
//! - **Local**: no communication at all: queries of an array's layout,
//!   views of this node's memory, [`Distribution`], [`Section`],
//!   [`Error`], [`process_grid`], [`prefetch`].
//!
//! Sections are written as ranges or with ndarray's `s![]` macro, `..`
//! for the whole array ([`IntoSection`]); data goes in as `&array` or any
//! view.
//!
//! # Examples
//!
//! ```
//! use gain::GlobalArray;
//! use ndarray::{Array2, s};
//! # let rt = gain::init()?;
//! let ga = GlobalArray::<f64, _>::zeros(&rt, [8, 8])?;
//! ga.acc(.., &Array2::ones((8, 8)), 1.0)?;
//! ga.sync()?;
//! assert_eq!(ga.get(..)?.sum(), 64.0 * rt.size() as f64);
//! assert_eq!(ga.get(s![2.., ..4])?.shape(), &[6, 4]);
//! # Ok::<(), gain::Error>(())
//! ```
#![deny(missing_docs)]

mod array;
#[cfg(feature = "blas")]
mod blas;
mod dist;
mod element;
mod error;
mod prefetch;
mod runtime;
mod window;

pub mod cluster;
pub mod linalg;
pub mod numpy;
pub mod random;

pub(crate) use array::ViewBorrow;
pub use array::{Access, GlobalArray, LocalView, NbAccess, NbGet};
pub use dist::{Distribution, IntoSection, MAX_DIMS, Section, process_grid};
pub use element::Element;
pub use error::{Error, ErrorKind, Result};
pub use prefetch::{prefetch, prefetch_l1};
pub use runtime::{Runtime, init};

/// The README's Rust code blocks, compiled and run as doc tests so that
/// the first program and the other examples there stay true to the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
