//! Element gathers and scatters (`gather_elements`, `scatter_elements`,
//! `scatter_acc_elements`) against a serial ndarray model: random shapes
//! of 1 to 4 dimensions and distributions, random index lists (empty, on
//! one owner, spread over every owner, with repeats), every rank calling;
//! accumulates from every rank (and two threads of each) into the same
//! elements, exact; and bad lists, an error on the calling rank alone.

use gain::{Element, ErrorKind, GlobalArray, Runtime, Section};
use ndarray::{ArrayD, IxDyn};
use num_traits::ToPrimitive;

use crate::model::{Rng, random_array};
use crate::registry::{Case, case};

/// The element cases, with the tags that say which configurations run
/// them (`registry::Tag`).
pub const CASES: &[Case] = &[
    case!(elements_roundtrip::<i32>; Light, Roundtrip, Rma, Hosts),
    case!(elements_roundtrip::<i64>; Light, Roundtrip, Rma, Hosts),
    case!(elements_roundtrip::<f64>; Light, Roundtrip, Rma, Hosts),
    case!(elements_roundtrip::<u8>; Light, Roundtrip, Rma, Hosts),
    case!(elements_acc_contention::<i32>; Light, Roundtrip, Rma, Hosts),
    case!(elements_acc_contention::<i64>; Light, Roundtrip, Rma, Hosts),
    case!(elements_acc_contention::<f64>; Light, Roundtrip, Rma, Hosts),
    case!(elements_acc_contention::<u8>; Light, Roundtrip, Rma, Hosts),
    case!(elements_acc_wraps::<u8>; Light, Wraps),
    case!(elements_acc_wraps::<i32>; Light, Wraps),
    case!(elements_acc_wraps::<u32>; Light, Wraps),
    case!(elements_threads_acc; Threads),
    case!(elements_bad_input; Light, Rma),
    case!(elements_ghosts::<f64>; Light, Rma, Hosts),
    case!(elements_ghosts::<i64>; Light, Rma, Hosts),
];

/// A random index list of `ga`: empty, all on one owner's block, or spread
/// over the whole array, with repeats of earlier entries one time in two.
fn random_list<T: Element>(
    rng: &mut Rng,
    ga: &GlobalArray<T, IxDyn>,
    np: usize,
) -> Vec<Vec<usize>> {
    let shape = ga.shape().to_vec();
    let len = rng.below(40);
    let mut list: Vec<Vec<usize>> = match rng.below(6) {
        0 => Vec::new(),
        1 => {
            let owners: Vec<Section> = (0..np).filter_map(|r| ga.distribution(r)).collect();
            let b = &owners[rng.below(owners.len())];
            (0..len)
                .map(|_| {
                    (0..shape.len())
                        .map(|d| b.lo()[d] + rng.below(b.hi()[d] - b.lo()[d]))
                        .collect()
                })
                .collect()
        }
        _ => (0..len)
            .map(|_| shape.iter().map(|&n| rng.below(n)).collect())
            .collect(),
    };
    if !list.is_empty() && rng.below(2) == 0 {
        for _ in 0..rng.below(2 * list.len()) {
            let again = list[rng.below(list.len())].clone();
            let at = rng.below(list.len() + 1);
            list.insert(at, again);
        }
    }
    list
}

/// Row-major position of `index` in `shape`.
fn linear(shape: &[usize], index: &[usize]) -> usize {
    index.iter().zip(shape).fold(0, |a, (&i, &n)| a * n + i)
}

/// Every rank gathers random lists of a random array, then every rank
/// scatters a list of the elements it alone writes (row-major position
/// modulo the rank count), with repeats: the last value wins.
fn elements_roundtrip<T: Element>(rt: &Runtime) {
    let (np, me) = (rt.size(), rt.rank());
    let mut rng = Rng::new(41);
    for round in 0..16 {
        let ga = random_array::<T>(rt, &mut rng, 1 + round % 4);
        let shape = ga.shape().to_vec();
        let mut model = rng.data::<T>(&shape);
        if me == 0 {
            ga.put(Section::full(&shape), model.view()).unwrap();
        }
        ga.sync().unwrap();
        for r in 0..np {
            let list = random_list(&mut rng, &ga, np);
            if r != me {
                continue;
            }
            let want: Vec<T> = list.iter().map(|i| model[i.as_slice()]).collect();
            assert_eq!(
                ga.gather_elements(&list).unwrap(),
                want,
                "gather {list:?} of {shape:?}"
            );
            let mut out = vec![T::zero(); list.len()];
            ga.gather_elements_into(&list, &mut out).unwrap();
            assert_eq!(out, want, "gather_into {list:?}");
            if shape.len() == 2 {
                // Fixed-size index arrays, as a user writes them.
                let pairs: Vec<[usize; 2]> = list.iter().map(|i| [i[0], i[1]]).collect();
                assert_eq!(ga.gather_elements(&pairs).unwrap(), want);
            }
        }
        ga.sync().unwrap();
        for r in 0..np {
            let list: Vec<Vec<usize>> = random_list(&mut rng, &ga, np)
                .into_iter()
                .filter(|i| linear(&shape, i) % np == r)
                .collect();
            let values: Vec<T> = (0..list.len())
                .map(|_| T::from(rng.below(100)).unwrap())
                .collect();
            for (i, &v) in list.iter().zip(&values) {
                model[i.as_slice()] = v;
            }
            if r == me {
                ga.scatter_elements(&list, &values).unwrap();
            }
        }
        ga.sync().unwrap();
        assert_eq!(
            ga.get(Section::full(&shape)).unwrap(),
            model,
            "scatter into {shape:?} (round {round})"
        );
    }
}

/// Every rank accumulates random lists with repeats into the same random
/// array many times; the sums must be exact (integer values, also in
/// `f64`; `u8` sums stay below 256).
fn elements_acc_contention<T: Element>(rt: &Runtime) {
    let (np, me) = (rt.size(), rt.rank());
    let small = size_of::<T>() == 1;
    let mut rng = Rng::new(77);
    for round in 0..12 {
        let ga = random_array::<T>(rt, &mut rng, 1 + round % 4);
        let shape = ga.shape().to_vec();
        let mut model = ArrayD::<T>::zeros(IxDyn(&shape));
        let iters = if small { 2 } else { 6 };
        for r in 0..np {
            for _ in 0..iters {
                let mut list = random_list(&mut rng, &ga, np);
                if small {
                    list.truncate(15);
                }
                let values: Vec<T> = (0..list.len())
                    .map(|_| T::from(rng.below(if small { 2 } else { 100 })).unwrap())
                    .collect();
                let alpha = T::from(if small { 1 } else { 1 + rng.below(3) }).unwrap();
                for (i, &v) in list.iter().zip(&values) {
                    let m = &mut model[i.as_slice()];
                    *m = *m + alpha * v;
                }
                if r == me {
                    ga.scatter_acc_elements(&list, &values, alpha).unwrap();
                }
            }
        }
        ga.sync().unwrap();
        assert_eq!(
            ga.get(Section::full(&shape)).unwrap(),
            model,
            "scatter_acc into {shape:?} (round {round})"
        );
    }
}

/// Arrays with ghost cells (blocks stored padded): long random lists
/// (past the single-node gather's chunk of 64) gathered, scattered and
/// accumulated by every rank in turn, against the model; the ghost cells
/// stay out of it.
fn elements_ghosts<T: Element>(rt: &Runtime) {
    let (np, me) = (rt.size(), rt.rank());
    let mut rng = Rng::new(93);
    for round in 0..8 {
        let ndim = 1 + round % 3;
        // At least 8 along each axis: blocks as wide as the widths (up to 2)
        // on up to 4 ranks.
        let shape: Vec<usize> = (0..ndim).map(|_| 8 + rng.below(6)).collect();
        let widths: Vec<usize> = (0..ndim).map(|_| rng.below(3)).collect();
        let periodic: Vec<bool> = (0..ndim).map(|_| rng.below(2) == 0).collect();
        let ga = GlobalArray::<T, IxDyn>::zeros_with_ghosts(rt, IxDyn(&shape), &widths, &periodic)
            .unwrap();
        let mut model = rng.data::<T>(&shape);
        if me == 0 {
            ga.put(Section::full(&shape), model.view()).unwrap();
        }
        ga.sync().unwrap();
        let random = |rng: &mut Rng| -> Vec<Vec<usize>> {
            (0..rng.below(300))
                .map(|_| shape.iter().map(|&n| rng.below(n)).collect())
                .collect()
        };
        for r in 0..np {
            let list = random(&mut rng);
            if r == me {
                let want: Vec<T> = list.iter().map(|i| model[i.as_slice()]).collect();
                assert_eq!(
                    ga.gather_elements(&list).unwrap(),
                    want,
                    "{shape:?} {widths:?}"
                );
            }
        }
        ga.sync().unwrap();
        for r in 0..np {
            let list: Vec<Vec<usize>> = random(&mut rng)
                .into_iter()
                .filter(|i| linear(&shape, i) % np == r)
                .collect();
            let values: Vec<T> = (0..list.len())
                .map(|_| T::from(rng.below(100)).unwrap())
                .collect();
            for (i, &v) in list.iter().zip(&values) {
                model[i.as_slice()] = v;
            }
            if r == me {
                ga.scatter_elements(&list, &values).unwrap();
            }
        }
        ga.sync().unwrap();
        for r in 0..np {
            let list = random(&mut rng);
            let values: Vec<T> = (0..list.len())
                .map(|_| T::from(rng.below(10)).unwrap())
                .collect();
            for (i, &v) in list.iter().zip(&values) {
                let m = &mut model[i.as_slice()];
                *m = *m + T::from(2).unwrap() * v;
            }
            if r == me {
                ga.scatter_acc_elements(&list, &values, T::from(2).unwrap())
                    .unwrap();
            }
        }
        ga.sync().unwrap();
        assert_eq!(
            ga.get(Section::full(&shape)).unwrap(),
            model,
            "{shape:?} {widths:?} (round {round})"
        );
    }
}

/// Integer element accumulates that overflow wrap, repeats included (their
/// wrapping sum is added once): values over the whole range of `T`,
/// `alpha` sometimes negative; the expected result is the exact sum in
/// `i128` reduced modulo 2^bits. As `rma::acc_overflow_wraps`, 8-bit sums
/// across nodes under Open MPI with its AVX reductions on are left to
/// `np3_remote_op_no_avx` (open-mpi/ompi#8045).
fn elements_acc_wraps<T: Element + ToPrimitive>(rt: &Runtime) {
    let open_mpi = Runtime::mpi_library_version().contains("Open MPI");
    let avx_off = std::env::var("OMPI_MCA_op").is_ok_and(|v| v.contains("^avx"));
    if size_of::<T>() < 4 && rt.spans_nodes() && open_mpi && !avx_off {
        if rt.rank() == 0 {
            println!(
                "elements_acc_wraps::<{}>: not checked across nodes here (Open MPI's op/avx, \
                 open-mpi/ompi#8045); np3_remote_op_no_avx checks it",
                std::any::type_name::<T>()
            );
        }
        return;
    }
    let shape = [6usize, 5];
    let ga = GlobalArray::<T, IxDyn>::zeros(rt, IxDyn(&shape)).unwrap();
    let mut rng = Rng::new(99);
    let full_range = |rng: &mut Rng| T::wrapping_from_i64(rng.next() as i64);
    let mut exact = ArrayD::<i128>::zeros(IxDyn(&shape));
    for r in 0..rt.size() {
        for _ in 0..4 {
            let n = 1 + rng.below(40);
            let mut list: Vec<[usize; 2]> = (0..n)
                .map(|_| [rng.below(shape[0]), rng.below(shape[1])])
                .collect();
            list.extend_from_within(..n / 2);
            let values: Vec<T> = (0..list.len()).map(|_| full_range(&mut rng)).collect();
            let alpha = T::wrapping_from_i64(rng.below(9) as i64 - 4);
            let a = alpha.to_i128().unwrap();
            for (i, v) in list.iter().zip(&values) {
                exact[&i[..]] += a * v.to_i128().unwrap();
            }
            if r == rt.rank() {
                ga.scatter_acc_elements(&list, &values, alpha).unwrap();
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
    let want = exact.mapv(|x| T::wrapping_from_i64(x as i64));
    assert_eq!(ga.get(Section::full(&shape)).unwrap(), want);
}

/// Two threads of every rank accumulate random lists with repeats into
/// one array and gather from another at once; exact sums.
fn elements_threads_acc(rt: &Runtime) {
    let (np, me, threads) = (rt.size(), rt.rank(), 2);
    let shape = [7 * np + 3, 5];
    let sums = GlobalArray::<i64, IxDyn>::zeros(rt, IxDyn(&shape)).unwrap();
    let mut fixed = GlobalArray::<i64, IxDyn>::zeros(rt, IxDyn(&shape)).unwrap();
    let data = ArrayD::from_shape_fn(IxDyn(&shape), |i| (i[0] * 10 + i[1]) as i64);
    if let Some(b) = fixed.distribution(me) {
        let mine = data.slice(crate::model::slice_of(&b).as_slice()).to_owned();
        fixed.local_mut().assign(&mine);
    }
    fixed.sync().unwrap();
    let lists = |r: usize, t: usize| {
        let mut rng = Rng::new((1000 + r * threads + t) as u64);
        (0..40)
            .map(|_| {
                let n = 1 + rng.below(30);
                let mut list: Vec<[usize; 2]> = (0..n)
                    .map(|_| [rng.below(shape[0]), rng.below(shape[1])])
                    .collect();
                list.extend_from_within(..n / 2);
                let values: Vec<i64> = (0..list.len()).map(|_| rng.below(50) as i64).collect();
                (list, values)
            })
            .collect::<Vec<_>>()
    };
    std::thread::scope(|scope| {
        for t in 0..threads {
            let (sums, fixed, data, lists) = (&sums, &fixed, &data, &lists);
            scope.spawn(move || {
                for (list, values) in lists(me, t) {
                    sums.scatter_acc_elements(&list, &values, 1).unwrap();
                    let got = fixed.gather_elements(&list).unwrap();
                    let want: Vec<i64> = list.iter().map(|i| data[&i[..]]).collect();
                    assert_eq!(got, want);
                }
            });
        }
    });
    sums.sync().unwrap();
    let mut model = ArrayD::<i64>::zeros(IxDyn(&shape));
    for r in 0..np {
        for t in 0..threads {
            for (list, values) in lists(r, t) {
                for (i, v) in list.iter().zip(values) {
                    model[&i[..]] += v;
                }
            }
        }
    }
    assert_eq!(sums.get(Section::full(&shape)).unwrap(), model);
}

/// Bad lists: an error on the calling rank alone (the calls are
/// one-sided), before anything is written; the other ranks' calls succeed.
fn elements_bad_input(rt: &Runtime) {
    let (np, me) = (rt.size(), rt.rank());
    let last = me == np - 1;
    let ga = GlobalArray::<i32, IxDyn>::zeros(rt, IxDyn(&[5, 7])).unwrap();
    let expect = |what: &str, r: gain::Result<()>, kind: ErrorKind, text: &str| {
        let e = r.expect_err(what);
        assert_eq!(e.kind(), kind, "{what}: {e}");
        assert_eq!(e.rank(), Some(me), "{what}: {e}");
        assert!(
            e.to_string().contains(text),
            "{what}: {e} should say {text:?}"
        );
    };
    // Out of bounds in the last rank's list only, at position 2.
    let list: Vec<Vec<usize>> = if last {
        vec![vec![0, 0], vec![4, 6], vec![5, 0], vec![1, 1]]
    } else {
        vec![vec![0, 0], vec![4, 6], vec![3, 3], vec![1, 1]]
    };
    let values = [1, 2, 3, 4];
    // Each call then a sync: the good ranks' puts and accumulates must
    // not race with each other.
    let calls: [(&str, &dyn Fn() -> gain::Result<()>); 3] = [
        ("gather", &|| ga.gather_elements(&list).map(|_| ())),
        ("scatter", &|| ga.scatter_elements(&list, &values)),
        ("scatter_acc", &|| {
            ga.scatter_acc_elements(&list, &values, 1)
        }),
    ];
    for (what, call) in calls {
        let r = call();
        if last {
            expect(
                what,
                r,
                ErrorKind::OutOfBounds,
                "index 2 of the list, [5, 0]",
            );
        } else {
            r.unwrap_or_else(|e| panic!("{what} on a good rank: {e}"));
        }
        ga.sync().unwrap();
    }
    // Each good rank stored the values, then added them: v * (1 + good
    // ranks); the bad rank wrote nothing.
    let good = np as i32 - 1;
    let want: Vec<i32> = if good == 0 {
        vec![0; 4]
    } else {
        values.iter().map(|v| v * (1 + good)).collect()
    };
    let ok_list = [[0, 0], [4, 6], [3, 3], [1, 1]];
    assert_eq!(ga.gather_elements(&ok_list).unwrap(), want);
    ga.sync().unwrap();
    let before = ga.get(Section::full(&[5, 7])).unwrap();
    // Wrong index length, at position 1.
    let short: Vec<Vec<usize>> = vec![vec![0, 0], vec![3], vec![1, 1]];
    let text = "index 1 of the list, [3], has 1 dimensions";
    expect(
        "short gather",
        ga.gather_elements(&short).map(|_| ()),
        ErrorKind::DimensionMismatch,
        text,
    );
    expect(
        "short scatter",
        ga.scatter_elements(&short, &[1, 2, 3]),
        ErrorKind::DimensionMismatch,
        text,
    );
    expect(
        "long acc",
        ga.scatter_acc_elements(&[[0, 0, 0]], &[1], 1),
        ErrorKind::DimensionMismatch,
        "index 0",
    );
    // Values or output of the wrong length.
    expect(
        "values",
        ga.scatter_elements(&ok_list, &[1, 2, 3]),
        ErrorKind::ShapeMismatch,
        "3 values",
    );
    expect(
        "acc values",
        ga.scatter_acc_elements(&ok_list, &[1; 5], 1),
        ErrorKind::ShapeMismatch,
        "5 values",
    );
    let mut out = [0; 3];
    expect(
        "out",
        ga.gather_elements_into(&ok_list, &mut out),
        ErrorKind::ShapeMismatch,
        "3 slots",
    );
    // A write into the rank's own block while it views it.
    if let Some(b) = ga.distribution(me) {
        let view = ga.local();
        let own = [b.lo().to_vec()];
        expect(
            "borrowed",
            ga.scatter_elements(&own, &[9]),
            ErrorKind::Borrowed,
            "viewed",
        );
        expect(
            "borrowed acc",
            ga.scatter_acc_elements(&own, &[9], 1),
            ErrorKind::Borrowed,
            "viewed",
        );
        drop(view);
    }
    // An empty list is no error.
    ga.scatter_elements::<[usize; 2]>(&[], &[]).unwrap();
    assert!(ga.gather_elements::<Vec<usize>>(&[]).unwrap().is_empty());
    ga.sync().unwrap();
    assert_eq!(ga.get(Section::full(&[5, 7])).unwrap(), before);
}
