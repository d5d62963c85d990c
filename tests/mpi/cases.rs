//! The core cases: empty and tiny arrays, collective copies, runtimes
//! on sub-communicators, errors, and the cases of special configurations
//! (a malformed transfer cap, a transfer over 2 GiB, a world window that
//! cannot be created). Each rank keeps a serial ndarray model of every
//! array and checks the distributed result against it.

use gain::{ErrorKind, GlobalArray, Runtime, Section};
use mpi::traits::*;
use ndarray::{Array, ArrayD, IxDyn, s};

use crate::registry::{Case, case};

/// The core cases, with the tags that say which configurations run them
/// (`registry::Tag`).
pub const CASES: &[Case] = &[
    case!(more_ranks_than_elements; Light),
    case!(empty_arrays_like_ndarray; Light),
    case!(collective_copies; Light),
    case!(errors; Light),
    case!(runtime_on_a_sub_communicator; Light),
    case!(large_transfer_over_2gib; Large),
    case!(world_window_failing_everywhere_is_an_error; HostsOscRdma),
    case!(bad_max_transfer_bytes_is_an_error; BadTransferCap),
    case!(runtime_sync_covers_every_array; Light),
];

/// Run with `GAIN_MAX_TRANSFER_BYTES` malformed: every array creation
/// returns `InvalidArgument` on every rank (before any MPI allocation,
/// so no rank waits), naming the variable.
fn bad_max_transfer_bytes_is_an_error(rt: &Runtime) {
    let e = GlobalArray::<f64, _>::zeros(rt, [4, 3]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
    assert!(e.to_string().contains("GAIN_MAX_TRANSFER_BYTES"), "{e}");
    let e = gain::numpy::arange(rt, 0, 10, 1).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
}

/// Arrays with zero-length axes, as ndarray and NumPy allow: every
/// creation form works, nobody owns a block, gets return an ndarray of the
/// same empty shape, empty puts and accumulates do nothing, any index or
/// non-empty section is out of bounds, and collective copies work.
fn empty_arrays_like_ndarray(rt: &Runtime) {
    for shape in [vec![0usize], vec![0, 5], vec![5, 0], vec![3, 0, 4]] {
        let model = ArrayD::<i32>::zeros(IxDyn(&shape));
        let chunk = vec![2; shape.len()];
        let map: Vec<Vec<usize>> = shape
            .iter()
            .map(|&n| if n == 0 { vec![] } else { vec![0, 1] })
            .collect();
        let arrays = [
            GlobalArray::<i32, IxDyn>::zeros(rt, IxDyn(&shape)).unwrap(),
            GlobalArray::zeros_chunked(rt, IxDyn(&shape), &chunk).unwrap(),
            GlobalArray::zeros_irregular(rt, IxDyn(&shape), &map).unwrap(),
        ];
        for mut ga in arrays {
            assert_eq!(ga.shape(), model.shape());
            assert_eq!(ga.len(), model.len());
            assert_eq!(ga.is_empty(), model.is_empty());
            assert!((0..rt.size()).all(|r| ga.distribution(r).is_none()));
            assert_eq!(ga.local().len(), 0);
            assert_eq!(ga.local_mut().len(), 0);
            assert_eq!(ga.get(..).unwrap(), model);
            assert_eq!(ga.get_nb(..).unwrap().wait().unwrap(), model);
            assert_eq!(ga.access(..).unwrap().view(), model.view());
            ga.put(.., model.view()).unwrap();
            ga.acc(.., model.view(), 2).unwrap();
            assert_eq!(ga.locate_region(..).unwrap().len(), 0);
            let index = vec![0; shape.len()];
            let kind = |e: gain::Error| e.kind();
            assert_eq!(ga.at(&index).map_err(kind), Err(ErrorKind::OutOfBounds));
            assert_eq!(
                ga.read_inc(&index, 1).map_err(kind),
                Err(ErrorKind::OutOfBounds)
            );
            let past: Vec<usize> = shape.iter().map(|&n| n + 1).collect();
            let sec = Section::new(vec![0; shape.len()], past).unwrap();
            assert_eq!(
                ga.get(&sec).map(|_| ()).map_err(kind),
                Err(ErrorKind::OutOfBounds)
            );
            ga.sync().unwrap();
            ga.fill(7).unwrap();
            let copy = ga.duplicate().unwrap();
            assert!(copy.compare_distr(&ga));
            let mut other = GlobalArray::<i32, IxDyn>::zeros(rt, IxDyn(&shape)).unwrap();
            other.copy_from(&ga).unwrap();
            assert_eq!(other.get(..).unwrap(), model);
        }
    }
    // Static dimensions too, and an empty array beside a non-empty one.
    let e = GlobalArray::<f64, _>::zeros(rt, [0, 5]).unwrap();
    let full = GlobalArray::<f64, _>::zeros(rt, [4, 5]).unwrap();
    assert_eq!(
        e.get(s![.., 1..3]).unwrap(),
        ndarray::Array2::<f64>::zeros((0, 2))
    );
    assert_eq!(full.get(s![2..2, ..]).unwrap().shape(), &[0, 5]);
}

fn more_ranks_than_elements(rt: &Runtime) {
    let ga = GlobalArray::<i32, _>::zeros(rt, [1, 2]).unwrap();
    let owners = (0..rt.size())
        .filter(|&r| ga.distribution(r).is_some())
        .count();
    assert_eq!(owners, rt.size().min(2));
    if ga.distribution(rt.rank()).is_none() {
        assert_eq!(ga.local().len(), 0);
        ga.put([0..1, 0..2], ndarray::arr2(&[[4, 5]]).view())
            .unwrap();
    }
    ga.sync().unwrap();
    let want = if rt.size() > 2 { [4, 5] } else { [0, 0] };
    assert_eq!(ga.get([0..1, 0..2]).unwrap(), ndarray::arr2(&[want]));
}

/// Run where no rank can create the world window (the bed with Open MPI's
/// `osc/rdma`, which has no transport over TCP): every array creation is
/// an `Mpi` error on every rank, naming the call and the way out, and the
/// job goes on (the next creation fails alike, then the job ends
/// normally) instead of aborting.
fn world_window_failing_everywhere_is_an_error(rt: &Runtime) {
    assert!(rt.spans_nodes(), "run across hosts");
    for _ in 0..2 {
        let e = GlobalArray::<f64, _>::zeros(rt, [8, 3]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Mpi, "{e}");
        let text = e.to_string();
        assert!(text.contains("MPI_Win_create"), "{text}");
        assert!(text.contains("--mca osc sm,ucx"), "{text}");
    }
    // The node windows were freed together: the ranks still meet.
    rt.comm().barrier();
}

fn collective_copies(rt: &Runtime) {
    let mut a = GlobalArray::<i32, _>::zeros(rt, [7, 9]).unwrap();
    a.fill(3).unwrap();
    let got = a.get([0..7, 0..9]).unwrap();
    assert!(got.iter().all(|&x| x == 3), "after fill: {got}");
    a.sync().unwrap();
    if rt.rank() == 0 {
        a.put([1..2, 2..5], ndarray::arr2(&[[7, 8, 9]]).view())
            .unwrap();
    }
    a.sync().unwrap();
    let want = a.get([0..7, 0..9]).unwrap();
    let mut b = a.duplicate().unwrap();
    assert!(a.compare_distr(&b));
    assert_eq!(b.get([0..7, 0..9]).unwrap().sum(), 0);
    b.copy_from(&a).unwrap();
    assert_eq!(b.get([0..7, 0..9]).unwrap(), want);
    let mut c = GlobalArray::<i32, _>::zeros_chunked(rt, [7, 9], &[0, 9]).unwrap();
    c.copy_from(&a).unwrap();
    assert_eq!(c.get([0..7, 0..9]).unwrap(), want);
    if rt.size() > 1 {
        assert!(
            !c.compare_distr(&GlobalArray::<i32, _>::zeros_chunked(rt, [7, 9], &[7, 0]).unwrap())
        );
    }
    c.destroy().unwrap();
}

/// Arrays on a runtime over half of the ranks (`Runtime::from_comm`).
fn runtime_on_a_sub_communicator(rt: &Runtime) {
    let parity = rt.rank() % 2;
    let sub = rt
        .comm()
        .split_by_color(mpi::topology::Color::with_value(parity as i32))
        .unwrap();
    let half = Runtime::from_comm(&sub).unwrap();
    let members: Vec<usize> = (0..rt.size()).filter(|r| r % 2 == parity).collect();
    assert_eq!(half.size(), members.len());
    assert_eq!(half.rank(), rt.rank() / 2);
    // One group at a time: Open MPI 4.1's osc/rdma names a window's shared
    // segment after the communicator's context id, which disjoint groups
    // of one split share, so windows created at the same moment on one
    // host can collide (open-mpi/ompi#7393).
    let mut created = None;
    for turn in 0..2 {
        if parity == turn {
            created = Some(GlobalArray::<i64, _>::zeros(&half, [5, 3]).unwrap());
        }
        rt.comm().barrier();
    }
    let ga = created.unwrap();
    let mine = ndarray::Array2::from_elem((5, 3), rt.rank() as i64 + 1);
    ga.acc([0..5, 0..3], mine.view(), 1).unwrap();
    ga.sync().unwrap();
    let want: i64 = members.iter().map(|&r| r as i64 + 1).sum();
    assert!(ga.get([0..5, 0..3]).unwrap().iter().all(|&x| x == want));
    // Errors name the process by its world rank, whichever runtime it
    // made last.
    let e = ga.get([0..6, 0..3]).unwrap_err();
    assert_eq!(e.rank(), Some(rt.rank()), "{e}");
    assert!(
        e.to_string().starts_with(&format!("rank {}: ", rt.rank())),
        "{e}"
    );
}

/// Every error kind, on every rank, with nothing written.
fn errors(rt: &Runtime) {
    let kind = |r: gain::Result<GlobalArray<f64, IxDyn>>| r.err().map(|e| e.kind());
    // A zero-length axis is no error (NumPy allows it).
    assert_eq!(kind(GlobalArray::zeros(rt, IxDyn(&[3, 0]))), None);
    assert_eq!(
        kind(GlobalArray::zeros(rt, IxDyn(&[usize::MAX / 2, 4]))),
        Some(ErrorKind::SizeOverflow)
    );
    assert_eq!(
        kind(GlobalArray::zeros_irregular(rt, IxDyn(&[4]), &[vec![0, 5]])),
        Some(ErrorKind::InvalidDistribution)
    );
    assert_eq!(
        kind(GlobalArray::zeros_chunked(rt, IxDyn(&[4]), &[1, 1])),
        Some(ErrorKind::InvalidDistribution)
    );
    // Ranks disagreeing on a shape: every rank gets an error, none hangs.
    let n = if rt.rank() == 0 { 10 } else { 11 };
    let e = GlobalArray::<f64, _>::zeros(rt, n);
    if rt.size() > 1 {
        assert_eq!(
            e.err().map(|e| e.kind()),
            Some(ErrorKind::InconsistentArguments)
        );
    } else {
        assert!(e.is_ok());
    }
    // One rank with bad arguments (a chunk hint of the wrong length): the
    // others learn it too.
    let chunk: &[usize] = if rt.rank() == rt.size() - 1 {
        &[1]
    } else {
        &[1, 1]
    };
    let e = GlobalArray::<f64, _>::zeros_chunked(rt, [4, 4], chunk)
        .err()
        .map(|e| e.kind());
    if rt.rank() == rt.size() - 1 {
        assert_eq!(e, Some(ErrorKind::InvalidDistribution));
    } else {
        assert_eq!(e, Some(ErrorKind::InconsistentArguments));
    }

    let ga = GlobalArray::<f64, IxDyn>::zeros(rt, IxDyn(&[4, 5])).unwrap();
    let ones = ArrayD::<f64>::ones(IxDyn(&[2, 2]));
    let k = |r: gain::Result<()>| r.err().map(|e| e.kind());
    assert_eq!(
        k(ga.put([3..5, 0..2], ones.view())),
        Some(ErrorKind::OutOfBounds)
    );
    assert_eq!(
        ga.get_nb([0..2, 4..6]).err().map(|e| e.kind()),
        Some(ErrorKind::OutOfBounds)
    );
    #[allow(clippy::reversed_empty_ranges)]
    let reversed = Section::from([3..1, 0..2]);
    assert_eq!(
        k(ga.put(&reversed, ones.view())),
        Some(ErrorKind::ReversedSection)
    );
    assert_eq!(
        k(ga.put([0..2, 0..3], ones.view())),
        Some(ErrorKind::ShapeMismatch)
    );
    assert_eq!(
        k(ga.acc([0..2, 0..3], ones.view(), 1.0)),
        Some(ErrorKind::ShapeMismatch)
    );
    assert_eq!(
        k(ga.put(Section::from(0..2), ones.view())),
        Some(ErrorKind::DimensionMismatch)
    );
    let mut buf = ArrayD::<f64>::zeros(IxDyn(&[3, 2]));
    assert_eq!(
        k(ga.get_into([0..2, 0..2], buf.view_mut())),
        Some(ErrorKind::ShapeMismatch)
    );
    assert_eq!(
        ga.get([0..5, 0..1]).err().map(|e| e.kind()),
        Some(ErrorKind::OutOfBounds)
    );
    assert_eq!(
        ga.at(&[0, 5]).err().map(|e| e.kind()),
        Some(ErrorKind::OutOfBounds)
    );
    assert_eq!(
        ga.at(&[0]).err().map(|e| e.kind()),
        Some(ErrorKind::DimensionMismatch)
    );
    assert_eq!(
        ga.read_inc(&[0, 0], 1).err().map(|e| e.kind()),
        Some(ErrorKind::NotInteger)
    );
    let ints = GlobalArray::<i32, _>::zeros(rt, [4, 5]).unwrap();
    assert_eq!(
        ints.read_inc(&[4, 0], 1).err().map(|e| e.kind()),
        Some(ErrorKind::OutOfBounds)
    );
    assert_eq!(
        ints.read_inc(&[1], 1).err().map(|e| e.kind()),
        Some(ErrorKind::DimensionMismatch)
    );
    assert_eq!(
        ga.local_of(rt.size()).err().map(|e| e.kind()),
        Some(ErrorKind::NotSameNode)
    );
    ga.sync().unwrap();
    // Nothing of the rejected calls reached the arrays.
    assert_eq!(ga.get([0..4, 0..5]).unwrap().sum(), 0.0);
    assert_eq!(ints.get([0..4, 0..5]).unwrap().sum(), 0);
    let mut c = GlobalArray::<f64, IxDyn>::zeros(rt, IxDyn(&[5, 4])).unwrap();
    assert_eq!(k(c.copy_from(&ga)), Some(ErrorKind::ShapeMismatch));
}

/// A get of more than 2 GiB (and more than `i32::MAX` elements) from
/// another "node": MPI counts are ints, so the window must split it.
fn large_transfer_over_2gib(rt: &Runtime) {
    assert_eq!(rt.size(), 2, "run with two ranks");
    let big = (1usize << 31) + 4099;
    // Rank 0 owns 5 elements, rank 1 the rest. Slice copies and compares
    // keep this fast in unoptimised test builds.
    let pattern: Vec<i8> = (0..127 * 8192).map(|i| (i % 127) as i8).collect();
    let mut ga = GlobalArray::<i8, _>::zeros_irregular(rt, big + 5, &[vec![0, 5]]).unwrap();
    if rt.rank() == 1 {
        for c in ga
            .local_mut()
            .as_slice_mut()
            .unwrap()
            .chunks_mut(pattern.len())
        {
            c.copy_from_slice(&pattern[..c.len()]);
        }
    }
    ga.sync().unwrap();
    if rt.rank() == 0 {
        let all = ga.get(5..big + 5).unwrap();
        assert_eq!(all.len(), big);
        for c in all.as_slice().unwrap().chunks(pattern.len()) {
            assert!(c == &pattern[..c.len()], "2 GiB get corrupted data");
        }
    }
    ga.sync().unwrap();
}

/// `Runtime::sync` completes and publishes every array's puts and
/// accumulates, whatever arrays and element types: after it, every rank
/// reads every write of every rank, in three arrays that were never synced
/// on their own.
fn runtime_sync_covers_every_array(rt: &Runtime) {
    let n = 5 * rt.size() + 3;
    let a = GlobalArray::<i64, _>::zeros(rt, n).unwrap();
    let b = GlobalArray::<f32, _>::zeros(rt, [3, n]).unwrap();
    let c = GlobalArray::<u16, _>::zeros(rt, [n, 2]).unwrap();
    rt.sync().unwrap();
    let me = rt.rank();
    // Each rank writes where other ranks own the data.
    let target = (me * 5 + n / 2) % n;
    a.put(target..target + 1, &[me as i64 + 1]).unwrap();
    b.acc(
        ndarray::s![.., target..target + 1],
        &ndarray::Array2::<f32>::ones((3, 1)),
        2.0,
    )
    .unwrap();
    c.put(
        ndarray::s![n - 1 - target..n - target, ..],
        &ndarray::array![[me as u16, 7]],
    )
    .unwrap();
    rt.sync().unwrap();
    for r in 0..rt.size() {
        let t = (r * 5 + n / 2) % n;
        assert_eq!(a.at(&[t]).unwrap(), r as i64 + 1);
        assert_eq!(
            c.get(ndarray::s![n - 1 - t..n - t, ..]).unwrap(),
            ndarray::array![[r as u16, 7]]
        );
    }
    let mut model = Array::<f32, _>::zeros((3, n));
    for r in 0..rt.size() {
        let t = (r * 5 + n / 2) % n;
        model.column_mut(t).mapv_inplace(|x| x + 2.0);
    }
    assert_eq!(b.get(..).unwrap(), model);
}
