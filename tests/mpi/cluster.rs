//! `gain::cluster::KMeans` against a serial ndarray model of the same
//! algorithm: fragments cut at `j * n / f` and at every block boundary,
//! each fragment's sums kept between iterations and changed, in point
//! order, only for the points that changed cluster, fragments added in
//! order. Centers and labels must be equal bit for bit, whatever the
//! schedule, the distribution and the rank count.

use gain::cluster::{Init, KMeans, Schedule};
use gain::{ErrorKind, GlobalArray, Runtime};
use ndarray::{Array1, Array2, ArrayView2, Ix2, s};

use crate::model::Rng;
use crate::registry::{Case, case};

/// The k-means cases, with the tags that say which configurations run them
/// (`registry::Tag`).
pub const CASES: &[Case] = &[
    case!(cluster_kmeans_matches_serial_model; Light),
    case!(cluster_kmeans_errors; Light),
];

/// The serial model: centers, labels, iterations.
fn model(
    x: &Array2<f64>,
    init: Array2<f64>,
    cuts: &[usize],
    iters: usize,
    tol: f64,
) -> (Array2<f64>, Array1<i32>, usize) {
    let (n, d) = x.dim();
    let k = init.nrows();
    let mut centers = init;
    let mut labels = Array1::from_elem(n, -1);
    let frags = cuts.len() - 1;
    let mut sums = vec![Array2::<f64>::zeros((k, d)); frags];
    let mut counts = vec![vec![0.0; k]; frags];
    for it in 1..=iters {
        for f in 0..frags {
            for i in cuts[f]..cuts[f + 1] {
                let p = x.row(i);
                let dist: Vec<f64> = centers
                    .outer_iter()
                    .map(|c| (&p - &c).mapv(|v| v * v).sum())
                    .collect();
                let best = (0..k).fold(0, |b, c| if dist[c] < dist[b] { c } else { b });
                let old = labels[i];
                if old != best as i32 {
                    if old >= 0 {
                        let mut r = sums[f].row_mut(old as usize);
                        r -= &p;
                        counts[f][old as usize] -= 1.0;
                    }
                    let mut r = sums[f].row_mut(best);
                    r += &p;
                    counts[f][best] += 1.0;
                    labels[i] = best as i32;
                }
            }
        }
        let mut shift = 0.0;
        for c in 0..k {
            let mut sum = vec![0.0; d];
            let mut count = 0.0;
            for f in 0..frags {
                for j in 0..d {
                    sum[j] += sums[f][[c, j]];
                }
                count += counts[f][c];
            }
            if count > 0.0 {
                for j in 0..d {
                    let new = sum[j] / count;
                    shift += (new - centers[[c, j]]).powi(2);
                    centers[[c, j]] = new;
                }
            }
        }
        if shift.sqrt() <= tol {
            return (centers, labels, it);
        }
    }
    (centers, labels, iters)
}

/// Where the model cuts the rows: the fragment grid and the blocks' starts.
fn cuts(n: usize, f: usize, block_starts: &[usize]) -> Vec<usize> {
    let f = f.min(n);
    let mut c: Vec<usize> = (0..=f).map(|j| j * n / f).collect();
    c.extend_from_slice(block_starts);
    c.sort_unstable();
    c.dedup();
    c
}

fn same_bits(a: ArrayView2<f64>, b: ArrayView2<f64>) -> bool {
    a.shape() == b.shape() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

pub fn cluster_kmeans_matches_serial_model(rt: &Runtime) {
    let mut rng = Rng::new(41);
    let schedules = [Schedule::Static, Schedule::Dynamic, Schedule::Rotated];
    for round in 0..9 {
        let n = 20 + rng.below(400);
        let d = 1 + rng.below(if round % 3 == 0 { 70 } else { 9 });
        let k = 1 + rng.below(if round % 4 == 0 { 20 } else { 6 }).min(n - 1);
        let f = 1 + rng.below(12);
        let schedule = schedules[round % 3];
        let max_iter = 1 + rng.below(12);
        let mut km = KMeans::new(k)
            .max_iter(max_iter)
            .fragments(f)
            .schedule(schedule);
        // Fragment-aligned blocks, or the regular row map (blocks cut
        // fragments), or random row cuts.
        let dist = match round % 3 {
            0 => km.points_distribution(n, d, rt.size()).unwrap(),
            1 => gain::Distribution::regular(&[n, d], rt.size(), Some(&[0, d])).unwrap(),
            _ => {
                let mut starts = vec![0];
                for cut in 1..n {
                    if starts.len() < rt.size() && rng.below(n / 4 + 1) == 0 {
                        starts.push(cut);
                    }
                }
                gain::Distribution::irregular(&[n, d], rt.size(), &[starts, vec![0]]).unwrap()
            }
        };
        let mut points = GlobalArray::<f64, Ix2>::with_distribution(rt, dist.clone()).unwrap();
        gain::random::fill_uniform(&mut points, round as u64, -1.0, 1.0).unwrap();
        let x = points.get([0..n, 0..d]).unwrap();
        let init = match round % 4 {
            0 => {
                let seed = rng.next();
                km = km.init(Init::Random { seed });
                None
            }
            1 => {
                let c = x.slice(s![n - k.., ..]).to_owned();
                km = km.init(Init::Given(c.clone()));
                Some(c)
            }
            _ => Some(x.slice(s![..k, ..]).to_owned()),
        };
        let fit = km.fit(&points).unwrap();
        let init = match init {
            Some(c) => c,
            // Random: a fit of no iterations returns the initial centers,
            // which must be k distinct points.
            None => {
                let first = km.clone().max_iter(0).fit(&points).unwrap();
                assert_eq!(first.iterations, 0);
                let mut rows: Vec<usize> = first
                    .centers
                    .outer_iter()
                    .map(|c| {
                        (0..n)
                            .find(|&i| {
                                same_bits(
                                    x.slice(s![i..i + 1, ..]),
                                    c.insert_axis(ndarray::Axis(0)),
                                )
                            })
                            .expect("a random initial center is a point")
                    })
                    .collect();
                rows.sort_unstable();
                rows.dedup();
                assert_eq!(rows.len(), k, "random initial centers are distinct points");
                first.centers
            }
        };
        let (centers, labels, iters) = model(&x, init, &cuts(n, f, dist.bounds(0)), max_iter, 1e-9);
        let got = fit.labels.get(0..n).unwrap();
        let what = format!("round {round}: n={n} d={d} k={k} f={f} {schedule:?}");
        assert_eq!(fit.iterations, iters, "{what}: iterations");
        assert_eq!(fit.iteration_seconds.len(), iters, "{what}");
        assert!(
            same_bits(fit.centers.view(), centers.view()),
            "{what}: centers\n{}\n{centers}",
            fit.centers
        );
        assert_eq!(got, labels, "{what}: labels");
        assert_eq!(fit.converged, fit.shift <= 1e-9, "{what}");
    }
}

pub fn cluster_kmeans_errors(rt: &Runtime) {
    let mut points = GlobalArray::<f64, Ix2>::zeros_chunked(rt, [30, 4], &[0, 4]).unwrap();
    gain::random::fill_uniform(&mut points, 1, 0.0, 1.0).unwrap();
    let kind = |km: KMeans| km.fit(&points).unwrap_err().kind();
    assert_eq!(kind(KMeans::new(0)), ErrorKind::InvalidArgument);
    assert_eq!(kind(KMeans::new(31)), ErrorKind::InvalidArgument);
    assert_eq!(
        kind(KMeans::new(2).fragments(0)),
        ErrorKind::InvalidArgument
    );
    let wrong = Array2::zeros((2, 3));
    assert_eq!(
        kind(KMeans::new(2).init(Init::Given(wrong))),
        ErrorKind::ShapeMismatch
    );
    if rt.size() >= 2 {
        // Blocks that cut the columns.
        let cols =
            GlobalArray::<f64, Ix2>::zeros_irregular(rt, [30, 4], &[vec![0], vec![0, 2]]).unwrap();
        let e = KMeans::new(2).fit(&cols).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidDistribution);
        // The ranks disagree on k: every rank returns the error.
        let k = if rt.rank() == 0 { 2 } else { 3 };
        assert_eq!(kind(KMeans::new(k)), ErrorKind::InconsistentArguments);
    }
    // The array is still usable after the errors.
    assert!(KMeans::new(3).max_iter(2).fit(&points).is_ok());
}
