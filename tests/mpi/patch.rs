//! Cases for Global Arrays' patch utilities on 1-d arrays (`patch_enum`,
//! `scan_add`, `scan_copy`, `pack`, `unpack`), each against a serial model
//! of GA's definition, over random lengths, ranges, masks and
//! distributions (source, destination and mask each distributed its own
//! way).

use gain::{ErrorKind, GlobalArray, Runtime};
use ndarray::{Array1, Ix1};

use crate::model::Rng;
use crate::registry::{Case, case};

/// The patch-utility cases, with the tags that say which configurations
/// run them (`registry::Tag`).
pub const CASES: &[Case] = &[
    case!(patch_utilities_match_the_model; Light),
    case!(patch_utilities_bad_input; Light),
];

/// A global array holding `model`, with a random chunk hint (so that
/// arrays of one length are distributed differently).
fn global<T: gain::Element>(rt: &Runtime, rng: &mut Rng, model: &Array1<T>) -> GlobalArray<T, Ix1> {
    let chunk = [rng.below(model.len() + 1)];
    let mut g = GlobalArray::zeros_chunked(rt, model.len(), &chunk).unwrap();
    g.assign(model.view()).unwrap();
    g
}

/// GA_Scan_add on a model: from the first bit in `range` on, the sum since
/// the latest bit (`excl`: before the element); earlier elements kept.
fn scan_add_model(
    src: &Array1<i64>,
    mask: &Array1<u8>,
    dst: &mut Array1<i64>,
    lo: usize,
    hi: usize,
    excl: bool,
) {
    let mut acc: Option<i64> = None;
    for i in lo..hi {
        if mask[i] != 0 {
            acc = Some(0);
        }
        if let Some(a) = acc.as_mut() {
            if excl {
                dst[i] = *a;
                *a = a.wrapping_add(src[i]);
            } else {
                *a = a.wrapping_add(src[i]);
                dst[i] = *a;
            }
        }
    }
}

pub fn patch_utilities_match_the_model(rt: &Runtime) {
    let mut rng = Rng::new(5);
    for round in 0..16 {
        let n = 1 + rng.below(60);
        let (lo, hi) = {
            let (a, b) = (rng.below(n + 1), rng.below(n + 1));
            (a.min(b), a.max(b))
        };
        // Masks from empty to dense.
        let density = [0, 2, 5, 50][round % 4];
        let mask = Array1::from_shape_fn(n, |_| u8::from(density > 0 && rng.below(density) == 0));
        let src = Array1::from_shape_fn(n, |_| rng.below(1000) as i64 - 500);
        let before = Array1::from_shape_fn(n, |i| -7 - i as i64);
        let (gsrc, gmask) = (global(rt, &mut rng, &src), global(rt, &mut rng, &mask));
        let what = format!("round {round}: n {n}, range {lo}..{hi}, mask {mask}");

        let mut gdst = global(rt, &mut rng, &before);
        gdst.patch_enum(lo..hi, 3, -2).unwrap();
        let mut want = before.clone();
        for i in lo..hi {
            want[i] = 3 - 2 * (i - lo) as i64;
        }
        assert_eq!(gdst.to_array().unwrap(), want, "patch_enum, {what}");

        for excl in [false, true] {
            let mut gdst = global(rt, &mut rng, &before);
            gsrc.scan_add(&mut gdst, &gmask, lo..hi, excl).unwrap();
            let mut want = before.clone();
            scan_add_model(&src, &mask, &mut want, lo, hi, excl);
            assert_eq!(
                gdst.to_array().unwrap(),
                want,
                "scan_add excl {excl}, {what}"
            );
        }

        let mut gdst = global(rt, &mut rng, &before);
        gsrc.scan_copy(&mut gdst, &gmask, lo..hi).unwrap();
        let mut want = before.clone();
        let mut last = 0;
        for i in lo..hi {
            if mask[i] != 0 {
                last = src[i];
            }
            want[i] = last;
        }
        assert_eq!(gdst.to_array().unwrap(), want, "scan_copy, {what}");

        let picked: Vec<i64> = (lo..hi).filter(|&i| mask[i] != 0).map(|i| src[i]).collect();
        let gpacked = global(rt, &mut rng, &before);
        assert_eq!(
            gsrc.pack(&gpacked, &gmask, lo..hi).unwrap(),
            picked.len(),
            "{what}"
        );
        let mut want = before.clone();
        want.slice_mut(ndarray::s![..picked.len()])
            .assign(&Array1::from(picked.clone()));
        assert_eq!(gpacked.to_array().unwrap(), want, "pack, {what}");

        // Unpacked back over the sentinel: the selected places get the
        // packed values in order, the others keep theirs.
        let mut gback = global(rt, &mut rng, &before);
        gback.unpack(&gpacked, &gmask, lo..hi).unwrap();
        let mut want = before.clone();
        for (i, &v) in (lo..hi).filter(|&i| mask[i] != 0).zip(&picked) {
            want[i] = v;
        }
        assert_eq!(gback.to_array().unwrap(), want, "unpack, {what}");
    }
    // Floats and a float mask: GA's types mix.
    let src = gain::numpy::arange(rt, 0.5, 8.5, 1.0).unwrap();
    let mask = gain::numpy::from_array(
        rt,
        &ndarray::array![1.0f32, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0, -1.0],
    )
    .unwrap();
    let mut dst = GlobalArray::<f64, _>::zeros(rt, 8).unwrap();
    src.scan_add(&mut dst, &mask, 0..8, false).unwrap();
    assert_eq!(
        dst.to_array().unwrap(),
        ndarray::array![0.5, 2.0, 4.5, 3.5, 8.0, 13.5, 20.0, 7.5]
    );
}

pub fn patch_utilities_bad_input(rt: &Runtime) {
    let a = GlobalArray::<i32, _>::zeros(rt, 10).unwrap();
    let mut b = GlobalArray::<i32, _>::zeros(rt, 10).unwrap();
    let short = GlobalArray::<i32, _>::zeros(rt, 3).unwrap();
    let ones = gain::numpy::full(rt, 10, 1u8).unwrap();
    let kind = |e: gain::Error| e.kind();
    assert_eq!(
        b.patch_enum(4..11, 0, 1).map_err(kind),
        Err(ErrorKind::OutOfBounds)
    );
    assert_eq!(
        a.scan_add(
            &mut b,
            &short.expr().cast::<u8>().eval().unwrap(),
            0..10,
            false
        )
        .map_err(kind),
        Err(ErrorKind::ShapeMismatch)
    );
    assert_eq!(
        a.pack(&short, &ones, 0..10).map_err(kind),
        Err(ErrorKind::ShapeMismatch)
    );
    assert_eq!(
        a.pack(&a, &ones, 0..10).map_err(kind),
        Err(ErrorKind::InvalidArgument)
    );
    assert_eq!(
        b.unpack(&short, &ones, 0..10).map_err(kind),
        Err(ErrorKind::ShapeMismatch)
    );
    // One rank with another range: every rank gets the error.
    let r = if rt.rank() == 0 { 0..5 } else { 0..6 };
    let got = a.scan_copy(&mut b, &ones, r).map_err(kind);
    if rt.size() > 1 {
        assert_eq!(got, Err(ErrorKind::InconsistentArguments));
    }
    // Nothing was written by the failed calls.
    assert!(b.to_array().unwrap().iter().all(|&x| x == 0));
}
