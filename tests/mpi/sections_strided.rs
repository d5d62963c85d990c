//! Stepped sections (`*_strided`) and periodic sections (`*_periodic`):
//! gets, puts and accumulates over random shapes, steps and wrapping
//! ranges, checked against the serial model (ndarray's `s![a..b;k]`
//! slicing for steps, modular indexing for periodic ranges); the NumPy
//! layer's stepped views; bad input.

use gain::{Element, ErrorKind, GlobalArray, Runtime};
use ndarray::{Array, ArrayD, Axis, Dimension, IxDyn, ShapeBuilder, SliceInfo, SliceInfoElem, s};
use std::ops::Range;

use crate::model::{Rng, random_array};
use crate::registry::{Case, case};

/// The stepped and periodic cases, with the tags that say which
/// configurations run them (`registry::Tag`).
pub const CASES: &[Case] = &[
    case!(strided_roundtrip::<f64>; Light, Roundtrip, Rma, Hosts),
    case!(strided_roundtrip::<i64>; Light, Roundtrip, Rma),
    case!(strided_roundtrip::<i32>; Light, Roundtrip, Rma),
    case!(strided_threads; Threads, Hosts),
    case!(strided_numpy_views_match_ndarray; Light, Roundtrip, Rma),
    case!(strided_bad_input; Light),
    case!(periodic_roundtrip::<f64>; Light, Roundtrip, Rma, Hosts),
    case!(periodic_roundtrip::<i64>; Light, Roundtrip, Rma),
    case!(periodic_roundtrip::<i32>; Light, Roundtrip, Rma),
    case!(periodic_threads; Threads, Hosts),
    case!(periodic_bad_input; Light),
];

type Info = Vec<SliceInfoElem>;

/// `info` as the `s![]` value gain takes.
fn si(info: &Info) -> SliceInfo<Info, IxDyn, IxDyn> {
    SliceInfo::try_from(info.clone()).unwrap()
}

/// A random stepped selection of `shape`: per axis a range (one in ten
/// selections empty), bounds counted from either end or left open, and a
/// step of 1, 2, 3, 5, past the extent or past a block, one in four
/// negative.
fn stepped(rng: &mut Rng, shape: &[usize]) -> Info {
    let empty = rng.below(10) == 0;
    shape
        .iter()
        .map(|&n| {
            let (a, b) = (rng.below(n + 1), rng.below(n + 1));
            let (a, b) = if empty { (a, a) } else { (a.min(b), a.max(b)) };
            let from_end = |i: usize| i as isize - n as isize;
            let start = if a < n && rng.below(2) == 0 {
                from_end(a)
            } else {
                a as isize
            };
            let end = match rng.below(3) {
                0 if b == n => None,
                1 if b < n => Some(from_end(b)),
                _ => Some(b as isize),
            };
            let k = [1, 2, 3, 5, n + 1, n / 2 + 1][rng.below(6)] as isize;
            let step = if rng.below(4) == 0 { -k } else { k };
            SliceInfoElem::Slice { start, end, step }
        })
        .collect()
}

/// A random plain stepped selection `(lo, hi, step)` (positive steps)
/// and the `s![]` that names the same elements.
fn plain(rng: &mut Rng, shape: &[usize]) -> ([Vec<usize>; 3], Info) {
    let (mut lo, mut hi, mut step, mut info) = (vec![], vec![], vec![], vec![]);
    for &n in shape {
        let a = rng.below(n + 1);
        let b = a + rng.below(n - a + 1);
        let k = 1 + rng.below(n + 2);
        lo.push(a);
        hi.push(b);
        step.push(k);
        info.push(SliceInfoElem::Slice {
            start: a as isize,
            end: Some(b as isize),
            step: k as isize,
        });
    }
    ([lo, hi, step], info)
}

fn scaled_add<T: Element>(dst: &mut ndarray::ArrayViewMutD<'_, T>, src: &ArrayD<T>, alpha: T) {
    dst.zip_mut_with(src, |d, &s| *d = d.wrapping_add(alpha.wrapping_mul(s)));
}

/// Puts by one rank at a time (in three buffer layouts and both forms),
/// accumulates by every rank, then gets by every rank (new arrays, and
/// into Fortran-order and reversed buffers), against the model.
fn strided_roundtrip<T: Element>(rt: &Runtime) {
    let mut shared = Rng::new(41);
    let mut own = Rng::new(4100 + rt.rank() as u64);
    for ndim in 1..=4 {
        for _ in 0..3 {
            let ga = random_array::<T>(rt, &mut shared, ndim);
            let shape = ga.shape().to_vec();
            let mut model = ArrayD::<T>::zeros(IxDyn(&shape));
            for round in 0..=rt.size() {
                let writer = round % rt.size();
                for k in 0..3 {
                    let (form, info) = if k == 2 {
                        let (f, i) = plain(&mut shared, &shape);
                        (Some(f), i)
                    } else {
                        (None, stepped(&mut shared, &shape))
                    };
                    let mut target = model.slice_mut(info.as_slice());
                    let data = shared.data::<T>(target.shape());
                    target.assign(&data);
                    if rt.rank() != writer {
                        continue;
                    }
                    match (k, form) {
                        (0, _) => ga.put_strided(si(&info), &data).unwrap(),
                        (1, _) => {
                            let f = Array::from_shape_vec(
                                IxDyn(data.shape()).f(),
                                data.t().iter().copied().collect(),
                            )
                            .unwrap();
                            ga.put_strided(&si(&info), f.view()).unwrap()
                        }
                        (_, Some([lo, hi, step])) => ga
                            .put_strided((&lo[..], &hi[..], &step[..]), &data)
                            .unwrap(),
                        _ => unreachable!(),
                    }
                }
                ga.sync().unwrap();
                for r in 0..rt.size() {
                    let info = stepped(&mut shared, &shape);
                    let mut target = model.slice_mut(info.as_slice());
                    let data = shared.data::<T>(target.shape());
                    let alpha = T::from(1 + shared.below(3)).unwrap();
                    scaled_add(&mut target, &data, alpha);
                    if rt.rank() == r {
                        ga.acc_strided(si(&info), &data, alpha).unwrap();
                    }
                }
                ga.sync().unwrap();
                for k in 0..3 {
                    let info = stepped(&mut own, &shape);
                    let want = model.slice(info.as_slice());
                    match k {
                        0 => assert_eq!(ga.get_strided(si(&info)).unwrap(), want, "{info:?}"),
                        1 => {
                            let mut buf = ArrayD::<T>::zeros(IxDyn(want.shape()).f());
                            ga.get_strided_into(si(&info), buf.view_mut()).unwrap();
                            assert_eq!(buf, want, "into Fortran {info:?}");
                        }
                        _ => {
                            let mut buf = ArrayD::<T>::zeros(IxDyn(want.shape()));
                            let mut v = buf.view_mut();
                            v.invert_axis(Axis(0));
                            ga.get_strided_into(si(&info), v).unwrap();
                            let mut back = buf.view();
                            back.invert_axis(Axis(0));
                            assert_eq!(back, want, "into reversed {info:?}");
                        }
                    }
                }
                let ([lo, hi, step], info) = plain(&mut own, &shape);
                let got = ga.get_strided((&lo[..], &hi[..], &step[..])).unwrap();
                assert_eq!(got, model.slice(info.as_slice()), "plain {info:?}");
                ga.sync().unwrap();
            }
            assert_eq!(ga.get(..).unwrap(), model);
        }
    }
}

/// Four threads of every rank accumulate into and read stepped sections
/// of the same array at once; the sums match the replayed model.
fn strided_threads(rt: &Runtime) {
    let threads = 4;
    // Fewer rounds across hosts, where every call crosses TCP.
    let rounds = if rt.spans_nodes() { 10 } else { 40 };
    let (np, me) = (rt.size(), rt.rank());
    let shape = [7 * np + 3, 11];
    let sums = GlobalArray::<i64, _>::zeros(rt, IxDyn(&shape)).unwrap();
    let slots = GlobalArray::<i32, _>::zeros(rt, [np * threads, 40]).unwrap();
    std::thread::scope(|scope| {
        for t in 0..threads {
            let (sums, slots) = (&sums, &slots);
            scope.spawn(move || {
                let mut rng = Rng::new((me * threads + t) as u64);
                for i in 0..rounds {
                    let info = stepped(&mut rng, &shape);
                    let n = ArrayD::<i64>::zeros(IxDyn(&shape))
                        .slice(info.as_slice())
                        .raw_dim();
                    let ones = ArrayD::from_elem(n, 1i64);
                    sums.acc_strided(si(&info), &ones, (me + 1) as i64).unwrap();
                    // Every third column of this thread's own row, read back.
                    let row = me * threads + t;
                    let v = ndarray::Array2::from_elem((1, 14), (i * 100 + row) as i32);
                    slots.put_strided(s![row..row + 1, ..;3], &v).unwrap();
                    assert_eq!(slots.get_strided(s![row..row + 1, ..;3]).unwrap(), v);
                    assert_eq!(slots.at(&[row, 1]).unwrap(), 0);
                }
            });
        }
    });
    sums.sync().unwrap();
    let mut want = ArrayD::<i64>::zeros(IxDyn(&shape));
    for r in 0..np {
        for t in 0..threads {
            let mut rng = Rng::new((r * threads + t) as u64);
            for _ in 0..rounds {
                let info = stepped(&mut rng, &shape);
                want.slice_mut(info.as_slice())
                    .mapv_inplace(|x| x + (r + 1) as i64);
            }
        }
    }
    assert_eq!(sums.get(..).unwrap(), want);
}

/// The NumPy layer's stepped views (large steps over arrays spread over
/// every rank, views of views, reversed) read the elements ndarray's
/// slicing names, through `get` and through an expression.
fn strided_numpy_views_match_ndarray(rt: &Runtime) {
    let mut rng = Rng::new(57);
    for round in 0..12 {
        let nd = 1 + rng.below(3);
        let sh: Vec<usize> = (0..nd)
            .map(|_| 1 + rng.below(if nd == 1 { 200 } else { 17 }))
            .collect();
        let model = ArrayD::from_shape_fn(IxDyn(&sh), |_| rng.below(1000) as i64);
        let mut g = GlobalArray::<i64, _>::zeros(rt, IxDyn(&sh)).unwrap();
        g.assign(model.view()).unwrap();
        let i1 = stepped(&mut rng, &sh);
        let m1 = model.slice(i1.as_slice());
        let v1 = g.slice(i1.as_slice()).unwrap();
        assert_eq!(v1.get().unwrap(), m1, "round {round} {i1:?}");
        assert_eq!(
            v1.expr().mapv(|x| 2 * x).sum().unwrap(),
            2 * m1.sum(),
            "round {round} expression {i1:?}"
        );
        let i2 = stepped(&mut rng, m1.shape());
        let v2 = v1.slice(i2.as_slice()).unwrap();
        assert_eq!(
            v2.get().unwrap(),
            m1.slice(i2.as_slice()),
            "round {round} {i2:?}"
        );
    }
}

/// Bad stepped sections and buffers are typed errors on every rank, and
/// nothing is written.
fn strided_bad_input(rt: &Runtime) {
    let ga = GlobalArray::<f64, _>::zeros(rt, [9, 4]).unwrap();
    let kind = |r: gain::Result<()>| r.unwrap_err().kind();
    let buf = ndarray::Array2::<f64>::ones((3, 2));
    let zero = [0usize, 0];
    // `s![..;0]` panics in ndarray itself; the same selection built by hand.
    let zero_step = si(&vec![
        SliceInfoElem::Slice {
            start: 0,
            end: None,
            step: 0,
        },
        SliceInfoElem::from(..),
    ]);
    assert_eq!(
        ga.get_strided(&zero_step).unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
    assert_eq!(
        kind(ga.put_strided(&zero_step, &buf)),
        ErrorKind::InvalidArgument
    );
    assert_eq!(
        kind(ga.acc_strided(([0, 0], [9, 4], [3, 0]), &buf, 1.0)),
        ErrorKind::InvalidArgument
    );
    assert_eq!(
        ga.get_strided((&zero[..], &[9, 4][..], &[0, 1][..]))
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidArgument
    );
    assert_eq!(
        kind(ga.put_strided(s![2, ..;2], &buf)),
        ErrorKind::InvalidArgument
    );
    // Out of bounds: a bound past the extent, a plain `hi` past it.
    assert_eq!(
        ga.get_strided(s![0..10;3, ..]).unwrap_err().kind(),
        ErrorKind::OutOfBounds
    );
    assert_eq!(
        kind(ga.put_strided(([0, 0], [9, 5], [3, 2]), &buf)),
        ErrorKind::OutOfBounds
    );
    assert_eq!(
        kind(ga.acc_strided(([1, 0], [10, 4], [3, 2]), &buf, 1.0)),
        ErrorKind::OutOfBounds
    );
    #[allow(clippy::reversed_empty_ranges)]
    let reversed = s![5..2;2, ..];
    assert_eq!(
        ga.get_strided(reversed).unwrap_err().kind(),
        ErrorKind::ReversedSection
    );
    assert_eq!(
        ga.get_strided(s![..;2]).unwrap_err().kind(),
        ErrorKind::DimensionMismatch
    );
    // Buffers of the wrong shape: (3, 2) for selections of (3, 1) and (2, 2).
    assert_eq!(
        kind(ga.put_strided(s![..;3, ..;4], &buf)),
        ErrorKind::ShapeMismatch
    );
    assert_eq!(
        kind(ga.acc_strided(s![..;5, ..;2], &buf, 1.0)),
        ErrorKind::ShapeMismatch
    );
    let mut small = ndarray::Array2::<f64>::zeros((2, 2));
    assert_eq!(
        kind(ga.get_strided_into(s![..;3, ..;2], &mut small)),
        ErrorKind::ShapeMismatch
    );
    ga.sync().unwrap();
    assert_eq!(ga.get(..).unwrap().sum(), 0.0);
}

/// Random periodic ranges of an axis of extent `n`: starting below 0,
/// inside or past the end, up to `max` times the extent long.
fn periodic_ranges(rng: &mut Rng, shape: &[usize], max: usize) -> Vec<Range<isize>> {
    shape
        .iter()
        .map(|&n| {
            let a = rng.below(4 * n + 1) as isize - 2 * n as isize;
            a..a + rng.below(max * n + 1) as isize
        })
        .collect()
}

/// The model's elements at `ranges`, by modular indexing.
fn wrapped_index(ranges: &[Range<isize>], shape: &[usize], at: &[usize]) -> Vec<usize> {
    (0..shape.len())
        .map(|d| (ranges[d].start + at[d] as isize).rem_euclid(shape[d] as isize) as usize)
        .collect()
}

fn periodic_shape(ranges: &[Range<isize>]) -> Vec<usize> {
    ranges.iter().map(|r| (r.end - r.start) as usize).collect()
}

/// Puts (ranges up to the axis's extent) by one rank at a time,
/// accumulates (ranges up to twice it, wrapping more than once) by every
/// rank, gets by every rank, against modular indexing of the model.
fn periodic_roundtrip<T: Element>(rt: &Runtime) {
    let mut shared = Rng::new(43);
    let mut own = Rng::new(4300 + rt.rank() as u64);
    for ndim in 1..=4 {
        for _ in 0..3 {
            let ga = random_array::<T>(rt, &mut shared, ndim);
            let shape = ga.shape().to_vec();
            let mut model = ArrayD::<T>::zeros(IxDyn(&shape));
            for round in 0..=rt.size() {
                let writer = round % rt.size();
                for _ in 0..2 {
                    let ranges = periodic_ranges(&mut shared, &shape, 1);
                    let data = shared.data::<T>(&periodic_shape(&ranges));
                    for (at, &v) in data.indexed_iter() {
                        model[IxDyn(&wrapped_index(&ranges, &shape, at.slice()))] = v;
                    }
                    if rt.rank() == writer {
                        ga.put_periodic(&ranges, &data).unwrap();
                    }
                }
                ga.sync().unwrap();
                for r in 0..rt.size() {
                    let ranges = periodic_ranges(&mut shared, &shape, 2);
                    let data = shared.data::<T>(&periodic_shape(&ranges));
                    let alpha = T::from(1 + shared.below(3)).unwrap();
                    for (at, &v) in data.indexed_iter() {
                        let e = &mut model[IxDyn(&wrapped_index(&ranges, &shape, at.slice()))];
                        *e = e.wrapping_add(alpha.wrapping_mul(v));
                    }
                    if rt.rank() == r {
                        ga.acc_periodic(&ranges, &data, alpha).unwrap();
                    }
                }
                ga.sync().unwrap();
                for _ in 0..3 {
                    let ranges = periodic_ranges(&mut own, &shape, 3);
                    let want = ArrayD::from_shape_fn(IxDyn(&periodic_shape(&ranges)), |at| {
                        model[IxDyn(&wrapped_index(&ranges, &shape, at.slice()))]
                    });
                    assert_eq!(
                        ga.get_periodic(&ranges).unwrap(),
                        want,
                        "{ranges:?} of {shape:?}"
                    );
                }
                ga.sync().unwrap();
            }
            assert_eq!(ga.get(..).unwrap(), model);
        }
    }
}

/// Four threads of every rank accumulate into periodic halos of the same
/// array at once and read them back; the sums match the replayed model.
fn periodic_threads(rt: &Runtime) {
    let threads = 4;
    // Fewer rounds across hosts, where every call crosses TCP.
    let rounds = if rt.spans_nodes() { 10 } else { 40 };
    let me = rt.rank();
    let shape = [5 * rt.size() + 2, 6];
    let sums = GlobalArray::<i64, _>::zeros(rt, shape).unwrap();
    std::thread::scope(|scope| {
        for t in 0..threads {
            let sums = &sums;
            scope.spawn(move || {
                let mut rng = Rng::new(77 + (me * threads + t) as u64);
                for _ in 0..rounds {
                    let r = periodic_ranges(&mut rng, &shape, 2);
                    let sh = periodic_shape(&r);
                    let ones = ndarray::Array2::from_elem((sh[0], sh[1]), 1i64);
                    sums.acc_periodic([r[0].clone(), r[1].clone()], &ones, (me + 1) as i64)
                        .unwrap();
                    let got = sums.get_periodic(&r[..]).unwrap();
                    assert_eq!(got.shape(), &sh[..]);
                }
            });
        }
    });
    sums.sync().unwrap();
    let mut want = ArrayD::<i64>::zeros(IxDyn(&shape));
    for r in 0..rt.size() {
        for t in 0..threads {
            let mut rng = Rng::new(77 + (r * threads + t) as u64);
            for _ in 0..rounds {
                let ranges = periodic_ranges(&mut rng, &shape, 2);
                let sh = periodic_shape(&ranges);
                for at in ndarray::indices(IxDyn(&sh)) {
                    want[IxDyn(&wrapped_index(&ranges, &shape, at.slice()))] += (r + 1) as i64;
                }
            }
        }
    }
    assert_eq!(sums.get(..).unwrap().into_dyn(), want);
}

/// Bad periodic sections and buffers are typed errors on every rank, and
/// nothing is written.
#[allow(clippy::reversed_empty_ranges)]
fn periodic_bad_input(rt: &Runtime) {
    let ga = GlobalArray::<i32, _>::zeros(rt, [5, 3]).unwrap();
    let kind = |r: gain::Result<()>| r.unwrap_err().kind();
    let buf = ndarray::Array2::<i32>::ones((2, 2));
    assert_eq!(
        ga.get_periodic([3..1, 0..2]).unwrap_err().kind(),
        ErrorKind::ReversedSection
    );
    assert_eq!(
        kind(ga.acc_periodic([0..2, 2..0], &buf, 1)),
        ErrorKind::ReversedSection
    );
    assert_eq!(
        ga.get_periodic(0..2).unwrap_err().kind(),
        ErrorKind::DimensionMismatch
    );
    assert_eq!(
        kind(ga.put_periodic(vec![0..2, 0..2, 0..1], &buf)),
        ErrorKind::DimensionMismatch
    );
    // Longer than its axis: fine to read, refused for a put.
    let long = ndarray::Array2::<i32>::ones((2, 4));
    assert_eq!(ga.get_periodic([0..2, -1..3]).unwrap().shape(), &[2, 4]);
    assert_eq!(
        kind(ga.put_periodic([0..2, -1..3], &long)),
        ErrorKind::InvalidArgument
    );
    // Buffers of the wrong shape.
    assert_eq!(
        kind(ga.put_periodic([-1..1, 2..5], &buf)),
        ErrorKind::ShapeMismatch
    );
    assert_eq!(
        kind(ga.acc_periodic([-1..2, 2..4], &buf, 1)),
        ErrorKind::ShapeMismatch
    );
    ga.sync().unwrap();
    assert_eq!(ga.get(..).unwrap().sum(), 0);
}
