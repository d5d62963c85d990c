//! Distributed linear algebra on 2-D global arrays: matrix product
//! (Global Arrays' `GA_Dgemm`) and transpose.
//!
//! Owner computes: each rank computes its own block of the result. The
//! operand panels it needs come from [`GlobalArray::access_nb`]: read in
//! place from shared memory when one same-node block holds them (no copy),
//! and otherwise fetched with one one-sided non-blocking get per panel,
//! which gain splits among their owners; the next pair of panels is in
//! flight while the current pair is multiplied, so transfers from other
//! nodes overlap the compute. The local products are ndarray's
//! `general_mat_mul`: matrixmultiply's runtime-selected SIMD kernels for
//! `f32`/`f64` by default, or the system's OpenBLAS `dgemm`/`sgemm` with
//! the `blas` cargo feature (then each rank's OpenBLAS gets its share of
//! the node's cores, see [`init`](crate::init)).

use ndarray::{Ix2, LinalgScalar};

use crate::error::bail;
use crate::{Element, GlobalArray, Result};

/// Sorted union of two lists of block boundaries within `[0, n]`.
fn merge_bounds(a: &[usize], b: &[usize], n: usize) -> Vec<usize> {
    let mut v: Vec<usize> = a.iter().chain(b).copied().filter(|&x| x < n).collect();
    v.push(0);
    v.push(n);
    v.sort_unstable();
    v.dedup();
    v
}

/// `c = alpha * a · b + beta * c` (`GA_Dgemm`) for any 2-D distributions
/// of `a` (m × k), `b` (k × n) and `c` (m × n). Each rank computes its
/// block of `c`, splitting the inner dimension where the blocks of `a` and
/// `b` do, so every panel lies in one block of each operand when the
/// distributions line up. With `beta == 0` the old `c` is ignored (NaNs in
/// it do not propagate). Starts and ends with a sync of `c`.
///
/// Errors: [`ShapeMismatch`](crate::ErrorKind::ShapeMismatch) when the
/// shapes do not chain, on every rank, before anything is written.
///
/// # Collective
///
/// ```
/// let rt = gain::init().unwrap();
/// let a = gain::random::uniform(&rt, [6, 4], 1).unwrap();
/// let b = gain::random::uniform(&rt, [4, 5], 2).unwrap();
/// let mut c = gain::GlobalArray::<f64, _>::zeros(&rt, [6, 5]).unwrap();
/// gain::linalg::matmul_into(1.0, &a, &b, 0.0, &mut c).unwrap();
/// let serial = a.get([0..6, 0..4]).unwrap().dot(&b.get([0..4, 0..5]).unwrap());
/// let dist = c.get([0..6, 0..5]).unwrap();
/// assert!(dist.iter().zip(&serial).all(|(x, y)| (x - y).abs() < 1e-12));
/// ```
pub fn matmul_into<T>(
    alpha: T,
    a: &GlobalArray<T, Ix2>,
    b: &GlobalArray<T, Ix2>,
    beta: T,
    c: &mut GlobalArray<T, Ix2>,
) -> Result<()>
where
    T: Element + LinalgScalar,
{
    let (m, k) = (a.shape()[0], a.shape()[1]);
    let n = b.shape()[1];
    if b.shape()[0] != k || c.shape() != [m, n] {
        bail!(
            ShapeMismatch,
            "matmul of {:?} by {:?} into {:?}",
            a.shape(),
            b.shape(),
            c.shape()
        );
    }
    // Every rank's earlier writes to the operands are complete and visible.
    a.sync()?;
    b.sync()?;
    c.sync()?;
    let rank = c.runtime().rank();
    if let Some(block) = c.distribution(rank) {
        let (rows, cols) = (
            (block.lo()[0], block.hi()[0]),
            (block.lo()[1], block.hi()[1]),
        );
        let mut out = c.local_mut();
        if beta == T::zero() {
            out.fill(T::zero());
        } else if beta != T::one() {
            out.mapv_inplace(|x| x * beta);
        }
        let inner = merge_bounds(
            a.distribution_map().bounds(1),
            b.distribution_map().bounds(0),
            k,
        );
        // Double buffering: the next pair of panels travels while this
        // pair is multiplied.
        let start = |w: &[usize]| -> Result<_> {
            Ok((
                a.access_nb([rows.0..rows.1, w[0]..w[1]])?,
                b.access_nb([w[0]..w[1], cols.0..cols.1])?,
            ))
        };
        let mut steps = inner.windows(2);
        let mut next = steps.next().map(start).transpose()?;
        while let Some((a_panel, b_panel)) = next.take() {
            next = steps.next().map(start).transpose()?;
            let (a_panel, b_panel) = (a_panel.wait()?, b_panel.wait()?);
            ndarray::linalg::general_mat_mul(alpha, &a_panel, &b_panel, T::one(), &mut out);
        }
    }
    c.sync()
}

/// The product `a · b` as a new array with the default distribution.
///
/// Errors: [`ShapeMismatch`](crate::ErrorKind::ShapeMismatch) when
/// `a.shape()[1] != b.shape()[0]`.
///
/// # Collective
///
/// ```
/// let rt = gain::init().unwrap();
/// let a = gain::GlobalArray::<f64, _>::zeros(&rt, [3, 2]).unwrap();
/// let b = gain::GlobalArray::<f64, _>::zeros(&rt, [2, 7]).unwrap();
/// assert_eq!(gain::linalg::matmul(&a, &b).unwrap().shape(), &[3, 7]);
/// assert!(gain::linalg::matmul(&a, &a).is_err());
/// ```
pub fn matmul<T>(a: &GlobalArray<T, Ix2>, b: &GlobalArray<T, Ix2>) -> Result<GlobalArray<T, Ix2>>
where
    T: Element + LinalgScalar,
{
    if a.shape()[1] != b.shape()[0] {
        bail!(
            ShapeMismatch,
            "matmul of {:?} by {:?}",
            a.shape(),
            b.shape()
        );
    }
    let mut c = GlobalArray::zeros(a.runtime(), [a.shape()[0], b.shape()[1]])?;
    matmul_into(T::one(), a, b, T::zero(), &mut c)?;
    Ok(c)
}

/// The transpose of `a` as a new array with the default distribution
/// (`GA_Transpose`). Each rank fills its own block from the matching
/// region of `a`, read in place when one same-node block holds it.
///
/// # Collective
///
/// ```
/// let rt = gain::init().unwrap();
/// let a = gain::random::uniform(&rt, [3, 5], 7).unwrap();
/// let t = gain::linalg::transpose(&a).unwrap();
/// assert_eq!(t.get([0..5, 0..3]).unwrap(), a.get([0..3, 0..5]).unwrap().t());
/// ```
pub fn transpose<T: Element>(a: &GlobalArray<T, Ix2>) -> Result<GlobalArray<T, Ix2>> {
    let mut t = GlobalArray::zeros(a.runtime(), [a.shape()[1], a.shape()[0]])?;
    transpose_into(a, &mut t)?;
    Ok(t)
}

/// Writes the transpose of `a` into `t`, whatever their distributions.
///
/// Errors: [`ShapeMismatch`](crate::ErrorKind::ShapeMismatch) unless
/// `t` is `a`'s shape reversed.
///
/// # Collective
///
/// ```
/// let rt = gain::init().unwrap();
/// let a = gain::random::uniform(&rt, [4, 2], 3).unwrap();
/// let mut t = gain::GlobalArray::<f64, _>::zeros_chunked(&rt, [2, 4], &[2, 0]).unwrap();
/// gain::linalg::transpose_into(&a, &mut t).unwrap();
/// assert_eq!(t.at(&[1, 3]).unwrap(), a.at(&[3, 1]).unwrap());
/// ```
pub fn transpose_into<T: Element>(
    a: &GlobalArray<T, Ix2>,
    t: &mut GlobalArray<T, Ix2>,
) -> Result<()> {
    if t.shape() != [a.shape()[1], a.shape()[0]] {
        bail!(
            ShapeMismatch,
            "transpose of {:?} into {:?}",
            a.shape(),
            t.shape()
        );
    }
    a.sync()?;
    if let Some(block) = t.distribution(t.runtime().rank()) {
        let src = a.access([block.lo()[1]..block.hi()[1], block.lo()[0]..block.hi()[0]])?;
        t.local_mut().assign(&src.t());
    }
    t.sync()
}
