//! Daily salts for visitor ids.
//!
//! A visitor id is a keyed hash of (site, client ip, user agent) under a random key that lives one
//! UTC day: the same person gets the same id all day, and nobody, us included, can link the ids of
//! two days once the older key is gone. Keys are kept on disk only so a restart keeps the day's
//! ids; a key older than yesterday is deleted (yesterday's is kept so a session that crosses
//! midnight can still be matched).

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::hash::Hasher;
use std::io::{self, Write};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, NaiveDate, Utc};
use siphasher::sip::SipHasher24;

type Key = [u8; 16];

#[derive(Debug, thiserror::Error)]
pub enum SaltError {
    /// `action` is what we were doing ("creating salt directory", "writing salt", …).
    #[error("{action} {}", .path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },
}

fn io_err<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> SaltError + 'a {
    move |source| SaltError::Io {
        action,
        path: path.to_owned(),
        source,
    }
}

#[derive(Debug, Clone, Copy)]
pub struct DayKeys {
    pub today: Key,
    pub yesterday: Option<Key>,
}

/// One 16-byte random key per UTC day, persisted as `dir/YYYY-MM-DD.key` (mode 0600).
/// `keys` is cheap once the day's key is known: a lock and a map lookup; the disk is touched only
/// on the first call of a day.
pub struct SaltStore {
    dir: PathBuf,
    state: Mutex<State>,
}

struct State {
    keys: BTreeMap<NaiveDate, Key>,
    /// The day of the last sweep of stale files; `None` until the first `keys` call.
    swept: Option<NaiveDate>,
}

impl SaltStore {
    /// Creates `dir` (mode 0700) if missing and loads the key files in it. Stale files are deleted
    /// on the first `keys` call, which knows what "today" is.
    pub fn open(dir: &Path) -> Result<SaltStore, SaltError> {
        let mut builder = fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder
            .create(dir)
            .map_err(io_err("creating salt directory", dir))?;
        let mut keys = BTreeMap::new();
        for (day, path) in key_files(dir)? {
            if let Some(key) = read_key(&path)? {
                keys.insert(day, key);
            }
        }
        Ok(SaltStore {
            dir: dir.to_owned(),
            state: Mutex::new(State { keys, swept: None }),
        })
    }

    /// Today's key and yesterday's (if known), creating today's if missing. The day is the UTC
    /// date of `now`. Keys older than yesterday are dropped from memory, and from disk once a day.
    pub fn keys(&self, now: DateTime<Utc>) -> Result<DayKeys, SaltError> {
        let today = now.date_naive();
        let yesterday = today.pred_opt();
        let mut state = self.lock();
        if state.swept != Some(today) {
            self.sweep(&mut state, today, yesterday)?;
        }
        let today_key = match state.keys.get(&today) {
            Some(k) => *k,
            None => {
                let k = self.create(today)?;
                state.keys.insert(today, k);
                k
            }
        };
        let yesterday_key = yesterday.and_then(|d| state.keys.get(&d).copied());
        Ok(DayKeys {
            today: today_key,
            yesterday: yesterday_key,
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Forgets and deletes keys older than yesterday; picks up today's and yesterday's keys that
    /// another process wrote. A file that cannot be deleted is logged and retried the next day.
    fn sweep(
        &self,
        state: &mut State,
        today: NaiveDate,
        yesterday: Option<NaiveDate>,
    ) -> Result<(), SaltError> {
        let oldest = yesterday.unwrap_or(today);
        state.keys.retain(|day, _| *day >= oldest);
        for (day, path) in key_files(&self.dir)? {
            if day < oldest {
                match fs::remove_file(&path) {
                    Ok(()) => {}
                    // Another collector sharing the folder (EMC_SALT_DIR) deleted it first.
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    Err(error) => {
                        tracing::warn!(path = %path.display(), %error, "could not delete stale salt")
                    }
                }
            } else if let std::collections::btree_map::Entry::Vacant(slot) = state.keys.entry(day) {
                if let Some(key) = read_key(&path)? {
                    slot.insert(key);
                }
            }
        }
        state.swept = Some(today);
        Ok(())
    }

    /// Writes a new key for `day` atomically and exclusively: a temp file is written, synced and
    /// hard-linked to the final name, so a second process creating the same day's key at the same
    /// moment reads the winner's key instead of overwriting it.
    fn create(&self, day: NaiveDate) -> Result<Key, SaltError> {
        let path = key_path(&self.dir, day);
        let tmp = self
            .dir
            .join(format!(".{day}.{:016x}.tmp", rand::random::<u64>()));
        let key: Key = rand::random();
        write_private(&tmp, &key).map_err(io_err("writing salt", &tmp))?;
        let result = match fs::hard_link(&tmp, &path) {
            Ok(()) => Ok(key),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => match read_key(&path) {
                Ok(Some(existing)) => Ok(existing),
                // A damaged file (wrong length) is replaced.
                Ok(None) => fs::rename(&tmp, &path)
                    .map(|()| key)
                    .map_err(io_err("writing salt", &path)),
                Err(e) => Err(e),
            },
            // A filesystem without hard links: rename, which is atomic but not exclusive.
            Err(_) => fs::rename(&tmp, &path)
                .map(|()| key)
                .map_err(io_err("writing salt", &path)),
        };
        let _ = fs::remove_file(&tmp);
        result
    }
}

fn key_path(dir: &Path, day: NaiveDate) -> PathBuf {
    dir.join(format!("{}.key", day.format("%Y-%m-%d")))
}

/// The `YYYY-MM-DD.key` files of `dir`; other names are left alone.
fn key_files(dir: &Path) -> Result<Vec<(NaiveDate, PathBuf)>, SaltError> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).map_err(io_err("reading salt directory", dir))? {
        let entry = entry.map_err(io_err("reading salt directory", dir))?;
        let name = entry.file_name();
        let day = name
            .to_str()
            .and_then(|n| n.strip_suffix(".key"))
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
        if let Some(day) = day {
            out.push((day, entry.path()));
        }
    }
    Ok(out)
}

/// The key in `path`; `None` when the file is gone or does not hold exactly 16 bytes.
fn read_key(path: &Path) -> Result<Option<Key>, SaltError> {
    match fs::read(path) {
        Ok(bytes) => Ok(Key::try_from(bytes.as_slice()).ok()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_err("reading salt", path)(e)),
    }
}

fn write_private(path: &Path, key: &Key) -> io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(key)?;
    file.sync_all()
}

/// Keyed SipHash-2-4 of (site, client ip, user agent) under `key`. Strings are length-prefixed
/// and the address is tagged with its family, so no two inputs share an encoding. An IPv4-mapped
/// IPv6 address (`::ffff:1.2.3.4`, as dual-stack sockets report) counts as the IPv4 address.
/// Never 0, which means "no visitor".
pub fn visitor_id(key: &[u8; 16], site: &str, ip: IpAddr, user_agent: &str) -> u64 {
    let mut h = SipHasher24::new_with_key(key);
    let mut field = |bytes: &[u8]| {
        h.write(&(bytes.len() as u64).to_le_bytes());
        h.write(bytes);
    };
    field(site.as_bytes());
    match ip.to_canonical() {
        IpAddr::V4(v4) => field(&v4.octets()),
        IpAddr::V6(v6) => field(&v6.octets()),
    }
    field(user_agent.as_bytes());
    h.finish().max(1)
}

/// Salts for historical imports: one random key per UTC day of the event time, kept in memory
/// only. The real salts of past days are deleted by design, so imported visitors never match live
/// ones, and two imports of the same log give different ids.
#[derive(Default)]
pub struct EphemeralSalts {
    keys: Mutex<HashMap<NaiveDate, Key>>,
}

impl EphemeralSalts {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn key_for(&self, t: DateTime<Utc>) -> [u8; 16] {
        let mut keys = self
            .keys
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *keys.entry(t.date_naive()).or_insert_with(rand::random)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn files(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }

    const IP: &str = "113.161.1.2";
    const UA: &str = "Mozilla/5.0 Chrome/122";

    fn id(keys: &DayKeys) -> u64 {
        visitor_id(&keys.today, "227", IP.parse().unwrap(), UA)
    }

    #[test]
    fn same_day_keeps_ids_across_reopen_and_midnight_rotates() {
        let dir = tempfile::tempdir().unwrap();
        let store = SaltStore::open(dir.path()).unwrap();
        let morning = store.keys(at("2024-03-05T00:00:00Z")).unwrap();
        let evening = store.keys(at("2024-03-05T23:59:59Z")).unwrap();
        assert_eq!(id(&morning), id(&evening));
        assert_eq!(morning.yesterday, None);
        drop(store);

        let reopened = SaltStore::open(dir.path()).unwrap();
        let after_restart = reopened.keys(at("2024-03-05T12:00:00Z")).unwrap();
        assert_eq!(
            id(&after_restart),
            id(&morning),
            "a restart the same day keeps ids"
        );

        let next = reopened.keys(at("2024-03-06T00:00:00Z")).unwrap();
        assert_ne!(id(&next), id(&morning), "next day, new id");
        assert_eq!(
            next.yesterday,
            Some(morning.today),
            "yesterday's key still offered"
        );
        assert_eq!(files(dir.path()), ["2024-03-05.key", "2024-03-06.key"]);
    }

    #[test]
    fn keys_older_than_yesterday_are_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let store = SaltStore::open(dir.path()).unwrap();
        let first = store.keys(at("2024-03-05T10:00:00Z")).unwrap();
        store.keys(at("2024-03-06T10:00:00Z")).unwrap();
        let third = store.keys(at("2024-03-07T10:00:00Z")).unwrap();
        assert_eq!(files(dir.path()), ["2024-03-06.key", "2024-03-07.key"]);
        assert_ne!(third.yesterday, Some(first.today));

        // A stale file found at open is deleted on the first call; other names are left alone.
        fs::write(dir.path().join("2024-01-01.key"), [7u8; 16]).unwrap();
        fs::write(dir.path().join("README"), "x").unwrap();
        let reopened = SaltStore::open(dir.path()).unwrap();
        let later = reopened.keys(at("2024-03-09T10:00:00Z")).unwrap();
        assert_eq!(later.yesterday, None, "the 8th never had a key");
        assert_eq!(files(dir.path()), ["2024-03-09.key", "README"]);
    }

    #[test]
    fn key_files_are_private_and_damaged_ones_replaced() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("2024-03-05.key"), b"short").unwrap();
        let store = SaltStore::open(dir.path()).unwrap();
        let keys = store.keys(at("2024-03-05T10:00:00Z")).unwrap();
        let path = dir.path().join("2024-03-05.key");
        assert_eq!(fs::read(&path).unwrap(), keys.today);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
    }

    #[test]
    fn processes_creating_the_same_day_agree_on_one_key() {
        let dir = tempfile::tempdir().unwrap();
        let now = at("2024-03-05T10:00:00Z");
        let stores: Vec<SaltStore> = (0..8)
            .map(|_| SaltStore::open(dir.path()).unwrap())
            .collect();
        let keys: Vec<Key> = std::thread::scope(|s| {
            let handles: Vec<_> = stores
                .iter()
                .map(|st| s.spawn(move || st.keys(now)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap().unwrap().today)
                .collect()
        });
        assert!(keys.iter().all(|k| *k == keys[0]), "{keys:?}");
        assert_eq!(
            files(dir.path()),
            ["2024-03-05.key"],
            "temp files are cleaned up"
        );
    }

    #[test]
    fn open_reports_the_path_it_could_not_create() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a-file");
        fs::write(&file, "x").unwrap();
        let err = SaltStore::open(&file.join("salts"))
            .err()
            .expect("cannot create under a file");
        assert!(err.to_string().contains("a-file"), "{err}");
    }

    #[test]
    fn ids_differ_by_each_input_and_framing_is_unambiguous() {
        let k = [1u8; 16];
        let v4: IpAddr = IP.parse().unwrap();
        let base = visitor_id(&k, "227", v4, UA);
        let others = [
            visitor_id(&[2u8; 16], "227", v4, UA),
            visitor_id(&k, "228", v4, UA),
            visitor_id(&k, "227", "113.161.1.3".parse().unwrap(), UA),
            visitor_id(&k, "227", "2402:800::1".parse().unwrap(), UA),
            visitor_id(&k, "227", v4, "Mozilla/5.0 Firefox/124"),
            visitor_id(&k, "227", v4, ""),
        ];
        for other in others {
            assert_ne!(base, other);
        }
        assert_eq!(base, visitor_id(&k, "227", v4, UA), "deterministic");
        assert_eq!(
            base,
            visitor_id(&k, "227", "::ffff:113.161.1.2".parse().unwrap(), UA)
        );
        let ip: IpAddr = "1.2.3.4".parse().unwrap();
        let framing = [
            (("ab", "c"), ("a", "bc")),
            (("", "abc"), ("abc", "")),
            (("a\0", "b"), ("a", "\0b")),
        ];
        for ((s1, u1), (s2, u2)) in framing {
            assert_ne!(
                visitor_id(&k, s1, ip, u1),
                visitor_id(&k, s2, ip, u2),
                "{s1:?},{u1:?}"
            );
        }
        assert_ne!(visitor_id(&k, "", ip, ""), 0);
    }

    #[test]
    fn ephemeral_salts_are_per_utc_day() {
        let salts = EphemeralSalts::new();
        let a = salts.key_for(at("2023-01-01T00:00:00Z"));
        assert_eq!(a, salts.key_for(at("2023-01-01T23:59:59Z")));
        assert_eq!(
            a,
            salts.key_for(at("2023-01-02T06:00:00+07:00")),
            "06:00 +07 is still the 1st in UTC"
        );
        assert_ne!(a, salts.key_for(at("2023-01-02T00:00:00Z")));
        assert_ne!(a, EphemeralSalts::new().key_for(at("2023-01-01T00:00:00Z")));
    }
}
