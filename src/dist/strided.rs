//! Stepped sections (Global Arrays' `NGA_Strided_get` patches): every
//! `step[d]`-th index of a range per axis, and which blocks of a
//! distribution hold which of the selected elements — per block the first
//! selected index and the count, by arithmetic on the block bounds, never
//! element by element.

use ndarray::{ArrayBase, Axis, Dimension, RawData, Slice, SliceInfo, SliceInfoElem};

use super::{Distribution, MAX_DIMS, Section};
use crate::error::{Result, bail};
use crate::fault::during;

/// A stepped section: along each axis `d`, `count[d]` indices
/// `start[d], start[d] + step[d], …` (steps positive). Along an axis
/// marked reversed, the caller's buffer holds them in decreasing order:
/// that is how an `s![a..b;-k]` selection reads (ndarray's meaning: the
/// range `a..b` walked backwards from `b - 1`, every `k`-th index).
///
/// Calls that take one take any [`IntoStridedSection`] form, so most
/// code never builds one.
///
/// # Local
///
/// Building and querying a stepped section is a pure computation on the
/// calling rank.
///
/// # Examples
///
/// ```
/// use gain::StridedSection;
/// let s = StridedSection::new(&[0, 1], &[10, 4], &[4, 1])?;
/// assert_eq!(s.shape(), vec![3, 3]); // rows 0, 4, 8; columns 1, 2, 3
/// assert_eq!(s.step(), &[4, 1]);
/// # Ok::<(), gain::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct StridedSection {
    start: [usize; MAX_DIMS],
    count: [usize; MAX_DIMS],
    step: [usize; MAX_DIMS],
    reversed: [bool; MAX_DIMS],
    ndim: usize,
}

impl StridedSection {
    /// The indices `lo[d], lo[d] + step[d], …` below `hi[d]` along each
    /// axis: the plain form (`hi` exclusive, as everywhere in gain).
    ///
    /// Errors: [`DimensionMismatch`](crate::ErrorKind::DimensionMismatch)
    /// for slices of different lengths or more than
    /// [`MAX_DIMS`](crate::MAX_DIMS) entries;
    /// [`InvalidArgument`](crate::ErrorKind::InvalidArgument) for a step
    /// of 0; [`ReversedSection`](crate::ErrorKind::ReversedSection) for
    /// `lo[d] > hi[d]`.
    ///
    /// # Local
    ///
    /// A pure computation on the calling rank; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// use gain::{ErrorKind, StridedSection};
    /// assert_eq!(StridedSection::new(&[2], &[9], &[3])?.count(), &[3]); // 2, 5, 8
    /// let e = StridedSection::new(&[0], &[9], &[0]).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn new(lo: &[usize], hi: &[usize], step: &[usize]) -> Result<Self> {
        during("StridedSection::new", move || -> Result<Self> {
            if lo.len() != hi.len() || lo.len() != step.len() {
                bail!(
                    DimensionMismatch,
                    "stepped section with {} starts, {} ends and {} steps",
                    lo.len(),
                    hi.len(),
                    step.len()
                );
            }
            if lo.len() > MAX_DIMS {
                bail!(
                    DimensionMismatch,
                    "sections have at most {MAX_DIMS} dimensions"
                );
            }
            let mut s = StridedSection::empty(lo.len());
            for d in 0..lo.len() {
                if step[d] == 0 {
                    bail!(InvalidArgument, "step 0 in dimension {d}");
                }
                if lo[d] > hi[d] {
                    bail!(
                        ReversedSection,
                        "section is reversed in dimension {d}: {}..{}",
                        lo[d],
                        hi[d]
                    );
                }
                s.start[d] = lo[d];
                s.count[d] = (hi[d] - lo[d]).div_ceil(step[d]);
                s.step[d] = step[d];
            }
            Ok(s)
        })
    }

    fn empty(ndim: usize) -> Self {
        StridedSection {
            start: [0; MAX_DIMS],
            count: [0; MAX_DIMS],
            step: [1; MAX_DIMS],
            reversed: [false; MAX_DIMS],
            ndim,
        }
    }

    /// The first selected index per axis (the smallest, also along a
    /// reversed axis).
    ///
    /// # Local
    ///
    /// A query; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = gain::StridedSection::new(&[3], &[8], &[2])?;
    /// assert_eq!(s.start(), &[3]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn start(&self) -> &[usize] {
        &self.start[..self.ndim]
    }

    /// The number of selected indices per axis.
    ///
    /// # Local
    ///
    /// A query; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = gain::StridedSection::new(&[3], &[8], &[2])?;
    /// assert_eq!(s.count(), &[3]); // 3, 5, 7
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn count(&self) -> &[usize] {
        &self.count[..self.ndim]
    }

    /// The step per axis.
    ///
    /// # Local
    ///
    /// A query; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = gain::StridedSection::new(&[0, 0], &[4, 4], &[1, 3])?;
    /// assert_eq!(s.step(), &[1, 3]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn step(&self) -> &[usize] {
        &self.step[..self.ndim]
    }

    /// Per axis, whether the buffer holds the selected indices in
    /// decreasing order (a negative step in `s![]`).
    ///
    /// # Local
    ///
    /// A query; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// use gain::IntoStridedSection;
    /// let s = ndarray::s![..;-2].into_strided_section(&[5])?;
    /// assert_eq!((s.start(), s.count(), s.reversed()), (&[0][..], &[3][..], &[true][..]));
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn reversed(&self) -> &[bool] {
        &self.reversed[..self.ndim]
    }

    /// The number of dimensions.
    ///
    /// # Local
    ///
    /// A query; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(gain::StridedSection::new(&[0; 3], &[1; 3], &[1; 3])?.ndim(), 3);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn ndim(&self) -> usize {
        self.ndim
    }

    /// The shape of the selection (its counts), as a buffer has it.
    ///
    /// # Local
    ///
    /// A query; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = gain::StridedSection::new(&[0, 0], &[10, 3], &[4, 2])?;
    /// assert_eq!(s.shape(), vec![3, 2]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn shape(&self) -> Vec<usize> {
        self.count().to_vec()
    }

    /// The number of selected elements.
    ///
    /// # Local
    ///
    /// A query; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = gain::StridedSection::new(&[0, 0], &[10, 3], &[4, 2])?;
    /// assert_eq!(s.len(), 6);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn len(&self) -> usize {
        self.count().iter().product()
    }

    /// Whether the selection has no elements.
    ///
    /// # Local
    ///
    /// A query; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(gain::StridedSection::new(&[4], &[4], &[2])?.is_empty());
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Checks the selection against an array shape: same number of
    /// dimensions, every selected index inside (an empty axis must still
    /// start within `0..=n`). The plain form of [`IntoStridedSection`]
    /// also wants its ends within the shape; a `StridedSection` keeps only
    /// what it selects.
    ///
    /// Errors: [`DimensionMismatch`](crate::ErrorKind::DimensionMismatch),
    /// [`OutOfBounds`](crate::ErrorKind::OutOfBounds).
    ///
    /// # Local
    ///
    /// A pure computation on the calling rank; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// use gain::{ErrorKind, StridedSection};
    /// // Selects 1, 5, 9: inside an extent of 10, not of 9.
    /// let s = StridedSection::new(&[1], &[11], &[4])?;
    /// assert!(s.check_within(&[10]).is_ok());
    /// assert_eq!(s.check_within(&[9]).unwrap_err().kind(), ErrorKind::OutOfBounds);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn check_within(&self, shape: &[usize]) -> Result<()> {
        during("StridedSection::check_within", move || -> Result<()> {
            if self.ndim != shape.len() {
                bail!(
                    DimensionMismatch,
                    "stepped section has {} dimensions, array has {}",
                    self.ndim,
                    shape.len()
                );
            }
            for (d, &n) in shape.iter().enumerate() {
                let end = self.hi(d);
                if end.is_none_or(|e| e > n) {
                    bail!(
                        OutOfBounds,
                        "stepped section {}.. (every {}, {} of them) is out of bounds \
                         in dimension {d} of extent {n}",
                        self.start[d],
                        self.step[d],
                        self.count[d]
                    );
                }
            }
            Ok(())
        })
    }

    /// One past the last selected index along `d` (the start when none is
    /// selected); `None` on overflow.
    fn hi(&self, d: usize) -> Option<usize> {
        match self.count[d] {
            0 => Some(self.start[d]),
            c => (c - 1)
                .checked_mul(self.step[d])?
                .checked_add(self.start[d])?
                .checked_add(1),
        }
    }

    /// The positions `k0..k1` along `d` of the selected indices inside
    /// `lo..hi` (a block's bounds); possibly empty.
    fn positions_in(&self, d: usize, lo: usize, hi: usize) -> (usize, usize) {
        let (s, k, n) = (self.start[d], self.step[d], self.count[d]);
        let first = lo.saturating_sub(s).div_ceil(k).min(n);
        let end = hi.saturating_sub(s).div_ceil(k).min(n);
        (first, end.max(first))
    }

    /// Positions `k` (per axis, in `sel`) as global indices: `lo` the
    /// first selected index, `hi - lo` the count. This is how a stepped
    /// piece of a block is described (with the steps kept apart).
    pub(crate) fn firsts(&self, sel: &Section) -> Section {
        Section::from_fn(self.ndim, |d| {
            let lo = self.start[d] + sel.lo()[d] * self.step[d];
            (lo, lo + sel.hi()[d] - sel.lo()[d])
        })
    }
}

impl Distribution {
    /// Splits a stepped section into the shares each rank owns:
    /// `(rank, firsts, positions)` in rank order, where `positions` is the
    /// share's place in the selection (per axis `k0..k1`, so also its place
    /// in a buffer of the selection's shape) and `firsts` its first
    /// selected global index per axis (`lo`) with the count (`hi - lo`).
    /// Blocks between selected indices get no share; the work is per
    /// block along each axis, never per element. An empty selection
    /// yields no shares.
    ///
    /// Errors: those of [`StridedSection::check_within`] against the shape.
    ///
    /// # Local
    ///
    /// Index arithmetic on the calling rank; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// use gain::{Distribution, Section, StridedSection};
    /// let d = Distribution::regular(&[12], 3, None)?; // blocks 0..4, 4..8, 8..12
    /// let s = StridedSection::new(&[1], &[12], &[5])?; // 1, 6, 11
    /// let shares = d.locate_strided(&s)?;
    /// assert_eq!(shares[1], (1, Section::from([6..7]), Section::from([1..2])));
    /// assert_eq!(shares.len(), 3);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn locate_strided(&self, s: &StridedSection) -> Result<Vec<(usize, Section, Section)>> {
        during(
            "Distribution::locate_strided",
            move || -> Result<Vec<(usize, Section, Section)>> {
                s.check_within(&self.shape)?;
                if s.is_empty() {
                    return Ok(Vec::new());
                }
                let n = self.ndim();
                // Per axis: the blocks holding a selected index, with the
                // positions they hold.
                let mut axes: Vec<Vec<(usize, usize, usize)>> = Vec::with_capacity(n);
                for d in 0..n {
                    let last = s.start[d] + (s.count[d] - 1) * s.step[d];
                    let (c0, c1) = (self.block_index(d, s.start[d]), self.block_index(d, last));
                    let held: Vec<(usize, usize, usize)> = (c0..=c1)
                        .filter_map(|c| {
                            let (a, z) =
                                s.positions_in(d, self.bounds[d][c], self.bounds[d][c + 1]);
                            (a < z).then_some((c, a, z))
                        })
                        .collect();
                    axes.push(held);
                }
                let mut out = Vec::new();
                let mut at = vec![0usize; n];
                loop {
                    let rank = (0..n).fold(0, |r, d| r * self.grid[d] + axes[d][at[d]].0);
                    let sel = Section::from_fn(n, |d| (axes[d][at[d]].1, axes[d][at[d]].2));
                    out.push((rank, s.firsts(&sel), sel));
                    let mut d = n;
                    loop {
                        if d == 0 {
                            return Ok(out);
                        }
                        d -= 1;
                        at[d] += 1;
                        if at[d] < axes[d].len() {
                            break;
                        }
                        at[d] = 0;
                    }
                }
            },
        )
    }
}

/// `a` restricted to a stepped piece `firsts` (first index `lo`, count
/// `hi - lo`, per axis) with `step`, in `a`'s own indices: a strided view,
/// no copy.
pub(crate) fn narrow_stepped<S: RawData, D: Dimension>(
    mut a: ArrayBase<S, D>,
    firsts: &Section,
    step: &[usize],
) -> ArrayBase<S, D> {
    for (d, (&lo, &hi)) in firsts.lo().iter().zip(firsts.hi()).enumerate() {
        let end = match hi - lo {
            0 => lo,
            c => lo + (c - 1) * step[d] + 1,
        };
        a.slice_axis_inplace(
            Axis(d),
            Slice::new(lo as isize, Some(end as isize), step[d] as isize),
        );
    }
    a
}

/// A stepped-section argument: anything that names a [`StridedSection`]
/// once the shape of the array it addresses is known. The `*_strided`
/// methods of [`GlobalArray`](crate::GlobalArray) take one.
///
/// | form | selection |
/// |---|---|
/// | `s![0..n;4, ..]` (ndarray's [`s!`](ndarray::s)) | ranges with steps, open ends and negative bounds as ndarray reads them |
/// | `(&lo[..], &hi[..], &step[..])`, `([usize; N], [usize; N], [usize; N])` | `lo[d]..hi[d]` every `step[d]` (the plain form of [`StridedSection::new`]; `hi` within the shape) |
/// | `StridedSection`, `&StridedSection` | itself |
///
/// A negative step in `s![]` means what it means to ndarray: the range
/// `a..b` walked backwards from its last index `b - 1`, every `k`-th
/// index, so the buffer holds the selection in decreasing order (NumPy's
/// `x[a:b:-k]` starts at `a` instead). A step of 0 is an
/// [`InvalidArgument`](crate::ErrorKind::InvalidArgument) error, as are a
/// single index and a new axis; a range whose start lies past its end is
/// a [`ReversedSection`](crate::ErrorKind::ReversedSection) error.
///
/// # Local
///
/// Reading a selection is a pure computation on the calling rank.
///
/// # Examples
///
/// ```
/// use gain::IntoStridedSection;
/// use ndarray::s;
/// let s = s![1..10;4, ..].into_strided_section(&[10, 3])?;
/// assert_eq!((s.start(), s.count(), s.step()), (&[1, 0][..], &[3, 3][..], &[4, 1][..]));
/// let p = (&[1, 0][..], &[10, 3][..], &[4, 1][..]).into_strided_section(&[10, 3])?;
/// assert_eq!(p, s);
/// # Ok::<(), gain::Error>(())
/// ```
pub trait IntoStridedSection {
    /// The stepped section `self` names in an array of `shape`.
    ///
    /// Errors: [`InvalidArgument`](crate::ErrorKind::InvalidArgument),
    /// [`DimensionMismatch`](crate::ErrorKind::DimensionMismatch),
    /// [`OutOfBounds`](crate::ErrorKind::OutOfBounds) (a bound of `s![]`
    /// outside its dimension), [`ReversedSection`](crate::ErrorKind::ReversedSection).
    /// The array checks the result against its shape before using it.
    ///
    /// # Local
    ///
    /// A pure computation on the calling rank; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// use gain::{ErrorKind, IntoStridedSection};
    /// use ndarray::{IxDyn, SliceInfo, SliceInfoElem};
    /// // `s![..;0]` panics in ndarray; a selection built by hand may hold it.
    /// let zero = vec![SliceInfoElem::Slice { start: 0, end: None, step: 0 }];
    /// let zero = SliceInfo::<_, IxDyn, IxDyn>::try_from(zero).unwrap();
    /// let e = zero.into_strided_section(&[5]).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    /// let e = ndarray::s![7..;2].into_strided_section(&[5]).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::OutOfBounds);
    /// ```
    fn into_strided_section(self, shape: &[usize]) -> Result<StridedSection>;
}

impl IntoStridedSection for StridedSection {
    fn into_strided_section(self, _shape: &[usize]) -> Result<StridedSection> {
        Ok(self)
    }
}

impl IntoStridedSection for &StridedSection {
    fn into_strided_section(self, _shape: &[usize]) -> Result<StridedSection> {
        Ok(*self)
    }
}

impl IntoStridedSection for (&[usize], &[usize], &[usize]) {
    fn into_strided_section(self, shape: &[usize]) -> Result<StridedSection> {
        from_plain(self.0, self.1, self.2, shape)
    }
}

impl<const N: usize> IntoStridedSection for ([usize; N], [usize; N], [usize; N]) {
    fn into_strided_section(self, shape: &[usize]) -> Result<StridedSection> {
        from_plain(&self.0, &self.1, &self.2, shape)
    }
}

/// The plain form, whose ends must lie within `shape` as a section's do
/// (even where the last selected index is well inside).
fn from_plain(
    lo: &[usize],
    hi: &[usize],
    step: &[usize],
    shape: &[usize],
) -> Result<StridedSection> {
    let s = StridedSection::new(lo, hi, step)?;
    if hi.len() == shape.len() {
        for (d, (&h, &n)) in hi.iter().zip(shape).enumerate() {
            if h > n {
                bail!(
                    OutOfBounds,
                    "stepped section {}..{h} is out of bounds in dimension {d} of extent {n}",
                    lo[d]
                );
            }
        }
    }
    Ok(s)
}

impl<T, Din, Dout> IntoStridedSection for SliceInfo<T, Din, Dout>
where
    T: AsRef<[SliceInfoElem]>,
    Din: Dimension,
    Dout: Dimension,
{
    fn into_strided_section(self, shape: &[usize]) -> Result<StridedSection> {
        from_slice_info(self.as_ref(), shape)
    }
}

impl<T, Din, Dout> IntoStridedSection for &SliceInfo<T, Din, Dout>
where
    T: AsRef<[SliceInfoElem]>,
    Din: Dimension,
    Dout: Dimension,
{
    fn into_strided_section(self, shape: &[usize]) -> Result<StridedSection> {
        from_slice_info(self.as_ref(), shape)
    }
}

/// The stepped section an `s![]` selection names in an array of `shape`.
fn from_slice_info(elems: &[SliceInfoElem], shape: &[usize]) -> Result<StridedSection> {
    for (d, e) in elems.iter().enumerate() {
        let why = match *e {
            SliceInfoElem::Slice { step: 0, .. } => "a range with step 0",
            SliceInfoElem::Slice { .. } => continue,
            SliceInfoElem::Index(_) => "an index, which drops its dimension (write i..i + 1)",
            SliceInfoElem::NewAxis => "a new axis",
        };
        bail!(
            InvalidArgument,
            "s![] element {d} (`{e}`) is {why}; a stepped section is one range per dimension"
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
    let mut s = StridedSection::empty(elems.len());
    for (d, (e, &n)) in elems.iter().zip(shape).enumerate() {
        let SliceInfoElem::Slice { start, end, step } = *e else {
            unreachable!("only ranges are left")
        };
        let lo = super::into_section::bound(start, n, d)?;
        let hi = end.map_or(Ok(n), |end| super::into_section::bound(end, n, d))?;
        if lo > hi {
            bail!(
                ReversedSection,
                "section is reversed in dimension {d}: {lo}..{hi}"
            );
        }
        let k = step.unsigned_abs();
        let count = (hi - lo).div_ceil(k);
        s.step[d] = k;
        s.count[d] = count;
        s.reversed[d] = step < 0;
        // Backwards from `hi - 1`: the smallest selected index is the
        // last one reached.
        s.start[d] = if step < 0 && count > 0 {
            hi - 1 - (count - 1) * k
        } else {
            lo
        };
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    type Rng = crate::random::SplitMix64;

    /// Brute force: every selected index, its owner and its position,
    /// against the shares `locate_strided` names.
    #[test]
    #[allow(clippy::needless_range_loop)]
    fn shares_hold_exactly_the_selected_elements() {
        let mut rng = Rng::new(3);
        for _ in 0..400 {
            let nd = 1 + rng.below(3);
            let shape: Vec<usize> = (0..nd).map(|_| 1 + rng.below(12)).collect();
            let nranks = 1 + rng.below(9);
            let dist = if rng.below(2) == 0 {
                Distribution::regular(&shape, nranks, None).unwrap()
            } else {
                let chunk: Vec<usize> = shape.iter().map(|&n| rng.below(n + 1)).collect();
                Distribution::regular(&shape, nranks, Some(&chunk)).unwrap()
            };
            let lo: Vec<usize> = shape.iter().map(|&n| rng.below(n + 1)).collect();
            let hi: Vec<usize> = lo
                .iter()
                .zip(&shape)
                .map(|(&l, &n)| l + rng.below(n - l + 1))
                .collect();
            let step: Vec<usize> = (0..nd).map(|_| 1 + rng.below(7)).collect();
            let s = StridedSection::new(&lo, &hi, &step).unwrap();
            let shares = dist.locate_strided(&s).unwrap();
            let mut seen = 0;
            for (rank, firsts, pos) in &shares {
                let block = dist.block(*rank).unwrap();
                assert!(!pos.is_empty());
                assert_eq!(*firsts, s.firsts(pos));
                for d in 0..nd {
                    let last = firsts.lo()[d] + (firsts.hi()[d] - firsts.lo()[d] - 1) * step[d];
                    assert!(block.lo()[d] <= firsts.lo()[d] && last < block.hi()[d]);
                    // The share is maximal: the neighbours lie outside the block.
                    assert!(firsts.lo()[d] < block.lo()[d] + step[d] || pos.lo()[d] == 0);
                    assert!(last + step[d] >= block.hi()[d] || pos.hi()[d] == s.count()[d]);
                }
                seen += pos.len();
            }
            assert_eq!(seen, s.len(), "{s:?} over {dist:?}");
        }
    }

    #[test]
    #[allow(clippy::reversed_empty_ranges)]
    fn slice_info_reads_as_ndarray_does() {
        let s = ndarray::s![1..8;-3].into_strided_section(&[10]).unwrap();
        // ndarray: 7, 4, 1.
        assert_eq!(
            (s.start(), s.count(), s.reversed()),
            (&[1][..], &[3][..], &[true][..])
        );
        let s = ndarray::s![-4..;2].into_strided_section(&[10]).unwrap();
        assert_eq!((s.start(), s.count()), (&[6][..], &[2][..]));
        let e = ndarray::s![3..1;2].into_strided_section(&[10]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ReversedSection);
        let e = ndarray::s![2, ..;2]
            .into_strided_section(&[3, 4])
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        let e = ndarray::s![..;2].into_strided_section(&[3, 4]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::DimensionMismatch);
        let s = StridedSection::new(&[5], &[5], &[3]).unwrap();
        assert!(s.check_within(&[5]).is_ok() && s.check_within(&[4]).is_err());
        let huge = StridedSection::new(&[1], &[usize::MAX], &[2]).unwrap();
        assert_eq!(
            huge.check_within(&[9]).unwrap_err().kind(),
            ErrorKind::OutOfBounds
        );
    }
}
