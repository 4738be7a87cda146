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
    Ok(Vary {
        key: canonical_key(key),
        values,
    })
}

/// A key as the scenario knows it: `load_scale` is short for the key it sets.
fn canonical_key(key: &str) -> String {
    match key {
        "load_scale" => "simulation.load_scale",
        k => k,
    }
    .to_string()
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

/// `--zip KEY1,KEY2,...`: `--vary` keys that advance together (their i-th
/// values form one step) instead of forming a grid. Keys are spelled as in
/// `--vary`, `load_scale` included.
pub fn parse_zip(arg: &str) -> Result<Vec<String>, String> {
    let keys: Vec<String> = arg.split(',').map(|k| canonical_key(k.trim())).collect();
    if keys.iter().any(String::is_empty) {
        return Err(format!("--zip `{arg}` has an empty key: {ZIP_HINT}"));
    }
    if keys.len() < 2 {
        return Err(format!(
            "--zip `{arg}` names one key; a zip needs at least two: {ZIP_HINT}"
        ));
    }
    for (i, k) in keys.iter().enumerate() {
        if keys[..i].contains(k) {
            return Err(format!(
                "--zip `{arg}` names `{k}` twice; name each key once: {ZIP_HINT}"
            ));
        }
    }
    Ok(keys)
}

const ZIP_HINT: &str = "expected --zip KEY1,KEY2[,...] naming keys given by --vary, e.g. \
--zip users.agent.count,arrivals.0.rate";

/// The groups of the grid as indices into `varies`: each `--zip` group, and
/// each other key alone. Groups are ordered by their first key's position in
/// `varies`, keys within a group likewise, so the order of names in a `--zip`
/// does not change the sweep. Refuses a zipped key that is not varied, a key
/// in two zips and zipped keys with different numbers of values.
pub fn groups(varies: &[Vary], zips: &[Vec<String>]) -> Result<Vec<Vec<usize>>, String> {
    // group_of[k]: the zip holding varies[k], if any.
    let mut group_of: Vec<Option<usize>> = vec![None; varies.len()];
    for (z, zip) in zips.iter().enumerate() {
        for key in zip {
            let k = varies.iter().position(|v| &v.key == key).ok_or_else(|| {
                let given: Vec<&str> = varies.iter().map(|v| v.key.as_str()).collect();
                format!(
                    "--zip {}: `{key}` is not given by --vary; zip only varied keys (varied: {})",
                    zip.join(","),
                    given.join(", ")
                )
            })?;
            if let Some(other) = group_of[k] {
                return Err(format!(
                    "`{key}` is in two --zip groups ({} and {}); put all keys that advance together in one --zip",
                    zips[other].join(","),
                    zip.join(",")
                ));
            }
            group_of[k] = Some(z);
        }
    }
    let mut out: Vec<Vec<usize>> = Vec::new();
    let mut slot_of_zip: Vec<Option<usize>> = vec![None; zips.len()];
    for (k, g) in group_of.iter().enumerate() {
        match g.map(|z| (z, slot_of_zip[z])) {
            Some((_, Some(slot))) => out[slot].push(k),
            Some((z, None)) => {
                slot_of_zip[z] = Some(out.len());
                out.push(vec![k]);
            }
            None => out.push(vec![k]),
        }
    }
    for g in &out {
        let first = &varies[g[0]];
        if let Some(v) = g[1..]
            .iter()
            .map(|&k| &varies[k])
            .find(|v| v.values.len() != first.values.len())
        {
            return Err(format!(
                "--zip: `{}` has {} values but `{}` has {}; zipped keys advance together, so give them the same number of values",
                first.key,
                first.values.len(),
                v.key,
                v.values.len()
            ));
        }
    }
    Ok(out)
}

/// The zips of `groups` as key lists (groups of one left out), in grid
/// order: what sweep.json records.
pub fn zip_keys(varies: &[Vary], groups: &[Vec<usize>]) -> Vec<Vec<String>> {
    groups
        .iter()
        .filter(|g| g.len() > 1)
        .map(|g| g.iter().map(|&k| varies[k].key.clone()).collect())
        .collect()
}

/// The grid of all `--vary` combinations, zipped keys advancing together and
/// the first group varying slowest; each point is its list of (key, value) in
/// `--vary` order. Refuses duplicate keys, the zips [`groups`] refuses, and
/// grids larger than [`MAX_POINTS`].
pub fn grid(varies: &[Vary], zips: &[Vec<String>]) -> Result<Vec<Vec<(String, String)>>, String> {
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
    let groups = groups(varies, zips)?;
    // A group's length is that of any of its keys: they are equal.
    let len = |g: &Vec<usize>| varies[g[0]].values.len();
    let total = groups
        .iter()
        .try_fold(1usize, |acc, g| acc.checked_mul(len(g)))
        .filter(|n| *n <= MAX_POINTS)
        .ok_or_else(|| {
            let sizes: Vec<String> = groups.iter().map(|g| len(g).to_string()).collect();
            format!(
                "the sweep would have {} points, more than the limit of {MAX_POINTS}; use fewer values or larger steps",
                sizes.join(" x ")
            )
        })?;
    Ok((0..total)
        .map(|mut idx| {
            // Mixed-radix digits over the groups, last group fastest; every
            // key of a group takes the group's digit.
            let mut point = vec![(String::new(), String::new()); varies.len()];
            for g in groups.iter().rev() {
                let (n, digit) = (len(g), idx % len(g));
                for &k in g {
                    point[k] = (varies[k].key.clone(), varies[k].values[digit].clone());
                }
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
        let g = grid(&[a.clone(), b], &[]).unwrap();
        let flat: Vec<String> = g.iter().map(|p| format!("{}{}", p[0].1, p[1].1)).collect();
        assert_eq!(flat, ["1x", "1y", "1z", "2x", "2y", "2z"]);
        assert!(grid(&[], &[]).unwrap_err().contains("at least one --vary"));
        assert!(grid(&[a.clone(), a], &[]).unwrap_err().contains("twice"));
        let big = parse_vary("c=0..9999:1").unwrap();
        let e = grid(&[big, parse_vary("d=1,2").unwrap()], &[]).unwrap_err();
        assert!(e.contains("10000 x 2") && e.contains("limit"), "{e}");
    }

    fn varies(args: &[&str]) -> Vec<Vary> {
        args.iter().map(|a| parse_vary(a).unwrap()).collect()
    }

    fn zips(args: &[&str]) -> Vec<Vec<String>> {
        args.iter().map(|a| parse_zip(a).unwrap()).collect()
    }

    /// Each point as its values joined, in --vary order.
    fn flat(g: &[Vec<(String, String)>]) -> Vec<String> {
        g.iter()
            .map(|p| p.iter().map(|(_, v)| v.as_str()).collect())
            .collect()
    }

    #[test]
    fn zipped_keys_advance_together() {
        let v = varies(&["a=1,2,3", "b=x,y,z"]);
        let g = grid(&v, &zips(&["a,b"])).unwrap();
        assert_eq!(flat(&g), ["1x", "2y", "3z"]);
        assert_eq!(g[1], [("a".into(), "2".into()), ("b".into(), "y".into())]);
    }

    #[test]
    fn zip_groups_take_their_first_keys_place_in_the_grid() {
        // Groups {a, c} and {b}: {a, c} first (a is the first --vary), so
        // slowest; points keep --vary order (a, b, c).
        let v = varies(&["a=1,2", "b=x,y,z", "c=p,q"]);
        let g = grid(&v, &zips(&["c,a"])).unwrap();
        assert_eq!(flat(&g), ["1xp", "1yp", "1zp", "2xq", "2yq", "2zq"]);
        // The order of names in --zip does not matter.
        assert_eq!(g, grid(&v, &zips(&["a,c"])).unwrap());
        // Two zips: {a, c} (slowest), then {b, d}.
        let v = varies(&["a=1,2", "b=x,y", "c=p,q", "d=7,8"]);
        let g = grid(&v, &zips(&["d,b", "c,a"])).unwrap();
        assert_eq!(flat(&g), ["1xp7", "1yp8", "2xq7", "2yq8"]);
        // {b, d} is the second group, between a and c.
        let g = grid(&v, &zips(&["d,b"])).unwrap();
        assert_eq!(
            flat(&g),
            ["1xp7", "1xq7", "1yp8", "1yq8", "2xp7", "2xq7", "2yp8", "2yq8"]
        );
        assert_eq!(
            zip_keys(&v, &groups(&v, &zips(&["d,b", "c,a"])).unwrap()),
            [["a", "c"], ["b", "d"]]
        );
    }

    #[test]
    fn zip_accepts_load_scale_like_vary() {
        let v = varies(&["load_scale=1,1.2", "users.agent.count=20,24"]);
        let z = zips(&["users.agent.count,load_scale"]);
        assert_eq!(z, [["users.agent.count", "simulation.load_scale"]]);
        let g = grid(&v, &z).unwrap();
        assert_eq!(g.len(), 2);
        assert_eq!(g[1][0], ("simulation.load_scale".into(), "1.2".into()));
    }

    #[test]
    fn bad_zips_say_what_is_wrong() {
        for (arg, want) in [
            ("a", "names one key"),
            ("a,", "empty key"),
            (",a", "empty key"),
            ("a,a", "names `a` twice"),
            ("load_scale,simulation.load_scale", "twice"),
        ] {
            let e = parse_zip(arg).unwrap_err();
            assert!(e.contains(want) && e.contains("--zip"), "{arg}: {e}");
        }
        let v = varies(&["a=1,2", "b=x,y", "c=p,q"]);
        let e = grid(&v, &zips(&["a,x"])).unwrap_err();
        assert!(
            e.contains("`x` is not given by --vary") && e.contains("varied: a, b, c"),
            "{e}"
        );
        let e = grid(&v, &zips(&["a,b", "c,a"])).unwrap_err();
        assert!(
            e.contains("`a` is in two --zip groups (a,b and c,a)"),
            "{e}"
        );
        let v = varies(&["a=1,2,3", "b=x,y"]);
        let e = grid(&v, &zips(&["a,b"])).unwrap_err();
        assert!(
            e.contains("`a` has 3 values but `b` has 2") && e.contains("same number"),
            "{e}"
        );
        // The limit counts a zip once.
        let v = varies(&["c=1..5000:1", "d=1..5000:1", "e=1,2"]);
        assert_eq!(grid(&v, &zips(&["c,d"])).unwrap().len(), 10_000);
        let v = varies(&["c=1..5000:1", "d=1..5000:1", "e=1,2,3"]);
        let e = grid(&v, &zips(&["c,d"])).unwrap_err();
        assert!(e.contains("5000 x 3") && e.contains("limit"), "{e}");
    }
}
