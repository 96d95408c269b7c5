//! One scan of one (site, domain): the HTTP, TLS and HTML checks in order, then the browser
//! checks when a browser is given. Every check of [`Check::ALL`] gets exactly one result
//! (browser checks only with a browser).
use crate::browser::Browser;
use crate::checks::{self, content, crawl, tag, CheckResult};
use crate::net::{self, Chain, Net};
use crate::page::{self, PageFacts};
use crate::target::Target;
use chrono::{DateTime, Utc};
use emc_sql::scan::{Check, Outcome};
use serde::Serialize;
use std::time::{Duration, Instant};
use url::Url;

/// Everything one scan of one domain found; serializes as the `--json` line.
#[derive(Debug, Clone, Serialize)]
pub struct DomainScan {
    #[serde(skip)]
    pub scan_id: uuid::Uuid,
    pub site: String,
    pub domain: String,
    #[serde(serialize_with = "rfc3339")]
    pub scanned_at: DateTime<Utc>,
    pub checks: Vec<CheckResult>,
    #[serde(skip)]
    pub duration: Duration,
    #[serde(skip)]
    pub browser: bool,
}

fn rfc3339<S: serde::Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
}

impl DomainScan {
    pub fn get(&self, check: Check) -> Option<&CheckResult> {
        self.checks.iter().find(|c| c.check == check)
    }
}

/// What every scan shares.
#[derive(Clone)]
pub struct Scanner {
    pub net: Net,
    /// EMC_COLLECTOR_PUBLIC_URL.
    pub collector: Url,
    pub inner_pages: usize,
}

impl Scanner {
    pub async fn scan(&self, t: &Target, browser: Option<&Browser>) -> DomainScan {
        let started = Instant::now();
        let scanned_at = Utc::now();
        let mut out = Vec::with_capacity(Check::ALL.len());
        let https_url = Url::parse(&format!("https://{}/", t.domain));
        let http_url = Url::parse(&format!("http://{}/", t.domain));
        let (Ok(https_url), Ok(http_url)) = (https_url, http_url) else {
            return self.unscannable(t, scanned_at, "the domain is not a host name");
        };
        let secure = self.net.follow(&https_url).await;
        let plain = self.net.follow(&http_url).await;
        let cert = net::tls::inspect(
            &self.net.trust,
            &self.net.connect_to,
            &t.domain,
            self.net.timeout,
        )
        .await;
        let home = secure.page().or(plain.page());
        out.push(checks::http::http(&secure, &plain));
        out.push(checks::http::https_redirect(&secure, &plain));
        out.extend(checks::tls::checks(&cert, scanned_at.timestamp()));
        out.push(checks::http::hsts(&secure));
        out.push(checks::http::security_headers(home));
        out.push(content::domain_gov_vn(&t.domain));
        let home_ok = home.filter(|h| (200..300).contains(&h.status));
        let facts = home_ok.map(|h| page::read(&h.body, &h.url));
        match (home_ok, &facts) {
            (Some(h), Some(f)) => {
                out.push(content::mixed_content(&h.url, f));
                let found = tag::find(f, &h.url);
                out.extend(tag::checks(found.as_ref(), &t.site, &self.collector));
                out.push(content::label_in_html(f, found.as_ref()));
                out.push(content::links_components(t, f));
                out.push(content::link_parent(t, f));
                out.push(content::footer_contact(t, f));
            }
            _ => {
                let why = home_error(&secure, &plain);
                for c in [
                    Check::MixedContent,
                    Check::TagPresent,
                    Check::TagSiteId,
                    Check::TagCollector,
                    Check::LabelVisible,
                    Check::LinksComponents,
                    Check::LinkParent,
                    Check::FooterContact,
                ] {
                    out.push(CheckResult::error(c, why.clone()));
                }
            }
        }
        let origin = home.map(|h| h.url.clone()).unwrap_or(https_url);
        let (robots_result, robots) = crawl::robots(&self.net, &origin).await;
        out.push(robots_result);
        let (sitemap_result, sitemap_urls) = crawl::sitemap(&self.net, &origin, &robots).await;
        out.push(sitemap_result);
        out.push(crawl::not_found(&self.net, &origin).await);
        match (home_ok, facts) {
            (Some(h), Some(f)) => {
                let inner =
                    crawl::sample(&h.url, &sitemap_urls, &f.links, &robots, self.inner_pages);
                let mut pages = vec![(h.url.clone(), Ok(f))];
                for u in inner {
                    pages.push((u.clone(), self.read_page(&u).await));
                }
                out.push(content::dc_complete(&pages));
            }
            _ => out.push(CheckResult::error(
                Check::DcComplete,
                home_error(&secure, &plain),
            )),
        }
        if let Some(b) = browser {
            let page_url = home_ok.map(|h| h.url.clone());
            let results = match page_url {
                Some(u) => b.checks(&u, &self.collector).await,
                None => crate::browser::all_error(&home_error(&secure, &plain)),
            };
            for r in results {
                // The browser's view of the label replaces the markup's.
                out.retain(|c| c.check != r.check);
                out.push(r);
            }
        }
        out.sort_by_key(|c| c.check);
        DomainScan {
            scan_id: uuid::Uuid::new_v4(),
            site: t.site.clone(),
            domain: t.domain.clone(),
            scanned_at,
            checks: out,
            duration: started.elapsed(),
            browser: browser.is_some(),
        }
    }

    async fn read_page(&self, url: &Url) -> Result<PageFacts, String> {
        let chain = self.net.follow(url).await;
        match chain.page() {
            Some(r) if (200..300).contains(&r.status) => Ok(page::read(&r.body, &r.url)),
            Some(r) => Err(format!("status {}", r.status)),
            None => Err(chain.error.map(|e| e.0).unwrap_or_default()),
        }
    }

    fn unscannable(&self, t: &Target, at: DateTime<Utc>, why: &str) -> DomainScan {
        DomainScan {
            scan_id: uuid::Uuid::new_v4(),
            site: t.site.clone(),
            domain: t.domain.clone(),
            scanned_at: at,
            checks: Check::ALL
                .iter()
                .filter(|c| !c.needs_browser())
                .map(|c| CheckResult::new(*c, Outcome::Error, "", why))
                .collect(),
            duration: Duration::ZERO,
            browser: false,
        }
    }
}

fn home_error(secure: &Chain, plain: &Chain) -> String {
    match (secure.page().or(plain.page()), &secure.error, &plain.error) {
        (Some(h), _, _) => format!("homepage answered {}", h.status),
        (None, Some(a), Some(b)) => format!("homepage not fetched: https:// {a}; http:// {b}"),
        _ => "homepage not fetched".to_owned(),
    }
}
