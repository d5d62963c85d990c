//! The built-in ufuncs: comparisons, masks, float and signed ufuncs, and
//! the free functions [`where_`] and [`index_along`].

use ndarray::{Axis, DimMax, Dimension, IntoDimension};
use num_traits::{Float, Signed};

use super::nodes::{IndexAlong, Where};
use super::{Expr, IntoExpr};
use crate::numpy::geometry::broadcast_shapes;
use crate::{Element, Error, ErrorKind};

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

/// # NumPy's integer-style division (any element type)
///
/// Rust's `/` and `%` on expressions are Rust's: integer `/` truncates
/// toward zero and panics on a zero divisor (ending the job), `%` keeps
/// the dividend's sign (NumPy's `fmod`). These are NumPy's `//` and `%`.
impl<'a, T: Element, D: Dimension> Expr<'a, T, D> {
    /// Elementwise NumPy `floor_divide` (`self // other`), broadcasting:
    /// rounds toward minus infinity; an integer zero divisor gives 0, as
    /// NumPy's (which warns). See [`Element::floor_divide`].
    ///
    /// # Local
    ///
    /// Builds the expression only.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::from_array(&rt, &ndarray::array![7i32, -7, 7])?;
    /// let d = ndarray::array![2, 2, 0];
    /// let q = a.expr().floor_divide(&d);
    /// assert_eq!(q.eval()?.to_array()?, ndarray::array![3, -4, 0]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn floor_divide<O>(self, other: O) -> Expr<'a, T, <D as DimMax<O::Dim>>::Output>
    where
        O: IntoExpr<'a, T>,
        D: DimMax<O::Dim>,
    {
        self.zip_with(other, T::floor_divide)
    }

    /// Elementwise NumPy `mod` / `remainder` (Python's `%`), broadcasting:
    /// the sign of the divisor; an integer zero divisor gives 0. See
    /// [`Element::remainder`].
    ///
    /// # Local
    ///
    /// Builds the expression only.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::from_array(&rt, &ndarray::array![7i32, -7, 7])?;
    /// let d = ndarray::array![2, 2, -2];
    /// let r = a.expr().remainder(&d);
    /// assert_eq!(r.eval()?.to_array()?, ndarray::array![1, 1, -1]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn remainder<O>(self, other: O) -> Expr<'a, T, <D as DimMax<O::Dim>>::Output>
    where
        O: IntoExpr<'a, T>,
        D: DimMax<O::Dim>,
    {
        self.zip_with(other, T::remainder)
    }
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
    /// Elementwise NumPy `rint`: the nearest integer, halves to even
    /// (`round` rounds them away from zero).
    ///
    /// # Local
    ///
    /// Builds the expression only.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::from_array(&rt, &ndarray::array![0.5f64, 1.5, 2.5, -2.5, 2.4])?;
    /// assert_eq!(a.expr().rint().eval()?.to_array()?, ndarray::array![0.0, 2.0, 2.0, -2.0, 2.0]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn rint(self) -> Self {
        self.mapv(round_half_even)
    }

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

/// `x` rounded to the nearest integer, halves to the even neighbour.
fn round_half_even<T: Float>(x: T) -> T {
    let r = x.round();
    let two = T::one() + T::one();
    // A half lies between two integers, one of them even: the even one is
    // twice the rounded half of `x` (exact, and -0.5 gives -0.0 as NumPy).
    if (r - x).abs() == T::one() / two {
        (x / two).round() * two
    } else {
        r
    }
}
