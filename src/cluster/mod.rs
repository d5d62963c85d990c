//! Clustering of distributed points: Lloyd's k-means ([`KMeans`]), as
//! Heat's `heat.cluster.KMeans` and scikit-learn's `KMeans` offer it.
//!
//! The points are a `GlobalArray<f64, Ix2>` of `n × d`, distributed by rows
//! (every block holds whole rows). Each rank labels its points in place
//! through its zero-copy block, so an iteration reads the points once from
//! memory and moves only cluster sums between ranks.
//!
//! # How an iteration works
//!
//! The rows are cut into *fragments* (contiguous runs of points, each
//! inside one rank's block). Every fragment keeps its per-cluster sums and
//! counts from one iteration to the next, in a distributed array with a row
//! per fragment. An iteration labels each point with its nearest center and
//! moves only the points that changed cluster from their old sum to their
//! new one, so after the first few iterations it costs little more than
//! reading the points. Then every rank copies all fragment sums and adds
//! them in fragment order: the centers are bit-for-bit the same whichever
//! rank labelled which fragment, and at every rank count when the blocks
//! fall on fragment boundaries (as [`KMeans::points_distribution`] lays
//! them out).
//!
//! Fragments are handed out dynamically within a node ([`Schedule::Dynamic`]):
//! each rank takes its own fragments one at a time from a shared counter
//! (`read_inc`), then helps the other ranks of its node with theirs,
//! reading their points in place through the node's shared memory. A rank
//! slowed by a busy core then costs the iteration a fragment, not its share.
//! Inside a rank, the threads of its pool ([`threads`](crate::threads))
//! take the fragments the same way, each from the shared counter, so one
//! rank of two threads labels as two ranks of one do, with the same bits.
//!
//! Built on `GlobalArray`'s public methods (local views, `get`, `put`,
//! `read_inc`, `sync`) and the runtime's agreement on collective arguments.
//!
//! The files:
//! - `mod.rs` — the configuration ([`KMeans`], [`Init`], [`Schedule`]) and
//!   the result ([`KMeansFit`]);
//! - `kmeans.rs` — [`KMeans`]'s builder methods, `points_distribution`,
//!   `fit` and `fit_with`;
//! - `fit.rs` — the fit itself: the fragment plan, the agreement, the
//!   distributed sums and labels, and Lloyd's iterations over them;
//! - `lloyd.rs` — [`Lloyd`], the labelling kernel for one fragment;
//! - `kernel.rs` — the kernel inside.

mod fit;
mod kernel;
mod kmeans;
mod lloyd;

pub use lloyd::Lloyd;

use ndarray::{Array2, Ix1};

use crate::GlobalArray;
use crate::error::{Error, ErrorKind};

/// How the first centers are chosen.
///
/// # Examples
///
/// ```
/// use gain::cluster::{Init, KMeans};
/// let km = KMeans::new(3).init(Init::Random { seed: 7 });
/// assert_eq!(km.clusters(), 3);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum Init {
    /// The first `k` points (rows `0..k`).
    First,
    /// `k` distinct points drawn uniformly by a generator seeded with
    /// `seed`, the same on every rank and at every rank count.
    Random {
        /// The generator's seed.
        seed: u64,
    },
    /// These centers, `k × d`; every rank must pass the same values.
    Given(Array2<f64>),
}

/// Which rank labels which fragment.
///
/// # Examples
///
/// ```
/// use gain::cluster::{KMeans, Schedule};
/// let km = KMeans::new(4).schedule(Schedule::Static);
/// # let _ = km;
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Schedule {
    /// Each rank labels its own fragments (owner computes).
    Static,
    /// Each rank takes its own fragments first, one at a time from a
    /// shared counter, then helps the other ranks of its node with theirs
    /// (the default).
    Dynamic,
    /// As `Dynamic`, but each rank starts with the next node rank's
    /// fragments, so every fragment is labelled by a rank that does not own
    /// it: the path a slow rank's fragments take, taken by all. Slower; it
    /// exists to exercise that path.
    Rotated,
}

/// Lloyd's k-means on distributed points, configured builder-style.
///
/// Every rank must build the same `KMeans` and call [`fit`](Self::fit)
/// together.
///
/// # Examples
///
/// ```
/// use gain::GlobalArray;
/// use gain::cluster::KMeans;
/// # let rt = gain::init()?;
/// let km = KMeans::new(2).max_iter(50);
/// let mut points =
///     GlobalArray::<f64, _>::with_distribution(&rt, km.points_distribution(100, 2, rt.size())?)?;
/// // Two blobs: even points near (0.5, 0.5), odd ones near (10.5, 10.5).
/// gain::random::fill_uniform(&mut points, 1, 0.0, 1.0)?;
/// if let Some(rows) = points.distribution(rt.rank()) {
///     let lo = rows.lo()[0];
///     for (i, mut p) in points.local_mut().rows_mut().into_iter().enumerate() {
///         if (lo + i) % 2 == 1 {
///             p += 10.0;
///         }
///     }
/// }
/// points.sync()?;
/// let fit = km.fit(&points)?;
/// assert!(fit.converged);
/// let mut xs: Vec<f64> = fit.centers.column(0).to_vec();
/// xs.sort_by(f64::total_cmp);
/// assert!(xs[0] < 1.0 && xs[1] > 10.0);
/// # Ok::<(), gain::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct KMeans {
    k: usize,
    max_iter: usize,
    tol: f64,
    init: Init,
    fragments: usize,
    schedule: Schedule,
}

/// The result of [`KMeans::fit`].
///
/// # Examples
///
/// ```
/// # let rt = gain::init()?;
/// # let km = gain::cluster::KMeans::new(2);
/// # let points = gain::random::uniform(&rt, [40, 3], 0)?;
/// let fit = km.fit(&points)?;
/// assert_eq!(fit.centers.dim(), (2, 3));
/// assert_eq!(fit.labels.shape(), &[40]);
/// assert_eq!(fit.iteration_seconds.len(), fit.iterations);
/// # Ok::<(), gain::Error>(())
/// ```
#[derive(Debug)]
pub struct KMeansFit {
    /// The final centers, `k × d`, the same on every rank.
    pub centers: Array2<f64>,
    /// Each point's cluster (`0..k`), distributed by rows like the points.
    pub labels: GlobalArray<i32, Ix1>,
    /// Iterations run.
    pub iterations: usize,
    /// How far the centers moved in the last iteration (the Frobenius norm
    /// of the change).
    pub shift: f64,
    /// Whether the last shift was within the tolerance (otherwise the
    /// iteration limit stopped the run).
    pub converged: bool,
    /// Wall-clock seconds of each iteration on this rank, from its start to
    /// the end of its center update (the `before_iteration` hook of
    /// [`KMeans::fit_with`] not included).
    pub iteration_seconds: Vec<f64>,
}

/// Point `j * n / f`: where fragment `j` of `f` starts.
fn fragment_start(j: usize, f: usize, n: usize) -> usize {
    // In u128: `j * n` may pass usize::MAX for huge arrays.
    (j as u128 * n as u128 / f as u128) as usize
}

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidArgument, message)
}
