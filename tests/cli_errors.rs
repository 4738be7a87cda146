//! Bad input through the command line: every case must exit with code 2 and
//! print a clear message on stderr that names the file, the line or the key,
//! what is wrong and what would be right; never a panic, and never output
//! files (or leftover `.*.tmp` / `.*.part` files) after a failed run.
//!
//! Each case edits the valid `scenarios/mmc.toml` by string replacement and
//! writes the result into its own temporary folder (so relative paths, such
//! as empirical CSV files, resolve next to it).

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use tempfile::TempDir;

/// The valid scenario every case starts from.
const MMC: &str = include_str!("../scenarios/mmc.toml");

/// Files `routesim run` writes into its output folder.
const OUTPUTS: [&str; 6] = [
    "sessions.csv",
    "intervals.csv",
    "users.csv",
    "replications.csv",
    "summary.csv",
    "summary.json",
];

fn routesim() -> Command {
    Command::cargo_bin("routesim").expect("the routesim binary is built")
}

/// A scenario written into a fresh temporary folder as `<name>.toml`.
struct Case {
    dir: TempDir,
    file: PathBuf,
    file_name: String,
    text: String,
    /// `--set` overrides for `run` that keep it fast.
    run_sets: Vec<String>,
}

impl Case {
    fn new(name: &str, text: &str) -> Case {
        let dir = tempfile::tempdir().expect("temporary folder");
        let file_name = format!("{name}.toml");
        let file = dir.path().join(&file_name);
        fs::write(&file, text).expect("write the scenario");
        Case {
            dir,
            file,
            file_name,
            text: text.to_string(),
            run_sets: vec!["simulation.duration=10m".into()],
        }
    }

    /// The valid scenario with each `from` (which must occur exactly once)
    /// replaced by its `to`.
    fn edited(name: &str, edits: &[(&str, &str)]) -> Case {
        let mut text = MMC.to_string();
        for (from, to) in edits {
            assert_eq!(
                text.matches(from).count(),
                1,
                "`{from}` must occur exactly once in scenarios/mmc.toml"
            );
            text = text.replacen(from, to, 1);
        }
        Case::new(name, &text)
    }

    /// Writes another file next to the scenario.
    fn with_file(self, name: &str, contents: &str) -> Case {
        fs::write(self.dir.path().join(name), contents).expect("write a side file");
        self
    }

    /// Replaces the `--set` overrides `run` uses to stay fast.
    fn run_sets(mut self, sets: &[&str]) -> Case {
        self.run_sets = sets.iter().map(|s| s.to_string()).collect();
        self
    }

    /// "line N" of the (single) line of the scenario that contains `needle`.
    fn line_of(&self, needle: &str) -> String {
        let hits: Vec<usize> = self
            .text
            .lines()
            .enumerate()
            .filter(|(_, l)| l.contains(needle))
            .map(|(i, _)| i + 1)
            .collect();
        assert_eq!(hits.len(), 1, "`{needle}` must be on exactly one line");
        format!("line {}", hits[0])
    }

    /// A fresh, empty output folder inside the case's folder.
    fn fresh_out(&self) -> PathBuf {
        self.fresh_out_named("out")
    }

    fn fresh_out_named(&self, name: &str) -> PathBuf {
        let out = self.dir.path().join(name);
        fs::create_dir(&out).expect("create the output folder");
        out
    }

    fn validate(&self) -> Command {
        let mut cmd = routesim();
        cmd.arg("validate").arg(&self.file);
        cmd
    }

    /// `routesim run FILE -o OUT --replications 1 --set ...`.
    fn run(&self, out: &Path) -> Command {
        let mut cmd = routesim();
        cmd.arg("run")
            .arg(&self.file)
            .arg("-o")
            .arg(out)
            .args(["--replications", "1", "--quiet"]);
        for s in &self.run_sets {
            cmd.arg("--set").arg(s);
        }
        cmd
    }

    /// `validate` exits 2 and stderr names the file and every needle.
    fn validate_fails(&self, needles: &[&str]) -> String {
        self.fails(&mut self.validate(), needles)
    }

    /// Runs `cmd`: exit code 2, no panic, the file named on stderr, and every
    /// needle on stderr outside the file's path (so that a needle such as
    /// "missing" is not satisfied by the file's own name).
    fn fails(&self, cmd: &mut Command, needles: &[&str]) -> String {
        let stderr = fails_with(cmd, &[self.file_name.as_str()]);
        let masked = stderr.replace(&self.file.display().to_string(), "<FILE>");
        for n in needles {
            assert!(
                masked.contains(n),
                "stderr lacks `{n}` (outside the file name):\n{cmd:?}\n--- stderr:\n{stderr}"
            );
        }
        stderr
    }

    /// `run` into a fresh empty folder exits 2, stderr names the file and
    /// every needle, and the folder is still empty afterwards.
    fn run_fails(&self, needles: &[&str]) -> String {
        let out = self.fresh_out();
        let stderr = self.fails(&mut self.run(&out), needles);
        assert_left_empty(&out);
        stderr
    }
}

/// Runs `cmd`; asserts exit code 2, no panic and every needle on stderr.
fn fails_with(cmd: &mut Command, needles: &[&str]) -> String {
    let output = cmd.output().expect("routesim starts");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let context = format!("{cmd:?}\n--- stderr:\n{stderr}--- stdout:\n{stdout}");
    assert!(!stderr.contains("panicked"), "panic:\n{context}");
    assert_eq!(output.status.code(), Some(2), "exit code:\n{context}");
    // serde's internal type names must never reach the user.
    for internal in ["struct Raw", "enum Raw", "untagged"] {
        assert!(
            !stderr.contains(internal),
            "`{internal}` leaked:\n{context}"
        );
    }
    for n in needles {
        assert!(stderr.contains(n), "stderr lacks `{n}`:\n{context}");
    }
    stderr
}

/// Names of the entries of `dir` (none if it does not exist).
fn entries(dir: &Path) -> Vec<String> {
    match fs::read_dir(dir) {
        Ok(rd) => rd
            .map(|e| {
                e.expect("folder entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// After a failed run: no output file and no temporary file in `dir`.
fn assert_no_outputs(dir: &Path) {
    for name in entries(dir) {
        let is_file = dir.join(&name).is_file();
        assert!(
            !(is_file && OUTPUTS.contains(&name.as_str())),
            "failed run left output file {name} in {}: {:?}",
            dir.display(),
            entries(dir)
        );
        assert!(
            !(name.starts_with('.') && (name.ends_with(".tmp") || name.ends_with(".part"))),
            "failed run left temporary file {name} in {}: {:?}",
            dir.display(),
            entries(dir)
        );
    }
}

/// A failed run into a fresh empty folder leaves it empty.
fn assert_left_empty(dir: &Path) {
    assert_no_outputs(dir);
    let left = entries(dir);
    assert!(
        left.is_empty(),
        "failed run left {left:?} in {}",
        dir.display()
    );
}

/// A scenario edit that must be rejected by both `validate` and `run`.
///
/// `line_of: TEXT` — a schema (serde) error: `validate` must point at the
/// line holding TEXT. (`run` goes through `--set`, where line numbers are not
/// available; `set_keeps_line_numbers_of_schema_errors` covers that.)
/// `key: KEY` — a semantic error: both must name the dotted KEY.
/// `says` — the message must contain each of these (what is wrong / right).
macro_rules! bad_scenario {
    (
        $(#[$meta:meta])*
        $name:ident,
        edit: [$($from:expr => $to:expr),* $(,)?],
        $(files: [$($fname:expr => $fbody:expr),* $(,)?],)?
        $(run_sets: [$($set:expr),* $(,)?],)?
        line_of: $line:expr,
        says: [$($say:expr),* $(,)?] $(,)?
    ) => {
        $(#[$meta])*
        #[test]
        fn $name() {
            let case = Case::edited(stringify!($name), &[$(($from, $to)),*])
                $($(.with_file($fname, $fbody))*)?
                $(.run_sets(&[$($set),*]))?;
            let line = case.line_of($line);
            case.validate_fails(&[line.as_str(), $($say),*]);
            case.run_fails(&[$($say),*]);
        }
    };
    (
        $(#[$meta:meta])*
        $name:ident,
        edit: [$($from:expr => $to:expr),* $(,)?],
        $(files: [$($fname:expr => $fbody:expr),* $(,)?],)?
        $(run_sets: [$($set:expr),* $(,)?],)?
        key: $key:expr,
        says: [$($say:expr),* $(,)?] $(,)?
    ) => {
        $(#[$meta])*
        #[test]
        fn $name() {
            let case = Case::edited(stringify!($name), &[$(($from, $to)),*])
                $($(.with_file($fname, $fbody))*)?
                $(.run_sets(&[$($set),*]))?;
            case.validate_fails(&[$key, $($say),*]);
            case.run_fails(&[$key, $($say),*]);
        }
    };
}

// ---------------------------------------------------------------- unknown keys

bad_scenario!(
    unknown_key_at_top_level,
    edit: ["[simulation]" => "bogus = 1\n[simulation]"],
    line_of: "bogus = 1",
    says: ["`bogus`", "expected one of", "`simulation`"],
);

bad_scenario!(
    unknown_key_in_service,
    edit: ["workflow = \"basic\"" => "workflow = \"basic\"\ncolour = \"red\""],
    line_of: "colour = ",
    says: ["`colour`", "expected one of", "`workflow`"],
);

// ---------------------------------------------------------- missing / types

/// A missing required key must be reported as missing, by name (serde's
/// "missing field" message must survive the custom duration parser).
#[test]
fn required_duration_absent() {
    let case = Case::edited(
        "required_duration_absent",
        &[("duration = \"8h\"", "# no duration")],
    )
    // Keep `run` from re-adding the key through `--set`.
    .run_sets(&["simulation.warmup=0s"]);
    case.validate_fails(&["missing", "`duration`", "line "]);
    case.run_fails(&["missing", "`duration`"]);
}

bad_scenario!(
    wrong_type_count_string,
    edit: ["count = 20" => "count = \"twenty\""],
    line_of: "count = \"twenty\"",
    says: ["\"twenty\"", "expected"],
);

bad_scenario!(
    wrong_type_rate_number,
    edit: ["rate = \"1080/h\"" => "rate = 5"],
    line_of: "rate = 5",
    says: ["expected a rate", "1080/h"],
);

// ------------------------------------------------- negative and zero values

bad_scenario!(
    negative_acw,
    edit: ["acw = \"0s\"" => "acw = \"-5s\""],
    line_of: "acw = \"-5s\"",
    says: ["negative", "-5s", "30s"],
);

bad_scenario!(
    zero_duration,
    edit: ["duration = \"8h\"" => "duration = \"0s\""],
    // Keep `run` from overriding the bad duration.
    run_sets: ["simulation.warmup=0s"],
    key: "simulation.duration",
    says: ["greater than 0s"],
);

bad_scenario!(
    zero_rate,
    edit: ["rate = \"1080/h\"" => "rate = \"0/h\""],
    line_of: "rate = \"0/h\"",
    says: ["0/h", "positive", "1080/h"],
);

bad_scenario!(
    zero_count,
    edit: ["count = 20" => "count = 0"],
    key: "users.agent.count",
    says: ["between 1 and 1000000", "got 0"],
);

// --------------------------------------------------------------- unknown ids

bad_scenario!(
    unknown_service_in_users,
    edit: ["services = [\"support\"]" => "services = [\"nosuch\"]"],
    key: "users.agent.services",
    says: ["unknown service `nosuch`", "`support`"],
);

bad_scenario!(
    unknown_service_in_arrivals,
    edit: ["service = \"support\"" => "service = \"nosuch\""],
    key: "arrivals.0.service",
    says: ["unknown service `nosuch`", "`support`"],
);

bad_scenario!(
    unknown_workflow_in_service,
    edit: ["workflow = \"basic\"" => "workflow = \"nosuch\""],
    key: "services.support.workflow",
    says: ["unknown workflow `nosuch`", "`basic`"],
);

// ------------------------------------------------------------- distributions

const PATIENCE: &str = "patience = { dist = \"exponential\", mean = \"120s\" }";
const HANDLE: &str = "handle_time = { dist = \"exponential\", mean = \"60s\" }";

bad_scenario!(
    lognormal_negative_sd,
    edit: [PATIENCE => "patience = { dist = \"lognormal\", mean = \"8s\", sd = \"-4s\" }"],
    line_of: "dist = \"lognormal\"",
    says: ["`sd`", "-4s"],
);

bad_scenario!(
    uniform_min_above_max,
    edit: [PATIENCE => "patience = { dist = \"uniform\", min = \"15s\", max = \"5s\" }"],
    line_of: "dist = \"uniform\"",
    says: ["`min`", "`max`", "must not exceed"],
);

bad_scenario!(
    gamma_negative_shape,
    edit: [PATIENCE => "patience = { dist = \"gamma\", shape = -1, mean = \"60s\" }"],
    line_of: "dist = \"gamma\"",
    says: ["`shape`", "> 0", "-1"],
);

bad_scenario!(
    unknown_distribution,
    edit: [PATIENCE => "patience = { dist = \"weibull\", mean = \"60s\" }"],
    line_of: "dist = \"weibull\"",
    says: ["unknown distribution \"weibull\"", "exponential"],
);

bad_scenario!(
    empirical_file_missing,
    edit: [HANDLE => "handle_time = { dist = \"empirical\", file = \"missing.csv\" }"],
    key: "arrivals.0.handle_time",
    says: ["missing.csv"],
);

bad_scenario!(
    empirical_file_without_numbers,
    edit: [HANDLE => "handle_time = { dist = \"empirical\", file = \"header_only.csv\" }"],
    files: ["header_only.csv" => "handle_s\n"],
    key: "arrivals.0.handle_time",
    says: ["header_only.csv", "no numbers"],
);

// ----------------------------------------------------------- IM preconditions

bad_scenario!(
    tenant_without_im,
    edit: ["modalities = [\"im\"]" => "modalities = [\"audio\"]"],
    key: "tenant.modalities",
    says: ["Instant Messaging", "\"im\""],
);

bad_scenario!(
    interact_channel_without_addon,
    edit: ["addons = [\"interact\"]" => "addons = []"],
    key: "services.support.addons",
    says: ["`interact` add-on", "addons = [\"interact\"]"],
);

bad_scenario!(
    advanced_routing_license_with_im_channel,
    edit: ["license = \"contact_center\"" => "license = \"advanced_routing\""],
    key: "services.support.license",
    says: ["`advanced_routing`", "`contact_center`"],
);

bad_scenario!(
    no_user_with_im_license,
    edit: ["licenses = [\"im\"]" => "licenses = []"],
    key: "services.support",
    says: ["IM modality", "licenses = [\"im\"]"],
);

// ------------------------------------------------------- all problems at once

#[test]
fn validate_reports_all_problems_at_once() {
    let case = Case::edited(
        "validate_reports_all_problems_at_once",
        &[
            ("workflow = \"basic\"", "workflow = \"nosuch\""),
            ("count = 20", "count = 0"),
            ("service = \"support\"", "service = \"other\""),
        ],
    );
    let needles = [
        "services.support.workflow",
        "unknown workflow `nosuch`",
        "users.agent.count",
        "between 1 and 1000000",
        "arrivals.0.service",
        "unknown service `other`",
    ];
    let stderr = case.validate_fails(&needles);
    assert!(stderr.contains("problems found"), "{stderr}");
    case.run_fails(&needles);
}

// ------------------------------------------------------------------- --set

fn set_fails(name: &str, set: &str, needles: &[&str]) {
    let case = Case::new(name, MMC);
    let mut cmd = case.validate();
    cmd.arg("--set").arg(set);
    case.fails(&mut cmd, needles);
    let out = case.fresh_out();
    let mut cmd = case.run(&out);
    cmd.arg("--set").arg(set);
    case.fails(&mut cmd, needles);
    assert_left_empty(&out);
}

#[test]
fn set_unknown_service_entry() {
    set_fails(
        "set_unknown_service_entry",
        "services.nosuch.acw=30s",
        &["services.nosuch.acw", "no entry `nosuch`", "support"],
    );
}

#[test]
fn set_unknown_top_level_table() {
    set_fails(
        "set_unknown_top_level_table",
        "nosuch.key=1",
        &["nosuch.key", "no `nosuch`"],
    );
}

#[test]
fn set_unknown_key_in_service() {
    set_fails(
        "set_unknown_key_in_service",
        "services.support.bogus=1",
        &["`bogus`", "expected one of"],
    );
}

/// A schema error elsewhere in the file keeps its line number when `--set`
/// is given (the file as written is checked before the overrides).
#[test]
fn set_keeps_line_numbers_of_schema_errors() {
    let case = Case::edited(
        "set_keeps_line_numbers_of_schema_errors",
        &[("count = 20", "count = \"twenty\"")],
    );
    let line = case.line_of("count = \"twenty\"");
    // validate without --set gives the line (see wrong_type_count_string) ...
    case.validate_fails(&[line.as_str()]);
    // ... so must validate and run with an unrelated --set.
    let mut cmd = case.validate();
    cmd.args(["--set", "simulation.seed=1"]);
    case.fails(&mut cmd, &[line.as_str()]);
    case.run_fails(&[line.as_str()]);
}

// ------------------------------------------------------------- output folder

#[test]
fn output_dir_under_proc_is_unwritable() {
    let case = Case::new("output_dir_under_proc_is_unwritable", MMC);
    let mut cmd = case.run(Path::new("/proc/forbidden/x"));
    fails_with(&mut cmd, &["/proc/forbidden/x", "cannot write"]);
}

#[test]
fn output_dir_under_regular_file() {
    let case = Case::new("output_dir_under_regular_file", MMC);
    let plain = case.dir.path().join("plain");
    fs::write(&plain, "not a folder\n").unwrap();
    let out = plain.join("x");
    let shown = out.display().to_string();
    fails_with(&mut case.run(&out), &[shown.as_str(), "cannot write"]);
    assert_eq!(fs::read_to_string(&plain).unwrap(), "not a folder\n");
}

/// A failure while writing the results (here: a folder stands where one
/// output file goes) must leave no output file and no temporary file.
fn write_failure_leaves_nothing(name: &str, obstacle: &str) {
    let case = Case::new(name, MMC);
    let out = case.fresh_out();
    fs::create_dir(out.join(obstacle)).unwrap();
    fails_with(&mut case.run(&out), &[obstacle, "cannot write"]);
    assert_no_outputs(&out);
    assert_eq!(entries(&out), vec![obstacle.to_string()]);
}

#[test]
fn write_failure_on_summary_json_leaves_nothing() {
    write_failure_leaves_nothing(
        "write_failure_on_summary_json_leaves_nothing",
        "summary.json",
    );
}

#[test]
fn write_failure_on_intervals_csv_leaves_nothing() {
    write_failure_leaves_nothing(
        "write_failure_on_intervals_csv_leaves_nothing",
        "intervals.csv",
    );
}

#[test]
fn failed_run_leaves_fresh_output_dir_empty() {
    let case = Case::edited(
        "failed_run_leaves_fresh_output_dir_empty",
        &[("workflow = \"basic\"", "workflow = \"nosuch\"")],
    );
    // run_fails checks that the fresh folder is still empty afterwards.
    case.run_fails(&["services.support.workflow"]);
    // And a folder that does not exist yet is not created for a bad scenario.
    let out = case.dir.path().join("not-yet");
    fails_with(&mut case.run(&out), &[case.file_name.as_str()]);
    assert!(!out.exists(), "{} was created", out.display());
}

// --------------------------------------------------------------- thresholds

fn threshold_fails(name: &str, expr: &str, needles: &[&str]) {
    let case = Case::new(name, MMC);
    let out = case.fresh_out();
    let mut cmd = case.run(&out);
    cmd.arg("--threshold").arg(expr);
    let mut all = vec![expr];
    all.extend_from_slice(needles);
    case.fails(&mut cmd, &all);
    assert_left_empty(&out);
}

#[test]
fn threshold_unknown_metric() {
    threshold_fails(
        "threshold_unknown_metric",
        "bogus_metric<1",
        &["unknown metric `bogus_metric`", "wait_p95_s"],
    );
}

#[test]
fn threshold_unknown_service() {
    threshold_fails(
        "threshold_unknown_service",
        "sales:failed==0",
        &["unknown service `sales`", "support"],
    );
}

// ------------------------------------------------------------ command line

#[test]
fn zero_replications_flag() {
    let case = Case::new("zero_replications_flag", MMC);
    let out = case.fresh_out();
    let mut cmd = routesim();
    cmd.arg("run")
        .arg(&case.file)
        .arg("-o")
        .arg(&out)
        .args(["--replications", "0"]);
    fails_with(&mut cmd, &["--replications", "'0'"]);
    assert_left_empty(&out);
}

#[test]
fn nonexistent_scenario_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("no_such_scenario.toml");
    let mut cmd = routesim();
    cmd.arg("validate").arg(&file);
    fails_with(&mut cmd, &["no_such_scenario.toml", "cannot read"]);
    let out = dir.path().join("out");
    let mut cmd = routesim();
    cmd.arg("run")
        .arg(&file)
        .arg("-o")
        .arg(&out)
        .args(["--replications", "1"]);
    fails_with(&mut cmd, &["no_such_scenario.toml", "cannot read"]);
    assert!(!out.exists());
}

// ---------------------------------------------------------------- positives

fn repo_scenario() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/mmc.toml")
}

#[test]
fn valid_scenario_validates() {
    routesim()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["validate", "scenarios/mmc.toml"])
        .assert()
        .code(0)
        .stdout(predicates::str::contains("ok"))
        .stderr(predicates::str::contains("panicked").not());
}

fn quick_run(out: &Path, threshold: &str) -> assert_cmd::assert::Assert {
    routesim()
        .arg("run")
        .arg(repo_scenario())
        .arg("-o")
        .arg(out)
        .args(["--replications", "1", "--set", "simulation.duration=10m"])
        .args(["--threshold", threshold])
        .assert()
}

#[test]
fn passing_threshold_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    quick_run(&out, "*:failed==0")
        .code(0)
        .stderr(predicates::str::contains("panicked").not());
    for f in OUTPUTS {
        assert!(out.join(f).is_file(), "{f} not written");
    }
}

#[test]
fn failing_threshold_exits_1_and_still_writes_results() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    quick_run(&out, "handled<1")
        .code(1)
        .stderr(predicates::str::contains("threshold FAILED"))
        .stderr(predicates::str::contains("handled<1"))
        .stderr(predicates::str::contains("panicked").not());
    assert!(out.join("summary.csv").is_file(), "summary.csv not written");
    let json = fs::read_to_string(out.join("summary.json")).expect("summary.json written");
    let doc: serde_json::Value = serde_json::from_str(&json).expect("summary.json parses");
    let thresholds = doc["thresholds"].as_array().expect("a thresholds array");
    let entry = thresholds
        .iter()
        .find(|t| t["expr"].as_str().is_some_and(|e| e.contains("handled<1")))
        .unwrap_or_else(|| panic!("no handled<1 entry in {thresholds:?}"));
    assert_eq!(entry["ok"], serde_json::Value::Bool(false), "{entry}");
    // No temporary files left next to the results.
    for name in entries(&out) {
        assert!(
            !name.ends_with(".tmp") && !name.ends_with(".part"),
            "{name}"
        );
    }
}

// ============================================================ hostile input
// Every count, size and duration is bounded where it enters, with the bound
// in the message; messages say what is wrong and what would be right.

// ------------------------------------------------------- counts and sizes

#[test]
fn replications_flag_above_the_cap() {
    let case = Case::new("replications_flag_above_the_cap", MMC);
    for cmd in ["run", "sweep"] {
        let out = case.fresh_out_named(cmd);
        let mut c = routesim();
        c.arg(cmd).arg(&case.file).arg("-o").arg(&out);
        if cmd == "sweep" {
            c.args(["--vary", "users.agent.count=19,20"]);
        }
        c.args(["--replications", "4294967295"]);
        fails_with(&mut c, &["--replications", "4294967295", "1..=1000000"]);
        assert_left_empty(&out);
    }
}

#[test]
fn replications_flag_whose_work_is_too_large() {
    // mmc.toml: about 29000 events per replication; a million of them is
    // about 2.9e10 events, above the 1e10 limit: refused before any work.
    let case = Case::new("replications_flag_whose_work_is_too_large", MMC);
    let out = case.fresh_out();
    let mut c = routesim();
    c.arg("run")
        .arg(&case.file)
        .arg("-o")
        .arg(&out)
        .args(["--replications", "1000000"]);
    case.fails(
        &mut c,
        &[
            "simulation",
            "1000000 replications",
            "more than the limit of 1.0e10",
        ],
    );
    assert_left_empty(&out);
    let mut c = routesim();
    c.arg("sweep").arg(&case.file).arg("-o").arg(&out).args([
        "--vary",
        "users.agent.count=19,20",
        "--replications",
        "1000000",
    ]);
    case.fails(
        &mut c,
        &["at each of 2 points", "more than the limit of 1.0e10"],
    );
    assert_left_empty(&out);
}

#[test]
fn threads_flag_above_the_cap() {
    let case = Case::new("threads_flag_above_the_cap", MMC);
    let out = case.fresh_out();
    let mut c = case.run(&out);
    c.args(["--threads", "100000"]);
    fails_with(&mut c, &["--threads", "100000", "1..=1024"]);
    assert_left_empty(&out);
}

#[test]
fn shard_count_above_the_cap() {
    let case = Case::new("shard_count_above_the_cap", MMC);
    let out = case.fresh_out();
    let mut c = case.run(&out);
    c.args(["--shard", "0/99999999999"]);
    let e = fails_with(
        &mut c,
        &["--shard", "99999999999", "maximum of 1000000 shards"],
    );
    assert!(!e.contains("not a whole number"), "{e}");
    assert_left_empty(&out);
}

bad_scenario!(
    replications_in_file_above_the_cap,
    edit: ["replications = 4" => "replications = 2000000"],
    key: "simulation.replications",
    says: ["between 1 and 1000000", "got 2000000"],
);

bad_scenario!(
    group_count_above_the_cap,
    edit: ["count = 20" => "count = 100000000"],
    key: "users.agent.count",
    says: ["between 1 and 1000000", "got 100000000"],
);

bad_scenario!(
    users_in_all_groups_above_the_cap,
    edit: [
        "count = 20" => "count = 600000",
        "[[arrivals]]" => "[[users]]\nid = \"more\"\ncount = 600000\nservices = [\"support\"]\nlicenses = [\"im\"]\n\n[[arrivals]]",
    ],
    key: "users",
    says: ["1200000 users", "maximum of 1000000"],
);

bad_scenario!(
    rate_above_the_cap,
    edit: ["rate = \"1080/h\"" => "rate = \"1e308/h\""],
    line_of: "rate = \"1e308/h\"",
    says: ["1e308/h", "maximum of 1000000/s"],
);

bad_scenario!(
    scale_lifts_rate_above_the_cap,
    edit: ["rate = \"1080/h\"" => "rate = \"1080/h\"\nscale = 1e300"],
    key: "arrivals.0.scale",
    says: ["maximum of 1000000/s"],
);

bad_scenario!(
    tiny_interval_over_long_duration,
    edit: ["interval = \"15m\"" => "interval = \"1ms\""],
    key: "simulation.interval",
    says: ["reporting intervals", "maximum of 1000000", "longer interval"],
);

bad_scenario!(
    work_above_the_limit,
    // 1,000,000 chats per second for hours: billions of events.
    edit: ["rate = \"1080/h\"" => "rate = \"1000000/s\""],
    key: "simulation",
    says: ["chats", "more than the limit of 1.0e10", "lower the rates"],
);

/// Below the refusal limit but large: `validate` passes with a warning that
/// gives the estimate.
#[test]
fn large_work_is_a_warning() {
    let case = Case::edited(
        "large_work_is_a_warning",
        &[("rate = \"1080/h\"", "rate = \"10000/s\"")],
    );
    let out = case.validate().output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("warning:") && stderr.contains("a long run") && stderr.contains("GB"),
        "{stderr}"
    );
}

/// A trace that gives the run no chats (no rows, or none before the end of
/// the run) is accepted with a warning saying so.
#[test]
fn trace_without_chats_in_the_run_is_a_warning() {
    // (trace, what the warning says; None: a row in the run, no warning)
    for (csv, says) in [
        ("time\n", Some("trace file t.csv has no rows")),
        (
            "time\n1e9\n2e9\n",
            Some("every row of trace file t.csv (2) comes at or after the end of the run"),
        ),
        ("time\n5\n1e9\n", None),
    ] {
        let case = Case::edited(
            "trace_without_chats",
            &[("rate = \"1080/h\"", "trace = \"t.csv\"")],
        )
        .with_file("t.csv", csv);
        let out = case.validate().output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        match says {
            Some(says) => assert!(
                stderr.contains("warning:")
                    && stderr.contains("arrivals.0.trace")
                    && stderr.contains(says)
                    && stderr.contains("this source sends no chats"),
                "{stderr}"
            ),
            None => assert!(!stderr.contains("sends no chats"), "{stderr}"),
        }
    }
}

/// The output-size warning follows `run`'s sessions flags: sessions.csv
/// warns and names --zstd, --zstd warns with the smaller estimate, and
/// --no-sessions does not warn. (A bad threshold ends each run with exit 2
/// after the warnings, before any simulating.)
#[test]
fn output_size_warning_follows_the_sessions_flags() {
    let case = Case::edited(
        "output_size_warning_follows_the_sessions_flags",
        &[("rate = \"1080/h\"", "rate = \"10000/s\"")],
    );
    let stderr = |flag: Option<&str>| {
        let out_dir = case.fresh_out_named(flag.unwrap_or("csv").trim_start_matches('-'));
        let mut cmd = routesim();
        cmd.arg("run").arg(&case.file).arg("-o").arg(&out_dir);
        cmd.args(flag).args(["--threshold", "no_such_metric < 1"]);
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(2));
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let csv = stderr(None);
    assert!(
        csv.contains("output files will take about") && csv.contains("--zstd writes"),
        "{csv}"
    );
    let zstd = stderr(Some("--zstd"));
    assert!(zstd.contains("GB with sessions.csv.zst"), "{zstd}");
    let none = stderr(Some("--no-sessions"));
    assert!(!none.contains("output files will take"), "{none}");
    assert!(
        none.contains("a long run"),
        "the work warning stays: {none}"
    );
}

// ---------------------------------------------------------------- durations

bad_scenario!(
    duration_above_the_maximum,
    edit: ["duration = \"8h\"" => "duration = \"300000d\""],
    line_of: "duration = \"300000d\"",
    says: ["300000d", "maximum of 366 days"],
);

bad_scenario!(
    acw_above_the_maximum,
    edit: ["acw = \"0s\"" => "acw = \"400d\""],
    line_of: "acw = \"400d\"",
    says: ["400d", "maximum of 366 days"],
);

bad_scenario!(
    empirical_duration_above_the_maximum,
    edit: [HANDLE => "handle_time = { dist = \"empirical\", file = \"h.csv\" }"],
    files: ["h.csv" => "handle_s\n60\n1e300\n"],
    key: "arrivals.0.handle_time",
    says: ["h.csv, line 3", "maximum of 366 days"],
);

bad_scenario!(
    empirical_duplicate_column,
    edit: [HANDLE => "handle_time = { dist = \"empirical\", file = \"h.csv\", column = \"s\" }"],
    files: ["h.csv" => "s,s\n60,70\n"],
    key: "arrivals.0.handle_time",
    says: ["h.csv", "`s` more than once"],
);

bad_scenario!(
    trace_handle_time_above_the_maximum,
    edit: ["rate = \"1080/h\"" => "trace = \"t.csv\""],
    files: ["t.csv" => "time,handle_time\n1,60\n2,1e300\n"],
    key: "arrivals.0.trace",
    says: ["t.csv, line 3", "handle_time", "maximum of 366 days"],
);

bad_scenario!(
    trace_patience_above_the_maximum,
    edit: ["rate = \"1080/h\"" => "trace = \"t.csv\""],
    files: ["t.csv" => "time,patience\n1,1e300\n"],
    key: "arrivals.0.trace",
    says: ["t.csv, line 2", "patience", "maximum of 366 days"],
);

bad_scenario!(
    trace_with_two_time_columns,
    edit: ["rate = \"1080/h\"" => "trace = \"t.csv\""],
    files: ["t.csv" => "time,at\n1,2\n"],
    key: "arrivals.0.trace",
    says: ["t.csv", "`time`", "`at`", "same column"],
);

// A broadcast would ring a user named twice twice.
bad_scenario!(
    preferred_user_named_twice,
    edit: ["rate = \"1080/h\"" => "rate = \"1080/h\"\npreferred_users = [\"agent-3\", \"agent-1\", \"agent-3\"]"],
    key: "arrivals.0.preferred_users",
    says: ["`agent-3` is named twice", "at most once"],
);

bad_scenario!(
    trace_preferred_user_named_twice,
    edit: ["rate = \"1080/h\"" => "trace = \"t.csv\""],
    files: ["t.csv" => "time,preferred\n1,agent-2\n2,agent-2;agent-2\n"],
    key: "arrivals.0.trace",
    says: ["t.csv, line 3", "`agent-2` is named twice"],
);

#[test]
fn agents_flag_above_the_cap() {
    let mut c = routesim();
    c.args([
        "erlang",
        "--rate",
        "1080/h",
        "--handle-time",
        "60s",
        "--agents",
        "4000000000",
    ]);
    fails_with(&mut c, &["--agents", "4000000000", "1..=1000000"]);
}

#[test]
fn duration_flag_above_the_maximum() {
    let mut c = routesim();
    c.args([
        "erlang",
        "--rate",
        "1080/h",
        "--handle-time",
        "400d",
        "--agents",
        "20",
    ]);
    fails_with(&mut c, &["--handle-time", "400d", "maximum of 366 days"]);
}

// ------------------------------------------------------------------- rates

bad_scenario!(
    rate_nan,
    edit: ["rate = \"1080/h\"" => "rate = \"NaN/h\""],
    line_of: "rate = \"NaN/h\"",
    says: ["NaN/h", "not a finite number", "1080/h"],
);

bad_scenario!(
    rate_inf,
    edit: ["rate = \"1080/h\"" => "rate = \"inf/h\""],
    line_of: "rate = \"inf/h\"",
    says: ["inf/h", "not a finite number"],
);

bad_scenario!(
    rate_per_zero_time,
    edit: ["rate = \"1080/h\"" => "rate = \"1/0s\""],
    line_of: "rate = \"1/0s\"",
    says: ["1/0s", "per zero time", "greater than 0"],
);

// ------------------------------------------------------- shapes and names

bad_scenario!(
    simulation_as_array_of_tables,
    edit: ["[simulation]" => "[[simulation]]"],
    line_of: "[[simulation]]",
    says: ["[simulation]", "single brackets"],
);

bad_scenario!(
    membership_of_wrong_type,
    edit: ["services = [\"support\"]" => "services = [5]"],
    line_of: "services = [5]",
    says: ["service membership", "\"support\"", "{ id = \"support\", active = false }"],
);

bad_scenario!(
    membership_with_unknown_key,
    edit: ["services = [\"support\"]" => "services = [{ id = \"support\", activ = false }]"],
    line_of: "activ = false",
    says: ["`activ`", "active = false"],
);

bad_scenario!(
    step_of_wrong_type,
    edit: ["steps.queue = { do = \"queue_task\" }" => "steps.queue = 5"],
    line_of: "steps.queue = 5",
    says: ["workflow step", "{ do = \"queue_task\""],
);

bad_scenario!(
    duplicate_user_group_id,
    edit: ["[[arrivals]]" => "[[users]]\nid = \"agent\"\nservices = [\"support\"]\nlicenses = [\"im\"]\n\n[[arrivals]]"],
    key: "users.agent",
    says: ["duplicate [[users]] id `agent`"],
);

bad_scenario!(
    second_accept_step,
    edit: ["steps.queue = { do = \"queue_task\" }" => "steps.queue = { do = \"queue_task\", next = \"again\" }\nsteps.again = { do = \"accept\" }"],
    key: "workflows.basic.steps.again",
    says: ["second `accept`", "first step"],
);

#[test]
fn simulation_name_outside_results() {
    for (i, name) in ["../../x", "/tmp/x", ".hidden", "a/b", ""]
        .iter()
        .enumerate()
    {
        let case = Case::edited(
            &format!("simulation_name_outside_results_{i}"),
            &[("[simulation]", &format!("[simulation]\nname = \"{name}\""))],
        );
        case.validate_fails(&["simulation.name", "plain folder name"]);
        // Without -o the run would write to results/<name>/: it must not start.
        let mut c = routesim();
        c.current_dir(case.dir.path())
            .arg("run")
            .arg(&case.file)
            .args(["--replications", "1", "--set", "simulation.duration=10m"]);
        case.fails(&mut c, &["simulation.name"]);
        assert_eq!(
            entries(case.dir.path()).len(),
            1,
            "{:?}",
            entries(case.dir.path())
        );
    }
}

#[test]
fn output_path_is_an_existing_file() {
    let case = Case::new("output_path_is_an_existing_file", MMC);
    let plain = case.dir.path().join("plain");
    fs::write(&plain, "keep me\n").unwrap();
    let shown = plain.display().to_string();
    fails_with(
        &mut case.run(&plain),
        &[shown.as_str(), "existing file", "-o"],
    );
    let mut c = routesim();
    c.arg("sweep").arg(&case.file).arg("-o").arg(&plain).args([
        "--vary",
        "users.agent.count=19,20",
        "--replications",
        "1",
    ]);
    fails_with(&mut c, &[shown.as_str(), "existing file"]);
    assert_eq!(fs::read_to_string(&plain).unwrap(), "keep me\n");
}

// -------------------------------------------------------- sweep, big integers

/// Integer values above 2^53 stay exact (f64 would merge neighbours), and
/// the report's axis, whose step is below f64's precision there, ends.
#[test]
fn sweep_over_integers_above_2_pow_53() {
    let case = Case::new("sweep_over_integers_above_2_pow_53", MMC);
    let out = case.dir.path().join("out");
    let run = routesim()
        .arg("sweep")
        .arg(&case.file)
        .arg("-o")
        .arg(&out)
        .args([
            "--vary",
            "simulation.seed=9007199254740993..9007199254740995:1",
        ])
        .args([
            "--replications",
            "1",
            "--set",
            "simulation.duration=10m",
            "--quiet",
        ])
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .unwrap();
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let csv = fs::read_to_string(out.join("sweep.csv")).unwrap();
    for seed in ["9007199254740993", "9007199254740994", "9007199254740995"] {
        assert!(csv.contains(seed), "{seed} missing from sweep.csv:\n{csv}");
    }
    // An integer key out of range is refused at the point that sets it.
    let mut c = routesim();
    c.arg("sweep")
        .arg(&case.file)
        .arg("-o")
        .arg(case.dir.path().join("out2"))
        .args([
            "--vary",
            "users.agent.count=9007199254740993..9007199254740995:1",
        ]);
    case.fails(
        &mut c,
        &[
            "--vary point 0",
            "users.agent.count",
            "between 1 and 1000000",
        ],
    );
}
