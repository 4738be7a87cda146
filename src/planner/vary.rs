//! `--vary KEY=V1,V2,...` and `--vary KEY=START..END:STEP`: the parameter grid
//! of a sweep. Values stay text: each becomes a `--set KEY=VALUE` of its point,
//! so `--vary` accepts exactly what `--set` accepts and addresses keys the same
//! way. Ranges are expanded here, in the notation the user wrote them in.

use crate::model::time::format_duration;
use crate::scenario::units::parse_duration;

/// Most points a sweep may have (the product of all --vary lengths).
pub const MAX_POINTS: usize = 10_000;

const HINT: &str = "expected KEY=V1,V2,... or KEY=START..END:STEP, e.g. \
users.agent.count=10..40:5 or services.support.acw=0s..60s:15s";

/// One `--vary`: a scenario key and its values in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Vary {
    pub key: String,
    pub values: Vec<String>,
}

/// Parses one `--vary` argument.
pub fn parse_vary(arg: &str) -> Result<Vary, String> {
    let (key, spec) = arg
        .split_once('=')
        .ok_or_else(|| format!("--vary `{arg}` is not KEY=VALUES: {HINT}"))?;
    let (key, spec) = (key.trim(), spec.trim());
    if key.is_empty() {
        return Err(format!("--vary `{arg}` has an empty key: {HINT}"));
    }
    if spec.is_empty() {
        return Err(format!("--vary `{arg}` has no values: {HINT}"));
    }
    let values = if spec.contains("..") {
        parse_range(spec).map_err(|m| format!("--vary `{arg}`: {m}"))?
    } else {
        let vals: Vec<String> = spec.split(',').map(|v| v.trim().to_string()).collect();
        if vals.iter().any(String::is_empty) {
            return Err(format!(
                "--vary `{arg}` has an empty value in its list: {HINT}"
            ));
        }
        vals
    };
    // `load_scale` is short for the scenario key it sets.
    let key = if key == "load_scale" {
        "simulation.load_scale"
    } else {
        key
    };
    Ok(Vary {
        key: key.to_string(),
        values,
    })
}

/// Expands `START..END:STEP` (inclusive; the last value is the largest
/// `START + i*STEP <= END`). Integers, decimals, numbers sharing a unit suffix
/// (`0s..60s:15s`, `600/h..1200/h:300/h`) and mixed-unit durations
/// (`30s..2m:30s`) are accepted.
pub fn parse_range(spec: &str) -> Result<Vec<String>, String> {
    let shape = "a range is START..END:STEP, e.g. 10..40:5, 0.5..1.5:0.25 or 0s..60s:15s";
    let (start, rest) = spec
        .split_once("..")
        .ok_or_else(|| format!("`{spec}`: {shape}"))?;
    let (end, step) = rest.split_once(':').unwrap_or((rest, ""));
    let (start, end, step) = (start.trim(), end.trim(), step.trim());
    for (what, v) in [("START", start), ("END", end), ("STEP", step)] {
        if v.is_empty() {
            return Err(format!(
                "range `{spec}` has no {what}: {shape} (the step comes after `:`)"
            ));
        }
    }
    if let Some(vals) = numeric_range(spec, start, end, step, "")? {
        return Ok(vals);
    }
    // The same unit suffix on all three: a numeric range in that unit.
    let (s0, u0) = split_unit(start);
    let (e0, u1) = split_unit(end);
    let (t0, u2) = split_unit(step);
    if !u0.is_empty() && u0 == u1 && u1 == u2 {
        if let Some(vals) = numeric_range(spec, s0, e0, t0, u0)? {
            return Ok(vals);
        }
    }
    // Durations in mixed units: step in microseconds, printed in the scenario's notation.
    if let (Ok(s), Ok(e), Ok(t)) = (
        parse_duration(start),
        parse_duration(end),
        parse_duration(step),
    ) {
        let n = count_int(spec, s.into(), e.into(), t.into())?;
        return Ok((0..n as u64).map(|i| format_duration(s + i * t)).collect());
    }
    Err(format!(
        "range `{spec}` is not a range of numbers or durations: {shape}"
    ))
}

/// A range of plain numbers with `unit` appended to each value; `None` when
/// the parts are not numbers.
fn numeric_range(
    spec: &str,
    start: &str,
    end: &str,
    step: &str,
    unit: &str,
) -> Result<Option<Vec<String>>, String> {
    if let (Ok(s), Ok(e), Ok(t)) = (
        start.parse::<i64>(),
        end.parse::<i64>(),
        step.parse::<i64>(),
    ) {
        let n = count_int(spec, s.into(), e.into(), t.into())?;
        return Ok(Some(
            // In i128: `i * t` alone may exceed i64 even when the value does not.
            (0..n as i128)
                .map(|i| format!("{}{unit}", s as i128 + i * t as i128))
                .collect(),
        ));
    }
    let (Ok(s), Ok(e), Ok(t)) = (
        start.parse::<f64>(),
        end.parse::<f64>(),
        step.parse::<f64>(),
    ) else {
        return Ok(None);
    };
    if ![s, e, t].iter().all(|v| v.is_finite()) {
        return Err(format!("range `{spec}`: values must be finite numbers"));
    }
    let n = count(spec, s, e, t)?;
    // As many decimals as the user wrote, so 0.1 steps print as 0.1, 0.2, ...
    let decimals = [start, end, step]
        .iter()
        .map(|p| p.split_once('.').map_or(0, |(_, f)| f.len()))
        .max()
        .unwrap_or(0);
    let scientific = [start, end, step].iter().any(|p| p.contains(['e', 'E']));
    Ok(Some(
        (0..n)
            .map(|i| {
                let v = s + i as f64 * t;
                let text = if scientific {
                    crate::report::fmt::num(v)
                } else {
                    format!("{v:.decimals$}")
                };
                format!("{text}{unit}")
            })
            .collect(),
    ))
}

/// Refuses a step that is not positive and a START above END.
fn check_order<T: PartialOrd + Default>(
    spec: &str,
    start: T,
    end: T,
    step: T,
) -> Result<(), String> {
    // NaN steps compare as neither: refused with the others.
    if step.partial_cmp(&T::default()) != Some(std::cmp::Ordering::Greater) {
        return Err(format!(
            "range `{spec}`: the step must be greater than 0 (ranges go upward from START to END)"
        ));
    }
    if start > end {
        return Err(format!(
            "range `{spec}`: START must not exceed END (write the smaller value first)"
        ));
    }
    Ok(())
}

/// Number of values of an inclusive range of integers (or microseconds),
/// exact whatever their size: integers stay integers.
fn count_int(spec: &str, start: i128, end: i128, step: i128) -> Result<usize, String> {
    check_order(spec, start, end, step)?;
    let n = (end - start) / step + 1;
    if n > MAX_POINTS as i128 {
        return Err(format!(
            "range `{spec}` has {n} values, more than the {MAX_POINTS} points a sweep may have; use a larger step"
        ));
    }
    Ok(n as usize)
}

/// Number of values of an inclusive range of decimals, refusing empty or
/// huge ones before anything is allocated.
fn count(spec: &str, start: f64, end: f64, step: f64) -> Result<usize, String> {
    check_order(spec, start, end, step)?;
    // A relative tolerance keeps 0..1:0.1 from losing its last value to rounding.
    let n = ((end - start) / step * (1.0 + 1e-12) + 1e-9).floor() + 1.0;
    if n > MAX_POINTS as f64 {
        return Err(format!(
            "range `{spec}` has {n} values, more than the {MAX_POINTS} points a sweep may have; use a larger step"
        ));
    }
    Ok(n as usize)
}

/// Splits "15s" into ("15", "s") and "600/h" into ("600", "/h").
fn split_unit(v: &str) -> (&str, &str) {
    let at = v
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '-' | '+')))
        .unwrap_or(v.len());
    v.split_at(at)
}

/// The grid of all `--vary` combinations, the first key varying slowest; each
/// point is its list of (key, value). Refuses duplicate keys and grids larger
/// than [`MAX_POINTS`].
pub fn grid(varies: &[Vary]) -> Result<Vec<Vec<(String, String)>>, String> {
    if varies.is_empty() {
        return Err(format!("sweep needs at least one --vary: {HINT}"));
    }
    for (i, v) in varies.iter().enumerate() {
        if varies[..i].iter().any(|w| w.key == v.key) {
            return Err(format!(
                "--vary `{}` is given twice; list all its values in one --vary",
                v.key
            ));
        }
    }
    let total = varies
        .iter()
        .try_fold(1usize, |acc, v| acc.checked_mul(v.values.len()))
        .filter(|n| *n <= MAX_POINTS)
        .ok_or_else(|| {
            let sizes: Vec<String> = varies.iter().map(|v| v.values.len().to_string()).collect();
            format!(
                "the sweep would have {} points, more than the limit of {MAX_POINTS}; use fewer values or larger steps",
                sizes.join(" x ")
            )
        })?;
    Ok((0..total)
        .map(|mut idx| {
            // Mixed-radix digits, last key fastest.
            let mut point = vec![(String::new(), String::new()); varies.len()];
            for (k, v) in varies.iter().enumerate().rev() {
                let n = v.values.len();
                point[k] = (v.key.clone(), v.values[idx % n].clone());
                idx /= n;
            }
            point
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vals(spec: &str) -> Vec<String> {
        parse_vary(&format!("k={spec}")).unwrap().values
    }

    #[test]
    fn lists_and_ranges() {
        assert_eq!(vals("10,20, 30"), ["10", "20", "30"]);
        assert_eq!(vals("10..40:5"), ["10", "15", "20", "25", "30", "35", "40"]);
        // A step that does not divide the span stops at <= END.
        assert_eq!(vals("10..40:7"), ["10", "17", "24", "31", "38"]);
        assert_eq!(vals("3..3:1"), ["3"]);
        assert_eq!(vals("0..1:0.25"), ["0.00", "0.25", "0.50", "0.75", "1.00"]);
        assert_eq!(vals("0.1..0.5:0.1"), ["0.1", "0.2", "0.3", "0.4", "0.5"]);
        assert_eq!(vals("-2..2:2"), ["-2", "0", "2"]);
        assert_eq!(vals("0s..60s:15s"), ["0s", "15s", "30s", "45s", "60s"]);
        assert_eq!(vals("600/h..1200/h:300/h"), ["600/h", "900/h", "1200/h"]);
        assert_eq!(vals("30s..2m:30s"), ["30s", "1m", "1m30s", "2m"]);
        assert_eq!(vals("1e-3..3e-3:1e-3"), ["0.001", "0.002", "0.003"]);
        // Above 2^53 integers keep every digit (f64 would merge neighbours).
        assert_eq!(
            vals("9007199254740993..9007199254740995:1"),
            ["9007199254740993", "9007199254740994", "9007199254740995"]
        );
        assert_eq!(
            vals("9223372036854775800..9223372036854775807:3"),
            [
                "9223372036854775800",
                "9223372036854775803",
                "9223372036854775806"
            ]
        );
        assert_eq!(
            vals("-9223372036854775808..-9223372036854775807:1").len(),
            2
        );
        assert_eq!(
            vals("-9223372036854775808..9223372036854775807:9223372036854775807"),
            ["-9223372036854775808", "-1", "9223372036854775806"]
        );
    }

    #[test]
    fn malformed_ranges_say_what_is_wrong() {
        for (spec, want) in [
            ("10..", "no END"),
            ("..10:1", "no START"),
            ("10..40", "no STEP"),
            ("10..40:", "no STEP"),
            ("a..b:1", "not a range of numbers"),
            ("10..40:0", "greater than 0"),
            ("10..40:-5", "greater than 0"),
            ("0s..60s:0s", "greater than 0"),
            ("40..10:5", "must not exceed"),
            ("0..100000:1", "more than the 10000"),
            ("0..9223372036854775807:1", "more than the 10000"),
            (
                "-9223372036854775808..9223372036854775807:1",
                "more than the 10000",
            ),
            ("nan..1:1", "finite"),
        ] {
            let e = parse_vary(&format!("users.agent.count={spec}")).unwrap_err();
            assert!(e.contains(want), "{spec}: {e}");
            assert!(e.contains("--vary"), "{spec}: {e}");
        }
        assert!(parse_vary("k=").unwrap_err().contains("no values"));
        assert!(parse_vary("k=1,,2").unwrap_err().contains("empty value"));
        assert!(parse_vary("=1,2").unwrap_err().contains("empty key"));
        assert!(parse_vary("k").unwrap_err().contains("KEY=VALUES"));
    }

    #[test]
    fn grid_order_first_key_slowest() {
        let a = parse_vary("a=1,2").unwrap();
        let b = parse_vary("b=x,y,z").unwrap();
        let g = grid(&[a.clone(), b]).unwrap();
        let flat: Vec<String> = g.iter().map(|p| format!("{}{}", p[0].1, p[1].1)).collect();
        assert_eq!(flat, ["1x", "1y", "1z", "2x", "2y", "2z"]);
        assert!(grid(&[]).unwrap_err().contains("at least one --vary"));
        assert!(grid(&[a.clone(), a]).unwrap_err().contains("twice"));
        let big = parse_vary("c=0..9999:1").unwrap();
        let e = grid(&[big, parse_vary("d=1,2").unwrap()]).unwrap_err();
        assert!(e.contains("10000 x 2") && e.contains("limit"), "{e}");
    }
}
