//! The crate's error type. A leaf: it imports nothing of the crate. The
//! fault handling (`crate::fault`) builds on it, not the other way round.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};

/// This process's rank in `MPI_COMM_WORLD` once a runtime exists,
/// `usize::MAX` before: the rank every [`Error`] made from then on names.
static RANK: AtomicUsize = AtomicUsize::new(usize::MAX);

/// Records this process's rank in `MPI_COMM_WORLD` for the errors it makes
/// from now on (the runtime calls it once MPI runs).
pub(crate) fn set_rank(rank: usize) {
    RANK.store(rank, Ordering::Relaxed);
}

/// This process's rank in `MPI_COMM_WORLD`, once a runtime exists.
pub(crate) fn this_rank() -> Option<usize> {
    Some(RANK.load(Ordering::Relaxed)).filter(|&r| r != usize::MAX)
}

/// What went wrong; see [`Error::kind`].
///
/// The enum is `#[non_exhaustive]`: new kinds may be added without a major
/// version bump, so match with a wildcard arm.
///
/// # Examples
///
/// ```
/// use gain::{Error, ErrorKind};
/// let e = Error::new(ErrorKind::ZeroSizeDimension, "min of an empty array");
/// assert_eq!(e.kind(), ErrorKind::ZeroSizeDimension);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A section or index reaches past the array's shape.
    OutOfBounds,
    /// A section has `lo > hi` in some dimension.
    ReversedSection,
    /// A buffer's shape differs from the section it is paired with, or two
    /// arrays that must have the same shape do not.
    ShapeMismatch,
    /// A section or shape has a different number of dimensions than the array.
    DimensionMismatch,
    /// The operation needs at least one element and has none: `min`,
    /// `max`, `argmin`, `argmax` of an empty array or expression, and
    /// axis reductions of one. (Shapes themselves may have zero-length
    /// axes; creating such an array is not an error.)
    ZeroSizeDimension,
    /// The number of elements or bytes does not fit in the address space.
    SizeOverflow,
    /// An irregular block map or chunk hint is malformed.
    InvalidDistribution,
    /// The ranks of a collective call passed different arguments (the
    /// message names the first that differs and each rank's value), or
    /// some rank rejected its own while these were fine (the message names
    /// that rank and its error): the ranks disagreed. The same bad
    /// argument on every rank is [`InvalidArgument`](Self::InvalidArgument)
    /// or a more specific kind.
    InconsistentArguments,
    /// An argument is outside what the call accepts (a parameter out of
    /// range, a zero step, a root that is not a rank, a label outside the
    /// clusters), the same on every rank; also a malformed `GAIN_*`
    /// environment variable (`GAIN_RANKS_PER_NODE`,
    /// `GAIN_MAX_TRANSFER_BYTES`, `GAIN_FAULT_TIMEOUT`).
    InvalidArgument,
    /// The rank asked for is not on the caller's node (or does not exist).
    NotSameNode,
    /// The operation needs an integer element type.
    NotInteger,
    /// A write by this process into a block that this process currently
    /// views: a [`LocalView`](crate::LocalView) from
    /// [`local`](crate::GlobalArray::local) or
    /// [`local_of`](crate::GlobalArray::local_of), an
    /// [`Access`](crate::Access) borrowed in place, or an operand of a
    /// running NumPy-layer operation. The view is a shared reference, so
    /// the write is refused, before anything is written, as
    /// `RefCell::borrow_mut` refuses while a `Ref` lives; drop the view
    /// and write again. The message names the block's rank.
    Borrowed,
    /// An MPI call returned an error code (the message names the call and
    /// MPI's text), e.g. a node's shared memory too small for a new array.
    Mpi,
    /// A file operation of [`io`](crate::io) failed: a missing file or
    /// directory, a path that is not a regular file, no permission, a full
    /// disk, a file some rank cannot see (no shared filesystem). The
    /// message names the path and the system's error.
    Io,
    /// A file is not the `.npy` file the call needs: a wrong magic string
    /// or format version, a malformed header, a truncated file or one with
    /// bytes after its data, or an element type (NumPy `dtype`) or byte
    /// order other than the one asked for. (A file whose number of
    /// dimensions differs from the array's is
    /// [`DimensionMismatch`](Self::DimensionMismatch).)
    NpyFormat,
    /// A write into an array mapped read-only from its file
    /// ([`MapMode::ReadOnly`](crate::MapMode::ReadOnly)): a put, an
    /// accumulate, a `read_inc`, a
    /// [`try_local_mut`](crate::GlobalArray::try_local_mut), or a
    /// collective that writes the array (`fill`, `copy_from`, the NumPy
    /// layer's assignments and `Zip`, `linalg`'s and `random`'s fills of a
    /// given array, `io::load_npy_into`). The mapping cannot be written, so
    /// the write is refused before any memory is touched: by the calling
    /// rank for a one-sided call, by every rank for a collective one.
    ReadOnly,
    /// A one-sided call that needs MPI (a block on another node) made from
    /// a second thread of a rank whose MPI library was initialised below
    /// `MPI_THREAD_MULTIPLE`. [`init`](crate::init) asks for
    /// `MPI_THREAD_MULTIPLE`; a program that initialises MPI itself and
    /// builds its runtime with [`Runtime::from_comm`](crate::Runtime::from_comm)
    /// asks for it there, or calls gain from one thread.
    ThreadLevel,
}

/// The error returned by every fallible operation of this crate.
///
/// Errors caused by bad arguments are detected before anything is written
/// or sent, so the arrays involved are unchanged. A collective call given
/// bad arguments on any rank returns an error on every rank.
///
/// An error knows the rank that raised it and, once it has left the
/// crate, the call it left ([`operation`](Self::operation)).
/// [`Display`](std::fmt::Display) — and `Debug`, which `main` prints when
/// it returns the error — read `rank 1: GlobalArray::get: OutOfBounds:
/// ...`. A rank that returns an error from `main` while the other ranks
/// carry on does not leave them waiting: see the crate docs, "When a rank
/// fails".
///
/// # Examples
///
/// ```
/// use gain::{Error, ErrorKind};
/// let e = Error::new(ErrorKind::OutOfBounds, "index 7 >= extent 4");
/// assert!(e.to_string().contains("index 7"));
/// # let rt = gain::init()?;
/// let ga = gain::GlobalArray::<f64, _>::zeros(&rt, 4)?;
/// let e = ga.get(2..5).unwrap_err();
/// assert_eq!(e.kind(), ErrorKind::OutOfBounds);
/// assert_eq!(e.rank(), Some(rt.rank()));
/// assert_eq!(e.operation(), Some("GlobalArray::get"));
/// # Ok::<(), gain::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    rank: Option<usize>,
    operation: Option<&'static str>,
}

impl Error {
    /// Creates an error of `kind` with a human-readable message, raised by
    /// the calling rank (once a runtime exists). Making one has no side
    /// effect: an error counts for the fault handling
    /// ([`guide::faults`](crate::guide::faults)) once it leaves one of
    /// gain's own calls.
    ///
    /// # Local
    ///
    /// Builds a value on the calling rank; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// let e = gain::Error::new(gain::ErrorKind::Mpi, "MPI_Get failed");
    /// assert_eq!(e.message(), "MPI_Get failed");
    /// ```
    // Cold: errors are rare, and a call that can fail keeps its success
    // path small when building one stays out of line.
    #[cold]
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            rank: this_rank(),
            operation: None,
        }
    }

    /// The category of the error.
    ///
    /// # Local
    ///
    /// A query of the error; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// let e = gain::Error::new(gain::ErrorKind::ShapeMismatch, "2x3 vs 3x2");
    /// assert_eq!(e.kind(), gain::ErrorKind::ShapeMismatch);
    /// ```
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message, without the kind, the rank or the operation.
    ///
    /// # Local
    ///
    /// A query of the error; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// let e = gain::Error::new(gain::ErrorKind::ShapeMismatch, "2x3 vs 3x2");
    /// assert_eq!(e.message(), "2x3 vs 3x2");
    /// ```
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The rank that raised the error, in `MPI_COMM_WORLD` (the number
    /// the launcher reports; a runtime's own [`rank`](crate::Runtime::rank)
    /// differs only for a runtime on a sub-communicator); `None` for an
    /// error made before any runtime existed.
    ///
    /// # Local
    ///
    /// A query of the error; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let e = gain::Error::new(gain::ErrorKind::InvalidArgument, "k = 0");
    /// assert_eq!(e.rank(), Some(rt.rank()));
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn rank(&self) -> Option<usize> {
        self.rank
    }

    /// The public call the error came out of, e.g. `"GlobalArray::put"` or
    /// `"numpy::scatter"`; `None` for an error made outside the crate.
    ///
    /// # Local
    ///
    /// A query of the error; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let ga = gain::GlobalArray::<i32, _>::zeros(&rt, 4)?;
    /// let e = ga.put(0..2, &[1, 2, 3]).unwrap_err();
    /// assert_eq!(e.operation(), Some("GlobalArray::put"));
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn operation(&self) -> Option<&'static str> {
        self.operation
    }

    /// The same error, marked as leaving the public call `op` (the
    /// outermost call wins: a `numpy::full` that fails in
    /// `GlobalArray::zeros` reports `numpy::full`). `crate::fault::during`
    /// is the one place that calls it.
    pub(crate) fn in_operation(mut self, op: &'static str) -> Self {
        self.operation = Some(op);
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(r) = self.rank {
            write!(f, "rank {r}: ")?;
        }
        if let Some(op) = self.operation {
            write!(f, "{op}: ")?;
        }
        write!(f, "{:?}: {}", self.kind, self.message)
    }
}

/// The same text as `Display`: `main` returning `Err` prints `Debug`, and
/// a user reading a failed job needs the rank, the call and the values, not
/// the struct's fields.
impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for Error {}

/// `Result` with [`Error`].
///
/// # Examples
///
/// ```
/// fn half(n: usize) -> gain::Result<usize> {
///     if n % 2 == 1 {
///         return Err(gain::Error::new(gain::ErrorKind::InvalidArgument, "odd"));
///     }
///     Ok(n / 2)
/// }
/// assert_eq!(half(4)?, 2);
/// assert!(half(3).is_err());
/// # Ok::<(), gain::Error>(())
/// ```
pub type Result<T> = std::result::Result<T, Error>;

macro_rules! bail {
    ($kind:ident, $($arg:tt)*) => {
        return Err($crate::Error::new($crate::ErrorKind::$kind, format!($($arg)*)))
    };
}
pub(crate) use bail;
