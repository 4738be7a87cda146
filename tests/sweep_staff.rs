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

#[test]
fn zipped_keys_advance_together_through_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("zip");
    routesim()
        .arg("sweep")
        .arg("scenarios/mmc.toml")
        .args(["--vary", "users.agent.count=20,25,30"])
        .args(["--vary", "services.support.acw=0s,10s"])
        .args(["--vary", "arrivals.0.rate=600/h,750/h,900/h"])
        .args(["--vary", "load_scale=1,1.1,1.2"])
        .args(["--zip", "arrivals.0.rate,users.agent.count,load_scale"])
        .args(["--set", "simulation.duration=10m", "--replications", "2"])
        .args(["--quiet", "-o"])
        .arg(&out)
        .assert()
        .success();
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("sweep.json")).unwrap()).unwrap();
    // Zip keys recorded in --vary order, load_scale under its scenario key.
    assert_eq!(
        json["zip"],
        serde_json::json!([[
            "users.agent.count",
            "arrivals.0.rate",
            "simulation.load_scale"
        ]])
    );
    // 3 zipped steps x 2 acw values, the zip slowest (its first key comes first).
    let points = json["points"].as_array().unwrap();
    let got: Vec<String> = points
        .iter()
        .map(|p| {
            let q = &p["params"];
            format!(
                "{} {} {} {}",
                q["users.agent.count"].as_str().unwrap(),
                q["services.support.acw"].as_str().unwrap(),
                q["arrivals.0.rate"].as_str().unwrap(),
                q["simulation.load_scale"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            "20 0s 600/h 1",
            "20 10s 600/h 1",
            "25 0s 750/h 1.1",
            "25 10s 750/h 1.1",
            "30 0s 900/h 1.2",
            "30 10s 900/h 1.2",
        ]
    );
    // sweep.csv keeps one column per varied key, the values paired.
    let csv = std::fs::read_to_string(out.join("sweep.csv")).unwrap();
    assert!(csv.starts_with(
        "point,param_users.agent.count,param_services.support.acw,param_arrivals.0.rate,param_simulation.load_scale,service,"
    ));
    assert!(csv.lines().any(|l| l.starts_with("5,30,10s,900/h,1.2,*,")));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("6 points"));
    assert!(
        html.contains("one line per combination of <code>services.support.acw</code> (2 lines)")
    );
}

#[test]
fn bad_zips_exit_2_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let scn = small(dir.path());
    let out = dir.path().join("bad");
    let vary = [
        "--vary",
        "users.agent.count=18,20,22",
        "--vary",
        "services.support.acw=0s,5s",
        "--vary",
        "load_scale=1,1.1",
    ];
    for (zips, want) in [
        (
            vec!["users.agent.count,services.support.acw"],
            "`users.agent.count` has 3 values but `services.support.acw` has 2",
        ),
        (
            vec!["users.agent.count,arrivals.0.rate"],
            "`arrivals.0.rate` is not given by --vary",
        ),
        (
            vec![
                "services.support.acw,load_scale",
                "load_scale,services.support.acw",
            ],
            "`simulation.load_scale` is in two --zip groups",
        ),
        (vec!["users.agent.count"], "names one key"),
    ] {
        let mut cmd = routesim();
        cmd.arg("sweep").arg(&scn).args(vary);
        for z in zips {
            cmd.args(["--zip", z]);
        }
        cmd.arg("-o")
            .arg(&out)
            .assert()
            .code(2)
            .stderr(contains(want));
    }
    assert!(!out.exists(), "bad input writes nothing");
}

/// Erlang C requirement computed here, independently of the library: the
/// fewest agents with P(wait <= sla) >= `sl`.
fn erlang_c_agents(rate: f64, handle: f64, sla: f64, sl: f64) -> u32 {
    let a = rate * handle;
    (1..1000)
        .find(|&c| {
            let c = c as f64;
            if a >= c {
                return false;
            }
            // P(wait) from the Poisson sums: (a^c/c! * c/(c-a)) / (sum_{k<c} a^k/k! + that).
            let mut term = 1.0;
            let mut below = 0.0;
            for k in 0..c as u32 {
                below += term;
                term *= a / (k as f64 + 1.0);
            }
            let top = term * c / (c - a);
            let p_wait = top / (below + top);
            1.0 - p_wait * (-(c - a) / handle * sla).exp() >= sl
        })
        .unwrap()
}

fn staffing_rows(csv: &str) -> Vec<Vec<String>> {
    csv.lines()
        .skip(1)
        .map(|l| l.split(',').map(String::from).collect())
        .collect()
}

#[test]
fn staff_on_mmc_agrees_with_erlang_c_within_one_agent() {
    use routesim::planner::erlang::Erlang;
    use routesim::planner::staff::{prepare, StaffOptions};
    let dir = tempfile::tempdir().unwrap();
    // 0.5/s, 60 s handle time: 30 Erlangs; no patience, capacity 1.
    let scn = scenario_file(
        dir.path(),
        "mmc.toml",
        &mmc_scenario(0.5, 60.0, 10, None, 20.0, 1.0, 1),
    );
    let targets = vec!["service_level>=0.8".to_string()];
    let started = std::time::Instant::now();
    let p = prepare(&scn, &targets, StaffOptions::default()).unwrap();
    let s = p.run(&Erlang, &|| {}).unwrap();
    eprintln!("staff M/M/c: {:?}", started.elapsed());
    let want = erlang_c_agents(0.5, 60.0, 20.0, 0.8);
    assert_eq!(want, 33, "the textbook value for 30 Erlangs, 80/20");
    assert_eq!(s.intervals.len(), 1);
    let i = &s.intervals[0];
    assert_eq!(i.erlang, Some(want));
    let n = i.agents;
    assert!(
        i.met && n.abs_diff(want) <= 1,
        "simulated {n}, Erlang C {want}"
    );
    assert!(i.achieved[0] >= 0.8);
}

#[test]
fn staff_chats_with_capacity_3_need_clearly_fewer_agents() {
    let dir = tempfile::tempdir().unwrap();
    let base = mmc_scenario(0.5, 60.0, 10, Some(120.0), 20.0, 1.0, 1)
        .replace("acw = \"0s\"", "acw = \"10s\"");
    let mut needed = Vec::new();
    for cap in [1, 3] {
        let text = base.replace("im_capacity = 1", &format!("im_capacity = {cap}"));
        let scn = scenario_file(dir.path(), &format!("cap{cap}.toml"), &text);
        let out = dir.path().join(format!("out{cap}"));
        routesim()
            .arg("staff")
            .arg(&scn)
            .args([
                "--target",
                "service_level>=0.8",
                "--target",
                "support:p_abandon<=0.05",
            ])
            .args(["--quiet", "-o"])
            .arg(&out)
            .assert()
            .success();
        let csv = std::fs::read_to_string(out.join("staffing.csv")).unwrap();
        assert!(csv.starts_with(
            "interval,start,agents,scheduled_agents,met,erlang_one_chat_agents,chat_aware_agents,arrival_rate_per_h,service_level,support:p_abandon\n"
        ), "{csv}");
        let rows = staffing_rows(&csv);
        assert_eq!(rows.len(), 1);
        let sl: f64 = rows[0][8].parse().unwrap();
        let pab: f64 = rows[0][9].parse().unwrap();
        assert!(rows[0][4] == "true" && sl >= 0.8 && pab <= 0.05, "{csv}");
        assert_eq!(
            rows[0][3], rows[0][2],
            "no shrinkage: scheduled = on the floor"
        );
        needed.push(rows[0][2].parse::<u32>().unwrap());
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("staffing.json")).unwrap())
                .unwrap();
        let tried = json["plans_simulated"].as_u64().unwrap();
        assert!(
            tried <= 12,
            "the search stays short: {tried} plans simulated"
        );
    }
    assert!(
        needed[1] * 2 < needed[0],
        "capacity 3 needs {} agents, capacity 1 needs {}",
        needed[1],
        needed[0]
    );
}

#[test]
fn staff_output_does_not_depend_on_threads() {
    let dir = tempfile::tempdir().unwrap();
    let scn = small(dir.path());
    let mut outputs = Vec::new();
    for threads in ["1", "2"] {
        let out = dir.path().join(format!("t{threads}"));
        routesim()
            .arg("staff")
            .arg(&scn)
            .args([
                "--target",
                "mean_wait_s<=10",
                "--replications",
                "2",
                "--quiet",
            ])
            .args(["--threads", threads, "-o"])
            .arg(&out)
            .assert()
            .success();
        outputs.push(std::fs::read(out.join("staffing.csv")).unwrap());
    }
    assert_eq!(outputs[0], outputs[1]);
}

#[test]
fn staff_bad_input_exits_2_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let scn = small(dir.path());
    let out = dir.path().join("bad");
    for (args, want) in [
        (vec!["--target", "bogus>=0.8"], "unknown metric `bogus`"),
        (
            vec!["--target", "sales:service_level>=0.8"],
            "unknown service `sales`",
        ),
        (vec!["--target", "service_level==0.8"], "use <, <=, > or >="),
        (vec!["--target", "service_level"], "no comparison"),
        (vec![], "at least one --target"),
        (
            vec!["--target", "service_level>=0.8", "--group", "nobody"],
            "--group `nobody`",
        ),
        (
            vec![
                "--target",
                "service_level>=0.8",
                "--set",
                "users.agent.bogus=1",
            ],
            "bogus",
        ),
    ] {
        routesim()
            .arg("staff")
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

#[test]
fn staff_unreachable_targets_exit_1_after_writing() {
    let dir = tempfile::tempdir().unwrap();
    let scn = small(dir.path());
    let out = dir.path().join("o");
    routesim()
        .arg("staff")
        .arg(&scn)
        .args([
            "--target",
            "service_level>=0.8",
            "--max-agents",
            "5",
            "--quiet",
            "-o",
        ])
        .arg(&out)
        .assert()
        .code(1)
        .stderr(contains("--max-agents"));
    let rows = staffing_rows(&std::fs::read_to_string(out.join("staffing.csv")).unwrap());
    assert_eq!(
        (rows[0][2].as_str(), rows[0][4].as_str()),
        ("5", "false"),
        "no count met the target"
    );
}

#[test]
fn run_prints_summary_json_with_format_json() {
    let dir = tempfile::tempdir().unwrap();
    let scn = small(dir.path());
    let out = dir.path().join("o");
    let a = routesim()
        .arg("run")
        .arg(&scn)
        .args(["--format", "json", "--no-sessions", "-o"])
        .arg(&out)
        .assert()
        .success();
    let stdout = String::from_utf8(a.get_output().stdout.clone()).unwrap();
    assert_eq!(
        stdout,
        std::fs::read_to_string(out.join("summary.json")).unwrap()
    );
}
