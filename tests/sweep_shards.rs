//! `routesim sweep --shard I/N` and `routesim merge` of sweep folders: the
//! merge of all shards is the unsharded sweep, byte for byte, and folders
//! that do not belong together are refused with exit 2.

mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use common::mmc_scenario;
use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;

const FILES: [&str; 4] = [
    "sweep.csv",
    "sweep.json",
    "sweep_replications.csv",
    "report.html",
];

fn routesim() -> Command {
    Command::cargo_bin("routesim").unwrap()
}

/// A short M/M/c+M scenario with 3 replications.
fn scenario(dir: &Path) -> PathBuf {
    let p = dir.join("small.toml");
    std::fs::write(&p, mmc_scenario(0.3, 60.0, 20, Some(120.0), 20.0, 0.5, 3)).unwrap();
    p
}

/// `sweep` of 2 points x 3 replications (20 simulated minutes) into `out`.
fn sweep(scn: &Path, out: &Path, vary: &str, shard: Option<&str>) {
    let mut cmd = routesim();
    cmd.arg("sweep")
        .arg(scn)
        .args([
            "--vary",
            vary,
            "--set",
            "simulation.duration=20m",
            "--quiet",
        ])
        .arg("-o")
        .arg(out);
    if let Some(s) = shard {
        cmd.args(["--shard", s]);
    }
    cmd.assert().success();
}

const VARY: &str = "users.agent.count=18,20";

fn shards(scn: &Path, root: &Path, n: u32) -> Vec<PathBuf> {
    (0..n)
        .map(|i| {
            let out = root.join(format!("shards{n}/{i}"));
            sweep(scn, &out, VARY, Some(&format!("{i}/{n}")));
            out
        })
        .collect()
}

fn merge(dirs: &[PathBuf], out: &Path) -> Command {
    let mut cmd = routesim();
    cmd.arg("merge").args(dirs).arg("-o").arg(out);
    cmd
}

#[test]
fn merged_shards_equal_the_unsharded_sweep_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let scn = scenario(dir.path());
    let full = dir.path().join("full");
    sweep(&scn, &full, VARY, None);
    let reps = std::fs::read_to_string(full.join("sweep_replications.csv")).unwrap();
    assert!(reps.starts_with("point,param_users.agent.count,replication,service,metric,value\n"));
    assert!(reps.contains("\n1,20,2,support,offered,"));
    for n in [2, 3] {
        let parts = shards(&scn, dir.path(), n);
        let json = std::fs::read_to_string(parts[1].join("sweep.json")).unwrap();
        assert!(json.contains(&format!("\"shard\": \"1/{n}\"")), "{json}");
        assert!(parts[0].join("sweep.csv").exists() && parts[0].join("report.html").exists());
        let out = dir.path().join(format!("merged{n}"));
        merge(&parts, &out)
            .assert()
            .success()
            .stdout(contains("6 of 6 point replications"));
        assert_same_files(&full, &out, &FILES, &format!("{n} merged shards"));
    }
    let json = std::fs::read_to_string(full.join("sweep.json")).unwrap();
    assert!(json.contains("\"shard\": null"));
}

/// `sweep` with `args` (and a shard) into `out`: 20 simulated minutes.
fn sweep_with(scn: &Path, out: &Path, args: &[&str], shard: Option<&str>) {
    let mut cmd = routesim();
    cmd.arg("sweep").arg(scn).args(args);
    cmd.args([
        "--set",
        "simulation.duration=20m",
        "--replications",
        "2",
        "--quiet",
        "-o",
    ]);
    cmd.arg(out);
    if let Some(s) = shard {
        cmd.args(["--shard", s]);
    }
    cmd.assert().success();
}

const ZIPPED: [&str; 8] = [
    "--vary",
    "users.agent.count=18,20",
    "--vary",
    "services.support.acw=0s,5s",
    "--vary",
    "load_scale=1,1.1",
    "--zip",
    "load_scale,users.agent.count",
];

#[test]
fn merged_shards_of_a_zipped_sweep_equal_the_unsharded_one() {
    let dir = tempfile::tempdir().unwrap();
    let scn = scenario(dir.path());
    let full = dir.path().join("full");
    sweep_with(&scn, &full, &ZIPPED, None);
    let json = std::fs::read_to_string(full.join("sweep.json")).unwrap();
    assert!(json.contains("\"zip\": [\n    [\n      \"users.agent.count\",\n      \"simulation.load_scale\"\n    ]\n  ]"), "{json}");
    let parts: Vec<PathBuf> = (0..3)
        .map(|i| {
            let out = dir.path().join(format!("shard{i}"));
            sweep_with(&scn, &out, &ZIPPED, Some(&format!("{i}/3")));
            out
        })
        .collect();
    let out = dir.path().join("merged");
    merge(&parts, &out)
        .assert()
        .success()
        .stdout(contains("8 of 8 point replications"));
    assert_same_files(&full, &out, &FILES, "merged zipped shards");
    // A shard of the same --vary without the zip is another sweep.
    let grid = dir.path().join("grid");
    sweep_with(&scn, &grid, &ZIPPED[..6], Some("2/3"));
    merge(
        &[parts[0].clone(), parts[1].clone(), grid],
        &dir.path().join("x"),
    )
    .assert()
    .code(2)
    .stderr(contains("--zip users.agent.count,simulation.load_scale"));
}

#[test]
fn mismatched_grid_and_run_folders_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let scn = scenario(dir.path());
    let parts = shards(&scn, dir.path(), 2);
    let other = dir.path().join("other");
    sweep(&scn, &other, "users.agent.count=18,21", Some("1/2"));
    merge(&[parts[0].clone(), other.clone()], &dir.path().join("x"))
        .assert()
        .code(2)
        .stderr(contains(
            "other has the grid --vary users.agent.count=18,21",
        ))
        .stderr(contains("users.agent.count=18,20"));

    let run = dir.path().join("run");
    routesim()
        .arg("run")
        .arg(&scn)
        .args(["--set", "simulation.duration=20m", "--quiet", "-o"])
        .arg(&run)
        .assert()
        .success();
    merge(&[parts[0].clone(), run.clone()], &dir.path().join("y"))
        .assert()
        .code(2)
        .stderr(contains("run holds a run's results"))
        .stderr(contains("never both"));
    merge(&[parts[0].clone(), parts[0].clone()], &dir.path().join("z"))
        .assert()
        .code(2)
        .stderr(contains("point 0 replication 0 is in both"));
    assert!(!dir.path().join("x").exists() && !dir.path().join("y").exists());
}

#[test]
fn missing_shard_is_refused_unless_partial() {
    let dir = tempfile::tempdir().unwrap();
    let scn = scenario(dir.path());
    let parts = shards(&scn, dir.path(), 3);
    let two = &parts[..2];
    let out = dir.path().join("partial");
    merge(two, &out)
        .assert()
        .code(2)
        .stderr(contains("2 of 6 point replications missing"))
        .stderr(contains("point 0 replication 2; point 1 replication 2"))
        .stderr(contains("shard 2 of 3 is not among the inputs"));
    assert!(!out.join("sweep.csv").exists());
    merge(two, &out)
        .arg("--partial")
        .assert()
        .success()
        .stderr(contains("partial merge: 4 of 6"));
    let csv = std::fs::read_to_string(out.join("sweep.csv")).unwrap();
    assert!(csv
        .lines()
        .any(|l| l.starts_with("0,18,*,offered,") && l.ends_with(",2")));
}

#[test]
fn bad_shard_specs_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let scn = scenario(dir.path());
    for bad in ["3/2", "0/0", "a/b"] {
        routesim()
            .arg("sweep")
            .arg(&scn)
            .args(["--vary", VARY, "--shard", bad, "-o"])
            .arg(dir.path().join("x"))
            .assert()
            .code(2)
            .stderr(contains(format!("`{bad}`")));
    }
}

const MMC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/mmc.toml");
/// 15 agents fail a service level of 0.8 in every interval, 22 meet it.
const GATED: [&str; 8] = [
    "--set",
    "simulation.duration=4h",
    "--vary",
    "users.agent.count=15,22",
    "--threshold",
    "every_interval:service_level>=0.8",
    "--threshold",
    "p_abandon<0.1",
];

fn gated_sweep(out: &Path, extra: &[&str]) -> Command {
    let mut cmd = routesim();
    cmd.arg("sweep")
        .arg(MMC)
        .args(GATED)
        .args(extra)
        .arg("-o")
        .arg(out);
    cmd
}

fn json(path: PathBuf) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn sweep_judges_thresholds_at_every_point() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("gated");
    gated_sweep(&out, &[])
        .assert()
        .code(1)
        .stdout(contains("thresholds"))
        .stdout(contains("FAIL"))
        .stderr(contains(
            "point 0 (users.agent.count=15): threshold FAILED: every_interval:*:service_level>=0.8",
        ))
        .stderr(contains("in the worst interval, 2026-"))
        .stderr(contains("point 1").not());
    let doc = json(out.join("sweep.json"));
    assert_eq!(
        doc["thresholds"],
        serde_json::json!(["every_interval:*:service_level>=0.8", "*:p_abandon<0.1"])
    );
    let (p0, p1) = (&doc["points"][0], &doc["points"][1]);
    assert_eq!(p0["thresholds_ok"], false);
    assert_eq!(p1["thresholds_ok"], true);
    let worst = &p0["thresholds"][0];
    assert_eq!(worst["ok"], false);
    assert!(worst["worst_interval"]
        .as_str()
        .unwrap()
        .starts_with("2026-"));
    assert!(worst["failing_intervals"].as_u64().unwrap() > 0);
    assert!(worst["observed"].as_f64().unwrap() < 0.8);
    assert_eq!(p1["thresholds"][0]["failing_intervals"], 0);
    // The counts are written; results do not depend on --threads.
    let counts = std::fs::read_to_string(out.join("sweep_interval_counts.csv")).unwrap();
    assert!(counts.starts_with("point,param_users.agent.count,replication,service,interval,interval_start,offered,queued,handled,abandoned,in_sla,wait_sum_s\n"));
    let one = dir.path().join("one-thread");
    gated_sweep(&one, &["--threads", "1", "--quiet"])
        .assert()
        .code(1);
    for f in ["sweep.json", "sweep.csv", "sweep_interval_counts.csv"] {
        assert!(
            std::fs::read(out.join(f)).unwrap() == std::fs::read(one.join(f)).unwrap(),
            "{f}"
        );
    }
}

#[test]
fn no_thresholds_ignores_the_scenarios_gates() {
    let dir = tempfile::tempdir().unwrap();
    let scn = dir.path().join("gated.toml");
    let text = std::fs::read_to_string(MMC).unwrap();
    std::fs::write(
        &scn,
        format!("thresholds = [\"every_interval:service_level>=0.8\"]\n{text}"),
    )
    .unwrap();
    let args = [
        "--set",
        "simulation.duration=4h",
        "--vary",
        "users.agent.count=15,22",
        "--quiet",
    ];
    let sweep = |out: &str, extra: &[&str]| {
        let mut cmd = routesim();
        cmd.arg("sweep")
            .arg(&scn)
            .args(args)
            .args(extra)
            .arg("-o")
            .arg(dir.path().join(out));
        cmd.assert()
    };
    sweep("judged", &[]).code(1).stderr(contains("point 0"));
    sweep("free", &["--no-thresholds"]).success().stderr("");
    let free = dir.path().join("free");
    assert!(!free.join("sweep_interval_counts.csv").exists());
    assert_eq!(
        json(free.join("sweep.json"))["thresholds"],
        serde_json::json!([])
    );
}

#[test]
fn merged_shards_of_a_gated_sweep_equal_the_unsharded_one() {
    let dir = tempfile::tempdir().unwrap();
    let full = dir.path().join("full");
    gated_sweep(&full, &["--quiet"]).assert().code(1);
    let parts: Vec<PathBuf> = (0..3)
        .map(|i| {
            let out = dir.path().join(format!("shard{i}"));
            let code = gated_sweep(&out, &["--quiet", "--shard", &format!("{i}/3")])
                .output()
                .unwrap()
                .status
                .code();
            assert!(matches!(code, Some(0 | 1)), "shard {i}: {code:?}");
            out
        })
        .collect();
    let out = dir.path().join("merged");
    merge(&parts, &out)
        .assert()
        .code(1)
        .stderr(contains("point 0 (users.agent.count=15): threshold FAILED"));
    let gated: Vec<&str> = FILES
        .iter()
        .copied()
        .chain(["sweep_interval_counts.csv"])
        .collect();
    assert_same_files(&full, &out, &gated, "merged gated shards");
    // Shards without the counts cannot be re-judged: refused, nothing written.
    std::fs::remove_file(parts[2].join("sweep_interval_counts.csv")).unwrap();
    let refused = dir.path().join("refused");
    merge(&parts, &refused)
        .assert()
        .code(2)
        .stderr(contains("shard2/sweep_interval_counts.csv: not found"));
    assert!(!refused.exists());
}

/// Each of `files` in `merged` has the bytes it has in the unsharded `full`.
fn assert_same_files(full: &Path, merged: &Path, files: &[&str], what: &str) {
    for f in files {
        let (a, b) = (
            std::fs::read(full.join(f)).unwrap(),
            std::fs::read(merged.join(f)).unwrap(),
        );
        assert!(a == b, "{f} of {what} differs from the unsharded sweep");
    }
}
