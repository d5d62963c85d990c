//! The NumPy layer's access to global arrays, through `GlobalArray`'s
//! public API only and without its dimension type: the blocks, the block
//! map, and the one-sided reads a view chunk needs.

use ndarray::{ArrayBase, ArrayD, ArrayViewMutD, Axis, CowArray, Dimension, IxDyn, RawData, Slice};

use super::geometry::{Rect, bounds, narrow};
use super::slicing::Selection;
use crate::{
    Access, Distribution, Element, GlobalArray, Result, Runtime, Section, StridedSection,
    ViewBorrow,
};

/// What every global array offers whatever its element type: identity,
/// block map, runtime and synchronisation.
pub(crate) trait Shared: Sync {
    fn dist(&self) -> &Distribution;
    fn rt(&self) -> &Runtime;
    fn barrier_sync(&self) -> Result<()>;
    /// Identifies the array (its address), to synchronise each once.
    fn id(&self) -> usize;
}

/// A global array with its dimension type erased.
pub(crate) trait Store<T: Element>: Shared {
    fn shared(&self) -> &dyn Shared;
    /// `section` in place or fetched ([`GlobalArray::access`]).
    fn access(&self, section: &Section) -> Result<Access<'_, T, IxDyn>>;
    /// The selected elements only ([`GlobalArray::get_strided`]).
    fn get_strided(&self, section: &StridedSection) -> Result<ArrayD<T>>;
    /// Whether one block on this node holds all of `section` (not empty),
    /// so that [`access`](Self::access) views it in place.
    fn in_one_node_block(&self, section: &Section) -> bool;
}

/// A global array whose own block can be written.
pub(crate) trait StoreMut<T: Element>: Store<T> {
    /// `ReadOnly` for an array mapped read-only from its file, whose
    /// block [`local_dyn_mut`](Self::local_dyn_mut) must not be asked for.
    fn check_writable(&self) -> Result<()>;
    fn local_dyn_mut(&mut self) -> ArrayViewMutD<'_, T>;
    fn as_store(&self) -> &dyn Store<T>;
}

impl<T: Element, D: Dimension> Shared for GlobalArray<T, D> {
    fn dist(&self) -> &Distribution {
        self.distribution_map()
    }
    fn rt(&self) -> &Runtime {
        self.runtime()
    }
    fn barrier_sync(&self) -> Result<()> {
        self.sync()
    }
    fn id(&self) -> usize {
        self as *const Self as *const u8 as usize
    }
}

impl<T: Element, D: Dimension> Store<T> for GlobalArray<T, D> {
    fn shared(&self) -> &dyn Shared {
        self
    }
    fn access(&self, section: &Section) -> Result<Access<'_, T, IxDyn>> {
        Ok(GlobalArray::access(self, section)?.into_dyn())
    }
    fn get_strided(&self, section: &StridedSection) -> Result<ArrayD<T>> {
        Ok(GlobalArray::get_strided(self, section)?.into_dyn())
    }
    fn in_one_node_block(&self, section: &Section) -> bool {
        let last: Vec<usize> = section.hi().iter().map(|&h| h - 1).collect();
        let dist = self.distribution_map();
        match (dist.owner(section.lo()), dist.owner(&last)) {
            (Ok(a), Ok(b)) => a == b && self.node_ranks().contains(&a),
            _ => false,
        }
    }
}

impl<T: Element, D: Dimension> StoreMut<T> for GlobalArray<T, D> {
    fn check_writable(&self) -> Result<()> {
        GlobalArray::check_writable(self)
    }
    fn local_dyn_mut(&mut self) -> ArrayViewMutD<'_, T> {
        self.local_mut().into_dyn()
    }
    fn as_store(&self) -> &dyn Store<T> {
        self
    }
}

/// An operand's region as the engine holds it: its elements, and, when
/// they are borrowed from a block, the guard that keeps that block counted
/// as viewed (so that this process's puts into it return `Borrowed` while
/// a user closure holds references into it).
pub(crate) struct Region<'s, T> {
    pub data: CowArray<'s, T, IxDyn>,
    _borrow: Option<ViewBorrow<'s>>,
}

impl<'s, T> Region<'s, T> {
    /// Elements that are not a view of any global array's block.
    pub(crate) fn unguarded(data: CowArray<'s, T, IxDyn>) -> Self {
        Region {
            data,
            _borrow: None,
        }
    }
}

/// The view region `rect` (per view axis `lo..hi`, none empty) of the
/// selection `sel` of `store`: borrowed from shared memory when one block
/// on this node holds it; otherwise fetched, with one `get` of the
/// smallest section holding it when its steps are ±1, or with a stepped
/// get of the selected elements only (`get_strided`) when they skip some.
pub(crate) fn read<'s, T: Element>(
    store: &'s dyn Store<T>,
    sel: &Selection,
    rect: &Rect,
) -> Result<Region<'s, T>> {
    let (section, steps) = sel.base_region(rect);
    if steps.iter().any(|s| s.unsigned_abs() > 1) && !store.in_one_node_block(&section) {
        // The bounding box runs from the first selected index to the last,
        // so stepping it by |step| selects exactly the view's elements, in
        // increasing order; a negative step then reverses the axis.
        let abs: Vec<usize> = steps.iter().map(|s| s.unsigned_abs()).collect();
        let strided = StridedSection::new(section.lo(), section.hi(), &abs)?;
        let data = CowArray::from(store.get_strided(&strided)?);
        let signs: Vec<isize> = steps.iter().map(|s| s.signum()).collect();
        return Ok(Region {
            data: shape_to_view(data, sel, &signs),
            _borrow: None,
        });
    }
    let (data, borrow) = store.access(&section)?.into_parts();
    Ok(Region {
        data: shape_to_view(data, sel, &steps),
        _borrow: borrow,
    })
}

/// Applies the steps, removes indexed axes and inserts new ones: turns the
/// base-coordinate box of a view region (as `Selection::base_region` gives
/// it) into the view's region.
fn shape_to_view<S: RawData>(
    mut a: ArrayBase<S, IxDyn>,
    sel: &Selection,
    steps: &[isize],
) -> ArrayBase<S, IxDyn> {
    for (ax, &st) in steps.iter().enumerate() {
        if st != 1 {
            a.slice_axis_inplace(Axis(ax), Slice::new(0, None, st));
        }
    }
    for &b in sel.removed_base_axes().iter().rev() {
        a.index_axis_inplace(Axis(b), 0);
    }
    for k in sel.inserted_axes() {
        a.insert_axis_inplace(Axis(k));
    }
    a
}

/// The view region `rect` of this rank's own block (`bsec`), writable. The
/// caller guarantees the region lies in the block.
pub(crate) fn local_region<'s, T: Element>(
    block: ArrayViewMutD<'s, T>,
    bsec: &Section,
    sel: &Selection,
    rect: &Rect,
) -> ArrayViewMutD<'s, T> {
    let (section, steps) = sel.base_region(rect);
    let in_block = section.relative_to(bsec.lo());
    shape_to_view(narrow(block, bounds(&in_block)), sel, &steps)
}
