//! File-backed arrays over `.npy` files: [`GlobalArray::map_npy`] opens
//! one in place, [`create_npy`] makes a new one. Every rank checks the
//! file here (`npy.rs`), the ranks agree on what they found, and the array
//! layer builds the array over the mapped data.

use std::path::Path;

use ndarray::{Dimension, IntoDimension};

use super::absolute;
use super::npy::{self, NpyFile, NpyOut};
use crate::array::{GlobalArray, MapMode};
use crate::dist::Distribution;
use crate::element::Element;
use crate::error::{Error, ErrorKind, Result};
use crate::fault::during;
use crate::runtime::Runtime;

/// # File-backed arrays over `.npy` files
impl<T: Element, D: Dimension> GlobalArray<T, D> {
    /// The `.npy` file at `path` as a global array, in place: its blocks
    /// are the file's own bytes, mapped into every rank (`MAP_SHARED`),
    /// instead of MPI shared memory. Nothing is read up front and nothing
    /// is copied, so an array larger than the job's memory works (the
    /// operating system pages it in and out), and with
    /// [`MapMode::ReadWrite`] every write goes to the file, which
    /// [`flush`](Self::flush) makes durable. Get, put, accumulate,
    /// `read_inc`, local views, `access`, the NumPy layer, `linalg` and
    /// the rest work as on any array. With [`MapMode::ReadOnly`] the
    /// mapping is read-only and every write returns
    /// [`ReadOnly`](ErrorKind::ReadOnly) (see [`MapMode`]).
    ///
    /// The file must be in C order, with `T`'s type descriptor in this
    /// machine's byte order (`'<f8'` for `f64`), format version 1.0, 2.0
    /// or 3.0, and `D`'s number of dimensions. The array is cut into bands
    /// of rows (only axis 0 is split, as
    /// [`zeros_chunked`](Self::zeros_chunked) with `[0, shape[1], ...]`
    /// does), so that each block is one contiguous run of the file. Its
    /// blocks are aligned to `T`, not to the 64 bytes of
    /// [`local`](Self::local)'s blocks in shared memory.
    ///
    /// Ranks on one node share one copy of the data, the file's page
    /// cache, and read and write each other's blocks through it directly;
    /// ranks on other nodes go through an MPI window over the owner's
    /// mapping (`MPI_Win_create`). Each rank maps the file at `path` on
    /// its own node, and the owner's mapping holds its block. On a shared
    /// filesystem that is one file. Without one, every node needs its own
    /// copy of the file at `path`: a read-only array then works (each
    /// owner serves its block from its node's copy), but a read-write
    /// array's writes land in the copy on the owner's node, so no copy
    /// holds the whole result — gather it with [`io::save_npy`](crate::io::save_npy)
    /// to a shared place, or collect the blocks from every node's copy.
    ///
    /// While the array lives, no program may truncate or replace the
    /// file's data (a page past a truncated end raises `SIGBUS` where it
    /// is touched), and writes by other programs are seen as writes by
    /// another rank are (unspecified until a [`sync`](Self::sync)). A
    /// sparse file (one with holes, as `truncate -s` makes; not one of
    /// [`create_npy`], which allocates its blocks) on a disk that fills up
    /// raises `SIGBUS` where a new page is first written.
    ///
    /// Errors, on every rank, before anything is mapped or written (a rank
    /// whose own check failed gets its error, the others
    /// [`InconsistentArguments`](ErrorKind::InconsistentArguments) naming
    /// it):
    /// [`Io`](ErrorKind::Io) for a missing file, a path that is not a
    /// regular file, one a rank cannot open (for writing, with
    /// [`MapMode::ReadWrite`]) or map;
    /// [`NpyFormat`](ErrorKind::NpyFormat) for a file that is not `.npy`
    /// (wrong magic string, unsupported version, malformed header), is
    /// truncated or has trailing bytes, holds another element type or byte
    /// order, or is in Fortran order;
    /// [`DimensionMismatch`](ErrorKind::DimensionMismatch) when its
    /// number of dimensions is not `D`'s (or is 0);
    /// [`InconsistentArguments`](ErrorKind::InconsistentArguments) when
    /// ranks pass different paths (compared as absolute paths) or modes,
    /// or see different files; those of [`zeros`](Self::zeros) for the
    /// environment.
    ///
    /// # Collective
    ///
    /// Every rank must call it with the same path, mode and types
    /// (checked); it returns when every rank has mapped the file and the
    /// array's windows are set up. Dropping the array is collective as for
    /// any array; it unmaps the file but does not flush it.
    ///
    /// # Examples
    ///
    /// ```
    /// use gain::{GlobalArray, MapMode};
    /// use ndarray::{Ix2, array};
    /// # let rt = gain::init()?;
    /// let path = std::env::temp_dir().join(format!("gain-doc-map-{}.npy", std::process::id()));
    /// ndarray_npy::write_npy(&path, &array![[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]).unwrap();
    /// let ga = GlobalArray::<f64, Ix2>::map_npy(&rt, &path, MapMode::ReadWrite)?;
    /// assert!(ga.is_file_backed());
    /// assert_eq!(ga.get(..)?.sum(), 21.0);
    /// ga.acc([2..3, 0..2], &array![[10.0, 10.0]], 1.0)?;
    /// ga.flush()?;
    /// drop(ga);
    /// let back: ndarray::Array2<f64> = ndarray_npy::read_npy(&path).unwrap();
    /// assert_eq!(back.row(2).to_vec(), vec![15.0, 16.0]);
    /// // Read-only: every write is refused.
    /// let ro = GlobalArray::<f64, Ix2>::map_npy(&rt, &path, MapMode::ReadOnly)?;
    /// let err = ro.put([0..1, 0..1], &array![[0.0]]).unwrap_err();
    /// assert_eq!(err.kind(), gain::ErrorKind::ReadOnly);
    /// // A file of another element type or rank is an error.
    /// let wrong = GlobalArray::<i32, Ix2>::map_npy(&rt, &path, MapMode::ReadOnly);
    /// assert_eq!(wrong.unwrap_err().kind(), gain::ErrorKind::NpyFormat);
    /// # drop(ro);
    /// # std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn map_npy(rt: &Runtime, path: impl AsRef<Path>, mode: MapMode) -> Result<Self> {
        let path = path.as_ref();
        during("GlobalArray::map_npy", || map(rt, path, mode))
    }
}

/// Creates a new `.npy` file at `path` holding a zero-filled C-order array
/// of `T` and `shape` (format version 1.0, or 2.0 for headers too long for
/// it), replacing any file there, and maps it read-write: a
/// [`GlobalArray::map_npy`] array with [`MapMode::ReadWrite`], for a result
/// that must persist or does not fit in memory. Rank 0 writes only the
/// header and allocates the data's blocks (`posix_fallocate`: unwritten
/// extents, read as zeros, on filesystems that have them), so a disk
/// without room for the array is an [`Io`](ErrorKind::Io) error here and
/// never a `SIGBUS` when a page is first written. Rank 0 creates it under a hidden temporary name beside `path`
/// and renames it into place, so a partial file never appears under
/// `path`; [`flush`](GlobalArray::flush) makes writes durable.
///
/// Every rank must see the file rank 0 created, through a filesystem the
/// ranks share: a rank on a node that does not is an
/// [`Io`](ErrorKind::Io) error (a missing file), on every rank, and the
/// file stays on rank 0's node.
///
/// Errors, on every rank, before the file is created:
/// [`Io`](ErrorKind::Io) when `path` is a directory or its directory does
/// not exist; [`DimensionMismatch`](ErrorKind::DimensionMismatch),
/// [`SizeOverflow`](ErrorKind::SizeOverflow) for shapes no array can
/// have; [`InconsistentArguments`](ErrorKind::InconsistentArguments) when
/// ranks pass different paths or shapes. After creating it: `Io` on every
/// rank when rank 0 cannot create or write it, and those of
/// [`GlobalArray::map_npy`].
///
/// # Collective
///
/// Every rank must call it with the same path, shape and type (checked);
/// it returns when the file exists and every rank has mapped it.
///
/// # Examples
///
/// ```
/// # let rt = gain::init()?;
/// let path = std::env::temp_dir().join(format!("gain-doc-create-{}.npy", std::process::id()));
/// let mut ga = gain::io::create_npy::<i64, _>(&rt, &path, [6, 4])?;
/// assert_eq!(ga.get(..)?.sum(), 0);
/// ga.assign(gain::numpy::arange(&rt, 0, 4, 1)?.expr() * 2)?; // NumPy layer, into the file
/// ga.flush()?;
/// drop(ga);
/// let back: ndarray::Array2<i64> = ndarray_npy::read_npy(&path).unwrap();
/// assert_eq!(back.row(5).to_vec(), vec![0, 2, 4, 6]);
/// # std::fs::remove_file(&path).unwrap();
/// # Ok::<(), gain::Error>(())
/// ```
pub fn create_npy<T: Element, Sh: IntoDimension>(
    rt: &Runtime,
    path: impl AsRef<Path>,
    shape: Sh,
) -> Result<GlobalArray<T, Sh::Dim>> {
    let path = path.as_ref();
    during("io::create_npy", || {
        let dim = shape.into_dimension();
        let checked = npy::check_target(path)
            .and_then(|()| Distribution::regular(dim.slice(), rt.size(), None).map(drop));
        let args = [
            ("paths", absolute(path)),
            ("element types", std::any::type_name::<T>().to_string()),
            ("shapes", format!("{:?}", dim.slice())),
        ];
        rt.agree_arguments(checked.as_ref().map(|_| &args[..]).map_err(Error::clone))?;
        checked?;
        let created = if rt.rank() == 0 {
            let tmp = npy::temporary(path, &std::process::id().to_string());
            let made = NpyOut::create::<T>(&tmp, dim.slice())
                .and_then(|data_at| {
                    // The data's blocks, allocated now: a disk without room
                    // is an error here, not a SIGBUS at some rank's first
                    // store into a page of a sparse file.
                    let bytes = dim.size() * size_of::<T>();
                    std::fs::OpenOptions::new()
                        .write(true)
                        .open(&tmp)
                        .and_then(|f| npy::allocate(&f, data_at, bytes))
                        .map_err(|e| Error::new(ErrorKind::Io, format!("{}: {e}", tmp.display())))
                })
                .and_then(|()| {
                    std::fs::rename(&tmp, path).map_err(|e| {
                        Error::new(ErrorKind::Io, format!("renaming {}: {e}", tmp.display()))
                    })
                });
            if made.is_err() {
                let _ = std::fs::remove_file(&tmp);
            }
            made.map(|()| String::new())
        } else {
            Ok(String::new())
        };
        rt.share_outcome(0, created, ErrorKind::Io)?;
        map(rt, path, MapMode::ReadWrite)
    })
}

/// Opens and checks the file on every rank, makes the ranks agree on what
/// they found (so all map one file, or all return an error), and builds
/// the array over it.
fn map<T: Element, D: Dimension>(
    rt: &Runtime,
    path: &Path,
    mode: MapMode,
) -> Result<GlobalArray<T, D>> {
    let opened = NpyFile::open_with::<T, D>(path, mode == MapMode::ReadWrite).and_then(|f| {
        if f.fortran {
            return Err(Error::new(
                ErrorKind::NpyFormat,
                format!(
                    "{}: the file is in Fortran order; a file-backed array needs C order \
                     (io::load_npy reads it into memory)",
                    path.display()
                ),
            ));
        }
        Ok(f)
    });
    let args = opened.as_ref().map(|f| {
        [
            ("paths", absolute(path)),
            ("modes", format!("{mode:?}")),
            ("element types", std::any::type_name::<T>().to_string()),
            ("shapes in the file", format!("{:?}", f.shape)),
            ("file lengths", f.len.to_string()),
            ("data offsets", f.data_at.to_string()),
        ]
    });
    rt.agree_arguments(args.as_ref().map(|a| &a[..]).map_err(|e| (*e).clone()))?;
    let file = opened?;
    GlobalArray::from_file(rt, &file.shape, file.file(), file.data_at, mode)
}
