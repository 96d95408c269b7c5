//! `robots`, `sitemap`, `not_found`, and the sample of inner pages `dc_complete` reads
//! (from sitemap.xml, else the homepage's links; only what robots.txt allows us).
use super::CheckResult;
use crate::net::{Net, Response};
use emc_sql::scan::Check;
use url::Url;

/// The robots.txt user-agent token the scanner obeys.
pub const ROBOTS_AGENT: &str = "EMC-Scanner";

/// What robots.txt said, for the rest of the scan.
pub struct Robots {
    rules: Option<texting_robots::Robot>,
    pub sitemaps: Vec<String>,
}

impl Robots {
    pub fn allows(&self, url: &Url) -> bool {
        self.rules.as_ref().is_none_or(|r| r.allowed(url.as_str()))
    }
}

pub async fn robots(net: &Net, origin: &Url) -> (CheckResult, Robots) {
    let c = Check::Robots;
    let url = origin.join("/robots.txt").expect("a path joins");
    let none = Robots {
        rules: None,
        sitemaps: Vec::new(),
    };
    match net.get(&url).await {
        Err(e) => (CheckResult::error(c, e.0), none),
        Ok(r) if r.status == 200 => {
            match texting_robots::Robot::new(ROBOTS_AGENT, r.body.as_bytes()) {
                Ok(robot) => {
                    let sitemaps = robot.sitemaps.clone();
                    (
                        CheckResult::pass(c, "200", format!("{} Sitemap line(s)", sitemaps.len())),
                        Robots {
                            rules: Some(robot),
                            sitemaps,
                        },
                    )
                }
                Err(e) => (
                    CheckResult::fail(c, "200", format!("robots.txt unreadable: {e}")),
                    none,
                ),
            }
        }
        Ok(r) => (
            CheckResult::fail(
                c,
                r.status.to_string(),
                format!("{url} answers {}", r.status),
            ),
            none,
        ),
    }
}

/// The `<loc>` URLs of a sitemap or sitemap index; `Err` when it is not one.
pub fn sitemap_locs(xml: &str) -> Result<(bool, Vec<String>), String> {
    let doc = roxmltree::Document::parse(xml.trim_start_matches('\u{feff}').trim_start())
        .map_err(|e| format!("not XML: {e}"))?;
    let root = doc.root_element().tag_name().name();
    let index = match root {
        "urlset" => false,
        "sitemapindex" => true,
        other => {
            return Err(format!(
                "root element <{other}>, not <urlset> or <sitemapindex>"
            ))
        }
    };
    let locs = doc
        .descendants()
        .filter(|n| n.tag_name().name() == "loc")
        .filter_map(|n| n.text())
        .map(|t| t.trim().to_owned())
        .collect();
    Ok((index, locs))
}

/// `sitemap`: the sitemap robots.txt names, else /sitemap.xml; its page URLs (one level of
/// sitemap index followed).
pub async fn sitemap(net: &Net, origin: &Url, robots: &Robots) -> (CheckResult, Vec<Url>) {
    let c = Check::Sitemap;
    let url = robots
        .sitemaps
        .iter()
        .find_map(|s| origin.join(s).ok())
        .unwrap_or_else(|| origin.join("/sitemap.xml").expect("a path joins"));
    let resp = match net.get(&url).await {
        Err(e) => return (CheckResult::error(c, e.0), Vec::new()),
        Ok(r) if r.status != 200 => {
            return (
                CheckResult::fail(
                    c,
                    r.status.to_string(),
                    format!("{url} answers {}", r.status),
                ),
                Vec::new(),
            )
        }
        Ok(r) => r,
    };
    match sitemap_locs(&resp.body) {
        Err(e) => (CheckResult::fail(c, "", format!("{url}: {e}")), Vec::new()),
        Ok((false, locs)) => {
            let urls: Vec<Url> = locs.iter().filter_map(|l| Url::parse(l).ok()).collect();
            (
                CheckResult::pass(c, urls.len().to_string(), url.to_string()),
                urls,
            )
        }
        Ok((true, children)) => {
            let mut urls = Vec::new();
            if let Some(child) = children.iter().find_map(|l| Url::parse(l).ok()) {
                if let Ok(r) = net.get(&child).await {
                    if let Ok((false, locs)) = sitemap_locs(&r.body) {
                        urls = locs.iter().filter_map(|l| Url::parse(l).ok()).collect();
                    }
                }
            }
            (
                CheckResult::pass(
                    c,
                    children.len().to_string(),
                    format!("{url}: sitemap index"),
                ),
                urls,
            )
        }
    }
}

/// `not_found`: a path that cannot exist answers 404 (or 410), not a soft 200.
pub async fn not_found(net: &Net, origin: &Url) -> CheckResult {
    let c = Check::NotFound;
    let path = format!("/emc-scanner-{}", uuid::Uuid::new_v4().simple());
    let url = origin.join(&path).expect("a path joins");
    match net.get(&url).await {
        Err(e) => CheckResult::error(c, e.0),
        Ok(Response { status, .. }) => CheckResult::verdict(
            c,
            matches!(status, 404 | 410),
            status.to_string(),
            format!("{url} answers {status}"),
        ),
    }
}

/// Up to `n` inner pages of the homepage's site: sitemap URLs first, then homepage links;
/// same host, not the homepage, not a file download, allowed by robots.txt.
pub fn sample(home: &Url, sitemap: &[Url], links: &[Url], robots: &Robots, n: usize) -> Vec<Url> {
    let skip_ext = [
        ".pdf", ".doc", ".docx", ".xls", ".xlsx", ".zip", ".rar", ".jpg", ".jpeg", ".png", ".gif",
        ".mp4", ".mp3",
    ];
    let mut out: Vec<Url> = Vec::new();
    for u in sitemap.iter().chain(links) {
        let mut u = u.clone();
        u.set_fragment(None);
        let path = u.path().to_ascii_lowercase();
        let ok = u.host_str() == home.host_str()
            && u.path() != home.path()
            && !skip_ext.iter().any(|e| path.ends_with(e))
            && robots.allows(&u)
            && !out.contains(&u);
        if ok {
            out.push(u);
        }
        if out.len() >= n {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sitemaps_and_indexes() {
        let set = r#"<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc> https://a.gov.vn/x </loc></url><url><loc>https://a.gov.vn/y</loc></url></urlset>"#;
        assert_eq!(
            sitemap_locs(set).unwrap(),
            (
                false,
                vec![
                    "https://a.gov.vn/x".to_owned(),
                    "https://a.gov.vn/y".to_owned()
                ]
            )
        );
        let idx = r#"<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>https://a.gov.vn/s1.xml</loc></sitemap></sitemapindex>"#;
        assert!(sitemap_locs(idx).unwrap().0);
        assert!(sitemap_locs("<html></html>").is_err());
        assert!(sitemap_locs("not xml").is_err());
    }

    #[test]
    fn the_sample_obeys_robots_and_stays_on_the_host() {
        let robot =
            texting_robots::Robot::new(ROBOTS_AGENT, b"User-agent: *\nDisallow: /private\n")
                .unwrap();
        let robots = Robots {
            rules: Some(robot),
            sitemaps: vec![],
        };
        let home = Url::parse("https://a.gov.vn/").unwrap();
        let u = |s: &str| Url::parse(s).unwrap();
        let got = sample(
            &home,
            &[u("https://a.gov.vn/private/x"), u("https://a.gov.vn/news")],
            &[
                u("https://a.gov.vn/"),
                u("https://b.gov.vn/z"),
                u("https://a.gov.vn/f.pdf"),
                u("https://a.gov.vn/news#top"),
                u("https://a.gov.vn/about"),
                u("https://a.gov.vn/more"),
            ],
            &robots,
            2,
        );
        assert_eq!(
            got,
            [u("https://a.gov.vn/news"), u("https://a.gov.vn/about")]
        );
    }
}
