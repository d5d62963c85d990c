//! k-means clustering of distributed points with `gain::cluster::KMeans`
//! (Lloyd's algorithm, Algorithm 1 of the PyCOMPSs shared-memory paper).
//!
//! The points are an `n × d` global array distributed by rows, filled with
//! gain's counter-based generator (the same points at every rank count,
//! equal to NumPy's `Generator(Philox(key=seed)).random((n, d))`). One call
//! fits the centers; every rank gets them, and the labels stay distributed
//! like the points. The result is bit-for-bit the same at every rank count
//! (the fingerprint line shows it).
//!
//! Run: `scripts/run-example kmeans 2 --points 100000 --dims 16 --centers 4`
//! Options: `--points n --dims d --centers k --iters I --seed s --verify`
//! (`--verify` fits again serially with plain ndarray on rank 0 and checks
//! labels and iteration count are identical and centers equal to 1e-9).
//! Files (NumPy's `.npy`, read and written by every rank in parallel with
//! `gain::io`): `--load points.npy` clusters the `n × d` f64 points of a
//! file (`numpy.save("points.npy", x)`) instead of generated ones;
//! `--save centers.npy` writes the fitted `k × d` centers;
//! `--save-points points.npy` writes the generated points.

#[path = "support/cli.rs"]
#[allow(dead_code)] // each example uses some of the helpers
mod cli;

use std::time::Instant;

use cli::{arg, flag, num};
use gain::GlobalArray;
use gain::cluster::KMeans;
use ndarray::{Array1, Array2, Axis};

fn main() -> gain::Result<()> {
    let k = num("--centers", 4);
    let iters = num("--iters", 20);
    let seed = num("--seed", 0) as u64;
    let load = arg("--load");
    let rt = gain::init()?;
    // The points' shape: the file's, or the options'.
    let (n, d) = match &load {
        Some(path) => match gain::io::npy_shape::<f64>(path)?[..] {
            [n, d] => (n, d),
            ref other => {
                eprintln!(
                    "{path}: {}-d points; k-means needs an n x d array",
                    other.len()
                );
                std::process::exit(2);
            }
        },
        None => (num("--points", 100_000), num("--dims", 16)),
    };

    // Points laid out so every rank holds whole fragments of the fit.
    let km = KMeans::new(k).max_iter(iters);
    let dist = km.points_distribution(n, d, rt.size())?;
    let mut points = GlobalArray::<f64, _>::with_distribution(&rt, dist)?;
    match &load {
        Some(path) => gain::io::load_npy_into(&mut points, path)?,
        None => gain::random::fill_uniform(&mut points, seed, 0.0, 1.0)?,
    }
    if let Some(path) = arg("--save-points") {
        gain::io::save_npy(&points, path)?;
    }

    let start = Instant::now();
    let fit = km.fit(&points)?;
    let seconds = start.elapsed().as_secs_f64();

    if let Some(path) = arg("--save") {
        // The centers are on every rank; a global array of them is saved
        // like any other.
        gain::io::save_npy(&gain::numpy::from_array(&rt, &fit.centers)?, path)?;
    }
    let labels = fit.labels.get(..)?; // every rank fetches all labels (small here)
    if rt.rank() == 0 {
        println!(
            "k-means: {n} points x {d} dims, {k} centers, {} ranks",
            rt.size()
        );
        println!(
            "{} iterations in {seconds:.3} s ({:.1} GB/s of points), converged: {}",
            fit.iterations,
            (n * d * 8 * fit.iterations) as f64 / seconds / 1e9,
            fit.converged
        );
        let sizes = labels.fold(vec![0; k], |mut s, &l| {
            s[l as usize] += 1;
            s
        });
        println!("cluster sizes: {sizes:?}");
        println!("centers checksum: {:.12}", fit.centers.sum());
        println!("fingerprint: {:016x}", fingerprint(&fit.centers, &labels));
    }
    if flag("--verify") && rt.rank() == 0 {
        let all = points.get(..)?;
        let (centers, serial_labels, serial_iters) = serial(&all, k, iters, 1e-9);
        let close = centers
            .iter()
            .zip(&fit.centers)
            .all(|(a, b)| (a - b).abs() <= 1e-9 * (1.0 + a.abs()));
        if !close || serial_labels != labels || serial_iters != fit.iterations {
            eprintln!(
                "verify FAILED: centers close {close}, labels equal {}, iterations {} vs {serial_iters}",
                serial_labels == labels,
                fit.iterations
            );
            std::process::exit(1);
        }
        println!("verified: labels and iterations identical to serial ndarray, centers to 1e-9");
    }
    Ok(())
}

/// Textbook Lloyd in ndarray: label every point with its nearest center
/// (ties to the lower index), then each center is the mean of its points
/// (an empty cluster keeps its center); stop when the centers move at most
/// `tol`.
fn serial(x: &Array2<f64>, k: usize, iters: usize, tol: f64) -> (Array2<f64>, Array1<i32>, usize) {
    let mut centers = x.slice(ndarray::s![..k, ..]).to_owned();
    let mut labels = Array1::zeros(x.nrows());
    for it in 1..=iters {
        let mut sums = Array2::<f64>::zeros(centers.dim());
        let mut counts = vec![0.0; k];
        for (p, label) in x.outer_iter().zip(labels.iter_mut()) {
            let dist = centers.map_axis(Axis(1), |c| (&c - &p).mapv(|v| v * v).sum());
            let best = (0..k).fold(0, |b, c| if dist[c] < dist[b] { c } else { b });
            *label = best as i32;
            sums.row_mut(best).zip_mut_with(&p, |s, &v| *s += v);
            counts[best] += 1.0;
        }
        let mut shift = 0.0;
        for c in (0..k).filter(|&c| counts[c] > 0.0) {
            let new = &sums.row(c) / counts[c];
            shift += (&new - &centers.row(c)).mapv(|v| v * v).sum();
            centers.row_mut(c).assign(&new);
        }
        if shift.sqrt() <= tol {
            return (centers, labels, it);
        }
    }
    (centers, labels, iters)
}

/// The centers' fingerprint (FNV-1a over their bits) extended over the labels.
fn fingerprint(centers: &Array2<f64>, labels: &Array1<i32>) -> u64 {
    labels.fold(cli::fingerprint(centers), |h, &l| {
        (h ^ l as u64).wrapping_mul(0x100_0000_01b3)
    })
}
