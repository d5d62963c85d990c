//! `io`: `.npy` save and load of a 2 GiB f64 array at 2 ranks
//! (`benches/io.rs`) beside `numpy.save` / `numpy.load` in one process
//! (`benches/peers/io_numpy.py`) and a two-rank memcpy of the same bytes,
//! in rounds that alternate gain with positioned I/O, gain through the
//! mapping and NumPy, so that the drift of this machine's disk writeback
//! hits all alike. Each figure is the median over the rounds. The file
//! goes to `target/bench` (a disk, not tmpfs); loads read it from a warm
//! page cache, and, where the runner may drop the cache (root), also cold.

use serde::Deserialize;

use crate::Result;
use crate::cargo::Target;
use crate::figures::{Figures, median};
use crate::protocol::Records;
use crate::run::Bench;

/// The line `benches/io.rs` prints.
#[derive(Deserialize)]
struct Gain {
    method: String,
    save_s: f64,
    load_s: f64,
    load_into_s: f64,
    memcpy_s: f64,
    load_cold_s: Option<f64>,
}

/// `io_numpy.py`'s line.
#[derive(Deserialize)]
struct Numpy {
    save_s: f64,
    load_s: f64,
    load_cold_s: Option<f64>,
}

/// Whether this process may drop the page cache.
fn may_drop_caches() -> bool {
    std::fs::OpenOptions::new()
        .write(true)
        .open("/proc/sys/vm/drop_caches")
        .is_ok()
}

pub fn run(b: &mut Bench) -> Result<Figures> {
    let mbytes = b.knob("IO_MBYTES", 2048)?;
    let rounds = b.knob("IO_ROUNDS", 3)?;
    let io = Target::Bench("io");
    let built = b.plain().run(&[io])?;
    let exe = built.exe(io)?;
    let dir = std::path::absolute("target/bench")?;
    let cold = may_drop_caches();
    let mut args = vec![
        "--mbytes".to_string(),
        mbytes.to_string(),
        "--dir".into(),
        dir.display().to_string(),
        "--trials".into(),
        "1".into(),
    ];
    let mut peer = vec![mbytes.to_string(), dir.display().to_string()];
    if cold {
        args.push("--cold".into());
        peer.push("--cold".into());
    } else {
        println!("bench: io: cannot drop the page cache (not root): warm loads only");
    }
    for _ in 0..rounds {
        b.launch(2, &[("GAIN_NPY_IO", "positioned")], exe, &args)?;
        b.launch(2, &[("GAIN_NPY_IO", "mapped")], exe, &args)?;
        b.peer("io_numpy.py", &peer)?;
    }
    figures(&b.records)
}

fn figures(r: &Records) -> Result<Figures> {
    let runs: Vec<Gain> = r.all("io")?;
    let by = |m: &'static str| runs.iter().filter(move |x| x.method == m);
    let mut f = Figures::default();
    let save = f.add(
        "io.save_2rank_s",
        median(by("positioned").map(|x| x.save_s)),
    )?;
    let load = f.add(
        "io.load_2rank_s",
        median(by("positioned").map(|x| x.load_s)),
    )?;
    let into = f.add(
        "io.load_into_2rank_s",
        median(by("positioned").map(|x| x.load_into_s)),
    )?;
    let copy = f.add("io.memcpy_2rank_s", median(runs.iter().map(|x| x.memcpy_s)))?;
    f.add("io.load_vs_memcpy", Ok(copy / into))?;
    f.add("io.load_new_array_vs_memcpy", Ok(copy / load))?;
    let msave = f.add(
        "io.mapped_save_2rank_s",
        median(by("mapped").map(|x| x.save_s)),
    )?;
    let mload = f.add(
        "io.mapped_load_into_2rank_s",
        median(by("mapped").map(|x| x.load_into_s)),
    )?;
    f.add("io.positioned_save_vs_mapped", Ok(msave / save))?;
    f.add("io.positioned_load_vs_mapped", Ok(mload / into))?;
    let cold: Vec<f64> = by("positioned").filter_map(|x| x.load_cold_s).collect();
    let gain_cold = (!cold.is_empty())
        .then(|| f.add("io.load_cold_2rank_s", median(cold)))
        .transpose()?;
    let numpy: Vec<Numpy> = r.all("io_numpy")?;
    if !numpy.is_empty() {
        let ns = f.add("io.numpy_save_s", median(numpy.iter().map(|x| x.save_s)))?;
        let nl = f.add("io.numpy_load_s", median(numpy.iter().map(|x| x.load_s)))?;
        f.add("io.save_2rank_vs_numpy", Ok(ns / save))?;
        f.add("io.load_2rank_vs_numpy", Ok(nl / load))?;
        let ncold: Vec<f64> = numpy.iter().filter_map(|x| x.load_cold_s).collect();
        if let (Some(g), false) = (gain_cold, ncold.is_empty()) {
            let nc = f.add("io.numpy_load_cold_s", median(ncold))?;
            f.add("io.load_cold_2rank_vs_numpy", Ok(nc / g))?;
        }
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_of_medians() {
        let r = Records::from_lines(
            r#"BENCH {"program":"io","np":2,"method":"positioned","mbytes":8,"save_s":1.0,"load_s":2.0,"load_into_s":0.5,"memcpy_s":0.25,"load_cold_s":4.0}
BENCH {"program":"io","np":2,"method":"mapped","mbytes":8,"save_s":2.0,"load_s":2.0,"load_into_s":1.0,"memcpy_s":0.25}
BENCH {"program":"io_numpy","mbytes":8,"save_s":3.0,"load_s":5.0,"load_cold_s":8.0}"#,
        )
        .unwrap();
        let f = figures(&r).unwrap();
        let v = |n: &str| f.get(n).unwrap();
        assert_eq!(v("io.save_2rank_vs_numpy"), 3.0);
        assert_eq!(v("io.load_2rank_vs_numpy"), 2.5);
        assert_eq!(v("io.load_vs_memcpy"), 0.5);
        assert_eq!(v("io.positioned_save_vs_mapped"), 2.0);
        assert_eq!(v("io.positioned_load_vs_mapped"), 2.0);
        assert_eq!(v("io.load_cold_2rank_vs_numpy"), 2.0);
    }
}
