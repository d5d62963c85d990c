//! [`IntoSection`]: the forms a section argument may take, read against
//! the shape of the array it addresses (so that `..` and open ends can
//! mean "to the end").

use std::ops::{Range, RangeFrom, RangeFull, RangeInclusive, RangeTo, RangeToInclusive};

use ndarray::{Dimension, SliceInfo, SliceInfoElem};

use super::{MAX_DIMS, Section};
use crate::error::{Result, bail};

/// A section argument: anything that names a rectangular [`Section`] once
/// the shape of the array it addresses is known. Every method of
/// [`GlobalArray`](crate::GlobalArray) that takes a section takes one.
///
/// | form | section |
/// |---|---|
/// | `..` | the whole array, any number of dimensions |
/// | `[1..3, 0..4]`, `vec![1..3, 0..4]`, `&ranges[..]` | those ranges, one per dimension |
/// | `s![1..3, ..]`, `s![2.., ..-1]` (ndarray's [`s!`](ndarray::s)) | ranges with open ends and negative bounds counted from the end, as ndarray reads them |
/// | `2..5`, `2..`, `..5`, `2..=4`, `..=4` | a range of a 1-d array |
/// | `Section`, `&Section` | itself |
///
/// Sections are half-open and keep every dimension, so an `s![]` element
/// must be a range with step 1: a step other than 1, a single index
/// (`s![2, ..]`; write `s![2..3, ..]`) or a new axis is an
/// [`InvalidArgument`](crate::ErrorKind::InvalidArgument) error naming
/// it. Selections with steps are [`IntoStridedSection`](crate::IntoStridedSection)
/// forms, which the `*_strided` methods take
/// ([`get_strided`](crate::GlobalArray::get_strided)). As everywhere in gain (and unlike ndarray, which reads it as
/// empty), a range whose start lies past its end is a
/// [`ReversedSection`](crate::ErrorKind::ReversedSection) error.
///
/// # Local
///
/// Reading a section is a pure computation on the calling rank.
///
/// # Examples
///
/// ```
/// use gain::IntoSection;
/// use ndarray::s;
/// let shape = [4, 6];
/// assert_eq!((..).into_section(&shape)?, gain::Section::from([0..4, 0..6]));
/// assert_eq!(s![1..3, ..].into_section(&shape)?, gain::Section::from([1..3, 0..6]));
/// assert_eq!(s![2.., ..-1].into_section(&shape)?, gain::Section::from([2..4, 0..5]));
/// assert_eq!((3..).into_section(&[10])?, gain::Section::from(3..10));
/// let e = s![.., ..;2].into_section(&shape).unwrap_err();
/// assert_eq!(e.kind(), gain::ErrorKind::InvalidArgument);
/// # Ok::<(), gain::Error>(())
/// ```
pub trait IntoSection {
    /// The section `self` names in an array of `shape`.
    ///
    /// Errors: [`InvalidArgument`](crate::ErrorKind::InvalidArgument) for an
    /// `s![]` element other than a unit-step range;
    /// [`DimensionMismatch`](crate::ErrorKind::DimensionMismatch) for an
    /// `s![]` or an open 1-d range whose number of dimensions differs from
    /// `shape`'s; [`OutOfBounds`](crate::ErrorKind::OutOfBounds) for an
    /// open or negative bound that falls outside its dimension. A section
    /// of closed ranges is returned as it is; the array checks every
    /// section against its shape with [`Section::check_within`] before
    /// using it.
    ///
    /// # Local
    ///
    /// A pure computation on the calling rank; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// use gain::{ErrorKind, IntoSection};
    /// assert_eq!((..=2).into_section(&[5])?.hi(), &[3]);
    /// assert_eq!((6..).into_section(&[5]).unwrap_err().kind(), ErrorKind::OutOfBounds);
    /// assert_eq!((1..).into_section(&[5, 5]).unwrap_err().kind(), ErrorKind::DimensionMismatch);
    /// # Ok::<(), gain::Error>(())
    /// ```
    fn into_section(self, shape: &[usize]) -> Result<Section>;
}

impl IntoSection for Section {
    fn into_section(self, _shape: &[usize]) -> Result<Section> {
        Ok(self)
    }
}

impl IntoSection for &Section {
    fn into_section(self, _shape: &[usize]) -> Result<Section> {
        Ok(*self)
    }
}

impl IntoSection for RangeFull {
    fn into_section(self, shape: &[usize]) -> Result<Section> {
        Ok(Section::full(shape))
    }
}

impl IntoSection for Range<usize> {
    fn into_section(self, _shape: &[usize]) -> Result<Section> {
        Ok(Section::from(self))
    }
}

impl IntoSection for RangeFrom<usize> {
    fn into_section(self, shape: &[usize]) -> Result<Section> {
        let n = one_dim(shape, &format_args!("{}..", self.start))?;
        if self.start > n {
            bail!(
                OutOfBounds,
                "section {}.. starts past the extent {n}",
                self.start
            );
        }
        Ok(Section::from(self.start..n))
    }
}

impl IntoSection for RangeTo<usize> {
    fn into_section(self, shape: &[usize]) -> Result<Section> {
        one_dim(shape, &format_args!("..{}", self.end))?;
        Ok(Section::from(0..self.end))
    }
}

impl IntoSection for RangeInclusive<usize> {
    fn into_section(self, shape: &[usize]) -> Result<Section> {
        one_dim(shape, &format_args!("{}..={}", self.start(), self.end()))?;
        // An exhausted range (iterated to its end) is empty although its
        // bounds name an element; a reversed one stays an error below.
        if self.is_empty() && self.start() <= self.end() {
            return Ok(Section::from(*self.start()..*self.start()));
        }
        let (start, end) = self.into_inner();
        inclusive_end(end, shape[0]).map(|hi| Section::from(start..hi))
    }
}

impl IntoSection for RangeToInclusive<usize> {
    fn into_section(self, shape: &[usize]) -> Result<Section> {
        one_dim(shape, &format_args!("..={}", self.end))?;
        inclusive_end(self.end, shape[0]).map(|hi| Section::from(0..hi))
    }
}

impl<const N: usize> IntoSection for [Range<usize>; N] {
    fn into_section(self, _shape: &[usize]) -> Result<Section> {
        Ok(Section::from(self))
    }
}

impl IntoSection for &[Range<usize>] {
    fn into_section(self, _shape: &[usize]) -> Result<Section> {
        Ok(Section::from(self))
    }
}

impl IntoSection for Vec<Range<usize>> {
    fn into_section(self, _shape: &[usize]) -> Result<Section> {
        Ok(Section::from(self))
    }
}

impl<T, Din, Dout> IntoSection for SliceInfo<T, Din, Dout>
where
    T: AsRef<[SliceInfoElem]>,
    Din: Dimension,
    Dout: Dimension,
{
    fn into_section(self, shape: &[usize]) -> Result<Section> {
        from_slice_info(self.as_ref(), shape)
    }
}

impl<T, Din, Dout> IntoSection for &SliceInfo<T, Din, Dout>
where
    T: AsRef<[SliceInfoElem]>,
    Din: Dimension,
    Dout: Dimension,
{
    fn into_section(self, shape: &[usize]) -> Result<Section> {
        from_slice_info(self.as_ref(), shape)
    }
}

/// The extent of a 1-d `shape`; an open 1-d range (`what`) needs one to
/// know where it ends.
fn one_dim(shape: &[usize], what: &dyn std::fmt::Display) -> Result<usize> {
    match shape {
        [n] => Ok(*n),
        _ => bail!(
            DimensionMismatch,
            "a 1-d section {what} for a {}-d array",
            shape.len()
        ),
    }
}

/// The exclusive end of an inclusive range ending at `end`, in a dimension
/// of extent `n`: `end + 1`, which must not overflow.
fn inclusive_end(end: usize, n: usize) -> Result<usize> {
    match end.checked_add(1) {
        Some(hi) => Ok(hi),
        None => bail!(
            OutOfBounds,
            "an inclusive end of {end} is out of bounds in a dimension of extent {n}"
        ),
    }
}

/// The section an `s![]` selection names in an array of `shape`: one
/// unit-step range per dimension, open ends and negative bounds read as
/// ndarray reads them.
fn from_slice_info(elems: &[SliceInfoElem], shape: &[usize]) -> Result<Section> {
    for (d, e) in elems.iter().enumerate() {
        let why = match *e {
            SliceInfoElem::Slice { step: 1, .. } => continue,
            SliceInfoElem::Slice { .. } => "a step other than 1",
            SliceInfoElem::Index(_) => "an index, which drops its dimension (write i..i + 1)",
            SliceInfoElem::NewAxis => "a new axis",
        };
        bail!(
            InvalidArgument,
            "s![] element {d} (`{e}`) is {why}; a section is one unit-step range per dimension"
        );
    }
    if elems.len() != shape.len() {
        bail!(
            DimensionMismatch,
            "s![] has {} ranges, the array {} dimensions",
            elems.len(),
            shape.len()
        );
    }
    if elems.len() > MAX_DIMS {
        bail!(
            DimensionMismatch,
            "sections have at most {MAX_DIMS} dimensions"
        );
    }
    let (mut lo, mut hi) = ([0; MAX_DIMS], [0; MAX_DIMS]);
    for (d, (e, &n)) in elems.iter().zip(shape).enumerate() {
        let SliceInfoElem::Slice { start, end, .. } = *e else {
            unreachable!("only ranges are left")
        };
        lo[d] = bound(start, n, d)?;
        hi[d] = end.map_or(Ok(n), |end| bound(end, n, d))?;
    }
    Ok(Section::from_slices(&lo[..shape.len()], &hi[..shape.len()]))
}

/// A bound of an `s![]` range in dimension `d` of extent `n`: a negative
/// one counts from the end, as in ndarray; either must land in `0..=n`.
pub(super) fn bound(i: isize, n: usize, d: usize) -> Result<usize> {
    let at = if i < 0 {
        n.checked_sub(i.unsigned_abs())
    } else {
        Some(i.unsigned_abs()).filter(|&i| i <= n)
    };
    match at {
        Some(at) => Ok(at),
        None => bail!(
            OutOfBounds,
            "bound {i} is out of bounds in dimension {d} of extent {n}"
        ),
    }
}
