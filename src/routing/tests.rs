//! Scripted router tests: exact assignment order for each rule.

use std::path::Path;

use super::*;
use crate::model::Priority;

fn scenario(users: u32, extra_service: bool, acw: &str) -> Scenario {
    let second = if extra_service {
        r#"
[[services]]
id = "sales"
license = "contact_center"
addons = ["interact"]
channels = ["interact"]
workflow = "basic"
"#
    } else {
        ""
    };
    let services = if extra_service {
        r#"["support", "sales"]"#
    } else {
        r#"["support"]"#
    };
    let text = format!(
        r#"
[simulation]
duration = "1h"
[tenant]
modalities = ["im"]
[[services]]
id = "support"
license = "contact_center"
addons = ["interact"]
channels = ["interact"]
workflow = "basic"
acw = "{acw}"
{second}
[[users]]
id = "agent"
count = {users}
services = {services}
licenses = ["im"]
im_capacity = 1
[[arrivals]]
service = "support"
channel = "interact"
rate = "1/s"
handle_time = "60s"
[workflows.basic]
start = "accept"
steps.accept = {{ do = "accept", next = "queue" }}
steps.queue = {{ do = "queue_task" }}
"#
    );
    crate::scenario::load_str(Path::new("t.toml"), &text, &[])
        .unwrap_or_else(|e| panic!("{e}"))
        .scenario
}

fn offers(r: &mut Router) -> Vec<(u32, UserId)> {
    let mut buf = Vec::new();
    r.take_actions(&mut buf);
    buf.iter()
        .filter_map(|a| match *a {
            Action::Offer { slot, user, .. } => Some((slot, user)),
            _ => None,
        })
        .collect()
}

fn enq(r: &mut Router, slot: u32, service: ServiceId, p: Priority, now: Time) -> u32 {
    r.enqueue(slot, service, p, DistributionType::Direct, None, now)
}

fn acc(r: &mut Router, slot: u32, user: UserId, now: Time) -> bool {
    let round = r.round(slot);
    r.accept(slot, user, round, now)
}

#[test]
fn longest_idle_user_first() {
    let scn = scenario(3, false, "0s");
    let mut r = Router::new(&scn);
    enq(&mut r, 1, 0, Priority::Normal, 0);
    enq(&mut r, 2, 0, Priority::Normal, 0);
    assert_eq!(
        offers(&mut r),
        vec![(1, 0), (2, 1)],
        "ties end on the user index"
    );
    assert!(acc(&mut r, 1, 0, 0));
    assert!(acc(&mut r, 2, 1, 0));
    r.finish(2, 5); // agent 1 idle since 5
    r.finish(1, 10); // agent 0 idle since 10
    offers(&mut r);
    for (slot, t) in [(3, 20), (4, 21), (5, 22)] {
        enq(&mut r, slot, 0, Priority::Normal, t);
    }
    // agent 2 idle since 0, agent 1 since 5, agent 0 since 10.
    assert_eq!(offers(&mut r), vec![(3, 2), (4, 1), (5, 0)]);
}

#[test]
fn priority_then_fifo_and_positions() {
    let scn = scenario(1, false, "0s");
    let mut r = Router::new(&scn);
    enq(&mut r, 0, 0, Priority::Normal, 0);
    assert_eq!(offers(&mut r), vec![(0, 0)]);
    assert!(acc(&mut r, 0, 0, 0));
    // The only user is busy: these wait.
    let p = [
        enq(&mut r, 1, 0, Priority::Low, 1),
        enq(&mut r, 2, 0, Priority::Normal, 2),
        enq(&mut r, 3, 0, Priority::High, 3),
        enq(&mut r, 4, 0, Priority::Normal, 4),
        enq(&mut r, 5, 0, Priority::Strict, 5),
    ];
    assert_eq!(
        p,
        [1, 1, 1, 3, 1],
        "rank at entry: higher priority first, then FIFO"
    );
    assert_eq!(r.position(1), Some(5));
    assert_eq!(r.position(4), Some(4));
    let mut order = Vec::new();
    let mut current = 0;
    for t in 10..15 {
        r.finish(current, t);
        let o = offers(&mut r);
        assert_eq!(o.len(), 1);
        current = o[0].0;
        assert!(acc(&mut r, current, 0, t));
        order.push(current);
    }
    assert_eq!(order, vec![5, 3, 2, 4, 1]);
}

#[test]
fn hangup_while_ringing_frees_the_user() {
    let scn = scenario(1, false, "0s");
    let mut r = Router::new(&scn);
    enq(&mut r, 0, 0, Priority::Normal, 0);
    enq(&mut r, 1, 0, Priority::Normal, 0);
    assert_eq!(offers(&mut r), vec![(0, 0)]);
    assert_eq!(r.remove(0, 3), TaskState::Ringing);
    assert_eq!(offers(&mut r), vec![(1, 0)], "the next task rings at once");
    assert!(
        !acc(&mut r, 0, 0, 4),
        "a withdrawn offer cannot be accepted"
    );
    assert!(acc(&mut r, 1, 0, 4));
    assert_eq!(r.queue_len(0), 0);
}

#[test]
fn acw_blocks_the_user_until_it_ends() {
    let scn = scenario(1, false, "20s");
    let mut r = Router::new(&scn);
    enq(&mut r, 0, 0, Priority::Normal, 0);
    offers(&mut r);
    assert!(acc(&mut r, 0, 0, 0));
    enq(&mut r, 1, 0, Priority::Normal, 1);
    r.finish(0, 10);
    let mut buf = Vec::new();
    r.take_actions(&mut buf);
    assert_eq!(
        buf,
        vec![Action::AcwUntil {
            user: 0,
            until: 10 + 20_000_000
        }]
    );
    assert_eq!(r.selectable_users(0), 0);
    assert!(!r.acw_end(0, 15), "too early");
    assert!(offers(&mut r).is_empty());
    assert!(r.acw_end(0, 10 + 20_000_000));
    assert_eq!(offers(&mut r), vec![(1, 0)]);
}

#[test]
fn a_shared_user_gets_the_best_task_of_all_its_services() {
    let scn = scenario(1, true, "0s");
    let mut r = Router::new(&scn);
    enq(&mut r, 0, 0, Priority::Normal, 0);
    offers(&mut r);
    assert!(acc(&mut r, 0, 0, 0));
    enq(&mut r, 1, 0, Priority::Normal, 1); // support, waiting longest
    enq(&mut r, 2, 1, Priority::Normal, 2); // sales
    enq(&mut r, 3, 1, Priority::High, 3); // sales, higher priority
    r.finish(0, 10);
    assert_eq!(offers(&mut r), vec![(3, 0)], "priority first");
    assert!(acc(&mut r, 3, 0, 10));
    r.finish(3, 20);
    assert_eq!(
        offers(&mut r),
        vec![(1, 0)],
        "then longest waiting across services"
    );
}
