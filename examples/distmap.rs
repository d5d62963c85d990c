//! distmap (GAiN thesis, chapter 6.1): random points on an N×N grid, and
//! for every cell the distance to the nearest point, computed with ufuncs
//! on global arrays. Written as a gray image it looks like soap bubbles.
//!
//! ```text
//! x, y = indices((N, N))
//! d = full((N, N), inf)
//! for (px, py) in points: d = minimum(d, hypot(x - px, y - py))
//! ```
//!
//! The points come from gain's counter-based generator, so they are the
//! same at every rank count. `--verify` compares the map with a serial
//! ndarray version doing the same operations (equal bits); `--png PATH`
//! writes the gray image. Prints the time and a fingerprint of the map,
//! and the time again in one `BENCH {json}` line for the bench runner
//! (protocol in tools/bench).
//!
//! Run: `mpirun -np 2 target/release/examples/distmap [--n 2000] [--points 40]`

#[path = "support/cli.rs"]
mod cli;
#[path = "support/picture.rs"]
mod picture;

use std::time::Instant;

use cli::{arg, fingerprint, num};

use gain::numpy;
use ndarray::{Array2, Axis};

fn main() -> gain::Result<()> {
    let n = num("--n", 2000).max(1);
    let npoints = num("--points", 40).max(1);
    let seed = num("--seed", 7) as u64;
    let rt = gain::init()?;
    // Point coordinates, uniform in [0, n), the same everywhere.
    let pts = gain::random::uniform(&rt, [npoints, 2], seed)?;
    let pts = (&pts * n as f64).eval()?.to_array()?;

    let t = Instant::now();
    let x = numpy::index_along([n, n], Axis(0))
        .cast::<f64>()
        .eval_on(&rt)?;
    let y = numpy::index_along([n, n], Axis(1))
        .cast::<f64>()
        .eval_on(&rt)?;
    let mut d = numpy::full_like(&x, f64::INFINITY)?;
    let mut next = numpy::zeros_like(&x)?;
    for p in pts.rows() {
        next.assign(numpy::minimum(&d, (&x - p[0]).hypot(&y - p[1])))?;
        std::mem::swap(&mut d, &mut next);
    }
    let far = d.max()?;
    let secs = t.elapsed().as_secs_f64();

    if let Some(map) = d.gather(0)? {
        println!(
            "distmap: N={n} points={npoints} np={} {secs:.3} s, farthest cell {far:.3}",
            rt.size()
        );
        println!("fingerprint: {:016x}", fingerprint(&map));
        println!(
            "BENCH {{\"program\":\"distmap\",\"np\":{},\"threads\":{},\"n\":{n},\"points\":{npoints},\"seconds\":{secs:.6}}}",
            rt.size(),
            gain::threads()
        );
        if cli::flag("--verify") {
            let mut want = Array2::from_elem((n, n), f64::INFINITY);
            for p in pts.rows() {
                want.indexed_iter_mut().for_each(|((i, j), w)| {
                    let h = (i as f64 - p[0]).hypot(j as f64 - p[1]);
                    *w = if *w <= h || w.is_nan() { *w } else { h };
                });
            }
            assert_eq!(map, want, "the distributed map differs from the serial one");
            println!("verified: identical to the serial ndarray version");
        }
        if let Some(path) = arg("--png") {
            picture::write(&path, map.view(), false, 1024).expect("write the PNG");
            println!("wrote {path}");
        }
    }
    Ok(())
}
