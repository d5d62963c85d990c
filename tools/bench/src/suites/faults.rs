//! `faults`: what the fault handling costs a correct program
//! (`benches/faults.rs`). Two ranks on one node, where collectives are
//! cheapest and an added one weighs most. The program times each
//! contender as the median of 15 alternating trials; the figures are the
//! cost of one agreement (an allreduce of three words, which collectives
//! run on their arguments before acting and which the release of an array
//! runs as its exit point) as a share of the operations it is added to.

use serde::Deserialize;

use crate::Result;
use crate::cargo::Target;
use crate::figures::Goal::AtMost;
use crate::figures::{Figures, Spec, spec};
use crate::protocol::Records;
use crate::run::Bench;

/// The figures of the `faults` table, in table order, with their descriptions
/// and goals: what the fault handling adds to a correct program, 2 ranks on
/// one node.
pub const SPECS: &[Spec] = &[
    spec(
        "faults.exit_point_share_of_create_free_4k",
        "one agreement (an allreduce of 3 words, the exit point's cost) ÷ creating and freeing a 4096-element array",
        Some(AtMost(0.05)),
    ),
    spec(
        "faults.agreement_share_of_zip_4k",
        "one agreement ÷ a `Zip` update of 4096 elements (which runs one on its inputs)",
        None,
    ),
    spec(
        "faults.agreement_share_of_sum_4k",
        "one agreement ÷ `sum` of 4096 elements (which runs one on its expression)",
        None,
    ),
];

/// The times one run of `benches/faults.rs` reports, in seconds a call.
#[derive(Deserialize)]
struct Faults {
    allreduce_3_words_s: f64,
    sync_s: f64,
    zip_4k_s: f64,
    sum_4k_s: f64,
    create_free_4k_s: f64,
}

/// Builds and runs the bench on two same-node ranks.
pub fn run(b: &mut Bench) -> Result<Figures> {
    let faults = Target::Bench("faults");
    let built = b.plain().run(&[faults])?;
    let exe = built.exe(faults)?;
    b.launch::<&str>(2, &[], exe, &[])?;
    figures(&b.records)
}

fn figures(r: &Records) -> Result<Figures> {
    let runs: Vec<Faults> = r.all("faults")?;
    let x = runs.first().ok_or("no faults record")?;
    let mut f = Figures::new(SPECS);
    f.add("faults.allreduce_3_words_s", Ok(x.allreduce_3_words_s))?;
    f.add("faults.sync_s", Ok(x.sync_s))?;
    f.add("faults.zip_4k_s", Ok(x.zip_4k_s))?;
    f.add("faults.sum_4k_s", Ok(x.sum_4k_s))?;
    f.add("faults.create_free_4k_s", Ok(x.create_free_4k_s))?;
    let a = x.allreduce_3_words_s;
    f.add("faults.agreement_share_of_zip_4k", Ok(a / x.zip_4k_s))?;
    f.add("faults.agreement_share_of_sum_4k", Ok(a / x.sum_4k_s))?;
    f.add(
        "faults.exit_point_share_of_create_free_4k",
        Ok(a / x.create_free_4k_s),
    )?;
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_of_one_record() {
        let r = Records::from_lines(
            r#"BENCH {"program":"faults","np":2,"allreduce_3_words_s":1e-6,"sync_s":2e-6,"zip_4k_s":1e-5,"sum_4k_s":5e-6,"create_free_4k_s":1e-4}"#,
        )
        .unwrap();
        let f = figures(&r).unwrap();
        let v = |n: &str| f.get(n).unwrap();
        assert!((v("faults.agreement_share_of_zip_4k") - 0.1).abs() < 1e-12);
        assert!((v("faults.agreement_share_of_sum_4k") - 0.2).abs() < 1e-12);
        assert!((v("faults.exit_point_share_of_create_free_4k") - 0.01).abs() < 1e-12);
    }
}
