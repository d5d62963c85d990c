//! One-sided data movement: get, put, accumulate, read-and-increment.

use ndarray::{Array, ArrayView, ArrayViewMut, AsArray, Dimension};

use super::GlobalArray;
use crate::dist::IntoSection;
use crate::element::Element;
use crate::error::{Result, bail};
use crate::fault::during;
use crate::window::PendingRead;

/// A get in flight, from [`GlobalArray::get_nb`] (`NGA_NbGet`'s handle).
/// [`wait`](Self::wait) completes it and returns the section; dropping it
/// unwaited also waits for the transfer (and discards the data), so MPI
/// never writes into freed memory.
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
/// let pending: gain::NbGet<'_, f64, _> = ga.get_nb(..)?;
/// assert_eq!(pending.wait()?.sum(), 16.0);
/// # Ok::<(), gain::Error>(())
/// ```
#[must_use = "a get in flight does nothing until `wait`"]
pub struct NbGet<'a, T: Element, D: Dimension> {
    read: PendingRead<'a, T, D>,
}

impl<T: Element, D: Dimension> NbGet<'_, T, D> {
    /// Whether the section has arrived (`NGA_NbTest`), without blocking;
    /// once `true`, [`wait`](Self::wait) returns at once. Calling it again
    /// after `true` returns `true`. Each call also lets MPI progress.
    ///
    /// Errors: [`Mpi`](crate::ErrorKind::Mpi) when testing fails;
    /// [`ThreadLevel`](crate::ErrorKind::ThreadLevel) from a second thread
    /// below `MPI_THREAD_MULTIPLE`.
    ///
    /// # One-sided
    ///
    /// Only the calling rank takes part; it tests this rank's own
    /// transfers (`MPI_Testall` on their requests).
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let mut ga = gain::GlobalArray::<f64, _>::zeros(&rt, 8)?;
    /// ga.fill(1.0)?;
    /// let mut pending = ga.get_nb(2..6)?;
    /// while !pending.test()? {
    ///     // ... other work ...
    /// }
    /// assert_eq!(pending.wait()?.sum(), 4.0);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn test(&mut self) -> Result<bool> {
        during("NbGet::test", || self.read.test())
    }

    /// Waits for the transfer (`NGA_NbWait`) and returns the section.
    ///
    /// Errors: [`Mpi`](crate::ErrorKind::Mpi) when completing the
    /// transfer fails.
    ///
    /// # One-sided
    ///
    /// Only the calling rank takes part; it returns when this rank's own
    /// transfer has arrived.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let ga = gain::GlobalArray::<i32, _>::zeros(&rt, [4, 6])?;
    /// let part = ga.get_nb(ndarray::s![1..3, 2..])?.wait()?;
    /// assert_eq!(part, ndarray::Array2::<i32>::zeros((2, 4)));
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn wait(self) -> Result<Array<T, D>> {
        during("NbGet::wait", move || -> Result<Array<T, D>> {
            self.read.wait()
        })
    }
}

/// # One-sided data movement
///
/// Every call checks its arguments first and returns an error before
/// anything is read, written or sent. Same-node blocks are copied directly
/// through shared memory; blocks on other nodes with MPI RMA.
impl<T: Element, D: Dimension> GlobalArray<T, D> {
    /// Copies a section into a new array (`NGA_Get`). The section is any
    /// [`IntoSection`](crate::IntoSection) form: `[1..3, 0..4]`,
    /// `s![1..3, ..]`, `..` for the whole array.
    ///
    /// Errors: [`OutOfBounds`](crate::ErrorKind::OutOfBounds),
    /// [`ReversedSection`](crate::ErrorKind::ReversedSection),
    /// [`DimensionMismatch`](crate::ErrorKind::DimensionMismatch),
    /// [`InvalidArgument`](crate::ErrorKind::InvalidArgument) (an `s![]`
    /// with a step, an index or a new axis).
    ///
    /// # One-sided
    ///
    /// Only the calling rank takes part; it returns when the copy is
    /// complete. It sees what other ranks wrote before the last
    /// [`sync`](Self::sync).
    ///
    /// # Examples
    ///
    /// ```
    /// use ndarray::s;
    /// # let rt = gain::init()?;
    /// let mut ga = gain::GlobalArray::<i32, _>::zeros(&rt, [4, 4])?;
    /// ga.fill(3)?;
    /// let part = ga.get(s![1..3, ..])?;
    /// assert_eq!(part.shape(), &[2, 4]);
    /// assert!(part.iter().all(|&x| x == 3));
    /// assert_eq!(ga.get(..)?.sum(), 48);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn get(&self, section: impl IntoSection) -> Result<Array<T, D>> {
        during("GlobalArray::get", move || -> Result<Array<T, D>> {
            let section = section.into_section(self.shape())?;
            let dim = self.section_dim(&section)?;
            self.with_pieces(&section, |p| self.win.read_new(p, dim))
        })
    }

    /// Starts copying a section into a new array and returns without
    /// waiting for ranks on other nodes (`NGA_NbGet`): same-node blocks
    /// are copied at once, remote ones are requested with `MPI_Rget`,
    /// [`NbGet::test`] tells whether they have arrived and [`NbGet::wait`]
    /// completes them. Several gets may be in flight at
    /// once, and computing while they travel hides their latency. As with
    /// Global Arrays, a put or accumulate into the section by this rank
    /// before the wait leaves the result undefined (never unsafe).
    ///
    /// Errors: as [`get`](Self::get), before anything is sent.
    ///
    /// # One-sided
    ///
    /// Only the calling rank takes part; it returns once the transfers are
    /// issued, and [`NbGet::wait`] waits for them.
    ///
    /// # Examples
    ///
    /// ```
    /// use ndarray::s;
    /// # let rt = gain::init()?;
    /// let mut ga = gain::GlobalArray::<f64, _>::zeros(&rt, [6, 6])?;
    /// ga.fill(1.0)?;
    /// let top = ga.get_nb(s![..3, ..])?;
    /// let bottom = ga.get_nb(s![3.., ..])?;
    /// // ... compute here while both travel ...
    /// assert_eq!(top.wait()?.sum() + bottom.wait()?.sum(), 36.0);
    /// assert!(ga.get_nb([0..7, 0..6]).is_err());
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn get_nb(&self, section: impl IntoSection) -> Result<NbGet<'_, T, D>> {
        during("GlobalArray::get_nb", move || -> Result<NbGet<'_, T, D>> {
            let section = section.into_section(self.shape())?;
            let dim = self.section_dim(&section)?;
            let read = self.with_pieces(&section, |p| self.win.read_start(p, dim))?;
            Ok(NbGet { read })
        })
    }

    /// Copies a section into `dst`, which must have the section's shape
    /// (any memory layout): `&mut array`, a `view_mut()` or a slice of one,
    /// or `&mut [T]` for a 1-d array.
    ///
    /// Errors: as [`get`](Self::get), and
    /// [`ShapeMismatch`](crate::ErrorKind::ShapeMismatch).
    ///
    /// # One-sided
    ///
    /// Only the calling rank takes part; it returns when `dst` holds the
    /// section.
    ///
    /// # Examples
    ///
    /// ```
    /// use ndarray::s;
    /// # let rt = gain::init()?;
    /// let mut ga = gain::GlobalArray::<f64, _>::zeros(&rt, [4, 4])?;
    /// ga.fill(1.5)?;
    /// let mut buf = ndarray::Array2::<f64>::zeros((4, 2));
    /// ga.get_into(s![.., 2..], &mut buf)?;
    /// assert_eq!(buf.sum(), 12.0);
    /// ga.get_into(s![..2, ..], buf.view_mut().reversed_axes())?;
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn get_into<'a>(
        &self,
        section: impl IntoSection,
        dst: impl Into<ArrayViewMut<'a, T, D>>,
    ) -> Result<()> {
        during("GlobalArray::get_into", move || -> Result<()> {
            let section = section.into_section(self.shape())?;
            let dst = dst.into();
            self.check_buffer(&section, dst.shape())?;
            self.with_pieces(&section, |p| self.win.read_into(p, dst))
        })
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
    /// Only the calling rank takes part; it returns with the value.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let mut ga = gain::GlobalArray::<i32, _>::zeros(&rt, [3, 3])?;
    /// ga.fill(5)?;
    /// assert_eq!(ga.at(&[2, 1])?, 5);
    /// assert!(ga.at(&[3, 0]).is_err());
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn at(&self, index: &[usize]) -> Result<T> {
        during("GlobalArray::at", move || -> Result<T> {
            let rank = self.dist.owner(index)?;
            self.win.read_one(rank, self.block_offset(rank, index))
        })
    }

    /// Writes `src` into a section (`NGA_Put`). `src` is anything ndarray
    /// reads as a view of the section's shape ([`AsArray`]): `&array`, a
    /// view, or `&[T]` / `&Vec<T>` for a 1-d array.
    ///
    /// Errors: as [`get_into`](Self::get_into);
    /// [`Borrowed`](crate::ErrorKind::Borrowed) while this process views a
    /// target block; [`ReadOnly`](crate::ErrorKind::ReadOnly) for an array
    /// mapped read-only from its file.
    ///
    /// # One-sided
    ///
    /// Only the calling rank takes part; it returns once `src` may be
    /// reused, and other ranks see the data after the next
    /// [`sync`](Self::sync).
    ///
    /// # Examples
    ///
    /// ```
    /// use ndarray::array;
    /// # let rt = gain::init()?;
    /// let ga = gain::GlobalArray::<f64, _>::zeros(&rt, 10)?;
    /// if rt.rank() == 0 {
    ///     ga.put(2..5, &array![1.0, 2.0, 3.0])?;
    ///     ga.put(8.., &[4.0, 5.0])?;
    /// }
    /// ga.sync()?;
    /// assert_eq!(ga.get(..)?.sum(), 15.0);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn put<'a>(&self, section: impl IntoSection, src: impl AsArray<'a, T, D>) -> Result<()> {
        during("GlobalArray::put", move || -> Result<()> {
            let section = section.into_section(self.shape())?;
            let src: ArrayView<'a, T, D> = src.into();
            self.check_buffer(&section, src.shape())?;
            self.with_pieces(&section, |p| {
                let _claims = self.claim_writes(p.iter().map(|p| p.rank))?;
                self.win.write(p, src.into_dyn())
            })
        })
    }

    /// Atomically adds `alpha * src` into a section, element by element
    /// (`NGA_Acc`): concurrent accumulates from any ranks into the same
    /// elements all take effect. `src` takes the forms of
    /// [`put`](Self::put)'s.
    ///
    /// Integer sums and products wrap on overflow, as `MPI_SUM` does,
    /// wherever the target lives ([`Element::wrapping_add`],
    /// [`Element::wrapping_mul`]). Across nodes the MPI library does the
    /// adds: Open MPI 4.1's AVX reductions get overflowing sums of 8- and
    /// 16-bit integers wrong there (neighbouring elements change too;
    /// open-mpi/ompi#8045), so run with `OMPI_MCA_op=^avx` or keep such
    /// counters to 32 or 64 bits when they may overflow.
    ///
    /// Errors: as [`put`](Self::put).
    ///
    /// # One-sided
    ///
    /// Only the calling rank takes part; it returns once `src` may be
    /// reused, and the sums are visible everywhere after the next
    /// [`sync`](Self::sync).
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let ga = gain::GlobalArray::<i64, _>::zeros(&rt, 4)?;
    /// ga.acc(.., &ndarray::array![1, 1, 1, 1], 2)?;
    /// ga.sync()?;
    /// assert_eq!(ga.get(..)?.sum(), 8 * rt.size() as i64);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn acc<'a>(
        &self,
        section: impl IntoSection,
        src: impl AsArray<'a, T, D>,
        alpha: T,
    ) -> Result<()> {
        during("GlobalArray::acc", move || -> Result<()> {
            let section = section.into_section(self.shape())?;
            let src: ArrayView<'a, T, D> = src.into();
            self.check_buffer(&section, src.shape())?;
            if section.len() == 1 {
                // One element: its owner and offset straight from the
                // index, as `read_inc` finds them (5× faster on one node
                // than the region's pieces and views). The same sum:
                // `alpha * s` added with wrapping, as `accumulate` does.
                let index = section.lo();
                let rank = self.dist.owner(index)?;
                let s = *src.iter().next().expect("one element");
                let v = if alpha == T::one() {
                    s
                } else {
                    alpha.wrapping_mul(s)
                };
                let _claim = self.claim_writes([rank])?;
                return self
                    .win
                    .accumulate_one(rank, self.block_offset(rank, index), v);
            }
            self.with_pieces(&section, |p| {
                let _claims = self.claim_writes(p.iter().map(|p| p.rank))?;
                self.win.accumulate(p, src.into_dyn(), alpha)
            })
        })
    }

    /// Atomically adds `inc` to the element at `index` and returns its
    /// previous value (`NGA_Read_inc`): a shared counter for dynamic load
    /// balancing. Integer arrays only.
    ///
    /// The increment is signed, as Global Arrays' `long`, so any counter
    /// can count down. It is converted to `T` with two's complement
    /// wrapping ([`Element::wrapping_from_i64`]) and added with wrapping
    /// ([`Element::wrapping_add`]), on every placement: `-1` decrements a
    /// `u32` counter, a `u8` counter at 255 wraps to 0, and an increment
    /// beyond `T`'s range adds its truncation.
    ///
    /// Errors: [`NotInteger`](crate::ErrorKind::NotInteger),
    /// [`ReadOnly`](crate::ErrorKind::ReadOnly) (as [`put`](Self::put)),
    /// [`OutOfBounds`](crate::ErrorKind::OutOfBounds),
    /// [`DimensionMismatch`](crate::ErrorKind::DimensionMismatch).
    ///
    /// # One-sided
    ///
    /// Only the calling rank takes part; it returns with the old value once
    /// the add has taken effect at the owner, so the next `read_inc` by any
    /// rank sees it.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let counter = gain::GlobalArray::<i64, _>::zeros(&rt, 1)?;
    /// let ticket = counter.read_inc(&[0], 1)?;
    /// assert!(ticket < rt.size() as i64);
    /// let mut left = gain::GlobalArray::<u32, _>::zeros(&rt, 1)?;
    /// left.fill(10)?;
    /// left.read_inc(&[0], -1)?; // every rank takes one
    /// left.sync()?;
    /// assert_eq!(left.at(&[0])?, 10 - rt.size() as u32);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn read_inc(&self, index: &[usize], inc: i64) -> Result<T> {
        during("GlobalArray::read_inc", move || -> Result<T> {
            if !T::IS_INTEGER {
                bail!(
                    NotInteger,
                    "read_inc needs an integer array, not {}",
                    std::any::type_name::<T>()
                );
            }
            let rank = self.dist.owner(index)?;
            let _claim = self.claim_writes([rank])?;
            self.win.fetch_add(
                rank,
                self.block_offset(rank, index),
                T::wrapping_from_i64(inc),
            )
        })
    }
}
