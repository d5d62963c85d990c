//! How the crate is built: its layers, and which of them hold `unsafe`
//! code.
//!
//! Each layer can be read and changed without the others. Imports go one
//! way, `dist` ← `window` ← `runtime` ← `array` ← {`random`, `linalg`,
//! `cluster`, `numpy`, `replicated` ← `io`}, and `random`, `linalg`,
//! `cluster`, `numpy` do not import each other:
//!
//! - `src/dist/` — distribution math, pure: sections and the forms a
//!   section argument takes (`IntoSection`: ranges, `..`, `s![]`), regular
//!   and irregular block maps, the process grid, `locate_region`, narrowing
//!   an ndarray view to a section. No MPI.
//! - `src/window/` — MPI windows and the only MPI FFI (`ffi.rs`), with the
//!   `unsafe` code they need: windows from `MPI_Win_allocate_shared` on the
//!   node communicator, plus an `MPI_Win_create` window on the world
//!   communicator when the job spans nodes; one `lock_all` epoch per
//!   window; direct copies for same-node blocks, RMA with derived
//!   datatypes for others, transfers cut below 1 GiB per call (so > 2 GiB
//!   works). `shim.c` exports MPI handle constants that differ between
//!   Open MPI and MPICH.
//! - `src/runtime.rs` — `gain::init`, `Runtime::from_comm`, node topology,
//!   the abort-on-panic and exit hooks, `Runtime::sync` (every array), and
//!   the agreement on a collective's arguments. `src/fault.rs` (a leaf)
//!   holds what a rank knows of its own failures: its pending error,
//!   cleared by every collective it completes, and the fault timeout.
//! - `src/array/` — `GlobalArray`: construction, one-sided movement, local
//!   views and `access`, synchronisation.
//! - `src/replicated.rs` — `Replicated`, one read-only copy of an array per
//!   node, on the window layer's `NodeCopy` (`src/window/node_copy.rs`: one
//!   shared segment per node, a leaders' communicator to spread it between
//!   nodes) and `GlobalArray`'s public API.
//! - `src/io/` — `.npy` files: `npy.rs` is one rank's side (checking and
//!   mapping a file with `ndarray-npy` and `memmap2`, moving a block's
//!   bytes with positioned I/O or through the mapping; no MPI), `mod.rs`
//!   the collective calls built on it, on `GlobalArray` and `Replicated`.
//! - `src/prefetch.rs`, `src/blas.rs` — the `unsafe` code that has nothing
//!   to do with MPI: the CPU prefetch hints `gain::prefetch`/`prefetch_l1`
//!   (the k-means kernel issues `prefetch_l1` a few lines at a time among
//!   its multiply-adds), and OpenBLAS's thread count (`blas` feature); besides them, only the
//!   byte views of element slices (`src/element.rs`) and the file mappings
//!   of `src/io/npy.rs`.
//! - `src/random.rs`, `src/linalg.rs` — built only on gain's public API
//!   (blocks, `local_mut`, `access`, `access_nb`, `get`, `sync`):
//!   counter-based random arrays and distributed GEMM/transpose.
//! - `src/cluster/` — k-means (`KMeans`, and `Lloyd`, its local kernel in
//!   `kernel.rs`), on the same public API plus the runtime's agreement on a
//!   collective's arguments.
//! - `src/numpy/` — the NumPy layer, also only on the public API (and
//!   `Access::into_parts`, which keeps an operand's view counted while the
//!   layer reshapes it, and the runtime's agreement). Its modules import
//!   one way, in this order: `geometry.rs` (regions, broadcasting,
//!   narrowing; pure), `slicing.rs` (slice arithmetic, pure), `store.rs`
//!   (the one place that reads and writes global arrays), `expr.rs` (lazy
//!   ufunc trees), `engine.rs` (owner-computes pieces and tiles), `view.rs`
//!   (views, assignment, `Zip`), then `ops.rs` (operators) and `reduce.rs`
//!   (reductions, scans, `eval`, and the reduction methods of arrays and
//!   views).
//! - `src/guide/` — this guide: documentation only.
//!
//! How accumulates stay atomic on one node and across nodes is in
//! [`super::arrays`].
