//! Owner computes: how a rank evaluates its part of an elementwise
//! operation.
//!
//! The output is a view of a global array. Each rank takes the part of the
//! view inside its own block (a rectangle in view coordinates, written in
//! place), cuts it wherever an operand crosses a block boundary, so each
//! piece of each operand lies in one block (borrowed from shared memory,
//! or fetched with one `get`), and evaluates each piece in tiles that fit
//! in cache.

use ndarray::{ArrayViewMutD, CowArray, Dimension, IxDyn};

use super::expr::{Bound, Expr, Node, child_cuts};
use super::geometry::{Rect, broadcast_shapes, child_rect};
use super::slicing::Selection;
use super::store::{Shared, StoreMut, local_region};
use crate::error::bail;
use crate::{Element, Result, Section};

/// Elements per tile: temporaries of this size stay in L1/L2.
pub(crate) const TILE: usize = 4096;

/// Synchronises each distinct array once.
pub(crate) fn sync_all(arrays: &[&dyn Shared]) -> Result<()> {
    let mut seen: Vec<usize> = Vec::with_capacity(arrays.len());
    for a in arrays {
        if !seen.contains(&a.id()) {
            seen.push(a.id());
            a.barrier_sync()?;
        }
    }
    Ok(())
}

/// An input of an elementwise operation, broadcast to the output's shape.
pub(crate) struct Operand<'n, E: Element> {
    pub node: std::sync::Arc<dyn Node<E> + 'n>,
    parent: Vec<usize>,
}

impl<'n, E: Element> Operand<'n, E> {
    /// Checks that `e` broadcasts to `parent` (the output's shape).
    pub(crate) fn new<D: Dimension>(parent: &[usize], e: Expr<'n, E, D>) -> Result<Self> {
        let node = e.node?;
        let s = node.shape();
        if s.len() > parent.len() || broadcast_shapes(&[parent, s])? != parent {
            bail!(
                ShapeMismatch,
                "an operand of shape {s:?} does not broadcast to the output's shape {parent:?}"
            );
        }
        Ok(Operand {
            node,
            parent: parent.to_vec(),
        })
    }

    pub(crate) fn cuts(&self, axis: usize, out: &mut Vec<usize>) {
        child_cuts(&self.parent, &*self.node, axis, out)
    }

    pub(crate) fn arrays<'s>(&'s self, out: &mut Vec<&'s dyn Shared>) {
        self.node.arrays(&mut |a, _| out.push(a));
    }

    pub(crate) fn bind(&self, rect: &Rect) -> Result<BoundOperand<'_, 'n, E>> {
        Ok(BoundOperand {
            bound: self
                .node
                .bind(&child_rect(&self.parent, self.node.shape(), rect))?,
            op: self,
        })
    }
}

pub(crate) struct BoundOperand<'s, 'n, E: Element> {
    bound: Box<dyn Bound<E> + 's>,
    op: &'s Operand<'n, E>,
}

impl<E: Element> BoundOperand<'_, '_, E> {
    /// The operand over `tile` (relative to the bound region), not yet
    /// broadcast.
    pub(crate) fn tile(&self, tile: &Rect) -> CowArray<'_, E, IxDyn> {
        self.bound
            .eval(&child_rect(&self.op.parent, self.op.node.shape(), tile))
    }
}

/// The part of view `sel` inside block `bsec`, in view coordinates.
fn rect_in_block(sel: &Selection, bsec: &Section) -> Option<Vec<(usize, usize)>> {
    if !sel.fixed_within(bsec.lo(), bsec.hi()) {
        return None;
    }
    let rect: Vec<(usize, usize)> = (0..sel.shape().len())
        .map(|k| match sel.base_of(k) {
            Some(b) => sel.positions_within(k, bsec.lo()[b], bsec.hi()[b]),
            None => (0, sel.shape()[k]),
        })
        .collect();
    rect.iter().all(|&(a, z)| z > a).then_some(rect)
}

/// Splits `rect` at `cuts` (per axis) into pieces, in C order.
pub(crate) fn pieces(
    rect: &Rect,
    cuts: &dyn Fn(usize, &mut Vec<usize>),
) -> Vec<Vec<(usize, usize)>> {
    let mut segs: Vec<Vec<usize>> = Vec::with_capacity(rect.len());
    for (k, &(a, z)) in rect.iter().enumerate() {
        let mut c = vec![a, z];
        cuts(k, &mut c);
        c.retain(|&x| x >= a && x <= z);
        c.sort_unstable();
        c.dedup();
        segs.push(c);
    }
    let mut out = vec![Vec::with_capacity(rect.len())];
    for s in &segs {
        out = out
            .into_iter()
            .flat_map(|p: Vec<(usize, usize)>| {
                s.windows(2).map(move |w| {
                    let mut q = p.clone();
                    q.push((w[0], w[1]));
                    q
                })
            })
            .collect();
    }
    out
}

/// Where [`tiles`] cuts a region of extents `ext`: the axis `split` whose
/// positions are taken `step` at a time, every axis before it one position
/// at a time, every axis after it whole; `None` when the region is one
/// tile.
fn tiling(ext: &[usize], size: usize) -> Option<(usize, usize)> {
    // The axis to split: the innermost one whose trailing product passes
    // `size`.
    let mut inner = 1usize;
    let mut k = ext.len();
    while k > 0 && inner * ext[k - 1] <= size {
        inner *= ext[k - 1];
        k -= 1;
    }
    (k > 0).then(|| (k - 1, (size / inner).max(1)))
}

/// Tiles of a region of extents `ext`, relative to it, in C order: whole
/// rows of the innermost axes, about [`TILE`] elements each.
pub(crate) fn tiles(ext: &[usize]) -> Vec<Vec<(usize, usize)>> {
    let Some((split, step)) = tiling(ext, TILE) else {
        return vec![ext.iter().map(|&e| (0, e)).collect()];
    };
    let mut out = Vec::new();
    let outer: usize = ext[..split].iter().product();
    for o in 0..outer {
        let mut idx = vec![0; split];
        let mut r = o;
        for d in (0..split).rev() {
            idx[d] = r % ext[d];
            r /= ext[d];
        }
        let mut s = 0;
        while s < ext[split] {
            let e = (s + step).min(ext[split]);
            let mut t: Vec<(usize, usize)> = idx.iter().map(|&i| (i, i + 1)).collect();
            t.push((s, e));
            t.extend(ext[split + 1..].iter().map(|&x| (0, x)));
            out.push(t);
            s = e;
        }
    }
    out
}

/// The tiles of `region` (those of [`tiles`] for its shape, in the same
/// order), each with its own part of the elements, writable: disjoint
/// views that threads may fill at once.
pub(crate) fn tiles_mut<T>(region: ArrayViewMutD<'_, T>) -> Vec<(Tile, ArrayViewMutD<'_, T>)> {
    tiles_mut_of(region, TILE)
}

/// The region cut for work whose result does not depend on where it is
/// cut (elementwise writes of plain views, no temporaries, no folds): as
/// [`tiles_mut`] with tiles of about `len / (4 × threads)` elements, at
/// least [`TILE`], so each thread takes a few large pieces instead of
/// thousands of small ones.
pub(crate) fn chunks_mut<T>(region: ArrayViewMutD<'_, T>) -> Vec<(Tile, ArrayViewMutD<'_, T>)> {
    let size = (region.len() / (4 * crate::threads::threads())).max(TILE);
    tiles_mut_of(region, size)
}

/// [`tiles_mut`] with tiles of about `size` elements.
fn tiles_mut_of<T>(region: ArrayViewMutD<'_, T>, size: usize) -> Vec<(Tile, ArrayViewMutD<'_, T>)> {
    let ext = region.shape().to_vec();
    let mut out = Vec::new();
    match tiling(&ext, size) {
        None => out.push((ext.iter().map(|&e| (0, e)).collect(), region)),
        Some((split, step)) => cut(region, 0, split, step, &mut Vec::new(), &mut out),
    }
    out
}

/// Cuts `view` (axes `axis..` of a region; `at` the positions taken on
/// the axes before) as [`tiles`] does, appending the tiles to `out`.
fn cut<'r, T>(
    mut view: ArrayViewMutD<'r, T>,
    axis: usize,
    split: usize,
    step: usize,
    at: &mut Vec<(usize, usize)>,
    out: &mut Vec<(Tile, ArrayViewMutD<'r, T>)>,
) {
    let len = view.shape()[axis];
    let width = if axis < split { 1 } else { step };
    let mut s = 0;
    while s < len {
        let e = (s + width).min(len);
        let (head, rest) = view.split_at(ndarray::Axis(axis), e - s);
        view = rest;
        at.push((s, e));
        if axis < split {
            cut(head, axis + 1, split, step, at, out);
        } else {
            let mut rect = at.clone();
            rect.extend(head.shape()[axis + 1..].iter().map(|&x| (0, x)));
            out.push((rect, head));
        }
        at.pop();
        s = e;
    }
}

/// A tile's region, `lo..hi` per axis.
pub(crate) type Tile = Vec<(usize, usize)>;

/// Runs `body` on each piece of this rank's part of view `sel` of `out`,
/// with the piece's region (view coordinates) and its elements, writable.
/// Synchronises `out` and the `inputs` first and `out` at the end, on
/// every rank even if a piece fails. An `out` mapped read-only is
/// `ReadOnly` on every rank before any of that (every rank knows it).
pub(crate) fn run<T: Element>(
    out: &mut dyn StoreMut<T>,
    sel: &Selection,
    inputs: &[&dyn Shared],
    cuts: &dyn Fn(usize, &mut Vec<usize>),
    mut body: impl FnMut(&Rect, ArrayViewMutD<'_, T>) -> Result<()>,
) -> Result<()> {
    out.check_writable()?;
    let mut all: Vec<&dyn Shared> = vec![out.as_store().shared()];
    all.extend_from_slice(inputs);
    sync_all(&all)?;
    let me = out.rt().rank();
    let block = out.dist().block(me);
    let result = (|| {
        let Some(bsec) = block else { return Ok(()) };
        let Some(rect) = rect_in_block(sel, &bsec) else {
            return Ok(());
        };
        for piece in pieces(&rect, cuts) {
            let region = local_region(out.local_dyn_mut(), &bsec, sel, &piece);
            body(&piece, region)?;
        }
        Ok(())
    })();
    out.barrier_sync()?;
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiles_mut_cuts_as_tiles_does() {
        for ext in [
            vec![10_000],
            vec![3, 5000],
            vec![7, 700, 3],
            vec![2, 3, 4, 1000],
            vec![50, 50],
            vec![0, 9000],
            vec![5000, 0],
            vec![],
        ] {
            let n: usize = ext.iter().product();
            let mut a = ndarray::ArrayD::<usize>::zeros(IxDyn(&ext));
            let cut = tiles_mut(a.view_mut());
            let rects: Vec<_> = cut.iter().map(|(r, _)| r.clone()).collect();
            assert_eq!(rects, tiles(&ext), "extents {ext:?}");
            // Each tile's view is its rectangle of the region.
            for (i, (rect, mut v)) in cut.into_iter().enumerate() {
                let want: Vec<usize> = rect.iter().map(|&(a, z)| z - a).collect();
                assert_eq!(v.shape(), &want[..]);
                v.fill(i + 1);
            }
            for (i, rect) in tiles(&ext).iter().enumerate() {
                let part = crate::numpy::geometry::narrow(a.view(), rect.iter().copied());
                assert!(part.iter().all(|&x| x == i + 1), "extents {ext:?}");
            }
            assert!(n == 0 || a.iter().all(|&x| x > 0));
        }
    }

    #[test]
    fn chunks_cover_the_region_once_in_few_pieces() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        pool.install(|| {
            for ext in [
                vec![1 << 20],
                vec![4000, 998],
                vec![3, 5000],
                vec![10],
                vec![],
            ] {
                let n: usize = ext.iter().product();
                let mut a = ndarray::ArrayD::<usize>::zeros(IxDyn(&ext));
                let cut = chunks_mut(a.view_mut());
                // Large regions: four pieces a thread (rows of 998 are
                // taken 500 at a time, 2^20 elements 2^17).
                if n >= 1 << 20 {
                    assert_eq!(cut.len(), 8, "{ext:?}");
                }
                for (rect, mut v) in cut {
                    let want: Vec<usize> = rect.iter().map(|&(a, z)| z - a).collect();
                    assert_eq!(v.shape(), &want[..]);
                    v.map_inplace(|x| *x += 1);
                }
                assert!(a.iter().all(|&x| x == 1), "extents {ext:?}");
            }
        });
    }
}
