//! `put_utm_tags`: the campaign parameters of the page URL — Google's `utm_*` and
//! Matomo's `mtm_*`, `matomo_*`, `pk_*`, `piwik_*` — into the five campaign fields.
//!
//! | field | names, in order of precedence |
//! |---|---|
//! | campaign | `pk_campaign`, `pk_cpn`, `piwik_campaign`, `mtm_campaign`, `matomo_campaign`, `utm_campaign` |
//! | source | `pk_source`, `piwik_source`, `mtm_source`, `matomo_source`, `utm_source` |
//! | medium | `pk_medium`, `piwik_medium`, `mtm_medium`, `matomo_medium`, `utm_medium` |
//! | content | `pk_content`, `piwik_content`, `mtm_content`, `matomo_content`, `utm_content` |
//! | term (keyword) | `pk_kwd`, `pk_keyword`, `piwik_kwd`, `mtm_kwd`, `mtm_keyword`, `matomo_kwd`, `utm_term` |
//!
//! Matomo's own names come first, in the order of Matomo's `campaign_var_name` and
//! `campaign_keyword_var_name` settings, so a link tagged for Matomo is counted as Matomo
//! counts it; `utm_*` last. A field takes the first non-blank value in that order (names
//! matched ASCII case-insensitively; of a repeated name, its first non-blank value). Matomo's
//! tracking requests may also carry `_rcn` (campaign) and `_rck` (keyword), which the
//! tracker took from the landing page; they fill what the page URL leaves blank
//! ([`Utm::or`]).

/// Longest value kept for one UTM field, in characters.
pub const MAX_UTM_CHARS: usize = 256;

/// Campaign tags read from the page URL. Empty strings mean "not set".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Utm {
    pub source: String,
    pub medium: String,
    pub campaign: String,
    pub content: String,
    pub term: String,
}

/// The five campaign fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Source,
    Medium,
    Campaign,
    Content,
    Term,
}

impl Field {
    const ALL: [Field; 5] = [
        Field::Source,
        Field::Medium,
        Field::Campaign,
        Field::Content,
        Field::Term,
    ];

    /// The query parameters that set this field, highest precedence first (lower case).
    fn names(self) -> &'static [&'static str] {
        match self {
            Field::Campaign => &[
                "pk_campaign",
                "pk_cpn",
                "piwik_campaign",
                "mtm_campaign",
                "matomo_campaign",
                "utm_campaign",
            ],
            Field::Source => &[
                "pk_source",
                "piwik_source",
                "mtm_source",
                "matomo_source",
                "utm_source",
            ],
            Field::Medium => &[
                "pk_medium",
                "piwik_medium",
                "mtm_medium",
                "matomo_medium",
                "utm_medium",
            ],
            Field::Content => &[
                "pk_content",
                "piwik_content",
                "mtm_content",
                "matomo_content",
                "utm_content",
            ],
            Field::Term => &[
                "pk_kwd",
                "pk_keyword",
                "piwik_kwd",
                "mtm_kwd",
                "mtm_keyword",
                "matomo_kwd",
                "utm_term",
            ],
        }
    }

    /// The field a parameter sets, and its rank among the field's names.
    fn of(key: &str) -> Option<(Field, usize)> {
        Field::ALL.into_iter().find_map(|f| {
            f.names()
                .iter()
                .position(|n| n.eq_ignore_ascii_case(key))
                .map(|rank| (f, rank))
        })
    }
}

impl Utm {
    /// True when no field is set.
    pub fn is_empty(&self) -> bool {
        self.source.is_empty()
            && self.medium.is_empty()
            && self.campaign.is_empty()
            && self.content.is_empty()
            && self.term.is_empty()
    }

    fn get(&self, f: Field) -> &str {
        match f {
            Field::Source => &self.source,
            Field::Medium => &self.medium,
            Field::Campaign => &self.campaign,
            Field::Content => &self.content,
            Field::Term => &self.term,
        }
    }

    fn field(&mut self, f: Field) -> &mut String {
        match f {
            Field::Source => &mut self.source,
            Field::Medium => &mut self.medium,
            Field::Campaign => &mut self.campaign,
            Field::Content => &mut self.content,
            Field::Term => &mut self.term,
        }
    }

    /// Each field of `self`, or of `other` where `self`'s is blank.
    pub fn or(mut self, other: &Utm) -> Utm {
        for f in Field::ALL {
            let mine = self.field(f);
            if mine.is_empty() {
                other.get(f).clone_into(mine);
            }
        }
        self
    }

    /// Matomo's tracking-request fields `_rcn` (campaign name) and `_rck` (keyword).
    pub fn from_tracker(rcn: Option<&str>, rck: Option<&str>) -> Utm {
        Utm {
            campaign: rcn.map(clean).unwrap_or_default(),
            term: rck.map(clean).unwrap_or_default(),
            ..Utm::default()
        }
    }
}

/// Reads the campaign parameters of the module's table from the query string. Values are
/// percent-decoded, trimmed and capped at [`MAX_UTM_CHARS`] characters.
pub fn utm_from_url(url: &url::Url) -> Utm {
    let mut utm = Utm::default();
    if url.query().is_none() {
        return utm;
    }
    let mut ranks = [usize::MAX; 5];
    for (key, value) in url.query_pairs() {
        let Some((field, rank)) = Field::of(&key) else {
            continue;
        };
        let slot = &mut ranks[field as usize];
        let value = clean(&value);
        if rank < *slot && !value.is_empty() {
            *slot = rank;
            *utm.field(field) = value;
        }
    }
    utm
}

fn clean(value: &str) -> String {
    let trimmed = value.trim();
    match trimmed.char_indices().nth(MAX_UTM_CHARS) {
        Some((cut, _)) => trimmed[..cut].trim_end().to_owned(),
        None => trimmed.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utm(source: &str, medium: &str, campaign: &str, content: &str, term: &str) -> Utm {
        Utm {
            source: source.into(),
            medium: medium.into(),
            campaign: campaign.into(),
            content: content.into(),
            term: term.into(),
        }
    }

    #[test]
    fn reads_utm_parameters() {
        let cases: &[(&str, Utm)] = &[
            ("https://moj.gov.vn/", Utm::default()),
            ("https://moj.gov.vn/?page=2&utm=x&utm_foo=y", Utm::default()),
            (
                "https://moj.gov.vn/tin?utm_source=zalo&utm_medium=social&utm_campaign=tet2025&utm_content=banner&utm_term=thu+tuc",
                utm("zalo", "social", "tet2025", "banner", "thu tuc"),
            ),
            // Percent-decoded, trimmed, Vietnamese kept as is.
            (
                "https://moj.gov.vn/?utm_source=%20B%C3%A1o%20M%E1%BB%9Bi%20&utm_campaign=+",
                utm("Báo Mới", "", "", "", ""),
            ),
            // Names are case-insensitive; first non-blank value of a repeated name wins.
            (
                "https://moj.gov.vn/?UTM_Source=&utm_source=facebook&utm_source=zalo&Utm_Medium=cpc",
                utm("facebook", "cpc", "", "", ""),
            ),
            // Only a fragment, no query.
            ("https://moj.gov.vn/#utm_source=x", Utm::default()),
        ];
        for (input, want) in cases {
            let url = url::Url::parse(input).unwrap();
            assert_eq!(&utm_from_url(&url), want, "{input}");
        }
    }

    #[test]
    fn reads_matomo_campaign_parameters() {
        let cases: &[(&str, Utm)] = &[
            (
                "https://moj.gov.vn/?mtm_campaign=tet2026&mtm_source=zalo&mtm_medium=social&mtm_content=banner&mtm_kwd=ho+chieu",
                utm("zalo", "social", "tet2026", "banner", "ho chieu"),
            ),
            (
                "https://moj.gov.vn/?pk_campaign=c&pk_source=s&pk_medium=m&pk_content=x&pk_kwd=k",
                utm("s", "m", "c", "x", "k"),
            ),
            ("https://moj.gov.vn/?pk_cpn=c&pk_keyword=k", utm("", "", "c", "", "k")),
            (
                "https://moj.gov.vn/?matomo_campaign=c&matomo_source=s&matomo_medium=m&matomo_content=x&matomo_kwd=k",
                utm("s", "m", "c", "x", "k"),
            ),
            (
                "https://moj.gov.vn/?piwik_campaign=c&piwik_source=s&piwik_medium=m&piwik_content=x&piwik_kwd=k",
                utm("s", "m", "c", "x", "k"),
            ),
            ("https://moj.gov.vn/?MTM_Campaign=c&mtm_keyword=k", utm("", "", "c", "", "k")),
            // Precedence: pk_ > piwik_ > mtm_ > matomo_ > utm_, whatever the order in the URL;
            // a blank higher-ranked value does not hide a lower one.
            (
                "https://moj.gov.vn/?utm_campaign=u&mtm_campaign=m&pk_campaign=p&utm_source=us&mtm_source=ms",
                utm("ms", "", "p", "", ""),
            ),
            (
                "https://moj.gov.vn/?pk_campaign=+&utm_campaign=u&mtm_kwd=&utm_term=t",
                utm("", "", "u", "", "t"),
            ),
            // Campaign ids and other Matomo parameters are not campaign fields.
            ("https://moj.gov.vn/?mtm_cid=1&pk_cid=2&mtm_group=g", Utm::default()),
        ];
        for (input, want) in cases {
            let url = url::Url::parse(input).unwrap();
            assert_eq!(&utm_from_url(&url), want, "{input}");
        }
    }

    #[test]
    fn tracker_fields_fill_what_the_url_leaves_blank() {
        let from_url = utm("zalo", "", "", "", "");
        let tracker = Utm::from_tracker(Some(" tet2026 "), Some("ho chieu"));
        assert_eq!(tracker, utm("", "", "tet2026", "", "ho chieu"));
        assert_eq!(
            from_url.clone().or(&tracker),
            utm("zalo", "", "tet2026", "", "ho chieu")
        );
        let full = utm("a", "b", "c", "d", "e");
        assert_eq!(full.clone().or(&tracker), full);
        assert_eq!(Utm::from_tracker(None, None), Utm::default());
    }

    #[test]
    fn every_name_sets_one_field() {
        let mut seen = std::collections::HashSet::new();
        for f in Field::ALL {
            for name in f.names() {
                assert!(seen.insert(*name), "{name} twice");
                assert_eq!(Field::of(name).map(|(g, _)| g), Some(f));
            }
        }
    }

    #[test]
    fn caps_each_value_at_256_chars() {
        let long = "ế".repeat(300);
        let url =
            url::Url::parse(&format!("https://a.gov.vn/?utm_term={long}&utm_source=x")).unwrap();
        let got = utm_from_url(&url);
        assert_eq!(got.term.chars().count(), MAX_UTM_CHARS);
        assert_eq!(got.source, "x");
    }

    #[test]
    fn is_empty_only_when_no_field_is_set() {
        assert!(Utm::default().is_empty());
        assert!(!utm("", "", "", "", "t").is_empty());
        assert!(!utm("s", "", "", "", "").is_empty());
    }
}
