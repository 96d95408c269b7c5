//! `POST /api/event` bodies: any bytes through the beacon decoder, and a decoded beacon's
//! URLs through the pipeline's URL check. Must never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(b) = emc_collector::beacon::decode(data) {
        let _ = emc_collector::pipeline::parse_page_url(&b.url);
        if let Some(r) = &b.referrer {
            let _ = emc_collector::pipeline::parse_page_url(r);
        }
        for (_, v) in b.props {
            let _ = v.into_text();
        }
    }
});
