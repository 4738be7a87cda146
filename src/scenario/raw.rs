//! The scenario file as written: serde structs that reject unknown keys.
//! Values keep the file's notation; `build` turns them into the model.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};

use super::dist::DistSpec;
use super::units::{parse_duration, parse_rate};
use crate::model::Time;

/// A duration string ("30s").
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Dur(pub Time);

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d).map_err(|_| {
            serde::de::Error::custom(
                "expected a duration string such as \"30s\", \"5m\" or \"1h30m\"",
            )
        })?;
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
        let s = String::deserialize(d).map_err(|_| {
            serde::de::Error::custom("expected a rate string such as \"1080/h\" or \"0.3/s\"")
        })?;
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
    pub thresholds: Vec<RawThreshold>,
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
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawUser {
    pub id: String,
    pub count: Option<i64>,
    #[serde(default)]
    pub services: Vec<String>,
    #[serde(default)]
    pub licenses: Vec<String>,
    pub im_capacity: Option<Capacity>,
    pub accept_delay: Option<DistSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawArrival {
    pub service: String,
    pub channel: String,
    pub rate: Option<Rate>,
    pub handle_time: DistSpec,
    pub patience: Option<DistSpec>,
    pub priority: Option<String>,
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
