//! The value collectives of `Runtime`: `broadcast`, `all_reduce` and their
//! one-value forms, for every element type, operator, root and random
//! lengths (0 included), each checked against a serial model that
//! recomputes every rank's inputs; and arguments that differ between
//! ranks, which must be an error on every rank with the ranks still in
//! step afterwards.

use gain::{Element, ErrorKind, ReduceOp, Result, Runtime};
use num_traits::{Bounded, ToPrimitive};

use crate::model::Rng;
use crate::registry::{Case, case};

pub const CASES: &[Case] = &[
    case!(coll_all_reduce::<i8>; Light, Hosts),
    case!(coll_all_reduce::<i16>; Light),
    case!(coll_all_reduce::<i32>; Light),
    case!(coll_all_reduce::<i64>; Light, Hosts),
    case!(coll_all_reduce::<u8>; Light),
    case!(coll_all_reduce::<u16>; Light),
    case!(coll_all_reduce::<u32>; Light),
    case!(coll_all_reduce::<u64>; Light),
    case!(coll_all_reduce::<f32>; Light),
    case!(coll_all_reduce::<f64>; Light, Hosts),
    case!(coll_broadcast::<i8>; Light),
    case!(coll_broadcast::<i16>; Light),
    case!(coll_broadcast::<i32>; Light),
    case!(coll_broadcast::<i64>; Light),
    case!(coll_broadcast::<u8>; Light),
    case!(coll_broadcast::<u16>; Light),
    case!(coll_broadcast::<u32>; Light),
    case!(coll_broadcast::<u64>; Light),
    case!(coll_broadcast::<f32>; Light),
    case!(coll_broadcast::<f64>; Light, Hosts),
    case!(coll_mismatched_arguments; Light, Hosts),
    case!(coll_over_2_gib; Large),
];

const OPS: [ReduceOp; 6] = [
    ReduceOp::Sum,
    ReduceOp::Prod,
    ReduceOp::Max,
    ReduceOp::Min,
    ReduceOp::AbsMax,
    ReduceOp::AbsMin,
];

/// Rank `rank`'s input of trial `trial`, `len` elements: integers over
/// their whole range (so sums and products wrap, and `MIN` appears),
/// floats small integers (so sums and products are exact in any order).
fn input<T: Element>(trial: u64, rank: usize, len: usize) -> Vec<T> {
    let mut rng = Rng::new(trial * 1000 + rank as u64);
    (0..len)
        .map(|i| {
            if !T::IS_INTEGER {
                T::wrapping_from_i64(rng.below(9) as i64 - 4)
            } else if i % 7 == 3 {
                // Small values and extremes too, not only random bits.
                T::wrapping_from_i64([0, 1, -1, i64::MIN, i64::MAX][rng.below(5)])
            } else {
                T::wrapping_from_i64(rng.next() as i64)
            }
        })
        .collect()
}

/// The serial model's absolute value: exact, then saturated to `T::MAX`.
fn model_abs<T: Element + Bounded + ToPrimitive>(x: T) -> T {
    if T::IS_INTEGER {
        let max = T::max_value().to_i128().unwrap();
        let a = x.to_i128().unwrap().abs().min(max);
        T::wrapping_from_i64(a as i64)
    } else {
        <T as num_traits::NumCast>::from(x.to_f64().unwrap().abs()).unwrap()
    }
}

/// The serial model of `op` over the ranks' values, in rank order.
fn model<T: Element + Bounded + ToPrimitive>(op: ReduceOp, values: &[T]) -> T {
    let pick = |a: T, b: T, larger: bool| if (b > a) == larger { b } else { a };
    let mut it = values.iter().copied();
    let first = it.next().unwrap();
    let first = match op {
        ReduceOp::AbsMax | ReduceOp::AbsMin => model_abs(first),
        _ => first,
    };
    it.fold(first, |acc, x| match op {
        ReduceOp::Sum => acc.wrapping_add(x),
        ReduceOp::Prod => acc.wrapping_mul(x),
        ReduceOp::Max => pick(acc, x, true),
        ReduceOp::Min => pick(acc, x, false),
        ReduceOp::AbsMax => pick(acc, model_abs(x), true),
        ReduceOp::AbsMin => pick(acc, model_abs(x), false),
    })
}

/// Every operator at random lengths (0, 1, short, and once more than the
/// 2^16 elements the 8- and 16-bit sums are cut into), the slice and the
/// one-value form, against the model.
fn coll_all_reduce<T: Element + Bounded + ToPrimitive>(rt: &Runtime) {
    let mut rng = Rng::new(31);
    let (me, n) = (rt.rank(), rt.size());
    let mut trial = 0;
    for op in OPS {
        let mut lens = vec![0, 1, 1 + rng.below(8), 1 + rng.below(100)];
        if op == ReduceOp::Sum {
            lens.push(70_000 + rng.below(100));
        }
        for len in lens {
            trial += 1;
            let mut buf = input::<T>(trial, me, len);
            rt.all_reduce(&mut buf, op).unwrap();
            let all: Vec<Vec<T>> = (0..n).map(|r| input::<T>(trial, r, len)).collect();
            for (i, got) in buf.iter().enumerate() {
                let column: Vec<T> = all.iter().map(|v| v[i]).collect();
                let want = model(op, &column);
                assert_eq!(*got, want, "{op} of {column:?} (element {i} of {len})");
            }
            // The one-value form.
            let x = input::<T>(trial, me, 1)[0];
            let got = rt.all_reduce_value(x, op).unwrap();
            let column: Vec<T> = (0..n).map(|r| input::<T>(trial, r, 1)[0]).collect();
            assert_eq!(got, model(op, &column), "{op} of {column:?}");
        }
    }
}

/// Every root, random lengths (0 included), the slice and the one-value
/// form.
fn coll_broadcast<T: Element + Bounded + ToPrimitive>(rt: &Runtime) {
    let mut rng = Rng::new(32);
    let me = rt.rank();
    for root in 0..rt.size() {
        for (k, len) in [0, 1, 1 + rng.below(10), 1 + rng.below(1000)]
            .into_iter()
            .enumerate()
        {
            let trial = (root * 10 + k) as u64;
            let mut buf = input::<T>(trial, me, len);
            rt.broadcast(&mut buf, root).unwrap();
            assert_eq!(buf, input::<T>(trial, root, len), "root {root}, {len}");
        }
        let v = rt
            .broadcast_value(T::wrapping_from_i64(me as i64 * 3 + 1), root)
            .unwrap();
        assert_eq!(v, T::wrapping_from_i64(root as i64 * 3 + 1));
    }
}

/// `r` failed with `kind` on this rank.
fn expect<T: std::fmt::Debug>(what: &str, r: Result<T>, kind: ErrorKind) {
    let e = r.expect_err(what);
    assert_eq!(e.kind(), kind, "{what}: {e}");
}

/// Lengths, operators, roots and element types that differ between ranks,
/// a root that is not a rank: an error on every rank, and the next
/// collective works.
fn coll_mismatched_arguments(rt: &Runtime) {
    let (me, n) = (rt.rank(), rt.size());
    let last = me == n - 1;
    let in_step = |what: &str| {
        let total = rt.all_reduce_value(1u64, ReduceOp::Sum).unwrap();
        assert_eq!(total, n as u64, "after {what}");
        let mut v = [me as f64];
        rt.broadcast(&mut v, n - 1).unwrap();
        assert_eq!(v, [(n - 1) as f64], "after {what}");
    };
    // The same bad root everywhere: InvalidArgument everywhere.
    let mut v = [1.0f64; 3];
    expect(
        "root == size",
        rt.broadcast(&mut v, n),
        ErrorKind::InvalidArgument,
    );
    assert_eq!(v, [1.0; 3], "nothing received");
    expect(
        "root == usize::MAX",
        rt.broadcast_value(7i32, usize::MAX),
        ErrorKind::InvalidArgument,
    );
    in_step("a bad root");
    if n == 1 {
        // One rank cannot disagree with itself.
        return;
    }
    let inconsistent = ErrorKind::InconsistentArguments;
    // Lengths.
    let mut v = vec![me as i64; if last { 3 } else { 2 }];
    let e = rt.all_reduce(&mut v, ReduceOp::Sum).unwrap_err();
    assert_eq!(e.kind(), inconsistent, "{e}");
    assert!(e.message().contains("length"), "{e}");
    assert!(v.iter().all(|&x| x == me as i64), "nothing reduced");
    in_step("different lengths");
    let mut v = vec![0u8; if last { 0 } else { 5 }];
    expect("broadcast lengths", rt.broadcast(&mut v, 0), inconsistent);
    in_step("different broadcast lengths");
    // Operators.
    let op = if last { ReduceOp::Max } else { ReduceOp::Sum };
    let e = rt.all_reduce_value(1.5f32, op).unwrap_err();
    assert_eq!(e.kind(), inconsistent, "{e}");
    assert!(e.message().contains("operator"), "{e}");
    in_step("different operators");
    // Roots.
    let e = rt.broadcast_value(me as u32, me).unwrap_err();
    assert_eq!(e.kind(), inconsistent, "{e}");
    assert!(e.message().contains("root"), "{e}");
    in_step("different roots");
    // A root out of range on one rank: that rank's own error, the others
    // the disagreement.
    let root = if last { n + 5 } else { 0 };
    let r = rt.broadcast_value(0u16, root);
    let kind = if last {
        ErrorKind::InvalidArgument
    } else {
        inconsistent
    };
    expect("one rank's root out of range", r, kind);
    in_step("one rank's bad root");
    // Element types of one size: without the check MPI would go ahead.
    let e = if last {
        rt.all_reduce_value(1i64, ReduceOp::Sum).unwrap_err()
    } else {
        rt.all_reduce_value(1f64, ReduceOp::Sum).unwrap_err()
    };
    assert_eq!(e.kind(), inconsistent, "{e}");
    assert!(e.message().contains("element type"), "{e}");
    in_step("different element types");
    // Different calls at one point: a broadcast against a reduction.
    let r = if last {
        rt.broadcast_value(1u64, 0)
    } else {
        rt.all_reduce_value(1u64, ReduceOp::Sum)
    };
    expect("different calls", r, inconsistent);
    in_step("different calls");
}

/// A broadcast and an all-reduce of more than 2^31 bytes, longer than
/// one MPI count: sent in pieces, every byte arrives. (Slice copies and
/// compares keep it fast in unoptimised test builds.)
fn coll_over_2_gib(rt: &Runtime) {
    let big = (1usize << 31) + 4099;
    let pattern: Vec<u8> = (0..251 * 4096).map(|i| (i % 251) as u8 + 1).collect();
    let mut buf = vec![0u8; big];
    if rt.rank() == 0 {
        for c in buf.chunks_mut(pattern.len()) {
            c.copy_from_slice(&pattern[..c.len()]);
        }
    }
    rt.broadcast(&mut buf, 0).unwrap();
    let same = |buf: &[u8]| buf.chunks(pattern.len()).all(|c| c == &pattern[..c.len()]);
    assert!(same(&buf), "the broadcast of {big} bytes");
    // The maximum of the pattern (rank 0) and zeros (the others).
    if rt.rank() != 0 {
        buf.fill(0);
    }
    rt.all_reduce(&mut buf, ReduceOp::Max).unwrap();
    assert!(same(&buf), "the all-reduce of {big} bytes");
}
