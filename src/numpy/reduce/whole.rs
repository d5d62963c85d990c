//! Reductions over the whole expression (every rank gets the result), and
//! the index of its extremes.

use ndarray::{ArrayViewD, Dimension, IxDyn};
use num_traits::{One, Zero};

use super::domain::Domain;
use super::{all_gather, nan_max, nan_min};
use crate::error::bail;
use crate::fault::during;
use crate::numpy::expr::Expr;
use crate::{Element, Result};

/// Whole-array extremum: its value and N-d index, the first in C order on
/// ties.
fn arg_extreme<T: Element>(d: &Domain<'_, T>, better: fn(T, T) -> bool) -> Result<(T, Vec<usize>)> {
    if d.len() == 0 {
        bail!(ZeroSizeDimension, "argmin/argmax of an empty expression");
    }
    let strides: Vec<usize> = (0..d.shape.len())
        .map(|k| d.shape[k + 1..].iter().product())
        .collect();
    // The better of two candidates; the lower flat index among equals
    // (NaNs equal each other here, so the first NaN wins at any rank
    // count, as in NumPy).
    let pick = |best: Option<(T, u64)>, (x, flat): (T, u64)| match best {
        Some((v, f)) if !(better(x, v) || (same(x, v) && flat < f)) => Some((v, f)),
        _ => Some((x, flat)),
    };
    let best = d
        .map_tiles(|o, t| {
            let mut best = None;
            for (i, &x) in t.indexed_iter() {
                let flat = i
                    .slice()
                    .iter()
                    .zip(o)
                    .zip(&strides)
                    .map(|((&j, &oo), &s)| (j + oo) * s)
                    .sum::<usize>() as u64;
                best = pick(best, (x, flat));
            }
            best
        })?
        .into_iter()
        .flatten()
        .fold(None, pick);
    let (v, f, has) = best.map_or((T::zero(), u64::MAX, 0u8), |(v, f)| (v, f, 1));
    let (vs, fs, hs) = (
        all_gather(&d.rt, v),
        all_gather(&d.rt, f),
        all_gather(&d.rt, has),
    );
    let mut win: Option<(T, u64)> = None;
    for ((v, f), h) in vs.into_iter().zip(fs).zip(hs) {
        if h == 0 {
            continue;
        }
        win = pick(win, (v, f));
    }
    let (value, flat) = win.expect("a nonempty expression has an element");
    let mut flat = flat as usize;
    let mut idx = vec![0; d.shape.len()];
    for (k, &s) in strides.iter().enumerate() {
        idx[k] = flat / s;
        flat %= s;
    }
    Ok((value, idx))
}

/// `x` is smaller than `v`, NaN smallest (argmin's order: NaN wins).
fn smaller<T: Element>(x: T, v: T) -> bool {
    x < v || (is_nan(x) && !is_nan(v))
}

/// `x` is larger than `v`, NaN largest (argmax's order: NaN wins).
fn larger<T: Element>(x: T, v: T) -> bool {
    x > v || (is_nan(x) && !is_nan(v))
}

#[allow(clippy::eq_op)]
fn is_nan<T: Element>(x: T) -> bool {
    x != x
}

/// A tile's sum in [`Element::Sum`]: floats by ndarray's `sum` (its
/// pairwise order, the same bits as before the widening), integers
/// widened element by element and wrapping.
fn tile_sum<T: Element>(t: ArrayViewD<'_, T>) -> T::Sum {
    if T::IS_INTEGER {
        t.iter()
            .fold(T::Sum::zero(), |a, &x| a.wrapping_add(x.to_sum()))
    } else {
        t.sum().to_sum()
    }
}

/// A tile's product in [`Element::Sum`], as [`tile_sum`].
fn tile_prod<T: Element>(t: ArrayViewD<'_, T>) -> T::Sum {
    if T::IS_INTEGER {
        t.iter()
            .fold(T::Sum::one(), |a, &x| a.wrapping_mul(x.to_sum()))
    } else {
        t.product().to_sum()
    }
}

/// Whether two candidates tie: equal, or both NaN.
fn same<T: Element>(x: T, v: T) -> bool {
    x == v || (is_nan(x) && is_nan(v))
}

/// `idx` as the index pattern of dimension type `D` (`(i, j)` for `Ix2`).
fn pattern<D: Dimension>(idx: &[usize]) -> Result<D::Pattern> {
    match D::from_dimension(&IxDyn(idx)) {
        Some(d) => Ok(d.into_pattern()),
        None => bail!(
            DimensionMismatch,
            "a {}-d index for a {:?}-d type",
            idx.len(),
            D::NDIM
        ),
    }
}

/// # Reductions over the whole expression (every rank gets the result)
///
/// Each is **collective**: every rank must call it, in the same order, on
/// the same expression (the same arrays and views; ndarray operands
/// holding the same data). It syncs the arrays read, combines the ranks'
/// partial results with `MPI_Allgather` in rank order, and returns the
/// same value on every rank.
impl<T: Element, D: Dimension> Expr<'_, T, D> {
    /// The sum of all elements (0 for none), in [`Element::Sum`] as
    /// NumPy's: `i64` for signed integers, `u64` for unsigned ones and
    /// masks (so a mask's sum counts its true elements), the type itself
    /// for floats. Integer sums wrap on overflow, as NumPy's do.
    ///
    /// # Collective
    ///
    /// Every rank calls it on the same expression; each returns the same
    /// sum, after every rank's partial sum has been gathered.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::arange(&rt, 1i64, 101, 1)?;
    /// assert_eq!((&a * 2).sum()?, 10100);
    /// // A mask of 300 true elements counts to 300 (a u64).
    /// let b = gain::numpy::arange(&rt, 0.0, 1000.0, 1.0)?;
    /// assert_eq!(b.expr().less(300.0).sum()?, 300u64);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn sum(&self) -> Result<T::Sum> {
        during("Expr::sum", move || -> Result<T::Sum> {
            let d = Domain::new(self)?;
            d.fold_all(
                T::Sum::zero(),
                |a, _, t| a.wrapping_add(tile_sum(t)),
                Element::wrapping_add,
            )
        })
    }

    /// The sum in `T` itself (wrapping for integers): for `dot`, which
    /// stays in `T` as NumPy's does, and the float statistics, whose `T`
    /// is their `Sum`.
    pub(super) fn sum_in_t(&self) -> Result<T> {
        let d = Domain::new(self)?;
        d.fold_all(
            T::zero(),
            |a, _, t| {
                if T::IS_INTEGER {
                    t.iter().fold(a, |a, &x| a.wrapping_add(x))
                } else {
                    a + t.sum()
                }
            },
            Element::wrapping_add,
        )
    }

    /// The product of all elements (1 for none), in [`Element::Sum`] as
    /// [`sum`](Self::sum); integer products wrap on overflow.
    ///
    /// # Collective
    ///
    /// Every rank calls it on the same expression; each returns the same
    /// product, after every rank's partial product has been gathered.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::arange(&rt, 1i64, 6, 1)?;
    /// assert_eq!(a.expr().prod()?, 120);
    /// // 2^10 of u8 elements, counted in u64.
    /// let b = gain::numpy::full(&rt, 10, 2u8)?;
    /// assert_eq!(b.prod()?, 1024u64);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn prod(&self) -> Result<T::Sum> {
        during("Expr::prod", move || -> Result<T::Sum> {
            let d = Domain::new(self)?;
            d.fold_all(
                T::Sum::one(),
                |a, _, t| a.wrapping_mul(tile_prod(t)),
                Element::wrapping_mul,
            )
        })
    }

    fn extreme(&self, f: fn(T, T) -> T) -> Result<T> {
        let d = Domain::new(self)?;
        if d.len() == 0 {
            bail!(ZeroSizeDimension, "min/max of an empty expression");
        }
        let best = d
            .map_tiles(|_, t| t.iter().copied().reduce(f))?
            .into_iter()
            .flatten()
            .reduce(f);
        let v = all_gather(&d.rt, best.unwrap_or(T::zero()));
        let h = all_gather(&d.rt, u8::from(best.is_some()));
        let r = v
            .into_iter()
            .zip(h)
            .filter(|&(_, h)| h == 1)
            .map(|(v, _)| v)
            .reduce(f);
        Ok(r.expect("a nonempty expression has an element"))
    }

    /// The smallest element (NaN if any is NaN).
    ///
    /// Errors: [`ZeroSizeDimension`](crate::ErrorKind::ZeroSizeDimension)
    /// for an empty expression.
    ///
    /// # Collective
    ///
    /// Every rank calls it on the same expression; each returns the same
    /// value, after every rank's partial minimum has been gathered.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::arange(&rt, -3i32, 3, 1)?;
    /// assert_eq!((&a * &a).min()?, 0);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn min(&self) -> Result<T> {
        during("Expr::min", move || -> Result<T> { self.extreme(nan_min) })
    }

    /// The largest element (NaN if any is NaN).
    ///
    /// Errors: as [`min`](Self::min).
    ///
    /// # Collective
    ///
    /// Every rank calls it on the same expression; each returns the same
    /// value, after every rank's partial maximum has been gathered.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::arange(&rt, -3i32, 3, 1)?;
    /// assert_eq!((&a * &a).max()?, 9);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn max(&self) -> Result<T> {
        during("Expr::max", move || -> Result<T> { self.extreme(nan_max) })
    }

    /// The global index of the smallest element, as `D`'s index pattern
    /// (`(i, j)` for `Ix2`, as ndarray-stats' `argmin`): the first in C
    /// order on ties, as NumPy's `unravel_index(argmin)`.
    ///
    /// Errors: [`ZeroSizeDimension`](crate::ErrorKind::ZeroSizeDimension)
    /// for an empty expression.
    ///
    /// # Collective
    ///
    /// Every rank calls it on the same expression; each returns the same
    /// index, after every rank's candidate has been gathered.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::from_fn(&rt, [3, 3], |i| (i[0] * 3 + i[1]) as i32)?;
    /// assert_eq!((&a - 4).abs().argmin()?, (1, 1));
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn argmin(&self) -> Result<D::Pattern> {
        during("Expr::argmin", move || -> Result<D::Pattern> {
            let (_, idx) = arg_extreme(&Domain::new(self)?, smaller)?;
            pattern::<D>(&idx)
        })
    }

    /// The global index of the largest element (first on ties), as `D`'s
    /// index pattern.
    ///
    /// Errors: as [`argmin`](Self::argmin).
    ///
    /// # Collective
    ///
    /// Every rank calls it on the same expression; each returns the same
    /// index, after every rank's candidate has been gathered.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::from_fn(&rt, [3, 3], |i| (i[0] * 3 + i[1]) as i32)?;
    /// assert_eq!((&a - 4).abs().argmax()?, (0, 0));
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn argmax(&self) -> Result<D::Pattern> {
        during("Expr::argmax", move || -> Result<D::Pattern> {
            let (_, idx) = arg_extreme(&Domain::new(self)?, larger)?;
            pattern::<D>(&idx)
        })
    }

    /// Global Arrays' `NGA_Select_elem`: the smallest (`op` `"min"`) or
    /// largest (`"max"`) element and its index, as `argmin`/`argmax` pick
    /// it (the first in C order on ties; NaN, if any, first).
    ///
    /// Errors: [`InvalidArgument`](crate::ErrorKind::InvalidArgument) for
    /// another `op`, [`ZeroSizeDimension`](crate::ErrorKind::ZeroSizeDimension)
    /// for an empty expression, on every rank.
    ///
    /// # Collective
    ///
    /// Every rank calls it on the same expression with the same `op`; each
    /// returns the same value and index, after every rank's candidate has
    /// been gathered.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::from_fn(&rt, [3, 3], |i| (i[0] * 3 + i[1]) as i32 - 4)?;
    /// assert_eq!((&a * &a).select_elem("max")?, (16, (0, 0)));
    /// assert_eq!(a.expr().select_elem("min")?, (-4, (0, 0)));
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn select_elem(&self, op: &str) -> Result<(T, D::Pattern)> {
        during("Expr::select_elem", move || -> Result<(T, D::Pattern)> {
            let better: fn(T, T) -> bool = match op {
                "min" => smaller,
                "max" => larger,
                _ => bail!(
                    InvalidArgument,
                    "select_elem: op {op:?}, not \"min\" or \"max\""
                ),
            };
            let (value, idx) = arg_extreme(&Domain::new(self)?, better)?;
            Ok((value, pattern::<D>(&idx)?))
        })
    }

    /// Whether every element is nonzero (true for none).
    ///
    /// # Collective
    ///
    /// Every rank calls it on the same expression; each returns the same
    /// answer, after every rank's partial answer has been gathered.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::arange(&rt, 0i32, 4, 1)?;
    /// assert!(!a.expr().all()?);
    /// assert!(a.expr().greater_equal(0).all()?);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn all(&self) -> Result<bool> {
        during("Expr::all", move || -> Result<bool> {
            let d = Domain::new(self)?;
            let r = d.fold_all(
                1u8,
                |a, _, t| a & u8::from(t.iter().all(|x| !x.is_zero())),
                |a, b| a & b,
            )?;
            Ok(r == 1)
        })
    }

    /// Whether any element is nonzero.
    ///
    /// # Collective
    ///
    /// Every rank calls it on the same expression; each returns the same
    /// answer, after every rank's partial answer has been gathered.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::arange(&rt, 0i32, 4, 1)?;
    /// assert!(a.expr().greater(2).any()?);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn any(&self) -> Result<bool> {
        during("Expr::any", move || -> Result<bool> {
            let d = Domain::new(self)?;
            let r = d.fold_all(
                0u8,
                |a, _, t| a | u8::from(t.iter().any(|x| !x.is_zero())),
                |a, b| a | b,
            )?;
            Ok(r == 1)
        })
    }
}
