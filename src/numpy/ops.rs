//! Arithmetic operators on global arrays, views and expressions.
//!
//! `&a + &b`, `&v * 2.0`, `2.0 * &a`, `-e` build lazy [`Expr`]s (errors
//! surface when they are evaluated); `a += &b` and friends update an
//! array or view in place, collectively. Integer division by zero panics,
//! as in Rust; `%` is Rust's remainder (the sign of the dividend).

use std::ops::{
    Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Rem, RemAssign, Sub, SubAssign,
};

use ndarray::Dimension;

use super::expr::{Expr, IntoExpr};
use super::view::{View, ViewMut, Zip};
use crate::{Element, GlobalArray};

macro_rules! binary_ops {
    ($(($Op:ident, $op:ident, $sym:tt)),*) => {$(
        impl<'a, T: Element, D: Dimension, R: IntoExpr<'a, T>> $Op<R> for &'a GlobalArray<T, D> {
            type Output = Expr<'a, T>;
            fn $op(self, rhs: R) -> Expr<'a, T> {
                self.into_expr().zip_with(rhs, |x, y| x $sym y)
            }
        }
        impl<'a, T: Element, D: Dimension, R: IntoExpr<'a, T>> $Op<R> for View<'a, T, D> {
            type Output = Expr<'a, T>;
            fn $op(self, rhs: R) -> Expr<'a, T> {
                self.into_expr().zip_with(rhs, |x, y| x $sym y)
            }
        }
        impl<'a, T: Element, D: Dimension, R: IntoExpr<'a, T>> $Op<R> for &View<'a, T, D> {
            type Output = Expr<'a, T>;
            fn $op(self, rhs: R) -> Expr<'a, T> {
                self.into_expr().zip_with(rhs, |x, y| x $sym y)
            }
        }
        impl<'a, T: Element, R: IntoExpr<'a, T>> $Op<R> for Expr<'a, T> {
            type Output = Expr<'a, T>;
            fn $op(self, rhs: R) -> Expr<'a, T> {
                self.zip_with(rhs, |x, y| x $sym y)
            }
        }
        impl<'a, T: Element, R: IntoExpr<'a, T>> $Op<R> for &Expr<'a, T> {
            type Output = Expr<'a, T>;
            fn $op(self, rhs: R) -> Expr<'a, T> {
                self.clone().zip_with(rhs, |x, y| x $sym y)
            }
        }
    )*};
}

binary_ops!((Add, add, +), (Sub, sub, -), (Mul, mul, *), (Div, div, /), (Rem, rem, %));

macro_rules! scalar_lhs {
    ($($t:ty),*) => {$(
        scalar_lhs!(@ops $t, (Add, add, +), (Sub, sub, -), (Mul, mul, *), (Div, div, /), (Rem, rem, %));
    )*};
    (@ops $t:ty, $(($Op:ident, $op:ident, $sym:tt)),*) => {$(
        impl<'a, D: Dimension> $Op<&'a GlobalArray<$t, D>> for $t {
            type Output = Expr<'a, $t>;
            fn $op(self, rhs: &'a GlobalArray<$t, D>) -> Expr<'a, $t> {
                self.into_expr().zip_with(rhs, |x, y| x $sym y)
            }
        }
        impl<'a, D: Dimension> $Op<View<'a, $t, D>> for $t {
            type Output = Expr<'a, $t>;
            fn $op(self, rhs: View<'a, $t, D>) -> Expr<'a, $t> {
                self.into_expr().zip_with(rhs, |x, y| x $sym y)
            }
        }
        impl<'a> $Op<Expr<'a, $t>> for $t {
            type Output = Expr<'a, $t>;
            fn $op(self, rhs: Expr<'a, $t>) -> Expr<'a, $t> {
                self.into_expr().zip_with(rhs, |x, y| x $sym y)
            }
        }
    )*};
}

scalar_lhs!(i8, i16, i32, i64, u8, u16, u32, u64, f32, f64);

impl<'a, T: Element + Neg<Output = T>> Neg for Expr<'a, T> {
    type Output = Expr<'a, T>;
    fn neg(self) -> Expr<'a, T> {
        self.mapv(|x| -x)
    }
}

impl<'a, T: Element + Neg<Output = T>, D: Dimension> Neg for &'a GlobalArray<T, D> {
    type Output = Expr<'a, T>;
    fn neg(self) -> Expr<'a, T> {
        self.into_expr().mapv(|x| -x)
    }
}

impl<'a, T: Element + Neg<Output = T>, D: Dimension> Neg for View<'a, T, D> {
    type Output = Expr<'a, T>;
    fn neg(self) -> Expr<'a, T> {
        self.into_expr().mapv(|x| -x)
    }
}

macro_rules! assign_ops {
    ($(($Op:ident, $op:ident, $sym:tt)),*) => {$(
        /// In place, collectively; panics (aborting the job with the
        /// typed error's message) when `rhs` does not broadcast to the
        /// array. [`Zip`] returns the error instead.
        impl<'a, T: Element, D: Dimension, R: IntoExpr<'a, T>> $Op<R> for GlobalArray<T, D> {
            fn $op(&mut self, rhs: R) {
                if let Err(e) = Zip::from(self).and(rhs).for_each(|o, &x| *o = *o $sym x) {
                    panic!("{e}");
                }
            }
        }
        /// In place, collectively; panics when `rhs` does not broadcast.
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
