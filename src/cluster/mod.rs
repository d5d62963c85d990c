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

mod kernel;

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use ndarray::{Array2, ArrayView2, Ix1, Ix2};

use crate::GlobalArray;
use crate::dist::Distribution;
use crate::error::{Error, ErrorKind, Result};
use crate::fault::during;
use crate::random::SplitMix64;

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

impl KMeans {
    /// `k` clusters; at most 300 iterations, tolerance `1e-9`, the first
    /// `k` points as initial centers, 64 fragments, the dynamic schedule.
    ///
    /// # Local
    ///
    /// Builds a configuration on this rank; nothing is communicated.
    ///
    /// # Examples
    ///
    /// ```
    /// let km = gain::cluster::KMeans::new(8);
    /// assert_eq!(km.clusters(), 8);
    /// ```
    pub fn new(k: usize) -> Self {
        KMeans {
            k,
            max_iter: 300,
            tol: 1e-9,
            init: Init::First,
            fragments: 64,
            schedule: Schedule::Dynamic,
        }
    }

    /// The number of clusters.
    ///
    /// # Local
    ///
    /// A query of this configuration.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(gain::cluster::KMeans::new(5).clusters(), 5);
    /// ```
    pub fn clusters(&self) -> usize {
        self.k
    }

    /// Stops after `n` iterations at most.
    ///
    /// # Local
    ///
    /// Changes this configuration only.
    ///
    /// # Examples
    ///
    /// ```
    /// let km = gain::cluster::KMeans::new(3).max_iter(20);
    /// # let _ = km;
    /// ```
    pub fn max_iter(mut self, n: usize) -> Self {
        self.max_iter = n;
        self
    }

    /// Stops once the centers move at most `tol` in one iteration (the
    /// Frobenius norm of the change, in the points' units).
    ///
    /// # Local
    ///
    /// Changes this configuration only.
    ///
    /// # Examples
    ///
    /// ```
    /// let km = gain::cluster::KMeans::new(3).tol(1e-6);
    /// # let _ = km;
    /// ```
    pub fn tol(mut self, tol: f64) -> Self {
        self.tol = tol;
        self
    }

    /// How the first centers are chosen.
    ///
    /// # Local
    ///
    /// Changes this configuration only.
    ///
    /// # Examples
    ///
    /// ```
    /// use gain::cluster::{Init, KMeans};
    /// let km = KMeans::new(2).init(Init::Given(ndarray::array![[0.0, 0.0], [1.0, 1.0]]));
    /// # let _ = km;
    /// ```
    pub fn init(mut self, init: Init) -> Self {
        self.init = init;
        self
    }

    /// Cuts the points into `f` fragments (at most one per point). More
    /// fragments balance the dynamic schedule better; each costs a row of
    /// `k × (d + 1)` sums that every rank reads each iteration.
    ///
    /// # Local
    ///
    /// Changes this configuration only.
    ///
    /// # Examples
    ///
    /// ```
    /// let km = gain::cluster::KMeans::new(3).fragments(16);
    /// # let _ = km;
    /// ```
    pub fn fragments(mut self, f: usize) -> Self {
        self.fragments = f;
        self
    }

    /// Which rank labels which fragment.
    ///
    /// # Local
    ///
    /// Changes this configuration only.
    ///
    /// # Examples
    ///
    /// ```
    /// use gain::cluster::{KMeans, Schedule};
    /// let km = KMeans::new(3).schedule(Schedule::Static);
    /// # let _ = km;
    /// ```
    pub fn schedule(mut self, s: Schedule) -> Self {
        self.schedule = s;
        self
    }

    /// A row distribution of `n × d` points over `nranks` ranks whose
    /// blocks start at fragment boundaries (each rank whole fragments,
    /// spread as evenly as fragments allow), so that [`fit`](Self::fit)
    /// gives bit-for-bit the same result at every rank count.
    ///
    /// # Local
    ///
    /// Pure index math on this rank.
    ///
    /// # Examples
    ///
    /// ```
    /// let km = gain::cluster::KMeans::new(2).fragments(4);
    /// let dist = km.points_distribution(100, 3, 2)?;
    /// assert_eq!(dist.bounds(0), &[0, 50, 100]);
    /// assert_eq!(dist.bounds(1), &[0, 3]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn points_distribution(&self, n: usize, d: usize, nranks: usize) -> Result<Distribution> {
        during(
            "KMeans::points_distribution",
            move || -> Result<Distribution> {
                if self.fragments == 0 {
                    return Err(invalid("k-means needs at least one fragment"));
                }
                let f = self.fragments.min(n.max(1));
                let starts: Vec<usize> = (0..nranks.min(f))
                    .map(|r| fragment_start(r * f / nranks.min(f), f, n))
                    .collect();
                Distribution::irregular(&[n, d], nranks, &[starts, vec![0]])
            },
        )
    }

    /// Runs Lloyd's algorithm on `points` (`n × d`, distributed by rows).
    ///
    /// # Collective
    ///
    /// Every rank calls it with the same configuration and the same points
    /// array; it returns when the centers have converged or the iteration
    /// limit is reached, on every rank with the same centers.
    ///
    /// # Errors
    ///
    /// [`InvalidArgument`](ErrorKind::InvalidArgument) when `k` is 0 or
    /// more than the points, or `fragments` is 0;
    /// [`InvalidDistribution`](ErrorKind::InvalidDistribution) when a block
    /// does not hold whole rows; [`ShapeMismatch`](ErrorKind::ShapeMismatch)
    /// when given centers are not `k × d`;
    /// [`InconsistentArguments`](ErrorKind::InconsistentArguments) when the
    /// ranks' configurations differ. Every rank returns these errors,
    /// before any array is created. An MPI call that fails during the
    /// iterations returns [`Mpi`](ErrorKind::Mpi) on the rank that saw it.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let points = gain::random::uniform(&rt, [200, 4], 3)?;
    /// let fit = gain::cluster::KMeans::new(3).max_iter(10).fit(&points)?;
    /// assert!(fit.iterations <= 10);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn fit(&self, points: &GlobalArray<f64, Ix2>) -> Result<KMeansFit> {
        during("KMeans::fit", move || -> Result<KMeansFit> {
            self.fit_with(points, |_| {})
        })
    }

    /// [`fit`](Self::fit), calling `before_iteration(i)` on every rank
    /// before iteration `i` (from 1) starts. The hook returns nothing: an
    /// error that ended the fit on one rank only would leave the others
    /// waiting in the iteration's synchronisation. Its time is not counted in
    /// [`KMeansFit::iteration_seconds`]. Benchmarks use it to time a plain
    /// read of the points between iterations.
    ///
    /// # Collective
    ///
    /// As [`fit`](Self::fit); a hook that communicates must do so on every
    /// rank (it is called on every rank at the same point of the run).
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let points = gain::random::uniform(&rt, [100, 2], 5)?;
    /// let mut seen = Vec::new();
    /// let fit = gain::cluster::KMeans::new(2).max_iter(3).tol(0.0).fit_with(&points, |i| {
    ///     seen.push(i);
    /// })?;
    /// assert_eq!(seen, (1..=fit.iterations).collect::<Vec<_>>());
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn fit_with(
        &self,
        points: &GlobalArray<f64, Ix2>,
        mut before_iteration: impl FnMut(usize),
    ) -> Result<KMeansFit> {
        during("KMeans::fit_with", move || -> Result<KMeansFit> {
            let rt = points.runtime();
            let plan = self.plan(points);
            let args = plan
                .as_ref()
                .map(|_| self.arguments())
                .map_err(Error::clone);
            rt.agree_arguments(args.as_ref().map(|a| &a[..]).map_err(Error::clone))?;
            let plan = plan?;
            let (n, d, k) = (plan.n, plan.d, self.k);
            let (np, rank) = (rt.size(), rt.rank());
            let width = k * (d + 1);
            let pieces = plan.pieces.len() - 1;

            // Each fragment's sums and counts, a row a fragment, with the
            // fragment's owner; labels distributed like the points; two
            // counters a rank (one per iteration parity) handing out its
            // fragments.
            let row_starts: Vec<usize> = plan.owned.iter().map(|o| o.rows.0).collect();
            let frag_starts: Vec<usize> = plan.owned.iter().map(|o| o.frags.0).collect();
            let mut labels = GlobalArray::<i32, Ix1>::zeros_irregular(rt, n, &[row_starts])?;
            let mut partials = GlobalArray::<f64, Ix2>::zeros_irregular(
                rt,
                [pieces, width],
                &[frag_starts, vec![0]],
            )?;
            let mut counters = GlobalArray::<i64, Ix2>::zeros_irregular(
                rt,
                [np, 2],
                &[(0..np).collect(), vec![0]],
            )?;
            let owners = self.owners(points, rank);

            let mut centers = self.initial_centers(points, n, d)?;
            // No point is in a cluster yet; the kernel keeps the fragment sums
            // and the labels up to date from then on.
            labels.fill(-1)?;
            let mut seconds = Vec::new();
            let mut shift = f64::INFINITY;
            for it in 1..=self.max_iter {
                before_iteration(it);
                let start = Instant::now();
                let kernel = kernel::Centers::new(centers.view());
                // This iteration's counters start at 0; the other parity's are
                // reset for the next one (no rank reads them until then: the
                // counters' sync at the end of this one lies between).
                let parity = it % 2;
                counters.local_mut()[[0, 1 - parity]] = 0;
                for &owner in &owners {
                    let Some(own) = plan.owned.get(owner) else {
                        continue; // a rank past the blocks owns no points
                    };
                    let (f0, f1) = own.frags;
                    // The fragments of `owner` are taken one at a time by
                    // the threads of this rank's pool: from a local
                    // counter (static schedule) or from the owner's shared
                    // one, which the node's other ranks take from too.
                    let local_next = AtomicUsize::new(f0);
                    let take = || -> Result<usize> {
                        Ok(match self.schedule {
                            Schedule::Static => local_next.fetch_add(1, Ordering::Relaxed),
                            _ => f0 + counters.read_inc(&[owner, parity], 1)? as usize,
                        })
                    };
                    // Below MPI_THREAD_MULTIPLE only this thread may call
                    // MPI (the counters and other nodes' blocks): one worker.
                    let multiple = rt.thread_level() == mpi::environment::Threading::Multiple;
                    let n_workers = if multiple {
                        crate::threads::threads()
                    } else {
                        1
                    };
                    let workers: Vec<usize> = (0..n_workers).collect();
                    if owner == rank {
                        // Its own points, labels and sums in place: each
                        // fragment's labels and sums are a slice of their
                        // own, which the thread taking it locks.
                        let block = points.local();
                        let pts = contiguous(&block)?;
                        let mut lab = labels.local_mut();
                        let mut lab = lab.as_slice_mut().expect("a block is contiguous");
                        let mut part = partials.local_mut();
                        let part = part.as_slice_mut().expect("a block is contiguous");
                        let mut frags = Vec::with_capacity(f1 - f0);
                        for (j, sums) in (f0..f1).zip(part.chunks_mut(width)) {
                            let rows = plan.pieces[j + 1] - plan.pieces[j];
                            let (mine, rest) = std::mem::take(&mut lab).split_at_mut(rows);
                            lab = rest;
                            frags.push(Mutex::new((mine, sums)));
                        }
                        let work = |_| -> Result<()> {
                            loop {
                                let j = take()?;
                                if j >= f1 {
                                    return Ok(());
                                }
                                let a = plan.pieces[j] - own.rows.0;
                                let b = plan.pieces[j + 1] - own.rows.0;
                                let mut frag =
                                    frags[j - f0].lock().unwrap_or_else(|e| e.into_inner());
                                let (lab, sums) = &mut *frag;
                                kernel::cluster_partial_sum(&pts[a * d..b * d], &kernel, lab, sums);
                            }
                        };
                        crate::threads::map(workers, work)
                            .into_iter()
                            .collect::<Result<Vec<()>>>()?;
                    } else {
                        // A node rank's: its points in place, its labels
                        // and sums through get and put (plain copies on a
                        // node).
                        let block = points.local_of(owner)?;
                        let pts = contiguous(&block)?;
                        let work = |_| -> Result<()> {
                            loop {
                                let j = take()?;
                                if j >= f1 {
                                    return Ok(());
                                }
                                let (lo, hi) = (plan.pieces[j], plan.pieces[j + 1]);
                                let (a, b) = (lo - own.rows.0, hi - own.rows.0);
                                let mut lab = labels.get(lo..hi)?;
                                let mut part = partials.get([j..j + 1, 0..width])?;
                                kernel::cluster_partial_sum(
                                    &pts[a * d..b * d],
                                    &kernel,
                                    lab.as_slice_mut().expect("a fresh array is contiguous"),
                                    part.as_slice_mut().expect("a fresh array is contiguous"),
                                );
                                labels.put(lo..hi, &lab)?;
                                partials.put([j..j + 1, 0..width], &part)?;
                            }
                        };
                        crate::threads::map(workers, work)
                            .into_iter()
                            .collect::<Result<Vec<()>>>()?;
                    }
                }
                // Every fragment's sums, in fragment order on every rank. The
                // labels' and counters' syncs after the copy keep every rank
                // from writing the next iteration's sums before all have read
                // these.
                partials.sync()?;
                let all = partials.get([0..pieces, 0..width])?;
                labels.sync()?;
                counters.sync()?;
                shift = update(
                    &mut centers,
                    all.as_slice().expect("a fresh array is contiguous"),
                );
                seconds.push(start.elapsed().as_secs_f64());
                if shift <= self.tol {
                    break;
                }
            }
            labels.sync()?;
            Ok(KMeansFit {
                centers,
                labels,
                iterations: seconds.len(),
                shift,
                converged: shift <= self.tol,
                iteration_seconds: seconds,
            })
        })
    }

    /// Checks the configuration against `points` and cuts the rows into
    /// fragments: the fragment grid `j * n / f`, also cut at every block
    /// boundary, so each fragment lies in one block.
    fn plan(&self, points: &GlobalArray<f64, Ix2>) -> Result<Plan> {
        let (n, d) = (points.shape()[0], points.shape()[1]);
        if self.k == 0 || self.k > n || self.k > i32::MAX as usize {
            return Err(invalid(format!(
                "k-means needs 1 <= k <= points, got k = {} for {n} points",
                self.k
            )));
        }
        if self.fragments == 0 {
            return Err(invalid("k-means needs at least one fragment"));
        }
        if let Init::Given(c) = &self.init
            && c.dim() != (self.k, d)
        {
            return Err(Error::new(
                ErrorKind::ShapeMismatch,
                format!(
                    "initial centers are {:?}, k-means with k = {} on {d}-d points needs ({}, {d})",
                    c.dim(),
                    self.k,
                    self.k
                ),
            ));
        }
        let dist = points.distribution_map();
        if dist.grid()[1] != 1 {
            return Err(Error::new(
                ErrorKind::InvalidDistribution,
                format!(
                    "k-means needs points distributed by rows (whole rows in every block), \
                     the blocks cut the {d} columns at {:?}; see KMeans::points_distribution",
                    dist.bounds(1)
                ),
            ));
        }
        let f = self.fragments.min(n);
        let mut pieces: Vec<usize> = (0..=f).map(|j| fragment_start(j, f, n)).collect();
        pieces.extend_from_slice(dist.bounds(0));
        pieces.sort_unstable();
        pieces.dedup();
        let mut owned = Vec::new();
        for r in 0..points.runtime().size() {
            let Some(block) = dist.block(r) else { break };
            let rows = (block.lo()[0], block.hi()[0]);
            let first = pieces.partition_point(|&p| p < rows.0);
            let end = pieces.partition_point(|&p| p < rows.1);
            owned.push(Owned {
                rows,
                frags: (first, end),
            });
        }
        Ok(Plan {
            n,
            d,
            pieces,
            owned,
        })
    }

    /// The ranks whose fragments `rank` takes, in order.
    fn owners(&self, points: &GlobalArray<f64, Ix2>, rank: usize) -> Vec<usize> {
        let node = points.node_ranks();
        let at = node
            .iter()
            .position(|&r| r == rank)
            .expect("a rank is on its node");
        let first = at + usize::from(self.schedule == Schedule::Rotated);
        match self.schedule {
            Schedule::Static => vec![rank],
            _ => (0..node.len())
                .map(|i| node[(first + i) % node.len()])
                .collect(),
        }
    }

    fn initial_centers(
        &self,
        points: &GlobalArray<f64, Ix2>,
        n: usize,
        d: usize,
    ) -> Result<Array2<f64>> {
        match &self.init {
            Init::First => points.get([0..self.k, 0..d]),
            Init::Given(c) => Ok(c.clone()),
            Init::Random { seed } => {
                // k distinct rows by a partial Fisher-Yates shuffle of the
                // row indices, driven by SplitMix64: the same on every rank.
                let mut rng = SplitMix64::new(*seed);
                let mut picked: Vec<usize> = Vec::with_capacity(self.k);
                let mut swapped = std::collections::HashMap::new();
                for i in 0..self.k {
                    let j = i + rng.below(n - i);
                    let vj = *swapped.get(&j).unwrap_or(&j);
                    let vi = *swapped.get(&i).unwrap_or(&i);
                    swapped.insert(j, vi);
                    picked.push(vj);
                }
                let mut c = Array2::zeros((self.k, d));
                for (row, &p) in c.rows_mut().into_iter().zip(&picked) {
                    points.get_into([p..p + 1, 0..d], row.insert_axis(ndarray::Axis(0)))?;
                }
                Ok(c)
            }
        }
    }

    /// A fingerprint of the configuration, for the ranks' agreement.
    /// The configuration as named texts, compared across ranks by the
    /// fit's agreement.
    fn arguments(&self) -> Vec<(&'static str, String)> {
        vec![
            ("k", self.k.to_string()),
            ("max_iter", self.max_iter.to_string()),
            ("tol", format!("{:?}", self.tol)),
            ("fragments", format!("{:?}", self.fragments)),
            ("schedule", format!("{:?}", self.schedule)),
            ("init", format!("{:?}", self.init)),
        ]
    }
}

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

/// Point `j * n / f`: where fragment `j` of `f` starts.
fn fragment_start(j: usize, f: usize, n: usize) -> usize {
    // In u128: `j * n` may pass usize::MAX for huge arrays.
    (j as u128 * n as u128 / f as u128) as usize
}

/// The fragments and who owns which.
struct Plan {
    n: usize,
    d: usize,
    /// Fragment `j` is rows `pieces[j]..pieces[j + 1]`.
    pieces: Vec<usize>,
    /// Per rank that owns a block, in rank order: its rows and fragments.
    owned: Vec<Owned>,
}

struct Owned {
    rows: (usize, usize),
    frags: (usize, usize),
}

/// A block's elements as one slice.
fn contiguous(block: &ndarray::ArrayRef2<f64>) -> Result<&[f64]> {
    block.as_slice().ok_or_else(|| {
        Error::new(
            ErrorKind::InvalidDistribution,
            "a block of the points is not contiguous",
        )
    })
}

/// New centers from the fragments' sums and counts, added in fragment
/// order; an empty cluster keeps its center. Returns how far the centers
/// moved (Frobenius norm).
fn update(centers: &mut Array2<f64>, partials: &[f64]) -> f64 {
    let (k, d) = centers.dim();
    let width = k * (d + 1);
    let mut total = vec![0.0; width];
    for frag in partials.chunks_exact(width) {
        for (t, &x) in total.iter_mut().zip(frag) {
            *t += x;
        }
    }
    let mut moved = 0.0;
    for c in 0..k {
        let count = total[k * d + c];
        if count > 0.0 {
            for j in 0..d {
                let new = total[c * d + j] / count;
                moved += (new - centers[[c, j]]).powi(2);
                centers[[c, j]] = new;
            }
        }
    }
    moved.sqrt()
}

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidArgument, message)
}
