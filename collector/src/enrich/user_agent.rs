//! `put_user_agent`: browser, OS and device class from the User-Agent, or the
//! reason it is not a person. Bots are found by [`super::bots`] (our rules and isbot's
//! list), then by woothee's `crawler` category; parsing is woothee. Verdicts are cached
//! because the same few thousand UAs make most traffic.

use quick_cache::sync::Cache;
use std::sync::Arc;

pub use super::bots::BotKind;
use super::bots::BotRules;

/// Distinct UAs whose verdict is kept.
pub const CACHE_ENTRIES: usize = 10_000;
/// Longer UAs are parsed but not cached (they are junk or attacks, and rarely repeat).
const MAX_CACHED_UA_BYTES: usize = 1_024;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UaInfo {
    pub browser: String,
    pub browser_version: String,
    pub os: String,
    pub os_version: String,
    /// "desktop" | "mobile" | "tablet" | "other"
    pub device: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UaVerdict {
    Human(Arc<UaInfo>),
    Bot(BotKind),
}

/// Parses User-Agents, remembering the verdicts of the last [`CACHE_ENTRIES`] distinct ones.
/// Cheap to share: `parse` takes `&self` and may be called from many threads.
pub struct UaParser {
    bots: &'static BotRules,
    woothee: woothee::parser::Parser,
    cache: Cache<String, UaVerdict>,
}

impl Default for UaParser {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for UaParser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UaParser")
            .field("cached", &self.cache.len())
            .finish_non_exhaustive()
    }
}

impl UaParser {
    pub fn new() -> Self {
        Self::with_capacity(CACHE_ENTRIES)
    }

    pub fn with_capacity(entries: usize) -> Self {
        UaParser {
            bots: BotRules::shared(),
            woothee: woothee::parser::Parser::new(),
            cache: Cache::new(entries.max(1)),
        }
    }

    pub fn parse(&self, ua: &str) -> UaVerdict {
        if ua.len() > MAX_CACHED_UA_BYTES {
            return self.parse_uncached(ua);
        }
        if let Some(hit) = self.cache.get(ua) {
            return hit;
        }
        let verdict = self.parse_uncached(ua);
        self.cache.insert(ua.to_owned(), verdict.clone());
        verdict
    }

    fn parse_uncached(&self, ua: &str) -> UaVerdict {
        if let Some(kind) = self.bots.classify(ua) {
            return UaVerdict::Bot(kind);
        }
        let ua = ua.trim();
        let Some(w) = self.woothee.parse(ua) else {
            return UaVerdict::Human(Arc::new(UaInfo {
                device: "other".into(),
                ..UaInfo::default()
            }));
        };
        if w.category == "crawler" {
            return UaVerdict::Bot(BotKind::Crawler);
        }
        if w.name == "HTTP Library" {
            return UaVerdict::Bot(BotKind::Tool);
        }
        let (os, os_version) = os_name(w.os, &w.os_version);
        let (browser, browser_version) = browser_name(ua, w.name, w.version);
        let device = device(ua, w.category, w.os).into();
        UaVerdict::Human(Arc::new(UaInfo {
            browser,
            browser_version,
            os,
            os_version,
            device,
        }))
    }
}

fn device(ua: &str, category: &str, os: &str) -> &'static str {
    match category {
        "pc" => "desktop",
        "smartphone" if ua.contains("iPad") || ua.contains("Tablet") => "tablet",
        "smartphone" if os == "Android" && !ua.contains("Mobile") => "tablet",
        "smartphone" | "mobilephone" => "mobile",
        _ => "other",
    }
}

/// woothee's "UNKNOWN" (and "UNKNOWN Ver") as "".
fn known(value: &str) -> String {
    if value.starts_with(woothee::woothee::VALUE_UNKNOWN) {
        String::new()
    } else {
        value.to_owned()
    }
}

/// woothee's OS names, made uniform: `Windows 10` → (`Windows`, `10`), `iPhone` → `iOS`.
fn os_name(os: &str, version: &str) -> (String, String) {
    match os {
        "iPhone" | "iPad" | "iPod" => ("iOS".into(), known(version)),
        "Mac OSX" => ("macOS".into(), known(version)),
        // `x86_64 14541.0.0` → `14541.0.0`
        "ChromeOS" => (
            "ChromeOS".into(),
            known(version.rsplit(' ').next().unwrap_or("")),
        ),
        _ => match os.strip_prefix("Windows ") {
            Some(v) if !v.starts_with("Phone") => ("Windows".into(), known(v.trim())),
            _ => (known(os), known(version)),
        },
    }
}

/// woothee's browser, except for Vietnamese and in-app browsers it calls Chrome or Webview.
fn browser_name(ua: &str, name: &str, version: &str) -> (String, String) {
    if let Some(v) = token_version(ua, "coc_coc_browser/") {
        return ("Cốc Cốc".into(), v.into());
    }
    if ua.contains("ZaloTheme/") || ua.contains("ZaloLanguage/") {
        return ("Zalo".into(), String::new());
    }
    if ua.contains("FBAN/") || ua.contains("FB_IAB/") || ua.contains("FBAV/") {
        let v = token_version(ua, "FBAV/").unwrap_or("");
        return ("Facebook".into(), v.into());
    }
    match name {
        "SamsungBrowser" => ("Samsung Internet".into(), known(version)),
        _ => (known(name), known(version)),
    }
}

fn token_version<'a>(ua: &'a str, token: &str) -> Option<&'a str> {
    let rest = &ua[ua.find(token)? + token.len()..];
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    Some(&rest[..end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use BotKind::*;

    /// `user agent | browser | version | os | os version | device`
    const HUMANS: &str = "
Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 | Chrome | 131.0.0.0 | Windows | 10 | desktop
Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86 | Edge | 131.0.2903.86 | Windows | 10 | desktop
Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0 | Firefox | 133.0 | Windows | 10 | desktop
Mozilla/5.0 (Windows NT 6.1; Win64; x64; Trident/7.0; rv:11.0) like Gecko | Internet Explorer | 11.0 | Windows | 7 | desktop
Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15 | Safari | 17.5 | macOS | 10.15.7 | desktop
Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 | Chrome | 131.0.0.0 | Linux | | desktop
Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 | Chrome | 120.0.0.0 | ChromeOS | 14541.0.0 | desktop
Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1 | Safari | 17.5 | iOS | 17.5 | mobile
Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1 | Safari | 16.6 | iOS | 16.6 | tablet
Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.104 Mobile Safari/537.36 | Chrome | 131.0.6778.104 | Android | 14 | mobile
Mozilla/5.0 (Linux; Android 13; SM-X706B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.104 Safari/537.36 | Chrome | 131.0.6778.104 | Android | 13 | tablet
Mozilla/5.0 (Android 14; Tablet; rv:133.0) Gecko/133.0 Firefox/133.0 | Firefox | 133.0 | Android | 14 | tablet
Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0 | Firefox | 133.0 | Android | 14 | mobile
Mozilla/5.0 (Linux; Android 10; CUBOT X30) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36 | Chrome | 120.0.0.0 | Android | 10 | mobile
Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) coc_coc_browser/117.0.0 Chrome/111.0.5563.148 Safari/537.36 | Cốc Cốc | 117.0.0 | Windows | 10 | desktop
Mozilla/5.0 (Linux; Android 12; SM-A525F) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0.6099.230 Mobile Safari/537.36 Zalo android/12100632 ZaloTheme/light ZaloLanguage/vn | Zalo | | Android | 12 | mobile
Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/440.0.0.34.109;FBSN/iOS;FBSV/17.1;FBLC/vi_VN] | Facebook | 440.0.0.34.109 | iOS | 17.1 | mobile
Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36 | Samsung Internet | 23.0 | Android | 10 | mobile
Mozilla/5.0 (PlayStation 4 3.11) AppleWebKit/537.73 (KHTML, like Gecko) | PlayStation 4 | | PlayStation 4 | 3.11 | other
";

    /// `user agent | kind`; the HeadlessChrome row is Debian's Chromium in the browser tests.
    const BOTS: &str = "
- | empty_ua
Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.6099.5 Safari/537.36 | headless
Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/538.1 (KHTML, like Gecko) PhantomJS/2.1.1 Safari/538.1 | headless
Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Mobile Safari/537.36 Chrome-Lighthouse | headless
Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html) | crawler
Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Googlebot/2.1; +http://www.google.com/bot.html) Chrome/131.0.6778.139 Safari/537.36 | crawler
Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) | crawler
Mozilla/5.0 (compatible; coccocbot-web/1.0; +http://help.coccoc.com/searchengine) | crawler
Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/) | crawler
facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php) | crawler
Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html) | crawler
Mozilla/5.0 (Linux; Android 5.0) AppleWebKit/537.36 (KHTML, like Gecko) Mobile Safari/537.36 (compatible; Bytespider; spider-feedback@bytedance.com) | crawler
Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 SiteCRAWLER/1.0 | crawler
Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot) | crawler
curl/8.5.0 | tool
Wget/1.21.4 | tool
python-requests/2.31.0 | tool
Python-urllib/3.11 | tool
Go-http-client/1.1 | tool
okhttp/4.12.0 | tool
Java/17.0.2 | tool
Apache-HttpClient/4.5.14 (Java/17.0.9) | tool
libwww-perl/6.72 | tool
Scrapy/2.11.0 (+https://scrapy.org) | tool
axios/1.6.2 | tool
PostmanRuntime/7.36.0 | tool
Ruby | crawler
Mozilla/5.0 | crawler
Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Mobile Safari/537.36 (compatible; Google-Read-Aloud; +https://support.google.com/webmasters/answer/1061943) | crawler
Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/117.0.0.0 Safari/537.36 GTmetrix | crawler
Mozilla/5.0 (compatible; UptimeRobot/2.0; http://www.uptimerobot.com/) | crawler
Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html) | crawler
Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36; ClaudeBot/1.0; +claudebot@anthropic.com | crawler
";

    /// Splits `a | b | c` rows, skipping blank lines.
    fn rows(table: &str) -> impl Iterator<Item = Vec<&str>> {
        table
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| l.split('|').map(str::trim).collect())
    }

    #[test]
    fn browsers_os_and_devices() {
        let parser = UaParser::new();
        for row in rows(HUMANS) {
            let want = UaVerdict::Human(Arc::new(UaInfo {
                browser: row[1].into(),
                browser_version: row[2].into(),
                os: row[3].into(),
                os_version: row[4].into(),
                device: row[5].into(),
            }));
            assert_eq!(parser.parse(row[0]), want, "{}", row[0]);
            assert_eq!(parser.parse(row[0]), want, "cached: {}", row[0]);
        }
    }

    #[test]
    fn bots() {
        let parser = UaParser::new();
        for blank in ["", "   ", "\t"] {
            assert_eq!(parser.parse(blank), UaVerdict::Bot(Empty), "{blank:?}");
        }
        for row in rows(BOTS) {
            let got = match parser.parse(row[0]) {
                UaVerdict::Bot(kind) => kind.as_str(),
                UaVerdict::Human(info) => panic!("{:?} is not a bot: {info:?}", row[0]),
            };
            assert_eq!(got, row[1], "{:?}", row[0]);
        }
    }

    #[test]
    fn cache_is_bounded_and_shared_across_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<UaParser>();

        let parser = std::sync::Arc::new(UaParser::with_capacity(64));
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let parser = parser.clone();
                std::thread::spawn(move || {
                    for i in 0..500 {
                        let ua =
                            format!("Mozilla/5.0 (Windows NT 10.0) Chrome/{t}.{i} Safari/537.36");
                        assert!(matches!(parser.parse(&ua), UaVerdict::Human(_)));
                    }
                })
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        assert!(parser.cache.len() <= 64, "{} cached", parser.cache.len());

        // Oversized UAs are answered but not cached.
        let before = parser.cache.len();
        let huge = format!(
            "Mozilla/5.0 (Windows NT 10.0; {}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
            "x".repeat(5_000)
        );
        assert!(matches!(parser.parse(&huge), UaVerdict::Human(_)));
        assert_eq!(parser.cache.len(), before);
    }
}
