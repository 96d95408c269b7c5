//! The bench's fleet in the registry: agencies in the three ranking groups and one portal per
//! site, so the yearly ranking ranks all the sites (ministries, provinces, other bodies).
use crate::model::SiteModel;
use anyhow::Context;
use emc_sql::registry::{self, AgencyGroup, NewAgency, NewSite, SiteKind};
use emc_sql::Db;

/// Agencies per group: ministries and ministerial agencies, the 34 provinces and cities of
/// the 2025 arrangement, other bodies.
pub const GROUPS: [(AgencyGroup, &str, &str, usize); 3] = [
    (AgencyGroup::Ministry, "bm", "Bộ, ngành", 30),
    (AgencyGroup::Province, "bp", "Tỉnh, thành phố", 34),
    (AgencyGroup::Other, "bo", "Cơ quan khác", 6),
];

/// The group (index into [`GROUPS`]) of site `i`: three in ten sites belong to ministries,
/// six to provinces, one to other bodies, interleaved so every group has large and small sites.
pub fn group_of(i: usize) -> usize {
    match i % 10 {
        0..=2 => 0,
        3..=8 => 1,
        _ => 2,
    }
}

/// The agency id of site `i`.
pub fn agency_of(i: usize) -> String {
    let (_, prefix, _, count) = GROUPS[group_of(i)];
    format!("{prefix}-{:02}", (i / 10) % count + 1)
}

/// Every agency of the fleet.
pub fn agencies() -> Vec<NewAgency> {
    GROUPS
        .iter()
        .flat_map(|(group, prefix, label, count)| {
            (1..=*count).map(move |n| NewAgency {
                id: format!("{prefix}-{n:02}"),
                name: format!("{label} {n:02} (benchmark)"),
                group: *group,
                parent: None,
            })
        })
        .collect()
}

/// Registers the agencies and every site as a portal of its agency, through the registry's
/// own functions (those behind `emc-dashboard agency add` / `site add`). `db` is fresh.
pub async fn register(db: &Db, sites: &[SiteModel]) -> anyhow::Result<()> {
    for a in agencies() {
        let id = a.id.clone();
        registry::add_agency(db, a)
            .await
            .with_context(|| format!("registering agency {id}"))?;
    }
    for (i, site) in sites.iter().enumerate() {
        let new = NewSite {
            name: site.name.clone(),
            domains: vec![site.domain.clone()],
            kind: SiteKind::Portal,
            parent: None,
            agency: agency_of(i),
            code: Some(site.code.clone()),
        };
        registry::add_site(db, new)
            .await
            .with_context(|| format!("registering site {}", site.code))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_site_has_an_existing_agency_and_groups_are_shared_out() {
        let ids: Vec<String> = agencies().into_iter().map(|a| a.id).collect();
        assert_eq!(ids.len(), 70);
        let mut per_group = [0; 3];
        for i in 0..1000 {
            assert!(ids.contains(&agency_of(i)), "site {i}");
            per_group[group_of(i)] += 1;
        }
        assert_eq!(per_group, [300, 600, 100]);
        // The three largest sites are ministries', the next six provinces'.
        assert_eq!(
            (agency_of(0), agency_of(3), agency_of(9)),
            ("bm-01".into(), "bp-01".into(), "bo-01".into())
        );
    }
}
