//! Distributed k-means (Lloyd's algorithm), as Algorithm 1 of the PyCOMPSs
//! shared-memory paper.
//!
//! The points are a `GlobalArray<f64, Ix2>` of N × d distributed by rows in
//! whole *fragments* (contiguous runs of points, `--fragments` of them).
//! Every iteration the fragments are labelled with the nearest center,
//! read in place through zero-copy views, and each fragment's per-cluster
//! sums are brought up to date: the first iteration adds every point,
//! later ones move only the points that changed cluster from their old sum
//! to their new one. The sums live in a distributed array, a row per
//! fragment; every rank then copies them all and adds them in fragment
//! order, so the centers are bit-for-bit the same at every rank count and
//! whichever rank labelled which fragment. Labels live in a distributed
//! `i32` array. The points come from gain's counter-based generator, the
//! same at every rank count and identical to NumPy's
//! `Generator(Philox(key=seed)).random((N, d))`.
//!
//! Fragments are handed out dynamically within a node (`--schedule
//! dynamic`, the default): each rank takes its own fragments one at a time
//! from a shared counter (`read_inc`), then helps the other ranks of its
//! node with theirs, reading their points in place through the node's
//! shared memory and their labels and sums with get and put. A rank slowed
//! by a busy core or a co-tenant then costs the iteration a fragment, not
//! its share. `--schedule static`: each rank its own fragments (owner
//! computes); `--schedule rotated`: each rank starts with the next node
//! rank's, so every fragment takes the helper's path (for tests).
//!
//! Run: `scripts/run-example kmeans 2 --points 4194304 --dims 64 --centers 4 --iters 20`
//! (or `mpirun -np 2 target/release/examples/kmeans …` after `cargo build --release --examples`)
//! Options: `--points N --dims d --centers k --iters I --seed s
//! --fragments f --schedule static|dynamic|rotated --verify --probe`
//! (`--verify` recomputes everything serially with ndarray on rank 0 and
//! checks that centers and labels are identical; `--probe` times a plain
//! read of every rank's block, between barriers, before each iteration,
//! and prints the iterations' bandwidth against it: a baseline taken on the
//! same memory, by the same processes, within tens of milliseconds of the
//! iteration it is compared with. The read passes are left out of the
//! reported times).

use std::time::Instant;

use gain::{GlobalArray, Runtime};
use mpi::traits::*;
use ndarray::{Array1, Array2, Ix1, Ix2, s};

mod kernel;
#[path = "../support/read.rs"]
mod read;
use kernel::{Centers, cluster_partial_sum, reference_partial_sum};

/// Centers must move less than this (Frobenius norm) to stop early.
const EPSILON: f64 = 1e-9;

struct Options {
    points: usize,
    dims: usize,
    centers: usize,
    iters: usize,
    seed: u64,
    fragments: usize,
    verify: bool,
    probe: bool,
    schedule: Schedule,
}

/// Which rank labels which fragment.
#[derive(Clone, Copy, PartialEq)]
enum Schedule {
    /// Each rank its own fragments (owner computes).
    Static,
    /// Each rank takes its own fragments first, one at a time from a
    /// shared counter, then helps the other ranks of its node with theirs.
    Dynamic,
    /// As `Dynamic`, but each rank starts with the next node rank's
    /// fragments: every fragment is labelled by a rank that does not own
    /// it (the path a busy rank's fragments take; for tests).
    Rotated,
}

fn parse() -> Result<Options, String> {
    let mut o = Options {
        points: 100_000,
        dims: 16,
        centers: 4,
        iters: 20,
        seed: 0,
        fragments: 64,
        verify: false,
        probe: false,
        schedule: Schedule::Dynamic,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        // The flags; every other option takes a number.
        match a.as_str() {
            "--verify" => o.verify = true,
            "--probe" => o.probe = true,
            "--schedule" => {
                o.schedule = match args.next().as_deref() {
                    Some("static") => Schedule::Static,
                    Some("dynamic") => Schedule::Dynamic,
                    Some("rotated") => Schedule::Rotated,
                    v => return Err(format!("--schedule static|dynamic|rotated, not {v:?}")),
                }
            }
            _ => {
                let v = args.next().ok_or(format!("{a} needs a value"))?;
                let n: u64 = v
                    .parse()
                    .map_err(|_| format!("{a}: '{v}' is not a number"))?;
                match a.as_str() {
                    "--points" => o.points = n as usize,
                    "--dims" => o.dims = n as usize,
                    "--centers" => o.centers = n as usize,
                    "--iters" => o.iters = n as usize,
                    "--seed" => o.seed = n,
                    "--fragments" => o.fragments = n as usize,
                    _ => return Err(format!("unknown option {a}")),
                }
            }
        }
    }
    if o.centers == 0 || o.centers > o.points || o.dims == 0 || o.fragments == 0 {
        return Err("need 1 <= centers <= points, dims >= 1, fragments >= 1".into());
    }
    o.fragments = o.fragments.min(o.points);
    Ok(o)
}

/// Points `[first, end)` of fragment `j` of `f`.
fn fragment(j: usize, f: usize, n: usize) -> (usize, usize) {
    (j * n / f, (j + 1) * n / f)
}

/// Fragments `[first, end)` owned by `rank` of `np`.
fn fragments_of(rank: usize, np: usize, f: usize) -> (usize, usize) {
    if np <= f {
        (rank * f / np, (rank + 1) * f / np)
    } else {
        (rank.min(f), (rank + 1).min(f))
    }
}

/// New centers from summed fragment partials, in fragment order; an empty
/// cluster keeps its center. Returns how far the centers moved.
fn update(centers: &mut Array2<f64>, partials: &[f64]) -> f64 {
    let (k, d) = centers.dim();
    let width = k * (d + 1);
    let mut total = vec![0.0; width];
    for frag in partials.chunks_exact(width) {
        for (t, &x) in total.iter_mut().zip(frag) {
            *t += x;
        }
    }
    let mut moved = 0.0;
    for c in 0..k {
        let count = total[k * d + c];
        if count > 0.0 {
            for j in 0..d {
                let new = total[c * d + j] / count;
                moved += (new - centers[[c, j]]).powi(2);
                centers[[c, j]] = new;
            }
        }
    }
    moved.sqrt()
}

/// The serial ndarray reference: the same algorithm written directly,
/// distances as `Σ (p - c)²`, cluster sums per fragment kept from one
/// iteration to the next and updated in point order for the points that
/// changed cluster.
fn serial(
    points: &Array2<f64>,
    k: usize,
    iters: usize,
    f: usize,
) -> (Array2<f64>, Array1<i32>, usize) {
    let (n, d) = points.dim();
    let mut centers = points.slice(s![..k, ..]).to_owned();
    let mut labels = Array1::from_elem(n, -1);
    let mut sums = vec![Array2::zeros((k, d)); f];
    let mut counts = vec![Array1::zeros(k); f];
    let mut run = 0;
    for _ in 0..iters {
        run += 1;
        let mut partials = Vec::with_capacity(f * k * (d + 1));
        for j in 0..f {
            let (lo, hi) = fragment(j, f, n);
            let mut l = labels.slice_mut(s![lo..hi]);
            let l = l.as_slice_mut().expect("contiguous");
            reference_partial_sum(
                points.slice(s![lo..hi, ..]),
                &centers,
                l,
                &mut sums[j],
                &mut counts[j],
            );
            partials.extend(sums[j].iter());
            partials.extend(counts[j].iter());
        }
        if update(&mut centers, &partials) <= EPSILON {
            break;
        }
    }
    (centers, labels, run)
}

/// Seconds for every rank to read its block of `points` once (a plain sum,
/// between barriers, so the pass lasts as long as its slowest rank).
fn read_pass(rt: &Runtime, points: &GlobalArray<f64, Ix2>) -> f64 {
    let block = points.local();
    let pts = block.as_slice().expect("a block is contiguous");
    rt.comm().barrier();
    let t = Instant::now();
    std::hint::black_box(read::sum(std::hint::black_box(pts)));
    rt.comm().barrier();
    t.elapsed().as_secs_f64()
}

fn fingerprint(centers: &Array2<f64>, labels: &[i32]) -> u64 {
    // FNV-1a over the centers' bits and the labels.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let bytes = centers.iter().flat_map(|x| x.to_bits().to_le_bytes());
    for b in bytes.chain(labels.iter().flat_map(|l| l.to_le_bytes())) {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn run(rt: &Runtime, o: &Options) -> gain::Result<bool> {
    let (n, d, k, f) = (o.points, o.dims, o.centers, o.fragments);
    let (np, rank) = (rt.size(), rt.rank());
    // Block boundaries at fragment starts: each rank owns whole fragments.
    let starts: Vec<usize> = (0..np.min(f))
        .map(|r| fragment(fragments_of(r, np, f).0, f, n).0)
        .collect();
    let mut points =
        GlobalArray::<f64, Ix2>::zeros_irregular(rt, [n, d], &[starts.clone(), vec![0]])?;
    let mut labels = GlobalArray::<i32, Ix1>::zeros_irregular(rt, n, &[starts])?;
    let t0 = Instant::now();
    gain::random::fill_uniform(&mut points, o.seed, 0.0, 1.0)?;
    let generate = t0.elapsed().as_secs_f64();
    if rank == 0 {
        println!(
            "k-means: {n} points x {d} dims, {k} centers, {np} ranks, {f} fragments, seed {}",
            o.seed
        );
        println!(
            "generated {:.1} MB of points in {generate:.3} s",
            (n * d * 8) as f64 / 1e6
        );
    }

    // Every fragment's per-cluster sums and counts, kept from one
    // iteration to the next in a distributed array (a row a fragment, with
    // the fragment's owner), and two counters a rank (one per iteration
    // parity) handing out its fragments.
    let width = k * (d + 1);
    let frag_starts: Vec<usize> = (0..np.min(f)).map(|r| fragments_of(r, np, f).0).collect();
    let mut partials =
        GlobalArray::<f64, Ix2>::zeros_irregular(rt, [f, width], &[frag_starts, vec![0]])?;
    let mut counters =
        GlobalArray::<i64, Ix2>::zeros_irregular(rt, [np, 2], &[(0..np).collect(), vec![0]])?;
    // The ranks whose fragments this rank takes, in order: its own first
    // (the next node rank's for `Rotated`), then the rest of its node's.
    let node = points.node_ranks();
    let at = node
        .iter()
        .position(|&r| r == rank)
        .expect("a rank is on its node");
    let first = if o.schedule == Schedule::Rotated {
        at + 1
    } else {
        at
    };
    let owners: Vec<usize> = match o.schedule {
        Schedule::Static => vec![rank],
        _ => (0..node.len())
            .map(|i| node[(first + i) % node.len()])
            .collect(),
    };

    let mut centers = points.get([0..k, 0..d])?;
    // No point is in a cluster yet; the kernel keeps the fragment sums and
    // the labels up to date from then on.
    labels.fill(-1)?;
    let start = Instant::now();
    let mut iters = 0;
    let mut probe_total = 0.0;
    for it in 1..=o.iters {
        let probe_s = o.probe.then(|| read_pass(rt, &points));
        probe_total += probe_s.unwrap_or(0.0);
        let t = Instant::now();
        iters = it;
        let kernel = Centers::new(&centers);
        // This iteration's counters start at 0; the other parity's are
        // reset for the next one (no rank reads them until then: the
        // counters' sync at the end of this one lies between).
        let parity = it % 2;
        counters.local_mut()[[0, 1 - parity]] = 0;
        for &owner in &owners {
            let (f0, f1) = fragments_of(owner, np, f);
            let first_point = fragment(f0, f, n).0;
            let mut next = f0;
            loop {
                let j = match o.schedule {
                    Schedule::Static => {
                        next += 1;
                        next - 1
                    }
                    _ => f0 + counters.read_inc(&[owner, parity], 1)? as usize,
                };
                if j >= f1 {
                    break;
                }
                let (lo, hi) = fragment(j, f, n);
                // The fragment's points in the owner's block.
                let (a, b) = (lo - first_point, hi - first_point);
                if owner == rank {
                    // Its own block, in place.
                    let block = points.local();
                    let pts = block.as_slice().expect("a block is contiguous");
                    let mut lab = labels.local_mut();
                    let lab = lab.as_slice_mut().expect("a block is contiguous");
                    let mut part = partials.local_mut();
                    let part = part.as_slice_mut().expect("a block is contiguous");
                    let part = &mut part[(j - f0) * width..][..width];
                    cluster_partial_sum(&pts[a * d..b * d], &kernel, &mut lab[a..b], part);
                } else {
                    // A node rank's: its points in place, its labels and
                    // sums through get and put (plain copies on a node).
                    let block = points.local_of(owner)?;
                    let pts = block.as_slice().expect("a block is contiguous");
                    let mut lab = labels.get(lo..hi)?;
                    let mut part = partials.get([j..j + 1, 0..width])?;
                    cluster_partial_sum(
                        &pts[a * d..b * d],
                        &kernel,
                        lab.as_slice_mut().expect("contiguous"),
                        part.as_slice_mut().expect("contiguous"),
                    );
                    labels.put(lo..hi, lab.view())?;
                    partials.put([j..j + 1, 0..width], part.view())?;
                }
            }
        }
        // Every fragment's sums, in fragment order on every rank. The
        // labels' and counters' syncs after the copy keep every rank from
        // writing the next iteration's sums before all have read these.
        partials.sync()?;
        let all = partials.get([0..f, 0..width])?;
        labels.sync()?;
        counters.sync()?;
        let all = all.as_slice().expect("contiguous");
        let moved = update(&mut centers, all);
        if rank == 0 {
            let ms = t.elapsed().as_secs_f64() * 1e3;
            match probe_s {
                Some(p) => println!(
                    "iter {it:3}: moved {moved:.3e}, {ms:.1} ms, read pass {:.1} ms",
                    p * 1e3
                ),
                None => println!("iter {it:3}: moved {moved:.3e}, {ms:.1} ms"),
            }
        }
        if moved <= EPSILON {
            break;
        }
    }
    labels.sync()?;
    let total = start.elapsed().as_secs_f64() - probe_total;
    if rank != 0 {
        return Ok(true);
    }
    let all_labels = labels.get(0..n)?;
    let print = fingerprint(&centers, all_labels.as_slice().expect("contiguous"));
    {
        println!("iterations: {iters}");
        println!(
            "time: {total:.3} s total, {:.2} ms per iteration",
            total / iters as f64 * 1e3
        );
        println!("centers checksum: {:.12}", centers.sum());
        println!("fingerprint: {print:016x}");
        let gbs = (n * d * 8) as f64 * iters as f64 / total / 1e9;
        // The iterations against the read passes taken between them.
        let probe = if o.probe {
            let pgbs = (n * d * 8) as f64 * iters as f64 / probe_total / 1e9;
            println!(
                "read passes: {pgbs:.1} GB/s, iterations {:.3} of it",
                gbs / pgbs
            );
            format!(
                " read_pass_gbytes_per_s={pgbs:.4} vs_read_pass={:.4}",
                gbs / pgbs
            )
        } else {
            String::new()
        };
        println!(
            "RESULT kmeans np={np} seconds={total:.6} iters={iters} points_gbytes_per_s={gbs:.4} fingerprint={print:016x}{probe}"
        );
    }
    if o.verify {
        let all_points = points.get([0..n, 0..d])?;
        let (c, l, iters_serial) = serial(&all_points, k, o.iters, f);
        let same_centers = c
            .iter()
            .zip(centers.iter())
            .all(|(a, b)| a.to_bits() == b.to_bits());
        let bad: Vec<usize> = (0..n).filter(|&i| l[i] != all_labels[i]).collect();
        let ok = same_centers && bad.is_empty() && iters_serial == iters;
        if ok {
            println!(
                "verify: centers, labels and iteration count identical to the serial ndarray version"
            );
        } else {
            println!(
                "verify FAILED: centers identical {same_centers}, {} labels differ (first {:?}), iterations {iters} vs {iters_serial}",
                bad.len(),
                bad.first()
            );
        }
        return Ok(ok);
    }
    Ok(true)
}

fn main() {
    let opts = match parse() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("kmeans: {e}");
            std::process::exit(2);
        }
    };
    let rt = gain::init().expect("MPI initialises");
    let result = run(&rt, &opts);
    // Finalize MPI on every rank before exiting with a status.
    drop(rt);
    match result {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(e) => {
            eprintln!("kmeans: {e}");
            std::process::exit(1);
        }
    }
}
