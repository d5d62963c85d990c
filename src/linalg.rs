//! Distributed linear algebra on 2-D global arrays: matrix product
//! (Global Arrays' `GA_Dgemm`, transposed operands included) and
//! transpose.
//!
//! Owner computes: each rank computes its own block of the result. The
//! operand panels it needs come from [`GlobalArray::access_nb`]: read in
//! place from shared memory when one same-node block holds them (no copy),
//! and otherwise fetched with one one-sided non-blocking get per panel,
//! which gain splits among their owners; the next pair of panels is in
//! flight while the current pair is multiplied, so transfers from other
//! nodes overlap the compute. The local products are ndarray's
//! `general_mat_mul`: matrixmultiply's runtime-selected SIMD kernels for
//! `f32`/`f64` by default, or the system's OpenBLAS `dgemm`/`sgemm` with
//! the `blas` cargo feature (then each rank's OpenBLAS gets its share of
//! the node's cores, see [`init`](crate::init)).
//!
//! Operands read like ndarray's: `a.dot(&b)`, `a.t().dot(&b)`,
//! `matmul_into(alpha, a.t(), b.t(), beta, &mut c)`. [`GlobalArray::t`]
//! is a [`MatRef`], a transposed operand that moves no data: a transposed
//! panel is read as the matching panel of the array and multiplied
//! through a transposed ndarray view, as `GA_Dgemm` does with `transa` and
//! `transb`.
//!
//! # Examples
//!
//! ```
//! # let rt = gain::init()?;
//! let a = gain::random::uniform(&rt, [4, 3], 1)?;
//! let b = gain::random::uniform(&rt, [4, 5], 2)?;
//! let c = a.t().dot(&b)?; // 3 × 5, aᵀ never formed
//! let want = a.to_array()?.t().dot(&b.to_array()?);
//! assert!(c.to_array()?.iter().zip(&want).all(|(x, y)| (x - y).abs() < 1e-12));
//! # Ok::<(), gain::Error>(())
//! ```

use ndarray::{Ix2, LinalgScalar};

use crate::error::bail;
use crate::fault::during;
use crate::{Element, GlobalArray, Result};

/// A 2-D global array as a matrix operand, as it is or transposed: made
/// by `&a` (through `From`) or [`GlobalArray::t`]. It borrows the array
/// and moves no data; the products read the panels they need.
///
/// # Examples
///
/// ```
/// use gain::linalg::MatRef;
/// # let rt = gain::init()?;
/// let a = gain::GlobalArray::<f64, _>::zeros(&rt, [2, 5])?;
/// let m: MatRef<f64> = (&a).into();
/// assert_eq!((m.shape(), m.t().shape()), ([2, 5], [5, 2]));
/// # Ok::<(), gain::Error>(())
/// ```
pub struct MatRef<'a, T: Element> {
    array: &'a GlobalArray<T, Ix2>,
    transposed: bool,
}

impl<T: Element> Clone for MatRef<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Element> Copy for MatRef<'_, T> {}

impl<T: Element> std::fmt::Debug for MatRef<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MatRef")
            .field("shape", &self.shape())
            .field("transposed", &self.transposed)
            .finish()
    }
}

impl<'a, T: Element> From<&'a GlobalArray<T, Ix2>> for MatRef<'a, T> {
    fn from(array: &'a GlobalArray<T, Ix2>) -> Self {
        MatRef {
            array,
            transposed: false,
        }
    }
}

impl<'a, T: Element> From<&MatRef<'a, T>> for MatRef<'a, T> {
    fn from(m: &MatRef<'a, T>) -> Self {
        *m
    }
}

impl<'a, T: Element> MatRef<'a, T> {
    /// The operand's shape: the array's, reversed when transposed.
    ///
    /// # Local
    ///
    /// Reads the array's shape; nothing is sent.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::GlobalArray::<f32, _>::zeros(&rt, [3, 7])?;
    /// assert_eq!(a.t().shape(), [7, 3]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn shape(&self) -> [usize; 2] {
        let s = self.array.shape();
        if self.transposed {
            [s[1], s[0]]
        } else {
            [s[0], s[1]]
        }
    }

    /// Whether the operand is the array transposed.
    ///
    /// # Local
    ///
    /// Reads a flag; nothing is sent.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::GlobalArray::<f32, _>::zeros(&rt, [3, 7])?;
    /// assert!(a.t().is_transposed() && !a.t().t().is_transposed());
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn is_transposed(&self) -> bool {
        self.transposed
    }

    /// The transpose of this operand (the array itself again, for a
    /// transposed one).
    ///
    /// # Local
    ///
    /// Flips a flag; no data moves.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::GlobalArray::<f64, _>::zeros(&rt, [2, 3])?;
    /// assert_eq!(a.t().t().shape(), [2, 3]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn t(self) -> Self {
        MatRef {
            array: self.array,
            transposed: !self.transposed,
        }
    }

    /// The matrix product `self · rhs` as a new array with the default
    /// distribution (ndarray's `dot`); see [`matmul`].
    ///
    /// Errors: as [`matmul`].
    ///
    /// # Collective
    ///
    /// As [`matmul`].
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::random::uniform(&rt, [5, 2], 3)?;
    /// let g = a.t().dot(&a)?; // the 2 × 2 Gram matrix aᵀa
    /// let want = a.to_array()?.t().dot(&a.to_array()?);
    /// assert!(g.to_array()?.iter().zip(&want).all(|(x, y)| (x - y).abs() < 1e-12));
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn dot<'b>(&self, rhs: impl Into<MatRef<'b, T>>) -> Result<GlobalArray<T, Ix2>>
    where
        T: LinalgScalar,
    {
        during("MatRef::dot", move || -> Result<GlobalArray<T, Ix2>> {
            matmul(*self, rhs)
        })
    }

    /// The `rows × cols` panel of the operand, requested from the array
    /// (the transposed section when transposed).
    fn panel(
        &self,
        rows: (usize, usize),
        cols: (usize, usize),
    ) -> Result<crate::NbAccess<'a, T, Ix2>> {
        if self.transposed {
            self.array.access_nb([cols.0..cols.1, rows.0..rows.1])
        } else {
            self.array.access_nb([rows.0..rows.1, cols.0..cols.1])
        }
    }

    /// The block boundaries of the operand along its axis `axis`.
    fn bounds(&self, axis: usize) -> &'a [usize] {
        let axis = if self.transposed { 1 - axis } else { axis };
        self.array.distribution_map().bounds(axis)
    }
}

/// # Matrix operands and products (see [`linalg`](crate::linalg))
impl<T: Element> GlobalArray<T, Ix2> {
    /// The transpose as a matrix operand (ndarray's `t()`): no data
    /// moves; use it in [`dot`](MatRef::dot), [`matmul`] or
    /// [`matmul_into`]. [`transpose`] makes a transposed copy.
    ///
    /// # Local
    ///
    /// Borrows the array; nothing is read or sent.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::random::uniform(&rt, [3, 2], 4)?;
    /// let b = gain::random::uniform(&rt, [3, 4], 5)?;
    /// assert_eq!(a.t().dot(&b)?.shape(), &[2, 4]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn t(&self) -> MatRef<'_, T> {
        MatRef::from(self).t()
    }

    /// The matrix product `self · rhs` as a new array with the default
    /// distribution (ndarray's `dot`); `rhs` is `&b` or `b.t()`. See
    /// [`matmul`].
    ///
    /// Errors: as [`matmul`].
    ///
    /// # Collective
    ///
    /// As [`matmul`].
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::ones::<i64, _>(&rt, [2, 3])?;
    /// let b = gain::numpy::full(&rt, [4, 3], 2i64)?;
    /// assert_eq!(a.dot(b.t())?.to_array()?, ndarray::Array2::from_elem((2, 4), 6));
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn dot<'b>(&self, rhs: impl Into<MatRef<'b, T>>) -> Result<GlobalArray<T, Ix2>>
    where
        T: LinalgScalar,
    {
        during(
            "GlobalArray::dot",
            move || -> Result<GlobalArray<T, Ix2>> { matmul(self, rhs) },
        )
    }
}

/// Sorted union of two lists of block boundaries within `[0, n]`.
fn merge_bounds(a: &[usize], b: &[usize], n: usize) -> Vec<usize> {
    let mut v: Vec<usize> = a.iter().chain(b).copied().filter(|&x| x < n).collect();
    v.push(0);
    v.push(n);
    v.sort_unstable();
    v.dedup();
    v
}

/// `c = alpha * op(a) · op(b) + beta * c` (`GA_Dgemm`) for any 2-D
/// distributions of `a`, `b` and `c`, where `op(a)` is `a` for `&a` and
/// its transpose for `a.t()` (m × k), and likewise `op(b)` (k × n).
/// Each rank computes its block of `c`, splitting the inner dimension
/// where the blocks of the operands do, so every panel lies in one block
/// of each operand when the distributions line up. With `beta == 0` the
/// old `c` is ignored (NaNs in it do not propagate).
///
/// Errors: [`ShapeMismatch`](crate::ErrorKind::ShapeMismatch) when the
/// shapes do not chain, on every rank, before anything is written;
/// [`ReadOnly`](crate::ErrorKind::ReadOnly) likewise when `c` is mapped
/// read-only from its file.
///
/// # Collective
///
/// Every rank must call it, in the same order, with the same operands,
/// `alpha` and `beta`. It syncs `a`, `b` and `c` first, so every rank's
/// earlier writes are read, and returns after a closing sync of `c`, when
/// every block of the product is written and visible.
///
/// # Examples
///
/// ```
/// # let rt = gain::init()?;
/// let a = gain::random::uniform(&rt, [6, 4], 1)?;
/// let b = gain::random::uniform(&rt, [5, 4], 2)?;
/// let mut c = gain::GlobalArray::<f64, _>::zeros(&rt, [6, 5])?;
/// gain::linalg::matmul_into(1.0, &a, b.t(), 0.0, &mut c)?; // a · bᵀ
/// let serial = a.to_array()?.dot(&b.to_array()?.t());
/// assert!(c.to_array()?.iter().zip(&serial).all(|(x, y)| (x - y).abs() < 1e-12));
/// # Ok::<(), gain::Error>(())
/// ```
pub fn matmul_into<'a, 'b, T>(
    alpha: T,
    a: impl Into<MatRef<'a, T>>,
    b: impl Into<MatRef<'b, T>>,
    beta: T,
    c: &mut GlobalArray<T, Ix2>,
) -> Result<()>
where
    T: Element + LinalgScalar,
{
    during("linalg::matmul_into", move || -> Result<()> {
        c.check_writable()?;
        let (a, b) = (a.into(), b.into());
        let [m, k] = a.shape();
        let n = b.shape()[1];
        if b.shape()[0] != k || c.shape() != [m, n] {
            bail!(
                ShapeMismatch,
                "matmul of {:?} by {:?} into {:?}",
                a.shape(),
                b.shape(),
                c.shape()
            );
        }
        // Every rank's earlier writes to the operands are complete and visible.
        a.array.sync()?;
        b.array.sync()?;
        c.sync()?;
        let rank = c.runtime().rank();
        if let Some(block) = c.distribution(rank) {
            let (rows, cols) = (
                (block.lo()[0], block.hi()[0]),
                (block.lo()[1], block.hi()[1]),
            );
            let mut out = c.local_mut();
            if beta == T::zero() {
                out.fill(T::zero());
            } else if beta != T::one() {
                out.mapv_inplace(|x| x * beta);
            }
            let inner = merge_bounds(a.bounds(1), b.bounds(0), k);
            // Double buffering: the next pair of panels travels while this
            // pair is multiplied.
            let start = |w: &[usize]| -> Result<_> {
                Ok((a.panel(rows, (w[0], w[1]))?, b.panel((w[0], w[1]), cols)?))
            };
            let mut steps = inner.windows(2);
            let mut next = steps.next().map(start).transpose()?;
            while let Some((a_panel, b_panel)) = next.take() {
                next = steps.next().map(start).transpose()?;
                let (a_panel, b_panel) = (a_panel.wait()?, b_panel.wait()?);
                // A transposed operand's panel arrives as the array holds it;
                // its transposed view is the panel of op(a) or op(b).
                let a_panel = if a.transposed {
                    a_panel.t()
                } else {
                    a_panel.view()
                };
                let b_panel = if b.transposed {
                    b_panel.t()
                } else {
                    b_panel.view()
                };
                local_product(alpha, a_panel, b_panel, out.view_mut());
            }
        }
        c.sync()
    })
}

/// Rows of the output each thread's share of a local product is cut
/// into: fixed, so the cut (and the bits) are the same on any number of
/// threads.
const PANEL_ROWS: usize = 128;

/// `out += alpha · a · b` on this rank: with the `blas` feature one
/// OpenBLAS call, which runs its own threads (as many as gain's,
/// `blas.rs`); else matrixmultiply on panels of [`PANEL_ROWS`] rows of
/// `out` and `a`, shared among the threads of the rank's pool. Each
/// element of `out` is one dot product accumulated in the same order
/// however the rows are cut.
fn local_product<T: Element + LinalgScalar>(
    alpha: T,
    a: ndarray::ArrayView2<'_, T>,
    b: ndarray::ArrayView2<'_, T>,
    mut out: ndarray::ArrayViewMut2<'_, T>,
) {
    if cfg!(feature = "blas") || out.nrows() <= PANEL_ROWS || !crate::threads::parallel() {
        return ndarray::linalg::general_mat_mul(alpha, &a, &b, T::one(), &mut out);
    }
    let panels: Vec<_> = out
        .axis_chunks_iter_mut(ndarray::Axis(0), PANEL_ROWS)
        .zip(a.axis_chunks_iter(ndarray::Axis(0), PANEL_ROWS))
        .collect();
    crate::threads::for_each(panels, |(mut o, a)| {
        ndarray::linalg::general_mat_mul(alpha, &a, &b, T::one(), &mut o)
    });
}

/// The product `op(a) · op(b)` as a new array with the default
/// distribution; `a` and `b` are `&x` or `x.t()` (also `a.dot(&b)`).
///
/// Errors: [`ShapeMismatch`](crate::ErrorKind::ShapeMismatch) when the
/// inner dimensions differ, on every rank, before anything is created.
///
/// # Collective
///
/// Every rank must call it, in the same order, with the same operands; it
/// creates the result (collectively), syncs the operands, and returns
/// after a closing sync of the result, when every block is written.
///
/// # Examples
///
/// ```
/// # let rt = gain::init()?;
/// let a = gain::GlobalArray::<f64, _>::zeros(&rt, [3, 2])?;
/// let b = gain::GlobalArray::<f64, _>::zeros(&rt, [2, 7])?;
/// assert_eq!(gain::linalg::matmul(&a, &b)?.shape(), &[3, 7]);
/// assert_eq!(gain::linalg::matmul(a.t(), &a)?.shape(), &[2, 2]);
/// assert!(gain::linalg::matmul(&a, &a).is_err());
/// # Ok::<(), gain::Error>(())
/// ```
pub fn matmul<'a, 'b, T>(
    a: impl Into<MatRef<'a, T>>,
    b: impl Into<MatRef<'b, T>>,
) -> Result<GlobalArray<T, Ix2>>
where
    T: Element + LinalgScalar,
{
    during("linalg::matmul", move || -> Result<GlobalArray<T, Ix2>> {
        let (a, b) = (a.into(), b.into());
        if a.shape()[1] != b.shape()[0] {
            bail!(
                ShapeMismatch,
                "matmul of {:?} by {:?}",
                a.shape(),
                b.shape()
            );
        }
        let mut c = GlobalArray::zeros(a.array.runtime(), [a.shape()[0], b.shape()[1]])?;
        matmul_into(T::one(), a, b, T::zero(), &mut c)?;
        Ok(c)
    })
}

/// The transpose of `a` as a new array with the default distribution
/// (`GA_Transpose`). Each rank fills its own block from the matching
/// region of `a`, read in place when one same-node block holds it.
///
/// # Collective
///
/// Every rank must call it, in the same order, with the same `a`; it
/// creates the result (collectively), syncs `a`, and returns after a
/// closing sync of the result, when every block is written.
///
/// # Examples
///
/// ```
/// # let rt = gain::init()?;
/// let a = gain::random::uniform(&rt, [3, 5], 7)?;
/// let t = gain::linalg::transpose(&a)?;
/// assert_eq!(t.get([0..5, 0..3])?, a.get([0..3, 0..5])?.t());
/// # Ok::<(), gain::Error>(())
/// ```
pub fn transpose<T: Element>(a: &GlobalArray<T, Ix2>) -> Result<GlobalArray<T, Ix2>> {
    during(
        "linalg::transpose",
        move || -> Result<GlobalArray<T, Ix2>> {
            let mut t = GlobalArray::zeros(a.runtime(), [a.shape()[1], a.shape()[0]])?;
            transpose_into(a, &mut t)?;
            Ok(t)
        },
    )
}

/// Writes the transpose of `a` into `t`, whatever their distributions.
///
/// Errors: [`ShapeMismatch`](crate::ErrorKind::ShapeMismatch) unless
/// `t` is `a`'s shape reversed; [`ReadOnly`](crate::ErrorKind::ReadOnly)
/// when `t` is mapped read-only from its file (on every rank, before
/// anything is written).
///
/// # Collective
///
/// Every rank must call it, in the same order, with the same `a` and
/// `t`; it syncs `a` first and returns after a closing sync of `t`, when
/// every block of `t` is written.
///
/// # Examples
///
/// ```
/// # let rt = gain::init()?;
/// let a = gain::random::uniform(&rt, [4, 2], 3)?;
/// let mut t = gain::GlobalArray::<f64, _>::zeros_chunked(&rt, [2, 4], &[2, 0])?;
/// gain::linalg::transpose_into(&a, &mut t)?;
/// assert_eq!(t.at(&[1, 3])?, a.at(&[3, 1])?);
/// # Ok::<(), gain::Error>(())
/// ```
pub fn transpose_into<T: Element>(
    a: &GlobalArray<T, Ix2>,
    t: &mut GlobalArray<T, Ix2>,
) -> Result<()> {
    during("linalg::transpose_into", move || -> Result<()> {
        t.check_writable()?;
        if t.shape() != [a.shape()[1], a.shape()[0]] {
            bail!(
                ShapeMismatch,
                "transpose of {:?} into {:?}",
                a.shape(),
                t.shape()
            );
        }
        a.sync()?;
        if let Some(block) = t.distribution(t.runtime().rank()) {
            let src = a.access([block.lo()[1]..block.hi()[1], block.lo()[0]..block.hi()[0]])?;
            t.local_mut().assign(&src.t());
        }
        t.sync()
    })
}
