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
//! writes the gray image. Prints the time and a fingerprint of the map;
//! `benches/distmap.rs` times `distance_map` for the bench runner.
//!
//! Run: `mpirun -np 2 target/release/examples/distmap [--n 2000] [--points 40]`

#[path = "support/cli.rs"]
mod cli;
#[path = "support/picture.rs"]
mod picture;

use std::time::Instant;

use cli::{arg, fingerprint, num};

use gain::{GlobalArray, Runtime, numpy};
use ndarray::{Array2, Axis, Ix2};

/// A map of the grid, over the ranks.
pub type Map = GlobalArray<f64, Ix2>;

/// `npoints` points, uniform in [0, n)², from `seed`: the same at every
/// rank count.
pub fn points(rt: &Runtime, n: usize, npoints: usize, seed: u64) -> gain::Result<Array2<f64>> {
    let pts = gain::random::uniform(rt, [npoints, 2], seed)?;
    (&pts * n as f64).eval()?.to_array()
}

/// The distance of every cell of the N×N grid to the nearest of `pts`,
/// the farthest cell's, and the seconds they took.
pub fn distance_map(rt: &Runtime, n: usize, pts: &Array2<f64>) -> gain::Result<(Map, f64, f64)> {
    let t = Instant::now();
    let x = numpy::index_along([n, n], Axis(0))
        .cast::<f64>()
        .eval_on(rt)?;
    let y = numpy::index_along([n, n], Axis(1))
        .cast::<f64>()
        .eval_on(rt)?;
    let mut d = numpy::full_like(&x, f64::INFINITY)?;
    let mut next = numpy::zeros_like(&x)?;
    for p in pts.rows() {
        next.assign(numpy::minimum(&d, (&x - p[0]).hypot(&y - p[1])))?;
        std::mem::swap(&mut d, &mut next);
    }
    let far = d.max()?;
    Ok((d, far, t.elapsed().as_secs_f64()))
}

fn main() -> gain::Result<()> {
    let n = num("--n", 2000).max(1);
    let npoints = num("--points", 40).max(1);
    let seed = num("--seed", 7) as u64;
    let rt = gain::init()?;
    let pts = points(&rt, n, npoints, seed)?;
    let (d, far, secs) = distance_map(&rt, n, &pts)?;
    if let Some(map) = d.gather(0)? {
        println!(
            "distmap: N={n} points={npoints} np={} {secs:.3} s, farthest cell {far:.3}",
            rt.size()
        );
        println!("fingerprint: {:016x}", fingerprint(&map));
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
