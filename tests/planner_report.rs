//! The planner's commands end to end through the binary: shards merge to
//! exactly the unsharded run, compare catches a worse staffing, report.html
//! is a whole page, and bad input gets a clear message and exit code 2.

use std::path::{Path, PathBuf};
use std::process::Command;

use assert_cmd::prelude::*;
use predicates::prelude::*;

const SCENARIO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/mmc.toml");
/// Short runs keep the suite fast; the numbers still have real variance.
const SHORT: [&str; 2] = ["--set", "simulation.duration=30m"];
const OUTPUTS: [&str; 7] = [
    "sessions.csv",
    "intervals.csv",
    "users.csv",
    "replications.csv",
    "summary.csv",
    "summary.json",
    "report.html",
];

fn routesim() -> Command {
    Command::cargo_bin("routesim").unwrap()
}

/// `routesim run` of the short mmc scenario into `dir` with extra flags;
/// returns the exit code.
fn run_code(dir: &Path, extra: &[&str]) -> i32 {
    let out = routesim()
        .arg("run")
        .arg(SCENARIO)
        .args(SHORT)
        .args(["--replications", "4", "--quiet", "-o"])
        .arg(dir)
        .args(extra)
        .output()
        .unwrap();
    out.status.code().unwrap()
}

fn run(dir: &Path, extra: &[&str]) {
    assert_eq!(run_code(dir, extra), 0, "run {extra:?}");
}

fn read(p: PathBuf) -> Vec<u8> {
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn shards_merge_to_the_unsharded_run_byte_for_byte() {
    let t = tempfile::tempdir().unwrap();
    let full = t.path().join("full");
    let gates = [
        "--threshold",
        "wait_p95_s@upper<1000",
        "--threshold",
        "p_abandon<0.5",
        "--threshold",
        "every_interval:p_abandon<=0.5",
    ];
    run(&full, &gates);
    // 5 shards of 4 replications: the last shard is empty and merges too.
    for n in [2u32, 3, 5] {
        let mut shards = Vec::new();
        for i in 0..n {
            let d = t.path().join(format!("s{n}-{i}"));
            let shard = format!("{i}/{n}");
            let code = run_code(&d, &[&gates[..], &["--shard", &shard]].concat());
            // A shard of one replication has no confidence interval, so its
            // @upper gate cannot hold; the merge re-evaluates on all four.
            let reps = (0..4).filter(|r| r % n == i).count();
            assert_eq!(code, if reps < 2 { 1 } else { 0 }, "shard {shard}");
            let json = String::from_utf8(read(d.join("summary.json"))).unwrap();
            assert!(json.contains(&format!("\"shard\": \"{shard}\"")), "{json}");
            shards.push(d);
        }
        // Shards in any order give the same result.
        shards.reverse();
        let merged = t.path().join(format!("merged{n}"));
        routesim()
            .arg("merge")
            .args(&shards)
            .arg("-o")
            .arg(&merged)
            .arg("--quiet")
            .assert()
            .success();
        for f in OUTPUTS.iter().chain(&["interval_counts.csv"]) {
            assert!(
                read(full.join(f)) == read(merged.join(f)),
                "{f} of the {n}-shard merge differs from the unsharded run"
            );
        }
        let json = String::from_utf8(read(merged.join("summary.json"))).unwrap();
        assert!(json.contains("\"shard\": null"));
        assert!(json.contains("\"expr\": \"*:wait_p95_s@upper<1000\""));
        assert!(json.contains("\"expr\": \"every_interval:*:p_abandon<=0.5\""));
    }
}

/// A per-interval threshold that fails: merge of the shards re-judges it
/// from their interval_counts.csv to the unsharded run's verdict (exit 1,
/// same summary.json), and refuses shards without that file (exit 2).
#[test]
fn merge_judges_per_interval_thresholds_like_the_unsharded_run() {
    let t = tempfile::tempdir().unwrap();
    let gate = ["--threshold", "every_interval:service_level>=0.97"];
    let full = t.path().join("full");
    assert_eq!(
        run_code(&full, &gate),
        1,
        "the unsharded run fails its gate"
    );
    let full_json = String::from_utf8(read(full.join("summary.json"))).unwrap();
    assert!(
        full_json.contains("\"ok\": false") && full_json.contains("\"worst_interval\": \"2026-"),
        "{full_json}"
    );
    let shards: Vec<PathBuf> = (0..3)
        .map(|i| {
            let d = t.path().join(format!("s{i}"));
            let shard = format!("{i}/3");
            let code = run_code(&d, &[&gate[..], &["--shard", &shard]].concat());
            assert!(code <= 1, "shard {shard}: exit {code}");
            d
        })
        .collect();
    let merged = t.path().join("merged");
    let merge = |out: &Path| {
        let mut c = routesim();
        c.arg("merge")
            .args(&shards)
            .arg("-o")
            .arg(out)
            .arg("--quiet");
        c.assert()
    };
    merge(&merged)
        .code(1)
        .stderr(predicate::str::contains(
            "threshold FAILED: every_interval:*:service_level>=0.97",
        ))
        .stderr(predicate::str::contains("in the worst interval, 2026-"));
    assert_eq!(
        String::from_utf8(read(merged.join("summary.json"))).unwrap(),
        full_json
    );
    assert!(read(merged.join("interval_counts.csv")) == read(full.join("interval_counts.csv")));

    // A shard folder without the counts (an older routesim, or removed).
    std::fs::remove_file(shards[1].join("interval_counts.csv")).unwrap();
    let refused = t.path().join("refused");
    merge(&refused)
        .code(2)
        .stderr(predicate::str::contains(
            "s1/interval_counts.csv: not found",
        ))
        .stderr(predicate::str::contains("rerun the shard"));
    assert!(!refused.exists(), "a refused merge writes nothing");
}

#[test]
fn merge_refuses_what_is_not_one_run() {
    let t = tempfile::tempdir().unwrap();
    let (a, b, other) = (
        t.path().join("a"),
        t.path().join("b"),
        t.path().join("other"),
    );
    run(&a, &["--shard", "0/2"]);
    run(&b, &["--shard", "1/2"]);
    run(&other, &["--shard", "1/2", "--set", "users.agent.count=17"]);
    let out = t.path().join("out");
    let merge = |dirs: &[&Path], extra: &[&str]| {
        let mut c = routesim();
        c.arg("merge").args(dirs).arg("-o").arg(&out).args(extra);
        c.assert()
    };
    merge(&[&a, &other], &[])
        .code(2)
        .stderr(predicate::str::contains("scenario hash").and(predicate::str::contains("other")));
    merge(&[&a, &a], &[])
        .code(2)
        .stderr(predicate::str::contains("replication 0 is in both"));
    merge(&[&a], &[]).code(2).stderr(
        predicate::str::contains("replications 1, 3 of 4 missing")
            .and(predicate::str::contains("--partial")),
    );
    assert!(!out.exists(), "a refused merge writes nothing");
    merge(&[&a], &["--partial", "--quiet"])
        .success()
        .stderr(predicate::str::contains("missing: 1, 3"));
    let json = String::from_utf8(read(out.join("summary.json"))).unwrap();
    assert!(json.contains("\"replications\": 2,") && json.contains("\"total_replications\": 4,"));
    std::fs::remove_file(b.join("replications.csv")).unwrap();
    merge(&[&a, &b], &[])
        .code(2)
        .stderr(predicate::str::contains("replications.csv: not found"));
}

#[test]
fn bad_shard_flags_are_refused() {
    for (bad, says) in [
        ("3/2", "shard index 3 must be less than the shard count 2"),
        ("0/0", "shard count must be at least 1"),
        ("a/b", "shard index `a` is not a whole number"),
        ("2", "is not I/N"),
    ] {
        routesim()
            .args(["run", SCENARIO, "--shard", bad, "-o"])
            .arg(tempfile::tempdir().unwrap().path())
            .assert()
            .code(2)
            .stderr(predicate::str::contains("--shard").and(predicate::str::contains(says)));
    }
}

#[test]
fn compare_flags_a_worse_staffing_and_passes_an_identical_run() {
    let t = tempfile::tempdir().unwrap();
    let (base, same, worse) = (
        t.path().join("base"),
        t.path().join("same"),
        t.path().join("worse"),
    );
    run(&base, &[]);
    run(&same, &[]);
    run(&worse, &["--set", "users.agent.count=17"]);
    let compare = |new: &Path, extra: &[&str]| {
        let mut c = routesim();
        c.arg("compare").arg(&base).arg(new).args(extra);
        c.assert()
    };
    compare(&same, &[])
        .success()
        .stdout(predicate::str::contains("0 worse, 0 better"));
    let csv = String::from_utf8(read(same.join("comparison.csv"))).unwrap();
    assert_eq!(
        csv.lines().count(),
        1 + 2 * routesim::stats::N_METRICS,
        "every service and metric"
    );
    assert!(csv
        .lines()
        .skip(1)
        .all(|l| l.ends_with(",no significant change")));

    // Fewer agents is another scenario: refused unless asked for.
    compare(&worse, &[]).code(2).stderr(
        predicate::str::contains("different scenarios")
            .and(predicate::str::contains("--allow-different")),
    );
    compare(&worse, &["--allow-different"])
        .code(1)
        .stdout(predicate::str::is_match(r"\*\s+mean_wait_s .* worse").unwrap());
    let csv = String::from_utf8(read(worse.join("comparison.csv"))).unwrap();
    let row = |svc: &str, m: &str| {
        csv.lines()
            .find(|l| l.starts_with(&format!("{svc},{m},")))
            .unwrap_or_else(|| panic!("{svc},{m} missing"))
            .to_string()
    };
    assert!(row("*", "service_level").ends_with(",worse"));
    assert!(
        row("*", "occupancy").ends_with(",changed"),
        "neutral metrics are never worse"
    );

    // A generous tolerance passes; a tight one fails; JSON says the same.
    // mean_wait_s got worse by several seconds: within +1000 s, beyond +10 %.
    compare(
        &worse,
        &["--allow-different", "--threshold", "mean_wait_s<+1000"],
    )
    .success()
    .stdout(predicate::str::contains("threshold ok: mean_wait_s<+1000"));
    compare(
        &worse,
        &[
            "--allow-different",
            "--threshold",
            "support:mean_wait_s<+10%",
        ],
    )
    .code(1)
    .stderr(predicate::str::contains(
        "threshold FAILED: support:mean_wait_s<+10%",
    ));
    let o = t.path().join("cmp");
    let assert = routesim()
        .arg("compare")
        .arg(&base)
        .arg(&worse)
        .args(["--allow-different", "--format", "json", "-o"])
        .arg(&o)
        .assert()
        .code(1);
    let doc: serde_json::Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
    assert_eq!(doc["ok"], false);
    assert!(
        o.join("comparison.csv").exists(),
        "-o chooses where comparison.csv goes"
    );
    compare(&worse, &["--allow-different", "--format", "markdown"])
        .code(1)
        .stdout(predicate::str::contains("| service | metric |"));
}

#[test]
fn compare_refuses_bad_input() {
    let t = tempfile::tempdir().unwrap();
    let base = t.path().join("base");
    run(&base, &[]);
    routesim()
        .arg("compare")
        .arg(&base)
        .arg(&base)
        .args(["--threshold", "wait_p96_s<+10%"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown metric `wait_p96_s`"));
    routesim()
        .arg("compare")
        .arg(&base)
        .arg(&base)
        .args(["--threshold", "sales:mean_wait_s<+1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown service `sales`"));
    let empty = t.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    routesim()
        .arg("compare")
        .arg(&base)
        .arg(&empty)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("summary.json: not found"));
}

#[test]
fn report_html_has_every_section_and_no_undefined_numbers() {
    let t = tempfile::tempdir().unwrap();
    for (name, extra) in [("with", &[][..]), ("without", &["--no-sessions"][..])] {
        let d = t.path().join(name);
        run(&d, extra);
        let html = String::from_utf8(read(d.join("report.html"))).unwrap();
        for id in [
            "thresholds",
            "wait",
            "intervals",
            "occupancy",
            "outcomes",
            "summary",
        ] {
            assert!(
                html.contains(&format!("<section id=\"{id}\">")),
                "{name}: section {id}"
            );
        }
        let svgs = html.matches("<svg").count();
        assert!(svgs >= 4, "{name}: {svgs} charts");
        for bad in ["NaN", "inf", "http://", "https://", "<script"] {
            let hits: Vec<_> = html
                .match_indices(bad)
                .filter(|(i, _)| !html[..*i].ends_with("xmlns=\""))
                .collect();
            assert!(hits.is_empty(), "{name}: `{bad}` in report.html");
        }
        // Failed is listed even though nothing failed.
        if name == "with" {
            assert!(html.contains("<tr class=\"zero\"><td>Failed</td><td>0</td>"));
            assert!(html.contains(">agent<"), "occupancy grouped by user group");
        }
    }
}

/// Loads report.html in a real headless browser and checks the DOM it built.
#[test]
fn report_html_renders_in_headless_chromium() {
    let chromium = Path::new("/usr/bin/chromium");
    if !chromium.exists() {
        println!("skipped: no chromium");
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join("run");
    run(&d, &[]);
    let profile = t.path().join("profile");
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", d.join("report.html").display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(dom.contains("<h1>routesim report: mmc</h1>"), "{dom}");
    assert!(dom.matches("<svg").count() >= 4);
    assert!(
        dom.contains("<path d=\"M"),
        "line charts were parsed with their paths"
    );
    assert!(dom.contains("class=\"bar\""), "bars were parsed");
}

/// docs/examples/slurm-shards.sh as Slurm would run it (array variables set),
/// then the merge it documents: the same result as the unsharded run.
#[test]
fn slurm_example_script_shards_and_merges() {
    let t = tempfile::tempdir().unwrap();
    let bin = assert_cmd::cargo::cargo_bin("routesim");
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/examples/slurm-shards.sh");
    let scenario = t.path().join("mmc.toml");
    let text = std::fs::read_to_string(SCENARIO).unwrap();
    std::fs::write(
        &scenario,
        text.replace("duration = \"8h\"", "duration = \"30m\""),
    )
    .unwrap();
    for i in 0..3 {
        let st = Command::new("bash")
            .arg(script)
            .current_dir(t.path())
            .env("PATH", &path)
            .env("SLURM_ARRAY_TASK_ID", i.to_string())
            .env("SLURM_ARRAY_TASK_COUNT", "3")
            .env("SLURM_CPUS_PER_TASK", "1")
            .env("SCENARIO", "mmc.toml")
            .env("OUT", "shards")
            .status()
            .unwrap();
        assert!(st.success(), "array task {i}");
    }
    let shards: Vec<PathBuf> = (0..3)
        .map(|i| t.path().join(format!("shards/shard-{i}")))
        .collect();
    routesim()
        .arg("merge")
        .args(&shards)
        .arg("-o")
        .arg(t.path().join("merged"))
        .assert()
        .success();
    routesim()
        .arg("run")
        .arg(&scenario)
        .arg("-o")
        .arg(t.path().join("full"))
        .arg("--quiet")
        .assert()
        .success();
    for f in ["summary.json", "sessions.csv"] {
        assert!(read(t.path().join("full").join(f)) == read(t.path().join("merged").join(f)));
    }
}

/// `--zstd` writes the same rows compressed, replaces a plain sessions.csv of
/// an earlier run, gives the same report.html, and `merge` refuses it clearly.
#[test]
fn zstd_sessions_decompress_to_the_plain_file() {
    let t = tempfile::tempdir().unwrap();
    let (plain, packed) = (t.path().join("plain"), t.path().join("packed"));
    run(&plain, &[]);
    run(&packed, &[]);
    run(&packed, &["--zstd"]);
    assert!(
        !packed.join("sessions.csv").exists(),
        "stale sessions.csv left"
    );
    let z = read(packed.join("sessions.csv.zst"));
    let csv = read(plain.join("sessions.csv"));
    assert!(
        z.len() * 3 < csv.len(),
        "{} vs {} bytes",
        z.len(),
        csv.len()
    );
    assert!(zstd::decode_all(&z[..]).unwrap() == csv);
    assert!(read(packed.join("report.html")) == read(plain.join("report.html")));
    // A folder holding sessions.csv.zst is routesim's to replace, and one
    // thread (replications appended to the first one's part) writes the
    // same bytes as several.
    run(&packed, &["--zstd", "--threads", "1"]);
    assert!(read(packed.join("sessions.csv.zst")) == z);
    run(&packed, &["--threads", "1"]);
    assert!(!packed.join("sessions.csv.zst").exists());
    assert!(read(packed.join("sessions.csv")) == csv);
    run(&packed, &["--zstd"]);
    routesim()
        .arg("merge")
        .arg(&packed)
        .arg("-o")
        .arg(t.path().join("merged"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("sessions.csv.zst"));
}

/// `routesim run` of mmc.toml for 4 hours (16 intervals of 15 minutes), 5
/// replications, into `dir`.
fn run_four_hours(dir: &Path, extra: &[&str]) {
    routesim()
        .arg("run")
        .arg(SCENARIO)
        .args(["--set", "simulation.duration=4h", "--replications", "5"])
        .args(["--quiet", "-o"])
        .arg(dir)
        .args(extra)
        .assert()
        .success();
}

#[test]
fn compare_per_interval_finds_the_worse_hours_and_gates_them() {
    let t = tempfile::tempdir().unwrap();
    let (base, fewer, coarse) = (
        t.path().join("base"),
        t.path().join("fewer"),
        t.path().join("coarse"),
    );
    run_four_hours(&base, &[]);
    run_four_hours(&fewer, &["--set", "users.agent.count=17"]);
    run_four_hours(&coarse, &["--set", "simulation.interval=30m"]);
    let compare = |new: &Path, extra: &[&str]| {
        let mut c = routesim();
        c.arg("compare")
            .arg(&base)
            .arg(new)
            .arg("--allow-different")
            .args(extra);
        c.assert()
    };

    // Without --per-interval nothing is added.
    compare(&fewer, &[])
        .code(1)
        .stdout(predicate::str::contains("per interval").not());
    assert!(!fewer.join("comparison_intervals.csv").exists());

    // One row per interval x service x metric of intervals.csv.
    compare(&fewer, &["--per-interval"]).code(1).stdout(
        predicate::str::is_match(r"per interval: 192 cells .* compared: [1-9]\d* worse")
            .unwrap()
            .and(
                predicate::str::is_match(r"\n2026-11-23T\d\d:\d\d +support +\S+ .* worse\n")
                    .unwrap(),
            )
            .and(predicate::str::contains("all intervals in")),
    );
    let intervals = String::from_utf8(read(base.join("intervals.csv"))).unwrap();
    let cells: std::collections::BTreeSet<(&str, &str)> = intervals
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[1], f[2])
        })
        .collect();
    assert_eq!(cells.len(), 16, "16 intervals of one service");
    let csv = String::from_utf8(read(fewer.join("comparison_intervals.csv"))).unwrap();
    assert_eq!(
        csv.lines().next().unwrap(),
        routesim::report::compare_intervals::COMPARISON_INTERVALS_HEADER.trim_end()
    );
    assert_eq!(
        csv.lines().count(),
        1 + cells.len() * routesim::report::compare_intervals::INTERVAL_METRICS.len()
    );
    let worse_sl = csv
        .lines()
        .filter(|l| l.contains(",support,service_level,") && l.ends_with(",worse"))
        .count();
    assert!(
        worse_sl > 0,
        "three agents fewer: some intervals worse\n{csv}"
    );
    assert!(!csv.contains("NaN") && !csv.contains("inf"));
    // A later whole-run compare into the same folder leaves no per-interval
    // file of the earlier one behind.
    compare(&fewer, &[]).code(1);
    assert!(!fewer.join("comparison_intervals.csv").exists());

    // Per-interval verdicts gate only through every_interval: tolerances
    // (which imply --per-interval).
    compare(
        &fewer,
        &["--threshold", "every_interval:service_level>-0.01"],
    )
    .code(1)
    .stderr(
        predicate::str::contains("threshold FAILED: every_interval:service_level>-0.01 in ").and(
            predicate::str::is_match(
                r"\n  2026-11-23T\d\d:\d\d support: change -0\.\d+, allowed -0\.01, worse",
            )
            .unwrap(),
        ),
    );
    compare(
        &fewer,
        &["--threshold", "every_interval:service_level>-0.9"],
    )
    .success()
    .stdout(predicate::str::contains(
        "threshold ok: every_interval:service_level>-0.9 (16 intervals judged",
    ));
    let o = t.path().join("json");
    let out = compare(
        &fewer,
        &[
            "--per-interval",
            "--format",
            "json",
            "-o",
            o.to_str().unwrap(),
        ],
    )
    .code(1);
    let doc: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(doc["interval_counts"]["compared"], 192);
    let listed = doc["intervals"].as_array().unwrap();
    assert!(listed.iter().any(|c| c["verdict"] == "worse"));
    assert!(o.join("comparison_intervals.csv").exists());

    // Different intervals: refused, saying which interval is missing where.
    compare(&coarse, &[])
        .code(0)
        .stdout(predicate::str::contains("per interval").not());
    compare(&coarse, &["--per-interval"]).code(2).stderr(
        predicate::str::is_match(
            r"coarse/intervals.csv: no rows for service `support` in the interval starting 2026-11-23T09:15 .*base: 16 intervals of 900 s .*new: 8 intervals of 1800 s",
        )
        .unwrap(),
    );
    compare(
        &coarse,
        &["--threshold", "every_interval:service_level>-0.01"],
    )
    .code(2);
}
