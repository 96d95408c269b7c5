//! `put_site_search`: what makes a hit a site search, and its keyword, category and result
//! count. Three ways, as Matomo counts them:
//!
//! 1. Matomo's tracking fields `search`, `search_cat`, `search_count` (its `trackSiteSearch`),
//!    read by the Matomo decoder;
//! 2. a `site_search` event — the tag's `trackSiteSearch(keyword, category, count)` command
//!    and `emc('event', 'site_search', {name, category, value})` — with props `name` (the
//!    keyword), `category` and `value` (the result count);
//! 3. a page view whose URL carries one of the site's search parameters (Matomo's defaults
//!    `q`, `query`, `s`, `search`, `searchword`, `k`, `keyword` unless the site names its
//!    own), with a non-blank value: the first parameter of the list that is present wins.
//!
//! Keywords are trimmed, lower-cased as Matomo stores them, and capped at
//! [`MAX_KEYWORD_CHARS`]; categories are trimmed and capped likewise.

use emc_sql::registry::DEFAULT_SEARCH_PARAMS;

/// The name of a site-search hit in `events`.
pub const EVENT: &str = "site_search";
/// Longest keyword or category kept, in characters.
pub const MAX_KEYWORD_CHARS: usize = 256;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SiteSearch {
    pub keyword: String,
    pub category: String,
    /// Results the site reported; `None` when it said nothing.
    pub count: Option<u32>,
}

impl SiteSearch {
    pub fn new(keyword: &str, category: &str, count: Option<u32>) -> SiteSearch {
        SiteSearch {
            keyword: cap(&keyword.trim().to_lowercase()),
            category: cap(category.trim()),
            count,
        }
    }
}

fn cap(s: &str) -> String {
    match s.char_indices().nth(MAX_KEYWORD_CHARS) {
        Some((cut, _)) => s[..cut].trim_end().to_owned(),
        None => s.to_owned(),
    }
}

/// Event props, as the pipeline holds them.
pub type Props = Vec<(String, String)>;

/// The search of a `site_search` event and the props left (those other than `name`,
/// `category`, `value`), or why it is not one.
pub fn from_props(props: Props) -> Result<(SiteSearch, Props), &'static str> {
    let (mut keyword, mut category, mut value) = (None, None, None);
    let mut rest = Vec::new();
    for (k, v) in props {
        match k.as_str() {
            "name" => keyword = Some(v),
            "category" => category = Some(v),
            "value" => value = Some(v),
            _ => rest.push((k, v)),
        }
    }
    let keyword = keyword
        .filter(|k| !k.trim().is_empty())
        .ok_or("a site_search event needs the keyword in props.name")?;
    // A count that is not a whole number is not a count: left unknown.
    let count = value.and_then(|v| v.trim().parse::<u32>().ok());
    let search = SiteSearch::new(&keyword, category.as_deref().unwrap_or(""), count);
    Ok((search, rest))
}

/// The search of a page view's URL, by the site's parameters (empty: Matomo's defaults).
pub fn from_url(url: &url::Url, params: &[String]) -> Option<SiteSearch> {
    url.query()?;
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let value_of = |name: &str| {
        pairs
            .iter()
            .find(|(k, v)| k == name && !v.trim().is_empty())
            .map(|(_, v)| v.as_str())
    };
    let keyword = if params.is_empty() {
        DEFAULT_SEARCH_PARAMS.iter().find_map(|p| value_of(p))
    } else {
        params.iter().find_map(|p| value_of(p))
    }?;
    Some(SiteSearch::new(keyword, "", None))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn urls_with_search_parameters() {
        let own = vec!["tu-khoa".to_owned(), "q".to_owned()];
        // (url, site's own parameters?, keyword)
        let cases: &[(&str, bool, Option<&str>)] = &[
            (
                "https://a.gov.vn/tim-kiem?q=H%E1%BB%99+Chi%E1%BA%BFu",
                false,
                Some("hộ chiếu"),
            ),
            (
                "https://a.gov.vn/?s=%20Thu%E1%BA%BF%20",
                false,
                Some("thuế"),
            ),
            ("https://a.gov.vn/?searchword=x&q=y", false, Some("y")), // q comes first in the list
            (
                "https://a.gov.vn/?keyword=dat+dai&page=2",
                false,
                Some("dat dai"),
            ),
            ("https://a.gov.vn/?q=&s=+", false, None),
            ("https://a.gov.vn/?page=2", false, None),
            ("https://a.gov.vn/tin-tuc", false, None),
            ("https://a.gov.vn/#q=x", false, None),
            ("https://a.gov.vn/?Q=x", false, None), // names are case-sensitive, as Matomo's
            ("https://a.gov.vn/?tu-khoa=visa&q=b", true, Some("visa")),
            ("https://a.gov.vn/?s=x", true, None), // the site's own list replaces the defaults
        ];
        for (url, use_own, want) in cases {
            let url = url::Url::parse(url).unwrap();
            let params: &[String] = if *use_own { &own } else { &[] };
            let got = from_url(&url, params).map(|s| s.keyword);
            assert_eq!(got.as_deref(), *want, "{url}");
        }
    }

    #[test]
    fn site_search_events() {
        let (s, rest) = from_props(props(&[
            ("name", " Giấy Phép "),
            ("category", "Thủ tục"),
            ("value", "0"),
            ("page", "2"),
        ]))
        .unwrap();
        assert_eq!(s, SiteSearch::new("giấy phép", "Thủ tục", Some(0)));
        assert_eq!(rest, props(&[("page", "2")]));
        let (s, _) = from_props(props(&[("name", "x"), ("value", "many")])).unwrap();
        assert_eq!(s.count, None);
        assert!(from_props(props(&[("category", "c")])).is_err());
        assert!(from_props(props(&[("name", "  ")])).is_err());
    }

    #[test]
    fn keywords_are_capped() {
        let s = SiteSearch::new(&"Ế".repeat(300), &"c".repeat(300), None);
        assert_eq!(s.keyword, "ế".repeat(MAX_KEYWORD_CHARS));
        assert_eq!(s.category.chars().count(), MAX_KEYWORD_CHARS);
    }
}
