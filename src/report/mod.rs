//! Output: CSV / JSON / HTML writers, thresholds, compare, merge. Libraries do not print; the CLI does.

pub mod atomic;
pub mod compare;
pub mod compare_intervals;
pub mod fmt;
pub mod html;
pub mod interval_counts;
pub mod line;
pub mod merge;
pub mod outdir;
pub mod per_interval;
pub mod results;
pub mod session_stats;
pub mod streams;
pub mod summary;
pub mod svg;
pub mod table;
pub mod thresholds;
pub mod verify;
