//! What belongs to one site or to one agency (goals, annotations): the owner given by a
//! request, and on which reports it shows.
use crate::error::ApiError;
use crate::scope::{Registry, Target};

/// The site or agency a goal (or an annotation, a shared link) belongs to.
pub fn owner(site: Option<&str>, agency: Option<&str>) -> Result<Target, ApiError> {
    let some = |s: Option<&str>| s.map(str::trim).filter(|s| !s.is_empty()).map(String::from);
    match (some(site), some(agency)) {
        (Some(code), None) => Ok(Target::Site {
            code,
            include_components: false,
        }),
        (None, Some(id)) => Ok(Target::Agency { id }),
        (Some(_), Some(_)) => Err(ApiError::bad("site", "give site or agency, not both")),
        (None, None) => Err(ApiError::bad("site", "missing (or give agency)")),
    }
}

/// The target a stored row belongs to.
pub fn owner_of(site: &str, agency: &str) -> Target {
    owner(Some(site), Some(agency)).unwrap_or(Target::Agency {
        id: agency.to_owned(),
    })
}

/// The (`site`, `agency`) columns of a thing that belongs to `target`.
pub fn columns(target: Target) -> (String, String) {
    match target {
        Target::Site { code, .. } => (code, String::new()),
        Target::Agency { id } => (String::new(), id),
        Target::Fleet | Target::Admin => (String::new(), String::new()),
    }
}

/// Does a thing of `site` or `agency` show on a report about `target`? A site's report shows
/// the site's own and those of its agency and the agencies above; an agency's report those of
/// the agency and above.
pub fn applies(reg: &Registry, target: &Target, site: &str, agency: &str) -> bool {
    match target {
        Target::Site { code, .. } => {
            site == code
                || (!agency.is_empty()
                    && reg
                        .site(code)
                        .is_some_and(|s| reg.ancestors(&s.agency).iter().any(|a| a == agency)))
        }
        Target::Agency { id } => {
            !agency.is_empty() && reg.ancestors(id).iter().any(|a| a == agency)
        }
        Target::Fleet | Target::Admin => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_site_report_shows_its_goals_and_its_agencies() {
        use emc_sql::registry::{AgencyRow, SiteRow};
        let agency = |id: &str, parent: &str| AgencyRow {
            id: id.into(),
            parent: parent.into(),
            ..AgencyRow::default()
        };
        let reg = Registry {
            agencies: vec![agency("a", ""), agency("a1", "a"), agency("b", "")],
            sites: vec![SiteRow {
                code: "1".into(),
                agency: "a1".into(),
                ..SiteRow::default()
            }],
        };
        let site = Target::Site {
            code: "1".into(),
            include_components: false,
        };
        let a1 = Target::Agency { id: "a1".into() };
        let a = Target::Agency { id: "a".into() };
        for (target, goal_site, goal_agency, shown) in [
            (&site, "1", "", true),
            (&site, "2", "", false),
            (&site, "", "a1", true),
            (&site, "", "a", true),
            (&site, "", "b", false),
            (&a1, "", "a", true),
            (&a1, "1", "", false),
            (&a, "", "a1", false),
        ] {
            assert_eq!(
                applies(&reg, target, goal_site, goal_agency),
                shown,
                "{target:?} {goal_site} {goal_agency}"
            );
        }
    }
}
