//! `matmul`: the blocked matrix multiplication (`benches/matmul.rs`:
//! `examples/matmul`'s Algorithm 2, and `gain::linalg::matmul_into` on the
//! same operands) at 1 and 2 ranks, the same program built with the `blas` feature (local
//! GEMMs in the system's OpenBLAS, one thread a rank), and NumPy's `a @ b`
//! (OpenBLAS dgemm, two threads). The 2-rank runs of both builds alternate
//! over `MATMUL_RUNS` rounds; their figures are medians.

use serde::Deserialize;

use crate::Result;
use crate::cargo::{Build, Target};
use crate::figures::Goal::AtLeast;
use crate::figures::{Figures, Spec, median, spec};
use crate::protocol::Records;
use crate::run::{Bench, system_openblas};

use super::scaling;

/// The figures of the `matmul` table, in table order, with their descriptions
/// and goals.
pub const SPECS: &[Spec] = &[
    spec(
        "matmul.gflops_1rank",
        "Algorithm 2 (owner computes), 1 rank",
        None,
    ),
    spec(
        "matmul.gflops_2rank",
        "the same, 2 ranks (median of the rounds)",
        None,
    ),
    spec(
        "matmul.linalg_gflops_2rank",
        "`gain::linalg::matmul_into`, same operands, 2 ranks",
        None,
    ),
    spec(
        "matmul.blas_gflops_2rank",
        "Algorithm 2 built with `--features blas`, 2 ranks",
        None,
    ),
    spec(
        "matmul.blas_linalg_gflops_2rank",
        "`matmul_into` built with `--features blas`, 2 ranks",
        None,
    ),
    spec(
        "matmul.openblas_gflops_2thread",
        "NumPy `a @ b` (OpenBLAS dgemm, 2 threads, best of 3)",
        None,
    ),
    spec(
        "matmul.gflops_2rank_vs_openblas",
        "Algorithm 2 ÷ NumPy",
        Some(AtLeast(0.85)),
    ),
    spec(
        "matmul.linalg_gflops_2rank_vs_openblas",
        "`matmul_into` ÷ NumPy",
        None,
    ),
    spec(
        "matmul.blas_gflops_2rank_vs_openblas",
        "Algorithm 2, `blas` build ÷ NumPy",
        None,
    ),
    spec(
        "matmul.blas_linalg_gflops_2rank_vs_openblas",
        "`matmul_into`, `blas` build ÷ NumPy",
        None,
    ),
];

/// The line `benches/matmul.rs` prints.
#[derive(Deserialize)]
struct Run {
    np: u32,
    #[serde(default)]
    blas: bool,
    gflops: f64,
    linalg_gflops: f64,
}

/// `matmul_numpy.py`'s line.
#[derive(Deserialize)]
struct Numpy {
    gflops: f64,
}

/// Builds both programs for this CPU and runs the rounds, then NumPy.
pub fn run(b: &mut Bench) -> Result<Figures> {
    let blocks = b.knob("MATMUL_BLOCKS", 8)?;
    let block_size = b.knob("MATMUL_BLOCK_SIZE", 512)?;
    let rounds = b.knob("MATMUL_RUNS", 3)?;
    let matmul = Target::Bench("matmul");
    let native = b.native();
    let exe = native.run(&[matmul])?.exe(matmul)?.to_path_buf();
    let blas = if system_openblas() {
        let build = Build {
            target_dir: native.target_dir.join("blas"),
            features: vec!["blas"],
            ..native
        };
        Some(build.run(&[matmul])?.exe(matmul)?.to_path_buf())
    } else {
        println!("bench: no system OpenBLAS (libopenblas-dev); the blas-feature rows are skipped");
        None
    };
    let args = [
        "--blocks".to_string(),
        blocks.to_string(),
        "--block-size".into(),
        block_size.to_string(),
    ];
    b.launch(1, &[], &exe, &args)?;
    for _ in 0..rounds.max(1) {
        b.launch(2, &[], &exe, &args)?;
        if let Some(blas) = &blas {
            b.launch(2, &[], blas, &args)?;
        }
    }
    b.peer("matmul_numpy.py", &[(blocks * block_size).to_string()])?;
    scaling(b, "matmul")?;
    figures(&b.records)
}

fn figures(r: &Records) -> Result<Figures> {
    let runs: Vec<Run> = r.all("matmul")?;
    let at = |np: u32, blas: bool| runs.iter().filter(move |x| x.np == np && x.blas == blas);
    let mut f = Figures::new(SPECS);
    f.add(
        "matmul.gflops_1rank",
        median(at(1, false).map(|x| x.gflops)),
    )?;
    let g2 = f.add(
        "matmul.gflops_2rank",
        median(at(2, false).map(|x| x.gflops)),
    )?;
    let l2 = f.add(
        "matmul.linalg_gflops_2rank",
        median(at(2, false).map(|x| x.linalg_gflops)),
    )?;
    let mut blas = None;
    if at(2, true).next().is_some() {
        let b2 = f.add(
            "matmul.blas_gflops_2rank",
            median(at(2, true).map(|x| x.gflops)),
        )?;
        let bl2 = f.add(
            "matmul.blas_linalg_gflops_2rank",
            median(at(2, true).map(|x| x.linalg_gflops)),
        )?;
        blas = Some((b2, bl2));
    }
    if let Some(numpy) = r.last::<Numpy>("matmul_numpy")? {
        let o = f.add("matmul.openblas_gflops_2thread", Ok(numpy.gflops))?;
        f.add("matmul.gflops_2rank_vs_openblas", Ok(g2 / o))?;
        f.add("matmul.linalg_gflops_2rank_vs_openblas", Ok(l2 / o))?;
        if let Some((b2, bl2)) = blas {
            f.add("matmul.blas_gflops_2rank_vs_openblas", Ok(b2 / o))?;
            f.add("matmul.blas_linalg_gflops_2rank_vs_openblas", Ok(bl2 / o))?;
        }
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"BENCH {"program":"matmul","np":1,"n":4096,"blas":false,"seconds":4.27,"gflops":32.1,"linalg_seconds":4.1,"linalg_gflops":33.5}
BENCH {"program":"matmul","np":2,"n":4096,"blas":false,"seconds":2.2,"gflops":62.0,"linalg_seconds":2.1,"linalg_gflops":66.0}
BENCH {"program":"matmul","np":2,"n":4096,"blas":true,"seconds":2.1,"gflops":65.0,"linalg_seconds":2.0,"linalg_gflops":67.0}
BENCH {"program":"matmul","np":2,"n":4096,"blas":false,"seconds":2.1,"gflops":64.0,"linalg_seconds":2.0,"linalg_gflops":67.0}
BENCH {"program":"matmul","np":2,"n":4096,"blas":true,"seconds":2.0,"gflops":66.0,"linalg_seconds":2.0,"linalg_gflops":68.0}
BENCH {"program": "matmul_numpy", "seconds": 1.97, "gflops": 70.0, "threads": 2, "blas": "scipy-openblas"}
"#;

    #[test]
    fn medians_and_ratios_per_build() {
        let f = figures(&Records::from_lines(SAMPLE).unwrap()).unwrap();
        assert_eq!(f.get("matmul.gflops_1rank"), Some(32.1));
        assert_eq!(f.get("matmul.gflops_2rank"), Some(63.0));
        assert_eq!(f.get("matmul.blas_gflops_2rank"), Some(65.5));
        assert_eq!(f.get("matmul.gflops_2rank_vs_openblas"), Some(0.9));
        assert_eq!(
            f.get("matmul.blas_linalg_gflops_2rank_vs_openblas"),
            Some(67.5 / 70.0)
        );
        assert_eq!(f.0.len(), 10);
    }

    #[test]
    fn without_blas_or_numpy() {
        let plain: String = SAMPLE
            .lines()
            .filter(|l| !l.contains("\"blas\":true") && !l.contains("numpy"))
            .map(|l| format!("{l}\n"))
            .collect();
        let f = figures(&Records::from_lines(&plain).unwrap()).unwrap();
        assert_eq!(f.0.len(), 3);
    }
}
