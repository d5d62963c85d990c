//! The serial models' helpers: a random number generator every rank can
//! seed alike, random sections and data, and random distributed arrays.

use gain::{Element, GlobalArray, Runtime, Section};
use ndarray::{ArrayD, IxDyn, SliceInfoElem};

/// SplitMix64, seeded identically on every rank where models must agree.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ 0x1234_5678)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// A random section of `shape`, one in twenty empty.
    pub fn section(&mut self, shape: &[usize]) -> Section {
        let empty = self.below(20) == 0;
        let (lo, hi) = shape
            .iter()
            .map(|&n| {
                let (a, b) = (self.below(n), self.below(n));
                if empty {
                    (a, a)
                } else {
                    (a.min(b), a.max(b) + 1)
                }
            })
            .unzip();
        Section::new(lo, hi).unwrap()
    }
    /// A random `s![]`-style selection of `shape` (one unit-step range per
    /// dimension, one in ten empty) and the section it names: each bound
    /// absent when it is the end, else counted from the start or from the
    /// end at random.
    pub fn slice(&mut self, shape: &[usize]) -> (Vec<SliceInfoElem>, Section) {
        let empty = self.below(10) == 0;
        let (mut elems, mut lo, mut hi) = (Vec::new(), Vec::new(), Vec::new());
        for &n in shape {
            let (a, b) = (self.below(n + 1), self.below(n + 1));
            let (a, b) = if empty { (a, a) } else { (a.min(b), a.max(b)) };
            let from_end = |i: usize| i as isize - n as isize;
            let start = if a < n && self.below(2) == 0 {
                from_end(a)
            } else {
                a as isize
            };
            let end = match self.below(3) {
                0 if b == n => None,
                1 if b < n => Some(from_end(b)),
                _ => Some(b as isize),
            };
            elems.push(SliceInfoElem::Slice {
                start,
                end,
                step: 1,
            });
            lo.push(a);
            hi.push(b);
        }
        (elems, Section::new(lo, hi).unwrap())
    }
    /// Random data of `shape`, values small enough to be exact in any `T`.
    pub fn data<T: Element>(&mut self, shape: &[usize]) -> ArrayD<T> {
        ArrayD::from_shape_simple_fn(IxDyn(shape), || T::from(self.below(100)).unwrap())
    }
}

/// The ndarray slice that names section `s`.
pub fn slice_of(s: &Section) -> Vec<SliceInfoElem> {
    s.lo()
        .iter()
        .zip(s.hi())
        .map(|(&l, &h)| SliceInfoElem::Slice {
            start: l as isize,
            end: Some(h as isize),
            step: 1,
        })
        .collect()
}

/// A random shape of 1 to 4 dimensions and a random array of it with a
/// regular, chunked or irregular distribution (same on every rank).
pub fn random_array<T: Element>(rt: &Runtime, rng: &mut Rng, ndim: usize) -> GlobalArray<T, IxDyn> {
    let shape: Vec<usize> = (0..ndim)
        .map(|_| 1 + rng.below(if ndim > 2 { 6 } else { 13 }))
        .collect();
    match rng.below(3) {
        0 => GlobalArray::zeros(rt, IxDyn(&shape)).unwrap(),
        1 => {
            let chunk: Vec<usize> = shape.iter().map(|&n| rng.below(n + 1)).collect();
            GlobalArray::zeros_chunked(rt, IxDyn(&shape), &chunk).unwrap()
        }
        _ => {
            // Cut dimension 0 at random points, at most `size` blocks.
            let mut starts = vec![vec![0]; ndim];
            for cut in 1..shape[0] {
                if starts[0].len() < rt.size() && rng.below(2) == 0 {
                    starts[0].push(cut);
                }
            }
            GlobalArray::zeros_irregular(rt, IxDyn(&shape), &starts).unwrap()
        }
    }
}
