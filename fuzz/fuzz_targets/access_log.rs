//! Access-log lines: any text through `parse_combined`, and a parsed line through the
//! page-view rule and the target splitter the importer applies next. Must never panic.
#![no_main]
use emc_collector::import::parse::{page_view_rule, parse_combined, split_target};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for line in text.lines() {
        if let Ok(l) = parse_combined(line) {
            let _ = page_view_rule(&l, |ua| ua.contains("bot"));
            let _ = split_target(&l.target);
        }
    }
});
