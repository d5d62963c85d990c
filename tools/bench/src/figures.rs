//! Figures, their goals and descriptions (the tables of BENCHMARKS.md), and
//! the statistics the suites take over runs.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::Result;

/// What a figure should reach.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Goal {
    /// At least this value.
    AtLeast(f64),
    /// At most this value.
    AtMost(f64),
    /// Exactly this value (the 0/1 checks).
    Equals(f64),
}

impl Goal {
    /// Whether `value` reaches the goal.
    pub fn met(self, value: f64) -> bool {
        match self {
            Goal::AtLeast(g) => value >= g,
            Goal::AtMost(g) => value <= g,
            Goal::Equals(g) => value == g,
        }
    }
}

impl fmt::Display for Goal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (op, v) = match *self {
            Goal::AtLeast(v) => ("≥", v),
            Goal::AtMost(v) => ("≤", v),
            Goal::Equals(v) => ("=", v),
        };
        write!(f, "{op} {}", format_value(v))
    }
}

/// A figure shown in its suite's table: what it is and its goal, if any.
#[derive(Debug)]
pub struct Spec {
    /// The figure's name, as in the suite's JSON.
    pub name: &'static str,
    /// One line saying what was measured; units as the name's suffix says
    /// (`_s`, `_ns`, `_gbytes_per_s`, `_gflops`), ratios as "a ÷ b".
    pub what: &'static str,
    /// The goal the figure is held to.
    pub goal: Option<Goal>,
}

const fn spec(name: &'static str, what: &'static str, goal: Option<Goal>) -> Spec {
    Spec { name, what, goal }
}

use Goal::{AtLeast, AtMost, Equals};

/// The figures the tables show, suite by suite, in table order, with their
/// goals. Figures a suite computes that are not listed here (absolute times
/// the table's ratios already stand for) go to its JSON only.
pub const TABLE: &[Spec] = &[
    // faults: what the fault handling adds to a correct program, 2 ranks
    // on one node.
    spec(
        "faults.exit_point_share_of_create_free_4k",
        "one agreement (an allreduce of 3 words, the exit point's cost) ÷ creating and freeing a 4096-element array",
        Some(AtMost(0.05)),
    ),
    spec(
        "faults.agreement_share_of_zip_4k",
        "one agreement ÷ a `Zip` update of 4096 elements (which runs one on its inputs)",
        None,
    ),
    spec(
        "faults.agreement_share_of_sum_4k",
        "one agreement ÷ `sum` of 4096 elements (which runs one on its expression)",
        None,
    ),
    // io: .npy save and load of a 2 GiB f64 array, 2 ranks, beside NumPy
    // in one process and a two-rank memcpy.
    spec(
        "io.save_2rank_vs_numpy",
        "`numpy.save` time ÷ `io::save_npy` time (2 ranks, through the mapping, gain's default; page cache warm)",
        Some(AtLeast(2.0)),
    ),
    spec(
        "io.load_2rank_vs_numpy",
        "`numpy.load` time ÷ `io::load_npy` time (a new array; page cache warm)",
        Some(AtLeast(2.0)),
    ),
    spec(
        "io.load_cold_2rank_vs_numpy",
        "the same with the page cache dropped before each load",
        None,
    ),
    spec(
        "io.load_vs_memcpy",
        "memcpy time ÷ `io::load_npy_into` time (bytes loaded per second ÷ a two-rank memcpy's, both into memory already touched)",
        Some(AtLeast(0.7)),
    ),
    spec(
        "io.load_new_array_vs_memcpy",
        "memcpy time ÷ `io::load_npy` time (the load also allocates and first-touches the new array)",
        None,
    ),
    spec(
        "io.mapped_save_vs_positioned",
        "save with positioned I/O ÷ through the mapping (`GAIN_NPY_IO`; > 1: the mapping, the default, is faster)",
        None,
    ),
    spec(
        "io.mapped_load_vs_positioned",
        "`load_npy_into` with positioned I/O ÷ through the mapping",
        None,
    ),
    spec(
        "io.shared_lookup_pss_per_node_vs_bytes_2rank",
        "`examples/shared_lookup`: the memory a `Replicated` 1.5 GB array adds to the node (PSS summed over its 2 ranks) ÷ its size",
        Some(AtMost(1.05)),
    ),
    spec(
        "io.shared_lookup_pss_per_node_vs_bytes_4rank",
        "the same at 4 ranks",
        Some(AtMost(1.05)),
    ),
    spec(
        "io.shared_lookup_load_2rank_s",
        "its load and share time: `Replicated::load_npy` of the 1.5 GB file at 2 ranks, seconds (page cache warm)",
        None,
    ),
    spec(
        "io.blog_ray_4core_seconds",
        "the blog's best time to share the array (Ray, 4 cores), quoted, seconds",
        None,
    ),
    spec(
        "io.shared_lookup_load_vs_blog_ray",
        "the blog's quoted 0.07 s ÷ gain's load-and-share time (> 1: gain is faster)",
        None,
    ),
    spec(
        "io.shared_lookup_queries_per_s_2rank",
        "queries answered per second against the replicated table (64 dot products of 64 dims each), 2 ranks",
        None,
    ),
    // rma: rank 0 reads rank 1's block, on one node and as "remote".
    spec(
        "same_node_get_8mb_vs_memcpy",
        "memcpy time ÷ `get_into` time, 8 MB",
        Some(AtLeast(0.9)),
    ),
    spec(
        "same_node_get_alloc_8mb_vs_memcpy",
        "the same with the allocating `get`",
        None,
    ),
    spec(
        "same_node_get_1elem_speedup_vs_mpi_get",
        "`MPI_Get` + `MPI_Win_flush` time ÷ `get` time, one element",
        Some(AtLeast(20.0)),
    ),
    spec(
        "same_node_get_into_1elem_speedup_vs_mpi_get",
        "the same with `get_into`",
        None,
    ),
    spec(
        "same_node_at_1elem_speedup_vs_mpi_get",
        "the same with the scalar `at`",
        Some(AtLeast(20.0)),
    ),
    spec(
        "remote_get_vs_mpi_get_8b",
        "`get_into` time ÷ `MPI_Get` + `MPI_Win_flush_local` time, 8 B, through the world window",
        Some(AtMost(1.15)),
    ),
    spec(
        "remote_at_vs_mpi_get_8b",
        "the same with the scalar `at`",
        Some(AtMost(1.15)),
    ),
    spec(
        "remote_get_vs_mpi_get_64kb",
        "the same as 8 B, 64 KB",
        Some(AtMost(1.15)),
    ),
    spec(
        "remote_get_vs_mpi_get_8mb",
        "the same as 8 B, 8 MB",
        Some(AtMost(1.15)),
    ),
    spec(
        "same_node_acc_1elem_vs_read_inc",
        "a one-element `acc` into the other rank's block ÷ a `read_inc` on it, one node",
        Some(AtMost(2.0)),
    ),
    spec(
        "same_node_put_64kb_vs_memcpy",
        "memcpy time ÷ `put` time, 64 KB into the other rank's block, one node",
        Some(AtLeast(0.9)),
    ),
    spec(
        "remote_put_vs_mpi_put_8b",
        "`put` time ÷ `MPI_Put` + `MPI_Win_flush` time, 8 B, through the world window",
        None,
    ),
    spec(
        "remote_put_8b_vs_mpi_put_flush_local",
        "`put` time ÷ `MPI_Put` + `MPI_Win_flush_local` time, 8 B",
        None,
    ),
    spec(
        "remote_acc_8b_vs_mpi_acc_flush_local",
        "`acc` time ÷ `MPI_Accumulate` + `MPI_Win_flush_local` time, 8 B",
        None,
    ),
    spec(
        "remote_read_inc_vs_mpi_fetch_and_op",
        "`read_inc` time ÷ `MPI_Fetch_and_op` + `MPI_Win_flush` time",
        None,
    ),
    // hosts: one rank on each of two hosts of the bed (scripts/hosts).
    spec(
        "hosts.remote_get_vs_mpi_get_8b",
        "`get_into` time ÷ `MPI_Get` + `MPI_Win_flush_local` time, 8 B, between hosts",
        Some(AtMost(1.15)),
    ),
    spec(
        "hosts.remote_get_vs_mpi_get_64kb",
        "the same, 64 KB",
        Some(AtMost(1.15)),
    ),
    spec(
        "hosts.remote_get_vs_mpi_get_8mb",
        "the same, 8 MB",
        Some(AtMost(1.15)),
    ),
    spec(
        "hosts.remote_put_vs_mpi_put_8b",
        "`put` time ÷ `MPI_Put` + `MPI_Win_flush` time, 8 B (repeated puts to one place: each waits for the one before, as `MPI_Win_flush` does)",
        Some(AtMost(1.15)),
    ),
    spec(
        "hosts.remote_put_vs_mpi_put_64kb",
        "the same, 64 KB",
        Some(AtMost(1.15)),
    ),
    spec(
        "hosts.remote_put_vs_mpi_put_8mb",
        "the same, 8 MB",
        Some(AtMost(1.15)),
    ),
    spec(
        "hosts.remote_acc_vs_mpi_acc_8b",
        "`acc` time ÷ `MPI_Accumulate` + `MPI_Win_flush` time, 8 B",
        Some(AtMost(1.15)),
    ),
    spec(
        "hosts.remote_acc_vs_mpi_acc_64kb",
        "the same, 64 KB",
        Some(AtMost(1.15)),
    ),
    spec(
        "hosts.remote_acc_vs_mpi_acc_8mb",
        "the same, 8 MB",
        Some(AtMost(1.15)),
    ),
    spec(
        "hosts.remote_put_8b_vs_mpi_put_flush_local",
        "`put` time ÷ `MPI_Put` + `MPI_Win_flush_local` time, 8 B (GA's contract: return when the buffer may be reused)",
        Some(AtMost(1.5)),
    ),
    spec(
        "hosts.remote_acc_8b_vs_mpi_acc_flush_local",
        "`acc` time ÷ `MPI_Accumulate` + `MPI_Win_flush_local` time, 8 B",
        Some(AtMost(1.5)),
    ),
    spec(
        "hosts.remote_read_inc_vs_mpi_fetch_and_op",
        "`read_inc` time ÷ `MPI_Fetch_and_op` + `MPI_Win_flush` time",
        None,
    ),
    spec(
        "hosts.remote_get_8b_s",
        "gain's 8 B `get_into` between hosts, seconds (Global Arrays 5.9 on the issue's bed: 18.5 µs)",
        None,
    ),
    spec(
        "hosts.remote_put_8b_s",
        "gain's 8 B `put`, seconds (GA's `NGA_Put`: 0.5 µs)",
        None,
    ),
    spec(
        "hosts.remote_acc_8b_s",
        "gain's 8 B `acc`, seconds (GA's `NGA_Acc`: 0.7 µs)",
        None,
    ),
    spec(
        "hosts.remote_put_64kb_s",
        "gain's 64 KB `put`, seconds",
        None,
    ),
    spec(
        "hosts.remote_read_inc_busy_vs_idle",
        "median `read_inc` latency into a rank computing without MPI calls (served by its progress thread) ÷ into one waiting in MPI",
        Some(AtMost(3.0)),
    ),
    spec(
        "hosts.remote_get_8b_busy_vs_idle",
        "the same for an 8 B `get`",
        None,
    ),
    spec(
        "hosts.remote_acc_8b_busy_vs_idle",
        "the same for an 8 B `acc`",
        None,
    ),
    spec(
        "hosts.remote_read_inc_busy_s",
        "that `read_inc` latency into a computing rank, seconds",
        None,
    ),
    spec(
        "hosts.kmeans_seconds_two_hosts",
        "`benches/kmeans.rs` (dynamic schedule), 2^20 points × 16 dims, 8 centers, 20 iterations, one rank on each host (median)",
        None,
    ),
    spec(
        "hosts.kmeans_seconds_one_host",
        "the same with both ranks on one host",
        None,
    ),
    spec(
        "hosts.kmeans_hosts_vs_one_host",
        "time on two hosts ÷ time on one",
        None,
    ),
    // local: criterion, one process; gain ÷ ndarray, 1 = no overhead.
    spec(
        "get_1elem_ndarray_slice_to_owned_ns",
        "ndarray `slice(..).to_owned()` of one element",
        None,
    ),
    spec(
        "get_1elem_gain_vs_ndarray",
        "gain `get` time ÷ ndarray time",
        None,
    ),
    spec(
        "get_64kb_rows_ndarray_slice_to_owned_ns",
        "ndarray: 8 whole rows, 64 KB, contiguous",
        None,
    ),
    spec(
        "get_64kb_rows_gain_vs_ndarray",
        "gain `get` time ÷ ndarray time",
        None,
    ),
    spec(
        "get_64kb_tile_ndarray_slice_to_owned_ns",
        "ndarray: a 90 × 90 tile, 64 KB, strided",
        None,
    ),
    spec(
        "get_64kb_tile_gain_vs_ndarray",
        "gain `get` time ÷ ndarray time",
        None,
    ),
    spec(
        "acc_64kb_tile_ndarray_scaled_add_ns",
        "ndarray `scaled_add` of a 90 × 90 tile, α = 0.5",
        None,
    ),
    spec(
        "acc_64kb_tile_gain_vs_ndarray",
        "gain `acc` time (with the block's lock) ÷ ndarray time",
        None,
    ),
    // kernels: criterion, built for this CPU.
    spec(
        "kmeans_kernel_ndarray_rows_ns",
        "k-means first iteration (every point added to a sum), ndarray rows",
        None,
    ),
    spec(
        "kmeans_kernel_gain_speedup_vs_ndarray",
        "ndarray time ÷ gain time",
        None,
    ),
    spec(
        "kmeans_kernel_gain_gbytes_per_s",
        "gain's kernel, points read per second",
        None,
    ),
    spec(
        "kmeans_relabel_ndarray_rows_ns",
        "k-means iteration where no label changes, ndarray rows",
        None,
    ),
    spec(
        "kmeans_relabel_gain_speedup_vs_ndarray",
        "ndarray time ÷ gain time",
        None,
    ),
    spec(
        "kmeans_relabel_gain_gbytes_per_s",
        "gain's kernel, points read per second",
        None,
    ),
    spec(
        "tile_gemm_512_gflops",
        "512 × 512 tile product, ndarray's `general_mat_mul`",
        None,
    ),
    spec(
        "block_sum_64mb_local_view_vs_vec",
        "`sum()` of a 64 MB block through its local view, time ÷ the same on a `Vec`",
        None,
    ),
    // kmeans
    spec(
        "kmeans.seconds_1rank",
        "the iteration loop, 1 rank (median of the runs)",
        None,
    ),
    spec("kmeans.seconds_2rank", "the same, 2 ranks", None),
    spec(
        "kmeans.points_gbytes_per_s_2rank",
        "points read per second, the best 2-rank run",
        None,
    ),
    spec(
        "kmeans.read_bandwidth_probe_gbytes_per_s",
        "two-thread read probe, its best pass",
        None,
    ),
    spec(
        "kmeans.vs_bandwidth",
        "the best 2-rank run ÷ the probe's best pass",
        Some(AtLeast(0.8)),
    ),
    spec(
        "kmeans.read_pass_gbytes_per_s_2rank",
        "the ranks' own read passes, 2 ranks (median of the runs)",
        None,
    ),
    spec(
        "kmeans.vs_read_pass",
        "2-rank iterations ÷ their read passes (median of the runs)",
        None,
    ),
    spec("kmeans.vs_read_pass_1rank", "the same, 1 rank", None),
    spec(
        "kmeans.sklearn_seconds",
        "scikit-learn `KMeans(algorithm=\"lloyd\")`, 2 threads",
        None,
    ),
    spec(
        "kmeans.numpy_seconds",
        "a plain NumPy Lloyd loop, 2 threads",
        None,
    ),
    spec(
        "kmeans.speedup_vs_sklearn",
        "scikit-learn time ÷ gain time at 2 ranks",
        Some(AtLeast(6.0)),
    ),
    spec(
        "kmeans.speedup_vs_numpy",
        "NumPy time ÷ gain time at 2 ranks",
        None,
    ),
    spec(
        "kmeans.same_centers_as_sklearn",
        "1 when the centers' checksum equals scikit-learn's to 12 decimals",
        Some(Equals(1.0)),
    ),
    // matmul
    spec(
        "matmul.gflops_1rank",
        "Algorithm 2 (owner computes), 1 rank",
        None,
    ),
    spec(
        "matmul.gflops_2rank",
        "the same, 2 ranks (median of the rounds)",
        None,
    ),
    spec(
        "matmul.linalg_gflops_2rank",
        "`gain::linalg::matmul_into`, same operands, 2 ranks",
        None,
    ),
    spec(
        "matmul.blas_gflops_2rank",
        "Algorithm 2 built with `--features blas`, 2 ranks",
        None,
    ),
    spec(
        "matmul.blas_linalg_gflops_2rank",
        "`matmul_into` built with `--features blas`, 2 ranks",
        None,
    ),
    spec(
        "matmul.openblas_gflops_2thread",
        "NumPy `a @ b` (OpenBLAS dgemm, 2 threads, best of 3)",
        None,
    ),
    spec(
        "matmul.gflops_2rank_vs_openblas",
        "Algorithm 2 ÷ NumPy",
        Some(AtLeast(0.85)),
    ),
    spec(
        "matmul.linalg_gflops_2rank_vs_openblas",
        "`matmul_into` ÷ NumPy",
        None,
    ),
    spec(
        "matmul.blas_gflops_2rank_vs_openblas",
        "Algorithm 2, `blas` build ÷ NumPy",
        None,
    ),
    spec(
        "matmul.blas_linalg_gflops_2rank_vs_openblas",
        "`matmul_into`, `blas` build ÷ NumPy",
        None,
    ),
    // hybrid: each program at 2 ranks x 1 thread, 1 rank x 2 threads and
    // 1 rank x 1 thread, alternating (its times at 2 ranks and 1 thread go
    // to the JSON only).
    spec(
        "elementwise.seconds_1rank_2threads",
        "`c = a*b + c` on 2^26 `f64` (`gain::numpy::Zip`), 1 rank × 2 threads (median)",
        None,
    ),
    spec(
        "elementwise_1rank2threads_vs_2ranks",
        "time at 2 ranks × 1 thread ÷ time at 1 rank × 2 threads",
        Some(AtLeast(0.95)),
    ),
    spec(
        "elementwise_2threads_vs_1thread",
        "time at 1 rank × 1 thread ÷ time at 1 rank × 2 threads",
        None,
    ),
    spec(
        "laplace.seconds_1rank_2threads",
        "`examples/laplace`, N = 4000, 100 sweeps (one fused `Zip`), 1 rank × 2 threads (median)",
        None,
    ),
    spec(
        "laplace_1rank2threads_vs_2ranks",
        "time at 2 ranks × 1 thread ÷ time at 1 rank × 2 threads",
        Some(AtLeast(0.95)),
    ),
    spec(
        "laplace_2threads_vs_1thread",
        "time at 1 rank × 1 thread ÷ time at 1 rank × 2 threads",
        None,
    ),
    spec(
        "distmap.seconds_1rank_2threads",
        "`examples/distmap`, N = 2000, 40 points, 1 rank × 2 threads (median)",
        None,
    ),
    spec(
        "distmap_1rank2threads_vs_2ranks",
        "time at 2 ranks × 1 thread ÷ time at 1 rank × 2 threads",
        Some(AtLeast(0.95)),
    ),
    spec(
        "distmap_2threads_vs_1thread",
        "time at 1 rank × 1 thread ÷ time at 1 rank × 2 threads",
        Some(AtLeast(1.8)),
    ),
    spec(
        "kmeans.seconds_1rank_2threads",
        "`benches/kmeans.rs`, 4194304 points × 64 dims, 4 centers, 20 iterations, 1 rank × 2 threads (median)",
        None,
    ),
    spec(
        "kmeans_1rank2threads_vs_2ranks",
        "time at 2 ranks × 1 thread ÷ time at 1 rank × 2 threads",
        Some(AtLeast(0.95)),
    ),
    spec(
        "kmeans_2threads_vs_1thread",
        "time at 1 rank × 1 thread ÷ time at 1 rank × 2 threads",
        None,
    ),
    spec(
        "matmul.seconds_1rank_2threads",
        "`examples/matmul`, Algorithm 2, 8 × 8 blocks of 512, 1 rank × 2 threads (median)",
        None,
    ),
    spec(
        "matmul_1rank2threads_vs_2ranks",
        "time at 2 ranks × 1 thread ÷ time at 1 rank × 2 threads",
        Some(AtLeast(0.95)),
    ),
    spec(
        "matmul_2threads_vs_1thread",
        "time at 1 rank × 1 thread ÷ time at 1 rank × 2 threads",
        Some(AtLeast(1.8)),
    ),
    spec(
        "sum.seconds_1rank_2threads",
        "`examples/shared_sum --style numpy`: `a.sum()` of 1.536 GB, 1 rank × 2 threads (median)",
        None,
    ),
    spec(
        "sum_1rank2threads_vs_2ranks",
        "time at 2 ranks × 1 thread ÷ time at 1 rank × 2 threads",
        Some(AtLeast(0.95)),
    ),
    spec(
        "sum_2threads_vs_1thread",
        "time at 1 rank × 1 thread ÷ time at 1 rank × 2 threads",
        None,
    ),
    // shared_sum
    spec(
        "shared_sum.seconds_1rank",
        "zero-copy block sums and one `MPI_Allreduce`, 1 rank (best of 10)",
        None,
    ),
    spec("shared_sum.seconds_2rank", "the same, 2 ranks", None),
    spec(
        "shared_sum.gbytes_per_s_2rank",
        "the same, bytes per second",
        None,
    ),
    spec(
        "shared_sum.read_bandwidth_probe_gbytes_per_s",
        "two-thread read probe, the better of before and after",
        None,
    ),
    spec(
        "shared_sum.vs_bandwidth",
        "2 ranks ÷ the probe",
        Some(AtLeast(0.8)),
    ),
    spec(
        "shared_sum.blog_ray_4core_seconds",
        "the blog's best (Ray's object store, 4 cores), quoted",
        None,
    ),
    spec(
        "shared_sum.numpy_1process_seconds",
        "NumPy `x.sum()`, one process (best of 10)",
        None,
    ),
    spec(
        "shared_sum.speedup_vs_numpy",
        "NumPy time ÷ gain time at 2 ranks",
        None,
    ),
    // numpy
    spec(
        "elementwise.gbytes_per_s_2rank",
        "`c = a*b + c` through `gain::numpy::Zip`, 2 ranks, 32 B an element",
        None,
    ),
    spec(
        "elementwise.stream_triad_2thread_gbytes_per_s",
        "two-thread STREAM triad, 24 B an element, the better of before and after",
        None,
    ),
    spec(
        "elementwise_2rank_vs_stream",
        "gain ÷ the triad, as the issue defines it",
        Some(AtLeast(0.85)),
    ),
    spec(
        "elementwise_2rank_vs_stream_dram_traffic",
        "the same with the triad's write-allocate counted (32 B)",
        None,
    ),
    spec(
        "elementwise.seconds_1rank",
        "gain, 1 rank (best of 10)",
        None,
    ),
    spec(
        "elementwise.ndarray_zip_seconds",
        "ndarray's `Zip`, same process, alternating with gain's",
        None,
    ),
    spec(
        "elementwise_1rank_vs_ndarray",
        "ndarray time ÷ gain time",
        Some(AtLeast(0.95)),
    ),
    spec(
        "laplace.seconds_1rank",
        "`examples/laplace`, one fused `Zip`, 1 rank",
        None,
    ),
    spec("laplace.seconds_2rank", "the same, 2 ranks", None),
    spec(
        "laplace.ops_style_seconds_2rank",
        "operators on views (`--style ops`), 2 ranks",
        None,
    ),
    spec(
        "laplace.serial_loop_seconds",
        "a serial hand-written loop, same sweeps (`--baseline`)",
        None,
    ),
    spec(
        "laplace_2rank_vs_serial_loop",
        "gain time at 2 ranks ÷ the serial loop's",
        Some(AtMost(1.0)),
    ),
    spec(
        "laplace.numpy_seconds",
        "perfpy's NumPy formula, with its `old_u = u.copy()`",
        None,
    ),
    spec(
        "laplace_speedup_vs_numpy",
        "NumPy time ÷ gain time at 2 ranks",
        Some(AtLeast(4.4)),
    ),
    spec(
        "laplace.same_error_as_numpy",
        "1 when NumPy's final error equals gain's to 1e-9",
        Some(Equals(1.0)),
    ),
];

/// The table entry of figure `name`, if the tables show it.
pub fn spec_of(name: &str) -> Option<&'static Spec> {
    TABLE.iter().find(|s| s.name == name)
}

/// One computed figure, as written to the suite's JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    /// Its name (see [`TABLE`]).
    pub name: String,
    /// Its value.
    pub value: f64,
    /// Its goal as the table writes it, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goal: Option<String>,
    /// Whether the value meets the goal, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub met: Option<bool>,
}

/// A suite's figures, in the order it computed them.
#[derive(Debug, Default)]
pub struct Figures(pub Vec<Figure>);

impl Figures {
    /// Adds figure `name`, with its goal from [`TABLE`], and returns its
    /// value. An error computing it (no runs to take a median of) comes
    /// back named after the figure; so does a non-finite value (a ratio
    /// over a zero time), which JSON cannot hold and which means a run
    /// went wrong.
    pub fn add(&mut self, name: &str, value: Result<f64>) -> Result<f64> {
        let value = value.map_err(|e| format!("{name}: {e}"))?;
        if !value.is_finite() {
            return Err(format!("{name} is {value}").into());
        }
        let goal = spec_of(name).and_then(|s| s.goal);
        self.0.push(Figure {
            name: name.to_string(),
            value,
            goal: goal.map(|g| g.to_string()),
            met: goal.map(|g| g.met(value)),
        });
        Ok(value)
    }

    /// The value of figure `name`, if computed.
    #[cfg(test)]
    pub fn get(&self, name: &str) -> Option<f64> {
        self.0.iter().find(|f| f.name == name).map(|f| f.value)
    }
}

/// `v` to four significant digits, trailing zeros dropped; whole numbers
/// as integers; below 0.001 or from 100,000 up in exponent form.
pub fn format_value(v: f64) -> String {
    let a = v.abs();
    if v == v.trunc() && a < 1e5 {
        return format!("{v:.0}");
    }
    if (1e-3..1e5).contains(&a) {
        let before = a.log10().floor() as i32 + 1;
        let decimals = (4 - before).max(0) as usize;
        trim_zeros(&format!("{v:.decimals$}")).to_string()
    } else {
        let s = format!("{v:.3e}");
        let (mantissa, exp) = s.split_once('e').expect("exponent form");
        format!("{}e{exp}", trim_zeros(mantissa))
    }
}

/// `s` without the trailing zeros of its fraction (and without a bare point).
fn trim_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// The median of `values` (the mean of the middle two for an even count).
pub fn median(values: impl IntoIterator<Item = f64>) -> Result<f64> {
    let mut v: Vec<f64> = values.into_iter().collect();
    if v.is_empty() {
        return Err("a median of no values".into());
    }
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    Ok(if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    })
}

/// The highest of `values`: the least disturbed reading of a bandwidth.
pub fn highest(values: impl IntoIterator<Item = f64>) -> Result<f64> {
    values
        .into_iter()
        .reduce(f64::max)
        .ok_or_else(|| "the highest of no values".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_print_to_four_digits() {
        assert_eq!(format_value(2.101976), "2.102");
        assert_eq!(format_value(56.3119), "56.31");
        assert_eq!(format_value(0.7485), "0.7485");
        assert_eq!(format_value(0.047122), "0.04712");
        assert_eq!(format_value(0.98), "0.98");
        assert_eq!(format_value(1.0), "1");
        assert_eq!(format_value(0.0), "0");
        assert_eq!(format_value(9.99996), "10");
        assert_eq!(format_value(8.02e6), "8.02e6");
        assert_eq!(format_value(3.4e-4), "3.4e-4");
        assert_eq!(format_value(3.6123e-8), "3.612e-8");
        assert_eq!(format_value(-1.5), "-1.5");
    }

    #[test]
    fn goals() {
        assert!(AtLeast(0.8).met(0.8) && !AtLeast(0.8).met(0.79));
        assert!(AtMost(1.15).met(1.1) && !AtMost(1.15).met(1.2));
        assert!(Equals(1.0).met(1.0) && !Equals(1.0).met(0.0));
        assert_eq!(AtLeast(0.85).to_string(), "≥ 0.85");
        assert_eq!(AtMost(1.0).to_string(), "≤ 1");
        assert_eq!(Equals(1.0).to_string(), "= 1");
    }

    #[test]
    fn figures_carry_their_goals() {
        let mut f = Figures::default();
        f.add("kmeans.vs_bandwidth", Ok(0.75)).unwrap();
        f.add("kmeans.seconds_2rank", Ok(1.2)).unwrap();
        assert_eq!(f.0[0].goal.as_deref(), Some("≥ 0.8"));
        assert_eq!(f.0[0].met, Some(false));
        assert_eq!(f.0[1].goal, None);
        assert!(f.add("x", Ok(f64::INFINITY)).is_err());
        let e = f.add("kmeans.seconds_1rank", median([])).unwrap_err();
        assert_eq!(e.to_string(), "kmeans.seconds_1rank: a median of no values");
    }

    #[test]
    fn table_names_are_unique() {
        for (i, s) in TABLE.iter().enumerate() {
            assert!(
                TABLE[..i].iter().all(|t| t.name != s.name),
                "{} twice",
                s.name
            );
        }
    }

    #[test]
    fn medians() {
        assert_eq!(median([3.0, 1.0, 2.0]).unwrap(), 2.0);
        assert_eq!(median([4.0, 1.0, 2.0, 3.0]).unwrap(), 2.5);
        assert!(median([]).is_err());
        assert_eq!(highest([1.0, 5.0, 2.0]).unwrap(), 5.0);
        assert!(highest([]).is_err());
    }
}
