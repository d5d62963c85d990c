//! The window layer: MPI windows and the crate's only MPI FFI, with all the
//! `unsafe` code they need. Everything above it moves data through the safe
//! methods of [`Window`] and of [`NodeCopy`] (`node_copy.rs`: one block
//! per node instead of one per rank, the storage of replicated arrays).
//! (The crate's only other `unsafe` code is `crate::sys`'s, which has
//! nothing to do with MPI: prefetch hints, OpenBLAS's thread setter, the
//! affinity mask, file mappings and byte views.)
//!
//! A window holds one block of memory per rank. The memory comes from
//! `MPI_Win_allocate_shared` on the node communicator (Standard section
//! 12.2.3), so ranks on one node read and write each other's blocks with
//! plain loads and stores through `MPI_Win_shared_query` pointers. When the
//! job spans more than one node, a second window over the same memory is
//! created on the world communicator with `MPI_Win_create` (12.2.1), and
//! ranks on other nodes are reached with `MPI_Get`, `MPI_Put`,
//! `MPI_Accumulate` and `MPI_Fetch_and_op` (12.3). Both windows stay in one
//! passive-target epoch (`MPI_Win_lock_all`, 12.5.3) for their whole life.
//!
//! Accumulate atomicity. MPI makes concurrent `MPI_Accumulate`s with the
//! same predefined datatype atomic per element, but says nothing about
//! plain stores racing with them. So the window routes every accumulate of
//! a job through one mechanism:
//! - single node: all ranks add directly into shared memory while holding
//!   the target block's spin lock, a word in the block's header;
//! - several nodes: every accumulate, including one into the caller's own
//!   or a same-node block, is an `MPI_Accumulate` on the world window.
//!
//! Either way two accumulates into one element never race.
//!
//! Exit points. Freeing a window, and learning whether every rank's
//! allocation succeeded, meet the other ranks at an exit point of the
//! fault handling (`crate::fault::exit_point`), so that a rank leaving
//! after an error the others never saw ends the job instead of waiting
//! forever.
//!
//! The files: `alloc.rs` allocates and frees windows, `rma.rs` moves data
//! through them (`strided.rs`: stepped sections, only the selected
//! elements), `elements.rs` lists of single elements, `copy.rs` copies the
//! same-node pieces, `pending.rs` keeps what is in flight (per-target
//! ordering, non-blocking reads), `nb.rs` non-blocking puts and
//! accumulates and the scope that keeps their sources alive, `halo.rs`
//! ghost fills, `registry.rs` the live windows for `GA_Sync`,
//! `transfer.rs` cuts transfers into MPI datatypes, `node_copy.rs` and
//! `mapped.rs` hold replicated and file-backed storage, `progress.rs` the
//! progress thread, `atomics.rs` the words of the mutexes
//! (`crate::mutex`) and their single-word MPI atomics, and `ffi/` every
//! MPI call (communicators, windows, RMA, requests, atomics).
//!
//! File-backed windows (`mapped.rs`) keep their data in a mapping of a
//! file instead of the node window: see [`Window::map_file`].
#![allow(unsafe_code)]

mod alloc;
mod atomics;
mod copy;
mod elements;
mod ffi;
mod halo;
mod mapped;
mod nb;
mod node_copy;
mod pending;
mod progress;
mod registry;
mod rma;
mod strided;
mod transfer;

use std::marker::PhantomData;
use std::sync::Arc;

use mpi::ffi::{MPI_Aint, MPI_Comm, MPI_Win};

use crate::element::Element;
use crate::error::Result;

pub(crate) use ffi::{
    Combine, NbMax, PACKET_DATA, abort_world, allreduce_elements, allreduce_packet, at_exit, bcast,
    comm_errors_return, is_mpich, library_version, put_small_as_accumulate, set_thread_level,
    take_rma_turns, world_rank,
};
use pending::Records;

pub(crate) use atomics::AtomicWords;
pub(crate) use copy::Piece;
pub(crate) use elements::{ElementAt, Targets};
pub(crate) use halo::{HaloBuffers, HaloSwap};
pub(crate) use nb::{PendingWrite, WriteScope};
pub(crate) use node_copy::{NodeCopy, even_share};
pub(crate) use pending::PendingRead;
pub(crate) use progress::Progress;
pub(crate) use registry::{Registry, sync_all};

/// Bytes at the start of every rank's segment, before its data: the
/// accumulate lock (first word) and the block length.
const HEADER: usize = 64;
/// Offset in the header of the block length (a `u64`, in elements).
const LEN_AT: usize = 8;
/// Every block's data starts on a multiple of this many bytes: a cache line
/// and the widest SIMD vector (AVX-512), whatever the alignment of the
/// segment base MPI returns (Open MPI 4.1's are 8 mod 64). The data starts
/// `HEADER` to `HEADER + ALIGN - 1` bytes into its segment.
const ALIGN: usize = 64;

/// Where the ranks of a job live, as the window needs it.
pub(crate) struct Placement<'a> {
    /// The job's communicator (a duplicate owned by the runtime).
    pub world: MPI_Comm,
    /// The ranks of `world` that share memory with this one.
    pub node: MPI_Comm,
    /// For each world rank, its rank in `node`, `None` when on another node.
    pub node_rank_of: &'a Arc<[Option<usize>]>,
    /// Whether some rank of `world` is on another node.
    pub spans_nodes: bool,
    /// A duplicate of `world` for the exit points of [`exit_point`] and
    /// the messages of ghost updates ([`Window::swap_halos`]), so they never
    /// match a collective or a message of the program's (point-to-point
    /// messages never match collectives, so the two uses stay apart).
    pub control: MPI_Comm,
    /// The runtime's live windows, for [`sync_all`].
    pub registry: &'a Arc<Registry>,
}

/// How accumulates reach their target (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AccRoute {
    /// Direct adds into shared memory under the block's spin lock.
    SharedLock,
    /// `MPI_Accumulate` on the world window, for every target.
    Mpi,
}

/// One segment per rank of the job, `T` elements each.
pub(crate) struct Window<T: Element> {
    shared: MPI_Win,
    world: Option<MPI_Win>,
    world_comm: MPI_Comm,
    control: MPI_Comm,
    registry: Arc<Registry>,
    id: u64,
    /// Data pointer and length of each same-node rank's block, by node rank.
    peers: Vec<(*mut T, usize)>,
    /// Start of each same-node rank's segment (its header), by node rank.
    heads: Vec<*mut u8>,
    /// Byte offset of each rank's data in its segment, by world rank: the
    /// base of its displacements in either window.
    data_at: Offsets,
    /// For each world rank, its node rank: the runtime's one table,
    /// shared by every window.
    node_rank_of: Arc<[Option<usize>]>,
    my_node_rank: usize,
    separate_model: bool,
    route: AccRoute,
    /// Per world rank, made on first write: the puts and accumulates to it
    /// that may not have completed at the target yet, where they write,
    /// and the copies small ones were issued from. An operation touching
    /// what they may write flushes first, so one rank's operations to one
    /// location take effect in issue order, whichever of its threads
    /// issued them.
    pending: Records,
    max_transfer_bytes: usize,
    freed: bool,
    /// The file mapping holding the blocks of a file-backed window
    /// ([`map_file`](Self::map_file)); `None` for shared memory. Dropped
    /// with the window, after `free` released the MPI windows over it.
    backing: Option<mapped::Backing>,
    _elem: PhantomData<T>,
}

// SAFETY: `&Window` is shared between the threads of one rank so that they
// may get, put, accumulate and fetch-add concurrently. The raw pointers
// point to the node segments (or the file mapping), which live as long as
// the window; `&self` methods only: copy out of them (reads, which race
// only with other writers, as other ranks' writes do), copy into them
// (puts: the `GlobalArray` above keeps them apart from this process's
// views of the block, see `array/local.rs`; two puts to one element at
// once leave either value, as between ranks), add into them under the
// block's lock word, or change the lock word atomically. The
// pending counters are atomic, and MPI calls go through the `ffi` checks of
// the thread level. `&mut self` methods (`local_mut`, `free`) are
// exclusive by the borrow. The window is not `Send`: it is freed,
// collectively, on the thread that created it.
unsafe impl<T: Element> Sync for Window<T> {}

impl<T: Element> Window<T> {
    /// The node (shared-memory) window and the world window, if any.
    pub(crate) fn handles(&self) -> (MPI_Win, Option<MPI_Win>) {
        (self.shared, self.world)
    }

    /// Byte displacement of element `offset` of `rank`'s block in either
    /// window.
    pub(crate) fn displacement(&self, rank: usize, offset: usize) -> MPI_Aint {
        (self.data_at.of(rank) + offset * size_of::<T>()) as MPI_Aint
    }

    /// The accumulate route of this window.
    pub(crate) fn route(&self) -> AccRoute {
        self.route
    }

    /// Whether MPI reported the separate memory model for a window.
    pub(crate) fn separate_model(&self) -> bool {
        self.separate_model
    }

    /// This rank's block, mutably.
    pub(crate) fn local_mut(&mut self) -> &mut [T] {
        assert!(self.writable(), "a mutable view of a read-only mapping");
        let (p, n) = self.peers[self.my_node_rank];
        // SAFETY: the segment holds `n` initialised elements for the
        // window's life, and `&mut self` excludes other borrows through
        // this window on this rank. Other processes may store to it between
        // synchronisations: MPI shared memory, whose reads then return
        // unspecified values, as the crate docs on local views say.
        unsafe { std::slice::from_raw_parts_mut(p, n) }
    }

    /// The number of ranks sharing this node's memory (the node
    /// communicator's size).
    pub(crate) fn node_size(&self) -> usize {
        self.peers.len()
    }

    /// The node rank of world rank `rank`, `None` when it is on another
    /// node (or does not exist).
    pub(crate) fn node_rank(&self, rank: usize) -> Option<usize> {
        self.node_rank_of.get(rank).copied().flatten()
    }

    /// Completes this rank's accumulates to same-node `rank` that may still
    /// be in flight, so that plain loads and stores of its block, and views
    /// of it, come after them. Only a job spanning nodes routes same-node
    /// accumulates through MPI; otherwise nothing is pending and this is
    /// one atomic load.
    pub(crate) fn settle(&self, rank: usize) -> Result<()> {
        match self.world {
            Some(world) => self.order_after_pending(world, rank),
            None => Ok(()),
        }
    }

    /// [`settle`](Self::settle) for an access with footprint `f` only:
    /// completes the accumulates in flight that may write what it touches.
    pub(crate) fn settle_for(&self, rank: usize, f: pending::Footprint) -> Result<()> {
        match self.world {
            Some(world) => self.order_before(world, rank, f),
            None => Ok(()),
        }
    }
}

/// Where each rank's data starts in its segment, by world rank: the base
/// of its displacements in either window.
pub(crate) enum Offsets {
    /// Every rank's is the same, as when MPI hands out segments aligned
    /// alike (both MPIs do here): nothing per rank.
    Same(usize),
    /// One per rank.
    PerRank(Box<[usize]>),
}

impl Offsets {
    /// Collective over `world`: every rank's offset `mine`. One allreduce
    /// of two words learns whether they are all the same; only when they
    /// are not do the ranks gather every one (O(P) memory and data per
    /// rank, which a job of 10,000 ranks would pay per array).
    pub(crate) fn gather(world: MPI_Comm, mine: usize) -> Result<Offsets> {
        let mut range = [mine as u64, u64::MAX - mine as u64];
        ffi::allreduce_elements(world, &mut range, ffi::Combine::Max)?;
        let (hi, lo) = (range[0], u64::MAX - range[1]);
        if hi == lo {
            return Ok(Offsets::Same(mine));
        }
        let all = ffi::allgather_u64(world, mine as u64)?;
        Ok(Offsets::PerRank(
            all.into_iter().map(|a| a as usize).collect(),
        ))
    }

    /// World rank `rank`'s offset.
    pub(crate) fn of(&self, rank: usize) -> usize {
        match self {
            Offsets::Same(at) => *at,
            Offsets::PerRank(all) => all[rank],
        }
    }
}

/// A communicator the threads of a rank share through the runtime: the
/// MPI handle, with rsmpi's safe API through `Deref`.
pub(crate) struct SharedComm(mpi::topology::SimpleCommunicator);

// SAFETY: MPI lets any thread use a communicator under
// `MPI_THREAD_MULTIPLE`, the level `gain::init` asks for; below it the
// window layer refuses other threads' MPI calls with `ThreadLevel`, and
// the user's own calls through `Runtime::comm` are theirs to order. The
// handle itself never changes after creation, and it is freed by the
// runtime's last drop, on the thread that created it (the runtime is
// `!Send`).
unsafe impl Send for SharedComm {}
// SAFETY: as for `Send`.
unsafe impl Sync for SharedComm {}

impl SharedComm {
    /// Wraps `comm` for sharing between the threads of this rank.
    pub(crate) fn new(comm: mpi::topology::SimpleCommunicator) -> SharedComm {
        SharedComm(comm)
    }
}

impl std::ops::Deref for SharedComm {
    type Target = mpi::topology::SimpleCommunicator;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}
