//! What a rank knows about its own failures, so that a rank leaving the
//! program early ends the job instead of leaving the others waiting.
//!
//! Freeing an array's windows and finalising MPI are collective. When one
//! rank returns an error from `main` with `?` while the others carry on, it
//! drops its arrays and would wait forever in the collective free, and the
//! others forever in their next collective. So every [`Error`] that leaves
//! one of gain's public calls (through [`during`]) is recorded here as the
//! rank's *pending* error, and every collective the rank completes with
//! the others clears it (they were all there, so nobody is left behind). The collective points where a rank may be
//! leaving — freeing a window, dropping the runtime — meet the other ranks
//! first in a non-blocking barrier on a communicator of their own: a rank
//! without a pending error waits for it as long as it takes, a rank with
//! one waits at most [`timeout`] and then aborts the job with its error's
//! message (Global Arrays' `GA_Error` aborts at once; this lets a program
//! that handles an error on every rank carry on).
//!
//! Everything the crate does about faults lives here, in four parts:
//! - this file: the rank's pending error, the timeout, [`during`] (the one
//!   way a public call tags its error with its name, and records it);
//! - `exit.rs`: the exit points ([`exit_point`]) and the agreement on the
//!   outcome of a step every rank took ([`agree_outcome`]);
//! - `agree.rs`: the agreement on a collective call's arguments
//!   ([`agree_arguments`]) and on whether a step succeeded everywhere;
//! - `hooks.rs`: the panic and exit hooks that abort the job.
//!
//! Dependencies go one way: this module builds on the error type (a leaf)
//! and on the MPI calls of the window layer's FFI wrappers (the
//! non-blocking reduction, `MPI_Abort`, `atexit`); the rest of the window
//! layer and the runtime call into it. This file itself is plain std, so
//! every layer, the pure distribution math included, tags its errors
//! through [`during`].

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::error::{Error, ErrorKind, Result, this_rank};

mod agree;
mod exit;
mod hooks;

pub(crate) use agree::{agree_arguments, agree_success, share_outcome};
pub(crate) use exit::{abort_with, agree_outcome, exit_point};
pub(crate) use hooks::install_hooks;

/// The latest error since the last collective this rank completed.
static PENDING: Mutex<Option<Error>> = Mutex::new(None);
/// How long a rank with a pending error waits for the others, in ms.
static TIMEOUT_MS: AtomicUsize = AtomicUsize::new(DEFAULT_TIMEOUT_MS);
const DEFAULT_TIMEOUT_MS: usize = 10_000;

/// The environment variable that sets [`timeout`], in seconds.
pub(crate) const TIMEOUT_VAR: &str = "GAIN_FAULT_TIMEOUT";
/// A testing knob: the rank named here fails every window allocation as
/// if MPI had run out of shared memory, without entering MPI.
pub(crate) const INJECT_VAR: &str = "GAIN_INJECT_ALLOC_FAILURE";
/// The rank that fails its allocations (`usize::MAX`: none).
static INJECT_RANK: AtomicUsize = AtomicUsize::new(usize::MAX);

/// This process's rank as errors and abort messages print it: its number
/// in `MPI_COMM_WORLD`, `?` before a runtime exists.
pub(crate) fn rank_text() -> String {
    this_rank().map_or("?".to_string(), |r| r.to_string())
}

/// Runs the body of the public call `op`. An error leaving it is tagged
/// with the call's name (the outermost call wins: a `numpy::full` that
/// fails in `GlobalArray::zeros` reports `numpy::full`) and becomes this
/// rank's pending error: the rank may now leave the program with it, so
/// the next exit point must not wait for the others forever. Every public
/// call that can fail runs its body through `during`.
#[inline]
pub(crate) fn during<R>(op: &'static str, body: impl FnOnce() -> Result<R>) -> Result<R> {
    body().map_err(|e| leaving(e, op))
}

/// `e` tagged with `op` and recorded: the error path of [`during`], kept
/// out of line so that the calls it wraps stay small where they succeed.
#[cold]
#[inline(never)]
fn leaving(e: Error, op: &'static str) -> Error {
    let e = e.in_operation(op);
    record(&e);
    e
}

/// Makes `e` this rank's pending error.
fn record(e: &Error) {
    if let Ok(mut p) = PENDING.lock() {
        *p = Some(e.clone());
    }
}

/// A collective this rank took part in has completed on every rank: no
/// rank is waiting for this one, so an earlier error left nobody behind.
pub(crate) fn completed() {
    if let Ok(mut p) = PENDING.lock()
        && p.is_some()
    {
        *p = None;
    }
}

/// The error this rank made since the last collective it completed.
pub(crate) fn pending() -> Option<Error> {
    PENDING.lock().ok().and_then(|p| p.clone())
}

/// How long a rank with a pending error waits at a collective exit point
/// for the other ranks before aborting the job.
pub(crate) fn timeout() -> Duration {
    Duration::from_millis(TIMEOUT_MS.load(Ordering::Relaxed) as u64)
}

/// Whether this rank is to fail its window allocations
/// (`GAIN_INJECT_ALLOC_FAILURE`).
pub(crate) fn inject_alloc_failure() -> bool {
    this_rank().is_some_and(|r| r == INJECT_RANK.load(Ordering::Relaxed))
}

/// Reads the fault handling's environment: `GAIN_FAULT_TIMEOUT` (seconds,
/// a positive number; unset or empty: 10 s) into [`timeout`], and the
/// testing knob `GAIN_INJECT_ALLOC_FAILURE` (a rank number).
pub(crate) fn read_env() -> Result<()> {
    let inject = match std::env::var(INJECT_VAR) {
        Err(_) => usize::MAX,
        Ok(v) if v.is_empty() => usize::MAX,
        Ok(v) => v.parse::<usize>().map_err(|_| {
            Error::new(
                ErrorKind::InvalidArgument,
                format!("{INJECT_VAR} must be a rank number, not {v:?}"),
            )
        })?,
    };
    INJECT_RANK.store(inject, Ordering::Relaxed);
    let ms = match std::env::var(TIMEOUT_VAR) {
        Err(_) => DEFAULT_TIMEOUT_MS,
        Ok(v) if v.is_empty() => DEFAULT_TIMEOUT_MS,
        Ok(v) => match v.parse::<f64>() {
            Ok(s) if s > 0.0 && s <= 86_400.0 => (s * 1000.0).ceil() as usize,
            _ => {
                return Err(Error::new(
                    ErrorKind::InvalidArgument,
                    format!("{TIMEOUT_VAR} must be a number of seconds in (0, 86400], not {v:?}"),
                ));
            }
        },
    };
    TIMEOUT_MS.store(ms, Ordering::Relaxed);
    Ok(())
}

/// The line a rank prints before aborting the job because the others did
/// not reach `point` within the timeout after its error `e`.
pub(crate) fn abort_message(e: &Error, point: &str) -> String {
    format!(
        "gain: {e}\ngain: rank {} is leaving after this error, and the other ranks did not reach \
         {point} within {:?} ({TIMEOUT_VAR}); aborting the job",
        rank_text(),
        timeout()
    )
}
