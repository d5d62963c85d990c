//! [`KMeans`]'s methods: the builder, the row distribution that makes the
//! fit bit-for-bit the same at every rank count, and the fit.

use ndarray::Ix2;

use super::{Init, KMeans, KMeansFit, Schedule, fragment_start, invalid};
use crate::GlobalArray;
use crate::dist::Distribution;
#[cfg(doc)]
use crate::error::ErrorKind;
use crate::error::Result;
use crate::fault::during;

/// # Configuration and fitting
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
            self.run(points, &mut before_iteration)
        })
    }
}
