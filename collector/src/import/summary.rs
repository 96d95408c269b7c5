//! The import summary: lines read, accepted, and each skip reason with its count and first line.
use std::collections::BTreeMap;
use std::fmt::Write;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    pub lines_read: u64,
    pub accepted: u64,
    /// reason → (count, "file:line" of its first occurrence)
    pub skipped: BTreeMap<&'static str, (u64, String)>,
    pub(crate) last_time: Option<u32>,
}

impl Summary {
    pub fn skip(&mut self, reason: &'static str, file: &str, line: u64) {
        let e = self
            .skipped
            .entry(reason)
            .or_insert_with(|| (0, format!("{file}:{line}")));
        e.0 += 1;
    }

    pub fn skipped_total(&self) -> u64 {
        self.skipped.values().map(|(n, _)| n).sum()
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "lines read: {}", self.lines_read);
        let _ = writeln!(out, "accepted:   {}", self.accepted);
        let _ = writeln!(out, "skipped:    {}", self.skipped_total());
        for (reason, (count, first)) in &self.skipped {
            let _ = writeln!(out, "  {reason:<20} {count:>10}  first at {first}");
        }
        out
    }
}
