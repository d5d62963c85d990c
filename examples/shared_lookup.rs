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
//! items); the answer is the best row. Rank 0 prints the load time and
//! the queries answered per second; the fingerprint of the answers is the
//! same at every rank count. `benches/shared_lookup.rs` runs the same
//! steps and also measures the memory the copy adds per node.
//!
//! Run: `scripts/run-example shared_lookup 2` (1.5 GB) or
//! `scripts/run-example shared_lookup 4 --mbytes 64 --queries 2000`.
//! Options: `--mbytes M` (default 1536, in 10^6 bytes), `--dims d` [64],
//! `--queries q` [20000], `--rows r` [64], `--file PATH`
//! [`target/shared_lookup.npy`], `--keep` (leave the file), `--verify`
//! (every rank checks random entries of its view against the formula).

#[path = "support/cli.rs"]
#[allow(dead_code)]
mod cli;

use std::time::Instant;

use gain::{Replicated, Runtime};
use mpi::collective::SystemOperation;
use mpi::traits::*;
use ndarray::{Array1, ArrayView2, Ix2};

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

/// Writes the database, `rows × dims`, to `file`: every rank fills and
/// saves its block.
pub fn write_database(rt: &Runtime, rows: usize, dims: usize, file: &str) -> gain::Result<()> {
    let db = gain::numpy::from_fn(rt, [rows, dims], |i| entry(i[0], i[1]))?;
    gain::io::save_npy(&db, file)
}

/// The queries dealt to this rank (query `q` to rank `q % size`), each
/// scored against `per_query` random rows of `table`: the answers hashed
/// together, commutatively, so the ranks' totals add up to the same sum
/// however the queries are dealt.
pub fn answer(rt: &Runtime, table: ArrayView2<f64>, queries: usize, per_query: usize) -> u64 {
    let (rows, dims) = table.dim();
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
            let score = table.row(r).dot(&q_vec);
            if score > best.0 {
                best = (score, r);
            }
        }
        answers = answers.wrapping_add(splitmix(q as u64 ^ (best.1 as u64) << 32));
    }
    answers
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

    // The database, written once, then loaded once per node and shared
    // by the node's ranks.
    write_database(&rt, rows, dims, &file)?;
    rt.comm().barrier();
    let t = Instant::now();
    let table = Replicated::<f64, Ix2>::load_npy(&rt, &file)?;
    let load = t.elapsed().as_secs_f64();
    let view = table.view();

    let t = Instant::now();
    let answers = answer(&rt, view.view(), queries, per_query);
    let seconds = t.elapsed().as_secs_f64();
    let mut fingerprint = 0u64;
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
    let (node_bytes, node_ranks) = (table.node_bytes(), table.node_ranks());
    drop(table);
    rt.comm().barrier();
    if rt.rank() == 0 && !cli::flag("--keep") {
        std::fs::remove_file(&file)
            .map_err(|e| gain::Error::new(gain::ErrorKind::Io, format!("removing {file}: {e}")))?;
    }
    if rt.rank() == 0 {
        println!(
            "shared lookup: {rows} x {dims} f64 ({:.2} GB) on {} ranks, saved to {file}",
            bytes / 1e9,
            rt.size()
        );
        println!("loaded once per node in {load:.3} s (rank 0)");
        println!(
            "one copy per node: {:.2} GB of shared memory on rank 0's node, read by its {node_ranks} ranks",
            node_bytes as f64 / 1e9
        );
        println!("{queries} queries of {per_query} rows answered in {seconds:.3} s");
        println!("fingerprint: {fingerprint:016x}");
        if ok && cli::flag("--verify") {
            println!("verified: the view holds the database");
        }
    }
    if !ok {
        eprintln!("shared_lookup: verify FAILED: the view differs from the database");
        std::process::exit(1);
    }
    Ok(())
}
