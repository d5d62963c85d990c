//! `hybrid`: ranks × threads. Each program runs at 2 ranks × 1 thread, at
//! 1 rank × 2 threads and at 1 rank × 1 thread, the three alternating run
//! by run, at the sizes of the suites that run it alone: `elementwise`
//! (`benches/elementwise.rs`), `laplace` and `distmap` (`benches/laplace.rs`
//! and `benches/distmap.rs`, timing the examples' code), `kmeans`
//! (`benches/kmeans.rs`), `matmul` (`benches/matmul.rs`, the example's
//! Algorithm 2) and `sum` (`benches/shared_sum.rs --style numpy`: the NumPy
//! layer's `a.sum()`, a reduction folding tiles on the rank's threads).
//!
//! The 2-rank runs launch as the other suites do (Open MPI binds each of
//! the two ranks to a core, MPICH binds nothing); the 1-rank runs launch as
//! gain::guide::threads does, one rank bound to both cores
//! (`--map-by ppr:1:node:pe=2`, `-bind-to core:2`). `GAIN_THREADS` sets
//! the pool each time, and every program reports the `threads` it ran with,
//! which the figures select on. Per program, with medians over the runs:
//! `<name>_1rank2threads_vs_2ranks` = time at 2 ranks ÷ time at 1 rank × 2
//! threads, and `<name>_2threads_vs_1thread` = time at 1 rank × 1 thread ÷
//! time at 1 rank × 2 threads.

use serde::Deserialize;

use crate::Result;
use crate::cargo::Target;
use crate::figures::Goal::AtLeast;
use crate::figures::{Figures, Spec, median, spec};
use crate::protocol::Records;
use crate::run::Bench;

/// The figures of the `hybrid` table, in table order, with their descriptions
/// and goals: each program at 2 ranks x 1 thread, 1 rank x 2 threads and 1
/// rank x 1 thread, alternating (its times at 2 ranks and 1 thread go to the
/// JSON only).
pub const SPECS: &[Spec] = &[
    spec(
        "elementwise.seconds_1rank_2threads",
        "`c = a*b + c` on 2^26 `f64` (`gain::numpy::Zip`), 1 rank × 2 threads (median)",
        None,
    ),
    spec(
        "elementwise_1rank2threads_vs_2ranks",
        "time at 2 ranks × 1 thread ÷ time at 1 rank × 2 threads",
        Some(AtLeast(0.95)),
    ),
    spec(
        "elementwise_2threads_vs_1thread",
        "time at 1 rank × 1 thread ÷ time at 1 rank × 2 threads",
        None,
    ),
    spec(
        "laplace.seconds_1rank_2threads",
        "`examples/laplace`, N = 4000, 100 sweeps (one fused `Zip`), 1 rank × 2 threads (median)",
        None,
    ),
    spec(
        "laplace_1rank2threads_vs_2ranks",
        "time at 2 ranks × 1 thread ÷ time at 1 rank × 2 threads",
        Some(AtLeast(0.95)),
    ),
    spec(
        "laplace_2threads_vs_1thread",
        "time at 1 rank × 1 thread ÷ time at 1 rank × 2 threads",
        None,
    ),
    spec(
        "distmap.seconds_1rank_2threads",
        "`examples/distmap`, N = 2000, 40 points, 1 rank × 2 threads (median)",
        None,
    ),
    spec(
        "distmap_1rank2threads_vs_2ranks",
        "time at 2 ranks × 1 thread ÷ time at 1 rank × 2 threads",
        Some(AtLeast(0.95)),
    ),
    spec(
        "distmap_2threads_vs_1thread",
        "time at 1 rank × 1 thread ÷ time at 1 rank × 2 threads",
        Some(AtLeast(1.8)),
    ),
    spec(
        "kmeans.seconds_1rank_2threads",
        "`benches/kmeans.rs`, 4194304 points × 64 dims, 4 centers, 20 iterations, 1 rank × 2 threads (median)",
        None,
    ),
    spec(
        "kmeans_1rank2threads_vs_2ranks",
        "time at 2 ranks × 1 thread ÷ time at 1 rank × 2 threads",
        Some(AtLeast(0.95)),
    ),
    spec(
        "kmeans_2threads_vs_1thread",
        "time at 1 rank × 1 thread ÷ time at 1 rank × 2 threads",
        None,
    ),
    spec(
        "matmul.seconds_1rank_2threads",
        "`examples/matmul`, Algorithm 2, 8 × 8 blocks of 512, 1 rank × 2 threads (median)",
        None,
    ),
    spec(
        "matmul_1rank2threads_vs_2ranks",
        "time at 2 ranks × 1 thread ÷ time at 1 rank × 2 threads",
        Some(AtLeast(0.95)),
    ),
    spec(
        "matmul_2threads_vs_1thread",
        "time at 1 rank × 1 thread ÷ time at 1 rank × 2 threads",
        Some(AtLeast(1.8)),
    ),
    spec(
        "sum.seconds_1rank_2threads",
        "`examples/shared_sum --style numpy`: `a.sum()` of 1.536 GB, 1 rank × 2 threads (median)",
        None,
    ),
    spec(
        "sum_1rank2threads_vs_2ranks",
        "time at 2 ranks × 1 thread ÷ time at 1 rank × 2 threads",
        Some(AtLeast(0.95)),
    ),
    spec(
        "sum_2threads_vs_1thread",
        "time at 1 rank × 1 thread ÷ time at 1 rank × 2 threads",
        None,
    ),
];

/// The programs in table order: the figures' prefix and the `program`
/// field of their `BENCH` lines.
const PROGRAMS: [(&str, &str); 6] = [
    ("elementwise", "elementwise"),
    ("laplace", "laplace"),
    ("distmap", "distmap"),
    ("kmeans", "kmeans"),
    ("matmul", "matmul"),
    ("sum", "shared_sum"),
];

/// A layout: ranks and threads per rank.
#[derive(Clone, Copy, PartialEq, Debug)]
struct Layout {
    np: u32,
    threads: u32,
}

/// The layouts, in the order each round runs them.
const LAYOUTS: [Layout; 3] = [
    Layout { np: 2, threads: 1 },
    Layout { np: 1, threads: 2 },
    Layout { np: 1, threads: 1 },
];

/// What the figures read of any program's `BENCH` line.
#[derive(Deserialize)]
struct Timed {
    np: u32,
    threads: u32,
    seconds: f64,
}

/// Builds the six programs for this CPU and runs the rounds.
pub fn run(b: &mut Bench) -> Result<Figures> {
    let runs = b.knob("HYBRID_RUNS", 3)?.max(1);
    let args: [Vec<String>; 6] = [
        vec!["--log2".into(), b.knob("ELEMENTWISE_LOG2", 26)?.to_string()],
        vec![
            "--n".into(),
            b.knob("LAPLACE_N", 4000)?.to_string(),
            "--iters".into(),
            b.knob("LAPLACE_ITERS", 100)?.to_string(),
        ],
        vec![
            "--n".into(),
            b.knob("DISTMAP_N", 2000)?.to_string(),
            "--points".into(),
            b.knob("DISTMAP_POINTS", 40)?.to_string(),
        ],
        vec![
            "--points".into(),
            b.knob("KMEANS_POINTS", 4_194_304)?.to_string(),
            "--dims".into(),
            b.knob("KMEANS_DIMS", 64)?.to_string(),
            "--centers".into(),
            b.knob("KMEANS_CENTERS", 4)?.to_string(),
            "--iters".into(),
            b.knob("KMEANS_ITERS", 20)?.to_string(),
            "--seed".into(),
            "0".into(),
        ],
        vec![
            "--blocks".into(),
            b.knob("MATMUL_BLOCKS", 8)?.to_string(),
            "--block-size".into(),
            b.knob("MATMUL_BLOCK_SIZE", 512)?.to_string(),
        ],
        vec![
            "--mbytes".into(),
            b.knob("SHARED_SUM_MBYTES", 1536)?.to_string(),
            "--style".into(),
            "numpy".into(),
        ],
    ];
    let targets = [
        Target::Bench("elementwise"),
        Target::Bench("laplace"),
        Target::Bench("distmap"),
        Target::Bench("kmeans"),
        Target::Bench("matmul"),
        Target::Bench("shared_sum"),
    ];
    let built = b.native().run(&targets)?;
    let exes = targets
        .iter()
        .map(|t| built.exe(*t).map(|p| p.to_path_buf()))
        .collect::<Result<Vec<_>>>()?;
    for (exe, args) in exes.iter().zip(&args) {
        for _ in 0..runs {
            for l in LAYOUTS {
                let threads = l.threads.to_string();
                let env = [("GAIN_THREADS", threads.as_str())];
                let place = if l.np == 1 {
                    b.mpi.one_rank_with_cores(2)
                } else {
                    Vec::new()
                };
                b.launch_with(l.np, &place, &env, exe, args)?;
            }
        }
    }
    figures(&b.records)
}

/// The median time of `program` at `layout` (the Algorithm 2 time for
/// matmul, the fused `Zip` for laplace: the runs above print only those).
fn seconds(r: &Records, program: &str, layout: Layout) -> Result<f64> {
    let runs: Vec<Timed> = r.all(program)?;
    median(
        runs.iter()
            .filter(|x| x.np == layout.np && x.threads == layout.threads)
            .map(|x| x.seconds),
    )
    .map_err(|e| format!("{program} at {layout:?}: {e}").into())
}

fn figures(r: &Records) -> Result<Figures> {
    let mut f = Figures::new(SPECS);
    for (name, program) in PROGRAMS {
        let [ranks2, threads2, single] = LAYOUTS.map(|l| seconds(r, program, l));
        let (ranks2, threads2, single) = (ranks2?, threads2?, single?);
        f.add(&format!("{name}.seconds_2ranks"), Ok(ranks2))?;
        f.add(&format!("{name}.seconds_1rank_2threads"), Ok(threads2))?;
        f.add(&format!("{name}.seconds_1rank_1thread"), Ok(single))?;
        f.add(
            &format!("{name}_1rank2threads_vs_2ranks"),
            Ok(ranks2 / threads2),
        )?;
        f.add(
            &format!("{name}_2threads_vs_1thread"),
            Ok(single / threads2),
        )?;
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One round of each program, two for distmap (medians of two).
    fn sample() -> String {
        let mut s = String::new();
        let mut line = |program: &str, np: u32, threads: u32, seconds: f64| {
            s += &format!(
                "BENCH {{\"program\":\"{program}\",\"np\":{np},\"threads\":{threads},\"seconds\":{seconds}}}\n"
            );
        };
        for (_, program) in PROGRAMS {
            line(program, 2, 1, 1.0);
            line(program, 1, 2, 1.25);
            line(program, 1, 1, 2.0);
        }
        line("distmap", 2, 1, 3.0);
        line("distmap", 1, 2, 1.75);
        line("distmap", 1, 1, 3.0);
        s
    }

    #[test]
    fn ratios_over_the_layouts() {
        let f = figures(&Records::from_lines(&sample()).unwrap()).unwrap();
        let v = |n: &str| f.get(n).unwrap_or_else(|| panic!("no {n}"));
        assert_eq!(v("sum.seconds_2ranks"), 1.0);
        assert_eq!(v("sum_1rank2threads_vs_2ranks"), 1.0 / 1.25);
        assert_eq!(v("sum_2threads_vs_1thread"), 2.0 / 1.25);
        // distmap: medians of (1, 3), (1.25, 1.75), (2, 3).
        assert_eq!(v("distmap.seconds_1rank_2threads"), 1.5);
        assert_eq!(v("distmap_1rank2threads_vs_2ranks"), 2.0 / 1.5);
        assert_eq!(v("distmap_2threads_vs_1thread"), 2.5 / 1.5);
        assert_eq!(f.0.len(), 30);
        // The goals come from the table.
        let goal = |n: &str| f.0.iter().find(|x| x.name == n).unwrap().goal.clone();
        assert_eq!(
            goal("kmeans_1rank2threads_vs_2ranks").as_deref(),
            Some("≥ 0.95")
        );
        assert_eq!(goal("matmul_2threads_vs_1thread").as_deref(), Some("≥ 1.8"));
        assert_eq!(goal("kmeans_2threads_vs_1thread"), None);
    }

    #[test]
    fn a_missing_layout_is_an_error() {
        let text: String = sample()
            .lines()
            .filter(|l| !(l.contains("\"matmul\"") && l.contains("\"threads\":2")))
            .map(|l| format!("{l}\n"))
            .collect();
        let e = figures(&Records::from_lines(&text).unwrap()).unwrap_err();
        assert!(e.to_string().contains("matmul at"), "{e}");
    }
}
