//! Matomo bulk tracking: `POST {"requests":["?idsite=1&rec=1&url=…",…],"token_auth":"…"}`.
use super::params::fail;
use crate::beacon::DecodeError;
use serde::Deserialize;

/// Most requests in one bulk body.
pub const MAX_REQUESTS: usize = 1000;

#[derive(Debug, PartialEq, Eq)]
pub struct Bulk {
    /// Query strings, each as sent (`?` prefix, or a whole URL, or bare pairs).
    pub requests: Vec<String>,
    pub token_auth: Option<String>,
}

#[derive(Deserialize)]
struct Wire {
    requests: Option<Vec<serde_json::Value>>,
    #[serde(default)]
    token_auth: Option<String>,
}

/// Whether a POST body is a bulk body rather than form parameters.
pub fn is_bulk(body: &[u8]) -> bool {
    body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

pub fn parse(body: &[u8]) -> Result<Bulk, DecodeError> {
    let wire: Wire = serde_json::from_slice(body)
        .map_err(|e| fail("requests", format!("bulk body is not valid JSON: {e}")))?;
    let raw = wire
        .requests
        .ok_or_else(|| fail("requests", "required: an array of query strings"))?;
    if raw.is_empty() || raw.len() > MAX_REQUESTS {
        return Err(fail("requests", format!("1-{MAX_REQUESTS} requests")));
    }
    let requests = raw
        .into_iter()
        .enumerate()
        .map(|(i, v)| match v {
            serde_json::Value::String(s) => Ok(query_part(&s).to_owned()),
            _ => Err(fail(&format!("requests[{i}]"), "expected a query string")),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Bulk {
        requests,
        token_auth: wire.token_auth.filter(|t| !t.is_empty()),
    })
}

/// `https://host/matomo.php?a=1` and `?a=1` → `a=1`.
fn query_part(s: &str) -> &str {
    s.split_once('?').map_or(s, |(_, q)| q)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies() {
        let ok = parse(br#"{"requests":["?idsite=1&rec=1","https://x/matomo.php?idsite=2","idsite=3"],"token_auth":"t"}"#).unwrap();
        assert_eq!(ok.requests, vec!["idsite=1&rec=1", "idsite=2", "idsite=3"]);
        assert_eq!(ok.token_auth.as_deref(), Some("t"));
        assert_eq!(
            parse(br#"{"requests":["?a=1"],"token_auth":""}"#)
                .unwrap()
                .token_auth,
            None
        );
        let many = format!(
            r#"{{"requests":[{}]}}"#,
            vec!["\"?a=1\""; MAX_REQUESTS + 1].join(",")
        );
        let cases: &[(&[u8], &str)] = &[
            (b"{", "requests"),
            (br#"{"request":["?a=1"]}"#, "requests"),
            (br#"{"requests":[]}"#, "requests"),
            (br#"{"requests":"?a=1"}"#, "requests"),
            (br#"{"requests":["?a=1",5]}"#, "requests[1]"),
            (many.as_bytes(), "requests"),
        ];
        for (body, field) in cases {
            assert_eq!(
                parse(body).unwrap_err().field,
                *field,
                "{}",
                String::from_utf8_lossy(&body[..body.len().min(60)])
            );
        }
    }

    #[test]
    fn bulk_or_form() {
        assert!(is_bulk(b"  {\"requests\":[]}"));
        assert!(!is_bulk(b"idsite=1&rec=1"));
        assert!(!is_bulk(b""));
    }
}
