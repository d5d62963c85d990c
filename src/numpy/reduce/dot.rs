//! The dot product of vectors: [`dot`], and as a method of 1-D arrays
//! and views.

use ndarray::Ix1;

use crate::error::bail;
use crate::fault::during;
use crate::numpy::expr::IntoExpr;
use crate::numpy::view::View;
use crate::{Element, GlobalArray, Result};

/// The dot product of two 1-D operands of equal length (also
/// `a.dot(&b)` on a 1-D array or view).
///
/// Errors: [`ShapeMismatch`](crate::ErrorKind::ShapeMismatch) otherwise.
///
/// # Collective
///
/// Every rank calls it with the same operands; each returns the same
/// value, after every rank's partial sum has been gathered.
///
/// # Examples
///
/// ```
/// # let rt = gain::init()?;
/// let a = gain::numpy::arange(&rt, 0.0, 4.0, 1.0)?;
/// assert_eq!(gain::numpy::dot(&a, &a)?, 14.0);
/// # Ok::<(), gain::Error>(())
/// ```
pub fn dot<'a, T: Element>(a: impl IntoExpr<'a, T>, b: impl IntoExpr<'a, T>) -> Result<T> {
    during("numpy::dot", move || -> Result<T> {
        let (a, b) = (a.into_expr().into_dyn(), b.into_expr().into_dyn());
        let (sa, sb) = (a.shape()?, b.shape()?);
        if sa.len() != 1 || sa != sb {
            bail!(
                ShapeMismatch,
                "dot of shapes {sa:?} and {sb:?}: needs two 1-d operands of one length"
            );
        }
        (a * b).sum_in_t()
    })
}

/// # Dot product of vectors
impl<T: Element> GlobalArray<T, Ix1> {
    /// The dot product with another 1-D operand of the same length
    /// (ndarray's `dot` of two vectors; [`numpy::dot`](crate::numpy::dot)).
    /// Matrix products of 2-D arrays are in [`linalg`](crate::linalg).
    ///
    /// Errors: [`ShapeMismatch`](crate::ErrorKind::ShapeMismatch) for
    /// another length.
    ///
    /// # Collective
    ///
    /// Every rank calls it with the same `rhs`; each returns the same
    /// value, after every rank's partial sum has been gathered.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::arange(&rt, 0.0, 4.0, 1.0)?;
    /// assert_eq!(a.dot(&a)?, 14.0);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn dot<'a, R: IntoExpr<'a, T, Dim = Ix1>>(&'a self, rhs: R) -> Result<T> {
        during("GlobalArray::dot", move || -> Result<T> { dot(self, rhs) })
    }
}

/// # Dot product of vectors
impl<'a, T: Element> View<'a, T, Ix1> {
    /// The dot product with another 1-D operand of the same length; see
    /// [`GlobalArray::dot`](GlobalArray#method.dot).
    ///
    /// Errors: as [`numpy::dot`](crate::numpy::dot).
    ///
    /// # Collective
    ///
    /// Every rank calls it with the same view and `rhs`; each returns the
    /// same value.
    ///
    /// # Examples
    ///
    /// ```
    /// use ndarray::s;
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::arange(&rt, 0.0, 10.0, 1.0)?;
    /// assert_eq!(a.slice(s![..5])?.dot(a.slice(s![5..])?)?, 80.0);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn dot<R: IntoExpr<'a, T, Dim = Ix1>>(&self, rhs: R) -> Result<T> {
        during("View::dot", move || -> Result<T> { dot(self.clone(), rhs) })
    }
}
