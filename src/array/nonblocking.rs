//! Non-blocking puts and accumulates (`NGA_NbPut`, `NGA_NbAcc`,
//! `NGA_NbTest`, `NGA_NbWait`): [`GlobalArray::nb_scope`], [`NbScope`],
//! [`NbPut`], [`NbAcc`].

use ndarray::{ArrayView, AsArray, Dimension};

use super::GlobalArray;
use crate::dist::IntoSection;
use crate::element::Element;
use crate::error::Result;
use crate::fault::during;
use crate::window::{PendingWrite, WriteScope};

/// # Non-blocking puts and accumulates
impl<T: Element, D: Dimension> GlobalArray<T, D> {
    /// Runs `f` with a scope in which puts and accumulates may be left in
    /// flight ([`NbScope::put_nb`], [`NbScope::acc_nb`]), and returns what
    /// `f` returns once every one of them has completed locally.
    ///
    /// The scope exists for the sources: a remote piece is sent straight
    /// from the source buffer (no copy), so MPI reads it until the
    /// operation completes. Sources are borrowed for the whole scope, as
    /// with [`std::thread::scope`] and rsmpi's `mpi::request::scope`: the
    /// borrow checker, not the caller, keeps them alive and unchanged, even
    /// if a handle is forgotten (`mem::forget` skips its wait; the scope's
    /// end then completes its transfers before the sources can be reused).
    /// Handles are waited, tested or dropped inside the scope; one not
    /// waited is waited when dropped.
    ///
    /// Because sources are borrowed for the whole scope, they are made
    /// before it opens: a temporary, or a local of the closure, does not
    /// live long enough (a compile error: the last example below). A
    /// source cannot be written until the scope has ended, even after its
    /// handle was waited (the second example); to reuse a buffer, open a
    /// scope per round.
    ///
    /// Errors inside `f` are `f`'s to return. If completing a forgotten
    /// handle's transfers at the end fails, the job is aborted with the
    /// message, since the sources could otherwise be freed under MPI.
    ///
    /// # One-sided
    ///
    /// Only the calling rank takes part; opening and closing a scope
    /// involves no other rank. Scopes may be nested and opened by several
    /// threads of a rank at once, and the scope itself may be shared with
    /// the threads of [`std::thread::scope`] (it is `Copy` and `Sync`).
    ///
    /// # Examples
    ///
    /// ```
    /// use ndarray::Array1;
    /// # let rt = gain::init()?;
    /// let ga = gain::GlobalArray::<f64, _>::zeros(&rt, 8 * rt.size())?;
    /// let ones = Array1::<f64>::ones(8);
    /// let total = ga.nb_scope(|nb| -> gain::Result<usize> {
    ///     // One accumulate into every rank's block, all in flight at once.
    ///     let handles = (0..rt.size())
    ///         .map(|r| nb.acc_nb(8 * r..8 * r + 8, &ones, 1.0))
    ///         .collect::<gain::Result<Vec<_>>>()?;
    ///     // ... compute here while they travel ...
    ///     let n = handles.len();
    ///     for h in handles {
    ///         h.wait()?; // `ones` may be reused (after the scope)
    ///     }
    ///     Ok(n)
    /// })?;
    /// ga.sync()?; // every rank's accumulates visible everywhere
    /// assert_eq!(ga.get(..)?.sum(), (8 * rt.size() * total) as f64);
    /// # Ok::<(), gain::Error>(())
    /// ```
    ///
    /// The source cannot change while the scope lives, handle or not:
    ///
    /// ```compile_fail
    /// # let rt = gain::init()?;
    /// let ga = gain::GlobalArray::<f64, _>::zeros(&rt, 4)?;
    /// let mut src = vec![1.0; 4];
    /// ga.nb_scope(|nb| -> gain::Result<()> {
    ///     let put = nb.put_nb(0..4, &src)?;
    ///     src[0] = 2.0; // error: `src` is borrowed by the put in flight
    ///     put.wait()
    /// })?;
    /// # Ok::<(), gain::Error>(())
    /// ```
    ///
    /// ```compile_fail
    /// # let rt = gain::init()?;
    /// let ga = gain::GlobalArray::<f64, _>::zeros(&rt, 4)?;
    /// ga.nb_scope(|nb| -> gain::Result<()> {
    ///     let src = vec![1.0; 4]; // error: dropped while the scope still borrows it
    ///     std::mem::forget(nb.put_nb(0..4, &src)?);
    ///     Ok(())
    /// })?;
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn nb_scope<'env, R>(
        &'env self,
        f: impl for<'scope> FnOnce(NbScope<'scope, 'env, T, D>) -> R,
    ) -> R {
        self.win.write_scope(|ws| f(NbScope { ga: self, ws }))
    }
}

/// A scope of non-blocking puts and accumulates into one array, from
/// [`GlobalArray::nb_scope`]. Sources given to it are borrowed for the
/// whole scope (`'scope`); see `nb_scope` for why.
///
/// # One-sided
///
/// Only the calling rank takes part in anything a scope does.
///
/// # Examples
///
/// ```
/// # let rt = gain::init()?;
/// let ga = gain::GlobalArray::<i32, _>::zeros(&rt, [4, 4])?;
/// let row = ndarray::array![[1, 2, 3, 4]];
/// if rt.rank() == 0 {
///     ga.nb_scope(|nb: gain::NbScope<'_, '_, i32, _>| nb.put_nb([0..1, 0..4], &row)?.wait())?;
/// }
/// # Ok::<(), gain::Error>(())
/// ```
pub struct NbScope<'scope, 'env: 'scope, T: Element, D: Dimension> {
    ga: &'env GlobalArray<T, D>,
    ws: &'scope WriteScope<'scope, 'env, T>,
}

impl<T: Element, D: Dimension> Clone for NbScope<'_, '_, T, D> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Element, D: Dimension> Copy for NbScope<'_, '_, T, D> {}

impl<'scope, 'env, T: Element, D: Dimension> NbScope<'scope, 'env, T, D> {
    /// The array the scope writes into.
    ///
    /// # Local
    ///
    /// No communication.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let ga = gain::GlobalArray::<f64, _>::zeros(&rt, 4)?;
    /// ga.nb_scope(|nb| assert_eq!(nb.array().shape(), &[4]));
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn array(&self) -> &'env GlobalArray<T, D> {
        self.ga
    }

    /// Starts writing `src` into a section and returns without waiting for
    /// ranks on other nodes (`NGA_NbPut`): same-node blocks are copied
    /// before it returns, blocks on other nodes are sent with `MPI_Rput`
    /// straight from `src`. Arguments are those of
    /// [`GlobalArray::put`]; `src` stays borrowed until the scope ends.
    ///
    /// Completion, as Global Arrays defines it: [`NbPut::test`] true or
    /// [`NbPut::wait`] returned means `src` is no longer read (local
    /// completion). This rank's later get, put or accumulate of the same
    /// elements, issued after this call, sees the put whether or not it
    /// was waited (a later call to the same target flushes first). Other
    /// ranks see it after the next [`sync`](GlobalArray::sync);
    /// [`fence`](GlobalArray::fence) waits until it has reached its
    /// target.
    ///
    /// Errors, before anything is written or sent: as
    /// [`GlobalArray::put`] ([`OutOfBounds`](crate::ErrorKind::OutOfBounds),
    /// [`ShapeMismatch`](crate::ErrorKind::ShapeMismatch),
    /// [`Borrowed`](crate::ErrorKind::Borrowed) while this process views a
    /// same-node target block, [`ReadOnly`](crate::ErrorKind::ReadOnly),
    /// [`DimensionMismatch`](crate::ErrorKind::DimensionMismatch),
    /// [`ReversedSection`](crate::ErrorKind::ReversedSection),
    /// [`InvalidArgument`](crate::ErrorKind::InvalidArgument));
    /// [`Mpi`](crate::ErrorKind::Mpi) when issuing fails.
    ///
    /// # One-sided
    ///
    /// Only the calling rank takes part; it returns once the transfers are
    /// issued.
    ///
    /// # Examples
    ///
    /// ```
    /// use ndarray::{Array2, s};
    /// # let rt = gain::init()?;
    /// let ga = gain::GlobalArray::<f64, _>::zeros(&rt, [4, 6])?;
    /// let top = Array2::from_elem((2, 6), 1.0);
    /// let bottom = Array2::from_elem((2, 6), 2.0);
    /// if rt.rank() == 0 {
    ///     ga.nb_scope(|nb| -> gain::Result<()> {
    ///         let mut a = nb.put_nb(s![..2, ..], &top)?;
    ///         let b = nb.put_nb(s![2.., ..], &bottom)?;
    ///         while !a.test()? {} // poll: true once `top` is no longer read
    ///         b.wait()?;
    ///         assert!(nb.put_nb(s![.., ..7], &top).is_err()); // out of bounds
    ///         Ok(())
    ///     })?;
    ///     assert_eq!(ga.get(..)?.sum(), 36.0); // this rank's own puts, in order
    /// }
    /// ga.sync()?;
    /// assert_eq!(ga.get(..)?.sum(), 36.0); // every rank
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn put_nb(
        &self,
        section: impl IntoSection,
        src: impl AsArray<'scope, T, D>,
    ) -> Result<NbPut<'scope, T>> {
        let (ga, ws) = (self.ga, self.ws);
        during("NbScope::put_nb", move || -> Result<NbPut<'scope, T>> {
            let section = section.into_section(ga.shape())?;
            let src: ArrayView<'scope, T, D> = src.into();
            ga.check_buffer(&section, src.shape())?;
            let write = ga.with_pieces(&section, |p| {
                // Same-node pieces are written before this returns; MPI
                // pieces land in other nodes' blocks (which this process
                // cannot view), so the claims end with the call.
                let _claims = ga.claim_writes(p.iter().map(|p| p.rank))?;
                ws.write_start(p, src.into_dyn())
            })?;
            Ok(NbPut { write })
        })
    }

    /// Starts adding `alpha * src` into a section atomically and returns
    /// without waiting for MPI (`NGA_NbAcc`): arguments, integer wrapping
    /// and atomicity as [`GlobalArray::acc`]. On one node every element is
    /// added before it returns; across nodes every piece is an
    /// `MPI_Raccumulate` (as every accumulate of such a job is), sent
    /// straight from `src` when `alpha` is one and from a scaled copy the
    /// handle keeps otherwise. `src` stays borrowed until the scope ends.
    ///
    /// Completion as [`put_nb`](Self::put_nb)'s: [`NbAcc::test`] /
    /// [`NbAcc::wait`] say `src` is no longer read; this rank's later
    /// operations on the same elements see the sum; other ranks after the
    /// next [`sync`](GlobalArray::sync).
    ///
    /// Errors: as [`put_nb`](Self::put_nb).
    ///
    /// # One-sided
    ///
    /// Only the calling rank takes part; it returns once the transfers are
    /// issued.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let ga = gain::GlobalArray::<i64, _>::zeros(&rt, 6)?;
    /// let src = ndarray::array![1, 2, 3, 4, 5, 6];
    /// ga.nb_scope(|nb| -> gain::Result<()> {
    ///     let twice = nb.acc_nb(.., &src, 2)?;
    ///     let once = nb.acc_nb(.., &src, 1)?;
    ///     drop(twice); // dropping waits too
    ///     once.wait()
    /// })?;
    /// ga.sync()?;
    /// assert_eq!(ga.get(..)?.sum(), 63 * rt.size() as i64);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn acc_nb(
        &self,
        section: impl IntoSection,
        src: impl AsArray<'scope, T, D>,
        alpha: T,
    ) -> Result<NbAcc<'scope, T>> {
        let (ga, ws) = (self.ga, self.ws);
        during("NbScope::acc_nb", move || -> Result<NbAcc<'scope, T>> {
            let section = section.into_section(ga.shape())?;
            let src: ArrayView<'scope, T, D> = src.into();
            ga.check_buffer(&section, src.shape())?;
            let write = ga.with_pieces(&section, |p| {
                // As in `put_nb`; a same-node accumulate left in flight
                // (multi-node jobs) is completed before this process's
                // next view of its block (`Window::settle`).
                let _claims = ga.claim_writes(p.iter().map(|p| p.rank))?;
                ws.accumulate_start(p, src.into_dyn(), alpha)
            })?;
            Ok(NbAcc { write })
        })
    }
}

/// A put in flight, from [`NbScope::put_nb`] (`NGA_NbPut`'s handle).
/// Dropping it unwaited waits.
///
/// # One-sided
///
/// The handle belongs to the calling rank; testing, waiting or dropping
/// it involves no other rank.
///
/// # Examples
///
/// ```
/// # let rt = gain::init()?;
/// let ga = gain::GlobalArray::<f64, _>::zeros(&rt, 4)?;
/// let src = [1.0, 2.0, 3.0, 4.0];
/// ga.nb_scope(|nb| -> gain::Result<()> {
///     let put: gain::NbPut<'_, f64> = nb.put_nb(.., &src)?;
///     put.wait()
/// })?;
/// # Ok::<(), gain::Error>(())
/// ```
#[must_use = "a put in flight is waited for when dropped; `wait` reports its errors"]
pub struct NbPut<'scope, T: Element> {
    write: PendingWrite<'scope, T>,
}

/// An accumulate in flight, from [`NbScope::acc_nb`] (`NGA_NbAcc`'s
/// handle). Dropping it unwaited waits.
///
/// # One-sided
///
/// The handle belongs to the calling rank; testing, waiting or dropping
/// it involves no other rank.
///
/// # Examples
///
/// ```
/// # let rt = gain::init()?;
/// let ga = gain::GlobalArray::<f64, _>::zeros(&rt, 4)?;
/// let src = [1.0; 4];
/// ga.nb_scope(|nb| -> gain::Result<()> {
///     let acc: gain::NbAcc<'_, f64> = nb.acc_nb(.., &src, 0.5)?;
///     acc.wait()
/// })?;
/// # Ok::<(), gain::Error>(())
/// ```
#[must_use = "an accumulate in flight is waited for when dropped; `wait` reports its errors"]
pub struct NbAcc<'scope, T: Element> {
    write: PendingWrite<'scope, T>,
}

macro_rules! completion {
    ($handle:ident, $what:literal, $test:literal, $wait:literal) => {
        impl<T: Element> $handle<'_, T> {
            #[doc = concat!(" Whether the ", $what, " has completed locally (`NGA_NbTest`), without")]
            /// blocking: `true` once its source is no longer read (it may
            /// be reused when the scope ends). Calling it again after
            /// `true` returns `true`. Each call also lets MPI progress.
            ///
            /// Errors: [`Mpi`](crate::ErrorKind::Mpi) when testing fails;
            /// [`ThreadLevel`](crate::ErrorKind::ThreadLevel) from a
            /// second thread below `MPI_THREAD_MULTIPLE`.
            ///
            /// # One-sided
            ///
            /// Only the calling rank takes part. Completion is local: other
            /// ranks see the data after the next
            /// [`sync`](crate::GlobalArray::sync).
            ///
            /// # Examples
            ///
            /// ```
            /// # let rt = gain::init()?;
            /// let ga = gain::GlobalArray::<f64, _>::zeros(&rt, 4)?;
            /// let src = [1.0; 4];
            /// ga.nb_scope(|nb| -> gain::Result<()> {
            #[doc = concat!("    let mut h = nb.", $test, ";")]
            ///     while !h.test()? {
            ///         // ... other work ...
            ///     }
            ///     assert!(h.test()?);
            ///     Ok(())
            /// })?;
            /// # Ok::<(), gain::Error>(())
            /// ```
            pub fn test(&mut self) -> Result<bool> {
                during(concat!(stringify!($handle), "::test"), || self.write.test())
            }

            #[doc = concat!(" Waits until the ", $what, " has completed locally (`NGA_NbWait`): its")]
            /// source is no longer read.
            ///
            /// Errors: as [`test`](Self::test).
            ///
            /// # One-sided
            ///
            /// Only the calling rank takes part; it returns once this
            /// rank's own transfers no longer need the source. Other ranks
            /// see the data after the next
            /// [`sync`](crate::GlobalArray::sync);
            /// [`fence`](crate::GlobalArray::fence) waits until it has
            /// reached its target.
            ///
            /// # Examples
            ///
            /// ```
            /// # let rt = gain::init()?;
            /// let ga = gain::GlobalArray::<f64, _>::zeros(&rt, 4)?;
            /// let src = [1.0; 4];
            /// ga.nb_scope(|nb| -> gain::Result<()> {
            #[doc = concat!("    nb.", $wait, ".wait()?;")]
            ///     ga.fence() // at the targets now
            /// })?;
            /// # Ok::<(), gain::Error>(())
            /// ```
            pub fn wait(self) -> Result<()> {
                during(concat!(stringify!($handle), "::wait"), move || {
                    self.write.wait()
                })
            }
        }
    };
}

completion!(NbPut, "put", "put_nb(.., &src)?", "put_nb(.., &src)?");
completion!(
    NbAcc,
    "accumulate",
    "acc_nb(.., &src, 1.0)?",
    "acc_nb(.., &src, 1.0)?"
);
