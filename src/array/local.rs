//! Zero-copy views of blocks in this node's shared memory, and `access`:
//! any section, borrowed in place when one same-node block holds it and
//! fetched otherwise.
//!
//! Every view handed out is a guard ([`LocalView`], [`Access`]) that counts
//! itself in the array's per-block view count while it lives; `rma.rs`
//! refuses this process's writes into a block whose count is not zero, so
//! a shared reference into window memory never coexists with a write from
//! its own process (the run-time check `RefCell` makes).

use std::fmt;
use std::ops::Deref;
use std::sync::atomic::{AtomicU64, Ordering};

use ndarray::{
    Array, ArrayRef, ArrayView, ArrayViewMut, CowArray, Dimension, IntoNdProducer, IxDyn,
};

use super::{GlobalArray, NbGet};
use crate::dist::{IntoSection, Section, narrow};
use crate::element::Element;
use crate::error::{Result, bail};
use crate::fault::during;

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
    fn claim(&self) -> std::result::Result<(), u64> {
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
}

/// One live view of a same-node block: counted in the array's
/// [`BlockUse`] for that block from creation to drop. Forgetting one
/// (`mem::forget`) leaves the block refusing this process's writes for
/// good, which is safe.
pub(crate) struct ViewBorrow<'a> {
    count: &'a BlockUse,
}

impl<'a> ViewBorrow<'a> {
    pub(super) fn new(count: &'a BlockUse) -> Self {
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
    uses: &'a [BlockUse],
    /// Node ranks claimed: nearly every write touches one block, kept
    /// without allocating.
    first: Option<usize>,
    more: Vec<usize>,
}

impl Drop for WriteClaims<'_> {
    fn drop(&mut self) {
        for nr in self.first.iter().chain(&self.more) {
            self.uses[*nr].release();
        }
    }
}

/// A zero-copy view of one block in this node's shared memory, from
/// [`GlobalArray::local`] or [`GlobalArray::local_of`].
///
/// It dereferences to [`ndarray::ArrayRef`], so ndarray's read-only
/// methods apply directly (`ga.local().sum()`, `ga.local()[[0, 1]]`,
/// `.iter()`, `.shape()`, `.as_slice()`); `.view()` gives a plain
/// [`ArrayView`] for as long as the guard is borrowed, and `&guard` goes
/// wherever ndarray takes a producer (`Zip::from(&ga.local())`), an
/// iterable or an [`AsArray`](ndarray::AsArray) source.
///
/// While it lives, this process's [`put`](GlobalArray::put),
/// [`acc`](GlobalArray::acc) and [`read_inc`](GlobalArray::read_inc) into
/// the viewed block return [`Borrowed`](crate::ErrorKind::Borrowed), as
/// `RefCell::borrow_mut` does while a `Ref` lives: the view is a shared
/// reference, and Rust forbids writing what one points to. Other blocks
/// stay writable. What the view may see of *other* ranks' writes is in the
/// crate docs' section on [local views](crate#local-views-and-what-they-see).
///
/// # Local
///
/// Creating, reading and dropping the guard involve no other rank; the
/// count it keeps is this process's alone.
///
/// # Examples
///
/// ```
/// # let rt = gain::init()?;
/// let ga = gain::GlobalArray::<f64, _>::zeros(&rt, 4 * rt.size())?;
/// let mine = ga.local();
/// assert_eq!(mine.sum(), 0.0);
/// let lo = ga.distribution(rt.rank()).unwrap().lo()[0];
/// let err = ga.put(lo..lo + 1, &[1.0]).unwrap_err();
/// assert_eq!(err.kind(), gain::ErrorKind::Borrowed);
/// drop(mine);
/// ga.put(lo..lo + 1, &[1.0])?; // no view left: the write goes through
/// # Ok::<(), gain::Error>(())
/// ```
///
/// A plain view borrowed from the guard cannot outlive it, so no view
/// escapes the count:
///
/// ```compile_fail,E0716
/// # let rt = gain::init()?;
/// let ga = gain::GlobalArray::<f64, _>::zeros(&rt, 8)?;
/// let view = ga.local().view(); // the guard is a temporary, dropped here
/// ga.put(0..1, &[1.0])?;
/// println!("{view}");
/// # Ok::<(), gain::Error>(())
/// ```
///
/// and the guard dereferences to an `ArrayRef`, not to a copyable
/// `ArrayView` of the array's lifetime:
///
/// ```compile_fail,E0308
/// # let rt = gain::init()?;
/// let ga = gain::GlobalArray::<f64, _>::zeros(&rt, 8)?;
/// let view: ndarray::ArrayView1<'_, f64> = ndarray::ArrayView1::clone(&ga.local());
/// # Ok::<(), gain::Error>(())
/// ```
pub struct LocalView<'a, T: Element, D: Dimension> {
    view: ArrayView<'a, T, D>,
    borrow: ViewBorrow<'a>,
}

impl<T: Element, D: Dimension> Clone for LocalView<'_, T, D> {
    /// Another guard of the same block, counted separately.
    fn clone(&self) -> Self {
        LocalView {
            view: self.view.clone(),
            borrow: self.borrow.clone(),
        }
    }
}

impl<T: Element, D: Dimension> Deref for LocalView<'_, T, D> {
    type Target = ArrayRef<T, D>;
    fn deref(&self) -> &ArrayRef<T, D> {
        // `ArrayRef`, not the `ArrayView<'a>` inside: a view of lifetime
        // `'a` is `Copy` and would outlive the guard.
        &self.view
    }
}

/// A section from [`GlobalArray::access`] (or [`NbAccess::wait`]): a view
/// of shared memory when one same-node block holds it, else a copy;
/// [`is_view`](Self::is_view) tells which.
///
/// It dereferences to [`ndarray::ArrayRef`] as [`LocalView`] does, and
/// the borrowed form is a guard like it: while it lives, this process's
/// writes into the block it views return
/// [`Borrowed`](crate::ErrorKind::Borrowed). The copied form holds no
/// block.
///
/// # Local
///
/// Reading and dropping it involve no other rank.
///
/// # Examples
///
/// ```
/// # let rt = gain::init()?;
/// let ga = gain::GlobalArray::<i32, _>::zeros(&rt, [4, 6])?;
/// let part = ga.access(ndarray::s![1..3, 2..])?;
/// assert_eq!(part, ndarray::Array2::<i32>::zeros((2, 4)));
/// let owned: ndarray::Array2<i32> = part.into_owned(); // no guard left
/// assert_eq!(owned.shape(), &[2, 4]);
/// # Ok::<(), gain::Error>(())
/// ```
pub struct Access<'a, T: Element, D: Dimension> {
    data: CowArray<'a, T, D>,
    /// `Some` exactly when `data` is a view.
    borrow: Option<ViewBorrow<'a>>,
}

impl<'a, T: Element, D: Dimension> Access<'a, T, D> {
    fn copied(a: Array<T, D>) -> Self {
        Access {
            data: CowArray::from(a),
            borrow: None,
        }
    }

    /// Whether the section is borrowed from shared memory (no copy was
    /// made).
    ///
    /// # Local
    ///
    /// A query of the value; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let ga = gain::GlobalArray::<f64, _>::zeros(&rt, 8)?;
    /// let mine = ga.distribution(rt.rank()).unwrap();
    /// assert!(ga.access(&mine)?.is_view());
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn is_view(&self) -> bool {
        self.data.is_view()
    }

    /// The section as an owned array: the copy itself, or a copy of the
    /// view (which then releases its block).
    ///
    /// # Local
    ///
    /// At most a memory copy on the calling rank; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let ga = gain::GlobalArray::<f64, _>::zeros(&rt, 8)?;
    /// let a: ndarray::Array1<f64> = ga.access(2..5)?.into_owned();
    /// assert_eq!(a.len(), 3);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn into_owned(self) -> Array<T, D> {
        self.data.into_owned()
    }

    /// The same section with a dynamic dimension type.
    ///
    /// # Local
    ///
    /// Changes only the type; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let ga = gain::GlobalArray::<f64, _>::zeros(&rt, [2, 3])?;
    /// assert_eq!(ga.access(..)?.into_dyn().ndim(), 2);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn into_dyn(self) -> Access<'a, T, IxDyn> {
        Access {
            data: self.data.into_dyn(),
            borrow: self.borrow,
        }
    }

    /// The data and the guard that keeps its block counted, for the NumPy
    /// layer, which reshapes the data in place. The caller keeps the
    /// guard for as long as it holds the data.
    pub(crate) fn into_parts(self) -> (CowArray<'a, T, D>, Option<ViewBorrow<'a>>) {
        (self.data, self.borrow)
    }
}

impl<T: Element, D: Dimension> Clone for Access<'_, T, D> {
    /// The same section; a view gets a guard of its own, a copy is copied.
    fn clone(&self) -> Self {
        Access {
            data: self.data.clone(),
            borrow: self.borrow.clone(),
        }
    }
}

impl<T: Element, D: Dimension> Deref for Access<'_, T, D> {
    type Target = ArrayRef<T, D>;
    fn deref(&self) -> &ArrayRef<T, D> {
        // Not the `CowArray<'a>`: cloning that would give an unguarded
        // view of lifetime `'a`.
        &self.data
    }
}

/// What ndarray's own views offer by reference, for both guards: printing,
/// comparison with anything an `ArrayRef` compares with, and `&guard` as a
/// producer, an iterable and a view source, all borrowed from the guard.
macro_rules! guard_traits {
    ($guard:ident, $make:literal) => {
        impl<T: Element, D: Dimension> $guard<'_, T, D> {
            /// A copy of the elements as an owned array (ndarray's
            /// `to_owned`; without this method `to_owned` would be
            /// `Clone`'s and return another guard).
            ///
            /// # Local
            ///
            /// A memory copy on the calling rank; no communication.
            ///
            /// # Examples
            ///
            /// ```
            /// # let rt = gain::init()?;
            /// let ga = gain::GlobalArray::<f64, _>::zeros(&rt, 4 * rt.size())?;
            #[doc = concat!("let copy: ndarray::Array1<f64> = ", $make, ".to_owned();")]
            /// assert_eq!(copy.sum(), 0.0);
            /// # Ok::<(), gain::Error>(())
            /// ```
            pub fn to_owned(&self) -> Array<T, D> {
                (**self).to_owned()
            }
        }

        impl<T: Element, D: Dimension> fmt::Debug for $guard<'_, T, D> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&**self, f)
            }
        }

        impl<T: Element + fmt::Display, D: Dimension> fmt::Display for $guard<'_, T, D> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&**self, f)
            }
        }

        impl<T: Element, D: Dimension, Rhs: ?Sized> PartialEq<Rhs> for $guard<'_, T, D>
        where
            ArrayRef<T, D>: PartialEq<Rhs>,
        {
            fn eq(&self, other: &Rhs) -> bool {
                **self == *other
            }
        }

        impl<'b, T: Element, D: Dimension> IntoNdProducer for &'b $guard<'_, T, D> {
            type Item = &'b T;
            type Dim = D;
            type Output = ArrayView<'b, T, D>;
            fn into_producer(self) -> ArrayView<'b, T, D> {
                self.view()
            }
        }

        impl<'b, T: Element, D: Dimension> IntoIterator for &'b $guard<'_, T, D> {
            type Item = &'b T;
            type IntoIter = ndarray::iter::Iter<'b, T, D>;
            fn into_iter(self) -> Self::IntoIter {
                self.iter()
            }
        }

        impl<'b, T: Element, D: Dimension> From<&'b $guard<'_, T, D>> for ArrayView<'b, T, D> {
            fn from(g: &'b $guard<'_, T, D>) -> Self {
                g.view()
            }
        }
    };
}

guard_traits!(LocalView, "ga.local()");
guard_traits!(Access, "ga.access(2..4)?");

/// A section on its way from [`GlobalArray::access_nb`]: already borrowed
/// in place, or a get in flight. [`wait`](Self::wait) returns it; dropping
/// it unwaited waits for the transfer (as [`NbGet`] does).
///
/// # One-sided
///
/// The handle belongs to the calling rank; waiting on it or dropping it
/// involves no other rank.
///
/// # Examples
///
/// ```
/// # let rt = gain::init()?;
/// let mut ga = gain::GlobalArray::<f64, _>::zeros(&rt, 8)?;
/// ga.fill(2.0)?;
/// let pending: gain::NbAccess<'_, f64, _> = ga.access_nb(..)?;
/// assert_eq!(pending.wait()?.sum(), 16.0);
/// # Ok::<(), gain::Error>(())
/// ```
#[must_use = "an access in flight does nothing until `wait`"]
pub struct NbAccess<'a, T: Element, D: Dimension> {
    state: Pending<'a, T, D>,
}

enum Pending<'a, T: Element, D: Dimension> {
    InPlace(Access<'a, T, D>),
    InFlight(NbGet<'a, T, D>),
}

impl<'a, T: Element, D: Dimension> NbAccess<'a, T, D> {
    /// Waits for the transfer, if any, and returns the section: a view of
    /// shared memory (counted from [`access_nb`](GlobalArray::access_nb)
    /// on, see [`Access`]) or a copy, as [`GlobalArray::access`] would
    /// have.
    ///
    /// Errors: [`Mpi`](crate::ErrorKind::Mpi) when completing the
    /// transfer fails.
    ///
    /// # One-sided
    ///
    /// Only the calling rank takes part; it returns when this rank's own
    /// transfer, if it needed one, has arrived.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let ga = gain::GlobalArray::<i32, _>::zeros(&rt, [4, 6])?;
    /// let part = ga.access_nb(ndarray::s![1..3, 2..])?.wait()?;
    /// assert_eq!(part, ndarray::Array2::<i32>::zeros((2, 4)));
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn wait(self) -> Result<Access<'a, T, D>> {
        during("NbAccess::wait", move || -> Result<Access<'a, T, D>> {
            Ok(match self.state {
                Pending::InPlace(v) => v,
                Pending::InFlight(get) => Access::copied(get.wait()?),
            })
        })
    }
}

/// # Local access
impl<T: Element, D: Dimension> GlobalArray<T, D> {
    /// This rank's block as an ndarray view (`NGA_Access`), without copying.
    /// Empty (all extents zero) when the rank owns nothing. Its first
    /// element is 64-byte aligned (a cache line, an AVX-512 vector), as is
    /// every block's, whatever the alignment of the memory MPI hands out
    /// (a file-backed array's blocks lie where its file puts them, aligned
    /// to `T`).
    ///
    /// The view is a [`LocalView`] guard: while it lives, this process's
    /// own [`put`](Self::put), [`acc`](Self::acc) and
    /// [`read_inc`](Self::read_inc) into the block return
    /// [`Borrowed`](crate::ErrorKind::Borrowed). Other ranks may write the
    /// block between synchronisations; read it after a
    /// [`sync`](Self::sync) for a consistent picture (see the crate docs
    /// on [local views](crate#local-views-and-what-they-see)).
    ///
    /// # Panics
    ///
    /// If MPI fails to complete this rank's own earlier accumulates into
    /// the block (below).
    ///
    /// # Local
    ///
    /// A view of this rank's own memory; no other rank takes part. In a job
    /// spanning nodes, where accumulates go through MPI, it first completes
    /// this rank's own accumulates into the block that may still be in
    /// flight (`MPI_Win_flush`), so that none lands while the view lives.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let ga = gain::GlobalArray::<f64, _>::zeros(&rt, [4, 4])?;
    /// let block = ga.distribution(rt.rank()).unwrap();
    /// assert_eq!(ga.local().shape(), &block.shape()[..]);
    /// assert_eq!(ga.local().as_ptr() as usize % 64, 0);
    /// let mine = ga.local();
    /// let err = ga.acc(&block, &ndarray::Array2::ones(mine.raw_dim()), 1.0);
    /// assert_eq!(err.unwrap_err().kind(), gain::ErrorKind::Borrowed);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn local(&self) -> LocalView<'_, T, D> {
        let me = self.rt.rank();
        let borrow = self
            .borrow_of(me)
            .expect("MPI could not complete this rank's accumulates into its block");
        LocalView {
            view: self.view_of(me, self.win.local()),
            borrow,
        }
    }

    /// This rank's block, mutably and without copying. Writes are visible
    /// to other ranks after the next [`sync`](Self::sync).
    ///
    /// # Panics
    ///
    /// If the array is mapped read-only from its file
    /// ([`MapMode::ReadOnly`](crate::MapMode::ReadOnly)), whose memory
    /// cannot be written; [`try_local_mut`](Self::try_local_mut) returns
    /// [`ReadOnly`](crate::ErrorKind::ReadOnly) instead.
    ///
    /// # Local
    ///
    /// A view of this rank's own memory; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let mut ga = gain::GlobalArray::<i64, _>::zeros(&rt, 8 * rt.size())?;
    /// ga.local_mut().fill(1);
    /// ga.sync()?;
    /// assert_eq!(ga.get(..)?.sum(), 8 * rt.size() as i64);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn local_mut(&mut self) -> ArrayViewMut<'_, T, D> {
        if let Err(e) = self.check_writable() {
            panic!("GlobalArray::local_mut: {e} (try_local_mut returns this as an error)");
        }
        let dim = self.block_dim(self.rt.rank());
        ArrayViewMut::from_shape(dim, self.win.local_mut()).expect("block shape matches segment")
    }

    /// A read-only view of `rank`'s block, without copying, when `rank`
    /// shares this node's memory: a [`LocalView`] guard, which makes this
    /// process's writes into that block return
    /// [`Borrowed`](crate::ErrorKind::Borrowed) while it lives. `rank`
    /// itself may write the block meanwhile (through
    /// [`local_mut`](Self::local_mut) or a put): the view sees such writes
    /// only as the crate docs on
    /// [local views](crate#local-views-and-what-they-see) say.
    ///
    /// Errors: [`NotSameNode`](crate::ErrorKind::NotSameNode) otherwise;
    /// [`Mpi`](crate::ErrorKind::Mpi) if completing this rank's own
    /// accumulates into the block fails (below).
    ///
    /// # Local
    ///
    /// A view of node shared memory; `rank` takes no part. In a job
    /// spanning nodes it first completes this rank's own accumulates into
    /// the block that may still be in flight (`MPI_Win_flush`), as
    /// [`local`](Self::local) does.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let ga = gain::GlobalArray::<f64, _>::zeros(&rt, 64)?;
    /// for r in ga.node_ranks() {
    ///     assert_eq!(ga.local_of(r)?.len(), ga.distribution(r).map_or(0, |s| s.len()));
    /// }
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn local_of(&self, rank: usize) -> Result<LocalView<'_, T, D>> {
        during(
            "GlobalArray::local_of",
            move || -> Result<LocalView<'_, T, D>> {
                match self.win.peer(rank) {
                    Some(data) => Ok(LocalView {
                        borrow: self.borrow_of(rank)?,
                        view: self.view_of(rank, data),
                    }),
                    None => bail!(NotSameNode, "rank {rank} does not share this rank's node"),
                }
            },
        )
    }

    /// A section without a copy when one block on this node holds all of
    /// it, else a copy (Global Arrays' `NGA_Access`, generalised from the
    /// caller's own block to any section): [`Access::is_view`] tells
    /// which. The borrowed form views shared memory that other ranks may
    /// write between synchronisations, and, like
    /// [`local_of`](Self::local_of)'s guard, makes this process's writes
    /// into that block return [`Borrowed`](crate::ErrorKind::Borrowed)
    /// while it lives; the copied form is a [`get`](Self::get) and holds
    /// no block. An empty section is an empty copy.
    ///
    /// Errors: as [`get`](Self::get), before anything is read.
    ///
    /// # One-sided
    ///
    /// Only the calling rank takes part; it returns at once with a view
    /// (in a job spanning nodes, once this rank's own accumulates into that
    /// block still in flight are complete), or when the copy from other
    /// ranks is complete.
    ///
    /// # Examples
    ///
    /// ```
    /// use ndarray::s;
    /// # let rt = gain::init()?;
    /// let mut ga = gain::GlobalArray::<f64, _>::zeros(&rt, [8, 4])?;
    /// ga.fill(1.0)?;
    /// // Inside this rank's own block: a view, nothing copied.
    /// if let Some(mine) = ga.distribution(rt.rank()) {
    ///     assert!(ga.access(&mine)?.is_view());
    /// }
    /// // Any section: a view when one same-node block holds it, else a copy.
    /// let part = ga.access(s![2..6, 1..3])?;
    /// assert_eq!(part.shape(), &[4, 2]);
    /// assert_eq!(part.sum(), 8.0);
    /// assert!(ga.access([0..9, 0..4]).is_err());
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn access(&self, section: impl IntoSection) -> Result<Access<'_, T, D>> {
        during(
            "GlobalArray::access",
            move || -> Result<Access<'_, T, D>> {
                let section = section.into_section(self.shape())?;
                let dim = self.section_dim(&section)?;
                if let Some(v) = self.in_place(&section)? {
                    return Ok(v);
                }
                let copy = self.with_pieces(&section, |p| self.win.read_new(p, dim))?;
                Ok(Access::copied(copy))
            },
        )
    }

    /// Starts an [`access`](Self::access) and returns without waiting for
    /// other nodes: a section that one same-node block holds is borrowed at
    /// once (and counted as [`access`](Self::access)'s view is, from now
    /// until the result of the wait is dropped), any other is requested as
    /// by [`get_nb`](Self::get_nb), and [`NbAccess::wait`] completes it. Starting the next section before
    /// computing on the current one hides the transfer.
    ///
    /// Errors: as [`get`](Self::get), before anything is sent.
    ///
    /// # One-sided
    ///
    /// Only the calling rank takes part; it returns once the request is
    /// issued, and [`NbAccess::wait`] waits for it.
    ///
    /// # Examples
    ///
    /// ```
    /// use ndarray::s;
    /// # let rt = gain::init()?;
    /// let mut ga = gain::GlobalArray::<f64, _>::zeros(&rt, [6, 6])?;
    /// ga.fill(1.0)?;
    /// let top = ga.access_nb(s![..3, ..])?;
    /// let bottom = ga.access_nb(s![3.., ..])?;
    /// // ... compute here while both travel ...
    /// assert_eq!(top.wait()?.sum() + bottom.wait()?.sum(), 36.0);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn access_nb(&self, section: impl IntoSection) -> Result<NbAccess<'_, T, D>> {
        during(
            "GlobalArray::access_nb",
            move || -> Result<NbAccess<'_, T, D>> {
                let section = section.into_section(self.shape())?;
                self.section_dim(&section)?;
                let state = match self.in_place(&section)? {
                    Some(v) => Pending::InPlace(v),
                    None => Pending::InFlight(self.get_nb(section)?),
                };
                Ok(NbAccess { state })
            },
        )
    }

    /// `section` (checked) as a counted view of the one same-node block
    /// holding it, `None` when it is empty or no such block holds it. Two
    /// owner lookups; the blocks are boxes, so the owners of the first and
    /// the last element agree exactly when one block holds the section.
    fn in_place(&self, section: &Section) -> Result<Option<Access<'_, T, D>>> {
        let held = || {
            if section.is_empty() {
                return None;
            }
            let owner = self.dist.owner(section.lo()).ok()?;
            if owner != self.dist.owner(&section.last()).ok()? {
                return None;
            }
            Some((owner, self.win.peer(owner)?, self.blocks[owner].as_ref()?))
        };
        let Some((owner, data, block)) = held() else {
            return Ok(None);
        };
        let borrow = self.borrow_of(owner)?;
        let view = narrow(self.view_of(owner, data), &section.relative_to(block.lo()));
        Ok(Some(Access {
            data: CowArray::from(view),
            borrow: Some(borrow),
        }))
    }

    /// A new count of one view of same-node `rank`'s block, once this
    /// rank's own accumulates into it are complete (in a job spanning
    /// nodes they go through MPI and may still be in flight): no write of
    /// this process lands while the view lives.
    fn borrow_of(&self, rank: usize) -> Result<ViewBorrow<'_>> {
        self.win.settle(rank)?;
        let nr = self
            .win
            .node_rank(rank)
            .expect("a viewed block is on this node");
        Ok(ViewBorrow::new(&self.views[nr]))
    }

    /// Claims the same-node blocks of `ranks` for a write by this process,
    /// or refuses it while this process holds a view of one of them (no
    /// block is claimed then). Costs one atomic add per same-node block
    /// and nothing for blocks on other nodes, which no view can reach.
    pub(super) fn claim_writes(
        &self,
        ranks: impl IntoIterator<Item = usize>,
    ) -> Result<WriteClaims<'_>> {
        let mut claims = WriteClaims {
            uses: &self.views,
            first: None,
            more: Vec::new(),
        };
        for rank in ranks {
            let Some(nr) = self.win.node_rank(rank) else {
                continue;
            };
            if claims.first == Some(nr) || claims.more.contains(&nr) {
                continue;
            }
            if let Err(n) = self.views[nr].claim() {
                bail!(
                    Borrowed,
                    "rank {rank}'s block is viewed by this process ({n} live view(s) \
                     from local, local_of, access or a NumPy operand); drop them before writing it"
                );
            }
            match claims.first {
                None => claims.first = Some(nr),
                Some(_) => claims.more.push(nr),
            }
        }
        Ok(claims)
    }

    fn block_dim(&self, rank: usize) -> D {
        let mut d = D::zeros(self.dim.ndim());
        d.slice_mut().copy_from_slice(&self.block_shapes[rank]);
        d
    }

    fn view_of<'a>(&self, rank: usize, data: &'a [T]) -> ArrayView<'a, T, D> {
        ArrayView::from_shape(self.block_dim(rank), data).expect("block shape matches segment")
    }
}
