//! Round trips through puts and gets, and every form a section takes,
//! checked against the serial model.

use gain::{Element, ErrorKind, GlobalArray, IntoSection, Runtime, Section};
use ndarray::{Array, ArrayD, Axis, IxDyn, ShapeBuilder, SliceInfo, s};

use crate::model::{Rng, random_array, slice_of};
use crate::registry::{Case, case};

/// Round trips and section forms, with the tags that say which
/// configurations run them (`registry::Tag`).
pub const CASES: &[Case] = &[
    case!(roundtrip::<i16>; Light, Roundtrip, Rma),
    case!(roundtrip::<i32>; Light, Roundtrip, Rma, Hosts),
    case!(roundtrip::<i64>; Light, Roundtrip, Rma),
    case!(roundtrip::<f32>; Light, Roundtrip, Rma),
    case!(roundtrip::<f64>; Light, Roundtrip, Rma, Hosts),
    case!(roundtrip_static_dims; Light, Roundtrip, Rma),
    case!(section_forms_match_the_model; Light),
    case!(section_forms_static_dims; Light),
    case!(section_form_errors; Light),
];

/// Puts by one rank at a time, then gets by every rank, checked against
/// the serial model; buffers in standard, Fortran and reversed layouts.
fn roundtrip<T: Element>(rt: &Runtime) {
    let mut shared = Rng::new(7);
    let mut own = Rng::new(1000 + rt.rank() as u64);
    for ndim in 1..=4 {
        for _ in 0..3 {
            let ga = random_array::<T>(rt, &mut shared, ndim);
            let mut model = ArrayD::<T>::zeros(IxDyn(ga.shape()));
            for round in 0..2 * rt.size() {
                let writer = round % rt.size();
                for k in 0..3 {
                    let sec = shared.section(ga.shape());
                    let data = shared.data::<T>(&sec.shape());
                    model.slice_mut(slice_of(&sec).as_slice()).assign(&data);
                    if rt.rank() == writer {
                        match k {
                            0 => ga.put(&sec, data.view()).unwrap(),
                            1 => {
                                let f = Array::from_shape_vec(
                                    IxDyn(&sec.shape()).f(),
                                    data.t().iter().copied().collect(),
                                )
                                .unwrap();
                                assert_eq!(f, data);
                                ga.put(&sec, f.view()).unwrap()
                            }
                            _ => {
                                let mut rev = data.clone();
                                rev.invert_axis(Axis(0));
                                let mut v = rev.view();
                                v.invert_axis(Axis(0));
                                ga.put(&sec, v).unwrap()
                            }
                        }
                    }
                }
                ga.sync().unwrap();
                // Non-blocking gets: three in flight at once, waited in
                // reverse order, and a fourth dropped without a wait.
                let secs: Vec<Section> = (0..4).map(|_| own.section(ga.shape())).collect();
                let mut flying: Vec<_> = secs.iter().map(|s| ga.get_nb(s).unwrap()).collect();
                drop(flying.pop());
                for (sec, get) in secs.iter().zip(flying).rev() {
                    let want = model.slice(slice_of(sec).as_slice());
                    assert_eq!(get.wait().unwrap(), want, "get_nb {sec:?}");
                }
                for k in 0..3 {
                    let sec = own.section(ga.shape());
                    let want = model.slice(slice_of(&sec).as_slice());
                    match k {
                        0 => assert_eq!(ga.get(&sec).unwrap(), want, "get {sec:?}"),
                        1 => {
                            let mut buf = ArrayD::<T>::zeros(IxDyn(&sec.shape()).f());
                            ga.get_into(&sec, buf.view_mut()).unwrap();
                            assert_eq!(buf, want, "get_into Fortran {sec:?}");
                        }
                        _ => {
                            let mut buf = ArrayD::<T>::zeros(IxDyn(&sec.shape()));
                            let mut v = buf.view_mut();
                            v.invert_axis(Axis(0));
                            ga.get_into(&sec, v).unwrap();
                            let mut back = buf.view();
                            back.invert_axis(Axis(0));
                            assert_eq!(back, want, "get_into reversed {sec:?}");
                        }
                    }
                }
                ga.sync().unwrap();
            }
            // Single elements through the scalar path.
            for _ in 0..8 {
                let idx: Vec<usize> = ga.shape().iter().map(|&n| own.below(n)).collect();
                assert_eq!(ga.at(&idx).unwrap(), model[IxDyn(&idx)], "at {idx:?}");
            }
            // The whole array, and every rank's local block.
            assert_eq!(ga.get(Section::full(ga.shape())).unwrap(), model);
            if let Some(b) = ga.distribution(rt.rank()) {
                assert_eq!(ga.local(), model.slice(slice_of(&b).as_slice()));
            }
        }
    }
}

/// `Ix2` arrays and plain range sections.
fn roundtrip_static_dims(rt: &Runtime) {
    let ga = GlobalArray::<f64, _>::zeros(rt, [9, 7]).unwrap();
    let mut model = ndarray::Array2::<f64>::zeros((9, 7));
    if rt.rank() == 0 {
        let v = ndarray::Array2::from_shape_fn((5, 4), |(i, j)| (i * 10 + j) as f64);
        ga.put([2..7, 1..5], v.view()).unwrap();
    }
    model
        .slice_mut(ndarray::s![2..7, 1..5])
        .assign(&ndarray::Array2::from_shape_fn((5, 4), |(i, j)| {
            (i * 10 + j) as f64
        }));
    ga.sync().unwrap();
    assert_eq!(ga.get([0..9, 0..7]).unwrap(), model);
    assert_eq!(ga.get([3..4, 2..3]).unwrap()[[0, 0]], 11.0);
}

/// Every section form names the section ndarray's slicing of the serial
/// model names, in every method that takes a section: `..`, `s![]`
/// selections with open ends and bounds counted from the end (random, 1 to
/// 4 dimensions), and on 1-d arrays the open and inclusive ranges and range
/// lists. `put`, `acc` and `get_into` take arrays, views and slices alike.
fn section_forms_match_the_model(rt: &Runtime) {
    let mut shared = Rng::new(13);
    let mut own = Rng::new(3000 + rt.rank() as u64);
    for ndim in 1..=4 {
        for _ in 0..3 {
            let ga = random_array::<i64>(rt, &mut shared, ndim);
            let shape = ga.shape().to_vec();
            let mut model = shared.data::<i64>(&shape);
            if rt.rank() == 0 {
                ga.put(.., &model).unwrap();
            }
            ga.sync().unwrap();
            assert_eq!(ga.get(..).unwrap(), model, "get(..)");
            assert_eq!(ga.access(..).unwrap(), model, "access(..)");
            let pieces = ga.locate_region(..).unwrap();
            assert_eq!(pieces.iter().map(|p| p.1.len()).sum::<usize>(), model.len());

            // Reads of random selections, by every rank.
            for _ in 0..6 {
                let (elems, sec) = own.slice(&shape);
                let info = SliceInfo::<_, IxDyn, IxDyn>::try_from(elems.clone()).unwrap();
                let want = model.slice(elems.as_slice());
                assert_eq!((&info).into_section(&shape).unwrap(), sec, "{elems:?}");
                assert_eq!(ga.get(&info).unwrap(), want, "get {elems:?}");
                assert_eq!(ga.get_nb(&info).unwrap().wait().unwrap(), want);
                assert_eq!(ga.access(&info).unwrap(), want, "access {elems:?}");
                assert_eq!(ga.access_nb(&info).unwrap().wait().unwrap(), want);
                assert_eq!(
                    ga.locate_region(&info).unwrap(),
                    ga.distribution_map().locate_region(&sec).unwrap()
                );
                let mut buf = ArrayD::<i64>::zeros(want.raw_dim());
                ga.get_into(&info, &mut buf).unwrap();
                assert_eq!(buf, want, "get_into(&mut Array) {elems:?}");
                let mut buf = ArrayD::<i64>::zeros(want.raw_dim().f());
                let mut v = buf.view_mut();
                ga.get_into(info, &mut v).unwrap();
                assert_eq!(buf, want, "get_into(&mut view) {elems:?}");
            }
            ga.sync().unwrap();

            // Writes: a put by one rank at a time, then an accumulate by
            // every rank, each through another source form.
            for round in 0..rt.size() {
                let (elems, _) = shared.slice(&shape);
                let info = SliceInfo::<_, IxDyn, IxDyn>::try_from(elems.clone()).unwrap();
                let data = shared.data::<i64>(model.slice(elems.as_slice()).shape());
                model.slice_mut(elems.as_slice()).assign(&data);
                if rt.rank() == round {
                    match round % 4 {
                        0 => ga.put(&info, &data).unwrap(),
                        1 => ga.put(info, data.view()).unwrap(),
                        2 => ga.put(&info, &data.view()).unwrap(),
                        _ => {
                            let mut copy = data.clone();
                            ga.put(info, &copy.view_mut()).unwrap()
                        }
                    }
                }
                ga.sync().unwrap();
                assert_eq!(ga.get(..).unwrap(), model, "after put {elems:?}");
                ga.sync().unwrap(); // every rank has read before the next put
            }
            let (elems, _) = shared.slice(&shape);
            let info = SliceInfo::<_, IxDyn, IxDyn>::try_from(elems.clone()).unwrap();
            let data = shared.data::<i64>(model.slice(elems.as_slice()).shape());
            let n = rt.size() as i64;
            model
                .slice_mut(elems.as_slice())
                .zip_mut_with(&data, |m, &d| *m += 2 * n * d);
            match rt.rank() % 2 {
                0 => ga.acc(&info, &data, 2).unwrap(),
                _ => ga.acc(info, data.view(), 2).unwrap(),
            }
            ga.sync().unwrap();
            assert_eq!(ga.get(..).unwrap(), model, "after acc {elems:?}");

            if ndim == 1 {
                one_dim_forms(&ga, &model, &mut own);
            }
            ga.sync().unwrap();
        }
    }
}

/// The 1-d forms on a 1-d array (`model` its contents): open, inclusive
/// and closed ranges, range lists, and slices and vectors as buffers.
// One-range lists are the sections of 1-d arrays, not mistaken vectors of
// indices.
#[allow(clippy::single_range_in_vec_init)]
fn one_dim_forms(ga: &GlobalArray<i64, IxDyn>, model: &ArrayD<i64>, rng: &mut Rng) {
    let n = ga.shape()[0];
    let model = model.view().into_dimensionality::<ndarray::Ix1>().unwrap();
    let ga1 = GlobalArray::<i64, ndarray::Ix1>::zeros(ga.runtime(), n).unwrap();
    let full: Vec<i64> = model.to_vec();
    if ga.runtime().rank() == 0 {
        ga1.put(.., &full).unwrap();
    }
    ga1.sync().unwrap();
    for _ in 0..4 {
        let (a, b) = (rng.below(n + 1), rng.below(n + 1));
        let (a, b) = (a.min(b), a.max(b));
        let get = |s: gain::Result<Array<i64, ndarray::Ix1>>| s.unwrap().to_vec();
        let want = |lo: usize, hi: usize| model.slice(s![lo..hi]).to_vec();
        assert_eq!(get(ga1.get(a..)), want(a, n), "{a}..");
        assert_eq!(get(ga1.get(..b)), want(0, b), "..{b}");
        assert_eq!(get(ga1.get(a..b)), want(a, b), "{a}..{b}");
        assert_eq!(get(ga1.get([a..b])), want(a, b), "[{a}..{b}]");
        assert_eq!(get(ga1.get(vec![a..b])), want(a, b), "vec![{a}..{b}]");
        assert_eq!(get(ga1.get(&[a..b][..])), want(a, b), "&[{a}..{b}][..]");
        assert_eq!(get(ga1.get(s![a..b])), want(a, b), "s![{a}..{b}]");
        if b > 0 {
            assert_eq!(get(ga1.get(a..=b - 1)), want(a, b), "{a}..={}", b - 1);
            assert_eq!(get(ga1.get(..=b - 1)), want(0, b), "..={}", b - 1);
        }
        assert_eq!(get(ga1.access(a..).map(|v| v.to_owned())), want(a, n));
        assert_eq!(
            ga1.locate_region(a..).unwrap(),
            ga1.locate_region(a..n).unwrap()
        );
        // Slices and vectors as buffers of 1-d arrays.
        let mut buf = vec![-1; n - a];
        ga1.get_into(a.., &mut buf[..]).unwrap();
        assert_eq!(buf, want(a, n));
        let mut buf = vec![-1; b];
        ga1.get_into(..b, &mut buf).unwrap();
        assert_eq!(buf, want(0, b));
    }
    ga1.sync().unwrap();
    // Each rank accumulates a vector and a slice into its own open range.
    let a = ga1.runtime().rank() % n;
    let ones = vec![1; n - a];
    ga1.acc(a.., &ones, 1).unwrap();
    ga1.acc(a.., &ones[..], 2).unwrap();
    ga1.sync().unwrap();
    let got = ga1.get(..).unwrap();
    for (i, (&g, &m)) in got.iter().zip(model.iter()).enumerate() {
        let adds = (0..ga1.runtime().size()).filter(|r| r % n <= i).count() as i64;
        assert_eq!(g, m + 3 * adds, "element {i}");
    }
}

/// `s![]` and `..` on arrays of static dimension (`Ix2`, `Ix3`), where
/// the macro's own types meet the array's: gets, puts and accumulates
/// against the serial model.
// `s![2..-2]` counts -2 from the end (ndarray's rule); it is not an empty
// reversed range, which is what this lint assumes.
#[allow(clippy::reversed_empty_ranges)]
fn section_forms_static_dims(rt: &Runtime) {
    let ga = GlobalArray::<f64, _>::zeros(rt, [9, 7]).unwrap();
    let mut model = ndarray::Array2::<f64>::zeros((9, 7));
    let tile = ndarray::Array2::from_shape_fn((3, 4), |(i, j)| (i * 10 + j) as f64);
    model.slice_mut(s![-4..-1, 3..]).assign(&tile);
    if rt.rank() == 0 {
        ga.put(s![-4..-1, 3..], &tile).unwrap();
    }
    ga.sync().unwrap();
    assert_eq!(ga.get(..).unwrap(), model);
    assert_eq!(ga.get(s![5.., ..]).unwrap(), model.slice(s![5.., ..]));
    assert_eq!(
        ga.get(s![..=6, 2..-2]).unwrap(),
        model.slice(s![..=6, 2..-2])
    );
    let mut buf = ndarray::Array2::<f64>::zeros((2, 7));
    ga.get_into(s![7.., ..], &mut buf).unwrap();
    assert_eq!(buf, model.slice(s![7.., ..]));
    ga.sync().unwrap();
    ga.acc(.., &ndarray::Array2::ones((9, 7)), 0.5).unwrap();
    model += 0.5 * rt.size() as f64;
    ga.sync().unwrap();
    assert_eq!(ga.get(..).unwrap(), model);

    let cube = GlobalArray::<i32, _>::zeros(rt, [4, 3, 5]).unwrap();
    let ones = ndarray::Array3::<i32>::ones((2, 3, 1));
    cube.acc(s![1..3, .., -1..], &ones, 1).unwrap();
    cube.sync().unwrap();
    let got = cube.get(s![.., .., 4..]).unwrap();
    let n = rt.size() as i32;
    let want = ndarray::Array3::from_shape_fn(
        (4, 3, 1),
        |(i, _, _)| {
            if (1..3).contains(&i) { n } else { 0 }
        },
    );
    assert_eq!(got, want);
    assert_eq!(cube.get(..).unwrap().sum(), 6 * n);
}

/// Section forms that name no section: each a typed error on every rank,
/// from every method that takes a section, with nothing written.
#[allow(clippy::reversed_empty_ranges)]
fn section_form_errors(rt: &Runtime) {
    fn kind<R>(r: gain::Result<R>) -> Option<ErrorKind> {
        r.err().map(|e| e.kind())
    }
    fn message<R>(r: gain::Result<R>) -> String {
        r.err().map(|e| e.message().to_string()).unwrap_or_default()
    }
    let ga = GlobalArray::<f64, _>::zeros(rt, [4, 5]).unwrap();
    let shape = [4, 5];
    // Not a unit-step range: named in the message.
    let step = s![.., 1..5;2];
    assert_eq!(
        kind(step.into_section(&shape)),
        Some(ErrorKind::InvalidArgument)
    );
    assert!(message(step.into_section(&shape)).contains("step"));
    let index = s![1, ..];
    assert_eq!(
        kind(index.into_section(&shape)),
        Some(ErrorKind::InvalidArgument)
    );
    assert!(message(index.into_section(&shape)).contains("index"));
    let axis = s![.., ndarray::NewAxis, ..];
    assert_eq!(
        kind(axis.into_section(&shape)),
        Some(ErrorKind::InvalidArgument)
    );
    assert!(message(axis.into_section(&shape)).contains("new axis"));
    let neg_step = s![..;-1, ..];
    assert_eq!(
        kind(neg_step.into_section(&shape)),
        Some(ErrorKind::InvalidArgument)
    );
    // Every method reports it.
    let twos = ndarray::Array2::<f64>::from_elem((4, 3), 2.0);
    let mut buf = ndarray::Array2::<f64>::zeros((4, 3));
    let bad = Some(ErrorKind::InvalidArgument);
    assert_eq!(kind(ga.get(step)), bad);
    assert_eq!(kind(ga.get_nb(step)), bad);
    assert_eq!(kind(ga.get_into(step, &mut buf)), bad);
    assert_eq!(kind(ga.put(step, &twos)), bad);
    assert_eq!(kind(ga.acc(step, &twos, 1.0)), bad);
    assert_eq!(kind(ga.access(step)), bad);
    assert_eq!(kind(ga.access_nb(step)), bad);
    assert_eq!(kind(ga.locate_region(step)), bad);
    // Wrong number of dimensions.
    let dims = Some(ErrorKind::DimensionMismatch);
    assert_eq!(kind(ga.get(s![..])), dims);
    assert_eq!(kind(ga.get(s![.., .., ..])), dims);
    assert_eq!(kind(ga.get(1..)), dims);
    assert_eq!(kind(ga.get(..2)), dims);
    assert_eq!(kind(ga.get(0..=1)), dims);
    assert_eq!(kind(ga.get(..=1)), dims);
    assert_eq!(kind(ga.put(2.., &twos)), dims);
    // Bounds outside a dimension, counted from either end.
    let out = Some(ErrorKind::OutOfBounds);
    assert_eq!(kind(ga.get(s![5.., ..])), out);
    assert_eq!(kind(ga.get(s![..5, ..])), out);
    assert_eq!(kind(ga.get(s![-5.., ..])), out);
    assert_eq!(kind(ga.get(s![.., ..-6])), out);
    assert_eq!(kind(ga.put(s![.., -7..], &twos)), out);
    // Reversed ranges are errors, as plain reversed ranges are (ndarray
    // reads them as empty).
    let rev = Some(ErrorKind::ReversedSection);
    assert_eq!(kind(ga.get(s![3..1, ..])), rev);
    assert_eq!(kind(ga.get(s![-1..-3, ..])), rev);
    assert_eq!(kind(ga.acc(s![.., 4..2], &twos, 1.0)), rev);
    // A buffer that does not fit the whole array.
    assert_eq!(kind(ga.put(.., &twos)), Some(ErrorKind::ShapeMismatch));
    assert_eq!(
        kind(ga.get_into(.., &mut buf)),
        Some(ErrorKind::ShapeMismatch)
    );
    // 1-d open and inclusive ranges past the end.
    let line = GlobalArray::<i32, _>::zeros(rt, 6).unwrap();
    assert_eq!(kind(line.get(7..)), out);
    assert_eq!(kind(line.get(..7)), out);
    assert_eq!(kind(line.get(0..=6)), out);
    assert_eq!(kind(line.get(..=6)), out);
    assert_eq!(kind(line.get(0..=usize::MAX)), out);
    assert_eq!(kind(line.get(..=usize::MAX)), out);
    assert_eq!(kind(line.get(5..=3)), rev);
    assert!(line.get(6..).unwrap().is_empty());
    ga.sync().unwrap();
    line.sync().unwrap();
    assert_eq!(ga.get(..).unwrap().sum(), 0.0);
    assert_eq!(line.get(..).unwrap().sum(), 0);
}
