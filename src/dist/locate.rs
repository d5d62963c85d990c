//! Element lookups for element lists: the owner of an N-d index and its
//! row-major offset in the owner's stored (ghost-padded) block, in one
//! pass over the axes, with everything the pass reads gathered once per
//! list ([`Locator`]) so that the per-element work is a few compares and
//! multiply-adds.

use super::{Distribution, MAX_DIMS};

/// The most inner bounds an axis may have for its block to be found by
/// counting them rather than by a binary search.
const LINEAR: usize = 16;

/// The most blocks along an axis for its lookups to come from a
/// [`Small`] table.
const SMALL_GRID: usize = 5;

/// One axis of at most [`SMALL_GRID`] blocks, as fixed-size tables: its
/// block is found by comparing the coordinate with every inner bound (no
/// branches, no length), and its start and padded extent read without a
/// bounds check (the block is masked into the table).
#[derive(Clone, Copy, Default)]
struct Small {
    /// The inner bounds, padded with `usize::MAX` (above every coordinate).
    inner: [usize; SMALL_GRID - 1],
    /// Per block: the ghost width less its first coordinate (wrapping), so
    /// that a coordinate plus it is the coordinate in the padded block.
    shift: [usize; 8],
    /// Per block: its extent padded by the ghost width on both sides.
    extent: [usize; 8],
}

/// The per-axis facts an element lookup reads, copied out of a
/// [`Distribution`] and the ghost widths once per list.
pub(crate) struct Locator<'a> {
    ndim: usize,
    /// Each axis' block bounds (`Distribution::bounds`).
    bounds: [&'a [usize]; MAX_DIMS],
    /// Each axis' inner bounds: those between its blocks (all but the
    /// first and last).
    inner: [&'a [usize]; MAX_DIMS],
    /// Blocks per axis.
    grid: [usize; MAX_DIMS],
    /// Ghost width per axis: a block is stored padded by it on each side.
    widths: [usize; MAX_DIMS],
    /// Whether every axis has at most [`SMALL_GRID`] blocks, so that
    /// `small` holds the lookups.
    all_small: bool,
    small: [Small; MAX_DIMS],
}

impl<'a> Locator<'a> {
    /// The lookups of `dist` for blocks stored padded by `widths` (one per
    /// axis).
    pub(crate) fn new(dist: &'a Distribution, widths: &[usize]) -> Locator<'a> {
        let ndim = dist.ndim();
        let mut bounds: [&[usize]; MAX_DIMS] = [&[]; MAX_DIMS];
        let mut inner: [&[usize]; MAX_DIMS] = [&[]; MAX_DIMS];
        let mut grid = [1; MAX_DIMS];
        let mut w = [0; MAX_DIMS];
        for d in 0..ndim {
            bounds[d] = dist.bounds(d);
            inner[d] = bounds[d]
                .get(1..bounds[d].len().saturating_sub(1))
                .unwrap_or(&[]);
            grid[d] = dist.grid()[d];
            w[d] = widths[d];
        }
        let all_small = (0..ndim).all(|d| bounds[d].len() <= SMALL_GRID + 1);
        let mut small = [Small::default(); MAX_DIMS];
        if all_small {
            for (d, t) in small.iter_mut().enumerate().take(ndim) {
                t.inner = [usize::MAX; SMALL_GRID - 1];
                t.inner[..inner[d].len()].copy_from_slice(inner[d]);
                for (c, b) in bounds[d].windows(2).enumerate() {
                    t.shift[c] = w[d].wrapping_sub(b[0]);
                    t.extent[c] = b[1] - b[0] + 2 * w[d];
                }
            }
        }
        Locator {
            ndim,
            bounds,
            inner,
            grid,
            widths: w,
            all_small,
            small,
        }
    }

    /// The owner of `index` (inside the shape, one coordinate per axis:
    /// the caller checked) and its row-major offset in the owner's block
    /// padded by the ghost widths: per axis, the block that holds the
    /// coordinate, then the coordinate from the block's low corner.
    #[inline]
    pub(crate) fn element_at(&self, index: &[usize]) -> (usize, usize) {
        let mut rank = 0;
        let mut offset = 0;
        if self.all_small {
            for (d, &i) in index.iter().enumerate().take(self.ndim) {
                let t = &self.small[d];
                let c: usize = t.inner.iter().map(|&s| usize::from(s <= i)).sum();
                // `c < SMALL_GRID` already; the mask lets the compiler see
                // it, so the table reads need no bounds checks.
                let c = c & 7;
                rank = rank * self.grid[d] + c;
                offset = offset * t.extent[c] + i.wrapping_add(t.shift[c]);
            }
            return (rank, offset);
        }
        for (d, &i) in index.iter().enumerate().take(self.ndim) {
            let b = self.bounds[d];
            // The block is the number of inner bounds at or below `i`:
            // counted without branches for the few blocks of most axes,
            // by a binary search for many.
            let inner = self.inner[d];
            let c = if inner.len() <= LINEAR {
                inner.iter().map(|&s| usize::from(s <= i)).sum()
            } else {
                inner.partition_point(|&s| s <= i)
            };
            let (lo, hi) = (b[c], b[c + 1]);
            let w = self.widths[d];
            rank = rank * self.grid[d] + c;
            offset = offset * (hi - lo + 2 * w) + (i - lo + w);
        }
        (rank, offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dist::ghosts::padded_shape;

    /// Every element of a few distributions, with and without ghosts,
    /// against the owner and the block offset computed the long way.
    #[test]
    fn element_at_matches_owner_and_block_offset() {
        for (shape, nranks, widths) in [
            (vec![10], 3, vec![0]),
            (vec![7, 5], 4, vec![1, 0]),
            (vec![4, 3, 5], 6, vec![0, 2, 1]),
            (vec![3], 5, vec![1]),
            (vec![40], 40, vec![0]),
            (vec![60, 2], 30, vec![2, 1]),
        ] {
            let dist = Distribution::regular(&shape, nranks, None).unwrap();
            let loc = Locator::new(&dist, &widths);
            let total: usize = shape.iter().product();
            for flat in 0..total {
                let mut index = vec![0; shape.len()];
                let mut rem = flat;
                for d in (0..shape.len()).rev() {
                    index[d] = rem % shape[d];
                    rem /= shape[d];
                }
                let rank = dist.owner(&index).unwrap();
                let block = dist.block(rank).unwrap();
                let padded = padded_shape(&block, &widths);
                let offset = (0..shape.len()).fold(0, |acc, d| {
                    acc * padded[d] + (index[d] - block.lo()[d] + widths[d])
                });
                assert_eq!(
                    loc.element_at(&index),
                    (rank, offset),
                    "{shape:?} {index:?}"
                );
            }
        }
    }
}
