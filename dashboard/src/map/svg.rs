//! Values per unit → an SVG choropleth: five equal-interval classes of the largest
//! value, a legend, a `<title>` per unit (hover and screen readers) and a link per
//! unit (keyboard focus), Hoàng Sa and Trường Sa named.
use std::fmt::Write;

use super::shapes::{shapes, ATTRIBUTION};
use super::Province;

/// Sequential blues (ColorBrewer "Blues", classes 1–5); index 0 is "no value".
pub const COLOURS: [&str; 6] = [
    "#f1f1f1", "#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c",
];

/// The words of one map, in the page's language.
pub struct MapText<'a> {
    /// What the map shows: "Lượt truy cập theo tỉnh, thành phố".
    pub title: &'a str,
    /// "không có" / "none", for units without a value.
    pub none: &'a str,
    /// Digit group separator: "." in Vietnamese, "," in English.
    pub thousands: char,
    pub english: bool,
}

/// The class of `value` among five equal intervals of `max`: 0 for nothing,
/// else 1..=5 where class i holds (i-1)·max/5 < value ≤ i·max/5.
pub fn class_of(value: u64, max: u64) -> usize {
    if value == 0 || max == 0 {
        return 0;
    }
    let v = value.min(max) as u128;
    (((5 * v).div_ceil(max as u128)) as usize).clamp(1, 5)
}

/// The inclusive range of values in class `i` (1..=5), or `None` when no whole
/// number falls in it (small maxima).
pub fn class_range(i: usize, max: u64) -> Option<(u64, u64)> {
    let (i, max) = (i as u128, max as u128);
    let lower = (i - 1) * max / 5 + 1;
    let upper = i * max / 5;
    (lower <= upper).then_some((lower as u64, upper as u64))
}

pub use crate::numbers::group_digits;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The map as an inline `<svg>`. `href` gives each unit's link (the filter on
/// it); a unit without one is drawn without a link.
pub fn choropleth_svg(
    values: &[(Province, u64)],
    text: &MapText<'_>,
    href: impl Fn(Province) -> Option<String>,
) -> String {
    let shapes = shapes();
    let max = values.iter().map(|(_, v)| *v).max().unwrap_or(0);
    let value_of = |p: Province| values.iter().find(|(q, _)| *q == p).map_or(0, |(_, v)| *v);
    let num = |n: u64| group_digits(n, text.thousands);
    let mut s = String::with_capacity(80_000);
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="{vb}" class="vn-map" role="group" aria-label="{t}"><title>{t}</title>"#,
        vb = shapes.view_box,
        t = esc(text.title),
    );
    for (p, d) in &shapes.paths {
        let value = value_of(*p);
        let name = esc(p.label(text.english));
        let shown = if value == 0 {
            text.none.to_owned()
        } else {
            num(value)
        };
        let fill = COLOURS[class_of(value, max)];
        let path = format!(
            r##"<path d="{d}" fill="{fill}" stroke="#ffffff" stroke-width="1" data-value="{value}"><title>{name}: {shown}</title></path>"##
        );
        match href(*p) {
            Some(url) => {
                let _ = write!(
                    s,
                    r#"<a href="{}" aria-label="{name}: {shown}">{path}</a>"#,
                    esc(&url)
                );
            }
            None => s.push_str(&path),
        }
    }
    islands(&mut s, text.english);
    legend(&mut s, max, text, &num);
    let _ = write!(
        s,
        r##"<text x="806" y="866" font-size="15" text-anchor="end" fill="#555555">{}</text></svg>"##,
        esc(ATTRIBUTION)
    );
    s
}

/// The two archipelagos are drawn with Đà Nẵng and Khánh Hòa; name them.
fn islands(s: &mut String, english: bool) {
    let (hs, ts) = if english {
        ("Hoang Sa (Paracel) Is.", "Truong Sa (Spratly) Is.")
    } else {
        ("Quần đảo Hoàng Sa", "Quần đảo Trường Sa")
    };
    let _ = write!(
        s,
        r##"<text x="560" y="350" font-size="18" fill="#444444" aria-hidden="true">{hs}</text><text x="590" y="625" font-size="18" fill="#444444" aria-hidden="true">{ts}</text>"##
    );
}

fn legend(s: &mut String, max: u64, text: &MapText<'_>, num: &dyn Fn(u64) -> String) {
    let mut rows: Vec<(usize, String)> = (1..=5)
        .rev()
        .filter_map(|i| {
            class_range(i, max).map(|(lo, hi)| {
                let label = if lo == hi {
                    num(hi)
                } else {
                    format!("{} – {}", num(lo), num(hi))
                };
                (i, label)
            })
        })
        .collect();
    rows.push((0, text.none.to_owned()));
    s.push_str(r#"<g class="legend">"#);
    for (row, (class, label)) in rows.iter().enumerate() {
        let y = 40 + 32 * row;
        let _ = write!(
            s,
            r##"<rect x="560" y="{y}" width="34" height="24" fill="{}" stroke="#888888"/><text x="604" y="{}" font-size="21" fill="#222222">{}</text>"##,
            COLOURS[*class],
            y + 19,
            esc(label)
        );
    }
    s.push_str("</g>");
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Classes written out by hand for a maximum of 1 000: (value, class).
    #[test]
    fn values_fall_into_five_equal_intervals() {
        let cases = [
            (0, 0),
            (1, 1),
            (200, 1),
            (201, 2),
            (400, 2),
            (401, 3),
            (600, 3),
            (799, 4),
            (800, 4),
            (801, 5),
            (1000, 5),
            (5000, 5),
        ];
        for (value, class) in cases {
            assert_eq!(class_of(value, 1000), class, "{value}");
        }
        assert_eq!(class_of(3, 0), 0);
        assert_eq!(class_range(1, 1000), Some((1, 200)));
        assert_eq!(class_range(5, 1000), Some((801, 1000)));
        // Max 3: classes 1 and 3 are empty, 2 holds 1, 4 holds 2, 5 holds 3.
        let ranges: Vec<_> = (1..=5).map(|i| class_range(i, 3)).collect();
        assert_eq!(
            ranges,
            vec![None, Some((1, 1)), None, Some((2, 2)), Some((3, 3))]
        );
        for v in 1..=3 {
            let (lo, hi) = class_range(class_of(v, 3), 3).unwrap();
            assert!(lo <= v && v <= hi, "{v} lies in its class's range");
        }
    }

    fn text() -> MapText<'static> {
        MapText {
            title: "Lượt truy cập theo tỉnh <2025>",
            none: "không có",
            thousands: '.',
            english: false,
        }
    }

    #[test]
    fn each_unit_is_a_titled_link_coloured_by_its_class() {
        let phu_tho = Province::from_key("phu-tho").unwrap();
        let ha_noi = Province::from_key("ha-noi").unwrap();
        let values = [(ha_noi, 5000), (phu_tho, 1200)];
        let svg = choropleth_svg(&values, &text(), |p| {
            Some(format!("?filter=province:{}&x=1", p.key()))
        });
        assert_eq!(svg.matches("<path ").count(), 34);
        assert_eq!(svg.matches("<a href=").count(), 34);
        assert!(svg.contains(r#"aria-label="Lượt truy cập theo tỉnh &lt;2025&gt;""#));
        assert!(svg.contains(
            r#"<a href="?filter=province:phu-tho&amp;x=1" aria-label="Phú Thọ: 1.200">"#
        ));
        // Hà Nội is the maximum: darkest class; Phú Thọ 1 200 of 5 000 is class 2.
        let fill_of = |name: &str| {
            let at = svg.find(&format!("<title>{name}:")).unwrap();
            let start = svg[..at].rfind("fill=\"").unwrap() + 6;
            svg[start..start + 7].to_owned()
        };
        assert_eq!(fill_of("Hà Nội"), COLOURS[5]);
        assert_eq!(fill_of("Phú Thọ"), COLOURS[2]);
        assert_eq!(fill_of("Cà Mau"), COLOURS[0]);
        assert!(svg.contains("<title>Cà Mau: không có</title>"));
        // Legend: five classes of 5 000 and "no value", largest first.
        assert!(svg.contains(">4.001 – 5.000<") && svg.contains(">1 – 1.000<"));
        assert!(svg.contains("Quần đảo Hoàng Sa") && svg.contains("Quần đảo Trường Sa"));
        assert!(svg.contains("CC BY 4.0"));
    }

    #[test]
    fn without_links_or_values_the_map_is_still_drawn() {
        let svg = choropleth_svg(&[], &text(), |_| None);
        assert_eq!(svg.matches("<path ").count(), 34);
        assert!(!svg.contains("<a "));
        assert_eq!(
            svg.matches(&format!("fill=\"{}\"", COLOURS[0])).count(),
            34 + 1
        );
    }
}
