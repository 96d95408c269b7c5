//! The run's sites: registered through the registry (the functions behind
//! `emc-dashboard agency add` / `site add`) when missing, then probed until the collector
//! knows them (it re-reads the registry every few seconds).
use crate::model::SiteModel;
use anyhow::Context;
use emc_sql::registry::{self, AgencyGroup, NewAgency, NewSite, SiteKind};
use emc_sql::Db;
use std::time::{Duration, Instant};

pub const AGENCY: &str = "loadtest";
/// A user agent the collector takes for a tool: a probe is answered 202 and stored nowhere
/// but the connection log, once the site is known (404 before).
pub const PROBE_UA: &str = "curl/8.5.0 (emc-loadtest probe)";

/// Registers the agency `loadtest` and every site of `sites` that is not registered yet.
/// A code registered with other domains is an error (another run's sites, another prefix).
pub async fn ensure_registered(db: &Db, sites: &[SiteModel]) -> anyhow::Result<usize> {
    if !registry::list_agencies(db)
        .await?
        .iter()
        .any(|a| a.id == AGENCY)
    {
        registry::add_agency(
            db,
            NewAgency {
                id: AGENCY.into(),
                name: "Load test (synthetic traffic)".into(),
                group: AgencyGroup::Other,
                parent: None,
            },
        )
        .await
        .context("registering the agency `loadtest`")?;
    }
    let existing = registry::list_sites(db).await?;
    let mut added = 0;
    for site in sites {
        match existing.iter().find(|s| s.code == site.code) {
            Some(s) if s.domains.contains(&site.domain) => {}
            Some(s) => anyhow::bail!(
                "site {} is registered with domains {:?}, not {}: use another --site-prefix",
                s.code,
                s.domains,
                site.domain
            ),
            None => {
                let new = NewSite {
                    name: site.name.clone(),
                    domains: vec![site.domain.clone()],
                    kind: SiteKind::Portal,
                    parent: None,
                    agency: AGENCY.into(),
                    code: Some(site.code.clone()),
                };
                registry::add_site(db, new)
                    .await
                    .with_context(|| format!("registering site {}", site.code))?;
                added += 1;
            }
        }
    }
    Ok(added)
}

/// Waits until the collector at `base` (`http://host:port`) answers 202 for every site.
pub async fn wait_known(base: &str, sites: &[SiteModel], timeout: Duration) -> anyhow::Result<()> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()?;
    let deadline = Instant::now() + timeout;
    for site in sites {
        let body = serde_json::json!({ "site": site.code, "name": "pageview", "url": format!("https://{}/", site.domain) }).to_string();
        loop {
            let res = client
                .post(format!("{base}/api/event"))
                .header("content-type", "text/plain;charset=UTF-8")
                .header("user-agent", PROBE_UA)
                .body(body.clone())
                .send()
                .await;
            match res {
                Ok(r) if r.status().as_u16() == 202 => break,
                Ok(r) if Instant::now() > deadline => anyhow::bail!(
                    "the collector at {base} still answers {} for site {}",
                    r.status(),
                    site.code
                ),
                Err(e) if Instant::now() > deadline => {
                    anyhow::bail!("the collector at {base} does not answer: {e}")
                }
                _ => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        }
    }
    Ok(())
}
