//! Output: CSV / JSON writers, thresholds. Libraries do not print; the CLI does.

pub mod atomic;
pub mod fmt;
pub mod streams;
pub mod summary;
pub mod table;
pub mod thresholds;
