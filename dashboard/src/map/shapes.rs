//! The outlines of the 34 units, vendored from the npm package `@svg-maps/vietnam`
//! (CC BY 4.0, see `data/LICENSE.md` and `data/SOURCE`) and dissolved from the 63
//! old provinces by `scripts/refresh-vietnam-map.py`.
use std::sync::OnceLock;

use super::Province;

/// The credit the license asks for, shown under every map.
pub const ATTRIBUTION: &str = "Bản đồ / Map: @svg-maps/vietnam, CC BY 4.0";

const DATA: &str = include_str!("data/vietnam-34.tsv");

pub struct Shapes {
    /// `min-x min-y width height` of the outlines' coordinates.
    pub view_box: &'static str,
    /// Path data per unit, in [`Province::all`] order.
    pub paths: Vec<(Province, &'static str)>,
}

/// Parsed once; a unit missing from the data file is a build mistake that the
/// tests catch, and it is drawn as nothing rather than failing a page.
pub fn shapes() -> &'static Shapes {
    static SHAPES: OnceLock<Shapes> = OnceLock::new();
    SHAPES.get_or_init(|| {
        let mut view_box = "0 0 812 873";
        let mut by_key = Vec::new();
        for line in DATA.lines() {
            match line.split_once('\t') {
                Some(("# viewBox", vb)) => view_box = vb,
                Some((key, path)) => by_key.push((key, path)),
                None => {}
            }
        }
        let paths = Province::all()
            .filter_map(|p| {
                by_key
                    .iter()
                    .find(|(k, _)| *k == p.key())
                    .map(|(_, d)| (p, *d))
            })
            .collect();
        Shapes { view_box, paths }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_unit_has_one_outline_and_nothing_else_is_drawn() {
        let s = shapes();
        assert_eq!(s.paths.len(), 34);
        let lines = DATA.lines().filter(|l| !l.starts_with('#')).count();
        assert_eq!(lines, 34, "no shape for a key that is not a unit");
        assert_eq!(s.view_box, "0 0 812 873");
        for (p, d) in &s.paths {
            assert!(d.starts_with('M') && d.ends_with('Z'), "{}", p.key());
            assert!(d.len() > 200, "{} has a real outline", p.key());
        }
    }
}
