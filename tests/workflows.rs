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

#[test]
fn a_whatsapp_session_reaching_web_request_through_a_revision_fails() {
    // WhatsApp chats every 10 min; at 1 h the workflow is edited to call a
    // web service (Interact only): the six sessions after the edit fail.
    let trace: Vec<String> = (0..12).map(|i| (i * 600 + 1).to_string()).collect();
    let (dir, text) = scenario(
        3,
        &trace.join("\n"),
        r#"steps.accept = { do = "accept", next = "queue" }
steps.queue = { do = "queue_task" }"#,
        r#"
[workflows.crm]
start = "accept"
steps.accept = { do = "accept", next = "crm" }
steps.crm = { do = "web_request", next = "queue" }
steps.queue = { do = "queue_task" }

[[revisions]]
at = "1h"
service = "support"
workflow = "crm"
"#,
    );
    let text = text
        .replacen(
            "channels = [\"interact\"]",
            "channels = [\"interact\", \"whatsapp\"]",
            1,
        )
        .replace(
            "service = \"support\"\nchannel = \"interact\"",
            "service = \"support\"\nchannel = \"whatsapp\"",
        );
    let s = run(dir.path(), &text);
    assert_eq!(s.len(), 12);
    for x in &s {
        if x.arrived < 3600 * S {
            assert_eq!(x.outcome, Outcome::UserAccepted, "before the edit: {x:?}");
        } else {
            assert_eq!(x.outcome, Outcome::Failed, "after the edit: {x:?}");
            assert_eq!(x.ended, x.arrived, "fails on reaching the step");
            let why = x.failure_reason.as_deref().unwrap();
            assert!(
                why.contains("step `crm`") && why.contains("Interact only"),
                "{why}"
            );
        }
    }
}

/// The scenario with `wf` for support and the workflow `back` (transfer to
/// support, after a message when `message`) for service `second`.
fn transfer_back(wf: &str, message: bool, revision: bool) -> (tempfile::TempDir, String) {
    let hi = if message { "hi" } else { "go" };
    let mut extra = format!(
        r#"
[workflows.back]
start = "accept"
steps.accept = {{ do = "accept", next = "{hi}" }}
steps.hi = {{ do = "message", text = "x", next = "go" }}
steps.go = {{ do = "transfer", service = "support" }}
"#
    );
    if revision {
        extra.push_str("\n[[revisions]]\nat = \"1h\"\nservice = \"second\"\nworkflow = \"back\"\n");
    }
    let (dir, text) = scenario(1, "0", wf, &extra);
    let text = if revision {
        text
    } else {
        text.replace("workflow = \"plain\"", "workflow = \"back\"")
    };
    (dir, text)
}

fn load_err(dir: &Path, text: &str) -> Option<String> {
    routesim::scenario::load_str(&dir.join("s.toml"), text, &[])
        .err()
        .map(|e| e.to_string())
}

#[test]
fn validate_refuses_transfer_cycles_across_services_and_revisions() {
    let instant = r#"steps.accept = { do = "accept", next = "go" }
steps.go = { do = "transfer", service = "second" }"#;
    // A service that transfers to itself.
    let own = validate_err(
        r#"steps.accept = { do = "accept", next = "go" }
steps.go = { do = "transfer", service = "support" }"#,
        "",
    );
    assert!(
        own.contains("workflows.wf.steps.go")
            && own.contains("`support` (workflow `wf` step `go`) -> `support`")
            && own.contains("without any time passing"),
        "{own}"
    );
    // Two services that transfer to each other.
    let (dir, text) = transfer_back(instant, false, false);
    let both = load_err(dir.path(), &text).expect("a cycle between support and second");
    assert!(
        both.contains("-> `second`") && both.contains("-> `support`"),
        "{both}"
    );
    // A message on the way takes time: no cycle.
    let (dir, text) = transfer_back(instant, true, false);
    assert_eq!(load_err(dir.path(), &text), None);
    // The same cycle, closed only by a revision of `second` at 1 h.
    let (dir, text) = transfer_back(instant, false, true);
    let rev = load_err(dir.path(), &text).expect("the revision closes a cycle");
    assert!(
        rev.contains("revisions.0") && rev.contains("from this revision on"),
        "{rev}"
    );
}

#[test]
fn a_zero_time_loop_validation_cannot_see_ends_as_failed() {
    // Valid as written (each transfer follows a 1 s message); the messages
    // are then made instant, as no file can, so the task would bounce between
    // the services forever at time 0. The engine's guard ends it Failed.
    let (dir, text) = transfer_back(
        r#"steps.accept = { do = "accept", next = "hi" }
steps.hi = { do = "message", text = "x", next = "go" }
steps.go = { do = "transfer", service = "second" }"#,
        true,
        false,
    );
    let mut scn = routesim::scenario::load_str(&dir.path().join("s.toml"), &text, &[])
        .unwrap_or_else(|e| panic!("{e}"))
        .scenario;
    for wf in &mut scn.workflows {
        for st in &mut wf.steps {
            if let routesim::model::Activity::Message { delay, .. } = &mut st.activity {
                *delay = 0;
            }
        }
    }
    let (_, sinks) = Sim::new(&scn, 0, MemorySinks::default()).run();
    let (failed, rest): (Vec<_>, Vec<_>) = sinks
        .sessions
        .iter()
        .partition(|x| x.outcome == Outcome::Failed);
    assert_eq!(failed.len(), 1, "the one task fails");
    let why = failed[0].failure_reason.as_deref().unwrap();
    assert!(why.contains("without time passing"), "{why}");
    assert!(rest.len() > 100, "it bounced before the guard stopped it");
    assert!(rest
        .iter()
        .all(|x| x.outcome == Outcome::TransferredByWorkflow && x.ended == 0));
}

/// Per (replication, service): the rows of a CSV file.
fn csv_rows(path: &Path) -> Vec<csv::StringRecord> {
    let mut r = csv::Reader::from_path(path).unwrap();
    r.records().map(|x| x.unwrap()).collect()
}

#[test]
fn summary_counts_equal_the_session_outcomes() {
    // A desk whose chats take every path: queue (handled or hang-up), queue
    // then cancel (Cancelled, or Abandoned while a user rings, or a hang-up
    // after the queue), disconnect, transfer, a long message (hang-up in the
    // workflow), and from 2 h an unsupported step (Failed).
    let steps = r#"start = "accept"
steps.accept = { do = "accept", next = "ask" }
steps.ask = { do = "input_customer", parameter = "topic", reply_delay = "2s", choices = { q = { probability = 0.3, next = "queue" }, c = { probability = 0.25, next = "cqueue" }, d = { probability = 0.1, next = "bye" }, t = { probability = 0.1, next = "move" }, m = { probability = 0.1, next = "long" } }, next = "odd" }
steps.queue = { do = "queue_task" }
steps.cqueue = { do = "queue_task", next = "wait" }
steps.wait = { do = "delay", duration = { dist = "uniform", min = "1s", max = "40s" }, next = "cancel" }
steps.cancel = { do = "cancel_task", next = "sorry" }
steps.sorry = { do = "message", text = "Sorry", delay = "1m" }
steps.bye = { do = "disconnect" }
steps.move = { do = "message", text = "Moving you", delay = "2s", next = "go" }
steps.go = { do = "transfer", service = "back" }
steps.long = { do = "message", text = "Please hold", delay = "10m", next = "bye" }"#;
    let text = format!(
        r#"
[simulation]
duration = "4h"
seed = 7
replications = 2

[tenant]
modalities = ["im"]

[[services]]
id = "front"
license = "contact_center"
addons = ["interact"]
channels = ["interact"]
workflow = "front"

[[services]]
id = "back"
license = "contact_center"
addons = ["interact"]
channels = ["interact"]
workflow = "plain"

[[users]]
id = "agent"
count = 3
services = ["front", "back"]
licenses = ["im"]
im_capacity = 1
accept_delay = {{ dist = "uniform", min = "0s", max = "20s" }}
decline_probability = 0.1

[[arrivals]]
service = "front"
channel = "interact"
rate = "60/h"
handle_time = {{ dist = "exponential", mean = "4m" }}
patience = {{ dist = "exponential", mean = "3m" }}

[workflows.front]
{steps}
steps.odd = {{ do = "disconnect" }}

[workflows.edited]
{steps}
steps.odd = {{ do = "play_music" }}

[workflows.plain]
start = "accept"
steps.accept = {{ do = "accept", next = "queue" }}
steps.queue = {{ do = "queue_task" }}

[[revisions]]
at = "2h"
service = "front"
workflow = "edited"
"#
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("desk.toml");
    std::fs::write(&path, text).unwrap();
    let out = dir.path().join("out");
    assert_cmd::Command::cargo_bin("routesim")
        .unwrap()
        .args(["run", "--quiet", "-o"])
        .arg(&out)
        .arg(&path)
        .assert()
        .success();
    // Outcome counts per (replication, service) from sessions.csv.
    let sessions = csv_rows(&out.join("sessions.csv"));
    let mut count = std::collections::HashMap::<(String, String, String), f64>::new();
    let mut seen = std::collections::HashSet::new();
    for r in &sessions {
        let key = |what: &str| (r[0].to_string(), r[3].to_string(), what.to_string());
        *count.entry(key("offered")).or_default() += 1.0;
        if !r[7].is_empty() {
            *count.entry(key("queued")).or_default() += 1.0;
        }
        let metric = match &r[13] {
            "UserAccepted" => "handled",
            "CustomerHangupInQueue" => "abandoned",
            "Failed" => "failed",
            "Cancelled" => "cancelled",
            "TransferredByWorkflow" => "transferred",
            other => other,
        };
        *count.entry(key(metric)).or_default() += 1.0;
        seen.insert(r[13].to_string());
    }
    for o in [
        "UserAccepted",
        "CustomerHangupInQueue",
        "CustomerHangupInWorkflow",
        "CustomerHangupInWorkflowAfterQueue",
        "Cancelled",
        "Abandoned",
        "DisconnectedByWorkflow",
        "TransferredByWorkflow",
        "Failed",
    ] {
        assert!(
            seen.contains(o),
            "no {o} session: the test covers too little"
        );
    }
    // Every count metric of replications.csv is exactly its outcome count.
    let reps = csv_rows(&out.join("replications.csv"));
    let counts = [
        "offered",
        "queued",
        "handled",
        "abandoned",
        "failed",
        "cancelled",
        "transferred",
    ];
    let mut checked = 0;
    let mut tenant = std::collections::HashMap::<(String, String), f64>::new();
    for r in &reps {
        if r[1] == *"*" || !counts.contains(&&r[2]) {
            continue;
        }
        let value: f64 = r[3].parse().unwrap();
        let want = count
            .get(&(r[0].to_string(), r[1].to_string(), r[2].to_string()))
            .copied()
            .unwrap_or(0.0);
        assert_eq!(value, want, "replication {} {} {}", &r[0], &r[1], &r[2]);
        *tenant
            .entry((r[0].to_string(), r[2].to_string()))
            .or_default() += value;
        checked += 1;
    }
    assert_eq!(checked, 2 * 2 * counts.len(), "2 replications x 2 services");
    // summary.csv: the tenant's mean over the replications.
    for r in csv_rows(&out.join("summary.csv")) {
        if r[0] != *"*" || !counts.contains(&&r[1]) {
            continue;
        }
        let mean: f64 = r[2].parse().unwrap();
        let sum = tenant[&("0".to_string(), r[1].to_string())]
            + tenant[&("1".to_string(), r[1].to_string())];
        assert_eq!(mean, sum / 2.0, "summary {}", &r[1]);
    }
}
