//! The reductions of [`Expr`] as methods of [`GlobalArray`] and [`View`]:
//! one macro, the same methods and docs for both.

use ndarray::{Axis, Dimension};
use num_traits::Float;

#[cfg(doc)]
use crate::numpy::expr::Expr;
use crate::numpy::view::View;
use crate::{Element, GlobalArray, Result};

/// The reductions of [`Expr`] as methods of an array or view type: the
/// impl header, the type's name in the docs, and how the examples make
/// `x`, the operand, from an array `a`.
macro_rules! reductions {
    ([$($g:tt)*] $Ty:ty, $name:literal, $x:literal) => {
        #[doc = concat!("# Reductions of the ", $name, " (ndarray's names)")]
        ///
        /// Each delegates to the [`Expr`] method of the same name and is
        /// **collective**: every rank must call it, in the same order, with
        /// the same arguments. Whole-array reductions sync the array and
        /// return the same value on every rank; the `*_axis` reductions
        /// and scans return a new global array after a closing sync of it.
        impl<$($g)*> $Ty {
            /// The sum of all elements; see [`Expr::sum`].
            ///
            /// # Collective
            ///
            /// Every rank calls it; each returns the same sum, after every
            /// rank's partial sum has been gathered.
            ///
            /// # Examples
            ///
            /// ```
            /// # let rt = gain::init()?;
            /// let a = gain::numpy::arange(&rt, 1i64, 101, 1)?;
            #[doc = concat!("let x = ", $x, ";")]
            /// assert_eq!(x.sum()?, 5050);
            /// # Ok::<(), gain::Error>(())
            /// ```
            pub fn sum(&self) -> Result<T::Sum> {
                self.expr().sum()
            }

            /// The product of all elements; see [`Expr::prod`].
            ///
            /// # Collective
            ///
            /// As [`sum`](Self::sum).
            ///
            /// # Examples
            ///
            /// ```
            /// # let rt = gain::init()?;
            /// let a = gain::numpy::arange(&rt, 1i64, 6, 1)?;
            #[doc = concat!("let x = ", $x, ";")]
            /// assert_eq!(x.prod()?, 120);
            /// # Ok::<(), gain::Error>(())
            /// ```
            pub fn prod(&self) -> Result<T::Sum> {
                self.expr().prod()
            }

            /// The smallest element (NaN if any is NaN); see [`Expr::min`].
            ///
            /// # Collective
            ///
            /// As [`sum`](Self::sum).
            ///
            /// # Examples
            ///
            /// ```
            /// # let rt = gain::init()?;
            /// let a = gain::numpy::arange(&rt, -3i32, 3, 1)?;
            #[doc = concat!("let x = ", $x, ";")]
            /// assert_eq!(x.min()?, -3);
            /// # Ok::<(), gain::Error>(())
            /// ```
            pub fn min(&self) -> Result<T> {
                self.expr().min()
            }

            /// The largest element (NaN if any is NaN); see [`Expr::max`].
            ///
            /// # Collective
            ///
            /// As [`sum`](Self::sum).
            ///
            /// # Examples
            ///
            /// ```
            /// # let rt = gain::init()?;
            /// let a = gain::numpy::arange(&rt, -3i32, 3, 1)?;
            #[doc = concat!("let x = ", $x, ";")]
            /// assert_eq!(x.max()?, 2);
            /// # Ok::<(), gain::Error>(())
            /// ```
            pub fn max(&self) -> Result<T> {
                self.expr().max()
            }

            /// The index of the smallest element (first in C order on
            /// ties) as `D`'s pattern; see [`Expr::argmin`].
            ///
            /// # Collective
            ///
            /// As [`sum`](Self::sum).
            ///
            /// # Examples
            ///
            /// ```
            /// # let rt = gain::init()?;
            /// let a = gain::numpy::from_fn(&rt, [3, 3], |i| ((i[0] * 3 + i[1]) as i32 - 4).abs())?;
            #[doc = concat!("let x = ", $x, ";")]
            /// assert_eq!(x.argmin()?, (1, 1));
            /// # Ok::<(), gain::Error>(())
            /// ```
            pub fn argmin(&self) -> Result<D::Pattern> {
                self.expr().argmin()
            }

            /// The index of the largest element (first in C order on ties)
            /// as `D`'s pattern; see [`Expr::argmax`].
            ///
            /// # Collective
            ///
            /// As [`sum`](Self::sum).
            ///
            /// # Examples
            ///
            /// ```
            /// # let rt = gain::init()?;
            /// let a = gain::numpy::from_fn(&rt, [3, 3], |i| ((i[0] * 3 + i[1]) as i32 - 4).abs())?;
            #[doc = concat!("let x = ", $x, ";")]
            /// assert_eq!(x.argmax()?, (0, 0));
            /// # Ok::<(), gain::Error>(())
            /// ```
            pub fn argmax(&self) -> Result<D::Pattern> {
                self.expr().argmax()
            }

            /// The smallest (`"min"`) or largest (`"max"`) element and its
            /// index (Global Arrays' `NGA_Select_elem`); see
            /// [`Expr::select_elem`].
            ///
            /// # Collective
            ///
            /// As [`sum`](Self::sum).
            ///
            /// # Examples
            ///
            /// ```
            /// # let rt = gain::init()?;
            /// let a = gain::numpy::from_array(&rt, &ndarray::array![[3.0, -1.0], [7.5, 2.0]])?;
            #[doc = concat!("let x = ", $x, ";")]
            /// assert_eq!(x.select_elem("max")?, (7.5, (1, 0)));
            /// # Ok::<(), gain::Error>(())
            /// ```
            pub fn select_elem(&self, op: &str) -> Result<(T, D::Pattern)> {
                self.expr().select_elem(op)
            }

            /// Whether every element is nonzero; see [`Expr::all`].
            ///
            /// # Collective
            ///
            /// As [`sum`](Self::sum).
            ///
            /// # Examples
            ///
            /// ```
            /// # let rt = gain::init()?;
            /// let a = gain::numpy::arange(&rt, 0i32, 4, 1)?;
            #[doc = concat!("let x = ", $x, ";")]
            /// assert!(!x.all()?);
            /// # Ok::<(), gain::Error>(())
            /// ```
            pub fn all(&self) -> Result<bool> {
                self.expr().all()
            }

            /// Whether any element is nonzero; see [`Expr::any`].
            ///
            /// # Collective
            ///
            /// As [`sum`](Self::sum).
            ///
            /// # Examples
            ///
            /// ```
            /// # let rt = gain::init()?;
            /// let a = gain::numpy::arange(&rt, 0i32, 4, 1)?;
            #[doc = concat!("let x = ", $x, ";")]
            /// assert!(x.any()?);
            /// # Ok::<(), gain::Error>(())
            /// ```
            pub fn any(&self) -> Result<bool> {
                self.expr().any()
            }

            /// Sums along `axis`, dropping it from the type; see
            /// [`Expr::sum_axis`].
            ///
            /// # Collective
            ///
            /// Every rank calls it with the same `axis`; it returns after
            /// the closing sync of the new array.
            ///
            /// # Examples
            ///
            /// ```
            /// use ndarray::Axis;
            /// # let rt = gain::init()?;
            /// let a = gain::numpy::from_fn(&rt, [3, 4], |i| i[1] as i64)?;
            #[doc = concat!("let x = ", $x, ";")]
            /// let s = x.sum_axis(Axis(0))?; // a GlobalArray<i64, Ix1>
            /// assert_eq!(s.to_array()?, ndarray::array![0, 3, 6, 9]);
            /// # Ok::<(), gain::Error>(())
            /// ```
            pub fn sum_axis(&self, axis: Axis) -> Result<GlobalArray<T::Sum, D::Smaller>> {
                self.expr().sum_axis(axis)
            }

            /// Multiplies along `axis`; see [`Expr::prod_axis`].
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
            #[doc = concat!("let x = ", $x, ";")]
            /// assert_eq!(x.prod_axis(Axis(0))?.to_array()?, ndarray::array![8, 8]);
            /// # Ok::<(), gain::Error>(())
            /// ```
            pub fn prod_axis(&self, axis: Axis) -> Result<GlobalArray<T::Sum, D::Smaller>> {
                self.expr().prod_axis(axis)
            }

            /// The smallest element along `axis`; see [`Expr::min_axis`].
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
            #[doc = concat!("let x = ", $x, ";")]
            /// assert_eq!(x.min_axis(Axis(1))?.to_array()?, ndarray::array![0, 4, 8]);
            /// # Ok::<(), gain::Error>(())
            /// ```
            pub fn min_axis(&self, axis: Axis) -> Result<GlobalArray<T, D::Smaller>> {
                self.expr().min_axis(axis)
            }

            /// The largest element along `axis`; see [`Expr::max_axis`].
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
            #[doc = concat!("let x = ", $x, ";")]
            /// assert_eq!(x.max_axis(Axis(0))?.to_array()?, ndarray::array![8, 9, 10, 11]);
            /// # Ok::<(), gain::Error>(())
            /// ```
            pub fn max_axis(&self, axis: Axis) -> Result<GlobalArray<T, D::Smaller>> {
                self.expr().max_axis(axis)
            }

            /// The index along `axis` of the smallest element (first on
            /// ties); see [`Expr::argmin_axis`].
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
            #[doc = concat!("let x = ", $x, ";")]
            /// assert_eq!(x.argmin_axis(Axis(1))?.to_array()?, ndarray::array![1, 0]);
            /// # Ok::<(), gain::Error>(())
            /// ```
            pub fn argmin_axis(&self, axis: Axis) -> Result<GlobalArray<i64, D::Smaller>> {
                self.expr().argmin_axis(axis)
            }

            /// The index along `axis` of the largest element (first on
            /// ties); see [`Expr::argmax_axis`].
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
            #[doc = concat!("let x = ", $x, ";")]
            /// assert_eq!(x.argmax_axis(Axis(0))?.to_array()?, ndarray::array![0, 1, 1]);
            /// # Ok::<(), gain::Error>(())
            /// ```
            pub fn argmax_axis(&self, axis: Axis) -> Result<GlobalArray<i64, D::Smaller>> {
                self.expr().argmax_axis(axis)
            }

            /// Running sums along `axis` (NumPy's `cumsum`); see
            /// [`Expr::cumsum`].
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
            #[doc = concat!("let x = ", $x, ";")]
            /// assert_eq!(x.cumsum(Axis(0))?.to_array()?, ndarray::array![1, 3, 6, 10, 15]);
            /// # Ok::<(), gain::Error>(())
            /// ```
            pub fn cumsum(&self, axis: Axis) -> Result<GlobalArray<T::Sum, D>> {
                self.expr().cumsum(axis)
            }

            /// Running products along `axis` (NumPy's `cumprod`); see
            /// [`Expr::cumprod`].
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
            #[doc = concat!("let x = ", $x, ";")]
            /// assert_eq!(x.cumprod(Axis(0))?.to_array()?, ndarray::array![1, 2, 6, 24, 120]);
            /// # Ok::<(), gain::Error>(())
            /// ```
            pub fn cumprod(&self, axis: Axis) -> Result<GlobalArray<T::Sum, D>> {
                self.expr().cumprod(axis)
            }
        }

        #[doc = concat!("# Statistics and norms of the ", $name, " (ndarray's names)")]
        ///
        /// Each delegates to the [`Expr`] method of the same name and is
        /// **collective**, as the reductions above.
        impl<$($g)*> $Ty where T: Float {
            /// The mean of all elements; see [`Expr::mean`].
            ///
            /// # Collective
            ///
            /// As [`sum`](Self::sum).
            ///
            /// # Examples
            ///
            /// ```
            /// # let rt = gain::init()?;
            /// let a = gain::numpy::arange(&rt, 0.0, 10.0, 1.0)?;
            #[doc = concat!("let x = ", $x, ";")]
            /// assert_eq!(x.mean()?, 4.5);
            /// # Ok::<(), gain::Error>(())
            /// ```
            pub fn mean(&self) -> Result<T> {
                self.expr().mean()
            }

            /// The variance with `ddof` delta degrees of freedom (0.0:
            /// population, 1.0: sample); see [`Expr::var`].
            ///
            /// # Collective
            ///
            /// As [`sum`](Self::sum), with the same `ddof` on every rank.
            ///
            /// # Examples
            ///
            /// ```
            /// # let rt = gain::init()?;
            /// let a = gain::numpy::arange(&rt, 0.0, 4.0, 1.0)?;
            #[doc = concat!("let x = ", $x, ";")]
            /// assert_eq!(x.var(0.0)?, 1.25);
            /// # Ok::<(), gain::Error>(())
            /// ```
            pub fn var(&self, ddof: T) -> Result<T> {
                self.expr().var(ddof)
            }

            /// The standard deviation, `sqrt(var(ddof))`; see
            /// [`Expr::std`].
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
            #[doc = concat!("let x = ", $x, ";")]
            /// assert_eq!(x.std(0.0)?, 1.0);
            /// # Ok::<(), gain::Error>(())
            /// ```
            pub fn std(&self, ddof: T) -> Result<T> {
                self.expr().std(ddof)
            }

            /// The sum of absolute values; see [`Expr::norm_l1`].
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
            #[doc = concat!("let x = ", $x, ";")]
            /// assert_eq!(x.norm_l1()?, 4.0);
            /// # Ok::<(), gain::Error>(())
            /// ```
            pub fn norm_l1(&self) -> Result<T> {
                self.expr().norm_l1()
            }

            /// The Euclidean norm; see [`Expr::norm_l2`].
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
            #[doc = concat!("let x = ", $x, ";")]
            /// assert_eq!(x.norm_l2()?, 5.0);
            /// # Ok::<(), gain::Error>(())
            /// ```
            pub fn norm_l2(&self) -> Result<T> {
                self.expr().norm_l2()
            }

            /// The largest absolute value; see [`Expr::norm_max`].
            ///
            /// # Collective
            ///
            /// As [`sum`](Self::sum).
            ///
            /// # Examples
            ///
            /// ```
            /// # let rt = gain::init()?;
            /// let a = gain::numpy::arange(&rt, -5.0, 2.0, 1.0)?;
            #[doc = concat!("let x = ", $x, ";")]
            /// assert_eq!(x.norm_max()?, 5.0);
            /// # Ok::<(), gain::Error>(())
            /// ```
            pub fn norm_max(&self) -> Result<T> {
                self.expr().norm_max()
            }

            /// The mean along `axis`, dropping it from the type; see
            /// [`Expr::mean_axis`].
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
            #[doc = concat!("let x = ", $x, ";")]
            /// assert_eq!(x.mean_axis(Axis(0))?.to_array()?, ndarray::array![0.5, 0.5, 0.5]);
            /// # Ok::<(), gain::Error>(())
            /// ```
            pub fn mean_axis(&self, axis: Axis) -> Result<GlobalArray<T, D::Smaller>> {
                self.expr().mean_axis(axis)
            }

            /// The variance along `axis` with `ddof` delta degrees of
            /// freedom; see [`Expr::var_axis`].
            ///
            /// # Collective
            ///
            /// As [`sum_axis`](Self::sum_axis), with the same `ddof` on
            /// every rank.
            ///
            /// # Examples
            ///
            /// ```
            /// use ndarray::Axis;
            /// # let rt = gain::init()?;
            /// let a = gain::numpy::from_fn(&rt, [2, 3], |i| (2 * i[0]) as f64)?;
            #[doc = concat!("let x = ", $x, ";")]
            /// assert_eq!(x.var_axis(Axis(0), 1.0)?.to_array()?, ndarray::array![2.0, 2.0, 2.0]);
            /// # Ok::<(), gain::Error>(())
            /// ```
            pub fn var_axis(&self, axis: Axis, ddof: T) -> Result<GlobalArray<T, D::Smaller>> {
                self.expr().var_axis(axis, ddof)
            }

            /// The standard deviation along `axis`; see
            /// [`Expr::std_axis`].
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
            #[doc = concat!("let x = ", $x, ";")]
            /// assert_eq!(x.std_axis(Axis(0), 0.0)?.to_array()?, ndarray::array![1.0, 1.0, 1.0]);
            /// # Ok::<(), gain::Error>(())
            /// ```
            pub fn std_axis(&self, axis: Axis, ddof: T) -> Result<GlobalArray<T, D::Smaller>> {
                self.expr().std_axis(axis, ddof)
            }
        }
    };
}

reductions!([T: Element, D: Dimension] GlobalArray<T, D>, "array", "&a");
reductions!([T: Element, D: Dimension] View<'_, T, D>, "view", "a.view()");
