//! The spool on disk: group commit and order, torn writes at every byte offset, corrupt
//! checksums, the disk budget, and what a reopen replays.
use super::*;
use crate::metrics::Metrics;
use crate::queue::Record;
use emc_sql::rows::ConnectionLogRow;
use std::time::Duration;

fn group(n: u32) -> Vec<Record> {
    vec![Record::Connection(Box::new(ConnectionLogRow {
        received_at: 1_700_000_000 + n,
        site: "227".into(),
        endpoint: "event".into(),
        status: 202,
        reason: format!("ok-{n}"),
        batch_id: u64::from(n),
        ..ConnectionLogRow::default()
    }))]
}

fn small() -> SpoolConfig {
    SpoolConfig {
        max_bytes: 1 << 20,
        segment_bytes: 1 << 20,
        group_commit: 64,
    }
}

/// Opens the spool, reads everything it holds (closing the reader first so it stops at the
/// end), and lets the committer go.
pub(super) async fn replay(dir: &Path) -> (Vec<Spooled>, Recovery, Arc<Metrics>) {
    let metrics = Arc::new(Metrics::new());
    let (writer, mut reader, rec) = open(dir, small(), metrics.clone()).expect("opens");
    drop(writer);
    reader.close();
    let mut out = Vec::new();
    while let Some(g) = tokio::time::timeout(Duration::from_secs(5), reader.next())
        .await
        .expect("no hang")
    {
        out.push(g);
    }
    wait_unlocked(dir).await;
    (out, rec, metrics)
}

/// The committer thread holds the lock until it has seen its last writer go.
async fn wait_unlocked(dir: &Path) {
    let lock = std::fs::File::create(dir.join("LOCK")).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while lock.try_lock().is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "the committer kept the lock"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn reasons(g: &[Spooled]) -> Vec<String> {
    g.iter()
        .map(|s| match &s.records[0] {
            Record::Connection(c) => c.reason.clone(),
            other => panic!("{other:?}"),
        })
        .collect()
}

#[tokio::test]
async fn groups_are_read_back_in_order_after_commit() {
    let dir = tempfile::tempdir().unwrap();
    let metrics = Arc::new(Metrics::new());
    let (writer, mut reader, rec) = open(dir.path(), small(), metrics.clone()).unwrap();
    assert_eq!(rec.groups, 0);
    let pushes: Vec<_> = (0..200u32)
        .map(|n| {
            let w = writer.clone();
            tokio::spawn(async move { w.append(u64::from(n) + 1, &group(n)).await })
        })
        .collect();
    for p in pushes {
        p.await.unwrap().expect("committed");
    }
    let mut ids = Vec::new();
    for _ in 0..200 {
        let g = tokio::time::timeout(Duration::from_secs(5), reader.next())
            .await
            .unwrap()
            .unwrap();
        assert!(!g.replay, "written by this process");
        ids.push(g.id);
    }
    ids.sort_unstable();
    assert_eq!(ids, (1..=200).collect::<Vec<u64>>());
    assert_eq!(metrics.spool_pending_groups.get(), 200);
    let commits = metrics.encode();
    assert!(
        commits.contains("emc_spool_commit_groups_count"),
        "{commits}"
    );
}

#[tokio::test]
async fn a_torn_write_at_every_byte_offset_keeps_exactly_the_complete_records() {
    let frames: Vec<Vec<u8>> = (0..3u32)
        .map(|n| record::encode(u64::from(n) + 1, &group(n)).unwrap())
        .collect();
    let mut segment = record::segment_header().to_vec();
    let mut ends = Vec::new();
    for f in &frames {
        segment.extend_from_slice(f);
        ends.push(segment.len());
    }
    for cut in record::HEADER_LEN as usize..=segment.len() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(segment_path(dir.path(), 1), &segment[..cut]).unwrap();
        let (groups, rec, metrics) = replay(dir.path()).await;
        let complete = ends.iter().filter(|&&e| e <= cut).count();
        assert_eq!(groups.len(), complete, "cut at {cut}");
        assert_eq!(rec.groups, complete as u64, "cut at {cut}");
        assert!(groups.iter().all(|g| g.replay));
        assert_eq!(
            reasons(&groups),
            (0..complete).map(|n| format!("ok-{n}")).collect::<Vec<_>>()
        );
        let torn = cut != record::HEADER_LEN as usize && !ends.contains(&cut);
        assert_eq!(rec.cuts, u64::from(torn), "cut at {cut}");
        let text = metrics.encode();
        assert_eq!(
            text.contains("emc_spool_cut_total{reason=\"torn\"} 1"),
            torn,
            "cut at {cut}: {text}"
        );
        // Cut back to the last valid record (a segment left empty is deleted once read).
        if complete > 0 {
            assert_eq!(
                std::fs::metadata(segment_path(dir.path(), 1))
                    .unwrap()
                    .len() as usize,
                ends[complete - 1],
                "cut at {cut}"
            );
        }
    }
}

#[tokio::test]
async fn a_segment_cut_inside_its_header_is_removed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(segment_path(dir.path(), 1), &record::segment_header()[..7]).unwrap();
    let (groups, rec, _) = replay(dir.path()).await;
    assert!(groups.is_empty());
    assert_eq!(rec.segments, 0);
    // Removed; the number is taken again by the fresh segment, a header alone.
    assert_eq!(
        std::fs::metadata(segment_path(dir.path(), 1))
            .unwrap()
            .len(),
        record::HEADER_LEN
    );
}

#[tokio::test]
async fn a_corrupt_checksum_cuts_the_segment_there() {
    let dir = tempfile::tempdir().unwrap();
    let mut segment = record::segment_header().to_vec();
    let mut starts = Vec::new();
    for n in 0..3u32 {
        starts.push(segment.len());
        segment.extend_from_slice(&record::encode(u64::from(n) + 1, &group(n)).unwrap());
    }
    segment[starts[1] + record::FRAME_LEN + 12] ^= 0x40;
    std::fs::write(segment_path(dir.path(), 1), &segment).unwrap();
    let (groups, rec, metrics) = replay(dir.path()).await;
    assert_eq!(reasons(&groups), vec!["ok-0"]);
    assert_eq!(rec.cuts, 1);
    assert_eq!(rec.cut_bytes, (segment.len() - starts[1]) as u64);
    assert!(metrics
        .encode()
        .contains("emc_spool_cut_total{reason=\"checksum\"} 1"));
    // A garbage length is refused the same way, without allocating it.
    segment.truncate(starts[1]);
    segment.extend_from_slice(&u32::MAX.to_le_bytes());
    segment.extend_from_slice(&[0u8; 12]);
    std::fs::write(segment_path(dir.path(), 1), &segment).unwrap();
    let (groups, _, metrics) = replay(dir.path()).await;
    assert_eq!(reasons(&groups), vec!["ok-0"]);
    assert!(metrics
        .encode()
        .contains("emc_spool_cut_total{reason=\"length\"} 1"));
}

#[tokio::test]
async fn a_reopen_replays_only_what_was_not_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let metrics = Arc::new(Metrics::new());
    let (writer, mut reader, _) = open(dir.path(), small(), metrics.clone()).unwrap();
    for n in 0..10u32 {
        writer.append(u64::from(n) + 1, &group(n)).await.unwrap();
    }
    let mut last = None;
    for _ in 0..4 {
        last = reader.next().await.map(|g| g.end);
    }
    reader.ack(last.unwrap(), 4);
    assert_eq!(metrics.spool_pending_groups.get(), 6);
    drop((writer, reader));
    wait_unlocked(dir.path()).await;
    let (groups, rec, metrics) = replay(dir.path()).await;
    assert_eq!(rec.groups, 6);
    assert_eq!(metrics.spool_pending_groups.get(), 6);
    assert_eq!(
        reasons(&groups),
        (4..10).map(|n| format!("ok-{n}")).collect::<Vec<_>>()
    );
    assert!(groups.iter().all(|g| g.replay), "written before the reopen");
}

#[tokio::test]
async fn a_full_spool_refuses_then_takes_again_once_inserted() {
    let dir = tempfile::tempdir().unwrap();
    let metrics = Arc::new(Metrics::new());
    let frame = record::encode(1, &group(0)).unwrap().len() as u64;
    let cfg = SpoolConfig {
        max_bytes: record::HEADER_LEN + 3 * frame + frame / 2,
        segment_bytes: 1 << 20,
        group_commit: 8,
    };
    let (writer, mut reader, _) = open(dir.path(), cfg, metrics.clone()).unwrap();
    for n in 0..3u32 {
        writer
            .append(u64::from(n) + 1, &group(n))
            .await
            .expect("room");
    }
    assert!(!writer.status().is_full(), "room for three groups");
    let full = writer.append(99, &group(99)).await.unwrap_err();
    assert!(matches!(full, PushError::Full { .. }), "{full:?}");
    assert!(
        writer.status().is_full(),
        "the refusal is what /readyz reads"
    );
    assert!(full.to_string().contains("spool is full"), "{full}");
    assert_eq!(metrics.spool_full.get(), 1);
    // The sink inserts and acknowledges what it read: the sealed segment goes, room returns.
    let mut end = None;
    for _ in 0..3 {
        end = reader.next().await.map(|g| g.end);
    }
    reader.ack(end.unwrap(), 3);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        match writer.append(100, &group(100)).await {
            Ok(()) => break,
            Err(PushError::Full { .. }) => {
                assert!(
                    std::time::Instant::now() < deadline,
                    "the acknowledged segment was never freed: {}",
                    metrics.encode()
                );
                // The committer seals the full segment; the reader sees it and frees it.
                let _ = tokio::time::timeout(Duration::from_millis(20), reader.next()).await;
            }
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(
        list_segments(dir.path()).unwrap().len(),
        1,
        "only the new segment is left"
    );
    assert!(!writer.status().is_full(), "room again");
    assert_eq!(writer.status().io_error(), None);
}

#[tokio::test]
async fn a_second_collector_cannot_open_the_same_spool() {
    let dir = tempfile::tempdir().unwrap();
    let (_w, _r, _) = open(dir.path(), small(), Arc::new(Metrics::new())).unwrap();
    let err = open(dir.path(), small(), Arc::new(Metrics::new())).unwrap_err();
    assert!(err.to_string().contains("in use"), "{err}");
}
