//! [`Lloyd`]: the labelling and sum update of one fragment, the kernel
//! [`KMeans`](super::KMeans) runs, for programs that distribute their
//! points their own way.

use ndarray::ArrayView2;

#[cfg(doc)]
use super::KMeans;
use super::{invalid, kernel};
use crate::error::{Error, ErrorKind, Result};
use crate::fault::during;

/// Lloyd's labelling and sum update for one fragment of points held by
/// this rank: the kernel [`KMeans`] runs on every fragment, for programs
/// that distribute their points their own way.
///
/// `partial` holds the fragment's per-cluster sums and counts: `k × d` sums
/// (cluster by cluster), then `k` counts. On entry `labels` holds each
/// point's previous cluster, or -1 for a point not yet counted, and
/// `partial` the sums and counts of those clusters (zeros before the first
/// call). On return both describe the nearest centers: each point that
/// changed cluster has been subtracted from its old sum and added to its
/// new one, in point order, so the sums are bit for bit those of a plain
/// loop doing the same.
///
/// # Examples
///
/// ```
/// use gain::cluster::Lloyd;
/// use ndarray::array;
/// let lloyd = Lloyd::new(array![[0.0, 0.0], [10.0, 10.0]].view())?;
/// let points = [1.0, 0.0, 9.0, 9.0, 0.0, 2.0];
/// let mut labels = [-1; 3];
/// let mut partial = [0.0; 2 * 3];
/// lloyd.update(&points, &mut labels, &mut partial)?;
/// assert_eq!(labels, [0, 1, 0]);
/// assert_eq!(partial, [1.0, 2.0, 9.0, 9.0, 2.0, 1.0]);
/// # Ok::<(), gain::Error>(())
/// ```
pub struct Lloyd {
    centers: kernel::Centers,
    k: usize,
    d: usize,
}

/// # Building and running the kernel
impl Lloyd {
    /// The kernel for these centers (`k × d`, `k, d >= 1`).
    ///
    /// # Local
    ///
    /// Prepares the centers on this rank; nothing is communicated.
    ///
    /// # Errors
    ///
    /// [`InvalidArgument`](ErrorKind::InvalidArgument) for no centers or
    /// zero-width ones.
    ///
    /// # Examples
    ///
    /// ```
    /// let lloyd = gain::cluster::Lloyd::new(ndarray::Array2::zeros((3, 8)).view())?;
    /// # let _ = lloyd;
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn new(centers: ArrayView2<f64>) -> Result<Lloyd> {
        during("Lloyd::new", move || -> Result<Lloyd> {
            let (k, d) = centers.dim();
            if k == 0 || d == 0 || k > i32::MAX as usize {
                return Err(invalid(format!(
                    "Lloyd's kernel needs 1 <= k <= 2^31 - 1 centers of >= 1 coordinates, got {k} x {d}"
                )));
            }
            Ok(Lloyd {
                centers: kernel::Centers::new(centers),
                k,
                d,
            })
        })
    }

    /// Labels `points` (rows of `d`, in a slice) with their nearest centers
    /// (ties to the lower index) and brings `labels` and `partial` up to
    /// date, as the type's docs describe.
    ///
    /// # Local
    ///
    /// Computes on this rank's memory only.
    ///
    /// # Errors
    ///
    /// [`ShapeMismatch`](ErrorKind::ShapeMismatch) when the slices'
    /// lengths do not match (`points.len() == labels.len() * d`,
    /// `partial.len() == k * (d + 1)`), and
    /// [`InvalidArgument`](ErrorKind::InvalidArgument) for a label outside
    /// `-1..k`; nothing is changed then.
    ///
    /// # Examples
    ///
    /// ```
    /// let lloyd = gain::cluster::Lloyd::new(ndarray::array![[0.0], [1.0]].view())?;
    /// let mut labels = [-1, -1];
    /// let mut partial = [0.0; 4];
    /// lloyd.update(&[0.2, 0.9], &mut labels, &mut partial)?;
    /// assert_eq!(labels, [0, 1]);
    /// assert!(lloyd.update(&[0.2], &mut labels, &mut partial).is_err());
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn update(&self, points: &[f64], labels: &mut [i32], partial: &mut [f64]) -> Result<()> {
        during("Lloyd::update", move || -> Result<()> {
            let (k, d) = (self.k, self.d);
            if Some(points.len()) != labels.len().checked_mul(d) || partial.len() != k * (d + 1) {
                return Err(Error::new(
                    ErrorKind::ShapeMismatch,
                    format!(
                        "{} coordinates, {} labels and {} partial sums for {k} centers of {d}: \
                     need labels x {d} coordinates and {} partial sums",
                        points.len(),
                        labels.len(),
                        partial.len(),
                        k * (d + 1)
                    ),
                ));
            }
            if let Some(bad) = labels.iter().find(|&&l| l < -1 || l >= k as i32) {
                return Err(invalid(format!("label {bad} outside -1..{k}")));
            }
            kernel::cluster_partial_sum(points, &self.centers, labels, partial);
            Ok(())
        })
    }
}
