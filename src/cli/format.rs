//! `--format text|json|markdown` for the stdout summary of every command.
//! JSON is the same document the command writes to its folder (summary.json,
//! sweep.json, staffing.json), so scripts can read either. Output never has
//! colour, so NO_COLOR needs no handling.

use clap::ValueEnum;

use crate::out;
use crate::report::table::Table;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Format {
    /// Aligned columns for a terminal.
    #[default]
    Text,
    /// The command's JSON document.
    Json,
    /// Markdown, to paste into a ticket or a README.
    Markdown,
}

/// Prints a command's result: `lines` are the human notes (a heading line,
/// where results are); `json` the document. Text and Markdown show the notes
/// and the table; JSON shows the document alone.
pub fn emit(format: Format, lines: &[String], table: &Table, json: &str) {
    match format {
        Format::Json => out!("{}", json.trim_end()),
        Format::Text => {
            for l in lines {
                out!("{l}");
            }
            out!("{}", table.to_text().trim_end());
        }
        Format::Markdown => {
            for l in lines {
                out!("{l}\n");
            }
            out!("{}", table.to_markdown().trim_end());
        }
    }
}
