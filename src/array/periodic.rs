//! Periodic sections (Global Arrays' `NGA_Periodic_get/put/acc`): ranges
//! that run past either end of an axis wrap around, for periodic boundary
//! conditions.

use ndarray::{Array, ArrayView, AsArray, Dimension};

use super::GlobalArray;
use crate::dist::{PeriodicParts, PeriodicRanges, Section, periodic_parts};
use crate::element::Element;
use crate::error::{Result, bail};
use crate::fault::during;
use crate::window::Piece;

/// # Periodic sections
///
/// A periodic section is one `Range<isize>` per axis, which may start
/// below 0 and end past the axis's extent `n`: buffer position `i` along
/// the axis holds array index `(start + i) mod n`. It is cut into the
/// in-range sections it covers (two per axis where a range crosses an end)
/// and each moves as in [`get`](Self::get), [`put`](Self::put) and
/// [`acc`](Self::acc), one call per owner of each part, straight into or
/// from its place in the buffer. A range may be longer than its axis: get
/// and accumulate then wrap as often as needed (an element is read, or
/// added to, once per time the range passes it); put refuses such a range,
/// since it would write an element twice. (Global Arrays documents the
/// periodic calls as wrapping out-of-range indices around, with no length
/// limit stated.)
impl<T: Element, D: Dimension> GlobalArray<T, D> {
    /// Copies a periodic section into a new array (`NGA_Periodic_get`).
    /// `section` is one `Range<isize>` per axis ([`PeriodicRanges`]: an
    /// array, a slice or a `Vec` of them, or one range for a 1-d array).
    ///
    /// Errors: [`DimensionMismatch`](crate::ErrorKind::DimensionMismatch),
    /// [`ReversedSection`](crate::ErrorKind::ReversedSection) (a range
    /// whose start lies past its end), [`OutOfBounds`](crate::ErrorKind::OutOfBounds)
    /// (a non-empty range along an axis of extent 0),
    /// [`SizeOverflow`](crate::ErrorKind::SizeOverflow).
    ///
    /// # One-sided
    ///
    /// Only the calling rank takes part; it returns when the copy is
    /// complete. It sees what other ranks wrote before the last
    /// [`sync`](Self::sync).
    ///
    /// # Examples
    ///
    /// ```
    /// use ndarray::array;
    /// # let rt = gain::init()?;
    /// let ga = gain::GlobalArray::<i32, _>::zeros(&rt, [3, 4])?;
    /// if rt.rank() == 0 {
    ///     ga.put(.., &array![[0, 1, 2, 3], [10, 11, 12, 13], [20, 21, 22, 23]])?;
    /// }
    /// ga.sync()?;
    /// // One row and one column past each end.
    /// let halo = ga.get_periodic([-1..1, 3..5])?;
    /// assert_eq!(halo, array![[23, 20], [3, 0]]);
    /// assert_eq!(ga.get_periodic(&[0..1, -2..7][..])?, array![[2, 3, 0, 1, 2, 3, 0, 1, 2]]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn get_periodic(&self, section: impl PeriodicRanges) -> Result<Array<T, D>> {
        during(
            "GlobalArray::get_periodic",
            move || -> Result<Array<T, D>> {
                let parts = periodic_parts(section.ranges(), self.shape())?;
                let dim = self.dim_of(&parts.shape);
                self.with_periodic_pieces(&parts, |p| self.win.read_new(p, dim))
            },
        )
    }

    /// Writes `src` into a periodic section (`NGA_Periodic_put`). `src`
    /// takes the forms of [`put`](Self::put)'s, of the section's shape.
    ///
    /// Errors: as [`get_periodic`](Self::get_periodic);
    /// [`InvalidArgument`](crate::ErrorKind::InvalidArgument) for a range
    /// longer than its axis; [`ShapeMismatch`](crate::ErrorKind::ShapeMismatch);
    /// [`Borrowed`](crate::ErrorKind::Borrowed) and
    /// [`ReadOnly`](crate::ErrorKind::ReadOnly) as for `put`.
    ///
    /// # One-sided
    ///
    /// Only the calling rank takes part; it returns once `src` may be
    /// reused, and other ranks see the data after the next
    /// [`sync`](Self::sync).
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let ga = gain::GlobalArray::<f64, _>::zeros(&rt, 6)?;
    /// if rt.rank() == 0 {
    ///     ga.put_periodic(-2..1, &[1.0, 2.0, 3.0])?; // indices 4, 5, 0
    /// }
    /// ga.sync()?;
    /// assert_eq!(ga.get(..)?.to_vec(), vec![3.0, 0.0, 0.0, 0.0, 1.0, 2.0]);
    /// assert!(ga.put_periodic(0..7, &[0.0; 7]).is_err()); // longer than the axis
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn put_periodic<'a>(
        &self,
        section: impl PeriodicRanges,
        src: impl AsArray<'a, T, D>,
    ) -> Result<()> {
        during("GlobalArray::put_periodic", move || -> Result<()> {
            let ranges = section.ranges();
            let parts = periodic_parts(ranges, self.shape())?;
            for (d, (r, &n)) in ranges.iter().zip(self.shape()).enumerate() {
                if parts.shape[d] > n {
                    bail!(
                        InvalidArgument,
                        "periodic range {r:?} is longer than dimension {d} of extent {n}, \
                         so a put would write some elements twice"
                    );
                }
            }
            let src: ArrayView<'a, T, D> = src.into();
            check_periodic_buffer(&parts, src.shape())?;
            self.with_periodic_pieces(&parts, |p| {
                let _claims = self.claim_writes(p.iter().map(|p| p.rank))?;
                self.win.write(p, src.into_dyn())
            })
        })
    }

    /// Atomically adds `alpha * src` into a periodic section, element by
    /// element (`NGA_Periodic_acc`), as [`acc`](Self::acc) does. Where a
    /// range is longer than its axis, an element receives one addition per
    /// buffer position that wraps onto it.
    ///
    /// Errors: as [`get_periodic`](Self::get_periodic);
    /// [`ShapeMismatch`](crate::ErrorKind::ShapeMismatch);
    /// [`Borrowed`](crate::ErrorKind::Borrowed) and
    /// [`ReadOnly`](crate::ErrorKind::ReadOnly) as for `put`.
    ///
    /// # One-sided
    ///
    /// Only the calling rank takes part; it returns once `src` may be
    /// reused, and the sums are visible everywhere after the next
    /// [`sync`](Self::sync).
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let ga = gain::GlobalArray::<i64, _>::zeros(&rt, 4)?;
    /// if rt.rank() == 0 {
    ///     ga.acc_periodic(-1..5, &[1, 1, 1, 1, 1, 1], 10)?; // 3, 0, 1, 2, 3, 0
    /// }
    /// ga.sync()?;
    /// assert_eq!(ga.get(..)?.to_vec(), vec![20, 10, 10, 20]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn acc_periodic<'a>(
        &self,
        section: impl PeriodicRanges,
        src: impl AsArray<'a, T, D>,
        alpha: T,
    ) -> Result<()> {
        during("GlobalArray::acc_periodic", move || -> Result<()> {
            let parts = periodic_parts(section.ranges(), self.shape())?;
            let src: ArrayView<'a, T, D> = src.into();
            check_periodic_buffer(&parts, src.shape())?;
            self.with_periodic_pieces(&parts, |p| {
                let _claims = self.claim_writes(p.iter().map(|p| p.rank))?;
                self.win.accumulate(p, src.into_dyn(), alpha)
            })
        })
    }

    /// Calls `f` with the pieces of every in-range part, each placed at
    /// its part's position in the buffer.
    fn with_periodic_pieces<R>(
        &self,
        parts: &PeriodicParts,
        f: impl FnOnce(&[Piece<'_>]) -> Result<R>,
    ) -> Result<R> {
        let mut pieces: Vec<Piece<'_>> = Vec::new();
        for (sub, at) in &parts.parts {
            for (rank, part) in self.dist.locate_region(sub)? {
                let in_buf = Section::from_fn(part.ndim(), |d| {
                    let lo = part.lo()[d] - sub.lo()[d] + at[d];
                    (lo, lo + part.hi()[d] - part.lo()[d])
                });
                pieces.push(Piece {
                    in_buf,
                    ..self.piece(rank, &part, sub)
                });
            }
        }
        f(&pieces)
    }
}

fn check_periodic_buffer(parts: &PeriodicParts, buf: &[usize]) -> Result<()> {
    if buf != &parts.shape[..] {
        bail!(
            ShapeMismatch,
            "buffer of shape {buf:?} for a periodic section of shape {:?}",
            parts.shape
        );
    }
    Ok(())
}
