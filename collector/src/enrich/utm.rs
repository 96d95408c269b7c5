//! `put_utm_tags`: the five `utm_*` query parameters of the page URL.

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

impl Utm {
    /// True when no field is set.
    pub fn is_empty(&self) -> bool {
        self.source.is_empty()
            && self.medium.is_empty()
            && self.campaign.is_empty()
            && self.content.is_empty()
            && self.term.is_empty()
    }
}

/// Reads `utm_source`, `utm_medium`, `utm_campaign`, `utm_content` and `utm_term`
/// from the query string (names matched ASCII case-insensitively). Values are
/// percent-decoded, trimmed and capped at [`MAX_UTM_CHARS`] characters; when a
/// parameter repeats, the first non-blank value wins.
pub fn utm_from_url(url: &url::Url) -> Utm {
    let mut utm = Utm::default();
    if url.query().is_none() {
        return utm;
    }
    for (key, value) in url.query_pairs() {
        let Some(field) = field_for(&mut utm, &key) else {
            continue;
        };
        if field.is_empty() {
            *field = clean(&value);
        }
    }
    utm
}

fn field_for<'a>(utm: &'a mut Utm, key: &str) -> Option<&'a mut String> {
    let name = key
        .get(..4)
        .filter(|p| p.eq_ignore_ascii_case("utm_"))
        .map(|_| &key[4..])?;
    let field = match name.to_ascii_lowercase().as_str() {
        "source" => &mut utm.source,
        "medium" => &mut utm.medium,
        "campaign" => &mut utm.campaign,
        "content" => &mut utm.content,
        "term" => &mut utm.term,
        _ => return None,
    };
    Some(field)
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
