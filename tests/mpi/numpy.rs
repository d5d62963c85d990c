//! Cases for the NumPy layer: views, elementwise expressions,
//! broadcasting, reductions, scans and creation, each checked against the
//! same computation on a serial ndarray model held by every rank.

// `s![1..-1]` counts -1 from the end (ndarray's rule); it is not an empty
// reversed range, which is what this lint assumes.
#![allow(clippy::reversed_empty_ranges)]

use gain::numpy::{self, Zip};
use gain::{ErrorKind, GlobalArray, Runtime};
use ndarray::{
    Array, Array1, Array2, Array3, ArrayD, Axis, Dimension, Ix1, Ix2, IxDyn, SliceInfoElem, s,
};

use crate::model::Rng;
use crate::registry::{Case, case};

/// The NumPy-layer cases, with the tags that say which configurations run
/// them (`registry::Tag`).
pub const CASES: &[Case] = &[
    case!(numpy_empty_arrays_like_ndarray; Light),
    case!(numpy_views_match_ndarray; Light),
    case!(numpy_elementwise_and_broadcasting; Light),
    case!(numpy_stencils_on_shifted_views; Light),
    case!(numpy_reductions_and_scans; Light),
    case!(numpy_nan_extremes_like_numpy; Light),
    case!(numpy_division_and_counts_like_numpy; Light),
    case!(numpy_select_elem_and_median; Light),
    case!(numpy_static_dimensions_and_axes; Light),
    case!(numpy_zip_six_and_eight_inputs; Light),
    case!(numpy_creation; Light),
    case!(numpy_errors; Light),
];

/// A random shape of 1 to 4 dimensions, `max` elements per axis at most.
fn shape(rng: &mut Rng, max: usize) -> Vec<usize> {
    let nd = 1 + rng.below(4);
    (0..nd).map(|_| 1 + rng.below(max)).collect()
}

/// A global array holding `model`, of the model's dimension type, with a
/// random chunk hint.
fn global<T: gain::Element, D: Dimension>(
    rt: &Runtime,
    rng: &mut Rng,
    model: &Array<T, D>,
) -> GlobalArray<T, D> {
    let chunk: Vec<usize> = model.shape().iter().map(|&n| rng.below(n + 1)).collect();
    let mut g = GlobalArray::zeros_chunked(rt, model.raw_dim(), &chunk).unwrap();
    g.assign(model.view()).unwrap();
    g
}

fn model_i64(rng: &mut Rng, shape: &[usize], range: i64) -> ArrayD<i64> {
    Array::from_shape_fn(IxDyn(shape), |_| {
        rng.below(range as usize) as i64 - range / 2
    })
}

fn model_f64(rng: &mut Rng, shape: &[usize]) -> ArrayD<f64> {
    Array::from_shape_fn(IxDyn(shape), |_| rng.below(1 << 20) as f64 / 65536.0 - 8.0)
}

/// A random valid slice of an array of `shape`: ranges with steps of
/// either sign and negative bounds, integer indices, inserted axes.
fn slice_info(rng: &mut Rng, shape: &[usize]) -> Vec<SliceInfoElem> {
    let mut info = Vec::new();
    for &n in shape {
        if rng.below(8) == 0 {
            info.push(SliceInfoElem::NewAxis);
        }
        let n = n as isize;
        match if n == 0 { 1 } else { rng.below(6) } {
            0 => info.push(SliceInfoElem::Index(
                rng.below(n as usize) as isize - if rng.below(2) == 0 { n } else { 0 },
            )),
            1 => info.push(SliceInfoElem::from(..)),
            _ => {
                let a = rng.below(n as usize + 1) as isize;
                let b = rng.below(n as usize + 1) as isize;
                let (a, b) = (a.min(b), a.max(b));
                let start = if rng.below(3) == 0 { a - n } else { a };
                let end = match rng.below(3) {
                    0 => None,
                    1 => Some(b - n),
                    _ => Some(b),
                };
                let step = [1, 1, 2, 3, -1, -2][rng.below(6)];
                info.push(SliceInfoElem::Slice { start, end, step });
            }
        }
    }
    info
}

/// Views and views of views read the same elements as ndarray's slicing;
/// assigning into a view writes exactly those elements.
pub fn numpy_views_match_ndarray(rt: &Runtime) {
    let mut rng = Rng::new(31);
    for round in 0..24 {
        let sh = shape(&mut rng, 7);
        let model = model_i64(&mut rng, &sh, 1000);
        let g = global(rt, &mut rng, &model);
        let i1 = slice_info(&mut rng, &sh);
        let m1 = model.slice(i1.as_slice());
        let v1 = g.slice(i1.as_slice()).unwrap();
        assert_eq!(v1.shape(), m1.shape(), "round {round}");
        assert_eq!(v1.get().unwrap(), m1, "round {round} {i1:?}");
        let i2 = slice_info(&mut rng, m1.shape());
        let m2 = m1.slice(i2.as_slice());
        let v2 = v1.slice(i2.as_slice()).unwrap();
        assert_eq!(v2.get().unwrap(), m2, "round {round} {i1:?} then {i2:?}");
        // Assign a view of another array with another distribution.
        let src_model = model_i64(&mut rng, m2.shape(), 50);
        let mut dst = global(rt, &mut rng, &model);
        // Empty and 0-d views are filled instead: no array has that shape.
        let src = if src_model.is_empty() || src_model.ndim() == 0 {
            None
        } else {
            Some(global(rt, &mut rng, &src_model))
        };
        let mut want = model.clone();
        let mut target = want.slice_mut(i1.as_slice());
        let mut target = target.slice_mut(i2.as_slice());
        match src {
            Some(_) => target.assign(&src_model),
            None => target.fill(7),
        }
        {
            let mut w1 = dst.slice_mut(i1.as_slice()).unwrap();
            let mut w2 = w1.slice_mut(i2.as_slice()).unwrap();
            match &src {
                Some(s) => w2.assign(s).unwrap(),
                None => w2.fill(7).unwrap(),
            }
        }
        assert_eq!(dst.to_array().unwrap(), want, "round {round} assign");
    }
}

/// Ufuncs, operators and broadcasting against ndarray: integers exact,
/// floats bit for bit (the same operations in the same order).
pub fn numpy_elementwise_and_broadcasting(rt: &Runtime) {
    let mut rng = Rng::new(32);
    for round in 0..10 {
        let sh = shape(&mut rng, 9);
        let (ma, mb) = (model_f64(&mut rng, &sh), model_f64(&mut rng, &sh));
        let (a, b) = (global(rt, &mut rng, &ma), global(rt, &mut rng, &mb));
        // A trailing-axes operand, held by every rank, and a scalar.
        let k = rng.below(sh.len() + 1);
        let row = model_f64(&mut rng, &sh[k..]);
        let e = (&a + &b) * 2.0 - &row / 3.0 + numpy::sqrt(b.expr().abs());
        let got = e.eval().unwrap();
        let want = (&ma + &mb) * 2.0 - &(&row / 3.0) + mb.mapv(|x| x.abs().sqrt());
        assert_eq!(got.to_array().unwrap(), want, "round {round}");
        let e2 = a.expr().maximum(&b).hypot(1.5).atan2(&row).floor();
        let w2 = ndarray::Zip::from(&ma)
            .and(&mb)
            .and_broadcast(&row)
            .map_collect(|&x, &y, &r| x.max(y).hypot(1.5).atan2(r).floor());
        assert_eq!(e2.eval().unwrap().to_array().unwrap(), w2);
        // Comparisons to masks, where, casts.
        let m = a.expr().greater(&b);
        let w = numpy::where_(m.clone(), &a, -1.0).eval().unwrap();
        let ww = ndarray::Zip::from(&ma)
            .and(&mb)
            .map_collect(|&x, &y| if x > y { x } else { -1.0 });
        assert_eq!(w.to_array().unwrap(), ww);
        let count = m.cast::<i64>().sum().unwrap();
        assert_eq!(
            count,
            ma.iter().zip(&mb).filter(|(x, y)| x > y).count() as i64
        );
        let ints = a.expr().cast::<i64>().eval().unwrap();
        let mi = ma.mapv(|x| x as i64);
        assert_eq!(ints.to_array().unwrap(), mi);
        let r = (&ints * 3 % 7 - 2).eval().unwrap();
        assert_eq!(r.to_array().unwrap(), mi.mapv(|x| x * 3 % 7 - 2));
        // In place: a += b broadcast; a *= 2.
        let mut c = global(rt, &mut rng, &ma);
        c += &row;
        c *= 2.0;
        assert_eq!(
            c.to_array().unwrap(),
            (&ma + &row) * 2.0,
            "round {round} in place"
        );
    }
}

/// Shifted views of one array (a stencil), written with operators and
/// with a Zip, match ndarray, and `out` arrays of any distribution work.
pub fn numpy_stencils_on_shifted_views(rt: &Runtime) {
    let mut rng = Rng::new(33);
    for round in 0..6 {
        let (n, m) = (3 + rng.below(14), 3 + rng.below(14));
        let mu = model_f64(&mut rng, &[n, m]);
        let u = global(rt, &mut rng, &mu);
        let ops = (u.slice(s![..-2, 1..-1]).unwrap() + u.slice(s![2.., 1..-1]).unwrap()) * 0.25
            + (u.slice(s![1..-1, ..-2]).unwrap() + u.slice(s![1..-1, 2..]).unwrap()) * 0.25;
        let mut want = mu.clone();
        let stencil = (&mu.slice(s![..-2, 1..-1]) + &mu.slice(s![2.., 1..-1])) * 0.25
            + (&mu.slice(s![1..-1, ..-2]) + &mu.slice(s![1..-1, 2..])) * 0.25;
        want.slice_mut(s![1..-1, 1..-1]).assign(&stencil);
        let mut out = global(rt, &mut rng, &mu);
        out.slice_mut(s![1..-1, 1..-1].as_ref())
            .unwrap()
            .assign(ops)
            .unwrap();
        assert_eq!(out.to_array().unwrap(), want, "round {round} operators");
        let mut out2 = global(rt, &mut rng, &mu);
        let mut err = 0.0;
        Zip::from(out2.slice_mut(s![1..-1, 1..-1].as_ref()).unwrap())
            .and(u.slice(s![..-2, 1..-1].as_ref()).unwrap())
            .and(u.slice(s![2.., 1..-1].as_ref()).unwrap())
            .and(u.slice(s![1..-1, ..-2].as_ref()).unwrap())
            .and(u.slice(s![1..-1, 2..].as_ref()).unwrap())
            .for_each(|o, &n, &s, &w, &e| {
                let v = (n + s) * 0.25 + (w + e) * 0.25;
                err += (v - *o) * (v - *o);
                *o = v;
            })
            .unwrap();
        assert_eq!(out2.to_array().unwrap(), want, "round {round} zip");
        let total = numpy::allreduce_sum(rt, err).unwrap();
        let werr: f64 = (&want - &mu).mapv(|x| x * x).sum();
        assert!(
            (total - werr).abs() <= 1e-9 * werr.max(1.0),
            "{total} vs {werr}"
        );
    }
}

fn close(a: f64, b: f64, what: &str) {
    assert!(
        (a.is_nan() && b.is_nan()) || (a - b).abs() <= 1e-9 * b.abs().max(1.0),
        "{what}: {a} vs {b}"
    );
}

/// Whole-array and axis reductions, arg-extrema and scans against ndarray.
pub fn numpy_reductions_and_scans(rt: &Runtime) {
    let mut rng = Rng::new(34);
    for round in 0..10 {
        let sh = shape(&mut rng, 8);
        let mi = model_i64(&mut rng, &sh, 7); // small range: many ties
        let mf = model_f64(&mut rng, &sh);
        let (gi, gf) = (global(rt, &mut rng, &mi), global(rt, &mut rng, &mf));
        // Methods of the arrays, and the same reductions of expressions.
        let (ei, ef) = (gi.expr(), gf.expr());
        assert_eq!(gi.sum().unwrap(), mi.sum());
        assert_eq!((&ei * 2).sum().unwrap(), 2 * mi.sum());
        assert_eq!(gi.min().unwrap(), *mi.iter().min().unwrap());
        assert_eq!(gi.max().unwrap(), *mi.iter().max().unwrap());
        let flat_argmin = mi
            .iter()
            .enumerate()
            .min_by_key(|&(i, &x)| (x, i))
            .unwrap()
            .0;
        let idx = gi.argmin().unwrap();
        assert_eq!(ei.argmin().unwrap(), idx);
        assert_eq!(mi[idx.slice()], *mi.iter().min().unwrap());
        let flat: usize = idx
            .slice()
            .iter()
            .zip(&sh)
            .fold(0, |acc, (&i, &n)| acc * n + i);
        assert_eq!(flat, flat_argmin, "round {round}: first argmin");
        // Comparisons as methods of arrays and views count like NumPy's.
        let below = mi.iter().filter(|&&x| x < 1).count() as u64;
        assert_eq!(gi.less(1).sum().unwrap(), below);
        assert_eq!(
            gi.view().greater_equal(1).sum().unwrap(),
            mi.len() as u64 - below
        );
        assert_eq!(gi.all().unwrap(), mi.iter().all(|&x| x != 0));
        assert_eq!(gi.any().unwrap(), mi.iter().any(|&x| x != 0));
        close(gf.sum().unwrap(), mf.sum(), "sum");
        close(gf.mean().unwrap(), mf.mean().unwrap(), "mean");
        close(gf.var(1.0).unwrap(), mf.var(1.0), "var");
        close(ef.std(0.5).unwrap(), mf.std(0.5), "std");
        close(
            gf.norm_l2().unwrap(),
            mf.mapv(|x| x * x).sum().sqrt(),
            "norm",
        );
        for ax in 0..sh.len() {
            let c = gi.cumsum(Axis(ax)).unwrap();
            let mut want = mi.clone();
            want.accumulate_axis_inplace(Axis(ax), |&p, c| *c += p);
            assert_eq!(c.to_array().unwrap(), want, "round {round} cumsum {ax}");
            if sh.len() < 2 {
                assert_eq!(
                    gi.sum_axis(Axis(ax)).unwrap_err().kind(),
                    ErrorKind::DimensionMismatch
                );
                continue;
            }
            let s = gi.sum_axis(Axis(ax)).unwrap();
            assert_eq!(
                s.to_array().unwrap(),
                mi.sum_axis(Axis(ax)),
                "round {round} sum_axis {ax}"
            );
            let mx = ei.max_axis(Axis(ax)).unwrap().to_array().unwrap();
            assert_eq!(mx, mi.map_axis(Axis(ax), |l| *l.iter().max().unwrap()));
            let am = gi.argmin_axis(Axis(ax)).unwrap().to_array().unwrap();
            let wam = mi.map_axis(Axis(ax), |l| {
                l.iter()
                    .enumerate()
                    .min_by_key(|&(i, &x)| (x, i))
                    .unwrap()
                    .0 as i64
            });
            assert_eq!(am, wam, "round {round} argmin_axis {ax}");
            let v = gf.var_axis(Axis(ax), 0.0).unwrap().to_array().unwrap();
            let wv = mf.var_axis(Axis(ax), 0.0);
            assert!(
                v.iter()
                    .zip(&wv)
                    .all(|(a, b)| (a - b).abs() <= 1e-9 * b.abs().max(1.0))
            );
        }
    }
    // dot of 1-D views, and the error for 2-D.
    let a = numpy::arange(rt, 0.0, 10.0, 1.0).unwrap();
    let d = numpy::dot(a.slice(s![..5]).unwrap(), a.slice(s![5..;1]).unwrap()).unwrap();
    assert_eq!(d, (0..5).map(|i| (i * (i + 5)) as f64).sum::<f64>());
    let v = a.slice(s![5..]).unwrap();
    assert_eq!(v.dot(a.slice(s![..5]).unwrap()).unwrap(), d);
    assert_eq!(
        a.dot(&a).unwrap(),
        (0..10).map(|i| (i * i) as f64).sum::<f64>()
    );
    let m = numpy::ones::<f64, _>(rt, [2, 2]).unwrap();
    assert_eq!(
        numpy::dot(&m, &m).unwrap_err().kind(),
        ErrorKind::ShapeMismatch
    );
}

/// NumPy's `argmin`/`argmax` of a lane: its first NaN if it holds one,
/// else its first extreme.
fn numpy_arg<'a>(lane: impl IntoIterator<Item = &'a f64>, max: bool) -> usize {
    let mut best: Option<(usize, f64)> = None;
    for (i, &x) in lane.into_iter().enumerate() {
        best = match best {
            Some((_, b)) if b.is_nan() => best,
            Some((_, b)) if !x.is_nan() && !(if max { x > b } else { x < b }) => best,
            _ => Some((i, x)),
        };
    }
    best.unwrap().0
}

/// Extremes of arrays holding NaNs, as NumPy gives them: `min`/`max`
/// propagate NaN, `argmin`/`argmax` (whole and along an axis) point at the
/// first NaN in C order, at every rank count and distribution.
pub fn numpy_nan_extremes_like_numpy(rt: &Runtime) {
    // The two examples.
    let a = numpy::from_array(rt, &ndarray::array![[f64::NAN, 1.0], [2.0, 3.0]]).unwrap();
    let got = a.argmin_axis(Axis(0)).unwrap().to_array().unwrap();
    assert_eq!(got, ndarray::array![0i64, 0]);
    let got = a.argmax_axis(Axis(0)).unwrap().to_array().unwrap();
    assert_eq!(got, ndarray::array![0i64, 1]);
    let b = numpy::from_array(rt, &ndarray::array![[1.0, f64::NAN], [f64::NAN, 1.0]]).unwrap();
    assert_eq!(b.argmin().unwrap(), (0, 1));
    assert_eq!(b.argmax().unwrap(), (0, 1));
    let mut rng = Rng::new(77);
    for round in 0..12 {
        let sh = shape(&mut rng, 7);
        let mut m = model_f64(&mut rng, &sh);
        // None, a few, or many NaNs.
        let every = [0, 17, 3][round % 3];
        for x in m.iter_mut() {
            if every > 0 && rng.below(every) == 0 {
                *x = f64::NAN;
            }
        }
        let g = global(rt, &mut rng, &m);
        let flat = |idx: &[usize]| idx.iter().zip(&sh).fold(0, |acc, (&i, &n)| acc * n + i);
        assert_eq!(flat(g.argmin().unwrap().slice()), numpy_arg(&m, false));
        assert_eq!(flat(g.argmax().unwrap().slice()), numpy_arg(&m, true));
        let has_nan = m.iter().any(|x| x.is_nan());
        assert_eq!(g.min().unwrap().is_nan(), has_nan, "round {round}: min");
        assert_eq!(g.max().unwrap().is_nan(), has_nan, "round {round}: max");
        if sh.len() < 2 {
            continue;
        }
        for ax in 0..sh.len() {
            for max in [false, true] {
                let got = if max {
                    g.argmax_axis(Axis(ax))
                } else {
                    g.argmin_axis(Axis(ax))
                };
                let want = m.map_axis(Axis(ax), |l| numpy_arg(l, max) as i64);
                assert_eq!(
                    got.unwrap().to_array().unwrap(),
                    want,
                    "round {round}: arg{} along {ax}",
                    if max { "max" } else { "min" }
                );
            }
        }
    }
}

/// NumPy's `//` and `%` of integers, in i64 (exact for the i32 operands
/// used here): floored; 0 for a zero divisor.
fn numpy_divmod(a: i64, b: i64) -> (i64, i64) {
    if b == 0 {
        return (0, 0);
    }
    let q = a.div_euclid(b) - i64::from(b < 0 && a.rem_euclid(b) != 0);
    (q, a - q * b)
}

/// `floor_divide`, `remainder` and `rint` give NumPy's values (literals
/// printed by NumPy 1.24), the division rule holds on random integers with
/// zero divisors, and sums of masks and small integers count in 64 bits,
/// as NumPy's do.
pub fn numpy_division_and_counts_like_numpy(rt: &Runtime) {
    let a = numpy::from_array(rt, &ndarray::array![7i8, -7, 7, -7, 0, 5, -128]).unwrap();
    let b = ndarray::array![2i8, 2, -2, -2, 3, 0, -1];
    let q = a
        .expr()
        .floor_divide(&b)
        .eval()
        .unwrap()
        .to_array()
        .unwrap();
    assert_eq!(q, ndarray::array![3i8, -4, -4, 3, 0, 0, -128]);
    let r = a.expr().remainder(&b).eval().unwrap().to_array().unwrap();
    assert_eq!(r, ndarray::array![1i8, 1, -1, -1, 0, 0, 0]);
    let (inf, nan) = (f64::INFINITY, f64::NAN);
    let x = ndarray::array![7.5, -7.5, 7.5, -7.5, 0.0, -0.0, 5.0, 1e300, -1.0, 1.0];
    let y = ndarray::array![2.0, 2.0, -2.0, -2.0, 3.0, 3.0, 0.0, 1e-300, inf, -inf];
    let gx = numpy::from_array(rt, &x).unwrap();
    let fq = gx
        .expr()
        .floor_divide(&y)
        .eval()
        .unwrap()
        .to_array()
        .unwrap();
    let fr = gx.expr().remainder(&y).eval().unwrap().to_array().unwrap();
    let want_q = [3.0, -4.0, -4.0, 3.0, 0.0, -0.0, inf, inf, -1.0, -1.0];
    let want_r = [
        1.5,
        0.5,
        -0.5,
        -1.5,
        0.0,
        0.0,
        nan,
        4.891554850853602e-301,
        inf,
        -inf,
    ];
    // Bits, so that signed zeros and NaN compare too.
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(fq.as_slice().unwrap()), bits(&want_q), "floor_divide");
    assert_eq!(
        bits(&fr.as_slice().unwrap()[..6]),
        bits(&want_r[..6]),
        "mod"
    );
    assert!(fr[6].is_nan());
    assert_eq!(
        bits(&fr.as_slice().unwrap()[7..]),
        bits(&want_r[7..]),
        "mod"
    );
    let h = numpy::from_array(
        rt,
        &ndarray::array![0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, -2.6],
    )
    .unwrap();
    let ri = h.expr().rint().eval().unwrap().to_array().unwrap();
    let want = [0.0, 2.0, 2.0, -0.0, -2.0, -2.0, 2.0, -3.0];
    assert_eq!(bits(ri.as_slice().unwrap()), bits(&want), "rint");
    let mut rng = Rng::new(91);
    for round in 0..8 {
        let sh = shape(&mut rng, 9);
        let ma = Array::from_shape_fn(IxDyn(&sh), |_| rng.below(2001) as i32 - 1000);
        let mb = Array::from_shape_fn(IxDyn(&sh), |_| rng.below(21) as i32 - 10);
        let (ga, gb) = (global(rt, &mut rng, &ma), global(rt, &mut rng, &mb));
        let q = ga
            .expr()
            .floor_divide(&gb)
            .eval()
            .unwrap()
            .to_array()
            .unwrap();
        let r = ga.expr().remainder(&gb).eval().unwrap().to_array().unwrap();
        for ((idx, &x), &y) in ma.indexed_iter().zip(&mb) {
            let (wq, wr) = numpy_divmod(x.into(), y.into());
            assert_eq!(
                (q[&idx].into(), r[&idx].into()),
                (wq, wr),
                "round {round}: {x} // {y}"
            );
        }
        // Counting a mask past 255, and i32 sums past i32::MAX.
        let n = ma.len() as u64;
        assert_eq!(ga.expr().greater_equal(-1000).sum().unwrap(), n);
        let big = ma.mapv(|x| x.wrapping_add(i32::MAX - 1000));
        let gbig = global(rt, &mut rng, &big);
        let want: i64 = big.iter().map(|&x| i64::from(x)).sum();
        assert_eq!(gbig.sum().unwrap(), want, "round {round}: i32 sum in i64");
        for ax in 0..sh.len() {
            let c = gbig.cumsum(Axis(ax)).unwrap().to_array().unwrap();
            let mut wc = big.mapv(i64::from);
            wc.accumulate_axis_inplace(Axis(ax), |&p, c| *c += p);
            assert_eq!(c, wc, "round {round}: cumsum {ax} in i64");
            if sh.len() > 1 {
                let s = gbig.sum_axis(Axis(ax)).unwrap().to_array().unwrap();
                assert_eq!(s, big.mapv(i64::from).sum_axis(Axis(ax)), "round {round}");
            }
        }
    }
    // The example: 500 of 1000 below 500.0, in a u64.
    let x = numpy::arange(rt, 0.0, 1000.0, 1.0).unwrap();
    assert_eq!(x.expr().less(500.0).sum().unwrap(), 500u64);
    let ones = numpy::full(rt, [40, 30], 255u8).unwrap();
    assert_eq!(ones.sum().unwrap(), 255 * 1200);
    // 2^40 of u8 twos, in u64; 2^70 wraps to 0, as in NumPy's uint64.
    assert_eq!(
        numpy::full(rt, 40, 2u8).unwrap().prod().unwrap(),
        1u64 << 40
    );
    assert_eq!(numpy::full(rt, 70, 2u8).unwrap().prod().unwrap(), 0);
}

/// GA's `NGA_Select_elem` and `GA_Median` against serial models, on
/// random 2-d arrays distributed differently, with ties and NaNs.
pub fn numpy_select_elem_and_median(rt: &Runtime) {
    let mut rng = Rng::new(13);
    for round in 0..8 {
        let (r, c) = (1 + rng.below(9), 1 + rng.below(9));
        // Few values: many ties; NaNs in every other round.
        let m = Array2::from_shape_fn((r, c), |_| rng.below(5) as f64 - 2.0);
        let mut n = Array2::from_shape_fn((r, c), |_| rng.below(5) as f64 - 2.0);
        if round % 2 == 1 {
            n[[rng.below(r), rng.below(c)]] = f64::NAN;
        }
        let (gm, gn) = (global(rt, &mut rng, &m), global(rt, &mut rng, &n));
        for (op, max) in [("min", false), ("max", true)] {
            let flat = numpy_arg(&m, max);
            let (v, (i, j)) = gm.select_elem(op).unwrap();
            assert_eq!(
                (i * c + j, v),
                (flat, m[[flat / c, flat % c]]),
                "round {round} {op}"
            );
            let (v, (i, j)) = gn.view().select_elem(op).unwrap();
            let flat = numpy_arg(&n, max);
            assert_eq!(i * c + j, flat, "round {round} {op} with NaN");
            assert_eq!(v.to_bits(), n[[flat / c, flat % c]].to_bits());
        }
        // The median of the two arrays and a broadcast row.
        let row = Array1::from_shape_fn(c, |j| j as f64 - 1.5);
        let mut out = numpy::zeros::<f64, _>(rt, [r, c]).unwrap();
        numpy::median(&mut out, &gm, &gn, &row).unwrap();
        let got = out.to_array().unwrap();
        for ((i, j), &g) in got.indexed_iter() {
            let mut v = [m[[i, j]], n[[i, j]], row[j]];
            let want = if v.iter().any(|x| x.is_nan()) {
                f64::NAN
            } else {
                v.sort_by(f64::total_cmp);
                v[1]
            };
            assert_eq!(
                g.to_bits(),
                want.to_bits(),
                "round {round}: median at {i},{j}"
            );
        }
    }
    let a = numpy::ones::<f64, _>(rt, [2, 2]).unwrap();
    assert_eq!(
        a.select_elem("absmax").unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
    let empty = numpy::zeros::<f64, _>(rt, [0, 2]).unwrap();
    assert_eq!(
        empty.select_elem("min").unwrap_err().kind(),
        ErrorKind::ZeroSizeDimension
    );
}

/// Creation functions against NumPy's definitions.
pub fn numpy_creation(rt: &Runtime) {
    let e = numpy::eye::<i32>(rt, 4, 6, -1).unwrap();
    assert_eq!(
        e.to_array().unwrap(),
        Array::from_shape_fn((4, 6), |(i, j)| i32::from(j + 1 == i))
    );
    let a = numpy::arange(rt, 3i64, -8, -3).unwrap();
    assert_eq!(a.to_array().unwrap(), ndarray::array![3, 0, -3, -6]);
    let l = numpy::linspace(rt, -1.0, 1.0, 9).unwrap();
    assert_eq!(l.to_array().unwrap(), Array::linspace(-1.0, 1.0, 9));
    let f = numpy::from_fn(rt, [5, 3, 2], |i| (i[0] * 100 + i[1] * 10 + i[2]) as u16).unwrap();
    assert_eq!(
        f.to_array().unwrap(),
        Array::from_shape_fn((5, 3, 2), |(i, j, k)| (i * 100 + j * 10 + k) as u16)
    );
    let data = Array::from_shape_fn((7, 3), |(i, j)| (i * 3 + j) as f32);
    let held = (rt.rank() == rt.size() - 1).then(|| data.view());
    let s = numpy::scatter(rt, rt.size() - 1, held).unwrap();
    assert_eq!(s.to_array().unwrap(), data);
    let g = s.gather(0).unwrap();
    assert_eq!(g.is_some(), rt.rank() == 0);
    let o = numpy::ones_like(&s).unwrap();
    assert!(o.compare_distr(&s));
    assert_eq!(o.expr().cast::<u32>().sum().unwrap(), 21);
    let z = numpy::zeros_like(&s).unwrap();
    let fl = numpy::full_like(&z, 2.5).unwrap();
    assert_eq!(fl.sum().unwrap(), 52.5f32);
    let x: GlobalArray<f64, Ix1> = (&l * 2.0).eval().unwrap();
    assert!(x.compare_distr(&l));
    let y: GlobalArray<f64, Ix2> = numpy::from_array(rt, &data.mapv(f64::from)).unwrap();
    assert_eq!(y.at(&[6, 2]).unwrap(), 20.0);
}

/// Bad input: a typed error on every rank, nothing written.
pub fn numpy_errors(rt: &Runtime) {
    let mut a = numpy::arange(rt, 0.0, 12.0, 1.0).unwrap();
    let b = numpy::ones::<f64, _>(rt, 5).unwrap();
    let before = a.to_array().unwrap();
    let kind = |r: gain::Result<()>| r.unwrap_err().kind();
    assert_eq!(kind(a.assign(&b)), ErrorKind::ShapeMismatch);
    assert_eq!(
        (&a + &b).eval().unwrap_err().kind(),
        ErrorKind::ShapeMismatch
    );
    assert_eq!(
        (&a + &b).sum().unwrap_err().kind(),
        ErrorKind::ShapeMismatch
    );
    assert_eq!(
        kind(Zip::from(&mut a).and(&b).for_each(|x, &y| *x = y)),
        ErrorKind::ShapeMismatch
    );
    assert_eq!(
        a.slice(s![13..]).unwrap_err().kind(),
        ErrorKind::OutOfBounds
    );
    assert_eq!(a.slice(s![-13]).unwrap_err().kind(), ErrorKind::OutOfBounds);
    let ad = numpy::zeros::<f64, _>(rt, IxDyn(&[4])).unwrap();
    let two = [SliceInfoElem::from(..), SliceInfoElem::from(..)];
    assert_eq!(
        ad.slice(&two[..]).unwrap_err().kind(),
        ErrorKind::DimensionMismatch
    );
    assert_eq!(
        a.sum_axis(Axis(1)).unwrap_err().kind(),
        ErrorKind::DimensionMismatch
    );
    assert_eq!(
        a.sum_axis(Axis(0)).unwrap_err().kind(),
        ErrorKind::DimensionMismatch
    );
    let v = a.slice(s![..5]).unwrap();
    assert_eq!(
        (&b * 2.0)
            .into_dimensionality::<Ix2>()
            .eval()
            .unwrap_err()
            .kind(),
        ErrorKind::DimensionMismatch
    );
    assert_eq!(
        numpy::arange(rt, 0, 5, 0).unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
    assert_eq!(v.get().unwrap().len(), 5);
    assert_eq!(a.to_array().unwrap(), before);
}

fn model3(rng: &mut Rng, shape: [usize; 3]) -> Array3<f64> {
    Array::from_shape_fn(shape, |_| rng.below(1 << 20) as f64 / 65536.0 - 8.0)
}

/// Takes only a 2-D array: calling it on an inferred result checks the
/// inferred dimension type at compile time.
fn rows_of(a: &GlobalArray<f64, Ix2>) -> usize {
    a.raw_dim().into_pattern().0
}

/// Static dimension types flow through operators, broadcasting, `eval`
/// and the axis reductions without annotations (`Ix3` with `Ix2`, `Ix1`
/// and scalars stays `Ix3`; an axis reduction of `Ix3` is `Ix2`; `IxDyn`
/// wins), and every axis reduction reduces the axis it is given: the
/// three axes have different lengths, and each result must equal
/// ndarray's along the same axis, on arrays and on strided views.
pub fn numpy_static_dimensions_and_axes(rt: &Runtime) {
    let mut rng = Rng::new(35);
    for round in 0..6 {
        let n0 = 2 + rng.below(5);
        let (n1, n2) = (n0 + 1 + rng.below(4), n0 + 5 + rng.below(4));
        let ma = model3(&mut rng, [n0, n1, n2]);
        let a = global(rt, &mut rng, &ma);
        let mb: Array2<f64> = model3(&mut rng, [1, n1, n2]).index_axis_move(Axis(0), 0);
        let b = global(rt, &mut rng, &mb);
        let row: Array1<f64> = Array::from_shape_fn(n2, |j| j as f64 - 2.5);

        // Ix3 (+) Ix2 (+) Ix1 (+) scalar: an Ix3 result, no turbofish.
        let r = ((&a + &b) * 2.0 - &row + 1.0).eval().unwrap();
        let (p, q, w) = r.raw_dim().into_pattern();
        assert_eq!((p, q, w), (n0, n1, n2));
        let want: Array3<f64> = (&ma + &mb) * 2.0 - &row + 1.0;
        assert_eq!(r.to_array().unwrap(), want, "round {round} ix3");
        // A 2-D view with a 1-D operand: Ix2.
        let v = a.slice(s![.., 1, ..;-1]).unwrap();
        let e2 = (&v * &row).eval().unwrap();
        assert_eq!(rows_of(&e2), n0);
        let want2: Array2<f64> = &ma.slice(s![.., 1, ..;-1]) * &row;
        assert_eq!(e2.to_array().unwrap(), want2);
        // With an IxDyn operand the result is IxDyn.
        let dyn_row = row.clone().into_dyn();
        let d: GlobalArray<f64, IxDyn> = (&b + &dyn_row).eval().unwrap();
        assert_eq!(d.to_array().unwrap(), (&mb + &row).into_dyn());

        // Whole-array reductions as methods; argmin as an (i, j, k) pattern.
        let mi = ma.mapv(|x| (x * 0.5).round() as i64 % 3); // many ties
        let gi = global(rt, &mut rng, &mi);
        let (i, j, k) = gi.argmin().unwrap();
        let first_min = mi.indexed_iter().min_by_key(|&(ix, &x)| (x, ix)).unwrap().0;
        assert_eq!((i, j, k), first_min, "round {round} argmin");
        close(a.var(1.0).unwrap(), ma.var(1.0), "var");
        close(
            v.mean().unwrap(),
            ma.slice(s![.., 1, ..;-1]).mean().unwrap(),
            "view mean",
        );

        let sv = s![..;-1, 1.., ..;2];
        let av = a.slice(sv).unwrap();
        let mv = ma.slice(sv);
        for ax in 0..3 {
            let axis = Axis(ax);
            // Arrays of the inferred type D::Smaller = Ix2, compared with
            // ndarray's Array2 (a type error if the inference were wrong).
            let s2 = a.sum_axis(axis).unwrap();
            assert_eq!(rows_of(&s2), ma.sum_axis(axis).nrows());
            let got: Array2<f64> = s2.to_array().unwrap();
            assert_eq!(
                got.shape(),
                ma.sum_axis(axis).shape(),
                "round {round} axis {ax}"
            );
            let all_close = |x: &Array2<f64>, y: &Array2<f64>, what: &str| {
                assert_eq!(x.shape(), y.shape(), "{what} axis {ax}");
                for (u, w) in x.iter().zip(y) {
                    close(*u, *w, &format!("{what} axis {ax}"));
                }
            };
            all_close(&got, &ma.sum_axis(axis), "sum_axis");
            all_close(
                &a.mean_axis(axis).unwrap().to_array().unwrap(),
                &ma.mean_axis(axis).unwrap(),
                "mean_axis",
            );
            for ddof in [0.0, 1.0, 0.5] {
                all_close(
                    &a.var_axis(axis, ddof).unwrap().to_array().unwrap(),
                    &ma.var_axis(axis, ddof),
                    "var_axis",
                );
                all_close(
                    &av.std_axis(axis, ddof).unwrap().to_array().unwrap(),
                    &mv.std_axis(axis, ddof),
                    "view std_axis",
                );
            }
            all_close(
                &av.sum_axis(axis).unwrap().to_array().unwrap(),
                &mv.sum_axis(axis),
                "view sum_axis",
            );
            // Integers: exact, ties included.
            let ints: Array2<i64> = gi.max_axis(axis).unwrap().to_array().unwrap();
            assert_eq!(ints, mi.map_axis(axis, |l| *l.iter().max().unwrap()));
            assert_eq!(
                gi.min_axis(axis).unwrap().to_array().unwrap(),
                mi.map_axis(axis, |l| *l.iter().min().unwrap())
            );
            assert_eq!(
                gi.prod_axis(axis).unwrap().to_array().unwrap(),
                mi.map_axis(axis, |l| l.iter().product::<i64>())
            );
            let first = |l: ndarray::ArrayView1<i64>, max: bool| {
                let best = if max { l.iter().max() } else { l.iter().min() };
                l.iter().position(|x| Some(x) == best).unwrap() as i64
            };
            assert_eq!(
                gi.argmax_axis(axis).unwrap().to_array().unwrap(),
                mi.map_axis(axis, |l| first(l, true)),
                "round {round} argmax_axis {ax}"
            );
            assert_eq!(
                gi.view().argmin_axis(axis).unwrap().to_array().unwrap(),
                mi.map_axis(axis, |l| first(l, false)),
                "round {round} argmin_axis {ax}"
            );
            // Scans keep Ix3.
            let c: Array3<i64> = gi.cumsum(axis).unwrap().to_array().unwrap();
            let mut wc = mi.clone();
            wc.accumulate_axis_inplace(axis, |&p, c| *c += p);
            assert_eq!(c, wc, "round {round} cumsum {ax}");
            let cp = (&gi % 2 + 1).cumprod(axis).unwrap().to_array().unwrap();
            let mut wp = mi.mapv(|x| x % 2 + 1);
            wp.accumulate_axis_inplace(axis, |&p, c| *c *= p);
            assert_eq!(cp, wp, "round {round} cumprod {ax}");
        }
        // A reduction of an Ix2 is Ix1, of an Ix1 (its only axis) an error.
        let s1: GlobalArray<f64, Ix1> = b.sum_axis(Axis(1)).unwrap();
        let w1 = mb.sum_axis(Axis(1));
        for (x, y) in s1.to_array().unwrap().iter().zip(&w1) {
            close(*x, *y, "ix2 sum_axis");
        }
        assert_eq!(
            s1.sum_axis(Axis(0)).unwrap_err().kind(),
            ErrorKind::DimensionMismatch
        );
        assert_eq!(
            a.sum_axis(Axis(3)).unwrap_err().kind(),
            ErrorKind::DimensionMismatch
        );
    }
}

/// A distributed `Zip` of six and of eight inputs: the 7-point 3-D
/// stencil (six shifted views of one array, plus the output), then the
/// same with the centre and a scalar, against ndarray computing the same
/// sums in the same order (equal bits); with contiguous rows and with
/// every view walking its last axis backwards.
pub fn numpy_zip_six_and_eight_inputs(rt: &Runtime) {
    let mut rng = Rng::new(36);
    for round in 0..4 {
        let sh = [3 + rng.below(7), 3 + rng.below(7), 3 + rng.below(7)];
        let mu = model3(&mut rng, sh);
        let u = global(rt, &mut rng, &mu);
        // Odd rounds walk the last axis backwards in every operand: rows
        // that are not contiguous.
        let st = if round % 2 == 1 { -1 } else { 1 };
        let inner = s![1..-1, 1..-1, 1..-1;st];
        let shifts = [
            s![..-2, 1..-1, 1..-1;st],
            s![2.., 1..-1, 1..-1;st],
            s![1..-1, ..-2, 1..-1;st],
            s![1..-1, 2.., 1..-1;st],
            s![1..-1, 1..-1, ..-2;st],
            s![1..-1, 1..-1, 2..;st],
        ];
        let m: Vec<_> = shifts.iter().map(|&sl| mu.slice(sl)).collect();
        let mut want = mu.clone();
        ndarray::Zip::from(want.slice_mut(inner))
            .and(&m[0])
            .and(&m[1])
            .and(&m[2])
            .and(&m[3])
            .and(&m[4])
            .for_each(|o, &a, &b, &c, &d, &e| *o = a + b + c + d + e);
        ndarray::Zip::from(want.slice_mut(inner))
            .and(&m[5])
            .for_each(|o, &f| *o = (*o + f) / 6.0);
        let mut out = global(rt, &mut rng, &mu);
        let v = |k: usize| u.slice(shifts[k]).unwrap();
        Zip::from(out.slice_mut(inner).unwrap())
            .and(v(0))
            .and(v(1))
            .and(v(2))
            .and(v(3))
            .and(v(4))
            .and(v(5))
            .for_each(|o, &a, &b, &c, &d, &e, &f| *o = (a + b + c + d + e + f) / 6.0)
            .unwrap();
        assert_eq!(out.to_array().unwrap(), want, "round {round} six inputs");

        // Eight inputs: the six neighbours, the centre and a weight.
        let mut want8 = mu.clone();
        ndarray::Zip::from(want8.slice_mut(inner))
            .and(&mu.slice(inner))
            .and(&want.slice(inner))
            .for_each(|o, &c, &n| *o = 0.25 * c + 0.75 * n);
        let mut out8 = global(rt, &mut rng, &mu);
        Zip::from(out8.slice_mut(inner).unwrap())
            .and(v(0))
            .and(v(1))
            .and(v(2))
            .and(v(3))
            .and(v(4))
            .and(v(5))
            .and(u.slice(inner).unwrap())
            .and(0.25)
            .for_each(|o, &a, &b, &c, &d, &e, &f, &x, &w| {
                *o = w * x + 0.75 * ((a + b + c + d + e + f) / 6.0)
            })
            .unwrap();
        assert_eq!(
            out8.to_array().unwrap(),
            want8,
            "round {round} eight inputs"
        );
        // A mismatched seventh input: an error, nothing written.
        let before = out8.to_array().unwrap();
        let r = Zip::from(out8.slice_mut(inner).unwrap())
            .and(v(0))
            .and(v(1))
            .and(v(2))
            .and(v(3))
            .and(v(4))
            .and(v(5))
            .and(u.slice(s![.., 1..-1, 1..-1;st]).unwrap())
            .for_each(|o, _, _, _, _, _, _, &x| *o = x);
        assert_eq!(r.unwrap_err().kind(), ErrorKind::ShapeMismatch);
        assert_eq!(out8.to_array().unwrap(), before);
    }
}

/// The NumPy layer on arrays with zero-length axes, against ndarray:
/// creation, views, expressions, `eval`, scans and reductions (`sum` the
/// identity, `min`/`max`/`argmin`/`argmax` an error, as NumPy raises).
pub fn numpy_empty_arrays_like_ndarray(rt: &Runtime) {
    let kind = |e: gain::Error| e.kind();
    let a = numpy::arange(rt, 0, 0, 1).unwrap();
    assert_eq!(a.to_array().unwrap(), Array1::<i32>::zeros(0));
    assert_eq!(numpy::arange(rt, 5.0, 1.0, 1.0).unwrap().shape(), &[0]);
    assert_eq!(
        numpy::linspace(rt, 0.0, 1.0, 0)
            .unwrap()
            .to_array()
            .unwrap(),
        Array1::<f64>::zeros(0)
    );
    for shape in [[0usize, 5], [5, 0]] {
        let model = Array2::<f64>::zeros(shape);
        let g = numpy::ones::<f64, _>(rt, shape).unwrap();
        assert_eq!(g.to_array().unwrap(), model);
        assert_eq!(g.sum().unwrap(), model.sum());
        assert_eq!(g.prod().unwrap(), model.product());
        assert_eq!(g.min().map_err(kind), Err(ErrorKind::ZeroSizeDimension));
        assert_eq!(g.max().map_err(kind), Err(ErrorKind::ZeroSizeDimension));
        assert_eq!(g.argmin().map_err(kind), Err(ErrorKind::ZeroSizeDimension));
        assert_eq!(g.argmax().map_err(kind), Err(ErrorKind::ZeroSizeDimension));
        assert!(!g.any().unwrap());
        assert!(g.all().unwrap());
        let v = g.slice(s![.., ..;-2]).unwrap();
        assert_eq!(v.shape(), model.slice(s![.., ..;-2]).shape());
        let e = (&g * 2.0 + 1.0).eval().unwrap();
        assert_eq!(e.to_array().unwrap(), &model * 2.0 + 1.0);
        assert_eq!((&g + &e).sum().unwrap(), 0.0);
        let c = g.expr().cumsum(Axis(1)).unwrap();
        assert_eq!(c.to_array().unwrap(), model);
        let mut out = numpy::zeros_like(&g).unwrap();
        out.assign(&g * 3.0).unwrap();
        Zip::from(&mut out)
            .and(&g)
            .for_each(|o, &x| *o += x)
            .unwrap();
        assert_eq!(out.to_array().unwrap(), model);
    }
}
