//! Ranking of portals over a year (or any range), within a group.
//!
//! # Groups
//! `ministry` (portals of agencies whose group is ministries and ministerial agencies),
//! `province`, `other`: the `portal` sites whose own agency has that group.
//! `components:CODE`: the component sites whose parent is portal `CODE`.
//! With `include_components`, a portal's figures are the sum of its own and its component
//! sites' (counts add up; reporting days are the union; domains are all of them).
//!
//! # Criteria (each 0–100)
//! | criterion | formula |
//! |---|---|
//! | traffic | `50 × ln(1+visits)/ln(1+max visits in the group) + 50 × ln(1+visitors)/ln(1+max visitors in the group)` |
//! | engagement | `50 × (1 − bounces/visits) + 50 × min(1, avg visit duration / target)`, target 120 s; 0 without visits |
//! | connection | `100 × days with at least one hit / days in the range` |
//! | label | `100 × page views with the EMC label seen / page views` |
//! | metadata | `100 × page views with all six mandatory DC elements / page views` |
//! | domain | `100 × registered domains under gov.vn / registered domains` |
//! | speed | mean over FCP < 3 s, LCP < 4 s, load < 5.8 s, response < 0.6 s of `100 × loads meeting it / loads that reported it` (a timing no load reported is left out; no load measured: 0) |
//! | security | `100 × page views over HTTPS / page views` |
//!
//! A criterion without data (no visits, no page views, no measured load) scores 0.
//!
//! Label, metadata, domain, speed and security each take the tag's figure above, what
//! `emc-scanner` saw over the range, or both (the default: their mean when both have data,
//! else the one that has) — `"sources"` in the config; the scan side's formula is in
//! [`sources`]. So a site whose tag sends nothing is still ranked on what the scanner saw.
//!
//! # Score, grade, order
//! `score = Σ wᵢ·criterionᵢ / Σ wᵢ`, rounded to 0.01. Default weights (`ranking.default.json`):
//! traffic 30, engagement 10, connection 15, label 10, metadata 10, domain 5, speed 10,
//! security 10 (sum 100); `engagement_duration_target_secs` 120.
//! Grade on the rounded score: A ≥ 90, B ≥ 80, C ≥ 65, D ≥ 50, E below.
//! Order: score descending, then visits descending, then site code ascending (shorter code
//! first, then text order, so numeric codes sort as numbers). Ranks are 1, 2, 3… never shared.
//!
//! **Visits method** (the 2024 national ranking): order by visits descending, then site code;
//! score = `100 × visits / max visits in the group`, no grade.
//!
//! **Rank change** = rank in the previous period − rank now (positive: moved up). The previous
//! period of whole calendar months is the same number of months before (a year → the year
//! before); of any other range, the same number of days just before.
pub mod criteria;
pub mod score;
pub mod sources;
pub mod weights;

pub use criteria::{Criteria, Criterion, SiteInputs};
pub use score::{apply_previous, grade, previous_period, rank, Entry, Grade, Method, RankedSite};
pub use sources::{ScanCounts, Source, Sources};
pub use weights::{RankingConfig, Weights};

use crate::params::Range;
use crate::scope::Registry;
use emc_sql::registry::SiteRow;
use emc_sql::Db;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Group {
    Ministry,
    Province,
    Other,
    /// The component sites of one portal.
    Components(String),
}

impl Group {
    /// The parameter form: `ministry`, `province`, `other` or `components:CODE`.
    pub fn key(&self) -> String {
        match self {
            Group::Ministry => "ministry".to_owned(),
            Group::Province => "province".to_owned(),
            Group::Other => "other".to_owned(),
            Group::Components(code) => format!("components:{code}"),
        }
    }

    /// `ministry`, `province`, `other` or `components:CODE`.
    pub fn parse(s: &str) -> Option<Group> {
        match s {
            "ministry" => Some(Group::Ministry),
            "province" => Some(Group::Province),
            "other" => Some(Group::Other),
            _ => s
                .strip_prefix("components:")
                .filter(|c| !c.is_empty())
                .map(|c| Group::Components(c.to_owned())),
        }
    }
}

/// What to rank.
#[derive(Debug, Clone)]
pub struct RankingRequest {
    pub range: Range,
    pub group: Group,
    pub method: Method,
    pub include_components: bool,
    /// Also rank the previous period and fill `rank_change`.
    pub with_previous: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Ranking {
    pub group: Group,
    pub method: Method,
    pub include_components: bool,
    pub from: chrono::NaiveDate,
    pub to: chrono::NaiveDate,
    pub previous: Option<(chrono::NaiveDate, chrono::NaiveDate)>,
    pub sites: Vec<RankedSite>,
}

/// The sites of a group, in registry order.
pub fn members<'a>(reg: &'a Registry, group: &Group) -> Vec<&'a SiteRow> {
    let agency_group = |id: &str| {
        reg.agencies
            .iter()
            .find(|a| a.id == id)
            .map(|a| a.group_kind.as_str())
    };
    reg.sites
        .iter()
        .filter(|s| match group {
            Group::Components(portal) => s.kind == "component" && &s.parent == portal,
            g => {
                let want = match g {
                    Group::Ministry => "ministry",
                    Group::Province => "province",
                    _ => "other",
                };
                s.kind == "portal" && agency_group(&s.agency) == Some(want)
            }
        })
        .collect()
}

/// Entries of a group from per-site inputs (domains come from the registry).
pub fn entries(
    reg: &Registry,
    group: &Group,
    include_components: bool,
    inputs: &BTreeMap<String, SiteInputs>,
) -> Vec<Entry> {
    let own = |s: &SiteRow| {
        let mut i = inputs.get(&s.code).cloned().unwrap_or_default();
        i.domains = s.domains.clone();
        i
    };
    members(reg, group)
        .into_iter()
        .map(|s| {
            let mut i = own(s);
            for c in absorbed(reg, group, include_components, s) {
                i.absorb(&own(c));
            }
            Entry {
                site: s.code.clone(),
                name: s.name.clone(),
                inputs: i,
            }
        })
        .collect()
}

/// The component sites whose figures a member absorbs: with `include_components`, a portal's
/// components (none in a `components:` group, whose members are the components themselves).
fn absorbed<'a>(
    reg: &'a Registry,
    group: &Group,
    include_components: bool,
    member: &'a SiteRow,
) -> impl Iterator<Item = &'a SiteRow> {
    let on = include_components && !matches!(group, Group::Components(_));
    reg.sites
        .iter()
        .filter(move |c| on && c.kind == "component" && c.parent == member.code)
}

/// The sites whose figures [`entries`] reads: the members and what they absorb.
fn read_sites(reg: &Registry, group: &Group, include_components: bool) -> Vec<String> {
    members(reg, group)
        .into_iter()
        .flat_map(|s| std::iter::once(s).chain(absorbed(reg, group, include_components, s)))
        .map(|s| s.code.clone())
        .collect()
}

async fn rank_range(
    db: &Db,
    reg: &Registry,
    req: &RankingRequest,
    range: &Range,
    cfg: &RankingConfig,
) -> anyhow::Result<Vec<RankedSite>> {
    let inputs = crate::reports::ranking::load_inputs(
        db,
        &read_sites(reg, &req.group, req.include_components),
        range,
    )
    .await?;
    let entries = entries(reg, &req.group, req.include_components, &inputs);
    Ok(rank(&entries, cfg, req.method, range.days().max(1) as u32))
}

/// Ranks a group over the range, and against the previous period when asked.
pub async fn compute(
    db: &Db,
    reg: &Registry,
    req: &RankingRequest,
    cfg: &RankingConfig,
) -> anyhow::Result<Ranking> {
    let mut sites = rank_range(db, reg, req, &req.range, cfg).await?;
    let previous = if req.with_previous {
        let (from, to) = previous_period(req.range.from, req.range.to);
        let before = rank_range(
            db,
            reg,
            req,
            &Range {
                from,
                to,
                tz: req.range.tz,
            },
            cfg,
        )
        .await?;
        apply_previous(&mut sites, &before);
        Some((from, to))
    } else {
        None
    };
    Ok(Ranking {
        group: req.group.clone(),
        method: req.method,
        include_components: req.include_components,
        from: req.range.from,
        to: req.range.to,
        previous,
        sites,
    })
}
