//! Criterion benches of the local kernels the application examples run on
//! each rank: the k-means labelling kernel, the tile GEMM of the blocked
//! matmul, and the sum of a rank's block through its zero-copy view.
//! `scripts/bench kernels` runs them (built for this CPU) and writes
//! `target/bench/kernels.json`.

use criterion::{Criterion, Throughput};
use gain::Runtime;
use ndarray::linalg::general_mat_mul;
use ndarray::{Array1, Array2, s};
use std::hint::black_box;

use gain::cluster::Lloyd;
use ndarray::ArrayView2;

/// The k-means kernel on 16,384 points of 64 dimensions (8 MB, in L3) and
/// 4 centers, against a serial reference (the same labelling
/// and sum updates written with ndarray row operations). Two cases:
/// `*_first`, the first iteration (no point has a cluster yet, every point
/// is added to a sum), and `*_relabel`, an iteration where no label changes
/// (labelling alone; on the benchmark's data under 1% of the points move
/// once the first few iterations are over).
fn kmeans_kernel(c: &mut Criterion, rt: &Runtime) {
    let (n, d, k) = (16_384, 64, 4);
    let points = gain::random::uniform(rt, [n, d], 0).unwrap();
    let x = points.get([0..n, 0..d]).unwrap();
    let centers = x.slice(s![..k, ..]).to_owned();
    let mut labels = vec![-1i32; n];
    let mut sums = Array2::<f64>::zeros((k, d));
    let mut counts = Array1::<f64>::zeros(k);
    let mut partial = vec![0.0; k * (d + 1)];
    let mut g = c.benchmark_group("kmeans_kernel");
    g.throughput(Throughput::Bytes((n * d * 8) as u64));
    let mut reference = |labels: &mut Vec<i32>, first: bool| {
        if first {
            labels.fill(-1);
            sums.fill(0.0);
            counts.fill(0.0);
        }
        reference_partial_sum(x.view(), &centers, labels, &mut sums, &mut counts);
        black_box(&sums);
    };
    g.bench_function("ndarray_rows_first", |b| {
        b.iter(|| reference(&mut labels, true))
    });
    g.bench_function("ndarray_rows_relabel", |b| {
        b.iter(|| reference(&mut labels, false))
    });
    let mut gain = |labels: &mut Vec<i32>, first: bool| {
        if first {
            labels.fill(-1);
            partial.fill(0.0);
        }
        let lloyd = Lloyd::new(centers.view()).unwrap();
        lloyd
            .update(x.as_slice().unwrap(), labels, &mut partial)
            .unwrap();
        black_box(&partial);
    };
    g.bench_function("gain_batched_first", |b| b.iter(|| gain(&mut labels, true)));
    g.bench_function("gain_batched_relabel", |b| {
        b.iter(|| gain(&mut labels, false))
    });
    g.finish();
}

/// The kernel's serial ndarray reference, written directly: squared
/// distances `Σ (p - c)²`, ties to the lower index. For each point in order
/// whose label changed: subtract it from its old cluster's sum (unless it
/// had none, -1) and add it to its new one.
fn reference_partial_sum(
    points: ArrayView2<f64>,
    centers: &Array2<f64>,
    labels: &mut [i32],
    sums: &mut Array2<f64>,
    counts: &mut Array1<f64>,
) {
    let k = centers.nrows();
    for (p, old) in points.rows().into_iter().zip(labels) {
        let dist: Vec<f64> = centers
            .rows()
            .into_iter()
            .map(|c| (&p - &c).mapv(|x| x * x).sum())
            .collect();
        let best = (0..k).fold(0, |b, c| if dist[c] < dist[b] { c } else { b });
        if *old != best as i32 {
            if *old >= 0 {
                let mut row = sums.row_mut(*old as usize);
                row -= &p;
                counts[*old as usize] -= 1.0;
            }
            let mut row = sums.row_mut(best);
            row += &p;
            counts[best] += 1.0;
            *old = best as i32;
        }
    }
}

/// The blocked matmul's tile product, 512 × 512 × 512 (ndarray's GEMM);
/// throughput in floating-point operations.
fn tile_gemm(c: &mut Criterion) {
    let n = 512;
    let a = Array2::from_shape_fn((n, n), |(i, j)| ((i * 7 + j) % 13) as f64 - 6.0);
    let bm = Array2::from_shape_fn((n, n), |(i, j)| ((i + 3 * j) % 11) as f64 - 5.0);
    let mut out = Array2::<f64>::zeros((n, n));
    let mut g = c.benchmark_group("tile_gemm_512");
    g.throughput(Throughput::Elements(2 * (n as u64).pow(3)));
    g.bench_function("ndarray_general_mat_mul", |b| {
        b.iter(|| general_mat_mul(1.0, &a, &bm, 0.0, &mut out))
    });
    g.finish();
}

/// Summing 64 MB through a `GlobalArray`'s zero-copy local view against
/// summing a plain `Vec`-backed ndarray.
fn block_sum(c: &mut Criterion, rt: &Runtime) {
    let n = 8 << 20;
    let mut ga = gain::GlobalArray::<f64, _>::zeros(rt, n).unwrap();
    ga.local_mut()
        .iter_mut()
        .enumerate()
        .for_each(|(i, x)| *x = (i % 100) as f64);
    let plain = Array1::from_shape_fn(n, |i| (i % 100) as f64);
    let mut g = c.benchmark_group("block_sum_64mb");
    g.throughput(Throughput::Bytes((n * 8) as u64));
    g.bench_function("ndarray_vec", |b| b.iter(|| black_box(plain.sum())));
    g.bench_function("gain_local_view", |b| {
        b.iter(|| black_box(ga.local().sum()))
    });
    g.finish();
}

fn main() {
    // One MPI runtime for every bench (MPI initialises once per process).
    let rt = gain::init().unwrap();
    let mut c = Criterion::default().sample_size(20).configure_from_args();
    kmeans_kernel(&mut c, &rt);
    tile_gemm(&mut c);
    block_sum(&mut c, &rt);
    c.final_summary();
}
