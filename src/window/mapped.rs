//! File-backed windows: the blocks live in a shared mapping of a file
//! (`memmap2`), not in MPI shared memory.
//!
//! Every rank maps the file's whole data region with `MAP_SHARED`, so the
//! ranks of a node share the page cache: one copy of the data per node,
//! read and written with plain loads and stores, as a node window's. Each
//! block is one contiguous run of the file (the array layer cuts the
//! array into bands of rows), so a same-node peer's block is found in this
//! rank's own mapping, at the block's start in the file; no
//! `MPI_Win_shared_query` is needed for data. Two things still come from
//! MPI:
//! - a node window of header-only segments (`HEADER + ALIGN` bytes per
//!   rank). Their first words are the blocks' accumulate spin locks, so
//!   the single-node accumulate route works unchanged, and its
//!   `MPI_Win_sync` in `sync` is the memory barrier that orders the
//!   mapping's loads and stores as it orders a node window's;
//! - when the job spans nodes, a world window created with
//!   `MPI_Win_create` over this rank's own block in the mapping, through
//!   which the other nodes get, put and accumulate. It starts at the
//!   64-byte boundary at or before the block (MPICH 4.0.2 misreads a
//!   window whose base is not 16-byte aligned; see `map_file`), so a
//!   rank's displacements start at its `data_at`, under 64.
//!
//! A rank on another node maps the file at the same path on its own node.
//! The owner's mapping is the truth for its block: remote ranks reach it
//! only through the owner's window, so with a per-node copy of the file
//! (no shared filesystem) reads see the owners' copies, and writes land in
//! the copy on the owner's node.
//!
//! Freeing follows [`Window::free`] unchanged; the mapping is dropped with
//! the window, after the MPI windows over it are freed.

use std::fs::File;
use std::ptr::NonNull;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use memmap2::{Mmap, MmapMut, MmapOptions};
use mpi::ffi::{MPI_Aint, MPI_Win};

use super::alloc::world_window_together;
use super::pending::Records;
use super::{ALIGN, AccRoute, HEADER, Offsets, Placement, Window, ffi, transfer};
use crate::element::Element;
use crate::error::{Error, ErrorKind, Result};
use crate::fault::{abort_with, exit_point};

/// The mapping under a file-backed window.
pub(crate) struct Backing {
    /// `None` when the data region is empty (nothing to map).
    map: Option<Mapping>,
    /// Start of the mapped data (the file's byte `data_at`).
    data: *mut u8,
    writable: bool,
    /// This rank's block in the mapping: byte offset and length.
    own: (usize, usize),
}

enum Mapping {
    /// `PROT_READ`: a store would fault, so every write path refuses
    /// first ([`Window::check_writable`]). Held only to keep the mapping
    /// alive; it is read through `Backing::data`.
    ReadOnly(#[allow(dead_code)] Mmap),
    ReadWrite(MmapMut),
}

impl Backing {
    /// Maps `bytes` bytes of `file` from byte `data_at` on (shared, read
    /// and write when `writable`, else read-only), for elements of
    /// alignment `align`; `own` is this rank's block (bytes, relative to
    /// `data_at`).
    fn map(
        file: &File,
        data_at: u64,
        bytes: usize,
        writable: bool,
        own: (usize, usize),
        align: usize,
    ) -> Result<Backing> {
        let io = |what: &str, e: std::io::Error| Error::new(ErrorKind::Io, format!("{what}: {e}"));
        let end = data_at.checked_add(bytes as u64);
        let len = file
            .metadata()
            .map_err(|e| io("the mapped file's length", e))?
            .len();
        if end.is_none_or(|end| end > len) {
            // A mapping past the end of the file faults (SIGBUS) where read.
            return Err(Error::new(
                ErrorKind::NpyFormat,
                format!("the file has {len} bytes, too few for {bytes} bytes of data at {data_at}"),
            ));
        }
        if bytes == 0 {
            return Ok(Backing {
                map: None,
                data: NonNull::<u64>::dangling().as_ptr() as *mut u8,
                writable,
                own,
            });
        }
        let mut opts = MmapOptions::new();
        opts.offset(data_at).len(bytes);
        // SAFETY: a shared mapping of `bytes` bytes the file holds (checked
        // above). Its memory is treated as MPI shared memory is: other
        // processes (the other ranks, mapping the same file) store to it
        // at any time between synchronisations, and this process reads it
        // only through raw copies, volatile loads and views whose values
        // the crate docs leave unspecified while another process writes.
        // What no program may do while the array lives is truncate the
        // file (accessing a page past the new end raises SIGBUS); the docs
        // of `GlobalArray::map_npy` require it. A read-only mapping is
        // never written: every write path of the window refuses first.
        let (map, data) = unsafe {
            if writable {
                let mut m = opts
                    .map_mut(file)
                    .map_err(|e| io("mapping the file read-write", e))?;
                let p = m.as_mut_ptr();
                (Mapping::ReadWrite(m), p)
            } else {
                let m = opts
                    .map(file)
                    .map_err(|e| io("mapping the file read-only", e))?;
                let p = m.as_ptr() as *mut u8;
                (Mapping::ReadOnly(m), p)
            }
        };
        if !(data as usize).is_multiple_of(align) {
            return Err(Error::new(
                ErrorKind::NpyFormat,
                format!("the file's data at byte {data_at} is not aligned for its elements"),
            ));
        }
        Ok(Backing {
            map: Some(map),
            data,
            writable,
            own,
        })
    }
}

impl<T: Element> Window<T> {
    /// Collectively builds a window whose blocks are the data of `file`:
    /// the `T` elements from byte `data_at` on, world rank `r` owning the
    /// run of `blocks[r].1` elements from element `blocks[r].0` (the runs
    /// partition the data). The mapping is read-write when `writable`,
    /// read-only otherwise; see the module docs for what else is set up.
    ///
    /// Each rank's mapping is a local step: when it fails on some rank
    /// (no address space, a filesystem that cannot map) every rank returns
    /// an error, with nothing created. So does a `MPI_Win_create` over the
    /// mappings that fails on every rank; one failing on some ranks only,
    /// or any later failure of the set-up, aborts the job, as in
    /// [`allocate`](Self::allocate).
    ///
    /// A malformed `GAIN_MAX_TRANSFER_BYTES` is an error before any MPI
    /// call, as in `allocate`.
    pub(crate) fn map_file(
        place: &Placement<'_>,
        file: &File,
        data_at: u64,
        blocks: &[(usize, usize)],
        writable: bool,
    ) -> Result<Self> {
        let max_transfer_bytes = transfer::max_transfer_bytes()?;
        let me = ffi::comm_rank(place.world)?;
        let size = size_of::<T>();
        let total = blocks.iter().try_fold(0usize, |a, b| a.checked_add(b.1));
        let bytes = total
            .and_then(|n| n.checked_mul(size))
            .filter(|&b| b <= isize::MAX as usize)
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::SizeOverflow,
                    "the file's data does not fit in the address space",
                )
            })?;
        let own = (blocks[me].0 * size, blocks[me].1 * size);
        let mapped = Backing::map(file, data_at, bytes, writable, own, align_of::<T>());
        let failed = mapped.is_err() as u64;
        let [any_failed, _] = exit_point(
            place.control,
            [failed, 0],
            mapped.as_ref().err(),
            "the mapping of a file-backed array",
        )?;
        let backing = match mapped {
            Err(e) => return Err(e),
            Ok(_) if any_failed != 0 => {
                return Err(Error::new(
                    ErrorKind::Io,
                    "another rank could not map the file (that rank reports why)",
                ));
            }
            Ok(b) => b,
        };
        let (shared, head) = Self::allocate_node(place, HEADER + ALIGN)?;
        let (world, lead) = if place.spans_nodes {
            // The window starts at the 64-byte boundary at or before the
            // block (not before the mapping), `lead` bytes before it: a
            // block starts wherever its rows do, and MPICH 4.0.2
            // (ch4:ucx) serves gets from a window whose base is not
            // 16-byte aligned from that base rounded down to 16 bytes
            // (checked with a C program: 8 bytes early at a base 8 mod
            // 16). The mapping's start, the file's data, is on a 16- or
            // 64-byte boundary in every `.npy` file NumPy writes.
            let start = backing.data as usize + own.0;
            let lead = (start % ALIGN).min(own.0);
            // SAFETY: `own` lies inside the mapped data (the blocks
            // partition it), or is empty at its end; `lead <= own.0`.
            let at = unsafe { backing.data.add(own.0 - lead) };
            let point = "the creation of a file-backed array's world window";
            let bytes = (lead + own.1) as MPI_Aint;
            (
                Some(world_window_together(place, shared, at, bytes, point)?),
                lead,
            )
        } else {
            (None, 0)
        };
        let set_up = Self::set_up_mapped(
            place,
            backing,
            blocks,
            (shared, head),
            (world, lead),
            max_transfer_bytes,
        );
        match set_up {
            Ok(win) => Ok(win),
            Err(e) => abort_with(&e, "the end of a file-backed array's set-up"),
        }
    }

    /// The rest of [`map_file`](Self::map_file) once every rank holds its
    /// mapping, its header segment (`node`: the window and this rank's
    /// segment) and, across nodes, the world window with the offset of
    /// this rank's block in it: headers, peers, displacements, the first
    /// sync.
    fn set_up_mapped(
        place: &Placement<'_>,
        backing: Backing,
        blocks: &[(usize, usize)],
        (shared, head): (MPI_Win, *mut u8),
        (world, lead): (Option<MPI_Win>, usize),
        max_transfer_bytes: usize,
    ) -> Result<Self> {
        let node_size = ffi::comm_size(place.node)?;
        let my_node_rank = ffi::comm_rank(place.node)?;
        // SAFETY: `head` points to this rank's `HEADER + ALIGN` bytes of the
        // node window; nobody else touches them before the barrier in
        // `sync` below. A zero lock word is an open lock.
        unsafe { std::ptr::write_bytes(head, 0, HEADER + ALIGN) };
        let mut heads = Vec::with_capacity(node_size);
        for r in 0..node_size {
            let (ptr, size) = ffi::shared_query(shared, r)?;
            if (size as usize) < HEADER {
                return Err(Error::new(
                    ErrorKind::Mpi,
                    format!("MPI_Win_shared_query gave a header segment of {size} bytes"),
                ));
            }
            heads.push(ptr);
        }
        let data = if backing.map.is_some() {
            backing.data as *mut T
        } else {
            NonNull::<T>::dangling().as_ptr()
        };
        let mut peers = vec![(NonNull::<T>::dangling().as_ptr(), 0); node_size];
        for (&(start, len), nr) in blocks.iter().zip(place.node_rank_of.iter()) {
            if let Some(nr) = *nr {
                // SAFETY: the blocks partition the mapped data, so `start`
                // is inside it or at its end (an empty block).
                peers[nr] = (unsafe { data.add(start) }, len);
            }
        }
        // Where each rank's block starts in its world window.
        let data_at = match world {
            Some(_) => Offsets::gather(place.world, lead)?,
            None => Offsets::Same(0),
        };
        let mut separate_model = ffi::is_separate(shared)?;
        if let Some(w) = world {
            separate_model |= ffi::is_separate(w)?;
        }
        let written = Arc::new(AtomicBool::new(false));
        let id = place
            .registry
            .add(shared, world, separate_model, Arc::clone(&written));
        let win = Window {
            shared,
            world,
            world_comm: place.world,
            control: place.control,
            registry: place.registry.clone(),
            id,
            peers,
            heads,
            data_at,
            node_rank_of: Arc::clone(place.node_rank_of),
            my_node_rank,
            separate_model,
            route: if place.spans_nodes {
                AccRoute::Mpi
            } else {
                AccRoute::SharedLock
            },
            pending: Records::per_rank(place.node_rank_of.len(), written),
            max_transfer_bytes,
            freed: false,
            backing: Some(backing),
            _elem: std::marker::PhantomData,
        };
        win.sync()?;
        Ok(win)
    }

    /// `None` for shared memory; for a file-backed window, whether its
    /// mapping is writable.
    pub(crate) fn mapped_writable(&self) -> Option<bool> {
        self.backing.as_ref().map(|b| b.writable)
    }

    /// Whether the blocks may be written: shared memory, or a read-write
    /// mapping.
    pub(crate) fn writable(&self) -> bool {
        self.mapped_writable() != Some(false)
    }

    /// Refuses a write into a read-only mapping, before anything is
    /// touched: a store there would fault.
    pub(crate) fn check_writable(&self) -> Result<()> {
        if self.writable() {
            return Ok(());
        }
        Err(Error::new(
            ErrorKind::ReadOnly,
            "the array is mapped read-only from its file (MapMode::ReadOnly); map it with \
             MapMode::ReadWrite to write it",
        ))
    }

    /// Writes this rank's block of a read-write mapping back to its file
    /// and waits until it is there (`msync(MS_SYNC)` of the block's pages).
    /// Nothing to do for a read-only mapping or shared memory.
    pub(crate) fn flush_own(&self) -> Result<()> {
        let Some(Backing {
            map: Some(Mapping::ReadWrite(m)),
            own: (at, n),
            ..
        }) = &self.backing
        else {
            return Ok(());
        };
        if *n == 0 {
            return Ok(());
        }
        m.flush_range(*at, *n).map_err(|e| {
            Error::new(
                ErrorKind::Io,
                format!("writing this rank's block ({n} bytes) back to its file: {e}"),
            )
        })
    }
}
