//! The format across versions: golden segments written by each release replay into today's
//! rows, today's layout still encodes its golden records to the committed bytes, and a segment
//! of an unknown version is refused and left alone.
use super::tests::replay;
use super::*;
use crate::metrics::Metrics;
use crate::queue::Record;
use std::path::PathBuf;

fn golden(version: u32) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("testdata/spool/v{version}"))
}

/// The golden segment of `version` copied into a fresh spool folder.
fn spool_of(version: u32) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let name = "00000000000000000001.seg";
    std::fs::copy(golden(version).join(name), dir.path().join(name)).unwrap();
    dir
}

/// The groups as the writing release held them in memory, serialized as JSON by that release
/// (`groups.jsonl`: one `{"id", "records":[{"event"|"session"|"connection": row}]}` a line).
fn expected(version: u32) -> Vec<serde_json::Value> {
    std::fs::read_to_string(golden(version).join("groups.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn as_json(g: &Spooled) -> serde_json::Value {
    let records: Vec<serde_json::Value> = g
        .records
        .iter()
        .map(|r| match r {
            Record::Event(e) => serde_json::json!({ "event": e }),
            Record::Session(s) => serde_json::json!({ "session": s }),
            Record::Connection(c) => serde_json::json!({ "connection": c }),
        })
        .collect();
    serde_json::json!({ "id": g.id, "records": records })
}

#[tokio::test]
async fn version_1_segments_replay_into_todays_rows() {
    let dir = spool_of(1);
    let (groups, rec, metrics) = replay(dir.path()).await;
    assert_eq!(rec.cuts, 0, "{}", metrics.encode());
    assert!(
        !metrics.encode().contains("undecodable"),
        "{}",
        metrics.encode()
    );
    let want = expected(1);
    assert_eq!(groups.len(), want.len());
    for (g, want) in groups.iter().zip(want) {
        assert!(g.replay);
        let mut got = as_json(g);
        // The columns added since version 1: one request per row, as version 1 wrote them,
        // and no site search.
        for r in got["records"].as_array_mut().unwrap() {
            if let Some(c) = r.get_mut("connection") {
                let count = c.as_object_mut().unwrap().remove("count");
                assert_eq!(count, Some(serde_json::json!(1)));
            }
            if let Some(e) = r.get_mut("event") {
                let e = e.as_object_mut().unwrap();
                assert_eq!(e.remove("search_keyword"), Some(serde_json::json!("")));
                assert_eq!(e.remove("search_category"), Some(serde_json::json!("")));
                assert_eq!(e.remove("search_count"), Some(serde_json::Value::Null));
            }
        }
        assert_eq!(got, want);
    }
}

#[tokio::test]
async fn version_2_segments_replay_into_todays_rows() {
    let dir = spool_of(2);
    let (groups, rec, metrics) = replay(dir.path()).await;
    assert_eq!(rec.cuts, 0, "{}", metrics.encode());
    assert!(
        !metrics.encode().contains("undecodable"),
        "{}",
        metrics.encode()
    );
    let want = expected(2);
    assert_eq!(groups.len(), want.len());
    let mut events = 0;
    for (g, want) in groups.iter().zip(want) {
        assert!(g.replay);
        let mut got = as_json(g);
        // The columns added since version 2: no site search, as version 2 knew none.
        for r in got["records"].as_array_mut().unwrap() {
            if let Some(e) = r.get_mut("event") {
                let e = e.as_object_mut().unwrap();
                assert_eq!(e.remove("search_keyword"), Some(serde_json::json!("")));
                assert_eq!(e.remove("search_category"), Some(serde_json::json!("")));
                assert_eq!(e.remove("search_count"), Some(serde_json::Value::Null));
                events += 1;
            }
        }
        assert_eq!(got, want);
    }
    assert!(events > 0, "the version 2 golden segment holds events");
}

#[tokio::test]
async fn the_current_layout_still_reads_and_writes_its_golden_bytes() {
    let dir = spool_of(record::VERSION);
    let (groups, _, _) = replay(dir.path()).await;
    let want = expected(record::VERSION);
    assert_eq!(groups.len(), want.len());
    let mut bytes = record::segment_header().to_vec();
    for (g, want) in groups.iter().zip(want) {
        assert_eq!(as_json(g), want);
        bytes.extend(record::encode(g.id, &g.records).unwrap());
    }
    let committed =
        std::fs::read(golden(record::VERSION).join("00000000000000000001.seg")).unwrap();
    assert!(
        bytes == committed,
        "the row types no longer encode as spool format version {v} did: a layout change needs a new version (freeze the old layout as spool/v{v}.rs, read it in record::decode, bump VERSION, commit golden segments of the new one)",
        v = record::VERSION
    );
}

#[test]
fn a_segment_of_an_unknown_version_is_refused_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let mut segment = record::segment_header().to_vec();
    segment[8..12].copy_from_slice(&(record::VERSION + 1).to_le_bytes());
    segment.extend_from_slice(b"records of a newer collector");
    let path = segment_path(dir.path(), 7);
    std::fs::write(&path, &segment).unwrap();
    let err = open(dir.path(), SpoolConfig::default(), Arc::new(Metrics::new())).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains(&format!("format version {}", record::VERSION + 1))
            && msg.contains("00000000000000000007.seg")
            && msg.contains("left on disk"),
        "{msg}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), segment, "kept as it was");
}
