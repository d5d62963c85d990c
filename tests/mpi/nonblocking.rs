//! Non-blocking puts and accumulates (`nb_scope`, `put_nb`, `acc_nb`) and
//! `NbGet::test`, against the serial ndarray model: many handles in flight
//! at once, completed in random order by `wait`, polling `test`, drop or
//! `mem::forget`; the ordering of one rank's own operations; exact
//! accumulates under contention; threads; bad input.

use gain::{Element, ErrorKind, GlobalArray, MapMode, NbScope, Runtime, Section};
use ndarray::{ArrayD, Ix1, IxDyn, ShapeBuilder};

use crate::io::Scratch;
use crate::model::{Rng, random_array, slice_of};
use crate::registry::{Case, case};

/// The non-blocking cases, with the tags that say which configurations
/// run them (`registry::Tag`).
pub const CASES: &[Case] = &[
    case!(nb_one_writer_in_order::<i64>; Light, Roundtrip, Rma, Hosts),
    case!(nb_one_writer_in_order::<f64>; Light, Roundtrip, Rma, Hosts),
    case!(nb_acc_contention::<i64>; Light, Roundtrip, Rma, Hosts),
    case!(nb_acc_contention::<f32>; Light, Rma),
    case!(nb_forgotten_handles; Light, Roundtrip, Rma),
    case!(nb_threads; Threads, Light),
    case!(nb_bad_input; Light, Rma),
];

/// How many operations one scope leaves in flight.
const IN_FLIGHT: usize = 64;

/// A non-blocking handle of either kind, for completing them alike.
enum Handle<'s, T: Element> {
    Put(gain::NbPut<'s, T>),
    Acc(gain::NbAcc<'s, T>),
}

impl<T: Element> Handle<'_, T> {
    fn test(&mut self) -> bool {
        match self {
            Handle::Put(h) => h.test().unwrap(),
            Handle::Acc(h) => h.test().unwrap(),
        }
    }
    fn wait(self) {
        match self {
            Handle::Put(h) => h.wait().unwrap(),
            Handle::Acc(h) => h.wait().unwrap(),
        }
    }
}

/// Completes `handles` in an order drawn from `rng`, each by `wait`, by
/// polling `test` until true (then once more, still true), or by drop.
fn complete_randomly<T: Element>(rng: &mut Rng, mut handles: Vec<Handle<'_, T>>) {
    while !handles.is_empty() {
        let mut h = handles.swap_remove(rng.below(handles.len()));
        match rng.below(3) {
            0 => h.wait(),
            1 => {
                while !h.test() {}
                assert!(h.test(), "test after true");
            }
            _ => drop(h),
        }
    }
}

/// The operations of one writer's scope: the section, the source, and
/// `Some(alpha)` for an accumulate, `None` for a put.
type Op<T> = (Section, ArrayD<T>, Option<T>);

fn draw_ops<T: Element>(rng: &mut Rng, shape: &[usize], puts: bool) -> Vec<Op<T>> {
    (0..IN_FLIGHT)
        .map(|_| {
            let sec = rng.section(shape);
            let data = rng.data::<T>(&sec.shape());
            let data = layout(rng, data);
            let alpha = if puts && rng.below(2) == 0 {
                None
            } else {
                Some(T::from(1 + rng.below(3)).unwrap())
            };
            (sec, data, alpha)
        })
        .collect()
}

/// `data` in a memory layout drawn from `rng`: as it is (one run), in
/// Fortran order (strided, sent with derived datatypes), or with its first
/// axis inverted (a negative stride: packed into a copy the handle keeps).
fn layout<T: Element>(rng: &mut Rng, data: ArrayD<T>) -> ArrayD<T> {
    match rng.below(3) {
        0 => data,
        1 => {
            let mut f = ArrayD::<T>::zeros(IxDyn(data.shape()).f());
            f.assign(&data);
            f
        }
        _ => {
            let mut inverted = data;
            inverted.invert_axis(ndarray::Axis(0));
            inverted
        }
    }
}

fn apply<T: Element>(model: &mut ArrayD<T>, (sec, data, alpha): &Op<T>) {
    let mut m = model.slice_mut(slice_of(sec).as_slice());
    match alpha {
        None => m.assign(data),
        Some(a) => m.zip_mut_with(data, |x, &y| *x = *x + *a * y),
    }
}

fn issue<'s, T: Element>(nb: NbScope<'s, '_, T, IxDyn>, op: &'s Op<T>) -> Handle<'s, T> {
    let (sec, data, alpha) = op;
    match alpha {
        None => Handle::Put(nb.put_nb(sec, data).unwrap()),
        Some(a) => Handle::Acc(nb.acc_nb(sec, data, *a).unwrap()),
    }
}

/// Each rank in turn leaves 64 puts and accumulates to random, overlapping
/// sections in flight, reads the array back before completing them (its
/// own operations take effect in issue order, so a get sees them all),
/// completes them in random order, and reads again; meanwhile a
/// non-blocking get of the whole array is polled with `test`. Every rank
/// then checks the whole array against the model after a sync.
fn nb_one_writer_in_order<T: Element>(rt: &Runtime) {
    let mut rng = Rng::new(0x6e62);
    for ndim in 1..=3 {
        let ga = random_array::<T>(rt, &mut rng, ndim);
        let shape = ga.shape().to_vec();
        let mut model = ArrayD::<T>::zeros(IxDyn(&shape));
        for writer in 0..rt.size() {
            let ops = draw_ops::<T>(&mut rng, &shape, true);
            for op in &ops {
                apply(&mut model, op);
            }
            let mut order = Rng::new(rng.next());
            if writer == rt.rank() {
                ga.nb_scope(|nb| {
                    let handles: Vec<_> = ops.iter().map(|op| issue(nb, op)).collect();
                    assert_eq!(ga.get(..).unwrap(), model, "own ops before waiting");
                    complete_randomly(&mut order, handles);
                    assert_eq!(ga.get(..).unwrap(), model, "own ops after waiting");
                });
            }
            ga.sync().unwrap();
            let mut whole = ga.get_nb(..).unwrap();
            while !whole.test().unwrap() {}
            assert!(whole.test().unwrap());
            assert_eq!(
                whole.wait().unwrap(),
                model,
                "{shape:?} after writer {writer}"
            );
            ga.sync().unwrap();
        }
    }
}

/// Every rank leaves 64 accumulates with random scales in flight into
/// random sections (half of them the whole array, so every pair of ranks
/// collides), completes them in random order; the sums are exact.
fn nb_acc_contention<T: Element>(rt: &Runtime) {
    let mut rng = Rng::new(0xacc);
    for ndim in 1..=3 {
        let ga = random_array::<T>(rt, &mut rng, ndim);
        let shape = ga.shape().to_vec();
        let mut model = ArrayD::<T>::zeros(IxDyn(&shape));
        let mut mine = Vec::new();
        for r in 0..rt.size() {
            let mut ops = draw_ops::<T>(&mut rng, &shape, false);
            for (i, op) in ops.iter_mut().enumerate() {
                if i % 2 == 0 {
                    op.0 = Section::full(&shape);
                    let data = rng.data::<T>(&shape);
                    op.1 = layout(&mut rng, data);
                }
                apply(&mut model, op);
            }
            if r == rt.rank() {
                mine = ops;
            }
        }
        let mut order = Rng::new(rng.next() + rt.rank() as u64);
        ga.nb_scope(|nb| {
            let handles: Vec<_> = mine.iter().map(|op| issue(nb, op)).collect();
            complete_randomly(&mut order, handles);
        });
        ga.sync().unwrap();
        assert_eq!(ga.get(..).unwrap(), model, "acc_nb into {shape:?}");
        ga.sync().unwrap();
    }
}

/// Handles forgotten with `mem::forget` skip their wait; the scope's end
/// completes their transfers, so the sources may be reused after it and
/// the data arrives.
fn nb_forgotten_handles(rt: &Runtime) {
    let np = rt.size();
    let ga = GlobalArray::<i64, Ix1>::zeros(rt, 16 * np).unwrap();
    let mut src: Vec<i64> = (0..16 * np as i64).collect();
    ga.nb_scope(|nb| {
        for r in 0..np {
            // Into every block, each rank's own range at a different scale.
            let a = (rt.rank() + 1) as i64;
            std::mem::forget(nb.acc_nb(16 * r..16 * r + 16, &src[16 * r..16 * r + 16], a));
        }
    });
    src.fill(-1); // reusable: the scope completed the forgotten transfers
    ga.sync().unwrap();
    let scale: i64 = (1..=np as i64).sum();
    let want: Vec<i64> = (0..16 * np as i64).map(|i| i * scale).collect();
    assert_eq!(ga.get(..).unwrap().to_vec(), want);
    assert!(src.iter().all(|&x| x == -1));
}

/// Two threads per rank, each with its own scope and handles in flight,
/// plus a scope shared by both threads: integer accumulates add up exactly
/// and each thread reads back its own puts.
fn nb_threads(rt: &Runtime) {
    let (np, me) = (rt.size(), rt.rank());
    let threads = 2;
    let n = 41 * np + 7;
    let sums = GlobalArray::<i64, Ix1>::zeros(rt, n).unwrap();
    let rows = GlobalArray::<i64, ndarray::Ix2>::zeros(rt, [np * threads, 24]).unwrap();
    let ones = ndarray::Array1::<i64>::ones(n);
    sums.nb_scope(|shared| {
        std::thread::scope(|scope| {
            for t in 0..threads {
                let (sums, rows, ones) = (&sums, &rows, &ones);
                scope.spawn(move || {
                    let mut rng = Rng::new((me * threads + t) as u64);
                    let row = me * threads + t;
                    for round in 0..20 {
                        let vals = ndarray::Array2::from_elem((1, 24), (round * 100 + row) as i64);
                        sums.nb_scope(|nb| {
                            let mut hs = Vec::new();
                            for _ in 0..8 {
                                let lo = rng.below(n);
                                let hi = lo + 1 + rng.below(n - lo);
                                hs.push(Handle::Acc(
                                    nb.acc_nb(
                                        lo..hi,
                                        ones.slice(ndarray::s![lo..hi]),
                                        (me + 1) as i64,
                                    )
                                    .unwrap(),
                                ));
                            }
                            // One more through the scope both threads share.
                            let lo = rng.below(n);
                            let h = shared
                                .acc_nb(lo..lo + 1, ones.slice(ndarray::s![..1]), (me + 1) as i64)
                                .unwrap();
                            rows.nb_scope(|rnb| {
                                rnb.put_nb([row..row + 1, 0..24], &vals)
                                    .unwrap()
                                    .wait()
                                    .unwrap();
                            });
                            assert_eq!(rows.get([row..row + 1, 0..24]).unwrap(), vals);
                            complete_randomly(&mut rng, hs);
                            h.wait().unwrap();
                        });
                    }
                });
            }
        });
    });
    sums.sync().unwrap();
    let mut want = vec![0i64; n];
    for r in 0..np {
        for t in 0..threads {
            let mut rng = Rng::new((r * threads + t) as u64);
            for _ in 0..20 {
                for _ in 0..8 {
                    let lo = rng.below(n);
                    let hi = lo + 1 + rng.below(n - lo);
                    want[lo..hi].iter_mut().for_each(|w| *w += (r + 1) as i64);
                }
                want[rng.below(n)] += (r + 1) as i64;
                // complete_randomly's draws: one order draw and one mode
                // draw per handle.
                for k in (1..=8).rev() {
                    rng.below(k);
                    rng.below(3);
                }
            }
        }
    }
    assert_eq!(sums.get(..).unwrap().to_vec(), want);
}

/// Bad arguments are typed errors on every rank before anything is
/// written or sent: a section out of bounds, a source of the wrong shape,
/// a section of the wrong dimensionality, a write into a block this
/// process views (the array stays zero), a write into an array mapped
/// read-only.
fn nb_bad_input(rt: &Runtime) {
    let ga = GlobalArray::<f64, ndarray::Ix2>::zeros(rt, [4 * rt.size(), 3]).unwrap();
    let src = ndarray::Array2::<f64>::ones((2, 3));
    let wrong = ndarray::Array2::<f64>::ones((3, 2));
    let kind = |r: gain::Result<()>| r.unwrap_err().kind();
    ga.nb_scope(|nb| {
        let oob = [4 * rt.size() - 1..4 * rt.size() + 1, 0..3];
        assert_eq!(
            kind(nb.put_nb(oob.clone(), &src).map(drop)),
            ErrorKind::OutOfBounds
        );
        assert_eq!(
            kind(nb.acc_nb(oob, &src, 1.0).map(drop)),
            ErrorKind::OutOfBounds
        );
        assert_eq!(
            kind(nb.put_nb([0..2, 0..3], &wrong).map(drop)),
            ErrorKind::ShapeMismatch
        );
        assert_eq!(
            kind(nb.acc_nb([0..2, 0..3], &wrong, 1.0).map(drop)),
            ErrorKind::ShapeMismatch
        );
        // Viewing its own block: a write touching it is refused whole,
        // including the part in the next rank's block.
        let mine = ga.distribution(rt.rank()).unwrap();
        let view = ga.local();
        let hi = (mine.hi()[0] + 1).min(4 * rt.size());
        let lo = hi - 2;
        assert_eq!(
            kind(nb.put_nb([lo..hi, 0..3], &src).map(drop)),
            ErrorKind::Borrowed
        );
        assert_eq!(
            kind(nb.acc_nb([lo..hi, 0..3], &src, 1.0).map(drop)),
            ErrorKind::Borrowed
        );
        drop(view);
        // A section of the wrong dimensionality.
        assert_eq!(
            kind(nb.put_nb([0..2, 0..3, 0..1], &src).map(drop)),
            ErrorKind::DimensionMismatch
        );
        assert_eq!(
            kind(nb.acc_nb([0..2, 0..3, 0..1], &src, 1.0).map(drop)),
            ErrorKind::DimensionMismatch
        );
    });
    ga.sync().unwrap();
    assert_eq!(ga.get(..).unwrap().sum(), 0.0);

    // An array mapped read-only from its file.
    let scratch = Scratch::new(rt, "nb-ro");
    let path = scratch.path("ro.npy");
    drop(gain::io::create_npy::<f64, _>(rt, &path, [4 * rt.size(), 3]).unwrap());
    let ro = GlobalArray::<f64, ndarray::Ix2>::map_npy(rt, &path, MapMode::ReadOnly).unwrap();
    let whole = ndarray::Array2::<f64>::ones((4 * rt.size(), 3));
    ro.nb_scope(|nb| {
        assert_eq!(
            kind(nb.put_nb([0..2, 0..3], &src).map(drop)),
            ErrorKind::ReadOnly
        );
        assert_eq!(
            kind(nb.acc_nb(.., &whole, 1.0).map(drop)),
            ErrorKind::ReadOnly
        );
    });
    drop(ro);
    scratch.finish(rt);
}
