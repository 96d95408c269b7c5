//! After a run: wait for the collector's flush, count what landed in ClickHouse against what
//! was accepted, look for duplicates (rows sharing an event id), and compare each site's
//! sign-weighted figures with the generator's books.
//!
//! A run's rows are exactly the events carrying its `loadtest_run` property (JSON beacons,
//! seeds); the Matomo API keeps no custom data, so a Matomo run's rows are its sites' events
//! received since the run started (run it on sites of its own). Its visits are the sessions
//! those events belong to.
use crate::ledger::SiteTally;
use emc_collector::enrich::referrer::SourceClass;
use emc_sql::Db;
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Which rows belong to the run.
#[derive(Debug, Clone)]
pub struct Scope {
    pub run_id: String,
    pub sites: Vec<String>,
    /// No row of the run is older (Unix seconds); lets ClickHouse skip old parts.
    pub since: u32,
    /// Only rows before this (a slice of a long seed).
    pub until: Option<u32>,
    /// Find the rows by the run property; `false`: by time, rows received from `since_ms` on.
    pub by_marker: bool,
    pub since_ms: u64,
}

impl Scope {
    /// The WHERE condition on `events`; bind with [`Scope::bind`].
    fn clause(&self) -> String {
        let mut c = String::from("has(?, site) AND timestamp >= toDateTime(?)");
        if self.until.is_some() {
            c += " AND timestamp < toDateTime(?)";
        }
        c += if self.by_marker {
            " AND has(props_values, ?)"
        } else {
            " AND toUInt64(timestamp) * 1000 + timestamp_ms >= ?"
        };
        c
    }

    fn bind(&self, q: clickhouse::query::Query) -> clickhouse::query::Query {
        let q = q.bind(&self.sites).bind(self.since);
        let q = match self.until {
            Some(u) => q.bind(u),
            None => q,
        };
        if self.by_marker {
            q.bind(&self.run_id)
        } else {
            q.bind(self.since_ms)
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Landed {
    pub accepted: u64,
    /// Event rows of the run in ClickHouse.
    pub landed: u64,
    pub distinct_event_ids: u64,
    pub duplicates: u64,
    pub missing: u64,
    /// Requests whose outcome the generator could not see (a broken connection).
    pub unknown: u64,
    pub flush_wait_ms: u64,
    /// The counts stopped changing before the deadline.
    pub settled: bool,
}

impl Landed {
    /// Nothing lost, nothing twice.
    pub fn ok(&self) -> bool {
        self.duplicates == 0
            && self.landed >= self.accepted
            && self.landed <= self.accepted + self.unknown
    }
}

#[derive(Debug, Clone)]
pub struct Wait {
    /// How long the counts must stay the same, once everything accepted is there.
    pub settle: Duration,
    pub timeout: Duration,
    /// The collector's `/metrics`: when given, the wait also needs its spool drained
    /// (`emc_spool_pending_groups` 0), so the sessions and connection-log rows of the last
    /// groups are in too, not only the events (a sink working through a backlog can insert a
    /// group's events seconds before its sessions). A collector that does not answer, or
    /// has no spool, is not waited for.
    pub drained: Option<String>,
}

/// The collector's `/metrics` text at `metrics_url`; `None` when it does not answer.
pub async fn scrape(client: &reqwest::Client, metrics_url: &str) -> Option<String> {
    client.get(metrics_url).send().await.ok()?.text().await.ok()
}

/// The value of the unlabelled gauge `name` in a `/metrics` text.
pub fn gauge(metrics: &str, name: &str) -> Option<f64> {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
}

/// The collector's request groups not yet acknowledged by ClickHouse; `None` when unknown.
async fn pending_groups(client: &reqwest::Client, metrics_url: &str) -> Option<u64> {
    gauge(
        &scrape(client, metrics_url).await?,
        "emc_spool_pending_groups",
    )
    .map(|v| v as u64)
}

async fn counts(db: &Db, scope: &Scope) -> Result<(u64, u64, u64), clickhouse::error::Error> {
    let (rows, distinct): (u64, u64) = scope
        .bind(db.client().query(&format!(
            "SELECT count(), uniqExact(event_id) FROM events WHERE {}",
            scope.clause()
        )))
        .fetch_one()
        .await?;
    let sessions: u64 = db
        .client()
        .query("SELECT count() FROM sessions WHERE has(?, site)")
        .bind(&scope.sites)
        .fetch_one()
        .await?;
    Ok((rows, distinct, sessions))
}

/// Polls until every accepted event is in (and the collector's spool drained, when
/// `wait.drained` names it) and the counts have stopped changing for `settle`, or until
/// `timeout`; a shortfall that does not move for 30 s is a loss.
pub async fn wait_landed(
    db: &Db,
    scope: &Scope,
    accepted: u64,
    unknown: u64,
    wait: &Wait,
) -> anyhow::Result<Landed> {
    let started = Instant::now();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()?;
    let mut last: Option<((u64, u64, u64), Instant)> = None;
    let (current, settled) = loop {
        let drained = match &wait.drained {
            Some(url) => pending_groups(&http, url).await.is_none_or(|n| n == 0),
            None => true,
        };
        let now_counts = counts(db, scope).await?;
        let since_change = match last {
            Some((c, at)) if c == now_counts => at.elapsed(),
            _ => {
                last = Some((now_counts, Instant::now()));
                Duration::ZERO
            }
        };
        let complete = now_counts.0 >= accepted && drained;
        if complete && (wait.settle.is_zero() || since_change >= wait.settle) {
            break (now_counts, true);
        }
        if !complete && since_change >= Duration::from_secs(30).max(wait.settle * 10) {
            break (now_counts, true);
        }
        if started.elapsed() >= wait.timeout {
            break (now_counts, false);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let (landed, distinct, _) = current;
    Ok(Landed {
        accepted,
        landed,
        distinct_event_ids: distinct,
        duplicates: landed - distinct.min(landed),
        missing: accepted.saturating_sub(landed),
        unknown,
        flush_wait_ms: started.elapsed().as_millis() as u64,
        settled,
    })
}

/// The figures compared for one site.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Figures {
    pub events: u64,
    pub pageviews: u64,
    pub hits: u64,
    pub orphans: u64,
    pub visitors: u64,
    pub visits: i64,
    pub bounces: i64,
    pub session_pageviews: i64,
    pub session_hits: i64,
    /// Only compared when event times are the generator's own (seed).
    pub duration: Option<i64>,
    pub visits_by_source: BTreeMap<String, i64>,
}

impl Figures {
    pub fn from_tally(t: &SiteTally, with_duration: bool) -> Figures {
        Figures {
            events: t.events,
            pageviews: t.pageviews,
            hits: t.hits,
            orphans: t.orphans,
            visitors: t.visitors,
            visits: t.visits as i64,
            bounces: t.bounces as i64,
            session_pageviews: t.pageviews as i64,
            session_hits: t.hits as i64,
            duration: with_duration.then_some(t.duration as i64),
            visits_by_source: SourceClass::ALL
                .iter()
                .zip(t.sources)
                .filter(|(_, n)| *n != 0)
                .map(|(c, n)| (c.as_str().to_owned(), n as i64))
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SiteCheck {
    pub site: String,
    pub ok: bool,
    pub expected: Figures,
    pub clickhouse: Figures,
}

#[derive(clickhouse::Row, serde::Deserialize)]
struct EventFigures {
    site: String,
    events: u64,
    pageviews: u64,
    hits: u64,
    orphans: u64,
    visitors: u64,
}

#[derive(clickhouse::Row, serde::Deserialize)]
struct SessionFigures {
    site: String,
    source: String,
    visits: i64,
    bounces: i64,
    duration: i64,
    pageviews: i64,
    hits: i64,
}

/// Each site's figures from ClickHouse (sign-weighted for sessions) next to the books.
pub async fn check_sites(
    db: &Db,
    scope: &Scope,
    codes: &[String],
    tallies: &[SiteTally],
    with_duration: bool,
) -> anyhow::Result<Vec<SiteCheck>> {
    // Visitors per UTC day (a visitor id lives one UTC day), summed over the days.
    let events: Vec<EventFigures> = scope
        .bind(db.client().query(&format!(
            "SELECT site, sum(e) AS events, sum(p) AS pageviews, sum(h) AS hits, sum(o) AS orphans, sum(v) AS visitors FROM ( \
             SELECT site, toDate(timestamp, 'UTC') AS day, count() AS e, countIf(name = 'pageview') AS p, \
             countIf(session_id != 0) AS h, countIf(session_id = 0) AS o, uniqExactIf(visitor_id, session_id != 0) AS v \
             FROM events WHERE {} GROUP BY site, day) GROUP BY site",
            scope.clause()
        )))
        .fetch_all()
        .await?;
    let sessions: Vec<SessionFigures> = scope
        .bind(db.client().query(&format!(
            "SELECT site, source, sum(sign) AS visits, sum(sign * is_bounce) AS bounces, sum(sign * duration) AS duration, \
             sum(sign * pageviews) AS pageviews, sum(sign * events) AS hits FROM sessions \
             WHERE has(?, site) AND session_id IN (SELECT session_id FROM events WHERE {} AND session_id != 0) \
             GROUP BY site, source",
            scope.clause()
        )).bind(&scope.sites))
        .fetch_all()
        .await?;
    let mut got: BTreeMap<&str, Figures> = BTreeMap::new();
    for e in &events {
        let f = got.entry(e.site.as_str()).or_default();
        (f.events, f.pageviews, f.hits, f.orphans, f.visitors) =
            (e.events, e.pageviews, e.hits, e.orphans, e.visitors);
    }
    for s in &sessions {
        let f = got.entry(s.site.as_str()).or_default();
        f.visits += s.visits;
        f.bounces += s.bounces;
        f.session_pageviews += s.pageviews;
        f.session_hits += s.hits;
        if with_duration {
            *f.duration.get_or_insert(0) += s.duration;
        }
        if s.visits != 0 {
            *f.visits_by_source.entry(s.source.clone()).or_insert(0) += s.visits;
        }
    }
    Ok(codes
        .iter()
        .zip(tallies)
        .map(|(code, t)| {
            let expected = Figures::from_tally(t, with_duration);
            let mut clickhouse = got.remove(code.as_str()).unwrap_or_default();
            if with_duration && clickhouse.duration.is_none() {
                clickhouse.duration = Some(0);
            }
            SiteCheck {
                site: code.clone(),
                ok: expected == clickhouse,
                expected,
                clickhouse,
            }
        })
        .collect())
}
