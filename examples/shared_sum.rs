//! Sum of a large shared array: the benchmark of "Sharing big NumPy arrays
//! across python processes" (a ~1.5 GB f64 array summed by a pool of
//! processes; its best, Ray's object store, took 0.07 s on 4 cores).
//!
//! The array lives in the node's shared memory as a `GlobalArray`. Each
//! rank sums its own block in place through the zero-copy `local` view (no
//! copy, no serialisation) and one `MPI_Allreduce` gives every rank the
//! total. With `--style numpy` the sum is the NumPy layer's `a.sum()`
//! instead, which folds the block in fixed tiles on the rank's threads
//! (`GAIN_THREADS`) and gives the same total.
//!
//! Run: `mpirun -np 2 target/release/examples/shared_sum [--mbytes 1536] [--reps 10] [--style local|numpy]`
//! Rank 0's last line, `BENCH {json}`, is the result the bench runner
//! reads (`scripts/bench shared_sum`; protocol in tools/bench).

#[path = "support/cli.rs"]
#[allow(dead_code)]
mod cli;

use std::time::Instant;

use gain::GlobalArray;
use mpi::collective::SystemOperation;
use mpi::traits::*;

fn main() -> gain::Result<()> {
    let mbytes = cli::num("--mbytes", 1536);
    let reps = cli::num("--reps", 10).max(1);
    let style = cli::arg("--style").unwrap_or_else(|| "local".into());
    if style != "local" && style != "numpy" {
        eprintln!("shared_sum: --style {style}: local or numpy");
        std::process::exit(2);
    }
    let rt = gain::init()?;
    let n = mbytes * 1_000_000 / 8;
    // One contiguous band per rank.
    let mut a = GlobalArray::<f64, _>::zeros(&rt, n)?;
    // Values i mod 1000: the exact total is known in closed form.
    let lo = a.distribution(rt.rank()).map_or(0, |s| s.lo()[0]);
    for (i, x) in a.local_mut().iter_mut().enumerate() {
        *x = ((lo + i) % 1000) as f64;
    }
    a.sync()?;

    let mut best = f64::INFINITY;
    let mut total = 0.0;
    for _ in 0..reps {
        rt.comm().barrier();
        let t = Instant::now();
        // ndarray's sum of a contiguous view folds eight lanes at a time.
        if style == "numpy" {
            total = a.sum()?;
        } else {
            let mine = a.local().sum();
            rt.comm()
                .all_reduce_into(&mine, &mut total, SystemOperation::sum());
        }
        best = best.min(t.elapsed().as_secs_f64());
    }
    let full =
        (n / 1000) as f64 * 499_500.0 + ((n % 1000) * (n % 1000).saturating_sub(1) / 2) as f64;
    let ok = total == full;
    if rt.rank() == 0 {
        let gb = (n * 8) as f64 / 1e9;
        println!(
            "shared sum ({style}): {gb:.3} GB of f64 on {} ranks x {} threads, best of {reps}",
            rt.size(),
            gain::threads()
        );
        println!(
            "sum = {total:.1} (exact {full:.1}): {}",
            if ok { "correct" } else { "WRONG" }
        );
        println!("time: {best:.4} s, {:.2} GB/s", gb / best);
        println!(
            "BENCH {{\"program\":\"shared_sum\",\"np\":{},\"threads\":{},\"style\":\"{style}\",\"mbytes\":{mbytes},\"seconds\":{best:.6},\"gbytes_per_s\":{:.4}}}",
            rt.size(),
            gain::threads(),
            gb / best
        );
    }
    if !ok {
        drop(a);
        drop(rt);
        std::process::exit(1);
    }
    Ok(())
}
