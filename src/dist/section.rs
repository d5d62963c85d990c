//! Rectangular sections of an N-d index space.

use std::ops::Range;

use crate::error::{Result, bail};

/// A rectangular section `lo[d]..hi[d]` of an N-d array (half-open, like
/// Rust ranges; Global Arrays' `lo`/`hi` are inclusive, here `hi` is not).
///
/// A section is plain data: it is checked against an array's shape when it
/// is used, which yields [`ErrorKind::OutOfBounds`](crate::ErrorKind::OutOfBounds)
/// or [`ErrorKind::ReversedSection`](crate::ErrorKind::ReversedSection).
/// Sections convert from ranges, so most calls take `[0..4, 2..6]` directly.
///
/// ```
/// use gain::Section;
/// let s = Section::from([1..3, 0..4]);
/// assert_eq!(s.shape(), vec![2, 4]);
/// assert_eq!(s.len(), 8);
/// let t: Section = (5..9).into();
/// assert_eq!(t.lo(), &[5]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Section {
    lo: Vec<usize>,
    hi: Vec<usize>,
}

impl Section {
    /// The section `lo..hi`, one entry per dimension.
    ///
    /// Returns [`ErrorKind::DimensionMismatch`](crate::ErrorKind::DimensionMismatch)
    /// when `lo` and `hi` differ in length.
    ///
    /// ```
    /// let s = gain::Section::new(vec![0, 2], vec![4, 6]).unwrap();
    /// assert_eq!(s.hi(), &[4, 6]);
    /// ```
    pub fn new(lo: Vec<usize>, hi: Vec<usize>) -> Result<Self> {
        if lo.len() != hi.len() {
            bail!(
                DimensionMismatch,
                "section lo has {} dimensions, hi has {}",
                lo.len(),
                hi.len()
            );
        }
        Ok(Section { lo, hi })
    }

    /// The whole index space of `shape`.
    ///
    /// ```
    /// let s = gain::Section::full(&[3, 5]);
    /// assert_eq!(s.lo(), &[0, 0]);
    /// assert_eq!(s.hi(), &[3, 5]);
    /// ```
    pub fn full(shape: &[usize]) -> Self {
        Section {
            lo: vec![0; shape.len()],
            hi: shape.to_vec(),
        }
    }

    /// Lower corner (inclusive).
    ///
    /// ```
    /// assert_eq!(gain::Section::from([2..4]).lo(), &[2]);
    /// ```
    pub fn lo(&self) -> &[usize] {
        &self.lo
    }

    /// Upper corner (exclusive).
    ///
    /// ```
    /// assert_eq!(gain::Section::from([2..4]).hi(), &[4]);
    /// ```
    pub fn hi(&self) -> &[usize] {
        &self.hi
    }

    /// Number of dimensions.
    ///
    /// ```
    /// assert_eq!(gain::Section::from([0..1, 0..2, 0..3]).ndim(), 3);
    /// ```
    pub fn ndim(&self) -> usize {
        self.lo.len()
    }

    /// Extent per dimension (`hi - lo`, zero where reversed).
    ///
    /// ```
    /// assert_eq!(gain::Section::from([1..3, 2..7]).shape(), vec![2, 5]);
    /// ```
    pub fn shape(&self) -> Vec<usize> {
        self.lo
            .iter()
            .zip(&self.hi)
            .map(|(&l, &h)| h.saturating_sub(l))
            .collect()
    }

    /// Number of elements in the section.
    ///
    /// ```
    /// assert_eq!(gain::Section::from([1..3, 2..7]).len(), 10);
    /// ```
    pub fn len(&self) -> usize {
        self.shape().iter().product()
    }

    /// Whether the section holds no element.
    ///
    /// ```
    /// assert!(gain::Section::from([3..3, 0..2]).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The common part of two sections, `None` when they do not overlap.
    ///
    /// ```
    /// use gain::Section;
    /// let a = Section::from([0..4, 0..4]);
    /// let b = Section::from([2..6, 3..9]);
    /// assert_eq!(a.intersect(&b), Some(Section::from([2..4, 3..4])));
    /// assert_eq!(a.intersect(&Section::from([4..5, 0..1])), None);
    /// ```
    pub fn intersect(&self, other: &Section) -> Option<Section> {
        if self.ndim() != other.ndim() {
            return None;
        }
        let lo: Vec<usize> = self
            .lo
            .iter()
            .zip(&other.lo)
            .map(|(a, b)| *a.max(b))
            .collect();
        let hi: Vec<usize> = self
            .hi
            .iter()
            .zip(&other.hi)
            .map(|(a, b)| *a.min(b))
            .collect();
        if lo.iter().zip(&hi).any(|(l, h)| l >= h) {
            return None;
        }
        Some(Section { lo, hi })
    }

    /// Whether `index` lies in the section.
    ///
    /// ```
    /// let s = gain::Section::from([0..2, 5..6]);
    /// assert!(s.contains(&[1, 5]));
    /// assert!(!s.contains(&[2, 5]));
    /// ```
    pub fn contains(&self, index: &[usize]) -> bool {
        index.len() == self.ndim()
            && index
                .iter()
                .zip(self.lo.iter().zip(&self.hi))
                .all(|(i, (l, h))| l <= i && i < h)
    }

    /// The section moved by `-origin`: its position relative to a block
    /// whose lower corner is `origin`. Every `lo[d] >= origin[d]` is assumed.
    pub(crate) fn relative_to(&self, origin: &[usize]) -> Section {
        Section {
            lo: self.lo.iter().zip(origin).map(|(a, o)| a - o).collect(),
            hi: self.hi.iter().zip(origin).map(|(a, o)| a - o).collect(),
        }
    }

    /// Checks the section against an array shape: same number of
    /// dimensions, `lo <= hi`, `hi <= shape`.
    ///
    /// ```
    /// use gain::{ErrorKind, Section};
    /// assert!(Section::from([0..2]).check_within(&[2]).is_ok());
    /// let e = Section::from([0..3]).check_within(&[2]).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::OutOfBounds);
    /// #[allow(clippy::reversed_empty_ranges)]
    /// let e = Section::from([2..1]).check_within(&[2]).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::ReversedSection);
    /// ```
    pub fn check_within(&self, shape: &[usize]) -> Result<()> {
        if self.ndim() != shape.len() {
            bail!(
                DimensionMismatch,
                "section has {} dimensions, array has {}",
                self.ndim(),
                shape.len()
            );
        }
        for d in 0..shape.len() {
            if self.lo[d] > self.hi[d] {
                bail!(
                    ReversedSection,
                    "section is reversed in dimension {d}: {}..{}",
                    self.lo[d],
                    self.hi[d]
                );
            }
            if self.hi[d] > shape[d] {
                bail!(
                    OutOfBounds,
                    "section {}..{} is out of bounds in dimension {d} of extent {}",
                    self.lo[d],
                    self.hi[d],
                    shape[d]
                );
            }
        }
        Ok(())
    }
}

impl From<Range<usize>> for Section {
    fn from(r: Range<usize>) -> Self {
        Section {
            lo: vec![r.start],
            hi: vec![r.end],
        }
    }
}

impl<const N: usize> From<[Range<usize>; N]> for Section {
    fn from(r: [Range<usize>; N]) -> Self {
        Section::from(&r[..])
    }
}

impl From<&[Range<usize>]> for Section {
    fn from(r: &[Range<usize>]) -> Self {
        Section {
            lo: r.iter().map(|r| r.start).collect(),
            hi: r.iter().map(|r| r.end).collect(),
        }
    }
}

impl From<Vec<Range<usize>>> for Section {
    fn from(r: Vec<Range<usize>>) -> Self {
        Section::from(&r[..])
    }
}

impl From<&Section> for Section {
    fn from(s: &Section) -> Self {
        s.clone()
    }
}
