//! What is in flight: per-target ordering of puts and accumulates, and
//! non-blocking reads.

use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicU64, Ordering};

use ndarray::{Array, Dimension};

use crate::element::Element;
use crate::error::Result;

use super::ffi::{self, Requests, abort_world};

use super::Window;

/// The puts and accumulates one process has issued to one target rank, and
/// how many of them a completed flush is known to cover.
///
/// Two counters rather than one flag because a rank's threads share them: a
/// thread that finds operations outstanding flushes and only then records
/// the count it saw, so another thread never skips its flush on the word of
/// a flush that has not finished, nor a flush that began before its own put
/// was issued.
pub(super) struct Pending {
    /// Operations issued, counted after each `MPI_Put`/`MPI_Accumulate`
    /// call returned.
    issued: AtomicU64,
    /// The largest `issued` count read before a flush that then completed.
    flushed: AtomicU64,
}

impl Pending {
    pub(super) fn per_rank(n: usize) -> Vec<Pending> {
        (0..n)
            .map(|_| Pending {
                issued: AtomicU64::new(0),
                flushed: AtomicU64::new(0),
            })
            .collect()
    }

    /// Counts an operation whose MPI call has returned.
    pub(super) fn issue(&self) {
        // Release: a thread that reads this count (Acquire) and then
        // flushes, flushes after the operation was issued.
        self.issued.fetch_add(1, Ordering::Release);
    }

    pub(super) fn issued(&self) -> u64 {
        self.issued.load(Ordering::Acquire)
    }

    pub(super) fn flushed(&self) -> u64 {
        self.flushed.load(Ordering::Acquire)
    }

    /// Records that a flush begun after `issued()` returned `n` completed.
    pub(super) fn flushed_up_to(&self, n: u64) {
        self.flushed.fetch_max(n, Ordering::Release);
    }
}

/// A read started by [`Window::read_start`]: the buffer MPI writes into,
/// the requests of the remote gets (`MPI_Rget`) and the ranks they read.
pub(crate) struct PendingRead<'w, T: Element, D: Dimension> {
    pub(super) win: &'w Window<T>,
    pub(super) out: Array<MaybeUninit<T>, D>,
    pub(super) requests: Requests,
    pub(super) targets: Vec<usize>,
}

impl<T: Element, D: Dimension> PendingRead<'_, T, D> {
    /// Whether the remote gets have completed, without blocking; once
    /// true, [`wait`](Self::wait) returns at once.
    pub(crate) fn test(&mut self) -> Result<bool> {
        if !self.requests.test()? {
            return Ok(false);
        }
        self.settle()?;
        Ok(true)
    }

    /// Waits for the remote gets and returns the section.
    pub(crate) fn wait(mut self) -> Result<Array<T, D>> {
        self.complete()?;
        let empty = Array::uninit(D::zeros(self.out.ndim()));
        let out = std::mem::replace(&mut self.out, empty);
        // SAFETY: `read_start` checked that the pieces cover the array;
        // same-node pieces were copied there and the remote gets are now
        // complete, so every element was written.
        Ok(unsafe { out.assume_init() })
    }

    /// Completes the gets still in flight: waits for their requests
    /// (`MPI_Waitall`), which involves no other target, unlike a flush
    /// under Open MPI's `osc/pt2pt` (the component it picks across hosts
    /// over TCP), where a flush to one target also waits for the
    /// operations to every other and the ranks' reads then deadlocked
    /// (`np3` with `--mca osc sm,pt2pt` hung in the roundtrip and matmul
    /// cases).
    fn complete(&mut self) -> Result<()> {
        self.requests.wait()?;
        self.settle()
    }

    /// Under MPICH, after the requests completed, flushes each target as
    /// [`ffi::complete_gets`] does for blocking gets (MPICH 4.0.2 was seen
    /// to report a get complete before its data had arrived while other
    /// threads used the target). The targets are forgotten only once that
    /// succeeded.
    fn settle(&mut self) -> Result<()> {
        if self.targets.is_empty() {
            return Ok(());
        }
        if ffi::is_mpich() {
            let world = self.win.world.expect("remote targets imply a world window");
            for &rank in &self.targets {
                ffi::complete_gets(world, rank)?;
            }
        }
        self.targets.clear();
        Ok(())
    }
}

impl<T: Element, D: Dimension> Drop for PendingRead<'_, T, D> {
    fn drop(&mut self) {
        // MPI may still write into `out`; it must not be freed before the
        // gets complete. If that cannot be ensured, stop the job.
        if let Err(e) = self.complete() {
            eprintln!("gain: completing a non-blocking get failed: {e}");
            abort_world(1);
        }
    }
}
