//! `.npy` files, file-backed arrays and replicated data: [`crate::io`],
//! [`GlobalArray::map_npy`](crate::GlobalArray::map_npy),
//! [`crate::Replicated`].
//!
//! ```
//! use gain::{Replicated, io};
//! use ndarray::Ix2;
//!
//! fn main() -> gain::Result<()> {
//!     let rt = gain::init()?;
//!     let a = gain::numpy::from_fn(&rt, [1000, 8], |i| (i[0] * 8 + i[1]) as f64)?;
//!     io::save_npy(&a, "target/a.npy")?; // every rank writes its block; numpy.load reads it
//!     let b = io::load_npy::<f64, Ix2>(&rt, "target/a.npy")?; // numpy.save's files too
//!     let table = Replicated::<f64, Ix2>::load_npy(&rt, "target/a.npy")?; // one copy per node
//!     let row = table.view().row(999).sum(); // a plain ndarray view: no communication
//!     assert_eq!(row, b.get(ndarray::s![999..1000, ..])?.sum());
//!     Ok(())
//! }
//! ```
//!
//! # `.npy` files
//!
//! [`io::save_npy`](crate::io::save_npy), [`io::load_npy`](crate::io::load_npy),
//! `load_npy_chunked` and `load_npy_into` (any distribution) read and
//! write NumPy's `.npy` format (C or Fortran order, versions 1–3, every
//! element type), every rank reading and writing its own block's bytes;
//! [`io::npy_shape`](crate::io::npy_shape) reads a file's shape (local).
//! This is what Global Arrays' disk-resident arrays and `GA_Read`/`GA_Write`
//! of files do. `GAIN_NPY_IO` chooses how a block's bytes move
//! ([`super::environment`]).
//!
//! The file must be visible to every rank at the same path (a cluster's
//! shared filesystem); a rank that cannot open it is an `Io` error on
//! every rank. A save writes a hidden temporary file beside the target and
//! renames it into place, so a failed save leaves nothing behind. Bad
//! files are a typed error on every rank before anything is allocated:
//! `Io` (missing, not a regular file, a FIFO), `NpyFormat` (wrong magic or
//! version, truncated, trailing bytes, another dtype or byte order),
//! `DimensionMismatch`, `InconsistentArguments` (ranks passing different
//! paths).
//!
//! # File-backed arrays
//!
//! [`GlobalArray::map_npy`](crate::GlobalArray::map_npy)`(rt, path,
//! MapMode::ReadOnly / ReadWrite)` uses a `.npy` file in place: the blocks
//! live in the mapped file (bands of rows, one contiguous run of the file
//! each; same-node ranks share its page cache, remote ones reach it
//! through `MPI_Win_create` over the owner's mapping); everything else is
//! unchanged. [`flush`](crate::GlobalArray::flush) makes writes durable,
//! [`io::create_npy`](crate::io::create_npy) makes a new file-backed
//! array, and a read-only array's writes are
//! [`ErrorKind::ReadOnly`](crate::ErrorKind::ReadOnly). The crate docs,
//! "File-backed arrays", have an example.
//!
//! Without a shared filesystem a file-backed array needs a copy of the
//! file on every node: read-only it works, read-write each block's writes
//! land in its owner's node's copy only (the method's docs say more).
//!
//! # Replicated arrays
//!
//! [`Replicated<T, D>`](crate::Replicated) is one read-only copy of an
//! array per node (Global Arrays' mirrored arrays): `from_global`,
//! `from_root`, `Replicated::load_npy` (each byte of the file read once
//! per node); `view()` is a plain `ArrayView` of the whole array, no
//! communication; `update_from_global`, `update_from_root`. The
//! `shared_lookup` example loads a 1.5 GB table so and answers queries
//! from every rank through the view.
