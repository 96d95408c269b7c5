//! Registry changes made through the dashboard (API and admin pages), each written to
//! `audit_log`; and the two forms of the tag snippet.
use crate::audit;
use crate::error::ApiError;
use crate::scope::Principal;
use emc_sql::registry::{self as reg, AgencyGroup, NewAgency, NewSite, SiteKind, SiteRow};
use emc_sql::Db;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct AgencyInput {
    pub id: String,
    pub name: String,
    /// `ministry`, `province` or `other`.
    pub group: String,
    /// The parent agency's id.
    #[serde(default)]
    pub parent: Option<String>,
}

/// Circular 22 Appendix I: the site, its agency, the legal representative and the person responsible.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct SiteInput {
    pub name: String,
    pub domains: Vec<String>,
    /// `portal` or `component`.
    pub kind: String,
    /// The portal of a component.
    pub parent: Option<String>,
    pub agency: String,
    /// Chosen by the registry when absent.
    pub code: Option<String>,
    /// Query parameters that make a page view a site search; none: Matomo's defaults.
    #[serde(default)]
    pub search_params: Vec<String>,
    #[serde(flatten)]
    pub contact: Contact,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct Contact {
    pub legal_rep_name: String,
    pub legal_rep_title: String,
    pub contact_name: String,
    pub contact_title: String,
    pub contact_address: String,
    pub contact_phone: String,
    pub contact_email: String,
    pub contact_other: String,
}

impl Contact {
    fn apply(&self, row: &mut SiteRow) {
        let t = |s: &str| s.trim().chars().take(500).collect::<String>();
        row.legal_rep_name = t(&self.legal_rep_name);
        row.legal_rep_title = t(&self.legal_rep_title);
        row.contact_name = t(&self.contact_name);
        row.contact_title = t(&self.contact_title);
        row.contact_address = t(&self.contact_address);
        row.contact_phone = t(&self.contact_phone);
        row.contact_email = t(&self.contact_email);
        row.contact_other = t(&self.contact_other);
    }
}

fn none_if_empty(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

pub async fn add_agency(
    db: &Db,
    who: &Principal,
    input: AgencyInput,
) -> Result<reg::AgencyRow, ApiError> {
    let group =
        AgencyGroup::parse(&input.group).map_err(|e| ApiError::bad("group", e.to_string()))?;
    reg::check_id("agency id", &input.id).map_err(|e| ApiError::bad("id", e.to_string()))?;
    if input.name.trim().is_empty() {
        return Err(ApiError::bad("name", "is empty"));
    }
    let row = reg::add_agency(
        db,
        NewAgency {
            id: input.id,
            name: input.name,
            group,
            parent: none_if_empty(input.parent),
        },
    )
    .await?;
    let detail = format!(
        "name={:?} group={} parent={:?}",
        row.name, row.group_kind, row.parent
    );
    audit::record(db, &who.username, "agency.create", &row.id, &detail).await?;
    Ok(row)
}

pub async fn add_site(db: &Db, who: &Principal, input: SiteInput) -> Result<SiteRow, ApiError> {
    let kind = SiteKind::parse(&input.kind).map_err(|e| ApiError::bad("kind", e.to_string()))?;
    if input.name.trim().is_empty() {
        return Err(ApiError::bad("name", "is empty"));
    }
    if input.domains.iter().all(|d| d.trim().is_empty()) {
        return Err(ApiError::bad("domains", "give at least one host name"));
    }
    for d in &input.domains {
        reg::normalize_domain(d).map_err(|e| ApiError::bad("domains", e.to_string()))?;
    }
    reg::normalize_search_params(&input.search_params)
        .map_err(|e| ApiError::bad("search_params", e.to_string()))?;
    let new = NewSite {
        name: input.name,
        domains: input
            .domains
            .into_iter()
            .filter(|d| !d.trim().is_empty())
            .collect(),
        kind,
        parent: none_if_empty(input.parent),
        agency: input.agency,
        code: none_if_empty(input.code),
    };
    let mut row = reg::add_site(db, new).await?;
    if !input.search_params.is_empty() {
        row = reg::set_search_params(db, &row, &input.search_params).await?;
    }
    if input.contact != Contact::default() {
        input.contact.apply(&mut row);
        row.version += 1;
        write_site(db, &row).await?;
    }
    let detail = format!(
        "name={:?} domains={} kind={} agency={}",
        row.name,
        row.domains.join(","),
        row.kind,
        row.agency
    );
    audit::record(db, &who.username, "site.create", &row.code, &detail).await?;
    Ok(row)
}

/// A new version of the site's contact details (admin, or the site's owner).
pub async fn update_contact(
    db: &Db,
    who: &Principal,
    site: &SiteRow,
    contact: &Contact,
) -> Result<SiteRow, ApiError> {
    let mut row = site.clone();
    contact.apply(&mut row);
    row.version = emc_sql::registry::version_after(site.version);
    write_site(db, &row).await?;
    audit::record(
        db,
        &who.username,
        "site.contact",
        &row.code,
        &format!(
            "contact={:?} email={:?}",
            row.contact_name, row.contact_email
        ),
    )
    .await?;
    Ok(row)
}

async fn write_site(db: &Db, row: &SiteRow) -> Result<(), ApiError> {
    let mut ins = db.client().insert::<SiteRow>("sites").await?;
    ins.write(row).await?;
    ins.end().await?;
    Ok(())
}

impl PartialEq for Contact {
    fn eq(&self, o: &Self) -> bool {
        (
            &self.legal_rep_name,
            &self.legal_rep_title,
            &self.contact_name,
            &self.contact_title,
        ) == (
            &o.legal_rep_name,
            &o.legal_rep_title,
            &o.contact_name,
            &o.contact_title,
        ) && (
            &self.contact_address,
            &self.contact_phone,
            &self.contact_email,
            &self.contact_other,
        ) == (
            &o.contact_address,
            &o.contact_phone,
            &o.contact_email,
            &o.contact_other,
        )
    }
}

/// The tag snippet (new form).
pub fn snippet(collector_url: &str, code: &str) -> String {
    reg::snippet(collector_url, code)
}

/// The legacy `_govaq` form that portals carry today (configuration pushed after
/// `trackPageView`, as the deployed snippet does; the tag applies it first).
pub fn legacy_snippet(collector_url: &str, code: &str) -> String {
    let base = collector_url.trim_end_matches('/');
    format!(
        "<script>\n  var _govaq = window._govaq || [];\n  _govaq.push(['trackPageView']);\n  _govaq.push(['enableLinkTracking']);\n  \
         (function () {{\n    _govaq.push(['setTrackerUrl', '{base}/tracking']);\n    _govaq.push(['setSiteId', '{code}']);\n    \
         var d = document, g = d.createElement('script'), s = d.getElementsByTagName('script')[0];\n    \
         g.async = true; g.defer = true; g.src = '{base}/embed/gov-tracking.min.js';\n    s.parentNode.insertBefore(g, s);\n  }})();\n</script>"
    )
}
