//! The distributed [`Zip`]: a closure over the elements of an output view
//! and up to eight inputs in lockstep, owner-computes, in tiles.

use ndarray::{Axis, Dimension, IxDyn};

use super::ViewMut;
#[cfg(doc)]
use crate::ErrorKind;
use crate::fault::during;
use crate::numpy::engine::{Operand, chunks_mut, run, tiles, tiles_mut};
use crate::numpy::expr::{Expr, IntoExpr};
use crate::numpy::geometry::narrow;
use crate::numpy::store::Shared;
use crate::{Element, Result};

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

/// # Starting a zip
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
