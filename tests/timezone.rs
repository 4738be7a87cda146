//! `simulation.timezone`: shifts, opening hours and trace times are local
//! wall-clock times in an IANA zone, so a daylight-saving change moves them
//! to the right instants.

mod common;

use common::load;
use routesim::engine::sink::MemorySinks;
use routesim::engine::Sim;
use routesim::model::time::MICROS_PER_SEC;
use routesim::model::Time;

const H: Time = 3600 * MICROS_PER_SEC;

/// One agent whose only shift is Monday 08:00–09:00 local; chats queue from
/// the start, so the first is accepted the instant the shift begins.
fn scenario(zone: &str, start: &str) -> String {
    format!(
        r#"
[simulation]
duration = "3d"
seed = 3
replications = 1
interval = "1h"
start = "{start}"
{zone}

[tenant]
modalities = ["im"]

[[services]]
id = "support"
license = "contact_center"
addons = ["interact"]
channels = ["interact"]
workflow = "basic"

[[users]]
id = "agent"
services = ["support"]
licenses = ["im"]
im_capacity = 1
accept_delay = "0s"
shifts = [{{ days = ["mon"], from = "08:00", to = "09:00" }}]

[[arrivals]]
service = "support"
channel = "interact"
rate = "2/h"
handle_time = {{ dist = "constant", value = "1m" }}

[workflows.basic]
start = "accept"
steps.accept = {{ do = "accept", next = "queue" }}
steps.queue = {{ do = "queue_task" }}
"#
    )
}

/// The acceptances of the first 100 simulated hours (the queue left at the
/// end drains on the next Monday).
fn accepted(text: &str) -> Vec<Time> {
    let scn = load(text);
    let (_, sinks) = Sim::new(&scn, 0, MemorySinks::default()).run();
    let mut acc: Vec<Time> = sinks
        .sessions
        .iter()
        .filter_map(|s| s.accepted)
        .filter(|&t| t < 100 * H)
        .collect();
    acc.sort_unstable();
    assert!(acc.len() > 20, "the queue fed the shift: {}", acc.len());
    acc
}

/// Every acceptance in [from, from + 1 h), the first at `from`.
fn within_the_shift(acc: &[Time], from: Time) {
    assert_eq!(
        acc[0],
        from,
        "the shift starts at {} h",
        from as f64 / H as f64
    );
    assert!(acc.iter().all(|&t| t < from + H), "and lasts an hour");
}

#[test]
fn a_dst_change_moves_an_08_00_shift_to_the_right_instant() {
    // Clocks go forward on Sunday 2026-03-29 in Zurich: from Saturday 00:00
    // to Monday 08:00 is 55 h, not 56.
    let zurich = "timezone = \"Europe/Zurich\"";
    within_the_shift(&accepted(&scenario(zurich, "2026-03-28T00:00")), 55 * H);
    // ... and back on Sunday 2026-10-25: 57 h.
    within_the_shift(&accepted(&scenario(zurich, "2026-10-24T00:00")), 57 * H);
    // UTC (the default) has no DST: 56 h both times.
    within_the_shift(&accepted(&scenario("", "2026-03-28T00:00")), 56 * H);
    within_the_shift(
        &accepted(&scenario("timezone = \"UTC\"", "2026-10-24T00:00")),
        56 * H,
    );
}

#[test]
fn an_unknown_zone_is_a_clear_error() {
    let text = scenario("timezone = \"Europe/Zurch\"", "2026-03-28T00:00");
    let Err(err) = routesim::scenario::load_str(std::path::Path::new("t.toml"), &text, &[]) else {
        panic!("an unknown zone is refused");
    };
    let err = err.to_string();
    assert!(err.contains("simulation.timezone"), "{err}");
    assert!(
        err.contains("Europe/Zurch") && err.contains("IANA"),
        "{err}"
    );
}

#[test]
fn local_times_map_to_instants_across_gaps_and_folds() {
    use routesim::model::civil::{parse_civil, Clock};
    let c = |s: &str| parse_civil(s).unwrap();
    let clock = Clock::zoned(c("2026-03-28T00:00"), "Europe/Zurich", 400 * 24 * H).unwrap();
    // Before the change: UTC+1; after: UTC+2.
    assert_eq!(clock.sim_time(c("2026-03-29T01:00")), Some(25 * H));
    assert_eq!(clock.sim_time(c("2026-03-29T03:00")), Some(26 * H));
    // 02:30 does not exist that night: moved forward by the gap (= 03:30).
    assert_eq!(clock.sim_time(c("2026-03-29T02:30")), Some(26 * H + H / 2));
    assert_eq!(clock.civil(26 * H).to_string(), "2026-03-29T03:00");
    assert_eq!(clock.civil(26 * H - 1).tod / MICROS_PER_SEC, 2 * 3600 - 1);
    // A local hour in the autumn fold maps to its first occurrence.
    let oct = clock.sim_time(c("2026-10-25T02:30")).unwrap();
    let first = clock.sim_time(c("2026-10-25T01:30")).unwrap();
    assert_eq!(oct - first, H, "02:30 (summer time) is an hour after 01:30");
    assert_eq!(
        clock.civil(oct + H).to_string(),
        "2026-10-25T02:30",
        "again"
    );
    assert_eq!(
        clock.sim_time(c("2026-03-27T23:00")),
        None,
        "before the start"
    );
    // Stepping the local clock stops at each change.
    assert_eq!(clock.advance(0, 30 * H), 26 * H, "02:00 local, 01:00 UTC");
    assert_eq!(
        clock.advance(26 * H, 30 * H),
        56 * H,
        "no change until October"
    );
}
