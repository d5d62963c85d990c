//! [`GlobalArray`]: an N-d array block-distributed over the ranks of a job.
//!
//! The methods are split by concern: construction and collective copies
//! (`construct.rs`), one-sided data movement (`rma.rs`) and its form for
//! lists of single elements (`elements.rs`), zero-copy views of
//! node-local blocks and `access` of any section in place or fetched
//! (`local/`), non-blocking puts and accumulates (`nonblocking.rs`),
//! ghost cells (`ghosts/`), file-backed arrays (`mapped.rs`), stepped and
//! periodic sections (`strided.rs`, `periodic.rs`), and queries and
//! synchronisation (here).

mod construct;
mod elements;
mod ghosts;
mod local;
mod mapped;
mod nonblocking;
mod patch;
mod periodic;
mod rma;
mod strided;

pub use ghosts::NbGhosts;
pub(crate) use local::ViewBorrow;
pub use local::{Access, LocalView, NbAccess};
pub use mapped::MapMode;
pub use nonblocking::{NbAcc, NbPut, NbScope};
pub use rma::NbGet;

use std::sync::OnceLock;

use ndarray::Dimension;

use crate::dist::{Distribution, IntoSection, Section};
use crate::element::Element;
use crate::error::{Result, bail};
use crate::fault::during;
use crate::runtime::Runtime;
use crate::window::{Piece, Window};

/// Each rank's block and the shape it is stored in, worked out from the
/// distribution when first asked for: an array costs one slot per rank of
/// the job (16 bytes), not a block description per rank (some 200 bytes,
/// 2 MB an array at 10,000 ranks), and most ranks only ever ask for their
/// own block and those they read.
pub(crate) struct BlockTable(Box<[OnceLock<Box<BlockEntry>>]>);

/// A rank's block (`None`: owns nothing) and its stored shape.
type BlockEntry = (Option<Section>, Vec<usize>);

impl BlockTable {
    /// An empty table for `nranks` ranks.
    pub(crate) fn new(nranks: usize) -> BlockTable {
        BlockTable((0..nranks).map(|_| OnceLock::new()).collect())
    }

    /// The number of ranks.
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    /// `rank`'s block under `dist` and its shape padded by `widths`.
    fn entry(&self, rank: usize, dist: &Distribution, widths: &[usize]) -> &BlockEntry {
        self.0[rank].get_or_init(|| {
            let block = dist.block(rank);
            let stored = block.as_ref().map_or(vec![0; dist.ndim()], |b| {
                crate::dist::ghosts::padded_shape(b, widths)
            });
            Box::new((block, stored))
        })
    }
}

/// An N-d array of `T` block-distributed over the ranks of a [`Runtime`],
/// in the style of Global Arrays.
///
/// Each rank owns at most one rectangular block (see [`Distribution`]).
/// Any rank can [`get`](Self::get), [`put`](Self::put) and atomically
/// [`acc`](Self::acc)umulate any section one-sidedly: blocks on the
/// caller's node are read and written directly through shared memory,
/// blocks on other nodes with MPI RMA. [`local`](Self::local) views the
/// rank's own block without copying. Sections are written as ranges or with
/// ndarray's `s![]` ([`IntoSection`](crate::IntoSection)); data goes in as
/// `&array` or a view.
///
/// Consistency follows Global Arrays: one-sided operations by one rank
/// happen in the order it issues them; operations by different ranks are
/// ordered by [`sync`](Self::sync), which every rank calls.
///
/// Axes may have length zero, as in NumPy (`zeros(&rt, [0, 5])`). Such an
/// array has no elements and no rank owns a block:
/// [`distribution`](Self::distribution) is `None` for every rank,
/// [`local`](Self::local) is an empty view, [`is_empty`](Self::is_empty)
/// is `true`. Its only sections are empty ones: [`get`](Self::get) of
/// `..` returns an empty ndarray of the array's shape, and a put or
/// accumulate of an empty section does nothing (as for any array).
///
/// Views ([`local`](Self::local), [`local_of`](Self::local_of), an
/// in-place [`access`](Self::access)) are counted per block: while this
/// process holds one, its own writes into that block return
/// [`Borrowed`](crate::ErrorKind::Borrowed), and other ranks' writes may
/// show through it between synchronisations; the crate docs on
/// [local views](crate#local-views-and-what-they-see) say exactly what a
/// view sees and when.
///
/// # Collective
///
/// Every rank creates the array, with the same arguments, and every rank
/// must drop (or [`destroy`](Self::destroy)) it at the same point of the
/// program, because creating and freeing MPI windows is collective.
///
/// # Examples
///
/// ```
/// use gain::GlobalArray;
/// use ndarray::{array, s};
/// # let rt = gain::init()?;
/// let ga = GlobalArray::<f64, _>::zeros(&rt, [4, 6])?;
/// if rt.rank() == 0 {
///     ga.put(s![1..3, 2..4], &array![[1., 2.], [3., 4.]])?;
/// }
/// ga.sync()?;
/// assert_eq!(ga.get(s![2..3, 2..4])?, array![[3., 4.]]);
/// let empty = GlobalArray::<f64, _>::zeros(&rt, [0, 5])?;
/// assert_eq!(empty.get(..)?.shape(), &[0, 5]);
/// assert!(empty.distribution(rt.rank()).is_none());
/// # Ok::<(), gain::Error>(())
/// ```
pub struct GlobalArray<T: Element, D: Dimension> {
    // Fields drop in order: the window before the runtime it lives on.
    win: Window<T>,
    dist: Distribution,
    dim: D,
    /// Each rank's block and the shape it is stored in, worked out when
    /// first asked ([`BlockTable`]).
    blocks: BlockTable,
    /// Ghost widths and periodic axes (all zero: no ghosts), and this
    /// process's uses of its own halo.
    ghosts: ghosts::Ghosts<T>,
    /// Per node rank: the views of that rank's block this process holds
    /// ([`LocalView`], [`Access`]) and its writes into it in progress,
    /// kept apart (`local.rs`), whichever threads of the rank make them.
    views: Box<[local::BlockUse]>,
    rt: Runtime,
}

impl<T: Element, D: Dimension> std::fmt::Debug for GlobalArray<T, D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GlobalArray")
            .field("elem", &std::any::type_name::<T>())
            .field("shape", &self.shape())
            .field("grid", &self.dist.grid())
            .field("rank", &self.rt.rank())
            .finish()
    }
}

/// # Queries
impl<T: Element, D: Dimension> GlobalArray<T, D> {
    /// The array's shape.
    ///
    /// # Local
    ///
    /// A query of the calling rank's copy of the array's layout; no
    /// communication.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let ga = gain::GlobalArray::<i32, _>::zeros(&rt, [3, 5])?;
    /// assert_eq!(ga.shape(), &[3, 5]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn shape(&self) -> &[usize] {
        self.dim.slice()
    }

    /// The array's shape as an ndarray dimension.
    ///
    /// # Local
    ///
    /// A query of the calling rank's copy of the array's layout; no
    /// communication.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let ga = gain::GlobalArray::<i32, _>::zeros(&rt, [3, 5])?;
    /// assert_eq!(ga.raw_dim(), ndarray::Dim([3, 5]));
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn raw_dim(&self) -> D {
        self.dim.clone()
    }

    /// Number of elements.
    ///
    /// # Local
    ///
    /// A query of the calling rank's copy of the array's layout; no
    /// communication.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let ga = gain::GlobalArray::<i32, _>::zeros(&rt, [3, 5])?;
    /// assert_eq!(ga.len(), 15);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn len(&self) -> usize {
        self.dim.size()
    }

    /// Whether the array has no elements (`len() == 0`: some axis has
    /// length zero).
    ///
    /// # Local
    ///
    /// A query of the calling rank's copy of the array's layout; no
    /// communication.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// assert!(!gain::GlobalArray::<i32, _>::zeros(&rt, 1)?.is_empty());
    /// assert!(gain::GlobalArray::<i32, _>::zeros(&rt, [0, 5])?.is_empty());
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The section owned by `rank` (Global Arrays' `NGA_Distribution`),
    /// `None` when it owns nothing.
    ///
    /// # Local
    ///
    /// A lookup in the block map every rank holds; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let ga = gain::GlobalArray::<i32, _>::zeros(&rt, 10)?;
    /// let mine = ga.distribution(rt.rank()).unwrap();
    /// assert_eq!(ga.local().len(), mine.len());
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn distribution(&self, rank: usize) -> Option<Section> {
        (rank < self.blocks.len())
            .then(|| self.block_of(rank).copied())
            .flatten()
    }

    /// The whole block map.
    ///
    /// # Local
    ///
    /// A reference to the block map every rank holds; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let ga = gain::GlobalArray::<i32, _>::zeros(&rt, [8, 8])?;
    /// assert_eq!(ga.distribution_map().nranks(), rt.size());
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn distribution_map(&self) -> &Distribution {
        &self.dist
    }

    /// The rank owning element `index` (`NGA_Locate`).
    ///
    /// Errors: [`OutOfBounds`](crate::ErrorKind::OutOfBounds),
    /// [`DimensionMismatch`](crate::ErrorKind::DimensionMismatch).
    ///
    /// # Local
    ///
    /// Index arithmetic on the block map; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let ga = gain::GlobalArray::<i32, _>::zeros(&rt, [8, 8])?;
    /// let r = ga.locate(&[7, 7])?;
    /// assert!(ga.distribution(r).unwrap().contains(&[7, 7]));
    /// assert!(ga.locate(&[8, 0]).is_err());
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn locate(&self, index: &[usize]) -> Result<usize> {
        during("GlobalArray::locate", move || -> Result<usize> {
            self.dist.owner(index)
        })
    }

    /// The owners of a section and their pieces of it, in global
    /// coordinates and rank order (`NGA_Locate_region`). The section is any
    /// [`IntoSection`](crate::IntoSection) form: `..` for the whole array.
    ///
    /// Errors: as [`get`](Self::get).
    ///
    /// # Local
    ///
    /// Index arithmetic on the block map; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let ga = gain::GlobalArray::<i32, _>::zeros(&rt, [8, 8])?;
    /// let pieces = ga.locate_region(..)?;
    /// assert_eq!(pieces.iter().map(|(_, s)| s.len()).sum::<usize>(), 64);
    /// assert_eq!(ga.locate_region(ndarray::s![2..4, 3..])?[0].1.shape(), vec![2, 5]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn locate_region(&self, section: impl IntoSection) -> Result<Vec<(usize, Section)>> {
        during(
            "GlobalArray::locate_region",
            move || -> Result<Vec<(usize, Section)>> {
                self.dist
                    .locate_region(&section.into_section(self.shape())?)
            },
        )
    }

    /// Whether `other` has the same shape and block map
    /// (`GA_Compare_distr`), so that blocks correspond rank by rank.
    ///
    /// # Local
    ///
    /// Compares the two block maps this rank holds; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::GlobalArray::<f64, _>::zeros(&rt, [8, 8])?;
    /// let b = a.duplicate()?;
    /// assert!(a.compare_distr(&b));
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn compare_distr<U: Element, E: Dimension>(&self, other: &GlobalArray<U, E>) -> bool {
        self.dist == other.dist
    }

    /// The ranks whose blocks this rank can access directly through shared
    /// memory (its node, including itself).
    ///
    /// # Local
    ///
    /// A query of the runtime's node topology; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let ga = gain::GlobalArray::<f64, _>::zeros(&rt, 16)?;
    /// assert!(ga.node_ranks().contains(&rt.rank()));
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn node_ranks(&self) -> Vec<usize> {
        self.rt.node_ranks()
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
    /// let ga = gain::GlobalArray::<f64, _>::zeros(&rt, 16)?;
    /// assert_eq!(ga.runtime().rank(), rt.rank());
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn runtime(&self) -> &Runtime {
        &self.rt
    }

    /// Whether accumulates go through `MPI_Accumulate` for every target
    /// (the job spans nodes) rather than locked shared-memory adds.
    ///
    /// # Local
    ///
    /// A query of how the array was set up; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let ga = gain::GlobalArray::<f64, _>::zeros(&rt, 16)?;
    /// assert_eq!(ga.accumulates_via_mpi(), rt.spans_nodes());
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn accumulates_via_mpi(&self) -> bool {
        self.win.route() == crate::window::AccRoute::Mpi
    }

    /// Whether MPI reported the separate memory model for the array's
    /// windows (then `sync` also calls `MPI_Win_sync` on the world window).
    ///
    /// # Local
    ///
    /// A query of what MPI reported when the array was created; no
    /// communication.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let ga = gain::GlobalArray::<f64, _>::zeros(&rt, 16)?;
    /// println!("separate model: {}", ga.separate_memory_model());
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn separate_memory_model(&self) -> bool {
        self.win.separate_model()
    }
}

/// # Conversion
impl<T: Element, D: Dimension> GlobalArray<T, D> {
    /// The same array with dimension type `E` (ndarray's
    /// `into_dimensionality`): between a static type such as `Ix2` and
    /// `IxDyn`, say. Nothing is copied.
    ///
    /// Errors: [`DimensionMismatch`](crate::ErrorKind::DimensionMismatch)
    /// when `E` has a fixed number of dimensions other than the array's.
    ///
    /// # Local
    ///
    /// Changes only the type of this rank's handle; no communication. A rank
    /// may convert its handle without the others.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::GlobalArray::<f64, _>::zeros(&rt, [2, 3])?;
    /// let d = a.into_dimensionality::<ndarray::IxDyn>()?;
    /// assert_eq!(d.shape(), &[2, 3]);
    /// assert!(d.into_dimensionality::<ndarray::Ix1>().is_err());
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn into_dimensionality<E: Dimension>(self) -> Result<GlobalArray<T, E>> {
        during(
            "GlobalArray::into_dimensionality",
            move || -> Result<GlobalArray<T, E>> {
                let Some(dim) = E::from_dimension(&self.dim) else {
                    bail!(
                        DimensionMismatch,
                        "a {}-d array as a {:?}-d array type",
                        self.dim.ndim(),
                        E::NDIM
                    );
                };
                let GlobalArray {
                    win,
                    dist,
                    blocks,
                    ghosts,
                    views,
                    rt,
                    ..
                } = self;
                Ok(GlobalArray {
                    win,
                    dist,
                    dim,
                    blocks,
                    ghosts,
                    views,
                    rt,
                })
            },
        )
    }
}

/// # Interoperation with raw MPI
impl<T: Element, D: Dimension> GlobalArray<T, D> {
    /// The MPI windows under the array: the node window
    /// (`MPI_Win_allocate_shared` over this node's ranks, node-local rank
    /// numbers) and, when the job spans nodes, the world window
    /// (`MPI_Win_create` over the runtime's communicator). Both have
    /// displacement unit 1 and are in a `MPI_Win_lock_all` epoch for the
    /// array's life; see [`mpi_displacement`](Self::mpi_displacement).
    /// For raw RMA next to gain's (baselines, interoperation): flush what
    /// you issue, and never free or unlock the windows. For a file-backed
    /// array ([`map_npy`](Self::map_npy)) the node window holds no data
    /// (only the blocks' accumulate locks) and the world window covers
    /// each rank's block in its file mapping (from up to 63 bytes before
    /// it, as [`mpi_displacement`](Self::mpi_displacement) accounts); with
    /// [`MapMode::ReadOnly`](crate::MapMode::ReadOnly) a raw put or
    /// accumulate into it faults.
    ///
    /// # Local
    ///
    /// Returns the handles; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let ga = gain::GlobalArray::<f64, _>::zeros(&rt, 8)?;
    /// let (_node, world) = ga.mpi_windows();
    /// assert_eq!(world.is_some(), rt.spans_nodes());
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn mpi_windows(&self) -> (mpi::ffi::MPI_Win, Option<mpi::ffi::MPI_Win>) {
        self.win.handles()
    }

    /// Owner rank and byte displacement of element `index` in the owner's
    /// segment of either window of [`mpi_windows`](Self::mpi_windows).
    ///
    /// Errors: as [`locate`](Self::locate).
    ///
    /// # Local
    ///
    /// Index arithmetic on the block map; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let ga = gain::GlobalArray::<f64, _>::zeros(&rt, 8)?;
    /// let (rank, disp) = ga.mpi_displacement(&[0])?;
    /// assert_eq!(rank, 0);
    /// assert!(disp >= 0);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn mpi_displacement(&self, index: &[usize]) -> Result<(usize, mpi::ffi::MPI_Aint)> {
        during(
            "GlobalArray::mpi_displacement",
            move || -> Result<(usize, mpi::ffi::MPI_Aint)> {
                let rank = self.dist.owner(index)?;
                Ok((
                    rank,
                    self.win.displacement(rank, self.block_offset(rank, index)),
                ))
            },
        )
    }

    /// `rank`'s block, `None` when it owns nothing.
    pub(crate) fn block_of(&self, rank: usize) -> Option<&Section> {
        self.blocks
            .entry(rank, &self.dist, &self.ghosts.widths)
            .0
            .as_ref()
    }

    /// The shape `rank`'s block is stored in: padded by the ghost widths
    /// (`ghosts.rs`), zeros when it owns nothing.
    pub(crate) fn stored_shape(&self, rank: usize) -> &[usize] {
        &self.blocks.entry(rank, &self.dist, &self.ghosts.widths).1
    }

    /// Row-major offset of `index` (owned by `rank`) within `rank`'s
    /// stored block (padded by the ghost widths).
    fn block_offset(&self, rank: usize, index: &[usize]) -> usize {
        let block = self.block_of(rank).expect("owner has a block");
        index
            .iter()
            .zip(block.lo())
            .zip(&self.ghosts.widths)
            .zip(self.stored_shape(rank))
            .fold(0, |acc, (((&i, &lo), &w), &n)| acc * n + (i - lo + w))
    }
}

/// # Synchronisation
impl<T: Element, D: Dimension> GlobalArray<T, D> {
    /// Completes every rank's earlier puts and accumulates **to this
    /// array**, makes them and all local writes to it visible everywhere,
    /// then waits for every rank. Global Arrays' `GA_Sync` covers every
    /// array: that is [`Runtime::sync`](crate::Runtime::sync). Operations
    /// on other arrays may still be in flight after this returns.
    ///
    /// # Collective
    ///
    /// Every rank must call it, at the same point among its collective calls
    /// on the array's runtime; it returns once every rank has arrived, with
    /// every earlier one-sided write by any rank visible to all.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let mut ga = gain::GlobalArray::<i64, _>::zeros(&rt, 4 * rt.size())?;
    /// ga.local_mut().fill(rt.rank() as i64);
    /// ga.sync()?;
    /// assert_eq!(ga.get(0..1)?[0], 0);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn sync(&self) -> Result<()> {
        during("GlobalArray::sync", move || -> Result<()> {
            self.win.sync()
        })
    }

    /// Waits until this rank's earlier puts and accumulates are complete at
    /// their targets (`GA_Fence`). Operations return once their buffer can
    /// be reused; `fence` is for when another rank will read the result
    /// after some synchronisation outside gain.
    ///
    /// # One-sided
    ///
    /// Only the calling rank takes part; it returns when its own earlier
    /// puts and accumulates have reached their targets.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let ga = gain::GlobalArray::<f64, _>::zeros(&rt, 8)?;
    /// if rt.rank() == 0 {
    ///     ga.put(0..2, &[1.0, 2.0])?;
    ///     ga.fence()?; // both values are now in the owners' memory
    /// }
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn fence(&self) -> Result<()> {
        during("GlobalArray::fence", move || -> Result<()> {
            self.win.complete()
        })
    }
}

impl<T: Element, D: Dimension> GlobalArray<T, D> {
    /// Calls `f` with the pieces of `section`, ready for the window. The
    /// callers check the section first (`section_dim`, `check_buffer`); the
    /// owner lookups would still reject one out of bounds. A section inside
    /// one block — the common case — takes no heap allocation.
    fn with_pieces<R>(
        &self,
        section: &Section,
        f: impl FnOnce(&[Piece<'_>]) -> Result<R>,
    ) -> Result<R> {
        if section.is_empty() {
            return f(&[]);
        }
        let first = self.dist.owner(section.lo())?;
        if first == self.dist.owner(&section.last())? {
            let piece = self.piece(first, section, section);
            return f(std::slice::from_ref(&piece));
        }
        let pieces: Vec<Piece<'_>> = self
            .dist
            .locate_region(section)?
            .into_iter()
            .map(|(rank, part)| self.piece(rank, &part, section))
            .collect();
        f(&pieces)
    }

    /// `part` of `section`, owned by `rank`.
    fn piece(&self, rank: usize, part: &Section, section: &Section) -> Piece<'_> {
        let block = self.block_of(rank).expect("owner has a block");
        Piece {
            rank,
            block: self.stored_shape(rank),
            // Blocks are stored padded by the ghost widths (zero for most
            // arrays, then this is `part.relative_to(block.lo())`): the
            // part's box in the padded block, which `block` is the shape of.
            in_block: crate::dist::ghosts::in_padded(part, block, &self.ghosts.widths),
            in_buf: part.relative_to(section.lo()),
        }
    }

    /// The ndarray dimension of a section of this array.
    fn section_dim(&self, section: &Section) -> Result<D> {
        section.check_within(self.shape())?;
        let mut d = D::zeros(self.dim.ndim());
        d.slice_mut().copy_from_slice(&section.extents());
        Ok(d)
    }

    fn check_buffer(&self, section: &Section, buf: &[usize]) -> Result<()> {
        section.check_within(self.shape())?;
        let want = section.extents();
        if buf != &want[..] {
            bail!(
                ShapeMismatch,
                "buffer of shape {buf:?} for a section of shape {:?}",
                &want[..]
            );
        }
        Ok(())
    }
}

/// An array's type and layout as named texts, compared across ranks by
/// creation's agreement.
fn arguments<T: Element>(dist: &Distribution) -> Vec<(&'static str, String)> {
    vec![
        ("element types", std::any::type_name::<T>().to_string()),
        ("shapes", format!("{:?}", dist.shape())),
        ("distributions", format!("{dist:?}")),
    ]
}
