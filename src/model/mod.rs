//! The validated model of a contact center: dense `u32` indices everywhere,
//! names kept only for output. Built from a scenario file by `crate::scenario`.

pub mod calendar;
pub mod civil;
pub mod duty;
pub mod outcome;
pub mod priority;
pub mod time;
pub mod weekly;

use crate::scenario::dist::Dist;
pub use outcome::{Outcome, OutcomeGroup};
pub use priority::Priority;
pub use time::Time;

use calendar::Calendar;
use civil::Clock;
use weekly::WeeklyWindows;

pub type ServiceId = u32;
pub type UserId = u32;
pub type SourceId = u32;
pub type WorkflowId = u32;
pub type StepId = u32;

/// A user's IM capacity when it is "unlimited".
pub const UNLIMITED: u32 = u32::MAX;

#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    /// SHA-256 of the scenario text and the applied `--set` overrides.
    pub hash: String,
    pub sim: SimSettings,
    pub services: Vec<Service>,
    pub users: Vec<User>,
    pub sources: Vec<ArrivalSource>,
    pub workflows: Vec<Workflow>,
    pub calendars: Vec<Calendar>,
    /// Task parameter names; parameter ids index them.
    pub parameters: Vec<String>,
    /// Interned string values (parameter values, choice names).
    pub strings: Vec<String>,
    /// Timed workflow edits, sorted by time.
    pub revisions: Vec<Revision>,
    /// Skill names; skill ids index `User::skills`.
    pub skills: Vec<String>,
    /// Preferred-user lists (ranked best first), referenced by tasks by index.
    pub preferred: Vec<Vec<UserId>>,
    /// Threshold expressions from `thresholds = [...]`, in the contract's form.
    pub thresholds: Vec<String>,
    /// Maps simulation time to local civil time.
    pub clock: Clock,
}

#[derive(Debug, Clone)]
pub struct SimSettings {
    pub duration: Time,
    pub warmup: Time,
    pub seed: u64,
    pub replications: u32,
    pub interval: Time,
    /// Local civil start time, "YYYY-MM-DDTHH:MM:SS".
    pub start: String,
}

impl SimSettings {
    /// Simulated time at which measurement starts.
    pub fn measure_start(&self) -> Time {
        self.warmup
    }
    /// Simulated time at which arrivals stop (the run then drains).
    pub fn measure_end(&self) -> Time {
        self.warmup + self.duration
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Interact,
    WhatsApp,
}

impl Channel {
    pub fn name(self) -> &'static str {
        match self {
            Channel::Interact => "interact",
            Channel::WhatsApp => "whatsapp",
        }
    }
    pub fn parse(s: &str) -> Result<Channel, String> {
        match s {
            "interact" => Ok(Channel::Interact),
            "whatsapp" => Ok(Channel::WhatsApp),
            _ => Err(format!(
                "unknown channel \"{s}\"; expected \"interact\" or \"whatsapp\""
            )),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum License {
    AdvancedRouting,
    EnterpriseRouting,
    ContactCenter,
}

impl License {
    pub fn parse(s: &str) -> Result<License, String> {
        match s {
            "advanced_routing" => Ok(License::AdvancedRouting),
            "enterprise_routing" => Ok(License::EnterpriseRouting),
            "contact_center" => Ok(License::ContactCenter),
            _ => Err(format!(
                "unknown license \"{s}\"; expected \"advanced_routing\", \"enterprise_routing\" or \"contact_center\""
            )),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Service {
    pub name: String,
    pub license: License,
    pub channels: Vec<Channel>,
    pub workflow: WorkflowId,
    /// Service-level threshold for `service_level` and `acceptance_sla`.
    pub sla: Time,
    /// After-call work: the user is not selectable for this long after a session.
    pub acw: Time,
    pub default_priority: Priority,
    pub order: DistributionOrder,
    /// Skill levels that widen with waiting time (contact_center); empty = any user.
    pub policy: Vec<PolicyLevel>,
    /// Teams Busy / Away users may be selected.
    pub allow_busy_away: bool,
    pub ring_timeout: Time,
    /// After a decline or ring timeout the user is flagged RONA (not
    /// selectable) until the reset, going Offline or going Off Duty.
    pub persistent_rona: bool,
    pub rona_reset: Time,
    /// After a decline or ring timeout the task is not offered to the users
    /// who refused it until this long after the latest refusal.
    pub redistribution_pause: Time,
    /// Weights of the 7 middle priority levels (Highest .. Lowest) for weighted round robin.
    pub priority_weights: [u32; 7],
    pub calendar: Option<u32>,
    pub secondary_calendar: Option<u32>,
}

/// A workflow edited afterwards: from `at` (simulation time) on, sessions
/// that start in `service` run `workflow`.
#[derive(Debug, Clone)]
pub struct Revision {
    pub at: Time,
    pub service: ServiceId,
    pub workflow: WorkflowId,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DistributionOrder {
    LongestIdle,
    MostQualified,
}

/// One level of a distribution policy: from `from` of waiting time on, users
/// that meet every `(skill, minimum level)` join the pool.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyLevel {
    pub from: Time,
    pub requires: Vec<(u32, u8)>,
}

/// Teams presence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Presence {
    Available,
    Busy,
    Away,
    DoNotDisturb,
    Offline,
}

impl Presence {
    pub const ALL: [Presence; 5] = [
        Presence::Available,
        Presence::Busy,
        Presence::Away,
        Presence::DoNotDisturb,
        Presence::Offline,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Presence::Available => "available",
            Presence::Busy => "busy",
            Presence::Away => "away",
            Presence::DoNotDisturb => "dnd",
            Presence::Offline => "offline",
        }
    }
    pub fn parse(s: &str) -> Result<Presence, String> {
        match s.to_ascii_lowercase().replace(['_', '-', ' '], "").as_str() {
            "available" => Ok(Presence::Available),
            "busy" => Ok(Presence::Busy),
            "away" | "berightback" | "brb" => Ok(Presence::Away),
            "dnd" | "donotdisturb" => Ok(Presence::DoNotDisturb),
            "offline" => Ok(Presence::Offline),
            _ => Err(format!(
                "unknown presence \"{s}\"; expected available, busy, away, be_right_back, dnd or offline"
            )),
        }
    }
    #[inline]
    pub fn index(self) -> usize {
        self as usize
    }
}

#[derive(Debug, Clone)]
pub struct User {
    pub name: String,
    /// Index of the `[[users]]` group this user was expanded from.
    pub group: u32,
    /// Services the user is a member of (with the IM license).
    pub services: Vec<ServiceId>,
    /// Per entry of `services`: the Active flag (on duty in that service).
    pub active: Vec<bool>,
    /// Skill level per skill id (0 = no such skill).
    pub skills: Vec<u8>,
    /// Concurrent chats; `UNLIMITED` for no limit.
    pub capacity: u32,
    /// Handle-time factor by concurrency level (index = chats held - 1); the
    /// last entry applies beyond. Empty = 1.0.
    pub stretch: Vec<f64>,
    pub accept_delay: Dist,
    pub decline_probability: f64,
    pub no_answer_probability: f64,
    /// Weekly shifts; empty = always on shift.
    pub shifts: WeeklyWindows,
    pub breaks: WeeklyWindows,
    /// Teams presence during breaks; `None`: Off Duty in every service (not
    /// selectable, Teams presence unchanged).
    pub break_presence: Option<Presence>,
    /// Random Teams presence changes.
    pub presence_changes: Vec<PresenceChange>,
    /// Audio/video calls that block the user (chats do not).
    pub calls: Option<CallLoad>,
    /// Spans on duty from a staffing plan (`duty::Plan::spans`); `None` = no
    /// plan. Off duty counts as off shift.
    pub duty: Option<Vec<(Time, Time)>>,
}

#[derive(Debug, Clone)]
pub struct PresenceChange {
    pub presence: Presence,
    /// Time between the end of one change and the start of the next.
    pub every: Dist,
    pub duration: Dist,
}

#[derive(Debug, Clone)]
pub struct CallLoad {
    pub rate_per_s: f64,
    pub duration: Dist,
}

#[derive(Debug, Clone)]
pub struct ArrivalSource {
    pub service: ServiceId,
    pub channel: Channel,
    pub pattern: ArrivalPattern,
    pub handle_time: Option<Dist>,
    pub patience: Option<Dist>,
    pub priority: Option<Priority>,
    /// Index into `Scenario::preferred`.
    pub preferred: Option<u32>,
    /// Direct contact: chats go straight to this user (exposed through
    /// Interact), with no queue, workflow or service session; `service` is
    /// then meaningless.
    pub direct_user: Option<UserId>,
}

#[derive(Debug, Clone)]
pub enum ArrivalPattern {
    /// Poisson arrivals at a constant rate per second.
    Constant(f64),
    /// Poisson arrivals whose rate is constant within each `interval` of a
    /// repeating day (or week, starting Monday 00:00), local time.
    Profile {
        interval: Time,
        rates: Vec<f64>,
        period: Time,
    },
    /// Replayed arrivals, sorted by time.
    Trace(Vec<TraceArrival>),
}

#[derive(Debug, Clone)]
pub struct TraceArrival {
    pub at: Time,
    pub channel: Option<Channel>,
    pub priority: Option<Priority>,
    pub handle_time: Option<Time>,
    pub patience: Option<Time>,
    pub preferred: Option<u32>,
}

#[derive(Debug, Clone)]
pub struct Workflow {
    pub name: String,
    pub start: StepId,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone)]
pub struct Step {
    pub name: String,
    pub activity: Activity,
    /// The step that follows, or `None` where the workflow ends.
    pub next: Option<StepId>,
}

/// How a customer answers Collect Information / Input Customer.
#[derive(Debug, Clone)]
pub struct CustomerReply {
    /// Time the customer takes to reply.
    pub delay: Dist,
    /// Probability that the customer replies at all.
    pub probability: f64,
    /// ASSUMPTION: without a reply within this time the step takes its
    /// `timed_out` exit.
    pub timeout: Time,
}

/// A value of a task parameter: a number or an interned string.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ParamValue {
    Unset,
    Number(f64),
    /// Index into `Scenario::strings`.
    Text(u32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// One rule of Check Parameter: when `parameter OP value` holds, go to `next`.
#[derive(Debug, Clone)]
pub struct Rule {
    pub op: CompareOp,
    pub value: ParamValue,
    pub next: StepId,
}

/// The IM workflow activities. Exits that are not given fall back to the
/// step's `next`; where neither is given the workflow ends there.
#[derive(Debug, Clone)]
pub enum Activity {
    /// Marks the task accepted by the system; must follow Start.
    Accept,
    /// Sends a text; takes `delay` (default 1 s, 1 s to 10 min).
    Message {
        delay: Time,
        text: String,
    },
    Delay {
        duration: Dist,
    },
    /// Asks the customer; the reply goes into `parameter`.
    CollectInformation {
        parameter: Option<u32>,
        reply: CustomerReply,
        timed_out: Option<StepId>,
    },
    /// A menu: the customer picks one of `choices` (name, probability, exit).
    InputCustomer {
        parameter: Option<u32>,
        reply: CustomerReply,
        choices: Vec<(u32, f64, Option<StepId>)>,
        timed_out: Option<StepId>,
    },
    SaveToParameter {
        parameter: u32,
        value: ParamValue,
    },
    CheckParameter {
        parameter: u32,
        rules: Vec<Rule>,
        default: Option<StepId>,
    },
    /// Interact only: `latency`, then `failure` with `failure_probability`.
    WebRequest {
        latency: Dist,
        failure_probability: f64,
        failure: Option<StepId>,
    },
    Disconnect,
    /// Ends this service session and starts one in `service`.
    Transfer {
        service: ServiceId,
    },
    /// Exits open, closed, holiday, special1..4, default.
    CheckOpeningHours {
        exits: [Option<StepId>; 8],
    },
    /// Exits available, busy, offline.
    AvailabilityBasedRouting {
        exits: [Option<StepId>; 3],
    },
    GetAvailableUsers {
        parameter: u32,
    },
    GetQueuePosition {
        parameter: Option<u32>,
    },
    /// Enqueues the task; the workflow goes on while it waits.
    QueueTask {
        priority: Option<Priority>,
        broadcast: bool,
        ring_timeout: Option<Time>,
    },
    DistributionPriority {
        priority: Priority,
    },
    /// Exits queued, offered, connected, terminated.
    CheckTask {
        exits: [Option<StepId>; 4],
    },
    CancelTask,
    /// An activity Nimbus does not support for IM (only reachable through a
    /// workflow edited afterwards): the session fails there.
    Unsupported(String),
}

impl Activity {
    /// Whether the step can complete without simulated time passing.
    pub fn may_take_no_time(&self) -> bool {
        match self {
            Activity::Message { .. } => false,
            Activity::Delay { duration } => duration.can_be_zero(),
            Activity::CollectInformation { reply, .. } | Activity::InputCustomer { reply, .. } => {
                reply.delay.can_be_zero() && reply.probability > 0.0 || reply.timeout == 0
            }
            Activity::WebRequest { latency, .. } => latency.can_be_zero(),
            _ => true,
        }
    }
}

impl ArrivalPattern {
    /// Mean arrival rate per second over simulation times [from, to): exact
    /// for constant rates and profiles, counted for traces.
    pub fn mean_rate(&self, clock: &Clock, from: Time, to: Time) -> f64 {
        if to <= from {
            return 0.0;
        }
        let span = (to - from) as f64;
        match self {
            ArrivalPattern::Constant(r) => *r,
            ArrivalPattern::Profile {
                interval,
                rates,
                period,
            } => {
                // Walk the profile's segments across the window.
                let mut t = from;
                let mut mass = 0.0;
                while t < to {
                    let pos = clock.time_of_week(t) % period;
                    let k = (pos / interval) as usize % rates.len();
                    let seg_end = clock.advance(t, interval - pos % interval).min(to);
                    mass += rates[k] * (seg_end - t) as f64;
                    t = seg_end;
                }
                mass / span
            }
            ArrivalPattern::Trace(rows) => {
                let n = rows.iter().filter(|r| r.at >= from && r.at < to).count();
                n as f64 / (span / time::MICROS_PER_SEC as f64)
            }
        }
    }
}
