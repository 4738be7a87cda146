//! Occupancy is bounded by construction: users who keep chatting after their
//! shift ends (or after going Offline) book that time as overtime, never as
//! occupancy above 1; and intervals carry their local clock start.

mod common;

use common::load;
use routesim::run::{run, RunOptions};

/// Two chats per agent, long chats, and shifts that end mid-morning and at
/// noon while the queue is full: every shift end leaves chats open.
const SCENARIO: &str = r#"
[simulation]
duration = "6h"
warmup = "30m"
seed = 5
replications = 3
interval = "15m"
start = "2026-11-24T07:30"

[tenant]
modalities = ["im"]

[[services]]
id = "support"
license = "contact_center"
addons = ["interact"]
channels = ["interact"]
workflow = "basic"
sla = "30s"

[[users]]
id = "early"
count = 4
services = ["support"]
licenses = ["im"]
im_capacity = 2
shifts = [{ days = ["tue"], from = "07:00", to = "10:00" }]

[[users]]
id = "late"
count = 4
services = ["support"]
licenses = ["im"]
im_capacity = 2
shifts = [{ days = ["tue"], from = "09:00", to = "12:00" }]

[[arrivals]]
service = "support"
channel = "interact"
rate = "120/h"
handle_time = { dist = "lognormal", mean = "25m", sd = "10m" }
patience = { dist = "exponential", mean = "10m" }

[workflows.basic]
start = "accept"
steps.accept = { do = "accept", next = "queue" }
steps.queue = { do = "queue_task" }
"#;

fn csv(path: &std::path::Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let h = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|x| x.unwrap().iter().map(String::from).collect())
        .collect();
    (h, rows)
}

fn col(h: &[String], name: &str) -> usize {
    h.iter()
        .position(|c| c == name)
        .unwrap_or_else(|| panic!("no column {name}"))
}

#[test]
fn occupancy_stays_within_0_and_1_when_shifts_end_with_chats_open() {
    let dir = tempfile::tempdir().unwrap();
    let scn = load(SCENARIO);
    let opts = RunOptions {
        out_dir: dir.path().to_path_buf(),
        threads: Some(1),
        sessions: false,
        thresholds: vec![],
        shard: None,
        sessions_zstd: false,
        progress: None,
    };
    run(&scn, &opts, &|| {}).unwrap();
    let ratio = |v: &str| -> Option<f64> { v.parse::<f64>().ok().filter(|x| x.is_finite()) };

    // users.csv: overtime happened, and yet every ratio is in [0, 1].
    let (h, rows) = csv(&dir.path().join("users.csv"));
    let mut overtime = 0.0;
    for r in &rows {
        for name in ["occupancy", "engaged", "slot_occupancy"] {
            if let Some(v) = ratio(&r[col(&h, name)]) {
                assert!((0.0..=1.0).contains(&v), "users.csv {name} = {v}: {r:?}");
            }
        }
        assert_eq!(r[col(&h, "occupancy")], r[col(&h, "engaged")]);
        let staffed: f64 = r[col(&h, "staffed_s")].parse().unwrap();
        // Both shifts are 3 h long but start before or end after the window.
        assert!(staffed <= 3.0 * 3600.0 + 1e-6, "{r:?}");
        overtime += r[col(&h, "overtime_s")].parse::<f64>().unwrap();
        // Busy time includes the overtime, so it may exceed the staffed time.
    }
    assert!(
        overtime > 600.0,
        "chats stayed open after shifts: {overtime} s"
    );
    let busy_over_staffed = rows.iter().any(|r| {
        let busy: f64 = r[col(&h, "busy_s")].parse().unwrap();
        let staffed: f64 = r[col(&h, "staffed_s")].parse().unwrap();
        busy > staffed
    });
    assert!(
        busy_over_staffed,
        "the old occupancy (busy / staffed) would exceed 1"
    );

    // intervals.csv: per interval too, and a local clock start per row.
    let (h, rows) = csv(&dir.path().join("intervals.csv"));
    let mut seen_full = false;
    for r in &rows {
        for name in ["occupancy", "engaged", "slot_occupancy"] {
            if let Some(v) = ratio(&r[col(&h, name)]) {
                assert!(
                    (0.0..=1.0).contains(&v),
                    "intervals.csv {name} = {v}: {r:?}"
                );
                seen_full |= name == "slot_occupancy" && v > 0.9;
            }
        }
    }
    assert!(seen_full, "the agents' slots fill up in some interval");
    let starts: Vec<&str> = rows
        .iter()
        .filter(|r| r[0] == "0")
        .map(|r| r[col(&h, "interval_start")].as_str())
        .collect();
    assert_eq!(
        starts.first(),
        Some(&"2026-11-24T08:00"),
        "after the warm-up"
    );
    assert_eq!(starts.get(1), Some(&"2026-11-24T08:15"));
    assert_eq!(starts.last(), Some(&"2026-11-24T13:45"));

    // summary.json: the tenant and the service.
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("summary.json")).unwrap()).unwrap();
    let mut checked = 0;
    for row in summary["metrics"].as_array().unwrap() {
        let m = row["metric"].as_str().unwrap();
        if ["occupancy", "engaged", "slot_occupancy"].contains(&m) {
            let v = row["mean"].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&v), "summary {m} = {v}");
            checked += 1;
        }
        if m == "overtime_s" && row["service"] == "*" {
            assert!(row["mean"].as_f64().unwrap() > 0.0);
        }
    }
    assert_eq!(checked, 6, "three ratios for `*` and `support`");
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(
        html.contains(">08:00<"),
        "clock time on the interval charts"
    );
}
