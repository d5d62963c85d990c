//! Jobs across hosts: what the MPIs need over TCP, the progress thread,
//! and the multi-host bed `scripts/hosts`.
//!
//! A job spanning machines is launched as any MPI job, `mpirun --host a,b
//! ./my_program` (hydra: `mpiexec -hosts a,b ./my_program`); ranks of one
//! host share their blocks in memory, others are reached with MPI RMA.
//! What the distributions' MPIs need over plain TCP (no RDMA network),
//! gain does itself.
//!
//! # Open MPI 4.1
//!
//! Debian's system configuration (`/etc/openmpi/openmpi-mca-params.conf`:
//! `osc = ^ucx,pt2pt`) leaves `osc/rdma` alone to carry windows, and it has
//! no transport over TCP: `MPI_Win_create` fails with `MPI_ERR_WIN` across
//! hosts (an `Mpi` error from the array's creation on every rank, naming
//! the way out). So when a job spans hosts (`OMPI_COMM_WORLD_LOCAL_SIZE`
//! below `OMPI_COMM_WORLD_SIZE`) and `OMPI_MCA_osc` is unset,
//! [`gain::init`](crate::init) sets `OMPI_MCA_osc=sm,ucx` before MPI
//! starts: `osc/ucx` creates windows over any network UCX reaches and
//! allows `MPI_THREAD_MULTIPLE`. A `--mca osc ...` of your own wins; with
//! `osc/pt2pt` (`--mca osc sm,pt2pt`), which refuses
//! `MPI_THREAD_MULTIPLE`, gain asks for `MPI_THREAD_FUNNELED` (see
//! `GAIN_THREAD_LEVEL` in [`super::environment`]) and runs no progress
//! thread.
//!
//! `osc/ucx` fails when several threads of one process make RMA calls at
//! once (`MPI_Win_flush` errors after UCX's "Endpoint timeout", within a
//! minute at 3 or 4 ranks of 4 threads on the bed), so in an Open MPI job
//! that spans nodes the RMA calls and flushes of a process take turns: a
//! threaded rank's remote calls run one at a time, at about a millisecond
//! each for an `acc` over TCP here (its atomicity costs the target's
//! progress thread several turns). MPICH needs no turns.
//!
//! Open MPI passes no environment variable to other hosts unless named:
//! `-x GAIN_THREADS`, `-x GAIN_...`. When a host has two or more ranks,
//! UCX may print "Endpoint timeout" warnings from `MPI_Finalize`; the job
//! still ends normally.
//!
//! # MPICH 4.0.2
//!
//! MPICH (hydra passes the whole environment) needs nothing, with three
//! defects of Debian 12's 4.0.2 to know:
//!
//! - A job across hosts can hang in `MPI_Finalize` after all its work: one
//!   rank spins in UCX's endpoint close while the others wait in the PMI
//!   barrier that 4.0.2 puts after it (pmodels/mpich#6596; MPICH 4.2.0
//!   moved the barrier before the close, and should not hang so). No
//!   sequence of calls before `MPI_Finalize` is known to avoid it. Open
//!   MPI does not hang so, and is the one to run across hosts on Debian
//!   12. With `GAIN_TRACE_FINALIZE=1` each
//!   rank says when it calls `MPI_Finalize`: a job hung with every rank's
//!   line printed has done all its work. The bed suite sets it, and runs
//!   a job that hangs so again.
//! - `MPI_Win_flush_local` can return before an `MPI_Get`'s data has
//!   arrived when other threads of the rank put to the same target, so
//!   under MPICH gain completes its gets with `MPI_Win_flush`.
//! - Atomics on an `MPI_Win_allocate` window are not atomic together when
//!   some ranks share a node and others do not (same-node ones go through
//!   shared memory, the rest as messages): the mutexes' MCS queue lost a
//!   hand-over at 2 + 1 ranks and every rank waited for its turn. Under
//!   MPICH, a [`Mutexes`](crate::Mutexes) set spanning nodes lies on memory
//!   of gain's own (`MPI_Win_create`), where every atomic is a message.
//!
//! # Progress
//!
//! Over TCP neither library moves one-sided data unless the target rank
//! calls into MPI: without help, a `read_inc` into a rank that computes
//! waits until that rank's next MPI call. So when the job spans nodes
//! every rank runs a progress thread
//! ([`Runtime::progress_interval`](crate::Runtime::progress_interval)),
//! which makes one `MPI_Iprobe` every 100 µs; such a `read_inc` then
//! returns in a fraction of a millisecond (BENCHMARKS.md, "hosts"). It
//! needs `MPI_THREAD_MULTIPLE`; on one node there is none, and nothing is
//! spent. `GAIN_PROGRESS=on|off` and `GAIN_PROGRESS_US`
//! ([`super::environment`]) choose otherwise.
//!
//! What it costs, and when:
//! - While a thread of the rank is inside one of gain's MPI calls (a
//!   one-sided call or its flush, `sync`, a wait), or began one since the
//!   thread last looked, the thread does not probe: the rank turns the
//!   engine itself, and a probe would only compete with it. It then looks
//!   less often, its pause doubling up to 32 intervals (3.2 ms). On the
//!   bed, gain's 8 B `get`, `put` and `acc` into a rank waiting in `sync`
//!   take the same time with and without the thread, within the bed's
//!   run-to-run noise (`hosts.progress_on_vs_off_*`).
//! - Once the rank computes, the thread probes again within that pause,
//!   then every interval: one wake-up and one `MPI_Iprobe` per 100 µs.
//! - A rank waiting in an MPI call of the program's own (an
//!   `MPI_Recv` through [`Runtime::comm`](crate::Runtime::comm)) looks to
//!   the thread like a computing one, and is probed every interval, which
//!   slows the calls served meanwhile (by up to 1.5× on the bed). Waiting
//!   in gain's `sync` or a collective of [`Runtime`](crate::Runtime)
//!   costs nothing.
//!
//! # Small writes
//!
//! A `put` or `acc` of at most 4 KB to another node returns without
//! waiting for MPI: gain copies the data, issues the operation from the
//! copy, and frees the copy at the next flush of that target. Such a flush
//! comes from a later call touching what it writes (which must see it,
//! see [`super::arrays`]), `fence`, `sync`, or the copies of one target
//! reaching 1 MiB. A loop of 8 B puts to different places on another node
//! costs 8 µs a put on the bed, against 27 µs for `MPI_Put` and
//! `MPI_Win_flush_local` (which is a round trip under UCX).
//!
//! A `put` to a place that an earlier `put` or `acc` of the rank may still
//! be writing first completes that one at the target (`MPI_Win_flush`, a
//! round trip), since MPI does not order two puts; accumulates never wait
//! for each other, since MPI orders them. A loop of 8 B puts to one place
//! therefore pays a round trip a put under MPICH: 2.7× `MPI_Put` +
//! `MPI_Win_flush_local`, whose `flush_local` returns before the data
//! reaches the target (`hosts.remote_put_vs_mpi_put_8b`). Under Open MPI's
//! `osc/ucx` a `flush_local` is itself a round trip, and the loop costs
//! about what `MPI_Put` + `MPI_Win_flush_local` does. Under `osc/pt2pt`
//! (`--mca osc sm,pt2pt`) gain sends small puts as `MPI_Accumulate` with
//! `MPI_REPLACE`, which MPI orders and `osc/pt2pt` sends as one message:
//! on the bed such a loop costs 0.4 µs a put, an `acc` 0.3 µs, against
//! 8 µs for `MPI_Put` + `MPI_Win_flush_local`. The same route under
//! MPICH 4.0.2 made its finalisation hang (above) come on most runs, and
//! `osc/ucx` carries accumulates out under a lock, so neither takes it.
//!
//! # The multi-host bed
//!
//! `scripts/hosts` makes such a cluster on one machine, as root:
//! `scripts/hosts up [N]` creates hosts `gain-h1`..`gain-hN`, each a
//! network namespace on a private bridge (addresses `10.77.0.0/24` exist
//! only inside them), and everything run on a host gets its own hostname,
//! `/dev/shm`, `/tmp`, IPC and PID namespaces; the hosts share the rest of
//! the filesystem, as cluster nodes share a home directory (the ranks'
//! `TMPDIR` is a shared directory, `target/hosts-tmp`).
//!
//! ```sh
//! scripts/hosts run 2,1 ./my_program    # 2 ranks on gain-h1, 1 on gain-h2
//! MPI=mpich scripts/hosts run 2,1 ./my_program
//! ```
//!
//! The launcher runs on `gain-h1` and reaches the other hosts through
//! `scripts/hosts-agent`, the bed's stand-in for ssh, which starts from a
//! clean environment as ssh does; `run` takes the bed down again when it
//! brought it up, also after a failure or its time limit (`HOSTS_TIMEOUT`,
//! seconds). The bed's hosts share this machine's cores, so its Open MPI
//! launches pass `--bind-to none` (the default binding puts the first rank
//! of every host on core 0, where they take turns in 8 ms time slices).
//!
//! `scripts/test hosts` runs the remote path's MPI cases (round trips,
//! issue order, `read_inc`, contended `acc`, calls into a computing rank,
//! local views, distributed matmul and transpose) at 1+1, 2+1 and 2+2
//! ranks and the examples' serial checks (k-means with the dynamic
//! schedule, matmul, laplace, heat) on the bed with Open MPI, then with
//! MPICH; `scripts/test all` runs both after the one-host suites. A bed job
//! with MPICH 4.0 that hangs in `MPI_Finalize` after every rank reached it
//! is killed 15 s later, said so on the harness's stderr, and run again, up
//! to sixteen times in all (then it fails).
