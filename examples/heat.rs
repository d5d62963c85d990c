//! 2-D heat diffusion (Jacobi iteration) on a block-distributed grid with
//! ghost cells.
//!
//! Both grids are created with a one-cell halo around every block
//! (`zeros_with_ghosts`, Global Arrays' `NGA_Create_ghosts`). Every step
//! `update_ghosts` fills each rank's halo from its neighbours (one
//! message per neighbour and axis, no barrier), each rank reads its padded block with `local_with_ghosts` and
//! writes the new values into its own block of the second grid through a
//! zero-copy `local_mut` view, and adds its share of the residual into a
//! one-element global array with an atomic `acc`. A shared counter handed
//! out with `read_inc` picks the rank that reports progress.
//!
//! Run: `scripts/run-example heat 4 [n] [steps]` (default a 256 × 256 grid, 200 steps)
//! At the end rank 0 recomputes the grid serially with ndarray and checks
//! that both agree.

use gain::{GlobalArray, Section};
use ndarray::{Array2, s};

fn step_serial(u: &Array2<f64>) -> Array2<f64> {
    let mut v = u.clone();
    let (n, m) = u.dim();
    for i in 1..n - 1 {
        for j in 1..m - 1 {
            v[[i, j]] = 0.25 * (u[[i - 1, j]] + u[[i + 1, j]] + u[[i, j - 1]] + u[[i, j + 1]]);
        }
    }
    v
}

fn initial(n: usize) -> Array2<f64> {
    // A hot top edge, cold elsewhere.
    let mut u = Array2::zeros((n, n));
    u.row_mut(0).fill(100.0);
    u
}

fn main() -> gain::Result<()> {
    let rt = gain::init()?;
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let n = args.first().copied().unwrap_or(256);
    let steps = args.get(1).copied().unwrap_or(200);

    // One ghost cell on each side of each axis; the grid's edges are
    // fixed, so no axis wraps around.
    let mut a = GlobalArray::<f64, _>::zeros_with_ghosts(&rt, [n, n], &[1, 1], &[false, false])?;
    let mut b = a.duplicate()?; // the same ghosts
    let residual = GlobalArray::<f64, _>::zeros(&rt, 1)?;
    let reporter = GlobalArray::<i64, _>::zeros(&rt, 1)?;
    if rt.rank() == 0 {
        a.put([0..n, 0..n], initial(n).view())?;
    }
    a.sync()?;
    b.copy_from(&a)?;

    let start = std::time::Instant::now();
    for step in 0..steps {
        let (src, dst) = if step % 2 == 0 {
            (&a, &mut b)
        } else {
            (&b, &mut a)
        };
        let mut local_res = 0.0;
        // Collective: each rank sends the edges of its block (its last
        // step, written locally) to its neighbours and receives theirs
        // into its halo; no barrier.
        src.update_ghosts()?;
        if let Some(block) = src.distribution(rt.rank()) {
            // The block with its halo: element (i, j) of the grid is at
            // (i - lo + 1, j - lo + 1).
            let (lo, hi) = (block.lo(), block.hi());
            let halo = src.local_with_ghosts()?;
            let mut out = dst.local_mut();
            for i in lo[0]..hi[0] {
                for j in lo[1]..hi[1] {
                    if i == 0 || j == 0 || i == n - 1 || j == n - 1 {
                        continue; // fixed boundary
                    }
                    let (x, y) = (i + 1 - lo[0], j + 1 - lo[1]);
                    let v = 0.25
                        * (halo[[x - 1, y]]
                            + halo[[x + 1, y]]
                            + halo[[x, y - 1]]
                            + halo[[x, y + 1]]);
                    local_res += (v - halo[[x, y]]).abs();
                    out[[i - lo[0], j - lo[1]]] = v;
                }
            }
        }
        residual.acc(0..1, ndarray::arr1(&[local_res]).view(), 1.0)?;
        // (`dst`'s local writes travel with its next `update_ghosts`.)
        residual.sync()?;
        if step % 50 == 49 {
            // Whoever draws ticket 0 of this round reports.
            let ticket = reporter.read_inc(&[0], 1)?;
            if ticket % rt.size() as i64 == 0 {
                let r = residual.get(0..1)?[0];
                println!(
                    "step {:4}: summed residual so far {r:.3} (reported by rank {})",
                    step + 1,
                    rt.rank()
                );
            }
        }
    }
    let elapsed = start.elapsed();
    let last = if steps % 2 == 0 { &a } else { &b };
    last.sync()?;
    let result = last.get(Section::full(&[n, n]))?;
    if rt.rank() == 0 {
        let mut u = initial(n);
        for _ in 0..steps {
            u = step_serial(&u);
        }
        let err = (&result - &u).iter().fold(0.0f64, |m, x| m.max(x.abs()));
        println!(
            "{n}x{n} grid, {steps} steps on {} ranks ({} per node): {:.3} s, max |gain - serial| = {err:e}, centre = {:.4}",
            rt.size(),
            rt.node_ranks().len(),
            elapsed.as_secs_f64(),
            result[[n / 2, n / 2]]
        );
        assert!(err < 1e-9, "distributed and serial results differ");
        println!("first interior row: {:.2}", result.slice(s![1, ..8.min(n)]));
    }
    Ok(())
}
