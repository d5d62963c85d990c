//! Random arrays from a counter-based generator.
//!
//! Every element's value is a pure function of the seed and the element's
//! position in the array (its C-order linear index), so an array drawn with
//! a given seed holds the same numbers whatever the rank count and the
//! distribution: each rank generates exactly its own block, with no
//! communication and no sequential state to hand over.
//!
//! The generator is Philox4x64-10 (Salmon et al., "Parallel random numbers:
//! as easy as 1, 2, 3", SC'11). [`uniform`] and [`fill_uniform`] for `f64`
//! produce the very stream of NumPy's
//! `np.random.Generator(np.random.Philox(key=seed)).random(shape)`, so a
//! Python program can regenerate gain's data bit for bit.

mod splitmix;
pub(crate) use splitmix::SplitMix64;

use ndarray::{Dimension, IntoDimension};
use num_traits::Float;

use crate::fault::during;
use crate::{Element, GlobalArray, Result, Runtime};

const M0: u64 = 0xD2E7_470E_E14C_6C93;
const M1: u64 = 0xCA5A_8263_9512_1157;
const W0: u64 = 0x9E37_79B9_7F4A_7C15;
const W1: u64 = 0xBB67_AE85_84CA_A73B;
/// Second key word of the normal stream, so normals and uniforms drawn
/// with one seed are independent.
const NORMAL_STREAM: u64 = 0x6e6f_726d_616c;

/// The Philox4x64-10 counter-based generator: a keyed bijection from a
/// 256-bit counter to four 64-bit words.
///
/// # Local
///
/// A pure function of key and counter, computed on the calling rank.
///
/// # Examples
///
/// ```
/// use gain::random::Philox4x64;
/// let g = Philox4x64::new([7, 0]);
/// // Word i of the stream is word i % 4 of block i / 4 + 1 (NumPy's order).
/// assert_eq!(g.word(5), g.block(2)[1]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Philox4x64 {
    key: [u64; 2],
}

impl Philox4x64 {
    /// A generator with the given 128-bit key (NumPy's `Philox(key=…)`
    /// takes the same two words, low word first).
    ///
    /// # Local
    ///
    /// A pure computation on the calling rank; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// let g = gain::random::Philox4x64::new([1, 2]);
    /// assert_ne!(g.block(0), gain::random::Philox4x64::new([1, 3]).block(0));
    /// ```
    pub fn new(key: [u64; 2]) -> Self {
        Philox4x64 { key }
    }

    /// The four words for counter `ctr` (the counter's high 128 bits are
    /// zero).
    ///
    /// # Local
    ///
    /// A pure computation on the calling rank; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// // Known-answer vector of Random123 for a zero counter and key.
    /// let w = gain::random::Philox4x64::new([0, 0]).block(0);
    /// assert_eq!(w[0], 0x16554d9eca36314c);
    /// ```
    #[inline]
    pub fn block(&self, ctr: u128) -> [u64; 4] {
        let mut c = [ctr as u64, (ctr >> 64) as u64, 0, 0];
        let mut k = self.key;
        for round in 0..10 {
            if round > 0 {
                k[0] = k[0].wrapping_add(W0);
                k[1] = k[1].wrapping_add(W1);
            }
            let p0 = u128::from(M0) * u128::from(c[0]);
            let p1 = u128::from(M1) * u128::from(c[2]);
            c = [
                ((p1 >> 64) as u64) ^ c[1] ^ k[0],
                p1 as u64,
                ((p0 >> 64) as u64) ^ c[3] ^ k[1],
                p0 as u64,
            ];
        }
        c
    }

    /// Word `i` of the stream NumPy's `Philox` bit generator returns from
    /// `random_raw`: word `i % 4` of the block for counter `i / 4 + 1`.
    ///
    /// # Local
    ///
    /// A pure computation on the calling rank; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// let g = gain::random::Philox4x64::new([3, 0]);
    /// assert_eq!(g.word(0), g.block(1)[0]);
    /// ```
    #[inline]
    pub fn word(&self, i: u128) -> u64 {
        self.block(i / 4 + 1)[(i % 4) as usize]
    }

    /// Fills `out` with words `start..start + out.len()` of the stream.
    fn words(&self, start: u128, out: &mut [f64], map: impl Fn(u64) -> f64) {
        let mut i = 0;
        let mut pos = start;
        while i < out.len() {
            let block = self.block(pos / 4 + 1);
            let first = (pos % 4) as usize;
            let n = (4 - first).min(out.len() - i);
            for j in 0..n {
                out[i + j] = map(block[first + j]);
            }
            i += n;
            pos += n as u128;
        }
    }
}

/// A double in `[0, 1)` from the top 53 bits of a word (NumPy's
/// `next_double`).
#[inline]
fn unit(word: u64) -> f64 {
    (word >> 11) as f64 * (1.0 / 9_007_199_254_740_992.0)
}

/// An array of the given shape whose elements are uniform in `[0, 1)`,
/// identical to NumPy's `Generator(Philox(key=seed)).random(shape)` and the
/// same at every rank count.
///
/// Errors: as [`GlobalArray::zeros`].
///
/// # Collective
///
/// Every rank must call it with the same shape (checked) and seed (not
/// checked: a rank passing another seed fills its block from that
/// stream); it returns after a [`sync`](GlobalArray::sync), with every
/// element in place.
///
/// # Examples
///
/// ```
/// # let rt = gain::init()?;
/// let a = gain::random::uniform(&rt, [10, 3], 42)?;
/// let x = a.at(&[9, 2])?;
/// assert!((0.0..1.0).contains(&x));
/// # Ok::<(), gain::Error>(())
/// ```
pub fn uniform<Sh: IntoDimension>(
    rt: &Runtime,
    shape: Sh,
    seed: u64,
) -> Result<GlobalArray<f64, Sh::Dim>> {
    during(
        "random::uniform",
        move || -> Result<GlobalArray<f64, Sh::Dim>> {
            let mut a = GlobalArray::zeros(rt, shape)?;
            fill_uniform(&mut a, seed, 0.0, 1.0)?;
            Ok(a)
        },
    )
}

/// An array of the given shape whose elements are standard normal
/// (Box–Muller on the words of one counter per element) and the same at
/// every rank count. Not NumPy's ziggurat stream.
///
/// Errors: as [`GlobalArray::zeros`].
///
/// # Collective
///
/// Every rank must call it with the same shape (checked) and seed (not
/// checked); it returns after a [`sync`](GlobalArray::sync), with every
/// element in place.
///
/// # Examples
///
/// ```
/// # let rt = gain::init()?;
/// let a = gain::random::normal(&rt, 1000, 1)?;
/// let mean = a.get(..)?.mean().unwrap();
/// assert!(mean.abs() < 0.2);
/// # Ok::<(), gain::Error>(())
/// ```
pub fn normal<Sh: IntoDimension>(
    rt: &Runtime,
    shape: Sh,
    seed: u64,
) -> Result<GlobalArray<f64, Sh::Dim>> {
    during(
        "random::normal",
        move || -> Result<GlobalArray<f64, Sh::Dim>> {
            let mut a = GlobalArray::zeros(rt, shape)?;
            fill_normal(&mut a, seed, 0.0, 1.0)?;
            Ok(a)
        },
    )
}

/// Overwrites `a` with values uniform in `[low, high)`: element `i` (C-order
/// linear index) is `low + (high - low) * u_i`, `u_i` the `i`-th double of
/// NumPy's `Generator(Philox(key=seed)).random()` stream. Each rank fills
/// its own block. For `f32` the `f64` value is rounded, so `high` itself
/// can occur (about one element in 2²⁵).
///
/// # Collective
///
/// Every rank must call it on the same array with the same seed and
/// bounds (not checked: each rank fills its own block from what it
/// passes); it ends with a [`sync`](GlobalArray::sync), so it returns
/// with every element in place.
///
/// # Examples
///
/// ```
/// # let rt = gain::init()?;
/// let mut a = gain::GlobalArray::<f32, _>::zeros(&rt, [4, 4])?;
/// gain::random::fill_uniform(&mut a, 5, -1.0, 1.0)?;
/// assert!(a.get(..)?.iter().all(|x| (-1.0..1.0).contains(x)));
/// # Ok::<(), gain::Error>(())
/// ```
pub fn fill_uniform<T, D>(a: &mut GlobalArray<T, D>, seed: u64, low: f64, high: f64) -> Result<()>
where
    T: Element + Float,
    D: Dimension,
{
    during("random::fill_uniform", move || -> Result<()> {
        let g = Philox4x64::new([seed, 0]);
        let scale = high - low;
        fill_by_index(a, |start, out| {
            g.words(start, out, |w| low + scale * unit(w))
        })
    })
}

/// Overwrites `a` with normal values of the given mean and standard
/// deviation; element `i` depends only on `seed` and `i`.
///
/// # Collective
///
/// Every rank must call it on the same array with the same seed, mean and
/// standard deviation (not checked: each rank fills its own block from
/// what it passes); it ends with a [`sync`](GlobalArray::sync), so it
/// returns with every element in place.
///
/// # Examples
///
/// ```
/// # let rt = gain::init()?;
/// let mut a = gain::GlobalArray::<f64, _>::zeros(&rt, 4000)?;
/// gain::random::fill_normal(&mut a, 9, 10.0, 2.0)?;
/// let v = a.get(..)?;
/// assert!((v.mean().unwrap() - 10.0).abs() < 0.2);
/// assert!((v.std(0.0) - 2.0).abs() < 0.2);
/// # Ok::<(), gain::Error>(())
/// ```
pub fn fill_normal<T, D>(a: &mut GlobalArray<T, D>, seed: u64, mean: f64, std: f64) -> Result<()>
where
    T: Element + Float,
    D: Dimension,
{
    during("random::fill_normal", move || -> Result<()> {
        let g = Philox4x64::new([seed, NORMAL_STREAM]);
        fill_by_index(a, |start, out| {
            for (j, o) in out.iter_mut().enumerate() {
                let w = g.block(start + j as u128);
                // u1 in (0, 1] keeps the logarithm finite.
                let u1 = unit(w[0]) + 1.0 / 9_007_199_254_740_992.0;
                let u2 = unit(w[1]);
                *o = mean + std * (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
            }
        })
    })
}

/// Runs `generate(first linear index, run)` over each contiguous run of this
/// rank's block and stores the values, then syncs. An array mapped
/// read-only is `ReadOnly` on every rank first.
fn fill_by_index<T, D>(
    a: &mut GlobalArray<T, D>,
    generate: impl Fn(u128, &mut [f64]) + Sync + Send,
) -> Result<()>
where
    T: Element + Float,
    D: Dimension,
{
    a.check_writable()?;
    let rank = a.runtime().rank();
    if let Some(block) = a.distribution(rank) {
        let shape = a.shape().to_vec();
        let nd = shape.len();
        // C-order strides of the whole array, in elements.
        let mut strides = vec![1u128; nd];
        for d in (0..nd.saturating_sub(1)).rev() {
            strides[d] = strides[d + 1] * shape[d + 1] as u128;
        }
        let run = if nd == 0 { 1 } else { block.shape()[nd - 1] };
        let mut local = a.local_mut();
        // A block with ghost cells is a strided view of its padded block:
        // generated into a contiguous copy, then copied in.
        let mut packed = None;
        let data = match local.as_slice_mut() {
            Some(data) => data,
            None => packed.insert(vec![T::zero(); block.len()]).as_mut_slice(),
        };
        // Batches of whole rows, about 4096 elements each, for the pool's
        // threads: every value depends on its linear index alone, so the
        // bits are the same on any thread count.
        let rows_per = (4096 / run.max(1)).max(1);
        let batches: Vec<(usize, &mut [T])> = data
            .chunks_mut(rows_per * run.max(1))
            .enumerate()
            .map(|(b, c)| (b * rows_per, c))
            .collect();
        let (lo, hi) = (block.lo(), block.hi());
        crate::threads::for_each(batches, |(first_row, batch)| {
            // The block index of the batch's first row: `first_row`
            // unravelled over all but the last dimension.
            let mut index = lo.to_vec();
            let mut r = first_row;
            for d in (0..nd.saturating_sub(1)).rev() {
                let ext = hi[d] - lo[d];
                index[d] = lo[d] + r % ext;
                r /= ext;
            }
            let mut buf = vec![0.0f64; run];
            for chunk in batch.chunks_exact_mut(run.max(1)) {
                let start: u128 = index
                    .iter()
                    .zip(&strides)
                    .map(|(&i, &s)| i as u128 * s)
                    .sum();
                generate(start, &mut buf);
                for (o, &v) in chunk.iter_mut().zip(&buf) {
                    *o = T::from(v).expect("a float converts to a float type");
                }
                // Next row: odometer over all but the last dimension.
                for d in (0..nd.saturating_sub(1)).rev() {
                    index[d] += 1;
                    if index[d] < hi[d] {
                        break;
                    }
                    index[d] = lo[d];
                }
            }
        });
        if let Some(packed) = packed {
            let packed = ndarray::ArrayView::from_shape(local.raw_dim(), &packed)
                .expect("the copy has the block's shape");
            local.assign(&packed);
        }
    }
    a.sync()
}
