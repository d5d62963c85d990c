//! Ghost cells: filling a box of this rank's own block from a box of
//! another's (or its own), for `GlobalArray`'s one-sided ghost updates,
//! views of any box of a same-node block, and the message exchange of the
//! collective update ([`swap_halos`](Window::swap_halos)).
//!
//! One-sided fills: same-node sources are copied at once through shared
//! memory; remote ones are read with `MPI_Get` straight into the segment
//! (one call per source box, or the few of `transfer::plan`), completed
//! together by [`complete_fills`](Window::complete_fills).
//!
//! Exchanges: every box travels as one message, packed into a buffer the
//! exchange owns until `MPI_Waitall` says it has been sent or received,
//! on the runtime's control communicator (a duplicate the program never
//! sees, so no message of the program's can match). Point-to-point
//! messages never match the collectives of its exit points.

use std::collections::HashMap;

use ndarray::{ArrayD, ArrayView, ArrayViewMut, IxDyn};

use crate::dist::{Section, narrow};
use crate::element::Element;
use crate::error::Result;

use super::Window;
use super::copy::{Piece, copy_into, row_major_strides};
use super::ffi::{self, Requests, Rma};

/// One neighbour of this rank in one step of a ghost exchange: this
/// rank's box `send` goes to `peer` tagged `send_tag`, and `peer`'s
/// message tagged `recv_tag` fills this rank's box `recv` (both boxes in
/// the coordinates of this rank's padded block). A `peer` that is this
/// rank pairs its sends and receives by tag and copies locally.
#[derive(Debug, Clone)]
pub(crate) struct HaloSwap {
    pub peer: usize,
    pub send: Section,
    pub send_tag: u16,
    pub recv: Section,
    pub recv_tag: u16,
}

/// The message buffers of one array's ghost exchanges, kept from one
/// update to the next: MPI libraries pin or map the memory of large
/// messages (Open MPI's single-copy shared-memory transfers) and cache
/// that by address, so fresh buffers every time cost a registration per
/// message (measured with Open MPI 4.1 on one node: about 50 µs more
/// per update of a 32 KiB row, several times the message itself).
pub(crate) struct HaloBuffers<T> {
    bufs: Vec<Vec<T>>,
}

impl<T> Default for HaloBuffers<T> {
    fn default() -> Self {
        HaloBuffers { bufs: Vec::new() }
    }
}

impl<T: Element> Window<T> {
    /// Box `section` of same-node `rank`'s block, whose shape is `block`,
    /// as a view; `None` when `rank` is on another node. The view points
    /// into the segment without referencing the elements outside the box
    /// (the halo of a padded block, which a ghost fill may be writing).
    pub(crate) fn peer_box(
        &self,
        rank: usize,
        block: &[usize],
        section: &Section,
    ) -> Option<ArrayView<'_, T, IxDyn>> {
        let nr = self.node_rank(rank)?;
        Some(self.peer_view(nr, block, section))
    }

    /// Starts filling box `dst` of this rank's own block (of shape `own`)
    /// with box `src` (same extents) of rank `from`'s block (of shape
    /// `theirs`; `from` may be this rank, with a disjoint box). A
    /// same-node source is copied now; a remote one is requested with
    /// `MPI_Get` into the segment, and `true` says that
    /// [`complete_fills`](Self::complete_fills) must be called before the
    /// box is read.
    ///
    /// The array layer keeps this process from viewing `dst` while it is
    /// filled (its ghost-view count), so the writes through `&self` meet
    /// no shared reference of this process; other ranks never write
    /// another rank's halo.
    pub(crate) fn fill_own(
        &self,
        own: &[usize],
        dst: &Section,
        from: usize,
        theirs: &[usize],
        src: &Section,
    ) -> Result<bool> {
        assert_eq!(dst.shape(), src.shape(), "a fill moves equal boxes");
        if dst.is_empty() {
            return Ok(false);
        }
        let me = self.my_node_rank;
        if let Some(nr) = self.node_rank(from) {
            self.settle(from)?;
            let mut to = self.peer_view_mut(me, own, dst);
            copy_into(&mut to, &self.peer_view(nr, theirs, src));
            return Ok(false);
        }
        let world = self.world.expect("remote rank implies a world window");
        self.order_after_pending(world, from)?;
        let (base, len) = self.peers[me];
        let strides = row_major_strides(own);
        let at = dst
            .lo()
            .iter()
            .zip(&strides)
            .fold(0, |acc, (&l, &s)| acc + l as isize * s);
        assert!(
            dst.hi().iter().zip(own).all(|(h, n)| h <= n) && (at as usize) < len,
            "a ghost box outside its block"
        );
        let piece = Piece {
            rank: from,
            block: theirs,
            in_block: *src,
            in_buf: Section::full(&dst.shape()),
        };
        // SAFETY: `at` and the row-major strides of `own` describe box
        // `dst` of this rank's segment (checked above to lie inside it),
        // which lives as long as the window; freeing the window completes
        // every get first (`MPI_Win_unlock_all`). The strides are positive,
        // so the call issues.
        let issued = unsafe {
            self.issue(
                world,
                Rma::Get,
                &piece,
                base.offset(at),
                &dst.shape(),
                &strides,
            )?
        };
        assert!(issued, "positive strides always issue");
        Ok(true)
    }

    /// Completes every get this process has in flight on the window, the
    /// fills of [`fill_own`](Self::fill_own) among them (one
    /// `MPI_Win_flush_local_all`, or `MPI_Win_flush_all` under MPICH, as
    /// non-blocking reads are completed).
    pub(crate) fn complete_fills(&self) -> Result<()> {
        match self.world {
            Some(world) => ffi::complete_gets_all(world),
            None => Ok(()),
        }
    }

    /// One step of a collective ghost exchange for rank `me` (its block
    /// of shape `own`): posts a receive for every remote `recv` box,
    /// packs and sends every remote `send` box, copies the boxes this rank
    /// sends itself, waits for all messages and unpacks them into the
    /// boxes. With a `shadow` (a copy of the padded block, for a process
    /// that views its halo and so must not write it), boxes are read from
    /// and written to the shadow instead: the rank still sends and
    /// receives what the others expect, and its halo stays as it was.
    /// The messages use `pool`'s buffers, which stay allocated for the
    /// next step.
    ///
    /// This rank's own puts and accumulates into its own block complete
    /// first, so they travel; nothing else synchronises. The `recv` boxes
    /// must be disjoint from every `send` box of the step (halo layers
    /// and interior edges are), and the array layer keeps this process
    /// from viewing them (its ghost-view count) unless a shadow is given.
    pub(crate) fn swap_halos(
        &self,
        me: usize,
        own: &[usize],
        swaps: &[HaloSwap],
        mut shadow: Option<&mut ArrayD<T>>,
        pool: &mut HaloBuffers<T>,
    ) -> Result<()> {
        self.settle(me)?;
        let nr = self.my_node_rank;
        // Packing copies row by row (`copy_into`): an elementwise `IxDyn`
        // iterator costs more than the message.
        let read = |shadow: &Option<&mut ArrayD<T>>, b: &Section, buf: &mut Vec<T>| {
            buf.resize(b.shape().iter().product(), T::default());
            let mut to =
                ArrayViewMut::from_shape(IxDyn(&b.shape()), &mut buf[..]).expect("a box's buffer");
            match shadow {
                Some(s) => copy_into(&mut to, &narrow(s.view(), b)),
                None => copy_into(&mut to, &self.peer_view(nr, own, b)),
            }
        };
        let write = |shadow: &mut Option<&mut ArrayD<T>>, b: &Section, buf: &[T]| {
            let src = ArrayView::from_shape(IxDyn(&b.shape()), buf).expect("a box's buffer");
            match shadow {
                Some(s) => copy_into(&mut narrow(s.view_mut(), b), &src),
                None => copy_into(&mut self.peer_view_mut(nr, own, b), &src),
            }
        };
        let remote_recvs: Vec<&HaloSwap> = swaps
            .iter()
            .filter(|s| s.peer != me && !s.recv.is_empty())
            .collect();
        let remote_sends: Vec<&HaloSwap> = swaps
            .iter()
            .filter(|s| s.peer != me && !s.send.is_empty())
            .collect();
        let nbufs = remote_recvs.len() + remote_sends.len();
        if pool.bufs.len() < nbufs {
            pool.bufs.resize_with(nbufs, Vec::new);
        }
        let (recvs, sends) = pool.bufs[..nbufs].split_at_mut(remote_recvs.len());
        let mut reqs = Requests::default();
        let posted = (|| -> Result<()> {
            for (s, buf) in remote_recvs.iter().zip(recvs.iter_mut()) {
                buf.resize(s.recv.shape().iter().product(), T::default());
                // SAFETY: the buffer is neither touched, resized nor freed
                // until `reqs` is waited for below; on any error the
                // buffers are leaked instead.
                unsafe { reqs.irecv(self.control, buf, s.peer, s.recv_tag)? };
            }
            for (s, buf) in remote_sends.iter().zip(sends.iter_mut()) {
                read(&shadow, &s.send, buf);
                // SAFETY: as for the receives; the buffer is only read.
                unsafe { reqs.isend(self.control, buf, s.peer, s.send_tag)? };
            }
            Ok(())
        })();
        // While the messages travel: the boxes this rank sends itself
        // (one block along a periodic axis), matched by tag as MPI would.
        let mut to_self: HashMap<u16, Vec<T>> = swaps
            .iter()
            .filter(|s| s.peer == me && posted.is_ok())
            .map(|s| {
                let mut buf = Vec::new();
                read(&shadow, &s.send, &mut buf);
                (s.send_tag, buf)
            })
            .collect();
        for s in swaps.iter().filter(|s| s.peer == me && posted.is_ok()) {
            let buf = to_self.remove(&s.recv_tag).expect("a rank's own message");
            write(&mut shadow, &s.recv, &buf);
        }
        if let Err(e) = posted.and_then(|()| reqs.wait()) {
            // MPI may still read or write the buffers: leak them (and the
            // requests) rather than free memory in use. The job ends on
            // this error anyway (the neighbours miss their messages).
            std::mem::forget(std::mem::take(&mut pool.bufs));
            std::mem::forget(reqs);
            return Err(e);
        }
        for (s, buf) in remote_recvs.iter().zip(recvs.iter()) {
            write(&mut shadow, &s.recv, buf);
        }
        Ok(())
    }
}
