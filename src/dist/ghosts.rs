//! Ghost cells as index math: the layout of a block padded by ghost
//! widths, and which neighbour fills which part of a block's halo. Pure,
//! no MPI; `GlobalArray`'s ghost updates (`src/array/ghosts/`) move the
//! data.
//!
//! A block `lo..hi` with ghost widths `w` is stored padded: `hi - lo + 2w`
//! elements along each axis, the block itself (the interior) at
//! `w..w + (hi - lo)` of the padded box. The halo on the low side of axis
//! `a` is the `w[a]` layers before the interior, filled from the block
//! before this one along `a` in the process grid (its last `w[a]` interior
//! layers); the high side from the block after it (its first `w[a]`). On a
//! periodic axis the first and the last blocks are neighbours; on another
//! axis the outermost blocks have no neighbour there and that side of
//! their halo is never written.

use super::{Distribution, Section};
use crate::error::{Result, bail};

/// Which side of an axis a ghost region lies on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    /// Before the interior (lower indices): filled by the previous block.
    Low,
    /// After the interior: filled by the next block.
    High,
}

/// One copy of a ghost update: rank `from`'s padded block, box `src`,
/// into the updating rank's padded block, box `dst` (same shape).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GhostFill {
    pub from: usize,
    pub src: Section,
    pub dst: Section,
}

/// Checks ghost widths and periodic flags against a distribution: one of
/// each per axis, and no width wider than any block along its axis (a
/// halo then needs a single neighbour). An array without blocks takes any
/// widths.
///
/// Errors: [`DimensionMismatch`](crate::ErrorKind::DimensionMismatch)
/// when `widths` or `periodic` do not have one entry per axis;
/// [`InvalidArgument`](crate::ErrorKind::InvalidArgument) for a width
/// larger than a block.
pub(crate) fn check(dist: &Distribution, widths: &[usize], periodic: &[bool]) -> Result<()> {
    let n = dist.ndim();
    if widths.len() != n || periodic.len() != n {
        bail!(
            DimensionMismatch,
            "{} ghost widths and {} periodic flags for a {n}-d array",
            widths.len(),
            periodic.len()
        );
    }
    if dist.grid().contains(&0) {
        return Ok(()); // no blocks
    }
    for (d, &w) in widths.iter().enumerate() {
        let narrowest = dist.bounds(d).windows(2).map(|b| b[1] - b[0]).min();
        if let Some(m) = narrowest
            && w > m
        {
            bail!(
                InvalidArgument,
                "ghost width {w} along axis {d} is wider than a block ({m} elements; \
                 block starts {:?}): a halo must come from one neighbour",
                &dist.bounds(d)[..dist.bounds(d).len() - 1]
            );
        }
    }
    Ok(())
}

/// The shape of `block` padded by `widths`.
pub(crate) fn padded_shape(block: &Section, widths: &[usize]) -> Vec<usize> {
    block
        .shape()
        .iter()
        .zip(widths)
        .map(|(&n, &w)| n + 2 * w)
        .collect()
}

/// `part` (global coordinates, inside `block`) in the coordinates of
/// `block`'s padded box.
pub(crate) fn in_padded(part: &Section, block: &Section, widths: &[usize]) -> Section {
    Section::from_fn(part.ndim(), |d| {
        let (lo, w) = (block.lo()[d], widths[d]);
        (part.lo()[d] - lo + w, part.hi()[d] - lo + w)
    })
}

/// The copy that fills the halo of `rank`'s block on `side` of `axis`,
/// `None` when there is nothing to fill: a zero width, no block, or no
/// neighbour there (the boundary of a non-periodic axis).
///
/// Along the other axes the copy covers the interior, extended over the
/// halo along the axes `e` with `extend(e)` (the corners), except on a
/// side of `e` where the block has no neighbour, whose halo stays
/// untouched. The extended part reads the neighbour's own halo, so it is
/// right once the neighbour's halo along `e` has been updated.
pub(crate) fn fill(
    dist: &Distribution,
    widths: &[usize],
    periodic: &[bool],
    rank: usize,
    axis: usize,
    side: Side,
    extend: impl Fn(usize) -> bool,
) -> Option<GhostFill> {
    let w = widths[axis];
    let block = dist.block(rank)?;
    if w == 0 {
        return None;
    }
    let grid = dist.grid();
    let coords = grid_coords(grid, rank);
    let c = coords[axis];
    let nc = match side {
        Side::Low if c > 0 => c - 1,
        Side::Low if periodic[axis] => grid[axis] - 1,
        Side::High if c + 1 < grid[axis] => c + 1,
        Side::High if periodic[axis] => 0,
        _ => return None,
    };
    let from = coords
        .iter()
        .enumerate()
        .fold(0, |r, (d, &x)| r * grid[d] + if d == axis { nc } else { x });
    let theirs = dist.block(from).expect("a grid neighbour owns a block");
    let (n_mine, n_theirs) = (block.shape()[axis], theirs.shape()[axis]);
    let ndim = dist.ndim();
    let span = |d: usize| -> (usize, usize) {
        let n = block.shape()[d];
        if d == axis || !extend(d) {
            return (widths[d], widths[d] + n);
        }
        let low = periodic[d] || coords[d] > 0;
        let high = periodic[d] || coords[d] + 1 < grid[d];
        let lo = if low { 0 } else { widths[d] };
        let hi = widths[d] + n + if high { widths[d] } else { 0 };
        (lo, hi)
    };
    let (dst_axis, src_axis) = match side {
        // Our low halo: their last `w` interior layers.
        Side::Low => ((0, w), (n_theirs, n_theirs + w)),
        // Our high halo: their first `w` interior layers.
        Side::High => ((w + n_mine, 2 * w + n_mine), (w, 2 * w)),
    };
    let dst = Section::from_fn(ndim, |d| if d == axis { dst_axis } else { span(d) });
    let src = Section::from_fn(ndim, |d| if d == axis { src_axis } else { span(d) });
    Some(GhostFill { from, src, dst })
}

/// One neighbour of a rank in the message-passing update of one axis
/// (GA's `pnga_update4_ghosts`): the rank sends its box `send` to `peer`
/// and receives `peer`'s cells into its box `recv` (both in the
/// coordinates of the rank's padded block), on `side` of the axis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Exchange {
    pub side: Side,
    pub peer: usize,
    pub send: Section,
    pub recv: Section,
}

/// The exchanges of `rank` along `axis` in a full update done axis by
/// axis: one per side with a neighbour (none for a zero width, no block,
/// or the boundary of a non-periodic axis). The boxes span the halo of
/// the axes before `axis` (the corners ride along). Neighbours are
/// mutual: `peer`'s exchange on the other side names `rank`, with the
/// boxes swapped in extents, so messages pair up one to one.
pub(crate) fn exchanges(
    dist: &Distribution,
    widths: &[usize],
    periodic: &[bool],
    rank: usize,
    axis: usize,
) -> Vec<Exchange> {
    let before = |e: usize| e < axis;
    [(Side::Low, Side::High), (Side::High, Side::Low)]
        .into_iter()
        .filter_map(|(side, other)| {
            let f = fill(dist, widths, periodic, rank, axis, side, before)?;
            let back = fill(dist, widths, periodic, f.from, axis, other, before)
                .expect("neighbours are mutual");
            debug_assert_eq!(back.from, rank, "neighbours are mutual");
            Some(Exchange {
                side,
                peer: f.from,
                send: back.src,
                recv: f.dst,
            })
        })
        .collect()
}

/// Row-major grid coordinates of the block of `rank`.
fn grid_coords(grid: &[usize], rank: usize) -> Vec<usize> {
    let mut c = vec![0; grid.len()];
    let mut rem = rank;
    for d in (0..grid.len()).rev() {
        c[d] = rem % grid[d];
        rem /= grid[d];
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{ArrayD, IxDyn};

    /// Runs every fill of a full update (axis by axis, corners extended
    /// over the axes already done) on padded blocks holding a numbered
    /// global array, and checks each block against the padded global
    /// array (wrapped on periodic axes; untouched, here -1, outside).
    fn full_update(shape: &[usize], nranks: usize, widths: &[usize], periodic: &[bool]) {
        let dist = Distribution::regular(shape, nranks, None).unwrap();
        check(&dist, widths, periodic).unwrap();
        let n = shape.len();
        let global = ArrayD::from_shape_fn(IxDyn(shape), |i| {
            (0..n).fold(0i64, |a, d| a * 100 + i[d] as i64)
        });
        let mut padded: Vec<Option<ArrayD<i64>>> = (0..nranks)
            .map(|r| {
                dist.block(r).map(|b| {
                    let mut p = ArrayD::from_elem(IxDyn(&padded_shape(&b, widths)), -1);
                    let inner = in_padded(&b, &b, widths);
                    super::super::narrow(p.view_mut(), &inner)
                        .assign(&super::super::narrow(global.view(), &b));
                    p
                })
            })
            .collect();
        for axis in 0..n {
            let before = padded.clone();
            for (r, dst) in padded.iter_mut().enumerate() {
                for side in [Side::Low, Side::High] {
                    let Some(f) = fill(&dist, widths, periodic, r, axis, side, |e| e < axis) else {
                        continue;
                    };
                    let src = super::super::narrow(before[f.from].as_ref().unwrap().view(), &f.src)
                        .to_owned();
                    let dst = dst.as_mut().unwrap();
                    super::super::narrow(dst.view_mut(), &f.dst).assign(&src);
                }
            }
        }
        for (r, p) in padded.iter().enumerate() {
            let Some(b) = dist.block(r) else { continue };
            let p = p.as_ref().unwrap();
            for (i, &v) in p.indexed_iter() {
                let mut want = Some(());
                let mut g = vec![0usize; n];
                for d in 0..n {
                    let x = b.lo()[d] as isize + i[d] as isize - widths[d] as isize;
                    let m = shape[d] as isize;
                    if (0..m).contains(&x) {
                        g[d] = x as usize;
                    } else if periodic[d] {
                        g[d] = x.rem_euclid(m) as usize;
                    } else {
                        want = None;
                    }
                }
                let want = want.map_or(-1, |()| global[IxDyn(&g)]);
                assert_eq!(v, want, "rank {r} padded {i:?}");
            }
        }
    }

    #[test]
    fn updates_match_the_padded_global_array() {
        full_update(&[10], 3, &[2], &[true]);
        full_update(&[10], 3, &[2], &[false]);
        full_update(&[7, 9], 4, &[1, 2], &[true, false]);
        full_update(&[9, 9], 4, &[2, 2], &[false, true]);
        full_update(&[6, 5, 4], 4, &[1, 1, 2], &[true, true, false]);
        full_update(&[6, 5, 4], 1, &[2, 3, 1], &[true, false, true]);
        full_update(&[5, 4], 2, &[0, 1], &[true, true]);
    }

    /// The exchanges of every rank, applied axis by axis as messages, give
    /// what the fills give (`full_update`'s padded global array).
    #[test]
    fn exchanges_pair_up_and_fill_the_halo() {
        for (shape, nranks, widths, periodic) in [
            (vec![10], 3, vec![2], vec![true]),
            (vec![7, 9], 4, vec![1, 2], vec![true, false]),
            (vec![9, 9], 4, vec![2, 2], vec![false, true]),
            (vec![6, 5, 4], 4, vec![1, 1, 2], vec![true, true, false]),
            (vec![6, 5, 4], 1, vec![2, 3, 1], vec![true, false, true]),
            (vec![5, 4], 2, vec![0, 1], vec![true, true]),
            (vec![8, 4], 2, vec![1, 1], vec![true, true]),
        ] {
            let dist = Distribution::regular(&shape, nranks, None).unwrap();
            for axis in 0..shape.len() {
                for r in 0..nranks {
                    let fills: Vec<_> = [Side::Low, Side::High]
                        .into_iter()
                        .filter_map(|s| fill(&dist, &widths, &periodic, r, axis, s, |e| e < axis))
                        .collect();
                    let ex = exchanges(&dist, &widths, &periodic, r, axis);
                    assert_eq!(ex.len(), fills.len());
                    for (x, f) in ex.iter().zip(&fills) {
                        assert_eq!((x.peer, x.recv), (f.from, f.dst));
                        // The peer sends exactly the box the fill reads.
                        let theirs = exchanges(&dist, &widths, &periodic, x.peer, axis);
                        let back = theirs
                            .iter()
                            .find(|y| y.peer == r && y.side != x.side)
                            .unwrap();
                        assert_eq!(back.send, f.src);
                        assert_eq!(back.send.shape(), x.recv.shape());
                    }
                }
            }
        }
    }

    #[test]
    fn widths_are_checked() {
        let dist = Distribution::regular(&[10, 4], 4, None).unwrap();
        assert!(check(&dist, &[1, 2], &[false, false]).is_ok());
        let e = check(&dist, &[1, 3], &[false, false]).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::InvalidArgument);
        let e = check(&dist, &[1], &[false, false]).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::DimensionMismatch);
        let empty = Distribution::regular(&[0, 4], 4, None).unwrap();
        assert!(check(&empty, &[5, 5], &[true, true]).is_ok());
    }
}
