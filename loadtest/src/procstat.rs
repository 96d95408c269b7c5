//! What a process costs, read from `/proc`: resident memory and CPU time. Also raises this
//! process's open-file limit so it can hold thousands of connections.
use serde::Serialize;

/// Resident set size in bytes.
pub fn rss_bytes(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// User + system CPU seconds. `/proc/PID/stat` counts clock ticks of USER_HZ, which the
/// kernel fixes at 100 on every architecture Linux exposes it for.
pub fn cpu_secs(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces; the fields after its ')' are fixed.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = f.get(11)?.parse().ok()?;
    let stime: f64 = f.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// CPU seconds the whole machine spent busy (all cores, from `/proc/stat`).
pub fn machine_busy_secs() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let f: Vec<f64> = stat
        .lines()
        .next()?
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal
    let busy = f.first()?
        + f.get(1)?
        + f.get(2)?
        + f.get(5)?
        + f.get(6)?
        + f.get(7).copied().unwrap_or(0.0);
    Some(busy / 100.0)
}

/// A process's memory and CPU at one moment.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Sample {
    pub rss_bytes: u64,
    pub cpu_secs: f64,
}

pub fn sample(pid: u32) -> Option<Sample> {
    Some(Sample {
        rss_bytes: rss_bytes(pid)?,
        cpu_secs: cpu_secs(pid)?,
    })
}

/// Sends SIGTERM to `pid` (a child this process started).
#[allow(unsafe_code)]
pub fn terminate(pid: u32) {
    // SAFETY: kill(2) on a pid we spawned and still own; no memory is touched.
    unsafe {
        libc::kill(pid as libc::pid_t, libc::SIGTERM);
    }
}

/// Raises the soft limit on open files to the hard limit; returns the new soft limit.
#[allow(unsafe_code)]
pub fn raise_nofile_limit() -> u64 {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit write/read only the struct we own.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return 0;
        }
        if lim.rlim_cur < lim.rlim_max {
            let want = libc::rlimit {
                rlim_cur: lim.rlim_max,
                rlim_max: lim.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &want) == 0 {
                lim.rlim_cur = lim.rlim_max;
            }
        }
    }
    lim.rlim_cur
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_own_process_is_measured() {
        let me = std::process::id();
        let s = sample(me).unwrap();
        assert!(s.rss_bytes > 1 << 20, "{s:?}");
        assert!(s.cpu_secs >= 0.0);
        assert!(raise_nofile_limit() >= 1024);
    }
}
