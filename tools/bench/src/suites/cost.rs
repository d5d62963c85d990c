//! `cost`: the check of the cost model in `gain::guide::scaling`.
//! `benches/cost.rs` measures what an array's creation, a `sync` (with and
//! without writes pending), a small allreduce and each live array's memory
//! cost at 1 to 4 ranks on one node and on the bed (`scripts/hosts`: 1+1,
//! 2+2, 4 hosts of 1; needs root). The figures with goals check what the
//! model says of memory and of `sync`; times at more ranks than the
//! machine's two cores measure its scheduler (a rank waits out another's
//! time slice), so they are reported, not held to the model.

use serde::Deserialize;

use crate::Result;
use crate::cargo::Target;
use crate::figures::Goal::AtMost;
use crate::figures::{Figures, Spec, spec};
use crate::protocol::Records;
use crate::run::Bench;

use super::hosts::on_bed;

/// The figures of the `cost` table, in table order.
pub const SPECS: &[Spec] = &[
    spec(
        "cost.rss_per_node_peer_b",
        "resident memory a small array adds to a rank per other rank of its node, bytes ((4 ranks − 2 ranks) ÷ 2, one node): the model says one page, the peer's header, read once",
        Some(AtMost(5120.0)),
    ),
    spec(
        "cost.rss_per_array_4hosts_vs_2hosts",
        "resident memory a small array adds to a rank, 4 hosts of 1 rank ÷ 2 hosts: the model says no term visible below thousands of ranks",
        Some(AtMost(1.2)),
    ),
    spec(
        "cost.sync_clean_vs_allreduce_2hosts",
        "`sync` with 100 arrays live and nothing written ÷ one `all_reduce_value`, 2 hosts: the model says one barrier and local work, no message per array",
        Some(AtMost(2.0)),
    ),
    spec(
        "cost.sync_written_per_array_2hosts_s",
        "what a `sync` adds per array written since the last one (its `MPI_Win_flush_all`), 2 hosts, seconds",
        None,
    ),
];

/// The arrays `benches/cost.rs` keeps live (its default `--arrays`).
const ARRAYS: f64 = 100.0;

/// One run of `benches/cost.rs`.
#[derive(Deserialize)]
struct Run {
    np: u64,
    nodes: u64,
    create_destroy_s: f64,
    sync_clean_s: f64,
    sync_written_s: f64,
    allreduce_s: f64,
    rss_per_array_b: f64,
}

/// Runs the program on one node at 1 to 4 ranks and on the bed.
pub fn run(b: &mut Bench) -> Result<Figures> {
    let cost = Target::Bench("cost");
    let built = b.plain().run(&[cost])?;
    let exe = built.exe(cost)?;
    for np in 1..=4 {
        b.launch::<&str>(np, &[], exe, &[])?;
    }
    on_bed(b, 2, "1,1", exe, &[], &[])?;
    on_bed(b, 2, "2,2", exe, &[], &[])?;
    on_bed(b, 4, "1,1,1,1", exe, &[], &[])?;
    figures(&b.records)
}

/// Every run's measurements (`cost.<ranks>r<nodes>n.*`), then the checks.
fn figures(r: &Records) -> Result<Figures> {
    let runs: Vec<Run> = r.all("cost")?;
    let find = |np: u64, nodes: u64| -> Result<&Run> {
        runs.iter()
            .rev()
            .find(|x| x.np == np && x.nodes == nodes)
            .ok_or_else(|| format!("no cost run of {np} ranks on {nodes} nodes").into())
    };
    let mut f = Figures::new(SPECS);
    let (two, four) = (find(2, 2)?, find(4, 4)?);
    f.add(
        "cost.rss_per_node_peer_b",
        Ok((find(4, 1)?.rss_per_array_b - find(2, 1)?.rss_per_array_b) / 2.0),
    )?;
    f.add(
        "cost.rss_per_array_4hosts_vs_2hosts",
        Ok(four.rss_per_array_b / two.rss_per_array_b),
    )?;
    f.add(
        "cost.sync_clean_vs_allreduce_2hosts",
        Ok(two.sync_clean_s / two.allreduce_s),
    )?;
    f.add(
        "cost.sync_written_per_array_2hosts_s",
        Ok((two.sync_written_s - two.sync_clean_s) / ARRAYS),
    )?;
    for x in &runs {
        let at = format!("cost.{}r{}n", x.np, x.nodes);
        f.add(&format!("{at}.create_destroy_s"), Ok(x.create_destroy_s))?;
        f.add(&format!("{at}.sync_clean_s"), Ok(x.sync_clean_s))?;
        f.add(&format!("{at}.sync_written_s"), Ok(x.sync_written_s))?;
        f.add(&format!("{at}.allreduce_s"), Ok(x.allreduce_s))?;
        f.add(&format!("{at}.rss_per_array_b"), Ok(x.rss_per_array_b))?;
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_against_the_model() {
        let line = |np: u64, nodes: u64, t: f64, rss: f64| {
            format!(
                r#"BENCH {{"program":"cost","np":{np},"nodes":{nodes},"create_destroy_s":{t},"sync_clean_s":{t},"sync_written_s":{t},"allreduce_s":{t},"rss_per_array_b":{rss}}}"#
            )
        };
        let lines = [
            line(1, 1, 1e-5, 8000.0),
            line(2, 1, 2e-5, 8000.0),
            line(3, 1, 3e-5, 8000.0),
            line(4, 1, 4e-5, 10000.0),
            line(2, 2, 1e-4, 12000.0),
            line(4, 2, 2e-4, 12000.0),
            line(4, 4, 3e-4, 12000.0),
        ];
        let f = figures(&Records::from_lines(&lines.join("\n")).unwrap()).unwrap();
        let near = |name: &str, want: f64| {
            let v = f.get(name).unwrap();
            assert!((v - want).abs() < 1e-9, "{name} = {v}, not {want}");
        };
        near("cost.rss_per_node_peer_b", 1000.0);
        near("cost.rss_per_array_4hosts_vs_2hosts", 1.0);
        near("cost.sync_clean_vs_allreduce_2hosts", 1.0);
        near("cost.sync_written_per_array_2hosts_s", 0.0);
        near("cost.4r2n.sync_clean_s", 2e-4);
        assert!(figures(&Records::from_lines(&lines[..4].join("\n")).unwrap()).is_err());
    }
}
