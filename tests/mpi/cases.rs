//! The test cases every MPI child runs. Each rank keeps a serial ndarray
//! model of every array and checks the distributed result against it.

use gain::{Element, ErrorKind, GlobalArray, IntoSection, Runtime, Section};
use mpi::traits::*;
use ndarray::{Array, ArrayD, Axis, IxDyn, ShapeBuilder, SliceInfo, SliceInfoElem, s};

use crate::harness::CASES as CASES_VAR;

type Case = (&'static str, bool, fn(&Runtime));

/// (name, own, body). Cases marked `own` run only in configurations of
/// their own: heavy ones, and ones that need a special environment.
const CASES: &[Case] = &[
    ("roundtrip_i16", false, roundtrip::<i16>),
    ("roundtrip_i32", false, roundtrip::<i32>),
    ("roundtrip_i64", false, roundtrip::<i64>),
    ("roundtrip_f32", false, roundtrip::<f32>),
    ("roundtrip_f64", false, roundtrip::<f64>),
    ("roundtrip_static_dims", false, roundtrip_static_dims),
    ("section_forms_match_the_model", false, section_forms),
    (
        "section_forms_static_dims",
        false,
        section_forms_static_dims,
    ),
    ("section_form_errors", false, section_form_errors),
    ("acc_contention_i64", false, acc_contention::<i64>),
    ("acc_contention_f64", false, acc_contention::<f64>),
    ("read_inc_hands_out_each_value_once", false, read_inc_once),
    ("acc_overflow_wraps_i32", false, acc_wraps::<i32>),
    ("acc_overflow_wraps_u8", false, acc_wraps::<u8>),
    ("acc_overflow_wraps_i16", false, acc_wraps::<i16>),
    ("acc_overflow_wraps_i64", false, acc_wraps::<i64>),
    ("acc_overflow_wraps_u32", false, acc_wraps::<u32>),
    ("read_inc_signed_increments", false, read_inc_signed),
    ("more_ranks_than_elements", false, more_ranks_than_elements),
    ("empty_arrays_like_ndarray", false, empty_arrays),
    (
        "numpy_empty_arrays_like_ndarray",
        false,
        crate::numpy::empty_arrays,
    ),
    ("local_views", false, local_views),
    (
        "calls_complete_while_target_computes",
        false,
        calls_complete_while_target_computes,
    ),
    (
        "views_refuse_this_process_writes",
        false,
        views_refuse_own_writes,
    ),
    (
        "access_in_place_or_fetched",
        false,
        access_in_place_or_fetched,
    ),
    ("blocks_are_cache_line_aligned", false, aligned_blocks),
    ("raw_mpi_get_at_mpi_displacement", false, raw_displacements),
    (
        "own_operations_stay_in_order",
        false,
        own_operations_in_order,
    ),
    ("collective_copies", false, collective_copies),
    ("errors", false, errors),
    ("runtime_on_a_sub_communicator", false, sub_communicator),
    ("large_transfer_over_2gib", true, large_transfer),
    (
        "world_window_failing_everywhere_is_an_error",
        true,
        world_window_fails_everywhere,
    ),
    (
        "io_npy_save_load_match_the_model",
        false,
        crate::io::npy_roundtrip,
    ),
    ("io_npy_bad_input", false, crate::io::npy_bad_input),
    (
        "file_backed_read_write_matches_the_model",
        false,
        crate::mapped::read_write_matches_the_model,
    ),
    (
        "file_backed_read_only_refuses_writes",
        false,
        crate::mapped::read_only_refuses_writes,
    ),
    ("file_backed_bad_input", false, crate::mapped::bad_input),
    (
        "io_numpy_reads_and_writes_the_same_files",
        true,
        crate::io::numpy_interop,
    ),
    (
        "bad_max_transfer_bytes_is_an_error",
        true,
        bad_max_transfer_bytes,
    ),
    (
        "random_identical_across_distributions",
        false,
        crate::numeric::random_identical_across_distributions,
    ),
    (
        "matmul_any_distributions",
        false,
        crate::numeric::matmul_any_distributions,
    ),
    (
        "transpose_any_distributions",
        false,
        crate::numeric::transpose_any_distributions,
    ),
    (
        "matmul_transposed_operands",
        false,
        crate::numeric::matmul_transposed_operands,
    ),
    ("linalg_errors", false, crate::numeric::linalg_errors),
    (
        "numpy_views_match_ndarray",
        false,
        crate::numpy::views_match_ndarray,
    ),
    (
        "numpy_elementwise_and_broadcasting",
        false,
        crate::numpy::elementwise_and_broadcasting,
    ),
    (
        "numpy_stencils_on_shifted_views",
        false,
        crate::numpy::stencils_on_shifted_views,
    ),
    (
        "numpy_reductions_and_scans",
        false,
        crate::numpy::reductions_and_scans,
    ),
    (
        "numpy_static_dimensions_and_axes",
        false,
        crate::numpy::static_dimensions_and_axes,
    ),
    (
        "numpy_zip_six_and_eight_inputs",
        false,
        crate::numpy::zip_six_and_eight_inputs,
    ),
    ("numpy_creation", false, crate::numpy::creation),
    ("numpy_errors", false, crate::numpy::numpy_errors),
    (
        "cluster_kmeans_matches_serial_model",
        false,
        crate::cluster::kmeans_matches_serial_model,
    ),
    (
        "cluster_kmeans_errors",
        false,
        crate::cluster::kmeans_errors,
    ),
    (
        "runtime_sync_covers_every_array",
        false,
        runtime_sync_covers_every_array,
    ),
    (
        "bad_input_every_error_kind",
        false,
        crate::bad_input::every_error_kind,
    ),
    (
        "bad_input_one_rank_wrong_argument",
        false,
        crate::bad_input::one_rank_wrong_argument,
    ),
    (
        "replicated_roundtrip_from_global_i32",
        false,
        crate::replicated::from_global::<i32>,
    ),
    (
        "replicated_roundtrip_from_global_f64",
        false,
        crate::replicated::from_global::<f64>,
    ),
    (
        "replicated_roundtrip_from_global_u8",
        false,
        crate::replicated::from_global::<u8>,
    ),
    (
        "replicated_roundtrip_from_global_i64",
        false,
        crate::replicated::from_global::<i64>,
    ),
    (
        "replicated_roundtrip_from_global_f32",
        false,
        crate::replicated::from_global::<f32>,
    ),
    (
        "replicated_roundtrip_from_root_every_root",
        false,
        crate::replicated::from_root,
    ),
    (
        "replicated_updates_change_what_every_rank_sees",
        false,
        crate::replicated::updates,
    ),
    ("replicated_bad_input", false, crate::replicated::bad_input),
    (
        "replicated_one_copy_per_node_pss",
        false,
        crate::replicated::one_copy_per_node_pss,
    ),
    (
        "threads_same_bits_on_any_pool",
        true,
        crate::threads::same_bits_on_any_pool,
    ),
    (
        "threads_concurrent_one_sided_calls",
        true,
        crate::threads::concurrent_one_sided_calls,
    ),
];

/// The names of the cases every configuration runs (all but those marked
/// `own`, which run in configurations of their own).
pub fn names() -> Vec<&'static str> {
    CASES.iter().filter(|c| !c.1).map(|c| c.0).collect()
}

/// Runs the cases `GAIN_TEST_CASES` names, in order; after each, rank 0
/// prints `case NAME ok` (the parent reads it to tell which passed).
pub fn run_cases() {
    let rt = gain::init().expect("init");
    let wanted = std::env::var(CASES_VAR).unwrap_or_default();
    for name in wanted.split(',').filter(|n| !n.is_empty()) {
        let (_, _, body) = CASES
            .iter()
            .find(|c| c.0 == name)
            .unwrap_or_else(|| panic!("no case named {name}"));
        let start = std::time::Instant::now();
        body(&rt);
        rt.comm().barrier();
        if rt.rank() == 0 {
            println!(
                "case {name} ok (np={}) {:.2} s",
                rt.size(),
                start.elapsed().as_secs_f64()
            );
        }
    }
}

/// Rank `size - 1` panics while the others wait in a collective.
pub fn panic_on_last_rank() {
    let rt = gain::init().expect("init");
    if rt.rank() == rt.size() - 1 {
        panic!("deliberate panic on rank {}", rt.rank());
    }
    rt.comm().barrier();
    unreachable!("the barrier cannot complete");
}

/// SplitMix64, seeded identically on every rank where models must agree.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ 0x1234_5678)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// A random section of `shape`, one in twenty empty.
    pub fn section(&mut self, shape: &[usize]) -> Section {
        let empty = self.below(20) == 0;
        let (lo, hi) = shape
            .iter()
            .map(|&n| {
                let (a, b) = (self.below(n), self.below(n));
                if empty {
                    (a, a)
                } else {
                    (a.min(b), a.max(b) + 1)
                }
            })
            .unzip();
        Section::new(lo, hi).unwrap()
    }
    /// A random `s![]`-style selection of `shape` (one unit-step range per
    /// dimension, one in ten empty) and the section it names: each bound
    /// absent when it is the end, else counted from the start or from the
    /// end at random.
    pub fn slice(&mut self, shape: &[usize]) -> (Vec<SliceInfoElem>, Section) {
        let empty = self.below(10) == 0;
        let (mut elems, mut lo, mut hi) = (Vec::new(), Vec::new(), Vec::new());
        for &n in shape {
            let (a, b) = (self.below(n + 1), self.below(n + 1));
            let (a, b) = if empty { (a, a) } else { (a.min(b), a.max(b)) };
            let from_end = |i: usize| i as isize - n as isize;
            let start = if a < n && self.below(2) == 0 {
                from_end(a)
            } else {
                a as isize
            };
            let end = match self.below(3) {
                0 if b == n => None,
                1 if b < n => Some(from_end(b)),
                _ => Some(b as isize),
            };
            elems.push(SliceInfoElem::Slice {
                start,
                end,
                step: 1,
            });
            lo.push(a);
            hi.push(b);
        }
        (elems, Section::new(lo, hi).unwrap())
    }
    /// Random data of `shape`, values small enough to be exact in any `T`.
    pub fn data<T: Element>(&mut self, shape: &[usize]) -> ArrayD<T> {
        ArrayD::from_shape_simple_fn(IxDyn(shape), || T::from(self.below(100)).unwrap())
    }
}

fn slice_of(s: &Section) -> Vec<SliceInfoElem> {
    s.lo()
        .iter()
        .zip(s.hi())
        .map(|(&l, &h)| SliceInfoElem::Slice {
            start: l as isize,
            end: Some(h as isize),
            step: 1,
        })
        .collect()
}

/// A random shape of 1 to 4 dimensions and a random array of it with a
/// regular, chunked or irregular distribution (same on every rank).
pub fn random_array<T: Element>(rt: &Runtime, rng: &mut Rng, ndim: usize) -> GlobalArray<T, IxDyn> {
    let shape: Vec<usize> = (0..ndim)
        .map(|_| 1 + rng.below(if ndim > 2 { 6 } else { 13 }))
        .collect();
    match rng.below(3) {
        0 => GlobalArray::zeros(rt, IxDyn(&shape)).unwrap(),
        1 => {
            let chunk: Vec<usize> = shape.iter().map(|&n| rng.below(n + 1)).collect();
            GlobalArray::zeros_chunked(rt, IxDyn(&shape), &chunk).unwrap()
        }
        _ => {
            // Cut dimension 0 at random points, at most `size` blocks.
            let mut starts = vec![vec![0]; ndim];
            for cut in 1..shape[0] {
                if starts[0].len() < rt.size() && rng.below(2) == 0 {
                    starts[0].push(cut);
                }
            }
            GlobalArray::zeros_irregular(rt, IxDyn(&shape), &starts).unwrap()
        }
    }
}

/// Puts by one rank at a time, then gets by every rank, checked against
/// the serial model; buffers in standard, Fortran and reversed layouts.
fn roundtrip<T: Element>(rt: &Runtime) {
    let mut shared = Rng::new(7);
    let mut own = Rng::new(1000 + rt.rank() as u64);
    for ndim in 1..=4 {
        for _ in 0..3 {
            let ga = random_array::<T>(rt, &mut shared, ndim);
            let mut model = ArrayD::<T>::zeros(IxDyn(ga.shape()));
            for round in 0..2 * rt.size() {
                let writer = round % rt.size();
                for k in 0..3 {
                    let sec = shared.section(ga.shape());
                    let data = shared.data::<T>(&sec.shape());
                    model.slice_mut(slice_of(&sec).as_slice()).assign(&data);
                    if rt.rank() == writer {
                        match k {
                            0 => ga.put(&sec, data.view()).unwrap(),
                            1 => {
                                let f = Array::from_shape_vec(
                                    IxDyn(&sec.shape()).f(),
                                    data.t().iter().copied().collect(),
                                )
                                .unwrap();
                                assert_eq!(f, data);
                                ga.put(&sec, f.view()).unwrap()
                            }
                            _ => {
                                let mut rev = data.clone();
                                rev.invert_axis(Axis(0));
                                let mut v = rev.view();
                                v.invert_axis(Axis(0));
                                ga.put(&sec, v).unwrap()
                            }
                        }
                    }
                }
                ga.sync().unwrap();
                // Non-blocking gets: three in flight at once, waited in
                // reverse order, and a fourth dropped without a wait.
                let secs: Vec<Section> = (0..4).map(|_| own.section(ga.shape())).collect();
                let mut flying: Vec<_> = secs.iter().map(|s| ga.get_nb(s).unwrap()).collect();
                drop(flying.pop());
                for (sec, get) in secs.iter().zip(flying).rev() {
                    let want = model.slice(slice_of(sec).as_slice());
                    assert_eq!(get.wait().unwrap(), want, "get_nb {sec:?}");
                }
                for k in 0..3 {
                    let sec = own.section(ga.shape());
                    let want = model.slice(slice_of(&sec).as_slice());
                    match k {
                        0 => assert_eq!(ga.get(&sec).unwrap(), want, "get {sec:?}"),
                        1 => {
                            let mut buf = ArrayD::<T>::zeros(IxDyn(&sec.shape()).f());
                            ga.get_into(&sec, buf.view_mut()).unwrap();
                            assert_eq!(buf, want, "get_into Fortran {sec:?}");
                        }
                        _ => {
                            let mut buf = ArrayD::<T>::zeros(IxDyn(&sec.shape()));
                            let mut v = buf.view_mut();
                            v.invert_axis(Axis(0));
                            ga.get_into(&sec, v).unwrap();
                            let mut back = buf.view();
                            back.invert_axis(Axis(0));
                            assert_eq!(back, want, "get_into reversed {sec:?}");
                        }
                    }
                }
                ga.sync().unwrap();
            }
            // Single elements through the scalar path.
            for _ in 0..8 {
                let idx: Vec<usize> = ga.shape().iter().map(|&n| own.below(n)).collect();
                assert_eq!(ga.at(&idx).unwrap(), model[IxDyn(&idx)], "at {idx:?}");
            }
            // The whole array, and every rank's local block.
            assert_eq!(ga.get(Section::full(ga.shape())).unwrap(), model);
            if let Some(b) = ga.distribution(rt.rank()) {
                assert_eq!(ga.local(), model.slice(slice_of(&b).as_slice()));
            }
        }
    }
}

/// `Ix2` arrays and plain range sections.
fn roundtrip_static_dims(rt: &Runtime) {
    let ga = GlobalArray::<f64, _>::zeros(rt, [9, 7]).unwrap();
    let mut model = ndarray::Array2::<f64>::zeros((9, 7));
    if rt.rank() == 0 {
        let v = ndarray::Array2::from_shape_fn((5, 4), |(i, j)| (i * 10 + j) as f64);
        ga.put([2..7, 1..5], v.view()).unwrap();
    }
    model
        .slice_mut(ndarray::s![2..7, 1..5])
        .assign(&ndarray::Array2::from_shape_fn((5, 4), |(i, j)| {
            (i * 10 + j) as f64
        }));
    ga.sync().unwrap();
    assert_eq!(ga.get([0..9, 0..7]).unwrap(), model);
    assert_eq!(ga.get([3..4, 2..3]).unwrap()[[0, 0]], 11.0);
}

/// Every section form names the section ndarray's slicing of the serial
/// model names, in every method that takes a section: `..`, `s![]`
/// selections with open ends and bounds counted from the end (random, 1 to
/// 4 dimensions), and on 1-d arrays the open and inclusive ranges and range
/// lists. `put`, `acc` and `get_into` take arrays, views and slices alike.
fn section_forms(rt: &Runtime) {
    let mut shared = Rng::new(13);
    let mut own = Rng::new(3000 + rt.rank() as u64);
    for ndim in 1..=4 {
        for _ in 0..3 {
            let ga = random_array::<i64>(rt, &mut shared, ndim);
            let shape = ga.shape().to_vec();
            let mut model = shared.data::<i64>(&shape);
            if rt.rank() == 0 {
                ga.put(.., &model).unwrap();
            }
            ga.sync().unwrap();
            assert_eq!(ga.get(..).unwrap(), model, "get(..)");
            assert_eq!(ga.access(..).unwrap(), model, "access(..)");
            let pieces = ga.locate_region(..).unwrap();
            assert_eq!(pieces.iter().map(|p| p.1.len()).sum::<usize>(), model.len());

            // Reads of random selections, by every rank.
            for _ in 0..6 {
                let (elems, sec) = own.slice(&shape);
                let info = SliceInfo::<_, IxDyn, IxDyn>::try_from(elems.clone()).unwrap();
                let want = model.slice(elems.as_slice());
                assert_eq!((&info).into_section(&shape).unwrap(), sec, "{elems:?}");
                assert_eq!(ga.get(&info).unwrap(), want, "get {elems:?}");
                assert_eq!(ga.get_nb(&info).unwrap().wait().unwrap(), want);
                assert_eq!(ga.access(&info).unwrap(), want, "access {elems:?}");
                assert_eq!(ga.access_nb(&info).unwrap().wait().unwrap(), want);
                assert_eq!(
                    ga.locate_region(&info).unwrap(),
                    ga.distribution_map().locate_region(&sec).unwrap()
                );
                let mut buf = ArrayD::<i64>::zeros(want.raw_dim());
                ga.get_into(&info, &mut buf).unwrap();
                assert_eq!(buf, want, "get_into(&mut Array) {elems:?}");
                let mut buf = ArrayD::<i64>::zeros(want.raw_dim().f());
                let mut v = buf.view_mut();
                ga.get_into(info, &mut v).unwrap();
                assert_eq!(buf, want, "get_into(&mut view) {elems:?}");
            }
            ga.sync().unwrap();

            // Writes: a put by one rank at a time, then an accumulate by
            // every rank, each through another source form.
            for round in 0..rt.size() {
                let (elems, _) = shared.slice(&shape);
                let info = SliceInfo::<_, IxDyn, IxDyn>::try_from(elems.clone()).unwrap();
                let data = shared.data::<i64>(model.slice(elems.as_slice()).shape());
                model.slice_mut(elems.as_slice()).assign(&data);
                if rt.rank() == round {
                    match round % 4 {
                        0 => ga.put(&info, &data).unwrap(),
                        1 => ga.put(info, data.view()).unwrap(),
                        2 => ga.put(&info, &data.view()).unwrap(),
                        _ => {
                            let mut copy = data.clone();
                            ga.put(info, &copy.view_mut()).unwrap()
                        }
                    }
                }
                ga.sync().unwrap();
                assert_eq!(ga.get(..).unwrap(), model, "after put {elems:?}");
                ga.sync().unwrap(); // every rank has read before the next put
            }
            let (elems, _) = shared.slice(&shape);
            let info = SliceInfo::<_, IxDyn, IxDyn>::try_from(elems.clone()).unwrap();
            let data = shared.data::<i64>(model.slice(elems.as_slice()).shape());
            let n = rt.size() as i64;
            model
                .slice_mut(elems.as_slice())
                .zip_mut_with(&data, |m, &d| *m += 2 * n * d);
            match rt.rank() % 2 {
                0 => ga.acc(&info, &data, 2).unwrap(),
                _ => ga.acc(info, data.view(), 2).unwrap(),
            }
            ga.sync().unwrap();
            assert_eq!(ga.get(..).unwrap(), model, "after acc {elems:?}");

            if ndim == 1 {
                one_dim_forms(&ga, &model, &mut own);
            }
            ga.sync().unwrap();
        }
    }
}

/// The 1-d forms on a 1-d array (`model` its contents): open, inclusive
/// and closed ranges, range lists, and slices and vectors as buffers.
// One-range lists are the sections of 1-d arrays, not mistaken vectors of
// indices.
#[allow(clippy::single_range_in_vec_init)]
fn one_dim_forms(ga: &GlobalArray<i64, IxDyn>, model: &ArrayD<i64>, rng: &mut Rng) {
    let n = ga.shape()[0];
    let model = model.view().into_dimensionality::<ndarray::Ix1>().unwrap();
    let ga1 = GlobalArray::<i64, ndarray::Ix1>::zeros(ga.runtime(), n).unwrap();
    let full: Vec<i64> = model.to_vec();
    if ga.runtime().rank() == 0 {
        ga1.put(.., &full).unwrap();
    }
    ga1.sync().unwrap();
    for _ in 0..4 {
        let (a, b) = (rng.below(n + 1), rng.below(n + 1));
        let (a, b) = (a.min(b), a.max(b));
        let get = |s: gain::Result<Array<i64, ndarray::Ix1>>| s.unwrap().to_vec();
        let want = |lo: usize, hi: usize| model.slice(s![lo..hi]).to_vec();
        assert_eq!(get(ga1.get(a..)), want(a, n), "{a}..");
        assert_eq!(get(ga1.get(..b)), want(0, b), "..{b}");
        assert_eq!(get(ga1.get(a..b)), want(a, b), "{a}..{b}");
        assert_eq!(get(ga1.get([a..b])), want(a, b), "[{a}..{b}]");
        assert_eq!(get(ga1.get(vec![a..b])), want(a, b), "vec![{a}..{b}]");
        assert_eq!(get(ga1.get(&[a..b][..])), want(a, b), "&[{a}..{b}][..]");
        assert_eq!(get(ga1.get(s![a..b])), want(a, b), "s![{a}..{b}]");
        if b > 0 {
            assert_eq!(get(ga1.get(a..=b - 1)), want(a, b), "{a}..={}", b - 1);
            assert_eq!(get(ga1.get(..=b - 1)), want(0, b), "..={}", b - 1);
        }
        assert_eq!(get(ga1.access(a..).map(|v| v.to_owned())), want(a, n));
        assert_eq!(
            ga1.locate_region(a..).unwrap(),
            ga1.locate_region(a..n).unwrap()
        );
        // Slices and vectors as buffers of 1-d arrays.
        let mut buf = vec![-1; n - a];
        ga1.get_into(a.., &mut buf[..]).unwrap();
        assert_eq!(buf, want(a, n));
        let mut buf = vec![-1; b];
        ga1.get_into(..b, &mut buf).unwrap();
        assert_eq!(buf, want(0, b));
    }
    ga1.sync().unwrap();
    // Each rank accumulates a vector and a slice into its own open range.
    let a = ga1.runtime().rank() % n;
    let ones = vec![1; n - a];
    ga1.acc(a.., &ones, 1).unwrap();
    ga1.acc(a.., &ones[..], 2).unwrap();
    ga1.sync().unwrap();
    let got = ga1.get(..).unwrap();
    for (i, (&g, &m)) in got.iter().zip(model.iter()).enumerate() {
        let adds = (0..ga1.runtime().size()).filter(|r| r % n <= i).count() as i64;
        assert_eq!(g, m + 3 * adds, "element {i}");
    }
}

/// `s![]` and `..` on arrays of static dimension (`Ix2`, `Ix3`), where
/// the macro's own types meet the array's: gets, puts and accumulates
/// against the serial model.
// `s![2..-2]` counts -2 from the end (ndarray's rule); it is not an empty
// reversed range, which is what this lint assumes.
#[allow(clippy::reversed_empty_ranges)]
fn section_forms_static_dims(rt: &Runtime) {
    let ga = GlobalArray::<f64, _>::zeros(rt, [9, 7]).unwrap();
    let mut model = ndarray::Array2::<f64>::zeros((9, 7));
    let tile = ndarray::Array2::from_shape_fn((3, 4), |(i, j)| (i * 10 + j) as f64);
    model.slice_mut(s![-4..-1, 3..]).assign(&tile);
    if rt.rank() == 0 {
        ga.put(s![-4..-1, 3..], &tile).unwrap();
    }
    ga.sync().unwrap();
    assert_eq!(ga.get(..).unwrap(), model);
    assert_eq!(ga.get(s![5.., ..]).unwrap(), model.slice(s![5.., ..]));
    assert_eq!(
        ga.get(s![..=6, 2..-2]).unwrap(),
        model.slice(s![..=6, 2..-2])
    );
    let mut buf = ndarray::Array2::<f64>::zeros((2, 7));
    ga.get_into(s![7.., ..], &mut buf).unwrap();
    assert_eq!(buf, model.slice(s![7.., ..]));
    ga.sync().unwrap();
    ga.acc(.., &ndarray::Array2::ones((9, 7)), 0.5).unwrap();
    model += 0.5 * rt.size() as f64;
    ga.sync().unwrap();
    assert_eq!(ga.get(..).unwrap(), model);

    let cube = GlobalArray::<i32, _>::zeros(rt, [4, 3, 5]).unwrap();
    let ones = ndarray::Array3::<i32>::ones((2, 3, 1));
    cube.acc(s![1..3, .., -1..], &ones, 1).unwrap();
    cube.sync().unwrap();
    let got = cube.get(s![.., .., 4..]).unwrap();
    let n = rt.size() as i32;
    let want = ndarray::Array3::from_shape_fn(
        (4, 3, 1),
        |(i, _, _)| {
            if (1..3).contains(&i) { n } else { 0 }
        },
    );
    assert_eq!(got, want);
    assert_eq!(cube.get(..).unwrap().sum(), 6 * n);
}

/// Section forms that name no section: each a typed error on every rank,
/// from every method that takes a section, with nothing written.
#[allow(clippy::reversed_empty_ranges)]
fn section_form_errors(rt: &Runtime) {
    fn kind<R>(r: gain::Result<R>) -> Option<ErrorKind> {
        r.err().map(|e| e.kind())
    }
    fn message<R>(r: gain::Result<R>) -> String {
        r.err().map(|e| e.message().to_string()).unwrap_or_default()
    }
    let ga = GlobalArray::<f64, _>::zeros(rt, [4, 5]).unwrap();
    let shape = [4, 5];
    // Not a unit-step range: named in the message.
    let step = s![.., 1..5;2];
    assert_eq!(
        kind(step.into_section(&shape)),
        Some(ErrorKind::InvalidArgument)
    );
    assert!(message(step.into_section(&shape)).contains("step"));
    let index = s![1, ..];
    assert_eq!(
        kind(index.into_section(&shape)),
        Some(ErrorKind::InvalidArgument)
    );
    assert!(message(index.into_section(&shape)).contains("index"));
    let axis = s![.., ndarray::NewAxis, ..];
    assert_eq!(
        kind(axis.into_section(&shape)),
        Some(ErrorKind::InvalidArgument)
    );
    assert!(message(axis.into_section(&shape)).contains("new axis"));
    let neg_step = s![..;-1, ..];
    assert_eq!(
        kind(neg_step.into_section(&shape)),
        Some(ErrorKind::InvalidArgument)
    );
    // Every method reports it.
    let twos = ndarray::Array2::<f64>::from_elem((4, 3), 2.0);
    let mut buf = ndarray::Array2::<f64>::zeros((4, 3));
    let bad = Some(ErrorKind::InvalidArgument);
    assert_eq!(kind(ga.get(step)), bad);
    assert_eq!(kind(ga.get_nb(step)), bad);
    assert_eq!(kind(ga.get_into(step, &mut buf)), bad);
    assert_eq!(kind(ga.put(step, &twos)), bad);
    assert_eq!(kind(ga.acc(step, &twos, 1.0)), bad);
    assert_eq!(kind(ga.access(step)), bad);
    assert_eq!(kind(ga.access_nb(step)), bad);
    assert_eq!(kind(ga.locate_region(step)), bad);
    // Wrong number of dimensions.
    let dims = Some(ErrorKind::DimensionMismatch);
    assert_eq!(kind(ga.get(s![..])), dims);
    assert_eq!(kind(ga.get(s![.., .., ..])), dims);
    assert_eq!(kind(ga.get(1..)), dims);
    assert_eq!(kind(ga.get(..2)), dims);
    assert_eq!(kind(ga.get(0..=1)), dims);
    assert_eq!(kind(ga.get(..=1)), dims);
    assert_eq!(kind(ga.put(2.., &twos)), dims);
    // Bounds outside a dimension, counted from either end.
    let out = Some(ErrorKind::OutOfBounds);
    assert_eq!(kind(ga.get(s![5.., ..])), out);
    assert_eq!(kind(ga.get(s![..5, ..])), out);
    assert_eq!(kind(ga.get(s![-5.., ..])), out);
    assert_eq!(kind(ga.get(s![.., ..-6])), out);
    assert_eq!(kind(ga.put(s![.., -7..], &twos)), out);
    // Reversed ranges are errors, as plain reversed ranges are (ndarray
    // reads them as empty).
    let rev = Some(ErrorKind::ReversedSection);
    assert_eq!(kind(ga.get(s![3..1, ..])), rev);
    assert_eq!(kind(ga.get(s![-1..-3, ..])), rev);
    assert_eq!(kind(ga.acc(s![.., 4..2], &twos, 1.0)), rev);
    // A buffer that does not fit the whole array.
    assert_eq!(kind(ga.put(.., &twos)), Some(ErrorKind::ShapeMismatch));
    assert_eq!(
        kind(ga.get_into(.., &mut buf)),
        Some(ErrorKind::ShapeMismatch)
    );
    // 1-d open and inclusive ranges past the end.
    let line = GlobalArray::<i32, _>::zeros(rt, 6).unwrap();
    assert_eq!(kind(line.get(7..)), out);
    assert_eq!(kind(line.get(..7)), out);
    assert_eq!(kind(line.get(0..=6)), out);
    assert_eq!(kind(line.get(..=6)), out);
    assert_eq!(kind(line.get(0..=usize::MAX)), out);
    assert_eq!(kind(line.get(..=usize::MAX)), out);
    assert_eq!(kind(line.get(5..=3)), rev);
    assert!(line.get(6..).unwrap().is_empty());
    ga.sync().unwrap();
    line.sync().unwrap();
    assert_eq!(ga.get(..).unwrap().sum(), 0.0);
    assert_eq!(line.get(..).unwrap().sum(), 0);
}

/// Every rank accumulates into overlapping sections many times; the result
/// must be exact (integer values, also in `f64`).
fn acc_contention<T: Element>(rt: &Runtime) {
    for (shape, iters) in [(vec![5usize, 6], 60), (vec![37], 100), (vec![3, 4, 5], 30)] {
        let ga = GlobalArray::<T, IxDyn>::zeros(rt, IxDyn(&shape)).unwrap();
        let mut model = ArrayD::<T>::zeros(IxDyn(&shape));
        for r in 0..rt.size() {
            let mut rng = Rng::new(500 + r as u64);
            for _ in 0..iters {
                // Half the updates hit the whole array, so every pair of
                // ranks collides on every element.
                let sec = if rng.below(2) == 0 {
                    Section::full(&shape)
                } else {
                    rng.section(&shape)
                };
                let data = rng.data::<T>(&sec.shape());
                let alpha = T::from(1 + rng.below(3)).unwrap();
                let mut m = model.slice_mut(slice_of(&sec).as_slice());
                m.zip_mut_with(&data, |a, &b| *a = *a + alpha * b);
                if r == rt.rank() {
                    ga.acc(&sec, data.view(), alpha).unwrap();
                }
            }
        }
        ga.sync().unwrap();
        assert_eq!(
            ga.get(Section::full(&shape)).unwrap(),
            model,
            "acc into {shape:?}"
        );
    }
}

/// Ranks draw tickets from a shared counter until it runs out; every
/// ticket must be handed out exactly once.
fn read_inc_once(rt: &Runtime) {
    let n = 200;
    // The counter sits at the end of a distributed array, owned by the last
    // block's rank, so most ranks reach it remotely or through the lock.
    let counter = GlobalArray::<i64, _>::zeros(rt, 7).unwrap();
    let seen = GlobalArray::<i32, _>::zeros(rt, n).unwrap();
    let one = ndarray::arr1(&[1i32]);
    let mut mine = 0;
    loop {
        let t = counter.read_inc(&[6], 1).unwrap();
        if t >= n as i64 {
            break;
        }
        seen.acc(t as usize..t as usize + 1, one.view(), 1).unwrap();
        mine += 1;
    }
    counter.sync().unwrap();
    seen.sync().unwrap();
    let all = seen.get(0..n).unwrap();
    assert!(all.iter().all(|&c| c == 1), "tickets: {all}");
    // Each rank made exactly one failing draw after its tickets.
    assert_eq!(counter.get(6..7).unwrap()[0], (n + rt.size()) as i64);
    let mut total = 0;
    rt.comm()
        .all_reduce_into(&mine, &mut total, mpi::collective::SystemOperation::sum());
    assert_eq!(total, n);
}

/// Integer `acc`s that overflow wrap, as `MPI_SUM` does, on either route:
/// direct adds under the block lock (one node; a debug build's plain `+`
/// panicked there) and `MPI_Accumulate` (`_remote`). Values span the whole
/// range of `T` and `alpha` is sometimes negative, so sums and products
/// overflow; the expected result is the exact sum in `i128` reduced modulo
/// 2^bits, independent of how the library adds.
///
/// 8- and 16-bit types across nodes under Open MPI need its AVX reduction
/// component off (`OMPI_MCA_op=^avx`): with it, Open MPI 4.1 adds
/// overflowing sub-word sums wrongly (open-mpi/ompi#8045, "wontfix"), and
/// neighbouring elements change too. So in the configurations that leave
/// it on, those two are checked on the same-node route only, and say so;
/// `np3_remote_op_no_avx` checks them across nodes.
fn acc_wraps<T: Element + num_traits::ToPrimitive>(rt: &Runtime) {
    let open_mpi = Runtime::mpi_library_version().contains("Open MPI");
    let avx_off = std::env::var("OMPI_MCA_op").is_ok_and(|v| v.contains("^avx"));
    if size_of::<T>() < 4 && rt.spans_nodes() && open_mpi && !avx_off {
        if rt.rank() == 0 {
            println!(
                "acc_wraps::<{}>: not checked across nodes here (Open MPI's op/avx, \
                 open-mpi/ompi#8045); np3_remote_op_no_avx checks it",
                std::any::type_name::<T>()
            );
        }
        return;
    }
    let shape = [7usize, 5];
    let mut rng = Rng::new(77);
    let full_range = |rng: &mut Rng| T::wrapping_from_i64(rng.next() as i64);
    let start = ArrayD::from_shape_simple_fn(IxDyn(&shape), || full_range(&mut rng));
    let ga = GlobalArray::<T, IxDyn>::zeros(rt, IxDyn(&shape)).unwrap();
    if rt.rank() == 0 {
        ga.put(.., start.view()).unwrap();
    }
    ga.sync().unwrap();
    let mut exact = start.mapv(|x| x.to_i128().unwrap());
    for r in 0..rt.size() {
        for k in 0..4 {
            // The first update of each rank covers everything and has
            // alpha 1 (the unscaled fast path); the others are random.
            let sec = if k == 0 {
                Section::full(&shape)
            } else {
                rng.section(&shape)
            };
            let src = ArrayD::from_shape_simple_fn(IxDyn(&sec.shape()), || full_range(&mut rng));
            let alpha = T::wrapping_from_i64(if k == 0 { 1 } else { rng.below(9) as i64 - 4 });
            let a = alpha.to_i128().unwrap();
            let mut m = exact.slice_mut(slice_of(&sec).as_slice());
            m.zip_mut_with(&src, |e, &s| *e += a * s.to_i128().unwrap());
            if r == rt.rank() {
                ga.acc(&sec, src.view(), alpha).unwrap();
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
    // `as i64` keeps the low 64 bits, `wrapping_from_i64` the low bits of T.
    let want = exact.mapv(|x| T::wrapping_from_i64(x as i64));
    assert_eq!(ga.get(..).unwrap(), want);
}

/// `read_inc` takes a signed increment, wrapped into `T`: unsigned
/// counters count down (and wrap below zero), and an increment outside
/// `T`'s range adds its two's complement truncation. The counters sit in
/// the last rank's block, so other ranks reach them through the lock or
/// remotely.
fn read_inc_signed(rt: &Runtime) {
    let size = rt.size();
    let draws = 5;
    // A u32 counter from 1000, down by 3 per draw: every old value of
    // 1000 - 3j (j below size * draws) is handed out exactly once.
    let mut c32 = GlobalArray::<u32, _>::zeros(rt, 9).unwrap();
    c32.fill(1000).unwrap();
    let seen = GlobalArray::<i32, _>::zeros(rt, size * draws).unwrap();
    let one = ndarray::arr1(&[1i32]);
    for _ in 0..draws {
        let old = c32.read_inc(&[8], -3).unwrap();
        assert!(old <= 1000 && (1000 - old) % 3 == 0, "old value {old}");
        let j = ((1000 - old) / 3) as usize;
        seen.acc(j..j + 1, one.view(), 1).unwrap();
    }
    // A u64 counter from 0, down by one per rank: wraps below zero.
    let c64 = GlobalArray::<u64, _>::zeros(rt, [3, 3]).unwrap();
    c64.read_inc(&[2, 2], -1).unwrap();
    // A u8 counter from 250 up by 300 (44 in u8, so it wraps past 255)
    // and an i8 one from 0 by -1000 (24 in i8).
    let mut c8 = GlobalArray::<u8, _>::zeros(rt, 4).unwrap();
    c8.fill(250).unwrap();
    c8.read_inc(&[3], 300).unwrap();
    let ci8 = GlobalArray::<i8, _>::zeros(rt, 4).unwrap();
    ci8.read_inc(&[3], -1000).unwrap();
    for sync in [c32.sync(), seen.sync(), c64.sync(), c8.sync(), ci8.sync()] {
        sync.unwrap();
    }
    assert_eq!(c32.at(&[8]).unwrap(), 1000 - 3 * (size * draws) as u32);
    let all = seen.get(..).unwrap();
    assert!(all.iter().all(|&c| c == 1), "old values handed out: {all}");
    assert_eq!(c64.at(&[2, 2]).unwrap(), 0u64.wrapping_sub(size as u64));
    assert_eq!(c8.at(&[3]).unwrap(), ((250 + 44 * size) % 256) as u8);
    assert_eq!(ci8.at(&[3]).unwrap(), (24 * size as i64) as i8);
    // The other elements are untouched.
    assert_eq!(c32.get(0..8).unwrap().sum(), 8 * 1000);
    assert_eq!(c64.get(..).unwrap().iter().filter(|&&x| x != 0).count(), 1);
}

/// Run with `GAIN_MAX_TRANSFER_BYTES` malformed: every array creation
/// returns `InvalidArgument` on every rank (before any MPI allocation,
/// so no rank waits), naming the variable.
fn bad_max_transfer_bytes(rt: &Runtime) {
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
fn empty_arrays(rt: &Runtime) {
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

/// A rank's own put, accumulate and get to one location take effect in
/// the order it issued them, without a sync in between (remote targets
/// too: the window flushes pending operations before the next one).
fn own_operations_in_order(rt: &Runtime) {
    let n = 4 * rt.size();
    let ga = GlobalArray::<i64, _>::zeros(rt, [n, 3]).unwrap();
    // Each rank works on a row owned by the next rank.
    let row = (4 * (rt.rank() + 1) + 1) % n;
    for k in 0..20i64 {
        let v = ndarray::arr2(&[[k, k + 1, k + 2]]);
        ga.put([row..row + 1, 0..3], v.view()).unwrap();
        ga.acc([row..row + 1, 1..2], ndarray::arr2(&[[100]]).view(), 1)
            .unwrap();
        let got = ga.get([row..row + 1, 0..3]).unwrap();
        assert_eq!(got, ndarray::arr2(&[[k, k + 101, k + 2]]), "round {k}");
    }
    ga.fence().unwrap();
    ga.sync().unwrap();
    let all = ga.get([0..n, 0..3]).unwrap();
    for r in 0..rt.size() {
        let row = (4 * (r + 1) + 1) % n;
        assert_eq!(all.row(row).to_vec(), vec![19, 120, 21]);
    }
}

/// One-sided calls aimed at a rank that computes without calling MPI
/// complete while it computes (the progress thread of a job spanning
/// nodes, `Runtime::progress_interval`): the last rank spins in plain Rust
/// until a flag in its own block turns 1, which rank 0 puts there after
/// its `read_inc`, `acc` and `get` on the last rank's block have returned.
/// Without progress rank 0's first call waits for the spinner's next MPI
/// call, which comes only when it gives up after 20 s and fails. At one
/// rank there is no other rank to make the calls.
fn calls_complete_while_target_computes(rt: &Runtime) {
    let p = rt.size();
    if p < 2 {
        return;
    }
    let target = p - 1;
    // One element per rank: element r is rank r's block.
    let flag = GlobalArray::<i64, _>::zeros(rt, p).unwrap();
    // Row r is rank r's: a counter and a sum.
    let data = GlobalArray::<i64, _>::zeros(rt, [p, 2]).unwrap();
    rt.comm().barrier();
    let mut ticket = -1i64;
    if rt.rank() == target {
        let start = std::time::Instant::now();
        let mut seen = false;
        while start.elapsed() < std::time::Duration::from_secs(20) {
            // A read of its own block: a plain load, no MPI call.
            if flag.get(target..target + 1).unwrap()[0] != 0 {
                seen = true;
                break;
            }
            std::hint::spin_loop();
        }
        assert!(
            seen,
            "rank {target} computed 20 s and no one-sided call into it completed meanwhile \
             (progress thread: {:?}, spans nodes: {})",
            rt.progress_interval(),
            rt.spans_nodes()
        );
    } else {
        ticket = data.read_inc(&[target, 0], 1).unwrap();
        data.acc(
            [target..target + 1, 1..2],
            ndarray::arr2(&[[10i64]]).view(),
            1,
        )
        .unwrap();
        let got = data.get([target..target + 1, 0..2]).unwrap();
        assert!(got[[0, 0]] > ticket && got[[0, 0]] < p as i64, "got {got}");
        assert!(got[[0, 1]] >= 10 && got[[0, 1]] % 10 == 0, "got {got}");
        if rt.rank() == 0 {
            flag.put(target..target + 1, ndarray::arr1(&[1i64]).view())
                .unwrap();
            flag.fence().unwrap();
        }
    }
    data.sync().unwrap();
    // Every other rank drew one distinct ticket and added 10 once.
    let mut tickets = vec![0i64; p];
    rt.comm().all_gather_into(&ticket, &mut tickets[..]);
    let mut drawn: Vec<i64> = tickets[..target].to_vec();
    drawn.sort_unstable();
    assert_eq!(drawn, (0..target as i64).collect::<Vec<_>>());
    let row = data.get([target..target + 1, 0..2]).unwrap();
    assert_eq!(row, ndarray::arr2(&[[target as i64, 10 * target as i64]]));
}

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
/// Run where no rank can create the world window (the bed with Open MPI's
/// `osc/rdma`, which has no transport over TCP): every array creation is
/// an `Mpi` error on every rank, naming the call and the way out, and the
/// job goes on (the next creation fails alike, then the job ends
/// normally) instead of aborting.
fn world_window_fails_everywhere(rt: &Runtime) {
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

fn views_refuse_own_writes(rt: &Runtime) {
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
fn aligned_blocks(rt: &Runtime) {
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
fn raw_displacements(rt: &Runtime) {
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
fn sub_communicator(rt: &Runtime) {
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
fn large_transfer(rt: &Runtime) {
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
