//! `[[users]]`: groups, memberships, licenses (precondition 3), skills,
//! capacity, behaviour and presence over time.

use std::collections::HashMap;

use super::calendars::weekly;
use super::staffing::read_plan;
use super::{check_id, names, Ctx};
use crate::model::civil::Clock;
use crate::model::duty::Plan;
use crate::model::weekly::WeeklyWindows;
use crate::model::*;
use crate::scenario::dist::Dist;
use crate::scenario::limits::MAX_USERS;
use crate::scenario::raw::{Capacity, RawScenario};
use crate::scenario::units::{check_shrinkage, shrinkage_warning};

pub fn build_users(
    cx: &mut Ctx,
    raw: &RawScenario,
    clock: &Clock,
    services: &[Service],
    svc_index: &HashMap<&str, ServiceId>,
    skill_index: &HashMap<String, u32>,
) -> Vec<User> {
    let mut users = Vec::new();
    let mut im_members = vec![0u32; services.len()];
    let mut user_names: HashMap<String, ()> = HashMap::new();
    if raw.users.is_empty() {
        cx.problem("users", "no user defined: add a [[users]] table");
    }
    // Checked before anything is expanded, so a huge count allocates nothing
    // (a group's count out of range is reported with the group below).
    let total: i64 = raw
        .users
        .iter()
        .map(|u| u.count.unwrap_or(1))
        .filter(|n| (1..=MAX_USERS as i64).contains(n))
        .sum();
    if total > MAX_USERS as i64 {
        cx.problem(
            "users",
            format!("the [[users]] groups add up to {total} users, more than the maximum of {MAX_USERS}"),
        );
        return users;
    }
    let mut group_ids: HashMap<&str, ()> = HashMap::new();
    for (g, u) in raw.users.iter().enumerate() {
        let loc = format!("users.{}", u.id);
        check_id(cx, &format!("{loc}.id"), &u.id);
        if group_ids.insert(u.id.as_str(), ()).is_some() {
            // `--set users.ID...` could only ever reach the first of them.
            cx.problem(
                &loc,
                format!(
                    "duplicate [[users]] id `{}`: each group needs its own id",
                    u.id
                ),
            );
        }
        let plan: Option<Plan> = match (&u.staffing, u.count) {
            (None, _) => None,
            (Some(f), count) => match read_plan(&cx.base.join(f), clock) {
                Ok(p) if count.is_some() => {
                    cx.warn(
                        format!("{loc}.count"),
                        format!("ignored: the staffing plan `{f}` sets the agents per interval"),
                    );
                    Some(p)
                }
                Ok(p) => Some(p),
                Err(m) => {
                    cx.problem(format!("{loc}.staffing"), m);
                    continue;
                }
            },
        };
        let count = match u.count {
            _ if plan.is_some() => plan.as_ref().map_or(1, Plan::group_size),
            None => 1,
            Some(n) if (1..=MAX_USERS as i64).contains(&n) => n as u32,
            Some(n) => {
                cx.problem(
                    format!("{loc}.count"),
                    format!("must be between 1 and {MAX_USERS}, got {n}"),
                );
                continue;
            }
        };
        let mut member_of = Vec::new();
        let mut active = Vec::new();
        for m in &u.services {
            match svc_index.get(m.id()) {
                Some(&sid) if member_of.contains(&sid) => cx.problem(
                    format!("{loc}.services"),
                    format!("service `{}` is listed twice", m.id()),
                ),
                Some(&sid) => {
                    member_of.push(sid);
                    active.push(m.active());
                }
                None => cx.problem(
                    format!("{loc}.services"),
                    format!(
                        "unknown service `{}`; defined: {}",
                        m.id(),
                        names(services.iter().map(|s| s.name.as_str()))
                    ),
                ),
            }
        }
        for l in &u.licenses {
            if !["im", "interact", "audio", "video"].contains(&l.as_str()) {
                cx.problem(
                    format!("{loc}.licenses"),
                    format!("unknown license \"{l}\"; expected \"im\", \"interact\", \"audio\" or \"video\""),
                );
            }
        }
        let has_im = u.licenses.iter().any(|l| l == "im");
        let capacity = match u.im_capacity {
            None => 2,
            Some(Capacity::Unlimited) => UNLIMITED,
            Some(Capacity::Limited(n)) if n >= 1 && n < UNLIMITED as i64 => n as u32,
            Some(Capacity::Limited(n)) => {
                cx.problem(
                    format!("{loc}.im_capacity"),
                    format!(
                        "must be between 1 and {} (or \"unlimited\"), got {n}",
                        UNLIMITED - 1
                    ),
                );
                1
            }
        };
        for (i, f) in u.concurrency_stretch.iter().enumerate() {
            if !(f.is_finite() && *f > 0.0) {
                cx.problem(
                    format!("{loc}.concurrency_stretch.{i}"),
                    format!("handle-time factors must be positive, got {f}"),
                );
            }
        }
        let mut skills = vec![0u8; skill_index.len()];
        for (name, level) in &u.skills {
            if !(1..=100).contains(level) {
                cx.problem(
                    format!("{loc}.skills.{name}"),
                    format!("skill level must be between 1 and 100, got {level}"),
                );
            }
            skills[skill_index[name] as usize] = (*level).clamp(0, 100) as u8;
        }
        let accept_delay = match &u.accept_delay {
            None => Dist::Constant(0),
            Some(spec) => cx.dist(&format!("{loc}.accept_delay"), spec),
        };
        let decline_probability =
            cx.probability(&format!("{loc}.decline_probability"), u.decline_probability);
        let no_answer_probability = cx.probability(
            &format!("{loc}.no_answer_probability"),
            u.no_answer_probability,
        );
        if decline_probability + no_answer_probability > 1.0 {
            cx.problem(
                &loc,
                "decline_probability + no_answer_probability must not exceed 1",
            );
        }
        // Only `staff` uses it (on-floor -> scheduled headcount); checked
        // here so `validate` and `run` refuse a bad value too.
        match check_shrinkage(u.shrinkage()) {
            Err(m) => cx.problem(format!("{loc}.shrinkage"), m),
            Ok(x) => {
                if let Some(w) = shrinkage_warning(x) {
                    cx.warn(format!("{loc}.shrinkage"), w);
                }
            }
        }
        let mut shifts = WeeklyWindows::default();
        weekly(cx, &format!("{loc}.shifts"), &u.shifts, &mut shifts);
        if !u.shifts.is_empty() && shifts.is_empty() {
            cx.problem(format!("{loc}.shifts"), "the shifts cover no time at all");
        }
        let mut breaks = WeeklyWindows::default();
        weekly(cx, &format!("{loc}.breaks"), &u.breaks, &mut breaks);
        // A planner's break means no chats: Off Duty unless a Teams presence
        // is asked for.
        let break_presence = match u.break_presence.as_deref() {
            None | Some("off_duty") => None,
            Some(p) => Presence::parse(p).map(Some).unwrap_or_else(|m| {
                cx.problem(
                    format!("{loc}.break_presence"),
                    format!("{m}, or off_duty (the default)"),
                );
                None
            }),
        };
        let mut presence_changes = Vec::new();
        for (i, c) in u.presence_changes.iter().enumerate() {
            let l = format!("{loc}.presence_changes.{i}");
            let presence = Presence::parse(&c.presence).unwrap_or_else(|m| {
                cx.problem(format!("{l}.presence"), m);
                Presence::Busy
            });
            let every = cx.dist(&format!("{l}.every"), &c.every);
            let duration = cx.dist(&format!("{l}.duration"), &c.duration);
            if every.is_zero() {
                cx.problem(
                    format!("{l}.every"),
                    "must not be always 0s: the presence would change endlessly",
                );
            }
            presence_changes.push(PresenceChange {
                presence,
                every,
                duration,
            });
        }
        let calls = u.calls.as_ref().map(|c| CallLoad {
            rate_per_s: c.rate.0,
            duration: cx.dist(&format!("{loc}.calls.duration"), &c.duration),
        });
        if has_im {
            for &sid in &member_of {
                im_members[sid as usize] += count;
            }
        }
        for k in 1..=count {
            let name = if count == 1 && u.count.is_none() && u.staffing.is_none() {
                u.id.clone()
            } else {
                format!("{}-{}", u.id, k)
            };
            if user_names.insert(name.clone(), ()).is_some() {
                cx.problem(&loc, format!("user name `{name}` is defined twice"));
            }
            // Without the IM license a member never gets chats.
            let (services, active) = if has_im {
                (member_of.clone(), active.clone())
            } else {
                (Vec::new(), Vec::new())
            };
            users.push(User {
                name,
                group: g as u32,
                services,
                active,
                skills: skills.clone(),
                capacity,
                stretch: u.concurrency_stretch.clone(),
                accept_delay: accept_delay.clone(),
                decline_probability,
                no_answer_probability,
                shifts: shifts.clone(),
                breaks: breaks.clone(),
                break_presence,
                presence_changes: presence_changes.clone(),
                calls: calls.clone(),
                duty: plan.as_ref().map(|p| p.spans(k)),
            });
        }
    }
    for (i, s) in services.iter().enumerate() {
        if !s.channels.is_empty() && im_members[i] == 0 {
            cx.problem(
                format!("services.{}", s.name),
                format!(
                    "no member of service `{}` has the IM modality licensed: give a user licenses = [\"im\"] and services = [\"{}\"]",
                    s.name, s.name
                ),
            );
        } else if !s.channels.is_empty() {
            // Re-offers after refusals go on until the customer or the drain
            // limit ends them: say so before a long run.
            let accepts = users.iter().any(|u| {
                u.services.contains(&(i as ServiceId))
                    && u.decline_probability + u.no_answer_probability < 1.0
            });
            if !accepts {
                cx.warn(
                    format!("services.{}", s.name),
                    format!(
                        "every member of service `{}` declines or lets ring every offer (decline_probability + no_answer_probability = 1): its queued chats are never handled",
                        s.name
                    ),
                );
            }
        }
    }
    users
}
