//! OpenBLAS thread control (`blas` feature): each rank's OpenBLAS gets its
//! share of the cores, so the ranks of a machine do not oversubscribe them.
//! The one `unsafe` call is OpenBLAS's C setter; no MPI is involved.

use std::ffi::c_int;

unsafe extern "C" {
    fn openblas_set_num_threads(n: c_int);
}

/// OpenBLAS threads for each of `ranks` ranks on this machine, unless the
/// user chose through the environment.
pub(crate) fn threads_per_rank(ranks: usize) -> Option<usize> {
    let chosen = ["OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"]
        .iter()
        .any(|v| std::env::var_os(v).is_some());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    (!chosen).then(|| (cores / ranks.max(1)).max(1))
}

/// Sets how many threads OpenBLAS uses in this process.
pub(crate) fn set_threads(n: usize) {
    // SAFETY: OpenBLAS's setter takes any positive count (it clamps it to
    // its own maximum) and may be called between BLAS calls; gain calls it
    // while building a runtime, before any of its own products.
    unsafe { openblas_set_num_threads(n.clamp(1, c_int::MAX as usize) as c_int) }
}
