//! The scenario file as written: serde structs that reject unknown keys.
//! Values keep the file's notation; `build` turns them into the model.

use std::collections::BTreeMap;

use schemars::JsonSchema;
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

/// `shrinkage`: a number (integer or float); its range is checked by
/// `build` (with the key's path). Any other type is refused here, naming
/// the key, since serde's own type error would not.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shrinkage(pub f64);

impl<'de> Deserialize<'de> for Shrinkage {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match toml::Value::deserialize(d)? {
            toml::Value::Float(x) => Ok(Shrinkage(x)),
            toml::Value::Integer(i) => Ok(Shrinkage(i as f64)),
            v => Err(serde::de::Error::custom(format!(
                "`shrinkage` must be a number, got the {} {v}; expected {}",
                v.type_str(),
                super::units::SHRINKAGE_HINT
            ))),
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

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    expecting = "a scenario: tables such as [simulation], [[services]], [[users]], [[arrivals]] and [workflows.ID]"
)]
#[schemars(title = "routesim scenario")]
/// A routesim scenario: a contact center's services, users, arrivals and
/// IM workflows, and how long and how often to simulate them.
pub struct RawScenario {
    /// How long, from when and how often to simulate.
    #[serde(deserialize_with = "simulation_table")]
    #[schemars(with = "RawSimulation")]
    pub simulation: RawSimulation,
    /// Tenant settings. Default: none (then IM is not enabled).
    #[serde(default, deserialize_with = "tenant_table")]
    #[schemars(with = "RawTenant")]
    pub tenant: RawTenant,
    /// The services (queues) that receive chats. Default: none.
    #[serde(default)]
    pub services: Vec<RawService>,
    /// The users (agents), one entry per group. Default: none.
    #[serde(default)]
    pub users: Vec<RawUser>,
    /// Where and how often chats arrive. Default: none.
    #[serde(default)]
    pub arrivals: Vec<RawArrival>,
    /// IM workflows by id, referenced by services' `workflow`. Default: none.
    #[serde(default)]
    pub workflows: BTreeMap<String, RawWorkflow>,
    /// Opening-hours calendars by name. Default: none.
    #[serde(default)]
    pub calendars: BTreeMap<String, RawCalendar>,
    /// Workflows edited during the run. Default: none.
    #[serde(default)]
    pub revisions: Vec<RawRevision>,
    /// Pass/fail checks on the results, as `--threshold` takes them
    /// ("service_level>=80%", "support:wait_p95_s<60"); a failed one makes
    /// `run` exit 1. Default: none.
    #[serde(default)]
    pub thresholds: Vec<RawThreshold>,
}

/// `[[revisions]]`: a workflow edited afterwards.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    expecting = "a revision: a table such as { at = \"4h\", service = \"support\", workflow = \"new\" } in [[revisions]]"
)]
pub struct RawRevision {
    /// Time from the start of the measured window. Required.
    pub at: Dur,
    /// The service whose workflow changes. Required.
    pub service: String,
    /// The workflow it uses from then on. Required.
    pub workflow: String,
}

/// A weekly window: `{ days = ["mon", "tue"], from = "08:00", to = "16:00" }`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    expecting = "a weekly window: a table such as { days = [\"mon\", \"tue\"], from = \"08:00\", to = \"16:00\" }"
)]
pub struct RawWindow {
    /// Weekdays ("mon" .. "sun", or "daily" for all). Required.
    pub days: Vec<String>,
    /// Local time of day it starts, "HH:MM". Required.
    pub from: String,
    /// Local time of day it ends, "HH:MM" ("24:00" allowed); before `from`
    /// crosses midnight. Required.
    pub to: String,
}

/// A dated period: `{ date = "2026-12-25" }` (the whole day) or
/// `{ from = "2026-12-31T12:00", to = "2027-01-01T00:00" }`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    expecting = "a dated period: a table such as { date = \"2026-12-25\" } or { from = \"2026-12-31T12:00\", to = \"2027-01-01T00:00\" }"
)]
pub struct RawPeriod {
    /// A whole local day, "YYYY-MM-DD" (instead of `from`/`to`).
    pub date: Option<String>,
    /// Local start, "YYYY-MM-DDTHH:MM".
    pub from: Option<String>,
    /// Local end (exclusive), "YYYY-MM-DDTHH:MM".
    pub to: Option<String>,
    /// Special periods only: 1..=4 (Special1 .. Special4).
    pub kind: Option<i64>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    expecting = "a calendar: a table [calendars.NAME] with `open`, `holidays` and `special`"
)]
pub struct RawCalendar {
    /// Weekly opening hours (local time). Default: none (always closed).
    #[serde(default)]
    pub open: Vec<RawWindow>,
    /// Holidays: Check Opening Hours takes its `holiday` exit. Default: none.
    #[serde(default)]
    pub holidays: Vec<RawPeriod>,
    /// Special periods with `kind` 1..4: exits `special1` .. `special4`.
    /// Default: none.
    #[serde(default)]
    pub special: Vec<RawPeriod>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "the [simulation] table")]
pub struct RawSimulation {
    /// Names the default output folder `results/<name>/`. Default: the file
    /// name without its extension.
    pub name: Option<String>,
    /// Measured time, after the warm-up. Required.
    pub duration: Dur,
    /// Simulated before measuring; tasks arriving in it are not reported.
    /// Default: "0s".
    pub warmup: Option<Dur>,
    /// Base seed of the random streams. Default: 1.
    pub seed: Option<u64>,
    /// Independent replications. Default: 1.
    pub replications: Option<i64>,
    /// Reporting interval of intervals.csv. Default: "15m".
    pub interval: Option<Dur>,
    /// Local date-time of the simulated start, "YYYY-MM-DDTHH:MM[:SS]".
    /// Default: "2026-11-23T00:00:00" (a Monday).
    pub start: Option<String>,
    /// IANA time zone of all local times (start, shifts, breaks, opening
    /// hours, calendars, profiles, trace date-times), with its daylight-saving
    /// changes: "Europe/Zurich". Default: "UTC".
    pub timezone: Option<String>,
    /// Factor on every rate and profile source (on top of each source's `scale`).
    pub load_scale: Option<f64>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    expecting = "the [tenant] table, e.g. modalities = [\"im\"]"
)]
pub struct RawTenant {
    /// Enabled modalities; IM chats need "im". Default: none.
    #[serde(default)]
    pub modalities: Vec<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    expecting = "a service: a [[services]] table with id, license, channels and workflow"
)]
pub struct RawService {
    /// Service id (used by users, arrivals and `--set`). Required.
    pub id: String,
    /// "advanced_routing", "enterprise_routing" or "contact_center" (IM
    /// needs "contact_center"). Required.
    pub license: String,
    /// Add-ons: "interact" is needed to serve the interact channel.
    /// Default: none.
    #[serde(default)]
    pub addons: Vec<String>,
    /// Channels served: "interact", "whatsapp". Default: none.
    #[serde(default)]
    pub channels: Vec<String>,
    /// Id of a `[workflows.ID]` table. Required.
    pub workflow: String,
    /// Service-level threshold. Default: "20s".
    pub sla: Option<Dur>,
    /// After-call work: the user is not selectable for any service this
    /// long after each session. Default: "0s".
    pub acw: Option<Dur>,
    /// Priority of its tasks: strict, highest, very_high, high, normal, low,
    /// very_low, lowest, nothing_else. Default: "normal".
    pub default_priority: Option<String>,
    /// WhatsApp (Twilio) region; only "us" works. Default: "us".
    pub whatsapp_region: Option<String>,
    /// "longest_idle" or "most_qualified". Default: "longest_idle".
    pub distribution_order: Option<String>,
    /// Skill levels required from each waiting time on (contact_center only);
    /// the pool only widens. Default: none.
    #[serde(default)]
    pub policy: Vec<RawPolicyLevel>,
    /// Teams Busy / Away users may be selected. Default: false.
    pub allow_busy_away: Option<bool>,
    /// How long an offer rings. Default: "30s".
    pub ring_timeout: Option<Dur>,
    /// After a ring timeout the user is flagged RONA (not selectable
    /// anywhere) until `rona_reset`. Default: false.
    pub persistent_rona: Option<bool>,
    /// How long a RONA flag lasts (at least "10s"). Default: "10m".
    pub rona_reset: Option<Dur>,
    /// After a decline or ring-out the task is offered again, to the same
    /// users too, once this long has passed since its latest refusal
    /// ("1s" to "1h"). Default: "5s".
    pub redistribution_pause: Option<Dur>,
    /// Weighted round robin of Highest .. Lowest. Default: [64, 32, 16, 8, 4, 2, 1].
    pub priority_weights: Option<Vec<i64>>,
    /// Opening-hours calendar (a `[calendars.NAME]`). Default: none.
    pub calendar: Option<String>,
    /// Secondary calendar: its holidays and special periods apply after the
    /// primary's. Default: none.
    pub secondary_calendar: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    expecting = "a policy level: a table such as { from = \"15s\", skills = { german = 2 } }"
)]
pub struct RawPolicyLevel {
    /// Waiting time from which this level applies. Required.
    pub from: Dur,
    /// Minimum level (1..100) per skill. Default: none.
    #[serde(default)]
    pub skills: BTreeMap<String, i64>,
}

/// A service membership: `"support"` or `{ id = "sales", active = false }`.
#[derive(Debug, JsonSchema)]
#[serde(untagged)]
pub enum RawMembership {
    /// A service id.
    Id(String),
    /// A service id, and whether the member is on duty there (default: true).
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

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    expecting = "a presence change: a table such as { presence = \"busy\", every = \"2h\", duration = \"10m\" }"
)]
pub struct RawPresenceChange {
    /// Teams presence during the change: "busy", "away", "dnd". Required.
    pub presence: String,
    /// Time from the end of one change to the start of the next. Required.
    pub every: DistSpec,
    /// How long it lasts. Required.
    pub duration: DistSpec,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    expecting = "calls: a table such as { rate = \"3/h\", duration = \"5m\" }"
)]
pub struct RawCalls {
    /// Poisson rate of calls while on shift. Required.
    pub rate: Rate,
    /// Call length. Required.
    pub duration: DistSpec,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    expecting = "a profile: a table such as { interval = \"1h\", rates = [\"0/h\", \"40/h\", ...] }"
)]
pub struct RawProfile {
    /// Length of each rate's interval. Required.
    pub interval: Dur,
    /// Rates per interval of a day (repeating daily) or of a week (from
    /// Monday 00:00), local time; "0/h" is a quiet interval. Required.
    pub rates: Vec<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    expecting = "a user group: a [[users]] table with id, count, services and licenses"
)]
pub struct RawUser {
    /// User id; a group given `count` or `staffing` expands to id-1 .. id-N
    /// (`count = 1` too); without either it is one user named id. Required.
    pub id: String,
    /// Group size, at least 1. Default: 1.
    pub count: Option<i64>,
    /// Service memberships. Default: none.
    #[serde(default)]
    pub services: Vec<RawMembership>,
    /// "im" is needed to receive chats; "interact" for direct contact.
    /// Default: none.
    #[serde(default)]
    pub licenses: Vec<String>,
    /// Skill levels 1..100: { german = 4 }. Default: none.
    #[serde(default)]
    pub skills: BTreeMap<String, i64>,
    /// Concurrent chats, or "unlimited". Default: 2.
    pub im_capacity: Option<Capacity>,
    /// Handle-time factor by the number of chats held when a chat starts
    /// ([1.0, 1.3, 1.6]; the last applies beyond). Default: none (1.0).
    #[serde(default)]
    pub concurrency_stretch: Vec<f64>,
    /// Time from offer to answer. Default: "0s".
    pub accept_delay: Option<DistSpec>,
    /// Share of offers declined (after the accept delay). Default: 0.
    pub decline_probability: Option<f64>,
    /// Share of offers left ringing until the ring timeout. Default: 0.
    pub no_answer_probability: Option<f64>,
    /// Weekly shifts (local time); Offline outside. Default: always on.
    #[serde(default)]
    pub shifts: Vec<RawWindow>,
    /// Weekly breaks (local time), in `break_presence`. Default: none.
    #[serde(default)]
    pub breaks: Vec<RawWindow>,
    /// Teams presence during breaks. Default: "away".
    pub break_presence: Option<String>,
    /// Random Teams presence changes. Default: none.
    #[serde(default)]
    pub presence_changes: Vec<RawPresenceChange>,
    /// Audio/video calls that block the user. Default: none.
    pub calls: Option<RawCalls>,
    /// A staffing plan (CSV with `start` and `agents` columns) instead of `count`.
    pub staffing: Option<String>,
    /// Share of paid time the agents are away for reasons the scenario does
    /// not model (absence, meetings, training, coaching), in [0, 1): 0.3 for
    /// 30 %. Not simulated: `count` and `staffing` are agents on the floor;
    /// `staff` rosters ceil(agents / (1 - shrinkage)) as `scheduled_agents`.
    /// Default: 0.
    pub shrinkage: Option<Shrinkage>,
}

impl RawUser {
    /// The group's shrinkage as written (default 0; `build` checks the range).
    pub fn shrinkage(&self) -> f64 {
        self.shrinkage.map_or(0.0, |s| s.0)
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    expecting = "an arrival source: an [[arrivals]] table with service, channel and one of rate, profile or trace"
)]
pub struct RawArrival {
    /// The service whose workflow receives the chats (or `user`).
    pub service: Option<String>,
    /// A user exposed through Interact (direct contact), instead of `service`.
    pub user: Option<String>,
    /// "interact" or "whatsapp". Required.
    pub channel: String,
    /// Poisson arrival rate (one of `rate`, `profile`, `trace`).
    pub rate: Option<Rate>,
    /// Rates per interval of a day or a week, local time.
    pub profile: Option<RawProfile>,
    /// CSV file of real arrivals (column `time`: seconds from the start or a
    /// local "YYYY-MM-DDTHH:MM:SS"), relative to the scenario file.
    pub trace: Option<String>,
    /// Multiplies the rate or profile. Default: 1.0.
    pub scale: Option<f64>,
    /// Conversation length. Required unless a trace gives every row's.
    pub handle_time: Option<DistSpec>,
    /// How long the customer waits for a user, from arrival. Default: never
    /// hangs up.
    pub patience: Option<DistSpec>,
    /// Task priority. Default: the service's `default_priority`.
    pub priority: Option<String>,
    /// Up to 10 users tried first, in this order, while selectable; each
    /// at most once. Default: none.
    #[serde(default)]
    #[schemars(length(max = 10), extend("uniqueItems" = true))]
    pub preferred_users: Vec<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    expecting = "a workflow: a table [workflows.ID] with `start` and `steps`"
)]
pub struct RawWorkflow {
    /// The first step's name (its first step must be `accept`). Required.
    pub start: String,
    /// Steps by name. Default: none.
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

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(
    untagged,
    expecting = "a threshold: an expression such as \"support:wait_p95_s<60\" or a table { expr = \"...\" }"
)]
pub enum RawThreshold {
    /// "[service:]metric OP value", e.g. "p_abandon<=0.05".
    Expr(String),
    /// The same as { expr = "..." }.
    Table { expr: String },
}

// JSON Schemas of the hand-deserialized values, for `routesim schema`.

fn string_schema(what: &str) -> schemars::Schema {
    schemars::json_schema!({ "type": "string", "description": what })
}

impl JsonSchema for Dur {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Duration".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let mut s = string_schema("A duration: \"250ms\", \"30s\", \"5m\", \"1h30m\", \"2d\".");
        s.insert(
            "pattern".into(),
            r"^([0-9]+(\.[0-9]+)?(us|ms|s|m|h|d))+$".into(),
        );
        s
    }
}

impl JsonSchema for Rate {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Rate".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        string_schema("A rate: \"1080/h\", \"0.3/s\", \"20000/d\", \"1/30s\".")
    }
}

impl JsonSchema for Capacity {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Capacity".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "Concurrent chats (at least 1) or \"unlimited\".",
            "anyOf": [
                { "type": "integer", "minimum": 1 },
                { "const": "unlimited" }
            ]
        })
    }
}

impl JsonSchema for Shrinkage {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Shrinkage".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A share of paid time in [0, 1): 0.3 for 30 %.",
            "type": "number",
            "minimum": 0,
            "exclusiveMaximum": 1
        })
    }
}

impl JsonSchema for DistSpec {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Distribution".into()
    }
    fn json_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let dur = g.subschema_for::<Dur>();
        schemars::json_schema!({
            "description": "A distribution of durations: a bare duration (a constant) or a table: { dist = \"exponential\", mean = \"60s\" }, { dist = \"lognormal\", mean, sd }, { dist = \"uniform\", min, max }, { dist = \"gamma\", shape, mean }, { dist = \"constant\", value }, { dist = \"empirical\", file, column } (seconds per row; column optional).",
            "anyOf": [
                dur,
                {
                    "type": "object",
                    "required": ["dist"],
                    "additionalProperties": false,
                    "properties": {
                        "dist": { "enum": ["exponential", "lognormal", "uniform", "gamma", "constant", "empirical"] },
                        "mean": dur, "sd": dur, "min": dur, "max": dur, "value": dur,
                        "shape": { "type": "number", "exclusiveMinimum": 0 },
                        "file": { "type": "string" },
                        "column": { "type": "string" }
                    }
                }
            ]
        })
    }
}

impl JsonSchema for RawStep {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Step".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A workflow step: `do` names the activity (accept, queue_task, ...); the other keys are its parameters and its exits (each exit names the next step).",
            "type": "object",
            "required": ["do"],
            "properties": { "do": { "type": "string" } }
        })
    }
}
