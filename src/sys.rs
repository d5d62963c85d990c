//! The crate's calls into the operating system and the CPU outside MPI,
//! each behind a safe function: CPU prefetch hints, OpenBLAS's thread
//! setter, the affinity mask, file mappings and file space, the byte views
//! of element slices, and setting an environment variable before MPI
//! starts. With the window layer (MPI), this is the only module allowed
//! `unsafe` code (`#![deny(unsafe_code)]` at the crate root); every block
//! here says why it is sound, and each function's docs say what its
//! callers must hold to.
#![allow(unsafe_code)]

use std::fs::File;

use memmap2::{Mmap, MmapMut, MmapOptions};

use crate::element::Element;

/// One prefetch with locality hint `HINT` (`_MM_HINT_T0`, `_MM_HINT_T1`,
/// …) per 64 bytes of `data`, from its first byte.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(crate) fn prefetch_lines<const HINT: i32, T>(data: &[T]) {
    use std::arch::x86_64::_mm_prefetch;
    let bytes = std::mem::size_of_val(data);
    let start = data.as_ptr().cast::<i8>();
    for offset in (0..bytes).step_by(64) {
        // SAFETY: a prefetch is a hint that reads nothing architecturally
        // and never faults; the address lies inside `data` anyway.
        unsafe { _mm_prefetch::<HINT>(start.wrapping_add(offset)) };
    }
}

#[cfg(feature = "blas")]
unsafe extern "C" {
    fn openblas_set_num_threads(n: std::ffi::c_int);
}

/// Sets how many threads OpenBLAS uses in this process (`blas` feature).
#[cfg(feature = "blas")]
pub(crate) fn openblas_threads(n: usize) {
    use std::ffi::c_int;
    // SAFETY: OpenBLAS's setter takes any positive count (it clamps it to
    // its own maximum) and may be called between BLAS calls; gain calls it
    // while building a runtime, before any of its own products.
    unsafe { openblas_set_num_threads(n.clamp(1, c_int::MAX as usize) as c_int) }
}

/// Words of a CPU mask: 1024 CPUs, glibc's `CPU_SETSIZE`.
pub(crate) const MASK_WORDS: usize = 16;

/// The CPUs this process may run on (`sched_getaffinity`), as a bit mask;
/// every CPU below `available_parallelism` when the call fails.
pub(crate) fn affinity_mask() -> [u64; MASK_WORDS] {
    let mut mask = [0u64; MASK_WORDS];
    // SAFETY: `set` is a zeroed cpu_set_t that the call fills; CPU_ISSET
    // reads it within its size.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, size_of::<libc::cpu_set_t>(), &mut set) == 0 {
            for cpu in 0..MASK_WORDS * 64 {
                if libc::CPU_ISSET(cpu, &set) {
                    mask[cpu / 64] |= 1 << (cpu % 64);
                }
            }
            return mask;
        }
    }
    let n = std::thread::available_parallelism().map_or(1, |n| n.get());
    for cpu in 0..n.min(MASK_WORDS * 64) {
        mask[cpu / 64] |= 1 << (cpu % 64);
    }
    mask
}

/// A read-only mapping of `len` bytes of `file` from byte `offset` (the
/// whole file when `len` is `None`), its pages read in up front when
/// `populate`.
///
/// The callers' contract: the file does not change while the mapping
/// lives. `load_npy` and its relatives document it for their users, as
/// `numpy.load(mmap_mode=...)` does; another process truncating or
/// rewriting the file would change (or, past the new end, fault on) what
/// the mapping reads.
pub(crate) fn map_read_only(
    file: &File,
    offset: u64,
    len: Option<usize>,
    populate: bool,
) -> std::io::Result<Mmap> {
    let mut options = MmapOptions::new();
    options.offset(offset);
    if let Some(len) = len {
        options.len(len);
    }
    if populate {
        options.populate();
    }
    // SAFETY: a read-only, private mapping; what another process may do to
    // the file is the callers' contract above.
    unsafe { options.map(file) }
}

/// A shared, writable mapping of `len` bytes of `file` from byte
/// `offset`.
///
/// The callers' contract: no other process writes the mapped bytes while
/// the mapping lives, and the bytes are allocated on disk (see
/// [`allocate_file_space`]), so stores cannot fault. `save_npy` maps its
/// own temporary file, of which every rank writes only its own block's
/// disjoint bytes.
pub(crate) fn map_shared_mut(file: &File, offset: u64, len: usize) -> std::io::Result<MmapMut> {
    // SAFETY: the mapping covers bytes only this process writes (the
    // callers' contract above); the borrow of the result is the only way
    // this process reaches them.
    unsafe { MmapOptions::new().offset(offset).len(len).map_mut(file) }
}

/// The system's page size, which a mapping's offset must be a multiple of.
pub(crate) fn page_size() -> u64 {
    // SAFETY: `sysconf` only reads a system constant.
    let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if p > 0 { p as u64 } else { 4096 }
}

/// Allocates the file's blocks for `len` bytes at `at` (`posix_fallocate`;
/// no change to the file's length or contents).
pub(crate) fn allocate_file_space(file: &File, at: u64, len: usize) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: `posix_fallocate` on a descriptor `file` owns, with in-range
    // arguments; it touches no memory of ours.
    let r =
        unsafe { libc::posix_fallocate(file.as_raw_fd(), at as libc::off_t, len as libc::off_t) };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::from_raw_os_error(r))
    }
}

/// The bytes of `s`, for writing an array's memory straight to a file.
pub(crate) fn as_bytes<T: Element>(s: &[T]) -> &[u8] {
    // SAFETY: every `Element` is a primitive integer or float (the trait is
    // sealed), with no padding bytes, so all `size_of_val(s)` bytes behind
    // `s` are initialised; the result borrows `s`.
    unsafe { std::slice::from_raw_parts(s.as_ptr().cast::<u8>(), std::mem::size_of_val(s)) }
}

/// The bytes of `s`, for reading a file straight into an array's memory.
pub(crate) fn as_bytes_mut<T: Element>(s: &mut [T]) -> &mut [u8] {
    // SAFETY: every `Element` is a primitive integer or float (the trait is
    // sealed): no padding, and every bit pattern is a valid value, so any
    // bytes written through the returned slice leave valid elements. The
    // length is the slice's size in bytes, and the borrow of `s` is moved
    // into the result, so nothing else reaches the memory meanwhile.
    unsafe { std::slice::from_raw_parts_mut(s.as_mut_ptr().cast::<u8>(), std::mem::size_of_val(s)) }
}

/// Sets the environment variable `key` to `value` for MPI to read.
///
/// The caller's contract: no other thread reads or writes the environment
/// meanwhile. `gain::init` calls it before MPI starts, and is documented to
/// be called before the program starts threads, as `MPI_Init` is.
pub(crate) fn set_env_before_threads(key: &str, value: &str) {
    // SAFETY: the caller's contract above: this process has one thread.
    unsafe { std::env::set_var(key, value) };
}
