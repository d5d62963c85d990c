//! The crate's error type.

use std::fmt;

/// What went wrong; see [`Error::kind`].
///
/// The enum is `#[non_exhaustive]`: new kinds may be added without a major
/// version bump, so match with a wildcard arm.
///
/// # Examples
///
/// ```
/// use gain::{Error, ErrorKind};
/// let e = Error::new(ErrorKind::ZeroSizeDimension, "dimension 0 has extent 0");
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
    /// An array shape has an extent of zero.
    ZeroSizeDimension,
    /// The number of elements or bytes does not fit in the address space.
    SizeOverflow,
    /// An irregular block map or chunk hint is malformed.
    InvalidDistribution,
    /// The ranks of a collective call passed different arguments.
    InconsistentArguments,
    /// An argument is outside what the call accepts (a parameter out of
    /// range, a label outside the clusters), the same on every rank.
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
    /// An MPI call returned an error code.
    Mpi,
}

/// The error returned by every fallible operation of this crate.
///
/// Errors caused by bad arguments are detected before anything is written
/// or sent, so the arrays involved are unchanged. A collective call given
/// bad arguments on any rank returns an error on every rank.
///
/// # Examples
///
/// ```
/// use gain::{Error, ErrorKind};
/// let e = Error::new(ErrorKind::OutOfBounds, "index 7 >= extent 4");
/// assert!(e.to_string().contains("index 7"));
/// # let rt = gain::init()?;
/// let ga = gain::GlobalArray::<f64, _>::zeros(&rt, 4)?;
/// assert_eq!(ga.get(2..5).unwrap_err().kind(), ErrorKind::OutOfBounds);
/// # Ok::<(), gain::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
}

impl Error {
    /// Creates an error of `kind` with a human-readable message.
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
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
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

    /// The message, without the kind.
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
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.kind, self.message)
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
