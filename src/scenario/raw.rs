//! The scenario file as written: serde structs that reject unknown keys.
//! Values keep the file's notation; `build` turns them into the model.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};

use super::dist::DistSpec;
use super::units::{parse_duration, parse_rate};
use crate::model::Time;

/// Accepts a string; any other type is refused with `.0` as the expectation.
struct StrVisitor(&'static str);

impl serde::de::Visitor<'_> for StrVisitor {
    type Value = String;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(self.0)
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_string())
    }
}

/// A duration string ("30s").
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Dur(pub Time);

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // serde's own errors (missing field) pass through; a wrong type says
        // what would be right.
        let s = d.deserialize_any(StrVisitor(
            "a duration string such as \"30s\", \"5m\" or \"1h30m\"",
        ))?;
        parse_duration(&s)
            .map(Dur)
            .map_err(serde::de::Error::custom)
    }
}

/// A rate string ("1080/h"), in arrivals per second.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate(pub f64);

impl<'de> Deserialize<'de> for Rate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = d.deserialize_any(StrVisitor("a rate string such as \"1080/h\" or \"0.3/s\""))?;
        parse_rate(&s).map(Rate).map_err(serde::de::Error::custom)
    }
}

/// IM capacity: a positive integer or "unlimited".
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Capacity {
    Limited(i64),
    Unlimited,
}

impl<'de> Deserialize<'de> for Capacity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match toml::Value::deserialize(d)? {
            toml::Value::Integer(i) => Ok(Capacity::Limited(i)),
            toml::Value::String(s) if s == "unlimited" => Ok(Capacity::Unlimited),
            _ => Err(serde::de::Error::custom(
                "expected a positive number of concurrent chats or \"unlimited\"",
            )),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    pub simulation: RawSimulation,
    #[serde(default)]
    pub tenant: RawTenant,
    #[serde(default)]
    pub services: Vec<RawService>,
    #[serde(default)]
    pub users: Vec<RawUser>,
    #[serde(default)]
    pub arrivals: Vec<RawArrival>,
    #[serde(default)]
    pub workflows: BTreeMap<String, RawWorkflow>,
    #[serde(default)]
    pub calendars: BTreeMap<String, RawCalendar>,
    #[serde(default)]
    pub revisions: Vec<RawRevision>,
    #[serde(default)]
    pub thresholds: Vec<RawThreshold>,
}

/// `[[revisions]]`: a workflow edited afterwards.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRevision {
    /// Time from the start of the measured window.
    pub at: Dur,
    pub service: String,
    pub workflow: String,
}

/// A weekly window: `{ days = ["mon", "tue"], from = "08:00", to = "16:00" }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWindow {
    pub days: Vec<String>,
    pub from: String,
    pub to: String,
}

/// A dated period: `{ date = "2026-12-25" }` (the whole day) or
/// `{ from = "2026-12-31T12:00", to = "2027-01-01T00:00" }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPeriod {
    pub date: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// Special periods only: 1..=4 (Special1 .. Special4).
    pub kind: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCalendar {
    #[serde(default)]
    pub open: Vec<RawWindow>,
    #[serde(default)]
    pub holidays: Vec<RawPeriod>,
    #[serde(default)]
    pub special: Vec<RawPeriod>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSimulation {
    pub name: Option<String>,
    pub duration: Dur,
    pub warmup: Option<Dur>,
    pub seed: Option<u64>,
    pub replications: Option<i64>,
    pub interval: Option<Dur>,
    pub start: Option<String>,
    /// Factor on every rate and profile source (on top of each source's `scale`).
    pub load_scale: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTenant {
    #[serde(default)]
    pub modalities: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawService {
    pub id: String,
    pub license: String,
    #[serde(default)]
    pub addons: Vec<String>,
    #[serde(default)]
    pub channels: Vec<String>,
    pub workflow: String,
    pub sla: Option<Dur>,
    pub acw: Option<Dur>,
    pub default_priority: Option<String>,
    pub whatsapp_region: Option<String>,
    pub distribution_order: Option<String>,
    #[serde(default)]
    pub policy: Vec<RawPolicyLevel>,
    pub allow_busy_away: Option<bool>,
    pub ring_timeout: Option<Dur>,
    pub persistent_rona: Option<bool>,
    pub rona_reset: Option<Dur>,
    pub priority_weights: Option<Vec<i64>>,
    pub calendar: Option<String>,
    pub secondary_calendar: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPolicyLevel {
    pub from: Dur,
    #[serde(default)]
    pub skills: BTreeMap<String, i64>,
}

/// A service membership: `"support"` or `{ id = "sales", active = false }`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawMembership {
    Id(String),
    Table { id: String, active: Option<bool> },
}

impl RawMembership {
    pub fn id(&self) -> &str {
        match self {
            RawMembership::Id(s) | RawMembership::Table { id: s, .. } => s,
        }
    }
    pub fn active(&self) -> bool {
        match self {
            RawMembership::Id(_) => true,
            RawMembership::Table { active, .. } => active.unwrap_or(true),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPresenceChange {
    pub presence: String,
    pub every: DistSpec,
    pub duration: DistSpec,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCalls {
    pub rate: Rate,
    pub duration: DistSpec,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProfile {
    pub interval: Dur,
    /// Rates may be "0/h" here (a quiet interval).
    pub rates: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawUser {
    pub id: String,
    pub count: Option<i64>,
    #[serde(default)]
    pub services: Vec<RawMembership>,
    #[serde(default)]
    pub licenses: Vec<String>,
    #[serde(default)]
    pub skills: BTreeMap<String, i64>,
    pub im_capacity: Option<Capacity>,
    #[serde(default)]
    pub concurrency_stretch: Vec<f64>,
    pub accept_delay: Option<DistSpec>,
    pub decline_probability: Option<f64>,
    pub no_answer_probability: Option<f64>,
    #[serde(default)]
    pub shifts: Vec<RawWindow>,
    #[serde(default)]
    pub breaks: Vec<RawWindow>,
    pub break_presence: Option<String>,
    #[serde(default)]
    pub presence_changes: Vec<RawPresenceChange>,
    pub calls: Option<RawCalls>,
    /// A staffing plan (CSV with `start` and `agents` columns) instead of `count`.
    pub staffing: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawArrival {
    /// The service whose workflow receives the chats ...
    pub service: Option<String>,
    /// ... or a user exposed through Interact (direct contact).
    pub user: Option<String>,
    pub channel: String,
    pub rate: Option<Rate>,
    pub profile: Option<RawProfile>,
    pub trace: Option<String>,
    pub scale: Option<f64>,
    pub handle_time: Option<DistSpec>,
    pub patience: Option<DistSpec>,
    pub priority: Option<String>,
    #[serde(default)]
    pub preferred_users: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWorkflow {
    pub start: String,
    #[serde(default)]
    pub steps: BTreeMap<String, RawStep>,
}

/// A workflow step: `do` names the activity; the other keys are its
/// parameters and its exits (each exit names the next step).
#[derive(Debug, Deserialize)]
pub struct RawStep {
    #[serde(rename = "do")]
    pub activity: String,
    #[serde(flatten)]
    pub params: toml::Table,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawThreshold {
    Expr(String),
    Table { expr: String },
}
