//! Nimbus's nine task priorities. Index 0 is served first.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Priority {
    Strict = 0,
    Highest,
    VeryHigh,
    High,
    Normal,
    Low,
    VeryLow,
    Lowest,
    NothingElse,
}

pub const LEVELS: usize = 9;

impl Priority {
    pub const ALL: [Priority; LEVELS] = [
        Priority::Strict,
        Priority::Highest,
        Priority::VeryHigh,
        Priority::High,
        Priority::Normal,
        Priority::Low,
        Priority::VeryLow,
        Priority::Lowest,
        Priority::NothingElse,
    ];

    #[inline]
    pub fn index(self) -> usize {
        self as usize
    }

    pub fn from_index(i: usize) -> Priority {
        Self::ALL[i]
    }

    pub fn name(self) -> &'static str {
        match self {
            Priority::Strict => "strict",
            Priority::Highest => "highest",
            Priority::VeryHigh => "very_high",
            Priority::High => "high",
            Priority::Normal => "normal",
            Priority::Low => "low",
            Priority::VeryLow => "very_low",
            Priority::Lowest => "lowest",
            Priority::NothingElse => "nothing_else",
        }
    }

    /// Accepts snake_case and Nimbus's CamelCase names.
    pub fn parse(s: &str) -> Result<Priority, String> {
        let norm: String = s
            .chars()
            .filter(|c| *c != '_' && *c != '-' && *c != ' ')
            .collect::<String>()
            .to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|p| p.name().replace('_', "") == norm)
            .ok_or_else(|| {
                format!(
                    "unknown priority \"{s}\"; expected one of {}",
                    Self::ALL.map(|p| p.name()).join(", ")
                )
            })
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_names() {
        assert_eq!(
            Priority::parse("NothingElse").unwrap(),
            Priority::NothingElse
        );
        assert_eq!(Priority::parse("very_high").unwrap(), Priority::VeryHigh);
        assert_eq!(Priority::parse("Normal").unwrap(), Priority::Normal);
        assert!(Priority::parse("urgent").is_err());
        assert!(Priority::Strict < Priority::Normal);
    }
}
