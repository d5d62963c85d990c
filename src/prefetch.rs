//! Software prefetch hints for streaming kernels over local blocks:
//! [`prefetch`] (into L2) and [`prefetch_l1`]. No MPI is involved; the
//! module holds `unsafe` code only because the x86-64 prefetch intrinsic
//! is an `unsafe fn`, although a prefetch never faults and changes no data.

/// Hints to the CPU that `data` will be read soon: asks for its cache lines
/// to be brought into the core's L2 cache, without waiting for them. For
/// streaming kernels over a local block whose access pattern the hardware
/// prefetchers do not follow (several rows at once, say): prefetching a
/// few tens of kilobytes ahead of the loop keeps the memory busy while the
/// loop computes. Never faults and changes no data; a no-op on targets
/// other than x86-64. [`prefetch_l1`] asks for the lines in L1 instead.
///
/// # Local
///
/// A hint to the calling rank's own CPU; no communication, and it
/// returns without waiting for the lines.
///
/// # Examples
///
/// ```
/// let data = vec![1.0f64; 1 << 16];
/// let mut sum = 0.0;
/// for (i, chunk) in data.chunks(512).enumerate() {
///     // Ask for the chunk 8 chunks (32 KB) ahead while summing this one.
///     gain::prefetch(data.get((i + 8) * 512..(i + 9) * 512).unwrap_or(&[]));
///     sum += chunk.iter().sum::<f64>();
/// }
/// assert_eq!(sum, 65536.0);
/// ```
#[inline]
pub fn prefetch<T>(data: &[T]) {
    #[cfg(target_arch = "x86_64")]
    crate::sys::prefetch_lines::<{ std::arch::x86_64::_MM_HINT_T1 }, T>(data);
    #[cfg(not(target_arch = "x86_64"))]
    let _ = data;
}

/// Like [`prefetch`], but asks for the cache lines of `data` to be brought
/// into the core's L1 cache (and L2). L1 is small (32–48 KB), so this is
/// for lines wanted within a few kilobytes of reading: prefetches issued a
/// few at a time from inside a compute loop, a few kilobytes ahead of it,
/// keep the memory busy without evicting what the loop is using. Never
/// faults and changes no data; a no-op on targets other than x86-64.
///
/// # Local
///
/// A hint to the calling rank's own CPU; no communication, and it
/// returns without waiting for the lines.
///
/// # Examples
///
/// ```
/// let data = vec![1.0f64; 1 << 16];
/// let mut sum = 0.0;
/// for (i, chunk) in data.chunks(16).enumerate() {
///     // Two cache lines, 4 KB ahead, per 128 bytes summed.
///     gain::prefetch_l1(data.get((i + 32) * 16..(i + 33) * 16).unwrap_or(&[]));
///     sum += chunk.iter().sum::<f64>();
/// }
/// assert_eq!(sum, 65536.0);
/// ```
#[inline]
pub fn prefetch_l1<T>(data: &[T]) {
    #[cfg(target_arch = "x86_64")]
    crate::sys::prefetch_lines::<{ std::arch::x86_64::_MM_HINT_T0 }, T>(data);
    #[cfg(not(target_arch = "x86_64"))]
    let _ = data;
}
