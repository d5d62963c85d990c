//! `shared_sum`: a 1.5 GB array in node shared memory summed through the
//! ranks' zero-copy blocks and one `MPI_Allreduce` (`benches/shared_sum.rs`
//! timing `examples/shared_sum`'s sum: the benchmark of the blog post
//! "Sharing big NumPy arrays across python processes"), at 1 and 2 ranks, between two runs of the read probe, and
//! NumPy's `x.sum()` in one process.

use serde::Deserialize;

use crate::Result;
use crate::cargo::Target;
use crate::figures::Goal::AtLeast;
use crate::figures::{Figures, Spec, highest, median, spec};
use crate::protocol::Records;
use crate::run::Bench;

use super::{probe_readings, scaling};

/// The figures of the `shared_sum` table, in table order, with their
/// descriptions and goals.
pub const SPECS: &[Spec] = &[
    spec(
        "shared_sum.seconds_1rank",
        "zero-copy block sums and one `MPI_Allreduce`, 1 rank (best of 10)",
        None,
    ),
    spec("shared_sum.seconds_2rank", "the same, 2 ranks", None),
    spec(
        "shared_sum.gbytes_per_s_2rank",
        "the same, bytes per second",
        None,
    ),
    spec(
        "shared_sum.read_bandwidth_probe_gbytes_per_s",
        "two-thread read probe, the better of before and after",
        None,
    ),
    spec(
        "shared_sum.vs_bandwidth",
        "2 ranks ÷ the probe",
        Some(AtLeast(0.8)),
    ),
    spec(
        "shared_sum.blog_ray_4core_seconds",
        "the blog's best (Ray's object store, 4 cores), quoted",
        None,
    ),
    spec(
        "shared_sum.numpy_1process_seconds",
        "NumPy `x.sum()`, one process (best of 10)",
        None,
    ),
    spec(
        "shared_sum.speedup_vs_numpy",
        "NumPy time ÷ gain time at 2 ranks",
        None,
    ),
];

/// The blog's best time: Ray's object store on 4 cores, in seconds.
const BLOG_RAY_4CORE_SECONDS: f64 = 0.07;

/// The line `benches/shared_sum.rs` prints.
#[derive(Deserialize)]
struct Run {
    np: u32,
    seconds: f64,
    gbytes_per_s: f64,
}

/// `shared_sum_numpy.py`'s line.
#[derive(Deserialize)]
struct Numpy {
    seconds: f64,
}

/// Probe, 1 rank, 2 ranks, probe; then NumPy.
pub fn run(b: &mut Bench) -> Result<Figures> {
    let mbytes = b.knob("SHARED_SUM_MBYTES", 1536)?;
    let mib = b.knob("PROBE_MBYTES", 512)?;
    let (sum, probe) = (Target::Bench("shared_sum"), Target::Bench("probe"));
    let built = b.native().run(&[sum, probe])?;
    let (sum, probe) = (built.exe(sum)?, built.exe(probe)?);
    let args = ["--mbytes".to_string(), mbytes.to_string()];
    b.probe(probe, "read", mib)?;
    b.launch(1, &[], sum, &args)?;
    b.launch(2, &[], sum, &args)?;
    b.probe(probe, "read", mib)?;
    b.peer("shared_sum_numpy.py", &[mbytes.to_string()])?;
    scaling(b, "shared_sum")?;
    figures(&b.records)
}

fn figures(r: &Records) -> Result<Figures> {
    let runs: Vec<Run> = r.all("shared_sum")?;
    let at = |np: u32| runs.iter().filter(move |x| x.np == np);
    let mut f = Figures::new(SPECS);
    f.add("shared_sum.seconds_1rank", median(at(1).map(|x| x.seconds)))?;
    let s2 = f.add("shared_sum.seconds_2rank", median(at(2).map(|x| x.seconds)))?;
    let g2 = f.add(
        "shared_sum.gbytes_per_s_2rank",
        median(at(2).map(|x| x.gbytes_per_s)),
    )?;
    let bw = f.add(
        "shared_sum.read_bandwidth_probe_gbytes_per_s",
        highest(probe_readings(r, "read")?),
    )?;
    f.add("shared_sum.vs_bandwidth", Ok(g2 / bw))?;
    f.add(
        "shared_sum.blog_ray_4core_seconds",
        Ok(BLOG_RAY_4CORE_SECONDS),
    )?;
    if let Some(numpy) = r.last::<Numpy>("shared_sum_numpy")? {
        f.add("shared_sum.numpy_1process_seconds", Ok(numpy.seconds))?;
        f.add("shared_sum.speedup_vs_numpy", Ok(numpy.seconds / s2))?;
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn against_the_better_probe() {
        let r = Records::from_lines(
            r#"BENCH {"program":"probe","mode":"read","threads":2,"mib_per_thread":512,"gbytes_per_s":51.5,"median_gbytes_per_s":50.0}
BENCH {"program":"shared_sum","np":1,"mbytes":1536,"seconds":0.058,"gbytes_per_s":26.4}
BENCH {"program":"shared_sum","np":2,"mbytes":1536,"seconds":0.0471,"gbytes_per_s":32.6}
BENCH {"program":"probe","mode":"read","threads":2,"mib_per_thread":512,"gbytes_per_s":32.0,"median_gbytes_per_s":31.0}
BENCH {"program": "shared_sum_numpy", "seconds": 0.053, "gbytes_per_s": 28.9, "sum": 767232000.0}
"#,
        )
        .unwrap();
        let f = figures(&r).unwrap();
        assert_eq!(
            f.get("shared_sum.read_bandwidth_probe_gbytes_per_s"),
            Some(51.5)
        );
        assert_eq!(f.get("shared_sum.vs_bandwidth"), Some(32.6 / 51.5));
        assert_eq!(f.get("shared_sum.speedup_vs_numpy"), Some(0.053 / 0.0471));
        assert_eq!(f.0.len(), 8);
    }
}
