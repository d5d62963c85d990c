//! Views of global arrays with slice arithmetic, assignment, and the
//! distributed [`Zip`].
//!
//! The files:
//! - `mod.rs` — [`View`] and [`ViewMut`], a view's shape, slicing and
//!   reading, and views as operands;
//! - `view_mut.rs` — writable views: slicing, assignment, fill;
//! - `zip.rs` — [`Zip`], one pass over an output view and its inputs;
//! - `array.rs` — the NumPy-style methods of [`GlobalArray`]: views,
//!   slices, assignment, gathering.

mod array;
mod view_mut;
mod zip;

pub use zip::Zip;

use std::marker::PhantomData;

use ndarray::{Array, Dimension, IxDyn, SliceArg};

use super::expr::{Expr, IntoExpr};
use super::slicing::Selection;
use super::store::{Store, StoreMut, read};
use crate::fault::during;
use crate::{Element, Error, ErrorKind, GlobalArray, Result};

/// A strided view of a global array, as made by
/// [`GlobalArray::slice`]: no data, no communication. Slicing a view
/// composes the two slices into one (slice arithmetic), so views of views
/// cost nothing more. Use it as an operand ([`IntoExpr`]), reduce it
/// ([`sum`](View::sum) and friends) or read it with [`get`](View::get).
///
/// # Examples
///
/// ```
/// use ndarray::s;
/// # let rt = gain::init()?;
/// let a = gain::numpy::arange(&rt, 0i64, 10, 1)?;
/// let v = a.slice(s![1..-1])?.slice(s![..;-3])?;
/// assert_eq!(v.get()?, ndarray::array![8, 5, 2]);
/// # Ok::<(), gain::Error>(())
/// ```
pub struct View<'a, T: Element, D: Dimension> {
    store: &'a dyn Store<T>,
    sel: Selection,
    _d: PhantomData<D>,
}

impl<T: Element, D: Dimension> std::fmt::Debug for View<'_, T, D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("View")
            .field("shape", &self.sel.shape())
            .field("selection", &self.sel)
            .finish()
    }
}

impl<T: Element, D: Dimension> std::fmt::Debug for ViewMut<'_, T, D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ViewMut")
            .field("shape", &self.sel.shape())
            .field("selection", &self.sel)
            .finish()
    }
}

impl<T: Element, D: Dimension> Clone for View<'_, T, D> {
    fn clone(&self) -> Self {
        View {
            store: self.store,
            sel: self.sel.clone(),
            _d: PhantomData,
        }
    }
}

/// # Views: shape, slicing and reading
impl<'a, T: Element, D: Dimension> View<'a, T, D> {
    pub(crate) fn whole<E: Dimension>(a: &'a GlobalArray<T, E>) -> View<'a, T, E> {
        View {
            store: a,
            sel: Selection::full(a.shape()),
            _d: PhantomData,
        }
    }

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
    /// let a = gain::numpy::ones::<f64, _>(&rt, [4, 6])?;
    /// assert_eq!(a.slice(ndarray::s![1.., ..;2])?.shape(), vec![3, 3]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn shape(&self) -> Vec<usize> {
        self.sel.shape()
    }

    /// A view of this view (ndarray's `s!` rules); composes into one
    /// selection of the underlying array.
    ///
    /// Errors: [`OutOfBounds`](ErrorKind::OutOfBounds) for an index or
    /// bound outside an axis, [`DimensionMismatch`](ErrorKind::DimensionMismatch)
    /// for the wrong number of entries,
    /// [`InvalidArgument`](ErrorKind::InvalidArgument) for a zero step.
    ///
    /// # Local
    ///
    /// Slice arithmetic on the calling rank; no data is read or sent.
    ///
    /// # Examples
    ///
    /// ```
    /// use ndarray::{NewAxis, s};
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::arange(&rt, 0i32, 12, 1)?;
    /// let v = a.slice(s![2..])?;
    /// assert_eq!(v.slice(s![NewAxis, ..3])?.get()?, ndarray::array![[2, 3, 4]]);
    /// assert!(v.slice(s![20..]).is_err());
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn slice<I: SliceArg<D>>(&self, info: I) -> Result<View<'a, T, I::OutDim>> {
        during("View::slice", move || -> Result<View<'a, T, I::OutDim>> {
            Ok(View {
                store: self.store,
                sel: self.sel.slice(info.as_ref())?,
                _d: PhantomData,
            })
        })
    }

    /// Copies the view's elements into an ndarray array on the calling
    /// rank (one `get` of the smallest section holding them, or a copy out
    /// of shared memory).
    ///
    /// # One-sided
    ///
    /// Only the calling rank takes part; it returns once the elements are
    /// copied out of shared memory or have arrived from their owners. It
    /// does not synchronise: other ranks' writes are in it once a sync
    /// (or a collective of this layer) has ordered them before the call.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::arange(&rt, 0i32, 6, 1)?;
    /// assert_eq!(a.slice(ndarray::s![..;2])?.get()?, ndarray::array![0, 2, 4]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn get(&self) -> Result<Array<T, D>> {
        during("View::get", move || -> Result<Array<T, D>> {
            let shape = self.sel.shape();
            let a = if shape.contains(&0) {
                Array::from_elem(IxDyn(&shape), T::zero())
            } else {
                let rect: Vec<(usize, usize)> = shape.iter().map(|&n| (0, n)).collect();
                read(self.store, &self.sel, &rect)?.data.into_owned()
            };
            into_dim(a)
        })
    }

    /// The view as an expression of its dimension type (same as
    /// [`IntoExpr::into_expr`]).
    ///
    /// # Local
    ///
    /// Builds the expression only; nothing is read or sent.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::arange(&rt, 0i32, 6, 1)?;
    /// assert_eq!(a.slice(ndarray::s![3..])?.expr().mapv(|x| 2 * x).sum()?, 24);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn expr(&self) -> Expr<'a, T, D> {
        self.clone().into_expr()
    }
}

impl<'a, T: Element, D: Dimension> IntoExpr<'a, T> for &'a GlobalArray<T, D> {
    type Dim = D;
    fn into_expr(self) -> Expr<'a, T, D> {
        View::<T, D>::whole(self).into_expr()
    }
}

impl<'a, T: Element, D: Dimension> IntoExpr<'a, T> for View<'a, T, D> {
    type Dim = D;
    fn into_expr(self) -> Expr<'a, T, D> {
        Expr::leaf(self.store, self.sel)
    }
}

impl<'a, T: Element, D: Dimension> IntoExpr<'a, T> for &View<'a, T, D> {
    type Dim = D;
    fn into_expr(self) -> Expr<'a, T, D> {
        self.clone().into_expr()
    }
}

pub(crate) fn into_dim<T, D: Dimension>(a: Array<T, IxDyn>) -> Result<Array<T, D>> {
    let n = a.ndim();
    a.into_dimensionality::<D>().map_err(|_| {
        Error::new(
            ErrorKind::DimensionMismatch,
            format!("a {n}-d result for a {:?}-d array type", D::NDIM),
        )
    })
}

/// A writable strided view of a global array, as made by
/// [`GlobalArray::slice_mut`]: the target of [`assign`](ViewMut::assign),
/// [`fill`](ViewMut::fill) and [`Zip`].
///
/// # Examples
///
/// ```
/// use ndarray::s;
/// # let rt = gain::init()?;
/// let mut a = gain::numpy::zeros::<i32, _>(&rt, [4, 4])?;
/// a.slice_mut(s![1..3, ..;3])?.fill(7)?;
/// assert_eq!(a.sum()?, 4 * 7);
/// # Ok::<(), gain::Error>(())
/// ```
pub struct ViewMut<'a, T: Element, D: Dimension> {
    store: &'a mut dyn StoreMut<T>,
    sel: Selection,
    _d: PhantomData<D>,
}

impl<'a, T: Element, D: Dimension> From<&'a mut GlobalArray<T, D>> for ViewMut<'a, T, D> {
    fn from(a: &'a mut GlobalArray<T, D>) -> Self {
        let sel = Selection::full(a.shape());
        ViewMut {
            store: a,
            sel,
            _d: PhantomData,
        }
    }
}
