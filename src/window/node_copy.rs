//! [`NodeCopy`]: one segment of node shared memory per node, holding one
//! copy of some data for every rank of that node to read (the storage of
//! [`Replicated`](crate::Replicated), Global Arrays' mirrored arrays).
//!
//! The segment comes from `MPI_Win_allocate_shared` on the node
//! communicator (Standard section 12.2.3), in which node rank 0 asks for
//! the whole copy and every other rank for nothing; every rank finds it
//! with `MPI_Win_shared_query` of rank 0. So a node holds one copy, however
//! many ranks it runs. Copies on different nodes are filled independently
//! (each node reading a global array), or one node's copy is broadcast to
//! the others over a communicator of the node leaders (node rank 0 of
//! every node), with `MPI_Bcast`.
//!
//! Writes happen only in fill phases: every rank of the node writes a
//! disjoint part ([`NodeCopy::part_mut`]) between two node barriers
//! ([`NodeCopy::sync_node`]), or the leader receives a broadcast
//! ([`NodeCopy::spread_from`]). Outside those phases the copy is read-only
//! for every process of the node, which is what makes the shared slices
//! of [`NodeCopy::as_slice`] sound; the caller (`replicated.rs`) keeps
//! to it.

use std::marker::PhantomData;
use std::ops::Range;

use mpi::ffi::{MPI_Aint, MPI_Comm, MPI_Win};

use super::{ALIGN, Placement, ffi, transfer};
use crate::element::Element;
use crate::error::{Error, ErrorKind, Result};
use crate::fault;
use crate::fault::{abort_with, agree_outcome, exit_point};

/// One copy of `len` elements of `T` per node, in node shared memory.
pub(crate) struct NodeCopy<T: Element> {
    win: MPI_Win,
    /// The node's ranks, for this copy's barriers alone (a duplicate of
    /// the node communicator): they can only ever meet this copy's
    /// barriers on the other ranks, never another copy's or a window
    /// allocation, whatever the program does.
    node: MPI_Comm,
    control: MPI_Comm,
    /// The communicator of the node leaders: `Some` on node rank 0 of each
    /// node when the job spans nodes, `None` elsewhere.
    leaders: Option<MPI_Comm>,
    /// When the job spans nodes, for each rank of the job: the rank in
    /// `leaders` of its node's leader. Empty on a single node.
    leader_of: Vec<usize>,
    /// The copy's first element, 64-byte aligned, in this process's
    /// mapping of the segment.
    data: *mut T,
    len: usize,
    node_rank: usize,
    node_size: usize,
    max_transfer_bytes: usize,
    freed: bool,
    _elem: PhantomData<T>,
}

// SAFETY: a shared reference reads only: the fields, and the copy through
// `as_slice`, which outside fill phases no process writes (module docs).
// Everything that writes the copy or frees it (`part_mut`,
// `spread_from`, `free`) takes `&mut self`, and `sync_node` (`&self`) is
// called only inside those fill phases, by the `&mut self` methods and
// constructors of `Replicated`, never through a shared reference another
// thread holds. Not `Send`: the segment is freed, collectively, on the
// thread that created it.
unsafe impl<T: Element> Sync for NodeCopy<T> {}

/// Part `i` of `k` near-equal consecutive parts of `0..n`: the first
/// `n * i / k` to `n * (i + 1) / k` (in 128-bit arithmetic, which cannot
/// overflow).
pub(crate) fn even_share(n: usize, i: usize, k: usize) -> Range<usize> {
    let at = |j: usize| (n as u128 * j as u128 / k.max(1) as u128) as usize;
    at(i)..at(i + 1)
}

impl<T: Element> NodeCopy<T> {
    /// Collectively allocates one copy of `len` elements per node, zeroed
    /// (each rank of the node zeroes an even share, in parallel), and
    /// returns once every rank of the node can read it; when the job spans
    /// nodes, also makes the communicator of the node leaders.
    ///
    /// Errors and aborts as [`Window::allocate`](super::Window::allocate):
    /// [`SizeOverflow`](ErrorKind::SizeOverflow) when the copy does not fit
    /// in memory and [`InvalidArgument`](ErrorKind::InvalidArgument) for a
    /// malformed `GAIN_MAX_TRANSFER_BYTES`, before any MPI call, so every
    /// rank (same `len`, same environment) returns them; a failed shared
    /// allocation on every rank is an [`Mpi`](ErrorKind::Mpi) error on every
    /// rank; on some ranks only, or any later failure of the set-up, the
    /// job aborts with the failing rank's message.
    pub(crate) fn allocate(place: &Placement<'_>, len: usize) -> Result<Self> {
        let max_transfer_bytes = transfer::max_transfer_bytes()?;
        // Room for the data to start on a multiple of `ALIGN`, wherever
        // MPI puts the segment.
        let bytes = len
            .checked_mul(size_of::<T>())
            .and_then(|b| b.checked_add(ALIGN))
            .filter(|&b| b <= isize::MAX as usize)
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::SizeOverflow,
                    format!("a copy of {len} elements does not fit in memory"),
                )
            })?;
        // Node rank 0 holds the node's copy; the others ask for nothing.
        let alloc = if fault::inject_alloc_failure() {
            Err(Error::new(
                ErrorKind::Mpi,
                format!(
                    "MPI_Win_allocate_shared of {bytes} bytes: failure injected by {}",
                    fault::INJECT_VAR
                ),
            ))
        } else {
            ffi::comm_rank(place.node).and_then(|nr| {
                let mine = if nr == 0 { bytes } else { 0 };
                ffi::allocate_shared(place.node, mine as MPI_Aint)
            })
        };
        let (win, base) = agree_outcome(
            place.control,
            alloc,
            "the end of a replicated array's allocation",
            "the allocation of a replicated array's shared memory failed on another rank",
            "a consistent allocation",
        )?;
        match Self::set_up(place, len, win, base, max_transfer_bytes) {
            Ok(copy) => Ok(copy),
            Err(e) => abort_with(&e, "the end of a replicated array's set-up"),
        }
    }

    /// The rest of [`allocate`](Self::allocate) once the node's segment
    /// exists: where the data starts, the zeroing, the leaders.
    fn set_up(
        place: &Placement<'_>,
        len: usize,
        win: MPI_Win,
        base: *mut u8,
        max_transfer_bytes: usize,
    ) -> Result<Self> {
        let node = ffi::comm_dup(place.node)?;
        let node_rank = ffi::comm_rank(node)?;
        let node_size = ffi::comm_size(node)?;
        // Node rank 0 tells the others how far into the segment the data
        // starts: its mapping and theirs need not agree modulo `ALIGN`.
        let mut at = ((base as usize).wrapping_neg() % ALIGN).to_ne_bytes();
        ffi::bcast(node, 0, &mut at)?;
        let at = usize::from_ne_bytes(at);
        let (seg, size) = ffi::shared_query(win, 0)?;
        let need = at + len * size_of::<T>();
        if seg.is_null() || (size as usize) < need {
            return Err(Error::new(
                ErrorKind::Mpi,
                format!("MPI_Win_shared_query gave a segment of {size} bytes for a copy of {need}"),
            ));
        }
        // SAFETY: `at + len * size_of::<T>()` bytes of the segment exist
        // (checked above), and `at` puts the data on a multiple of `ALIGN`.
        let data = unsafe { seg.add(at) } as *mut T;
        let share = even_share(len, node_rank, node_size);
        let message = format!(
            "gain: rank {}: the node's shared memory ran out (SIGBUS) while this rank zeroed its \
             share of a new replicated array of {} bytes; /dev/shm is too small for the job's \
             arrays (containers: enlarge it, e.g. `docker run --shm-size`)",
            fault::rank_text(),
            len * size_of::<T>()
        );
        // SAFETY: the share lies inside the copy, and no other rank of the
        // node touches it before the barrier below (each zeroes its own).
        // Zero bits are a valid `T` (an integer or a float), so the copy is
        // initialised from here on. The first store to a page of a tmpfs
        // allocates it, hence the SIGBUS guard.
        ffi::on_bus_error(message, || unsafe {
            std::ptr::write_bytes(data.add(share.start), 0, share.len());
        });
        let (leaders, leader_of) = if place.spans_nodes {
            Self::make_leaders(place, node_rank)?
        } else {
            (None, Vec::new())
        };
        let copy = NodeCopy {
            win,
            node,
            control: place.control,
            leaders,
            leader_of,
            data,
            len,
            node_rank,
            node_size,
            max_transfer_bytes,
            freed: false,
            _elem: PhantomData,
        };
        copy.sync_node()?;
        Ok(copy)
    }

    /// Collective over the job: the communicator of the node leaders
    /// (`MPI_Comm_split` of the job's communicator, node rank 0 of each
    /// node in it, ordered by rank in the job) and, for each rank of the
    /// job, the rank there of its node's leader.
    fn make_leaders(
        place: &Placement<'_>,
        node_rank: usize,
    ) -> Result<(Option<MPI_Comm>, Vec<usize>)> {
        let rank = ffi::comm_rank(place.world)?;
        // The runtime numbers a node's ranks in the order of their ranks in
        // the job, so node rank 0 is the node's lowest rank.
        let my_leader = place
            .node_rank_of
            .iter()
            .position(|&r| r == Some(0))
            .expect("every node has a rank 0");
        let comm = ffi::comm_split(place.world, (node_rank == 0).then_some(0), rank)?;
        let by_rank = ffi::allgather_u64(place.world, my_leader as u64)?;
        let mut leaders = by_rank.clone();
        leaders.sort_unstable();
        leaders.dedup();
        // Ordered by rank in the job, leader `l` has rank `i` in `comm`
        // where `leaders[i] == l`.
        let leader_of = by_rank
            .iter()
            .map(|l| leaders.binary_search(l).expect("every leader is listed"))
            .collect();
        Ok((comm, leader_of))
    }

    /// The bytes of the node's shared segment: the copy and the room to
    /// align it.
    pub(crate) fn segment_bytes(&self) -> usize {
        self.len * size_of::<T>() + ALIGN
    }

    /// This rank's number on its node.
    pub(crate) fn node_rank(&self) -> usize {
        self.node_rank
    }

    /// The number of ranks on this node, which share the copy.
    pub(crate) fn node_size(&self) -> usize {
        self.node_size
    }

    /// The whole copy.
    pub(crate) fn as_slice(&self) -> &[T] {
        // SAFETY: the copy holds `len` initialised elements (zeroed at
        // allocation, written only with values of `T` since) for the life
        // of `self`. This process writes them only through `&mut self`
        // (`part_mut`, `spread_from`), which cannot overlap this borrow.
        // Other processes of the node write only in fill phases, between
        // node barriers that this process also enters with its copy
        // borrowed `&mut` (the contract of the module docs, which
        // `Replicated` keeps), so nothing changes the memory while this
        // slice lives.
        unsafe { std::slice::from_raw_parts(self.data, self.len) }
    }

    /// Elements `range` of the copy, for this rank to fill in a fill phase
    /// (between [`sync_node`](Self::sync_node)s) while the other ranks of
    /// the node fill disjoint parts.
    ///
    /// **Panics** if `range` reaches past the copy.
    pub(crate) fn part_mut(&mut self, range: Range<usize>) -> &mut [T] {
        assert!(
            range.start <= range.end && range.end <= self.len,
            "part {range:?} of a copy of {} elements",
            self.len
        );
        // SAFETY: inside the copy (checked above), initialised (see
        // `as_slice`). `&mut self` excludes every other borrow of the copy
        // in this process; other processes write only disjoint parts in
        // the same fill phase and read nothing until its closing barrier
        // (the caller's contract), so this is the only access to these
        // elements while the slice lives.
        unsafe { std::slice::from_raw_parts_mut(self.data.add(range.start), range.len()) }
    }

    /// Collective over the node: completes this rank's stores to the copy
    /// (`MPI_Win_sync`), waits for every rank of the node
    /// (`MPI_Barrier`), and makes their stores visible here
    /// (`MPI_Win_sync`). Ends a fill phase, or starts one once every rank
    /// of the node has stopped reading.
    pub(crate) fn sync_node(&self) -> Result<()> {
        ffi::win_sync(self.win)?;
        ffi::barrier(self.node)?;
        ffi::win_sync(self.win)
    }

    /// Collective over the job: gives every node the copy of the node of
    /// rank `source`, whose ranks have written it (their stores need not
    /// be published yet). The node ranks publish their stores
    /// ([`sync_node`](Self::sync_node)); when the job spans nodes, the
    /// leader of `source`'s node broadcasts the copy's bytes to the other
    /// leaders (`MPI_Bcast`, in pieces of at most `GAIN_MAX_TRANSFER_BYTES`
    /// and 1 GiB), straight into their nodes' copies, which their nodes
    /// then publish. Returns with the copy complete and visible to every
    /// rank of this node.
    ///
    /// **Panics** if `source` is not a rank of the job.
    pub(crate) fn spread_from(&mut self, source: usize) -> Result<()> {
        self.sync_node()?;
        if self.leader_of.is_empty() {
            return Ok(());
        }
        let root = self.leader_of[source];
        if let Some(leaders) = self.leaders {
            let n = self.len * size_of::<T>();
            // SAFETY: the copy is `n` initialised bytes; `&mut self`
            // excludes other borrows in this process, and the other ranks
            // of this node do not touch the copy until the barrier below.
            // Any bytes received form valid `T`s: the root's copy holds
            // `T`s, and integers and floats have no invalid bit patterns.
            let bytes = unsafe { std::slice::from_raw_parts_mut(self.data as *mut u8, n) };
            ffi::bcast_chunked(leaders, root, bytes, self.max_transfer_bytes)?;
        }
        self.sync_node()
    }

    /// Collective over the job: frees the communicators and the shared
    /// window. Called by `Drop` when not called before. As
    /// [`Window::free`](super::Window::free), the ranks first meet at an
    /// [`exit_point`], so that a rank leaving after an error the others
    /// did not see ends the job instead of waiting in `MPI_Win_free`.
    pub(crate) fn free(&mut self) -> Result<()> {
        if self.freed {
            return Ok(());
        }
        self.freed = true;
        exit_point(
            self.control,
            [0; 2],
            None,
            "the collective free of a replicated array",
        )?;
        if let Some(c) = self.leaders.take() {
            ffi::comm_free(c)?;
        }
        ffi::comm_free(self.node)?;
        ffi::free(self.win)
    }
}

impl<T: Element> Drop for NodeCopy<T> {
    fn drop(&mut self) {
        if let Err(e) = self.free() {
            eprintln!("gain: freeing a replicated array failed: {e}");
            ffi::abort_world(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::even_share;

    #[test]
    fn even_shares_cover_the_range_in_order() {
        for n in [0, 1, 5, 17, 1000] {
            for k in 1..6 {
                let parts: Vec<_> = (0..k).map(|i| even_share(n, i, k)).collect();
                assert_eq!(parts[0].start, 0);
                assert_eq!(parts[k - 1].end, n);
                for w in parts.windows(2) {
                    assert_eq!(w[0].end, w[1].start);
                }
                let (lo, hi) = (n / k, n.div_ceil(k));
                assert!(parts.iter().all(|p| p.len() == lo || p.len() == hi));
            }
        }
        let huge = even_share(usize::MAX, 3, 4);
        assert_eq!(huge.end, usize::MAX);
    }
}
