//! One-sided access against its baselines, measured side by side in one
//! run: memcpy and raw `MPI_Get` on gain's own windows.
//!
//! Run through `scripts/bench rma`, which starts it under mpirun with two
//! ranks twice: on one node, and with `GAIN_RANKS_PER_NODE=1` (remote).
//! Each run prints, on rank 0, one line for the bench runner (protocol in
//! tools/bench): `BENCH {"program":"rma","remote":..,"<contender>_s":..}`,
//! the median time per call of each contender. The runner makes the
//! ratios.

use std::hint::black_box;

use gain::GlobalArray;

#[path = "support/alternate.rs"]
mod alternate;
use alternate::compare;
#[path = "support/raw.rs"]
mod raw;
use raw::{raw_fetch_add, raw_get, raw_put};

/// Raw `MPI_Get` of `n` doubles at byte `disp` of `rank` in `win`, then
/// `MPI_Win_flush` (remote) or `MPI_Win_flush_local`; return codes checked.
fn main() {
    let rt = gain::init().expect("MPI init");
    assert_eq!(rt.size(), 2, "run with two ranks: scripts/bench rma");
    let mut out: Vec<(String, f64)> = Vec::new();
    // 8 MB blocks: rank 0 reads rank 1's.
    let n = 1 << 20;
    let mut ga = GlobalArray::<f64, _>::zeros(&rt, 2 * n).unwrap();
    ga.local_mut()
        .iter_mut()
        .enumerate()
        .for_each(|(i, x)| *x = i as f64);
    ga.sync().unwrap();
    let (node_win, world_win) = ga.mpi_windows();
    // A counter array of its own: element 1 is rank 1's.
    let counter = GlobalArray::<i64, _>::zeros(&rt, 2).unwrap();
    if !rt.spans_nodes() {
        pack(&rt, &mut out);
    }
    if rt.rank() == 0 {
        // One destination per contender, so the closures borrow apart.
        let mut base = vec![0.0f64; n];
        let mut buf = vec![0.0f64; n];
        if !rt.spans_nodes() {
            let src = vec![1.0f64; n];
            let t = compare(
                15,
                20,
                &mut || {},
                &mut [
                    &mut || base.copy_from_slice(black_box(&src)),
                    &mut || {
                        ga.get_into(n..2 * n, ndarray::ArrayViewMut1::from(&mut buf[..]))
                            .unwrap()
                    },
                    &mut || drop(black_box(ga.get(n..2 * n).unwrap())),
                ],
            );
            out.push(("memcpy_8mb_s".into(), t[0]));
            out.push(("same_node_get_into_8mb_s".into(), t[1]));
            out.push(("same_node_get_alloc_8mb_s".into(), t[2]));
            let (owner, disp) = ga.mpi_displacement(&[n + 12345]).unwrap();
            assert_eq!(owner, 1);
            let mut one = [0.0f64];
            let mut two = ndarray::Array1::<f64>::zeros(1);
            let t = compare(
                15,
                20000,
                &mut || {},
                &mut [
                    &mut || raw_get(node_win, 1, disp, &mut one, true),
                    &mut || drop(black_box(ga.get(n + 12345..n + 12346).unwrap())),
                    &mut || ga.get_into(n + 12345..n + 12346, two.view_mut()).unwrap(),
                    &mut || {
                        black_box(ga.at(&[n + 12345]).unwrap());
                    },
                ],
            );
            assert_eq!(two[0], 12345.0);
            out.push(("same_node_mpi_get_1elem_s".into(), t[0]));
            out.push(("same_node_get_1elem_s".into(), t[1]));
            out.push(("same_node_get_into_1elem_s".into(), t[2]));
            out.push(("same_node_at_1elem_s".into(), t[3]));
            // A one-element acc into the other rank's block against a
            // read_inc on it; a 64 KB put against memcpy.
            let one = [1.0f64];
            let t = compare(
                15,
                20000,
                &mut || {},
                &mut [
                    &mut || ga.acc(n + 5..n + 6, &one[..], 1.0).unwrap(),
                    &mut || {
                        black_box(counter.read_inc(&[1], 1).unwrap());
                    },
                ],
            );
            out.push(("same_node_acc_1elem_s".into(), t[0]));
            out.push(("same_node_read_inc_s".into(), t[1]));
            let k = 8192;
            let t = compare(
                15,
                2000,
                &mut || {},
                &mut [
                    &mut || base[..k].copy_from_slice(black_box(&src[..k])),
                    &mut || ga.put(n..n + k, &src[..k]).unwrap(),
                ],
            );
            out.push(("memcpy_64kb_s".into(), t[0]));
            out.push(("same_node_put_64kb_s".into(), t[1]));
        } else {
            let world = world_win.expect("remote run has a world window");
            for (label, bytes, reps) in [
                ("8b", 8, 5000),
                ("64kb", 64 << 10, 500),
                ("8mb", 8 << 20, 10),
            ] {
                let k = bytes / 8;
                let (_, disp) = ga.mpi_displacement(&[n]).unwrap();
                let t = compare(
                    15,
                    reps,
                    &mut || {},
                    &mut [
                        &mut || raw_get(world, 1, disp, &mut base[..k], false),
                        &mut || {
                            ga.get_into(n..n + k, ndarray::ArrayViewMut1::from(&mut buf[..k]))
                                .unwrap()
                        },
                    ],
                );
                out.push((format!("remote_mpi_get_{label}_s"), t[0]));
                out.push((format!("remote_get_{label}_s"), t[1]));
            }
            let (_, disp) = ga.mpi_displacement(&[n + 7]).unwrap();
            let mut one = [0.0f64];
            let t = compare(
                15,
                5000,
                &mut || {},
                &mut [
                    &mut || raw_get(world, 1, disp, &mut one, false),
                    &mut || {
                        black_box(ga.at(&[n + 7]).unwrap());
                    },
                ],
            );
            assert_eq!(one[0], 7.0);
            out.push(("remote_at_8b_s".into(), t[1]));
            // Puts and accumulates: gain's against the raw call completed
            // at the target (`flush`) and completed only locally
            // (`flush_local`, GA's contract for put and acc).
            for (label, bytes, reps) in [
                ("8b", 8, 2000),
                ("64kb", 64 << 10, 200),
                ("8mb", 8 << 20, 5),
            ] {
                let k = bytes / 8;
                let (_, disp) = ga.mpi_displacement(&[n]).unwrap();
                let src = vec![0.0f64; k];
                let t = compare(
                    11,
                    reps,
                    &mut || {},
                    &mut [
                        &mut || raw_put(world, 1, disp, &src, false, true),
                        &mut || raw_put(world, 1, disp, &src, false, false),
                        &mut || ga.put(n..n + k, &src[..]).unwrap(),
                        &mut || raw_put(world, 1, disp, &src, true, true),
                        &mut || raw_put(world, 1, disp, &src, true, false),
                        &mut || ga.acc(n..n + k, &src[..], 1.0).unwrap(),
                    ],
                );
                for (i, name) in [
                    "mpi_put",
                    "mpi_put_flush_local",
                    "put",
                    "mpi_acc",
                    "mpi_acc_flush_local",
                    "acc",
                ]
                .iter()
                .enumerate()
                {
                    out.push((format!("remote_{name}_{label}_s"), t[i]));
                }
            }
            // 8 B puts to 64 places in turn against the raw put completed
            // locally: none touches what an earlier, still pending one
            // writes, so gain orders none of them with a flush.
            let (_, disp) = ga.mpi_displacement(&[n]).unwrap();
            let one = [0.0f64];
            let mut j = 0;
            let t = compare(
                11,
                2000,
                &mut || {},
                &mut [
                    &mut || raw_put(world, 1, disp, &one, false, false),
                    &mut || {
                        j = (j + 1) % 64;
                        ga.put(n + 8 * j..n + 8 * j + 1, &one[..]).unwrap()
                    },
                ],
            );
            out.push(("remote_mpi_put_flush_local_spread_8b_s".into(), t[0]));
            out.push(("remote_put_spread_8b_s".into(), t[1]));
        }
        assert_eq!(buf[7], 7.0, "the gets read rank 1's block");
        if rt.spans_nodes() {
            // read_inc against MPI_Fetch_and_op + flush.
            let (owner, disp) = counter.mpi_displacement(&[1]).unwrap();
            assert_eq!(owner, 1);
            let cwin = counter.mpi_windows().1.expect("a world window");
            let t = compare(
                11,
                2000,
                &mut || {},
                &mut [
                    &mut || {
                        black_box(raw_fetch_add(cwin, 1, disp));
                    },
                    &mut || {
                        black_box(counter.read_inc(&[1], 1).unwrap());
                    },
                ],
            );
            out.push(("remote_mpi_fetch_and_op_s".into(), t[0]));
            out.push(("remote_read_inc_s".into(), t[1]));
        }
        // `{:e}` prints every f64 as a JSON number (1.5e-7).
        let times: Vec<String> = out.iter().map(|(k, v)| format!("\"{k}\":{v:e}")).collect();
        println!(
            "BENCH {{\"program\":\"rma\",\"remote\":{},\"progress\":{},{}}}",
            rt.spans_nodes(),
            rt.progress_interval().is_some(),
            times.join(",")
        );
    }
    // Rank 1 waits here while rank 0 measures: in gain's own collective,
    // as a Global Arrays program waits in GA_Sync, so its progress thread
    // (across hosts) leaves the engine to it.
    rt.sync().unwrap();
}

/// GA_Pack of 2^20 `f64` by a half-dense mask at both ranks (collective)
/// against one rank's serial compaction of its half, alternating, medians
/// of 15 (rank 0's times into `out`).
fn pack(rt: &gain::Runtime, out: &mut Vec<(String, f64)>) {
    let m = 1 << 20;
    let src = gain::numpy::arange(rt, 0.0, m as f64, 1.0).unwrap();
    let mut mask = GlobalArray::<u8, _>::zeros(rt, m).unwrap();
    let lo = src.distribution(rt.rank()).map_or(0, |b| b.lo()[0]);
    // A pseudo-random half of the elements (no pattern a branch
    // predictor learns).
    mask.local_mut().iter_mut().enumerate().for_each(|(i, b)| {
        *b = u8::from((((lo + i) as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 63) == 1)
    });
    mask.sync().unwrap();
    let dst = GlobalArray::<f64, _>::zeros(rt, m).unwrap();
    let (mine, bits) = (src.local().to_owned(), mask.local().to_owned());
    let (mut packs, mut locals) = (Vec::new(), Vec::new());
    for _ in 0..15 {
        rt.sync().unwrap();
        let t = std::time::Instant::now();
        black_box(src.pack(&dst, &mask, 0..m).unwrap());
        packs.push(t.elapsed().as_secs_f64());
        let t = std::time::Instant::now();
        let kept: Vec<f64> = mine
            .iter()
            .zip(&bits)
            .filter(|&(_, &b)| b != 0)
            .map(|(&x, _)| x)
            .collect();
        black_box(kept);
        locals.push(t.elapsed().as_secs_f64());
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    out.push(("pack_1m_s".into(), median(&mut packs)));
    out.push(("local_compaction_512k_s".into(), median(&mut locals)));
}
