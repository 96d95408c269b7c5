//! The 34 provinces and cities of Vietnam since 1 July 2025 (Resolution
//! 202/2025/QH15), and which region names of the geo databases belong to each.
//!
//! DB-IP and GeoIP2 still return the 63 units of the old arrangement, in English
//! without diacritics ("Phu Tho", "Vinh Phuc", "Ho Chi Minh City"). The 2025
//! arrangement merged whole provinces, so every old name maps onto exactly one
//! new unit: [`Province::of_region`].

/// One of the 34 provinces and centrally governed cities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Province {
    key: &'static str,
    name_vi: &'static str,
    name_en: &'static str,
    /// The old units merged into it, as `@svg-maps/vietnam` names their shapes
    /// (mostly the folded English name; see [`EXTRA_NAMES`] for the others).
    olds: &'static [&'static str],
}

// MERGERS-BEGIN (read by scripts/refresh-vietnam-map.py)
const PROVINCES: [(&str, &str, &str, &[&str]); 34] = [
    // Six centrally governed cities.
    ("ha-noi", "Hà Nội", "Hanoi", &["hanoi"]),
    ("hue", "Huế", "Hue", &["tthue"]),
    (
        "hai-phong",
        "Hải Phòng",
        "Hai Phong",
        &["haiphong", "haiduong"],
    ),
    (
        "ho-chi-minh",
        "TP. Hồ Chí Minh",
        "Ho Chi Minh City",
        &["hcm", "binhduong", "baria"],
    ),
    (
        "da-nang",
        "Đà Nẵng",
        "Da Nang",
        &["danang", "quangnam", "hoangsa"],
    ),
    (
        "can-tho",
        "Cần Thơ",
        "Can Tho",
        &["cantho", "soctrang", "haugiang"],
    ),
    // Provinces.
    ("lai-chau", "Lai Châu", "Lai Chau", &["laichau"]),
    ("dien-bien", "Điện Biên", "Dien Bien", &["dienbien"]),
    ("son-la", "Sơn La", "Son La", &["sonla"]),
    ("lang-son", "Lạng Sơn", "Lang Son", &["langson"]),
    ("quang-ninh", "Quảng Ninh", "Quang Ninh", &["quangninh"]),
    ("thanh-hoa", "Thanh Hóa", "Thanh Hoa", &["thanhhoa"]),
    ("nghe-an", "Nghệ An", "Nghe An", &["nghean"]),
    ("ha-tinh", "Hà Tĩnh", "Ha Tinh", &["hatinh"]),
    ("cao-bang", "Cao Bằng", "Cao Bang", &["caobang"]),
    (
        "tuyen-quang",
        "Tuyên Quang",
        "Tuyen Quang",
        &["tuyenquang", "hagiang"],
    ),
    ("lao-cai", "Lào Cai", "Lao Cai", &["laocai", "yenbai"]),
    (
        "thai-nguyen",
        "Thái Nguyên",
        "Thai Nguyen",
        &["thainguyen", "backan"],
    ),
    (
        "phu-tho",
        "Phú Thọ",
        "Phu Tho",
        &["phutho", "vinhphuc", "hoabinh"],
    ),
    ("bac-ninh", "Bắc Ninh", "Bac Ninh", &["bacninh", "bacgiang"]),
    ("hung-yen", "Hưng Yên", "Hung Yen", &["hungyen", "thaibinh"]),
    (
        "ninh-binh",
        "Ninh Bình",
        "Ninh Binh",
        &["ninhbinh", "hanam", "namdinh"],
    ),
    (
        "quang-tri",
        "Quảng Trị",
        "Quang Tri",
        &["quangtri", "quangbinh"],
    ),
    (
        "quang-ngai",
        "Quảng Ngãi",
        "Quang Ngai",
        &["quangngai", "kontum"],
    ),
    ("gia-lai", "Gia Lai", "Gia Lai", &["gialai", "binhdinh"]),
    (
        "khanh-hoa",
        "Khánh Hòa",
        "Khanh Hoa",
        &["khanhhoa", "ninhthuan", "truongsa"],
    ),
    (
        "lam-dong",
        "Lâm Đồng",
        "Lam Dong",
        &["lamdong", "daknong", "binhthuan"],
    ),
    ("dak-lak", "Đắk Lắk", "Dak Lak", &["daklak", "phuyen"]),
    (
        "dong-nai",
        "Đồng Nai",
        "Dong Nai",
        &["dongnai", "binhphuoc"],
    ),
    ("tay-ninh", "Tây Ninh", "Tay Ninh", &["tayninh", "longan"]),
    (
        "vinh-long",
        "Vĩnh Long",
        "Vinh Long",
        &["vinhlong", "bentre", "travinh"],
    ),
    (
        "dong-thap",
        "Đồng Tháp",
        "Dong Thap",
        &["dongthap", "tiengiang"],
    ),
    ("ca-mau", "Cà Mau", "Ca Mau", &["camau", "baclieu"]),
    (
        "an-giang",
        "An Giang",
        "An Giang",
        &["angiang", "kiengiang"],
    ),
];
// MERGERS-END

/// Spellings the geo databases use that are not the folded shape name, folded
/// the same way as [`fold`]: (spelling, shape name).
const EXTRA_NAMES: [(&str, &str); 12] = [
    ("hochiminh", "hcm"),
    ("saigon", "hcm"),
    ("thuathienhue", "tthue"),
    ("hue", "tthue"),
    ("bariavungtau", "baria"),
    ("vungtau", "baria"),
    ("daclac", "daklak"),
    ("daclak", "daklak"),
    ("haiphongcity", "haiphong"),
    ("danangcity", "danang"),
    ("canthocity", "cantho"),
    ("hanoicity", "hanoi"),
];

impl Province {
    /// All 34, cities first, in a fixed order.
    pub fn all() -> impl Iterator<Item = Province> {
        PROVINCES
            .iter()
            .map(|&(key, name_vi, name_en, olds)| Province {
                key,
                name_vi,
                name_en,
                olds,
            })
    }

    /// The stable ASCII key: `ha-noi`, `ho-chi-minh`.
    pub fn key(&self) -> &'static str {
        self.key
    }

    pub fn from_key(key: &str) -> Option<Province> {
        Province::all().find(|p| p.key == key)
    }

    /// The name in the page's language: Vietnamese with diacritics, or English.
    pub fn label(&self, english: bool) -> &'static str {
        if english {
            self.name_en
        } else {
            self.name_vi
        }
    }

    /// The unit a geo database's region name belongs to, old or new name,
    /// any case, with or without spaces, hyphens, "Province" or "City".
    pub fn of_region(region: &str) -> Option<Province> {
        let folded = fold(region);
        if folded.is_empty() {
            return None;
        }
        let shape = EXTRA_NAMES
            .iter()
            .find(|(spelling, _)| *spelling == folded)
            .map_or(folded.as_str(), |(_, shape)| shape);
        Province::all().find(|p| p.olds.contains(&shape) || fold(p.name_en) == folded)
    }
}

/// Lower-case ASCII letters and digits only, without a trailing "province"
/// ("Ho Chi Minh City" folds to the new unit's English name). Non-ASCII letters
/// are dropped: the databases return ASCII names.
fn fold(name: &str) -> String {
    let folded: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let folded = folded.strip_suffix("province").unwrap_or(&folded);
    folded.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn thirty_four_units_six_cities_and_sixty_three_old_ones() {
        assert_eq!(Province::all().count(), 34);
        let keys: HashSet<_> = Province::all().map(|p| p.key()).collect();
        assert_eq!(keys.len(), 34, "keys are unique");
        let olds: Vec<_> = Province::all().flat_map(|p| p.olds.iter()).collect();
        let distinct: HashSet<_> = olds.iter().collect();
        assert_eq!(
            olds.len(),
            distinct.len(),
            "an old unit belongs to one new unit"
        );
        // 63 old provinces and cities plus the two archipelagos drawn on their own.
        assert_eq!(olds.len(), 65);
        assert!(Province::all().all(|p| Province::from_key(p.key()) == Some(p)));
    }

    /// Resolution 202/2025/QH15, written out independently of the table above.
    #[test]
    fn old_names_from_geo_databases_map_onto_the_2025_units() {
        let cases = [
            ("Hanoi", "ha-noi"),
            ("Ha Noi", "ha-noi"),
            ("Ho Chi Minh", "ho-chi-minh"),
            ("Ho Chi Minh City", "ho-chi-minh"),
            ("Binh Duong", "ho-chi-minh"),
            ("Ba Ria-Vung Tau", "ho-chi-minh"),
            ("Ba Ria - Vung Tau Province", "ho-chi-minh"),
            ("Haiphong", "hai-phong"),
            ("Hai Duong", "hai-phong"),
            ("Quang Nam", "da-nang"),
            ("Da Nang", "da-nang"),
            ("Soc Trang", "can-tho"),
            ("Hau Giang", "can-tho"),
            ("Thua Thien Hue", "hue"),
            ("Thua Thien-Hue", "hue"),
            ("Ha Giang", "tuyen-quang"),
            ("Yen Bai", "lao-cai"),
            ("Bac Kan", "thai-nguyen"),
            ("Phu Tho", "phu-tho"),
            ("Vinh Phuc", "phu-tho"),
            ("Hoa Binh", "phu-tho"),
            ("Bac Giang", "bac-ninh"),
            ("Thai Binh", "hung-yen"),
            ("Ha Nam", "ninh-binh"),
            ("Nam Dinh", "ninh-binh"),
            ("Quang Binh", "quang-tri"),
            ("Kon Tum", "quang-ngai"),
            ("Binh Dinh", "gia-lai"),
            ("Ninh Thuan", "khanh-hoa"),
            ("Dak Nong", "lam-dong"),
            ("Binh Thuan", "lam-dong"),
            ("Dac Lak", "dak-lak"),
            ("Phu Yen", "dak-lak"),
            ("Binh Phuoc", "dong-nai"),
            ("Long An", "tay-ninh"),
            ("Ben Tre", "vinh-long"),
            ("Tra Vinh", "vinh-long"),
            ("Tien Giang", "dong-thap"),
            ("Bac Lieu", "ca-mau"),
            ("Kien Giang", "an-giang"),
            ("Cao Bang", "cao-bang"),
            ("lang son", "lang-son"),
        ];
        for (region, key) in cases {
            assert_eq!(
                Province::of_region(region).map(|p| p.key()),
                Some(key),
                "{region}"
            );
        }
        for foreign in ["", "California", "England", "Vientiane", "   "] {
            assert_eq!(Province::of_region(foreign), None, "{foreign:?}");
        }
    }

    #[test]
    fn labels_in_both_languages() {
        let hcm = Province::from_key("ho-chi-minh").unwrap();
        assert_eq!(hcm.label(false), "TP. Hồ Chí Minh");
        assert_eq!(hcm.label(true), "Ho Chi Minh City");
        assert!(Province::all().all(|p| !p.label(false).is_empty() && p.label(true).is_ascii()));
    }
}
