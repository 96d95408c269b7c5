//! The four cards of a report page — Nguồn, Trang, Vị trí, Thiết bị — each with tabs whose
//! rows are a label over a bar in proportion to one metric, and a "Chi tiết" link to the
//! full table. Another card (goals…) is one more [`Card`] in the page's list.
use super::metric::count;
use super::view::View;
use crate::i18n::Texts;
use crate::reports::site_search::SearchRow;
use crate::reports::{BreakdownRow, Dimension};

/// What a tab shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TabKind {
    Dim(Dimension),
    /// The map of the 34 provinces.
    Map,
    /// Site-search keywords.
    Search,
}

impl TabKind {
    /// The `tab=` value (and the `{by}` of its details page).
    pub fn key(self) -> &'static str {
        match self {
            TabKind::Dim(d) => d.key(),
            TabKind::Map => "map",
            TabKind::Search => crate::reports::site_search::BY,
        }
    }

    pub fn label(self, t: &Texts) -> &'static str {
        match self {
            TabKind::Dim(Dimension::Source) => t.word("tab_channels"),
            TabKind::Dim(Dimension::Page) => t.word("tab_top_pages"),
            TabKind::Dim(d) => d.label(t.lang),
            TabKind::Map => t.word("tab_map"),
            TabKind::Search => t.word("site_search"),
        }
    }
}

use Dimension as D;
use TabKind::{Dim, Map, Search};

/// The cards: (id, title word, tabs).
pub const CARDS: [(&str, &str, &[TabKind]); 4] = [
    (
        "sources",
        "card_sources",
        &[Dim(D::Source), Dim(D::Referrer), Dim(D::UtmCampaign)],
    ),
    (
        "pages",
        "card_pages",
        &[Dim(D::Page), Dim(D::EntryPage), Dim(D::ExitPage), Search],
    ),
    (
        "locations",
        "card_locations",
        &[Map, Dim(D::Region), Dim(D::City), Dim(D::Country)],
    ),
    (
        "devices",
        "card_devices",
        &[Dim(D::Browser), Dim(D::Os), Dim(D::Device)],
    ),
];

/// The dimensions the cards list (the province tab and the map share one query).
pub fn dimensions() -> Vec<Dimension> {
    CARDS
        .iter()
        .flat_map(|(_, _, tabs)| tabs.iter())
        .filter_map(|k| match k {
            Dim(d) if *d != D::Region => Some(*d),
            _ => None,
        })
        .collect()
}

/// Rows shown per tab.
pub const ROWS: usize = 10;

pub struct Card {
    pub id: &'static str,
    pub title: &'static str,
    pub tabs: Vec<Tab>,
}

pub struct Tab {
    pub key: &'static str,
    pub label: &'static str,
    /// This view with the tab selected (the tab's link without JavaScript).
    pub href: String,
    pub selected: bool,
    /// The heading of the rows' labels and of their figure.
    pub heading: &'static str,
    pub column: &'static str,
    pub rows: Vec<Bar>,
    /// The map tab: the SVG and the line about visits outside Vietnam.
    pub map: Option<(String, String)>,
    /// The full table, and the CSV of it.
    pub details: Option<String>,
    pub csv: String,
}

/// One row: a label (a link to the filter when there is one) over a bar.
pub struct Bar {
    pub label: String,
    pub href: Option<String>,
    pub value: String,
    /// Bar length, 0–100, in proportion to the tab's largest value.
    pub width: u32,
}

/// The figures a card's tabs are built from.
pub struct CardData<'a> {
    pub dims: &'a [(Dimension, Vec<BreakdownRow>)],
    pub regions: &'a [BreakdownRow],
    pub searches: &'a [SearchRow],
    pub map: Option<(String, String)>,
}

/// Where the details and CSV links point.
pub struct Links<'a> {
    /// `/sites/CODE` or `/agencies/ID`.
    pub base: &'a str,
    /// `from=…&to=…` and the filters (for the details page and the CSV).
    pub query: String,
    /// `site=…&include_components=…` or `agency=…` (for the CSV export).
    pub target: String,
}

pub fn build(t: &'static Texts, view: &View, data: &CardData, links: &Links) -> Vec<Card> {
    CARDS
        .iter()
        .map(|(id, word, kinds)| {
            let siblings: Vec<&str> = kinds.iter().map(|k| k.key()).collect();
            let tabs = kinds
                .iter()
                .map(|k| {
                    let key = k.key();
                    let mut tab = Tab {
                        key,
                        label: k.label(t),
                        href: format!("{}#card-{id}", view.with_tab(key, &siblings)),
                        selected: view.selected(key, &siblings),
                        heading: k.label(t),
                        column: t.visits,
                        rows: vec![],
                        map: None,
                        details: Some(format!("{}/details/{key}?{}", links.base, links.query)),
                        csv: format!(
                            "/api/v1/export.csv?report=breakdown&by={key}&limit=1000&{}&{}",
                            links.target, links.query
                        ),
                    };
                    match k {
                        Map => {
                            tab.map = data.map.clone();
                            tab.details = None;
                            tab.csv = format!(
                                "/api/v1/export.csv?report=breakdown&by=region&limit=1000&{}&{}",
                                links.target, links.query
                            );
                        }
                        Search => {
                            tab.column = t.word("searches");
                            tab.rows = bars(
                                data.searches.iter().map(|s| {
                                    let label = if s.category.is_empty() {
                                        s.key.clone()
                                    } else {
                                        format!("{} ({})", s.key, s.category)
                                    };
                                    (label, None, s.searches)
                                }),
                                t,
                            );
                        }
                        Dim(d) => {
                            let rows = if *d == D::Region {
                                data.regions
                            } else {
                                data.dims
                                    .iter()
                                    .find(|(x, _)| x == d)
                                    .map_or(&[][..], |(_, r)| r.as_slice())
                            };
                            if *d == D::Page {
                                tab.column = t.pageviews;
                            }
                            tab.rows = bars(
                                rows.iter().take(ROWS).map(|b| {
                                    let mut f = view.p.filters.clone();
                                    let href =
                                        f.set(*d, &b.key).is_ok().then(|| view.with_filters(&f));
                                    let label = row_label(t, *d, &b.key);
                                    let value = if *d == D::Page { b.pageviews } else { b.visits };
                                    (label, href, value)
                                }),
                                t,
                            );
                        }
                    }
                    tab
                })
                .collect();
            Card {
                id,
                title: t.word(word),
                tabs,
            }
        })
        .collect()
}

/// A value as a row shows it: source classes in words, an empty value as `(—)`.
pub fn row_label(t: &Texts, d: Dimension, key: &str) -> String {
    let label = if d == D::Source { t.source(key) } else { key };
    if label.is_empty() {
        "(—)".to_owned()
    } else {
        label.to_owned()
    }
}

fn bars(rows: impl Iterator<Item = (String, Option<String>, i64)>, t: &Texts) -> Vec<Bar> {
    let rows: Vec<_> = rows.collect();
    let max = rows.iter().map(|r| r.2).max().unwrap_or(0).max(1);
    rows.into_iter()
        .map(|(label, href, v)| Bar {
            label,
            href,
            value: count(v, t),
            width: width(v, max),
        })
        .collect()
}

/// `v` as a share of `max`, 0–100, at least 1 for a non-zero value (so it shows).
pub fn width(v: i64, max: i64) -> u32 {
    if v <= 0 || max <= 0 {
        0
    } else {
        ((v as f64 / max as f64 * 100.0).round() as u32).clamp(1, 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tab_key_is_unique_and_names_a_report() {
        let keys: Vec<&str> = CARDS
            .iter()
            .flat_map(|c| c.2.iter().map(|k| k.key()))
            .collect();
        let mut seen = std::collections::BTreeSet::new();
        for k in &keys {
            assert!(seen.insert(*k), "{k} twice");
        }
        // Every dimension is in a card.
        for d in Dimension::ALL {
            assert!(keys.contains(&d.key()), "{d:?} in no card");
        }
        for c in CARDS {
            for k in c.2 {
                assert!(!k.label(&crate::i18n::VI).is_empty());
                assert!(!k.label(&crate::i18n::EN).is_empty());
            }
        }
        assert_eq!(width(50, 200), 25);
        assert_eq!(width(1, 100_000), 1);
        assert_eq!(width(0, 10), 0);
        assert_eq!(width(10, 10), 100);
    }
}
