//! `staff`'s report.html: the plan per interval (on the floor and scheduled
//! after shrinkage) as a step chart beside the arrivals and the analytic
//! figures, and each target metric per interval
//! with its target line.

use std::fmt::Write;

use super::staff::{percent, Staffing};
use crate::report::html::page;
use crate::report::svg::{esc, line_chart, Chart, Series};

/// A step line over categorical intervals: value i spans i-0.5 .. i+0.5.
fn steps(name: &str, vals: impl Iterator<Item = f64>) -> Series {
    let mut points = Vec::new();
    for (i, v) in vals.enumerate() {
        let x = i as f64;
        points.push((x - 0.5, v));
        points.push((x + 0.5, v));
    }
    Series {
        name: name.to_string(),
        points,
    }
}

pub fn html(s: &Staffing) -> String {
    let labels: Vec<String> = s
        .intervals
        .iter()
        .map(|i| i.label.replace('T', " "))
        .collect();
    let opt = |v: Option<u32>| v.map_or(f64::NAN, f64::from);
    let mut b = String::new();
    let _ = write!(
        b,
        "<h1>Staffing plan: {} (group <code>{}</code>)</h1>\n<p>{}</p>\n<p>Targets, judged in every interval on its chats pooled over {} replications: {}.</p>\n",
        esc(&s.scenario),
        esc(&s.group),
        esc(&s.verdict_line()),
        s.replications,
        esc(&s
            .targets
            .iter()
            .map(|t| t.expr())
            .collect::<Vec<_>>()
            .join(", "))
    );
    b.push_str("<div class=\"charts\">\n");
    let labels = &labels;
    let chart = move |title: &'static str, y_label: &'static str| Chart {
        title,
        x_label: "interval start (local time)",
        y_label,
        y_range: None,
        x_categories: Some(labels),
    };
    b.push_str(&line_chart(
        &chart("Agents per interval", "agents"),
        &[
            steps(
                "plan: on the floor (simulated)",
                s.intervals.iter().map(|i| f64::from(i.agents)),
            ),
            steps(
                &format!("scheduled ({} shrinkage)", percent(s.shrinkage)),
                s.intervals.iter().map(|i| i.scheduled_agents as f64),
            ),
            steps(
                &format!("{} one chat per agent", s.model),
                s.intervals.iter().map(|i| opt(i.erlang)),
            ),
            steps(
                &format!("{} chat-aware", s.model),
                s.intervals.iter().map(|i| opt(i.chat_aware)),
            ),
        ],
    ));
    b.push_str(&line_chart(
        &chart("Arrivals per interval", "chats per hour"),
        &[steps(
            "arrivals to the group's services",
            s.intervals.iter().map(|i| i.rate_per_s * 3600.0),
        )],
    ));
    for (c, (name, service, metric)) in s.columns.iter().enumerate() {
        let mut series = vec![steps(
            &format!("{name} with the plan"),
            s.intervals.iter().map(|i| i.achieved[c]),
        )];
        for t in s
            .targets
            .iter()
            .filter(|t| t.service == *service && t.metric == *metric)
        {
            series.push(steps(
                &format!(
                    "target {}{}",
                    t.op.symbol(),
                    crate::report::fmt::num(t.value)
                ),
                s.intervals.iter().map(|_| t.value),
            ));
        }
        let title = format!("{name} per interval");
        let c = Chart {
            title: &title,
            y_label: name,
            ..chart("", "")
        };
        b.push_str(&line_chart(&c, &series));
    }
    b.push_str("</div>\n<h2>Plan</h2>\n<table>\n<tr>");
    let table = s.table();
    for h in &table.headers {
        let _ = write!(b, "<th>{}</th>", esc(h));
    }
    b.push_str("</tr>\n");
    for row in &table.rows {
        b.push_str("<tr>");
        for v in row {
            let _ = write!(b, "<td>{}</td>", esc(v));
        }
        b.push_str("</tr>\n");
    }
    b.push_str("</table>\n");
    page(&format!("{} staffing", s.scenario), &b)
}
