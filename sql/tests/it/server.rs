use emc_sql::server::{ping, LocalServer, Ports, ServerSpec, DEFAULT_BINARY};

#[tokio::test]
async fn a_server_starts_answers_and_stops() {
    let dir = tempfile::tempdir().unwrap();
    let spec = ServerSpec {
        dir: dir.path().join("ch"),
        ports: Ports::free().unwrap(),
        binary: DEFAULT_BINARY.into(),
        die_with_parent: true,
    };
    let mut server = LocalServer::start(spec).await.unwrap();
    let url = server.url();
    assert!(ping(&url).await);
    let tz: String = emc_sql::db::client(&url)
        .query("SELECT timezone()")
        .fetch_one()
        .await
        .unwrap();
    assert!(
        tz.ends_with("UTC"),
        "the server runs on our config (timezone {tz})"
    );
    server.stop();
    assert!(!ping(&url).await, "still answering after stop");
}

#[tokio::test]
async fn managed_server_is_reused_while_it_answers() {
    let dir = tempfile::tempdir().unwrap();
    let target = emc_sql::DbTarget::Managed {
        data_dir: dir.path().to_owned(),
    };
    let opts = emc_sql::MigrateOptions::default();
    let first = emc_sql::Db::open(&target, "emc", &opts).await.unwrap();
    assert!(first.owns_server());
    let second = emc_sql::Db::open(&target, "emc", &opts).await.unwrap();
    assert!(
        !second.owns_server(),
        "a second binary reuses the running server"
    );
    assert_eq!(first.url(), second.url());
    drop(second);
    drop(first);
}
