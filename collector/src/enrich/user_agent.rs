//! `put_user_agent`: browser, OS and device class from the User-Agent, or the
//! reason it is not a person. Parsing is woothee plus a few checks of our own;
//! results are cached because the same few thousand UAs make most traffic.

use quick_cache::sync::Cache;

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
    Human(UaInfo),
    Bot(BotKind),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BotKind {
    /// woothee's `crawler` category, or a `bot` / `spider` / `crawl` token.
    Crawler,
    /// An automated browser: HeadlessChrome, PhantomJS, Puppeteer, Playwright, Selenium, Lighthouse…
    Headless,
    /// An HTTP library or command-line client: curl, wget, python-requests, Go-http-client…
    Tool,
    /// An empty or blank User-Agent.
    Empty,
}

impl BotKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BotKind::Crawler => "crawler",
            BotKind::Headless => "headless",
            BotKind::Tool => "tool",
            BotKind::Empty => "empty_ua",
        }
    }
}

/// Lower-case substrings of automated browsers.
const HEADLESS: &[&str] = &[
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
];

/// Lower-case substrings of HTTP libraries and command-line clients.
const TOOLS: &[&str] = &[
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
];

/// Lower-case substrings of crawlers and link-preview fetchers beyond woothee's list.
const CRAWLERS: &[&str] = &[
    "bot",
    "spider",
    "crawl",
    "slurp",
    "facebookexternalhit",
    "facebookcatalog",
    "mediapartners-google",
    "google-inspectiontool",
    "feedfetcher",
    "ia_archiver",
    "pingdom",
    "zgrab",
    "masscan",
    "nmap",
    "nuclei",
];

/// Phone makers whose model names contain a crawler token (`CUBOT X30`).
const NOT_CRAWLERS: &[&str] = &["cubot"];

/// Parses User-Agents, remembering the verdicts of the last [`CACHE_ENTRIES`] distinct ones.
/// Cheap to share: `parse` takes `&self` and may be called from many threads.
pub struct UaParser {
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
        let ua = ua.trim();
        if ua.is_empty() || ua == "-" {
            return UaVerdict::Bot(BotKind::Empty);
        }
        let lower = ua.to_ascii_lowercase();
        if HEADLESS.iter().any(|t| lower.contains(t)) {
            return UaVerdict::Bot(BotKind::Headless);
        }
        if TOOLS.iter().any(|t| lower.contains(t)) {
            return UaVerdict::Bot(BotKind::Tool);
        }
        let Some(w) = self.woothee.parse(ua) else {
            return self.human_or_crawler(
                &lower,
                UaInfo {
                    device: "other".into(),
                    ..UaInfo::default()
                },
            );
        };
        match w.category {
            "crawler" => return UaVerdict::Bot(BotKind::Crawler),
            _ if w.name == "HTTP Library" => return UaVerdict::Bot(BotKind::Tool),
            _ => {}
        }
        let (os, os_version) = os_name(w.os, &w.os_version);
        let (browser, browser_version) = browser_name(ua, w.name, w.version);
        let info = UaInfo {
            browser,
            browser_version,
            os,
            os_version,
            device: device(ua, w.category, w.os).into(),
        };
        self.human_or_crawler(&lower, info)
    }

    fn human_or_crawler(&self, lower: &str, info: UaInfo) -> UaVerdict {
        let mut scrubbed = std::borrow::Cow::Borrowed(lower);
        for token in NOT_CRAWLERS {
            if scrubbed.contains(token) {
                scrubbed = scrubbed.replace(token, " ").into();
            }
        }
        if CRAWLERS.iter().any(|t| scrubbed.contains(t)) {
            UaVerdict::Bot(BotKind::Crawler)
        } else {
            UaVerdict::Human(info)
        }
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

/// woothee's OS names, made uniform: `Windows 10` → (`Windows`, `10`), `iPhone` → `iOS`.
fn os_name(os: &str, version: &str) -> (String, String) {
    let clean = |v: &str| {
        if v == woothee::woothee::VALUE_UNKNOWN {
            String::new()
        } else {
            v.to_owned()
        }
    };
    match os {
        "iPhone" | "iPad" | "iPod" => ("iOS".into(), clean(version)),
        "Mac OSX" => ("macOS".into(), clean(version)),
        // `x86_64 14541.0.0` → `14541.0.0`
        "ChromeOS" => (
            "ChromeOS".into(),
            clean(version.rsplit(' ').next().unwrap_or("")),
        ),
        _ if os.starts_with("Windows ") && !os.starts_with("Windows Phone") => {
            let v = os["Windows ".len()..].trim();
            (
                "Windows".into(),
                if v == "UNKNOWN Ver" {
                    String::new()
                } else {
                    v.to_owned()
                },
            )
        }
        _ => (clean(os), clean(version)),
    }
}

/// woothee's browser, except for Vietnamese browsers and in-app browsers it calls Chrome or Safari.
fn browser_name(ua: &str, name: &str, version: &str) -> (String, String) {
    let clean = |v: &str| {
        if v == woothee::woothee::VALUE_UNKNOWN {
            String::new()
        } else {
            v.to_owned()
        }
    };
    if let Some(v) = token_version(ua, "coc_coc_browser/") {
        return ("Cốc Cốc".into(), v.into());
    }
    if ua.contains("Zalo") && (ua.contains("ZaloTheme/") || ua.contains("ZaloLanguage/")) {
        return ("Zalo".into(), String::new());
    }
    if ua.contains("FBAN/") || ua.contains("FB_IAB/") || ua.contains("FBAV/") {
        return (
            "Facebook".into(),
            token_version(ua, "FBAV/").unwrap_or("").into(),
        );
    }
    let name = if name == "SamsungBrowser" {
        "Samsung Internet"
    } else {
        name
    };
    (clean(name), clean(version))
}

fn token_version<'a>(ua: &'a str, token: &str) -> Option<&'a str> {
    let start = ua.find(token)? + token.len();
    let rest = &ua[start..];
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    Some(&rest[..end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use BotKind::*;

    fn human(browser: &str, bv: &str, os: &str, osv: &str, device: &str) -> UaVerdict {
        UaVerdict::Human(UaInfo {
            browser: browser.into(),
            browser_version: bv.into(),
            os: os.into(),
            os_version: osv.into(),
            device: device.into(),
        })
    }

    #[test]
    fn browsers_os_and_devices() {
        let cases: &[(&str, UaVerdict)] = &[
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
             human("Chrome", "131.0.0.0", "Windows", "10", "desktop")),
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86",
             human("Edge", "131.0.2903.86", "Windows", "10", "desktop")),
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
             human("Firefox", "133.0", "Windows", "10", "desktop")),
            ("Mozilla/5.0 (Windows NT 6.1; Win64; x64; Trident/7.0; rv:11.0) like Gecko",
             human("Internet Explorer", "11.0", "Windows", "7", "desktop")),
            ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
             human("Safari", "17.5", "macOS", "10.15.7", "desktop")),
            ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
             human("Chrome", "131.0.0.0", "Linux", "", "desktop")),
            ("Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
             human("Chrome", "120.0.0.0", "ChromeOS", "14541.0.0", "desktop")),
            ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
             human("Safari", "17.5", "iOS", "17.5", "mobile")),
            ("Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1",
             human("Safari", "16.6", "iOS", "16.6", "tablet")),
            ("Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.104 Mobile Safari/537.36",
             human("Chrome", "131.0.6778.104", "Android", "14", "mobile")),
            // Android without "Mobile" is a tablet.
            ("Mozilla/5.0 (Linux; Android 13; SM-X706B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.104 Safari/537.36",
             human("Chrome", "131.0.6778.104", "Android", "13", "tablet")),
            ("Mozilla/5.0 (Android 14; Tablet; rv:133.0) Gecko/133.0 Firefox/133.0",
             human("Firefox", "133.0", "Android", "14", "tablet")),
            ("Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0",
             human("Firefox", "133.0", "Android", "14", "mobile")),
            // A phone maker whose name contains "bot" is not a crawler.
            ("Mozilla/5.0 (Linux; Android 10; CUBOT X30) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
             human("Chrome", "120.0.0.0", "Android", "10", "mobile")),
            // Vietnamese and in-app browsers woothee calls Chrome or Webview.
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) coc_coc_browser/117.0.0 Chrome/111.0.5563.148 Safari/537.36",
             human("Cốc Cốc", "117.0.0", "Windows", "10", "desktop")),
            ("Mozilla/5.0 (Linux; Android 12; SM-A525F) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0.6099.230 Mobile Safari/537.36 Zalo android/12100632 ZaloTheme/light ZaloLanguage/vn",
             human("Zalo", "", "Android", "12", "mobile")),
            ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/440.0.0.34.109;FBBV/1;FBSN/iOS;FBSV/17.1;FBLC/vi_VN]",
             human("Facebook", "440.0.0.34.109", "iOS", "17.1", "mobile")),
            ("Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36",
             human("Samsung Internet", "23.0", "Android", "10", "mobile")),
            ("Mozilla/5.0 (PlayStation 4 3.11) AppleWebKit/537.73 (KHTML, like Gecko)",
             human("PlayStation 4", "", "PlayStation 4", "3.11", "other")),
            ("Mozilla/5.0", human("", "", "", "", "other")),
        ];
        let parser = UaParser::new();
        for (ua, want) in cases {
            assert_eq!(&parser.parse(ua), want, "{ua}");
            assert_eq!(&parser.parse(ua), want, "cached: {ua}");
        }
    }

    #[test]
    fn bots() {
        let cases: &[(&str, BotKind)] = &[
            ("", Empty),
            ("   ", Empty),
            ("-", Empty),
            // The browser tests' Debian Chromium, unless they override the UA.
            ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.6099.5 Safari/537.36", Headless),
            ("Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/538.1 (KHTML, like Gecko) PhantomJS/2.1.1 Safari/538.1", Headless),
            ("Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Mobile Safari/537.36 Chrome-Lighthouse", Headless),
            ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", Crawler),
            ("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Googlebot/2.1; +http://www.google.com/bot.html) Chrome/131.0.6778.139 Safari/537.36", Crawler),
            ("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", Crawler),
            ("Mozilla/5.0 (compatible; coccocbot-web/1.0; +http://help.coccoc.com/searchengine)", Crawler),
            ("Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)", Crawler),
            ("facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", Crawler),
            ("Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)", Crawler),
            // Browser-looking UAs that name themselves a spider or crawler.
            ("Mozilla/5.0 (Linux; Android 5.0) AppleWebKit/537.36 (KHTML, like Gecko) Mobile Safari/537.36 (compatible; Bytespider; spider-feedback@bytedance.com)", Crawler),
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 SiteCRAWLER/1.0", Crawler),
            ("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)", Crawler),
            ("curl/8.5.0", Tool),
            ("Wget/1.21.4", Tool),
            ("python-requests/2.31.0", Tool),
            ("Python-urllib/3.11", Tool),
            ("Go-http-client/1.1", Tool),
            ("okhttp/4.12.0", Tool),
            ("Java/17.0.2", Tool),
            ("Apache-HttpClient/4.5.14 (Java/17.0.9)", Tool),
            ("libwww-perl/6.72", Tool),
            ("Scrapy/2.11.0 (+https://scrapy.org)", Tool),
            ("axios/1.6.2", Tool),
            ("PostmanRuntime/7.36.0", Tool),
            ("Ruby", Tool),
        ];
        let parser = UaParser::new();
        for &(ua, kind) in cases {
            assert_eq!(parser.parse(ua), UaVerdict::Bot(kind), "{ua:?}");
        }
    }

    #[test]
    fn bot_kind_names() {
        let names: Vec<&str> = [Crawler, Headless, Tool, Empty]
            .iter()
            .map(|k| k.as_str())
            .collect();
        assert_eq!(names, ["crawler", "headless", "tool", "empty_ua"]);
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
        let huge = format!("Mozilla/5.0 {}", "x".repeat(5_000));
        assert!(matches!(parser.parse(&huge), UaVerdict::Human(_)));
        assert_eq!(parser.cache.len(), before);
    }
}
