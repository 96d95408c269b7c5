//! The vendored list compiles, and the rules meet their bounds on public samples that
//! neither we nor isbot wrote: the example agents of npm `crawler-user-agents` (every one a
//! bot) and the real-browser agents of npm `user-agents` (every one a person), both in
//! `collector/testdata/ua/` (refreshed by `scripts/refresh-bot-patterns.sh`).
//!
//! `cargo test -p emc-collector --lib bots -- --nocapture` prints the measured figures.
use super::*;
use crate::enrich::user_agent::{UaParser, UaVerdict};

const CRAWLERS: &str = include_str!("../../../testdata/ua/crawlers.txt");
const BROWSERS: &str = include_str!("../../../testdata/ua/browsers.tsv");

/// At least this share of the crawler sample is dropped.
const MIN_CRAWLERS_DROPPED: f64 = 0.97;
/// At most this share of the browser sample is dropped.
const MAX_BROWSERS_DROPPED: f64 = 0.002;

fn is_bot(parser: &UaParser, ua: &str) -> bool {
    matches!(parser.parse(ua), UaVerdict::Bot(_))
}

#[test]
fn the_vendored_isbot_list_compiles() {
    let patterns: Vec<String> = serde_json::from_str(ISBOT_PATTERNS).unwrap();
    assert!(patterns.len() >= 150, "{} patterns", patterns.len());
    let rules = BotRules::new().unwrap();
    // Only the look-around patterns need the backtracking engine.
    let lookaround = patterns
        .iter()
        .filter(|p| p.contains("(?<") || p.contains("(?=") || p.contains("(?!"))
        .count();
    assert_eq!(rules.isbot_fancy.len(), lookaround);
    assert!(lookaround < 20, "{lookaround} look-around patterns");
    assert!(BotRules::with_isbot(&["(unclosed".into()]).is_err());
    assert!(BotRules::with_isbot(&[]).is_err());
}

#[test]
fn javascript_class_ranges_become_literals() {
    let cases = [
        (r"[\w\d-.]+", r"[\w\d\-.]+"),
        (r"[a-z-]", r"[a-z-]"),
        (r"[-\w]", r"[\-\w]"),
        (r"a-b[\s-x]-c", r"a-b[\s\-x]-c"),
        (r"\[\w-x\]", r"\[\w-x\]"),
    ];
    for (js, rust) in cases {
        assert_eq!(from_javascript(js), rust, "{js}");
    }
}

#[test]
fn look_around_patterns_keep_their_meaning() {
    let rules = BotRules::shared();
    // `(?<! cu)bots?(?:\b|_)`: a bot, but not a CUBOT phone.
    let cubot = "Mozilla/5.0 (Linux; Android 10; CUBOT X30) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36";
    assert_eq!(rules.classify(cubot), None);
    assert_eq!(
        rules.classify("Mozilla/5.0 (compatible; MyBot/1.0)"),
        Some(BotKind::Crawler)
    );
    // `(?<!lib)http`: an HTTP client name, but not libhttp.
    assert_eq!(
        rules.classify("Mozilla/5.0 (X11) MyHttpClient/2"),
        Some(BotKind::Crawler)
    );
}

#[test]
fn own_rules_name_the_kind() {
    let rules = BotRules::shared();
    let cases = [
        ("", Some(BotKind::Empty)),
        (" - ", Some(BotKind::Empty)),
        ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36", Some(BotKind::Headless)),
        ("curl/8.5.0", Some(BotKind::Tool)),
        ("python-requests/2.32.3", Some(BotKind::Tool)),
        ("Mozilla/5.0 zgrab/0.x", Some(BotKind::Crawler)),
        // emc-scanner's browser (scanner/src/browser/mod.rs USER_AGENT).
        ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 EMC-Scanner/0.1 (Vietnamese government website monitoring)", Some(BotKind::Crawler)),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", None),
    ];
    for (ua, want) in cases {
        assert_eq!(rules.classify(ua), want, "{ua:?}");
    }
}

struct Rates {
    crawlers: usize,
    crawlers_dropped: usize,
    browsers: usize,
    browsers_dropped: usize,
    browser_visits: usize,
    browser_visits_dropped: usize,
}

fn measure() -> (Rates, Vec<String>, Vec<String>) {
    let parser = UaParser::new();
    let crawlers: Vec<&str> = CRAWLERS.lines().filter(|l| !l.is_empty()).collect();
    let missed: Vec<String> = crawlers
        .iter()
        .filter(|ua| !is_bot(&parser, ua))
        .map(|ua| ua.to_string())
        .collect();
    let mut rates = Rates {
        crawlers: crawlers.len(),
        crawlers_dropped: crawlers.len() - missed.len(),
        browsers: 0,
        browsers_dropped: 0,
        browser_visits: 0,
        browser_visits_dropped: 0,
    };
    let mut dropped = Vec::new();
    for line in BROWSERS.lines().filter(|l| !l.is_empty()) {
        let (count, ua) = line.split_once('\t').expect("count<TAB>agent");
        let count: usize = count.parse().expect("a count");
        rates.browsers += 1;
        rates.browser_visits += count;
        if is_bot(&parser, ua) {
            rates.browsers_dropped += 1;
            rates.browser_visits_dropped += count;
            dropped.push(ua.to_owned());
        }
    }
    (rates, missed, dropped)
}

fn share(part: usize, whole: usize) -> f64 {
    part as f64 / whole as f64
}

#[test]
fn bounds_on_public_samples() {
    let (r, missed, dropped) = measure();
    println!(
        "crawler-user-agents: {} of {} agents dropped ({:.2} %)",
        r.crawlers_dropped,
        r.crawlers,
        100.0 * share(r.crawlers_dropped, r.crawlers)
    );
    println!(
        "user-agents: {} of {} distinct browser agents dropped ({:.2} %), {} of {} sampled visits ({:.2} %)",
        r.browsers_dropped,
        r.browsers,
        100.0 * share(r.browsers_dropped, r.browsers),
        r.browser_visits_dropped,
        r.browser_visits,
        100.0 * share(r.browser_visits_dropped, r.browser_visits)
    );
    println!(
        "crawler agents counted as people:\n  {}",
        missed.join("\n  ")
    );
    println!("browser agents dropped:\n  {}", dropped.join("\n  "));
    assert!(r.crawlers >= 2_000 && r.browsers >= 900 && r.browser_visits >= 10_000);
    assert!(share(r.crawlers_dropped, r.crawlers) >= MIN_CRAWLERS_DROPPED);
    assert!(share(r.browsers_dropped, r.browsers) <= MAX_BROWSERS_DROPPED);
    assert!(share(r.browser_visits_dropped, r.browser_visits) <= MAX_BROWSERS_DROPPED);
}

#[test]
fn kind_names() {
    let names = BotKind::ALL.map(BotKind::as_str);
    assert_eq!(names, ["crawler", "headless", "tool", "empty_ua"]);
}
