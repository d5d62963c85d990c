//! What is in flight: per-target ordering of puts and accumulates, and
//! non-blocking reads.

use std::collections::VecDeque;
use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use ndarray::{Array, ArrayView, Dimension};

use crate::dist::Section;
use crate::element::Element;
use crate::error::Result;

use super::ffi::{self, Requests, abort_world};

use super::Window;

/// What an operation does at its target, for ordering it after this
/// rank's earlier operations there.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Access {
    /// Reads (`MPI_Get`, or a load from a same-node block).
    Read,
    /// Writes (`MPI_Put`, or a store into a same-node block).
    Write,
    /// An accumulate (`MPI_Accumulate`, `MPI_Fetch_and_op`). MPI orders
    /// the accumulates of one origin to one target location by default
    /// (the window info `accumulate_ordering`, `rar,raw,war,waw`, which
    /// gain leaves as it is), so one needs no flush after another.
    Accumulate,
}

/// The elements of a target rank's block an operation may touch: the
/// half-open range `[lo, hi)` of element offsets in the block (a box's
/// first to last element, so a conservative cover of a box that is not
/// one run), and what the operation does there.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Footprint {
    pub(crate) lo: usize,
    pub(crate) hi: usize,
    pub(crate) access: Access,
}

impl Footprint {
    /// The whole block: orders after every earlier operation.
    pub(crate) fn whole(access: Access) -> Footprint {
        Footprint {
            lo: 0,
            hi: usize::MAX,
            access,
        }
    }

    /// Element `offset` alone.
    pub(crate) fn one(offset: usize, access: Access) -> Footprint {
        Footprint {
            lo: offset,
            hi: offset + 1,
            access,
        }
    }

    /// The elements at `offsets` (any order; none is the empty range).
    pub(crate) fn elements(offsets: &[usize], access: Access) -> Footprint {
        let lo = offsets.iter().copied().min().unwrap_or(0);
        let hi = offsets.iter().copied().max().map_or(0, |m| m + 1);
        Footprint { lo, hi, access }
    }

    /// The box `piece` of a block of shape `block` (row-major): from its
    /// first element to its last; empty for an empty box.
    pub(crate) fn of_box(block: &[usize], piece: &Section, access: Access) -> Footprint {
        if piece.is_empty() {
            return Footprint {
                lo: 0,
                hi: 0,
                access,
            };
        }
        let at = |corner: &mut dyn Iterator<Item = usize>| {
            corner.zip(block).fold(0, |acc, (l, &n)| acc * n + l)
        };
        let lo = at(&mut piece.lo().iter().copied());
        let last = at(&mut piece.hi().iter().map(|&h| h - 1));
        Footprint {
            lo,
            hi: last + 1,
            access,
        }
    }

    fn overlaps(&self, lo: usize, hi: usize) -> bool {
        self.lo < hi && lo < self.hi
    }
}

/// The puts and accumulates one process has issued to one target rank that
/// no completed flush is known to cover, and where they write: an
/// operation must follow them (`MPI_Win_flush` first) only when it touches
/// what they may write, unless both are accumulates. So a run of puts to
/// different places costs no round trip each; one to the same place does.
///
/// One lock per target rank, because a rank's threads share the record: a
/// thread that finds operations to flush records, after its flush
/// completed, only the count it read before; the written range is cleared
/// only when that count is every operation issued, so no thread skips a
/// flush on the word of one that does not cover its own earlier write.
pub(super) struct Pending {
    state: Mutex<Unflushed>,
    /// The window's mark of writes not yet covered by a flush of all
    /// targets (see [`Records`]), raised after each count.
    written: Arc<AtomicBool>,
}

#[derive(Default)]
struct Unflushed {
    /// Operations issued, counted after each MPI call returned.
    issued: u64,
    /// The copies small puts and accumulates were issued from, each with
    /// its operation's number (`issued` after it), oldest first: MPI may
    /// read them until a flush covering that number completes.
    held: VecDeque<(u64, Held)>,
    /// Their bytes.
    held_bytes: usize,
    /// The largest `issued` read before a flush that then completed.
    flushed: u64,
    /// The element range `[lo, hi)` the operations after `flushed` may
    /// write (empty when `flushed == issued`).
    lo: usize,
    hi: usize,
    /// Whether every one of them is an accumulate.
    only_accumulates: bool,
}

impl Unflushed {
    /// Counts an operation with footprint `f`, widening the cover.
    fn count(&mut self, f: Footprint) {
        debug_assert!(f.access != Access::Read, "reads are not pending");
        if self.flushed == self.issued {
            (self.lo, self.hi, self.only_accumulates) = (f.lo, f.hi, true);
        } else {
            self.lo = self.lo.min(f.lo);
            self.hi = self.hi.max(f.hi);
        }
        self.only_accumulates &= f.access == Access::Accumulate;
        self.issued += 1;
    }
}

/// The records of one window, one per world rank, made on first use: a
/// window costs one pointer-sized slot per rank of the job until this rank
/// writes to a target, so that a job of many ranks does not pay a record
/// per rank and per array.
///
/// `written` is raised by every write counted in any of them, and lowered
/// by the flush of all targets that `sync` makes ([`super::sync_all`]),
/// which skips windows with none: a `sync` of arrays only read since the
/// last one costs a barrier, not an `MPI_Win_flush_all` per array (which
/// MPICH carries out target by target).
pub(super) struct Records {
    records: Box<[OnceLock<Box<Pending>>]>,
    written: Arc<AtomicBool>,
}

impl Records {
    /// One slot per rank of `n`, sharing the mark `written` with the
    /// runtime's registry.
    pub(super) fn per_rank(n: usize, written: Arc<AtomicBool>) -> Records {
        Records {
            records: (0..n).map(|_| OnceLock::new()).collect(),
            written,
        }
    }

    /// `rank`'s record, if this rank ever issued a write to it.
    pub(super) fn get(&self, rank: usize) -> Option<&Pending> {
        self.records[rank].get().map(|b| &**b)
    }

    /// The records made so far.
    pub(super) fn made(&self) -> impl Iterator<Item = &Pending> {
        self.records.iter().filter_map(|c| c.get().map(|b| &**b))
    }
}

impl std::ops::Index<usize> for Records {
    type Output = Pending;

    /// `rank`'s record, made now if it is the first.
    fn index(&self, rank: usize) -> &Pending {
        self.records[rank].get_or_init(|| Box::new(Pending::new(Arc::clone(&self.written))))
    }
}

impl Pending {
    fn new(written: Arc<AtomicBool>) -> Pending {
        Pending {
            state: Mutex::default(),
            written,
        }
    }

    fn state(&self) -> MutexGuard<'_, Unflushed> {
        // The record stays consistent at every unlock; a panic elsewhere
        // while it was held leaves nothing half-written.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts an operation with footprint `f` whose MPI call has returned.
    pub(super) fn issue(&self, f: Footprint) {
        self.state().count(f);
        // After the count, so that a `sync` that lowered the mark before
        // this write was counted flushes at the next `sync`.
        self.written.store(true, Ordering::Release);
    }

    /// Counts an operation issued from `held` (its MPI calls returned,
    /// or failed part way), and keeps the copy until a flush covers it.
    pub(super) fn issue_held(&self, f: Footprint, held: Held) {
        let mut s = self.state();
        s.count(f);
        s.held_bytes += held.bytes();
        let n = s.issued;
        s.held.push_back((n, held));
        drop(s);
        self.written.store(true, Ordering::Release);
    }

    /// The count a flush must cover before `bytes` more may be held, or
    /// `None` when they fit under [`HELD_CAP`] (or nothing is held).
    pub(super) fn room_for(&self, bytes: usize) -> Option<u64> {
        let s = self.state();
        (!s.held.is_empty() && s.held_bytes + bytes > HELD_CAP).then_some(s.issued)
    }

    /// The count a flush must cover before an operation with footprint
    /// `f`, or `None` when none is needed.
    pub(super) fn flush_needed(&self, f: Footprint) -> Option<u64> {
        let s = self.state();
        let needed = s.flushed < s.issued
            && f.overlaps(s.lo, s.hi)
            && !(f.access == Access::Accumulate && s.only_accumulates);
        needed.then_some(s.issued)
    }

    /// Every operation issued so far, for a flush of all of them.
    pub(super) fn issued(&self) -> u64 {
        self.state().issued
    }

    /// Records that a flush begun after `issued` was read as `n` completed.
    pub(super) fn flushed_up_to(&self, n: u64) {
        let mut s = self.state();
        s.flushed = s.flushed.max(n);
        if s.flushed == s.issued {
            (s.lo, s.hi) = (0, 0);
        }
        // The copies of the covered operations: MPI has read them.
        while s.held.front().is_some_and(|(k, _)| *k <= n) {
            if let Some((_, h)) = s.held.pop_front() {
                s.held_bytes -= h.bytes();
            }
        }
    }

    /// How many bytes of copies the record holds (tests).
    #[cfg(test)]
    fn held_bytes(&self) -> usize {
        self.state().held_bytes
    }
}

/// Puts and accumulates of at most this many bytes to a remote rank return
/// without waiting for local completion (`MPI_Win_flush_local`, a round
/// trip under UCX): they are issued from a copy ([`Held`]) that the
/// target's record keeps until a flush covers them, as ARMCI buffers small
/// puts. Larger ones wait, the copy costing more than the wait saves.
pub(super) const HELD_MAX: usize = 4096;

/// The bytes of copies one target's record may hold: the next small
/// operation to it flushes that target first (one round trip per at least
/// 256 puts of 4 KB, or 131,072 of 8 B).
pub(super) const HELD_CAP: usize = 1 << 20;

/// A packed, row-major copy of a small origin buffer, 8-byte aligned (the
/// largest alignment of an [`Element`]), that MPI reads after the call
/// that issued it has returned.
pub(super) struct Held(Box<[u64]>);

impl Held {
    /// A copy of `src` in row-major order, or `None` when it is empty,
    /// larger than [`HELD_MAX`] or of an element aligned beyond 8 bytes.
    pub(super) fn of<T: Element, D: Dimension>(src: &ArrayView<'_, T, D>) -> Option<Held> {
        let n = src.len();
        let bytes = n * size_of::<T>();
        if n == 0 || bytes > HELD_MAX || align_of::<T>() > align_of::<u64>() {
            return None;
        }
        let mut words = vec![0u64; bytes.div_ceil(size_of::<u64>())].into_boxed_slice();
        let dst = words.as_mut_ptr() as *mut T;
        for (i, &x) in src.iter().enumerate() {
            // SAFETY: `words` has room for `n` elements of `T` (`bytes`
            // rounded up to words) and is aligned for `T` (checked above);
            // `i < n`, and `write` needs no valid value there before.
            unsafe { dst.add(i).write(x) };
        }
        Some(Held(words))
    }

    /// The copy's first element, as the origin address of MPI calls,
    /// which only read it.
    pub(super) fn origin<T: Element>(&mut self) -> *mut T {
        self.0.as_mut_ptr() as *mut T
    }

    /// The copy's size in bytes (whole words).
    pub(super) fn bytes(&self) -> usize {
        self.0.len() * size_of::<u64>()
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

#[cfg(test)]
mod tests {
    use super::*;

    fn at(lo: usize, hi: usize, access: Access) -> Footprint {
        Footprint { lo, hi, access }
    }

    #[test]
    fn a_call_waits_only_for_pending_writes_it_touches() {
        let p = Pending::new(Arc::default());
        assert_eq!(
            p.flush_needed(at(0, 8, Access::Read)),
            None,
            "nothing pending"
        );
        p.issue(at(10, 12, Access::Write));
        p.issue(at(20, 21, Access::Write));
        // The pending writes cover [10, 21): beside it, no flush.
        assert_eq!(p.flush_needed(at(0, 10, Access::Write)), None);
        assert_eq!(p.flush_needed(at(21, 30, Access::Read)), None);
        // Inside it (even between the two writes: the cover is one range).
        assert_eq!(p.flush_needed(at(11, 12, Access::Read)), Some(2));
        assert_eq!(p.flush_needed(at(15, 16, Access::Accumulate)), Some(2));
        assert_eq!(p.flush_needed(Footprint::whole(Access::Write)), Some(2));
        p.flushed_up_to(2);
        assert_eq!(p.flush_needed(Footprint::whole(Access::Write)), None);
        // Cleared: a new write starts a new cover.
        p.issue(at(40, 41, Access::Write));
        assert_eq!(p.flush_needed(at(11, 12, Access::Read)), None);
        assert_eq!(p.flush_needed(at(40, 41, Access::Read)), Some(3));
    }

    #[test]
    fn accumulates_follow_accumulates_without_a_flush() {
        let p = Pending::new(Arc::default());
        p.issue(at(5, 6, Access::Accumulate));
        assert_eq!(p.flush_needed(at(5, 6, Access::Accumulate)), None);
        assert_eq!(p.flush_needed(at(5, 6, Access::Read)), Some(1));
        assert_eq!(p.flush_needed(at(5, 6, Access::Write)), Some(1));
        p.issue(at(5, 6, Access::Write));
        // A put among them: the next accumulate must follow it.
        assert_eq!(p.flush_needed(at(5, 6, Access::Accumulate)), Some(2));
    }

    #[test]
    fn a_flush_that_missed_later_writes_keeps_their_cover() {
        let p = Pending::new(Arc::default());
        p.issue(at(0, 1, Access::Write));
        // A thread reads the count (1) and flushes; meanwhile another
        // thread issues a write elsewhere.
        let n = p.flush_needed(at(0, 1, Access::Read)).unwrap();
        p.issue(at(50, 51, Access::Write));
        p.flushed_up_to(n);
        // The later write is not covered by that flush.
        assert_eq!(p.flush_needed(at(50, 51, Access::Read)), Some(2));
        p.flushed_up_to(2);
        assert_eq!(p.flush_needed(at(50, 51, Access::Read)), None);
    }

    #[test]
    fn copies_are_kept_until_a_flush_covers_them() {
        let p = Pending::new(Arc::default());
        let a = ndarray::arr1(&[1.0f64, 2.0]);
        let mut h = Held::of(&a.view()).unwrap();
        // SAFETY: the copy holds two f64s.
        assert_eq!(unsafe { *h.origin::<f64>().add(1) }, 2.0);
        p.issue_held(at(0, 2, Access::Write), h);
        p.issue_held(at(4, 5, Access::Write), Held::of(&a.view()).unwrap());
        assert_eq!(p.held_bytes(), 32);
        // A flush that read the count 1 frees the first copy only.
        p.flushed_up_to(1);
        assert_eq!(p.held_bytes(), 16);
        assert_eq!(p.room_for(HELD_CAP - 16), None);
        assert_eq!(p.room_for(HELD_CAP), Some(2));
        p.flushed_up_to(2);
        assert_eq!(p.held_bytes(), 0);
        assert_eq!(p.room_for(HELD_CAP + 1), None, "nothing held: no flush");
        // Too large, empty: not held.
        let big = ndarray::Array1::<f64>::zeros(HELD_MAX / 8 + 1);
        assert!(Held::of(&big.view()).is_none());
        assert!(Held::of(&big.slice(ndarray::s![..0])).is_none());
        // A transposed view is copied in row-major order.
        let m = ndarray::arr2(&[[1i32, 2], [3, 4]]);
        let mut t = Held::of(&m.t()).unwrap();
        // SAFETY: the copy holds four i32s.
        let got: Vec<i32> = (0..4)
            .map(|i| unsafe { *t.origin::<i32>().add(i) })
            .collect();
        assert_eq!(got, [1, 3, 2, 4]);
    }

    #[test]
    fn box_footprints_run_from_first_to_last_element() {
        let s = Section::new(vec![1, 2], vec![3, 4]).unwrap();
        let f = Footprint::of_box(&[5, 10], &s, Access::Read);
        assert_eq!((f.lo, f.hi), (12, 24));
        let e = Footprint::elements(&[9, 3, 7], Access::Write);
        assert_eq!((e.lo, e.hi), (3, 10));
        let none = Footprint::elements(&[], Access::Write);
        assert!(!none.overlaps(0, usize::MAX));
    }
}
