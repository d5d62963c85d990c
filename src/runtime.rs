//! Start-up: MPI initialisation, the node topology, and abort-on-panic.

use std::rc::Rc;
use std::sync::Once;

use mpi::collective::SystemOperation;
use mpi::environment::Universe;
use mpi::raw::AsRaw;
use mpi::topology::{Color, SimpleCommunicator};
use mpi::traits::*;

use crate::error::{Error, ErrorKind, Result};
use crate::window::{self, Placement};

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
    inner: Rc<Inner>,
}

struct Inner {
    // Fields drop in order: communicators before the universe finalises MPI.
    world: SimpleCommunicator,
    node: SimpleCommunicator,
    node_rank_of: Vec<Option<usize>>,
    rank: usize,
    size: usize,
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
/// With the `blas` feature, each rank's OpenBLAS gets the cores this
/// process may run on divided by the ranks on its node (at least one
/// thread), so ranks do not oversubscribe the cores; when
/// `OPENBLAS_NUM_THREADS` or `OMP_NUM_THREADS` is set, OpenBLAS follows
/// that instead.
///
/// Errors: [`ErrorKind::Mpi`] when MPI was already initialised (use
/// [`Runtime::from_comm`] then) or cannot start;
/// [`ErrorKind::InvalidArgument`] when `GAIN_RANKS_PER_NODE` is set and not
/// a positive integer (the kind of every malformed `GAIN_*` variable).
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
    let universe = mpi::initialize().ok_or_else(|| {
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
    /// the caller's. Installs the same abort-on-panic hook as [`init`].
    ///
    /// Errors: [`ErrorKind::InvalidArgument`] when `GAIN_RANKS_PER_NODE` is
    /// set and not a positive integer.
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
        let rank = world.rank() as usize;
        let size = world.size() as usize;
        let mut node = world.split_shared(rank as i32);
        // The ranks that really share this machine's cores.
        #[cfg(feature = "blas")]
        let machine_ranks = node.size() as usize;
        if let Some(k) = ranks_per_node()? {
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
        #[cfg(feature = "blas")]
        if let Some(threads) = crate::blas::threads_per_rank(machine_ranks) {
            crate::blas::set_threads(threads);
        }
        Ok(Runtime {
            inner: Rc::new(Inner {
                world,
                node,
                node_rank_of,
                rank,
                size,
                _universe: universe,
            }),
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
        }
    }

    /// Collective agreement on a call's arguments: every rank passes its own
    /// validation result and a fingerprint of its arguments. All ranks
    /// return an error when any rank's validation failed or the fingerprints
    /// differ, so no rank enters an allocation the others skip.
    pub(crate) fn agree(&self, local: Result<u64>) -> Result<()> {
        let (failed, h) = match &local {
            Ok(h) => (0u64, *h),
            Err(_) => (1, 0),
        };
        let send = [failed, h, !h];
        let mut recv = [0u64; 3];
        self.inner
            .world
            .all_reduce_into(&send[..], &mut recv[..], SystemOperation::max());
        local?;
        if recv[0] != 0 {
            return Err(Error::new(
                ErrorKind::InconsistentArguments,
                "another rank rejected its arguments to this collective call",
            ));
        }
        if recv[1] != !recv[2] {
            return Err(Error::new(
                ErrorKind::InconsistentArguments,
                "ranks passed different arguments to a collective call",
            ));
        }
        Ok(())
    }
}

fn ranks_per_node() -> Result<Option<usize>> {
    match std::env::var("GAIN_RANKS_PER_NODE") {
        Err(_) => Ok(None),
        Ok(v) if v.is_empty() => Ok(None),
        Ok(v) => match v.parse::<usize>() {
            Ok(k) if k > 0 => Ok(Some(k)),
            _ => Err(Error::new(
                ErrorKind::InvalidArgument,
                format!("GAIN_RANKS_PER_NODE must be a positive integer, not {v:?}"),
            )),
        },
    }
}

fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            default(info);
            if mpi::environment::is_initialized() && !mpi::environment::is_finalized() {
                eprintln!("gain: a rank panicked; calling MPI_Abort");
                let _ = std::io::Write::flush(&mut std::io::stderr());
                // Give the launcher time to forward the message: MPICH's
                // hydra can kill the job before draining the rank's pipe.
                std::thread::sleep(std::time::Duration::from_millis(300));
                window::abort_world(101);
            }
        }));
    });
}
