//! The scanner's fixture fleet: each site written to make some checks pass and others fail
//! for a reason the test knows, and registered under a known code.
use emc_e2e::sites::{Page, Site, Tls};
use emc_sql::registry::{self, AgencyGroup, NewAgency, NewSite, SiteKind};
use emc_sql::Db;

pub const DC: &str = r#"<meta name="DC.Title" content="Cổng thông tin"><meta name="DC.Creator" content="Bộ A"><meta name="DC.Date" content="2026-12-01"><meta name="DC.Publisher" content="Bộ A"><meta name="DC.Description" content="Trang chủ"><meta name="DC.Identifier" content="https://portal.gov.vn/">"#;

pub fn tag(code: &str, collector: &str) -> String {
    format!(r#"<script defer data-site="{code}" src="{collector}/tracker.js"></script>"#)
}

pub const LABEL: &str = r#"<p><a href="https://emc.gov.vn" data-emc-label>Đã kết nối EMC</a></p>"#;

pub fn footer(name: &str, domain: &str) -> String {
    format!(
        r#"<footer><p>{name}</p><p>Địa chỉ: 1 Hoàng Hoa Thám, Ba Đình, Hà Nội</p><p>Điện thoại: 024 3823 4567</p><p>Email: <a href="mailto:lienhe@{domain}">lienhe@{domain}</a></p></footer>"#
    )
}

pub fn html(title: &str, head: &str, body: &str) -> String {
    format!(
        r#"<!doctype html><html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>{head}</head><body><header><h1>{title}</h1></header><main>{body}</main></body></html>"#
    )
}

/// Headers of a well-configured site.
pub fn secure_headers(collector: &str) -> Vec<(&'static str, String)> {
    vec![
        ("strict-transport-security", "max-age=31536000; includeSubDomains".into()),
        (
            "content-security-policy",
            format!("default-src 'self'; script-src 'self' {collector}; connect-src 'self' {collector}; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'"),
        ),
        ("x-content-type-options", "nosniff".into()),
        ("referrer-policy", "strict-origin-when-cross-origin".into()),
    ]
}

fn robots(domain: &str) -> Page {
    Page::typed(
        format!("User-agent: *\nDisallow: /private\nSitemap: https://{domain}/sitemap.xml\n"),
        "text/plain",
    )
}

fn sitemap(domain: &str, paths: &[&str]) -> Page {
    let urls: String = paths
        .iter()
        .map(|p| format!("<url><loc>https://{domain}{p}</loc></url>"))
        .collect();
    Page::typed(
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>"#
        ),
        "application/xml",
    )
}

/// A compliant site: tag, label, DC on every page, footer, headers, redirect, robots, sitemap.
pub fn compliant(domain: &str, code: &str, name: &str, links: &str, collector: &str) -> Site {
    let head = format!("{DC}{}", tag(code, collector));
    let body = format!(
        r#"<nav><a href="/tin-tuc">Tin tức</a> <a href="/lien-he">Liên hệ</a> {links}</nav><p>Nội dung trang chủ.</p>{LABEL}{}"#,
        footer(name, domain)
    );
    let mut site = Site::new(domain)
        .page("/", Page::html(html(name, &head, &body)))
        .page("/tin-tuc", Page::html(html("Tin tức", DC, "<p>Tin.</p>")))
        .page(
            "/lien-he",
            Page::html(html("Liên hệ", DC, "<p>Liên hệ.</p>")),
        )
        .page("/private/x", Page::html(html("Riêng", "", "<p>x</p>")))
        .page("/robots.txt", robots(domain))
        .page(
            "/sitemap.xml",
            sitemap(domain, &["/private/x", "/tin-tuc", "/lien-he"]),
        );
    site.redirect_http = true;
    site.headers = secure_headers(collector);
    site
}

/// A plain site: HTTP and HTTPS both serve the page, no security headers, no robots.txt.
pub fn plain(domain: &str, head: &str, body: &str) -> Site {
    Site::new(domain).page("/", Page::html(html("Trang", head, body)))
}

pub fn fleet(collector: &str) -> Vec<Site> {
    let portal_links = r#"<a href="https://c1.portal.gov.vn/">Sở 1</a> <a href="https://www.c2.portal.gov.vn/gioi-thieu">Sở 2</a>"#;
    let to_portal = r#"<a href="https://portal.gov.vn/">Cổng Bộ A</a>"#;
    let mut bare = plain(
        "bare.gov.vn",
        &tag("200", collector),
        &format!(
            r#"<a href="/gioi-thieu">Giới thiệu</a><img src="http://cdn.bare.gov.vn/logo.png" alt="logo">{}"#,
            footer("Bộ B", "bare.gov.vn")
        ),
    )
    .page("/robots.txt", Page::typed("User-agent: *\nAllow: /\n", "text/plain"));
    bare.soft_404 = true;
    let matomo = format!(
        r#"<script>var _paq = window._paq = window._paq || []; _paq.push(['trackPageView']); _paq.push(['enableLinkTracking']); (function() {{ var u="//{}/"; _paq.push(['setTrackerUrl', u+'matomo.php']); _paq.push(['setSiteId', '500']); var d=document, g=d.createElement('script'), s=d.getElementsByTagName('script')[0]; g.async=true; g.src=u+'matomo.js'; s.parentNode.insertBefore(g,s); }})();</script>"#,
        collector
            .trim_start_matches("http://")
            .trim_start_matches("https://")
    );
    let full =
        |code: &str, domain: &str| format!("{}{}", LABEL, footer(&format!("Site {code}"), domain));
    let mut expired = plain(
        "expired.gov.vn",
        &tag("600", collector),
        &full("600", "expired.gov.vn"),
    );
    expired.tls = Tls::Expired;
    let mut http_only = plain(
        "httponly.gov.vn",
        &tag("700", collector),
        &full("700", "httponly.gov.vn"),
    );
    http_only.tls = Tls::Off;
    vec![
        compliant(
            "portal.gov.vn",
            "100",
            "Cổng thông tin Bộ A",
            portal_links,
            collector,
        ),
        compliant("c1.portal.gov.vn", "101", "Sở 1", to_portal, collector),
        compliant("c2.portal.gov.vn", "102", "Sở 2", "", collector),
        bare,
        plain(
            "wrongid.gov.vn",
            &tag("999", collector),
            &full("300", "wrongid.gov.vn"),
        ),
        plain(
            "other.gov.vn",
            &tag("400", "https://stats.example.org"),
            &full("400", "other.gov.vn"),
        ),
        plain("matomo.gov.vn", &matomo, &full("500", "matomo.gov.vn")),
        expired,
        http_only,
        plain(
            "nofooter.gov.vn",
            &tag("900", collector),
            &format!("{LABEL}<footer><p>© 2026</p></footer>"),
        ),
    ]
}

/// The down site: registered, but nothing answers.
pub const DOWN: &str = "down-site.vn";

/// Registers the fleet: (code, name, domain, kind, parent).
pub async fn register(db: &Db) {
    registry::add_agency(
        db,
        NewAgency {
            id: "bo-a".into(),
            name: "Bộ A".into(),
            group: AgencyGroup::Ministry,
            parent: None,
        },
    )
    .await
    .unwrap();
    let sites: [(&str, &str, &str, SiteKind, Option<&str>); 11] = [
        (
            "100",
            "Cổng thông tin Bộ A",
            "portal.gov.vn",
            SiteKind::Portal,
            None,
        ),
        (
            "101",
            "Sở 1",
            "c1.portal.gov.vn",
            SiteKind::Component,
            Some("100"),
        ),
        (
            "102",
            "Sở 2",
            "c2.portal.gov.vn",
            SiteKind::Component,
            Some("100"),
        ),
        ("200", "Bộ B", "bare.gov.vn", SiteKind::Portal, None),
        ("300", "Site 300", "wrongid.gov.vn", SiteKind::Portal, None),
        ("400", "Site 400", "other.gov.vn", SiteKind::Portal, None),
        ("500", "Site 500", "matomo.gov.vn", SiteKind::Portal, None),
        ("600", "Site 600", "expired.gov.vn", SiteKind::Portal, None),
        ("700", "Site 700", "httponly.gov.vn", SiteKind::Portal, None),
        ("800", "Site 800", DOWN, SiteKind::Portal, None),
        ("900", "Site 900", "nofooter.gov.vn", SiteKind::Portal, None),
    ];
    for (code, name, domain, kind, parent) in sites {
        registry::add_site(
            db,
            NewSite {
                name: name.into(),
                domains: vec![domain.into()],
                kind,
                parent: parent.map(str::to_owned),
                agency: "bo-a".into(),
                code: Some(code.into()),
            },
        )
        .await
        .unwrap();
    }
}
