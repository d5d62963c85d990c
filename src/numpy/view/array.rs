//! The NumPy-style methods of [`GlobalArray`]: views, slices, the whole
//! array as an expression, assignment, and copies to an ndarray array.

use std::marker::PhantomData;

use ndarray::{Array, Dimension, SliceArg};

use super::{View, ViewMut};
use crate::fault::during;
use crate::numpy::expr::{Expr, IntoExpr};
use crate::numpy::slicing::Selection;
use crate::{Element, GlobalArray, Result, Section};

/// # NumPy-style views and assignment (see [`numpy`](crate::numpy))
impl<T: Element, D: Dimension> GlobalArray<T, D> {
    /// A view of the whole array.
    ///
    /// # Local
    ///
    /// Makes the selection only; nothing is read or sent.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::ones::<f64, _>(&rt, [2, 2])?;
    /// assert_eq!(a.view().shape(), vec![2, 2]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn view(&self) -> View<'_, T, D> {
        View::<T, D>::whole(self)
    }

    /// The whole array as an expression of its dimension type (as
    /// `numpy::expr(&a)`), to call the ufunc methods of [`Expr`] on it.
    ///
    /// # Local
    ///
    /// Builds the expression only; nothing is read or sent.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::full(&rt, [2, 2], 9.0f64)?;
    /// assert_eq!(a.expr().sqrt().sum()?, 12.0);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn expr(&self) -> Expr<'_, T, D> {
        self.into_expr()
    }

    /// A view of a slice of the array, with ndarray's `s!` syntax: ranges
    /// with steps (negative: walking backwards), negative indices counting
    /// from the end, integer indices removing an axis, `NewAxis`. No data
    /// moves.
    ///
    /// Errors: as [`View::slice`].
    ///
    /// # Local
    ///
    /// Slice arithmetic on the calling rank; no data is read or sent.
    ///
    /// # Examples
    ///
    /// ```
    /// use ndarray::s;
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::from_fn(&rt, [4, 5], |i| (10 * i[0] + i[1]) as i32)?;
    /// let v = a.slice(s![1..-1, ..;-2])?;
    /// assert_eq!(v.get()?, ndarray::array![[14, 12, 10], [24, 22, 20]]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn slice<I: SliceArg<D>>(&self, info: I) -> Result<View<'_, T, I::OutDim>> {
        during(
            "GlobalArray::slice",
            move || -> Result<View<'_, T, I::OutDim>> { self.view().slice(info) },
        )
    }

    /// A writable view of the whole array.
    ///
    /// # Local
    ///
    /// Makes the selection only; nothing is read or sent.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let mut a = gain::numpy::zeros::<i32, _>(&rt, 3)?;
    /// a.view_mut().fill(1)?;
    /// assert_eq!(a.sum()?, 3);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn view_mut(&mut self) -> ViewMut<'_, T, D> {
        ViewMut::from(self)
    }

    /// A writable view of a slice of the array (see [`slice`](Self::slice)).
    ///
    /// Errors: as [`View::slice`].
    ///
    /// # Local
    ///
    /// Slice arithmetic on the calling rank; no data is read or sent.
    ///
    /// # Examples
    ///
    /// ```
    /// use ndarray::s;
    /// # let rt = gain::init()?;
    /// let mut u = gain::numpy::zeros::<f64, _>(&rt, [4, 4])?;
    /// u.slice_mut(s![0, ..])?.fill(1.0)?;
    /// assert_eq!(u.sum()?, 4.0);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn slice_mut<I: SliceArg<D>>(&mut self, info: I) -> Result<ViewMut<'_, T, I::OutDim>> {
        let sel = during("GlobalArray::slice_mut", || {
            Selection::full(self.shape()).slice(info.as_ref())
        })?;
        Ok(ViewMut {
            store: self,
            sel,
            _d: PhantomData,
        })
    }

    /// Evaluates `src` (broadcast to the array's shape) into the array:
    /// NumPy's `a[...] = src`, with no global temporary.
    ///
    /// Errors: as [`ViewMut::assign`].
    ///
    /// # Collective
    ///
    /// As [`ViewMut::assign`]: every rank calls it with the same `src`;
    /// it returns after a closing sync of the array.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::arange(&rt, 0.0, 4.0, 1.0)?;
    /// let mut b = gain::numpy::zeros_like(&a)?;
    /// b.assign(&a * 2.0 + 1.0)?;
    /// assert_eq!(b.to_array()?, ndarray::array![1.0, 3.0, 5.0, 7.0]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn assign<'e>(&mut self, src: impl IntoExpr<'e, T>) -> Result<()> {
        during("GlobalArray::assign", move || -> Result<()> {
            self.view_mut().assign(src)
        })
    }

    /// The whole array as an ndarray array on the calling rank.
    ///
    /// # One-sided
    ///
    /// Only the calling rank takes part; it returns once every block has
    /// been copied or has arrived. It does not synchronise: other ranks'
    /// writes are in it once a sync has ordered them before the call.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::arange(&rt, 0i64, 3, 1)?;
    /// assert_eq!(a.to_array()?, ndarray::array![0, 1, 2]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn to_array(&self) -> Result<Array<T, D>> {
        during("GlobalArray::to_array", move || -> Result<Array<T, D>> {
            self.get(Section::full(self.shape()))
        })
    }

    /// The whole array as an ndarray array on rank `root` (`None`
    /// elsewhere).
    ///
    /// # Collective
    ///
    /// Every rank must call it with the same `root`. It starts with a
    /// sync, so every rank's earlier writes are in the result; then
    /// `root` alone reads the array and returns when it has arrived,
    /// while the other ranks return right after the sync.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::ones::<i32, _>(&rt, 4)?;
    /// let g = a.gather(0)?;
    /// assert_eq!(g.is_some(), rt.rank() == 0);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn gather(&self, root: usize) -> Result<Option<Array<T, D>>> {
        during(
            "GlobalArray::gather",
            move || -> Result<Option<Array<T, D>>> {
                self.sync()?;
                if self.runtime().rank() == root {
                    Ok(Some(self.to_array()?))
                } else {
                    Ok(None)
                }
            },
        )
    }
}
