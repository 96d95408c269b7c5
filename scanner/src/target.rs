//! What to scan: every registered domain of every site, with what its checks compare against
//! (its code, its portal's or components' domains, the names its footer should carry).
use emc_sql::registry::{AgencyRow, SiteRow};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub site: String,
    pub domain: String,
    pub kind: String,
    /// Each registered component site of this portal: (code, its domains).
    pub components: Vec<(String, Vec<String>)>,
    /// The parent portal's domains (a component site); empty for a portal.
    pub parent_domains: Vec<String>,
    /// Names the footer may give for the unit: the site's, its agency's.
    pub unit_names: Vec<String>,
    pub contact_address: String,
    pub contact_phone: String,
    pub contact_email: String,
}

/// One target per (site, domain), in registry order; `only` keeps the named sites (all when
/// empty). Unknown names in `only` are returned as the error.
pub fn targets(
    sites: &[SiteRow],
    agencies: &[AgencyRow],
    only: &[String],
) -> Result<Vec<Target>, Vec<String>> {
    let unknown: Vec<String> = only
        .iter()
        .filter(|c| !sites.iter().any(|s| &s.code == *c))
        .cloned()
        .collect();
    if !unknown.is_empty() {
        return Err(unknown);
    }
    let mut out = Vec::new();
    for s in sites
        .iter()
        .filter(|s| only.is_empty() || only.contains(&s.code))
    {
        let components: Vec<(String, Vec<String>)> = sites
            .iter()
            .filter(|c| c.parent == s.code && c.kind == "component")
            .map(|c| (c.code.clone(), c.domains.clone()))
            .collect();
        let parent_domains = sites
            .iter()
            .find(|p| !s.parent.is_empty() && p.code == s.parent)
            .map(|p| p.domains.clone())
            .unwrap_or_default();
        let mut unit_names = vec![s.name.clone()];
        if let Some(a) = agencies.iter().find(|a| a.id == s.agency) {
            unit_names.push(a.name.clone());
        }
        unit_names.retain(|n| !n.trim().is_empty());
        for domain in &s.domains {
            out.push(Target {
                site: s.code.clone(),
                domain: domain.clone(),
                kind: s.kind.clone(),
                components: components.clone(),
                parent_domains: parent_domains.clone(),
                unit_names: unit_names.clone(),
                contact_address: s.contact_address.clone(),
                contact_phone: s.contact_phone.clone(),
                contact_email: s.contact_email.clone(),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(code: &str, domains: &[&str], kind: &str, parent: &str) -> SiteRow {
        SiteRow {
            code: code.into(),
            name: format!("Site {code}"),
            domains: domains.iter().map(|d| d.to_string()).collect(),
            kind: kind.into(),
            parent: parent.into(),
            agency: "a".into(),
            ..SiteRow::default()
        }
    }

    #[test]
    fn one_target_per_domain_with_family_and_names() {
        let sites = [
            site("1", &["p.gov.vn", "www.p.gov.vn"], "portal", ""),
            site("2", &["c.p.gov.vn"], "component", "1"),
        ];
        let agencies = [AgencyRow {
            id: "a".into(),
            name: "Bộ A".into(),
            ..AgencyRow::default()
        }];
        let t = targets(&sites, &agencies, &[]).unwrap();
        assert_eq!(t.len(), 3);
        assert_eq!(
            t[0].components,
            [("2".to_owned(), vec!["c.p.gov.vn".to_owned()])]
        );
        assert_eq!(t[2].parent_domains, ["p.gov.vn", "www.p.gov.vn"]);
        assert_eq!(t[2].unit_names, ["Site 2", "Bộ A"]);
        let only = targets(&sites, &agencies, &["2".to_owned()]).unwrap();
        assert_eq!(only.len(), 1);
        assert_eq!(
            targets(&sites, &agencies, &["9".to_owned()]).unwrap_err(),
            ["9"]
        );
    }
}
