//! What never changes during a visit, split in two groups that vary independently — where the
//! visit comes from (site, host, referrer, campaign) and who makes it (geo, browser, screen) —
//! so that each group has few distinct values to share between visits: their product would
//! be nearly one per visit.
use super::set;
use emc_sql::rows::SessionRow;

/// Site, host, referrer, source and campaign of a visit.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct Source {
    site: Box<str>,
    hostname: Box<str>,
    referrer: Box<str>,
    referrer_source: Box<str>,
    source: Box<str>,
    utm: [Box<str>; 5],
    /// Always 0 from the pipeline (the queue sets it per group); kept so rows are as given.
    batch_id: u64,
}

/// Geo, browser, OS, device and screen of a visit.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct Client {
    country_code: Box<str>,
    region: Box<str>,
    city: Box<str>,
    browser: Box<str>,
    os: Box<str>,
    device: Box<str>,
    screen_width: u16,
}

fn take(s: &mut String) -> Box<str> {
    std::mem::take(s).into_boxed_str()
}

/// Moves the fixed attributes out of a new visit's row.
pub(super) fn split(row: &mut SessionRow) -> (Source, Client) {
    let source = Source {
        site: take(&mut row.site),
        hostname: take(&mut row.hostname),
        referrer: take(&mut row.referrer),
        referrer_source: take(&mut row.referrer_source),
        source: take(&mut row.source),
        utm: [
            take(&mut row.utm_source),
            take(&mut row.utm_medium),
            take(&mut row.utm_campaign),
            take(&mut row.utm_content),
            take(&mut row.utm_term),
        ],
        batch_id: row.batch_id,
    };
    let client = Client {
        country_code: take(&mut row.country_code),
        region: take(&mut row.region),
        city: take(&mut row.city),
        browser: take(&mut row.browser),
        os: take(&mut row.os),
        device: take(&mut row.device),
        screen_width: row.screen_width,
    };
    (source, client)
}

impl Source {
    pub(super) fn fill(&self, r: &mut SessionRow) {
        set(&mut r.site, &self.site);
        set(&mut r.hostname, &self.hostname);
        set(&mut r.referrer, &self.referrer);
        set(&mut r.referrer_source, &self.referrer_source);
        set(&mut r.source, &self.source);
        for (to, from) in [
            &mut r.utm_source,
            &mut r.utm_medium,
            &mut r.utm_campaign,
            &mut r.utm_content,
            &mut r.utm_term,
        ]
        .into_iter()
        .zip(&self.utm)
        {
            set(to, from);
        }
        r.batch_id = self.batch_id;
    }
}

impl Client {
    pub(super) fn fill(&self, r: &mut SessionRow) {
        set(&mut r.country_code, &self.country_code);
        set(&mut r.region, &self.region);
        set(&mut r.city, &self.city);
        set(&mut r.browser, &self.browser);
        set(&mut r.os, &self.os);
        set(&mut r.device, &self.device);
        r.screen_width = self.screen_width;
    }
}
