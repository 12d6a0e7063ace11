//! Ports for test peers that run as separate processes and must be told their port before they
//! listen: the OpenID provider, the SMTP server, `openssl s_server`, a second ferrochat.
//!
//! The usual trick, binding port 0 and closing the socket at once, hands out a port from the
//! kernel's ephemeral range, and every outgoing connection of the tests running in parallel
//! draws its local port from that same range: one of them can take the port in the gap before
//! the peer binds it, and the peer dies with "address in use" (CI saw the OpenID provider fail
//! to start so). Ports are chosen below that range instead, where the kernel never assigns one
//! on its own; each at most once per test process, and only when nothing listens there now.

use std::net::TcpListener;
use std::sync::atomic::{AtomicU32, Ordering};

/// Lowest port handed out: clear of the well-known and registered service ports that matter on
/// a test machine, and a wide span below the usual ephemeral range (32768–60999).
const LOWEST: u32 = 20_000;

/// How many ports this process has handed out (the next one is the one after).
static HANDED_OUT: AtomicU32 = AtomicU32::new(0);

/// A port on 127.0.0.1 that nothing listens on and that neither the kernel nor another call in
/// this process will hand out, for a peer process to bind.
pub fn unused() -> u16 {
    let top = ephemeral_start();
    if top <= LOWEST + 1_000 {
        // An unusual range configuration leaves no room below it: fall back to the kernel's pick.
        return TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("bind an ephemeral port")
            .port();
    }
    let span = top - LOWEST;
    // Test binaries run one after another, but spread each process's start anyway so that two
    // run side by side (two checkouts, a rerun beside CI) rarely probe the same ports.
    let start = std::process::id().wrapping_mul(7_919) % span;
    for _ in 0..span {
        let n = HANDED_OUT.fetch_add(1, Ordering::Relaxed);
        let port = LOWEST + (start + n) % span;
        let port = u16::try_from(port).expect("ports below the ephemeral range fit in u16");
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no unused port between {LOWEST} and {top}");
}

/// Waits until something accepts connections on 127.0.0.1:`port`, the peer given it having
/// started; panics after `within`.
pub async fn wait_listening(port: u16, within: std::time::Duration) {
    let deadline = tokio::time::Instant::now() + within;
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "nothing listens on port {port} after {within:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// The first port of the kernel's ephemeral range (Linux's `ip_local_port_range`), 32768 when
/// it cannot be read.
fn ephemeral_start() -> u32 {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(32_768)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_distinct_bindable_and_below_the_ephemeral_range() {
        let ports: Vec<u16> = (0..50).map(|_| unused()).collect();
        let mut sorted = ports.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), ports.len(), "a port was handed out twice");
        for port in ports {
            assert!(u32::from(port) >= LOWEST && u32::from(port) < ephemeral_start());
            TcpListener::bind(("127.0.0.1", port)).expect("the port is free");
        }
    }
}
