//! Lazy elementwise expressions: the operands (global arrays, views,
//! ndarray arrays, scalars) and the ufuncs that combine them.
//!
//! Building an [`Expr`] computes nothing and cannot fail; a shape error is
//! kept and reported by whatever evaluates the expression, on every rank,
//! before anything is written. Evaluation is owner-computes (see
//! `engine.rs`): each rank binds the expression to a chunk of the output
//! it owns (operands borrowed from shared memory, or fetched in one `get`
//! each) and evaluates it tile by tile, so temporaries stay in cache.
//!
//! The tree inside is dynamic (shapes are `Vec`s, tiles `IxDyn`); an
//! `Expr` carries its dimension type only as a marker, so that evaluation
//! and axis reductions can return arrays of the right static type.

use std::marker::PhantomData;
use std::sync::Arc;

use ndarray::{
    Array, ArrayBase, ArrayView, ArrayViewD, Axis, CowArray, Data, DimMax, Dimension,
    IntoDimension, Ix0, IxDyn, Zip,
};
use num_traits::{AsPrimitive, Float, Signed};

use super::geometry::{Rect, broadcast_shapes, child_axis, child_rect, extents, narrow};
use super::slicing::Selection;
use super::store::{Region, Shared, Store, read};
use crate::fault::during;
use crate::{Element, Error, ErrorKind, Result};

/// One node of an expression tree.
pub(crate) trait Node<T: Element>: Send + Sync {
    fn shape(&self) -> &[usize];
    /// Positions on `axis` (this node's coordinates) where a chunk must be
    /// cut so that each operand lies in one block.
    fn cuts(&self, axis: usize, out: &mut Vec<usize>);
    /// Visits the global arrays read, with whether each is read whole and
    /// in order at this node's shape (aligned with the result).
    fn arrays<'s>(&'s self, f: &mut dyn FnMut(&'s dyn Shared, bool));
    /// Whether evaluating makes temporaries (then it runs in tiles).
    fn temporaries(&self) -> bool {
        true
    }
    /// Fetches or borrows what the region `rect` needs.
    fn bind<'s>(&'s self, rect: &Rect) -> Result<Box<dyn Bound<T> + 's>>;
}

/// An expression bound to a region: evaluates tiles of it (coordinates
/// relative to the region).
pub(crate) trait Bound<T>: Sync {
    fn eval(&self, tile: &Rect) -> CowArray<'_, T, IxDyn>;
}

/// The tree of an expression, or the error building it met.
type Tree<'a, T> = Result<Arc<dyn Node<T> + 'a>>;

/// A lazy elementwise expression of element type `T` and dimension type
/// `D`.
///
/// Made by the operators (`&a + &b`, `&v * 2.0`, `-e`), the ufunc
/// functions of [`numpy`](crate::numpy) and the methods below. Evaluate it
/// with [`eval`](Expr::eval), [`GlobalArray::assign`](crate::GlobalArray::assign) or
/// [`ViewMut::assign`](super::ViewMut::assign), or reduce it
/// ([`sum`](Expr::sum) and friends). Cloning is cheap.
///
/// `D` follows ndarray's broadcasting: combining operands of dimension
/// types `D` and `E` gives `<D as DimMax<E>>::Output` (`Ix2` with `Ix1`
/// is `Ix2`, anything with `IxDyn` is `IxDyn`) and a scalar keeps the
/// other operand's type, so [`eval`](Expr::eval) and the `*_axis`
/// reductions know their result types without a turbofish. `Expr<'a, T>`
/// is the dynamic form, `Expr<'a, T, IxDyn>`; [`into_dyn`](Expr::into_dyn)
/// and [`into_dimensionality`](Expr::into_dimensionality) convert.
///
/// # Examples
///
/// ```
/// use gain::{GlobalArray, numpy};
/// # let rt = gain::init()?;
/// let a = numpy::arange(&rt, 0.0, 6.0, 1.0)?;
/// let e = (&a * 2.0 + 1.0).sqrt();
/// let b: GlobalArray<f64, ndarray::Ix1> = e.eval()?;
/// assert_eq!(b.at(&[4])?, 3.0);
/// # Ok::<(), gain::Error>(())
/// ```
pub struct Expr<'a, T: Element, D: Dimension = IxDyn> {
    pub(crate) node: Tree<'a, T>,
    /// The runtime of the arrays an expression that failed to build reads,
    /// so that a collective on it still agrees with the other ranks (an
    /// ndarray operand of another shape on one rank fails there only).
    ranks: Option<crate::Runtime>,
    _d: PhantomData<D>,
}

/// The runtime of the first global array `node` reads, if any.
fn runtime_of<T: Element>(node: &dyn Node<T>) -> Option<crate::Runtime> {
    let mut rt = None;
    node.arrays(&mut |a, _| {
        rt.get_or_insert_with(|| a.rt().clone());
    });
    rt
}

impl<T: Element, D: Dimension> std::fmt::Debug for Expr<'_, T, D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Expr")
            .field("elem", &std::any::type_name::<T>())
            .field("shape", &self.shape())
            .finish()
    }
}

impl<T: Element, D: Dimension> Clone for Expr<'_, T, D> {
    fn clone(&self) -> Self {
        Expr::from_tree(self.node.clone()).with_ranks(self.ranks.clone())
    }
}

/// Anything usable as an operand: `&GlobalArray`, [`View`](super::View)
/// (or `&View`), [`Expr`], ndarray arrays (`Array`, `&Array`,
/// `ArrayView`: the same data on every rank) and scalars.
///
/// [`Dim`](IntoExpr::Dim) is the operand's dimension type: the array's or
/// view's own, `Ix0` for a scalar.
///
/// # Examples
///
/// ```
/// use gain::numpy::{Expr, IntoExpr};
/// use ndarray::Ix2;
/// # let rt = gain::init()?;
/// let a = gain::numpy::ones::<f64, _>(&rt, [2, 3])?;
/// let row = ndarray::array![1.0, 2.0, 3.0];
/// let e: Expr<f64, Ix2> = (&a).into_expr();
/// assert_eq!((e + &row).sum()?, 18.0);
/// # Ok::<(), gain::Error>(())
/// ```
pub trait IntoExpr<'a, T: Element> {
    /// The operand's dimension type.
    type Dim: Dimension;

    /// The operand as an expression.
    ///
    /// # Local
    ///
    /// Wraps the operand only: nothing is read or sent.
    ///
    /// # Examples
    ///
    /// ```
    /// use gain::numpy::IntoExpr;
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::ones::<i32, _>(&rt, 4)?;
    /// assert_eq!((&a).into_expr().shape()?, vec![4]);
    /// assert_eq!(IntoExpr::<i32>::into_expr(7).shape()?, Vec::<usize>::new());
    /// # Ok::<(), gain::Error>(())
    /// ```
    fn into_expr(self) -> Expr<'a, T, Self::Dim>;
}

impl<'a, T: Element, D: Dimension> IntoExpr<'a, T> for Expr<'a, T, D> {
    type Dim = D;
    fn into_expr(self) -> Expr<'a, T, D> {
        self
    }
}

impl<'a, T: Element, D: Dimension> IntoExpr<'a, T> for &Expr<'a, T, D> {
    type Dim = D;
    fn into_expr(self) -> Expr<'a, T, D> {
        self.clone()
    }
}

impl<'a, T: Element> IntoExpr<'a, T> for T {
    type Dim = Ix0;
    fn into_expr(self) -> Expr<'a, T, Ix0> {
        Expr::node(Scalar(self))
    }
}

impl<'a, T: Element, S: Data<Elem = T>, D: Dimension> IntoExpr<'a, T> for &'a ArrayBase<S, D> {
    type Dim = D;
    fn into_expr(self) -> Expr<'a, T, D> {
        Expr::node(Local(CowArray::from(self.view().into_dyn())))
    }
}

impl<'a, T: Element, D: Dimension> IntoExpr<'a, T> for ArrayView<'a, T, D> {
    type Dim = D;
    fn into_expr(self) -> Expr<'a, T, D> {
        Expr::node(Local(CowArray::from(self.into_dyn())))
    }
}

impl<'a, T: Element, D: Dimension> IntoExpr<'a, T> for Array<T, D> {
    type Dim = D;
    fn into_expr(self) -> Expr<'a, T, D> {
        Expr::node(Local(CowArray::from(self.into_dyn())))
    }
}

impl<'a, T: Element, D: Dimension> Expr<'a, T, D> {
    fn from_tree(node: Tree<'a, T>) -> Self {
        Expr {
            node,
            ranks: None,
            _d: PhantomData,
        }
    }

    /// The same expression, remembering `ranks` if it knows none.
    fn with_ranks(mut self, ranks: Option<crate::Runtime>) -> Self {
        if self.ranks.is_none() {
            self.ranks = ranks;
        }
        self
    }

    fn node(n: impl Node<T> + 'a) -> Self {
        Expr::from_tree(Ok(Arc::new(n)))
    }

    fn error(e: Error) -> Self {
        Expr::from_tree(Err(e))
    }

    /// The elements of `store` that `sel` selects (a view's expression).
    pub(crate) fn leaf(store: &'a dyn Store<T>, sel: Selection) -> Self {
        let shape = sel.shape();
        Expr::node(Leaf { store, sel, shape })
    }

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

macro_rules! comparisons {
    ($($(#[$doc:meta])* $name:ident => $op:tt;)*) => {
        /// # Comparisons: masks of `u8` (1 where true, 0 where false)
        impl<'a, T: Element, D: Dimension> Expr<'a, T, D> {$(
            $(#[$doc])*
            pub fn $name<O>(self, other: O) -> Expr<'a, u8, <D as DimMax<O::Dim>>::Output>
            where
                O: IntoExpr<'a, T>,
                D: DimMax<O::Dim>,
            {
                self.zip_with(other, |x, y| u8::from(x $op y))
            }
        )*}
    };
}

comparisons! {
    /// `self == other`.
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
    /// assert_eq!(a.expr().equal(3).sum()?, 1);
    /// # Ok::<(), gain::Error>(())
    /// ```
    equal => ==;
    /// `self != other`.
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
    /// assert_eq!(a.expr().not_equal(3).sum()?, 4);
    /// # Ok::<(), gain::Error>(())
    /// ```
    not_equal => !=;
    /// `self < other`.
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
    /// assert_eq!(a.expr().less(3).sum()?, 3);
    /// # Ok::<(), gain::Error>(())
    /// ```
    less => <;
    /// `self <= other`.
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
    /// assert_eq!(a.expr().less_equal(3).sum()?, 4);
    /// # Ok::<(), gain::Error>(())
    /// ```
    less_equal => <=;
    /// `self > other`.
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
    /// assert_eq!(a.expr().greater(3).sum()?, 1);
    /// # Ok::<(), gain::Error>(())
    /// ```
    greater => >;
    /// `self >= other`.
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
    /// assert_eq!(a.expr().greater_equal(3).sum()?, 2);
    /// # Ok::<(), gain::Error>(())
    /// ```
    greater_equal => >=;
}

/// # Masks
impl<'a, D: Dimension> Expr<'a, u8, D> {
    /// Logical and of two masks (nonzero is true).
    ///
    /// # Local
    ///
    /// Builds the expression only.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::arange(&rt, 0i32, 6, 1)?;
    /// let m = a.expr().greater(1).logical_and(a.expr().less(4));
    /// assert_eq!(m.sum()?, 2);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn logical_and<O>(self, other: O) -> Expr<'a, u8, <D as DimMax<O::Dim>>::Output>
    where
        O: IntoExpr<'a, u8>,
        D: DimMax<O::Dim>,
    {
        self.zip_with(other, |x, y| u8::from(x != 0 && y != 0))
    }

    /// Logical or of two masks.
    ///
    /// # Local
    ///
    /// Builds the expression only.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::arange(&rt, 0i32, 6, 1)?;
    /// let m = a.expr().less(1).logical_or(a.expr().greater(4));
    /// assert_eq!(m.sum()?, 2);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn logical_or<O>(self, other: O) -> Expr<'a, u8, <D as DimMax<O::Dim>>::Output>
    where
        O: IntoExpr<'a, u8>,
        D: DimMax<O::Dim>,
    {
        self.zip_with(other, |x, y| u8::from(x != 0 || y != 0))
    }

    /// Logical not of a mask.
    ///
    /// # Local
    ///
    /// Builds the expression only.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::arange(&rt, 0i32, 6, 1)?;
    /// assert_eq!(a.expr().less(1).logical_not().sum()?, 5);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn logical_not(self) -> Self {
        self.mapv(|x| u8::from(x == 0))
    }
}

macro_rules! float_unary {
    ($($name:ident => $doc:literal, $input:literal, $sum:literal;)*) => {
        /// # Float ufuncs
        impl<'a, T: Element + Float, D: Dimension> Expr<'a, T, D> {$(
            #[doc = concat!("Elementwise `", $doc, "`.")]
            ///
            /// # Local
            ///
            /// Builds the expression only.
            ///
            /// # Examples
            ///
            /// ```
            /// # let rt = gain::init()?;
            #[doc = concat!("let a = gain::numpy::full(&rt, 2, ", $input, "f64)?;")]
            #[doc = concat!("let s = a.expr().", stringify!($name), "().sum()?;")]
            #[doc = concat!("assert!((s - ", $sum, ").abs() < 1e-12);")]
            /// # Ok::<(), gain::Error>(())
            /// ```
            pub fn $name(self) -> Self {
                self.mapv(T::$name)
            }
        )*}
    };
}

float_unary! {
    sqrt => "sqrt", "4.0", "4.0";
    exp => "exp", "0.0", "2.0";
    ln => "ln", "1.0", "0.0";
    log10 => "log10", "100.0", "4.0";
    sin => "sin", "0.0", "0.0";
    cos => "cos", "0.0", "2.0";
    tan => "tan", "0.0", "0.0";
    tanh => "tanh", "0.0", "0.0";
    floor => "floor", "1.5", "2.0";
    ceil => "ceil", "1.5", "4.0";
    round => "round (half away from zero)", "2.5", "6.0";
    recip => "1 / x", "4.0", "0.5";
}

/// # Float ufuncs with arguments
impl<'a, T: Element + Float, D: Dimension> Expr<'a, T, D> {
    /// Elementwise `x^n` for an integer `n`.
    ///
    /// # Local
    ///
    /// Builds the expression only.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::full(&rt, 2, 3.0f64)?;
    /// assert_eq!(a.expr().powi(2).sum()?, 18.0);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn powi(self, n: i32) -> Self {
        self.mapv(move |x| x.powi(n))
    }

    /// Elementwise `x^p` for a float `p`.
    ///
    /// # Local
    ///
    /// Builds the expression only.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::full(&rt, 2, 4.0f64)?;
    /// assert_eq!(a.expr().powf(0.5).sum()?, 4.0);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn powf(self, p: T) -> Self {
        self.mapv(move |x| x.powf(p))
    }

    /// Elementwise `x^y` (NumPy's `power`), broadcasting.
    ///
    /// # Local
    ///
    /// Builds the expression only.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::full(&rt, 2, 2.0f64)?;
    /// assert_eq!(a.expr().pow(&ndarray::array![3.0, 1.0]).sum()?, 10.0);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn pow<O>(self, other: O) -> Expr<'a, T, <D as DimMax<O::Dim>>::Output>
    where
        O: IntoExpr<'a, T>,
        D: DimMax<O::Dim>,
    {
        self.zip_with(other, T::powf)
    }

    /// Elementwise `sqrt(x² + y²)` without overflow.
    ///
    /// # Local
    ///
    /// Builds the expression only.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::full(&rt, 1, 3.0f64)?;
    /// assert_eq!(a.expr().hypot(4.0).sum()?, 5.0);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn hypot<O>(self, other: O) -> Expr<'a, T, <D as DimMax<O::Dim>>::Output>
    where
        O: IntoExpr<'a, T>,
        D: DimMax<O::Dim>,
    {
        self.zip_with(other, T::hypot)
    }

    /// Elementwise four-quadrant `atan2(self, other)`.
    ///
    /// # Local
    ///
    /// Builds the expression only.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::full(&rt, 1, 1.0f64)?;
    /// let t = a.expr().atan2(1.0).sum()?;
    /// assert!((t - std::f64::consts::FRAC_PI_4).abs() < 1e-15);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn atan2<O>(self, other: O) -> Expr<'a, T, <D as DimMax<O::Dim>>::Output>
    where
        O: IntoExpr<'a, T>,
        D: DimMax<O::Dim>,
    {
        self.zip_with(other, T::atan2)
    }
}

/// # Signed ufuncs
impl<T: Element + Signed, D: Dimension> Expr<'_, T, D> {
    /// Elementwise absolute value.
    ///
    /// # Local
    ///
    /// Builds the expression only.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::arange(&rt, -2i64, 2, 1)?;
    /// assert_eq!(a.expr().abs().sum()?, 4);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn abs(self) -> Self {
        self.mapv(|x| x.abs())
    }

    /// Elementwise sign: -1, 0 or 1 (NaN stays NaN).
    ///
    /// # Local
    ///
    /// Builds the expression only.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::arange(&rt, -2i64, 3, 1)?;
    /// assert_eq!(a.expr().signum().sum()?, 0);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn signum(self) -> Self {
        self.mapv(|x| if x.is_zero() { x } else { x.signum() })
    }
}

/// Chooses elementwise from `a` where `mask` is nonzero and from `b`
/// elsewhere (NumPy's `where`), broadcasting all three; the result has
/// their broadcast dimension type.
///
/// # Local
///
/// Builds the expression only.
///
/// # Examples
///
/// ```
/// # let rt = gain::init()?;
/// let a = gain::numpy::arange(&rt, 0i32, 6, 1)?;
/// let e = gain::numpy::where_(a.expr().less(3), &a, 0);
/// assert_eq!(e.sum()?, 0 + 1 + 2);
/// # Ok::<(), gain::Error>(())
/// ```
// The result type, the broadcast of three dimension types, is written out
// in full so that the docs show it.
#[allow(clippy::type_complexity)]
pub fn where_<'a, T, M, A, B>(
    mask: M,
    a: A,
    b: B,
) -> Expr<'a, T, <<M::Dim as DimMax<A::Dim>>::Output as DimMax<B::Dim>>::Output>
where
    T: Element,
    M: IntoExpr<'a, u8>,
    A: IntoExpr<'a, T>,
    B: IntoExpr<'a, T>,
    M::Dim: DimMax<A::Dim>,
    <M::Dim as DimMax<A::Dim>>::Output: DimMax<B::Dim>,
{
    let (m, a, b) = (mask.into_expr(), a.into_expr(), b.into_expr());
    let ranks = m.runtime().or_else(|| a.runtime()).or_else(|| b.runtime());
    let (m, a, b) = match (m.node, a.node, b.node) {
        (Ok(m), Ok(a), Ok(b)) => (m, a, b),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => {
            return Expr::error(e).with_ranks(ranks);
        }
    };
    match broadcast_shapes(&[m.shape(), a.shape(), b.shape()]) {
        Ok(shape) => Expr::node(Where { m, a, b, shape }),
        Err(e) => Expr::error(e).with_ranks(ranks),
    }
}

/// The global index along `axis` of every element of an array of `shape`,
/// as an expression (NumPy's `indices(shape)[axis]`), of `shape`'s
/// dimension type (`[n, m]` gives `Ix2`, a slice `IxDyn`).
///
/// Errors: [`DimensionMismatch`](ErrorKind::DimensionMismatch), kept in
/// the expression, for an axis out of range.
///
/// # Local
///
/// Builds the expression only.
///
/// # Examples
///
/// ```
/// use ndarray::Axis;
/// # let rt = gain::init()?;
/// let a = gain::numpy::ones::<i64, _>(&rt, [3, 4])?;
/// let j = gain::numpy::index_along([3, 4], Axis(1));
/// assert_eq!((&a * j).sum()?, 3 * (0 + 1 + 2 + 3));
/// # Ok::<(), gain::Error>(())
/// ```
pub fn index_along<'a, Sh: IntoDimension>(shape: Sh, axis: Axis) -> Expr<'a, i64, Sh::Dim> {
    let shape = shape.into_dimension();
    let (shape, axis) = (shape.slice(), axis.index());
    if axis >= shape.len() {
        return Expr::error(Error::new(
            ErrorKind::DimensionMismatch,
            format!("axis {axis} of a {}-d shape", shape.len()),
        ));
    }
    Expr::node(IndexAlong {
        shape: shape.to_vec(),
        axis,
    })
}

/// A parent's cuts on `axis` from a child's.
pub(crate) fn child_cuts<T: Element>(
    parent: &[usize],
    child: &dyn Node<T>,
    axis: usize,
    out: &mut Vec<usize>,
) {
    if let Some(k) = child_axis(parent, child.shape(), axis) {
        child.cuts(k, out);
    }
}

/// A view of a global array.
struct Leaf<'a, T: Element> {
    store: &'a dyn Store<T>,
    sel: Selection,
    shape: Vec<usize>,
}

impl<T: Element> Node<T> for Leaf<'_, T> {
    fn temporaries(&self) -> bool {
        false
    }
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn cuts(&self, axis: usize, out: &mut Vec<usize>) {
        if let Some(b) = self.sel.base_of(axis) {
            self.sel.cuts(axis, self.store.dist().bounds(b), out);
        }
    }
    fn arrays<'s>(&'s self, f: &mut dyn FnMut(&'s dyn Shared, bool)) {
        let whole = self.sel.is_full(self.store.dist().shape());
        f(self.store.shared(), whole);
    }
    fn bind<'s>(&'s self, rect: &Rect) -> Result<Box<dyn Bound<T> + 's>> {
        Ok(Box::new(Held(read(self.store, &self.sel, rect)?)))
    }
}

/// A bound operand held as an array of its region (with the guard of the
/// block it borrows, if any, for as long as it is bound).
struct Held<'s, T>(Region<'s, T>);

impl<T: Sync> Bound<T> for Held<'_, T> {
    fn eval(&self, tile: &Rect) -> CowArray<'_, T, IxDyn> {
        CowArray::from(narrow(self.0.data.view(), tile.iter().copied()))
    }
}

/// An ndarray array, the same on every rank.
struct Local<'a, T>(CowArray<'a, T, IxDyn>);

impl<T: Element> Node<T> for Local<'_, T> {
    fn temporaries(&self) -> bool {
        false
    }
    fn shape(&self) -> &[usize] {
        self.0.shape()
    }
    fn cuts(&self, _: usize, _: &mut Vec<usize>) {}
    fn arrays<'s>(&'s self, _: &mut dyn FnMut(&'s dyn Shared, bool)) {}
    fn bind<'s>(&'s self, rect: &Rect) -> Result<Box<dyn Bound<T> + 's>> {
        Ok(Box::new(Held(Region::unguarded(CowArray::from(narrow(
            self.0.view(),
            rect.iter().copied(),
        ))))))
    }
}

struct Scalar<T>(T);

impl<T: Element> Node<T> for Scalar<T> {
    fn temporaries(&self) -> bool {
        false
    }
    fn shape(&self) -> &[usize] {
        &[]
    }
    fn cuts(&self, _: usize, _: &mut Vec<usize>) {}
    fn arrays<'s>(&'s self, _: &mut dyn FnMut(&'s dyn Shared, bool)) {}
    fn bind<'s>(&'s self, _: &Rect) -> Result<Box<dyn Bound<T> + 's>> {
        Ok(Box::new(Held(Region::unguarded(CowArray::from(
            ndarray::arr0(self.0).into_dyn(),
        )))))
    }
}

struct IndexAlong {
    shape: Vec<usize>,
    axis: usize,
}

impl Node<i64> for IndexAlong {
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn cuts(&self, _: usize, _: &mut Vec<usize>) {}
    fn arrays<'s>(&'s self, _: &mut dyn FnMut(&'s dyn Shared, bool)) {}
    fn bind<'s>(&'s self, rect: &Rect) -> Result<Box<dyn Bound<i64> + 's>> {
        Ok(Box::new(BoundIndex {
            origin: rect[self.axis].0,
            axis: self.axis,
        }))
    }
}

struct BoundIndex {
    origin: usize,
    axis: usize,
}

impl Bound<i64> for BoundIndex {
    fn eval(&self, tile: &Rect) -> CowArray<'_, i64, IxDyn> {
        let o = (self.origin + tile[self.axis].0) as i64;
        let a = ndarray::Array::from_shape_fn(IxDyn(&extents(tile)), |i| o + i[self.axis] as i64);
        CowArray::from(a)
    }
}

struct Map1<'a, A: Element, T, F> {
    child: Arc<dyn Node<A> + 'a>,
    f: F,
    shape: Vec<usize>,
    _t: PhantomData<fn() -> T>,
}

impl<A: Element, T: Element, F: Fn(A) -> T + Send + Sync> Node<T> for Map1<'_, A, T, F> {
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn cuts(&self, axis: usize, out: &mut Vec<usize>) {
        self.child.cuts(axis, out)
    }
    fn arrays<'s>(&'s self, f: &mut dyn FnMut(&'s dyn Shared, bool)) {
        self.child.arrays(f)
    }
    fn bind<'s>(&'s self, rect: &Rect) -> Result<Box<dyn Bound<T> + 's>> {
        Ok(Box::new(BoundMap1 {
            child: self.child.bind(rect)?,
            f: &self.f,
        }))
    }
}

struct BoundMap1<'s, A, F> {
    child: Box<dyn Bound<A> + 's>,
    f: &'s F,
}

impl<A: Element, T: Element, F: Fn(A) -> T + Send + Sync> Bound<T> for BoundMap1<'_, A, F> {
    fn eval(&self, tile: &Rect) -> CowArray<'_, T, IxDyn> {
        let x = self.child.eval(tile);
        let f = self.f;
        CowArray::from(by_rows(
            x.raw_dim(),
            x.view(),
            x.view(),
            |xs, _, out| match xs {
                Lane::Slice(xs) => out.extend(xs.iter().map(|&a| f(a))),
                Lane::Splat(a, n) => out.extend(std::iter::repeat_n(f(a), n)),
                Lane::Strided(xs) => out.extend(xs.iter().map(|&a| f(a))),
            },
        ))
    }
}

/// A row of an operand: contiguous, one value repeated (broadcast), or
/// strided.
enum Lane<'v, T> {
    Slice(&'v [T]),
    Splat(T, usize),
    Strided(ndarray::ArrayView1<'v, T>),
}

/// The values of a row, whatever its kind.
fn iter<'v, T: Copy>(l: Lane<'v, T>) -> Box<dyn Iterator<Item = T> + 'v> {
    match l {
        Lane::Slice(s) => Box::new(s.iter().copied()),
        Lane::Splat(v, n) => Box::new(std::iter::repeat_n(v, n)),
        Lane::Strided(s) => Box::new(s.into_iter().copied()),
    }
}

fn lane<T: Copy>(l: ndarray::ArrayView1<'_, T>) -> Lane<'_, T> {
    if l.len() > 1 && l.strides()[0] == 0 {
        return Lane::Splat(l[0], l.len());
    }
    match l.to_slice() {
        Some(s) => Lane::Slice(s),
        None => Lane::Strided(l),
    }
}

/// The C-order array of shape `dim` built row by row (rows along the last
/// axis) by `row`, given the rows of `x` and `y` (both of shape `dim`):
/// contiguous rows become slice loops the compiler vectorises.
fn by_rows<A: Copy, B: Copy, T>(
    dim: IxDyn,
    x: ArrayViewD<'_, A>,
    y: ArrayViewD<'_, B>,
    mut row: impl FnMut(Lane<'_, A>, Lane<'_, B>, &mut Vec<T>),
) -> ndarray::ArrayD<T> {
    let mut out = Vec::with_capacity(dim.size());
    if dim.ndim() == 0 {
        let (x, y) = (
            x.insert_axis(ndarray::Axis(0)),
            y.insert_axis(ndarray::Axis(0)),
        );
        row(
            lane(x.view().into_dimensionality().expect("1-d")),
            lane(y.view().into_dimensionality().expect("1-d")),
            &mut out,
        );
    } else {
        let ax = ndarray::Axis(dim.ndim() - 1);
        for (xl, yl) in x.lanes(ax).into_iter().zip(y.lanes(ax)) {
            row(lane(xl), lane(yl), &mut out);
        }
    }
    ndarray::Array::from_shape_vec(dim, out).expect("one value per element")
}

struct Map2<'a, A: Element, B: Element, T, F> {
    a: Arc<dyn Node<A> + 'a>,
    b: Arc<dyn Node<B> + 'a>,
    f: F,
    shape: Vec<usize>,
    _t: PhantomData<fn() -> T>,
}

impl<A: Element, B: Element, T: Element, F: Fn(A, B) -> T + Send + Sync> Node<T>
    for Map2<'_, A, B, T, F>
{
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn cuts(&self, axis: usize, out: &mut Vec<usize>) {
        child_cuts(&self.shape, &*self.a, axis, out);
        child_cuts(&self.shape, &*self.b, axis, out);
    }
    fn arrays<'s>(&'s self, f: &mut dyn FnMut(&'s dyn Shared, bool)) {
        let same = |s: &[usize]| s == &self.shape[..];
        self.a.arrays(&mut |x, w| f(x, w && same(self.a.shape())));
        self.b.arrays(&mut |x, w| f(x, w && same(self.b.shape())));
    }
    fn bind<'s>(&'s self, rect: &Rect) -> Result<Box<dyn Bound<T> + 's>> {
        Ok(Box::new(BoundMap2 {
            a: self
                .a
                .bind(&child_rect(&self.shape, self.a.shape(), rect))?,
            b: self
                .b
                .bind(&child_rect(&self.shape, self.b.shape(), rect))?,
            node: self,
        }))
    }
}

struct BoundMap2<'s, 'a, A: Element, B: Element, T, F> {
    a: Box<dyn Bound<A> + 's>,
    b: Box<dyn Bound<B> + 's>,
    node: &'s Map2<'a, A, B, T, F>,
}

impl<A: Element, B: Element, T: Element, F: Fn(A, B) -> T + Send + Sync> Bound<T>
    for BoundMap2<'_, '_, A, B, T, F>
{
    fn eval(&self, tile: &Rect) -> CowArray<'_, T, IxDyn> {
        let n = self.node;
        let x = self.a.eval(&child_rect(&n.shape, n.a.shape(), tile));
        let y = self.b.eval(&child_rect(&n.shape, n.b.shape(), tile));
        let dim = IxDyn(&extents(tile));
        let (x, y) = (
            x.broadcast(dim.clone()).expect("broadcast checked"),
            y.broadcast(dim).expect("broadcast checked"),
        );
        let f = &n.f;
        CowArray::from(by_rows(x.raw_dim(), x, y, |xs, ys, out| match (xs, ys) {
            (Lane::Slice(xs), Lane::Slice(ys)) => {
                out.extend(xs.iter().zip(ys).map(|(&a, &b)| f(a, b)))
            }
            (Lane::Slice(xs), Lane::Splat(b, _)) => out.extend(xs.iter().map(|&a| f(a, b))),
            (Lane::Splat(a, _), Lane::Slice(ys)) => out.extend(ys.iter().map(|&b| f(a, b))),
            (xs, ys) => out.extend(iter(xs).zip(iter(ys)).map(|(a, b)| f(a, b))),
        }))
    }
}

struct Where<'a, T: Element> {
    m: Arc<dyn Node<u8> + 'a>,
    a: Arc<dyn Node<T> + 'a>,
    b: Arc<dyn Node<T> + 'a>,
    shape: Vec<usize>,
}

impl<T: Element> Node<T> for Where<'_, T> {
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn cuts(&self, axis: usize, out: &mut Vec<usize>) {
        child_cuts(&self.shape, &*self.m, axis, out);
        child_cuts(&self.shape, &*self.a, axis, out);
        child_cuts(&self.shape, &*self.b, axis, out);
    }
    fn arrays<'s>(&'s self, f: &mut dyn FnMut(&'s dyn Shared, bool)) {
        let same = |s: &[usize]| s == &self.shape[..];
        self.m.arrays(&mut |x, w| f(x, w && same(self.m.shape())));
        self.a.arrays(&mut |x, w| f(x, w && same(self.a.shape())));
        self.b.arrays(&mut |x, w| f(x, w && same(self.b.shape())));
    }
    fn bind<'s>(&'s self, rect: &Rect) -> Result<Box<dyn Bound<T> + 's>> {
        Ok(Box::new(BoundWhere {
            m: self
                .m
                .bind(&child_rect(&self.shape, self.m.shape(), rect))?,
            a: self
                .a
                .bind(&child_rect(&self.shape, self.a.shape(), rect))?,
            b: self
                .b
                .bind(&child_rect(&self.shape, self.b.shape(), rect))?,
            node: self,
        }))
    }
}

struct BoundWhere<'s, 'a, T: Element> {
    m: Box<dyn Bound<u8> + 's>,
    a: Box<dyn Bound<T> + 's>,
    b: Box<dyn Bound<T> + 's>,
    node: &'s Where<'a, T>,
}

impl<T: Element> Bound<T> for BoundWhere<'_, '_, T> {
    fn eval(&self, tile: &Rect) -> CowArray<'_, T, IxDyn> {
        let n = self.node;
        let m = self.m.eval(&child_rect(&n.shape, n.m.shape(), tile));
        let a = self.a.eval(&child_rect(&n.shape, n.a.shape(), tile));
        let b = self.b.eval(&child_rect(&n.shape, n.b.shape(), tile));
        let dim = IxDyn(&extents(tile));
        let a = a.broadcast(dim.clone()).expect("broadcast checked");
        let b = b.broadcast(dim.clone()).expect("broadcast checked");
        let m = m.broadcast(dim.clone()).expect("broadcast checked");
        CowArray::from(
            Zip::from(m)
                .and(a)
                .and(b)
                .map_collect(|&m, &x, &y| if m != 0 { x } else { y }),
        )
    }
}
