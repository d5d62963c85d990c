//! `io`: `.npy` save and load of a 2 GiB f64 array at 2 ranks
//! (`benches/io.rs`) beside `numpy.save` / `numpy.load` in one process
//! (`benches/peers/io_numpy.py`) and a two-rank memcpy of the same bytes,
//! in rounds that alternate gain with positioned I/O, gain through the
//! mapping (its default, which the headline figures are) and NumPy, so that the drift of this machine's disk writeback
//! hits all alike. Each figure is the median over the rounds. The file
//! goes to `target/bench` (a disk, not tmpfs); loads read it from a warm
//! page cache, and, where the runner may drop the cache (root), also cold.
//! Then `benches/shared_lookup.rs` (the steps of `examples/shared_lookup`)
//! at 2 and 4 ranks: the blog's 1.5 GB read-only array loaded as a
//! `Replicated` array, its memory per node (PSS summed over the node's
//! ranks) and its load time beside the blog's best, quoted.

use serde::Deserialize;

use crate::Result;
use crate::cargo::Target;
use crate::figures::Goal::{AtLeast, AtMost};
use crate::figures::{Figures, Spec, median, spec};
use crate::protocol::Records;
use crate::run::Bench;

/// The figures of the `io` table, in table order, with their descriptions and
/// goals: .npy save and load of a 2 GiB f64 array, 2 ranks, beside NumPy in
/// one process and a two-rank memcpy.
pub const SPECS: &[Spec] = &[
    spec(
        "io.save_2rank_vs_numpy",
        "`numpy.save` time ÷ `io::save_npy` time (2 ranks, through the mapping, gain's default; page cache warm)",
        Some(AtLeast(2.0)),
    ),
    spec(
        "io.load_2rank_vs_numpy",
        "`numpy.load` time ÷ `io::load_npy` time (a new array; page cache warm)",
        Some(AtLeast(2.0)),
    ),
    spec(
        "io.load_cold_2rank_vs_numpy",
        "the same with the page cache dropped before each load",
        None,
    ),
    spec(
        "io.load_vs_memcpy",
        "memcpy time ÷ `io::load_npy_into` time (bytes loaded per second ÷ a two-rank memcpy's, both into memory already touched)",
        Some(AtLeast(0.7)),
    ),
    spec(
        "io.load_new_array_vs_memcpy",
        "memcpy time ÷ `io::load_npy` time (the load also allocates and first-touches the new array)",
        None,
    ),
    spec(
        "io.mapped_save_vs_positioned",
        "save with positioned I/O ÷ through the mapping (`GAIN_NPY_IO`; > 1: the mapping, the default, is faster)",
        None,
    ),
    spec(
        "io.mapped_load_vs_positioned",
        "`load_npy_into` with positioned I/O ÷ through the mapping",
        None,
    ),
    spec(
        "io.shared_lookup_pss_per_node_vs_bytes_2rank",
        "`examples/shared_lookup`: the memory a `Replicated` 1.5 GB array adds to the node (PSS summed over its 2 ranks) ÷ its size",
        Some(AtMost(1.05)),
    ),
    spec(
        "io.shared_lookup_pss_per_node_vs_bytes_4rank",
        "the same at 4 ranks",
        Some(AtMost(1.05)),
    ),
    spec(
        "io.shared_lookup_load_2rank_s",
        "its load and share time: `Replicated::load_npy` of the 1.5 GB file at 2 ranks, seconds (page cache warm)",
        None,
    ),
    spec(
        "io.blog_ray_4core_seconds",
        "the blog's best time to share the array (Ray, 4 cores), quoted, seconds",
        None,
    ),
    spec(
        "io.shared_lookup_load_vs_blog_ray",
        "the blog's quoted 0.07 s ÷ gain's load-and-share time (> 1: gain is faster)",
        None,
    ),
    spec(
        "io.shared_lookup_queries_per_s_2rank",
        "queries answered per second against the replicated table (64 dot products of 64 dims each), 2 ranks",
        None,
    ),
];

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

/// The line `benches/shared_lookup.rs` prints.
#[derive(Deserialize)]
struct Lookup {
    np: u32,
    load_s: f64,
    pss_per_node_vs_bytes: f64,
    queries_per_s: f64,
}

/// The blog's best time to share the 1.5 GB array: Ray's object store on
/// 4 cores, in seconds (quoted, not measured here).
const BLOG_RAY_4CORE_SECONDS: f64 = 0.07;

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
    let lookup_mbytes = b.knob("SHARED_LOOKUP_MBYTES", 1536)?;
    let (io, lookup) = (Target::Bench("io"), Target::Bench("shared_lookup"));
    let built = b.plain().run(&[io, lookup])?;
    let (exe, lookup) = (built.exe(io)?, built.exe(lookup)?);
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
    let file = dir.join("shared_lookup.npy").display().to_string();
    for np in [2, 4] {
        let args = ["--mbytes", &lookup_mbytes.to_string(), "--file", &file];
        b.launch(np, &[], lookup, &args)?;
    }
    figures(&b.records)
}

fn figures(r: &Records) -> Result<Figures> {
    let runs: Vec<Gain> = r.all("io")?;
    let by = |m: &'static str| runs.iter().filter(move |x| x.method == m);
    let mut f = Figures::new(SPECS);
    // The headline figures are gain's default method, the mapping.
    let save = f.add("io.save_2rank_s", median(by("mapped").map(|x| x.save_s)))?;
    let load = f.add("io.load_2rank_s", median(by("mapped").map(|x| x.load_s)))?;
    let into = f.add(
        "io.load_into_2rank_s",
        median(by("mapped").map(|x| x.load_into_s)),
    )?;
    let copy = f.add("io.memcpy_2rank_s", median(runs.iter().map(|x| x.memcpy_s)))?;
    f.add("io.load_vs_memcpy", Ok(copy / into))?;
    f.add("io.load_new_array_vs_memcpy", Ok(copy / load))?;
    let psave = f.add(
        "io.positioned_save_2rank_s",
        median(by("positioned").map(|x| x.save_s)),
    )?;
    let pinto = f.add(
        "io.positioned_load_into_2rank_s",
        median(by("positioned").map(|x| x.load_into_s)),
    )?;
    f.add("io.mapped_save_vs_positioned", Ok(psave / save))?;
    f.add("io.mapped_load_vs_positioned", Ok(pinto / into))?;
    let cold: Vec<f64> = by("mapped").filter_map(|x| x.load_cold_s).collect();
    let gain_cold = (!cold.is_empty())
        .then(|| f.add("io.load_cold_2rank_s", median(cold)))
        .transpose()?;
    let lookups: Vec<Lookup> = r.all("shared_lookup")?;
    for x in &lookups {
        let at = |what: &str| format!("io.shared_lookup_{what}_{}rank", x.np);
        f.add(&at("pss_per_node_vs_bytes"), Ok(x.pss_per_node_vs_bytes))?;
        f.add(&format!("{}_s", at("load")), Ok(x.load_s))?;
        f.add(&at("queries_per_s"), Ok(x.queries_per_s))?;
    }
    if let Some(x) = lookups.iter().find(|x| x.np == 2) {
        f.add("io.blog_ray_4core_seconds", Ok(BLOG_RAY_4CORE_SECONDS))?;
        f.add(
            "io.shared_lookup_load_vs_blog_ray",
            Ok(BLOG_RAY_4CORE_SECONDS / x.load_s),
        )?;
    }
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
BENCH {"program":"io","np":2,"method":"mapped","mbytes":8,"save_s":2.0,"load_s":2.0,"load_into_s":1.0,"memcpy_s":0.25,"load_cold_s":4.0}
BENCH {"program":"io_numpy","mbytes":8,"save_s":3.0,"load_s":5.0,"load_cold_s":8.0}
BENCH {"program":"shared_lookup","np":2,"mbytes":8,"load_s":0.14,"save_s":1.0,"pss_per_node_vs_bytes":1.01,"queries_per_s":1e5}"#,
        )
        .unwrap();
        let f = figures(&r).unwrap();
        let v = |n: &str| f.get(n).unwrap();
        assert_eq!(v("io.save_2rank_vs_numpy"), 1.5);
        assert_eq!(v("io.load_2rank_vs_numpy"), 2.5);
        assert_eq!(v("io.load_vs_memcpy"), 0.25);
        assert_eq!(v("io.mapped_save_vs_positioned"), 0.5);
        assert_eq!(v("io.mapped_load_vs_positioned"), 0.5);
        assert_eq!(v("io.load_cold_2rank_vs_numpy"), 2.0);
        assert_eq!(v("io.shared_lookup_pss_per_node_vs_bytes_2rank"), 1.01);
        assert!((v("io.shared_lookup_load_vs_blog_ray") - 0.5).abs() < 1e-12);
    }
}
