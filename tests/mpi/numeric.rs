//! Cases for the layers above `GlobalArray`: the counter-based random
//! arrays and distributed linear algebra, checked against serial models.

use gain::random::Philox4x64;
use gain::{ErrorKind, GlobalArray, Runtime};
use ndarray::{Array2, Ix2, IxDyn};

use crate::model::Rng;
use crate::registry::{Case, case};

/// The random and linear-algebra cases, with the tags that say which
/// configurations run them (`registry::Tag`).
pub const CASES: &[Case] = &[
    case!(random_identical_across_distributions; Light),
    case!(matmul_any_distributions; Light, Rma, Hosts),
    case!(transpose_any_distributions; Light, Rma, Hosts),
    case!(matmul_transposed_operands; Light, Rma, Hosts),
    case!(linalg_errors; Light),
];

/// A matrix of `shape` with a regular, chunked or irregular distribution
/// (the same on every rank).
fn matrix(rt: &Runtime, rng: &mut Rng, shape: [usize; 2]) -> GlobalArray<f64, Ix2> {
    match rng.below(3) {
        0 => GlobalArray::zeros(rt, shape).unwrap(),
        1 => {
            let chunk = [rng.below(shape[0] + 1), rng.below(shape[1] + 1)];
            GlobalArray::zeros_chunked(rt, shape, &chunk).unwrap()
        }
        _ => {
            let mut starts = vec![vec![0], vec![0]];
            for (d, s) in starts.iter_mut().enumerate() {
                for cut in 1..shape[d] {
                    if s.len() < rt.size() && rng.below(3) == 0 {
                        s.push(cut);
                    }
                }
            }
            // At most `size` blocks in all.
            while starts[0].len() * starts[1].len() > rt.size() {
                starts[1].pop();
            }
            GlobalArray::zeros_irregular(rt, shape, &starts).unwrap()
        }
    }
}

fn serial_uniform(shape: &[usize], seed: u64, low: f64, high: f64) -> ndarray::ArrayD<f64> {
    let g = Philox4x64::new([seed, 0]);
    let mut i = 0u128;
    ndarray::ArrayD::from_shape_simple_fn(IxDyn(shape), || {
        let u = (g.word(i) >> 11) as f64 / 9_007_199_254_740_992.0;
        i += 1;
        low + (high - low) * u
    })
}

/// Random arrays hold the same values whatever the distribution and rank
/// count: element i is the i-th double of NumPy's Philox stream.
pub fn random_identical_across_distributions(rt: &Runtime) {
    // NumPy 2.4: np.random.Philox(key=7).random_raw(6)
    let g = Philox4x64::new([7, 0]);
    let numpy = [
        0xdf4034b829e9fba4u64,
        0x4b9d10cdf8e64087,
        0x6b8b857e506aac98,
        0x67c7c945b1ba6e52,
        0x15352da77ecee8e6,
        0xb256888327f72bcc,
    ];
    for (i, &w) in numpy.iter().enumerate() {
        assert_eq!(g.word(i as u128), w, "word {i}");
    }
    // NumPy 2.4: Generator(Philox(key=42)).random((10, 3))[9, 2]
    let a = gain::random::uniform(rt, [10, 3], 42).unwrap();
    assert_eq!(a.at(&[9, 2]).unwrap(), 0.1479830702520707);

    let mut rng = Rng::new(31);
    for round in 0..6 {
        let shape = [1 + rng.below(17), 1 + rng.below(9)];
        let seed = rng.next();
        let mut m = matrix(rt, &mut rng, shape);
        gain::random::fill_uniform(&mut m, seed, -2.0, 3.0).unwrap();
        let want = serial_uniform(&shape, seed, -2.0, 3.0);
        let got = m.get([0..shape[0], 0..shape[1]]).unwrap().into_dyn();
        assert_eq!(got, want, "round {round}, shape {shape:?}");
        // Normals: the same under another distribution.
        let mut other = matrix(rt, &mut rng, shape);
        gain::random::fill_normal(&mut m, seed, 1.0, 2.0).unwrap();
        gain::random::fill_normal(&mut other, seed, 1.0, 2.0).unwrap();
        let (x, y) = (
            m.get([0..shape[0], 0..shape[1]]).unwrap(),
            other.get([0..shape[0], 0..shape[1]]).unwrap(),
        );
        assert_eq!(x, y);
        assert!(x.iter().all(|v| v.is_finite()));
    }
}

fn close(a: &Array2<f64>, b: &Array2<f64>, what: &str) {
    assert_eq!(a.shape(), b.shape(), "{what}");
    for (x, y) in a.iter().zip(b) {
        assert!(
            (x - y).abs() <= 1e-12 * (1.0 + y.abs()),
            "{what}: {x} vs {y}"
        );
    }
}

/// `matmul_into` and `matmul` over random shapes and unrelated
/// distributions of a, b and c, with alpha and beta, against ndarray.
pub fn matmul_any_distributions(rt: &Runtime) {
    let mut rng = Rng::new(77);
    for round in 0..8 {
        let (m, k, n) = (1 + rng.below(23), 1 + rng.below(23), 1 + rng.below(23));
        let mut a = matrix(rt, &mut rng, [m, k]);
        let mut b = matrix(rt, &mut rng, [k, n]);
        let mut c = matrix(rt, &mut rng, [m, n]);
        gain::random::fill_uniform(&mut a, 1 + round, -1.0, 1.0).unwrap();
        gain::random::fill_uniform(&mut b, 100 + round, -1.0, 1.0).unwrap();
        gain::random::fill_uniform(&mut c, 200 + round, -1.0, 1.0).unwrap();
        let (sa, sb) = (a.get([0..m, 0..k]).unwrap(), b.get([0..k, 0..n]).unwrap());
        let sc = c.get([0..m, 0..n]).unwrap();
        let (alpha, beta) = [(1.0, 0.0), (0.5, 1.0), (-2.0, 0.25)][round as usize % 3];
        gain::linalg::matmul_into(alpha, &a, &b, beta, &mut c).unwrap();
        let want = sa.dot(&sb) * alpha + &sc * beta;
        close(
            &c.get([0..m, 0..n]).unwrap(),
            &want,
            &format!("matmul_into round {round}"),
        );
        let p = gain::linalg::matmul(&a, &b).unwrap();
        close(&p.get([0..m, 0..n]).unwrap(), &sa.dot(&sb), "matmul");
    }
    // Integers: exact.
    let a = GlobalArray::<i64, Ix2>::zeros(rt, [5, 3]).unwrap();
    let b = GlobalArray::<i64, Ix2>::zeros(rt, [3, 4]).unwrap();
    if rt.rank() == 0 {
        a.put(
            [0..5, 0..3],
            Array2::from_shape_fn((5, 3), |(i, j)| (i * 3 + j) as i64).view(),
        )
        .unwrap();
        b.put(
            [0..3, 0..4],
            Array2::from_shape_fn((3, 4), |(i, j)| i as i64 - j as i64).view(),
        )
        .unwrap();
    }
    let p = gain::linalg::matmul(&a, &b).unwrap();
    let want = a
        .get([0..5, 0..3])
        .unwrap()
        .dot(&b.get([0..3, 0..4]).unwrap());
    assert_eq!(p.get([0..5, 0..4]).unwrap(), want);
}

/// `matmul_into`, `matmul` and `dot` with transposed operands (`a.t()`,
/// `b.t()`, both), over random shapes and the same random distributions
/// as `matmul_any_distributions`, against ndarray's products of the
/// transposed serial arrays.
pub fn matmul_transposed_operands(rt: &Runtime) {
    let mut rng = Rng::new(78);
    for round in 0..8u64 {
        let (m, k, n) = (1 + rng.below(23), 1 + rng.below(23), 1 + rng.below(23));
        for (ta, tb) in [(true, false), (false, true), (true, true), (false, false)] {
            // Stored shapes: op(a) is m × k, op(b) is k × n.
            let sa_shape = if ta { [k, m] } else { [m, k] };
            let sb_shape = if tb { [n, k] } else { [k, n] };
            let mut a = matrix(rt, &mut rng, sa_shape);
            let mut b = matrix(rt, &mut rng, sb_shape);
            let mut c = matrix(rt, &mut rng, [m, n]);
            gain::random::fill_uniform(&mut a, 300 + round, -1.0, 1.0).unwrap();
            gain::random::fill_uniform(&mut b, 400 + round, -1.0, 1.0).unwrap();
            gain::random::fill_uniform(&mut c, 500 + round, -1.0, 1.0).unwrap();
            let (sa, sb, sc) = (
                a.to_array().unwrap(),
                b.to_array().unwrap(),
                c.to_array().unwrap(),
            );
            let opa = if ta { sa.t() } else { sa.view() };
            let opb = if tb { sb.t() } else { sb.view() };
            let (alpha, beta) = [(1.0, 0.0), (0.5, 1.0), (-2.0, 0.25)][round as usize % 3];
            let what = format!("round {round} ta={ta} tb={tb}");
            let ra = if ta { a.t() } else { (&a).into() };
            let rb = if tb { b.t() } else { (&b).into() };
            assert_eq!(ra.shape(), [m, k]);
            gain::linalg::matmul_into(alpha, ra, rb, beta, &mut c).unwrap();
            let want = opa.dot(&opb) * alpha + &sc * beta;
            close(
                &c.to_array().unwrap(),
                &want,
                &format!("matmul_into {what}"),
            );
            let p = gain::linalg::matmul(ra, rb).unwrap();
            close(
                &p.to_array().unwrap(),
                &opa.dot(&opb),
                &format!("matmul {what}"),
            );
            // The ndarray spelling: a.t().dot(&b), a.dot(b.t()), ...
            let d = match (ta, tb) {
                (true, false) => a.t().dot(&b),
                (false, true) => a.dot(b.t()),
                (true, true) => a.t().dot(b.t()),
                (false, false) => a.dot(&b),
            }
            .unwrap();
            close(
                &d.to_array().unwrap(),
                &opa.dot(&opb),
                &format!("dot {what}"),
            );
        }
    }
    // aᵀa of an integer matrix: exact; and a shape that does not chain.
    let a = GlobalArray::<i64, Ix2>::zeros(rt, [5, 3]).unwrap();
    if rt.rank() == 0 {
        let src = Array2::from_shape_fn((5, 3), |(i, j)| (i * 3 + j) as i64 - 7);
        a.put([0..5, 0..3], src.view()).unwrap();
    }
    let g = a.t().dot(&a).unwrap();
    let sa = a.to_array().unwrap();
    assert_eq!(g.to_array().unwrap(), sa.t().dot(&sa));
    assert_eq!(
        a.dot(&a).err().map(|e| e.kind()),
        Some(ErrorKind::ShapeMismatch)
    );
    let mut c = GlobalArray::<i64, Ix2>::zeros(rt, [5, 5]).unwrap();
    assert_eq!(
        gain::linalg::matmul_into(1, a.t(), &a, 0, &mut c)
            .err()
            .map(|e| e.kind()),
        Some(ErrorKind::ShapeMismatch)
    );
}

/// The transpose under random distributions of source and result.
pub fn transpose_any_distributions(rt: &Runtime) {
    let mut rng = Rng::new(5);
    for _ in 0..6 {
        let (m, n) = (1 + rng.below(19), 1 + rng.below(19));
        let mut a = matrix(rt, &mut rng, [m, n]);
        gain::random::fill_uniform(&mut a, rng.next(), 0.0, 1.0).unwrap();
        let mut t = matrix(rt, &mut rng, [n, m]);
        gain::linalg::transpose_into(&a, &mut t).unwrap();
        let want = a.get([0..m, 0..n]).unwrap().t().to_owned();
        assert_eq!(t.get([0..n, 0..m]).unwrap(), want);
        assert_eq!(
            gain::linalg::transpose(&a)
                .unwrap()
                .get([0..n, 0..m])
                .unwrap(),
            want
        );
    }
}

/// Shapes that do not chain: a typed error on every rank, the output
/// untouched.
pub fn linalg_errors(rt: &Runtime) {
    let a = GlobalArray::<f64, Ix2>::zeros(rt, [3, 4]).unwrap();
    let b = GlobalArray::<f64, Ix2>::zeros(rt, [5, 2]).unwrap();
    let mut c = GlobalArray::<f64, Ix2>::zeros(rt, [3, 2]).unwrap();
    c.fill(7.0).unwrap();
    let kind = |r: gain::Result<()>| r.err().map(|e| e.kind());
    assert_eq!(
        kind(gain::linalg::matmul_into(1.0, &a, &b, 0.0, &mut c)),
        Some(ErrorKind::ShapeMismatch)
    );
    assert_eq!(
        gain::linalg::matmul(&a, &b).err().map(|e| e.kind()),
        Some(ErrorKind::ShapeMismatch)
    );
    let b2 = GlobalArray::<f64, Ix2>::zeros(rt, [4, 3]).unwrap();
    assert_eq!(
        kind(gain::linalg::matmul_into(1.0, &a, &b2, 0.0, &mut c)),
        Some(ErrorKind::ShapeMismatch)
    );
    assert_eq!(
        kind(gain::linalg::transpose_into(&a, &mut c)),
        Some(ErrorKind::ShapeMismatch)
    );
    c.sync().unwrap();
    assert!(c.get([0..3, 0..2]).unwrap().iter().all(|&x| x == 7.0));
}
