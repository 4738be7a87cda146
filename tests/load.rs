//! The live load tester: conservation and invariants under real timers,
//! agreement with `run`, the plan's ramps, find-max, the command line's
//! errors, thresholds and Ctrl-C. Each test runs a few wall seconds at most.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{load, mmc_scenario, summarise};
use routesim::load::findmax::{find_max, FindMaxOptions};
use routesim::load::plan::Stage;
use routesim::load::{run_load, summary, LoadOptions};
use routesim::model::time::{MICROS_PER_MS, MICROS_PER_SEC};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_routesim"))
}

fn no_warmup(text: String) -> String {
    text.replace("warmup = \"1h\"", "warmup = \"0s\"")
}

/// Capacity 2, random accept delays, patience and ACW: hang-ups while
/// ringing, acceptances racing hang-ups, users freed by ACW timers.
fn busy_scenario() -> String {
    no_warmup(mmc_scenario(0.5, 60.0, 12, Some(40.0), 20.0, 1.0, 1))
        .replace("im_capacity = 1", "im_capacity = 2")
        .replace(
            "accept_delay = \"0s\"",
            "accept_delay = { dist = \"uniform\", min = \"0s\", max = \"4s\" }",
        )
        .replace("acw = \"0s\"", "acw = \"5s\"")
}

#[test]
fn live_run_conserves_tasks_and_keeps_invariants() {
    let scn = load(&busy_scenario());
    let opts = LoadOptions::new(&scn, Some(2 * MICROS_PER_SEC), 300.0, Some(4.0), &[]).unwrap();
    let res = run_load(&scn, &opts, &mut |_| {}).unwrap();
    let c = res.counts;
    assert_eq!(c.violations, 0, "{c:?}");
    // 0.5/s x 4 x 300 = 600 arrivals per wall second.
    assert!(c.offered > 900, "{c:?}");
    assert!(c.handled > 0 && c.abandoned > 0, "{c:?}");
    assert_eq!(
        c.offered,
        c.handled + c.abandoned + c.ended_by_workflow + c.in_queue_at_stop,
        "every task has exactly one outcome or is still queued: {c:?}"
    );
    assert_eq!(c.generated, c.offered + c.dropped + c.unprocessed, "{c:?}");
    assert!(c.connected_at_stop <= c.handled);
    assert!(!res.interrupted);
    // The per-second rows add up to the totals.
    let arrivals: u64 = res.seconds.iter().map(|r| r.arrivals).sum();
    let accepted: u64 = res.seconds.iter().map(|r| r.accepted).sum();
    assert_eq!(arrivals, c.offered);
    assert_eq!(accepted, c.handled);
    assert!(
        res.total.decisions >= c.offered,
        "one decision per arrival at least"
    );
    let s = summary(&scn, &res);
    assert_eq!(s.get("*", "offered").unwrap().mean, c.offered as f64);
    assert!(
        s.get("*", "decision_p99_us").unwrap().mean >= s.get("*", "decision_p50_us").unwrap().mean
    );
}

/// Tolerance of the cross-check: the live run is one replication, so it is
/// compared with the spread of single replications of `run` (their standard
/// deviation), not with the confidence interval of their mean: within 4 sd
/// plus a small absolute allowance for the timer lateness, which stretches
/// handle times by a few wall ms x the time scale on a loaded machine.
#[test]
fn live_agrees_with_run_within_replication_spread() {
    // M/M/c+M: 50/s, 2 s handle times, 105 agents (rho 0.95), patience 20 s.
    // At 20x, 4 wall seconds are 80 simulated seconds, ~4000 arrivals.
    let scale = 20.0;
    let wall_s = 4.0;
    let text = no_warmup(mmc_scenario(
        50.0,
        2.0,
        105,
        Some(20.0),
        1.0,
        wall_s * scale / 3600.0,
        40,
    ));
    let scn = load(&text);
    let sim = summarise(&scn);
    let opts = LoadOptions::new(&scn, Some((wall_s * 1e6) as u64), scale, None, &[]).unwrap();
    let res = run_load(&scn, &opts, &mut |_| {}).unwrap();
    assert_eq!(res.counts.violations, 0);
    let live = summary(&scn, &res);
    for (metric, slack) in [
        ("service_level", 0.03),
        ("mean_wait_s", 0.1),
        ("p_abandon", 0.01),
        ("p_wait", 0.03),
        ("offered", 0.0),
    ] {
        let e = sim.get("*", metric).unwrap();
        let sd = e.ci95 / routesim::stats::ci::t975(e.n - 1) * (e.n as f64).sqrt();
        let got = live.get("*", metric).unwrap().mean;
        assert!(
            (got - e.mean).abs() <= 4.0 * sd + slack,
            "{metric}: live {got} vs run {} (sd of one replication {sd})",
            e.mean
        );
    }
}

#[test]
fn stages_ramp_the_offered_load() {
    let scn = load(&no_warmup(mmc_scenario(
        1.0,
        1.0,
        200,
        Some(5.0),
        1.0,
        1.0,
        1,
    )));
    // 0 -> 2000 arrivals per wall second over 2 s: ~500 then ~1500.
    let stages = [Stage {
        duration: 2 * MICROS_PER_SEC,
        target: 2000.0,
    }];
    let mut opts = LoadOptions::new(&scn, None, 10.0, None, &stages).unwrap();
    opts.drain = 0;
    assert_eq!(opts.duration, 2 * MICROS_PER_SEC);
    let res = run_load(&scn, &opts, &mut |_| {}).unwrap();
    let first = res.seconds[0].arrivals as f64;
    let second = res.seconds[1].arrivals as f64;
    assert!((first - 500.0).abs() < 5.0 * 500f64.sqrt(), "{first}");
    assert!((second - 1500.0).abs() < 5.0 * 1500f64.sqrt(), "{second}");
}

#[test]
fn find_max_doubles_while_passing_and_halves_while_failing() {
    let scn = load(&no_warmup(mmc_scenario(
        1.0,
        1.0,
        50,
        Some(5.0),
        1.0,
        1.0,
        1,
    )));
    let base = LoadOptions::new(&scn, None, 10.0, None, &[]).unwrap();
    let mut fm = FindMaxOptions {
        start_rate: 200.0,
        step: 300 * MICROS_PER_MS,
        max_p99_us: 1e9,
        max_lag_ms: 1e6,
        max_late_share: 1.0,
        max_steps: 3,
        retries: 1,
        precision: 0.05,
    };
    let pass = find_max(&scn, &base, &fm, &mut |_| {}).unwrap();
    let rates: Vec<f64> = pass.steps.iter().map(|s| s.rate).collect();
    assert_eq!(rates, vec![200.0, 400.0, 800.0]);
    assert_eq!(pass.best().unwrap().rate, 800.0);
    assert!(pass.steps.iter().all(|s| s.decisions_per_s > 0.0));
    // Nothing can have a p99 of 0 us with lag: every step fails, twice.
    fm.max_p99_us = 0.0;
    let fail = find_max(&scn, &base, &fm, &mut |_| {}).unwrap();
    let rates: Vec<f64> = fail.steps.iter().map(|s| s.rate).collect();
    assert_eq!(rates, vec![200.0, 200.0, 100.0, 100.0, 50.0, 50.0]);
    assert!(fail.best().is_none());
    assert!(fail.steps[0].reason.contains("decision p99"));
}

fn write_scenario(dir: &Path) -> std::path::PathBuf {
    let p = dir.join("mmc.toml");
    std::fs::write(
        &p,
        no_warmup(mmc_scenario(1.0, 2.0, 30, Some(10.0), 1.0, 1.0, 1)),
    )
    .unwrap();
    p
}

#[test]
fn bad_flags_name_the_flag_and_write_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let scn = write_scenario(tmp.path());
    let out = tmp.path().join("out");
    for (args, flag, what) in [
        (vec!["--stage", "30s"], "--stage", "has no `:`"),
        (vec!["--stage", "x:5"], "--stage", "`x` is not a duration"),
        (vec!["--stage", "5s:-3"], "--stage", "not a rate"),
        (
            vec!["--time-scale", "-1"],
            "--time-scale",
            "positive number",
        ),
        (vec!["--rate-scale", "0"], "--rate-scale", "positive number"),
        (vec!["--duration", "0s"], "--duration", "zero"),
        (
            vec!["--rate-scale", "2", "--stage", "1s:10"],
            "--rate-scale",
            "cannot be combined",
        ),
        (
            vec!["--threshold", "support:decisions_per_s>1"],
            "decisions_per_s",
            "whole tenant",
        ),
    ] {
        let o = bin()
            .arg("load")
            .arg(&scn)
            .arg("-o")
            .arg(&out)
            .args(&args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(flag) && err.contains(what), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(!out.exists(), "{args:?} wrote output");
    }
}

#[test]
fn failed_threshold_exits_1_after_writing_everything() {
    let tmp = tempfile::tempdir().unwrap();
    let scn = write_scenario(tmp.path());
    let out = tmp.path().join("out");
    let o = bin()
        .arg("load")
        .arg(&scn)
        .args(["--duration", "1s", "--time-scale", "10", "--drain", "0s"])
        .args(["--threshold", "decisions_per_s>1e12"])
        .args(["--threshold", "dropped_arrivals==0"])
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("threshold FAILED: *:decisions_per_s>1000000000000"));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let verdicts = json["thresholds"].as_array().unwrap();
    assert_eq!(verdicts.len(), 2);
    assert_eq!(verdicts[0]["ok"], false);
    assert_eq!(verdicts[1]["ok"], true);
    let csv = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    assert!(csv.starts_with("service,metric,mean,ci95,min,max,replications\n"));
    assert!(csv.contains("\n*,decision_p99_us,"));
    let load = std::fs::read_to_string(out.join("load.csv")).unwrap();
    assert!(load.starts_with("second,arrivals,decisions,offers,accepted,abandoned,queue_len,decision_p50_us,decision_p99_us,timer_lag_p99_ms\n"));
    assert!(load.lines().count() >= 2);
    // Nothing but the three files (no temporary leftovers).
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["load.csv", "summary.csv", "summary.json"]);
}

#[test]
fn ctrl_c_stops_cleanly_and_writes_what_was_measured() {
    let tmp = tempfile::tempdir().unwrap();
    let scn = write_scenario(tmp.path());
    let out = tmp.path().join("out");
    let mut child = bin()
        .arg("load")
        .arg(&scn)
        .args(["--duration", "60s", "--time-scale", "10", "-q"])
        .arg("-o")
        .arg(&out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let started = Instant::now();
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "did not stop");
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert_eq!(status.code(), Some(0), "{err}");
    assert!(err.contains("interrupted"), "{err}");
    let load = std::fs::read_to_string(out.join("load.csv")).unwrap();
    let rows = load.lines().count() - 1;
    assert!((1..=5).contains(&rows), "{rows} rows after ~1.5 s");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert!(json["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["metric"] == "offered"
            && m["service"] == "*"
            && m["mean"].as_f64().unwrap() > 0.0));
}

/// Users who decline or let offers ring out: declines and ring timeouts go
/// through the router with the offer's round; persistent RONA parks users
/// until `rona_end`. Every task still has exactly one outcome.
#[test]
fn live_declines_and_ring_timeouts_keep_invariants() {
    let text = busy_scenario()
        .replace(
            "acw = \"5s\"",
            "acw = \"5s\"\nring_timeout = \"3s\"\npersistent_rona = true\nrona_reset = \"10s\"",
        )
        .replace(
            "im_capacity = 2",
            "im_capacity = 2\ndecline_probability = 0.2\nno_answer_probability = 0.2",
        );
    let scn = load(&text);
    let opts = LoadOptions::new(&scn, Some(2 * MICROS_PER_SEC), 300.0, Some(4.0), &[]).unwrap();
    let res = run_load(&scn, &opts, &mut |_| {}).unwrap();
    let c = res.counts;
    assert_eq!(c.violations, 0, "{c:?}");
    assert!(c.declines > 0 && c.ronas > 0, "{c:?}");
    assert!(c.handled > 0, "{c:?}");
    assert_eq!(
        c.offered,
        c.handled + c.abandoned + c.ended_by_workflow + c.in_queue_at_stop,
        "{c:?}"
    );
    let offers: u64 = res.seconds.iter().map(|r| r.offers).sum();
    assert!(
        offers >= c.handled + c.declines + c.ronas,
        "{c:?} offers {offers}"
    );
}

/// What the live driver cannot run is refused before the test, saying why.
#[test]
fn refuses_workflows_and_arrivals_it_cannot_drive() {
    let base = no_warmup(mmc_scenario(1.0, 1.0, 2, None, 20.0, 1.0, 1));
    let msg = base.replace(
        "steps.accept = { do = \"accept\", next = \"queue\" }",
        "steps.accept = { do = \"accept\", next = \"hello\" }\nsteps.hello = { do = \"message\", next = \"queue\" }",
    );
    assert_ne!(msg, base);
    let err = LoadOptions::new(&load(&msg), None, 1.0, None, &[]).unwrap_err();
    assert!(
        err.contains("step `hello`") && err.contains("not supported by `routesim load`"),
        "{err}"
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("t.csv"), "time,handle_time\n0,1\n1,1\n").unwrap();
    let traced = base.replace("rate = \"1/s\"", "trace = \"t.csv\"");
    assert_ne!(traced, base);
    let path = dir.path().join("s.toml");
    std::fs::write(&path, &traced).unwrap();
    let out = bin()
        .args(["load", path.to_str().unwrap(), "--duration", "1s"])
        .arg("-o")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("replays a trace"), "{stderr}");
}
