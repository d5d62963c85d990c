//! The shared-lookup benchmark program: the steps of
//! `examples/shared_lookup.rs` (included whole as a module, so the bench
//! runs the example's own code) with the measurements the bench runner
//! reads. Run under mpirun by `scripts/bench io`:
//!
//! `mpirun -np 2 <exe> --mbytes M [--dims d] [--queries q] [--rows r] [--file PATH] [--keep]`
//!
//! Rank 0 prints `BENCH {"program":"shared_lookup","np":..,"mbytes":..,
//! "load_s":..,"save_s":..,"pss_per_node_vs_bytes":..,"queries_per_s":..}`:
//! the time to write the database (`save_s`, rank 0's), the slowest rank's
//! time to load it as a `Replicated` array (`load_s`, from a barrier), the
//! memory the copy adds to the node (PSS summed over the node's ranks,
//! from `/proc/self/smaps_rollup`, once every rank has touched the whole
//! copy) ÷ its size, and the queries answered per second (the slowest
//! rank's time, from a barrier).

#[path = "../examples/shared_lookup.rs"]
#[allow(dead_code)] // the example's `main` and its checks
mod shared_lookup;

// The example loads this file too, as its own private module.
#[path = "../examples/support/cli.rs"]
#[allow(dead_code, clippy::duplicate_mod)]
mod cli;

use std::time::Instant;

use gain::Replicated;
use mpi::collective::SystemOperation;
use mpi::traits::*;
use ndarray::Ix2;

/// This process's proportional set size in bytes (shared pages counted
/// as a share of the processes mapping them).
fn pss_bytes() -> u64 {
    let text = std::fs::read_to_string("/proc/self/smaps_rollup").unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix("Pss:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// The sum of `x` over the ranks of this rank's node.
fn node_sum(rt: &gain::Runtime, x: u64) -> u64 {
    let mut all = vec![0u64; rt.size()];
    rt.comm().all_gather_into(&x, &mut all[..]);
    rt.node_ranks().iter().map(|&r| all[r]).sum()
}

fn main() -> gain::Result<()> {
    let mbytes = cli::num("--mbytes", 1536);
    let dims = cli::num("--dims", 64).max(1);
    let queries = cli::num("--queries", 20_000);
    let per_query = cli::num("--rows", 64).max(1);
    let file = cli::arg("--file").unwrap_or_else(|| "target/shared_lookup.npy".into());
    let rt = gain::init()?;
    let rows = (mbytes * 1_000_000 / 8 / dims).max(1);
    let bytes = (rows * dims * 8) as f64;

    let t = Instant::now();
    shared_lookup::write_database(&rt, rows, dims, &file)?;
    let saved = t.elapsed().as_secs_f64();

    let before = pss_bytes();
    rt.comm().barrier();
    let t = Instant::now();
    let table = Replicated::<f64, Ix2>::load_npy(&rt, &file)?;
    let mut load = t.elapsed().as_secs_f64();
    let view = table.view();
    // Every rank touches the whole copy, so its PSS counts its share of
    // every page, then the ranks read their PSS together.
    let touch: f64 = view.iter().step_by(512).sum();
    std::hint::black_box(touch);
    rt.comm().barrier();
    let added = node_sum(&rt, pss_bytes().saturating_sub(before));
    let mut slowest = 0.0;
    rt.comm()
        .all_reduce_into(&load, &mut slowest, SystemOperation::max());
    load = slowest;

    rt.comm().barrier();
    let t = Instant::now();
    let answers = shared_lookup::answer(&rt, view.view(), queries, per_query);
    let mine = t.elapsed().as_secs_f64();
    let (mut seconds, mut fingerprint) = (0.0, 0u64);
    rt.comm()
        .all_reduce_into(&mine, &mut seconds, SystemOperation::max());
    rt.comm()
        .all_reduce_into(&answers, &mut fingerprint, SystemOperation::sum());

    drop(table);
    rt.comm().barrier();
    if rt.rank() == 0 && !cli::flag("--keep") {
        std::fs::remove_file(&file)
            .map_err(|e| gain::Error::new(gain::ErrorKind::Io, format!("removing {file}: {e}")))?;
    }
    if rt.rank() == 0 {
        let nodes = rt.size() / rt.node_ranks().len().max(1);
        println!(
            "shared lookup: {rows} x {dims} f64 ({:.2} GB) on {} ranks, {nodes} node(s)",
            bytes / 1e9,
            rt.size()
        );
        println!("saved to {file} in {saved:.3} s");
        println!(
            "loaded once per node in {load:.3} s; it adds {:.1} MB to this node ({:.3} x its size)",
            added as f64 / 1e6,
            added as f64 / bytes
        );
        println!(
            "{queries} queries of {per_query} rows in {seconds:.3} s: {:.0} queries/s",
            queries as f64 / seconds
        );
        println!("fingerprint: {fingerprint:016x}");
        println!(
            "BENCH {{\"program\":\"shared_lookup\",\"np\":{},\"mbytes\":{mbytes},\"load_s\":{load:.6},\"save_s\":{saved:.6},\"pss_per_node_vs_bytes\":{:.4},\"queries_per_s\":{:.1}}}",
            rt.size(),
            added as f64 / bytes,
            queries as f64 / seconds
        );
    }
    Ok(())
}
