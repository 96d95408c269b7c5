//! The DVC sanitizer: what a public-service portal's `trackDVC` sends, made safe to store.
//!
//! `trackDVC(service, flag, "dossierId;ddMMyyyy;applicantName;applicantIdNo")` carries the
//! applicant's name and ID number. The tag already cuts them off in the browser, but older
//! tags, the Matomo API (custom variables) and hand-written calls do not, so the pipeline
//! runs [`sanitize`] on every hit before anything is stored or logged (`put_dvc`):
//!
//! - an event named `dvc` keeps only `service`, `flag` and `date` (the dossier's date,
//!   `ddMMyyyy`: not personal, and what reports per day of filing need), and gets
//!   `dossier_hash` = hex SipHash-2-4 of the dossier id under a key of this installation
//!   instead of `dossier`. Every other prop is dropped; one carrying the legacy 4-field form
//!   gives its dossier hash and date first.
//! - any other hit: a prop whose value has the legacy 4-field form is replaced by
//!   `dossier_hash` and `date`.
//!
//! The key is 16 random bytes at `EMC_DATA_DIR/dvc.key` (mode 0600), created on first use,
//! so equal dossiers hash equal across restarts and nobody without the key can test a
//! guessed dossier id against the stored hash.
use siphasher::sip::SipHasher24;
use std::hash::Hasher;
use std::io::{Read, Write};
use std::path::Path;

pub const KEY_FILE: &str = "dvc.key";

/// The keyed hash of dossier ids.
#[derive(Clone)]
pub struct DvcKey([u8; 16]);

impl std::fmt::Debug for DvcKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DvcKey(…)")
    }
}

impl DvcKey {
    /// Reads `dir/dvc.key`, creating it (16 random bytes, mode 0600) when missing.
    /// Two processes starting at once agree: the loser of `create_new` reads the winner's.
    pub fn open(dir: &Path) -> std::io::Result<DvcKey> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(KEY_FILE);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(&path) {
            Ok(mut f) => {
                let key: [u8; 16] = rand::random();
                f.write_all(&key)?;
                f.sync_all()?;
                Ok(DvcKey(key))
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Self::read(&path),
            Err(e) => Err(e),
        }
    }

    fn read(path: &Path) -> std::io::Result<DvcKey> {
        // A writer may be between create and write: give it a moment.
        for _ in 0..50 {
            let mut bytes = Vec::new();
            std::fs::File::open(path)?.read_to_end(&mut bytes)?;
            if let Ok(key) = <[u8; 16]>::try_from(bytes.as_slice()) {
                return Ok(DvcKey(key));
            }
            if bytes.len() > 16 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{} is not 16 bytes", path.display()),
        ))
    }

    /// A key for this process only (tests).
    pub fn ephemeral() -> DvcKey {
        DvcKey(rand::random())
    }

    /// 16 hex digits.
    pub fn hash(&self, dossier: &str) -> String {
        let mut h = SipHasher24::new_with_key(&self.0);
        h.write(dossier.trim().as_bytes());
        format!("{:016x}", h.finish())
    }
}

/// A legacy `dossierId;ddMMyyyy;applicantName;applicantIdNo` value, with only what may be kept.
#[derive(Debug, PartialEq, Eq)]
pub struct Legacy<'a> {
    pub dossier: &'a str,
    pub date: Option<&'a str>,
}

/// The 4-field form (exactly four `;`-separated fields). Names and ID numbers never contain `;`.
pub fn parse_legacy(raw: &str) -> Option<Legacy<'_>> {
    let fields: Vec<&str> = raw.split(';').collect();
    (fields.len() == 4).then(|| Legacy {
        dossier: fields[0].trim(),
        date: valid_date(fields[1]),
    })
}

/// `ddMMyyyy` (8 digits), else nothing.
fn valid_date(s: &str) -> Option<&str> {
    let s = s.trim();
    (s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit())).then_some(s)
}

const KEPT: [&str; 2] = ["service", "flag"];
const MAX_KEPT: usize = 64;

/// The props of a hit named `name`, with dossier ids hashed and personal data dropped.
pub fn sanitize(key: &DvcKey, name: &str, props: Vec<(String, String)>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::with_capacity(props.len());
    if name != "dvc" {
        for (k, v) in props {
            match parse_legacy(&v) {
                Some(l) => from_legacy(key, &mut out, l),
                None => out.push((k, v)),
            }
        }
        return out;
    }
    // First the legacy strings (wherever they hide), then the plain fields, so a plain
    // `date` next to a legacy string is not duplicated.
    let mut plain = Vec::new();
    for (k, v) in props {
        let legacy = if k == "dossier" {
            Some(v.split(';').collect::<Vec<_>>())
        } else {
            None
        };
        match (legacy, parse_legacy(&v)) {
            (_, Some(l)) => from_legacy(key, &mut out, l),
            // `dossier` with fewer or more fields: its first is the id, its second the date.
            (Some(f), None) if f.len() > 1 => from_legacy(
                key,
                &mut out,
                Legacy {
                    dossier: f[0].trim(),
                    date: f.get(1).and_then(|d| valid_date(d)),
                },
            ),
            _ => plain.push((k, v)),
        }
    }
    for (k, v) in plain {
        match k.as_str() {
            "dossier" if !v.trim().is_empty() => put(&mut out, "dossier_hash", key.hash(&v)),
            "date" => {
                if let Some(d) = valid_date(&v) {
                    put(&mut out, "date", d.to_owned())
                }
            }
            k if KEPT.contains(&k) => put(&mut out, k, v.chars().take(MAX_KEPT).collect()),
            _ => {}
        }
    }
    out.sort();
    out
}

fn put(out: &mut Vec<(String, String)>, k: &str, v: String) {
    if !out.iter().any(|(ok, _)| ok == k) {
        out.push((k.to_owned(), v));
    }
}

fn from_legacy(key: &DvcKey, out: &mut Vec<(String, String)>, l: Legacy<'_>) {
    if !l.dossier.is_empty() {
        put(out, "dossier_hash", key.hash(l.dossier));
    }
    if let Some(d) = l.date {
        put(out, "date", d.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn dvc_events_keep_service_flag_date_and_a_dossier_hash_only() {
        let key = DvcKey::ephemeral();
        let h = key.hash("000.00.12.H56-240305-0001");
        let want = p(&[
            ("date", "05032024"),
            ("dossier_hash", &h),
            ("flag", "1"),
            ("service", "1.004227"),
        ]);
        let cases: Vec<(&str, Vec<(String, String)>)> = vec![
            // what the tag sends
            (
                "tag",
                p(&[
                    ("service", "1.004227"),
                    ("flag", "1"),
                    ("dossier", "000.00.12.H56-240305-0001"),
                    ("date", "05032024"),
                ]),
            ),
            // an older tag: the raw string in `dossier`
            (
                "raw dossier",
                p(&[
                    ("service", "1.004227"),
                    ("flag", "1"),
                    (
                        "dossier",
                        "000.00.12.H56-240305-0001;05032024;Nguyễn Văn A;001203004567",
                    ),
                ]),
            ),
            // the raw string under any other key, and junk props
            (
                "raw elsewhere",
                p(&[
                    ("service", "1.004227"),
                    ("flag", "1"),
                    (
                        "x",
                        "000.00.12.H56-240305-0001;05032024;Nguyễn Văn A;001203004567",
                    ),
                    ("applicant", "Nguyễn Văn A"),
                    ("cccd", "001203004567"),
                ]),
            ),
        ];
        for (what, props) in cases {
            assert_eq!(sanitize(&key, "dvc", props), want, "{what}");
        }
    }

    #[test]
    fn empty_and_odd_dossiers() {
        let key = DvcKey::ephemeral();
        // the deployed portals call trackDVC(code, '1', ''): no hash, no date
        assert_eq!(
            sanitize(
                &key,
                "dvc",
                p(&[("service", "2.001"), ("flag", "1"), ("dossier", "")])
            ),
            p(&[("flag", "1"), ("service", "2.001")])
        );
        // a bad date is dropped, the dossier still hashed
        let got = sanitize(&key, "dvc", p(&[("dossier", "D1;5/3/2024;Tên;123")]));
        assert_eq!(got, p(&[("dossier_hash", &key.hash("D1"))]));
        // two fields only
        let got = sanitize(&key, "dvc", p(&[("dossier", "D1;05032024")]));
        assert_eq!(
            got,
            p(&[("date", "05032024"), ("dossier_hash", &key.hash("D1"))])
        );
    }

    #[test]
    fn other_hits_lose_only_legacy_strings() {
        let key = DvcKey::ephemeral();
        let got = sanitize(
            &key,
            "search",
            p(&[
                ("q", "hộ chiếu"),
                ("cvar", "D9;01022025;Trần B;079090001234"),
                ("list", "a;b"),
            ]),
        );
        assert_eq!(
            got,
            p(&[
                ("q", "hộ chiếu"),
                ("dossier_hash", &key.hash("D9")),
                ("date", "01022025"),
                ("list", "a;b")
            ])
        );
    }

    #[test]
    fn the_key_file_is_private_and_stable() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let a = DvcKey::open(dir.path()).unwrap();
        let b = DvcKey::open(dir.path()).unwrap();
        assert_eq!(a.hash("D1"), b.hash("D1"), "equal across restarts");
        assert_ne!(a.hash("D1"), DvcKey::ephemeral().hash("D1"), "keyed");
        let mode = std::fs::metadata(dir.path().join(KEY_FILE))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600);
        std::fs::write(dir.path().join(KEY_FILE), b"short").unwrap();
        assert!(DvcKey::open(dir.path()).is_err());
    }
}
