//! Distribution math: which rank owns which block of an N-d array.
//!
//! Pure index arithmetic, no MPI: a [`Distribution`] maps an array shape
//! onto a process grid, either regularly (Global Arrays' `NGA_Create`, with
//! optional chunk hints) or with explicit block boundaries
//! (`NGA_Create_irreg`). Ranks are numbered row-major over the grid; ranks
//! past the grid's size own nothing.
//!
//! Shapes may have zero-length axes, as in NumPy. Such a shape has no
//! elements and its distribution has no blocks: each zero-length axis has
//! a grid extent of 0 (bounds `[0]`), every other axis one block, and no
//! rank owns anything.

pub(crate) mod ghosts;
mod into_section;
pub(crate) mod locate;
mod periodic;
mod section;
mod strided;

pub use into_section::IntoSection;
pub use periodic::PeriodicRanges;
pub(crate) use periodic::{PeriodicParts, periodic_parts};
pub(crate) use section::narrow;
pub use section::{MAX_DIMS, Section};
pub(crate) use strided::narrow_stepped;
pub use strided::{IntoStridedSection, StridedSection};

use crate::error::{Result, bail};
use crate::fault::during;

/// How an N-d array is cut into blocks and which rank owns each block.
///
/// Every dimension `d` is cut at `bounds[d]` (block starts, then the extent),
/// giving a process grid of `grid[d]` blocks per dimension. The block with
/// grid coordinates `c` belongs to the rank whose row-major grid index is `c`.
///
/// # Local
///
/// A distribution is plain data; building and querying one is a pure
/// computation on the calling rank.
///
/// # Examples
///
/// ```
/// use gain::{Distribution, Section};
/// let d = Distribution::regular(&[10, 6], 4, None)?;
/// assert_eq!(d.grid(), &[2, 2]);
/// assert_eq!(d.block(3), Some(Section::from([5..10, 3..6])));
/// assert_eq!(d.owner(&[7, 1])?, 2);
/// # Ok::<(), gain::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Distribution {
    shape: Vec<usize>,
    bounds: Vec<Vec<usize>>,
    grid: Vec<usize>,
    nranks: usize,
}

impl Distribution {
    /// A regular block distribution of `shape` over `nranks` ranks.
    ///
    /// The process grid is the one [`process_grid`] chooses; block extents
    /// along a dimension differ by at most one. `chunk[d] > 0` asks for
    /// blocks of at least `chunk[d]` elements along `d` (Global Arrays'
    /// chunk argument); `chunk[d] >= shape[d]` keeps `d` undistributed.
    /// A shape with a zero-length axis gets no blocks (see the module
    /// docs); its chunk hint is checked for length only.
    ///
    /// Errors: [`SizeOverflow`](crate::ErrorKind::SizeOverflow),
    /// [`DimensionMismatch`](crate::ErrorKind::DimensionMismatch) for no or
    /// more than [`MAX_DIMS`] dimensions,
    /// [`InvalidDistribution`](crate::ErrorKind::InvalidDistribution) for a
    /// chunk list of the wrong length or zero ranks.
    ///
    /// # Local
    ///
    /// Index arithmetic on the calling rank; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// use gain::Distribution;
    /// let d = Distribution::regular(&[100, 100], 6, Some(&[0, 100]))?;
    /// assert_eq!(d.grid(), &[6, 1]);
    /// let empty = Distribution::regular(&[0, 5], 6, None)?;
    /// assert_eq!(empty.grid(), &[0, 1]);
    /// assert_eq!(empty.block(0), None);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn regular(shape: &[usize], nranks: usize, chunk: Option<&[usize]>) -> Result<Self> {
        during("Distribution::regular", move || -> Result<Self> {
            check_shape(shape)?;
            if nranks == 0 {
                bail!(
                    InvalidDistribution,
                    "a distribution needs at least one rank"
                );
            }
            if let Some(c) = chunk
                && c.len() != shape.len()
            {
                bail!(
                    InvalidDistribution,
                    "chunk hint has {} entries for a {}-d array",
                    c.len(),
                    shape.len()
                );
            }
            if shape.contains(&0) {
                return Ok(Distribution::empty(shape, nranks));
            }
            let grid = process_grid(nranks, shape, chunk);
            let bounds = shape
                .iter()
                .zip(&grid)
                .map(|(&n, &p)| {
                    let (q, r) = (n / p, n % p);
                    let mut b = Vec::with_capacity(p + 1);
                    let mut s = 0;
                    for i in 0..p {
                        b.push(s);
                        s += q + usize::from(i < r);
                    }
                    b.push(n);
                    b
                })
                .collect();
            Ok(Distribution {
                shape: shape.to_vec(),
                bounds,
                grid,
                nranks,
            })
        })
    }

    /// An irregular distribution: `block_starts[d]` lists where the blocks of
    /// dimension `d` begin (Global Arrays' `map`, zero-based). The first
    /// start must be 0 and starts must strictly increase below the extent.
    /// The number of blocks must not exceed `nranks`. A zero-length
    /// dimension takes `vec![]` or `vec![0]` and has no blocks, and then
    /// nobody owns anything (see the module docs); the other dimensions'
    /// maps are still checked.
    ///
    /// Errors: [`InvalidDistribution`](crate::ErrorKind::InvalidDistribution)
    /// for a malformed block map, and those of [`regular`](Self::regular) for
    /// the shape.
    ///
    /// # Local
    ///
    /// Index arithmetic on the calling rank; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// use gain::{Distribution, Section};
    /// let d = Distribution::irregular(&[10, 4], 3, &[vec![0, 2, 9], vec![0]])?;
    /// assert_eq!(d.grid(), &[3, 1]);
    /// assert_eq!(d.block(1), Some(Section::from([2..9, 0..4])));
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn irregular(shape: &[usize], nranks: usize, block_starts: &[Vec<usize>]) -> Result<Self> {
        during("Distribution::irregular", move || -> Result<Self> {
            check_shape(shape)?;
            if block_starts.len() != shape.len() {
                bail!(
                    InvalidDistribution,
                    "block map has {} dimensions, array has {}",
                    block_starts.len(),
                    shape.len()
                );
            }
            let mut bounds = Vec::with_capacity(shape.len());
            for (d, (starts, &n)) in block_starts.iter().zip(shape).enumerate() {
                if n == 0 && starts.len() <= 1 && starts.iter().all(|&s| s == 0) {
                    // Checked for their maps, then replaced by the empty layout.
                    bounds.push(vec![0]);
                    continue;
                }
                if starts.first() != Some(&0) {
                    bail!(
                        InvalidDistribution,
                        "block map of dimension {d} must start at 0"
                    );
                }
                if starts.windows(2).any(|w| w[0] >= w[1]) || starts.last().is_some_and(|&l| l >= n)
                {
                    bail!(
                        InvalidDistribution,
                        "block starts {starts:?} of dimension {d} must increase strictly below {n}"
                    );
                }
                let mut b = starts.clone();
                b.push(n);
                bounds.push(b);
            }
            if shape.contains(&0) {
                return Ok(Distribution::empty(shape, nranks));
            }
            let grid: Vec<usize> = bounds.iter().map(|b| b.len() - 1).collect();
            let blocks = grid.iter().try_fold(1usize, |a, &g| a.checked_mul(g));
            if blocks.is_none_or(|b| b > nranks) {
                bail!(
                    InvalidDistribution,
                    "block map has {grid:?} blocks, more than the {nranks} ranks"
                );
            }
            Ok(Distribution {
                shape: shape.to_vec(),
                bounds,
                grid,
                nranks,
            })
        })
    }

    /// The layout of a shape with a zero-length axis: no blocks. Zero-length
    /// axes have grid extent 0 and bounds `[0]`, the others one block.
    fn empty(shape: &[usize], nranks: usize) -> Distribution {
        Distribution {
            shape: shape.to_vec(),
            bounds: shape
                .iter()
                .map(|&n| if n == 0 { vec![0] } else { vec![0, n] })
                .collect(),
            grid: shape.iter().map(|&n| usize::from(n > 0)).collect(),
            nranks,
        }
    }

    /// The array shape.
    ///
    /// # Local
    ///
    /// A query of the distribution; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// let d = gain::Distribution::regular(&[4, 5], 2, None)?;
    /// assert_eq!(d.shape(), &[4, 5]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// Blocks per dimension.
    ///
    /// # Local
    ///
    /// A query of the distribution; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// let d = gain::Distribution::regular(&[4, 5], 2, None)?;
    /// assert_eq!(d.grid().iter().product::<usize>(), 2);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn grid(&self) -> &[usize] {
        &self.grid
    }

    /// Number of ranks the distribution was made for.
    ///
    /// # Local
    ///
    /// A query of the distribution; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(gain::Distribution::regular(&[3], 5, None)?.nranks(), 5);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn nranks(&self) -> usize {
        self.nranks
    }

    /// Block boundaries of dimension `d`: block starts followed by the extent.
    ///
    /// **Panics** if `d` is not below [`ndim`](Self::ndim).
    ///
    /// # Local
    ///
    /// A query of the distribution; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// let d = gain::Distribution::regular(&[10], 3, None)?;
    /// assert_eq!(d.bounds(0), &[0, 4, 7, 10]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn bounds(&self, d: usize) -> &[usize] {
        &self.bounds[d]
    }

    /// The section owned by `rank`, `None` when it owns nothing (ranks past
    /// the process grid, e.g. when there are more ranks than elements, and
    /// every rank of a shape with a zero-length axis).
    ///
    /// # Local
    ///
    /// Index arithmetic on the calling rank; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// use gain::{Distribution, Section};
    /// let d = Distribution::regular(&[3], 4, None)?;
    /// assert_eq!(d.block(2), Some(Section::from([2..3])));
    /// assert_eq!(d.block(3), None);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn block(&self, rank: usize) -> Option<Section> {
        let nblocks: usize = self.grid.iter().product();
        if rank >= nblocks {
            return None;
        }
        let mut rem = rank;
        let mut c = [0usize; MAX_DIMS];
        for d in (0..self.ndim()).rev() {
            c[d] = rem % self.grid[d];
            rem /= self.grid[d];
        }
        Some(Section::from_fn(self.ndim(), |d| {
            (self.bounds[d][c[d]], self.bounds[d][c[d] + 1])
        }))
    }

    /// The rank that owns element `index`.
    ///
    /// Errors: [`OutOfBounds`](crate::ErrorKind::OutOfBounds),
    /// [`DimensionMismatch`](crate::ErrorKind::DimensionMismatch).
    ///
    /// # Local
    ///
    /// Index arithmetic on the calling rank; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// let d = gain::Distribution::regular(&[10], 3, None)?;
    /// assert_eq!(d.owner(&[4])?, 1);
    /// assert!(d.owner(&[10]).is_err());
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn owner(&self, index: &[usize]) -> Result<usize> {
        during("Distribution::owner", move || -> Result<usize> {
            if index.len() != self.ndim() {
                bail!(
                    DimensionMismatch,
                    "index has {} dimensions, array has {}",
                    index.len(),
                    self.ndim()
                );
            }
            let mut rank = 0;
            for (d, &i) in index.iter().enumerate() {
                if i >= self.shape[d] {
                    bail!(
                        OutOfBounds,
                        "index {i} is out of bounds in dimension {d} of extent {}",
                        self.shape[d]
                    );
                }
                rank = rank * self.grid[d] + self.block_index(d, i);
            }
            Ok(rank)
        })
    }

    /// Splits `section` into the pieces owned by each rank: `(rank, piece)`
    /// in rank order, pieces in global coordinates. An empty section yields
    /// no pieces.
    ///
    /// Errors: those of [`Section::check_within`] against the shape.
    ///
    /// # Local
    ///
    /// Index arithmetic on the calling rank; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// use gain::{Distribution, Section};
    /// let d = Distribution::regular(&[10], 2, None)?;
    /// let pieces = d.locate_region(&Section::from([3..7]))?;
    /// assert_eq!(pieces, vec![(0, Section::from([3..5])), (1, Section::from([5..7]))]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn locate_region(&self, section: &Section) -> Result<Vec<(usize, Section)>> {
        during(
            "Distribution::locate_region",
            move || -> Result<Vec<(usize, Section)>> {
                section.check_within(&self.shape)?;
                if section.is_empty() {
                    return Ok(Vec::new());
                }
                let n = self.ndim();
                let first: Vec<usize> = (0..n)
                    .map(|d| self.block_index(d, section.lo()[d]))
                    .collect();
                let last: Vec<usize> = (0..n)
                    .map(|d| self.block_index(d, section.hi()[d] - 1))
                    .collect();
                let mut out = Vec::new();
                let mut c = first.clone();
                loop {
                    let rank = c.iter().zip(&self.grid).fold(0, |r, (&c, &g)| r * g + c);
                    let piece = Section::from_fn(n, |d| {
                        (
                            self.bounds[d][c[d]].max(section.lo()[d]),
                            self.bounds[d][c[d] + 1].min(section.hi()[d]),
                        )
                    });
                    out.push((rank, piece));
                    // Odometer increment, last dimension fastest (row-major ranks).
                    let mut d = n;
                    loop {
                        if d == 0 {
                            return Ok(out);
                        }
                        d -= 1;
                        if c[d] < last[d] {
                            c[d] += 1;
                            break;
                        }
                        c[d] = first[d];
                    }
                }
            },
        )
    }

    /// Number of dimensions.
    ///
    /// # Local
    ///
    /// A query of the distribution; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(gain::Distribution::regular(&[2, 2, 2], 1, None)?.ndim(), 3);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn ndim(&self) -> usize {
        self.shape.len()
    }

    fn block_index(&self, d: usize, i: usize) -> usize {
        self.bounds[d].partition_point(|&s| s <= i) - 1
    }
}

fn check_shape(shape: &[usize]) -> Result<()> {
    if shape.is_empty() || shape.len() > MAX_DIMS {
        bail!(
            DimensionMismatch,
            "arrays have 1 to {MAX_DIMS} dimensions, not {}",
            shape.len()
        );
    }
    if shape
        .iter()
        .try_fold(1usize, |a, &n| a.checked_mul(n))
        .is_none_or(|n| n > isize::MAX as usize)
    {
        bail!(
            SizeOverflow,
            "shape {shape:?} has more elements than fit in memory"
        );
    }
    Ok(())
}

/// The process grid for a regular distribution: `grid[d]` blocks along each
/// dimension, with `product(grid) <= nranks`.
///
/// It uses as many ranks as it can such that no dimension gets more blocks
/// than elements (or than `shape[d] / chunk[d]` with a chunk hint). Among
/// those factorisations it minimises the largest block, then the blocks'
/// surface (the data a stencil exchanges), then prefers cutting outer
/// dimensions, whose blocks are contiguous in row-major order.
///
/// # Local
///
/// Index arithmetic on the calling rank; no communication.
///
/// # Examples
///
/// ```
/// assert_eq!(gain::process_grid(4, &[100, 100], None), vec![2, 2]);
/// assert_eq!(gain::process_grid(12, &[600, 400], None), vec![6, 2]);
/// assert_eq!(gain::process_grid(4, &[3], None), vec![3]);
/// assert_eq!(gain::process_grid(4, &[1000, 1000], Some(&[0, 1000])), vec![4, 1]);
/// ```
pub fn process_grid(nranks: usize, shape: &[usize], chunk: Option<&[usize]>) -> Vec<usize> {
    let limits: Vec<usize> = shape
        .iter()
        .enumerate()
        .map(|(d, &n)| match chunk.map(|c| c[d]) {
            Some(c) if c > 0 => (n / c).max(1),
            _ => n.max(1),
        })
        .collect();
    let cap = limits
        .iter()
        .try_fold(1usize, |a, &l| a.checked_mul(l))
        .unwrap_or(usize::MAX);
    let mut p = nranks.min(cap).max(1);
    loop {
        let mut best: Option<(u128, u128, Vec<usize>)> = None;
        let mut grid = Vec::with_capacity(shape.len());
        factorisations(p, &limits, &mut grid, &mut |g| {
            let ext: Vec<u128> = g
                .iter()
                .zip(shape)
                .map(|(&p, &n)| n.div_ceil(p) as u128)
                .collect();
            let vol: u128 = ext.iter().product();
            let surf: u128 = ext.iter().map(|&e| vol / e).sum();
            let better = match &best {
                None => true,
                Some((bv, bs, bg)) => {
                    (vol, surf, std::cmp::Reverse(g)) < (*bv, *bs, std::cmp::Reverse(bg))
                }
            };
            if better {
                best = Some((vol, surf, g.to_vec()));
            }
        });
        if let Some((_, _, g)) = best {
            return g;
        }
        p -= 1;
    }
}

/// Calls `f` with every ordered factorisation of `p` into `limits.len()`
/// factors with `factor[d] <= limits[d]`.
fn factorisations(p: usize, limits: &[usize], cur: &mut Vec<usize>, f: &mut dyn FnMut(&[usize])) {
    let d = cur.len();
    if d + 1 == limits.len() {
        if p <= limits[d] {
            cur.push(p);
            f(cur);
            cur.pop();
        }
        return;
    }
    let mut q = 1;
    while q * q <= p {
        if p.is_multiple_of(q) {
            let pair = [q, p / q];
            let distinct = if q * q == p { &pair[..1] } else { &pair[..] };
            for &r in distinct {
                if r <= limits[d] {
                    cur.push(r);
                    factorisations(p / r, limits, cur, f);
                    cur.pop();
                }
            }
        }
        q += 1;
    }
}

#[cfg(test)]
mod tests;
