//! What `emc-scanner` measures, shared by the scanner (writes), the dashboard and the alerts
//! (read): the checks, their outcomes, the `scan_checks` / `scans` / `scan_requests` rows and
//! the statements that read them.
//!
//! Checks are one enum: its `key()` is the stored and published name (`check` column, JSON
//! `"check"`), `label()` the Vietnamese and English names, `fix()` what to do when it fails.
use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! checks {
    ($($variant:ident => $key:literal, $vi:literal, $en:literal, $fix_vi:literal, $fix_en:literal;)*) => {
        /// One fact the scanner establishes about a site's domain.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Check { $($variant,)* }

        impl Check {
            /// Every check, in the order scorecards list them.
            pub const ALL: &'static [Check] = &[$(Check::$variant,)*];

            /// The published name (`scan_checks.check`, the JSON `"check"`).
            pub fn key(self) -> &'static str {
                match self { $(Check::$variant => $key,)* }
            }

            /// Vietnamese name, then English.
            pub fn label(self) -> (&'static str, &'static str) {
                match self { $(Check::$variant => ($vi, $en),)* }
            }

            /// What to fix when the check fails: Vietnamese, then English.
            pub fn fix(self) -> (&'static str, &'static str) {
                match self { $(Check::$variant => ($fix_vi, $fix_en),)* }
            }
        }
    };
}

checks! {
    Http => "http", "Trang chủ trả lời", "Homepage answers",
        "Trang chủ phải trả mã 200; kiểm tra máy chủ web và tên miền.",
        "The homepage must answer 200: check the web server and the domain.";
    HttpsRedirect => "https_redirect", "Chuyển hướng sang HTTPS", "Redirect to HTTPS",
        "Cấu hình http:// chuyển hướng 301 sang https://.",
        "Make http:// answer a 301 redirect to https://.";
    TlsValid => "tls_valid", "Chứng thư số hợp lệ", "Valid TLS certificate",
        "Dùng chứng thư số do tổ chức tin cậy cấp, đúng tên miền, còn hạn, kèm đủ chuỗi trung gian.",
        "Serve a certificate from a trusted CA for this name, unexpired, with its full chain.";
    TlsExpiryDays => "tls_expiry_days", "Số ngày còn lại của chứng thư", "Days until the certificate expires",
        "Gia hạn chứng thư số trước khi còn dưới 14 ngày.",
        "Renew the certificate before fewer than 14 days remain.";
    Hsts => "hsts", "HSTS", "HSTS",
        "Thêm tiêu đề Strict-Transport-Security với max-age ít nhất 180 ngày (15552000).",
        "Send Strict-Transport-Security with max-age of at least 180 days (15552000).";
    SecurityHeaders => "security_headers", "Tiêu đề bảo mật", "Security headers",
        "Thêm Content-Security-Policy, frame-ancestors hoặc X-Frame-Options, X-Content-Type-Options: nosniff, Referrer-Policy.",
        "Send Content-Security-Policy, frame-ancestors or X-Frame-Options, X-Content-Type-Options: nosniff and Referrer-Policy.";
    MixedContent => "mixed_content", "Nội dung hỗn hợp", "Mixed content",
        "Tải mọi tài nguyên (script, ảnh, CSS, iframe) qua https://.",
        "Load every resource (scripts, images, CSS, frames) over https://.";
    DomainGovVn => "domain_gov_vn", "Tên miền .gov.vn", "Domain under .gov.vn",
        "Dùng tên miền thuộc .gov.vn theo Thông tư 22/2023.",
        "Use a domain under .gov.vn (Circular 22/2023).";
    TagPresent => "tag_present", "Có mã nhúng EMC", "EMC tag present",
        "Chèn mã nhúng EMC của trang (lấy trong bảng điều khiển) vào mọi trang.",
        "Embed the site's EMC tag (from the dashboard) on every page.";
    TagSiteId => "tag_site_id", "Mã nhúng đúng mã trang", "Tag carries this site's code",
        "Sửa data-site / setSiteId trong mã nhúng thành mã của trang này.",
        "Set data-site / setSiteId in the tag to this site's code.";
    TagCollector => "tag_collector", "Mã nhúng gửi về EMC", "Tag reports to this EMC",
        "Mã nhúng phải tải tracker.js và gửi dữ liệu về máy chủ thu thập EMC.",
        "The tag must load tracker.js from, and report to, this EMC's collector.";
    TagFires => "tag_fires", "Mã nhúng gửi dữ liệu", "Tag sends a beacon",
        "Kiểm tra lỗi JavaScript và chính sách CSP chặn mã nhúng hoặc máy chủ thu thập.",
        "Look for JavaScript errors and a CSP that blocks the tag or the collector.";
    LabelVisible => "label_visible", "Nhãn \"Đã kết nối EMC\" hiển thị", "\"Đã kết nối EMC\" label visible",
        "Hiển thị nhãn \"Đã kết nối EMC\" trên trang chủ (Thông tư 22, Điều 4.7.a).",
        "Show the \"Đã kết nối EMC\" label on the homepage (Circular 22, Art. 4.7.a).";
    DcComplete => "dc_complete", "Siêu dữ liệu Dublin Core", "Dublin Core metadata",
        "Thêm thẻ meta DC.Title, DC.Creator, DC.Date, DC.Publisher, DC.Description, DC.Identifier có nội dung (Phụ lục IV).",
        "Add non-empty DC.Title, DC.Creator, DC.Date, DC.Publisher, DC.Description, DC.Identifier meta tags (Appendix IV).";
    LinksComponents => "links_components", "Liên kết đến trang thành phần", "Links to component sites",
        "Trang chủ cổng phải liên kết đến mọi trang thành phần đã đăng ký (Điều 4.7.b).",
        "The portal's homepage must link to every registered component site (Art. 4.7.b).";
    LinkParent => "link_parent", "Liên kết về cổng chính", "Link to the parent portal",
        "Trang thành phần phải liên kết về cổng thông tin của đơn vị (Điều 4.7.c).",
        "A component site must link to its portal (Art. 4.7.c).";
    FooterContact => "footer_contact", "Chân trang có thông tin liên hệ", "Footer contact details",
        "Chân trang ghi tên đơn vị, địa chỉ, điện thoại, email (Điều 3.3).",
        "The footer must give the unit's name, address, phone and email (Art. 3.3).";
    Ttfb => "ttfb", "Thời gian đáp ứng", "Response time (TTFB)",
        "Thời gian đáp ứng phải dưới 0,6 s: bật bộ nhớ đệm, giảm xử lý phía máy chủ.",
        "The response must start within 0.6 s: cache, lighten server-side work.";
    Fcp => "fcp", "Hiển thị nội dung đầu tiên (FCP)", "First contentful paint",
        "FCP phải dưới 3 s: giảm CSS/JS chặn hiển thị.",
        "FCP must be under 3 s: cut render-blocking CSS and scripts.";
    Lcp => "lcp", "Hiển thị nội dung lớn nhất (LCP)", "Largest contentful paint",
        "LCP phải dưới 4 s: nén và ưu tiên ảnh chính.",
        "LCP must be under 4 s: compress and prioritise the main image.";
    Load => "load", "Thời gian tải trang", "Page load time",
        "Trang phải tải xong dưới 5,8 s: giảm dung lượng và số tài nguyên.",
        "The page must finish loading within 5.8 s: fewer and smaller resources.";
    A11y => "a11y", "Khả năng tiếp cận", "Accessibility (WCAG 2.1 A/AA)",
        "Sửa các lỗi axe-core mức serious và critical (WCAG 2.1 A/AA).",
        "Fix the serious and critical axe-core violations (WCAG 2.1 A/AA).";
    Robots => "robots", "Tệp robots.txt", "robots.txt",
        "Đặt tệp /robots.txt trả mã 200.",
        "Serve /robots.txt with status 200.";
    Sitemap => "sitemap", "Sơ đồ trang sitemap.xml", "sitemap.xml",
        "Đặt /sitemap.xml hợp lệ (hoặc khai báo Sitemap: trong robots.txt).",
        "Serve a valid /sitemap.xml (or name it with Sitemap: in robots.txt).";
    NotFound => "not_found", "Trang không tồn tại trả 404", "Unknown pages answer 404",
        "Đường dẫn không tồn tại phải trả mã 404, không phải 200.",
        "An unknown path must answer 404, not 200.";
}

impl Check {
    pub fn parse(key: &str) -> Option<Check> {
        Check::ALL.iter().copied().find(|c| c.key() == key)
    }

    /// Checks made in headless Chromium (the others need only HTTP and HTML).
    pub fn needs_browser(self) -> bool {
        matches!(
            self,
            Check::TagFires | Check::Ttfb | Check::Fcp | Check::Lcp | Check::Load | Check::A11y
        )
    }
}

/// A check's result. Stored as `Enum8('pass'=1,'fail'=2,'error'=3,'n/a'=4)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Outcome {
    #[serde(rename = "pass")]
    Pass,
    #[serde(rename = "fail")]
    Fail,
    /// The scanner could not establish the fact (the page never arrived, a timeout…).
    #[serde(rename = "error")]
    Error,
    /// The check does not apply to this site (a portal has no parent; no HTTPS, no HSTS age).
    #[serde(rename = "n/a")]
    NotApplicable,
}

impl Outcome {
    pub const ALL: [Outcome; 4] = [
        Outcome::Pass,
        Outcome::Fail,
        Outcome::Error,
        Outcome::NotApplicable,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Error => "error",
            Outcome::NotApplicable => "n/a",
        }
    }

    /// The Enum8 value.
    pub fn code(self) -> i8 {
        match self {
            Outcome::Pass => 1,
            Outcome::Fail => 2,
            Outcome::Error => 3,
            Outcome::NotApplicable => 4,
        }
    }

    pub fn from_code(code: i8) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.code() == code)
    }

    pub fn parse(key: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.key() == key)
    }

    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            Outcome::Pass => ("Đạt", "Pass"),
            Outcome::Fail => ("Không đạt", "Fail"),
            Outcome::Error => ("Lỗi đo", "Error"),
            Outcome::NotApplicable => ("Không áp dụng", "N/A"),
        }
    }
}

/// One row of `scan_checks`.
#[derive(Debug, Clone, Default, PartialEq, Eq, clickhouse::Row, Serialize, Deserialize)]
pub struct ScanCheckRow {
    #[serde(with = "clickhouse::serde::uuid")]
    pub scan_id: Uuid,
    pub site: String,
    pub domain: String,
    pub scanned_at: u32,
    pub check: String,
    /// [`Outcome::code`].
    pub outcome: i8,
    pub value: String,
    pub detail: String,
}

/// One row of `scans`: one scan of one domain of one site.
#[derive(Debug, Clone, Default, PartialEq, Eq, clickhouse::Row, Serialize, Deserialize)]
pub struct ScanRow {
    #[serde(with = "clickhouse::serde::uuid")]
    pub scan_id: Uuid,
    pub site: String,
    pub domain: String,
    pub scanned_at: u32,
    pub duration_ms: u32,
    /// `schedule`, `request` (asked for from the dashboard) or `cli`.
    pub trigger: String,
    pub browser: u8,
}

/// One row of `scan_requests`: someone asked for a scan of a site now.
#[derive(Debug, Clone, Default, PartialEq, Eq, clickhouse::Row, Serialize, Deserialize)]
pub struct ScanRequestRow {
    pub site: String,
    pub requested_at: u32,
    pub requested_by: String,
}

/// The latest scan of each (site, domain): every check of it (binds: site or '' twice).
pub const LATEST: &str = "SELECT scan_id, site, domain, scanned_at, check, toInt8(outcome), value, detail \
     FROM scan_checks WHERE (? = '' OR site = ?) \
     AND (site, domain, scanned_at) IN (SELECT site, domain, max(scanned_at) FROM scans WHERE (? = '' OR site = ?) GROUP BY site, domain) \
     ORDER BY length(site), site, domain, check";

/// One site's check results over a range of scans, newest first (binds: site, from, to as
/// Unix seconds).
pub const HISTORY: &str = "SELECT scan_id, site, domain, scanned_at, check, toInt8(outcome), value, detail \
     FROM scan_checks WHERE site = ? AND scanned_at >= toDateTime(?) AND scanned_at <= toDateTime(?) \
     ORDER BY scanned_at DESC, domain, check";

/// Checks whose outcome differs between the last two scans of their (site, domain) — what
/// changed since the previous scan (binds: site or '' twice). Columns: site, domain, check,
/// previous scan time and outcome, latest scan time and outcome, latest value.
pub const CHANGES: &str = "SELECT site, domain, check, \
     min(scanned_at) AS before_at, toInt8(argMin(outcome, scanned_at)) AS before, \
     max(scanned_at) AS now_at, toInt8(argMax(outcome, scanned_at)) AS now, argMax(value, scanned_at) AS now_value \
     FROM (SELECT site, domain, check, scanned_at, outcome, value FROM scan_checks WHERE (? = '' OR site = ?) \
       ORDER BY site, domain, check, scanned_at DESC LIMIT 2 BY site, domain, check) \
     GROUP BY site, domain, check HAVING count() = 2 AND before != now \
     ORDER BY length(site), site, domain, check";

/// The newest request per site (binds: none). A site is due when its newest request is later
/// than its latest scan ([`LAST_SCANS`]).
pub const REQUESTS: &str = "SELECT site, max(requested_at) AS last_requested, argMax(requested_by, requested_at) AS last_by \
     FROM scan_requests GROUP BY site ORDER BY site";

/// The time of each site's latest scan (binds: none).
pub const LAST_SCANS: &str = "SELECT site, max(scanned_at) FROM scans GROUP BY site ORDER BY site";

/// A row read back by [`LATEST`] / [`HISTORY`].
#[derive(Debug, Clone, PartialEq, Eq, clickhouse::Row, Deserialize)]
pub struct CheckRead {
    #[serde(with = "clickhouse::serde::uuid")]
    pub scan_id: Uuid,
    pub site: String,
    pub domain: String,
    pub scanned_at: u32,
    pub check: String,
    pub outcome: i8,
    pub value: String,
    pub detail: String,
}

/// A row of [`CHANGES`].
#[derive(Debug, Clone, PartialEq, Eq, clickhouse::Row, Deserialize)]
pub struct Change {
    pub site: String,
    pub domain: String,
    pub check: String,
    pub before_at: u32,
    pub before: i8,
    pub now_at: u32,
    pub now: i8,
    pub now_value: String,
}

/// The statements above with sample binds, for the modern-ClickHouse catalog.
pub fn catalog() -> Vec<crate::catalog::CatalogQuery> {
    use crate::catalog::CatalogQuery;
    vec![
        CatalogQuery::with_binds("scan.latest", LATEST, &["'227'", "'227'", "'227'", "'227'"]),
        CatalogQuery::with_binds(
            "scan.history",
            HISTORY,
            &["'227'", "1764547200", "1767225599"],
        ),
        CatalogQuery::with_binds("scan.changes", CHANGES, &["''", "''"]),
        CatalogQuery::with_binds("scan.requests", REQUESTS, &[]),
        CatalogQuery::with_binds("scan.last_scans", LAST_SCANS, &[]),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_the_published_names_and_unique() {
        let keys: Vec<&str> = Check::ALL.iter().map(|c| c.key()).collect();
        assert_eq!(
            keys,
            [
                "http",
                "https_redirect",
                "tls_valid",
                "tls_expiry_days",
                "hsts",
                "security_headers",
                "mixed_content",
                "domain_gov_vn",
                "tag_present",
                "tag_site_id",
                "tag_collector",
                "tag_fires",
                "label_visible",
                "dc_complete",
                "links_components",
                "link_parent",
                "footer_contact",
                "ttfb",
                "fcp",
                "lcp",
                "load",
                "a11y",
                "robots",
                "sitemap",
                "not_found",
            ]
        );
        for c in Check::ALL {
            assert_eq!(Check::parse(c.key()), Some(*c));
            assert!(!c.label().0.is_empty() && !c.fix().1.is_empty());
        }
    }

    #[test]
    fn outcomes_round_trip_through_their_enum8_codes() {
        for o in Outcome::ALL {
            assert_eq!(Outcome::from_code(o.code()), Some(o));
            assert_eq!(Outcome::parse(o.key()), Some(o));
            assert_eq!(
                serde_json::to_string(&o).unwrap(),
                format!("\"{}\"", o.key())
            );
        }
    }
}
