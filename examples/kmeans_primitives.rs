//! k-means written from gain's primitives, to show how a distributed
//! algorithm is built on them: each rank reads its own points through the
//! zero-copy local view (`local()`), labels them and sums them per cluster
//! with plain ndarray code, and one `MPI_Allreduce` per iteration adds the
//! ranks' sums. `gain::cluster::KMeans` (examples/kmeans.rs) does the same
//! with a faster kernel and dynamic load balancing.
//!
//! Run: `scripts/run-example kmeans_primitives 2 --points 100000 --dims 16 --centers 4`
//! Options: `--points n --dims d --centers k --iters I --seed s`

#[path = "support/cli.rs"]
#[allow(dead_code)] // each example uses some of the helpers
mod cli;

use gain::GlobalArray;
use mpi::collective::SystemOperation;
use mpi::traits::*;
use ndarray::{Array2, Axis, s};

fn main() -> gain::Result<()> {
    let (n, d, k) = (
        cli::num("--points", 100_000),
        cli::num("--dims", 16),
        cli::num("--centers", 4),
    );
    let iters = cli::num("--iters", 20);
    let rt = gain::init()?;
    // Points distributed by rows: each rank's block holds whole points.
    let mut points = GlobalArray::<f64, _>::zeros_chunked(&rt, [n, d], &[0, d])?;
    gain::random::fill_uniform(&mut points, cli::num("--seed", 0) as u64, 0.0, 1.0)?;
    // The first k points are the initial centers, on every rank.
    let mut centers = points.get(s![..k, ..])?;

    for it in 1..=iters {
        // Per cluster: d sums, then the count, for this rank's points.
        let mut local = Array2::<f64>::zeros((k, d + 1));
        for p in points.local().outer_iter() {
            let dist = centers.map_axis(Axis(1), |c| (&c - &p).mapv(|v| v * v).sum());
            let best = (0..k).fold(0, |b, c| if dist[c] < dist[b] { c } else { b });
            let mut row = local.row_mut(best);
            row.slice_mut(s![..d]).zip_mut_with(&p, |s, &x| *s += x);
            row[d] += 1.0;
        }
        // One allreduce adds every rank's sums and counts.
        let mut total = Array2::<f64>::zeros((k, d + 1));
        rt.comm().all_reduce_into(
            local.as_slice().expect("a fresh array is contiguous"),
            total.as_slice_mut().expect("a fresh array is contiguous"),
            SystemOperation::sum(),
        );
        let mut shift = 0.0;
        for (mut c, t) in centers.outer_iter_mut().zip(total.outer_iter()) {
            if t[d] > 0.0 {
                let new = &t.slice(s![..d]) / t[d];
                shift += (&new - &c).mapv(|v| v * v).sum();
                c.assign(&new);
            }
        }
        if rt.rank() == 0 {
            println!("iteration {it}: centers moved {:.3e}", shift.sqrt());
        }
        if shift.sqrt() <= 1e-9 {
            break;
        }
    }
    if rt.rank() == 0 {
        println!("centers:\n{centers:.4}");
    }
    Ok(())
}
