//! Allocation and release of windows: the node segments, the world window
//! over them, and the collective free.

use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use mpi::ffi::{MPI_Aint, MPI_Win};

use crate::element::Element;
use crate::error::{Error, Result};
use crate::fault::{self, abort_with, agree_outcome, exit_point};

use super::ffi::{self, abort_world};
use super::pending::Records;
use super::transfer::{self};
use super::{ALIGN, AccRoute, HEADER, LEN_AT, Offsets, Placement, Window};

/// Collective over the world: `MPI_Win_create` of the world window over
/// `bytes` bytes at `base`, inside this rank's node window `shared`, the
/// ranks agreeing on the outcome at exit point `point`. Failing on every
/// rank (Open MPI's `osc/rdma`, which has no transport over TCP, across
/// hosts) is an error on every rank, with a hint, after the ranks free
/// the node window together; on some ranks only, the ranks can no longer
/// free it together, and the job aborts with the failing rank's message.
pub(super) fn world_window_together(
    place: &Placement<'_>,
    shared: MPI_Win,
    base: *mut u8,
    bytes: MPI_Aint,
    point: &str,
) -> Result<MPI_Win> {
    let made = ffi::create_world(place.world, base, bytes);
    let elsewhere = "MPI_Win_create of the world window failed on another rank";
    agree_outcome(place.control, made, point, elsewhere, point).or_else(|e| {
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
    pub(super) fn allocate_node(place: &Placement<'_>, bytes: usize) -> Result<(MPI_Win, *mut u8)> {
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
        let (shared, base) = agree_outcome(
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
            fault::rank_text()
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
        let data_at = Offsets::gather(place.world, data_at)?;
        // Where each same-node rank's data starts in its segment, by node
        // rank.
        let mut peer_data_at = vec![0; node_size];
        for (r, &nr) in place.node_rank_of.iter().enumerate() {
            if let Some(nr) = nr {
                peer_data_at[nr] = data_at.of(r);
            }
        }
        let mut separate_model = ffi::is_separate(shared)?;
        if let Some(w) = world {
            separate_model |= ffi::is_separate(w)?;
        }
        let written = Arc::new(AtomicBool::new(false));
        let id = place
            .registry
            .add(shared, world, separate_model, Arc::clone(&written));
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
            node_rank_of: Arc::clone(place.node_rank_of),
            my_node_rank,
            separate_model,
            route: if place.spans_nodes {
                AccRoute::Mpi
            } else {
                AccRoute::SharedLock
            },
            pending: Records::per_rank(place.node_rank_of.len(), written),
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
}

impl<T: Element> Drop for Window<T> {
    fn drop(&mut self) {
        if let Err(e) = self.free() {
            eprintln!("gain: freeing a window failed: {e}");
            abort_world(1);
        }
    }
}
