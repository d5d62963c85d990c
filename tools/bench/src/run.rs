//! Running a suite: the MPI implementation and its launcher, the builds,
//! the programs' output (echoed, logged, its `BENCH` records kept), the size
//! knobs, and the Python peers in their virtual environment.

use std::ffi::OsStr;
use std::fs::{self, File};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::Result;
use crate::cargo::Build;
use crate::protocol::{Records, parse_line};

/// Where the suites write: their JSON, tables and logs, the plot, the venv.
pub const OUT_DIR: &str = "target/bench";

/// The MPI implementation the programs are built against and launched by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mpi {
    /// Open MPI (the default): `mpirun.openmpi --oversubscribe`.
    OpenMpi,
    /// MPICH (`MPI=mpich`): `mpiexec.mpich`, built in `target/mpich`.
    Mpich,
}

impl Mpi {
    /// The implementation `$MPI` names (`openmpi`, the default, or `mpich`).
    pub fn from_env() -> Result<Mpi> {
        match std::env::var("MPI").as_deref() {
            Err(_) | Ok("" | "openmpi") => Ok(Mpi::OpenMpi),
            Ok("mpich") => Ok(Mpi::Mpich),
            Ok(other) => Err(format!("MPI={other}: openmpi or mpich").into()),
        }
    }

    /// The launcher and its options, before `-np N`.
    pub fn launcher(self) -> &'static [&'static str] {
        match self {
            Mpi::OpenMpi => &["mpirun.openmpi", "--oversubscribe"],
            Mpi::Mpich => &["mpiexec.mpich"],
        }
    }

    /// The launcher options that give one rank `cores` cores of the node,
    /// bound, as gain::guide::threads launches it.
    pub fn one_rank_with_cores(self, cores: u32) -> Vec<String> {
        match self {
            Mpi::OpenMpi => vec!["--map-by".into(), format!("ppr:1:node:pe={cores}")],
            Mpi::Mpich => vec!["-bind-to".into(), format!("core:{cores}")],
        }
    }

    /// The compiler wrapper gain's build script asks for the MPI headers.
    pub fn mpicc(self) -> &'static str {
        match self {
            Mpi::OpenMpi => "mpicc.openmpi",
            Mpi::Mpich => "mpicc.mpich",
        }
    }

    /// What an output's name gets: `rma`, `rma-mpich`.
    pub fn suffix(self) -> &'static str {
        match self {
            Mpi::OpenMpi => "",
            Mpi::Mpich => "-mpich",
        }
    }

    /// The build directory: `$CARGO_TARGET_DIR` if set, else `target`
    /// (Open MPI) or `target/mpich`, so both builds stay warm.
    pub fn target_dir(self) -> PathBuf {
        match std::env::var_os("CARGO_TARGET_DIR") {
            Some(dir) => dir.into(),
            None if self == Mpi::Mpich => "target/mpich".into(),
            None => "target".into(),
        }
    }

    /// The first line of the launcher's version report.
    pub fn version(self) -> Result<String> {
        let (prog, arg) = match self {
            Mpi::OpenMpi => ("mpirun.openmpi", Some("--version")),
            Mpi::Mpich => ("mpichversion", None),
        };
        let out = Command::new(prog)
            .args(arg)
            .output()
            .map_err(|e| format!("{prog}: {e} (scripts/install-deps installs it)"))?;
        let text = String::from_utf8_lossy(&out.stdout);
        let line = text.lines().next().unwrap_or_default();
        Ok(line.split_whitespace().collect::<Vec<_>>().join(" "))
    }
}

/// One suite's run: what it has launched and read so far.
pub struct Bench {
    /// The suite's name (`kmeans`).
    pub suite: &'static str,
    /// The MPI implementation.
    pub mpi: Mpi,
    /// The records of every program the suite ran, in order.
    pub records: Records,
    /// `NAME=value` of the size knobs set to other than their defaults.
    knobs: Vec<String>,
    log: File,
    /// The venv's python once looked for (`Some(None)`: not available).
    python: Option<Option<PathBuf>>,
}

impl Bench {
    /// Starts suite `suite`: creates [`OUT_DIR`] and truncates its log.
    pub fn new(suite: &'static str, mpi: Mpi) -> Result<Bench> {
        fs::create_dir_all(OUT_DIR)?;
        let log = File::create(Path::new(OUT_DIR).join(format!("{suite}{}.log", mpi.suffix())))?;
        Ok(Bench {
            suite,
            mpi,
            records: Records::default(),
            knobs: Vec::new(),
            log,
            python: None,
        })
    }

    /// The name of this run's outputs: the suite's, `-mpich` for MPICH.
    pub fn output(&self) -> String {
        format!("{}{}", self.suite, self.mpi.suffix())
    }

    /// The command that reproduces this run, knobs included.
    pub fn command(&self) -> String {
        let mut parts = Vec::new();
        if self.mpi == Mpi::Mpich {
            parts.push("MPI=mpich".to_string());
        }
        parts.extend(self.knobs.iter().cloned());
        parts.push(format!("scripts/bench {}", self.suite));
        parts.join(" ")
    }

    /// Size knob `name` from the environment, or `default`.
    pub fn knob(&mut self, name: &str, default: usize) -> Result<usize> {
        let Ok(text) = std::env::var(name) else {
            return Ok(default);
        };
        let v = text
            .parse()
            .map_err(|_| format!("{name}={text}: a whole number"))?;
        if v != default {
            self.knobs.push(format!("{name}={v}"));
        }
        Ok(v)
    }

    /// Free-form knob `name` (extra arguments), split on whitespace.
    pub fn words_knob(&mut self, name: &str) -> Vec<String> {
        let text = std::env::var(name).unwrap_or_default();
        let words: Vec<String> = text.split_whitespace().map(String::from).collect();
        if !words.is_empty() {
            self.knobs.push(format!("{name}='{}'", words.join(" ")));
        }
        words
    }

    /// The build in the MPI's target directory, no CPU-specific code (the
    /// rma and local suites).
    pub fn plain(&self) -> Build {
        Build {
            target_dir: self.mpi.target_dir(),
            native: false,
            features: Vec::new(),
            mpicc: self.mpi.mpicc(),
        }
    }

    /// The build for this CPU (`-C target-cpu=native`) in `<target>/native`.
    pub fn native(&self) -> Build {
        Build {
            target_dir: self.mpi.target_dir().join("native"),
            native: true,
            ..self.plain()
        }
    }

    /// Runs `exe args` under the MPI launcher with `np` ranks, `env` set
    /// in the ranks' environment.
    pub fn launch<S: AsRef<OsStr>>(
        &mut self,
        np: u32,
        env: &[(&str, &str)],
        exe: &Path,
        args: &[S],
    ) -> Result<()> {
        self.launch_with(np, &[], env, exe, args)
    }

    /// [`launch`](Self::launch) with launcher options `place` (placement,
    /// binding) after the launcher's own.
    pub fn launch_with<S: AsRef<OsStr>>(
        &mut self,
        np: u32,
        place: &[String],
        env: &[(&str, &str)],
        exe: &Path,
        args: &[S],
    ) -> Result<()> {
        let (launcher, opts) = self.mpi.launcher().split_first().expect("a launcher");
        let mut cmd = Command::new(launcher);
        cmd.args(opts).args(place).args(["-np", &np.to_string()]);
        if !env.is_empty() {
            // Through `env`, which both launchers start like any program.
            cmd.arg("env");
            cmd.args(env.iter().map(|(k, v)| format!("{k}={v}")));
        }
        cmd.arg(exe).args(args);
        cmd.env("OMPI_ALLOW_RUN_AS_ROOT", "1")
            .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1");
        self.exec(cmd)
    }

    /// Runs the two-thread memory probe (`benches/probe.rs`) in `mode`
    /// (`read`, `triad`), `mib` MiB per thread.
    pub fn probe(&mut self, exe: &Path, mode: &str, mib: usize) -> Result<()> {
        let mut cmd = Command::new(exe);
        cmd.args([mode, "2", &mib.to_string()]);
        self.exec(cmd)
    }

    /// Runs `cmd` to its end: its output echoed and logged, its `BENCH`
    /// records kept. Fails if it fails or prints a malformed `BENCH` line.
    pub fn exec(&mut self, mut cmd: Command) -> Result<()> {
        let shown = show(&cmd);
        println!("bench: $ {shown}");
        writeln!(self.log, "$ {shown}")?;
        let mut child = cmd
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("{shown}: {e}"))?;
        let stdout = child.stdout.take().expect("stdout is piped");
        // Read to the end even past a bad line, so the program is not left
        // blocked on a full pipe.
        let mut bad = None;
        for line in BufReader::new(stdout).lines() {
            let line = line?;
            println!("{line}");
            writeln!(self.log, "{line}")?;
            match parse_line(&line) {
                Ok(Some(v)) => self.records.0.push(v),
                Ok(None) => {}
                Err(e) => bad = bad.or(Some(e)),
            }
        }
        let status = child.wait()?;
        if let Some(e) = bad {
            return Err(e);
        }
        if !status.success() {
            return Err(format!("{shown} failed ({status})").into());
        }
        Ok(())
    }

    /// Runs Python peer `script` (in `benches/peers`, two threads) if the
    /// venv is there; without Python its figures are left out.
    pub fn peer(&mut self, script: &str, args: &[String]) -> Result<()> {
        let Some(python) = self.python() else {
            return Ok(());
        };
        let mut cmd = Command::new(python);
        cmd.current_dir("benches/peers")
            .env("PEER_THREADS", "2")
            .arg(script)
            .args(args);
        self.exec(cmd)
    }

    /// The venv's python with the peers' packages, installed on first use
    /// (`python3 -m venv`, pip); `None`, said once, where that cannot be.
    pub fn python(&mut self) -> Option<PathBuf> {
        if self.python.is_none() {
            self.python = Some(venv_python());
        }
        self.python.clone().flatten()
    }
}

/// The python of `target/bench/venv` with NumPy, scikit-learn, threadpoolctl
/// and matplotlib, creating the venv when they are missing.
pub fn venv_python() -> Option<PathBuf> {
    let venv = std::env::current_dir().ok()?.join(OUT_DIR).join("venv");
    let python = venv.join("bin/python");
    if imports(&python, "numpy, sklearn, threadpoolctl, matplotlib") {
        return Some(python);
    }
    if !succeeds(
        Command::new("python3")
            .arg("--version")
            .stdout(Stdio::null()),
    ) {
        println!("bench: python3 not found; the NumPy, scikit-learn and OpenBLAS rows are skipped");
        return None;
    }
    println!(
        "bench: installing numpy, scikit-learn, threadpoolctl, matplotlib into {OUT_DIR}/venv"
    );
    let installed = succeeds(Command::new("python3").args(["-m", "venv"]).arg(&venv))
        && succeeds(Command::new(venv.join("bin/pip")).args([
            "install",
            "-q",
            "numpy",
            "scikit-learn",
            "threadpoolctl",
            "matplotlib",
        ]));
    if !installed {
        println!("bench: could not install the Python peers; their rows are skipped");
    }
    imports(&python, "numpy, sklearn, threadpoolctl").then_some(python)
}

/// Whether `python` can import `modules`.
pub fn imports(python: &Path, modules: &str) -> bool {
    succeeds(
        Command::new(python)
            .args(["-c", &format!("import {modules}")])
            .stderr(Stdio::null()),
    )
}

fn succeeds(cmd: &mut Command) -> bool {
    cmd.status().is_ok_and(|s| s.success())
}

/// Whether the system's OpenBLAS is installed (for the `blas` feature).
pub fn system_openblas() -> bool {
    let lib = Path::new("/usr/lib");
    lib.join("libopenblas.so").exists()
        || fs::read_dir(lib).is_ok_and(|dirs| {
            dirs.flatten()
                .any(|d| d.path().join("libopenblas.so").exists())
        })
}

/// `cmd` as a shell line: its set environment, program and arguments.
pub fn show(cmd: &Command) -> String {
    let quote = |s: &OsStr| {
        let s = s.to_string_lossy();
        if s.is_empty() || s.contains(|c: char| c.is_whitespace() || c == '\'') {
            format!("'{}'", s.replace('\'', r"'\''"))
        } else {
            s.into_owned()
        }
    };
    let env = cmd
        .get_envs()
        .filter(|(k, _)| !k.to_string_lossy().starts_with("OMPI_ALLOW_RUN_AS_ROOT"))
        .filter_map(|(k, v)| Some(format!("{}={}", k.to_string_lossy(), quote(v?))));
    let words = std::iter::once(quote(cmd.get_program())).chain(cmd.get_args().map(quote));
    let line = env.chain(words).collect::<Vec<_>>().join(" ");
    match cmd.get_current_dir() {
        Some(dir) => format!("(cd {} && {line})", dir.display()),
        None => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_show_as_shell_lines() {
        let mut c = Command::new("mpirun.openmpi");
        c.args(["-np", "2", "a b"]).env("GAIN_X", "1");
        assert_eq!(show(&c), "GAIN_X=1 mpirun.openmpi -np 2 'a b'");
        c.current_dir("benches/peers");
        assert_eq!(
            show(&c),
            "(cd benches/peers && GAIN_X=1 mpirun.openmpi -np 2 'a b')"
        );
    }
}
