//! One cold page load in a fresh tab, and the checks made of the loads.
use crate::checks::CheckResult;
use anyhow::Context;
use chromiumoxide::cdp::browser_protocol::network::{
    EnableParams, EventResponseReceived, SetCacheDisabledParams,
};
use chromiumoxide::cdp::browser_protocol::page::SetBypassCspParams;
use chromiumoxide::cdp::browser_protocol::target::CreateTargetParams;
use chromiumoxide::cdp::js_protocol::runtime::EvaluateParams;
use emc_sql::scan::{Check, Outcome};
use futures::StreamExt;
use serde::Deserialize;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use url::Url;

/// Circular 22's page-speed thresholds, milliseconds (exclusive: a value must be below).
#[derive(Debug, Clone, Copy)]
pub struct Thresholds {
    pub ttfb: f64,
    pub fcp: f64,
    pub lcp: f64,
    pub load: f64,
}

pub const THRESHOLDS: Thresholds = Thresholds {
    ttfb: 600.0,
    fcp: 3000.0,
    lcp: 4000.0,
    load: 5800.0,
};

/// Where a tag sends its beacons on the collector (EMC's API, the Matomo-compatible ones).
pub const BEACON_PATHS: [&str; 3] = ["/api/event", "/tracking", "/matomo.php"];

/// How long after `load` the tag's beacon is waited for.
const BEACON_WAIT: Duration = Duration::from_secs(5);

/// Timings of one load, milliseconds from navigation start.
#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize)]
pub struct Load {
    pub ttfb: Option<f64>,
    pub fcp: Option<f64>,
    pub lcp: Option<f64>,
    pub load: Option<f64>,
    /// The tab was not visible when the timings were read (a hidden page paints nothing, so
    /// it has no FCP or LCP); every tab gets its own window so that this should not happen.
    #[serde(default)]
    pub hidden: bool,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Violation {
    pub id: String,
    pub impact: String,
    pub nodes: u32,
}

/// What only the first load looks at.
#[derive(Debug, Clone, Default)]
pub struct FirstLoad {
    /// The collector's answers to beacons ([`BEACON_PATHS`]): (url, status).
    pub beacons: Vec<(String, i64)>,
    pub label_visible: bool,
    pub axe: Option<Result<Vec<Violation>, String>>,
}

/// Reads the timings once the load event has fired. First paint can come after `load` on a
/// busy machine, so the paint entry is waited for (up to 3 s), not assumed.
const TIMINGS_JS: &str = r#"new Promise(resolve => {
  let lcp = null;
  try {
    new PerformanceObserver(l => { const e = l.getEntries(); if (e.length) lcp = e[e.length - 1].startTime; })
      .observe({type: 'largest-contentful-paint', buffered: true});
  } catch (e) {}
  const started = performance.now();
  const read = () => {
    const n = performance.getEntriesByType('navigation')[0];
    const p = performance.getEntriesByName('first-contentful-paint')[0];
    if (!p && performance.now() - started < 3000) { setTimeout(read, 50); return; }
    setTimeout(() => resolve({ttfb: n ? n.responseStart : null,
      load: n && n.loadEventEnd > 0 ? n.loadEventEnd : null,
      fcp: p ? p.startTime : null, lcp: lcp, hidden: document.visibilityState !== 'visible'}), 100);
  };
  read();
})"#;

const LOADED_JS: &str = "(() => { const n = performance.getEntriesByType('navigation')[0]; return !!n && n.loadEventEnd > 0; })()";

const LABEL_JS: &str = r#"(() => {
  const want = 'đã kết nối emc';
  const els = Array.from(document.querySelectorAll('#btnEMC,[data-emc-label]'));
  for (const e of document.body ? document.body.querySelectorAll('*') : []) {
    if (e.children.length === 0 && e.textContent.trim().replace(/\s+/g, ' ').toLowerCase() === want) els.push(e);
  }
  return els.some(e => {
    const r = e.getBoundingClientRect(), s = getComputedStyle(e);
    return e.getClientRects().length > 0 && r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.opacity !== '0';
  });
})()"#;

const AXE_RUN_JS: &str = r#"axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}, resultTypes: ['violations']})
  .then(r => r.violations.map(v => ({id: v.id, impact: v.impact || 'minor', nodes: v.nodes.length})))"#;

async fn eval<T: serde::de::DeserializeOwned>(
    page: &chromiumoxide::Page,
    js: &str,
) -> anyhow::Result<T> {
    let params = EvaluateParams::builder()
        .expression(js)
        .await_promise(true)
        .return_by_value(true)
        .build()
        .map_err(anyhow::Error::msg)?;
    Ok(page.evaluate_expression(params).await?.into_value()?)
}

fn same_origin(a: &Url, b: &Url) -> bool {
    a.host_str() == b.host_str() && a.port_or_known_default() == b.port_or_known_default()
}

/// Loads `url` in a fresh tab with the cache off. On the first load (`axe` given), also waits
/// for the tag's beacon, looks at the label and runs axe-core.
pub async fn load(
    browser: &chromiumoxide::Browser,
    url: &Url,
    collector: &Url,
    axe: Option<&Result<Arc<str>, String>>,
) -> anyhow::Result<(Load, FirstLoad)> {
    // A window per tab: two tabs in one window would hide one of them, and a hidden page
    // reports no paint timings. The windows cost memory (scanner_bench, 20 sites: peak PSS
    // 592 MiB against 444 MiB with tabs in one window), not time (0.83 against 0.85 sites/s).
    let target = CreateTargetParams {
        new_window: Some(true),
        width: Some(1366),
        height: Some(768),
        ..CreateTargetParams::new("about:blank")
    };
    let page = browser.new_page(target).await.context("a new tab")?;
    let result = measure(&page, url, collector, axe).await;
    let _ = page.close().await;
    result
}

async fn measure(
    page: &chromiumoxide::Page,
    url: &Url,
    collector: &Url,
    axe: Option<&Result<Arc<str>, String>>,
) -> anyhow::Result<(Load, FirstLoad)> {
    page.execute(EnableParams::default()).await?;
    page.execute(SetCacheDisabledParams::new(true)).await?;
    page.execute(SetBypassCspParams::new(true)).await?;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut responses = page.event_listener::<EventResponseReceived>().await?;
    let sink = seen.clone();
    let collector_origin = collector.clone();
    let listener = tokio::spawn(async move {
        while let Some(e) = responses.next().await {
            let beacon = Url::parse(&e.response.url).is_ok_and(|u| {
                same_origin(&u, &collector_origin) && BEACON_PATHS.contains(&u.path())
            });
            if beacon {
                sink.lock()
                    .expect("beacon list")
                    .push((e.response.url.clone(), e.response.status));
            }
        }
    });
    let deadline = Instant::now() + super::LOAD_TIMEOUT;
    let outcome = async {
        tokio::time::timeout(super::LOAD_TIMEOUT, page.goto(url.as_str()))
            .await
            .map_err(|_| anyhow::anyhow!("the page did not load within {:?}", super::LOAD_TIMEOUT))?
            .with_context(|| format!("loading {url}"))?;
        while !eval::<bool>(page, LOADED_JS).await.unwrap_or(false) {
            anyhow::ensure!(
                Instant::now() < deadline,
                "no load event within {:?}",
                super::LOAD_TIMEOUT
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let timings: Load = eval(page, TIMINGS_JS).await.context("reading timings")?;
        let mut first = FirstLoad::default();
        if let Some(axe) = axe {
            let wait_until = Instant::now() + BEACON_WAIT;
            while Instant::now() < wait_until
                && !seen
                    .lock()
                    .expect("beacon list")
                    .iter()
                    .any(|b| (200..300).contains(&b.1))
            {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            first.label_visible = eval(page, LABEL_JS).await.unwrap_or(false);
            first.axe = Some(match axe {
                Ok(source) => run_axe(page, source).await.map_err(|e| format!("{e:#}")),
                Err(e) => Err(e.clone()),
            });
        }
        anyhow::Ok((timings, first))
    }
    .await;
    listener.abort();
    let (timings, mut first) = outcome?;
    first.beacons = seen.lock().expect("beacon list").clone();
    Ok((timings, first))
}

async fn run_axe(page: &chromiumoxide::Page, source: &str) -> anyhow::Result<Vec<Violation>> {
    let params = EvaluateParams::builder()
        .expression(source)
        .build()
        .map_err(anyhow::Error::msg)?;
    page.evaluate_expression(params)
        .await
        .context("injecting axe-core")?;
    eval(page, AXE_RUN_JS).await.context("running axe-core")
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied()
}

/// `ttfb`, `fcp`, `lcp`, `load`: the median of the loads against the thresholds.
pub fn timing_checks(loads: &[Load], t: &Thresholds) -> Vec<CheckResult> {
    type Metric = fn(&Load) -> Option<f64>;
    let metrics: [(Check, Metric, f64); 4] = [
        (Check::Ttfb, |l| l.ttfb, t.ttfb),
        (Check::Fcp, |l| l.fcp, t.fcp),
        (Check::Lcp, |l| l.lcp, t.lcp),
        (Check::Load, |l| l.load, t.load),
    ];
    metrics
        .iter()
        .map(|(check, get, limit)| {
            let values: Vec<f64> = loads.iter().filter_map(get).collect();
            let listed = values
                .iter()
                .map(|v| format!("{v:.0}"))
                .collect::<Vec<_>>()
                .join(", ");
            match median(values.clone()) {
                None if loads.iter().any(|l| l.hidden) => CheckResult::error(
                    *check,
                    "not measured: the page was hidden in the browser (a hidden page paints nothing)",
                ),
                None => CheckResult::error(*check, "not measured by the browser"),
                Some(m) => CheckResult::verdict(
                    *check,
                    m < *limit,
                    format!("{m:.0}"),
                    format!(
                        "median of {} cold loads ({listed} ms); must be under {limit:.0} ms",
                        values.len()
                    ),
                ),
            }
        })
        .collect()
}

pub fn tag_fires(first: &FirstLoad, collector: &Url) -> CheckResult {
    let c = Check::TagFires;
    match first.beacons.iter().find(|b| (200..300).contains(&b.1)) {
        Some((url, status)) => CheckResult::pass(c, status.to_string(), url.clone()),
        None => match first.beacons.first() {
            Some((url, status)) => CheckResult::fail(
                c,
                status.to_string(),
                format!("the collector answered {status} to {url}"),
            ),
            None => CheckResult::fail(
                c,
                "",
                format!(
                    "no request reached {} within {} s of the load event",
                    collector.origin().ascii_serialization(),
                    BEACON_WAIT.as_secs()
                ),
            ),
        },
    }
}

pub fn label(first: &FirstLoad) -> CheckResult {
    let c = Check::LabelVisible;
    if first.label_visible {
        CheckResult::pass(c, "visible", "rendered with a layout box in Chromium")
    } else {
        CheckResult::fail(
            c,
            "",
            "no visible \"Đã kết nối EMC\" label after the page loaded",
        )
    }
}

pub fn a11y(first: &FirstLoad) -> CheckResult {
    let c = Check::A11y;
    let Some(result) = &first.axe else {
        return CheckResult::error(c, "axe-core did not run");
    };
    match result {
        Err(e) => CheckResult::error(c, e.clone()),
        Ok(violations) => {
            let count = |impact: &str| violations.iter().filter(|v| v.impact == impact).count();
            let (critical, serious) = (count("critical"), count("serious"));
            let value = format!(
                "critical {critical}, serious {serious}, moderate {}, minor {}",
                count("moderate"),
                count("minor")
            );
            let detail = violations
                .iter()
                .map(|v| format!("{} ({}, {} nodes)", v.id, v.impact, v.nodes))
                .collect::<Vec<_>>()
                .join("; ");
            let outcome = if critical + serious == 0 {
                Outcome::Pass
            } else {
                Outcome::Fail
            };
            CheckResult::new(c, outcome, value, detail)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_against_thresholds() {
        let l = |ttfb, fcp, lcp, load| Load {
            ttfb: Some(ttfb),
            fcp: Some(fcp),
            lcp,
            load: Some(load),
            hidden: false,
        };
        let loads = [
            l(100.0, 900.0, Some(5100.0), 5200.0),
            l(700.0, 3100.0, Some(5050.0), 5300.0),
            l(650.0, 950.0, None, 9000.0),
        ];
        let r = timing_checks(&loads, &THRESHOLDS);
        let got: Vec<(Check, Outcome, &str)> = r
            .iter()
            .map(|c| (c.check, c.outcome, c.value.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (Check::Ttfb, Outcome::Fail, "650"),
                (Check::Fcp, Outcome::Pass, "950"),
                (Check::Lcp, Outcome::Fail, "5100"),
                (Check::Load, Outcome::Pass, "5300"),
            ]
        );
    }
}
