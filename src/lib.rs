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
//! These docs cover the API; the [`guide`] covers the rest: the NumPy
//! layer, files, what happens when a rank fails, threads, jobs across
//! hosts, the environment variables, the layers and the tests.
//!
//! The crate is layered; each layer can be read and changed alone:
//! - [`Distribution`], [`Section`], [`process_grid`]: pure index math;
//! - the window layer (private): MPI windows, the only MPI FFI;
//! - [`GlobalArray`]: the user-facing array;
//! - [`Replicated`]: one read-only copy of a whole array per node (Global
//!   Arrays' mirrored arrays), read by every rank of the node as a plain
//!   zero-copy view, on `GlobalArray`'s public API and the window layer;
//! - [`io`]: NumPy's `.npy` files, saved and loaded in parallel (every
//!   rank moves its own block's bytes), for global and replicated arrays,
//!   and file-backed arrays (below);
//! - [`numpy`]: NumPy-style views, ufuncs, broadcasting, reductions and
//!   creation on top of `GlobalArray`'s public API;
//! - [`cluster`], [`linalg`], [`random`]: k-means, distributed GEMM and
//!   transpose, counter-based random arrays, on `GlobalArray`'s public API;
//! - [`Runtime`] / [`init`]: start-up, the node topology and the thread
//!   pool, and broadcast and all-reduce of values and slices
//!   ([`Runtime::all_reduce`], [`ReduceOp`]); the fault handling of [`guide::faults`] is a private module of
//!   its own;
//! - [`Mutexes`]: Global Arrays' mutexes, fair (FIFO) queue locks over
//!   MPI atomics, on the runtime and the window layer;
//! - [`prefetch`], [`prefetch_l1`]: CPU cache hints for local kernels;
//! - [`threads`]: how many threads of rayon's pool a rank's local kernels
//!   run on (pure; the runtime sizes the pool).
//!
//! Inside a rank, the local kernels run on rayon's pool, cut by the data
//! and combined in order, so their results have the same bits on any
//! number of threads. [`GlobalArray`] and [`Runtime`] are `Sync` (MPI runs
//! at `MPI_THREAD_MULTIPLE`): the threads of a rank may make one-sided
//! calls on the same arrays at once; [`guide::threads`] tells how to
//! launch one rank per node with all its cores.
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
//! # Local views and what they see
//!
//! [`GlobalArray::local`], [`local_of`](GlobalArray::local_of) and the
//! borrowed form of [`access`](GlobalArray::access) /
//! [`access_nb`](GlobalArray::access_nb) hand out zero-copy views of
//! blocks in this node's shared memory: guards ([`LocalView`],
//! [`Access`]) that dereference to an [`ndarray::ArrayRef`], that is, to
//! shared references. Two kinds of writer could change that memory while
//! a view lives, and they are treated differently.
//!
//! **This process: refused.** While this process holds a view of a block,
//! its own [`put`](GlobalArray::put), [`acc`](GlobalArray::acc) and
//! [`read_inc`](GlobalArray::read_inc) into that block return
//! [`ErrorKind::Borrowed`] (naming the block's rank) before anything is
//! written, not even the call's pieces of other blocks; after the view is
//! dropped the same call goes through. This is `RefCell`'s run-time check
//! with one atomic counter per same-node block: a view increments it, its
//! drop decrements it, and a write claims each block it touches with one
//! atomic add that fails while a view lives (and makes new views wait for
//! the copy), so the check holds across the threads of a rank too. The
//! granularity is the block: a view of one block leaves the others
//! writable. Every other write of this process is excluded at compile
//! time, because it takes the array `&mut`: [`local_mut`](GlobalArray::local_mut),
//! [`fill`](GlobalArray::fill), [`copy_from`](GlobalArray::copy_from), the
//! NumPy layer's assignments, the random fills. The NumPy layer's own
//! operands count as views while an operation runs, so a `put` from a
//! [`numpy::Zip`] closure into a block the closure is reading is refused
//! too. So within its own process a view is what Rust requires a shared
//! reference to be: nothing this program does changes the memory behind
//! it. (Forgetting a guard with `mem::forget` keeps its block refusing
//! writes for good, which is safe.)
//!
//! **Other processes: the Global Arrays contract.** Other ranks on the
//! node write the same memory at any time between two synchronisations:
//! their puts and accumulates, and their `local_mut` writes into their own
//! blocks (which this process may be viewing through `local_of` or
//! `access`). No counter can see them, and Global Arrays' one-sided model
//! does not want one. What a view then observes, element by element:
//! - an element no rank writes between the last [`sync`](GlobalArray::sync)
//!   and the read holds the value it had at that sync;
//! - an element another rank writes in that interval reads as the old
//!   value, the new one, or (for writes wider than the hardware's atomic
//!   stores, or an accumulate's intermediate state) a mixture, and two reads
//!   of one element may disagree, or the compiler may merge them into one;
//!   nothing orders one element's update against another's;
//! - after a `sync` (collective: every rank calls it, and it returns once
//!   every rank's earlier puts, accumulates and local writes are complete
//!   and visible), every write any rank made before the sync is seen, also
//!   through a view created before the sync and held across it.
//!
//! The same holds for a file-backed array (below), whose blocks are a
//! shared mapping of its file: the node's ranks share the file's pages as
//! they share MPI shared memory.
//!
//! Rust's memory model does not describe memory written by another
//! process: the blocks are MPI shared memory (`MPI_Win_allocate_shared`),
//! read with plain loads, and MPI's memory model (the unified model, with
//! `MPI_Win_sync` and the barrier inside `sync` as the synchronisation)
//! defines when other processes' stores become visible; it leaves the
//! values of a read racing with a store unspecified. A race with another
//! process therefore affects only the values read, never this process's
//! own memory safety, which the borrow counts guarantee. Programs that want
//! a defined value read after the `sync` that follows the last write, or
//! take a copy with [`get`](GlobalArray::get).
//!
//! In the terms of Lamellar's array kinds: a block is like an
//! `UnsafeArray` towards other processes (no ordering between
//! synchronisations), while this process's own access is checked as a
//! `ReadOnlyArray`'s local slices are (no write while a view lives), at
//! the cost of one `Cell` read per block written instead of a type-level
//! mode. For `ReadOnlyArray`'s guarantee across ranks, write in one phase,
//! `sync`, and read views in the next.
//!
//! ```
//! use gain::{ErrorKind, GlobalArray};
//! # let rt = gain::init()?;
//! let ga = GlobalArray::<f64, _>::zeros(&rt, 4 * rt.size())?;
//! let mine = ga.distribution(rt.rank()).unwrap();
//! let view = ga.local(); // this process now views its block
//! let err = ga.acc(&mine, &vec![1.0; mine.len()], 1.0).unwrap_err();
//! assert_eq!(err.kind(), ErrorKind::Borrowed); // refused: nothing written
//! assert_eq!(view.sum(), 0.0);
//! drop(view);
//! ga.acc(&mine, &vec![1.0; mine.len()], 1.0)?; // no view left: accepted
//! ga.sync()?; // every rank's writes visible
//! assert_eq!(ga.local().sum(), mine.len() as f64);
//! # Ok::<(), gain::Error>(())
//! ```
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
//!
//! # File-backed arrays
//!
//! [`GlobalArray::map_npy`] uses a `.npy` file in place: its blocks are
//! the file's bytes, mapped into every rank (`MAP_SHARED`) instead of MPI
//! shared memory, so an array larger than memory, or one that must
//! persist, needs no copy. Read-only ([`MapMode::ReadOnly`]: every write
//! is refused with [`ErrorKind::ReadOnly`] before memory is touched) or
//! read-write ([`MapMode::ReadWrite`]: writes go to the file, and
//! [`GlobalArray::flush`] makes them durable); [`io::create_npy`] makes a
//! new zero file to map. Get, put, accumulate, views and the NumPy layer
//! work unchanged. Blocks are bands of rows, each one run of the file;
//! ranks of one node share the file's page cache, and ranks on other
//! nodes reach a block through an MPI window over its owner's mapping.
//! Without a shared filesystem each node maps its own copy of the file:
//! fine for reading, but a read-write array's writes then land in the copy
//! on each block's owner's node ([`GlobalArray::map_npy`] says more).
//!
//! ```
//! use gain::{GlobalArray, MapMode};
//! # let rt = gain::init()?;
//! let path = std::env::temp_dir().join(format!("gain-doc-crate-{}.npy", std::process::id()));
//! let ga = gain::io::create_npy::<f64, _>(&rt, &path, [8, 3])?;
//! ga.acc(.., &ndarray::Array2::ones((8, 3)), 1.0)?;
//! ga.flush()?; // in the file now, on disk
//! drop(ga);
//! let ro = GlobalArray::<f64, ndarray::Ix2>::map_npy(&rt, &path, MapMode::ReadOnly)?;
//! assert_eq!(ro.get(..)?.sum(), 24.0 * rt.size() as f64);
//! # drop(ro);
//! # std::fs::remove_file(&path).unwrap();
//! # Ok::<(), gain::Error>(())
//! ```
//!
//! # When a rank fails
//!
//! A job ends — it never hangs — whatever one rank does, with a non-zero
//! exit code and a message `rank R: Operation: Kind: ...` naming the rank
//! and the cause; [`guide::faults`] goes through the cases.
#![deny(missing_docs)]
// `unsafe` only where it is allowed explicitly: the window layer (MPI)
// and `sys` (the other OS and CPU calls), each block with its reasoning.
#![deny(unsafe_code)]
// A `pub` item the crate root does not reach is `pub(crate)`, so its
// visibility says what it is.
#![warn(unreachable_pub)]
#![warn(clippy::undocumented_unsafe_blocks)]

mod array;
mod dist;
mod element;
mod error;
mod fault;
mod mutex;
mod prefetch;
mod replicated;
mod runtime;
mod sys;
mod window;

pub mod cluster;
pub mod guide;
pub mod io;
pub mod linalg;
pub mod numpy;
pub mod random;

pub(crate) use array::ViewBorrow;
pub use array::{
    Access, GlobalArray, LocalView, MapMode, NbAcc, NbAccess, NbGet, NbGhosts, NbPut, NbScope,
};
pub use dist::{
    Distribution, IntoSection, IntoStridedSection, MAX_DIMS, PeriodicRanges, Section,
    StridedSection, process_grid,
};
pub use element::Element;
pub use error::{Error, ErrorKind, Result};
pub use mutex::{MutexGuard, Mutexes};
pub use prefetch::{prefetch, prefetch_l1};
pub use replicated::Replicated;
pub use runtime::threads::threads;
pub use runtime::{ReduceOp, Runtime, init};
// The threads' parallel loops, for the local kernels of every layer.
pub(crate) use runtime::threads;

/// The README's Rust code blocks, compiled and run as doc tests so that
/// the first program and the other examples there stay true to the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
