//! Views of global arrays with slice arithmetic, assignment, and the
//! distributed [`Zip`].

use std::marker::PhantomData;

use ndarray::{Array, Axis, Dimension, IxDyn, SliceArg};

use super::engine::{Operand, chunks_mut, run, tiles, tiles_mut};
use super::expr::{Expr, IntoExpr};
use super::geometry::narrow;
use super::slicing::Selection;
use super::store::{Shared, Store, StoreMut, read};
use crate::fault::during;
use crate::{Element, Error, ErrorKind, GlobalArray, Result, Section};

/// A strided view of a global array, as made by
/// [`GlobalArray::slice`]: no data, no communication. Slicing a view
/// composes the two slices into one (slice arithmetic), so views of views
/// cost nothing more. Use it as an operand ([`IntoExpr`]), reduce it
/// ([`sum`](View::sum) and friends) or read it with [`get`](View::get).
///
/// # Examples
///
/// ```
/// use ndarray::s;
/// # let rt = gain::init()?;
/// let a = gain::numpy::arange(&rt, 0i64, 10, 1)?;
/// let v = a.slice(s![1..-1])?.slice(s![..;-3])?;
/// assert_eq!(v.get()?, ndarray::array![8, 5, 2]);
/// # Ok::<(), gain::Error>(())
/// ```
pub struct View<'a, T: Element, D: Dimension> {
    store: &'a dyn Store<T>,
    sel: Selection,
    _d: PhantomData<D>,
}

impl<T: Element, D: Dimension> std::fmt::Debug for View<'_, T, D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("View")
            .field("shape", &self.sel.shape())
            .field("selection", &self.sel)
            .finish()
    }
}

impl<T: Element, D: Dimension> std::fmt::Debug for ViewMut<'_, T, D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ViewMut")
            .field("shape", &self.sel.shape())
            .field("selection", &self.sel)
            .finish()
    }
}

impl<T: Element, D: Dimension> Clone for View<'_, T, D> {
    fn clone(&self) -> Self {
        View {
            store: self.store,
            sel: self.sel.clone(),
            _d: PhantomData,
        }
    }
}

impl<'a, T: Element, D: Dimension> View<'a, T, D> {
    pub(crate) fn whole<E: Dimension>(a: &'a GlobalArray<T, E>) -> View<'a, T, E> {
        View {
            store: a,
            sel: Selection::full(a.shape()),
            _d: PhantomData,
        }
    }

    /// The view's shape.
    ///
    /// # Local
    ///
    /// Reads the selection only; nothing is sent.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::ones::<f64, _>(&rt, [4, 6])?;
    /// assert_eq!(a.slice(ndarray::s![1.., ..;2])?.shape(), vec![3, 3]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn shape(&self) -> Vec<usize> {
        self.sel.shape()
    }

    /// A view of this view (ndarray's `s!` rules); composes into one
    /// selection of the underlying array.
    ///
    /// Errors: [`OutOfBounds`](ErrorKind::OutOfBounds) for an index or
    /// bound outside an axis, [`DimensionMismatch`](ErrorKind::DimensionMismatch)
    /// for the wrong number of entries,
    /// [`InvalidArgument`](ErrorKind::InvalidArgument) for a zero step.
    ///
    /// # Local
    ///
    /// Slice arithmetic on the calling rank; no data is read or sent.
    ///
    /// # Examples
    ///
    /// ```
    /// use ndarray::{NewAxis, s};
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::arange(&rt, 0i32, 12, 1)?;
    /// let v = a.slice(s![2..])?;
    /// assert_eq!(v.slice(s![NewAxis, ..3])?.get()?, ndarray::array![[2, 3, 4]]);
    /// assert!(v.slice(s![20..]).is_err());
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn slice<I: SliceArg<D>>(&self, info: I) -> Result<View<'a, T, I::OutDim>> {
        during("View::slice", move || -> Result<View<'a, T, I::OutDim>> {
            Ok(View {
                store: self.store,
                sel: self.sel.slice(info.as_ref())?,
                _d: PhantomData,
            })
        })
    }

    /// Copies the view's elements into an ndarray array on the calling
    /// rank (one `get` of the smallest section holding them, or a copy out
    /// of shared memory).
    ///
    /// # One-sided
    ///
    /// Only the calling rank takes part; it returns once the elements are
    /// copied out of shared memory or have arrived from their owners. It
    /// does not synchronise: other ranks' writes are in it once a sync
    /// (or a collective of this layer) has ordered them before the call.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::arange(&rt, 0i32, 6, 1)?;
    /// assert_eq!(a.slice(ndarray::s![..;2])?.get()?, ndarray::array![0, 2, 4]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn get(&self) -> Result<Array<T, D>> {
        during("View::get", move || -> Result<Array<T, D>> {
            let shape = self.sel.shape();
            let a = if shape.contains(&0) {
                Array::from_elem(IxDyn(&shape), T::zero())
            } else {
                let rect: Vec<(usize, usize)> = shape.iter().map(|&n| (0, n)).collect();
                read(self.store, &self.sel, &rect)?.data.into_owned()
            };
            into_dim(a)
        })
    }

    /// The view as an expression of its dimension type (same as
    /// [`IntoExpr::into_expr`]).
    ///
    /// # Local
    ///
    /// Builds the expression only; nothing is read or sent.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::arange(&rt, 0i32, 6, 1)?;
    /// assert_eq!(a.slice(ndarray::s![3..])?.expr().mapv(|x| 2 * x).sum()?, 24);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn expr(&self) -> Expr<'a, T, D> {
        self.clone().into_expr()
    }
}

impl<'a, T: Element, D: Dimension> IntoExpr<'a, T> for &'a GlobalArray<T, D> {
    type Dim = D;
    fn into_expr(self) -> Expr<'a, T, D> {
        View::<T, D>::whole(self).into_expr()
    }
}

impl<'a, T: Element, D: Dimension> IntoExpr<'a, T> for View<'a, T, D> {
    type Dim = D;
    fn into_expr(self) -> Expr<'a, T, D> {
        Expr::leaf(self.store, self.sel)
    }
}

impl<'a, T: Element, D: Dimension> IntoExpr<'a, T> for &View<'a, T, D> {
    type Dim = D;
    fn into_expr(self) -> Expr<'a, T, D> {
        self.clone().into_expr()
    }
}

pub(crate) fn into_dim<T, D: Dimension>(a: Array<T, IxDyn>) -> Result<Array<T, D>> {
    let n = a.ndim();
    a.into_dimensionality::<D>().map_err(|_| {
        Error::new(
            ErrorKind::DimensionMismatch,
            format!("a {n}-d result for a {:?}-d array type", D::NDIM),
        )
    })
}

/// A writable strided view of a global array, as made by
/// [`GlobalArray::slice_mut`]: the target of [`assign`](ViewMut::assign),
/// [`fill`](ViewMut::fill) and [`Zip`].
///
/// # Examples
///
/// ```
/// use ndarray::s;
/// # let rt = gain::init()?;
/// let mut a = gain::numpy::zeros::<i32, _>(&rt, [4, 4])?;
/// a.slice_mut(s![1..3, ..;3])?.fill(7)?;
/// assert_eq!(a.sum()?, 4 * 7);
/// # Ok::<(), gain::Error>(())
/// ```
pub struct ViewMut<'a, T: Element, D: Dimension> {
    store: &'a mut dyn StoreMut<T>,
    sel: Selection,
    _d: PhantomData<D>,
}

impl<'a, T: Element, D: Dimension> From<&'a mut GlobalArray<T, D>> for ViewMut<'a, T, D> {
    fn from(a: &'a mut GlobalArray<T, D>) -> Self {
        let sel = Selection::full(a.shape());
        ViewMut {
            store: a,
            sel,
            _d: PhantomData,
        }
    }
}

impl<'a, T: Element, D: Dimension> ViewMut<'a, T, D> {
    /// The view's shape.
    ///
    /// # Local
    ///
    /// Reads the selection only; nothing is sent.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let mut a = gain::numpy::zeros::<f64, _>(&rt, [4, 6])?;
    /// assert_eq!(a.slice_mut(ndarray::s![.., 0])?.shape(), vec![4]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn shape(&self) -> Vec<usize> {
        self.sel.shape()
    }

    /// A writable view of this view (slice arithmetic, as
    /// [`View::slice`]).
    ///
    /// Errors: as [`View::slice`].
    ///
    /// # Local
    ///
    /// Slice arithmetic on the calling rank; no data is read or sent.
    ///
    /// # Examples
    ///
    /// ```
    /// use ndarray::s;
    /// # let rt = gain::init()?;
    /// let mut a = gain::numpy::zeros::<i32, _>(&rt, 8)?;
    /// let mut v = a.slice_mut(s![1..])?;
    /// v.slice_mut(s![..;2])?.fill(1)?;
    /// assert_eq!(a.to_array()?, ndarray::array![0, 1, 0, 1, 0, 1, 0, 1]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn slice_mut<I: SliceArg<D>>(&mut self, info: I) -> Result<ViewMut<'_, T, I::OutDim>> {
        let sel = during("ViewMut::slice_mut", || self.sel.slice(info.as_ref()))?;
        Ok(ViewMut {
            sel,
            store: &mut *self.store,
            _d: PhantomData,
        })
    }

    /// A read-only view of the same elements.
    ///
    /// # Local
    ///
    /// Copies the selection only; nothing is read or sent.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let mut a = gain::numpy::ones::<i32, _>(&rt, 8)?;
    /// let v = a.slice_mut(ndarray::s![2..])?;
    /// assert_eq!(v.view().get()?.len(), 6);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn view(&self) -> View<'_, T, D> {
        View {
            store: self.store.as_store(),
            sel: self.sel.clone(),
            _d: PhantomData,
        }
    }

    /// Writes `src` (any operand, broadcast to the view's shape) into the
    /// view: NumPy's `view[...] = src`. Each rank writes the part in its
    /// own block.
    ///
    /// Errors: [`ShapeMismatch`](ErrorKind::ShapeMismatch) when `src` does
    /// not broadcast to the view, on every rank, before anything is
    /// written; [`ReadOnly`](ErrorKind::ReadOnly) likewise for an array
    /// mapped read-only from its file (so for [`fill`](Self::fill) and
    /// [`zip_mut_with`](Self::zip_mut_with) too).
    ///
    /// # Collective
    ///
    /// Every rank must call it, in the same order, on the same view of
    /// the same array with the same `src` (ndarray operands holding the
    /// same data); it syncs the target and the arrays `src` reads first,
    /// and returns after a closing sync of the target, when every rank's
    /// part is written and visible everywhere.
    ///
    /// # Examples
    ///
    /// ```
    /// use ndarray::s;
    /// # let rt = gain::init()?;
    /// let mut a = gain::numpy::zeros::<f64, _>(&rt, [3, 4])?;
    /// let b = gain::numpy::arange(&rt, 0.0, 4.0, 1.0)?;
    /// a.slice_mut(s![1.., ..])?.assign(&b)?;
    /// assert_eq!(a.sum()?, 12.0);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn assign<'e>(&mut self, src: impl IntoExpr<'e, T>) -> Result<()> {
        during("ViewMut::assign", move || -> Result<()> {
            Zip::from(self.reborrow())
                .and(src)
                .par_for_each(|o, &x| *o = x)
        })
    }

    /// Sets every element of the view to `value`.
    ///
    /// # Collective
    ///
    /// Every rank must call it, in the same order, on the same view of
    /// the same array with the same `value`; it returns after a closing
    /// sync, when every rank's part is written and visible everywhere.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let mut a = gain::numpy::zeros::<i64, _>(&rt, 10)?;
    /// a.slice_mut(ndarray::s![5..])?.fill(2)?;
    /// assert_eq!(a.sum()?, 10);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn fill(&mut self, value: T) -> Result<()> {
        during("ViewMut::fill", move || -> Result<()> {
            Zip::from(self.reborrow()).par_for_each(|o| *o = value)
        })
    }

    /// Updates every element with `f(element, rhs element)`, `rhs`
    /// broadcast to the view (ndarray's `zip_mut_with`; the fallible form
    /// of `+=` and friends).
    ///
    /// Errors: as [`assign`](Self::assign).
    ///
    /// # Collective
    ///
    /// Every rank must call it, in the same order, on the same view with
    /// the same `rhs`; each rank runs `f` on the elements of its own
    /// block. It syncs the target and the arrays `rhs` reads first, and
    /// returns after a closing sync of the target.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let mut a = gain::numpy::ones::<i32, _>(&rt, [2, 3])?;
    /// let row = ndarray::array![1, 2, 3];
    /// a.view_mut().zip_mut_with(&row, |x, y| *x += y)?;
    /// assert_eq!(a.sum()?, 6 + 12);
    /// assert!(a.view_mut().zip_mut_with(&ndarray::array![1, 2], |x, y| *x += y).is_err());
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn zip_mut_with<'e, U: Element>(
        &mut self,
        rhs: impl IntoExpr<'e, U>,
        mut f: impl FnMut(&mut T, U),
    ) -> Result<()> {
        during("ViewMut::zip_mut_with", move || -> Result<()> {
            Zip::from(self.reborrow())
                .and(rhs)
                .for_each(|o, &x| f(o, x))
        })
    }

    fn reborrow(&mut self) -> ViewMut<'_, T, D> {
        ViewMut {
            store: &mut *self.store,
            sel: self.sel.clone(),
            _d: PhantomData,
        }
    }
}

/// A distributed `Zip`: runs a closure over the elements of an output view
/// and up to eight input operands in lockstep — a whole expression in one
/// pass over memory (a 7-point 3-D stencil is six shifted views of one
/// array, plus the output). Inputs broadcast to the output's shape. Owner
/// computes: each rank runs the closure on the elements in its own block
/// of the output; inputs are read in place from shared memory or fetched
/// with one `get` per piece. The closure may keep state (a rank-local
/// partial sum, say).
///
/// # Examples
///
/// ```
/// use gain::numpy::{self, Zip};
/// # let rt = gain::init()?;
/// let a = numpy::arange(&rt, 0.0, 8.0, 1.0)?;
/// let b = numpy::full(&rt, 8, 2.0)?;
/// let mut c = numpy::ones::<f64, _>(&rt, 8)?;
/// Zip::from(&mut c).and(&a).and(&b).for_each(|c, &a, &b| *c += a * b)?;
/// assert_eq!(c.sum()?, 8.0 + 2.0 * 28.0);
/// # Ok::<(), gain::Error>(())
/// ```
pub struct Zip<'o, T: Element, D: Dimension, P> {
    out: ViewMut<'o, T, D>,
    inputs: P,
}

impl<'o, T: Element, D: Dimension> Zip<'o, T, D, ()> {
    /// Starts a zip writing into `out` (a `&mut GlobalArray` or a
    /// [`ViewMut`]).
    ///
    /// # Local
    ///
    /// Records the output only; nothing runs until
    /// [`for_each`](Zip::for_each).
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let mut a = gain::numpy::zeros::<i32, _>(&rt, 4)?;
    /// gain::numpy::Zip::from(&mut a).for_each(|x| *x = 3)?;
    /// assert_eq!(a.sum()?, 12);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn from(out: impl Into<ViewMut<'o, T, D>>) -> Self {
        Zip {
            out: out.into(),
            inputs: (),
        }
    }
}

macro_rules! zip_arity {
    ($($how:ident ($($E:ident $e:ident),*) => ($($N:ident),*)),*) => {$(
        impl<'o, 'a, T: Element, D: Dimension, $($E: Element),*> Zip<'o, T, D, ($(Expr<'a, $E>,)*)> {
            zip_and!(($($E $e),*) => ($($N),*));

            /// Runs `f(out, inputs…)` on every element, each rank on the
            /// elements of its own block of the output.
            ///
            /// Errors: [`ShapeMismatch`](ErrorKind::ShapeMismatch) when an
            /// input does not broadcast to the output, on every rank,
            /// before anything is written; [`ReadOnly`](ErrorKind::ReadOnly)
            /// likewise when the output is mapped read-only from its file.
            ///
            /// # Collective
            ///
            /// Every rank must call it, in the same order, with the same
            /// output view and inputs (ndarray operands holding the same
            /// data); the closure may differ. It syncs the output and the
            /// arrays read first, and returns after a closing sync of the
            /// output, when every rank's elements are written and visible.
            ///
            /// # Examples
            ///
            /// ```
            /// # let rt = gain::init()?;
            /// let mut a = gain::numpy::zeros::<i32, _>(&rt, 4)?;
            /// gain::numpy::Zip::from(&mut a).and(5).for_each(|x, &y| *x = y)?;
            /// assert_eq!(a.sum()?, 20);
            /// # Ok::<(), gain::Error>(())
            /// ```
            #[allow(non_snake_case, unused_mut, unused_variables)]
            pub fn for_each<F>(self, mut f: F) -> Result<()>
            where
                F: FnMut(&mut T, $(&$E),*),
            {
                during("Zip::for_each", move || -> Result<()> {
                zip_prepare!(self, out, sel, arrays, cuts, tiled, ($($e),*));
                run(&mut *out.store, &sel, &arrays, &cuts, |rect, mut region| {
                    $(let $e = $e.bind(rect)?;)*
                    let ext: Vec<usize> = rect.iter().map(|&(a, z)| z - a).collect();
                    let all = vec![ext.iter().map(|&n| (0, n)).collect::<Vec<_>>()];
                    for tile in if tiled { tiles(&ext) } else { all } {
                        let out = narrow(region.view_mut(), tile.iter().copied());
                        zip_tile!($how, f, out, &tile, ($($E $e),*));
                    }
                    Ok(())
                })
                })
            }

            /// As [`for_each`](Self::for_each), with the elements of each
            /// rank's block shared among the threads of its rayon pool
            /// (ndarray's `par_for_each`; [`threads`](crate::threads)
            /// says how many): `f` is `Fn + Sync + Send`, and runs on
            /// tiles of about 4096 elements in any order, so it may not
            /// keep state between elements. On a pool of one thread it is
            /// `for_each`.
            ///
            /// Errors: as [`for_each`](Self::for_each).
            ///
            /// # Collective
            ///
            /// As [`for_each`](Self::for_each): every rank calls it with
            /// the same output view and inputs; it returns after a
            /// closing sync of the output.
            ///
            /// # Examples
            ///
            /// ```
            /// # let rt = gain::init()?;
            /// let a = gain::numpy::arange(&rt, 0.0, 100.0, 1.0)?;
            /// let mut b = gain::numpy::zeros::<f64, _>(&rt, 100)?;
            /// gain::numpy::Zip::from(&mut b).and(&a).par_for_each(|b, &a| *b = 2.0 * a)?;
            /// assert_eq!(b.sum()?, 9900.0);
            /// # Ok::<(), gain::Error>(())
            /// ```
            #[allow(non_snake_case, unused_mut, unused_variables)]
            pub fn par_for_each<F>(self, f: F) -> Result<()>
            where
                F: Fn(&mut T, $(&$E),*) + Sync + Send,
            {
                during("Zip::par_for_each", move || -> Result<()> {
                zip_prepare!(self, out, sel, arrays, cuts, tiled, ($($e),*));
                run(&mut *out.store, &sel, &arrays, &cuts, |rect, mut region| {
                    $(let $e = $e.bind(rect)?;)*
                    // Tiles when the operands make temporaries (sized for
                    // the cache), a few large chunks a thread when threads
                    // share plain views, one piece on one thread.
                    let work = if tiled {
                        tiles_mut(region.view_mut())
                    } else if crate::threads::parallel() {
                        chunks_mut(region.view_mut())
                    } else {
                        let all: Vec<_> = rect.iter().map(|&(a, z)| (0, z - a)).collect();
                        vec![(all, region.view_mut())]
                    };
                    crate::threads::for_each(work, |(tile, out)| {
                        zip_tile!($how, f, out, &tile, ($($E $e),*));
                    });
                    Ok(())
                })
                })
            }

            /// As [`par_for_each`](Self::par_for_each), also folding a
            /// value per rank (ndarray's `Zip::par_fold`): each tile of the
            /// rank's block folds from `identity()` with `fold(acc, out,
            /// inputs…)`, and the tiles' values are combined with `finish`
            /// in tile order, so the result has the same bits on any
            /// number of threads. Returns this rank's value (reduce it
            /// across ranks yourself, e.g. with `rt.comm()`); a rank
            /// owning no part of the output returns `identity()`.
            ///
            /// Errors: as [`for_each`](Self::for_each).
            ///
            /// # Collective
            ///
            /// As [`for_each`](Self::for_each): every rank calls it with
            /// the same output view and inputs; it returns after a
            /// closing sync of the output.
            ///
            /// # Examples
            ///
            /// ```
            /// # let rt = gain::init()?;
            /// let a = gain::numpy::arange(&rt, 0.0, 10.0, 1.0)?;
            /// let mut b = gain::numpy::zeros::<f64, _>(&rt, 10)?;
            /// // b = 2a, and this rank's sum of the changes.
            /// let mine = gain::numpy::Zip::from(&mut b).and(&a).par_fold(
            ///     || 0.0,
            ///     |acc, b, &a| { *b = 2.0 * a; acc + 2.0 * a },
            ///     |x, y| x + y,
            /// )?;
            /// assert_eq!(b.sum()?, 90.0);
            /// assert!(mine <= 90.0);
            /// # Ok::<(), gain::Error>(())
            /// ```
            #[allow(non_snake_case, unused_mut, unused_variables)]
            pub fn par_fold<Acc, Id, Fo, Fi>(self, identity: Id, fold: Fo, finish: Fi) -> Result<Acc>
            where
                Acc: Send,
                Id: Fn() -> Acc + Sync + Send,
                Fo: Fn(Acc, &mut T, $(&$E),*) -> Acc + Sync + Send,
                Fi: Fn(Acc, Acc) -> Acc,
            {
                during("Zip::par_fold", move || -> Result<Acc> {
                zip_prepare!(self, out, sel, arrays, cuts, tiled, ($($e),*));
                let mut parts = Vec::new();
                run(&mut *out.store, &sel, &arrays, &cuts, |rect, mut region| {
                    $(let $e = $e.bind(rect)?;)*
                    let work = tiles_mut(region.view_mut());
                    parts.extend(crate::threads::map(work, |(tile, out)| {
                        let mut acc = Some(identity());
                        let mut step = |o: &mut T, $($E: &$E),*| {
                            let a = acc.take().expect("the accumulator is put back");
                            acc = Some(fold(a, o, $($E),*));
                        };
                        zip_tile!($how, step, out, &tile, ($($E $e),*));
                        acc.expect("the accumulator is put back")
                    }));
                    Ok(())
                })?;
                Ok(parts.into_iter().fold(identity(), finish))
                })
            }
        }
    )*};
}

/// The start of `for_each` and `par_for_each`: takes the zip apart into
/// `out` and its inputs as operands, agreed by every rank to broadcast
/// (ndarray operands are each rank's own, so a bad input on one rank is an
/// error on all before anything is written), with `sel`, the `arrays` to
/// synchronise, the `cuts` of the pieces and whether any input makes
/// temporaries (`tiled`).
macro_rules! zip_prepare {
    ($zip:ident, $out:ident, $sel:ident, $arrays:ident, $cuts:ident, $tiled:ident, ($($e:ident),*)) => {
        let Zip { mut $out, inputs: ($($e,)*) } = $zip;
        let shape = $out.sel.shape();
        let check = || -> Result<_> { Ok(($(Operand::new(&shape, $e)?,)*)) };
        let checked = check();
        let valid = checked.as_ref().map(|_| ()).map_err(Clone::clone);
        let args = [("output shapes", format!("{shape:?}"))];
        $out.store.rt().agree_arguments(valid.map(|()| &args[..]))?;
        let ($($e,)*) = checked?;
        let mut $arrays: Vec<&dyn Shared> = Vec::new();
        $($e.arrays(&mut $arrays);)*
        let $cuts = |k: usize, v: &mut Vec<usize>| {
            $($e.cuts(k, v);)*
        };
        let $sel = $out.sel.clone();
        // Operands without temporaries are views: no tiling needed.
        let $tiled = false $(|| $e.node.temporaries())*;
    };
}

/// Runs `f` on the elements of one tile: `out` (the tile's part of the
/// output) and the bound inputs over `tile`, broadcast to its shape.
macro_rules! zip_tile {
    ($how:ident, $f:ident, $out:ident, $tile:expr, ($($E:ident $e:ident),*)) => {{
        let tile: &[(usize, usize)] = $tile;
        let mut out = $out;
        let dim = IxDyn(&tile.iter().map(|&(a, z)| z - a).collect::<Vec<_>>());
        $(let $E = $e.tile(tile);)*
        $(let $E = $E.broadcast(dim.clone()).expect("broadcast checked");)*
        if dim.ndim() == 0 {
            $f(
                out.first_mut().expect("0-d: one element"),
                $($E.first().expect("0-d: one element")),*
            );
        } else {
            let ax = Axis(dim.ndim() - 1);
            zip_rows!($how, $f, out, ax, ($($E),*));
        }
    }};
}

/// Runs `f` on the rows (along axis `ax`) of the tile `out` and of the
/// inputs, all of `out`'s shape. Rows contiguous in every operand run as
/// plain slice loops, which the compiler vectorises and unrolls.
macro_rules! zip_rows {
    // Up to five inputs: ndarray's Zip walks the rows, and the elements of
    // strided rows (it takes six producers, the output and five inputs).
    (zip, $f:ident, $out:ident, $ax:ident, ($($E:ident),*)) => {
        ndarray::Zip::from($out.lanes_mut($ax))
            $(.and($E.lanes($ax)))*
            .for_each(|o, $($E),*| {
                if o.is_standard_layout() $(&& $E.is_standard_layout())* {
                    zip_rows!(@slices $f, o, ($($E),*));
                } else {
                    ndarray::Zip::from(o)
                        $(.and($E))*
                        .for_each(|o, $($E),*| $f(o, $($E),*));
                }
            })
    };
    // More inputs: one row iterator per operand. Every operand has the
    // output's shape, so their rows, taken in C order, pair up.
    (iter, $f:ident, $out:ident, $ax:ident, ($($E:ident),*)) => {
        $(let mut $E = $E.lanes($ax).into_iter();)*
        for o in $out.lanes_mut($ax) {
            $(let $E = $E.next().expect("rows pair up");)*
            if o.is_standard_layout() $(&& $E.is_standard_layout())* {
                zip_rows!(@slices $f, o, ($($E),*));
            } else {
                $(let mut $E = $E.iter();)*
                for o in o {
                    $f(o, $($E.next().expect("rows of one length")),*);
                }
            }
        }
    };
    (@slices $f:ident, $o:ident, ($($E:ident),*)) => {
        let o = $o.into_slice().expect("contiguous");
        let n = o.len();
        $(let $E = &$E.to_slice().expect("contiguous")[..n];)*
        for i in 0..n {
            $f(&mut o[i], $(&$E[i]),*);
        }
    };
}

macro_rules! zip_and {
    (($($E:ident $e:ident),*) => ()) => {};
    (($($E:ident $e:ident),*) => ($N:ident)) => {
        /// Adds an input operand (a global array, view, expression,
        /// ndarray array or scalar).
        ///
        /// # Local
        ///
        /// Records the operand only; nothing is read until
        /// [`for_each`](Zip::for_each).
        ///
        /// # Examples
        ///
        /// ```
        /// # let rt = gain::init()?;
        /// let a = gain::numpy::ones::<f64, _>(&rt, 3)?;
        /// let mut b = gain::numpy::zeros::<f64, _>(&rt, 3)?;
        /// gain::numpy::Zip::from(&mut b).and(&a).and(2.0).for_each(|b, &a, &s| *b = a * s)?;
        /// assert_eq!(b.sum()?, 6.0);
        /// # Ok::<(), gain::Error>(())
        /// ```
        pub fn and<$N: Element>(self, input: impl IntoExpr<'a, $N>) -> Zip<'o, T, D, ($(Expr<'a, $E>,)* Expr<'a, $N>,)> {
            let ($($e,)*) = self.inputs;
            Zip { out: self.out, inputs: ($($e,)* input.into_expr().into_dyn(),) }
        }
    };
}

zip_arity! {
    zip () => (A),
    zip (A a) => (B),
    zip (A a, B b) => (C),
    zip (A a, B b, C c) => (E),
    zip (A a, B b, C c, E e) => (G),
    zip (A a, B b, C c, E e, G g) => (H),
    iter (A a, B b, C c, E e, G g, H h) => (I),
    iter (A a, B b, C c, E e, G g, H h, I i) => (J),
    iter (A a, B b, C c, E e, G g, H h, I i, J j) => ()
}

/// # NumPy-style views and assignment (see [`numpy`](crate::numpy))
impl<T: Element, D: Dimension> GlobalArray<T, D> {
    /// A view of the whole array.
    ///
    /// # Local
    ///
    /// Makes the selection only; nothing is read or sent.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::ones::<f64, _>(&rt, [2, 2])?;
    /// assert_eq!(a.view().shape(), vec![2, 2]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn view(&self) -> View<'_, T, D> {
        View::<T, D>::whole(self)
    }

    /// The whole array as an expression of its dimension type (as
    /// `numpy::expr(&a)`), to call the ufunc methods of [`Expr`] on it.
    ///
    /// # Local
    ///
    /// Builds the expression only; nothing is read or sent.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::full(&rt, [2, 2], 9.0f64)?;
    /// assert_eq!(a.expr().sqrt().sum()?, 12.0);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn expr(&self) -> Expr<'_, T, D> {
        self.into_expr()
    }

    /// A view of a slice of the array, with ndarray's `s!` syntax: ranges
    /// with steps (negative: walking backwards), negative indices counting
    /// from the end, integer indices removing an axis, `NewAxis`. No data
    /// moves.
    ///
    /// Errors: as [`View::slice`].
    ///
    /// # Local
    ///
    /// Slice arithmetic on the calling rank; no data is read or sent.
    ///
    /// # Examples
    ///
    /// ```
    /// use ndarray::s;
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::from_fn(&rt, [4, 5], |i| (10 * i[0] + i[1]) as i32)?;
    /// let v = a.slice(s![1..-1, ..;-2])?;
    /// assert_eq!(v.get()?, ndarray::array![[14, 12, 10], [24, 22, 20]]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn slice<I: SliceArg<D>>(&self, info: I) -> Result<View<'_, T, I::OutDim>> {
        during(
            "GlobalArray::slice",
            move || -> Result<View<'_, T, I::OutDim>> { self.view().slice(info) },
        )
    }

    /// A writable view of the whole array.
    ///
    /// # Local
    ///
    /// Makes the selection only; nothing is read or sent.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let mut a = gain::numpy::zeros::<i32, _>(&rt, 3)?;
    /// a.view_mut().fill(1)?;
    /// assert_eq!(a.sum()?, 3);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn view_mut(&mut self) -> ViewMut<'_, T, D> {
        ViewMut::from(self)
    }

    /// A writable view of a slice of the array (see [`slice`](Self::slice)).
    ///
    /// Errors: as [`View::slice`].
    ///
    /// # Local
    ///
    /// Slice arithmetic on the calling rank; no data is read or sent.
    ///
    /// # Examples
    ///
    /// ```
    /// use ndarray::s;
    /// # let rt = gain::init()?;
    /// let mut u = gain::numpy::zeros::<f64, _>(&rt, [4, 4])?;
    /// u.slice_mut(s![0, ..])?.fill(1.0)?;
    /// assert_eq!(u.sum()?, 4.0);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn slice_mut<I: SliceArg<D>>(&mut self, info: I) -> Result<ViewMut<'_, T, I::OutDim>> {
        let sel = during("GlobalArray::slice_mut", || {
            Selection::full(self.shape()).slice(info.as_ref())
        })?;
        Ok(ViewMut {
            store: self,
            sel,
            _d: PhantomData,
        })
    }

    /// Evaluates `src` (broadcast to the array's shape) into the array:
    /// NumPy's `a[...] = src`, with no global temporary.
    ///
    /// Errors: as [`ViewMut::assign`].
    ///
    /// # Collective
    ///
    /// As [`ViewMut::assign`]: every rank calls it with the same `src`;
    /// it returns after a closing sync of the array.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::arange(&rt, 0.0, 4.0, 1.0)?;
    /// let mut b = gain::numpy::zeros_like(&a)?;
    /// b.assign(&a * 2.0 + 1.0)?;
    /// assert_eq!(b.to_array()?, ndarray::array![1.0, 3.0, 5.0, 7.0]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn assign<'e>(&mut self, src: impl IntoExpr<'e, T>) -> Result<()> {
        during("GlobalArray::assign", move || -> Result<()> {
            self.view_mut().assign(src)
        })
    }

    /// The whole array as an ndarray array on the calling rank.
    ///
    /// # One-sided
    ///
    /// Only the calling rank takes part; it returns once every block has
    /// been copied or has arrived. It does not synchronise: other ranks'
    /// writes are in it once a sync has ordered them before the call.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::arange(&rt, 0i64, 3, 1)?;
    /// assert_eq!(a.to_array()?, ndarray::array![0, 1, 2]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn to_array(&self) -> Result<Array<T, D>> {
        during("GlobalArray::to_array", move || -> Result<Array<T, D>> {
            self.get(Section::full(self.shape()))
        })
    }

    /// The whole array as an ndarray array on rank `root` (`None`
    /// elsewhere).
    ///
    /// # Collective
    ///
    /// Every rank must call it with the same `root`. It starts with a
    /// sync, so every rank's earlier writes are in the result; then
    /// `root` alone reads the array and returns when it has arrived,
    /// while the other ranks return right after the sync.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::ones::<i32, _>(&rt, 4)?;
    /// let g = a.gather(0)?;
    /// assert_eq!(g.is_some(), rt.rank() == 0);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn gather(&self, root: usize) -> Result<Option<Array<T, D>>> {
        during(
            "GlobalArray::gather",
            move || -> Result<Option<Array<T, D>>> {
                self.sync()?;
                if self.runtime().rank() == root {
                    Ok(Some(self.to_array()?))
                } else {
                    Ok(None)
                }
            },
        )
    }
}
