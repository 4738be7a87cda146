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

/// Reads a table as `T` and refuses anything else: serde's derived structs
/// also accept an array, so `[[simulation]]` would be read field by field.
fn table_only<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
    expecting: &'static str,
) -> Result<T, D::Error> {
    struct V<T>(&'static str, std::marker::PhantomData<T>);
    impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for V<T> {
        type Value = T;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str(self.0)
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
            T::deserialize(serde::de::value::MapAccessDeserializer::new(map))
        }
    }
    d.deserialize_map(V(expecting, std::marker::PhantomData))
}

fn simulation_table<'de, D: Deserializer<'de>>(d: D) -> Result<RawSimulation, D::Error> {
    table_only(
        d,
        "one [simulation] table (single brackets: a scenario has one simulation)",
    )
}

fn tenant_table<'de, D: Deserializer<'de>>(d: D) -> Result<RawTenant, D::Error> {
    table_only(
        d,
        "one [tenant] table (single brackets), e.g. modalities = [\"im\"]",
    )
}

#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a scenario: tables such as [simulation], [[services]], [[users]], [[arrivals]] and [workflows.ID]"
)]
pub struct RawScenario {
    #[serde(deserialize_with = "simulation_table")]
    pub simulation: RawSimulation,
    #[serde(default, deserialize_with = "tenant_table")]
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
#[serde(
    deny_unknown_fields,
    expecting = "a revision: a table such as { at = \"4h\", service = \"support\", workflow = \"new\" } in [[revisions]]"
)]
pub struct RawRevision {
    /// Time from the start of the measured window.
    pub at: Dur,
    pub service: String,
    pub workflow: String,
}

/// A weekly window: `{ days = ["mon", "tue"], from = "08:00", to = "16:00" }`.
#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a weekly window: a table such as { days = [\"mon\", \"tue\"], from = \"08:00\", to = \"16:00\" }"
)]
pub struct RawWindow {
    pub days: Vec<String>,
    pub from: String,
    pub to: String,
}

/// A dated period: `{ date = "2026-12-25" }` (the whole day) or
/// `{ from = "2026-12-31T12:00", to = "2027-01-01T00:00" }`.
#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a dated period: a table such as { date = \"2026-12-25\" } or { from = \"2026-12-31T12:00\", to = \"2027-01-01T00:00\" }"
)]
pub struct RawPeriod {
    pub date: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// Special periods only: 1..=4 (Special1 .. Special4).
    pub kind: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a calendar: a table [calendars.NAME] with `open`, `holidays` and `special`"
)]
pub struct RawCalendar {
    #[serde(default)]
    pub open: Vec<RawWindow>,
    #[serde(default)]
    pub holidays: Vec<RawPeriod>,
    #[serde(default)]
    pub special: Vec<RawPeriod>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "the [simulation] table")]
pub struct RawSimulation {
    pub name: Option<String>,
    pub duration: Dur,
    pub warmup: Option<Dur>,
    pub seed: Option<u64>,
    pub replications: Option<i64>,
    pub interval: Option<Dur>,
    pub start: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "the [tenant] table, e.g. modalities = [\"im\"]"
)]
pub struct RawTenant {
    #[serde(default)]
    pub modalities: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a service: a [[services]] table with id, license, channels and workflow"
)]
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
    pub redistribution_pause: Option<Dur>,
    pub priority_weights: Option<Vec<i64>>,
    pub calendar: Option<String>,
    pub secondary_calendar: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a policy level: a table such as { from = \"15s\", skills = { german = 2 } }"
)]
pub struct RawPolicyLevel {
    pub from: Dur,
    #[serde(default)]
    pub skills: BTreeMap<String, i64>,
}

/// A service membership: `"support"` or `{ id = "sales", active = false }`.
#[derive(Debug)]
pub enum RawMembership {
    Id(String),
    Table { id: String, active: Option<bool> },
}

const MEMBERSHIP_FORMS: &str =
    "a service membership is a service id such as \"support\" or a table such as { id = \"support\", active = false }";

impl<'de> Deserialize<'de> for RawMembership {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Table {
            id: String,
            active: Option<bool>,
        }
        match toml::Value::deserialize(d)? {
            toml::Value::String(s) => Ok(RawMembership::Id(s)),
            v @ toml::Value::Table(_) => v
                .try_into::<Table>()
                .map(|t| RawMembership::Table {
                    id: t.id,
                    active: t.active,
                })
                .map_err(|e| {
                    serde::de::Error::custom(format!("{}; {MEMBERSHIP_FORMS}", e.message().trim()))
                }),
            _ => Err(serde::de::Error::custom(MEMBERSHIP_FORMS)),
        }
    }
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
#[serde(
    deny_unknown_fields,
    expecting = "a presence change: a table such as { presence = \"busy\", every = \"2h\", duration = \"10m\" }"
)]
pub struct RawPresenceChange {
    pub presence: String,
    pub every: DistSpec,
    pub duration: DistSpec,
}

#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "calls: a table such as { rate = \"3/h\", duration = \"5m\" }"
)]
pub struct RawCalls {
    pub rate: Rate,
    pub duration: DistSpec,
}

#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a profile: a table such as { interval = \"1h\", rates = [\"0/h\", \"40/h\", ...] }"
)]
pub struct RawProfile {
    pub interval: Dur,
    /// Rates may be "0/h" here (a quiet interval).
    pub rates: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a user group: a [[users]] table with id, count, services and licenses"
)]
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
}

#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "an arrival source: an [[arrivals]] table with service, channel and one of rate, profile or trace"
)]
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
#[serde(
    deny_unknown_fields,
    expecting = "a workflow: a table [workflows.ID] with `start` and `steps`"
)]
pub struct RawWorkflow {
    pub start: String,
    #[serde(default)]
    pub steps: BTreeMap<String, RawStep>,
}

/// A workflow step: `do` names the activity; the other keys are its
/// parameters and its exits (each exit names the next step).
#[derive(Debug, Deserialize)]
#[serde(expecting = "a workflow step: a table such as { do = \"queue_task\", next = \"NEXT\" }")]
pub struct RawStep {
    #[serde(rename = "do")]
    pub activity: String,
    #[serde(flatten)]
    pub params: toml::Table,
}

#[derive(Debug, Deserialize)]
#[serde(
    untagged,
    expecting = "a threshold: an expression such as \"support:wait_p95_s<60\" or a table { expr = \"...\" }"
)]
pub enum RawThreshold {
    Expr(String),
    Table { expr: String },
}
