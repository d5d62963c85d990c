//! The shared-sum benchmark program: `total` of `examples/shared_sum.rs`
//! (included whole as a module, so the bench times the example's own
//! code), the best of `--reps` runs, with the measurement protocol the
//! bench runner reads. Run under mpirun by `scripts/bench shared_sum` and
//! `scripts/bench hybrid`:
//!
//! `mpirun -np 2 <exe> --mbytes M [--reps r] [--style local|numpy]`
//!
//! Each run starts at a barrier. Rank 0 prints
//! `BENCH {"program":"shared_sum","np":..,"threads":..,"style":..,
//! "mbytes":..,"seconds":..,"gbytes_per_s":..}` with the best run's time;
//! the program fails if the sum is not the exact total.

#[path = "../examples/shared_sum.rs"]
#[allow(dead_code)] // the example's `main`
mod shared_sum;

// The example loads this file too, as its own private module.
#[path = "../examples/support/cli.rs"]
#[allow(dead_code, clippy::duplicate_mod)]
mod cli;

use std::time::Instant;

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
    let a = shared_sum::filled(&rt, n)?;

    let mut best = f64::INFINITY;
    let mut total = 0.0;
    for _ in 0..reps {
        rt.comm().barrier();
        let t = Instant::now();
        total = shared_sum::total(&rt, &a, &style)?;
        best = best.min(t.elapsed().as_secs_f64());
    }
    let full = shared_sum::exact(n);
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
