//! `[calendars.NAME]`: weekly opening hours, holidays and special periods.

use std::collections::BTreeMap;

use super::{check_id, Ctx};
use crate::model::calendar::Calendar;
use crate::model::civil::{parse_civil, parse_clock, parse_weekday, DAY};
use crate::model::weekly::{Period, WeeklyWindows};
use crate::scenario::raw::{RawCalendar, RawPeriod, RawWindow};

/// Adds `{ days, from, to }` windows to `into`.
pub fn weekly(cx: &mut Ctx, loc: &str, windows: &[RawWindow], into: &mut WeeklyWindows) {
    for (i, w) in windows.iter().enumerate() {
        let wl = format!("{loc}.{i}");
        let from = parse_clock(&w.from)
            .map_err(|m| cx.problem(format!("{wl}.from"), m))
            .ok();
        let to = parse_clock(&w.to)
            .map_err(|m| cx.problem(format!("{wl}.to"), m))
            .ok();
        if w.days.is_empty() {
            cx.problem(
                format!("{wl}.days"),
                "list at least one weekday, e.g. days = [\"mon\", \"tue\"]",
            );
        }
        for d in &w.days {
            let day = if d == "daily" || d == "all" {
                None
            } else {
                match parse_weekday(d) {
                    Ok(x) => Some(x),
                    Err(m) => {
                        cx.problem(format!("{wl}.days"), m);
                        continue;
                    }
                }
            };
            if let (Some(f), Some(t)) = (from, to) {
                if f == t {
                    cx.problem(&wl, "`from` and `to` are equal: the window is empty");
                    continue;
                }
                match day {
                    Some(x) => into.add(x, f, t),
                    None => (0..7).for_each(|x| into.add(x, f, t)),
                }
            }
        }
    }
}

pub fn period(cx: &mut Ctx, loc: &str, p: &RawPeriod) -> Option<Period> {
    let parse = |cx: &mut Ctx, key: &str, s: &str| {
        parse_civil(s)
            .map_err(|m| cx.problem(format!("{loc}.{key}"), m))
            .ok()
    };
    match (&p.date, &p.from, &p.to) {
        (Some(d), None, None) => {
            let c = parse(cx, "date", d)?;
            let from = c.micros();
            Some(Period {
                from,
                to: from + DAY as i128,
            })
        }
        (None, Some(f), Some(t)) => {
            let (f, t) = (parse(cx, "from", f)?, parse(cx, "to", t)?);
            if t.micros() <= f.micros() {
                cx.problem(loc, "`to` must be later than `from`");
                return None;
            }
            Some(Period {
                from: f.micros(),
                to: t.micros(),
            })
        }
        _ => {
            cx.problem(
                loc,
                "a period is { date = \"2026-12-25\" } or { from = \"2026-12-31T12:00\", to = \"2027-01-01T00:00\" }",
            );
            None
        }
    }
}

pub fn build_calendars(cx: &mut Ctx, raw: &BTreeMap<String, RawCalendar>) -> Vec<Calendar> {
    raw.iter()
        .map(|(name, c)| {
            let loc = format!("calendars.{name}");
            check_id(cx, &loc, name);
            let mut cal = Calendar {
                name: name.clone(),
                ..Default::default()
            };
            weekly(cx, &format!("{loc}.open"), &c.open, &mut cal.open);
            for (i, h) in c.holidays.iter().enumerate() {
                let l = format!("{loc}.holidays.{i}");
                if h.kind.is_some() {
                    cx.problem(&l, "`kind` belongs to special periods only");
                }
                cal.holidays.extend(period(cx, &l, h));
            }
            for (i, sp) in c.special.iter().enumerate() {
                let l = format!("{loc}.special.{i}");
                let kind = match sp.kind {
                    Some(k @ 1..=4) => k as u8,
                    _ => {
                        cx.problem(
                            format!("{l}.kind"),
                            "special periods need kind = 1, 2, 3 or 4 (Special1 .. Special4)",
                        );
                        1
                    }
                };
                if let Some(p) = period(cx, &l, sp) {
                    cal.specials.push((kind, p));
                }
            }
            cal
        })
        .collect()
}
