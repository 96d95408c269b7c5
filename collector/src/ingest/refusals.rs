//! Refused requests, counted in memory and written to the connection log as rows with a
//! `count`: one row per (minute, site, endpoint, status, reason, client network, refused
//! hostname) and drain. A refusal never costs an `fdatasync` or a byte of spool, so a flood of
//! bad or rate-limited requests during a ClickHouse outage cannot fill the spool that the
//! accepted beacons need.
//!
//! The sink drains the counts with each batch ([`Refusals::drain`]) and inserts them with the
//! batch's retries. They are not durable: a `kill -9`, or a stop while ClickHouse is away,
//! loses the counts not yet inserted (never an accepted beacon). Memory is bounded: past
//! [`MAX_KEYS`] distinct keys, new keys are counted under the minute's key with site, network
//! and hostname left empty, so the totals stay exact.
use crate::client_ip::truncate;
use emc_sql::rows::ConnectionLogRow;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

/// Most distinct keys held between two drains.
pub const MAX_KEYS: usize = 50_000;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    minute: u32,
    site: String,
    endpoint: &'static str,
    status: u16,
    reason: &'static str,
    client_net: String,
    hostname: String,
}

#[derive(Debug)]
struct Tally {
    count: u64,
    bytes: u64,
    latency_us: u32,
    /// The first request's, as a sample.
    user_agent: String,
}

/// One refused request, as the connection log sees it.
#[derive(Debug, Clone)]
pub struct Refusal<'a> {
    pub received_at: u32,
    pub site: &'a str,
    pub endpoint: &'static str,
    pub status: u16,
    pub reason: &'static str,
    pub hostname: &'a str,
    pub client_ip: IpAddr,
    pub user_agent: &'a str,
    pub bytes: usize,
    pub latency_us: u32,
}

#[derive(Debug, Default)]
pub struct Refusals {
    tallies: Mutex<HashMap<Key, Tally>>,
}

impl Refusals {
    pub fn record(&self, r: &Refusal<'_>) {
        let mut key = Key {
            minute: r.received_at - r.received_at % 60,
            site: r.site.chars().take(64).collect(),
            endpoint: r.endpoint,
            status: r.status,
            reason: r.reason,
            client_net: truncate(r.client_ip),
            hostname: r.hostname.chars().take(256).collect(),
        };
        let Ok(mut map) = self.tallies.lock() else {
            return;
        };
        if map.len() >= MAX_KEYS && !map.contains_key(&key) {
            key.site.clear();
            key.client_net.clear();
            key.hostname.clear();
        }
        let t = map.entry(key).or_insert_with(|| Tally {
            count: 0,
            bytes: 0,
            latency_us: 0,
            user_agent: r.user_agent.chars().take(512).collect(),
        });
        t.count += 1;
        t.bytes += r.bytes as u64;
        t.latency_us = t.latency_us.max(r.latency_us);
    }

    /// Refused requests counted and not drained yet.
    pub fn pending(&self) -> u64 {
        self.tallies
            .lock()
            .map(|m| m.values().map(|t| t.count).sum())
            .unwrap_or(0)
    }

    /// Everything counted so far, as connection-log rows (`batch_id` left to the sink).
    pub fn drain(&self) -> Vec<ConnectionLogRow> {
        let map = match self.tallies.lock() {
            Ok(mut m) if !m.is_empty() => std::mem::take(&mut *m),
            _ => return Vec::new(),
        };
        map.into_iter()
            .map(|(k, t)| ConnectionLogRow {
                received_at: k.minute,
                received_ms: 0,
                site: k.site,
                endpoint: k.endpoint.to_owned(),
                status: k.status,
                reason: k.reason.to_owned(),
                hostname: k.hostname,
                client_net: k.client_net,
                user_agent: t.user_agent,
                bytes: t.bytes.min(u64::from(u32::MAX)) as u32,
                latency_us: t.latency_us,
                batch_id: 0,
                count: t.count.min(u64::from(u32::MAX)) as u32,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal<'a>(at: u32, ip: &str, status: u16, hostname: &'a str) -> Refusal<'a> {
        Refusal {
            received_at: at,
            site: "227",
            endpoint: "event",
            status,
            reason: if status == 403 {
                "hostname_mismatch"
            } else {
                "malformed"
            },
            hostname,
            client_ip: ip.parse().unwrap(),
            user_agent: "ua",
            bytes: 10,
            latency_us: 7,
        }
    }

    #[test]
    fn one_row_per_minute_network_and_reason_with_its_count() {
        let r = Refusals::default();
        // 3 in minute 0 from one /24, 1 from another /24, 2 in minute 1, 1 foreign hostname.
        for (at, ip) in [
            (0, "10.0.0.1"),
            (30, "10.0.0.2"),
            (59, "10.0.0.3"),
            (10, "10.0.1.1"),
            (60, "10.0.0.1"),
            (119, "10.0.0.1"),
        ] {
            r.record(&refusal(at, ip, 400, ""));
        }
        r.record(&refusal(61, "10.0.0.1", 403, "evil.example"));
        assert_eq!(r.pending(), 7);
        let mut rows: Vec<_> = r
            .drain()
            .into_iter()
            .map(|c| {
                (
                    c.received_at,
                    c.client_net,
                    c.status,
                    c.hostname,
                    c.count,
                    c.bytes,
                )
            })
            .collect();
        rows.sort();
        assert_eq!(
            rows,
            vec![
                (0, "10.0.0.0/24".into(), 400, "".into(), 3, 30),
                (0, "10.0.1.0/24".into(), 400, "".into(), 1, 10),
                (60, "10.0.0.0/24".into(), 400, "".into(), 2, 20),
                (60, "10.0.0.0/24".into(), 403, "evil.example".into(), 1, 10),
            ]
        );
        assert_eq!(r.pending(), 0);
        assert!(r.drain().is_empty());
    }

    #[test]
    fn past_the_key_budget_counts_stay_exact() {
        let r = Refusals::default();
        let n = MAX_KEYS as u32 + 1000;
        for i in 0..n {
            let ip = std::net::Ipv4Addr::from(i << 8).to_string();
            r.record(&refusal(0, &ip, 400, ""));
        }
        let rows = r.drain();
        assert_eq!(rows.len(), MAX_KEYS + 1, "one overflow key");
        assert_eq!(
            rows.iter().map(|c| u64::from(c.count)).sum::<u64>(),
            u64::from(n)
        );
        let overflow = rows.iter().find(|c| c.client_net.is_empty()).unwrap();
        assert_eq!(overflow.count, 1000);
    }
}
