//! The links of a report page: each keeps the whole view (range, interval, filters, chart
//! metric, selected tabs) but for what it changes.
use super::metric::Metric;
use crate::params::{Filters, ReportParams};
use crate::scope::Target;

/// What a report page shows, as its query string says.
pub struct View<'a> {
    pub base: &'a str,
    pub p: &'a ReportParams,
    pub metric: Metric,
    /// The `tab=` values of the request (the selected tab of each card, when not its first).
    pub tabs: Vec<String>,
}

impl View<'_> {
    /// `base?…` with `filters`, `metric` and `tabs` instead of the current ones.
    pub fn href_with(&self, filters: &Filters, metric: Metric, tabs: &[&str]) -> String {
        let mut ser = form_urlencoded::Serializer::new(String::new());
        ser.append_pair("from", &self.p.range.from_str())
            .append_pair("to", &self.p.range.to_str())
            .append_pair("interval", self.p.interval.as_str());
        if let Target::Site {
            include_components: true,
            ..
        } = self.p.target
        {
            ser.append_pair("include_components", "true");
        }
        if metric != Metric::Visits {
            ser.append_pair("metric", metric.key());
        }
        for t in tabs {
            ser.append_pair("tab", t);
        }
        let f = filters.to_query();
        let q = ser.finish();
        if f.is_empty() {
            format!("{}?{q}", self.base)
        } else {
            format!("{}?{q}&{f}", self.base)
        }
    }

    fn tabs(&self) -> Vec<&str> {
        self.tabs.iter().map(String::as_str).collect()
    }

    /// The same view under other filters (a row's link, a filter's removal).
    pub fn with_filters(&self, filters: &Filters) -> String {
        self.href_with(filters, self.metric, &self.tabs())
    }

    /// The same view with the chart showing `metric`.
    pub fn with_metric(&self, metric: Metric) -> String {
        format!(
            "{}#chart-h",
            self.href_with(&self.p.filters, metric, &self.tabs())
        )
    }

    /// The same view with `tab` selected instead of the other tabs of its card (`siblings`).
    pub fn with_tab(&self, tab: &str, siblings: &[&str]) -> String {
        let mut tabs: Vec<&str> = self
            .tabs
            .iter()
            .map(String::as_str)
            .filter(|t| !siblings.contains(t))
            .collect();
        if siblings.first() != Some(&tab) {
            tabs.push(tab);
        }
        self.href_with(&self.p.filters, self.metric, &tabs)
    }

    /// Is `tab` the selected one among `siblings` (the first when none is asked for)?
    pub fn selected(&self, tab: &str, siblings: &[&str]) -> bool {
        match siblings.iter().find(|s| self.tabs.iter().any(|t| t == *s)) {
            Some(s) => *s == tab,
            None => siblings.first() == Some(&tab),
        }
    }
}
