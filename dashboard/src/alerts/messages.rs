//! What an alert says: the email (Vietnamese first, then English) and the webhook's JSON.
use super::rules::Rule;
use super::state::{AlertRow, Send};
use crate::notify::email::Mail;
use chrono_tz::Tz;
use emc_sql::registry::SiteRow;

fn when(ts: u32, tz: Tz) -> String {
    chrono::DateTime::from_timestamp(i64::from(ts), 0)
        .map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M %Z").to_string())
        .unwrap_or_default()
}

fn rfc3339(ts: u32) -> Option<String> {
    (ts != 0)
        .then(|| chrono::DateTime::from_timestamp(i64::from(ts), 0).map(|t| t.to_rfc3339()))
        .flatten()
}

/// The email of an opening or a recovery.
pub fn mail(a: &AlertRow, rule: Rule, site: &SiteRow, send: Send, base: &str, tz: Tz) -> Mail {
    let link = format!("{base}/sites/{}", site.code);
    let domains = site.domains.join(", ");
    let (subject, text) = if send == Send::Recovered {
        (
            format!(
                "[EMC] Đã khắc phục: {} — {} ({})",
                rule.label_vi(),
                site.name,
                site.code
            ),
            format!(
                "Cảnh báo «{}» của trang {} ({}, mã {}) đã được khắc phục lúc {}.\n\
                 Bắt đầu: {}.\n\nChi tiết: {link}\n\n---\n\
                 Resolved: {} on {} ({}, code {}) at {}; opened {}.\n{link}\n",
                rule.label_vi(),
                site.name,
                domains,
                site.code,
                when(a.resolved_at, tz),
                when(a.opened_at, tz),
                rule.label_en(),
                site.name,
                domains,
                site.code,
                when(a.resolved_at, tz),
                when(a.opened_at, tz),
            ),
        )
    } else {
        (
            format!("[EMC] Cảnh báo: {} — {} ({})", rule.label_vi(), site.name, site.code),
            format!(
                "Cảnh báo «{}» cho trang {} ({}, mã {}) từ {}.\n{}\n\nChi tiết: {link}\n\
                 Bạn nhận thư này vì đã đăng ký cảnh báo «{}»; mỗi quy tắc và trang gửi tối đa một thư mỗi 12 giờ.\n\n---\n\
                 Alert: {} on {} ({}, code {}) since {}.\n{}\n{link}\n",
                rule.label_vi(),
                site.name,
                domains,
                site.code,
                when(a.opened_at, tz),
                a.detail,
                rule.key(),
                rule.label_en(),
                site.name,
                domains,
                site.code,
                when(a.opened_at, tz),
                a.detail,
            ),
        )
    };
    Mail {
        subject,
        text,
        html: None,
        attachments: vec![],
    }
}

/// The webhook body: `{"event":"alert.opened"|"alert.resolved", "id", "rule", "site", …}`.
pub fn payload(a: &AlertRow, site: &SiteRow, send: Send, base: &str) -> serde_json::Value {
    serde_json::json!({
        "event": if send == Send::Recovered { "alert.resolved" } else { "alert.opened" },
        "id": a.id,
        "rule": a.rule,
        "site": site.code,
        "site_name": site.name,
        "domains": site.domains,
        "agency": site.agency,
        "opened_at": rfc3339(a.opened_at),
        "resolved_at": rfc3339(a.resolved_at),
        "detail": a.detail,
        "url": format!("{base}/sites/{}", site.code),
    })
}
