//! The k-means inner kernel: label a fragment's points with the nearest
//! center and bring the fragment's per-cluster sums and counts up to date.
//! [`super::KMeans`] runs it on every fragment; [`super::Lloyd`] is its
//! public face.
//!
//! The sums are kept from one iteration to the next and changed only where
//! a point changes cluster: it is taken out of its old cluster's sum and
//! added to its new one. The first iteration adds every point; later ones
//! touch only the points that moved, few once Lloyd's iteration settles, so
//! an iteration costs little more than reading the points and labelling
//! them.
//!
//! Points are taken a batch at a time, in two passes while the batch sits
//! in cache:
//! - labelling, as a small matrix product. Center `t` is compared with
//!   center 0 through `|c_t|² - |c_0|² - 2 p·(c_t - c_0)` (its squared
//!   distance less center 0's), so k centers cost k - 1 dot products. A
//!   register tile holds 4 points × 3 center differences, one vector lane
//!   per coordinate (no broadcasts), in twelve independent multiply-add
//!   chains; the four points' scores are then compared lane by lane.
//! - sum updates, only for a batch where some label changed. A few changed
//!   points are moved one at a time (subtracted from the old sum, added to
//!   the new one, in memory). Many are grouped as events (a point leaving
//!   or joining a cluster) by cluster (from bit masks of the batch's old
//!   and new labels compared with the cluster, eight lanes at a time, or a
//!   sort when there are many clusters), each cluster's rows added or
//!   subtracted into accumulators that stay in registers for the group.
//!   Every coordinate of every sum still sees its additions and
//!   subtractions in point order, so the sums are bit for bit those of the
//!   plain loop that adds and subtracts one point at a time.
//!
//! The tile reads four rows at once, a pattern the hardware prefetchers do
//! not follow, so the loop prefetches the points [`AHEAD`] bytes ahead
//! into L1 itself: two cache lines per step of the tile's loop, spread
//! among its multiply-adds, so the requests keep arriving at the rate the
//! loop consumes lines instead of queueing in a burst. A batch with many changed points also
//! asks for the next batch's points into L2 along its sum pass, so the
//! memory stays busy while the sums are updated.

use ndarray::ArrayView2;
use wide::{f64x4, i32x8};

/// Points labelled together in one register tile (the lanes of the
/// comparisons).
const TILE: usize = 4;

/// Center differences in one register tile.
const GROUP: usize = 3;

/// Points labelled, then summed, together: 16 KB at 64 dimensions.
const BATCH: usize = 8 * TILE;

/// Up to this many centers, each cluster's points in a batch are found by
/// comparing the labels with it; beyond it, by sorting.
const SCAN: usize = 16;

/// Up to this many changed points in a batch, the sums are updated in
/// memory point by point rather than grouped by cluster.
const SPARSE: usize = 4;

const _: () = assert!(
    BATCH <= 64 && BATCH.is_power_of_two() && BATCH.is_multiple_of(8),
    "a batch's changes are a u64 mask built eight lanes at a time, its events indexed by a mask"
);

/// How far ahead of the labelling the points are prefetched into L1, in
/// bytes: 8 points at 64 dimensions. Far enough to cover a memory latency
/// at the kernel's rate, near enough that the lines are still in L1
/// (32 KB) when the tile reaches them.
const AHEAD: usize = 4 << 10;

/// Coordinates `4j..4j + 4` of a group's `GROUP` differences, aligned so
/// that no vector load of them straddles two cache lines.
#[derive(Clone, Copy)]
#[repr(align(32))]
struct Diffs([[f64; 4]; GROUP]);

/// The centers as the kernel reads them: the differences `c_t - c_0` in
/// groups of `GROUP` rows (a short last group is padded with zero rows and
/// infinite offsets, so its padding never wins), and the offsets
/// `|c_t|² - |c_0|²`. A group's differences are interleaved four
/// coordinates at a time (`body`), so the labelling loop walks one slice;
/// the last `d % 4` coordinates of each difference are kept apart (`tail`).
pub(crate) struct Centers {
    body: Vec<Diffs>,
    tail: Vec<f64>,
    offsets: Vec<f64>,
    d: usize,
}

impl Centers {
    pub(crate) fn new(centers: ArrayView2<f64>) -> Self {
        let (k, d) = centers.dim();
        let groups = (k - 1).div_ceil(GROUP);
        let (q4, rest) = (d / 4, d % 4);
        let mut body = vec![Diffs([[0.0; 4]; GROUP]); groups * q4];
        let mut tail = vec![0.0; groups * GROUP * rest];
        let mut offsets = vec![f64::INFINITY; groups * GROUP];
        let c0 = centers.row(0);
        let n0 = c0.dot(&c0);
        for t in 1..k {
            let ct = centers.row(t);
            let (g, u) = ((t - 1) / GROUP, (t - 1) % GROUP);
            for j in 0..d {
                let x = ct[j] - c0[j];
                if j < 4 * q4 {
                    body[g * q4 + j / 4].0[u][j % 4] = x;
                } else {
                    tail[(t - 1) * rest + j - 4 * q4] = x;
                }
            }
            offsets[t - 1] = ct.dot(&ct) - n0;
        }
        Centers {
            body,
            tail,
            offsets,
            d,
        }
    }

    /// For group `g`: the dot products of the `TILE` points of `tile` (rows
    /// of `d`) with its `GROUP` differences, one vector (over the points)
    /// per difference. `Q` is `d / 4` when fixed at compile time, else 0.
    /// With `PF`, prefetches `points[at..at + 4 * d]` (the tile `AHEAD`
    /// bytes on) into L1 along the way, two cache lines a step: a tile of
    /// `4 * d` doubles takes `d / 4` steps, so the lines are all asked for
    /// by the end of the loop.
    #[inline(always)]
    fn dots<const PF: bool, const Q: usize>(
        &self,
        g: usize,
        tile: &[f64],
        points: &[f64],
        at: usize,
    ) -> [f64x4; GROUP] {
        let d = self.d;
        let (q4, rest) = (if Q > 0 { Q } else { d / 4 }, d % 4);
        let body = &self.body[g * q4..(g + 1) * q4];
        let p: [&[f64]; TILE] = std::array::from_fn(|i| &tile[i * d..(i + 1) * d]);
        let [v0, v1, v2, v3] = p.map(|p| p.as_chunks::<4>().0);
        let mut acc = [[f64x4::ZERO; TILE]; GROUP];
        for j in 0..q4 {
            // Each step's pair of lines next to its multiply-adds, so the
            // prefetches spread over the loop instead of queueing at once.
            if PF && let Some(pair) = points.get(at + 16 * j..at + 16 * j + 16) {
                crate::prefetch_l1(pair);
            }
            step(&mut acc, &body[j].0, [v0[j], v1[j], v2[j], v3[j]]);
        }
        if PF && rest != 0 {
            crate::prefetch_l1(within(points, at + 16 * q4, at + 4 * d));
        }
        let mut out = [f64x4::ZERO; GROUP];
        for t in 0..GROUP {
            // Lane i of the sum of the transposed rows is point i's dot.
            let [a, b, c, e] = f64x4::transpose(acc[t]);
            let mut dot = (a + b) + (c + e);
            for j in 0..rest {
                let x = f64x4::new(p.map(|p| p[4 * q4 + j]));
                dot = x.mul_add(f64x4::splat(self.tail[(g * GROUP + t) * rest + j]), dot);
            }
            out[t] = dot;
        }
        out
    }

    /// The nearest center of each of the `TILE` points of `tile` (rows of
    /// `d`); ties go to the lower index. Prefetches `points[at..at + 4 * d]`
    /// into L1 along the first group's loop (at once when there is no
    /// group: one center).
    #[inline(always)]
    fn nearest<const Q: usize>(&self, tile: &[f64], points: &[f64], at: usize) -> [i32; TILE] {
        let mut best = f64x4::ZERO;
        let mut best_score = f64x4::ZERO;
        let mut pick = |g: usize, dots: [f64x4; GROUP]| {
            for (t, dot) in dots.into_iter().enumerate() {
                let c = g * GROUP + t;
                let score = f64x4::splat(self.offsets[c]) - dot - dot;
                let better = score.simd_lt(best_score);
                best_score = better.select(score, best_score);
                best = better.select(f64x4::splat((c + 1) as f64), best);
            }
        };
        let groups = self.offsets.len() / GROUP;
        if groups == 0 {
            crate::prefetch_l1(within(points, at, at + TILE * self.d));
        } else {
            pick(0, self.dots::<true, Q>(0, tile, points, at));
            for g in 1..groups {
                pick(g, self.dots::<false, Q>(g, tile, points, at));
            }
        }
        // The integer in the low bits of `2^52 + best`.
        let bits = (best + f64x4::splat(4_503_599_627_370_496.0)).to_array();
        bits.map(|b| b.to_bits() as i32)
    }
}

/// One step of the labelling tile: coordinates `4j..4j + 4` of the
/// `TILE` points `x` against those of the `GROUP` differences `c`, into the
/// tile's `GROUP × TILE` multiply-add chains. One point at a time, so the
/// tile needs 12 + 3 + 1 registers.
#[inline(always)]
fn step(acc: &mut [[f64x4; TILE]; GROUP], c: &[[f64; 4]; GROUP], x: [[f64; 4]; TILE]) {
    let cv = c.map(f64x4::new);
    for (i, x) in x.into_iter().enumerate() {
        let x = f64x4::new(x);
        for t in 0..GROUP {
            acc[t][i] = x.mul_add(cv[t], acc[t][i]);
        }
    }
}

/// `points[lo..hi]` cut to the slice's end (empty past it): a range to
/// prefetch that may run past the fragment.
#[inline(always)]
fn within(points: &[f64], lo: usize, hi: usize) -> &[f64] {
    points.get(lo..hi.min(points.len())).unwrap_or(&[])
}

/// Adds `sign * row` for each `(row offset, sign)` of `events` into `sum`,
/// in order, `W` vectors of coordinates at a time held in registers. The
/// sign is ±1, so each multiply-add rounds exactly as `+` or `-` would.
/// Prefetches `ahead` into L2 along the way, as many bytes a row as it
/// adds, so they spread over the loop instead of queueing at once.
#[inline(always)]
fn add_rows<const W: usize>(
    sum: &mut [f64],
    batch: &[f64],
    events: &[(usize, f64)],
    ahead: &[f64],
) {
    let load = |s: &[f64]| f64x4::new(s[..4].try_into().unwrap());
    let mut ahead = ahead.chunks(4 * W);
    for (lo, sum) in (0..).step_by(4 * W).zip(sum.chunks_exact_mut(4 * W)) {
        let mut acc: [f64x4; W] = std::array::from_fn(|q| load(&sum[4 * q..]));
        for &(m, sign) in events {
            if let Some(lines) = ahead.next() {
                crate::prefetch(lines);
            }
            let row = &batch[m + lo..][..4 * W];
            let sign = f64x4::splat(sign);
            for q in 0..W {
                acc[q] = load(&row[4 * q..]).mul_add(sign, acc[q]);
            }
        }
        for q in 0..W {
            sum[4 * q..4 * q + 4].copy_from_slice(&acc[q].to_array());
        }
    }
}

/// Applies one cluster's `events` to its `sum`: 32 coordinates at a time
/// (8 registers, so the accumulators, the sign and a row vector fit in
/// AVX2's 16), then 16, then 4, then one. Prefetches `ahead` (up to
/// `events.len() * d` doubles) into L2 along the way.
fn update_cluster(sum: &mut [f64], batch: &[f64], events: &[(usize, f64)], ahead: &[f64]) {
    let d = sum.len();
    let a = d / 32 * 32;
    let b = a + (d - a) / 16 * 16;
    let c = b + (d - b) / 4 * 4;
    // Each pass's share of `ahead`: as many doubles as it adds.
    let cut = |x: usize| (x * events.len()).min(ahead.len());
    add_rows::<8>(&mut sum[..a], batch, events, &ahead[..cut(a)]);
    add_rows::<4>(&mut sum[a..b], &batch[a..], events, &ahead[cut(a)..cut(b)]);
    add_rows::<1>(&mut sum[b..c], &batch[b..], events, &ahead[cut(b)..cut(c)]);
    crate::prefetch(&ahead[cut(c)..]);
    for j in c..d {
        let mut s = sum[j];
        for &(m, sign) in events {
            s = batch[m + j].mul_add(sign, s);
        }
        sum[j] = s;
    }
}

/// Labels the points of one fragment and updates its per-cluster sums and
/// counts in `partial` (`k * d` sums, then `k` counts).
///
/// On entry `labels` holds each point's previous cluster, or -1 for a point
/// not yet counted, and `partial` the sums and counts of those clusters
/// (zeros before the first call). On return both describe the new labels:
/// a point that changed cluster has been subtracted from its old sum and
/// added to its new one, in point order.
///
/// Dimension counts of 16, 32, 64 and 128 (and up to 3 more, the
/// remainder coordinates) run a copy of the kernel with the tile loop's
/// trip count fixed at compile time, so the compiler unrolls it.
pub(crate) fn cluster_partial_sum(
    points: &[f64],
    centers: &Centers,
    labels: &mut [i32],
    partial: &mut [f64],
) {
    let kernel = match centers.d / 4 {
        4 => partial_sum::<4>,
        8 => partial_sum::<8>,
        16 => partial_sum::<16>,
        32 => partial_sum::<32>,
        _ => partial_sum::<0>,
    };
    kernel(points, centers, labels, partial)
}

/// [`cluster_partial_sum`] with `Q = d / 4` fixed at compile time, or 0.
fn partial_sum<const Q: usize>(
    points: &[f64],
    centers: &Centers,
    labels: &mut [i32],
    partial: &mut [f64],
) {
    let d = centers.d;
    let k = partial.len() / (d + 1);
    let (sums, counts) = partial.split_at_mut(k * d);
    let mut best = [0i32; BATCH];
    let mut short_old = [0i32; BATCH];
    let mut pad = vec![0.0; TILE * d];
    // A batch's (cluster, point, sign) events, sorted; then one cluster's
    // (row offset, sign) events.
    let mut order = [0u64; 2 * BATCH];
    let mut events = [(0usize, 0.0f64); 2 * BATCH];
    // The next points to prefetch into L1 (the labelling, `AHEAD` bytes
    // ahead) and into L2 (the sum pass of a busy batch, the batch after).
    let (mut near, mut far) = (AHEAD / 8, 0);
    let next = |at: &mut usize, len: usize| {
        let ahead = within(points, *at, *at + len);
        *at += ahead.len();
        ahead
    };
    for (batch, lb) in points.chunks(BATCH * d).zip(labels.chunks_mut(BATCH)) {
        let n = lb.len();
        let tiles = batch.chunks_exact(TILE * d);
        for (tile, out) in tiles.zip(best.chunks_exact_mut(TILE)) {
            out.copy_from_slice(&centers.nearest::<Q>(tile, points, near));
            near += TILE * d;
        }
        if !n.is_multiple_of(TILE) {
            // A short last tile: its points, then its last point again.
            let t = n / TILE * TILE;
            for (i, row) in pad.chunks_exact_mut(d).enumerate() {
                row.copy_from_slice(&batch[(t + i).min(n - 1) * d..][..d]);
            }
            best[t..t + TILE].copy_from_slice(&centers.nearest::<Q>(&pad, points, near));
            near += TILE * d;
        }
        // The batch's labels before this call, read in place (a short last
        // batch from a padded copy); `lb` is overwritten at the end.
        let old: &[i32; BATCH] = match <&[i32; BATCH]>::try_from(&*lb) {
            Ok(whole) => whole,
            Err(_) => {
                short_old[..n].copy_from_slice(lb);
                &short_old
            }
        };
        // Bit i: point i (of the n in the batch) changed cluster.
        let valid = u64::MAX >> (64 - n);
        let changed = !eq_mask(old, &best) & valid;
        if changed.count_ones() as usize <= SPARSE {
            // A few points moved: update the sums in memory point by point.
            let mut rest = changed;
            while rest != 0 {
                let i = rest.trailing_zeros() as usize;
                rest &= rest - 1;
                let p = &batch[i * d..][..d];
                let new = best[i] as usize;
                if old[i] >= 0 {
                    let old = old[i] as usize;
                    counts[old] -= 1.0;
                    for (s, &x) in sums[old * d..][..d].iter_mut().zip(p) {
                        *s -= x;
                    }
                }
                counts[new] += 1.0;
                for (s, &x) in sums[new * d..][..d].iter_mut().zip(p) {
                    *s += x;
                }
            }
            store(lb, &best);
            continue;
        }
        // Up to a batch of points beyond the labelling's prefetches, into
        // L2 along the sum pass: a point's worth per event (a point joining
        // or leaving a cluster), spread over the event's additions.
        far = far.max(near);
        let mut owed = n * d;
        let mut apply = |c: usize, events: &[(usize, f64)]| {
            let now = (events.len() * d).min(owed);
            let ahead = next(&mut far, now);
            owed -= now;
            update_cluster(&mut sums[c * d..][..d], batch, events, ahead);
        };
        if k <= SCAN {
            // Each cluster's events from two masks: the changed points that
            // join it and those that leave it. Together, in point order.
            for (c, count) in counts.iter_mut().enumerate() {
                let joins = eq_mask(&best, &[c as i32; BATCH]) & changed;
                let leaves = eq_mask(old, &[c as i32; BATCH]) & changed;
                let mut rest = joins | leaves;
                if rest == 0 {
                    continue;
                }
                *count += f64::from(joins.count_ones()) - f64::from(leaves.count_ones());
                let mut m = 0;
                while rest != 0 {
                    let i = rest.trailing_zeros() as usize;
                    rest &= rest - 1;
                    let sign = if joins >> i & 1 == 1 { 1.0 } else { -1.0 };
                    // `m < BATCH`: a point joins or leaves, not both.
                    events[m & (BATCH - 1)] = (i * d, sign);
                    m += 1;
                }
                apply(c, &events[..m]);
            }
        } else {
            // Many clusters: sort the (cluster, point, joins) events.
            let mut m = 0;
            let mut rest = changed;
            while rest != 0 {
                let i = rest.trailing_zeros() as usize;
                rest &= rest - 1;
                let at = (i as u64) << 1;
                order[m] = ((best[i] as u64) << 32) | at | 1;
                m += 1;
                if old[i] >= 0 {
                    order[m] = ((old[i] as u64) << 32) | at;
                    m += 1;
                }
            }
            let order = &mut order[..m];
            order.sort_unstable();
            for run in order.chunk_by(|a, b| a >> 32 == b >> 32) {
                let mut count = 0.0;
                for (e, &r) in events.iter_mut().zip(run) {
                    let sign = if r & 1 == 1 { 1.0 } else { -1.0 };
                    count += sign;
                    *e = (((r & 0xffff_ffff) >> 1) as usize * d, sign);
                }
                let c = (run[0] >> 32) as usize;
                counts[c] += count;
                apply(c, &events[..run.len()]);
            }
        }
        store(lb, &best);
    }
}

/// Writes a batch's new labels over its old ones: one fixed-size copy for
/// a whole batch.
#[inline(always)]
fn store(lb: &mut [i32], best: &[i32; BATCH]) {
    match <&mut [i32; BATCH]>::try_from(&mut *lb) {
        Ok(whole) => *whole = *best,
        Err(_) => lb.copy_from_slice(&best[..lb.len()]),
    }
}

/// Bit i: `a[i] == b[i]`, eight lanes at a time.
#[inline(always)]
fn eq_mask(a: &[i32; BATCH], b: &[i32; BATCH]) -> u64 {
    let (a, b) = (a.as_chunks::<8>().0, b.as_chunks::<8>().0);
    a.iter().zip(b).enumerate().fold(0, |m, (j, (&a, &b))| {
        let eq = i32x8::new(a).simd_eq(i32x8::new(b));
        m | u64::from(eq.to_bitmask() as u8) << (8 * j)
    })
}
