//! gain's bench runner. `scripts/bench <suite>...` installs what is missing
//! and runs it as `cargo run --release -p gain-bench -- <suite>...`.
//!
//! For each suite it builds the benchmarked programs with cargo (their
//! executables found in cargo's `--message-format=json` output), launches
//! them under MPI beside their baselines in the same run, reads the
//! results they print, computes the suite's figures (medians over runs,
//! ratios against the baselines), and writes
//!
//! - `target/bench/<output>.json`: the figures, with their goals, and every
//!   record the programs printed;
//! - `target/bench/<output>.md`: the suite's table (figure, what, goal,
//!   value), headed by the command that reproduces it;
//! - that table into BENCHMARKS.md, between the lines
//!   `<!-- bench:<output> begin -->` and `<!-- bench:<output> end -->`
//!   (left alone when the markers are not there);
//! - `target/bench/<output>.log`: every command and everything it printed.
//!
//! `<output>` is the suite's name, with `-mpich` under MPICH.
//!
//! # Command line
//!
//! ```text
//! gain-bench SUITE...        rma local kernels kmeans matmul shared_sum numpy faults io hybrid
//!                            hosts (on the multi-host bed; root),
//!                            apps (kmeans matmul shared_sum, then the plot), all
//! gain-bench plot            target/bench/scaling.png from target/bench/scaling.tsv
//! gain-bench render OUTPUT   rewrites OUTPUT's table (.md and BENCHMARKS.md)
//!                            from target/bench/OUTPUT.json, running nothing
//! ```
//!
//! Environment: `MPI=mpich` builds against MPICH (`MPICC=mpicc.mpich`,
//! `CARGO_TARGET_DIR=target/mpich`) and launches with `mpiexec.mpich`;
//! the default is Open MPI, `mpirun.openmpi --oversubscribe`. Size knobs,
//! each a whole number, the default in brackets: `KMEANS_POINTS`
//! \[4194304\], `KMEANS_DIMS` \[64\], `KMEANS_CENTERS` \[4\], `KMEANS_ITERS`
//! \[20\], `KMEANS_RUNS` \[3, runs per rank count\]; `MATMUL_BLOCKS` \[8\],
//! `MATMUL_BLOCK_SIZE` \[512\], `MATMUL_RUNS` \[3, 2-rank rounds\];
//! `SHARED_SUM_MBYTES` \[1536\]; `IO_MBYTES` \[2048\], `IO_ROUNDS` \[3\],
//! `SHARED_LOOKUP_MBYTES` \[1536\]; `LAPLACE_N` \[4000\], `LAPLACE_ITERS`
//! \[100\]; `ELEMENTWISE_LOG2` \[26\]; `DISTMAP_N` \[2000\], `DISTMAP_POINTS`
//! \[40\]; `HYBRID_RUNS` \[3, rounds of the three layouts per program\];
//! `PROBE_MBYTES` \[512, MiB per probe thread\]. `BENCH_CRITERION_ARGS`
//! passes options to criterion (`local`, `kernels`), e.g. `--warm-up-time
//! 0.1 --measurement-time 0.5`. Knobs set to other than their defaults
//! appear in the command a table is headed by.
//!
//! # The protocol
//!
//! A benchmarked program reports on standard output, from rank 0 only, one
//! line per result:
//!
//! ```text
//! BENCH {"program":"matmul","np":2,"n":4096,"seconds":2.16,"gflops":63.7}
//! ```
//!
//! `BENCH ` and then one JSON object on the same line, whose string field
//! `program` names the program; the other fields are its own, numbers in
//! SI units named by their suffix (`seconds`, `_s`, `_ms`, `_ns`,
//! `gbytes_per_s`, `gflops`), `np` the rank count, `threads` the threads a
//! rank ran its local work on (`gain::threads()`). Any other line is free
//! text for people: the runner echoes and logs it and reads nothing from
//! it. A `BENCH` line that is not such an object stops the suite. The
//! programs are `harness = false` benches, `benches/<program>.rs`; those
//! of the examples (`matmul`, `shared_sum`, `laplace`, `distmap`,
//! `shared_lookup`) include the example's file as a module and time its
//! own code, so the examples print no `BENCH` lines. The programs and
//! their fields:
//!
//! - `kmeans` (`benches/kmeans.rs`): `np nodes threads points dims centers iters seconds
//!   points_gbytes_per_s fingerprint centers_checksum iteration_ms`, and
//!   with `--probe` `read_pass_ms read_pass_gbytes_per_s vs_read_pass`;
//! - `matmul`: `np threads n blas seconds gflops linalg_seconds linalg_gflops`;
//! - `shared_sum`: `np threads style mbytes seconds gbytes_per_s`;
//! - `laplace`: `np threads n iters style seconds error`;
//!   `laplace_serial_loop` (`--baseline`): `n iters seconds error`;
//! - `distmap`: `np threads n points seconds`;
//! - `progress` (`benches/progress.rs`, no suite runs it yet): `np
//!   target_same_node busy_ms reps` and, per call (`read_inc`, `get_8b`,
//!   `acc_8b`), `_busy_median_s _busy_max_s _done_while_busy
//!   _idle_median_s`;
//! - `elementwise`: `np threads n seconds gbytes_per_s`, at 1 rank
//!   `ndarray_seconds`;
//! - `probe`: `mode` (`read`, `triad`) `threads mib_per_thread gbytes_per_s
//!   median_gbytes_per_s`, or `mode` `pingpong` and `ns`;
//! - `faults`: `np` and the seconds per call of each contender;
//! - `io`: `np method mbytes save_s load_s load_into_s memcpy_s`, with
//!   `--cold` also `load_cold_s`; its peer `io_numpy`: `mbytes save_s
//!   load_s` (and `load_cold_s`);
//! - `shared_lookup`: `np mbytes load_s save_s pss_per_node_vs_bytes
//!   queries_per_s`;
//! - `rma`: `remote` and the seconds per call of each contender
//!   (`memcpy_8mb_s`, `same_node_mpi_get_1elem_s`, `remote_put_8b_s`, …);
//! - `progress`: per call (`read_inc`, `get_8b`, `acc_8b`) the median and
//!   maximum seconds into a computing rank (`_busy_`), how many completed
//!   while it computed, and the median into a waiting one (`_idle_`);
//! - the Python peers of `benches/peers` (`kmeans_sklearn`, `kmeans_numpy`,
//!   `matmul_numpy`, `shared_sum_numpy`, `laplace_numpy`): `seconds` and
//!   what they check against (`checksum`, `gflops`, `error`).
//!
//! Criterion suites report through criterion's own files: the runner reads
//! `<group>/<bench>/new/estimates.json` (the mean) and `benchmark.json`
//! (the declared throughput) and keeps each as a `criterion` record.
//!
//! The figures a table shows, with their descriptions and goals, are
//! declared by each suite in its module (`SPECS`, [`suites::specs`]),
//! which also says how its figures are taken.

mod cargo;
mod figures;
mod protocol;
mod report;
mod run;
mod suites;

use std::process::ExitCode;

/// Errors end the run with their message.
pub type Result<T, E = Box<dyn std::error::Error>> = std::result::Result<T, E>;

const USAGE: &str = "usage: gain-bench SUITE... | plot | render OUTPUT
suites: rma onesided local kernels kmeans matmul shared_sum numpy faults io hybrid hosts cost apps all (MPI=mpich for MPICH)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<()> {
    // Paths are the workspace's: target/bench, benches/peers, BENCHMARKS.md.
    std::env::set_current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))?;
    let mpi = run::Mpi::from_env()?;
    match args {
        [] => Err(USAGE.into()),
        [h] if h == "-h" || h == "--help" => {
            println!("{USAGE}");
            Ok(())
        }
        [cmd, output] if cmd == "render" => report::Report::load(output)?.write(),
        names => {
            let mut plan = Vec::new();
            for name in names {
                plan.extend(
                    suites::expand(name).ok_or_else(|| format!("no suite {name}\n{USAGE}"))?,
                );
            }
            // A suite that fails (a program missing, a run failing) does not
            // keep the others from running; the run fails at the end.
            let mut failed = Vec::new();
            for suite in plan {
                println!("bench: == {suite}");
                if let Err(e) = suites::run(suite, mpi) {
                    eprintln!("bench: {suite}: {e}");
                    failed.push(suite);
                }
            }
            if failed.is_empty() {
                Ok(())
            } else {
                Err(format!("failed: {}", failed.join(", ")).into())
            }
        }
    }
}
