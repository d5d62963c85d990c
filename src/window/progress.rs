//! A progress thread: one per rank, turning the MPI library's progress
//! engine while the rank's own threads compute.
//!
//! Over TCP neither Open MPI's `osc/ucx` and `osc/pt2pt` nor MPICH's ch4
//! serve a one-sided operation aimed at a rank until that rank next calls
//! into MPI (no hardware moves the data): a `read_inc` on a rank that
//! computes for seconds waits seconds. The thread calls a no-op MPI call
//! ([`ffi::poke_progress`]) every `interval`, sleeping in between, so such
//! a call waits about half an interval per round trip its MPI needs
//! instead (`benches/progress.rs` measures it). An `MPI_Iprobe` reaches
//! the one-sided components' progress: Open MPI's `opal_progress` runs
//! `osc/ucx`'s, MPICH's progress engine its netmod's. It needs
//! `MPI_THREAD_MULTIPLE`.
//!
//! What it costs, and when: nothing while the rank's own threads are in
//! gain's MPI calls (an RMA call or flush, `sync`, a wait on requests) or
//! began one since its last look. It does not poke then (a poke would
//! contend with them for MPI's locks, and on a full node for the cores)
//! and backs off, doubling its pause up to [`BACK_OFF`] intervals. Once
//! the rank computes, it pokes again within that pause and every interval
//! after it. A rank waiting in an MPI call of the program's own (not
//! gain's) cannot be seen, and is poked every interval: an `MPI_Iprobe`
//! that competes with that call for the engine.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use mpi::ffi::MPI_Comm;

use super::ffi;
use crate::error::{Error, ErrorKind, Result};

/// The longest pause, in intervals, of a thread whose rank is in MPI: once
/// the rank leaves MPI to compute, the thread pokes again within this many
/// intervals, and every interval after that.
const BACK_OFF: u32 = 32;

/// A communicator handle moved into the progress thread.
struct ProbeComm(MPI_Comm);

// SAFETY: an MPI handle is a plain value (an integer in MPICH, a pointer
// to the library's object in Open MPI) that any thread may pass to MPI
// under `MPI_THREAD_MULTIPLE`, the level `Progress::start` requires; the
// communicator is freed only after the thread using it has been joined.
unsafe impl Send for ProbeComm {}

/// The running progress thread of this rank; dropping it stops and joins
/// the thread, then frees its communicator (collective: every rank drops
/// its own at the same point, the runtime's end).
pub(crate) struct Progress {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    comm: MPI_Comm,
    interval: Duration,
}

// SAFETY: the handle on the progress thread is shared by the threads of a
// rank only through the runtime, which never uses it: only `Drop` reads
// `comm`, and the runtime's last drop happens on the thread that created
// it (the runtime is `!Send`). The stop flag is atomic.
unsafe impl Send for Progress {}
// SAFETY: as for `Send`; `&Progress` has no methods that use MPI.
unsafe impl Sync for Progress {}

impl Progress {
    /// Collective over `comm` (it is duplicated, so the thread's calls
    /// never meet the program's): starts the thread, which pokes the
    /// progress engine every `interval`. `multiple` is whether MPI
    /// provides `MPI_THREAD_MULTIPLE`; without it, an
    /// [`ErrorKind::ThreadLevel`] error on every rank, before anything
    /// starts. `rank` names the rank in the message of a thread whose MPI
    /// call fails (it then stops; the job goes on without it).
    pub(crate) fn start(
        comm: MPI_Comm,
        multiple: bool,
        interval: Duration,
        rank: usize,
    ) -> Result<Progress> {
        if !multiple {
            return Err(Error::new(
                ErrorKind::ThreadLevel,
                "a progress thread needs MPI_THREAD_MULTIPLE, and the MPI library provides \
                 less (GAIN_THREAD_LEVEL, or Open MPI's osc/pt2pt); set GAIN_PROGRESS=off",
            ));
        }
        let comm = ffi::comm_dup(comm)?;
        ffi::comm_errors_return(comm)?;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let probe = ProbeComm(comm);
        let thread = std::thread::Builder::new()
            .name("gain-progress".into())
            .spawn(move || {
                let probe = probe;
                let mut seen = ffi::calls_begun();
                let mut pause = interval;
                while !flag.load(Ordering::Acquire) {
                    if interval.is_zero() {
                        // A core to itself: poll on, letting others run
                        // first when the core is shared.
                        std::thread::yield_now();
                    } else {
                        std::thread::sleep(pause);
                    }
                    // The rank's own threads turn the engine while they are
                    // in gain's MPI calls, or began one since the last
                    // look: no poke, which would only contend with them
                    // for MPI's locks and the cores, and look again later,
                    // up to `BACK_OFF` intervals.
                    let now = ffi::calls_begun();
                    if now != seen || ffi::threads_inside_mpi() > 0 {
                        seen = now;
                        pause = (pause * 2).min(interval * BACK_OFF);
                        continue;
                    }
                    pause = interval;
                    if let Err(e) = ffi::poke_progress(probe.0) {
                        eprintln!("gain: rank {rank}: the progress thread stops: {e}");
                        return;
                    }
                }
            })
            .map_err(|e| {
                Error::new(
                    ErrorKind::Mpi,
                    format!("cannot start the progress thread: {e}"),
                )
            });
        match thread {
            Ok(t) => Ok(Progress {
                stop,
                thread: Some(t),
                comm,
                interval,
            }),
            Err(e) => {
                // Every rank that got here freed nothing yet: free the
                // duplicate so the failure leaves no communicator behind.
                // A spawn failing on some ranks only is left to the fault
                // handling of the caller's next collective.
                let _ = ffi::comm_free(comm);
                Err(e)
            }
        }
    }

    /// How often the thread pokes the progress engine.
    pub(crate) fn interval(&self) -> Duration {
        self.interval
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(t) = self.thread.take() {
            // The thread only sleeps and probes; it ends within one
            // interval. A panic inside it has already ended the job
            // through the panic hook.
            let _ = t.join();
        }
        // Freed only now that no thread uses it. A failure here, at the
        // runtime's end, has no one left to report to.
        let _ = ffi::comm_free(self.comm);
    }
}
