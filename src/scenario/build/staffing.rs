//! `[[users]] staffing = "staffing.csv"`: a staffing plan (as `staff` writes
//! it) read as the group's agents per interval.

use std::path::Path;

use crate::model::civil::{parse_civil, Clock};
use crate::model::duty::Plan;

/// Reads a plan: a CSV with a `start` column (local clock time, e.g.
/// `2026-11-24T08:00`) and an `agents` column (whole agents), rows in time
/// order. Rows before the simulation start collapse onto time 0 (the last
/// of them holds there).
pub fn read_plan(path: &Path, clock: &Clock) -> Result<Plan, String> {
    let shown = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| format!("staffing plan {shown}: {e}"))?;
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = rdr
        .headers()
        .map_err(|e| format!("staffing plan {shown}: {e}"))?
        .clone();
    let col = |name: &str| {
        headers.iter().position(|h| h == name).ok_or_else(|| {
            format!("staffing plan {shown}: no `{name}` column in the header (expected start,agents as `routesim staff` writes them)")
        })
    };
    let (c_start, c_agents) = (col("start")?, col("agents")?);
    let mut plan = Plan {
        starts: Vec::new(),
        counts: Vec::new(),
    };
    let mut last: Option<i128> = None;
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let err = |m: String| format!("staffing plan {shown}, line {line}: {m}");
        let rec = rec.map_err(|e| err(e.to_string()))?;
        let start = rec.get(c_start).unwrap_or_default();
        let civil = parse_civil(start).map_err(|m| err(format!("start {m}")))?;
        let at = clock.sim_time(civil).unwrap_or(0);
        let agents = rec.get(c_agents).unwrap_or_default();
        let n: u32 = agents
            .parse()
            .ok()
            .filter(|&n| n <= 1_000_000)
            .ok_or_else(|| {
                err(format!(
                    "agents \"{agents}\" is not a whole number of agents (0 to 1000000)"
                ))
            })?;
        // Order is checked on the clock times (several may fall before the start).
        if last.is_some_and(|prev| civil.micros() <= prev) {
            return Err(err(format!(
                "start \"{start}\" is not after the previous row's; rows must be in time order"
            )));
        }
        last = Some(civil.micros());
        if plan.starts.last() == Some(&0) && at == 0 {
            *plan.counts.last_mut().expect("a row") = n;
            continue;
        }
        plan.starts.push(at);
        plan.counts.push(n);
    }
    if plan.starts.is_empty() {
        return Err(format!("staffing plan {shown}: no rows"));
    }
    Ok(plan)
}
