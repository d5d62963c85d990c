//! Zero-copy views of blocks in this node's shared memory.

use ndarray::{ArrayView, ArrayViewMut, Dimension};

use super::GlobalArray;
use crate::element::Element;
use crate::error::{Result, bail};

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
    /// # One-sided
    ///
    /// ```
    /// let rt = gain::init().unwrap();
    /// let ga = gain::GlobalArray::<f64, _>::zeros(&rt, [4, 4]).unwrap();
    /// let block = ga.distribution(rt.rank()).unwrap();
    /// assert_eq!(ga.local().shape(), &block.shape()[..]);
    /// assert_eq!(ga.local().as_ptr() as usize % 64, 0);
    /// ```
    pub fn local(&self) -> ArrayView<'_, T, D> {
        self.view_of(self.rt.rank(), self.win.local())
    }

    /// This rank's block, mutably and without copying. Writes are visible
    /// to other ranks after the next [`sync`](Self::sync).
    ///
    /// # One-sided
    ///
    /// ```
    /// let rt = gain::init().unwrap();
    /// let mut ga = gain::GlobalArray::<i64, _>::zeros(&rt, 8 * rt.size()).unwrap();
    /// ga.local_mut().fill(1);
    /// ga.sync().unwrap();
    /// assert_eq!(ga.get(0..8 * rt.size()).unwrap().sum(), 8 * rt.size() as i64);
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
    /// # One-sided
    ///
    /// ```
    /// let rt = gain::init().unwrap();
    /// let ga = gain::GlobalArray::<f64, _>::zeros(&rt, 64).unwrap();
    /// for r in ga.node_ranks() {
    ///     assert_eq!(ga.local_of(r).unwrap().len(), ga.distribution(r).map_or(0, |s| s.len()));
    /// }
    /// ```
    pub fn local_of(&self, rank: usize) -> Result<ArrayView<'_, T, D>> {
        match self.win.peer(rank) {
            Some(data) => Ok(self.view_of(rank, data)),
            None => bail!(NotSameNode, "rank {rank} does not share this rank's node"),
        }
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
