//! The suites. Each has a `run`, which builds its programs and runs them
//! beside their baselines, and a pure `figures`, which computes its figures
//! from the records (tested on recorded lines).

use std::path::Path;

use serde::Deserialize;

use crate::Result;
use crate::figures::{Spec, median};
use crate::protocol::Records;
use crate::report::{Report, today, update_scaling};
use crate::run::{Bench, Mpi, OUT_DIR, imports, venv_python};

mod cost;
mod criterion;
mod faults;
mod hosts;
mod hybrid;
mod io;
mod kmeans;
mod matmul;
mod numpy;
mod onesided;
mod rma;
mod shared_sum;

/// The suites one can name, each its own outputs and table.
pub const SUITES: &[&str] = &[
    "rma",
    "local",
    "kernels",
    "kmeans",
    "matmul",
    "shared_sum",
    "numpy",
    "faults",
    "io",
    "hybrid",
    "hosts",
    "onesided",
    "cost",
];

/// What a name on the command line runs: a suite, `apps` (the three
/// application suites, then the scaling plot) or `all` (every suite).
/// `plot` stands for drawing the plot alone.
pub fn expand(name: &str) -> Option<Vec<&'static str>> {
    match name {
        "apps" => Some(vec!["kmeans", "matmul", "shared_sum", "plot"]),
        "all" => Some(vec![
            "rma",
            "local",
            "kernels",
            "numpy",
            "kmeans",
            "matmul",
            "shared_sum",
            "faults",
            "io",
            "hybrid",
            "plot",
        ]),
        "plot" => Some(vec!["plot"]),
        _ => SUITES.iter().find(|s| **s == name).map(|s| vec![*s]),
    }
}

/// The figures suite `suite`'s table shows, in table order, with their
/// descriptions and goals (none for a name that is no suite).
pub fn specs(suite: &str) -> &'static [Spec] {
    match suite {
        "rma" => rma::SPECS,
        "local" => criterion::LOCAL_SPECS,
        "kernels" => criterion::KERNELS_SPECS,
        "kmeans" => kmeans::SPECS,
        "matmul" => matmul::SPECS,
        "shared_sum" => shared_sum::SPECS,
        "numpy" => numpy::SPECS,
        "faults" => faults::SPECS,
        "io" => io::SPECS,
        "hybrid" => hybrid::SPECS,
        "hosts" => hosts::SPECS,
        "onesided" => onesided::SPECS,
        "cost" => cost::SPECS,
        _ => &[],
    }
}

/// Runs `suite` and writes its outputs (see [`Report::write`]).
pub fn run(suite: &'static str, mpi: Mpi) -> Result<()> {
    if suite == "plot" {
        return plot(mpi);
    }
    let mut b = Bench::new(suite, mpi)?;
    let figures = match suite {
        "rma" => rma::run(&mut b)?,
        "local" => criterion::local(&mut b)?,
        "kernels" => criterion::kernels(&mut b)?,
        "kmeans" => kmeans::run(&mut b)?,
        "matmul" => matmul::run(&mut b)?,
        "shared_sum" => shared_sum::run(&mut b)?,
        "numpy" => numpy::run(&mut b)?,
        "faults" => faults::run(&mut b)?,
        "io" => io::run(&mut b)?,
        "hybrid" => hybrid::run(&mut b)?,
        "hosts" => hosts::run(&mut b)?,
        "onesided" => onesided::run(&mut b)?,
        "cost" => cost::run(&mut b)?,
        other => return Err(format!("no suite {other}").into()),
    };
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let report = Report {
        suite: suite.to_string(),
        output: b.output(),
        command: b.command(),
        date: today(),
        machine: format!(
            "{cores} cores, {}, {}",
            std::env::consts::ARCH,
            mpi.version()?
        ),
        figures: figures.0,
        records: b.records.0,
    };
    report.write()
}

/// A memory probe's reading (`benches/probe.rs`).
#[derive(Deserialize)]
struct Probe {
    mode: String,
    gbytes_per_s: Option<f64>,
}

/// The GB/s of every probe run in `mode` (`read`, `triad`), in order.
fn probe_readings(r: &Records, mode: &str) -> Result<Vec<f64>> {
    Ok(r.all::<Probe>("probe")?
        .into_iter()
        .filter(|p| p.mode == mode)
        .filter_map(|p| p.gbytes_per_s)
        .collect())
}

/// The scaling table's file for `mpi`.
fn scaling_path(mpi: Mpi) -> String {
    format!("{OUT_DIR}/scaling{}.tsv", mpi.suffix())
}

/// Puts `program`'s median time at 1 and 2 ranks into the scaling table
/// the plot is drawn from (the default build's runs: `blas` builds left
/// out).
fn scaling(b: &Bench, program: &str) -> Result<()> {
    #[derive(Deserialize)]
    struct Timed {
        np: u32,
        seconds: f64,
        #[serde(default)]
        blas: bool,
    }
    let runs: Vec<Timed> = b.records.all(program)?;
    let mut rows = Vec::new();
    for np in [1, 2] {
        let at = runs.iter().filter(|r| r.np == np && !r.blas);
        rows.push((np, median(at.map(|r| r.seconds))?));
    }
    update_scaling(Path::new(&scaling_path(b.mpi)), program, &rows)
}

/// Draws the scaling table as `target/bench/scaling.png` (time against
/// rank count, `benches/peers/plot_scaling.py`), when matplotlib is there.
fn plot(mpi: Mpi) -> Result<()> {
    let tsv = scaling_path(mpi);
    if !Path::new(&tsv).exists() {
        println!("bench: no {tsv} (the application suites write it); no plot");
        return Ok(());
    }
    let python = venv_python().filter(|p| imports(p, "matplotlib"));
    let Some(python) = python else {
        println!("bench: no matplotlib in {OUT_DIR}/venv; no plot");
        return Ok(());
    };
    let png = tsv.replace(".tsv", ".png");
    let status = std::process::Command::new(python)
        .args(["benches/peers/plot_scaling.py", &tsv, &png])
        .status()?;
    if !status.success() {
        return Err(format!("plot_scaling.py failed ({status})").into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_suite_has_a_table_and_its_names_are_unique() {
        let all: Vec<&Spec> = SUITES.iter().flat_map(|s| specs(s)).collect();
        for s in SUITES {
            assert!(!specs(s).is_empty(), "{s} declares no figures");
        }
        for (i, s) in all.iter().enumerate() {
            assert!(
                all[..i].iter().all(|t| t.name != s.name),
                "{} twice",
                s.name
            );
        }
    }
}
