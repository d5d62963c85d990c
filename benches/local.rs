//! Single-process overhead of gain's one-sided path against plain ndarray,
//! with criterion: the same copies with and without the distribution,
//! section checks and window layer in between. Run: `scripts/bench local`
//! (one rank, so every block is local).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use gain::GlobalArray;
use ndarray::{Array2, s};

fn bench(c: &mut Criterion) {
    let rt = gain::init().expect("MPI init");
    let n = 1024;
    let model = Array2::from_shape_fn((n, n), |(i, j)| (i * n + j) as f64);
    let ga = GlobalArray::<f64, _>::zeros(&rt, [n, n]).unwrap();
    ga.put([0..n, 0..n], model.view()).unwrap();
    ga.sync().unwrap();

    let mut g = c.benchmark_group("get_1elem");
    g.bench_function("ndarray_slice_to_owned", |b| {
        b.iter(|| black_box(model.slice(s![500..501, 7..8]).to_owned()))
    });
    g.bench_function("gain_get", |b| {
        b.iter(|| black_box(ga.get([500..501, 7..8]).unwrap()))
    });
    g.finish();

    let mut g = c.benchmark_group("get_64kb_rows");
    g.bench_function("ndarray_slice_to_owned", |b| {
        b.iter(|| black_box(model.slice(s![100..108, ..]).to_owned()))
    });
    g.bench_function("gain_get", |b| {
        b.iter(|| black_box(ga.get([100..108, 0..n]).unwrap()))
    });
    g.finish();

    let mut g = c.benchmark_group("get_64kb_tile");
    g.bench_function("ndarray_slice_to_owned", |b| {
        b.iter(|| black_box(model.slice(s![100..190, 200..290]).to_owned()))
    });
    g.bench_function("gain_get", |b| {
        b.iter(|| black_box(ga.get([100..190, 200..290]).unwrap()))
    });
    g.finish();

    let tile = Array2::<f64>::ones((90, 90));
    let mut g = c.benchmark_group("acc_64kb_tile");
    let mut m = model.clone();
    g.bench_function("ndarray_scaled_add", |b| {
        b.iter(|| m.slice_mut(s![100..190, 200..290]).scaled_add(0.5, &tile))
    });
    g.bench_function("gain_acc", |b| {
        b.iter(|| ga.acc([100..190, 200..290], tile.view(), 0.5).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
