//! Ghost cells: filling a box of this rank's own block from a box of
//! another's (or its own), for `GlobalArray`'s ghost updates, and views of
//! any box of a same-node block. Same-node sources are copied at once
//! through shared memory; remote ones are read with `MPI_Get` straight
//! into the segment (one call per source box, or the few of
//! `transfer::plan`), completed together by
//! [`complete_fills`](Window::complete_fills).

use ndarray::{ArrayView, IxDyn};

use crate::dist::Section;
use crate::element::Element;
use crate::error::Result;

use super::Window;
use super::copy::{Piece, copy_into, row_major_strides};
use super::ffi::{self, Rma};

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
}
