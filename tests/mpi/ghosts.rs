//! Ghost cells: `zeros_with_ghosts`, `update_ghosts`, `update_ghost_dir`
//! (blocking and not), `local_with_ghosts`. Every rank checks its padded
//! block against a serial model (the global array padded, wrapped on
//! periodic axes, a sentinel left outside the others), over random shapes,
//! widths, periodic flags and distributions; ghost arrays must answer get,
//! put, acc, views, files, random fills and the NumPy layer as plain
//! arrays do; bad input is a typed error on every rank.

use gain::numpy;
use gain::{Distribution, ErrorKind, GlobalArray, Runtime};
use ndarray::{Array2, ArrayD, Axis, Ix2, IxDyn, s};

use crate::model::{Rng, slice_of};
use crate::registry::{Case, case};

/// The ghost-cell cases, with the tags that say which configurations run
/// them (`registry::Tag`).
pub const CASES: &[Case] = &[
    case!(ghost_update_matches_padded_model; Light, Rma, Hosts),
    case!(ghost_update_with_a_halo_view; Light, Rma, Hosts),
    case!(ghost_dir_updates_one_side; Light, Rma, Hosts, Threads),
    case!(ghost_arrays_behave_like_plain_arrays; Light),
    case!(ghost_bad_input; Light),
];

/// The halo's value before any update.
const SENTINEL: i64 = -1;

/// A random ghost array of 1 to 3 dimensions (its widths at most each
/// axis's narrowest block), the same on every rank, with every padded
/// block set to the sentinel and then the interior to `global`.
struct Trial {
    ga: GlobalArray<i64, IxDyn>,
    global: ArrayD<i64>,
    widths: Vec<usize>,
    periodic: Vec<bool>,
}

fn trial(rt: &Runtime, rng: &mut Rng) -> Trial {
    let ndim = 1 + rng.below(3);
    let shape: Vec<usize> = (0..ndim)
        .map(|_| 1 + rng.below(if ndim == 3 { 7 } else { 13 }))
        .collect();
    let dist = match rng.below(3) {
        0 => Distribution::regular(&shape, rt.size(), None).unwrap(),
        1 => {
            let chunk: Vec<usize> = shape.iter().map(|&n| rng.below(n + 1)).collect();
            Distribution::regular(&shape, rt.size(), Some(&chunk)).unwrap()
        }
        _ => {
            let mut starts = vec![vec![0]; ndim];
            for cut in 1..shape[0] {
                if starts[0].len() < rt.size() && rng.below(3) == 0 {
                    starts[0].push(cut);
                }
            }
            Distribution::irregular(&shape, rt.size(), &starts).unwrap()
        }
    };
    let widths: Vec<usize> = (0..ndim)
        .map(|d| {
            let narrowest = dist.bounds(d).windows(2).map(|b| b[1] - b[0]).min();
            rng.below(narrowest.unwrap_or(0).min(3) + 1)
        })
        .collect();
    let periodic: Vec<bool> = (0..ndim).map(|_| rng.below(2) == 0).collect();
    let mut ga =
        GlobalArray::<i64, IxDyn>::with_distribution_and_ghosts(rt, dist, &widths, &periodic)
            .unwrap();
    assert_eq!(ga.ghost_widths(), &widths[..]);
    assert_eq!(ga.ghost_periodic(), &periodic[..]);
    let global = rng.data::<i64>(&shape);
    ga.local_with_ghosts_mut().fill(SENTINEL);
    ga.sync().unwrap();
    if rt.rank() == 0 {
        ga.put(.., &global).unwrap();
    }
    ga.sync().unwrap();
    Trial {
        ga,
        global,
        widths,
        periodic,
    }
}

impl Trial {
    /// What this rank's padded block holds once the halo boxes that `set`
    /// accepts (by the padded index's position per axis: `-1` before the
    /// interior, `0` inside, `1` after) are updated; the others hold
    /// `old`'s value.
    fn model(&self, rt: &Runtime, old: &ArrayD<i64>, set: impl Fn(&[i32]) -> bool) -> ArrayD<i64> {
        let Some(b) = self.ga.distribution(rt.rank()) else {
            return old.clone();
        };
        let n = self.global.ndim();
        let mut want = old.clone();
        for (i, x) in want.indexed_iter_mut() {
            let mut g = vec![0usize; n];
            let mut pos = vec![0i32; n];
            let mut inside = true;
            for d in 0..n {
                let at = b.lo()[d] as isize + i[d] as isize - self.widths[d] as isize;
                let ext = self.global.shape()[d] as isize;
                pos[d] = if i[d] < self.widths[d] {
                    -1
                } else if i[d] >= self.widths[d] + b.shape()[d] {
                    1
                } else {
                    0
                };
                if (0..ext).contains(&at) {
                    g[d] = at as usize;
                } else if self.periodic[d] {
                    g[d] = at.rem_euclid(ext) as usize;
                } else {
                    inside = false;
                }
            }
            if pos.iter().all(|&p| p == 0) || (inside && set(&pos)) {
                *x = self.global[IxDyn(&g)];
            }
        }
        want
    }

    fn padded(&self) -> ArrayD<i64> {
        self.ga.local_with_ghosts().unwrap().to_owned()
    }
}

/// `update_ghosts` fills every ghost cell, corners included, that stands
/// for an element (wrapping on periodic axes) and leaves the rest alone;
/// the interiors do not change. A second round after accumulates sees the
/// new values.
fn ghost_update_matches_padded_model(rt: &Runtime) {
    let mut rng = Rng::new(0x6057);
    for it in 0..12 {
        let mut t = trial(rt, &mut rng);
        assert_eq!(t.ga.get(..).unwrap(), t.global, "trial {it} as put");
        let before = t.padded();
        t.ga.update_ghosts().unwrap();
        let want = t.model(rt, &before, |_| true);
        assert_eq!(
            t.padded(),
            want,
            "widths {:?} periodic {:?}",
            t.widths,
            t.periodic
        );
        if let Some(b) = t.ga.distribution(rt.rank()) {
            assert_eq!(
                *t.ga.local(),
                t.global.slice(slice_of(&b).as_slice()),
                "rank {} trial {it} widths {:?} periodic {:?} dist {:?}",
                rt.rank(),
                t.widths,
                t.periodic,
                t.ga.distribution_map()
            );
        }
        assert_eq!(
            t.ga.get(..).unwrap(),
            t.global,
            "rank {} trial {it} widths {:?} periodic {:?} dist {:?}",
            rt.rank(),
            t.widths,
            t.periodic,
            t.ga.distribution_map()
        );
        // Accumulate a random section everywhere (once every rank has
        // read) and update again.
        t.ga.sync().unwrap();
        let sec = rng.section(t.global.shape());
        let add = rng.data::<i64>(&sec.shape());
        t.ga.acc(&sec, &add, 1).unwrap();
        let mut part = t.global.slice_mut(slice_of(&sec).as_slice());
        part += &(&add * rt.size() as i64);
        t.ga.sync().unwrap();
        assert_eq!(t.ga.get(..).unwrap(), t.global, "after acc of {sec:?}");
        let before = t.padded();
        t.ga.update_ghosts().unwrap();
        assert_eq!(t.padded(), t.model(rt, &before, |_| true));
    }
}

/// A rank whose process views its halo gets `Borrowed` from
/// `update_ghosts` and keeps its halo; the others, its neighbours included,
/// get `Ok` and their full halos, corners too (which travel through the
/// viewing rank's halo along the earlier axes). After the view is dropped
/// an update fills every halo.
fn ghost_update_with_a_halo_view(rt: &Runtime) {
    let mut rng = Rng::new(0x6a10);
    for it in 0..10 {
        let mut t = trial(rt, &mut rng);
        let viewer = rng.below(rt.size());
        let before = t.padded();
        let view = (rt.rank() == viewer).then(|| t.ga.local_with_ghosts().unwrap());
        let r = t.ga.update_ghosts();
        let want = t.model(rt, &before, |_| true);
        if let Some(v) = &view {
            let e = r.unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Borrowed, "{e}");
            assert_eq!(**v, before.view(), "trial {it}: the viewed halo changed");
        } else {
            r.unwrap();
            assert_eq!(
                t.padded(),
                want,
                "rank {} trial {it} viewer {viewer} widths {:?} periodic {:?} dist {:?}",
                rt.rank(),
                t.widths,
                t.periodic,
                t.ga.distribution_map()
            );
        }
        drop(view);
        // Writes of the interiors right after (no barrier needed), then
        // an update with every view dropped.
        let add = rng.data::<i64>(t.global.shape());
        if let Some(b) = t.ga.distribution(rt.rank()) {
            let mut local = t.ga.local_mut();
            local += &add.slice(slice_of(&b).as_slice());
        }
        t.global += &add;
        let before = t.padded();
        t.ga.update_ghosts().unwrap();
        assert_eq!(
            t.padded(),
            t.model(rt, &before, |_| true),
            "trial {it} again"
        );
    }
}

/// One side of one axis at a time: without corners only that side's box
/// changes; with corners, axis by axis with a sync in between, the result
/// is `update_ghosts`'s. Non-blocking updates of both sides of an axis
/// overlap, and with two threads per rank each thread updates one side.
fn ghost_dir_updates_one_side(rt: &Runtime) {
    let mut rng = Rng::new(0xD1);
    let threaded = gain::threads() > 1;
    for _ in 0..10 {
        let t = trial(rt, &mut rng);
        let n = t.global.ndim();
        let axis = rng.below(n);
        let dir = if rng.below(2) == 0 { -1 } else { 1 };
        let before = t.padded();
        t.ga.update_ghost_dir(axis, dir, false).unwrap();
        let want = t.model(rt, &before, |p| {
            (0..n).all(|d| if d == axis { p[d] == dir } else { p[d] == 0 })
        });
        assert_eq!(t.padded(), want, "axis {axis} dir {dir}, {:?}", t.widths);
        t.ga.sync().unwrap();
        for a in 0..n {
            if threaded {
                std::thread::scope(|scope| {
                    for d in [-1, 1] {
                        let ga = &t.ga;
                        scope.spawn(move || ga.update_ghost_dir(a, d, true).unwrap());
                    }
                });
            } else {
                let low = t.ga.update_ghost_dir_nb(a, -1, true).unwrap();
                let high = t.ga.update_ghost_dir_nb(a, 1, true).unwrap();
                // The interior may be viewed while the halo travels.
                let inner = t.ga.local().to_owned();
                let err = t.ga.local_with_ghosts().unwrap_err();
                assert_eq!(err.kind(), ErrorKind::Borrowed);
                high.wait().unwrap();
                drop(low); // waits too
                let b = t.ga.distribution(rt.rank());
                assert_eq!(inner.len(), b.map_or(0, |b| b.len()));
            }
            t.ga.sync().unwrap();
        }
        assert_eq!(t.padded(), t.model(rt, &before, |_| true));
    }
}

/// Ghost and plain arrays of one shape and distribution answer the same:
/// random gets, puts, accumulates, `at`, `read_inc`, local views,
/// `access`, `copy_from` both ways, `.npy` save and load, random fills,
/// a replicated copy, and NumPy-layer expressions and reductions.
// `s![1..-1]`: NumPy-style negative ends, not empty ranges.
#[allow(clippy::reversed_empty_ranges)]
fn ghost_arrays_behave_like_plain_arrays(rt: &Runtime) {
    let mut rng = Rng::new(0xA11);
    for _ in 0..6 {
        let t = trial(rt, &mut rng);
        let shape = t.global.shape().to_vec();
        let dist = t.ga.distribution_map().clone();
        let mut plain = GlobalArray::<i64, IxDyn>::with_distribution(rt, dist).unwrap();
        let ga = t.ga;
        plain.copy_from(&ga).unwrap();
        assert_eq!(plain.get(..).unwrap(), t.global);
        for _ in 0..8 {
            // Every rank has read what the last round wrote.
            ga.sync().unwrap();
            plain.sync().unwrap();
            let sec = rng.section(&shape);
            let data = rng.data::<i64>(&sec.shape());
            let (put, writer) = (rng.below(3) == 0, rng.below(rt.size()));
            if !put {
                ga.acc(&sec, &data, 3).unwrap();
                plain.acc(&sec, &data, 3).unwrap();
            } else if rt.rank() == writer {
                ga.put(&sec, &data).unwrap();
                plain.put(&sec, &data).unwrap();
            }
            ga.sync().unwrap();
            plain.sync().unwrap();
            let sec = rng.section(&shape);
            assert_eq!(ga.get(&sec).unwrap(), plain.get(&sec).unwrap());
            assert_eq!(*ga.access(&sec).unwrap(), *plain.access(&sec).unwrap());
            let at: Vec<usize> = shape.iter().map(|&n| rng.below(n)).collect();
            assert_eq!(ga.at(&at).unwrap(), plain.at(&at).unwrap());
        }
        let at: Vec<usize> = shape.iter().map(|&n| rng.below(n)).collect();
        // The ranks' increments land in any order: only the sums agree.
        ga.sync().unwrap();
        plain.sync().unwrap();
        ga.read_inc(&at, 2).unwrap();
        plain.read_inc(&at, 2).unwrap();
        ga.sync().unwrap();
        plain.sync().unwrap();
        assert_eq!(ga.get(..).unwrap(), plain.get(..).unwrap());
        assert_eq!(*ga.local(), *plain.local());
        for r in ga.node_ranks() {
            assert_eq!(*ga.local_of(r).unwrap(), *plain.local_of(r).unwrap());
        }
        // Files: a ghost array saved reads back as the plain one, and
        // loads into a ghost array.
        let path = std::env::temp_dir().join(format!("gain-test-ghosts-{}.npy", rt_id(rt)));
        gain::io::save_npy(&ga, &path).unwrap();
        let loaded = gain::io::load_npy::<i64, IxDyn>(rt, &path).unwrap();
        assert_eq!(loaded.get(..).unwrap(), plain.get(..).unwrap());
        let mut again = ga.duplicate().unwrap();
        assert_eq!(again.ghost_widths(), ga.ghost_widths());
        gain::io::load_npy_into(&mut again, &path).unwrap();
        assert_eq!(again.get(..).unwrap(), plain.get(..).unwrap());
        if rt.rank() == 0 {
            std::fs::remove_file(&path).unwrap();
        }
        let copy = gain::Replicated::from_global(&ga).unwrap();
        assert_eq!(copy.view(), plain.get(..).unwrap());
        plain.copy_from(&again).unwrap();
        assert_eq!(plain.get(..).unwrap(), ga.get(..).unwrap());
    }
    // Random fills and the NumPy layer, on 2-d float arrays.
    let widths = [1, 1];
    let (m, n) = (4 * rt.size() + 3, 9);
    let mut g =
        GlobalArray::<f64, Ix2>::zeros_with_ghosts(rt, [m, n], &widths, &[true, false]).unwrap();
    let mut p = GlobalArray::<f64, Ix2>::zeros(rt, [m, n]).unwrap();
    assert!(g.compare_distr(&p));
    gain::random::fill_uniform(&mut g, 7, -1.0, 1.0).unwrap();
    gain::random::fill_uniform(&mut p, 7, -1.0, 1.0).unwrap();
    assert_eq!(g.get(..).unwrap(), p.get(..).unwrap());
    let stencil = |u: &GlobalArray<f64, Ix2>| -> Array2<f64> {
        let mut out = numpy::zeros_like(u).unwrap();
        let e = (u.slice(s![..-2, 1..-1]).unwrap() + u.slice(s![2.., 1..-1]).unwrap()) * 0.5;
        out.slice_mut(s![1..-1, 1..-1]).unwrap().assign(e).unwrap();
        out.get(..).unwrap()
    };
    assert_eq!(stencil(&g), stencil(&p));
    assert_eq!((&g * 2.0).sum().unwrap(), (&p * 2.0).sum().unwrap());
    assert_eq!((&g - &p).norm_max().unwrap(), 0.0);
    assert_eq!(
        g.sum_axis(Axis(1)).unwrap().get(..).unwrap(),
        p.sum_axis(Axis(1)).unwrap().get(..).unwrap()
    );
    assert_eq!(
        g.cumsum(Axis(0)).unwrap().get(..).unwrap(),
        p.cumsum(Axis(0)).unwrap().get(..).unwrap()
    );
    let mut gs = numpy::zeros_like(&g).unwrap();
    gs.view_mut().assign(&g).unwrap();
    assert_eq!(gs.get(..).unwrap(), p.get(..).unwrap());
    g.view_mut().assign(numpy::expr(&p) * 3.0).unwrap();
    assert_eq!(g.get(..).unwrap(), p.get(..).unwrap() * 3.0);
}

/// A name for files every rank of this job agrees on.
fn rt_id(rt: &Runtime) -> String {
    let mut id = [std::process::id() as u64];
    use mpi::traits::*;
    rt.comm().process_at_rank(0).broadcast_into(&mut id[..]);
    format!("{}", id[0])
}

/// Bad input, on every rank and before anything is allocated or copied.
fn ghost_bad_input(rt: &Runtime) {
    let np = rt.size();
    let kind = |r: gain::Result<GlobalArray<f64, IxDyn>>| r.unwrap_err().kind();
    // Wider than a block: 10 elements over np ranks have blocks of 10 / np.
    let narrow = 10 / np;
    let r = GlobalArray::<f64, _>::zeros_with_ghosts(rt, IxDyn(&[10]), &[narrow + 1], &[false]);
    assert_eq!(kind(r), ErrorKind::InvalidArgument);
    let r = GlobalArray::<f64, _>::zeros_with_ghosts(rt, IxDyn(&[10, 4]), &[1], &[false, true]);
    assert_eq!(kind(r), ErrorKind::DimensionMismatch);
    let r = GlobalArray::<f64, _>::zeros_with_ghosts(rt, IxDyn(&[10, 4]), &[1, 1], &[false]);
    assert_eq!(kind(r), ErrorKind::DimensionMismatch);
    // Different widths on one rank.
    let w = if rt.rank() == np - 1 { 2 } else { 1 };
    let r = GlobalArray::<f64, _>::zeros_with_ghosts(rt, IxDyn(&[40]), &[w], &[true]);
    match np {
        1 => assert!(r.is_ok()),
        _ => assert_eq!(kind(r), ErrorKind::InconsistentArguments),
    }
    // An array without blocks takes any widths; zero widths are plain.
    let e = GlobalArray::<f64, _>::zeros_with_ghosts(rt, [0, 3], &[5, 5], &[true, true]).unwrap();
    e.update_ghosts().unwrap();
    let z = GlobalArray::<f64, _>::zeros_with_ghosts(rt, [8, 3], &[0, 0], &[true, true]).unwrap();
    z.update_ghosts().unwrap();
    assert!(z.local().is_standard_layout());
    let ga =
        GlobalArray::<f64, _>::zeros_with_ghosts(rt, [4 * np, 6], &[1, 2], &[true, false]).unwrap();
    for (axis, dir) in [(2, 1), (0, 0), (1, -2)] {
        let e = ga.update_ghost_dir(axis, dir, false).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        let e = ga.update_ghost_dir_nb(axis, dir, true).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    }
    // A view of the halo on the last rank: Borrowed there, the others
    // update (ghost_update_with_a_halo_view checks their halos).
    let view = (rt.rank() == np - 1).then(|| ga.local_with_ghosts().unwrap());
    let r = ga.update_ghosts();
    if view.is_some() {
        let e = r.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Borrowed, "{e}");
        let e = ga.update_ghost_dir(0, 1, false).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Borrowed);
        // The view counts for the block too.
        let mine = ga.distribution(rt.rank()).unwrap();
        let zeros = ndarray::Array2::zeros((mine.shape()[0], mine.shape()[1]));
        let e = ga.put(&mine, &zeros).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Borrowed);
    } else {
        r.unwrap();
    }
    drop(view);
    ga.update_ghosts().unwrap();
    // k-means reads each block of points as one slice.
    let pts = GlobalArray::<f64, _>::zeros_with_ghosts(rt, [4 * np, 3], &[0, 1], &[false, false])
        .unwrap();
    let e = gain::cluster::KMeans::new(2).fit(&pts).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidDistribution);
}
