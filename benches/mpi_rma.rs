//! The raw-MPI baseline of the `hosts` suite, in a plain MPI process as an
//! MPI user runs it: `MPI_Init` (no gain runtime, so neither
//! `MPI_THREAD_MULTIPLE` nor a progress thread), one `MPI_Win_allocate`
//! of 8 MB per rank over the world and `MPI_Win_lock_all`. Rank 0 times
//! the calls `benches/rma.rs` times for gain, into rank 1's memory, with
//! the same repetitions; rank 1 waits in a barrier.
//!
//! Prints, on rank 0, `BENCH {"program":"mpi_rma","<contender>_s":..}`
//! with the raw keys of `rma.rs`' remote run. Run by `scripts/bench hosts`
//! on the bed (with Open MPI, `OMPI_MCA_osc=sm,ucx`, as gain picks).

use std::hint::black_box;

use mpi::ffi;
use mpi::raw::AsRaw;
use mpi::traits::*;

#[path = "support/alternate.rs"]
mod alternate;
use alternate::compare;
#[path = "support/raw.rs"]
mod raw;
use raw::{raw_fetch_add, raw_get, raw_put};

fn main() {
    let universe = mpi::initialize().expect("MPI init");
    let world = universe.world();
    assert_eq!(world.size(), 2, "run with two ranks");
    let n = 1usize << 20;
    let bytes = (n * 8 + 8) as ffi::MPI_Aint;
    let mut base: *mut f64 = std::ptr::null_mut();
    // SAFETY: MPI_COMM_WORLD and MPI_INFO_NULL are valid; `base` and `win`
    // are out-parameters; the window is freed before MPI is finalised.
    let win = unsafe {
        let mut win = std::mem::zeroed::<ffi::MPI_Win>();
        // Displacements in bytes (unit 1), as on gain's windows.
        let rc = ffi::MPI_Win_allocate(
            bytes,
            1,
            ffi::RSMPI_INFO_NULL,
            world.as_raw(),
            (&mut base as *mut *mut f64).cast(),
            &mut win,
        );
        assert_eq!(rc, 0);
        assert_eq!(ffi::MPI_Win_lock_all(0, win), 0);
        win
    };
    // SAFETY: the window's memory holds n + 1 doubles; no other rank
    // accesses it before the barrier below.
    unsafe {
        for i in 0..=n {
            base.add(i).write(i as f64);
        }
    }
    world.barrier();
    let mut out: Vec<(String, f64)> = Vec::new();
    if world.rank() == 0 {
        let mut buf = vec![0.0f64; n];
        for (label, bytes, reps) in [
            ("8b", 8, 5000),
            ("64kb", 64 << 10, 500),
            ("8mb", 8 << 20, 10),
        ] {
            let k = bytes / 8;
            let t = compare(
                15,
                reps,
                &mut || {},
                &mut [&mut || raw_get(win, 1, 0, &mut buf[..k], false)],
            );
            out.push((format!("remote_mpi_get_{label}_s"), t[0]));
        }
        assert_eq!(buf[7], 7.0, "the gets read rank 1's memory");
        for (label, bytes, reps) in [
            ("8b", 8, 2000),
            ("64kb", 64 << 10, 200),
            ("8mb", 8 << 20, 5),
        ] {
            let src = vec![0.0f64; bytes / 8];
            let t = compare(
                11,
                reps,
                &mut || {},
                &mut [
                    &mut || raw_put(win, 1, 0, &src, false, true),
                    &mut || raw_put(win, 1, 0, &src, false, false),
                    &mut || raw_put(win, 1, 0, &src, true, true),
                    &mut || raw_put(win, 1, 0, &src, true, false),
                ],
            );
            for (i, name) in [
                "mpi_put",
                "mpi_put_flush_local",
                "mpi_acc",
                "mpi_acc_flush_local",
            ]
            .iter()
            .enumerate()
            {
                out.push((format!("remote_{name}_{label}_s"), t[i]));
            }
        }
        // 8 B puts to 64 places in turn, completed locally.
        let one = [0.0f64];
        let mut j = 0;
        let t = compare(
            11,
            2000,
            &mut || {},
            &mut [&mut || {
                j = (j + 1) % 64;
                raw_put(win, 1, (64 * j) as ffi::MPI_Aint, &one, false, false)
            }],
        );
        out.push(("remote_mpi_put_flush_local_spread_8b_s".into(), t[0]));
        // The last element is the counter (an i64's bytes).
        let at = (n * 8) as ffi::MPI_Aint;
        let t = compare(
            11,
            2000,
            &mut || {},
            &mut [&mut || {
                black_box(raw_fetch_add(win, 1, at));
            }],
        );
        out.push(("remote_mpi_fetch_and_op_s".into(), t[0]));
        let times: Vec<String> = out.iter().map(|(k, v)| format!("\"{k}\":{v:e}")).collect();
        println!("BENCH {{\"program\":\"mpi_rma\",{}}}", times.join(","));
    }
    world.barrier();
    // SAFETY: `win` is locked and no operation is pending (all flushed).
    unsafe {
        let mut win = win;
        assert_eq!(ffi::MPI_Win_unlock_all(win), 0);
        assert_eq!(ffi::MPI_Win_free(&mut win), 0);
    }
}
