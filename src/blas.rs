//! OpenBLAS thread control (`blas` feature): each rank's OpenBLAS runs as
//! many threads as gain's kernels (`threads.rs`), so the ranks of a
//! machine do not oversubscribe its cores. The one `unsafe` call is
//! OpenBLAS's C setter; no MPI is involved.

use std::ffi::c_int;

unsafe extern "C" {
    fn openblas_set_num_threads(n: c_int);
}

/// Whether OpenBLAS follows gain's thread count: unless the user chose
/// its own through the environment.
pub(crate) fn follows_gain() -> bool {
    !["OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"]
        .iter()
        .any(|v| std::env::var_os(v).is_some())
}

/// Sets how many threads OpenBLAS uses in this process.
pub(crate) fn set_threads(n: usize) {
    // SAFETY: OpenBLAS's setter takes any positive count (it clamps it to
    // its own maximum) and may be called between BLAS calls; gain calls it
    // while building a runtime, before any of its own products.
    unsafe { openblas_set_num_threads(n.clamp(1, c_int::MAX as usize) as c_int) }
}
