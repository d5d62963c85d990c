//! Mutexes shared by every rank of a job (Global Arrays'
//! `GA_Create_mutexes`, `GA_Lock`, `GA_Unlock`, `GA_Destroy_mutexes`):
//! [`Mutexes`], a set of `n` locks, each taken by one thread of one rank
//! at a time, with [`MutexGuard`]s that unlock on drop.
//!
//! Each mutex is an MCS queue lock over MPI's single-word atomics (the
//! MPI-3 lock of "Using Advanced MPI", section 4.7): mutex `i` has a tail
//! word on its home rank `i % size`, naming the last rank in its queue,
//! and every rank has a queue node per mutex, two words in its own
//! memory: the next rank in the queue and a "locked" flag. A rank joins
//! the queue by swapping its number into the tail
//! (`MPI_Fetch_and_op(MPI_REPLACE)`); if there was a predecessor it
//! writes its number into the predecessor's `next` and waits until its
//! own flag clears, reading only its own memory (`MPI_NO_OP`), so waiting
//! costs the others nothing. Releasing hands the lock to `next`, or, with
//! no successor, swings the tail back to empty with
//! `MPI_Compare_and_swap`. The ranks so take a mutex in the order they
//! asked for it (first come, first served), whichever node they are on;
//! the window layer's `AtomicWords` holds the words.
//!
//! One rank has one queue node per mutex, so its threads take a local
//! lock first (a `std::sync::Mutex` recording the holding thread, and a
//! `Condvar`): at most one thread of a rank is in a mutex's queue, and
//! the local lock also tells a thread that locks a mutex it already holds
//! (an error: mutexes are not reentrant) and a release of a mutex this
//! thread does not hold (an error, not a corrupted queue).

use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::sync::{Condvar, Mutex, MutexGuard as StdGuard, PoisonError};
use std::thread::{self, ThreadId};
use std::time::Duration;

use crate::error::{Error, ErrorKind, Result};
use crate::fault::during;
use crate::runtime::Runtime;
use crate::window::{AtomicWords, abort_world};

/// The empty tail and the empty `next`: no rank.
const NIL: i64 = -1;

/// Waiting on a flag: this many reads yield the CPU between them, later
/// ones sleep (ranks may outnumber cores, and the rank to run is the
/// holder).
const SPINS_BEFORE_SLEEP: u32 = 200;

/// A set of mutexes shared by every rank of a runtime (Global Arrays'
/// `GA_Create_mutexes`). Any thread of any rank locks mutex `i` with
/// [`lock`](Self::lock) (a guard that unlocks on drop) or
/// [`acquire`](Self::acquire) / [`release`](Self::release); one thread of
/// one rank holds it at a time.
///
/// The lock is fair between ranks: each mutex is a queue (an MCS lock
/// over MPI atomics, see the module source), and ranks get it in the
/// order they asked (FIFO). Threads of one rank wait for each other
/// first, in no particular order, then queue as one. A waiting rank reads
/// only its own memory, and lets MPI make progress and the CPU go to
/// other processes while it waits.
///
/// Mutexes are not reentrant (as in Global Arrays): a thread that locks a
/// mutex it already holds gets an error instead of waiting for itself.
/// Locks do not order data: a critical section's one-sided calls complete
/// as the calls document (a `put` is visible to a later `get` by any rank
/// once the `put` returned and was flushed, e.g. by
/// [`GlobalArray::fence`](crate::GlobalArray::fence)), so a section that
/// reads, then writes, shared data fences its writes before unlocking.
///
/// Dropping the set is collective, as [`destroy`](Self::destroy) is; it
/// aborts the job if that fails.
///
/// # Collective
///
/// Creation and destruction are collective; locking and unlocking are
/// one-sided.
///
/// # Examples
///
/// ```
/// use gain::{GlobalArray, Mutexes};
/// # let rt = gain::init()?;
/// let counter = GlobalArray::<i64, _>::zeros(&rt, 1)?;
/// let locks = Mutexes::new(&rt, 1)?;
/// for _ in 0..3 {
///     let _held = locks.lock(0)?; // unlocks at the end of the block
///     let v = counter.get(0..1)?[0];
///     counter.put(0..1, &[v + 1])?;
///     counter.fence()?; // the put is complete before the lock moves on
/// }
/// counter.sync()?;
/// assert_eq!(counter.get(0..1)?[0], 3 * rt.size() as i64);
/// # Ok::<(), gain::Error>(())
/// ```
pub struct Mutexes {
    rt: Runtime,
    words: AtomicWords,
    n: usize,
    /// Tail words per rank: mutex `i`'s is word `i / size` of rank
    /// `i % size`; the queue nodes follow them.
    tails: usize,
    local: Vec<Local>,
    freed: bool,
}

/// A rank's local lock of one mutex: the thread holding it (or queueing
/// for it), and where the others wait.
#[derive(Default)]
struct Local {
    holder: Mutex<Option<ThreadId>>,
    free: Condvar,
}

impl Local {
    fn holder(&self) -> StdGuard<'_, Option<ThreadId>> {
        self.holder.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// No thread of this rank holds the mutex any more: wake one waiter.
    fn set_free(&self) {
        *self.holder() = None;
        self.free.notify_one();
    }
}

/// A locked mutex of a [`Mutexes`] set, unlocked when dropped (or by
/// [`unlock`](Self::unlock), which returns the error a drop cannot).
/// It stays on the thread that locked it (it is not `Send`).
///
/// A drop whose unlock fails (an MPI error) cannot return the error, and
/// the other ranks waiting for the mutex would wait forever, so it prints
/// the error, naming this rank, and aborts the job, as gain's other
/// drop paths do.
///
/// # One-sided
///
/// Only the calling rank takes part: the unlock hands the mutex to the
/// next rank waiting in its queue with MPI atomics on the mutex's home
/// rank, and waits for no one.
///
/// # Examples
///
/// ```
/// # let rt = gain::init()?;
/// let locks = gain::Mutexes::new(&rt, 2)?;
/// let g = locks.lock(1)?;
/// assert_eq!(g.index(), 1);
/// g.unlock()?;
/// # Ok::<(), gain::Error>(())
/// ```
#[must_use = "the mutex is unlocked when the guard is dropped"]
pub struct MutexGuard<'m> {
    set: &'m Mutexes,
    i: usize,
    /// Not `Send`: the release must come from the locking thread.
    _thread: PhantomData<*const ()>,
}

impl Mutexes {
    /// Creates `n` unlocked mutexes (Global Arrays' `GA_Create_mutexes`);
    /// mutex `i` lives on rank `i % size`. `n` may be 0.
    ///
    /// Errors, on every rank: [`InconsistentArguments`](ErrorKind::InconsistentArguments)
    /// when the ranks pass different `n`;
    /// [`SizeOverflow`](ErrorKind::SizeOverflow) when `n` mutexes do not
    /// fit in memory; [`Mpi`](ErrorKind::Mpi) when the window cannot be
    /// allocated.
    ///
    /// # Collective
    ///
    /// Every rank calls it with the same `n`; it returns once every rank's
    /// share of the mutexes exists.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let locks = gain::Mutexes::new(&rt, 4)?;
    /// assert_eq!(locks.len(), 4);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn new(rt: &Runtime, n: usize) -> Result<Mutexes> {
        during("Mutexes::new", || {
            let tails = n.div_ceil(rt.size());
            let len = n.checked_mul(2).and_then(|w| w.checked_add(tails));
            let local = match len {
                Some(_) => Ok(vec![("n", n.to_string())]),
                None => Err(Error::new(
                    ErrorKind::SizeOverflow,
                    format!("{n} mutexes do not fit in memory"),
                )),
            };
            rt.agree_arguments(local.as_ref().map(|v| &v[..]).map_err(Error::clone))?;
            let len = len.unwrap_or(0);
            let words = AtomicWords::allocate(&rt.placement(), len, |w| {
                // Tails and `next` words empty, `locked` flags clear.
                if w < tails || (w - tails).is_multiple_of(2) {
                    NIL
                } else {
                    0
                }
            })?;
            Ok(Mutexes {
                rt: rt.clone(),
                words,
                n,
                tails,
                local: (0..n).map(|_| Local::default()).collect(),
                freed: false,
            })
        })
    }

    /// The number of mutexes.
    ///
    /// # Local
    ///
    /// A query of the set; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// assert!(gain::Mutexes::new(&rt, 0)?.is_empty());
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn len(&self) -> usize {
        self.n
    }

    /// Whether the set has no mutexes.
    ///
    /// # Local
    ///
    /// A query of the set; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// assert!(!gain::Mutexes::new(&rt, 1)?.is_empty());
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Locks mutex `i` and returns a guard that unlocks it when dropped
    /// (Global Arrays' `GA_Lock`); waits while another thread of any rank
    /// holds it. Ranks get a mutex in the order they asked for it.
    ///
    /// Errors, before anything is locked:
    /// [`OutOfBounds`](ErrorKind::OutOfBounds) when `i >= len()`;
    /// [`InvalidArgument`](ErrorKind::InvalidArgument) when this thread
    /// already holds mutex `i` (mutexes are not reentrant; waiting would
    /// never end); [`Mpi`](ErrorKind::Mpi) when an MPI call fails;
    /// [`ThreadLevel`](ErrorKind::ThreadLevel) from a second thread below
    /// `MPI_THREAD_MULTIPLE`.
    ///
    /// # One-sided
    ///
    /// Only this rank takes part: it returns once this thread holds the
    /// mutex; the other ranks need not call anything (their MPI library
    /// serves the atomics).
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let locks = gain::Mutexes::new(&rt, 1)?;
    /// let held = locks.lock(0)?;
    /// assert_eq!(locks.lock(0).unwrap_err().kind(), gain::ErrorKind::InvalidArgument);
    /// drop(held);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn lock(&self, i: usize) -> Result<MutexGuard<'_>> {
        during("Mutexes::lock", || {
            self.acquire_in(i)?;
            Ok(MutexGuard {
                set: self,
                i,
                _thread: PhantomData,
            })
        })
    }

    /// Locks mutex `i` without a guard (Global Arrays' `GA_Lock`), for code
    /// that cannot hold one; [`release`](Self::release) unlocks it. Prefer
    /// [`lock`](Self::lock).
    ///
    /// Errors: as [`lock`](Self::lock).
    ///
    /// # One-sided
    ///
    /// Only this rank takes part; it returns once this thread holds the
    /// mutex.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let locks = gain::Mutexes::new(&rt, 3)?;
    /// locks.acquire(2)?;
    /// locks.release(2)?;
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn acquire(&self, i: usize) -> Result<()> {
        during("Mutexes::acquire", || self.acquire_in(i))
    }

    /// Unlocks mutex `i`, which this thread locked with
    /// [`acquire`](Self::acquire) (Global Arrays' `GA_Unlock`), handing it
    /// to the next rank waiting, if any.
    ///
    /// Errors, before anything changes:
    /// [`OutOfBounds`](ErrorKind::OutOfBounds) when `i >= len()`;
    /// [`InvalidArgument`](ErrorKind::InvalidArgument) when this thread
    /// does not hold mutex `i` (no thread of this rank does, or another
    /// one does); [`Mpi`](ErrorKind::Mpi) when an MPI call fails.
    ///
    /// # One-sided
    ///
    /// Only this rank takes part; it returns once the next rank in the
    /// queue (if any) has been told it holds the mutex.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let locks = gain::Mutexes::new(&rt, 1)?;
    /// let e = locks.release(0).unwrap_err(); // not held
    /// assert_eq!(e.kind(), gain::ErrorKind::InvalidArgument);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn release(&self, i: usize) -> Result<()> {
        during("Mutexes::release", || self.release_in(i))
    }

    /// Frees the mutexes (Global Arrays' `GA_Destroy_mutexes`); dropping
    /// the set does the same and aborts the job on an error.
    ///
    /// Errors: [`InvalidArgument`](ErrorKind::InvalidArgument) on every
    /// rank when some rank still held a mutex (locked with
    /// [`acquire`](Self::acquire) and never released; the set is freed
    /// anyway); [`Mpi`](ErrorKind::Mpi) when MPI fails.
    ///
    /// # Collective
    ///
    /// Every rank calls it (or drops the set) at the same point among its
    /// collective calls; it returns once every rank has. A rank arriving
    /// here while others still wait for a mutex it holds waits at most
    /// the fault timeout (`GAIN_FAULT_TIMEOUT`), then aborts the job with
    /// its error.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let locks = gain::Mutexes::new(&rt, 2)?;
    /// locks.destroy()?;
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn destroy(mut self) -> Result<()> {
        during("Mutexes::destroy", || self.free())
    }

    fn free(&mut self) -> Result<()> {
        if self.freed {
            return Ok(());
        }
        self.freed = true;
        let held = self.local.iter().position(|l| l.holder().is_some());
        let own = held.map(|i| {
            Error::new(
                ErrorKind::InvalidArgument,
                format!("the mutexes were destroyed while this rank held mutex {i}"),
            )
        });
        let any = self.words.free(held.is_some() as u64, own.as_ref())?;
        match own {
            Some(e) => Err(e),
            None if any != 0 => Err(Error::new(
                ErrorKind::InvalidArgument,
                "the mutexes were destroyed while another rank held one",
            )),
            None => Ok(()),
        }
    }

    fn check(&self, i: usize) -> Result<&Local> {
        self.local.get(i).ok_or_else(|| {
            Error::new(
                ErrorKind::OutOfBounds,
                format!("mutex {i} of a set of {}", self.n),
            )
        })
    }

    /// Mutex `i`'s tail: its home rank and word there.
    fn tail(&self, i: usize) -> (usize, usize) {
        (i % self.rt.size(), i / self.rt.size())
    }

    /// The word of this rank's queue node of mutex `i` naming the next
    /// rank; the `locked` flag is the word after it.
    fn next(&self, i: usize) -> usize {
        self.tails + 2 * i
    }

    fn acquire_in(&self, i: usize) -> Result<()> {
        let local = self.check(i)?;
        let me = thread::current().id();
        let mut holder = local.holder();
        loop {
            match *holder {
                None => break,
                Some(t) if t == me => {
                    return Err(Error::new(
                        ErrorKind::InvalidArgument,
                        format!(
                            "mutex {i} is already held by this thread; mutexes are not reentrant"
                        ),
                    ));
                }
                Some(_) => {
                    holder = local
                        .free
                        .wait(holder)
                        .unwrap_or_else(PoisonError::into_inner);
                }
            }
        }
        *holder = Some(me);
        drop(holder);
        self.enqueue(i).inspect_err(|_| local.set_free())
    }

    fn release_in(&self, i: usize) -> Result<()> {
        let local = self.check(i)?;
        match *local.holder() {
            Some(t) if t == thread::current().id() => {}
            Some(_) => {
                return Err(Error::new(
                    ErrorKind::InvalidArgument,
                    format!(
                        "mutex {i} is held by another thread of this rank; the thread that \
                         locked it releases it"
                    ),
                ));
            }
            None => {
                return Err(Error::new(
                    ErrorKind::InvalidArgument,
                    format!("mutex {i} is not held by this rank"),
                ));
            }
        }
        let r = self.dequeue(i);
        local.set_free();
        r
    }

    /// A rank number read from a queue word, checked.
    fn rank_in(&self, word: i64) -> Result<usize> {
        usize::try_from(word)
            .ok()
            .filter(|&r| r < self.rt.size())
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::Mpi,
                    format!("a mutex's queue names rank {word}, not a rank of the job"),
                )
            })
    }

    /// Waits until word `w` of this rank's queue nodes satisfies `done`,
    /// reading it atomically, turning MPI's progress engine (other ranks'
    /// one-sided calls into this rank, the holder's among them, may wait
    /// for it) and giving the CPU away between reads.
    fn wait_own(&self, w: usize, done: impl Fn(i64) -> bool) -> Result<i64> {
        let me = self.rt.rank();
        let mut spins = 0u32;
        loop {
            let v = self.words.load(me, w)?;
            if done(v) {
                return Ok(v);
            }
            self.words.progress()?;
            if spins < SPINS_BEFORE_SLEEP {
                spins += 1;
                thread::yield_now();
            } else {
                thread::sleep(Duration::from_micros(20));
            }
        }
    }

    /// The MCS acquire: joins mutex `i`'s queue and waits for its turn.
    fn enqueue(&self, i: usize) -> Result<()> {
        let me = self.rt.rank();
        let (home, tail) = self.tail(i);
        let (next, locked) = (self.next(i), self.next(i) + 1);
        self.words.swap(me, next, NIL)?;
        self.words.swap(me, locked, 1)?;
        let pred = self.words.swap(home, tail, me as i64)?;
        if pred == NIL {
            return Ok(());
        }
        self.words.swap(self.rank_in(pred)?, next, me as i64)?;
        self.wait_own(locked, |v| v == 0).map(|_| ())
    }

    /// The MCS release: hands mutex `i` to the next rank in its queue, or
    /// empties the queue.
    fn dequeue(&self, i: usize) -> Result<()> {
        let me = self.rt.rank();
        let (home, tail) = self.tail(i);
        let next = self.next(i);
        let mut succ = self.words.load(me, next)?;
        if succ == NIL {
            if self.words.compare_and_swap(home, tail, me as i64, NIL)? == me as i64 {
                return Ok(());
            }
            // A rank swapped itself into the tail and is about to name
            // itself in this rank's `next`.
            succ = self.wait_own(next, |v| v != NIL)?;
        }
        self.words.swap(self.rank_in(succ)?, next + 1, 0)?;
        Ok(())
    }
}

impl Drop for Mutexes {
    fn drop(&mut self) {
        if let Err(e) = during("Mutexes::drop", || self.free()) {
            eprintln!("gain: {e}; aborting the job (the mutexes' drop cannot return it)");
            abort_world(1);
        }
    }
}

impl MutexGuard<'_> {
    /// The index of the mutex this guard holds.
    ///
    /// # Local
    ///
    /// A query of the guard; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let locks = gain::Mutexes::new(&rt, 1)?;
    /// assert_eq!(locks.lock(0)?.index(), 0);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn index(&self) -> usize {
        self.i
    }

    /// Unlocks the mutex, returning the error a drop would abort the job
    /// with (Global Arrays' `GA_Unlock`).
    ///
    /// Errors: [`Mpi`](ErrorKind::Mpi) when an MPI call fails.
    ///
    /// # One-sided
    ///
    /// Only this rank takes part, as [`Mutexes::release`].
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let locks = gain::Mutexes::new(&rt, 1)?;
    /// locks.lock(0)?.unlock()?;
    /// locks.lock(0)?.unlock()?; // free again
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn unlock(self) -> Result<()> {
        let g = ManuallyDrop::new(self);
        during("MutexGuard::unlock", || g.set.release_in(g.i))
    }
}

impl Drop for MutexGuard<'_> {
    fn drop(&mut self) {
        if let Err(e) = during("MutexGuard::drop", || self.set.release_in(self.i)) {
            eprintln!(
                "gain: {e}; aborting the job (a mutex guard's drop cannot return it, and \
                 the ranks waiting for the mutex would wait forever)"
            );
            abort_world(1);
        }
    }
}

impl std::fmt::Debug for Mutexes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mutexes").field("len", &self.n).finish()
    }
}

impl std::fmt::Debug for MutexGuard<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MutexGuard")
            .field("index", &self.i)
            .finish()
    }
}
