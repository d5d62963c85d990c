//! Arithmetic operators on global arrays, views and expressions.
//!
//! `&a + &b`, `&v * 2.0`, `2.0 * &a`, `-e` build lazy [`Expr`]s (errors
//! surface when they are evaluated) whose dimension type is the operands'
//! broadcast (ndarray's `DimMax`; a scalar keeps the other operand's);
//! `a += &b` and friends update an array or view in place, collectively.
//! Integer division by zero panics, as in Rust; `%` is Rust's remainder
//! (the sign of the dividend).

use std::ops::{
    Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Rem, RemAssign, Sub, SubAssign,
};

use ndarray::{DimMax, Dimension};

use super::expr::{Expr, IntoExpr};
use super::view::{View, ViewMut, Zip};
use crate::{Element, GlobalArray};

macro_rules! binary_ops {
    ($(($Op:ident, $op:ident, $sym:tt)),*) => {$(
        impl<'a, T: Element, D: Dimension, R: IntoExpr<'a, T>> $Op<R> for &'a GlobalArray<T, D>
        where
            D: DimMax<R::Dim>,
        {
            type Output = Expr<'a, T, <D as DimMax<R::Dim>>::Output>;
            fn $op(self, rhs: R) -> Self::Output {
                self.into_expr().zip_with(rhs, |x, y| x $sym y)
            }
        }
        impl<'a, T: Element, D: Dimension, R: IntoExpr<'a, T>> $Op<R> for View<'a, T, D>
        where
            D: DimMax<R::Dim>,
        {
            type Output = Expr<'a, T, <D as DimMax<R::Dim>>::Output>;
            fn $op(self, rhs: R) -> Self::Output {
                self.into_expr().zip_with(rhs, |x, y| x $sym y)
            }
        }
        impl<'a, T: Element, D: Dimension, R: IntoExpr<'a, T>> $Op<R> for &View<'a, T, D>
        where
            D: DimMax<R::Dim>,
        {
            type Output = Expr<'a, T, <D as DimMax<R::Dim>>::Output>;
            fn $op(self, rhs: R) -> Self::Output {
                self.into_expr().zip_with(rhs, |x, y| x $sym y)
            }
        }
        impl<'a, T: Element, D: Dimension, R: IntoExpr<'a, T>> $Op<R> for Expr<'a, T, D>
        where
            D: DimMax<R::Dim>,
        {
            type Output = Expr<'a, T, <D as DimMax<R::Dim>>::Output>;
            fn $op(self, rhs: R) -> Self::Output {
                self.zip_with(rhs, |x, y| x $sym y)
            }
        }
        impl<'a, T: Element, D: Dimension, R: IntoExpr<'a, T>> $Op<R> for &Expr<'a, T, D>
        where
            D: DimMax<R::Dim>,
        {
            type Output = Expr<'a, T, <D as DimMax<R::Dim>>::Output>;
            fn $op(self, rhs: R) -> Self::Output {
                self.clone().zip_with(rhs, |x, y| x $sym y)
            }
        }
    )*};
}

binary_ops!((Add, add, +), (Sub, sub, -), (Mul, mul, *), (Div, div, /), (Rem, rem, %));

// A scalar on the left: the expression is built from the array side, so
// its dimension type is the array's, with the operands swapped back in
// the closure.
macro_rules! scalar_lhs {
    ($($t:ty),*) => {$(
        scalar_lhs!(@ops $t, (Add, add, +), (Sub, sub, -), (Mul, mul, *), (Div, div, /), (Rem, rem, %));
    )*};
    (@ops $t:ty, $(($Op:ident, $op:ident, $sym:tt)),*) => {$(
        impl<'a, D: Dimension> $Op<&'a GlobalArray<$t, D>> for $t {
            type Output = Expr<'a, $t, D>;
            fn $op(self, rhs: &'a GlobalArray<$t, D>) -> Expr<'a, $t, D> {
                rhs.into_expr().zip_with(self, |y, x| x $sym y)
            }
        }
        impl<'a, D: Dimension> $Op<View<'a, $t, D>> for $t {
            type Output = Expr<'a, $t, D>;
            fn $op(self, rhs: View<'a, $t, D>) -> Expr<'a, $t, D> {
                rhs.into_expr().zip_with(self, |y, x| x $sym y)
            }
        }
        impl<'a, D: Dimension> $Op<Expr<'a, $t, D>> for $t {
            type Output = Expr<'a, $t, D>;
            fn $op(self, rhs: Expr<'a, $t, D>) -> Expr<'a, $t, D> {
                rhs.zip_with(self, |y, x| x $sym y)
            }
        }
    )*};
}

scalar_lhs!(i8, i16, i32, i64, u8, u16, u32, u64, f32, f64);

impl<'a, T: Element + Neg<Output = T>, D: Dimension> Neg for Expr<'a, T, D> {
    type Output = Expr<'a, T, D>;
    fn neg(self) -> Expr<'a, T, D> {
        self.mapv(|x| -x)
    }
}

impl<'a, T: Element + Neg<Output = T>, D: Dimension> Neg for &'a GlobalArray<T, D> {
    type Output = Expr<'a, T, D>;
    fn neg(self) -> Expr<'a, T, D> {
        self.into_expr().mapv(|x| -x)
    }
}

impl<'a, T: Element + Neg<Output = T>, D: Dimension> Neg for View<'a, T, D> {
    type Output = Expr<'a, T, D>;
    fn neg(self) -> Expr<'a, T, D> {
        self.into_expr().mapv(|x| -x)
    }
}

macro_rules! assign_ops {
    ($(($Op:ident, $op:ident, $sym:tt)),*) => {$(
        /// In place (NumPy's augmented assignment); panics (aborting the
        /// job with the typed error's message) when `rhs` does not
        /// broadcast to the array or the array is mapped read-only from
        /// its file ([`ReadOnly`](crate::ErrorKind::ReadOnly)). [`Zip`] and
        /// [`ViewMut::zip_mut_with`] return the error instead.
        ///
        /// # Collective
        ///
        /// Every rank must apply it, in the same order, with the same
        /// `rhs`; it returns after a closing sync of the array.
        ///
        /// # Examples
        ///
        /// ```
        /// # let rt = gain::init()?;
        /// let mut a = gain::numpy::full(&rt, [2, 3], 6i64)?;
        #[doc = concat!("a ", stringify!($sym), "= &ndarray::array![1, 2, 3];")]
        #[doc = concat!("assert_eq!(a.at(&[1, 2])?, 6 ", stringify!($sym), " 3);")]
        /// # Ok::<(), gain::Error>(())
        /// ```
        impl<'a, T: Element, D: Dimension, R: IntoExpr<'a, T>> $Op<R> for GlobalArray<T, D> {
            fn $op(&mut self, rhs: R) {
                if let Err(e) = Zip::from(self).and(rhs).for_each(|o, &x| *o = *o $sym x) {
                    panic!("{e}");
                }
            }
        }
        /// In place on the view; panics when `rhs` does not broadcast.
        ///
        /// # Collective
        ///
        /// As on a whole array: every rank applies it with the same `rhs`
        /// to the same view; it returns after a closing sync.
        ///
        /// # Examples
        ///
        /// ```
        /// # let rt = gain::init()?;
        /// let mut a = gain::numpy::full(&rt, 4, 6i32)?;
        /// let mut tail = a.slice_mut(ndarray::s![1..])?;
        #[doc = concat!("tail ", stringify!($sym), "= 2;")]
        #[doc = concat!("assert_eq!(a.to_array()?, ndarray::array![6, 6 ", stringify!($sym), " 2, 6 ", stringify!($sym), " 2, 6 ", stringify!($sym), " 2]);")]
        /// # Ok::<(), gain::Error>(())
        /// ```
        impl<'a, T: Element, D: Dimension, R: IntoExpr<'a, T>> $Op<R> for ViewMut<'_, T, D> {
            fn $op(&mut self, rhs: R) {
                if let Err(e) = self.zip_mut_with(rhs, |o, x| *o = *o $sym x) {
                    panic!("{e}");
                }
            }
        }
    )*};
}

assign_ops!(
    (AddAssign, add_assign, +),
    (SubAssign, sub_assign, -),
    (MulAssign, mul_assign, *),
    (DivAssign, div_assign, /),
    (RemAssign, rem_assign, %)
);

/// The comparisons of [`Expr`] as methods of arrays and views, so that
/// `a.less(0.5)` reads as `a.expr().less(0.5)` (NumPy: `a < 0.5`).
macro_rules! comparison_methods {
    ($(($name:ident, $sym:literal)),*) => {
        /// # Comparisons: masks of `u8` (1 where true, 0 where false)
        impl<T: Element, D: Dimension> GlobalArray<T, D> {$(
            #[doc = concat!("`self ", $sym, " other`, elementwise and broadcasting; see [`Expr::", stringify!($name), "`].")]
            ///
            /// # Local
            ///
            /// Builds the expression only; it is read when evaluated.
            ///
            /// # Examples
            ///
            /// ```
            /// # let rt = gain::init()?;
            /// let a = gain::numpy::arange(&rt, 0.0, 1000.0, 1.0)?;
            #[doc = concat!("let mask = a.", stringify!($name), "(500.0);")]
            #[doc = concat!("assert_eq!(mask.sum()?, a.expr().", stringify!($name), "(500.0).sum()?);")]
            /// # Ok::<(), gain::Error>(())
            /// ```
            pub fn $name<'a, O>(&'a self, other: O) -> Expr<'a, u8, <D as DimMax<O::Dim>>::Output>
            where
                O: IntoExpr<'a, T>,
                D: DimMax<O::Dim>,
            {
                self.expr().$name(other)
            }
        )*}

        /// # Comparisons: masks of `u8` (1 where true, 0 where false)
        impl<'a, T: Element, D: Dimension> View<'a, T, D> {$(
            #[doc = concat!("`self ", $sym, " other`, elementwise and broadcasting; see [`Expr::", stringify!($name), "`].")]
            ///
            /// # Local
            ///
            /// Builds the expression only; it is read when evaluated.
            ///
            /// # Examples
            ///
            /// ```
            /// use ndarray::s;
            /// # let rt = gain::init()?;
            /// let a = gain::numpy::arange(&rt, 0.0, 1000.0, 1.0)?;
            /// let v = a.slice(s![100..])?;
            #[doc = concat!("let mask = v.", stringify!($name), "(500.0);")]
            #[doc = concat!("assert_eq!(mask.sum()?, v.expr().", stringify!($name), "(500.0).sum()?);")]
            /// # Ok::<(), gain::Error>(())
            /// ```
            pub fn $name<O>(&self, other: O) -> Expr<'a, u8, <D as DimMax<O::Dim>>::Output>
            where
                O: IntoExpr<'a, T>,
                D: DimMax<O::Dim>,
            {
                self.expr().$name(other)
            }
        )*}
    };
}

comparison_methods!(
    (equal, "=="),
    (not_equal, "!="),
    (less, "<"),
    (less_equal, "<="),
    (greater, ">"),
    (greater_equal, ">=")
);
