//! All integration tests in one test binary.
//!
//! Each `tests/*.rs` file is also a test target of its own (`cargo test --release --test engine`
//! runs one file), but `cargo test` builds only this binary: linking one optimised binary instead
//! of one per file is what keeps the README's test command within a few minutes. Cargo.toml marks
//! the per-file targets `test = false`. A new file must be listed here and there;
//! `every_test_file_is_included` fails until it is. `load.rs` stays a binary of its own: its live
//! tests keep wall-clock time and must not share the CPU with the rest of the suite.

// Each file declares its own `mod common;`, as it must to build as a target of its own.
#![allow(clippy::duplicate_mod)]

#[path = "cli_errors.rs"]
mod cli_errors;
#[path = "distribution.rs"]
mod distribution;
#[path = "engine.rs"]
mod engine;
#[path = "folder_faults.rs"]
mod folder_faults;
#[path = "occupancy.rs"]
mod occupancy;
#[path = "planner_report.rs"]
mod planner_report;
#[path = "properties.rs"]
mod properties;
#[path = "readme.rs"]
mod readme;
#[path = "schema.rs"]
mod schema;
#[path = "soak.rs"]
mod soak;
#[path = "staffing_plan.rs"]
mod staffing_plan;
#[path = "sweep_shards.rs"]
mod sweep_shards;
#[path = "sweep_staff.rs"]
mod sweep_staff;
#[path = "timezone.rs"]
mod timezone;
#[path = "validation.rs"]
mod validation;
#[path = "workflows.rs"]
mod workflows;

/// Test files that are binaries of their own (`test = true`, Cargo's default).
const STANDALONE: [&str; 2] = ["all.rs", "load.rs"];

/// A test file left out of this list would silently stop running under `cargo test`.
#[test]
fn every_test_file_is_included() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let this = include_str!("all.rs");
    let manifest = include_str!("../Cargo.toml");
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if !name.ends_with(".rs") || STANDALONE.contains(&name.as_str()) {
            continue;
        }
        let stem = name.trim_end_matches(".rs");
        let listed = this.contains(&format!("#[path = \"{name}\"]\nmod {stem};"));
        let target = format!("name = \"{stem}\"\npath = \"tests/{name}\"\ntest = false");
        if !listed || !manifest.contains(&target) {
            missing.push(name);
        }
    }
    assert!(
        missing.is_empty(),
        "tests/{missing:?} must be listed in tests/all.rs (`#[path = \"F.rs\"] mod F;`) and in \
         Cargo.toml as a [[test]] with `test = false`"
    );
}
