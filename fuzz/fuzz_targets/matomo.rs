//! `/tracking` requests: any bytes as a query string through the Matomo parameter decoder,
//! and as a bulk body through the bulk parser and then each of its requests. Must never panic.
#![no_main]
use chrono::{TimeZone, Utc};
use emc_collector::matomo::{self, Context, Params};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let ctx = Context {
        client_ip: [203, 113, 0, 1].into(),
        user_agent: "fuzz".into(),
        received: Utc.with_ymd_and_hms(2026, 3, 1, 8, 0, 0).unwrap(),
        trusted: data.first().is_some_and(|b| b & 1 == 1),
    };
    if matomo::is_bulk(data) {
        if let Ok(bulk) = matomo::parse_bulk(data) {
            for q in &bulk.requests {
                let _ = matomo::decode(&Params::parse(q), &ctx);
            }
        }
        return;
    }
    let query = String::from_utf8_lossy(data);
    let params = Params::parse(&query);
    let _ = matomo::Answer::of(&params);
    let _ = matomo::decode(&params, &ctx);
});
