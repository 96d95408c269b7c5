//! The decoder on the parameter sets Matomo's clients send, and on broken ones.
use super::*;
use chrono::TimeZone;

const BASE: &str = "idsite=227&rec=1&url=https%3A%2F%2Fportal.gov.vn%2Ftin-tuc%3Futm_source%3Dx";

fn ctx(trusted: bool) -> Context {
    Context {
        client_ip: "14.160.12.107".parse().unwrap(),
        user_agent: "header-ua".into(),
        received: Utc.with_ymd_and_hms(2026, 3, 1, 8, 0, 0).unwrap(),
        trusted,
    }
}

fn decode_q(q: &str, trusted: bool) -> Result<Hit, DecodeError> {
    decode(&Params::parse(q), &ctx(trusted))
}

fn props(h: &Hit) -> Vec<(&str, &str)> {
    h.props
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

#[test]
fn a_matomo_js_page_view() {
    // What matomo.js 5 sends with trackPageView (cookies on), timings included.
    let q = format!(
        "{BASE}&action_name=Tin%20t%E1%BB%A9c&idsite=227&rec=1&r=123456&h=15&m=4&s=2&_id=5c3a1b2c3d4e5f60&_idn=0&_refts=0&send_image=0&cookie=1&res=1920x1080&pv_id=aB3dE6&pf_net=10&pf_srv=110&pf_tfr=20&pf_dm1=300&pf_dm2=60&pf_onl=5&urlref=https%3A%2F%2Fwww.google.com%2F&uid=someone%40mail.vn&cid=0123456789abcdef"
    );
    let h = decode_q(&q, false).unwrap();
    assert_eq!(h.site, "227");
    assert_eq!(h.name, "pageview");
    assert_eq!(h.url, "https://portal.gov.vn/tin-tuc?utm_source=x");
    assert_eq!(h.title.as_deref(), Some("Tin tức"));
    assert_eq!(h.referrer.as_deref(), Some("https://www.google.com/"));
    assert_eq!(h.screen_width, Some(1920));
    assert_eq!(
        h.timing,
        Timing {
            ttfb: Some(120),
            load: Some(505),
            ..Timing::default()
        }
    );
    assert_eq!(h.user_agent, "header-ua");
    assert_eq!(h.origin, Origin::Matomo);
    assert!(
        h.props.is_empty(),
        "no visitor id of the client is kept: {:?}",
        h.props
    );
    assert_eq!(Answer::of(&Params::parse(&q)), Answer::NoContent);
    assert_eq!(Answer::of(&Params::parse(BASE)), Answer::Gif);
    assert_eq!(
        Answer::of(&Params::parse(&format!("{BASE}&send_image=1"))),
        Answer::Gif
    );
}

#[test]
fn kinds_of_request() {
    // (extra parameters, name, props)
    type Case<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)]);
    let cases: &[Case] = &[
        ("", "pageview", &[]),
        ("&e_c=V%C4%83n%20b%E1%BA%A3n&e_a=T%E1%BA%A3i%20v%E1%BB%81&e_n=Q%C4%90-123&e_v=1", "Tải về", &[("category", "Văn bản"), ("action", "Tải về"), ("name", "QĐ-123"), ("value", "1")]),
        ("&e_c=DVC&e_a=DVC&e_n=1.004227", "dvc", &[("category", "DVC"), ("action", "DVC"), ("name", "1.004227")]),
        ("&link=https%3A%2F%2Fexample.org%2F", "outbound", &[("url", "https://example.org/")]),
        ("&download=https%3A%2F%2Fportal.gov.vn%2Fa.pdf", "download", &[("url", "https://portal.gov.vn/a.pdf")]),
        ("&ping=1", "engagement", &[]),
        ("&ping=0", "pageview", &[]),
        ("&cvar=%7B%221%22%3A%5B%22hoso%22%2C%22D1%3B05032024%3BT%C3%AAn%3B123%22%5D%2C%222%22%3A%5B%22email%22%2C%22a%40b.vn%22%5D%7D", "pageview", &[("hoso", "D1;05032024;Tên;123")]),
    ];
    for (extra, name, want) in cases {
        let h =
            decode_q(&format!("{BASE}{extra}"), false).unwrap_or_else(|e| panic!("{extra}: {e}"));
        assert_eq!(h.name, *name, "{extra}");
        assert_eq!(props(&h), *want, "{extra}");
    }
}

#[test]
fn partial_timings() {
    let cases: &[(&str, Timing)] = &[
        ("", Timing::default()),
        ("&pf_net=0&pf_srv=40", Timing { ttfb: Some(40), ..Timing::default() }),
        ("&pf_srv=40", Timing::default()),
        ("&pf_net=1&pf_srv=2&pf_tfr=3&pf_dm1=4&pf_dm2=5", Timing { ttfb: Some(3), ..Timing::default() }),
        ("&pf_net=3600000&pf_srv=3600000&pf_tfr=3600000&pf_dm1=3600000&pf_dm2=3600000&pf_onl=3600000", Timing { ttfb: Some(7_200_000), load: Some(21_600_000), ..Timing::default() }),
    ];
    for (extra, want) in cases {
        assert_eq!(
            decode_q(&format!("{BASE}{extra}"), false).unwrap().timing,
            *want,
            "{extra}"
        );
    }
}

#[test]
fn malformed_requests_name_the_parameter() {
    let cases: &[(&str, &str)] = &[
        ("rec=1&url=https%3A%2F%2Fportal.gov.vn%2F", "idsite"),
        ("idsite=&rec=1&url=https%3A%2F%2Fportal.gov.vn%2F", "idsite"),
        ("idsite=1&url=https%3A%2F%2Fportal.gov.vn%2F", "rec"),
        ("idsite=1&rec=0&url=https%3A%2F%2Fportal.gov.vn%2F", "rec"),
        ("idsite=1&rec=1", "url"),
        ("idsite=1%0A2&rec=1&url=https%3A%2F%2Fa.vn%2F", "idsite"),
        ("", "idsite"),
    ];
    for (q, field) in cases {
        assert_eq!(decode_q(q, false).unwrap_err().field, *field, "{q}");
    }
    let extras: &[(&str, &str)] = &[
        ("&res=1920", "res"),
        ("&res=0x0", "res"),
        ("&res=99999x1", "res"),
        ("&pf_net=-5", "pf_net"),
        ("&pf_srv=1.5", "pf_srv"),
        ("&pf_onl=3600001", "pf_onl"),
        ("&pf_dm1=abc", "pf_dm1"),
        ("&e_c=Video", "e_a"),
        ("&e_a=Play", "e_c"),
        ("&e_c=V&e_a=%01%02", "e_a"),
        ("&e_c=V&e_a=Play&e_v=ten", "e_v"),
        ("&pv_id=ab-cd", "pv_id"),
        ("&pv_id=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "pv_id"),
        ("&cvar=%7Bnope", "cvar"),
        ("&_cvar=5", "_cvar"),
    ];
    for (extra, field) in extras {
        let err = decode_q(&format!("{BASE}{extra}"), false).unwrap_err();
        assert_eq!(err.field, *field, "{extra}: {err}");
    }
}

#[test]
fn cdt_only_when_trusted() {
    let q = format!("{BASE}&cdt=2026-02-01%2010%3A00%3A00");
    assert_eq!(
        decode_q(&q, false).unwrap().time,
        ctx(false).received,
        "ignored without the token"
    );
    assert_eq!(
        decode_q(&q, true).unwrap().time,
        Utc.with_ymd_and_hms(2026, 2, 1, 10, 0, 0).unwrap()
    );
    assert_eq!(
        decode_q(&format!("{BASE}&cdt=garbage"), false)
            .unwrap()
            .time,
        ctx(false).received,
        "not even read"
    );
    assert_eq!(
        decode_q(&format!("{BASE}&cdt=garbage"), true)
            .unwrap_err()
            .field,
        "cdt"
    );
}

#[test]
fn ua_overrides_the_header_and_long_values_are_cut() {
    let long = "x".repeat(5000);
    let h = decode_q(
        &format!("{BASE}&ua=Mozilla%2F5.0%20Test&link=https%3A%2F%2Fa.vn%2F{long}"),
        false,
    )
    .unwrap();
    assert_eq!(h.user_agent, "Mozilla/5.0 Test");
    assert_eq!(h.props[0].1.chars().count(), beacon::MAX_PROP_VALUE);
    let h = decode_q(&format!("{BASE}&e_c=c&e_a={}", "a".repeat(100)), false).unwrap();
    assert_eq!(h.name.len(), 64);
}
