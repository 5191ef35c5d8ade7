//! Peak resident memory of this process.

/// The peak resident set size of this process in bytes, from
/// `/proc/self/status` (`VmHWM`); 0 where it is not available.
pub fn peak_rss_bytes() -> u64 {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return 0;
    };
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// The CPU time this process has used so far (user and system, all
/// threads), in seconds, from `/proc/self/stat`; 0 where it is not
/// available. Linux counts it in ticks of 1/100 s (`USER_HZ`).
pub fn process_cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // The command name, in parentheses, may hold spaces: count fields
    // after its closing parenthesis (utime and stime are fields 14, 15).
    let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
        return 0.0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    (ticks(11) + ticks(12)) as f64 / 100.0
}

#[cfg(test)]
mod tests {
    #[test]
    fn peak_memory_is_read_on_linux() {
        if cfg!(target_os = "linux") {
            assert!(super::peak_rss_bytes() > 1 << 20);
        }
    }

    #[test]
    fn cpu_time_is_read_and_grows_on_linux() {
        if cfg!(target_os = "linux") {
            let before = super::process_cpu_seconds();
            let mut x = 0u64;
            let start = std::time::Instant::now();
            while start.elapsed().as_millis() < 300 {
                x = std::hint::black_box(x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1));
            }
            assert!(super::process_cpu_seconds() > before, "{x}");
        }
    }
}
