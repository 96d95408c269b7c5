//! Data → SVG, on the server (plotters' SVG backend): the report's time series as an inline
//! `<svg>` that needs no JavaScript.
use crate::reports::Point;
use plotters::prelude::*;

/// A line chart of visits and page views per bucket, with an accessible title.
pub fn timeseries_svg(
    points: &[Point],
    title: &str,
    visits_label: &str,
    pageviews_label: &str,
) -> String {
    annotated_svg(points, title, visits_label, pageviews_label, &[])
}

/// A note on the chart: from day `date` to day `end` (`YYYY-MM-DD`), numbered `number`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker {
    pub number: usize,
    pub date: String,
    pub end: String,
    pub text: String,
}

/// The chart with a marker per note: a dashed line at its first bucket (a band over its
/// days), its number in a circle, and its date and text as the marker's `<title>` and in
/// the chart's accessible name — not told by color alone.
pub fn annotated_svg(
    points: &[Point],
    title: &str,
    visits_label: &str,
    pageviews_label: &str,
    markers: &[Marker],
) -> String {
    let mut svg = String::new();
    let mut placed = vec![];
    {
        let root = SVGBackend::with_string(&mut svg, (860, 300)).into_drawing_area();
        match draw(&root, points, visits_label, pageviews_label, markers) {
            Ok(p) => placed = p,
            Err(_) => tracing::warn!("chart drawing failed"),
        }
        let _ = root.present();
    }
    let notes: Vec<String> = markers
        .iter()
        .map(|m| format!("{}. {}: {}", m.number, m.date, m.text))
        .collect();
    let mut marks = String::new();
    for (m, (x0, x1, top, bottom)) in &placed {
        let title = esc(&format!("{}. {} — {}: {}", m.number, m.date, m.end, m.text));
        marks.push_str(&format!(
            "<g class=\"annotation\"><title>{title}</title>\
             <rect x=\"{x0}\" y=\"{top}\" width=\"{w}\" height=\"{h}\" fill=\"#b8860b\" fill-opacity=\"0.12\"/>\
             <line x1=\"{x0}\" y1=\"{top}\" x2=\"{x0}\" y2=\"{bottom}\" stroke=\"#7a5900\" stroke-width=\"2\" stroke-dasharray=\"5 3\"/>\
             <circle cx=\"{x0}\" cy=\"{cy}\" r=\"9\" fill=\"#fff\" stroke=\"#7a5900\" stroke-width=\"2\"/>\
             <text x=\"{x0}\" y=\"{ty}\" text-anchor=\"middle\" font-size=\"12\" font-family=\"sans-serif\" fill=\"#3d2c00\">{n}</text></g>",
            w = (x1 - x0).max(0),
            h = (bottom - top).max(0),
            cy = top + 10,
            ty = top + 14,
            n = m.number
        ));
    }
    let svg = match svg.rfind("</svg>") {
        Some(at) if !marks.is_empty() => format!("{}{marks}{}", &svg[..at], &svg[at..]),
        _ => svg,
    };
    if notes.is_empty() {
        accessible(svg, title)
    } else {
        accessible(svg, &format!("{title}. {}", notes.join("; ")))
    }
}

/// Where a day falls among the buckets (`YYYY-MM-DD`, `YYYY-MM` or `YYYY-MM-DD HH:00`):
/// compared on the part both have.
fn versus(bucket: &str, day: &str) -> std::cmp::Ordering {
    let n = bucket.len().min(day.len()).min(10);
    bucket[..n].cmp(&day[..n])
}

/// The first and last bucket of a marker, when it overlaps the chart.
fn span(points: &[Point], m: &Marker) -> Option<(usize, usize)> {
    use std::cmp::Ordering::{Greater, Less};
    let first = points.iter().position(|p| versus(&p.t, &m.date) != Less)?;
    let last = points
        .iter()
        .rposition(|p| versus(&p.t, &m.end) != Greater)?;
    (first <= last).then_some((first, last))
}

/// A horizontal bar per row (`label`, score 0–100), first row on top.
pub fn bars_svg(rows: &[(String, f64)], title: &str) -> String {
    let mut svg = String::new();
    {
        let height = 40 + 26 * rows.len().max(1) as u32;
        let root = SVGBackend::with_string(&mut svg, (860, height)).into_drawing_area();
        if draw_bars(&root, rows).is_err() {
            tracing::warn!("chart drawing failed");
        }
        let _ = root.present();
    }
    accessible(svg, title)
}

fn draw_bars<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    rows: &[(String, f64)],
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    let n = rows.len().max(1) as f64;
    let mut chart = ChartBuilder::on(root)
        .margin(10)
        .x_label_area_size(24)
        .y_label_area_size(8)
        .build_cartesian_2d(0f64..100f64, 0f64..n)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .disable_y_axis()
        .light_line_style(RGBColor(235, 235, 235))
        .x_labels(11)
        .draw()?;
    let blue = RGBColor(0, 84, 166);
    let pale = RGBColor(198, 219, 239);
    chart.draw_series(rows.iter().enumerate().map(|(i, (_, score))| {
        let y = n - i as f64;
        Rectangle::new(
            [(0.0, y - 0.85), (score.clamp(0.0, 100.0), y - 0.15)],
            pale.filled(),
        )
    }))?;
    chart.draw_series(rows.iter().enumerate().map(|(i, (label, score))| {
        let y = n - i as f64 - 0.5;
        Text::new(
            format!("{label} — {score:.2}"),
            (1.0, y + 0.18),
            ("sans-serif", 14).into_font().color(&blue),
        )
    }))?;
    Ok(())
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Makes an SVG scale with the page and names it for screen readers.
fn accessible(svg: String, title: &str) -> String {
    let svg = svg.replacen(
        "<svg ",
        &format!("<svg role=\"img\" aria-label=\"{}\" class=\"chart\" preserveAspectRatio=\"xMidYMid meet\" ", esc(title)),
        1,
    );
    match svg
        .find("<svg")
        .and_then(|start| svg[start..].find('>').map(|end| start + end + 1))
    {
        Some(at) => format!("{}<title>{}</title>{}", &svg[..at], esc(title), &svg[at..]),
        None => svg,
    }
}

/// A marker placed: its pixels (left, right, top, bottom).
type Placed<'a> = (&'a Marker, (i32, i32, i32, i32));

fn draw<'a, DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    points: &[Point],
    visits_label: &str,
    pageviews_label: &str,
    markers: &'a [Marker],
) -> Result<Vec<Placed<'a>>, DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    let n = points.len().max(1);
    let max = points
        .iter()
        .map(|p| p.visits.max(p.pageviews))
        .max()
        .unwrap_or(0)
        .max(1);
    let mut chart = ChartBuilder::on(root)
        .margin(12)
        .x_label_area_size(28)
        .y_label_area_size(48)
        .build_cartesian_2d(0..n, 0..(max + max / 10 + 1))?;
    let labels: Vec<String> = points.iter().map(|p| p.t.clone()).collect();
    chart
        .configure_mesh()
        .light_line_style(RGBColor(235, 235, 235))
        .x_labels(8)
        .x_label_formatter(&|i| labels.get(*i).cloned().unwrap_or_default())
        .draw()?;
    let blue = RGBColor(0, 84, 166);
    let red = RGBColor(190, 30, 45);
    chart
        .draw_series(LineSeries::new(
            points.iter().enumerate().map(|(i, p)| (i, p.pageviews)),
            red.stroke_width(2),
        ))?
        .label(pageviews_label)
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], red.stroke_width(2)));
    chart
        .draw_series(LineSeries::new(
            points.iter().enumerate().map(|(i, p)| (i, p.visits)),
            blue.stroke_width(3),
        ))?
        .label(visits_label)
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], blue.stroke_width(3)));
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()?;
    let top = max + max / 10 + 1;
    Ok(markers
        .iter()
        .filter_map(|m| {
            let (first, last) = span(points, m)?;
            let (x0, y0) = chart.backend_coord(&(first, top));
            let (x1, y1) = chart.backend_coord(&(last, 0));
            Some((m, (x0, x1, y0, y1)))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svg_has_lines_and_title() {
        let points: Vec<Point> = (0..5)
            .map(|i| Point {
                t: format!("2026-03-0{}", i + 1),
                visits: i,
                visitors: i,
                pageviews: 2 * i,
            })
            .collect();
        let svg = timeseries_svg(
            &points,
            "Lượt truy cập <x>",
            "Lượt truy cập",
            "Lượt xem trang",
        );
        assert!(svg.contains("<svg role=\"img\""), "{svg}");
        assert!(svg.contains("aria-label=\"Lượt truy cập &lt;x&gt;\""));
        assert!(svg.contains("<polyline") || svg.contains("<path"), "{svg}");
        assert!(!svg.contains("<x>"));
        let empty = timeseries_svg(&[], "t", "a", "b");
        assert!(empty.contains("<svg"));
        let bars = bars_svg(
            &[("1. Cổng <a>".into(), 87.5), ("2. B".into(), 40.0)],
            "Xếp hạng",
        );
        assert!(
            bars.contains("<rect") && bars.contains("aria-label=\"Xếp hạng\""),
            "{bars}"
        );
        assert!(bars.contains("87.50") && !bars.contains("<a>"), "{bars}");
    }

    #[test]
    fn markers_are_numbered_titled_and_named() {
        let points: Vec<Point> = (1..=9)
            .map(|d| Point {
                t: format!("2026-03-0{d}"),
                visits: d,
                ..Point::default()
            })
            .collect();
        let m = |n: usize, date: &str, end: &str, text: &str| Marker {
            number: n,
            date: date.into(),
            end: end.into(),
            text: text.into(),
        };
        let markers = [
            m(1, "2026-03-02", "2026-03-02", "Triển khai <v2>"),
            m(2, "2026-02-20", "2026-03-04", "Chiến dịch"),
            m(3, "2026-04-01", "2026-04-02", "ngoài khoảng"),
        ];
        let svg = annotated_svg(&points, "Lượt", "a", "b", &markers);
        assert_eq!(svg.matches("<g class=\"annotation\">").count(), 2, "{svg}");
        assert!(svg.contains("<title>1. 2026-03-02 — 2026-03-02: Triển khai &lt;v2&gt;</title>"));
        assert!(svg.contains("aria-label=\"Lượt. 1. 2026-03-02: Triển khai &lt;v2&gt;; 2. 2026-02-20: Chiến dịch; 3."));
        assert!(!svg.contains("<v2>"));
        // Spans: a day, a range clamped to the chart; buckets of months and hours.
        assert_eq!(span(&points, &markers[0]), Some((1, 1)));
        assert_eq!(span(&points, &markers[1]), Some((0, 3)));
        assert_eq!(span(&points, &markers[2]), None);
        let months = [
            Point {
                t: "2026-02".into(),
                ..Point::default()
            },
            Point {
                t: "2026-03".into(),
                ..Point::default()
            },
        ];
        assert_eq!(span(&months, &markers[0]), Some((1, 1)));
        let hours: Vec<Point> = ["2026-03-02 00:00", "2026-03-02 01:00"]
            .map(|t| Point {
                t: t.into(),
                ..Point::default()
            })
            .to_vec();
        assert_eq!(span(&hours, &markers[0]), Some((0, 1)));
    }
}
