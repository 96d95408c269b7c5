//! Goals: what a caller may define (one site's, or one agency's for every site beneath it),
//! which goals a report shows, and their figures (SQL in [`crate::reports::goals`]).
use crate::error::ApiError;
use crate::owned::{applies, columns, owner, owner_of};
use crate::reports::goals::{self as store, Conversions, GoalRow};
use crate::reports::Scope;
use crate::scope::{self, Principal, Registry, Target};
use emc_sql::Db;
use serde::{Deserialize, Serialize};

/// What completes a goal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Event,
    Page,
}

impl Kind {
    pub fn key(self) -> &'static str {
        match self {
            Kind::Event => "event",
            Kind::Page => "page",
        }
    }
    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "event" => Some(Kind::Event),
            "page" => Some(Kind::Page),
            _ => None,
        }
    }
    pub fn label(self, lang: &str) -> &'static str {
        match (self, lang) {
            (Kind::Event, "en") => "Event",
            (Kind::Event, _) => "Sự kiện",
            (Kind::Page, "en") => "Page",
            (Kind::Page, _) => "Trang",
        }
    }
    pub fn of(g: &GoalRow) -> Kind {
        if g.event_name.is_empty() {
            Kind::Page
        } else {
            Kind::Event
        }
    }
}

/// `POST /api/v1/goals`: `site` or `agency`, a name, and `event` or `page`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GoalInput {
    #[serde(default)]
    pub site: Option<String>,
    #[serde(default)]
    pub agency: Option<String>,
    pub name: String,
    #[serde(default)]
    pub event: Option<String>,
    #[serde(default)]
    pub page: Option<String>,
}

/// A goal as the API lists it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GoalOut {
    pub id: String,
    pub name: String,
    pub kind: &'static str,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub site: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub agency: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub event: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub page: String,
}

impl From<&GoalRow> for GoalOut {
    fn from(g: &GoalRow) -> GoalOut {
        GoalOut {
            id: g.id.clone(),
            name: g.name.clone(),
            kind: Kind::of(g).key(),
            site: g.site.clone(),
            agency: g.agency.clone(),
            event: g.event_name.clone(),
            page: g.page_pattern.clone(),
        }
    }
}

/// A goal and its figures (the `goals` of `GET /api/v1/stats`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GoalFigures {
    #[serde(flatten)]
    pub goal: GoalOut,
    #[serde(flatten)]
    pub figures: Conversions,
}

pub(crate) fn text(param: &'static str, v: &str, max: usize) -> Result<String, ApiError> {
    let v = v.trim();
    if v.is_empty() || v.chars().count() > max || v.chars().any(char::is_control) {
        return Err(ApiError::bad(
            param,
            format!("1-{max} characters, no control characters"),
        ));
    }
    Ok(v.to_owned())
}

/// Checks the input; the row it describes (without id, author, version).
pub fn validate(input: &GoalInput) -> Result<GoalRow, ApiError> {
    let (site, agency) = columns(owner(input.site.as_deref(), input.agency.as_deref())?);
    let name = text("name", &input.name, 100)?;
    fn some(s: &Option<String>) -> Option<&str> {
        s.as_deref().map(str::trim).filter(|s| !s.is_empty())
    }
    let (event_name, page_pattern) = match (some(&input.event), some(&input.page)) {
        (Some(e), None) => (text("event", e, 64)?, String::new()),
        (None, Some(p)) => {
            let p = text("page", p, 500)?;
            if !p.starts_with('/') {
                return Err(ApiError::bad(
                    "page",
                    "a path starting with / (* stands for any characters)",
                ));
            }
            (String::new(), p)
        }
        (Some(_), Some(_)) => return Err(ApiError::bad("event", "give event or page, not both")),
        (None, None) => return Err(ApiError::bad("event", "missing (or give page)")),
    };
    Ok(GoalRow {
        site,
        agency,
        name,
        event_name,
        page_pattern,
        ..GoalRow::default()
    })
}

/// Creates a goal for a site or agency in `who`'s scope (`404` unknown, `403` outside).
pub async fn create(db: &Db, who: &Principal, input: &GoalInput) -> Result<GoalRow, ApiError> {
    let mut row = validate(input)?;
    let reg = Registry::load(db).await?;
    scope::authorize(who, &reg, &owner_of(&row.site, &row.agency))?;
    let now = chrono::Utc::now();
    row.id = crate::auth::random_token()[..16].to_owned();
    row.created_by = who.username.clone();
    row.created_at = now.timestamp() as u32;
    row.version = emc_sql::registry::version_now();
    store::write(db, &row).await?;
    let what = format!(
        "{}={}{}",
        Kind::of(&row).key(),
        row.event_name,
        row.page_pattern
    );
    crate::audit::record(db, &who.username, "goal.create", &row.id, &what).await?;
    Ok(row)
}

/// Deletes a goal of `who`'s scope. Deleting a deleted goal again is fine (`DELETE` is
/// idempotent); an id never seen is `404`.
pub async fn delete(db: &Db, who: &Principal, id: &str) -> Result<GoalRow, ApiError> {
    let goal = store::find(db, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("goal {id}")))?;
    let reg = Registry::load(db).await?;
    scope::authorize(who, &reg, &owner_of(&goal.site, &goal.agency))?;
    if goal.deleted == 0 {
        let mut gone = goal.clone();
        gone.deleted = 1;
        gone.version = emc_sql::registry::version_after(goal.version);
        store::write(db, &gone).await?;
        crate::audit::record(db, &who.username, "goal.delete", id, &goal.name).await?;
    }
    Ok(goal)
}

/// The goals a report about `target` shows.
pub async fn for_target(
    db: &Db,
    reg: &Registry,
    target: &Target,
) -> Result<Vec<GoalRow>, ApiError> {
    Ok(store::list(db)
        .await?
        .into_iter()
        .filter(|g| applies(reg, target, &g.site, &g.agency))
        .collect())
}

/// Each goal's figures over the scope, queried together.
pub async fn figures(
    db: &Db,
    s: &Scope<'_>,
    goals: &[GoalRow],
    visits: i64,
) -> Result<Vec<GoalFigures>, ApiError> {
    let all =
        futures::future::try_join_all(goals.iter().map(|g| store::conversions(db, s, g, visits)))
            .await?;
    Ok(goals
        .iter()
        .zip(all)
        .map(|(g, figures)| GoalFigures {
            goal: g.into(),
            figures,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(site: &str, agency: &str, event: &str, page: &str) -> GoalInput {
        let o = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        GoalInput {
            site: o(site),
            agency: o(agency),
            name: "Nộp hồ sơ".into(),
            event: o(event),
            page: o(page),
        }
    }

    #[test]
    fn input_is_checked() {
        let ok = validate(&input("227", "", "dvc", "")).unwrap();
        assert_eq!((ok.site.as_str(), ok.event_name.as_str()), ("227", "dvc"));
        let ok = validate(&input("", "bo-a", "", "/thu-tuc/*")).unwrap();
        assert_eq!(
            (ok.agency.as_str(), ok.page_pattern.as_str()),
            ("bo-a", "/thu-tuc/*")
        );
        for (bad, param) in [
            (input("", "", "dvc", ""), "site"),
            (input("227", "bo-a", "dvc", ""), "site"),
            (input("227", "", "", ""), "event"),
            (input("227", "", "dvc", "/a"), "event"),
            (input("227", "", "", "thu-tuc"), "page"),
            (input("227", "", "a\nb", ""), "event"),
        ] {
            match validate(&bad) {
                Err(ApiError::BadParam { param: p, .. }) => assert_eq!(p, param, "{bad:?}"),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
        let mut nameless = input("227", "", "dvc", "");
        nameless.name = "  ".into();
        assert!(validate(&nameless).is_err());
    }
}
