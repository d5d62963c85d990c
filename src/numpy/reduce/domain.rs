//! The domain engine: [`Domain`], an expression with the block map its
//! evaluation is split by. Whole-array folds over the tiles of a rank's
//! block, and folds and scans along an axis through a small global array
//! of per-block partials.

use mpi::traits::Equivalence;
use ndarray::{ArrayD, ArrayViewD, Axis, Dimension, IxDyn, Zip};

use super::all_gather;
use crate::error::bail;
use crate::numpy::engine::{Operand, pieces, sync_all, tiles};
use crate::numpy::expr::Expr;
use crate::numpy::geometry::{bounds, narrow};
use crate::numpy::store::Shared;
use crate::{Distribution, Element, GlobalArray, Result, Runtime, Section};

/// An expression with the block map its evaluation is split by.
pub(super) struct Domain<'n, T: Element> {
    op: Operand<'n, T>,
    pub(super) shape: Vec<usize>,
    pub(super) dist: Option<Distribution>,
    pub(super) rt: Runtime,
}

/// # Agreeing on a domain, folding its tiles, folding and scanning along
/// an axis
impl<'n, T: Element> Domain<'n, T> {
    pub(super) fn new<D: Dimension>(e: &Expr<'n, T, D>) -> Result<Self> {
        Self::on(e, None, &[])
    }

    /// As `new`, for a call along `axis`, which must be one of the
    /// expression's (checked before the agreement, so a rank passing an
    /// axis out of range is told so).
    pub(super) fn along<D: Dimension>(e: &Expr<'n, T, D>, axis: Axis) -> Result<Self> {
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
    pub(super) fn on<D: Dimension>(
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
    pub(super) fn map_tiles<R: Send>(
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
    pub(super) fn fold_all<A: Equivalence + Copy + Default + Send + Sync>(
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

    pub(super) fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// Folds along `axis` with `f` (associative; no identity needed: each
    /// lane starts from its first element): a global array of the other
    /// axes.
    pub(super) fn reduce_axis(
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
    pub(super) fn scan(
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
/// into pieces of about [`TILE`](crate::numpy::engine::TILE) elements, on the
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
    let chunk = (crate::numpy::engine::TILE / per).max(1);
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
