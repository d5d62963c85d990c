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
}

macro_rules! element {
    (int => $($t:ty),*) => {$(
        impl private::Sealed for $t {}
        impl Element for $t {
            const IS_INTEGER: bool = true;
            fn wrapping_add(self, rhs: Self) -> Self {
                <$t>::wrapping_add(self, rhs)
            }
            fn wrapping_mul(self, rhs: Self) -> Self {
                <$t>::wrapping_mul(self, rhs)
            }
            fn wrapping_from_i64(v: i64) -> Self {
                v as $t
            }
        }
    )*};
    (float => $($t:ty),*) => {$(
        impl private::Sealed for $t {}
        impl Element for $t {
            const IS_INTEGER: bool = false;
            fn wrapping_add(self, rhs: Self) -> Self {
                self + rhs
            }
            fn wrapping_mul(self, rhs: Self) -> Self {
                self * rhs
            }
            fn wrapping_from_i64(v: i64) -> Self {
                v as $t
            }
        }
    )*};
}
element!(int => i8, i16, i32, i64, u8, u16, u32, u64);
element!(float => f32, f64);
