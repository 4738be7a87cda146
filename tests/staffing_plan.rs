//! Staffing plans: one `scale` semantic for staff, run and load; a group
//! with shifts staffed; a plan written by `staff` read back as a scenario's
//! agents gives exactly the figures staff judged.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

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
