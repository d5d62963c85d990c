//! Zero-copy views of blocks in this node's shared memory, and `access`:
//! any section, borrowed in place when one same-node block holds it and
//! fetched otherwise.

use ndarray::{ArrayView, ArrayViewMut, CowArray, Dimension};

use super::{GlobalArray, NbGet};
use crate::dist::{IntoSection, Section, narrow};
use crate::element::Element;
use crate::error::{Result, bail};

/// A section on its way from [`GlobalArray::access_nb`]: already borrowed
/// in place, or a get in flight. [`wait`](Self::wait) returns it; dropping
/// it unwaited waits for the transfer (as [`NbGet`] does).
///
/// # One-sided
///
/// The handle belongs to the calling rank; waiting on it or dropping it
/// involves no other rank.
///
/// # Examples
///
/// ```
/// # let rt = gain::init()?;
/// let mut ga = gain::GlobalArray::<f64, _>::zeros(&rt, 8)?;
/// ga.fill(2.0)?;
/// let pending: gain::NbAccess<'_, f64, _> = ga.access_nb(..)?;
/// assert_eq!(pending.wait()?.sum(), 16.0);
/// # Ok::<(), gain::Error>(())
/// ```
#[must_use = "an access in flight does nothing until `wait`"]
pub struct NbAccess<'a, T: Element, D: Dimension> {
    state: Pending<'a, T, D>,
}

enum Pending<'a, T: Element, D: Dimension> {
    InPlace(ArrayView<'a, T, D>),
    InFlight(NbGet<'a, T, D>),
}

impl<'a, T: Element, D: Dimension> NbAccess<'a, T, D> {
    /// Waits for the transfer, if any, and returns the section: a view of
    /// shared memory or a copy, as [`GlobalArray::access`] would have.
    ///
    /// Errors: [`Mpi`](crate::ErrorKind::Mpi) when completing the
    /// transfer fails.
    ///
    /// # One-sided
    ///
    /// Only the calling rank takes part; it returns when this rank's own
    /// transfer, if it needed one, has arrived.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let ga = gain::GlobalArray::<i32, _>::zeros(&rt, [4, 6])?;
    /// let part = ga.access_nb(ndarray::s![1..3, 2..])?.wait()?;
    /// assert_eq!(part, ndarray::Array2::<i32>::zeros((2, 4)));
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn wait(self) -> Result<CowArray<'a, T, D>> {
        Ok(match self.state {
            Pending::InPlace(v) => CowArray::from(v),
            Pending::InFlight(get) => CowArray::from(get.wait()?),
        })
    }
}

/// # Local access
impl<T: Element, D: Dimension> GlobalArray<T, D> {
    /// This rank's block as an ndarray view (`NGA_Access`), without copying.
    /// Empty (all extents zero) when the rank owns nothing. Its first
    /// element is 64-byte aligned (a cache line, an AVX-512 vector), as is
    /// every block's, whatever the alignment of the memory MPI hands out.
    ///
    /// Other ranks may write the block between synchronisations; read it
    /// after a [`sync`](Self::sync) for a consistent picture.
    ///
    /// # Local
    ///
    /// A view of this rank's own memory; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let ga = gain::GlobalArray::<f64, _>::zeros(&rt, [4, 4])?;
    /// let block = ga.distribution(rt.rank()).unwrap();
    /// assert_eq!(ga.local().shape(), &block.shape()[..]);
    /// assert_eq!(ga.local().as_ptr() as usize % 64, 0);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn local(&self) -> ArrayView<'_, T, D> {
        self.view_of(self.rt.rank(), self.win.local())
    }

    /// This rank's block, mutably and without copying. Writes are visible
    /// to other ranks after the next [`sync`](Self::sync).
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
        let dim = self.block_dim(self.rt.rank());
        ArrayViewMut::from_shape(dim, self.win.local_mut()).expect("block shape matches segment")
    }

    /// A read-only view of `rank`'s block, without copying, when `rank`
    /// shares this node's memory.
    ///
    /// Errors: [`NotSameNode`](crate::ErrorKind::NotSameNode) otherwise.
    ///
    /// # Local
    ///
    /// A view of node shared memory; no communication, and `rank` takes no
    /// part.
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
    pub fn local_of(&self, rank: usize) -> Result<ArrayView<'_, T, D>> {
        match self.win.peer(rank) {
            Some(data) => Ok(self.view_of(rank, data)),
            None => bail!(NotSameNode, "rank {rank} does not share this rank's node"),
        }
    }

    /// A section without a copy when one block on this node holds all of
    /// it, else a copy (Global Arrays' `NGA_Access`, generalised from the
    /// caller's own block to any section): [`CowArray::is_view`] tells
    /// which. The borrowed form views shared memory that other ranks may
    /// write between synchronisations, as [`local_of`](Self::local_of)
    /// does; the copied form is a [`get`](Self::get). An empty section is
    /// an empty copy.
    ///
    /// Errors: as [`get`](Self::get), before anything is read.
    ///
    /// # One-sided
    ///
    /// Only the calling rank takes part; it returns at once with a view, or
    /// when the copy from other ranks is complete.
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
    pub fn access(&self, section: impl IntoSection) -> Result<CowArray<'_, T, D>> {
        let section = section.into_section(self.shape())?;
        let dim = self.section_dim(&section)?;
        if let Some(v) = self.in_place(&section) {
            return Ok(CowArray::from(v));
        }
        let copy = self.with_pieces(&section, |p| self.win.read_new(p, dim))?;
        Ok(CowArray::from(copy))
    }

    /// Starts an [`access`](Self::access) and returns without waiting for
    /// other nodes: a section that one same-node block holds is borrowed at
    /// once, any other is requested as by [`get_nb`](Self::get_nb), and
    /// [`NbAccess::wait`] completes it. Starting the next section before
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
        let section = section.into_section(self.shape())?;
        self.section_dim(&section)?;
        let state = match self.in_place(&section) {
            Some(v) => Pending::InPlace(v),
            None => Pending::InFlight(self.get_nb(section)?),
        };
        Ok(NbAccess { state })
    }

    /// `section` (checked) as a view of the one same-node block holding
    /// it, `None` when it is empty or no such block holds it. Two owner
    /// lookups; the blocks are boxes, so the owners of the first and the
    /// last element agree exactly when one block holds the section.
    fn in_place(&self, section: &Section) -> Option<ArrayView<'_, T, D>> {
        if section.is_empty() {
            return None;
        }
        let owner = self.dist.owner(section.lo()).ok()?;
        if owner != self.dist.owner(&section.last()).ok()? {
            return None;
        }
        let data = self.win.peer(owner)?;
        let block = self.blocks[owner].as_ref()?;
        Some(narrow(
            self.view_of(owner, data),
            &section.relative_to(block.lo()),
        ))
    }

    fn block_dim(&self, rank: usize) -> D {
        let mut d = D::zeros(self.dim.ndim());
        d.slice_mut().copy_from_slice(&self.block_shapes[rank]);
        d
    }

    fn view_of<'a>(&self, rank: usize, data: &'a [T]) -> ArrayView<'a, T, D> {
        ArrayView::from_shape(self.block_dim(rank), data).expect("block shape matches segment")
    }
}
