//! `routesim schema`: the committed docs/scenario.schema.json is the
//! command's output, and every example scenario validates against it.

use std::path::Path;

use assert_cmd::Command;

const SCHEMA_LINE: &str = "#:schema ../docs/scenario.schema.json";

fn schema() -> serde_json::Value {
    let text = std::fs::read_to_string("docs/scenario.schema.json").unwrap();
    serde_json::from_str(&text).unwrap()
}

/// A scenario file as JSON (what TOML editors validate).
fn toml_to_json(text: &str) -> serde_json::Value {
    let v: toml::Value = toml::from_str(text).unwrap();
    serde_json::to_value(v).unwrap()
}

fn errors(validator: &jsonschema::Validator, text: &str) -> Vec<String> {
    let json = toml_to_json(text);
    validator
        .iter_errors(&json)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn the_committed_schema_is_the_commands_output() {
    let out = Command::cargo_bin("routesim")
        .unwrap()
        .arg("schema")
        .output()
        .unwrap();
    assert!(out.status.success());
    let committed = std::fs::read_to_string("docs/scenario.schema.json").unwrap();
    assert!(
        String::from_utf8(out.stdout).unwrap() == committed,
        "docs/scenario.schema.json is stale: run `routesim schema > docs/scenario.schema.json`"
    );
    // Keys carry their meaning and default.
    let s = schema();
    let sim = &s["$defs"]["RawSimulation"]["properties"];
    let tz = sim["timezone"]["description"].as_str().unwrap();
    assert!(
        tz.contains("IANA") && tz.contains("Default: \"UTC\""),
        "{tz}"
    );
    assert!(sim["interval"]["description"]
        .as_str()
        .unwrap()
        .contains("Default: \"15m\""));
}

#[test]
fn every_example_scenario_declares_and_meets_the_schema() {
    let validator = jsonschema::validator_for(&schema()).unwrap();
    let mut n = 0;
    for e in std::fs::read_dir("scenarios").unwrap() {
        let p = e.unwrap().path();
        if p.extension().and_then(|x| x.to_str()) != Some("toml") {
            continue;
        }
        let text = std::fs::read_to_string(&p).unwrap();
        assert_eq!(
            text.lines().next(),
            Some(SCHEMA_LINE),
            "{} starts with the #:schema line",
            p.display()
        );
        assert!(Path::new("scenarios")
            .join("../docs/scenario.schema.json")
            .exists());
        let errs = errors(&validator, &text);
        assert!(errs.is_empty(), "{}: {errs:#?}", p.display());
        n += 1;
    }
    assert!(n >= 6, "found the examples: {n}");
}

#[test]
fn the_schema_rejects_what_the_loader_rejects() {
    let validator = jsonschema::validator_for(&schema()).unwrap();
    let base = std::fs::read_to_string("scenarios/mmc.toml").unwrap();
    assert!(errors(&validator, &base).is_empty());
    for (what, bad) in [
        ("unknown key", base.replace("seed = 7", "sed = 7")),
        ("duration", base.replace("\"8h\"", "8")),
        (
            "capacity",
            base.replace("im_capacity = 1", "im_capacity = \"lots\""),
        ),
        (
            "shrinkage",
            base.replace("im_capacity = 1", "im_capacity = 1\nshrinkage = 1"),
        ),
        (
            "distribution",
            base.replace("\"exponential\", mean", "\"normal\", mean"),
        ),
        (
            "missing required",
            base.replace("workflow = \"basic\"\n", ""),
        ),
    ] {
        assert_ne!(bad, base, "{what}: the edit applies");
        assert!(!errors(&validator, &bad).is_empty(), "{what} is refused");
        assert!(
            routesim::scenario::load_str(Path::new("x.toml"), &bad, &[]).is_err(),
            "{what}: the loader refuses it too"
        );
    }
}
