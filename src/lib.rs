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
//! Every method that communicates says in its docs whether it is
//! **Collective** (every rank must call it, in the same order) or
//! **One-sided** (the calling rank alone). [`Distribution`], [`Section`],
//! [`Error`] and [`process_grid`] are plain local computations.
//!
//! ```
//! use gain::GlobalArray;
//! let rt = gain::init().unwrap();
//! let ga = GlobalArray::<f64, _>::zeros(&rt, [8, 8]).unwrap();
//! ga.acc([0..8, 0..8], ndarray::Array2::ones((8, 8)).view(), 1.0).unwrap();
//! ga.sync().unwrap();
//! assert_eq!(ga.get([0..8, 0..8]).unwrap().sum(), 64.0 * rt.size() as f64);
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

pub use array::{GlobalArray, NbAccess, NbGet};
pub use dist::{Distribution, IntoSection, MAX_DIMS, Section, process_grid};
pub use element::Element;
pub use error::{Error, ErrorKind, Result};
pub use prefetch::{prefetch, prefetch_l1};
pub use runtime::{Runtime, init};
