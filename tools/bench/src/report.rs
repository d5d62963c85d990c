//! A suite's outputs: `target/bench/<output>.json`, its markdown table
//! `target/bench/<output>.md`, that table between the output's markers in
//! BENCHMARKS.md, and the rank-scaling rows the plot is drawn from.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Result;
use crate::figures::{Figure, Figures, format_value};
use crate::run::OUT_DIR;
use crate::suites::specs;

/// The reference file whose tables the suites rewrite.
pub const BENCHMARKS_MD: &str = "BENCHMARKS.md";

/// Everything a suite's run wrote: `target/bench/<output>.json`.
#[derive(Debug, Serialize, Deserialize)]
pub struct Report {
    /// The suite (`rma`).
    pub suite: String,
    /// The output's name (`rma`, `rma-mpich`): its files and markers.
    pub output: String,
    /// The command that reproduces the run.
    pub command: String,
    /// The day of the run, UTC, `YYYY-MM-DD`.
    pub date: String,
    /// Cores, architecture, MPI launcher version.
    pub machine: String,
    /// The figures, in the order the suite computed them.
    pub figures: Vec<Figure>,
    /// The records of every program the suite ran (and criterion's
    /// estimates), as they printed them.
    pub records: Vec<Value>,
}

impl Report {
    /// The JSON file of output `output`.
    pub fn path(output: &str) -> PathBuf {
        Path::new(OUT_DIR).join(format!("{output}.json"))
    }

    /// Reads `target/bench/<output>.json`, the figures' goals taken anew
    /// from the suite's specs (which may have changed since the run).
    pub fn load(output: &str) -> Result<Report> {
        let path = Report::path(output);
        let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut report: Report = serde_json::from_str(&text)?;
        let mut figures = Figures::new(specs(&report.suite));
        for f in &report.figures {
            figures.add(&f.name, Ok(f.value))?;
        }
        report.figures = figures.0;
        Ok(report)
    }

    /// Writes the JSON and the table, puts the table into BENCHMARKS.md
    /// and prints it.
    pub fn write(&self) -> Result<()> {
        fs::create_dir_all(OUT_DIR)?;
        fs::write(
            Report::path(&self.output),
            serde_json::to_string_pretty(self)? + "\n",
        )?;
        let table = self.table(Rows::All);
        let md = Path::new(OUT_DIR).join(format!("{}.md", self.output));
        fs::write(&md, &table)?;
        print!("{table}");
        let doc = fs::read_to_string(BENCHMARKS_MD)?;
        match replace_table(&doc, &self.output, &self.table(Rows::WithGoal)) {
            Some(new) => {
                fs::write(BENCHMARKS_MD, new)?;
                println!(
                    "bench: wrote {} and {}, updated {BENCHMARKS_MD}",
                    Report::path(&self.output).display(),
                    md.display()
                );
            }
            None => println!(
                "bench: wrote {} and {}; {BENCHMARKS_MD} has no {} marker, left as it is",
                Report::path(&self.output).display(),
                md.display(),
                begin_marker(&self.output)
            ),
        }
        Ok(())
    }

    /// The markdown table of the figures the suite's specs list, in their order,
    /// between the output's markers, headed by the command and the machine
    /// (on the line just above the table: GitHub's markdown lets a table
    /// follow a paragraph line). With [`Rows::WithGoal`] (BENCHMARKS.md, a
    /// reference of what is held to a goal) the figures without one are
    /// left out, and the heading line says how many and where they are,
    /// unless the suite holds none to a goal.
    pub fn table(&self, rows: Rows) -> String {
        // A suite that holds no figure to a goal (the criterion suites)
        // shows its ratios and rates instead (its table would be empty
        // otherwise); the baselines' absolute times stay in the full table.
        let specs = specs(&self.suite);
        let rows = if rows == Rows::WithGoal && specs.iter().all(|s| s.goal.is_none()) {
            Rows::Relative
        } else {
            rows
        };
        let mut body = String::new();
        let mut left_out = 0;
        for spec in specs {
            let Some(f) = self.figures.iter().find(|f| f.name == spec.name) else {
                continue;
            };
            let shown = match rows {
                Rows::All => true,
                Rows::WithGoal => spec.goal.is_some(),
                Rows::Relative => !is_absolute_time(spec.name),
            };
            if !shown {
                left_out += 1;
                continue;
            }
            let (goal, value) = match spec.goal {
                Some(g) => (
                    g.to_string(),
                    format!(
                        "{} {}",
                        format_value(f.value),
                        if g.met(f.value) { "✓" } else { "✗" }
                    ),
                ),
                None => (String::new(), format_value(f.value)),
            };
            body += &format!("| `{}` | {} | {goal} | {value} |\n", spec.name, spec.what);
        }
        let what = if rows == Rows::Relative {
            "absolute times"
        } else {
            "without a goal"
        };
        let more = match left_out {
            0 => String::new(),
            1 => format!(" (1 more figure, {what}: `{OUT_DIR}/{}.md`)", self.output),
            n => format!(
                " ({n} more figures, {what}: `{OUT_DIR}/{}.md`)",
                self.output
            ),
        };
        format!(
            "{}\n`{}` · {} · {}{more}:\n| figure | what | goal | value |\n|---|---|---|---|\n{body}{}\n",
            begin_marker(&self.output),
            self.command,
            self.date,
            self.machine,
            end_marker(&self.output)
        )
    }
}

/// Which figures a table shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rows {
    /// Every figure the run produced (`target/bench/<output>.md`).
    All,
    /// The figures held to a goal (BENCHMARKS.md); for a suite that holds
    /// none to a goal, [`Rows::Relative`].
    WithGoal,
    /// Every figure but absolute times (names ending in `_ns` or `_s`).
    Relative,
}

/// Whether a figure's name says it is an absolute time.
fn is_absolute_time(name: &str) -> bool {
    name.ends_with("_ns") || (name.ends_with("_s") && !name.ends_with("_per_s"))
}

fn begin_marker(output: &str) -> String {
    format!("<!-- bench:{output} begin -->")
}

fn end_marker(output: &str) -> String {
    format!("<!-- bench:{output} end -->")
}

/// `doc` with the lines from output's begin marker to its end marker
/// (both included) replaced by `table`, or `None` without both markers.
pub fn replace_table(doc: &str, output: &str, table: &str) -> Option<String> {
    let (begin, end) = (begin_marker(output), end_marker(output));
    let lines: Vec<&str> = doc.lines().collect();
    let b = lines.iter().position(|l| l.trim() == begin)?;
    let e = b + lines[b..].iter().position(|l| l.trim() == end)?;
    let mut out = String::new();
    for l in &lines[..b] {
        out += l;
        out += "\n";
    }
    out += table;
    if !table.ends_with('\n') {
        out += "\n";
    }
    for l in &lines[e + 1..] {
        out += l;
        out += "\n";
    }
    Some(out)
}

/// Today's date, UTC, `YYYY-MM-DD`.
pub fn today() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    date_of_day(secs.div_euclid(86_400) as i64)
}

/// The civil date of day `days` since 1970-01-01 (the proleptic Gregorian
/// calendar; H. Hinnant's `civil_from_days`).
fn date_of_day(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// `rows` of `program` (ranks, seconds) in the scaling table at `path`,
/// replacing that program's earlier rows and keeping the others'.
pub fn update_scaling(path: &Path, program: &str, rows: &[(u32, f64)]) -> Result<()> {
    let old = fs::read_to_string(path).unwrap_or_default();
    let mut text: String = old
        .lines()
        .filter(|l| l.split_whitespace().next() != Some(program))
        .map(|l| format!("{l}\n"))
        .collect();
    for (np, s) in rows {
        text += &format!("{program} {np} {s}\n");
    }
    fs::write(path, text)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Report {
        let mut f = Figures::new(specs("shared_sum"));
        f.add("shared_sum.vs_bandwidth", Ok(0.6333)).unwrap();
        f.add("shared_sum.seconds_2rank", Ok(0.047122)).unwrap();
        f.add("shared_sum.not_in_the_table", Ok(2.0)).unwrap();
        Report {
            suite: "shared_sum".into(),
            output: "shared_sum".into(),
            command: "scripts/bench shared_sum".into(),
            date: "2026-11-21".into(),
            machine: "2 cores, x86_64, mpirun.openmpi (OpenRTE) 4.1.4".into(),
            figures: f.0,
            records: vec![],
        }
    }

    #[test]
    fn tables_follow_the_registry_order() {
        let t = sample().table(Rows::All);
        let want = "<!-- bench:shared_sum begin -->
`scripts/bench shared_sum` · 2026-11-21 · 2 cores, x86_64, mpirun.openmpi (OpenRTE) 4.1.4:
| figure | what | goal | value |
|---|---|---|---|
| `shared_sum.seconds_2rank` | the same, 2 ranks |  | 0.04712 |
| `shared_sum.vs_bandwidth` | 2 ranks ÷ the probe | ≥ 0.8 | 0.6333 ✗ |
<!-- bench:shared_sum end -->
";
        assert_eq!(t, want);
    }

    #[test]
    fn a_suite_without_goals_shows_its_ratios_and_rates() {
        let mut f = Figures::new(specs("kernels"));
        f.add("kmeans_kernel_ndarray_rows_ns", Ok(5.8e6)).unwrap();
        f.add("kmeans_kernel_gain_speedup_vs_ndarray", Ok(16.75))
            .unwrap();
        f.add("kmeans_kernel_gain_gbytes_per_s", Ok(24.5)).unwrap();
        let r = Report {
            suite: "kernels".into(),
            output: "kernels".into(),
            command: "scripts/bench kernels".into(),
            date: "2026-12-07".into(),
            machine: "m".into(),
            figures: f.0,
            records: vec![],
        };
        let t = r.table(Rows::WithGoal);
        assert!(t.contains("| 16.75 |") && t.contains("| 24.5 |"), "{t}");
        assert!(!t.contains("5.8e6"), "{t}");
        assert!(t.contains("(1 more figure, absolute times:"), "{t}");
        assert!(r.table(Rows::All).contains("5.8e6"));
    }

    #[test]
    fn benchmarks_md_keeps_the_figures_with_a_goal() {
        let t = sample().table(Rows::WithGoal);
        let want = "<!-- bench:shared_sum begin -->
`scripts/bench shared_sum` · 2026-11-21 · 2 cores, x86_64, mpirun.openmpi (OpenRTE) 4.1.4 (1 more figure, without a goal: `target/bench/shared_sum.md`):
| figure | what | goal | value |
|---|---|---|---|
| `shared_sum.vs_bandwidth` | 2 ranks ÷ the probe | ≥ 0.8 | 0.6333 ✗ |
<!-- bench:shared_sum end -->
";
        assert_eq!(t, want);
    }

    #[test]
    fn reports_round_trip_through_json() {
        let r = sample();
        let back: Report = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
        assert_eq!(back.figures, r.figures);
        assert_eq!(back.table(Rows::All), r.table(Rows::All));
    }

    #[test]
    fn tables_replace_only_their_markers() {
        let doc = "# B\n\n<!-- bench:rma begin -->\nold\n<!-- bench:rma end -->\n\n<!-- bench:rma-mpich begin -->\nkeep\n<!-- bench:rma-mpich end -->\ntail\n";
        let new = replace_table(
            doc,
            "rma",
            "<!-- bench:rma begin -->\nnew\n<!-- bench:rma end -->\n",
        )
        .unwrap();
        assert_eq!(
            new,
            "# B\n\n<!-- bench:rma begin -->\nnew\n<!-- bench:rma end -->\n\n<!-- bench:rma-mpich begin -->\nkeep\n<!-- bench:rma-mpich end -->\ntail\n"
        );
        assert!(replace_table(doc, "local", "x\n").is_none());
        assert!(replace_table("<!-- bench:rma begin -->\nno end\n", "rma", "x\n").is_none());
    }

    #[test]
    fn dates() {
        assert_eq!(date_of_day(0), "1970-01-01");
        assert_eq!(date_of_day(19_723), "2024-01-01");
        assert_eq!(date_of_day(19_782), "2024-02-29");
        assert_eq!(date_of_day(20_779), "2026-11-22");
        assert_eq!(date_of_day(-1), "1969-12-31");
    }

    #[test]
    fn scaling_rows_replace_the_programs_own() {
        let path = std::env::temp_dir().join(format!("gain-bench-scaling-{}", std::process::id()));
        fs::write(&path, "kmeans 1 2.0\nkmeans 2 1.1\nmatmul 1 4.0\n").unwrap();
        update_scaling(&path, "kmeans", &[(1, 2.5), (2, 1.5)]).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        fs::remove_file(&path).unwrap();
        assert_eq!(text, "matmul 1 4.0\nkmeans 1 2.5\nkmeans 2 1.5\n");
    }
}
