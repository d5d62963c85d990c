//! Reductions and scans along an axis (the result is a new global array).

use ndarray::{Axis, Dimension, IxDyn};

use super::domain::Domain;
use super::{along, nan_max, nan_min};
use crate::fault::during;
use crate::numpy::expr::{Expr, index_along, where_};
use crate::{Element, GlobalArray, Result};

/// # Reductions along an axis (the result is a new global array)
///
/// The result has dimension type `D::Smaller` (`Ix1` for an `Ix2`
/// expression, `IxDyn` for `IxDyn`), as ndarray's `sum_axis`; the scans
/// keep `D`. Sums and products (running ones too) are in
/// [`Element::Sum`], as NumPy's: `i64` or `u64` for integers, wrapping on
/// overflow. Each is **collective**: every rank must call it, in the same
/// order, on the same expression with the same axis. It syncs the arrays
/// read, creates the result (collectively), and returns after a closing
/// sync of it.
impl<T: Element, D: Dimension> Expr<'_, T, D> {
    /// The expression in [`Element::Sum`], which NumPy sums and multiplies
    /// in (the same values: the conversion is exact).
    fn widened(&self) -> Expr<'_, T::Sum, D> {
        self.clone().mapv(Element::to_sum)
    }

    pub(super) fn reduce_dyn(
        &self,
        axis: Axis,
        f: impl Fn(T, T) -> T + Sync + Send,
    ) -> Result<GlobalArray<T, IxDyn>> {
        Domain::along(self, axis)?.reduce_axis(axis.index(), f)
    }

    /// Sums along `axis`.
    ///
    /// Errors: [`DimensionMismatch`](crate::ErrorKind::DimensionMismatch)
    /// for an axis out of range or a 1-d expression (use [`sum`](Self::sum));
    /// [`ZeroSizeDimension`](crate::ErrorKind::ZeroSizeDimension) for an
    /// empty one (a zero-length axis; NumPy gives the identity for sums
    /// there, gain does not yet).
    ///
    /// # Collective
    ///
    /// Every rank calls it on the same expression and axis; it returns
    /// after the closing sync of the new array.
    ///
    /// # Examples
    ///
    /// ```
    /// use ndarray::Axis;
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::from_fn(&rt, [3, 4], |i| i[1] as i64)?;
    /// let s = (&a * 2).sum_axis(Axis(0))?; // a GlobalArray<i64, Ix1>
    /// assert_eq!(s.to_array()?, ndarray::array![0, 6, 12, 18]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn sum_axis(&self, axis: Axis) -> Result<GlobalArray<T::Sum, D::Smaller>> {
        during(
            "Expr::sum_axis",
            move || -> Result<GlobalArray<T::Sum, D::Smaller>> {
                self.widened()
                    .reduce_dyn(axis, Element::wrapping_add)?
                    .into_dimensionality()
            },
        )
    }

    /// Multiplies along `axis`.
    ///
    /// Errors: as [`sum_axis`](Self::sum_axis).
    ///
    /// # Collective
    ///
    /// As [`sum_axis`](Self::sum_axis).
    ///
    /// # Examples
    ///
    /// ```
    /// use ndarray::Axis;
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::full(&rt, [3, 2], 2i32)?;
    /// let p = a.expr().prod_axis(Axis(0))?;
    /// assert_eq!(p.to_array()?, ndarray::array![8, 8]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn prod_axis(&self, axis: Axis) -> Result<GlobalArray<T::Sum, D::Smaller>> {
        during(
            "Expr::prod_axis",
            move || -> Result<GlobalArray<T::Sum, D::Smaller>> {
                self.widened()
                    .reduce_dyn(axis, Element::wrapping_mul)?
                    .into_dimensionality()
            },
        )
    }

    /// The smallest element along `axis` (NaN-propagating).
    ///
    /// Errors: as [`sum_axis`](Self::sum_axis).
    ///
    /// # Collective
    ///
    /// As [`sum_axis`](Self::sum_axis).
    ///
    /// # Examples
    ///
    /// ```
    /// use ndarray::Axis;
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::from_fn(&rt, [3, 4], |i| (i[0] * 4 + i[1]) as i32)?;
    /// let m = a.expr().min_axis(Axis(1))?;
    /// assert_eq!(m.to_array()?, ndarray::array![0, 4, 8]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn min_axis(&self, axis: Axis) -> Result<GlobalArray<T, D::Smaller>> {
        during(
            "Expr::min_axis",
            move || -> Result<GlobalArray<T, D::Smaller>> {
                self.reduce_dyn(axis, nan_min)?.into_dimensionality()
            },
        )
    }

    /// The largest element along `axis` (NaN-propagating).
    ///
    /// Errors: as [`sum_axis`](Self::sum_axis).
    ///
    /// # Collective
    ///
    /// As [`sum_axis`](Self::sum_axis).
    ///
    /// # Examples
    ///
    /// ```
    /// use ndarray::Axis;
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::from_fn(&rt, [3, 4], |i| (i[0] * 4 + i[1]) as i32)?;
    /// let m = a.expr().max_axis(Axis(0))?;
    /// assert_eq!(m.to_array()?, ndarray::array![8, 9, 10, 11]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn max_axis(&self, axis: Axis) -> Result<GlobalArray<T, D::Smaller>> {
        during(
            "Expr::max_axis",
            move || -> Result<GlobalArray<T, D::Smaller>> {
                self.reduce_dyn(axis, nan_max)?.into_dimensionality()
            },
        )
    }

    fn arg_axis(&self, axis: Axis, max: bool) -> Result<GlobalArray<i64, D::Smaller>> {
        let d = Domain::new(self)?;
        let ax = axis.index();
        let m = d.reduce_axis(ax, if max { nan_max } else { nan_min })?;
        // A lane's extreme is NaN exactly when the lane holds one; then its
        // first NaN is the answer, as in NumPy (`x != x` marks the NaNs).
        let x = self.clone().into_dyn();
        let hit = x
            .clone()
            .equal(along(&m, ax)?)
            .logical_or(x.clone().not_equal(x));
        let idx = where_(hit, index_along(&d.shape[..], axis), i64::MAX);
        idx.reduce_dyn(axis, |a: i64, x| a.min(x))?
            .into_dimensionality()
    }

    /// The index along `axis` of the smallest element (first on ties).
    ///
    /// Errors: as [`sum_axis`](Self::sum_axis).
    ///
    /// # Collective
    ///
    /// As [`sum_axis`](Self::sum_axis).
    ///
    /// # Examples
    ///
    /// ```
    /// use ndarray::Axis;
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::from_array(&rt, &ndarray::array![[3, 1, 1], [0, 5, 2]])?;
    /// let i = a.expr().argmin_axis(Axis(1))?;
    /// assert_eq!(i.to_array()?, ndarray::array![1, 0]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn argmin_axis(&self, axis: Axis) -> Result<GlobalArray<i64, D::Smaller>> {
        during(
            "Expr::argmin_axis",
            move || -> Result<GlobalArray<i64, D::Smaller>> { self.arg_axis(axis, false) },
        )
    }

    /// The index along `axis` of the largest element (first on ties).
    ///
    /// Errors: as [`sum_axis`](Self::sum_axis).
    ///
    /// # Collective
    ///
    /// As [`sum_axis`](Self::sum_axis).
    ///
    /// # Examples
    ///
    /// ```
    /// use ndarray::Axis;
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::from_array(&rt, &ndarray::array![[3, 1, 1], [0, 5, 2]])?;
    /// let i = a.expr().argmax_axis(Axis(0))?;
    /// assert_eq!(i.to_array()?, ndarray::array![0, 1, 1]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn argmax_axis(&self, axis: Axis) -> Result<GlobalArray<i64, D::Smaller>> {
        during(
            "Expr::argmax_axis",
            move || -> Result<GlobalArray<i64, D::Smaller>> { self.arg_axis(axis, true) },
        )
    }

    /// Running sums along `axis` (NumPy's `cumsum`, `add.accumulate`),
    /// distributed like the expression's domain.
    ///
    /// Errors: [`DimensionMismatch`](crate::ErrorKind::DimensionMismatch)
    /// for an axis out of range. An empty expression gives an empty array
    /// of its shape, as NumPy's.
    ///
    /// # Collective
    ///
    /// As [`sum_axis`](Self::sum_axis).
    ///
    /// # Examples
    ///
    /// ```
    /// use ndarray::Axis;
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::arange(&rt, 1i32, 6, 1)?;
    /// let c = a.expr().cumsum(Axis(0))?;
    /// assert_eq!(c.to_array()?, ndarray::array![1, 3, 6, 10, 15]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn cumsum(&self, axis: Axis) -> Result<GlobalArray<T::Sum, D>> {
        during("Expr::cumsum", move || -> Result<GlobalArray<T::Sum, D>> {
            Domain::along(&self.widened(), axis)?
                .scan(axis.index(), Element::wrapping_add)?
                .into_dimensionality()
        })
    }

    /// Running products along `axis` (NumPy's `cumprod`).
    ///
    /// Errors: as [`cumsum`](Self::cumsum).
    ///
    /// # Collective
    ///
    /// As [`sum_axis`](Self::sum_axis).
    ///
    /// # Examples
    ///
    /// ```
    /// use ndarray::Axis;
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::arange(&rt, 1i32, 6, 1)?;
    /// let c = a.expr().cumprod(Axis(0))?;
    /// assert_eq!(c.to_array()?, ndarray::array![1, 2, 6, 24, 120]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn cumprod(&self, axis: Axis) -> Result<GlobalArray<T::Sum, D>> {
        during(
            "Expr::cumprod",
            move || -> Result<GlobalArray<T::Sum, D>> {
                Domain::along(&self.widened(), axis)?
                    .scan(axis.index(), Element::wrapping_mul)?
                    .into_dimensionality()
            },
        )
    }
}
