//! The element types a [`GlobalArray`](crate::GlobalArray) can hold.

use std::fmt::Debug;

use mpi::datatype::Equivalence;

mod private {
    pub trait Sealed {}
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
}

macro_rules! element {
    ($int:expr => $($t:ty),*) => {$(
        impl private::Sealed for $t {}
        impl Element for $t {
            const IS_INTEGER: bool = $int;
        }
    )*};
}
element!(true => i8, i16, i32, i64, u8, u16, u32, u64);
element!(false => f32, f64);
