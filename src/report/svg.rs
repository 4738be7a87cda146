//! A small hand-written SVG chart helper for report.html: line charts,
//! histograms and bar charts with axes, ticks, labels and a legend. Output is
//! plain text with fixed decimals, so the same data gives the same bytes;
//! non-finite values are never printed (a line breaks at them, a bar is left
//! out).

use std::fmt::Write;

const W: f64 = 640.0;
const H: f64 = 300.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const BOTTOM: f64 = 46.0;
/// Height of one row of legend entries.
const LEGEND_ROW: f64 = 14.0;
/// The y of the last legend row (the sixth), which only says how many
/// entries did not fit: the plot keeps most of the height.
const LEGEND_LAST_ROW: f64 = 28.0 + 5.0 * LEGEND_ROW;
const PALETTE: [&str; 8] = [
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
];

/// Escapes text for HTML and SVG.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// Titles and axis settings shared by all charts.
pub struct Chart<'a> {
    pub title: &'a str,
    pub x_label: &'a str,
    pub y_label: &'a str,
    /// A fixed y range (e.g. 0..1 for shares); otherwise from the data, with 0 included.
    pub y_range: Option<(f64, f64)>,
    /// Names for x = 0, 1, 2, ... (a categorical axis); otherwise numeric.
    pub x_categories: Option<&'a [String]>,
}

/// One line; a non-finite y breaks it.
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

/// "Nice" tick positions (1, 2 or 5 times a power of ten) covering lo..hi.
fn ticks(lo: f64, hi: f64, target: usize) -> (f64, f64, f64) {
    let (lo, hi) = if hi > lo {
        (lo, hi)
    } else if lo == 0.0 {
        (0.0, 1.0)
    } else {
        (lo - lo.abs() * 0.5, hi + hi.abs() * 0.5)
    };
    let raw = (hi - lo) / target as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let a = (lo / step).floor() * step;
    let b = (hi / step).ceil() * step;
    (a, b, step)
}

/// Most ticks an axis draws: with values above 2^53 a step can be below
/// their precision, and adding it would never reach the end.
const MAX_TICKS: usize = 100;

/// The ticks lo, lo + step, ... up to hi, counted rather than summed, and
/// at most [`MAX_TICKS`].
fn tick_values((lo, hi, step): (f64, f64, f64)) -> impl Iterator<Item = f64> {
    let n = ((hi - lo) / step + 1e-9).floor();
    let n = if n.is_finite() && n >= 0.0 {
        (n as usize).saturating_add(1).min(MAX_TICKS)
    } else {
        0
    };
    (0..n).map(move |i| lo + i as f64 * step)
}

/// A tick label with as many decimals as the step needs.
fn label(v: f64, step: f64) -> String {
    let d = (-step.log10().floor()).clamp(0.0, 6.0) as usize;
    let s = format!("{v:.d$}");
    if s.trim_start_matches('-')
        .chars()
        .all(|c| c == '0' || c == '.')
    {
        format!("{:.d$}", 0.0)
    } else {
        s
    }
}

/// Plot area and data ranges: maps data to pixels and draws the axes.
struct Frame {
    top: f64,
    x: (f64, f64, f64),
    y: (f64, f64, f64),
}

impl Frame {
    fn px(&self, v: f64) -> f64 {
        LEFT + (v - self.x.0) / (self.x.1 - self.x.0) * (W - LEFT - RIGHT)
    }
    fn py(&self, v: f64) -> f64 {
        H - BOTTOM - (v - self.y.0) / (self.y.1 - self.y.0) * (H - BOTTOM - self.top)
    }
}

fn finite_range(vals: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    vals.filter(|v| v.is_finite())
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((a, b)) => Some((a.min(v), b.max(v))),
        })
}

/// Opens the SVG, writes title, legend, grid, ticks and axis labels.
fn open(
    c: &Chart,
    legend: &[String],
    x_data: Option<(f64, f64)>,
    y_data: Option<(f64, f64)>,
    clock: Option<i64>,
) -> (String, Option<Frame>) {
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}" role="img" aria-label="{t}"><title>{t}</title>"#,
        t = esc(c.title)
    );
    let _ = write!(
        s,
        r#"<text x="{}" y="18" class="title" text-anchor="middle">{}</text>"#,
        W / 2.0,
        esc(c.title)
    );
    let top = if legend.len() > 1 {
        // Entries wrap onto further rows (the plot gives up the height), so
        // many or long names, as a sweep's lines have, stay readable.
        let (mut x, mut y) = (LEFT, 28.0);
        for (i, name) in legend.iter().enumerate() {
            let col = PALETTE[i % PALETTE.len()];
            let width = 28.0 + 7.0 * name.chars().count() as f64;
            if x > LEFT && x + width > W - RIGHT {
                (x, y) = (LEFT, y + LEGEND_ROW);
                if y >= LEGEND_LAST_ROW {
                    let _ = write!(
                        s,
                        r#"<text x="{LEFT}" y="{}" class="legend">… and {} more (hover a line for its name)</text>"#,
                        y + 6.0,
                        legend.len() - i
                    );
                    break;
                }
            }
            let _ = write!(
                s,
                r#"<rect x="{x:.1}" y="{y}" width="12" height="4" fill="{col}"/><text x="{:.1}" y="{}" class="legend">{}</text>"#,
                x + 16.0,
                y + 6.0,
                esc(name)
            );
            x += width;
        }
        y + 20.0
    } else {
        32.0
    };
    let (Some(xd), Some(yd)) = (x_data, y_data) else {
        let _ = write!(
            s,
            r#"<text x="{}" y="{}" class="nodata" text-anchor="middle">no data</text></svg>"#,
            W / 2.0,
            H / 2.0
        );
        return (s, None);
    };
    let (ylo, yhi) = c.y_range.unwrap_or((yd.0.min(0.0), yd.1.max(0.0)));
    let mut x = match clock {
        Some(_) => clock_ticks(xd.0, xd.1),
        None => ticks(xd.0, xd.1, 8),
    };
    if clock.is_none()
        && x.2 < 1.0
        && xd.0.fract() == 0.0
        && xd.1.fract() == 0.0
        && xd.1 - xd.0 >= 2.0
    {
        // Whole-number data (agents, counts): no half ticks.
        x = ticks(xd.0, xd.1, (xd.1 - xd.0) as usize);
    }
    let f = Frame {
        top,
        x,
        y: ticks(ylo, yhi, 5),
    };
    // Horizontal grid and y ticks.
    for v in tick_values(f.y) {
        let y = f.py(v);
        let _ = write!(
            s,
            r#"<line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" class="grid"/><text x="{:.1}" y="{:.1}" class="tick" text-anchor="end">{}</text>"#,
            W - RIGHT,
            LEFT - 6.0,
            y + 4.0,
            label(v, f.y.2)
        );
    }
    // x ticks: every category, or nice numbers.
    let base = H - BOTTOM;
    let xtick = |s: &mut String, v: f64, text: &str| {
        let x = f.px(v);
        let _ = write!(
            s,
            r#"<line x1="{x:.1}" y1="{base:.1}" x2="{x:.1}" y2="{:.1}" class="axis"/><text x="{x:.1}" y="{:.1}" class="tick" text-anchor="middle">{}</text>"#,
            base + 5.0,
            base + 18.0,
            esc(text)
        );
    };
    match c.x_categories {
        Some(cats) => {
            for (i, name) in cats.iter().enumerate() {
                xtick(&mut s, i as f64, name);
            }
        }
        None => {
            let multi_day = f.x.1 - f.x.0 > 24.0;
            for v in tick_values(f.x) {
                let text = match clock {
                    Some(day0) => clock_label(day0, v, multi_day),
                    None => label(v, f.x.2),
                };
                xtick(&mut s, v, &text);
            }
        }
    }
    let _ = write!(
        s,
        r#"<line x1="{LEFT}" y1="{base:.1}" x2="{:.1}" y2="{base:.1}" class="axis"/><line x1="{LEFT}" y1="{top:.1}" x2="{LEFT}" y2="{base:.1}" class="axis"/>"#,
        W - RIGHT
    );
    let _ = write!(
        s,
        r#"<text x="{:.1}" y="{:.1}" class="label" text-anchor="middle">{}</text><text x="14" y="{:.1}" class="label" text-anchor="middle" transform="rotate(-90 14 {:.1})">{}</text>"#,
        LEFT + (W - LEFT - RIGHT) / 2.0,
        H - 8.0,
        esc(c.x_label),
        (top + base) / 2.0,
        (top + base) / 2.0,
        esc(c.y_label)
    );
    (s, Some(f))
}

/// Ticks on clock hours (x in hours): the smallest of 15 min, 30 min, 1, 2,
/// 3, 4, 6, 12 h, 1, 2 days or a week that gives at most 8 intervals.
fn clock_ticks(lo: f64, hi: f64) -> (f64, f64, f64) {
    let hi = if hi > lo { hi } else { lo + 1.0 };
    let step = [0.25, 0.5, 1.0, 2.0, 3.0, 4.0, 6.0, 12.0, 24.0, 48.0, 168.0]
        .into_iter()
        .find(|s| (hi - lo) / s <= 8.0)
        .unwrap_or(168.0 * ((hi - lo) / 168.0 / 8.0).ceil());
    ((lo / step).floor() * step, (hi / step).ceil() * step, step)
}

/// "08:00", or "Tue 08:00" when the axis spans more than a day; `x` is hours
/// since midnight of day `day0` (days since 1970-01-01).
fn clock_label(day0: i64, x: f64, multi_day: bool) -> String {
    let mins = (x * 60.0).round() as i64;
    let day = day0 + mins.div_euclid(1440);
    let (h, m) = (mins.rem_euclid(1440) / 60, mins.rem_euclid(60));
    if multi_day {
        const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
        let wd = crate::model::civil::weekday(day) as usize;
        format!("{} {h:02}:{m:02}", DAYS[wd])
    } else {
        format!("{h:02}:{m:02}")
    }
}

/// Pads a categorical x range by half a slot on each side.
fn x_extent(c: &Chart, data: Option<(f64, f64)>) -> Option<(f64, f64)> {
    match c.x_categories {
        Some(cats) if !cats.is_empty() => Some((-0.5, cats.len() as f64 - 0.5)),
        Some(_) => None,
        None => data,
    }
}

/// A line chart; points are marked when there are few of them.
pub fn line_chart(c: &Chart, series: &[Series]) -> String {
    lines(c, series, None)
}

/// A line chart over local clock time: x is hours since midnight of day
/// `day0` (days since 1970-01-01); ticks read "08:00" (or "Tue 08:00").
pub fn clock_chart(c: &Chart, series: &[Series], day0: i64) -> String {
    lines(c, series, Some(day0))
}

fn lines(c: &Chart, series: &[Series], clock: Option<i64>) -> String {
    let all = || series.iter().flat_map(|s| s.points.iter());
    let xd = finite_range(all().filter(|p| p.1.is_finite()).map(|p| p.0));
    let yd = finite_range(all().map(|p| p.1));
    let names: Vec<String> = series.iter().map(|s| s.name.clone()).collect();
    let (mut s, frame) = open(c, &names, x_extent(c, xd), yd, clock);
    let Some(f) = frame else { return s };
    for (i, ser) in series.iter().enumerate() {
        let col = PALETTE[i % PALETTE.len()];
        let mut d = String::new();
        let mut pen_down = false;
        for &(x, y) in &ser.points {
            if !(x.is_finite() && y.is_finite()) {
                pen_down = false;
                continue;
            }
            let _ = write!(
                d,
                "{}{:.1} {:.1} ",
                if pen_down { "L" } else { "M" },
                f.px(x),
                f.py(y)
            );
            pen_down = true;
        }
        let _ = write!(
            s,
            r#"<path d="{}" fill="none" stroke="{col}" stroke-width="2"><title>{}</title></path>"#,
            d.trim_end(),
            esc(&ser.name)
        );
        if ser.points.len() <= 60 {
            for &(x, y) in ser
                .points
                .iter()
                .filter(|p| p.0.is_finite() && p.1.is_finite())
            {
                let _ = write!(
                    s,
                    r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{col}"/>"#,
                    f.px(x),
                    f.py(y)
                );
            }
        }
    }
    s.push_str("</svg>");
    s
}

/// A histogram over `edges` (n + 1 ascending bin edges) with `counts` (n).
pub fn histogram(c: &Chart, edges: &[f64], counts: &[f64]) -> String {
    let n = counts.len().min(edges.len().saturating_sub(1));
    let xd = (n > 0).then(|| (edges[0], edges[n]));
    let yd = finite_range(counts[..n].iter().copied());
    let (mut s, frame) = open(c, &[], xd, yd, None);
    let Some(f) = frame else { return s };
    for k in 0..n {
        if !counts[k].is_finite() {
            continue;
        }
        let (x0, x1) = (f.px(edges[k]), f.px(edges[k + 1]));
        let (y0, y1) = (f.py(counts[k]), f.py(0.0));
        let _ = write!(
            s,
            r#"<rect x="{x0:.1}" y="{y0:.1}" width="{:.1}" height="{:.1}" class="bar"><title>{}–{}: {}</title></rect>"#,
            (x1 - x0 - 1.0).max(0.5),
            (y1 - y0).max(0.0),
            label(edges[k], f.x.2 / 10.0),
            label(edges[k + 1], f.x.2 / 10.0),
            label(counts[k], 1.0)
        );
    }
    s.push_str("</svg>");
    s
}

/// A bar chart of named values, each labelled with `fmt` of its value.
pub fn bar_chart(c: &Chart, bars: &[(String, f64)], fmt: &dyn Fn(f64) -> String) -> String {
    let names: Vec<String> = bars.iter().map(|b| b.0.clone()).collect();
    let chart = Chart {
        x_categories: Some(&names),
        ..*c
    };
    let yd = finite_range(bars.iter().map(|b| b.1));
    let (mut s, frame) = open(&chart, &[], x_extent(&chart, None), yd, None);
    let Some(f) = frame else { return s };
    let slot = f.px(1.0) - f.px(0.0);
    for (i, (name, v)) in bars.iter().enumerate() {
        if !v.is_finite() {
            continue;
        }
        // Few bars would be absurdly wide: cap them.
        let width = (slot * 0.7).min(90.0);
        let x = f.px(i as f64) - width / 2.0;
        // A fixed range (shares) also bounds the bar; the label tells the value.
        let (lo, hi) = c.y_range.unwrap_or((f64::MIN, f64::MAX));
        let (top, bottom) = (f.py(v.max(0.0).min(hi)), f.py(v.min(0.0).max(lo)));
        let _ = write!(
            s,
            r#"<rect x="{x:.1}" y="{top:.1}" width="{:.1}" height="{:.1}" class="bar"><title>{}: {}</title></rect><text x="{:.1}" y="{:.1}" class="value" text-anchor="middle">{}</text>"#,
            width,
            (bottom - top).max(0.0),
            esc(name),
            fmt(*v),
            f.px(i as f64),
            top - 4.0,
            fmt(*v)
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart<'a>() -> Chart<'a> {
        Chart {
            title: "t <&>",
            x_label: "x",
            y_label: "y",
            y_range: None,
            x_categories: None,
        }
    }

    #[test]
    fn nice_ticks() {
        assert_eq!(ticks(0.0, 0.93, 5), (0.0, 1.0, 0.2));
        assert_eq!(ticks(3.0, 47.0, 5), (0.0, 50.0, 10.0));
        assert_eq!(ticks(0.0, 0.0, 5), (0.0, 1.0, 0.2));
        let v: Vec<f64> = tick_values(ticks(3.0, 47.0, 5)).collect();
        assert_eq!(v, [0.0, 10.0, 20.0, 30.0, 40.0, 50.0]);
        // Integers above 2^53: a step of 1 cannot advance by addition; the
        // ticks are counted, and bounded.
        let big = 9007199254740993.0;
        assert!(tick_values(ticks(big, big + 2.0, 2)).count() <= 4);
        assert!(tick_values(ticks(0.0, 1e18, 1_000_000_000_000_000_000)).count() <= MAX_TICKS);
        assert_eq!(label(0.30000000000000004, 0.1), "0.3");
        assert_eq!(label(-0.0, 0.5), "0.0");
    }

    #[test]
    fn lines_break_at_gaps_and_never_print_nan() {
        let s = line_chart(
            &chart(),
            &[
                Series {
                    name: "a".into(),
                    points: vec![(0.0, 1.0), (1.0, f64::NAN), (2.0, 3.0), (3.0, 2.0)],
                },
                Series {
                    name: "b".into(),
                    points: vec![(0.0, f64::INFINITY)],
                },
            ],
        );
        assert!(s.starts_with("<svg") && s.ends_with("</svg>"));
        assert!(s.contains("t &lt;&amp;&gt;"));
        // Two pen-down moves for series a: the gap splits the line.
        let path = s.split("<path d=\"").nth(1).unwrap();
        let d = &path[..path.find('"').unwrap()];
        assert_eq!(d.matches('M').count(), 2, "{d}");
        assert!(!s.contains("NaN") && !s.contains("inf"));
        assert!(s.contains(">b</text>"), "legend names the second series");
    }

    #[test]
    fn long_legends_wrap_and_stop_at_the_last_row() {
        let series = |n: usize| -> Vec<Series> {
            (0..n)
                .map(|i| Series {
                    name: format!("services.support.acw={i}s, arrivals.0.rate=600/h"),
                    points: vec![(0.0, i as f64), (1.0, 1.0)],
                })
                .collect()
        };
        // One entry (~330 px) per row of the 560 px legend.
        let s = line_chart(&chart(), &series(3));
        for y in ["28", "42", "56"] {
            assert!(s.contains(&format!("y=\"{y}\" width=\"12\"")), "row at {y}");
        }
        assert!(!s.contains("more"));
        // Rows 1 to 5 hold entries, the sixth says how many are left out.
        let s = line_chart(&chart(), &series(9));
        assert_eq!(s.matches("width=\"12\" height=\"4\"").count(), 5);
        assert!(s.contains("… and 4 more (hover a line for its name)"));
        assert_eq!(s.matches("<path").count(), 9, "every line is drawn");
    }

    #[test]
    fn empty_data_says_so() {
        let s = line_chart(&chart(), &[]);
        assert!(s.contains("no data"));
        let s = bar_chart(&chart(), &[("x".into(), f64::NAN)], &|v| v.to_string());
        assert!(s.contains("no data"));
        let s = histogram(&chart(), &[0.0, 1.0, 2.0], &[3.0, 1.0]);
        assert_eq!(s.matches("class=\"bar\"").count(), 2);
    }
}
