//! `put_referrer`: the visit's source class and display name, from the referrer
//! and the UTM tags.
//!
//! Rules, in order:
//! 1. Campaign: a non-blank `utm_source`, `utm_medium` or `utm_campaign` wins over
//!    any referrer, even `utm_medium=organic` next to a search-engine referrer.
//!    The source is `utm_source`, or else the name the referrer would have given.
//! 2. Direct: no referrer, an unparsable one, a scheme other than http(s) (except
//!    `android-app://` of a package in the table), or an internal one (host is a
//!    site domain or a subdomain of one, `www.` ignored). Nothing is stored.
//! 3. Organic / Social / a named Referral: the host matches `referrers.json`.
//! 4. Referral: any other host; the source is the host without `www.`.

use std::collections::HashMap;
use std::sync::LazyLock;

use serde::Deserialize;

use super::utm::Utm;

/// Longest referrer URL kept, in characters.
pub const MAX_REFERRER_CHARS: usize = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceClass {
    Direct,
    Organic,
    Social,
    Referral,
    Campaign,
}

impl SourceClass {
    pub const ALL: [SourceClass; 5] = [
        SourceClass::Direct,
        SourceClass::Organic,
        SourceClass::Social,
        SourceClass::Referral,
        SourceClass::Campaign,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SourceClass::Direct => "direct",
            SourceClass::Organic => "organic",
            SourceClass::Social => "social",
            SourceClass::Referral => "referral",
            SourceClass::Campaign => "campaign",
        }
    }
}

impl std::fmt::Display for SourceClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferrerInfo {
    pub class: SourceClass,
    /// Display name: "Google", "Cốc Cốc", the utm_source, a bare host, or "" for direct.
    pub source: String,
    /// The referrer URL to store, at most [`MAX_REFERRER_CHARS`]; "" when direct or internal.
    pub referrer: String,
}

/// Classifies one hit. `site_domains` are the registered domains of the site
/// (`moj.gov.vn`; a scheme, port, `www.` or Unicode form is tolerated).
pub fn classify(referrer: Option<&str>, utm: &Utm, site_domains: &[String]) -> ReferrerInfo {
    let seen = referrer.and_then(|raw| external_referrer(raw, site_domains));
    if !utm.source.is_empty() || !utm.medium.is_empty() || !utm.campaign.is_empty() {
        let (source, referrer) = match seen {
            Some(s) if utm.source.is_empty() => (s.source, s.referrer),
            Some(s) => (utm.source.clone(), s.referrer),
            None => (utm.source.clone(), String::new()),
        };
        return ReferrerInfo {
            class: SourceClass::Campaign,
            source,
            referrer,
        };
    }
    seen.unwrap_or(ReferrerInfo {
        class: SourceClass::Direct,
        source: String::new(),
        referrer: String::new(),
    })
}

/// The referrer as a source, or `None` when it counts as direct.
fn external_referrer(raw: &str, site_domains: &[String]) -> Option<ReferrerInfo> {
    let raw = raw.trim();
    let url = url::Url::parse(raw).ok()?;
    let (class, source) = match url.scheme() {
        "http" | "https" => {
            let host = url.host_str()?.trim_end_matches('.');
            if is_internal(host, site_domains) {
                return None;
            }
            match TABLE.by_host(host) {
                Some(known) => (known.class, known.name.clone()),
                None => (SourceClass::Referral, strip_www(host).to_owned()),
            }
        }
        "android-app" => {
            let known = TABLE.by_app(url.host_str()?)?;
            (known.class, known.name.clone())
        }
        _ => return None,
    };
    Some(ReferrerInfo {
        class,
        source,
        referrer: truncate_chars(raw, MAX_REFERRER_CHARS),
    })
}

fn is_internal(host: &str, site_domains: &[String]) -> bool {
    let host = strip_www(host);
    site_domains.iter().any(|domain| {
        let domain = normalize_domain(domain);
        !domain.is_empty() && is_label_suffix(host, &domain)
    })
}

/// `Moj.Gov.VN.`, `https://www.moj.gov.vn:443/`, `bộtưpháp.vn` → ASCII, lower case, no `www.`.
fn normalize_domain(domain: &str) -> String {
    let d = domain.trim();
    let d = d.split_once("://").map_or(d, |(_, rest)| rest);
    let d = d
        .split(['/', ':', '?', '#'])
        .next()
        .unwrap_or("")
        .trim_end_matches('.');
    let ascii = match url::Host::parse(d) {
        Ok(url::Host::Domain(ascii)) => ascii,
        _ => d.to_ascii_lowercase(),
    };
    strip_www(&ascii).to_owned()
}

fn strip_www(host: &str) -> &str {
    host.strip_prefix("www.").unwrap_or(host)
}

/// `host` equals `suffix` or ends with `.suffix`.
fn is_label_suffix(host: &str, suffix: &str) -> bool {
    host == suffix
        || (host.len() > suffix.len()
            && host.ends_with(suffix)
            && host.as_bytes()[host.len() - suffix.len() - 1] == b'.')
}

fn truncate_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((cut, _)) => s[..cut].to_owned(),
        None => s.to_owned(),
    }
}

// ---- the table of known sources (referrers.json) ----

static TABLE: LazyLock<Table> = LazyLock::new(|| {
    Table::parse(include_str!("referrers.json"))
        .expect("referrers.json is checked by the unit tests")
});

#[derive(Deserialize)]
struct TableFile {
    sources: Vec<SourceEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceEntry {
    name: String,
    class: TableClass,
    hosts: Vec<String>,
    #[serde(default)]
    apps: Vec<String>,
}

/// The classes a table entry may have: direct and campaign never come from a host.
#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum TableClass {
    Organic,
    Social,
    Referral,
}

struct Known {
    name: String,
    class: SourceClass,
}

struct Table {
    sources: Vec<Known>,
    /// `facebook.com` → index into `sources`.
    exact: HashMap<String, usize>,
    /// `google` (from `google.*`) → index into `sources`.
    any_tld: HashMap<String, usize>,
    apps: HashMap<String, usize>,
}

/// Second-level labels under which a country code's sites live (`google.com.vn`, `yahoo.co.jp`).
const SECOND_LEVELS: &[&str] = &[
    "com", "co", "org", "net", "ac", "edu", "gov", "ne", "or", "go", "gob",
];

impl Table {
    fn parse(json: &str) -> Result<Table, String> {
        let file: TableFile = serde_json::from_str(json).map_err(|e| e.to_string())?;
        let mut table = Table {
            sources: Vec::new(),
            exact: HashMap::new(),
            any_tld: HashMap::new(),
            apps: HashMap::new(),
        };
        for (idx, entry) in file.sources.into_iter().enumerate() {
            if entry.name.trim().is_empty() || entry.hosts.is_empty() {
                return Err(format!("source #{idx} needs a name and at least one host"));
            }
            for host in &entry.hosts {
                let (map, key) = match host.strip_suffix(".*") {
                    Some(stem) => (&mut table.any_tld, stem),
                    None => (&mut table.exact, host.as_str()),
                };
                if key.is_empty()
                    || key != key.to_ascii_lowercase()
                    || key.contains(['*', '/', ' '])
                {
                    return Err(format!("{}: bad host {host:?}", entry.name));
                }
                if map.insert(key.to_owned(), idx).is_some() {
                    return Err(format!("{}: host {host:?} is listed twice", entry.name));
                }
            }
            for app in &entry.apps {
                if table.apps.insert(app.clone(), idx).is_some() {
                    return Err(format!("{}: app {app:?} is listed twice", entry.name));
                }
            }
            let class = match entry.class {
                TableClass::Organic => SourceClass::Organic,
                TableClass::Social => SourceClass::Social,
                TableClass::Referral => SourceClass::Referral,
            };
            table.sources.push(Known {
                name: entry.name,
                class,
            });
        }
        Ok(table)
    }

    fn by_app(&self, package: &str) -> Option<&Known> {
        self.apps.get(package).map(|&i| &self.sources[i])
    }

    /// The most specific entry matching `host` (lower-case ASCII, no trailing dot).
    fn by_host(&self, host: &str) -> Option<&Known> {
        let starts: Vec<usize> = std::iter::once(0)
            .chain(host.match_indices('.').map(|(i, _)| i + 1))
            .collect();
        let n = starts.len();
        // (labels matched, exact?, index); longer suffixes are tried first.
        let mut best: Option<(usize, bool, usize)> = (0..n).find_map(|s| {
            self.exact
                .get(&host[starts[s]..])
                .map(|&i| (n - s, true, i))
        });
        for tld_labels in 1..=2.min(n.saturating_sub(1)) {
            let stem_end = starts[n - tld_labels] - 1;
            if !is_tld_like(&host[stem_end + 1..]) {
                continue;
            }
            let found = (0..n - tld_labels).find_map(|s| {
                self.any_tld
                    .get(&host[starts[s]..stem_end])
                    .map(|&i| (n - s, false, i))
            });
            if let Some(candidate) = found {
                if best.is_none_or(|b| (candidate.0, candidate.1) > (b.0, b.1)) {
                    best = Some(candidate);
                }
            }
        }
        best.map(|(_, _, i)| &self.sources[i])
    }
}

/// `de`, `com`, `xn--p1ai`, or a country-code pair like `com.vn`, `co.uk`.
fn is_tld_like(tld: &str) -> bool {
    let is_label = |l: &str| {
        !l.is_empty()
            && l.bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'-' || b.is_ascii_digit())
    };
    match tld.split_once('.') {
        None => is_label(tld) && !tld.bytes().all(|b| b.is_ascii_digit()),
        Some((second, cc)) => {
            SECOND_LEVELS.contains(&second)
                && cc.len() == 2
                && cc.bytes().all(|b| b.is_ascii_lowercase())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use SourceClass::*;

    fn sites() -> Vec<String> {
        vec![
            "moj.gov.vn".into(),
            "https://WWW.Chinhphu.VN/".into(),
            "".into(),
            " sở-tư-pháp.vn. ".into(),
        ]
    }

    fn utm(source: &str, medium: &str, campaign: &str) -> Utm {
        Utm {
            source: source.into(),
            medium: medium.into(),
            campaign: campaign.into(),
            ..Utm::default()
        }
    }

    #[test]
    fn the_table_parses_and_is_consistent() {
        let table = Table::parse(include_str!("referrers.json")).unwrap();
        assert!(table.sources.len() >= 25);
        assert!(
            Table::parse(r#"{"sources":[{"name":"A","class":"direct","hosts":["a.com"]}]}"#)
                .is_err()
        );
        assert!(Table::parse(
            r#"{"sources":[{"name":"A","class":"social","hosts":["a.com","a.com"]}]}"#
        )
        .is_err());
        assert!(
            Table::parse(r#"{"sources":[{"name":"A","class":"social","hosts":["A.com"]}]}"#)
                .is_err()
        );
    }

    #[test]
    fn classifies_referrers_without_utm() {
        // (referrer, class, source, stored referrer: true = the input, false = "")
        let cases: &[(Option<&str>, SourceClass, &str, bool)] = &[
            (None, Direct, "", false),
            (Some(""), Direct, "", false),
            (Some("   "), Direct, "", false),
            (Some("not a url"), Direct, "", false),
            (Some("file:///C:/x.html"), Direct, "", false),
            (Some("android-app://com.unknown.app/"), Direct, "", false),
            // Internal: the site's domains, their subdomains, with or without www.
            (Some("https://moj.gov.vn/van-ban"), Direct, "", false),
            (Some("https://www.moj.gov.vn/"), Direct, "", false),
            (Some("http://thads.moj.gov.vn/a?b=c"), Direct, "", false),
            (Some("https://chinhphu.vn/"), Direct, "", false),
            (
                Some("https://xaydungchinhsach.chinhphu.vn/"),
                Direct,
                "",
                false,
            ),
            (
                Some("https://notmoj.gov.vn/"),
                Referral,
                "notmoj.gov.vn",
                true,
            ),
            (
                Some("https://moj.gov.vn.evil.com/"),
                Referral,
                "moj.gov.vn.evil.com",
                true,
            ),
            // Search engines.
            (Some("https://www.google.com/"), Organic, "Google", true),
            (Some("https://www.google.com.vn/"), Organic, "Google", true),
            (
                Some("https://google.co.uk/search?q=x"),
                Organic,
                "Google",
                true,
            ),
            (Some("https://www.google.de/"), Organic, "Google", true),
            (
                Some("android-app://com.google.android.googlequicksearchbox/https/www.google.com"),
                Organic,
                "Google",
                true,
            ),
            (
                Some("https://www.bing.com/search?q=bo+tu+phap"),
                Organic,
                "Bing",
                true,
            ),
            (Some("https://cn.bing.com/"), Organic, "Bing", true),
            (
                Some("https://vn.search.yahoo.com/"),
                Organic,
                "Yahoo!",
                true,
            ),
            (Some("https://duckduckgo.com/"), Organic, "DuckDuckGo", true),
            (Some("https://yandex.ru/"), Organic, "Yandex", true),
            (
                Some("https://www.baidu.com/link?url=x"),
                Organic,
                "Baidu",
                true,
            ),
            (Some("https://search.naver.com/"), Organic, "Naver", true),
            (Some("https://www.ecosia.org/"), Organic, "Ecosia", true),
            (
                Some("https://coccoc.com/search?query=x"),
                Organic,
                "Cốc Cốc",
                true,
            ),
            (Some("https://search.coccoc.com/"), Organic, "Cốc Cốc", true),
            // Google properties that are not search.
            (
                Some("https://news.google.com/articles/x"),
                Referral,
                "Google News",
                true,
            ),
            (
                Some("https://news.google.com.vn/"),
                Referral,
                "Google News",
                true,
            ),
            (
                Some("https://mail.google.com/mail/u/0/"),
                Referral,
                "Gmail",
                true,
            ),
            (
                Some("https://moj-gov-vn.translate.goog/"),
                Referral,
                "Google Translate",
                true,
            ),
            // Social networks and messengers.
            (Some("https://zalo.me/g/abc"), Social, "Zalo", true),
            (Some("https://chat.zalo.me/"), Social, "Zalo", true),
            (Some("https://id.zaloapp.com/"), Social, "Zalo", true),
            (Some("android-app://com.zing.zalo/"), Social, "Zalo", true),
            (Some("https://www.facebook.com/"), Social, "Facebook", true),
            (Some("https://m.facebook.com/"), Social, "Facebook", true),
            (
                Some("https://l.facebook.com/l.php?u=x"),
                Social,
                "Facebook",
                true,
            ),
            (Some("https://lm.facebook.com/"), Social, "Facebook", true),
            (Some("https://fb.com/"), Social, "Facebook", true),
            (Some("https://l.instagram.com/"), Social, "Instagram", true),
            (
                Some("https://m.youtube.com/watch?v=x"),
                Social,
                "YouTube",
                true,
            ),
            (Some("https://www.tiktok.com/"), Social, "TikTok", true),
            (Some("https://t.co/abc"), Social, "X", true),
            (Some("https://twitter.com/"), Social, "X", true),
            (Some("https://x.com/"), Social, "X", true),
            (Some("https://www.linkedin.com/"), Social, "LinkedIn", true),
            (Some("https://old.reddit.com/"), Social, "Reddit", true),
            (
                Some("https://www.pinterest.com/"),
                Social,
                "Pinterest",
                true,
            ),
            (Some("https://t.me/s/channel"), Social, "Telegram", true),
            (Some("https://www.threads.net/"), Social, "Threads", true),
            (Some("https://lotus.vn/w/post"), Social, "Lotus", true),
            // Named referrals and plain ones.
            (
                Some("https://baomoi.com/tin.epi"),
                Referral,
                "Báo Mới",
                true,
            ),
            (
                Some("https://vnexpress.net/a.html"),
                Referral,
                "vnexpress.net",
                true,
            ),
            (
                Some("https://www.tuoitre.vn/"),
                Referral,
                "tuoitre.vn",
                true,
            ),
            (
                Some("http://WWW.Example.ORG.:8080/x"),
                Referral,
                "example.org",
                true,
            ),
            (Some("http://203.0.113.9/"), Referral, "203.0.113.9", true),
            // IDN hosts are kept in their ASCII form; an IDN site domain still matches.
            (
                Some("https://bộtưpháp.vn/"),
                Referral,
                "xn--btphp-0qa06li33k.vn",
                true,
            ),
            (Some("https://www.Sở-Tư-Pháp.vn/"), Direct, "", false),
        ];
        for &(referrer, class, source, stored) in cases {
            let got = classify(referrer, &Utm::default(), &sites());
            let want_ref = if stored { referrer.unwrap().trim() } else { "" };
            let want = ReferrerInfo {
                class,
                source: source.into(),
                referrer: want_ref.into(),
            };
            assert_eq!(got, want, "{referrer:?}");
        }
    }

    #[test]
    fn utm_tags_make_a_campaign() {
        // (referrer, utm, source, stored referrer)
        let fb = "https://l.facebook.com/l.php";
        let cases: &[(Option<&str>, Utm, &str, &str)] = &[
            (None, utm("zalo", "", ""), "zalo", ""),
            (
                Some(fb),
                utm("newsletter", "email", "tet"),
                "newsletter",
                fb,
            ),
            // Without utm_source the referrer's name stands in.
            (Some(fb), utm("", "", "tet"), "Facebook", fb),
            (
                Some("https://vnexpress.net/a"),
                utm("", "banner", ""),
                "vnexpress.net",
                "https://vnexpress.net/a",
            ),
            (None, utm("", "cpc", ""), "", ""),
            // UTM beats a search engine, even when it says "organic".
            (
                Some("https://www.google.com/"),
                utm("google", "organic", ""),
                "google",
                "https://www.google.com/",
            ),
            // An internal referrer is still not stored.
            (Some("https://moj.gov.vn/"), utm("sms", "", ""), "sms", ""),
        ];
        for (referrer, tags, source, stored) in cases {
            let got = classify(*referrer, tags, &sites());
            let want = ReferrerInfo {
                class: Campaign,
                source: (*source).into(),
                referrer: (*stored).into(),
            };
            assert_eq!(got, want, "{referrer:?} {tags:?}");
        }
        // utm_content or utm_term alone do not make a campaign.
        let only_term = Utm {
            term: "x".into(),
            content: "y".into(),
            ..Utm::default()
        };
        assert_eq!(classify(None, &only_term, &sites()).class, Direct);
    }

    #[test]
    fn stores_at_most_1024_chars_of_referrer() {
        let long = format!("https://vnexpress.net/?q={}", "ư".repeat(2000));
        let got = classify(Some(&long), &Utm::default(), &[]);
        assert_eq!(got.referrer.chars().count(), MAX_REFERRER_CHARS);
        assert!(long.starts_with(&got.referrer));
    }

    #[test]
    fn class_names() {
        let names: Vec<&str> = SourceClass::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(
            names,
            ["direct", "organic", "social", "referral", "campaign"]
        );
    }
}
