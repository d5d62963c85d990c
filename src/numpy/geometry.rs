//! Shape geometry of the NumPy layer, pure: regions in view coordinates,
//! NumPy's broadcasting rules, and narrowing an ndarray to a region. It
//! imports nothing from the rest of the layer, so every other module may
//! use it.

use ndarray::{ArrayBase, Axis, Dimension, RawData, Slice};

use crate::error::bail;
use crate::{Result, Section};

/// A region in the coordinates of a view or an expression: per axis,
/// `lo..hi`. Not a [`Section`]: a section is a box of one global array's
/// index space, at most [`MAX_DIMS`](crate::MAX_DIMS) dimensions; a region
/// has one entry per axis of a view (which `NewAxis` entries may make
/// longer than its array's) or of a broadcast expression (whose ndarray
/// operands may have any number of axes), and maps to an array's
/// coordinates only through a selection (`Selection::base_region`).
pub(crate) type Rect = [(usize, usize)];

/// NumPy's broadcast of several shapes.
pub(crate) fn broadcast_shapes(shapes: &[&[usize]]) -> Result<Vec<usize>> {
    let n = shapes.iter().map(|s| s.len()).max().unwrap_or(0);
    let mut out = vec![1; n];
    for s in shapes {
        for (i, &x) in s.iter().enumerate() {
            let k = i + n - s.len();
            if out[k] == 1 {
                out[k] = x;
            } else if x != 1 && x != out[k] {
                bail!(
                    ShapeMismatch,
                    "shapes {:?} do not broadcast together",
                    shapes
                );
            }
        }
    }
    Ok(out)
}

/// A child's region for `rect` of its parent: trailing axes aligned,
/// broadcast axes (extent 1 in the child only) reduced to `0..1`.
pub(crate) fn child_rect(parent: &[usize], child: &[usize], rect: &Rect) -> Vec<(usize, usize)> {
    let off = parent.len() - child.len();
    child
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            if c == 1 && parent[i + off] != 1 {
                (0, 1)
            } else {
                rect[i + off]
            }
        })
        .collect()
}

/// The child axis that parent axis `axis` walks, `None` when the child
/// has no such axis or is broadcast along it (trailing axes aligned).
pub(crate) fn child_axis(parent: &[usize], child: &[usize], axis: usize) -> Option<usize> {
    let off = parent.len() - child.len();
    (axis >= off && !(child[axis - off] == 1 && parent[axis] != 1)).then(|| axis - off)
}

/// The extents (`hi - lo`) of a region.
pub(crate) fn extents(r: &Rect) -> Vec<usize> {
    r.iter().map(|&(a, z)| z - a).collect()
}

/// `a` narrowed to `lo..hi` on each of its leading axes, one bound per
/// axis, in `a`'s own indices: a narrower view (or array), no copy. Every
/// narrowing of a view, block or tile in the layer goes through here.
pub(crate) fn narrow<S: RawData, D: Dimension>(
    mut a: ArrayBase<S, D>,
    bounds: impl IntoIterator<Item = (usize, usize)>,
) -> ArrayBase<S, D> {
    for (ax, (lo, hi)) in bounds.into_iter().enumerate() {
        a.slice_axis_inplace(Axis(ax), Slice::from(lo..hi));
    }
    a
}

/// The bounds of a section, per dimension, for [`narrow`].
pub(crate) fn bounds(s: &Section) -> impl Iterator<Item = (usize, usize)> + '_ {
    s.lo().iter().copied().zip(s.hi().iter().copied())
}
