use super::*;
use HitKind::*;

fn fresh() -> SessionRow {
    SessionRow {
        site: "s".into(),
        session_id: 7,
        visitor_id: 1,
        source: "organic".into(),
        ..SessionRow::default()
    }
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
            SessionRow {
                session_id: next_id.get(),
                ..fresh()
            }
        }
    };
    let t0 = 1_700_000_000;
    /// (kind, at, path, session id, page views, events, duration, bounce, exit page, rows)
    type Step<'a> = (
        HitKind,
        u32,
        &'a str,
        u64,
        u32,
        u32,
        u32,
        u8,
        &'a str,
        usize,
    );
    let steps: &[Step] = &[
        (Engagement, 0, "/", 0, 0, 0, 0, 0, "", 0), // no session to extend: orphan
        (PageView, 0, "/a", 101, 1, 1, 0, 1, "/a", 1), // starts, a bounce so far
        (Engagement, 20, "/a", 101, 1, 2, 20, 1, "/a", 2), // extends duration, still one page view
        (PageView, 60, "/b", 101, 2, 3, 60, 0, "/b", 2), // second page: no longer a bounce
        (Custom, 1860, "/b", 101, 2, 4, 1860, 0, "/b", 2), // exactly at the timeout: same session
        (PageView, 3661, "/c", 102, 1, 1, 0, 1, "/c", 1), // 1801 s idle: a new session
        (PageView, 3600, "/late", 102, 2, 2, 0, 0, "/late", 2), // out of order: end does not go back
        (Engagement, 5500, "/late", 0, 0, 0, 0, 0, "", 0), // 1900 s idle: the visit is over, orphan
        (Custom, 5500, "/d", 103, 0, 1, 0, 0, "/d", 1), // a custom event opens a visit without a page view
    ];
    for (i, &(kind, dt, path, id, pv, ev, dur, bounce, exit, rows)) in steps.iter().enumerate() {
        let touch = cache.touch(1, kind, t0 + dt, path, fresh_ids());
        assert_eq!(touch.session_id(), id, "step {i}");
        let written = touch.clone().into_rows();
        assert_eq!(written.len(), rows, "step {i}");
        if let Some(new) = written.last() {
            assert_eq!(
                (
                    new.pageviews,
                    new.events,
                    new.duration,
                    new.is_bounce,
                    new.exit_page.as_str()
                ),
                (pv, ev, dur, bounce, exit),
                "step {i}"
            );
            assert_eq!(new.sign, 1);
        }
        if let Touch::Extended { old, .. } = &touch {
            assert_eq!(written[0].sign, -1);
            assert_eq!(
                &written[0].exit_page, &old.exit_page,
                "step {i}: the -1 row is the previous state"
            );
        }
    }
}

#[test]
fn the_minus_one_row_is_exactly_the_previous_plus_one_row() {
    let cache = SessionCache::new(1800);
    let mut previous: Option<SessionRow> = None;
    for (dt, kind, path) in [
        (0, PageView, "/a"),
        (5, Engagement, "/a"),
        (9, PageView, "/b"),
        (12, Custom, "/b"),
        (30, PageView, "/b"),
        (31, PageView, "/c"),
    ] {
        match cache.touch(3, kind, 1000 + dt, path, fresh) {
            Touch::Started(new) => previous = Some(new),
            Touch::Extended { old, new } => {
                assert_eq!(Some(old), previous, "at +{dt}s");
                previous = Some(new);
            }
            Touch::Orphan => panic!("no orphan here"),
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

/// Every fixed attribute of the new visit's row comes back in each row of the visit: none is
/// lost by splitting them into interned groups.
#[test]
fn every_attribute_of_the_first_hit_is_in_every_row() {
    let given = SessionRow {
        site: "227".into(),
        session_id: 42,
        sign: 1,
        visitor_id: 999, // replaced by the cache's key
        start: 5,        // times and counters are the cache's
        timestamp: 6,
        hostname: "www.hanoi.gov.vn".into(),
        entry_page: "/ignored".into(),
        exit_page: "/ignored".into(),
        pageviews: 9,
        events: 9,
        duration: 9,
        is_bounce: 9,
        referrer: "https://coccoc.com/search?q=x".into(),
        referrer_source: "Cốc Cốc".into(),
        source: "organic".into(),
        utm_source: "us".into(),
        utm_medium: "um".into(),
        utm_campaign: "uc".into(),
        utm_content: "ucn".into(),
        utm_term: "ut".into(),
        country_code: "VN".into(),
        region: "Hà Nội".into(),
        city: "Cầu Giấy".into(),
        browser: "Cốc Cốc".into(),
        os: "Windows 10".into(),
        device: "pc".into(),
        screen_width: 1366,
        batch_id: 77,
    };
    let cache = SessionCache::new(1800);
    let Touch::Started(first) = cache.touch(1, PageView, 2000, "/trang-chu", || given.clone())
    else {
        panic!("starts")
    };
    let want = |start, last, pv, ev, entry: &str, exit: &str| SessionRow {
        visitor_id: 1,
        start,
        timestamp: last,
        entry_page: entry.into(),
        exit_page: exit.into(),
        pageviews: pv,
        events: ev,
        duration: last - start,
        is_bounce: u8::from(pv == 1),
        ..given.clone()
    };
    assert_eq!(first, want(2000, 2000, 1, 1, "/trang-chu", "/trang-chu"));
    let Touch::Extended { old, new } =
        cache.touch(1, PageView, 2010, "/tin-tuc", || unreachable!("open"))
    else {
        panic!("extends")
    };
    assert_eq!(old, first);
    assert_eq!(new, want(2000, 2010, 2, 2, "/trang-chu", "/tin-tuc"));
}

#[test]
fn equal_attributes_and_paths_are_shared_and_forgotten_when_unused() {
    let cache = SessionCache::new(60);
    for v in 0..100u64 {
        cache.touch(v, PageView, 1000, "/trang-chu", move || SessionRow {
            session_id: v + 1,
            ..fresh()
        });
    }
    assert_eq!(
        cache.interned(),
        (2, 1),
        "100 visits, one source and one client, one path"
    );
    cache.sweep(2000);
    assert_eq!(cache.interned(), (0, 0));
}

/// Each way a visit ends or moves on gives back what it held: a visit replaced after the
/// timeout, one ended by a late engagement ping, an exit page left for another.
#[test]
fn ids_are_given_back_when_visits_move_on_or_end() {
    let cache = SessionCache::new(60);
    let from = |site: &'static str| {
        move || SessionRow {
            site: site.into(),
            ..fresh()
        }
    };
    cache.touch(1, PageView, 1000, "/a", from("old"));
    cache.touch(1, PageView, 1010, "/b", from("old"));
    cache.touch(1, PageView, 1020, "/c", from("old"));
    cache.touch(1, PageView, 2000, "/d", from("new")); // timed out: a new visit replaces it
    cache.touch(2, PageView, 1000, "/e", from("other"));
    cache.touch(2, Engagement, 2000, "/e", from("other")); // timed out: the visit is dropped
    assert_eq!(cache.len(), 1);
    cache.sweep(2000);
    assert_eq!(
        cache.interned(),
        (2, 1),
        "only visitor 1's new visit is held: its source, client and /d"
    );
    let Touch::Extended { new, .. } = cache.touch(1, PageView, 2001, "/d", from("new")) else {
        panic!("open")
    };
    assert_eq!(
        (
            new.site.as_str(),
            new.entry_page.as_str(),
            new.exit_page.as_str()
        ),
        ("new", "/d", "/d")
    );
}

/// Visits with ever new referrers and pages, closed round after round: the tables hold what
/// the open visits hold, not what was ever seen.
#[test]
fn interning_tables_do_not_grow_with_closed_visits() {
    let cache = SessionCache::new(60);
    for round in 0..30u32 {
        let now = 10_000 + round * 100;
        for v in 0..500u64 {
            let visitor = u64::from(round) * 1000 + v;
            let referrer = format!("https://news.example/{round}/{v}");
            cache.touch(visitor, PageView, now, &format!("/r{round}/a{v}"), || {
                SessionRow {
                    referrer,
                    ..fresh()
                }
            });
            cache.touch(
                visitor,
                PageView,
                now + 1,
                &format!("/r{round}/b{v}"),
                || unreachable!("open"),
            );
        }
        cache.sweep(now);
        assert_eq!(
            cache.len(),
            500,
            "round {round}: the previous round's visits are closed"
        );
        assert_eq!(
            cache.interned(),
            (501, 1000),
            "round {round}: 500 sources + one client, an entry and an exit each"
        );
    }
    cache.sweep(u32::MAX);
    assert_eq!((cache.len(), cache.interned()), (0, (0, 0)));
}

#[test]
fn the_map_gives_memory_back_after_a_peak() {
    let cache = SessionCache::new(60);
    for v in 0..50_000u64 {
        cache.touch(v, PageView, 1000, "/", fresh);
    }
    let peak = cache.map.capacity();
    cache.touch(u64::MAX, PageView, 1100, "/", fresh);
    assert_eq!(cache.sweep(1100), 50_000);
    assert!(
        cache.map.capacity() < peak / 8,
        "{} of {peak} slots kept for one visit",
        cache.map.capacity()
    );
    assert!(cache.is_open(u64::MAX, 1100));
}

#[test]
fn sweeping_forgets_idle_sessions_only() {
    let cache = SessionCache::new(60);
    cache.touch(1, PageView, 1000, "/", fresh);
    cache.touch(2, PageView, 1050, "/", fresh);
    assert_eq!(cache.sweep(1100), 1);
    assert!(!cache.is_open(1, 1100));
    assert!(cache.is_open(2, 1100));
    assert_eq!(cache.interned(), (2, 1), "visitor 2 still holds its values");
}

/// Hits from several threads while another sweeps: every row is whole (no id read after it
/// was freed), and once every visit is closed nothing is left interned.
#[test]
fn concurrent_hits_and_sweeps_keep_the_tables_consistent() {
    let cache = SessionCache::new(5);
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut t = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                cache.sweep(1000 + t % 40);
                t += 1;
            }
        });
        let workers: Vec<_> = (0..3u64)
            .map(|w| {
                let cache = &cache;
                s.spawn(move || {
                    for i in 0..20_000u64 {
                        let visitor = w * 1_000_000 + i % 300;
                        let now = 1000 + (i / 500) as u32;
                        let path = format!("/p{}", i % 37);
                        let kind = [PageView, PageView, Engagement, Custom][(i % 4) as usize];
                        let site = format!("s{}", i % 11);
                        let touch = cache.touch(visitor, kind, now, &path, || SessionRow {
                            site: site.clone(),
                            ..fresh()
                        });
                        for r in touch.into_rows() {
                            assert!(
                                r.site.starts_with('s')
                                    && r.entry_page.starts_with("/p")
                                    && r.exit_page.starts_with("/p"),
                                "{r:?}"
                            );
                            assert_eq!((r.source.as_str(), r.visitor_id), ("organic", visitor));
                        }
                    }
                })
            })
            .collect();
        for w in workers {
            w.join().unwrap();
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
    });
    cache.sweep(u32::MAX);
    assert_eq!((cache.len(), cache.interned()), (0, (0, 0)));
}
