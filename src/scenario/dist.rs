//! Distributions of durations: the scenario's notation (`DistSpec`, as written
//! in the file) and the compiled sampler (`Dist`) the engine draws from.

use std::path::Path;

use rand::Rng;
use rand_distr::{Distribution, Exp, Gamma, LogNormal};
use serde::{Deserialize, Deserializer};

use super::limits::MAX_DURATION;
use super::units::{parse_duration, secs_to_duration};
use crate::model::time::{from_secs_f64, to_secs_f64, Time};

const DIST_HINT: &str = "expected a duration such as \"30s\" or a table such as \
{ dist = \"exponential\", mean = \"60s\" } (dist: exponential, lognormal, uniform, gamma, constant, empirical)";

/// A distribution as the scenario writes it; durations already parsed.
#[derive(Debug, Clone, PartialEq)]
pub enum DistSpec {
    Constant(Time),
    Exponential {
        mean: Time,
    },
    LogNormal {
        mean: Time,
        sd: Time,
    },
    Uniform {
        min: Time,
        max: Time,
    },
    Gamma {
        shape: f64,
        mean: Time,
    },
    Empirical {
        file: String,
        column: Option<String>,
    },
}

impl<'de> Deserialize<'de> for DistSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = toml::Value::deserialize(d)?;
        DistSpec::from_value(&v).map_err(serde::de::Error::custom)
    }
}

fn get_duration(t: &toml::Table, key: &str, dist: &str) -> Result<Time, String> {
    match t.get(key) {
        Some(toml::Value::String(s)) => {
            parse_duration(s).map_err(|e| format!("`{key}` of {dist}: {e}"))
        }
        Some(_) => Err(format!(
            "`{key}` of {dist} must be a duration string such as \"60s\""
        )),
        None => Err(format!("{dist} distribution needs `{key}`")),
    }
}

fn check_keys(t: &toml::Table, allowed: &[&str], dist: &str) -> Result<(), String> {
    for k in t.keys() {
        if k != "dist" && !allowed.contains(&k.as_str()) {
            return Err(format!(
                "unknown key `{k}` for {dist} distribution; expected {}",
                allowed
                    .iter()
                    .map(|a| format!("`{a}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    Ok(())
}

impl DistSpec {
    pub fn from_value(v: &toml::Value) -> Result<Self, String> {
        let t = match v {
            toml::Value::String(s) => return parse_duration(s).map(DistSpec::Constant),
            toml::Value::Table(t) => t,
            _ => return Err(DIST_HINT.to_string()),
        };
        let kind = match t.get("dist") {
            Some(toml::Value::String(s)) => s.as_str(),
            _ => return Err(format!("distribution table needs `dist`: {DIST_HINT}")),
        };
        match kind {
            "constant" => {
                check_keys(t, &["value"], kind)?;
                Ok(DistSpec::Constant(get_duration(t, "value", kind)?))
            }
            "exponential" => {
                check_keys(t, &["mean"], kind)?;
                let mean = get_duration(t, "mean", kind)?;
                if mean == 0 {
                    return Err("exponential `mean` must be greater than 0s".into());
                }
                Ok(DistSpec::Exponential { mean })
            }
            "lognormal" => {
                check_keys(t, &["mean", "sd"], kind)?;
                let mean = get_duration(t, "mean", kind)?;
                let sd = get_duration(t, "sd", kind)?;
                if mean == 0 {
                    return Err("lognormal `mean` must be greater than 0s".into());
                }
                Ok(DistSpec::LogNormal { mean, sd })
            }
            "uniform" => {
                check_keys(t, &["min", "max"], kind)?;
                let min = get_duration(t, "min", kind)?;
                let max = get_duration(t, "max", kind)?;
                if min > max {
                    return Err(format!(
                        "uniform `min` ({}) must not exceed `max` ({})",
                        crate::model::time::format_duration(min),
                        crate::model::time::format_duration(max)
                    ));
                }
                Ok(DistSpec::Uniform { min, max })
            }
            "gamma" => {
                check_keys(t, &["shape", "mean"], kind)?;
                let shape = match t.get("shape") {
                    Some(toml::Value::Float(f)) => *f,
                    Some(toml::Value::Integer(i)) => *i as f64,
                    _ => {
                        return Err(
                            "gamma distribution needs a numeric `shape` > 0, e.g. shape = 2.0"
                                .into(),
                        )
                    }
                };
                if !(shape.is_finite() && shape > 0.0) {
                    return Err(format!("gamma `shape` must be > 0, got {shape}"));
                }
                let mean = get_duration(t, "mean", kind)?;
                if mean == 0 {
                    return Err("gamma `mean` must be greater than 0s".into());
                }
                Ok(DistSpec::Gamma { shape, mean })
            }
            "empirical" => {
                check_keys(t, &["file", "column"], kind)?;
                let file = match t.get("file") {
                    Some(toml::Value::String(s)) => s.clone(),
                    _ => return Err("empirical distribution needs `file` = \"path.csv\"".into()),
                };
                let column = match t.get("column") {
                    Some(toml::Value::String(s)) => Some(s.clone()),
                    None => None,
                    _ => return Err("empirical `column` must be a column name".into()),
                };
                Ok(DistSpec::Empirical { file, column })
            }
            other => Err(format!("unknown distribution \"{other}\": {DIST_HINT}")),
        }
    }

    /// The distribution's mean in seconds: exact from the parameters, the
    /// sample mean for an empirical file (`base` as in `compile`). Planning
    /// (Erlang seeds of `staff`) needs it; the engine never does.
    pub fn mean_secs(&self, base: &Path) -> Result<f64, String> {
        Ok(match self {
            DistSpec::Constant(t) => to_secs_f64(*t),
            DistSpec::Exponential { mean }
            | DistSpec::LogNormal { mean, .. }
            | DistSpec::Gamma { mean, .. } => to_secs_f64(*mean),
            DistSpec::Uniform { min, max } => (to_secs_f64(*min) + to_secs_f64(*max)) / 2.0,
            DistSpec::Empirical { file, column } => {
                let v = load_empirical(&base.join(file), column.as_deref())?;
                v.iter().map(|t| to_secs_f64(*t)).sum::<f64>() / v.len() as f64
            }
        })
    }

    /// Compiles the spec into a sampler; `base` is the scenario's folder, for
    /// empirical files given by relative path.
    pub fn compile(&self, base: &Path) -> Result<Dist, String> {
        Ok(match *self {
            DistSpec::Constant(t) => Dist::Constant(t),
            DistSpec::Exponential { mean } => Dist::Exponential(
                Exp::new(1.0 / to_secs_f64(mean)).map_err(|e| format!("exponential: {e}"))?,
            ),
            DistSpec::LogNormal { mean, sd } => {
                if sd == 0 {
                    Dist::Constant(mean)
                } else {
                    // Moment matching: mean and sd are of the lognormal itself.
                    let (m, s) = (to_secs_f64(mean), to_secs_f64(sd));
                    let sigma2 = (1.0 + (s * s) / (m * m)).ln();
                    let mu = m.ln() - sigma2 / 2.0;
                    Dist::LogNormal(
                        LogNormal::new(mu, sigma2.sqrt()).map_err(|e| format!("lognormal: {e}"))?,
                    )
                }
            }
            DistSpec::Uniform { min, max } => Dist::Uniform {
                min,
                span: max - min,
            },
            DistSpec::Gamma { shape, mean } => Dist::Gamma(
                Gamma::new(shape, to_secs_f64(mean) / shape).map_err(|e| format!("gamma: {e}"))?,
            ),
            DistSpec::Empirical {
                ref file,
                ref column,
            } => {
                let path = base.join(file);
                let values = load_empirical(&path, column.as_deref())?;
                Dist::Empirical(values)
            }
        })
    }
}

/// Reads durations in seconds from a CSV file: the named column, or the first
/// numeric column. A header row is optional. Fails when no number is found.
fn load_empirical(path: &Path, column: Option<&str>) -> Result<Vec<Time>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("empirical file {}: {e}", path.display()))?;
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut col_idx: Option<usize> = None;
    let mut values = Vec::new();
    for (line, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| format!("empirical file {}: {e}", path.display()))?;
        if line == 0 {
            if let Some(name) = column {
                if rec.iter().filter(|h| h.trim() == name).count() > 1 {
                    return Err(format!(
                        "empirical file {}: the header names column `{name}` more than once; keep one",
                        path.display()
                    ));
                }
                let i = rec.iter().position(|h| h.trim() == name).ok_or_else(|| {
                    format!(
                        "empirical file {}: no column named `{name}` in its header",
                        path.display()
                    )
                })?;
                col_idx = Some(i);
                continue;
            }
            if rec.iter().all(|f| f.trim().parse::<f64>().is_err()) {
                continue; // a header
            }
        }
        let i = col_idx.unwrap_or(0);
        let Some(field) = rec.get(i) else { continue };
        let field = field.trim();
        if field.is_empty() {
            continue;
        }
        let t = secs_to_duration(field).map_err(|m| {
            format!(
                "empirical file {}, line {}: {m}; expected a duration in seconds",
                path.display(),
                line + 1
            )
        })?;
        values.push(t);
    }
    if values.is_empty() {
        return Err(format!(
            "empirical file {} holds no numbers: expected one duration in seconds per line",
            path.display()
        ));
    }
    Ok(values)
}

/// A compiled sampler of durations.
#[derive(Debug, Clone)]
pub enum Dist {
    Constant(Time),
    Exponential(Exp<f64>),
    LogNormal(LogNormal<f64>),
    Uniform { min: Time, span: Time },
    Gamma(Gamma<f64>),
    Empirical(Vec<Time>),
}

impl Dist {
    /// Draws of the continuous samplers are capped at `MAX_DURATION`, so a
    /// far tail can never overflow a sum of times.
    #[inline]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> Time {
        match self {
            Dist::Constant(t) => *t,
            Dist::Exponential(d) => from_secs_f64(d.sample(rng)).min(MAX_DURATION),
            Dist::LogNormal(d) => from_secs_f64(d.sample(rng)).min(MAX_DURATION),
            Dist::Uniform { min, span } => {
                if *span == 0 {
                    *min
                } else {
                    min + rng.random_range(0..=*span)
                }
            }
            Dist::Gamma(d) => from_secs_f64(d.sample(rng)).min(MAX_DURATION),
            Dist::Empirical(v) => v[rng.random_range(0..v.len())],
        }
    }

    /// Whether a draw can be 0 (a step that may take no time).
    pub fn can_be_zero(&self) -> bool {
        match self {
            Dist::Constant(t) => *t == 0,
            Dist::Uniform { min, .. } => *min == 0,
            Dist::Empirical(v) => v.contains(&0),
            // Continuous distributions are 0 with probability 0.
            _ => false,
        }
    }

    pub fn is_zero(&self) -> bool {
        matches!(self, Dist::Constant(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn spec(src: &str) -> Result<DistSpec, String> {
        let v: toml::Table = toml::from_str(&format!("d = {src}")).unwrap();
        DistSpec::from_value(&v["d"])
    }

    #[test]
    fn parses_every_form() {
        assert_eq!(spec("\"30s\"").unwrap(), DistSpec::Constant(30_000_000));
        assert_eq!(
            spec("{ dist = \"exponential\", mean = \"60s\" }").unwrap(),
            DistSpec::Exponential { mean: 60_000_000 }
        );
        assert!(spec("{ dist = \"lognormal\", mean = \"8s\", sd = \"4s\" }").is_ok());
        assert!(spec("{ dist = \"uniform\", min = \"5s\", max = \"15s\" }").is_ok());
        assert!(spec("{ dist = \"gamma\", shape = 2.0, mean = \"60s\" }").is_ok());
        assert!(spec("{ dist = \"constant\", value = \"30s\" }").is_ok());
    }

    #[test]
    fn rejects_impossible_parameters() {
        assert!(spec("{ dist = \"lognormal\", mean = \"8s\", sd = \"-4s\" }").is_err());
        assert!(spec("{ dist = \"uniform\", min = \"15s\", max = \"5s\" }").is_err());
        assert!(spec("{ dist = \"gamma\", shape = -1.0, mean = \"60s\" }").is_err());
        assert!(spec("{ dist = \"exponential\", mean = \"0s\" }").is_err());
        assert!(spec("{ dist = \"weibull\", mean = \"1s\" }").is_err());
        assert!(spec("{ dist = \"exponential\", mean = \"1s\", sd = \"1s\" }").is_err());
        assert!(spec("42").is_err());
    }

    #[test]
    fn sample_means_match() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let base = Path::new(".");
        for (s, want) in [
            ("{ dist = \"exponential\", mean = \"60s\" }", 60.0),
            ("{ dist = \"lognormal\", mean = \"8s\", sd = \"4s\" }", 8.0),
            ("{ dist = \"uniform\", min = \"5s\", max = \"15s\" }", 10.0),
            ("{ dist = \"gamma\", shape = 2.0, mean = \"60s\" }", 60.0),
        ] {
            let d = spec(s).unwrap().compile(base).unwrap();
            let n = 200_000;
            let mean: f64 = (0..n).map(|_| to_secs_f64(d.sample(&mut rng))).sum::<f64>() / n as f64;
            assert!((mean - want).abs() / want < 0.01, "{s}: mean {mean}");
        }
    }

    #[test]
    fn means() {
        let base = Path::new(".");
        for (s, want) in [
            ("\"30s\"", 30.0),
            ("{ dist = \"exponential\", mean = \"60s\" }", 60.0),
            ("{ dist = \"lognormal\", mean = \"8s\", sd = \"4s\" }", 8.0),
            ("{ dist = \"uniform\", min = \"5s\", max = \"15s\" }", 10.0),
            ("{ dist = \"gamma\", shape = 2.0, mean = \"1m\" }", 60.0),
        ] {
            assert_eq!(spec(s).unwrap().mean_secs(base).unwrap(), want, "{s}");
        }
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("h.csv"), "handle_s\n10\n20\n60\n").unwrap();
        let e = DistSpec::Empirical {
            file: "h.csv".into(),
            column: None,
        };
        assert_eq!(e.mean_secs(dir.path()).unwrap(), 30.0);
        assert!(e.mean_secs(Path::new("/nonexistent")).is_err());
    }

    #[test]
    fn empirical_files() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("h.csv");
        std::fs::write(&good, "handle_s\n10\n20\n30\n").unwrap();
        let d = DistSpec::Empirical {
            file: "h.csv".into(),
            column: None,
        }
        .compile(dir.path())
        .unwrap();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        for _ in 0..100 {
            let v = d.sample(&mut rng);
            assert!([10_000_000, 20_000_000, 30_000_000].contains(&v));
        }
        let empty = dir.path().join("e.csv");
        std::fs::write(&empty, "handle_s\n").unwrap();
        let err = DistSpec::Empirical {
            file: "e.csv".into(),
            column: None,
        }
        .compile(dir.path())
        .unwrap_err();
        assert!(err.contains("no numbers"), "{err}");
        let err = DistSpec::Empirical {
            file: "missing.csv".into(),
            column: None,
        }
        .compile(dir.path())
        .unwrap_err();
        assert!(err.contains("missing.csv"), "{err}");
    }
}
