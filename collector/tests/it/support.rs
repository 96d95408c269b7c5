//! A collector wired to a fresh test database, driven without a socket.
use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{Request, StatusCode};
use axum::Router;
use emc_collector::config::{CommonConfig, ServeConfig};
use emc_collector::limits::LimitsConfig;
use emc_collector::App;
use emc_sql::registry::{self, AgencyGroup, NewAgency, NewSite, SiteKind};
use emc_sql::Db;
use http_body_util::BodyExt;
use std::net::SocketAddr;
use tower::ServiceExt;

pub const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
pub const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
pub const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0";

/// The `EMC_MATOMO_TOKEN` of the harness's collector.
pub const MATOMO_TOKEN: &str = "test-matomo-token";

pub struct Harness {
    pub app: App,
    pub db: Db,
    pub data_dir: tempfile::TempDir,
}

pub fn common(db: &Db, data_dir: &std::path::Path) -> CommonConfig {
    CommonConfig {
        clickhouse_url: Some(db.url().to_owned()),
        clickhouse_db: db.database().to_owned(),
        clickhouse_cluster: None,
        data_dir: data_dir.to_owned(),
        geoip_db: vec![concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/testdata/geo/GeoIP2-City-Test.mmdb"
        )
        .into()],
        session_timeout: 1800,
        timezone: "Asia/Ho_Chi_Minh".into(),
        batch_rows: 10_000,
        flush_ms: 200,
    }
}

/// Registers agency `bo-a` and site 227 on portal.gov.vn in `db`.
pub async fn register_portal(db: &Db) {
    registry::add_agency(
        db,
        NewAgency {
            id: "bo-a".into(),
            name: "Bộ A".into(),
            group: AgencyGroup::Ministry,
            parent: None,
        },
    )
    .await
    .unwrap();
    registry::add_site(
        db,
        NewSite {
            name: "Cổng A".into(),
            domains: vec!["portal.gov.vn".into()],
            kind: SiteKind::Portal,
            parent: None,
            agency: "bo-a".into(),
            code: Some("227".into()),
        },
    )
    .await
    .unwrap();
}

impl Harness {
    pub async fn start(test: &str) -> Harness {
        Harness::start_with(test, LimitsConfig::no_rate_limit()).await
    }

    /// A harness whose collector has the given limits (rate limit, read timeout, header size).
    pub async fn start_with(test: &str, limits: LimitsConfig) -> Harness {
        let db = emc_sql::testing::test_db(test).await;
        register_portal(&db).await;
        let data_dir = tempfile::tempdir().unwrap();
        let serve = ServeConfig {
            addr: "127.0.0.1:0".into(),
            trusted_proxies: vec!["127.0.0.1".into()],
            registry_refresh_secs: 1,
            max_body_bytes: 16 * 1024,
            matomo_token: Some(MATOMO_TOKEN.into()),
            salt_dir: None,
            limits,
        };
        let app = App::start(&common(&db, data_dir.path()), &serve, db.clone())
            .await
            .unwrap();
        Harness { app, db, data_dir }
    }

    pub fn router(&self) -> Router {
        emc_collector::router(self.app.state.clone())
            .layer(MockConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))))
    }

    /// Stops the collector; everything accepted is in ClickHouse when this returns.
    pub async fn finish(self) -> Db {
        let Harness { app, db, data_dir } = self;
        app.shutdown().await;
        drop(data_dir);
        db
    }
}

/// POSTs `body` to /api/event as the client `ip` with `ua`; returns status and body text.
pub async fn post_event(
    router: &Router,
    body: impl Into<Body>,
    content_type: &str,
    ua: &str,
    ip: &str,
) -> (StatusCode, String) {
    let req = Request::post("/api/event")
        .header("content-type", content_type)
        .header("user-agent", ua)
        .header("x-forwarded-for", ip)
        .body(body.into())
        .unwrap();
    let res = router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

pub async fn count(db: &Db, sql: &str) -> u64 {
    db.client().query(sql).fetch_one::<u64>().await.unwrap()
}
