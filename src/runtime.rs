//! Start-up (MPI initialisation, the node topology, the abort-on-panic
//! and exit hooks), the agreement on a collective's arguments, `sync` of
//! every array, and the runtime's exit point when it is dropped.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::marker::PhantomData;
use std::sync::{Arc, MutexGuard, Once};
use std::time::Duration;

use mpi::collective::SystemOperation;
use mpi::environment::{Threading, Universe};
use mpi::raw::AsRaw;
use mpi::topology::{Color, SimpleCommunicator};
use mpi::traits::*;

use crate::error::{During, Error, ErrorKind, Result};
use crate::fault;
use crate::window::{self, Placement, Registry};

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

// SAFETY: a shared `&Runtime` gives other threads the topology (plain
// data, never mutated after `build`), the communicators' handles (which
// MPI lets any thread use under `MPI_THREAD_MULTIPLE`, the level `init`
// asks for; below it the window layer refuses other threads' MPI calls
// with `ThreadLevel`, and the user's own calls through `comm` are theirs
// to order), the registry (a `Mutex`) and `Arc` clones. A clone made on
// another thread cannot leave it (the runtime is `!Send`) and is dropped
// while the borrowed original lives, so the last drop, which finalises
// MPI, is on the owning thread.
unsafe impl Sync for Runtime {}

struct Inner {
    // Fields drop in order: the progress thread first (it uses MPI), then
    // the communicators, then the universe, which finalises MPI.
    progress: Option<window::Progress>,
    world: SimpleCommunicator,
    node: SimpleCommunicator,
    /// For the exit points of the fault handling alone (`fault.rs`).
    control: SimpleCommunicator,
    registry: Arc<Registry>,
    node_rank_of: Vec<Option<usize>>,
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
        // SAFETY: MPI has not started, and `init` is documented to be
        // called before the program starts threads (as MPI_Init is), so
        // no other thread reads the environment while it changes.
        unsafe { std::env::set_var("OMPI_MCA_osc", osc) };
    }
    let level = thread_level_from_env().during("gain::init")?;
    let (universe, _) = mpi::initialize_with_threading(level).ok_or_else(|| {
        Error::new(
            ErrorKind::Mpi,
            "MPI is already initialised; use Runtime::from_comm",
        )
    })?;
    let world = universe.world();
    Runtime::build(&world, Some(universe))
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
        Runtime::build(comm, None)
    }

    fn build<C: Communicator>(comm: &C, universe: Option<Universe>) -> Result<Runtime> {
        install_panic_hook();
        let world = comm.duplicate();
        let control = comm.duplicate();
        let rank = world.rank() as usize;
        let size = world.size() as usize;
        // Errors and abort messages name the process by its rank in
        // MPI_COMM_WORLD, as the launcher does, whatever communicator this
        // runtime is on (a sub-communicator's runtime must not renumber
        // the errors of the others).
        fault::set_rank(window::world_rank().during("gain::init")?);
        // Every rank reads the same environment, so every rank returns the
        // same errors here, before any collective that could hang.
        fault::read_env().during("gain::init")?;
        let per_node = ranks_per_node().during("gain::init")?;
        let gain_threads = crate::threads::threads_from_env().during("gain::init")?;
        let (progress_mode, interval) = progress_from_env().during("gain::init")?;
        let threading = mpi::environment::threading_support();
        window::set_thread_level(threading == Threading::Multiple);
        let mut node = world.split_shared(rank as i32);
        // The ranks that really share this machine's cores, and the CPUs
        // each may run on: the default thread count divides them.
        let mine = crate::threads::affinity_mask();
        let mut masks = vec![[0u64; crate::threads::MASK_WORDS]; node.size() as usize];
        node.all_gather_into(&mine[..], masks.as_flattened_mut());
        let threads = match gain_threads {
            Some(n) => Some(n),
            None if std::env::var_os("RAYON_NUM_THREADS").is_some() => None,
            None => Some(crate::threads::default_threads(&mine, &masks)),
        };
        crate::threads::configure(threads);
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
        let progress = match progress_mode {
            ProgressMode::Off => None,
            ProgressMode::Auto if !(spans && multiple) => None,
            _ => Some(
                window::Progress::start(world.as_raw(), multiple, interval, rank)
                    .during("gain::init")?,
            ),
        };
        // The node communicator is only used for window allocation from
        // here on, whose failures the window layer turns into errors.
        window::comm_errors_return(node.as_raw()).during("gain::init")?;
        #[cfg(feature = "blas")]
        if crate::blas::follows_gain() {
            crate::blas::set_threads(crate::threads::threads());
        }
        // An `Arc` for counts the threads of a rank may change at once
        // (clones of a shared `&Runtime`); `Inner` itself is not `Send`,
        // and the runtime's `Sync` impl says why sharing it is sound.
        #[allow(clippy::arc_with_non_send_sync)]
        Ok(Runtime {
            inner: Arc::new(Inner {
                progress,
                world,
                node,
                control,
                registry: Arc::default(),
                node_rank_of,
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
    /// does): the progress thread makes one such call every interval.
    /// `GAIN_PROGRESS` chooses: `auto` (the default) starts it when the
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
        window::sync_all(&self.inner.registry, self.inner.world.as_raw()).during("Runtime::sync")
    }

    /// Collective agreement on a call's arguments: every rank passes its
    /// own validation result and its arguments, named and rendered as text.
    /// All ranks return an error when any rank's validation failed (naming
    /// that rank and its error) or the arguments differ (naming the first
    /// argument that differs and each rank's value), so no rank enters an
    /// allocation the others skip. A correct call costs one small
    /// allreduce; the texts travel only when something is wrong.
    pub(crate) fn agree(&self, local: Result<&[(&str, String)]>) -> Result<()> {
        let (failed, h) = match &local {
            Ok(args) => {
                let mut h = DefaultHasher::new();
                args.hash(&mut h);
                (0u64, h.finish())
            }
            Err(_) => (1, 0),
        };
        let send = [failed, h, !h];
        let mut recv = [0u64; 3];
        let world = &self.inner.world;
        world.all_reduce_into(&send[..], &mut recv[..], SystemOperation::max());
        fault::completed();
        if recv[0] == 0 && recv[1] == !recv[2] {
            return Ok(());
        }
        // Something is wrong on some rank: every rank knows it, so every
        // rank takes part in telling what.
        let text = match &local {
            Ok(args) => {
                let args: Vec<String> = args.iter().map(|(k, v)| format!("{k}\u{1f}{v}")).collect();
                format!("A{}", args.join("\u{1e}"))
            }
            Err(e) => format!("E{e}"),
        };
        let texts = self.all_gather_text(&text);
        let local = local?;
        if recv[0] != 0 {
            let bad = (0..self.size()).find(|&r| texts[r].0).unwrap_or(0);
            return Err(Error::new(
                ErrorKind::InconsistentArguments,
                format!("rank {bad} rejected its arguments: {}", texts[bad].1),
            ));
        }
        let value = |r: usize, name: &str| -> String {
            texts[r]
                .1
                .split('\u{1e}')
                .filter_map(|kv| kv.split_once('\u{1f}'))
                .find(|(k, _)| *k == name)
                .map_or("(missing)".to_string(), |(_, v)| v.to_string())
        };
        let me = self.rank();
        let differing = local
            .iter()
            .map(|(k, _)| *k)
            .find(|k| (0..self.size()).any(|r| value(r, k) != value(me, k)));
        let Some(name) = differing else {
            return Err(Error::new(
                ErrorKind::InconsistentArguments,
                "ranks passed different arguments to a collective call",
            ));
        };
        let mut values: Vec<String> = Vec::new();
        for r in 0..self.size() {
            let v = value(r, name);
            if values.len() < 8 {
                values.push(format!("rank {r}: {v}"));
            }
        }
        Err(Error::new(
            ErrorKind::InconsistentArguments,
            format!(
                "ranks passed different {name} to a collective call ({})",
                values.join("; ")
            ),
        ))
    }

    /// Collective: whether a step every rank took succeeded everywhere. All
    /// ranks return an error when any rank's `local` failed: that rank its
    /// own, the others one of `kind` with the first failed rank's error
    /// (which names that rank). Costs one small allreduce when every rank succeeded.
    pub(crate) fn all_ok(&self, local: Result<()>, kind: ErrorKind) -> Result<()> {
        let failed = local.is_err() as u64;
        let mut any = 0u64;
        self.inner
            .world
            .all_reduce_into(&failed, &mut any, SystemOperation::max());
        fault::completed();
        if any == 0 {
            return Ok(());
        }
        let text = match &local {
            Ok(()) => "A".to_string(),
            Err(e) => format!("E{e}"),
        };
        let texts = self.all_gather_text(&text);
        local?;
        let bad = (0..self.size()).find(|&r| texts[r].0).unwrap_or(0);
        // The text is the error's display, which names its rank.
        Err(Error::new(
            kind,
            format!("another rank failed: {}", texts[bad].1),
        ))
    }

    /// Collective: the outcome of a step only `root` took (a text, or an
    /// error), on every rank. The others' `local` is ignored; they return
    /// root's text, or an error of `kind` with root's message.
    pub(crate) fn share(
        &self,
        root: usize,
        local: Result<String>,
        kind: ErrorKind,
    ) -> Result<String> {
        let text = match (&local, self.rank() == root) {
            (Ok(t), true) => format!("A{t}"),
            (Err(e), true) => format!("E{e}"),
            (_, false) => "A".to_string(),
        };
        let (failed, text) = self.all_gather_text(&text).swap_remove(root);
        fault::completed();
        match (self.rank() == root, failed) {
            (true, _) => local,
            (false, false) => Ok(text),
            (false, true) => Err(Error::new(kind, format!("rank {root} failed: {text}"))),
        }
    }

    /// Collective: every rank's `text` (`A` and its arguments, or `E` and
    /// its error), as whether it is an error and the rest, by rank.
    fn all_gather_text(&self, text: &str) -> Vec<(bool, String)> {
        let world = &self.inner.world;
        let n = self.size();
        let bytes = text.as_bytes();
        let len = bytes.len() as i32;
        let mut lens = vec![0i32; n];
        world.all_gather_into(&len, &mut lens[..]);
        let displs: Vec<i32> = lens
            .iter()
            .scan(0, |at, &l| {
                let d = *at;
                *at += l;
                Some(d)
            })
            .collect();
        let mut all = vec![0u8; lens.iter().map(|&l| l as usize).sum()];
        {
            let mut part = mpi::datatype::PartitionMut::new(&mut all[..], &lens[..], &displs[..]);
            world.all_gather_varcount_into(bytes, &mut part);
        }
        (0..n)
            .map(|r| {
                let (d, l) = (displs[r] as usize, lens[r] as usize);
                let t = String::from_utf8_lossy(&all[d..d + l]).into_owned();
                (t.starts_with('E'), t.get(1..).unwrap_or("").to_string())
            })
            .collect()
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
        if let Err(e) = window::exit_point(
            self.control.as_raw(),
            [0; 2],
            None,
            "the end of the program (the runtime's drop)",
        ) {
            window::abort_with(&e, "the end of the program");
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

/// The thread level `init` asks MPI for: `GAIN_THREAD_LEVEL` (`multiple`
/// or `funneled`), else an `InvalidArgument` error before MPI starts
/// (every rank reads the same environment). Unset, it is `multiple`,
/// except in an Open MPI job that spans hosts with `osc/ucx` left out
/// (see [`pt2pt_across_hosts`]): there `osc/pt2pt` carries the windows,
/// and it refuses `MULTIPLE`.
fn thread_level_from_env() -> Result<Threading> {
    let var = |k: &str| std::env::var(k).ok();
    match var("GAIN_THREAD_LEVEL").as_deref() {
        None | Some("") if pt2pt_across_hosts(var) => Ok(Threading::Funneled),
        None | Some("") | Some("multiple") => Ok(Threading::Multiple),
        Some("funneled") => Ok(Threading::Funneled),
        Some(v) => Err(Error::new(
            ErrorKind::InvalidArgument,
            format!("GAIN_THREAD_LEVEL must be multiple or funneled, not {v:?}"),
        )),
    }
}

/// `GAIN_PROGRESS`: when a rank runs a progress thread.
#[derive(Clone, Copy, Debug, PartialEq)]
enum ProgressMode {
    /// When the job spans nodes and MPI provides `MPI_THREAD_MULTIPLE`.
    Auto,
    /// Always (an error below `MPI_THREAD_MULTIPLE`).
    On,
    /// Never.
    Off,
}

/// Default `GAIN_PROGRESS_US`: a call into a computing rank waits about
/// half of it per round trip its MPI needs, at the cost of one wake-up
/// and one `MPI_Iprobe` per interval.
const PROGRESS_US: u64 = 100;

/// `GAIN_PROGRESS` (`auto`, `on`, `off`) and `GAIN_PROGRESS_US`, else an
/// `InvalidArgument` error (every rank reads the same environment).
fn progress_from_env() -> Result<(ProgressMode, Duration)> {
    let mode = match std::env::var("GAIN_PROGRESS").as_deref() {
        Err(_) | Ok("") | Ok("auto") => ProgressMode::Auto,
        Ok("on") => ProgressMode::On,
        Ok("off") => ProgressMode::Off,
        Ok(v) => {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                format!("GAIN_PROGRESS must be auto, on or off, not {v:?}"),
            ));
        }
    };
    let us = match std::env::var("GAIN_PROGRESS_US").as_deref() {
        Err(_) | Ok("") => PROGRESS_US,
        Ok(v) => v.parse::<u64>().map_err(|_| {
            Error::new(
                ErrorKind::InvalidArgument,
                format!("GAIN_PROGRESS_US must be a whole number of microseconds, not {v:?}"),
            )
        })?,
    };
    Ok((mode, Duration::from_micros(us)))
}

/// The one-sided components `init` gives Open MPI in a job that spans
/// hosts when the user chose none (`OMPI_MCA_osc` unset): `sm,ucx`.
/// Debian's Open MPI 4.1 leaves out `osc/ucx` and `osc/pt2pt` in its
/// system configuration, so it would pick `osc/rdma`, which has no
/// transport over TCP and cannot create a window spanning hosts; `osc/ucx`
/// can, over any network UCX reaches, and allows `MPI_THREAD_MULTIPLE`
/// (and so the progress thread). `None` on one host, under another
/// launcher, or when the user set the components.
fn osc_across_hosts(var: impl Fn(&str) -> Option<String>) -> Option<&'static str> {
    let num = |k: &str| var(k).and_then(|v| v.trim().parse::<usize>().ok());
    let spans = matches!(
        (num("OMPI_COMM_WORLD_LOCAL_SIZE"), num("OMPI_COMM_WORLD_SIZE")),
        (Some(local), Some(all)) if local < all
    );
    (spans && var("OMPI_MCA_osc").is_none()).then_some("sm,ucx")
}

/// Whether the environment Open MPI's launcher gave this rank (`var`
/// reads it) says the job spans hosts (`OMPI_COMM_WORLD_LOCAL_SIZE` below
/// `OMPI_COMM_WORLD_SIZE`) and leaves `osc/ucx` out of the one-sided
/// components (`OMPI_MCA_osc`, which `--mca osc ...` sets: `^ucx`, or a
/// list without `ucx`), so that `osc/pt2pt` will carry the world window.
fn pt2pt_across_hosts(var: impl Fn(&str) -> Option<String>) -> bool {
    let num = |k: &str| var(k).and_then(|v| v.trim().parse::<usize>().ok());
    let spans = matches!(
        (num("OMPI_COMM_WORLD_LOCAL_SIZE"), num("OMPI_COMM_WORLD_SIZE")),
        (Some(local), Some(all)) if local < all
    );
    let Some(osc) = var("OMPI_MCA_osc") else {
        return false;
    };
    let (exclude, list) = match osc.trim().strip_prefix('^') {
        Some(rest) => (true, rest),
        None => (false, osc.trim()),
    };
    let names_ucx = list.split(',').any(|c| c.trim() == "ucx");
    spans && (exclude == names_ucx)
}

fn ranks_per_node() -> Result<Option<usize>> {
    crate::error::positive_env("GAIN_RANKS_PER_NODE")
}

fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            default(info);
            if mpi::environment::is_initialized() && !mpi::environment::is_finalized() {
                let rank = fault::rank().map_or("?".to_string(), |r| r.to_string());
                eprintln!("gain: rank {rank} panicked (message above); calling MPI_Abort");
                let _ = std::io::Write::flush(&mut std::io::stderr());
                // Give the launcher time to forward the message: MPICH's
                // hydra can kill the job before draining the rank's pipe.
                std::thread::sleep(std::time::Duration::from_millis(300));
                window::abort_world(101);
            }
        }));
        // A rank that exits with MPI still running (`std::process::exit`
        // before the runtime was dropped) would leave the others waiting
        // in their next collective under launchers that do not notice.
        if let Err(e) = window::at_exit(exit_with_mpi_running) {
            eprintln!("gain: {e}; a rank that exits early may leave the others waiting");
        }
    });
}

extern "C" fn exit_with_mpi_running() {
    if mpi::environment::is_initialized() && !mpi::environment::is_finalized() {
        let rank = fault::rank().map_or("?".to_string(), |r| r.to_string());
        eprintln!(
            "gain: rank {rank} is exiting while MPI is still running (std::process::exit, or a \
             leaked runtime); aborting the job so that the other ranks do not wait for it"
        );
        let _ = std::io::Write::flush(&mut std::io::stderr());
        std::thread::sleep(std::time::Duration::from_millis(300));
        window::abort_world(1);
    }
}

#[cfg(test)]
mod tests {
    use super::{osc_across_hosts, pt2pt_across_hosts};

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| pairs.iter().find(|p| p.0 == k).map(|p| p.1.to_string())
    }

    #[test]
    fn pt2pt_when_spanning_hosts_without_ucx() {
        let across = [
            ("OMPI_COMM_WORLD_LOCAL_SIZE", "2"),
            ("OMPI_COMM_WORLD_SIZE", "4"),
        ];
        let with = |osc: &str| {
            let mut e = across.to_vec();
            e.push(("OMPI_MCA_osc", osc));
            pt2pt_across_hosts(env(&e))
        };
        assert!(with("^ucx"));
        assert!(with("^rdma,ucx"));
        assert!(with("sm,pt2pt"));
        assert!(with("pt2pt"));
        assert!(!with("ucx"));
        assert!(!with("sm,ucx,pt2pt"));
        assert!(!with("^rdma"));
        // osc left unset: gain::init sets sm,ucx before reading it.
        assert!(!pt2pt_across_hosts(env(&across)));
        // One host, or not Open MPI's launcher.
        let one = [
            ("OMPI_COMM_WORLD_LOCAL_SIZE", "4"),
            ("OMPI_COMM_WORLD_SIZE", "4"),
            ("OMPI_MCA_osc", "^ucx"),
        ];
        assert!(!pt2pt_across_hosts(env(&one)));
        assert!(!pt2pt_across_hosts(env(&[("OMPI_MCA_osc", "^ucx")])));
    }

    #[test]
    fn osc_ucx_across_hosts_unless_chosen() {
        let across = [
            ("OMPI_COMM_WORLD_LOCAL_SIZE", "1"),
            ("OMPI_COMM_WORLD_SIZE", "2"),
        ];
        assert_eq!(osc_across_hosts(env(&across)), Some("sm,ucx"));
        // The user's choice stands, whatever it is.
        let mut chosen = across.to_vec();
        chosen.push(("OMPI_MCA_osc", "sm,pt2pt"));
        assert_eq!(osc_across_hosts(env(&chosen)), None);
        // One host, or not Open MPI's launcher (MPICH's hydra sets none).
        let one = [
            ("OMPI_COMM_WORLD_LOCAL_SIZE", "2"),
            ("OMPI_COMM_WORLD_SIZE", "2"),
        ];
        assert_eq!(osc_across_hosts(env(&one)), None);
        assert_eq!(osc_across_hosts(env(&[("PMI_SIZE", "2")])), None);
        // What gain sets, pt2pt_across_hosts reads as osc/ucx kept.
        let mut set = across.to_vec();
        set.push(("OMPI_MCA_osc", "sm,ucx"));
        assert!(!pt2pt_across_hosts(env(&set)));
    }
}
