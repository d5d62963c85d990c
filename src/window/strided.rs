//! Stepped transfers (Global Arrays' `NGA_Strided_get/put/acc`): only the
//! selected elements move. A stepped piece is a [`Piece`] whose
//! `in_block.lo()` is the first selected index in the block and whose
//! extents are the counts; the section's steps, the same for every piece,
//! multiply the block's row-major strides on the target side. Remotely
//! that is one MPI call per piece with an hvector target datatype (more
//! only when the piece is cut below the transfer limit); on the node, a
//! strided copy.

use mpi::ffi::MPI_Win;
use ndarray::{Array, ArrayView, ArrayViewMut, IxDyn};

use crate::dist::{Section, narrow, narrow_stepped};
use crate::element::Element;
use crate::error::Result;

use super::copy::{Piece, add_scaled, copy_into, row_major_strides};
use super::ffi::{self, Rma};
use super::pending::Access;
use super::rma::{access, put_as};
use super::transfer;
use super::{AccRoute, Window};

impl<T: Element> Window<T> {
    /// Reads the stepped pieces of a selection into `dst`, which has the
    /// selection's shape (the pieces' `in_buf` are places in it).
    pub(crate) fn read_strided(
        &self,
        pieces: &[Piece<'_>],
        step: &[usize],
        dst: ArrayViewMut<'_, T, IxDyn>,
    ) -> Result<()> {
        let mut dst = dst;
        for p in pieces {
            let mut part = narrow(dst.view_mut(), &p.in_buf);
            if let Some(nr) = self.node_rank_of[p.rank] {
                self.settle(p.rank)?;
                let block = self.peer_view(nr, p.block, &Section::full(p.block));
                copy_into(&mut part, &narrow_stepped(block, &p.in_block, step));
                continue;
            }
            let world = self.world.expect("remote rank implies a world window");
            self.order_before(world, p.rank, p.footprint(Access::Read))?;
            let origin = part.as_mut_ptr();
            // SAFETY: `origin` and the strides describe `part`, a view of
            // the caller's buffer that outlives the flush below.
            if unsafe { self.issue_stepped(world, Rma::Get, p, step, origin, &part.view())? } {
                ffi::complete_gets(world, p.rank)?;
                continue;
            }
            // Negative strides: get into a standard-layout buffer, then copy.
            let mut tmp = Array::<T, IxDyn>::zeros(part.raw_dim());
            let at = tmp.as_mut_ptr();
            // SAFETY: as above, for `tmp`, new and in standard layout.
            let issued = unsafe { self.issue_stepped(world, Rma::Get, p, step, at, &tmp.view())? };
            assert!(
                issued,
                "a new standard-layout buffer has no negative strides"
            );
            ffi::complete_gets(world, p.rank)?;
            copy_into(&mut part, &tmp.view());
        }
        Ok(())
    }

    /// Writes `src` (shaped like the selection) into the stepped pieces.
    pub(crate) fn write_strided(
        &self,
        pieces: &[Piece<'_>],
        step: &[usize],
        src: ArrayView<'_, T, IxDyn>,
    ) -> Result<()> {
        self.check_writable()?;
        for p in pieces {
            let part = narrow(src.view(), &p.in_buf);
            if let Some(nr) = self.node_rank_of[p.rank] {
                self.settle(p.rank)?;
                let block = self.peer_view_mut(nr, p.block, &Section::full(p.block));
                copy_into(&mut narrow_stepped(block, &p.in_block, step), &part);
            } else {
                let world = self.world.expect("remote rank implies a world window");
                self.put_stepped(world, Rma::Put, p, step, part)?;
            }
        }
        Ok(())
    }

    /// Atomically adds `alpha * src` (shaped like the selection) into the
    /// stepped pieces, element by element, on the job's accumulate route.
    pub(crate) fn accumulate_strided(
        &self,
        pieces: &[Piece<'_>],
        step: &[usize],
        src: ArrayView<'_, T, IxDyn>,
        alpha: T,
    ) -> Result<()> {
        self.check_writable()?;
        for p in pieces {
            let part = narrow(src.view(), &p.in_buf);
            match self.route {
                AccRoute::SharedLock => {
                    let nr = self.node_rank_of[p.rank].expect("single-node job");
                    let block = self.peer_view_mut(nr, p.block, &Section::full(p.block));
                    let mut dst = narrow_stepped(block, &p.in_block, step);
                    let _guard = self.lock(nr);
                    add_scaled(&mut dst, &part, alpha);
                }
                AccRoute::Mpi => {
                    let world = self.world.expect("multi-node job");
                    if alpha == T::one() {
                        self.put_stepped(world, Rma::AccumulateSum, p, step, part)?;
                    } else {
                        // Scaled with wrapping, as the shared-lock route does.
                        let scaled = part.mapv(|s| alpha.wrapping_mul(s));
                        self.put_stepped(world, Rma::AccumulateSum, p, step, scaled.view())?;
                    }
                }
            }
        }
        Ok(())
    }

    /// A put or accumulate of `src` into stepped piece `p`, complete
    /// locally on return (`src` may be reused).
    fn put_stepped(
        &self,
        world: MPI_Win,
        op: Rma,
        p: &Piece<'_>,
        step: &[usize],
        src: ArrayView<'_, T, IxDyn>,
    ) -> Result<()> {
        let op = put_as(op, src.len() * size_of::<T>());
        let f = p.footprint(access(op));
        self.order_before(world, p.rank, f)?;
        if let Some(done) = self.issue_from_copy(world, p.rank, f, &src, &mut |at, like| {
            // SAFETY: `issue_from_copy` passes the start of its packed copy
            // of `src`, laid out as `like`, which lives until a flush.
            unsafe { self.issue_stepped(world, op, p, step, at, like) }
        }) {
            return done;
        }
        let origin = src.as_ptr() as *mut T;
        // SAFETY: `origin` and the strides describe `src`, which outlives
        // the local flush below; puts and accumulates only read it.
        if !unsafe { self.issue_stepped(world, op, p, step, origin, &src)? } {
            let packed = src.as_standard_layout();
            return self.put_stepped(world, op, p, step, packed.view());
        }
        self.pending[p.rank].issue(f);
        ffi::flush_local(world, p.rank)
    }

    /// Issues `op` between the origin box `origin` (laid out as `like`)
    /// and stepped piece `p`: the target strides are the block's row-major
    /// strides times the steps, cut by `transfer::plan` (one chunk, so one
    /// call, below the transfer limit). Returns `false`, having issued
    /// nothing, when an origin stride is negative (the caller packs).
    ///
    /// # Safety
    /// `origin` with `like`'s shape and strides must describe live memory
    /// of `T`, writable for `Rma::Get`, that stays valid until completion.
    unsafe fn issue_stepped(
        &self,
        world: MPI_Win,
        op: Rma,
        p: &Piece<'_>,
        step: &[usize],
        origin: *mut T,
        like: &ArrayView<'_, T, IxDyn>,
    ) -> Result<bool> {
        let tdisp = self.target_disp(p.rank, p.block, &p.in_block);
        let limit = self.max_transfer_bytes / size_of::<T>();
        let target: Vec<isize> = row_major_strides(p.block)
            .iter()
            .zip(step)
            .map(|(&s, &k)| s * k as isize)
            .collect();
        let Some(chunks) = transfer::plan(like.shape(), like.strides(), &target, limit) else {
            return Ok(false);
        };
        for c in &chunks {
            // SAFETY: the plan keeps every origin offset inside the box,
            // and every target offset inside the piece's selected
            // elements, which lie in the block.
            unsafe {
                let at = origin.offset(c.origin_offset);
                ffi::rma(op, world, p.rank, self.disp(tdisp, c), at, &c.dims)?;
            }
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::super::copy::row_major_strides;
    use super::super::transfer::{Dim, plan};

    /// A stepped piece of a block is one chunk, so one MPI call, below the
    /// limit: the steps multiply the block's strides on the target side,
    /// and a unit-step inner axis covering whole rows still merges.
    #[test]
    fn a_stepped_piece_is_one_strided_chunk() {
        let block = [10, 6];
        let target: Vec<isize> = row_major_strides(&block)
            .iter()
            .zip([3, 2])
            .map(|(&s, k)| s * k)
            .collect();
        let p = plan(&[4, 3], &[3, 1], &target, 1 << 20).unwrap();
        assert_eq!(p.len(), 1);
        assert_eq!(
            p[0].dims,
            vec![
                Dim {
                    n: 4,
                    origin_stride: 3,
                    target_stride: 18
                },
                Dim {
                    n: 3,
                    origin_stride: 1,
                    target_stride: 2
                }
            ]
        );
        // Every third row, whole rows: one vector of rows.
        let p = plan(&[4, 6], &[6, 1], &[18, 1], 1 << 20).unwrap();
        assert_eq!((p.len(), p[0].dims.len()), (1, 2));
        // Below a limit of 5 elements it is cut, each chunk still strided.
        let p = plan(&[4, 3], &[3, 1], &target, 5).unwrap();
        assert_eq!(p.len(), 4);
        assert!(p.iter().all(|c| c.dims.last().unwrap().target_stride == 2));
    }
}
