//! The registry: agencies (ministries, provinces, others) and the sites they own.
//! Tables are `ReplacingMergeTree(version)` read with `FINAL`; the services cache them.
use crate::{Db, SqlError};
use serde::{Deserialize, Serialize};

/// Codes below this are kept for sites carried over from the previous EMC system
/// (`--code 227`); new sites are numbered from here up.
pub const FIRST_NEW_CODE: u64 = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AgencyGroup {
    Ministry,
    Province,
    Other,
}

impl AgencyGroup {
    pub fn as_str(self) -> &'static str {
        match self {
            AgencyGroup::Ministry => "ministry",
            AgencyGroup::Province => "province",
            AgencyGroup::Other => "other",
        }
    }
    pub fn parse(s: &str) -> Result<Self, SqlError> {
        match s {
            "ministry" => Ok(Self::Ministry),
            "province" => Ok(Self::Province),
            "other" => Ok(Self::Other),
            _ => Err(SqlError::Registry(format!(
                "group must be ministry, province or other, not {s:?}"
            ))),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SiteKind {
    Portal,
    Component,
}

impl SiteKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SiteKind::Portal => "portal",
            SiteKind::Component => "component",
        }
    }
    pub fn parse(s: &str) -> Result<Self, SqlError> {
        match s {
            "portal" => Ok(Self::Portal),
            "component" => Ok(Self::Component),
            _ => Err(SqlError::Registry(format!(
                "kind must be portal or component, not {s:?}"
            ))),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, clickhouse::Row, Serialize, Deserialize)]
pub struct AgencyRow {
    pub id: String,
    pub name: String,
    pub group_kind: String,
    pub parent: String,
    pub version: u64,
    pub deleted: u8,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, clickhouse::Row, Serialize, Deserialize)]
pub struct SiteRow {
    pub code: String,
    pub name: String,
    pub domains: Vec<String>,
    pub kind: String,
    pub parent: String,
    pub agency: String,
    pub created_at: u32,
    pub legal_rep_name: String,
    pub legal_rep_title: String,
    pub contact_name: String,
    pub contact_title: String,
    pub contact_address: String,
    pub contact_phone: String,
    pub contact_email: String,
    pub contact_other: String,
    pub version: u64,
    pub deleted: u8,
    /// Query parameters that make a page view a site search here; empty: [`DEFAULT_SEARCH_PARAMS`].
    pub search_params: Vec<String>,
}

/// Matomo's default site-search parameters, used by a site that names none of its own.
pub const DEFAULT_SEARCH_PARAMS: [&str; 7] =
    ["q", "query", "s", "search", "searchword", "k", "keyword"];

/// Checks site-search parameter names (1-64 of `[A-Za-z0-9_.[]-]`), dropping blanks and repeats.
pub fn normalize_search_params(params: &[String]) -> Result<Vec<String>, SqlError> {
    let mut out: Vec<String> = Vec::new();
    for p in params.iter().map(|p| p.trim()).filter(|p| !p.is_empty()) {
        let ok = p.len() <= 64
            && p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_.[]-".contains(&b));
        if !ok {
            return Err(bad(format!(
                "search parameter {p:?}: 1-64 letters, digits or _ . [ ] -"
            )));
        }
        if !out.iter().any(|o| o == p) {
            out.push(p.to_owned());
        }
    }
    Ok(out)
}

/// A new version of the site with these site-search parameters (empty: the defaults).
pub async fn set_search_params(
    db: &Db,
    site: &SiteRow,
    params: &[String],
) -> Result<SiteRow, SqlError> {
    let mut row = site.clone();
    row.search_params = normalize_search_params(params)?;
    row.version = version_after(site.version);
    let mut insert = db.client().insert::<SiteRow>("sites").await?;
    insert.write(&row).await?;
    insert.end().await?;
    Ok(row)
}

#[derive(Debug, Clone)]
pub struct NewAgency {
    pub id: String,
    pub name: String,
    pub group: AgencyGroup,
    pub parent: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewSite {
    pub name: String,
    pub domains: Vec<String>,
    pub kind: SiteKind,
    pub parent: Option<String>,
    pub agency: String,
    pub code: Option<String>,
}

/// The version of a row written now to a `ReplacingMergeTree(version)` table: the time in µs.
pub fn version_now() -> u64 {
    chrono::Utc::now().timestamp_micros().max(0) as u64
}

/// The version of a row that replaces one of version `previous` (a tombstone or an edit):
/// now, and never at or below `previous`, so the replacement wins even if clocks step back.
pub fn version_after(previous: u64) -> u64 {
    version_now().max(previous + 1)
}

fn bad(msg: impl Into<String>) -> SqlError {
    SqlError::Registry(msg.into())
}

/// Agency ids and site codes: 1–64 of `[A-Za-z0-9._-]`.
pub fn check_id(what: &str, id: &str) -> Result<(), SqlError> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(bad(format!(
            "{what} {id:?}: use 1-64 letters, digits, '.', '_' or '-'"
        )))
    }
}

/// A registered domain: a lowercase DNS name (IDNs in their `xn--` form), no scheme, port or path.
pub fn normalize_domain(raw: &str) -> Result<String, SqlError> {
    let d = raw.trim().trim_end_matches('.').to_ascii_lowercase();
    let labels_ok = d.split('.').all(|l| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    });
    if d.is_empty() || d.len() > 253 || !labels_ok {
        return Err(bad(format!(
            "domain {raw:?} is not a host name (write it like portal.gov.vn)"
        )));
    }
    Ok(d)
}

pub const LIST_AGENCIES: &str =
    "SELECT id, name, group_kind, parent, version, deleted FROM agencies FINAL WHERE deleted = 0 ORDER BY id";

pub const LIST_SITES: &str = "SELECT code, name, domains, kind, parent, agency, created_at, \
     legal_rep_name, legal_rep_title, contact_name, contact_title, contact_address, contact_phone, \
     contact_email, contact_other, version, deleted, search_params \
     FROM sites FINAL WHERE deleted = 0 ORDER BY length(code), code";

pub async fn list_agencies(db: &Db) -> Result<Vec<AgencyRow>, SqlError> {
    Ok(db
        .client()
        .query(LIST_AGENCIES)
        .fetch_all::<AgencyRow>()
        .await?)
}

pub async fn list_sites(db: &Db) -> Result<Vec<SiteRow>, SqlError> {
    Ok(db.client().query(LIST_SITES).fetch_all::<SiteRow>().await?)
}

pub async fn add_agency(db: &Db, new: NewAgency) -> Result<AgencyRow, SqlError> {
    check_id("agency id", &new.id)?;
    if new.name.trim().is_empty() {
        return Err(bad("agency name is empty"));
    }
    let agencies = list_agencies(db).await?;
    if agencies.iter().any(|a| a.id == new.id) {
        return Err(bad(format!("agency {} already exists", new.id)));
    }
    let parent = new.parent.unwrap_or_default();
    if !parent.is_empty() && !agencies.iter().any(|a| a.id == parent) {
        return Err(bad(format!("parent agency {parent} does not exist")));
    }
    let row = AgencyRow {
        id: new.id,
        name: new.name.trim().to_owned(),
        group_kind: new.group.as_str().to_owned(),
        parent,
        version: version_now(),
        deleted: 0,
    };
    let mut insert = db.client().insert::<AgencyRow>("agencies").await?;
    insert.write(&row).await?;
    insert.end().await?;
    Ok(row)
}

/// Registers a site. Without `code`, the next free number from [`FIRST_NEW_CODE`] is used.
pub async fn add_site(db: &Db, new: NewSite) -> Result<SiteRow, SqlError> {
    if new.name.trim().is_empty() {
        return Err(bad("site name is empty"));
    }
    if new.domains.is_empty() {
        return Err(bad("a site needs at least one --domain"));
    }
    let domains = new
        .domains
        .iter()
        .map(|d| normalize_domain(d))
        .collect::<Result<Vec<_>, _>>()?;
    if !list_agencies(db).await?.iter().any(|a| a.id == new.agency) {
        return Err(bad(format!(
            "agency {} does not exist (add it first)",
            new.agency
        )));
    }
    let sites = list_sites(db).await?;
    let parent = new.parent.unwrap_or_default();
    if !parent.is_empty() {
        match sites.iter().find(|s| s.code == parent) {
            Some(p) if p.kind == "portal" => {}
            Some(_) => return Err(bad(format!("parent {parent} is not a portal"))),
            None => return Err(bad(format!("parent site {parent} does not exist"))),
        }
    }
    if new.kind == SiteKind::Portal && !parent.is_empty() {
        return Err(bad("a portal has no parent; use --kind component"));
    }
    for d in &domains {
        if let Some(other) = sites.iter().find(|s| s.domains.contains(d)) {
            return Err(bad(format!(
                "domain {d} already belongs to site {}",
                other.code
            )));
        }
    }
    let code = match new.code {
        Some(code) => {
            check_id("site code", &code)?;
            if sites.iter().any(|s| s.code == code) {
                return Err(bad(format!("site code {code} is taken")));
            }
            code
        }
        None => next_code(&sites),
    };
    let row = SiteRow {
        code,
        name: new.name.trim().to_owned(),
        domains,
        kind: new.kind.as_str().to_owned(),
        parent,
        agency: new.agency,
        created_at: chrono::Utc::now().timestamp() as u32,
        version: version_now(),
        ..SiteRow::default()
    };
    let mut insert = db.client().insert::<SiteRow>("sites").await?;
    insert.write(&row).await?;
    insert.end().await?;
    Ok(row)
}

fn next_code(sites: &[SiteRow]) -> String {
    let max = sites
        .iter()
        .filter_map(|s| s.code.parse::<u64>().ok())
        .filter(|n| *n >= FIRST_NEW_CODE)
        .max();
    max.map_or(FIRST_NEW_CODE, |m| m + 1).to_string()
}

/// The tag snippet a portal embeds.
pub fn snippet(collector_base: &str, code: &str) -> String {
    format!(
        r#"<script defer data-site="{code}" src="{}/tracker.js"></script>"#,
        collector_base.trim_end_matches('/')
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_normalized_or_refused() {
        let cases = [
            ("Portal.Gov.VN", Some("portal.gov.vn")),
            ("hanoi.gov.vn.", Some("hanoi.gov.vn")),
            ("xn--bcn-0na.gov.vn", Some("xn--bcn-0na.gov.vn")),
            ("https://x.gov.vn", None),
            ("x.gov.vn/path", None),
            ("x..gov.vn", None),
            ("-x.gov.vn", None),
            ("", None),
        ];
        for (input, want) in cases {
            assert_eq!(normalize_domain(input).ok().as_deref(), want, "{input}");
        }
    }

    #[test]
    fn new_codes_skip_legacy_ids() {
        let site = |c: &str| SiteRow {
            code: c.into(),
            ..SiteRow::default()
        };
        assert_eq!(next_code(&[]), "10000");
        assert_eq!(next_code(&[site("227"), site("9999")]), "10000");
        assert_eq!(
            next_code(&[site("227"), site("10000"), site("10007"), site("abc")]),
            "10008"
        );
    }

    #[test]
    fn ids_are_checked() {
        assert!(check_id("agency id", "bo-tttt").is_ok());
        assert!(check_id("agency id", "bộ").is_err());
        assert!(check_id("agency id", "a b").is_err());
    }
}
