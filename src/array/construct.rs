//! Creating, copying and destroying global arrays (all collective).

use ndarray::{Dimension, IntoDimension};

use super::ghosts::Ghosts;
use super::local::BlockUse;
use super::{BlockTable, GlobalArray, arguments};
use crate::dist::{Distribution, Section};
use crate::element::Element;
use crate::error::{Error, ErrorKind, Result, bail};
use crate::fault::during;
use crate::runtime::Runtime;
use crate::window::Window;

/// # Construction
impl<T: Element, D: Dimension> GlobalArray<T, D> {
    /// A zero-filled array of `shape`, regularly distributed over all ranks
    /// (`NGA_Create`; process grid from [`process_grid`](crate::process_grid)).
    ///
    /// A shape may have zero-length axes; the array then has no elements
    /// (see [`GlobalArray`]).
    ///
    /// Errors (on every rank, before anything is allocated):
    /// [`SizeOverflow`](ErrorKind::SizeOverflow),
    /// [`InconsistentArguments`](ErrorKind::InconsistentArguments) when
    /// ranks pass different shapes;
    /// [`InvalidArgument`](ErrorKind::InvalidArgument) when
    /// `GAIN_MAX_TRANSFER_BYTES` is set and not a positive integer (every
    /// array creation returns it).
    ///
    /// # Collective
    ///
    /// Every rank of the runtime must call it with the same element type and
    /// shape (checked); it returns when every rank's block is allocated and
    /// zeroed.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let ga = gain::GlobalArray::<f32, _>::zeros(&rt, [100, 200])?;
    /// assert_eq!(ga.get(ndarray::s![..1, ..2])?.sum(), 0.0);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn zeros<Sh: IntoDimension<Dim = D>>(rt: &Runtime, shape: Sh) -> Result<Self> {
        during("GlobalArray::zeros", move || -> Result<Self> {
            let dim = shape.into_dimension();
            let dist = Distribution::regular(dim.slice(), rt.size(), None);
            Self::create(rt, dist)
        })
    }

    /// Like [`zeros`](Self::zeros) with Global Arrays' chunk hints:
    /// `chunk[d] > 0` asks for blocks of at least `chunk[d]` elements along
    /// dimension `d`; `chunk[d] >= shape[d]` keeps `d` whole on each rank.
    ///
    /// Errors: as [`zeros`](Self::zeros), and
    /// [`InvalidDistribution`](ErrorKind::InvalidDistribution) for a chunk
    /// list of the wrong length.
    ///
    /// # Collective
    ///
    /// Every rank must call it with the same element type, shape and chunk
    /// hints (checked); it returns when every rank's block is allocated and
    /// zeroed.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// // Rows stay whole: ranks own bands of rows.
    /// let ga = gain::GlobalArray::<f64, _>::zeros_chunked(&rt, [64, 64], &[0, 64])?;
    /// assert_eq!(ga.distribution_map().grid()[1], 1);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn zeros_chunked<Sh: IntoDimension<Dim = D>>(
        rt: &Runtime,
        shape: Sh,
        chunk: &[usize],
    ) -> Result<Self> {
        during("GlobalArray::zeros_chunked", move || -> Result<Self> {
            let dim = shape.into_dimension();
            let dist = Distribution::regular(dim.slice(), rt.size(), Some(chunk));
            Self::create(rt, dist)
        })
    }

    /// A zero-filled array with explicit block boundaries
    /// (`NGA_Create_irreg`): `block_starts[d]` lists where the blocks of
    /// dimension `d` begin. Ranks past the number of blocks own nothing.
    ///
    /// Errors: as [`zeros`](Self::zeros), and
    /// [`InvalidDistribution`](ErrorKind::InvalidDistribution) for a
    /// malformed block map.
    ///
    /// # Collective
    ///
    /// Every rank must call it with the same element type, shape and block
    /// starts (checked); it returns when every rank's block is allocated and
    /// zeroed.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let starts = if rt.size() >= 2 { vec![vec![0, 3]] } else { vec![vec![0]] };
    /// let ga = gain::GlobalArray::<i32, _>::zeros_irregular(&rt, 10, &starts)?;
    /// let first = if rt.size() >= 2 { 3 } else { 10 };
    /// assert_eq!(ga.distribution(0), Some(gain::Section::from(0..first)));
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn zeros_irregular<Sh: IntoDimension<Dim = D>>(
        rt: &Runtime,
        shape: Sh,
        block_starts: &[Vec<usize>],
    ) -> Result<Self> {
        during("GlobalArray::zeros_irregular", move || -> Result<Self> {
            let dim = shape.into_dimension();
            let dist = Distribution::irregular(dim.slice(), rt.size(), block_starts);
            Self::create(rt, dist)
        })
    }

    /// A zero-filled array laid out by `dist`, which must be made for
    /// `rt.size()` ranks and have `D`'s number of dimensions.
    ///
    /// Errors: [`DimensionMismatch`](ErrorKind::DimensionMismatch),
    /// [`InvalidDistribution`](ErrorKind::InvalidDistribution) for a
    /// distribution made for another number of ranks,
    /// [`InconsistentArguments`](ErrorKind::InconsistentArguments) when
    /// ranks pass different distributions, and those of
    /// [`zeros`](Self::zeros) for the environment.
    ///
    /// # Collective
    ///
    /// Every rank must call it with the same element type and distribution
    /// (checked); it returns when every rank's block is allocated and zeroed.
    ///
    /// # Examples
    ///
    /// ```
    /// use ndarray::Ix2;
    /// # let rt = gain::init()?;
    /// let dist = gain::Distribution::regular(&[6, 6], rt.size(), None)?;
    /// let ga = gain::GlobalArray::<f64, Ix2>::with_distribution(&rt, dist.clone())?;
    /// assert_eq!(ga.distribution_map(), &dist);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn with_distribution(rt: &Runtime, dist: Distribution) -> Result<Self> {
        during("GlobalArray::with_distribution", move || -> Result<Self> {
            Self::create(rt, Ok(dist))
        })
    }

    fn create(rt: &Runtime, dist: Result<Distribution>) -> Result<Self> {
        Self::create_padded(rt, dist, None)
    }

    /// [`create`](Self::create) with blocks padded by ghost widths (`None`:
    /// no ghosts), checked (`dist::ghosts::check`) and agreed with the
    /// rest.
    pub(super) fn create_padded(
        rt: &Runtime,
        dist: Result<Distribution>,
        ghosts: Option<(&[usize], &[bool])>,
    ) -> Result<Self> {
        let checked = dist.and_then(|dist| {
            if D::NDIM.is_some_and(|n| n != dist.ndim()) {
                bail!(
                    DimensionMismatch,
                    "a {}-d distribution for a {:?}-d array",
                    dist.ndim(),
                    D::NDIM
                );
            }
            if dist.nranks() != rt.size() {
                bail!(
                    InvalidDistribution,
                    "distribution for {} ranks on a job of {}",
                    dist.nranks(),
                    rt.size()
                );
            }
            let (widths, periodic) = match ghosts {
                Some((w, p)) => {
                    crate::dist::ghosts::check(&dist, w, p)?;
                    (w.to_vec(), p.to_vec())
                }
                None => (vec![0; dist.ndim()], vec![false; dist.ndim()]),
            };
            let block_bytes = dist
                .block(rt.rank())
                .map_or(Some(0), |b| padded_len(&b, &widths))
                .and_then(|n| n.checked_mul(size_of::<T>()))
                .filter(|&b| b <= isize::MAX as usize / 2);
            if block_bytes.is_none() {
                bail!(SizeOverflow, "this rank's block does not fit in memory");
            }
            Ok((dist, Ghosts::new(widths, periodic)))
        });
        let args = checked.as_ref().map_err(Error::clone).map(|(dist, g)| {
            let mut a = arguments::<T>(dist);
            a.push(("ghost widths", format!("{:?}", g.widths)));
            a.push(("periodic axes", format!("{:?}", g.periodic)));
            a
        });
        rt.agree_arguments(args.as_ref().map(|a| &a[..]).map_err(Error::clone))?;
        let (dist, ghosts) = checked?;
        let len = dist.block(rt.rank()).as_ref().map_or(0, |b| {
            crate::dist::ghosts::padded_shape(b, &ghosts.widths)
                .iter()
                .product()
        });
        let win = Window::allocate(&rt.placement(), len)?;
        Ok(Self::assemble(rt, dist, win, ghosts))
    }

    /// The array over `win`, whose blocks `dist` lays out: the block
    /// table and per-block view counters every constructor derives the
    /// same way.
    pub(super) fn assemble(
        rt: &Runtime,
        dist: Distribution,
        win: Window<T>,
        ghosts: Ghosts<T>,
    ) -> Self {
        let blocks = BlockTable::new(rt.size());
        let mut dim = D::zeros(dist.ndim());
        dim.slice_mut().copy_from_slice(dist.shape());
        let views = (0..win.node_size()).map(|_| BlockUse::new()).collect();
        GlobalArray {
            win,
            dist,
            dim,
            blocks,
            ghosts,
            views,
            rt: rt.clone(),
        }
    }

    /// A new zero-filled array with the same shape, distribution and ghost
    /// widths (`GA_Duplicate`; contents are not copied, see
    /// [`copy_from`](Self::copy_from)).
    ///
    /// # Collective
    ///
    /// Every rank must call it on the same array; it returns when every
    /// rank's block of the new array is allocated and zeroed.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::GlobalArray::<f64, _>::zeros(&rt, [5, 5])?;
    /// let b = a.duplicate()?;
    /// assert!(a.compare_distr(&b));
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn duplicate(&self) -> Result<Self> {
        during("GlobalArray::duplicate", move || -> Result<Self> {
            let g = &self.ghosts;
            let ghosts = g.any().then_some((&g.widths[..], &g.periodic[..]));
            Self::create_padded(&self.rt, Ok(self.dist.clone()), ghosts)
        })
    }

    /// Sets every element to `value` (`GA_Fill`), then synchronises.
    ///
    /// Errors: [`ReadOnly`](ErrorKind::ReadOnly) on every rank, before
    /// anything else, for an array mapped read-only from its file.
    ///
    /// # Collective
    ///
    /// Every rank must call it on the same array with the same `value` (not
    /// checked: each rank fills its own block with the value it passes); it
    /// synchronises before and after, so it returns with every element set
    /// and visible to all ranks.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let mut ga = gain::GlobalArray::<i32, _>::zeros(&rt, 10)?;
    /// ga.fill(7)?;
    /// assert_eq!(ga.get(..)?.sum(), 70);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn fill(&mut self, value: T) -> Result<()> {
        during("GlobalArray::fill", move || -> Result<()> {
            self.check_writable()?;
            self.sync()?;
            self.local_mut().fill(value);
            self.sync()
        })
    }

    /// Copies `other`'s contents into this array of the same shape
    /// (`GA_Copy`); the distributions may differ.
    ///
    /// Errors: [`ShapeMismatch`](ErrorKind::ShapeMismatch) on every rank
    /// when the shapes differ; [`ReadOnly`](ErrorKind::ReadOnly) on every
    /// rank when this array is mapped read-only from its file.
    ///
    /// # Collective
    ///
    /// Every rank must call it with the same pair of arrays; it synchronises
    /// both arrays before and this one after, so it returns with the copy
    /// complete and visible to all ranks.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let mut a = gain::GlobalArray::<f64, _>::zeros(&rt, [6, 4])?;
    /// a.fill(2.5)?;
    /// let mut b = gain::GlobalArray::<f64, _>::zeros_chunked(&rt, [6, 4], &[6, 0])?;
    /// b.copy_from(&a)?;
    /// assert_eq!(b.get(..)?.sum(), 60.0);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn copy_from(&mut self, other: &GlobalArray<T, D>) -> Result<()> {
        during("GlobalArray::copy_from", move || -> Result<()> {
            self.check_writable()?;
            if self.shape() != other.shape() {
                return Err(Error::new(
                    ErrorKind::ShapeMismatch,
                    format!(
                        "copy from shape {:?} into {:?}",
                        other.shape(),
                        self.shape()
                    ),
                ));
            }
            other.sync()?;
            self.sync()?;
            if self.compare_distr(other) {
                // Same blocks: a copy of this rank's block, in runs of
                // 32 KiB shared among the threads of the rank's pool
                // (blocks with ghost cells are strided: assigned).
                let src = other.local();
                let mut dst = self.local_mut();
                if let (Some(src), Some(dst)) = (src.as_slice(), dst.as_slice_mut()) {
                    let run = (32 * 1024 / size_of::<T>()).max(1);
                    let runs: Vec<_> = dst.chunks_mut(run).zip(src.chunks(run)).collect();
                    crate::threads::for_each(runs, |(d, s)| d.copy_from_slice(s));
                } else {
                    dst.assign(&*src);
                }
            } else if let Some(mine) = self.distribution(self.rt.rank()) {
                let dst = self.local_mut();
                other.with_pieces(&mine, |p| other.win.read_into(p, dst))?;
            }
            other.sync()?;
            self.sync()
        })
    }

    /// Frees the array now, reporting MPI errors instead of aborting as
    /// `Drop` does.
    ///
    /// # Collective
    ///
    /// Every rank must destroy (or drop) the array at the same point among
    /// its collective calls; it returns when the array's MPI windows are
    /// freed, which waits for every rank. Dropping an array is equally
    /// collective.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let ga = gain::GlobalArray::<f64, _>::zeros(&rt, 8)?;
    /// ga.destroy()?;
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn destroy(mut self) -> Result<()> {
        during("GlobalArray::destroy", move || -> Result<()> {
            self.win.free()
        })
    }
}

/// The number of elements of `block` padded by `widths`, `None` on
/// overflow.
fn padded_len(block: &Section, widths: &[usize]) -> Option<usize> {
    block
        .shape()
        .iter()
        .zip(widths)
        .try_fold(1usize, |acc, (&n, &w)| {
            acc.checked_mul(n.checked_add(w.checked_mul(2)?)?)
        })
}
