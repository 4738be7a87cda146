//! Scenario files: TOML text -> raw serde structs -> the validated model.
//! Every problem names the file and a line or key; `validate` lists all.

pub mod build;
pub mod dist;
pub mod error;
pub mod limits;
pub mod overrides;
pub mod raw;
pub mod units;

use std::path::Path;

use sha2::{Digest, Sha256};

pub use error::{Problem, ScenarioError};

use crate::model::Scenario;

/// A validated scenario plus the warnings found on the way.
#[derive(Debug)]
pub struct Loaded {
    pub scenario: Scenario,
    pub warnings: Vec<Problem>,
}

/// Reads, overrides (`--set`), deserializes and validates a scenario file.
pub fn load(path: &Path, sets: &[String]) -> Result<Loaded, ScenarioError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        ScenarioError::single(path, "file", format!("cannot read the scenario: {e}"))
    })?;
    load_str(path, &text, sets)
}

/// As `load`, with the text already in hand (`path` names it in errors and
/// anchors relative file references).
pub fn load_str(path: &Path, text: &str, sets: &[String]) -> Result<Loaded, ScenarioError> {
    let raw = parse_raw(path, text, sets)?;
    let mut hasher = Sha256::new();
    hasher.update(text.as_bytes());
    for s in sets {
        hasher.update(b"\n--set ");
        hasher.update(s.as_bytes());
    }
    let hash = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>();
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "scenario".into());
    let base = path.parent().unwrap_or(Path::new("."));
    build::build(path, base, &name, hash, raw)
}

/// The scenario as written, with `--set` overrides applied, before
/// validation: for callers that need the file's notation (e.g. the
/// distribution specs `staff` takes means from).
pub fn parse_raw(
    path: &Path,
    text: &str,
    sets: &[String],
) -> Result<raw::RawScenario, ScenarioError> {
    // The file as written is checked first, so its own mistakes get line numbers.
    let raw: raw::RawScenario =
        toml::from_str(text).map_err(|e| ScenarioError::from_toml(path, text, &e))?;
    if sets.is_empty() {
        return Ok(raw);
    }
    let mut doc: toml::Table =
        toml::from_str(text).map_err(|e| ScenarioError::from_toml(path, text, &e))?;
    for s in sets {
        let (k, v) =
            overrides::split_assignment(s).map_err(|m| ScenarioError::single(path, "--set", m))?;
        overrides::apply(&mut doc, k, overrides::parse_value(v))
            .map_err(|m| ScenarioError::single(path, "--set", m))?;
    }
    // Spans are lost once the document was edited: name the overrides.
    toml::Value::Table(doc)
        .try_into()
        .map_err(|e: toml::de::Error| {
            ScenarioError::single(
                path,
                format!("after --set {}", sets.join(" --set ")),
                e.message().trim().to_string(),
            )
        })
}

/// The JSON Schema of scenario files (`routesim schema`), pretty-printed
/// with a final newline: docs/scenario.schema.json holds exactly this.
pub fn schema_json() -> String {
    let schema = schemars::schema_for!(raw::RawScenario);
    let mut s = serde_json::to_string_pretty(&schema).expect("a schema serializes");
    s.push('\n');
    s
}
