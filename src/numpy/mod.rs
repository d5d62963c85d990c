//! The NumPy layer: slicing views with slice arithmetic, lazy elementwise
//! expressions (ufuncs, operators, broadcasting), a distributed [`Zip`],
//! reductions and scans, and array creation — NumPy-style array code that
//! runs distributed, as GAiN did for Python.
//!
//! It is built on gain's public API only ([`GlobalArray`]'s methods,
//! [`Section`], [`Distribution`](crate::Distribution)). Every operation is
//! owner-computes: the rank owning a block of the output computes it.
//! Operands whose blocks line up with the output's are used in place;
//! operands on the same node are read through shared memory without a
//! copy; anything else is fetched with one `get` per piece, never element
//! by element.
//!
//! Each function and method says which kind of call it is:
//! **Collective** (every rank calls it, in the same order, with the same
//! arguments), **One-sided** (the calling rank alone takes part) or
//! **Local** (nothing is read from other ranks or sent: building
//! expressions, slicing, shapes).
//!
//! Expressions carry the dimension type of their operands' broadcast
//! (ndarray's `DimMax`), so `(&a + &b).eval()?` of two `Ix2` arrays is a
//! `GlobalArray<_, Ix2>` and `a.sum_axis(Axis(0))?` drops one axis from
//! the type; `IxDyn` arrays and [`Expr::into_dyn`] give dynamic ones.
//!
//! Empty arrays follow NumPy: axes may have length zero (`zeros(&rt, [0,
//! 5])`, `arange(&rt, 0, 0, 1)`, `linspace(.., 0)`), views and
//! expressions of them are empty, `eval` and `cumsum` give empty arrays,
//! `sum` is 0 and `prod` 1; `min`, `max`, `argmin`, `argmax` and the axis
//! reductions return [`ZeroSizeDimension`](crate::ErrorKind::ZeroSizeDimension)
//! (NumPy raises for the first four; for `sum_axis` of an empty axis it
//! gives the identity, which gain does not yet).
//!
//! # Where gain differs from NumPy
//!
//! Operators on expressions are Rust's, not Python's:
//! - integer `/` truncates toward zero (NumPy's `//` floors: use
//!   [`Expr::floor_divide`]);
//! - `%` keeps the dividend's sign (NumPy's `fmod`; NumPy's `%` is
//!   [`Expr::remainder`]);
//! - an integer `/` or `%` by zero panics, which ends the job with its
//!   message (NumPy warns and gives 0, as `floor_divide` and `remainder`
//!   do);
//! - `round` rounds halves away from zero (NumPy's `round` and `rint`
//!   round them to even: [`Expr::rint`]);
//! - comparisons give masks of `u8` (1 or 0), not `bool`.
//!
//! As in NumPy, sums and products of integers and masks are in `i64` or
//! `u64` ([`Element::Sum`]): a mask's `sum` counts
//! its true elements. `min`/`max` propagate NaN, and `argmin`/`argmax`
//! (whole and along an axis) point at the first NaN, at any rank count.
//! A float `sum` adds each rank's tiles in order and then the ranks' sums
//! in rank order, so it has the same bits at any thread count but may
//! differ in the last bits between rank counts, as NumPy's pairwise sum
//! differs from a serial loop (`gain::cluster`'s k-means is the exception,
//! bit-identical at every rank count).
//!
//! Inside, the modules import one way; each uses only those listed before
//! it:
//! 1. `geometry.rs` — regions in view coordinates (`Rect`), NumPy's
//!    broadcasting rules, narrowing an ndarray to a region; pure;
//! 2. `slicing.rs` — slice arithmetic (`Selection`); pure;
//! 3. `store.rs` — the one place that reads and writes global arrays
//!    ([`GlobalArray::access`], `local_mut`, `sync`);
//! 4. `expr/` — lazy ufunc trees ([`Expr`]): the tree, its nodes, the
//!    ufuncs;
//! 5. `engine.rs` — owner computes: a rank's pieces of an output, tiles;
//! 6. `view/` — [`View`], [`ViewMut`], assignment, [`Zip`];
//! 7. `ops.rs` (operators) and `reduce/` (reductions, scans, `eval`,
//!    and the reductions as methods of arrays and views), independent of
//!    each other;
//! 8. `mod.rs` (creation and the re-exports).
//!
//! # Examples
//!
//! ```
//! use gain::numpy::{self, Zip};
//! use ndarray::{Axis, s};
//! # let rt = gain::init()?;
//! let u = numpy::linspace(&rt, 0.0, 1.0, 11)?;
//! // Central differences of u², through shifted views of one array; the
//! // results are GlobalArray<f64, Ix1>, inferred from the operands.
//! let sq = (&u * &u).eval()?;
//! let d = ((sq.slice(s![2..])? - sq.slice(s![..-2])?) / 0.2).eval()?;
//! assert!((d.at(&[4])? - 1.0f64).abs() < 1e-12); // 2x at x = 0.5
//! // One pass over memory with a Zip, and reductions as methods.
//! let mut out = numpy::zeros_like(&u)?;
//! Zip::from(&mut out).and(&u).for_each(|o, &x| *o = 3.0 * x)?;
//! assert!((out.sum()? - 16.5f64).abs() < 1e-12);
//! // Axis reductions take ndarray's Axis and drop that axis from the type.
//! let g = numpy::from_fn(&rt, [2, 3], |i| (i[0] + i[1]) as f64)?;
//! assert_eq!(g.mean_axis(Axis(1))?.to_array()?, ndarray::array![1.0, 2.0]);
//! # Ok::<(), gain::Error>(())
//! ```

mod engine;
mod expr;
mod geometry;
mod ops;
mod reduce;
mod slicing;
mod store;
mod view;

use ndarray::{ArrayBase, ArrayView, Data, DimMax, Dimension, IntoDimension, IxDyn};
use num_traits::{Float, NumCast};

pub use expr::{Expr, IntoExpr, index_along, where_};
pub use reduce::dot;
pub use view::{View, ViewMut, Zip};

use crate::error::bail;
use crate::fault::during;
use crate::{Element, GlobalArray, Result, Runtime, Section};
use geometry::{bounds, narrow};

/// An operand as an expression of its dimension type: `numpy::expr(&a)`
/// to call the [`Expr`] methods on any operand (arrays and views also
/// have [`GlobalArray::expr`] and [`View::expr`]).
///
/// # Local
///
/// Wraps the operand only: nothing is read or sent.
///
/// # Examples
///
/// ```
/// # let rt = gain::init()?;
/// let a = gain::numpy::full(&rt, [2, 2], 3i32)?;
/// assert_eq!(gain::numpy::expr(&a).mapv(|x| x * x).sum()?, 36);
/// # Ok::<(), gain::Error>(())
/// ```
pub fn expr<'a, T: Element, X: IntoExpr<'a, T>>(x: X) -> Expr<'a, T, X::Dim> {
    x.into_expr()
}

macro_rules! free_ufuncs {
    ($($name:ident),*) => {$(
        #[doc = concat!("Elementwise `", stringify!($name), "` of any operand; see [`Expr::", stringify!($name), "`].")]
        ///
        /// # Local
        ///
        /// Builds the expression only.
        ///
        /// # Examples
        ///
        /// ```
        /// # let rt = gain::init()?;
        /// let a = gain::numpy::full(&rt, 3, 0.5f64)?;
        #[doc = concat!("let s = gain::numpy::", stringify!($name), "(&a).sum()?;")]
        #[doc = concat!("assert_eq!(s, 3.0 * 0.5f64.", stringify!($name), "());")]
        /// # Ok::<(), gain::Error>(())
        /// ```
        pub fn $name<'a, T: Element + Float, X: IntoExpr<'a, T>>(x: X) -> Expr<'a, T, X::Dim> {
            x.into_expr().$name()
        }
    )*};
}

free_ufuncs!(
    sqrt, exp, ln, log10, sin, cos, tan, tanh, floor, ceil, round, recip
);

/// Elementwise maximum of two operands (NaN-propagating).
///
/// # Local
///
/// Builds the expression only.
///
/// # Examples
///
/// ```
/// # let rt = gain::init()?;
/// let a = gain::numpy::arange(&rt, 0i32, 4, 1)?;
/// assert_eq!(gain::numpy::maximum(&a, 2).sum()?, 2 + 2 + 2 + 3);
/// # Ok::<(), gain::Error>(())
/// ```
pub fn maximum<'a, T, X, Y>(x: X, y: Y) -> Expr<'a, T, <X::Dim as DimMax<Y::Dim>>::Output>
where
    T: Element,
    X: IntoExpr<'a, T>,
    Y: IntoExpr<'a, T>,
    X::Dim: DimMax<Y::Dim>,
{
    x.into_expr().maximum(y)
}

/// Global Arrays' `GA_Median`: `out` = the elementwise median of `a`, `b`
/// and `c` (any operands that broadcast to `out`: arrays, views,
/// expressions, ndarrays, scalars); NaN where any of the three is NaN.
///
/// Errors: as [`Zip::for_each`] (a shape that does not broadcast).
///
/// # Collective
///
/// Every rank calls it with the same operands; each computes its own
/// block of `out` (owner computes), and it returns after the closing sync.
///
/// # Examples
///
/// ```
/// # let rt = gain::init()?;
/// let a = gain::numpy::from_array(&rt, &ndarray::array![1.0, 9.0, 5.0])?;
/// let b = gain::numpy::from_array(&rt, &ndarray::array![4.0, 2.0, f64::NAN])?;
/// let mut m = gain::numpy::zeros_like(&a)?;
/// gain::numpy::median(&mut m, &a, &b, 3.0)?;
/// let m = m.to_array()?;
/// assert_eq!((m[0], m[1]), (3.0, 3.0));
/// assert!(m[2].is_nan());
/// # Ok::<(), gain::Error>(())
/// ```
pub fn median<'a, T: Element, D: Dimension>(
    out: &mut GlobalArray<T, D>,
    a: impl IntoExpr<'a, T>,
    b: impl IntoExpr<'a, T>,
    c: impl IntoExpr<'a, T>,
) -> Result<()> {
    #[allow(clippy::eq_op)]
    let nan = |x: T| x != x;
    Zip::from(out)
        .and(a)
        .and(b)
        .and(c)
        .for_each(|m, &x, &y, &z| {
            *m = if nan(x) {
                x
            } else if nan(y) {
                y
            } else if nan(z) {
                z
            } else {
                // The larger of min(x, y) and min(max(x, y), z).
                let (lo, hi) = if x <= y { (x, y) } else { (y, x) };
                let top = if hi <= z { hi } else { z };
                if lo >= top { lo } else { top }
            }
        })
}

/// Elementwise minimum of two operands (NaN-propagating).
///
/// # Local
///
/// Builds the expression only.
///
/// # Examples
///
/// ```
/// # let rt = gain::init()?;
/// let a = gain::numpy::arange(&rt, 0i32, 4, 1)?;
/// assert_eq!(gain::numpy::minimum(&a, 2).sum()?, 0 + 1 + 2 + 2);
/// # Ok::<(), gain::Error>(())
/// ```
pub fn minimum<'a, T, X, Y>(x: X, y: Y) -> Expr<'a, T, <X::Dim as DimMax<Y::Dim>>::Output>
where
    T: Element,
    X: IntoExpr<'a, T>,
    Y: IntoExpr<'a, T>,
    X::Dim: DimMax<Y::Dim>,
{
    x.into_expr().minimum(y)
}

/// A new array of zeros (NumPy's `zeros`; [`GlobalArray::zeros`]).
///
/// # Collective
///
/// Every rank must call it, in the same order, with the same `shape`
/// (different shapes are an error on every rank); the windows are
/// allocated collectively, and the array is ready on return.
///
/// # Examples
///
/// ```
/// # let rt = gain::init()?;
/// let a = gain::numpy::zeros::<f32, _>(&rt, [3, 3])?;
/// assert_eq!(a.sum()?, 0.0);
/// # Ok::<(), gain::Error>(())
/// ```
pub fn zeros<T: Element, Sh: IntoDimension>(
    rt: &Runtime,
    shape: Sh,
) -> Result<GlobalArray<T, Sh::Dim>> {
    during(
        "numpy::zeros",
        move || -> Result<GlobalArray<T, Sh::Dim>> { GlobalArray::zeros(rt, shape) },
    )
}

/// A new array whose contents the caller will overwrite (NumPy's `empty`).
/// MPI windows come zeroed, so it is [`zeros`].
///
/// # Collective
///
/// As [`zeros`]: every rank calls it with the same `shape`.
///
/// # Examples
///
/// ```
/// # let rt = gain::init()?;
/// let a = gain::numpy::empty::<u8, _>(&rt, 5)?;
/// assert_eq!(a.len(), 5);
/// # Ok::<(), gain::Error>(())
/// ```
pub fn empty<T: Element, Sh: IntoDimension>(
    rt: &Runtime,
    shape: Sh,
) -> Result<GlobalArray<T, Sh::Dim>> {
    during(
        "numpy::empty",
        move || -> Result<GlobalArray<T, Sh::Dim>> { GlobalArray::zeros(rt, shape) },
    )
}

/// A new array of ones.
///
/// # Collective
///
/// Every rank must call it, in the same order, with the same `shape`; it
/// returns after the fill's closing sync, when every block is written.
///
/// # Examples
///
/// ```
/// # let rt = gain::init()?;
/// let a = gain::numpy::ones::<i64, _>(&rt, [2, 5])?;
/// assert_eq!(a.sum()?, 10);
/// # Ok::<(), gain::Error>(())
/// ```
pub fn ones<T: Element, Sh: IntoDimension>(
    rt: &Runtime,
    shape: Sh,
) -> Result<GlobalArray<T, Sh::Dim>> {
    during("numpy::ones", move || -> Result<GlobalArray<T, Sh::Dim>> {
        full(rt, shape, T::one())
    })
}

/// A new array with every element `value`.
///
/// # Collective
///
/// Every rank must call it, in the same order, with the same `shape` and
/// `value`; it returns after the fill's closing sync, when every block is
/// written.
///
/// # Examples
///
/// ```
/// # let rt = gain::init()?;
/// let a = gain::numpy::full(&rt, [2, 2], 2.5f64)?;
/// assert_eq!(a.sum()?, 10.0);
/// # Ok::<(), gain::Error>(())
/// ```
pub fn full<T: Element, Sh: IntoDimension>(
    rt: &Runtime,
    shape: Sh,
    value: T,
) -> Result<GlobalArray<T, Sh::Dim>> {
    during("numpy::full", move || -> Result<GlobalArray<T, Sh::Dim>> {
        let mut a = GlobalArray::zeros(rt, shape)?;
        a.fill(value)?;
        Ok(a)
    })
}

/// A new array of zeros with the type, shape and distribution of `like`.
///
/// # Collective
///
/// Every rank must call it, in the same order, with the same `like`; the
/// windows are allocated collectively, and the array is ready on return.
///
/// # Examples
///
/// ```
/// # let rt = gain::init()?;
/// let a = gain::numpy::ones::<f64, _>(&rt, [3, 4])?;
/// let z = gain::numpy::zeros_like(&a)?;
/// assert!(z.compare_distr(&a));
/// # Ok::<(), gain::Error>(())
/// ```
pub fn zeros_like<T: Element, D: Dimension>(like: &GlobalArray<T, D>) -> Result<GlobalArray<T, D>> {
    during("numpy::zeros_like", move || -> Result<GlobalArray<T, D>> {
        GlobalArray::<T, IxDyn>::with_distribution(like.runtime(), like.distribution_map().clone())?
            .into_dimensionality()
    })
}

/// A new array of ones shaped and distributed like `like`.
///
/// # Collective
///
/// Every rank must call it, in the same order, with the same `like`; it
/// returns after the fill's closing sync.
///
/// # Examples
///
/// ```
/// # let rt = gain::init()?;
/// let a = gain::numpy::zeros::<i32, _>(&rt, 6)?;
/// assert_eq!(gain::numpy::ones_like(&a)?.sum()?, 6);
/// # Ok::<(), gain::Error>(())
/// ```
pub fn ones_like<T: Element, D: Dimension>(like: &GlobalArray<T, D>) -> Result<GlobalArray<T, D>> {
    during("numpy::ones_like", move || -> Result<GlobalArray<T, D>> {
        full_like(like, T::one())
    })
}

/// A new array of `value`s shaped and distributed like `like`.
///
/// # Collective
///
/// Every rank must call it, in the same order, with the same `like` and
/// `value`; it returns after the fill's closing sync.
///
/// # Examples
///
/// ```
/// # let rt = gain::init()?;
/// let a = gain::numpy::zeros::<u8, _>(&rt, 6)?;
/// assert_eq!(gain::numpy::full_like(&a, 2)?.sum()?, 12);
/// # Ok::<(), gain::Error>(())
/// ```
pub fn full_like<T: Element, D: Dimension>(
    like: &GlobalArray<T, D>,
    value: T,
) -> Result<GlobalArray<T, D>> {
    during("numpy::full_like", move || -> Result<GlobalArray<T, D>> {
        let mut a = zeros_like(like)?;
        a.fill(value)?;
        Ok(a)
    })
}

/// A new array whose element at global index `i` is `f(i)` (GAiN's and
/// NumPy's `fromfunction`). Each rank calls `f` for its own block only,
/// on the threads of its pool ([`threads`](crate::threads)), so `f` is
/// `Sync + Send` and is called in no particular order.
///
/// # Collective
///
/// Every rank must call it, in the same order, with the same `shape` and
/// an `f` that gives every index the same value on every rank; it returns
/// after a sync, when every block is written.
///
/// # Examples
///
/// ```
/// # let rt = gain::init()?;
/// let a = gain::numpy::from_fn(&rt, [3, 4], |i| (10 * i[0] + i[1]) as i32)?;
/// assert_eq!(a.at(&[2, 3])?, 23);
/// # Ok::<(), gain::Error>(())
/// ```
pub fn from_fn<T: Element, Sh: IntoDimension>(
    rt: &Runtime,
    shape: Sh,
    f: impl Fn(&[usize]) -> T + Sync + Send,
) -> Result<GlobalArray<T, Sh::Dim>> {
    during(
        "numpy::from_fn",
        move || -> Result<GlobalArray<T, Sh::Dim>> {
            let mut a = GlobalArray::<T, Sh::Dim>::zeros(rt, shape)?;
            if let Some(block) = a.distribution(rt.rank()) {
                let lo = block.lo().to_vec();
                // Tiles of the block, filled by the pool's threads.
                let mut local = a.local_mut();
                let work = engine::chunks_mut(local.view_mut().into_dyn());
                crate::threads::for_each(work, |(tile, mut part)| {
                    let mut idx = vec![0; lo.len()];
                    for (i, x) in part.indexed_iter_mut() {
                        for (k, &j) in i.slice().iter().enumerate() {
                            idx[k] = j + tile[k].0 + lo[k];
                        }
                        *x = f(&idx);
                    }
                });
            }
            a.sync()?;
            Ok(a)
        },
    )
}

/// The `n × m` matrix with ones on diagonal `k` (0: main, > 0: above) and
/// zeros elsewhere (NumPy's `eye`).
///
/// # Collective
///
/// Every rank must call it, in the same order, with the same `n`, `m`
/// and `k`; it returns after a sync, when every block is written.
///
/// # Examples
///
/// ```
/// # let rt = gain::init()?;
/// let i = gain::numpy::eye::<f64>(&rt, 3, 4, 1)?;
/// assert_eq!(i.sum()?, 3.0);
/// assert_eq!(i.at(&[0, 1])?, 1.0);
/// # Ok::<(), gain::Error>(())
/// ```
pub fn eye<T: Element>(
    rt: &Runtime,
    n: usize,
    m: usize,
    k: isize,
) -> Result<GlobalArray<T, ndarray::Ix2>> {
    during(
        "numpy::eye",
        move || -> Result<GlobalArray<T, ndarray::Ix2>> {
            from_fn(rt, [n, m], |i| {
                if i[1] as isize - i[0] as isize == k {
                    T::one()
                } else {
                    T::zero()
                }
            })
        },
    )
}

/// Values from `start` up to (not including) `stop` spaced by `step`
/// (NumPy's `arange`): element `i` is `start + i * step`.
///
/// Errors: [`InvalidArgument`](crate::ErrorKind::InvalidArgument)
/// for a zero step. An empty range gives an empty array.
///
/// # Collective
///
/// Every rank must call it, in the same order, with the same `start`,
/// `stop` and `step`; it returns after a sync, when every block is
/// written.
///
/// # Examples
///
/// ```
/// # let rt = gain::init()?;
/// let a = gain::numpy::arange(&rt, 1.0, 2.0, 0.25)?;
/// assert_eq!(a.to_array()?, ndarray::array![1.0, 1.25, 1.5, 1.75]);
/// assert!(gain::numpy::arange(&rt, 0, 0, 1)?.is_empty());
/// # Ok::<(), gain::Error>(())
/// ```
pub fn arange<T: Element>(
    rt: &Runtime,
    start: T,
    stop: T,
    step: T,
) -> Result<GlobalArray<T, ndarray::Ix1>> {
    during(
        "numpy::arange",
        move || -> Result<GlobalArray<T, ndarray::Ix1>> {
            // Agreed before anything else, so a zero step or different bounds on
            // one rank are an error on every rank.
            let args = [(
                "ranges (start, stop, step)",
                format!("{start:?}, {stop:?}, {step:?}"),
            )];
            let valid = if step == T::zero() {
                Err(crate::Error::new(
                    crate::ErrorKind::InvalidArgument,
                    format!("arange from {start:?} to {stop:?} with step 0"),
                ))
            } else {
                Ok(&args[..])
            };
            rt.agree_arguments(valid)?;
            let f = |x: T| <f64 as NumCast>::from(x).unwrap_or(f64::NAN);
            let n = ((f(stop) - f(start)) / f(step)).ceil();
            let n = if n.is_finite() && n > 0.0 {
                n as usize
            } else {
                0
            };
            from_fn(rt, n, |i| {
                start + step * T::from(i[0]).unwrap_or_else(T::zero)
            })
        },
    )
}

/// `n` evenly spaced values from `start` to `stop` inclusive (NumPy's
/// `linspace`); `n = 0` gives an empty array.
///
/// # Collective
///
/// Every rank must call it, in the same order, with the same `start`,
/// `stop` and `n`; it returns after a sync, when every block is written.
///
/// # Examples
///
/// ```
/// # let rt = gain::init()?;
/// let a = gain::numpy::linspace(&rt, 0.0, 1.0, 5)?;
/// assert_eq!(a.to_array()?, ndarray::array![0.0, 0.25, 0.5, 0.75, 1.0]);
/// assert_eq!(gain::numpy::linspace(&rt, 0.0, 1.0, 0)?.len(), 0);
/// # Ok::<(), gain::Error>(())
/// ```
pub fn linspace<T: Element + Float>(
    rt: &Runtime,
    start: T,
    stop: T,
    n: usize,
) -> Result<GlobalArray<T, ndarray::Ix1>> {
    during(
        "numpy::linspace",
        move || -> Result<GlobalArray<T, ndarray::Ix1>> {
            let div = T::from(n.saturating_sub(1).max(1)).unwrap_or_else(T::one);
            let step = (stop - start) / div;
            from_fn(rt, n, |i| {
                if i[0] + 1 == n && n > 1 {
                    stop
                } else {
                    start + step * T::from(i[0]).unwrap_or_else(T::zero)
                }
            })
        },
    )
}

/// A global array holding a copy of `a`, which every rank holds (the same
/// data everywhere). Each rank copies its own block; no data is sent.
///
/// Errors, on every rank:
/// [`InconsistentArguments`](crate::ErrorKind::InconsistentArguments)
/// when the ranks pass different shapes or different data (a fingerprint
/// of every value is compared, which costs one pass over `a`); as
/// [`GlobalArray::zeros`] otherwise.
///
/// # Collective
///
/// Every rank must call it, in the same order, with the same `a`
/// (checked); it returns after a sync, when every block is written.
///
/// # Examples
///
/// ```
/// # let rt = gain::init()?;
/// let a = gain::numpy::from_array(&rt, &ndarray::array![[1, 2], [3, 4]])?;
/// assert_eq!(a.at(&[1, 0])?, 3);
/// # Ok::<(), gain::Error>(())
/// ```
pub fn from_array<T: Element, S: Data<Elem = T>, D: Dimension>(
    rt: &Runtime,
    a: &ArrayBase<S, D>,
) -> Result<GlobalArray<T, D>> {
    during("numpy::from_array", move || -> Result<GlobalArray<T, D>> {
        rt.agree_arguments(Ok(&[
            ("shapes", format!("{:?}", a.shape())),
            ("data (fingerprints)", format!("{:016x}", fingerprint(a))),
        ]))?;
        let mut g = GlobalArray::zeros(rt, a.raw_dim())?;
        if let Some(block) = g.distribution(rt.rank()) {
            g.local_mut().assign(&narrow(a.view(), bounds(&block)));
        }
        g.sync()?;
        Ok(g)
    })
}

/// A cheap fingerprint of an array's shape and values in logical order
/// (not a cryptographic hash): equal data gives equal fingerprints on
/// every rank, and different data almost surely different ones.
fn fingerprint<T: Element, S: Data<Elem = T>, D: Dimension>(a: &ArrayBase<S, D>) -> u64 {
    // Each value's exact bits: integers as themselves, floats as f64 bits.
    let bits = |x: &T| -> u64 {
        if T::IS_INTEGER {
            x.to_i64()
                .map(|v| v as u64)
                .or_else(|| x.to_u64())
                .unwrap_or(0)
        } else {
            x.to_f64().map_or(0, f64::to_bits)
        }
    };
    let mix = |h: u64, v: u64| (h.rotate_left(5) ^ v).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    let h = a.shape().iter().fold(0u64, |h, &n| mix(h, n as u64));
    a.iter().fold(h, |h, x| mix(h, bits(x)))
}

/// A global array holding a copy of `a`, which only rank `root` holds
/// (`Some` there, `None` elsewhere): the shape is broadcast, then `root`
/// puts the data, one `put` split among the owners.
///
/// Errors, on every rank: [`InvalidArgument`](crate::ErrorKind::InvalidArgument)
/// when `root` is out of range or passes `None`,
/// [`InconsistentArguments`](crate::ErrorKind::InconsistentArguments) when
/// the ranks pass different roots.
///
/// # Collective
///
/// Every rank must call it, in the same order, with the same `root`; the
/// shape is broadcast from `root`, which then puts the data, and every
/// rank returns after a sync, when the data is in place.
///
/// # Examples
///
/// ```
/// # let rt = gain::init()?;
/// let data = ndarray::array![1.0, 2.0, 3.0];
/// let held = (rt.rank() == 0).then(|| data.view());
/// let a = gain::numpy::scatter(&rt, 0, held)?;
/// assert_eq!(a.to_array()?, data);
/// # Ok::<(), gain::Error>(())
/// ```
pub fn scatter<T: Element, D: Dimension>(
    rt: &Runtime,
    root: usize,
    a: Option<ArrayView<'_, T, D>>,
) -> Result<GlobalArray<T, D>> {
    during("numpy::scatter", move || -> Result<GlobalArray<T, D>> {
        use mpi::traits::{Communicator, Root};
        let args = [("roots", root.to_string())];
        let valid = if root < rt.size() {
            Ok(&args[..])
        } else {
            Err(crate::Error::new(
                crate::ErrorKind::InvalidArgument,
                format!("scatter from root {root} in a job of {} ranks", rt.size()),
            ))
        };
        rt.agree_arguments(valid)?;
        // The root broadcasts the number of dimensions and the extents, or
        // `NO_ARRAY` when it holds no array, so every rank returns the error.
        const NO_ARRAY: u64 = u64::MAX;
        let mut shape = [0u64; crate::MAX_DIMS + 1];
        if rt.rank() == root {
            match &a {
                None => shape[0] = NO_ARRAY,
                Some(a) => {
                    shape[0] = a.ndim() as u64;
                    for (s, &n) in shape[1..].iter_mut().zip(a.shape()) {
                        *s = n as u64;
                    }
                }
            }
        }
        rt.comm()
            .process_at_rank(root as i32)
            .broadcast_into(&mut shape[..]);
        if shape[0] == NO_ARRAY {
            bail!(
                InvalidArgument,
                "the root (rank {root}) passed no array to scatter"
            );
        }
        let nd = shape[0] as usize;
        let dims: Vec<usize> = shape[1..=nd.min(crate::MAX_DIMS)]
            .iter()
            .map(|&n| n as usize)
            .collect();
        let g = GlobalArray::<T, IxDyn>::zeros(rt, IxDyn(&dims))?;
        if let Some(a) = a.filter(|_| rt.rank() == root) {
            g.put(Section::full(&dims), a.into_dyn())?;
        }
        g.sync()?;
        g.into_dimensionality()
    })
}

/// The sum over all ranks of each rank's `x`, the same bits on every rank
/// (added in rank order): for rank-local partials, such as a [`Zip`]
/// closure's running sum.
///
/// # Collective
///
/// Every rank must call it, in the same order, each with its own `x`; one
/// `MPI_Allgather`, so it returns once every rank's value has arrived.
///
/// # Examples
///
/// ```
/// # let rt = gain::init()?;
/// let s = gain::numpy::allreduce_sum(&rt, rt.rank() as i64 + 1)?;
/// assert_eq!(s, (rt.size() * (rt.size() + 1) / 2) as i64);
/// # Ok::<(), gain::Error>(())
/// ```
pub fn allreduce_sum<T: Element>(rt: &Runtime, x: T) -> Result<T> {
    during("numpy::allreduce_sum", move || -> Result<T> {
        use mpi::traits::CommunicatorCollectives;
        let mut all = vec![T::zero(); rt.size()];
        rt.comm().all_gather_into(&x, &mut all[..]);
        Ok(all.into_iter().fold(T::zero(), |a, b| a + b))
    })
}
