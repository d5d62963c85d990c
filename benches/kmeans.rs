//! The k-means benchmark program: `gain::cluster::KMeans` on the points of
//! `examples/kmeans.rs`, with the measurement protocol the bench runner
//! needs. Run under mpirun by `scripts/bench kmeans`:
//!
//! `mpirun -np 2 <exe> --points N --dims d --centers k --iters I --seed s
//!  [--fragments f] [--schedule static|dynamic|rotated] [--probe]`
//!
//! `--probe` times a plain read of every rank's block (between barriers)
//! before each iteration, through `KMeans::fit_with`'s hook: a bandwidth
//! baseline taken on the same memory, by the same processes, within tens
//! of milliseconds of the iteration it is compared with. The read passes
//! are not counted in the iterations' times.
//!
//! Rank 0 prints a few human-readable lines and then one line
//! `BENCH {json}` for the runner: the run's time, the points' bandwidth,
//! rank 0's time of each iteration and, with `--probe`, of each read pass,
//! and a fingerprint of the centers and labels (the same at every rank
//! count).

#[path = "../examples/support/cli.rs"]
#[allow(dead_code)] // the examples' helpers; this program uses some
mod cli;
#[path = "../examples/support/read.rs"]
mod read;

use std::time::Instant;

use cli::{arg, num};

use gain::cluster::{KMeans, Schedule};
use gain::{GlobalArray, Runtime};
use mpi::traits::*;
use ndarray::Ix2;

/// Seconds for every rank to read its block of `points` once (a plain sum,
/// between barriers, so the pass lasts as long as its slowest rank).
fn read_pass(rt: &Runtime, points: &GlobalArray<f64, Ix2>) -> f64 {
    let block = points.local();
    let pts = block.as_slice().expect("a block is contiguous");
    rt.comm().barrier();
    let t = Instant::now();
    std::hint::black_box(read::sum(std::hint::black_box(pts)));
    rt.comm().barrier();
    t.elapsed().as_secs_f64()
}

/// `[x0,x1,...]` with enough digits for milliseconds.
fn json_list(xs: &[f64]) -> String {
    let items: Vec<String> = xs.iter().map(|x| format!("{x:.4}")).collect();
    format!("[{}]", items.join(","))
}

fn main() -> gain::Result<()> {
    let (n, d, k) = (
        num("--points", 100_000),
        num("--dims", 16),
        num("--centers", 4),
    );
    let iters = num("--iters", 20);
    let seed = num("--seed", 0) as u64;
    let probe = std::env::args().any(|a| a == "--probe");
    let schedule = match arg("--schedule").as_deref() {
        None | Some("dynamic") => Schedule::Dynamic,
        Some("static") => Schedule::Static,
        Some("rotated") => Schedule::Rotated,
        Some(s) => panic!("--schedule static|dynamic|rotated, not {s}"),
    };
    let rt = gain::init()?;
    let km = KMeans::new(k)
        .max_iter(iters)
        .fragments(num("--fragments", 64))
        .schedule(schedule);
    let mut points =
        GlobalArray::<f64, _>::with_distribution(&rt, km.points_distribution(n, d, rt.size())?)?;
    gain::random::fill_uniform(&mut points, seed, 0.0, 1.0)?;

    let mut passes = Vec::new();
    let fit = km.fit_with(&points, |_| {
        if probe {
            passes.push(read_pass(&rt, &points));
        }
    })?;
    let labels = fit.labels.get(0..n)?;
    // The nodes the ranks span: the ranks that lead theirs, counted.
    let leads = i32::from(rt.node_ranks()[0] == rt.rank());
    let mut nodes = 0i32;
    rt.comm()
        .all_reduce_into(&leads, &mut nodes, mpi::collective::SystemOperation::sum());
    if rt.rank() != 0 {
        return Ok(());
    }
    let seconds: f64 = fit.iteration_seconds.iter().sum();
    let bytes = (n * d * 8) as f64 * fit.iterations as f64;
    let gbs = bytes / seconds / 1e9;
    let print = labels.fold(
        fit.centers.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, x| {
            (h ^ x.to_bits()).wrapping_mul(0x100_0000_01b3)
        }),
        |h, &l| (h ^ l as u64).wrapping_mul(0x100_0000_01b3),
    );
    let ms: Vec<f64> = fit.iteration_seconds.iter().map(|s| s * 1e3).collect();
    println!(
        "k-means: {n} points x {d} dims, {k} centers, {} ranks: {} iterations, {seconds:.3} s, {gbs:.1} GB/s",
        rt.size(),
        fit.iterations
    );
    println!("fingerprint: {print:016x}");
    let mut json = format!(
        "{{\"program\":\"kmeans\",\"np\":{},\"nodes\":{nodes},\"threads\":{},\"points\":{n},\"dims\":{d},\"centers\":{k},\"iters\":{},\
         \"seconds\":{seconds:.6},\"points_gbytes_per_s\":{gbs:.4},\"fingerprint\":\"{print:016x}\",\
         \"centers_checksum\":{:.12},\"iteration_ms\":{}",
        rt.size(),
        gain::threads(),
        fit.iterations,
        fit.centers.sum(),
        json_list(&ms)
    );
    if probe {
        let total: f64 = passes.iter().sum();
        let pgbs = bytes / total / 1e9;
        let pass_ms: Vec<f64> = passes.iter().map(|s| s * 1e3).collect();
        println!(
            "read passes: {pgbs:.1} GB/s, iterations {:.3} of it",
            gbs / pgbs
        );
        json += &format!(
            ",\"read_pass_ms\":{},\"read_pass_gbytes_per_s\":{pgbs:.4},\"vs_read_pass\":{:.4}",
            json_list(&pass_ms),
            gbs / pgbs
        );
    }
    println!("BENCH {json}}}");
    Ok(())
}
