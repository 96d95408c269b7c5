//! Per-site overrides of the alert rules: `GET|PUT /api/v1/sites/{code}/alert-rules` in and
//! out of scope, and an override changing when a `silent` alert opens and how soon it is
//! announced again (cooldown), with a chosen clock, a real ClickHouse and a real SMTP server.
use crate::alerts::{beacon, insert_log, put_json};
use crate::mailbox::*;
use crate::support::*;
use emc_dashboard::alerts::{self, AlertConfig};
use emc_dashboard::notify::{Notifier, NotifyConfig};

#[tokio::test]
async fn an_override_changes_when_an_alert_opens_and_is_scoped() {
    let db = emc_sql::testing::test_db("alert_rules").await;
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
        let sub = serde_json::json!({"alerts": ["silent"], "reports": [], "webhook": null});
        let r = put_json(
            &router,
            &format!("/api/v1/users/{name}/subscriptions"),
            &admin,
            sub,
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let a = api_token(&router, "analyst-a").await;
    let b = api_token(&router, "analyst-b").await;
    let uri = "/api/v1/sites/227/alert-rules";

    // Nothing overridden yet: every field null; the defaults say 12 h of cooldown.
    let r = get(&router, uri, &a).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let j = r.json();
    assert_eq!(
        j["rules"]["silent"],
        serde_json::json!({"enabled": null, "threshold": null, "floor": null, "cooldown": null})
    );
    assert_eq!(j["defaults"]["silent"]["cooldown"], 12 * 3600);
    assert_eq!(j["defaults"]["broken_tag"]["threshold"], 0.2);
    assert_eq!(j["rules"].as_object().unwrap().len(), 7);

    // Scope: analyst-b (bo-b) may neither read nor change 227 (bo-a); an unknown site is 404.
    let set = serde_json::json!({"rules": {"silent": {"threshold": 900, "cooldown": 600}}});
    assert_eq!(get(&router, uri, &b).await.status, 403);
    assert_eq!(put_json(&router, uri, &b, set.clone()).await.status, 403);
    assert_eq!(
        get(&router, "/api/v1/sites/999/alert-rules", &a)
            .await
            .status,
        404
    );
    let r = put_json(
        &router,
        uri,
        &a,
        serde_json::json!({"rules": {"broken_tag": {"threshold": 2}}}),
    )
    .await;
    assert_eq!(
        (r.status.as_u16(), r.json()["param"].as_str()),
        (400, Some("rules"))
    );
    assert!(r.body.contains("rules.broken_tag.threshold"), "{}", r.body);

    // The clock: everything relative to `now`, two hours after the sites were registered.
    // 227 last heard 30 min before `now`; 228 and 300 a minute before.
    let now = chrono::Utc::now().timestamp() as u32 + 7_200;
    insert_log(
        &db,
        &[
            beacon("227", now - 1_800, "ok"),
            beacon("228", now - 60, "ok"),
            beacon("300", now - 60, "ok"),
        ],
    )
    .await;
    let smtp = SmtpServer::start().await;
    let cfg = NotifyConfig {
        smtp_url: Some(smtp.url()),
        dashboard_url: "https://emc.gov.vn".into(),
        ..NotifyConfig::default()
    };
    let notifier = Notifier::new(db.clone(), &cfg).unwrap();
    let acfg = AlertConfig {
        silence_secs: 3_600,
        tz: chrono_tz::Asia::Ho_Chi_Minh,
    };
    // Default threshold (1 h): 30 min of quiet is not silent.
    let e = alerts::evaluate(&notifier, acfg, i64::from(now))
        .await
        .unwrap();
    assert_eq!((e.opened, e.deliveries), (0, 0), "{e:?}");

    // analyst-a lowers 227's threshold to 15 min and its cooldown to 10 min.
    let r = put_json(&router, uri, &a, set).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["rules"]["silent"]["threshold"], 900.0);
    assert_eq!(
        r.json()["rules"]["down"]["threshold"],
        serde_json::Value::Null
    );
    let r = get(&router, uri, &admin).await;
    assert_eq!(r.json()["rules"]["silent"]["cooldown"], 600);

    // Same instant, same facts: 30 min > 15 min, so 227 is silent now; analyst-a is told.
    let e = alerts::evaluate(&notifier, acfg, i64::from(now))
        .await
        .unwrap();
    assert_eq!((e.opened, e.deliveries), (1, 1), "{e:?}");
    let mails = smtp.wait_for(1).await;
    let m = mailparse::parse_mail(&mails[0]).unwrap();
    assert_eq!(rcpt_to(&m), "analyst-a@mail.gov.vn");
    assert!(subject(&m).contains("(227)"), "{}", subject(&m));

    // Heard again (recovery), then quiet for 15 min + 1 s: it reopens 1 001 s after the first
    // message, past the 10-minute cooldown (the default 12 h would keep it quiet), so it is
    // announced again.
    insert_log(&db, &[beacon("227", now + 100, "ok")]).await;
    let e = alerts::evaluate(&notifier, acfg, i64::from(now + 200))
        .await
        .unwrap();
    assert_eq!((e.resolved, e.deliveries), (1, 1), "{e:?}");
    let e = alerts::evaluate(&notifier, acfg, i64::from(now + 1_001))
        .await
        .unwrap();
    assert_eq!((e.opened, e.deliveries), (1, 1), "{e:?}");
    let mails = smtp.wait_for(3).await;
    let subjects: Vec<String> = mails
        .iter()
        .map(|raw| subject(&mailparse::parse_mail(raw).unwrap()))
        .collect();
    assert!(
        subjects[1].starts_with("[EMC] Đã khắc phục"),
        "{subjects:?}"
    );
    assert!(
        subjects[2].contains("Mất kết nối") && subjects[2].contains("(227)"),
        "{subjects:?}"
    );
    // Nothing about 227 ever reached analyst-b.
    assert!(mails
        .iter()
        .all(|raw| rcpt_to(&mailparse::parse_mail(raw).unwrap()) == "analyst-a@mail.gov.vn"));

    // Back to the defaults (an empty set): the same quiet is not silent any more.
    let r = put_json(&router, uri, &a, serde_json::json!({"rules": {}})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let e = alerts::evaluate(&notifier, acfg, i64::from(now + 1_100))
        .await
        .unwrap();
    assert_eq!(e.resolved, 1, "{e:?}");
}
