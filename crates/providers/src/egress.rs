//! The one SSRF guard for requests to URLs a *user* supplies (a user-provided base URL today;
//! webhooks and plugins later): private, loopback, link-local, unique-local, CGNAT, multicast
//! and unspecified targets are refused — in every spelling, IPv4-mapped and NAT64 IPv6 forms
//! included — unless the operator's allowlist names them.
//!
//! Checking a URL once is not enough (the name can resolve elsewhere a moment later, and a
//! redirect can point anywhere), so the guard is also the DNS resolver of the client used for
//! such requests, and that client follows no redirects: the address checked is the address
//! connected to.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

/// Why a target was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EgressError {
    /// Not an http(s) URL with a host.
    #[error("not an http(s) URL")]
    BadUrl,
    /// The host did not resolve.
    #[error("the host does not resolve")]
    Unresolvable,
    /// It resolves to an address that is not public.
    #[error("the address {0} is private, local or reserved")]
    Blocked(IpAddr),
}

/// An allowlist entry.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Allowed {
    /// A network in CIDR form (a single address is a /32 or /128).
    Net(IpAddr, u8),
    /// A host name, matched case-insensitively before resolution.
    Host(String),
}

/// The guard, with the operator's allowlist (`EGRESS_ALLOWLIST`: comma-separated CIDRs,
/// addresses or host names).
#[derive(Clone, Debug, Default)]
pub struct EgressGuard {
    allowed: Arc<Vec<Allowed>>,
}

fn mask_v4(ip: Ipv4Addr, bits: u8) -> u32 {
    let bits = u32::from(bits.min(32));
    if bits == 0 {
        0
    } else {
        u32::from(ip) & (u32::MAX << (32 - bits))
    }
}

fn mask_v6(ip: Ipv6Addr, bits: u8) -> u128 {
    let bits = u32::from(bits.min(128));
    if bits == 0 {
        0
    } else {
        u128::from(ip) & (u128::MAX << (128 - bits))
    }
}

/// The IPv4 address an IPv6 address carries (mapped `::ffff:a.b.c.d`, compatible `::a.b.c.d`,
/// NAT64 `64:ff9b::a.b.c.d`), so each spelling is judged as the address it reaches.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    let s = ip.segments();
    let tail = Ipv4Addr::new(
        (s[6] >> 8) as u8,
        (s[6] & 0xff) as u8,
        (s[7] >> 8) as u8,
        (s[7] & 0xff) as u8,
    );
    if s[..6] == [0, 0, 0, 0, 0, 0] && !tail.is_unspecified() && tail != Ipv4Addr::new(0, 0, 0, 1) {
        return Some(tail);
    }
    if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
        return Some(tail);
    }
    None
}

/// Whether an address is publicly routable.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (o[1] & 0xc0) == 64) // 100.64.0.0/10 carrier-grade NAT
                || (o[0] == 192 && o[1] == 0 && o[2] == 0) // 192.0.0.0/24 protocol assignments
                || (o[0] == 198 && (o[1] & 0xfe) == 18) // 198.18.0.0/15 benchmarking
                || o[0] >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = embedded_v4(v6) {
                return is_public(IpAddr::V4(v4));
            }
            let s = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // fc00::/7 unique local
                || (s[0] & 0xffc0) == 0xfe80 // fe80::/10 link local
                || (s[0] & 0xffc0) == 0xfec0 // fec0::/10 site local (deprecated)
                || (s[0] == 0x2001 && s[1] == 0x0db8)) // documentation
        }
    }
}

impl EgressGuard {
    /// Parses the allowlist; returns the entries it could not read.
    pub fn new(allowlist: &str) -> (Self, Vec<String>) {
        let mut allowed = Vec::new();
        let mut bad = Vec::new();
        for entry in allowlist
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            let (addr, bits) = match entry.split_once('/') {
                Some((a, b)) => (a, b.parse::<u8>().ok()),
                None => (entry, None),
            };
            match addr.trim_matches(['[', ']']).parse::<IpAddr>() {
                Ok(ip) => {
                    let max = if ip.is_ipv4() { 32 } else { 128 };
                    match bits {
                        Some(b) if b > max => bad.push(entry.to_owned()),
                        None if entry.contains('/') => bad.push(entry.to_owned()),
                        b => allowed.push(Allowed::Net(ip, b.unwrap_or(max))),
                    }
                }
                Err(_) if !entry.contains('/') && !entry.contains(' ') => {
                    allowed.push(Allowed::Host(entry.to_ascii_lowercase()));
                }
                Err(_) => bad.push(entry.to_owned()),
            }
        }
        (
            Self {
                allowed: Arc::new(allowed),
            },
            bad,
        )
    }

    fn allows_ip(&self, ip: IpAddr) -> bool {
        is_public(ip)
            || self.allowed.iter().any(|a| match (a, ip) {
                (Allowed::Net(IpAddr::V4(n), b), IpAddr::V4(x)) => {
                    mask_v4(*n, *b) == mask_v4(x, *b)
                }
                (Allowed::Net(IpAddr::V6(n), b), IpAddr::V6(x)) => {
                    mask_v6(*n, *b) == mask_v6(x, *b)
                }
                _ => false,
            })
    }

    fn allows_host(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        self.allowed
            .iter()
            .any(|a| matches!(a, Allowed::Host(h) if *h == host))
    }

    /// Checks a URL before use: its host must resolve only to allowed addresses.
    pub async fn check_url(&self, url: &str) -> Result<(), EgressError> {
        let parsed = url::Url::parse(url).map_err(|_| EgressError::BadUrl)?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(EgressError::BadUrl);
        }
        let port = parsed.port_or_known_default().unwrap_or(443);
        match parsed.host() {
            Some(url::Host::Ipv4(ip)) => self.check_ip(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => self.check_ip(IpAddr::V6(ip)),
            Some(url::Host::Domain(name)) => self.resolve(name, port).await.map(|_| ()),
            None => Err(EgressError::BadUrl),
        }
    }

    fn check_ip(&self, ip: IpAddr) -> Result<(), EgressError> {
        if self.allows_ip(ip) {
            Ok(())
        } else {
            Err(EgressError::Blocked(ip))
        }
    }

    /// Resolves a name to the addresses the guard allows; refuses it when any is blocked (a
    /// name that resolves to both public and private addresses is not trusted).
    pub async fn resolve(&self, name: &str, port: u16) -> Result<Vec<SocketAddr>, EgressError> {
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((name, port))
            .await
            .map_err(|_| EgressError::Unresolvable)?
            .collect();
        if addrs.is_empty() {
            return Err(EgressError::Unresolvable);
        }
        if self.allows_host(name) {
            return Ok(addrs);
        }
        if let Some(bad) = addrs.iter().find(|a| !self.allows_ip(a.ip())) {
            return Err(EgressError::Blocked(bad.ip()));
        }
        Ok(addrs)
    }

    /// An HTTP client for user-supplied URLs: this guard resolves every name it connects to,
    /// and it follows no redirects.
    pub fn client(&self) -> crate::HttpClient {
        crate::HttpClient::guarded(self.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn private_and_local_forms_are_not_public() {
        for blocked in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::10.0.0.1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!is_public(ip(blocked)), "{blocked}");
        }
        for open in [
            "8.8.8.8",
            "1.1.1.1",
            "2606:4700:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(is_public(ip(open)), "{open}");
        }
    }

    #[test]
    fn allowlist_cidrs_addresses_and_hosts() {
        let (g, bad) =
            EgressGuard::new("10.0.0.0/8, 127.0.0.1, fd00::/8, llm.internal, 1.2.3.4/40");
        assert_eq!(bad, ["1.2.3.4/40"]);
        assert!(g.allows_ip(ip("10.9.9.9")));
        assert!(g.allows_ip(ip("127.0.0.1")));
        assert!(!g.allows_ip(ip("127.0.0.2")));
        assert!(g.allows_ip(ip("fd12::1")));
        assert!(!g.allows_ip(ip("192.168.0.1")));
        assert!(g.allows_host("LLM.internal"));
    }

    #[tokio::test]
    async fn urls_are_checked_in_every_spelling() {
        let g = EgressGuard::default();
        for url in [
            "http://127.0.0.1:11434/v1",
            "http://[::1]/",
            "http://[::ffff:7f00:1]/",
            "http://2130706433/",
            "http://0x7f.0.0.1/",
            "http://localhost:8080/",
            "http://169.254.169.254/latest/meta-data",
        ] {
            assert!(g.check_url(url).await.is_err(), "{url}");
        }
        assert_eq!(
            g.check_url("file:///etc/passwd").await,
            Err(EgressError::BadUrl)
        );
        let (open, _) = EgressGuard::new("127.0.0.1");
        assert!(open.check_url("http://127.0.0.1:1/").await.is_ok());
    }
}
