//! Periodic sections (Global Arrays' `NGA_Periodic_get`): ranges that may
//! start below 0 or end past an axis's extent and wrap around, cut into
//! the in-range sections they cover, each with its place in the buffer.

use std::ops::Range;

use super::Section;
use crate::error::{Result, bail};

/// A periodic-section argument: one `Range<isize>` per axis, each of
/// which may start below 0 and end past its axis's extent (it wraps
/// around). The `*_periodic` methods of [`GlobalArray`](crate::GlobalArray)
/// take one: `[-1..3, 4..9]` (an array), `&ranges[..]`, a `Vec`, or a
/// single range `-2..5` for a 1-d array.
///
/// # Local
///
/// Reading the ranges is a pure computation on the calling rank.
///
/// # Examples
///
/// ```
/// use gain::PeriodicRanges;
/// assert_eq!([-1..3, 4..9].ranges(), &[-1..3, 4..9]);
/// assert_eq!((-2..5).ranges(), &[-2..5]);
/// ```
pub trait PeriodicRanges {
    /// The ranges, one per axis.
    ///
    /// # Local
    ///
    /// A view of the argument; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// use gain::PeriodicRanges;
    /// let v = vec![0..2, -3..0];
    /// assert_eq!(v.ranges().len(), 2);
    /// ```
    fn ranges(&self) -> &[Range<isize>];
}

impl PeriodicRanges for Range<isize> {
    fn ranges(&self) -> &[Range<isize>] {
        std::slice::from_ref(self)
    }
}

impl<const N: usize> PeriodicRanges for [Range<isize>; N] {
    fn ranges(&self) -> &[Range<isize>] {
        self
    }
}

impl PeriodicRanges for [Range<isize>] {
    fn ranges(&self) -> &[Range<isize>] {
        self
    }
}

impl PeriodicRanges for Vec<Range<isize>> {
    fn ranges(&self) -> &[Range<isize>] {
        self
    }
}

impl<R: PeriodicRanges + ?Sized> PeriodicRanges for &R {
    fn ranges(&self) -> &[Range<isize>] {
        (**self).ranges()
    }
}

/// A periodic section cut into in-range parts: the buffer's shape, and
/// per part the section of the array and the buffer index where its
/// elements go (per axis). Along an axis of extent `n`, buffer position
/// `i` holds array index `(start + i) mod n`; a range longer than `n`
/// wraps more than once, so its parts name some indices more than once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PeriodicParts {
    pub shape: Vec<usize>,
    pub parts: Vec<(Section, Vec<usize>)>,
}

/// Cuts `ranges` (one per axis of `shape`) into in-range parts, per axis
/// one part per wrap: `2` for a range crossing one end, more for one
/// longer than its axis. The parts are the product of the axes' cuts; no
/// work per element.
///
/// Errors: [`DimensionMismatch`](crate::ErrorKind::DimensionMismatch),
/// [`ReversedSection`](crate::ErrorKind::ReversedSection) for a range
/// whose start lies past its end, [`OutOfBounds`](crate::ErrorKind::OutOfBounds)
/// for a non-empty range along an axis of extent 0 (nothing to wrap onto),
/// [`SizeOverflow`](crate::ErrorKind::SizeOverflow) for a buffer too big to
/// address.
pub(crate) fn periodic_parts(ranges: &[Range<isize>], shape: &[usize]) -> Result<PeriodicParts> {
    if ranges.len() != shape.len() {
        bail!(
            DimensionMismatch,
            "periodic section has {} ranges, the array {} dimensions",
            ranges.len(),
            shape.len()
        );
    }
    let mut cuts: Vec<Vec<(usize, usize, usize)>> = Vec::with_capacity(shape.len());
    let mut lens = Vec::with_capacity(shape.len());
    for (d, (r, &n)) in ranges.iter().zip(shape).enumerate() {
        if r.start > r.end {
            bail!(
                ReversedSection,
                "periodic section is reversed in dimension {d}: {}..{}",
                r.start,
                r.end
            );
        }
        let len = (r.end as i128 - r.start as i128) as u128;
        let Ok(len) = usize::try_from(len) else {
            bail!(SizeOverflow, "periodic range {r:?} is too long");
        };
        if len > 0 && n == 0 {
            bail!(
                OutOfBounds,
                "periodic range {r:?} in dimension {d} of extent 0"
            );
        }
        lens.push(len);
    }
    match lens.iter().try_fold(1usize, |acc, &l| acc.checked_mul(l)) {
        Some(0) => {
            return Ok(PeriodicParts {
                shape: lens,
                parts: Vec::new(),
            });
        }
        Some(total) if total <= isize::MAX as usize => {}
        _ => bail!(
            SizeOverflow,
            "a periodic section of shape {lens:?} is too big"
        ),
    }
    // Per axis, one cut per wrap: (lo, hi) in the array, and where it
    // starts in the buffer. Every cut but the first and the last is the
    // whole axis, so there are at most `len / n + 2`.
    for (r, (&n, &len)) in ranges.iter().zip(shape.iter().zip(&lens)) {
        let mut axis = Vec::new();
        let mut at = 0usize;
        while at < len {
            let w = (r.start as i128 + at as i128).rem_euclid(n as i128) as usize;
            let take = (n - w).min(len - at);
            axis.push((w, w + take, at));
            at += take;
        }
        cuts.push(axis);
    }
    let mut parts = Vec::new();
    {
        let n = cuts.len();
        let mut k = vec![0usize; n];
        'product: loop {
            let sec = Section::from_fn(n, |d| (cuts[d][k[d]].0, cuts[d][k[d]].1));
            parts.push((sec, (0..n).map(|d| cuts[d][k[d]].2).collect()));
            let mut d = n;
            loop {
                if d == 0 {
                    break 'product;
                }
                d -= 1;
                k[d] += 1;
                if k[d] < cuts[d].len() {
                    break;
                }
                k[d] = 0;
            }
        }
    }
    Ok(PeriodicParts { shape: lens, parts })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn parts_cover_the_buffer_by_modular_indexing() {
        type Rng = crate::random::SplitMix64;
        let mut rng = Rng::new(5);
        for _ in 0..300 {
            let nd = 1 + rng.below(3);
            let shape: Vec<usize> = (0..nd).map(|_| 1 + rng.below(6)).collect();
            let ranges: Vec<Range<isize>> = shape
                .iter()
                .map(|&n| {
                    let a = rng.below(4 * n) as isize - 2 * n as isize;
                    a..a + rng.below(3 * n) as isize
                })
                .collect();
            let p = periodic_parts(&ranges, &shape).unwrap();
            let total: usize = p.shape.iter().product();
            let mut seen = vec![0u8; total];
            for (sec, at) in &p.parts {
                // Every element of the part lands where modular indexing puts it.
                for flat in 0..sec.len() {
                    let (mut rem, mut buf, mut pos) = (flat, 0usize, vec![0; nd]);
                    for d in (0..nd).rev() {
                        let e = sec.hi()[d] - sec.lo()[d];
                        pos[d] = rem % e;
                        rem /= e;
                    }
                    for d in 0..nd {
                        let b = at[d] + pos[d];
                        let want = (ranges[d].start + b as isize).rem_euclid(shape[d] as isize);
                        assert_eq!(sec.lo()[d] + pos[d], want as usize);
                        buf = buf * p.shape[d] + b;
                    }
                    seen[buf] += 1;
                }
            }
            assert!(seen.iter().all(|&c| c == 1), "{ranges:?} {shape:?}");
        }
    }

    #[test]
    #[allow(clippy::single_range_in_vec_init, clippy::reversed_empty_ranges)]
    fn bad_ranges_are_typed_errors() {
        let e = periodic_parts(&[3..1], &[4]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ReversedSection);
        let e = periodic_parts(&[0..1], &[4, 4]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::DimensionMismatch);
        let e = periodic_parts(&[-1..1], &[0]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::OutOfBounds);
        let e = periodic_parts(&[isize::MIN..isize::MAX], &[4]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::SizeOverflow);
        assert!(periodic_parts(&[2..2], &[0]).unwrap().parts.is_empty());
    }
}
