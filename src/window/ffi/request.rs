//! MPI requests of request-based RMA: tested with `MPI_Testall`, waited
//! with `MPI_Waitall` (Standard section 3.7.5).

use std::ffi::c_int;

use mpi::ffi::{self as sys, MPI_Request};

use crate::error::Result;

use super::{check, may_call_mpi, to_int};

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
        let n = to_int(self.0.len(), "request count")?;
        // SAFETY: as in `test`.
        let code = unsafe { sys::MPI_Waitall(n, self.0.as_mut_ptr(), sys::RSMPI_STATUSES_IGNORE) };
        check(code, "MPI_Waitall")?;
        self.0.clear();
        Ok(())
    }
}
