//! Sum of a large shared array: the benchmark of "Sharing big NumPy arrays
//! across python processes" (a ~1.5 GB f64 array summed by a pool of
//! processes; its best, Ray's object store, took 0.07 s on 4 cores).
//!
//! The array lives in the node's shared memory as a `GlobalArray`. Each
//! rank sums its own block in place through the zero-copy `local` view (no
//! copy, no serialisation) and one `MPI_Allreduce` gives every rank the
//! total. With `--style numpy` the sum is the NumPy layer's `a.sum()`
//! instead, which folds the block in fixed tiles on the rank's threads
//! (`GAIN_THREADS`) and gives the same total. The values are `i mod 1000`,
//! so the exact total is known and checked.
//!
//! Run: `mpirun -np 2 target/release/examples/shared_sum [--mbytes 1536] [--style local|numpy]`
//! (`benches/shared_sum.rs` times `total`, the best of several runs).

#[path = "support/cli.rs"]
#[allow(dead_code)]
mod cli;

use std::time::Instant;

use gain::{GlobalArray, Runtime};
use mpi::collective::SystemOperation;
use mpi::traits::*;
use ndarray::Ix1;

/// `n` f64 over the ranks, one contiguous band each, holding `i mod 1000`.
pub fn filled(rt: &Runtime, n: usize) -> gain::Result<GlobalArray<f64, Ix1>> {
    let mut a = GlobalArray::<f64, _>::zeros(rt, n)?;
    let lo = a.distribution(rt.rank()).map_or(0, |s| s.lo()[0]);
    for (i, x) in a.local_mut().iter_mut().enumerate() {
        *x = ((lo + i) % 1000) as f64;
    }
    a.sync()?;
    Ok(a)
}

/// The sum of `a`, at every rank: each block summed in place and one
/// allreduce (`local`), or the NumPy layer's `a.sum()` (`numpy`).
pub fn total(rt: &Runtime, a: &GlobalArray<f64, Ix1>, style: &str) -> gain::Result<f64> {
    if style == "numpy" {
        return a.sum();
    }
    // ndarray's sum of a contiguous view folds eight lanes at a time.
    let mine = a.local().sum();
    let mut total = 0.0;
    rt.comm()
        .all_reduce_into(&mine, &mut total, SystemOperation::sum());
    Ok(total)
}

/// The exact sum of `i mod 1000` for `i` in `0..n`.
pub fn exact(n: usize) -> f64 {
    (n / 1000) as f64 * 499_500.0 + ((n % 1000) * (n % 1000).saturating_sub(1) / 2) as f64
}

fn main() -> gain::Result<()> {
    let mbytes = cli::num("--mbytes", 1536);
    let style = cli::arg("--style").unwrap_or_else(|| "local".into());
    if style != "local" && style != "numpy" {
        eprintln!("shared_sum: --style {style}: local or numpy");
        std::process::exit(2);
    }
    let rt = gain::init()?;
    let n = mbytes * 1_000_000 / 8;
    let a = filled(&rt, n)?;
    let t = Instant::now();
    let sum = total(&rt, &a, &style)?;
    let secs = t.elapsed().as_secs_f64();
    let ok = sum == exact(n);
    if rt.rank() == 0 {
        let gb = (n * 8) as f64 / 1e9;
        println!(
            "shared sum ({style}): {gb:.3} GB of f64 on {} ranks x {} threads",
            rt.size(),
            gain::threads()
        );
        println!(
            "sum = {sum:.1} (exact {:.1}): {}",
            exact(n),
            if ok { "correct" } else { "WRONG" }
        );
        println!("time: {secs:.4} s, {:.2} GB/s", gb / secs);
    }
    if !ok {
        drop(a);
        drop(rt);
        std::process::exit(1);
    }
    Ok(())
}
