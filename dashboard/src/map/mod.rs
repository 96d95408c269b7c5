//! A map of Vietnam: the 34 provinces and cities of 2025 as a server-rendered SVG
//! choropleth. [`provinces`] knows the units and the old names geo databases return,
//! [`shapes`] the vendored outlines, [`svg`] draws values with a legend and links.
pub mod provinces;
pub mod shapes;
pub mod svg;

pub use provinces::Province;
pub use svg::{choropleth_svg, MapText};

/// Sums values per region name of the geo databases onto the 34 units. Returns
/// the units that have a value (largest first, ties by key) and the total of the
/// names that are no Vietnamese province (foreign regions, empty names).
pub fn by_province<'a>(
    rows: impl IntoIterator<Item = (&'a str, u64)>,
) -> (Vec<(Province, u64)>, u64) {
    let mut sums: Vec<(Province, u64)> = Vec::new();
    let mut unmatched = 0;
    for (region, value) in rows {
        match Province::of_region(region) {
            Some(p) => match sums.iter_mut().find(|(q, _)| *q == p) {
                Some((_, sum)) => *sum += value,
                None => sums.push((p, value)),
            },
            None => unmatched += value,
        }
    }
    sums.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.key().cmp(b.0.key())));
    (sums, unmatched)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_provinces_add_up_into_their_new_unit() {
        let rows = [
            ("Phu Tho", 10),
            ("Vinh Phuc", 5),
            ("Hoa Binh", 1),
            ("Hanoi", 12),
            ("California", 7),
            ("", 3),
        ];
        let (sums, unmatched) = by_province(rows);
        let keys: Vec<_> = sums.iter().map(|(p, v)| (p.key(), *v)).collect();
        assert_eq!(keys, vec![("phu-tho", 16), ("ha-noi", 12)]);
        assert_eq!(unmatched, 10);
    }
}
