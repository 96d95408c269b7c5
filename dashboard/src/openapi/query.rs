//! The query parameters of the `/api/v1` reports, as OpenAPI parameters. The handlers read
//! their query string with [`crate::params`] (one parser for pages, API and CSV); the enums
//! and lists that parser accepts are read here, so the document offers exactly those values.
use crate::params::{Interval, SORTS};
use crate::ranking::{Group, Method};
use crate::reports::{site_search, Dimension};
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn, ParameterStyle};
use utoipa::openapi::schema::{ArrayBuilder, KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::{RefOr, Required, Schema};
use utoipa::{IntoParams, PartialSchema};

fn param(name: &str, description: &str, schema: impl Into<RefOr<Schema>>) -> Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Query)
        .required(Required::False)
        .description(Some(description))
        .schema(Some(schema))
        .build()
}

/// `p` with an example value (schemathesis's first request of each operation is made of them).
fn example(p: Parameter, value: impl Into<serde_json::Value>) -> Parameter {
    ParameterBuilder::from(p)
        .example(Some(value.into()))
        .build()
}

fn string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

fn one_of<S: Into<String>>(values: impl IntoIterator<Item = S>) -> ObjectBuilder {
    string().enum_values(Some(
        values.into_iter().map(Into::into).collect::<Vec<String>>(),
    ))
}

fn date(name: &str, description: &str) -> Parameter {
    let s = string().format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)));
    param(name, description, s)
}

fn boolean(name: &str, description: &str) -> Parameter {
    param(
        name,
        description,
        ObjectBuilder::new().schema_type(Type::Boolean),
    )
}

fn site() -> Parameter {
    let p = param("site", "A site code (give `site` or `agency`)", string());
    example(p, "227")
}

fn range() -> [Parameter; 2] {
    [
        example(
            date(
                "from",
                "First day, `YYYY-MM-DD` (default: 29 days before `to`)",
            ),
            "2026-03-01",
        ),
        example(
            date(
                "to",
                "Last day, included (default: today in `EMC_TIMEZONE`)",
            ),
            "2026-03-31",
        ),
    ]
}

fn include_components() -> Parameter {
    boolean(
        "include_components",
        "A portal's figures include its component sites",
    )
}

fn sort() -> [Parameter; 2] {
    [
        param("sort", "The overview's sort column", one_of(SORTS)),
        param("dir", "Sort direction", one_of(["asc", "desc"])),
    ]
}

/// `site` or `agency`, the range, filters, and what the report is broken down by.
fn report() -> Vec<Parameter> {
    let keys: Vec<&str> = Dimension::ALL.iter().map(|d| d.key()).collect();
    let filter = ArrayBuilder::new()
        .items(string().pattern(Some(format!("^({}):[^\\n]{{1,100}}$", keys.join("|")))));
    let mut by = keys.clone();
    by.push(site_search::BY);
    let mut out = vec![
        site(),
        param(
            "agency",
            "An agency id (with every site under it)",
            string(),
        ),
    ];
    out.extend(range());
    out.extend([
        include_components(),
        boolean("compare", "Also the period of the same length just before"),
        ParameterBuilder::from(param(
            "filter",
            "`key:value`, repeatable, at most one per key",
            filter,
        ))
        .style(Some(ParameterStyle::Form))
        .explode(Some(true))
        .build(),
        param(
            "interval",
            "Time-series step (default: hour for one day, month past 120 days, else day)",
            one_of(Interval::ALL.map(Interval::as_str)),
        ),
        example(param("by", "What a breakdown is of", one_of(by)), "page"),
        param(
            "limit",
            "Breakdown rows",
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(1))
                .maximum(Some(1000)),
        ),
    ]);
    out.extend(sort());
    out
}

/// `GET /api/v1/stats`, `breakdown`, `timeseries`, `realtime`.
pub struct ReportQuery;

impl IntoParams for ReportQuery {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        report()
    }
}

/// `GET /api/v1/overview`: every site in scope.
pub struct OverviewQuery;

impl IntoParams for OverviewQuery {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        range().into_iter().chain(sort()).collect()
    }
}

fn ranking() -> Vec<Parameter> {
    let groups = [Group::Ministry, Group::Province, Group::Other].map(|g| g.key());
    let group = string().pattern(Some(format!("^({}|components:.+)$", groups.join("|"))));
    let mut out: Vec<Parameter> = range().into();
    out.extend([
        param(
            "year",
            "A calendar year (instead of `from`/`to`)",
            string().pattern(Some("^[0-9]{4}$")),
        ),
        example(
            param(
                "group",
                "`ministry`, `province`, `other`, or `components:CODE` (a portal's component sites)",
                group,
            ),
            "ministry",
        ),
        param(
            "method",
            "Weighted criteria, or visits alone",
            Method::schema(),
        ),
        include_components(),
    ]);
    out
}

/// `GET /api/v1/ranking`.
pub struct RankingQuery;

impl IntoParams for RankingQuery {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        ranking()
    }
}

/// `GET /api/v1/compliance` and `/api/v1/health`: one site, or (no `site`) the caller's fleet.
pub struct FleetQuery;

impl IntoParams for FleetQuery {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let site = param("site", "A site code; none: every site in scope", string());
        let mut out = vec![example(site, "227")];
        out.extend(range());
        out.push(include_components());
        out
    }
}

/// `GET /api/v1/scans` and `scans.csv`.
pub struct ScansQuery;

impl IntoParams for ScansQuery {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let site = param("site", "A site code; none: every site in scope", string());
        vec![example(site, "227")]
    }
}

/// The reports `GET /api/v1/export.csv` writes.
pub const EXPORTS: [&str; 7] = [
    "stats",
    "breakdown",
    "timeseries",
    "overview",
    "ranking",
    "compliance",
    "failing_pages",
];

/// `GET /api/v1/export.csv`: `report`, then that report's own parameters.
pub struct ExportQuery;

impl IntoParams for ExportQuery {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let report_param = param("report", "Which report (default `stats`)", one_of(EXPORTS));
        let mut out = vec![example(report_param, "stats")];
        out.extend(report());
        let known: Vec<String> = out.iter().map(|p| p.name.clone()).collect();
        out.extend(ranking().into_iter().filter(|p| !known.contains(&p.name)));
        out
    }
}
