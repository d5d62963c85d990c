//! `onesided`: Global Arrays' one-sided breadth against its baselines
//! (`benches/onesided.rs`): element gathers, strided gets, non-blocking
//! puts, mutexes and ghost updates. Two ranks, run three times: on one
//! node, with `GAIN_RANKS_PER_NODE=1` (rank 1 "remote", RMA through the
//! world window), and one rank on each of two hosts of the multi-host bed
//! (`scripts/hosts`; needs root). The program times each contender as the
//! median of alternating trials; the figures are ratios of those times.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use crate::Result;
use crate::cargo::Target;
use crate::figures::Goal::{AtLeast, AtMost};
use crate::figures::{Figures, Spec, spec};
use crate::protocol::Records;
use crate::run::Bench;

use super::hosts::on_bed;

/// The figures of the `onesided` table, in table order, with their
/// descriptions and goals: rank 0 reaches rank 1's block.
pub const SPECS: &[Spec] = &[
    spec(
        "gather_remote_1k_vs_mpi_indexed_get",
        "`gather_elements` of 1,024 random elements of a remote block ÷ one `MPI_Get` with an indexed datatype + `MPI_Win_flush_local`",
        Some(AtMost(1.3)),
    ),
    spec(
        "gather_same_node_1k_vs_local_loop",
        "the same gather on one node ÷ a plain indexing loop over the owner's block",
        Some(AtMost(2.0)),
    ),
    spec(
        "strided_get_vs_contiguous_same_bytes",
        "`get_strided` of every 4th row of a remote 64 MB block ÷ a contiguous `get` of the same 16 MB",
        Some(AtMost(1.3)),
    ),
    spec(
        "strided_get_vs_mpi_vector_get",
        "the same strided get ÷ one `MPI_Get` with a vector datatype of those rows + `MPI_Win_flush_local`",
        None,
    ),
    spec(
        "nb_put_overlap_speedup",
        "64 blocking 64 KB puts to a remote rank ÷ 64 `put_nb` then the waits, \"remote\" on one host",
        None,
    ),
    spec(
        "hosts.nb_put_overlap_speedup",
        "the same between two hosts of the bed",
        Some(AtLeast(2.0)),
    ),
    spec(
        "nb_put_8b_overlap_speedup",
        "the same with 64 puts of 8 B, \"remote\" on one host",
        None,
    ),
    spec(
        "hosts.nb_put_8b_overlap_speedup",
        "the same with 64 puts of 8 B between two hosts of the bed",
        None,
    ),
    spec(
        "mutex_uncontended_vs_read_inc",
        "`lock` + unlock of a remote rank's mutex ÷ one `read_inc` there",
        Some(AtMost(2.5)),
    ),
    spec(
        "ghost_update_vs_mpi_halo",
        "`update_ghosts` of a 4096² array (width 1, corners) ÷ a hand-written `MPI_Sendrecv` halo exchange of the same rows, one node",
        Some(AtMost(1.2)),
    ),
    spec(
        "ghost_update_vs_mpi_halo_remote",
        "the same, rank 1 \"remote\" on one host",
        None,
    ),
    spec(
        "hosts.ghost_update_vs_mpi_halo",
        "the same between two hosts of the bed",
        Some(AtMost(1.2)),
    ),
    spec(
        "hosts.gather_remote_1k_vs_mpi_indexed_get",
        "the gather between two hosts of the bed",
        None,
    ),
    spec(
        "hosts.strided_get_vs_contiguous_same_bytes",
        "the strided get between two hosts of the bed",
        None,
    ),
    spec(
        "hosts.mutex_uncontended_vs_read_inc",
        "the mutex between two hosts of the bed",
        None,
    ),
];

/// The times one run of `benches/onesided.rs` reports, in seconds a call.
#[derive(Deserialize)]
struct Onesided {
    /// `same`, `remote` or `bed`.
    mode: String,
    #[serde(flatten)]
    times: BTreeMap<String, Value>,
}

impl Onesided {
    fn time(&self, key: &str) -> Result<f64> {
        self.times
            .get(key)
            .and_then(Value::as_f64)
            .ok_or_else(|| format!("the onesided {} record has no {key}", self.mode).into())
    }

    fn ratio(&self, gain: &str, base: &str) -> Result<f64> {
        Ok(self.time(gain)? / self.time(base)?)
    }
}

/// Builds the bench and runs it on one node, "remote", and on the bed.
pub fn run(b: &mut Bench) -> Result<Figures> {
    let target = Target::Bench("onesided");
    let built = b.plain().run(&[target])?;
    let exe = built.exe(target)?;
    b.launch::<&str>(2, &[], exe, &[])?;
    b.launch::<&str>(2, &[("GAIN_RANKS_PER_NODE", "1")], exe, &[])?;
    on_bed(b, 2, "1,1", exe, &["--bed".to_string()], &[])?;
    figures(&b.records)
}

/// Every time as measured, then the ratios.
fn figures(r: &Records) -> Result<Figures> {
    let runs: Vec<Onesided> = r.all("onesided")?;
    let find = |mode: &str| {
        runs.iter()
            .rev()
            .find(|r| r.mode == mode)
            .ok_or_else(|| format!("no {mode} onesided record"))
    };
    let (same, remote, bed) = (find("same")?, find("remote")?, find("bed")?);
    let mut f = Figures::new(SPECS);
    for (prefix, rec) in [("same", same), ("remote", remote), ("hosts", bed)] {
        for (key, _) in rec.times.iter().filter(|(k, _)| k.ends_with("_s")) {
            f.add(&format!("{prefix}.{key}"), rec.time(key))?;
        }
    }
    f.add(
        "gather_remote_1k_vs_mpi_indexed_get",
        remote.ratio("gather_1k_s", "mpi_indexed_get_1k_s"),
    )?;
    f.add(
        "gather_same_node_1k_vs_local_loop",
        same.ratio("gather_1k_s", "local_loop_1k_s"),
    )?;
    f.add(
        "strided_get_vs_contiguous_same_bytes",
        remote.ratio("strided_get_16mb_s", "contiguous_get_16mb_s"),
    )?;
    f.add(
        "strided_get_vs_mpi_vector_get",
        remote.ratio("strided_get_16mb_s", "mpi_vector_get_16mb_s"),
    )?;
    f.add(
        "nb_put_8b_overlap_speedup",
        remote.ratio("blocking_put_64x8b_s", "nb_put_64x8b_s"),
    )?;
    f.add(
        "hosts.nb_put_8b_overlap_speedup",
        bed.ratio("blocking_put_64x8b_s", "nb_put_64x8b_s"),
    )?;
    f.add(
        "nb_put_overlap_speedup",
        remote.ratio("blocking_put_64x64kb_s", "nb_put_64x64kb_s"),
    )?;
    f.add(
        "hosts.nb_put_overlap_speedup",
        bed.ratio("blocking_put_64x64kb_s", "nb_put_64x64kb_s"),
    )?;
    f.add(
        "mutex_uncontended_vs_read_inc",
        remote.ratio("mutex_lock_unlock_s", "read_inc_s"),
    )?;
    let ghost = |rec: &Onesided| rec.ratio("update_ghosts_4096sq_s", "mpi_sendrecv_halo_4096sq_s");
    f.add("ghost_update_vs_mpi_halo", ghost(same))?;
    f.add("ghost_update_vs_mpi_halo_remote", ghost(remote))?;
    f.add("hosts.ghost_update_vs_mpi_halo", ghost(bed))?;
    f.add(
        "hosts.gather_remote_1k_vs_mpi_indexed_get",
        bed.ratio("gather_1k_s", "mpi_indexed_get_1k_s"),
    )?;
    f.add(
        "hosts.strided_get_vs_contiguous_same_bytes",
        bed.ratio("strided_get_16mb_s", "contiguous_get_16mb_s"),
    )?;
    f.add(
        "hosts.mutex_uncontended_vs_read_inc",
        bed.ratio("mutex_lock_unlock_s", "read_inc_s"),
    )?;
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_of_the_three_runs() {
        let remote = r#""mode":"remote","mpi_indexed_get_1k_s":1e-5,"gather_1k_s":1.2e-5,"blocking_put_64x64kb_s":4e-3,"nb_put_64x64kb_s":1e-3,"blocking_put_64x8b_s":1e-4,"nb_put_64x8b_s":5e-5,"mpi_vector_get_16mb_s":2e-3,"mutex_lock_unlock_s":6e-6,"read_inc_s":3e-6,"contiguous_get_16mb_s":2e-3,"strided_get_16mb_s":2.2e-3,"update_ghosts_4096sq_s":2e-5,"mpi_sendrecv_halo_4096sq_s":1e-5"#;
        let bed = remote.replace("\"remote\"", "\"bed\"");
        let r = Records::from_lines(&format!(
            "BENCH {{\"program\":\"onesided\",\"mode\":\"same\",\"local_loop_1k_s\":1e-6,\"gather_1k_s\":1.5e-6,\"mutex_lock_unlock_s\":1e-7,\"read_inc_s\":5e-8,\"update_ghosts_4096sq_s\":1.1e-5,\"mpi_sendrecv_halo_4096sq_s\":1e-5}}\nBENCH {{\"program\":\"onesided\",{remote}}}\nBENCH {{\"program\":\"onesided\",{bed}}}"
        ))
        .unwrap();
        let f = figures(&r).unwrap();
        let near = |name: &str, want: f64| {
            let v = f.get(name).unwrap();
            assert!((v - want).abs() < 1e-9, "{name} = {v}, not {want}");
        };
        near("gather_remote_1k_vs_mpi_indexed_get", 1.2);
        near("gather_same_node_1k_vs_local_loop", 1.5);
        near("strided_get_vs_contiguous_same_bytes", 1.1);
        near("nb_put_overlap_speedup", 4.0);
        near("nb_put_8b_overlap_speedup", 2.0);
        near("strided_get_vs_mpi_vector_get", 1.1);
        near("hosts.nb_put_overlap_speedup", 4.0);
        near("mutex_uncontended_vs_read_inc", 2.0);
        near("ghost_update_vs_mpi_halo", 1.1);
        near("hosts.ghost_update_vs_mpi_halo", 2.0);
        assert_eq!(f.get("same.local_loop_1k_s"), Some(1e-6));
        assert_eq!(f.get("hosts.read_inc_s"), Some(3e-6));
        let no_bed =
            Records::from_lines(&format!("BENCH {{\"program\":\"onesided\",{remote}}}")).unwrap();
        assert!(figures(&no_bed).is_err());
    }
}
