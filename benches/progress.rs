//! Passive progress: how long one-sided calls aimed at a rank take while
//! that rank computes without calling MPI, against while it waits inside
//! MPI. Rank 0 times `reps` calls each of `read_inc`, an 8-byte `get` and
//! an 8-byte `acc`, all into the last rank's block; the last rank first
//! spins in a plain Rust loop for `--busy-ms` (no MPI call), then, in a
//! second round, waits in gain's `sync` (a barrier). Meant for ranks on different hosts
//! (`scripts/hosts run 1 <exe>`), where the remote path is real; on one
//! node same-node calls are loads and stores and need no progress.
//!
//! Prints, on rank 0, `BENCH {"program":"progress","np":..,"busy_ms":..,
//! "<call>_busy_median_s":..,"<call>_busy_max_s":..,"<call>_idle_median_s":..}`
//! for each call, and how many of the busy round's calls completed before
//! the target's loop ended (`<call>_done_while_busy`).
//!
//! Run: `scripts/hosts run 1 target/release/deps/progress-<hash> [--busy-ms 2000] [--reps 20]`

use std::time::{Duration, Instant};

use gain::GlobalArray;
use mpi::traits::*;

#[path = "../examples/support/cli.rs"]
#[allow(dead_code)]
mod cli;

/// One timed call, boxed so the three kinds sit in one list.
type Call<'a> = Box<dyn Fn() -> gain::Result<()> + 'a>;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// One round: rank 0 makes `reps` calls of `call` while the target is
/// `busy` (spinning for `busy_ms`) or waiting in a barrier. Returns the
/// call times and how many ended before the target's spin did (rank 0).
fn round(
    rt: &gain::Runtime,
    busy_ms: u64,
    reps: usize,
    busy: bool,
    call: &dyn Fn() -> gain::Result<()>,
) -> gain::Result<(Vec<f64>, usize)> {
    let target = rt.size() - 1;
    rt.comm().barrier();
    let start = Instant::now();
    let mut times = Vec::new();
    let mut ends = Vec::new();
    if rt.rank() == 0 {
        for _ in 0..reps {
            let t = Instant::now();
            call()?;
            times.push(t.elapsed().as_secs_f64());
            ends.push(start.elapsed());
        }
    } else if rt.rank() == target && busy {
        // Computing, no MPI call: a plain loop the optimiser keeps.
        let mut x = 1u64;
        while start.elapsed() < Duration::from_millis(busy_ms) {
            for _ in 0..1000 {
                x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
            }
        }
        std::hint::black_box(x);
    }
    // The target's spin ended no earlier than `busy_ms` after the start.
    let during = ends
        .iter()
        .filter(|e| **e < Duration::from_millis(busy_ms))
        .count();
    // The idle target waits here: in gain's own collective, as a Global
    // Arrays program waits in GA_Sync.
    rt.sync()?;
    Ok((times, during))
}

fn main() -> gain::Result<()> {
    let busy_ms = cli::num("--busy-ms", 2000) as u64;
    let reps = cli::num("--reps", 20).max(1);
    let rt = gain::init()?;
    if rt.size() < 2 {
        eprintln!("progress: needs 2 or more ranks (the last is the target)");
        std::process::exit(2);
    }
    let target = rt.size() - 1;
    let np = rt.size();
    let counter = GlobalArray::<i64, _>::zeros(&rt, np)?;
    let data = GlobalArray::<f64, _>::zeros(&rt, np)?;
    let one = ndarray::arr1(&[1.0]);
    let calls: [(&str, Call<'_>); 3] = [
        (
            "read_inc",
            Box::new(|| counter.read_inc(&[target], 1).map(drop)),
        ),
        (
            "get_8b",
            Box::new(|| data.get(target..target + 1).map(drop)),
        ),
        (
            "acc_8b",
            Box::new(|| data.acc(target..target + 1, &one, 1.0)),
        ),
    ];
    let mut json = format!(
        "{{\"program\":\"progress\",\"np\":{np},\"target_same_node\":{},\"busy_ms\":{busy_ms},\"reps\":{reps}",
        rt.is_same_node(target)
    );
    for (name, call) in &calls {
        let (busy, during) = round(&rt, busy_ms, reps, true, call.as_ref())?;
        let (idle, _) = round(&rt, busy_ms, reps, false, call.as_ref())?;
        if rt.rank() == 0 {
            let max = busy.iter().copied().fold(0.0, f64::max);
            println!(
                "{name}: target computing: median {:.3} ms, max {:.1} ms, {during} of {reps} done while it computed; target in MPI: median {:.3} ms",
                median(busy.clone()) * 1e3,
                max * 1e3,
                median(idle.clone()) * 1e3
            );
            json += &format!(
                ",\"{name}_busy_median_s\":{:.9},\"{name}_busy_max_s\":{max:.9},\"{name}_done_while_busy\":{during},\"{name}_idle_median_s\":{:.9}",
                median(busy),
                median(idle)
            );
        }
    }
    counter.sync()?;
    data.sync()?;
    if rt.rank() == 0 {
        println!("BENCH {json}}}");
    }
    Ok(())
}
