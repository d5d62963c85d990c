//! The window layer: MPI windows and the crate's only MPI FFI, with all the
//! `unsafe` code they need. Everything above it moves data through the safe
//! methods of [`Window`] and of [`NodeCopy`] (`node_copy.rs`: one block
//! per node instead of one per rank, the storage of replicated arrays).
//! (The crate's other `unsafe` code is small and has nothing to do with
//! MPI: the prefetch hints of `prefetch.rs`, OpenBLAS's thread setter in
//! `blas.rs`, the byte views of element slices in `element.rs` and the
//! file mappings of `io/npy.rs`.)
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
//! Exit points. Freeing a window is collective, so a rank that drops its
//! arrays while leaving after an error the others never saw would wait
//! forever. Every free first meets the other ranks in a non-blocking
//! allreduce on a communicator of its own ([`exit_point`]); a rank with a
//! pending error (`fault.rs`) waits only a bounded time there and then
//! aborts the job with that error's message. Allocation uses the same
//! meeting to learn whether every rank's shared memory was allocated.
//!
//! File-backed windows (`mapped.rs`) keep their data in a mapping of a
//! file instead of the node window: see [`Window::map_file`].

mod ffi;
mod mapped;
mod node_copy;
mod progress;
mod transfer;

use std::marker::PhantomData;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use std::mem::MaybeUninit;

use mpi::ffi::{MPI_Aint, MPI_Comm, MPI_Win};
use ndarray::{Array, ArrayView, ArrayViewMut, Axis, Dimension, IxDyn, Zip};

use crate::dist::{Section, narrow};
use crate::element::Element;
use crate::error::{Error, Result};
use crate::fault;

use ffi::Rma;
pub(crate) use ffi::{
    abort_world, at_exit, comm_errors_return, library_version, set_thread_level, world_rank,
};
use transfer::{Chunk, Dim};

pub(crate) use node_copy::{NodeCopy, even_share};
pub(crate) use progress::Progress;

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
    pub node_rank_of: &'a [Option<usize>],
    /// Whether some rank of `world` is on another node.
    pub spans_nodes: bool,
    /// A duplicate of `world` for the exit points of [`exit_point`] alone,
    /// so they never match a collective of the program's.
    pub control: MPI_Comm,
    /// The runtime's live windows, for [`sync_all`].
    pub registry: &'a Arc<Registry>,
}

/// A live window in a [`Registry`]: its id, node window, world window
/// and whether either uses the separate memory model.
type Live = (u64, MPI_Win, Option<MPI_Win>, bool);

/// The live windows of one runtime, so that [`sync_all`] can complete
/// every array's operations (`GA_Sync`).
#[derive(Default)]
pub(crate) struct Registry {
    live: Mutex<Vec<Live>>,
    next: AtomicU64,
}

// SAFETY: the registry holds window handles (pointers in Open MPI) only to
// pass them to MPI, which any thread may call under
// `MPI_THREAD_MULTIPLE`; the list itself is behind a `Mutex`.
unsafe impl Send for Registry {}
// SAFETY: as for `Send`.
unsafe impl Sync for Registry {}

impl Registry {
    fn add(&self, shared: MPI_Win, world: Option<MPI_Win>, separate: bool) -> u64 {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.live().push((id, shared, world, separate));
        id
    }

    fn remove(&self, id: u64) {
        self.live().retain(|w| w.0 != id);
    }

    /// The list; a thread that panicked holding it left it whole (each
    /// change is one push or retain), so a poisoned lock is taken as is.
    fn live(&self) -> std::sync::MutexGuard<'_, Vec<Live>> {
        self.live.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Collective over the world: `MPI_Win_create` of the world window over
/// `bytes` bytes at `base`, inside this rank's node window `shared`, the
/// ranks agreeing on the outcome at exit point `point`. Failing on every
/// rank (Open MPI's `osc/rdma`, which has no transport over TCP, across
/// hosts) is an error on every rank, with a hint, after the ranks free
/// the node window together; on some ranks only, the ranks can no longer
/// free it together, and the job aborts with the failing rank's message.
fn world_window_together(
    place: &Placement<'_>,
    shared: MPI_Win,
    base: *mut u8,
    bytes: MPI_Aint,
    point: &str,
) -> Result<MPI_Win> {
    let made = ffi::create_world(place.world, base, bytes);
    let elsewhere = "MPI_Win_create of the world window failed on another rank";
    agree(place.control, made, point, elsewhere, point).or_else(|e| {
        // Every rank failed alike: release the node window together.
        ffi::free(shared)?;
        Err(Error::new(
            e.kind(),
            format!(
                "{e}: the MPI library cannot make a window spanning the job's nodes \
                 (Open MPI over TCP: choose a one-sided component that can, such as \
                 `--mca osc sm,ucx`, which gain::init picks when OMPI_MCA_osc is unset; \
                 gain::guide::hosts)"
            ),
        ))
    })
}

/// Collective over `world`: completes every operation this rank issued on
/// any live window of `registry`, makes every store visible, waits for
/// every rank, and makes their stores visible here.
pub(crate) fn sync_all(registry: &Registry, world: MPI_Comm) -> Result<()> {
    let live = registry.live().clone();
    let win_syncs = || -> Result<()> {
        for &(_, shared, remote, separate) in &live {
            ffi::win_sync(shared)?;
            if let Some(w) = remote
                && separate
            {
                ffi::win_sync(w)?;
            }
        }
        Ok(())
    };
    for &(_, _, remote, _) in &live {
        if let Some(w) = remote {
            ffi::flush_all(w)?;
        }
    }
    win_syncs()?;
    ffi::barrier(world)?;
    fault::completed();
    win_syncs()
}

/// Collective over `control`: a point where a rank may be leaving the
/// program (freeing a window, dropping the runtime) or must learn whether
/// every rank can go on (after an allocation). Every rank contributes
/// `flags`; all get the elementwise maximum. A rank with an error — `own`,
/// or its pending one (see `fault.rs`) — waits at most the fault timeout
/// and then aborts the job with that error's message: the other ranks are
/// not coming, and would otherwise wait forever. Any other rank waits as
/// long as it takes; it pays one small non-blocking reduction.
pub(crate) fn exit_point(
    control: MPI_Comm,
    flags: [u64; 2],
    own: Option<&Error>,
    point: &str,
) -> Result<[u64; 2]> {
    let leaving = own.cloned().or_else(fault::pending);
    let mut nb = ffi::NbMax::start(control, flags)?;
    let max = match leaving {
        None => nb.wait()?,
        Some(e) => {
            let deadline = Instant::now() + fault::timeout();
            loop {
                if let Some(max) = nb.test()? {
                    break max;
                }
                if Instant::now() >= deadline {
                    abort_with(&e, point);
                }
                std::thread::sleep(Duration::from_micros(200));
            }
        }
    };
    fault::completed();
    Ok(max)
}

/// Collective over `control`, at exit point `point`: the ranks agree on
/// the outcome of a step every rank took (an allocation, a window's
/// creation). Succeeding everywhere is `Ok` everywhere, failing everywhere
/// the own error everywhere; on some ranks only, the ranks are out of
/// step, and the job aborts with the failing rank's message (`point`) or,
/// on a rank that succeeded, with `elsewhere` (at `consistent`).
pub(crate) fn agree<T>(
    control: MPI_Comm,
    outcome: Result<T>,
    point: &str,
    elsewhere: &str,
    consistent: &str,
) -> Result<T> {
    let failed = outcome.is_err() as u64;
    let [any_failed, any_ok] =
        exit_point(control, [failed, 1 - failed], outcome.as_ref().err(), point)?;
    match outcome {
        Ok(v) if any_failed == 0 => Ok(v),
        Err(e) if any_ok == 0 => Err(e),
        Err(e) => abort_with(&e, point),
        Ok(_) => abort_with(
            &Error::new(crate::ErrorKind::Mpi, elsewhere.to_string()),
            consistent,
        ),
    }
}

/// Prints why this rank stops the job, then `MPI_Abort`s it.
pub(crate) fn abort_with(e: &Error, point: &str) -> ! {
    // One write, so that lines of ranks aborting together do not mix.
    let text = format!("{}\n", fault::abort_message(e, point));
    let _ = std::io::Write::write_all(&mut std::io::stderr(), text.as_bytes());
    // Give the launcher time to forward the message: MPICH's hydra can
    // kill the job before draining the rank's pipe.
    std::thread::sleep(Duration::from_millis(300));
    abort_world(1)
}

/// One rank's share of a section: the owner, the shape of its whole block,
/// and the share's position in that block and in the caller's buffer.
#[derive(Debug, Clone)]
pub(crate) struct Piece<'a> {
    pub rank: usize,
    pub block: &'a [usize],
    pub in_block: Section,
    pub in_buf: Section,
}

fn check_cover(pieces: &[Piece<'_>], total: usize) -> Result<()> {
    let covered: usize = pieces.iter().map(|p| p.in_buf.len()).sum();
    if covered != total {
        return Err(crate::Error::new(
            crate::ErrorKind::ShapeMismatch,
            format!("pieces cover {covered} of {total} elements"),
        ));
    }
    Ok(())
}

/// A destination element: `T` itself or a not yet initialised `T`; both
/// have `T`'s layout, so raw copies and MPI may write either.
trait Slot<T: Copy>: Sized {
    fn set(&mut self, v: T);
}
impl<T: Copy> Slot<T> for T {
    fn set(&mut self, v: T) {
        *self = v;
    }
}
impl<T: Copy> Slot<T> for MaybeUninit<T> {
    fn set(&mut self, v: T) {
        self.write(v);
    }
}

/// Copies `src` into `dst` (same shape): one `memcpy` when both are
/// contiguous in the same order, one per row when rows are contiguous,
/// elementwise otherwise.
fn copy_into<T: Copy, S: Slot<T>>(
    dst: &mut ArrayViewMut<'_, S, IxDyn>,
    src: &ArrayView<'_, T, IxDyn>,
) {
    let same_order = dst.strides() == src.strides();
    match (dst.as_slice_memory_order_mut(), src.as_slice_memory_order()) {
        (Some(d), Some(s)) if same_order => {
            // SAFETY: `S` has `T`'s layout and both slices have the same
            // length; `copy` allows a source and destination that overlap
            // (a put from an array's own block into itself).
            unsafe { std::ptr::copy(s.as_ptr(), d.as_mut_ptr() as *mut T, s.len()) }
        }
        _ => {
            let by_rows = zip_rows(dst, src, |d, s| {
                // SAFETY: as above, for one row of equal length.
                unsafe { std::ptr::copy(s.as_ptr(), d.as_mut_ptr() as *mut T, s.len()) }
            });
            if !by_rows {
                Zip::from(dst).and(src).for_each(|d, &s| d.set(s));
            }
        }
    }
}

/// Calls `f` on each pair of innermost rows of two views of one shape when
/// both have unit stride along the last axis; returns `false` (and does
/// nothing) otherwise. Row loops vectorise; elementwise `IxDyn` zips do not.
fn zip_rows<A, B>(
    dst: &mut ArrayViewMut<'_, A, IxDyn>,
    src: &ArrayView<'_, B, IxDyn>,
    mut f: impl FnMut(&mut [A], &[B]),
) -> bool {
    let Some(last) = dst.ndim().checked_sub(1) else {
        return false;
    };
    let unit = |len: usize, stride: isize| len <= 1 || stride == 1;
    if !unit(dst.len_of(Axis(last)), dst.strides()[last])
        || !unit(src.len_of(Axis(last)), src.strides()[last])
    {
        return false;
    }
    Zip::from(dst.rows_mut())
        .and(src.rows())
        .for_each(|mut d, s| {
            f(
                d.as_slice_mut().expect("unit-stride row"),
                s.as_slice().expect("unit-stride row"),
            )
        });
    true
}

/// `dst += alpha * src`, elementwise, row by row where possible. Integers
/// wrap on overflow, as `MPI_SUM` does on the MPI route, so both routes
/// give the same result.
fn add_scaled<T: Element>(
    dst: &mut ArrayViewMut<'_, T, IxDyn>,
    src: &ArrayView<'_, T, IxDyn>,
    alpha: T,
) {
    let by_rows = zip_rows(dst, src, |d, s| {
        if alpha == T::one() {
            d.iter_mut()
                .zip(s)
                .for_each(|(d, &s)| *d = d.wrapping_add(s));
        } else {
            d.iter_mut()
                .zip(s)
                .for_each(|(d, &s)| *d = d.wrapping_add(alpha.wrapping_mul(s)));
        }
    });
    if !by_rows {
        Zip::from(dst)
            .and(src)
            .for_each(|d, &s| *d = d.wrapping_add(alpha.wrapping_mul(s)));
    }
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
    data_at: Vec<usize>,
    node_rank_of: Vec<Option<usize>>,
    my_node_rank: usize,
    separate_model: bool,
    route: AccRoute,
    /// Per world rank: the puts and accumulates to it that may not have
    /// completed at the target yet. The next operation to that rank flushes
    /// first, so one rank's operations to one location take effect in issue
    /// order, whichever of its threads issued them.
    pending: Vec<Pending>,
    max_transfer_bytes: usize,
    freed: bool,
    /// The file mapping holding the blocks of a file-backed window
    /// ([`map_file`](Self::map_file)); `None` for shared memory. Dropped
    /// with the window, after `free` released the MPI windows over it.
    backing: Option<mapped::Backing>,
    _elem: PhantomData<T>,
}

/// The puts and accumulates one process has issued to one target rank, and
/// how many of them a completed flush is known to cover.
///
/// Two counters rather than one flag because a rank's threads share them: a
/// thread that finds operations outstanding flushes and only then records
/// the count it saw, so another thread never skips its flush on the word of
/// a flush that has not finished, nor a flush that began before its own put
/// was issued.
struct Pending {
    /// Operations issued, counted after each `MPI_Put`/`MPI_Accumulate`
    /// call returned.
    issued: AtomicU64,
    /// The largest `issued` count read before a flush that then completed.
    flushed: AtomicU64,
}

impl Pending {
    fn per_rank(n: usize) -> Vec<Pending> {
        (0..n)
            .map(|_| Pending {
                issued: AtomicU64::new(0),
                flushed: AtomicU64::new(0),
            })
            .collect()
    }

    /// Counts an operation whose MPI call has returned.
    fn issue(&self) {
        // Release: a thread that reads this count (Acquire) and then
        // flushes, flushes after the operation was issued.
        self.issued.fetch_add(1, Ordering::Release);
    }

    fn issued(&self) -> u64 {
        self.issued.load(Ordering::Acquire)
    }

    fn flushed(&self) -> u64 {
        self.flushed.load(Ordering::Acquire)
    }

    /// Records that a flush begun after `issued()` returned `n` completed.
    fn flushed_up_to(&self, n: u64) {
        self.flushed.fetch_max(n, Ordering::Release);
    }
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
    /// Collectively allocates `len` elements on this rank (zeroed), with the
    /// memory shared with the node and, when the job spans nodes, exposed
    /// to the world.
    ///
    /// A failed node allocation (MPI found too little shared memory) on
    /// every rank is an error on every rank, with nothing left allocated.
    /// On some ranks only, the ranks can no longer free the window together,
    /// so the job aborts with the failing rank's message; so does any later
    /// failure of the MPI calls that set the window up, which would leave
    /// the ranks out of step.
    ///
    /// A malformed `GAIN_MAX_TRANSFER_BYTES` is an error before any MPI
    /// call, so every rank (all read the same environment) returns it and
    /// none waits in the allocation.
    pub(crate) fn allocate(place: &Placement<'_>, len: usize) -> Result<Self> {
        let max_transfer_bytes = transfer::max_transfer_bytes()?;
        let bytes = len
            .checked_mul(size_of::<T>())
            .and_then(|b| b.checked_add(HEADER + ALIGN))
            .filter(|&b| b <= isize::MAX as usize)
            .ok_or_else(|| {
                crate::Error::new(
                    crate::ErrorKind::SizeOverflow,
                    format!("a block of {len} elements does not fit in memory"),
                )
            })?;
        let (shared, base) = Self::allocate_node(place, bytes)?;
        let world = Self::allocate_world(place, shared, base, bytes)?;
        match Self::set_up(place, len, bytes, shared, world, base, max_transfer_bytes) {
            Ok(win) => Ok(win),
            Err(e) => abort_with(&e, "the end of an array's set-up"),
        }
    }

    /// Collectively allocates this rank's segment of `bytes` bytes of a
    /// new node window ([`ffi::allocate_shared`]) and learns whether every
    /// rank's allocation succeeded: an error on every rank when all failed,
    /// the job aborted with the failing rank's message when some did.
    fn allocate_node(place: &Placement<'_>, bytes: usize) -> Result<(MPI_Win, *mut u8)> {
        let alloc = if fault::inject_alloc_failure() {
            Err(Error::new(
                crate::ErrorKind::Mpi,
                format!(
                    "MPI_Win_allocate_shared of {bytes} bytes: failure injected by {}",
                    fault::INJECT_VAR
                ),
            ))
        } else {
            ffi::allocate_shared(place.node, bytes as MPI_Aint)
        };
        let (shared, base) = agree(
            place.control,
            alloc,
            "the end of an array's allocation",
            "the allocation of an array's shared memory failed on another rank",
            "a consistent allocation",
        )?;
        Ok((shared, base))
    }

    /// The world window over this rank's node segment (`shared`, from
    /// `base`, `bytes` long) when the job spans nodes
    /// ([`world_window_together`]).
    fn allocate_world(
        place: &Placement<'_>,
        shared: MPI_Win,
        base: *mut u8,
        bytes: usize,
    ) -> Result<Option<MPI_Win>> {
        if !place.spans_nodes {
            return Ok(None);
        }
        let point = "the creation of an array's world window";
        world_window_together(place, shared, base, bytes as MPI_Aint, point).map(Some)
    }

    /// The rest of [`allocate`](Self::allocate) once every rank holds its
    /// node segment and, across nodes, its world window: headers, peers,
    /// the first sync.
    #[allow(clippy::too_many_arguments)]
    fn set_up(
        place: &Placement<'_>,
        len: usize,
        bytes: usize,
        shared: MPI_Win,
        world: Option<MPI_Win>,
        base: *mut u8,
        max_transfer_bytes: usize,
    ) -> Result<Self> {
        let node_size = ffi::comm_size(place.node)?;
        let my_node_rank = ffi::comm_rank(place.node)?;
        let data_at = HEADER + (base as usize + HEADER).wrapping_neg() % ALIGN;
        let full = format!(
            "gain: rank {}: the node's shared memory ran out (SIGBUS) while this rank zeroed its \
             {bytes}-byte block of a new array; /dev/shm is too small for the job's arrays \
             (containers: enlarge it, e.g. `docker run --shm-size`)",
            fault::rank().map_or("?".to_string(), |r| r.to_string())
        );
        // SAFETY: `base` points to `bytes` writable bytes that belong to this
        // rank; nobody else touches them before the barrier in `sync` below.
        // The header records the block length (MPI may round segment sizes).
        ffi::on_bus_error(full, || unsafe {
            std::ptr::write_bytes(base, 0, bytes);
            (base.add(LEN_AT) as *mut u64).write(len as u64);
        });
        let mut segments = Vec::with_capacity(node_size);
        for r in 0..node_size {
            let (ptr, size) = ffi::shared_query(shared, r)?;
            if (size as usize) < HEADER + ALIGN {
                return Err(crate::Error::new(
                    crate::ErrorKind::Mpi,
                    format!("MPI_Win_shared_query gave a segment of {size} bytes"),
                ));
            }
            segments.push(ptr);
        }
        let data_at: Vec<usize> = ffi::allgather_u64(place.world, data_at as u64)?
            .into_iter()
            .map(|a| a as usize)
            .collect();
        // Where each same-node rank's data starts in its segment, by node
        // rank.
        let mut peer_data_at = vec![0; node_size];
        for (&nr, &at) in place.node_rank_of.iter().zip(&data_at) {
            if let Some(nr) = nr {
                peer_data_at[nr] = at;
            }
        }
        let mut separate_model = ffi::is_separate(shared)?;
        if let Some(w) = world {
            separate_model |= ffi::is_separate(w)?;
        }
        let id = place.registry.add(shared, world, separate_model);
        let mut win = Window {
            shared,
            world,
            world_comm: place.world,
            control: place.control,
            registry: place.registry.clone(),
            id,
            peers: Vec::new(),
            heads: segments.clone(),
            data_at,
            node_rank_of: place.node_rank_of.to_vec(),
            my_node_rank,
            separate_model,
            route: if place.spans_nodes {
                AccRoute::Mpi
            } else {
                AccRoute::SharedLock
            },
            pending: Pending::per_rank(place.node_rank_of.len()),
            max_transfer_bytes,
            freed: false,
            backing: None,
            _elem: PhantomData,
        };
        win.sync()?;
        // Every rank wrote its header before the barrier in `sync`.
        win.peers = segments
            .iter()
            .zip(peer_data_at)
            // SAFETY: each segment starts with a header whose length word its
            // owner wrote before the barrier; its data starts `at` bytes in
            // (`at < HEADER + ALIGN`, and the segment holds `HEADER + ALIGN`
            // bytes more than the data).
            .map(|(&p, at)| unsafe {
                let n = (p.add(LEN_AT) as *const u64).read_volatile() as usize;
                (p.add(at) as *mut T, n)
            })
            .collect();
        Ok(win)
    }

    /// The node (shared-memory) window and the world window, if any.
    pub(crate) fn handles(&self) -> (MPI_Win, Option<MPI_Win>) {
        (self.shared, self.world)
    }

    /// Byte displacement of element `offset` of `rank`'s block in either
    /// window.
    pub(crate) fn displacement(&self, rank: usize, offset: usize) -> MPI_Aint {
        (self.data_at[rank] + offset * size_of::<T>()) as MPI_Aint
    }

    /// The accumulate route of this window.
    pub(crate) fn route(&self) -> AccRoute {
        self.route
    }

    /// Whether MPI reported the separate memory model for a window.
    pub(crate) fn separate_model(&self) -> bool {
        self.separate_model
    }

    /// This rank's block.
    pub(crate) fn local(&self) -> &[T] {
        let (p, n) = self.peers[self.my_node_rank];
        // SAFETY: the segment holds `n` initialised elements for the
        // window's life. This process writes it only through `&mut self`
        // or through `write`/`accumulate`/`fetch_add`, which the array
        // layer refuses while it has handed out a view made from this
        // slice (its per-block view counts). Other processes may store to
        // it between synchronisations: MPI shared memory, whose reads then
        // return unspecified values, as the crate docs on local views say.
        unsafe { std::slice::from_raw_parts(p, n) }
    }

    /// This rank's block, mutably.
    pub(crate) fn local_mut(&mut self) -> &mut [T] {
        assert!(self.writable(), "a mutable view of a read-only mapping");
        let (p, n) = self.peers[self.my_node_rank];
        // SAFETY: as in `local`; `&mut self` excludes other borrows through
        // this window on this rank.
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

    /// The block of world rank `rank` when it shares this node's memory.
    pub(crate) fn peer(&self, rank: usize) -> Option<&[T]> {
        let nr = (*self.node_rank_of.get(rank)?)?;
        let (p, n) = self.peers[nr];
        // SAFETY: as in `local`.
        Some(unsafe { std::slice::from_raw_parts(p, n) })
    }

    /// Reads the pieces of a section into a new array of shape `dim`.
    /// The pieces must be disjoint and cover `dim` (as a distribution's
    /// `locate_region` yields them); this is checked before anything moves.
    pub(crate) fn read_new<D: Dimension>(
        &self,
        pieces: &[Piece<'_>],
        dim: D,
    ) -> Result<Array<T, D>> {
        check_cover(pieces, dim.size())?;
        let mut out = Array::<T, D>::uninit(dim);
        if let [p] = pieces {
            // One piece covers the whole array: no view conversions.
            self.read_piece(p, out.view_mut())?;
        } else {
            let mut all = out.view_mut().into_dyn();
            for p in pieces {
                self.read_piece(p, narrow(all.view_mut(), &p.in_buf))?;
            }
        }
        // SAFETY: the pieces are disjoint and their sizes add up to the
        // array's, so every element was written above.
        Ok(unsafe { out.assume_init() })
    }

    /// Reads the pieces of a section into `dst`, which has its shape.
    pub(crate) fn read_into<E: Dimension>(
        &self,
        pieces: &[Piece<'_>],
        dst: ArrayViewMut<'_, T, E>,
    ) -> Result<()> {
        if let [p] = pieces {
            // One piece covers the whole buffer: no view conversions.
            return self.read_piece(p, dst);
        }
        let mut dst = dst.into_dyn();
        for p in pieces {
            self.read_piece(p, narrow(dst.view_mut(), &p.in_buf))?;
        }
        Ok(())
    }

    /// Starts reading the pieces of a section into a new array of shape
    /// `dim` and returns without waiting for other nodes: same-node pieces
    /// are copied now, remote ones are issued as `MPI_Get`s that
    /// [`PendingRead::wait`] completes. Checks as [`read_new`](Self::read_new).
    pub(crate) fn read_start<D: Dimension>(
        &self,
        pieces: &[Piece<'_>],
        dim: D,
    ) -> Result<PendingRead<'_, T, D>> {
        check_cover(pieces, dim.size())?;
        let mut read = PendingRead {
            win: self,
            out: Array::uninit(dim),
            targets: Vec::new(),
        };
        let mut all = read.out.view_mut().into_dyn();
        for p in pieces {
            let mut dst = narrow(all.view_mut(), &p.in_buf);
            if self.node_rank_of[p.rank].is_some() {
                self.read_piece(p, dst)?;
                continue;
            }
            let world = self.world.expect("remote rank implies a world window");
            self.order_after_pending(world, p.rank)?;
            let origin = dst.as_mut_ptr() as *mut T;
            // SAFETY: `origin` and the strides describe part of the heap
            // buffer of `read.out` (positive strides: it is new and in
            // standard layout), which `read` keeps alive, and does not
            // move, until the gets are flushed in `wait` or `drop`. The
            // target is recorded before the first get can fail halfway.
            if !read.targets.contains(&p.rank) {
                read.targets.push(p.rank);
            }
            let issued =
                unsafe { self.issue(world, Rma::Get, p, origin, dst.shape(), dst.strides())? };
            assert!(
                issued,
                "a new standard-layout buffer has no negative strides"
            );
        }
        Ok(read)
    }

    fn read_piece<S: Slot<T>, E: Dimension>(
        &self,
        p: &Piece<'_>,
        dst: ArrayViewMut<'_, S, E>,
    ) -> Result<()> {
        if let Some(nr) = self.node_rank_of[p.rank] {
            self.settle(p.rank)?;
            let mut dst = dst;
            if let Some((at, n)) = self.peer_run(nr, p, dst.shape(), dst.strides()) {
                // SAFETY: `peer_run` checked that `n` elements from `at`
                // are inside the segment and that `dst` is one run of `n`
                // elements (`S` has `T`'s layout).
                unsafe { std::ptr::copy(at, dst.as_mut_ptr() as *mut T, n) };
            } else {
                copy_into(
                    &mut dst.into_dyn(),
                    &self.peer_view(nr, p.block, &p.in_block),
                );
            }
            return Ok(());
        }
        let world = self.world.expect("remote rank implies a world window");
        self.order_after_pending(world, p.rank)?;
        let mut dst = dst;
        let origin = dst.as_mut_ptr() as *mut T;
        // SAFETY: `origin` and the strides describe `dst` (a `T` or
        // `MaybeUninit<T>` view, same layout), which outlives the flush.
        if unsafe { self.issue(world, Rma::Get, p, origin, dst.shape(), dst.strides())? } {
            return ffi::complete_gets(world, p.rank);
        }
        // Negative strides: get into a standard-layout buffer, then copy.
        let shape = dst.shape().to_vec();
        let whole = Piece {
            in_buf: Section::full(&shape),
            ..p.clone()
        };
        let tmp = self.read_new(std::slice::from_ref(&whole), IxDyn(&shape))?;
        copy_into(&mut dst.into_dyn(), &tmp.view());
        Ok(())
    }

    /// Writes `src` (shaped like the section) into the pieces' owners.
    pub(crate) fn write(&self, pieces: &[Piece<'_>], src: ArrayView<'_, T, IxDyn>) -> Result<()> {
        self.check_writable()?;
        for p in pieces {
            let part = narrow(src.view(), &p.in_buf);
            if let Some(nr) = self.node_rank_of[p.rank] {
                self.settle(p.rank)?;
                if let Some((at, n)) = self.peer_run(nr, p, part.shape(), part.strides()) {
                    // SAFETY: as in `read_piece`; `copy` allows overlap.
                    unsafe { std::ptr::copy(part.as_ptr(), at, n) };
                } else {
                    copy_into(&mut self.peer_view_mut(nr, p.block, &p.in_block), &part);
                }
            } else {
                let world = self.world.expect("remote rank implies a world window");
                self.put_like(world, Rma::Put, p, part)?;
            }
        }
        Ok(())
    }

    /// Atomically adds `alpha * src` (shaped like the section) into the
    /// pieces' owners, element by element.
    pub(crate) fn accumulate(
        &self,
        pieces: &[Piece<'_>],
        src: ArrayView<'_, T, IxDyn>,
        alpha: T,
    ) -> Result<()> {
        self.check_writable()?;
        for p in pieces {
            let part = narrow(src.view(), &p.in_buf);
            match self.route {
                AccRoute::SharedLock => {
                    let nr = self.node_rank_of[p.rank].expect("single-node job");
                    let mut dst = self.peer_view_mut(nr, p.block, &p.in_block);
                    let _guard = self.lock(nr);
                    add_scaled(&mut dst, &part, alpha);
                }
                AccRoute::Mpi => {
                    let world = self.world.expect("multi-node job");
                    if alpha == T::one() {
                        self.put_like(world, Rma::AccumulateSum, p, part)?;
                    } else {
                        // Scaled with wrapping, as the shared-lock route does.
                        let scaled = part.mapv(|s| alpha.wrapping_mul(s));
                        self.put_like(world, Rma::AccumulateSum, p, scaled.view())?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Atomically adds `v` to element `offset` of `rank`'s block: the
    /// one-element `accumulate`, without the views and pieces of a
    /// region (a histogram bin, a tally).
    pub(crate) fn accumulate_one(&self, rank: usize, offset: usize, v: T) -> Result<()> {
        self.check_writable()?;
        match self.route {
            AccRoute::SharedLock => {
                let nr = self.node_rank_of[rank].expect("single-node job");
                let (p, n) = self.peers[nr];
                assert!(offset < n, "element outside its block");
                let _guard = self.lock(nr);
                // SAFETY: in bounds; the block lock serialises every
                // accumulate and fetch-add on this block, and volatile
                // accesses, as other ranks' plain puts may store to shared
                // memory between synchronisations.
                unsafe {
                    let e = p.add(offset);
                    e.write_volatile(e.read_volatile().wrapping_add(v));
                }
                Ok(())
            }
            AccRoute::Mpi => {
                let world = self.world.expect("multi-node job");
                self.order_after_pending(world, rank)?;
                // SAFETY: `v` is one `T` that outlives the local flush
                // below; an accumulate only reads it.
                unsafe {
                    let disp = self.displacement(rank, offset);
                    ffi::rma(
                        Rma::AccumulateSum,
                        world,
                        rank,
                        disp,
                        &v as *const T as *mut T,
                        &[Dim::run(1)],
                    )?;
                }
                self.pending[rank].issue();
                ffi::flush_local(world, rank)
            }
        }
    }

    /// Element `offset` of `rank`'s block: a load from shared memory on
    /// this node, one `MPI_Get` otherwise.
    pub(crate) fn read_one(&self, rank: usize, offset: usize) -> Result<T> {
        if let Some(nr) = self.node_rank_of[rank] {
            self.settle(rank)?;
            let (p, n) = self.peers[nr];
            assert!(offset < n, "element outside its block");
            // SAFETY: in bounds; a volatile load, as other ranks may store
            // to shared memory between synchronisations.
            return Ok(unsafe { p.add(offset).read_volatile() });
        }
        let world = self.world.expect("remote rank implies a world window");
        self.order_after_pending(world, rank)?;
        let mut v = T::zero();
        // SAFETY: `v` is one writable `T` that outlives the flush below.
        unsafe {
            let disp = self.displacement(rank, offset);
            ffi::rma(
                Rma::Get,
                world,
                rank,
                disp,
                &mut v as *mut T,
                &[Dim::run(1)],
            )?;
        }
        ffi::complete_gets(world, rank)?;
        Ok(v)
    }

    /// Atomically adds `inc` to element `offset` of `rank`'s block and
    /// returns the value before.
    pub(crate) fn fetch_add(&self, rank: usize, offset: usize, inc: T) -> Result<T> {
        self.check_writable()?;
        match self.route {
            AccRoute::SharedLock => {
                let nr = self.node_rank_of[rank].expect("single-node job");
                let (p, n) = self.peers[nr];
                assert!(offset < n);
                let _guard = self.lock(nr);
                // SAFETY: in bounds; the block lock serialises every
                // accumulate and fetch-add on this block.
                unsafe {
                    let e = p.add(offset);
                    let old = e.read_volatile();
                    // Wrapping, as `MPI_SUM` in `MPI_Fetch_and_op` does.
                    e.write_volatile(old.wrapping_add(inc));
                    Ok(old)
                }
            }
            AccRoute::Mpi => {
                let world = self.world.expect("multi-node job");
                let disp = self.displacement(rank, offset);
                self.order_after_pending(world, rank)?;
                ffi::fetch_and_add(world, rank, disp, inc)
            }
        }
    }

    /// Waits until this rank's remote puts and accumulates are complete at
    /// their targets.
    pub(crate) fn complete(&self) -> Result<()> {
        let Some(w) = self.world else {
            return Ok(());
        };
        let issued: Vec<u64> = self.pending.iter().map(Pending::issued).collect();
        ffi::flush_all(w)?;
        for (p, n) in self.pending.iter().zip(issued) {
            p.flushed_up_to(n);
        }
        Ok(())
    }

    /// Collective: completes every rank's operations, makes every store
    /// visible to every rank, then returns after a barrier.
    pub(crate) fn sync(&self) -> Result<()> {
        self.complete()?;
        self.win_syncs()?;
        ffi::barrier(self.world_comm)?;
        fault::completed();
        self.win_syncs()
    }

    fn win_syncs(&self) -> Result<()> {
        ffi::win_sync(self.shared)?;
        if let Some(w) = self.world
            && self.separate_model
        {
            ffi::win_sync(w)?;
        }
        Ok(())
    }

    /// Collective: releases both windows. Called by `Drop` when not called
    /// before. The ranks meet at an [`exit_point`] first: a rank dropping
    /// its arrays because it returned an error the others did not see ends
    /// the job instead of waiting in `MPI_Win_free` forever.
    pub(crate) fn free(&mut self) -> Result<()> {
        if self.freed {
            return Ok(());
        }
        self.freed = true;
        self.registry.remove(self.id);
        self.complete()?;
        exit_point(
            self.control,
            [0; 2],
            None,
            "the collective free of an array",
        )?;
        if let Some(w) = self.world.take() {
            ffi::free(w)?;
        }
        ffi::free(self.shared)
    }

    fn order_after_pending(&self, world: MPI_Win, rank: usize) -> Result<()> {
        let p = &self.pending[rank];
        let issued = p.issued();
        if p.flushed() < issued {
            ffi::flush(world, rank)?;
            p.flushed_up_to(issued);
        }
        Ok(())
    }

    fn put_like(
        &self,
        world: MPI_Win,
        op: Rma,
        p: &Piece<'_>,
        src: ArrayView<'_, T, IxDyn>,
    ) -> Result<()> {
        self.order_after_pending(world, p.rank)?;
        let origin = src.as_ptr() as *mut T;
        // SAFETY: `origin` and the strides describe `src`, which outlives
        // the local flush below; puts and accumulates only read it.
        if !unsafe { self.issue(world, op, p, origin, src.shape(), src.strides())? } {
            let packed = src.as_standard_layout();
            return self.put_like(world, op, p, packed.view());
        }
        self.pending[p.rank].issue();
        ffi::flush_local(world, p.rank)
    }

    /// Issues `op` between the origin box (`origin`, `shape`, `strides`)
    /// and piece `p` of the target block: one MPI call when both sides are
    /// one contiguous run (no allocation), else the cut plan of
    /// `transfer::plan`. Returns `false`, having issued nothing, when an
    /// origin stride is negative (the caller packs).
    ///
    /// # Safety
    /// `origin` with `shape` and `strides` must describe live memory of
    /// `T`, writable for `Rma::Get`, that stays valid until completion.
    unsafe fn issue(
        &self,
        world: MPI_Win,
        op: Rma,
        p: &Piece<'_>,
        origin: *mut T,
        shape: &[usize],
        strides: &[isize],
    ) -> Result<bool> {
        let tdisp = self.target_disp(p.rank, p.block, &p.in_block);
        let limit = self.max_transfer_bytes / size_of::<T>();
        if let Some(n) = transfer::contiguous_len(shape, strides, p.block)
            && n <= limit
        {
            // SAFETY: the caller's contract; one run of `n` elements.
            unsafe { ffi::rma(op, world, p.rank, tdisp, origin, &[Dim::run(n)])? };
            return Ok(true);
        }
        let Some(chunks) = transfer::plan(shape, strides, &row_major_strides(p.block), limit)
        else {
            return Ok(false);
        };
        for c in &chunks {
            // SAFETY: the plan keeps every origin offset inside the box.
            unsafe {
                let at = origin.offset(c.origin_offset);
                ffi::rma(op, world, p.rank, self.disp(tdisp, c), at, &c.dims)?;
            }
        }
        Ok(true)
    }

    fn disp(&self, piece_disp: MPI_Aint, c: &Chunk) -> MPI_Aint {
        piece_disp + c.target_offset as MPI_Aint * size_of::<T>() as MPI_Aint
    }

    fn target_disp(&self, rank: usize, block: &[usize], piece: &Section) -> MPI_Aint {
        let off = piece
            .lo()
            .iter()
            .zip(block)
            .fold(0, |acc, (&l, &n)| acc * n + l);
        self.displacement(rank, off)
    }

    /// When a piece is one contiguous run both in node rank `nr`'s block
    /// and in a buffer with `shape` and `strides`: the run's start in the
    /// block and its length. The fast path of same-node copies.
    fn peer_run(
        &self,
        nr: usize,
        p: &Piece<'_>,
        shape: &[usize],
        strides: &[isize],
    ) -> Option<(*mut T, usize)> {
        let n = transfer::contiguous_len(shape, strides, p.block)?;
        let off = p
            .in_block
            .lo()
            .iter()
            .zip(p.block)
            .fold(0, |acc, (&l, &b)| acc * b + l);
        let (base, len) = self.peers[nr];
        assert!(off + n <= len, "piece outside its block");
        // SAFETY: in bounds, checked above.
        Some((unsafe { base.add(off) }, n))
    }

    fn peer_view(&self, nr: usize, block: &[usize], piece: &Section) -> ArrayView<'_, T, IxDyn> {
        let (p, n) = self.peers[nr];
        assert_eq!(
            n,
            block.iter().product::<usize>(),
            "block shape and segment disagree"
        );
        // SAFETY: the segment holds exactly `n` = product(block) elements.
        let v = unsafe { ArrayView::from_shape_ptr(IxDyn(block), p as *const T) };
        narrow(v, piece)
    }

    fn peer_view_mut(
        &self,
        nr: usize,
        block: &[usize],
        piece: &Section,
    ) -> ArrayViewMut<'_, T, IxDyn> {
        let (p, n) = self.peers[nr];
        assert_eq!(
            n,
            block.iter().product::<usize>(),
            "block shape and segment disagree"
        );
        // SAFETY: the segment holds exactly `n` elements. Concurrent writes
        // by other ranks between synchronisations are the documented
        // contract of one-sided access (as in Global Arrays).
        let v = unsafe { ArrayViewMut::from_shape_ptr(IxDyn(block), p) };
        narrow(v, piece)
    }

    fn lock(&self, nr: usize) -> BlockLock<'_> {
        // SAFETY: the header starts the segment, which outlives `self`, and
        // its first word is only ever accessed atomically.
        let word = unsafe { &*(self.heads[nr] as *const AtomicU32) };
        let mut spins = 0u32;
        while word
            .compare_exchange_weak(0, 1, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            spins += 1;
            if spins < 64 {
                std::hint::spin_loop();
            } else {
                // Oversubscribed ranks must let the holder run.
                std::thread::yield_now();
            }
        }
        BlockLock { word }
    }
}

impl<T: Element> Drop for Window<T> {
    fn drop(&mut self) {
        if let Err(e) = self.free() {
            eprintln!("gain: freeing a window failed: {e}");
            abort_world(1);
        }
    }
}

/// A read started by [`Window::read_start`]: the buffer MPI writes into
/// and the ranks whose gets are still in flight.
pub(crate) struct PendingRead<'w, T: Element, D: Dimension> {
    win: &'w Window<T>,
    out: Array<MaybeUninit<T>, D>,
    targets: Vec<usize>,
}

impl<T: Element, D: Dimension> PendingRead<'_, T, D> {
    /// Waits for the remote gets and returns the section.
    pub(crate) fn wait(mut self) -> Result<Array<T, D>> {
        self.flush()?;
        let empty = Array::uninit(D::zeros(self.out.ndim()));
        let out = std::mem::replace(&mut self.out, empty);
        // SAFETY: `read_start` checked that the pieces cover the array;
        // same-node pieces were copied there and the remote gets are now
        // complete, so every element was written.
        Ok(unsafe { out.assume_init() })
    }

    /// Completes the gets of every target still in flight, with one
    /// `MPI_Win_flush_local_all`. One `MPI_Win_flush_local` per target
    /// would do on most components, but under Open MPI's `osc/pt2pt` (the
    /// component it picks across hosts over TCP) a flush to one target also
    /// waits for the operations to every other, and the ranks' reads then
    /// deadlock (`np3` with `--mca osc sm,pt2pt` hung in the roundtrip and
    /// matmul cases). Under MPICH it is `MPI_Win_flush_all`
    /// (`ffi::complete_gets`). The targets are forgotten only once it
    /// succeeded.
    fn flush(&mut self) -> Result<()> {
        if self.targets.is_empty() {
            return Ok(());
        }
        let world = self.win.world.expect("remote targets imply a world window");
        ffi::complete_gets_all(world)?;
        self.targets.clear();
        Ok(())
    }
}

impl<T: Element, D: Dimension> Drop for PendingRead<'_, T, D> {
    fn drop(&mut self) {
        // MPI may still write into `out`; it must not be freed before the
        // gets complete. If that cannot be ensured, stop the job.
        if let Err(e) = self.flush() {
            eprintln!("gain: completing a non-blocking get failed: {e}");
            abort_world(1);
        }
    }
}

struct BlockLock<'a> {
    word: &'a AtomicU32,
}

impl Drop for BlockLock<'_> {
    fn drop(&mut self) {
        self.word.store(0, Ordering::Release);
    }
}

fn row_major_strides(shape: &[usize]) -> Vec<isize> {
    let mut s = vec![1isize; shape.len()];
    for d in (0..shape.len().saturating_sub(1)).rev() {
        s[d] = s[d + 1] * shape[d + 1] as isize;
    }
    s
}
