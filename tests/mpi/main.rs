//! Multi-rank tests. `cargo test` runs this binary as the parent, which
//! re-runs it under the MPI launcher at np = 1..4, with all ranks on one
//! node, all ranks on separate "nodes" (`GAIN_RANKS_PER_NODE=1`, every
//! access remote), and mixed groupings. See `harness.rs`.

mod cases;
mod harness;

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
    harness::run_all(&jobs, Duration::from_secs(300));
}
