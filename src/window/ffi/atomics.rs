//! Single-word atomics on a window of `i64`s: `MPI_Win_allocate` of the
//! words, `MPI_Fetch_and_op` (`MPI_REPLACE`, `MPI_NO_OP`) and
//! `MPI_Compare_and_swap` (Standard section 12.3.4), each completed at
//! the target with `MPI_Win_flush` before it returns. The queue lock of
//! `crate::mutex` is built from them.

use std::ffi::c_void;

use mpi::datatype::Equivalence;
use mpi::ffi::{self as sys, MPI_Aint, MPI_Comm, MPI_Win};
use mpi::raw::AsRaw;

use crate::error::Result;

use super::comm::comm_shares_memory;
use super::win::{is_mpich, with_errors_return};
use super::{
    GAIN_MPI_INFO_NULL, GAIN_MPI_MODE_NOCHECK, GAIN_MPI_NO_OP, GAIN_MPI_REPLACE, GAIN_MPI_WIN_NULL,
    check, may_call_mpi, rma_turn, set_errors_return, to_int,
};

/// The operations [`fetch_and_op`] applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AtomicOp {
    /// `MPI_REPLACE`: store the value, return the old one (a swap).
    Replace,
    /// `MPI_NO_OP`: return the value, store nothing (an atomic load).
    NoOp,
}

/// A window of atomics: its handle, this rank's words, and the memory
/// under them when the window does not own it (free it only after the
/// window).
pub(crate) type WorldWords = (MPI_Win, *mut i64, Option<Box<[i64]>>);

/// Collective over `comm`: a window of `words` `i64`s on every rank
/// (displacement unit 8; at least one word, so every rank has a base
/// address), with errors returned as codes, then `MPI_Win_lock_all`.
/// Returns the window and this rank's words, uninitialised.
///
/// When every rank of `comm` shares this node's memory the window is
/// `MPI_Win_allocate_shared` (Open MPI's `osc/sm`), else `MPI_Win_allocate`:
/// on one host Open MPI 4.1 would otherwise pick `osc/rdma` over the
/// `vader` transport, whose emulated `MPI_Compare_and_swap` crashes (a
/// segmentation fault in `mca_btl_vader_emu_acswap`, to any target, in a
/// plain C program too). Either way the words are only reached through
/// MPI's atomics.
pub(crate) fn allocate_world(comm: MPI_Comm, words: usize) -> Result<WorldWords> {
    let bytes = words
        .max(1)
        .checked_mul(8)
        .filter(|&b| b <= isize::MAX as usize)
        .ok_or_else(|| {
            crate::Error::new(
                crate::ErrorKind::SizeOverflow,
                format!("a window of {words} words does not fit in memory"),
            )
        })?;
    let one_node = comm_shares_memory(comm)?;
    // MPICH 4.0.2 serves the atomics of an `MPI_Win_allocate` window
    // between ranks of one node in shared memory and the others as
    // messages, and the two are not atomic together: an MCS queue of
    // ranks on two hosts (2 + 1) lost a hand-over and every rank waited
    // for its turn (the `disable_shm_accumulate` info key did not help).
    // Over memory of its own (`MPI_Win_create`) every atomic is a message.
    let mut owned = (!one_node && is_mpich()).then(|| vec![0i64; words.max(1)].into_boxed_slice());
    let mut base: *mut i64 = std::ptr::null_mut();
    // SAFETY: reading a constant initialised at load time.
    let mut win = unsafe { GAIN_MPI_WIN_NULL };
    let out = (&mut base) as *mut *mut i64 as *mut c_void;
    with_errors_return(comm, || {
        // SAFETY: valid communicator and out-parameters; MPI writes the
        // new segment's address into `base`.
        let code = unsafe {
            if one_node {
                sys::MPI_Win_allocate_shared(
                    bytes as MPI_Aint,
                    8,
                    GAIN_MPI_INFO_NULL,
                    comm,
                    out,
                    &mut win,
                )
            } else if let Some(mem) = owned.as_mut() {
                base = mem.as_mut_ptr();
                sys::MPI_Win_create(
                    base as *mut c_void,
                    bytes as MPI_Aint,
                    8,
                    GAIN_MPI_INFO_NULL,
                    comm,
                    &mut win,
                )
            } else {
                sys::MPI_Win_allocate(
                    bytes as MPI_Aint,
                    8,
                    GAIN_MPI_INFO_NULL,
                    comm,
                    out,
                    &mut win,
                )
            }
        };
        check(code, "MPI_Win_allocate")
    })?;
    set_errors_return(win)?;
    check(
        // SAFETY: `win` is the window just created.
        unsafe { sys::MPI_Win_lock_all(GAIN_MPI_MODE_NOCHECK, win) },
        "MPI_Win_lock_all",
    )?;
    Ok((win, base, owned))
}

/// `MPI_Fetch_and_op` of one `i64` at word `index` of `rank`'s segment,
/// then `MPI_Win_flush(rank)`: returns the old value, having stored
/// `value` for [`AtomicOp::Replace`].
pub(crate) fn fetch_and_op(
    win: MPI_Win,
    rank: usize,
    index: usize,
    value: i64,
    op: AtomicOp,
) -> Result<i64> {
    may_call_mpi("MPI_Fetch_and_op")?;
    let rank = to_int(rank, "rank")?;
    let ty = i64::equivalent_datatype().as_raw();
    let mut old = 0i64;
    let _one_at_a_time = rma_turn();
    // SAFETY: reading constants initialised at load time.
    let op = unsafe {
        match op {
            AtomicOp::Replace => GAIN_MPI_REPLACE,
            AtomicOp::NoOp => GAIN_MPI_NO_OP,
        }
    };
    // SAFETY: `value` and `old` are one `i64` each of datatype `ty`, alive
    // across the flush that completes the call; the window is in a
    // passive-target epoch (lock_all) and `index` is inside the target's
    // segment (the caller's layout).
    unsafe {
        check(
            sys::MPI_Fetch_and_op(
                (&value) as *const i64 as *const c_void,
                (&mut old) as *mut i64 as *mut c_void,
                ty,
                rank,
                index as MPI_Aint,
                op,
                win,
            ),
            "MPI_Fetch_and_op",
        )?;
        check(sys::MPI_Win_flush(rank, win), "MPI_Win_flush")?;
    }
    Ok(old)
}

/// `MPI_Compare_and_swap` of one `i64` at word `index` of `rank`'s
/// segment, then `MPI_Win_flush(rank)`: stores `new` if the word equals
/// `compare`, and returns the old value either way.
pub(crate) fn compare_and_swap(
    win: MPI_Win,
    rank: usize,
    index: usize,
    compare: i64,
    new: i64,
) -> Result<i64> {
    may_call_mpi("MPI_Compare_and_swap")?;
    let rank = to_int(rank, "rank")?;
    let ty = i64::equivalent_datatype().as_raw();
    let mut old = 0i64;
    let _one_at_a_time = rma_turn();
    // SAFETY: as in `fetch_and_op`: three `i64`s of datatype `ty` alive
    // across the flush, the target word inside the segment.
    unsafe {
        check(
            sys::MPI_Compare_and_swap(
                (&new) as *const i64 as *const c_void,
                (&compare) as *const i64 as *const c_void,
                (&mut old) as *mut i64 as *mut c_void,
                ty,
                rank,
                index as MPI_Aint,
                win,
            ),
            "MPI_Compare_and_swap",
        )?;
        check(sys::MPI_Win_flush(rank, win), "MPI_Win_flush")?;
    }
    Ok(old)
}
