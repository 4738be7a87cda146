//! One scripted scenario per IM workflow activity (trace arrivals, constant
//! delays), asserting the exits taken and the outcome; revisions, transfers,
//! static checks.

use std::path::Path;

use routesim::engine::sink::{MemorySinks, OwnedSession};
use routesim::engine::Sim;
use routesim::model::{Outcome, Priority};

const S: u64 = 1_000_000;

/// A one-service scenario with `users` agents (capacity 1, immediate
/// accept), arrivals replayed from `trace` (seconds), and `workflow` as the
/// service's workflow `wf`. `extra` goes at the end of the file.
fn scenario(users: u32, trace: &str, workflow: &str, extra: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("trace.csv"), format!("time\n{trace}\n")).unwrap();
    let text = format!(
        r#"
[simulation]
duration = "2h"
seed = 1
start = "2026-11-23T07:00:00"

[tenant]
modalities = ["im"]

[calendars.office]
open = [{{ days = ["mon"], from = "08:00", to = "17:00" }}]

[[services]]
id = "support"
license = "contact_center"
addons = ["interact"]
channels = ["interact"]
workflow = "wf"
calendar = "office"

[[services]]
id = "second"
license = "contact_center"
addons = ["interact"]
channels = ["interact"]
workflow = "plain"

[[users]]
id = "agent"
count = {users}
services = ["support", "second"]
licenses = ["im"]
im_capacity = 1

[[arrivals]]
service = "support"
channel = "interact"
trace = "trace.csv"
handle_time = "100s"

[workflows.wf]
start = "accept"
{workflow}

[workflows.plain]
start = "accept"
steps.accept = {{ do = "accept", next = "queue" }}
steps.queue = {{ do = "queue_task" }}
{extra}
"#
    );
    (dir, text)
}

fn run(dir: &Path, text: &str) -> Vec<OwnedSession> {
    let scn = routesim::scenario::load_str(&dir.join("s.toml"), text, &[])
        .unwrap_or_else(|e| panic!("{e}"))
        .scenario;
    let (_, sinks) = Sim::new(&scn, 0, MemorySinks::default()).run();
    let mut s = sinks.sessions;
    s.sort_by_key(|x| (x.task_id, x.session_id));
    s
}

fn sessions(users: u32, trace: &str, workflow: &str) -> Vec<OwnedSession> {
    let (dir, text) = scenario(users, trace, workflow, "");
    run(dir.path(), &text)
}

fn validate_err(workflow: &str, extra: &str) -> String {
    let (dir, text) = scenario(1, "0", workflow, extra);
    match routesim::scenario::load_str(&dir.path().join("s.toml"), &text, &[]) {
        Ok(_) => panic!("accepted:\n{workflow}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn message_and_delay_take_their_time_before_the_queue() {
    let s = sessions(
        1,
        "0",
        r#"steps.accept = { do = "accept", next = "hi" }
steps.hi = { do = "message", text = "Hello", delay = "5s", next = "wait" }
steps.wait = { do = "delay", duration = "10s", next = "queue" }
steps.queue = { do = "queue_task" }"#,
    );
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].queued, Some(15 * S));
    assert_eq!(s[0].accepted, Some(15 * S));
    assert_eq!(s[0].outcome, Outcome::UserAccepted);
}

#[test]
fn input_customer_takes_the_choice_exit_or_times_out() {
    let menu = |p: f64| {
        format!(
            r#"steps.accept = {{ do = "accept", next = "menu" }}
steps.menu = {{ do = "input_customer", parameter = "topic", reply_delay = "3s", reply_probability = {p}, timeout = "30s", timed_out = "bye", choices = {{ sales = {{ probability = 1.0, next = "check" }} }} }}
steps.check = {{ do = "check_parameter", parameter = "topic", rules = [{{ op = "==", value = "sales", next = "vip" }}], default = "bye" }}
steps.vip = {{ do = "distribution_priority", priority = "high", next = "queue" }}
steps.queue = {{ do = "queue_task" }}
steps.bye = {{ do = "disconnect" }}"#
        )
    };
    let replied = sessions(1, "0", &menu(1.0));
    assert_eq!(replied[0].queued, Some(3 * S), "reply after 3 s");
    assert_eq!(
        replied[0].priority,
        Priority::High,
        "sales -> check_parameter -> distribution_priority"
    );
    let silent = sessions(1, "0", &menu(0.0));
    assert_eq!(silent[0].outcome, Outcome::DisconnectedByWorkflow);
    assert_eq!(silent[0].ended, 30 * S, "the timeout exit after 30 s");
    assert_eq!(silent[0].queued, None);
}

#[test]
fn save_and_check_parameter_with_numbers() {
    let wf = |v: &str| {
        format!(
            r#"steps.accept = {{ do = "accept", next = "save" }}
steps.save = {{ do = "save_to_parameter", parameter = "tier", value = {v}, next = "check" }}
steps.check = {{ do = "check_parameter", parameter = "tier", rules = [{{ op = ">=", value = 3, next = "queue" }}], default = "bye" }}
steps.queue = {{ do = "queue_task" }}
steps.bye = {{ do = "disconnect" }}"#
        )
    };
    assert_eq!(sessions(1, "0", &wf("5"))[0].outcome, Outcome::UserAccepted);
    assert_eq!(
        sessions(1, "0", &wf("2"))[0].outcome,
        Outcome::DisconnectedByWorkflow
    );
}

#[test]
fn web_request_success_and_failure_exits() {
    let wf = |p: f64| {
        format!(
            r#"steps.accept = {{ do = "accept", next = "crm" }}
steps.crm = {{ do = "web_request", latency = "2s", failure_probability = {p}, failure = "bye", next = "queue" }}
steps.queue = {{ do = "queue_task" }}
steps.bye = {{ do = "disconnect" }}"#
        )
    };
    let ok = sessions(1, "0", &wf(0.0));
    assert_eq!(
        (ok[0].outcome, ok[0].queued),
        (Outcome::UserAccepted, Some(2 * S))
    );
    let failed = sessions(1, "0", &wf(1.0));
    assert_eq!(
        (failed[0].outcome, failed[0].ended),
        (Outcome::DisconnectedByWorkflow, 2 * S)
    );
}

#[test]
fn check_opening_hours_follows_the_calendar() {
    // The run starts Monday 07:00; the office opens at 08:00.
    let s = sessions(
        1,
        "600\n5400",
        r#"steps.accept = { do = "accept", next = "hours" }
steps.hours = { do = "check_opening_hours", open = "queue", closed = "bye" }
steps.queue = { do = "queue_task" }
steps.bye = { do = "disconnect" }"#,
    );
    assert_eq!(
        s[0].outcome,
        Outcome::DisconnectedByWorkflow,
        "07:10 is closed"
    );
    assert_eq!(s[1].outcome, Outcome::UserAccepted, "08:30 is open");
}

#[test]
fn availability_based_routing_and_get_available_users() {
    // Two chats at once with one agent: the second finds nobody selectable
    // (the agent is busy) and takes the `busy` exit.
    let s = sessions(
        1,
        "0\n1",
        r#"steps.accept = { do = "accept", next = "abr" }
steps.abr = { do = "availability_based_routing", available = "count", busy = "bye", offline = "bye" }
steps.count = { do = "get_available_users", parameter = "n", next = "check" }
steps.check = { do = "check_parameter", parameter = "n", rules = [{ op = "==", value = 1, next = "queue" }], default = "bye" }
steps.queue = { do = "queue_task" }
steps.bye = { do = "disconnect" }"#,
    );
    assert_eq!(s[0].outcome, Outcome::UserAccepted);
    assert_eq!(s[1].outcome, Outcome::DisconnectedByWorkflow);
    assert_eq!(s[1].ended, S);
}

#[test]
fn cancel_task_after_waiting_then_goodbye() {
    // One agent busy with the first chat for 100 s; the second waits 10 s in
    // the queue, is cancelled, hears a goodbye and ends: Cancelled.
    let s = sessions(
        1,
        "0\n1",
        r#"steps.accept = { do = "accept", next = "queue" }
steps.queue = { do = "queue_task", next = "check" }
steps.check = { do = "check_task", queued = "wait", connected = "done", offered = "done", terminated = "done" }
steps.wait = { do = "delay", duration = "10s", next = "cancel" }
steps.cancel = { do = "cancel_task", next = "bye" }
steps.bye = { do = "message", text = "Sorry", delay = "2s" }
steps.done = { do = "delay", duration = "1h" }"#,
    );
    assert_eq!(s[0].outcome, Outcome::UserAccepted);
    assert_eq!(s[1].outcome, Outcome::Cancelled);
    assert_eq!(
        s[1].wait,
        Some(10 * S),
        "wait ends when the task left the queue"
    );
    assert_eq!(s[1].ended, S + 12 * S, "after the goodbye message");
}

#[test]
fn transfer_opens_a_session_in_the_target_service() {
    let s = sessions(
        1,
        "0",
        r#"steps.accept = { do = "accept", next = "hi" }
steps.hi = { do = "message", text = "Transferring", delay = "3s", next = "go" }
steps.go = { do = "transfer", service = "second" }"#,
    );
    assert_eq!(s.len(), 2, "one session per service");
    assert_eq!(s[0].service, "support");
    assert_eq!(s[0].outcome, Outcome::TransferredByWorkflow);
    assert_eq!(s[0].transferred_to.as_deref(), Some("second"));
    assert_eq!(s[1].service, "second");
    assert_eq!(s[1].arrived, 3 * S);
    assert_eq!(s[1].outcome, Outcome::UserAccepted);
    assert_eq!(s[0].task_id, s[1].task_id);
}

#[test]
fn hangups_map_to_where_the_customer_was() {
    let (dir, text) = scenario(
        1,
        "0",
        r#"steps.accept = { do = "accept", next = "hi" }
steps.hi = { do = "message", text = "Hello", delay = "10s", next = "queue" }
steps.queue = { do = "queue_task" }"#,
        "",
    );
    let text = text.replace(
        "handle_time = \"100s\"",
        "handle_time = \"100s\"\npatience = \"4s\"",
    );
    let s = run(dir.path(), &text);
    assert_eq!(s[0].outcome, Outcome::CustomerHangupInWorkflow);
    assert_eq!(s[0].ended, 4 * S);
}

#[test]
fn a_revision_fails_exactly_the_sessions_that_reach_the_bad_step() {
    // Arrivals every 10 min; at 1 h the workflow is edited to play music
    // (unsupported for IM) before queueing: the six sessions that start after
    // the edit fail there, the six before it are served.
    let trace: Vec<String> = (0..12).map(|i| (i * 600 + 1).to_string()).collect();
    let (dir, text) = scenario(
        3,
        &trace.join("\n"),
        r#"steps.accept = { do = "accept", next = "queue" }
steps.queue = { do = "queue_task" }"#,
        r#"
[workflows.edited]
start = "accept"
steps.accept = { do = "accept", next = "music" }
steps.music = { do = "play_music", next = "queue" }
steps.queue = { do = "queue_task" }

[[revisions]]
at = "1h"
service = "support"
workflow = "edited"
"#,
    );
    let s = run(dir.path(), &text);
    for x in &s {
        if x.arrived < 3600 * S {
            assert_eq!(x.outcome, Outcome::UserAccepted, "before the edit: {x:?}");
        } else {
            assert_eq!(x.outcome, Outcome::Failed, "after the edit: {x:?}");
            assert!(x.failure_reason.as_deref().unwrap().contains("play_music"));
        }
    }
    assert_eq!(s.iter().filter(|x| x.outcome == Outcome::Failed).count(), 6);
}

#[test]
fn static_checks_refuse_broken_workflows() {
    let cycle = validate_err(
        r#"steps.accept = { do = "accept", next = "a" }
steps.a = { do = "save_to_parameter", parameter = "x", value = 1, next = "b" }
steps.b = { do = "check_parameter", parameter = "x", rules = [{ op = "==", value = 1, next = "a" }], default = "queue" }
steps.queue = { do = "queue_task" }"#,
        "",
    );
    assert!(cycle.contains("without any time passing"), "{cycle}");
    let twice = validate_err(
        r#"steps.accept = { do = "accept", next = "queue" }
steps.queue = { do = "queue_task", next = "wait" }
steps.wait = { do = "message", text = "x", next = "queue" }"#,
        "",
    );
    assert!(twice.contains("at most once"), "{twice}");
    let missing = validate_err(r#"steps.accept = { do = "accept", next = "nowhere" }"#, "");
    assert!(
        missing.contains("`nowhere`") && missing.contains("workflows.wf.steps.accept.next"),
        "{missing}"
    );
    let unknown = validate_err(r#"steps.accept = { do = "acept" }"#, "");
    assert!(unknown.contains("unknown activity `acept`"), "{unknown}");
    let transfer = validate_err(
        r#"steps.accept = { do = "accept", next = "go" }
steps.go = { do = "transfer", service = "agent-1" }"#,
        "",
    );
    assert!(transfer.contains("not a service"), "{transfer}");
    let unsupported = validate_err(
        r#"steps.accept = { do = "accept", next = "m" }
steps.m = { do = "play_music", next = "q" }
steps.q = { do = "queue_task" }"#,
        "",
    );
    assert!(
        unsupported.contains("not supported for Instant Messaging"),
        "{unsupported}"
    );
    let wrong_type = validate_err(
        r#"steps.accept = { do = "accept", next = "m" }
steps.m = { do = "message", delay = 5, next = "q" }
steps.q = { do = "queue_task" }"#,
        "",
    );
    assert!(
        wrong_type.contains("workflows.wf.steps.m.delay"),
        "{wrong_type}"
    );
    let start = validate_err(r#"steps.accept = { do = "queue_task" }"#, "");
    assert!(start.contains("must be an `accept`"), "{start}");
}

#[test]
fn web_request_on_a_whatsapp_service_is_refused() {
    let (dir, text) = scenario(
        1,
        "0",
        r#"steps.accept = { do = "accept", next = "crm" }
steps.crm = { do = "web_request", next = "queue" }
steps.queue = { do = "queue_task" }"#,
        "",
    );
    let text = text.replacen(
        "channels = [\"interact\"]",
        "channels = [\"interact\", \"whatsapp\"]",
        1,
    );
    let err = routesim::scenario::load_str(&dir.path().join("s.toml"), &text, &[]).unwrap_err();
    assert!(err.to_string().contains("Interact only"), "{err}");
}

#[test]
fn the_example_scenarios_conserve_tasks() {
    for name in ["support-desk", "workflow-edited"] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("scenarios/{name}.toml"));
        let scn = routesim::scenario::load(&path, &[]).unwrap().scenario;
        let (res, sinks) = Sim::new(&scn, 0, MemorySinks::default()).run();
        // Every service session is one row; offered counts service sessions.
        let offered: f64 = res.metrics[..scn.services.len()].iter().map(|m| m[0]).sum();
        assert_eq!(sinks.sessions.len() as f64, offered, "{name}");
        let mut ids: Vec<(u64, String)> = sinks
            .sessions
            .iter()
            .map(|s| (s.task_id, s.service.clone()))
            .collect();
        ids.sort();
        ids.dedup();
        assert_eq!(
            ids.len(),
            sinks.sessions.len(),
            "{name}: one session per task and service"
        );
    }
}

#[test]
fn direct_contact_reaches_the_user_without_a_session() {
    let (dir, text) = scenario(
        1,
        "0",
        r#"steps.accept = { do = "accept", next = "queue" }
steps.queue = { do = "queue_task" }"#,
        r#"
[[arrivals]]
user = "agent-1"
channel = "interact"
rate = "30/h"
handle_time = "5m"
"#,
    );
    let licensed = text.replace("licenses = [\"im\"]", "licenses = [\"im\", \"interact\"]");
    let scn = routesim::scenario::load_str(&dir.path().join("s.toml"), &licensed, &[])
        .unwrap_or_else(|e| panic!("{e}"))
        .scenario;
    let (res, sinks) = Sim::new(&scn, 0, MemorySinks::default()).run();
    let direct = res.metrics[scn.services.len()][routesim::stats::metric_index("direct").unwrap()];
    assert!(
        (30.0..=100.0).contains(&direct),
        "about 60 direct chats in 2 h: {direct}"
    );
    assert_eq!(res.users[0].direct_chats as f64, direct);
    // No service session for them; the service chat is still served at once
    // (a direct chat does not block the user).
    assert_eq!(sinks.sessions.len(), 1);
    assert_eq!(sinks.sessions[0].accepted, Some(0));
    // Without the user's interact license the scenario is refused.
    let err = routesim::scenario::load_str(&dir.path().join("s.toml"), &text, &[]).unwrap_err();
    assert!(err.to_string().contains("`interact` user license"), "{err}");
}
