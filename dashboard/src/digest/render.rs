//! A [`Digest`] as the printable HTML page (also the email's HTML part and the PDF's source),
//! as plain text and as CSV. Vietnamese first, English after each label.
use super::{change, rank_change, Digest};
use askama::Template;

/// One table row, formatted.
pub struct Row {
    pub code: String,
    pub name: String,
    pub visits: String,
    pub visits_change: String,
    pub visitors: String,
    pub visitors_change: String,
    pub pageviews: String,
    pub pageviews_change: String,
    pub bounce: String,
    pub duration: String,
    pub rank: String,
    pub rank_change: String,
    pub grade: String,
}

/// `1234567` → `1.234.567` (Vietnamese digit grouping).
pub fn num(n: i64) -> String {
    crate::numbers::group_digits_signed(n, '.')
}

pub fn rows(d: &Digest) -> Vec<Row> {
    d.lines
        .iter()
        .map(|l| {
            let (c, p) = (&l.current, &l.previous);
            Row {
                code: c.site.clone(),
                name: c.name.clone(),
                visits: num(c.visits),
                visits_change: change(c.visits as f64, p.visits as f64),
                visitors: num(c.visitors),
                visitors_change: change(c.visitors as f64, p.visitors as f64),
                pageviews: num(c.pageviews),
                pageviews_change: change(c.pageviews as f64, p.pageviews as f64),
                bounce: format!("{:.1} %", c.bounce_rate * 100.0),
                duration: format!("{:.0} s", c.avg_session_duration),
                rank: l
                    .rank
                    .map_or("—".into(), |r| format!("{r}/{}", d.group_size)),
                rank_change: rank_change(l.rank, l.previous_rank),
                grade: l.grade.unwrap_or("—").to_owned(),
            }
        })
        .collect()
}

/// The report page. `inline_css`: the stylesheet written into the page (email, PDF) instead of
/// linked (the served page, whose CSP allows no inline style).
#[derive(Template)]
#[template(path = "digest.html")]
pub struct DigestPage<'a> {
    pub d: &'a Digest,
    pub rows: Vec<Row>,
    pub title: String,
    pub period_vi: String,
    pub period_en: String,
    pub totals: Row,
    pub inline_css: Option<&'static str>,
}

pub const CSS: &str = include_str!("../../static/app.css");

fn totals(d: &Digest) -> Row {
    let sum = |f: &dyn Fn(&super::SiteLine) -> i64| d.lines.iter().map(f).sum::<i64>();
    let (v, pv) = (sum(&|l| l.current.visits), sum(&|l| l.previous.visits));
    let (u, pu) = (sum(&|l| l.current.visitors), sum(&|l| l.previous.visitors));
    let (p, pp) = (
        sum(&|l| l.current.pageviews),
        sum(&|l| l.previous.pageviews),
    );
    Row {
        code: String::new(),
        name: "Tổng / Total".into(),
        visits: num(v),
        visits_change: change(v as f64, pv as f64),
        visitors: num(u),
        visitors_change: change(u as f64, pu as f64),
        pageviews: num(p),
        pageviews_change: change(p as f64, pp as f64),
        bounce: String::new(),
        duration: String::new(),
        rank: String::new(),
        rank_change: String::new(),
        grade: String::new(),
    }
}

pub fn title(d: &Digest) -> String {
    title_of(&d.period, &d.agency_name)
}

pub fn title_of(p: &super::period::ReportPeriod, agency_name: &str) -> String {
    format!("Báo cáo {} — {agency_name}", p.label_vi())
}

/// The subject of the report's email (also what the schedule looks up in the delivery log).
pub fn subject(p: &super::period::ReportPeriod, agency_name: &str) -> String {
    format!("[EMC] {}", title_of(p, agency_name))
}

pub fn html(d: &Digest, inline_css: bool) -> Result<String, askama::Error> {
    DigestPage {
        d,
        rows: rows(d),
        title: title(d),
        period_vi: d.period.label_vi(),
        period_en: d.period.label_en(),
        totals: totals(d),
        inline_css: inline_css.then_some(CSS),
    }
    .render()
}

/// The plain-text part.
pub fn text(d: &Digest, link: &str) -> String {
    let mut t = format!(
        "{}\n{} — {} ({})\n\n",
        title(d),
        d.agency_name,
        d.period.label_en(),
        d.period.key()
    );
    let tot = totals(d);
    t.push_str(&format!(
        "Tổng lượt truy cập / Total visits: {} ({} so với kỳ trước / vs previous period)\n\n",
        tot.visits, tot.visits_change
    ));
    for r in rows(d) {
        t.push_str(&format!(
            "- {} ({}): lượt truy cập/visits {} ({}), khách/visitors {} ({}), lượt xem/pageviews {} ({}), hạng/rank {} {}\n",
            r.name, r.code, r.visits, r.visits_change, r.visitors, r.visitors_change, r.pageviews, r.pageviews_change, r.rank, r.rank_change
        ));
    }
    if !d.silent.is_empty() {
        t.push_str("\nTrang mất kết nối / Silent sites:\n");
        for (code, name, seen) in &d.silent {
            t.push_str(&format!(
                "- {name} ({code}), lần cuối/last seen: {}\n",
                if seen.is_empty() { "—" } else { seen }
            ));
        }
    }
    if !d.down.is_empty() {
        t.push_str("\nTrang không truy cập được / Sites down:\n");
        for (code, detail) in &d.down {
            t.push_str(&format!("- {code}: {detail}\n"));
        }
    }
    if !d.failing_checks.is_empty() {
        t.push_str("\nTiêu chí không đạt nhiều nhất / Checks failing most:\n");
        for c in &d.failing_checks {
            t.push_str(&format!(
                "- {}: {} lần/failures, {} trang/sites\n",
                c.check, c.failures, c.sites
            ));
        }
    }
    t.push_str(&format!("\nBản in / Printable report: {link}\n"));
    t
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// The figures as CSV (raw numbers, `.` decimal point), one line per site.
pub fn csv(d: &Digest) -> String {
    let mut out = String::from(
        "site,name,visits,visits_previous,visitors,visitors_previous,pageviews,pageviews_previous,bounce_rate,avg_session_duration,rank,rank_previous,score,grade\n",
    );
    let opt = |x: Option<u32>| x.map(|v| v.to_string()).unwrap_or_default();
    for l in &d.lines {
        let (c, p) = (&l.current, &l.previous);
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{:.4},{:.1},{},{},{},{}\n",
            csv_field(&c.site),
            csv_field(&c.name),
            c.visits,
            p.visits,
            c.visitors,
            p.visitors,
            c.pageviews,
            p.pageviews,
            c.bounce_rate,
            c.avg_session_duration,
            opt(l.rank),
            opt(l.previous_rank),
            l.score.map(|s| format!("{s:.2}")).unwrap_or_default(),
            l.grade.unwrap_or("")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbers_and_csv_fields() {
        assert_eq!(super::num(0), "0");
        assert_eq!(super::num(999), "999");
        assert_eq!(super::num(1_234_567), "1.234.567");
        assert_eq!(super::num(-1_000), "-1.000");
        assert_eq!(super::csv_field("Cổng, Bộ \"A\""), "\"Cổng, Bộ \"\"A\"\"\"");
    }
}
