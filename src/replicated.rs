//! [`Replicated`]: one read-only copy of a whole array per node (Global
//! Arrays' mirrored arrays), for data every rank reads again and again.
//!
//! Built on the public API of [`GlobalArray`] (`get_into`, `sync`) and on
//! the window layer's [`NodeCopy`], which holds the node's copy in shared
//! memory and does the MPI.

use std::ops::Range;

use mpi::traits::{Communicator, Root};
use ndarray::{ArrayView, ArrayViewMut, Dimension};

use crate::array::GlobalArray;
use crate::dist::Section;
use crate::element::Element;
use crate::error::{Error, ErrorKind, Result, bail};
use crate::fault::during;
use crate::runtime::Runtime;
use crate::window::{NodeCopy, even_share};

/// A read-only N-d array of which every node holds one whole copy, in node
/// shared memory: every rank of the node reads that one copy as a plain
/// zero-copy [`ArrayView`] ([`view`](Self::view)), with no communication.
/// Global Arrays calls these mirrored arrays; they suit the read-only data
/// a computation consults throughout (a lookup table, a basis set, the
/// centres of a clustering), which a [`GlobalArray`] would fetch again and
/// again, and a copy per rank would multiply by the ranks on a node.
///
/// Memory: one copy per node, not one per rank — a node running 64 ranks
/// holds the array once. (The MPI test suite measures it: the
/// proportional set size, PSS, summed over a node's ranks grows by one
/// copy, whatever the rank count.) With `GAIN_RANKS_PER_NODE` each group
/// of ranks counts as a node and holds a copy of its own.
///
/// Build one collectively from a global array ([`from_global`](Self::from_global):
/// each node reads the array in parallel, every rank of the node one slab)
/// or from an ndarray held by one rank ([`from_root`](Self::from_root):
/// one copy into the root's node, then a broadcast between the nodes).
///
/// # Immutable between collective updates
///
/// The contents never change while any rank can read them:
/// - this process reads only through views borrowed from `&self`, and the
///   only writes, [`update_from_global`](Self::update_from_global) and
///   [`update_from_root`](Self::update_from_root), take `&mut self`, so no
///   view of this process lives while its ranks' copy changes (the borrow
///   checker enforces it);
/// - the updates are collective, and each starts with a barrier of the
///   node's ranks (with `MPI_Win_sync`), so no process of the node still
///   reads when the first store lands (each has entered the update, giving
///   up its views), and ends with another, so every store is complete and
///   visible before any process reads again. The barriers are on a
///   communicator of this array's own, so they only ever meet the same
///   array's barriers on the other ranks, and the ranks first agree on the
///   call (one small allreduce): ranks making different calls get
///   [`InconsistentArguments`](ErrorKind::InconsistentArguments) before
///   any barrier.
///
/// So a view is what a shared reference must be: the memory behind it does
/// not change while it lives, whether this or any other process would write
/// it. Unlike a view of a [`GlobalArray`] block, nothing shows through it
/// between synchronisations.
///
/// Like [`GlobalArray`], the type is `Sync` but not `Send`: the threads of
/// a rank may read it at once through shared references (every change
/// takes `&mut self`), and it is dropped, collectively, on the thread that
/// created it.
///
/// ```
/// # let rt = gain::init()?;
/// let data = ndarray::Array1::range(0.0, 8.0, 1.0);
/// let table = gain::Replicated::from_root(&rt, 0, Some(data.view()))?;
/// let sums: Vec<f64> = std::thread::scope(|s| {
///     let halves = [0..4, 4..8].map(|r| {
///         let t = &table;
///         s.spawn(move || t.as_slice()[r].iter().sum::<f64>())
///     });
///     halves.map(|h| h.join().unwrap()).to_vec()
/// });
/// assert_eq!(sums, [6.0, 22.0]);
/// # Ok::<(), gain::Error>(())
/// ```
///
/// # Collective
///
/// Every rank creates it, with the same arguments, and every rank must drop
/// (or [`destroy`](Self::destroy)) it at the same point of the program:
/// allocating and freeing the node's shared memory is collective.
///
/// # Examples
///
/// ```
/// use gain::{GlobalArray, Replicated};
/// use ndarray::array;
/// # let rt = gain::init()?;
/// let ga = GlobalArray::<f64, _>::zeros(&rt, [2, 3])?;
/// if rt.rank() == 0 {
///     ga.put(.., &array![[1., 2., 3.], [4., 5., 6.]])?;
/// }
/// ga.sync()?;
/// let table = Replicated::from_global(&ga)?;
/// drop(ga); // the copies stand alone
/// let v = table.view(); // every rank, no communication
/// assert_eq!(v[[1, 2]], 6.0);
/// assert_eq!(v.sum(), 21.0);
/// # Ok::<(), gain::Error>(())
/// ```
pub struct Replicated<T: Element, D: Dimension> {
    // Fields drop in order: the copy before the runtime it lives on.
    copy: NodeCopy<T>,
    dim: D,
    rt: Runtime,
}

impl<T: Element, D: Dimension> std::fmt::Debug for Replicated<T, D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Replicated")
            .field("elem", &std::any::type_name::<T>())
            .field("shape", &self.shape())
            .field("rank", &self.rt.rank())
            .finish()
    }
}

/// # Construction and updates
impl<T: Element, D: Dimension> Replicated<T, D> {
    /// A copy of `ga` on every node, taken after a sync of `ga`: each rank
    /// of a node reads an even slab of rows (along axis 0) straight into
    /// its node's copy with [`GlobalArray::get_into`], so every node reads
    /// in parallel, and the ranks of a node share the work.
    ///
    /// Errors (on every rank, before anything is allocated):
    /// [`InconsistentArguments`](ErrorKind::InconsistentArguments) when
    /// ranks pass arrays of different shapes,
    /// [`SizeOverflow`](ErrorKind::SizeOverflow) when the whole array
    /// does not fit in one node's memory, and those of array creation
    /// for the environment ([`InvalidArgument`](ErrorKind::InvalidArgument)
    /// for a malformed `GAIN_MAX_TRANSFER_BYTES`). A failed read
    /// ([`Mpi`](ErrorKind::Mpi)) on some rank is an error on every rank
    /// (`InconsistentArguments` naming that rank on the others).
    ///
    /// # Collective
    ///
    /// Every rank of `ga`'s runtime must call it with the same array; it
    /// syncs `ga` before (so every earlier write by any rank is copied) and
    /// after (so no rank writes `ga` while another still reads it), and
    /// returns with the copy complete on every node.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let mut ga = gain::GlobalArray::<i32, _>::zeros(&rt, [4, 5])?;
    /// ga.fill(3)?;
    /// let r = gain::Replicated::from_global(&ga)?;
    /// assert_eq!(r.shape(), &[4, 5]);
    /// assert!(r.view().iter().all(|&x| x == 3));
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn from_global(ga: &GlobalArray<T, D>) -> Result<Self> {
        during("Replicated::from_global", move || -> Result<Self> {
            ga.sync()?;
            let op = "Replicated::from_global";
            let r = Self::from_rows(ga.runtime(), op, ga.raw_dim(), |part, rows| {
                read_rows(ga, part, rows)
            })?;
            ga.sync()?;
            Ok(r)
        })
    }

    /// A copy on every node of `data`, which only rank `root` holds (`Some`
    /// there, `None` on every other rank): the root broadcasts the shape,
    /// copies `data` into its node's copy, and the nodes' leaders broadcast
    /// that copy to the other nodes (in pieces under 2 GiB). Within a node
    /// nothing is copied again: its ranks share the node's copy.
    ///
    /// Errors (on every rank, before anything is allocated):
    /// [`InvalidArgument`](ErrorKind::InvalidArgument) when `root` is not a
    /// rank of the job (every rank), or on the rank that breaks the rule
    /// when the root passes `None` or another rank passes `Some`, with
    /// [`InconsistentArguments`](ErrorKind::InconsistentArguments) naming
    /// that rank on the others; `InconsistentArguments` when the ranks pass
    /// different roots, element types or dimension types;
    /// [`SizeOverflow`](ErrorKind::SizeOverflow) and the environment's, as
    /// [`from_global`](Self::from_global).
    ///
    /// # Collective
    ///
    /// Every rank of `rt` must call it with the same `root`; it returns
    /// with the copy complete on every node (the root's `data` may be
    /// reused at once).
    ///
    /// # Examples
    ///
    /// ```
    /// use ndarray::array;
    /// # let rt = gain::init()?;
    /// let data = array![[0.5f32, 1.5], [2.5, 3.5]];
    /// let held = (rt.rank() == 0).then(|| data.view());
    /// let r = gain::Replicated::from_root(&rt, 0, held)?;
    /// assert_eq!(r.view(), data);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn from_root(rt: &Runtime, root: usize, data: Option<ArrayView<'_, T, D>>) -> Result<Self> {
        during("Replicated::from_root", move || -> Result<Self> {
            let shape = root_shape(rt, "Replicated::from_root", root, data.as_ref())?;
            let mut dim = D::zeros(shape.len());
            dim.slice_mut().copy_from_slice(&shape);
            let mut copy = NodeCopy::allocate(&rt.placement(), dim.size())?;
            if let Some(a) = data {
                write_all(&mut copy, &dim, a);
            }
            copy.spread_from(root)?;
            Ok(Replicated {
                copy,
                dim,
                rt: rt.clone(),
            })
        })
    }

    /// A copy on every node of shape `dim` whose contents `fill` writes:
    /// every node fills its own copy, each of its ranks an even share of
    /// the rows (along axis 0; of a 0-d array, one rank the element), in
    /// parallel. `fill` gets the share's part of the copy (C order) and its
    /// rows, and is called only where that part is not empty. For
    /// [`from_global`](Self::from_global), and for loaders that read one
    /// copy per node (a file read in shares, each byte once per node).
    ///
    /// Errors (on every rank): `InconsistentArguments` when the ranks pass
    /// different shapes (before anything is allocated); when `fill` fails
    /// on some rank, its error there and `InconsistentArguments` naming it
    /// on the others, with nothing left allocated.
    ///
    /// Collective over `rt`; `op` names the public call for the agreement
    /// (ranks making different calls get `InconsistentArguments`).
    pub(crate) fn from_rows(
        rt: &Runtime,
        op: &str,
        dim: D,
        fill: impl FnOnce(&mut [T], Range<usize>) -> Result<()>,
    ) -> Result<Self> {
        rt.agree_arguments(Ok(&[
            ("operations", op.to_string()),
            ("element types", std::any::type_name::<T>().to_string()),
            ("shapes", format!("{:?}", dim.slice())),
        ]))?;
        let mut copy = NodeCopy::allocate(&rt.placement(), dim.size())?;
        fill_rows(rt, &mut copy, dim.slice(), fill)?;
        Ok(Replicated {
            copy,
            dim,
            rt: rt.clone(),
        })
    }

    /// Refreshes every node's copy from `ga` in place, as
    /// [`from_global`](Self::from_global) filled it. Views taken before
    /// cannot live across the call (it borrows `self` mutably); take new
    /// ones after.
    ///
    /// Errors (on every rank, before anything is written):
    /// [`ShapeMismatch`](ErrorKind::ShapeMismatch) when `ga`'s shape is not
    /// this array's; the copy is unchanged then. A failed read
    /// ([`Mpi`](ErrorKind::Mpi)) is an error on every rank as in
    /// [`from_global`](Self::from_global), and leaves the contents
    /// unspecified.
    ///
    /// # Collective
    ///
    /// Every rank must call it on the same replicated array with the same
    /// global array, which lives on the same runtime; it syncs `ga` before
    /// and after, waits until every rank of the node has entered the call
    /// before the first write, and returns with every node's copy complete.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let mut ga = gain::GlobalArray::<f64, _>::zeros(&rt, 6)?;
    /// let mut r = gain::Replicated::from_global(&ga)?;
    /// assert_eq!(r.view().sum(), 0.0);
    /// ga.fill(2.0)?;
    /// r.update_from_global(&ga)?;
    /// assert_eq!(r.view().sum(), 12.0);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn update_from_global(&mut self, ga: &GlobalArray<T, D>) -> Result<()> {
        during("Replicated::update_from_global", move || -> Result<()> {
            let args = [
                ("operations", "Replicated::update_from_global".to_string()),
                ("shapes", format!("{:?}", ga.shape())),
            ];
            let valid = if ga.shape() == self.shape() {
                Ok(&args[..])
            } else {
                Err(Error::new(
                    ErrorKind::ShapeMismatch,
                    format!(
                        "update of a replicated array of shape {:?} from a global array of shape {:?}",
                        self.shape(),
                        ga.shape()
                    ),
                ))
            };
            self.rt.agree_arguments(valid)?;
            // No process of the node reads the old contents any more.
            self.copy.sync_node()?;
            ga.sync()?;
            let dim = self.dim.clone();
            fill_rows(&self.rt, &mut self.copy, dim.slice(), |part, rows| {
                read_rows(ga, part, rows)
            })?;
            ga.sync()
        })
    }

    /// Refreshes every node's copy in place with `data`, which only rank
    /// `root` holds, as [`from_root`](Self::from_root) filled it. Views
    /// taken before cannot live across the call; take new ones after.
    ///
    /// Errors (on every rank, before anything is written): those of
    /// [`from_root`](Self::from_root) for the root and the data, and
    /// [`ShapeMismatch`](ErrorKind::ShapeMismatch) when the root's `data`
    /// does not have this array's shape; the copy is unchanged then.
    ///
    /// # Collective
    ///
    /// Every rank must call it on the same replicated array with the same
    /// `root`; it waits until every rank of the node has entered the call
    /// before the first write, and returns with every node's copy complete.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let zeros = ndarray::Array1::<i64>::zeros(3);
    /// let mut r = gain::Replicated::from_root(&rt, 0, (rt.rank() == 0).then(|| zeros.view()))?;
    /// let news = ndarray::array![7, 8, 9];
    /// let last = rt.size() - 1;
    /// r.update_from_root(last, (rt.rank() == last).then(|| news.view()))?;
    /// assert_eq!(r.view(), news);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn update_from_root(
        &mut self,
        root: usize,
        data: Option<ArrayView<'_, T, D>>,
    ) -> Result<()> {
        during("Replicated::update_from_root", move || -> Result<()> {
            let op = "Replicated::update_from_root";
            let shape = root_shape(&self.rt, op, root, data.as_ref())?;
            if shape != self.shape() {
                // Every rank compares the broadcast shape: all return this.
                bail!(
                    ShapeMismatch,
                    "update of a replicated array of shape {:?} with data of shape {shape:?} \
                     from rank {root}",
                    self.shape()
                );
            }
            // No process of the node reads the old contents any more.
            self.copy.sync_node()?;
            if let Some(a) = data {
                write_all(&mut self.copy, &self.dim, a);
            }
            self.copy.spread_from(root)
        })
    }

    /// Frees every node's copy now, reporting MPI errors instead of
    /// aborting as `Drop` does.
    ///
    /// # Collective
    ///
    /// Every rank must destroy (or drop) the array at the same point among
    /// its collective calls; it returns when the node's shared memory is
    /// freed, which waits for every rank. Dropping it is equally
    /// collective.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let r = gain::Replicated::from_global(&gain::GlobalArray::<u8, _>::zeros(&rt, 9)?)?;
    /// r.destroy()?;
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn destroy(mut self) -> Result<()> {
        during("Replicated::destroy", move || -> Result<()> {
            self.copy.free()
        })
    }
}

/// # Views and queries
impl<T: Element, D: Dimension> Replicated<T, D> {
    /// The whole array, as a zero-copy view of this node's copy in
    /// standard (C) layout. The contents cannot change while the view
    /// lives (see [`Replicated`]).
    ///
    /// # Local
    ///
    /// Reads this node's shared memory; no communication, no copy.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let mut ga = gain::GlobalArray::<f64, _>::zeros(&rt, [3, 3])?;
    /// ga.fill(1.0)?;
    /// let r = gain::Replicated::from_global(&ga)?;
    /// let v = r.view();
    /// assert!(v.is_standard_layout());
    /// assert_eq!(v.diag().sum(), 3.0);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn view(&self) -> ArrayView<'_, T, D> {
        ArrayView::from_shape(self.dim.clone(), self.copy.as_slice())
            .expect("the copy holds the array's elements in C order")
    }

    /// The whole array as a slice, in C order (the memory of
    /// [`view`](Self::view)).
    ///
    /// # Local
    ///
    /// Reads this node's shared memory; no communication, no copy.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let data = ndarray::array![[1u16, 2], [3, 4]];
    /// let r = gain::Replicated::from_root(&rt, 0, (rt.rank() == 0).then(|| data.view()))?;
    /// assert_eq!(r.as_slice(), &[1, 2, 3, 4]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn as_slice(&self) -> &[T] {
        self.copy.as_slice()
    }

    /// The array's shape.
    ///
    /// # Local
    ///
    /// A query of the calling rank's record of the shape; no
    /// communication.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let r = gain::Replicated::from_global(&gain::GlobalArray::<i8, _>::zeros(&rt, [2, 0, 4])?)?;
    /// assert_eq!(r.shape(), &[2, 0, 4]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn shape(&self) -> &[usize] {
        self.dim.slice()
    }

    /// The array's shape as an ndarray dimension.
    ///
    /// # Local
    ///
    /// A query of the calling rank's record of the shape; no
    /// communication.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let r = gain::Replicated::from_global(&gain::GlobalArray::<i8, _>::zeros(&rt, [2, 5])?)?;
    /// assert_eq!(r.raw_dim(), ndarray::Dim([2, 5]));
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn raw_dim(&self) -> D {
        self.dim.clone()
    }

    /// Number of elements.
    ///
    /// # Local
    ///
    /// A query of the calling rank's record of the shape; no
    /// communication.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let r = gain::Replicated::from_global(&gain::GlobalArray::<i8, _>::zeros(&rt, [2, 5])?)?;
    /// assert_eq!(r.len(), 10);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn len(&self) -> usize {
        self.dim.size()
    }

    /// Whether the array has no elements (some axis has length zero).
    ///
    /// # Local
    ///
    /// A query of the calling rank's record of the shape; no
    /// communication.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let r = gain::Replicated::from_global(&gain::GlobalArray::<i8, _>::zeros(&rt, [0, 5])?)?;
    /// assert!(r.is_empty());
    /// assert_eq!(r.view().shape(), &[0, 5]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes of shared memory the array takes on this rank's node:
    /// one copy (and up to 64 bytes to align it), however many ranks of
    /// the node share it; the job holds one per node
    /// ([`node_ranks`](Self::node_ranks) share each). The MPI tests check
    /// it against the node's proportional set size (PSS).
    ///
    /// # Local
    ///
    /// A query of the calling rank's record; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let r = gain::Replicated::from_global(&gain::GlobalArray::<f64, _>::zeros(&rt, 1000)?)?;
    /// assert_eq!(r.node_bytes(), 8000 + 64);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn node_bytes(&self) -> usize {
        self.copy.segment_bytes()
    }

    /// How many ranks of this rank's node share its copy (the node's
    /// ranks, counting `GAIN_RANKS_PER_NODE` groups as nodes).
    ///
    /// # Local
    ///
    /// A query of the calling rank's record; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let r = gain::Replicated::from_global(&gain::GlobalArray::<f64, _>::zeros(&rt, 10)?)?;
    /// assert_eq!(r.node_ranks(), rt.node_ranks().len());
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn node_ranks(&self) -> usize {
        self.copy.node_size()
    }

    /// The runtime the array lives on.
    ///
    /// # Local
    ///
    /// A reference; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let r = gain::Replicated::from_global(&gain::GlobalArray::<i8, _>::zeros(&rt, 3)?)?;
    /// assert_eq!(r.runtime().size(), rt.size());
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn runtime(&self) -> &Runtime {
        &self.rt
    }
}

/// Collective over `rt`: every rank of every node fills its even share
/// of its node's copy of an array of `shape` with `fill` (see
/// [`Replicated::from_rows`]), then the node's ranks publish their stores.
/// Every process of the node must have stopped reading the copy. A
/// failure of `fill` on any rank is an error on every rank (agreed after
/// the node barrier, so no rank is left in it); the copy's contents are
/// then unspecified.
fn fill_rows<T: Element>(
    rt: &Runtime,
    copy: &mut NodeCopy<T>,
    shape: &[usize],
    fill: impl FnOnce(&mut [T], Range<usize>) -> Result<()>,
) -> Result<()> {
    let (rows, row_len) = match shape.split_first() {
        Some((&rows, rest)) => (rows, rest.iter().product::<usize>()),
        None => (1, 1),
    };
    let mine = even_share(rows, copy.node_rank(), copy.node_size());
    let part = copy.part_mut(mine.start * row_len..mine.end * row_len);
    let filled = if part.is_empty() {
        Ok(())
    } else {
        fill(part, mine)
    };
    copy.sync_node()?;
    rt.agree_arguments(filled.as_ref().map(|()| &[][..]).map_err(Error::clone))
}

/// Reads rows `rows` of `ga` (of a 0-d array: its element) into `part`,
/// which holds exactly them in C order.
fn read_rows<T: Element, D: Dimension>(
    ga: &GlobalArray<T, D>,
    part: &mut [T],
    rows: Range<usize>,
) -> Result<()> {
    let shape = ga.shape();
    let mut dim = ga.raw_dim();
    let section = match dim.slice_mut().first_mut() {
        Some(d0) => {
            *d0 = rows.len();
            Section::from_fn(shape.len(), |d| {
                if d == 0 {
                    (rows.start, rows.end)
                } else {
                    (0, shape[d])
                }
            })
        }
        None => Section::full(&[]),
    };
    let dst = ArrayViewMut::from_shape(dim, part).expect("the rows fill their part of the copy");
    ga.get_into(section, dst)
}

/// Copies the root's `a` (any layout) into its node's copy, in C order.
fn write_all<T: Element, D: Dimension>(copy: &mut NodeCopy<T>, dim: &D, a: ArrayView<'_, T, D>) {
    let whole = copy.part_mut(0..dim.size());
    ArrayViewMut::from_shape(dim.clone(), whole)
        .expect("the copy holds the whole array")
        .assign(&a);
}

/// Collective over `rt`: checks the root and who holds data for the call
/// `op` (agreed, so every rank returns the errors), then broadcasts the
/// root's shape.
fn root_shape<T: Element, D: Dimension>(
    rt: &Runtime,
    op: &str,
    root: usize,
    data: Option<&ArrayView<'_, T, D>>,
) -> Result<Vec<usize>> {
    let me = rt.rank();
    let args = [
        ("operations", op.to_string()),
        ("roots", root.to_string()),
        ("element types", std::any::type_name::<T>().to_string()),
        ("dimension types", std::any::type_name::<D>().to_string()),
    ];
    let valid = if root >= rt.size() {
        Err(Error::new(
            ErrorKind::InvalidArgument,
            format!("root {root} in a job of {} ranks", rt.size()),
        ))
    } else if me == root && data.is_none() {
        Err(Error::new(
            ErrorKind::InvalidArgument,
            format!("the root (rank {root}) passed no array"),
        ))
    } else if me != root && data.is_some() {
        Err(Error::new(
            ErrorKind::InvalidArgument,
            format!("rank {me} passed an array but the root is rank {root}"),
        ))
    } else {
        Ok(&args[..])
    };
    rt.agree_arguments(valid)?;
    // The number of dimensions (an `IxDyn` root may have any), then the
    // extents.
    let from = rt.comm().process_at_rank(root as i32);
    let mut ndim = [data.map_or(0, |a| a.ndim() as u64)];
    from.broadcast_into(&mut ndim[..]);
    let mut shape = vec![0u64; ndim[0] as usize];
    if let Some(a) = data {
        for (s, &n) in shape.iter_mut().zip(a.shape()) {
            *s = n as u64;
        }
    }
    if !shape.is_empty() {
        from.broadcast_into(&mut shape[..]);
    }
    Ok(shape.into_iter().map(|n| n as usize).collect())
}
