//! The environment variables gain reads, how to run Open MPI and MPICH,
//! and known MPI limitations.
//!
//! # Variables
//!
//! - `GAIN_RANKS_PER_NODE=k` — treat every `k` consecutive ranks of a node
//!   as a node of their own, so the remote (RMA) path runs on one machine.
//! - `GAIN_MAX_TRANSFER_BYTES=n` — cap one MPI call at `n` bytes (default
//!   1 GiB); the tests set it tiny to exercise transfer splitting.
//! - `GAIN_THREADS=n` — threads per rank for the local kernels (rayon's
//!   global pool; see [`super::threads`]); `RAYON_NUM_THREADS` is read
//!   when it is unset.
//! - `GAIN_THREAD_LEVEL=multiple|funneled` — the MPI thread level
//!   [`gain::init`](crate::init) asks for (default `multiple`). Open MPI
//!   4.1's `osc/pt2pt` refuses `MPI_THREAD_MULTIPLE` ("The OSC pt2pt
//!   component does not support MPI_THREAD_MULTIPLE"), so the default is
//!   `funneled` in an Open MPI job whose ranks span hosts
//!   (`OMPI_COMM_WORLD_LOCAL_SIZE` below `OMPI_COMM_WORLD_SIZE`) with
//!   `osc/ucx` left out (`OMPI_MCA_osc`, which `--mca osc` sets: `^ucx`,
//!   `sm,pt2pt`); then only the main thread makes remote calls (k-means
//!   labels with one thread), other threads' remote calls are
//!   `ThreadLevel` errors, and there is no progress thread. Anything else
//!   is an `InvalidArgument` error from `gain::init`.
//! - `GAIN_PROGRESS=auto|on|off` — the progress thread
//!   ([`super::hosts`]): `auto` (the default) runs one in every rank when
//!   the job spans nodes (also the simulated nodes of
//!   `GAIN_RANKS_PER_NODE`) and MPI provides `MPI_THREAD_MULTIPLE`; `on`
//!   runs one in any job (a `ThreadLevel` error from `gain::init` below
//!   `MPI_THREAD_MULTIPLE`); `off` never, and then a one-sided call into a
//!   rank that computes waits for its next MPI call.
//! - `GAIN_PROGRESS_US=n` — the progress thread's interval in
//!   microseconds (default 100): a call into a computing rank waits about
//!   half of it per round trip its MPI needs (an `acc` under `osc/ucx`
//!   over TCP takes five), at the cost of one wake-up per interval; 0
//!   polls without sleeping, which pays only with a core to spare.
//!   Anything else is an `InvalidArgument` error from `gain::init`.
//! - `GAIN_RANKS_PER_NODE`, `GAIN_THREADS` or `GAIN_MAX_TRANSFER_BYTES` set
//!   to anything but a positive integer is an error of kind
//!   `InvalidArgument`: from `gain::init` for the first two, from every
//!   array creation for the last (on every rank, before anything is
//!   allocated). Empty means unset.
//! - `GAIN_FAULT_TIMEOUT=s` — how long a rank leaving after an error the
//!   others did not see waits for them before aborting the job (seconds,
//!   default 10; see [`super::faults`]; anything but a positive number is
//!   an `InvalidArgument` error from `gain::init`).
//! - `GAIN_NPY_IO=mapped|positioned` — how [`crate::io`] moves a block's
//!   bytes: copies through a `memmap2` mapping of the block's part of the
//!   file (the default; the blocks are allocated with `posix_fallocate`
//!   first, so a full disk is an error, not a bus error), or
//!   `pread`/`pwrite` straight between the file and the array
//!   (BENCHMARKS.md, "io", compares them); anything else is an
//!   `InvalidArgument` error.
//! - `GAIN_TRACE_FINALIZE=1` — each rank prints `gain: rank R of N calls
//!   MPI_Finalize` to stderr once every rank has reached the end of the
//!   program and gain finalises MPI: when a job hangs at its end, the
//!   lines tell a hang inside the MPI library (MPICH 4.0.2 in
//!   [`super::hosts`]) from one in the program.
//! - `GAIN_INJECT_ALLOC_FAILURE=r` — a testing knob: rank `r` fails every
//!   array allocation as if MPI had run out of shared memory.
//!
//! # Open MPI and MPICH
//!
//! Open MPI as root needs `OMPI_ALLOW_RUN_AS_ROOT=1
//! OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1`; more ranks than cores need
//! `--oversubscribe`. MPICH is selected at build time with
//! `MPICC=mpicc.mpich` and launched with `mpiexec.mpich`.
//!
//! # Known MPI limitations
//!
//! Open MPI 4.1's AVX reduction component adds overflowing sums of 8- and
//! 16-bit integers wrongly (open-mpi/ompi#8045, closed "wontfix"), which
//! reaches `acc` in jobs spanning nodes (they accumulate with
//! `MPI_Accumulate`) and disturbs neighbouring elements; 32- and 64-bit
//! integers, sums that do not overflow, and MPICH are right. Run with
//! `OMPI_MCA_op=^avx` (the tests' `np3_remote_op_no_avx` configuration
//! does) or keep counters that may overflow at 32 or 64 bits.
//!
//! Two more defects gain works around, for programs that reduce or lock
//! with raw MPI next to it: MPICH 4.0.2's `MPI_MAX` and `MPI_MIN`
//! compare unsigned integers as signed (the maximum of 60 and 255 is 60),
//! so [`Runtime::all_reduce`](crate::Runtime::all_reduce) combines values
//! with its own user-defined operation; and Open MPI 4.1's
//! `MPI_Compare_and_swap` on a window of `osc/rdma` over `vader` (one
//! host, `MPI_Win_allocate`) crashes, so [`Mutexes`](crate::Mutexes) on
//! one host use a shared-memory window.
//!
//! With Open MPI 4.1, arrays created at the same moment on disjoint
//! sub-communicators of one split
//! ([`Runtime::from_comm`](crate::Runtime::from_comm)) can fail in
//! `MPI_Win_create` when the job spans nodes, because `osc/rdma` names its
//! shared segment after the communicator's context id, which such groups
//! share (open-mpi/ompi#7393). Create them one group at a time (the tests
//! do).
//!
//! MPICH 4.0.2's defects across hosts are in [`super::hosts`].
