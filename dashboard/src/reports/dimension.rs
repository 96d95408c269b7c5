//! The dimensions a report breaks down and filters by: one enum, from which the parameter
//! names (`by=`, `filter=key:value`), the SQL columns, the filter placeholders and the labels
//! all come, so adding one cannot leave a list behind.
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    /// A page viewed (a hit's `pathname`); the only event-level dimension.
    Page,
    EntryPage,
    ExitPage,
    Source,
    Referrer,
    UtmCampaign,
    Country,
    Region,
    City,
    Browser,
    Os,
    Device,
}

impl Dimension {
    /// In the order the report page shows them.
    pub const ALL: [Dimension; 12] = [
        Dimension::Page,
        Dimension::EntryPage,
        Dimension::ExitPage,
        Dimension::Source,
        Dimension::Referrer,
        Dimension::UtmCampaign,
        Dimension::Country,
        Dimension::Region,
        Dimension::City,
        Dimension::Browser,
        Dimension::Os,
        Dimension::Device,
    ];

    /// The parameter name (`by=`, `filter=key:…`), the filter's placeholder in SQL (`:key`),
    /// and the `dim` of `sessions_dims_daily` (migration 0007).
    pub fn key(self) -> &'static str {
        match self {
            Dimension::Page => "page",
            Dimension::EntryPage => "entry_page",
            Dimension::ExitPage => "exit_page",
            Dimension::Source => "source",
            Dimension::Referrer => "referrer",
            Dimension::UtmCampaign => "utm_campaign",
            Dimension::Country => "country",
            Dimension::Region => "region",
            Dimension::City => "city",
            Dimension::Browser => "browser",
            Dimension::Os => "os",
            Dimension::Device => "device",
        }
    }

    /// The column: of `sessions` for every dimension but `page`, of `events` for `page`.
    pub fn column(self) -> &'static str {
        match self {
            Dimension::Page => "pathname",
            Dimension::Referrer => "referrer_source",
            Dimension::Country => "country_code",
            d => d.key(),
        }
    }

    /// The heading, in Vietnamese (`lang = "vi"`) or English.
    pub fn label(self, lang: &str) -> &'static str {
        let (vi, en) = match self {
            Dimension::Page => ("Trang", "Page"),
            Dimension::EntryPage => ("Trang vào", "Entry page"),
            Dimension::ExitPage => ("Trang thoát", "Exit page"),
            Dimension::Source => ("Nguồn", "Source"),
            Dimension::Referrer => ("Trang giới thiệu", "Referrer"),
            Dimension::UtmCampaign => ("Chiến dịch UTM", "UTM campaign"),
            Dimension::Country => ("Quốc gia", "Country"),
            Dimension::Region => ("Tỉnh/Thành phố", "Province"),
            Dimension::City => ("Thành phố", "City"),
            Dimension::Browser => ("Trình duyệt", "Browser"),
            Dimension::Os => ("Hệ điều hành", "OS"),
            Dimension::Device => ("Thiết bị", "Device"),
        };
        if lang == "vi" {
            vi
        } else {
            en
        }
    }

    pub fn parse(key: &str) -> Option<Dimension> {
        Dimension::ALL.into_iter().find(|d| d.key() == key)
    }

    /// A column of the visit (`sessions`), fixed or moving while it goes on.
    pub fn is_session(self) -> bool {
        self != Dimension::Page
    }

    /// The dimensions of the visit, in [`Dimension::ALL`] order.
    pub fn sessions() -> impl Iterator<Item = Dimension> {
        Dimension::ALL.into_iter().filter(|d| d.is_session())
    }

    /// The index of this dimension in [`Dimension::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// Every key, for error messages.
    pub fn keys() -> String {
        Dimension::ALL.map(Dimension::key).join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_back_and_index_matches_all() {
        for (i, d) in Dimension::ALL.into_iter().enumerate() {
            assert_eq!(Dimension::parse(d.key()), Some(d));
            assert_eq!(d.index(), i);
            assert!(!d.label("vi").is_empty() && !d.label("en").is_empty());
        }
        assert_eq!(Dimension::parse("password"), None);
        assert_eq!(Dimension::sessions().count(), 11);
    }
}
