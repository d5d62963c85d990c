//! Multi-rank tests. `cargo test` runs this binary as the parent, which
//! re-runs it under the MPI launcher at np = 1..4, with all ranks on one
//! node, all ranks on separate "nodes" (`GAIN_RANKS_PER_NODE=1`, every
//! access remote), and mixed groupings. See `harness.rs`.

mod cases;
mod harness;
mod numeric;
mod numpy;

use std::time::Duration;

use harness::{CHILD, Job};

fn main() {
    match std::env::var(CHILD).as_deref() {
        Ok("cases") => cases::run_cases(),
        Ok("panic") => cases::panic_on_last_rank(),
        Ok(other) => panic!("unknown child mode {other}"),
        Err(_) => parent(),
    }
}

fn parent() {
    let mut jobs = vec![Job::new(None)];
    for np in 1..=4 {
        jobs.push(Job::new(Some(np)));
    }
    for np in 2..=4 {
        jobs.push(Job::new(Some(np)).env("GAIN_RANKS_PER_NODE", 1));
    }
    // Two "nodes" of two ranks: same-node and remote access mixed.
    jobs.push(Job::new(Some(4)).env("GAIN_RANKS_PER_NODE", 2));
    // Tiny MPI transfers: every RMA is cut into many chunks.
    let mut small = Job::new(Some(3))
        .env("GAIN_RANKS_PER_NODE", 1)
        .env("GAIN_MAX_TRANSFER_BYTES", 24);
    small.filter = Some("roundtrip");
    jobs.push(small);
    // A transfer over 2 GiB between two "nodes".
    let mut large = Job::new(Some(2)).env("GAIN_RANKS_PER_NODE", 1);
    large.filter = Some("large");
    jobs.push(large);
    // A panic on one rank aborts the whole job with its message.
    for np in [2, 3] {
        let mut p = Job::new(Some(np));
        p.mode = "panic";
        p.expect_failure = Some(format!("deliberate panic on rank {}", np - 1));
        jobs.push(p);
    }
    // The example programs, checked against their serial versions.
    let kmeans = "--points 2999 --dims 7 --centers 5 --iters 15 --fragments 8 --verify";
    let matmul = "--blocks 5 --block-size 24 --verify";
    let laplace = "--n 37 --iters 25 --verify";
    let distmap = "--n 45 --points 7 --verify";
    for np in 1..=4 {
        jobs.push(Job::example(np, "kmeans", kmeans));
        jobs.push(Job::example(np, "matmul", matmul));
        jobs.push(Job::example(np, "shared_sum", "--mbytes 4 --reps 2"));
        jobs.push(Job::example(np, "laplace", laplace));
        jobs.push(Job::example(np, "distmap", distmap));
    }
    jobs.push(Job::example(
        3,
        "laplace",
        "--n 37 --iters 25 --verify --style ops",
    ));
    jobs.push(Job::example(3, "kmeans", kmeans).env("GAIN_RANKS_PER_NODE", 1));
    // Every fragment labelled by a rank that does not own it (its labels
    // and sums through get and put), and each rank its own fragments only.
    for np in [2, 3] {
        let rotated = format!("{kmeans} --schedule rotated");
        jobs.push(Job::example(np, "kmeans", &rotated));
    }
    jobs.push(Job::example(
        2,
        "kmeans",
        &format!("{kmeans} --schedule static"),
    ));
    // Wide points and many centers: the kernel's 64-wide sums and its
    // sorted grouping of clusters; with read passes between iterations.
    let kmeans_wide =
        "--points 1501 --dims 70 --centers 20 --iters 8 --fragments 5 --verify --probe";
    for np in [1, 3] {
        jobs.push(Job::example(np, "kmeans", kmeans_wide));
    }
    jobs.push(Job::example(4, "matmul", matmul).env("GAIN_RANKS_PER_NODE", 1));
    jobs.push(Job::example(3, "laplace", laplace).env("GAIN_RANKS_PER_NODE", 1));
    jobs.push(Job::example(2, "distmap", distmap).env("GAIN_RANKS_PER_NODE", 1));
    harness::run_all(&jobs, Duration::from_secs(300), same_results_everywhere);
}

/// k-means, laplace and distmap print the same fingerprint (the bits of
/// their results) at every rank count for the same arguments, and every
/// run verified against the serial version.
fn same_results_everywhere(outputs: &[(&Job, String)]) -> Result<(), String> {
    let checks = [
        (
            "kmeans",
            "verify: centers, labels and iteration count identical",
            10,
        ),
        (
            "laplace",
            "verified: solution identical to the serial loop",
            6,
        ),
        (
            "distmap",
            "verified: identical to the serial ndarray version",
            5,
        ),
    ];
    for (example, verified, runs) in checks {
        let mut prints = Vec::new();
        for (job, log) in outputs {
            if let Some((name, args)) = &job.example
                && *name == example
            {
                let line = |p: &str| log.lines().find(|l| l.starts_with(p)).map(str::to_string);
                prints.push((
                    args.join(" "),
                    job.np,
                    line("fingerprint:").ok_or(format!("{example} printed no fingerprint"))?,
                ));
                line(verified).ok_or(format!("{example} did not verify"))?;
            }
        }
        if prints.len() < runs {
            return Err(format!("only {} {example} runs passed", prints.len()));
        }
        for (args, _, print) in &prints {
            if prints.iter().any(|p| &p.0 == args && &p.2 != print) {
                return Err(format!("{example} differs between rank counts: {prints:?}"));
            }
        }
    }
    Ok(())
}
