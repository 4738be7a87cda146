//! A result folder holds the files of exactly one run, whatever happens to
//! the process writing it: `run` killed (SIGKILL) at random moments leaves
//! either the previous run or the new one, byte for byte, and the next run
//! leaves no temporary file; SIGTERM removes the temporary files at once; a
//! second writer into a locked folder is refused (exit 2, naming the other).

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};

const BIN: &str = env!("CARGO_BIN_EXE_routesim");

/// Every file of a folder with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fs::read_dir(dir)
        .map(|rd| {
            rd.map(|e| {
                let e = e.unwrap();
                let name = e.file_name().to_string_lossy().into_owned();
                (name, fs::read(e.path()).unwrap_or_default())
            })
            .collect()
        })
        .unwrap_or_default()
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

struct Setup {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    scenario: PathBuf,
}

impl Setup {
    /// A scenario whose run takes a noticeable time (seconds in release).
    fn new(hours: f64) -> Setup {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("results");
        fs::create_dir(&root).unwrap();
        let scenario = tmp.path().join("kill.toml");
        let text = common::mmc_scenario(0.5, 20.0, 12, Some(60.0), 20.0, hours, 4);
        fs::write(&scenario, text).unwrap();
        Setup {
            _tmp: tmp,
            root,
            scenario,
        }
    }

    fn spawn(&self, seed: u64, out: &Path) -> Child {
        Command::new(BIN)
            .arg("run")
            .arg(&self.scenario)
            .args([
                "--quiet",
                "--threads",
                "2",
                "--seed",
                &seed.to_string(),
                "-o",
            ])
            .arg(out)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    /// A complete run into `out`; its files.
    fn complete(&self, seed: u64, out: &Path) -> BTreeMap<String, Vec<u8>> {
        let o = self.spawn(seed, out).wait_with_output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        snapshot(out)
    }
}

#[test]
fn sigkill_at_random_moments_leaves_one_whole_run() {
    let s = Setup::new(12.0);
    // The complete result of each seed, written elsewhere: the folder must
    // always equal one of them.
    let started = Instant::now();
    let refs: Vec<_> = (1..=2)
        .map(|seed| s.complete(seed, &s.root.join(format!("ref{seed}"))))
        .collect();
    let full = started.elapsed() / 2;
    assert!(refs[0].contains_key("summary.json") && refs[0] != refs[1]);
    let out = s.root.join("out");
    let mut current = s.complete(1, &out);
    assert_eq!(
        current, refs[0],
        "a run into another folder writes the same bytes"
    );
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let (mut killed_early, mut finished) = (0, 0);
    let kills = 16;
    for k in 0..kills {
        let seed = 1 + (k % 2 + 1) % 2; // alternates 2, 1, 2, ...
        let mut child = s.spawn(seed as u64, &out);
        let wait = full.mul_f64(rng.random_range(0.0..1.3));
        std::thread::sleep(wait);
        let _ = child.kill(); // SIGKILL
        let status = child.wait().unwrap();
        let now = snapshot(&out);
        let new = &refs[seed - 1];
        if now == *new {
            finished += status.success() as u32;
            current = now;
        } else {
            killed_early += 1;
            assert_eq!(
                now.keys().collect::<Vec<_>>(),
                current.keys().collect::<Vec<_>>(),
                "kill {k} after {wait:?}: neither the previous run nor the new one"
            );
            assert!(
                now == current,
                "kill {k} after {wait:?}: files of two runs mixed"
            );
        }
    }
    eprintln!("{kills} kills: {killed_early} left the previous run, the rest the new one ({finished} finished before the kill)");
    // The next run cleans what the killed ones left.
    let last = s.complete(1, &out);
    assert_eq!(last, refs[0]);
    assert_eq!(
        names(&s.root),
        ["out", "ref1", "ref2"],
        "temp files left beside"
    );
    assert!(
        names(&out).iter().all(|n| !n.starts_with('.')),
        "temp files left inside: {:?}",
        names(&out)
    );
}

#[test]
fn sigterm_removes_the_temporary_files_and_keeps_the_previous_run() {
    let s = Setup::new(12.0);
    let out = s.root.join("out");
    let before = s.complete(3, &out);
    let mut child = s.spawn(4, &out);
    // Wait until the run has started writing aside, then stop it.
    let t0 = Instant::now();
    while !names(&s.root).iter().any(|n| n.starts_with(".out.new-")) {
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "no staging folder appeared"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    // SAFETY: sending a signal to our own child process.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = child.wait().unwrap();
    if status.success() {
        return; // finished before the signal arrived: nothing to check
    }
    assert_eq!(status.code(), Some(128 + libc::SIGTERM), "{status:?}");
    assert_eq!(snapshot(&out), before, "the previous run is intact");
    assert_eq!(names(&s.root), ["out"], "temp files left after SIGTERM");
}

#[test]
fn a_second_writer_is_refused_and_told_who_writes() {
    let s = Setup::new(12.0);
    let out = s.root.join("out");
    let mut first = s.spawn(5, &out);
    let t0 = Instant::now();
    while !s.root.join(".out.lock").exists() {
        assert!(t0.elapsed() < Duration::from_secs(30), "no lock appeared");
        std::thread::sleep(Duration::from_millis(5));
    }
    let second = s.spawn(6, &out).wait_with_output().unwrap();
    let first_ok = first.wait().unwrap().success();
    assert!(first_ok);
    let err = String::from_utf8_lossy(&second.stderr);
    if second.status.success() {
        // The first finished before the second looked: then it ran alone.
        assert!(err.is_empty(), "{err}");
        return;
    }
    assert_eq!(second.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!("process {}", first.id())) && err.contains("out"),
        "{err}"
    );
    let summary = fs::read_to_string(out.join("summary.json")).unwrap();
    assert!(
        summary.contains("\"seed\": 5"),
        "the first run's result: {summary}"
    );
}

/// compare adds comparison.csv to a result folder: it takes the folder's
/// lock as the writers do, so it is refused while a run writes the folder,
/// and it leaves no lock behind.
#[test]
fn compare_takes_the_folders_lock() {
    let s = Setup::new(0.5);
    let out = s.root.join("out");
    s.complete(3, &out);
    let compare = || {
        Command::new(BIN)
            .args(["compare", "--format", "json"])
            .arg(&out)
            .arg(&out)
            .output()
            .unwrap()
    };
    let lock = fs::File::create(s.root.join(".out.lock")).unwrap();
    lock.lock().unwrap();
    fs::write(s.root.join(".out.lock"), "4242").unwrap();
    let o = compare();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("(process 4242) is writing this folder"),
        "{err}"
    );
    assert!(!out.join("comparison.csv").exists());
    drop(lock);
    let o = compare();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.join("comparison.csv").exists());
    assert!(!s.root.join(".out.lock").exists(), "{:?}", names(&s.root));
    // -o naming a file is refused before any work, as run's is.
    let file = s.root.join("a-file");
    fs::write(&file, "x").unwrap();
    let o = Command::new(BIN)
        .arg("compare")
        .arg(&out)
        .arg(&out)
        .arg("-o")
        .arg(&file)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("is an existing file, not a folder"), "{err}");
    assert_eq!(fs::read_to_string(&file).unwrap(), "x");
}

/// A run folder with one thing changed, and what merge and compare must say.
struct Tamper {
    file: &'static str,
    edit: fn(String) -> String,
    needles: &'static [&'static str],
    /// compare reads only summary.json, summary.csv and replications.csv.
    compare_too: bool,
}

/// Replaces the value of the first `*,METRIC,` line of replications.csv.
fn set_metric(text: &str, metric: &str, value: &str) -> String {
    let key = format!(",*,{metric},");
    let mut done = false;
    text.lines()
        .map(|l| {
            if !done && l.contains(&key) {
                done = true;
                let cut = l.rfind(',').unwrap();
                format!("{},{value}\n", &l[..cut])
            } else {
                format!("{l}\n")
            }
        })
        .collect()
}

fn drop_last_line(text: String) -> String {
    let body = text.trim_end_matches('\n');
    format!("{}\n", &body[..body.rfind('\n').unwrap()])
}

#[test]
fn merge_and_compare_refuse_tampered_or_truncated_folders() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/mmc.toml");
    let run = |shard: &str, out: &Path| {
        let o = Command::new(BIN)
            .args(["run", scenario, "--set", "simulation.duration=30m"])
            .args(["--replications", "4", "--quiet", "--shard", shard, "-o"])
            .arg(out)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    run("0/2", &a);
    run("1/2", &b);
    let cases = [
        Tamper {
            file: "sessions.csv",
            edit: |t| t[..t.len() - 7].to_string(),
            needles: &["sessions.csv", "truncated"],
            compare_too: false,
        },
        Tamper {
            file: "sessions.csv",
            edit: drop_last_line,
            needles: &["sessions.csv", "rows, expected", "one per task offered"],
            compare_too: false,
        },
        Tamper {
            file: "users.csv",
            edit: |t| t.replacen("\n0,", "\n0,x,", 1),
            needles: &["users.csv:2", "fields, but the header has"],
            compare_too: false,
        },
        Tamper {
            file: "replications.csv",
            edit: |t| set_metric(&t, "handled", "1000000"),
            needles: &["replications.csv", "*/handled", "more than the"],
            compare_too: true,
        },
        Tamper {
            file: "replications.csv",
            edit: |t| set_metric(&t, "mean_wait_s", "NaN"),
            needles: &["replications.csv:", "`NaN` is not a finite number"],
            compare_too: true,
        },
        Tamper {
            file: "replications.csv",
            edit: |t| set_metric(&t, "p_wait", "inf"),
            needles: &["replications.csv:", "`inf` is not a finite number"],
            compare_too: true,
        },
        Tamper {
            file: "replications.csv",
            edit: |t| set_metric(&t, "p_abandon", "1.5"),
            needles: &["*/p_abandon", "above 1"],
            compare_too: true,
        },
        Tamper {
            file: "replications.csv",
            edit: |t| t[..t.len() - 2].to_string(),
            needles: &["replications.csv", "truncated"],
            compare_too: true,
        },
        Tamper {
            file: "summary.json",
            edit: |t| {
                t.replace(
                    "\"total_replications\": 4",
                    "\"total_replications\": 4294967295",
                )
            },
            needles: &[
                "summary.json",
                "total_replications 4294967295",
                "1..=1000000",
            ],
            compare_too: true,
        },
        Tamper {
            file: "summary.json",
            edit: |t| t.replace("\"replications\": 2,", "\"replications\": 3,"),
            needles: &["summary.json", "says 3 replications", "holds 2"],
            compare_too: true,
        },
        Tamper {
            file: "summary.csv",
            edit: |t| t.replacen("*,offered,", "*,offered,9", 1),
            needles: &["summary.csv:2", "does not match replications.csv"],
            compare_too: true,
        },
    ];
    for (i, c) in cases.iter().enumerate() {
        let bad = tmp.path().join(format!("bad{i}"));
        fs::create_dir(&bad).unwrap();
        for (name, bytes) in snapshot(&a) {
            fs::write(bad.join(&name), bytes).unwrap();
        }
        let text = fs::read_to_string(bad.join(c.file)).unwrap();
        let edited = (c.edit)(text.clone());
        assert_ne!(edited, text, "case {i} changes {}", c.file);
        fs::write(bad.join(c.file), edited).unwrap();
        let out = tmp.path().join(format!("out{i}"));
        let o = Command::new(BIN)
            .arg("merge")
            .arg(&bad)
            .arg(&b)
            .arg("-o")
            .arg(&out)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "case {i} ({}): {err}", c.file);
        for n in c.needles {
            assert!(
                err.contains(n),
                "case {i} ({}): `{n}` not in: {err}",
                c.file
            );
        }
        assert!(!out.exists(), "case {i}: a refused merge leaves no folder");
        assert_eq!(
            names(tmp.path())
                .iter()
                .filter(|n| n.starts_with('.'))
                .count(),
            0
        );
        if c.compare_too {
            let o = Command::new(BIN)
                .arg("compare")
                .arg(&b)
                .arg(&bad)
                .output()
                .unwrap();
            let err = String::from_utf8_lossy(&o.stderr);
            assert_eq!(o.status.code(), Some(2), "compare, case {i}: {err}");
            assert!(err.contains(c.needles[0]), "compare, case {i}: {err}");
        }
    }
    // The untouched folders still merge.
    let o = Command::new(BIN)
        .arg("merge")
        .arg(&a)
        .arg(&b)
        .args(["--quiet", "-o"])
        .arg(tmp.path().join("good"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// Shards that differ in one value merge into nothing, and the error names
/// the value and both folders' values (the first that differs, in a fixed
/// order: here the seed, then the thresholds).
#[test]
fn merge_names_the_value_the_shards_do_not_share() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/mmc.toml");
    let run = |shard: &str, extra: &[&str], out: &Path| {
        let o = Command::new(BIN)
            .args(["run", scenario, "--set", "simulation.duration=10m"])
            .args(["--replications", "2", "--quiet", "--shard", shard])
            .args(extra)
            .arg("-o")
            .arg(out)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    let dir = |n: &str| tmp.path().join(n);
    run("0/2", &["--seed", "1"], &dir("a"));
    run("1/2", &["--seed", "2"], &dir("b"));
    run(
        "1/2",
        &["--seed", "1", "--threshold", "p_wait < 0.9"],
        &dir("c"),
    );
    for (other, needles) in [
        (
            "b",
            ["has seed 2, but", "a has 1; merge only combines results"],
        ),
        (
            "c",
            ["has thresholds *:p_wait<0.9, but", "a has none; merge"],
        ),
    ] {
        let out = dir("merged");
        let o = Command::new(BIN)
            .arg("merge")
            .arg(dir("a"))
            .arg(dir(other))
            .arg("-o")
            .arg(&out)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
        for n in needles {
            assert!(err.contains(n), "merge a {other}: {n:?} not in: {err}");
        }
        assert!(err.contains(&format!("{other} has")), "{err}");
        assert!(!out.exists(), "a refused merge leaves no folder");
    }
}
