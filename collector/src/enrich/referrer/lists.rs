//! The vendored referrer lists (`data/referrers/`, refreshed from Debian's packages by
//! `scripts/refresh-referrer-lists.sh`), read into [`Listed`] sources:
//!
//! | list | license | becomes |
//! |---|---|---|
//! | Matomo's `SearchEngines.yml` (as JSON) | CC0-1.0 | `organic` |
//! | Matomo's `Socials.yml` (as JSON) | CC0-1.0 | `social` |
//! | Snowplow's `referers.json`: `search` / `social` / `email`, `unknown` | Apache-2.0 | `organic` / `social` / `referral` |
//!
//! Matomo's `{}` placeholder stands for a country label: `google.{}` becomes `google.*`,
//! `{}.ask.com` and `images.{}.ask.com` become `ask.com` (our hosts match subdomains
//! anyway). Entries with a path (`google.{}/cse`) are skipped: a referrer is classified by
//! its host. A leading `www.` is dropped, as Matomo does.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::table::Listed;
use super::SourceClass;

const MATOMO_SEARCH: &str = include_str!("../data/referrers/matomo-search-engines.json");
const MATOMO_SOCIAL: &str = include_str!("../data/referrers/matomo-socials.json");
const SNOWPLOW: &str = include_str!("../data/referrers/snowplow-referers.json");

#[derive(Deserialize)]
struct MatomoEngine {
    urls: Vec<String>,
}

#[derive(Deserialize)]
struct SnowplowSource {
    domains: Vec<String>,
}

/// Every vendored source, Matomo's first (it is what the deployed EMC uses), then Snowplow's.
pub(super) fn all() -> Result<Vec<Listed>, String> {
    let mut out = matomo_search(MATOMO_SEARCH)?;
    out.extend(matomo_social(MATOMO_SOCIAL)?);
    out.extend(snowplow(SNOWPLOW)?);
    Ok(out)
}

fn matomo_search(json: &str) -> Result<Vec<Listed>, String> {
    let engines: BTreeMap<String, Vec<MatomoEngine>> =
        serde_json::from_str(json).map_err(|e| format!("matomo-search-engines.json: {e}"))?;
    Ok(engines
        .into_iter()
        .map(|(name, configs)| Listed {
            name,
            class: SourceClass::Organic,
            hosts: configs
                .iter()
                .flat_map(|c| &c.urls)
                .filter_map(|u| matomo_host(u))
                .collect(),
        })
        .collect())
}

fn matomo_social(json: &str) -> Result<Vec<Listed>, String> {
    let networks: BTreeMap<String, Vec<String>> =
        serde_json::from_str(json).map_err(|e| format!("matomo-socials.json: {e}"))?;
    Ok(networks
        .into_iter()
        .map(|(name, urls)| Listed {
            name,
            class: SourceClass::Social,
            hosts: urls.iter().filter_map(|u| matomo_host(u)).collect(),
        })
        .collect())
}

fn snowplow(json: &str) -> Result<Vec<Listed>, String> {
    let media: BTreeMap<String, BTreeMap<String, SnowplowSource>> =
        serde_json::from_str(json).map_err(|e| format!("snowplow-referers.json: {e}"))?;
    let mut out = Vec::new();
    for (medium, sources) in media {
        let class = match medium.as_str() {
            "search" => SourceClass::Organic,
            "social" => SourceClass::Social,
            "email" | "unknown" => SourceClass::Referral,
            _ => continue,
        };
        out.extend(sources.into_iter().map(|(name, s)| Listed {
            name,
            class,
            hosts: s.domains.iter().filter_map(|d| plain_host(d)).collect(),
        }));
    }
    Ok(out)
}

/// A Matomo host pattern in our syntax, or `None` when it holds a path.
fn matomo_host(url: &str) -> Option<String> {
    let url = url.trim().to_ascii_lowercase();
    if url.contains('/') {
        return None;
    }
    let (rest, any_tld) = match url.strip_suffix(".{}") {
        Some(stem) => (stem, true),
        None => (url.as_str(), false),
    };
    let rest = rest.rsplit_once("{}.").map_or(rest, |(_, after)| after);
    if rest.contains("{}") || rest.is_empty() {
        return None;
    }
    let rest = rest.strip_prefix("www.").unwrap_or(rest);
    Some(if any_tld {
        format!("{rest}.*")
    } else {
        rest.to_owned()
    })
}

/// A Snowplow domain, or `None` when it holds a path (`google.ac/imgres`).
fn plain_host(domain: &str) -> Option<String> {
    let d = domain.trim().to_ascii_lowercase();
    if d.contains('/') || d.is_empty() {
        return None;
    }
    Some(d.strip_prefix("www.").unwrap_or(&d).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matomo_placeholders_become_our_patterns() {
        let cases = [
            ("google.{}", Some("google.*")),
            ("{}.altavista.com", Some("altavista.com")),
            ("images.{}.ask.com", Some("ask.com")),
            ("www.Abacho.de", Some("abacho.de")),
            ("www.google.{}", Some("google.*")),
            ("google.{}/cse", None),
            ("{}", None),
        ];
        for (url, want) in cases {
            assert_eq!(matomo_host(url).as_deref(), want, "{url}");
        }
        assert_eq!(plain_host("google.ac/imgres"), None);
        assert_eq!(plain_host("www.so.com").as_deref(), Some("so.com"));
    }

    #[test]
    fn every_vendored_list_is_read() {
        let lists = all().unwrap();
        let count = |class: SourceClass| lists.iter().filter(|l| l.class == class).count();
        // Matomo 3.14 alone has 275 engines and 77 networks; Snowplow adds its own.
        assert!(
            count(SourceClass::Organic) >= 275,
            "{}",
            count(SourceClass::Organic)
        );
        assert!(
            count(SourceClass::Social) >= 77,
            "{}",
            count(SourceClass::Social)
        );
        assert!(
            count(SourceClass::Referral) >= 10,
            "{}",
            count(SourceClass::Referral)
        );
        assert!(lists.iter().all(|l| !l.name.is_empty()));
    }
}
