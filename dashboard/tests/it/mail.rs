//! The channels against real receivers: an SMTP server (aiosmtpd) whose Maildir is read back
//! and parsed as MIME, and a webhook receiver that checks signatures; retries and the
//! delivery log.
use crate::mailbox::*;
use emc_dashboard::notify::email::{Attachment, Mail};
use emc_dashboard::notify::log::{self, DeliveryRow};
use emc_dashboard::notify::webhook::Retry;
use emc_dashboard::notify::{Kind, Notifier, NotifyConfig, To};

fn quick_retry(attempts: u32) -> Retry {
    Retry {
        attempts,
        first_backoff_ms: 20,
        timeout_ms: 5_000,
    }
}

async fn deliveries(db: &emc_sql::Db) -> Vec<DeliveryRow> {
    let mut rows = log::recent(db, 100).await.unwrap();
    rows.sort_by(|a, b| a.recipient.cmp(&b.recipient));
    rows
}

#[tokio::test]
async fn mail_email_arrives_as_mime_with_both_parts_and_the_attachment() {
    let db = emc_sql::testing::test_db("mail_email").await;
    let smtp = SmtpServer::start().await;
    let cfg = NotifyConfig {
        smtp_url: Some(smtp.url()),
        mail_from: "EMC <emc@emc.gov.vn>".into(),
        ..NotifyConfig::default()
    };
    let notifier = Notifier::new(db.clone(), &cfg).unwrap();
    let csv = "site,visits\n227,1234\n";
    let mail = Mail {
        subject: "[EMC] Báo cáo tháng 11/2026 — Bộ A".into(),
        text: "Lượt truy cập: 1234".into(),
        html: Some("<p>Lượt truy cập: <b>1234</b></p>".into()),
        attachments: vec![Attachment {
            filename: "bao-cao-2026-11.csv".into(),
            content_type: "text/csv; charset=utf-8".into(),
            bytes: csv.as_bytes().to_vec(),
        }],
    };
    let to = To {
        username: "analyst-a",
        address: "a@bo-a.gov.vn",
    };
    let out = notifier.email(Kind::Report, to, &mail).await;
    assert!(out.delivered, "{out:?}");

    let raw = smtp.wait_for(1).await;
    let m = mailparse::parse_mail(&raw[0]).unwrap();
    assert_eq!(subject(&m), "[EMC] Báo cáo tháng 11/2026 — Bộ A");
    assert_eq!(rcpt_to(&m), "a@bo-a.gov.vn");
    use mailparse::MailHeaderMap;
    assert_eq!(
        m.headers.get_first_value("From").unwrap(),
        "EMC <emc@emc.gov.vn>"
    );
    assert_eq!(m.ctype.mimetype, "multipart/mixed");
    let alt = &m.subparts[0];
    assert_eq!(alt.ctype.mimetype, "multipart/alternative");
    let types: Vec<&str> = alt
        .subparts
        .iter()
        .map(|p| p.ctype.mimetype.as_str())
        .collect();
    assert_eq!(types, ["text/plain", "text/html"]);
    assert_eq!(
        alt.subparts[0].get_body().unwrap().trim(),
        "Lượt truy cập: 1234"
    );
    assert!(alt.subparts[1].get_body().unwrap().contains("<b>1234</b>"));
    let att = &m.subparts[1];
    let disp = att.get_content_disposition();
    assert_eq!(disp.disposition, mailparse::DispositionType::Attachment);
    assert_eq!(disp.params.get("filename").unwrap(), "bao-cao-2026-11.csv");
    assert_eq!(att.get_body_raw().unwrap(), csv.as_bytes());

    let rows = deliveries(&db).await;
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    assert_eq!(
        (
            r.channel.as_str(),
            r.kind.as_str(),
            r.username.as_str(),
            r.outcome.as_str(),
            r.attempts
        ),
        ("email", "report", "analyst-a", "sent", 1)
    );
}

#[tokio::test]
async fn mail_smtp_down_is_retried_then_logged_as_failed() {
    let db = emc_sql::testing::test_db("mail_smtp_down").await;
    // A port nobody listens on.
    let port = emc_sql::server::free_port().unwrap();
    let cfg = NotifyConfig {
        smtp_url: Some(format!("smtp://127.0.0.1:{port}")),
        retry: quick_retry(3),
        ..NotifyConfig::default()
    };
    let notifier = Notifier::new(db.clone(), &cfg).unwrap();
    let mail = Mail {
        subject: "x".into(),
        text: "x".into(),
        ..Mail::default()
    };
    let to = To {
        username: "u",
        address: "u@x.gov.vn",
    };
    let out = notifier.email(Kind::Alert, to, &mail).await;
    assert!(!out.delivered);
    assert_eq!(out.attempts, 3);
    let rows = deliveries(&db).await;
    assert_eq!(
        (rows[0].outcome.as_str(), rows[0].attempts),
        ("failed", 3),
        "{rows:?}"
    );
    assert!(!rows[0].error.is_empty());
}

#[tokio::test]
async fn mail_webhooks_are_signed_retried_and_logged() {
    let db = emc_sql::testing::test_db("mail_webhook").await;
    let secret = "hook-secret-0123456789";
    let (url, hooks) = webhook_receiver(secret).await;
    let cfg = NotifyConfig {
        webhook_secret: Some(secret.into()),
        retry: quick_retry(4),
        ..NotifyConfig::default()
    };
    let notifier = Notifier::new(db.clone(), &cfg).unwrap();
    let payload = serde_json::json!({"event": "alert.opened", "rule": "silent", "site": "227"});
    fn to(address: &str) -> To<'_> {
        To {
            username: "analyst-a",
            address,
        }
    }

    // Two 503s, then accepted: three attempts, one valid delivery.
    *hooks.fail_first.lock().unwrap() = 2;
    let out = notifier.webhook(Kind::Alert, to(&url), "s", &payload).await;
    assert!(out.delivered, "{out:?}");
    assert_eq!(out.attempts, 3);
    {
        let got = hooks.received.lock().unwrap();
        assert_eq!(got.len(), 1);
        assert!(
            got[0].0,
            "the receiver's own HMAC check accepts the signature"
        );
        assert_eq!(got[0].1, payload);
    }

    // Always failing: gives up after four attempts.
    *hooks.fail_first.lock().unwrap() = 100;
    let out = notifier.webhook(Kind::Alert, to(&url), "s", &payload).await;
    assert_eq!((out.delivered, out.attempts), (false, 4));
    *hooks.fail_first.lock().unwrap() = 0;

    // Signed with another secret: the receiver refuses (401), which is final.
    let wrong = Notifier::new(
        db.clone(),
        &NotifyConfig {
            webhook_secret: Some("not-the-secret".into()),
            retry: quick_retry(4),
            ..NotifyConfig::default()
        },
    )
    .unwrap();
    let out = wrong.webhook(Kind::Alert, to(&url), "s", &payload).await;
    assert_eq!((out.delivered, out.attempts), (false, 1));
    assert!(!hooks.received.lock().unwrap()[1].0);

    let mut rows = log::recent(&db, 100).await.unwrap();
    rows.sort_by_key(|r| (r.attempts, r.outcome.clone()));
    let seen: Vec<(&str, u8)> = rows
        .iter()
        .map(|r| (r.outcome.as_str(), r.attempts))
        .collect();
    assert_eq!(seen, [("failed", 1), ("sent", 3), ("failed", 4)]);
    assert!(rows
        .iter()
        .all(|r| r.channel == "webhook" && r.recipient == url));
    assert_eq!(rows[0].error, "HTTP 401");
    assert_eq!(rows[2].error, "HTTP 503");
}
