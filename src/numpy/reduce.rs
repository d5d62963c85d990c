//! Reductions (whole array and along an axis) and scans of expressions.
//!
//! Each rank folds the elements of its block of the expression's domain
//! (the block map of an aligned operand, else a regular one). Whole-array
//! results: one `MPI_Allgather` of the per-rank partials, combined in rank
//! order, so every rank gets the same bits. Along an axis: the partials go
//! to a small global array and the owner of each block of the (distributed)
//! result combines them.

use mpi::traits::{CommunicatorCollectives, Equivalence};
use ndarray::{ArrayD, ArrayViewD, Axis, Dimension, Ix1, IxDyn, SliceInfoElem, Zip};
use num_traits::Float;

use super::engine::{Operand, pieces, sync_all, tiles};
use super::expr::{Expr, IntoExpr, index_along, where_};
use super::geometry::{bounds, narrow};
use super::store::Shared;
use super::view::View;
use crate::error::bail;
use crate::fault::during;
use crate::{Distribution, Element, GlobalArray, Result, Runtime, Section};

/// An expression with the block map its evaluation is split by.
struct Domain<'n, T: Element> {
    op: Operand<'n, T>,
    shape: Vec<usize>,
    dist: Option<Distribution>,
    rt: Runtime,
}

impl<'n, T: Element> Domain<'n, T> {
    fn new<D: Dimension>(e: &Expr<'n, T, D>) -> Result<Self> {
        Self::on(e, None, &[])
    }

    /// As `new`, for a call along `axis`, which must be one of the
    /// expression's (checked before the agreement, so a rank passing an
    /// axis out of range is told so).
    fn along<D: Dimension>(e: &Expr<'n, T, D>, axis: Axis) -> Result<Self> {
        let check = |d: &Domain<'n, T>| {
            if axis.index() >= d.shape.len() {
                bail!(
                    DimensionMismatch,
                    "axis {} of a {}-d expression",
                    axis.index(),
                    d.shape.len()
                );
            }
            Ok(())
        };
        Self::on_checked(e, None, &[("axes", axis.index().to_string())], check)
    }

    /// The domain of `e`, agreed by every rank: each checks the expression
    /// (which may hold its own ndarray operands) and the call's `args`
    /// (which later checks depend on), and all return an error if any
    /// rank's check failed or they differ. The checks after this are pure
    /// functions of agreed values, so every rank takes the same branch.
    fn on<D: Dimension>(
        e: &Expr<'n, T, D>,
        fallback: Option<&Runtime>,
        args: &[(&'static str, String)],
    ) -> Result<Self> {
        Self::on_checked(e, fallback, args, |_| Ok(()))
    }

    /// As `on`, with a further check of the built domain before the
    /// agreement.
    fn on_checked<D: Dimension>(
        e: &Expr<'n, T, D>,
        fallback: Option<&Runtime>,
        args: &[(&'static str, String)],
        check: impl FnOnce(&Self) -> Result<()>,
    ) -> Result<Self> {
        let built = Self::build(e, fallback).and_then(|d| check(&d).map(|()| d));
        let rt = match &built {
            Ok(d) => Some(d.rt.clone()),
            Err(_) => fallback.cloned().or_else(|| e.runtime()),
        };
        // An expression that knows no ranks cannot fail on one rank only.
        let Some(rt) = rt else { return built };
        let shape = built
            .as_ref()
            .map_or(String::new(), |d| format!("{:?}", d.shape));
        let mut all = vec![("expression shapes", shape)];
        all.extend(args.iter().cloned());
        rt.agree_arguments(built.as_ref().map(|_| &all[..]).map_err(Clone::clone))?;
        built
    }

    fn build<D: Dimension>(e: &Expr<'n, T, D>, fallback: Option<&Runtime>) -> Result<Self> {
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
                InvalidArgument,
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

    /// Calls `f(origin, tile)` for the tiles of this rank's block, in
    /// order, after synchronising the arrays read.
    fn for_tiles(&self, mut f: impl FnMut(&[usize], ArrayViewD<'_, T>)) -> Result<()> {
        let Some(rect) = self.synced_rect()? else {
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

    /// `f(origin, tile)` of every tile of this rank's block, in tile
    /// order, computed by the threads of the rank's pool (after
    /// synchronising the arrays read). The tiles are the same on any
    /// number of threads, so folding the results in order gives the same
    /// bits on any.
    fn map_tiles<R: Send>(
        &self,
        f: impl Fn(&[usize], ArrayViewD<'_, T>) -> R + Sync + Send,
    ) -> Result<Vec<R>> {
        let Some(rect) = self.synced_rect()? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for piece in pieces(&rect, &|k, v| self.op.cuts(k, v)) {
            let bound = self.op.bind(&piece)?;
            let ext: Vec<usize> = piece.iter().map(|&(a, z)| z - a).collect();
            out.extend(crate::threads::map(tiles(&ext), |tile| {
                let origin: Vec<usize> = piece.iter().zip(&tile).map(|(p, t)| p.0 + t.0).collect();
                f(&origin, bound.tile(&tile).view())
            }));
        }
        Ok(out)
    }

    /// Synchronises the arrays read and returns this rank's block.
    fn synced_rect(&self) -> Result<Option<Vec<(usize, usize)>>> {
        let mut arrays: Vec<&dyn Shared> = Vec::new();
        self.op.arrays(&mut arrays);
        sync_all(&arrays)?;
        Ok(self.my_rect())
    }

    /// Folds every element into one value per rank — each tile from
    /// `init`, the tiles' values then combined in tile order — and
    /// combines the ranks' values in rank order.
    fn fold_all<A: Equivalence + Copy + Default + Send + Sync>(
        &self,
        init: A,
        fold: impl Fn(A, &[usize], ArrayViewD<'_, T>) -> A + Sync + Send,
        combine: impl Fn(A, A) -> A,
    ) -> Result<A> {
        let parts = self.map_tiles(|o, t| fold(init, o, t))?;
        let acc = parts.into_iter().fold(init, &combine);
        let all = all_gather(&self.rt, acc);
        Ok(all.into_iter().fold(init, combine))
    }

    fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// Folds along `axis` with `f` (associative; no identity needed: each
    /// lane starts from its first element): a global array of the other
    /// axes.
    fn reduce_axis(
        &self,
        axis: usize,
        f: impl Fn(T, T) -> T + Sync + Send,
    ) -> Result<GlobalArray<T, IxDyn>> {
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
        // Each tile's lanes folded by the pool's threads, then the tiles'
        // folds merged in tile order: the same bits on any thread count.
        let folds = self.map_tiles(|o, t| {
            let q = t.map_axis(Axis(axis), |lane| {
                let mut it = lane.iter();
                let first = *it.next().expect("lanes are nonempty");
                it.fold(first, |acc, &x| f(acc, x))
            });
            (o.to_vec(), q)
        })?;
        for (o, q) in folds {
            let (p, seen) = partial.as_mut().expect("a rank with tiles has a block");
            // The tile's place in the partials, which lack `axis`.
            let at = o
                .iter()
                .enumerate()
                .filter(|&(k, _)| k != axis)
                .zip(q.shape())
                .map(|((k, &oo), &n)| (oo - lo[k], oo - lo[k] + n));
            let at: Vec<(usize, usize)> = at.collect();
            let (p, seen) = (
                narrow(p.view_mut(), at.iter().copied()),
                narrow(seen.view_mut(), at.iter().copied()),
            );
            Zip::from(p).and(seen).and(&q).for_each(|p, seen, &q| {
                *p = if *seen { f(*p, q) } else { q };
                *seen = true;
            });
        }
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
    fn scan(
        &self,
        axis: usize,
        f: impl Fn(T, T) -> T + Sync + Send,
    ) -> Result<GlobalArray<T, IxDyn>> {
        if axis >= self.shape.len() {
            bail!(
                DimensionMismatch,
                "axis {axis} of a {}-d expression",
                self.shape.len()
            );
        }
        let Some(dist) = &self.dist else {
            // NumPy's cumsum of an empty array is an empty array.
            let mut arrays: Vec<&dyn Shared> = Vec::new();
            self.op.arrays(&mut arrays);
            sync_all(&arrays)?;
            return GlobalArray::zeros(&self.rt, IxDyn(&self.shape));
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
                par_lanes(local.view_mut(), axis, |mut part, _| {
                    part.accumulate_axis_inplace(Axis(axis), |&prev, cur| *cur = f(prev, *cur))
                });
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
            let other = longest_other_axis(carry.ndim() + 1, local.shape(), axis);
            par_lanes(local.view_mut(), axis, |mut part, at| {
                // The carries of this part's lanes.
                let mut c = carry.view();
                if let Some(k) = other {
                    let k = if k > axis { k - 1 } else { k };
                    c.slice_axis_inplace(Axis(k), ndarray::Slice::from(at.0..at.1));
                }
                Zip::from(part.lanes_mut(Axis(axis)))
                    .and(c)
                    .for_each(|mut lane, &c| lane.mapv_inplace(|x| f(c, x)));
            });
        }
        r.sync()?;
        Ok(r)
    }
}

/// The longest axis of `shape` (of `ndim` axes) other than `axis`, if any.
fn longest_other_axis(ndim: usize, shape: &[usize], axis: usize) -> Option<usize> {
    (0..ndim).filter(|&k| k != axis).max_by_key(|&k| shape[k])
}

/// Runs `f(part, lo..hi)` on parts of `a` that hold whole lanes along
/// `axis`, cut along its longest other axis (positions `lo..hi` of it)
/// into pieces of about [`TILE`](super::engine::TILE) elements, on the
/// pool's threads. Each lane is computed as a whole by one call, so the
/// result is the same on any thread count. A 1-d `a` is one part.
fn par_lanes<T: Send>(
    mut a: ndarray::ArrayViewMutD<'_, T>,
    axis: usize,
    f: impl Fn(ndarray::ArrayViewMutD<'_, T>, (usize, usize)) + Sync + Send,
) {
    let Some(k) = longest_other_axis(a.ndim(), a.shape(), axis) else {
        let n = a.shape().first().copied().unwrap_or(0);
        return f(a, (0, n));
    };
    let per = (a.len() / a.shape()[k].max(1)).max(1);
    let chunk = (super::engine::TILE / per).max(1);
    let parts: Vec<_> = a
        .axis_chunks_iter_mut(Axis(k), chunk)
        .enumerate()
        .map(|(i, p)| (i * chunk, p))
        .collect();
    crate::threads::for_each(parts, |(lo, p)| {
        let hi = lo + p.shape()[k];
        f(p, (lo, hi))
    });
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
    // The better of two candidates; the lower flat index among equals.
    let pick = |best: Option<(T, u64)>, (x, flat): (T, u64)| match best {
        Some((v, f)) if !(better(x, v) || (x == v && flat < f)) => Some((v, f)),
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

/// The number of elements less `ddof` (at least 0, as NumPy's), as `T`.
fn dof<T: Element + Float>(n: usize, ddof: T) -> T {
    let d = T::from(n).unwrap_or_else(T::nan) - ddof;
    if d < T::zero() { T::zero() } else { d }
}

/// # Reductions over the whole expression (every rank gets the result)
///
/// Each is **collective**: every rank must call it, in the same order, on
/// the same expression (the same arrays and views; ndarray operands
/// holding the same data). It syncs the arrays read, combines the ranks'
/// partial results with `MPI_Allgather` in rank order, and returns the
/// same value on every rank.
impl<T: Element, D: Dimension> Expr<'_, T, D> {
    /// The sum of all elements (0 for none).
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
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn sum(&self) -> Result<T> {
        during("Expr::sum", move || -> Result<T> {
            let d = Domain::new(self)?;
            d.fold_all(T::zero(), |a, _, t| a + t.sum(), |a, b| a + b)
        })
    }

    /// The product of all elements (1 for none).
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
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn prod(&self) -> Result<T> {
        during("Expr::prod", move || -> Result<T> {
            let d = Domain::new(self)?;
            d.fold_all(T::one(), |a, _, t| a * t.product(), |a, b| a * b)
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
            let idx = arg_extreme(&Domain::new(self)?, |x, v| {
                x < v || (is_nan(x) && !is_nan(v))
            })?;
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
            let idx = arg_extreme(&Domain::new(self)?, |x, v| {
                x > v || (is_nan(x) && !is_nan(v))
            })?;
            pattern::<D>(&idx)
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

/// # Statistics and norms over the whole expression
impl<T: Element + Float, D: Dimension> Expr<'_, T, D> {
    /// The mean of all elements (NaN for none).
    ///
    /// # Collective
    ///
    /// As [`sum`](Self::sum): every rank calls it on the same expression
    /// and gets the same value.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::arange(&rt, 0.0, 10.0, 1.0)?;
    /// assert_eq!((&a + 1.0).mean()?, 5.5);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn mean(&self) -> Result<T> {
        during("Expr::mean", move || -> Result<T> {
            let n = T::from(self.shape()?.iter().product::<usize>()).unwrap_or_else(T::nan);
            Ok(self.sum()? / n)
        })
    }

    /// The variance with `ddof` delta degrees of freedom (ndarray's
    /// `var(ddof)`: 0 for the population variance, 1 for the sample
    /// variance), dividing by `n - ddof` (by 0 when `ddof >= n`, as
    /// NumPy). Two passes: the mean, then the squared deviations.
    ///
    /// # Collective
    ///
    /// Every rank calls it on the same expression with the same `ddof`;
    /// two whole-array reductions, each returning the same value on every
    /// rank.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::arange(&rt, 0.0, 4.0, 1.0)?;
    /// assert_eq!(a.expr().var(0.0)?, 1.25);
    /// assert_eq!(a.expr().var(1.0)?, 5.0 / 3.0);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn var(&self, ddof: T) -> Result<T> {
        during("Expr::var", move || -> Result<T> {
            let m = self.mean()?;
            let n = self.shape()?.iter().product::<usize>();
            let ss = (self.clone() - m).powi(2).sum()?;
            Ok(ss / dof(n, ddof))
        })
    }

    /// The standard deviation, `sqrt(var(ddof))`.
    ///
    /// # Collective
    ///
    /// As [`var`](Self::var).
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::from_array(&rt, &ndarray::array![1.0, 3.0])?;
    /// assert_eq!(a.expr().std(0.0)?, 1.0);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn std(&self, ddof: T) -> Result<T> {
        during("Expr::std", move || -> Result<T> {
            Ok(self.var(ddof)?.sqrt())
        })
    }

    /// The sum of absolute values.
    ///
    /// # Collective
    ///
    /// As [`sum`](Self::sum).
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::arange(&rt, -2.0, 2.0, 1.0)?;
    /// assert_eq!(a.expr().norm_l1()?, 4.0);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn norm_l1(&self) -> Result<T> {
        during("Expr::norm_l1", move || -> Result<T> {
            self.clone().mapv(T::abs).sum()
        })
    }

    /// The Euclidean norm.
    ///
    /// # Collective
    ///
    /// As [`sum`](Self::sum).
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::from_array(&rt, &ndarray::array![3.0, 4.0])?;
    /// assert_eq!(a.expr().norm_l2()?, 5.0);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn norm_l2(&self) -> Result<T> {
        during("Expr::norm_l2", move || -> Result<T> {
            Ok(self.clone().powi(2).sum()?.sqrt())
        })
    }

    /// The largest absolute value.
    ///
    /// Errors: as [`min`](Self::min).
    ///
    /// # Collective
    ///
    /// As [`max`](Self::max).
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::arange(&rt, -5.0, 2.0, 1.0)?;
    /// assert_eq!(a.expr().norm_max()?, 5.0);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn norm_max(&self) -> Result<T> {
        during("Expr::norm_max", move || -> Result<T> {
            self.clone().mapv(T::abs).max()
        })
    }
}

/// The dot product of two 1-D operands of equal length (also
/// `a.dot(&b)` on a 1-D array or view).
///
/// Errors: [`ShapeMismatch`](crate::ErrorKind::ShapeMismatch) otherwise.
///
/// # Collective
///
/// Every rank calls it with the same operands; each returns the same
/// value, after every rank's partial sum has been gathered.
///
/// # Examples
///
/// ```
/// # let rt = gain::init()?;
/// let a = gain::numpy::arange(&rt, 0.0, 4.0, 1.0)?;
/// assert_eq!(gain::numpy::dot(&a, &a)?, 14.0);
/// # Ok::<(), gain::Error>(())
/// ```
pub fn dot<'a, T: Element>(a: impl IntoExpr<'a, T>, b: impl IntoExpr<'a, T>) -> Result<T> {
    during("numpy::dot", move || -> Result<T> {
        let (a, b) = (a.into_expr().into_dyn(), b.into_expr().into_dyn());
        let (sa, sb) = (a.shape()?, b.shape()?);
        if sa.len() != 1 || sa != sb {
            bail!(
                ShapeMismatch,
                "dot of shapes {sa:?} and {sb:?}: needs two 1-d operands of one length"
            );
        }
        (a * b).sum()
    })
}

/// # Reductions along an axis (the result is a new global array)
///
/// The result has dimension type `D::Smaller` (`Ix1` for an `Ix2`
/// expression, `IxDyn` for `IxDyn`), as ndarray's `sum_axis`; the scans
/// keep `D`. Each is **collective**: every rank must call it, in the same
/// order, on the same expression with the same axis. It syncs the arrays
/// read, creates the result (collectively), and returns after a closing
/// sync of it.
impl<T: Element, D: Dimension> Expr<'_, T, D> {
    fn reduce_dyn(
        &self,
        axis: Axis,
        f: impl Fn(T, T) -> T + Sync + Send,
    ) -> Result<GlobalArray<T, IxDyn>> {
        Domain::along(self, axis)?.reduce_axis(axis.index(), f)
    }

    /// Sums along `axis`.
    ///
    /// Errors: [`DimensionMismatch`](crate::ErrorKind::DimensionMismatch)
    /// for an axis out of range or a 1-d expression (use [`sum`](Self::sum));
    /// [`ZeroSizeDimension`](crate::ErrorKind::ZeroSizeDimension) for an
    /// empty one (a zero-length axis; NumPy gives the identity for sums
    /// there, gain does not yet).
    ///
    /// # Collective
    ///
    /// Every rank calls it on the same expression and axis; it returns
    /// after the closing sync of the new array.
    ///
    /// # Examples
    ///
    /// ```
    /// use ndarray::Axis;
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::from_fn(&rt, [3, 4], |i| i[1] as i64)?;
    /// let s = (&a * 2).sum_axis(Axis(0))?; // a GlobalArray<i64, Ix1>
    /// assert_eq!(s.to_array()?, ndarray::array![0, 6, 12, 18]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn sum_axis(&self, axis: Axis) -> Result<GlobalArray<T, D::Smaller>> {
        during(
            "Expr::sum_axis",
            move || -> Result<GlobalArray<T, D::Smaller>> {
                self.reduce_dyn(axis, |a, x| a + x)?.into_dimensionality()
            },
        )
    }

    /// Multiplies along `axis`.
    ///
    /// Errors: as [`sum_axis`](Self::sum_axis).
    ///
    /// # Collective
    ///
    /// As [`sum_axis`](Self::sum_axis).
    ///
    /// # Examples
    ///
    /// ```
    /// use ndarray::Axis;
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::full(&rt, [3, 2], 2i32)?;
    /// let p = a.expr().prod_axis(Axis(0))?;
    /// assert_eq!(p.to_array()?, ndarray::array![8, 8]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn prod_axis(&self, axis: Axis) -> Result<GlobalArray<T, D::Smaller>> {
        during(
            "Expr::prod_axis",
            move || -> Result<GlobalArray<T, D::Smaller>> {
                self.reduce_dyn(axis, |a, x| a * x)?.into_dimensionality()
            },
        )
    }

    /// The smallest element along `axis` (NaN-propagating).
    ///
    /// Errors: as [`sum_axis`](Self::sum_axis).
    ///
    /// # Collective
    ///
    /// As [`sum_axis`](Self::sum_axis).
    ///
    /// # Examples
    ///
    /// ```
    /// use ndarray::Axis;
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::from_fn(&rt, [3, 4], |i| (i[0] * 4 + i[1]) as i32)?;
    /// let m = a.expr().min_axis(Axis(1))?;
    /// assert_eq!(m.to_array()?, ndarray::array![0, 4, 8]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn min_axis(&self, axis: Axis) -> Result<GlobalArray<T, D::Smaller>> {
        during(
            "Expr::min_axis",
            move || -> Result<GlobalArray<T, D::Smaller>> {
                self.reduce_dyn(axis, nan_min)?.into_dimensionality()
            },
        )
    }

    /// The largest element along `axis` (NaN-propagating).
    ///
    /// Errors: as [`sum_axis`](Self::sum_axis).
    ///
    /// # Collective
    ///
    /// As [`sum_axis`](Self::sum_axis).
    ///
    /// # Examples
    ///
    /// ```
    /// use ndarray::Axis;
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::from_fn(&rt, [3, 4], |i| (i[0] * 4 + i[1]) as i32)?;
    /// let m = a.expr().max_axis(Axis(0))?;
    /// assert_eq!(m.to_array()?, ndarray::array![8, 9, 10, 11]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn max_axis(&self, axis: Axis) -> Result<GlobalArray<T, D::Smaller>> {
        during(
            "Expr::max_axis",
            move || -> Result<GlobalArray<T, D::Smaller>> {
                self.reduce_dyn(axis, nan_max)?.into_dimensionality()
            },
        )
    }

    fn arg_axis(&self, axis: Axis, max: bool) -> Result<GlobalArray<i64, D::Smaller>> {
        let d = Domain::new(self)?;
        let ax = axis.index();
        let m = d.reduce_axis(ax, if max { nan_max } else { nan_min })?;
        let hit = self.clone().into_dyn().equal(along(&m, ax)?);
        let idx = where_(hit, index_along(&d.shape[..], axis), i64::MAX);
        idx.reduce_dyn(axis, |a: i64, x| a.min(x))?
            .into_dimensionality()
    }

    /// The index along `axis` of the smallest element (first on ties).
    ///
    /// Errors: as [`sum_axis`](Self::sum_axis).
    ///
    /// # Collective
    ///
    /// As [`sum_axis`](Self::sum_axis).
    ///
    /// # Examples
    ///
    /// ```
    /// use ndarray::Axis;
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::from_array(&rt, &ndarray::array![[3, 1, 1], [0, 5, 2]])?;
    /// let i = a.expr().argmin_axis(Axis(1))?;
    /// assert_eq!(i.to_array()?, ndarray::array![1, 0]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn argmin_axis(&self, axis: Axis) -> Result<GlobalArray<i64, D::Smaller>> {
        during(
            "Expr::argmin_axis",
            move || -> Result<GlobalArray<i64, D::Smaller>> { self.arg_axis(axis, false) },
        )
    }

    /// The index along `axis` of the largest element (first on ties).
    ///
    /// Errors: as [`sum_axis`](Self::sum_axis).
    ///
    /// # Collective
    ///
    /// As [`sum_axis`](Self::sum_axis).
    ///
    /// # Examples
    ///
    /// ```
    /// use ndarray::Axis;
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::from_array(&rt, &ndarray::array![[3, 1, 1], [0, 5, 2]])?;
    /// let i = a.expr().argmax_axis(Axis(0))?;
    /// assert_eq!(i.to_array()?, ndarray::array![0, 1, 1]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn argmax_axis(&self, axis: Axis) -> Result<GlobalArray<i64, D::Smaller>> {
        during(
            "Expr::argmax_axis",
            move || -> Result<GlobalArray<i64, D::Smaller>> { self.arg_axis(axis, true) },
        )
    }

    /// Running sums along `axis` (NumPy's `cumsum`, `add.accumulate`),
    /// distributed like the expression's domain.
    ///
    /// Errors: [`DimensionMismatch`](crate::ErrorKind::DimensionMismatch)
    /// for an axis out of range. An empty expression gives an empty array
    /// of its shape, as NumPy's.
    ///
    /// # Collective
    ///
    /// As [`sum_axis`](Self::sum_axis).
    ///
    /// # Examples
    ///
    /// ```
    /// use ndarray::Axis;
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::arange(&rt, 1i32, 6, 1)?;
    /// let c = a.expr().cumsum(Axis(0))?;
    /// assert_eq!(c.to_array()?, ndarray::array![1, 3, 6, 10, 15]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn cumsum(&self, axis: Axis) -> Result<GlobalArray<T, D>> {
        during("Expr::cumsum", move || -> Result<GlobalArray<T, D>> {
            Domain::along(self, axis)?
                .scan(axis.index(), |a, x| a + x)?
                .into_dimensionality()
        })
    }

    /// Running products along `axis` (NumPy's `cumprod`).
    ///
    /// Errors: as [`cumsum`](Self::cumsum).
    ///
    /// # Collective
    ///
    /// As [`sum_axis`](Self::sum_axis).
    ///
    /// # Examples
    ///
    /// ```
    /// use ndarray::Axis;
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::arange(&rt, 1i32, 6, 1)?;
    /// let c = a.expr().cumprod(Axis(0))?;
    /// assert_eq!(c.to_array()?, ndarray::array![1, 2, 6, 24, 120]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn cumprod(&self, axis: Axis) -> Result<GlobalArray<T, D>> {
        during("Expr::cumprod", move || -> Result<GlobalArray<T, D>> {
            Domain::along(self, axis)?
                .scan(axis.index(), |a, x| a * x)?
                .into_dimensionality()
        })
    }
}

/// # Statistics along an axis
impl<T: Element + Float, D: Dimension> Expr<'_, T, D> {
    /// The mean along `axis`.
    ///
    /// Errors: as [`sum_axis`](Self::sum_axis).
    ///
    /// # Collective
    ///
    /// As [`sum_axis`](Self::sum_axis).
    ///
    /// # Examples
    ///
    /// ```
    /// use ndarray::Axis;
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::from_fn(&rt, [2, 3], |i| i[0] as f64)?;
    /// let m = a.expr().mean_axis(Axis(0))?;
    /// assert_eq!(m.to_array()?, ndarray::array![0.5, 0.5, 0.5]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn mean_axis(&self, axis: Axis) -> Result<GlobalArray<T, D::Smaller>> {
        during(
            "Expr::mean_axis",
            move || -> Result<GlobalArray<T, D::Smaller>> {
                self.mean_axis_dyn(axis)?.into_dimensionality()
            },
        )
    }

    fn mean_axis_dyn(&self, axis: Axis) -> Result<GlobalArray<T, IxDyn>> {
        let mut s = self.reduce_dyn(axis, |a, x| a + x)?;
        let n = T::from(self.shape()?[axis.index()]).unwrap_or_else(T::nan);
        s.local_mut().mapv_inplace(|x| x / n);
        s.sync()?;
        Ok(s)
    }

    /// The variance along `axis` with `ddof` delta degrees of freedom
    /// (ndarray's `var_axis(axis, ddof)`; divides by `n - ddof`, by 0
    /// when `ddof >= n`).
    ///
    /// Errors: as [`sum_axis`](Self::sum_axis).
    ///
    /// # Collective
    ///
    /// As [`sum_axis`](Self::sum_axis), with the same `ddof` on every
    /// rank.
    ///
    /// # Examples
    ///
    /// ```
    /// use ndarray::Axis;
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::from_fn(&rt, [2, 3], |i| (2 * i[0]) as f64)?;
    /// let v = a.expr().var_axis(Axis(0), 0.0)?;
    /// assert_eq!(v.to_array()?, ndarray::array![1.0, 1.0, 1.0]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn var_axis(&self, axis: Axis, ddof: T) -> Result<GlobalArray<T, D::Smaller>> {
        during(
            "Expr::var_axis",
            move || -> Result<GlobalArray<T, D::Smaller>> {
                self.var_axis_dyn(axis, ddof)?.into_dimensionality()
            },
        )
    }

    fn var_axis_dyn(&self, axis: Axis, ddof: T) -> Result<GlobalArray<T, IxDyn>> {
        let m = self.mean_axis_dyn(axis)?;
        let dev = (self.clone().into_dyn() - along(&m, axis.index())?).powi(2);
        let mut s = dev.reduce_dyn(axis, |a, x| a + x)?;
        let n = dof(self.shape()?[axis.index()], ddof);
        s.local_mut().mapv_inplace(|x| x / n);
        s.sync()?;
        Ok(s)
    }

    /// The standard deviation along `axis`.
    ///
    /// Errors: as [`sum_axis`](Self::sum_axis).
    ///
    /// # Collective
    ///
    /// As [`var_axis`](Self::var_axis).
    ///
    /// # Examples
    ///
    /// ```
    /// use ndarray::Axis;
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::from_fn(&rt, [2, 3], |i| (2 * i[0]) as f64)?;
    /// let s = a.expr().std_axis(Axis(0), 0.0)?;
    /// assert_eq!(s.to_array()?, ndarray::array![1.0, 1.0, 1.0]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn std_axis(&self, axis: Axis, ddof: T) -> Result<GlobalArray<T, D::Smaller>> {
        during(
            "Expr::std_axis",
            move || -> Result<GlobalArray<T, D::Smaller>> {
                let mut v = self.var_axis_dyn(axis, ddof)?;
                v.local_mut().mapv_inplace(T::sqrt);
                v.sync()?;
                v.into_dimensionality()
            },
        )
    }
}

/// # Evaluation
impl<T: Element, D: Dimension> Expr<'_, T, D> {
    /// Evaluates into a new global array of the expression's dimension
    /// type, distributed like an operand of the same shape read whole (so
    /// it is computed in place), else regularly. No global temporaries.
    ///
    /// Errors: the expression's shape error;
    /// [`InvalidArgument`](crate::ErrorKind::InvalidArgument)
    /// when it reads no global array (use [`eval_on`](Self::eval_on));
    /// [`ZeroSizeDimension`](crate::ErrorKind::ZeroSizeDimension) for a
    /// 0-d expression. An empty expression (a zero-length axis) gives an
    /// empty array of its shape.
    ///
    /// # Collective
    ///
    /// Every rank must call it, in the same order, on the same
    /// expression; it creates the array (collectively), syncs the arrays
    /// read, and returns after a closing sync of the new array.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::arange(&rt, 0i32, 4, 1)?;
    /// let b = (&a * &a).eval()?; // a GlobalArray<i32, Ix1>
    /// assert!(b.compare_distr(&a));
    /// assert_eq!(b.to_array()?, ndarray::array![0, 1, 4, 9]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn eval(&self) -> Result<GlobalArray<T, D>> {
        during("Expr::eval", move || -> Result<GlobalArray<T, D>> {
            self.eval_in(Domain::new(self)?)
        })
    }

    /// As [`eval`](Self::eval), on the ranks of `rt`: for expressions that
    /// read no global array (index grids, say).
    ///
    /// # Collective
    ///
    /// As [`eval`](Self::eval), over the ranks of `rt`.
    ///
    /// # Examples
    ///
    /// ```
    /// use ndarray::Axis;
    /// # let rt = gain::init()?;
    /// let j = gain::numpy::index_along([2, 3], Axis(1)).eval_on(&rt)?;
    /// assert_eq!(j.to_array()?, ndarray::array![[0, 1, 2], [0, 1, 2]]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn eval_on(&self, rt: &Runtime) -> Result<GlobalArray<T, D>> {
        during("Expr::eval_on", move || -> Result<GlobalArray<T, D>> {
            self.eval_in(Domain::on(self, Some(rt), &[])?)
        })
    }

    fn eval_in(&self, d: Domain<'_, T>) -> Result<GlobalArray<T, D>> {
        // An empty expression evaluates to an empty array (its
        // distribution has no blocks); a 0-d one has nothing to store.
        let dist = match d.dist.clone() {
            Some(dist) => dist,
            None if !d.shape.is_empty() => Distribution::regular(&d.shape, d.rt.size(), None)?,
            None => bail!(
                ZeroSizeDimension,
                "a 0-d expression has no array to store into"
            ),
        };
        let mut r = GlobalArray::<T, IxDyn>::with_distribution(&d.rt, dist)?;
        r.assign(self)?;
        r.into_dimensionality()
    }
}

/// The reductions of [`Expr`] as methods of an array or view type: the
/// impl header, the type's name in the docs, and how the examples make
/// `x`, the operand, from an array `a`.
macro_rules! reductions {
    ([$($g:tt)*] $Ty:ty, $name:literal, $x:literal) => {
        #[doc = concat!("# Reductions of the ", $name, " (ndarray's names)")]
        ///
        /// Each delegates to the [`Expr`] method of the same name and is
        /// **collective**: every rank must call it, in the same order, with
        /// the same arguments. Whole-array reductions sync the array and
        /// return the same value on every rank; the `*_axis` reductions
        /// and scans return a new global array after a closing sync of it.
        impl<$($g)*> $Ty {
            /// The sum of all elements; see [`Expr::sum`].
            ///
            /// # Collective
            ///
            /// Every rank calls it; each returns the same sum, after every
            /// rank's partial sum has been gathered.
            ///
            /// # Examples
            ///
            /// ```
            /// # let rt = gain::init()?;
            /// let a = gain::numpy::arange(&rt, 1i64, 101, 1)?;
            #[doc = concat!("let x = ", $x, ";")]
            /// assert_eq!(x.sum()?, 5050);
            /// # Ok::<(), gain::Error>(())
            /// ```
            pub fn sum(&self) -> Result<T> {
                self.expr().sum()
            }

            /// The product of all elements; see [`Expr::prod`].
            ///
            /// # Collective
            ///
            /// As [`sum`](Self::sum).
            ///
            /// # Examples
            ///
            /// ```
            /// # let rt = gain::init()?;
            /// let a = gain::numpy::arange(&rt, 1i64, 6, 1)?;
            #[doc = concat!("let x = ", $x, ";")]
            /// assert_eq!(x.prod()?, 120);
            /// # Ok::<(), gain::Error>(())
            /// ```
            pub fn prod(&self) -> Result<T> {
                self.expr().prod()
            }

            /// The smallest element (NaN if any is NaN); see [`Expr::min`].
            ///
            /// # Collective
            ///
            /// As [`sum`](Self::sum).
            ///
            /// # Examples
            ///
            /// ```
            /// # let rt = gain::init()?;
            /// let a = gain::numpy::arange(&rt, -3i32, 3, 1)?;
            #[doc = concat!("let x = ", $x, ";")]
            /// assert_eq!(x.min()?, -3);
            /// # Ok::<(), gain::Error>(())
            /// ```
            pub fn min(&self) -> Result<T> {
                self.expr().min()
            }

            /// The largest element (NaN if any is NaN); see [`Expr::max`].
            ///
            /// # Collective
            ///
            /// As [`sum`](Self::sum).
            ///
            /// # Examples
            ///
            /// ```
            /// # let rt = gain::init()?;
            /// let a = gain::numpy::arange(&rt, -3i32, 3, 1)?;
            #[doc = concat!("let x = ", $x, ";")]
            /// assert_eq!(x.max()?, 2);
            /// # Ok::<(), gain::Error>(())
            /// ```
            pub fn max(&self) -> Result<T> {
                self.expr().max()
            }

            /// The index of the smallest element (first in C order on
            /// ties) as `D`'s pattern; see [`Expr::argmin`].
            ///
            /// # Collective
            ///
            /// As [`sum`](Self::sum).
            ///
            /// # Examples
            ///
            /// ```
            /// # let rt = gain::init()?;
            /// let a = gain::numpy::from_fn(&rt, [3, 3], |i| ((i[0] * 3 + i[1]) as i32 - 4).abs())?;
            #[doc = concat!("let x = ", $x, ";")]
            /// assert_eq!(x.argmin()?, (1, 1));
            /// # Ok::<(), gain::Error>(())
            /// ```
            pub fn argmin(&self) -> Result<D::Pattern> {
                self.expr().argmin()
            }

            /// The index of the largest element (first in C order on ties)
            /// as `D`'s pattern; see [`Expr::argmax`].
            ///
            /// # Collective
            ///
            /// As [`sum`](Self::sum).
            ///
            /// # Examples
            ///
            /// ```
            /// # let rt = gain::init()?;
            /// let a = gain::numpy::from_fn(&rt, [3, 3], |i| ((i[0] * 3 + i[1]) as i32 - 4).abs())?;
            #[doc = concat!("let x = ", $x, ";")]
            /// assert_eq!(x.argmax()?, (0, 0));
            /// # Ok::<(), gain::Error>(())
            /// ```
            pub fn argmax(&self) -> Result<D::Pattern> {
                self.expr().argmax()
            }

            /// Whether every element is nonzero; see [`Expr::all`].
            ///
            /// # Collective
            ///
            /// As [`sum`](Self::sum).
            ///
            /// # Examples
            ///
            /// ```
            /// # let rt = gain::init()?;
            /// let a = gain::numpy::arange(&rt, 0i32, 4, 1)?;
            #[doc = concat!("let x = ", $x, ";")]
            /// assert!(!x.all()?);
            /// # Ok::<(), gain::Error>(())
            /// ```
            pub fn all(&self) -> Result<bool> {
                self.expr().all()
            }

            /// Whether any element is nonzero; see [`Expr::any`].
            ///
            /// # Collective
            ///
            /// As [`sum`](Self::sum).
            ///
            /// # Examples
            ///
            /// ```
            /// # let rt = gain::init()?;
            /// let a = gain::numpy::arange(&rt, 0i32, 4, 1)?;
            #[doc = concat!("let x = ", $x, ";")]
            /// assert!(x.any()?);
            /// # Ok::<(), gain::Error>(())
            /// ```
            pub fn any(&self) -> Result<bool> {
                self.expr().any()
            }

            /// Sums along `axis`, dropping it from the type; see
            /// [`Expr::sum_axis`].
            ///
            /// # Collective
            ///
            /// Every rank calls it with the same `axis`; it returns after
            /// the closing sync of the new array.
            ///
            /// # Examples
            ///
            /// ```
            /// use ndarray::Axis;
            /// # let rt = gain::init()?;
            /// let a = gain::numpy::from_fn(&rt, [3, 4], |i| i[1] as i64)?;
            #[doc = concat!("let x = ", $x, ";")]
            /// let s = x.sum_axis(Axis(0))?; // a GlobalArray<i64, Ix1>
            /// assert_eq!(s.to_array()?, ndarray::array![0, 3, 6, 9]);
            /// # Ok::<(), gain::Error>(())
            /// ```
            pub fn sum_axis(&self, axis: Axis) -> Result<GlobalArray<T, D::Smaller>> {
                self.expr().sum_axis(axis)
            }

            /// Multiplies along `axis`; see [`Expr::prod_axis`].
            ///
            /// # Collective
            ///
            /// As [`sum_axis`](Self::sum_axis).
            ///
            /// # Examples
            ///
            /// ```
            /// use ndarray::Axis;
            /// # let rt = gain::init()?;
            /// let a = gain::numpy::full(&rt, [3, 2], 2i32)?;
            #[doc = concat!("let x = ", $x, ";")]
            /// assert_eq!(x.prod_axis(Axis(0))?.to_array()?, ndarray::array![8, 8]);
            /// # Ok::<(), gain::Error>(())
            /// ```
            pub fn prod_axis(&self, axis: Axis) -> Result<GlobalArray<T, D::Smaller>> {
                self.expr().prod_axis(axis)
            }

            /// The smallest element along `axis`; see [`Expr::min_axis`].
            ///
            /// # Collective
            ///
            /// As [`sum_axis`](Self::sum_axis).
            ///
            /// # Examples
            ///
            /// ```
            /// use ndarray::Axis;
            /// # let rt = gain::init()?;
            /// let a = gain::numpy::from_fn(&rt, [3, 4], |i| (i[0] * 4 + i[1]) as i32)?;
            #[doc = concat!("let x = ", $x, ";")]
            /// assert_eq!(x.min_axis(Axis(1))?.to_array()?, ndarray::array![0, 4, 8]);
            /// # Ok::<(), gain::Error>(())
            /// ```
            pub fn min_axis(&self, axis: Axis) -> Result<GlobalArray<T, D::Smaller>> {
                self.expr().min_axis(axis)
            }

            /// The largest element along `axis`; see [`Expr::max_axis`].
            ///
            /// # Collective
            ///
            /// As [`sum_axis`](Self::sum_axis).
            ///
            /// # Examples
            ///
            /// ```
            /// use ndarray::Axis;
            /// # let rt = gain::init()?;
            /// let a = gain::numpy::from_fn(&rt, [3, 4], |i| (i[0] * 4 + i[1]) as i32)?;
            #[doc = concat!("let x = ", $x, ";")]
            /// assert_eq!(x.max_axis(Axis(0))?.to_array()?, ndarray::array![8, 9, 10, 11]);
            /// # Ok::<(), gain::Error>(())
            /// ```
            pub fn max_axis(&self, axis: Axis) -> Result<GlobalArray<T, D::Smaller>> {
                self.expr().max_axis(axis)
            }

            /// The index along `axis` of the smallest element (first on
            /// ties); see [`Expr::argmin_axis`].
            ///
            /// # Collective
            ///
            /// As [`sum_axis`](Self::sum_axis).
            ///
            /// # Examples
            ///
            /// ```
            /// use ndarray::Axis;
            /// # let rt = gain::init()?;
            /// let a = gain::numpy::from_array(&rt, &ndarray::array![[3, 1, 1], [0, 5, 2]])?;
            #[doc = concat!("let x = ", $x, ";")]
            /// assert_eq!(x.argmin_axis(Axis(1))?.to_array()?, ndarray::array![1, 0]);
            /// # Ok::<(), gain::Error>(())
            /// ```
            pub fn argmin_axis(&self, axis: Axis) -> Result<GlobalArray<i64, D::Smaller>> {
                self.expr().argmin_axis(axis)
            }

            /// The index along `axis` of the largest element (first on
            /// ties); see [`Expr::argmax_axis`].
            ///
            /// # Collective
            ///
            /// As [`sum_axis`](Self::sum_axis).
            ///
            /// # Examples
            ///
            /// ```
            /// use ndarray::Axis;
            /// # let rt = gain::init()?;
            /// let a = gain::numpy::from_array(&rt, &ndarray::array![[3, 1, 1], [0, 5, 2]])?;
            #[doc = concat!("let x = ", $x, ";")]
            /// assert_eq!(x.argmax_axis(Axis(0))?.to_array()?, ndarray::array![0, 1, 1]);
            /// # Ok::<(), gain::Error>(())
            /// ```
            pub fn argmax_axis(&self, axis: Axis) -> Result<GlobalArray<i64, D::Smaller>> {
                self.expr().argmax_axis(axis)
            }

            /// Running sums along `axis` (NumPy's `cumsum`); see
            /// [`Expr::cumsum`].
            ///
            /// # Collective
            ///
            /// As [`sum_axis`](Self::sum_axis).
            ///
            /// # Examples
            ///
            /// ```
            /// use ndarray::Axis;
            /// # let rt = gain::init()?;
            /// let a = gain::numpy::arange(&rt, 1i32, 6, 1)?;
            #[doc = concat!("let x = ", $x, ";")]
            /// assert_eq!(x.cumsum(Axis(0))?.to_array()?, ndarray::array![1, 3, 6, 10, 15]);
            /// # Ok::<(), gain::Error>(())
            /// ```
            pub fn cumsum(&self, axis: Axis) -> Result<GlobalArray<T, D>> {
                self.expr().cumsum(axis)
            }

            /// Running products along `axis` (NumPy's `cumprod`); see
            /// [`Expr::cumprod`].
            ///
            /// # Collective
            ///
            /// As [`sum_axis`](Self::sum_axis).
            ///
            /// # Examples
            ///
            /// ```
            /// use ndarray::Axis;
            /// # let rt = gain::init()?;
            /// let a = gain::numpy::arange(&rt, 1i32, 6, 1)?;
            #[doc = concat!("let x = ", $x, ";")]
            /// assert_eq!(x.cumprod(Axis(0))?.to_array()?, ndarray::array![1, 2, 6, 24, 120]);
            /// # Ok::<(), gain::Error>(())
            /// ```
            pub fn cumprod(&self, axis: Axis) -> Result<GlobalArray<T, D>> {
                self.expr().cumprod(axis)
            }
        }

        #[doc = concat!("# Statistics and norms of the ", $name, " (ndarray's names)")]
        ///
        /// Each delegates to the [`Expr`] method of the same name and is
        /// **collective**, as the reductions above.
        impl<$($g)*> $Ty where T: Float {
            /// The mean of all elements; see [`Expr::mean`].
            ///
            /// # Collective
            ///
            /// As [`sum`](Self::sum).
            ///
            /// # Examples
            ///
            /// ```
            /// # let rt = gain::init()?;
            /// let a = gain::numpy::arange(&rt, 0.0, 10.0, 1.0)?;
            #[doc = concat!("let x = ", $x, ";")]
            /// assert_eq!(x.mean()?, 4.5);
            /// # Ok::<(), gain::Error>(())
            /// ```
            pub fn mean(&self) -> Result<T> {
                self.expr().mean()
            }

            /// The variance with `ddof` delta degrees of freedom (0.0:
            /// population, 1.0: sample); see [`Expr::var`].
            ///
            /// # Collective
            ///
            /// As [`sum`](Self::sum), with the same `ddof` on every rank.
            ///
            /// # Examples
            ///
            /// ```
            /// # let rt = gain::init()?;
            /// let a = gain::numpy::arange(&rt, 0.0, 4.0, 1.0)?;
            #[doc = concat!("let x = ", $x, ";")]
            /// assert_eq!(x.var(0.0)?, 1.25);
            /// # Ok::<(), gain::Error>(())
            /// ```
            pub fn var(&self, ddof: T) -> Result<T> {
                self.expr().var(ddof)
            }

            /// The standard deviation, `sqrt(var(ddof))`; see
            /// [`Expr::std`].
            ///
            /// # Collective
            ///
            /// As [`var`](Self::var).
            ///
            /// # Examples
            ///
            /// ```
            /// # let rt = gain::init()?;
            /// let a = gain::numpy::from_array(&rt, &ndarray::array![1.0, 3.0])?;
            #[doc = concat!("let x = ", $x, ";")]
            /// assert_eq!(x.std(0.0)?, 1.0);
            /// # Ok::<(), gain::Error>(())
            /// ```
            pub fn std(&self, ddof: T) -> Result<T> {
                self.expr().std(ddof)
            }

            /// The sum of absolute values; see [`Expr::norm_l1`].
            ///
            /// # Collective
            ///
            /// As [`sum`](Self::sum).
            ///
            /// # Examples
            ///
            /// ```
            /// # let rt = gain::init()?;
            /// let a = gain::numpy::arange(&rt, -2.0, 2.0, 1.0)?;
            #[doc = concat!("let x = ", $x, ";")]
            /// assert_eq!(x.norm_l1()?, 4.0);
            /// # Ok::<(), gain::Error>(())
            /// ```
            pub fn norm_l1(&self) -> Result<T> {
                self.expr().norm_l1()
            }

            /// The Euclidean norm; see [`Expr::norm_l2`].
            ///
            /// # Collective
            ///
            /// As [`sum`](Self::sum).
            ///
            /// # Examples
            ///
            /// ```
            /// # let rt = gain::init()?;
            /// let a = gain::numpy::from_array(&rt, &ndarray::array![3.0, 4.0])?;
            #[doc = concat!("let x = ", $x, ";")]
            /// assert_eq!(x.norm_l2()?, 5.0);
            /// # Ok::<(), gain::Error>(())
            /// ```
            pub fn norm_l2(&self) -> Result<T> {
                self.expr().norm_l2()
            }

            /// The largest absolute value; see [`Expr::norm_max`].
            ///
            /// # Collective
            ///
            /// As [`sum`](Self::sum).
            ///
            /// # Examples
            ///
            /// ```
            /// # let rt = gain::init()?;
            /// let a = gain::numpy::arange(&rt, -5.0, 2.0, 1.0)?;
            #[doc = concat!("let x = ", $x, ";")]
            /// assert_eq!(x.norm_max()?, 5.0);
            /// # Ok::<(), gain::Error>(())
            /// ```
            pub fn norm_max(&self) -> Result<T> {
                self.expr().norm_max()
            }

            /// The mean along `axis`, dropping it from the type; see
            /// [`Expr::mean_axis`].
            ///
            /// # Collective
            ///
            /// As [`sum_axis`](Self::sum_axis).
            ///
            /// # Examples
            ///
            /// ```
            /// use ndarray::Axis;
            /// # let rt = gain::init()?;
            /// let a = gain::numpy::from_fn(&rt, [2, 3], |i| i[0] as f64)?;
            #[doc = concat!("let x = ", $x, ";")]
            /// assert_eq!(x.mean_axis(Axis(0))?.to_array()?, ndarray::array![0.5, 0.5, 0.5]);
            /// # Ok::<(), gain::Error>(())
            /// ```
            pub fn mean_axis(&self, axis: Axis) -> Result<GlobalArray<T, D::Smaller>> {
                self.expr().mean_axis(axis)
            }

            /// The variance along `axis` with `ddof` delta degrees of
            /// freedom; see [`Expr::var_axis`].
            ///
            /// # Collective
            ///
            /// As [`sum_axis`](Self::sum_axis), with the same `ddof` on
            /// every rank.
            ///
            /// # Examples
            ///
            /// ```
            /// use ndarray::Axis;
            /// # let rt = gain::init()?;
            /// let a = gain::numpy::from_fn(&rt, [2, 3], |i| (2 * i[0]) as f64)?;
            #[doc = concat!("let x = ", $x, ";")]
            /// assert_eq!(x.var_axis(Axis(0), 1.0)?.to_array()?, ndarray::array![2.0, 2.0, 2.0]);
            /// # Ok::<(), gain::Error>(())
            /// ```
            pub fn var_axis(&self, axis: Axis, ddof: T) -> Result<GlobalArray<T, D::Smaller>> {
                self.expr().var_axis(axis, ddof)
            }

            /// The standard deviation along `axis`; see
            /// [`Expr::std_axis`].
            ///
            /// # Collective
            ///
            /// As [`var_axis`](Self::var_axis).
            ///
            /// # Examples
            ///
            /// ```
            /// use ndarray::Axis;
            /// # let rt = gain::init()?;
            /// let a = gain::numpy::from_fn(&rt, [2, 3], |i| (2 * i[0]) as f64)?;
            #[doc = concat!("let x = ", $x, ";")]
            /// assert_eq!(x.std_axis(Axis(0), 0.0)?.to_array()?, ndarray::array![1.0, 1.0, 1.0]);
            /// # Ok::<(), gain::Error>(())
            /// ```
            pub fn std_axis(&self, axis: Axis, ddof: T) -> Result<GlobalArray<T, D::Smaller>> {
                self.expr().std_axis(axis, ddof)
            }
        }
    };
}

reductions!([T: Element, D: Dimension] GlobalArray<T, D>, "array", "&a");
reductions!([T: Element, D: Dimension] View<'_, T, D>, "view", "a.view()");

/// # Dot product of vectors
impl<T: Element> GlobalArray<T, Ix1> {
    /// The dot product with another 1-D operand of the same length
    /// (ndarray's `dot` of two vectors; [`numpy::dot`](crate::numpy::dot)).
    /// Matrix products of 2-D arrays are in [`linalg`](crate::linalg).
    ///
    /// Errors: [`ShapeMismatch`](crate::ErrorKind::ShapeMismatch) for
    /// another length.
    ///
    /// # Collective
    ///
    /// Every rank calls it with the same `rhs`; each returns the same
    /// value, after every rank's partial sum has been gathered.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::arange(&rt, 0.0, 4.0, 1.0)?;
    /// assert_eq!(a.dot(&a)?, 14.0);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn dot<'a, R: IntoExpr<'a, T, Dim = Ix1>>(&'a self, rhs: R) -> Result<T> {
        during("GlobalArray::dot", move || -> Result<T> { dot(self, rhs) })
    }
}

/// # Dot product of vectors
impl<'a, T: Element> View<'a, T, Ix1> {
    /// The dot product with another 1-D operand of the same length; see
    /// [`GlobalArray::dot`](GlobalArray#method.dot).
    ///
    /// Errors: as [`numpy::dot`](crate::numpy::dot).
    ///
    /// # Collective
    ///
    /// Every rank calls it with the same view and `rhs`; each returns the
    /// same value.
    ///
    /// # Examples
    ///
    /// ```
    /// use ndarray::s;
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::arange(&rt, 0.0, 10.0, 1.0)?;
    /// assert_eq!(a.slice(s![..5])?.dot(a.slice(s![5..])?)?, 80.0);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn dot<R: IntoExpr<'a, T, Dim = Ix1>>(&self, rhs: R) -> Result<T> {
        during("View::dot", move || -> Result<T> { dot(self.clone(), rhs) })
    }
}
