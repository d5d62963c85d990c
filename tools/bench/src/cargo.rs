//! Building the benchmarked programs with cargo and finding their
//! executables in its `--message-format=json` output.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::Deserialize;

use crate::Result;

/// A program to build: a `harness = false` bench target (the examples'
/// measurements are benches that include the example, so the runner
/// builds no examples).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// A `[[bench]]` target of the library.
    Bench(&'static str),
}

impl Target {
    /// Cargo's kind for the target, as its messages name it.
    fn kind(self) -> &'static str {
        match self {
            Target::Bench(_) => "bench",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Target::Bench(n) => n,
        }
    }
}

/// How to build: where, for which CPU, with which features.
#[derive(Debug, Clone)]
pub struct Build {
    /// `CARGO_TARGET_DIR` for the build.
    pub target_dir: PathBuf,
    /// `-C target-cpu=native` (the application suites and the kernels).
    pub native: bool,
    /// Cargo features of the library (`blas`).
    pub features: Vec<&'static str>,
    /// `MPICC` for gain's build script (which MPI to build against).
    pub mpicc: &'static str,
}

/// The executables one build produced, by target.
#[derive(Debug, Default)]
pub struct Artifacts(HashMap<(String, String), PathBuf>);

impl Artifacts {
    /// The executable of `target`.
    pub fn exe(&self, target: Target) -> Result<&Path> {
        self.0
            .get(&(target.kind().to_string(), target.name().to_string()))
            .map(PathBuf::as_path)
            .ok_or_else(|| format!("cargo named no executable for {target:?}").into())
    }
}

impl Build {
    /// Builds `targets` in release mode and returns their executables, as
    /// cargo reports them (fresh or rebuilt alike). Diagnostics and
    /// progress go to the terminal.
    pub fn run(&self, targets: &[Target]) -> Result<Artifacts> {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args([
            "build",
            "--release",
            "--message-format=json-render-diagnostics",
        ])
        .env("CARGO_TARGET_DIR", &self.target_dir)
        .env("MPICC", self.mpicc)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
        if self.native {
            cmd.env("RUSTFLAGS", "-C target-cpu=native");
        }
        if !self.features.is_empty() {
            cmd.args(["--features", &self.features.join(",")]);
        }
        for t in targets {
            cmd.args([format!("--{}", t.kind()), t.name().to_string()]);
        }
        println!("bench: $ {}", crate::run::show(&cmd));
        let out = cmd.output()?;
        if !out.status.success() {
            return Err(format!("cargo build failed ({})", out.status).into());
        }
        let artifacts = parse_artifacts(&String::from_utf8_lossy(&out.stdout))?;
        for t in targets {
            artifacts.exe(*t)?;
        }
        Ok(artifacts)
    }
}

/// The executables named by the `compiler-artifact` messages of cargo's
/// JSON output (one message a line; other lines and reasons are skipped).
pub fn parse_artifacts(stdout: &str) -> Result<Artifacts> {
    #[derive(Deserialize)]
    struct Message {
        reason: String,
        target: Option<TargetInfo>,
        executable: Option<PathBuf>,
    }
    #[derive(Deserialize)]
    struct TargetInfo {
        name: String,
        kind: Vec<String>,
    }
    let mut found = Artifacts::default();
    for line in stdout.lines().filter(|l| l.starts_with('{')) {
        let m: Message = serde_json::from_str(line)?;
        if m.reason != "compiler-artifact" {
            continue;
        }
        if let (Some(t), Some(exe)) = (m.target, m.executable) {
            for kind in t.kind {
                found.0.insert((kind, t.name.clone()), exe.clone());
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn executables_from_cargo_messages() {
        // Shortened from `cargo build --message-format=json`: the library
        // (no executable), a bench, an example, the end of the build.
        let out = r#"{"reason":"compiler-artifact","package_id":"path+file:///w#gain@0.1.0","target":{"kind":["lib"],"crate_types":["lib"],"name":"gain","src_path":"/w/src/lib.rs"},"executable":null,"fresh":true}
{"reason":"build-script-executed","package_id":"path+file:///w#gain@0.1.0","out_dir":"/w/target/release/build/gain-1/out"}
{"reason":"compiler-artifact","target":{"kind":["bench"],"crate_types":["bin"],"name":"probe","src_path":"/w/benches/probe.rs"},"executable":"/w/target/native/release/deps/probe-0123abcd","fresh":false}
{"reason":"compiler-artifact","target":{"kind":["example"],"crate_types":["bin"],"name":"matmul","src_path":"/w/examples/matmul.rs"},"executable":"/w/target/native/release/examples/matmul","fresh":true}
{"reason":"build-finished","success":true}"#;
        let a = parse_artifacts(out).unwrap();
        assert_eq!(
            a.exe(Target::Bench("probe")).unwrap(),
            Path::new("/w/target/native/release/deps/probe-0123abcd")
        );
        // An example of the same name is not the bench.
        assert!(a.exe(Target::Bench("matmul")).is_err());
        assert!(a.exe(Target::Bench("gain")).is_err());
    }
}
