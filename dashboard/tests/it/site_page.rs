//! The report page as a browser without JavaScript gets it: the KPI row, the main chart
//! with a chosen metric, the four cards whose tabs are links (`?tab=`), rows that link to
//! filters, the details page (sort, search, CSV) — against the scenario of `stats.rs`,
//! whose figures are computed here from the visits themselves.
use crate::stats::{load, visits, Visit};
use crate::support::{browser_login, get_page};
use std::collections::BTreeMap;

const Q: &str = "from=2026-03-02&to=2026-03-03";

/// The text of the tab panel `id`, up to the next panel or the end of its card.
fn panel<'a>(body: &'a str, id: &str) -> &'a str {
    let start = body
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no {id}"));
    let rest = &body[start..];
    let end = [rest[1..].find("role=\"tabpanel\""), rest.find("</section>")]
        .into_iter()
        .flatten()
        .min()
        .unwrap();
    &rest[..end]
}

/// Is the tab panel `id` hidden (the `hidden` attribute of its opening tag)?
fn hidden(body: &str, id: &str) -> bool {
    let tag = panel(body, id);
    tag[..tag.find('>').unwrap()].ends_with(" hidden")
}

/// Page views per page over the visits.
fn pageviews(vs: &[Visit]) -> BTreeMap<&'static str, i64> {
    let mut out = BTreeMap::new();
    for v in vs {
        for p in &v.pages {
            *out.entry(*p).or_insert(0) += 1;
        }
    }
    out
}

#[tokio::test]
async fn site_page_without_javascript_has_kpis_chart_cards_and_details() {
    let (router, _token, _db) = load("dash_site_page").await;
    let (cookie, _) = browser_login(&router, "admin").await;
    let vs = visits();
    let page = get_page(&router, &format!("/sites/227?{Q}"), &cookie).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let body = &page.body;

    // No script in the page itself: one external file, no inline handler.
    assert_eq!(
        body.matches("<script").count(),
        1,
        "only the layout's app.js"
    );
    assert!(body.contains("<script src=\"/static/app.js\" defer></script>"));
    for handler in [
        " onclick=",
        " onload=",
        " onmouseover=",
        " onfocus=",
        "javascript:",
    ] {
        assert!(!body.contains(handler), "{handler}");
    }

    // KPI row: five figures, visits first and selected, each a link choosing the chart.
    let kpis = body.matches("<a class=\"kpi").count();
    assert_eq!(
        kpis, 5,
        "visits, visitors, page views, bounce rate, duration"
    );
    let total_pv: i64 = vs.iter().map(|v| v.pages.len() as i64).sum();
    assert!(
        body.contains(&format!("<span class=\"v\">{}</span>", vs.len())),
        "visits = {}",
        vs.len()
    );
    assert!(body.contains(&format!("<span class=\"v\">{total_pv}</span>")));
    assert!(body.contains("aria-current=\"true\" data-metric=\"visits\""));
    // The chart marks every day of the range with its value.
    assert_eq!(body.matches("<circle").count(), 2, "two days");
    let day1 = vs.iter().filter(|v| v.day == "2026-03-02").count();
    assert!(body.contains(&format!("<title>2026-03-02: {day1}</title>")));

    // Another metric for the chart, as a link does it without JavaScript.
    let bounce = get_page(
        &router,
        &format!("/sites/227?{Q}&metric=bounce_rate"),
        &cookie,
    )
    .await;
    assert!(bounce
        .body
        .contains("aria-current=\"true\" data-metric=\"bounce_rate\""));
    let b1 = vs
        .iter()
        .filter(|v| v.day == "2026-03-02" && v.pages.len() == 1)
        .count() as f64
        / day1 as f64;
    assert!(
        bounce
            .body
            .contains(&format!("<title>2026-03-02: {:.1}%</title>", b1 * 100.0)),
        "bounce rate of day 1 = {b1}"
    );

    // Four cards, the first tab of each shown and the others hidden.
    for card in ["sources", "pages", "locations", "devices"] {
        assert!(body.contains(&format!("id=\"card-{card}\"")), "{card}");
    }
    assert!(!hidden(body, "panel-source"));
    assert!(hidden(body, "panel-referrer"));
    assert!(!hidden(body, "panel-page"));
    assert!(hidden(body, "panel-entry_page"));

    // Top pages: the most viewed page first, its count, a bar and a link to its filter.
    let pv = pageviews(&vs);
    let (top, n) = pv
        .iter()
        .max_by_key(|(p, n)| (**n, std::cmp::Reverse(**p)))
        .unwrap();
    let pages = panel(body, "panel-page");
    let first = pages.split("<li>").nth(1).unwrap();
    assert!(
        first.contains(&format!(">{top}</a><span class=\"n\">{n}</span>")),
        "{first}"
    );
    assert!(
        first.contains("<rect width=\"100\""),
        "the largest row's bar is full"
    );
    assert!(first.contains(&format!("filter=page%3A{}", top.replace('/', "%2F"))));
    assert_eq!(pages.matches("<li>").count(), pv.len().min(10));

    // A tab chosen by its link: the referrer panel shows, the channels hide, and the
    // other cards keep their own tab.
    let tabbed = get_page(
        &router,
        &format!("/sites/227?{Q}&tab=referrer&tab=os"),
        &cookie,
    )
    .await;
    let tb = &tabbed.body;
    assert!(!hidden(tb, "panel-referrer"));
    assert!(hidden(tb, "panel-source"));
    assert!(!hidden(tb, "panel-os"));
    assert!(!hidden(tb, "panel-page"));
    assert!(tb.contains("aria-selected=\"true\">Trang giới thiệu</a>"));

    // Details: every metric, sorted as asked, searchable, with the CSV.
    let d = get_page(
        &router,
        &format!("/sites/227/details/page?{Q}&order=pageviews&dir=asc"),
        &cookie,
    )
    .await;
    assert_eq!(d.status, 200, "{}", d.body);
    for h in [
        "Lượt truy cập",
        "Người sử dụng",
        "Lượt xem trang",
        "Tỷ lệ thoát",
    ] {
        assert!(d.body.contains(h), "{h}");
    }
    let shown: Vec<&str> = d
        .body
        .split("<tr><th scope=\"row\"><a href=\"")
        .skip(1)
        .map(|r| r.split('>').nth(1).unwrap().split('<').next().unwrap())
        .collect();
    let mut want: Vec<(&str, i64)> = pv.iter().map(|(p, n)| (*p, *n)).collect();
    want.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(b.0)));
    assert_eq!(shown, want.iter().map(|w| w.0).collect::<Vec<_>>());
    assert!(d.body.contains("aria-sort=\"ascending\""));
    assert!(d
        .body
        .contains("/api/v1/export.csv?report=breakdown&#38;by=page&#38;"));
    let searched = get_page(
        &router,
        &format!("/sites/227/details/page?{Q}&q=TIN"),
        &cookie,
    )
    .await;
    let rows = searched.body.matches("<tr><th scope=\"row\">").count();
    assert_eq!(rows, pv.keys().filter(|p| p.contains("tin")).count());
    assert!(searched.body.contains(">/tin-tuc</a>"));
    let unknown = get_page(
        &router,
        &format!("/sites/227/details/password?{Q}"),
        &cookie,
    )
    .await;
    assert_eq!(unknown.status, 404);

    // English is complete on the page.
    let en = get_page(&router, &format!("/sites/227?{Q}&lang=en"), &cookie).await;
    for w in [
        "Visits",
        "Sources",
        "Pages",
        "Locations",
        "Devices",
        "Channels",
        "Top pages",
        "Details",
    ] {
        assert!(en.body.contains(w), "{w}");
    }
}
