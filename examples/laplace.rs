//! perfpy's Laplace solver (GAiN thesis, chapter 6.2), written with gain's
//! NumPy layer: Jacobi sweeps of
//!
//! ```text
//! u[1:-1,1:-1] = ((u[0:-2,1:-1] + u[2:,1:-1])*dy2 + (u[1:-1,0:-2] + u[1:-1,2:])*dx2)*dnr_inv
//! err = sqrt(sum((u - old_u)**2))
//! ```
//!
//! on an N×N grid over [0,1]², boundary `x² − y²`, interior zero, a fixed
//! number of iterations. Two buffers: each sweep reads `u` and writes `new`
//! (NumPy's `old_u = u.copy()` without the copy), then they swap.
//!
//! - `--style zip` (default): one distributed `Zip` over the interior of
//!   `new` and four shifted views of `u`; the closure also sums the
//!   squared change, so a sweep is one pass over memory.
//! - `--style ops`: the formula with operators on views, assigned into
//!   the interior, and the error as its own reduction — NumPy's shape.
//!
//! Prints the time, the error and a fingerprint of the solution (the same
//! at every rank count). `--verify` compares the solution and error with a
//! serial hand-written loop doing the same sweeps (the same operations in
//! the same order: equal bits); `--png PATH` writes a heat map.
//! `benches/laplace.rs` times `solve`, and the serial loop as its baseline.
//!
//! Run: `mpirun -np 2 target/release/examples/laplace [--n 4000] [--iters 100] [--verify]`

// `s![1..-1]` counts -1 from the end (ndarray's rule); it is not an empty
// reversed range, which is what this lint assumes.
#![allow(clippy::reversed_empty_ranges)]

#[path = "support/cli.rs"]
mod cli;
#[path = "support/laplace_grid.rs"]
pub mod grid;
#[path = "support/picture.rs"]
mod picture;

use std::time::Instant;

use cli::{arg, fingerprint, flag, num};
use grid::{constants, initial, serial_loop};

use gain::numpy::{self, Zip};
use gain::{GlobalArray, Runtime};
use ndarray::{Array2, Ix2, s};

/// One sweep, fused: writes the interior of `new` from `u`; returns this
/// rank's sum of squared changes.
fn sweep_zip(
    new: &mut GlobalArray<f64, Ix2>,
    u: &GlobalArray<f64, Ix2>,
    n: usize,
) -> gain::Result<f64> {
    let (dx2, dy2, dnr_inv) = constants(n);
    // On the threads of the rank's pool; the error is summed per tile and
    // the tiles' sums in order, the same bits on any thread count.
    Zip::from(new.slice_mut(s![1..-1, 1..-1])?)
        .and(u.slice(s![..-2, 1..-1])?)
        .and(u.slice(s![2.., 1..-1])?)
        .and(u.slice(s![1..-1, ..-2])?)
        .and(u.slice(s![1..-1, 2..])?)
        .and(u.slice(s![1..-1, 1..-1])?)
        .par_fold(
            || 0.0,
            |err, o, &up, &down, &left, &right, &old| {
                let v = ((up + down) * dy2 + (left + right) * dx2) * dnr_inv;
                *o = v;
                err + (v - old) * (v - old)
            },
            |a, b| a + b,
        )
}

/// One sweep in NumPy's shape: an operator expression, then the error.
fn sweep_ops(
    new: &mut GlobalArray<f64, Ix2>,
    u: &GlobalArray<f64, Ix2>,
    n: usize,
) -> gain::Result<f64> {
    let (dx2, dy2, dnr_inv) = constants(n);
    let e = ((u.slice(s![..-2, 1..-1])? + u.slice(s![2.., 1..-1])?) * dy2
        + (u.slice(s![1..-1, ..-2])? + u.slice(s![1..-1, 2..])?) * dx2)
        * dnr_inv;
    new.slice_mut(s![1..-1, 1..-1])?.assign(e)?;
    let d = &*new - u;
    (&d * &d).sum()
}

fn main() -> gain::Result<()> {
    let n = num("--n", 4000).max(3);
    let iters = num("--iters", 100);
    let style = arg("--style").unwrap_or_else(|| "zip".into());
    let rt = gain::init()?;
    let (u, err, secs) = solve(&rt, n, iters, &style)?;
    let gathered = u.gather(0)?;
    if let Some(sol) = gathered {
        println!(
            "laplace ({style}): N={n} iters={iters} np={} {secs:.3} s, error {err:.6e}",
            rt.size()
        );
        println!("fingerprint: {:016x}", fingerprint(&sol));
        if flag("--verify") {
            let (want, werr) = serial_loop(n, iters);
            let want = Array2::from_shape_vec((n, n), want).expect("n*n values");
            assert_eq!(
                sol, want,
                "the distributed solution differs from the serial loop's"
            );
            let rel = (err - werr).abs() / werr.max(f64::MIN_POSITIVE);
            assert!(rel < 1e-12, "error {err} vs serial {werr}");
            println!("verified: solution identical to the serial loop, error within {rel:.1e}");
        }
        if let Some(path) = arg("--png") {
            picture::write(&path, sol.view(), true, 1024).expect("write the PNG");
            println!("wrote {path}");
        }
    }
    Ok(())
}

/// Runs `iters` sweeps; returns the solution, the last error and the time.
pub fn solve(
    rt: &Runtime,
    n: usize,
    iters: usize,
    style: &str,
) -> gain::Result<(GlobalArray<f64, Ix2>, f64, f64)> {
    let mut u = numpy::from_fn(rt, [n, n], |i| initial(i[0], i[1], n))?;
    let mut new = numpy::zeros_like(&u)?;
    new.assign(&u)?;
    let t = Instant::now();
    let mut err = 0.0;
    for _ in 0..iters {
        let local = match style {
            "zip" => numpy::allreduce_sum(rt, sweep_zip(&mut new, &u, n)?)?,
            "ops" => sweep_ops(&mut new, &u, n)?,
            other => panic!("--style takes zip or ops, not {other}"),
        };
        err = local.sqrt();
        std::mem::swap(&mut u, &mut new);
    }
    Ok((u, err, t.elapsed().as_secs_f64()))
}
