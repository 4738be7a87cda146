//! The validated model of a contact center: dense `u32` indices everywhere,
//! names kept only for output. Built from a scenario file by `crate::scenario`.

pub mod outcome;
pub mod priority;
pub mod time;

use crate::scenario::dist::Dist;
pub use outcome::{Outcome, OutcomeGroup};
pub use priority::Priority;
pub use time::Time;

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
    /// Threshold expressions from `[[thresholds]]`, in the contract's form.
    pub thresholds: Vec<String>,
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
}

#[derive(Debug, Clone)]
pub struct User {
    pub name: String,
    /// Index of the `[[users]]` group this user was expanded from.
    pub group: u32,
    pub services: Vec<ServiceId>,
    /// Concurrent chats; `UNLIMITED` for no limit.
    pub capacity: u32,
    pub accept_delay: Dist,
}

#[derive(Debug, Clone)]
pub struct ArrivalSource {
    pub service: ServiceId,
    pub channel: Channel,
    /// Arrivals per second.
    pub rate_per_s: f64,
    pub handle_time: Dist,
    pub patience: Option<Dist>,
    pub priority: Option<Priority>,
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

#[derive(Debug, Clone, PartialEq)]
pub enum Activity {
    /// Marks the task accepted by the system; must follow Start.
    Accept,
    /// Enqueues the task in the service's queue; the task then waits for a user.
    QueueTask { priority: Option<Priority> },
}
