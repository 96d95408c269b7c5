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
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (860, 300)).into_drawing_area();
        if draw(&root, points, visits_label, pageviews_label).is_err() {
            tracing::warn!("chart drawing failed");
        }
        let _ = root.present();
    }
    accessible(svg, title)
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

/// Makes an SVG scale with the page and names it for screen readers.
fn accessible(svg: String, title: &str) -> String {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
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

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    points: &[Point],
    visits_label: &str,
    pageviews_label: &str,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
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
    Ok(())
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
}
