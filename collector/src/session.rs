//! The session cache: open sessions in a DashMap keyed by visitor id (which already hashes
//! the site in), cut after `timeout_secs` of idleness measured in event time.
//!
//! Every change of a session yields its previous state with `sign = -1` and its new state
//! with `sign = +1` for the `CollapsingMergeTree`.
use dashmap::DashMap;
use emc_sql::rows::SessionRow;
use std::sync::Arc;

/// What a hit contributes to a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HitKind {
    PageView,
    /// The page-hidden ping: a hit for duration, never a page view, never starts a session.
    Engagement,
    Custom,
}

/// The outcome of one hit for the session table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Touch {
    /// A new session: write `+1`.
    Started(SessionRow),
    /// An open session changed: write `old` with `-1`, then `new` with `+1`.
    Extended { old: SessionRow, new: SessionRow },
    /// An engagement ping with no open session: stored as an event of no session.
    Orphan,
}

impl Touch {
    pub fn session_id(&self) -> u64 {
        match self {
            Touch::Started(r) | Touch::Extended { new: r, .. } => r.session_id,
            Touch::Orphan => 0,
        }
    }

    /// The rows to write, signs set.
    pub fn into_rows(self) -> Vec<SessionRow> {
        match self {
            Touch::Started(mut r) => {
                r.sign = 1;
                vec![r]
            }
            Touch::Extended { mut old, mut new } => {
                old.sign = -1;
                new.sign = 1;
                vec![old, new]
            }
            Touch::Orphan => Vec::new(),
        }
    }
}

/// An open visit as the cache holds it: counters and times, plus what never changes during
/// the visit (source, geo, device…) shared with every other open visit that has the same
/// attributes, and interned page paths. About 70 bytes a visit instead of a full row.
#[derive(Debug, Clone)]
struct OpenSession {
    session_id: u64,
    start: u32,
    last: u32,
    pageviews: u32,
    events: u32,
    attrs: Arc<SessionRow>,
    entry: Arc<str>,
    exit: Arc<str>,
}

impl OpenSession {
    fn row(&self, visitor: u64) -> SessionRow {
        let mut r = SessionRow::clone(&self.attrs);
        r.session_id = self.session_id;
        r.visitor_id = visitor;
        r.start = self.start;
        r.timestamp = self.last;
        r.pageviews = self.pageviews;
        r.events = self.events;
        r.duration = self.last - self.start;
        r.is_bounce = u8::from(self.pageviews == 1);
        r.entry_page = self.entry.to_string();
        r.exit_page = self.exit.to_string();
        r.sign = 1;
        r
    }
}

/// Pure transition: the visit after a hit at `now` (Unix seconds), or `None` when the hit
/// opens nothing (an engagement with no open visit). `fresh` gives a new visit.
fn transition(
    open: Option<&OpenSession>,
    kind: HitKind,
    now: u32,
    path: &Arc<str>,
    timeout_secs: u32,
    fresh: impl FnOnce() -> OpenSession,
) -> Option<OpenSession> {
    if let Some(old) = open.filter(|s| now.saturating_sub(s.last) <= timeout_secs) {
        let mut new = old.clone();
        new.events += 1;
        if kind == HitKind::PageView {
            new.pageviews += 1;
            new.exit = path.clone();
        }
        // A late hit (out of order in an imported log) never moves the end backwards.
        new.last = old.last.max(now);
        return Some(new);
    }
    if kind == HitKind::Engagement {
        return None;
    }
    let mut s = fresh();
    s.start = now;
    s.last = now;
    s.events = 1;
    s.pageviews = u32::from(kind == HitKind::PageView);
    s.entry = path.clone();
    s.exit = path.clone();
    Some(s)
}

/// Shares equal values between open visits; forgets values no visit holds any more.
#[derive(Debug)]
struct Interner<T: ?Sized + Eq + std::hash::Hash> {
    set: DashMap<Arc<T>, ()>,
}

impl<T: ?Sized + Eq + std::hash::Hash> Interner<T> {
    fn new() -> Self {
        Interner { set: DashMap::new() }
    }

    fn get_or_insert(&self, value: &T, make: impl FnOnce() -> Arc<T>) -> Arc<T> {
        if let Some(e) = self.set.get(value) {
            return e.key().clone();
        }
        self.set.entry(make()).or_insert(()).key().clone()
    }

    fn forget_unused(&self) {
        self.set.retain(|k, _| Arc::strong_count(k) > 1);
    }
}

/// Open sessions of live traffic (or of one import run).
#[derive(Debug)]
pub struct SessionCache {
    map: DashMap<u64, OpenSession>,
    attrs: Interner<SessionRow>,
    paths: Interner<str>,
    timeout_secs: u32,
}

impl SessionCache {
    pub fn new(timeout_secs: u32) -> Self {
        SessionCache { map: DashMap::new(), attrs: Interner::new(), paths: Interner::new(), timeout_secs }
    }

    pub fn timeout_secs(&self) -> u32 {
        self.timeout_secs
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// True when `visitor` has a session still open at `now`.
    pub fn is_open(&self, visitor: u64, now: u32) -> bool {
        self.map
            .get(&visitor)
            .is_some_and(|s| now.saturating_sub(s.last) <= self.timeout_secs)
    }

    /// Applies one hit under the map's entry lock (read-modify-write, no await inside).
    /// `fresh` gives the row of a new visit: its id and fixed attributes.
    pub fn touch(&self, visitor: u64, kind: HitKind, now: u32, path: &str, fresh: impl FnOnce() -> SessionRow) -> Touch {
        let timeout = self.timeout_secs;
        let path = self.paths.get_or_insert(path, || Arc::from(path));
        let make = || {
            let mut attrs = fresh();
            let session_id = attrs.session_id;
            for field in [&mut attrs.entry_page, &mut attrs.exit_page] {
                field.clear();
            }
            (attrs.session_id, attrs.visitor_id, attrs.start, attrs.timestamp) = (0, 0, 0, 0);
            (attrs.pageviews, attrs.events, attrs.duration, attrs.is_bounce, attrs.sign) = (0, 0, 0, 0, 1);
            let attrs = self.attrs.get_or_insert(&attrs, || Arc::new(attrs.clone()));
            OpenSession { session_id, start: 0, last: 0, pageviews: 0, events: 0, attrs, entry: path.clone(), exit: path.clone() }
        };
        match self.map.entry(visitor) {
            dashmap::Entry::Occupied(mut e) => {
                let old = e.get();
                let still_open = now.saturating_sub(old.last) <= timeout;
                match transition(Some(old), kind, now, &path, timeout, make) {
                    Some(new) => {
                        let touch = if still_open {
                            Touch::Extended { old: old.row(visitor), new: new.row(visitor) }
                        } else {
                            Touch::Started(new.row(visitor))
                        };
                        e.insert(new);
                        touch
                    }
                    None => {
                        e.remove();
                        Touch::Orphan
                    }
                }
            }
            dashmap::Entry::Vacant(v) => match transition(None, kind, now, &path, timeout, make) {
                Some(new) => {
                    let row = new.row(visitor);
                    v.insert(new);
                    Touch::Started(row)
                }
                None => Touch::Orphan,
            },
        }
    }

    /// Forgets sessions idle longer than the timeout at `now`; returns how many.
    pub fn sweep(&self, now: u32) -> usize {
        let before = self.map.len();
        let timeout = self.timeout_secs;
        self.map.retain(|_, s| now.saturating_sub(s.last) <= timeout);
        self.attrs.forget_unused();
        self.paths.forget_unused();
        before.saturating_sub(self.map.len())
    }

    /// Distinct attribute sets and paths currently shared (for tests and metrics).
    pub fn interned(&self) -> (usize, usize) {
        (self.attrs.set.len(), self.paths.set.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use HitKind::*;

    fn fresh() -> SessionRow {
        SessionRow { site: "s".into(), session_id: 7, visitor_id: 1, source: "organic".into(), ..SessionRow::default() }
    }

    /// (hit kind, seconds since the first hit, path) → expected (session id, pageviews, events,
    /// duration, is_bounce, exit page, rows written)
    #[test]
    fn transitions_with_a_controllable_clock() {
        let cache = SessionCache::new(1800);
        // Ids are drawn only when a session is really started.
        let next_id = std::cell::Cell::new(100);
        let fresh_ids = || {
            || {
                next_id.set(next_id.get() + 1);
                SessionRow { session_id: next_id.get(), ..fresh() }
            }
        };
        let t0 = 1_700_000_000;
        let steps: &[(HitKind, u32, &str, u64, u32, u32, u32, u8, &str, usize)] = &[
            (Engagement, 0, "/", 0, 0, 0, 0, 0, "", 0),              // no session to extend: orphan
            (PageView, 0, "/a", 101, 1, 1, 0, 1, "/a", 1),           // starts, a bounce so far
            (Engagement, 20, "/a", 101, 1, 2, 20, 1, "/a", 2),       // extends duration, still one page view
            (PageView, 60, "/b", 101, 2, 3, 60, 0, "/b", 2),         // second page: no longer a bounce
            (Custom, 1860, "/b", 101, 2, 4, 1860, 0, "/b", 2),       // exactly at the timeout: same session
            (PageView, 3661, "/c", 102, 1, 1, 0, 1, "/c", 1),        // 1801 s idle: a new session
            (PageView, 3600, "/late", 102, 2, 2, 0, 0, "/late", 2),  // out of order: end does not go back
        ];
        for (i, &(kind, dt, path, id, pv, ev, dur, bounce, exit, rows)) in steps.iter().enumerate() {
            let touch = cache.touch(1, kind, t0 + dt, path, fresh_ids());
            assert_eq!(touch.session_id(), id, "step {i}");
            let written = touch.clone().into_rows();
            assert_eq!(written.len(), rows, "step {i}");
            if let Some(new) = written.last() {
                assert_eq!((new.pageviews, new.events, new.duration, new.is_bounce, new.exit_page.as_str()), (pv, ev, dur, bounce, exit), "step {i}");
                assert_eq!(new.sign, 1);
            }
            if let Touch::Extended { old, .. } = &touch {
                assert_eq!(written[0].sign, -1);
                assert_eq!(&written[0].exit_page, &old.exit_page, "step {i}: the -1 row is the previous state");
            }
        }
    }

    #[test]
    fn sign_weighted_sums_give_the_final_state() {
        let cache = SessionCache::new(1800);
        let mut all = Vec::new();
        for (dt, path) in [(0, "/a"), (10, "/b"), (30, "/c")] {
            all.extend(cache.touch(9, PageView, 1000 + dt, path, fresh).into_rows());
        }
        let sum = |f: fn(&SessionRow) -> i64| all.iter().map(|r| i64::from(r.sign) * f(r)).sum::<i64>();
        assert_eq!(sum(|_| 1), 1, "one visit");
        assert_eq!(sum(|r| i64::from(r.pageviews)), 3);
        assert_eq!(sum(|r| i64::from(r.duration)), 30);
        assert_eq!(sum(|r| i64::from(r.is_bounce)), 0);
    }

    #[test]
    fn equal_attributes_and_paths_are_shared_and_forgotten_when_unused() {
        let cache = SessionCache::new(60);
        for v in 0..100u64 {
            cache.touch(v, PageView, 1000, "/trang-chu", move || SessionRow { session_id: v + 1, ..fresh() });
        }
        assert_eq!(cache.interned(), (1, 1), "100 visits, one attribute set, one path");
        cache.sweep(2000);
        assert_eq!(cache.interned(), (0, 0));
    }

    #[test]
    fn sweeping_forgets_idle_sessions_only() {
        let cache = SessionCache::new(60);
        cache.touch(1, PageView, 1000, "/", fresh);
        cache.touch(2, PageView, 1050, "/", fresh);
        assert_eq!(cache.sweep(1100), 1);
        assert!(!cache.is_open(1, 1100));
        assert!(cache.is_open(2, 1100));
    }
}
