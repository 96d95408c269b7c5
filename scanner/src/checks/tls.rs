//! `tls_valid`, `tls_expiry_days`: the certificate the domain presents on port 443.
use super::CheckResult;
use crate::net::tls::CertFacts;
use emc_sql::scan::Check;

/// Fewer days than this before expiry fail `tls_expiry_days`.
pub const EXPIRY_MIN_DAYS: i64 = 14;

pub fn checks(facts: &Result<CertFacts, String>, now: i64) -> [CheckResult; 2] {
    match facts {
        Err(e) => [
            CheckResult::fail(Check::TlsValid, "", format!("no HTTPS: {e}")),
            CheckResult::na(Check::TlsExpiryDays, format!("no certificate: {e}")),
        ],
        Ok(f) => {
            let valid = match &f.verdict {
                Ok(()) => {
                    CheckResult::pass(Check::TlsValid, "valid", format!("issuer {}", f.issuer))
                }
                Err(why) => CheckResult::fail(Check::TlsValid, "invalid", why.clone()),
            };
            let expiry = match f.not_after {
                Some(t) => {
                    let days = (t - now).div_euclid(86_400);
                    CheckResult::verdict(
                        Check::TlsExpiryDays,
                        days >= EXPIRY_MIN_DAYS,
                        days.to_string(),
                        format!(
                            "expires {} (at least {EXPIRY_MIN_DAYS} days asked)",
                            chrono::DateTime::from_timestamp(t, 0)
                                .map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string())
                                .unwrap_or_default()
                        ),
                    )
                }
                None => CheckResult::error(Check::TlsExpiryDays, "certificate dates unreadable"),
            };
            [valid, expiry]
        }
    }
}
