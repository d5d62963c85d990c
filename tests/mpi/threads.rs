//! Threads inside a rank: the local kernels give the same bits on pools
//! of 1, 2 and 3 threads (and agree with a serial ndarray model), and
//! several threads of every rank call `get`, `put`, `acc` and `read_inc`
//! on the same arrays at once. The suite runs these cases with
//! `GAIN_THREADS=2` (main.rs).

use gain::cluster::{Init, KMeans, Schedule};
use gain::numpy::{self, Zip};
use gain::{ErrorKind, GlobalArray, Runtime};
use mpi::environment::Threading;
use mpi::traits::*;
use ndarray::{Array2, ArrayD, Axis, Ix1, Ix2, s};

use crate::model::Rng;
use crate::registry::{Case, case};

/// The cases of threads inside a rank, with the tags that say which
/// configurations run them (`registry::Tag`).
pub const CASES: &[Case] = &[
    case!(threads_same_bits_on_any_pool; Threads),
    case!(threads_concurrent_one_sided_calls; Threads, Hosts),
];

/// Everything one pool computes, gathered on every rank, to compare bits.
#[derive(Debug, PartialEq)]
struct Results {
    arrays: Vec<ArrayD<f64>>,
    ints: Vec<ArrayD<i64>>,
    scalars: Vec<f64>,
    indices: Vec<Vec<usize>>,
}

/// The kernels of the NumPy layer, `linalg`, `random`, `copy_from` and
/// k-means on shapes whose tiles and row panels split unevenly, run in
/// the current pool.
fn kernels(rt: &Runtime, shape: (usize, usize)) -> Results {
    let (m, n) = shape;
    let mut r = Results {
        arrays: Vec::new(),
        ints: Vec::new(),
        scalars: Vec::new(),
        indices: Vec::new(),
    };
    let a = gain::random::uniform(rt, [m, n], 11).unwrap();
    let b = gain::random::normal(rt, [m, n], 12).unwrap();
    let e = ((&a * 3.0 - &b).hypot(&b) / (&a + 0.5))
        .sqrt()
        .eval()
        .unwrap();
    r.arrays.push(e.to_array().unwrap().into_dyn());
    // Broadcasting a row, a shifted view, and a cast.
    let row = a.slice(s![0, ..]).unwrap().get().unwrap();
    let f = (a.slice(s![1.., ..]).unwrap() * &row - b.slice(s![..-1, ..]).unwrap())
        .eval()
        .unwrap();
    r.arrays.push(f.to_array().unwrap().into_dyn());
    let c = (&a * 1000.0).cast::<i64>().eval().unwrap();
    r.ints.push(c.to_array().unwrap().into_dyn());
    // Whole-array and axis reductions, scans.
    for x in [&e, &f] {
        r.scalars.push(x.sum().unwrap());
        r.scalars.push(x.mean().unwrap());
        r.scalars.push(x.var(1.0).unwrap());
        r.scalars.push(x.min().unwrap());
        r.scalars.push(x.norm_l2().unwrap());
        let (i, j) = x.argmax().unwrap();
        r.indices.push(vec![i, j]);
        for ax in [0, 1] {
            let s = x.sum_axis(Axis(ax)).unwrap();
            r.arrays.push(s.to_array().unwrap().into_dyn());
            let q = x.max_axis(Axis(ax)).unwrap();
            r.arrays.push(q.to_array().unwrap().into_dyn());
            let cs = x.cumsum(Axis(ax)).unwrap();
            r.arrays.push(cs.to_array().unwrap().into_dyn());
        }
    }
    r.ints
        .push(c.sum_axis(Axis(1)).unwrap().to_array().unwrap().into_dyn());
    let one_d = numpy::linspace(rt, -1.0, 2.0, m * n + 7).unwrap();
    r.scalars.push((&one_d * &one_d).sum().unwrap());
    r.arrays.push(
        one_d
            .cumsum(Axis(0))
            .unwrap()
            .to_array()
            .unwrap()
            .into_dyn(),
    );
    // Creation and a copy between arrays of one distribution.
    let g = numpy::from_fn(rt, [m, n], |i| (i[0] * 7919 + i[1] * 104_729) as f64 % 1.5).unwrap();
    let mut h = numpy::zeros_like(&g).unwrap();
    h.copy_from(&g).unwrap();
    r.arrays.push(h.to_array().unwrap().into_dyn());
    // A fold in a Zip: this rank's value, summed over the ranks in order.
    let mut out = numpy::zeros_like(&a).unwrap();
    let mine = Zip::from(&mut out)
        .and(&a)
        .and(&b)
        .par_fold(
            || 0.0,
            |acc, o, &x, &y| {
                *o = x * y;
                acc + x * y
            },
            |p, q| p + q,
        )
        .unwrap();
    let mut all = vec![0.0; rt.size()];
    rt.comm().all_gather_into(&mine, &mut all[..]);
    r.scalars.extend(all);
    r.arrays.push(out.to_array().unwrap().into_dyn());
    // A product with more rows than a panel (128).
    let p = gain::random::uniform(rt, [n, 150], 13).unwrap();
    let ap = gain::linalg::matmul(&a, &p).unwrap();
    r.arrays.push(ap.to_array().unwrap().into_dyn());
    // k-means, both schedules.
    let km = KMeans::new(4);
    let dist = km.points_distribution(m, n, rt.size()).unwrap();
    let mut points = GlobalArray::<f64, Ix2>::with_distribution(rt, dist).unwrap();
    gain::random::fill_uniform(&mut points, 14, 0.0, 1.0).unwrap();
    for schedule in [Schedule::Static, Schedule::Dynamic] {
        let fit = km
            .clone()
            .init(Init::Random { seed: 5 })
            .max_iter(6)
            .fragments(13)
            .schedule(schedule)
            .fit(&points)
            .unwrap();
        r.arrays.push(fit.centers.into_dyn());
        let labels = fit.labels.to_array().unwrap().mapv(i64::from);
        r.ints.push(labels.into_dyn());
    }
    r
}

/// The kernels give the same bits on pools of 1, 2 and 3 threads, and the
/// elementwise ones equal a serial ndarray model.
pub fn threads_same_bits_on_any_pool(rt: &Runtime) {
    assert!(gain::threads() >= 1);
    let mut rng = Rng::new(7);
    for _ in 0..2 {
        // Rows over a panel, columns over a tile's row length sometimes.
        let shape = (130 + rng.below(200), 20 + rng.below(60));
        let runs: Vec<Results> = [1, 2, 3]
            .iter()
            .map(|&t| {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(t)
                    .build()
                    .unwrap();
                pool.install(|| {
                    assert_eq!(gain::threads(), t);
                    kernels(rt, shape)
                })
            })
            .collect();
        for (t, run) in runs.iter().enumerate().skip(1) {
            assert_eq!(run, &runs[0], "pool of {} threads, shape {shape:?}", t + 1);
        }
        // The first expression, serially.
        let a = gain::random::uniform(rt, [shape.0, shape.1], 11)
            .unwrap()
            .to_array()
            .unwrap();
        let b = gain::random::normal(rt, [shape.0, shape.1], 12)
            .unwrap()
            .to_array()
            .unwrap();
        let mut want = Array2::zeros(a.raw_dim());
        ndarray::Zip::from(&mut want)
            .and(&a)
            .and(&b)
            .for_each(|w, &x, &y| *w = ((x * 3.0 - y).hypot(y) / (x + 0.5)).sqrt());
        assert_eq!(runs[0].arrays[0], want.into_dyn());
    }
}

/// Several threads of every rank call `get`, `put`, `acc` and `read_inc`
/// on the same arrays at once: integer accumulates add up exactly, every
/// `read_inc` ticket is handed out once, each thread reads back what it
/// put, and a view held by one thread refuses another thread's write into
/// its block.
pub fn threads_concurrent_one_sided_calls(rt: &Runtime) {
    assert_eq!(rt.thread_level(), Threading::Multiple);
    let threads = 4;
    let (np, me) = (rt.size(), rt.rank());
    let n = 97 * np + 13;
    // Fewer rounds where Open MPI spans nodes: its calls take turns
    // there (window::ffi::rma_turn) and each costs about a millisecond on
    // the bed. MPICH keeps them all (this case found its get defect).
    let open_mpi = mpi::environment::library_version().is_ok_and(|v| v.contains("Open MPI"));
    let rounds = if rt.spans_nodes() && open_mpi {
        40
    } else {
        150
    };
    let tickets = 400;
    let sums = GlobalArray::<i64, Ix1>::zeros(rt, n).unwrap();
    let counter = GlobalArray::<i64, Ix1>::zeros(rt, np).unwrap();
    let seen = GlobalArray::<i32, Ix1>::zeros(rt, tickets).unwrap();
    // A slot of its own for every (rank, thread), spread over the blocks.
    let slots = GlobalArray::<i64, Ix2>::zeros(rt, [np * threads, 64]).unwrap();
    let mine = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for t in 0..threads {
            let (sums, counter, seen, slots, mine) = (&sums, &counter, &seen, &slots, &mine);
            scope.spawn(move || {
                let mut rng = Rng::new((me * threads + t) as u64);
                for i in 0..rounds {
                    // acc of (rank + 1) over a random section.
                    let lo = rng.below(n);
                    let hi = lo + 1 + rng.below(n - lo);
                    let ones = ndarray::Array1::from_elem(hi - lo, 1i64);
                    sums.acc(lo..hi, &ones, (me + 1) as i64).unwrap();
                    // A ticket from the counter on the last rank.
                    let ticket = counter.read_inc(&[np - 1], 1).unwrap();
                    if (ticket as usize) < tickets {
                        let at = ticket as usize;
                        seen.acc(at..at + 1, &ndarray::arr1(&[1]), 1).unwrap();
                        mine.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                    // Put a row of this thread's own slot, read it back.
                    let row = me * threads + t;
                    let v = ndarray::Array2::from_elem((1, 64), (i * 1000 + row) as i64);
                    slots.put([row..row + 1, 0..64], &v).unwrap();
                    assert_eq!(slots.get([row..row + 1, 0..64]).unwrap(), v);
                }
            });
        }
    });
    sums.sync().unwrap();
    counter.sync().unwrap();
    seen.sync().unwrap();
    slots.sync().unwrap();
    // The serial model: every rank's threads' sections, replayed.
    let mut want = vec![0i64; n];
    for r in 0..np {
        for t in 0..threads {
            let mut rng = Rng::new((r * threads + t) as u64);
            for _ in 0..rounds {
                let lo = rng.below(n);
                let hi = lo + 1 + rng.below(n - lo);
                for w in &mut want[lo..hi] {
                    *w += (r + 1) as i64;
                }
            }
        }
    }
    assert_eq!(sums.get(..).unwrap().to_vec(), want);
    let drawn = (np * threads * rounds) as i64;
    assert_eq!(counter.get(np - 1..np).unwrap()[0], drawn);
    let seen_all = seen.get(..).unwrap();
    let expect_seen = (drawn as usize).min(tickets);
    assert!(
        seen_all.iter().take(expect_seen).all(|&c| c == 1)
            && seen_all.iter().skip(expect_seen).all(|&c| c == 0),
        "tickets: {seen_all}"
    );
    let mut total = 0usize;
    let got = mine.load(std::sync::atomic::Ordering::Relaxed);
    rt.comm()
        .all_reduce_into(&got, &mut total, mpi::collective::SystemOperation::sum());
    assert_eq!(total, expect_seen);
    let last = slots.get(..).unwrap();
    for row in 0..np * threads {
        assert!(
            last.row(row)
                .iter()
                .all(|&x| x == ((rounds - 1) * 1000 + row) as i64)
        );
    }

    // One thread's view of this rank's block refuses another thread's
    // put into it, and lets it through once dropped.
    if let Some(block) = sums.distribution(me) {
        let at = block.lo()[0];
        let (viewing, dropped) = (std::sync::Barrier::new(2), std::sync::Barrier::new(2));
        std::thread::scope(|scope| {
            scope.spawn(|| {
                let view = sums.local();
                viewing.wait();
                dropped.wait();
                drop(view);
            });
            viewing.wait();
            let err = sums.put(at..at + 1, &ndarray::arr1(&[5])).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Borrowed);
            dropped.wait();
        });
        // The view is gone once the scope has joined its thread.
        sums.put(at..at + 1, &ndarray::arr1(&[5])).unwrap();
    }
    sums.sync().unwrap();
}

/// What every rank prints when `init` refused its environment.
pub const INIT_REFUSED: &str = "init refused the environment";

/// The variable an `init_error` child expects `init` to refuse.
pub const BAD_VAR: &str = "GAIN_TEST_BAD_VAR";

/// Child mode `init_error`: `gain::init` under a malformed `GAIN_THREADS`,
/// `GAIN_PROGRESS` or `GAIN_PROGRESS_US` (named by `GAIN_TEST_BAD_VAR`)
/// returns `InvalidArgument` naming the variable on every rank, and
/// `GAIN_PROGRESS=on` below `MPI_THREAD_MULTIPLE` returns `ThreadLevel`;
/// the process ends cleanly (MPI finalised as the error drops the
/// universe).
pub fn init_refuses_bad_threads() {
    let var = std::env::var(BAD_VAR).unwrap_or_else(|_| "GAIN_THREADS".into());
    let Err(err) = gain::init() else {
        panic!("init must refuse {var}");
    };
    let kind = if std::env::var("GAIN_THREAD_LEVEL").as_deref() == Ok("funneled") {
        assert!(err.to_string().contains("progress thread"), "{err}");
        ErrorKind::ThreadLevel
    } else {
        assert!(err.to_string().contains(&var), "{err}");
        ErrorKind::InvalidArgument
    };
    assert_eq!(err.kind(), kind, "{err}");
    println!("{INIT_REFUSED}: {err}");
}
