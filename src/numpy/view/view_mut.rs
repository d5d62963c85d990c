//! Writable views: shape, slicing, assignment, fill and `zip_mut_with`.

use std::marker::PhantomData;

use ndarray::{Dimension, SliceArg};

use super::{View, ViewMut, Zip};
#[cfg(doc)]
use crate::ErrorKind;
use crate::fault::during;
use crate::numpy::expr::IntoExpr;
use crate::{Element, Result};

/// # Writable views: slicing, assignment and fill
impl<'a, T: Element, D: Dimension> ViewMut<'a, T, D> {
    /// The view's shape.
    ///
    /// # Local
    ///
    /// Reads the selection only; nothing is sent.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let mut a = gain::numpy::zeros::<f64, _>(&rt, [4, 6])?;
    /// assert_eq!(a.slice_mut(ndarray::s![.., 0])?.shape(), vec![4]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn shape(&self) -> Vec<usize> {
        self.sel.shape()
    }

    /// A writable view of this view (slice arithmetic, as
    /// [`View::slice`]).
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
    /// let mut a = gain::numpy::zeros::<i32, _>(&rt, 8)?;
    /// let mut v = a.slice_mut(s![1..])?;
    /// v.slice_mut(s![..;2])?.fill(1)?;
    /// assert_eq!(a.to_array()?, ndarray::array![0, 1, 0, 1, 0, 1, 0, 1]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn slice_mut<I: SliceArg<D>>(&mut self, info: I) -> Result<ViewMut<'_, T, I::OutDim>> {
        let sel = during("ViewMut::slice_mut", || self.sel.slice(info.as_ref()))?;
        Ok(ViewMut {
            sel,
            store: &mut *self.store,
            _d: PhantomData,
        })
    }

    /// A read-only view of the same elements.
    ///
    /// # Local
    ///
    /// Copies the selection only; nothing is read or sent.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let mut a = gain::numpy::ones::<i32, _>(&rt, 8)?;
    /// let v = a.slice_mut(ndarray::s![2..])?;
    /// assert_eq!(v.view().get()?.len(), 6);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn view(&self) -> View<'_, T, D> {
        View {
            store: self.store.as_store(),
            sel: self.sel.clone(),
            _d: PhantomData,
        }
    }

    /// Writes `src` (any operand, broadcast to the view's shape) into the
    /// view: NumPy's `view[...] = src`. Each rank writes the part in its
    /// own block.
    ///
    /// Errors: [`ShapeMismatch`](ErrorKind::ShapeMismatch) when `src` does
    /// not broadcast to the view, on every rank, before anything is
    /// written; [`ReadOnly`](ErrorKind::ReadOnly) likewise for an array
    /// mapped read-only from its file (so for [`fill`](Self::fill) and
    /// [`zip_mut_with`](Self::zip_mut_with) too).
    ///
    /// # Collective
    ///
    /// Every rank must call it, in the same order, on the same view of
    /// the same array with the same `src` (ndarray operands holding the
    /// same data); it syncs the target and the arrays `src` reads first,
    /// and returns after a closing sync of the target, when every rank's
    /// part is written and visible everywhere.
    ///
    /// # Examples
    ///
    /// ```
    /// use ndarray::s;
    /// # let rt = gain::init()?;
    /// let mut a = gain::numpy::zeros::<f64, _>(&rt, [3, 4])?;
    /// let b = gain::numpy::arange(&rt, 0.0, 4.0, 1.0)?;
    /// a.slice_mut(s![1.., ..])?.assign(&b)?;
    /// assert_eq!(a.sum()?, 12.0);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn assign<'e>(&mut self, src: impl IntoExpr<'e, T>) -> Result<()> {
        during("ViewMut::assign", move || -> Result<()> {
            Zip::from(self.reborrow())
                .and(src)
                .par_for_each(|o, &x| *o = x)
        })
    }

    /// Sets every element of the view to `value`.
    ///
    /// # Collective
    ///
    /// Every rank must call it, in the same order, on the same view of
    /// the same array with the same `value`; it returns after a closing
    /// sync, when every rank's part is written and visible everywhere.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let mut a = gain::numpy::zeros::<i64, _>(&rt, 10)?;
    /// a.slice_mut(ndarray::s![5..])?.fill(2)?;
    /// assert_eq!(a.sum()?, 10);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn fill(&mut self, value: T) -> Result<()> {
        during("ViewMut::fill", move || -> Result<()> {
            Zip::from(self.reborrow()).par_for_each(|o| *o = value)
        })
    }

    /// Updates every element with `f(element, rhs element)`, `rhs`
    /// broadcast to the view (ndarray's `zip_mut_with`; the fallible form
    /// of `+=` and friends).
    ///
    /// Errors: as [`assign`](Self::assign).
    ///
    /// # Collective
    ///
    /// Every rank must call it, in the same order, on the same view with
    /// the same `rhs`; each rank runs `f` on the elements of its own
    /// block. It syncs the target and the arrays `rhs` reads first, and
    /// returns after a closing sync of the target.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let mut a = gain::numpy::ones::<i32, _>(&rt, [2, 3])?;
    /// let row = ndarray::array![1, 2, 3];
    /// a.view_mut().zip_mut_with(&row, |x, y| *x += y)?;
    /// assert_eq!(a.sum()?, 6 + 12);
    /// assert!(a.view_mut().zip_mut_with(&ndarray::array![1, 2], |x, y| *x += y).is_err());
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn zip_mut_with<'e, U: Element>(
        &mut self,
        rhs: impl IntoExpr<'e, U>,
        mut f: impl FnMut(&mut T, U),
    ) -> Result<()> {
        during("ViewMut::zip_mut_with", move || -> Result<()> {
            Zip::from(self.reborrow())
                .and(rhs)
                .for_each(|o, &x| f(o, x))
        })
    }

    fn reborrow(&mut self) -> ViewMut<'_, T, D> {
        ViewMut {
            store: &mut *self.store,
            sel: self.sel.clone(),
            _d: PhantomData,
        }
    }
}
