//! `[[services]]`: license, channels and add-ons (preconditions 2 and 4),
//! distribution settings.

use std::collections::HashMap;

use super::{check_id, names, Ctx};
use crate::model::time::{format_duration, Time, MICROS_PER_SEC};
use crate::model::*;
use crate::scenario::raw::RawScenario;

/// Default weights of Highest .. Lowest: 2:1 between adjacent levels (ASSUMPTION).
pub const DEFAULT_WEIGHTS: [u32; 7] = [64, 32, 16, 8, 4, 2, 1];

/// Pause before a refused task is offered again to the users who refused it
/// (ASSUMPTION: Nimbus redistributes "after a short pause").
pub const DEFAULT_REDISTRIBUTION_PAUSE: Time = 5 * MICROS_PER_SEC;

pub fn build_services(
    cx: &mut Ctx,
    raw: &RawScenario,
    wf_index: &HashMap<&str, WorkflowId>,
    cal_index: &HashMap<&str, u32>,
    skill_index: &HashMap<String, u32>,
) -> Vec<Service> {
    let mut seen: HashMap<&str, ()> = HashMap::new();
    let mut services = Vec::new();
    if raw.services.is_empty() {
        cx.problem("services", "no service defined: add a [[services]] table");
    }
    for s in &raw.services {
        let loc = format!("services.{}", s.id);
        check_id(cx, &format!("{loc}.id"), &s.id);
        if seen.insert(s.id.as_str(), ()).is_some() {
            cx.problem(&loc, format!("duplicate service id `{}`", s.id));
        }
        let license = License::parse(&s.license).unwrap_or_else(|m| {
            cx.problem(format!("{loc}.license"), m);
            License::ContactCenter
        });
        let mut channels = Vec::new();
        for c in &s.channels {
            match Channel::parse(c) {
                Ok(ch) => channels.push(ch),
                Err(m) => cx.problem(format!("{loc}.channels"), m),
            }
        }
        for a in &s.addons {
            if a != "interact" {
                cx.problem(
                    format!("{loc}.addons"),
                    format!("unknown add-on \"{a}\"; expected \"interact\""),
                );
            }
        }
        if !channels.is_empty() && license != License::ContactCenter {
            cx.problem(
                format!("{loc}.license"),
                format!(
                    "service `{}` serves IM channels but holds the `{}` license; IM needs `contact_center`",
                    s.id, s.license
                ),
            );
        }
        if channels.contains(&Channel::Interact) && !s.addons.iter().any(|a| a == "interact") {
            cx.problem(
                format!("{loc}.addons"),
                format!(
                    "service `{}` serves channel `interact` but lacks the `interact` add-on (addons = [\"interact\"])",
                    s.id
                ),
            );
        }
        if channels.contains(&Channel::WhatsApp) {
            let region = s.whatsapp_region.as_deref().unwrap_or("us");
            if region != "us" {
                cx.problem(
                    format!("{loc}.whatsapp_region"),
                    format!(
                        "WhatsApp through Twilio works only in region \"us\", not \"{region}\""
                    ),
                );
            }
        }
        let workflow = wf_index
            .get(s.workflow.as_str())
            .copied()
            .unwrap_or_else(|| {
                cx.problem(
                    format!("{loc}.workflow"),
                    format!(
                        "unknown workflow `{}`; defined: {}",
                        s.workflow,
                        names(raw.workflows.keys().map(String::as_str))
                    ),
                );
                0
            });
        let default_priority = match &s.default_priority {
            None => Priority::Normal,
            Some(p) => Priority::parse(p).unwrap_or_else(|m| {
                cx.problem(format!("{loc}.default_priority"), m);
                Priority::Normal
            }),
        };
        let order = match s.distribution_order.as_deref() {
            None | Some("longest_idle") => DistributionOrder::LongestIdle,
            Some("most_qualified") => DistributionOrder::MostQualified,
            Some(o) => {
                cx.problem(
                    format!("{loc}.distribution_order"),
                    format!(
                        "unknown order \"{o}\"; expected \"longest_idle\" or \"most_qualified\""
                    ),
                );
                DistributionOrder::LongestIdle
            }
        };
        let mut policy = Vec::new();
        for (i, l) in s.policy.iter().enumerate() {
            let mut requires = Vec::new();
            for (skill, level) in &l.skills {
                if !(1..=100).contains(level) {
                    cx.problem(
                        format!("{loc}.policy.{i}.skills.{skill}"),
                        format!("skill level must be between 1 and 100, got {level}"),
                    );
                }
                requires.push((skill_index[skill], (*level).clamp(0, 100) as u8));
            }
            if i == 0 && l.from.0 != 0 {
                cx.problem(
                    format!("{loc}.policy.0.from"),
                    "the first policy level must start at \"0s\"",
                );
            }
            if let Some(prev) = policy.last() {
                let prev: &PolicyLevel = prev;
                if l.from.0 <= prev.from {
                    cx.problem(
                        format!("{loc}.policy.{i}.from"),
                        "policy levels must start at increasing waiting times (e.g. 0s, 5s, 10s)",
                    );
                }
            }
            policy.push(PolicyLevel {
                from: l.from.0,
                requires,
            });
        }
        if !policy.is_empty() && license != License::ContactCenter {
            cx.problem(
                format!("{loc}.policy"),
                "a distribution policy needs the `contact_center` license",
            );
        }
        if order == DistributionOrder::MostQualified && policy.is_empty() {
            cx.warn(
                format!("{loc}.distribution_order"),
                "most_qualified ranks by the skills of the distribution policy, and this service has none: it acts as longest_idle",
            );
        }
        let ring_timeout = s.ring_timeout.map_or(30 * MICROS_PER_SEC, |d| d.0);
        if ring_timeout == 0 {
            cx.problem(
                format!("{loc}.ring_timeout"),
                "must be greater than 0s, e.g. \"30s\"",
            );
        }
        let rona_reset = s.rona_reset.map_or(600 * MICROS_PER_SEC, |d| d.0);
        if !(10 * MICROS_PER_SEC..=8 * 3600 * MICROS_PER_SEC).contains(&rona_reset) {
            cx.problem(
                format!("{loc}.rona_reset"),
                format!(
                    "must be between \"10s\" and \"8h\" (Nimbus's range), got {}",
                    format_duration(rona_reset)
                ),
            );
        }
        let redistribution_pause = s
            .redistribution_pause
            .map_or(DEFAULT_REDISTRIBUTION_PAUSE, |d| d.0);
        if !(MICROS_PER_SEC..=3600 * MICROS_PER_SEC).contains(&redistribution_pause) {
            cx.problem(
                format!("{loc}.redistribution_pause"),
                format!(
                    "must be between \"1s\" and \"1h\", got {}",
                    format_duration(redistribution_pause)
                ),
            );
        }
        let priority_weights = match &s.priority_weights {
            None => DEFAULT_WEIGHTS,
            Some(w) if w.len() == 7 && w.iter().all(|x| (1..=1_000_000).contains(x)) => {
                let mut a = [0u32; 7];
                for (i, x) in w.iter().enumerate() {
                    a[i] = *x as u32;
                }
                a
            }
            Some(_) => {
                cx.problem(
                    format!("{loc}.priority_weights"),
                    "expected 7 positive integers for Highest .. Lowest, e.g. [64, 32, 16, 8, 4, 2, 1]",
                );
                DEFAULT_WEIGHTS
            }
        };
        let mut calendar = |key: &str, name: &Option<String>| -> Option<u32> {
            let n = name.as_ref()?;
            let found = cal_index.get(n.as_str()).copied();
            if found.is_none() {
                cx.problem(
                    format!("{loc}.{key}"),
                    format!(
                        "unknown calendar `{n}`; defined: {}",
                        names(cal_index.keys().copied())
                    ),
                );
            }
            found
        };
        let primary = calendar("calendar", &s.calendar);
        let secondary = calendar("secondary_calendar", &s.secondary_calendar);
        if secondary.is_some() && primary.is_none() {
            cx.problem(
                format!("{loc}.secondary_calendar"),
                "a secondary calendar needs a primary `calendar`",
            );
        }
        services.push(Service {
            name: s.id.clone(),
            license,
            channels,
            workflow,
            sla: s.sla.map_or(20 * MICROS_PER_SEC, |d| d.0),
            acw: s.acw.map_or(0, |d| d.0),
            default_priority,
            order,
            policy,
            allow_busy_away: s.allow_busy_away.unwrap_or(false),
            ring_timeout: ring_timeout.max(1),
            persistent_rona: s.persistent_rona.unwrap_or(false),
            rona_reset,
            redistribution_pause,
            priority_weights,
            calendar: primary,
            secondary_calendar: secondary,
        });
    }
    services
}
