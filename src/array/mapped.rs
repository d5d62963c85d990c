//! File-backed arrays: the constructor over a mapped file (which
//! [`GlobalArray::map_npy`] in `io` calls once the ranks agree on the
//! file), the mode queries, `flush`, and the fallible `try_local_mut`.

use std::fs::File;

use ndarray::{ArrayViewMut, Dimension};

use super::GlobalArray;
use crate::dist::Distribution;
use crate::element::Element;
use crate::error::{ErrorKind, Result, bail};
use crate::fault::during;
use crate::runtime::Runtime;
use crate::window::Window;

/// How [`GlobalArray::map_npy`] maps its file.
///
/// # Local
///
/// A value: choosing it involves no communication.
///
/// # Examples
///
/// ```
/// use gain::{GlobalArray, MapMode};
/// # let rt = gain::init()?;
/// let path = std::env::temp_dir().join(format!("gain-doc-mode-{}.npy", std::process::id()));
/// gain::io::save_npy(&gain::numpy::ones::<f64, _>(&rt, [4, 3])?, &path)?;
/// let ro = GlobalArray::<f64, ndarray::Ix2>::map_npy(&rt, &path, MapMode::ReadOnly)?;
/// assert_eq!(ro.map_mode(), Some(MapMode::ReadOnly));
/// assert_eq!(ro.get(..)?.sum(), 12.0);
/// # drop(ro);
/// # std::fs::remove_file(&path).unwrap();
/// # Ok::<(), gain::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MapMode {
    /// The file is mapped for reading only (`PROT_READ`): it may be
    /// read-only on disk, and nothing the program does changes it. Every
    /// write into the array returns
    /// [`ReadOnly`](crate::ErrorKind::ReadOnly) before touching memory,
    /// except [`local_mut`](GlobalArray::local_mut), which panics, and the
    /// NumPy layer's in-place operators (`+=`), which panic with that
    /// error as they do with any.
    ReadOnly,
    /// The file is mapped for reading and writing (`MAP_SHARED`): writes
    /// into the array are writes into the file, made durable by
    /// [`flush`](GlobalArray::flush) (or whenever the operating system
    /// writes them back).
    ReadWrite,
}

/// # File-backed arrays
///
/// A file-backed array ([`map_npy`](GlobalArray::map_npy),
/// [`io::create_npy`](crate::io::create_npy)) keeps its blocks in a
/// mapping of a `.npy` file instead of MPI shared memory; everything else
/// about it is an array like any other. Arrays made from it
/// ([`duplicate`](GlobalArray::duplicate), the NumPy layer's results) are
/// in shared memory, with its distribution where they take one.
impl<T: Element, D: Dimension> GlobalArray<T, D> {
    /// The array over the data of an agreed `.npy` file of `shape` (C
    /// order, `T`'s elements from byte `data_at` of `file`), cut into
    /// bands of rows so that every block is one contiguous run of the file.
    /// Collective; the caller has checked the file on every rank.
    pub(crate) fn from_file(
        rt: &Runtime,
        shape: &[usize],
        file: &File,
        data_at: u64,
        mode: MapMode,
    ) -> Result<Self> {
        // Rows stay whole: only axis 0 is split.
        let mut chunk = shape.to_vec();
        if let Some(c) = chunk.first_mut() {
            *c = 0;
        }
        let dist = Distribution::regular(shape, rt.size(), Some(&chunk))?;
        if D::NDIM.is_some_and(|n| n != dist.ndim()) {
            bail!(
                DimensionMismatch,
                "a {}-d file for a {:?}-d array",
                dist.ndim(),
                D::NDIM
            );
        }
        if dist.grid().iter().skip(1).any(|&g| g != 1) {
            bail!(
                InvalidDistribution,
                "a file-backed array needs bands of rows, got the process grid {:?}",
                dist.grid()
            );
        }
        let row: usize = shape.iter().skip(1).product();
        // Each block as a run of elements of the file's data.
        let runs: Vec<(usize, usize)> = (0..rt.size())
            .map(|r| dist.block(r).map_or((0, 0), |s| (s.lo()[0] * row, s.len())))
            .collect();
        let win = Window::map_file(
            &rt.placement(),
            file,
            data_at,
            &runs,
            mode == MapMode::ReadWrite,
        )?;
        let ghosts = super::ghosts::Ghosts::none(dist.ndim());
        Ok(Self::assemble(rt, dist, win, ghosts))
    }

    /// Whether the array's blocks live in a mapped file
    /// ([`map_npy`](Self::map_npy), [`io::create_npy`](crate::io::create_npy))
    /// rather than in MPI shared memory.
    ///
    /// # Local
    ///
    /// A query of how the array was created; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let ga = gain::GlobalArray::<f64, _>::zeros(&rt, 8)?;
    /// assert!(!ga.is_file_backed());
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn is_file_backed(&self) -> bool {
        self.win.mapped_writable().is_some()
    }

    /// How the array's file is mapped; `None` for an array in MPI shared
    /// memory.
    ///
    /// # Local
    ///
    /// A query of how the array was created; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// use gain::MapMode;
    /// # let rt = gain::init()?;
    /// let path = std::env::temp_dir().join(format!("gain-doc-map-mode-{}.npy", std::process::id()));
    /// let ga = gain::io::create_npy::<i32, _>(&rt, &path, [3, 2])?;
    /// assert_eq!(ga.map_mode(), Some(MapMode::ReadWrite));
    /// assert_eq!(gain::GlobalArray::<i32, _>::zeros(&rt, 2)?.map_mode(), None);
    /// # drop(ga);
    /// # std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn map_mode(&self) -> Option<MapMode> {
        self.win.mapped_writable().map(|w| {
            if w {
                MapMode::ReadWrite
            } else {
                MapMode::ReadOnly
            }
        })
    }

    /// Makes every earlier write into a file-backed array durable: a
    /// [`sync`](Self::sync) (every rank's puts and accumulates complete
    /// and visible), then every rank writes its own block's pages back to
    /// the file and waits until they are there (`msync(MS_SYNC)`), then
    /// the ranks learn that all succeeded. After it returns, the file holds
    /// the array even if the machine loses power. Without it the operating
    /// system writes the pages back when it likes, as for any shared
    /// mapping (at the latest when the last mapping of the file is gone
    /// and memory is needed). For a read-only mapping there is nothing to
    /// write back, and for an array in MPI shared memory nothing to make
    /// durable: then it is a `sync`.
    ///
    /// Across nodes each rank writes back the copy of the file on its own
    /// node, the one that holds its block (see
    /// [`map_npy`](Self::map_npy)).
    ///
    /// Errors: [`Io`](ErrorKind::Io) on every rank when writing back fails
    /// on some rank (an I/O error of the device, a full disk under a sparse
    /// file); [`Mpi`](ErrorKind::Mpi) as [`sync`](Self::sync).
    ///
    /// # Collective
    ///
    /// Every rank must call it, at the same point among its collective
    /// calls on the array's runtime; it returns when every rank's block is
    /// in the file.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let path = std::env::temp_dir().join(format!("gain-doc-flush-{}.npy", std::process::id()));
    /// let ga = gain::io::create_npy::<f64, _>(&rt, &path, [4, 4])?;
    /// if rt.rank() == 0 {
    ///     ga.put([1..2, 0..4], &ndarray::array![[1.0, 2.0, 3.0, 4.0]])?;
    /// }
    /// ga.flush()?; // the row is in the file now
    /// drop(ga);
    /// let back: ndarray::Array2<f64> = ndarray_npy::read_npy(&path).unwrap();
    /// assert_eq!(back.sum(), 10.0);
    /// # std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn flush(&self) -> Result<()> {
        during("GlobalArray::flush", move || -> Result<()> {
            self.sync()?;
            self.rt.agree_success(self.win.flush_own(), ErrorKind::Io)
        })
    }

    /// This rank's block, mutably and without copying, as
    /// [`local_mut`](Self::local_mut), or
    /// [`ReadOnly`](ErrorKind::ReadOnly) for an array mapped read-only
    /// from its file, which `local_mut` panics on.
    ///
    /// # Local
    ///
    /// A view of this rank's own memory; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let mut ga = gain::GlobalArray::<i64, _>::zeros(&rt, 4 * rt.size())?;
    /// ga.try_local_mut()?.fill(2);
    /// ga.sync()?;
    /// assert_eq!(ga.get(..)?.sum(), 8 * rt.size() as i64);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn try_local_mut(&mut self) -> Result<ArrayViewMut<'_, T, D>> {
        during(
            "GlobalArray::try_local_mut",
            move || -> Result<ArrayViewMut<'_, T, D>> {
                self.check_writable()?;
                Ok(self.local_mut())
            },
        )
    }

    /// Refuses a write into an array mapped read-only: every rank knows
    /// the mode, so a collective that checks it first returns
    /// [`ReadOnly`](ErrorKind::ReadOnly) on every rank, before any other
    /// step.
    pub(crate) fn check_writable(&self) -> Result<()> {
        self.win.check_writable()
    }
}
