//! Threads inside a rank: how many, and the order-keeping parallel loops
//! the local kernels run on (rayon's pool). No MPI here: the runtime
//! gathers the node's affinity masks and calls [`configure`].
//!
//! Every parallel loop here cuts its work into pieces fixed by the data
//! (tiles, fragments, row panels), never by the number of threads, and
//! combines their results in piece order, so a kernel gives the same bits
//! on 1 thread as on 16.

use rayon::prelude::*;

use crate::error::Result;

pub(crate) use crate::sys::{MASK_WORDS, affinity_mask};

/// Threads for a rank with CPU mask `mine` among the masks of all ranks
/// on its machine (`all`, its own included): its CPUs divided by the
/// ranks whose masks overlap it, at least one. Ranks bound to cores of
/// their own get all of them (`--map-by ppr:1:node:pe=8` gives 8); ranks
/// sharing the same unbound mask split it (`--bind-to none`, 4 ranks on 16
/// cores: 4 each); a rank bound to one core gets one.
pub(crate) fn default_threads(mine: &[u64; MASK_WORDS], all: &[[u64; MASK_WORDS]]) -> usize {
    let cpus: u32 = mine.iter().map(|w| w.count_ones()).sum();
    let sharing = all
        .iter()
        .filter(|m| m.iter().zip(mine).any(|(a, b)| a & b != 0))
        .count()
        .max(1);
    (cpus as usize / sharing).max(1)
}

/// `GAIN_THREADS`, when set: a positive integer, or an `InvalidArgument`
/// error (the same on every rank, which all read the same environment).
pub(crate) fn threads_from_env() -> Result<Option<usize>> {
    super::positive_env("GAIN_THREADS")
}

/// Builds rayon's global pool with `threads` threads, unless the program
/// built it already (then its size stands). `None` leaves the size to
/// rayon (`RAYON_NUM_THREADS`, else one per CPU).
pub(crate) fn configure(threads: Option<usize>) {
    let builder = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.unwrap_or(0))
        .thread_name(|i| format!("gain-{i}"));
    // An error means the global pool exists already: the program chose.
    let _ = builder.build_global();
}

/// How many threads gain's local kernels use on this rank: the size of the
/// rayon pool the call runs in (the global pool, or the one a program's
/// `ThreadPool::install` runs it in).
///
/// [`init`](crate::init) sizes rayon's global pool, unless the program
/// built it first: `GAIN_THREADS` if set, else `RAYON_NUM_THREADS` if set,
/// else the CPUs of the rank's affinity mask divided by the ranks of its
/// machine whose masks overlap it (at least one), so ranks sharing a node
/// do not oversubscribe its cores.
///
/// # Local
///
/// A query of this process's thread pool; no communication.
///
/// # Examples
///
/// ```
/// # let rt = gain::init()?;
/// assert!(gain::threads() >= 1);
/// // A pool of the program's own runs gain's kernels inside `install`.
/// let two = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
/// assert_eq!(two.install(gain::threads), 2);
/// # Ok::<(), gain::Error>(())
/// ```
pub fn threads() -> usize {
    rayon::current_num_threads()
}

/// `f` of each item, in the items' order: in parallel on the current pool
/// when it has more than one thread and there is more than one item, else
/// a plain loop on the calling thread (no hand-off to a pool thread).
pub(crate) fn map<I: Send, R: Send>(items: Vec<I>, f: impl Fn(I) -> R + Sync + Send) -> Vec<R> {
    if items.len() < 2 || threads() < 2 {
        return items.into_iter().map(f).collect();
    }
    items.into_par_iter().map(f).collect()
}

/// `f` of each item, for its effects: as [`map`], with no results.
pub(crate) fn for_each<I: Send>(items: Vec<I>, f: impl Fn(I) + Sync + Send) {
    if items.len() < 2 || threads() < 2 {
        return items.into_iter().for_each(f);
    }
    items.into_par_iter().for_each(f);
}

/// Whether a parallel loop would run on more than one thread.
pub(crate) fn parallel() -> bool {
    threads() > 1
}

/// Whether OpenBLAS follows gain's thread count (`blas` feature): unless
/// the user chose its own through the environment.
#[cfg(feature = "blas")]
pub(crate) fn blas_follows_gain() -> bool {
    !["OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"]
        .iter()
        .any(|v| std::env::var_os(v).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mask(cpus: &[usize]) -> [u64; MASK_WORDS] {
        let mut m = [0; MASK_WORDS];
        for &c in cpus {
            m[c / 64] |= 1 << (c % 64);
        }
        m
    }

    #[test]
    fn threads_divide_the_shared_cpus() {
        let all16 = mask(&(0..16).collect::<Vec<_>>());
        // Unbound ranks share one mask.
        assert_eq!(default_threads(&all16, &[all16; 4]), 4);
        assert_eq!(default_threads(&all16, &[all16; 3]), 5);
        assert_eq!(default_threads(&all16, &[all16]), 16);
        // More ranks than CPUs: one each.
        assert_eq!(default_threads(&mask(&[0, 1]), &[mask(&[0, 1]); 4]), 1);
        // Bound to disjoint cores: each keeps its own.
        let (a, b) = (mask(&[0, 1, 2, 3]), mask(&[4, 5, 6, 7]));
        assert_eq!(default_threads(&a, &[a, b]), 4);
        // Bound to one core each.
        assert_eq!(default_threads(&mask(&[1]), &[mask(&[0]), mask(&[1])]), 1);
        // CPUs past the first word count.
        let high = mask(&[64, 65, 130]);
        assert_eq!(default_threads(&high, &[high]), 3);
    }

    #[test]
    fn map_keeps_the_order_on_any_pool() {
        for n in [1, 2, 3] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .unwrap();
            let out = pool.install(|| map((0..1000).collect(), |i: u64| i * i));
            assert_eq!(out, (0..1000u64).map(|i| i * i).collect::<Vec<_>>());
        }
    }

    #[test]
    fn the_affinity_mask_names_a_cpu() {
        assert!(affinity_mask().iter().any(|&w| w != 0));
    }
}
