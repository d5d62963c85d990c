//! The k-means inner kernel: label a fragment's points with the nearest
//! center and sum each cluster's points. Shared by the example and the
//! criterion bench (`benches/kernels.rs`).

use ndarray::{Array1, Array2, ArrayView2};
use wide::f64x4;

/// Points labelled together: enough independent accumulators to hide the
/// latency of the fused multiply-adds, few enough to stay in registers.
const BATCH: usize = 8;

/// The centers as the kernel reads them: in groups of four, transposed so
/// one vector holds one coordinate of four centers, and each group's
/// squared norms. A short last group is padded with infinite norms, so its
/// padding never wins.
pub struct Centers {
    ct: Vec<f64x4>,
    norms: Vec<f64x4>,
    d: usize,
}

impl Centers {
    pub fn new(centers: &Array2<f64>) -> Self {
        let (k, d) = centers.dim();
        let groups = k.div_ceil(4);
        let mut ct = Vec::with_capacity(groups * d);
        let mut norms = Vec::with_capacity(groups);
        for g in 0..groups {
            let c = |t: usize| (4 * g + t).min(k - 1);
            for j in 0..d {
                ct.push(f64x4::new(std::array::from_fn(|t| centers[[c(t), j]])));
            }
            norms.push(f64x4::new(std::array::from_fn(|t| {
                if 4 * g + t < k {
                    centers.row(4 * g + t).dot(&centers.row(4 * g + t))
                } else {
                    f64::INFINITY
                }
            })));
        }
        Centers { ct, norms, d }
    }

    /// The nearest center of each of `BATCH` points, by `|c|² - 2 p·c` (the
    /// squared distance less `|p|²`); ties go to the lower index.
    #[inline(always)]
    pub fn nearest(&self, p: &[&[f64]; BATCH]) -> [usize; BATCH] {
        let d = self.d;
        let p: [&[f64]; BATCH] = p.map(|p| &p[..d]);
        let mut best = [0usize; BATCH];
        let mut best_score = [f64::INFINITY; BATCH];
        for (g, (ct, &norms)) in self.ct.chunks_exact(d).zip(&self.norms).enumerate() {
            let mut acc = [f64x4::ZERO; BATCH];
            for (j, &c) in ct.iter().enumerate() {
                for i in 0..BATCH {
                    acc[i] = f64x4::splat(p[i][j]).mul_add(c, acc[i]);
                }
            }
            for i in 0..BATCH {
                let score = (norms - acc[i] - acc[i]).to_array();
                for (t, &s) in score.iter().enumerate() {
                    if s < best_score[i] {
                        best_score[i] = s;
                        best[i] = 4 * g + t;
                    }
                }
            }
        }
        best
    }
}

/// Labels the points of one fragment and writes its per-cluster sums and
/// counts into `partial` (`k * d` sums, then `k` counts).
pub fn cluster_partial_sum(
    points: &[f64],
    centers: &Centers,
    labels: &mut [i32],
    partial: &mut [f64],
) {
    let d = centers.d;
    let k = partial.len() / (d + 1);
    partial.fill(0.0);
    let (sums, counts) = partial.split_at_mut(k * d);
    let mut add = |p: &[f64], best: usize| {
        counts[best] += 1.0;
        for (s, &x) in sums[best * d..][..d].iter_mut().zip(p) {
            *s += x;
        }
    };
    let mut batches = points.chunks_exact(BATCH * d);
    let mut label_batches = labels.chunks_exact_mut(BATCH);
    for (pb, lb) in (&mut batches).zip(&mut label_batches) {
        let p: [&[f64]; BATCH] = std::array::from_fn(|i| &pb[i * d..][..d]);
        let best = centers.nearest(&p);
        for i in 0..BATCH {
            lb[i] = best[i] as i32;
            add(p[i], best[i]);
        }
    }
    // The last few points, padded with copies of the last one.
    let (rest, lb) = (batches.remainder(), label_batches.into_remainder());
    if let Some(last) = lb.len().checked_sub(1) {
        let p: [&[f64]; BATCH] = std::array::from_fn(|i| &rest[i.min(last) * d..][..d]);
        let best = centers.nearest(&p);
        for i in 0..=last {
            lb[i] = best[i] as i32;
            add(p[i], best[i]);
        }
    }
}

/// The serial ndarray reference for one fragment, written directly:
/// squared distances `Σ (p - c)²`, ties to the lower index, cluster sums in
/// point order. Returns the labels, sums and counts.
pub fn reference_partial_sum(
    points: ArrayView2<f64>,
    centers: &Array2<f64>,
) -> (Vec<i32>, Array2<f64>, Array1<f64>) {
    let (k, d) = centers.dim();
    let mut labels = Vec::with_capacity(points.nrows());
    let mut sums = Array2::<f64>::zeros((k, d));
    let mut counts = Array1::<f64>::zeros(k);
    for p in points.rows() {
        let dist: Vec<f64> = centers
            .rows()
            .into_iter()
            .map(|c| (&p - &c).mapv(|x| x * x).sum())
            .collect();
        let best = (0..k).fold(0, |b, c| if dist[c] < dist[b] { c } else { b });
        labels.push(best as i32);
        let mut row = sums.row_mut(best);
        row += &p;
        counts[best] += 1.0;
    }
    (labels, sums, counts)
}
