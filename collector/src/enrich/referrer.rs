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
//! 3. Organic / Social / a named Referral: the host matches the table of known sources —
//!    our `referrers.json` (Vietnamese engines and networks, AI assistants, our choices)
//!    merged with the vendored lists of Matomo (search engines, social networks) and
//!    Snowplow (the same, plus webmail and other known sites), see `referrer/lists.rs`.
//! 4. Referral: any other host; the source is the host without `www.`.

mod lists;
mod table;

use std::sync::LazyLock;

use super::utm::Utm;
use table::Table;

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

impl ReferrerInfo {
    /// No source: typed URL, bookmark, internal navigation, stripped referrer.
    pub fn direct() -> Self {
        Self::new(SourceClass::Direct, String::new(), String::new())
    }

    fn new(class: SourceClass, source: String, referrer: String) -> Self {
        ReferrerInfo {
            class,
            source,
            referrer,
        }
    }
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
        return ReferrerInfo::new(SourceClass::Campaign, source, referrer);
    }
    seen.unwrap_or_else(ReferrerInfo::direct)
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
    let referrer = truncate_chars(raw, MAX_REFERRER_CHARS);
    Some(ReferrerInfo::new(class, source, referrer))
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

// ---- the table of known sources: referrers.json and the vendored lists ----

static TABLE: LazyLock<Table> = LazyLock::new(|| {
    let listed = lists::all().expect("the vendored lists are checked by the unit tests");
    Table::build(include_str!("referrers.json"), &listed)
        .expect("referrers.json is checked by the unit tests")
});

#[cfg(test)]
mod tests {
    use super::*;
    use SourceClass::*;

    /// A site with three domains, an empty entry and sloppy spelling.
    fn sites() -> Vec<String> {
        let domains = "moj.gov.vn,https://WWW.Chinhphu.VN/,, sở-tư-pháp.vn. ";
        domains.split(',').map(String::from).collect()
    }

    fn utm(source: &str, medium: &str, campaign: &str) -> Utm {
        let (source, medium, campaign) = (source.into(), medium.into(), campaign.into());
        Utm {
            source,
            medium,
            campaign,
            ..Utm::default()
        }
    }

    /// `referrer | class | source`, for a site whose domains are [`sites`] and no UTM.
    /// The stored referrer is the input, or "" when the class is direct.
    /// Known sources are checked through the examples in `referrers.json`.
    const REFERRERS: &str = "
                                       | direct |
not a url                              | direct |
file:///C:/x.html                      | direct |
android-app://com.unknown.app/         | direct |
https://moj.gov.vn/van-ban             | direct |
https://www.moj.gov.vn/                | direct |
http://thads.moj.gov.vn/a?b=c          | direct |
https://chinhphu.vn/                   | direct |
https://xaydungchinhsach.chinhphu.vn/  | direct |
https://www.Sở-Tư-Pháp.vn/             | direct |
https://notmoj.gov.vn/                 | referral | notmoj.gov.vn
https://moj.gov.vn.evil.com/           | referral | moj.gov.vn.evil.com
https://google.evil.com/               | referral | google.evil.com
https://vnexpress.net/a.html           | referral | vnexpress.net
https://www.tuoitre.vn/                | referral | tuoitre.vn
http://WWW.Example.ORG.:8080/x         | referral | example.org
http://203.0.113.9/                    | referral | 203.0.113.9
https://bộtưpháp.vn/                   | referral | xn--btphp-0qa06li33k.vn
";

    /// `referrer | utm_source | utm_medium | utm_campaign | source | stored referrer`.
    /// Without utm_source the referrer's name stands in; UTM beats a search engine
    /// even when it says "organic"; an internal referrer is still not stored.
    const CAMPAIGNS: &str = "
                             | zalo       |         |     | zalo          |
https://l.facebook.com/l.php | newsletter | email   | tet | newsletter    | https://l.facebook.com/l.php
https://l.facebook.com/l.php |            |         | tet | Facebook      | https://l.facebook.com/l.php
https://vnexpress.net/a      |            | banner  |     | vnexpress.net | https://vnexpress.net/a
                             |            | cpc     |     |               |
https://www.google.com/      | google     | organic |     | google        | https://www.google.com/
https://moj.gov.vn/          | sms        |         |     | sms           |
";

    /// The cells of each `a | b | c` row, trimmed; the first (blank) line is skipped.
    fn rows(table: &str) -> impl Iterator<Item = Vec<&str>> {
        table
            .lines()
            .skip(1)
            .map(|row| row.split('|').map(str::trim).collect())
    }

    fn cells(info: &ReferrerInfo) -> (&str, &str, &str) {
        (info.class.as_str(), &info.source, &info.referrer)
    }

    #[test]
    fn classifies_referrers_without_utm() {
        assert_eq!(classify(None, &Utm::default(), &sites()).class, Direct);
        for row in rows(REFERRERS) {
            let (referrer, class, source) = (row[0], row[1], row.get(2).copied().unwrap_or(""));
            let got = classify(Some(referrer), &Utm::default(), &sites());
            let stored = if class == "direct" { "" } else { referrer };
            assert_eq!(cells(&got), (class, source, stored), "{referrer:?}");
        }
    }

    #[test]
    fn every_example_in_the_table_maps_to_its_source() {
        let file: table::TableFile = serde_json::from_str(include_str!("referrers.json")).unwrap();
        for entry in &file.sources {
            for example in &entry.examples {
                let got = classify(Some(example), &Utm::default(), &sites());
                let want = (entry.class.as_str(), entry.name.as_str(), example.as_str());
                assert_eq!(cells(&got), want, "{example}");
            }
        }
    }

    #[test]
    fn utm_tags_make_a_campaign() {
        for row in rows(CAMPAIGNS) {
            let referrer = Some(row[0]).filter(|r| !r.is_empty());
            let got = classify(referrer, &utm(row[1], row[2], row[3]), &sites());
            assert_eq!(cells(&got), ("campaign", row[4], row[5]), "{row:?}");
        }
        // utm_content or utm_term alone do not make a campaign.
        let only_term = Utm {
            term: "x".into(),
            content: "y".into(),
            ..Utm::default()
        };
        assert_eq!(classify(None, &only_term, &sites()).class, Direct);
    }

    /// `referrer | class | source`: domains a public list names that a Matomo user expects
    /// to see classified (most come from the vendored lists, not from `referrers.json`).
    const KNOWN: &str = "
https://so.360.cn/s?q=x                        | organic  | 360 Search
https://search.daum.net/search?q=x             | organic  | Daum
https://news.google.com/articles/x             | organic  | Google News
https://news.google.com.vn/                    | organic  | Google News
https://images.google.com/                     | organic  | Google Images
https://images.google.de/                      | organic  | Google Images
https://search.aol.com/aol/search?q=x          | organic  | AOL
https://search.aol.co.uk/                      | organic  | AOL
https://www.ask.com/web?q=x                    | organic  | Ask
https://uk.ask.com/                            | organic  | Ask
https://www.laban.vn/                          | organic  | Laban
https://yandex.com.tr/search/                  | organic  | Yandex
https://www.google.co.uk/                      | organic  | Google
https://search.yahoo.co.jp/                    | organic  | Yahoo! Japan
http://t.cn/abc                                | social   | Weibo
https://vk.com/wall1                           | social   | VK
https://m.vk.com/                              | social   | VK
https://odnoklassniki.ru/                      | social   | Odnoklassniki
https://news.ycombinator.com/item?id=1         | social   | Hacker News
https://www.flickr.com/photos/x                | social   | Flickr
https://zalo.me/g/abc                          | social   | Zalo
https://mail.yahoo.com/                        | referral | Yahoo! Mail
https://mail.google.com/mail/u/0/              | referral | Gmail
https://coccoc.com/search?query=x              | organic  | Cốc Cốc
https://chatgpt.com/                           | referral | ChatGPT
https://www.perplexity.ai/search/x             | referral | Perplexity
https://gemini.google.com/app                  | referral | Gemini
https://copilot.microsoft.com/                 | referral | Microsoft Copilot
https://claude.ai/chat/x                       | referral | Claude
https://chat.deepseek.com/                     | referral | DeepSeek
https://baomoi.com/tin.epi                     | referral | Báo Mới
";

    #[test]
    fn names_the_sources_of_the_vendored_lists() {
        for row in rows(KNOWN) {
            let got = classify(Some(row[0]), &Utm::default(), &sites());
            assert_eq!(cells(&got), (row[1], row[2], row[0]), "{}", row[0]);
        }
    }

    /// Each host of the vendored search-engine and social-network lists, as a referrer
    /// (`.*` as `.com`), classified into its list's class: the share is printed
    /// (`cargo test -p emc-collector --lib referrer -- --nocapture`) and must stay ≥ 98 %.
    #[test]
    fn vendored_hosts_keep_their_class() {
        for (label, want) in [("search engines", Organic), ("social networks", Social)] {
            let (mut n, mut ok, mut off) = (0usize, 0usize, Vec::new());
            for listed in lists::all().unwrap().iter().filter(|l| l.class == want) {
                for host in &listed.hosts {
                    let host = host
                        .strip_suffix(".*")
                        .map_or(host.clone(), |h| format!("{h}.com"));
                    let got = classify(Some(&format!("https://{host}/")), &Utm::default(), &[]);
                    n += 1;
                    if got.class == want {
                        ok += 1;
                    } else {
                        off.push(format!("{host} → {} {}", got.class, got.source));
                    }
                }
            }
            let share = ok as f64 / n as f64;
            println!(
                "{label}: {ok} of {n} hosts ({:.2} %); other: {off:?}",
                100.0 * share
            );
            assert!(share >= 0.98, "{label}: {share}");
        }
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
        let names = SourceClass::ALL.map(SourceClass::as_str);
        assert_eq!(
            names,
            ["direct", "organic", "social", "referral", "campaign"]
        );
    }
}
