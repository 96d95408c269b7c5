//! The JSON beacon of `POST /api/event` (CONTRACT.md) and its decoding.
//! A decode error names the field at fault (`screen_width: invalid type …`).
use serde::Deserialize;
use std::collections::BTreeMap;

pub const MAX_PROPS: usize = 30;
pub const MAX_PROP_KEY: usize = 128;
pub const MAX_PROP_VALUE: usize = 1024;

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Beacon {
    pub site: SiteCode,
    pub name: String,
    pub url: String,
    #[serde(default)]
    pub referrer: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub screen_width: Option<u16>,
    #[serde(default)]
    pub engaged_ms: Option<u32>,
    #[serde(default)]
    pub timing: Timing,
    #[serde(default)]
    pub meta: Meta,
    #[serde(default)]
    pub props: BTreeMap<String, PropValue>,
}

/// Site codes arrive as strings, or as numbers from legacy snippets (`setSiteId(227)`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum SiteCode {
    Text(String),
    Number(u64),
    #[default]
    Missing,
}

impl SiteCode {
    pub fn into_string(self) -> String {
        match self {
            SiteCode::Text(s) => s,
            SiteCode::Number(n) => n.to_string(),
            SiteCode::Missing => String::new(),
        }
    }
}

/// Timings in milliseconds (CONTRACT.md). Absent = not measured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub struct Timing {
    pub ttfb: Option<u32>,
    pub fcp: Option<u32>,
    pub lcp: Option<u32>,
    pub load: Option<u32>,
    pub response: Option<u32>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Meta {
    #[serde(default)]
    pub emc_label: Option<bool>,
    #[serde(default)]
    pub dc: Vec<String>,
}

/// Property values: strings, or numbers and booleans that are stored as their text.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum PropValue {
    Text(String),
    Number(serde_json::Number),
    Bool(bool),
    Null(()),
}

impl PropValue {
    pub fn into_text(self) -> String {
        match self {
            PropValue::Text(s) => s,
            PropValue::Number(n) => n.to_string(),
            PropValue::Bool(b) => b.to_string(),
            PropValue::Null(()) => String::new(),
        }
    }
}

/// Why a beacon body could not be decoded. `field` names where it failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct DecodeError {
    pub field: String,
    pub message: String,
}

/// The 15 Dublin Core elements of Circular 22/2023 Appendix IV.
pub const DC_ELEMENTS: [&str; 15] = [
    "Title",
    "Creator",
    "Subject",
    "Description",
    "Publisher",
    "Contributor",
    "Date",
    "Type",
    "Format",
    "Identifier",
    "Source",
    "Language",
    "Relation",
    "Coverage",
    "Rights",
];

pub fn decode(body: &[u8]) -> Result<Beacon, DecodeError> {
    // The plain decoder first: tracking the path costs on every beacon, and only a beacon
    // that fails needs it (profiled: 3-5 % of the collector's CPU). The same decoder then
    // runs again with the path tracked, so the error is exactly what it was.
    let de = &mut serde_json::Deserializer::from_slice(body);
    match Beacon::deserialize(&mut *de).and_then(|b| de.end().map(|()| b)) {
        Ok(beacon) => check(beacon),
        Err(_) => decode_slow(body),
    }
}

/// The decoder that names the field at fault.
fn decode_slow(body: &[u8]) -> Result<Beacon, DecodeError> {
    let de = &mut serde_json::Deserializer::from_slice(body);
    let beacon: Beacon = serde_path_to_error::deserialize(&mut *de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let field = if path == "." || path == "?" || path.is_empty() {
            missing_field(&inner.to_string()).unwrap_or_else(|| "body".into())
        } else {
            path
        };
        DecodeError {
            field,
            message: inner.to_string(),
        }
    })?;
    // One JSON value and nothing after it but whitespace (`{…} x` was accepted before).
    de.end().map_err(|e| fail("body", e.to_string()))?;
    check(beacon)
}

fn missing_field(msg: &str) -> Option<String> {
    let rest = msg.strip_prefix("missing field `")?;
    Some(rest.split('`').next()?.to_owned())
}

pub(crate) fn fail(field: &str, message: impl Into<String>) -> DecodeError {
    DecodeError {
        field: field.into(),
        message: message.into(),
    }
}

/// Rules serde cannot express: non-empty required fields, bounded sizes, known DC names.
fn check(mut b: Beacon) -> Result<Beacon, DecodeError> {
    let site = std::mem::take(&mut b.site).into_string();
    if site.is_empty() || site.len() > 64 {
        return Err(fail("site", "required, 1-64 characters"));
    }
    b.site = SiteCode::Text(site);
    let name_ok = !b.name.is_empty() && b.name.len() <= 64 && !b.name.chars().any(char::is_control);
    if !name_ok {
        return Err(fail(
            "name",
            "required, 1-64 characters without control characters",
        ));
    }
    if b.url.is_empty() {
        return Err(fail("url", "required"));
    }
    if b.props.len() > MAX_PROPS {
        return Err(fail("props", format!("at most {MAX_PROPS} properties")));
    }
    if let Some(k) = b
        .props
        .keys()
        .find(|k| k.is_empty() || k.len() > MAX_PROP_KEY)
    {
        return Err(fail(
            &format!("props.{k}"),
            format!("keys are 1-{MAX_PROP_KEY} bytes"),
        ));
    }
    // The tag sends element names as the page writes them (`dc.creator`, `DC.Date.Issued` → "Date").
    b.meta.dc = b
        .meta
        .dc
        .iter()
        .filter_map(|e| {
            DC_ELEMENTS
                .iter()
                .find(|k| k.eq_ignore_ascii_case(e.trim()))
                .map(|k| (*k).to_owned())
        })
        .collect();
    b.meta.dc.sort_unstable();
    b.meta.dc.dedup();
    Ok(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_contract_example_decodes() {
        let body = br#"{"site":"CODE","name":"pageview","url":"https://portal.gov.vn/a?utm_source=x","referrer":"https://www.google.com/","title":"t","screen_width":1280,"timing":{"ttfb":120,"fcp":900,"lcp":1800,"load":2500,"response":80},"meta":{"emc_label":true,"dc":["Title","Creator","Date","Publisher","Description","Identifier"]},"props":{"key":"value"}}"#;
        let b = decode(body).unwrap();
        assert_eq!(b.site, SiteCode::Text("CODE".into()));
        assert_eq!(b.timing.lcp, Some(1800));
        assert_eq!(b.meta.dc.len(), 6);
        assert_eq!(b.props["key"], PropValue::Text("value".into()));
    }

    #[test]
    fn errors_name_the_field() {
        let cases: &[(&[u8], &str)] = &[
            (br#"{"name":"pageview","url":"https://a"}"#, "site"),
            (br#"{"site":"1","url":"https://a"}"#, "name"),
            (br#"{"site":"1","name":"pageview"}"#, "url"),
            (
                br#"{"site":"1","name":"pageview","url":"https://a","screen_width":"wide"}"#,
                "screen_width",
            ),
            (
                br#"{"site":"1","name":"pageview","url":"https://a","timing":{"fcp":-3}}"#,
                "timing.fcp",
            ),
            (
                br#"{"site":"1","name":"pageview","url":"https://a","props":{"a":{"b":1}}}"#,
                "props.a",
            ),
            (
                br#"{"site":"","name":"pageview","url":"https://a"}"#,
                "site",
            ),
            (br#"{"site":"1","name":"","url":"https://a"}"#, "name"),
            (br#"not json"#, "body"),
            (
                b"{\"site\":\"1\",\"name\":\"pageview\",\"url\":\"https://a\"} x",
                "body",
            ),
            (
                b"{\"site\":\"1\",\"name\":\"pageview\",\"url\":\"https://a\"}{}",
                "body",
            ),
        ];
        for (body, field) in cases {
            let err = decode(body).unwrap_err();
            assert_eq!(
                err.field,
                *field,
                "{}: {err}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn numeric_site_codes_and_loose_props_are_accepted() {
        let b = decode(br#"{"site":227,"name":"x","url":"https://a","props":{"n":3,"b":true},"meta":{"dc":["Title","Bogus","title","creator"]}}"#).unwrap();
        assert_eq!(b.site.into_string(), "227");
        assert_eq!(b.props["n"].clone().into_text(), "3");
        assert_eq!(b.meta.dc, vec!["Creator", "Title"]);
        assert!(
            decode(b"{\"site\":\"1\",\"name\":\"x\",\"url\":\"https://a\"}\r\n ").is_ok(),
            "trailing whitespace is fine"
        );
    }
}
