//! Threads inside a rank: rayon's pool for local work, and one-sided
//! calls from any thread.
//!
//! A rank runs its local work on rayon's thread pool: the NumPy layer's
//! tiles, reductions, scans and creation, `Zip::par_for_each` and
//! `Zip::par_fold` (ndarray's names), [`crate::linalg`]'s local products,
//! the random fills, `copy_from`, and k-means' fragments. The work is cut
//! by the data (tiles of about 4096 elements, row panels, fragments),
//! never by the thread count, and combined in order, so every result has
//! the same bits on any number of threads (`cargo test --test mpi
//! threads_` checks it on pools of 1, 2 and 3 threads).
//!
//! # How many threads
//!
//! [`gain::init`](crate::init) sizes the pool: `GAIN_THREADS`, else
//! `RAYON_NUM_THREADS`, else the CPUs of the rank's affinity mask divided
//! by the ranks of its machine sharing them; a program may build rayon's
//! global pool itself first, or run gain's calls inside its own pool's
//! `install`. [`gain::threads()`](crate::threads) says how many a call
//! gets.
//!
//! One rank per node with a thread per core, or one rank per core, give
//! the same results: bit for bit for k-means, the random fills and every
//! elementwise or integer result; a float `sum` (and what is built on it:
//! `mean`, `var`, `dot`) of the NumPy layer adds the ranks' partial sums,
//! so its last bits may change with the rank count ([`crate::numpy`],
//! "Where gain differs from NumPy"), never with the thread count:
//!
//! ```text
//! GAIN_THREADS=2 scripts/run-example kmeans 1     # one rank, two threads
//! scripts/run-example kmeans 2                    # two ranks: the same fingerprint
//! mpirun --map-by ppr:1:node:pe=16 ./my_program   # Open MPI: 1 rank a node, 16 cores each
//! mpiexec.mpich -ppn 1 -bind-to core:16 ./my_program   # MPICH (hydra) likewise
//! ```
//!
//! Open MPI binds each rank to one core when there are at most two ranks
//! (`Cpus_allowed` shows it), which leaves it one thread; `--bind-to none`
//! (as `scripts/run-example` passes) or `--map-by ...:pe=N` gives it more.
//!
//! # MPI calls from threads
//!
//! MPI is initialised with `MPI_THREAD_MULTIPLE`, and
//! [`GlobalArray`](crate::GlobalArray) and [`Runtime`](crate::Runtime) are
//! `Sync`, so the threads of a rank may call `get`, `put`, `acc` and
//! `read_inc` on the same arrays at once (collectives stay in one order on
//! every rank: one thread of each rank calls them, the value collectives
//! [`Runtime::broadcast`](crate::Runtime::broadcast) and
//! [`Runtime::all_reduce`](crate::Runtime::all_reduce) included, while
//! other threads may go on with one-sided calls). Any thread may lock a
//! [`Mutexes`](crate::Mutexes) mutex; the threads of one rank wait for
//! each other first, then queue with the other ranks as one. A view held by one thread refuses another thread's write
//! into its block with `Borrowed`, as it does its own. gain does not
//! serialise MPI calls: a program that initialises MPI itself below
//! `MPI_THREAD_MULTIPLE` ([`Runtime::thread_level`](crate::Runtime::thread_level)
//! tells) gets `ThreadLevel` errors from remote calls made off its main
//! thread. `GAIN_THREAD_LEVEL` ([`super::environment`]) and Open MPI's
//! `osc/pt2pt` across hosts ([`super::hosts`]) lower the level to
//! `MPI_THREAD_FUNNELED`.
//!
//! Threads of your own (`std::thread::scope`, or rayon's `scope`) share an
//! array by reference. Here two threads of every rank each add ones to a
//! row of a counter table, one-sidedly; then one thread of each rank
//! syncs, and every count is the number of ranks:
//!
//! ```
//! # let rt = gain::init()?;
//! let counts = gain::GlobalArray::<i64, _>::zeros(&rt, [2, rt.size()])?;
//! let n = rt.size();
//! let done: Vec<gain::Result<()>> = std::thread::scope(|s| {
//!     let threads: Vec<_> = (0..2)
//!         .map(|t| {
//!             let counts = &counts;
//!             s.spawn(move || counts.acc([t..t + 1, 0..n], &ndarray::Array2::ones((1, n)), 1))
//!         })
//!         .collect();
//!     threads.into_iter().map(|h| h.join().unwrap()).collect()
//! });
//! done.into_iter().collect::<gain::Result<()>>()?;
//! counts.sync()?; // collective: one thread of each rank
//! assert!(counts.get([0..2, 0..n])?.iter().all(|&c| c == n as i64));
//! # Ok::<(), gain::Error>(())
//! ```
