//! One-sided data movement through a window: reads, writes, accumulates
//! and single-element atomics, same-node by copy and remote by MPI RMA.

use std::sync::atomic::{AtomicU32, Ordering};

use mpi::ffi::{MPI_Aint, MPI_Win};
use ndarray::{Array, ArrayView, ArrayViewMut, Dimension, IxDyn};

use crate::dist::{Section, narrow};
use crate::element::Element;
use crate::error::Result;
use crate::fault::{self};

use super::copy::{Piece, Slot, add_scaled, check_cover, copy_into, row_major_strides};
use super::ffi::{self, Rma};
use super::pending::{Access, Footprint, HELD_MAX, Held, Pending, PendingRead};
use super::transfer::{self, Chunk, Dim};
use super::{AccRoute, Window};

/// What [`Window::issue_each`] calls once per MPI call: target
/// displacement, origin address, dimensions.
pub(super) type IssueCall<'a, T> = dyn FnMut(MPI_Aint, *mut T, &[Dim]) -> Result<()> + 'a;

/// What [`Window::issue_from_copy`] calls to issue from its copy: origin
/// address, and a view describing the copy's layout; `false` when it
/// issued nothing.
pub(super) type IssueFromCopy<'a, T> =
    dyn FnMut(*mut T, &ArrayView<'_, T, IxDyn>) -> Result<bool> + 'a;

impl<T: Element> Window<T> {
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
    /// are copied now, remote ones are issued as `MPI_Rget`s whose
    /// requests [`PendingRead`] tests and waits. Checks as
    /// [`read_new`](Self::read_new).
    pub(crate) fn read_start<D: Dimension>(
        &self,
        pieces: &[Piece<'_>],
        dim: D,
    ) -> Result<PendingRead<'_, T, D>> {
        check_cover(pieces, dim.size())?;
        let mut read = PendingRead {
            win: self,
            out: Array::uninit(dim),
            requests: ffi::Requests::default(),
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
            self.order_before(world, p.rank, p.footprint(Access::Read))?;
            let origin = dst.as_mut_ptr() as *mut T;
            if !read.targets.contains(&p.rank) {
                read.targets.push(p.rank);
            }
            let requests = &mut read.requests;
            // SAFETY: `origin` and the strides describe part of the heap
            // buffer of `read.out` (positive strides: it is new and in
            // standard layout), which `read` keeps alive, and does not
            // move, until its requests complete in `test`, `wait` or
            // `drop`; forgetting `read` leaks the buffer, so MPI never
            // writes into freed memory. Each request is recorded as soon
            // as its call returned, before a later one can fail.
            let issued = unsafe {
                self.issue_each(
                    p,
                    origin,
                    dst.shape(),
                    dst.strides(),
                    &mut |disp, at, dims| {
                        requests.push(ffi::rma_request(Rma::Get, world, p.rank, disp, at, dims)?);
                        Ok(())
                    },
                )?
            };
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
            self.settle_for(p.rank, p.footprint(Access::Read))?;
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
        self.order_before(world, p.rank, p.footprint(Access::Read))?;
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
                self.settle_for(p.rank, p.footprint(Access::Write))?;
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
                let f = Footprint::one(offset, Access::Accumulate);
                self.order_before(world, rank, f)?;
                let disp = self.displacement(rank, offset);
                let one = ArrayView::from(std::slice::from_ref(&v));
                self.issue_from_copy(world, rank, f, &one, &mut |at, _| {
                    // SAFETY: `at` is the copy of `v`, one `T` kept until
                    // a flush; an accumulate only reads it.
                    unsafe { ffi::rma(Rma::AccumulateSum, world, rank, disp, at, &[Dim::run(1)]) }
                        .map(|()| true)
                })
                .expect("one element is small enough to copy")
            }
        }
    }

    /// Element `offset` of `rank`'s block: a load from shared memory on
    /// this node, one `MPI_Get` otherwise.
    pub(crate) fn read_one(&self, rank: usize, offset: usize) -> Result<T> {
        if let Some(nr) = self.node_rank_of[rank] {
            self.settle_for(rank, Footprint::one(offset, Access::Read))?;
            let (p, n) = self.peers[nr];
            assert!(offset < n, "element outside its block");
            // SAFETY: in bounds; a volatile load, as other ranks may store
            // to shared memory between synchronisations.
            return Ok(unsafe { p.add(offset).read_volatile() });
        }
        let world = self.world.expect("remote rank implies a world window");
        self.order_before(world, rank, Footprint::one(offset, Access::Read))?;
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
                self.order_before(world, rank, Footprint::one(offset, Access::Accumulate))?;
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
        let issued: Vec<(&Pending, u64)> = self.pending.made().map(|p| (p, p.issued())).collect();
        ffi::flush_all(w)?;
        for (p, n) in issued {
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

    /// Orders what follows after every earlier put and accumulate of this
    /// rank to `rank`: completes them at the target (`MPI_Win_flush`) if
    /// any is outstanding.
    pub(super) fn order_after_pending(&self, world: MPI_Win, rank: usize) -> Result<()> {
        self.order_before(world, rank, Footprint::whole(Access::Write))
    }

    /// Orders an operation with footprint `f` after this rank's earlier
    /// puts and accumulates to `rank` that it must follow (gain's promise:
    /// a rank's own operations to one location take effect in the order
    /// issued): completes them at the target first when any may write
    /// what `f` touches, unless both are accumulates, which MPI orders.
    pub(super) fn order_before(&self, world: MPI_Win, rank: usize, f: Footprint) -> Result<()> {
        // No record: this rank never wrote to `rank` through this window.
        let Some(p) = self.pending.get(rank) else {
            return Ok(());
        };
        if let Some(n) = p.flush_needed(f) {
            ffi::flush(world, rank)?;
            p.flushed_up_to(n);
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
        let op = put_as(op, src.len() * size_of::<T>());
        let f = p.footprint(access(op));
        self.order_before(world, p.rank, f)?;
        if let Some(done) = self.issue_from_copy(world, p.rank, f, &src, &mut |at, like| {
            // SAFETY: `issue_from_copy` passes the start of its packed copy
            // of `src`, laid out as `like`, which lives until a flush.
            unsafe { self.issue(world, op, p, at, like.shape(), like.strides()) }
        }) {
            return done;
        }
        let origin = src.as_ptr() as *mut T;
        // SAFETY: `origin` and the strides describe `src`, which outlives
        // the local flush below; puts and accumulates only read it.
        if !unsafe { self.issue(world, op, p, origin, src.shape(), src.strides())? } {
            let packed = src.as_standard_layout();
            return self.put_like(world, op, p, packed.view());
        }
        self.pending[p.rank].issue(f);
        ffi::flush_local(world, p.rank)
    }

    /// Issues a small put or accumulate with footprint `f` to `rank` from a
    /// copy of `src` ([`Held`]) and returns without waiting for it, so that
    /// a run of them costs no round trip each (`MPI_Win_flush_local` is one
    /// under UCX). `issue(origin, like)` makes the MPI calls from the copy,
    /// which is laid out as `like` (row-major); the target's record keeps
    /// it until a flush covers the operation, flushing first when it holds
    /// [`HELD_CAP`](super::pending::HELD_CAP) bytes. `None`, having done
    /// nothing, when `src` is not small: the caller issues from `src` and
    /// waits for local completion.
    pub(super) fn issue_from_copy<D: Dimension>(
        &self,
        world: MPI_Win,
        rank: usize,
        f: Footprint,
        src: &ArrayView<'_, T, D>,
        issue: &mut IssueFromCopy<'_, T>,
    ) -> Option<Result<()>> {
        let mut held = Held::of(src)?;
        let record = &self.pending[rank];
        if let Some(n) = record.room_for(held.bytes()) {
            if let Err(e) = ffi::flush(world, rank) {
                return Some(Err(e));
            }
            record.flushed_up_to(n);
        }
        let origin = held.origin::<T>();
        // SAFETY: `origin` starts the copy's `src.len()` elements in
        // row-major order, aligned for `T`; the view only describes them to
        // `issue` and is not used after the copy moves into the record (a
        // heap buffer, which the move does not relocate).
        let like =
            unsafe { ArrayView::from_shape_ptr(src.raw_dim().into_dyn(), origin as *const T) };
        let issued = issue(origin, &like);
        // Kept even when a call failed part way: MPI may read what it issued.
        record.issue_held(f, held);
        Some(issued.map(|ok| debug_assert!(ok, "a packed copy has no negative strides")))
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
    pub(super) unsafe fn issue(
        &self,
        world: MPI_Win,
        op: Rma,
        p: &Piece<'_>,
        origin: *mut T,
        shape: &[usize],
        strides: &[isize],
    ) -> Result<bool> {
        // SAFETY: the caller's contract, for each call `issue_each` makes.
        unsafe {
            self.issue_each(p, origin, shape, strides, &mut |disp, at, dims| {
                ffi::rma(op, world, p.rank, disp, at, dims)
            })
        }
    }

    /// Cuts the transfer between the origin box and piece `p` as
    /// [`issue`](Self::issue) does and calls `call(target displacement,
    /// origin address, dims)` once per MPI call to make: once for one
    /// contiguous run, once per chunk of the plan otherwise. Returns
    /// `false`, having called nothing, when an origin stride is negative.
    ///
    /// # Safety
    /// As [`issue`](Self::issue): `call` hands each address to MPI.
    pub(super) unsafe fn issue_each(
        &self,
        p: &Piece<'_>,
        origin: *mut T,
        shape: &[usize],
        strides: &[isize],
        call: &mut IssueCall<'_, T>,
    ) -> Result<bool> {
        let tdisp = self.target_disp(p.rank, p.block, &p.in_block);
        let limit = self.max_transfer_bytes / size_of::<T>();
        if let Some(n) = transfer::contiguous_len(shape, strides, p.block)
            && n <= limit
        {
            call(tdisp, origin, &[Dim::run(n)])?;
            return Ok(true);
        }
        let Some(chunks) = transfer::plan(shape, strides, &row_major_strides(p.block), limit)
        else {
            return Ok(false);
        };
        for c in &chunks {
            // SAFETY: the plan keeps every origin offset inside the box.
            let at = unsafe { origin.offset(c.origin_offset) };
            call(self.disp(tdisp, c), at, &c.dims)?;
        }
        Ok(true)
    }

    pub(super) fn disp(&self, piece_disp: MPI_Aint, c: &Chunk) -> MPI_Aint {
        piece_disp + c.target_offset as MPI_Aint * size_of::<T>() as MPI_Aint
    }

    pub(super) fn target_disp(&self, rank: usize, block: &[usize], piece: &Section) -> MPI_Aint {
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

    pub(super) fn peer_view(
        &self,
        nr: usize,
        block: &[usize],
        piece: &Section,
    ) -> ArrayView<'_, T, IxDyn> {
        let (p, n) = self.peers[nr];
        assert_eq!(
            n,
            block.iter().product::<usize>(),
            "block shape and segment disagree"
        );
        // SAFETY: the segment holds exactly `n` = product(block) elements
        // for the window's life. Views made here may live as long as the
        // window (`peer_box`: the array layer's local views): this process
        // writes the segment only through `&mut self` or the `&self`
        // writes (`write`, `accumulate`, `fetch_add`, `fill_own`), which
        // the array layer refuses while it has handed out a view of the
        // same block or halo (its view counts). Other processes may store
        // to it between synchronisations: MPI shared memory, whose reads
        // then return unspecified values, as the crate docs on local views
        // say.
        let v = unsafe { ArrayView::from_shape_ptr(IxDyn(block), p as *const T) };
        narrow(v, piece)
    }

    pub(super) fn peer_view_mut(
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

    pub(super) fn lock(&self, nr: usize) -> BlockLock<'_> {
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

pub(super) struct BlockLock<'a> {
    word: &'a AtomicU32,
}

impl Drop for BlockLock<'_> {
    fn drop(&mut self) {
        self.word.store(0, Ordering::Release);
    }
}

/// What RMA call `op` does at its target.
pub(super) fn access(op: Rma) -> Access {
    match op {
        Rma::Get => Access::Read,
        Rma::Put => Access::Write,
        Rma::AccumulateSum | Rma::AccumulateReplace => Access::Accumulate,
    }
}

/// The call a put of `bytes` bytes to another node goes out as: a small
/// one as `MPI_Accumulate` with `MPI_REPLACE` when Open MPI's `osc/pt2pt`
/// carries the windows ([`ffi::puts_as_accumulates`]). MPI orders it after
/// this rank's earlier accumulates to the same place, so puts repeated to
/// one place need no flush (a round trip) between them, and `osc/pt2pt`
/// sends a small accumulate as one message, as it does a put (bed, 8 B:
/// 0.3 µs an accumulate, 20 µs a put with its flush). Otherwise `op`
/// itself: `osc/ucx` carries out an accumulate under a lock at the target
/// (3.5 times a put's time), and with MPICH 4.0.2 the route made its
/// finalisation hang across hosts (`gain::guide::hosts`) come on most
/// runs.
pub(super) fn put_as(op: Rma, bytes: usize) -> Rma {
    if op == Rma::Put && bytes <= HELD_MAX && ffi::puts_as_accumulates() {
        Rma::AccumulateReplace
    } else {
        op
    }
}
