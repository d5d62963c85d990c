//! Rectangular sections of an N-d index space.

use std::ops::Range;

use ndarray::{ArrayBase, Axis, Dimension, RawData, Slice};

use crate::error::{Result, bail};
use crate::fault::during;

/// A rectangular section `lo[d]..hi[d]` of an N-d array (half-open, like
/// Rust ranges; Global Arrays' `lo`/`hi` are inclusive, here `hi` is not).
///
/// A section is plain data: it is checked against an array's shape when it
/// is used, which yields [`ErrorKind::OutOfBounds`](crate::ErrorKind::OutOfBounds)
/// or [`ErrorKind::ReversedSection`](crate::ErrorKind::ReversedSection).
/// Calls that take a section take any [`IntoSection`](crate::IntoSection)
/// form (`[0..4, 2..6]`, `s![.., 2..]`, `..`), so most code never builds
/// one; sections also convert from ranges with `From`.
///
/// # Local
///
/// Building and querying a section is a pure computation on the calling
/// rank.
///
/// # Examples
///
/// ```
/// use gain::Section;
/// let s = Section::from([1..3, 0..4]);
/// assert_eq!(s.shape(), vec![2, 4]);
/// assert_eq!(s.len(), 8);
/// let t: Section = (5..9).into();
/// assert_eq!(t.lo(), &[5]);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Section {
    // Fixed inline storage: sections are `Copy` and the one-sided hot path
    // never allocates. Entries past `ndim` are zero. An `ndim` above
    // `MAX_DIMS` marks a section built from too many ranges; it is
    // rejected by `check_within`.
    lo: [usize; MAX_DIMS],
    hi: [usize; MAX_DIMS],
    ndim: usize,
}

/// The most dimensions a section (and so a global array) may have. Global
/// Arrays allows 7.
///
/// # Examples
///
/// ```
/// assert!(gain::Section::new(vec![0; 9], vec![1; 9]).is_err());
/// assert_eq!(gain::MAX_DIMS, 8);
/// ```
pub const MAX_DIMS: usize = 8;

impl std::fmt::Debug for Section {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Section(")?;
        for (d, (l, h)) in self.lo().iter().zip(self.hi()).enumerate() {
            write!(f, "{}{l}..{h}", if d > 0 { ", " } else { "" })?;
        }
        write!(f, ")")
    }
}

impl Section {
    /// The section `lo..hi`, one entry per dimension.
    ///
    /// Returns [`ErrorKind::DimensionMismatch`](crate::ErrorKind::DimensionMismatch)
    /// when `lo` and `hi` differ in length or have more than [`MAX_DIMS`]
    /// entries.
    ///
    /// # Local
    ///
    /// A pure computation on the calling rank; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = gain::Section::new(vec![0, 2], vec![4, 6])?;
    /// assert_eq!(s.hi(), &[4, 6]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn new(lo: Vec<usize>, hi: Vec<usize>) -> Result<Self> {
        during("Section::new", move || -> Result<Self> {
            if lo.len() != hi.len() {
                bail!(
                    DimensionMismatch,
                    "section lo has {} dimensions, hi has {}",
                    lo.len(),
                    hi.len()
                );
            }
            if lo.len() > MAX_DIMS {
                bail!(
                    DimensionMismatch,
                    "sections have at most {MAX_DIMS} dimensions"
                );
            }
            Ok(Section::from_slices(&lo, &hi))
        })
    }

    /// `lo..hi` from slices of equal length (checked by the caller); more
    /// than `MAX_DIMS` entries give a section `check_within` rejects.
    pub(crate) fn from_slices(lo: &[usize], hi: &[usize]) -> Self {
        Section::from_fn(lo.len(), |d| (lo[d], hi[d]))
    }

    /// The section whose dimension `d` is `f(d).0..f(d).1`, for `d` in
    /// `0..ndim`: built in place, without allocating. An `ndim` above
    /// [`MAX_DIMS`] gives a section that [`check_within`](Self::check_within)
    /// rejects.
    ///
    /// # Local
    ///
    /// A pure computation on the calling rank; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = gain::Section::from_fn(2, |d| (d, 3 * d + 2));
    /// assert_eq!(s, gain::Section::from([0..2, 1..5]));
    /// ```
    pub fn from_fn(ndim: usize, mut f: impl FnMut(usize) -> (usize, usize)) -> Self {
        let mut s = Section {
            lo: [0; MAX_DIMS],
            hi: [0; MAX_DIMS],
            ndim,
        };
        for d in 0..ndim.min(MAX_DIMS) {
            (s.lo[d], s.hi[d]) = f(d);
        }
        s
    }

    /// The extents (`hi - lo`), on the stack.
    pub(crate) fn extents(&self) -> Extents {
        let mut e = [0; MAX_DIMS];
        for (e, (l, h)) in e.iter_mut().zip(self.lo().iter().zip(self.hi())) {
            *e = h.saturating_sub(*l);
        }
        Extents(e, self.ndim())
    }

    /// The last index inside the section (`hi - 1`); the section must not
    /// be empty.
    pub(crate) fn last(&self) -> Extents {
        let mut e = [0; MAX_DIMS];
        for (e, h) in e.iter_mut().zip(self.hi()) {
            *e = h - 1;
        }
        Extents(e, self.ndim())
    }

    /// The whole index space of `shape` (what `..` names as a section
    /// argument).
    ///
    /// # Local
    ///
    /// A pure computation on the calling rank; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = gain::Section::full(&[3, 5]);
    /// assert_eq!(s.lo(), &[0, 0]);
    /// assert_eq!(s.hi(), &[3, 5]);
    /// ```
    pub fn full(shape: &[usize]) -> Self {
        Section::from_fn(shape.len(), |d| (0, shape[d]))
    }

    /// Lower corner (inclusive).
    ///
    /// # Local
    ///
    /// A query of the section; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(gain::Section::from([2..4]).lo(), &[2]);
    /// ```
    pub fn lo(&self) -> &[usize] {
        &self.lo[..self.ndim()]
    }

    /// Upper corner (exclusive).
    ///
    /// # Local
    ///
    /// A query of the section; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(gain::Section::from([2..4]).hi(), &[4]);
    /// ```
    pub fn hi(&self) -> &[usize] {
        &self.hi[..self.ndim()]
    }

    /// Number of dimensions.
    ///
    /// # Local
    ///
    /// A query of the section; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(gain::Section::from([0..1, 0..2, 0..3]).ndim(), 3);
    /// ```
    pub fn ndim(&self) -> usize {
        self.ndim.min(MAX_DIMS)
    }

    /// Extent per dimension (`hi - lo`, zero where reversed).
    ///
    /// # Local
    ///
    /// A query of the section; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(gain::Section::from([1..3, 2..7]).shape(), vec![2, 5]);
    /// ```
    pub fn shape(&self) -> Vec<usize> {
        self.extents().to_vec()
    }

    /// Number of elements in the section.
    ///
    /// # Local
    ///
    /// A query of the section; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(gain::Section::from([1..3, 2..7]).len(), 10);
    /// ```
    pub fn len(&self) -> usize {
        self.extents().iter().product()
    }

    /// Whether the section holds no element.
    ///
    /// # Local
    ///
    /// A query of the section; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(gain::Section::from([3..3, 0..2]).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The common part of two sections, `None` when they do not overlap.
    ///
    /// # Local
    ///
    /// A pure computation on the calling rank; no communication.
    ///
    /// # Examples
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
        let mut out = *self;
        for d in 0..self.ndim() {
            out.lo[d] = out.lo[d].max(other.lo[d]);
            out.hi[d] = out.hi[d].min(other.hi[d]);
            if out.lo[d] >= out.hi[d] {
                return None;
            }
        }
        Some(out)
    }

    /// Whether `index` lies in the section.
    ///
    /// # Local
    ///
    /// A pure computation on the calling rank; no communication.
    ///
    /// # Examples
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
                .zip(self.lo().iter().zip(self.hi()))
                .all(|(i, (l, h))| l <= i && i < h)
    }

    /// The section moved by `-origin`: its position relative to a block
    /// whose lower corner is `origin` (as the block's ndarray view indexes
    /// it). `origin` has one entry per dimension, none above `lo`.
    ///
    /// **Panics** in debug builds when some `origin[d] > lo[d]`; release
    /// builds then return a meaningless section.
    ///
    /// # Local
    ///
    /// A pure computation on the calling rank; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// use gain::Section;
    /// let block = Section::from([4..8, 0..6]);
    /// let part = Section::from([5..7, 2..6]);
    /// assert_eq!(part.relative_to(block.lo()), Section::from([1..3, 2..6]));
    /// ```
    pub fn relative_to(&self, origin: &[usize]) -> Section {
        let mut s = *self;
        for ((l, h), o) in s.lo.iter_mut().zip(s.hi.iter_mut()).zip(origin) {
            *l -= o;
            *h -= o;
        }
        s
    }

    /// Checks the section against an array shape: same number of
    /// dimensions, `lo <= hi`, `hi <= shape`.
    ///
    /// Errors: [`DimensionMismatch`](crate::ErrorKind::DimensionMismatch),
    /// [`ReversedSection`](crate::ErrorKind::ReversedSection),
    /// [`OutOfBounds`](crate::ErrorKind::OutOfBounds).
    ///
    /// # Local
    ///
    /// A pure computation on the calling rank; no communication.
    ///
    /// # Examples
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
        during("Section::check_within", move || -> Result<()> {
            if self.ndim > MAX_DIMS {
                bail!(
                    DimensionMismatch,
                    "sections have at most {MAX_DIMS} dimensions"
                );
            }
            if self.ndim() != shape.len() {
                bail!(
                    DimensionMismatch,
                    "section has {} dimensions, array has {}",
                    self.ndim(),
                    shape.len()
                );
            }
            for (d, ((&lo, &hi), &n)) in self.lo().iter().zip(self.hi()).zip(shape).enumerate() {
                if lo > hi {
                    bail!(
                        ReversedSection,
                        "section is reversed in dimension {d}: {lo}..{hi}"
                    );
                }
                if hi > n {
                    bail!(
                        OutOfBounds,
                        "section {lo}..{hi} is out of bounds in dimension {d} of extent {n}"
                    );
                }
            }
            Ok(())
        })
    }

    /// The section's elements as runs that are contiguous in the C-order
    /// (row-major) layout of a whole array of `shape`: the length of every
    /// run, and the flat offset in that layout where each begins, in the
    /// section's own C order. The trailing dimensions the section covers
    /// whole merge into one run, so a band of rows is a single run. An
    /// empty section has no runs; a 0-d one is one run of one element.
    /// This is how a block of a distributed array maps onto a `.npy`
    /// file's data.
    pub(crate) fn c_order_runs(&self, shape: &[usize]) -> (usize, Vec<usize>) {
        let n = self.ndim;
        if self.is_empty() {
            return (0, Vec::new());
        }
        // `k`: the last dimension the section does not cover whole (0 if
        // it covers every one); dimensions after it join the run.
        let k = (0..n)
            .rev()
            .find(|&d| self.lo[d] != 0 || self.hi[d] != shape[d])
            .unwrap_or(0);
        let mut stride = vec![1usize; n];
        for d in (0..n.saturating_sub(1)).rev() {
            stride[d] = stride[d + 1] * shape[d + 1];
        }
        if n == 0 {
            return (1, vec![0]);
        }
        let run = (self.hi[k] - self.lo[k]) * stride[k];
        let mut starts = Vec::with_capacity(self.len() / run);
        let mut idx: Vec<usize> = self.lo[..k].to_vec();
        loop {
            let at: usize = idx.iter().zip(&stride).map(|(i, s)| i * s).sum();
            starts.push(at + self.lo[k] * stride[k]);
            // The next index of the leading dimensions, in C order.
            let mut d = k;
            loop {
                if d == 0 {
                    return (run, starts);
                }
                d -= 1;
                idx[d] += 1;
                if idx[d] < self.hi[d] {
                    break;
                }
                idx[d] = self.lo[d];
            }
        }
    }
}

impl From<Range<usize>> for Section {
    fn from(r: Range<usize>) -> Self {
        Section::from_fn(1, |_| (r.start, r.end))
    }
}

impl<const N: usize> From<[Range<usize>; N]> for Section {
    fn from(r: [Range<usize>; N]) -> Self {
        Section::from(&r[..])
    }
}

impl From<&[Range<usize>]> for Section {
    fn from(r: &[Range<usize>]) -> Self {
        Section::from_fn(r.len(), |d| (r[d].start, r[d].end))
    }
}

impl From<Vec<Range<usize>>> for Section {
    fn from(r: Vec<Range<usize>>) -> Self {
        Section::from(&r[..])
    }
}

impl From<&Section> for Section {
    fn from(s: &Section) -> Self {
        *s
    }
}

/// Per-dimension values on the stack (extents, an index); derefs to a slice.
#[derive(Clone, Copy)]
pub(crate) struct Extents([usize; MAX_DIMS], usize);

impl std::ops::Deref for Extents {
    type Target = [usize];
    fn deref(&self) -> &[usize] {
        &self.0[..self.1.min(MAX_DIMS)]
    }
}

/// `a` restricted to `s`, in `a`'s own indices (a section relative to the
/// block `a` views, say): a narrower view, no copy, no allocation.
pub(crate) fn narrow<S: RawData, D: Dimension>(
    mut a: ArrayBase<S, D>,
    s: &Section,
) -> ArrayBase<S, D> {
    for (d, (&lo, &hi)) in s.lo().iter().zip(s.hi()).enumerate() {
        if lo != 0 || hi != a.len_of(Axis(d)) {
            a.slice_axis_inplace(Axis(d), Slice::from(lo..hi));
        }
    }
    a
}
