//! Scripted distribution scenarios: one small scenario per rule of DOMAIN.md
//! ("Queue and distribution"), driven by trace arrivals with constant handle
//! times and delays, asserting the exact assignment order and outcome from
//! the session records and the users.csv figures of `RepResult::users`.
//!
//! Each scenario runs one replication through the real engine
//! (`Sim::new(..).run()`); trace files live in a temporary folder next to the
//! scenario file so the relative `trace = "..."` paths resolve.

use std::collections::HashMap;

use routesim::engine::sink::{MemorySinks, OwnedSession};
use routesim::engine::Sim;
use routesim::model::{Outcome, Presence, Priority, Scenario, Time};
use routesim::stats::{metric_index, RepResult, UserRow};

const SEC: f64 = 1e6;

fn us(secs: f64) -> Time {
    (secs * SEC).round() as Time
}

fn s(t: Time) -> f64 {
    t as f64 / SEC
}

// ---------------------------------------------------------------- scenarios

const WORKFLOWS: &str = r#"
[workflows.basic]
start = "accept"
steps.accept = { do = "accept", next = "queue" }
steps.queue = { do = "queue_task" }

[workflows.broadcast]
start = "accept"
steps.accept = { do = "accept", next = "queue" }
steps.queue = { do = "queue_task", distribution = "broadcast" }
"#;

/// A whole scenario: `[simulation]` (extra keys in `sim`), the tenant, then
/// the given tables and both workflows.
fn scenario(sim: &str, parts: &[String]) -> String {
    let mut t = format!("[simulation]\n{sim}\n\n[tenant]\nmodalities = [\"im\"]\n\n");
    for p in parts {
        t.push_str(p);
        t.push('\n');
    }
    t.push_str(WORKFLOWS);
    t
}

/// An IM service with workflow `basic` unless `extra` names another.
fn service(id: &str, extra: &str) -> String {
    let wf = if extra.contains("workflow") {
        ""
    } else {
        "workflow = \"basic\"\n"
    };
    format!(
        "[[services]]\nid = \"{id}\"\nlicense = \"contact_center\"\naddons = [\"interact\"]\nchannels = [\"interact\"]\n{wf}{extra}\n"
    )
}

/// A single user (no count), in `support` with the IM license and capacity 1
/// unless `extra` says otherwise.
fn user(id: &str, extra: &str) -> String {
    let mut t = format!("[[users]]\nid = \"{id}\"\n");
    if !extra.contains("services") {
        t.push_str("services = [\"support\"]\n");
    }
    if !extra.contains("licenses") {
        t.push_str("licenses = [\"im\"]\n");
    }
    if !extra.contains("im_capacity") {
        t.push_str("im_capacity = 1\n");
    }
    t.push_str(extra);
    t.push('\n');
    t
}

/// Trace arrivals into `service` from `file`.
fn trace(service: &str, file: &str, extra: &str) -> String {
    format!(
        "[[arrivals]]\nservice = \"{service}\"\nchannel = \"interact\"\ntrace = \"{file}\"\n{extra}\n"
    )
}

struct Out {
    scn: Scenario,
    res: RepResult,
    /// Sorted by task id (= arrival order).
    sessions: Vec<OwnedSession>,
    /// (service, start s, offered, queued, handled) per reporting interval.
    intervals: Vec<(String, f64, u64, u64, u64)>,
}

impl Out {
    fn user(&self, name: &str) -> &UserRow {
        let i = self
            .scn
            .users
            .iter()
            .position(|u| u.name == name)
            .unwrap_or_else(|| panic!("no user {name}"));
        &self.res.users[i]
    }

    fn task(&self, id: u64) -> &OwnedSession {
        self.sessions
            .iter()
            .find(|x| x.task_id == id)
            .unwrap_or_else(|| panic!("no session for task {id}"))
    }

    /// (user, accepted s) per task, in task order.
    fn assigned(&self) -> Vec<(Option<String>, Option<f64>)> {
        self.sessions
            .iter()
            .map(|x| (x.user.clone(), x.accepted.map(s)))
            .collect()
    }

    /// Metric of service `svc` (index into metrics; last = tenant).
    fn metric(&self, svc: usize, name: &str) -> f64 {
        self.res.metrics[svc][metric_index(name).unwrap()]
    }

    /// Sessions in the order users accepted them.
    fn by_acceptance(&self) -> Vec<&OwnedSession> {
        let mut v: Vec<&OwnedSession> = self
            .sessions
            .iter()
            .filter(|x| x.accepted.is_some())
            .collect();
        v.sort_by_key(|x| (x.accepted, x.task_id));
        v
    }
}

/// Writes `files` and the scenario into a temporary folder, loads it from
/// there and runs replication 0.
fn run(toml: &str, files: &[(&str, String)]) -> Out {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let path = dir.path().join("s.toml");
    std::fs::write(&path, toml).unwrap();
    let scn = routesim::scenario::load_str(&path, toml, &[])
        .unwrap_or_else(|e| panic!("{e}\n--- scenario ---\n{toml}"))
        .scenario;
    let (res, sinks) = Sim::new(&scn, 0, MemorySinks::default()).run();
    let mut sessions = sinks.sessions;
    sessions.sort_by_key(|x| x.task_id);
    let offered = res.metrics.last().unwrap()[0] as usize;
    assert_eq!(sessions.len(), offered, "one session per measured task");
    Out {
        scn,
        res,
        sessions,
        intervals: sinks.intervals,
    }
}

fn a(user: &str, accepted: f64) -> (Option<String>, Option<f64>) {
    (Some(user.to_string()), Some(accepted))
}

const NONE: (Option<String>, Option<f64>) = (None, None);

// ------------------------------------------------------------------- order

#[test]
fn longest_idle_user_first() {
    let toml = scenario(
        "duration = \"1h\"",
        &[
            service("support", ""),
            user("a", ""),
            user("b", ""),
            user("c", ""),
            trace("support", "t.csv", ""),
        ],
    );
    let csv = "time,handle_time\n0,100\n1,50\n2,10\n200,5\n201,5\n202,5\n";
    let out = run(&toml, &[("t.csv", csv.into())]);
    // All idle since 0: ties end on the user's index. Then c is idle since 12,
    // b since 51, a since 100: longest idle first.
    assert_eq!(
        out.assigned(),
        vec![
            a("a", 0.0),
            a("b", 1.0),
            a("c", 2.0),
            a("c", 200.0),
            a("b", 201.0),
            a("a", 202.0),
        ]
    );
    for x in &out.sessions {
        assert_eq!(x.outcome, Outcome::UserAccepted);
        assert_eq!(x.offers, 1);
        assert_eq!(x.wait, Some(0));
    }
    for u in ["a", "b", "c"] {
        assert_eq!(out.user(u).offers, 2, "{u}");
        assert_eq!(out.user(u).sessions, 2, "{u}");
    }
}

#[test]
fn most_qualified_then_longest_idle() {
    let toml = scenario(
        "duration = \"1h\"",
        &[
            service(
                "support",
                "distribution_order = \"most_qualified\"\npolicy = [{ from = \"0s\", skills = { english = 1 } }]",
            ),
            user("a", "skills = { english = 3 }"),
            user("b", "skills = { english = 5 }"),
            user("c", "skills = { english = 3 }"),
            user("d", "skills = { english = 1 }"),
            trace("support", "t.csv", ""),
        ],
    );
    let csv = "time,handle_time\n\
               0,1000\n1,500\n2,100\n3,1000\n\
               600,10\n601,10\n\
               2000,10\n2001,10\n2002,10\n2003,10\n";
    let out = run(&toml, &[("t.csv", csv.into())]);
    assert_eq!(
        out.assigned(),
        vec![
            // Highest level first; a and c tie (level 3, idle since 0): index.
            a("b", 0.0),
            a("a", 1.0),
            a("c", 2.0),
            a("d", 3.0),
            // Only a (idle since 501) and c (since 102) free: longest idle.
            a("c", 600.0),
            a("a", 601.0),
            // All free: b (level 5) first although c idled longest (since 610),
            // then c before a (same level, c idle since 610, a since 611), then d.
            a("b", 2000.0),
            a("c", 2001.0),
            a("a", 2002.0),
            a("d", 2003.0),
        ]
    );
}

// -------------------------------------------------------------- priorities

/// One user with capacity 1 busy with a first task until t=10 while a backlog
/// (all arriving at t=1, in file order) builds up; returns the priorities of
/// the backlog in the order it was served.
fn serve_backlog(service_extra: &str, backlog: &[(&str, usize)]) -> Vec<Priority> {
    let toml = scenario(
        "duration = \"1h\"",
        &[
            service("support", service_extra),
            user("solo", ""),
            trace("support", "t.csv", ""),
        ],
    );
    let mut csv = String::from("time,priority,handle_time\n0,normal,10\n");
    // Interleave the levels in the file so FIFO within a level is visible.
    let longest = backlog.iter().map(|b| b.1).max().unwrap();
    for i in 0..longest {
        for (p, n) in backlog {
            if i < *n {
                csv.push_str(&format!("1,{p},1\n"));
            }
        }
    }
    let out = run(&toml, &[("t.csv", csv)]);
    let served = out.by_acceptance();
    assert_eq!(served[0].task_id, 0);
    // FIFO within a level: task ids increase per priority.
    let mut last: HashMap<Priority, u64> = HashMap::new();
    for x in &served[1..] {
        if let Some(prev) = last.insert(x.priority, x.task_id) {
            assert!(prev < x.task_id, "FIFO within {:?}", x.priority);
        }
    }
    served[1..].iter().map(|x| x.priority).collect()
}

#[test]
fn wrr_normal_and_low_share_two_to_one() {
    let order = serve_backlog("", &[("normal", 60), ("low", 60)]);
    assert_eq!(order.len(), 120);
    let head = &order[..90];
    let n = head.iter().filter(|p| **p == Priority::Normal).count();
    assert_eq!(
        (n, 90 - n),
        (60, 30),
        "2:1 while both levels wait: {head:?}"
    );
    for (i, w) in head.chunks(3).enumerate() {
        let n = w.iter().filter(|p| **p == Priority::Normal).count();
        assert_eq!(n, 2, "triple {i} serves 2 Normal and 1 Low: {w:?}");
    }
    assert!(order[90..].iter().all(|p| *p == Priority::Low));
}

#[test]
fn wrr_default_weights_over_all_middle_levels() {
    let levels = [
        "highest",
        "very_high",
        "high",
        "normal",
        "low",
        "very_low",
        "lowest",
    ];
    // Two full cycles (2 x 127 picks) plus a margin so no level runs dry.
    let weights = [64, 32, 16, 8, 4, 2, 1];
    let backlog: Vec<(&str, usize)> = levels
        .iter()
        .zip(weights)
        .map(|(l, w)| (*l, 2 * w + 10))
        .collect();
    let order = serve_backlog("", &backlog);
    let mut counts = [0usize; 7];
    for p in &order[..254] {
        counts[p.index() - 1] += 1;
    }
    assert_eq!(
        counts,
        weights.map(|w| 2 * w),
        "default weights [64,32,16,8,4,2,1]"
    );
    // The first cycle alone has the exact shares too.
    let mut first = [0usize; 7];
    for p in &order[..127] {
        first[p.index() - 1] += 1;
    }
    assert_eq!(first, weights);
}

#[test]
fn wrr_custom_priority_weights() {
    // Low (weight 3) now gets three picks for each Normal (weight 1).
    let order = serve_backlog(
        "priority_weights = [64, 32, 16, 1, 3, 2, 1]",
        &[("normal", 40), ("low", 40)],
    );
    let head = &order[..40];
    let low = head.iter().filter(|p| **p == Priority::Low).count();
    assert_eq!(
        (low, 40 - low),
        (30, 10),
        "3:1 by the custom weights: {head:?}"
    );
    for w in head.chunks(4) {
        assert_eq!(
            w.iter().filter(|p| **p == Priority::Low).count(),
            3,
            "{w:?}"
        );
    }
}

#[test]
fn strict_first_nothing_else_last() {
    let toml = scenario(
        "duration = \"1h\"",
        &[
            service("support", ""),
            user("solo", ""),
            trace("support", "t.csv", ""),
        ],
    );
    let csv = "time,priority,handle_time\n\
               0,normal,10\n\
               1,nothing_else,10\n\
               2,low,10\n\
               3,strict,10\n\
               4,normal,10\n\
               5,strict,10\n\
               6,highest,10\n\
               500,nothing_else,10\n";
    let out = run(&toml, &[("t.csv", csv.into())]);
    let order: Vec<(u64, f64)> = out
        .by_acceptance()
        .iter()
        .map(|x| (x.task_id, s(x.accepted.unwrap())))
        .collect();
    assert_eq!(
        order,
        vec![
            (0, 0.0),
            (3, 10.0),  // strict
            (5, 20.0),  // strict
            (6, 30.0),  // highest
            (4, 40.0),  // normal
            (2, 50.0),  // low
            (1, 60.0),  // nothing_else: arrived first, served when nothing else waits
            (7, 500.0), // nothing_else alone: at once
        ]
    );
    // Rank at entry among the queued tasks (the connected task 0 is not queued).
    assert_eq!(
        out.sessions
            .iter()
            .map(|x| x.queue_position.unwrap())
            .collect::<Vec<_>>(),
        vec![1, 1, 1, 1, 2, 2, 3, 1]
    );
}

// --------------------------------------------------------------- broadcast

#[test]
fn broadcast_rings_up_to_ten_reserved_first_accept_wins() {
    let mut parts = vec![service("support", "workflow = \"broadcast\"")];
    // u1 answers after 12 s ... u12 after 1 s.
    for k in 1..=12 {
        parts.push(user(
            &format!("u{k}"),
            &format!("accept_delay = \"{}s\"", 13 - k),
        ));
    }
    parts.push(trace("support", "t.csv", ""));
    let toml = scenario("duration = \"1h\"", &parts);
    let csv = "time,handle_time\n0,100\n1,100\n1.5,100\n2.5,100\n";
    let out = run(&toml, &[("t.csv", csv.into())]);
    assert_eq!(
        out.assigned(),
        vec![
            // u1..u10 ring at once (all idle since 0: by index); u10 answers first.
            a("u10", 3.0),
            // u1..u10 are reserved: only u11 and u12 ring; u12 is faster.
            a("u12", 2.0),
            // Nobody selectable at 1.5; u11 is released at 2 and answers 2 s later.
            a("u11", 4.0),
            // Nobody selectable at 2.5; at 3 the nine losers of task 0 are free.
            a("u1", 15.0),
        ]
    );
    let offers: Vec<u64> = (1..=12)
        .map(|k| out.user(&format!("u{k}")).offers)
        .collect();
    assert_eq!(offers, vec![2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 1]);
    assert_eq!(
        out.sessions.iter().map(|x| x.offers).collect::<Vec<_>>(),
        vec![10, 2, 1, 1]
    );
    for k in 1..=12 {
        let u = out.user(&format!("u{k}"));
        assert_eq!((u.declines, u.ronas), (0, 0), "u{k}");
    }
}

/// Three users who never answer a broadcast with persistent RONA on: each
/// ring timeout returns the task to the queue and rings all three again at
/// once; nobody is parked in RONA.
fn broadcast_timeouts() -> Out {
    let toml = scenario(
        "duration = \"1h\"",
        &[
            service(
                "support",
                "workflow = \"broadcast\"\npersistent_rona = true\nring_timeout = \"10s\"\nrona_reset = \"60s\"",
            ),
            user("a", "no_answer_probability = 1.0"),
            user("b", "no_answer_probability = 1.0"),
            user("c", "no_answer_probability = 1.0"),
            trace("support", "t.csv", ""),
        ],
    );
    let csv = "time,handle_time,patience\n0,10,25\n30,10,5\n";
    run(&toml, &[("t.csv", csv.into())])
}

#[test]
fn a_withdrawn_broadcast_ring_restarts_idle_time() {
    // y and w ring for a broadcast at 0 (x is offline until 00:00:30); w
    // answers at 1 and y's ring is withdrawn. At 60 a direct chat of `direct`
    // goes to the longest idle: x (idle since 0) rather than y (ring until 1).
    let toml = scenario(
        "duration = \"1h\"",
        &[
            service("support", "workflow = \"broadcast\""),
            service("direct", ""),
            user(
                "y",
                "services = [\"support\", \"direct\"]\naccept_delay = \"5s\"",
            ),
            user(
                "x",
                "services = [\"support\", \"direct\"]\nshifts = [{ days = [\"mon\"], from = \"00:00:30\", to = \"23:00\" }]",
            ),
            user(
                "w",
                "services = [\"support\", \"direct\"]\naccept_delay = \"1s\"",
            ),
            trace("support", "t.csv", ""),
            trace("direct", "d.csv", ""),
        ],
    );
    let csv = "time,handle_time\n0,100\n";
    let d = "time,handle_time\n60,10\n";
    let out = run(&toml, &[("t.csv", csv.into()), ("d.csv", d.into())]);
    assert_eq!(out.task(0).offers, 2);
    assert_eq!(out.assigned(), vec![a("w", 1.0), a("x", 60.0)]);
}

#[test]
fn broadcast_timeout_does_not_park_users_in_rona() {
    let out = broadcast_timeouts();
    assert_eq!(out.assigned(), vec![NONE, NONE]);
    let t0 = out.task(0);
    assert_eq!(t0.outcome, Outcome::CustomerHangupInQueue);
    assert_eq!(t0.ended, us(25.0));
    assert_eq!(
        t0.offers, 6,
        "rings all three at 0; all ring out at 10; after the 5 s redistribution pause all three ring again at 15"
    );
    let t1 = out.task(1);
    assert_eq!(t1.outcome, Outcome::CustomerHangupInQueue);
    assert_eq!(
        t1.offers, 3,
        "at 30 all three ring at once: not blocked by RONA"
    );
    for u in ["a", "b", "c"] {
        let r = out.user(u);
        assert_eq!(r.offers, 3, "{u}");
        assert_eq!(r.rona_s, 0.0, "{u} never flagged RONA");
    }
}

#[test]
fn broadcast_timeout_is_not_reported_as_rona() {
    let out = broadcast_timeouts();
    assert_eq!(out.task(0).ronas, 0);
    assert_eq!(out.task(1).ronas, 0);
    for u in ["a", "b", "c"] {
        assert_eq!(out.user(u).ronas, 0, "{u}");
    }
    assert_eq!(out.metric(0, "ronas"), 0.0);
}

// ------------------------------------------------------- decline and RONA

/// a declines (or lets ring) every offer after 2 s and goes offline at
/// 00:00:08; b accepts everything at once. Capacity 1, handle 30 s.
fn unanswered(a_extra: &str, service_extra: &str) -> Out {
    let toml = scenario(
        "duration = \"1h\"",
        &[
            service("support", service_extra),
            user(
                "a",
                &format!(
                    "{a_extra}\nshifts = [{{ days = [\"mon\"], from = \"00:00\", to = \"00:00:08\" }}]"
                ),
            ),
            user("b", ""),
            trace("support", "t.csv", ""),
        ],
    );
    let csv = "time,handle_time\n1,30\n4,30\n5,30\n9,30\n";
    run(&toml, &[("t.csv", csv.into())])
}

fn check_unanswered(out: &Out) {
    assert_eq!(
        out.assigned(),
        vec![
            // a (tie at idle 0, lower index) declines at 3; its idle time restarts
            // at 3, so now b (idle since 0) is the longest idle.
            a("b", 3.0),
            // a refuses task 1 (4 -> 6) and task 2 (6 -> 8); a task is not
            // offered again to the user who refused it before the 5 s
            // redistribution pause, and a is offline from 8. Task 1 went back
            // to its own place: it is served before tasks 2 and 3.
            a("b", 33.0),
            a("b", 63.0),
            a("b", 93.0),
        ]
    );
    assert_eq!(
        out.sessions.iter().map(|x| x.offers).collect::<Vec<_>>(),
        vec![2, 2, 2, 1]
    );
    assert_eq!(
        out.sessions
            .iter()
            .map(|x| x.queue_position.unwrap())
            .collect::<Vec<_>>(),
        vec![1, 1, 2, 3]
    );
    assert_eq!(out.user("a").offers, 3);
    assert_eq!(out.user("a").sessions, 0);
    assert_eq!(out.user("b").offers, 4);
    assert_eq!(out.user("a").ringing_s, 6.0);
    assert_eq!(
        out.user("a").presence_s[Presence::Offline.index()],
        3600.0 - 8.0
    );
}

#[test]
fn decline_returns_the_task_to_its_place_and_resets_idle() {
    let out = unanswered("decline_probability = 1.0\naccept_delay = \"2s\"", "");
    check_unanswered(&out);
    let a = out.user("a");
    assert_eq!((a.declines, a.ronas, a.rona_s), (3, 0, 0.0));
    assert!(out.sessions.iter().all(|x| x.ronas == 0));
}

#[test]
fn ring_timeout_returns_the_task_to_its_place_and_resets_idle() {
    let out = unanswered("no_answer_probability = 1.0", "ring_timeout = \"2s\"");
    check_unanswered(&out);
    let a = out.user("a");
    assert_eq!(
        (a.declines, a.ronas, a.rona_s),
        (0, 3, 0.0),
        "non-persistent RONA: counted, never parked"
    );
    assert_eq!(
        out.sessions.iter().map(|x| x.ronas).collect::<Vec<_>>(),
        vec![1, 1, 1, 0]
    );
    assert_eq!(out.metric(0, "ronas"), 3.0);
}

#[test]
fn persistent_rona_parks_the_user_until_the_reset() {
    let toml = scenario(
        "duration = \"1h\"",
        &[
            service(
                "support",
                "persistent_rona = true\nring_timeout = \"5s\"\nrona_reset = \"20s\"",
            ),
            user("a", "no_answer_probability = 1.0"),
            user("b", ""),
            trace("support", "t.csv", ""),
        ],
    );
    let csv = "time,handle_time\n0,60\n10,60\n";
    let out = run(&toml, &[("t.csv", csv.into())]);
    // 0: task 0 rings a, times out at 5 -> a in RONA until 25, b takes it.
    // 10: task 1 waits: a is parked, b busy. 25: a rings (-> RONA 30..50);
    // at 50 a is free again and the redistribution pause (35) is over: a
    // rings again (-> RONA 55..75); b frees at 65 and takes it.
    assert_eq!(out.assigned(), vec![a("b", 5.0), a("b", 65.0)]);
    assert_eq!(out.task(0).offers, 2);
    assert_eq!(out.task(0).ronas, 1);
    assert_eq!(out.task(1).offers, 3, "no offer to a while parked");
    assert_eq!(out.task(1).ronas, 2);
    let a = out.user("a");
    assert_eq!((a.offers, a.ronas, a.declines), (3, 3, 0));
    assert_eq!(a.rona_s, 60.0, "5..25, 30..50, 55..75");
    assert_eq!(a.ringing_s, 15.0);
    assert_eq!(out.user("b").rona_s, 0.0);
}

#[test]
fn rona_still_open_at_the_end_of_the_window_is_counted() {
    // The window is 60 s; a is parked from 55 s (reset 20 s), past the end.
    let toml = scenario(
        "duration = \"60s\"",
        &[
            service(
                "support",
                "persistent_rona = true\nring_timeout = \"5s\"\nrona_reset = \"20s\"\nacw = \"10s\"",
            ),
            user("a", "no_answer_probability = 1.0"),
            user("b", ""),
            trace("support", "t.csv", ""),
        ],
    );
    let csv = "time,handle_time\n50,2\n";
    let out = run(&toml, &[("t.csv", csv.into())]);
    assert_eq!(out.assigned(), vec![a("b", 55.0)]);
    // ACW 57..67 is clipped to the window: 3 s.
    assert_eq!(out.user("b").acw_s, 3.0);
    assert_eq!(
        out.user("a").rona_s,
        5.0,
        "RONA 55..75 clipped to the window [0, 60)"
    );
}

// --------------------------------------------------------------------- ACW

#[test]
fn acw_blocks_the_user_in_every_service() {
    let toml = scenario(
        "duration = \"1h\"",
        &[
            service("s1", "acw = \"30s\""),
            service("s2", "acw = \"0s\""),
            user("u", "services = [\"s1\", \"s2\"]\nim_capacity = 2"),
            trace("s1", "s1.csv", ""),
            trace("s2", "s2.csv", ""),
        ],
    );
    let s1 = "time,handle_time\n0,10\n55,10\n";
    let s2 = "time,handle_time\n15,10\n";
    let out = run(&toml, &[("s1.csv", s1.into()), ("s2.csv", s2.into())]);
    assert_eq!(
        out.assigned(),
        vec![
            a("u", 0.0),
            // ACW of s1 10..40 blocks s2's chat, although u holds no chat.
            a("u", 40.0),
            // s2 has no ACW: free at once after 50.
            a("u", 55.0),
        ]
    );
    assert_eq!(out.task(1).service, "s2");
    assert_eq!(out.task(1).wait, Some(us(25.0)));
    assert_eq!(out.user("u").acw_s, 60.0, "s1's ACW twice: 10..40, 65..95");
}

#[test]
fn a_later_session_extends_the_acw() {
    let toml = scenario(
        "duration = \"1h\"",
        &[
            service("support", "acw = \"30s\""),
            user("u", "im_capacity = 2"),
            trace("support", "t.csv", ""),
        ],
    );
    // Chats 0..10 and 1..20: ACW from 10, extended by the second to 50.
    let csv = "time,handle_time\n0,10\n1,19\n30,5\n";
    let out = run(&toml, &[("t.csv", csv.into())]);
    assert_eq!(out.assigned(), vec![a("u", 0.0), a("u", 1.0), a("u", 50.0)]);
    assert_eq!(out.user("u").acw_s, 40.0 + 30.0, "10..50 and 55..85");
}

#[test]
fn idle_time_counts_from_the_end_of_acw() {
    let toml = scenario(
        "duration = \"1h\"",
        &[
            service("s1", "acw = \"30s\""),
            service("s2", "acw = \"0s\""),
            user("x", "services = [\"s1\", \"s2\"]"),
            user("y", "services = [\"s1\", \"s2\"]"),
            trace("s1", "s1.csv", ""),
            trace("s2", "s2.csv", ""),
        ],
    );
    let s1 = "time,handle_time\n0,10\n";
    let s2 = "time,handle_time\n1,19\n100,10\n";
    let out = run(&toml, &[("s1.csv", s1.into()), ("s2.csv", s2.into())]);
    // x ends at 10 but is in ACW until 40; y ends at 20 with no ACW: y has
    // been idle longer.
    assert_eq!(
        out.assigned(),
        vec![a("x", 0.0), a("y", 1.0), a("y", 100.0)]
    );
    assert_eq!(out.user("x").acw_s, 30.0);
}

// ----------------------------------------------------------- cross-service

#[test]
fn shared_user_gets_the_best_task_across_services() {
    let toml = scenario(
        "duration = \"1h\"",
        &[
            service("s1", ""),
            service("s2", ""),
            user("u", "services = [\"s1\", \"s2\"]"),
            trace("s1", "s1.csv", ""),
            trace("s2", "s2.csv", ""),
        ],
    );
    let s1 = "time,priority,handle_time\n0,normal,100\n10,normal,10\n40,high,10\n";
    let s2 = "time,priority,handle_time\n5,normal,10\n30,high,10\n";
    let out = run(&toml, &[("s1.csv", s1.into()), ("s2.csv", s2.into())]);
    // Tasks by arrival: 0 s1@0, 1 s2@5 normal, 2 s1@10 normal, 3 s2@30 high,
    // 4 s1@40 high. Priority first, then longest waiting across services.
    assert_eq!(
        out.assigned(),
        vec![
            a("u", 0.0),
            a("u", 120.0),
            a("u", 130.0),
            a("u", 100.0),
            a("u", 110.0),
        ]
    );
}

// ------------------------------------------------------------------ policy

#[test]
fn policy_widens_at_the_level_times() {
    let toml = scenario(
        "duration = \"1h\"",
        &[
            service(
                "support",
                "policy = [{ from = \"0s\", skills = { english = 3 } }, { from = \"10s\", skills = { english = 2 } }]",
            ),
            // e2 and e1 come first: they would win every tie.
            user("e2", "skills = { english = 2 }"),
            user("e1", "skills = { english = 1 }"),
            user("e3", "skills = { english = 3 }"),
            trace("support", "t.csv", ""),
        ],
    );
    let csv = "time,handle_time\n0,100\n1,50\n3,50\n";
    let out = run(&toml, &[("t.csv", csv.into())]);
    assert_eq!(
        out.assigned(),
        vec![
            // Level 0: only e3.
            a("e3", 0.0),
            // Waits for e3 until it has waited 10 s, then e2 joins.
            a("e2", 11.0),
            // Level 1 from 13; e2 busy until 61; e1 never qualifies.
            a("e2", 61.0),
        ]
    );
    assert_eq!(out.task(1).wait, Some(us(10.0)));
    assert_eq!(out.user("e1").offers, 0);
}

// ---------------------------------------------------------------- capacity

#[test]
fn capacity_three_with_concurrency_stretch() {
    let toml = scenario(
        "duration = \"1h\"",
        &[
            service("support", ""),
            user(
                "u",
                "im_capacity = 3\nconcurrency_stretch = [1.0, 1.5, 2.0]",
            ),
            trace("support", "t.csv", ""),
        ],
    );
    let csv = "time,handle_time\n0,100\n1,100\n2,100\n3,100\n4,100\n";
    let out = run(&toml, &[("t.csv", csv.into())]);
    assert_eq!(
        out.assigned(),
        vec![
            a("u", 0.0),
            a("u", 1.0),
            a("u", 2.0),
            // Waits for the first chat to end (100), then the second (151).
            a("u", 100.0),
            a("u", 151.0),
        ]
    );
    // Factor by the chats held once accepted: 1, 2, 3, 3, 3.
    let lengths: Vec<f64> = out
        .sessions
        .iter()
        .map(|x| s(x.ended - x.accepted.unwrap()))
        .collect();
    assert_eq!(lengths, vec![100.0, 150.0, 200.0, 200.0, 200.0]);
    assert_eq!(max_load(&out.sessions)["u"], 3);
    assert_eq!(out.user("u").connected_s, 850.0);
    assert_eq!(out.user("u").busy_s, 351.0);
}

#[test]
fn capacity_two_is_never_exceeded() {
    let toml = scenario(
        "duration = \"1h\"",
        &[
            service("support", ""),
            user("u1", "im_capacity = 2"),
            user("u2", "im_capacity = 2"),
            trace("support", "t.csv", ""),
        ],
    );
    let csv = "time,handle_time\n0,100\n1,100\n2,100\n3,100\n4,100\n5,100\n";
    let out = run(&toml, &[("t.csv", csv.into())]);
    let got = out.assigned();
    // A user without a chat is idle, one with a chat is not: u2 gets the
    // second chat.
    assert_eq!(got[0], a("u1", 0.0));
    assert_eq!(got[1], a("u2", 1.0));
    let acc: Vec<f64> = got.iter().map(|g| g.1.unwrap()).collect();
    assert_eq!(acc, vec![0.0, 1.0, 2.0, 3.0, 100.0, 101.0]);
    let m = max_load(&out.sessions);
    assert_eq!((m["u1"], m["u2"]), (2, 2));
}

/// Peak concurrent chats per user, from accepted..ended.
fn max_load(sessions: &[OwnedSession]) -> HashMap<String, i32> {
    let mut ev: HashMap<String, Vec<(Time, i32)>> = HashMap::new();
    for x in sessions {
        if let (Some(u), Some(acc)) = (&x.user, x.accepted) {
            ev.entry(u.clone()).or_default().push((acc, 1));
            ev.entry(u.clone()).or_default().push((x.ended, -1));
        }
    }
    ev.into_iter()
        .map(|(u, mut v)| {
            v.sort();
            let (mut load, mut peak) = (0, 0);
            for (_, d) in v {
                load += d;
                peak = peak.max(load);
            }
            (u, peak)
        })
        .collect()
}

// ------------------------------------------------- presence and eligibility

#[test]
fn no_offer_outside_the_shift() {
    let toml = scenario(
        "duration = \"1h\"",
        &[
            service("support", ""),
            user(
                "a",
                "shifts = [{ days = [\"mon\"], from = \"00:02\", to = \"00:05\" }]",
            ),
            trace("support", "t.csv", ""),
        ],
    );
    let csv = "time,handle_time,patience\n30,10,\n200,10,\n310,10,60\n";
    let out = run(&toml, &[("t.csv", csv.into())]);
    assert_eq!(out.assigned(), vec![a("a", 120.0), a("a", 200.0), NONE]);
    assert_eq!(out.task(2).outcome, Outcome::CustomerHangupInQueue);
    assert_eq!(out.task(2).offers, 0);
    assert_eq!(out.task(2).ended, us(370.0));
    let r = out.user("a");
    assert_eq!(r.offers, 2);
    assert_eq!(r.presence_s[Presence::Offline.index()], 3600.0 - 180.0);
    assert_eq!(r.presence_s[Presence::Available.index()], 180.0);
}

#[test]
fn breaks_and_busy_away() {
    // (break presence, allow_busy_away, expected acceptance of a chat at 150 s
    // during a break 120..240)
    for (presence, allow, expected) in [
        ("away", false, 240.0),
        ("away", true, 150.0),
        ("busy", false, 240.0),
        ("busy", true, 150.0),
        ("dnd", true, 240.0),
        ("offline", true, 240.0),
        ("off_duty", true, 240.0),
    ] {
        let toml = scenario(
            "duration = \"1h\"",
            &[
                service("support", &format!("allow_busy_away = {allow}")),
                user(
                    "a",
                    &format!(
                        "breaks = [{{ days = [\"mon\"], from = \"00:02\", to = \"00:04\" }}]\nbreak_presence = \"{presence}\""
                    ),
                ),
                trace("support", "t.csv", ""),
            ],
        );
        let csv = "time,handle_time\n150,10\n";
        let out = run(&toml, &[("t.csv", csv.into())]);
        assert_eq!(
            out.assigned(),
            vec![a("a", expected)],
            "break {presence}, allow_busy_away {allow}"
        );
        // Off Duty leaves the Teams presence as it is.
        let p = Presence::parse(presence).unwrap_or(Presence::Available);
        let expected_s = if presence == "off_duty" {
            3600.0
        } else {
            120.0
        };
        assert_eq!(
            out.user("a").presence_s[p.index()],
            expected_s,
            "{presence}"
        );
    }
}

#[test]
fn no_chat_without_the_im_license() {
    let toml = scenario(
        "duration = \"1h\"",
        &[
            service("support", ""),
            user("nolicense", "licenses = [\"interact\"]"),
            user("licensed", ""),
            trace("support", "t.csv", ""),
        ],
    );
    let csv = "time,handle_time\n0,100\n1,100\n";
    let out = run(&toml, &[("t.csv", csv.into())]);
    assert_eq!(
        out.assigned(),
        vec![a("licensed", 0.0), a("licensed", 100.0)]
    );
    assert_eq!(out.user("nolicense").offers, 0);
}

#[test]
fn no_chat_when_off_duty() {
    let toml = scenario(
        "duration = \"1h\"",
        &[
            service("support", ""),
            service("sales", ""),
            user(
                "off",
                "services = [{ id = \"support\", active = false }, \"sales\"]",
            ),
            user("on", "services = [\"support\"]"),
            trace("support", "t.csv", ""),
            trace("sales", "sales.csv", ""),
        ],
    );
    let csv = "time,handle_time\n0,100\n1,100\n";
    let sales = "time,handle_time\n2,10\n";
    let out = run(&toml, &[("t.csv", csv.into()), ("sales.csv", sales.into())]);
    assert_eq!(
        out.assigned(),
        vec![a("on", 0.0), a("on", 100.0), a("off", 2.0)],
        "inactive in support, active in sales"
    );
    assert_eq!(out.user("off").offers, 1);
}

#[test]
fn no_chat_during_a_call() {
    // c is (practically) always in a call: calls arrive about every second and
    // last an hour.
    let toml = scenario(
        "duration = \"1h\"",
        &[
            service("support", ""),
            user(
                "c",
                "licenses = [\"im\", \"audio\"]\ncalls = { rate = \"1/s\", duration = \"2h\" }",
            ),
            user("d", ""),
            trace("support", "t.csv", ""),
        ],
    );
    let csv = "time,handle_time\n60,100\n61,100\n";
    let out = run(&toml, &[("t.csv", csv.into())]);
    assert_eq!(out.assigned(), vec![a("d", 60.0), a("d", 160.0)]);
    assert_eq!(out.user("c").offers, 0);
    assert!(
        out.user("c").in_call_s > 3500.0,
        "{}",
        out.user("c").in_call_s
    );
}

// --------------------------------------------------------------- preferred

#[test]
fn preferred_users_first_while_selectable() {
    let toml = scenario(
        "duration = \"1h\"",
        &[
            service("support", ""),
            user("u1", ""),
            user("u2", ""),
            user("u3", ""),
            trace("support", "t.csv", ""),
            trace("support", "t2.csv", "preferred_users = [\"u2\"]"),
        ],
    );
    let csv = "time,handle_time,preferred\n0,100,u3;u2\n1,100,u3;u2\n2,100,u3;u2\n201,10,\n";
    let csv2 = "time,handle_time\n200,10\n";
    let out = run(&toml, &[("t.csv", csv.into()), ("t2.csv", csv2.into())]);
    assert_eq!(
        out.assigned(),
        vec![
            a("u3", 0.0),   // rank 1
            a("u2", 1.0),   // rank 1 busy: rank 2
            a("u1", 2.0),   // both preferred busy: the service's order
            a("u2", 200.0), // the source's preferred_users, though u3 idled longest
            a("u3", 201.0), // no preference: longest idle (since 100)
        ]
    );
}

// ---------------------------------------------------------------- arrivals

#[test]
fn profile_arrivals_follow_the_rates_per_hour() {
    // A daily profile; the run starts at 06:00 local and covers 3 days.
    let rate = |h: usize| -> u32 {
        if !(6..22).contains(&h) {
            0
        } else {
            (h as u32 % 5 + 1) * 60
        }
    };
    let rates: Vec<String> = (0..24).map(|h| format!("\"{}/h\"", rate(h))).collect();
    let toml = scenario(
        "duration = \"3d\"\nstart = \"2026-11-23T06:00:00\"\nseed = 5",
        &[
            service("support", ""),
            user("u", "im_capacity = \"unlimited\""),
            format!(
                "[[arrivals]]\nservice = \"support\"\nchannel = \"interact\"\nhandle_time = \"1s\"\nprofile = {{ interval = \"1h\", rates = [{}] }}\n",
                rates.join(", ")
            ),
        ],
    );
    let out = run(&toml, &[]);
    let mut per_hour = [0u32; 24];
    for x in &out.sessions {
        let local_h = ((x.arrived / us(3600.0)) as usize + 6) % 24;
        per_hour[local_h] += 1;
    }
    for (h, &n) in per_hour.iter().enumerate() {
        let expected = 3.0 * rate(h) as f64;
        if expected == 0.0 {
            assert_eq!(n, 0, "hour {h}: no arrival at rate 0");
        } else {
            let tol = 4.5 * expected.sqrt();
            assert!(
                (n as f64 - expected).abs() <= tol,
                "hour {h}: {n} arrivals, expected {expected} ± {tol:.0}"
            );
        }
    }
    let total: u32 = per_hour.iter().sum();
    let expected: f64 = (0..24).map(|h| 3.0 * rate(h) as f64).sum();
    assert!((total as f64 - expected).abs() <= 4.0 * expected.sqrt());
}

#[test]
fn trace_arrivals_happen_exactly_at_the_trace_times() {
    let toml = scenario(
        "duration = \"1h\"\nwarmup = \"60s\"",
        &[
            service("support", ""),
            user("u", "im_capacity = \"unlimited\""),
            trace("support", "t.csv", "handle_time = \"5s\""),
        ],
    );
    // Unsorted; one civil time; one row in the warm-up, two at/after the end
    // of the measured window (60 s + 1 h = 3660 s).
    let csv = "time\n1800.123456\n90.5\n30\n2026-11-23T00:10:00\n90.5\n3659.999\n3660\n5000\n";
    let out = run(&toml, &[("t.csv", csv.into())]);
    let arrived: Vec<Time> = out.sessions.iter().map(|x| x.arrived).collect();
    assert_eq!(
        arrived,
        vec![us(90.5), us(90.5), us(600.0), 1_800_123_456, 3_659_999_000]
    );
    for x in &out.sessions {
        assert_eq!(x.queued, Some(x.arrived));
        assert_eq!(x.accepted, Some(x.arrived));
        assert_eq!(x.ended - x.arrived, us(5.0));
    }
    assert_eq!(out.metric(0, "offered"), 5.0);
}

// ----------------------------------------------------------------- drain

/// Regression: tasks closed at the end of the drain used to be left out of
/// `queued` (fixed by the engine rework of e8e0a4c).
#[test]
fn cancelled_tasks_count_as_queued() {
    // Level 0 of the policy needs english 3; the only member has english 1.
    let toml = scenario(
        "duration = \"10m\"",
        &[
            service(
                "support",
                "policy = [{ from = \"0s\", skills = { english = 3 } }]",
            ),
            user("u", "skills = { english = 1 }"),
            trace("support", "t.csv", ""),
        ],
    );
    let csv = "time,handle_time\n0,10\n60,10\n";
    let out = run(&toml, &[("t.csv", csv.into())]);
    assert_eq!(out.assigned(), vec![NONE, NONE]);
    for x in &out.sessions {
        assert_eq!(x.outcome, Outcome::Cancelled);
        assert!(x.failure_reason.is_some());
        assert!(x.queued.is_some());
    }
    assert_eq!(out.metric(0, "cancelled"), 2.0);
    assert_eq!(out.metric(0, "queued"), 2.0, "both tasks entered the queue");
}

// --------------------------------------------------------------- reporting

#[test]
fn intervals_cover_the_window_when_it_ends_quiet() {
    let toml = scenario(
        "duration = \"1h\"\ninterval = \"15m\"",
        &[
            service("support", ""),
            user("u", ""),
            trace("support", "t.csv", ""),
        ],
    );
    let csv = "time,handle_time\n10,10\n";
    let out = run(&toml, &[("t.csv", csv.into())]);
    let starts: Vec<f64> = out.intervals.iter().map(|r| r.1).collect();
    assert_eq!(starts, vec![0.0, 900.0, 1800.0, 2700.0]);
    assert_eq!(out.intervals.iter().map(|r| r.2).sum::<u64>(), 1);
}

#[test]
fn an_arrival_at_the_measured_start_counts_in_the_first_interval() {
    let toml = scenario(
        "duration = \"1h\"\ninterval = \"15m\"",
        &[
            service("support", ""),
            user("u", ""),
            trace("support", "t.csv", ""),
        ],
    );
    // The last chat runs past the end, so every interval is emitted.
    let csv = "time,handle_time\n0,10\n3590,100\n";
    let out = run(&toml, &[("t.csv", csv.into())]);
    assert_eq!(out.metric(0, "offered"), 2.0);
    assert_eq!(out.intervals.len(), 4);
    let first = &out.intervals[0];
    assert_eq!((first.1, first.2, first.3, first.4), (0.0, 1, 1, 1));
    assert_eq!(out.intervals.iter().map(|r| r.2).sum::<u64>(), 2);
}

#[test]
fn instant_declines_do_not_hang_the_run() {
    let toml = scenario(
        "duration = \"10m\"",
        &[
            service("support", ""),
            user("a", "decline_probability = 1.0"),
            trace("support", "t.csv", "patience = \"30s\""),
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("t.csv"), "time,handle_time\n0,10\n").unwrap();
    let path = dir.path().join("s.toml");
    std::fs::write(&path, &toml).unwrap();
    // In a child process with a timeout: the bug never returns and eats memory.
    assert_cmd::Command::cargo_bin("routesim")
        .unwrap()
        .arg("run")
        .arg(&path)
        .arg("-o")
        .arg(dir.path().join("out"))
        .arg("--quiet")
        .timeout(std::time::Duration::from_secs(2))
        .assert()
        .success();
}

// ------------------------------------------- Nimbus rules of issue 9

/// a declines every offer 1 s after it rings; persistent RONA with a 60 s
/// reset; `workflow` is "basic" (direct) or "broadcast".
fn declining(workflow: &str) -> Out {
    let toml = scenario(
        "duration = \"1h\"",
        &[
            service(
                "support",
                &format!("workflow = \"{workflow}\"\npersistent_rona = true\nrona_reset = \"60s\""),
            ),
            user("a", "decline_probability = 1.0\naccept_delay = \"1s\""),
            trace("support", "t.csv", ""),
        ],
    );
    let csv = "time,handle_time,patience\n0,10,40\n100,10,40\n";
    run(&toml, &[("t.csv", csv.into())])
}

#[test]
fn persistent_rona_flags_a_user_who_declines() {
    let out = declining("basic");
    // 0: a rings, declines at 1 -> RONA 1..61: the re-offer after the pause
    // (6) finds a parked; the customer leaves at 40. Task 1 at 100: a rings,
    // declines at 101 -> RONA 101..161.
    for id in [0, 1] {
        assert_eq!(out.task(id).offers, 1, "task {id}: no offer while parked");
        assert_eq!(out.task(id).outcome, Outcome::CustomerHangupInQueue);
    }
    let a = out.user("a");
    assert_eq!((a.offers, a.declines), (2, 2));
    assert_eq!(a.rona_s, 120.0, "flagged on each decline: 1..61, 101..161");
    assert_eq!(a.ronas, 0, "`ronas` counts ring-outs, not declines");
}

#[test]
fn a_broadcast_decline_never_flags_rona_and_rings_again() {
    let out = declining("broadcast");
    // No RONA under broadcast: a rings at 0, 6, 12, .., 36 (each decline
    // after 1 s, then the 5 s redistribution pause) until the hang-up at 40.
    assert_eq!(out.task(0).offers, 7);
    assert_eq!(out.user("a").rona_s, 0.0);
}

/// a lets the task of 1 s ring out (RONA at 11, reset after 10 min) and is
/// away from 30 to 60 s (`away`: shift or break keys); a chat at 65 s.
fn rona_then_away(away: &str) -> Out {
    let toml = scenario(
        "duration = \"1h\"",
        &[
            service(
                "support",
                "persistent_rona = true\nring_timeout = \"10s\"\nrona_reset = \"10m\"",
            ),
            user("a", &format!("no_answer_probability = 1.0\n{away}")),
            trace("support", "t.csv", ""),
        ],
    );
    let csv = "time,handle_time,patience\n1,10,12\n65,10,15\n";
    run(&toml, &[("t.csv", csv.into())])
}

#[test]
fn rona_is_cleared_by_going_offline() {
    let out = rona_then_away(
        "shifts = [{ days = [\"mon\"], from = \"00:00\", to = \"00:00:30\" }, { days = [\"mon\"], from = \"00:01\", to = \"23:00\" }]",
    );
    assert_eq!(out.task(1).offers, 1, "offered at 65: the flag went at 30");
    let a = out.user("a");
    assert_eq!(a.offers, 2);
    // 11..30, then ringing out at 75: 75..675.
    assert_eq!(a.rona_s, 19.0 + 600.0);
    assert_eq!(a.presence_s[Presence::Offline.index()], 30.0);
}

#[test]
fn rona_is_cleared_by_going_off_duty_on_a_break() {
    let out =
        rona_then_away("breaks = [{ days = [\"mon\"], from = \"00:00:30\", to = \"00:01\" }]");
    assert_eq!(out.task(1).offers, 1, "offered at 65: the flag went at 30");
    let a = out.user("a");
    assert_eq!(a.rona_s, 19.0 + 600.0);
    assert_eq!(a.presence_s[Presence::Offline.index()], 0.0);
}

#[test]
fn a_break_means_no_chats_even_with_busy_away() {
    let toml = scenario(
        "duration = \"1h\"",
        &[
            service("support", "allow_busy_away = true"),
            user(
                "a",
                "breaks = [{ days = [\"mon\"], from = \"00:02\", to = \"00:04\" }]",
            ),
            trace("support", "t.csv", ""),
        ],
    );
    let csv = "time,handle_time\n150,10\n";
    let out = run(&toml, &[("t.csv", csv.into())]);
    assert_eq!(out.assigned(), vec![a("a", 240.0)], "Off Duty until 240");
    assert_eq!(out.user("a").offers, 1);
}

/// a declines every offer 1 s after it rings; one chat at 0 s.
fn refused(extra_service: &str, patience: &str) -> Out {
    let toml = scenario(
        "duration = \"10m\"",
        &[
            service("support", extra_service),
            user("a", "decline_probability = 1.0\naccept_delay = \"1s\""),
            trace("support", "t.csv", patience),
        ],
    );
    run(&toml, &[("t.csv", "time,handle_time\n0,10\n".into())])
}

#[test]
fn a_refused_task_is_offered_again_after_the_redistribution_pause() {
    // Default pause 5 s: offers at 0, 6, 12, 18 (each declined after 1 s).
    let out = refused("", "patience = \"20s\"");
    assert_eq!(out.task(0).offers, 4);
    assert_eq!(out.user("a").ringing_s, 4.0);
    assert_eq!(out.task(0).outcome, Outcome::CustomerHangupInQueue);
    // A 20 s pause: offers at 0 and 21 before the hang-up at 30.
    let out = refused("redistribution_pause = \"20s\"", "patience = \"30s\"");
    assert_eq!(out.task(0).offers, 2);
}

#[test]
fn a_user_who_sometimes_declines_serves_every_chat_eventually() {
    // The only member declines half the offers: re-offers to the same user
    // serve every chat (before, a refused chat waited for the drain limit).
    let toml = scenario(
        "duration = \"4h\"",
        &[
            service("support", ""),
            user("a", "decline_probability = 0.5\naccept_delay = \"1s\""),
            trace("support", "t.csv", ""),
        ],
    );
    let csv: String = std::iter::once("time,handle_time".to_string())
        .chain((0..20).map(|i| format!("{},10", i * 600)))
        .collect::<Vec<_>>()
        .join("\n");
    let out = run(&toml, &[("t.csv", csv)]);
    assert!(
        out.sessions
            .iter()
            .all(|x| x.outcome == Outcome::UserAccepted),
        "{:?}",
        out.sessions.iter().map(|x| x.outcome).collect::<Vec<_>>()
    );
    assert!(out.user("a").declines > 0, "some offers were declined");
    assert_eq!(
        out.user("a").offers,
        20 + out.user("a").declines,
        "every decline was followed by a re-offer"
    );
}

#[test]
fn a_chat_nobody_ever_accepts_says_why() {
    let out = refused("", "");
    let t = out.task(0);
    assert_eq!(t.outcome, Outcome::Cancelled);
    let why = t.failure_reason.as_deref().unwrap();
    assert!(why.contains("declined or rang out"), "{why}");
    assert!(
        t.offers > 1000,
        "re-offered every 6 s until the drain limit"
    );
}

#[test]
fn rona_reset_must_be_between_10s_and_8h() {
    for (value, ok) in [("9s", false), ("10s", true), ("8h", true), ("9h", false)] {
        let toml = scenario(
            "duration = \"1h\"",
            &[
                service("support", &format!("rona_reset = \"{value}\"")),
                user("a", ""),
                trace("support", "t.csv", ""),
            ],
        );
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("t.csv"), "time,handle_time\n0,10\n").unwrap();
        let path = dir.path().join("s.toml");
        std::fs::write(&path, &toml).unwrap();
        let assert = assert_cmd::Command::cargo_bin("routesim")
            .unwrap()
            .arg("validate")
            .arg(&path)
            .assert();
        if ok {
            assert.success();
        } else {
            let out = assert.code(2).get_output().stderr.clone();
            let msg = String::from_utf8_lossy(&out);
            assert!(
                msg.contains("services.support.rona_reset") && msg.contains("8h"),
                "{value}: {msg}"
            );
        }
    }
}
