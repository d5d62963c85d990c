//! `.npy` save and load of a large array, side by side in one run with a
//! two-thread memcpy of the same bytes: each rank copies its share between
//! two buffers it has already touched, as the ranks' reads of their blocks
//! do. The NumPy baseline runs as a peer (`benches/peers/io_numpy.py`).
//!
//! Run through `scripts/bench io`, which starts it under mpirun with two
//! ranks, under each `GAIN_NPY_IO` method. Options: `--mbytes M` (the
//! array's size, default 2048 MiB), `--dir D` (where the file goes),
//! `--trials T`, `--cold` (also load with the page cache dropped first;
//! needs root). Rank 0 prints one line for the bench runner (protocol in
//! tools/bench): `BENCH {"program":"io",...}`, the median seconds of each
//! step over the trials.

use std::path::PathBuf;
use std::time::Instant;

use mpi::collective::SystemOperation;
use mpi::traits::*;

/// The time of `f` on the slowest rank, every rank starting together.
fn timed(rt: &gain::Runtime, f: &mut dyn FnMut()) -> f64 {
    rt.comm().barrier();
    let t = Instant::now();
    f();
    let mine = t.elapsed().as_secs_f64();
    let mut slowest = 0.0;
    rt.comm()
        .all_reduce_into(&mine, &mut slowest, SystemOperation::max());
    slowest
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Writes back and drops the page cache (root only), so that the next
/// read comes from the disk.
fn drop_caches(rt: &gain::Runtime) {
    if rt.rank() == 0 {
        let _ = std::process::Command::new("sync").status();
        std::fs::write("/proc/sys/vm/drop_caches", "3").expect("dropping caches needs root");
    }
    rt.comm().barrier();
}

fn main() {
    let rt = gain::init().expect("MPI init");
    let mut mbytes = 2048usize;
    let mut dir = PathBuf::from("target/bench");
    let mut trials = 3usize;
    let mut cold = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--mbytes" => {
                mbytes = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .expect("--mbytes M")
            }
            "--dir" => dir = args.next().expect("--dir D").into(),
            "--trials" => {
                trials = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .expect("--trials T")
            }
            "--cold" => cold = true,
            "--bench" => {}
            other => panic!("unknown option {other}"),
        }
    }
    let n = mbytes * (1 << 20) / 8;
    let path = dir.join(format!("gain-io-bench-{}.npy", std::process::id()));
    let mut pid = std::process::id();
    rt.comm().process_at_rank(0).broadcast_into(&mut pid);
    let path = path.with_file_name(format!("gain-io-bench-{pid}.npy"));
    let ga = gain::numpy::from_fn(&rt, n, |i| (i[0] % 1000) as f64).unwrap();
    // The memcpy baseline: this rank's share, between touched buffers.
    let share = ga.local().len();
    let src = vec![1.0f64; share];
    // Both touched before the first timing (`vec![0.0; n]` maps untouched zero pages).
    let mut dst = vec![0.5f64; share];
    let mut into = gain::numpy::zeros::<f64, _>(&rt, n).unwrap();
    let (mut save, mut load, mut load_cold, mut copy) = (vec![], vec![], vec![], vec![]);
    let mut load_into = vec![];
    for _ in 0..trials {
        save.push(timed(&rt, &mut || gain::io::save_npy(&ga, &path).unwrap()));
        load.push(timed(&rt, &mut || {
            let a = gain::io::load_npy::<f64, ndarray::Ix1>(&rt, &path).unwrap();
            std::hint::black_box(&a);
        }));
        load_into.push(timed(&rt, &mut || {
            gain::io::load_npy_into(&mut into, &path).unwrap();
        }));
        copy.push(timed(&rt, &mut || {
            dst.copy_from_slice(&src);
            std::hint::black_box(&mut dst);
        }));
        if cold {
            drop_caches(&rt);
            load_cold.push(timed(&rt, &mut || {
                let a = gain::io::load_npy::<f64, ndarray::Ix1>(&rt, &path).unwrap();
                std::hint::black_box(&a);
            }));
        }
    }
    // Check what was loaded, once, outside the timings.
    let a = gain::io::load_npy::<f64, ndarray::Ix1>(&rt, &path).unwrap();
    let same = (&a - &ga).abs().max().unwrap() == 0.0;
    assert!(same, "the loaded array differs from the saved one");
    rt.comm().barrier();
    if rt.rank() == 0 {
        std::fs::remove_file(&path).unwrap();
        let method = std::env::var("GAIN_NPY_IO").unwrap_or_else(|_| "positioned".into());
        let cold = if cold {
            format!(",\"load_cold_s\":{:e}", median(load_cold))
        } else {
            String::new()
        };
        println!(
            "BENCH {{\"program\":\"io\",\"np\":{},\"method\":\"{method}\",\"mbytes\":{mbytes},\
             \"save_s\":{:e},\"load_s\":{:e},\"load_into_s\":{:e},\"memcpy_s\":{:e}{cold}}}",
            rt.size(),
            median(save),
            median(load),
            median(load_into),
            median(copy),
        );
    }
}
