//! The element types a [`GlobalArray`](crate::GlobalArray) can hold.

use std::fmt::Debug;

use mpi::datatype::Equivalence;

mod private {
    /// Seals [`Element`](super::Element), and carries what the `.npy` layer
    /// (`gain::io`) needs of an element type from `ndarray-npy`: its NumPy
    /// type descriptor, and viewing a mapped file's bytes as elements.
    pub trait Sealed:
        ndarray_npy::WritableElement + ndarray_npy::ViewElement + ndarray_npy::ViewMutElement
    {
    }
}

/// A numeric element type with a predefined MPI datatype.
///
/// Implemented for `i8`, `i16`, `i32`, `i64`, `u8`, `u16`, `u32`, `u64`,
/// `f32` and `f64`; sealed, because the one-sided layer relies on each type
/// mapping to exactly one predefined MPI datatype (accumulate atomicity is
/// only defined per predefined type).
///
/// # Examples
///
/// ```
/// fn zero<T: gain::Element>() -> T { T::zero() }
/// assert_eq!(zero::<f64>(), 0.0);
/// assert!(<i64 as gain::Element>::IS_INTEGER);
/// ```
pub trait Element:
    Equivalence
    + num_traits::Num
    + num_traits::NumCast
    + Copy
    + Default
    + PartialOrd
    + Debug
    + Send
    + Sync
    + 'static
    + private::Sealed
{
    /// Whether the type is an integer (atomic counters need one).
    ///
    /// # Examples
    ///
    /// ```
    /// use gain::Element;
    /// assert!(u8::IS_INTEGER);
    /// assert!(!f32::IS_INTEGER);
    /// ```
    const IS_INTEGER: bool;

    /// The type NumPy sums and multiplies this one in: `i64` for the
    /// signed integers, `u64` for the unsigned ones, the type itself for
    /// floats. The NumPy layer's `sum`, `prod`, `sum_axis`, `prod_axis`,
    /// `cumsum` and `cumprod` give it, so summing a mask of `u8` counts
    /// past 255, as NumPy's sum of a boolean array does.
    ///
    /// # Examples
    ///
    /// ```
    /// use gain::Element;
    /// let wide: <u8 as Element>::Sum = 200u8.to_sum() + 100u8.to_sum();
    /// assert_eq!(wide, 300u64);
    /// assert_eq!(Element::to_sum(-3i16), -3i64);
    /// assert_eq!(Element::to_sum(0.5f32), 0.5f32);
    /// ```
    type Sum: Element;

    /// `self` as [`Sum`](Self::Sum) (exact: every value fits).
    ///
    /// # Local
    ///
    /// A conversion on the calling rank; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// use gain::Element;
    /// assert_eq!(Element::to_sum(u32::MAX), u32::MAX as u64);
    /// ```
    fn to_sum(self) -> Self::Sum;

    /// `self + rhs` as an accumulate adds: wrapping (two's complement) for
    /// integers, as `MPI_SUM` does, so an overflowing
    /// [`acc`](crate::GlobalArray::acc) or
    /// [`read_inc`](crate::GlobalArray::read_inc) gives the same result on
    /// every path; the plain sum for floats.
    ///
    /// # Local
    ///
    /// Arithmetic on the calling rank; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// use gain::Element;
    /// assert_eq!(Element::wrapping_add(250u8, 10), 4);
    /// assert_eq!(Element::wrapping_add(i32::MAX, 1), i32::MIN);
    /// assert_eq!(Element::wrapping_add(0.5f64, 0.25), 0.75);
    /// ```
    fn wrapping_add(self, rhs: Self) -> Self;

    /// `self * rhs` as an accumulate scales: wrapping for integers, the
    /// plain product for floats.
    ///
    /// # Local
    ///
    /// Arithmetic on the calling rank; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// use gain::Element;
    /// assert_eq!(Element::wrapping_mul(16u8, 17), 16);
    /// assert_eq!(Element::wrapping_mul(1.5f32, 2.0), 3.0);
    /// ```
    fn wrapping_mul(self, rhs: Self) -> Self;

    /// `v` converted as Rust's `as` converts it: two's complement
    /// truncation for integers (so `-1` is `u32::MAX`, and adding it with
    /// [`wrapping_add`](Self::wrapping_add) subtracts one), the nearest
    /// value for floats. The increment of
    /// [`read_inc`](crate::GlobalArray::read_inc).
    ///
    /// # Local
    ///
    /// Arithmetic on the calling rank; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// use gain::Element;
    /// assert_eq!(u32::wrapping_from_i64(-1), u32::MAX);
    /// assert_eq!(Element::wrapping_add(5u32, u32::wrapping_from_i64(-2)), 3);
    /// assert_eq!(i8::wrapping_from_i64(300), 44);
    /// assert_eq!(f64::wrapping_from_i64(-3), -3.0);
    /// ```
    fn wrapping_from_i64(v: i64) -> Self;

    /// NumPy's `floor_divide` (`//`): the quotient rounded toward minus
    /// infinity. Integers: 0 for a zero divisor (NumPy warns and gives 0;
    /// Rust's `/` panics), wrapping for `MIN // -1`. Floats: NumPy's
    /// `divmod` rule, `±inf` or NaN for a zero divisor.
    ///
    /// # Local
    ///
    /// Arithmetic on the calling rank; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// use gain::Element;
    /// assert_eq!(Element::floor_divide(-7i32, 2), -4);
    /// assert_eq!(Element::floor_divide(7i32, 0), 0);
    /// assert_eq!(Element::floor_divide(-7.5f64, 2.0), -4.0);
    /// ```
    fn floor_divide(self, rhs: Self) -> Self;

    /// NumPy's `mod` (`remainder`, Python's `%`): the remainder with the
    /// sign of the divisor, so that `floor_divide(a, b) * b + remainder(a,
    /// b) == a`. Integers: 0 for a zero divisor. Floats: NaN for a zero
    /// divisor. Rust's `%` (NumPy's `fmod`) keeps the dividend's sign.
    ///
    /// # Local
    ///
    /// Arithmetic on the calling rank; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// use gain::Element;
    /// assert_eq!(Element::remainder(-7i32, 2), 1);
    /// assert_eq!(-7i32 % 2, -1);
    /// assert_eq!(Element::remainder(7.5f64, -2.0), -0.5);
    /// ```
    fn remainder(self, rhs: Self) -> Self;
}

macro_rules! element {
    (int $sum:ty => $($t:ty),*) => {$(
        impl private::Sealed for $t {}
        impl Element for $t {
            const IS_INTEGER: bool = true;
            type Sum = $sum;
            fn to_sum(self) -> $sum {
                <$sum>::from(self)
            }
            fn wrapping_add(self, rhs: Self) -> Self {
                <$t>::wrapping_add(self, rhs)
            }
            fn wrapping_mul(self, rhs: Self) -> Self {
                <$t>::wrapping_mul(self, rhs)
            }
            fn wrapping_from_i64(v: i64) -> Self {
                v as $t
            }
            // `r < 0` is always false for the unsigned types, which is
            // what they need: their quotient never rounds down further.
            #[allow(unused_comparisons)]
            fn floor_divide(self, rhs: Self) -> Self {
                if rhs == 0 {
                    return 0;
                }
                let (q, r) = (self.wrapping_div(rhs), self.wrapping_rem(rhs));
                if r != 0 && ((r < 0) != (rhs < 0)) { q - 1 } else { q }
            }
            #[allow(unused_comparisons)]
            fn remainder(self, rhs: Self) -> Self {
                if rhs == 0 {
                    return 0;
                }
                let r = self.wrapping_rem(rhs);
                if r != 0 && ((r < 0) != (rhs < 0)) { r.wrapping_add(rhs) } else { r }
            }
        }
    )*};
    (float => $($t:ty),*) => {$(
        impl private::Sealed for $t {}
        impl Element for $t {
            const IS_INTEGER: bool = false;
            type Sum = $t;
            fn to_sum(self) -> $t {
                self
            }
            fn wrapping_add(self, rhs: Self) -> Self {
                self + rhs
            }
            fn wrapping_mul(self, rhs: Self) -> Self {
                self * rhs
            }
            fn wrapping_from_i64(v: i64) -> Self {
                v as $t
            }
            // NumPy's `npy_divmod`: the quotient from the exact `fmod`
            // remainder, then floored, and rounded back when the division
            // left it just below an integer.
            fn floor_divide(self, rhs: Self) -> Self {
                if rhs == 0.0 {
                    return self / rhs;
                }
                let m = self % rhs;
                let mut div = (self - m) / rhs;
                if m != 0.0 && ((rhs < 0.0) != (m < 0.0)) {
                    div -= 1.0;
                }
                if div == 0.0 {
                    return (0.0 as $t).copysign(self / rhs);
                }
                let f = div.floor();
                if div - f > 0.5 { f + 1.0 } else { f }
            }
            fn remainder(self, rhs: Self) -> Self {
                let m = self % rhs;
                if rhs == 0.0 {
                    m
                } else if m == 0.0 {
                    (0.0 as $t).copysign(rhs)
                } else if (rhs < 0.0) != (m < 0.0) {
                    m + rhs
                } else {
                    m
                }
            }
        }
    )*};
}
element!(int i64 => i8, i16, i32, i64);
element!(int u64 => u8, u16, u32, u64);
element!(float => f32, f64);
