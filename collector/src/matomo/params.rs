//! One parser per Matomo parameter that needs more than "take the text".
//! Each returns a [`DecodeError`] naming the parameter.
use crate::beacon::DecodeError;
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use std::collections::HashMap;

/// Largest accepted `pf_*` value: an hour, in milliseconds.
pub const MAX_PF_MS: u32 = 3_600_000;

pub(crate) use crate::beacon::fail;

/// The parameters of one request; a repeated name keeps its last value (as PHP's `$_GET`).
#[derive(Debug, Default, Clone)]
pub struct Params(HashMap<String, String>);

impl Params {
    pub fn parse(query: &str) -> Params {
        let mut p = Params::default();
        p.extend(query);
        p
    }

    /// Adds the pairs of an `application/x-www-form-urlencoded` string.
    pub fn extend(&mut self, query: &str) {
        let query = query.trim_start_matches('?');
        for (k, v) in form_urlencoded::parse(query.as_bytes()) {
            self.0.insert(k.into_owned(), v.into_owned());
        }
    }

    /// The value, `None` when absent or empty (Matomo treats both alike).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// `res=1280x1024` → 1280. Both sides 1..=65535.
pub fn screen_width(res: &str) -> Result<u16, DecodeError> {
    let bad = || {
        fail(
            "res",
            format!("{res:?}: expected WIDTHxHEIGHT, each 1-65535"),
        )
    };
    let (w, h) = res.split_once(['x', 'X']).ok_or_else(bad)?;
    let w: u16 = w.trim().parse().map_err(|_| bad())?;
    let h: u16 = h.trim().parse().map_err(|_| bad())?;
    if w == 0 || h == 0 {
        return Err(bad());
    }
    Ok(w)
}

/// A `pf_*` timing: an integer number of milliseconds, 0..=MAX_PF_MS.
pub fn pf(name: &str, value: &str) -> Result<u32, DecodeError> {
    match value.trim().parse::<u32>() {
        Ok(v) if v <= MAX_PF_MS => Ok(v),
        _ => Err(fail(
            name,
            format!("{value:?}: expected whole milliseconds, 0-{MAX_PF_MS}"),
        )),
    }
}

/// `e_v`: a finite number (Matomo stores a float).
pub fn event_value(value: &str) -> Result<String, DecodeError> {
    match value.trim().parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(value.trim().to_owned()),
        _ => Err(fail("e_v", format!("{value:?}: expected a number"))),
    }
}

/// `cdt`: a Unix timestamp (seconds, a fraction allowed) or `YYYY-MM-DD HH:MM:SS` in UTC,
/// as Matomo accepts; between 2000-01-01 and `now`.
pub fn custom_time(value: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, DecodeError> {
    let bad = |why: &str| fail("cdt", format!("{value:?}: {why}"));
    let v = value.trim();
    let t = if let Ok(secs) = v.parse::<f64>() {
        if !secs.is_finite() || secs < 0.0 || secs > f64::from(u32::MAX) {
            return Err(bad("out of range"));
        }
        Utc.timestamp_millis_opt((secs * 1000.0) as i64)
            .single()
            .ok_or_else(|| bad("out of range"))?
    } else {
        NaiveDateTime::parse_from_str(v, "%Y-%m-%d %H:%M:%S")
            .map_err(|_| bad("expected a Unix timestamp or YYYY-MM-DD HH:MM:SS (UTC)"))?
            .and_utc()
    };
    let floor = Utc
        .with_ymd_and_hms(2000, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default();
    if t < floor {
        return Err(bad("before 2000-01-01"));
    }
    if t > now + chrono::Duration::minutes(10) {
        return Err(bad("in the future"));
    }
    Ok(t.min(now))
}

/// `cvar` / `_cvar`: `{"1":["name","value"],…}`. Malformed JSON is an error; entries that
/// are not a pair of strings are skipped (Matomo ignores them too).
pub fn custom_vars(field: &str, value: &str) -> Result<Vec<(String, String)>, DecodeError> {
    let map: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(value).map_err(|e| {
            fail(
                field,
                format!("expected {{\"1\":[\"name\",\"value\"]}}: {e}"),
            )
        })?;
    Ok(map
        .into_iter()
        .filter_map(|(_, pair)| match pair.as_array().map(Vec::as_slice) {
            Some([serde_json::Value::String(k), serde_json::Value::String(v)]) => {
                Some((k.clone(), v.clone()))
            }
            _ => None,
        })
        .collect())
}

/// Text without control characters, at most `max` characters.
pub fn clean(value: &str, max: usize) -> String {
    value
        .chars()
        .filter(|c| !c.is_control())
        .take(max)
        .collect()
}

/// `a == b` in time independent of where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn res() {
        let cases: &[(&str, Option<u16>)] = &[
            ("1280x1024", Some(1280)),
            ("375X812", Some(375)),
            ("65535x1", Some(65535)),
            ("65536x1", None),
            ("0x768", None),
            ("1280", None),
            ("-1x5", None),
            ("widexhigh", None),
            ("1280x", None),
        ];
        for (input, want) in cases {
            assert_eq!(screen_width(input).ok(), *want, "{input}");
            if let Err(e) = screen_width(input) {
                assert_eq!(e.field, "res");
            }
        }
    }

    #[test]
    fn pf_values() {
        let cases: &[(&str, Option<u32>)] = &[
            ("0", Some(0)),
            ("120", Some(120)),
            (" 7 ", Some(7)),
            ("3600000", Some(3_600_000)),
            ("3600001", None),
            ("-1", None),
            ("1.5", None),
            ("abc", None),
            ("99999999999", None),
        ];
        for (input, want) in cases {
            assert_eq!(pf("pf_net", input).ok(), *want, "{input}");
        }
        assert_eq!(pf("pf_dm2", "x").unwrap_err().field, "pf_dm2");
    }

    #[test]
    fn event_values() {
        for ok in ["1", "-2.5", "1e3", " 4 "] {
            assert!(event_value(ok).is_ok(), "{ok}");
        }
        for bad in ["abc", "NaN", "inf", "1,5"] {
            assert_eq!(event_value(bad).unwrap_err().field, "e_v", "{bad}");
        }
    }

    #[test]
    fn cdt_forms_and_bounds() {
        let now = Utc.with_ymd_and_hms(2026, 3, 1, 8, 0, 0).unwrap();
        let at = |s: &str| custom_time(s, now).map(|t| t.to_rfc3339());
        assert_eq!(at("1772000000").unwrap(), "2026-02-25T06:13:20+00:00");
        assert_eq!(at("1772000000.5").unwrap(), "2026-02-25T06:13:20.500+00:00");
        assert_eq!(
            at("2026-02-01 10:00:00").unwrap(),
            "2026-02-01T10:00:00+00:00"
        );
        assert_eq!(
            at("2026-03-01 08:05:00").unwrap(),
            "2026-03-01T08:00:00+00:00",
            "a clock a little ahead is clamped to now"
        );
        for bad in [
            "2026-03-02 00:00:00",
            "1999-12-31 23:59:59",
            "-5",
            "yesterday",
            "2026-02-30 10:00:00",
            "1e20",
            "",
        ] {
            assert_eq!(custom_time(bad, now).unwrap_err().field, "cdt", "{bad}");
        }
    }

    #[test]
    fn cvars() {
        let got = custom_vars(
            "cvar",
            r#"{"1":["dvc","D1;05032024;Tên;123"],"2":["x",5],"3":"y"}"#,
        )
        .unwrap();
        assert_eq!(
            got,
            vec![("dvc".to_owned(), "D1;05032024;Tên;123".to_owned())]
        );
        assert_eq!(custom_vars("_cvar", "[").unwrap_err().field, "_cvar");
        assert_eq!(custom_vars("cvar", "[1]").unwrap_err().field, "cvar");
    }

    #[test]
    fn params_keep_the_last_value_and_treat_empty_as_absent() {
        let p = Params::parse("?idsite=1&url=https%3A%2F%2Fa.gov.vn%2F&idsite=2&urlref=");
        assert_eq!(p.get("idsite"), Some("2"));
        assert_eq!(p.get("url"), Some("https://a.gov.vn/"));
        assert_eq!(p.get("urlref"), None);
    }

    #[test]
    fn secrets() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "abcd"));
    }
}
