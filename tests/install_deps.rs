//! `scripts/install-deps --dry-run` decides from the package database
//! alone: with a stand-in `dpkg-query` and `dpkg` on `PATH` that report
//! nothing installed, it must list every Debian package that the README's
//! two commands need (`scripts/run-example` asks for `openmpi`,
//! `scripts/test` for `all`; `iproute2` and `util-linux` for the
//! multi-host bed, `scripts/hosts`), and install nothing.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

const COMMON: &[&str] = &[
    "build-essential",
    "pkg-config",
    "libclang-dev",
    "python3-numpy",
    "iproute2",
    "util-linux",
];
const OPENMPI: &[&str] = &["libopenmpi-dev", "openmpi-bin", "libopenblas-dev"];
const MPICH: &[&str] = &["libmpich-dev", "mpich"];

/// A directory holding `dpkg-query` and `dpkg` stand-ins that print
/// nothing and fail, as on a machine where no package is installed.
fn empty_package_database() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gain-stub-dpkg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for name in ["dpkg-query", "dpkg"] {
        let path = dir.join(name);
        std::fs::write(&path, "#!/bin/sh\nexit 1\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    dir
}

fn dry_run(stub: &Path, which: &str) -> BTreeSet<String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/install-deps");
    let path = format!("{}:{}", stub.display(), std::env::var("PATH").unwrap());
    let out = Command::new(&script)
        .args(["--dry-run", which])
        .env("PATH", path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "install-deps --dry-run {which} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<_> = text.lines().map(str::to_owned).collect();
    let set: BTreeSet<_> = lines.iter().cloned().collect();
    assert_eq!(set.len(), lines.len(), "a package listed twice: {lines:?}");
    set
}

fn expected(groups: &[&[&str]]) -> BTreeSet<String> {
    groups
        .iter()
        .flat_map(|g| g.iter().map(|s| s.to_string()))
        .collect()
}

#[test]
fn dry_run_lists_every_package_on_an_empty_machine() {
    let stub = empty_package_database();
    assert_eq!(dry_run(&stub, "openmpi"), expected(&[COMMON, OPENMPI]));
    assert_eq!(dry_run(&stub, "mpich"), expected(&[COMMON, MPICH]));
    assert_eq!(dry_run(&stub, "all"), expected(&[COMMON, OPENMPI, MPICH]));
    std::fs::remove_dir_all(stub).unwrap();
}

#[test]
fn dry_run_rejects_an_unknown_implementation() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/install-deps");
    let out = Command::new(script)
        .args(["--dry-run", "lam"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
