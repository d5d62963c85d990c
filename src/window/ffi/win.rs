//! Windows: shared-memory allocation and queries, the world window,
//! memory models, flushes and `MPI_Win_sync`.

use std::ffi::{c_int, c_void};
use std::sync::atomic::{AtomicBool, Ordering};

use mpi::ffi::{self as sys, MPI_Aint, MPI_Comm, MPI_Win};

use crate::error::Result;

use super::{
    GAIN_MPI_INFO_NULL, GAIN_MPI_MODE_NOCHECK, GAIN_MPI_WIN_MODEL, GAIN_MPI_WIN_NULL,
    GAIN_MPI_WIN_SEPARATE, InMpi, check, comm_errors_return, library_version, may_call_mpi,
    set_errors_return, to_int,
};

/// Collective over `node`: `MPI_Win_allocate_shared` of `bytes` bytes with
/// non-contiguous segments (each rank's memory is local to it), then
/// `MPI_Win_lock_all`. Returns the window and this rank's base pointer.
pub(crate) fn allocate_shared(node: MPI_Comm, bytes: MPI_Aint) -> Result<(MPI_Win, *mut u8)> {
    // SAFETY: standard calls with valid out-parameters; the info object is
    // freed on every path after the allocation used it.
    unsafe {
        let mut info = GAIN_MPI_INFO_NULL;
        check(sys::MPI_Info_create(&mut info), "MPI_Info_create")?;
        let set = check(
            sys::MPI_Info_set(info, c"alloc_shared_noncontig".as_ptr(), c"true".as_ptr()),
            "MPI_Info_set",
        );
        let mut base: *mut u8 = std::ptr::null_mut();
        let mut win = GAIN_MPI_WIN_NULL;
        let alloc = set.and_then(|()| {
            check(
                sys::MPI_Win_allocate_shared(
                    bytes,
                    1,
                    info,
                    node,
                    (&mut base) as *mut *mut u8 as *mut c_void,
                    &mut win,
                ),
                "MPI_Win_allocate_shared",
            )
        });
        check(sys::MPI_Info_free(&mut info), "MPI_Info_free")?;
        alloc?;
        set_errors_return(win)?;
        check(
            sys::MPI_Win_lock_all(GAIN_MPI_MODE_NOCHECK, win),
            "MPI_Win_lock_all",
        )?;
        Ok((win, base))
    }
}

/// `MPI_Win_shared_query`: base pointer and size of node rank `rank`'s
/// segment.
pub(crate) fn shared_query(win: MPI_Win, rank: usize) -> Result<(*mut u8, MPI_Aint)> {
    let mut size: MPI_Aint = 0;
    let mut disp: c_int = 0;
    let mut base: *mut u8 = std::ptr::null_mut();
    check(
        // SAFETY: `win` is a shared-memory window; out-parameters are valid.
        unsafe {
            sys::MPI_Win_shared_query(
                win,
                to_int(rank, "rank")?,
                &mut size,
                &mut disp,
                (&mut base) as *mut *mut u8 as *mut c_void,
            )
        },
        "MPI_Win_shared_query",
    )?;
    Ok((base, size))
}

/// Runs `f` with `comm`'s error handler set to `MPI_ERRORS_RETURN`, then
/// puts back the handler it had. A call that creates a window reports its
/// failure through the communicator's handler, which for the runtime's
/// world communicator is `MPI_ERRORS_ARE_FATAL`: this way a failed
/// `MPI_Win_create` (MPI refusing to expose a file mapping, say) is an
/// error the caller can report instead of an abort inside MPI.
pub(super) fn with_errors_return<R>(comm: MPI_Comm, f: impl FnOnce() -> Result<R>) -> Result<R> {
    // SAFETY: reading a constant initialised at load time (a placeholder
    // MPI overwrites).
    let mut previous = unsafe { sys::RSMPI_ERRORS_RETURN };
    check(
        // SAFETY: `comm` is valid; `previous` is a valid out-parameter.
        unsafe { sys::MPI_Comm_get_errhandler(comm, &mut previous) },
        "MPI_Comm_get_errhandler",
    )?;
    let r = comm_errors_return(comm).and_then(|()| f());
    // SAFETY: `previous` is the handle MPI_Comm_get_errhandler returned;
    // setting it again and freeing that reference is what the standard
    // asks (section 8.3).
    let restored = check(
        unsafe { sys::MPI_Comm_set_errhandler(comm, previous) },
        "MPI_Comm_set_errhandler",
    )
    .and_then(|()| {
        check(
            // SAFETY: as above; the communicator holds its own reference.
            unsafe { sys::MPI_Errhandler_free(&mut previous) },
            "MPI_Errhandler_free",
        )
    });
    let r = r?;
    restored?;
    Ok(r)
}

/// Collective over `comm`: `MPI_Win_create` over `bytes` bytes at `base`
/// (displacement unit 1), then `MPI_Win_lock_all`. A failed creation is
/// an error, not an abort (see [`with_errors_return`]).
pub(crate) fn create_world(comm: MPI_Comm, base: *mut u8, bytes: MPI_Aint) -> Result<MPI_Win> {
    // SAFETY: reading a constant initialised at load time.
    let mut win = unsafe { GAIN_MPI_WIN_NULL };
    // SAFETY: `base` points to `bytes` bytes that outlive the window (the
    // shared window or the file mapping owning them is released after
    // this one).
    unsafe {
        with_errors_return(comm, || {
            check(
                sys::MPI_Win_create(
                    base as *mut c_void,
                    bytes,
                    1,
                    GAIN_MPI_INFO_NULL,
                    comm,
                    &mut win,
                ),
                "MPI_Win_create",
            )
        })?;
        set_errors_return(win)?;
        check(
            sys::MPI_Win_lock_all(GAIN_MPI_MODE_NOCHECK, win),
            "MPI_Win_lock_all",
        )?;
    }
    Ok(win)
}

/// Whether the window uses the separate memory model (`MPI_WIN_MODEL`).
pub(crate) fn is_separate(win: MPI_Win) -> Result<bool> {
    let mut model: *mut c_int = std::ptr::null_mut();
    let mut flag: c_int = 0;
    // SAFETY: MPI_WIN_MODEL's attribute value is a pointer to an int.
    unsafe {
        check(
            sys::MPI_Win_get_attr(
                win,
                GAIN_MPI_WIN_MODEL,
                (&mut model) as *mut *mut c_int as *mut c_void,
                &mut flag,
            ),
            "MPI_Win_get_attr(MPI_WIN_MODEL)",
        )?;
        Ok(flag != 0 && !model.is_null() && *model == GAIN_MPI_WIN_SEPARATE)
    }
}

/// `MPI_Win_unlock_all` then `MPI_Win_free` (collective).
pub(crate) fn free(mut win: MPI_Win) -> Result<()> {
    // SAFETY: `win` is valid and locked with lock_all by this module.
    unsafe {
        check(sys::MPI_Win_unlock_all(win), "MPI_Win_unlock_all")?;
        check(sys::MPI_Win_free(&mut win), "MPI_Win_free")
    }
}

/// `MPI_Win_flush_all`: remote completion of every pending operation.
pub(crate) fn flush_all(win: MPI_Win) -> Result<()> {
    may_call_mpi("MPI_Win_flush_all")?;
    let _one_at_a_time = rma_turn();
    // SAFETY: `win` is valid and in a passive-target epoch.
    check(unsafe { sys::MPI_Win_flush_all(win) }, "MPI_Win_flush_all")
}

/// `MPI_Win_flush`: remote completion of the operations to `rank`.
pub(crate) fn flush(win: MPI_Win, rank: usize) -> Result<()> {
    may_call_mpi("MPI_Win_flush")?;
    let _one_at_a_time = rma_turn();
    // SAFETY: as in `flush_all`.
    check(
        unsafe { sys::MPI_Win_flush(to_int(rank, "rank")?, win) },
        "MPI_Win_flush",
    )
}

/// `MPI_Win_flush_local`: local completion of the operations to `rank`.
pub(crate) fn flush_local(win: MPI_Win, rank: usize) -> Result<()> {
    may_call_mpi("MPI_Win_flush_local")?;
    let _one_at_a_time = rma_turn();
    // SAFETY: as in `flush_all`.
    check(
        unsafe { sys::MPI_Win_flush_local(to_int(rank, "rank")?, win) },
        "MPI_Win_flush_local",
    )
}

/// Completes the gets from `rank` issued so far: `MPI_Win_flush_local`, or
/// under MPICH `MPI_Win_flush`.
///
/// MPICH 4.0.2 (ch4, the active-message RMA it uses between ranks on one
/// host) now and then returns from `MPI_Win_flush_local` before an
/// `MPI_Get`'s data has reached the origin buffer while other threads of
/// the process issue operations to the same target: a plain C program of
/// 4 ranks × 2 threads doing put, get, `MPI_Win_flush_local` found the
/// buffer untouched once in about 30 000 gets, and gain's threads case at
/// 2+2 ranks failed so in about one run in seven. `MPI_Win_flush` waits
/// on the counter the reply's handler lowers after copying the data.
pub(crate) fn complete_gets(win: MPI_Win, rank: usize) -> Result<()> {
    if is_mpich() {
        flush(win, rank)
    } else {
        flush_local(win, rank)
    }
}

/// `MPI_Win_flush_local_all`: local completion of the operations to every
/// target.
pub(crate) fn flush_local_all(win: MPI_Win) -> Result<()> {
    may_call_mpi("MPI_Win_flush_local_all")?;
    let _one_at_a_time = rma_turn();
    // SAFETY: as in `flush_all`.
    check(
        unsafe { sys::MPI_Win_flush_local_all(win) },
        "MPI_Win_flush_local_all",
    )
}

/// [`complete_gets`] for every target: `MPI_Win_flush_local_all`, or under
/// MPICH `MPI_Win_flush_all`.
pub(crate) fn complete_gets_all(win: MPI_Win) -> Result<()> {
    if is_mpich() {
        flush_all(win)
    } else {
        flush_local_all(win)
    }
}

/// Whether the MPI library is MPICH (its version string says so), read
/// once.
pub(crate) fn is_mpich() -> bool {
    static MPICH: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *MPICH.get_or_init(|| library_version().contains("MPICH"))
}

/// Whether small puts to other nodes go out as accumulates: set once at
/// start-up ([`put_small_as_accumulate`]).
static SMALL_PUTS_AS_ACC: AtomicBool = AtomicBool::new(false);

/// Makes small puts to other nodes go out as `MPI_Accumulate` with
/// `MPI_REPLACE` from here on ([`puts_as_accumulates`]); the runtime
/// calls it at start-up, before any window exists, when Open MPI's
/// `osc/pt2pt` carries the windows across hosts.
pub(crate) fn put_small_as_accumulate() {
    SMALL_PUTS_AS_ACC.store(true, Ordering::Release);
}

/// Whether [`put_small_as_accumulate`] was called.
pub(crate) fn puts_as_accumulates() -> bool {
    SMALL_PUTS_AS_ACC.load(Ordering::Acquire)
}

/// Whether [`rma_turn`] takes turns: set once at start-up
/// ([`take_rma_turns`]).
static RMA_TURNS: AtomicBool = AtomicBool::new(false);

/// Makes every RMA call and flush of this process take turns from here on
/// ([`rma_turn`]); the runtime calls it at start-up, before any window
/// exists, when an Open MPI job spans nodes.
pub(crate) fn take_rma_turns() {
    RMA_TURNS.store(true, Ordering::Release);
}

/// One RMA call or flush of this process at a time, once
/// [`take_rma_turns`] was called: the guard to hold across the call (and
/// the flush that completes an atomic), `None` otherwise.
///
/// Open MPI 4.1's `osc/ucx` (gain's world window when a job spans hosts)
/// fails under concurrent calls from several threads of one process,
/// although it grants `MPI_THREAD_MULTIPLE`. On the bed (TCP), 4 threads
/// of each of 3 or 4 ranks doing `acc`, `read_inc`, `put` and `get` at
/// random failed within a minute: `MPI_Win_flush` returned an error after
/// UCX logged "Endpoint timeout". With accumulate-family calls taken one
/// at a time, 3 ranks passed and 4 still failed in `MPI_Win_flush`; with
/// every call and flush taken in turn, both pass. MPICH passes the same
/// cases with no turns, and one thread per rank never waits for one.
/// A turn is never held across a wait for another thread of the process
/// (only inside one MPI call or flush), so it cannot deadlock.
///
/// The guard also marks the thread as inside MPI ([`InMpi`]), so that the
/// progress thread leaves the engine to it.
pub(crate) fn rma_turn() -> Turn {
    static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let inside = InMpi::enter();
    // A panic while holding the turn leaves nothing half-done in it.
    let turn = RMA_TURNS
        .load(Ordering::Acquire)
        .then(|| TURN.lock().unwrap_or_else(|e| e.into_inner()));
    Turn {
        _turn: turn,
        _inside: inside,
    }
}

/// What [`rma_turn`] returns: the turn, if turns are taken, and the mark
/// of a thread inside MPI; both end when it drops.
pub(crate) struct Turn {
    _turn: Option<std::sync::MutexGuard<'static, ()>>,
    _inside: InMpi,
}

/// `MPI_Win_sync`: synchronises the public and private window copies and
/// acts as a memory barrier for shared-memory loads and stores.
pub(crate) fn win_sync(win: MPI_Win) -> Result<()> {
    // SAFETY: `win` is valid and in a passive-target epoch.
    check(unsafe { sys::MPI_Win_sync(win) }, "MPI_Win_sync")
}
