//! Zero-copy views of blocks in this node's shared memory, and `access`:
//! any section, borrowed in place when one same-node block holds it and
//! fetched otherwise.
//!
//! Every view handed out is a guard ([`LocalView`], [`Access`]) that counts
//! itself in the array's per-block view count while it lives; `rma.rs`
//! refuses this process's writes into a block whose count is not zero, so
//! a shared reference into window memory never coexists with a write from
//! its own process (the run-time check `RefCell` makes).
//!
//! The files: `borrow.rs` holds the per-block counters of views and
//! writes, `access.rs` the guards handed out ([`LocalView`], [`Access`],
//! [`NbAccess`]), and this one the methods of [`GlobalArray`] that hand
//! them out, and the write claims `rma.rs` takes.

mod access;
mod borrow;

pub use access::{Access, LocalView, NbAccess};
pub(crate) use borrow::{BlockUse, ViewBorrow, WriteClaims};

use ndarray::{ArrayView, ArrayViewMut, CowArray, Dimension};

use super::GlobalArray;
use crate::dist::{IntoSection, Section, narrow};
use crate::element::Element;
use crate::error::{Result, bail};
use crate::fault::during;
use access::Pending;

/// # Local access
impl<T: Element, D: Dimension> GlobalArray<T, D> {
    /// This rank's block as an ndarray view (`NGA_Access`), without copying.
    /// Empty (all extents zero) when the rank owns nothing. Its first
    /// element is 64-byte aligned (a cache line, an AVX-512 vector), as is
    /// every block's, whatever the alignment of the memory MPI hands out
    /// (a file-backed array's blocks lie where its file puts them, aligned
    /// to `T`). For an array with ghost cells
    /// ([`zeros_with_ghosts`](Self::zeros_with_ghosts)) it is the block
    /// without them, a strided view into the padded block (whose first
    /// element is the aligned one); [`local_with_ghosts`](Self::local_with_ghosts)
    /// views the padded block.
    ///
    /// The view is a [`LocalView`] guard: while it lives, this process's
    /// own [`put`](Self::put), [`acc`](Self::acc) and
    /// [`read_inc`](Self::read_inc) into the block return
    /// [`Borrowed`](crate::ErrorKind::Borrowed). Other ranks may write the
    /// block between synchronisations; read it after a
    /// [`sync`](Self::sync) for a consistent picture (see the crate docs
    /// on [local views](crate#local-views-and-what-they-see)).
    ///
    /// # Panics
    ///
    /// If MPI fails to complete this rank's own earlier accumulates into
    /// the block (below).
    ///
    /// # Local
    ///
    /// A view of this rank's own memory; no other rank takes part. In a job
    /// spanning nodes, where accumulates go through MPI, it first completes
    /// this rank's own accumulates into the block that may still be in
    /// flight (`MPI_Win_flush`), so that none lands while the view lives.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let ga = gain::GlobalArray::<f64, _>::zeros(&rt, [4, 4])?;
    /// let block = ga.distribution(rt.rank()).unwrap();
    /// assert_eq!(ga.local().shape(), &block.shape()[..]);
    /// assert_eq!(ga.local().as_ptr() as usize % 64, 0);
    /// let mine = ga.local();
    /// let err = ga.acc(&block, &ndarray::Array2::ones(mine.raw_dim()), 1.0);
    /// assert_eq!(err.unwrap_err().kind(), gain::ErrorKind::Borrowed);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn local(&self) -> LocalView<'_, T, D> {
        let me = self.rt.rank();
        let borrow = self
            .borrow_of(me)
            .expect("MPI could not complete this rank's accumulates into its block");
        LocalView {
            view: self.view_of(me).expect("this rank's block is on its node"),
            borrow,
            ghost: None,
        }
    }

    /// This rank's block, mutably and without copying. Writes are visible
    /// to other ranks after the next [`sync`](Self::sync). For an array
    /// with ghost cells it is the block without them (a strided view);
    /// [`local_with_ghosts_mut`](Self::local_with_ghosts_mut) has them.
    ///
    /// # Panics
    ///
    /// If the array is mapped read-only from its file
    /// ([`MapMode::ReadOnly`](crate::MapMode::ReadOnly)), whose memory
    /// cannot be written; [`try_local_mut`](Self::try_local_mut) returns
    /// [`ReadOnly`](crate::ErrorKind::ReadOnly) instead.
    ///
    /// # Local
    ///
    /// A view of this rank's own memory; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let mut ga = gain::GlobalArray::<i64, _>::zeros(&rt, 8 * rt.size())?;
    /// ga.local_mut().fill(1);
    /// ga.sync()?;
    /// assert_eq!(ga.get(..)?.sum(), 8 * rt.size() as i64);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn local_mut(&mut self) -> ArrayViewMut<'_, T, D> {
        if let Err(e) = self.check_writable() {
            panic!("GlobalArray::local_mut: {e} (try_local_mut returns this as an error)");
        }
        let me = self.rt.rank();
        let inner = self.interior(me);
        narrow(self.padded_mut(), &inner)
    }

    /// This rank's whole stored block, padded by its ghost cells, mutably:
    /// the block itself for an array without ghosts.
    pub(super) fn padded_mut(&mut self) -> ArrayViewMut<'_, T, D> {
        // A forgotten (`mem::forget`) non-blocking ghost update may still
        // have gets writing into the halo: complete them first.
        self.complete_forgotten_fills()
            .expect("MPI could not complete this rank's ghost updates");
        let dim = self.block_dim(self.rt.rank());
        ArrayViewMut::from_shape(dim, self.win.local_mut()).expect("block shape matches segment")
    }

    /// A read-only view of `rank`'s block, without copying, when `rank`
    /// shares this node's memory: a [`LocalView`] guard, which makes this
    /// process's writes into that block return
    /// [`Borrowed`](crate::ErrorKind::Borrowed) while it lives. `rank`
    /// itself may write the block meanwhile (through
    /// [`local_mut`](Self::local_mut) or a put): the view sees such writes
    /// only as the crate docs on
    /// [local views](crate#local-views-and-what-they-see) say.
    ///
    /// Errors: [`NotSameNode`](crate::ErrorKind::NotSameNode) otherwise;
    /// [`Mpi`](crate::ErrorKind::Mpi) if completing this rank's own
    /// accumulates into the block fails (below).
    ///
    /// # Local
    ///
    /// A view of node shared memory; `rank` takes no part. In a job
    /// spanning nodes it first completes this rank's own accumulates into
    /// the block that may still be in flight (`MPI_Win_flush`), as
    /// [`local`](Self::local) does.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let ga = gain::GlobalArray::<f64, _>::zeros(&rt, 64)?;
    /// for r in ga.node_ranks() {
    ///     assert_eq!(ga.local_of(r)?.len(), ga.distribution(r).map_or(0, |s| s.len()));
    /// }
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn local_of(&self, rank: usize) -> Result<LocalView<'_, T, D>> {
        during(
            "GlobalArray::local_of",
            move || -> Result<LocalView<'_, T, D>> {
                if rank >= self.rt.size() || self.win.node_rank(rank).is_none() {
                    bail!(NotSameNode, "rank {rank} does not share this rank's node");
                }
                Ok(LocalView {
                    borrow: self.borrow_of(rank)?,
                    view: self.view_of(rank).expect("a same-node block"),
                    ghost: None,
                })
            },
        )
    }

    /// A section without a copy when one block on this node holds all of
    /// it, else a copy (Global Arrays' `NGA_Access`, generalised from the
    /// caller's own block to any section): [`Access::is_view`] tells
    /// which. The borrowed form views shared memory that other ranks may
    /// write between synchronisations, and, like
    /// [`local_of`](Self::local_of)'s guard, makes this process's writes
    /// into that block return [`Borrowed`](crate::ErrorKind::Borrowed)
    /// while it lives; the copied form is a [`get`](Self::get) and holds
    /// no block. An empty section is an empty copy.
    ///
    /// Errors: as [`get`](Self::get), before anything is read.
    ///
    /// # One-sided
    ///
    /// Only the calling rank takes part; it returns at once with a view
    /// (in a job spanning nodes, once this rank's own accumulates into that
    /// block still in flight are complete), or when the copy from other
    /// ranks is complete.
    ///
    /// # Examples
    ///
    /// ```
    /// use ndarray::s;
    /// # let rt = gain::init()?;
    /// let mut ga = gain::GlobalArray::<f64, _>::zeros(&rt, [8, 4])?;
    /// ga.fill(1.0)?;
    /// // Inside this rank's own block: a view, nothing copied.
    /// if let Some(mine) = ga.distribution(rt.rank()) {
    ///     assert!(ga.access(&mine)?.is_view());
    /// }
    /// // Any section: a view when one same-node block holds it, else a copy.
    /// let part = ga.access(s![2..6, 1..3])?;
    /// assert_eq!(part.shape(), &[4, 2]);
    /// assert_eq!(part.sum(), 8.0);
    /// assert!(ga.access([0..9, 0..4]).is_err());
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn access(&self, section: impl IntoSection) -> Result<Access<'_, T, D>> {
        during(
            "GlobalArray::access",
            move || -> Result<Access<'_, T, D>> {
                let section = section.into_section(self.shape())?;
                let dim = self.section_dim(&section)?;
                if let Some(v) = self.in_place(&section)? {
                    return Ok(v);
                }
                let copy = self.with_pieces(&section, |p| self.win.read_new(p, dim))?;
                Ok(Access::copied(copy))
            },
        )
    }

    /// Starts an [`access`](Self::access) and returns without waiting for
    /// other nodes: a section that one same-node block holds is borrowed at
    /// once (and counted as [`access`](Self::access)'s view is, from now
    /// until the result of the wait is dropped), any other is requested as
    /// by [`get_nb`](Self::get_nb), and [`NbAccess::wait`] completes it. Starting the next section before
    /// computing on the current one hides the transfer.
    ///
    /// Errors: as [`get`](Self::get), before anything is sent.
    ///
    /// # One-sided
    ///
    /// Only the calling rank takes part; it returns once the request is
    /// issued, and [`NbAccess::wait`] waits for it.
    ///
    /// # Examples
    ///
    /// ```
    /// use ndarray::s;
    /// # let rt = gain::init()?;
    /// let mut ga = gain::GlobalArray::<f64, _>::zeros(&rt, [6, 6])?;
    /// ga.fill(1.0)?;
    /// let top = ga.access_nb(s![..3, ..])?;
    /// let bottom = ga.access_nb(s![3.., ..])?;
    /// // ... compute here while both travel ...
    /// assert_eq!(top.wait()?.sum() + bottom.wait()?.sum(), 36.0);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn access_nb(&self, section: impl IntoSection) -> Result<NbAccess<'_, T, D>> {
        during(
            "GlobalArray::access_nb",
            move || -> Result<NbAccess<'_, T, D>> {
                let section = section.into_section(self.shape())?;
                self.section_dim(&section)?;
                let state = match self.in_place(&section)? {
                    Some(v) => Pending::InPlace(v),
                    None => Pending::InFlight(self.get_nb(section)?),
                };
                Ok(NbAccess { state })
            },
        )
    }

    /// `section` (checked) as a counted view of the one same-node block
    /// holding it, `None` when it is empty or no such block holds it. Two
    /// owner lookups; the blocks are boxes, so the owners of the first and
    /// the last element agree exactly when one block holds the section.
    fn in_place(&self, section: &Section) -> Result<Option<Access<'_, T, D>>> {
        let held = || {
            if section.is_empty() {
                return None;
            }
            let owner = self.dist.owner(section.lo()).ok()?;
            if owner != self.dist.owner(&section.last()).ok()? {
                return None;
            }
            Some((owner, self.view_of(owner)?, self.block_of(owner)?))
        };
        let Some((owner, data, block)) = held() else {
            return Ok(None);
        };
        let borrow = self.borrow_of(owner)?;
        let view = narrow(data, &section.relative_to(block.lo()));
        Ok(Some(Access {
            data: CowArray::from(view),
            borrow: Some(borrow),
        }))
    }

    /// A new count of one view of same-node `rank`'s block, once this
    /// rank's own accumulates into it are complete (in a job spanning
    /// nodes they go through MPI and may still be in flight): no write of
    /// this process lands while the view lives.
    pub(super) fn borrow_of(&self, rank: usize) -> Result<ViewBorrow<'_>> {
        self.win.settle(rank)?;
        let nr = self
            .win
            .node_rank(rank)
            .expect("a viewed block is on this node");
        Ok(ViewBorrow::new(&self.views[nr]))
    }

    /// Claims the same-node blocks of `ranks` for a write by this process,
    /// or refuses it while this process holds a view of one of them (no
    /// block is claimed then). Costs one atomic add per same-node block
    /// and nothing for blocks on other nodes, which no view can reach.
    pub(super) fn claim_writes(
        &self,
        ranks: impl IntoIterator<Item = usize>,
    ) -> Result<WriteClaims<'_>> {
        let mut claims = WriteClaims {
            uses: &self.views,
            first: None,
            more: Vec::new(),
        };
        for rank in ranks {
            let Some(nr) = self.win.node_rank(rank) else {
                continue;
            };
            if claims.first == Some(nr) || claims.more.contains(&nr) {
                continue;
            }
            if let Err(n) = self.views[nr].claim() {
                bail!(
                    Borrowed,
                    "rank {rank}'s block is viewed by this process ({n} live view(s) \
                     from local, local_of, access or a NumPy operand); drop them before writing it"
                );
            }
            match claims.first {
                None => claims.first = Some(nr),
                Some(_) => claims.more.push(nr),
            }
        }
        Ok(claims)
    }

    /// The stored (padded) shape of `rank`'s block as a dimension.
    pub(super) fn block_dim(&self, rank: usize) -> D {
        let mut d = D::zeros(self.dim.ndim());
        d.slice_mut().copy_from_slice(self.stored_shape(rank));
        d
    }

    /// Where `rank`'s block lies in its stored (padded) block: all of it
    /// for an array without ghosts; empty when `rank` owns nothing.
    pub(super) fn interior(&self, rank: usize) -> Section {
        let w = &self.ghosts.widths;
        match self.block_of(rank) {
            Some(b) => crate::dist::ghosts::in_padded(b, b, w),
            None => Section::full(self.stored_shape(rank)),
        }
    }

    /// `section` of the stored block of `rank` (padded coordinates) as a
    /// view, `None` when `rank` is on another node. The view points into
    /// the segment without referencing anything outside `section`.
    pub(super) fn box_of(&self, rank: usize, section: &Section) -> Option<ArrayView<'_, T, D>> {
        let v = self.win.peer_box(rank, self.stored_shape(rank), section)?;
        Some(
            v.into_dimensionality()
                .expect("a block has the array's dimension"),
        )
    }

    /// `rank`'s block (the interior of a padded one) as a view, `None` when
    /// `rank` is on another node.
    fn view_of(&self, rank: usize) -> Option<ArrayView<'_, T, D>> {
        self.box_of(rank, &self.interior(rank))
    }
}
