//! One rank's side of a `.npy` file: checking and mapping a file, its
//! header, and moving one block's bytes between the file and memory. No
//! MPI here; `io/mod.rs` makes the ranks agree around these steps.
//!
//! `ndarray-npy` does the format work: it parses the header (format
//! versions 1.0, 2.0 and 3.0), checks the type descriptor against the
//! element type, the byte order, the number of dimensions and the file's
//! length, and writes headers exactly as NumPy does. What it does not do
//! is split a file among processes, so this module finds where a block's
//! bytes lie ([`Section::c_order_runs`]) and reads or writes only those.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::{FileExt, FileTypeExt};
use std::path::{Path, PathBuf};

use memmap2::Mmap;
use ndarray::{ArrayView, ArrayViewMut, Dimension, IxDyn};
use ndarray_npy::{ViewNpyError, ViewNpyExt};

use crate::dist::{Section, narrow};
use crate::element::Element;
use crate::error::{Error, ErrorKind, Result};
use crate::sys::{self, as_bytes, as_bytes_mut, page_size};

/// How a rank moves its block's bytes (`GAIN_NPY_IO`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    /// `pread`/`pwrite` of each contiguous run straight between the file
    /// and the array's memory.
    Positioned,
    /// Copies between the array's memory and a `memmap2` mapping of the
    /// file.
    Mapped,
}

/// The method `GAIN_NPY_IO` asks for (`positioned` or `mapped`), or the
/// default, the mapping: measured faster for both directions (BENCHMARKS.md,
/// "io"), chiefly on saves, because stores into a shared mapping of one
/// file proceed in parallel where `pwrite`s from several processes take
/// turns on the file's lock.
/// Files in Fortran order are always read through the mapping, since a
/// block is then no run of the file but a transposed copy.
pub(crate) fn method() -> Result<Method> {
    match std::env::var("GAIN_NPY_IO").as_deref() {
        Err(_) | Ok("") | Ok("mapped") => Ok(Method::Mapped),
        Ok("positioned") => Ok(Method::Positioned),
        Ok(other) => Err(Error::new(
            ErrorKind::InvalidArgument,
            format!("GAIN_NPY_IO must be `positioned` or `mapped`, not {other:?}"),
        )),
    }
}

/// An error about `path`, of `kind`.
fn file_error(kind: ErrorKind, path: &Path, what: impl std::fmt::Display) -> Error {
    Error::new(kind, format!("{}: {what}", path.display()))
}

fn io_error(path: &Path, e: std::io::Error) -> Error {
    file_error(ErrorKind::Io, path, e)
}

/// A `.npy` file opened for reading and checked against `T` and `D`.
pub(crate) struct NpyFile {
    path: PathBuf,
    file: File,
    map: Mmap,
    /// The array's shape, as the header gives it.
    pub shape: Vec<usize>,
    /// Whether the data is in Fortran (column-major) order.
    pub fortran: bool,
    /// Where the data starts in the file, in bytes.
    pub data_at: u64,
    /// The file's length in bytes.
    pub len: u64,
}

impl NpyFile {
    /// Opens `path`, maps it and checks its header against `T` and `D`.
    /// Only the header's pages are read; the mapping of the rest costs
    /// address space, not memory.
    pub(crate) fn open<T: Element, D: Dimension>(path: &Path) -> Result<Self> {
        Self::open_with::<T, D>(path, false)
    }

    /// As [`open`](Self::open), with the file opened for writing too when
    /// `write` (for a read-write mapping of it, [`file`](Self::file)).
    pub(crate) fn open_with<T: Element, D: Dimension>(path: &Path, write: bool) -> Result<Self> {
        // `stat` first: opening a FIFO for reading would block.
        let meta = std::fs::metadata(path).map_err(|e| io_error(path, e))?;
        let kind = meta.file_type();
        if !kind.is_file() {
            let what = if kind.is_dir() {
                "a directory"
            } else if kind.is_fifo() {
                "a FIFO"
            } else if kind.is_socket() {
                "a socket"
            } else {
                "a device"
            };
            return Err(file_error(
                ErrorKind::Io,
                path,
                format!("is {what}, not a regular file"),
            ));
        }
        let file = OpenOptions::new()
            .read(true)
            .write(write)
            .open(path)
            .map_err(|e| io_error(path, e))?;
        // Read-only and private to this `NpyFile`; `load_npy`'s docs
        // require that the file does not change during the call
        // (`sys::map_read_only`'s contract).
        let map = sys::map_read_only(&file, 0, None, false).map_err(|e| io_error(path, e))?;
        let (shape, fortran) = {
            let view = ArrayView::<T, D>::view_npy(&map).map_err(|e| format_error::<T>(path, e))?;
            let fortran = view.ndim() > 1 && !view.is_standard_layout();
            (view.shape().to_vec(), fortran)
        };
        let len = map.len() as u64;
        let data = shape.iter().product::<usize>() as u64 * size_of::<T>() as u64;
        Ok(NpyFile {
            path: path.to_path_buf(),
            file,
            map,
            shape,
            fortran,
            data_at: len - data,
            len,
        })
    }

    /// The open file.
    pub(crate) fn file(&self) -> &File {
        &self.file
    }

    /// The whole array, viewed in the mapping (C or Fortran order).
    fn view<T: Element>(&self) -> Result<ArrayView<'_, T, IxDyn>> {
        ArrayView::<T, IxDyn>::view_npy(&self.map).map_err(|e| format_error::<T>(&self.path, e))
    }

    /// Reads the elements of `block` into `out`, a C-order buffer of the
    /// block's shape.
    pub(crate) fn read_block<T: Element>(
        &self,
        block: &Section,
        out: &mut [T],
        method: Method,
    ) -> Result<()> {
        if block.is_empty() {
            return Ok(());
        }
        if self.fortran {
            // Not a run of the file: a transposing copy from the mapping.
            let all = self.view::<T>()?;
            let part = narrow(all, block);
            let mut out = ArrayViewMut::from_shape(IxDyn(&block.shape()), out)
                .map_err(|e| Error::new(ErrorKind::ShapeMismatch, e.to_string()))?;
            out.assign(&part);
            return Ok(());
        }
        if method == Method::Mapped {
            let (run, starts) = block.c_order_runs(&self.shape);
            let span = Span::of::<T>(self.data_at, run, &starts);
            // A read-only mapping of the bytes this rank reads, its own;
            // the file must not change during the load (as for
            // `NpyFile::open`'s mapping).
            let map = sys::map_read_only(&self.file, span.map_at, Some(span.map_len), true)
                .map_err(|e| io_error(&self.path, e))?;
            let bytes = run * size_of::<T>();
            for (chunk, &start) in out.chunks_exact_mut(run).zip(&starts) {
                let at = span.in_map::<T>(self.data_at, start);
                as_bytes_mut(chunk).copy_from_slice(&map[at..at + bytes]);
            }
            return Ok(());
        }
        let (run, starts) = block.c_order_runs(&self.shape);
        for (chunk, &start) in out.chunks_exact_mut(run).zip(&starts) {
            let at = self.data_at + (start * size_of::<T>()) as u64;
            self.file
                .read_exact_at(as_bytes_mut(chunk), at)
                .map_err(|e| io_error(&self.path, e))?;
        }
        Ok(())
    }
}

/// The bytes of the file one rank's runs lie in, as a mapping needs them:
/// from a page boundary at or before the first run to the end of the last.
struct Span {
    /// Where the mapping starts in the file (a multiple of the page size).
    map_at: u64,
    map_len: usize,
    /// Bytes of the mapping before the first run.
    skip: usize,
}

impl Span {
    fn of<T>(data_at: u64, run: usize, starts: &[usize]) -> Span {
        let first = data_at + (starts[0] * size_of::<T>()) as u64;
        let end = data_at + ((starts[starts.len() - 1] + run) * size_of::<T>()) as u64;
        let page = page_size();
        let map_at = first / page * page;
        Span {
            map_at,
            map_len: (end - map_at) as usize,
            skip: (first - map_at) as usize,
        }
    }

    /// Where in the mapping the run starting at element `start` begins.
    fn in_map<T>(&self, data_at: u64, start: usize) -> usize {
        (data_at + (start * size_of::<T>()) as u64 - self.map_at) as usize
    }
}

/// Allocates the file's blocks for `len` bytes at `at` (`posix_fallocate`;
/// no change to the file's length or contents).
pub(crate) fn allocate(file: &File, at: u64, len: usize) -> std::io::Result<()> {
    sys::allocate_file_space(file, at, len)
}

/// The `.npy` error `e` of viewing `path` as an array of `T`, as a
/// crate error.
fn format_error<T: Element>(path: &Path, e: ViewNpyError) -> Error {
    let (kind, what) = match e {
        // The header is read from the mapping, in memory: the one I/O error
        // there is running out of bytes.
        ViewNpyError::Io(e) => (
            ErrorKind::NpyFormat,
            format!("the file ends inside its .npy header ({e})"),
        ),
        ViewNpyError::WrongNdim(want, got) => (
            ErrorKind::DimensionMismatch,
            format!(
                "the file holds a {got}-d array, not the {}-d array asked for",
                want.map_or("n".to_string(), |n| n.to_string())
            ),
        ),
        ViewNpyError::WrongDescriptor(desc) => (
            ErrorKind::NpyFormat,
            format!(
                "the file's elements are {desc}, not {} ({})",
                std::any::type_name::<T>(),
                descriptor::<T>()
            ),
        ),
        ViewNpyError::NonNativeEndian => (
            ErrorKind::NpyFormat,
            "the file's byte order is not this machine's".to_string(),
        ),
        ViewNpyError::MissingBytes(n) => (
            ErrorKind::NpyFormat,
            format!(
                "the file is truncated: {n} bytes of the data its header describes are missing"
            ),
        ),
        ViewNpyError::ExtraBytes(n) => (
            ErrorKind::NpyFormat,
            format!("the file has {n} bytes after the data its header describes"),
        ),
        ViewNpyError::ParseHeader(e) => (
            ErrorKind::NpyFormat,
            format!("not a .npy file NumPy wrote: {e}"),
        ),
        other => (ErrorKind::NpyFormat, other.to_string()),
    };
    file_error(kind, path, what)
}

/// NumPy's type descriptor of `T` (`'<f8'` for `f64`), for messages.
fn descriptor<T: Element>() -> String {
    <T as ndarray_npy::WritableElement>::type_descriptor().to_string()
}

/// A `.npy` file being written under a temporary name.
pub(crate) struct NpyOut {
    path: PathBuf,
    file: File,
    /// Where the data starts in the file, in bytes.
    pub data_at: u64,
}

/// The temporary name a save writes to before renaming it to `path`: a
/// hidden file beside it, so that the rename stays on one filesystem.
pub(crate) fn temporary(path: &Path, tag: &str) -> PathBuf {
    let name = path
        .file_name()
        .map_or("array".into(), |n| n.to_string_lossy().into_owned());
    path.with_file_name(format!(".{name}.{tag}.gain-partial"))
}

/// Checks that `path` can be the target of a save: not a directory, in a
/// directory that exists.
pub(crate) fn check_target(path: &Path) -> Result<()> {
    if path.file_name().is_none() {
        return Err(file_error(ErrorKind::Io, path, "names no file"));
    }
    if path.is_dir() {
        return Err(file_error(ErrorKind::Io, path, "is a directory"));
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(file_error(ErrorKind::Io, dir, "is not a directory")),
        Err(e) => Err(io_error(dir, e)),
    }
}

impl NpyOut {
    /// Creates `tmp` with the header of a C-order array of `T` and `shape`
    /// and its full length (sparse where the filesystem allows), replacing
    /// any file of that name.
    pub(crate) fn create<T: Element>(tmp: &Path, shape: &[usize]) -> Result<u64> {
        let file = File::create(tmp).map_err(|e| io_error(tmp, e))?;
        let written = ndarray_npy::write_zeroed_npy::<T, _>(&file, IxDyn(shape))
            .map_err(|e| file_error(ErrorKind::Io, tmp, e))
            .and_then(|()| file.metadata().map_err(|e| io_error(tmp, e)));
        match written {
            Ok(meta) => Ok(meta.len() - (shape.iter().product::<usize>() * size_of::<T>()) as u64),
            Err(e) => {
                // A full disk, say: leave nothing behind.
                let _ = std::fs::remove_file(tmp);
                Err(e)
            }
        }
    }

    /// Opens the file `create` made (on this rank, maybe another node's
    /// view of a shared filesystem) for writing at `data_at`.
    pub(crate) fn open(tmp: &Path, data_at: u64) -> Result<Self> {
        // Read and write: a shared writable mapping needs both.
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(tmp)
            .map_err(|e| io_error(tmp, e))?;
        Ok(NpyOut {
            path: tmp.to_path_buf(),
            file,
            data_at,
        })
    }

    /// Writes the elements of `block` of an array of `shape` from `data`,
    /// a C-order buffer of the block's shape.
    pub(crate) fn write_block<T: Element>(
        &self,
        shape: &[usize],
        block: &Section,
        data: &[T],
        method: Method,
    ) -> Result<()> {
        if block.is_empty() {
            return Ok(());
        }
        let (run, starts) = block.c_order_runs(shape);
        match method {
            Method::Positioned => {
                for (chunk, &start) in data.chunks_exact(run).zip(&starts) {
                    let at = self.data_at + (start * size_of::<T>()) as u64;
                    self.file
                        .write_all_at(as_bytes(chunk), at)
                        .map_err(|e| io_error(&self.path, e))?;
                }
            }
            Method::Mapped => {
                let span = Span::of::<T>(self.data_at, run, &starts);
                // Blocks for the bytes first, so that a full disk is an
                // error here and not a SIGBUS when a store into the
                // mapping of a sparse file finds no room.
                allocate(
                    &self.file,
                    span.map_at + span.skip as u64,
                    span.map_len - span.skip,
                )
                .map_err(|e| io_error(&self.path, e))?;
                // The file is this save's temporary file, which no other
                // program knows of; the other ranks map it too but write
                // only their own blocks, whose bytes are disjoint from this
                // rank's (a distribution's blocks partition the array), so
                // no byte is written by two processes, and the bytes mapped
                // are allocated (above), so stores cannot fault
                // (`sys::map_shared_mut`'s contract).
                let mut map = sys::map_shared_mut(&self.file, span.map_at, span.map_len)
                    .map_err(|e| io_error(&self.path, e))?;
                let bytes = run * size_of::<T>();
                for (chunk, &start) in data.chunks_exact(run).zip(&starts) {
                    let at = span.in_map::<T>(self.data_at, start);
                    map[at..at + bytes].copy_from_slice(as_bytes(chunk));
                }
            }
        }
        Ok(())
    }
}
