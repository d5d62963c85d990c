//! Non-blocking puts and accumulates: the scope that outlives every source
//! buffer MPI may still read ([`WriteScope`]), and the handle of one
//! operation ([`PendingWrite`]).
//!
//! Why a scope. A put or accumulate to another node is issued with
//! `MPI_Rput` / `MPI_Raccumulate` straight from the caller's buffer, and
//! MPI reads that buffer until the request completes. A handle that only
//! borrowed the buffer would not be enough: `mem::forget` of the handle is
//! safe Rust, skips its `Drop` (the wait), ends the borrow, and the caller
//! could then free or overwrite the buffer while MPI still reads it. So, as
//! rsmpi's `mpi::request::scope` and `std::thread::scope` do, the buffers
//! are borrowed for the lifetime `'scope` of a scope that
//! [`Window::write_scope`] opens, lends to a closure by reference only (it
//! cannot be forgotten), and closes after the closure returned or
//! unwound: every handle completes its requests when waited, tested
//! complete or dropped, and the close completes those of forgotten handles
//! (`MPI_Win_flush_all`, which covers request-based operations too,
//! Standard section 11.5.4). Only then can `'scope` end and the buffers be
//! reused. The close costs one atomic load when no handle was forgotten.
//!
//! Same-node pieces are copied (puts) or added under the block lock
//! (accumulates on one node) before the call returns, as the blocking
//! calls do; only MPI pieces are left in flight.

use std::marker::PhantomData;
use std::sync::atomic::{AtomicUsize, Ordering};

use mpi::ffi::MPI_Win;
use ndarray::{Array, ArrayView, IxDyn};

use crate::dist::narrow;
use crate::element::Element;
use crate::error::Result;

use super::copy::Piece;
use super::ffi::{self, Requests, Rma, abort_world};
use super::rma::access;
use super::{AccRoute, Window};

/// A scope for non-blocking writes into one window, open while the
/// closure given to [`Window::write_scope`] runs. `'scope` is invariant,
/// so a source borrowed for it outlives the scope's close.
pub(crate) struct WriteScope<'scope, 'env: 'scope, T: Element> {
    win: &'env Window<T>,
    /// Handles of this scope whose requests have not completed yet,
    /// forgotten ones included.
    open: AtomicUsize,
    _scope: PhantomData<&'scope mut &'scope ()>,
    _env: PhantomData<&'env mut &'env ()>,
}

/// One non-blocking put or accumulate: the requests of its MPI pieces and
/// the buffers it made for them (packed or scaled copies of the source).
pub(crate) struct PendingWrite<'scope, T: Element> {
    /// The scope's count of open handles while this one is counted in it
    /// (from before its first request until its requests completed).
    open: Option<&'scope AtomicUsize>,
    requests: Requests,
    /// The world window the requests' operations went through.
    world: Option<MPI_Win>,
    /// Copies of source parts MPI reads; freed once the requests completed
    /// (leaked if the handle is forgotten, so never freed under MPI).
    keep: Vec<Array<T, IxDyn>>,
}

impl<T: Element> Window<T> {
    /// Runs `f` with a scope for non-blocking writes, then completes the
    /// writes of any handle `f` forgot (an error doing so aborts the job,
    /// since the sources may be freed next). See the module docs.
    pub(crate) fn write_scope<'env, R>(
        &'env self,
        f: impl for<'scope> FnOnce(&'scope WriteScope<'scope, 'env, T>) -> R,
    ) -> R {
        let scope = WriteScope {
            win: self,
            open: AtomicUsize::new(0),
            _scope: PhantomData,
            _env: PhantomData,
        };
        let _close = Close(&scope);
        f(&scope)
    }
}

/// Closes a [`WriteScope`] on drop, after its closure returned or while it
/// unwinds.
struct Close<'a, 'scope, 'env, T: Element>(&'a WriteScope<'scope, 'env, T>);

impl<T: Element> Drop for Close<'_, '_, '_, T> {
    fn drop(&mut self) {
        // Every live handle borrowed the scope, so none is left now; a
        // non-zero count is handles forgotten with requests in flight.
        if self.0.open.load(Ordering::Acquire) == 0 {
            return;
        }
        let world = self.0.win.world.expect("requests imply a world window");
        if let Err(e) = ffi::flush_all(world) {
            eprintln!("gain: completing forgotten non-blocking writes failed: {e}");
            abort_world(1);
        }
    }
}

impl<'scope, T: Element> WriteScope<'scope, '_, T> {
    /// Starts writing `src` (shaped like the section) into the pieces'
    /// owners: same-node pieces are copied now, MPI pieces issued as
    /// `MPI_Rput`s. The caller has checked the arguments and claimed the
    /// same-node blocks.
    pub(crate) fn write_start(
        &'scope self,
        pieces: &[Piece<'_>],
        src: ArrayView<'scope, T, IxDyn>,
    ) -> Result<PendingWrite<'scope, T>> {
        self.win.check_writable()?;
        let mut w = PendingWrite::new(self.win.world);
        for p in pieces {
            if self.win.node_rank_of[p.rank].is_some() {
                self.win.write(std::slice::from_ref(p), src.view())?;
                continue;
            }
            let world = self.win.world.expect("remote rank implies a world window");
            self.start(world, Rma::Put, p, narrow(src.clone(), &p.in_buf), &mut w)?;
        }
        Ok(w)
    }

    /// Starts adding `alpha * src` into the pieces' owners: on one node
    /// every piece is added now under its block lock; across nodes every
    /// piece, same-node ones included, is an `MPI_Raccumulate` (the
    /// window's accumulate route, see the window module).
    pub(crate) fn accumulate_start(
        &'scope self,
        pieces: &[Piece<'_>],
        src: ArrayView<'scope, T, IxDyn>,
        alpha: T,
    ) -> Result<PendingWrite<'scope, T>> {
        self.win.check_writable()?;
        let mut w = PendingWrite::new(self.win.world);
        match self.win.route {
            AccRoute::SharedLock => self.win.accumulate(pieces, src, alpha)?,
            AccRoute::Mpi => {
                let world = self.win.world.expect("multi-node job");
                for p in pieces {
                    let part = narrow(src.clone(), &p.in_buf);
                    if alpha == T::one() {
                        self.start(world, Rma::AccumulateSum, p, part, &mut w)?;
                    } else {
                        // Scaled with wrapping, as the blocking route does,
                        // into a copy the handle keeps until completion.
                        let scaled = part.mapv(|s| alpha.wrapping_mul(s));
                        self.start_owned(world, Rma::AccumulateSum, p, scaled, &mut w)?;
                    }
                }
            }
        }
        Ok(w)
    }

    /// Issues `op` from `part` (borrowed for `'scope`) to piece `p`, after
    /// this rank's earlier writes to that target (`order_after_pending`),
    /// and counts it as issued for the next operation's ordering.
    fn start(
        &'scope self,
        world: MPI_Win,
        op: Rma,
        p: &Piece<'_>,
        part: ArrayView<'scope, T, IxDyn>,
        w: &mut PendingWrite<'scope, T>,
    ) -> Result<()> {
        // SAFETY: `part` is borrowed for `'scope`, so its memory stays
        // alive and unchanged until the scope closes, after `w` or the
        // close completed the requests (module docs).
        if !unsafe { self.issue(world, op, p, part.as_ptr() as *mut T, &part, w)? } {
            // Negative strides: a packed copy, kept by the handle.
            return self.start_owned(world, op, p, part.as_standard_layout().into_owned(), w);
        }
        Ok(())
    }

    /// [`start`](Self::start) from a buffer the handle takes (a packed or
    /// scaled copy).
    fn start_owned(
        &'scope self,
        world: MPI_Win,
        op: Rma,
        p: &Piece<'_>,
        part: Array<T, IxDyn>,
        w: &mut PendingWrite<'scope, T>,
    ) -> Result<()> {
        // A copy made by `mapv` keeps its input's memory order, negative
        // strides included; MPI is given positive strides only.
        let part = if part.strides().iter().any(|&s| s < 0) {
            part.as_standard_layout().into_owned()
        } else {
            part
        };
        let origin = part.as_ptr() as *mut T;
        let view = part.view();
        let (shape, strides) = (view.shape().to_vec(), view.strides().to_vec());
        drop(view);
        // Moving the array into `keep` does not move its heap buffer.
        w.keep.push(part);
        // SAFETY: `origin` is the heap buffer now in `w.keep`, which is
        // freed only after the requests completed, or never (forgotten).
        let issued = unsafe { self.issue_box(world, op, p, origin, &shape, &strides, w)? };
        assert!(issued, "a buffer with positive strides is always issued");
        Ok(())
    }

    /// # Safety
    /// As [`Window::issue_each`], until `w`'s requests complete.
    unsafe fn issue(
        &'scope self,
        world: MPI_Win,
        op: Rma,
        p: &Piece<'_>,
        origin: *mut T,
        part: &ArrayView<'_, T, IxDyn>,
        w: &mut PendingWrite<'scope, T>,
    ) -> Result<bool> {
        // SAFETY: the caller's contract.
        unsafe { self.issue_box(world, op, p, origin, part.shape(), part.strides(), w) }
    }

    /// Counts `w` open in the scope, then issues the box with one request
    /// per MPI call, each recorded as soon as its call returned.
    ///
    /// # Safety
    /// As [`Window::issue_each`], until `w`'s requests complete.
    #[allow(clippy::too_many_arguments)]
    unsafe fn issue_box(
        &'scope self,
        world: MPI_Win,
        op: Rma,
        p: &Piece<'_>,
        origin: *mut T,
        shape: &[usize],
        strides: &[isize],
        w: &mut PendingWrite<'scope, T>,
    ) -> Result<bool> {
        let f = p.footprint(access(op));
        self.win.order_before(world, p.rank, f)?;
        if w.open.is_none() {
            // Counted before the first request exists, so the scope's close
            // sees it if the handle is forgotten.
            self.open.fetch_add(1, Ordering::AcqRel);
            w.open = Some(&self.open);
        }
        let requests = &mut w.requests;
        let before = requests.len();
        // SAFETY: the caller's contract.
        let issued = unsafe {
            self.win
                .issue_each(p, origin, shape, strides, &mut |disp, at, dims| {
                    requests.push(ffi::rma_request(op, world, p.rank, disp, at, dims)?);
                    Ok(())
                })?
        };
        if requests.len() > before {
            // In flight to `p.rank`: the next operation to it flushes first.
            self.win.pending[p.rank].issue(f);
        }
        Ok(issued)
    }
}

impl<T: Element> PendingWrite<'_, T> {
    fn new(world: Option<MPI_Win>) -> Self {
        PendingWrite {
            open: None,
            requests: Requests::default(),
            world,
            keep: Vec::new(),
        }
    }

    /// Whether every MPI piece has completed locally (its source may be
    /// reused), without blocking.
    pub(crate) fn test(&mut self) -> Result<bool> {
        if !self.requests.test()? {
            return Ok(false);
        }
        self.done();
        Ok(true)
    }

    /// Waits until every MPI piece has completed locally.
    pub(crate) fn wait(mut self) -> Result<()> {
        self.complete()
    }

    fn complete(&mut self) -> Result<()> {
        if self.requests.len() > 0
            && let Some(world) = self.world
        {
            // Open MPI 4.1's `osc/ucx` now and then never completes an
            // `MPI_Rput` request while its origin waits in `MPI_Waitall`
            // across hosts (seen once in about 40,000 8 B puts between
            // the bed's hosts: rank 0 in `MPI_Waitall`, the target in a
            // barrier, for 600 s). A local flush of the window completes
            // the operations themselves first; the wait then only
            // retires the requests.
            ffi::flush_local_all(world)?;
        }
        self.requests.wait()?;
        self.done();
        Ok(())
    }

    /// The requests have completed: frees the copies and leaves the
    /// scope's count.
    fn done(&mut self) {
        self.keep.clear();
        if let Some(open) = self.open.take() {
            open.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

impl<T: Element> Drop for PendingWrite<'_, T> {
    fn drop(&mut self) {
        // MPI may still read the sources; the scope may close, and the
        // caller reuse them, right after this. If completion cannot be
        // ensured, stop the job.
        if let Err(e) = self.complete() {
            eprintln!("gain: completing a non-blocking write failed: {e}");
            abort_world(1);
        }
    }
}
