//! What gain's collective calls cost as the job grows: the runs that check
//! the cost model of `gain::guide::scaling`. Every rank takes part; rank 0
//! reports, after a barrier before each timed loop:
//!
//! - `create_destroy_s`: creating and destroying one small array (64
//!   elements a rank): two windows, the argument agreement, the first
//!   `sync`, the exit point and the frees;
//! - `sync_clean_s`: `Runtime::sync` with `--arrays` arrays live and
//!   nothing written since the last one;
//! - `sync_written_s`: the same after each rank put one element into the
//!   next rank's block of every array;
//! - `allreduce_s`: `Runtime::all_reduce_value` of one `f64`;
//! - `rss_per_array_b`: the resident memory each live array adds to rank
//!   0's process (`/proc/self/statm`, over `--arrays` arrays).
//!
//! Prints `BENCH {"program":"cost","np":..,"nodes":..,...}`. Run by
//! `scripts/bench cost` at 1 to 4 ranks on one node and on the bed.

use std::time::Instant;

use gain::{GlobalArray, ReduceOp};

#[path = "../examples/support/cli.rs"]
#[allow(dead_code)]
mod cli;

/// Resident bytes of this process.
fn rss() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

/// Mean seconds per call of `f` over `reps` calls, after a barrier.
fn time(rt: &gain::Runtime, reps: usize, f: &mut dyn FnMut()) -> f64 {
    rt.sync().unwrap();
    let t = Instant::now();
    for _ in 0..reps {
        f();
    }
    t.elapsed().as_secs_f64() / reps as f64
}

fn main() -> gain::Result<()> {
    let arrays = cli::num("--arrays", 100).max(1);
    let reps = cli::num("--reps", 50).max(1);
    let rt = gain::init()?;
    let np = rt.size();
    let leader = rt.node_ranks().into_iter().min() == Some(rt.rank());
    let nodes = rt.all_reduce_value(u64::from(leader), ReduceOp::Sum)?;
    let n = 64 * np;
    let create_destroy = time(&rt, reps, &mut || {
        drop(GlobalArray::<f64, _>::zeros(&rt, n).unwrap());
    });
    let before = rss();
    let live: Vec<GlobalArray<f64, _>> = (0..arrays)
        .map(|_| GlobalArray::<f64, _>::zeros(&rt, n))
        .collect::<gain::Result<_>>()?;
    let rss_per_array = rss().saturating_sub(before) / arrays;
    let sync_clean = time(&rt, reps, &mut || rt.sync().unwrap());
    let next = (rt.rank() + 1) % np * 64;
    let one = [1.0];
    let sync_written = time(&rt, reps, &mut || {
        for a in &live {
            a.put(next..next + 1, &one[..]).unwrap();
        }
        rt.sync().unwrap();
    });
    // Only the puts, for the difference the flushes make.
    let puts = time(&rt, reps, &mut || {
        for a in &live {
            a.put(next..next + 1, &one[..]).unwrap();
        }
    });
    let allreduce = time(&rt, reps * 10, &mut || {
        std::hint::black_box(rt.all_reduce_value(1.0f64, ReduceOp::Sum).unwrap());
    });
    drop(live);
    if rt.rank() == 0 {
        println!(
            "BENCH {{\"program\":\"cost\",\"np\":{np},\"nodes\":{nodes},\"arrays\":{arrays},\"create_destroy_s\":{create_destroy:e},\"sync_clean_s\":{sync_clean:e},\"sync_written_s\":{:e},\"allreduce_s\":{allreduce:e},\"rss_per_array_b\":{rss_per_array}}}",
            (sync_written - puts).max(0.0)
        );
    }
    Ok(())
}
