//! Multi-rank tests. `cargo test` runs this binary as the parent, which
//! re-runs it under the MPI launcher at np = 1..4, with all ranks on one
//! node, all ranks on separate "nodes" (`GAIN_RANKS_PER_NODE=1`, every
//! access remote), and mixed groupings, runs every example, and runs the
//! fault scenarios of `faults.rs` in a private `/dev/shm`. Each case
//! at each configuration is a trial of its own (`cargo test roundtrip`,
//! `cargo test -- --list`); see `harness.rs`. `--test-threads N` runs N
//! MPI jobs at once (default 1: the jobs already use every core). Each
//! test file declares its cases, named after their functions, with tags
//! (`registry.rs`); each configuration runs the cases of one tag
//! ([`case_configs`]), and the parent refuses to start when a case is in
//! no configuration.

mod bad_input;
mod cases;
mod cluster;
mod collectives;
mod elements;
mod faults;
mod ghosts;
mod harness;
mod io;
mod mapped;
mod model;
mod mutexes;
mod nonblocking;
mod numeric;
mod numpy;
mod patch;
mod registry;
mod replicated;
mod rma;
mod runner;
mod sections;
mod sections_strided;
mod threads;
mod views;

use harness::{CHILD, FILTER, Job, Shared, Suite};
use registry::Tag;

/// Set (by `scripts/test hosts`, with `GAIN_MPIEXEC` naming the bed's
/// launcher): run the suite across hosts instead, see [`across_hosts`].
const HOSTS: &str = "GAIN_TEST_HOSTS";
use libtest_mimic::Arguments;

fn main() {
    match std::env::var(CHILD).as_deref() {
        Ok("cases") => runner::run_cases(),
        Ok("panic") => runner::panic_on_last_rank(),
        Ok("fault") => faults::run(),
        Ok("init_error") => threads::init_refuses_bad_threads(),
        Ok(other) => panic!("unknown child mode {other}"),
        Err(_) => parent(),
    }
}

/// Where a configuration runs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Bed {
    /// Every rank on this host (the default).
    OneHost,
    /// The multi-host bed (`GAIN_TEST_HOSTS`), see [`across_hosts`].
    Hosts,
}

/// One configuration of cases: an MPI job that runs every case tagged
/// `tag`, each case a trial `{case}::{job.label}`.
struct CaseConfig {
    tag: Tag,
    job: Job,
    bed: Bed,
    /// Runs only with Open MPI (a choice of its components).
    open_mpi_only: bool,
    /// Needs a python3 with numpy, whose path the job gets in
    /// `io::PYTHON`; without one its trials are listed as ignored.
    numpy: bool,
}

impl CaseConfig {
    fn new(tag: Tag, bed: Bed, job: Job) -> CaseConfig {
        CaseConfig {
            tag,
            job,
            bed,
            open_mpi_only: false,
            numpy: false,
        }
    }

    fn open_mpi_only(mut self) -> CaseConfig {
        self.open_mpi_only = true;
        self
    }
}

/// Every configuration of cases, on either bed and with either MPI
/// library: the parent runs the ones of its bed and library, and checks
/// that together they run every case (`registry::check`), so a case no
/// configuration selects fails the suite instead of going unrun.
fn case_configs() -> Vec<CaseConfig> {
    use Bed::{Hosts, OneHost};
    let mut configs = Vec::new();
    let mut add = |tag, job| configs.push(CaseConfig::new(tag, OneHost, job));
    add(Tag::Light, Job::new("singleton", None));
    for np in 1..=4 {
        add(Tag::Light, Job::new(format!("np{np}"), Some(np)));
    }
    for np in 2..=4 {
        let job = Job::new(format!("np{np}_remote"), Some(np)).env("GAIN_RANKS_PER_NODE", 1);
        add(Tag::Light, job);
    }
    // Two "nodes" of two ranks: same-node and remote access mixed.
    let mixed = Job::new("np4_two_nodes", Some(4)).env("GAIN_RANKS_PER_NODE", 2);
    add(Tag::Light, mixed);
    // Tiny MPI transfers: every RMA is cut into many chunks.
    let tiny = Job::new("np3_remote_24_byte_transfers", Some(3))
        .env("GAIN_RANKS_PER_NODE", 1)
        .env("GAIN_MAX_TRANSFER_BYTES", 24);
    add(Tag::Roundtrip, tiny);
    // Sub-word accumulates across nodes with Open MPI's AVX reductions
    // off, which add overflowing 8- and 16-bit sums wrongly (see
    // `rma::acc_overflow_wraps`); MPICH ignores the variable.
    let no_avx = Job::new("np3_remote_op_no_avx", Some(3))
        .env("GAIN_RANKS_PER_NODE", 1)
        .env("OMPI_MCA_op", "^avx");
    add(Tag::Wraps, no_avx);
    // A transfer over 2 GiB between two "nodes", in a job of its own.
    let large = Job::new("np2_remote", Some(2)).env("GAIN_RANKS_PER_NODE", 1);
    add(Tag::Large, large);
    // The .npy cases with positioned I/O instead of the mapping.
    for (label, np, per_node) in [
        ("np3_positioned_io", 3, 3),
        ("np4_two_nodes_positioned_io", 4, 2),
    ] {
        let job = Job::new(label, Some(np))
            .env("GAIN_NPY_IO", "positioned")
            .env("GAIN_RANKS_PER_NODE", per_node);
        add(Tag::Io, job);
    }
    // Threads inside a rank: two per rank (GAIN_THREADS), on one node, on
    // separate "nodes" (concurrent MPI calls from the threads) and mixed.
    for (label, np, per_node) in [
        ("np1_2threads", 1, None),
        ("np2_2threads", 2, None),
        ("np3_remote_2threads", 3, Some(1)),
        ("np4_two_nodes_2threads", 4, Some(2)),
    ] {
        let mut job = Job::new(label, Some(np)).env("GAIN_THREADS", 2);
        if let Some(k) = per_node {
            job = job.env("GAIN_RANKS_PER_NODE", k);
        }
        add(Tag::Threads, job);
    }
    // A malformed transfer cap is an error from array creation, on one
    // node and across "nodes".
    add(
        Tag::BadTransferCap,
        Job::new("np2_transfer_bytes_abc", Some(2)).env("GAIN_MAX_TRANSFER_BYTES", "abc"),
    );
    let job = Job::new("np3_remote_transfer_bytes_0", Some(3))
        .env("GAIN_RANKS_PER_NODE", 1)
        .env("GAIN_MAX_TRANSFER_BYTES", 0);
    add(Tag::BadTransferCap, job);
    // NumPy reads gain's .npy files and gain reads NumPy's, when a
    // python3 with numpy is installed (scripts/install-deps installs
    // Debian's).
    for np in [1, 3] {
        let mut interop = CaseConfig::new(
            Tag::NumpyInterop,
            OneHost,
            Job::new(format!("np{np}"), Some(np)),
        );
        interop.numpy = true;
        configs.push(interop);
    }
    // Open MPI's osc/pt2pt over TCP, the one-sided component it picks
    // between hosts: a flush there waits for every target's operations,
    // which deadlocked reads flushed one target at a time. (MPICH has no
    // such component choice; its remote path runs in np*_remote.)
    let job = Job::new("np3_remote_osc_pt2pt", Some(3))
        .env("GAIN_RANKS_PER_NODE", 1)
        .env("OMPI_MCA_osc", "sm,pt2pt")
        .env("OMPI_MCA_btl", "tcp,self")
        // osc/pt2pt refuses MPI_THREAD_MULTIPLE.
        .env("GAIN_THREAD_LEVEL", "funneled");
    configs.push(CaseConfig::new(Tag::Rma, OneHost, job).open_mpi_only());
    // Across hosts: the remote path's cases at 1+1, 2+1 and 2+2 ranks.
    for np in 2..=4 {
        let job = watch_finalize(Job::new(format!("hosts_np{np}"), Some(np)));
        configs.push(CaseConfig::new(Tag::Hosts, Hosts, job));
    }
    // Open MPI's osc/rdma cannot create a window across hosts over TCP:
    // an error on every rank, not an abort.
    let job = Job::new("hosts_np2_osc_rdma", Some(2)).env("OMPI_MCA_osc", "sm,rdma");
    configs.push(CaseConfig::new(Tag::HostsOscRdma, Hosts, job).open_mpi_only());
    configs
}

/// The trials of the configurations in `configs` that run on `bed` with
/// this MPI library.
fn add_case_configs(args: &Arguments, suite: &mut Suite, configs: Vec<CaseConfig>, bed: Bed) {
    let open_mpi = harness::mpi_version().contains("Open MPI");
    let python = std::sync::OnceLock::new();
    for config in configs {
        if config.bed != bed || (config.open_mpi_only && !open_mpi) {
            continue;
        }
        let cases = registry::tagged(config.tag);
        let mut job = config.job;
        if config.numpy {
            let mut looked_up = false;
            let py = python.get_or_init(|| {
                looked_up = true;
                io::python_with_numpy()
            });
            match py {
                Some(py) => job = job.env(io::PYTHON, py),
                None => {
                    if looked_up {
                        println!(
                            "no python3 with numpy found: the NumPy interoperability trials are ignored"
                        );
                    }
                    for case in cases {
                        suite.ignored(format!("{case}::{}", job.label));
                    }
                    continue;
                }
            }
        }
        suite.cases(args, job, &cases);
    }
}

fn parent() {
    let mut args = Arguments::from_args();
    if args.filter.is_none() {
        args.filter = std::env::var(FILTER).ok().filter(|f| !f.is_empty());
    }
    args.test_threads = args.test_threads.or(Some(1));
    if !args.list {
        println!("gain MPI tests with {}", harness::mpi_version());
    }
    let configs = case_configs();
    let tags: Vec<Tag> = configs.iter().map(|c| c.tag).collect();
    registry::check(&tags);
    let mut suite = Suite::default();
    if std::env::var_os(HOSTS).is_some() {
        add_case_configs(&args, &mut suite, configs, Bed::Hosts);
        across_hosts(&mut suite);
        libtest_mimic::run(&args, suite.into_trials()).exit();
    }
    add_case_configs(&args, &mut suite, configs, Bed::OneHost);
    // A malformed GAIN_THREADS, GAIN_PROGRESS or GAIN_PROGRESS_US is an
    // error from init on every rank, and so is a progress thread asked
    // for below MPI_THREAD_MULTIPLE.
    for (label, var, value) in [
        ("np2", "GAIN_THREADS", "abc"),
        ("np3", "GAIN_THREADS", "0"),
        ("np2", "GAIN_PROGRESS", "sometimes"),
        ("np2", "GAIN_PROGRESS_US", "-5"),
    ] {
        let mut job = Job::new(label, Some(np_of(label)))
            .env(var, value)
            .env(threads::BAD_VAR, var);
        job.mode = "init_error";
        job.also_expect = vec![threads::INIT_REFUSED.to_string()];
        let name = format!(
            "init_refuses_a_malformed_{}::{label}_{value}",
            var.to_lowercase()
        );
        suite.job(name, &Shared::new(job));
    }
    let mut job = Job::new("np2_funneled", Some(2))
        .env("GAIN_PROGRESS", "on")
        .env("GAIN_THREAD_LEVEL", "funneled")
        .env(threads::BAD_VAR, "GAIN_PROGRESS");
    job.mode = "init_error";
    job.also_expect = vec![threads::INIT_REFUSED.to_string()];
    suite.job(
        "init_refuses_a_progress_thread_below_multiple::np2_funneled".to_string(),
        &Shared::new(job),
    );
    // A panic on one rank aborts the whole job with its message.
    for np in [2, 3] {
        let mut p = Job::new(format!("np{np}"), Some(np));
        p.mode = "panic";
        p.expect_failure = Some(format!("deliberate panic on rank {}", np - 1));
        suite.job(format!("abort_on_panic::np{np}"), &Shared::new(p));
    }
    faults(&mut suite);
    examples(&mut suite);
    kmeans_npy(&mut suite);
    libtest_mimic::run(&args, suite.into_trials()).exit();
}

/// The examples on the multi-host bed (`scripts/hosts`), whose launcher
/// puts N ranks in blocks on the hosts; the cases there are those tagged
/// `Hosts` (the one-sided ones: round trips, RMA ordering, `read_inc`,
/// contended accumulates, the distributed matmul and transpose, local
/// views) at 1+1, 2+1 and 2+2 ranks, see [`case_configs`]. The examples'
/// serial checks (k-means with its dynamic schedule, matmul, laplace,
/// heat) run at 1 to 4 ranks, k-means and laplace printing the
/// fingerprint of one rank on one host. TCP between the bed's namespaces
/// is slow here (a NumPy-layer case that takes 2 s on one host takes 100 s
/// across two), so the suite is the remote path's cases, not every case.
fn across_hosts(suite: &mut Suite) {
    let runs: &[(&str, &'static str, &str)] = &[
        (
            "kmeans",
            "kmeans",
            "--points 2999 --dims 7 --centers 5 --iters 15 --verify",
        ),
        ("matmul", "matmul", "--blocks 5 --block-size 24 --verify"),
        ("laplace", "laplace", "--n 37 --iters 25 --verify"),
        ("heat", "heat", "40 30"),
    ];
    for &(label, example, args) in runs {
        let mut jobs = Vec::new();
        for np in 1..=4 {
            let job = Job::example(format!("hosts_np{np}"), np, example, args);
            let job = Shared::new(watch_finalize(job));
            suite.job(format!("example::{label}::hosts_np{np}"), &job);
            jobs.push(job);
        }
        if ["kmeans", "laplace"].contains(&example) {
            let name = format!("example::{label}::same_fingerprint_across_hosts");
            suite.check(name, jobs, same_fingerprints);
        }
    }
}

/// `job`, watched for MPICH 4.0's hang in `MPI_Finalize`: that library
/// hangs there now and then when a job spans hosts, after all its work
/// (pmodels/mpich#6596, gain::guide::hosts): its jobs say when they
/// finalise, and one that hangs there runs again
/// (harness::FINALIZE_TRIES).
fn watch_finalize(mut job: Job) -> Job {
    let version = harness::mpi_version();
    let mpich_4_0 = version.starts_with("MPICH")
        && version
            .split_whitespace()
            .nth(2)
            .is_some_and(|v| v.starts_with("4.0."));
    if mpich_4_0 {
        // Well past the second or two a finalisation takes here.
        job.finalize_grace = Some(std::time::Duration::from_secs(15));
    }
    job
}

/// The rank count of a label `npN...`.
fn np_of(label: &str) -> usize {
    label[2..3].parse().expect("labels start with npN")
}

/// The fault scenarios of `faults.rs` at np = 2 and 3, each in a private
/// `/dev/shm`: the job must end within 30 s, fail, name the rank and the
/// cause, and leave nothing in `/dev/shm`.
fn faults(suite: &mut Suite) {
    let open_mpi = harness::mpi_version().contains("Open MPI");
    for s in faults::SCENARIOS {
        for np in [2, 3] {
            let mut job = Job::new(format!("np{np}"), Some(np)).env(faults::SCENARIO, s.name);
            for (k, v) in (s.env)(np) {
                job = job.env(k, v);
            }
            job.mode = "fault";
            job.limit = std::time::Duration::from_secs(30);
            job.private_shm = Some(s.shm);
            let mut expect = (s.expect)(np, open_mpi);
            if !expect.is_empty() {
                job.expect_failure = Some(expect.remove(0));
                job.also_expect = expect;
            }
            suite.job(format!("fault::{}::np{np}", s.name), &Shared::new(job));
        }
    }
}

/// The example programs, each checked against its serial version, and
/// k-means, laplace and distmap printing the same fingerprint at every
/// rank count.
fn examples(suite: &mut Suite) {
    let kmeans = "--points 2999 --dims 7 --centers 5 --iters 15 --verify";
    // Wide points and many centers: the kernel's 64-wide sums and its
    // sorted grouping of clusters.
    let kmeans_wide = "--points 1501 --dims 70 --centers 20 --iters 8 --verify";
    // (label, example, arguments, rank counts, of them also all remote)
    type Runs<'a> = &'a [(&'a str, &'static str, &'a str, &'a [usize], &'a [usize])];
    let runs: Runs = &[
        ("kmeans", "kmeans", kmeans, &[1, 2, 3, 4], &[3]),
        ("kmeans_wide", "kmeans", kmeans_wide, &[1, 3], &[]),
        (
            "kmeans_primitives",
            "kmeans_primitives",
            "--points 999 --dims 3 --centers 3",
            &[1, 3],
            &[],
        ),
        (
            "matmul",
            "matmul",
            "--blocks 5 --block-size 24 --verify",
            &[1, 2, 3, 4],
            &[4],
        ),
        ("shared_sum", "shared_sum", "--mbytes 4", &[1, 2, 3, 4], &[]),
        (
            "laplace",
            "laplace",
            "--n 37 --iters 25 --verify",
            &[1, 2, 3, 4],
            &[3],
        ),
        (
            "laplace_ops",
            "laplace",
            "--n 37 --iters 25 --verify --style ops",
            &[3],
            &[],
        ),
        (
            "distmap",
            "distmap",
            "--n 45 --points 7 --verify",
            &[1, 2, 3, 4],
            &[2],
        ),
        (
            "shared_lookup",
            "shared_lookup",
            "--mbytes 4 --queries 3000 --verify",
            &[1, 2, 3, 4],
            &[3],
        ),
        ("heat", "heat", "40 30", &[1, 3], &[3]),
        ("hello", "hello", "", &[1, 4], &[]),
    ];
    let mut by_label: Vec<(&str, Vec<std::sync::Arc<Shared>>)> = Vec::new();
    // Each shared_lookup run writes (and removes) a database file of its own.
    let pid = std::process::id();
    for &(label, example, args, nps, remote) in runs {
        let mut jobs = Vec::new();
        let args = |at: &str| {
            if example == "shared_lookup" {
                let file = std::env::temp_dir().join(format!("gain-test-lookup-{pid}-{at}.npy"));
                format!("{args} --file {}", file.display())
            } else {
                args.to_string()
            }
        };
        for &np in nps {
            let args = args(&format!("np{np}"));
            let job = Shared::new(Job::example(format!("np{np}"), np, example, &args));
            suite.job(format!("example::{label}::np{np}"), &job);
            jobs.push(job);
        }
        // One rank with two threads must print the fingerprint of the
        // others (GAIN_THREADS; the examples' kernels run on the pool).
        if ["kmeans", "laplace", "distmap", "matmul"].contains(&example) && nps.contains(&1) {
            let at = "np1_2threads";
            let job = Job::example(at, 1, example, &args(at)).env("GAIN_THREADS", 2);
            let job = Shared::new(job);
            suite.job(format!("example::{label}::{at}"), &job);
            jobs.push(job);
        }
        for &np in remote {
            let args = args(&format!("np{np}_remote"));
            let job = Job::example(format!("np{np}_remote"), np, example, &args)
                .env("GAIN_RANKS_PER_NODE", 1);
            let job = Shared::new(job);
            suite.job(format!("example::{label}::np{np}_remote"), &job);
            jobs.push(job);
        }
        by_label.push((label, jobs));
    }
    for (label, jobs) in by_label {
        let Some(&(_, example, ..)) = runs.iter().find(|r| r.0 == label) else {
            continue;
        };
        if ["kmeans", "laplace", "distmap", "shared_lookup"].contains(&example) {
            let name = format!("example::{label}::same_fingerprint_at_every_rank_count");
            suite.check(name, jobs, same_fingerprints);
        }
    }
}

/// k-means on points a file holds: NumPy writes the points gain generates
/// (its Philox stream), in C and in Fortran order; k-means loads them at
/// 3, 4 and 1 ranks (`--load`; the last the Fortran file) and must print the fingerprint of the run that
/// generated them at 2 ranks, and save the same centers file (`--save`),
/// which NumPy reads, as it reads the points that run saved
/// (`--save-points`), equal to its own. Listed as ignored without a python3 with numpy.
fn kmeans_npy(suite: &mut Suite) {
    let name = "example::kmeans_npy::numpy_points_at_np1_np3_np4".to_string();
    let Some(py) = io::python_with_numpy() else {
        suite.ignored(name);
        return;
    };
    suite.custom(name, move || {
        let dir = std::env::temp_dir().join(format!("gain-test-kmeans-npy-{}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let at = |f: &str| dir.join(f).display().to_string();
        let fit = "--centers 5 --iters 15 --verify";
        let generated = Shared::new(Job::example(
            "np2",
            2,
            "kmeans",
            &format!(
                "--points 2999 --dims 7 {fit} --save {} --save-points {}",
                at("centers.npy"),
                at("gain-points.npy")
            ),
        ));
        let script = format!(
            "import numpy as np\n\
             x = np.random.Generator(np.random.Philox(key=0)).random((2999, 7))\n\
             np.save({:?}, x)\n\
             np.save({:?}, np.asfortranarray(x))\n",
            at("points.npy"),
            at("points-fortran.npy")
        );
        let run = |args: &[&str]| -> Result<String, String> {
            let out = std::process::Command::new(&py)
                .args(args)
                .output()
                .map_err(|e| e.to_string())?;
            if !out.status.success() {
                return Err(format!("python: {}", String::from_utf8_lossy(&out.stderr)));
            }
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        };
        run(&["-c", &script])?;
        let loaded = Shared::new(Job::example(
            "np3_load",
            3,
            "kmeans",
            &format!(
                "--load {} {fit} --save {}",
                at("points.npy"),
                at("centers-np3.npy")
            ),
        ));
        let fortran = Shared::new(Job::example(
            "np1_load_fortran",
            1,
            "kmeans",
            &format!("--load {} {fit}", at("points-fortran.npy")),
        ));
        let four = Shared::new(Job::example(
            "np4_load",
            4,
            "kmeans",
            &format!("--load {} {fit}", at("points.npy")),
        ));
        let mut outputs = Vec::new();
        for j in [&generated, &loaded, &fortran, &four] {
            outputs.push((&j.job, j.output()?));
        }
        same_fingerprints(&outputs)?;
        let a = std::fs::read(at("centers.npy")).map_err(|e| e.to_string())?;
        let b = std::fs::read(at("centers-np3.npy")).map_err(|e| e.to_string())?;
        if a != b {
            return Err("the centers files of the two runs differ".into());
        }
        let check = format!(
            "import numpy as np\n\
             c = np.load({:?})\n\
             assert c.shape == (5, 7) and c.dtype == np.float64, c\n\
             assert (np.load({:?}) == np.load({:?})).all(), 'gain saved other points'\n",
            at("centers.npy"),
            at("gain-points.npy"),
            at("points.npy")
        );
        run(&["-c", &check])?;
        std::fs::remove_dir_all(&dir).map_err(|e| e.to_string())
    });
}

/// Every run verified against the serial version and printed the same
/// fingerprint (the bits of its result).
fn same_fingerprints(outputs: &[(&Job, &str)]) -> Result<(), String> {
    let mut prints = Vec::new();
    for (job, log) in outputs {
        let line = |p: &str| log.lines().find(|l| l.starts_with(p));
        let print = line("fingerprint:").ok_or(format!("{} printed no fingerprint", job.label))?;
        line("verified").ok_or(format!("{} did not verify", job.label))?;
        prints.push((job.label.clone(), print.to_string()));
    }
    if prints.iter().any(|p| p.1 != prints[0].1) {
        return Err(format!(
            "fingerprints differ between rank counts: {prints:?}"
        ));
    }
    Ok(())
}
