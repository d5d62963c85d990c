//! The distmap benchmark program: `distance_map` of `examples/distmap.rs`
//! (included whole as a module, so the bench times the example's own
//! code) with the measurement protocol the bench runner reads. Run under
//! mpirun by `scripts/bench hybrid`:
//!
//! `mpirun -np 2 <exe> --n N --points P [--seed s]`
//!
//! Rank 0 prints `BENCH {"program":"distmap","np":..,"threads":..,"n":..,
//! "points":..,"seconds":..}`: the time to build the map, from the grid's
//! index arrays to the farthest cell's distance.

#[path = "../examples/distmap.rs"]
#[allow(dead_code)] // the example's `main` and its checks
mod distmap;

// The example loads this file too, as its own private module.
#[path = "../examples/support/cli.rs"]
#[allow(dead_code, clippy::duplicate_mod)]
mod cli;

fn main() -> gain::Result<()> {
    let n = cli::num("--n", 2000).max(1);
    let npoints = cli::num("--points", 40).max(1);
    let seed = cli::num("--seed", 7) as u64;
    let rt = gain::init()?;
    let pts = distmap::points(&rt, n, npoints, seed)?;
    let (d, far, secs) = distmap::distance_map(&rt, n, &pts)?;
    drop(d);
    if rt.rank() == 0 {
        println!(
            "distmap: N={n} points={npoints} np={} {secs:.3} s, farthest cell {far:.3}",
            rt.size()
        );
        println!(
            "BENCH {{\"program\":\"distmap\",\"np\":{},\"threads\":{},\"n\":{n},\"points\":{npoints},\"seconds\":{secs:.6}}}",
            rt.size(),
            gain::threads()
        );
    }
    Ok(())
}
