//! The `BENCH {json}` lines benchmarked programs print, and the records a
//! suite collects from them (the protocol is described in the crate docs).

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::Result;

/// What starts a result line; a JSON object follows on the same line.
pub const PREFIX: &str = "BENCH ";

/// The JSON object of a `BENCH` line, or `None` for any other line.
///
/// Fails when the line starts with [`PREFIX`] but holds no JSON object
/// with a string `"program"`: a program that means to report and cannot
/// should stop the suite, not leave a figure out.
pub fn parse_line(line: &str) -> Result<Option<Value>> {
    let Some(json) = line.strip_prefix(PREFIX) else {
        return Ok(None);
    };
    let value: Value =
        serde_json::from_str(json.trim()).map_err(|e| format!("bad BENCH line ({e}): {line}"))?;
    if !value.get("program").is_some_and(Value::is_string) {
        return Err(format!("BENCH line without a string \"program\": {line}").into());
    }
    Ok(Some(value))
}

/// Every record a suite's programs printed (and the criterion estimates
/// it read), in the order they came.
#[derive(Debug, Clone, Default)]
pub struct Records(pub Vec<Value>);

impl Records {
    /// The records in `text`'s `BENCH` lines; other lines are skipped.
    #[cfg(test)]
    pub fn from_lines(text: &str) -> Result<Records> {
        let mut records = Records::default();
        for line in text.lines() {
            if let Some(v) = parse_line(line)? {
                records.0.push(v);
            }
        }
        Ok(records)
    }

    /// Every record of `program`, read as `T`, in order.
    pub fn all<T: DeserializeOwned>(&self, program: &str) -> Result<Vec<T>> {
        self.0
            .iter()
            .filter(|v| v["program"] == program)
            .map(|v| T::deserialize(v).map_err(|e| format!("{program} record ({e}): {v}").into()))
            .collect()
    }

    /// The last record of `program`, or `None` when it printed none (a
    /// Python peer that could not be installed).
    pub fn last<T: DeserializeOwned>(&self, program: &str) -> Result<Option<T>> {
        Ok(self.all(program)?.pop())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_lines_are_not_records() {
        assert!(parse_line("iter 1: 40 ms").unwrap().is_none());
        assert!(parse_line("BENCHMARK").unwrap().is_none());
        let v = parse_line(r#"BENCH {"program":"probe","gbytes_per_s":50.5}"#)
            .unwrap()
            .unwrap();
        assert_eq!(v["gbytes_per_s"], 50.5);
    }

    #[test]
    fn malformed_lines_fail() {
        assert!(parse_line("BENCH {\"program\":").is_err());
        assert!(parse_line(r#"BENCH {"seconds":1}"#).is_err());
        assert!(parse_line(r#"BENCH {"program":3}"#).is_err());
    }

    #[test]
    fn records_by_program_in_order() {
        #[derive(serde::Deserialize)]
        struct R {
            np: u32,
        }
        let r = Records::from_lines(
            "BENCH {\"program\":\"a\",\"np\":1}\nnoise\nBENCH {\"program\":\"b\",\"np\":7}\nBENCH {\"program\":\"a\",\"np\":2}\n",
        )
        .unwrap();
        let a: Vec<R> = r.all("a").unwrap();
        assert_eq!(a.iter().map(|r| r.np).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(r.last::<R>("a").unwrap().unwrap().np, 2);
        assert!(r.last::<R>("c").unwrap().is_none());
        // A record missing a field the suite needs is an error, not a skip.
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Needs {
            seconds: f64,
        }
        assert!(r.all::<Needs>("a").is_err());
    }
}
