//! Shape and dimension types of an expression, user ufuncs (`mapv`,
//! `zip_with`), `cast`, and the elementwise `maximum` and `minimum`.

use std::marker::PhantomData;

use ndarray::{DimMax, Dimension, IxDyn};
use num_traits::AsPrimitive;

use super::nodes::{Map1, Map2};
use super::{Expr, IntoExpr, runtime_of};
use crate::fault::during;
use crate::numpy::geometry::broadcast_shapes;
use crate::{Element, Error, ErrorKind, Result};

/// # Shape, dimension types and user ufuncs
impl<'a, T: Element, D: Dimension> Expr<'a, T, D> {
    /// The shape, or the error building the expression met.
    ///
    /// # Local
    ///
    /// Reads the shape the expression was built with; nothing is sent.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::ones::<f64, _>(&rt, [2, 3])?;
    /// let b = gain::numpy::ones::<f64, _>(&rt, [3, 1])?;
    /// assert_eq!((&a + 1.0).shape()?, vec![2, 3]);
    /// assert!((&a + &b).shape().is_err());
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn shape(&self) -> Result<Vec<usize>> {
        during("Expr::shape", move || -> Result<Vec<usize>> {
            Ok(self.node.as_ref().map_err(Clone::clone)?.shape().to_vec())
        })
    }

    /// The runtime of the first global array the expression reads, if
    /// any (and if the expression was built without error).
    pub(crate) fn runtime(&self) -> Option<crate::Runtime> {
        match &self.node {
            Ok(node) => runtime_of(&**node),
            Err(_) => self.ranks.clone(),
        }
    }

    /// The same expression with a dynamic dimension type (ndarray's
    /// `into_dyn`).
    ///
    /// # Local
    ///
    /// Changes the type only; nothing is computed or sent.
    ///
    /// # Examples
    ///
    /// ```
    /// use gain::{GlobalArray, numpy};
    /// use ndarray::IxDyn;
    /// # let rt = gain::init()?;
    /// let a = numpy::ones::<f64, _>(&rt, [2, 3])?;
    /// let d: GlobalArray<f64, IxDyn> = (&a * 2.0).into_dyn().eval()?;
    /// assert_eq!(d.shape(), &[2, 3]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn into_dyn(self) -> Expr<'a, T, IxDyn> {
        Expr::from_tree(self.node)
    }

    /// The same expression with dimension type `E` (ndarray's
    /// `into_dimensionality`): from `IxDyn` to a static type, say.
    ///
    /// Errors: [`DimensionMismatch`](ErrorKind::DimensionMismatch), kept
    /// in the expression and reported where it is evaluated, when `E` has
    /// a fixed number of axes other than the expression's.
    ///
    /// # Local
    ///
    /// Changes the type only; nothing is computed or sent.
    ///
    /// # Examples
    ///
    /// ```
    /// use ndarray::{Ix1, Ix2};
    /// # let rt = gain::init()?;
    /// let j = gain::numpy::index_along(&[2, 3][..], ndarray::Axis(1));
    /// let a = j.clone().into_dimensionality::<Ix2>().eval_on(&rt)?;
    /// assert_eq!(a.to_array()?, ndarray::array![[0, 1, 2], [0, 1, 2]]);
    /// assert!(j.into_dimensionality::<Ix1>().shape().is_err());
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn into_dimensionality<E: Dimension>(self) -> Expr<'a, T, E> {
        let node = self.node.and_then(|n| match E::NDIM {
            Some(k) if k != n.shape().len() => Err(Error::new(
                ErrorKind::DimensionMismatch,
                format!("a {}-d expression as a {k}-d type", n.shape().len()),
            )),
            _ => Ok(n),
        });
        Expr::from_tree(node)
    }

    /// Applies `f` to every element (a user ufunc).
    ///
    /// # Local
    ///
    /// Builds the expression only; `f` runs where it is evaluated.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::arange(&rt, 0i64, 4, 1)?;
    /// assert_eq!(a.expr().mapv(|x| x * x).sum()?, 14);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn mapv<U: Element, F: Fn(T) -> U + Send + Sync + 'a>(self, f: F) -> Expr<'a, U, D> {
        let ranks = self.ranks;
        match self.node {
            Ok(child) => {
                let shape = child.shape().to_vec();
                Expr::node(Map1 {
                    child,
                    f,
                    shape,
                    _t: PhantomData,
                })
            }
            Err(e) => Expr::error(e).with_ranks(ranks),
        }
    }

    /// Combines with `other` element by element through `f`, broadcasting
    /// by NumPy's rules; the result has the broadcast dimension type.
    ///
    /// # Local
    ///
    /// Builds the expression only; a shape error is kept for whatever
    /// evaluates it.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::ones::<f64, _>(&rt, [2, 2])?;
    /// let e = a.expr().zip_with(3.0, |x, y| x.max(y));
    /// assert_eq!(e.sum()?, 12.0);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn zip_with<U, V, O, F>(self, other: O, f: F) -> Expr<'a, V, <D as DimMax<O::Dim>>::Output>
    where
        U: Element,
        V: Element,
        O: IntoExpr<'a, U>,
        F: Fn(T, U) -> V + Send + Sync + 'a,
        D: DimMax<O::Dim>,
    {
        let other = other.into_expr();
        // Only a failed operand needs the runtime kept (a tree walk).
        let ranks = if self.node.is_err() || other.node.is_err() {
            self.runtime().or_else(|| other.runtime())
        } else {
            None
        };
        let (a, b) = match (self.node, other.node) {
            (Ok(a), Ok(b)) => (a, b),
            (Err(e), _) | (_, Err(e)) => return Expr::error(e).with_ranks(ranks),
        };
        match broadcast_shapes(&[a.shape(), b.shape()]) {
            Ok(shape) => Expr::node(Map2 {
                a,
                b,
                f,
                shape,
                _t: PhantomData,
            }),
            Err(e) => Expr::error(e).with_ranks(runtime_of(&*a).or_else(|| runtime_of(&*b))),
        }
    }

    /// Converts every element with Rust's `as` (NumPy's `astype`).
    ///
    /// # Local
    ///
    /// Builds the expression only.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::full(&rt, 3, 2.7f64)?;
    /// assert_eq!(a.expr().cast::<i32>().sum()?, 6);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn cast<U: Element>(self) -> Expr<'a, U, D>
    where
        T: AsPrimitive<U>,
    {
        self.mapv(|x| x.as_())
    }

    /// The elementwise maximum (NaN-propagating, as NumPy's `maximum`).
    ///
    /// # Local
    ///
    /// Builds the expression only.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::arange(&rt, 0i32, 5, 1)?;
    /// assert_eq!(a.expr().maximum(2).sum()?, 2 + 2 + 2 + 3 + 4);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn maximum<O>(self, other: O) -> Expr<'a, T, <D as DimMax<O::Dim>>::Output>
    where
        O: IntoExpr<'a, T>,
        D: DimMax<O::Dim>,
    {
        #[allow(clippy::eq_op)]
        self.zip_with(other, |x, y| if x >= y || x != x { x } else { y })
    }

    /// The elementwise minimum (NaN-propagating, as NumPy's `minimum`).
    ///
    /// # Local
    ///
    /// Builds the expression only.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::arange(&rt, 0i32, 5, 1)?;
    /// assert_eq!(a.expr().minimum(2).sum()?, 0 + 1 + 2 + 2 + 2);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn minimum<O>(self, other: O) -> Expr<'a, T, <D as DimMax<O::Dim>>::Output>
    where
        O: IntoExpr<'a, T>,
        D: DimMax<O::Dim>,
    {
        #[allow(clippy::eq_op)]
        self.zip_with(other, |x, y| if x <= y || x != x { x } else { y })
    }
}
