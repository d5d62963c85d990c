//! Start-up (MPI initialisation, the node topology, the thread pool),
//! the runtime's queries, `sync` of every array, and the runtime's exit
//! point when it is dropped. The environment it reads is parsed in
//! `env.rs`, the pool's size in `threads.rs`; the fault handling it
//! installs and calls is `crate::fault`'s.

mod collectives;
mod env;
pub(crate) mod threads;

use std::marker::PhantomData;
use std::sync::{Arc, MutexGuard};
use std::time::Duration;

use mpi::collective::SystemOperation;
use mpi::environment::{Threading, Universe};
use mpi::raw::AsRaw;
use mpi::topology::{Color, SimpleCommunicator};
use mpi::traits::*;

use crate::error::{Error, ErrorKind, Result};
use crate::fault::{self, during};
use crate::window::{self, Placement, Registry, SharedComm};
pub use collectives::ReduceOp;
pub(crate) use env::positive_env;
use env::{
    ProgressMode, osc_across_hosts, progress_from_env, ranks_per_node, thread_level_from_env,
};

/// A handle on the job: the communicator arrays live on and which of its
/// ranks share a node. Cheap to clone; arrays keep it alive.
///
/// Create it with [`init`] (which also initialises MPI) or with
/// [`Runtime::from_comm`] inside a program that already initialised MPI
/// through rsmpi.
///
/// # Collective
///
/// Creating a runtime is collective (see [`init`]); its queries are
/// local.
///
/// # Examples
///
/// ```
/// # let rt = gain::init()?;
/// assert!(rt.rank() < rt.size());
/// assert!(rt.node_ranks().contains(&rt.rank()));
/// # Ok::<(), gain::Error>(())
/// ```
#[derive(Clone)]
pub struct Runtime {
    inner: Arc<Inner>,
    /// Keeps the runtime `!Send` (a `MutexGuard` is `Sync` but not
    /// `Send`): its last clone finalises MPI, which must happen on the
    /// thread that initialised it, and every clone is made from a borrow
    /// of one that outlives it on the owning thread (see the `Sync` impl).
    _owning_thread: PhantomData<MutexGuard<'static, ()>>,
}

// `Runtime` is `Sync` without an `unsafe impl`: a shared `&Runtime` gives
// other threads the topology (plain data, never mutated after `build`),
// the communicators and the progress thread's handle (the window layer's
// `SharedComm` and `Progress` say why MPI lets threads share them), the
// registry (a `Mutex`) and `Arc` clones. A clone made on another thread
// cannot leave it (the runtime is `!Send`) and is dropped while the
// borrowed original lives, so the last drop, which finalises MPI, is on
// the owning thread. This assertion keeps it so.
const _: () = {
    const fn sync<T: Sync>() {}
    sync::<Runtime>();
};

struct Inner {
    // Fields drop in order: the progress thread first (it uses MPI), then
    // the communicators, then the universe, which finalises MPI.
    progress: Option<window::Progress>,
    world: SharedComm,
    node: SharedComm,
    /// For the exit points of the fault handling (`crate::fault`) and the
    /// messages of ghost updates alone.
    control: SharedComm,
    registry: Arc<Registry>,
    node_rank_of: Arc<[Option<usize>]>,
    rank: usize,
    size: usize,
    /// The thread level the MPI library provides.
    threading: Threading,
    _universe: Option<Universe>,
}

/// Initialises MPI and returns the runtime over `MPI_COMM_WORLD`.
///
/// Works under `mpirun` and as a single process started without it (MPI
/// singleton initialisation). Installs a panic hook: a panic on any rank
/// prints its message and calls `MPI_Abort`, so the other ranks never hang
/// in a collective. The environment variable `GAIN_RANKS_PER_NODE=k`
/// treats every `k` consecutive ranks of a node as a node of their own,
/// which runs the remote (RMA) path on one machine.
///
/// MPI is initialised with `MPI_THREAD_MULTIPLE`, so the threads of a rank
/// may call the one-sided operations of the arrays concurrently (see
/// [`Runtime::thread_level`]); `GAIN_THREAD_LEVEL=funneled` asks for
/// `MPI_THREAD_FUNNELED` instead, for MPI components that refuse
/// `MULTIPLE` (Open MPI 4.1's `osc/pt2pt`, its one-sided component over
/// TCP between hosts), and is the default in an Open MPI job that spans
/// hosts with `--mca osc ^ucx`, where that component carries the windows.
/// In an Open MPI job that spans hosts with no one-sided components
/// chosen (`OMPI_MCA_osc` unset), it sets `OMPI_MCA_osc=sm,ucx` before
/// MPI starts (Debian's configuration leaves only `osc/rdma`, which cannot
/// create a window across hosts over TCP), so call it before the program
/// starts other threads, as one calls `MPI_Init`. When the job spans
/// nodes, every rank starts a progress thread (see
/// [`Runtime::progress_interval`]), so that one-sided calls into a rank
/// that computes complete while it does.
/// And rayon's global pool is sized for the
/// local kernels (see [`threads`](crate::threads)): `GAIN_THREADS`, else
/// `RAYON_NUM_THREADS`, else the CPUs of the rank's affinity mask divided
/// by the ranks of its machine that share them. With the `blas` feature,
/// OpenBLAS runs as many threads, unless `OPENBLAS_NUM_THREADS` or
/// `OMP_NUM_THREADS` is set.
///
/// Errors: [`ErrorKind::Mpi`] when MPI was already initialised (use
/// [`Runtime::from_comm`] then) or cannot start;
/// [`ErrorKind::InvalidArgument`] when `GAIN_RANKS_PER_NODE` or
/// `GAIN_THREADS` is set and not a positive integer (the kind of every
/// malformed `GAIN_*` variable).
///
/// # Collective
///
/// Every rank of the job must call it, once, with the same
/// `GAIN_RANKS_PER_NODE`; it returns when the ranks have found which of
/// them share a node.
///
/// # Examples
///
/// ```
/// let rt = gain::init()?;
/// println!("rank {} of {}", rt.rank(), rt.size());
/// # Ok::<(), gain::Error>(())
/// ```
pub fn init() -> Result<Runtime> {
    if let Some(osc) = osc_across_hosts(|k| std::env::var(k).ok()) {
        // MPI has not started, and `init` is documented to be called
        // before the program starts threads, as MPI_Init is.
        crate::sys::set_env_before_threads("OMPI_MCA_osc", osc);
    }
    let level = during("gain::init", thread_level_from_env)?;
    let (universe, _) = mpi::initialize_with_threading(level).ok_or_else(|| {
        Error::new(
            ErrorKind::Mpi,
            "MPI is already initialised; use Runtime::from_comm",
        )
    })?;
    let world = universe.world();
    during("gain::init", || Runtime::build(&world, Some(universe)))
}

impl Runtime {
    /// A runtime over `comm` in a program that initialised MPI itself.
    /// The communicator is duplicated, so gain's traffic never mixes with
    /// the caller's. Installs the same abort-on-panic hook as [`init`] and
    /// sizes the thread pool as it does; threads of a rank may make
    /// concurrent one-sided calls only if the program initialised MPI
    /// with `Threading::Multiple` ([`Runtime::thread_level`]).
    ///
    /// Errors: [`ErrorKind::InvalidArgument`] when `GAIN_RANKS_PER_NODE` or
    /// `GAIN_THREADS` is set and not a positive integer.
    ///
    /// # Collective
    ///
    /// Every rank of `comm` must call it, at the same point among its
    /// collective calls on `comm`; it returns when the ranks have found which
    /// of them share a node.
    ///
    /// # Examples
    ///
    /// ```
    /// use mpi::traits::*;
    /// let universe = mpi::initialize().unwrap();
    /// let rt = gain::Runtime::from_comm(&universe.world())?;
    /// assert_eq!(rt.size(), universe.world().size() as usize);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn from_comm<C: Communicator>(comm: &C) -> Result<Runtime> {
        during("Runtime::from_comm", || Runtime::build(comm, None))
    }

    fn build<C: Communicator>(comm: &C, universe: Option<Universe>) -> Result<Runtime> {
        fault::install_hooks();
        let world = comm.duplicate();
        let control = comm.duplicate();
        let rank = world.rank() as usize;
        let size = world.size() as usize;
        // Errors and abort messages name the process by its rank in
        // MPI_COMM_WORLD, as the launcher does, whatever communicator this
        // runtime is on (a sub-communicator's runtime must not renumber
        // the errors of the others).
        crate::error::set_rank(window::world_rank()?);
        // Every rank reads the same environment, so every rank returns the
        // same errors here, before any collective that could hang.
        fault::read_env()?;
        let per_node = ranks_per_node()?;
        let gain_threads = threads::threads_from_env()?;
        let (progress_mode, interval) = progress_from_env()?;
        let threading = mpi::environment::threading_support();
        window::set_thread_level(threading == Threading::Multiple);
        let mut node = world.split_shared(rank as i32);
        // The ranks that really share this machine's cores, and the CPUs
        // each may run on: the default thread count divides them.
        let mine = threads::affinity_mask();
        let mut masks = vec![[0u64; threads::MASK_WORDS]; node.size() as usize];
        node.all_gather_into(&mine[..], masks.as_flattened_mut());
        let threads = match gain_threads {
            Some(n) => Some(n),
            None if std::env::var_os("RAYON_NUM_THREADS").is_some() => None,
            None => Some(threads::default_threads(&mine, &masks)),
        };
        threads::configure(threads);
        if let Some(k) = per_node {
            let color = node.rank() as usize / k;
            node = node
                .split_by_color_with_key(Color::with_value(color as i32), rank as i32)
                .expect("every rank has a colour");
        }
        // Name each node by its lowest world rank and share the names.
        let mut leader = 0i32;
        node.all_reduce_into(&(rank as i32), &mut leader, SystemOperation::min());
        let mut leaders = vec![0i32; size];
        world.all_gather_into(&leader, &mut leaders[..]);
        let mut node_rank_of = vec![None; size];
        let mut next = 0;
        for (r, &l) in leaders.iter().enumerate() {
            if l == leader {
                node_rank_of[r] = Some(next);
                next += 1;
            }
        }
        debug_assert_eq!(next, node.size() as usize);
        // Every rank decides alike: the same environment, the same node
        // count, the same thread level.
        let spans = next < size;
        let multiple = threading == Threading::Multiple;
        // Open MPI's world window across nodes (osc/ucx) needs this
        // process's RMA calls one at a time (window::take_rma_turns).
        if spans && !window::is_mpich() {
            window::take_rma_turns();
        }
        // Under Open MPI's osc/pt2pt a small accumulate costs what a put
        // does and is ordered, so small puts go out as accumulates
        // (window::rma::put_as). Nodes simulated with GAIN_RANKS_PER_NODE
        // count too: the route is correct on any component.
        if spans && !window::is_mpich() && env::osc_without_ucx(|k| std::env::var(k).ok()) {
            window::put_small_as_accumulate();
        }
        let progress = match progress_mode {
            ProgressMode::Off => None,
            ProgressMode::Auto if !(spans && multiple) => None,
            _ => Some(window::Progress::start(
                world.as_raw(),
                multiple,
                interval,
                rank,
            )?),
        };
        // The node communicator is only used for window allocation from
        // here on, whose failures the window layer turns into errors.
        window::comm_errors_return(node.as_raw())?;
        #[cfg(feature = "blas")]
        if threads::blas_follows_gain() {
            crate::sys::openblas_threads(threads::threads());
        }
        // An `Arc` for counts the threads of a rank may change at once
        // (clones of a shared `&Runtime`); `Inner` itself is not `Send`,
        // and the runtime's `Sync` impl says why sharing it is sound.
        #[allow(clippy::arc_with_non_send_sync)]
        Ok(Runtime {
            inner: Arc::new(Inner {
                progress,
                world: SharedComm::new(world),
                node: SharedComm::new(node),
                control: SharedComm::new(control),
                registry: Arc::default(),
                node_rank_of: node_rank_of.into(),
                rank,
                size,
                threading,
                _universe: universe,
            }),
            _owning_thread: PhantomData,
        })
    }

    /// This rank's number.
    ///
    /// # Local
    ///
    /// A query of the runtime; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// assert!(rt.rank() < rt.size());
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn rank(&self) -> usize {
        self.inner.rank
    }

    /// Number of ranks.
    ///
    /// # Local
    ///
    /// A query of the runtime; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// assert!(rt.size() >= 1);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn size(&self) -> usize {
        self.inner.size
    }

    /// The ranks that share this rank's node memory (including itself), in
    /// increasing order.
    ///
    /// # Local
    ///
    /// A query of the topology found at start-up; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// assert!(rt.node_ranks()[0] <= rt.rank());
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn node_ranks(&self) -> Vec<usize> {
        (0..self.size())
            .filter(|&r| self.inner.node_rank_of[r].is_some())
            .collect()
    }

    /// Whether `rank` shares this rank's node memory.
    ///
    /// # Local
    ///
    /// A query of the topology found at start-up; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// assert!(rt.is_same_node(rt.rank()));
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn is_same_node(&self, rank: usize) -> bool {
        self.inner
            .node_rank_of
            .get(rank)
            .is_some_and(|r| r.is_some())
    }

    /// Whether the job spans more than one node (as grouped by
    /// `GAIN_RANKS_PER_NODE` when set).
    ///
    /// # Local
    ///
    /// A query of the topology found at start-up; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// assert_eq!(rt.spans_nodes(), rt.node_ranks().len() < rt.size());
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn spans_nodes(&self) -> bool {
        self.node_ranks().len() < self.size()
    }

    /// The thread level the MPI library provides (`MPI_Query_thread`).
    /// [`init`] asks for `MPI_THREAD_MULTIPLE`, under which any thread of
    /// a rank may call the one-sided operations of any array at any time
    /// (the arrays are `Sync`). Below it, calls that reach another node
    /// through MPI from a thread other than the one that built the runtime
    /// return [`ThreadLevel`](ErrorKind::ThreadLevel); same-node ones,
    /// which are plain memory operations, work from any thread.
    ///
    /// # Local
    ///
    /// A query of what MPI reported at start-up; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// use mpi::environment::Threading;
    /// # let rt = gain::init()?;
    /// // Open MPI and MPICH as Debian builds them both provide it.
    /// assert_eq!(rt.thread_level(), Threading::Multiple);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn thread_level(&self) -> Threading {
        self.inner.threading
    }

    /// How often this rank's progress thread turns the MPI library's
    /// progress engine, or `None` when it has none. One-sided calls aimed
    /// at a rank that computes without calling MPI wait for that rank's
    /// next MPI call unless something else moves them (over TCP nothing
    /// does): the progress thread makes one such call every interval
    /// while the rank computes, and none while a thread of the rank is in
    /// gain's MPI calls, which turn the engine themselves (then it looks
    /// less often, up to every 32 intervals; [`crate::guide::hosts`] says
    /// what it costs). `GAIN_PROGRESS` chooses: `auto` (the default) starts it when the
    /// job spans nodes and MPI provides `MPI_THREAD_MULTIPLE`, `on`
    /// starts it whatever the job (an error below `MULTIPLE`), `off`
    /// never; `GAIN_PROGRESS_US` sets the interval in microseconds
    /// (default 100).
    ///
    /// # Local
    ///
    /// A query of what start-up decided; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// // Off on one node (unless GAIN_PROGRESS=on), on across nodes.
    /// if std::env::var("GAIN_PROGRESS").is_err() {
    ///     assert_eq!(rt.progress_interval().is_some(), rt.spans_nodes());
    /// }
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn progress_interval(&self) -> Option<Duration> {
        self.inner.progress.as_ref().map(window::Progress::interval)
    }

    /// The communicator gain works on (a duplicate of the one given), for
    /// the caller's own collectives.
    ///
    /// # Local
    ///
    /// Returns a reference to the communicator; no communication (what the
    /// caller does with it may communicate).
    ///
    /// # Examples
    ///
    /// ```
    /// use mpi::traits::*;
    /// # let rt = gain::init()?;
    /// rt.comm().barrier();
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn comm(&self) -> &SimpleCommunicator {
        &self.inner.world
    }

    /// The MPI library's version string, e.g. to tell Open MPI from MPICH.
    /// May be called before MPI is initialised.
    ///
    /// # Local
    ///
    /// Asks the MPI library on the calling rank; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!gain::Runtime::mpi_library_version().is_empty());
    /// ```
    pub fn mpi_library_version() -> String {
        window::library_version()
    }

    pub(crate) fn placement(&self) -> Placement<'_> {
        Placement {
            world: self.inner.world.as_raw(),
            node: self.inner.node.as_raw(),
            node_rank_of: &self.inner.node_rank_of,
            spans_nodes: self.spans_nodes(),
            control: self.inner.control.as_raw(),
            registry: &self.inner.registry,
        }
    }

    /// Completes every rank's earlier puts and accumulates on **every**
    /// array of this runtime, makes them and all local writes visible
    /// everywhere, then waits for every rank (Global Arrays' `GA_Sync`,
    /// which covers all arrays; [`GlobalArray::sync`](crate::GlobalArray::sync)
    /// covers one).
    ///
    /// Errors: [`Mpi`](ErrorKind::Mpi) when an MPI call fails.
    ///
    /// # Collective
    ///
    /// Every rank must call it, at the same point among its collective calls
    /// on this runtime; it returns once every rank has arrived, with every
    /// earlier one-sided write by any rank to any array visible to all.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::GlobalArray::<i64, _>::zeros(&rt, 4)?;
    /// let b = gain::GlobalArray::<f64, _>::zeros(&rt, 4)?;
    /// if rt.rank() == 0 {
    ///     a.put(0..1, &[7])?;
    ///     b.acc(3..4, &[0.5], 2.0)?;
    /// }
    /// rt.sync()?; // both arrays
    /// assert_eq!((a.get(0..1)?[0], b.get(3..4)?[0]), (7, 1.0));
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn sync(&self) -> Result<()> {
        during("Runtime::sync", || {
            window::sync_all(&self.inner.registry, self.inner.world.as_raw())
        })
    }

    /// Collective: the agreement on a call's arguments
    /// ([`fault::agree_arguments`]) over this runtime's ranks.
    pub(crate) fn agree_arguments(&self, local: Result<&[(&str, String)]>) -> Result<()> {
        fault::agree_arguments(&self.inner.world, local)
    }

    /// Collective: whether a step every rank took succeeded everywhere
    /// ([`fault::agree_success`]).
    pub(crate) fn agree_success(&self, local: Result<()>, kind: ErrorKind) -> Result<()> {
        fault::agree_success(&self.inner.world, local, kind)
    }

    /// Collective: the outcome of a step only `root` took, on every rank
    /// ([`fault::share_outcome`]).
    pub(crate) fn share_outcome(
        &self,
        root: usize,
        local: Result<String>,
        kind: ErrorKind,
    ) -> Result<String> {
        fault::share_outcome(&self.inner.world, root, local, kind)
    }
}

impl Drop for Inner {
    /// Dropping the runtime finalises MPI (through the universe), which is
    /// collective: the ranks meet at an exit point first, so that a rank
    /// leaving after an error the others did not see ends the job instead
    /// of waiting in `MPI_Finalize`.
    fn drop(&mut self) {
        if mpi::environment::is_finalized() {
            return;
        }
        if let Err(e) = fault::exit_point(
            self.control.as_raw(),
            [0; 2],
            None,
            "the end of the program (the runtime's drop)",
        ) {
            fault::abort_with(&e, "the end of the program");
        }
        // Every rank passed the exit point: what follows is MPI_Finalize
        // (the fields' drops). `GAIN_TRACE_FINALIZE` says so, one line per
        // rank, which tells a hang inside the MPI library's finalisation
        // (MPICH 4.0's across hosts, gain::guide::hosts) from one in
        // the program.
        if self._universe.is_some()
            && std::env::var_os("GAIN_TRACE_FINALIZE").is_some_and(|v| !v.is_empty())
        {
            // One write of the whole line: the launcher merges the ranks'
            // stderr, and eprintln! writes a line in pieces.
            let line = format!(
                "gain: rank {} of {} calls MPI_Finalize\n",
                self.rank, self.size
            );
            let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
        }
    }
}
