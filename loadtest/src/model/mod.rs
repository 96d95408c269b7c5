//! The traffic model: sites of Zipf-distributed popularity, each a portal whose pages are
//! visited with Zipf-distributed popularity; visits that bounce or go on for a few pages, send
//! an engagement beacon (with the page-load timings) when a page is hidden, and now and then a
//! custom event; entries by the real mix of referrers and campaigns.
//!
//! A [`SessionPlan`] is what a visitor means to do; [`Model::hit`] turns one of its steps into
//! a [`HitSpec`], what the tag would send, from which the wire formats are written.
pub mod catalog;
pub mod population;

use catalog::{Entry, ENTRIES, HEADLINES, PORTALS, SECTIONS, STATIC_PAGES};
use emc_collector::enrich::referrer::SourceClass;
use population::{Population, Visitor};
use rand::distr::weighted::WeightedIndex;
use rand::distr::Distribution;
use rand::Rng;
use rand_distr::{LogNormal, Zipf};

/// Pages per portal (a few static pages, then section pages).
pub const PAGES_PER_SITE: usize = 400;
/// The property every generated hit carries, so a run counts exactly its own rows.
pub const RUN_PROP: &str = "loadtest_run";

/// One registered site of the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteModel {
    pub code: String,
    pub name: String,
    pub domain: String,
}

/// The sites a run uses: `count` portals with codes `{prefix}-{n}` on `{slug}.{prefix}.gov.vn`.
pub fn site_models(prefix: &str, count: usize) -> Vec<SiteModel> {
    (0..count)
        .map(|i| {
            let (slug, name) = PORTALS[i % PORTALS.len()];
            let round = i / PORTALS.len();
            let slug = if round == 0 {
                slug.to_owned()
            } else {
                format!("{slug}{round}")
            };
            let name = if round == 0 {
                name.to_owned()
            } else {
                format!("{name} ({round})")
            };
            SiteModel {
                code: format!("{prefix}-{:03}", i + 1),
                name: format!("{name} [{prefix}]"),
                domain: format!("{slug}.{prefix}.gov.vn"),
            }
        })
        .collect()
}

#[derive(Debug, Clone)]
pub struct Page {
    pub path: String,
    pub title: String,
}

fn pages() -> Vec<Page> {
    let mut out: Vec<Page> = STATIC_PAGES
        .iter()
        .map(|(p, t)| Page {
            path: (*p).into(),
            title: (*t).into(),
        })
        .collect();
    let mut n = 0;
    while out.len() < PAGES_PER_SITE {
        let (section, title) = SECTIONS[n % SECTIONS.len()];
        let headline = HEADLINES[(n / SECTIONS.len()) % HEADLINES.len()];
        if n < SECTIONS.len() {
            out.push(Page {
                path: format!("/{section}"),
                title: title.into(),
            });
        } else {
            out.push(Page {
                path: format!("/{section}/{headline}-{n}.html"),
                title: format!("{title}: {}", headline.replace('-', " ")),
            });
        }
        n += 1;
    }
    out
}

/// Shape of visits.
#[derive(Debug, Clone, Copy)]
pub struct Params {
    /// Share of visits with a single page view.
    pub bounce: f64,
    /// Mean number of further page views of a visit that does not bounce.
    pub extra_pages: f64,
    /// Share of page views followed by an engagement beacon (the page was hidden and it was sent).
    pub engagement: f64,
    /// Share of page views followed by a custom event (a file download).
    pub custom: f64,
    /// Zipf exponents of site and page popularity.
    pub site_skew: f64,
    pub page_skew: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            bounce: 0.55,
            extra_pages: 2.5,
            engagement: 0.6,
            custom: 0.03,
            site_skew: 1.0,
            page_skew: 1.1,
        }
    }
}

/// What a hit is, for the generator's books.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    PageView,
    Engagement,
    Download,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::PageView => "pageview",
            Kind::Engagement => "engagement",
            Kind::Download => "download",
        }
    }
}

/// Page-load timings in milliseconds, as the tag measures them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Timing {
    pub ttfb: u32,
    pub fcp: u32,
    pub lcp: u32,
    pub load: u32,
    pub response: u32,
}

/// One thing a visitor does.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub kind: Kind,
    /// Index into the site's pages.
    pub page: u32,
    /// Which page of the visit this is (0 = the entry page).
    pub page_no: u16,
    pub engaged_ms: u32,
    /// The page's load timings (on its page view step).
    pub timing: Option<Timing>,
    pub emc_label: bool,
    pub dc_full: bool,
}

/// A visit as planned: which site, which visitor, how it arrives, what it does.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionPlan {
    pub site: u16,
    pub visitor: u64,
    pub entry: &'static Entry,
    pub https: bool,
    pub www: bool,
    pub steps: Vec<Step>,
}

impl SessionPlan {
    pub fn pageviews(&self) -> usize {
        self.steps
            .iter()
            .filter(|s| s.kind == Kind::PageView)
            .count()
    }
}

/// Everything one request carries, in wire-neutral form.
#[derive(Debug, Clone)]
pub struct HitSpec<'a> {
    pub site: &'a SiteModel,
    pub site_idx: u16,
    pub visitor_idx: u64,
    pub visitor: Visitor,
    pub kind: Kind,
    pub url: String,
    pub referrer: Option<String>,
    pub title: &'a str,
    pub engaged_ms: Option<u32>,
    /// The timings of the page this hit belongs to: the JSON tag sends them with the page's
    /// engagement, the Matomo tag (`pf_*`) with the page view.
    pub timing: Timing,
    pub emc_label: bool,
    pub dc: &'static [&'static str],
    /// The source class the collector gives a visit that this hit starts.
    pub class: SourceClass,
    /// Identifies the page view for Matomo's `pv_id` (6 characters).
    pub pv_id: String,
    pub run_id: &'a str,
}

const DC_FULL: &[&str] = &[
    "Title",
    "Creator",
    "Subject",
    "Description",
    "Publisher",
    "Date",
    "Type",
    "Identifier",
    "Language",
];
const DC_PART: &[&str] = &["Title", "Date"];

/// The whole model of one run.
#[derive(Debug)]
pub struct Model {
    pub sites: Vec<SiteModel>,
    pub pages: Vec<Page>,
    pub params: Params,
    pub population: Population,
    pub run_id: String,
    site_dist: Zipf<f64>,
    page_dist: Zipf<f64>,
    entry_dist: WeightedIndex<u32>,
    ttfb: LogNormal<f64>,
    paint: LogNormal<f64>,
    response: LogNormal<f64>,
    engaged: LogNormal<f64>,
}

impl Model {
    pub fn new(
        sites: Vec<SiteModel>,
        params: Params,
        salt: u64,
        run_id: String,
    ) -> anyhow::Result<Model> {
        anyhow::ensure!(
            !sites.is_empty() && sites.len() <= usize::from(u16::MAX),
            "between 1 and 65535 sites"
        );
        let pages = pages();
        let lognormal = |median: f64, sigma: f64| LogNormal::new(median.ln(), sigma);
        Ok(Model {
            site_dist: Zipf::new(sites.len() as f64, params.site_skew)?,
            page_dist: Zipf::new(pages.len() as f64, params.page_skew)?,
            entry_dist: WeightedIndex::new(ENTRIES.iter().map(|e| e.weight))?,
            ttfb: lognormal(250.0, 0.6)?,
            paint: lognormal(700.0, 0.6)?,
            response: lognormal(180.0, 0.8)?,
            engaged: lognormal(25_000.0, 1.2)?,
            sites,
            pages,
            params,
            population: Population::new(salt),
            run_id,
        })
    }

    pub fn pick_site(&self, rng: &mut impl Rng) -> u16 {
        (self.site_dist.sample(rng) as usize - 1).min(self.sites.len() - 1) as u16
    }

    fn pick_page(&self, rng: &mut impl Rng) -> u32 {
        (self.page_dist.sample(rng) as usize - 1).min(self.pages.len() - 1) as u32
    }

    fn timing(&self, rng: &mut impl Rng) -> Timing {
        let ms = |d: &LogNormal<f64>, rng: &mut _| d.sample(rng).min(120_000.0) as u32;
        let ttfb = ms(&self.ttfb, rng).max(5);
        let fcp = ttfb + ms(&self.paint, rng);
        let lcp = fcp + ms(&self.paint, rng) / 2;
        let load = lcp + ms(&self.paint, rng);
        Timing {
            ttfb,
            fcp,
            lcp,
            load,
            response: ms(&self.response, rng).max(3),
        }
    }

    /// A visit of `visitor` to `site`: an entry page, then (unless it bounces) a geometric
    /// number of further pages; each page view may be followed by a download and by an
    /// engagement beacon (always the page's last hit, as the tag sends it when the page hides).
    pub fn plan(&self, rng: &mut impl Rng, site: u16, visitor: u64) -> SessionPlan {
        let p = &self.params;
        let mut pages = 1;
        if !rng.random_bool(p.bounce) {
            let go_on = p.extra_pages / (1.0 + p.extra_pages);
            pages += 1;
            while pages < 30 && rng.random_bool(go_on) {
                pages += 1;
            }
        }
        let label = rng.random_bool(0.85);
        let dc_full = rng.random_bool(0.6);
        let mut steps = Vec::with_capacity(pages * 2);
        for page_no in 0..pages as u16 {
            let page = if page_no == 0 && rng.random_bool(0.3) {
                0
            } else {
                self.pick_page(rng)
            };
            let step = |kind, engaged_ms, timing| Step {
                kind,
                page,
                page_no,
                engaged_ms,
                timing,
                emc_label: label,
                dc_full,
            };
            steps.push(step(Kind::PageView, 0, Some(self.timing(rng))));
            if rng.random_bool(p.custom) {
                steps.push(step(Kind::Download, 0, None));
            }
            if rng.random_bool(p.engagement) {
                let engaged = self.engaged.sample(rng).min(1_800_000.0) as u32;
                steps.push(step(Kind::Engagement, engaged, None));
            }
        }
        SessionPlan {
            site,
            visitor,
            entry: &ENTRIES[self.entry_dist.sample(rng)],
            https: rng.random_bool(0.97),
            www: rng.random_bool(0.2),
            steps,
        }
    }

    pub fn page_url(&self, plan: &SessionPlan, page: u32, with_utm: Option<&str>) -> String {
        let site = &self.sites[usize::from(plan.site)];
        let scheme = if plan.https { "https" } else { "http" };
        let www = if plan.www { "www." } else { "" };
        let path = &self.pages[page as usize].path;
        match with_utm {
            Some(q) => format!("{scheme}://{www}{}{path}?{q}", site.domain),
            None => format!("{scheme}://{www}{}{path}", site.domain),
        }
    }

    /// Step `i` of `plan` as the tag would send it.
    pub fn hit<'a>(&'a self, plan: &SessionPlan, i: usize) -> HitSpec<'a> {
        let step = &plan.steps[i];
        let entry_page = step.page_no == 0;
        let url = self.page_url(
            plan,
            step.page,
            if entry_page { plan.entry.utm } else { None },
        );
        // The referrer of a page is the page before it (document.referrer); the first page
        // has the entry's. An internal referrer counts as direct.
        let referrer = if entry_page {
            plan.entry.referrer.map(str::to_owned)
        } else {
            let prev = plan.steps[..i]
                .iter()
                .rev()
                .find(|s| s.page_no == step.page_no - 1)
                .map_or(0, |s| s.page);
            let utm = if step.page_no == 1 {
                plan.entry.utm
            } else {
                None
            };
            Some(self.page_url(plan, prev, utm))
        };
        let class = if entry_page {
            plan.entry.class
        } else {
            SourceClass::Direct
        };
        let pv_seed = population::mix(
            plan.visitor ^ (u64::from(plan.site) << 48) ^ (u64::from(step.page_no) << 32),
        );
        HitSpec {
            site: &self.sites[usize::from(plan.site)],
            site_idx: plan.site,
            visitor_idx: plan.visitor,
            visitor: self.population.visitor(plan.visitor),
            kind: step.kind,
            url,
            referrer,
            title: &self.pages[step.page as usize].title,
            engaged_ms: (step.kind == Kind::Engagement).then_some(step.engaged_ms),
            timing: plan.steps[..=i]
                .iter()
                .rev()
                .find(|s| s.page_no == step.page_no && s.kind == Kind::PageView)
                .and_then(|s| s.timing)
                .unwrap_or_default(),
            emc_label: step.emc_label,
            dc: if step.dc_full { DC_FULL } else { DC_PART },
            class,
            pv_id: pv_id(pv_seed),
            run_id: &self.run_id,
        }
    }
}

fn pv_id(mut x: u64) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    (0..6)
        .map(|_| {
            let c = ALPHABET[(x % ALPHABET.len() as u64) as usize] as char;
            x /= ALPHABET.len() as u64;
            c
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use emc_collector::enrich::user_agent::{UaParser, UaVerdict};
    use rand::SeedableRng;

    fn model(sites: usize) -> Model {
        Model::new(
            site_models("lt", sites),
            Params::default(),
            7,
            "run-1".into(),
        )
        .unwrap()
    }

    #[test]
    fn sites_have_distinct_codes_and_domains() {
        let sites = site_models("lt", 60);
        let codes: std::collections::HashSet<_> = sites.iter().map(|s| &s.code).collect();
        let domains: std::collections::HashSet<_> = sites.iter().map(|s| &s.domain).collect();
        assert_eq!((codes.len(), domains.len()), (60, 60));
        assert_eq!(sites[0].code, "lt-001");
        assert_eq!(sites[0].domain, "hanoi.lt.gov.vn");
        for s in &sites {
            emc_sql::registry::check_id("site code", &s.code).unwrap();
            emc_sql::registry::normalize_domain(&s.domain).unwrap();
        }
    }

    #[test]
    fn plans_start_with_a_page_view_and_engagement_ends_its_page() {
        let m = model(5);
        let mut rng = rand::rngs::SmallRng::seed_from_u64(3);
        let mut bounces = 0;
        let n = 20_000;
        for v in 0..n {
            let site = m.pick_site(&mut rng);
            let plan = m.plan(&mut rng, site, v);
            assert_eq!(plan.steps[0].kind, Kind::PageView);
            assert_eq!(plan.steps[0].page_no, 0);
            bounces += usize::from(plan.pageviews() == 1);
            for (i, s) in plan.steps.iter().enumerate() {
                if s.kind == Kind::Engagement {
                    assert!(plan
                        .steps
                        .get(i + 1)
                        .is_none_or(|n| n.kind == Kind::PageView && n.page_no == s.page_no + 1));
                    assert!(
                        m.hit(&plan, i).timing.load > 0,
                        "the engagement carries its page's timings"
                    );
                }
                assert_eq!(s.timing.is_some(), s.kind == Kind::PageView);
            }
        }
        let share = bounces as f64 / n as f64;
        assert!((0.52..0.58).contains(&share), "bounce share {share}");
    }

    #[test]
    fn site_and_page_popularity_are_skewed() {
        let m = model(20);
        let mut rng = rand::rngs::SmallRng::seed_from_u64(5);
        let mut per_site = [0u32; 20];
        for _ in 0..20_000 {
            per_site[usize::from(m.pick_site(&mut rng))] += 1;
        }
        assert!(per_site[0] > 4 * per_site[10], "{per_site:?}");
        assert!(per_site.iter().all(|&n| n > 0));
    }

    /// The classes the generator expects are the collector's: each entry goes through the
    /// collector's own UTM and referrer steps.
    #[test]
    fn entry_classes_agree_with_the_collector() {
        let m = model(1);
        let domains = vec![m.sites[0].domain.clone()];
        for entry in ENTRIES {
            let plan = SessionPlan {
                site: 0,
                visitor: 1,
                entry,
                https: true,
                www: true,
                steps: vec![],
            };
            let url = url::Url::parse(&m.page_url(&plan, 3, entry.utm)).unwrap();
            let utm = emc_collector::enrich::utm::utm_from_url(&url);
            let got = emc_collector::enrich::referrer::classify(entry.referrer, &utm, &domains);
            assert_eq!(got.class, entry.class, "{entry:?}");
            // A later page of the visit has the previous page as referrer: internal, direct.
            let internal = m.page_url(&plan, 0, None);
            let later = emc_collector::enrich::referrer::classify(
                Some(&internal),
                &Default::default(),
                &domains,
            );
            assert_eq!(later.class, SourceClass::Direct);
        }
        let names: std::collections::HashSet<_> = ENTRIES
            .iter()
            .map(|e| {
                let url = url::Url::parse("https://x.gov.vn/").unwrap();
                emc_collector::enrich::referrer::classify(
                    e.referrer,
                    &emc_collector::enrich::utm::utm_from_url(&url),
                    &[],
                )
                .source
            })
            .collect();
        for wanted in ["Cốc Cốc", "Zalo", "Facebook", "Google", "Báo Mới"] {
            assert!(names.contains(wanted), "the mix includes {wanted}");
        }
    }

    #[test]
    fn entry_weights_are_per_mille() {
        assert_eq!(ENTRIES.iter().map(|e| e.weight).sum::<u32>(), 1000);
    }

    #[test]
    fn every_browser_of_the_pool_is_a_human_to_the_collector() {
        let parser = UaParser::new();
        for ua in catalog::USER_AGENTS {
            assert!(
                matches!(parser.parse(ua.ua), UaVerdict::Human(_)),
                "{}",
                ua.ua
            );
        }
    }

    #[test]
    fn hits_carry_urls_of_the_site_and_the_previous_page_as_referrer() {
        let m = model(3);
        let mut rng = rand::rngs::SmallRng::seed_from_u64(11);
        let plan = (0..)
            .map(|v| m.plan(&mut rng, 1, v))
            .find(|p| p.pageviews() >= 3 && p.entry.utm.is_some())
            .unwrap();
        let first = m.hit(&plan, 0);
        assert!(
            first.url.contains(&m.sites[1].domain) && first.url.contains("utm_"),
            "{}",
            first.url
        );
        assert_eq!(first.referrer.as_deref(), plan.entry.referrer);
        assert_eq!(first.class, SourceClass::Campaign);
        let second = plan.steps.iter().position(|s| s.page_no == 1).unwrap();
        let h = m.hit(&plan, second);
        assert_eq!(
            h.referrer.as_deref(),
            Some(first.url.as_str()),
            "the entry page, with its tags, is the referrer"
        );
        assert_eq!(h.class, SourceClass::Direct);
        assert_eq!(first.pv_id.len(), 6);
    }
}
