//! The address guard: a crawler that follows links and redirects from strangers must never be
//! steered into the operator's own network (SSRF). Every address is checked after DNS
//! resolution, inside the resolver reqwest calls for each new connection, so a redirect hop to a
//! name that resolves to 10.0.0.1 is refused before a socket opens; URLs whose host is an IP
//! literal never reach a resolver, so [`Guard::check_url`] checks them before each request.
//!
//! The `--resolve` map (curl's `HOST:PORT:ADDR`) comes first: the operator named those
//! addresses, so they are allowed even when private (that is how tests reach 127.0.0.1).

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use url::{Host, Url};

/// True for addresses a crawler must not connect to: loopback, private (RFC 1918, ULA),
/// link-local, multicast, unspecified, broadcast, CGNAT (100.64/10), documentation and
/// benchmarking ranges, cloud metadata (169.254.169.254, fd00:ec2::254); IPv4-mapped and
/// NAT64-free IPv6 forms of those are judged by their IPv4 address.
pub fn is_blocked(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => blocked_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return blocked_v4(v4);
            }
            let seg0 = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (seg0 & 0xfe00) == 0xfc00 // ULA fc00::/7 (holds fd00:ec2::254)
                || (seg0 & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (seg0 & 0xffc0) == 0xfec0 // site-local (deprecated) fec0::/10
                || seg0 == 0x2001 && v6.segments()[1] == 0x0db8 // documentation
                || (v6.segments()[..6] == [0, 0, 0, 0, 0, 0]) // IPv4-compatible (deprecated)
        }
    }
}

fn blocked_v4(ip: Ipv4Addr) -> bool {
    let [a, b, _, _] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local() // 169.254/16, metadata included
        || ip.is_multicast()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0 // "this network"
        || (a == 100 && (b & 0xc0) == 64) // CGNAT 100.64/10
        || (a == 198 && (b & 0xfe) == 18) // benchmarking 198.18/15
        || a >= 240 // reserved
}

/// Why the guard refused a URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockedAddress {
    pub host: String,
    pub detail: String,
}

impl fmt::Display for BlockedAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "blocked address for {}: {}", self.host, self.detail)
    }
}

impl std::error::Error for BlockedAddress {}

/// Parsed `HOST:PORT:ADDR[,ADDR...]` entries, keyed by lower-case host.
#[derive(Clone, Debug, Default)]
pub struct ResolveMap {
    entries: HashMap<String, Vec<(u16, Vec<IpAddr>)>>,
}

impl ResolveMap {
    /// Parses curl `--resolve` entries; an entry that does not parse is an error naming it.
    pub fn parse(entries: &[String]) -> Result<Self, String> {
        let mut map = ResolveMap::default();
        for entry in entries {
            let bad = || format!("bad resolve entry {entry:?} (want HOST:PORT:ADDR)");
            let mut parts = entry.splitn(3, ':');
            let (host, port, addrs) = match (parts.next(), parts.next(), parts.next()) {
                (Some(h), Some(p), Some(a)) if !h.is_empty() => (h, p, a),
                _ => return Err(bad()),
            };
            let port: u16 = port.parse().map_err(|_| bad())?;
            let ips = addrs
                .split(',')
                .map(|a| a.trim().trim_start_matches('[').trim_end_matches(']'))
                .map(|a| a.parse::<IpAddr>().map_err(|_| bad()))
                .collect::<Result<Vec<_>, _>>()?;
            map.entries
                .entry(host.to_ascii_lowercase())
                .or_default()
                .push((port, ips));
        }
        Ok(map)
    }

    fn ports(&self, host: &str) -> Option<&Vec<(u16, Vec<IpAddr>)>> {
        self.entries.get(&host.to_ascii_lowercase())
    }
}

/// The guard shared by the resolver and the per-request checks.
#[derive(Clone, Debug)]
pub struct Guard {
    map: Arc<ResolveMap>,
    allow_private: bool,
}

impl Guard {
    pub fn new(map: ResolveMap, allow_private: bool) -> Self {
        Guard {
            map: Arc::new(map),
            allow_private,
        }
    }

    /// The reqwest resolver enforcing this guard.
    pub fn resolver(&self) -> Arc<GuardedResolver> {
        Arc::new(GuardedResolver {
            guard: self.clone(),
        })
    }

    /// Checks what can be checked before a request: an IP-literal host (which no resolver
    /// sees) and a host mapped in the resolve map for a different port. The resolver maps by
    /// name only, so a mapped host on a port the map does not name is refused here rather than
    /// silently sent to the mapped address.
    pub fn check_url(&self, url: &Url) -> Result<(), BlockedAddress> {
        let port = url.port_or_known_default().unwrap_or(0);
        let blocked = |detail: String| BlockedAddress {
            host: url.host_str().unwrap_or("").to_string(),
            detail,
        };
        match url.host() {
            Some(Host::Ipv4(ip)) => self.check_ip(IpAddr::V4(ip), port, url),
            Some(Host::Ipv6(ip)) => self.check_ip(IpAddr::V6(ip), port, url),
            Some(Host::Domain(d)) => match self.map.ports(d) {
                Some(ports) if !ports.iter().any(|(p, _)| *p == port) => Err(blocked(format!(
                    "{d} is in the resolve map for other ports than {port}"
                ))),
                _ => Ok(()),
            },
            None => Err(blocked("no host".into())),
        }
    }

    fn check_ip(&self, ip: IpAddr, port: u16, url: &Url) -> Result<(), BlockedAddress> {
        let host = url.host_str().unwrap_or("");
        let mapped = self
            .map
            .ports(host.trim_start_matches('[').trim_end_matches(']'))
            .is_some_and(|ps| ps.iter().any(|(p, _)| *p == port));
        if self.allow_private || mapped || !is_blocked(ip) {
            Ok(())
        } else {
            Err(BlockedAddress {
                host: host.to_string(),
                detail: format!("{ip} is not a public address"),
            })
        }
    }

    /// Resolves a name: the resolve map first, then DNS with blocked addresses removed. A
    /// name whose every address is blocked is a [`BlockedAddress`] error; a failed lookup is
    /// an I/O error (a network failure, not a refusal).
    pub async fn resolve_name(
        &self,
        name: &str,
    ) -> Result<Vec<SocketAddr>, Box<dyn std::error::Error + Send + Sync>> {
        if let Some(ports) = self.map.ports(name) {
            return Ok(ports
                .iter()
                .flat_map(|(port, ips)| ips.iter().map(|ip| SocketAddr::new(*ip, *port)))
                .collect());
        }
        let found: Vec<SocketAddr> = tokio::net::lookup_host((name, 0))
            .await
            .map_err(|e| std::io::Error::new(e.kind(), format!("DNS lookup of {name}: {e}")))?
            .collect();
        let allowed: Vec<SocketAddr> = found
            .iter()
            .copied()
            .filter(|a| self.allow_private || !is_blocked(a.ip()))
            .collect();
        if allowed.is_empty() {
            let list: Vec<String> = found.iter().map(|a| a.ip().to_string()).collect();
            return Err(Box::new(BlockedAddress {
                host: name.to_string(),
                detail: format!(
                    "resolves only to non-public addresses [{}]",
                    list.join(", ")
                ),
            }));
        }
        Ok(allowed)
    }
}

/// reqwest's resolver hook: [`Guard::resolve_name`] for every connection reqwest opens.
pub struct GuardedResolver {
    guard: Guard,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let guard = self.guard.clone();
        let name = name.as_str().to_string();
        Box::pin(async move {
            let addrs = guard.resolve_name(&name).await?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// The guard's refusal inside a reqwest error chain, if that is what the error is.
pub fn blocked_in<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a BlockedAddress> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(b) = e.downcast_ref::<BlockedAddress>() {
            return Some(b);
        }
        cur = e.source();
    }
    None
}

/// The two cloud metadata addresses (AWS/GCP/Azure IPv4 and AWS IPv6).
#[cfg(test)]
const METADATA: [IpAddr; 2] = [
    IpAddr::V4(Ipv4Addr::new(169, 254, 169, 254)),
    IpAddr::V6(std::net::Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254)),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_internal_ranges_and_allows_public() {
        for ip in [
            "127.0.0.1",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fe80::1",
            "fc00::1",
            "fd00:ec2::254",
            "::ffff:10.0.0.1",
            "ff02::1",
        ] {
            assert!(is_blocked(ip.parse().unwrap()), "{ip} should be blocked");
        }
        for ip in METADATA {
            assert!(is_blocked(ip));
        }
        for ip in ["93.184.216.34", "1.1.1.1", "100.128.0.1", "2606:4700::1111"] {
            assert!(!is_blocked(ip.parse().unwrap()), "{ip} should be allowed");
        }
    }

    #[test]
    fn resolve_map_parses_and_checks_ports() {
        let map =
            ResolveMap::parse(&["a.test:8080:127.0.0.1".into(), "B.test:80:[::1]".into()]).unwrap();
        assert!(ResolveMap::parse(&["nonsense".into()]).is_err());
        let g = Guard::new(map, false);
        assert!(g
            .check_url(&Url::parse("http://a.test:8080/").unwrap())
            .is_ok());
        assert!(g
            .check_url(&Url::parse("http://a.test:9090/").unwrap())
            .is_err());
        assert!(g.check_url(&Url::parse("http://b.test/").unwrap()).is_ok());
        assert!(g
            .check_url(&Url::parse("http://169.254.169.254/").unwrap())
            .is_err());
        assert!(g
            .check_url(&Url::parse("http://[::1]:80/").unwrap())
            .is_err());
        assert!(g.check_url(&Url::parse("http://8.8.8.8/").unwrap()).is_ok());
        let open = Guard::new(ResolveMap::default(), true);
        assert!(open
            .check_url(&Url::parse("http://10.0.0.1/").unwrap())
            .is_ok());
    }

    #[tokio::test]
    async fn resolver_uses_map_and_filters_dns() {
        let map = ResolveMap::parse(&["a.test:8080:127.0.0.1".into()]).unwrap();
        let g = Guard::new(map, false);
        let addrs = g.resolve_name("a.test").await.unwrap();
        assert_eq!(addrs, vec!["127.0.0.1:8080".parse().unwrap()]);
        // `localhost` resolves (from /etc/hosts, no network) to loopback only: refused.
        let err = g.resolve_name("localhost").await.unwrap_err();
        assert!(err.downcast_ref::<BlockedAddress>().is_some(), "{err}");
    }
}
