//! `kmeans`: Lloyd's k-means (`benches/kmeans.rs`, Algorithm 1) at 1 and 2
//! ranks, against the two-thread read probe, the ranks' own read passes
//! (`--probe`), scikit-learn and a plain NumPy loop on the same data, init
//! and iteration count.
//!
//! Each rank count runs `KMEANS_RUNS` times, alternating, so that a noisy
//! moment decides no figure alone; times are medians. The probe runs before
//! the first run and after every run, so the bandwidth ratio compares like
//! with like: the best run against the best pass. The read passes are the
//! closer baseline: before every iteration each rank reads its own block
//! once with the probe's loop, between barriers, left out of the run's time.

use std::path::Path;

use serde::Deserialize;

use crate::Result;
use crate::cargo::Target;
use crate::figures::Goal::{AtLeast, Equals};
use crate::figures::{Figures, Spec, highest, median, spec};
use crate::protocol::Records;
use crate::run::Bench;

use super::{probe_readings, scaling};

/// The figures of the `kmeans` table, in table order, with their descriptions
/// and goals.
pub const SPECS: &[Spec] = &[
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
];

/// The line `benches/kmeans.rs` prints on rank 0 (fields the suite uses;
/// `iteration_ms` and `read_pass_ms` stay in the JSON's records).
#[derive(Deserialize)]
struct Run {
    np: u32,
    seconds: f64,
    points_gbytes_per_s: f64,
    fingerprint: String,
    centers_checksum: f64,
    read_pass_gbytes_per_s: Option<f64>,
    vs_read_pass: Option<f64>,
}

/// A Python peer's line (`kmeans_sklearn.py`, `kmeans_numpy.py`).
#[derive(Deserialize)]
struct Peer {
    seconds: f64,
    checksum: f64,
}

/// Builds the bench and the probe for this CPU, runs them alternating,
/// then the peers.
pub fn run(b: &mut Bench) -> Result<Figures> {
    let sizes = [
        ("--points", b.knob("KMEANS_POINTS", 4_194_304)?),
        ("--dims", b.knob("KMEANS_DIMS", 64)?),
        ("--centers", b.knob("KMEANS_CENTERS", 4)?),
        ("--iters", b.knob("KMEANS_ITERS", 20)?),
        ("--seed", 0),
    ];
    let runs = b.knob("KMEANS_RUNS", 3)?;
    let mib = b.knob("PROBE_MBYTES", 512)?;
    if !Path::new("benches/kmeans.rs").exists() {
        return Err("the kmeans suite runs benches/kmeans.rs (bench target `kmeans`), which this tree lacks".into());
    }
    let (kmeans, probe) = (Target::Bench("kmeans"), Target::Bench("probe"));
    let built = b.native().run(&[kmeans, probe])?;
    let (kmeans, probe) = (built.exe(kmeans)?, built.exe(probe)?);
    let mut args: Vec<String> = sizes
        .iter()
        .flat_map(|(k, v)| [k.to_string(), v.to_string()])
        .collect();
    args.push("--probe".into());
    b.probe(probe, "read", mib)?;
    for _ in 0..runs {
        for np in [1, 2] {
            b.launch(np, &[], kmeans, &args)?;
            b.probe(probe, "read", mib)?;
        }
    }
    // The peers take N d k iters seed.
    let peer_args: Vec<String> = sizes.iter().map(|(_, v)| v.to_string()).collect();
    b.peer("kmeans_sklearn.py", &peer_args)?;
    b.peer("kmeans_numpy.py", &peer_args)?;
    let all: Vec<Run> = b.records.all("kmeans")?;
    if all.iter().any(|r| r.fingerprint != all[0].fingerprint) {
        eprintln!(
            "bench: WARNING: k-means runs disagree on their results (fingerprints {:?}); they should be bit-identical",
            all.iter().map(|r| &r.fingerprint).collect::<Vec<_>>()
        );
    }
    scaling(b, "kmeans")?;
    figures(&b.records)
}

fn figures(r: &Records) -> Result<Figures> {
    let runs: Vec<Run> = r.all("kmeans")?;
    let at = |np: u32| runs.iter().filter(move |x| x.np == np);
    let mut f = Figures::new(SPECS);
    f.add("kmeans.seconds_1rank", median(at(1).map(|x| x.seconds)))?;
    let s2 = f.add("kmeans.seconds_2rank", median(at(2).map(|x| x.seconds)))?;
    let g2 = f.add(
        "kmeans.points_gbytes_per_s_2rank",
        highest(at(2).map(|x| x.points_gbytes_per_s)),
    )?;
    let bw = f.add(
        "kmeans.read_bandwidth_probe_gbytes_per_s",
        highest(probe_readings(r, "read")?),
    )?;
    f.add("kmeans.vs_bandwidth", Ok(g2 / bw))?;
    f.add(
        "kmeans.read_pass_gbytes_per_s_2rank",
        median(at(2).filter_map(|x| x.read_pass_gbytes_per_s)),
    )?;
    f.add(
        "kmeans.vs_read_pass",
        median(at(2).filter_map(|x| x.vs_read_pass)),
    )?;
    f.add(
        "kmeans.vs_read_pass_1rank",
        median(at(1).filter_map(|x| x.vs_read_pass)),
    )?;
    if let Some(sk) = r.last::<Peer>("kmeans_sklearn")? {
        f.add("kmeans.sklearn_seconds", Ok(sk.seconds))?;
        f.add("kmeans.speedup_vs_sklearn", Ok(sk.seconds / s2))?;
        // Equal to the 12 decimals both print: the same centers, up to
        // the order of the last additions.
        let gain = at(2)
            .next_back()
            .ok_or("no 2-rank k-means run")?
            .centers_checksum;
        let same = format!("{gain:.12}") == format!("{:.12}", sk.checksum);
        f.add(
            "kmeans.same_centers_as_sklearn",
            Ok(f64::from(u8::from(same))),
        )?;
    }
    if let Some(np) = r.last::<Peer>("kmeans_numpy")? {
        f.add("kmeans.numpy_seconds", Ok(np.seconds))?;
        f.add("kmeans.speedup_vs_numpy", Ok(np.seconds / s2))?;
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A suite's output as the programs print it: the probe, alternating
    /// 1- and 2-rank runs (the line `benches/kmeans.rs` prints with
    /// `--probe`, iteration arrays shortened), the peers.
    const SAMPLE: &str = r#"BENCH {"program":"probe","mode":"read","threads":2,"mib_per_thread":512,"gbytes_per_s":54.1,"median_gbytes_per_s":52.0}
k-means: 4194304 points, 64 dims, 4 centers, 1 ranks
BENCH {"program":"kmeans","np":1,"points":4194304,"dims":64,"centers":4,"iters":20,"seconds":2.10,"points_gbytes_per_s":20.4,"fingerprint":"09edfbefa1963b73","centers_checksum":31.970283117466,"iteration_ms":[140.2,101.5,99.8],"read_pass_ms":[80.1,79.9,81.0],"read_pass_gbytes_per_s":26.5,"vs_read_pass":0.77}
BENCH {"program":"probe","mode":"read","threads":2,"mib_per_thread":512,"gbytes_per_s":56.3,"median_gbytes_per_s":55.2}
BENCH {"program":"kmeans","np":2,"points":4194304,"dims":64,"centers":4,"iters":20,"seconds":0.93,"points_gbytes_per_s":45.1,"fingerprint":"09edfbefa1963b73","centers_checksum":31.970283117466,"iteration_ms":[80.1,50.2,44.9],"read_pass_ms":[40.3,41.0,40.2],"read_pass_gbytes_per_s":50.2,"vs_read_pass":0.9}
BENCH {"program":"probe","mode":"read","threads":2,"mib_per_thread":512,"gbytes_per_s":33.0,"median_gbytes_per_s":32.1}
BENCH {"program":"kmeans","np":1,"points":4194304,"dims":64,"centers":4,"iters":20,"seconds":2.20,"points_gbytes_per_s":19.5,"fingerprint":"09edfbefa1963b73","centers_checksum":31.970283117466,"iteration_ms":[150.0,105.1,104.2],"read_pass_ms":[82.0,81.2,80.9],"read_pass_gbytes_per_s":26.1,"vs_read_pass":0.75}
BENCH {"program":"probe","mode":"read","threads":2,"mib_per_thread":512,"gbytes_per_s":50.0,"median_gbytes_per_s":49.0}
BENCH {"program":"kmeans","np":2,"points":4194304,"dims":64,"centers":4,"iters":20,"seconds":1.20,"points_gbytes_per_s":35.8,"fingerprint":"09edfbefa1963b73","centers_checksum":31.970283117466,"iteration_ms":[90.0,60.5,58.8],"read_pass_ms":[60.1,61.3,59.9],"read_pass_gbytes_per_s":33.1,"vs_read_pass":0.86}
BENCH {"program":"probe","mode":"read","threads":2,"mib_per_thread":512,"gbytes_per_s":34.2,"median_gbytes_per_s":33.9}
BENCH {"program": "kmeans_sklearn", "seconds": 15.787656, "iters": 20, "threads": 2, "checksum": 31.970283117466003}
BENCH {"program": "kmeans_numpy", "seconds": 44.814193, "iters": 20, "threads": 2, "checksum": 31.97028311746}
"#;

    #[test]
    fn figures_from_a_recorded_run() {
        let f = figures(&Records::from_lines(SAMPLE).unwrap()).unwrap();
        let v = |n: &str| f.get(n).unwrap_or_else(|| panic!("no {n}"));
        assert!((v("kmeans.seconds_1rank") - 2.15).abs() < 1e-12);
        assert!((v("kmeans.seconds_2rank") - 1.065).abs() < 1e-12);
        assert_eq!(v("kmeans.points_gbytes_per_s_2rank"), 45.1);
        assert_eq!(v("kmeans.read_bandwidth_probe_gbytes_per_s"), 56.3);
        assert!((v("kmeans.vs_bandwidth") - 45.1 / 56.3).abs() < 1e-12);
        assert!((v("kmeans.read_pass_gbytes_per_s_2rank") - 41.65).abs() < 1e-12);
        assert!((v("kmeans.vs_read_pass") - 0.88).abs() < 1e-12);
        assert!((v("kmeans.vs_read_pass_1rank") - 0.76).abs() < 1e-12);
        assert!((v("kmeans.speedup_vs_sklearn") - 15.787656 / 1.065).abs() < 1e-9);
        assert!((v("kmeans.speedup_vs_numpy") - 44.814193 / 1.065).abs() < 1e-9);
        assert_eq!(v("kmeans.same_centers_as_sklearn"), 1.0);
        // Every figure is one the table shows.
        for fig in &f.0 {
            assert!(SPECS.iter().any(|s| s.name == fig.name), "{}", fig.name);
        }
        assert_eq!(f.0.len(), 13);
    }

    #[test]
    fn without_the_peers_their_rows_are_left_out() {
        let no_peers: String = SAMPLE
            .lines()
            .filter(|l| !l.contains("kmeans_"))
            .map(|l| format!("{l}\n"))
            .collect();
        let f = figures(&Records::from_lines(&no_peers).unwrap()).unwrap();
        assert_eq!(f.0.len(), 8);
        assert!(f.get("kmeans.speedup_vs_sklearn").is_none());
    }

    #[test]
    fn other_centers_are_reported() {
        let other = SAMPLE.replace("31.970283117466003", "31.9702831175");
        let f = figures(&Records::from_lines(&other).unwrap()).unwrap();
        assert_eq!(f.get("kmeans.same_centers_as_sklearn"), Some(0.0));
    }

    #[test]
    fn runs_without_read_passes_fail_by_name() {
        let no_probe: String = SAMPLE
            .lines()
            .map(|l| match l.find(",\"read_pass_ms\"") {
                Some(i) if l.contains("\"kmeans\"") => format!("{}}}\n", &l[..i]),
                _ => format!("{l}\n"),
            })
            .collect();
        let e = figures(&Records::from_lines(&no_probe).unwrap()).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("kmeans.read_pass_gbytes_per_s_2rank"),
            "{e}"
        );
    }
}
