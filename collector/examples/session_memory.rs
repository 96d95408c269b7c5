//! What the session cache costs per open visit, away from HTTP, queue and ClickHouse:
//! `cargo run --release -p emc-collector --example session_memory [-- SESSIONS]` (default 1 M).
//!
//! As `make bench` does, it first opens a tenth of the sessions (the cache and its interning
//! tables reach their working shape), then opens `SESSIONS` more, each the single page view of
//! a new visitor with realistic attributes (Zipf-popular sites and pages, the referrer and
//! campaign mix, provinces and districts, browsers, screens), and prints the growth per session
//! of the bytes live on the heap (jemalloc's `stats.allocated`; jemalloc is the collector's
//! allocator) and of the resident set. Then half of the visits go on for a few pages, and a
//! sweep after the timeout must give (nearly) everything back.
use emc_collector::session::{HitKind, SessionCache};
use emc_sql::rows::SessionRow;
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn rss() -> i64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse::<i64>().ok())
        .unwrap_or(0)
        * 4096
}

/// Bytes the program holds on jemalloc's heap (size classes included).
fn live() -> i64 {
    tikv_jemalloc_ctl::epoch::advance().expect("jemalloc epoch");
    tikv_jemalloc_ctl::stats::allocated::read().expect("jemalloc stats") as i64
}

/// SplitMix64: a deterministic stream, so every run opens the same visits.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// Rank in `0..n`, Zipf-like (exponent about 1): rank r with weight 1/(r+1).
    fn zipf(&mut self, n: usize) -> usize {
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        (((n as f64 + 1.0).powf(u) - 1.0) as usize).min(n - 1)
    }
}

const SITES: usize = 60;
const PAGES_PER_SITE: usize = 400;
const SECTIONS: &[&str] = &[
    "tin-tuc",
    "thong-bao",
    "van-ban",
    "thu-tuc-hanh-chinh",
    "gioi-thieu",
    "lien-he",
    "su-kien",
    "chinh-sach",
];
const PROVINCES: &[&str] = &[
    "Hà Nội",
    "Hồ Chí Minh",
    "Đà Nẵng",
    "Hải Phòng",
    "Cần Thơ",
    "Nghệ An",
    "Thanh Hóa",
    "Đồng Nai",
    "Bình Dương",
    "Quảng Ninh",
    "Khánh Hòa",
    "Lâm Đồng",
    "Thừa Thiên Huế",
    "Bắc Ninh",
    "Hải Dương",
    "Nam Định",
    "Thái Bình",
    "Gia Lai",
    "Đắk Lắk",
    "An Giang",
];
/// (browser, os, device, mobile)
const AGENTS: &[(&str, &str, &str, bool)] = &[
    ("Chrome", "Android", "smartphone", true),
    ("Chrome", "Windows 10", "pc", false),
    ("Safari", "iOS", "smartphone", true),
    ("Cốc Cốc", "Windows 10", "pc", false),
    ("Cốc Cốc", "Android", "smartphone", true),
    ("Samsung Internet", "Android", "smartphone", true),
    ("Edge", "Windows 11", "pc", false),
    ("Firefox", "Windows 10", "pc", false),
    ("Zalo", "Android", "smartphone", true),
    ("Facebook", "iOS", "smartphone", true),
    ("Safari", "Mac OSX", "pc", false),
    ("Chrome", "iPadOS", "tablet", true),
    ("Chrome", "Linux", "pc", false),
    ("Opera", "Windows 7", "pc", false),
];
const MOBILE_WIDTHS: &[u16] = &[360, 375, 390, 393, 412, 414, 428];
const DESKTOP_WIDTHS: &[u16] = &[1280, 1366, 1440, 1536, 1600, 1920, 2560];
/// (source class, referrer, referrer source, utm source, medium, campaign)
const ENTRIES: &[(&str, &str, &str, &str, &str, &str)] = &[
    ("direct", "", "", "", "", ""),
    ("organic", "https://www.google.com/", "Google", "", "", ""),
    ("organic", "https://coccoc.com/", "Cốc Cốc", "", "", ""),
    ("organic", "https://www.bing.com/", "Bing", "", "", ""),
    ("social", "https://l.facebook.com/", "Facebook", "", "", ""),
    ("social", "https://zalo.me/", "Zalo", "", "", ""),
    ("referral", "https://baomoi.com/", "Báo Mới", "", "", ""),
    (
        "referral",
        "https://vnexpress.net/",
        "vnexpress.net",
        "",
        "",
        "",
    ),
    (
        "campaign",
        "",
        "zalo-oa",
        "zalo-oa",
        "social",
        "dich-vu-cong-2025",
    ),
    (
        "campaign",
        "https://l.facebook.com/",
        "facebook",
        "facebook",
        "cpc",
        "chuyen-doi-so",
    ),
];
const ENTRY_WEIGHTS: &[usize] = &[330, 300, 120, 10, 90, 40, 40, 30, 25, 15];

struct Generator {
    rng: Rng,
    paths: Vec<String>,
}

impl Generator {
    fn new() -> Self {
        let mut paths = vec!["/".to_owned()];
        paths.extend(SECTIONS.iter().map(|s| format!("/{s}")));
        let mut n = 0;
        while paths.len() < PAGES_PER_SITE {
            paths.push(format!(
                "/{}/bai-viet-so-{n}-ve-chuyen-doi-so-quoc-gia.html",
                SECTIONS[n % SECTIONS.len()]
            ));
            n += 1;
        }
        Generator { rng: Rng(7), paths }
    }

    fn site(&mut self) -> usize {
        self.rng.zipf(SITES)
    }

    fn path(&mut self) -> &str {
        let i = if self.rng.below(10) < 3 {
            0
        } else {
            self.rng.zipf(PAGES_PER_SITE)
        };
        &self.paths[i]
    }

    /// The fixed attributes of a new visit to `site`, as `pipeline::steps::session_row` makes them.
    fn row(&mut self, site: usize) -> SessionRow {
        let r = &mut self.rng;
        let mut pick = r.below(1000);
        let entry = ENTRY_WEIGHTS.iter().position(|&w| {
            pick < w || {
                pick -= w;
                false
            }
        });
        let (class, mut referrer, source, utm_source, utm_medium, utm_campaign) =
            ENTRIES[entry.unwrap_or(0)];
        // One referral in ten links from an article of its own, not from a home page.
        let article;
        if class == "referral" && r.below(10) == 0 {
            article = format!("{referrer}tin-tuc/bai-{}.html", r.below(20_000));
            referrer = &article;
        }
        let (browser, os, device, mobile) = AGENTS[r.zipf(AGENTS.len())];
        let widths = if mobile {
            MOBILE_WIDTHS
        } else {
            DESKTOP_WIDTHS
        };
        let abroad = r.below(50) == 0;
        let province = PROVINCES[r.zipf(PROVINCES.len())];
        let district = r.zipf(12);
        SessionRow {
            site: format!("{:03}", 100 + site),
            session_id: r.next().max(1),
            sign: 1,
            hostname: format!(
                "{}portal{site}.gov.vn",
                if r.below(5) == 0 { "www." } else { "" }
            ),
            referrer: referrer.to_owned(),
            referrer_source: source.to_owned(),
            source: class.to_owned(),
            utm_source: utm_source.to_owned(),
            utm_medium: utm_medium.to_owned(),
            utm_campaign: utm_campaign.to_owned(),
            country_code: if abroad { "US".into() } else { "VN".into() },
            region: if abroad {
                "California".into()
            } else {
                province.into()
            },
            city: if abroad {
                "Los Angeles".into()
            } else {
                format!("{province} {district}")
            },
            browser: browser.into(),
            os: os.into(),
            device: device.into(),
            screen_width: widths[r.below(widths.len())],
            ..SessionRow::default()
        }
    }
}

struct Probe {
    live: i64,
    rss: i64,
}

impl Probe {
    fn now() -> Self {
        Probe {
            live: live(),
            rss: rss(),
        }
    }
    fn per(&self, n: usize) -> (f64, f64) {
        (
            (live() - self.live) as f64 / n as f64,
            (rss() - self.rss) as f64 / n as f64,
        )
    }
}

fn main() {
    let sessions: usize = std::env::args()
        .nth(1)
        .map_or(1_000_000, |a| a.parse().expect("SESSIONS is a number"));
    let start_heap = live();
    let timeout = 1800;
    let t0: u32 = 1_760_000_000;
    let cache = SessionCache::new(timeout);
    let mut g = Generator::new();
    let mut visitors = Rng(42);
    let mut open = Vec::with_capacity(sessions + sessions / 10);
    let mut start = |g: &mut Generator, i: usize| {
        let visitor = visitors.next();
        let site = g.site();
        let row = g.row(site);
        let path = g.path().to_owned();
        let now = t0 + (i / 1000) as u32;
        cache.touch(visitor, HitKind::PageView, now, &path, || SessionRow {
            visitor_id: visitor,
            ..row
        });
        visitor
    };
    let prime = (sessions / 10).max(1);
    for i in 0..prime {
        let _ = start(&mut g, i);
    }
    let base = Probe::now();
    let mut visitors_opened = Vec::with_capacity(sessions);
    for i in 0..sessions {
        visitors_opened.push(start(&mut g, prime + i));
    }
    // The list of visitors is the example's, not the cache's.
    let list = (visitors_opened.capacity() * 8) as f64 / sessions as f64;
    let (heap, resident) = base.per(sessions);
    let (attrs, paths) = cache.interned();
    println!("open sessions            {}", cache.len());
    println!("heap per new session     {:.1} bytes", heap - list);
    println!("rss per new session      {:.1} bytes", resident - list);
    println!("interned                 {attrs} attribute sets, {paths} paths");
    open.extend(visitors_opened);

    // Half the visits go on for a few pages: exit pages change, nothing else should grow much.
    let later = Probe::now();
    let now = t0 + ((prime + sessions) / 1000) as u32 + 60;
    for (k, &visitor) in open.iter().enumerate().filter(|(k, _)| k % 2 == 0) {
        for _ in 0..1 + k % 3 {
            let path = g.path().to_owned();
            cache.touch(visitor, HitKind::PageView, now, &path, || {
                unreachable!("the visit is open")
            });
        }
    }
    let (heap, _) = later.per(sessions);
    println!("heap per session after further page views {heap:+.1} bytes");

    let swept = cache.sweep(now + timeout + 1);
    let (attrs, paths) = cache.interned();
    println!(
        "sweep after the timeout  {swept} closed, {} open, interned left {attrs} + {paths}, heap above the start {:.1} MB",
        cache.len(),
        (live() - start_heap - (open.capacity() * 8) as i64) as f64 / 1e6
    );
}
