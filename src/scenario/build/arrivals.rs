//! `[[arrivals]]`: constant rate, daily/weekly profile, or trace replay.

use std::collections::HashMap;
use std::path::Path;

use super::{names, Ctx};
use crate::model::civil::{parse_civil, Clock, DAY, WEEK};
use crate::model::time::from_secs_f64;
use crate::model::*;
use crate::scenario::limits::MAX_RATE_PER_S;
use crate::scenario::raw::RawScenario;
use crate::scenario::units::{parse_rate_nonneg, secs_to_duration};

#[allow(clippy::too_many_arguments)]
pub fn build_arrivals(
    cx: &mut Ctx,
    raw: &RawScenario,
    services: &[Service],
    svc_index: &HashMap<&str, ServiceId>,
    users: &[User],
    clock: &Clock,
    sim: &SimSettings,
    preferred: &mut Vec<Vec<UserId>>,
) -> Vec<ArrivalSource> {
    let user_index: HashMap<&str, UserId> = users
        .iter()
        .enumerate()
        .map(|(i, u)| (u.name.as_str(), i as UserId))
        .collect();
    let mut sources = Vec::new();
    if raw.arrivals.is_empty() {
        cx.problem("arrivals", "no arrivals defined: add an [[arrivals]] table");
    }
    for (i, a) in raw.arrivals.iter().enumerate() {
        let loc = format!("arrivals.{i}");
        let channel = match Channel::parse(&a.channel) {
            Ok(c) => c,
            Err(m) => {
                cx.problem(format!("{loc}.channel"), m);
                continue;
            }
        };
        let (service, direct_user) = match (&a.service, &a.user) {
            (Some(s), None) => match svc_index.get(s.as_str()) {
                Some(&sid) => (sid, None),
                None => {
                    cx.problem(
                        format!("{loc}.service"),
                        format!(
                            "unknown service `{s}`; defined: {}",
                            names(services.iter().map(|s| s.name.as_str()))
                        ),
                    );
                    continue;
                }
            },
            (None, Some(u)) => match user_index.get(u.as_str()) {
                Some(&uid) => {
                    if !raw_user_has_interact(raw, &users[uid as usize]) {
                        cx.problem(
                            format!("{loc}.user"),
                            format!("user `{u}` is contacted directly through Interact but lacks the `interact` user license (licenses = [\"im\", \"interact\"])"),
                        );
                    }
                    if channel != Channel::Interact {
                        cx.problem(format!("{loc}.channel"), "direct contact of a user goes through Interact: channel = \"interact\"");
                    }
                    (0, Some(uid))
                }
                None => {
                    cx.problem(format!("{loc}.user"), format!("unknown user `{u}`"));
                    continue;
                }
            },
            _ => {
                cx.problem(&loc, "give exactly one of `service` (chats through a service's workflow) or `user` (direct contact through Interact)");
                continue;
            }
        };
        if direct_user.is_none() && !services[service as usize].channels.contains(&channel) {
            cx.problem(
                format!("{loc}.channel"),
                format!(
                    "service `{}` does not serve channel `{}`: add it to the service's channels",
                    a.service.as_deref().unwrap_or_default(),
                    a.channel
                ),
            );
        }
        let scale = match a.scale {
            None => 1.0,
            Some(s) if s.is_finite() && s >= 0.0 => s,
            Some(s) => {
                cx.problem(
                    format!("{loc}.scale"),
                    format!("must be a non-negative factor, got {s}"),
                );
                1.0
            }
        } * load_scale(cx, raw);
        if a.trace.is_some() && raw.simulation.load_scale.is_some_and(|f| f != 1.0) {
            cx.problem(
                "simulation.load_scale",
                format!("{loc} replays a trace as recorded; load_scale applies to `rate` and `profile` sources only (drop it or give that source a profile)"),
            );
        }
        let given = [a.rate.is_some(), a.profile.is_some(), a.trace.is_some()];
        if given.iter().filter(|g| **g).count() != 1 {
            cx.problem(
                &loc,
                "give exactly one of `rate` (e.g. \"1080/h\"), `profile` ({ interval = \"1h\", rates = [...] }) or `trace` (\"arrivals.csv\")",
            );
            continue;
        }
        let pref_names: Vec<&str> = a.preferred_users.iter().map(String::as_str).collect();
        let source_preferred = match preferred_list(&pref_names, &user_index, preferred) {
            Ok(p) => p,
            Err(m) => {
                cx.problem(format!("{loc}.preferred_users"), m);
                None
            }
        };
        let peak = a
            .rate
            .map(|r| r.0)
            .or_else(|| {
                let p = a.profile.as_ref()?;
                let rates = p.rates.iter().filter_map(|r| parse_rate_nonneg(r).ok());
                Some(rates.fold(0.0, f64::max))
            })
            .unwrap_or(0.0);
        if peak * scale > MAX_RATE_PER_S {
            cx.problem(
                format!("{loc}.scale"),
                format!(
                    "scales the rate to {:.0}/s, above the maximum of {MAX_RATE_PER_S:.0}/s",
                    peak * scale
                ),
            );
        }
        let pattern = if let Some(r) = a.rate {
            ArrivalPattern::Constant(r.0 * scale)
        } else if let Some(p) = &a.profile {
            let mut rates = Vec::new();
            for (k, r) in p.rates.iter().enumerate() {
                match parse_rate_nonneg(r) {
                    Ok(v) => rates.push(v * scale),
                    Err(m) => cx.problem(format!("{loc}.profile.rates.{k}"), m),
                }
            }
            let span = p.interval.0 * p.rates.len() as Time;
            if p.interval.0 == 0 || (span != DAY && span != WEEK) {
                cx.problem(
                    format!("{loc}.profile"),
                    format!(
                        "{} rates of {} cover {}; they must cover exactly one day (repeating daily) or one week (from Monday 00:00)",
                        p.rates.len(),
                        time::format_duration(p.interval.0),
                        time::format_duration(span)
                    ),
                );
            }
            ArrivalPattern::Profile {
                interval: p.interval.0.max(1),
                rates,
                period: span.max(1),
            }
        } else {
            let file = a.trace.as_deref().unwrap_or_default();
            match load_trace(&cx.base.join(file), clock, sim, &user_index, preferred) {
                Ok((rows, late)) => {
                    if rows.is_empty() {
                        let why = match late {
                            0 => format!("trace file {file} has no rows"),
                            n => format!("every row of trace file {file} ({n}) comes at or after the end of the run (warm-up + duration)"),
                        };
                        cx.warn(
                            format!("{loc}.trace"),
                            format!("{why}: this source sends no chats"),
                        );
                    }
                    ArrivalPattern::Trace(rows)
                }
                Err(m) => {
                    cx.problem(format!("{loc}.trace"), m);
                    continue;
                }
            }
        };
        let needs_handle = match &pattern {
            ArrivalPattern::Trace(rows) => rows.iter().any(|r| r.handle_time.is_none()),
            _ => true,
        };
        let handle_time = match &a.handle_time {
            Some(spec) => Some(cx.dist(&format!("{loc}.handle_time"), spec)),
            None if needs_handle => {
                cx.problem(
                    format!("{loc}.handle_time"),
                    "missing `handle_time`, e.g. handle_time = { dist = \"exponential\", mean = \"60s\" }",
                );
                None
            }
            None => None,
        };
        let patience = a
            .patience
            .as_ref()
            .map(|p| cx.dist(&format!("{loc}.patience"), p));
        let priority = a.priority.as_ref().and_then(|p| {
            Priority::parse(p)
                .map_err(|m| cx.problem(format!("{loc}.priority"), m))
                .ok()
        });
        sources.push(ArrivalSource {
            service,
            channel,
            pattern,
            handle_time,
            patience,
            priority,
            preferred: source_preferred,
            direct_user,
        });
    }
    sources
}

/// `simulation.load_scale`: the one factor on every rate and profile source.
/// The built pattern holds rate x `scale` x load_scale, so everything that
/// reads `ArrivalPattern` (run, staff, load) sees the same offered load.
fn load_scale(cx: &mut Ctx, raw: &RawScenario) -> f64 {
    match raw.simulation.load_scale {
        None => 1.0,
        Some(f) if f.is_finite() && f >= 0.0 => f,
        Some(f) => {
            cx.problem(
                "simulation.load_scale",
                format!("must be a non-negative factor such as 1.1, got {f}"),
            );
            1.0
        }
    }
}

/// Whether the user's `[[users]]` group holds the `interact` user license.
fn raw_user_has_interact(raw: &RawScenario, u: &User) -> bool {
    raw.users[u.group as usize]
        .licenses
        .iter()
        .any(|l| l == "interact")
}

/// Registers a ranked preferred-user list (best first); `None` when empty.
fn preferred_list(
    names: &[&str],
    user_index: &HashMap<&str, UserId>,
    preferred: &mut Vec<Vec<UserId>>,
) -> Result<Option<u32>, String> {
    if names.is_empty() {
        return Ok(None);
    }
    if names.len() > 10 {
        return Err(format!(
            "{} preferred users; Nimbus takes at most 10",
            names.len()
        ));
    }
    let ids = names
        .iter()
        .map(|n| {
            user_index
                .get(n.trim())
                .copied()
                .ok_or_else(|| format!("unknown user `{}` among the preferred users", n.trim()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    // A user named twice would be rung twice by one broadcast.
    if let Some(i) = (1..ids.len()).find(|&i| ids[..i].contains(&ids[i])) {
        return Err(format!(
            "user `{}` is named twice among the preferred users; name each at most once",
            names[i].trim()
        ));
    }
    preferred.push(ids);
    Ok(Some(preferred.len() as u32 - 1))
}

/// The trace's columns, each with the names it may go by.
const TRACE_COLUMNS: [&[&str]; 6] = [
    &["time", "at", "arrived", "arrived_s"],
    &["channel"],
    &["priority"],
    &["handle_time", "handle_time_s"],
    &["patience", "patience_s"],
    &["preferred"],
];

/// Reads a trace of arrivals: a CSV with a header. Column `time` (also `at`,
/// `arrived`, `arrived_s`) is required: seconds from the simulation start
/// (warm-up included) or a local date-time "YYYY-MM-DDTHH:MM:SS". Optional:
/// `channel`, `priority`, `handle_time` (s), `patience` (s), `preferred`
/// (user names separated by `;`, best first). Rows after the end of the
/// measured window are ignored: returns the rows kept and how many were.
fn load_trace(
    path: &Path,
    clock: &Clock,
    sim: &SimSettings,
    user_index: &HashMap<&str, UserId>,
    preferred: &mut Vec<Vec<UserId>>,
) -> Result<(Vec<TraceArrival>, usize), String> {
    let shown = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| format!("trace file {shown}: {e}"))?;
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = rdr
        .headers()
        .map_err(|e| format!("trace file {shown}: {e}"))?
        .clone();
    // A column given twice (or under two of its names) would be ambiguous.
    for (i, h) in headers.iter().enumerate() {
        let same = |n: &str| TRACE_COLUMNS.iter().find(|names| names.contains(&n));
        if let Some(j) = headers
            .iter()
            .take(i)
            .position(|p| p == h || same(p).is_some_and(|names| names.contains(&h)))
        {
            return Err(format!(
                "trace file {shown}: columns {} (`{}`) and {} (`{h}`) give the same column; keep one",
                j + 1,
                &headers[j],
                i + 1
            ));
        }
    }
    let col = |names: &[&str]| headers.iter().position(|h| names.contains(&h));
    let time_col = col(TRACE_COLUMNS[0]).ok_or_else(|| {
        format!("trace file {shown}: no `time` column in the header (expected time[,channel,priority,handle_time,patience,preferred])")
    })?;
    let (c_channel, c_priority) = (col(TRACE_COLUMNS[1]), col(TRACE_COLUMNS[2]));
    let (c_handle, c_patience) = (col(TRACE_COLUMNS[3]), col(TRACE_COLUMNS[4]));
    let c_pref = col(TRACE_COLUMNS[5]);
    let (mut rows, mut late) = (Vec::new(), 0);
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| format!("trace file {shown}, line {line}: {e}"))?;
        let err = |m: String| format!("trace file {shown}, line {line}: {m}");
        let field = |c: Option<usize>| c.and_then(|c| rec.get(c)).filter(|f| !f.is_empty());
        let t = rec.get(time_col).unwrap_or_default();
        let at = match t.parse::<f64>() {
            Ok(s) if s.is_finite() && s >= 0.0 => from_secs_f64(s),
            Ok(s) if !s.is_finite() => {
                return Err(err(format!(
                    "time \"{t}\" is not a finite number of seconds"
                )))
            }
            Ok(_) => return Err(err(format!("time \"{t}\" must not be negative"))),
            Err(_) => {
                let c = parse_civil(t).map_err(|m| err(format!("time {m}")))?;
                clock.sim_time(c).ok_or_else(|| {
                    err(format!(
                        "time \"{t}\" is before the simulation start {}",
                        sim.start
                    ))
                })?
            }
        };
        if at >= sim.measure_end() {
            late += 1;
            continue;
        }
        let secs = |c: Option<usize>, what: &str| -> Result<Option<Time>, String> {
            match field(c) {
                None => Ok(None),
                Some(f) => secs_to_duration(f)
                    .map(Some)
                    .map_err(|m| err(format!("{what} {m}"))),
            }
        };
        let pref = match field(c_pref) {
            None => None,
            Some(f) => {
                let names: Vec<&str> = f.split(';').filter(|n| !n.trim().is_empty()).collect();
                preferred_list(&names, user_index, preferred).map_err(err)?
            }
        };
        rows.push(TraceArrival {
            at,
            channel: field(c_channel)
                .map(Channel::parse)
                .transpose()
                .map_err(err)?,
            priority: field(c_priority)
                .map(Priority::parse)
                .transpose()
                .map_err(err)?,
            handle_time: secs(c_handle, "handle_time")?,
            patience: secs(c_patience, "patience")?,
            preferred: pref,
        });
    }
    // Stable: equal times keep the file's order.
    rows.sort_by_key(|r| r.at);
    Ok((rows, late))
}
