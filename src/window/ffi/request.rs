//! MPI requests of request-based RMA and of the point-to-point messages
//! of ghost updates (`MPI_Isend`, `MPI_Irecv`): tested with
//! `MPI_Testall`, waited with `MPI_Waitall` (Standard section 3.7.5).

use std::ffi::{c_int, c_void};

use mpi::datatype::Equivalence;
use mpi::ffi::{self as sys, MPI_Comm, MPI_Request};
use mpi::raw::AsRaw;

use crate::error::Result;

use super::{InMpi, check, may_call_mpi, to_int};

/// The requests of one non-blocking operation, each completed by MPI
/// (and set to `MPI_REQUEST_NULL`) as a test or wait finds it complete.
/// Dropping the set frees nothing: its owner waits for it first (a set
/// that is forgotten leaks its requests, which is safe).
#[derive(Default)]
pub(crate) struct Requests(Vec<MPI_Request>);

// SAFETY: a request handle may be tested and waited from any thread under
// `MPI_THREAD_MULTIPLE`; below it, `test` and `wait` refuse other threads
// (`may_call_mpi`) before touching the handles. They take `&mut self`, so
// two threads never complete one set at once.
unsafe impl Send for Requests {}
// SAFETY: `&Requests` gives no access to the handles (only `len`).
unsafe impl Sync for Requests {}

impl Requests {
    /// Adds a request just returned by an `MPI_R*` call.
    pub(crate) fn push(&mut self, request: MPI_Request) {
        self.0.push(request);
    }

    /// How many requests the set holds, complete or not.
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether every request has completed (`MPI_Testall`), without
    /// blocking. Once they have, the set is emptied and stays complete.
    pub(crate) fn test(&mut self) -> Result<bool> {
        if self.0.is_empty() {
            return Ok(true);
        }
        may_call_mpi("MPI_Testall")?;
        let n = to_int(self.0.len(), "request count")?;
        let mut flag: c_int = 0;
        // SAFETY: `self.0` holds `n` valid (active or null) requests;
        // statuses are ignored; `flag` is an out-parameter.
        let code = unsafe {
            sys::MPI_Testall(
                n,
                self.0.as_mut_ptr(),
                &mut flag,
                sys::RSMPI_STATUSES_IGNORE,
            )
        };
        check(code, "MPI_Testall")?;
        if flag != 0 {
            self.0.clear();
        }
        Ok(flag != 0)
    }

    /// Waits for every request (`MPI_Waitall`); the set is empty after.
    pub(crate) fn wait(&mut self) -> Result<()> {
        if self.0.is_empty() {
            return Ok(());
        }
        may_call_mpi("MPI_Waitall")?;
        let _inside = InMpi::enter();
        let n = to_int(self.0.len(), "request count")?;
        // SAFETY: as in `test`.
        let code = unsafe { sys::MPI_Waitall(n, self.0.as_mut_ptr(), sys::RSMPI_STATUSES_IGNORE) };
        check(code, "MPI_Waitall")?;
        self.0.clear();
        Ok(())
    }
}

impl Requests {
    /// Starts sending `buf` to rank `dest` of `comm` with `tag`
    /// (`MPI_Isend`, Standard section 3.7.2) and adds the request to the
    /// set.
    ///
    /// # Safety
    ///
    /// `buf` must stay alive and unchanged until the set has been waited
    /// for (or is leaked): MPI reads it until the request completes.
    pub(crate) unsafe fn isend<T: Equivalence>(
        &mut self,
        comm: MPI_Comm,
        buf: &[T],
        dest: usize,
        tag: u16,
    ) -> Result<()> {
        may_call_mpi("MPI_Isend")?;
        let n = to_int(buf.len(), "message length")?;
        let dest = to_int(dest, "destination rank")?;
        // SAFETY: reading a constant initialised at load time.
        let mut req = unsafe { sys::RSMPI_REQUEST_NULL };
        let ty = T::equivalent_datatype().as_raw();
        // SAFETY: `buf` holds `n` elements of the datatype passed and the
        // caller keeps it alive until completion; `req` is an
        // out-parameter.
        let code = unsafe {
            sys::MPI_Isend(
                buf.as_ptr() as *const c_void,
                n,
                ty,
                dest,
                c_int::from(tag),
                comm,
                &mut req,
            )
        };
        check(code, "MPI_Isend")?;
        self.push(req);
        Ok(())
    }

    /// Starts receiving into `buf` from rank `source` of `comm` with `tag`
    /// (`MPI_Irecv`, Standard section 3.7.2) and adds the request to the
    /// set. A message longer than `buf` fails the wait (`MPI_ERR_TRUNCATE`).
    ///
    /// # Safety
    ///
    /// `buf` must stay alive, and be neither read nor written otherwise,
    /// until the set has been waited for (or is leaked): MPI writes it
    /// until the request completes.
    pub(crate) unsafe fn irecv<T: Equivalence>(
        &mut self,
        comm: MPI_Comm,
        buf: &mut [T],
        source: usize,
        tag: u16,
    ) -> Result<()> {
        may_call_mpi("MPI_Irecv")?;
        let n = to_int(buf.len(), "message length")?;
        let source = to_int(source, "source rank")?;
        // SAFETY: reading a constant initialised at load time.
        let mut req = unsafe { sys::RSMPI_REQUEST_NULL };
        let ty = T::equivalent_datatype().as_raw();
        // SAFETY: `buf` has room for `n` elements of the datatype passed
        // and the caller keeps it alive and untouched until completion;
        // `req` is an out-parameter.
        let code = unsafe {
            sys::MPI_Irecv(
                buf.as_mut_ptr() as *mut c_void,
                n,
                ty,
                source,
                c_int::from(tag),
                comm,
                &mut req,
            )
        };
        check(code, "MPI_Irecv")?;
        self.push(req);
        Ok(())
    }
}
