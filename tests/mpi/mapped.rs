//! File-backed arrays (`GlobalArray::map_npy`, `io::create_npy`) against a
//! serial ndarray model every rank keeps, and against the file itself,
//! read back with `ndarray-npy` on rank 0: read-write use through every
//! path (get, put, acc, read_inc, local views, the NumPy layer) persisting
//! through `flush`; read-only mappings refusing every write path with
//! `ReadOnly` and leaving the file's bytes alone; bad files and paths as
//! typed errors on every rank.

use std::path::Path;

use gain::numpy::{self, Zip};
use gain::{Element, ErrorKind, GlobalArray, MapMode, Runtime, Section, io, linalg, random};
use mpi::traits::*;
use ndarray::{ArrayD, ArrayViewD, ArrayViewMutD, Ix1, Ix2, Ix3, IxDyn, ShapeBuilder, Slice};

use crate::bad_input::Tally;
use crate::io::Scratch;
use crate::model::Rng;
use crate::registry::{Case, case};

/// The file-backed cases, with the tags that say which configurations run
/// them (`registry::Tag`).
pub const CASES: &[Case] = &[
    case!(file_backed_read_write_matches_the_model; Light),
    case!(file_backed_read_only_refuses_writes; Light),
    case!(file_backed_bad_input; Light),
];

/// The element types the cases write with `ndarray-npy` and read back.
trait Npy: Element + ndarray_npy::ReadableElement {}
impl<T: Element + ndarray_npy::ReadableElement> Npy for T {}

/// Rank 0 writes `model` to `path` with `ndarray-npy`; every rank waits.
fn write_file<T: Npy>(rt: &Runtime, path: &Path, model: &ArrayD<T>) {
    if rt.rank() == 0 {
        ndarray_npy::write_npy(path, model).unwrap();
    }
    rt.comm().barrier();
}

fn part<'a, T>(m: &'a ArrayD<T>, s: &Section) -> ArrayViewD<'a, T> {
    m.slice_each_axis(|ax| Slice::from(s.lo()[ax.axis.index()]..s.hi()[ax.axis.index()]))
}

fn part_mut<'a, T>(m: &'a mut ArrayD<T>, s: &Section) -> ArrayViewMutD<'a, T> {
    m.slice_each_axis_mut(|ax| Slice::from(s.lo()[ax.axis.index()]..s.hi()[ax.axis.index()]))
}

/// Maps files written by `ndarray-npy` and by `io::save_npy` read-write,
/// works on them through every path against the model, flushes, drops
/// the array and checks the file; then the same for `create_npy`, and an
/// empty array.
pub fn file_backed_read_write_matches_the_model(rt: &Runtime) {
    let scratch = Scratch::new(rt, "mapped-rw");
    let mut rng = Rng::new(41);
    let n = rt.size();
    read_write::<f64>(rt, &scratch, &mut rng, &[3 * n + 2, 5], false);
    read_write::<i64>(rt, &scratch, &mut rng, &[2 * n + 1, 3, 2], true);
    // Fewer rows than ranks: the last ranks own nothing.
    read_write::<i32>(rt, &scratch, &mut rng, &[(n - 1).max(1), 4], false);
    read_write::<f32>(rt, &scratch, &mut rng, &[4 * n + 3], true);
    created(rt, &scratch, &mut rng);
    // An empty array maps, and has nothing to read or write back.
    let path = scratch.path("empty.npy");
    write_file(rt, &path, &ArrayD::<f64>::zeros(IxDyn(&[0, 3])));
    let e = GlobalArray::<f64, Ix2>::map_npy(rt, &path, MapMode::ReadWrite).unwrap();
    assert_eq!(e.get(..).unwrap().shape(), &[0, 3]);
    assert!(e.distribution(rt.rank()).is_none());
    e.flush().unwrap();
    drop(e);
    scratch.finish(rt);
}

fn read_write<T: Npy>(
    rt: &Runtime,
    scratch: &Scratch,
    rng: &mut Rng,
    shape: &[usize],
    by_gain: bool,
) {
    let n = rt.size();
    let name = format!("{} {shape:?}", std::any::type_name::<T>());
    let path = scratch.path(&format!(
        "rw-{}-{}.npy",
        std::any::type_name::<T>(),
        shape.len()
    ));
    let mut model: ArrayD<T> = rng.data(shape);
    if by_gain {
        let g = numpy::from_array(rt, &model).unwrap();
        io::save_npy(&g, &path).unwrap();
    } else {
        write_file(rt, &path, &model);
    }
    let mut a = GlobalArray::<T, IxDyn>::map_npy(rt, &path, MapMode::ReadWrite)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(a.is_file_backed(), "{name}");
    assert_eq!(a.map_mode(), Some(MapMode::ReadWrite), "{name}");
    assert!(
        a.distribution_map().grid()[1..].iter().all(|&g| g == 1),
        "{name}: bands of rows, not {:?}",
        a.distribution_map().grid()
    );
    assert_eq!(a.get(..).unwrap(), model, "{name}: the file's data");
    // Every same-node block, viewed in place, holds the file's elements.
    for r in a.node_ranks() {
        let view = a.local_of(r).unwrap();
        match a.distribution(r) {
            Some(b) => assert_eq!(view.view(), part(&model, &b), "{name}: rank {r}'s block"),
            None => assert_eq!(view.len(), 0),
        }
    }
    a.sync().unwrap();

    // Puts and accumulates by one rank at a time, ordered by syncs.
    let two = T::one().wrapping_add(T::one());
    for i in 0..12 {
        let sec = rng.section(shape);
        let data: ArrayD<T> = rng.data(&sec.shape());
        let acc = rng.below(2) == 0;
        if acc {
            part_mut(&mut model, &sec).zip_mut_with(&data, |x, &d| {
                *x = x.wrapping_add(two.wrapping_mul(d));
            });
        } else {
            part_mut(&mut model, &sec).assign(&data);
        }
        if rt.rank() == i % n {
            if acc {
                a.acc(&sec, &data, two).unwrap();
            } else {
                a.put(&sec, &data).unwrap();
            }
        }
        a.sync().unwrap();
    }
    assert_eq!(a.get(..).unwrap(), model, "{name}: after puts and accs");
    // Every rank has read before any writes again (here and below).
    a.sync().unwrap();
    // Every rank accumulates into one section at once: none is lost.
    let sec = rng.section(shape);
    let data: ArrayD<T> = rng.data(&sec.shape());
    a.acc(&sec, &data, T::one()).unwrap();
    let ranks = T::from(n).unwrap();
    part_mut(&mut model, &sec).zip_mut_with(&data, |x, &d| {
        *x = x.wrapping_add(ranks.wrapping_mul(d));
    });
    a.sync().unwrap();
    assert_eq!(a.get(..).unwrap(), model, "{name}: concurrent accs");
    a.sync().unwrap();
    // A shared counter in the file's last element.
    if T::IS_INTEGER {
        let last: Vec<usize> = shape.iter().map(|&e| e - 1).collect();
        let before = model[&last[..]];
        let old = a.read_inc(&last, 1).unwrap().to_i64().unwrap();
        let mut olds = vec![0i64; n];
        rt.comm().all_gather_into(&old, &mut olds[..]);
        olds.sort_unstable();
        let want: Vec<i64> = (0..n as i64)
            .map(|k| before.to_i64().unwrap() + k)
            .collect();
        assert_eq!(olds, want, "{name}: read_inc hands out each value once");
        model[&last[..]] = before.wrapping_add(ranks);
        a.sync().unwrap();
        assert_eq!(a.get(..).unwrap(), model, "{name}: read_inc");
        a.sync().unwrap();
    }
    // Each rank's own block, written through its local view.
    a.local_mut().mapv_inplace(|x| x.wrapping_add(T::one()));
    model.mapv_inplace(|x| x.wrapping_add(T::one()));
    a.sync().unwrap();
    assert_eq!(a.get(..).unwrap(), model, "{name}: local_mut");

    // The NumPy layer reads the file (into a new array) and writes it.
    let doubled = numpy::expr(&a)
        .mapv(move |x| x.wrapping_mul(two))
        .eval()
        .unwrap();
    assert_eq!(
        doubled.get(..).unwrap(),
        model.mapv(|x| x.wrapping_mul(two)),
        "{name}: eval"
    );
    assert!(!doubled.is_file_backed());
    Zip::from(&mut a)
        .and(&doubled)
        .for_each(|x, &d| *x = x.wrapping_add(d))
        .unwrap();
    model.mapv_inplace(|x| x.wrapping_add(x.wrapping_mul(two)));
    assert_eq!(a.get(..).unwrap(), model, "{name}: Zip into the file");

    // Durable: after flush and drop the file holds the model.
    a.flush().unwrap();
    drop(a);
    drop(doubled);
    if rt.rank() == 0 {
        let back: ArrayD<T> = ndarray_npy::read_npy(&path).unwrap();
        assert_eq!(back, model, "{name}: the file after flush");
    }
    // And a new mapping of it, read-only, sees the same.
    let again = GlobalArray::<T, IxDyn>::map_npy(rt, &path, MapMode::ReadOnly).unwrap();
    assert_eq!(again.get(..).unwrap(), model, "{name}: mapped again");
    drop(again);
    rt.comm().barrier();
    if rt.rank() == 0 {
        std::fs::remove_file(&path).unwrap();
    }
}

/// `create_npy` makes a zero file of the shape, which the NumPy layer
/// fills; the file holds it after `flush`, also for static dimensions.
fn created(rt: &Runtime, scratch: &Scratch, rng: &mut Rng) {
    let n = rt.size();
    let path = scratch.path("created.npy");
    let mut model: ArrayD<i32> = rng.data(&[n + 2, 3, 4]);
    let mut c = io::create_npy::<i32, _>(rt, &path, [n + 2, 3, 4]).unwrap();
    assert_eq!(c.map_mode(), Some(MapMode::ReadWrite));
    assert_eq!(c.get(..).unwrap().sum(), 0, "a new file is zero");
    let src = numpy::from_array(rt, &model.clone().into_dimensionality::<Ix3>().unwrap()).unwrap();
    c.assign(&src).unwrap();
    // A strided view of it, written by the NumPy layer.
    c.slice_mut(ndarray::s![..;2, .., 1..3])
        .unwrap()
        .fill(-1)
        .unwrap();
    model.slice_mut(ndarray::s![..;2, .., 1..3]).fill(-1);
    assert_eq!(c.get(..).unwrap().into_dyn(), model, "a strided fill");
    c.flush().unwrap();
    drop(c);
    if rt.rank() == 0 {
        let back: ArrayD<i32> = ndarray_npy::read_npy(&path).unwrap();
        assert_eq!(back, model, "create_npy, assign, flush");
    }
    rt.comm().barrier();
    // Created again over the old file: replaced, zero again.
    let c = io::create_npy::<i32, _>(rt, &path, [5]).unwrap();
    assert_eq!(c.get(..).unwrap().to_vec(), vec![0; 5]);
    drop(c);
    let one = GlobalArray::<i32, Ix1>::map_npy(rt, &path, MapMode::ReadOnly).unwrap();
    assert_eq!(one.shape(), &[5]);
    drop(one);
    rt.comm().barrier();
    if rt.rank() == 0 {
        std::fs::remove_file(&path).unwrap();
    }
}

/// A read-only mapping reads like any array, refuses every write path
/// with `ReadOnly` (one-sided ones on the calling rank, collective ones on
/// every rank, the ranks still in step), and the file's bytes stay as
/// they were.
pub fn file_backed_read_only_refuses_writes(rt: &Runtime) {
    let scratch = Scratch::new(rt, "mapped-ro");
    let mut rng = Rng::new(43);
    let n = rt.size();
    let (rows, cols) = (2 * n + 3, 4);
    let model: ArrayD<f64> = rng.data(&[rows, cols]);
    let path = scratch.path("ro.npy");
    write_file(rt, &path, &model);
    let counters: ArrayD<i64> = rng.data(&[n + 1]);
    let cpath = scratch.path("ro-counters.npy");
    write_file(rt, &cpath, &counters);
    let before = std::fs::read(&path).unwrap();
    let cbefore = std::fs::read(&cpath).unwrap();

    let mut a = GlobalArray::<f64, Ix2>::map_npy(rt, &path, MapMode::ReadOnly).unwrap();
    let c = GlobalArray::<i64, Ix1>::map_npy(rt, &cpath, MapMode::ReadOnly).unwrap();
    let m2 = model.clone().into_dimensionality::<Ix2>().unwrap();
    assert_eq!(a.map_mode(), Some(MapMode::ReadOnly));
    // Reads: every one-sided and local path, and the NumPy layer.
    assert_eq!(a.get(..).unwrap(), m2);
    assert_eq!(
        a.at(&[rows - 1, cols - 1]).unwrap(),
        m2[[rows - 1, cols - 1]]
    );
    assert_eq!(a.access(..).unwrap(), m2);
    assert_eq!(a.get_nb(..).unwrap().wait().unwrap(), m2);
    assert_eq!(
        a.gather_elements(&[[rows - 1, 0], [0, cols - 1]]).unwrap(),
        vec![m2[[rows - 1, 0]], m2[[0, cols - 1]]]
    );
    if let Some(b) = a.distribution(rt.rank()) {
        assert_eq!(a.local().view().into_dyn(), part(&model, &b));
    }
    assert_eq!(a.sum().unwrap(), model.sum());
    let e = numpy::expr(&a).mapv(|x| x * 2.0).eval().unwrap();
    assert_eq!(e.get(..).unwrap(), &m2 * 2.0);

    let mut t = Tally { rt, tried: 0 };
    // One-sided writes: the calling rank's error; each rank tries its own
    // block, another rank's, and the whole array.
    let mine = a.distribution(rt.rank());
    let other = a.distribution((rt.rank() + 1) % n);
    for sec in [mine, other, Some(Section::full(&[rows, cols]))]
        .into_iter()
        .flatten()
    {
        let ones = ndarray::Array2::<f64>::ones((sec.shape()[0], sec.shape()[1]));
        t.expect("put", a.put(&sec, &ones), ErrorKind::ReadOnly);
        t.expect("acc", a.acc(&sec, &ones, 1.0), ErrorKind::ReadOnly);
    }
    t.expect("read_inc", c.read_inc(&[0], 1), ErrorKind::ReadOnly);
    let corners = [[0, 0], [rows - 1, cols - 1]];
    t.expect(
        "scatter_elements",
        a.scatter_elements(&corners, &[1.0, 2.0]),
        ErrorKind::ReadOnly,
    );
    t.expect(
        "scatter_acc_elements",
        a.scatter_acc_elements(&corners, &[1.0, 2.0], 1.0),
        ErrorKind::ReadOnly,
    );
    t.expect("read_inc remote", c.read_inc(&[n], 1), ErrorKind::ReadOnly);
    t.expect(
        "try_local_mut",
        a.try_local_mut().map(drop),
        ErrorKind::ReadOnly,
    );
    // Collective writes: the same error on every rank.
    let mut src = GlobalArray::<f64, Ix2>::zeros(rt, [rows, cols]).unwrap();
    src.fill(7.0).unwrap();
    let step = |t: &mut Tally, what: &str, r: gain::Result<()>| {
        t.expect(what, r, ErrorKind::ReadOnly);
        rt.sync().unwrap();
    };
    step(&mut t, "fill", a.fill(1.0));
    step(&mut t, "copy_from", a.copy_from(&src));
    step(&mut t, "assign", a.assign(&src));
    step(&mut t, "assign a scalar", a.assign(1.0));
    step(&mut t, "view_mut().fill", a.view_mut().fill(1.0));
    step(
        &mut t,
        "slice_mut().fill",
        a.slice_mut(ndarray::s![..1, ..]).unwrap().fill(1.0),
    );
    step(
        &mut t,
        "zip_mut_with",
        a.view_mut().zip_mut_with(&src, |x, y| *x += y),
    );
    step(
        &mut t,
        "Zip::for_each",
        Zip::from(&mut a).and(&src).for_each(|x, &y| *x = y),
    );
    step(
        &mut t,
        "random::fill_uniform",
        random::fill_uniform(&mut a, 1, 0.0, 1.0),
    );
    step(
        &mut t,
        "random::fill_normal",
        random::fill_normal(&mut a, 1, 0.0, 1.0),
    );
    let tr = GlobalArray::<f64, Ix2>::zeros(rt, [cols, rows]).unwrap();
    step(
        &mut t,
        "linalg::transpose_into",
        linalg::transpose_into(&tr, &mut a),
    );
    let x = GlobalArray::<f64, Ix2>::zeros(rt, [rows, 2]).unwrap();
    let y = GlobalArray::<f64, Ix2>::zeros(rt, [2, cols]).unwrap();
    step(
        &mut t,
        "linalg::matmul_into",
        linalg::matmul_into(1.0, &x, &y, 0.0, &mut a),
    );
    step(
        &mut t,
        "io::load_npy_into",
        io::load_npy_into(&mut a, &path),
    );
    // Flushing a read-only mapping has nothing to write; flushing an array
    // in shared memory is a sync.
    a.flush().unwrap();
    src.flush().unwrap();
    assert_eq!(src.map_mode(), None);
    // Nothing changed, in the array or in the files.
    assert_eq!(a.get(..).unwrap(), m2);
    assert_eq!(c.get(..).unwrap().into_dyn(), counters);
    drop((a, c));
    rt.comm().barrier();
    if rt.rank() == 0 {
        assert!(
            std::fs::read(&path).unwrap() == before,
            "a read-only mapping changed its file"
        );
        assert!(
            std::fs::read(&cpath).unwrap() == cbefore,
            "a read-only mapping changed its file"
        );
        println!("read-only writes tried: {}", t.tried);
    }
    scratch.finish(rt);
}

/// Bad files and paths: a typed error on every rank, before anything is
/// mapped or written, and the ranks still in step.
pub fn file_backed_bad_input(rt: &Runtime) {
    let scratch = Scratch::new(rt, "mapped-bad");
    let mut t = Tally { rt, tried: 0 };
    let model = ndarray::Array2::from_shape_fn((4, 3), |(i, j)| (i * 3 + j) as f64);
    let good = scratch.path("good.npy");
    let good2 = scratch.path("good2.npy");
    let fortran = scratch.path("fortran.npy");
    let mut f = ndarray::Array2::<f64>::zeros((4, 3).f());
    f.assign(&model);
    if rt.rank() == 0 {
        ndarray_npy::write_npy(&good, &model).unwrap();
        ndarray_npy::write_npy(&good2, &model).unwrap();
        ndarray_npy::write_npy(&fortran, &f).unwrap();
    }
    rt.comm().barrier();
    let crate::io::BadFiles {
        empty,
        magic,
        version,
        truncated,
        fifo,
        ..
    } = crate::io::BadFiles::new(rt, &scratch, &good);
    let bytes = std::fs::read(&good).unwrap();
    rt.comm().barrier();
    let map_rw = |p: &Path| GlobalArray::<f64, Ix2>::map_npy(rt, p, MapMode::ReadWrite);
    let map_ro = |p: &Path| GlobalArray::<f64, Ix2>::map_npy(rt, p, MapMode::ReadOnly);
    t.expect(
        "a missing file",
        map_rw(&scratch.path("none.npy")),
        ErrorKind::Io,
    );
    t.expect("a directory", map_ro(&scratch.dir), ErrorKind::Io);
    t.expect("a FIFO", map_rw(&fifo), ErrorKind::Io);
    t.expect("an empty file", map_rw(&empty), ErrorKind::NpyFormat);
    t.expect("a wrong magic string", map_rw(&magic), ErrorKind::NpyFormat);
    t.expect("format version 4", map_ro(&version), ErrorKind::NpyFormat);
    t.expect("a truncated file", map_rw(&truncated), ErrorKind::NpyFormat);
    let e = map_rw(&fortran).expect_err("a Fortran-order file");
    assert_eq!(e.kind(), ErrorKind::NpyFormat, "{e}");
    assert!(e.to_string().contains("C order"), "{e}");
    t.expect(
        "a Fortran-order file, read-only",
        map_ro(&fortran),
        ErrorKind::NpyFormat,
    );
    t.expect(
        "f64 data mapped as i64",
        GlobalArray::<i64, Ix2>::map_npy(rt, &good, MapMode::ReadWrite),
        ErrorKind::NpyFormat,
    );
    t.expect(
        "a 2-d file mapped as 1-d",
        GlobalArray::<f64, Ix1>::map_npy(rt, &good, MapMode::ReadWrite),
        ErrorKind::DimensionMismatch,
    );
    t.expect(
        "a 2-d file mapped as 3-d",
        GlobalArray::<f64, Ix3>::map_npy(rt, &good, MapMode::ReadOnly),
        ErrorKind::DimensionMismatch,
    );
    t.expect(
        "creating in a missing directory",
        io::create_npy::<f64, _>(rt, scratch.path("no/such.npy"), [2, 2]),
        ErrorKind::Io,
    );
    t.expect(
        "creating a 0-d array",
        io::create_npy::<f64, _>(rt, scratch.path("scalar.npy"), ndarray::IxDyn(&[])),
        ErrorKind::DimensionMismatch,
    );
    t.one_rank_wrong(
        "one rank maps another path",
        ErrorKind::InconsistentArguments,
        "paths",
        |w| map_rw(if w { &good2 } else { &good }).map(drop),
    );
    t.one_rank_wrong(
        "one rank maps another mode",
        ErrorKind::InconsistentArguments,
        "modes",
        |w| {
            GlobalArray::<f64, Ix2>::map_npy(
                rt,
                &good,
                if w {
                    MapMode::ReadOnly
                } else {
                    MapMode::ReadWrite
                },
            )
            .map(drop)
        },
    );
    t.one_rank_wrong(
        "one rank's file is missing",
        ErrorKind::Io,
        "rejected",
        |w| {
            map_rw(&if w {
                scratch.path("none.npy")
            } else {
                good.clone()
            })
            .map(drop)
        },
    );
    t.one_rank_wrong(
        "one rank's file is in Fortran order",
        ErrorKind::NpyFormat,
        "rejected",
        |w| map_rw(if w { &fortran } else { &good }).map(drop),
    );
    t.one_rank_wrong(
        "one rank creates another path",
        ErrorKind::InconsistentArguments,
        "paths",
        |w| {
            io::create_npy::<f64, _>(rt, scratch.path(if w { "b.npy" } else { "a.npy" }), [2, 2])
                .map(drop)
        },
    );
    // Nothing was written: the good files are whole, nothing was created.
    rt.comm().barrier();
    if rt.rank() == 0 {
        assert!(
            std::fs::read(&good).unwrap() == bytes,
            "a failed mapping changed the file"
        );
        let back: ndarray::Array2<f64> = ndarray_npy::read_npy(&fortran).unwrap();
        assert_eq!(back, model);
        let never: &[&str] = if rt.size() > 1 {
            &["a.npy", "b.npy", "scalar.npy"]
        } else {
            &["scalar.npy"]
        };
        for name in never {
            assert!(
                !scratch.path(name).exists(),
                "a failed create_npy made {name}"
            );
        }
        println!("bad inputs tried: {}", t.tried);
    }
    // The good file still maps.
    let ok = map_ro(&good).unwrap();
    assert_eq!(ok.get(..).unwrap(), model);
    drop(ok);
    scratch.finish(rt);
}
