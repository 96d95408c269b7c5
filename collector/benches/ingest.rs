//! The per-request hot path of `POST /api/event`, away from HTTP and disk:
//! `cargo bench -p emc-collector --bench ingest`.
//!
//! - `decode`: the JSON beacon (`beacon::decode`);
//! - `pipeline`: decode, the hit, and every step of `Pipeline::process` (registry, URL, user
//!   agent, geo with the MaxMind test database, referrer, UTM, visitor id, session);
//! - `spool_encode`: one request group (its rows and connection-log row) as a spool record;
//! - `request`: all of the above, what one accepted beacon costs before the `fdatasync`.
//!
//! The visitors rotate over 5,000 addresses and four browsers, so the session cache sees
//! new visits and visits that go on, as under `make bench`.
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use emc_collector::beacon;
use emc_collector::dvc::DvcKey;
use emc_collector::enrich::geo::GeoDb;
use emc_collector::ingest::{hit_from_beacon, Endpoint, RequestInfo};
use emc_collector::metrics::Metrics;
use emc_collector::pipeline::{Origin, Pipeline, PipelineParts, SaltSource};
use emc_collector::queue::{stamp, Record};
use emc_collector::registry_cache::{RegistryCache, SiteEntry};
use emc_collector::salt::EphemeralSalts;
use emc_collector::spool::record;
use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Instant;

const AGENTS: [&str; 4] = [
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.104 Mobile Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) coc_coc_browser/117.0.0 Chrome/111.0.5563.148 Safari/537.36",
    "Mozilla/5.0 (Linux; Android 12; SM-A525F) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0.6099.230 Mobile Safari/537.36 Zalo android/12100632 ZaloTheme/light ZaloLanguage/vn",
];

/// A page view as `tracker-js` sends it (the shape `emc-loadtest` sends).
const PAGE_VIEW_JSON: &str = r#"{"site":"227","name":"pageview","url":"https://portal.gov.vn/tin-tuc/thong-bao-lich-tiep-cong-dan-thang-3?utm_source=zalo&utm_medium=social","screen_width":412,"title":"Thông báo lịch tiếp công dân tháng 3 - Cổng thông tin điện tử","referrer":"https://www.google.com.vn/","meta":{"emc_label":true,"dc":["Title","Creator","Subject","Description","Publisher","Date","Type","Format","Identifier","Language"]},"props":{"loadtest_run":"20261207T031500-abcd"}}"#;
const PAGE_VIEW: &[u8] = PAGE_VIEW_JSON.as_bytes();

fn pipeline() -> Pipeline {
    let geo = GeoDb::open(&[std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/geo/GeoIP2-City-Test.mmdb"
    ))])
    .expect("the MaxMind test database");
    Pipeline::new(PipelineParts {
        registry: RegistryCache::from_entries([SiteEntry {
            code: "227".into(),
            domains: vec!["portal.gov.vn".into()],
            search_params: vec![],
        }]),
        geo,
        salts: SaltSource::Ephemeral(Arc::new(EphemeralSalts::new())),
        session_timeout: 1800,
        metrics: Arc::new(Metrics::new()),
        dvc: DvcKey::ephemeral(),
    })
}

/// The `n`th request's client: 5,000 addresses (one in the MaxMind test data), four browsers.
fn request(n: u64) -> RequestInfo {
    let ip = if n.is_multiple_of(7) {
        IpAddr::V4(Ipv4Addr::new(81, 2, 69, 142))
    } else {
        IpAddr::V4(Ipv4Addr::from(0x0e00_0000 + (n % 5000) as u32))
    };
    RequestInfo {
        endpoint: Endpoint::Event,
        started: Instant::now(),
        received: chrono::Utc::now(),
        client_ip: ip,
        user_agent: AGENTS[(n % 4) as usize].to_owned(),
        bytes: PAGE_VIEW.len(),
    }
}

/// What one accepted beacon produces: its rows and its connection-log row.
fn group(p: &Pipeline, n: u64) -> Vec<Record> {
    let info = request(n);
    let beacon = beacon::decode(PAGE_VIEW).expect("a valid beacon");
    let hit = hit_from_beacon(beacon, &info, Origin::Beacon);
    let accepted = p.process(hit).expect("accepted");
    let mut records = accepted.records;
    let log = info.log_row("227", &accepted.hostname, 202, "ok");
    records.push(Record::Connection(Box::new(log)));
    records
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("ingest");
    g.throughput(Throughput::Elements(1));
    g.bench_function("decode", |b| {
        b.iter(|| beacon::decode(black_box(PAGE_VIEW)).expect("valid"))
    });
    let p = pipeline();
    let mut n = 0u64;
    g.bench_function("pipeline", |b| {
        b.iter(|| {
            n += 1;
            let info = request(n);
            let beacon = beacon::decode(black_box(PAGE_VIEW)).expect("valid");
            p.process(hit_from_beacon(beacon, &info, Origin::Beacon))
                .expect("accepted")
        })
    });
    let mut one = group(&p, 1);
    stamp(&mut one, 42);
    g.bench_function("spool_encode", |b| {
        b.iter(|| record::encode(42, black_box(&one)).expect("encodes"))
    });
    g.bench_function("request", |b| {
        b.iter(|| {
            n += 1;
            let mut records = group(&p, n);
            stamp(&mut records, n);
            record::encode(n, &records).expect("encodes")
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
