//! The guards handed out for local access: [`LocalView`], a zero-copy view
//! of a same-node block; [`Access`], a section borrowed in place or
//! copied; [`NbAccess`], an `Access` whose transfer may be in flight.

use std::fmt;
use std::ops::Deref;

use ndarray::{Array, ArrayRef, ArrayView, CowArray, Dimension, IntoNdProducer, IxDyn};

use super::ViewBorrow;
#[cfg(doc)]
use crate::array::GlobalArray;
use crate::array::NbGet;
use crate::element::Element;
use crate::error::Result;
use crate::fault::during;

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
    pub(in crate::array) view: ArrayView<'a, T, D>,
    pub(in crate::array) borrow: ViewBorrow<'a>,
    /// A view with the ghost cells
    /// ([`local_with_ghosts`](GlobalArray::local_with_ghosts)) also counts
    /// itself among the views of the block's halo.
    pub(in crate::array) ghost: Option<ViewBorrow<'a>>,
}

impl<T: Element, D: Dimension> Clone for LocalView<'_, T, D> {
    /// Another guard of the same block, counted separately.
    fn clone(&self) -> Self {
        LocalView {
            view: self.view.clone(),
            borrow: self.borrow.clone(),
            ghost: self.ghost.clone(),
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
    pub(super) data: CowArray<'a, T, D>,
    /// `Some` exactly when `data` is a view.
    pub(super) borrow: Option<ViewBorrow<'a>>,
}

/// # Borrowed or copied
impl<'a, T: Element, D: Dimension> Access<'a, T, D> {
    pub(super) fn copied(a: Array<T, D>) -> Self {
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
    pub(super) state: Pending<'a, T, D>,
}

pub(super) enum Pending<'a, T: Element, D: Dimension> {
    InPlace(Access<'a, T, D>),
    InFlight(NbGet<'a, T, D>),
}

/// # Completing the access
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
