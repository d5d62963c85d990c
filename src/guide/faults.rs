//! When a rank fails: the job ends — it never hangs — whatever one rank
//! does, with a non-zero exit code, a message naming the rank and the
//! cause, and nothing left in `/dev/shm`.
//!
//! | What happens | What the job does |
//! |---|---|
//! | a collective gets a bad or different argument on one rank | every rank gets the error (the others an `InconsistentArguments` naming that rank, or the argument and each rank's value), before anything is written |
//! | one rank returns an error only it saw (`?` up to `main`) | that rank waits at most `GAIN_FAULT_TIMEOUT` s (default 10) in the collective release of its arrays, then aborts the job with the error |
//! | a rank panics | its message and rank, then `MPI_Abort` |
//! | a rank calls `std::process::exit` with MPI running | the job is aborted, naming the rank |
//! | shared memory runs out (a small `/dev/shm`, e.g. a container's 64 MB) | an `Mpi` error on every rank, or an abort with the failing rank's message; with MPICH, which maps more than is free, the rank and the cause are printed before the bus error ends it |
//! | a rank is killed (`kill -9`, OOM) | the launcher reports it and ends the job |
//! | a `.npy` save finds its filesystem full (or a rank cannot write it) | an `Io` error on every rank, naming the rank and the cause; the temporary file is removed and the target never appears |
//!
//! Each row is a trial of the fault suite (`cargo test --test mpi
//! fault::`), at 2 and 3 ranks with Open MPI and MPICH; BENCHMARKS.md's
//! reliability table has the counts ([`super::testing`]).
//!
//! # In detail
//!
//! - **Bad arguments to a collective**, on any rank, are an error on every
//!   rank before anything is allocated, written or sent: a collective
//!   first agrees on its arguments (one small allreduce), and the other
//!   ranks' [`InconsistentArguments`](crate::ErrorKind::InconsistentArguments)
//!   names the rank whose check failed and its error, or the argument the
//!   ranks passed differently with each rank's value.
//! - **An error only one rank sees** (a one-sided `get` out of bounds,
//!   say) is returned to that rank alone. A program that handles it goes
//!   on. A rank that leaves with it — `?` up to `main` — drops its arrays
//!   and runtime, whose release is collective; there it waits at most
//!   `GAIN_FAULT_TIMEOUT` seconds (default 10) for the others, then aborts
//!   the job with the error: `rank 0: GlobalArray::get: OutOfBounds: ...`.
//!   Any collective the rank completes with the others clears that state.
//!   What counts is an error that came out of one of gain's calls; one
//!   the program makes itself (with [`Error::new`](crate::Error::new), or
//!   of another type) leaves gain unaware, so a rank that may leave alone
//!   with such an error should panic instead, which ends the job.
//! - **A panic** prints its message and the rank, then `MPI_Abort`s.
//! - **`std::process::exit`** while MPI still runs (before the runtime is
//!   dropped) aborts the job, naming the rank.
//! - **A failed shared-memory allocation** on every rank is an
//!   [`Mpi`](crate::ErrorKind::Mpi) error on every rank; on some ranks
//!   only, the job aborts with the failing rank's message. A node whose
//!   `/dev/shm` fills up while a new block is zeroed (MPICH maps more than
//!   is free) prints the rank and the cause before the signal ends the
//!   process.
//! - **A killed rank** (`kill -9`, the OOM killer) is reported by the
//!   launcher, which ends the job.
//! - **A full filesystem** (or a rank that cannot write) during a `.npy`
//!   save is an [`Io`](crate::ErrorKind::Io) error on every rank, naming
//!   the rank and the cause; the temporary file is removed and the target
//!   never appears.
//!
//! [`Error`](crate::Error)'s `Display` — and its `Debug`, which `main`
//! prints — reads `rank R: Operation: Kind: message with the offending
//! values`.
//!
//! # What it costs, and the timeout
//!
//! A correct program pays one small non-blocking allreduce per array freed
//! and one allreduce per collective's argument check (BENCHMARKS.md,
//! "faults"). The one case a correct program can meet the timeout: a rank
//! that handled an error only it saw, then frees an array (or ends) before
//! any other collective, while the others are more than the timeout away
//! from that point. Raise `GAIN_FAULT_TIMEOUT` ([`super::environment`]) if
//! ranks may legitimately drift that far.
//!
//! # What the suites measured
//!
//! `cargo test --test mpi -- fault::` and `-- bad_input`, each fault job with
//! a fresh tmpfs on `/dev/shm` (`gain::guide::faults`); filled in by hand. The
//! 10-second jobs wait out `GAIN_FAULT_TIMEOUT`'s default; the others end
//! within 0.1–2.4 s.
//!
//! | figure | goal | Open MPI 4.1.4 | MPICH 4.0.2 |
//! |---|---|---|---|
//! | fault scenarios, each at np = 2 and 3 (one-sided error then `?`, `scatter` root with nothing, panic in a collective, one rank's allocation failing, a small `/dev/shm`, `kill -9`, `std::process::exit`, `local_mut` of a read-only file-backed array; a `.npy` save and a `create_npy` into a full filesystem, with each I/O method) | | 10 × 2 | 10 × 2 |
//! | jobs that ended non-zero naming the rank (or, for `kill -9`, the launcher's PID line) and the cause | all 16 | 16 | 16 |
//! | jobs where gain returned the fault as an `Io` error on every rank, left no file, and the job went on (full filesystem) | all 4 | 4 | 4 |
//! | longest time to the end of a fault job | ≤ 30 s | 10.7 s | 10.6 s |
//! | hangs (jobs killed at the 30 s limit) | 0 | 0 | 0 |
//! | entries left in the job's `/dev/shm` | 0 | 0 | 0 |
//! | distinct bad inputs (`bad_input_every_error_kind`: 20, +1 where ranks span nodes; `bad_input_one_rank_wrong_argument`: 19 collectives, 10 of them at one rank) | | 40 | 40 |
//! | bad inputs tried over the 9 configurations (rank 0's count; every rank checks its error) | | 337 | 337 |
//! | distinct bad files and paths (`io_npy_bad_input`: 20; `file_backed_bad_input`: 18) and write paths a read-only file-backed array refuses (`file_backed_read_only_refuses_writes`: 22, a case not matched by `bad_input`), each run at every configuration | | 60 | 60 |
//! | bad inputs that hung, wrote, or gave another kind than expected | 0 | 0 | 0 |
