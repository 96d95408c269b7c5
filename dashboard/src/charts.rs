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
    let marks = annotation_marks(&placed);
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

/// A marker per placed note: a band over its days, a dashed line, its number in a circle,
/// its date and text as its `<title>`.
fn annotation_marks(placed: &[Placed]) -> String {
    let mut marks = String::new();
    for (m, (x0, x1, top, bottom)) in placed {
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
    marks
}

/// One series of the main chart: a bucket label, its value and the value as written.
pub struct Series<'a> {
    pub title: &'a str,
    pub labels: Vec<String>,
    pub values: Vec<f64>,
    pub written: Vec<String>,
}

/// Size of the main chart's canvas; the SVG scales to the page's width.
const MAIN: (u32, u32) = (1000, 220);

/// The main chart: one metric as a line over a light area, and a mark per point whose
/// `<title>` holds "bucket: value" (a tooltip without JavaScript; `app.js` shows the same
/// text on hover and on keyboard focus from the `data-t`/`data-v` attributes).
pub fn metric_svg(s: &Series, markers: &[Marker]) -> String {
    let mut svg = String::new();
    let mut marks = Vec::new();
    let mut placed = Vec::new();
    {
        let root = SVGBackend::with_string(&mut svg, MAIN).into_drawing_area();
        match draw_metric(&root, s, markers) {
            Ok((m, p)) => (marks, placed) = (m, p),
            Err(_) => tracing::warn!("chart drawing failed"),
        }
        let _ = root.present();
    }
    let notes: Vec<String> = markers
        .iter()
        .map(|m| format!("{}. {}: {}", m.number, m.date, m.text))
        .collect();
    let mut pts = String::from("<g class=\"pts\">");
    for ((x, y), (t, v)) in marks.iter().zip(s.labels.iter().zip(&s.written)) {
        let (t, v) = (esc(t), esc(v));
        pts.push_str(&format!(
            "<circle cx=\"{x}\" cy=\"{y}\" r=\"4\" data-t=\"{t}\" data-v=\"{v}\"><title>{t}: {v}</title></circle>"
        ));
    }
    pts.push_str("</g>");
    pts.push_str(&annotation_marks(&placed));
    pts.push_str("</svg>");
    let svg = match svg.rfind("</svg>") {
        Some(at) => format!("{}{pts}", &svg[..at]),
        None => svg,
    };
    if notes.is_empty() {
        accessible(svg, s.title)
    } else {
        accessible(svg, &format!("{}. {}", s.title, notes.join("; ")))
    }
}

/// The main chart's points and its placed markers, in pixels.
type Drawn<'a> = (Vec<(i32, i32)>, Vec<Placed<'a>>);

fn draw_metric<'a, DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    s: &Series,
    markers: &'a [Marker],
) -> Result<Drawn<'a>, DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    let n = s.values.len().max(1);
    let max = s.values.iter().copied().fold(0.0, f64::max);
    let top = if max > 0.0 { max * 1.1 } else { 1.0 };
    let mut chart = ChartBuilder::on(root)
        .margin(10)
        .x_label_area_size(24)
        .y_label_area_size(56)
        .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), 0f64..top)?;
    let labels = &s.labels;
    let written = |y: &f64| {
        if top >= 10.0 {
            format!("{y:.0}")
        } else {
            format!("{y:.2}")
        }
    };
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(RGBColor(235, 235, 235))
        .x_labels(8)
        .y_labels(5)
        .x_label_formatter(&|i| {
            let r = i.round();
            if (r - *i).abs() > 1e-6 || r < 0.0 {
                return String::new();
            }
            labels.get(r as usize).cloned().unwrap_or_default()
        })
        .y_label_formatter(&written)
        .label_style(("sans-serif", 13).into_font().color(&RGBColor(70, 70, 70)))
        .draw()?;
    let blue = RGBColor(0, 84, 166);
    let series = s.values.iter().enumerate().map(|(i, v)| (i as f64, *v));
    chart.draw_series(AreaSeries::new(
        series.clone(),
        0.0,
        RGBColor(222, 235, 247).filled(),
    ))?;
    chart.draw_series(LineSeries::new(series.clone(), blue.stroke_width(2)))?;
    let buckets: Vec<Point> = s
        .labels
        .iter()
        .map(|t| Point {
            t: t.clone(),
            ..Point::default()
        })
        .collect();
    let placed = markers
        .iter()
        .filter_map(|m| {
            let (first, last) = span(&buckets, m)?;
            let (x0, y0) = chart.backend_coord(&(first as f64, top));
            let (x1, y1) = chart.backend_coord(&(last as f64, 0.0));
            Some((m, (x0, x1, y0, y1)))
        })
        .collect();
    Ok((series.map(|p| chart.backend_coord(&p)).collect(), placed))
}

/// A sparkline: the trend of one KPI over the range, no axes (decorative: the figures are
/// written next to it).
pub fn sparkline_svg(values: &[f64]) -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (120, 32)).into_drawing_area();
        let n = values.len().max(2);
        let max = values
            .iter()
            .copied()
            .fold(0.0, f64::max)
            .max(f64::MIN_POSITIVE);
        let drawn = ChartBuilder::on(&root)
            .margin(3)
            .build_cartesian_2d(0f64..(n - 1) as f64, 0f64..max)
            .and_then(|mut c| {
                c.draw_series(LineSeries::new(
                    values.iter().enumerate().map(|(i, v)| (i as f64, *v)),
                    RGBColor(0, 84, 166).stroke_width(2),
                ))
                .map(|_| ())
            });
        if drawn.is_err() {
            tracing::warn!("sparkline drawing failed");
        }
        let _ = root.present();
    }
    svg.replacen(
        "<svg ",
        "<svg aria-hidden=\"true\" focusable=\"false\" class=\"spark\" preserveAspectRatio=\"none\" ",
        1,
    )
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
                ..Point::default()
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

    #[test]
    fn metric_chart_marks_every_point_with_its_value() {
        let s = Series {
            title: "Lượt truy cập",
            labels: vec!["2026-03-01".into(), "2026-03-02".into(), "<b>".into()],
            values: vec![3.0, 7.0, 0.0],
            written: vec!["3".into(), "7".into(), "0".into()],
        };
        let svg = metric_svg(&s, &[]);
        assert_eq!(svg.matches("<circle").count(), 3, "{svg}");
        assert!(svg.contains("<title>2026-03-02: 7</title>"), "{svg}");
        assert!(svg.contains("data-t=\"&lt;b&gt;\"") && !svg.contains("<b>"));
        assert!(svg.trim_end().ends_with("</g></svg>"), "{svg}");
        let noted = metric_svg(
            &s,
            &[Marker {
                number: 1,
                date: "2026-03-02".into(),
                end: "2026-03-02".into(),
                text: "Triển khai".into(),
            }],
        );
        assert_eq!(
            noted.matches("<g class=\"annotation\">").count(),
            1,
            "{noted}"
        );
        // The highest point is drawn higher (a smaller y) than the lowest.
        let ys: Vec<f64> = svg
            .split("cy=\"")
            .skip(1)
            .map(|r| r.split('"').next().unwrap().parse().unwrap())
            .collect();
        assert!(ys[1] < ys[0] && ys[0] < ys[2], "{ys:?}");
        let spark = sparkline_svg(&[1.0, 3.0, 2.0]);
        assert!(
            spark.contains("aria-hidden=\"true\"") && spark.contains("<polyline"),
            "{spark}"
        );
    }
}
