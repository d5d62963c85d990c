//! The live windows of a runtime, and `GA_Sync` over all of them.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use mpi::ffi::{MPI_Comm, MPI_Win};

use crate::error::Result;
use crate::fault::{self};

use super::ffi::{self};

/// A live window in a [`Registry`]: its id, node window, world window,
/// whether either uses the separate memory model, and the mark of writes
/// through the world window not yet covered by a flush of all targets.
type Live = (u64, MPI_Win, Option<MPI_Win>, bool, Arc<AtomicBool>);

/// The live windows of one runtime, so that [`sync_all`] can complete
/// every array's operations (`GA_Sync`).
#[derive(Default)]
pub(crate) struct Registry {
    live: Mutex<Vec<Live>>,
    next: AtomicU64,
}

// SAFETY: the registry holds window handles (pointers in Open MPI) only to
// pass them to MPI, which any thread may call under
// `MPI_THREAD_MULTIPLE`; the list itself is behind a `Mutex`.
unsafe impl Send for Registry {}
// SAFETY: as for `Send`.
unsafe impl Sync for Registry {}

impl Registry {
    pub(super) fn add(
        &self,
        shared: MPI_Win,
        world: Option<MPI_Win>,
        separate: bool,
        written: Arc<AtomicBool>,
    ) -> u64 {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.live().push((id, shared, world, separate, written));
        id
    }

    pub(super) fn remove(&self, id: u64) {
        self.live().retain(|w| w.0 != id);
    }

    /// The list; a thread that panicked holding it left it whole (each
    /// change is one push or retain), so a poisoned lock is taken as is.
    fn live(&self) -> std::sync::MutexGuard<'_, Vec<Live>> {
        self.live.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Collective over `world`: completes every operation this rank issued on
/// any live window of `registry`, makes every store visible, waits for
/// every rank, and makes their stores visible here.
pub(crate) fn sync_all(registry: &Registry, world: MPI_Comm) -> Result<()> {
    let live = registry.live().clone();
    let win_syncs = || -> Result<()> {
        for &(_, shared, remote, separate, _) in &live {
            ffi::win_sync(shared)?;
            if let Some(w) = remote
                && separate
            {
                ffi::win_sync(w)?;
            }
        }
        Ok(())
    };
    // Only windows written through since their last flush of all targets
    // need one: the mark is lowered first, so a write counted meanwhile
    // raises it again for the next `sync`.
    for (_, _, remote, _, written) in &live {
        if let Some(w) = *remote
            && written.swap(false, Ordering::AcqRel)
        {
            ffi::flush_all(w)?;
        }
    }
    win_syncs()?;
    ffi::barrier(world)?;
    fault::completed();
    win_syncs()
}
