//! Re-executes this test binary under the MPI launcher.
//!
//! `cargo test` starts the binary as the parent. The parent runs the
//! binary again as MPI jobs: once as a singleton without a launcher, then
//! under `mpirun`/`mpiexec` at several rank counts and node groupings. A
//! job that exceeds its time limit is killed with its whole process group.
//! A missing launcher is a failure, never a skip.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Marks a process as an MPI child of the harness; the value is the mode.
pub const CHILD: &str = "GAIN_TEST_CHILD";
/// Runs only the cases whose name contains this string.
pub const FILTER: &str = "GAIN_TEST_FILTER";

/// One MPI job the parent starts.
pub struct Job {
    pub np: Option<usize>,
    pub env: Vec<(&'static str, String)>,
    pub mode: &'static str,
    pub filter: Option<&'static str>,
    /// `Some(text)`: the job must fail and its output must contain `text`.
    pub expect_failure: Option<String>,
    /// Runs this example program (built by `cargo test` beside the test
    /// binary) with these arguments instead of the test binary.
    pub example: Option<(&'static str, Vec<String>)>,
}

impl Job {
    pub fn new(np: Option<usize>) -> Job {
        Job {
            np,
            env: Vec::new(),
            mode: "cases",
            filter: None,
            expect_failure: None,
            example: None,
        }
    }

    pub fn example(np: usize, name: &'static str, args: &str) -> Job {
        let mut job = Job::new(Some(np));
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
        let filter = self
            .filter
            .map(|f| format!(" filter={f}"))
            .unwrap_or_default();
        let example = self
            .example
            .as_ref()
            .map(|(name, args)| format!(" {name} {}", args.join(" ")))
            .unwrap_or_default();
        format!("{}{example} {np} {}{filter}", self.mode, env.join(" "))
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

/// Runs `job`; returns its time and output, or an error message.
pub fn run(job: &Job, timeout: Duration) -> Result<(Duration, String), String> {
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
    let mut cmd = match job.np {
        None => Command::new(&exe),
        Some(np) => {
            let (launcher, mut args) = launcher()?;
            let mut c = Command::new(launcher);
            args.extend(["-np".to_string(), np.to_string()]);
            c.args(args).arg(&exe);
            c
        }
    };
    if let Some((_, args)) = &job.example {
        cmd.args(args);
    }
    cmd.env(CHILD, job.mode)
        .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
        .env("RUST_BACKTRACE", "0");
    if let Some(f) = job.filter {
        cmd.env(FILTER, f);
    }
    for (k, v) in &job.env {
        cmd.env(k, v);
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
    let status = loop {
        if let Some(s) = child.try_wait().map_err(|e| e.to_string())? {
            break Some(s);
        }
        if start.elapsed() > timeout {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .status();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let log = std::fs::read_to_string(&out_path).unwrap_or_default();
    let _ = std::fs::remove_file(&out_path);
    let elapsed = start.elapsed();
    let tail = || {
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    };
    match (status, &job.expect_failure) {
        (None, _) => Err(format!(
            "timed out after {timeout:?}; killed the process group\n{}",
            tail()
        )),
        (Some(s), None) if s.success() => Ok((elapsed, log)),
        (Some(s), None) => Err(format!("exited with {s}\n{}", tail())),
        (Some(s), Some(text)) if !s.success() && log.contains(text.as_str()) => Ok((elapsed, log)),
        (Some(s), Some(text)) => Err(format!(
            "expected a failure mentioning {text:?}, got {s}\n{}",
            tail()
        )),
    }
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(Instant::now())
}

/// Runs every job, prints a line each, and fails at the end if any failed
/// or if `check` rejects the outputs of the jobs that passed.
pub fn run_all(
    jobs: &[Job],
    timeout: Duration,
    check: impl Fn(&[(&Job, String)]) -> Result<(), String>,
) {
    println!(
        "gain MPI tests with {}",
        gain::Runtime::mpi_library_version()
            .lines()
            .next()
            .unwrap_or("")
    );
    let mut failed = 0;
    let mut outputs = Vec::new();
    for job in jobs {
        match run(job, timeout) {
            Ok((t, log)) => {
                println!("ok    {:<60} {:>6.1} s", job.describe(), t.as_secs_f64());
                outputs.push((job, log));
            }
            Err(e) => {
                failed += 1;
                println!("FAIL  {}\n{e}\n", job.describe());
            }
        }
    }
    if let Err(e) = check(&outputs) {
        failed += 1;
        println!("FAIL  comparing outputs across jobs: {e}");
    }
    if failed > 0 {
        println!("{failed} of {} MPI jobs or checks failed", jobs.len());
        std::process::exit(1);
    }
    println!("all {} MPI jobs passed", jobs.len());
}
