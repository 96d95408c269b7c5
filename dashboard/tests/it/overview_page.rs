//! The overview for the national authority, without JavaScript: counts of sites needing
//! attention linking to their lists, each group's totals and change, the top movers by
//! name — against the scenario of `stats.rs` (site 227 of ministry `bo-a`: its visits per
//! day computed here from the visits themselves).
use crate::stats::{load, visits};
use crate::support::{browser_login, get_page};

#[tokio::test]
async fn overview_shows_groups_movers_and_attention_counts() {
    let (router, _token, _db) = load("dash_overview_page").await;
    let (cookie, _) = browser_login(&router, "admin").await;
    let vs = visits();
    let day = |d: &str| vs.iter().filter(|v| v.day == d).count() as i64;
    let (before, now) = (day("2026-03-02"), day("2026-03-03"));
    assert!(before > now, "the truth: fewer visits on the second day");

    // The second day against the first (the previous period of equal length).
    let o = get_page(&router, "/?from=2026-03-03&to=2026-03-03", &cookie).await;
    assert_eq!(o.status, 200, "{}", o.body);
    let b = &o.body;
    let change = now - before;
    let pct = (now - before) as f64 / before as f64 * 100.0;
    let mover = format!(
        ">Cổng 227</a> <span class=\"bad\">{change} ({pct:+.0}%)</span> <small>{before} → {now}</small>"
    );
    assert!(b.contains(&mover), "227 falls: {mover}\n{b}");
    // Ministries: portals 227 and 300; visits and their change.
    assert!(b.contains("Bộ, cơ quan ngang bộ · 2 trang"), "{b}");
    assert!(
        b.contains(&format!("<span class=\"v\">{now} <small>")),
        "{b}"
    );
    assert!(b.contains(&format!("<span class=\"bad\">{pct:+.0}%</span>")));
    assert!(
        b.contains("Cơ quan khác · 1 trang"),
        "component 228 under cuc-a1"
    );
    // Attention: counts with links, never a list of every silent site.
    for (flag, href) in [
        (
            "silent_sites",
            "/compliance?from=2026-03-03&#38;to=2026-03-03#silent",
        ),
        ("scan_down", "/scans?check=http"),
        ("scan_untagged", "/scans?check=tag_present"),
        ("scan_wrong_tag", "/scans?check=tag_site_id"),
    ] {
        assert!(
            b.contains(&format!("href=\"{href}\" data-flag=\"{flag}\"")),
            "{flag} links to {href}"
        );
    }
    assert!(
        !b.contains("role=\"alert\""),
        "no red list above the figures"
    );
    // The national map of the 34 units.
    assert!(b.contains("class=\"vn-map\""));
    // No inline script here either.
    assert_eq!(b.matches("<script").count(), 1);

    let en = get_page(&router, "/?from=2026-03-03&to=2026-03-03&lang=en", &cookie).await;
    for w in [
        "Top movers",
        "Largest falls",
        "Ministries",
        "Silent sites",
        "Sites down",
    ] {
        assert!(en.body.contains(w), "{w}");
    }
}
