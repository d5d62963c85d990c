//! `rma`: one-sided access against memcpy and raw `MPI_Get` on gain's own
//! windows (`benches/rma.rs`). Two ranks, run twice: on one node, and with
//! `GAIN_RANKS_PER_NODE=1` so the other rank is remote (RMA through the
//! world window). The program times each contender as the median of 15
//! alternating trials; the figures are ratios of those times.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use crate::Result;
use crate::cargo::Target;
use crate::figures::Goal::{AtLeast, AtMost};
use crate::figures::{Figures, Spec, spec};
use crate::protocol::Records;
use crate::run::Bench;

/// The figures of the `rma` table, in table order, with their descriptions
/// and goals: rank 0 reads rank 1's block, on one node and as "remote".
pub const SPECS: &[Spec] = &[
    spec(
        "same_node_get_8mb_vs_memcpy",
        "memcpy time ÷ `get_into` time, 8 MB",
        Some(AtLeast(0.9)),
    ),
    spec(
        "same_node_get_alloc_8mb_vs_memcpy",
        "the same with the allocating `get`",
        None,
    ),
    spec(
        "same_node_get_1elem_speedup_vs_mpi_get",
        "`MPI_Get` + `MPI_Win_flush` time ÷ `get` time, one element",
        Some(AtLeast(20.0)),
    ),
    spec(
        "same_node_get_into_1elem_speedup_vs_mpi_get",
        "the same with `get_into`",
        None,
    ),
    spec(
        "same_node_at_1elem_speedup_vs_mpi_get",
        "the same with the scalar `at`",
        Some(AtLeast(20.0)),
    ),
    spec(
        "remote_get_vs_mpi_get_8b",
        "`get_into` time ÷ `MPI_Get` + `MPI_Win_flush_local` time, 8 B, through the world window",
        Some(AtMost(1.15)),
    ),
    spec(
        "remote_at_vs_mpi_get_8b",
        "the same with the scalar `at`",
        Some(AtMost(1.15)),
    ),
    spec(
        "remote_get_vs_mpi_get_64kb",
        "the same as 8 B, 64 KB",
        Some(AtMost(1.15)),
    ),
    spec(
        "remote_get_vs_mpi_get_8mb",
        "the same as 8 B, 8 MB",
        Some(AtMost(1.15)),
    ),
    spec(
        "same_node_acc_1elem_vs_read_inc",
        "a one-element `acc` into the other rank's block ÷ a `read_inc` on it, one node",
        Some(AtMost(2.0)),
    ),
    spec(
        "same_node_put_64kb_vs_memcpy",
        "memcpy time ÷ `put` time, 64 KB into the other rank's block, one node",
        Some(AtLeast(0.9)),
    ),
    spec(
        "pack_1m_vs_local_compaction",
        "`pack` of 2^20 `f64` by a half-dense mask at 2 ranks ÷ one rank's serial compaction of its half, one node",
        Some(AtMost(1.5)),
    ),
    spec(
        "remote_put_vs_mpi_put_8b",
        "`put` time ÷ `MPI_Put` + `MPI_Win_flush` time, 8 B, through the world window",
        None,
    ),
    spec(
        "remote_put_8b_vs_mpi_put_flush_local",
        "`put` time ÷ `MPI_Put` + `MPI_Win_flush_local` time, 8 B",
        None,
    ),
    spec(
        "remote_acc_8b_vs_mpi_acc_flush_local",
        "`acc` time ÷ `MPI_Accumulate` + `MPI_Win_flush_local` time, 8 B",
        None,
    ),
    spec(
        "remote_read_inc_vs_mpi_fetch_and_op",
        "`read_inc` time ÷ `MPI_Fetch_and_op` + `MPI_Win_flush` time",
        None,
    ),
];

/// The times one run of `benches/rma.rs` reports, in seconds a call.
#[derive(Deserialize)]
struct Rma {
    /// Whether the other rank was remote.
    remote: bool,
    #[serde(flatten)]
    times: BTreeMap<String, Value>,
}

impl Rma {
    fn time(&self, key: &str) -> Result<f64> {
        self.times
            .get(key)
            .and_then(Value::as_f64)
            .ok_or_else(|| format!("the rma record has no {key}").into())
    }
}

/// Builds and runs the rma bench, same node then remote.
pub fn run(b: &mut Bench) -> Result<Figures> {
    let rma = Target::Bench("rma");
    let built = b.plain().run(&[rma])?;
    let exe = built.exe(rma)?;
    b.launch::<&str>(2, &[], exe, &[])?;
    b.launch::<&str>(2, &[("GAIN_RANKS_PER_NODE", "1")], exe, &[])?;
    figures(&b.records)
}

/// Every time as measured, then the ratios.
fn figures(r: &Records) -> Result<Figures> {
    let runs: Vec<Rma> = r.all("rma")?;
    let same = runs
        .iter()
        .find(|r| !r.remote)
        .ok_or("no same-node rma record")?;
    let remote = runs
        .iter()
        .find(|r| r.remote)
        .ok_or("no remote rma record")?;
    let mut f = Figures::new(SPECS);
    for key in [
        "memcpy_8mb_s",
        "same_node_get_into_8mb_s",
        "same_node_get_alloc_8mb_s",
        "same_node_mpi_get_1elem_s",
        "same_node_get_1elem_s",
        "same_node_get_into_1elem_s",
        "same_node_at_1elem_s",
    ] {
        f.add(key, same.time(key))?;
    }
    for size in ["8b", "64kb", "8mb"] {
        f.add(
            &format!("remote_mpi_get_{size}_s"),
            remote.time(&format!("remote_mpi_get_{size}_s")),
        )?;
        f.add(
            &format!("remote_get_{size}_s"),
            remote.time(&format!("remote_get_{size}_s")),
        )?;
    }
    f.add("remote_at_8b_s", remote.time("remote_at_8b_s"))?;

    // Same node: the baseline's time over gain's (above 1: gain faster).
    let memcpy = same.time("memcpy_8mb_s")?;
    let mpi_get = same.time("same_node_mpi_get_1elem_s")?;
    for (name, key, base) in [
        (
            "same_node_get_8mb_vs_memcpy",
            "same_node_get_into_8mb_s",
            memcpy,
        ),
        (
            "same_node_get_alloc_8mb_vs_memcpy",
            "same_node_get_alloc_8mb_s",
            memcpy,
        ),
        (
            "same_node_get_1elem_speedup_vs_mpi_get",
            "same_node_get_1elem_s",
            mpi_get,
        ),
        (
            "same_node_get_into_1elem_speedup_vs_mpi_get",
            "same_node_get_into_1elem_s",
            mpi_get,
        ),
        (
            "same_node_at_1elem_speedup_vs_mpi_get",
            "same_node_at_1elem_s",
            mpi_get,
        ),
    ] {
        f.add(name, Ok(base / same.time(key)?))?;
    }
    f.add(
        "same_node_acc_1elem_vs_read_inc",
        Ok(same.time("same_node_acc_1elem_s")? / same.time("same_node_read_inc_s")?),
    )?;
    f.add(
        "same_node_put_64kb_vs_memcpy",
        Ok(same.time("memcpy_64kb_s")? / same.time("same_node_put_64kb_s")?),
    )?;
    f.add(
        "pack_1m_vs_local_compaction",
        Ok(same.time("pack_1m_s")? / same.time("local_compaction_512k_s")?),
    )?;
    // Remote: gain's time over the raw call's (above 1: gain slower).
    for size in ["8b", "64kb", "8mb"] {
        let raw = remote.time(&format!("remote_mpi_get_{size}_s"))?;
        let gain = remote.time(&format!("remote_get_{size}_s"))?;
        f.add(&format!("remote_get_vs_mpi_get_{size}"), Ok(gain / raw))?;
    }
    let raw = remote.time("remote_mpi_get_8b_s")?;
    f.add(
        "remote_at_vs_mpi_get_8b",
        Ok(remote.time("remote_at_8b_s")? / raw),
    )?;
    let t = |k: &str| remote.time(k);
    f.add(
        "remote_put_vs_mpi_put_8b",
        Ok(t("remote_put_8b_s")? / t("remote_mpi_put_8b_s")?),
    )?;
    f.add(
        "remote_put_8b_vs_mpi_put_flush_local",
        Ok(t("remote_put_8b_s")? / t("remote_mpi_put_flush_local_8b_s")?),
    )?;
    f.add(
        "remote_acc_8b_vs_mpi_acc_flush_local",
        Ok(t("remote_acc_8b_s")? / t("remote_mpi_acc_flush_local_8b_s")?),
    )?;
    f.add(
        "remote_read_inc_vs_mpi_fetch_and_op",
        Ok(t("remote_read_inc_s")? / t("remote_mpi_fetch_and_op_s")?),
    )?;
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_of_the_two_runs() {
        let r = Records::from_lines(concat!(
            r#"BENCH {"program":"rma","remote":false,"memcpy_8mb_s":3.4e-4,"same_node_get_into_8mb_s":3.5e-4,"same_node_get_alloc_8mb_s":3.1e-4,"same_node_mpi_get_1elem_s":3.6e-8,"same_node_get_1elem_s":1.5e-7,"same_node_get_into_1elem_s":1.1e-7,"same_node_at_1elem_s":2.7e-8,"same_node_acc_1elem_s":6e-8,"same_node_read_inc_s":3e-8,"memcpy_64kb_s":2e-6,"same_node_put_64kb_s":2.5e-6,"pack_1m_s":3e-3,"local_compaction_512k_s":2e-3}"#,
            "\n",
            r#"BENCH {"program":"rma","remote":true,"remote_mpi_get_8b_s":2.3e-6,"remote_get_8b_s":2.53e-6,"remote_mpi_get_64kb_s":1e-5,"remote_get_64kb_s":1.02e-5,"remote_mpi_get_8mb_s":1e-3,"remote_get_8mb_s":9.5e-4,"remote_at_8b_s":2.461e-6,"remote_put_8b_s":4e-6,"remote_mpi_put_8b_s":3.2e-6,"remote_mpi_put_flush_local_8b_s":2e-6,"remote_acc_8b_s":5e-6,"remote_mpi_acc_flush_local_8b_s":2.5e-6,"remote_read_inc_s":3.3e-6,"remote_mpi_fetch_and_op_s":3e-6}"#,
        ))
        .unwrap();
        let f = figures(&r).unwrap();
        let near = |name: &str, want: f64| {
            let v = f.get(name).unwrap();
            assert!((v - want).abs() < 1e-9, "{name} = {v}, not {want}");
        };
        near("same_node_get_8mb_vs_memcpy", 3.4 / 3.5);
        near("same_node_at_1elem_speedup_vs_mpi_get", 36.0 / 27.0);
        near("remote_get_vs_mpi_get_8b", 1.1);
        near("remote_get_vs_mpi_get_8mb", 0.95);
        near("remote_at_vs_mpi_get_8b", 1.07);
        assert_eq!(f.get("memcpy_8mb_s"), Some(3.4e-4));
        near("same_node_acc_1elem_vs_read_inc", 2.0);
        near("same_node_put_64kb_vs_memcpy", 0.8);
        near("pack_1m_vs_local_compaction", 1.5);
        near("remote_put_vs_mpi_put_8b", 1.25);
        near("remote_put_8b_vs_mpi_put_flush_local", 2.0);
        near("remote_acc_8b_vs_mpi_acc_flush_local", 2.0);
        near("remote_read_inc_vs_mpi_fetch_and_op", 1.1);
        assert_eq!(f.0.len(), 7 + 8 + 9 + 6);
        assert!(
            figures(&Records::from_lines(r#"BENCH {"program":"rma","remote":true}"#).unwrap())
                .is_err()
        );
    }
}
