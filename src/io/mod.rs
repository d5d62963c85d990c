//! Files: `.npy` save and load of global arrays, in parallel.
//!
//! Every rank reads and writes its own block's bytes of the file directly
//! (through a `memmap2` mapping of its bytes, or with positioned I/O,
//! `GAIN_NPY_IO=positioned`);
//! nothing passes through one rank. Rank 0 alone writes the header. The
//! files are NumPy's own format, versions 1.0 to 3.0: `numpy.load` opens
//! what [`save_npy`] writes, and [`load_npy`] opens what `numpy.save`
//! writes, in C or Fortran order, for every [`Element`] type.
//!
//! A file can also *be* an array: [`GlobalArray::map_npy`] maps a `.npy`
//! file into every rank and uses it in place, read-only or read-write
//! ([`MapMode`]), and [`create_npy`] makes a new one to map. Such a
//! file-backed array needs no memory of its own and persists
//! ([`GlobalArray::flush`]).
//!
//! This layer sits on [`GlobalArray`]'s public API (blocks, local views,
//! `sync`) and, for file-backed arrays, on the array layer's constructor
//! over a mapped file; `io/npy.rs` holds one rank's file work, with no
//! MPI.
//!
//! Every rank must see the file at the same path, through a filesystem
//! the ranks share (a cluster's home or parallel filesystem). A rank on a
//! node that cannot see it gets [`ErrorKind::Io`] and so do the others.
//! (A read-only [`map_npy`](GlobalArray::map_npy) also works with a copy
//! of the file on every node; its docs say what a read-write one does
//! then.)

mod mapped;
mod npy;

use std::path::Path;

use ndarray::Dimension;

use crate::array::GlobalArray;
use crate::element::Element;
use crate::error::{Error, ErrorKind, Result};
use crate::fault::during;
use crate::replicated::Replicated;
use crate::runtime::Runtime;

use npy::{NpyFile, NpyOut};

pub use crate::array::MapMode;
pub use mapped::create_npy;

/// Writes `ga` to `path` as a `.npy` file (C order, NumPy's format version
/// 1.0, or 2.0 for headers too long for it), replacing any file there.
/// Rank 0 writes the header; every rank writes its block's bytes in
/// place. The file appears under its name only when complete: the ranks
/// write a hidden temporary file beside it (`.NAME.PID.gain-partial`),
/// which rank 0 renames to `path` at the end, or removes after a failure.
/// Earlier puts and accumulates by any rank are in the file (the call
/// starts with a [`sync`](GlobalArray::sync)). Like `numpy.save`, it
/// does not force the data to disk (the operating system writes it back
/// later) and, unlike it, it never appends `.npy` to the name.
///
/// Errors, on every rank, with no file left behind:
/// [`Io`](ErrorKind::Io) when `path` is a directory, its directory does
/// not exist, a rank cannot create or write the file (permission, a full
/// disk, a rank that does not see rank 0's filesystem);
/// [`InconsistentArguments`](ErrorKind::InconsistentArguments) when ranks
/// pass different paths (compared as absolute paths);
/// [`InvalidArgument`](ErrorKind::InvalidArgument) for a malformed
/// `GAIN_NPY_IO`.
///
/// # Collective
///
/// Every rank must call it with the same path (checked); it returns when
/// the whole file is written and renamed into place.
///
/// # Examples
///
/// ```
/// # let rt = gain::init()?;
/// let ga = gain::numpy::from_fn(&rt, [3, 4], |i| (10 * i[0] + i[1]) as f64)?;
/// let path = std::env::temp_dir().join(format!("gain-doc-save-{}.npy", std::process::id()));
/// gain::io::save_npy(&ga, &path)?;
/// let back = gain::io::load_npy::<f64, ndarray::Ix2>(&rt, &path)?;
/// assert_eq!(back.get(..)?, ga.get(..)?);
/// # std::fs::remove_file(&path).unwrap();
/// # Ok::<(), gain::Error>(())
/// ```
pub fn save_npy<T: Element, D: Dimension>(
    ga: &GlobalArray<T, D>,
    path: impl AsRef<Path>,
) -> Result<()> {
    let path = path.as_ref();
    during("io::save_npy", || {
        let rt = ga.runtime();
        let checked = npy::method().and_then(|m| npy::check_target(path).map(|()| m));
        let args = [("paths", absolute(path))];
        rt.agree_arguments(checked.as_ref().map(|_| &args[..]).map_err(Error::clone))?;
        let method = checked?;
        ga.sync()?;
        // Rank 0 creates the temporary file with its header and tells the
        // others its name (from rank 0's PID) and where the data starts.
        let created = if rt.rank() == 0 {
            let tag = std::process::id().to_string();
            NpyOut::create::<T>(&npy::temporary(path, &tag), ga.shape())
                .map(|at| format!("{tag} {at}"))
        } else {
            Ok(String::new())
        };
        let created = rt.share_outcome(0, created, ErrorKind::Io)?;
        let (tag, at) = created.split_once(' ').unwrap_or_default();
        let tmp = npy::temporary(path, tag);
        let wrote = at
            .parse::<u64>()
            .map_err(|_| Error::new(ErrorKind::Io, "rank 0 sent a malformed data offset"))
            .and_then(|at| write_own_block(ga, &tmp, at, method));
        if let Err(e) = rt.agree_success(wrote, ErrorKind::Io) {
            if rt.rank() == 0 {
                let _ = std::fs::remove_file(&tmp);
            }
            return Err(e);
        }
        let renamed = if rt.rank() == 0 {
            std::fs::rename(&tmp, path)
                .map(|()| String::new())
                .map_err(|e| {
                    let _ = std::fs::remove_file(&tmp);
                    Error::new(ErrorKind::Io, format!("renaming {}: {e}", tmp.display()))
                })
        } else {
            Ok(String::new())
        };
        rt.share_outcome(0, renamed, ErrorKind::Io).map(|_| ())
    })
}

/// This rank's part of a save: its block's bytes, into the temporary file.
fn write_own_block<T: Element, D: Dimension>(
    ga: &GlobalArray<T, D>,
    tmp: &Path,
    data_at: u64,
    method: npy::Method,
) -> Result<()> {
    let out = NpyOut::open(tmp, data_at).map_err(|e| {
        Error::new(
            ErrorKind::Io,
            format!(
                "{e} (rank 0 created this file: every rank must see it through a shared \
                 filesystem)"
            ),
        )
    })?;
    let Some(block) = ga.distribution(ga.runtime().rank()) else {
        return Ok(());
    };
    let local = ga.local();
    // A block with ghost cells is a strided view: written from a copy.
    let data = local.as_standard_layout();
    let data = data.as_slice().expect("a standard-layout array");
    out.write_block(ga.shape(), &block, data, method)
}

/// The shape of the array in the `.npy` file at `path`, read from its
/// header and checked as [`load_npy`] checks the file (`T`'s type
/// descriptor, the file's length), for choosing a distribution before
/// [`load_npy_into`].
///
/// Errors: [`Io`](ErrorKind::Io) and [`NpyFormat`](ErrorKind::NpyFormat)
/// as for [`load_npy`].
///
/// # Local
///
/// Reads the file's header on the calling rank alone; no communication.
///
/// # Examples
///
/// ```
/// # let rt = gain::init()?;
/// let path = std::env::temp_dir().join(format!("gain-doc-shape-{}.npy", std::process::id()));
/// gain::io::save_npy(&gain::numpy::zeros::<f32, _>(&rt, [5, 3])?, &path)?;
/// assert_eq!(gain::io::npy_shape::<f32>(&path)?, vec![5, 3]);
/// # std::fs::remove_file(&path).unwrap();
/// # Ok::<(), gain::Error>(())
/// ```
pub fn npy_shape<T: Element>(path: impl AsRef<Path>) -> Result<Vec<usize>> {
    during("io::npy_shape", || {
        Ok(NpyFile::open::<T, ndarray::IxDyn>(path.as_ref())?.shape)
    })
}

/// Reads the `.npy` file at `path` into a new array, regularly
/// distributed over all ranks as by [`GlobalArray::zeros`]. The file may
/// be in C or Fortran order, in format version 1.0, 2.0 or 3.0, and its
/// type descriptor must be `T`'s in this machine's byte order (`'<f8'`
/// for `f64`, `'|u1'` for `u8`). Each rank reads only its own block's
/// bytes, so a file larger than one rank's memory loads when the job's
/// memory holds it. The file must not change during the call.
///
/// Errors, on every rank, before the array is created:
/// [`Io`](ErrorKind::Io) for a missing file, a path that is not a regular
/// file, one some rank cannot open;
/// [`NpyFormat`](ErrorKind::NpyFormat) for a file that is not `.npy`, has
/// an unsupported version, is truncated or has trailing bytes, or holds
/// another element type or byte order;
/// [`DimensionMismatch`](ErrorKind::DimensionMismatch) when its number of
/// dimensions is not `D`'s;
/// [`InconsistentArguments`](ErrorKind::InconsistentArguments) when ranks
/// pass different paths or see different files; those of
/// [`GlobalArray::zeros`].
///
/// # Collective
///
/// Every rank must call it with the same path and types (checked); it
/// returns when every block is read and visible to every rank.
///
/// # Examples
///
/// ```
/// # let rt = gain::init()?;
/// let path = std::env::temp_dir().join(format!("gain-doc-load-{}.npy", std::process::id()));
/// let a = gain::numpy::arange::<i32>(&rt, 0, 6, 1)?;
/// gain::io::save_npy(&a, &path)?;
/// let b = gain::io::load_npy::<i32, ndarray::Ix1>(&rt, &path)?;
/// assert_eq!(b.get(..)?.to_vec(), vec![0, 1, 2, 3, 4, 5]);
/// let wrong = gain::io::load_npy::<f64, ndarray::Ix1>(&rt, &path);
/// assert_eq!(wrong.unwrap_err().kind(), gain::ErrorKind::NpyFormat);
/// # std::fs::remove_file(&path).unwrap();
/// # Ok::<(), gain::Error>(())
/// ```
pub fn load_npy<T: Element, D: Dimension>(
    rt: &Runtime,
    path: impl AsRef<Path>,
) -> Result<GlobalArray<T, D>> {
    during("io::load_npy", || load(rt, path.as_ref(), None))
}

/// Like [`load_npy`], with Global Arrays' chunk hints for the new array's
/// distribution, as [`GlobalArray::zeros_chunked`] takes them
/// (`chunk[d] >= shape[d]` keeps dimension `d` whole on each rank).
///
/// Errors: those of [`load_npy`] and of
/// [`GlobalArray::zeros_chunked`].
///
/// # Collective
///
/// Every rank must call it with the same path, types and chunk hints
/// (checked); it returns when every block is read and visible to every
/// rank.
///
/// # Examples
///
/// ```
/// # let rt = gain::init()?;
/// let path = std::env::temp_dir().join(format!("gain-doc-chunked-{}.npy", std::process::id()));
/// let a = gain::numpy::ones::<f32, _>(&rt, [4, 6])?;
/// gain::io::save_npy(&a, &path)?;
/// // Rows stay whole: each rank reads one contiguous band of the file.
/// let b = gain::io::load_npy_chunked::<f32, ndarray::Ix2>(&rt, &path, &[0, 6])?;
/// assert_eq!(b.distribution_map().grid()[1], 1);
/// # std::fs::remove_file(&path).unwrap();
/// # Ok::<(), gain::Error>(())
/// ```
pub fn load_npy_chunked<T: Element, D: Dimension>(
    rt: &Runtime,
    path: impl AsRef<Path>,
    chunk: &[usize],
) -> Result<GlobalArray<T, D>> {
    during("io::load_npy_chunked", || {
        load(rt, path.as_ref(), Some(chunk))
    })
}

/// Reads the `.npy` file at `path` into the existing array `ga`, whatever
/// its distribution (irregular ones included); the file's shape must be
/// `ga`'s. Everything else is as in [`load_npy`].
///
/// Errors: those of [`load_npy`], and
/// [`ShapeMismatch`](ErrorKind::ShapeMismatch) when the file's shape is
/// not `ga`'s (on every rank, before anything is written);
/// [`ReadOnly`](ErrorKind::ReadOnly) on every rank when `ga` is mapped
/// read-only from a file.
///
/// # Collective
///
/// Every rank must call it with the same array and path (checked); it
/// returns when every block is read and visible to every rank.
///
/// # Examples
///
/// ```
/// # let rt = gain::init()?;
/// let path = std::env::temp_dir().join(format!("gain-doc-into-{}.npy", std::process::id()));
/// gain::io::save_npy(&gain::numpy::full(&rt, [3, 3], 2i64)?, &path)?;
/// let mut ga = gain::GlobalArray::<i64, _>::zeros(&rt, [3, 3])?;
/// gain::io::load_npy_into(&mut ga, &path)?;
/// assert_eq!(ga.get(..)?.sum(), 18);
/// # std::fs::remove_file(&path).unwrap();
/// # Ok::<(), gain::Error>(())
/// ```
pub fn load_npy_into<T: Element, D: Dimension>(
    ga: &mut GlobalArray<T, D>,
    path: impl AsRef<Path>,
) -> Result<()> {
    during("io::load_npy_into", || {
        ga.check_writable()?;
        let rt = ga.runtime().clone();
        let (method, file) = open_agreed::<T, D>(&rt, path.as_ref())?;
        if file.shape != ga.shape() {
            return Err(Error::new(
                ErrorKind::ShapeMismatch,
                format!(
                    "the file holds an array of shape {:?}, the array's is {:?}",
                    file.shape,
                    ga.shape()
                ),
            ));
        }
        fill(ga, &file, method)
    })
}

fn load<T: Element, D: Dimension>(
    rt: &Runtime,
    path: &Path,
    chunk: Option<&[usize]>,
) -> Result<GlobalArray<T, D>> {
    let (method, file) = open_agreed::<T, D>(rt, path)?;
    let mut dim = D::zeros(file.shape.len());
    dim.slice_mut().copy_from_slice(&file.shape);
    let mut ga = match chunk {
        None => GlobalArray::zeros(rt, dim)?,
        Some(c) => GlobalArray::zeros_chunked(rt, dim, c)?,
    };
    fill(&mut ga, &file, method)?;
    Ok(ga)
}

/// Opens and checks the file on every rank, and makes the ranks agree on
/// what they found (so all see one file, or all return an error).
fn open_agreed<T: Element, D: Dimension>(
    rt: &Runtime,
    path: &Path,
) -> Result<(npy::Method, NpyFile)> {
    let opened = npy::method().and_then(|m| NpyFile::open::<T, D>(path).map(|f| (m, f)));
    let args = opened.as_ref().map(|(_, f)| {
        [
            ("paths", absolute(path)),
            ("element types", std::any::type_name::<T>().to_string()),
            ("shapes in the file", format!("{:?}", f.shape)),
            (
                "orders in the file",
                if f.fortran { "Fortran" } else { "C" }.to_string(),
            ),
            ("file lengths", f.len.to_string()),
        ]
    });
    rt.agree_arguments(args.as_ref().map(|a| &a[..]).map_err(|e| (*e).clone()))?;
    opened
}

/// Every rank reads its block of `file` into `ga`, then the ranks sync.
fn fill<T: Element, D: Dimension>(
    ga: &mut GlobalArray<T, D>,
    file: &NpyFile,
    method: npy::Method,
) -> Result<()> {
    let rt = ga.runtime().clone();
    let read = match ga.distribution(rt.rank()) {
        Some(block) => {
            let mut local = ga.local_mut();
            match local.as_slice_mut() {
                Some(out) => file.read_block(&block, out, method),
                None => {
                    // A block with ghost cells is a strided view: read
                    // into a copy, then copied in.
                    let mut packed = ndarray::Array::zeros(local.raw_dim());
                    let out = packed.as_slice_mut().expect("a new array is contiguous");
                    let read = file.read_block(&block, out, method);
                    local.assign(&packed);
                    read
                }
            }
        }
        None => Ok(()),
    };
    rt.agree_success(read, ErrorKind::Io)?;
    ga.sync()
}

/// # Files
impl<T: Element, D: Dimension> Replicated<T, D> {
    /// Reads the `.npy` file at `path` into a new replicated array: one
    /// copy per node, which the node's ranks fill together, each reading
    /// an even share of the rows straight from the file into node shared
    /// memory, so every node reads each byte of the file once (not once
    /// per rank) and no data crosses between nodes. Files are accepted as
    /// by [`load_npy`] (C or Fortran order, versions 1.0 to 3.0, `T`'s
    /// type descriptor) and, unlike global arrays, may be 0-d.
    ///
    /// Errors, on every rank, before anything is allocated: those of
    /// [`load_npy`] for the file and the paths; a read that fails on some
    /// rank is [`Io`](ErrorKind::Io) there and
    /// [`InconsistentArguments`](ErrorKind::InconsistentArguments) naming
    /// it elsewhere, with nothing left allocated.
    ///
    /// # Collective
    ///
    /// Every rank must call it with the same path and types (checked); it
    /// returns when every node's copy is complete and visible to its ranks.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let path = std::env::temp_dir().join(format!("gain-doc-repl-{}.npy", std::process::id()));
    /// let ga = gain::numpy::from_fn(&rt, [4, 2], |i| (i[0] * 2 + i[1]) as f64)?;
    /// gain::io::save_npy(&ga, &path)?;
    /// let table = gain::Replicated::<f64, ndarray::Ix2>::load_npy(&rt, &path)?;
    /// assert_eq!(table.view()[[3, 1]], 7.0); // a plain view: no communication
    /// # std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn load_npy(rt: &Runtime, path: impl AsRef<Path>) -> Result<Self> {
        during("Replicated::load_npy", || {
            let (method, file) = open_agreed::<T, D>(rt, path.as_ref())?;
            let mut dim = D::zeros(file.shape.len());
            dim.slice_mut().copy_from_slice(&file.shape);
            let shape = file.shape.clone();
            Replicated::from_rows(rt, "Replicated::load_npy", dim, |part, rows| {
                let section = crate::Section::from_fn(shape.len(), |d| {
                    if d == 0 {
                        (rows.start, rows.end)
                    } else {
                        (0, shape[d])
                    }
                });
                file.read_block(&section, part, method)
            })
        })
    }
}

/// `path` as the ranks compare it, so that two names of one file agree
/// (`data/../data/x.npy` and `data/x.npy`, or a link to it): canonical
/// (absolute, `..` and symbolic links resolved) when the file exists, else
/// its canonical directory joined with its name (a file about to be
/// written), else absolute.
fn absolute(path: &Path) -> String {
    let canonical = std::fs::canonicalize(path).ok().or_else(|| {
        let name = path.file_name()?;
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        std::fs::canonicalize(dir).ok().map(|d| d.join(name))
    });
    canonical
        .or_else(|| std::path::absolute(path).ok())
        .map_or_else(|| path.display().to_string(), |p| p.display().to_string())
}
