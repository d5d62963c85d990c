//! Ghost cells (Global Arrays' `NGA_Create_ghosts`, `GA_Update_ghosts`,
//! `NGA_Access_ghosts`, `NGA_Update_ghost_dir`, `NGA_NbGet_ghost_dir`).
//!
//! # Design
//!
//! An array created with ghost widths `w` (one per axis) stores each
//! rank's block padded by `w[d]` elements on both sides of axis `d`: the
//! window segment holds the padded box, row-major, and the block itself,
//! the *interior*, lies at `w..w + extent` in it (`dist::ghosts` has the
//! index math). Everything that addresses the array's elements addresses
//! interiors only, translated by this layer: `stored_shape(rank)` is the
//! padded shape, a piece's box in its block (`GlobalArray::piece`) and an
//! element's offset (`block_offset`) are shifted by the widths. The window
//! layer moves boxes of blocks of any shape, so get, put, accumulate,
//! `read_inc` and the NumPy layer need nothing else; local views
//! ([`local`](GlobalArray::local), [`local_of`](GlobalArray::local_of),
//! [`access`](GlobalArray::access), [`local_mut`](GlobalArray::local_mut))
//! are the interior, now a strided view. Zero widths are an ordinary array.
//!
//! The *halo* (the padding) is written only by its owner, by the updates
//! here, which pull: each rank copies its neighbours' edges into its own
//! halo, through shared memory for a neighbour on its node and with one
//! `MPI_Get` of a derived datatype per neighbour box otherwise.
//! [`update_ghosts`](GlobalArray::update_ghosts) goes axis by axis, each
//! axis's copy spanning the halo of the axes before it, so corners arrive
//! with no extra copies (as Global Arrays does it): `2 × ndim` copies per
//! rank and a sync after each axis. On a periodic axis the first and last
//! blocks are neighbours; elsewhere the outermost halo is left untouched.
//!
//! This process's own views keep their `RefCell` rule
//! ([crate docs](crate#local-views-and-what-they-see)): a view with ghosts
//! ([`local_with_ghosts`](GlobalArray::local_with_ghosts)) counts as a
//! view of the block (puts into it are refused) and of its halo; a ghost
//! update is refused while a halo view lives, and a halo view while a
//! non-blocking update is in flight. Interior views never reference the
//! halo, so they may live across updates.
//!
//! The files: this one holds the state, creation and queries; `update.rs`
//! the updates and [`NbGhosts`].

mod update;

pub use update::NbGhosts;

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use ndarray::{ArrayViewMut, Dimension, IntoDimension};

use super::GlobalArray;
use super::local::{BlockUse, LocalView, ViewBorrow};
use crate::dist::{Distribution, Section};
use crate::element::Element;
use crate::error::{Result, bail};
use crate::fault::during;
use crate::runtime::Runtime;
use crate::window::HaloBuffers;

/// An array's ghost widths and periodic axes, this process's uses of its
/// own block's halo, and the message buffers of its ghost updates.
pub(super) struct Ghosts<T: Element> {
    pub(super) widths: Vec<usize>,
    pub(super) periodic: Vec<bool>,
    /// Views of the halo ([`GlobalArray::local_with_ghosts`]) as views,
    /// ghost fills as writes.
    uses: BlockUse,
    /// Non-blocking fills started and not yet completed ([`NbGhosts`]).
    in_flight: AtomicUsize,
    /// The buffers of [`GlobalArray::update_ghosts`]'s messages, kept
    /// from one update to the next (see [`HaloBuffers`]).
    buffers: Mutex<HaloBuffers<T>>,
}

impl<T: Element> Ghosts<T> {
    pub(super) fn new(widths: Vec<usize>, periodic: Vec<bool>) -> Ghosts<T> {
        Ghosts {
            widths,
            periodic,
            uses: BlockUse::new(),
            in_flight: AtomicUsize::new(0),
            buffers: Mutex::new(HaloBuffers::default()),
        }
    }

    /// No ghost cells, `ndim` axes.
    pub(super) fn none(ndim: usize) -> Ghosts<T> {
        Ghosts::new(vec![0; ndim], vec![false; ndim])
    }

    /// Whether some axis has ghost cells.
    pub(super) fn any(&self) -> bool {
        self.widths.iter().any(|&w| w > 0)
    }
}

/// # Ghost cells
impl<T: Element, D: Dimension> GlobalArray<T, D> {
    /// A zero-filled array, regularly distributed as by
    /// [`zeros`](Self::zeros), whose blocks carry `widths[d]` ghost cells
    /// on both sides of axis `d` (`NGA_Create_ghosts`), wrapping around on
    /// the axes where `periodic[d]`. Gets, puts, accumulates, views and
    /// the NumPy layer see the array as if it had no ghosts;
    /// [`update_ghosts`](Self::update_ghosts) fills each block's halo from
    /// its neighbours and [`local_with_ghosts`](Self::local_with_ghosts)
    /// views it. Zero widths make an ordinary array. The module docs of
    /// `src/array/ghosts/` give the layout.
    ///
    /// Errors (on every rank, before anything is allocated): as
    /// [`zeros`](Self::zeros);
    /// [`DimensionMismatch`](crate::ErrorKind::DimensionMismatch) when
    /// `widths` or `periodic` does not have one entry per axis;
    /// [`InvalidArgument`](crate::ErrorKind::InvalidArgument) when a width
    /// is larger than some block along its axis (a halo must come from one
    /// neighbour); [`InconsistentArguments`](crate::ErrorKind::InconsistentArguments)
    /// when ranks pass different widths or flags.
    ///
    /// # Collective
    ///
    /// Every rank must call it with the same element type, shape, widths
    /// and periodic flags (checked); it returns when every rank's padded
    /// block is allocated and zeroed, halo included.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let ga = gain::GlobalArray::<f64, _>::zeros_with_ghosts(&rt, [8, 8], &[1, 2], &[true, false])?;
    /// assert_eq!(ga.ghost_widths(), &[1, 2]);
    /// let mine = ga.distribution(rt.rank()).unwrap();
    /// assert_eq!(ga.local().shape(), &mine.shape()[..]);
    /// assert_eq!(ga.local_with_ghosts()?.shape(), &[mine.shape()[0] + 2, mine.shape()[1] + 4]);
    /// let err = gain::GlobalArray::<f64, _>::zeros_with_ghosts(&rt, [8, 8], &[1], &[true]);
    /// assert_eq!(err.unwrap_err().kind(), gain::ErrorKind::DimensionMismatch);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn zeros_with_ghosts<Sh: IntoDimension<Dim = D>>(
        rt: &Runtime,
        shape: Sh,
        widths: &[usize],
        periodic: &[bool],
    ) -> Result<Self> {
        during("GlobalArray::zeros_with_ghosts", move || -> Result<Self> {
            let dim = shape.into_dimension();
            let dist = Distribution::regular(dim.slice(), rt.size(), None);
            Self::create_padded(rt, dist, Some((widths, periodic)))
        })
    }

    /// Like [`zeros_with_ghosts`](Self::zeros_with_ghosts) on the block
    /// map `dist` (as [`with_distribution`](Self::with_distribution)).
    ///
    /// Errors: those of [`with_distribution`](Self::with_distribution) and
    /// [`zeros_with_ghosts`](Self::zeros_with_ghosts).
    ///
    /// # Collective
    ///
    /// Every rank must call it with the same element type, distribution,
    /// widths and flags (checked); it returns when every rank's padded
    /// block is allocated and zeroed.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let dist = gain::Distribution::regular(&[12, 6], rt.size(), Some(&[0, 6]))?;
    /// let ga = gain::GlobalArray::<i32, ndarray::Ix2>::with_distribution_and_ghosts(
    ///     &rt, dist, &[2, 0], &[false, false])?;
    /// assert_eq!(ga.ghost_periodic(), &[false, false]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn with_distribution_and_ghosts(
        rt: &Runtime,
        dist: Distribution,
        widths: &[usize],
        periodic: &[bool],
    ) -> Result<Self> {
        during(
            "GlobalArray::with_distribution_and_ghosts",
            move || -> Result<Self> { Self::create_padded(rt, Ok(dist), Some((widths, periodic))) },
        )
    }

    /// The ghost width of each axis (all zero for an array without
    /// ghosts).
    ///
    /// # Local
    ///
    /// A query of the array's layout; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// assert_eq!(gain::GlobalArray::<u8, _>::zeros(&rt, [4, 4])?.ghost_widths(), &[0, 0]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn ghost_widths(&self) -> &[usize] {
        &self.ghosts.widths
    }

    /// Whether each axis wraps around in ghost updates.
    ///
    /// # Local
    ///
    /// A query of the array's layout; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let ga = gain::GlobalArray::<u8, _>::zeros_with_ghosts(&rt, 9, &[1], &[true])?;
    /// assert_eq!(ga.ghost_periodic(), &[true]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn ghost_periodic(&self) -> &[bool] {
        &self.ghosts.periodic
    }

    /// This rank's block with its ghost cells, without copying
    /// (`NGA_Access_ghosts`): the padded block, `extent + 2 × width` along
    /// each axis, the block itself at `width..width + extent`. Empty when
    /// the rank owns nothing; the plain block for an array without ghosts.
    /// Its first element is 64-byte aligned.
    ///
    /// The guard counts as a view of the block, as [`local`](Self::local)'s
    /// does (this process's puts into the block return
    /// [`Borrowed`](crate::ErrorKind::Borrowed) while it lives), and of its
    /// halo: this process's ghost updates are refused while it lives.
    ///
    /// Errors: [`Borrowed`](crate::ErrorKind::Borrowed) while a one-sided
    /// ghost update of this process is in flight
    /// ([`update_ghost_dir_nb`](Self::update_ghost_dir_nb) until its
    /// [`wait`](NbGhosts::wait), or [`update_ghost_dir`](Self::update_ghost_dir)
    /// on another thread; during [`update_ghosts`](Self::update_ghosts) on
    /// another thread it waits for the update instead);
    /// [`Mpi`](crate::ErrorKind::Mpi) as for [`local_of`](Self::local_of).
    ///
    /// # Local
    ///
    /// A view of this rank's own memory; no other rank takes part (it
    /// completes this rank's own accumulates into the block first, as
    /// [`local`](Self::local) does).
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let mut ga = gain::GlobalArray::<f64, _>::zeros_with_ghosts(&rt, 6 * rt.size(), &[2], &[true])?;
    /// ga.local_mut().fill(1.0);
    /// ga.update_ghosts()?;
    /// let padded = ga.local_with_ghosts()?;
    /// assert_eq!(padded.len(), ga.local().len() + 4);
    /// assert!(padded.iter().all(|&x| x == 1.0)); // periodic: every ghost filled
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn local_with_ghosts(&self) -> Result<LocalView<'_, T, D>> {
        during(
            "GlobalArray::local_with_ghosts",
            move || -> Result<LocalView<'_, T, D>> {
                let me = self.rt.rank();
                // Counted first, then checked: a non-blocking update
                // counts itself in flight before it lets views in.
                let ghost = ViewBorrow::new(&self.ghosts.uses);
                let n = self.ghosts.in_flight.load(Ordering::Acquire);
                if n > 0 {
                    bail!(
                        Borrowed,
                        "{n} non-blocking ghost update(s) of this process are in flight; \
                         wait for them before viewing the ghost cells"
                    );
                }
                let borrow = self.borrow_of(me)?;
                let view = self
                    .box_of(me, &Section::full(self.stored_shape(me)))
                    .expect("this rank's block is on its node");
                Ok(LocalView {
                    view,
                    borrow,
                    ghost: Some(ghost),
                })
            },
        )
    }

    /// This rank's block with its ghost cells, mutably and without
    /// copying: the padded block of
    /// [`local_with_ghosts`](Self::local_with_ghosts). Writes to the
    /// interior are the array's (visible to others after the next
    /// [`sync`](Self::sync)); writes to the halo are this rank's own until
    /// the next ghost update overwrites them.
    ///
    /// # Panics
    ///
    /// As [`local_mut`](Self::local_mut), for an array mapped read-only.
    ///
    /// # Local
    ///
    /// A view of this rank's own memory; no communication.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let mut ga = gain::GlobalArray::<i32, _>::zeros_with_ghosts(&rt, 4 * rt.size(), &[1], &[false])?;
    /// ga.local_with_ghosts_mut().fill(7); // the halo too
    /// ga.sync()?;
    /// assert_eq!(ga.get(..)?.sum(), 7 * 4 * rt.size() as i32);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn local_with_ghosts_mut(&mut self) -> ArrayViewMut<'_, T, D> {
        if let Err(e) = self.check_writable() {
            panic!("GlobalArray::local_with_ghosts_mut: {e}");
        }
        self.padded_mut()
    }

    /// Completes the gets of non-blocking ghost updates whose handles were
    /// forgotten (`mem::forget`; a live handle borrows the array, so under
    /// `&mut self` none lives), before a mutable view of the block. One
    /// atomic load when there are none.
    pub(super) fn complete_forgotten_fills(&mut self) -> Result<()> {
        if self.ghosts.in_flight.load(Ordering::Acquire) > 0 {
            self.win.complete_fills()?;
            self.ghosts.in_flight.store(0, Ordering::Release);
        }
        Ok(())
    }
}
