//! Ghost updates: the collective [`GlobalArray::update_ghosts`] and the
//! one-sided update of one side of one axis, blocking or not
//! ([`NbGhosts`]).

use std::sync::atomic::Ordering;

use ndarray::Dimension;

use super::super::GlobalArray;
use super::super::local::WriteClaims;
use crate::dist::Section;
use crate::dist::ghosts::{self, Side};
use crate::element::Element;
use crate::error::{Result, bail};
use crate::fault::during;
use crate::window::{HaloSwap, abort_world};

/// The first message tag of [`GlobalArray::update_ghosts`]; axis `a` uses
/// this plus `2a` (towards higher indices) and `2a + 1` (towards lower).
/// With at most [`MAX_DIMS`](crate::dist::MAX_DIMS) axes the tags stay
/// far below 32767, the least upper bound MPI allows.
const HALO_TAG: u16 = 0x4000;

/// A one-sided ghost update in flight, from
/// [`GlobalArray::update_ghost_dir_nb`] (`NGA_NbGet_ghost_dir`'s handle):
/// the copies from same-node neighbours are done, those from other nodes
/// may still be arriving. [`wait`](Self::wait) completes it; dropping it
/// unwaited also waits. While it lives,
/// [`local_with_ghosts`](GlobalArray::local_with_ghosts) returns
/// [`Borrowed`](crate::ErrorKind::Borrowed); interior views
/// ([`local`](GlobalArray::local)) are fine, which is what it is for:
/// compute the interior while the halo travels.
///
/// # One-sided
///
/// The handle belongs to the calling rank; waiting on it or dropping it
/// involves no other rank.
///
/// # Examples
///
/// ```
/// # let rt = gain::init()?;
/// let ga = gain::GlobalArray::<f64, _>::zeros_with_ghosts(&rt, [8, 8], &[1, 1], &[true, true])?;
/// let pending: gain::NbGhosts<'_, f64, _> = ga.update_ghost_dir_nb(0, 1, false)?;
/// let interior = ga.local().sum(); // overlap: the interior meanwhile
/// pending.wait()?;
/// assert_eq!(interior, 0.0);
/// # Ok::<(), gain::Error>(())
/// ```
#[must_use = "a ghost update in flight is only complete after `wait`"]
pub struct NbGhosts<'a, T: Element, D: Dimension> {
    ga: &'a GlobalArray<T, D>,
    /// Whether remote gets were issued and are not yet complete.
    remote: bool,
    /// Whether the update still counts in the array's in-flight count.
    counted: bool,
}

impl<T: Element, D: Dimension> NbGhosts<'_, T, D> {
    /// Waits until the ghost cells of the update hold the neighbour's
    /// values (`NGA_NbWait`).
    ///
    /// Errors: [`Mpi`](crate::ErrorKind::Mpi) when completing the
    /// transfer fails.
    ///
    /// # One-sided
    ///
    /// Only the calling rank takes part; it returns when its own gets have
    /// arrived.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let ga = gain::GlobalArray::<i32, _>::zeros_with_ghosts(&rt, 4 * rt.size(), &[1], &[true])?;
    /// ga.update_ghost_dir_nb(0, -1, false)?.wait()?;
    /// assert_eq!(ga.local_with_ghosts()?.sum(), 0);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn wait(mut self) -> Result<()> {
        during("NbGhosts::wait", move || -> Result<()> { self.complete() })
    }

    fn complete(&mut self) -> Result<()> {
        if self.remote {
            self.ga.win.complete_fills()?;
            self.remote = false;
        }
        if self.counted {
            self.counted = false;
            self.ga.ghosts.in_flight.fetch_sub(1, Ordering::Release);
        }
        Ok(())
    }
}

impl<T: Element, D: Dimension> std::fmt::Debug for NbGhosts<'_, T, D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NbGhosts")
            .field("remote_in_flight", &self.remote)
            .finish()
    }
}

impl<T: Element, D: Dimension> Drop for NbGhosts<'_, T, D> {
    fn drop(&mut self) {
        // MPI may still write into the halo; the update must be complete
        // before a view of it is allowed. If that cannot be ensured, stop
        // the job (as a non-blocking get does).
        if let Err(e) = self.complete() {
            eprintln!("gain: completing a non-blocking ghost update failed: {e}");
            abort_world(1);
        }
    }
}

/// # Ghost updates
impl<T: Element, D: Dimension> GlobalArray<T, D> {
    /// Fills every rank's ghost cells from its neighbours
    /// (`GA_Update_ghosts`), corners included: afterwards each ghost cell
    /// holds the element it stands for, wrapped around on periodic axes; a
    /// ghost cell past the edge of a non-periodic axis is left as it was.
    /// For an array without ghosts it does nothing.
    ///
    /// It exchanges messages as Global Arrays 5 does
    /// (`pnga_update4_ghosts`, the shift algorithm): axis by axis, each
    /// rank sends the edge layers of its block to its neighbours on either
    /// side and receives their edges into its halo, the boxes of an axis
    /// spanning the halo of the axes before it, so corners ride along. A
    /// rank that is its own neighbour (a periodic axis with one block
    /// along it) copies locally.
    ///
    /// What arrives: each halo receives the neighbour's cells as the
    /// neighbour holds them when it calls `update_ghosts`: its own local
    /// writes, and its own puts and accumulates into its own block,
    /// included; one-sided writes by other ranks into that block only once
    /// a [`sync`](Self::sync) completed them before (the usual Global
    /// Arrays rule). On return this rank's halo is filled and the messages
    /// have copied the data, so every rank may write its interior at once.
    ///
    /// Errors: [`Borrowed`](crate::ErrorKind::Borrowed) on a rank whose
    /// process views its halo ([`local_with_ghosts`](Self::local_with_ghosts)):
    /// that rank still sends its edges and receives (and discards) its
    /// neighbours', so the other ranks complete the update and return
    /// `Ok`, and its own halo is left as it was;
    /// [`SizeOverflow`](crate::ErrorKind::SizeOverflow) for a box of more
    /// than 2^31 - 1 elements; [`Mpi`](crate::ErrorKind::Mpi).
    ///
    /// # Collective
    ///
    /// Every rank must call it, in the same order as its other collective
    /// calls on the runtime. There is no barrier: a rank waits only for the
    /// messages of its neighbours, and returns as soon as its own halo is
    /// filled, while the neighbours may still be waiting for theirs. A rank
    /// that fails before calling it leaves its neighbours waiting, as in
    /// any collective, until the fault handling ends the job.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let n = 3 * rt.size();
    /// let mut ga = gain::GlobalArray::<i64, _>::zeros_with_ghosts(&rt, n, &[1], &[true])?;
    /// let mine = ga.distribution(rt.rank()).unwrap();
    /// for (k, x) in ga.local_mut().iter_mut().enumerate() {
    ///     *x = (mine.lo()[0] + k) as i64;
    /// }
    /// ga.update_ghosts()?;
    /// let padded = ga.local_with_ghosts()?;
    /// let before = (mine.lo()[0] + n - 1) % n; // wraps at the start
    /// assert_eq!(padded[0], before as i64);
    /// assert_eq!(padded[padded.len() - 1], (mine.hi()[0] % n) as i64);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn update_ghosts(&self) -> Result<()> {
        during("GlobalArray::update_ghosts", move || -> Result<()> {
            let me = self.rt.rank();
            let g = &self.ghosts;
            let claim = self.claim_halo();
            if self.dist.block(me).is_none() || g.widths.iter().all(|&w| w == 0) {
                return claim.map(drop); // no halo here, so no neighbour either
            }
            let own = self.stored_shape(me);
            // A process viewing its halo works on a copy of its padded
            // block: it must send what the others expect (its corners
            // included) without writing the halo it views.
            let mut shadow = match &claim {
                Ok(_) => {
                    // Forgotten non-blocking fills must land before the
                    // halo is written.
                    if g.in_flight.load(Ordering::Acquire) > 0 {
                        self.win.complete_fills()?;
                    }
                    None
                }
                Err(_) => Some(
                    self.win
                        .peer_box(me, own, &Section::full(own))
                        .expect("a rank's own block is on its node")
                        .to_owned(),
                ),
            };
            // Held for the whole update: concurrent updates of one array
            // (from two threads; collectives are not meant to be) queue.
            let mut pool = g.buffers.lock().unwrap_or_else(|p| p.into_inner());
            for axis in 0..self.dim.ndim() {
                let swaps: Vec<HaloSwap> =
                    ghosts::exchanges(&self.dist, &g.widths, &g.periodic, me, axis)
                        .into_iter()
                        .map(|x| {
                            // One tag per axis and direction of travel:
                            // a pair of ranks that are neighbours on both
                            // sides (two blocks, periodic) tells the two
                            // messages apart, and messages of later
                            // updates queue behind (MPI keeps their order).
                            let up = HALO_TAG + 2 * axis as u16;
                            let (recv_tag, send_tag) = match x.side {
                                Side::Low => (up, up + 1),
                                Side::High => (up + 1, up),
                            };
                            HaloSwap {
                                peer: x.peer,
                                send: x.send,
                                send_tag,
                                recv: x.recv,
                                recv_tag,
                            }
                        })
                        .collect();
                if !swaps.is_empty() {
                    self.win
                        .swap_halos(me, own, &swaps, shadow.as_mut(), &mut pool)?;
                }
            }
            claim.map(drop)
        })
    }

    /// Fills this rank's ghost cells on one side of one axis from its
    /// neighbour there (`NGA_Update_ghost_dir`): `direction` `-1` the
    /// cells before the block along `axis` (from the previous block), `+1`
    /// those after it (from the next). With `corners`, the copy also spans
    /// the halo along the other axes (where there is a neighbour), which it
    /// reads from the neighbour's own halo: update those axes first. Without
    /// a neighbour there (the edge of a non-periodic axis) nothing happens.
    ///
    /// Errors: [`InvalidArgument`](crate::ErrorKind::InvalidArgument) for
    /// an axis past the array's or a direction other than `±1`;
    /// [`Borrowed`](crate::ErrorKind::Borrowed) while this process views
    /// the halo; [`Mpi`](crate::ErrorKind::Mpi).
    ///
    /// # One-sided
    ///
    /// Only the calling rank takes part, reading the neighbour's memory as
    /// a [`get`](Self::get) does: it sees what the neighbour wrote before
    /// the last [`sync`](Self::sync), and the neighbour should not write
    /// the cells read until a sync after this returns.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let mut ga = gain::GlobalArray::<f64, _>::zeros_with_ghosts(&rt, [4, 6], &[1, 1], &[true, true])?;
    /// ga.local_mut().fill(1.0);
    /// ga.sync()?;
    /// ga.update_ghost_dir(1, 1, false)?;
    /// let padded = ga.local_with_ghosts()?;
    /// let cols = padded.shape()[1];
    /// assert_eq!(padded[[1, cols - 1]], 1.0); // the high side of axis 1
    /// assert_eq!(padded[[1, 0]], 0.0); // the low side: not updated
    /// ga.update_ghost_dir(1, 2, false).unwrap_err();
    /// # drop(padded);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn update_ghost_dir(&self, axis: usize, direction: i32, corners: bool) -> Result<()> {
        during("GlobalArray::update_ghost_dir", move || -> Result<()> {
            self.ghost_dir_start(axis, direction, corners)?.complete()
        })
    }

    /// Starts [`update_ghost_dir`](Self::update_ghost_dir) and returns
    /// without waiting for other nodes (`NGA_NbGet_ghost_dir`): a
    /// same-node neighbour's cells are copied at once, a remote one's are
    /// requested with `MPI_Get`, and [`NbGhosts::wait`] completes them.
    /// Computing the interior meanwhile hides the transfer.
    ///
    /// Errors: as [`update_ghost_dir`](Self::update_ghost_dir), before
    /// anything is copied or sent.
    ///
    /// # One-sided
    ///
    /// Only the calling rank takes part; it returns once the request is
    /// issued, and [`NbGhosts::wait`] waits for it. The neighbour's cells
    /// are read as by [`update_ghost_dir`](Self::update_ghost_dir).
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let mut ga = gain::GlobalArray::<f64, _>::zeros_with_ghosts(&rt, 5 * rt.size(), &[1], &[true])?;
    /// ga.local_mut().fill(2.0);
    /// ga.sync()?;
    /// let low = ga.update_ghost_dir_nb(0, -1, false)?;
    /// let high = ga.update_ghost_dir_nb(0, 1, false)?;
    /// let inner: f64 = ga.local().sum(); // while the halo travels
    /// low.wait()?;
    /// high.wait()?;
    /// assert_eq!(ga.local_with_ghosts()?.sum(), inner + 4.0);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn update_ghost_dir_nb(
        &self,
        axis: usize,
        direction: i32,
        corners: bool,
    ) -> Result<NbGhosts<'_, T, D>> {
        during(
            "GlobalArray::update_ghost_dir_nb",
            move || -> Result<NbGhosts<'_, T, D>> {
                self.ghost_dir_start(axis, direction, corners)
            },
        )
    }

    fn ghost_dir_start(
        &self,
        axis: usize,
        direction: i32,
        corners: bool,
    ) -> Result<NbGhosts<'_, T, D>> {
        if axis >= self.dim.ndim() {
            bail!(
                InvalidArgument,
                "axis {axis} of a {}-d array",
                self.dim.ndim()
            );
        }
        let side = match direction {
            -1 => Side::Low,
            1 => Side::High,
            _ => bail!(
                InvalidArgument,
                "direction {direction}: -1 (the low side) or 1 (the high side)"
            ),
        };
        let claim = self.claim_halo()?;
        // Counted before the claim ends, so a halo view taken after it
        // sees the update in flight.
        self.ghosts.in_flight.fetch_add(1, Ordering::AcqRel);
        let mut handle = NbGhosts {
            ga: self,
            remote: false,
            counted: true,
        };
        handle.remote = self.fill_halo(axis, &[side], |e| corners && e != axis)?;
        drop(claim);
        Ok(handle)
    }

    /// Claims this process's halo for a fill, or refuses while a view of
    /// it lives.
    fn claim_halo(&self) -> Result<WriteClaims<'_>> {
        self.ghosts.uses.claim_alone().or_else(|n| {
            bail!(
                Borrowed,
                "this process holds {n} view(s) of its ghost cells (local_with_ghosts); \
                 drop them before updating the ghosts"
            )
        })
    }

    /// Copies this rank's halo on `sides` of `axis` from its neighbours,
    /// over the other axes' halo where `extend`. Returns whether remote
    /// gets are in flight.
    fn fill_halo(
        &self,
        axis: usize,
        sides: &[Side],
        extend: impl Fn(usize) -> bool,
    ) -> Result<bool> {
        let me = self.rt.rank();
        let g = &self.ghosts;
        let mut remote = false;
        for &side in sides {
            let fill = ghosts::fill(&self.dist, &g.widths, &g.periodic, me, axis, side, &extend);
            if let Some(f) = fill {
                remote |= self.win.fill_own(
                    self.stored_shape(me),
                    &f.dst,
                    f.from,
                    self.stored_shape(f.from),
                    &f.src,
                )?;
            }
        }
        Ok(remote)
    }
}
