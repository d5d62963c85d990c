//! Memory-bandwidth probes: the baselines the application benchmarks are
//! measured against, run by `scripts/bench` in the same run. Each mode
//! prints one line for the bench runner (protocol in tools/bench),
//! `BENCH {"program":"probe","mode":..,...}`.
//!
//! `probe read [threads] [MiB per thread]` — each thread sums its own
//! buffer of f64 (8 independent accumulators, so the loop vectorises);
//! reports `gbytes_per_s`, the best of 5 passes, and
//! `median_gbytes_per_s`, their median.
//! `probe triad [threads] [MiB per thread]` — STREAM's `a = b + s * c` on
//! each thread's own arrays; reports the same counting 24 bytes per
//! element, as STREAM does.
//! `probe pingpong` — two threads pass a cache line back and forth;
//! reports `ns`, the median round trip over 9 batches. It tells where
//! the host has placed this VM's two vCPUs: about 35 ns (probably two
//! threads of one core), 80–100 ns on one core complex (CCD), 340–365 ns
//! on two. On one CCD the two cores share its link to memory (31–36 GB/s
//! together on the benchmark machine); on two, each core reads at its own
//! limit (51–56 GB/s together).

use std::hint::black_box;
use std::time::Instant;

#[path = "../examples/support/read.rs"]
mod read;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let mode = args.first().map_or("read", String::as_str).to_string();
    if mode == "pingpong" {
        println!(
            "BENCH {{\"program\":\"probe\",\"mode\":\"pingpong\",\"ns\":{:.1}}}",
            pingpong()
        );
        return;
    }
    assert!(
        mode == "read" || mode == "triad",
        "probe read|triad|pingpong [threads] [MiB per thread], not {mode}"
    );
    let threads: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(2);
    let mib: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(512);
    let n = mib * (1 << 20) / 8;
    let passes = 5;
    let barrier = std::sync::Barrier::new(threads);
    let (best, median) = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let barrier = &barrier;
                let mode = mode.clone();
                scope.spawn(move || {
                    // Each thread touches its own memory first.
                    let mut a = vec![0.0f64; n];
                    let b: Vec<f64> = (0..n).map(|i| i as f64).collect();
                    let c: Vec<f64> = (0..n).map(|i| (i % 7) as f64).collect();
                    let mut times = Vec::new();
                    for _ in 0..passes {
                        barrier.wait();
                        let t = Instant::now();
                        if mode == "triad" {
                            for ((a, &b), &c) in a.iter_mut().zip(&b).zip(&c) {
                                *a = b + 3.0 * c;
                            }
                            black_box(&mut a);
                        } else {
                            black_box(read::sum(black_box(&b)));
                        }
                        barrier.wait();
                        times.push(t.elapsed().as_secs_f64());
                    }
                    times
                })
            })
            .collect();
        let per_thread: Vec<Vec<f64>> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        // A pass lasts as long as its slowest thread.
        let mut pass: Vec<f64> = (0..passes)
            .map(|p| per_thread.iter().map(|t| t[p]).fold(0.0, f64::max))
            .collect();
        pass.sort_by(f64::total_cmp);
        (pass[0], pass[passes / 2])
    });
    let bytes_per_elem = if mode == "triad" { 24.0 } else { 8.0 };
    let bytes = threads as f64 * n as f64 * bytes_per_elem;
    println!(
        "BENCH {{\"program\":\"probe\",\"mode\":\"{mode}\",\"threads\":{threads},\"mib_per_thread\":{mib},\"gbytes_per_s\":{:.4},\"median_gbytes_per_s\":{:.4}}}",
        bytes / best / 1e9,
        bytes / median / 1e9
    );
}

/// The median round trip, in ns, of a cache line passed between two
/// threads (each spins until the other has written, then writes back).
fn pingpong() -> f64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    #[repr(align(128))]
    struct Line(AtomicU64);
    let (batches, trips) = (9u64, 20_000u64);
    let line = Line(AtomicU64::new(0));
    let flag = &line.0;
    let mut times: Vec<f64> = std::thread::scope(|scope| {
        scope.spawn(|| {
            for i in 0..batches * trips {
                while flag.load(Ordering::Acquire) != 2 * i + 1 {
                    std::hint::spin_loop();
                }
                flag.store(2 * i + 2, Ordering::Release);
            }
        });
        (0..batches)
            .map(|b| {
                let t = Instant::now();
                for i in b * trips..(b + 1) * trips {
                    flag.store(2 * i + 1, Ordering::Release);
                    while flag.load(Ordering::Acquire) != 2 * i + 2 {
                        std::hint::spin_loop();
                    }
                }
                t.elapsed().as_secs_f64() / trips as f64 * 1e9
            })
            .collect()
    });
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}
