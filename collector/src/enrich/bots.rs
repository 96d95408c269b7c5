//! Is a User-Agent a person? Our own rules first (empty agents, automated browsers, HTTP
//! tools, a few scanners), then the maintained pattern list of the npm package `isbot`
//! (Unlicense), vendored as data in `data/isbot/patterns.json` and refreshed from the
//! registry by `scripts/refresh-bot-patterns.sh`. woothee's `crawler` category is asked
//! afterwards by [`super::user_agent`], which also caches every verdict per agent.
//!
//! isbot's patterns are JavaScript regular expressions, tested case-insensitively. All but
//! a handful compile with the `regex` crate and are joined into one automaton (ASCII
//! classes and case folding, as JavaScript's without the `u` flag); the few that need
//! look-around (`(?<! cu)bots?`, so that a CUBOT phone is not a bot) go to `fancy-regex`.

use std::sync::LazyLock;

use regex::bytes::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};

/// Why an agent is not a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BotKind {
    /// A crawler, monitor, scraper or preview fetcher: isbot's list, woothee's `crawler`
    /// category, or one of our own scanner names.
    Crawler,
    /// An automated browser: HeadlessChrome, PhantomJS, Puppeteer, Playwright, Selenium, Lighthouse…
    Headless,
    /// An HTTP library or command-line client: curl, wget, python-requests, Go-http-client…
    Tool,
    /// An empty or blank User-Agent.
    Empty,
}

impl BotKind {
    pub const ALL: [BotKind; 4] = [
        BotKind::Crawler,
        BotKind::Headless,
        BotKind::Tool,
        BotKind::Empty,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BotKind::Crawler => "crawler",
            BotKind::Headless => "headless",
            BotKind::Tool => "tool",
            BotKind::Empty => "empty_ua",
        }
    }
}

/// Our own rules: lower-case substrings and the kind they mean, checked before isbot's
/// list so that a headless browser or a tool is named as such.
const OWN_RULES: &[(BotKind, &[&str])] = &[
    (
        BotKind::Headless,
        &[
            "headlesschrome",
            "headlessshell",
            "phantomjs",
            "slimerjs",
            "puppeteer",
            "playwright",
            "selenium",
            "webdriver",
            "lighthouse",
            "htmlunit",
            "cypress",
        ],
    ),
    (
        BotKind::Tool,
        &[
            "curl/",
            "libcurl",
            "wget/",
            "python-requests",
            "python-urllib",
            "python-httpx",
            "aiohttp",
            "go-http-client",
            "okhttp",
            "java/",
            "apache-httpclient",
            "libwww-perl",
            "lwp::",
            "scrapy",
            "axios/",
            "node-fetch",
            "undici",
            "got (https://github.com/sindresorhus/got)",
            "postmanruntime",
            "insomnia/",
            "httpie",
            "guzzlehttp",
            "http.rb",
            "faraday",
            "mechanize",
            "winhttp",
            "powershell",
            "aria2",
            "dart:io",
        ],
    ),
    (
        BotKind::Crawler,
        &[
            "mediapartners-google",
            "google-inspectiontool",
            "feedfetcher",
            "ia_archiver",
            "gtmetrix",
            "zgrab",
            "masscan",
            "nmap",
            "nuclei",
            // EMC's own scanner: its browser loads every registered homepage daily and lets the
            // tag fire (to check it answers 202); monitoring is not a visit.
            "emc-scanner",
        ],
    ),
];

/// isbot's pattern list as published in the package (its `list` export).
const ISBOT_PATTERNS: &str = include_str!("data/isbot/patterns.json");

/// The compiled rules. Build once ([`BotRules::shared`]); matching takes `&self`.
pub struct BotRules {
    /// One pattern per own substring; the index says its kind through `own_kinds`.
    own: RegexSet,
    own_kinds: Vec<BotKind>,
    /// isbot's patterns that the `regex` crate compiles, as one alternation.
    isbot: Regex,
    /// isbot's patterns with look-around.
    isbot_fancy: Vec<fancy_regex::Regex>,
}

impl std::fmt::Debug for BotRules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BotRules")
            .field("own", &self.own_kinds.len())
            .field("isbot_fancy", &self.isbot_fancy.len())
            .finish_non_exhaustive()
    }
}

static SHARED: LazyLock<BotRules> = LazyLock::new(|| {
    BotRules::new().expect("the vendored isbot patterns are checked by the tests")
});

impl BotRules {
    /// The rules compiled once per process.
    pub fn shared() -> &'static BotRules {
        &SHARED
    }

    /// Compiles our rules and the vendored isbot list.
    pub fn new() -> Result<BotRules, String> {
        let patterns: Vec<String> = serde_json::from_str(ISBOT_PATTERNS)
            .map_err(|e| format!("data/isbot/patterns.json: {e}"))?;
        Self::with_isbot(&patterns)
    }

    fn with_isbot(patterns: &[String]) -> Result<BotRules, String> {
        let (own_kinds, own): (Vec<BotKind>, Vec<String>) = OWN_RULES
            .iter()
            .flat_map(|(kind, subs)| subs.iter().map(move |s| (*kind, regex::escape(s))))
            .unzip();
        let own = RegexSetBuilder::new(own)
            .case_insensitive(true)
            .unicode(false)
            .build()
            .map_err(|e| format!("own rules: {e}"))?;
        let mut plain = Vec::new();
        let mut isbot_fancy = Vec::new();
        for pattern in patterns {
            let pattern = &from_javascript(pattern);
            if ascii_regex(pattern).is_ok() {
                plain.push(format!("(?:{pattern})"));
            } else {
                let fancy = fancy_regex::Regex::new(&format!("(?i){pattern}"))
                    .map_err(|e| format!("isbot pattern {pattern:?}: {e}"))?;
                isbot_fancy.push(fancy);
            }
        }
        if plain.is_empty() {
            return Err("isbot: empty pattern list".into());
        }
        let isbot = ascii_regex(&plain.join("|")).map_err(|e| format!("isbot patterns: {e}"))?;
        Ok(BotRules {
            own,
            own_kinds,
            isbot,
            isbot_fancy,
        })
    }

    /// The kind of bot `ua` is, or `None` for (what may be) a person.
    pub fn classify(&self, ua: &str) -> Option<BotKind> {
        let ua = ua.trim();
        if ua.is_empty() || ua == "-" {
            return Some(BotKind::Empty);
        }
        let own = self.own.matches(ua.as_bytes());
        // The first matching rule in OWN_RULES order: headless before tool before crawler.
        if let Some(first) = own.iter().next() {
            return Some(self.own_kinds[first]);
        }
        let listed = self.isbot.is_match(ua.as_bytes())
            || self
                .isbot_fancy
                .iter()
                .any(|re| re.is_match(ua).unwrap_or(false));
        listed.then_some(BotKind::Crawler)
    }
}

/// The one JavaScript spelling the Rust parsers refuse: in a character class, a `-` next to
/// a class escape (`[\w-.]`) is a literal in JavaScript; here it is written `\-`.
fn from_javascript(pattern: &str) -> String {
    let is_class_escape = |c: Option<&char>| matches!(c, Some('w' | 'W' | 'd' | 'D' | 's' | 'S'));
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() + 4);
    let (mut in_class, mut i) = (false, 0);
    // Whether the previous item of the class was a class escape.
    let mut after_escape = false;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' && i + 1 < chars.len() {
            out.push(c);
            out.push(chars[i + 1]);
            after_escape = in_class && is_class_escape(chars.get(i + 1));
            i += 2;
            continue;
        }
        if in_class && c == '-' {
            let next_is_escape =
                chars.get(i + 1) == Some(&'\\') && is_class_escape(chars.get(i + 2));
            if after_escape || next_is_escape {
                out.push_str("\\-");
                after_escape = false;
                i += 1;
                continue;
            }
        }
        match c {
            '[' if !in_class => in_class = true,
            ']' if in_class => in_class = false,
            _ => {}
        }
        after_escape = false;
        out.push(c);
        i += 1;
    }
    out
}

/// A case-insensitive, ASCII-only (`\w`, `\d`, `\b`, case folding) byte regex, as
/// JavaScript reads a pattern without the `u` flag.
fn ascii_regex(pattern: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(pattern)
        .case_insensitive(true)
        .unicode(false)
        .size_limit(64 << 20)
        .dfa_size_limit(16 << 20)
        .build()
}

#[cfg(test)]
mod tests;
