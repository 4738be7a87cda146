//! Staffing plans: one `scale` semantic for staff, run and load; a group
//! with shifts staffed; a plan written by `staff` read back as a scenario's
//! agents gives exactly the figures staff judged; shrinkage turns the plan's
//! on-floor agents into scheduled ones without changing what is simulated.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

fn routesim() -> Command {
    Command::cargo_bin("routesim").unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// A 4-hour day from 08:00: two channels; `arrivals` is the text of the
/// [[arrivals]] tables, `users` extra keys of the group.
fn day(arrivals: &str, users: &str) -> String {
    format!(
        r#"
[simulation]
duration = "4h"
seed = 5
replications = 4
interval = "1h"
start = "2026-11-24T08:00"

[tenant]
modalities = ["im"]

[[services]]
id = "chat"
license = "contact_center"
addons = ["interact"]
channels = ["interact", "whatsapp"]
workflow = "q"
sla = "30s"

[[users]]
id = "agents"
services = ["chat"]
licenses = ["im"]
im_capacity = 2
{users}

{arrivals}

[workflows.q]
start = "accept"
steps.accept = {{ do = "accept", next = "queue" }}
steps.queue = {{ do = "queue_task" }}
"#
    )
}

fn source(channel: &str, rate: &str) -> String {
    format!(
        r#"[[arrivals]]
service = "chat"
channel = "{channel}"
{rate}
handle_time = {{ dist = "exponential", mean = "4m" }}
patience = {{ dist = "exponential", mean = "5m" }}
"#
    )
}

fn column(csv: &str, name: &str) -> Vec<String> {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let c = header.iter().position(|h| *h == name).unwrap();
    lines
        .map(|l| l.split(',').nth(c).unwrap().to_string())
        .collect()
}

#[test]
fn scale_and_load_scale_are_seen_once_by_staff_run_and_the_arrival_rates() {
    let dir = tempfile::tempdir().unwrap();
    // 200/h split 60/40 by `scale`, then +10 % by load_scale: 132/h + 88/h.
    let scaled = day(
        &[
            source("interact", "rate = \"200/h\"\nscale = 0.6"),
            source("whatsapp", "rate = \"200/h\"\nscale = 0.4"),
        ]
        .concat(),
        "count = 10",
    );
    let explicit = day(
        &[
            source("interact", "rate = \"132/h\""),
            source("whatsapp", "rate = \"88/h\""),
        ]
        .concat(),
        "count = 10",
    );
    let a = write(dir.path(), "scaled.toml", &scaled);
    let b = write(dir.path(), "explicit.toml", &explicit);
    // The arrival rates every consumer reads (run's engine, load's plan and
    // staff all read the built patterns).
    let load = |p: &Path, sets: &[String]| {
        routesim::scenario::load(p, sets)
            .unwrap_or_else(|e| panic!("{e}"))
            .scenario
    };
    let sa = load(&a, &["simulation.load_scale=1.1".into()]);
    let sb = load(&b, &[]);
    let ra = routesim::planner::staff::interval_rates(&sa);
    let rb = routesim::planner::staff::interval_rates(&sb);
    for (x, y) in ra.iter().flatten().zip(rb.iter().flatten()) {
        assert!((x - y).abs() < 1e-12, "{ra:?} vs {rb:?}");
    }
    // staff: the same offered rate for both files.
    let mut rates = Vec::new();
    for (p, extra) in [(&a, vec!["--load-scale", "1.1"]), (&b, vec![])] {
        let out = dir.path().join(p.file_stem().unwrap());
        routesim()
            .arg("staff")
            .arg(p)
            .args([
                "--target",
                "service_level>=0.8",
                "--replications",
                "2",
                "-q",
                "-o",
            ])
            .arg(&out)
            .args(&extra)
            .assert()
            .success();
        let csv = std::fs::read_to_string(out.join("staffing.csv")).unwrap();
        rates.push(column(&csv, "arrival_rate_per_h"));
    }
    assert_eq!(rates[0], rates[1]);
    assert!(rates[0].iter().all(|r| r == "220"), "{:?}", rates[0]);
    // run: offered chats over 4 h x 4 replications match 220/h (Poisson:
    // 3520 expected, sd ~59; 5 sd apart would be a different load).
    let out = dir.path().join("run");
    routesim()
        .arg("run")
        .arg(&a)
        .args(["--load-scale", "1.1", "--no-sessions", "-q", "-o"])
        .arg(&out)
        .assert()
        .success();
    let reps = std::fs::read_to_string(out.join("replications.csv")).unwrap();
    // Long format: replication,service,metric,value.
    let offered: f64 = reps
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|f| f[1] == "chat" && f[2] == "offered")
        .map(|f| f[3].parse::<f64>().unwrap())
        .sum();
    assert!((offered - 3520.0).abs() < 300.0, "offered {offered}");
}

#[test]
fn a_group_with_shifts_is_staffed_and_off_shift_hours_get_nobody() {
    let dir = tempfile::tempdir().unwrap();
    // Shifts 09:00-12:00; chats only then (a daily profile).
    let mut rates = vec!["0/h"; 24];
    for r in &mut rates[9..12] {
        *r = "150/h";
    }
    let profile = format!("profile = {{ interval = \"1h\", rates = {:?} }}", rates);
    let text = day(
        &source("interact", &profile),
        "count = 1\nshifts = [{ days = [\"tue\"], from = \"09:00\", to = \"12:00\" }]",
    );
    let p = write(dir.path(), "shifts.toml", &text);
    let out = dir.path().join("o");
    routesim()
        .arg("staff")
        .arg(&p)
        .args([
            "--target",
            "service_level>=0.8",
            "--target",
            "p_abandon<=0.05",
            "--replications",
            "4",
            "-q",
            "-o",
        ])
        .arg(&out)
        .assert()
        .success();
    let csv = std::fs::read_to_string(out.join("staffing.csv")).unwrap();
    let agents: Vec<u32> = column(&csv, "agents")
        .iter()
        .map(|a| a.parse().unwrap())
        .collect();
    assert_eq!(agents.len(), 4, "{csv}");
    assert_eq!(agents[0], 0, "08:00 is off shift: {csv}");
    assert!(agents[1..].iter().all(|&a| (3..=12).contains(&a)), "{csv}");
    assert!(column(&csv, "met").iter().all(|m| m == "true"), "{csv}");
    let sl: Vec<f64> = column(&csv, "service_level")[1..]
        .iter()
        .map(|v| v.parse().unwrap())
        .collect();
    assert!(sl.iter().all(|&v| v >= 0.8), "{csv}");
}

#[test]
fn a_plan_from_staff_read_back_as_the_agents_reproduces_its_figures() {
    let dir = tempfile::tempdir().unwrap();
    let mut rates = vec!["0/h"; 24];
    rates[8] = "120/h";
    rates[9] = "240/h";
    rates[10] = "120/h";
    let profile = format!("profile = {{ interval = \"1h\", rates = {:?} }}", rates);
    let text = day(&source("whatsapp", &profile), "count = 3");
    let p = write(dir.path(), "plan.toml", &text);
    let out = dir.path().join("staff");
    routesim()
        .arg("staff")
        .arg(&p)
        .args([
            "--target",
            "every_interval:service_level>=0.8",
            "--replications",
            "4",
            "-q",
            "-o",
        ])
        .arg(&out)
        .assert()
        .success();
    let csv = std::fs::read_to_string(out.join("staffing.csv")).unwrap();
    let agents: Vec<u32> = column(&csv, "agents")
        .iter()
        .map(|a| a.parse().unwrap())
        .collect();
    assert!(
        agents[1] > agents[0] && agents[1] > agents[2],
        "the peak hour needs more: {csv}"
    );
    assert!(std::fs::read_to_string(out.join("report.html"))
        .unwrap()
        .contains("Agents per interval"));
    // The plan as the group's agents.
    let plan = out.join("staffing.csv");
    let sets = vec![format!(
        "users.agents.staffing={:?}",
        plan.to_str().unwrap()
    )];
    let loaded = routesim::scenario::load(&p, &sets).unwrap_or_else(|e| panic!("{e}"));
    assert!(loaded
        .warnings
        .iter()
        .any(|w| w.message.contains("ignored")));
    let scn = loaded.scenario;
    let max = *agents.iter().max().unwrap();
    assert_eq!(scn.users.len() as u32, max);
    // User k is on duty exactly in the hours whose count reaches k.
    let hour = 3_600_000_000u64;
    for (k, u) in scn.users.iter().enumerate() {
        let d = u.duty.as_ref().unwrap();
        for (i, &a) in agents.iter().enumerate() {
            let mid = i as u64 * hour + hour / 2;
            let on = routesim::model::duty::on_duty(d, mid);
            assert_eq!(on, (k as u32) < a, "user {k}, hour {i}");
        }
    }
    // run with the plan judges every hour as staff did: the same figures.
    let opts = routesim::run::RunOptions {
        out_dir: dir.path().join("run"),
        threads: None,
        sessions: false,
        thresholds: Vec::new(),
        shard: None,
        ..Default::default()
    };
    let got = routesim::run::run(&scn, &opts, &|| {}).unwrap();
    for (i, want) in column(&csv, "service_level").iter().enumerate() {
        let v = got.intervals.value(i, "*", "service_level");
        if want.is_empty() {
            assert!(!v.is_finite());
        } else {
            let w: f64 = want.parse().unwrap();
            assert!((v - w).abs() < 1e-6, "hour {i}: run {v}, staff {w}");
            assert!(v >= 0.8);
        }
    }
    // A malformed plan names the file and line.
    let bad = write(
        dir.path(),
        "bad.csv",
        "start,agents\n2026-11-24T08:00,3\n2026-11-24T07:00,2\n",
    );
    let e = routesim::scenario::load(
        &p,
        &[format!("users.agents.staffing={:?}", bad.to_str().unwrap())],
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("bad.csv, line 3") && e.contains("time order"),
        "{e}"
    );
}

/// scenarios/planner-day.toml with `shrinkage = X` on its group, if given.
fn planner_day(dir: &Path, name: &str, shrinkage: Option<&str>) -> PathBuf {
    let text = std::fs::read_to_string("scenarios/planner-day.toml").unwrap();
    let text = match shrinkage {
        Some(x) => {
            let t = text.replacen(
                "im_capacity = 2\n",
                &format!("im_capacity = 2\nshrinkage = {x}\n"),
                1,
            );
            assert_ne!(t, text, "the key was added");
            t
        }
        None => text,
    };
    write(dir, name, &text)
}

/// `staff` with 3 replications into `dir/out`; stdout and staffing.csv.
fn staff(scn: &Path, out: &Path, extra: &[&str]) -> (String, String) {
    let a = routesim()
        .arg("staff")
        .arg(scn)
        .args(["--replications", "3", "--format", "markdown", "-o"])
        .arg(out)
        .args(extra)
        .assert()
        .success();
    let stdout = String::from_utf8(a.get_output().stdout.clone()).unwrap();
    (
        stdout,
        std::fs::read_to_string(out.join("staffing.csv")).unwrap(),
    )
}

fn numbers(csv: &str, name: &str) -> Vec<u64> {
    column(csv, name)
        .iter()
        .map(|v| v.parse().unwrap())
        .collect()
}

#[test]
fn shrinkage_must_be_a_share_below_one_named_by_its_key() {
    let dir = tempfile::tempdir().unwrap();
    for (value, want) in [
        (
            "-0.1",
            "users.agents.shrinkage: got -0.1, expected a share of paid time",
        ),
        ("1", "users.agents.shrinkage: got 1, expected"),
        ("1.5", "users.agents.shrinkage: got 1.5"),
        ("nan", "users.agents.shrinkage: got NaN"),
        (
            "\"30%\"",
            "`shrinkage` must be a number, got the string \"30%\"",
        ),
        ("true", "`shrinkage` must be a number, got the boolean true"),
    ] {
        let scn = planner_day(dir.path(), "bad.toml", Some(value));
        for cmd in ["validate", "run"] {
            routesim()
                .arg(cmd)
                .arg(&scn)
                .assert()
                .code(2)
                .stderr(predicate::str::contains(want))
                .stderr(predicate::str::contains("bad.toml"));
        }
    }
    // The flag: the same range, exit 2, nothing written.
    let scn = planner_day(dir.path(), "ok.toml", None);
    let out = dir.path().join("o");
    for (value, want) in [
        ("1", "got 1, expected"),
        ("-1", "got -1"),
        ("30%", "`30%` is not a number"),
    ] {
        routesim()
            .arg("staff")
            .arg(&scn)
            .arg(format!("--shrinkage={value}"))
            .arg("-o")
            .arg(&out)
            .assert()
            .code(2)
            .stderr(predicate::str::contains("--shrinkage"))
            .stderr(predicate::str::contains(want));
    }
    assert!(!out.exists());
    // 0 and an integer 0 are fine; so is a fraction.
    for value in ["0", "0.0", "0.25", "0.6"] {
        let scn = planner_day(dir.path(), "fine.toml", Some(value));
        routesim()
            .arg("validate")
            .arg(&scn)
            .assert()
            .success()
            .stderr(predicate::str::contains("shrinkage").not());
    }
}

/// A valid shrinkage above 0.6 is more likely the share of time on the
/// floor than away from it: a warning says what it does to the headcount,
/// in the key's place or for the flag; the command still runs.
#[test]
fn an_implausible_shrinkage_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let scn = planner_day(dir.path(), "high.toml", Some("0.9"));
    routesim()
        .arg("validate")
        .arg(&scn)
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "warning: ",
        ))
        .stderr(predicate::str::contains(
            "users.agents.shrinkage: shrinkage 0.9 means 90 % of paid time away from the floor: staff schedules 10.0x the agents on the floor",
        ));
    let scn = planner_day(dir.path(), "ok.toml", None);
    routesim()
        .arg("staff")
        .arg(&scn)
        .args(["--shrinkage", "0.75", "--set", "simulation.duration=1h", "--quiet", "-o"])
        .arg(dir.path().join("o"))
        .assert()
        .stderr(predicate::str::contains(
            "warning: --shrinkage: shrinkage 0.75 means 75 % of paid time away from the floor: staff schedules 4.0x",
        ));
}

#[test]
fn staff_schedules_the_simulated_plan_after_the_groups_shrinkage_or_the_flags() {
    let dir = tempfile::tempdir().unwrap();
    let plain = planner_day(dir.path(), "plain.toml", None);
    let shrunk = planner_day(dir.path(), "shrunk.toml", Some("0.25"));
    let (_, base) = staff(&plain, &dir.path().join("plain"), &[]);
    let agents = numbers(&base, "agents");
    assert_eq!(
        numbers(&base, "scheduled_agents"),
        agents,
        "shrinkage 0: {base}"
    );
    assert!(agents.iter().any(|&a| a > 10), "{base}");

    // The key: the same agents on the floor (same seed: the same plan was
    // simulated), scheduled = ceil(agents / 0.75) = ceil(4 agents / 3).
    let out = dir.path().join("shrunk");
    let (stdout, csv) = staff(&shrunk, &out, &[]);
    assert_eq!(numbers(&csv, "agents"), agents, "{csv}");
    let scheduled = numbers(&csv, "scheduled_agents");
    let want: Vec<u64> = agents.iter().map(|a| (4 * a).div_ceil(3)).collect();
    assert_eq!(scheduled, want, "{csv}");
    // Totals in stdout and staffing.json: on the floor and scheduled.
    let (on_floor, rostered): (u64, u64) = (agents.iter().sum(), want.iter().sum());
    assert!(
        stdout.contains(&format!("plan: {on_floor} agent-intervals on the floor"))
            && stdout.contains(&format!("{rostered} scheduled at 25 % shrinkage")),
        "{stdout}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("staffing.json")).unwrap()).unwrap();
    assert_eq!(json["shrinkage"], 0.25);
    assert_eq!(json["agent_intervals"], on_floor);
    assert_eq!(json["scheduled_agent_intervals"], rostered);
    let rows = json["intervals"].as_array().unwrap();
    assert!(rows
        .iter()
        .zip(&want)
        .all(|(r, &w)| r["scheduled_agents"] == w));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("scheduled (25 % shrinkage)"));
    let json_out = routesim()
        .arg("staff")
        .arg(&shrunk)
        .args(["--replications", "3", "--format", "json", "-o"])
        .arg(dir.path().join("json"))
        .output()
        .unwrap();
    let printed: serde_json::Value = serde_json::from_slice(&json_out.stdout).unwrap();
    assert_eq!(printed["scheduled_agent_intervals"], rostered);

    // --shrinkage replaces the key: ceil(agents / 0.6) = ceil(5 agents / 3).
    let (_, csv) = staff(&shrunk, &dir.path().join("flag"), &["--shrinkage", "0.4"]);
    assert_eq!(numbers(&csv, "agents"), agents, "{csv}");
    let want: Vec<u64> = agents.iter().map(|a| (5 * a).div_ceil(3)).collect();
    assert_eq!(numbers(&csv, "scheduled_agents"), want, "{csv}");
    let (_, csv) = staff(&shrunk, &dir.path().join("zero"), &["--shrinkage", "0"]);
    assert_eq!(numbers(&csv, "scheduled_agents"), agents, "{csv}");
}

#[test]
fn run_simulates_a_plans_agents_column_not_its_scheduled_agents() {
    let dir = tempfile::tempdir().unwrap();
    let scn = planner_day(dir.path(), "day.toml", Some("0.3"));
    let (_, with) = staff(&scn, &dir.path().join("staff"), &[]);
    let agents = numbers(&with, "agents");
    let scheduled = numbers(&with, "scheduled_agents");
    assert_ne!(agents, scheduled, "{with}");
    // The same plan without the column, and with it before `agents`.
    let start = column(&with, "start");
    let rows = |f: &dyn Fn(usize) -> String| (0..start.len()).map(f).collect::<String>();
    let without = format!(
        "start,agents\n{}",
        rows(&|i| format!("{},{}\n", start[i], agents[i]))
    );
    let first = format!(
        "scheduled_agents,start,agents\n{}",
        rows(&|i| format!("{},{},{}\n", scheduled[i], start[i], agents[i]))
    );
    let mut results = Vec::new();
    for (name, plan) in [
        ("with.csv", with.as_str()),
        ("without.csv", &without),
        ("first.csv", &first),
    ] {
        write(dir.path(), name, plan);
        let set = format!("users.agents.staffing={name:?}");
        let loaded = routesim::scenario::load(&scn, std::slice::from_ref(&set))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let max = *agents.iter().max().unwrap();
        assert_eq!(
            loaded.scenario.users.len() as u64,
            max,
            "{name}: users = the largest `agents`"
        );
        let out = dir.path().join(name.replace(".csv", ""));
        routesim()
            .arg("run")
            .arg(&scn)
            .args([
                "--set",
                &set,
                "--replications",
                "2",
                "--no-thresholds",
                "--no-sessions",
                "-q",
                "-o",
            ])
            .arg(&out)
            .assert()
            .success()
            .stderr(predicate::str::contains("shrinkage").not());
        results.push((
            std::fs::read_to_string(out.join("replications.csv")).unwrap(),
            std::fs::read_to_string(out.join("intervals.csv")).unwrap(),
        ));
    }
    assert!(
        results[0] == results[1] && results[1] == results[2],
        "the same plan was simulated"
    );
}
