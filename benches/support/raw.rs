//! Raw MPI one-sided calls with their completion, the baselines of the
//! `rma` and `hosts` suites (`rma.rs` on gain's windows, `mpi_rma.rs` in a
//! plain MPI process). Every return code is checked.

use mpi::datatype::Equivalence;
use mpi::ffi;
use mpi::raw::AsRaw;

/// `MPI_Get` of `buf.len()` doubles from byte `disp` of `rank` in `win`,
/// then `MPI_Win_flush` (`flush_remote`) or `MPI_Win_flush_local`.
pub fn raw_get(
    win: ffi::MPI_Win,
    rank: i32,
    disp: ffi::MPI_Aint,
    buf: &mut [f64],
    flush_remote: bool,
) {
    let ty = f64::equivalent_datatype().as_raw();
    let n = buf.len() as i32;
    // SAFETY: `buf` holds `n` doubles and outlives the flush; the window
    // and displacement are live (a GlobalArray's, or the plain program's).
    unsafe {
        assert_eq!(
            ffi::MPI_Get(buf.as_mut_ptr().cast(), n, ty, rank, disp, n, ty, win),
            0
        );
        let rc = if flush_remote {
            ffi::MPI_Win_flush(rank, win)
        } else {
            ffi::MPI_Win_flush_local(rank, win)
        };
        assert_eq!(rc, 0);
    }
}

/// Raw `MPI_Put` (or `MPI_Accumulate` with `MPI_SUM` when `acc`) of
/// `buf` to byte `disp` of `rank` in `win`, then `MPI_Win_flush` (remote)
/// or `MPI_Win_flush_local`; return codes checked.
pub fn raw_put(
    win: ffi::MPI_Win,
    rank: i32,
    disp: ffi::MPI_Aint,
    buf: &[f64],
    acc: bool,
    flush_remote: bool,
) {
    let ty = f64::equivalent_datatype().as_raw();
    let n = buf.len() as i32;
    // SAFETY: `buf` holds `n` doubles and outlives the flush; the window
    // and displacement are live (a GlobalArray's, or the plain program's).
    unsafe {
        let p = buf.as_ptr() as *mut std::ffi::c_void;
        let rc = if acc {
            ffi::MPI_Accumulate(p, n, ty, rank, disp, n, ty, ffi::RSMPI_SUM, win)
        } else {
            ffi::MPI_Put(p, n, ty, rank, disp, n, ty, win)
        };
        assert_eq!(rc, 0);
        let rc = if flush_remote {
            ffi::MPI_Win_flush(rank, win)
        } else {
            ffi::MPI_Win_flush_local(rank, win)
        };
        assert_eq!(rc, 0);
    }
}

/// Raw `MPI_Fetch_and_op` (`MPI_SUM`) of one `i64` at byte `disp` of
/// `rank` in `win`, then `MPI_Win_flush`: what a `read_inc` is.
pub fn raw_fetch_add(win: ffi::MPI_Win, rank: i32, disp: ffi::MPI_Aint) -> i64 {
    let ty = i64::equivalent_datatype().as_raw();
    let one = 1i64;
    let mut old = 0i64;
    // SAFETY: both values outlive the flush; the window and displacement
    // are live (a GlobalArray's, or the plain program's).
    unsafe {
        let rc = ffi::MPI_Fetch_and_op(
            (&one as *const i64).cast_mut().cast(),
            (&mut old as *mut i64).cast(),
            ty,
            rank,
            disp,
            ffi::RSMPI_SUM,
            win,
        );
        assert_eq!(rc, 0);
        assert_eq!(ffi::MPI_Win_flush(rank, win), 0);
    }
    old
}
