//! `c = a * b + c` on 2^26 f64 through gain's distributed `Zip`
//! (`par_for_each`: on the rank's threads), run by `scripts/bench numpy`
//! under mpirun at 1 and 2 ranks of one thread, and by `scripts/bench
//! hybrid` on threads too. At 1 rank the same update through ndarray's
//! `Zip` on plain arrays runs in the same process, alternating with
//! gain's, as the baseline.
//!
//! Prints, on rank 0, the line the bench runner reads (protocol in
//! tools/bench): `BENCH {"program":"elementwise","np":..,"threads":..,
//! "n":..,"seconds":..,"gbytes_per_s":..}` (the best of the repetitions; 32 bytes
//! per element: a, b and c read, c written, as STREAM counts) with, at 1
//! rank, `"ndarray_seconds"`.
//!
//! Run: `mpirun -np 2 target/release/deps/elementwise-<hash> [--log2 26] [--reps 10]`

use std::time::Instant;

use gain::numpy::{self, Zip};
use mpi::traits::*;

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() -> gain::Result<()> {
    let n = 1usize << arg("--log2", 26);
    let reps = arg("--reps", 10).max(1);
    let rt = gain::init()?;
    let a = numpy::from_fn(&rt, n, |i| (i[0] % 7) as f64)?;
    let b = numpy::full_like(&a, 0.5)?;
    let mut c = numpy::ones_like(&a)?;
    let serial = (rt.size() == 1).then(|| {
        let a = ndarray::Array1::from_shape_fn(n, |i| (i % 7) as f64);
        (
            a,
            ndarray::Array1::from_elem(n, 0.5),
            ndarray::Array1::<f64>::ones(n),
        )
    });
    let mut serial = serial;
    let (mut best, mut best_nd) = (f64::INFINITY, f64::INFINITY);
    for _ in 0..reps {
        rt.comm().barrier();
        let t = Instant::now();
        Zip::from(&mut c)
            .and(&a)
            .and(&b)
            .par_for_each(|c, &a, &b| *c += a * b)?;
        best = best.min(t.elapsed().as_secs_f64());
        if let Some((a, b, c)) = serial.as_mut() {
            let t = Instant::now();
            ndarray::Zip::from(c)
                .and(&*a)
                .and(&*b)
                .for_each(|c, &a, &b| *c += a * b);
            best_nd = best_nd.min(t.elapsed().as_secs_f64());
        }
    }
    // Same values either way: c = 1 + reps * a * b.
    let want = a.sum()? * 0.5 * reps as f64 + n as f64;
    let got = c.sum()?;
    assert!(
        (got - want).abs() <= 1e-9 * want,
        "c sums to {got}, not {want}"
    );
    if let Some((_, _, sc)) = &serial {
        assert_eq!(sc.sum(), got, "ndarray and gain disagree");
    }
    if rt.rank() == 0 {
        let gbs = 32.0 * n as f64 / best / 1e9;
        let nd = if best_nd.is_finite() {
            format!(",\"ndarray_seconds\":{best_nd:.6}")
        } else {
            String::new()
        };
        println!(
            "BENCH {{\"program\":\"elementwise\",\"np\":{},\"threads\":{},\"n\":{n},\"seconds\":{best:.6},\"gbytes_per_s\":{gbs:.4}{nd}}}",
            rt.size(),
            gain::threads()
        );
    }
    Ok(())
}
