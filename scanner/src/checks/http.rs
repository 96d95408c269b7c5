//! `http`, `https_redirect`, `hsts`, `security_headers`: what the homepage answers.
use super::CheckResult;
use crate::net::{Chain, Response};
use emc_sql::scan::Check;

/// HSTS must last at least this long (180 days), as the common guidance asks.
pub const HSTS_MIN_AGE: u64 = 15_552_000;

/// `http`: the homepage as a visitor reaches it (`https://` first, else `http://`).
pub fn http(secure: &Chain, plain: &Chain) -> CheckResult {
    let chain = if secure.page().is_some() {
        secure
    } else {
        plain
    };
    match chain.page() {
        Some(page) => CheckResult::verdict(
            Check::Http,
            (200..300).contains(&page.status),
            page.status.to_string(),
            hops(chain),
        ),
        None => {
            let why = |c: &Chain| c.error.as_ref().map(|e| e.to_string()).unwrap_or_default();
            CheckResult::fail(
                Check::Http,
                "",
                format!("https://: {}; http://: {}", why(secure), why(plain)),
            )
        }
    }
}

fn hops(chain: &Chain) -> String {
    chain
        .hops
        .iter()
        .map(|r| format!("{} {}", r.url, r.status))
        .collect::<Vec<_>>()
        .join(" → ")
}

/// `https_redirect`: `http://` ends on an `https://` page. No port 80 at all while HTTPS
/// works is fine (n/a): nobody can be served the page in clear.
pub fn https_redirect(secure: &Chain, plain: &Chain) -> CheckResult {
    let c = Check::HttpsRedirect;
    match (plain.hops.first(), plain.page()) {
        (None, _) if secure.page().is_some() => CheckResult::na(
            c,
            format!(
                "http:// not served ({})",
                plain.error.as_ref().map(|e| e.0.as_str()).unwrap_or("")
            ),
        ),
        (None, _) => CheckResult::fail(
            c,
            "",
            format!(
                "neither http:// nor https:// answers: {}",
                plain.error.as_ref().map(|e| e.0.as_str()).unwrap_or("")
            ),
        ),
        (Some(_), Some(last)) => CheckResult::verdict(
            c,
            last.url.scheme() == "https" && plain.hops.len() > 1,
            last.url.to_string(),
            hops(plain),
        ),
        (Some(_), None) => CheckResult::fail(
            c,
            "",
            format!(
                "{} then {}",
                hops(plain),
                plain.error.as_ref().map(|e| e.0.as_str()).unwrap_or("")
            ),
        ),
    }
}

/// `max-age` of a Strict-Transport-Security value.
pub fn hsts_max_age(value: &str) -> Option<u64> {
    value.split(';').find_map(|part| {
        let (k, v) = part.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("max-age")
            .then(|| v.trim().trim_matches('"').parse().ok())
            .flatten()
    })
}

/// `hsts`: the HTTPS homepage sends Strict-Transport-Security with a long enough max-age.
pub fn hsts(secure: &Chain) -> CheckResult {
    let c = Check::Hsts;
    let Some(page) = secure.page() else {
        return CheckResult::fail(c, "", "no HTTPS homepage");
    };
    match page.header("strict-transport-security") {
        None => CheckResult::fail(c, "", "no Strict-Transport-Security header"),
        Some(v) => match hsts_max_age(v) {
            Some(age) => CheckResult::verdict(
                c,
                age >= HSTS_MIN_AGE,
                age.to_string(),
                format!("max-age {age} s (at least {HSTS_MIN_AGE} s asked)"),
            ),
            None => CheckResult::fail(c, "", format!("no max-age in {v:?}")),
        },
    }
}

/// `security_headers`: CSP, frame-ancestors (in the CSP) or X-Frame-Options,
/// X-Content-Type-Options: nosniff, Referrer-Policy.
pub fn security_headers(page: Option<&Response>) -> CheckResult {
    let c = Check::SecurityHeaders;
    let Some(page) = page else {
        return CheckResult::error(c, "homepage not fetched");
    };
    let csp = page.header("content-security-policy");
    let wanted = [
        ("Content-Security-Policy", csp.is_some()),
        (
            "frame-ancestors or X-Frame-Options",
            csp.is_some_and(|v| v.to_ascii_lowercase().contains("frame-ancestors"))
                || page.header("x-frame-options").is_some(),
        ),
        (
            "X-Content-Type-Options: nosniff",
            page.header("x-content-type-options")
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("nosniff")),
        ),
        ("Referrer-Policy", page.header("referrer-policy").is_some()),
    ];
    let missing: Vec<&str> = wanted.iter().filter(|w| !w.1).map(|w| w.0).collect();
    CheckResult::verdict(
        c,
        missing.is_empty(),
        format!("{}/4", 4 - missing.len()),
        if missing.is_empty() {
            String::new()
        } else {
            format!("missing: {}", missing.join(", "))
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hsts_max_age_is_read_from_any_position() {
        assert_eq!(
            hsts_max_age("max-age=31536000; includeSubDomains"),
            Some(31536000)
        );
        assert_eq!(hsts_max_age("includeSubDomains; Max-Age=\"10\""), Some(10));
        assert_eq!(hsts_max_age("includeSubDomains"), None);
    }
}
