//! The criterion suites, single process: `local` (gain's one-sided calls on
//! one rank against the same copies in plain ndarray, `benches/local.rs`)
//! and `kernels` (the examples' local kernels built for this CPU,
//! `benches/kernels.rs`). Criterion alternates nothing, so these are its
//! mean estimates of benches run one after the other; the ratios pair
//! benches of one group, run seconds apart.

use std::fs;
use std::path::Path;
use std::process::Command;

use serde::Deserialize;
use serde_json::{Value, json};

use crate::Result;
use crate::cargo::Target;
use crate::figures::{Figures, Spec, spec};
use crate::protocol::Records;
use crate::run::Bench;

/// The figures of the `local` table, in table order, with their descriptions
/// and goals: criterion, one process; gain ÷ ndarray, 1 = no overhead.
pub const LOCAL_SPECS: &[Spec] = &[
    spec(
        "get_1elem_ndarray_slice_to_owned_ns",
        "ndarray `slice(..).to_owned()` of one element",
        None,
    ),
    spec(
        "get_1elem_gain_vs_ndarray",
        "gain `get` of one element ÷ ndarray `slice(..).to_owned()`",
        None,
    ),
    spec(
        "get_64kb_rows_ndarray_slice_to_owned_ns",
        "ndarray: 8 whole rows, 64 KB, contiguous",
        None,
    ),
    spec(
        "get_64kb_rows_gain_vs_ndarray",
        "the same, 8 whole rows (64 KB, contiguous)",
        None,
    ),
    spec(
        "get_64kb_tile_ndarray_slice_to_owned_ns",
        "ndarray: a 90 × 90 tile, 64 KB, strided",
        None,
    ),
    spec(
        "get_64kb_tile_gain_vs_ndarray",
        "the same, a 90 × 90 tile (64 KB, strided)",
        None,
    ),
    spec(
        "acc_64kb_tile_ndarray_scaled_add_ns",
        "ndarray `scaled_add` of a 90 × 90 tile, α = 0.5",
        None,
    ),
    spec(
        "acc_64kb_tile_gain_vs_ndarray",
        "gain `acc` of the tile (with the block's lock) ÷ ndarray `scaled_add`, α = 0.5",
        None,
    ),
];

/// The figures of the `kernels` table, in table order, with their
/// descriptions and goals: criterion, built for this CPU.
pub const KERNELS_SPECS: &[Spec] = &[
    spec(
        "kmeans_kernel_ndarray_rows_ns",
        "k-means first iteration (every point added to a sum), ndarray rows",
        None,
    ),
    spec(
        "kmeans_kernel_gain_speedup_vs_ndarray",
        "k-means first iteration (every point added to a sum), ndarray rows time ÷ gain time",
        None,
    ),
    spec(
        "kmeans_kernel_gain_gbytes_per_s",
        "gain's kernel, points read per second",
        None,
    ),
    spec(
        "kmeans_relabel_ndarray_rows_ns",
        "k-means iteration where no label changes, ndarray rows",
        None,
    ),
    spec(
        "kmeans_relabel_gain_speedup_vs_ndarray",
        "the same, an iteration where no label changes",
        None,
    ),
    spec(
        "kmeans_relabel_gain_gbytes_per_s",
        "gain's kernel, points read per second",
        None,
    ),
    spec(
        "tile_gemm_512_gflops",
        "512 × 512 tile product, ndarray's `general_mat_mul`",
        None,
    ),
    spec(
        "block_sum_64mb_local_view_vs_vec",
        "`sum()` of a 64 MB block through its local view, time ÷ the same on a `Vec`",
        None,
    ),
];

/// The local suite's groups: (group, ndarray bench, gain bench).
const LOCAL: [(&str, &str, &str); 4] = [
    ("get_1elem", "ndarray_slice_to_owned", "gain_get"),
    ("get_64kb_rows", "ndarray_slice_to_owned", "gain_get"),
    ("get_64kb_tile", "ndarray_slice_to_owned", "gain_get"),
    ("acc_64kb_tile", "ndarray_scaled_add", "gain_acc"),
];

/// The kernels suite's benches: (group, bench).
const KERNELS: [(&str, &str); 7] = [
    ("kmeans_kernel", "ndarray_rows_first"),
    ("kmeans_kernel", "gain_batched_first"),
    ("kmeans_kernel", "ndarray_rows_relabel"),
    ("kmeans_kernel", "gain_batched_relabel"),
    ("tile_gemm_512", "ndarray_general_mat_mul"),
    ("block_sum_64mb", "ndarray_vec"),
    ("block_sum_64mb", "gain_local_view"),
];

/// Runs `benches/local.rs` (`target/criterion`).
pub fn local(b: &mut Bench) -> Result<Figures> {
    let build = b.plain();
    let home = build.target_dir.join("criterion");
    run(b, &build, "local", &home)?;
    for (group, base, gain) in LOCAL {
        for bench in [base, gain] {
            b.records.0.push(estimate(&home, group, bench)?);
        }
    }
    local_figures(&b.records)
}

/// Runs `benches/kernels.rs` built for this CPU (`target/native/criterion`).
pub fn kernels(b: &mut Bench) -> Result<Figures> {
    let build = b.native();
    let home = build.target_dir.join("criterion");
    run(b, &build, "kernels", &home)?;
    for (group, bench) in KERNELS {
        b.records.0.push(estimate(&home, group, bench)?);
    }
    kernels_figures(&b.records)
}

/// Builds criterion bench `name` and runs it as `cargo bench` would, its
/// results under `home`; `BENCH_CRITERION_ARGS` adds criterion options
/// (`--warm-up-time 0.1 --measurement-time 0.5` for a quick check).
fn run(b: &mut Bench, build: &crate::cargo::Build, name: &'static str, home: &Path) -> Result<()> {
    let target = Target::Bench(name);
    let built = build.run(&[target])?;
    let extra = b.words_knob("BENCH_CRITERION_ARGS");
    let mut cmd = Command::new(built.exe(target)?);
    cmd.args(["--bench", "--noplot"])
        .args(extra)
        .env("CRITERION_HOME", home);
    b.exec(cmd)
}

/// Criterion's estimate of `group/bench` under `home` as a record: its
/// mean in ns and the throughput the bench declares per iteration.
fn estimate(home: &Path, group: &str, bench: &str) -> Result<Value> {
    #[derive(Deserialize)]
    struct Estimates {
        mean: Estimate,
    }
    #[derive(Deserialize)]
    struct Estimate {
        point_estimate: f64,
    }
    #[derive(Deserialize)]
    struct Benchmark {
        throughput: Option<Value>,
    }
    let dir = home.join(group).join(bench).join("new");
    let read = |file: &str| {
        let path = dir.join(file);
        fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))
    };
    let estimates: Estimates = serde_json::from_str(&read("estimates.json")?)?;
    let benchmark: Benchmark = serde_json::from_str(&read("benchmark.json")?)?;
    // Criterion writes a throughput as `{"Bytes": n}` or `{"Elements": n}`.
    let per = |kind: &str| {
        benchmark
            .throughput
            .as_ref()
            .and_then(|t| t.get(kind)?.as_u64())
    };
    Ok(json!({
        "program": "criterion",
        "group": group,
        "bench": bench,
        "mean_ns": estimates.mean.point_estimate,
        "bytes": per("Bytes"),
        "elements": per("Elements"),
    }))
}

/// A criterion record.
#[derive(Deserialize)]
struct Mean {
    group: String,
    bench: String,
    mean_ns: f64,
    bytes: Option<u64>,
    elements: Option<u64>,
}

/// The record of `group/bench`.
fn mean<'a>(all: &'a [Mean], group: &str, bench: &str) -> Result<&'a Mean> {
    all.iter()
        .find(|m| m.group == group && m.bench == bench)
        .ok_or_else(|| format!("no criterion estimate of {group}/{bench}").into())
}

/// Per group: both means in ns, and gain's time ÷ ndarray's.
fn local_figures(r: &Records) -> Result<Figures> {
    let all: Vec<Mean> = r.all("criterion")?;
    let mut f = Figures::new(LOCAL_SPECS);
    for (group, base, gain) in LOCAL {
        let b = mean(&all, group, base)?.mean_ns;
        let g = mean(&all, group, gain)?.mean_ns;
        f.add(&format!("{group}_{base}_ns"), Ok(b))?;
        f.add(&format!("{group}_{gain}_ns"), Ok(g))?;
        f.add(&format!("{group}_gain_vs_ndarray"), Ok(g / b))?;
    }
    Ok(f)
}

/// The k-means kernel against its ndarray version (both cases), the tile
/// GEMM's rate and the block sum's ratio.
fn kernels_figures(r: &Records) -> Result<Figures> {
    let all: Vec<Mean> = r.all("criterion")?;
    let mut f = Figures::new(KERNELS_SPECS);
    for (case, suffix) in [("kernel", "first"), ("relabel", "relabel")] {
        let nd = mean(&all, "kmeans_kernel", &format!("ndarray_rows_{suffix}"))?;
        let gain = mean(&all, "kmeans_kernel", &format!("gain_batched_{suffix}"))?;
        let bytes = gain.bytes.ok_or("kmeans_kernel declares no bytes")? as f64;
        f.add(&format!("kmeans_{case}_ndarray_rows_ns"), Ok(nd.mean_ns))?;
        f.add(&format!("kmeans_{case}_gain_ns"), Ok(gain.mean_ns))?;
        f.add(
            &format!("kmeans_{case}_gain_speedup_vs_ndarray"),
            Ok(nd.mean_ns / gain.mean_ns),
        )?;
        // Bytes per ns are GB/s.
        f.add(
            &format!("kmeans_{case}_gain_gbytes_per_s"),
            Ok(bytes / gain.mean_ns),
        )?;
    }
    let gemm = mean(&all, "tile_gemm_512", "ndarray_general_mat_mul")?;
    let flops = gemm.elements.ok_or("tile_gemm_512 declares no elements")? as f64;
    f.add("tile_gemm_512_gflops", Ok(flops / gemm.mean_ns))?;
    let vec = mean(&all, "block_sum_64mb", "ndarray_vec")?.mean_ns;
    let view = mean(&all, "block_sum_64mb", "gain_local_view")?.mean_ns;
    f.add("block_sum_64mb_local_view_vs_vec", Ok(view / vec))?;
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(
        group: &str,
        bench: &str,
        ns: f64,
        bytes: Option<u64>,
        elements: Option<u64>,
    ) -> Value {
        json!({"program": "criterion", "group": group, "bench": bench, "mean_ns": ns,
               "bytes": bytes, "elements": elements})
    }

    #[test]
    fn local_ratios() {
        let mut r = Records::default();
        for (group, base, gain) in LOCAL {
            r.0.push(record(group, base, 100.0, None, None));
            r.0.push(record(group, gain, 150.0, None, None));
        }
        let f = local_figures(&r).unwrap();
        assert_eq!(f.get("get_1elem_ndarray_slice_to_owned_ns"), Some(100.0));
        assert_eq!(f.get("acc_64kb_tile_gain_acc_ns"), Some(150.0));
        assert_eq!(f.get("get_64kb_tile_gain_vs_ndarray"), Some(1.5));
        assert_eq!(f.0.len(), 12);
    }

    #[test]
    fn kernel_rates_from_declared_throughput() {
        let bytes = Some(16_384 * 64 * 8);
        let r = Records(vec![
            record("kmeans_kernel", "ndarray_rows_first", 7.87e6, bytes, None),
            record("kmeans_kernel", "gain_batched_first", 6.04e5, bytes, None),
            record("kmeans_kernel", "ndarray_rows_relabel", 8.30e6, bytes, None),
            record("kmeans_kernel", "gain_batched_relabel", 3.26e5, bytes, None),
            record(
                "tile_gemm_512",
                "ndarray_general_mat_mul",
                7.9e6,
                None,
                Some(2 * 512u64.pow(3)),
            ),
            record("block_sum_64mb", "ndarray_vec", 2.0e6, Some(8 << 23), None),
            record(
                "block_sum_64mb",
                "gain_local_view",
                2.0e6,
                Some(8 << 23),
                None,
            ),
        ]);
        let f = kernels_figures(&r).unwrap();
        let v = |n: &str| f.get(n).unwrap();
        assert!((v("kmeans_relabel_gain_gbytes_per_s") - 25.73).abs() < 0.01);
        assert!((v("kmeans_kernel_gain_speedup_vs_ndarray") - 13.03).abs() < 0.01);
        assert!((v("tile_gemm_512_gflops") - 33.98).abs() < 0.01);
        assert_eq!(v("block_sum_64mb_local_view_vs_vec"), 1.0);
        assert_eq!(f.0.len(), 10);
    }

    #[test]
    fn estimates_from_criterion_files() {
        let home =
            std::env::temp_dir().join(format!("gain-bench-criterion-{}", std::process::id()));
        let dir = home.join("tile_gemm_512/ndarray_general_mat_mul/new");
        fs::create_dir_all(&dir).unwrap();
        // Trimmed from criterion 0.8's files.
        fs::write(
            dir.join("estimates.json"),
            r#"{"mean":{"confidence_interval":{"confidence_level":0.95,"lower_bound":7.8e6,"upper_bound":8.0e6},"point_estimate":7.9e6,"standard_error":1e4},"median":{"confidence_interval":{"confidence_level":0.95,"lower_bound":7.8e6,"upper_bound":8.0e6},"point_estimate":7.85e6,"standard_error":1e4}}"#,
        )
        .unwrap();
        fs::write(
            dir.join("benchmark.json"),
            r#"{"group_id":"tile_gemm_512","function_id":"ndarray_general_mat_mul","value_str":null,"throughput":{"Elements":268435456},"full_id":"tile_gemm_512/ndarray_general_mat_mul","directory_name":"tile_gemm_512/ndarray_general_mat_mul","title":"tile_gemm_512/ndarray_general_mat_mul"}"#,
        )
        .unwrap();
        let v = estimate(&home, "tile_gemm_512", "ndarray_general_mat_mul").unwrap();
        fs::remove_dir_all(&home).unwrap();
        assert_eq!(v["mean_ns"], 7.9e6);
        assert_eq!(v["elements"], 268_435_456);
        assert!(v["bytes"].is_null());
        assert!(estimate(&home, "tile_gemm_512", "ndarray_general_mat_mul").is_err());
    }
}
