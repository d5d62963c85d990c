//! How the crate is built: its layers, and which of them hold `unsafe`
//! code.
//!
//! Each layer can be read and changed without the others. Imports go one
//! way, `error` ← `fault` ← `dist` ← `window` ← `runtime` ← `array` ←
//! {`random`, `linalg`, `cluster`, `numpy`, `replicated` ← `io`}, and
//! `random`, `linalg`, `cluster`, `numpy` do not import each other.
//! `unsafe` code is denied at the crate root (`#![deny(unsafe_code)]`)
//! and allowed explicitly in two places only: the window layer and
//! `sys.rs`; every block there carries a `// SAFETY:` comment
//! (`clippy::undocumented_unsafe_blocks`).
//!
//! - `src/error.rs` — [`Error`](crate::Error) and
//!   [`ErrorKind`](crate::ErrorKind); a leaf, it imports nothing of the
//!   crate. Making an error has no side effect.
//! - `src/fault/` — the fault handling, in one place: the rank's pending
//!   error and the fault timeout, and `during`, the one way a public call
//!   tags its error with its name and records it as it leaves (`mod.rs`,
//!   plain std, so every layer uses it); the exit points and the
//!   agreement on the outcome of a step every rank took (`exit.rs`); the
//!   agreement on a collective call's arguments (`agree.rs`); the panic
//!   and exit hooks (`hooks.rs`). Its MPI calls go through the window
//!   layer's FFI wrappers.
//! - `src/dist/` — distribution math, pure: sections and the forms a
//!   section argument takes (`IntoSection`: ranges, `..`, `s![]`), regular
//!   and irregular block maps, the process grid, `locate_region`, narrowing
//!   an ndarray view to a section, ghost cells' padded blocks and which
//!   neighbour fills which halo box (`ghosts.rs`). No MPI.
//! - `src/window/` — MPI windows and the only MPI FFI (`ffi/`), with the
//!   `unsafe` code they need: windows from `MPI_Win_allocate_shared` on the
//!   node communicator, plus an `MPI_Win_create` window on the world
//!   communicator when the job spans nodes; one `lock_all` epoch per
//!   window; direct copies for same-node blocks, RMA with derived
//!   datatypes for others, transfers cut below 1 GiB per call (so > 2 GiB
//!   works). Allocation and free in `alloc.rs`, data movement in `rma.rs`,
//!   same-node copies in `copy.rs`, what is in flight in `pending.rs`
//!   (per-target ordering, non-blocking gets) and `nb.rs` (non-blocking
//!   puts and accumulates, request-based, and the scope that outlives
//!   their sources), ghost fills into a rank's own padded block and the
//!   ghost update's message exchange in `halo.rs`, stepped sections in `strided.rs`, element lists in
//!   `elements.rs`, the mutexes' words and their MPI atomics in
//!   `atomics.rs`.
//!   `shim.c` exports MPI handle constants that differ between Open MPI
//!   and MPICH.
//! - `src/sys.rs` — the other OS and CPU calls behind safe functions:
//!   prefetch hints, OpenBLAS's thread count (`blas` feature), the
//!   affinity mask, file mappings and file space, byte views of element
//!   slices.
//! - `src/runtime/` — `gain::init`, `Runtime::from_comm`, node topology,
//!   `Runtime::sync` (every array) in `mod.rs`; the `GAIN_*` variables in
//!   `env.rs`; the thread pool's size and its order-keeping loops in
//!   `threads.rs`; broadcast and all-reduce of values and slices
//!   (`ReduceOp`) in `collectives.rs`.
//! - `src/mutex.rs` — `Mutexes`, Global Arrays' mutexes: MCS queue locks
//!   on the window layer's `AtomicWords` and the runtime.
//! - `src/array/` — `GlobalArray`: construction (`construct.rs`),
//!   one-sided movement (`rma.rs`), stepped and periodic sections
//!   (`strided.rs`, `periodic.rs`), non-blocking puts and accumulates
//!   (`nonblocking.rs`), local views and `access` (`local/`), ghost cells
//!   (`ghosts/`: blocks stored padded, the interior what every other call
//!   addresses; the updates), file-backed arrays (`mapped.rs`),
//!   synchronisation.
//! - `src/replicated.rs` — `Replicated`, one read-only copy of an array per
//!   node, on the window layer's `NodeCopy` (`src/window/node_copy.rs`: one
//!   shared segment per node, a leaders' communicator to spread it between
//!   nodes) and `GlobalArray`'s public API.
//! - `src/io/` — `.npy` files: `npy.rs` is one rank's side (checking and
//!   mapping a file with `ndarray-npy`, moving a block's bytes with
//!   positioned I/O or through the mapping; no MPI), `mod.rs` the
//!   collective calls built on it, on `GlobalArray` and `Replicated`.
//! - `src/prefetch.rs` — the CPU prefetch hints `gain::prefetch` and
//!   `prefetch_l1` (the k-means kernel issues `prefetch_l1` a few lines at
//!   a time among its multiply-adds).
//! - `src/random/`, `src/linalg.rs` — built only on gain's public API
//!   (blocks, `local_mut`, `access`, `access_nb`, `get`, `sync`):
//!   counter-based random arrays (and the crate's one SplitMix64, for
//!   seeded draws that must agree on every rank) and distributed
//!   GEMM/transpose.
//! - `src/cluster/` — k-means: the configuration (`mod.rs`, `kmeans.rs`),
//!   the fit (`fit.rs`), `Lloyd` and its kernel (`lloyd.rs`, `kernel.rs`),
//!   on the same public API plus the runtime's agreement on a collective's
//!   arguments.
//! - `src/numpy/` — the NumPy layer, also only on the public API (and
//!   `Access::into_parts`, which keeps an operand's view counted while the
//!   layer reshapes it, and the runtime's agreement). Its modules import
//!   one way, in this order: `geometry.rs` (regions, broadcasting,
//!   narrowing; pure), `slicing.rs` (slice arithmetic, pure), `store.rs`
//!   (the one place that reads and writes global arrays), `expr/` (lazy
//!   ufunc trees), `engine.rs` (owner-computes pieces and tiles), `view/`
//!   (views, assignment, `Zip`), then `ops.rs` (operators) and `reduce/`
//!   (the domain engine, whole-array, axis and statistics reductions,
//!   scans, `eval`, `dot`, and the reduction methods of arrays and views).
//! - `src/guide/` — this guide: documentation only.
//!
//! How accumulates stay atomic on one node and across nodes is in
//! [`super::arrays`].
