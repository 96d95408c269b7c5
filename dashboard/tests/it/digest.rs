//! Monthly reports: `report send` for one agency reaches only the subscribers whose scope covers
//! it, as a MIME message with text and HTML parts, the CSV and a PDF printed by Chromium; the
//! printable page; the schedule mails each subscriber once.
use crate::compliance::{insert_events, insert_sessions};
use crate::mailbox::*;
use crate::ranking::visit;
use crate::support::*;
use emc_dashboard::digest::period::ReportPeriod;
use emc_dashboard::digest::send::{self, ReportConfig};
use emc_dashboard::notify::{Notifier, NotifyConfig};
use emc_dashboard::ranking::RankingConfig;
use mailparse::MailHeaderMap;

const TZ: chrono_tz::Tz = chrono_tz::Asia::Ho_Chi_Minh;

#[tokio::test]
async fn mail_monthly_report_has_both_parts_csv_and_pdf_for_its_ministry_only() {
    let db = emc_sql::testing::test_db("mail_digest").await;
    registry_fixture(&db).await;
    user(&db, "admin", "admin", &[]).await;
    let router = dashboard(&db);
    let admin = api_token(&router, "admin").await;
    for (name, agency) in [("analyst-a", "bo-a"), ("analyst-b", "bo-b")] {
        let body = serde_json::json!({"username": name, "password": PASSWORD, "role": "analyst", "agencies": [agency], "email": format!("{name}@mail.gov.vn")});
        assert_eq!(
            post_json(&router, "/api/v1/users", &admin, body)
                .await
                .status,
            201
        );
        let tok = api_token(&router, name).await;
        let req = axum::http::Request::put(format!("/api/v1/users/{name}/subscriptions"))
            .header("authorization", format!("Bearer {tok}"))
            .header("content-type", "application/json")
            .body(axum::body::Body::from(
                r#"{"alerts":[],"reports":["monthly"],"webhook":null}"#,
            ))
            .unwrap();
        assert_eq!(send(&router, req).await.status, 200);
    }
    // November 2026: 227 has 3 visits (4 page views), 300 has 5; October: 227 has 2 visits.
    let mut sessions = vec![];
    let mut events = vec![];
    let visits = [
        ("227", "2026-11-03", 1, 2),
        ("227", "2026-11-10", 2, 1),
        ("227", "2026-11-20", 3, 1),
        ("227", "2026-10-05", 4, 1),
        ("227", "2026-10-06", 5, 1),
        ("300", "2026-11-04", 6, 1),
        ("300", "2026-11-05", 7, 1),
        ("300", "2026-11-06", 8, 1),
        ("300", "2026-11-07", 9, 1),
        ("300", "2026-11-08", 10, 1),
    ];
    for (site, date, id, pv) in visits {
        let (s, e) = visit(site, date, id, pv);
        sessions.push(s);
        events.extend(e);
    }
    insert_sessions(&db, &sessions).await;
    insert_events(&db, &events).await;

    let smtp = SmtpServer::start().await;
    let ncfg = NotifyConfig {
        smtp_url: Some(smtp.url()),
        dashboard_url: "https://emc.gov.vn".into(),
        ..NotifyConfig::default()
    };
    let notifier = Notifier::new(db.clone(), &ncfg).unwrap();
    let cfg = ReportConfig {
        ranking: RankingConfig::default(),
        silence_secs: 86_400,
        tz: TZ,
        chromium: "/usr/bin/chromium".into(),
    };
    let month = ReportPeriod::month("2026-11", TZ).unwrap();
    let now = chrono::Utc::now().timestamp() as u32;
    let (recipients, delivered) = send::send_agency(&notifier, &cfg, "bo-a", month, now)
        .await
        .unwrap();
    assert_eq!((recipients, delivered), (1, 1));

    let raw = smtp.wait_for(1).await;
    assert_eq!(raw.len(), 1);
    let m = mailparse::parse_mail(&raw[0]).unwrap();
    assert_eq!(rcpt_to(&m), "analyst-a@mail.gov.vn");
    assert_eq!(subject(&m), "[EMC] Báo cáo tháng 11/2026 — Cơ quan bo-a");
    assert_eq!(m.ctype.mimetype, "multipart/mixed");
    let alt = &m.subparts[0];
    let types: Vec<&str> = alt
        .subparts
        .iter()
        .map(|p| p.ctype.mimetype.as_str())
        .collect();
    assert_eq!(types, ["text/plain", "text/html"]);
    let text = alt.subparts[0].get_body().unwrap();
    assert!(
        text.contains("Tổng lượt truy cập / Total visits: 3 (+50.0 %"),
        "{text}"
    );
    assert!(
        text.contains("https://emc.gov.vn/reports/monthly?agency=bo-a&month=2026-11"),
        "{text}"
    );
    let html = alt.subparts[1].get_body().unwrap();
    assert!(
        html.contains("Cổng 227") && html.contains("Cổng 228") && !html.contains("Cổng 300"),
        "{html}"
    );
    let names: Vec<String> = m.subparts[1..]
        .iter()
        .map(|p| {
            p.get_content_disposition()
                .params
                .get("filename")
                .cloned()
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(names, ["emc-bo-a-2026-11.csv", "emc-bo-a-2026-11.pdf"]);
    let csv = String::from_utf8(m.subparts[1].get_body_raw().unwrap()).unwrap();
    let line = |code: &str| {
        csv.lines()
            .find(|l| l.starts_with(&format!("{code},")))
            .unwrap_or_default()
            .to_owned()
    };
    let l227 = line("227");
    let f227: Vec<&str> = l227.split(',').collect();
    // site, name, visits, visits_previous, visitors, visitors_previous, pageviews, pageviews_previous
    assert_eq!(&f227[2..8], ["3", "2", "3", "2", "4", "2"], "{csv}");
    assert!(line("228").starts_with("228,Cổng 228,0,0,"), "{csv}");
    assert!(line("300").is_empty(), "{csv}");
    let pdf = m.subparts[2].get_body_raw().unwrap();
    assert_eq!(m.subparts[2].ctype.mimetype, "application/pdf");
    assert!(pdf.starts_with(b"%PDF"), "{:?}", &pdf[..pdf.len().min(16)]);
    assert!(m.headers.get_first_value("From").is_some());

    // The printable page: in scope, the same figures; out of scope 403; a bad month 400.
    let a = api_token(&router, "analyst-a").await;
    let b = api_token(&router, "analyst-b").await;
    let page = get(&router, "/reports/monthly?agency=bo-a&month=2026-11", &a).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Cổng 227") && !page.body.contains("Cổng 300"));
    assert!(
        page.body.contains("/static/app.css") && !page.body.contains("<style"),
        "no inline style on the served page"
    );
    assert_eq!(
        get(&router, "/reports/monthly?agency=bo-a&month=2026-11", &b)
            .await
            .status,
        403
    );
    let bad = get(&router, "/reports/monthly?agency=bo-a&month=2026-13", &a).await;
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("month"), "{}", bad.body);

    // The schedule on 2 December: November is due for both; analyst-a already has it.
    let dec2 = chrono::NaiveDate::from_ymd_opt(2026, 12, 2)
        .unwrap()
        .and_hms_opt(8, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp();
    assert_eq!(send::run_due(&notifier, &cfg, dec2).await.unwrap(), 1);
    let raw = smtp.wait_for(2).await;
    let last = mailparse::parse_mail(&raw[1]).unwrap();
    assert_eq!(rcpt_to(&last), "analyst-b@mail.gov.vn");
    assert_eq!(subject(&last), "[EMC] Báo cáo tháng 11/2026 — Cơ quan bo-b");
    assert_eq!(
        send::run_due(&notifier, &cfg, dec2 + 3_600).await.unwrap(),
        0
    );
    assert_eq!(smtp.messages().len(), 2);
}
