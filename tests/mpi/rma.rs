//! Accumulates and `read_inc` under contention and overflow, and the
//! order and progress of one-sided calls.

use gain::{Element, GlobalArray, Runtime, Section};
use mpi::traits::*;
use ndarray::{ArrayD, IxDyn};

use crate::model::{Rng, slice_of};
use crate::registry::{Case, case};

/// Accumulates, `read_inc`, and the order and progress of one-sided calls,
/// with the tags that say which configurations run them (`registry::Tag`).
pub const CASES: &[Case] = &[
    case!(acc_contention::<i64>; Light, Rma, Hosts),
    case!(acc_contention::<f64>; Light, Rma, Hosts),
    case!(read_inc_hands_out_each_value_once; Light, Rma, Hosts),
    case!(acc_overflow_wraps::<i32>; Light, Wraps),
    case!(acc_overflow_wraps::<u8>; Light, Wraps),
    case!(acc_overflow_wraps::<i16>; Light, Wraps),
    case!(acc_overflow_wraps::<i64>; Light, Wraps),
    case!(acc_overflow_wraps::<u32>; Light, Wraps),
    case!(read_inc_signed_increments; Light, Rma, Hosts),
    case!(calls_complete_while_target_computes; Light, Hosts),
    case!(own_operations_stay_in_order; Light, Hosts),
    case!(own_operations_in_order_at_random; Light, Rma, Hosts),
];

/// Every rank accumulates into overlapping sections many times; the result
/// must be exact (integer values, also in `f64`).
fn acc_contention<T: Element>(rt: &Runtime) {
    for (shape, iters) in [(vec![5usize, 6], 60), (vec![37], 100), (vec![3, 4, 5], 30)] {
        let ga = GlobalArray::<T, IxDyn>::zeros(rt, IxDyn(&shape)).unwrap();
        let mut model = ArrayD::<T>::zeros(IxDyn(&shape));
        for r in 0..rt.size() {
            let mut rng = Rng::new(500 + r as u64);
            for _ in 0..iters {
                // Half the updates hit the whole array, so every pair of
                // ranks collides on every element.
                let sec = if rng.below(2) == 0 {
                    Section::full(&shape)
                } else {
                    rng.section(&shape)
                };
                let data = rng.data::<T>(&sec.shape());
                let alpha = T::from(1 + rng.below(3)).unwrap();
                let mut m = model.slice_mut(slice_of(&sec).as_slice());
                m.zip_mut_with(&data, |a, &b| *a = *a + alpha * b);
                if r == rt.rank() {
                    ga.acc(&sec, data.view(), alpha).unwrap();
                }
            }
        }
        ga.sync().unwrap();
        assert_eq!(
            ga.get(Section::full(&shape)).unwrap(),
            model,
            "acc into {shape:?}"
        );
    }
}

/// Ranks draw tickets from a shared counter until it runs out; every
/// ticket must be handed out exactly once.
fn read_inc_hands_out_each_value_once(rt: &Runtime) {
    let n = 200;
    // The counter sits at the end of a distributed array, owned by the last
    // block's rank, so most ranks reach it remotely or through the lock.
    let counter = GlobalArray::<i64, _>::zeros(rt, 7).unwrap();
    let seen = GlobalArray::<i32, _>::zeros(rt, n).unwrap();
    let one = ndarray::arr1(&[1i32]);
    let mut mine = 0;
    loop {
        let t = counter.read_inc(&[6], 1).unwrap();
        if t >= n as i64 {
            break;
        }
        seen.acc(t as usize..t as usize + 1, one.view(), 1).unwrap();
        mine += 1;
    }
    counter.sync().unwrap();
    seen.sync().unwrap();
    let all = seen.get(0..n).unwrap();
    assert!(all.iter().all(|&c| c == 1), "tickets: {all}");
    // Each rank made exactly one failing draw after its tickets.
    assert_eq!(counter.get(6..7).unwrap()[0], (n + rt.size()) as i64);
    let mut total = 0;
    rt.comm()
        .all_reduce_into(&mine, &mut total, mpi::collective::SystemOperation::sum());
    assert_eq!(total, n);
}

/// Integer `acc`s that overflow wrap, as `MPI_SUM` does, on either route:
/// direct adds under the block lock (one node; a debug build's plain `+`
/// panicked there) and `MPI_Accumulate` (`_remote`). Values span the whole
/// range of `T` and `alpha` is sometimes negative, so sums and products
/// overflow; the expected result is the exact sum in `i128` reduced modulo
/// 2^bits, independent of how the library adds.
///
/// 8- and 16-bit types across nodes under Open MPI need its AVX reduction
/// component off (`OMPI_MCA_op=^avx`): with it, Open MPI 4.1 adds
/// overflowing sub-word sums wrongly (open-mpi/ompi#8045, "wontfix"), and
/// neighbouring elements change too. So in the configurations that leave
/// it on, those two are checked on the same-node route only, and say so;
/// `np3_remote_op_no_avx` checks them across nodes.
fn acc_overflow_wraps<T: Element + num_traits::ToPrimitive>(rt: &Runtime) {
    let open_mpi = Runtime::mpi_library_version().contains("Open MPI");
    let avx_off = std::env::var("OMPI_MCA_op").is_ok_and(|v| v.contains("^avx"));
    if size_of::<T>() < 4 && rt.spans_nodes() && open_mpi && !avx_off {
        if rt.rank() == 0 {
            println!(
                "acc_overflow_wraps::<{}>: not checked across nodes here (Open MPI's op/avx, \
                 open-mpi/ompi#8045); np3_remote_op_no_avx checks it",
                std::any::type_name::<T>()
            );
        }
        return;
    }
    let shape = [7usize, 5];
    let mut rng = Rng::new(77);
    let full_range = |rng: &mut Rng| T::wrapping_from_i64(rng.next() as i64);
    let start = ArrayD::from_shape_simple_fn(IxDyn(&shape), || full_range(&mut rng));
    let ga = GlobalArray::<T, IxDyn>::zeros(rt, IxDyn(&shape)).unwrap();
    if rt.rank() == 0 {
        ga.put(.., start.view()).unwrap();
    }
    ga.sync().unwrap();
    let mut exact = start.mapv(|x| x.to_i128().unwrap());
    for r in 0..rt.size() {
        for k in 0..4 {
            // The first update of each rank covers everything and has
            // alpha 1 (the unscaled fast path); the others are random.
            let sec = if k == 0 {
                Section::full(&shape)
            } else {
                rng.section(&shape)
            };
            let src = ArrayD::from_shape_simple_fn(IxDyn(&sec.shape()), || full_range(&mut rng));
            let alpha = T::wrapping_from_i64(if k == 0 { 1 } else { rng.below(9) as i64 - 4 });
            let a = alpha.to_i128().unwrap();
            let mut m = exact.slice_mut(slice_of(&sec).as_slice());
            m.zip_mut_with(&src, |e, &s| *e += a * s.to_i128().unwrap());
            if r == rt.rank() {
                ga.acc(&sec, src.view(), alpha).unwrap();
            }
        }
    }
    ga.sync().unwrap();
    let overflowed = exact
        .iter()
        .filter(|&&x| <T as num_traits::NumCast>::from(x).is_none())
        .count();
    assert!(
        overflowed > 0,
        "no element overflowed: the case tests nothing"
    );
    // `as i64` keeps the low 64 bits, `wrapping_from_i64` the low bits of T.
    let want = exact.mapv(|x| T::wrapping_from_i64(x as i64));
    assert_eq!(ga.get(..).unwrap(), want);
}

/// `read_inc` takes a signed increment, wrapped into `T`: unsigned
/// counters count down (and wrap below zero), and an increment outside
/// `T`'s range adds its two's complement truncation. The counters sit in
/// the last rank's block, so other ranks reach them through the lock or
/// remotely.
fn read_inc_signed_increments(rt: &Runtime) {
    let size = rt.size();
    let draws = 5;
    // A u32 counter from 1000, down by 3 per draw: every old value of
    // 1000 - 3j (j below size * draws) is handed out exactly once.
    let mut c32 = GlobalArray::<u32, _>::zeros(rt, 9).unwrap();
    c32.fill(1000).unwrap();
    let seen = GlobalArray::<i32, _>::zeros(rt, size * draws).unwrap();
    let one = ndarray::arr1(&[1i32]);
    for _ in 0..draws {
        let old = c32.read_inc(&[8], -3).unwrap();
        assert!(old <= 1000 && (1000 - old) % 3 == 0, "old value {old}");
        let j = ((1000 - old) / 3) as usize;
        seen.acc(j..j + 1, one.view(), 1).unwrap();
    }
    // A u64 counter from 0, down by one per rank: wraps below zero.
    let c64 = GlobalArray::<u64, _>::zeros(rt, [3, 3]).unwrap();
    c64.read_inc(&[2, 2], -1).unwrap();
    // A u8 counter from 250 up by 300 (44 in u8, so it wraps past 255)
    // and an i8 one from 0 by -1000 (24 in i8).
    let mut c8 = GlobalArray::<u8, _>::zeros(rt, 4).unwrap();
    c8.fill(250).unwrap();
    c8.read_inc(&[3], 300).unwrap();
    let ci8 = GlobalArray::<i8, _>::zeros(rt, 4).unwrap();
    ci8.read_inc(&[3], -1000).unwrap();
    for sync in [c32.sync(), seen.sync(), c64.sync(), c8.sync(), ci8.sync()] {
        sync.unwrap();
    }
    assert_eq!(c32.at(&[8]).unwrap(), 1000 - 3 * (size * draws) as u32);
    let all = seen.get(..).unwrap();
    assert!(all.iter().all(|&c| c == 1), "old values handed out: {all}");
    assert_eq!(c64.at(&[2, 2]).unwrap(), 0u64.wrapping_sub(size as u64));
    assert_eq!(c8.at(&[3]).unwrap(), ((250 + 44 * size) % 256) as u8);
    assert_eq!(ci8.at(&[3]).unwrap(), (24 * size as i64) as i8);
    // The other elements are untouched.
    assert_eq!(c32.get(0..8).unwrap().sum(), 8 * 1000);
    assert_eq!(c64.get(..).unwrap().iter().filter(|&&x| x != 0).count(), 1);
}

/// A rank's own put, accumulate and get to one location take effect in
/// the order it issued them, without a sync in between (remote targets
/// too: the window flushes pending operations before the next one).
fn own_operations_stay_in_order(rt: &Runtime) {
    let n = 4 * rt.size();
    let ga = GlobalArray::<i64, _>::zeros(rt, [n, 3]).unwrap();
    // Each rank works on a row owned by the next rank.
    let row = (4 * (rt.rank() + 1) + 1) % n;
    for k in 0..20i64 {
        let v = ndarray::arr2(&[[k, k + 1, k + 2]]);
        ga.put([row..row + 1, 0..3], v.view()).unwrap();
        ga.acc([row..row + 1, 1..2], ndarray::arr2(&[[100]]).view(), 1)
            .unwrap();
        let got = ga.get([row..row + 1, 0..3]).unwrap();
        assert_eq!(got, ndarray::arr2(&[[k, k + 101, k + 2]]), "round {k}");
    }
    ga.fence().unwrap();
    ga.sync().unwrap();
    let all = ga.get([0..n, 0..3]).unwrap();
    for r in 0..rt.size() {
        let row = (4 * (r + 1) + 1) % n;
        assert_eq!(all.row(row).to_vec(), vec![19, 120, 21]);
    }
}

/// Each rank makes 300 one-sided calls of random kinds on random places
/// of the next rank's block, which no other rank touches: `put`, `acc`,
/// `get`, `at`, `read_inc`, element scatter and gather, some to places
/// pending calls write and some beside them. Every read sees every
/// earlier call, as the serial model applied in the same order says (a
/// call that skips a needed flush reads a stale value).
fn own_operations_in_order_at_random(rt: &Runtime) {
    let (np, me) = (rt.size(), rt.rank());
    let b = 64;
    let ga = GlobalArray::<i64, _>::zeros(rt, b * np).unwrap();
    let base = ((me + 1) % np) * b;
    let mut model = vec![0i64; b];
    let mut rng = Rng::new(900 + me as u64);
    // Most calls land in a few hot spots, so that many touch places
    // still pending and many do not.
    let place = |rng: &mut Rng| {
        let lo = (rng.below(4) * 16 + rng.below(6)).min(b - 1);
        let n = 1 + rng.below(4.min(b - lo));
        (lo, lo + n)
    };
    for k in 0..300 {
        let (lo, hi) = place(&mut rng);
        let what = rng.below(7);
        match what {
            0 => {
                let v: Vec<i64> = (lo..hi).map(|i| (k * 1000 + i) as i64).collect();
                ga.put(base + lo..base + hi, &v[..]).unwrap();
                model[lo..hi].copy_from_slice(&v);
            }
            1 => {
                let v: Vec<i64> = (lo..hi).map(|i| i as i64 + 1).collect();
                ga.acc(base + lo..base + hi, &v[..], 3).unwrap();
                for (m, x) in model[lo..hi].iter_mut().zip(&v) {
                    *m += 3 * x;
                }
            }
            2 => {
                let got = ga.get(base + lo..base + hi).unwrap();
                assert_eq!(got.to_vec(), model[lo..hi], "call {k}: get {lo}..{hi}");
            }
            3 => assert_eq!(ga.at(&[base + lo]).unwrap(), model[lo], "call {k}: at {lo}"),
            4 => {
                let old = ga.read_inc(&[base + lo], 5).unwrap();
                assert_eq!(old, model[lo], "call {k}: read_inc {lo}");
                model[lo] += 5;
            }
            5 => {
                let idx: Vec<[usize; 1]> = (lo..hi).rev().map(|i| [base + i]).collect();
                let v: Vec<i64> = (0..idx.len()).map(|j| -((k * 10 + j) as i64)).collect();
                ga.scatter_elements(&idx, &v).unwrap();
                for (i, x) in idx.iter().zip(&v) {
                    model[i[0] - base] = *x;
                }
            }
            _ => {
                let idx: Vec<[usize; 1]> = (lo..hi).map(|i| [base + i]).collect();
                let got = ga.gather_elements(&idx).unwrap();
                assert_eq!(got, model[lo..hi], "call {k}: gather {lo}..{hi}");
            }
        }
    }
    ga.sync().unwrap();
    let all = ga.get(..).unwrap();
    assert_eq!(all.slice(ndarray::s![base..base + b]).to_vec(), model);
}

/// One-sided calls aimed at a rank that computes without calling MPI
/// complete while it computes (the progress thread of a job spanning
/// nodes, `Runtime::progress_interval`): the last rank spins in plain Rust
/// until a flag in its own block turns 1, which rank 0 puts there after
/// its `read_inc`, `acc` and `get` on the last rank's block have returned.
/// Without progress rank 0's first call waits for the spinner's next MPI
/// call, which comes only when it gives up after 20 s and fails. At one
/// rank there is no other rank to make the calls.
fn calls_complete_while_target_computes(rt: &Runtime) {
    let p = rt.size();
    if p < 2 {
        return;
    }
    let target = p - 1;
    // One element per rank: element r is rank r's block.
    let flag = GlobalArray::<i64, _>::zeros(rt, p).unwrap();
    // Row r is rank r's: a counter and a sum.
    let data = GlobalArray::<i64, _>::zeros(rt, [p, 2]).unwrap();
    rt.comm().barrier();
    let mut ticket = -1i64;
    if rt.rank() == target {
        let start = std::time::Instant::now();
        let mut seen = false;
        while start.elapsed() < std::time::Duration::from_secs(20) {
            // A read of its own block: a plain load, no MPI call.
            if flag.get(target..target + 1).unwrap()[0] != 0 {
                seen = true;
                break;
            }
            std::hint::spin_loop();
        }
        assert!(
            seen,
            "rank {target} computed 20 s and no one-sided call into it completed meanwhile \
             (progress thread: {:?}, spans nodes: {})",
            rt.progress_interval(),
            rt.spans_nodes()
        );
    } else {
        ticket = data.read_inc(&[target, 0], 1).unwrap();
        data.acc(
            [target..target + 1, 1..2],
            ndarray::arr2(&[[10i64]]).view(),
            1,
        )
        .unwrap();
        let got = data.get([target..target + 1, 0..2]).unwrap();
        assert!(got[[0, 0]] > ticket && got[[0, 0]] < p as i64, "got {got}");
        assert!(got[[0, 1]] >= 10 && got[[0, 1]] % 10 == 0, "got {got}");
        if rt.rank() == 0 {
            flag.put(target..target + 1, ndarray::arr1(&[1i64]).view())
                .unwrap();
            flag.fence().unwrap();
        }
    }
    data.sync().unwrap();
    // Every other rank drew one distinct ticket and added 10 once.
    let mut tickets = vec![0i64; p];
    rt.comm().all_gather_into(&ticket, &mut tickets[..]);
    let mut drawn: Vec<i64> = tickets[..target].to_vec();
    drawn.sort_unstable();
    assert_eq!(drawn, (0..target as i64).collect::<Vec<_>>());
    let row = data.get([target..target + 1, 0..2]).unwrap();
    assert_eq!(row, ndarray::arr2(&[[target as i64, 10 * target as i64]]));
}
