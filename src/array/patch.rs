//! Global Arrays' patch utilities on 1-d arrays: `patch_enum`,
//! `scan_add`, `scan_copy`, `pack` and `unpack` (GA_Patch_enum,
//! GA_Scan_add, GA_Scan_copy, GA_Pack, GA_Unpack).
//!
//! Each rank works on its own block of the array it writes (or, for
//! `pack`, of the source), reading the other arrays' matching sections
//! one-sidedly, so the arrays may be distributed differently. What a rank
//! needs from the ranks before it (a segment's running sum, the value at
//! the last mask bit, how many elements precede its own) comes from one
//! `MPI_Exscan` of a few words: nothing is gathered, and the work scales
//! with the data, not with the rank count. Blocks of a 1-d array lie in
//! rank order, which is what makes a scan over ranks a scan over indices.

use std::ops::Range;

use mpi::collective::{CommunicatorCollectives, SystemOperation, UserOperation};
use mpi::datatype::{DynBuffer, DynBufferMut};
use mpi::traits::Communicator;
use ndarray::{Array1, Ix1};

use super::GlobalArray;
use crate::element::Element;
use crate::error::{Result, bail};
use crate::fault::during;

/// A rank's part of a segmented scan: whether its part holds a mask bit,
/// and its value (the running sum since its last bit, or the source value
/// at it), as `[flag, value]` in `T`.
type Part<T> = [T; 2];

/// The segmented combination of an earlier part with a later one: a later
/// bit restarts the value; `add` says whether values add (`scan_add`) or
/// the earlier one carries over (`scan_copy`).
fn combine<T: Element>(earlier: Part<T>, later: Part<T>, add: bool) -> Part<T> {
    let flag = if earlier[0].is_zero() && later[0].is_zero() {
        T::zero()
    } else {
        T::one()
    };
    let value = if !later[0].is_zero() {
        later[1]
    } else if add {
        earlier[1].wrapping_add(later[1])
    } else {
        earlier[1]
    };
    [flag, value]
}

impl<T: Element> GlobalArray<T, Ix1> {
    /// The part of `range` in this rank's block, as global indices, and
    /// where the block starts (to index the local view).
    fn my_part(&self, range: &Range<usize>) -> (Range<usize>, usize) {
        match self.distribution(self.runtime().rank()) {
            Some(b) => {
                let (lo, hi) = (b.lo()[0].max(range.start), b.hi()[0].min(range.end));
                (lo..hi.max(lo), b.lo()[0])
            }
            None => (0..0, 0),
        }
    }

    /// The checks every patch utility makes, the same on every rank
    /// (collective): the arguments agree, `range` lies in `len`, and the
    /// other arrays have this one's length.
    fn check_patch(&self, what: &str, range: &Range<usize>, others: &[usize]) -> Result<()> {
        let local = if range.start > range.end || range.end > self.len() {
            Err(crate::Error::new(
                crate::ErrorKind::OutOfBounds,
                format!(
                    "{what}: range {range:?} outside an array of length {}",
                    self.len()
                ),
            ))
        } else if let Some(&n) = others.iter().find(|&&n| n != self.len()) {
            Err(crate::Error::new(
                crate::ErrorKind::ShapeMismatch,
                format!(
                    "{what}: arrays of lengths {} and {n}, not one length",
                    self.len()
                ),
            ))
        } else {
            Ok(())
        };
        let args = [("ranges", format!("{range:?}"))];
        self.runtime()
            .agree_arguments(local.as_ref().map(|_| &args[..]).map_err(|e| e.clone()))?;
        local
    }

    /// `self[i] = start + (i - range.start) * stride` for `i` in `range`
    /// (GA_Patch_enum), integers wrapping.
    ///
    /// Errors: [`OutOfBounds`](crate::ErrorKind::OutOfBounds) for a range
    /// outside the array, on every rank, before anything is written.
    ///
    /// # Collective
    ///
    /// Every rank calls it with the same arguments; each writes its own
    /// block, and it returns after a closing sync.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let mut a = gain::GlobalArray::<i64, _>::zeros(&rt, 6)?;
    /// a.patch_enum(1..5, 10, 3)?;
    /// assert_eq!(a.to_array()?, ndarray::array![0, 10, 13, 16, 19, 0]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn patch_enum(&mut self, range: Range<usize>, start: T, stride: T) -> Result<()> {
        during("GlobalArray::patch_enum", move || -> Result<()> {
            self.check_patch("patch_enum", &range, &[])?;
            self.check_writable()?;
            self.sync()?;
            let (part, lo) = self.my_part(&range);
            if !part.is_empty() {
                let mut local = self.local_mut();
                for i in part.clone() {
                    let k = T::wrapping_from_i64((i - range.start) as i64);
                    local[i - lo] = start.wrapping_add(k.wrapping_mul(stride));
                }
            }
            self.sync()
        })
    }

    /// Segmented running sums (GA_Scan_add): for `i` in `range`, from the
    /// first index where `mask` is nonzero on, `dst[i]` is the sum of
    /// `self` from the latest such index up to `i` (`exclusive`: up to
    /// `i - 1`, so 0 where the mask is set). Elements of `range` before
    /// the first mask bit keep their value, as in Global Arrays. Integers
    /// wrap.
    ///
    /// Errors: [`ShapeMismatch`](crate::ErrorKind::ShapeMismatch) for
    /// arrays of different lengths, [`OutOfBounds`](crate::ErrorKind::OutOfBounds)
    /// for a range outside them, on every rank, before anything is
    /// written.
    ///
    /// # Collective
    ///
    /// Every rank calls it with the same arguments. It syncs first; each
    /// rank writes its block of `dst` from one-sided reads of `self` and
    /// `mask`, after one `MPI_Exscan`, and it returns after a closing sync.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let src = gain::numpy::from_array(&rt, &ndarray::array![1, 2, 3, 4, 5, 6])?;
    /// let mask = gain::numpy::from_array(&rt, &ndarray::array![0u8, 1, 0, 0, 1, 0])?;
    /// let mut dst = gain::GlobalArray::<i32, _>::zeros(&rt, 6)?;
    /// src.scan_add(&mut dst, &mask, 0..6, false)?;
    /// assert_eq!(dst.to_array()?, ndarray::array![0, 2, 5, 9, 5, 11]);
    /// src.scan_add(&mut dst, &mask, 0..6, true)?;
    /// assert_eq!(dst.to_array()?, ndarray::array![0, 0, 2, 5, 0, 5]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn scan_add<M: Element>(
        &self,
        dst: &mut GlobalArray<T, Ix1>,
        mask: &GlobalArray<M, Ix1>,
        range: Range<usize>,
        exclusive: bool,
    ) -> Result<()> {
        during("GlobalArray::scan_add", move || -> Result<()> {
            self.segmented(dst, mask, range, Some(exclusive), "scan_add")
        })
    }

    /// Segmented copies (GA_Scan_copy): for `i` in `range`, `dst[i]` is
    /// `self` at the latest index at or before `i` where `mask` is
    /// nonzero, and 0 before the first, as in Global Arrays.
    ///
    /// Errors: as [`scan_add`](Self::scan_add).
    ///
    /// # Collective
    ///
    /// As [`scan_add`](Self::scan_add).
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let src = gain::numpy::from_array(&rt, &ndarray::array![1.0, 2.0, 3.0, 4.0, 5.0])?;
    /// let mask = gain::numpy::from_array(&rt, &ndarray::array![0i32, 1, 0, 1, 0])?;
    /// let mut dst = gain::GlobalArray::<f64, _>::zeros(&rt, 5)?;
    /// src.scan_copy(&mut dst, &mask, 0..5)?;
    /// assert_eq!(dst.to_array()?, ndarray::array![0.0, 2.0, 2.0, 4.0, 4.0]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn scan_copy<M: Element>(
        &self,
        dst: &mut GlobalArray<T, Ix1>,
        mask: &GlobalArray<M, Ix1>,
        range: Range<usize>,
    ) -> Result<()> {
        during("GlobalArray::scan_copy", move || -> Result<()> {
            self.segmented(dst, mask, range, None, "scan_copy")
        })
    }

    /// `scan_add` (`add: Some(exclusive)`) or `scan_copy` (`None`).
    fn segmented<M: Element>(
        &self,
        dst: &mut GlobalArray<T, Ix1>,
        mask: &GlobalArray<M, Ix1>,
        range: Range<usize>,
        add: Option<bool>,
        what: &str,
    ) -> Result<()> {
        self.check_patch(what, &range, &[dst.len(), mask.len()])?;
        dst.check_writable()?;
        self.runtime().sync()?;
        let (part, lo) = dst.my_part(&range);
        let (src, bits) = if part.is_empty() {
            (Array1::zeros(0), Array1::zeros(0))
        } else {
            (self.get(part.clone())?, mask.get(part.clone())?)
        };
        // This part alone, then what the parts before it carry in.
        let walk = |carry: Part<T>, mut out: Option<&mut [T]>| -> Part<T> {
            let (mut found, mut acc) = (!carry[0].is_zero(), carry[1]);
            let mut bit = false;
            for (k, (&x, &m)) in src.iter().zip(&bits).enumerate() {
                if !m.is_zero() {
                    (found, bit) = (true, true);
                    acc = if add.is_some() { T::zero() } else { x };
                }
                let value = match add {
                    Some(true) => {
                        let before = acc;
                        acc = acc.wrapping_add(x);
                        before
                    }
                    Some(false) => {
                        acc = acc.wrapping_add(x);
                        acc
                    }
                    None => acc,
                };
                if let Some(out) = out.as_deref_mut() {
                    // scan_add leaves what precedes the first bit; scan_copy
                    // writes 0 there (its `acc` is still 0).
                    if found || add.is_none() {
                        out[k] = if found { value } else { T::zero() };
                    }
                }
            }
            let flag = if bit { T::one() } else { T::zero() };
            // scan_add: the sum since the last bit (or of the whole part);
            // scan_copy: the value at the last bit.
            let value = if add.is_some() || bit { acc } else { T::zero() };
            [flag, value]
        };
        let mine = walk([T::zero(), T::zero()], None);
        let carry = exscan(self, mine, add.is_some());
        if !part.is_empty() {
            let mut local = dst.local_mut();
            let out = local
                .as_slice_mut()
                .expect("a 1-d block without ghost cells is contiguous");
            walk(carry, Some(&mut out[part.start - lo..part.end - lo]));
        }
        dst.sync()
    }

    /// Compaction by a mask (GA_Pack): the elements of `self` in `range`
    /// where `mask` is nonzero, in order, to the start of `dst`. Returns
    /// how many, on every rank.
    ///
    /// Errors: [`ShapeMismatch`](crate::ErrorKind::ShapeMismatch) for a
    /// mask of another length, or a `dst` shorter than the count;
    /// [`OutOfBounds`](crate::ErrorKind::OutOfBounds) for a range outside
    /// the array; [`InvalidArgument`](crate::ErrorKind::InvalidArgument)
    /// when `dst` is `self`: on every rank, before anything is written.
    ///
    /// # Collective
    ///
    /// Every rank calls it with the same arguments. It syncs first; each
    /// rank puts the selected elements of its block of `self`, one-sidedly,
    /// at the offset one `MPI_Exscan` of counts gives it, and it returns
    /// after a closing sync.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let src = gain::numpy::arange(&rt, 0i64, 8, 1)?;
    /// let mask = gain::numpy::from_array(&rt, &ndarray::array![1u8, 0, 0, 1, 1, 0, 0, 1])?;
    /// let dst = gain::GlobalArray::<i64, _>::zeros(&rt, 8)?;
    /// assert_eq!(src.pack(&dst, &mask, 0..8)?, 4);
    /// assert_eq!(dst.get(0..4)?, ndarray::array![0, 3, 4, 7]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn pack<M: Element>(
        &self,
        dst: &GlobalArray<T, Ix1>,
        mask: &GlobalArray<M, Ix1>,
        range: Range<usize>,
    ) -> Result<usize> {
        during("GlobalArray::pack", move || -> Result<usize> {
            self.check_patch("pack", &range, &[mask.len()])?;
            if std::ptr::eq(self, dst) {
                bail!(InvalidArgument, "pack: the destination is the source");
            }
            dst.check_writable()?;
            self.runtime().sync()?;
            let (part, lo) = self.my_part(&range);
            let picked: Vec<T> = if part.is_empty() {
                Vec::new()
            } else {
                let (src, bits) = (self.local(), mask.get(part.clone())?);
                (part.clone())
                    .zip(&bits)
                    .filter(|&(_, m)| !m.is_zero())
                    .map(|(i, _)| src[i - lo])
                    .collect()
            };
            let (offset, total) = offsets(self, picked.len());
            if total > dst.len() {
                bail!(
                    ShapeMismatch,
                    "pack: {total} elements selected for a destination of length {}",
                    dst.len()
                );
            }
            if !picked.is_empty() {
                dst.put(offset..offset + picked.len(), &Array1::from(picked))?;
            }
            dst.sync()?;
            Ok(total)
        })
    }

    /// Expansion by a mask (GA_Unpack), the inverse of
    /// [`pack`](Self::pack): the elements of `src` from its start, in
    /// order, to the indices of `self` in `range` where `mask` is nonzero;
    /// the others keep their values.
    ///
    /// Errors: [`ShapeMismatch`](crate::ErrorKind::ShapeMismatch) for a
    /// mask of another length, or a `src` shorter than the mask's count;
    /// [`OutOfBounds`](crate::ErrorKind::OutOfBounds) for a range outside
    /// the array: on every rank, before anything is written.
    ///
    /// # Collective
    ///
    /// Every rank calls it with the same arguments. It syncs first; each
    /// rank gets its share of `src` one-sidedly, at the offset one
    /// `MPI_Exscan` of counts gives it, writes its block, and it returns
    /// after a closing sync.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let src = gain::numpy::from_array(&rt, &ndarray::array![10, 20, 30])?;
    /// let mask = gain::numpy::from_array(&rt, &ndarray::array![0u8, 1, 0, 1, 1])?;
    /// let mut dst = gain::GlobalArray::<i32, _>::zeros(&rt, 5)?;
    /// dst.unpack(&src, &mask, 0..5)?;
    /// assert_eq!(dst.to_array()?, ndarray::array![0, 10, 0, 20, 30]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn unpack<M: Element>(
        &mut self,
        src: &GlobalArray<T, Ix1>,
        mask: &GlobalArray<M, Ix1>,
        range: Range<usize>,
    ) -> Result<()> {
        during("GlobalArray::unpack", move || -> Result<()> {
            self.check_patch("unpack", &range, &[mask.len()])?;
            self.check_writable()?;
            self.runtime().sync()?;
            let (part, lo) = self.my_part(&range);
            let bits = if part.is_empty() {
                Array1::zeros(0)
            } else {
                mask.get(part.clone())?
            };
            let count = bits.iter().filter(|m| !m.is_zero()).count();
            let (offset, total) = offsets(self, count);
            if total > src.len() {
                bail!(
                    ShapeMismatch,
                    "unpack: {total} elements selected from a source of length {}",
                    src.len()
                );
            }
            let values = if count > 0 {
                src.get(offset..offset + count)?
            } else {
                Array1::zeros(0)
            };
            if !part.is_empty() {
                let mut local = self.local_mut();
                let mut next = values.iter();
                for (i, m) in part.clone().zip(&bits) {
                    if !m.is_zero() {
                        local[i - lo] = *next.next().expect("one value per bit");
                    }
                }
            }
            self.sync()
        })
    }
}

/// This rank's offset (the counts of the ranks before it) and the total
/// count: one `MPI_Exscan` and one allreduce of a word.
fn offsets<T: Element>(ga: &GlobalArray<T, Ix1>, count: usize) -> (usize, usize) {
    let comm = ga.runtime().comm();
    let mine = count as u64;
    let mut before = 0u64;
    comm.exclusive_scan_into(&mine, &mut before, SystemOperation::sum());
    let mut total = 0u64;
    comm.all_reduce_into(&mine, &mut total, SystemOperation::sum());
    // MPI leaves rank 0's exclusive scan undefined.
    let before = if comm.rank() == 0 { 0 } else { before };
    (before as usize, total as usize)
}

/// What the parts of the ranks before this one carry into it: their
/// segmented combination, by one `MPI_Exscan` with a user operation.
fn exscan<T: Element>(ga: &GlobalArray<T, Ix1>, mine: Part<T>, add: bool) -> Part<T> {
    let comm = ga.runtime().comm();
    let op = UserOperation::associative(move |earlier: DynBuffer, later: DynBufferMut| {
        // MPI combines in rank order: `later` becomes earlier ⊕ later.
        let e = earlier
            .downcast::<T>()
            .expect("the scan's own element type");
        let l = later.downcast::<T>().expect("the scan's own element type");
        for (e, l) in e.chunks_exact(2).zip(l.chunks_exact_mut(2)) {
            let c = combine([e[0], e[1]], [l[0], l[1]], add);
            l.copy_from_slice(&c);
        }
    });
    let mut before = [T::zero(); 2];
    comm.exclusive_scan_into(&mine[..], &mut before[..], &op);
    if comm.rank() == 0 {
        [T::zero(), T::zero()]
    } else {
        before
    }
}
