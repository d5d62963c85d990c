//! Copies between a section's pieces and a buffer: the same-node path.

use std::mem::MaybeUninit;

use ndarray::{ArrayView, ArrayViewMut, Axis, IxDyn, Zip};

use crate::dist::Section;

use super::pending::{Access, Footprint};
use crate::element::Element;
use crate::error::Result;

/// One rank's share of a section: the owner, the shape of its whole block,
/// and the share's position in that block and in the caller's buffer.
#[derive(Debug, Clone)]
pub(crate) struct Piece<'a> {
    pub rank: usize,
    pub block: &'a [usize],
    pub in_block: Section,
    pub in_buf: Section,
}

impl Piece<'_> {
    /// The elements of the owner's block the piece covers, for ordering an
    /// operation on it (`Window::order_before`).
    pub(super) fn footprint(&self, access: Access) -> Footprint {
        Footprint::of_box(self.block, &self.in_block, access)
    }
}

pub(super) fn check_cover(pieces: &[Piece<'_>], total: usize) -> Result<()> {
    let covered: usize = pieces.iter().map(|p| p.in_buf.len()).sum();
    if covered != total {
        return Err(crate::Error::new(
            crate::ErrorKind::ShapeMismatch,
            format!("pieces cover {covered} of {total} elements"),
        ));
    }
    Ok(())
}

/// A destination element: `T` itself or a not yet initialised `T`; both
/// have `T`'s layout, so raw copies and MPI may write either.
pub(super) trait Slot<T: Copy>: Sized {
    fn set(&mut self, v: T);
}
impl<T: Copy> Slot<T> for T {
    fn set(&mut self, v: T) {
        *self = v;
    }
}
impl<T: Copy> Slot<T> for MaybeUninit<T> {
    fn set(&mut self, v: T) {
        self.write(v);
    }
}

/// Copies `src` into `dst` (same shape): one `memcpy` when both are
/// contiguous in the same order, one per row when rows are contiguous,
/// elementwise otherwise.
pub(super) fn copy_into<T: Copy, S: Slot<T>>(
    dst: &mut ArrayViewMut<'_, S, IxDyn>,
    src: &ArrayView<'_, T, IxDyn>,
) {
    let same_order = dst.strides() == src.strides();
    match (dst.as_slice_memory_order_mut(), src.as_slice_memory_order()) {
        (Some(d), Some(s)) if same_order => {
            // SAFETY: `S` has `T`'s layout and both slices have the same
            // length; `copy` allows a source and destination that overlap
            // (a put from an array's own block into itself).
            unsafe { std::ptr::copy(s.as_ptr(), d.as_mut_ptr() as *mut T, s.len()) }
        }
        _ => {
            let by_rows = zip_rows(dst, src, |d, s| {
                // SAFETY: as above, for one row of equal length.
                unsafe { std::ptr::copy(s.as_ptr(), d.as_mut_ptr() as *mut T, s.len()) }
            });
            if !by_rows {
                Zip::from(dst).and(src).for_each(|d, &s| d.set(s));
            }
        }
    }
}

/// Calls `f` on each pair of innermost rows of two views of one shape when
/// both have unit stride along the last axis; returns `false` (and does
/// nothing) otherwise. Row loops vectorise; elementwise `IxDyn` zips do not.
pub(super) fn zip_rows<A, B>(
    dst: &mut ArrayViewMut<'_, A, IxDyn>,
    src: &ArrayView<'_, B, IxDyn>,
    mut f: impl FnMut(&mut [A], &[B]),
) -> bool {
    let Some(last) = dst.ndim().checked_sub(1) else {
        return false;
    };
    let unit = |len: usize, stride: isize| len <= 1 || stride == 1;
    if !unit(dst.len_of(Axis(last)), dst.strides()[last])
        || !unit(src.len_of(Axis(last)), src.strides()[last])
    {
        return false;
    }
    Zip::from(dst.rows_mut())
        .and(src.rows())
        .for_each(|mut d, s| {
            f(
                d.as_slice_mut().expect("unit-stride row"),
                s.as_slice().expect("unit-stride row"),
            )
        });
    true
}

/// `dst += alpha * src`, elementwise, row by row where possible. Integers
/// wrap on overflow, as `MPI_SUM` does on the MPI route, so both routes
/// give the same result.
pub(super) fn add_scaled<T: Element>(
    dst: &mut ArrayViewMut<'_, T, IxDyn>,
    src: &ArrayView<'_, T, IxDyn>,
    alpha: T,
) {
    let by_rows = zip_rows(dst, src, |d, s| {
        if alpha == T::one() {
            d.iter_mut()
                .zip(s)
                .for_each(|(d, &s)| *d = d.wrapping_add(s));
        } else {
            d.iter_mut()
                .zip(s)
                .for_each(|(d, &s)| *d = d.wrapping_add(alpha.wrapping_mul(s)));
        }
    });
    if !by_rows {
        Zip::from(dst)
            .and(src)
            .for_each(|d, &s| *d = d.wrapping_add(alpha.wrapping_mul(s)));
    }
}

pub(super) fn row_major_strides(shape: &[usize]) -> Vec<isize> {
    let mut s = vec![1isize; shape.len()];
    for d in (0..shape.len().saturating_sub(1)).rev() {
        s[d] = s[d + 1] * shape[d + 1] as isize;
    }
    s
}
