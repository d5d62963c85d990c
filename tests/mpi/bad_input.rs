//! The bad-input suite: every `ErrorKind` reached through the public API,
//! and every collective given a wrong argument on one rank only. Each
//! try asserts the kind of the error on every rank, that the arrays are
//! unchanged, and that the ranks are still in step afterwards (a sync and
//! a collective creation complete). Rank 0 prints how many bad inputs the
//! case tried (`bad inputs tried: N`), for the reliability table.

use gain::numpy::{self, Zip};
use gain::{ErrorKind, GlobalArray, Result, Runtime};
use mpi::traits::*;
use ndarray::{Array1, Array2, Axis, IxDyn, s};

use crate::registry::{Case, case};

/// The bad-input cases, with the tags that say which configurations run
/// them (`registry::Tag`).
pub const CASES: &[Case] = &[
    case!(bad_input_every_error_kind; Light),
    case!(bad_input_one_rank_wrong_argument; Light),
];

/// Counts the tries and checks that the ranks are still in step.
pub struct Tally<'r> {
    pub rt: &'r Runtime,
    pub tried: usize,
}

impl Tally<'_> {
    /// `r` failed with `kind`, on this rank.
    pub fn expect<T: std::fmt::Debug>(&mut self, what: &str, r: Result<T>, kind: ErrorKind) {
        let e = r.expect_err(what);
        assert_eq!(e.kind(), kind, "{what}: {e}");
        assert_eq!(e.rank(), Some(self.rt.rank()), "{what}: {e}");
        self.tried += 1;
    }

    /// A collective where the last rank alone passes a wrong argument:
    /// `call(true)` there, `call(false)` elsewhere. The last rank gets
    /// `kind`; every other rank `InconsistentArguments` naming the last
    /// rank or the argument that differs, `names`. Then every rank must
    /// still be in step.
    pub fn one_rank_wrong<T: std::fmt::Debug>(
        &mut self,
        what: &str,
        kind: ErrorKind,
        names: &str,
        call: impl FnOnce(bool) -> Result<T>,
    ) {
        let last = self.rt.size() - 1;
        let wrong = self.rt.rank() == last;
        let r = call(wrong);
        if self.rt.size() == 1 && kind == ErrorKind::InconsistentArguments {
            // One rank cannot disagree with itself.
            r.unwrap_or_else(|e| panic!("{what} on one rank: {e}"));
            self.in_step(what);
            return;
        } else if self.rt.size() == 1 {
            // The one rank is the wrong one.
            let e = r.expect_err(what);
            assert_eq!(e.kind(), kind, "{what}: {e}");
        } else if wrong {
            let e = r.expect_err(what);
            assert_eq!(e.kind(), kind, "{what} on the wrong rank: {e}");
        } else {
            let e = r.expect_err(what);
            assert_eq!(
                e.kind(),
                ErrorKind::InconsistentArguments,
                "{what} on a right rank: {e}"
            );
            let msg = e.to_string();
            assert!(
                msg.contains(&format!("rank {last}")) && msg.contains(names),
                "{what}: the message names neither rank {last} nor {names:?}: {msg}"
            );
        }
        self.in_step(what);
        self.tried += 1;
    }

    /// Every rank is at the same point: a runtime sync and a collective
    /// creation with an agreed shape complete.
    fn in_step(&self, what: &str) {
        self.rt
            .sync()
            .unwrap_or_else(|e| panic!("after {what}: {e}"));
        let probe = GlobalArray::<i32, _>::zeros(self.rt, [self.rt.size()])
            .unwrap_or_else(|e| panic!("after {what}: {e}"));
        drop(probe);
    }
}

/// Every error kind the public API can return on a correct job, each
/// reached the way a user would meet it, on every rank.
pub fn bad_input_every_error_kind(rt: &Runtime) {
    let mut t = Tally { rt, tried: 0 };
    let ga = GlobalArray::<f64, _>::zeros(rt, [6, 4]).unwrap();
    let before = ga.get(..).unwrap();
    let buf = Array2::<f64>::ones((2, 2));
    t.expect(
        "get past the end",
        ga.get(s![5..7, ..]),
        ErrorKind::OutOfBounds,
    );
    t.expect(
        "put past the end",
        ga.put(s![5..7, 0..2], &buf),
        ErrorKind::OutOfBounds,
    );
    t.expect(
        "acc past the end",
        ga.acc(s![0..2, 3..5], &buf, 1.0),
        ErrorKind::OutOfBounds,
    );
    t.expect("at past the end", ga.at(&[6, 0]), ErrorKind::OutOfBounds);
    t.expect(
        "locate past the end",
        ga.locate(&[0, 4]),
        ErrorKind::OutOfBounds,
    );
    #[allow(clippy::reversed_empty_ranges)]
    let reversed = [3..1, 0..2];
    t.expect(
        "a reversed section",
        ga.get(reversed),
        ErrorKind::ReversedSection,
    );
    t.expect(
        "a buffer of the wrong shape",
        ga.put(s![0..2, 0..3], &buf),
        ErrorKind::ShapeMismatch,
    );
    t.expect(
        "a 1-d index on a 2-d array",
        ga.at(&[1]),
        ErrorKind::DimensionMismatch,
    );
    t.expect(
        "a 2-d array as 1-d",
        ga.duplicate()
            .unwrap()
            .into_dimensionality::<ndarray::Ix1>(),
        ErrorKind::DimensionMismatch,
    );
    t.expect(
        "a stepped s![]",
        ga.get(s![0..4;2, ..]),
        ErrorKind::InvalidArgument,
    );
    t.expect(
        "a shape that overflows",
        GlobalArray::<f64, _>::zeros(rt, [usize::MAX / 2, 4]),
        ErrorKind::SizeOverflow,
    );
    t.expect(
        "chunk hints of the wrong length",
        GlobalArray::<f64, _>::zeros_chunked(rt, [4, 4], &[1]),
        ErrorKind::InvalidDistribution,
    );
    t.expect(
        "block starts past the extent",
        GlobalArray::<f64, _>::zeros_irregular(rt, 4, &[vec![0, 5]]),
        ErrorKind::InvalidDistribution,
    );
    t.expect(
        "local_of a rank that does not exist",
        ga.local_of(rt.size()),
        ErrorKind::NotSameNode,
    );
    if rt.spans_nodes() {
        let other = (0..rt.size()).find(|&r| !rt.is_same_node(r)).unwrap();
        t.expect(
            "local_of a rank on another node",
            ga.local_of(other),
            ErrorKind::NotSameNode,
        );
    }
    t.expect(
        "read_inc on floats",
        ga.read_inc(&[0, 0], 1),
        ErrorKind::NotInteger,
    );
    if let Some(mine) = ga.distribution(rt.rank()) {
        let view = ga.local();
        let ones = Array2::<f64>::ones((mine.shape()[0], mine.shape()[1]));
        t.expect(
            "a put into a block this process views",
            ga.put(&mine, &ones),
            ErrorKind::Borrowed,
        );
        drop(view);
    }
    t.expect(
        "scatter from a root past the last rank",
        numpy::scatter(rt, rt.size(), None::<ndarray::ArrayView1<'_, f64>>),
        ErrorKind::InvalidArgument,
    );
    t.expect(
        "k-means with k = 0",
        gain::cluster::KMeans::new(0).fit(&ga),
        ErrorKind::InvalidArgument,
    );
    let a = numpy::zeros::<f64, _>(rt, [6, 4]).unwrap();
    t.expect(
        "an operand that does not broadcast",
        (&a + &numpy::zeros::<f64, _>(rt, [3]).unwrap()).eval(),
        ErrorKind::ShapeMismatch,
    );
    t.expect(
        "an axis past the last",
        a.sum_axis(Axis(2)),
        ErrorKind::DimensionMismatch,
    );
    ga.sync().unwrap();
    assert_eq!(
        ga.get(..).unwrap(),
        before,
        "a rejected call changed the array"
    );
    if rt.rank() == 0 {
        println!("bad inputs tried: {} (bad_input_every_error_kind)", t.tried);
    }
}

/// Every collective with a wrong argument on the last rank only.
pub fn bad_input_one_rank_wrong_argument(rt: &Runtime) {
    let mut t = Tally { rt, tried: 0 };
    use ErrorKind::*;
    t.one_rank_wrong(
        "zeros with another shape",
        InconsistentArguments,
        "shapes",
        |w| GlobalArray::<f64, _>::zeros(rt, if w { [5, 4] } else { [4, 4] }),
    );
    t.one_rank_wrong(
        "zeros of another element type",
        InconsistentArguments,
        "element types",
        |w| {
            if w {
                GlobalArray::<f32, _>::zeros(rt, [4, 4]).map(drop)
            } else {
                GlobalArray::<f64, _>::zeros(rt, [4, 4]).map(drop)
            }
        },
    );
    t.one_rank_wrong(
        "zeros with an overflowing shape",
        SizeOverflow,
        "rank",
        |w| GlobalArray::<u8, _>::zeros(rt, if w { [usize::MAX / 2, 4] } else { [4, 4] }),
    );
    t.one_rank_wrong(
        "zeros_chunked with bad hints",
        InvalidDistribution,
        "rank",
        |w| {
            let hints: &[usize] = if w { &[1] } else { &[1, 1] };
            GlobalArray::<f64, _>::zeros_chunked(rt, [4, 4], hints)
        },
    );
    t.one_rank_wrong(
        "zeros_irregular with bad starts",
        InvalidDistribution,
        "rank",
        |w| {
            let starts = if w { vec![vec![0, 9]] } else { vec![vec![0]] };
            GlobalArray::<f64, _>::zeros_irregular(rt, 8, &starts)
        },
    );
    t.one_rank_wrong(
        "with_distribution for other ranks",
        InvalidDistribution,
        "rank",
        |w| {
            let dist =
                gain::Distribution::regular(&[8], if w { rt.size() + 1 } else { rt.size() }, None)?;
            GlobalArray::<f64, ndarray::Ix1>::with_distribution(rt, dist)
        },
    );
    t.one_rank_wrong(
        "numpy::full with another shape",
        InconsistentArguments,
        "shapes",
        |w| numpy::full(rt, if w { 7 } else { 6 }, 1.0f64),
    );
    t.one_rank_wrong(
        "from_array with other data",
        InconsistentArguments,
        "data",
        |w| {
            let mut a = Array1::<i64>::zeros(9);
            if w {
                a[4] = 1;
            }
            numpy::from_array(rt, &a)
        },
    );
    t.one_rank_wrong(
        "scatter from another root",
        InconsistentArguments,
        "roots",
        |w| {
            let data = Array1::<f64>::zeros(4);
            let root = if w && rt.size() > 1 { 1 } else { 0 };
            let held = (rt.rank() == root).then(|| data.view());
            numpy::scatter(rt, root, held)
        },
    );
    t.one_rank_wrong("arange with step 0", InvalidArgument, "rank", |w| {
        numpy::arange(rt, 0i64, 10, if w { 0 } else { 1 })
    });
    t.one_rank_wrong(
        "arange with another stop",
        InconsistentArguments,
        "ranges",
        |w| numpy::arange(rt, 0i64, if w { 11 } else { 10 }, 1),
    );
    let mut a = numpy::zeros::<f64, _>(rt, [6, 4]).unwrap();
    t.one_rank_wrong(
        "assign of a wrong-shape ndarray",
        ShapeMismatch,
        "rank",
        |w| {
            let src = if w {
                Array2::<f64>::ones((3, 3))
            } else {
                Array2::<f64>::ones((6, 4))
            };
            a.assign(&src)
        },
    );
    t.one_rank_wrong(
        "a view assign with a wrong-shape row",
        ShapeMismatch,
        "rank",
        |w| {
            let row = Array1::<f64>::ones(if w { 5 } else { 4 });
            a.slice_mut(s![1..3, ..])?.assign(&row)
        },
    );
    t.one_rank_wrong(
        "a Zip with a wrong-shape input",
        ShapeMismatch,
        "rank",
        |w| {
            let col = Array2::<f64>::ones(if w { (5, 1) } else { (6, 1) });
            Zip::from(&mut a).and(&col).for_each(|x, &c| *x += c)
        },
    );
    t.one_rank_wrong(
        "a sum over a wrong-shape ndarray operand",
        ShapeMismatch,
        "rank",
        |w| {
            let row = Array1::<f64>::ones(if w { 3 } else { 4 });
            (&a + &row).sum()
        },
    );
    t.one_rank_wrong(
        "sum_axis along another axis",
        InconsistentArguments,
        "axes",
        |w| a.sum_axis(Axis(if w { 1 } else { 0 })).map(drop),
    );
    t.one_rank_wrong(
        "cumsum along an axis out of range",
        DimensionMismatch,
        "rank",
        |w| a.cumsum(Axis(if w { 5 } else { 0 })).map(drop),
    );
    t.one_rank_wrong(
        "a reduction of views of other shapes",
        InconsistentArguments,
        "expression shapes",
        |w| {
            let v = a.slice(if w { s![..2, ..] } else { s![..3, ..] })?;
            v.sum()
        },
    );
    t.one_rank_wrong("k-means with another k", InconsistentArguments, "k", |w| {
        let pts = gain::random::uniform(rt, [40, 2], 3)?;
        gain::cluster::KMeans::new(if w { 3 } else { 2 })
            .max_iter(2)
            .fit(&pts)
    });
    // The array is untouched by all of the above.
    assert_eq!(a.sum().unwrap(), 0.0);
    rt.comm().barrier();
    if rt.rank() == 0 {
        println!(
            "bad inputs tried: {} (bad_input_one_rank_wrong_argument)",
            t.tried
        );
    }
    let _ = IxDyn(&[0]);
}
