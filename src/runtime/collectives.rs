//! Value collectives on the runtime: broadcast and all-reduce of a value
//! or a slice of any element type (Global Arrays' `GA_Brdcst` and
//! `GA_Dgop` / `GA_Igop` / `GA_Lgop`, with their operators as
//! [`ReduceOp`]).
//!
//! Each call begins with one small allreduce (the window layer's
//! `allreduce_packet`) carrying a digest of its arguments (length,
//! operator or root, element type; the maximum of `[0, h, !h]` tells
//! whether every rank passed the same `h`) and, when it fits in 40 bytes,
//! the data too, combined by a user-defined MPI operation: a one-value
//! `all_reduce_value` or `broadcast_value` (Global Arrays' `GA_Dgop` of
//! one double) costs that one collective. Ranks passing different
//! arguments all return
//! [`InconsistentArguments`](ErrorKind::InconsistentArguments) instead of
//! entering collectives that do not match, with nothing written. Longer
//! buffers then move with one `MPI_Allreduce` (in place, with gain's own
//! user-defined operation: see [`ReduceOp`]) or `MPI_Bcast`, in pieces of
//! 2^30 elements for slices longer than an MPI count.

use std::fmt;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::str::FromStr;

use mpi::raw::AsRaw;

use super::Runtime;
use crate::element::Element;
use crate::error::{Error, ErrorKind, Result};
use crate::fault::{self, during};
use crate::window::{self, Combine, PACKET_DATA};

/// An all-reduce operator of [`Runtime::all_reduce`]: Global Arrays'
/// `GA_Dgop` operators, parsed from and displayed as their strings
/// (`"+"`, `"*"`, `"max"`, `"min"`, `"absmax"`, `"absmin"`).
///
/// - `Sum`, `Prod`: integers wrap on overflow, as `MPI_SUM` does (gain
///   combines the values itself, in a user-defined MPI operation, so the
///   results are the same under Open MPI, whose AVX reductions saturate
///   8- and 16-bit sums, and MPICH, whose `MPI_MAX` compares unsigned
///   integers as signed);
/// - `Max`, `Min`: the largest and smallest value;
/// - `AbsMax`, `AbsMin`: the largest and smallest absolute value, so the
///   result is never negative. For unsigned types they are `Max` and `Min`;
///   the absolute value of a signed type's `MIN` saturates to its `MAX`
///   (it has no positive counterpart).
///
/// # Local
///
/// A value: parsing and displaying it involve no communication.
///
/// # Examples
///
/// ```
/// use gain::ReduceOp;
/// let op: ReduceOp = "absmax".parse()?;
/// assert_eq!(op, ReduceOp::AbsMax);
/// assert_eq!(ReduceOp::Sum.to_string(), "+");
/// assert_eq!("avg".parse::<ReduceOp>().unwrap_err().kind(), gain::ErrorKind::InvalidArgument);
/// # Ok::<(), gain::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReduceOp {
    /// `"+"`: the sum.
    Sum,
    /// `"*"`: the product.
    Prod,
    /// `"max"`: the maximum.
    Max,
    /// `"min"`: the minimum.
    Min,
    /// `"absmax"`: the maximum of the absolute values.
    AbsMax,
    /// `"absmin"`: the minimum of the absolute values.
    AbsMin,
}

impl ReduceOp {
    const ALL: [ReduceOp; 6] = [
        ReduceOp::Sum,
        ReduceOp::Prod,
        ReduceOp::Max,
        ReduceOp::Min,
        ReduceOp::AbsMax,
        ReduceOp::AbsMin,
    ];

    /// Global Arrays' string for the operator.
    fn as_str(self) -> &'static str {
        match self {
            ReduceOp::Sum => "+",
            ReduceOp::Prod => "*",
            ReduceOp::Max => "max",
            ReduceOp::Min => "min",
            ReduceOp::AbsMax => "absmax",
            ReduceOp::AbsMin => "absmin",
        }
    }

    /// How the values combine once the absolute values are taken.
    fn combine(self) -> Combine {
        match self {
            ReduceOp::Sum => Combine::Sum,
            ReduceOp::Prod => Combine::Prod,
            ReduceOp::Max | ReduceOp::AbsMax => Combine::Max,
            ReduceOp::Min | ReduceOp::AbsMin => Combine::Min,
        }
    }
}

impl FromStr for ReduceOp {
    type Err = Error;

    /// Parses Global Arrays' operator strings; anything else is
    /// [`InvalidArgument`](ErrorKind::InvalidArgument).
    fn from_str(s: &str) -> Result<ReduceOp> {
        ReduceOp::ALL
            .into_iter()
            .find(|op| op.as_str() == s)
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidArgument,
                    format!(
                        "unknown reduction operator {s:?} (one of \"+\", \"*\", \"max\", \
                         \"min\", \"absmax\", \"absmin\")"
                    ),
                )
            })
    }
}

impl fmt::Display for ReduceOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The absolute value of `x`, saturating at `MAX` for a signed `MIN`
/// (from `Element`'s wrapping arithmetic alone: `-x` wraps to `MIN` only
/// for `MIN`, and `MIN - 1` wraps to `MAX`).
fn abs<T: Element>(x: T) -> T {
    if x >= T::zero() {
        return x;
    }
    let minus_one = T::wrapping_from_i64(-1);
    let neg = x.wrapping_mul(minus_one);
    if neg < T::zero() {
        neg.wrapping_add(minus_one)
    } else {
        neg
    }
}

/// Which call a digest is for, so that ranks calling different
/// collectives at the same point disagree too.
#[derive(Hash)]
enum Call {
    Broadcast { root: usize },
    AllReduce { op: ReduceOp },
}

impl Call {
    fn name(&self) -> &'static str {
        match self {
            Call::Broadcast { .. } => "Runtime::broadcast",
            Call::AllReduce { .. } => "Runtime::all_reduce",
        }
    }

    fn render(&self) -> (&'static str, String) {
        match self {
            Call::Broadcast { root } => ("root", root.to_string()),
            Call::AllReduce { op } => ("operator", format!("{op:?} ({op})")),
        }
    }
}

impl Runtime {
    /// Collective: the ranks agree on `call`, `data.len()` and the element
    /// type `T`, or all return the same error, before anything is written.
    /// When `data` fits in a packet (`PACKET_DATA` bytes) the same
    /// allreduce combines it by `c` (this rank's part only if
    /// `contribute`), writes the result into `data` and returns `true`;
    /// else `data` is untouched and the caller moves it.
    fn agree_call<T: Element>(
        &self,
        call: Call,
        data: &mut [T],
        contribute: bool,
        c: Combine,
        local: Result<()>,
    ) -> Result<bool> {
        let len = data.len();
        let ty = std::any::type_name::<T>();
        let head = match &local {
            Ok(()) => {
                let mut h = DefaultHasher::new();
                (&call, len, ty).hash(&mut h);
                let h = h.finish();
                [0, h, !h]
            }
            Err(_) => [1, 0, 0],
        };
        let fits = local.is_ok() && size_of_val(data) <= PACKET_DATA;
        let payload = if fits { data } else { &mut [][..] };
        let max =
            window::allreduce_packet(self.inner.world.as_raw(), head, payload, contribute, c)?;
        fault::completed();
        if max[0] == 0 && max[1] == !max[2] {
            return Ok(fits);
        }
        // Every rank saw the disagreement: all take part in naming it.
        let rendered = [
            ("call", call.name().to_string()),
            call.render(),
            ("length", len.to_string()),
            ("element type", ty.to_string()),
        ];
        self.agree_arguments(local.map(|()| &rendered[..]))?;
        // Digests differed where the rendered arguments agree: still an
        // error on every rank (all of them are here).
        Err(Error::new(
            ErrorKind::InconsistentArguments,
            "ranks passed different arguments to a collective call",
        ))
    }

    fn broadcast_in<T: Element>(&self, buf: &mut [T], root: usize) -> Result<()> {
        let local = if root < self.size() {
            Ok(())
        } else {
            Err(Error::new(
                ErrorKind::InvalidArgument,
                format!("root {root} is not a rank of a job of {}", self.size()),
            ))
        };
        let mine = root == self.rank();
        let call = Call::Broadcast { root };
        if self.agree_call(call, buf, mine, Combine::Or, local)? || buf.is_empty() {
            return Ok(());
        }
        window::bcast(self.inner.world.as_raw(), root, buf)
    }

    fn all_reduce_in<T: Element>(&self, buf: &mut [T], op: ReduceOp) -> Result<()> {
        let abs_first = matches!(op, ReduceOp::AbsMax | ReduceOp::AbsMin);
        let combine = op.combine();
        let call = Call::AllReduce { op };
        if size_of_val(buf) <= PACKET_DATA {
            // A short buffer travels with the agreement, through a copy,
            // so that `buf` is written only once the ranks agreed.
            let mut small = [T::zero(); PACKET_DATA];
            let copy = &mut small[..buf.len()];
            copy.copy_from_slice(buf);
            if abs_first {
                copy.iter_mut().for_each(|x| *x = abs(*x));
            }
            self.agree_call(call, copy, true, combine, Ok(()))?;
            buf.copy_from_slice(copy);
            return Ok(());
        }
        // Too long for the packet: agreed first (`buf` untouched), then
        // reduced in place.
        self.agree_call(call, buf, true, combine, Ok(()))?;
        if abs_first {
            buf.iter_mut().for_each(|x| *x = abs(*x));
        }
        window::allreduce_elements(self.inner.world.as_raw(), buf, combine)
    }

    /// Broadcasts `buf` from rank `root` into every other rank's `buf`
    /// (Global Arrays' `GA_Brdcst`): afterwards every rank holds root's
    /// values.
    ///
    /// Threads: like every collective, it is called by one thread of each
    /// rank, in the same order among the rank's collective calls (MPI
    /// matches collectives by their order); other threads of the rank may
    /// make one-sided calls meanwhile.
    ///
    /// Errors, on every rank, before anything is sent:
    /// [`InvalidArgument`](ErrorKind::InvalidArgument) when `root` is not
    /// a rank; [`InconsistentArguments`](ErrorKind::InconsistentArguments)
    /// when the ranks pass different lengths, roots or element types (the
    /// message names what differs and each rank's value);
    /// [`Mpi`](ErrorKind::Mpi) when MPI fails.
    ///
    /// # Collective
    ///
    /// Every rank calls it with the same `root`, `buf.len()` and element
    /// type; it returns once this rank holds root's values (root's `buf`
    /// keeps its values).
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let mut v = if rt.rank() == 0 { [1.5, 2.5] } else { [0.0; 2] };
    /// rt.broadcast(&mut v, 0)?;
    /// assert_eq!(v, [1.5, 2.5]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn broadcast<T: Element>(&self, buf: &mut [T], root: usize) -> Result<()> {
        during("Runtime::broadcast", || self.broadcast_in(buf, root))
    }

    /// Broadcasts one value from rank `root`: returns root's `value` on
    /// every rank ([`broadcast`](Self::broadcast) of one element).
    ///
    /// Errors: as [`broadcast`](Self::broadcast).
    ///
    /// # Collective
    ///
    /// Every rank calls it with the same `root` and element type; it
    /// returns root's value once it has arrived here.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let seed = rt.broadcast_value(1000 + rt.rank() as u64, 0)?;
    /// assert_eq!(seed, 1000);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn broadcast_value<T: Element>(&self, value: T, root: usize) -> Result<T> {
        during("Runtime::broadcast_value", || {
            let mut v = [value];
            self.broadcast_in(&mut v, root)?;
            Ok(v[0])
        })
    }

    /// Replaces `buf` on every rank with the element-wise reduction `op`
    /// of every rank's `buf` (Global Arrays' `GA_Dgop`, `GA_Igop`,
    /// `GA_Lgop`): `buf[i]` becomes `op` over the ranks' `buf[i]`. Every
    /// rank gets the same values. Integer sums and products wrap;
    /// [`ReduceOp`] says what each operator computes.
    ///
    /// Threads: as for [`broadcast`](Self::broadcast), one thread of each
    /// rank calls it, in the same order among the rank's collectives.
    ///
    /// Errors, on every rank, before anything is sent:
    /// [`InconsistentArguments`](ErrorKind::InconsistentArguments) when the
    /// ranks pass different lengths, operators or element types (the
    /// message names what differs and each rank's value);
    /// [`Mpi`](ErrorKind::Mpi) when MPI fails.
    ///
    /// # Collective
    ///
    /// Every rank calls it with the same `op`, `buf.len()` and element
    /// type; it returns once this rank holds the result.
    ///
    /// # Examples
    ///
    /// ```
    /// use gain::ReduceOp;
    /// # let rt = gain::init()?;
    /// let mut v = [rt.rank() as i64, -(rt.rank() as i64)];
    /// rt.all_reduce(&mut v, ReduceOp::AbsMax)?;
    /// assert_eq!(v, [rt.size() as i64 - 1; 2]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn all_reduce<T: Element>(&self, buf: &mut [T], op: ReduceOp) -> Result<()> {
        during("Runtime::all_reduce", || self.all_reduce_in(buf, op))
    }

    /// The reduction `op` of every rank's `value`, on every rank
    /// ([`all_reduce`](Self::all_reduce) of one element; `GA_Dgop` of one
    /// double is `rt.all_reduce_value(x, ReduceOp::Sum)`).
    ///
    /// Errors: as [`all_reduce`](Self::all_reduce).
    ///
    /// # Collective
    ///
    /// Every rank calls it with the same `op` and element type; it returns
    /// once this rank holds the result.
    ///
    /// # Examples
    ///
    /// ```
    /// use gain::ReduceOp;
    /// # let rt = gain::init()?;
    /// let total = rt.all_reduce_value(1.0f64, "+".parse()?)?;
    /// assert_eq!(total, rt.size() as f64);
    /// let low = rt.all_reduce_value(rt.rank() as i32 - 1, ReduceOp::Min)?;
    /// assert_eq!(low, -1);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn all_reduce_value<T: Element>(&self, value: T, op: ReduceOp) -> Result<T> {
        during("Runtime::all_reduce_value", || {
            let mut v = [value];
            self.all_reduce_in(&mut v, op)?;
            Ok(v[0])
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ops_parse_and_display_as_global_arrays_strings() {
        for op in ReduceOp::ALL {
            assert_eq!(op.to_string().parse::<ReduceOp>().unwrap(), op);
        }
        for bad in ["", "sum", "MAX", "+ ", "abs"] {
            let e = bad.parse::<ReduceOp>().unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{bad:?}");
        }
    }

    #[test]
    fn abs_saturates_at_min_and_keeps_unsigned() {
        assert_eq!(abs(i8::MIN), i8::MAX);
        assert_eq!(abs(-5i8), 5);
        assert_eq!(abs(i64::MIN), i64::MAX);
        assert_eq!(abs(-7i64), 7);
        assert_eq!(abs(200u8), 200);
        assert_eq!(abs(u64::MAX), u64::MAX);
        assert_eq!(abs(-2.5f64), 2.5);
        assert_eq!(abs(-0.0f32), 0.0);
        assert_eq!(abs(3.0f32), 3.0);
    }
}
