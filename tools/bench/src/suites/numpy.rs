//! `numpy`: the NumPy layer. `c = a*b + c` through `gain::numpy::Zip`
//! (`benches/elementwise.rs`) at 1 and 2 ranks between two runs of a
//! two-thread STREAM triad, with ndarray's `Zip` alternating in the 1-rank
//! process; and the Laplace solver of `examples/laplace` (timed by
//! `benches/laplace.rs`) at 1 and 2 ranks, written as one fused `Zip` and
//! as operators on views, against a serial loop and perfpy's NumPy formula.

use serde::Deserialize;

use crate::Result;
use crate::cargo::Target;
use crate::figures::Goal::{AtLeast, AtMost, Equals};
use crate::figures::{Figures, Spec, highest, median, spec};
use crate::protocol::Records;
use crate::run::Bench;

use super::probe_readings;

/// The figures of the `numpy` table, in table order, with their descriptions
/// and goals.
pub const SPECS: &[Spec] = &[
    spec(
        "elementwise.gbytes_per_s_2rank",
        "`c = a*b + c` through `gain::numpy::Zip`, 2 ranks, 32 B an element",
        None,
    ),
    spec(
        "elementwise.stream_triad_2thread_gbytes_per_s",
        "two-thread STREAM triad, 24 B an element, the better of before and after",
        None,
    ),
    spec(
        "elementwise_2rank_vs_stream",
        "gain ÷ the triad, as the issue defines it",
        Some(AtLeast(0.85)),
    ),
    spec(
        "elementwise_2rank_vs_stream_dram_traffic",
        "the same with the triad's write-allocate counted (32 B)",
        None,
    ),
    spec(
        "elementwise.seconds_1rank",
        "gain, 1 rank (best of 10)",
        None,
    ),
    spec(
        "elementwise.ndarray_zip_seconds",
        "ndarray's `Zip`, same process, alternating with gain's",
        None,
    ),
    spec(
        "elementwise_1rank_vs_ndarray",
        "ndarray time ÷ gain time",
        Some(AtLeast(0.95)),
    ),
    spec(
        "laplace.seconds_1rank",
        "`examples/laplace`, one fused `Zip`, 1 rank",
        None,
    ),
    spec("laplace.seconds_2rank", "the same, 2 ranks", None),
    spec(
        "laplace.ops_style_seconds_2rank",
        "operators on views (`--style ops`), 2 ranks",
        None,
    ),
    spec(
        "laplace.serial_loop_seconds",
        "a serial hand-written loop, same sweeps (`--baseline`)",
        None,
    ),
    spec(
        "laplace_2rank_vs_serial_loop",
        "gain time at 2 ranks ÷ the serial loop's",
        Some(AtMost(1.0)),
    ),
    spec(
        "laplace.numpy_seconds",
        "perfpy's NumPy formula, with its `old_u = u.copy()`",
        None,
    ),
    spec(
        "laplace_speedup_vs_numpy",
        "NumPy time ÷ gain time at 2 ranks",
        Some(AtLeast(4.4)),
    ),
    spec(
        "laplace.same_error_as_numpy",
        "1 when NumPy's final error equals gain's to 1e-9",
        Some(Equals(1.0)),
    ),
];

/// The line `benches/elementwise.rs` prints (`ndarray_seconds` at 1 rank).
#[derive(Deserialize)]
struct Elementwise {
    np: u32,
    seconds: f64,
    gbytes_per_s: f64,
    ndarray_seconds: Option<f64>,
}

/// The line `benches/laplace.rs` prints.
#[derive(Deserialize)]
struct Laplace {
    np: u32,
    style: String,
    seconds: f64,
    error: f64,
}

/// The lines of `benches/laplace.rs --baseline` and `laplace_numpy.py`.
#[derive(Deserialize)]
struct Timed {
    seconds: f64,
    error: f64,
}

/// Runs both programs and their baselines.
pub fn run(b: &mut Bench) -> Result<Figures> {
    let log2 = b.knob("ELEMENTWISE_LOG2", 26)?;
    let n = b.knob("LAPLACE_N", 4000)?;
    let iters = b.knob("LAPLACE_ITERS", 100)?;
    let mib = b.knob("PROBE_MBYTES", 512)?;
    let (elementwise, laplace, probe) = (
        Target::Bench("elementwise"),
        Target::Bench("laplace"),
        Target::Bench("probe"),
    );
    let built = b.native().run(&[elementwise, laplace, probe])?;
    let (elementwise, laplace, probe) = (
        built.exe(elementwise)?,
        built.exe(laplace)?,
        built.exe(probe)?,
    );
    let args = ["--log2".to_string(), log2.to_string()];
    b.probe(probe, "triad", mib)?;
    // One thread a rank, so that 1 rank is one core beside ndarray's
    // serial `Zip` under either launcher (MPICH binds nothing; the
    // `hybrid` suite runs it on threads).
    let one = [("GAIN_THREADS", "1")];
    b.launch(1, &one, elementwise, &args)?;
    b.launch(2, &one, elementwise, &args)?;
    b.probe(probe, "triad", mib)?;
    let args = [
        "--n".to_string(),
        n.to_string(),
        "--iters".into(),
        iters.to_string(),
    ];
    b.launch(1, &[], laplace, &args)?;
    b.launch(2, &[], laplace, &args)?;
    b.launch(
        1,
        &[],
        laplace,
        &[&args[..], &["--baseline".into()]].concat(),
    )?;
    b.launch(
        2,
        &[],
        laplace,
        &[&args[..], &["--style".into(), "ops".into()]].concat(),
    )?;
    b.peer("laplace_numpy.py", &[n.to_string(), iters.to_string()])?;
    figures(&b.records)
}

fn figures(r: &Records) -> Result<Figures> {
    let mut f = Figures::new(SPECS);
    let runs: Vec<Elementwise> = r.all("elementwise")?;
    let at = |np: u32| runs.iter().filter(move |x| x.np == np);
    let e2 = f.add(
        "elementwise.gbytes_per_s_2rank",
        median(at(2).map(|x| x.gbytes_per_s)),
    )?;
    let triad = f.add(
        "elementwise.stream_triad_2thread_gbytes_per_s",
        highest(probe_readings(r, "triad")?),
    )?;
    f.add("elementwise_2rank_vs_stream", Ok(e2 / triad))?;
    // The triad's real traffic includes the write-allocate of its output
    // (32 bytes an element, not 24); c = a*b + c reads c, so has none.
    f.add(
        "elementwise_2rank_vs_stream_dram_traffic",
        Ok(e2 / (triad * 32.0 / 24.0)),
    )?;
    let e1 = f.add(
        "elementwise.seconds_1rank",
        median(at(1).map(|x| x.seconds)),
    )?;
    let nd = f.add(
        "elementwise.ndarray_zip_seconds",
        median(at(1).filter_map(|x| x.ndarray_seconds)),
    )?;
    f.add("elementwise_1rank_vs_ndarray", Ok(nd / e1))?;

    let runs: Vec<Laplace> = r.all("laplace")?;
    let at =
        |np: u32, style: &'static str| runs.iter().filter(move |x| x.np == np && x.style == style);
    f.add(
        "laplace.seconds_1rank",
        median(at(1, "zip").map(|x| x.seconds)),
    )?;
    let l2 = f.add(
        "laplace.seconds_2rank",
        median(at(2, "zip").map(|x| x.seconds)),
    )?;
    f.add(
        "laplace.ops_style_seconds_2rank",
        median(at(2, "ops").map(|x| x.seconds)),
    )?;
    let serial = r
        .last::<Timed>("laplace_serial_loop")?
        .ok_or("no laplace --baseline record")?;
    f.add("laplace.serial_loop_seconds", Ok(serial.seconds))?;
    f.add("laplace_2rank_vs_serial_loop", Ok(l2 / serial.seconds))?;
    if let Some(numpy) = r.last::<Timed>("laplace_numpy")? {
        f.add("laplace.numpy_seconds", Ok(numpy.seconds))?;
        f.add("laplace_speedup_vs_numpy", Ok(numpy.seconds / l2))?;
        let gain = at(2, "zip")
            .next_back()
            .ok_or("no 2-rank laplace run")?
            .error;
        let same = (numpy.error - gain).abs() <= 1e-9 * gain.abs();
        f.add("laplace.same_error_as_numpy", Ok(f64::from(u8::from(same))))?;
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"BENCH {"program":"probe","mode":"triad","threads":2,"mib_per_thread":512,"gbytes_per_s":34.7,"median_gbytes_per_s":34.0}
BENCH {"program":"elementwise","np":1,"n":67108864,"seconds":0.0521,"gbytes_per_s":41.2,"ndarray_seconds":0.0504}
BENCH {"program":"elementwise","np":2,"n":67108864,"seconds":0.0319,"gbytes_per_s":67.4}
BENCH {"program":"probe","mode":"triad","threads":2,"mib_per_thread":512,"gbytes_per_s":35.6,"median_gbytes_per_s":35.0}
BENCH {"program":"laplace","np":1,"n":4000,"iters":100,"style":"zip","seconds":3.10,"error":2.345678901e-3}
BENCH {"program":"laplace","np":2,"n":4000,"iters":100,"style":"zip","seconds":1.76,"error":2.345678901e-3}
BENCH {"program":"laplace_serial_loop","n":4000,"iters":100,"seconds":3.49,"error":2.345678901e-3}
BENCH {"program":"laplace","np":2,"n":4000,"iters":100,"style":"ops","seconds":5.06,"error":2.345678901e-3}
BENCH {"program": "laplace_numpy", "n": 4000, "iters": 100, "seconds": 15.24, "error": 0.0023456789010000003}
"#;

    #[test]
    fn both_programs_against_their_baselines() {
        let f = figures(&Records::from_lines(SAMPLE).unwrap()).unwrap();
        let v = |n: &str| f.get(n).unwrap_or_else(|| panic!("no {n}"));
        assert_eq!(v("elementwise.stream_triad_2thread_gbytes_per_s"), 35.6);
        assert_eq!(v("elementwise_2rank_vs_stream"), 67.4 / 35.6);
        assert_eq!(v("elementwise_1rank_vs_ndarray"), 0.0504 / 0.0521);
        assert_eq!(v("laplace.ops_style_seconds_2rank"), 5.06);
        assert_eq!(v("laplace_2rank_vs_serial_loop"), 1.76 / 3.49);
        assert_eq!(v("laplace_speedup_vs_numpy"), 15.24 / 1.76);
        assert_eq!(v("laplace.same_error_as_numpy"), 1.0);
        assert_eq!(f.0.len(), 15);
        let off = SAMPLE.replace("0.0023456789010000003", "0.0023457");
        let f = figures(&Records::from_lines(&off).unwrap()).unwrap();
        assert_eq!(f.get("laplace.same_error_as_numpy"), Some(0.0));
    }
}
