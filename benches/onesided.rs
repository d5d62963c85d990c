//! Global Arrays' one-sided breadth against its baselines, side by side in
//! one run: element gathers against one `MPI_Get` with an indexed datatype
//! (remote) and a plain indexing loop (same node), a strided get against a
//! contiguous get of the same bytes, non-blocking puts against blocking
//! ones (`nb_scope`), a mutex against a `read_inc`, and `update_ghosts` against a
//! hand-written `MPI_Sendrecv` halo exchange.
//!
//! Run through `scripts/bench onesided`, which starts it with two ranks on
//! one node, with `GAIN_RANKS_PER_NODE=1` (rank 1 "remote") and on two
//! hosts of the multi-host bed (`--bed`). Rank 0 prints one line for the
//! bench runner (protocol in tools/bench):
//! `BENCH {"program":"onesided","mode":"same"|"remote"|"bed","<contender>_s":..}`,
//! the median time per call of each contender; the runner makes the ratios.

use std::hint::black_box;

use gain::{GlobalArray, Mutexes};
use mpi::datatype::Equivalence;
use mpi::ffi;
use mpi::point_to_point as p2p;
use mpi::raw::AsRaw;
use mpi::traits::*;
use ndarray::{Array2, s};

#[path = "support/alternate.rs"]
mod alternate;
use alternate::compare;

/// A committed `MPI_Type_create_indexed_block` of single doubles at the
/// element offsets `offsets`: the target side of the raw gather.
struct Indexed(ffi::MPI_Datatype);

impl Indexed {
    fn new(offsets: &[usize]) -> Indexed {
        let displs: Vec<i32> = offsets.iter().map(|&o| o as i32).collect();
        let mut ty = f64::equivalent_datatype().as_raw();
        // SAFETY: `displs` holds `len` displacements; `ty` is an
        // out-parameter, then committed.
        unsafe {
            let base = ty;
            assert_eq!(
                ffi::MPI_Type_create_indexed_block(
                    displs.len() as i32,
                    1,
                    displs.as_ptr(),
                    base,
                    &mut ty
                ),
                0
            );
            assert_eq!(ffi::MPI_Type_commit(&mut ty), 0);
        }
        Indexed(ty)
    }
}

impl Drop for Indexed {
    fn drop(&mut self) {
        // SAFETY: a committed type of ours, no operation pending.
        unsafe { assert_eq!(ffi::MPI_Type_free(&mut self.0), 0) };
    }
}

/// A committed `MPI_Type_vector` of `count` runs of `len` doubles,
/// `stride` doubles apart: the target side of the raw strided get.
struct Vector(ffi::MPI_Datatype);

impl Vector {
    fn new(count: usize, len: usize, stride: usize) -> Vector {
        let mut ty = f64::equivalent_datatype().as_raw();
        // SAFETY: `ty` is an out-parameter, then committed.
        unsafe {
            let base = ty;
            assert_eq!(
                ffi::MPI_Type_vector(count as i32, len as i32, stride as i32, base, &mut ty),
                0
            );
            assert_eq!(ffi::MPI_Type_commit(&mut ty), 0);
        }
        Vector(ty)
    }
}

impl Drop for Vector {
    fn drop(&mut self) {
        // SAFETY: a committed type of ours, no operation pending.
        unsafe { assert_eq!(ffi::MPI_Type_free(&mut self.0), 0) };
    }
}

/// One `MPI_Get` of `buf.len()` contiguous doubles from `rank`'s segment
/// at byte `disp`, laid out there by `target` (an indexed or a vector
/// type), then `MPI_Win_flush_local`.
fn raw_typed_get(
    win: ffi::MPI_Win,
    rank: i32,
    disp: ffi::MPI_Aint,
    target: &ffi::MPI_Datatype,
    buf: &mut [f64],
) {
    let ty = f64::equivalent_datatype().as_raw();
    // SAFETY: `buf` holds `len` doubles and outlives the flush; the
    // window and displacement come from a live GlobalArray, and the type
    // stays inside rank 1's block.
    unsafe {
        assert_eq!(
            ffi::MPI_Get(
                buf.as_mut_ptr().cast(),
                buf.len() as i32,
                ty,
                rank,
                disp,
                1,
                *target,
                win
            ),
            0
        );
        assert_eq!(ffi::MPI_Win_flush_local(rank, win), 0);
    }
}

/// 1,024 distinct-ish random offsets below `n` (splitmix64), sorted as a
/// gather list arrives in no order: left unsorted.
fn random_offsets(n: usize, k: usize, seed: u64) -> Vec<usize> {
    let mut s = seed;
    (0..k)
        .map(|_| {
            s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = s;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            ((z ^ (z >> 31)) % n as u64) as usize
        })
        .collect()
}

fn main() {
    let rt = gain::init().expect("MPI init");
    assert_eq!(rt.size(), 2, "run with two ranks: scripts/bench onesided");
    let bed = std::env::args().any(|a| a == "--bed");
    let remote = rt.spans_nodes();
    let mode = match (remote, bed) {
        (false, _) => "same",
        (true, false) => "remote",
        (true, true) => "bed",
    };
    let mut out: Vec<(String, f64)> = Vec::new();
    // Progress on stderr, so a run that stalls says where.
    let stage = |what: &str| {
        if rt.rank() == 0 {
            eprintln!("onesided ({mode}): {what}");
        }
    };

    stage("gathers");
    // Element gathers: 1,024 random elements of rank 1's 8 MB block.
    let n = 1 << 20;
    let mut ga = GlobalArray::<f64, _>::zeros(&rt, 2 * n).unwrap();
    ga.local_mut()
        .iter_mut()
        .enumerate()
        .for_each(|(i, x)| *x = (i + rt.rank() * n) as f64);
    ga.sync().unwrap();
    let offsets = random_offsets(n, 1024, 7);
    let indices: Vec<[usize; 1]> = offsets.iter().map(|&o| [n + o]).collect();
    if rt.rank() == 0 {
        let mut base = vec![0.0f64; offsets.len()];
        let mut got = vec![0.0f64; offsets.len()];
        if remote {
            let world = ga.mpi_windows().1.expect("a world window");
            let (owner, disp) = ga.mpi_displacement(&[n]).unwrap();
            assert_eq!(owner, 1);
            let target = Indexed::new(&offsets);
            let t = compare(
                15,
                200,
                &mut || {},
                &mut [
                    &mut || raw_typed_get(world, 1, disp, &target.0, &mut base),
                    &mut || ga.gather_elements_into(&indices, &mut got).unwrap(),
                ],
            );
            out.push(("mpi_indexed_get_1k_s".into(), t[0]));
            out.push(("gather_1k_s".into(), t[1]));
        } else {
            let view = ga.local_of(1).unwrap();
            let block = view.as_slice().expect("a 1-d block is contiguous");
            let t = compare(
                15,
                2000,
                &mut || {},
                &mut [
                    &mut || {
                        for (b, &o) in base.iter_mut().zip(black_box(&offsets)) {
                            *b = block[o];
                        }
                    },
                    &mut || ga.gather_elements_into(&indices, &mut got).unwrap(),
                ],
            );
            drop(view);
            out.push(("local_loop_1k_s".into(), t[0]));
            out.push(("gather_1k_s".into(), t[1]));
        }
        assert_eq!(got, base, "the gather reads rank 1's elements");
    }
    rt.comm().barrier();

    stage("non-blocking puts");
    // Non-blocking puts: 64 puts of 64 KB into rank 1's block, then one
    // wait, against 64 blocking puts.
    if rt.rank() == 0 && remote {
        let k = 8192;
        let src = vec![1.0f64; 64 * k];
        let t = compare(
            11,
            5,
            &mut || {},
            &mut [
                &mut || {
                    for i in 0..64 {
                        ga.put(n + i * k..n + (i + 1) * k, &src[i * k..(i + 1) * k])
                            .unwrap();
                    }
                    ga.fence().unwrap();
                },
                &mut || {
                    ga.nb_scope(|nb| -> gain::Result<()> {
                        let handles = (0..64)
                            .map(|i| {
                                nb.put_nb(n + i * k..n + (i + 1) * k, &src[i * k..(i + 1) * k])
                            })
                            .collect::<gain::Result<Vec<_>>>()?;
                        for h in handles {
                            h.wait()?;
                        }
                        Ok(())
                    })
                    .unwrap();
                    ga.fence().unwrap();
                },
            ],
        );
        out.push(("blocking_put_64x64kb_s".into(), t[0]));
        out.push(("nb_put_64x64kb_s".into(), t[1]));
        // The same with 8 B puts, where the time is latency, not bytes.
        let t = compare(
            11,
            50,
            &mut || {},
            &mut [
                &mut || {
                    for i in 0..64 {
                        ga.put(n + i * k..n + i * k + 1, &src[i..i + 1]).unwrap();
                    }
                    ga.fence().unwrap();
                },
                &mut || {
                    ga.nb_scope(|nb| -> gain::Result<()> {
                        let handles = (0..64)
                            .map(|i| nb.put_nb(n + i * k..n + i * k + 1, &src[i..i + 1]))
                            .collect::<gain::Result<Vec<_>>>()?;
                        for h in handles {
                            h.wait()?;
                        }
                        Ok(())
                    })
                    .unwrap();
                    ga.fence().unwrap();
                },
            ],
        );
        out.push(("blocking_put_64x8b_s".into(), t[0]));
        out.push(("nb_put_64x8b_s".into(), t[1]));
    }
    rt.comm().barrier();
    drop(ga);

    stage("mutex");
    // A mutex held by nobody else, against a read_inc, both homed on
    // rank 1 (mutex i lives on rank i % size).
    let mutexes = Mutexes::new(&rt, 2).unwrap();
    let counter = GlobalArray::<i64, _>::zeros(&rt, 2).unwrap();
    if rt.rank() == 0 {
        let t = compare(
            11,
            2000,
            &mut || {},
            &mut [&mut || drop(mutexes.lock(1).unwrap()), &mut || {
                black_box(counter.read_inc(&[1], 1).unwrap());
            }],
        );
        out.push(("mutex_lock_unlock_s".into(), t[0]));
        out.push(("read_inc_s".into(), t[1]));
    }
    rt.comm().barrier();
    drop(counter);
    drop(mutexes);

    stage("strided get");
    // Strided get: every 4th row of rank 1's 64 MB block, against a
    // contiguous get of the same bytes.
    let rows = 4096;
    let cols = 4096;
    let grid = GlobalArray::<f64, _>::zeros(&rt, [rows, cols]).unwrap();
    let theirs = grid.distribution(1).expect("rank 1 owns a block");
    let (lo, hi) = (theirs.lo()[0], theirs.hi()[0]);
    assert_eq!(theirs.shape()[1], cols, "blocks are bands of rows");
    if rt.rank() == 0 && remote {
        let picked = (hi - lo).div_ceil(4);
        let world = grid.mpi_windows().1.expect("a world window");
        let (_, disp) = grid.mpi_displacement(&[lo, 0]).unwrap();
        let rows_every_4th = Vector::new(picked, cols, 4 * cols);
        let mut raw = Array2::<f64>::zeros((picked, cols));
        let mut strided = Array2::<f64>::zeros((picked, cols));
        let mut contiguous = Array2::<f64>::zeros((picked, cols));
        let t = compare(
            11,
            3,
            &mut || {},
            &mut [
                &mut || {
                    grid.get_into(s![lo..lo + picked, ..], contiguous.view_mut())
                        .unwrap()
                },
                &mut || {
                    grid.get_strided_into(s![lo..hi;4, ..], strided.view_mut())
                        .unwrap()
                },
                &mut || {
                    let buf = raw.as_slice_mut().expect("standard layout");
                    raw_typed_get(world, 1, disp, &rows_every_4th.0, buf)
                },
            ],
        );
        assert_eq!(strided, raw, "both read the same rows");
        out.push(("contiguous_get_16mb_s".into(), t[0]));
        out.push(("strided_get_16mb_s".into(), t[1]));
        out.push(("mpi_vector_get_16mb_s".into(), t[2]));
    }
    rt.comm().barrier();
    drop(grid);

    stage("ghost cells");
    // Ghost cells: update_ghosts of a 4096² array (width 1, corners)
    // against a hand-written MPI_Sendrecv halo exchange of the same rows.
    let ghosts =
        GlobalArray::<f64, _>::zeros_with_ghosts(&rt, [rows, cols], &[1, 1], &[false, false])
            .unwrap();
    let mine = ghosts.distribution(rt.rank()).expect("a block");
    let my_rows = mine.shape()[0];
    let mut halo = Array2::<f64>::zeros((my_rows + 2, cols + 2));
    let world = rt.comm();
    let other = world.process_at_rank(1 - rt.rank() as i32);
    let t = compare(
        11,
        20,
        &mut || world.barrier(),
        &mut [&mut || ghosts.update_ghosts().unwrap(), &mut || {
            // Rank 0 sends its last row down and receives rank 1's
            // first row into its bottom ghost row; rank 1 the mirror.
            let (send_row, recv_row) = if rt.rank() == 0 {
                (my_rows, my_rows + 1)
            } else {
                (1, 0)
            };
            let (send, mut recv) = halo.multi_slice_mut((s![send_row, ..], s![recv_row, ..]));
            let send = send.as_slice().expect("rows are contiguous");
            let recv = recv.as_slice_mut().expect("rows are contiguous");
            p2p::send_receive_into(send, &other, recv, &other);
        }],
    );
    if rt.rank() == 0 {
        out.push(("update_ghosts_4096sq_s".into(), t[0]));
        out.push(("mpi_sendrecv_halo_4096sq_s".into(), t[1]));
        // `{:e}` prints every f64 as a JSON number (1.5e-7).
        let times: Vec<String> = out.iter().map(|(k, v)| format!("\"{k}\":{v:e}")).collect();
        println!(
            "BENCH {{\"program\":\"onesided\",\"mode\":\"{mode}\",{}}}",
            times.join(",")
        );
    }
    rt.comm().barrier();
}
