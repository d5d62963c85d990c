//! Local views and in-place access: what a rank sees of its node's
//! blocks, how blocks are laid out, and what a held view refuses.

use gain::{Element, ErrorKind, GlobalArray, Runtime, Section};
use mpi::traits::*;
use ndarray::{Array, IxDyn};

use crate::model::{Rng, random_array, slice_of};
use crate::registry::{Case, case};

/// Local views and access, with the tags that say which configurations run
/// them (`registry::Tag`).
pub const CASES: &[Case] = &[
    case!(local_views; Light, Hosts),
    case!(views_refuse_this_process_writes; Light),
    case!(access_in_place_or_fetched; Light),
    case!(blocks_are_cache_line_aligned; Light),
    case!(raw_mpi_get_at_mpi_displacement; Light),
];

fn local_views(rt: &Runtime) {
    let mut ga = GlobalArray::<f64, _>::zeros(rt, [6, 5]).unwrap();
    let me = rt.rank() as f64;
    ga.local_mut().fill(me + 1.0);
    ga.sync().unwrap();
    for r in 0..rt.size() {
        let Some(b) = ga.distribution(r) else {
            continue;
        };
        let got = ga.get(&b).unwrap();
        assert!(got.iter().all(|&x| x == r as f64 + 1.0));
        match ga.local_of(r) {
            Ok(v) => {
                assert!(rt.is_same_node(r));
                assert_eq!(v, got);
            }
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::NotSameNode);
                assert!(!rt.is_same_node(r));
            }
        }
    }
    assert_eq!(ga.node_ranks(), rt.node_ranks());
}

/// A view this process holds (`local`, `local_of`, `access` in place,
/// `access_nb` in place, a NumPy operand while its closure runs) makes its
/// own `put`, `acc` and `read_inc` into that block return `Borrowed`,
/// naming the rank, with nothing written anywhere (not even the pieces of
/// other blocks in the same call); other blocks stay writable, and once the
/// view is dropped the same writes go through. Every rank attempts only
/// writes its own views refuse, so the refused phase writes nothing at all.
fn views_refuse_this_process_writes(rt: &Runtime) {
    let (np, me) = (rt.size(), rt.rank());
    let n = 3 * np;
    let ga = GlobalArray::<i64, _>::zeros(rt, n).unwrap();
    let model = ndarray::Array1::from_iter(0..n as i64);
    if me == 0 {
        ga.put(.., &model).unwrap();
    }
    ga.sync().unwrap();
    let borrowed = |r: gain::Result<()>, rank: usize, what: &str| {
        let e = r.expect_err(what);
        assert_eq!(e.kind(), ErrorKind::Borrowed, "{what}: {e}");
        assert!(e.message().contains(&format!("rank {rank}")), "{what}: {e}");
    };
    let ones = |b: &Section| ndarray::Array1::<i64>::ones(b.len());
    for r in rt.node_ranks() {
        let Some(b) = ga.distribution(r) else {
            continue;
        };
        let (lo, hi) = (b.lo()[0], b.hi()[0]);
        for how in ["local_of", "access", "access_nb"] {
            // Hold a view of block r the chosen way for the whole inner scope.
            let (local, access);
            match how {
                "local_of" if r == me => {
                    local = Some(ga.local());
                    access = None;
                }
                "local_of" => {
                    local = Some(ga.local_of(r).unwrap());
                    access = None;
                }
                "access" => {
                    local = None;
                    access = Some(ga.access(lo + 1..hi).unwrap());
                }
                _ => {
                    local = None;
                    access = Some(ga.access_nb(lo..hi - 1).unwrap().wait().unwrap());
                }
            }
            if let Some(a) = &access {
                assert!(
                    a.is_view() || b.len() < 2,
                    "{how}: a section in one same-node block"
                );
                if !a.is_view() {
                    continue; // an empty section: a copy that holds no block
                }
            }
            borrowed(ga.put(&b, &ones(&b)), r, &format!("put after {how} of {r}"));
            borrowed(
                ga.acc(&b, &ones(&b), 1),
                r,
                &format!("acc after {how} of {r}"),
            );
            borrowed(
                ga.read_inc(&[hi - 1], 1).map(drop),
                r,
                &format!("read_inc after {how} of {r}"),
            );
            // A put over the whole array, blocks before and after r included.
            borrowed(
                ga.put(.., &ndarray::Array1::<i64>::zeros(n)),
                r,
                &format!("put(..) after {how} of {r}"),
            );
            drop((local, access));
        }
    }
    ga.sync().unwrap();
    assert_eq!(
        ga.get(..).unwrap(),
        model,
        "a refused write wrote something"
    );
    ga.sync().unwrap(); // every rank has read before anyone writes again

    // Views of one's own block leave the other blocks writable: each rank
    // holds its own block and puts into its successor's. The view is held
    // across the sync, after which it shows the predecessor's put.
    let mine = ga.local();
    let next = (me + 1) % np;
    if next != me
        && let Some(b) = ga.distribution(next)
    {
        ga.put(&b, &ndarray::Array1::<i64>::from_elem(b.len(), -1))
            .unwrap();
    }
    ga.sync().unwrap();
    if np > 1 {
        assert!(mine.iter().all(|&x| x == -1), "rank {me} sees {mine}");
    }
    drop(mine);
    ga.sync().unwrap();

    // Dropped: the same writes go through.
    if let Some(b) = ga.distribution(me) {
        ga.put(&b, &ones(&b)).unwrap();
        ga.acc(&b, &ones(&b), 2).unwrap();
        // This rank's own accumulate has landed before its view exists
        // (across nodes it went through MPI and may have been in flight).
        assert!(ga.local().iter().all(|&x| x == 3), "{}", ga.local());
        assert_eq!(ga.read_inc(&[b.lo()[0]], 1).unwrap(), 3);
        let a = ga.access(&b).unwrap();
        assert!(a.is_view());
        let owned = a.into_owned(); // the copy holds no block
        ga.put(&b, &owned).unwrap();
    }
    ga.sync().unwrap();
    let want: Vec<i64> = (0..n)
        .map(|i| {
            let first = (0..np).any(|r| ga.distribution(r).is_some_and(|b| b.lo()[0] == i));
            if first { 4 } else { 3 }
        })
        .collect();
    assert_eq!(ga.get(..).unwrap().to_vec(), want);

    // A NumPy operand is a view while the operation runs: a put from the
    // closure into the operand's block is refused.
    let src = gain::numpy::full(rt, [n], 5i64).unwrap();
    let mut out = gain::numpy::zeros::<i64, _>(rt, [n]).unwrap();
    let mut refused = 0;
    gain::numpy::Zip::from(&mut out)
        .and(&src)
        .for_each(|o, &x| {
            *o = x;
            let b = src.distribution(me).expect("this rank evaluates its block");
            if let Err(e) = src.put(b.lo()[0]..b.lo()[0] + 1, &[7]) {
                assert_eq!(e.kind(), ErrorKind::Borrowed);
                refused += 1;
            }
        })
        .unwrap();
    let owns = out.distribution(me).map_or(0, |b| b.len());
    assert_eq!(
        refused, owns,
        "every closure call saw its operand's block counted"
    );
    assert_eq!(src.get(..).unwrap().sum(), 5 * n as i64);
    assert_eq!(out.get(..).unwrap().sum(), 5 * n as i64);
}

/// `access` and `access_nb` against the serial model, for random sections
/// and for random sections inside each rank's block: a view of the owner's
/// block (at the section's first element) exactly when one block on this
/// node holds the section, a copy otherwise, equal to the model either way.
fn access_in_place_or_fetched(rt: &Runtime) {
    let mut shared = Rng::new(11);
    let mut own = Rng::new(2000 + rt.rank() as u64);
    let (mut views, mut copies, mut owned) = (0, 0, false);
    for ndim in 1..=4 {
        for _ in 0..4 {
            let ga = random_array::<i32>(rt, &mut shared, ndim);
            let model = shared.data::<i32>(ga.shape());
            if rt.rank() == 0 {
                ga.put(Section::full(ga.shape()), model.view()).unwrap();
            }
            ga.sync().unwrap();
            owned |= ga.distribution(rt.rank()).is_some();
            let mut sections: Vec<Section> = (0..8).map(|_| own.section(ga.shape())).collect();
            for r in 0..rt.size() {
                if let Some(b) = ga.distribution(r) {
                    let inside = own.section(&b.shape());
                    sections.push(Section::from_fn(b.ndim(), |d| {
                        (b.lo()[d] + inside.lo()[d], b.lo()[d] + inside.hi()[d])
                    }));
                }
            }
            for s in sections {
                let want = model.slice(slice_of(&s).as_slice());
                let holder = match ga.locate_region(s).unwrap()[..] {
                    [(owner, _)] if rt.is_same_node(owner) => Some(owner),
                    _ => None,
                };
                let got = ga.access(s).unwrap();
                let later = ga.access_nb(s).unwrap().wait().unwrap();
                for part in [&got, &later] {
                    assert_eq!(part.view(), want, "section {s:?}");
                    assert_eq!(part.is_view(), holder.is_some(), "section {s:?}");
                    if let Some(owner) = holder {
                        let block = ga.local_of(owner).unwrap();
                        let first = s.relative_to(ga.distribution(owner).unwrap().lo());
                        let at = &block[IxDyn(first.lo())] as *const i32;
                        assert_eq!(part.as_ptr(), at, "section {s:?} not in place");
                    }
                }
                if holder.is_some() {
                    views += 1;
                } else {
                    copies += 1;
                }
            }
            let past = Section::from_fn(ndim, |d| (0, ga.shape()[d] + usize::from(d == 0)));
            assert_eq!(ga.access(past).unwrap_err().kind(), ErrorKind::OutOfBounds);
            assert_eq!(
                ga.access_nb(past).err().map(|e| e.kind()),
                Some(ErrorKind::OutOfBounds)
            );
        }
    }
    // Both paths ran: own blocks are on this node; at np > 1 some random
    // sections cross blocks.
    assert!(
        views > 0 || !owned,
        "no section was held by one same-node block"
    );
    assert!(copies > 0 || rt.size() == 1, "no section needed a copy");
}

/// Every block's first element is 64-byte aligned, seen from its owner and
/// from the ranks on its node, for element sizes 1 to 8 and 1 to 3
/// dimensions.
fn blocks_are_cache_line_aligned(rt: &Runtime) {
    fn check<T: Element>(rt: &Runtime, shape: &[usize]) {
        let ga = GlobalArray::<T, _>::zeros(rt, IxDyn(shape)).unwrap();
        let at = |p: *const T| p as usize % 64;
        assert_eq!(at(ga.local().as_ptr()), 0, "own block, {shape:?}");
        for r in ga.node_ranks() {
            let v = ga.local_of(r).unwrap();
            assert_eq!(at(v.as_ptr()), 0, "rank {r}'s block, {shape:?}");
        }
    }
    for shape in [&[13][..], &[7, 5], &[3, 4, 5], &[1]] {
        check::<u8>(rt, shape);
        check::<i16>(rt, shape);
        check::<f32>(rt, shape);
        check::<f64>(rt, shape);
    }
}

/// A raw `MPI_Get` at the window and displacement that
/// `mpi_windows`/`mpi_displacement` give reads the element there: the
/// node window for same-node owners (node-local rank numbers), the world
/// window for all when the job spans nodes.
fn raw_mpi_get_at_mpi_displacement(rt: &Runtime) {
    use mpi::ffi;
    let n = 5 * rt.size() + 3;
    let ga = GlobalArray::<i64, _>::zeros(rt, [n, 3]).unwrap();
    if rt.rank() == 0 {
        let all = Array::from_shape_fn((n, 3), |(i, j)| (10 * i + j) as i64);
        ga.put([0..n, 0..3], all.view()).unwrap();
    }
    ga.sync().unwrap();
    let (node, world) = ga.mpi_windows();
    let node_ranks = rt.node_ranks();
    let ty = i64::equivalent_datatype().as_raw();
    for i in 0..n {
        for j in 0..3 {
            let (owner, disp) = ga.mpi_displacement(&[i, j]).unwrap();
            let (win, target) = match world {
                Some(w) => (w, owner),
                None => (node, node_ranks.iter().position(|&r| r == owner).unwrap()),
            };
            let mut got = -1i64;
            // SAFETY: `got` is one i64 that outlives the flush; the window
            // and displacement come from the live array.
            unsafe {
                let t = target as i32;
                let rc = ffi::MPI_Get((&mut got as *mut i64).cast(), 1, ty, t, disp, 1, ty, win);
                assert_eq!(rc, 0);
                assert_eq!(ffi::MPI_Win_flush_local(t, win), 0);
            }
            assert_eq!(
                got,
                (10 * i + j) as i64,
                "element [{i}, {j}] of rank {owner}"
            );
        }
    }
    ga.sync().unwrap();
}
