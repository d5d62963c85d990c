//! Reductions (whole array and along an axis) and scans of expressions.
//!
//! Each rank folds the elements of its block of the expression's domain
//! (the block map of an aligned operand, else a regular one). Whole-array
//! results: one `MPI_Allgather` of the per-rank partials, combined in rank
//! order, so every rank gets the same bits. Along an axis: the partials go
//! to a small global array and the owner of each block of the (distributed)
//! result combines them.

use mpi::traits::{CommunicatorCollectives, Equivalence};
use ndarray::{ArrayD, ArrayViewD, Axis, Dimension, IxDyn, SliceInfoElem, Zip};
use num_traits::Float;

use super::engine::{Operand, pieces, sync_all, tiles};
use super::expr::{Expr, IntoExpr, index_along, where_};
use super::geometry::{bounds, narrow};
use super::store::Shared;
use crate::error::bail;
use crate::{Distribution, Element, GlobalArray, Result, Runtime, Section};

/// An expression with the block map its evaluation is split by.
struct Domain<'n, T: Element> {
    op: Operand<'n, T>,
    shape: Vec<usize>,
    dist: Option<Distribution>,
    rt: Runtime,
}

impl<'n, T: Element> Domain<'n, T> {
    fn new(e: &Expr<'n, T>) -> Result<Self> {
        Self::on(e, None)
    }

    /// As `new`, running on `rt` when the expression reads no global array.
    fn on(e: &Expr<'n, T>, fallback: Option<&Runtime>) -> Result<Self> {
        let shape = e.shape()?;
        let op = Operand::new(&shape, e.clone())?;
        let mut aligned = None;
        let mut rt = None;
        op.node.arrays(&mut |a, whole| {
            rt.get_or_insert_with(|| a.rt().clone());
            if whole && aligned.is_none() {
                aligned = Some(a.dist().clone());
            }
        });
        let Some(rt) = rt.or_else(|| fallback.cloned()) else {
            bail!(
                InconsistentArguments,
                "the expression reads no global array, so it has no ranks to run on"
            );
        };
        let dist = if shape.is_empty() || shape.contains(&0) {
            None
        } else {
            match aligned {
                Some(d) => Some(d),
                None => Some(Distribution::regular(&shape, rt.size(), None)?),
            }
        };
        Ok(Domain {
            op,
            shape,
            dist,
            rt,
        })
    }

    /// This rank's block of the domain, as `lo..hi` per axis.
    fn my_rect(&self) -> Option<Vec<(usize, usize)>> {
        let b = self.dist.as_ref()?.block(self.rt.rank())?;
        Some(bounds(&b).collect())
    }

    /// Calls `f(origin, tile)` for the tiles of this rank's block, after
    /// synchronising the arrays read.
    fn for_tiles(&self, mut f: impl FnMut(&[usize], ArrayViewD<'_, T>)) -> Result<()> {
        let mut arrays: Vec<&dyn Shared> = Vec::new();
        self.op.arrays(&mut arrays);
        sync_all(&arrays)?;
        let Some(rect) = self.my_rect() else {
            return Ok(());
        };
        for piece in pieces(&rect, &|k, v| self.op.cuts(k, v)) {
            let bound = self.op.bind(&piece)?;
            let ext: Vec<usize> = piece.iter().map(|&(a, z)| z - a).collect();
            for tile in tiles(&ext) {
                let origin: Vec<usize> = piece.iter().zip(&tile).map(|(p, t)| p.0 + t.0).collect();
                f(&origin, bound.tile(&tile).view());
            }
        }
        Ok(())
    }

    /// Folds every element into one value per rank, then combines the
    /// ranks' values in rank order.
    fn fold_all<A: Equivalence + Copy + Default>(
        &self,
        init: A,
        mut fold: impl FnMut(A, &[usize], ArrayViewD<'_, T>) -> A,
        combine: impl Fn(A, A) -> A,
    ) -> Result<A> {
        let mut acc = init;
        self.for_tiles(|o, t| acc = fold(acc, o, t))?;
        let all = all_gather(&self.rt, acc);
        Ok(all.into_iter().fold(init, combine))
    }

    fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// Folds along `axis` with `f` (associative; no identity needed: each
    /// lane starts from its first element): a global array of the other
    /// axes.
    fn reduce_axis(&self, axis: usize, f: impl Fn(T, T) -> T) -> Result<GlobalArray<T, IxDyn>> {
        let (dist, reduced) = self.axis_args(axis)?;
        let me = self.rt.rank();
        let g = dist.grid()[axis];
        let block = dist.block(me);
        let mut partial = block.as_ref().map(|b| {
            let mut s = b.shape();
            s.remove(axis);
            (
                ArrayD::from_elem(IxDyn(&s), T::zero()),
                ArrayD::from_elem(IxDyn(&s), false),
            )
        });
        let lo: Vec<usize> = block.as_ref().map_or(vec![], |b| b.lo().to_vec());
        self.for_tiles(|o, t| {
            let (p, seen) = partial.as_mut().expect("a rank with tiles has a block");
            // The tile's place in the partials, which lack `axis`.
            let at = || {
                o.iter()
                    .zip(t.shape())
                    .enumerate()
                    .filter(|&(k, _)| k != axis)
                    .map(|(k, (&oo, &n))| (oo - lo[k], oo - lo[k] + n))
            };
            let (p, seen) = (narrow(p.view_mut(), at()), narrow(seen.view_mut(), at()));
            Zip::from(p)
                .and(seen)
                .and(t.lanes(Axis(axis)))
                .for_each(|p, seen, lane| {
                    let mut it = lane.iter();
                    let mut acc = if *seen {
                        *p
                    } else {
                        *it.next().expect("lanes are nonempty")
                    };
                    for &x in it {
                        acc = f(acc, x);
                    }
                    *p = acc;
                    *seen = true;
                });
        })?;
        let mut pshape = vec![g];
        pshape.extend(&reduced);
        let parts = GlobalArray::<T, IxDyn>::zeros(&self.rt, IxDyn(&pshape))?;
        if let (Some(b), Some((p, _))) = (&block, &partial) {
            let bi = block_index(dist, axis, b);
            parts.put(
                with_first(bi..bi + 1, b, axis),
                p.view().insert_axis(Axis(0)),
            )?;
        }
        parts.sync()?;
        let mut r = GlobalArray::<T, IxDyn>::zeros(&self.rt, IxDyn(&reduced))?;
        if let Some(rb) = r.distribution(me) {
            let sec = Section::from_fn(rb.ndim() + 1, |d| {
                if d == 0 {
                    (0, g)
                } else {
                    (rb.lo()[d - 1], rb.hi()[d - 1])
                }
            });
            let folded = fold_first(&parts.get(sec)?, &f);
            r.local_mut().assign(&folded);
        }
        r.sync()?;
        Ok(r)
    }

    /// The domain's block map and the shape without `axis`, or an error.
    fn axis_args(&self, axis: usize) -> Result<(&Distribution, Vec<usize>)> {
        if axis >= self.shape.len() {
            bail!(
                DimensionMismatch,
                "axis {axis} of a {}-d expression",
                self.shape.len()
            );
        }
        if self.shape.len() < 2 {
            bail!(
                DimensionMismatch,
                "an axis reduction of a 1-d expression leaves no axes; use the whole-array reduction"
            );
        }
        let Some(dist) = &self.dist else {
            bail!(
                ZeroSizeDimension,
                "axis reduction of an empty expression (shape {:?})",
                self.shape
            );
        };
        let mut reduced = self.shape.clone();
        reduced.remove(axis);
        Ok((dist, reduced))
    }

    /// Inclusive scan along `axis` with `f`: a global array with the
    /// domain's block map.
    fn scan(&self, axis: usize, f: impl Fn(T, T) -> T) -> Result<GlobalArray<T, IxDyn>> {
        if axis >= self.shape.len() {
            bail!(
                DimensionMismatch,
                "axis {axis} of a {}-d expression",
                self.shape.len()
            );
        }
        let Some(dist) = &self.dist else {
            bail!(
                ZeroSizeDimension,
                "scan of an empty expression (shape {:?})",
                self.shape
            );
        };
        let me = self.rt.rank();
        let mut r = GlobalArray::<T, IxDyn>::with_distribution(&self.rt, dist.clone())?;
        let block = dist.block(me);
        {
            let lo: Vec<usize> = block.as_ref().map_or(vec![], |b| b.lo().to_vec());
            let mut local = r.local_mut();
            self.for_tiles(|o, t| {
                let at = o.iter().zip(t.shape()).zip(&lo);
                let at = at.map(|((&oo, &n), &l)| (oo - l, oo - l + n));
                narrow(local.view_mut(), at).assign(&t);
            })?;
            if block.is_some() {
                local.accumulate_axis_inplace(Axis(axis), |&prev, cur| *cur = f(prev, *cur));
            }
        }
        let g = dist.grid()[axis];
        let mut reduced = self.shape.clone();
        reduced.remove(axis);
        let mut pshape = vec![g];
        pshape.extend(&reduced);
        let parts = GlobalArray::<T, IxDyn>::zeros(&self.rt, IxDyn(&pshape))?;
        let bi = block.as_ref().map(|b| block_index(dist, axis, b));
        if let (Some(b), Some(bi)) = (&block, bi) {
            let local = r.local();
            let last = local.index_axis(Axis(axis), local.shape()[axis] - 1);
            parts.put(with_first(bi..bi + 1, b, axis), last.insert_axis(Axis(0)))?;
        }
        parts.sync()?;
        if let (Some(b), Some(bi)) = (&block, bi)
            && bi > 0
        {
            let carry = fold_first(&parts.get(with_first(0..bi, b, axis))?, &f);
            let mut local = r.local_mut();
            Zip::from(local.lanes_mut(Axis(axis)))
                .and(&carry)
                .for_each(|mut lane, &c| lane.mapv_inplace(|x| f(c, x)));
        }
        r.sync()?;
        Ok(r)
    }
}

/// The position of block `b` among the blocks along `axis`.
fn block_index(dist: &Distribution, axis: usize, b: &Section) -> usize {
    dist.bounds(axis)
        .iter()
        .position(|&x| x == b.lo()[axis])
        .expect("a block starts at a bound")
}

/// The section of an array of partials (one row per block along `axis`,
/// then the other axes) that is `first` in its first dimension and block
/// `b` on the axes other than `axis`.
fn with_first(first: std::ops::Range<usize>, b: &Section, axis: usize) -> Section {
    Section::from_fn(b.ndim(), |d| match d {
        0 => (first.start, first.end),
        d if d <= axis => (b.lo()[d - 1], b.hi()[d - 1]),
        d => (b.lo()[d], b.hi()[d]),
    })
}

/// Folds `q` along its first axis with `f`, starting from its first slice.
fn fold_first<T: Element>(q: &ArrayD<T>, f: &impl Fn(T, T) -> T) -> ArrayD<T> {
    let mut acc = q.index_axis(Axis(0), 0).to_owned();
    for i in 1..q.shape()[0] {
        Zip::from(&mut acc)
            .and(q.index_axis(Axis(0), i))
            .for_each(|a, &x| *a = f(*a, x));
    }
    acc
}

fn all_gather<A: Equivalence + Copy + Default>(rt: &Runtime, x: A) -> Vec<A> {
    let mut all = vec![A::default(); rt.size()];
    rt.comm().all_gather_into(&x, &mut all[..]);
    all
}

/// Like `a.insert_axis(axis)` for a view of a global array of the other
/// axes: broadcasts it back along `axis`.
fn along<'r, T: Element>(r: &'r GlobalArray<T, IxDyn>, axis: usize) -> Result<Expr<'r, T>> {
    let mut info: Vec<SliceInfoElem> = vec![SliceInfoElem::from(..); r.shape().len()];
    info.insert(axis, SliceInfoElem::NewAxis);
    Ok(r.slice(&info[..])?.into_expr())
}

fn nan_min<T: Element>(a: T, x: T) -> T {
    #[allow(clippy::eq_op)]
    if x < a || x != x { x } else { a }
}

fn nan_max<T: Element>(a: T, x: T) -> T {
    #[allow(clippy::eq_op)]
    if x > a || x != x { x } else { a }
}

/// Whole-array `(value, flat index)` extremum, first index on ties.
fn arg_extreme<T: Element>(d: &Domain<'_, T>, better: fn(T, T) -> bool) -> Result<Vec<usize>> {
    if d.len() == 0 {
        bail!(ZeroSizeDimension, "argmin/argmax of an empty expression");
    }
    let strides: Vec<usize> = (0..d.shape.len())
        .map(|k| d.shape[k + 1..].iter().product())
        .collect();
    let mut best: Option<(T, u64)> = None;
    d.for_tiles(|o, t| {
        for (i, &x) in t.indexed_iter() {
            let flat = i
                .slice()
                .iter()
                .zip(o)
                .zip(&strides)
                .map(|((&j, &oo), &s)| (j + oo) * s)
                .sum::<usize>() as u64;
            best = match best {
                Some((v, f)) if !(better(x, v) || (x == v && flat < f)) => Some((v, f)),
                _ => Some((x, flat)),
            };
        }
    })?;
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
        win = match win {
            Some((w, g)) if !(better(v, w) || (v == w && f < g)) => Some((w, g)),
            _ => Some((v, f)),
        };
    }
    let mut flat = win.expect("a nonempty expression has an element").1 as usize;
    let mut idx = vec![0; d.shape.len()];
    for (k, &s) in strides.iter().enumerate() {
        idx[k] = flat / s;
        flat %= s;
    }
    Ok(idx)
}

#[allow(clippy::eq_op)]
fn is_nan<T: Element>(x: T) -> bool {
    x != x
}

/// # Reductions over the whole expression (every rank gets the result)
impl<T: Element> Expr<'_, T> {
    /// The sum of all elements (0 for none).
    ///
    /// # Collective
    ///
    /// ```
    /// let rt = gain::init().unwrap();
    /// let a = gain::numpy::arange(&rt, 1i64, 101, 1).unwrap();
    /// assert_eq!(gain::numpy::expr(&a).sum().unwrap(), 5050);
    /// ```
    pub fn sum(&self) -> Result<T> {
        let d = Domain::new(self)?;
        d.fold_all(T::zero(), |a, _, t| a + t.sum(), |a, b| a + b)
    }

    /// The product of all elements (1 for none).
    ///
    /// # Collective
    ///
    /// ```
    /// let rt = gain::init().unwrap();
    /// let a = gain::numpy::arange(&rt, 1i64, 6, 1).unwrap();
    /// assert_eq!(gain::numpy::expr(&a).prod().unwrap(), 120);
    /// ```
    pub fn prod(&self) -> Result<T> {
        let d = Domain::new(self)?;
        d.fold_all(T::one(), |a, _, t| a * t.product(), |a, b| a * b)
    }

    fn extreme(&self, f: fn(T, T) -> T) -> Result<T> {
        let d = Domain::new(self)?;
        if d.len() == 0 {
            bail!(ZeroSizeDimension, "min/max of an empty expression");
        }
        let mut best: Option<T> = None;
        d.for_tiles(|_, t| {
            for &x in t.iter() {
                best = Some(best.map_or(x, |b| f(b, x)));
            }
        })?;
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
    /// ```
    /// let rt = gain::init().unwrap();
    /// let a = gain::numpy::arange(&rt, -3i32, 3, 1).unwrap();
    /// assert_eq!(gain::numpy::expr(&a).min().unwrap(), -3);
    /// ```
    pub fn min(&self) -> Result<T> {
        self.extreme(nan_min)
    }

    /// The largest element (NaN if any is NaN).
    ///
    /// # Collective
    ///
    /// ```
    /// let rt = gain::init().unwrap();
    /// let a = gain::numpy::arange(&rt, -3i32, 3, 1).unwrap();
    /// assert_eq!(gain::numpy::expr(&a).max().unwrap(), 2);
    /// ```
    pub fn max(&self) -> Result<T> {
        self.extreme(nan_max)
    }

    /// The global index of the smallest element (the first in C order on
    /// ties, as NumPy's `unravel_index(argmin)`).
    ///
    /// # Collective
    ///
    /// ```
    /// let rt = gain::init().unwrap();
    /// let a = gain::numpy::from_fn(&rt, [3, 3], |i| ((i[0] * 3 + i[1]) as i32 - 4).abs()).unwrap();
    /// assert_eq!(gain::numpy::expr(&a).argmin().unwrap(), vec![1, 1]);
    /// ```
    pub fn argmin(&self) -> Result<Vec<usize>> {
        arg_extreme(&Domain::new(self)?, |x, v| {
            x < v || (is_nan(x) && !is_nan(v))
        })
    }

    /// The global index of the largest element (first on ties).
    ///
    /// # Collective
    ///
    /// ```
    /// let rt = gain::init().unwrap();
    /// let a = gain::numpy::from_fn(&rt, [3, 3], |i| ((i[0] * 3 + i[1]) as i32 - 4).abs()).unwrap();
    /// assert_eq!(gain::numpy::expr(&a).argmax().unwrap(), vec![0, 0]);
    /// ```
    pub fn argmax(&self) -> Result<Vec<usize>> {
        arg_extreme(&Domain::new(self)?, |x, v| {
            x > v || (is_nan(x) && !is_nan(v))
        })
    }

    /// Whether every element is nonzero (true for none).
    ///
    /// # Collective
    ///
    /// ```
    /// let rt = gain::init().unwrap();
    /// let a = gain::numpy::arange(&rt, 0i32, 4, 1).unwrap();
    /// assert!(!gain::numpy::expr(&a).all().unwrap());
    /// assert!(gain::numpy::expr(&a).greater_equal(0).all().unwrap());
    /// ```
    pub fn all(&self) -> Result<bool> {
        let d = Domain::new(self)?;
        let r = d.fold_all(
            1u8,
            |a, _, t| a & u8::from(t.iter().all(|x| !x.is_zero())),
            |a, b| a & b,
        )?;
        Ok(r == 1)
    }

    /// Whether any element is nonzero.
    ///
    /// # Collective
    ///
    /// ```
    /// let rt = gain::init().unwrap();
    /// let a = gain::numpy::arange(&rt, 0i32, 4, 1).unwrap();
    /// assert!(gain::numpy::expr(&a).any().unwrap());
    /// ```
    pub fn any(&self) -> Result<bool> {
        let d = Domain::new(self)?;
        let r = d.fold_all(
            0u8,
            |a, _, t| a | u8::from(t.iter().any(|x| !x.is_zero())),
            |a, b| a | b,
        )?;
        Ok(r == 1)
    }
}

/// # Statistics and norms over the whole expression
impl<T: Element + Float> Expr<'_, T> {
    /// The mean of all elements (NaN for none).
    ///
    /// # Collective
    ///
    /// ```
    /// let rt = gain::init().unwrap();
    /// let a = gain::numpy::arange(&rt, 0.0, 10.0, 1.0).unwrap();
    /// assert_eq!(gain::numpy::expr(&a).mean().unwrap(), 4.5);
    /// ```
    pub fn mean(&self) -> Result<T> {
        let n = T::from(self.shape()?.iter().product::<usize>()).unwrap_or_else(T::nan);
        Ok(self.sum()? / n)
    }

    /// The variance with `ddof` delta degrees of freedom (two passes:
    /// the mean, then the squared deviations).
    ///
    /// # Collective
    ///
    /// ```
    /// let rt = gain::init().unwrap();
    /// let a = gain::numpy::arange(&rt, 0.0, 4.0, 1.0).unwrap();
    /// assert_eq!(gain::numpy::expr(&a).var(0).unwrap(), 1.25);
    /// ```
    pub fn var(&self, ddof: usize) -> Result<T> {
        let m = self.mean()?;
        let n = self.shape()?.iter().product::<usize>();
        let ss = (self.clone() - m).powi(2).sum()?;
        Ok(ss / T::from(n.saturating_sub(ddof)).unwrap_or_else(T::nan))
    }

    /// The standard deviation, `sqrt(var(ddof))`.
    ///
    /// # Collective
    ///
    /// ```
    /// let rt = gain::init().unwrap();
    /// let a = gain::numpy::from_array(&rt, &ndarray::array![1.0, 3.0]).unwrap();
    /// assert_eq!(gain::numpy::expr(&a).std(0).unwrap(), 1.0);
    /// ```
    pub fn std(&self, ddof: usize) -> Result<T> {
        Ok(self.var(ddof)?.sqrt())
    }

    /// The sum of absolute values.
    ///
    /// # Collective
    ///
    /// ```
    /// let rt = gain::init().unwrap();
    /// let a = gain::numpy::arange(&rt, -2.0, 2.0, 1.0).unwrap();
    /// assert_eq!(gain::numpy::expr(&a).norm_l1().unwrap(), 4.0);
    /// ```
    pub fn norm_l1(&self) -> Result<T> {
        self.clone().mapv(T::abs).sum()
    }

    /// The Euclidean norm.
    ///
    /// # Collective
    ///
    /// ```
    /// let rt = gain::init().unwrap();
    /// let a = gain::numpy::from_array(&rt, &ndarray::array![3.0, 4.0]).unwrap();
    /// assert_eq!(gain::numpy::expr(&a).norm_l2().unwrap(), 5.0);
    /// ```
    pub fn norm_l2(&self) -> Result<T> {
        Ok(self.clone().powi(2).sum()?.sqrt())
    }

    /// The largest absolute value.
    ///
    /// # Collective
    ///
    /// ```
    /// let rt = gain::init().unwrap();
    /// let a = gain::numpy::arange(&rt, -5.0, 2.0, 1.0).unwrap();
    /// assert_eq!(gain::numpy::expr(&a).norm_max().unwrap(), 5.0);
    /// ```
    pub fn norm_max(&self) -> Result<T> {
        self.clone().mapv(T::abs).max()
    }
}

/// The dot product of two 1-D operands of equal length.
///
/// Errors: [`ShapeMismatch`](crate::ErrorKind::ShapeMismatch) otherwise.
///
/// # Collective
///
/// ```
/// let rt = gain::init().unwrap();
/// let a = gain::numpy::arange(&rt, 0.0, 4.0, 1.0).unwrap();
/// assert_eq!(gain::numpy::dot(&a, &a).unwrap(), 14.0);
/// ```
pub fn dot<'a, T: Element>(a: impl IntoExpr<'a, T>, b: impl IntoExpr<'a, T>) -> Result<T> {
    let (a, b) = (a.into_expr(), b.into_expr());
    let (sa, sb) = (a.shape()?, b.shape()?);
    if sa.len() != 1 || sa != sb {
        bail!(
            ShapeMismatch,
            "dot of shapes {sa:?} and {sb:?}: needs two 1-d operands of one length"
        );
    }
    (a * b).sum()
}

/// # Reductions along an axis (the result is a new global array)
///
/// The dimension type `E` of the result is chosen by the caller (`Ix1`
/// for a 2-D expression, or `IxDyn`).
impl<T: Element> Expr<'_, T> {
    fn reduce_as<E: Dimension>(
        &self,
        axis: usize,
        f: impl Fn(T, T) -> T,
    ) -> Result<GlobalArray<T, E>> {
        Domain::new(self)?
            .reduce_axis(axis, f)?
            .into_dimensionality()
    }

    /// Sums along `axis`.
    ///
    /// Errors: [`DimensionMismatch`](crate::ErrorKind::DimensionMismatch)
    /// for an axis out of range, a 1-d expression, or a result type of the
    /// wrong dimension.
    ///
    /// # Collective
    ///
    /// ```
    /// let rt = gain::init().unwrap();
    /// let a = gain::numpy::from_fn(&rt, [3, 4], |i| i[1] as i64).unwrap();
    /// let s = gain::numpy::expr(&a).sum_axis::<ndarray::Ix1>(0).unwrap();
    /// assert_eq!(s.to_array().unwrap(), ndarray::array![0, 3, 6, 9]);
    /// ```
    pub fn sum_axis<E: Dimension>(&self, axis: usize) -> Result<GlobalArray<T, E>> {
        self.reduce_as(axis, |a, x| a + x)
    }

    /// Multiplies along `axis`.
    ///
    /// # Collective
    ///
    /// ```
    /// let rt = gain::init().unwrap();
    /// let a = gain::numpy::full(&rt, [3, 2], 2i32).unwrap();
    /// let p = gain::numpy::expr(&a).prod_axis::<ndarray::Ix1>(0).unwrap();
    /// assert_eq!(p.to_array().unwrap(), ndarray::array![8, 8]);
    /// ```
    pub fn prod_axis<E: Dimension>(&self, axis: usize) -> Result<GlobalArray<T, E>> {
        self.reduce_as(axis, |a, x| a * x)
    }

    /// The smallest element along `axis` (NaN-propagating).
    ///
    /// # Collective
    ///
    /// ```
    /// let rt = gain::init().unwrap();
    /// let a = gain::numpy::from_fn(&rt, [3, 4], |i| (i[0] * 4 + i[1]) as i32).unwrap();
    /// let m = gain::numpy::expr(&a).min_axis::<ndarray::Ix1>(1).unwrap();
    /// assert_eq!(m.to_array().unwrap(), ndarray::array![0, 4, 8]);
    /// ```
    pub fn min_axis<E: Dimension>(&self, axis: usize) -> Result<GlobalArray<T, E>> {
        self.reduce_as(axis, nan_min)
    }

    /// The largest element along `axis` (NaN-propagating).
    ///
    /// # Collective
    ///
    /// ```
    /// let rt = gain::init().unwrap();
    /// let a = gain::numpy::from_fn(&rt, [3, 4], |i| (i[0] * 4 + i[1]) as i32).unwrap();
    /// let m = gain::numpy::expr(&a).max_axis::<ndarray::Ix1>(0).unwrap();
    /// assert_eq!(m.to_array().unwrap(), ndarray::array![8, 9, 10, 11]);
    /// ```
    pub fn max_axis<E: Dimension>(&self, axis: usize) -> Result<GlobalArray<T, E>> {
        self.reduce_as(axis, nan_max)
    }

    fn arg_axis<E: Dimension>(&self, axis: usize, max: bool) -> Result<GlobalArray<i64, E>> {
        let d = Domain::new(self)?;
        let m = d.reduce_axis(axis, if max { nan_max } else { nan_min })?;
        let hit = self.clone().equal(along(&m, axis)?);
        let idx = where_(hit, index_along(&d.shape, axis), i64::MAX);
        idx.reduce_as(axis, |a: i64, x| a.min(x))
    }

    /// The index along `axis` of the smallest element (first on ties).
    ///
    /// # Collective
    ///
    /// ```
    /// let rt = gain::init().unwrap();
    /// let a = gain::numpy::from_array(&rt, &ndarray::array![[3, 1, 1], [0, 5, 2]]).unwrap();
    /// let i = gain::numpy::expr(&a).argmin_axis::<ndarray::Ix1>(1).unwrap();
    /// assert_eq!(i.to_array().unwrap(), ndarray::array![1, 0]);
    /// ```
    pub fn argmin_axis<E: Dimension>(&self, axis: usize) -> Result<GlobalArray<i64, E>> {
        self.arg_axis(axis, false)
    }

    /// The index along `axis` of the largest element (first on ties).
    ///
    /// # Collective
    ///
    /// ```
    /// let rt = gain::init().unwrap();
    /// let a = gain::numpy::from_array(&rt, &ndarray::array![[3, 1, 1], [0, 5, 2]]).unwrap();
    /// let i = gain::numpy::expr(&a).argmax_axis::<ndarray::Ix1>(0).unwrap();
    /// assert_eq!(i.to_array().unwrap(), ndarray::array![0, 1, 1]);
    /// ```
    pub fn argmax_axis<E: Dimension>(&self, axis: usize) -> Result<GlobalArray<i64, E>> {
        self.arg_axis(axis, true)
    }

    /// Running sums along `axis` (NumPy's `cumsum`, `add.accumulate`),
    /// distributed like the expression's domain.
    ///
    /// # Collective
    ///
    /// ```
    /// let rt = gain::init().unwrap();
    /// let a = gain::numpy::arange(&rt, 1i32, 6, 1).unwrap();
    /// let c = gain::numpy::expr(&a).cumsum::<ndarray::Ix1>(0).unwrap();
    /// assert_eq!(c.to_array().unwrap(), ndarray::array![1, 3, 6, 10, 15]);
    /// ```
    pub fn cumsum<E: Dimension>(&self, axis: usize) -> Result<GlobalArray<T, E>> {
        Domain::new(self)?
            .scan(axis, |a, x| a + x)?
            .into_dimensionality()
    }

    /// Running products along `axis` (NumPy's `cumprod`).
    ///
    /// # Collective
    ///
    /// ```
    /// let rt = gain::init().unwrap();
    /// let a = gain::numpy::arange(&rt, 1i32, 6, 1).unwrap();
    /// let c = gain::numpy::expr(&a).cumprod::<ndarray::Ix1>(0).unwrap();
    /// assert_eq!(c.to_array().unwrap(), ndarray::array![1, 2, 6, 24, 120]);
    /// ```
    pub fn cumprod<E: Dimension>(&self, axis: usize) -> Result<GlobalArray<T, E>> {
        Domain::new(self)?
            .scan(axis, |a, x| a * x)?
            .into_dimensionality()
    }
}

/// # Statistics along an axis
impl<T: Element + Float> Expr<'_, T> {
    /// The mean along `axis`.
    ///
    /// # Collective
    ///
    /// ```
    /// let rt = gain::init().unwrap();
    /// let a = gain::numpy::from_fn(&rt, [2, 3], |i| i[0] as f64).unwrap();
    /// let m = gain::numpy::expr(&a).mean_axis::<ndarray::Ix1>(0).unwrap();
    /// assert_eq!(m.to_array().unwrap(), ndarray::array![0.5, 0.5, 0.5]);
    /// ```
    pub fn mean_axis<E: Dimension>(&self, axis: usize) -> Result<GlobalArray<T, E>> {
        self.mean_axis_dyn(axis)?.into_dimensionality()
    }

    fn mean_axis_dyn(&self, axis: usize) -> Result<GlobalArray<T, IxDyn>> {
        let mut s = self.sum_axis::<IxDyn>(axis)?;
        let n = T::from(self.shape()?[axis]).unwrap_or_else(T::nan);
        s.local_mut().mapv_inplace(|x| x / n);
        s.sync()?;
        Ok(s)
    }

    /// The variance along `axis` with `ddof` delta degrees of freedom.
    ///
    /// # Collective
    ///
    /// ```
    /// let rt = gain::init().unwrap();
    /// let a = gain::numpy::from_fn(&rt, [2, 3], |i| (2 * i[0]) as f64).unwrap();
    /// let v = gain::numpy::expr(&a).var_axis::<ndarray::Ix1>(0, 0).unwrap();
    /// assert_eq!(v.to_array().unwrap(), ndarray::array![1.0, 1.0, 1.0]);
    /// ```
    pub fn var_axis<E: Dimension>(&self, axis: usize, ddof: usize) -> Result<GlobalArray<T, E>> {
        self.var_axis_dyn(axis, ddof)?.into_dimensionality()
    }

    fn var_axis_dyn(&self, axis: usize, ddof: usize) -> Result<GlobalArray<T, IxDyn>> {
        let m = self.mean_axis_dyn(axis)?;
        let dev = (self.clone() - along(&m, axis)?).powi(2);
        let mut s = dev.sum_axis::<IxDyn>(axis)?;
        let n = T::from(self.shape()?[axis].saturating_sub(ddof)).unwrap_or_else(T::nan);
        s.local_mut().mapv_inplace(|x| x / n);
        s.sync()?;
        Ok(s)
    }

    /// The standard deviation along `axis`.
    ///
    /// # Collective
    ///
    /// ```
    /// let rt = gain::init().unwrap();
    /// let a = gain::numpy::from_fn(&rt, [2, 3], |i| (2 * i[0]) as f64).unwrap();
    /// let s = gain::numpy::expr(&a).std_axis::<ndarray::Ix1>(0, 0).unwrap();
    /// assert_eq!(s.to_array().unwrap(), ndarray::array![1.0, 1.0, 1.0]);
    /// ```
    pub fn std_axis<E: Dimension>(&self, axis: usize, ddof: usize) -> Result<GlobalArray<T, E>> {
        let mut v = self.var_axis_dyn(axis, ddof)?;
        v.local_mut().mapv_inplace(T::sqrt);
        v.sync()?;
        v.into_dimensionality()
    }
}

/// # Evaluation
impl<T: Element> Expr<'_, T> {
    /// Evaluates into a new global array, distributed like an operand of
    /// the same shape read whole (so it is computed in place), else
    /// regularly. No global temporaries.
    ///
    /// Errors: the expression's shape error;
    /// [`DimensionMismatch`](crate::ErrorKind::DimensionMismatch) for a
    /// result type of the wrong dimension;
    /// [`InconsistentArguments`](crate::ErrorKind::InconsistentArguments)
    /// when it reads no global array.
    ///
    /// # Collective
    ///
    /// ```
    /// let rt = gain::init().unwrap();
    /// let a = gain::numpy::arange(&rt, 0i32, 4, 1).unwrap();
    /// let b = (&a * &a).eval::<ndarray::Ix1>().unwrap();
    /// assert!(b.compare_distr(&a));
    /// assert_eq!(b.to_array().unwrap(), ndarray::array![0, 1, 4, 9]);
    /// ```
    pub fn eval<E: Dimension>(&self) -> Result<GlobalArray<T, E>> {
        self.eval_in(Domain::new(self)?)
    }

    /// As [`eval`](Self::eval), on the ranks of `rt`: for expressions that
    /// read no global array (index grids, say).
    ///
    /// # Collective
    ///
    /// ```
    /// let rt = gain::init().unwrap();
    /// let j = gain::numpy::index_along(&[2, 3], 1).eval_on::<ndarray::Ix2>(&rt).unwrap();
    /// assert_eq!(j.to_array().unwrap(), ndarray::array![[0, 1, 2], [0, 1, 2]]);
    /// ```
    pub fn eval_on<E: Dimension>(&self, rt: &Runtime) -> Result<GlobalArray<T, E>> {
        self.eval_in(Domain::on(self, Some(rt))?)
    }

    fn eval_in<E: Dimension>(&self, d: Domain<'_, T>) -> Result<GlobalArray<T, E>> {
        let Some(dist) = d.dist.clone() else {
            bail!(
                ZeroSizeDimension,
                "an expression of shape {:?} has no elements to store",
                d.shape
            );
        };
        let mut r = GlobalArray::<T, IxDyn>::with_distribution(&d.rt, dist)?;
        r.assign(self)?;
        r.into_dimensionality()
    }
}
