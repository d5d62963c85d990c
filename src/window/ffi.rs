//! Thin checked wrappers over the MPI-3 RMA calls rsmpi does not wrap.
//!
//! Every function checks the MPI return code and turns a failure into an
//! [`ErrorKind::Mpi`](crate::ErrorKind::Mpi) error naming the call. Windows
//! are switched to `MPI_ERRORS_RETURN` when created, so their failures come
//! back as codes instead of aborting the job.

use std::ffi::{c_char, c_int, c_void};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::ThreadId;

use mpi::ffi::{self as sys, MPI_Aint, MPI_Comm, MPI_Datatype, MPI_Info, MPI_Op, MPI_Win};
use mpi::raw::AsRaw;

use super::transfer::Dim;
use crate::element::Element;
use crate::error::{Error, ErrorKind, Result};

// Handle constants from `shim.c` (values differ between MPI libraries).
unsafe extern "C" {
    static GAIN_MPI_SUM: MPI_Op;
    static GAIN_MPI_INFO_NULL: MPI_Info;
    static GAIN_MPI_COMM_WORLD: MPI_Comm;
    static GAIN_MPI_WIN_NULL: MPI_Win;
    static GAIN_MPI_WIN_MODEL: c_int;
    static GAIN_MPI_WIN_SEPARATE: c_int;
    static GAIN_MPI_MODE_NOCHECK: c_int;
    static GAIN_MPI_SUCCESS: c_int;
    static GAIN_MPI_MAX_ERROR_STRING: c_int;
}

/// Turns an MPI return code into a `Result`.
fn check(code: c_int, call: &str) -> Result<()> {
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
/// that built the runtime. gain never serialises MPI calls itself; a
/// program initialising MPI at a lower level calls gain's one-sided
/// operations on remote blocks from that one thread.
fn may_call_mpi(call: &str) -> Result<()> {
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

fn to_int(n: usize, what: &str) -> Result<c_int> {
    c_int::try_from(n).map_err(|_| {
        Error::new(
            ErrorKind::SizeOverflow,
            format!("{what} {n} exceeds an MPI int"),
        )
    })
}

fn set_errors_return(win: MPI_Win) -> Result<()> {
    // SAFETY: `win` is a valid window; the handler is a predefined constant.
    check(
        unsafe { sys::MPI_Win_set_errhandler(win, sys::RSMPI_ERRORS_RETURN) },
        "MPI_Win_set_errhandler",
    )
}

/// `MPI_Comm_size`.
pub(crate) fn comm_size(comm: MPI_Comm) -> Result<usize> {
    let mut n: c_int = 0;
    // SAFETY: `comm` is a valid communicator; `n` is a valid out-parameter.
    check(unsafe { sys::MPI_Comm_size(comm, &mut n) }, "MPI_Comm_size")?;
    Ok(n as usize)
}

/// `MPI_Comm_rank`.
pub(crate) fn comm_rank(comm: MPI_Comm) -> Result<usize> {
    let mut n: c_int = 0;
    // SAFETY: as in `comm_size`.
    check(unsafe { sys::MPI_Comm_rank(comm, &mut n) }, "MPI_Comm_rank")?;
    Ok(n as usize)
}

/// This process's rank in `MPI_COMM_WORLD`: the number the launcher
/// reports it by.
pub(crate) fn world_rank() -> Result<usize> {
    // SAFETY: reading a constant initialised at load time.
    comm_rank(unsafe { GAIN_MPI_COMM_WORLD })
}

/// `MPI_Barrier`.
pub(crate) fn barrier(comm: MPI_Comm) -> Result<()> {
    // SAFETY: `comm` is a valid communicator.
    check(unsafe { sys::MPI_Barrier(comm) }, "MPI_Barrier")
}

/// Collective over `comm`: `MPI_Comm_split` (Standard section 6.4.2).
/// Ranks passing the same `color` form one new communicator, ordered by
/// `key`; a rank passing `None` (`MPI_UNDEFINED`) gets none. The new
/// communicator returns errors as codes, as the node communicator does.
pub(crate) fn comm_split(
    comm: MPI_Comm,
    color: Option<usize>,
    key: usize,
) -> Result<Option<MPI_Comm>> {
    // SAFETY: reading constants initialised at load time.
    let (undefined, null) = unsafe { (sys::RSMPI_UNDEFINED, sys::RSMPI_COMM_NULL) };
    let color = match color {
        Some(c) => to_int(c, "colour")?,
        None => undefined,
    };
    let mut new = null;
    check(
        // SAFETY: `comm` is a valid communicator; `new` is a valid out-parameter.
        unsafe { sys::MPI_Comm_split(comm, color, to_int(key, "key")?, &mut new) },
        "MPI_Comm_split",
    )?;
    if new == null {
        return Ok(None);
    }
    comm_errors_return(new)?;
    Ok(Some(new))
}

/// Collective over `comm`: `MPI_Comm_dup` (Standard section 6.4.2), a
/// communicator of the same ranks whose collectives never match `comm`'s.
/// It inherits `comm`'s error handler.
pub(crate) fn comm_dup(comm: MPI_Comm) -> Result<MPI_Comm> {
    // SAFETY: reading a constant initialised at load time.
    let mut new = unsafe { sys::RSMPI_COMM_NULL };
    // SAFETY: `comm` is a valid communicator; `new` is a valid out-parameter.
    check(unsafe { sys::MPI_Comm_dup(comm, &mut new) }, "MPI_Comm_dup")?;
    Ok(new)
}

/// Collective over `comm`: `MPI_Comm_free` of a communicator made by
/// [`comm_split`] or [`comm_dup`].
pub(crate) fn comm_free(mut comm: MPI_Comm) -> Result<()> {
    // SAFETY: `comm` is a valid communicator this module created, freed
    // once.
    check(unsafe { sys::MPI_Comm_free(&mut comm) }, "MPI_Comm_free")
}

/// Collective over `comm`: `MPI_Bcast` (Standard section 5.4) of `buf`
/// from rank `root` into every other rank's `buf` (which must have the
/// same length), as bytes, in pieces of at most `max_chunk` bytes and
/// under 2^31 (MPI counts are `int`s).
pub(crate) fn bcast_bytes(
    comm: MPI_Comm,
    root: usize,
    buf: &mut [u8],
    max_chunk: usize,
) -> Result<()> {
    let chunk = max_chunk.clamp(1, 1 << 30);
    let ty = <u8 as mpi::datatype::Equivalence>::equivalent_datatype().as_raw();
    let root = to_int(root, "root")?;
    for piece in buf.chunks_mut(chunk) {
        check(
            // SAFETY: `piece` is `piece.len()` writable bytes (the root's are
            // only read), of the datatype passed, alive until the blocking call
            // returns.
            unsafe {
                sys::MPI_Bcast(
                    piece.as_mut_ptr() as *mut c_void,
                    to_int(piece.len(), "broadcast count")?,
                    ty,
                    root,
                    comm,
                )
            },
            "MPI_Bcast",
        )?;
    }
    Ok(())
}

/// `MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN)`: failures of
/// calls on `comm` (a window allocation that runs out of shared memory)
/// come back as codes instead of aborting the job.
pub(crate) fn comm_errors_return(comm: MPI_Comm) -> Result<()> {
    // SAFETY: `comm` is a valid communicator; the handler is a predefined
    // constant.
    check(
        unsafe { sys::MPI_Comm_set_errhandler(comm, sys::RSMPI_ERRORS_RETURN) },
        "MPI_Comm_set_errhandler",
    )
}

/// A non-blocking maximum over the ranks of a communicator in flight
/// (`MPI_Iallreduce` of two `u64`s with `MPI_MAX`): a barrier that also
/// tells whether any rank raised a flag. Completed with [`NbMax::test`] or
/// [`NbMax::wait`]; one left unfinished is only ever abandoned on the way
/// to `MPI_Abort`, so MPI never writes into freed memory while the job
/// lives on.
pub(crate) struct NbMax {
    req: sys::MPI_Request,
    // Boxed: MPI reads and writes them until completion, wherever `NbMax`
    // moves meanwhile.
    send: Box<[u64; 2]>,
    recv: Box<[u64; 2]>,
}

impl NbMax {
    /// Collective over `comm`: starts the reduction of `value`.
    pub(crate) fn start(comm: MPI_Comm, value: [u64; 2]) -> Result<Self> {
        let ty = <u64 as mpi::datatype::Equivalence>::equivalent_datatype().as_raw();
        let mut nb = NbMax {
            // SAFETY: reading a constant initialised at load time.
            req: unsafe { sys::RSMPI_REQUEST_NULL },
            send: Box::new(value),
            recv: Box::new([0; 2]),
        };
        check(
            // SAFETY: `comm` is valid; both buffers hold two `u64`s of the
            // datatype passed and live on the heap until the request completes
            // (see the struct docs); `req` is a valid out-parameter.
            unsafe {
                sys::MPI_Iallreduce(
                    nb.send.as_ptr() as *const c_void,
                    nb.recv.as_mut_ptr() as *mut c_void,
                    2,
                    ty,
                    sys::RSMPI_MAX,
                    comm,
                    &mut nb.req,
                )
            },
            "MPI_Iallreduce",
        )?;
        Ok(nb)
    }

    /// The maximum once every rank has contributed (`MPI_Test`), `None`
    /// before.
    pub(crate) fn test(&mut self) -> Result<Option<[u64; 2]>> {
        let mut flag: c_int = 0;
        let mut status = std::mem::MaybeUninit::<sys::MPI_Status>::uninit();
        check(
            // SAFETY: `req` is the request from `start`, or null once complete,
            // which MPI_Test accepts; MPI writes `status`.
            unsafe { sys::MPI_Test(&mut self.req, &mut flag, status.as_mut_ptr()) },
            "MPI_Test",
        )?;
        Ok((flag != 0).then_some(*self.recv))
    }

    /// Waits for every rank and returns the maximum (`MPI_Wait`).
    pub(crate) fn wait(mut self) -> Result<[u64; 2]> {
        let mut status = std::mem::MaybeUninit::<sys::MPI_Status>::uninit();
        check(
            // SAFETY: as in `test`.
            unsafe { sys::MPI_Wait(&mut self.req, status.as_mut_ptr()) },
            "MPI_Wait",
        )?;
        Ok(*self.recv)
    }
}

/// Collective over `comm`: `MPI_Allgather` of one `u64` per rank, in rank
/// order.
pub(crate) fn allgather_u64(comm: MPI_Comm, x: u64) -> Result<Vec<u64>> {
    let mut all = vec![0u64; comm_size(comm)?];
    let ty = <u64 as mpi::datatype::Equivalence>::equivalent_datatype().as_raw();
    check(
        // SAFETY: `x` is one `u64` and `all` has room for one per rank of
        // `comm`, both of the datatype passed.
        unsafe {
            sys::MPI_Allgather(
                (&x) as *const u64 as *const c_void,
                1,
                ty,
                all.as_mut_ptr() as *mut c_void,
                1,
                ty,
                comm,
            )
        },
        "MPI_Allgather",
    )?;
    Ok(all)
}

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
fn with_errors_return<R>(comm: MPI_Comm, f: impl FnOnce() -> Result<R>) -> Result<R> {
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
    // SAFETY: `win` is valid and in a passive-target epoch.
    check(unsafe { sys::MPI_Win_flush_all(win) }, "MPI_Win_flush_all")
}

/// `MPI_Win_flush`: remote completion of the operations to `rank`.
pub(crate) fn flush(win: MPI_Win, rank: usize) -> Result<()> {
    may_call_mpi("MPI_Win_flush")?;
    // SAFETY: as in `flush_all`.
    check(
        unsafe { sys::MPI_Win_flush(to_int(rank, "rank")?, win) },
        "MPI_Win_flush",
    )
}

/// `MPI_Win_flush_local`: local completion of the operations to `rank`.
pub(crate) fn flush_local(win: MPI_Win, rank: usize) -> Result<()> {
    may_call_mpi("MPI_Win_flush_local")?;
    // SAFETY: as in `flush_all`.
    check(
        unsafe { sys::MPI_Win_flush_local(to_int(rank, "rank")?, win) },
        "MPI_Win_flush_local",
    )
}

/// `MPI_Win_flush_local_all`: local completion of the operations to every
/// target.
pub(crate) fn flush_local_all(win: MPI_Win) -> Result<()> {
    may_call_mpi("MPI_Win_flush_local_all")?;
    // SAFETY: as in `flush_all`.
    check(
        unsafe { sys::MPI_Win_flush_local_all(win) },
        "MPI_Win_flush_local_all",
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

/// `MPI_Win_sync`: synchronises the public and private window copies and
/// acts as a memory barrier for shared-memory loads and stores.
pub(crate) fn win_sync(win: MPI_Win) -> Result<()> {
    // SAFETY: `win` is valid and in a passive-target epoch.
    check(unsafe { sys::MPI_Win_sync(win) }, "MPI_Win_sync")
}

/// A datatype describing one side of a transfer: `count` items of `ty`.
struct Described {
    ty: MPI_Datatype,
    count: c_int,
    derived: bool,
}

impl Described {
    /// Builds the type for `dims` with the strides `stride(dim)` (elements).
    fn new<T: Element>(dims: &[Dim], stride: fn(&Dim) -> isize) -> Result<Self> {
        let base = T::equivalent_datatype().as_raw();
        let elem = size_of::<T>() as MPI_Aint;
        if let [d] = dims
            && stride(d) == 1
        {
            return Ok(Described {
                ty: base,
                count: to_int(d.n, "transfer count")?,
                derived: false,
            });
        }
        let mut ty = base;
        for (i, d) in dims.iter().rev().enumerate() {
            let mut next = base;
            let n = to_int(d.n, "transfer extent")?;
            // SAFETY: `ty` is a valid datatype; `next` is an out-parameter.
            unsafe {
                if i == 0 && stride(d) == 1 {
                    check(
                        sys::MPI_Type_contiguous(n, ty, &mut next),
                        "MPI_Type_contiguous",
                    )?;
                } else {
                    check(
                        sys::MPI_Type_create_hvector(
                            n,
                            1,
                            stride(d) as MPI_Aint * elem,
                            ty,
                            &mut next,
                        ),
                        "MPI_Type_create_hvector",
                    )?;
                }
                if i > 0 {
                    check(sys::MPI_Type_free(&mut ty), "MPI_Type_free")?;
                }
            }
            ty = next;
        }
        // SAFETY: `ty` is a newly created datatype.
        check(unsafe { sys::MPI_Type_commit(&mut ty) }, "MPI_Type_commit")?;
        Ok(Described {
            ty,
            count: 1,
            derived: true,
        })
    }

    /// Frees a derived type; pending operations that use it still complete
    /// (Standard section 5.1.5).
    fn free(mut self) -> Result<()> {
        if self.derived {
            // SAFETY: `ty` was created and committed by `new`.
            check(unsafe { sys::MPI_Type_free(&mut self.ty) }, "MPI_Type_free")?;
        }
        Ok(())
    }
}

/// The RMA calls `rma` can issue.
#[derive(Clone, Copy)]
pub(crate) enum Rma {
    Get,
    Put,
    AccumulateSum,
}

impl Rma {
    /// The MPI function's name, for error messages.
    fn call(self) -> &'static str {
        match self {
            Rma::Get => "MPI_Get",
            Rma::Put => "MPI_Put",
            Rma::AccumulateSum => "MPI_Accumulate",
        }
    }
}

/// Issues one RMA call moving the box `dims` between `origin` and byte
/// displacement `disp` of `rank`'s segment in `win`. Completion is the
/// caller's job (`flush_local`, `flush_all`).
///
/// # Safety
/// `origin` plus every offset the origin strides of `dims` reach must be
/// inside one live allocation of `T`, writable for `Rma::Get`, and stay so
/// until the operation is completed.
pub(crate) unsafe fn rma<T: Element>(
    op: Rma,
    win: MPI_Win,
    rank: usize,
    disp: MPI_Aint,
    origin: *const T,
    dims: &[Dim],
) -> Result<()> {
    may_call_mpi(op.call())?;
    let rank = to_int(rank, "rank")?;
    let o = Described::new::<T>(dims, |d| d.origin_stride)?;
    let t = match Described::new::<T>(dims, |d| d.target_stride) {
        Ok(t) => t,
        Err(e) => {
            o.free()?;
            return Err(e);
        }
    };
    // SAFETY: the caller guarantees the origin memory; the target
    // displacement lies inside the segment because the box was derived
    // from the owner's block shape.
    let code = unsafe {
        match op {
            Rma::Get => sys::MPI_Get(
                origin as *mut c_void,
                o.count,
                o.ty,
                rank,
                disp,
                t.count,
                t.ty,
                win,
            ),
            Rma::Put => sys::MPI_Put(
                origin as *const c_void,
                o.count,
                o.ty,
                rank,
                disp,
                t.count,
                t.ty,
                win,
            ),
            Rma::AccumulateSum => sys::MPI_Accumulate(
                origin as *const c_void,
                o.count,
                o.ty,
                rank,
                disp,
                t.count,
                t.ty,
                GAIN_MPI_SUM,
                win,
            ),
        }
    };
    let freed = o.free().and(t.free());
    check(code, op.call())?;
    freed
}

/// `MPI_Fetch_and_op(MPI_SUM)` followed by `MPI_Win_flush`: atomically adds
/// `inc` at byte displacement `disp` of `rank`'s segment, returns the old
/// value. Elements of one or two bytes go through the equivalent
/// `MPI_Get_accumulate` of one element instead: Open MPI 4.1's `osc/ucx`
/// hands those to UCX atomics, which have only 32- and 64-bit forms, and
/// its `MPI_Fetch_and_op` then returns success having done nothing (UCX
/// logs "invalid atomic operation datatype"). Both are accumulate
/// operations, atomic with each other and with `MPI_Accumulate`.
pub(crate) fn fetch_and_add<T: Element>(
    win: MPI_Win,
    rank: usize,
    disp: MPI_Aint,
    inc: T,
) -> Result<T> {
    may_call_mpi("MPI_Fetch_and_op")?;
    let mut old = T::zero();
    let rank = to_int(rank, "rank")?;
    let ty = T::equivalent_datatype().as_raw();
    let inc_ptr = (&inc) as *const T as *const c_void;
    let old_ptr = (&mut old) as *mut T as *mut c_void;
    // SAFETY: `inc` and `old` are one `T` each of datatype `ty` and live
    // across the flush that completes the call.
    unsafe {
        if std::mem::size_of::<T>() < 4 {
            check(
                sys::MPI_Get_accumulate(
                    inc_ptr,
                    1,
                    ty,
                    old_ptr,
                    1,
                    ty,
                    rank,
                    disp,
                    1,
                    ty,
                    GAIN_MPI_SUM,
                    win,
                ),
                "MPI_Get_accumulate",
            )?;
        } else {
            check(
                sys::MPI_Fetch_and_op(inc_ptr, old_ptr, ty, rank, disp, GAIN_MPI_SUM, win),
                "MPI_Fetch_and_op",
            )?;
        }
        check(sys::MPI_Win_flush(rank, win), "MPI_Win_flush")?;
    }
    Ok(old)
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

/// `MPI_Iprobe` for a message from rank 0 with tag 0 on `comm`, a
/// communicator nothing is ever sent on: it never finds one, and is called
/// for what every MPI call does on the way, a turn of the library's
/// progress engine (which serves other ranks' one-sided operations on this
/// rank's memory in components without hardware progress).
pub(crate) fn poke_progress(comm: MPI_Comm) -> Result<()> {
    may_call_mpi("MPI_Iprobe")?;
    let mut flag: c_int = 0;
    let mut status = std::mem::MaybeUninit::<sys::MPI_Status>::uninit();
    // SAFETY: `comm` is a valid communicator; `flag` and `status` are
    // valid out-parameters (the status is only written, never read).
    check(
        unsafe { sys::MPI_Iprobe(0, 0, comm, &mut flag, status.as_mut_ptr()) },
        "MPI_Iprobe",
    )
}
