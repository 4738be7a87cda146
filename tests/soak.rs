//! Random whole scenarios through `routesim run`, checked from the files it
//! writes. A seeded generator covers every scenario feature: services on
//! both channels, workflows with every IM activity (branches, loops that
//! wait, transfers, cancel, disconnect), revisions (with an unsupported
//! activity), calendars with holidays and special periods, policies,
//! skills, most-qualified order, shifts, breaks, presence changes, calls,
//! groups, inactive memberships, concurrency stretch, Poisson rates,
//! profiles, traces, empirical handle times, patience, priorities,
//! preferred users, broadcast, ring timeouts and persistent RONA, ACW,
//! warm-up and several replications.
//!
//! Checked for every scenario: no panic; no hang (a time budget each); one
//! final outcome per task; arrived <= queued <= accepted <= ended; no user
//! above capacity; occupancy in [0, 1]; replications.csv counts equal to
//! the sessions.csv outcomes, per replication and service.
//!
//! `cargo test --release --test soak` runs 12 scenarios; the soak:
//! `SOAK_SCENARIOS=300 cargo test --release --test soak -- --nocapture`
//! (`SOAK_SEED` picks another series).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Wall-clock budget per scenario; a run beyond it counts as a hang.
const BUDGET: Duration = Duration::from_secs(60);

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
const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

struct Gen {
    rng: ChaCha8Rng,
}

impl Gen {
    fn p(&mut self, p: f64) -> bool {
        self.rng.random_bool(p)
    }
    fn n(&mut self, lo: u32, hi: u32) -> u32 {
        self.rng.random_range(lo..=hi)
    }
    fn pick<'a>(&mut self, xs: &'a [&'a str]) -> &'a str {
        xs.choose(&mut self.rng).unwrap()
    }
    fn dist(&mut self, lo_s: u32, hi_s: u32) -> String {
        let m = self.n(lo_s, hi_s).max(1);
        match self.n(0, 4) {
            0 => format!("{{ dist = \"exponential\", mean = \"{m}s\" }}"),
            1 => format!(
                "{{ dist = \"lognormal\", mean = \"{m}s\", sd = \"{}s\" }}",
                (m / 2).max(1)
            ),
            2 => format!(
                "{{ dist = \"uniform\", min = \"{}s\", max = \"{}s\" }}",
                m / 2,
                m + 1
            ),
            3 => format!("{{ dist = \"gamma\", shape = 2.0, mean = \"{m}s\" }}"),
            _ => format!("\"{m}s\""),
        }
    }
    fn hours(&mut self) -> (String, String) {
        let from = self.n(0, 20);
        let to = (from + self.n(2, 10)) % 24;
        (
            format!("{from:02}:00"),
            format!("{to:02}:{:02}", self.n(0, 1) * 30),
        )
    }
    fn days(&mut self) -> String {
        if self.p(0.3) {
            return "[\"daily\"]".into();
        }
        let mut d: Vec<String> = DAYS
            .iter()
            .filter(|_| self.rng.random_bool(0.6))
            .map(|d| format!("\"{d}\""))
            .collect();
        if d.is_empty() {
            d.push("\"mon\"".into());
        }
        format!("[{}]", d.join(", "))
    }
}

/// One workflow for service `svc` of `n_svc`; transfers go to later services
/// only (no transfer cycles). `revision`: may hold an unsupported activity.
fn workflow(
    g: &mut Gen,
    name: &str,
    svc: usize,
    n_svc: usize,
    whatsapp: bool,
    revision: bool,
) -> String {
    let mut kinds: Vec<&str> = vec![
        "message",
        "delay",
        "collect_information",
        "input_customer",
        "save_to_parameter",
        "check_parameter",
        "check_opening_hours",
        "availability_based_routing",
        "get_available_users",
        "distribution_priority",
        "check_task",
    ];
    if !whatsapp {
        kinds.push("web_request");
    }
    let mut pre: Vec<&str> = (0..g.n(0, 5)).map(|_| g.pick(&kinds)).collect();
    if svc + 1 < n_svc && g.p(0.3) {
        pre.push("transfer");
    }
    if revision && g.p(0.5) {
        pre.push("play_music");
    }
    let queue = !pre.contains(&"transfer") && g.p(0.93);
    let post_kinds = [
        "get_queue_position",
        "message",
        "delay",
        "check_task",
        "distribution_priority",
        "get_available_users",
    ];
    let mut post: Vec<&str> = Vec::new();
    if queue {
        post = (0..g.n(0, 4)).map(|_| g.pick(&post_kinds)).collect();
        match g.n(0, 5) {
            0 => post.push("cancel_task"),
            1 => post.push("disconnect"),
            _ => {}
        }
    } else if !pre.contains(&"transfer") {
        pre.push("disconnect"); // a pre-queue step is never the last
    }
    // (name, activity) in order. Every exit points forward, and before the
    // queue only up to it (one queue per path, none skipped into the
    // post-queue loop); one loop back through a message (time passes).
    let mut steps: Vec<(String, &str)> = vec![("accept".into(), "accept")];
    steps.extend(pre.iter().enumerate().map(|(i, k)| (format!("{k}{i}"), *k)));
    if queue {
        steps.push(("queue".into(), "queue_task"));
    }
    steps.extend(
        post.iter()
            .enumerate()
            .map(|(i, k)| (format!("q_{k}{i}"), *k)),
    );
    let q_index = steps.iter().position(|s| s.0 == "queue");
    let mut t = format!("[workflows.{name}]\nstart = \"accept\"\n");
    let loop_back = queue && g.p(0.5);
    for (i, (s, k)) in steps.iter().enumerate() {
        let k = k.to_string();
        let last = i + 1 == steps.len();
        let hi = match q_index {
            Some(q) if i < q => q,
            _ => steps.len() - 1,
        };
        let fwd = |g: &mut Gen| -> Option<String> {
            (!last).then(|| steps[g.n(i as u32 + 1, hi as u32) as usize].0.clone())
        };
        let next = if last {
            match (loop_back, q_index) {
                (true, Some(q)) if q + 1 < steps.len() && k == "message" => {
                    Some(steps[q + 1].0.clone())
                }
                _ => None,
            }
        } else {
            Some(steps[i + 1].0.clone())
        };
        let mut f = format!("do = \"{k}\"");
        match k.as_str() {
            "message" => {
                let _ = write!(f, ", text = \"hi {{n}}\", delay = \"{}s\"", g.n(1, 90));
            }
            "delay" => {
                let _ = write!(f, ", duration = {}", g.dist(1, 60));
            }
            "collect_information" | "input_customer" => {
                let _ = write!(
                    f,
                    ", parameter = \"n\", reply_delay = {}, reply_probability = {}, timeout = \"{}s\"",
                    g.dist(1, 40),
                    g.n(0, 10) as f64 / 10.0,
                    g.n(5, 120)
                );
                if let Some(to) = fwd(g) {
                    let _ = write!(f, ", timed_out = \"{to}\"");
                }
                if k == "input_customer" {
                    let (a, b) = (fwd(g), fwd(g));
                    let exit = |e: Option<String>| {
                        e.map(|e| format!(", next = \"{e}\"")).unwrap_or_default()
                    };
                    let _ = write!(
                        f,
                        ", choices = {{ a = {{ probability = 0.5{} }}, b = {{ probability = 0.3{} }} }}",
                        exit(a),
                        exit(b)
                    );
                }
            }
            "save_to_parameter" => {
                let _ = write!(f, ", parameter = \"n\", value = {}", g.n(0, 5));
            }
            "check_parameter" => {
                let to = fwd(g)
                    .map(|e| format!(", next = \"{e}\""))
                    .unwrap_or_default();
                let _ = write!(
                    f,
                    ", parameter = \"n\", rules = [{{ op = \">=\", value = {}{to} }}, {{ op = \"==\", value = \"a\"{to} }}]",
                    g.n(0, 5)
                );
                if let Some(d) = fwd(g) {
                    let _ = write!(f, ", default = \"{d}\"");
                }
            }
            "web_request" => {
                let _ = write!(
                    f,
                    ", latency = {}, failure_probability = {}",
                    g.dist(0, 3),
                    g.n(0, 5) as f64 / 10.0
                );
                if let Some(to) = fwd(g) {
                    let _ = write!(f, ", failure = \"{to}\"");
                }
            }
            "check_opening_hours" => {
                for exit in ["open", "closed", "holiday", "special1", "default"] {
                    if g.p(0.5) {
                        if let Some(to) = fwd(g) {
                            let _ = write!(f, ", {exit} = \"{to}\"");
                        }
                    }
                }
            }
            "availability_based_routing" => {
                for exit in ["available", "busy", "offline"] {
                    if g.p(0.5) {
                        if let Some(to) = fwd(g) {
                            let _ = write!(f, ", {exit} = \"{to}\"");
                        }
                    }
                }
            }
            "check_task" => {
                for exit in ["queued", "offered", "connected", "terminated"] {
                    if g.p(0.4) {
                        if let Some(to) = fwd(g) {
                            let _ = write!(f, ", {exit} = \"{to}\"");
                        }
                    }
                }
            }
            "get_available_users" | "get_queue_position" => {
                f.push_str(", parameter = \"n\"");
            }
            "distribution_priority" => {
                let _ = write!(f, ", priority = \"{}\"", g.pick(&PRIORITIES));
            }
            "transfer" => {
                let to = g.n(svc as u32 + 1, n_svc as u32 - 1);
                let _ = write!(f, ", service = \"s{to}\"");
            }
            "queue_task" => {
                if g.p(0.4) {
                    let _ = write!(f, ", priority = \"{}\"", g.pick(&PRIORITIES));
                }
                if g.p(0.3) {
                    f.push_str(", distribution = \"broadcast\"");
                }
                if g.p(0.3) {
                    let _ = write!(f, ", ring_timeout = \"{}s\"", g.n(5, 40));
                }
            }
            _ => {}
        }
        let ends = matches!(k.as_str(), "transfer" | "disconnect");
        if let (Some(n), false) = (next, ends) {
            let _ = write!(f, ", next = \"{n}\"");
        }
        let _ = writeln!(t, "steps.{s} = {{ {f} }}");
    }
    t.push('\n');
    t
}

/// A whole scenario and its side files (trace, empirical handle times).
fn scenario(seed: u64) -> (String, Vec<(&'static str, String)>) {
    let mut g = Gen {
        rng: ChaCha8Rng::seed_from_u64(seed),
    };
    let g = &mut g;
    let hours = g.n(2, 30);
    let mut t = format!(
        "[simulation]\nduration = \"{hours}h\"\nwarmup = \"{}m\"\nseed = {seed}\nreplications = {}\ninterval = \"{}m\"\nstart = \"2026-12-{:02}T{:02}:00:00\"\n\n[tenant]\nmodalities = [\"im\"]\n\n",
        g.n(0, 1) * 30,
        g.n(1, 2),
        [15, 30, 60][g.n(0, 2) as usize],
        g.n(20, 26),
        g.n(0, 23)
    );
    let (from, to) = g.hours();
    let _ = write!(
        t,
        "[calendars.office]\nopen = [{{ days = {}, from = \"{from}\", to = \"{to}\" }}]\nholidays = [{{ date = \"2026-12-25\" }}, {{ from = \"2026-12-23T12:00\", to = \"2026-12-23T15:00\" }}]\nspecial = [{{ kind = 1, from = \"2026-12-22T09:00\", to = \"2026-12-22T11:00\" }}]\n\n[calendars.backup]\nopen = [{{ days = [\"daily\"], from = \"06:00\", to = \"22:00\" }}]\n\n",
        g.days()
    );
    let n_svc = g.n(1, 3) as usize;
    let mut whatsapp = Vec::new();
    let mut workflows = String::new();
    for s in 0..n_svc {
        let wa = g.p(0.3);
        whatsapp.push(wa);
        let channels = if wa {
            "[\"interact\", \"whatsapp\"]"
        } else {
            "[\"interact\"]"
        };
        let _ = write!(
            t,
            "[[services]]\nid = \"s{s}\"\nlicense = \"contact_center\"\naddons = [\"interact\"]\nchannels = {channels}\nworkflow = \"w{s}\"\nsla = \"{}s\"\nacw = \"{}s\"\ndefault_priority = \"{}\"\nallow_busy_away = {}\nring_timeout = \"{}s\"\npersistent_rona = {}\nrona_reset = \"{}s\"\n",
            g.n(5, 60),
            g.n(0, 1) * g.n(0, 60),
            g.pick(&PRIORITIES),
            g.p(0.3),
            g.n(5, 40),
            g.p(0.4),
            g.n(10, 300),
        );
        if g.p(0.6) {
            t.push_str("calendar = \"office\"\n");
            if g.p(0.4) {
                t.push_str("secondary_calendar = \"backup\"\n");
            }
        }
        if g.p(0.3) {
            t.push_str("distribution_order = \"most_qualified\"\n");
        }
        if g.p(0.35) {
            let _ = writeln!(
                t,
                "policy = [{{ from = \"0s\", skills = {{ lang = {} }} }}, {{ from = \"{}s\", skills = {{ lang = 1 }} }}]",
                g.n(2, 5),
                g.n(5, 60)
            );
        }
        if g.p(0.2) {
            t.push_str("priority_weights = [10, 8, 6, 4, 3, 2, 1]\n");
        }
        t.push('\n');
        workflows.push_str(&workflow(g, &format!("w{s}"), s, n_svc, wa, false));
    }
    // Revisions: later workflows for some services.
    for (s, &wa) in whatsapp.iter().enumerate() {
        if g.p(0.3) {
            let name = format!("r{s}");
            workflows.push_str(&workflow(g, &name, s, n_svc, wa, true));
            let _ = write!(
                t,
                "[[revisions]]\nat = \"{}m\"\nservice = \"s{s}\"\nworkflow = \"{name}\"\n\n",
                g.n(10, hours * 60)
            );
        }
    }
    let n_groups = g.n(1, 5);
    let mut names = Vec::new();
    for u in 0..n_groups {
        let count = if g.p(0.4) { g.n(2, 4) } else { 1 };
        let mut svcs: Vec<String> = Vec::new();
        for s in 0..n_svc {
            if g.p(0.6) {
                svcs.push(if g.p(0.1) {
                    format!("{{ id = \"s{s}\", active = false }}")
                } else {
                    format!("\"s{s}\"")
                });
            }
        }
        // Every service keeps an active IM member.
        if u == 0 {
            svcs = (0..n_svc).map(|s| format!("\"s{s}\"")).collect();
        }
        let cap = if g.p(0.1) {
            "\"unlimited\"".to_string()
        } else {
            g.n(1, 3).to_string()
        };
        let _ = write!(
            t,
            "[[users]]\nid = \"u{u}\"\n{}services = [{}]\nlicenses = [\"im\", \"interact\"]\nim_capacity = {cap}\naccept_delay = {}\ndecline_probability = {}\nno_answer_probability = {}\n",
            // An explicit `count = 1` names the user `ID-1`.
            if count > 1 { format!("count = {count}\n") } else { String::new() },
            svcs.join(", "),
            g.dist(0, 15),
            g.n(0, 3) as f64 / 10.0,
            g.n(0, 3) as f64 / 10.0,
        );
        if g.p(0.5) {
            let _ = writeln!(t, "skills = {{ lang = {} }}", g.n(1, 6));
        }
        if g.p(0.3) {
            t.push_str("concurrency_stretch = [1.0, 1.3, 1.6]\n");
        }
        if g.p(0.4) && u > 0 {
            let (from, to) = g.hours();
            let _ = writeln!(
                t,
                "shifts = [{{ days = {}, from = \"{from}\", to = \"{to}\" }}]",
                g.days()
            );
        }
        if g.p(0.3) {
            let (from, _) = g.hours();
            let _ = writeln!(
                t,
                "breaks = [{{ days = [\"daily\"], from = \"{from}\", to = \"{}\" }}]\nbreak_presence = \"{}\"",
                from.replace(":00", ":20"),
                g.pick(&["away", "busy", "dnd"])
            );
        }
        if g.p(0.3) {
            let _ = writeln!(
                t,
                "presence_changes = [{{ presence = \"{}\", every = {}, duration = {} }}]",
                g.pick(&["busy", "away", "dnd", "offline"]),
                g.dist(300, 3600),
                g.dist(30, 900)
            );
        }
        if g.p(0.3) {
            let _ = writeln!(
                t,
                "calls = {{ rate = \"{}/h\", duration = {} }}",
                g.n(1, 4),
                g.dist(60, 600)
            );
        }
        t.push('\n');
        if count == 1 {
            names.push(format!("u{u}"));
        } else {
            names.extend((1..=count).map(|i| format!("u{u}-{i}")));
        }
    }
    let mut files = Vec::new();
    let n_src = g.n(1, 4);
    for k in 0..n_src {
        let s = g.n(0, n_svc as u32 - 1) as usize;
        let channel = if whatsapp[s] && g.p(0.4) {
            "whatsapp"
        } else {
            "interact"
        };
        let _ = write!(
            t,
            "[[arrivals]]\nservice = \"s{s}\"\nchannel = \"{channel}\"\n"
        );
        let handle = if g.p(0.15) && files.iter().all(|(n, _)| *n != "handle.csv") {
            let rows: String = (0..20).map(|_| format!("{}\n", g.n(20, 900))).collect();
            files.push(("handle.csv", format!("handle_s\n{rows}")));
            "{ dist = \"empirical\", file = \"handle.csv\", column = \"handle_s\" }".to_string()
        } else {
            g.dist(30, 900)
        };
        match g.n(0, 5) {
            0 if k == 0 => {
                // A trace: sorted times inside the measured window.
                let warm_s = 0;
                let mut times: Vec<u32> = (0..g.n(5, 60))
                    .map(|_| g.n(warm_s, hours * 3600 - 1))
                    .collect();
                times.sort_unstable();
                let mut csv = String::from("time,handle_time,patience,priority\n");
                for tm in times {
                    let _ = writeln!(
                        csv,
                        "{tm},{},{},{}",
                        g.n(10, 900),
                        g.n(10, 1800),
                        g.pick(&PRIORITIES)
                    );
                }
                files.push(("trace.csv", csv));
                t.push_str("trace = \"trace.csv\"\n");
            }
            1 => {
                let rates: Vec<String> = (0..24).map(|_| format!("\"{}/h\"", g.n(0, 40))).collect();
                let _ = writeln!(
                    t,
                    "profile = {{ interval = \"1h\", rates = [{}] }}\nscale = {}",
                    rates.join(", "),
                    g.n(5, 15) as f64 / 10.0
                );
            }
            _ => {
                let _ = writeln!(t, "rate = \"{}/h\"", g.n(2, 60));
            }
        }
        let _ = writeln!(t, "handle_time = {handle}");
        if g.p(0.6) {
            let _ = writeln!(t, "patience = {}", g.dist(30, 1800));
        }
        if g.p(0.4) {
            let _ = writeln!(t, "priority = \"{}\"", g.pick(&PRIORITIES));
        }
        if g.p(0.2) {
            let _ = writeln!(
                t,
                "preferred_users = [\"{}\"]",
                names.choose(&mut g.rng).unwrap()
            );
        }
        t.push('\n');
    }
    t.push_str(&workflows);
    (t, files)
}

/// A CSV file as rows of named fields.
fn read_csv(path: &Path) -> Vec<HashMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let h: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            h.iter()
                .cloned()
                .zip(rec.iter().map(str::to_string))
                .collect()
        })
        .collect()
}

fn num(s: &str) -> Option<f64> {
    (!s.is_empty()).then(|| s.parse().unwrap())
}

/// Everything checked of one finished run; Err says what broke.
fn check(dir: &Path, scn: &routesim::model::Scenario) -> Result<(), String> {
    let sessions = read_csv(&dir.join("sessions.csv"));
    let reps = read_csv(&dir.join("replications.csv"));
    // One final outcome per task: transfers add rows with the same task_id.
    let mut finals: HashMap<(String, String), u32> = HashMap::new();
    for s in &sessions {
        let e = finals
            .entry((s["replication"].clone(), s["task_id"].clone()))
            .or_default();
        if s["outcome"] != "TransferredByWorkflow" {
            *e += 1;
        }
        let t = |k: &str| num(&s[k]);
        let arrived = t("arrived_s").ok_or("no arrived_s")?;
        let ended = t("ended_s").ok_or("no ended_s")?;
        let mut last = arrived;
        for k in ["queued_s", "accepted_s"] {
            if let Some(v) = t(k) {
                if v < last {
                    return Err(format!("{k} {v} before {last}: {s:?}"));
                }
                last = v;
            }
        }
        if ended < last {
            return Err(format!("ended {ended} before {last}: {s:?}"));
        }
        if (s["outcome"] == "UserAccepted") != t("accepted_s").is_some() {
            return Err(format!("accepted_s vs outcome: {s:?}"));
        }
    }
    if let Some((task, n)) = finals.iter().find(|(_, n)| **n != 1) {
        return Err(format!("task {task:?} has {n} final outcomes"));
    }
    // Capacity: replay accepted..ended per user (an end frees first).
    let cap: HashMap<&str, u32> = scn
        .users
        .iter()
        .map(|u| (u.name.as_str(), u.capacity))
        .collect();
    let mut chats: HashMap<(String, String), Vec<(f64, i32)>> = HashMap::new();
    for s in sessions.iter().filter(|s| !s["user"].is_empty()) {
        let v = chats
            .entry((s["replication"].clone(), s["user"].clone()))
            .or_default();
        v.push((num(&s["accepted_s"]).unwrap(), 1));
        v.push((num(&s["ended_s"]).unwrap(), -1));
    }
    for ((rep, user), mut v) in chats {
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let mut held = 0;
        for (t, d) in v {
            held += d;
            if held as u32 > cap[user.as_str()] {
                return Err(format!("rep {rep}: {user} holds {held} chats at {t} s"));
            }
        }
    }
    // Occupancy in [0, 1] wherever it is reported.
    for (file, rows) in [
        ("users.csv", read_csv(&dir.join("users.csv"))),
        ("intervals.csv", read_csv(&dir.join("intervals.csv"))),
    ] {
        for r in rows {
            for col in ["occupancy", "engaged", "slot_occupancy"] {
                let v = r.get(col).and_then(|v| num(v));
                if let Some(o) = v.filter(|o| !(0.0..=1.0).contains(o)) {
                    return Err(format!("{file}: {col} {o}: {r:?}"));
                }
            }
        }
    }
    // replications.csv counts against the sessions' outcomes.
    let outcome_of = |metric: &str| -> Option<&[&str]> {
        Some(match metric {
            "handled" => &["UserAccepted"],
            "abandoned" => &["CustomerHangupInQueue"],
            "failed" => &["Failed"],
            "cancelled" => &["Cancelled"],
            "transferred" => &["TransferredByWorkflow"],
            _ => return None,
        })
    };
    for r in &reps {
        let (rep, svc, metric) = (&r["replication"], &r["service"], r["metric"].as_str());
        let value = num(&r["value"]);
        if matches!(metric, "occupancy" | "engaged" | "slot_occupancy") {
            if let Some(o) = value.filter(|o| !(0.0..=1.0).contains(o)) {
                return Err(format!("replications.csv: {svc} occupancy {o}"));
            }
        }
        let mine = sessions
            .iter()
            .filter(|s| s["replication"] == *rep && (svc == "*" || s["service"] == *svc));
        let count = match metric {
            "offered" => mine.count(),
            "queued" => mine.filter(|s| !s["queued_s"].is_empty()).count(),
            m => match outcome_of(m) {
                Some(outs) => mine
                    .filter(|s| outs.contains(&s["outcome"].as_str()))
                    .count(),
                None => continue,
            },
        };
        if value != Some(count as f64) {
            return Err(format!(
                "replication {rep} {svc}/{metric} = {value:?}, sessions.csv has {count}"
            ));
        }
    }
    Ok(())
}

/// Writes, loads and runs scenario `seed` under the time budget.
fn soak_one(seed: u64) -> Result<(), String> {
    let tmp = tempfile::tempdir().unwrap();
    let (text, files) = scenario(seed);
    for (name, body) in &files {
        std::fs::write(tmp.path().join(name), body).unwrap();
    }
    let path = tmp.path().join("soak.toml");
    std::fs::write(&path, &text).unwrap();
    let with_text = |m: String| format!("scenario seed {seed}: {m}\n--- scenario ---\n{text}");
    let scn = routesim::scenario::load(&path, &[])
        .map_err(|e| with_text(format!("refused: {e}")))?
        .scenario;
    let out = tmp.path().join("out");
    let opts = routesim::run::RunOptions {
        out_dir: out.clone(),
        threads: Some(1),
        sessions: true,
        thresholds: Vec::new(),
        shard: None,
        sessions_zstd: false,
        progress: None,
    };
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let r = std::panic::catch_unwind(|| {
            let scn = routesim::scenario::load(&path, &[]).unwrap().scenario;
            routesim::run::run(&scn, &opts, &|| {})
        });
        let _ = tx.send(r);
    });
    match rx.recv_timeout(BUDGET) {
        Err(_) => Err(with_text(format!("no result within {BUDGET:?} (a hang)"))),
        Ok(Err(_)) => Err(with_text("panicked".into())),
        Ok(Ok(Err(e))) => Err(with_text(format!("run failed: {e}"))),
        Ok(Ok(Ok(_))) => check(&out, &scn).map_err(with_text),
    }
}

#[test]
fn random_scenarios_run_clean() {
    let n: u64 = std::env::var("SOAK_SCENARIOS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(12);
    let base: u64 = std::env::var("SOAK_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let mut failures = Vec::new();
    for seed in base..base + n {
        if let Err(e) = soak_one(seed) {
            eprintln!("{e}\n");
            failures.push(seed);
        }
    }
    eprintln!(
        "soak: {n} scenarios, {} passed, {} failed {failures:?}",
        n - failures.len() as u64,
        failures.len()
    );
    assert!(failures.is_empty(), "failed seeds: {failures:?}");
}
