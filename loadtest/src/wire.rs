//! What goes on the wire for one hit: the JSON beacon of `POST /api/event` (what the EMC tag
//! sends with `sendBeacon`), or a Matomo tracking API request (`GET /tracking?idsite=…`, what
//! the tag deployed on portals today sends).
use crate::model::{HitSpec, Kind, RUN_PROP};
use bytes::Bytes;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// `POST /api/event`, the JSON beacon, as `text/plain` (no CORS preflight).
    Json,
    /// `GET /tracking?idsite=…&rec=1…`, the Matomo tracking HTTP API.
    Matomo,
}

impl Protocol {
    /// Statuses that mean "accepted".
    pub fn accepted(self, status: u16) -> bool {
        match self {
            Protocol::Json => status == 202,
            Protocol::Matomo => matches!(status, 200 | 202 | 204),
        }
    }
}

/// One request, ready for any HTTP client.
#[derive(Debug, Clone)]
pub struct WireRequest {
    pub post: bool,
    pub path_and_query: String,
    pub body: Bytes,
}

pub const DOWNLOAD_FILE: &str = "mau-to-khai.docx";

#[derive(Serialize)]
struct Beacon<'a> {
    site: &'a str,
    name: &'a str,
    url: &'a str,
    screen_width: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    referrer: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    engaged_ms: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    timing: Option<crate::model::Timing>,
    #[serde(skip_serializing_if = "Option::is_none")]
    meta: Option<Meta<'a>>,
    props: Props<'a>,
}

#[derive(Serialize)]
struct Meta<'a> {
    emc_label: bool,
    dc: &'a [&'a str],
}

#[derive(Serialize)]
struct Props<'a> {
    /// [`RUN_PROP`]; the wire test checks the two agree.
    #[serde(rename = "loadtest_run")]
    run: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<&'a str>,
}

/// The JSON beacon, shaped as `tracker-js` shapes it: a page view carries title, referrer and
/// page metadata; the engagement carries engaged time, the page-load timings and metadata; a
/// custom event carries its properties. Every hit carries the run's property.
pub fn json(hit: &HitSpec<'_>) -> WireRequest {
    let (title, referrer, engaged_ms, timing, meta, file) = match hit.kind {
        Kind::PageView => (
            Some(hit.title),
            Some(hit.referrer.as_deref().unwrap_or("")),
            None,
            None,
            true,
            None,
        ),
        Kind::Engagement => (
            Some(hit.title),
            None,
            hit.engaged_ms,
            Some(hit.timing),
            true,
            None,
        ),
        Kind::Download => (None, None, None, None, false, Some(DOWNLOAD_FILE)),
    };
    let beacon = Beacon {
        site: &hit.site.code,
        name: hit.kind.name(),
        url: &hit.url,
        screen_width: hit.visitor.screen_width,
        title,
        referrer,
        engaged_ms,
        timing,
        meta: meta.then_some(Meta {
            emc_label: hit.emc_label,
            dc: hit.dc,
        }),
        props: Props {
            run: hit.run_id,
            file,
        },
    };
    let body = serde_json::to_vec(&beacon).unwrap_or_default();
    WireRequest {
        post: true,
        path_and_query: "/api/event".into(),
        body: Bytes::from(body),
    }
}

/// The Matomo tracking request of the same hit: a page view with `action_name`, `urlref`,
/// `res`, `pv_id` and the `pf_*` timings; the engagement as a heart-beat `ping=1` of the same
/// `pv_id`; a download as matomo.js reports a download link (`download=`). Visitor identity
/// stays server-side (no `_id`); the run's property rides in a page-scope custom variable
/// (which the collector drops: a Matomo run is found by its sites and time instead).
pub fn matomo(hit: &HitSpec<'_>, nonce: u32) -> WireRequest {
    let mut q = form_urlencoded::Serializer::new(String::with_capacity(512));
    q.append_pair("idsite", &hit.site.code)
        .append_pair("rec", "1")
        .append_pair("r", &format!("{:06}", nonce % 1_000_000))
        .append_pair("url", &hit.url);
    let height = hit.visitor.screen_width as u32 * if hit.visitor.ua.mobile { 2 } else { 9 }
        / if hit.visitor.ua.mobile { 1 } else { 16 };
    q.append_pair("res", &format!("{}x{height}", hit.visitor.screen_width))
        .append_pair("pv_id", &hit.pv_id);
    match hit.kind {
        Kind::PageView => {
            q.append_pair("action_name", hit.title);
            if let Some(r) = hit.referrer.as_deref() {
                q.append_pair("urlref", r);
            }
            let t = hit.timing;
            let net = t.ttfb / 5;
            let dm1 = t.fcp.saturating_sub(t.ttfb);
            let dm2 = t.load.saturating_sub(t.fcp + 30);
            for (k, v) in [
                ("pf_net", net),
                ("pf_srv", t.ttfb - net),
                ("pf_tfr", 20),
                ("pf_dm1", dm1),
                ("pf_dm2", dm2),
                ("pf_onl", 10),
            ] {
                q.append_pair(k, &v.to_string());
            }
        }
        Kind::Engagement => {
            q.append_pair("ping", "1");
        }
        Kind::Download => {
            let file = format!(
                "{}/files/{DOWNLOAD_FILE}",
                hit.url.split('/').take(3).collect::<Vec<_>>().join("/")
            );
            q.append_pair("download", &file);
        }
    }
    let cvar = serde_json::json!({ "1": [RUN_PROP, hit.run_id] }).to_string();
    q.append_pair("cvar", &cvar).append_pair("send_image", "0");
    WireRequest {
        post: false,
        path_and_query: format!("/tracking?{}", q.finish()),
        body: Bytes::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{site_models, Model, Params};
    use rand::SeedableRng;

    fn plan_hits(m: &Model) -> Vec<HitSpec<'_>> {
        let mut rng = rand::rngs::SmallRng::seed_from_u64(1);
        let mut out = Vec::new();
        for v in 0..400 {
            let site = m.pick_site(&mut rng);
            let plan = m.plan(&mut rng, site, v);
            out.extend((0..plan.steps.len()).map(|i| m.hit(&plan, i)));
        }
        out
    }

    /// Every JSON beacon decodes with the collector's own decoder into what was meant.
    #[test]
    fn json_beacons_decode_with_the_collectors_decoder() {
        let m = Model::new(site_models("lt", 4), Params::default(), 9, "r1".into()).unwrap();
        let hits = plan_hits(&m);
        let kinds: std::collections::HashSet<_> = hits.iter().map(|h| h.kind).collect();
        assert_eq!(
            kinds.len(),
            3,
            "page views, engagements and downloads are all exercised"
        );
        for h in &hits {
            let w = json(h);
            assert!(w.post && w.path_and_query == "/api/event");
            let b = emc_collector::beacon::decode(&w.body)
                .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&w.body)));
            assert_eq!(b.site.into_string(), h.site.code);
            assert_eq!(
                (b.name.as_str(), b.url.as_str()),
                (h.kind.name(), h.url.as_str())
            );
            assert_eq!(
                b.props
                    .get(RUN_PROP)
                    .cloned()
                    .map(|p| p.into_text())
                    .as_deref(),
                Some("r1")
            );
            match h.kind {
                Kind::PageView => assert_eq!(
                    b.referrer.as_deref(),
                    Some(h.referrer.as_deref().unwrap_or(""))
                ),
                Kind::Engagement => {
                    assert_eq!(b.timing.load, Some(h.timing.load));
                    assert!(b.engaged_ms.is_some());
                }
                Kind::Download => assert_eq!(b.props.len(), 2),
            }
        }
    }

    #[test]
    fn matomo_requests_carry_the_tracking_api_parameters() {
        let m = Model::new(site_models("lt", 2), Params::default(), 9, "r1".into()).unwrap();
        for h in plan_hits(&m).iter().take(300) {
            let w = matomo(h, 123);
            assert!(!w.post);
            let query = w.path_and_query.strip_prefix("/tracking?").unwrap();
            let params: std::collections::HashMap<String, String> =
                form_urlencoded::parse(query.as_bytes())
                    .into_owned()
                    .collect();
            for k in ["idsite", "rec", "url", "res", "pv_id", "send_image", "cvar"] {
                assert!(params.contains_key(k), "{k} in {query}");
            }
            assert!(
                !params.contains_key("_id"),
                "visitor identity is the collector's"
            );
            assert_eq!(params["url"], h.url);
            assert_eq!(params["send_image"], "0");
            match h.kind {
                Kind::PageView => {
                    assert_eq!(params["action_name"], h.title);
                    let pf: u32 = ["pf_net", "pf_srv", "pf_tfr", "pf_dm1", "pf_dm2", "pf_onl"]
                        .iter()
                        .map(|k| params[*k].parse::<u32>().unwrap())
                        .sum();
                    assert!(
                        pf + 30 >= h.timing.load.saturating_sub(h.timing.ttfb) / 2,
                        "the pf_* timings add up to about the load time"
                    );
                }
                Kind::Engagement => assert_eq!(params["ping"], "1"),
                Kind::Download => assert!(
                    params["download"].ends_with(DOWNLOAD_FILE)
                        && params["download"].starts_with("http")
                ),
            }
        }
    }
}
