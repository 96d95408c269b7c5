//! Open data: the yearly ranking and monthly figures per site, published without sign-in as
//! CSV and JSON, and their DCAT-AP catalog (JSON-LD). Only aggregates per site are published.
use crate::params::Range;
use crate::ranking::{self, Criteria, Grade, Group, Method, RankingConfig};
use crate::scope::Registry;
use chrono::NaiveDate;
use emc_sql::Db;
use serde::Serialize;
use serde_json::{json, Value};

/// Header rows of the CSV files (documented in the README).
pub const RANKING_HEADER: [&str; 18] = [
    "year",
    "group",
    "method",
    "rank",
    "site",
    "name",
    "score",
    "grade",
    "visits",
    "visitors",
    "traffic",
    "engagement",
    "connection",
    "label",
    "metadata",
    "domain",
    "speed",
    "security",
];
pub const MONTHLY_HEADER: [&str; 9] = [
    "month",
    "site",
    "name",
    "kind",
    "visits",
    "pageviews",
    "visitors",
    "bounce_rate",
    "avg_session_duration",
];

pub const LICENSE: &str = "https://creativecommons.org/licenses/by/4.0/";
pub const PUBLISHER: &str = "EMC — Hệ thống giám sát, đo lường hiệu quả cổng thông tin điện tử";

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PublicRank {
    pub year: i32,
    pub group: String,
    pub method: Method,
    pub rank: u32,
    pub site: String,
    pub name: String,
    pub score: f64,
    pub grade: Option<Grade>,
    pub components: Criteria,
    pub visits: i64,
    pub visitors: u64,
}

/// The ranking of `year` (cut at `range.to`) for each group and method asked, all sites.
pub async fn ranking(
    db: &Db,
    reg: &Registry,
    cfg: &RankingConfig,
    year: i32,
    range: &Range,
    groups: &[Group],
    methods: &[Method],
) -> anyhow::Result<Vec<PublicRank>> {
    let codes: Vec<String> = reg.sites.iter().map(|s| s.code.clone()).collect();
    let inputs = crate::reports::ranking::load_inputs(db, &codes, range).await?;
    let mut out = vec![];
    for g in groups {
        let entries = ranking::entries(reg, g, false, &inputs);
        for m in methods {
            for r in ranking::rank(&entries, cfg, *m, range.days().max(1) as u32) {
                out.push(PublicRank {
                    year,
                    group: g.key(),
                    method: *m,
                    rank: r.rank,
                    site: r.site,
                    name: r.name,
                    score: r.score,
                    grade: r.grade,
                    components: r.criteria,
                    visits: r.visits,
                    visitors: r.visitors,
                });
            }
        }
    }
    Ok(out)
}

fn date(d: NaiveDate) -> Value {
    json!({ "@value": d.to_string(), "@type": "xsd:date" })
}

fn distributions(base: &str, stem: &str, title: &str) -> Value {
    let one = |ext: &str, media: &str, format: &str| {
        let url = format!("{base}/open-data/{stem}.{ext}");
        json!({
            "@id": format!("{url}#distribution"),
            "@type": "dcat:Distribution",
            "dct:title": format!("{title} ({format})"),
            "dct:format": format,
            "dct:license": { "@id": LICENSE },
            "dcat:accessURL": { "@id": url },
            "dcat:downloadURL": { "@id": url },
            "dcat:mediaType": media,
        })
    };
    json!([
        one("csv", "text/csv", "CSV"),
        one("json", "application/json", "JSON")
    ])
}

/// The DCAT-AP catalog of the open data of `years` (ascending), with absolute URLs under `base`.
pub fn catalog(base: &str, years: &[i32], today: NaiveDate) -> Value {
    let publisher = json!({ "@type": "foaf:Agent", "foaf:name": PUBLISHER });
    let first = |y: i32| NaiveDate::from_ymd_opt(y, 1, 1).unwrap_or(today);
    let last = |y: i32| {
        NaiveDate::from_ymd_opt(y, 12, 31)
            .unwrap_or(today)
            .min(today)
    };
    let mut datasets = vec![];
    for &y in years {
        let ranking_title = format!("Xếp hạng cổng thông tin điện tử năm {y}");
        let monthly_title =
            format!("Số liệu truy cập hằng tháng của các cổng thông tin điện tử năm {y}");
        for (stem, title, description) in [
            (format!("ranking-{y}"), ranking_title, format!("Xếp hạng năm {y} theo nhóm (bộ, ngành; tỉnh, thành phố; cơ quan khác), theo tiêu chí tổng hợp và theo lượt truy cập, kèm điểm từng tiêu chí. Tham số ?group=ministry|province|other&method=weighted|visits lọc kết quả.")),
            (format!("monthly-{y}"), monthly_title, format!("Lượt truy cập, lượt xem trang, người sử dụng, tỷ lệ thoát và thời gian phiên trung bình của từng trang, theo tháng, năm {y}.")),
        ] {
            datasets.push(json!({
                "@id": format!("{base}/open-data/{stem}"),
                "@type": "dcat:Dataset",
                "dct:title": title,
                "dct:description": description,
                "dct:publisher": publisher,
                "dct:issued": date(first(y)),
                "dct:modified": date(last(y)),
                "dct:license": { "@id": LICENSE },
                "dct:language": "vi",
                "dcat:keyword": ["EMC", "cổng thông tin điện tử", "Thông tư 22/2023/TT-BTTTT"],
                "dcat:distribution": distributions(base, &stem, &title),
            }));
        }
    }
    json!({
        "@context": {
            "dcat": "http://www.w3.org/ns/dcat#",
            "dct": "http://purl.org/dc/terms/",
            "foaf": "http://xmlns.com/foaf/0.1/",
            "xsd": "http://www.w3.org/2001/XMLSchema#",
        },
        "@id": format!("{base}/open-data/catalog.jsonld"),
        "@type": "dcat:Catalog",
        "dct:title": "Dữ liệu mở EMC",
        "dct:description": "Dữ liệu mở về xếp hạng và số liệu truy cập các cổng thông tin điện tử của cơ quan nhà nước, đo bằng EMC.",
        "dct:publisher": publisher,
        "dct:issued": date(first(years.first().copied().unwrap_or(2024))),
        "dct:modified": date(today),
        "dct:license": { "@id": LICENSE },
        "dct:language": "vi",
        "foaf:homepage": { "@id": format!("{base}/open-data") },
        "dcat:dataset": datasets,
    })
}
