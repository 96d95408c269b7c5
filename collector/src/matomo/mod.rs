//! The Matomo tracking HTTP API (`/tracking`, `/matomo.php`) decoded onto the pipeline's
//! [`Hit`], so a portal that swaps only the script host (or a server-side Matomo client)
//! keeps working. The routes are in `routes/matomo.rs`.
//!
//! | Matomo parameter | becomes | rule |
//! |---|---|---|
//! | `idsite` | `site` | required, 1-64 characters (`227` stays `"227"`) |
//! | `rec` | — | required, must be `1` (Matomo records nothing without it) |
//! | `url` | `url` | required; the pipeline checks it as for `/api/event` |
//! | `urlref` | `referrer` | |
//! | `action_name` | `title` | |
//! | `res` | `screen_width` | `WIDTHxHEIGHT`, each 1-65535; the width is kept |
//! | `pv_id` | — | checked (1-32 letters/digits) and not stored: the server's session links the hits of a page, and no client-made id is kept |
//! | `pf_net` + `pf_srv` | `timing.ttfb` | both present; navigation start → first byte |
//! | `pf_net`+`pf_srv`+`pf_tfr`+`pf_dm1`+`pf_dm2`+`pf_onl` | `timing.load` | all six present (navigation start → load event end); `pf_onl` is missing when the page was left before the load ended, and so is `load` then |
//! | — | `timing.fcp`, `timing.lcp`, `timing.response` | never set: Matomo measures no paint, and `pf_tfr` is the document's transfer only, not the slowest request of the page (the JSON tag's `response`) |
//! | `e_c`, `e_a`, `e_n`, `e_v` | event named `e_a` (`dvc` in any case → `dvc`), props `category`, `action`, `name`, `value` | `e_c` and `e_a` both required for an event; `e_v` a number — as the tag's `trackEvent` |
//! | `link` | event `outbound`, prop `url` | |
//! | `download` | event `download`, prop `url` | |
//! | `ping=1` | `engagement` | Matomo's heart beat: extends the session, never a page view |
//! | `cvar`, `_cvar` | only values in the legacy DVC form `dossierId;ddMMyyyy;name;idNo`, which `put_dvc` turns into `dossier_hash` + `date` | every other custom variable is dropped (they are where portals put personal data) |
//! | `cdt` | `time` | only in a bulk request whose `token_auth` equals `EMC_MATOMO_TOKEN`; Unix seconds or `YYYY-MM-DD HH:MM:SS` UTC, 2000-01-01 … now; otherwise ignored |
//! | `_rcn`, `_rck` | campaign name, keyword | fill what the page URL's campaign parameters leave blank (`enrich/utm.rs`) |
//! | `search`, `search_cat`, `search_count` | a `site_search` hit: keyword, category, result count | `search` non-blank makes the request a site search, not a page view (as Matomo's `trackSiteSearch`); `search_count` a whole number |
//! | `ua` | `user_agent` | overrides the header, as in Matomo (server-side clients send the browser's) |
//! | `send_image` | the answer | `0` → `204`; absent or anything else → `200` with a 1×1 GIF (Matomo's default) |
//! | `_id`, `uid`, `cid`, `_idts`, `_idvc`, `_viewts`, `_ref`, `cip`, `token_auth`, `h`/`m`/`s`, `r`, `lang`, `cookie`, plug-in flags, … | — | ignored: the visitor is the server-side salted hash only |
//!
//! A request that is a pageview and carries `pf_*` (matomo.js sends them with the page
//! view) stores the timings on the pageview row.
mod bulk;
mod params;

pub use bulk::{is_bulk, parse as parse_bulk, Bulk, MAX_REQUESTS};
pub use params::{same_secret, Params};

use crate::beacon::{self, DecodeError, Meta, Timing};
use crate::enrich::site_search::SiteSearch;
use crate::enrich::utm::Utm;
use crate::pipeline::{Hit, Origin, RequestFields};
use chrono::{DateTime, Utc};
use params::{clean, fail};
use std::net::IpAddr;

/// What the decoder needs from the request around the parameters.
#[derive(Debug, Clone)]
pub struct Context {
    pub client_ip: IpAddr,
    pub user_agent: String,
    pub received: DateTime<Utc>,
    /// A bulk request with the right `token_auth`: `cdt` is honoured.
    pub trusted: bool,
}

/// How Matomo answers a tracked request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Gif,
    NoContent,
}

impl Answer {
    pub fn of(p: &Params) -> Answer {
        if p.get("send_image") == Some("0") {
            Answer::NoContent
        } else {
            Answer::Gif
        }
    }
}

/// One tracking request → one hit.
pub fn decode(p: &Params, ctx: &Context) -> Result<Hit, DecodeError> {
    let site = p.get("idsite").ok_or_else(|| fail("idsite", "required"))?;
    if site.len() > 64 || site.chars().any(char::is_control) {
        return Err(fail("idsite", "1-64 characters"));
    }
    if p.get("rec") != Some("1") {
        return Err(fail("rec", "required, must be 1"));
    }
    let url = p.get("url").ok_or_else(|| fail("url", "required"))?;
    if let Some(id) = p.get("pv_id") {
        if id.len() > 32 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(fail("pv_id", "1-32 letters or digits"));
        }
    }
    let (name, mut props) = kind(p)?;
    props.extend(dvc_custom_vars(p)?);
    let time = match p.get("cdt") {
        Some(cdt) if ctx.trusted => params::custom_time(cdt, ctx.received)?,
        _ => ctx.received,
    };
    Ok(Hit {
        site: site.to_owned(),
        name,
        url: url.to_owned(),
        referrer: p.get("urlref").map(str::to_owned),
        title: p.get("action_name").map(str::to_owned),
        screen_width: p.get("res").map(params::screen_width).transpose()?,
        engaged_ms: None,
        timing: timing(p)?,
        meta: Meta::default(),
        props: props
            .into_iter()
            .map(|(k, v)| (k, clean(&v, beacon::MAX_PROP_VALUE)))
            .collect(),
        client_ip: ctx.client_ip,
        user_agent: p
            .get("ua")
            .map_or_else(|| ctx.user_agent.clone(), str::to_owned),
        time,
        origin: Origin::Matomo,
        fields: RequestFields {
            campaign: Utm::from_tracker(p.get("_rcn"), p.get("_rck")),
            search: site_search(p)?,
        },
    })
}

/// The event name and props: a Matomo event, an outlink, a download, a heart beat or a page view.
fn kind(p: &Params) -> Result<(String, Vec<(String, String)>), DecodeError> {
    if p.get("e_c").is_some() || p.get("e_a").is_some() {
        let category = p
            .get("e_c")
            .ok_or_else(|| fail("e_c", "required with e_a"))?;
        let action = p
            .get("e_a")
            .ok_or_else(|| fail("e_a", "required with e_c"))?;
        let name = clean(action, 64);
        if name.trim().is_empty() {
            return Err(fail("e_a", "1-64 characters without control characters"));
        }
        let name = if name.eq_ignore_ascii_case("dvc") {
            "dvc".to_owned()
        } else {
            name
        };
        let mut props = vec![
            ("category".to_owned(), category.to_owned()),
            ("action".to_owned(), action.to_owned()),
        ];
        if let Some(n) = p.get("e_n") {
            props.push(("name".to_owned(), n.to_owned()));
        }
        if let Some(v) = p.get("e_v") {
            props.push(("value".to_owned(), params::event_value(v)?));
        }
        return Ok((name, props));
    }
    if let Some(target) = p.get("link") {
        return Ok((
            "outbound".to_owned(),
            vec![("url".to_owned(), target.to_owned())],
        ));
    }
    if let Some(target) = p.get("download") {
        return Ok((
            "download".to_owned(),
            vec![("url".to_owned(), target.to_owned())],
        ));
    }
    if p.get("ping") == Some("1") {
        return Ok(("engagement".to_owned(), vec![]));
    }
    Ok(("pageview".to_owned(), vec![]))
}

/// Matomo's site-search fields: a non-blank `search` makes the request a site search.
fn site_search(p: &Params) -> Result<Option<SiteSearch>, DecodeError> {
    let Some(keyword) = p.get("search").filter(|k| !k.trim().is_empty()) else {
        return Ok(None);
    };
    let count = p
        .get("search_count")
        .map(|c| {
            c.trim()
                .parse::<u32>()
                .map_err(|_| fail("search_count", "a whole number from 0"))
        })
        .transpose()?;
    Ok(Some(SiteSearch::new(
        keyword,
        p.get("search_cat").unwrap_or(""),
        count,
    )))
}

const PF: [&str; 6] = ["pf_net", "pf_srv", "pf_tfr", "pf_dm1", "pf_dm2", "pf_onl"];

fn timing(p: &Params) -> Result<Timing, DecodeError> {
    let mut v = [None; 6];
    for (slot, name) in v.iter_mut().zip(PF) {
        *slot = p.get(name).map(|x| params::pf(name, x)).transpose()?;
    }
    let sum = |parts: &[Option<u32>]| parts.iter().try_fold(0u32, |acc, x| x.map(|x| acc + x));
    Ok(Timing {
        ttfb: sum(&v[..2]),
        load: sum(&v),
        ..Timing::default()
    })
}

/// Custom variables in the legacy DVC form, under their own names; the rest are dropped.
fn dvc_custom_vars(p: &Params) -> Result<Vec<(String, String)>, DecodeError> {
    let mut out = Vec::new();
    for field in ["cvar", "_cvar"] {
        if let Some(raw) = p.get(field) {
            let vars = params::custom_vars(field, raw)?;
            out.extend(
                vars.into_iter()
                    .filter(|(_, v)| crate::dvc::parse_legacy(v).is_some())
                    .map(|(k, v)| (clean(&k, beacon::MAX_PROP_KEY), v)),
            );
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
