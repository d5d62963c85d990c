//! One-sided data movement: get, put, accumulate, read-and-increment.

use ndarray::{Array, ArrayView, ArrayViewMut, AsArray, Dimension};

use super::GlobalArray;
use crate::dist::IntoSection;
use crate::element::Element;
use crate::error::{Result, bail};
use crate::window::PendingRead;

/// A get in flight, from [`GlobalArray::get_nb`] (`NGA_NbGet`'s handle).
/// [`wait`](Self::wait) completes it and returns the section; dropping it
/// unwaited also waits for the transfer (and discards the data), so MPI
/// never writes into freed memory.
///
/// # One-sided
///
/// ```
/// let rt = gain::init().unwrap();
/// let mut ga = gain::GlobalArray::<f64, _>::zeros(&rt, 8).unwrap();
/// ga.fill(2.0).unwrap();
/// let pending: gain::NbGet<'_, f64, _> = ga.get_nb(0..8).unwrap();
/// assert_eq!(pending.wait().unwrap().sum(), 16.0);
/// ```
#[must_use = "a get in flight does nothing until `wait`"]
pub struct NbGet<'a, T: Element, D: Dimension> {
    read: PendingRead<'a, T, D>,
}

impl<T: Element, D: Dimension> NbGet<'_, T, D> {
    /// Waits for the transfer (`NGA_NbWait`) and returns the section.
    ///
    /// Errors: [`Mpi`](crate::ErrorKind::Mpi) when completing the
    /// transfer fails.
    ///
    /// # One-sided
    ///
    /// ```
    /// let rt = gain::init().unwrap();
    /// let ga = gain::GlobalArray::<i32, _>::zeros(&rt, [4, 6]).unwrap();
    /// let part = ga.get_nb([1..3, 2..6]).unwrap().wait().unwrap();
    /// assert_eq!(part, ndarray::Array2::<i32>::zeros((2, 4)));
    /// ```
    pub fn wait(self) -> Result<Array<T, D>> {
        self.read.wait()
    }
}

/// # One-sided data movement
///
/// Every call checks its arguments first and returns an error before
/// anything is read, written or sent. Same-node blocks are copied directly
/// through shared memory; blocks on other nodes with MPI RMA.
impl<T: Element, D: Dimension> GlobalArray<T, D> {
    /// Copies a section into a new array (`NGA_Get`).
    ///
    /// Errors: [`OutOfBounds`](crate::ErrorKind::OutOfBounds),
    /// [`ReversedSection`](crate::ErrorKind::ReversedSection),
    /// [`DimensionMismatch`](crate::ErrorKind::DimensionMismatch).
    ///
    /// # One-sided
    ///
    /// ```
    /// let rt = gain::init().unwrap();
    /// let mut ga = gain::GlobalArray::<i32, _>::zeros(&rt, [4, 4]).unwrap();
    /// ga.fill(3).unwrap();
    /// let part = ga.get([1..3, 0..4]).unwrap();
    /// assert_eq!(part.shape(), &[2, 4]);
    /// assert!(part.iter().all(|&x| x == 3));
    /// ```
    pub fn get(&self, section: impl IntoSection) -> Result<Array<T, D>> {
        let section = section.into_section(self.shape())?;
        let dim = self.section_dim(&section)?;
        self.with_pieces(&section, |p| self.win.read_new(p, dim))
    }

    /// Starts copying a section into a new array and returns without
    /// waiting for ranks on other nodes (`NGA_NbGet`): same-node blocks
    /// are copied at once, remote ones are requested with `MPI_Get`, and
    /// [`NbGet::wait`] completes them. Several gets may be in flight at
    /// once, and computing while they travel hides their latency. As with
    /// Global Arrays, a put or accumulate into the section by this rank
    /// before the wait leaves the result undefined (never unsafe).
    ///
    /// Errors: as [`get`](Self::get), before anything is sent.
    ///
    /// # One-sided
    ///
    /// ```
    /// let rt = gain::init().unwrap();
    /// let mut ga = gain::GlobalArray::<f64, _>::zeros(&rt, [6, 6]).unwrap();
    /// ga.fill(1.0).unwrap();
    /// let top = ga.get_nb([0..3, 0..6]).unwrap();
    /// let bottom = ga.get_nb([3..6, 0..6]).unwrap();
    /// // ... compute here while both travel ...
    /// assert_eq!(top.wait().unwrap().sum() + bottom.wait().unwrap().sum(), 36.0);
    /// assert!(ga.get_nb([0..7, 0..6]).is_err());
    /// ```
    pub fn get_nb(&self, section: impl IntoSection) -> Result<NbGet<'_, T, D>> {
        let section = section.into_section(self.shape())?;
        let dim = self.section_dim(&section)?;
        let read = self.with_pieces(&section, |p| self.win.read_start(p, dim))?;
        Ok(NbGet { read })
    }

    /// Copies a section into `dst`, which must have the section's shape
    /// (any memory layout).
    ///
    /// Errors: as [`get`](Self::get), and
    /// [`ShapeMismatch`](crate::ErrorKind::ShapeMismatch).
    ///
    /// # One-sided
    ///
    /// ```
    /// let rt = gain::init().unwrap();
    /// let mut ga = gain::GlobalArray::<f64, _>::zeros(&rt, [4, 4]).unwrap();
    /// ga.fill(1.5).unwrap();
    /// let mut buf = ndarray::Array2::<f64>::zeros((4, 2));
    /// ga.get_into([0..4, 2..4], buf.view_mut()).unwrap();
    /// assert_eq!(buf.sum(), 12.0);
    /// ```
    pub fn get_into<'a>(
        &self,
        section: impl IntoSection,
        dst: impl Into<ArrayViewMut<'a, T, D>>,
    ) -> Result<()> {
        let section = section.into_section(self.shape())?;
        let dst = dst.into();
        self.check_buffer(&section, dst.shape())?;
        self.with_pieces(&section, |p| self.win.read_into(p, dst))
    }

    /// The element at `index`: the fast path for single elements, without
    /// the section machinery of [`get`](Self::get) — a load from shared
    /// memory when the owner is on this node, one `MPI_Get` otherwise.
    ///
    /// Errors: [`OutOfBounds`](crate::ErrorKind::OutOfBounds),
    /// [`DimensionMismatch`](crate::ErrorKind::DimensionMismatch).
    ///
    /// # One-sided
    ///
    /// ```
    /// let rt = gain::init().unwrap();
    /// let mut ga = gain::GlobalArray::<i32, _>::zeros(&rt, [3, 3]).unwrap();
    /// ga.fill(5).unwrap();
    /// assert_eq!(ga.at(&[2, 1]).unwrap(), 5);
    /// assert!(ga.at(&[3, 0]).is_err());
    /// ```
    pub fn at(&self, index: &[usize]) -> Result<T> {
        let rank = self.dist.owner(index)?;
        self.win.read_one(rank, self.block_offset(rank, index))
    }

    /// Writes `src` into a section (`NGA_Put`). Returns once `src` may be
    /// reused; other ranks see the data after [`sync`](Self::sync).
    ///
    /// Errors: as [`get_into`](Self::get_into).
    ///
    /// # One-sided
    ///
    /// ```
    /// let rt = gain::init().unwrap();
    /// let ga = gain::GlobalArray::<f64, _>::zeros(&rt, 10).unwrap();
    /// if rt.rank() == 0 {
    ///     ga.put(2..5, ndarray::array![1.0, 2.0, 3.0].view()).unwrap();
    /// }
    /// ga.sync().unwrap();
    /// assert_eq!(ga.get(0..10).unwrap().sum(), 6.0);
    /// ```
    pub fn put<'a>(&self, section: impl IntoSection, src: impl AsArray<'a, T, D>) -> Result<()> {
        let section = section.into_section(self.shape())?;
        let src: ArrayView<'a, T, D> = src.into();
        self.check_buffer(&section, src.shape())?;
        self.with_pieces(&section, |p| self.win.write(p, src.into_dyn()))
    }

    /// Atomically adds `alpha * src` into a section, element by element
    /// (`NGA_Acc`): concurrent accumulates from any ranks into the same
    /// elements all take effect. Returns once `src` may be reused.
    ///
    /// Errors: as [`put`](Self::put).
    ///
    /// # One-sided
    ///
    /// ```
    /// let rt = gain::init().unwrap();
    /// let ga = gain::GlobalArray::<i64, _>::zeros(&rt, 4).unwrap();
    /// ga.acc(0..4, ndarray::array![1, 1, 1, 1].view(), 2).unwrap();
    /// ga.sync().unwrap();
    /// assert_eq!(ga.get(0..4).unwrap().sum(), 8 * rt.size() as i64);
    /// ```
    pub fn acc<'a>(
        &self,
        section: impl IntoSection,
        src: impl AsArray<'a, T, D>,
        alpha: T,
    ) -> Result<()> {
        let section = section.into_section(self.shape())?;
        let src: ArrayView<'a, T, D> = src.into();
        self.check_buffer(&section, src.shape())?;
        self.with_pieces(&section, |p| self.win.accumulate(p, src.into_dyn(), alpha))
    }

    /// Atomically adds `inc` to the element at `index` and returns its
    /// previous value (`NGA_Read_inc`): a shared counter for dynamic load
    /// balancing. Integer arrays only.
    ///
    /// Errors: [`NotInteger`](crate::ErrorKind::NotInteger),
    /// [`OutOfBounds`](crate::ErrorKind::OutOfBounds),
    /// [`DimensionMismatch`](crate::ErrorKind::DimensionMismatch).
    ///
    /// # One-sided
    ///
    /// ```
    /// let rt = gain::init().unwrap();
    /// let counter = gain::GlobalArray::<i64, _>::zeros(&rt, 1).unwrap();
    /// let ticket = counter.read_inc(&[0], 1).unwrap();
    /// assert!(ticket < rt.size() as i64);
    /// ```
    pub fn read_inc(&self, index: &[usize], inc: T) -> Result<T> {
        if !T::IS_INTEGER {
            bail!(
                NotInteger,
                "read_inc needs an integer array, not {}",
                std::any::type_name::<T>()
            );
        }
        let rank = self.dist.owner(index)?;
        self.win
            .fetch_add(rank, self.block_offset(rank, index), inc)
    }
}
