//! The session cache: open sessions in a DashMap keyed by visitor id (which already hashes
//! the site in), cut after `timeout_secs` of idleness measured in event time.
//!
//! Every change of a session yields its previous state with `sign = -1` and its new state
//! with `sign = +1` for the `CollapsingMergeTree`.
//!
//! Memory: an open visit is a 40-byte [`Visit`] (48 with its key in the map): counters, times
//! and `u32` ids into three interning [`Table`]s — where the visit comes from, who makes it
//! (see [`attrs`]) and page paths. A table slot lives while an open visit holds its id; the
//! sweep frees the rest, so the tables stay as large as the distinct values of open visits.
mod attrs;
pub mod persist;
mod table;
#[cfg(test)]
mod tests;

use attrs::{Client, Source};
use dashmap::{DashMap, Entry};
use emc_sql::rows::SessionRow;
use std::sync::Arc;
use table::Table;

/// What a hit contributes to a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HitKind {
    PageView,
    /// The page-hidden ping: a hit for duration, never a page view, never starts a session.
    Engagement,
    Custom,
}

/// The outcome of one hit for the session table. Not boxed: a `Touch` lives only from the
/// cache to the rows it becomes, and boxing would cost an allocation per hit.
#[allow(clippy::large_enum_variant)]
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

/// An open visit as the cache holds it. Times are Unix seconds in event time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Visit {
    session_id: u64,
    start: u32,
    last: u32,
    pageviews: u32,
    events: u32,
    /// Ids in the cache's tables, each held once by this visit.
    source: u32,
    client: u32,
    entry: u32,
    exit: u32,
}

const _: () = assert!(std::mem::size_of::<Visit>() == 40);
const _: () = assert!(
    std::mem::size_of::<(u64, Visit)>() == 48,
    "a map slot: key and visit, no padding"
);

/// What a hit does to the visit open for its visitor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Extend,
    Start,
    Orphan,
}

/// Pure transition: a hit at `now` extends a visit idle at most `timeout_secs`; otherwise it
/// starts one, unless it is an engagement ping (which never opens a visit).
fn step(open: Option<&Visit>, kind: HitKind, now: u32, timeout_secs: u32) -> Step {
    if open.is_some_and(|v| now.saturating_sub(v.last) <= timeout_secs) {
        Step::Extend
    } else if kind == HitKind::Engagement {
        Step::Orphan
    } else {
        Step::Start
    }
}

impl Visit {
    /// The visit after one more hit; `exit` is the page of a page view.
    fn extended(&self, kind: HitKind, now: u32, exit: u32) -> Visit {
        let mut new = *self;
        new.events += 1;
        if kind == HitKind::PageView {
            new.pageviews += 1;
            new.exit = exit;
        }
        // A late hit (out of order in an imported log) never moves the end backwards.
        new.last = self.last.max(now);
        new
    }

    /// Counters and times into a row.
    fn fill(&self, r: &mut SessionRow) {
        r.session_id = self.session_id;
        r.start = self.start;
        r.timestamp = self.last;
        r.pageviews = self.pageviews;
        r.events = self.events;
        r.duration = self.last - self.start;
        r.is_bounce = u8::from(self.pageviews == 1);
        r.sign = 1;
    }
}

/// Open sessions of live traffic (or of one import run).
#[derive(Debug)]
pub struct SessionCache {
    map: DashMap<u64, Visit>,
    sources: Table<Source>,
    clients: Table<Client>,
    paths: Table<str>,
    timeout_secs: u32,
}

impl SessionCache {
    pub fn new(timeout_secs: u32) -> Self {
        SessionCache {
            map: DashMap::new(),
            sources: Table::new(),
            clients: Table::new(),
            paths: Table::new(),
            timeout_secs,
        }
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
    pub fn touch(
        &self,
        visitor: u64,
        kind: HitKind,
        now: u32,
        path: &str,
        fresh: impl FnOnce() -> SessionRow,
    ) -> Touch {
        let entry = self.map.entry(visitor);
        let open = match &entry {
            Entry::Occupied(e) => Some(*e.get()),
            Entry::Vacant(_) => None,
        };
        match (
            step(open.as_ref(), kind, now, self.timeout_secs),
            entry,
            open,
        ) {
            (Step::Extend, Entry::Occupied(mut e), Some(old)) => {
                let page_view = kind == HitKind::PageView;
                let exit = if page_view { self.path(path) } else { old.exit };
                let new = old.extended(kind, now, exit);
                let new_row = self.row(visitor, &new);
                let mut old_row = new_row.clone();
                old.fill(&mut old_row);
                if old.exit != new.exit {
                    self.paths
                        .with(old.exit, |p| set(&mut old_row.exit_page, p));
                }
                e.insert(new);
                if page_view {
                    self.paths.release(old.exit);
                }
                Touch::Extended {
                    old: old_row,
                    new: new_row,
                }
            }
            (Step::Orphan, entry, _) => {
                if let Entry::Occupied(e) = entry {
                    let (_, old) = e.remove_entry();
                    self.release(&old);
                }
                Touch::Orphan
            }
            (_, entry, _) => {
                let new = self.open_visit(fresh(), path, now, kind);
                let row = self.row(visitor, &new);
                match entry {
                    Entry::Occupied(mut e) => {
                        let old = e.insert(new);
                        self.release(&old);
                    }
                    Entry::Vacant(v) => {
                        v.insert(new);
                    }
                }
                Touch::Started(row)
            }
        }
    }

    /// A new visit from its first hit: the attributes of `row` interned, one page so far.
    fn open_visit(&self, mut row: SessionRow, path: &str, now: u32, kind: HitKind) -> Visit {
        let session_id = row.session_id;
        let (source, client) = attrs::split(&mut row);
        let source = self.sources.acquire(&source, || Arc::new(source.clone()));
        let client = self.clients.acquire(&client, || Arc::new(client.clone()));
        let entry = self.path(path);
        self.paths.retain(entry);
        Visit {
            session_id,
            start: now,
            last: now,
            pageviews: u32::from(kind == HitKind::PageView),
            events: 1,
            source,
            client,
            entry,
            exit: entry,
        }
    }

    fn path(&self, path: &str) -> u32 {
        self.paths.acquire(path, || Arc::from(path))
    }

    /// Gives back the ids a visit held.
    fn release(&self, v: &Visit) {
        self.sources.release(v.source);
        self.clients.release(v.client);
        self.paths.release(v.entry);
        self.paths.release(v.exit);
    }

    fn row(&self, visitor: u64, v: &Visit) -> SessionRow {
        let mut r = SessionRow::default();
        self.sources.with(v.source, |s| s.fill(&mut r));
        self.clients.with(v.client, |c| c.fill(&mut r));
        self.paths.with(v.entry, |p| set(&mut r.entry_page, p));
        if v.exit == v.entry {
            r.exit_page.clone_from(&r.entry_page);
        } else {
            self.paths.with(v.exit, |p| set(&mut r.exit_page, p));
        }
        v.fill(&mut r);
        r.visitor_id = visitor;
        r
    }

    /// Forgets sessions idle longer than the timeout at `now`, and the interned values no
    /// open session holds any more; returns how many sessions.
    pub fn sweep(&self, now: u32) -> usize {
        let before = self.map.len();
        let timeout = self.timeout_secs;
        self.map.retain(|_, v| {
            let open = now.saturating_sub(v.last) <= timeout;
            if !open {
                self.release(v);
            }
            open
        });
        // A table only grows; after a peak, give most of it back (each shard rehashes under
        // its lock, a moment per 30 s sweep at most).
        if self.map.len() < self.map.capacity() / 4 {
            self.map.shrink_to_fit();
        }
        self.sources.collect();
        self.clients.collect();
        self.paths.collect();
        before.saturating_sub(self.map.len())
    }

    /// Distinct attribute sets (both groups) and paths currently interned (for tests and
    /// metrics).
    pub fn interned(&self) -> (usize, usize) {
        (self.sources.len() + self.clients.len(), self.paths.len())
    }
}

fn set(to: &mut String, from: &str) {
    to.clear();
    to.push_str(from);
}
