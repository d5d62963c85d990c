//! Blocked matrix multiplication, as Algorithm 2 of the PyCOMPSs
//! shared-memory paper: square A, B, C of nb × nb tiles of bs × bs f64,
//! `C[r][c] += A[r][i] · B[i][c]`.
//!
//! The matrices are `Matrix` whose blocks are whole tiles.
//! The owner of each C tile computes it (owner computes): it reads the A
//! and B tiles it needs with `GlobalArray::access`, in place from shared
//! memory when their owner is on its node (no copy), or with a one-sided
//! `get` otherwise, and multiplies them with ndarray's GEMM into its own
//! block. Then the same product runs through the library's
//! `gain::linalg::matmul_into` for comparison.
//!
//! Run: `mpirun -np 2 target/release/examples/matmul --blocks 8 --block-size 512`
//! Options: `--blocks nb --block-size bs --verify` (`--verify` checks C
//! against a serial ndarray product on rank 0; on by default when
//! nb·bs ≤ 1024). `benches/matmul.rs` times `algorithm2` and
//! `matmul_into` on these operands for the bench runner.

#[path = "support/cli.rs"]
#[allow(dead_code)]
mod cli;

use std::time::Instant;

use gain::{GlobalArray, Runtime};
use mpi::traits::*;
use ndarray::Ix2;
use ndarray::linalg::general_mat_mul;
use rayon::prelude::*;

/// An n × n matrix of f64 over the ranks.
pub type Matrix = GlobalArray<f64, Ix2>;

/// Tile `(r, c)` of a matrix of `bs`-sized tiles: in place when one block
/// on this node holds it, fetched otherwise.
fn tile(a: &Matrix, r: usize, c: usize, bs: usize) -> gain::Result<gain::Access<'_, f64, Ix2>> {
    a.access([r * bs..(r + 1) * bs, c * bs..(c + 1) * bs])
}

/// Block boundaries at whole tiles: `parts` balanced runs of `nb` tiles.
fn tile_starts(nb: usize, parts: usize, bs: usize) -> Vec<usize> {
    (0..parts.min(nb))
        .map(|p| p * nb / parts.min(nb) * bs)
        .collect()
}

/// Random A and B and a zero C of `nb` × `nb` tiles of `bs` × `bs`, in
/// blocks of whole tiles.
pub fn operands(rt: &Runtime, nb: usize, bs: usize) -> gain::Result<[Matrix; 3]> {
    let n = nb * bs;
    let grid = gain::process_grid(rt.size(), &[nb, nb], None);
    let starts = [tile_starts(nb, grid[0], bs), tile_starts(nb, grid[1], bs)];
    let mut a = Matrix::zeros_irregular(rt, [n, n], &starts)?;
    let mut b = Matrix::zeros_irregular(rt, [n, n], &starts)?;
    let c = Matrix::zeros_irregular(rt, [n, n], &starts)?;
    gain::random::fill_uniform(&mut a, 1, -1.0, 1.0)?;
    gain::random::fill_uniform(&mut b, 2, -1.0, 1.0)?;
    Ok([a, b, c])
}

/// Algorithm 2, owner computes: `c += a · b`, tile by tile.
pub fn algorithm2(
    rt: &Runtime,
    a: &Matrix,
    b: &Matrix,
    c: &mut Matrix,
    bs: usize,
) -> gain::Result<()> {
    let nb = a.shape()[0] / bs;
    if let Some(block) = c.distribution(rt.rank()) {
        let (lo, hi) = (block.lo().to_vec(), block.hi().to_vec());
        let mut mine = c.local_mut();
        // The C tiles of this block, shared among the rank's threads
        // (rayon's pool, sized by gain::init); each reads its A and B
        // tiles itself, so the threads' gets run concurrently. Below
        // MPI_THREAD_MULTIPLE (Open MPI's osc/pt2pt across hosts) only
        // this thread may make the remote gets: the tiles in turn.
        let cols = (hi[1] - lo[1]) / bs;
        let tiles: Vec<_> = mine
            .exact_chunks_mut((bs, bs))
            .into_iter()
            .enumerate()
            .collect();
        let one = |(t, mut out): (usize, ndarray::ArrayViewMut2<'_, f64>)| {
            let (r, cc) = (lo[0] / bs + t / cols, lo[1] / bs + t % cols);
            for i in 0..nb {
                let (ta, tb) = (tile(a, r, i, bs)?, tile(b, i, cc, bs)?);
                general_mat_mul(1.0, &ta, &tb, 1.0, &mut out);
            }
            gain::Result::Ok(())
        };
        if rt.thread_level() == mpi::environment::Threading::Multiple {
            tiles.into_par_iter().try_for_each(one)?;
        } else {
            tiles.into_iter().try_for_each(one)?;
        }
    }
    c.sync()
}

fn run(rt: &Runtime) -> gain::Result<bool> {
    let nb = cli::num("--blocks", 4);
    let bs = cli::num("--block-size", 128);
    let n = nb * bs;
    let verify = cli::flag("--verify") || n <= 1024;
    let [a, b, mut c] = operands(rt, nb, bs)?;
    let flops = 2.0 * (n as f64).powi(3);
    rt.comm().barrier();
    let t = Instant::now();
    algorithm2(rt, &a, &b, &mut c, bs)?;
    let blocked = t.elapsed().as_secs_f64();

    // The library's distributed GEMM on the same operands.
    let mut c2 = Matrix::zeros(rt, [n, n])?;
    let t = Instant::now();
    gain::linalg::matmul_into(1.0, &a, &b, 0.0, &mut c2)?;
    let library = t.elapsed().as_secs_f64();

    let mut ok = true;
    if rt.rank() == 0 {
        println!(
            "matmul: {nb} x {nb} blocks of {bs} x {bs} (n = {n}), {} ranks",
            rt.size()
        );
        println!(
            "algorithm 2 (owner computes): {blocked:.3} s, {:.2} GFLOP/s",
            flops / blocked / 1e9
        );
        println!(
            "gain::linalg::matmul_into:    {library:.3} s, {:.2} GFLOP/s",
            flops / library / 1e9
        );
        if verify {
            let serial = a.get([0..n, 0..n])?.dot(&b.get([0..n, 0..n])?);
            let err = |x: &Matrix| -> gain::Result<f64> {
                let d = x.get([0..n, 0..n])? - &serial;
                Ok(d.fold(0.0, |m: f64, e| m.max(e.abs())) / n as f64)
            };
            let (e1, e2) = (err(&c)?, err(&c2)?);
            ok = e1 < 1e-13 && e2 < 1e-13;
            println!(
                "verify against a serial ndarray product: max |error| / n = {e1:.1e} (algorithm 2), {e2:.1e} (linalg): {}",
                if ok { "ok" } else { "FAILED" }
            );
        }
    }
    Ok(ok)
}

fn main() {
    let rt = gain::init().expect("MPI initialises");
    let result = run(&rt);
    drop(rt);
    if let Err(e) = &result {
        eprintln!("matmul: {e}");
    }
    if !matches!(result, Ok(true)) {
        std::process::exit(1);
    }
}
