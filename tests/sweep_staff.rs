//! `routesim sweep` and `routesim staff`: results that could be wrong (a
//! sweep point differs from the equivalent run, bytes depend on threads, the
//! staffing disagrees with Erlang C) and bad input that must give exit 2.

mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use common::mmc_scenario;
use predicates::str::contains;

fn routesim() -> Command {
    Command::cargo_bin("routesim").unwrap()
}

/// Writes a scenario into `dir` and returns its path.
fn scenario_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// A short M/M/c+M scenario: 0.3/s, 60 s handle time, 20 agents, patience 120 s.
fn small(dir: &Path) -> PathBuf {
    scenario_file(
        dir,
        "small.toml",
        &mmc_scenario(0.3, 60.0, 20, Some(120.0), 20.0, 0.5, 2),
    )
}

#[test]
fn sweep_point_equals_a_run_with_the_same_set() {
    let dir = tempfile::tempdir().unwrap();
    let scn = small(dir.path());
    let sweep_dir = dir.path().join("sweep");
    routesim()
        .arg("sweep")
        .arg(&scn)
        .args(["--vary", "users.agent.count=16..20:2"])
        .args(["--vary", "services.support.acw=0s,5s"])
        .args(["--seed", "5", "--quiet", "-o"])
        .arg(&sweep_dir)
        .assert()
        .success();
    let csv = std::fs::read_to_string(sweep_dir.join("sweep.csv")).unwrap();
    assert!(csv.starts_with(
        "point,param_users.agent.count,param_services.support.acw,service,metric,mean,ci95,min,max,replications\n"
    ));
    // Point 3 = (18, 5s): the first key varies slowest.
    let point: Vec<&str> = csv
        .lines()
        .filter_map(|l| l.strip_prefix("3,18,5s,"))
        .collect();
    assert_eq!(point.len(), 2 * routesim::stats::N_METRICS);

    let run_dir = dir.path().join("run");
    routesim()
        .arg("run")
        .arg(&scn)
        .args([
            "--set",
            "users.agent.count=18",
            "--set",
            "services.support.acw=5s",
        ])
        .args(["--seed", "5", "--quiet", "--no-sessions", "-o"])
        .arg(&run_dir)
        .assert()
        .success();
    let summary = std::fs::read_to_string(run_dir.join("summary.csv")).unwrap();
    let rows: Vec<&str> = summary.lines().skip(1).collect();
    assert_eq!(point, rows);
    // Another point differs: the parameters matter.
    let other: Vec<&str> = csv
        .lines()
        .filter_map(|l| l.strip_prefix("0,16,0s,"))
        .collect();
    assert_ne!(other, rows);
}

#[test]
fn sweep_bytes_do_not_depend_on_threads() {
    let dir = tempfile::tempdir().unwrap();
    let scn = small(dir.path());
    let mut outputs = Vec::new();
    for threads in ["1", "2"] {
        let out = dir.path().join(format!("t{threads}"));
        routesim()
            .arg("sweep")
            .arg(&scn)
            .args(["--vary", "users.agent.count=17,19,21"])
            .args(["--replications", "3", "--threads", threads, "--quiet", "-o"])
            .arg(&out)
            .assert()
            .success();
        outputs.push((
            std::fs::read(out.join("sweep.csv")).unwrap(),
            std::fs::read(out.join("sweep.json")).unwrap(),
        ));
    }
    assert_eq!(outputs[0], outputs[1]);
    let csv = String::from_utf8(outputs[0].0.clone()).unwrap();
    assert_eq!(csv.lines().count(), 1 + 3 * 2 * routesim::stats::N_METRICS);
    assert!(csv.contains(",3\n"), "3 replications per point");
}

#[test]
fn sweep_prints_json_and_markdown() {
    let dir = tempfile::tempdir().unwrap();
    let scn = small(dir.path());
    let out = dir.path().join("o");
    let a = routesim()
        .arg("sweep")
        .arg(&scn)
        .args([
            "--vary",
            "users.agent.count=18,20",
            "--format",
            "json",
            "-o",
        ])
        .arg(&out)
        .assert()
        .success();
    let stdout = String::from_utf8(a.get_output().stdout.clone()).unwrap();
    let written = std::fs::read_to_string(out.join("sweep.json")).unwrap();
    assert_eq!(stdout, written, "json on stdout is sweep.json");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["points"].as_array().unwrap().len(), 2);
    assert_eq!(v["points"][1]["params"]["users.agent.count"], "20");
    routesim()
        .arg("sweep")
        .arg(&scn)
        .args([
            "--vary",
            "users.agent.count=18,20",
            "--format",
            "markdown",
            "-o",
        ])
        .arg(&out)
        .assert()
        .success()
        .stdout(contains("| point | users.agent.count | SL |"));
}

#[test]
fn sweep_bad_input_exits_2_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let scn = small(dir.path());
    let out = dir.path().join("bad");
    for (args, want) in [
        (vec!["--vary", "users.agent.count=10.."], "no END"),
        (vec!["--vary", "users.agent.count=a..b:1"], "not a range"),
        (
            vec!["--vary", "users.agent.count=10..40:0"],
            "greater than 0",
        ),
        (
            vec!["--vary", "users.agent.count=10..40:-5"],
            "greater than 0",
        ),
        (vec!["--vary", "users.agent.count="], "no values"),
        (vec![], "at least one --vary"),
        (
            vec!["--vary", "users.nobody.count=1,2"],
            "no entry `nobody`",
        ),
        (vec!["--vary", "services.support.bogus=1,2"], "bogus"),
        (
            vec![
                "--vary",
                "users.agent.count=1..200:1",
                "--vary",
                "simulation.seed=1..100:1",
            ],
            "more than the limit of 10000",
        ),
    ] {
        routesim()
            .arg("sweep")
            .arg(&scn)
            .args(&args)
            .arg("-o")
            .arg(&out)
            .assert()
            .code(2)
            .stderr(contains(want));
    }
    assert!(!out.exists(), "bad input writes nothing");
}
