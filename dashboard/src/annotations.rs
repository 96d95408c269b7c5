//! Annotations: a dated note on a report's chart (a deployment, a campaign, an incident),
//! one site's or one agency's, created and deleted in scope (SQL in
//! [`crate::reports::annotations`]).
use crate::error::ApiError;
use crate::goals::text;
use crate::owned::{applies, columns, owner, owner_of};
use crate::params::Range;
use crate::reports::annotations::{self as store, AnnotationRow};
use crate::scope::{self, Principal, Registry, Target};
use chrono::NaiveDate;
use emc_sql::Db;
use serde::{Deserialize, Serialize};

/// `POST /api/v1/annotations`: `site` or `agency`, `date`, optional `end`, `text`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnnotationInput {
    #[serde(default)]
    pub site: Option<String>,
    #[serde(default)]
    pub agency: Option<String>,
    pub date: String,
    #[serde(default)]
    pub end: Option<String>,
    pub text: String,
}

/// An annotation as the API lists it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AnnotationOut {
    pub id: String,
    pub text: String,
    pub date: String,
    /// The last day, when the note spans several.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub site: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub agency: String,
}

fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()
}

pub fn day(n: u16) -> NaiveDate {
    epoch() + chrono::Duration::days(i64::from(n))
}

fn day_number(param: &'static str, v: &str) -> Result<u16, ApiError> {
    let d = crate::params::parse_date(param, v.trim())?;
    u16::try_from((d - epoch()).num_days())
        .map_err(|_| ApiError::bad(param, "a date from 1970 to 2149"))
}

impl From<&AnnotationRow> for AnnotationOut {
    fn from(a: &AnnotationRow) -> AnnotationOut {
        AnnotationOut {
            id: a.id.clone(),
            text: a.text.clone(),
            date: day(a.date).to_string(),
            end: (a.end_date != a.date).then(|| day(a.end_date).to_string()),
            site: a.site.clone(),
            agency: a.agency.clone(),
        }
    }
}

/// Checks the input; the row it describes (without id, author, version).
pub fn validate(input: &AnnotationInput) -> Result<AnnotationRow, ApiError> {
    let (site, agency) = columns(owner(input.site.as_deref(), input.agency.as_deref())?);
    let date = day_number("date", &input.date)?;
    let end_date = match input
        .end
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        Some(e) => day_number("end", e)?,
        None => date,
    };
    if end_date < date {
        return Err(ApiError::bad("end", "is before date"));
    }
    Ok(AnnotationRow {
        site,
        agency,
        date,
        end_date,
        text: text("text", &input.text, 200)?,
        ..AnnotationRow::default()
    })
}

/// Creates an annotation for a site or agency in `who`'s scope (`404` unknown, `403` outside).
pub async fn create(
    db: &Db,
    who: &Principal,
    input: &AnnotationInput,
) -> Result<AnnotationRow, ApiError> {
    let mut row = validate(input)?;
    let reg = Registry::load(db).await?;
    scope::authorize(who, &reg, &owner_of(&row.site, &row.agency))?;
    let now = chrono::Utc::now();
    row.id = crate::auth::random_token()[..16].to_owned();
    row.created_by = who.username.clone();
    row.created_at = now.timestamp() as u32;
    row.version = emc_sql::registry::version_now();
    store::write(db, &row).await?;
    crate::audit::record(db, &who.username, "annotation.create", &row.id, &row.text).await?;
    Ok(row)
}

/// Deletes an annotation of `who`'s scope (again: fine; an id never seen: `404`).
pub async fn delete(db: &Db, who: &Principal, id: &str) -> Result<AnnotationRow, ApiError> {
    let row = store::find(db, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("annotation {id}")))?;
    let reg = Registry::load(db).await?;
    scope::authorize(who, &reg, &owner_of(&row.site, &row.agency))?;
    if row.deleted == 0 {
        let mut gone = row.clone();
        gone.deleted = 1;
        gone.version = emc_sql::registry::version_after(row.version);
        store::write(db, &gone).await?;
        crate::audit::record(db, &who.username, "annotation.delete", id, &row.text).await?;
    }
    Ok(row)
}

/// The annotations a report about `target` shows over `range`.
pub async fn for_target(
    db: &Db,
    reg: &Registry,
    target: &Target,
    range: &Range,
) -> Result<Vec<AnnotationRow>, ApiError> {
    Ok(store::in_range(db, range.from_str(), range.to_str())
        .await?
        .into_iter()
        .filter(|a| applies(reg, target, &a.site, &a.agency))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_is_checked() {
        let input = |date: &str, end: Option<&str>, text: &str| AnnotationInput {
            site: Some("227".into()),
            date: date.into(),
            end: end.map(String::from),
            text: text.into(),
            ..AnnotationInput::default()
        };
        let ok = validate(&input("2026-03-02", None, "Triển khai")).unwrap();
        assert_eq!(
            (day(ok.date).to_string(), ok.end_date),
            ("2026-03-02".into(), ok.date)
        );
        let out = AnnotationOut::from(&ok);
        assert_eq!(out.end, None);
        let span = validate(&input("2026-03-02", Some("2026-03-05"), "Chiến dịch")).unwrap();
        assert_eq!(span.end_date - span.date, 3);
        assert_eq!(
            AnnotationOut::from(&span).end.as_deref(),
            Some("2026-03-05")
        );
        for (bad, param) in [
            (input("2026-3-2x", None, "a"), "date"),
            (input("2026-03-02", Some("2026-03-01"), "a"), "end"),
            (input("2026-03-02", None, " "), "text"),
            (input("1969-12-31", None, "a"), "date"),
        ] {
            match validate(&bad) {
                Err(ApiError::BadParam { param: p, .. }) => assert_eq!(p, param, "{bad:?}"),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
    }
}
