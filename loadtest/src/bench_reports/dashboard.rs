//! A real `emc-dashboard serve` on a free port against the bench database, and an API token
//! from `POST /api/v1/login`: the bench sees the dashboard only through HTTP.
use crate::bench::{free_addr, spawn, stop, wait_healthy};
use anyhow::Context;
use std::path::{Path, PathBuf};
use tokio::process::Child;

pub struct Dashboard {
    child: Child,
    pub base: String,
    pub token: String,
}

/// The admin password of the bench database, kept in `data_dir/admin-password` (the
/// dashboard creates user `admin` with it when the database has no user yet).
fn admin_password(data_dir: &Path) -> anyhow::Result<String> {
    let file = data_dir.join("admin-password");
    if let Ok(p) = std::fs::read_to_string(&file) {
        return Ok(p.trim().to_owned());
    }
    let p = format!("bench-{:032x}", rand::random::<u128>());
    std::fs::create_dir_all(data_dir)?;
    std::fs::write(&file, &p).with_context(|| format!("writing {}", file.display()))?;
    Ok(p)
}

pub struct Spec<'a> {
    pub bin: PathBuf,
    pub clickhouse_url: &'a str,
    pub database: &'a str,
    /// `EMC_CLICKHOUSE_CLUSTER` when the database is on a cluster.
    pub cluster: Option<&'a str>,
    pub timezone: &'a str,
    pub data_dir: &'a Path,
    pub log: PathBuf,
}

impl Dashboard {
    pub async fn start(s: Spec<'_>) -> anyhow::Result<Dashboard> {
        let password = admin_password(s.data_dir)?;
        let addr = free_addr()?;
        let dir = std::path::absolute(s.data_dir.join("dashboard"))?;
        std::fs::create_dir_all(&dir)?;
        let env = [
            ("EMC_CLICKHOUSE_URL", s.clickhouse_url.to_owned()),
            ("EMC_CLICKHOUSE_DB", s.database.to_owned()),
            ("EMC_DATA_DIR", dir.display().to_string()),
            ("EMC_DASHBOARD_ADDR", addr.clone()),
            ("EMC_ADMIN_PASSWORD", password.clone()),
            ("EMC_TIMEZONE", s.timezone.to_owned()),
            // Scheduled alert evaluation would compete with the timed requests.
            ("EMC_ALERT_EVAL_SECS", "86400".to_owned()),
            (
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()),
            ),
        ];
        let mut env = env.to_vec();
        if let Some(c) = s.cluster {
            env.push(("EMC_CLICKHOUSE_CLUSTER", c.to_owned()));
        }
        let mut child = spawn(&s.bin, &["serve"], &env, &s.log)?;
        let base = format!("http://{addr}");
        wait_healthy(&base, &mut child, "the dashboard", &s.log).await?;
        let res = reqwest::Client::new()
            .post(format!("{base}/api/v1/login"))
            .json(&serde_json::json!({ "username": "admin", "password": password }))
            .send()
            .await?;
        anyhow::ensure!(
            res.status().is_success(),
            "signing in as admin answered {}: the bench database has users from another \
             password file; run with --reseed",
            res.status()
        );
        let token = res.json::<serde_json::Value>().await?["token"]
            .as_str()
            .context("the login answer has no token")?
            .to_owned();
        // On a cluster the token row is read back through a Distributed table, maybe from a
        // replica that has not received it yet: wait until the token is known.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let res = reqwest::Client::new()
                .get(format!("{base}/api/v1/sites"))
                .bearer_auth(&token)
                .send()
                .await?;
            if res.status().is_success() {
                break;
            }
            anyhow::ensure!(
                std::time::Instant::now() < deadline,
                "the dashboard still refuses its new API token after 60 s: {}",
                res.status()
            );
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        Ok(Dashboard { child, base, token })
    }

    pub async fn stop(mut self) {
        stop(&mut self.child).await;
    }
}
