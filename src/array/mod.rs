//! [`GlobalArray`]: an N-d array block-distributed over the ranks of a job.
//!
//! The methods are split by concern: construction and collective copies
//! (`construct.rs`), one-sided data movement (`rma.rs`), zero-copy views of
//! node-local blocks and `access` of any section in place or fetched
//! (`local.rs`), and queries and synchronisation (here).

mod construct;
mod local;
mod rma;

pub use local::NbAccess;
pub use rma::NbGet;

use std::hash::{DefaultHasher, Hash, Hasher};

use ndarray::Dimension;

use crate::dist::{Distribution, IntoSection, Section};
use crate::element::Element;
use crate::error::{Result, bail};
use crate::runtime::Runtime;
use crate::window::{Piece, Window};

/// An N-d array of `T` block-distributed over the ranks of a [`Runtime`],
/// in the style of Global Arrays.
///
/// Each rank owns at most one rectangular block (see [`Distribution`]).
/// Any rank can [`get`](Self::get), [`put`](Self::put) and atomically
/// [`acc`](Self::acc)umulate any section one-sidedly: blocks on the
/// caller's node are read and written directly through shared memory,
/// blocks on other nodes with MPI RMA. [`local`](Self::local) views the
/// rank's own block without copying.
///
/// Consistency follows Global Arrays: one-sided operations by one rank
/// happen in the order it issues them; operations by different ranks are
/// ordered by [`sync`](Self::sync), which every rank calls.
///
/// # Collective
/// Creation and destruction are collective: every rank creates the array
/// with the same arguments, and every rank must drop (or
/// [`destroy`](Self::destroy)) it at the same point of the program,
/// because freeing MPI windows is collective.
///
/// ```
/// use gain::GlobalArray;
/// use ndarray::array;
/// let rt = gain::init().unwrap();
/// let ga = GlobalArray::<f64, _>::zeros(&rt, [4, 6]).unwrap();
/// if rt.rank() == 0 {
///     ga.put([1..3, 2..4], array![[1., 2.], [3., 4.]].view()).unwrap();
/// }
/// ga.sync().unwrap();
/// assert_eq!(ga.get([2..3, 2..4]).unwrap(), array![[3., 4.]]);
/// ```
pub struct GlobalArray<T: Element, D: Dimension> {
    // Fields drop in order: the window before the runtime it lives on.
    win: Window<T>,
    dist: Distribution,
    dim: D,
    /// Each rank's block (`None`: owns nothing) and its shape (zeros then).
    blocks: Vec<Option<Section>>,
    block_shapes: Vec<Vec<usize>>,
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
    /// # One-sided
    ///
    /// ```
    /// let rt = gain::init().unwrap();
    /// let ga = gain::GlobalArray::<i32, _>::zeros(&rt, [3, 5]).unwrap();
    /// assert_eq!(ga.shape(), &[3, 5]);
    /// ```
    pub fn shape(&self) -> &[usize] {
        self.dim.slice()
    }

    /// The array's shape as an ndarray dimension.
    ///
    /// # One-sided
    ///
    /// ```
    /// let rt = gain::init().unwrap();
    /// let ga = gain::GlobalArray::<i32, _>::zeros(&rt, [3, 5]).unwrap();
    /// assert_eq!(ga.raw_dim(), ndarray::Dim([3, 5]));
    /// ```
    pub fn raw_dim(&self) -> D {
        self.dim.clone()
    }

    /// Number of elements.
    ///
    /// # One-sided
    ///
    /// ```
    /// let rt = gain::init().unwrap();
    /// let ga = gain::GlobalArray::<i32, _>::zeros(&rt, [3, 5]).unwrap();
    /// assert_eq!(ga.len(), 15);
    /// ```
    pub fn len(&self) -> usize {
        self.dim.size()
    }

    /// Always `false`: arrays have no zero-size dimension.
    ///
    /// # One-sided
    ///
    /// ```
    /// let rt = gain::init().unwrap();
    /// assert!(!gain::GlobalArray::<i32, _>::zeros(&rt, 1).unwrap().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The section owned by `rank` (Global Arrays' `NGA_Distribution`),
    /// `None` when it owns nothing.
    ///
    /// # One-sided
    ///
    /// ```
    /// let rt = gain::init().unwrap();
    /// let ga = gain::GlobalArray::<i32, _>::zeros(&rt, 10).unwrap();
    /// let mine = ga.distribution(rt.rank()).unwrap();
    /// assert_eq!(ga.local().len(), mine.len());
    /// ```
    pub fn distribution(&self, rank: usize) -> Option<Section> {
        self.blocks.get(rank).cloned().flatten()
    }

    /// The whole block map.
    ///
    /// # One-sided
    ///
    /// ```
    /// let rt = gain::init().unwrap();
    /// let ga = gain::GlobalArray::<i32, _>::zeros(&rt, [8, 8]).unwrap();
    /// assert_eq!(ga.distribution_map().nranks(), rt.size());
    /// ```
    pub fn distribution_map(&self) -> &Distribution {
        &self.dist
    }

    /// The rank owning element `index` (`NGA_Locate`).
    ///
    /// # One-sided
    ///
    /// ```
    /// let rt = gain::init().unwrap();
    /// let ga = gain::GlobalArray::<i32, _>::zeros(&rt, [8, 8]).unwrap();
    /// let r = ga.locate(&[7, 7]).unwrap();
    /// assert!(ga.distribution(r).unwrap().contains(&[7, 7]));
    /// assert!(ga.locate(&[8, 0]).is_err());
    /// ```
    pub fn locate(&self, index: &[usize]) -> Result<usize> {
        self.dist.owner(index)
    }

    /// The owners of a section and their pieces of it, in global
    /// coordinates (`NGA_Locate_region`).
    ///
    /// # One-sided
    ///
    /// ```
    /// let rt = gain::init().unwrap();
    /// let ga = gain::GlobalArray::<i32, _>::zeros(&rt, [8, 8]).unwrap();
    /// let pieces = ga.locate_region([0..8, 0..8]).unwrap();
    /// assert_eq!(pieces.iter().map(|(_, s)| s.len()).sum::<usize>(), 64);
    /// ```
    pub fn locate_region(&self, section: impl IntoSection) -> Result<Vec<(usize, Section)>> {
        self.dist
            .locate_region(&section.into_section(self.shape())?)
    }

    /// Whether `other` has the same shape and block map
    /// (`GA_Compare_distr`), so that blocks correspond rank by rank.
    ///
    /// # One-sided
    ///
    /// ```
    /// let rt = gain::init().unwrap();
    /// let a = gain::GlobalArray::<f64, _>::zeros(&rt, [8, 8]).unwrap();
    /// let b = a.duplicate().unwrap();
    /// assert!(a.compare_distr(&b));
    /// ```
    pub fn compare_distr<U: Element, E: Dimension>(&self, other: &GlobalArray<U, E>) -> bool {
        self.dist == other.dist
    }

    /// The ranks whose blocks this rank can access directly through shared
    /// memory (its node, including itself).
    ///
    /// # One-sided
    ///
    /// ```
    /// let rt = gain::init().unwrap();
    /// let ga = gain::GlobalArray::<f64, _>::zeros(&rt, 16).unwrap();
    /// assert!(ga.node_ranks().contains(&rt.rank()));
    /// ```
    pub fn node_ranks(&self) -> Vec<usize> {
        self.rt.node_ranks()
    }

    /// The runtime the array lives on.
    ///
    /// # One-sided
    ///
    /// ```
    /// let rt = gain::init().unwrap();
    /// let ga = gain::GlobalArray::<f64, _>::zeros(&rt, 16).unwrap();
    /// assert_eq!(ga.runtime().rank(), rt.rank());
    /// ```
    pub fn runtime(&self) -> &Runtime {
        &self.rt
    }

    /// Whether accumulates go through `MPI_Accumulate` for every target
    /// (the job spans nodes) rather than locked shared-memory adds.
    ///
    /// # One-sided
    ///
    /// ```
    /// let rt = gain::init().unwrap();
    /// let ga = gain::GlobalArray::<f64, _>::zeros(&rt, 16).unwrap();
    /// assert_eq!(ga.accumulates_via_mpi(), rt.spans_nodes());
    /// ```
    pub fn accumulates_via_mpi(&self) -> bool {
        self.win.route() == crate::window::AccRoute::Mpi
    }

    /// Whether MPI reported the separate memory model for the array's
    /// windows (then `sync` also calls `MPI_Win_sync` on the world window).
    ///
    /// # One-sided
    ///
    /// ```
    /// let rt = gain::init().unwrap();
    /// let ga = gain::GlobalArray::<f64, _>::zeros(&rt, 16).unwrap();
    /// println!("separate model: {}", ga.separate_memory_model());
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
    /// # One-sided
    ///
    /// ```
    /// let rt = gain::init().unwrap();
    /// let a = gain::GlobalArray::<f64, _>::zeros(&rt, [2, 3]).unwrap();
    /// let d = a.into_dimensionality::<ndarray::IxDyn>().unwrap();
    /// assert_eq!(d.shape(), &[2, 3]);
    /// assert!(d.into_dimensionality::<ndarray::Ix1>().is_err());
    /// ```
    pub fn into_dimensionality<E: Dimension>(self) -> Result<GlobalArray<T, E>> {
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
            block_shapes,
            rt,
            ..
        } = self;
        Ok(GlobalArray {
            win,
            dist,
            dim,
            blocks,
            block_shapes,
            rt,
        })
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
    /// you issue, and never free or unlock the windows.
    ///
    /// # One-sided
    ///
    /// ```
    /// let rt = gain::init().unwrap();
    /// let ga = gain::GlobalArray::<f64, _>::zeros(&rt, 8).unwrap();
    /// let (_node, world) = ga.mpi_windows();
    /// assert_eq!(world.is_some(), rt.spans_nodes());
    /// ```
    pub fn mpi_windows(&self) -> (mpi::ffi::MPI_Win, Option<mpi::ffi::MPI_Win>) {
        self.win.handles()
    }

    /// Owner rank and byte displacement of element `index` in the owner's
    /// segment of either window of [`mpi_windows`](Self::mpi_windows).
    ///
    /// # One-sided
    ///
    /// ```
    /// let rt = gain::init().unwrap();
    /// let ga = gain::GlobalArray::<f64, _>::zeros(&rt, 8).unwrap();
    /// let (rank, disp) = ga.mpi_displacement(&[0]).unwrap();
    /// assert_eq!(rank, 0);
    /// assert!(disp >= 0);
    /// ```
    pub fn mpi_displacement(&self, index: &[usize]) -> Result<(usize, mpi::ffi::MPI_Aint)> {
        let rank = self.dist.owner(index)?;
        Ok((
            rank,
            self.win.displacement(rank, self.block_offset(rank, index)),
        ))
    }

    /// Row-major offset of `index` (owned by `rank`) within `rank`'s block.
    fn block_offset(&self, rank: usize, index: &[usize]) -> usize {
        let block = self.blocks[rank].as_ref().expect("owner has a block");
        index
            .iter()
            .zip(block.lo())
            .zip(&self.block_shapes[rank])
            .fold(0, |acc, ((&i, &lo), &n)| acc * n + (i - lo))
    }
}

/// # Synchronisation
impl<T: Element, D: Dimension> GlobalArray<T, D> {
    /// Completes every rank's earlier puts and accumulates, makes them and
    /// all local writes visible everywhere, then waits for every rank
    /// (`GA_Sync`).
    ///
    /// # Collective
    ///
    /// ```
    /// let rt = gain::init().unwrap();
    /// let mut ga = gain::GlobalArray::<i64, _>::zeros(&rt, 4 * rt.size()).unwrap();
    /// ga.local_mut().fill(rt.rank() as i64);
    /// ga.sync().unwrap();
    /// assert_eq!(ga.get(0..1).unwrap()[0], 0);
    /// ```
    pub fn sync(&self) -> Result<()> {
        self.win.sync()
    }

    /// Waits until this rank's earlier puts and accumulates are complete at
    /// their targets (`GA_Fence`). Operations return once their buffer can
    /// be reused; `fence` is for when another rank will read the result
    /// after some synchronisation outside gain.
    ///
    /// # One-sided
    ///
    /// ```
    /// let rt = gain::init().unwrap();
    /// let ga = gain::GlobalArray::<f64, _>::zeros(&rt, 8).unwrap();
    /// ga.put(0..2, ndarray::array![1.0, 2.0].view()).unwrap();
    /// ga.fence().unwrap();
    /// ```
    pub fn fence(&self) -> Result<()> {
        self.win.complete()
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
        let block = self.blocks[rank].as_ref().expect("owner has a block");
        Piece {
            rank,
            block: &self.block_shapes[rank],
            in_block: part.relative_to(block.lo()),
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

/// A fingerprint of an array's type and layout, compared across ranks.
fn fingerprint<T: Element>(dist: &Distribution) -> u64 {
    let mut h = DefaultHasher::new();
    std::any::type_name::<T>().hash(&mut h);
    dist.hash(&mut h);
    h.finish()
}
