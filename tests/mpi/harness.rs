//! Re-executes this test binary (or an example) under the MPI launcher, as
//! libtest-mimic trials.
//!
//! `cargo test` starts the binary as the parent. Each trial is one case at
//! one rank count and placement (`roundtrip_f64::np3_remote`), one example
//! run, or one check across runs, so `cargo test <name>` runs the matching
//! ones and `cargo test -- --list` lists them. The cases of one
//! configuration run together in one MPI job (a job costs a launch);
//! when that job fails, the first case that did not report success fails
//! (with whether it also fails alone), and each case after it runs again
//! alone, so one failing case does not hide the others. A job past its
//! time limit is killed with its whole process group. A missing launcher
//! is a failure, never a skip.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use libtest_mimic::{Arguments, Failed, Trial};

/// Marks a process as an MPI child of the harness; the value is the mode.
pub const CHILD: &str = "GAIN_TEST_CHILD";
/// The cases a `cases` child runs, comma-separated.
pub const CASES: &str = "GAIN_TEST_CASES";
/// An alias for the libtest filter (`cargo test <filter>`).
pub const FILTER: &str = "GAIN_TEST_FILTER";

/// The longest an MPI job may run before its process group is killed: a
/// configuration's whole group of cases, which takes about 330 s at four
/// oversubscribed MPICH ranks on two cores.
const TIMEOUT: Duration = Duration::from_secs(900);

/// One MPI job the parent starts.
#[derive(Clone)]
pub struct Job {
    /// Names the configuration in trial names (`np3_remote`).
    pub label: String,
    pub np: Option<usize>,
    pub env: Vec<(&'static str, String)>,
    pub mode: &'static str,
    /// `Some(text)`: the job must fail and its output must contain `text`.
    pub expect_failure: Option<String>,
    /// Runs this example program (built by `cargo test` beside the test
    /// binary) with these arguments instead of the test binary.
    pub example: Option<(&'static str, Vec<String>)>,
    /// Texts the output must also contain (with `expect_failure`).
    pub also_expect: Vec<String>,
    /// The job's time limit.
    pub limit: Duration,
    /// `Some(size)`: the job runs in a mount namespace of its own with a
    /// fresh tmpfs of `size` on `/dev/shm`, which must be empty after it.
    pub private_shm: Option<&'static str>,
    /// `Some(grace)`: the MPI library is known to hang now and then in
    /// `MPI_Finalize` after a job's work (MPICH 4.0 across hosts,
    /// pmodels/mpich#6596). The ranks say when they call it
    /// (`GAIN_TRACE_FINALIZE`); a job still running `grace` after every
    /// rank did is killed, said so, and run again (`FINALIZE_TRIES`).
    pub finalize_grace: Option<Duration>,
}

/// The line each rank prints before `MPI_Finalize` under
/// `GAIN_TRACE_FINALIZE` (src/runtime.rs), up to the rank's number.
const FINALIZE_LINE: &str = "gain: rank ";
const FINALIZE_TAIL: &str = " calls MPI_Finalize";

/// The line the private-`/dev/shm` wrapper prints after the job.
const SHM_AFTER: &str = "gain-test: /dev/shm after the job:";

impl Job {
    /// The test binary's cases at `np` ranks (`None`: a singleton without
    /// a launcher).
    pub fn new(label: impl Into<String>, np: Option<usize>) -> Job {
        Job {
            label: label.into(),
            np,
            env: Vec::new(),
            mode: "cases",
            expect_failure: None,
            example: None,
            also_expect: Vec::new(),
            limit: TIMEOUT,
            private_shm: None,
            finalize_grace: None,
        }
    }

    /// The example `name` at `np` ranks with `args`.
    pub fn example(label: impl Into<String>, np: usize, name: &'static str, args: &str) -> Job {
        let mut job = Job::new(label, Some(np));
        job.mode = "example";
        job.example = Some((name, args.split_whitespace().map(String::from).collect()));
        job
    }

    pub fn env(mut self, k: &'static str, v: impl ToString) -> Job {
        self.env.push((k, v.to_string()));
        self
    }

    fn describe(&self) -> String {
        let np = self
            .np
            .map_or("singleton".to_string(), |n| format!("np={n}"));
        let env: Vec<String> = self.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let example = self
            .example
            .as_ref()
            .map(|(name, args)| format!(" {name} {}", args.join(" ")))
            .unwrap_or_default();
        format!("{}{example} {np} {}", self.mode, env.join(" "))
    }
}

enum Flavour {
    OpenMpi,
    Mpich,
}

fn flavour() -> Flavour {
    let v = gain::Runtime::mpi_library_version();
    if v.contains("Open MPI") {
        Flavour::OpenMpi
    } else {
        Flavour::Mpich
    }
}

fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// The launcher matching the MPI library the binary was linked with;
/// `GAIN_MPIEXEC` overrides it.
fn launcher() -> Result<(PathBuf, Vec<String>), String> {
    let (names, args): (&[&str], Vec<String>) = match flavour() {
        Flavour::OpenMpi => (
            &["mpirun.openmpi", "mpirun"],
            vec!["--oversubscribe".into()],
        ),
        Flavour::Mpich => (&["mpiexec.mpich", "mpiexec.hydra", "mpiexec"], vec![]),
    };
    if let Ok(custom) = std::env::var("GAIN_MPIEXEC") {
        let mut parts = custom.split_whitespace().map(String::from);
        let exe = parts.next().ok_or("GAIN_MPIEXEC is empty")?;
        return Ok((PathBuf::from(exe), parts.collect()));
    }
    for n in names {
        if let Some(p) = find_in_path(n) {
            return Ok((p, args));
        }
    }
    Err(format!(
        "no MPI launcher found (looked for {names:?}); run scripts/install-deps"
    ))
}

/// What a finished job left: its whole output, and `Err` with the reason
/// when it did not end as expected.
struct Outcome {
    log: String,
    result: Result<(), String>,
    /// Killed while every rank was in `MPI_Finalize` (`finalize_grace`).
    finalize_hang: bool,
}

/// How often a job that hangs in `MPI_Finalize` after every rank reached
/// it runs in all (see `finalize_grace`): MPICH 4.0 hangs so in about one
/// job of four at 2+2 ranks on the bed, but not evenly: the 4-rank k-means
/// check once hung three times in a row, and the 3-rank matmul check
/// eight times (2026-12-07, about one hang in two for the examples at 3
/// and 4 ranks). Sixteen tries fail together in about one job of 65,000
/// at one hang in two.
const FINALIZE_TRIES: usize = 16;

/// Runs `job`, with `cases` for a `cases` child; a job that hung in
/// `MPI_Finalize` after every rank reached it (see `finalize_grace`) runs
/// again, up to `FINALIZE_TRIES` in all, and each such hang is reported on
/// the harness's stderr.
fn run(job: &Job, cases: &[&str]) -> Outcome {
    let once = || match try_run(job, cases) {
        Ok(o) => o,
        Err(e) => Outcome {
            log: String::new(),
            result: Err(e),
            finalize_hang: false,
        },
    };
    let mut outcome = once();
    for tries in 1.. {
        if !outcome.finalize_hang {
            break;
        }
        let what = if tries < FINALIZE_TRIES {
            "running it again"
        } else {
            "giving up"
        };
        eprintln!(
            "gain-test: {} hung in MPI_Finalize after every rank reached it (the MPI library's \
             known finalisation hang, pmodels/mpich#6596), try {tries} of {FINALIZE_TRIES}; {what}",
            job.describe()
        );
        if tries == FINALIZE_TRIES {
            break;
        }
        outcome = once();
    }
    outcome
}

/// Whether all `np` ranks have printed their `GAIN_TRACE_FINALIZE` line.
fn all_in_finalize(log: &str, np: usize) -> bool {
    let mut seen = vec![false; np];
    for l in log.lines() {
        let Some(rest) = l.strip_prefix(FINALIZE_LINE) else {
            continue;
        };
        let rank = rest
            .strip_suffix(FINALIZE_TAIL)
            .and_then(|t| t.split(" of ").next())
            .and_then(|r| r.parse::<usize>().ok());
        if let Some(r) = rank.filter(|&r| r < np) {
            seen[r] = true;
        }
    }
    seen.iter().all(|&s| s)
}

fn try_run(job: &Job, cases: &[&str]) -> Result<Outcome, String> {
    let mut exe = std::env::current_exe().map_err(|e| e.to_string())?;
    if let Some((name, _)) = &job.example {
        // target/<profile>/deps/mpi-… → target/<profile>/examples/<name>
        exe = exe
            .parent()
            .and_then(|deps| deps.parent())
            .map(|profile| profile.join("examples").join(name))
            .ok_or("no examples directory beside the test binary")?;
        if !exe.is_file() {
            return Err(format!(
                "example {} was not built (`cargo test` builds the examples; `cargo test --test mpi` alone does not)",
                exe.display()
            ));
        }
    }
    let mut argv: Vec<std::ffi::OsString> = match job.np {
        None => vec![exe.into()],
        Some(np) => {
            let (launcher, mut args) = launcher()?;
            args.extend(["-np".to_string(), np.to_string()]);
            let mut v: Vec<std::ffi::OsString> = vec![launcher.into()];
            v.extend(args.into_iter().map(Into::into));
            v.push(exe.into());
            v
        }
    };
    if let Some(size) = job.private_shm {
        // A mount namespace with a fresh tmpfs on /dev/shm: what the job
        // leaves there is exactly what the wrapper lists afterwards.
        let script = format!(
            "mount -t tmpfs -o size={size} gain-test /dev/shm || exit 97; \
             \"$@\"; rc=$?; echo \"{SHM_AFTER} [$(ls -A /dev/shm | tr '\\n' ' ')]\"; exit $rc"
        );
        let mut wrapped: Vec<std::ffi::OsString> = [
            "unshare",
            "-m",
            "--propagation",
            "private",
            "sh",
            "-c",
            &script,
            "sh",
        ]
        .iter()
        .map(Into::into)
        .collect();
        wrapped.append(&mut argv);
        argv = wrapped;
    }
    let mut cmd = Command::new(&argv[0]);
    cmd.args(&argv[1..]);
    if let Some((_, args)) = &job.example {
        cmd.args(args);
    }
    cmd.env(CHILD, job.mode)
        .env(CASES, cases.join(","))
        .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
        .env("RUST_BACKTRACE", "0");
    for (k, v) in &job.env {
        cmd.env(k, v);
    }
    if job.finalize_grace.is_some() {
        cmd.env("GAIN_TRACE_FINALIZE", "1");
    }
    let out_path = std::env::temp_dir().join(format!(
        "gain-test-{}-{}.log",
        std::process::id(),
        rand_suffix()
    ));
    let out = std::fs::File::create(&out_path).map_err(|e| e.to_string())?;
    cmd.stdout(Stdio::from(out.try_clone().map_err(|e| e.to_string())?))
        .stderr(Stdio::from(out))
        .stdin(Stdio::null());
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let start = Instant::now();
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start {cmd:?}: {e}"))?;
    // SIGTERM to the job's process group first, so that a launcher that
    // cleans up after itself can (scripts/hosts takes down the ranks it
    // started in the bed's namespaces), then SIGKILL to what is left.
    let kill = |child: &mut std::process::Child| {
        let group = format!("-{}", child.id());
        // (kill's stderr is dropped: the group may be gone already.)
        let signal = |sig: &str| {
            let _ = Command::new("kill")
                .args([sig, "--", &group])
                .stderr(Stdio::null())
                .status();
        };
        signal("-TERM");
        let asked = Instant::now();
        while asked.elapsed() < Duration::from_secs(10) {
            if let Ok(Some(_)) = child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        signal("-KILL");
        let _ = child.wait();
    };
    // When every rank has called MPI_Finalize (finalize_grace), and since.
    let mut finalizing: Option<Instant> = None;
    let mut looked = Instant::now();
    let mut finalize_hang = false;
    let status = loop {
        if let Some(s) = child.try_wait().map_err(|e| e.to_string())? {
            break Some(s);
        }
        if start.elapsed() > job.limit {
            kill(&mut child);
            break None;
        }
        if let (Some(grace), Some(np)) = (job.finalize_grace, job.np) {
            match finalizing {
                None if looked.elapsed() > Duration::from_millis(500) => {
                    looked = Instant::now();
                    let log = std::fs::read_to_string(&out_path).unwrap_or_default();
                    if all_in_finalize(&log, np) {
                        finalizing = Some(Instant::now());
                    }
                }
                Some(t) if t.elapsed() > grace => {
                    kill(&mut child);
                    finalize_hang = true;
                    break None;
                }
                _ => {}
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let elapsed = start.elapsed();
    let log = std::fs::read_to_string(&out_path).unwrap_or_default();
    let _ = std::fs::remove_file(&out_path);
    if job.private_shm.is_some() {
        // The figures of BENCHMARKS.md's reliability table.
        let shm = log.lines().find(|l| l.starts_with(SHM_AFTER)).unwrap_or("");
        eprintln!(
            "fault job {}: ended after {:.1} s with {}; {shm}",
            job.describe(),
            elapsed.as_secs_f64(),
            status.map_or("no exit (killed at the limit)".to_string(), |s| s
                .to_string())
        );
    }
    let tail = {
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    };
    let what = job.describe();
    let limit = job.limit;
    let missing: Vec<&String> = job
        .also_expect
        .iter()
        .filter(|t| !log.contains(t.as_str()))
        .collect();
    let shm_left = job.private_shm.and_then(|_| {
        let line = log.lines().find(|l| l.starts_with(SHM_AFTER));
        match line {
            Some(l) if l.ends_with("[]") => None,
            Some(l) => Some(l.to_string()),
            None => Some(format!("no {SHM_AFTER:?} line")),
        }
    });
    let result = match (status, &job.expect_failure) {
        (None, _) if finalize_hang => Err(format!(
            "{what}: every rank called MPI_Finalize, and the job had not ended {:?} later; \
             killed the process group\n{tail}",
            job.finalize_grace.unwrap_or_default()
        )),
        (None, _) => Err(format!(
            "{what}: did not end within {limit:?}; killed the process group\n{tail}"
        )),
        (Some(_), _) if !missing.is_empty() => {
            Err(format!("{what}: the output lacks {missing:?}\n{tail}"))
        }
        (Some(_), _) if shm_left.is_some() => Err(format!(
            "{what}: the job left shared memory behind: {}\n{tail}",
            shm_left.unwrap_or_default()
        )),
        (Some(s), None) if s.success() => Ok(()),
        (Some(s), None) => Err(format!("{what}: exited with {s}\n{tail}")),
        (Some(s), Some(text)) if !s.success() && log.contains(text.as_str()) => Ok(()),
        (Some(s), Some(text)) => Err(format!(
            "{what}: expected a failure mentioning {text:?}, got {s}\n{tail}"
        )),
    };
    Ok(Outcome {
        log,
        result,
        finalize_hang,
    })
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(Instant::now())
}

/// The cases of one configuration, run together once, on first demand.
struct Group {
    job: Job,
    /// The cases whose trials the filter selected.
    cases: Vec<&'static str>,
    results: OnceLock<HashMap<&'static str, Result<(), String>>>,
}

impl Group {
    fn result(&self, case: &str) -> Result<(), Failed> {
        let results = self.results.get_or_init(|| self.run_cases());
        results[case].clone().map_err(Failed::from)
    }

    /// Every selected case in one job; when it fails, the cases it did not
    /// report as passed (`case NAME ok`) each alone.
    fn run_cases(&self) -> HashMap<&'static str, Result<(), String>> {
        let together = run(&self.job, &self.cases);
        if together.result.is_ok() || self.cases.len() == 1 {
            return self
                .cases
                .iter()
                .map(|&c| (c, together.result.clone()))
                .collect();
        }
        // The cases run in order, so the first one that did not report is
        // the one that failed (a case that fails only after the others is
        // a bug too: it is reported, with how it does alone); the ones
        // after it never ran, and run alone now.
        let all_reported = self
            .cases
            .iter()
            .all(|c| together.log.contains(&format!("case {c} ok")));
        if all_reported {
            // Every case passed, yet the job failed (at its end, say).
            let e = format!(
                "every case of the job reported ok, but the job failed:\n{}",
                together.result.clone().err().unwrap_or_default()
            );
            return self.cases.iter().map(|&c| (c, Err(e.clone()))).collect();
        }
        let mut first_failure = true;
        self.cases
            .iter()
            .map(|&c| {
                let passed = together.log.contains(&format!("case {c} ok"));
                let result = if passed {
                    Ok(())
                } else if std::mem::take(&mut first_failure) {
                    let out_of_time = together
                        .result
                        .as_ref()
                        .is_err_and(|e| e.contains("did not end within"));
                    let alone = match run(&self.job, &[c]).result {
                        Ok(()) if out_of_time => {
                            "the job ran out of time in it; alone it passes".to_string()
                        }
                        Ok(()) => "alone it passes, so an earlier case of the job leaves a state it trips on".to_string(),
                        Err(e) => format!("alone it fails too: {e}"),
                    };
                    Err(format!(
                        "failed in its configuration's job, after the cases before it ({alone}):\n{}",
                        together.result.clone().err().unwrap_or_default()
                    ))
                } else {
                    run(&self.job, &[c]).result
                };
                (c, result)
            })
            .collect()
    }
}

/// One job whose output other trials may read, run once on first demand.
pub struct Shared {
    pub job: Job,
    outcome: OnceLock<Result<String, String>>,
}

impl Shared {
    pub fn new(job: Job) -> Arc<Shared> {
        Arc::new(Shared {
            job,
            outcome: OnceLock::new(),
        })
    }

    /// The job's output, or why it failed.
    pub fn output(&self) -> Result<&str, String> {
        self.outcome
            .get_or_init(|| {
                let o = run(&self.job, &[]);
                o.result.map(|()| o.log)
            })
            .as_deref()
            .map_err(Clone::clone)
    }
}

/// The suite's trials, in order.
#[derive(Default)]
pub struct Suite {
    trials: Vec<Trial>,
}

impl Suite {
    /// A trial `{case}::{job.label}` for each of `cases` in configuration
    /// `job`; the ones `args` selects run in one MPI job.
    pub fn cases(&mut self, args: &Arguments, job: Job, cases: &[&'static str]) {
        let name = |c: &str| format!("{c}::{}", job.label);
        let selected = cases
            .iter()
            .copied()
            .filter(|&c| !args.is_filtered_out(&Trial::test(name(c), || Ok(()))))
            .collect();
        let group = Arc::new(Group {
            job: job.clone(),
            cases: selected,
            results: OnceLock::new(),
        });
        for &c in cases {
            let group = group.clone();
            self.trials
                .push(Trial::test(name(c), move || group.result(c)));
        }
    }

    /// A trial `name` that runs `job` (shared with checks across runs).
    pub fn job(&mut self, name: String, job: &Arc<Shared>) {
        let job = job.clone();
        self.trials.push(Trial::test(name, move || {
            job.output().map(drop).map_err(Failed::from)
        }));
    }

    /// A trial `name` that checks the outputs of `jobs` together.
    pub fn check(
        &mut self,
        name: String,
        jobs: Vec<Arc<Shared>>,
        check: impl Fn(&[(&Job, &str)]) -> Result<(), String> + Send + 'static,
    ) {
        self.trials.push(Trial::test(name, move || {
            let mut outputs = Vec::new();
            for j in &jobs {
                let log = j
                    .output()
                    .map_err(|e| format!("a run this check needs failed: {e}"))?;
                outputs.push((&j.job, log));
            }
            check(&outputs).map_err(Failed::from)
        }));
    }

    /// A trial `name` that runs `body` (which may run jobs of its own).
    pub fn custom(
        &mut self,
        name: String,
        body: impl FnOnce() -> Result<(), String> + Send + 'static,
    ) {
        self.trials
            .push(Trial::test(name, move || body().map_err(Failed::from)));
    }

    /// A trial `name` that cannot run here, listed as ignored.
    pub fn ignored(&mut self, name: String) {
        self.trials
            .push(Trial::test(name, || Ok(())).with_ignored_flag(true));
    }

    pub fn into_trials(self) -> Vec<Trial> {
        self.trials
    }
}

/// The MPI library the suite runs with, for the first line of its output.
pub fn mpi_version() -> String {
    gain::Runtime::mpi_library_version()
        .lines()
        .next()
        .unwrap_or("")
        .to_string()
}
