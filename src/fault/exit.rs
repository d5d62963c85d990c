//! Exit points: the collective places where a rank may be leaving the
//! program (freeing a window, dropping the runtime), and the agreement on
//! the outcome of a step every rank took, which meets at one.
//!
//! Freeing a window is collective, so a rank that drops its arrays while
//! leaving after an error the others never saw would wait forever. Every
//! free first meets the other ranks in a non-blocking allreduce on a
//! communicator of its own; a rank with a pending error waits only a
//! bounded time there and then aborts the job with that error's message.
//! Allocation uses the same meeting to learn whether every rank's shared
//! memory was allocated.

use std::time::{Duration, Instant};

use mpi::ffi::MPI_Comm;

use crate::error::{Error, ErrorKind, Result};
use crate::window::{NbMax, abort_world};

/// Collective over `control`: a point where a rank may be leaving the
/// program (freeing a window, dropping the runtime) or must learn whether
/// every rank can go on (after an allocation). Every rank contributes
/// `flags`; all get the elementwise maximum. A rank with an error — `own`,
/// or its pending one (see the module docs) — waits at most the fault timeout
/// and then aborts the job with that error's message: the other ranks are
/// not coming, and would otherwise wait forever. Any other rank waits as
/// long as it takes; it pays one small non-blocking reduction.
pub(crate) fn exit_point(
    control: MPI_Comm,
    flags: [u64; 2],
    own: Option<&Error>,
    point: &str,
) -> Result<[u64; 2]> {
    let leaving = own.cloned().or_else(super::pending);
    let mut nb = NbMax::start(control, flags)?;
    let max = match leaving {
        None => nb.wait()?,
        Some(e) => {
            let deadline = Instant::now() + super::timeout();
            loop {
                if let Some(max) = nb.test()? {
                    break max;
                }
                if Instant::now() >= deadline {
                    abort_with(&e, point);
                }
                std::thread::sleep(Duration::from_micros(200));
            }
        }
    };
    super::completed();
    Ok(max)
}

/// Collective over `control`, at exit point `point`: the ranks agree on
/// the outcome of a step every rank took (an allocation, a window's
/// creation). Succeeding everywhere is `Ok` everywhere, failing everywhere
/// the own error everywhere; on some ranks only, the ranks are out of
/// step, and the job aborts with the failing rank's message (`point`) or,
/// on a rank that succeeded, with `elsewhere` (at `consistent`).
pub(crate) fn agree_outcome<T>(
    control: MPI_Comm,
    outcome: Result<T>,
    point: &str,
    elsewhere: &str,
    consistent: &str,
) -> Result<T> {
    let failed = outcome.is_err() as u64;
    let [any_failed, any_ok] =
        exit_point(control, [failed, 1 - failed], outcome.as_ref().err(), point)?;
    match outcome {
        Ok(v) if any_failed == 0 => Ok(v),
        Err(e) if any_ok == 0 => Err(e),
        Err(e) => abort_with(&e, point),
        Ok(_) => abort_with(
            &Error::new(ErrorKind::Mpi, elsewhere.to_string()),
            consistent,
        ),
    }
}

/// Prints why this rank stops the job, then `MPI_Abort`s it.
pub(crate) fn abort_with(e: &Error, point: &str) -> ! {
    // One write, so that lines of ranks aborting together do not mix.
    let text = format!("{}\n", super::abort_message(e, point));
    let _ = std::io::Write::write_all(&mut std::io::stderr(), text.as_bytes());
    // Give the launcher time to forward the message: MPICH's hydra can
    // kill the job before draining the rank's pipe.
    std::thread::sleep(Duration::from_millis(300));
    abort_world(1)
}
