//! What the migration runner does when an `ON CLUSTER` statement cannot finish everywhere.
//!
//! An `ON CLUSTER` statement is queued in ZooKeeper (`distributed_ddl`) and executed by every
//! host of the cluster; the initiator waits `distributed_ddl_task_timeout` seconds for all of
//! them. When a replica is down, the wait ends with code 159 ("There are 1 unfinished hosts"):
//! the runner then reads the task's `finished` list in ZooKeeper, names the hosts that did
//! not answer, and fails without recording the migration — unless every unfinished host is
//! still executing the statement (a slow `ALTER` of a replicated table on a busy machine): then
//! the runner keeps watching the task's `finished` list for as long again before it gives up.
//! The statement stays queued: the
//! host executes it when it comes back, and the next run re-applies the migration (every
//! statement is idempotent) and records it. A database whose migrations are all recorded
//! sends no DDL at all, so services start while a replica is down.
use clickhouse::Client;

/// How long the runner waits for every host of an `ON CLUSTER` statement by default.
pub const DDL_TIMEOUT_SECS: u64 = 120;
/// "Watching task … is executing longer than distributed_ddl_task_timeout".
const TIMEOUT_EXCEEDED: u32 = 159;

/// The ZooKeeper path of the DDL task a code-159 error is about, if it is one.
pub fn timed_out_task(err: &clickhouse::error::Error) -> Option<String> {
    let clickhouse::error::Error::BadResponse(text) = err else {
        return None;
    };
    if crate::migrate::error_code(text) != Some(TIMEOUT_EXCEEDED) {
        return None;
    }
    let rest = &text[text.find("Watching task ")? + "Watching task ".len()..];
    let path = rest.split_whitespace().next()?;
    path.starts_with('/').then(|| path.to_owned())
}

/// True when a code-159 error says every unfinished host is still executing the task:
/// "There are 1 unfinished hosts (1 of them are currently active)" (18.16's words; a server
/// that words it otherwise gets no second wait).
pub fn unfinished_hosts_all_active(err: &clickhouse::error::Error) -> bool {
    let clickhouse::error::Error::BadResponse(text) = err else {
        return false;
    };
    // The number written right before `marker` ("There are 2| unfinished hosts").
    let count_before = |marker: &str| -> Option<u64> {
        let head = &text[..text.find(marker)?];
        let digits = head.len() - head.trim_end_matches(|c: char| c.is_ascii_digit()).len();
        head[head.len() - digits..].parse().ok()
    };
    match (
        count_before(" unfinished hosts"),
        count_before(" of them are currently active"),
    ) {
        (Some(unfinished), Some(active)) => unfinished > 0 && active == unfinished,
        _ => false,
    }
}

/// How the hosts of a DDL task stood when the runner stopped watching it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskState {
    /// Every host finished it without error.
    Done,
    /// Some host has not finished it ([`unfinished_hosts`] names them).
    Unfinished,
    /// A host finished it with an error: (`host:port`, ClickHouse code, message).
    Failed(String, u32, String),
}

/// Watches the task at `task` until every host of `cluster` has finished it (or one failed
/// it) or `bound` has passed.
pub async fn wait_for_hosts(
    client: &Client,
    cluster: &str,
    task: &str,
    bound: std::time::Duration,
) -> Result<TaskState, clickhouse::error::Error> {
    let deadline = std::time::Instant::now() + bound;
    let hosts = cluster_hosts(client, cluster).await?;
    loop {
        let (left, failed) = task_hosts(client, &hosts, task).await?;
        if let Some((host, code, message)) = failed.into_iter().next() {
            return Ok(TaskState::Failed(host, code, message));
        }
        if left.is_empty() {
            return Ok(TaskState::Done);
        }
        if std::time::Instant::now() >= deadline {
            return Ok(TaskState::Unfinished);
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
}

/// A `finished` node's value is the host's result: its exception code, a newline, the message
/// (`0` and an empty message when it succeeded).
fn parse_result(value: &str) -> (u32, &str) {
    let (code, message) = value.split_once('\n').unwrap_or((value, ""));
    (code.trim().parse().unwrap_or(0), message.trim())
}

/// Of `hosts` (`host:port`), those that have not finished the task at `task`, and those that
/// finished it with an error.
async fn task_hosts(
    client: &Client,
    hosts: &[String],
    task: &str,
) -> Result<(Vec<String>, Vec<(String, u32, String)>), clickhouse::error::Error> {
    let finished: Vec<(String, String)> = client
        .query("SELECT name, value FROM system.zookeeper WHERE path = ?")
        .bind(format!("{task}/finished"))
        .fetch_all()
        .await?;
    let finished: Vec<(String, String)> = finished
        .into_iter()
        .map(|(n, v)| (unescape(&n), v))
        .collect();
    let failed = finished
        .iter()
        .filter_map(|(host, value)| {
            let (code, message) = parse_result(value);
            (code != 0).then(|| (host.clone(), code, message.to_owned()))
        })
        .collect();
    let left = hosts
        .iter()
        .filter(|h| !finished.iter().any(|(f, _)| f == *h))
        .cloned()
        .collect();
    Ok((left, failed))
}

async fn cluster_hosts(
    client: &Client,
    cluster: &str,
) -> Result<Vec<String>, clickhouse::error::Error> {
    let hosts: Vec<(String, u16)> = client
        .query("SELECT host_name, toUInt16(port) FROM system.clusters WHERE cluster = ? ORDER BY shard_num, replica_num")
        .bind(cluster)
        .fetch_all()
        .await?;
    Ok(hosts.into_iter().map(|(h, p)| format!("{h}:{p}")).collect())
}

/// The `host:port` of every host of `cluster` that has not finished the DDL task at `task`.
pub async fn unfinished_hosts(
    client: &Client,
    cluster: &str,
    task: &str,
) -> Result<Vec<String>, clickhouse::error::Error> {
    let hosts = cluster_hosts(client, cluster).await?;
    Ok(task_hosts(client, &hosts, task).await?.0)
}

/// `127%2E0%2E0%2E1:9000` → `127.0.0.1:9000`.
fn unescape(name: &str) -> String {
    let bytes = name.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names_are_unescaped() {
        assert_eq!(unescape("127%2E0%2E0%2E1:9000"), "127.0.0.1:9000");
        assert_eq!(unescape("a%zz"), "a%zz");
    }

    #[test]
    fn only_a_ddl_timeout_names_its_task() {
        let e = clickhouse::error::Error::BadResponse("Code: 159, e.displayText() = DB::Exception: Watching task /clickhouse/task_queue/ddl/query-0000000096 is executing longer than distributed_ddl_task_timeout (=5) seconds. There are 1 unfinished hosts (0 of them are currently active), they are going to execute the query in background, e.what() = DB::Exception".into());
        assert_eq!(
            timed_out_task(&e).as_deref(),
            Some("/clickhouse/task_queue/ddl/query-0000000096")
        );
        let other = clickhouse::error::Error::BadResponse(
            "Code: 60, e.displayText() = DB::Exception: Watching task /x".into(),
        );
        assert_eq!(timed_out_task(&other), None);
        assert!(!unfinished_hosts_all_active(&e));
        assert!(!unfinished_hosts_all_active(&other));
    }

    #[test]
    fn a_finished_hosts_result_is_its_code_and_message() {
        assert_eq!(parse_result("0\n"), (0, ""));
        assert_eq!(
            parse_result("44\nCode: 44, e.displayText() = DB::Exception: Cannot add column\n"),
            (
                44,
                "Code: 44, e.displayText() = DB::Exception: Cannot add column"
            )
        );
        assert_eq!(parse_result(""), (0, ""));
    }

    #[test]
    fn the_counts_are_the_numbers_next_to_their_words() {
        // "(=120)" is not the count of unfinished hosts.
        let odd = clickhouse::error::Error::BadResponse("Code: 159, … timeout (=120) seconds. There are unfinished hosts (120 of them are currently active)".into());
        assert!(!unfinished_hosts_all_active(&odd));
    }

    #[test]
    fn hosts_still_executing_are_told_from_hosts_that_are_down() {
        let busy = clickhouse::error::Error::BadResponse("Code: 159, e.displayText() = DB::Exception: Watching task /clickhouse/task_queue/ddl/query-0000000012 is executing longer than distributed_ddl_task_timeout (=120) seconds. There are 2 unfinished hosts (2 of them are currently active), they are going to execute the query in background".into());
        assert!(unfinished_hosts_all_active(&busy));
        let mixed = clickhouse::error::Error::BadResponse("Code: 159, e.displayText() = DB::Exception: Watching task /x is executing longer than distributed_ddl_task_timeout (=120) seconds. There are 2 unfinished hosts (1 of them are currently active), they are going to execute the query in background".into());
        assert!(!unfinished_hosts_all_active(&mixed));
    }
}
