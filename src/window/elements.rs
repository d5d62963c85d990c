//! Element gathers and scatters (Global Arrays' `NGA_Gather`,
//! `NGA_Scatter`, `NGA_Scatter_acc`): a list of single elements, each
//! named by its owner and its offset in the owner's block. Only those
//! elements move. The list is grouped by owner with a counting sort
//! ([`Targets`], O(n + ranks)), keeping the caller's order within each
//! owner's run; a run whose repeats must be combined is then sorted by
//! offset (O(k log k), in place), so repeats of one element sit together
//! in the caller's order.
//!
//! Same-node owners are read and written with plain loads and stores into
//! their blocks (on a single node without grouping: `read_on_node`,
//! `write_on_node`, which look a block up only when the owner changes); remote owners get one RMA call per owner (or per
//! `GAIN_MAX_TRANSFER_BYTES` worth of elements) whose target datatype
//! picks the elements out of the block (`ffi::rma_indexed`), from or into
//! a contiguous buffer here. Accumulates take the route every accumulate
//! of the window takes (the module docs of `window`): under the block's
//! lock on one node, `MPI_Accumulate` for every owner when the job spans
//! nodes.
//!
//! Integer accumulates under the block lock add each repeat on its own, in
//! list order, unsorted: wrapping sums make that the same as adding the
//! repeats' sum once.
//!
//! MPI forbids a datatype that names one target element twice in a put or
//! accumulate, so repeats are combined first: a scatter stores the last
//! value given for an element, an accumulate adds the sum of the repeats'
//! values (in list order) once. A gather reads each element once and
//! hands the value to every position that asked for it.

use mpi::ffi::{MPI_Aint, MPI_Win};

use crate::element::Element;
use crate::error::Result;

use super::ffi::{self, Rma, abort_world};
use super::pending::{Access, Footprint};
use super::rma::{access, put_as};
use super::{AccRoute, Window};

/// One element of a list: its owner, its row-major offset in the owner's
/// block, and its position in the caller's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ElementAt {
    pub rank: usize,
    pub offset: usize,
    pub pos: usize,
}

/// A list of elements grouped by owner, ascending: each owner's elements
/// form one run, in the caller's order.
pub(crate) struct Targets(Vec<ElementAt>);

impl Targets {
    /// Groups `list`, given in the caller's order, by owner (world ranks
    /// below `ranks`): a stable counting sort, O(n + ranks), or nothing
    /// when the list is already grouped (one owner, or ascending owners).
    pub(crate) fn new(list: Vec<ElementAt>, ranks: usize) -> Targets {
        if list.windows(2).all(|w| w[0].rank <= w[1].rank) {
            return Targets(list);
        }
        let mut next = vec![0usize; ranks + 1];
        for e in &list {
            next[e.rank + 1] += 1;
        }
        for r in 0..ranks {
            next[r + 1] += next[r];
        }
        let mut grouped = vec![
            ElementAt {
                rank: 0,
                offset: 0,
                pos: 0
            };
            list.len()
        ];
        for e in list {
            grouped[next[e.rank]] = e;
            next[e.rank] += 1;
        }
        Targets(grouped)
    }

    /// The owners' runs.
    fn runs(&self) -> impl Iterator<Item = &[ElementAt]> {
        self.0.chunk_by(|a, b| a.rank == b.rank)
    }

    /// The owners' runs, to sort.
    fn runs_mut(&mut self) -> impl Iterator<Item = &mut [ElementAt]> {
        self.0.chunk_by_mut(|a, b| a.rank == b.rank)
    }

    /// The distinct owners, ascending.
    pub(crate) fn ranks(&self) -> impl Iterator<Item = usize> + '_ {
        self.runs().map(|r| r[0].rank)
    }
}

/// Sorts an owner's run by offset, keeping the caller's order among
/// repeats of one element (`pos` breaks ties; no allocation).
fn by_offset(run: &mut [ElementAt]) {
    run.sort_unstable_by_key(|e| (e.offset, e.pos));
}

/// The repeats of one element within an owner's run sorted [`by_offset`].
fn repeats(run: &[ElementAt]) -> impl Iterator<Item = &[ElementAt]> {
    run.chunk_by(|a, b| a.offset == b.offset)
}

impl<T: Element> Window<T> {
    /// Whether every rank of the job shares this node's memory, so that
    /// element lists need no grouping: each element is one load or store
    /// ([`read_on_node`](Self::read_on_node),
    /// [`write_on_node`](Self::write_on_node)).
    pub(crate) fn single_node(&self) -> bool {
        self.world.is_none()
    }

    /// The base and length of same-node `rank`'s block, after settling
    /// this rank's operations to it: looked up once per run of one owner
    /// by the single-node element loops.
    #[inline]
    fn block_on_node(&self, rank: usize) -> Result<(*mut T, usize)> {
        let nr = self.node_rank_of[rank].expect("same-node rank");
        self.settle(rank)?;
        Ok(self.peers[nr])
    }

    /// Reads into `out[k]` the element at the `k`-th `(rank, offset)` of
    /// `at` (same-node owners, offsets inside their blocks, as many as
    /// `out` has slots): the gather of a single-node job, one volatile load
    /// per element in list order, the block looked up (and settled) only
    /// when the owner changes.
    #[inline]
    pub(crate) fn read_on_node(
        &self,
        out: &mut [T],
        at: impl Iterator<Item = (usize, usize)>,
    ) -> Result<()> {
        let mut owner = usize::MAX;
        let (mut p, mut n) = (std::ptr::null_mut::<T>(), 0);
        for (slot, (rank, offset)) in out.iter_mut().zip(at) {
            if rank != owner {
                (p, n) = self.block_on_node(rank)?;
                owner = rank;
            }
            assert!(offset < n, "element outside its block");
            // SAFETY: `p` is the base of `rank`'s live block of `n`
            // elements and `offset < n`; a volatile load, as other ranks
            // may store to shared memory between synchronisations.
            *slot = unsafe { p.add(offset).read_volatile() };
        }
        Ok(())
    }

    /// Stores `values[k]` into the element at the `k`-th `(rank, offset)`
    /// of `at` (as [`read_on_node`](Self::read_on_node)), in list order so
    /// that the last of repeats wins: the scatter of a single-node job.
    /// The caller checked that the window is writable and claimed the
    /// owners' blocks.
    #[inline]
    pub(crate) fn write_on_node(
        &self,
        values: &[T],
        at: impl Iterator<Item = (usize, usize)>,
    ) -> Result<()> {
        let mut owner = usize::MAX;
        let (mut p, mut n) = (std::ptr::null_mut::<T>(), 0);
        for (&v, (rank, offset)) in values.iter().zip(at) {
            if rank != owner {
                (p, n) = self.block_on_node(rank)?;
                owner = rank;
            }
            assert!(offset < n, "element outside its block");
            // SAFETY: `p` is the base of `rank`'s live block of `n`
            // elements and `offset < n`; a volatile store, as other ranks
            // may read or write shared memory between synchronisations (as
            // `write`'s copies do).
            unsafe { p.add(offset).write_volatile(v) };
        }
        Ok(())
    }

    /// Reads every element of `at` into `out[pos]`. Same-node owners by
    /// loads; remote ones by one `MPI_Get` per owner (per transfer cap),
    /// all issued before one completion, each element once.
    pub(crate) fn read_elements(&self, at: &mut Targets, out: &mut [T]) -> Result<()> {
        let mut remote_values = 0;
        for run in at.runs_mut() {
            let rank = run[0].rank;
            let Some(nr) = self.node_rank_of[rank] else {
                by_offset(run);
                remote_values += repeats(run).count();
                continue;
            };
            self.settle(rank)?;
            let (p, n) = self.peers[nr];
            for e in run.iter() {
                assert!(e.offset < n, "element outside its block");
                // SAFETY: in bounds; a volatile load, as other ranks may
                // store to shared memory between synchronisations.
                out[e.pos] = unsafe { p.add(e.offset).read_volatile() };
            }
        }
        if remote_values == 0 {
            return Ok(());
        }
        let world = self.world.expect("remote rank implies a world window");
        let mut values = vec![T::zero(); remote_values];
        // One pointer for every get: MPI writes through it until the
        // completion below, so no reference to `values` is made meanwhile.
        let base = values.as_mut_ptr();
        let mut offsets = Vec::new();
        let mut rel = Vec::new();
        let mut at_value = 0;
        let issued = (|| -> Result<()> {
            for run in at.runs().filter(|r| self.node_rank_of[r[0].rank].is_none()) {
                let rank = run[0].rank;
                offsets.clear();
                offsets.extend(repeats(run).map(|r| r[0].offset));
                self.order_before(world, rank, Footprint::elements(&offsets, Access::Read))?;
                // SAFETY: `values` holds `offsets.len()` elements from
                // `at_value` (its length counted the same repeats), and
                // outlives the completion below or the one of the error
                // path.
                unsafe {
                    let origin = base.add(at_value);
                    self.issue_elements(world, Rma::Get, rank, &offsets, origin, &mut rel)?;
                }
                at_value += offsets.len();
            }
            Ok(())
        })();
        if let Err(e) = issued.and_then(|()| ffi::complete_gets_all(world)) {
            return Err(self.drain(world, e));
        }
        let mut at_value = 0;
        for run in at.runs().filter(|r| self.node_rank_of[r[0].rank].is_none()) {
            for same in repeats(run) {
                for e in same {
                    out[e.pos] = values[at_value];
                }
                at_value += 1;
            }
        }
        Ok(())
    }

    /// Writes `values[pos]` to every element of `at`; of repeats of one
    /// element the last in the caller's list wins. Same-node owners by
    /// stores in the caller's order; remote ones by one `MPI_Put` per
    /// owner (per transfer cap) of each element's last value.
    pub(crate) fn write_elements(&self, at: &mut Targets, values: &[T]) -> Result<()> {
        self.check_writable()?;
        let mut buf = Vec::new();
        let mut offsets = Vec::new();
        let mut rel = Vec::new();
        for run in at.runs_mut() {
            let rank = run[0].rank;
            if let Some(nr) = self.node_rank_of[rank] {
                self.settle(rank)?;
                let (p, n) = self.peers[nr];
                for e in run.iter() {
                    assert!(e.offset < n, "element outside its block");
                    // SAFETY: in bounds; a volatile store, as other ranks
                    // may read or write shared memory between
                    // synchronisations (as `write`'s copies do).
                    unsafe { p.add(e.offset).write_volatile(values[e.pos]) };
                }
                continue;
            }
            let world = self.world.expect("remote rank implies a world window");
            by_offset(run);
            buf.clear();
            offsets.clear();
            for same in repeats(run) {
                let last = same[same.len() - 1];
                buf.push(values[last.pos]);
                offsets.push(last.offset);
            }
            self.send_elements(world, Rma::Put, rank, &offsets, &buf, &mut rel)?;
        }
        Ok(())
    }

    /// Atomically adds `alpha * values[pos]` to every element of `at`,
    /// element by element. Repeats of one element are summed first, in the
    /// caller's order, and the sum added once, on either route (integers
    /// wrapping, as every accumulate).
    pub(crate) fn accumulate_elements(
        &self,
        at: &mut Targets,
        values: &[T],
        alpha: T,
    ) -> Result<()> {
        self.check_writable()?;
        let scaled = |e: &ElementAt| {
            let v = values[e.pos];
            if alpha == T::one() {
                v
            } else {
                alpha.wrapping_mul(v)
            }
        };
        let sum = |same: &[ElementAt]| {
            same[1..]
                .iter()
                .fold(scaled(&same[0]), |s, e| s.wrapping_add(scaled(e)))
        };
        let mut buf = Vec::new();
        let mut offsets = Vec::new();
        let mut rel = Vec::new();
        for run in at.runs_mut() {
            let rank = run[0].rank;
            match self.route {
                AccRoute::SharedLock if T::IS_INTEGER => {
                    // Wrapping integer sums are associative and
                    // commutative: adding each repeat on its own, under the
                    // lock, gives the element the same sum as adding the
                    // repeats' sum once, so the run needs no sorting.
                    let nr = self.node_rank_of[rank].expect("single-node job");
                    let (p, n) = self.peers[nr];
                    let _guard = self.lock(nr);
                    for e in run.iter() {
                        assert!(e.offset < n, "element outside its block");
                        // SAFETY: in bounds; the block lock serialises
                        // every accumulate and fetch-add on this block, and
                        // volatile accesses as in `accumulate_one`.
                        unsafe {
                            let at = p.add(e.offset);
                            at.write_volatile(at.read_volatile().wrapping_add(scaled(e)));
                        }
                    }
                }
                AccRoute::SharedLock => {
                    let nr = self.node_rank_of[rank].expect("single-node job");
                    let (p, n) = self.peers[nr];
                    by_offset(run);
                    let _guard = self.lock(nr);
                    for same in repeats(run) {
                        let offset = same[0].offset;
                        assert!(offset < n, "element outside its block");
                        // SAFETY: in bounds; the block lock serialises
                        // every accumulate and fetch-add on this block, and
                        // volatile accesses as in `accumulate_one`.
                        unsafe {
                            let e = p.add(offset);
                            e.write_volatile(e.read_volatile().wrapping_add(sum(same)));
                        }
                    }
                }
                AccRoute::Mpi => {
                    let world = self.world.expect("multi-node job");
                    by_offset(run);
                    buf.clear();
                    offsets.clear();
                    for same in repeats(run) {
                        buf.push(sum(same));
                        offsets.push(same[0].offset);
                    }
                    self.send_elements(world, Rma::AccumulateSum, rank, &offsets, &buf, &mut rel)?;
                }
            }
        }
        Ok(())
    }

    /// Puts or accumulates `buf[i]` into element `offsets[i]` of `rank`'s
    /// block, in order after this rank's earlier operations to it, and
    /// returns once `buf` may be reused (as `put_like`).
    fn send_elements(
        &self,
        world: MPI_Win,
        op: Rma,
        rank: usize,
        offsets: &[usize],
        buf: &[T],
        rel: &mut Vec<MPI_Aint>,
    ) -> Result<()> {
        let op = put_as(op, size_of_val(buf));
        let f = Footprint::elements(offsets, access(op));
        self.order_before(world, rank, f)?;
        // Small: issued from a copy, which the record keeps until a flush,
        // so a failure part way needs no drain.
        let src = ndarray::ArrayView1::from(buf);
        if let Some(done) = self.issue_from_copy(world, rank, f, &src, &mut |at, _| {
            // SAFETY: `issue_from_copy` passes its copy of `buf` (one
            // element per offset), kept until a flush.
            unsafe { self.issue_elements(world, op, rank, offsets, at, rel) }.map(|()| true)
        }) {
            return done;
        }
        // SAFETY: `buf` holds one element per offset and outlives the
        // local flush below (or the error path's); puts and accumulates
        // only read it.
        let issued =
            unsafe { self.issue_elements(world, op, rank, offsets, buf.as_ptr() as *mut T, rel) };
        self.pending[rank].issue(f);
        match issued {
            Ok(()) => ffi::flush_local(world, rank),
            Err(e) => Err(self.drain(world, e)),
        }
    }

    /// Issues `op` between `offsets.len()` contiguous elements at `origin`
    /// and the elements at `offsets` (distinct, ascending) of `rank`'s
    /// block: one indexed MPI call per `max_transfer_bytes` worth of
    /// elements. `rel` is scratch space for the displacements.
    ///
    /// # Safety
    /// `origin` must point to `offsets.len()` live elements, writable for
    /// `Rma::Get`, that stay valid until the operations complete.
    unsafe fn issue_elements(
        &self,
        world: MPI_Win,
        op: Rma,
        rank: usize,
        offsets: &[usize],
        origin: *mut T,
        rel: &mut Vec<MPI_Aint>,
    ) -> Result<()> {
        let limit = (self.max_transfer_bytes / size_of::<T>()).clamp(1, i32::MAX as usize);
        let elem = size_of::<T>() as MPI_Aint;
        for (k, chunk) in offsets.chunks(limit).enumerate() {
            let first = chunk[0];
            rel.clear();
            rel.extend(chunk.iter().map(|&o| (o - first) as MPI_Aint * elem));
            // SAFETY: the chunk's elements start `k * limit` into the
            // caller's `origin` buffer of `offsets.len()` elements; the
            // offsets are inside the block (checked by the array layer).
            unsafe {
                let at = origin.add(k * limit);
                ffi::rma_indexed(op, world, rank, self.displacement(rank, first), rel, at)?;
            }
        }
        Ok(())
    }

    /// After an RMA call failed with `e` while earlier ones may still use
    /// a buffer about to be freed: completes every operation in flight, or
    /// ends the job if that fails too (MPI might write freed memory), and
    /// returns `e`.
    #[cold]
    fn drain(&self, world: MPI_Win, e: crate::Error) -> crate::Error {
        if let Err(f) = ffi::flush_all(world) {
            eprintln!("gain: after {e}, completing the operations in flight failed: {f}");
            abort_world(1);
        }
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(ranks: &[usize]) -> Vec<ElementAt> {
        ranks
            .iter()
            .enumerate()
            .map(|(pos, &rank)| ElementAt {
                rank,
                offset: 10 - pos,
                pos,
            })
            .collect()
    }

    #[test]
    fn targets_group_by_owner_in_list_order() {
        let t = Targets::new(list(&[2, 0, 2, 1, 0, 2]), 4);
        let got: Vec<(usize, usize)> = t.0.iter().map(|e| (e.rank, e.pos)).collect();
        assert_eq!(got, [(0, 1), (0, 4), (1, 3), (2, 0), (2, 2), (2, 5)]);
        assert_eq!(t.ranks().collect::<Vec<_>>(), [0, 1, 2]);
        // Already grouped: kept as given.
        let t = Targets::new(list(&[1, 1, 3]), 4);
        assert_eq!(t.0, list(&[1, 1, 3]));
        assert_eq!(Targets::new(Vec::new(), 4).ranks().count(), 0);
    }

    #[test]
    fn repeats_keep_list_order_after_sorting_by_offset() {
        let mut run = [(7, 0), (3, 1), (7, 2), (3, 3), (5, 4)].map(|(offset, pos)| ElementAt {
            rank: 0,
            offset,
            pos,
        });
        by_offset(&mut run);
        let groups: Vec<Vec<usize>> = repeats(&run)
            .map(|r| r.iter().map(|e| e.pos).collect())
            .collect();
        assert_eq!(groups, [vec![1, 3], vec![4], vec![0, 2]]);
    }
}
