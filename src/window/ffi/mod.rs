//! Thin checked wrappers over the MPI-3 RMA calls rsmpi does not wrap.
//!
//! Every function checks the MPI return code and turns a failure into an
//! [`ErrorKind::Mpi`](crate::ErrorKind::Mpi) error naming the call. Windows
//! are switched to `MPI_ERRORS_RETURN` when created, so their failures come
//! back as codes instead of aborting the job.

mod atomics;
mod comm;
mod fused;
mod request;
mod rma;
mod win;

pub(crate) use atomics::{AtomicOp, allocate_world, compare_and_swap, fetch_and_op};
pub(crate) use comm::{
    NbMax, allgather_u64, barrier, bcast, bcast_chunked, comm_dup, comm_errors_return, comm_free,
    comm_rank, comm_size, comm_split, poke_progress, world_rank,
};
pub(crate) use fused::{Combine, PACKET_DATA, allreduce_elements, allreduce_packet};
pub(crate) use request::Requests;
pub(crate) use rma::{Rma, fetch_and_add, rma, rma_indexed, rma_request};
pub(crate) use win::{
    allocate_shared, complete_gets, complete_gets_all, create_world, flush, flush_all, flush_local,
    flush_local_all, free, is_mpich, is_separate, put_small_as_accumulate, puts_as_accumulates,
    rma_turn, shared_query, take_rma_turns, win_sync,
};

use std::ffi::{c_char, c_int, c_void};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::thread::ThreadId;

use mpi::ffi::{self as sys, MPI_Comm, MPI_Info, MPI_Op, MPI_Win};

use crate::error::{Error, ErrorKind, Result};

// Handle constants from `shim.c` (values differ between MPI libraries).
unsafe extern "C" {
    pub(super) static GAIN_MPI_SUM: MPI_Op;
    pub(super) static GAIN_MPI_REPLACE: MPI_Op;
    pub(super) static GAIN_MPI_NO_OP: MPI_Op;
    pub(super) static GAIN_MPI_IN_PLACE: *const c_void;
    pub(super) static GAIN_MPI_INFO_NULL: MPI_Info;
    pub(super) static GAIN_MPI_COMM_WORLD: MPI_Comm;
    pub(super) static GAIN_MPI_WIN_NULL: MPI_Win;
    pub(super) static GAIN_MPI_WIN_MODEL: c_int;
    pub(super) static GAIN_MPI_WIN_SEPARATE: c_int;
    pub(super) static GAIN_MPI_MODE_NOCHECK: c_int;
    pub(super) static GAIN_MPI_SUCCESS: c_int;
    pub(super) static GAIN_MPI_MAX_ERROR_STRING: c_int;
}

/// Turns an MPI return code into a `Result`.
pub(super) fn check(code: c_int, call: &str) -> Result<()> {
    // SAFETY: reading a constant initialised at load time.
    if code == unsafe { GAIN_MPI_SUCCESS } {
        return Ok(());
    }
    // SAFETY: MPI_Error_string writes at most MPI_MAX_ERROR_STRING bytes.
    let text = unsafe {
        let mut buf = vec![0 as c_char; GAIN_MPI_MAX_ERROR_STRING as usize + 1];
        let mut len: c_int = 0;
        if sys::MPI_Error_string(code, buf.as_mut_ptr(), &mut len) == GAIN_MPI_SUCCESS {
            let bytes: Vec<u8> = buf[..len.max(0) as usize]
                .iter()
                .map(|&c| c as u8)
                .collect();
            String::from_utf8_lossy(&bytes).into_owned()
        } else {
            String::from("unknown error")
        }
    };
    Err(Error::new(
        ErrorKind::Mpi,
        format!("{call} failed with code {code}: {text}"),
    ))
}

/// Whether the MPI library provides `MPI_THREAD_MULTIPLE`.
static MULTIPLE: AtomicBool = AtomicBool::new(false);
/// The thread that built the runtime: the one that may call MPI when the
/// library provides less than `MPI_THREAD_MULTIPLE`.
static MAIN: OnceLock<ThreadId> = OnceLock::new();

/// Records the thread level MPI provides; called by the runtime, on the
/// thread that builds it.
pub(crate) fn set_thread_level(multiple: bool) {
    MULTIPLE.store(multiple, Ordering::Relaxed);
    let _ = MAIN.set(std::thread::current().id());
}

/// Whether this thread may make gain's one-sided MPI calls: any thread
/// under `MPI_THREAD_MULTIPLE` (one relaxed load), else only the thread
/// that built the runtime. gain serialises no MPI calls itself, except
/// where Open MPI's `osc/ucx` needs it ([`rma_turn`]); a program
/// initialising MPI at a lower level calls gain's one-sided operations on
/// remote blocks from that one thread. Counts the call ([`calls_begun`]).
pub(super) fn may_call_mpi(call: &str) -> Result<()> {
    CALLS.fetch_add(1, Ordering::Relaxed);
    may_call_mpi_uncounted(call)
}

/// One-sided MPI calls this process has begun ([`may_call_mpi`] counts
/// them): a rank whose count moves is turning MPI's progress engine itself.
static CALLS: AtomicU64 = AtomicU64::new(0);

/// How many one-sided MPI calls this process has begun so far.
pub(crate) fn calls_begun() -> u64 {
    CALLS.load(Ordering::Relaxed)
}

/// Threads of this process inside a gain MPI call that may wait (an RMA
/// call or flush, a barrier, a broadcast or reduction of the runtime, a
/// wait on requests): while any is, the rank
/// turns MPI's progress engine itself.
static INSIDE: AtomicUsize = AtomicUsize::new(0);

/// How many threads of this process are inside gain's MPI calls now.
pub(crate) fn threads_inside_mpi() -> usize {
    INSIDE.load(Ordering::Relaxed)
}

/// Marks the calling thread as inside a gain MPI call until it drops
/// ([`threads_inside_mpi`]).
pub(crate) struct InMpi(());

impl InMpi {
    pub(crate) fn enter() -> InMpi {
        INSIDE.fetch_add(1, Ordering::Relaxed);
        InMpi(())
    }
}

impl Drop for InMpi {
    fn drop(&mut self) {
        INSIDE.fetch_sub(1, Ordering::Relaxed);
    }
}

/// [`may_call_mpi`] without counting the call (the progress thread's own).
pub(super) fn may_call_mpi_uncounted(call: &str) -> Result<()> {
    if MULTIPLE.load(Ordering::Relaxed) || MAIN.get() == Some(&std::thread::current().id()) {
        return Ok(());
    }
    Err(Error::new(
        ErrorKind::ThreadLevel,
        format!(
            "{call} from a second thread of this rank, but the MPI library was initialised \
             below MPI_THREAD_MULTIPLE (gain::init asks for it; a program initialising MPI \
             itself passes mpi::environment::Threading::Multiple)"
        ),
    ))
}

pub(super) fn to_int(n: usize, what: &str) -> Result<c_int> {
    c_int::try_from(n).map_err(|_| {
        Error::new(
            ErrorKind::SizeOverflow,
            format!("{what} {n} exceeds an MPI int"),
        )
    })
}

pub(super) fn set_errors_return(win: MPI_Win) -> Result<()> {
    // SAFETY: `win` is a valid window; the handler is a predefined constant.
    check(
        unsafe { sys::MPI_Win_set_errhandler(win, sys::RSMPI_ERRORS_RETURN) },
        "MPI_Win_set_errhandler",
    )
}

/// `MPI_Abort` on `MPI_COMM_WORLD`: ends every process of the job.
pub(crate) fn abort_world(code: c_int) -> ! {
    // SAFETY: MPI_Abort may be called at any time after MPI_Init.
    unsafe {
        sys::MPI_Abort(GAIN_MPI_COMM_WORLD, code);
    }
    std::process::abort()
}

unsafe extern "C" {
    fn atexit(f: extern "C" fn()) -> c_int;
    fn signal(sig: c_int, handler: usize) -> usize;
    fn raise(sig: c_int) -> c_int;
    fn write(fd: c_int, buf: *const c_void, n: usize) -> isize;
}

/// `SIGBUS` on Linux (x86, ARM, RISC-V, POWER).
const SIGBUS: c_int = 7;
/// `SIG_DFL` and `SIG_ERR` as `signal` takes and returns them.
const SIG_DFL: usize = 0;
const SIG_ERR: usize = usize::MAX;

/// The message the `SIGBUS` handler prints while `on_bus_error` runs.
static BUS_TEXT: std::sync::atomic::AtomicPtr<u8> =
    std::sync::atomic::AtomicPtr::new(std::ptr::null_mut());
static BUS_LEN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

extern "C" fn on_sigbus(_: c_int) {
    use std::sync::atomic::Ordering;
    let p = BUS_TEXT.load(Ordering::SeqCst);
    let n = BUS_LEN.load(Ordering::SeqCst);
    // SAFETY: only async-signal-safe calls: `write` of a leaked, immutable
    // buffer, then the default action of the signal (the process dies and
    // the launcher reports it).
    unsafe {
        if !p.is_null() {
            write(2, p as *const c_void, n);
        }
        signal(SIGBUS, SIG_DFL);
        raise(SIGBUS);
    }
}

/// Runs `f`, which touches freshly mapped shared memory, so that a
/// `SIGBUS` (the node's shared memory, a tmpfs, ran out: MPICH maps more
/// than is free, and touching a page past the end kills the process)
/// prints `message` before the process dies as it would have.
pub(crate) fn on_bus_error<R>(message: String, f: impl FnOnce() -> R) -> R {
    use std::sync::atomic::Ordering;
    let text = format!("{message}\n").into_bytes();
    BUS_TEXT.store(text.as_ptr() as *mut u8, Ordering::SeqCst);
    BUS_LEN.store(text.len(), Ordering::SeqCst);
    // SAFETY: installs a handler that only makes async-signal-safe calls;
    // the previous handler is put back below.
    let previous = unsafe { signal(SIGBUS, on_sigbus as extern "C" fn(c_int) as usize) };
    let r = f();
    if previous != SIG_ERR {
        // SAFETY: restores the handler `signal` returned.
        unsafe { signal(SIGBUS, previous) };
    }
    // The signal is synchronous (raised by `f`'s own stores on this
    // thread), so once `f` has returned the handler can no longer run with
    // this text, which `text` frees after this line.
    BUS_TEXT.store(std::ptr::null_mut(), Ordering::SeqCst);
    r
}

/// Registers `f` to run when the process exits (C's `atexit`), after
/// `main` returns or at `std::process::exit`.
pub(crate) fn at_exit(f: extern "C" fn()) -> Result<()> {
    // SAFETY: `f` is a plain function without captures, valid for the
    // process's life.
    if unsafe { atexit(f) } != 0 {
        return Err(Error::new(ErrorKind::Mpi, "atexit refused a handler"));
    }
    Ok(())
}

/// `MPI_Get_library_version` (callable before `MPI_Init`).
pub(crate) fn library_version() -> String {
    mpi::environment::library_version().unwrap_or_default()
}
