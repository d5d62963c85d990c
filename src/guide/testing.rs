//! The test suite, the scripts that install and run it, and the
//! benchmarks.
//!
//! # The scripts
//!
//! `scripts/test` runs fmt and clippy, the whole suite with Open MPI, then
//! MPICH, then across two hosts with both ([`super::hosts`]).
//! `scripts/test openmpi` or `scripts/test mpich` runs one implementation
//! on one host, `scripts/test hosts` the multi-host bed's part alone (it
//! needs root, for the network namespaces). `.ci/run` calls `scripts/test`.
//! `scripts/test` also builds with the `blas` feature (clippy, then the
//! matmul trials linked against OpenBLAS).
//!
//! `scripts/run-example NAME NP ARGS...` runs an example at a rank count
//! and size; k-means at the benchmarks' size (4,194,304 points of 64
//! dimensions, 2 GiB) is:
//!
//! ```sh
//! scripts/run-example kmeans 2 --points 4194304 --dims 64 --centers 4 --iters 20
//! ```
//!
//! Both call `scripts/install-deps`, which decides what is missing from
//! the package database (`dpkg-query`) and installs it with apt-get as
//! root (otherwise it prints what to install): `build-essential pkg-config
//! libclang-dev python3-numpy` (NumPy: the tests check that NumPy and gain
//! read each other's `.npy` files), plus `libopenmpi-dev openmpi-bin
//! libopenblas-dev` for Open MPI and `libmpich-dev mpich` for MPICH, and
//! `iproute2 util-linux` for the bed (`ip netns`, `unshare`, `nsenter`).
//! `scripts/install-deps --dry-run [openmpi|mpich|all]` prints the
//! packages it would install, one per line, and installs nothing.
//!
//! # The suite
//!
//! `cargo test` runs unit tests (distribution math against brute force),
//! doc tests (single process, this guide's examples among them),
//! `tests/install_deps.rs` (the dry run of `scripts/install-deps` against
//! a stand-in package database reporting nothing installed), and
//! `tests/mpi`. That binary is a
//! [libtest-mimic](https://docs.rs/libtest-mimic) harness: each case at
//! each rank count and placement is a trial of its own, named
//! `CASE::CONFIGURATION` (`roundtrip_f64::np3_remote`), each example run
//! is `example::NAME::npN`, so
//!
//! ```sh
//! cargo test --test mpi roundtrip        # every roundtrip case, everywhere it runs
//! cargo test --test mpi -- --list        # all trials
//! cargo test --test mpi -- --exact acc_contention_i64::np4_two_nodes
//! ```
//!
//! work as for any Rust test (`GAIN_TEST_FILTER=roundtrip` is an alias for
//! the filter). The cases of one configuration run in one MPI job; when it
//! fails, the first case that did not report success fails (the report
//! says whether it also fails alone, which tells a bug that depends on an
//! earlier case), and the cases after it run again alone, so one failure
//! does not hide the others. A job past its time limit is killed with its
//! process group; a missing launcher fails.
//!
//! The configurations: a singleton without a launcher, np = 1–4 on one
//! node, np = 2–4 with `GAIN_RANKS_PER_NODE=1` (every access remote), two
//! "nodes" of two ranks (`=2`, mixed), tiny transfer limits, a > 2 GiB
//! transfer, remote sub-word accumulates with Open MPI's AVX reductions
//! off, the RMA cases under Open MPI's `osc/pt2pt` over TCP
//! (`np3_remote_osc_pt2pt`, the component a user's `--mca osc sm,pt2pt`
//! picks between hosts), the `.npy` cases with positioned I/O, and a
//! panicking rank that must abort the job.
//!
//! What the cases check:
//!
//! - Each case checks against a serial ndarray model over random shapes,
//!   distributions and sections (the NumPy-layer cases draw random 1–4-d
//!   shapes, chunk hints and slices; the k-means case random sizes,
//!   distributions, schedules and initialisations, equal bit for bit to a
//!   serial model).
//! - The bad-input cases (`bad_input_*`) reach every error kind through
//!   the public API and give every collective a wrong argument on one rank
//!   only.
//! - The fault trials (`fault::SCENARIO::npN`) run each row of
//!   [`super::faults`] in a private `/dev/shm` (a mount namespace, so they
//!   need root, as the test command's installs do), and fail unless the
//!   job ends within 30 s, non-zero, naming the rank and the cause, with
//!   `/dev/shm` empty afterwards.
//! - The `io_*` cases save and load `.npy` files against the model and an
//!   independent reader (`ndarray-npy`), in C and Fortran order and format
//!   versions 1–3, and try every bad file;
//!   `io_numpy_reads_and_writes_the_same_files` and
//!   `example::kmeans_npy::*` have NumPy read gain's files and gain read
//!   NumPy's (they need a python3 with numpy, which `scripts/install-deps`
//!   installs; without one they are listed as ignored, and the suite says
//!   so).
//! - Every example runs at several rank counts (and with remote ranks) and
//!   verifies itself against a serial version; k-means, laplace and
//!   distmap must print the same fingerprint of their results at every
//!   rank count (`example::kmeans::same_fingerprint_at_every_rank_count`).
//!
//! # Benchmarks
//!
//! `scripts/bench rma|local|kernels|kmeans|matmul|shared_sum|numpy|faults|io|hybrid|hosts|apps|all`
//! (`hosts` runs on the multi-host bed, as root; `all` leaves it out)
//! writes BENCHMARKS.md's tables. The script installs what is missing and
//! runs the bench runner (`tools/bench`, `cargo run --release -p
//! gain-bench`), which builds the bench programs (`benches/`: some run an
//! example's own code, included by `#[path]`, so the examples stay
//! programs a user would write), runs each at 1 and 2 ranks beside its
//! baselines (a memory-bandwidth probe, and NumPy, scikit-learn and
//! OpenBLAS installed into `target/bench/venv` when python3 exists),
//! reads the `BENCH {json}` line each prints, writes
//! `target/bench/<suite>.json` and `.md` (every figure), replaces the
//! suite's table in BENCHMARKS.md (the figures with a goal), and for
//! `apps` plots `target/bench/scaling.png`.
