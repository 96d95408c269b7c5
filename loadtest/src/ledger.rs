//! The generator's books: what was accepted, per site, per visit and per visitor, computed by
//! the collector's rules from the accepted hits alone, so it can be compared with ClickHouse.
//!
//! Rules (DESIGN.md, `collector/src/session.rs`, `collector/src/salt.rs`):
//! - a visit is the hits of one visitor on one site with no gap over the timeout; an
//!   engagement never opens one (with none open it is stored with no session);
//! - a bounce is a visit with exactly one page view; its duration is last hit − first hit;
//! - the visit's source is the class of the hit that opened it;
//! - a visitor id lives one UTC day, but a visit open across midnight keeps the id it had;
//!   visitors are counted per UTC day (the daily rollups' `uniq`), summed over the days:
//!   distinct (id, day of the hit) pairs over hits that belong to a visit.
use crate::model::Kind;
use emc_collector::enrich::referrer::SourceClass;
use serde::Serialize;
use std::collections::HashMap;

/// Visits by source class, in the order of [`SourceClass::ALL`].
pub type Sources = [u64; 5];

fn class_index(c: SourceClass) -> usize {
    SourceClass::ALL.iter().position(|x| *x == c).unwrap_or(0)
}

/// What one site received, as the generator knows it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SiteTally {
    /// Accepted events of every kind.
    pub events: u64,
    pub pageviews: u64,
    /// Events that belong to a visit.
    pub hits: u64,
    /// Engagements that arrived with no visit open.
    pub orphans: u64,
    pub visits: u64,
    pub bounces: u64,
    /// Sum of visit durations, seconds.
    pub duration: u64,
    /// Visitors per UTC day, summed over the days (= visitors for a run within one day).
    pub visitors: u64,
    pub sources: Sources,
}

impl SiteTally {
    pub fn add(&mut self, o: &SiteTally) {
        self.events += o.events;
        self.pageviews += o.pageviews;
        self.hits += o.hits;
        self.orphans += o.orphans;
        self.visits += o.visits;
        self.bounces += o.bounces;
        self.duration += o.duration;
        self.visitors += o.visitors;
        for (a, b) in self.sources.iter_mut().zip(o.sources) {
            *a += b;
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Open {
    start: u32,
    last: u32,
    pageviews: u32,
}

#[derive(Debug, Clone, Copy, Default)]
struct VisitorState {
    open: Option<Open>,
    /// UTC day of the id of the open visit (or of the last one).
    id_day: u32,
    /// The last (id day, hit day) counted as a visitor-day.
    counted: Option<(u32, u32)>,
}

impl VisitorState {
    /// Counts the visitor once per (id, day of the hit); hits come in time order.
    fn count_day(&mut self, day: u32, tally: &mut SiteTally) {
        if self.counted != Some((self.id_day, day)) {
            self.counted = Some((self.id_day, day));
            tally.visitors += 1;
        }
    }
}

/// The books of the visitors one worker owns. Books of disjoint visitors add up.
#[derive(Debug, Clone)]
pub struct Ledger {
    timeout: u32,
    sites: Vec<SiteTally>,
    visitors: HashMap<(u16, u64), VisitorState>,
}

impl Ledger {
    pub fn new(sites: usize, timeout_secs: u32) -> Self {
        Ledger {
            timeout: timeout_secs,
            sites: vec![SiteTally::default(); sites],
            visitors: HashMap::new(),
        }
    }

    /// True when a hit of `visitor` on `site` at `t` would fall within a few seconds of the
    /// session timeout: the collector's clock could decide either way, so the generator avoids it.
    pub fn near_timeout(&self, site: u16, visitor: u64, t: u32) -> bool {
        self.visitors
            .get(&(site, visitor))
            .and_then(|s| s.open)
            .is_some_and(|o| {
                let gap = t.saturating_sub(o.last);
                gap + 3 >= self.timeout && gap <= self.timeout + 3
            })
    }

    /// One accepted hit at Unix second `t`; `class` is the source it would give a new visit.
    pub fn record(&mut self, site: u16, visitor: u64, kind: Kind, class: SourceClass, t: u32) {
        let timeout = self.timeout;
        let tally = &mut self.sites[usize::from(site)];
        let state = self.visitors.entry((site, visitor)).or_default();
        tally.events += 1;
        let pv = u32::from(kind == Kind::PageView);
        let day = t / 86_400;
        if let Some(open) = state
            .open
            .as_mut()
            .filter(|o| t.saturating_sub(o.last) <= timeout)
        {
            open.last = open.last.max(t);
            open.pageviews += pv;
            tally.hits += 1;
            tally.pageviews += u64::from(pv);
            state.count_day(day, tally);
            return;
        }
        if let Some(done) = state.open.take() {
            close(tally, done);
        }
        if kind == Kind::Engagement {
            tally.orphans += 1;
            return;
        }
        state.open = Some(Open {
            start: t,
            last: t,
            pageviews: pv,
        });
        state.id_day = day;
        state.count_day(day, tally);
        tally.visits += 1;
        tally.sources[class_index(class)] += 1;
        tally.hits += 1;
        tally.pageviews += u64::from(pv);
    }

    /// The tallies by site, every open visit closed.
    pub fn finish(mut self) -> Vec<SiteTally> {
        for ((site, _), state) in self.visitors.drain() {
            if let Some(open) = state.open {
                close(&mut self.sites[usize::from(site)], open);
            }
        }
        self.sites
    }

    /// Distinct (site, visitor) pairs seen.
    pub fn pairs(&self) -> usize {
        self.visitors.len()
    }
}

fn close(tally: &mut SiteTally, open: Open) {
    tally.bounces += u64::from(open.pageviews == 1);
    tally.duration += u64::from(open.last - open.start);
}

/// Adds up the books of several workers (their visitors are disjoint).
pub fn merge(parts: impl IntoIterator<Item = Vec<SiteTally>>, sites: usize) -> Vec<SiteTally> {
    let mut out = vec![SiteTally::default(); sites];
    for part in parts {
        for (a, b) in out.iter_mut().zip(&part) {
            a.add(b);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use Kind::*;
    use SourceClass::*;

    const T0: u32 = 1_767_225_600 - 7200; // 2025-12-31 22:00 UTC; midnight is T0 + 7200

    /// (site, visitor, kind, class, seconds after T0), then the expected books of both sites.
    #[test]
    fn books_follow_the_collectors_rules() {
        let steps: &[(u16, u64, Kind, SourceClass, u32)] = &[
            (0, 1, Engagement, Direct, 0),   // no visit open: an orphan, no visitor
            (0, 1, PageView, Organic, 10),   // visit A of visitor 1, organic
            (0, 1, Engagement, Organic, 40), // extends A
            (0, 1, PageView, Direct, 70),    // second page of A
            (0, 2, PageView, Social, 100),   // visit B of visitor 2
            (0, 2, Download, Social, 130),   // custom event: a hit, not a page view; B lasts 30 s
            (1, 1, PageView, Campaign, 100), // the same visitor on another site: its own books
            (0, 1, PageView, Referral, 1870), // exactly the timeout after 70: still A (3 pages, 1860 s)
            (0, 1, PageView, Direct, 3671),   // 1801 s idle: visit C, same visitor id (same day)
            (0, 2, PageView, Direct, 7100),   // visit D at 23:58:20, B was a bounce
            (0, 2, Engagement, Direct, 7250), // 00:00:50: D goes on across midnight with its id,
            // which is seen on the new day too
            (0, 2, PageView, Referral, 12000), // visit E on the new day: a new visitor id
        ];
        let mut ledger = Ledger::new(2, 1800);
        for &(site, visitor, kind, class, dt) in steps {
            ledger.record(site, visitor, kind, class, T0 + dt);
        }
        assert_eq!(ledger.pairs(), 3);
        let got = ledger.finish();
        let want0 = SiteTally {
            events: 11,
            pageviews: 7,
            hits: 10,
            orphans: 1,
            visits: 5,
            bounces: 4,                // B, C, D, E
            duration: 1860 + 30 + 150, // A, B, D (C and E: one hit each)
            visitors: 4,               // v1 day 1; v2: day 1, old id on day 2, new id day 2
            sources: [2, 1, 1, 1, 0],  // direct C D, organic A, social B, referral E
        };
        assert_eq!(got[0], want0);
        let want1 = SiteTally {
            events: 1,
            pageviews: 1,
            hits: 1,
            visits: 1,
            bounces: 1,
            visitors: 1,
            sources: [0, 0, 0, 0, 1],
            ..SiteTally::default()
        };
        assert_eq!(got[1], want1);
    }

    #[test]
    fn hits_near_the_timeout_are_flagged() {
        let mut ledger = Ledger::new(1, 1800);
        ledger.record(0, 9, PageView, Direct, 1000);
        for (t, near) in [
            (1100, false),
            (2796, false),
            (2797, true),
            (2800, true),
            (2803, true),
            (2804, false),
        ] {
            assert_eq!(ledger.near_timeout(0, 9, t), near, "{t}");
        }
        assert!(!ledger.near_timeout(0, 8, 2800), "unknown visitor");
    }

    #[test]
    fn books_of_disjoint_workers_add_up() {
        let mut a = Ledger::new(2, 1800);
        let mut b = Ledger::new(2, 1800);
        a.record(0, 1, PageView, Direct, T0);
        b.record(0, 2, PageView, Organic, T0);
        b.record(1, 2, PageView, Organic, T0);
        let total = merge([a.finish(), b.finish()], 2);
        assert_eq!(
            (total[0].visits, total[0].visitors, total[1].visits),
            (2, 2, 1)
        );
        assert_eq!(total[0].sources, [1, 1, 0, 0, 0]);
    }
}
