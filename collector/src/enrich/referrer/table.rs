//! The table of known sources: our own `referrers.json` merged with the vendored lists
//! (`lists.rs`). A host is looked up by its suffixes at label boundaries, most specific
//! first; at one suffix our entries come before the vendored ones, and an exact host
//! before a `.*` (any top-level domain) one.

use std::collections::HashMap;

use serde::Deserialize;

use super::SourceClass;

#[derive(Deserialize)]
pub(super) struct TableFile {
    pub sources: Vec<SourceEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SourceEntry {
    pub name: String,
    /// "organic" | "social" | "referral": direct and campaign never come from a host.
    pub class: String,
    pub hosts: Vec<String>,
    #[serde(default)]
    pub apps: Vec<String>,
    /// Referrers that must map to this entry; checked by the unit tests.
    pub examples: Vec<String>,
}

/// A source of a vendored list: a name, its class and host patterns in our syntax
/// (`example.com` for the host and its subdomains, `stem.*` for any top-level domain).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Listed {
    pub name: String,
    pub class: SourceClass,
    pub hosts: Vec<String>,
}

#[derive(Debug)]
pub(super) struct Known {
    pub name: String,
    pub class: SourceClass,
}

/// Who said it: our own table outranks the vendored lists on the same suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Rank {
    Ours,
    Listed,
}

#[derive(Default, Debug)]
pub(super) struct Table {
    pub sources: Vec<Known>,
    /// `facebook.com` → (rank, index into `sources`).
    exact: HashMap<String, (Rank, usize)>,
    /// `google` (from `google.*`) → (rank, index into `sources`).
    any_tld: HashMap<String, (Rank, usize)>,
    apps: HashMap<String, usize>,
    /// Vendored host patterns not taken: already known, or not a bare host.
    pub skipped: usize,
}

/// Second-level labels under which a country code's sites live (`google.com.vn`, `yahoo.co.jp`).
const SECOND_LEVELS: &[&str] = &[
    "com", "co", "org", "net", "ac", "edu", "gov", "ne", "or", "go", "gob",
];

fn class_of(name: &str) -> Result<SourceClass, String> {
    match name {
        "organic" => Ok(SourceClass::Organic),
        "social" => Ok(SourceClass::Social),
        "referral" => Ok(SourceClass::Referral),
        other => Err(format!("unknown class {other:?}")),
    }
}

/// `google.*` → (any-TLD map, `google`); `facebook.com` → (exact map, `facebook.com`).
fn split_host(host: &str) -> (bool, &str) {
    match host.strip_suffix(".*") {
        Some(stem) => (true, stem),
        None => (false, host),
    }
}

fn is_bare_host(key: &str) -> bool {
    !key.is_empty()
        && key == key.to_ascii_lowercase()
        && !key.contains(['*', '/', ' ', '{', '}', ':'])
        && !key.starts_with('.')
        && !key.ends_with('.')
}

impl Table {
    /// Our table alone; every mistake in it is an error.
    #[cfg(test)]
    pub fn parse(json: &str) -> Result<Table, String> {
        Self::build(json, &[])
    }

    /// Our table, then the vendored sources: a vendored host already known (to us or to an
    /// earlier list) or malformed is skipped, never an error.
    pub fn build(json: &str, listed: &[Listed]) -> Result<Table, String> {
        let file: TableFile = serde_json::from_str(json).map_err(|e| e.to_string())?;
        let mut table = Table::default();
        for (idx, entry) in file.sources.into_iter().enumerate() {
            if entry.name.trim().is_empty() || entry.hosts.is_empty() || entry.examples.is_empty() {
                return Err(format!("source #{idx} needs a name, a host and an example"));
            }
            let class = class_of(&entry.class).map_err(|e| format!("{}: {e}", entry.name))?;
            for host in &entry.hosts {
                let (any, key) = split_host(host);
                if !is_bare_host(key) {
                    return Err(format!("{}: bad host {host:?}", entry.name));
                }
                if !table.insert(any, key, Rank::Ours, idx) {
                    return Err(format!("{}: host {host:?} is listed twice", entry.name));
                }
            }
            for app in &entry.apps {
                if table.apps.insert(app.clone(), idx).is_some() {
                    return Err(format!("{}: app {app:?} is listed twice", entry.name));
                }
            }
            table.sources.push(Known {
                name: entry.name,
                class,
            });
        }
        for source in listed {
            table.add_listed(source);
        }
        Ok(table)
    }

    /// Adds a vendored source, under the index of a known source of the same name and
    /// class (so `Google` from a list stays our `Google`), else as a new one.
    fn add_listed(&mut self, source: &Listed) {
        let same = self
            .sources
            .iter()
            .position(|k| k.class == source.class && k.name.eq_ignore_ascii_case(&source.name));
        let idx = same.unwrap_or(self.sources.len());
        let mut added = false;
        for host in &source.hosts {
            let (any, key) = split_host(host);
            if is_bare_host(key)
                && (any || key.contains('.'))
                && self.insert(any, key, Rank::Listed, idx)
            {
                added = true;
            } else {
                self.skipped += 1;
            }
        }
        if added && same.is_none() {
            self.sources.push(Known {
                name: source.name.clone(),
                class: source.class,
            });
        }
    }

    /// False when the key is already there (the first one stays).
    fn insert(&mut self, any: bool, key: &str, rank: Rank, idx: usize) -> bool {
        let map = if any {
            &mut self.any_tld
        } else {
            &mut self.exact
        };
        if map.contains_key(key) {
            return false;
        }
        map.insert(key.to_owned(), (rank, idx));
        true
    }

    pub fn by_app(&self, package: &str) -> Option<&Known> {
        self.apps.get(package).map(|&i| &self.sources[i])
    }

    /// The entry matching `host` (lower-case ASCII, no trailing dot): the longest matching
    /// suffix wins; on one suffix, ours before vendored, then exact before `.*`.
    pub fn by_host(&self, host: &str) -> Option<&Known> {
        let starts: Vec<usize> = std::iter::once(0)
            .chain(host.match_indices('.').map(|(i, _)| i + 1))
            .collect();
        let n = starts.len();
        // Where the stem ends once a TLD of one or two labels is cut off:
        // `google.com.vn` → `google.com` and `google`.
        let stem_ends: Vec<usize> = (1..=2)
            .filter(|&k| k < n && is_tld_like(&host[starts[n - k]..]))
            .map(|k| starts[n - k] - 1)
            .collect();
        (0..n)
            .find_map(|s| {
                let exact = self.exact.get(&host[starts[s]..]).map(|&(r, i)| (r, 0, i));
                let any = stem_ends
                    .iter()
                    .filter(|&&end| end > starts[s])
                    .find_map(|&end| self.any_tld.get(&host[starts[s]..end]))
                    .map(|&(r, i)| (r, 1, i));
                exact.into_iter().chain(any).min()
            })
            .map(|(_, _, i)| &self.sources[i])
    }
}

/// `de`, `com`, `xn--p1ai`, or a country-code pair like `com.vn`, `co.uk`.
fn is_tld_like(tld: &str) -> bool {
    let is_label = |l: &str| {
        l.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    match tld.split_once('.') {
        None => is_label(tld) && tld.bytes().any(|b| b.is_ascii_lowercase()),
        Some((second, cc)) => {
            SECOND_LEVELS.contains(&second)
                && cc.len() == 2
                && cc.bytes().all(|b| b.is_ascii_lowercase())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OURS: &str = r#"{"sources":[
        {"name":"Google","class":"organic","hosts":["google.*"],"examples":["x"]},
        {"name":"Google Translate","class":"referral","hosts":["translate.google.*"],"examples":["x"]}
    ]}"#;

    fn listed(name: &str, class: SourceClass, hosts: &[&str]) -> Listed {
        let hosts = hosts.iter().map(|h| h.to_string()).collect();
        Listed {
            name: name.into(),
            class,
            hosts,
        }
    }

    #[test]
    fn ours_parses_strictly() {
        let table = Table::parse(OURS).unwrap();
        assert_eq!(table.sources.len(), 2);
        let entry = |fields: &str| format!(r#"{{"sources":[{{"name":"A",{fields}}}]}}"#);
        let ok = r#""class":"social","hosts":["a.com"],"examples":["x"]"#;
        assert!(Table::parse(&entry(ok)).is_ok());
        let bad = [
            r#""class":"direct","hosts":["a.com"],"examples":["x"]"#,
            r#""class":"social","hosts":["a.com","a.com"],"examples":["x"]"#,
            r#""class":"social","hosts":["A.com"],"examples":["x"]"#,
            r#""class":"social","hosts":["a.com/x"],"examples":["x"]"#,
            r#""class":"social","hosts":[],"examples":["x"]"#,
            r#""class":"social","hosts":["a.com"],"examples":[]"#,
            r#""class":"social","hosts":["a.com"],"examples":["x"],"typo":1"#,
        ];
        for fields in bad {
            assert!(Table::parse(&entry(fields)).is_err(), "{fields}");
        }
    }

    #[test]
    fn vendored_sources_merge_under_ours() {
        use SourceClass::*;
        let lists = [
            // Same name and class as ours: joins our entry.
            listed("google", Organic, &["google.*", "wwwgoogle.*"]),
            // More specific than ours: wins on its hosts.
            listed("Google Maps", Referral, &["maps.google.com"]),
            // Same suffix as ours (translate.google.*): ours wins.
            listed("Google Translations", Organic, &["translate.google.com"]),
            listed("Daum", Organic, &["search.daum.net", "bad/path", "nodot"]),
            listed("Daum again", Social, &["search.daum.net"]),
        ];
        let table = Table::build(OURS, &lists).unwrap();
        let got = |host: &str| table.by_host(host).map(|k| (k.name.as_str(), k.class));
        assert_eq!(got("www.wwwgoogle.de"), Some(("Google", Organic)));
        assert_eq!(got("maps.google.com"), Some(("Google Maps", Referral)));
        assert_eq!(got("www.google.com"), Some(("Google", Organic)));
        assert_eq!(
            got("translate.google.com"),
            Some(("Google Translate", Referral))
        );
        assert_eq!(got("search.daum.net"), Some(("Daum", Organic)));
        assert_eq!(got("daum.net"), None);
        // google.* (ours, joined), bad/path, nodot, the second search.daum.net.
        assert_eq!(table.skipped, 4);
        // Google Maps, Google Translations (its exact host is taken, but never answers) and
        // Daum are new; the rest joined ours or added nothing.
        assert_eq!(table.sources.len(), 5);
    }
}
