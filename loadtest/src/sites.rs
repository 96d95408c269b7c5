//! The run's sites: registered through the registry (the functions behind
//! `emc-dashboard agency add` / `site add`) when missing, then probed until the collector
//! knows them (it re-reads the registry every few seconds).
use crate::model::SiteModel;
use anyhow::Context;
use emc_sql::registry::{self, AgencyGroup, NewAgency, NewSite, SiteKind};
use emc_sql::Db;
use std::time::{Duration, Instant};

pub const AGENCY: &str = "loadtest";

/// Who owns the sites a seed registers, and how they are shaped.
#[derive(Debug, Clone, Copy)]
pub struct Owner {
    pub agency: &'static str,
    pub agency_name: &'static str,
    pub group: AgencyGroup,
    /// The first site a portal, the others its components (else every site a portal).
    pub components: bool,
    /// Names registered for the first sites instead of the model's.
    pub site_names: &'static [&'static str],
}

/// The load test's agency: every site a portal.
pub const LOADTEST: Owner = Owner {
    agency: AGENCY,
    agency_name: "Load test (synthetic traffic)",
    group: AgencyGroup::Other,
    components: false,
    site_names: &[],
};
/// A user agent the collector takes for a tool: a probe is answered 202 and stored nowhere
/// but the connection log, once the site is known (404 before).
pub const PROBE_UA: &str = "curl/8.5.0 (emc-loadtest probe)";

/// Registers the agency `loadtest` and every site of `sites` that is not registered yet.
/// A code registered with other domains is an error (another run's sites, another prefix).
pub async fn ensure_registered(db: &Db, sites: &[SiteModel]) -> anyhow::Result<usize> {
    ensure_registered_as(db, sites, &LOADTEST).await
}

/// [`ensure_registered`] for the agency and site shapes of `owner`.
pub async fn ensure_registered_as(
    db: &Db,
    sites: &[SiteModel],
    owner: &Owner,
) -> anyhow::Result<usize> {
    if !registry::list_agencies(db)
        .await?
        .iter()
        .any(|a| a.id == owner.agency)
    {
        registry::add_agency(
            db,
            NewAgency {
                id: owner.agency.into(),
                name: owner.agency_name.into(),
                group: owner.group,
                parent: None,
            },
        )
        .await
        .with_context(|| format!("registering the agency `{}`", owner.agency))?;
    }
    let existing = registry::list_sites(db).await?;
    let mut added = 0;
    for (i, site) in sites.iter().enumerate() {
        let component = owner.components && i > 0;
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
                    name: owner
                        .site_names
                        .get(i)
                        .map_or_else(|| site.name.clone(), |n| (*n).to_owned()),
                    domains: vec![site.domain.clone()],
                    kind: if component {
                        SiteKind::Component
                    } else {
                        SiteKind::Portal
                    },
                    parent: component.then(|| sites[0].code.clone()),
                    agency: owner.agency.into(),
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
