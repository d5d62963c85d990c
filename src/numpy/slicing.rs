//! Slice arithmetic: which elements of a base array a view selects. Pure
//! index math, no MPI.
//!
//! A [`Selection`] keeps, per base axis, the index of the first selected
//! element and the step, and per view axis, the base axis it walks (or
//! none, for an inserted length-1 axis) and its length. Slicing a view
//! composes into a new `Selection` of the same base, so a view of a view
//! costs nothing more than a view. Slices follow ndarray's `s!` rules
//! exactly (a negative step walks the range backwards from its end).

use ndarray::{Slice, SliceInfoElem};

use super::geometry::Rect;
use crate::Section;
use crate::error::{Result, bail};

/// The elements of a base array that a view selects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Selection {
    /// Per base axis: the first selected index (for an axis removed by an
    /// integer index: that index).
    start: Vec<usize>,
    /// Per base axis: the step between selected indices.
    step: Vec<isize>,
    /// Per view axis: the base axis it walks (`None`: inserted axis), and
    /// its length.
    axes: Vec<(Option<usize>, usize)>,
}

impl Selection {
    /// Every element of an array of `shape`.
    pub(crate) fn full(shape: &[usize]) -> Self {
        Selection {
            start: vec![0; shape.len()],
            step: vec![1; shape.len()],
            axes: shape
                .iter()
                .enumerate()
                .map(|(b, &n)| (Some(b), n))
                .collect(),
        }
    }

    /// The view's shape.
    pub(crate) fn shape(&self) -> Vec<usize> {
        self.axes.iter().map(|&(_, n)| n).collect()
    }

    /// The number of base axes.
    pub(crate) fn base_ndim(&self) -> usize {
        self.start.len()
    }

    /// Whether the selection is the whole base array in order.
    pub(crate) fn is_full(&self, base_shape: &[usize]) -> bool {
        *self == Selection::full(base_shape)
    }

    /// The base axis view axis `k` walks (`None`: an inserted axis).
    pub(crate) fn base_of(&self, k: usize) -> Option<usize> {
        self.axes[k].0
    }

    /// The view axis walking base axis `b`, if any.
    pub(crate) fn view_axis_of(&self, b: usize) -> Option<usize> {
        self.axes.iter().position(|&(a, _)| a == Some(b))
    }

    /// Applies ndarray slice info (as from `s![..]`) to the view: composes
    /// the two selections into one.
    ///
    /// Errors: `DimensionMismatch` when the info has a different number of
    /// non-`NewAxis` entries than the view has axes; `OutOfBounds` for an
    /// index or slice bound outside an axis; `InvalidArgument` for a zero
    /// step.
    pub(crate) fn slice(&self, info: &[SliceInfoElem]) -> Result<Selection> {
        let consumed = info
            .iter()
            .filter(|e| !matches!(e, SliceInfoElem::NewAxis))
            .count();
        if consumed != self.axes.len() {
            bail!(
                DimensionMismatch,
                "slice has {consumed} entries for a view of {} dimensions",
                self.axes.len()
            );
        }
        let mut out = Selection {
            start: self.start.clone(),
            step: self.step.clone(),
            axes: Vec::with_capacity(info.len()),
        };
        let mut axis = 0;
        for elem in info {
            match *elem {
                SliceInfoElem::NewAxis => out.axes.push((None, 1)),
                SliceInfoElem::Index(i) => {
                    let (base, len) = self.axes[axis];
                    let j = abs_index(len, i, axis)?;
                    if j >= len {
                        bail!(
                            OutOfBounds,
                            "index {i} on axis {axis} of length {len} (view shape {:?})",
                            self.shape()
                        );
                    }
                    if let Some(b) = base {
                        out.start[b] = self.base_index(b, j);
                    }
                    axis += 1;
                }
                SliceInfoElem::Slice { start, end, step } => {
                    let (base, len) = self.axes[axis];
                    let (first, n, step) = resolve(len, Slice { start, end, step }, axis)?;
                    if let Some(b) = base {
                        if n > 0 {
                            out.start[b] = self.base_index(b, first);
                        }
                        out.step[b] = self.step[b] * step;
                    }
                    out.axes.push((base, n));
                    axis += 1;
                }
            }
        }
        Ok(out)
    }

    /// The base index of position `j` on the view axis walking base axis `b`.
    fn base_index(&self, b: usize, j: usize) -> usize {
        (self.start[b] as isize + j as isize * self.step[b]) as usize
    }

    /// The part of the base array that view region `rect` (per view axis
    /// `lo..hi`, none empty) touches: the smallest contiguous section
    /// holding it, and per base axis the step to walk it with (negative:
    /// backwards from the section's end). Steps of ±1 read the section
    /// exactly; larger steps read it with gaps.
    pub(crate) fn base_region(&self, rect: &Rect) -> (Section, Vec<isize>) {
        let nb = self.base_ndim();
        let mut lo: Vec<usize> = self.start.clone();
        let mut hi: Vec<usize> = self.start.iter().map(|&s| s + 1).collect();
        let mut steps = vec![1; nb];
        for (&(base, _), &(a, z)) in self.axes.iter().zip(rect) {
            if let Some(b) = base {
                let (x, y) = (self.base_index(b, a), self.base_index(b, z - 1));
                lo[b] = x.min(y);
                hi[b] = x.max(y) + 1;
                steps[b] = self.step[b];
            }
        }
        (Section::from_fn(nb, |b| (lo[b], hi[b])), steps)
    }

    /// The range of positions on view axis `k` whose base index lies in
    /// `lo..hi` (a contiguous range, possibly empty). Inserted axes are
    /// wholly inside.
    pub(crate) fn positions_within(&self, k: usize, lo: usize, hi: usize) -> (usize, usize) {
        let (base, len) = self.axes[k];
        let Some(b) = base else { return (0, len) };
        let (s, st) = (self.start[b] as i128, self.step[b] as i128);
        let (lo, hi) = (lo as i128, hi as i128);
        // Positions j with lo <= s + j*st < hi.
        let (a, z) = if st > 0 {
            (ceil_div(lo - s, st), ceil_div(hi - s, st))
        } else {
            (ceil_div(s - hi + 1, -st), ceil_div(s - lo + 1, -st))
        };
        let clamp = |x: i128| x.clamp(0, len as i128) as usize;
        let (a, z) = (clamp(a), clamp(z));
        (a, z.max(a))
    }

    /// Whether every base axis that no view axis walks (removed by an
    /// integer index) has its index in `lo..hi` per axis.
    pub(crate) fn fixed_within(&self, lo: &[usize], hi: &[usize]) -> bool {
        (0..self.base_ndim()).all(|b| {
            self.view_axis_of(b).is_some() || (lo[b] <= self.start[b] && self.start[b] < hi[b])
        })
    }

    /// Positions on view axis `k` where the base index crosses one of the
    /// block boundaries `bounds` of its base axis: where a view chunk must
    /// be cut to stay within one block. Sorted, inside `1..len`.
    pub(crate) fn cuts(&self, k: usize, bounds: &[usize], out: &mut Vec<usize>) {
        let (base, len) = self.axes[k];
        if base.is_none() || len < 2 {
            return;
        }
        for w in bounds.windows(2) {
            let (a, z) = self.positions_within(k, w[0], w[1]);
            for c in [a, z] {
                if c > 0 && c < len {
                    out.push(c);
                }
            }
        }
    }

    /// View axes removed from the base by integer indices (base axes no
    /// view axis walks), in base order.
    pub(crate) fn removed_base_axes(&self) -> Vec<usize> {
        (0..self.base_ndim())
            .filter(|&b| self.view_axis_of(b).is_none())
            .collect()
    }

    /// Positions of inserted axes in the view.
    pub(crate) fn inserted_axes(&self) -> Vec<usize> {
        (0..self.axes.len())
            .filter(|&k| self.axes[k].0.is_none())
            .collect()
    }
}

fn ceil_div(a: i128, b: i128) -> i128 {
    (a + b - 1).div_euclid(b)
}

/// ndarray's absolute index, with an error where ndarray would panic.
fn abs_index(len: usize, i: isize, axis: usize) -> Result<usize> {
    if i < 0 {
        let back = i.unsigned_abs();
        if back > len {
            bail!(OutOfBounds, "index {i} on axis {axis} of length {len}");
        }
        Ok(len - back)
    } else {
        Ok(i as usize)
    }
}

/// ndarray's `do_slice` on an axis of length `len`: the first position,
/// the count and the step, or an error where ndarray would panic.
fn resolve(len: usize, s: Slice, axis: usize) -> Result<(usize, usize, isize)> {
    if s.step == 0 {
        bail!(InvalidArgument, "slice step 0 on axis {axis}");
    }
    let start = abs_index(len, s.start, axis)?;
    let end = abs_index(len, s.end.unwrap_or(len as isize), axis)?;
    if start > len || end > len {
        bail!(
            OutOfBounds,
            "slice {}..{} on axis {axis} of length {len}",
            s.start,
            s.end.map_or(String::new(), |e| e.to_string())
        );
    }
    let end = end.max(start);
    let m = end - start;
    let n = m.div_ceil(s.step.unsigned_abs());
    let first = if s.step < 0 && m > 0 { end - 1 } else { start };
    Ok((first, n, s.step))
}

#[cfg(test)]
#[allow(clippy::reversed_empty_ranges)]
mod tests {
    use super::*;
    use ndarray::{Array, ArrayD, IxDyn, NewAxis, s};

    /// Reads the view through its selection, element by element.
    fn read(base: &ArrayD<i64>, sel: &Selection) -> ArrayD<i64> {
        let shape = sel.shape();
        Array::from_shape_fn(IxDyn(&shape), |idx| {
            let mut b = sel.start.clone();
            for (k, &(base_axis, _)) in sel.axes.iter().enumerate() {
                if let Some(ax) = base_axis {
                    b[ax] = sel.base_index(ax, idx[k]);
                }
            }
            base[IxDyn(&b)]
        })
    }

    fn numbered(shape: &[usize]) -> ArrayD<i64> {
        let n = shape.iter().product::<usize>() as i64;
        Array::from_shape_vec(IxDyn(shape), (0..n).collect()).unwrap()
    }

    #[test]
    fn matches_ndarray_slicing_and_composes() {
        let base = numbered(&[7, 9, 4]);
        let sel = Selection::full(&[7, 9, 4]);
        let v = sel.slice(s![1..-1, ..;-2, 2].as_ref()).unwrap();
        let want = base.slice(s![1..-1, ..;-2, 2]).to_owned().into_dyn();
        assert_eq!(read(&base, &v), want);
        let w = v.slice(s![NewAxis, ..;-1, 1..3;2].as_ref()).unwrap();
        let want2 = want.slice(s![NewAxis, ..;-1, 1..3;2]).to_owned().into_dyn();
        assert_eq!(read(&base, &w), want2);
        let x = w.slice(s![0, -2, ..].as_ref()).unwrap();
        assert_eq!(
            read(&base, &x),
            want2.slice(s![0, -2, ..]).to_owned().into_dyn()
        );
    }

    #[test]
    fn regions_positions_and_cuts() {
        let sel = Selection::full(&[10]).slice(s![..;-3].as_ref()).unwrap();
        // Selects 9, 6, 3, 0.
        assert_eq!(sel.shape(), vec![4]);
        let (sec, steps) = sel.base_region(&[(1, 3)]);
        assert_eq!((sec.lo()[0], sec.hi()[0], steps[0]), (3, 7, -3));
        assert_eq!(sel.positions_within(0, 4, 10), (0, 2));
        assert_eq!(sel.positions_within(0, 0, 4), (2, 4));
        let mut cuts = vec![];
        sel.cuts(0, &[0, 4, 10], &mut cuts);
        cuts.sort();
        cuts.dedup();
        assert_eq!(cuts, vec![2]);
    }

    #[test]
    fn bad_slices_are_errors() {
        let sel = Selection::full(&[5, 5]);
        assert!(sel.slice(s![.., 5].as_ref()).is_err());
        assert!(sel.slice(s![..6, ..].as_ref()).is_err());
        assert!(sel.slice(s![-6.., ..].as_ref()).is_err());
        assert!(sel.slice(s![..].as_ref()).is_err());
        let zero_step = SliceInfoElem::Slice {
            start: 0,
            end: None,
            step: 0,
        };
        let e = sel.slice(&[zero_step, 0.into()]);
        assert!(e.is_err());
        assert_eq!(
            sel.slice(s![3..1, ..].as_ref()).unwrap().shape(),
            vec![0, 5]
        );
    }
}
