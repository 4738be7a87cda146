//! Scenario problems: each names the file, the line or key, what is wrong and
//! what would be right. `validate` lists all of them at once.

use std::fmt;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct Problem {
    /// "line 12, column 3" or a key path such as "services.support.workflow".
    pub location: String,
    pub message: String,
}

#[derive(Debug, Clone)]
pub struct ScenarioError {
    pub file: PathBuf,
    pub problems: Vec<Problem>,
}

impl ScenarioError {
    pub fn new(file: &Path) -> Self {
        ScenarioError {
            file: file.to_path_buf(),
            problems: Vec::new(),
        }
    }

    pub fn single(file: &Path, location: impl Into<String>, message: impl Into<String>) -> Self {
        let mut e = Self::new(file);
        e.push(location, message);
        e
    }

    pub fn push(&mut self, location: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            location: location.into(),
            message: message.into(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.problems.is_empty()
    }

    /// Converts a TOML deserialization error into a problem with a line number.
    pub fn from_toml(file: &Path, text: &str, err: &toml::de::Error) -> Self {
        let location = match err.span() {
            Some(span) => line_col(text, span.start),
            None => "document".to_string(),
        };
        Self::single(file, location, err.message().trim().to_string())
    }
}

/// "line L, column C" (both 1-based) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> String {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    format!("line {line}, column {col}")
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}: {}: {}", self.file.display(), p.location, p.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for ScenarioError {}
