//! Figures, their goals and descriptions (the tables of BENCHMARKS.md), and
//! the statistics the suites take over runs. Each suite declares the
//! figures its table shows, in table order, as a `&[Spec]` in its own
//! module (`suites::specs` finds a suite's).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::Result;

/// What a figure should reach.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Goal {
    /// At least this value.
    AtLeast(f64),
    /// At most this value.
    AtMost(f64),
    /// Exactly this value (the 0/1 checks).
    Equals(f64),
}

impl Goal {
    /// Whether `value` reaches the goal.
    pub fn met(self, value: f64) -> bool {
        match self {
            Goal::AtLeast(g) => value >= g,
            Goal::AtMost(g) => value <= g,
            Goal::Equals(g) => value == g,
        }
    }
}

impl fmt::Display for Goal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (op, v) = match *self {
            Goal::AtLeast(v) => ("≥", v),
            Goal::AtMost(v) => ("≤", v),
            Goal::Equals(v) => ("=", v),
        };
        write!(f, "{op} {}", format_value(v))
    }
}

/// A figure shown in its suite's table: what it is and its goal, if any.
#[derive(Debug)]
pub struct Spec {
    /// The figure's name, as in the suite's JSON.
    pub name: &'static str,
    /// One line saying what was measured; units as the name's suffix says
    /// (`_s`, `_ns`, `_gbytes_per_s`, `_gflops`), ratios as "a ÷ b".
    pub what: &'static str,
    /// The goal the figure is held to.
    pub goal: Option<Goal>,
}

/// A [`Spec`], written short in the suites' tables.
pub const fn spec(name: &'static str, what: &'static str, goal: Option<Goal>) -> Spec {
    Spec { name, what, goal }
}

/// One computed figure, as written to the suite's JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    /// Its name (see its suite's [`Spec`]s).
    pub name: String,
    /// Its value.
    pub value: f64,
    /// Its goal as the table writes it, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goal: Option<String>,
    /// Whether the value meets the goal, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub met: Option<bool>,
}

/// A suite's figures, in the order it computed them, and the specs of
/// the suite's table, which give them their goals.
#[derive(Debug)]
pub struct Figures(pub Vec<Figure>, &'static [Spec]);

impl Figures {
    /// No figures yet, their goals from `specs` (the suite's table).
    pub fn new(specs: &'static [Spec]) -> Figures {
        Figures(Vec::new(), specs)
    }

    /// Adds figure `name`, with its goal from the suite's specs, and returns its
    /// value. An error computing it (no runs to take a median of) comes
    /// back named after the figure; so does a non-finite value (a ratio
    /// over a zero time), which JSON cannot hold and which means a run
    /// went wrong.
    pub fn add(&mut self, name: &str, value: Result<f64>) -> Result<f64> {
        let value = value.map_err(|e| format!("{name}: {e}"))?;
        if !value.is_finite() {
            return Err(format!("{name} is {value}").into());
        }
        let goal = self.1.iter().find(|s| s.name == name).and_then(|s| s.goal);
        self.0.push(Figure {
            name: name.to_string(),
            value,
            goal: goal.map(|g| g.to_string()),
            met: goal.map(|g| g.met(value)),
        });
        Ok(value)
    }

    /// The value of figure `name`, if computed.
    #[cfg(test)]
    pub fn get(&self, name: &str) -> Option<f64> {
        self.0.iter().find(|f| f.name == name).map(|f| f.value)
    }
}

/// `v` to four significant digits, trailing zeros dropped; whole numbers
/// as integers; below 0.001 or from 100,000 up in exponent form.
pub fn format_value(v: f64) -> String {
    let a = v.abs();
    if v == v.trunc() && a < 1e5 {
        return format!("{v:.0}");
    }
    if (1e-3..1e5).contains(&a) {
        let before = a.log10().floor() as i32 + 1;
        let decimals = (4 - before).max(0) as usize;
        trim_zeros(&format!("{v:.decimals$}")).to_string()
    } else {
        let s = format!("{v:.3e}");
        let (mantissa, exp) = s.split_once('e').expect("exponent form");
        format!("{}e{exp}", trim_zeros(mantissa))
    }
}

/// `s` without the trailing zeros of its fraction (and without a bare point).
fn trim_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// The median of `values` (the mean of the middle two for an even count).
pub fn median(values: impl IntoIterator<Item = f64>) -> Result<f64> {
    let mut v: Vec<f64> = values.into_iter().collect();
    if v.is_empty() {
        return Err("a median of no values".into());
    }
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    Ok(if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    })
}

/// The highest of `values`: the least disturbed reading of a bandwidth.
pub fn highest(values: impl IntoIterator<Item = f64>) -> Result<f64> {
    values
        .into_iter()
        .reduce(f64::max)
        .ok_or_else(|| "the highest of no values".into())
}

#[cfg(test)]
mod tests {
    use super::Goal::{AtLeast, AtMost, Equals};
    use super::*;

    #[test]
    fn values_print_to_four_digits() {
        assert_eq!(format_value(2.101976), "2.102");
        assert_eq!(format_value(56.3119), "56.31");
        assert_eq!(format_value(0.7485), "0.7485");
        assert_eq!(format_value(0.047122), "0.04712");
        assert_eq!(format_value(0.98), "0.98");
        assert_eq!(format_value(1.0), "1");
        assert_eq!(format_value(0.0), "0");
        assert_eq!(format_value(9.99996), "10");
        assert_eq!(format_value(8.02e6), "8.02e6");
        assert_eq!(format_value(3.4e-4), "3.4e-4");
        assert_eq!(format_value(3.6123e-8), "3.612e-8");
        assert_eq!(format_value(-1.5), "-1.5");
    }

    #[test]
    fn goals() {
        assert!(AtLeast(0.8).met(0.8) && !AtLeast(0.8).met(0.79));
        assert!(AtMost(1.15).met(1.1) && !AtMost(1.15).met(1.2));
        assert!(Equals(1.0).met(1.0) && !Equals(1.0).met(0.0));
        assert_eq!(AtLeast(0.85).to_string(), "≥ 0.85");
        assert_eq!(AtMost(1.0).to_string(), "≤ 1");
        assert_eq!(Equals(1.0).to_string(), "= 1");
    }

    #[test]
    fn figures_carry_their_goals() {
        let mut f = Figures::new(crate::suites::specs("kmeans"));
        f.add("kmeans.vs_bandwidth", Ok(0.75)).unwrap();
        f.add("kmeans.seconds_2rank", Ok(1.2)).unwrap();
        assert_eq!(f.0[0].goal.as_deref(), Some("≥ 0.8"));
        assert_eq!(f.0[0].met, Some(false));
        assert_eq!(f.0[1].goal, None);
        assert!(f.add("x", Ok(f64::INFINITY)).is_err());
        let e = f.add("kmeans.seconds_1rank", median([])).unwrap_err();
        assert_eq!(e.to_string(), "kmeans.seconds_1rank: a median of no values");
    }

    #[test]
    fn medians() {
        assert_eq!(median([3.0, 1.0, 2.0]).unwrap(), 2.0);
        assert_eq!(median([4.0, 1.0, 2.0, 3.0]).unwrap(), 2.5);
        assert!(median([]).is_err());
        assert_eq!(highest([1.0, 5.0, 2.0]).unwrap(), 5.0);
        assert!(highest([]).is_err());
    }
}
