//! Statistics and norms of floating-point expressions: over the whole
//! expression and along an axis.

use ndarray::{Axis, Dimension, IxDyn};
use num_traits::Float;

use super::along;
use crate::fault::during;
use crate::numpy::expr::Expr;
use crate::{Element, GlobalArray, Result};

/// The number of elements less `ddof` (at least 0, as NumPy's), as `T`.
fn dof<T: Element + Float>(n: usize, ddof: T) -> T {
    let d = T::from(n).unwrap_or_else(T::nan) - ddof;
    if d < T::zero() { T::zero() } else { d }
}

/// # Statistics and norms over the whole expression
impl<T: Element + Float, D: Dimension> Expr<'_, T, D> {
    /// The mean of all elements (NaN for none).
    ///
    /// # Collective
    ///
    /// As [`sum`](Self::sum): every rank calls it on the same expression
    /// and gets the same value.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::arange(&rt, 0.0, 10.0, 1.0)?;
    /// assert_eq!((&a + 1.0).mean()?, 5.5);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn mean(&self) -> Result<T> {
        during("Expr::mean", move || -> Result<T> {
            let n = T::from(self.shape()?.iter().product::<usize>()).unwrap_or_else(T::nan);
            Ok(self.sum_in_t()? / n)
        })
    }

    /// The variance with `ddof` delta degrees of freedom (ndarray's
    /// `var(ddof)`: 0 for the population variance, 1 for the sample
    /// variance), dividing by `n - ddof` (by 0 when `ddof >= n`, as
    /// NumPy). Two passes: the mean, then the squared deviations.
    ///
    /// # Collective
    ///
    /// Every rank calls it on the same expression with the same `ddof`;
    /// two whole-array reductions, each returning the same value on every
    /// rank.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::arange(&rt, 0.0, 4.0, 1.0)?;
    /// assert_eq!(a.expr().var(0.0)?, 1.25);
    /// assert_eq!(a.expr().var(1.0)?, 5.0 / 3.0);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn var(&self, ddof: T) -> Result<T> {
        during("Expr::var", move || -> Result<T> {
            let m = self.mean()?;
            let n = self.shape()?.iter().product::<usize>();
            let ss = (self.clone() - m).powi(2).sum_in_t()?;
            Ok(ss / dof(n, ddof))
        })
    }

    /// The standard deviation, `sqrt(var(ddof))`.
    ///
    /// # Collective
    ///
    /// As [`var`](Self::var).
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::from_array(&rt, &ndarray::array![1.0, 3.0])?;
    /// assert_eq!(a.expr().std(0.0)?, 1.0);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn std(&self, ddof: T) -> Result<T> {
        during("Expr::std", move || -> Result<T> {
            Ok(self.var(ddof)?.sqrt())
        })
    }

    /// The sum of absolute values.
    ///
    /// # Collective
    ///
    /// As [`sum`](Self::sum).
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::arange(&rt, -2.0, 2.0, 1.0)?;
    /// assert_eq!(a.expr().norm_l1()?, 4.0);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn norm_l1(&self) -> Result<T> {
        during("Expr::norm_l1", move || -> Result<T> {
            self.clone().mapv(T::abs).sum_in_t()
        })
    }

    /// The Euclidean norm.
    ///
    /// # Collective
    ///
    /// As [`sum`](Self::sum).
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::from_array(&rt, &ndarray::array![3.0, 4.0])?;
    /// assert_eq!(a.expr().norm_l2()?, 5.0);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn norm_l2(&self) -> Result<T> {
        during("Expr::norm_l2", move || -> Result<T> {
            Ok(self.clone().powi(2).sum_in_t()?.sqrt())
        })
    }

    /// The largest absolute value.
    ///
    /// Errors: as [`min`](Self::min).
    ///
    /// # Collective
    ///
    /// As [`max`](Self::max).
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::arange(&rt, -5.0, 2.0, 1.0)?;
    /// assert_eq!(a.expr().norm_max()?, 5.0);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn norm_max(&self) -> Result<T> {
        during("Expr::norm_max", move || -> Result<T> {
            self.clone().mapv(T::abs).max()
        })
    }
}

/// # Statistics along an axis
impl<T: Element + Float, D: Dimension> Expr<'_, T, D> {
    /// The mean along `axis`.
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
    /// let a = gain::numpy::from_fn(&rt, [2, 3], |i| i[0] as f64)?;
    /// let m = a.expr().mean_axis(Axis(0))?;
    /// assert_eq!(m.to_array()?, ndarray::array![0.5, 0.5, 0.5]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn mean_axis(&self, axis: Axis) -> Result<GlobalArray<T, D::Smaller>> {
        during(
            "Expr::mean_axis",
            move || -> Result<GlobalArray<T, D::Smaller>> {
                self.mean_axis_dyn(axis)?.into_dimensionality()
            },
        )
    }

    fn mean_axis_dyn(&self, axis: Axis) -> Result<GlobalArray<T, IxDyn>> {
        let mut s = self.reduce_dyn(axis, |a, x| a + x)?;
        let n = T::from(self.shape()?[axis.index()]).unwrap_or_else(T::nan);
        s.local_mut().mapv_inplace(|x| x / n);
        s.sync()?;
        Ok(s)
    }

    /// The variance along `axis` with `ddof` delta degrees of freedom
    /// (ndarray's `var_axis(axis, ddof)`; divides by `n - ddof`, by 0
    /// when `ddof >= n`).
    ///
    /// Errors: as [`sum_axis`](Self::sum_axis).
    ///
    /// # Collective
    ///
    /// As [`sum_axis`](Self::sum_axis), with the same `ddof` on every
    /// rank.
    ///
    /// # Examples
    ///
    /// ```
    /// use ndarray::Axis;
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::from_fn(&rt, [2, 3], |i| (2 * i[0]) as f64)?;
    /// let v = a.expr().var_axis(Axis(0), 0.0)?;
    /// assert_eq!(v.to_array()?, ndarray::array![1.0, 1.0, 1.0]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn var_axis(&self, axis: Axis, ddof: T) -> Result<GlobalArray<T, D::Smaller>> {
        during(
            "Expr::var_axis",
            move || -> Result<GlobalArray<T, D::Smaller>> {
                self.var_axis_dyn(axis, ddof)?.into_dimensionality()
            },
        )
    }

    fn var_axis_dyn(&self, axis: Axis, ddof: T) -> Result<GlobalArray<T, IxDyn>> {
        let m = self.mean_axis_dyn(axis)?;
        let dev = (self.clone().into_dyn() - along(&m, axis.index())?).powi(2);
        let mut s = dev.reduce_dyn(axis, |a, x| a + x)?;
        let n = dof(self.shape()?[axis.index()], ddof);
        s.local_mut().mapv_inplace(|x| x / n);
        s.sync()?;
        Ok(s)
    }

    /// The standard deviation along `axis`.
    ///
    /// Errors: as [`sum_axis`](Self::sum_axis).
    ///
    /// # Collective
    ///
    /// As [`var_axis`](Self::var_axis).
    ///
    /// # Examples
    ///
    /// ```
    /// use ndarray::Axis;
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::from_fn(&rt, [2, 3], |i| (2 * i[0]) as f64)?;
    /// let s = a.expr().std_axis(Axis(0), 0.0)?;
    /// assert_eq!(s.to_array()?, ndarray::array![1.0, 1.0, 1.0]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn std_axis(&self, axis: Axis, ddof: T) -> Result<GlobalArray<T, D::Smaller>> {
        during(
            "Expr::std_axis",
            move || -> Result<GlobalArray<T, D::Smaller>> {
                let mut v = self.var_axis_dyn(axis, ddof)?;
                v.local_mut().mapv_inplace(T::sqrt);
                v.sync()?;
                v.into_dimensionality()
            },
        )
    }
}
