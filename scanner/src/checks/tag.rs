//! `tag_present`, `tag_site_id`, `tag_collector`: which tag the homepage carries — EMC's
//! (`<script data-site src=…/tracker.js>`), the legacy `_govaq` snippet, or a Matomo `_paq`
//! snippet — its site id and where it reports.
use super::CheckResult;
use crate::page::PageFacts;
use emc_sql::scan::Check;
use regex::Regex;
use std::sync::LazyLock;
use url::Url;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagKind {
    Emc,
    Govaq,
    Matomo,
}

impl TagKind {
    pub fn key(self) -> &'static str {
        match self {
            TagKind::Emc => "emc",
            TagKind::Govaq => "govaq",
            TagKind::Matomo => "matomo",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub kind: TagKind,
    pub site_id: Option<String>,
    /// The script or tracker URL the tag names (its origin is where it reports).
    pub endpoint: Option<Url>,
    /// The tag renders the label itself (`data-label="inject"`, or the legacy snippet).
    pub injects_label: bool,
}

static SET_SITE_ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"setSiteId['"]\s*,\s*['"]?([A-Za-z0-9._-]+)"#).expect("regex"));
static URL_LITERAL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"['"]((?:https?:)?//[^'"\s]+)['"]"#).expect("regex"));

/// The first tag found, EMC's own form first.
pub fn find(facts: &PageFacts, page: &Url) -> Option<Tag> {
    let emc = facts.scripts.iter().find(|s| {
        s.data_site.is_some()
            && s.src.as_ref().is_some_and(|u| {
                u.path().ends_with("/tracker.js") || u.path().ends_with("/gov-tracking.min.js")
            })
    });
    if let Some(s) = emc {
        return Some(Tag {
            kind: TagKind::Emc,
            site_id: s.data_site.clone(),
            endpoint: s.src.clone(),
            injects_label: s.data_label.as_deref() == Some("inject"),
        });
    }
    for (marker, kind) in [("_govaq", TagKind::Govaq), ("_paq", TagKind::Matomo)] {
        if let Some(s) = facts.scripts.iter().find(|s| s.code.contains(marker)) {
            return Some(Tag {
                kind,
                site_id: SET_SITE_ID.captures(&s.code).map(|c| c[1].to_owned()),
                endpoint: URL_LITERAL
                    .captures(&s.code)
                    .and_then(|c| page.join(&c[1]).ok()),
                injects_label: kind == TagKind::Govaq,
            });
        }
    }
    None
}

/// Same host and port (an explicit default port counts as none).
fn same_origin(a: &Url, b: &Url) -> bool {
    a.host_str().map(str::to_ascii_lowercase) == b.host_str().map(str::to_ascii_lowercase)
        && a.port() == b.port()
}

pub fn checks(tag: Option<&Tag>, site: &str, collector: &Url) -> [CheckResult; 3] {
    let Some(tag) = tag else {
        return [
            CheckResult::fail(
                Check::TagPresent,
                "",
                "no EMC, _govaq or Matomo tag on the homepage",
            ),
            CheckResult::na(Check::TagSiteId, "no tag"),
            CheckResult::na(Check::TagCollector, "no tag"),
        ];
    };
    let present = CheckResult::pass(Check::TagPresent, tag.kind.key(), "");
    let id = match &tag.site_id {
        Some(id) => CheckResult::verdict(
            Check::TagSiteId,
            id == site,
            id.clone(),
            if id == site {
                String::new()
            } else {
                format!("the tag says site {id}, this site is {site}")
            },
        ),
        None => CheckResult::fail(Check::TagSiteId, "", "the tag names no site id"),
    };
    let to = match &tag.endpoint {
        Some(u) => CheckResult::verdict(
            Check::TagCollector,
            same_origin(u, collector),
            u.to_string(),
            if same_origin(u, collector) {
                String::new()
            } else {
                format!(
                    "reports to {}, not to {collector}",
                    u.origin().ascii_serialization()
                )
            },
        ),
        None => CheckResult::fail(Check::TagCollector, "", "the tag names no collector URL"),
    };
    [present, id, to]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::page;

    fn tag_of(html: &str) -> Option<Tag> {
        let base = Url::parse("https://p.gov.vn/").unwrap();
        find(&page::read(html, &base), &base)
    }

    #[test]
    fn recognises_the_three_snippets() {
        let collector = Url::parse("https://emc.gov.vn").unwrap();
        let emc = tag_of(r#"<script defer data-site="227" data-label="inject" src="https://emc.gov.vn/tracker.js"></script>"#).unwrap();
        assert_eq!(
            (emc.kind, emc.site_id.as_deref(), emc.injects_label),
            (TagKind::Emc, Some("227"), true)
        );
        let legacy = tag_of("<script>var _govaq = window._govaq || []; _govaq.push(['trackPageView']);\n(function(){ _govaq.push(['setTrackerUrl', 'https://emc.gov.vn/tracking']); _govaq.push(['setSiteId', '227']); })();</script>").unwrap();
        assert_eq!(legacy.kind, TagKind::Govaq);
        assert_eq!(legacy.site_id.as_deref(), Some("227"));
        assert_eq!(
            legacy.endpoint.as_ref().unwrap().as_str(),
            "https://emc.gov.vn/tracking"
        );
        let matomo = tag_of(r#"<script>var _paq = window._paq = window._paq || []; _paq.push(['trackPageView']); (function() { var u="//stats.example.org/"; _paq.push(['setTrackerUrl', u+'matomo.php']); _paq.push(['setSiteId', 7]); })();</script>"#).unwrap();
        assert_eq!(
            (matomo.kind, matomo.site_id.as_deref()),
            (TagKind::Matomo, Some("7"))
        );
        let [p, id, to] = checks(Some(&matomo), "227", &collector);
        assert_eq!(
            (p.outcome, p.value.as_str()),
            (emc_sql::scan::Outcome::Pass, "matomo")
        );
        assert_eq!(id.outcome, emc_sql::scan::Outcome::Fail);
        assert_eq!(to.outcome, emc_sql::scan::Outcome::Fail);
        assert_eq!(to.value, "https://stats.example.org/");
        assert!(tag_of("<script>var x = 1;</script>").is_none());
    }
}
