//! The Laplace benchmark program: the solver of `examples/laplace.rs`,
//! included whole as a module so that the bench times the example's own
//! code, with the measurement protocol the bench runner reads. Run under
//! mpirun by `scripts/bench numpy` and `scripts/bench hybrid`:
//!
//! `mpirun -np 2 <exe> --n N --iters I [--style zip|ops] [--baseline]`
//!
//! Rank 0 prints a human-readable line and then
//! `BENCH {"program":"laplace","np":..,"threads":..,"n":..,"iters":..,
//! "style":..,"seconds":..,"error":..}`: the time of the `iters` sweeps
//! (`laplace::solve`, from the first sweep to the last) and the last
//! error. `--baseline` runs instead, on rank 0 alone, the example's serial
//! hand-written loop doing the same sweeps, and prints
//! `BENCH {"program":"laplace_serial_loop","n":..,"iters":..,"seconds":..,"error":..}`.

#[path = "../examples/laplace.rs"]
#[allow(dead_code)] // the example's `main` and helpers this program does not call
mod laplace;

// The example loads this file too, as its own private module.
#[path = "../examples/support/cli.rs"]
#[allow(dead_code, clippy::duplicate_mod)]
mod cli;

use std::time::Instant;

use cli::{arg, flag, num};

fn main() -> gain::Result<()> {
    let n = num("--n", 4000).max(3);
    let iters = num("--iters", 100);
    let style = arg("--style").unwrap_or_else(|| "zip".into());
    let rt = gain::init()?;
    if flag("--baseline") {
        if rt.rank() == 0 {
            let t = Instant::now();
            let (_, err) = laplace::grid::serial_loop(n, iters);
            let secs = t.elapsed().as_secs_f64();
            println!("serial loop: N={n} iters={iters} {secs:.3} s, error {err:.6e}");
            println!(
                "BENCH {{\"program\":\"laplace_serial_loop\",\"n\":{n},\"iters\":{iters},\"seconds\":{secs:.6},\"error\":{err:e}}}"
            );
        }
        return Ok(());
    }
    let (u, err, secs) = laplace::solve(&rt, n, iters, &style)?;
    drop(u);
    if rt.rank() == 0 {
        println!(
            "laplace ({style}): N={n} iters={iters} np={} {secs:.3} s, error {err:.6e}",
            rt.size()
        );
        println!(
            "BENCH {{\"program\":\"laplace\",\"np\":{},\"threads\":{},\"n\":{n},\"iters\":{iters},\"style\":\"{style}\",\"seconds\":{secs:.6},\"error\":{err:e}}}",
            rt.size(),
            gain::threads()
        );
    }
    Ok(())
}
