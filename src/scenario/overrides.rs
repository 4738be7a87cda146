//! `--set KEY=VALUE` and `--vary`: edits to the scenario document before it is
//! deserialized. Keys are dotted paths; arrays of tables are addressed by `id`
//! (`services.support.acw=30s`) or by index (`arrivals.0.rate=900/h`).

/// Parses "KEY=VALUE".
pub fn split_assignment(s: &str) -> Result<(&str, &str), String> {
    let (k, v) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}` is not KEY=VALUE (e.g. services.support.acw=30s)"))?;
    let k = k.trim();
    if k.is_empty() {
        return Err(format!("`{s}` has an empty key"));
    }
    Ok((k, v.trim()))
}

/// Interprets VALUE as a TOML value (number, bool, array, inline table, quoted
/// string) and falls back to a bare string, so `acw=30s` and `count=12` both work.
pub fn parse_value(v: &str) -> toml::Value {
    match toml::from_str::<toml::Table>(&format!("v = {v}")) {
        Ok(mut t) => t
            .remove("v")
            .unwrap_or_else(|| toml::Value::String(v.to_string())),
        Err(_) => toml::Value::String(v.to_string()),
    }
}

/// Sets `key` to `value` in `doc`. The path must exist up to its last segment,
/// which may be new (serde's unknown-key check then judges it).
pub fn apply(doc: &mut toml::Table, key: &str, value: toml::Value) -> Result<(), String> {
    let parts: Vec<&str> = key.split('.').collect();
    apply_parts(doc, key, &parts, String::new(), value)
}

fn apply_parts(
    table: &mut toml::Table,
    key: &str,
    parts: &[&str],
    mut walked: String,
    value: toml::Value,
) -> Result<(), String> {
    let (part, rest) = match parts {
        [] => {
            return Err(format!(
                "`--set {key}` names a whole entry; add the key to set"
            ))
        }
        [last] => {
            table.insert(last.to_string(), value);
            return Ok(());
        }
        [part, rest @ ..] => (*part, rest),
    };
    if !walked.is_empty() {
        walked.push('.');
    }
    walked.push_str(part);
    match table.get_mut(part) {
        Some(toml::Value::Table(t)) => apply_parts(t, key, rest, walked, value),
        Some(toml::Value::Array(items)) => {
            // Arrays of tables: the next segment selects an entry by id or index.
            let sel = rest[0];
            let pos = items
                .iter()
                .position(|it| it.get("id").and_then(|v| v.as_str()) == Some(sel))
                .or_else(|| sel.parse::<usize>().ok().filter(|n| *n < items.len()));
            let Some(pos) = pos else {
                let ids: Vec<&str> = items
                    .iter()
                    .filter_map(|it| it.get("id").and_then(|v| v.as_str()))
                    .collect();
                let known = if ids.is_empty() {
                    format!("indices 0..{}", items.len())
                } else {
                    ids.join(", ")
                };
                return Err(format!(
                    "`--set {key}`: no entry `{sel}` in `{walked}` (known: {known})"
                ));
            };
            walked.push('.');
            walked.push_str(sel);
            match items[pos].as_table_mut() {
                Some(t) => apply_parts(t, key, &rest[1..], walked, value),
                None => Err(format!("`--set {key}`: `{walked}` is not a table")),
            }
        }
        Some(_) => Err(format!("`--set {key}`: `{walked}` is a value, not a table")),
        None => Err(format!("`--set {key}`: the scenario has no `{walked}`")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> toml::Table {
        toml::from_str(
            r#"
            [simulation]
            duration = "1h"
            [[services]]
            id = "support"
            acw = "0s"
            [[arrivals]]
            rate = "10/h"
            "#,
        )
        .unwrap()
    }

    #[test]
    fn sets_by_id_index_and_path() {
        let mut d = doc();
        apply(&mut d, "services.support.acw", parse_value("30s")).unwrap();
        apply(&mut d, "arrivals.0.rate", parse_value("\"20/h\"")).unwrap();
        apply(&mut d, "simulation.seed", parse_value("9")).unwrap();
        assert_eq!(d["services"][0]["acw"].as_str(), Some("30s"));
        assert_eq!(d["arrivals"][0]["rate"].as_str(), Some("20/h"));
        assert_eq!(d["simulation"]["seed"].as_integer(), Some(9));
    }

    #[test]
    fn unknown_paths_are_errors() {
        let mut d = doc();
        let e = apply(&mut d, "services.sales.acw", parse_value("1s")).unwrap_err();
        assert!(
            e.contains("no entry `sales`") && e.contains("support"),
            "{e}"
        );
        assert!(apply(&mut d, "nothing.here", parse_value("1")).is_err());
        assert!(apply(&mut d, "services.support", parse_value("1")).is_err());
    }
}
