//! The k-means fit itself: the plan of fragments and its agreement, the
//! distributed labels, sums and counters, and Lloyd's iterations over
//! them (see the [module docs](super) for how an iteration works).

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use ndarray::{Array2, Ix1, Ix2};

use super::{Init, KMeans, KMeansFit, Schedule, fragment_start, invalid, kernel};
use crate::error::{Error, ErrorKind, Result};
use crate::random::SplitMix64;
use crate::{GlobalArray, Runtime};

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

/// The distributed arrays of a fit.
struct Sums {
    /// Each point's cluster, distributed like the points.
    labels: GlobalArray<i32, Ix1>,
    /// Each fragment's sums and counts, a row a fragment, with the
    /// fragment's owner.
    partials: GlobalArray<f64, Ix2>,
    /// Two counters a rank (one per iteration parity) handing out its
    /// fragments.
    counters: GlobalArray<i64, Ix2>,
}

/// # Creating the arrays
impl Plan {
    /// The fit's arrays, created collectively (in this order): labels
    /// distributed like the points, each fragment's sums and counts
    /// (`width` of them) in a row of its own with the fragment's owner,
    /// two counters a rank.
    fn sums(&self, rt: &Runtime, width: usize) -> Result<Sums> {
        let (n, np) = (self.n, rt.size());
        let pieces = self.pieces.len() - 1;
        let row_starts: Vec<usize> = self.owned.iter().map(|o| o.rows.0).collect();
        let frag_starts: Vec<usize> = self.owned.iter().map(|o| o.frags.0).collect();
        let labels = GlobalArray::<i32, Ix1>::zeros_irregular(rt, n, &[row_starts])?;
        let partials =
            GlobalArray::<f64, Ix2>::zeros_irregular(rt, [pieces, width], &[frag_starts, vec![0]])?;
        let counters =
            GlobalArray::<i64, Ix2>::zeros_irregular(rt, [np, 2], &[(0..np).collect(), vec![0]])?;
        Ok(Sums {
            labels,
            partials,
            counters,
        })
    }
}

/// # The fit, step by step
impl KMeans {
    /// The body of [`fit_with`](KMeans::fit_with): agrees on the plan,
    /// creates the arrays, picks the first centers, then iterates: each
    /// iteration labels the fragments this rank takes and updates the
    /// centers from every fragment's sums.
    pub(super) fn run(
        &self,
        points: &GlobalArray<f64, Ix2>,
        before_iteration: &mut impl FnMut(usize),
    ) -> Result<KMeansFit> {
        let rt = points.runtime();
        let plan = self.agreed_plan(points)?;
        let (n, d, k) = (plan.n, plan.d, self.k);
        let width = k * (d + 1);
        let pieces = plan.pieces.len() - 1;
        let mut sums = plan.sums(rt, width)?;
        let owners = self.owners(points, rt.rank());

        let mut centers = self.initial_centers(points, n, d)?;
        // No point is in a cluster yet; the kernel keeps the fragment sums
        // and the labels up to date from then on.
        sums.labels.fill(-1)?;
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
            sums.counters.local_mut()[[0, 1 - parity]] = 0;
            for &owner in &owners {
                self.label_fragments(points, &plan, &kernel, owner, parity, &mut sums)?;
            }
            // Every fragment's sums, in fragment order on every rank. The
            // labels' and counters' syncs after the copy keep every rank
            // from writing the next iteration's sums before all have read
            // these.
            sums.partials.sync()?;
            let all = sums.partials.get([0..pieces, 0..width])?;
            sums.labels.sync()?;
            sums.counters.sync()?;
            shift = update(
                &mut centers,
                all.as_slice().expect("a fresh array is contiguous"),
            );
            seconds.push(start.elapsed().as_secs_f64());
            if shift <= self.tol {
                break;
            }
        }
        sums.labels.sync()?;
        Ok(KMeansFit {
            centers,
            labels: sums.labels,
            iterations: seconds.len(),
            shift,
            converged: shift <= self.tol,
            iteration_seconds: seconds,
        })
    }

    /// [`plan`](Self::plan), agreed by every rank with the configuration:
    /// all return an error if any rank's check failed or their
    /// configurations differ.
    fn agreed_plan(&self, points: &GlobalArray<f64, Ix2>) -> Result<Plan> {
        let rt = points.runtime();
        let plan = self.plan(points);
        let args = plan
            .as_ref()
            .map(|_| self.arguments())
            .map_err(Error::clone);
        rt.agree_arguments(args.as_ref().map(|a| &a[..]).map_err(Error::clone))?;
        plan
    }

    /// Labels the fragments of `owner` that this rank takes in an
    /// iteration of `parity`, bringing their labels and sums up to date.
    fn label_fragments(
        &self,
        points: &GlobalArray<f64, Ix2>,
        plan: &Plan,
        kernel: &kernel::Centers,
        owner: usize,
        parity: usize,
        sums: &mut Sums,
    ) -> Result<()> {
        let rt = points.runtime();
        let (d, rank) = (plan.d, rt.rank());
        let width = self.k * (d + 1);
        let Sums {
            labels,
            partials,
            counters,
        } = sums;
        let Some(own) = plan.owned.get(owner) else {
            return Ok(()); // a rank past the blocks owns no points
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
                    let mut frag = frags[j - f0].lock().unwrap_or_else(|e| e.into_inner());
                    let (lab, sums) = &mut *frag;
                    kernel::cluster_partial_sum(&pts[a * d..b * d], kernel, lab, sums);
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
                        kernel,
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
        Ok(())
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
        if points.ghost_widths()[1] > 0 {
            return Err(Error::new(
                ErrorKind::InvalidDistribution,
                format!(
                    "k-means reads each block of points as one slice, and ghost cells along \
                     the columns (width {}) cut its rows apart",
                    points.ghost_widths()[1]
                ),
            ));
        }
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
