//! A small table of text cells, rendered for a terminal (aligned columns) or
//! as Markdown. Builders live next to the data (`Summary::headline`, sweep,
//! staffing); the CLI picks the rendering with `--format`.

#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new<S: Into<String>>(headers: impl IntoIterator<Item = S>) -> Table {
        Table {
            headers: headers.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
        }
    }

    pub fn push(&mut self, row: Vec<String>) {
        debug_assert_eq!(row.len(), self.headers.len());
        self.rows.push(row);
    }

    fn widths(&self) -> Vec<usize> {
        let mut w: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for r in &self.rows {
            for (i, c) in r.iter().enumerate() {
                w[i] = w[i].max(c.chars().count());
            }
        }
        w
    }

    /// Aligned columns: the first left-aligned (names), the rest right-aligned
    /// (numbers). No colour, no trailing spaces.
    pub fn to_text(&self) -> String {
        let w = self.widths();
        let mut out = String::new();
        for r in std::iter::once(&self.headers).chain(&self.rows) {
            let mut line = String::new();
            for (i, c) in r.iter().enumerate() {
                let pad = w[i] - c.chars().count();
                if i == 0 {
                    line.push_str(c);
                    line.extend(std::iter::repeat_n(' ', pad));
                } else {
                    line.push_str("  ");
                    line.extend(std::iter::repeat_n(' ', pad));
                    line.push_str(c);
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }

    /// A GitHub-flavoured Markdown table; `|` in cells is escaped.
    pub fn to_markdown(&self) -> String {
        let esc = |c: &str| c.replace('|', "\\|");
        let mut out = String::new();
        let line = |cells: &[String]| {
            let v: Vec<String> = cells.iter().map(|c| esc(c)).collect();
            format!("| {} |\n", v.join(" | "))
        };
        out.push_str(&line(&self.headers));
        let rule: Vec<&str> = (0..self.headers.len())
            .map(|i| if i == 0 { "---" } else { "---:" })
            .collect();
        out.push_str(&format!("|{}|\n", rule.join("|")));
        for r in &self.rows {
            out.push_str(&line(r));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_text_and_markdown() {
        let mut t = Table::new(["point", "SL"]);
        t.push(vec!["1".into(), "0.8".into()]);
        t.push(vec!["10".into(), "0.95|x".into()]);
        assert_eq!(t.to_text(), "point      SL\n1         0.8\n10     0.95|x\n");
        assert_eq!(
            t.to_markdown(),
            "| point | SL |\n|---|---:|\n| 1 | 0.8 |\n| 10 | 0.95\\|x |\n"
        );
    }
}
