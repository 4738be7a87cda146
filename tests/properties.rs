//! Properties of random valid scenarios (proptest): random users (1..15,
//! capacity 1..3) in 1..3 services with random memberships, random arrival
//! sources and priorities, accept delays, decline / no-answer
//! probabilities, patience, ACW, broadcast or direct distribution,
//! persistent RONA, distribution policies, Teams presence changes and
//! blocking calls, 30-60 simulated minutes.
//!
//! Whatever the scenario: every measured task ends in exactly one outcome,
//! no user is ever above capacity, handled + abandoned + cancelled ==
//! offered, times are ordered (arrived <= queued <= accepted <= ended), and
//! a run is a pure function of the scenario and the replication.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use proptest::prelude::*;
use proptest::test_runner::Config;
use routesim::engine::sink::{MemorySinks, OwnedSession};
use routesim::engine::Sim;
use routesim::model::{Outcome, Scenario, Time};
use routesim::stats::{metric_index, RepResult};

const PRIORITIES: [&str; 9] = [
    "strict",
    "highest",
    "very_high",
    "high",
    "normal",
    "low",
    "very_low",
    "lowest",
    "nothing_else",
];

#[derive(Debug, Clone)]
struct ServiceSpec {
    acw_s: u32,
    broadcast: bool,
    /// Priority set by the queue_task step (index into PRIORITIES).
    queue_priority: Option<usize>,
    persistent_rona: bool,
    ring_timeout_s: u32,
    rona_reset_s: u32,
    most_qualified: bool,
    /// Minimum `lang` level of policy level 0 (level 1 from 20 s: any level
    /// >= 1); None = no policy.
    policy: Option<u32>,
    allow_busy_away: bool,
}

#[derive(Debug, Clone)]
struct UserSpec {
    capacity: u32,
    /// Bit s = member of service s.
    services: u32,
    /// `lang` skill level; 0 = none (never matches a policy).
    skill: u32,
    accept_min_ms: u32,
    accept_span_ms: u32,
    decline_pct: u32,
    no_answer_pct: u32,
    /// A random Teams presence change: (presence index, mean gap min, max length min).
    presence_change: Option<(usize, u32, u32)>,
    /// Blocking calls per hour.
    calls_per_h: Option<u32>,
}

#[derive(Debug, Clone)]
struct SourceSpec {
    service: usize,
    rate_per_h: u32,
    priority: Option<usize>,
    handle_mean_s: u32,
    patience_mean_s: Option<u32>,
}

#[derive(Debug, Clone)]
struct Spec {
    duration_min: u32,
    seed: u64,
    services: Vec<ServiceSpec>,
    users: Vec<UserSpec>,
    sources: Vec<SourceSpec>,
}

fn service_spec() -> impl Strategy<Value = ServiceSpec> {
    (
        prop_oneof![Just(0u32), 1u32..30],
        any::<bool>(),
        prop::option::weighted(0.3, 0usize..9),
        any::<bool>(),
        5u32..40,
        10u32..120,
        any::<bool>(),
        prop::option::weighted(0.3, 1u32..5),
        any::<bool>(),
    )
        .prop_map(
            |(
                acw_s,
                broadcast,
                queue_priority,
                persistent_rona,
                ring,
                reset,
                mq,
                policy,
                allow,
            )| {
                ServiceSpec {
                    allow_busy_away: allow,
                    acw_s,
                    broadcast,
                    queue_priority,
                    persistent_rona,
                    ring_timeout_s: ring,
                    rona_reset_s: reset,
                    most_qualified: mq,
                    policy,
                }
            },
        )
}

fn user_spec() -> impl Strategy<Value = UserSpec> {
    (
        1u32..=3,
        1u32..8,
        0u32..6,
        0u32..5000,
        0u32..8000,
        0u32..30,
        0u32..30,
        prop::option::weighted(0.3, (0usize..4, 5u32..30, 1u32..10)),
        prop::option::weighted(0.2, 1u32..6),
    )
        .prop_map(
            |(capacity, services, skill, amin, aspan, dec, na, pc, calls)| UserSpec {
                presence_change: pc,
                calls_per_h: calls,
                capacity,
                services,
                skill,
                accept_min_ms: amin,
                accept_span_ms: aspan,
                decline_pct: dec,
                no_answer_pct: na,
            },
        )
}

fn source_spec() -> impl Strategy<Value = SourceSpec> {
    (
        0usize..3,
        20u32..400,
        prop::option::of(0usize..9),
        20u32..300,
        prop::option::of(10u32..300),
    )
        .prop_map(|(service, rate, priority, handle, patience)| SourceSpec {
            service,
            rate_per_h: rate,
            priority,
            handle_mean_s: handle,
            patience_mean_s: patience,
        })
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        30u32..=60,
        any::<u64>(),
        prop::collection::vec(service_spec(), 1..=3),
        prop::collection::vec(user_spec(), 1..=15),
        prop::collection::vec(source_spec(), 1..=4),
    )
        .prop_map(|(duration_min, seed, services, mut users, mut sources)| {
            let n = services.len() as u32;
            for u in &mut users {
                u.services &= (1 << n) - 1;
            }
            // Every service has an IM member.
            for s in 0..n {
                if !users.iter().any(|u| u.services & (1 << s) != 0) {
                    let k = s as usize % users.len();
                    users[k].services |= 1 << s;
                }
            }
            for src in &mut sources {
                src.service %= services.len();
            }
            Spec {
                duration_min,
                seed: seed % 1_000_000,
                services,
                users,
                sources,
            }
        })
}

fn to_toml(sp: &Spec) -> String {
    let mut t = format!(
        "[simulation]\nduration = \"{}m\"\nseed = {}\ninterval = \"15m\"\n\n[tenant]\nmodalities = [\"im\"]\n\n",
        sp.duration_min, sp.seed
    );
    for (i, s) in sp.services.iter().enumerate() {
        t.push_str(&format!(
            "[[services]]\nid = \"s{i}\"\nlicense = \"contact_center\"\naddons = [\"interact\"]\nchannels = [\"interact\"]\nworkflow = \"w{i}\"\nacw = \"{}s\"\nring_timeout = \"{}s\"\npersistent_rona = {}\nrona_reset = \"{}s\"\nallow_busy_away = {}\n",
            s.acw_s, s.ring_timeout_s, s.persistent_rona, s.rona_reset_s, s.allow_busy_away
        ));
        if s.most_qualified {
            t.push_str("distribution_order = \"most_qualified\"\n");
        }
        if let Some(min) = s.policy {
            t.push_str(&format!(
                "policy = [{{ from = \"0s\", skills = {{ lang = {min} }} }}, {{ from = \"20s\", skills = {{ lang = 1 }} }}]\n"
            ));
        }
        t.push('\n');
        let mut q = String::from("{ do = \"queue_task\"");
        if let Some(p) = s.queue_priority {
            q.push_str(&format!(", priority = \"{}\"", PRIORITIES[p]));
        }
        if s.broadcast {
            q.push_str(", distribution = \"broadcast\"");
        }
        q.push_str(" }");
        t.push_str(&format!(
            "[workflows.w{i}]\nstart = \"accept\"\nsteps.accept = {{ do = \"accept\", next = \"queue\" }}\nsteps.queue = {q}\n\n"
        ));
    }
    for (i, u) in sp.users.iter().enumerate() {
        let services: Vec<String> = (0..sp.services.len())
            .filter(|s| u.services & (1 << s) != 0)
            .map(|s| format!("\"s{s}\""))
            .collect();
        t.push_str(&format!(
            "[[users]]\nid = \"u{i}\"\nservices = [{}]\nlicenses = [\"im\"]\nim_capacity = {}\naccept_delay = {{ dist = \"uniform\", min = \"{}ms\", max = \"{}ms\" }}\ndecline_probability = {}\nno_answer_probability = {}\n",
            services.join(", "),
            u.capacity,
            u.accept_min_ms,
            u.accept_min_ms + u.accept_span_ms,
            u.decline_pct as f64 / 100.0,
            u.no_answer_pct as f64 / 100.0,
        ));
        if u.skill > 0 {
            t.push_str(&format!("skills = {{ lang = {} }}\n", u.skill));
        }
        if let Some((p, every, len)) = u.presence_change {
            let p = ["busy", "away", "dnd", "offline"][p];
            t.push_str(&format!(
                "presence_changes = [{{ presence = \"{p}\", every = {{ dist = \"exponential\", mean = \"{every}m\" }}, duration = {{ dist = \"uniform\", min = \"30s\", max = \"{len}m\" }} }}]\n"
            ));
        }
        if let Some(r) = u.calls_per_h {
            t.push_str(&format!(
                "calls = {{ rate = \"{r}/h\", duration = {{ dist = \"exponential\", mean = \"4m\" }} }}\n"
            ));
        }
        t.push('\n');
    }
    for src in &sp.sources {
        t.push_str(&format!(
            "[[arrivals]]\nservice = \"s{}\"\nchannel = \"interact\"\nrate = \"{}/h\"\nhandle_time = {{ dist = \"exponential\", mean = \"{}s\" }}\n",
            src.service, src.rate_per_h, src.handle_mean_s
        ));
        if let Some(p) = src.priority {
            t.push_str(&format!("priority = \"{}\"\n", PRIORITIES[p]));
        }
        if let Some(p) = src.patience_mean_s {
            t.push_str(&format!(
                "patience = {{ dist = \"exponential\", mean = \"{p}s\" }}\n"
            ));
        }
        t.push('\n');
    }
    t
}

fn load(text: &str) -> Scenario {
    routesim::scenario::load_str(Path::new("prop.toml"), text, &[])
        .unwrap_or_else(|e| panic!("{e}\n--- scenario ---\n{text}"))
        .scenario
}

fn run(scn: &Scenario) -> (RepResult, Vec<OwnedSession>) {
    let (res, sinks) = Sim::new(scn, 0, MemorySinks::default()).run();
    (res, sinks.sessions)
}

fn m(row: &[f64], name: &str) -> u64 {
    row[metric_index(name).unwrap()] as u64
}

fn check(scn: &Scenario, res: &RepResult, sessions: &[OwnedSession]) -> Result<(), TestCaseError> {
    // Exactly one session per measured task, per service.
    let mut ids = HashSet::new();
    for x in sessions {
        prop_assert!(ids.insert(x.task_id), "task {} reported twice", x.task_id);
    }
    let total = res.metrics.last().unwrap();
    prop_assert_eq!(sessions.len() as u64, m(total, "offered"));
    for (i, svc) in scn.services.iter().enumerate() {
        let row = &res.metrics[i];
        let n = sessions.iter().filter(|x| x.service == svc.name).count() as u64;
        prop_assert_eq!(n, m(row, "offered"), "sessions of {}", &svc.name);
        let count = |o: Outcome| {
            sessions
                .iter()
                .filter(|x| x.service == svc.name && x.outcome == o)
                .count() as u64
        };
        let (h, a, c) = (m(row, "handled"), m(row, "abandoned"), m(row, "cancelled"));
        prop_assert_eq!(h + a + c, m(row, "offered"), "{}: conservation", &svc.name);
        prop_assert_eq!(h, count(Outcome::UserAccepted));
        prop_assert_eq!(a, count(Outcome::CustomerHangupInQueue));
        prop_assert_eq!(c, count(Outcome::Cancelled));
        prop_assert_eq!(m(row, "queued"), m(row, "offered"), "every task queues");
    }

    // Times are ordered; waits are what they say.
    for x in sessions {
        let q = x.queued.expect("every task queues");
        prop_assert!(q >= x.arrived);
        prop_assert!(x.ended >= q);
        match x.outcome {
            Outcome::UserAccepted => {
                let acc = x.accepted.expect("accepted time");
                prop_assert!(acc >= q, "accepted before queued: {:?}", x);
                prop_assert!(x.ended >= acc);
                prop_assert_eq!(x.wait, Some(acc - q));
                prop_assert!(x.user.is_some());
                prop_assert!(x.offers >= 1);
            }
            _ => {
                prop_assert!(x.accepted.is_none() && x.user.is_none());
                prop_assert_eq!(x.wait, Some(x.ended - q));
            }
        }
        prop_assert!(x.ronas <= x.offers);
        prop_assert!(x.queue_position.is_some_and(|p| p >= 1));
    }

    // Nobody above capacity: replay accepted..ended per user, a chat that
    // ends freeing its place before one that starts at the same instant.
    let cap: HashMap<&str, u32> = scn
        .users
        .iter()
        .map(|u| (u.name.as_str(), u.capacity))
        .collect();
    let mut ev: HashMap<&str, Vec<(Time, i32)>> = HashMap::new();
    for x in sessions {
        if let (Some(u), Some(acc)) = (&x.user, x.accepted) {
            let v = ev.entry(u.as_str()).or_default();
            v.push((acc, 1));
            v.push((x.ended, -1));
        }
    }
    for (u, mut v) in ev {
        v.sort();
        let mut load = 0;
        for (t, d) in v {
            load += d;
            prop_assert!(
                load as u32 <= cap[u],
                "{} holds {} chats at {} s, capacity {}",
                u,
                load,
                t as f64 / 1e6,
                cap[u]
            );
        }
    }

    // users.csv agrees with the sessions (no warm-up: every task measured).
    let offers: u64 = res.users.iter().map(|r| r.offers).sum();
    let s_offers: u64 = sessions.iter().map(|x| x.offers as u64).sum();
    prop_assert_eq!(offers, s_offers, "offers in users vs sessions");
    let ronas: u64 = res.users.iter().map(|r| r.ronas).sum();
    let s_ronas: u64 = sessions.iter().map(|x| x.ronas as u64).sum();
    prop_assert_eq!(ronas, s_ronas, "ronas in users vs sessions");
    prop_assert_eq!(ronas, m(total, "ronas"));
    let handled: u64 = res.users.iter().map(|r| r.sessions).sum();
    prop_assert_eq!(handled, m(total, "handled"));
    for (u, r) in scn.users.iter().zip(&res.users) {
        prop_assert!(r.declines + r.ronas <= r.offers, "{}: {:?}", &u.name, r);
        prop_assert!(r.busy_s <= r.connected_s + 1e-6);
    }
    Ok(())
}

proptest! {
    #![proptest_config(Config {
        // PROPTEST_CASES=3000 for a longer hunt.
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(32),
        failure_persistence: None,
        ..Config::default()
    })]

    #[test]
    fn random_scenarios_keep_the_invariants(sp in spec()) {
        let text = to_toml(&sp);
        let scn = load(&text);
        let (res, sessions) = run(&scn);
        check(&scn, &res, &sessions)?;
        // Determinism: the same scenario and replication, the same run.
        let (res2, sessions2) = run(&scn);
        prop_assert_eq!(format!("{:?}", res.metrics), format!("{:?}", res2.metrics));
        prop_assert_eq!(format!("{:?}", res.users), format!("{:?}", res2.users));
        prop_assert_eq!(format!("{sessions:?}"), format!("{sessions2:?}"));
        prop_assert_eq!(res.events, res2.events);
        // And from a fresh load of the same text.
        let (res3, sessions3) = run(&load(&text));
        prop_assert_eq!(format!("{:?}", res.metrics), format!("{:?}", res3.metrics));
        prop_assert_eq!(format!("{sessions:?}"), format!("{sessions3:?}"));
    }
}
