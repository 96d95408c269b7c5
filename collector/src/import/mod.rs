//! `emc-collector import`: access-log lines through the same pipeline, in event time.
//!
//! Each line is parsed, judged by the page-view rule, and — when it is a page view — made a
//! [`Hit`] with the line's own time and client address. Sessions are cut by event time (a
//! private session cache per run, swept as the log's clock advances). Visitor ids use a
//! per-run, per-day salt kept in memory only: the real salts of past days are gone by design.
pub mod parse;
mod summary;

pub use summary::Summary;

use crate::beacon::{Meta, Timing};
use crate::config::{CommonConfig, ImportConfig};
use crate::enrich::user_agent::UaVerdict;
use crate::ingest::offline::{Offline, OfflineConfig};
use crate::ingest::{Accepted, Ingest, Rejection};
use crate::pipeline::{Hit, Origin};
use crate::sink::SinkConfig;
use anyhow::Context;
use emc_sql::Db;
use std::io::{BufRead, BufReader, IsTerminal, Read};

/// Sweep idle sessions every this many lines.
const SWEEP_EVERY: u64 = 10_000;

/// Imports `cfg.files` for `cfg.site` and waits until every accepted row is inserted.
pub async fn run(common: &CommonConfig, cfg: &ImportConfig, db: Db) -> anyhow::Result<Summary> {
    let offline = Offline::start(
        &db,
        OfflineConfig {
            geoip_db: common.geoip_db.clone(),
            session_timeout: common.session_timeout,
            dvc: crate::dvc::DvcKey::open(&common.data_dir)
                .context("opening the DVC key (EMC_DATA_DIR/dvc.key)")?,
            sink: SinkConfig {
                batch_rows: common.batch_rows,
                flush_ms: common.flush_ms,
                dead_letter_dir: common.data_dir.join("dead-letter"),
                refusals: None,
            },
            queue_groups: 1024,
        },
    )
    .await?;
    let site = offline
        .ingest
        .pipeline()
        .registry()
        .get(&cfg.site)
        .with_context(|| format!("--site {}: no such site in the registry", cfg.site))?;
    let domain = site.domains.first().cloned().unwrap_or_default();
    let mut summary = Summary::default();
    for path in &cfg.files {
        let name = path.display().to_string();
        let (reader, size): (Box<dyn Read>, u64) = if name == "-" {
            (Box::new(std::io::stdin()), 0)
        } else {
            let f = std::fs::File::open(path).with_context(|| format!("opening {name}"))?;
            let size = f.metadata().map(|m| m.len()).unwrap_or(0);
            (Box::new(f), size)
        };
        let bar = progress_bar(size, &name);
        import_reader(
            &offline.ingest,
            BufReader::new(reader),
            ImportFile {
                name: &name,
                site: &cfg.site,
                domain: &domain,
            },
            &mut summary,
            &bar,
        )
        .await?;
        bar.finish_and_clear();
    }
    offline.finish().await?;
    Ok(summary)
}

struct ImportFile<'a> {
    name: &'a str,
    site: &'a str,
    domain: &'a str,
}

async fn import_reader(
    ingest: &Ingest,
    mut reader: impl BufRead,
    file: ImportFile<'_>,
    summary: &mut Summary,
    bar: &indicatif::ProgressBar,
) -> anyhow::Result<()> {
    let mut buf = Vec::new();
    let mut line_no = 0u64;
    loop {
        buf.clear();
        let n = reader
            .read_until(b'\n', &mut buf)
            .with_context(|| format!("reading {}", file.name))?;
        if n == 0 {
            return Ok(());
        }
        line_no += 1;
        bar.inc(n as u64);
        let line = String::from_utf8_lossy(&buf);
        let line = line.trim_end_matches(['\n', '\r']);
        if line.trim().is_empty() {
            summary.skip("empty_line", file.name, line_no);
            continue;
        }
        summary.lines_read += 1;
        match ingest_line(ingest, line, &file).await {
            Ok(Accepted::Stored { .. }) => summary.accepted += 1,
            Ok(Accepted::Bot(kind)) => summary.skip(
                crate::pipeline::DropReason::Bot(kind).reason(),
                file.name,
                line_no,
            ),
            Err(Rejection::Spool(e)) => return Err(e).context("the sink stopped"),
            Err(r) => summary.skip(r.reason(), file.name, line_no),
        }
        if line_no.is_multiple_of(SWEEP_EVERY) {
            if let Some(t) = summary.last_time {
                ingest.pipeline().sessions().sweep(t);
            }
        }
        if let Ok(parsed) = parse::parse_combined(line) {
            summary.last_time = Some(
                summary
                    .last_time
                    .unwrap_or(0)
                    .max(parsed.time.timestamp() as u32),
            );
        }
    }
}

/// One line through the pipeline: stored, or the reason it is skipped.
async fn ingest_line(
    ingest: &Ingest,
    line: &str,
    file: &ImportFile<'_>,
) -> Result<Accepted, Rejection> {
    let hit = line_hit(ingest, line, file).map_err(Rejection::Skipped)?;
    ingest.offline(hit).await
}

/// One line → a page-view hit, or the reason it is skipped.
fn line_hit(ingest: &Ingest, line: &str, file: &ImportFile<'_>) -> Result<Hit, &'static str> {
    let parsed = parse::parse_combined(line).map_err(|e| e.reason())?;
    let is_bot = |ua: &str| matches!(ingest.pipeline().ua().parse(ua), UaVerdict::Bot(_));
    parse::page_view_rule(&parsed, is_bot).map_err(parse::SkipReason::as_str)?;
    let url = if parsed.target.starts_with("http://") || parsed.target.starts_with("https://") {
        parsed.target.clone()
    } else {
        format!("https://{}{}", file.domain, parsed.target)
    };
    Ok(Hit {
        site: file.site.to_owned(),
        name: "pageview".into(),
        url,
        referrer: parsed.referrer,
        title: None,
        screen_width: None,
        engaged_ms: None,
        timing: Timing::default(),
        meta: Meta::default(),
        props: Vec::new(),
        client_ip: parsed.client,
        user_agent: parsed.user_agent,
        time: parsed.time,
        origin: Origin::Import,
        fields: Default::default(),
    })
}

fn progress_bar(size: u64, name: &str) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() || size == 0 {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(size);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{msg} [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(name.to_owned());
    bar
}
