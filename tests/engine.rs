//! Properties of the engine that could be false: conservation, capacity,
//! determinism across thread counts and replication counts, monotone
//! percentiles, warm-up exclusion.

mod common;

use std::collections::HashMap;

use common::{load, mmc_scenario};
use routesim::engine::sink::MemorySinks;
use routesim::engine::Sim;
use routesim::model::{Outcome, Time};
use routesim::run::{run, RunOptions};

/// Chats with capacity 2, a random accept delay, patience and ACW: every
/// mechanism of the core in play.
fn busy_scenario(reps: u32) -> String {
    mmc_scenario(0.5, 60.0, 12, Some(40.0), 20.0, 3.0, reps)
        .replace("im_capacity = 1", "im_capacity = 2")
        .replace(
            "accept_delay = \"0s\"",
            "accept_delay = { dist = \"uniform\", min = \"0s\", max = \"4s\" }",
        )
        .replace("acw = \"0s\"", "acw = \"5s\"")
}

#[test]
fn every_task_ends_in_exactly_one_outcome() {
    let scn = load(&busy_scenario(1));
    let (res, sinks) = Sim::new(&scn, 0, MemorySinks::default()).run();
    let svc = &res.metrics[0];
    let offered = svc[0] as usize;
    assert!(offered > 1000, "enough traffic: {offered}");
    assert_eq!(
        sinks.sessions.len(),
        offered,
        "one session per measured task"
    );
    let mut ids: Vec<u64> = sinks.sessions.iter().map(|s| s.task_id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), offered, "no task reported twice");
    let handled = sinks
        .sessions
        .iter()
        .filter(|s| s.outcome == Outcome::UserAccepted)
        .count();
    let hung = sinks
        .sessions
        .iter()
        .filter(|s| s.outcome == Outcome::CustomerHangupInQueue)
        .count();
    assert!(hung > 0 && handled > 0);
    assert_eq!(handled + hung, offered);
    assert_eq!(svc[2] as usize, handled);
    assert_eq!(svc[3] as usize, hung);
    for s in &sinks.sessions {
        assert!(
            s.arrived >= scn.sim.warmup,
            "warm-up tasks are not reported"
        );
        match s.outcome {
            Outcome::UserAccepted => {
                assert!(s.user.is_some() && s.accepted.is_some());
                assert_eq!(s.wait, Some(s.accepted.unwrap() - s.queued.unwrap()));
                assert!(s.offers >= 1);
            }
            _ => assert!(s.user.is_none() && s.accepted.is_none()),
        }
        assert!(s.queue_position.unwrap() >= 1);
    }
}

#[test]
fn no_user_ever_above_capacity() {
    let scn = load(&busy_scenario(1));
    let (_, sinks) = Sim::new(&scn, 0, MemorySinks::default()).run();
    let mut per_user: HashMap<String, Vec<(Time, i32)>> = HashMap::new();
    for s in &sinks.sessions {
        if let (Some(u), Some(a)) = (&s.user, s.accepted) {
            let v = per_user.entry(u.clone()).or_default();
            v.push((a, 1));
            v.push((s.ended, -1));
        }
    }
    let mut peak_any = 0;
    for (u, mut ev) in per_user {
        // Ends before starts at the same instant: a chat that ends frees its place.
        ev.sort_by_key(|&(t, d)| (t, d));
        let mut load = 0;
        for (_, d) in ev {
            load += d;
            assert!(load <= 2, "{u} holds {load} chats, capacity 2");
            peak_any = peak_any.max(load);
        }
    }
    assert_eq!(peak_any, 2, "the capacity is actually used");
}

fn run_files(text: &str, threads: usize, dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let scn = load(text);
    let opts = RunOptions {
        out_dir: dir.to_path_buf(),
        threads: Some(threads),
        sessions: true,
        ..Default::default()
    };
    run(&scn, &opts, &|| {}).unwrap();
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

#[test]
fn identical_bytes_whatever_the_thread_count() {
    let text = busy_scenario(4);
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let one = run_files(&text, 1, a.path());
    let two = run_files(&text, 2, b.path());
    let names: Vec<&str> = one.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "intervals.csv",
            "replications.csv",
            "report.html",
            "sessions.csv",
            "summary.csv",
            "summary.json",
            "users.csv"
        ],
        "exactly the output files, no temporary leftovers"
    );
    assert_eq!(one, two);
}

#[test]
fn a_replication_depends_on_seed_and_index_only() {
    let scn3 = load(&busy_scenario(3));
    let scn5 = load(&busy_scenario(5));
    for r in 0..3 {
        let (a, sa) = Sim::new(&scn3, r, MemorySinks::default()).run();
        let (b, sb) = Sim::new(&scn5, r, MemorySinks::default()).run();
        assert_eq!(format!("{:?}", a.metrics), format!("{:?}", b.metrics));
        assert_eq!(sa.sessions.len(), sb.sessions.len());
    }
    let (a, _) = Sim::new(&scn3, 0, MemorySinks::default()).run();
    let (b, _) = Sim::new(&scn3, 1, MemorySinks::default()).run();
    assert_ne!(a.metrics[0][0], b.metrics[0][0], "replications differ");
}

#[test]
fn percentiles_are_monotone() {
    let scn = load(&busy_scenario(3));
    let s = common::summarise(&scn);
    for svc in ["*", "support"] {
        let p: Vec<f64> = [
            "wait_p50_s",
            "wait_p90_s",
            "wait_p95_s",
            "wait_p99_s",
            "wait_max_s",
        ]
        .iter()
        .map(|m| s.get(svc, m).unwrap().mean)
        .collect();
        assert!(p.windows(2).all(|w| w[0] <= w[1]), "{svc}: {p:?}");
        assert!(p[4] > 0.0);
    }
}

#[test]
fn intervals_cover_the_measured_window() {
    let scn = load(&busy_scenario(1));
    let (res, sinks) = Sim::new(&scn, 0, MemorySinks::default()).run();
    // 3 h measured with 1 h intervals.
    let starts: Vec<f64> = sinks.intervals.iter().map(|r| r.1).collect();
    assert_eq!(starts, vec![0.0, 3600.0, 7200.0]);
    let offered: u64 = sinks.intervals.iter().map(|r| r.2).sum();
    assert_eq!(offered as f64, res.metrics[0][0]);
}

#[test]
fn scenario_thresholds_are_checked_when_loading() {
    let good = format!(
        "thresholds = [\"support:p_abandon<=0.5\"]\n{}",
        busy_scenario(1)
    );
    assert_eq!(load(&good).thresholds.len(), 1);
    let bad = format!("thresholds = [\"bogus<1\"]\n{}", busy_scenario(1));
    let err = routesim::scenario::load_str(std::path::Path::new("t.toml"), &bad, &[]).unwrap_err();
    assert!(
        err.to_string().contains("thresholds.0")
            && err.to_string().contains("unknown metric `bogus`"),
        "{err}"
    );
}

/// Users are named as the README's `[[users]]` `id` row says: a group given
/// `count` (1 too) is numbered, a group without one is a single user `id`.
#[test]
fn user_names_follow_the_count_key() {
    let base = mmc_scenario(0.1, 60.0, 3, None, 20.0, 1.0, 1);
    let names = |from: &str, to: &str| -> Vec<String> {
        assert!(base.contains(from), "{from}");
        load(&base.replacen(from, to, 1))
            .users
            .iter()
            .map(|u| u.name.clone())
            .collect()
    };
    assert_eq!(
        names("count = 3", "count = 3"),
        ["agent-1", "agent-2", "agent-3"]
    );
    assert_eq!(names("count = 3", "count = 1"), ["agent-1"]);
    assert_eq!(names("count = 3\n", ""), ["agent"]);
}
