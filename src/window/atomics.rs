//! A window of `i64` words, a few on every rank, that any rank reads and
//! changes with MPI's single-word atomics ([`AtomicWords`]): the storage
//! of `crate::mutex`'s queue locks. Every access is an accumulate-class
//! MPI call completed before it returns, so the words' accesses are
//! atomic with each other whether the target is this rank, another rank
//! of the node or another node (a plain store racing with them would not
//! be). On one host the window is a shared-memory one, whose atomics
//! never enter MPI's progress engine, so a rank that waits on its words
//! also turns it ([`AtomicWords::progress`]).

use mpi::ffi::{MPI_Comm, MPI_Win};

use crate::error::{Error, Result};
use crate::fault::{self, agree_outcome, exit_point};

use super::Placement;
use super::ffi::{self, AtomicOp, abort_world};

/// `len` words on every rank of the job, in one world window
/// (`MPI_Win_allocate`, one passive-target epoch for its whole life).
pub(crate) struct AtomicWords {
    win: MPI_Win,
    len: usize,
    world: MPI_Comm,
    control: MPI_Comm,
    freed: bool,
    /// The memory under the window when MPI did not allocate it
    /// (`ffi::allocate_world`); dropped after `Drop` freed the window.
    _memory: Option<Box<[i64]>>,
}

// SAFETY: the threads of a rank share `&AtomicWords` to issue atomics
// concurrently: the window handle is only passed to MPI (any thread may
// call it under `MPI_THREAD_MULTIPLE`, and the FFI wrappers refuse other
// threads below it), and nothing else in it changes after creation. Freeing
// takes `&mut self`. It is not `Send`: it is freed on the thread that
// created it, with the runtime that owns the communicators.
unsafe impl Sync for AtomicWords {}

impl AtomicWords {
    /// Collective: allocates `len` words on every rank (every rank must
    /// pass the same `len`), word `i` of each set to `init(i)`, visible to
    /// every rank when this returns. A failed allocation on every rank is
    /// an error on every rank; on some ranks only, the job aborts with the
    /// failing rank's message.
    pub(crate) fn allocate(
        place: &Placement<'_>,
        len: usize,
        init: impl Fn(usize) -> i64,
    ) -> Result<Self> {
        let made = ffi::allocate_world(place.world, len);
        let (win, base, memory) = agree_outcome(
            place.control,
            made,
            "the end of a window of atomics' allocation",
            "the allocation of a window of atomics failed on another rank",
            "a consistent allocation",
        )?;
        let mut words = AtomicWords {
            win,
            len,
            world: place.world,
            control: place.control,
            freed: false,
            _memory: memory,
        };
        // SAFETY: `base` is this rank's segment of at least `len` words,
        // which no other rank touches before the barrier below.
        unsafe {
            for i in 0..len {
                base.add(i).write(init(i));
            }
        }
        // The stores reach the window's public copy (MPI_Win_sync, also in
        // the separate memory model) before any rank passes the barrier.
        let ready = ffi::win_sync(win).and_then(|()| ffi::barrier(place.world));
        if let Err(e) = ready {
            // The window is left to MPI; so is the memory under it, which
            // MPI may still reach.
            words.freed = true;
            std::mem::forget(words._memory.take());
            return Err(e);
        }
        fault::completed();
        Ok(words)
    }

    fn check(&self, index: usize) {
        assert!(
            index < self.len,
            "word {index} of a window of {} atomics",
            self.len
        );
    }

    /// Atomically stores `value` into word `index` of `rank`'s words and
    /// returns the old value, completed at the target.
    pub(crate) fn swap(&self, rank: usize, index: usize, value: i64) -> Result<i64> {
        self.check(index);
        ffi::fetch_and_op(self.win, rank, index, value, AtomicOp::Replace)
    }

    /// Atomically reads word `index` of `rank`'s words.
    pub(crate) fn load(&self, rank: usize, index: usize) -> Result<i64> {
        self.check(index);
        ffi::fetch_and_op(self.win, rank, index, 0, AtomicOp::NoOp)
    }

    /// Atomically replaces word `index` of `rank`'s words with `new` if it
    /// equals `compare`; returns the old value either way.
    pub(crate) fn compare_and_swap(
        &self,
        rank: usize,
        index: usize,
        compare: i64,
        new: i64,
    ) -> Result<i64> {
        self.check(index);
        ffi::compare_and_swap(self.win, rank, index, compare, new)
    }

    /// Turns this rank's MPI progress engine once (`MPI_Iprobe`), for a
    /// rank that waits on its own words: on one host the words are a
    /// shared-memory window, whose atomics never enter the engine, while
    /// other ranks' one-sided calls into this rank's arrays may need it
    /// (Open MPI's `osc/pt2pt`) to complete.
    pub(crate) fn progress(&self) -> Result<()> {
        ffi::poke_progress(self.world)
    }

    /// Collective: frees the window. The ranks first meet at an exit
    /// point carrying `flag` (a rank with `own` error, or a pending one,
    /// waits there at most the fault timeout, then aborts the job with its
    /// message); returns the maximum of the ranks' flags.
    pub(crate) fn free(&mut self, flag: u64, own: Option<&Error>) -> Result<u64> {
        if self.freed {
            return Ok(0);
        }
        self.freed = true;
        let [max, _] = exit_point(
            self.control,
            [flag, 0],
            own,
            "the collective free of a set of mutexes",
        )?;
        ffi::free(self.win)?;
        Ok(max)
    }
}

impl Drop for AtomicWords {
    fn drop(&mut self) {
        if let Err(e) = self.free(0, None) {
            eprintln!("gain: freeing a window of atomics failed: {e}");
            abort_world(1);
        }
    }
}
