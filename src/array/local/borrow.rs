//! The per-block counters that keep a shared reference into window memory
//! from coexisting with a write from its own process: [`BlockUse`], a
//! block's live views and writes in progress; [`ViewBorrow`], one counted
//! view; [`WriteClaims`], the blocks one write has claimed.

use std::sync::atomic::{AtomicU64, Ordering};

/// How this process uses one same-node block: its live views (the low 32
/// bits) and its writes in progress (the high 32 bits), changed only by
/// atomic read-modify-writes, so that the threads of a rank agree on them.
/// A write claims the block only when no view lives, and a view is taken
/// only when no write is in progress: a shared reference into the block
/// never coexists with a write from this process, whichever threads make
/// them. Neither side takes a lock; a view waits only for writes already
/// copying.
pub(crate) struct BlockUse(AtomicU64);

/// One write in progress, in a [`BlockUse`].
const WRITE: u64 = 1 << 32;
/// The views' part of a [`BlockUse`].
const VIEWS: u64 = WRITE - 1;

/// # Counting views and claiming writes
impl BlockUse {
    pub(crate) fn new() -> Self {
        BlockUse(AtomicU64::new(0))
    }

    /// Counts one more view, once no write of this process is copying.
    fn view(&self) {
        let mut spins = 0u32;
        loop {
            let s = self.0.load(Ordering::Acquire);
            if s < WRITE {
                // Overflow takes 2^32 forgotten views; panicking is
                // RefCell's answer.
                assert!(s & VIEWS < VIEWS, "too many views of one block");
                if self
                    .0
                    .compare_exchange_weak(s, s + 1, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
                {
                    return;
                }
            } else if spins < 64 {
                spins += 1;
                std::hint::spin_loop();
            } else {
                // Let the writing thread run (oversubscribed cores).
                std::thread::yield_now();
            }
        }
    }

    fn unview(&self) {
        self.0.fetch_sub(1, Ordering::Release);
    }

    /// Claims the block for one write, or returns how many views live.
    pub(super) fn claim(&self) -> std::result::Result<(), u64> {
        let before = self.0.fetch_add(WRITE, Ordering::Acquire);
        match before & VIEWS {
            0 => Ok(()),
            n => {
                self.0.fetch_sub(WRITE, Ordering::Release);
                Err(n)
            }
        }
    }

    fn release(&self) {
        self.0.fetch_sub(WRITE, Ordering::Release);
    }

    /// Claims this one block for a write, as [`WriteClaims`] released on
    /// drop, or returns how many views live.
    pub(in crate::array) fn claim_alone(&self) -> std::result::Result<WriteClaims<'_>, u64> {
        self.claim()?;
        Ok(WriteClaims {
            uses: std::slice::from_ref(self),
            first: Some(0),
            more: Vec::new(),
        })
    }
}

/// One live view of a same-node block: counted in the array's
/// [`BlockUse`] for that block from creation to drop. Forgetting one
/// (`mem::forget`) leaves the block refusing this process's writes for
/// good, which is safe.
pub(crate) struct ViewBorrow<'a> {
    count: &'a BlockUse,
}

/// # Counting a view
impl<'a> ViewBorrow<'a> {
    pub(in crate::array) fn new(count: &'a BlockUse) -> Self {
        count.view();
        ViewBorrow { count }
    }
}

impl Clone for ViewBorrow<'_> {
    fn clone(&self) -> Self {
        ViewBorrow::new(self.count)
    }
}

impl Drop for ViewBorrow<'_> {
    fn drop(&mut self) {
        self.count.unview();
    }
}

/// The same-node blocks one write of this process has claimed
/// ([`GlobalArray::claim_writes`]), released on drop.
pub(crate) struct WriteClaims<'a> {
    pub(super) uses: &'a [BlockUse],
    /// Node ranks claimed: nearly every write touches one block, kept
    /// without allocating.
    pub(super) first: Option<usize>,
    pub(super) more: Vec<usize>,
}

impl Drop for WriteClaims<'_> {
    fn drop(&mut self) {
        for nr in self.first.iter().chain(&self.more) {
            self.uses[*nr].release();
        }
    }
}
