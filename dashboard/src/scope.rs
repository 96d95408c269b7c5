//! Who may see what. One function, [`authorize`], decides for pages, API and CSV alike.
//!
//! - `admin`: every site and agency;
//! - `analyst`: read-only over the agencies listed on the user and every agency beneath them
//!   (the registry is read on each request, so a site added later is in scope at once);
//! - `owner`: the sites of one agency.
use crate::error::ApiError;
use emc_sql::registry::{AgencyRow, SiteRow};
use std::collections::BTreeSet;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Admin,
    Analyst,
    Owner,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "analyst" => Some(Role::Analyst),
            "owner" => Some(Role::Owner),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Analyst => "analyst",
            Role::Owner => "owner",
        }
    }
}

/// The signed-in user.
#[derive(Debug, Clone)]
pub struct Principal {
    pub username: String,
    pub role: Role,
    pub agencies: Vec<String>,
}

impl Principal {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

/// The registry as read for one request.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    pub agencies: Vec<AgencyRow>,
    pub sites: Vec<SiteRow>,
}

/// What a report is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Site {
        code: String,
        include_components: bool,
    },
    Agency {
        id: String,
    },
    /// Every site the caller may read (fleet views: ranking rows, compliance, health).
    Fleet,
    /// Administration (retention, metrics): admins only, every site.
    Admin,
}

/// The resolved set of sites a report reads, after the scope check.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub sites: Vec<String>,
    pub label: String,
}

impl Registry {
    pub async fn load(db: &emc_sql::Db) -> Result<Registry, ApiError> {
        let (agencies, sites) = tokio::try_join!(
            emc_sql::registry::list_agencies(db),
            emc_sql::registry::list_sites(db)
        )?;
        Ok(Registry { agencies, sites })
    }

    pub fn site(&self, code: &str) -> Option<&SiteRow> {
        self.sites.iter().find(|s| s.code == code)
    }

    pub fn agency(&self, id: &str) -> Option<&AgencyRow> {
        self.agencies.iter().find(|a| a.id == id)
    }

    /// `roots` and every agency beneath them (cycles are harmless).
    pub fn subtree(&self, roots: &[String]) -> BTreeSet<String> {
        let mut set: BTreeSet<String> = roots.iter().cloned().collect();
        loop {
            let before = set.len();
            for a in &self.agencies {
                if !a.parent.is_empty() && set.contains(&a.parent) {
                    set.insert(a.id.clone());
                }
            }
            if set.len() == before {
                return set;
            }
        }
    }

    /// `agency` and every agency above it, nearest first (a cycle stops the walk).
    pub fn ancestors(&self, agency: &str) -> Vec<String> {
        let mut out: Vec<String> = vec![];
        let mut next = Some(agency.to_owned());
        while let Some(id) = next.filter(|id| !id.is_empty() && !out.contains(id)) {
            next = self.agency(&id).map(|a| a.parent.clone());
            out.push(id);
        }
        out
    }

    /// May `who` read the sites of `agency`?
    fn agency_in_scope(&self, who: &Principal, agency: &str) -> bool {
        match who.role {
            Role::Admin => true,
            Role::Analyst => self.subtree(&who.agencies).contains(agency),
            Role::Owner => who.agencies.iter().any(|a| a == agency),
        }
    }

    pub fn site_in_scope(&self, who: &Principal, site: &SiteRow) -> bool {
        self.agency_in_scope(who, &site.agency)
    }

    /// Every site `who` may read, in registry order.
    pub fn sites_in_scope<'a>(&'a self, who: &Principal) -> Vec<&'a SiteRow> {
        self.sites
            .iter()
            .filter(|s| self.site_in_scope(who, s))
            .collect()
    }

    /// Agencies `who` may report on as a whole.
    pub fn agencies_in_scope<'a>(&'a self, who: &Principal) -> Vec<&'a AgencyRow> {
        match who.role {
            Role::Admin => self.agencies.iter().collect(),
            Role::Analyst => {
                let set = self.subtree(&who.agencies);
                self.agencies
                    .iter()
                    .filter(|a| set.contains(&a.id))
                    .collect()
            }
            Role::Owner => self
                .agencies
                .iter()
                .filter(|a| who.agencies.contains(&a.id))
                .collect(),
        }
    }
}

/// The one authorization function: unknown target → 404, outside the scope → 403, else the
/// sites the report reads. Component sites joined by `include_components` are kept only when
/// they are in scope too.
pub fn authorize(who: &Principal, reg: &Registry, target: &Target) -> Result<Resolved, ApiError> {
    match target {
        Target::Site {
            code,
            include_components,
        } => {
            let site = reg
                .site(code)
                .ok_or_else(|| ApiError::NotFound(format!("site {code}")))?;
            if !reg.site_in_scope(who, site) {
                return Err(ApiError::Forbidden);
            }
            let mut sites = vec![site.code.clone()];
            if *include_components && site.kind == "portal" {
                sites.extend(
                    reg.sites
                        .iter()
                        .filter(|s| s.parent == site.code && reg.site_in_scope(who, s))
                        .map(|s| s.code.clone()),
                );
            }
            Ok(Resolved {
                sites,
                label: site.name.clone(),
            })
        }
        Target::Agency { id } => {
            let agency = reg
                .agency(id)
                .ok_or_else(|| ApiError::NotFound(format!("agency {id}")))?;
            if !reg.agency_in_scope(who, id) {
                return Err(ApiError::Forbidden);
            }
            let tree = reg.subtree(std::slice::from_ref(id));
            let sites = reg
                .sites
                .iter()
                .filter(|s| tree.contains(&s.agency) && reg.site_in_scope(who, s))
                .map(|s| s.code.clone())
                .collect();
            Ok(Resolved {
                sites,
                label: agency.name.clone(),
            })
        }
        Target::Fleet => Ok(Resolved {
            sites: reg
                .sites_in_scope(who)
                .into_iter()
                .map(|s| s.code.clone())
                .collect(),
            label: String::new(),
        }),
        Target::Admin if who.is_admin() => Ok(Resolved {
            sites: reg.sites.iter().map(|s| s.code.clone()).collect(),
            label: String::new(),
        }),
        Target::Admin => Err(ApiError::Forbidden),
    }
}

/// May `who` change the registry? Only admins.
pub fn require_admin(who: &Principal) -> Result<(), ApiError> {
    authorize(who, &Registry::default(), &Target::Admin).map(|_| ())
}

/// May `who` see the snippet and contact details of `site` (admin, or its owner)?
pub fn may_manage_site(who: &Principal, site: &SiteRow) -> bool {
    match who.role {
        Role::Admin => true,
        Role::Owner => who.agencies.iter().any(|a| a == &site.agency),
        Role::Analyst => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agency(id: &str, parent: &str) -> AgencyRow {
        AgencyRow {
            id: id.into(),
            parent: parent.into(),
            ..AgencyRow::default()
        }
    }
    fn site(code: &str, agency: &str, kind: &str, parent: &str) -> SiteRow {
        SiteRow {
            code: code.into(),
            agency: agency.into(),
            kind: kind.into(),
            parent: parent.into(),
            ..SiteRow::default()
        }
    }
    fn who(role: Role, agencies: &[&str]) -> Principal {
        Principal {
            username: "u".into(),
            role,
            agencies: agencies.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn scope_table() {
        let reg = Registry {
            agencies: vec![
                agency("a", ""),
                agency("a1", "a"),
                agency("a11", "a1"),
                agency("b", ""),
            ],
            sites: vec![
                site("1", "a", "portal", ""),
                site("2", "a11", "component", "1"),
                site("3", "b", "portal", ""),
            ],
        };
        let site_t = |c: &str| Target::Site {
            code: c.into(),
            include_components: false,
        };
        // (principal, target, expected: Ok(sites) or Err(status))
        type Case<'a> = (Principal, Target, Result<Vec<&'a str>, u16>);
        let cases: Vec<Case> = vec![
            (who(Role::Admin, &[]), site_t("3"), Ok(vec!["3"])),
            (who(Role::Analyst, &["a"]), site_t("2"), Ok(vec!["2"])),
            (who(Role::Analyst, &["a"]), site_t("3"), Err(403)),
            (who(Role::Analyst, &["a"]), site_t("9"), Err(404)),
            (who(Role::Analyst, &["a1"]), site_t("1"), Err(403)),
            (who(Role::Owner, &["a"]), site_t("2"), Err(403)),
            (who(Role::Owner, &["a11"]), site_t("2"), Ok(vec!["2"])),
            (
                who(Role::Analyst, &["a"]),
                Target::Site {
                    code: "1".into(),
                    include_components: true,
                },
                Ok(vec!["1", "2"]),
            ),
            (
                who(Role::Analyst, &["a"]),
                Target::Agency { id: "a".into() },
                Ok(vec!["1", "2"]),
            ),
            (
                who(Role::Analyst, &["a1"]),
                Target::Agency { id: "a".into() },
                Err(403),
            ),
            (
                who(Role::Analyst, &["b", "a1"]),
                Target::Agency { id: "a1".into() },
                Ok(vec!["2"]),
            ),
            (who(Role::Analyst, &["a1"]), Target::Fleet, Ok(vec!["2"])),
            (who(Role::Owner, &["b"]), Target::Fleet, Ok(vec!["3"])),
            (
                who(Role::Admin, &[]),
                Target::Fleet,
                Ok(vec!["1", "2", "3"]),
            ),
            (who(Role::Analyst, &["a"]), Target::Admin, Err(403)),
            (
                who(Role::Admin, &[]),
                Target::Admin,
                Ok(vec!["1", "2", "3"]),
            ),
        ];
        for (p, t, want) in cases {
            let got = authorize(&p, &reg, &t)
                .map(|r| r.sites)
                .map_err(|e| e.status().as_u16());
            let want = want.map(|v| v.into_iter().map(String::from).collect::<Vec<_>>());
            assert_eq!(got, want, "{p:?} {t:?}");
        }
    }
}
