//! Replicated arrays (`gain::Replicated`): every rank's view against the
//! serial ndarray model, updates, bad input on every rank, and the memory
//! a node pays (PSS summed over its ranks: one copy, whatever the rank
//! count).

use gain::{Element, ErrorKind, GlobalArray, Replicated, Result, Runtime};
use mpi::traits::*;
use ndarray::{Array1, Array2, Array3, ArrayD, Axis, Ix1, Ix2, IxDyn, ShapeBuilder, Slice};

use crate::model::Rng;
use crate::registry::{Case, case};

/// The replicated-array cases, with the tags that say which configurations
/// run them (`registry::Tag`).
pub const CASES: &[Case] = &[
    case!(replicated_roundtrip_from_global::<i32>; Light, Roundtrip, Rma),
    case!(replicated_roundtrip_from_global::<f64>; Light, Roundtrip, Rma),
    case!(replicated_roundtrip_from_global::<u8>; Light, Roundtrip, Rma),
    case!(replicated_roundtrip_from_global::<i64>; Light, Roundtrip, Rma),
    case!(replicated_roundtrip_from_global::<f32>; Light, Roundtrip, Rma),
    case!(replicated_roundtrip_from_root_every_root; Light, Roundtrip, Rma),
    case!(replicated_updates_change_what_every_rank_sees; Light),
    case!(replicated_bad_input; Light),
    case!(replicated_one_copy_per_node_pss; Light),
];

/// A random shape of `ndim` axes: one axis in eight of length zero, one in
/// four of length 1 or 2 (so fewer rows than ranks, and nodes where some
/// ranks read nothing), the others up to 12 (6 for 3-d).
fn random_shape(rng: &mut Rng, ndim: usize) -> Vec<usize> {
    let most = if ndim > 2 { 6 } else { 12 };
    (0..ndim)
        .map(|_| match rng.below(8) {
            0 => 0,
            1 | 2 => 1 + rng.below(2),
            _ => 1 + rng.below(most),
        })
        .collect()
}

/// A global array holding `model`, with a regular, chunked or irregular
/// distribution (the same on every rank).
fn global_of<T: Element>(rt: &Runtime, rng: &mut Rng, model: &ArrayD<T>) -> GlobalArray<T, IxDyn> {
    let shape = model.shape();
    let ga = match rng.below(3) {
        1 => {
            let chunk: Vec<usize> = shape.iter().map(|&n| rng.below(n + 1)).collect();
            GlobalArray::zeros_chunked(rt, IxDyn(shape), &chunk).unwrap()
        }
        2 if shape[0] > 1 => {
            let mut starts = vec![vec![0]; shape.len()];
            for cut in 1..shape[0] {
                if starts[0].len() < rt.size() && rng.below(2) == 0 {
                    starts[0].push(cut);
                }
            }
            GlobalArray::zeros_irregular(rt, IxDyn(shape), &starts).unwrap()
        }
        _ => GlobalArray::zeros(rt, IxDyn(shape)).unwrap(),
    };
    // Each rank puts its own block of the model.
    if let Some(b) = ga.distribution(rt.rank()) {
        let part = model.slice_each_axis(|ax| {
            let d = ax.axis.index();
            Slice::from(b.lo()[d]..b.hi()[d])
        });
        ga.put(&b, part).unwrap();
    }
    ga.sync().unwrap();
    ga
}

/// Every rank sees `model` through the replicated array, in C order.
fn check_sees<T: Element, D: ndarray::Dimension>(
    r: &Replicated<T, D>,
    model: &ArrayD<T>,
    what: &str,
) {
    let v = r.view();
    assert_eq!(v.shape(), model.shape(), "{what}: shape");
    assert_eq!(r.shape(), model.shape(), "{what}: shape()");
    assert_eq!(r.len(), model.len(), "{what}: len()");
    assert_eq!(r.is_empty(), model.is_empty(), "{what}: is_empty()");
    assert!(v.is_standard_layout(), "{what}: layout");
    assert_eq!(v.into_dyn(), model.view(), "{what}: contents");
    let flat: Vec<T> = model.iter().copied().collect();
    assert_eq!(r.as_slice(), &flat[..], "{what}: as_slice");
}

/// `from_global` of random 1-, 2- and 3-d arrays (zero-length axes,
/// fewer rows than ranks, every distribution kind) against the model; the
/// copy stays as it was when the global array changes or goes.
pub fn replicated_roundtrip_from_global<T: Element>(rt: &Runtime) {
    let mut rng = Rng::new(41);
    for ndim in 1..=3 {
        for k in 0..4 {
            let shape = random_shape(&mut rng, ndim);
            let model = rng.data::<T>(&shape);
            let mut ga = global_of(rt, &mut rng, &model);
            let r = Replicated::from_global(&ga).unwrap();
            let what = format!("from_global {shape:?} ({k})");
            check_sees(&r, &model, &what);
            // Later writes to the global array do not show.
            ga.fill(T::from(101).unwrap()).unwrap();
            check_sees(&r, &model, &format!("{what} after a fill of the source"));
            drop(ga);
            check_sees(&r, &model, &format!("{what} after the source's drop"));
        }
    }
    // Larger: many pages, every rank of a node a slab of many rows.
    let model = rng.data::<T>(&[1001, 37]);
    let ga = global_of(rt, &mut rng, &model);
    check_sees(
        &Replicated::from_global(&ga).unwrap(),
        &model,
        "from_global [1001, 37]",
    );
    // Static dimensions.
    let model = rng.data::<T>(&[5, 3]);
    let ga = global_of(rt, &mut rng, &model)
        .into_dimensionality::<Ix2>()
        .unwrap();
    let r: Replicated<T, Ix2> = Replicated::from_global(&ga).unwrap();
    assert_eq!(r.raw_dim(), ndarray::Dim([5, 3]));
    assert_eq!(r.view()[[4, 2]], model[[4, 2]]);
    check_sees(&r, &model, "from_global Ix2");
}

/// `from_root` from every possible root, in several memory layouts of the
/// root's data, against the model.
pub fn replicated_roundtrip_from_root_every_root(rt: &Runtime) {
    let mut rng = Rng::new(43);
    for root in 0..rt.size() {
        for ndim in 1..=3 {
            let shape = random_shape(&mut rng, ndim);
            let model = rng.data::<f64>(&shape);
            // Standard layout, Fortran layout, an axis reversed.
            let fortran = {
                let mut f = ArrayD::<f64>::zeros(IxDyn(&shape).f());
                f.assign(&model);
                f
            };
            let mut reversed = model.clone();
            reversed.invert_axis(Axis(0));
            for (layout, data) in [
                ("standard", model.view()),
                ("fortran", fortran.view()),
                ("reversed", {
                    let mut v = reversed.view();
                    v.invert_axis(Axis(0));
                    v
                }),
            ] {
                assert_eq!(data, model.view());
                let held = (rt.rank() == root).then_some(data);
                let r = Replicated::from_root(rt, root, held).unwrap();
                check_sees(&r, &model, &format!("from_root {root} {shape:?} {layout}"));
            }
        }
        // No axes.
        let model = ndarray::arr0(root as f64 + 0.5);
        let r = Replicated::from_root(rt, root, (rt.rank() == root).then(|| model.view())).unwrap();
        assert_eq!(r.view(), model.view(), "from_root {root} 0-d");
        // Another element type, static dimensions.
        let model = Array3::<i16>::from_shape_fn((2, 3, 4), |(i, j, k)| {
            (100 * root + 12 * i + 4 * j + k) as i16
        });
        let held = (rt.rank() == root).then(|| model.view());
        let r = Replicated::from_root(rt, root, held).unwrap();
        assert_eq!(r.view(), model.view(), "from_root {root} Ix3 i16");
    }
}

/// Updates change what every rank sees, and nothing else does; two
/// replicated arrays live side by side.
pub fn replicated_updates_change_what_every_rank_sees(rt: &Runtime) {
    let model = Array2::<i64>::from_shape_fn((7, 5), |(i, j)| (10 * i + j) as i64);
    let ga = GlobalArray::<i64, _>::zeros(rt, [7, 5]).unwrap();
    if rt.rank() == 0 {
        ga.put(.., &model).unwrap();
    }
    ga.sync().unwrap();
    let mut r = Replicated::from_global(&ga).unwrap();
    let other = Replicated::from_root(rt, 0, (rt.rank() == 0).then(|| model.t())).unwrap();
    assert_eq!(r.view(), model);
    // Every rank writes a row of new values.
    let mut new = model.clone();
    for w in 0..rt.size() {
        let row = w % 7;
        new.row_mut(row).fill(-(w as i64) - 1);
    }
    for w in 0..rt.size() {
        if rt.rank() == w {
            let row = w % 7;
            ga.put(
                [row..row + 1, 0..5],
                new.slice(ndarray::s![row..row + 1, ..]),
            )
            .unwrap();
        }
        ga.sync().unwrap();
    }
    assert_eq!(r.view(), model, "the copy changed before the update");
    r.update_from_global(&ga).unwrap();
    assert_eq!(r.view(), new, "after update_from_global");
    assert_eq!(other.view(), model.t(), "another replicated array changed");
    // From every root in turn.
    for root in 0..rt.size() {
        let data = Array2::<i64>::from_elem((7, 5), 1000 + root as i64);
        r.update_from_root(root, (rt.rank() == root).then(|| data.view()))
            .unwrap();
        assert_eq!(r.view(), data, "after update_from_root({root})");
    }
    assert_eq!(other.view(), model.t(), "another replicated array changed");
    // Back from the global array, then destroyed explicitly.
    r.update_from_global(&ga).unwrap();
    assert_eq!(r.view(), new);
    r.destroy().unwrap();
    // A 1-d array, emptied and refreshed.
    let empty = ndarray::Array1::<f32>::zeros(0);
    let mut e = Replicated::from_root(rt, 0, (rt.rank() == 0).then(|| empty.view())).unwrap();
    assert!(e.is_empty());
    e.update_from_root(0, (rt.rank() == 0).then(|| empty.view()))
        .unwrap();
    assert_eq!(e.view().len(), 0);
}

/// `r` is an error of `kind` on this rank, raised by `op` here.
fn expect_kind<T: std::fmt::Debug>(
    rt: &Runtime,
    what: &str,
    r: Result<T>,
    kind: ErrorKind,
    op: &str,
) -> gain::Error {
    let e = r.expect_err(what);
    assert_eq!(e.kind(), kind, "{what}: {e}");
    assert_eq!(e.rank(), Some(rt.rank()), "{what}: {e}");
    assert_eq!(e.operation(), Some(op), "{what}: {e}");
    e
}

/// The ranks are still in step: a sync and a collective creation complete.
fn in_step(rt: &Runtime, what: &str) {
    rt.sync().unwrap_or_else(|e| panic!("after {what}: {e}"));
    let probe = Replicated::from_global(&GlobalArray::<u8, _>::zeros(rt, 3).unwrap())
        .unwrap_or_else(|e| panic!("after {what}: {e}"));
    assert_eq!(probe.view().sum(), 0);
}

/// Bad input is an error on every rank, before anything is allocated or
/// written: a root past the last rank, a root without data, data on a
/// rank that is not the root, ranks naming different roots, updates of
/// another shape.
pub fn replicated_bad_input(rt: &Runtime) {
    let (n, me, last) = (rt.size(), rt.rank(), rt.size() - 1);
    let data = Array1::<f64>::from_elem(4, 2.5);
    let from_root = "Replicated::from_root";

    let r = Replicated::from_root(rt, n, Some(data.view()));
    expect_kind(
        rt,
        "a root past the last rank",
        r,
        ErrorKind::InvalidArgument,
        from_root,
    );
    in_step(rt, "a root past the last rank");

    // The root (the last rank) passes nothing, as every other rank.
    let r = Replicated::<f64, Ix1>::from_root(rt, last, None);
    let kind = if me == last {
        ErrorKind::InvalidArgument
    } else {
        ErrorKind::InconsistentArguments
    };
    let e = expect_kind(rt, "a root without data", r, kind, from_root);
    if me != last {
        assert!(e.message().contains(&format!("rank {last}")), "{e}");
    }
    in_step(rt, "a root without data");

    if n > 1 {
        // Root 0 and the last rank both pass data.
        let held = (me == 0 || me == last).then(|| data.view());
        let r = Replicated::from_root(rt, 0, held);
        let kind = if me == last {
            ErrorKind::InvalidArgument
        } else {
            ErrorKind::InconsistentArguments
        };
        let e = expect_kind(rt, "two ranks with data", r, kind, from_root);
        if me != last {
            assert!(e.message().contains(&format!("rank {last}")), "{e}");
        }
        in_step(rt, "two ranks with data");

        // The last rank names itself the root, the others rank 0; each
        // root holds data.
        let root = if me == last { last } else { 0 };
        let r = Replicated::from_root(rt, root, (me == root).then(|| data.view()));
        let e = expect_kind(
            rt,
            "different roots",
            r,
            ErrorKind::InconsistentArguments,
            from_root,
        );
        assert!(e.message().contains("roots"), "{e}");
        in_step(rt, "different roots");
    }

    // Updates of another shape; the copy is unchanged.
    let model = Array2::<f64>::from_shape_fn((3, 4), |(i, j)| (i * 4 + j) as f64);
    let mut r = Replicated::from_root(rt, 0, (me == 0).then(|| model.view())).unwrap();
    let wrong = GlobalArray::<f64, _>::zeros(rt, [4, 3]).unwrap();
    expect_kind(
        rt,
        "update_from_global of another shape",
        r.update_from_global(&wrong),
        ErrorKind::ShapeMismatch,
        "Replicated::update_from_global",
    );
    assert_eq!(r.view(), model, "a rejected update changed the copy");
    in_step(rt, "update_from_global of another shape");
    let other = Array2::<f64>::ones((3, 5));
    expect_kind(
        rt,
        "update_from_root of another shape",
        r.update_from_root(last, (me == last).then(|| other.view())),
        ErrorKind::ShapeMismatch,
        "Replicated::update_from_root",
    );
    assert_eq!(r.view(), model, "a rejected update changed the copy");
    expect_kind(
        rt,
        "update_from_root from a root past the last rank",
        r.update_from_root(n, None),
        ErrorKind::InvalidArgument,
        "Replicated::update_from_root",
    );
    assert_eq!(r.view(), model, "a rejected update changed the copy");
    in_step(rt, "update_from_root of another shape");

    if n > 1 {
        // The last rank makes another call than the others.
        let ga = GlobalArray::<f64, _>::zeros(rt, [3, 4]).unwrap();
        let (res, op) = if me == last {
            (r.update_from_root(0, None), "Replicated::update_from_root")
        } else {
            (r.update_from_global(&ga), "Replicated::update_from_global")
        };
        let e = expect_kind(
            rt,
            "different calls",
            res,
            ErrorKind::InconsistentArguments,
            op,
        );
        assert!(e.message().contains("operations"), "{e}");
        assert_eq!(r.view(), model, "a rejected update changed the copy");
        in_step(rt, "different calls");
    }
}

/// This process's proportional set size, in KiB (`Pss:` of
/// `/proc/self/smaps_rollup`): each page it maps counted divided by the
/// number of processes mapping it.
fn pss_kib() -> i64 {
    let text = std::fs::read_to_string("/proc/self/smaps_rollup").expect("smaps_rollup");
    let line = text
        .lines()
        .find(|l| l.starts_with("Pss:"))
        .expect("a Pss line");
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// This process's mappings (the header line of each in
/// `/proc/self/smaps`) and their PSS in KiB, to tell where PSS went when
/// the check fails.
fn pss_by_mapping() -> Vec<(String, i64)> {
    let text = std::fs::read_to_string("/proc/self/smaps").expect("smaps");
    let mut out = Vec::new();
    let mut mapping = "";
    for l in text.lines() {
        if let Some(kib) = l.strip_prefix("Pss:") {
            let kib = kib.split_whitespace().next().unwrap().parse().unwrap();
            out.push((mapping.to_string(), kib));
        } else if l
            .split_whitespace()
            .next()
            .is_some_and(|w| !w.ends_with(':'))
        {
            mapping = l;
        }
    }
    out
}

/// The mappings whose PSS changed by more than 256 KiB from `before` to
/// `after`, one a line.
fn pss_changes(before: &[(String, i64)], after: &[(String, i64)]) -> String {
    let of = |list: &[(String, i64)], m: &str| list.iter().find(|e| e.0 == m).map_or(0, |e| e.1);
    let mut names: Vec<&String> = before.iter().chain(after).map(|e| &e.0).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter_map(|m| {
            let (b, a) = (of(before, m), of(after, m));
            ((a - b).abs() > 256).then(|| format!("\n  {m}: {b} -> {a} KiB"))
        })
        .collect()
}

/// Measures the PSS that `make` adds on every rank, with every page of
/// the copy read through `view()` on every rank, prints it (rank 0), and
/// checks that each node's ranks together pay one copy of `bytes`,
/// within 10 %.
fn pss_of_one_copy(
    rt: &Runtime,
    what: &str,
    bytes: usize,
    make: impl FnOnce() -> Replicated<f64, Ix1>,
) {
    rt.comm().barrier();
    let (before, maps_before) = (pss_kib(), pss_by_mapping());
    let r = make();
    assert_eq!(r.view().sum(), r.len() as f64, "{what}: contents");
    // What the array says it takes on the node, which the PSS checks.
    assert_eq!(r.node_bytes(), bytes + 64, "{what}: node_bytes");
    assert_eq!(r.node_ranks(), rt.node_ranks().len(), "{what}: node_ranks");
    // A page's PSS is divided by the processes mapping it at the time of
    // reading: read once every rank has mapped every page.
    rt.comm().barrier();
    let delta = pss_kib() - before;
    let changes = pss_changes(&maps_before, &pss_by_mapping());
    drop(r);
    let mut deltas = vec![0i64; rt.size()];
    rt.comm().all_gather_into(&delta, &mut deltas[..]);
    let leader = rt.node_ranks()[0] as u64;
    let mut leaders = vec![0u64; rt.size()];
    rt.comm().all_gather_into(&leader, &mut leaders[..]);
    let mib = |kib: i64| kib as f64 / 1024.0;
    if rt.rank() == 0 {
        let per_rank: Vec<String> = deltas.iter().map(|&d| format!("{:.1}", mib(d))).collect();
        let mut nodes: Vec<String> = Vec::new();
        for l in 0..rt.size() as u64 {
            let on: Vec<usize> = (0..rt.size()).filter(|&r| leaders[r] == l).collect();
            if !on.is_empty() {
                let sum: i64 = on.iter().map(|&r| deltas[r]).sum();
                nodes.push(format!("ranks {on:?}: {:.1}", mib(sum)));
            }
        }
        println!(
            "pss {what}: np={} copy {:.1} MiB; PSS added per rank (MiB) [{}]; by node: {}",
            rt.size(),
            bytes as f64 / (1 << 20) as f64,
            per_rank.join(", "),
            nodes.join(", ")
        );
    }
    let node: i64 = rt.node_ranks().iter().map(|&r| deltas[r]).sum();
    let copies = node as f64 * 1024.0 / bytes as f64;
    assert!(
        (0.9..=1.1).contains(&copies),
        "{what}: the ranks {:?} of this node added {:.1} MiB of PSS for a copy of {:.1} MiB \
         ({copies:.2} copies; per rank {deltas:?} KiB); this rank's mappings that changed:{changes}",
        rt.node_ranks(),
        mib(node),
        bytes as f64 / (1 << 20) as f64,
    );
}

/// One copy per node: a 48 MiB replicated array, read in full by every
/// rank, adds one copy's worth of PSS summed over each node's ranks,
/// whatever the number of ranks on the node, built either way.
pub fn replicated_one_copy_per_node_pss(rt: &Runtime) {
    let n = 6 << 20; // 48 MiB of f64
    let bytes = n * size_of::<f64>();
    let mut ga = GlobalArray::<f64, _>::zeros(rt, n).unwrap();
    ga.fill(1.0).unwrap();
    pss_of_one_copy(rt, "from_global", bytes, || {
        Replicated::from_global(&ga).unwrap()
    });
    drop(ga);
    let root = rt.size() - 1;
    let data = (rt.rank() == root).then(|| Array1::<f64>::ones(n));
    pss_of_one_copy(rt, "from_root", bytes, || {
        Replicated::from_root(rt, root, data.as_ref().map(|d| d.view())).unwrap()
    });
}
