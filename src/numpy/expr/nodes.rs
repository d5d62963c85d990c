//! The nodes of an expression tree and what they bind to: views of
//! global arrays (`Leaf`), ndarray arrays (`Local`), scalars, index grids
//! (`IndexAlong`), maps of one and two children, and `Where`. Maps of two
//! children run row by row, so contiguous rows vectorise.

use std::marker::PhantomData;
use std::sync::Arc;

use ndarray::{ArrayViewD, CowArray, Dimension, IxDyn, Zip};

use super::{Bound, Node};
use crate::numpy::geometry::{Rect, child_axis, child_rect, extents, narrow};
use crate::numpy::slicing::Selection;
use crate::numpy::store::{Region, Shared, Store, read};
use crate::{Element, Result};

/// A parent's cuts on `axis` from a child's.
pub(crate) fn child_cuts<T: Element>(
    parent: &[usize],
    child: &dyn Node<T>,
    axis: usize,
    out: &mut Vec<usize>,
) {
    if let Some(k) = child_axis(parent, child.shape(), axis) {
        child.cuts(k, out);
    }
}

/// A view of a global array.
pub(super) struct Leaf<'a, T: Element> {
    pub(super) store: &'a dyn Store<T>,
    pub(super) sel: Selection,
    pub(super) shape: Vec<usize>,
}

impl<T: Element> Node<T> for Leaf<'_, T> {
    fn temporaries(&self) -> bool {
        false
    }
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn cuts(&self, axis: usize, out: &mut Vec<usize>) {
        if let Some(b) = self.sel.base_of(axis) {
            self.sel.cuts(axis, self.store.dist().bounds(b), out);
        }
    }
    fn arrays<'s>(&'s self, f: &mut dyn FnMut(&'s dyn Shared, bool)) {
        let whole = self.sel.is_full(self.store.dist().shape());
        f(self.store.shared(), whole);
    }
    fn bind<'s>(&'s self, rect: &Rect) -> Result<Box<dyn Bound<T> + 's>> {
        Ok(Box::new(Held(read(self.store, &self.sel, rect)?)))
    }
}

/// A bound operand held as an array of its region (with the guard of the
/// block it borrows, if any, for as long as it is bound).
struct Held<'s, T>(Region<'s, T>);

impl<T: Sync> Bound<T> for Held<'_, T> {
    fn eval(&self, tile: &Rect) -> CowArray<'_, T, IxDyn> {
        CowArray::from(narrow(self.0.data.view(), tile.iter().copied()))
    }
}

/// An ndarray array, the same on every rank.
pub(super) struct Local<'a, T>(pub(super) CowArray<'a, T, IxDyn>);

impl<T: Element> Node<T> for Local<'_, T> {
    fn temporaries(&self) -> bool {
        false
    }
    fn shape(&self) -> &[usize] {
        self.0.shape()
    }
    fn cuts(&self, _: usize, _: &mut Vec<usize>) {}
    fn arrays<'s>(&'s self, _: &mut dyn FnMut(&'s dyn Shared, bool)) {}
    fn bind<'s>(&'s self, rect: &Rect) -> Result<Box<dyn Bound<T> + 's>> {
        Ok(Box::new(Held(Region::unguarded(CowArray::from(narrow(
            self.0.view(),
            rect.iter().copied(),
        ))))))
    }
}

pub(super) struct Scalar<T>(pub(super) T);

impl<T: Element> Node<T> for Scalar<T> {
    fn temporaries(&self) -> bool {
        false
    }
    fn shape(&self) -> &[usize] {
        &[]
    }
    fn cuts(&self, _: usize, _: &mut Vec<usize>) {}
    fn arrays<'s>(&'s self, _: &mut dyn FnMut(&'s dyn Shared, bool)) {}
    fn bind<'s>(&'s self, _: &Rect) -> Result<Box<dyn Bound<T> + 's>> {
        Ok(Box::new(Held(Region::unguarded(CowArray::from(
            ndarray::arr0(self.0).into_dyn(),
        )))))
    }
}

pub(super) struct IndexAlong {
    pub(super) shape: Vec<usize>,
    pub(super) axis: usize,
}

impl Node<i64> for IndexAlong {
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn cuts(&self, _: usize, _: &mut Vec<usize>) {}
    fn arrays<'s>(&'s self, _: &mut dyn FnMut(&'s dyn Shared, bool)) {}
    fn bind<'s>(&'s self, rect: &Rect) -> Result<Box<dyn Bound<i64> + 's>> {
        Ok(Box::new(BoundIndex {
            origin: rect[self.axis].0,
            axis: self.axis,
        }))
    }
}

struct BoundIndex {
    origin: usize,
    axis: usize,
}

impl Bound<i64> for BoundIndex {
    fn eval(&self, tile: &Rect) -> CowArray<'_, i64, IxDyn> {
        let o = (self.origin + tile[self.axis].0) as i64;
        let a = ndarray::Array::from_shape_fn(IxDyn(&extents(tile)), |i| o + i[self.axis] as i64);
        CowArray::from(a)
    }
}

pub(super) struct Map1<'a, A: Element, T, F> {
    pub(super) child: Arc<dyn Node<A> + 'a>,
    pub(super) f: F,
    pub(super) shape: Vec<usize>,
    pub(super) _t: PhantomData<fn() -> T>,
}

impl<A: Element, T: Element, F: Fn(A) -> T + Send + Sync> Node<T> for Map1<'_, A, T, F> {
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn cuts(&self, axis: usize, out: &mut Vec<usize>) {
        self.child.cuts(axis, out)
    }
    fn arrays<'s>(&'s self, f: &mut dyn FnMut(&'s dyn Shared, bool)) {
        self.child.arrays(f)
    }
    fn bind<'s>(&'s self, rect: &Rect) -> Result<Box<dyn Bound<T> + 's>> {
        Ok(Box::new(BoundMap1 {
            child: self.child.bind(rect)?,
            f: &self.f,
        }))
    }
}

struct BoundMap1<'s, A, F> {
    child: Box<dyn Bound<A> + 's>,
    f: &'s F,
}

impl<A: Element, T: Element, F: Fn(A) -> T + Send + Sync> Bound<T> for BoundMap1<'_, A, F> {
    fn eval(&self, tile: &Rect) -> CowArray<'_, T, IxDyn> {
        let x = self.child.eval(tile);
        let f = self.f;
        CowArray::from(by_rows(
            x.raw_dim(),
            x.view(),
            x.view(),
            |xs, _, out| match xs {
                Lane::Slice(xs) => out.extend(xs.iter().map(|&a| f(a))),
                Lane::Splat(a, n) => out.extend(std::iter::repeat_n(f(a), n)),
                Lane::Strided(xs) => out.extend(xs.iter().map(|&a| f(a))),
            },
        ))
    }
}

/// A row of an operand: contiguous, one value repeated (broadcast), or
/// strided.
enum Lane<'v, T> {
    Slice(&'v [T]),
    Splat(T, usize),
    Strided(ndarray::ArrayView1<'v, T>),
}

/// The values of a row, whatever its kind.
fn iter<'v, T: Copy>(l: Lane<'v, T>) -> Box<dyn Iterator<Item = T> + 'v> {
    match l {
        Lane::Slice(s) => Box::new(s.iter().copied()),
        Lane::Splat(v, n) => Box::new(std::iter::repeat_n(v, n)),
        Lane::Strided(s) => Box::new(s.into_iter().copied()),
    }
}

fn lane<T: Copy>(l: ndarray::ArrayView1<'_, T>) -> Lane<'_, T> {
    if l.len() > 1 && l.strides()[0] == 0 {
        return Lane::Splat(l[0], l.len());
    }
    match l.to_slice() {
        Some(s) => Lane::Slice(s),
        None => Lane::Strided(l),
    }
}

/// The C-order array of shape `dim` built row by row (rows along the last
/// axis) by `row`, given the rows of `x` and `y` (both of shape `dim`):
/// contiguous rows become slice loops the compiler vectorises.
fn by_rows<A: Copy, B: Copy, T>(
    dim: IxDyn,
    x: ArrayViewD<'_, A>,
    y: ArrayViewD<'_, B>,
    mut row: impl FnMut(Lane<'_, A>, Lane<'_, B>, &mut Vec<T>),
) -> ndarray::ArrayD<T> {
    let mut out = Vec::with_capacity(dim.size());
    if dim.ndim() == 0 {
        let (x, y) = (
            x.insert_axis(ndarray::Axis(0)),
            y.insert_axis(ndarray::Axis(0)),
        );
        row(
            lane(x.view().into_dimensionality().expect("1-d")),
            lane(y.view().into_dimensionality().expect("1-d")),
            &mut out,
        );
    } else {
        let ax = ndarray::Axis(dim.ndim() - 1);
        for (xl, yl) in x.lanes(ax).into_iter().zip(y.lanes(ax)) {
            row(lane(xl), lane(yl), &mut out);
        }
    }
    ndarray::Array::from_shape_vec(dim, out).expect("one value per element")
}

pub(super) struct Map2<'a, A: Element, B: Element, T, F> {
    pub(super) a: Arc<dyn Node<A> + 'a>,
    pub(super) b: Arc<dyn Node<B> + 'a>,
    pub(super) f: F,
    pub(super) shape: Vec<usize>,
    pub(super) _t: PhantomData<fn() -> T>,
}

impl<A: Element, B: Element, T: Element, F: Fn(A, B) -> T + Send + Sync> Node<T>
    for Map2<'_, A, B, T, F>
{
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn cuts(&self, axis: usize, out: &mut Vec<usize>) {
        child_cuts(&self.shape, &*self.a, axis, out);
        child_cuts(&self.shape, &*self.b, axis, out);
    }
    fn arrays<'s>(&'s self, f: &mut dyn FnMut(&'s dyn Shared, bool)) {
        let same = |s: &[usize]| s == &self.shape[..];
        self.a.arrays(&mut |x, w| f(x, w && same(self.a.shape())));
        self.b.arrays(&mut |x, w| f(x, w && same(self.b.shape())));
    }
    fn bind<'s>(&'s self, rect: &Rect) -> Result<Box<dyn Bound<T> + 's>> {
        Ok(Box::new(BoundMap2 {
            a: self
                .a
                .bind(&child_rect(&self.shape, self.a.shape(), rect))?,
            b: self
                .b
                .bind(&child_rect(&self.shape, self.b.shape(), rect))?,
            node: self,
        }))
    }
}

struct BoundMap2<'s, 'a, A: Element, B: Element, T, F> {
    a: Box<dyn Bound<A> + 's>,
    b: Box<dyn Bound<B> + 's>,
    node: &'s Map2<'a, A, B, T, F>,
}

impl<A: Element, B: Element, T: Element, F: Fn(A, B) -> T + Send + Sync> Bound<T>
    for BoundMap2<'_, '_, A, B, T, F>
{
    fn eval(&self, tile: &Rect) -> CowArray<'_, T, IxDyn> {
        let n = self.node;
        let x = self.a.eval(&child_rect(&n.shape, n.a.shape(), tile));
        let y = self.b.eval(&child_rect(&n.shape, n.b.shape(), tile));
        let dim = IxDyn(&extents(tile));
        let (x, y) = (
            x.broadcast(dim.clone()).expect("broadcast checked"),
            y.broadcast(dim).expect("broadcast checked"),
        );
        let f = &n.f;
        CowArray::from(by_rows(x.raw_dim(), x, y, |xs, ys, out| match (xs, ys) {
            (Lane::Slice(xs), Lane::Slice(ys)) => {
                out.extend(xs.iter().zip(ys).map(|(&a, &b)| f(a, b)))
            }
            (Lane::Slice(xs), Lane::Splat(b, _)) => out.extend(xs.iter().map(|&a| f(a, b))),
            (Lane::Splat(a, _), Lane::Slice(ys)) => out.extend(ys.iter().map(|&b| f(a, b))),
            (xs, ys) => out.extend(iter(xs).zip(iter(ys)).map(|(a, b)| f(a, b))),
        }))
    }
}

pub(super) struct Where<'a, T: Element> {
    pub(super) m: Arc<dyn Node<u8> + 'a>,
    pub(super) a: Arc<dyn Node<T> + 'a>,
    pub(super) b: Arc<dyn Node<T> + 'a>,
    pub(super) shape: Vec<usize>,
}

impl<T: Element> Node<T> for Where<'_, T> {
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn cuts(&self, axis: usize, out: &mut Vec<usize>) {
        child_cuts(&self.shape, &*self.m, axis, out);
        child_cuts(&self.shape, &*self.a, axis, out);
        child_cuts(&self.shape, &*self.b, axis, out);
    }
    fn arrays<'s>(&'s self, f: &mut dyn FnMut(&'s dyn Shared, bool)) {
        let same = |s: &[usize]| s == &self.shape[..];
        self.m.arrays(&mut |x, w| f(x, w && same(self.m.shape())));
        self.a.arrays(&mut |x, w| f(x, w && same(self.a.shape())));
        self.b.arrays(&mut |x, w| f(x, w && same(self.b.shape())));
    }
    fn bind<'s>(&'s self, rect: &Rect) -> Result<Box<dyn Bound<T> + 's>> {
        Ok(Box::new(BoundWhere {
            m: self
                .m
                .bind(&child_rect(&self.shape, self.m.shape(), rect))?,
            a: self
                .a
                .bind(&child_rect(&self.shape, self.a.shape(), rect))?,
            b: self
                .b
                .bind(&child_rect(&self.shape, self.b.shape(), rect))?,
            node: self,
        }))
    }
}

struct BoundWhere<'s, 'a, T: Element> {
    m: Box<dyn Bound<u8> + 's>,
    a: Box<dyn Bound<T> + 's>,
    b: Box<dyn Bound<T> + 's>,
    node: &'s Where<'a, T>,
}

impl<T: Element> Bound<T> for BoundWhere<'_, '_, T> {
    fn eval(&self, tile: &Rect) -> CowArray<'_, T, IxDyn> {
        let n = self.node;
        let m = self.m.eval(&child_rect(&n.shape, n.m.shape(), tile));
        let a = self.a.eval(&child_rect(&n.shape, n.a.shape(), tile));
        let b = self.b.eval(&child_rect(&n.shape, n.b.shape(), tile));
        let dim = IxDyn(&extents(tile));
        let a = a.broadcast(dim.clone()).expect("broadcast checked");
        let b = b.broadcast(dim.clone()).expect("broadcast checked");
        let m = m.broadcast(dim.clone()).expect("broadcast checked");
        CowArray::from(
            Zip::from(m)
                .and(a)
                .and(b)
                .map_collect(|&m, &x, &y| if m != 0 { x } else { y }),
        )
    }
}
