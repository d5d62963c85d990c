//! A read-only "database" shared by every process of a node, queried by
//! all: the scenario of "Sharing big NumPy arrays across python processes"
//! (a 1.5 GB f64 array shared among worker processes; its best, Ray's
//! object store, shared it in 0.07 s on 4 cores) and of the PyCOMPSs
//! paper's recurrent read-only data.
//!
//! The database, `rows × dims` f64 values, is written to a `.npy` file
//! by every rank in parallel (`gain::io::save_npy`), then loaded as a
//! `gain::Replicated` array: one copy per node in node shared memory, the
//! node's ranks each reading an even share of the file. Every rank then
//! answers a stream of queries against its plain `ArrayView` of the whole
//! table, with no communication: a query is a vector, scored by its dot
//! product with `--rows` random rows (as a recommender scores candidate
//! items); the answer is the best row. Rank 0 prints the load time, the
//! memory the copy adds per node (PSS summed over the node's ranks, from
//! `/proc/self/smaps_rollup`) and the queries answered per second; the
//! fingerprint of the answers is the same at every rank count.
//!
//! Run: `scripts/run-example shared_lookup 2` (1.5 GB) or
//! `scripts/run-example shared_lookup 4 --mbytes 64 --queries 2000`.
//! Options: `--mbytes M` (default 1536, in 10^6 bytes), `--dims d` [64],
//! `--queries q` [20000], `--rows r` [64], `--file PATH`
//! [`target/shared_lookup.npy`], `--keep` (leave the file), `--verify`
//! (every rank checks random entries of its view against the formula).
//! Rank 0's last line, `BENCH {json}`, is what the bench runner reads
//! (`scripts/bench io`; protocol in tools/bench).

#[path = "support/cli.rs"]
#[allow(dead_code)]
mod cli;

use std::time::Instant;

use gain::Replicated;
use mpi::collective::SystemOperation;
use mpi::traits::*;
use ndarray::{Array1, Ix2};

/// Entry `(r, c)` of the database: a hash of its position in [0, 1).
fn entry(r: usize, c: usize) -> f64 {
    let h = splitmix((r as u64) << 20 ^ c as u64);
    (h >> 11) as f64 / (1u64 << 53) as f64
}

fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

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

    // The database, written once: every rank fills and saves its block.
    let t = Instant::now();
    let db = gain::numpy::from_fn(&rt, [rows, dims], |i| entry(i[0], i[1]))?;
    gain::io::save_npy(&db, &file)?;
    drop(db);
    let saved = t.elapsed().as_secs_f64();

    // Loaded once per node, then shared by the node's ranks.
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

    // The query stream, dealt round-robin: query `q` to rank `q % size`.
    rt.comm().barrier();
    let t = Instant::now();
    let mut answers = 0u64;
    let mut q_vec = Array1::<f64>::zeros(dims);
    for q in (rt.rank()..queries).step_by(rt.size()) {
        let mut seed = splitmix(q as u64 ^ 0xD1B5_4A32_D192_ED03);
        for x in q_vec.iter_mut() {
            seed = splitmix(seed);
            *x = (seed >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
        }
        let mut best = (f64::NEG_INFINITY, 0usize);
        for _ in 0..per_query {
            seed = splitmix(seed);
            let r = (seed % rows as u64) as usize;
            let score = view.row(r).dot(&q_vec);
            if score > best.0 {
                best = (score, r);
            }
        }
        // Commutative, so the total is the same however queries are dealt.
        answers = answers.wrapping_add(splitmix(q as u64 ^ (best.1 as u64) << 32));
    }
    let mine = t.elapsed().as_secs_f64();
    let (mut seconds, mut fingerprint) = (0.0, 0u64);
    rt.comm()
        .all_reduce_into(&mine, &mut seconds, SystemOperation::max());
    rt.comm()
        .all_reduce_into(&answers, &mut fingerprint, SystemOperation::sum());

    let mut ok = true;
    if cli::flag("--verify") {
        let mut seed = 7 + rt.rank() as u64;
        for _ in 0..1000 {
            seed = splitmix(seed);
            let (r, c) = ((seed % rows as u64) as usize, (seed >> 32) as usize % dims);
            ok &= view[[r, c]] == entry(r, c);
        }
        let mut all_ok = 0u8;
        rt.comm()
            .all_reduce_into(&(ok as u8), &mut all_ok, SystemOperation::min());
        ok = all_ok == 1;
    }
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
        if cli::flag("--verify") {
            println!(
                "{}",
                if ok {
                    "verified: the view holds the database"
                } else {
                    "verify FAILED"
                }
            );
        }
        println!(
            "BENCH {{\"program\":\"shared_lookup\",\"np\":{},\"mbytes\":{mbytes},\"load_s\":{load:.6},\"save_s\":{saved:.6},\"pss_per_node_vs_bytes\":{:.4},\"queries_per_s\":{:.1}}}",
            rt.size(),
            added as f64 / bytes,
            queries as f64 / seconds
        );
    }
    if !ok {
        std::process::exit(1);
    }
    Ok(())
}
