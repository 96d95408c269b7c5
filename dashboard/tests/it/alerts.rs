//! Alerts end to end on a real ClickHouse and a real SMTP server, driven with a chosen clock:
//! users with email addresses and subscriptions set through the API, facts written to the
//! connection log and the scanner's table, `alerts::evaluate(now)`, then the Maildir, the
//! webhook receiver, `/api/v1/alerts`, `/alerts` and `/metrics`.
use crate::mailbox::*;
use crate::support::*;
use axum::body::Body;
use axum::http::{header, Request};
use emc_dashboard::alerts::{self, AlertConfig};
use emc_dashboard::notify::webhook::Retry;
use emc_dashboard::notify::{Notifier, NotifyConfig};
use emc_sql::rows::ConnectionLogRow;
use emc_sql::Db;

pub async fn insert_scan(
    db: &Db,
    site: &str,
    domain: &str,
    at: u32,
    check: &str,
    outcome: &str,
    value: &str,
) {
    db.client()
        .query("INSERT INTO scan_checks (site, domain, scanned_at, `check`, outcome, value, detail) VALUES (?, ?, toDateTime(?), ?, ?, ?, '')")
        .bind(site)
        .bind(domain)
        .bind(at)
        .bind(check)
        .bind(outcome)
        .bind(value)
        .execute()
        .await
        .unwrap();
}

pub fn beacon(site: &str, at: u32, reason: &str) -> ConnectionLogRow {
    ConnectionLogRow {
        received_at: at,
        site: site.into(),
        endpoint: "/api/event".into(),
        status: if reason == "ok" { 202 } else { 403 },
        reason: reason.into(),
        count: 1,
        ..ConnectionLogRow::default()
    }
}

pub async fn insert_log(db: &Db, rows: &[ConnectionLogRow]) {
    let mut ins = db
        .client()
        .insert::<ConnectionLogRow>("connection_log")
        .await
        .unwrap();
    for r in rows {
        ins.write(r).await.unwrap();
    }
    ins.end().await.unwrap();
}

pub async fn put_json(
    router: &axum::Router,
    uri: &str,
    token: &str,
    body: serde_json::Value,
) -> Reply {
    let req = Request::put(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    send(router, req).await
}

const ALL_ALERTS: [&str; 7] = [
    "silent",
    "down",
    "tls_expiry",
    "broken_tag",
    "traffic_drop",
    "traffic_spike",
    "compliance",
];

#[tokio::test]
async fn alerts_reach_subscribers_in_scope_once_then_recover() {
    let db = emc_sql::testing::test_db("alerts_flow").await;
    registry_fixture(&db).await;
    user(&db, "admin", "admin", &[]).await;
    let router = dashboard(&db);
    let admin = api_token(&router, "admin").await;
    for (name, agency) in [
        ("analyst-a", "bo-a"),
        ("analyst-b", "bo-b"),
        ("quiet-a", "bo-a"),
    ] {
        let body = serde_json::json!({"username": name, "password": PASSWORD, "role": "analyst", "agencies": [agency], "email": format!("{name}@mail.gov.vn")});
        let r = post_json(&router, "/api/v1/users", &admin, body).await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let bad = serde_json::json!({"username": "x-user", "password": PASSWORD, "role": "analyst", "agencies": ["bo-a"], "email": "not an address"});
    let r = post_json(&router, "/api/v1/users", &admin, bad).await;
    assert_eq!(
        (r.status.as_u16(), r.json()["param"].as_str()),
        (400, Some("email"))
    );

    let secret = "whsec-test-0123";
    let (hook_url, hooks) = webhook_receiver(secret).await;
    let a = api_token(&router, "analyst-a").await;
    let b = api_token(&router, "analyst-b").await;
    let sub = |webhook: Option<&str>| serde_json::json!({"alerts": ALL_ALERTS, "reports": ["monthly"], "webhook": webhook});
    let r = put_json(
        &router,
        "/api/v1/users/analyst-a/subscriptions",
        &a,
        sub(Some(&hook_url)),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["webhook"], hook_url.as_str());
    let r = put_json(
        &router,
        "/api/v1/users/analyst-b/subscriptions",
        &b,
        sub(None),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // Nobody edits another user's subscriptions but an admin; names are checked.
    let r = put_json(
        &router,
        "/api/v1/users/analyst-a/subscriptions",
        &b,
        sub(None),
    )
    .await;
    assert_eq!(r.status, 403);
    let r = put_json(
        &router,
        "/api/v1/users/analyst-b/subscriptions",
        &b,
        serde_json::json!({"alerts": ["slient"]}),
    )
    .await;
    assert_eq!(
        (r.status.as_u16(), r.json()["param"].as_str()),
        (400, Some("alerts"))
    );
    // quiet-a is subscribed (by the admin) only to `down`.
    let r = put_json(
        &router,
        "/api/v1/users/quiet-a/subscriptions",
        &admin,
        serde_json::json!({"alerts": ["down"], "reports": [], "webhook": null}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = get(&router, "/api/v1/users/analyst-a/subscriptions", &a).await;
    assert_eq!(r.json()["alerts"], serde_json::json!(ALL_ALERTS));

    // The clock: registration was a moment ago (real time); everything else is relative to it.
    let now = chrono::Utc::now().timestamp() as u32 + 7_200;
    // 227 (bo-a) last heard 2 h before `now`: silent over a 1 h threshold. 228 (bo-a) and 300
    // (bo-b) heard a minute ago. 300's http check failed twice: down.
    insert_log(
        &db,
        &[
            beacon("227", now - 7_200, "ok"),
            beacon("228", now - 60, "ok"),
            beacon("300", now - 60, "ok"),
        ],
    )
    .await;
    insert_scan(
        &db,
        "300",
        "bob.gov.vn",
        now - 86_400,
        "http",
        "fail",
        "503",
    )
    .await;
    insert_scan(
        &db,
        "300",
        "bob.gov.vn",
        now - 600,
        "http",
        "error",
        "timeout",
    )
    .await;

    let smtp = SmtpServer::start().await;
    let cfg = NotifyConfig {
        smtp_url: Some(smtp.url()),
        webhook_secret: Some(secret.into()),
        retry: Retry {
            attempts: 2,
            first_backoff_ms: 20,
            timeout_ms: 5_000,
        },
        dashboard_url: "https://emc.gov.vn".into(),
        ..NotifyConfig::default()
    };
    let notifier = Notifier::new(db.clone(), &cfg).unwrap();
    let acfg = AlertConfig {
        silence_secs: 3_600,
        tz: chrono_tz::Asia::Ho_Chi_Minh,
    };

    let e = alerts::evaluate(&notifier, acfg, i64::from(now))
        .await
        .unwrap();
    assert_eq!((e.opened, e.resolved), (2, 0), "{e:?}");
    assert!(e.unreadable.is_empty(), "{e:?}");
    // analyst-a: 227 silent (email + webhook); analyst-b: 300 down; quiet-a: nothing of bo-a is down.
    let mails = smtp.wait_for(2).await;
    let parsed: Vec<(String, String)> = mails
        .iter()
        .map(|raw| {
            let m = mailparse::parse_mail(raw).unwrap();
            (rcpt_to(&m), subject(&m))
        })
        .collect();
    let to_a: Vec<&(String, String)> = parsed
        .iter()
        .filter(|(to, _)| to == "analyst-a@mail.gov.vn")
        .collect();
    let to_b: Vec<&(String, String)> = parsed
        .iter()
        .filter(|(to, _)| to == "analyst-b@mail.gov.vn")
        .collect();
    assert_eq!(parsed.len(), 2, "{parsed:?}");
    assert_eq!(to_a.len(), 1, "{parsed:?}");
    assert!(
        to_a[0].1.contains("Mất kết nối") && to_a[0].1.contains("(227)"),
        "{parsed:?}"
    );
    assert_eq!(to_b.len(), 1, "{parsed:?}");
    assert!(
        to_b[0].1.contains("không truy cập được") && to_b[0].1.contains("(300)"),
        "{parsed:?}"
    );
    let body = mailparse::parse_mail(&mails[0])
        .unwrap()
        .get_body()
        .unwrap();
    assert!(body.contains("https://emc.gov.vn/sites/"), "{body}");
    {
        let got = hooks.received.lock().unwrap();
        assert_eq!(got.len(), 1);
        assert!(got[0].0, "signature verified");
        assert_eq!(
            (
                got[0].1["event"].as_str(),
                got[0].1["rule"].as_str(),
                got[0].1["site"].as_str()
            ),
            (Some("alert.opened"), Some("silent"), Some("227"))
        );
    }

    // Five minutes later, nothing changed: deduplicated, no message.
    let e = alerts::evaluate(&notifier, acfg, i64::from(now + 300))
        .await
        .unwrap();
    assert_eq!((e.opened, e.resolved, e.deliveries), (0, 0, 0), "{e:?}");

    // The API and page show each analyst only their own ministry's alerts.
    let ids = |r: Reply| -> Vec<(String, String, String)> {
        r.json()
            .as_array()
            .unwrap()
            .iter()
            .map(|x| {
                (
                    x["site"].as_str().unwrap().to_owned(),
                    x["rule"].as_str().unwrap().to_owned(),
                    x["state"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    assert_eq!(
        ids(get(&router, "/api/v1/alerts", &a).await),
        [("227".into(), "silent".into(), "open".into())]
    );
    assert_eq!(
        ids(get(&router, "/api/v1/alerts", &b).await),
        [("300".into(), "down".into(), "open".into())]
    );
    assert_eq!(ids(get(&router, "/api/v1/alerts", &admin).await).len(), 2);
    let metrics = get(&router, "/metrics", &admin).await;
    assert!(
        metrics.body.contains("emc_alerts_open{rule=\"silent\"} 1"),
        "{}",
        metrics.body
    );
    assert!(
        metrics.body.contains("emc_alerts_open{rule=\"down\"} 1"),
        "{}",
        metrics.body
    );
    assert!(
        metrics
            .body
            .contains("emc_deliveries_last_24h{channel=\"email\",outcome=\"sent\"} 2"),
        "{}",
        metrics.body
    );

    // 227 is heard again: resolved, and analyst-a gets the recovery (email and webhook).
    insert_log(&db, &[beacon("227", now + 400, "ok")]).await;
    let e = alerts::evaluate(&notifier, acfg, i64::from(now + 600))
        .await
        .unwrap();
    assert_eq!((e.opened, e.resolved), (0, 1), "{e:?}");
    let mails = smtp.wait_for(3).await;
    let m = mailparse::parse_mail(&mails[2]).unwrap();
    assert_eq!(rcpt_to(&m), "analyst-a@mail.gov.vn");
    assert!(
        subject(&m).starts_with("[EMC] Đã khắc phục"),
        "{}",
        subject(&m)
    );
    assert_eq!(
        hooks.received.lock().unwrap()[1].1["event"],
        "alert.resolved"
    );
    assert_eq!(
        ids(get(&router, "/api/v1/alerts", &a).await),
        [("227".into(), "silent".into(), "resolved".into())]
    );
}
