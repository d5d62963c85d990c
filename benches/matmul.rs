//! The matmul benchmark program: Algorithm 2 of `examples/matmul.rs`,
//! included whole as a module so that the bench times the example's own
//! code, and `gain::linalg::matmul_into` on the same operands, with the
//! measurement protocol the bench runner reads. Run under mpirun by
//! `scripts/bench matmul` and `scripts/bench hybrid`:
//!
//! `mpirun -np 2 <exe> --blocks nb --block-size bs`
//!
//! Rank 0 prints `BENCH {"program":"matmul","np":..,"threads":..,"n":..,
//! "blas":..,"seconds":..,"gflops":..,"linalg_seconds":..,
//! "linalg_gflops":..}`: `seconds` is Algorithm 2 (from a barrier to the
//! sync after it), `linalg_seconds` the library's product into a new
//! array, `blas` whether the local GEMMs are OpenBLAS (the `blas`
//! feature).

#[path = "../examples/matmul.rs"]
#[allow(dead_code)] // the example's `main` and its checks
mod matmul;

// The example loads this file too, as its own private module.
#[path = "../examples/support/cli.rs"]
#[allow(dead_code, clippy::duplicate_mod)]
mod cli;

use std::time::Instant;

use mpi::traits::*;

fn main() -> gain::Result<()> {
    let nb = cli::num("--blocks", 4);
    let bs = cli::num("--block-size", 128);
    let n = nb * bs;
    let rt = gain::init()?;
    let [a, b, mut c] = matmul::operands(&rt, nb, bs)?;
    let flops = 2.0 * (n as f64).powi(3);

    rt.comm().barrier();
    let t = Instant::now();
    matmul::algorithm2(&rt, &a, &b, &mut c, bs)?;
    let blocked = t.elapsed().as_secs_f64();

    let mut c2 = matmul::Matrix::zeros(&rt, [n, n])?;
    let t = Instant::now();
    gain::linalg::matmul_into(1.0, &a, &b, 0.0, &mut c2)?;
    let library = t.elapsed().as_secs_f64();

    if rt.rank() == 0 {
        let gemm = if cfg!(feature = "blas") {
            "OpenBLAS (blas feature)"
        } else {
            "ndarray's matrixmultiply"
        };
        let grid = gain::process_grid(rt.size(), &[nb, nb], None);
        println!(
            "matmul: {nb} x {nb} blocks of {bs} x {bs} (n = {n}), {} ranks, grid {grid:?}, local GEMM: {gemm}",
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
        println!(
            "BENCH {{\"program\":\"matmul\",\"np\":{},\"threads\":{},\"n\":{n},\"blas\":{},\"seconds\":{blocked:.6},\"gflops\":{:.4},\"linalg_seconds\":{library:.6},\"linalg_gflops\":{:.4}}}",
            rt.size(),
            gain::threads(),
            cfg!(feature = "blas"),
            flops / blocked / 1e9,
            flops / library / 1e9
        );
    }
    Ok(())
}
