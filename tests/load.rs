//! The live load tester: the engine's own model paced by the wall clock, so
//! its files equal `run`'s; its own figures; stages, find-max, tenants,
//! --from, the command line's errors, thresholds and Ctrl-C. Each test runs a
//! few wall seconds at most.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{load, mmc_scenario};
use routesim::load::findmax::{find_max, FindMaxOptions};
use routesim::load::LoadOptions;
use routesim::model::time::MICROS_PER_MS;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_routesim"))
}

fn scenario(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name)
}

fn no_warmup(text: String) -> String {
    text.replace("warmup = \"1h\"", "warmup = \"0s\"")
}

fn routesim(args: &[&str], out: &Path) -> Output {
    let o = bin().args(args).arg("-o").arg(out).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!err.contains("panicked"), "{args:?}: {err}");
    o
}

fn ok(args: &[&str], out: &Path) -> String {
    let o = routesim(args, out);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn json(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&read(dir, "summary.json")).unwrap()
}

/// The load figure `metric` of the tenant from summary.csv.
fn figure(dir: &Path, metric: &str) -> f64 {
    let csv = read(dir, "summary.csv");
    let line = csv
        .lines()
        .find(|l| l.starts_with(&format!("*,{metric},")))
        .unwrap_or_else(|| panic!("no {metric} in {csv}"));
    line.split(',').nth(2).unwrap().parse().unwrap_or(f64::NAN)
}

fn assert_same_files(a: &Path, b: &Path) {
    for f in ["sessions.csv", "users.csv", "intervals.csv"] {
        let (x, y) = (read(a, f), read(b, f));
        assert!(x.lines().count() > 1, "{f} is empty");
        assert!(
            x == y,
            "{f} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}

/// The acceptance test of "one model, two clocks": whatever the machine's
/// speed, `load` (the whole span, here at a large time scale) writes the
/// same sessions, users and intervals as `run --replications 1`.
#[test]
fn load_writes_the_same_files_as_run() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, seed, scale) in [
        ("support-desk.toml", "3", "2000000"),
        ("two-service-desk.toml", "5", "4000000"),
        ("workflow-edited.toml", "8", "2000000"),
    ] {
        let s = scenario(name);
        let s = s.to_str().unwrap();
        let run = tmp.path().join(format!("run-{name}"));
        let live = tmp.path().join(format!("load-{name}"));
        ok(
            &["run", s, "--seed", seed, "--replications", "1", "-q"],
            &run,
        );
        ok(
            &["load", s, "--seed", seed, "--time-scale", scale, "-q"],
            &live,
        );
        assert_same_files(&run, &live);
        let j = json(&live);
        assert_eq!(j["interrupted"], false);
        assert!(figure(&live, "decisions_per_s") > 0.0, "{name}");
        let load = read(&live, "load.csv");
        assert!(load.lines().count() >= 2, "{load}");
    }
}

/// --duration D paces D x time scale of simulated time from the end of the
/// warm-up: the files equal `run` with that duration. Tenants are
/// replications: --tenants 2 equals --replications 2.
#[test]
fn duration_and_tenants_map_to_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let s = scenario("two-service-desk.toml");
    let s = s.to_str().unwrap();
    let run = tmp.path().join("run");
    let live = tmp.path().join("load");
    // 1 s x 172800 = 2 days after the 2 h warm-up.
    ok(
        &[
            "run",
            s,
            "--replications",
            "2",
            "--set",
            "simulation.duration=2d",
            "-q",
        ],
        &run,
    );
    let out = ok(
        &[
            "load",
            s,
            "--duration",
            "1s",
            "--time-scale",
            "172800",
            "--tenants",
            "2",
        ],
        &live,
    );
    assert_same_files(&run, &live);
    assert!(
        out.contains("tenant 0:") && out.contains("tenant 1:"),
        "{out}"
    );
    let tenants = read(&live, "tenants.csv");
    assert_eq!(tenants.lines().count(), 3, "{tenants}");
    let load = read(&live, "load.csv");
    assert!(load.lines().any(|l| l.starts_with("1,")), "{load}");
    assert_eq!(json(&live)["load"]["tenants"].as_array().unwrap().len(), 2);
}

/// --from starts pacing later; everything before is simulated at full speed,
/// and the files still equal `run`'s.
#[test]
fn from_starts_pacing_later_with_the_same_files() {
    let tmp = tempfile::tempdir().unwrap();
    let s = scenario("two-service-desk.toml");
    let s = s.to_str().unwrap();
    let run = tmp.path().join("run");
    let live = tmp.path().join("load");
    ok(&["run", s, "--replications", "1", "-q"], &run);
    ok(
        &[
            "load",
            s,
            "--from",
            "thu 10:00",
            "--time-scale",
            "2000000",
            "-q",
        ],
        &live,
    );
    assert_same_files(&run, &live);
    // The scenario starts on a Monday at 00:00.
    let from = json(&live)["load"]["paced_from_s"].as_f64().unwrap();
    assert_eq!(from, (3.0 * 24.0 + 10.0) * 3600.0);
    for bad in ["fri 25:00", "someday", "2020-01-01T00:00"] {
        let o = routesim(&["load", s, "--from", bad], &tmp.path().join("bad"));
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{bad}: {err}");
        assert!(err.contains("--from") && err.contains(bad), "{err}");
    }
}

/// Every example scenario runs under `load` with its chosen time scale and
/// gives every figure.
#[test]
fn every_example_scenario_runs_with_figures() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let out_dir = tmp.path().join(p.file_stem().unwrap());
        let out = ok(&["load", p.to_str().unwrap(), "--duration", "1s"], &out_dir);
        assert!(
            out.contains("time scale:") && out.contains("chosen"),
            "{out}"
        );
        assert!(!out.contains(" us p99  us"), "empty figure: {out}");
        for m in ["decisions_per_s", "decision_p50_us", "decision_p99_us"] {
            let v = figure(&out_dir, m);
            assert!(v.is_finite() && v > 0.0, "{}: {m} = {v}", p.display());
        }
        let d = figure(&out_dir, "decisions_offered") + figure(&out_dir, "decisions_idle");
        assert!(d > 0.0);
        n += 1;
    }
    assert!(n >= 6, "{n} scenarios");
}

/// The per-second rows add up, decisions split into offers and no match,
/// and the summary's counts are the sessions'.
#[test]
fn figures_add_up() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("busy.toml");
    let text = no_warmup(mmc_scenario(0.5, 60.0, 12, Some(40.0), 20.0, 1.0, 1))
        .replace(
            "im_capacity = 1",
            "im_capacity = 2\ndecline_probability = 0.1",
        )
        .replace(
            "accept_delay = \"0s\"",
            "accept_delay = { dist = \"uniform\", min = \"0s\", max = \"4s\" }",
        );
    std::fs::write(&p, text).unwrap();
    let out = tmp.path().join("out");
    ok(
        &[
            "load",
            p.to_str().unwrap(),
            "--duration",
            "2s",
            "--time-scale",
            "600",
            "-q",
        ],
        &out,
    );
    let load = read(&out, "load.csv");
    let rows: Vec<Vec<f64>> = load
        .lines()
        .skip(1)
        .map(|l| {
            l.split(',')
                .map(|v| v.parse().unwrap_or(f64::NAN))
                .collect()
        })
        .collect();
    assert!(rows.len() >= 2);
    let sum = |c: usize| rows.iter().map(|r| r[c]).sum::<f64>();
    assert!(sum(2) > 300.0, "arrivals {}", sum(2));
    assert_eq!(sum(4), sum(5) + sum(6), "decisions = offered + idle");
    assert_eq!(sum(5), figure(&out, "decisions_offered"));
    assert_eq!(sum(6), figure(&out, "decisions_idle"));
    let sessions = read(&out, "sessions.csv");
    assert_eq!(
        (sessions.lines().count() - 1) as f64,
        figure(&out, "offered")
    );
    assert!(figure(&out, "decision_p99_us") >= figure(&out, "decision_p50_us"));
}

#[test]
fn stages_ramp_the_offered_load() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("s.toml");
    std::fs::write(
        &p,
        no_warmup(mmc_scenario(1.0, 1.0, 200, Some(5.0), 1.0, 1.0, 1)),
    )
    .unwrap();
    let out = tmp.path().join("out");
    // 0 -> 2000 arrivals per wall second over 2 s: ~500 then ~1500.
    ok(
        &[
            "load",
            p.to_str().unwrap(),
            "--stage",
            "2s:2000",
            "--time-scale",
            "10",
            "--no-sessions",
            "-q",
        ],
        &out,
    );
    let load = read(&out, "load.csv");
    let arrivals: Vec<f64> = load
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(2).unwrap().parse().unwrap())
        .collect();
    let (first, second) = (arrivals[0], arrivals[1]);
    assert!((first - 500.0).abs() < 6.0 * 500f64.sqrt(), "{first}");
    assert!((second - 1500.0).abs() < 6.0 * 1500f64.sqrt(), "{second}");
    assert_eq!(figure(&out, "dropped_arrivals"), 0.0);
}

/// A plan no machine can follow ends on time and says how far short it fell
/// (it used to report 0 dropped).
#[test]
fn an_impossible_plan_reports_its_shortfall() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("s.toml");
    std::fs::write(
        &p,
        no_warmup(mmc_scenario(1.0, 1.0, 50, Some(5.0), 1.0, 1.0, 1)),
    )
    .unwrap();
    let out = tmp.path().join("out");
    let started = Instant::now();
    let o = routesim(
        &[
            "load",
            p.to_str().unwrap(),
            "--stage",
            "1s:1000000000000",
            // Simulated time has µs resolution, so at time scale 1 at most
            // 1e6 arrivals fit in a wall second, which a quiet box keeps up
            // with; at 100 the plan cannot be met by any machine.
            "--time-scale",
            "100",
            "--no-sessions",
            "-q",
        ],
        &out,
    );
    assert_eq!(o.status.code(), Some(0));
    assert!(started.elapsed() < Duration::from_secs(20));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("fell behind"), "{err}");
    let short = figure(&out, "dropped_arrivals");
    assert!(short > 1e10, "shortfall {short}");
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
    let base = LoadOptions::new(&scn, None, Some(10.0), None, &[], None).unwrap();
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
    // More arrivals per second at each doubling.
    assert!(pass.steps[2].arrivals_per_s > 1.5 * pass.steps[0].arrivals_per_s);
    // Nothing can have a p99 of 0 us with lag: every step fails, twice.
    fm.max_p99_us = 0.0;
    let fail = find_max(&scn, &base, &fm, &mut |_| {}).unwrap();
    let rates: Vec<f64> = fail.steps.iter().map(|s| s.rate).collect();
    assert_eq!(rates, vec![200.0, 200.0, 100.0, 100.0, 50.0, 50.0]);
    assert!(fail.best().is_none());
    assert!(fail.steps[0].reason.contains("decision p99"));
}

fn write_scenario(dir: &Path) -> PathBuf {
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
        (vec!["--tenants", "0"], "--tenants", "0"),
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
        (vec!["--from", "mon"], "--from", "mon"),
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
        .args(["--duration", "1s", "--time-scale", "10"])
        .args(["--threshold", "decisions_per_s>1e12"])
        .args(["--threshold", "dropped_arrivals==0"])
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("threshold FAILED: *:decisions_per_s>1000000000000"));
    let j = json(&out);
    let verdicts = j["thresholds"].as_array().unwrap();
    assert_eq!(verdicts.len(), 2);
    assert_eq!(verdicts[0]["ok"], false);
    assert_eq!(verdicts[1]["ok"], true);
    let csv = read(&out, "summary.csv");
    assert!(csv.starts_with("service,metric,mean,ci95,min,max,replications\n"));
    assert!(csv.contains("\n*,decision_p99_us,"));
    let load = read(&out, "load.csv");
    assert!(load.starts_with("tenant,second,arrivals,events,decisions,decisions_offered,decisions_idle,queue_len,decision_p50_us,decision_p99_us,timer_lag_p99_ms\n"));
    assert!(load.lines().count() >= 2);
    // The files of `run` plus load.csv, and no temporary leftovers.
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "intervals.csv",
            "load.csv",
            "replications.csv",
            "report.html",
            "sessions.csv",
            "summary.csv",
            "summary.json",
            "users.csv"
        ]
    );
}

#[test]
fn ctrl_c_stops_cleanly_and_says_so() {
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
    let load = read(&out, "load.csv");
    let rows = load.lines().count() - 1;
    assert!((1..=5).contains(&rows), "{rows} rows after ~1.5 s");
    let j = json(&out);
    assert_eq!(j["interrupted"], true);
    assert!(j["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["metric"] == "offered"
            && m["service"] == "*"
            && m["mean"].as_f64().unwrap() > 0.0));
    // The sessions written are those of the simulated time reached.
    assert!(read(&out, "sessions.csv").lines().count() > 1);
}
