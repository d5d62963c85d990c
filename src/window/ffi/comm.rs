//! Communicators and the small collectives the window layer needs:
//! sizes and ranks, splits and duplicates, a barrier, byte broadcasts,
//! the fault handling's non-blocking maximum, and a turn of the progress
//! engine.

use std::ffi::{c_int, c_void};

use mpi::datatype::Equivalence;
use mpi::ffi::{self as sys, MPI_Comm};
use mpi::raw::AsRaw;

use crate::error::Result;

use super::{GAIN_MPI_COMM_WORLD, InMpi, check, may_call_mpi_uncounted, to_int};

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
    let _inside = InMpi::enter();
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

/// `MPI_Iprobe` for a message from rank 0 with tag 0 on `comm`, a
/// communicator nothing is ever sent on: it never finds one, and is called
/// for what every MPI call does on the way, a turn of the library's
/// progress engine (which serves other ranks' one-sided operations on this
/// rank's memory in components without hardware progress).
pub(crate) fn poke_progress(comm: MPI_Comm) -> Result<()> {
    may_call_mpi_uncounted("MPI_Iprobe")?;
    let mut flag: c_int = 0;
    let mut status = std::mem::MaybeUninit::<sys::MPI_Status>::uninit();
    // SAFETY: `comm` is a valid communicator; `flag` and `status` are
    // valid out-parameters (the status is only written, never read).
    check(
        unsafe { sys::MPI_Iprobe(0, 0, comm, &mut flag, status.as_mut_ptr()) },
        "MPI_Iprobe",
    )
}

/// Elements per MPI call of [`bcast`]: MPI counts are `int`s, so longer
/// buffers go in pieces of 2^30.
const MAX_COUNT: usize = 1 << 30;

/// Collective over `comm`: `MPI_Bcast` (Standard section 5.4) of `buf`
/// from rank `root` into every other rank's `buf` (of the same length),
/// in pieces of at most 2^30 elements.
pub(crate) fn bcast<T: Equivalence>(comm: MPI_Comm, root: usize, buf: &mut [T]) -> Result<()> {
    bcast_chunked(comm, root, buf, MAX_COUNT)
}

/// [`bcast`] in pieces of at most `max_chunk` elements (clamped to
/// 1..=2^30: MPI counts are `int`s).
pub(crate) fn bcast_chunked<T: Equivalence>(
    comm: MPI_Comm,
    root: usize,
    buf: &mut [T],
    max_chunk: usize,
) -> Result<()> {
    let _inside = InMpi::enter();
    let ty = T::equivalent_datatype().as_raw();
    let root = to_int(root, "root")?;
    for piece in buf.chunks_mut(max_chunk.clamp(1, MAX_COUNT)) {
        check(
            // SAFETY: `piece` is `piece.len()` writable elements of the
            // datatype passed (the root's are only read), alive until the
            // blocking call returns.
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

/// Collective over `comm`: whether all its ranks share memory (one
/// `MPI_Comm_split_type(MPI_COMM_TYPE_SHARED)`, Standard section 6.4.2,
/// whose communicator is freed at once), whatever `GAIN_RANKS_PER_NODE`
/// pretends.
pub(crate) fn comm_shares_memory(comm: MPI_Comm) -> Result<bool> {
    // SAFETY: reading constants initialised at load time.
    let (shared, mut new) = unsafe { (sys::RSMPI_COMM_TYPE_SHARED, sys::RSMPI_COMM_NULL) };
    check(
        // SAFETY: `comm` is a valid communicator; `new` is a valid
        // out-parameter.
        unsafe { sys::MPI_Comm_split_type(comm, shared, 0, sys::RSMPI_INFO_NULL, &mut new) },
        "MPI_Comm_split_type",
    )?;
    let all = comm_size(new).and_then(|n| Ok(n == comm_size(comm)?));
    comm_free(new)?;
    all
}
