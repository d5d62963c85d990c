//! Element gathers and scatters: lists of N-d indices (Global Arrays'
//! `NGA_Gather`, `NGA_Scatter`, `NGA_Scatter_acc`).

use ndarray::Dimension;

use super::GlobalArray;
use crate::dist::locate::Locator;
use crate::element::Element;
use crate::error::{Error, ErrorKind, Result, bail};
use crate::fault::during;
use crate::window::{ElementAt, Targets};

/// # Element gathers and scatters
///
/// A list of N-d indices, each `&[usize]`-like (`[i, j]`, `vec![i, j]`),
/// names single elements anywhere in the array; only those move. They are
/// grouped by owner: same-node owners are read and written directly
/// through shared memory, each remote owner with one MPI call whose
/// datatype picks the elements out of its block (cut in several when the
/// list is longer than the transfer cap). Every index is checked before
/// anything is read, written or sent.
impl<T: Element, D: Dimension> GlobalArray<T, D> {
    /// The elements at `indices`, in the list's order (`NGA_Gather`). An
    /// index may appear more than once.
    ///
    /// Errors: [`OutOfBounds`](crate::ErrorKind::OutOfBounds),
    /// [`DimensionMismatch`](crate::ErrorKind::DimensionMismatch), each
    /// naming the offending index's position in the list.
    ///
    /// # One-sided
    ///
    /// Only the calling rank takes part; it returns with the values. It
    /// sees what other ranks wrote before the last [`sync`](Self::sync).
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let mut ga = gain::GlobalArray::<i32, _>::zeros(&rt, [4, 5])?;
    /// ga.local_mut().fill(7);
    /// ga.sync()?;
    /// assert_eq!(ga.gather_elements(&[[0, 0], [3, 4], [0, 0]])?, vec![7, 7, 7]);
    /// let list: Vec<Vec<usize>> = vec![vec![1, 2]];
    /// assert_eq!(ga.gather_elements(&list)?, vec![7]);
    /// assert!(ga.gather_elements(&[[4, 0]]).is_err());
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn gather_elements<I: AsRef<[usize]>>(&self, indices: &[I]) -> Result<Vec<T>> {
        during("GlobalArray::gather_elements", move || -> Result<Vec<T>> {
            let mut out = vec![T::zero(); indices.len()];
            self.read_list(indices, &mut out)?;
            Ok(out)
        })
    }

    /// The elements at `indices` into `out`, which has one slot per index:
    /// [`gather_elements`](Self::gather_elements) without allocating the
    /// result.
    ///
    /// Errors: as [`gather_elements`](Self::gather_elements), and
    /// [`ShapeMismatch`](crate::ErrorKind::ShapeMismatch) when `out`'s
    /// length differs from the list's.
    ///
    /// # One-sided
    ///
    /// Only the calling rank takes part; it returns when `out` holds the
    /// values.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let mut ga = gain::GlobalArray::<f64, _>::zeros(&rt, 10)?;
    /// ga.local_mut().fill(0.5);
    /// ga.sync()?;
    /// let mut out = [0.0; 3];
    /// ga.gather_elements_into(&[[9], [0], [4]], &mut out)?;
    /// assert_eq!(out, [0.5; 3]);
    /// assert!(ga.gather_elements_into(&[[1]], &mut out).is_err());
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn gather_elements_into<I: AsRef<[usize]>>(
        &self,
        indices: &[I],
        out: &mut [T],
    ) -> Result<()> {
        during(
            "GlobalArray::gather_elements_into",
            move || -> Result<()> {
                same_length(indices.len(), out.len(), "slots in the output")?;
                self.read_list(indices, out)
            },
        )
    }

    /// Writes `values[k]` to the element at `indices[k]` (`NGA_Scatter`).
    /// When an index appears more than once, the last value given for it
    /// wins (Global Arrays leaves this undefined; gain makes it
    /// deterministic).
    ///
    /// Errors: as [`gather_elements`](Self::gather_elements);
    /// [`ShapeMismatch`](crate::ErrorKind::ShapeMismatch) when `values`'
    /// length differs from the list's;
    /// [`Borrowed`](crate::ErrorKind::Borrowed) while this process views a
    /// target block; [`ReadOnly`](crate::ErrorKind::ReadOnly) for an array
    /// mapped read-only from its file.
    ///
    /// # One-sided
    ///
    /// Only the calling rank takes part; it returns once `values` may be
    /// reused, and other ranks see the data after the next
    /// [`sync`](Self::sync).
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let ga = gain::GlobalArray::<i64, _>::zeros(&rt, [3, 3])?;
    /// if rt.rank() == 0 {
    ///     ga.scatter_elements(&[[0, 0], [2, 2], [0, 0]], &[1, 5, 2])?;
    /// }
    /// ga.sync()?;
    /// assert_eq!(ga.gather_elements(&[[0, 0], [2, 2]])?, vec![2, 5]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn scatter_elements<I: AsRef<[usize]>>(&self, indices: &[I], values: &[T]) -> Result<()> {
        during("GlobalArray::scatter_elements", move || -> Result<()> {
            same_length(indices.len(), values.len(), "values")?;
            if self.win.single_node() {
                return self.scatter_on_node(indices, values);
            }
            let mut at = self.targets(indices)?;
            let _claims = self.claim_writes(at.ranks())?;
            self.win.write_elements(&mut at, values)
        })
    }

    /// Atomically adds `alpha * values[k]` to the element at `indices[k]`
    /// (`NGA_Scatter_acc`): concurrent accumulates from any ranks into the
    /// same elements all take effect, and an index that appears more than
    /// once adds every one of its values.
    ///
    /// Repeats of one index are summed first, in the list's order, and the
    /// sum is added to the element once: for floating-point types the
    /// element becomes `x + (alpha*v1 + alpha*v2 + ...)`, summed left to
    /// right, wherever the element lives. Integers wrap on overflow, as in
    /// [`acc`](Self::acc) (whose notes on 8- and 16-bit sums across nodes
    /// apply here too).
    ///
    /// Errors: as [`scatter_elements`](Self::scatter_elements).
    ///
    /// # One-sided
    ///
    /// Only the calling rank takes part; it returns once `values` may be
    /// reused, and the sums are visible everywhere after the next
    /// [`sync`](Self::sync).
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let ga = gain::GlobalArray::<i64, _>::zeros(&rt, 6)?;
    /// ga.scatter_acc_elements(&[[1], [4], [1]], &[1, 2, 3], 10)?;
    /// ga.sync()?;
    /// let n = rt.size() as i64;
    /// assert_eq!(ga.gather_elements(&[[1], [4], [0]])?, vec![40 * n, 20 * n, 0]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn scatter_acc_elements<I: AsRef<[usize]>>(
        &self,
        indices: &[I],
        values: &[T],
        alpha: T,
    ) -> Result<()> {
        during(
            "GlobalArray::scatter_acc_elements",
            move || -> Result<()> {
                same_length(indices.len(), values.len(), "values")?;
                let mut at = self.targets(indices)?;
                let _claims = self.claim_writes(at.ranks())?;
                self.win.accumulate_elements(&mut at, values, alpha)
            },
        )
    }

    /// Reads the elements at `indices` into `out` (as long). On a single
    /// node a first pass checks every index, and a second loads each
    /// element from shared memory in list order, locating it as it goes
    /// (no grouping, no allocation); otherwise the list is grouped by
    /// owner and each remote owner read with one call.
    fn read_list<I: AsRef<[usize]>>(&self, indices: &[I], out: &mut [T]) -> Result<()> {
        if self.win.single_node() {
            self.check_list(indices)?;
            let loc = self.locator();
            // Locating a chunk first, then loading it in a tight loop,
            // lets the loads of many elements be in flight together.
            let mut at = [(0, 0); CHUNK];
            for (list, out) in indices.chunks(CHUNK).zip(out.chunks_mut(CHUNK)) {
                for (a, index) in at.iter_mut().zip(list) {
                    *a = loc.element_at(index.as_ref());
                }
                self.win.read_on_node(out, at.iter().copied())?;
            }
            return Ok(());
        }
        let mut at = self.targets(indices)?;
        self.win.read_elements(&mut at, out)
    }

    /// [`scatter_elements`](Self::scatter_elements) when every rank shares
    /// this node's memory: a first pass checks every index and notes the
    /// owners, to claim their blocks; the second stores the values in list
    /// order (so the last of repeats wins), without grouping.
    fn scatter_on_node<I: AsRef<[usize]>>(&self, indices: &[I], values: &[T]) -> Result<()> {
        self.check_list(indices)?;
        let mut owners = vec![false; self.blocks.len()];
        let loc = self.locator();
        let mut last = usize::MAX;
        for index in indices {
            let rank = loc.element_at(index.as_ref()).0;
            if rank != last {
                owners[rank] = true;
                last = rank;
            }
        }
        self.win.check_writable()?;
        let ranks = owners.iter().enumerate().filter(|o| *o.1).map(|o| o.0);
        let _claims = self.claim_writes(ranks)?;
        let at = indices.iter().map(|index| loc.element_at(index.as_ref()));
        self.win.write_on_node(values, at)
    }

    /// Checks every index of the list and returns the elements' owners and
    /// block offsets, grouped by owner ([`Targets`]).
    fn targets<I: AsRef<[usize]>>(&self, indices: &[I]) -> Result<Targets> {
        self.check_list(indices)?;
        let loc = self.locator();
        let list = indices
            .iter()
            .enumerate()
            .map(|(pos, index)| {
                let (rank, offset) = loc.element_at(index.as_ref());
                ElementAt { rank, offset, pos }
            })
            .collect();
        Ok(Targets::new(list, self.blocks.len()))
    }

    /// Checks every index of the list: an error naming the first one that
    /// is out of bounds or has the wrong number of dimensions. The check
    /// is inlined, its error path ([`bad_index`](Self::bad_index)) not.
    #[inline]
    fn check_list<I: AsRef<[usize]>>(&self, indices: &[I]) -> Result<()> {
        let shape = self.shape();
        for (pos, index) in indices.iter().enumerate() {
            let index = index.as_ref();
            if index.len() != shape.len() || index.iter().zip(shape).any(|(&i, &n)| i >= n) {
                return Err(self.bad_index(pos, index));
            }
        }
        Ok(())
    }

    /// The error for `index`, entry `pos` of a list, found out of bounds
    /// or with the wrong number of dimensions by
    /// [`check_list`](Self::check_list).
    #[cold]
    #[inline(never)]
    fn bad_index(&self, pos: usize, index: &[usize]) -> Error {
        let shape = self.shape();
        if index.len() != shape.len() {
            return Error::new(
                ErrorKind::DimensionMismatch,
                format!(
                    "index {pos} of the list, {index:?}, has {} dimensions, the array has {}",
                    index.len(),
                    shape.len()
                ),
            );
        }
        let d = (0..shape.len())
            .find(|&d| index[d] >= shape[d])
            .unwrap_or(0);
        Error::new(
            ErrorKind::OutOfBounds,
            format!(
                "index {pos} of the list, {index:?}, is out of bounds in dimension {d} \
                 of extent {}",
                shape[d]
            ),
        )
    }

    /// The element lookups of this array: owners and offsets in the
    /// stored (ghost-padded) blocks.
    fn locator(&self) -> Locator<'_> {
        Locator::new(&self.dist, &self.ghosts.widths)
    }
}

/// Elements a single-node gather locates before loading them.
const CHUNK: usize = 64;

/// A `ShapeMismatch` unless a buffer of `what` has one entry per index.
fn same_length(indices: usize, len: usize, what: &str) -> Result<()> {
    if indices != len {
        bail!(
            ShapeMismatch,
            "the list has {indices} indices but there are {len} {what}"
        );
    }
    Ok(())
}
