//! Stepped sections (Global Arrays' `NGA_Strided_get/put/acc`): moving
//! every `k`-th element of a range per axis, and nothing between.

use ndarray::{Array, ArrayView, ArrayViewMut, AsArray, Axis, Dimension, IxDyn};

use super::GlobalArray;
use crate::dist::{IntoStridedSection, StridedSection};
use crate::element::Element;
use crate::error::{Result, bail};
use crate::fault::during;
use crate::window::Piece;

/// # Stepped sections
///
/// A stepped section ([`IntoStridedSection`]: `s![0..n;4, ..]`, or the
/// plain `(lo, hi, step)`) selects every `step[d]`-th index of a range per
/// axis. Only the selected elements move: a block on another node with one
/// MPI call per owner whose target datatype is strided, a block on this
/// node with a strided copy; the bounding box is never fetched. Checks and
/// ordering are those of [`get`](Self::get), [`put`](Self::put) and
/// [`acc`](Self::acc): every argument is checked before anything moves.
impl<T: Element, D: Dimension> GlobalArray<T, D> {
    /// Copies a stepped section into a new array of the selection's shape
    /// (`NGA_Strided_get`). A negative step in `s![]` reverses that axis,
    /// as in ndarray (see [`IntoStridedSection`]).
    ///
    /// Errors: [`InvalidArgument`](crate::ErrorKind::InvalidArgument) (a
    /// step of 0, an index or a new axis in `s![]`),
    /// [`OutOfBounds`](crate::ErrorKind::OutOfBounds),
    /// [`ReversedSection`](crate::ErrorKind::ReversedSection),
    /// [`DimensionMismatch`](crate::ErrorKind::DimensionMismatch).
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
    /// use ndarray::{array, s};
    /// # let rt = gain::init()?;
    /// let ga = gain::GlobalArray::<i64, _>::zeros(&rt, [6, 4])?;
    /// if rt.rank() == 0 {
    ///     ga.put(.., &ndarray::Array::from_shape_fn((6, 4), |(i, j)| (10 * i + j) as i64))?;
    /// }
    /// ga.sync()?;
    /// assert_eq!(ga.get_strided(s![0..6;4, 1..;2])?, array![[1, 3], [41, 43]]);
    /// assert_eq!(ga.get_strided(s![..;-3, 0..1])?, array![[50], [20]]);
    /// assert_eq!(ga.get_strided(([1, 0], [6, 1], [2, 1]))?, array![[10], [30], [50]]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn get_strided(&self, section: impl IntoStridedSection) -> Result<Array<T, D>> {
        during(
            "GlobalArray::get_strided",
            move || -> Result<Array<T, D>> {
                let s = section.into_strided_section(self.shape())?;
                let dim = self.strided_dim(&s)?;
                let mut out = Array::from_elem(dim, T::zero());
                self.read_stepped(&s, out.view_mut().into_dyn())?;
                Ok(out)
            },
        )
    }

    /// Copies a stepped section into `dst`, which must have the
    /// selection's shape (any memory layout).
    ///
    /// Errors: as [`get_strided`](Self::get_strided), and
    /// [`ShapeMismatch`](crate::ErrorKind::ShapeMismatch).
    ///
    /// # One-sided
    ///
    /// Only the calling rank takes part; it returns when `dst` holds the
    /// selection.
    ///
    /// # Examples
    ///
    /// ```
    /// use ndarray::s;
    /// # let rt = gain::init()?;
    /// let mut ga = gain::GlobalArray::<f64, _>::zeros(&rt, 100)?;
    /// ga.fill(0.5)?;
    /// let mut every_tenth = [0.0; 10];
    /// ga.get_strided_into(s![..;10], &mut every_tenth[..])?;
    /// assert_eq!(every_tenth.iter().sum::<f64>(), 5.0);
    /// assert!(ga.get_strided_into(s![..;20], &mut every_tenth[..]).is_err());
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn get_strided_into<'a>(
        &self,
        section: impl IntoStridedSection,
        dst: impl Into<ArrayViewMut<'a, T, D>>,
    ) -> Result<()> {
        during("GlobalArray::get_strided_into", move || -> Result<()> {
            let s = section.into_strided_section(self.shape())?;
            let dst = dst.into();
            self.check_strided_buffer(&s, dst.shape())?;
            self.read_stepped(&s, dst.into_dyn())
        })
    }

    /// Writes `src` into a stepped section (`NGA_Strided_put`); the
    /// elements between the selected ones are left alone. `src` takes the
    /// forms of [`put`](Self::put)'s, of the selection's shape.
    ///
    /// Errors: as [`get_strided_into`](Self::get_strided_into);
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
    /// use ndarray::s;
    /// # let rt = gain::init()?;
    /// let ga = gain::GlobalArray::<i32, _>::zeros(&rt, 9)?;
    /// if rt.rank() == 0 {
    ///     ga.put_strided(s![1..;3], &[1, 2, 3])?;
    /// }
    /// ga.sync()?;
    /// assert_eq!(ga.get(..)?.to_vec(), vec![0, 1, 0, 0, 2, 0, 0, 3, 0]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn put_strided<'a>(
        &self,
        section: impl IntoStridedSection,
        src: impl AsArray<'a, T, D>,
    ) -> Result<()> {
        during("GlobalArray::put_strided", move || -> Result<()> {
            let s = section.into_strided_section(self.shape())?;
            let src: ArrayView<'a, T, D> = src.into();
            self.check_strided_buffer(&s, src.shape())?;
            let src = oriented(src.into_dyn(), &s);
            self.with_strided_pieces(&s, |p| {
                let _claims = self.claim_writes(p.iter().map(|p| p.rank))?;
                self.win.write_strided(p, s.step(), src)
            })
        })
    }

    /// Atomically adds `alpha * src` into a stepped section, element by
    /// element (`NGA_Strided_acc`), as [`acc`](Self::acc) does for a
    /// section: concurrent accumulates all take effect, integers wrap.
    ///
    /// Errors: as [`put_strided`](Self::put_strided).
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
    /// use ndarray::{array, s};
    /// # let rt = gain::init()?;
    /// let ga = gain::GlobalArray::<i64, _>::zeros(&rt, [4, 4])?;
    /// ga.acc_strided(s![..;2, ..;2], &array![[1, 1], [1, 1]], 3)?;
    /// ga.sync()?;
    /// assert_eq!(ga.get(..)?.sum(), 12 * rt.size() as i64);
    /// assert_eq!(ga.at(&[1, 1])?, 0);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn acc_strided<'a>(
        &self,
        section: impl IntoStridedSection,
        src: impl AsArray<'a, T, D>,
        alpha: T,
    ) -> Result<()> {
        during("GlobalArray::acc_strided", move || -> Result<()> {
            let s = section.into_strided_section(self.shape())?;
            let src: ArrayView<'a, T, D> = src.into();
            self.check_strided_buffer(&s, src.shape())?;
            let src = oriented(src.into_dyn(), &s);
            self.with_strided_pieces(&s, |p| {
                let _claims = self.claim_writes(p.iter().map(|p| p.rank))?;
                self.win.accumulate_strided(p, s.step(), src, alpha)
            })
        })
    }

    /// Reads a checked stepped section into `dst` of its shape.
    fn read_stepped(&self, s: &StridedSection, dst: ArrayViewMut<'_, T, IxDyn>) -> Result<()> {
        let dst = oriented(dst, s);
        self.with_strided_pieces(s, |p| self.win.read_strided(p, s.step(), dst))
    }

    /// Calls `f` with the stepped pieces of `s` (checked by the caller):
    /// per owner, the first selected index in its block with the counts
    /// (`in_block`), and the place in the buffer (`in_buf`).
    fn with_strided_pieces<R>(
        &self,
        s: &StridedSection,
        f: impl FnOnce(&[Piece<'_>]) -> Result<R>,
    ) -> Result<R> {
        let pieces: Vec<Piece<'_>> = self
            .dist
            .locate_strided(s)?
            .into_iter()
            .map(|(rank, firsts, in_buf)| Piece {
                in_buf,
                ..self.piece(rank, &firsts, &firsts)
            })
            .collect();
        f(&pieces)
    }

    /// The ndarray dimension of a checked selection of this array.
    fn strided_dim(&self, s: &StridedSection) -> Result<D> {
        s.check_within(self.shape())?;
        Ok(self.dim_of(s.count()))
    }

    /// The dimension `D` of extents `shape` (as many as the array's axes).
    pub(super) fn dim_of(&self, shape: &[usize]) -> D {
        let mut d = D::zeros(self.dim.ndim());
        d.slice_mut().copy_from_slice(shape);
        d
    }

    fn check_strided_buffer(&self, s: &StridedSection, buf: &[usize]) -> Result<()> {
        s.check_within(self.shape())?;
        if buf != s.count() {
            bail!(
                ShapeMismatch,
                "buffer of shape {buf:?} for a stepped section of shape {:?}",
                s.count()
            );
        }
        Ok(())
    }
}

/// `buf` with the reversed axes of `s` turned around, so that it lists
/// the selected elements in increasing index order, as the pieces do.
fn oriented<V: ReverseAxes>(mut buf: V, s: &StridedSection) -> V {
    for (d, &r) in s.reversed().iter().enumerate() {
        if r {
            buf.reverse(d);
        }
    }
    buf
}

/// Views whose axes can be turned around in place.
trait ReverseAxes {
    fn reverse(&mut self, d: usize);
}

impl<T> ReverseAxes for ArrayView<'_, T, IxDyn> {
    fn reverse(&mut self, d: usize) {
        self.invert_axis(Axis(d));
    }
}

impl<T> ReverseAxes for ArrayViewMut<'_, T, IxDyn> {
    fn reverse(&mut self, d: usize) {
        self.invert_axis(Axis(d));
    }
}
