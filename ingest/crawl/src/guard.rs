//! The address guard: a crawler that follows links and redirects from strangers must never be
//! steered into the operator's own network (SSRF). Every address is checked after DNS
//! resolution, inside the resolver reqwest calls for each new connection, so a redirect hop to a
//! name that resolves to 10.0.0.1 is refused before a socket opens; URLs whose host is an IP
//! literal never reach a resolver, so [`Guard::check_url`] checks them before each request.
//!
//! The `--resolve` map (curl's `HOST:PORT:ADDR`) comes first: the operator named those
//! addresses, so they are allowed even when private (that is how tests reach 127.0.0.1).

use assent_consent::paths;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use url::{Host, Url};

/// IPv4 ranges that are not globally reachable, from the IANA IPv4 Special-Purpose Address
/// Registry (RFC 6890 and its updates), plus multicast, the reserved 240/4 and the deprecated
/// 6to4 relay anycast range. The registry's globally reachable entries inside 192.0.0.0/24
/// (PCP and TURN anycast) are blocked with the rest of that /24: no web page is served there.
const BLOCKED_V4: &[(u32, u8)] = &[
    (0x0000_0000, 8),  // 0.0.0.0/8 "this network"
    (0x0A00_0000, 8),  // 10.0.0.0/8 private
    (0x6440_0000, 10), // 100.64.0.0/10 shared address space (CGNAT)
    (0x7F00_0000, 8),  // 127.0.0.0/8 loopback
    (0xA9FE_0000, 16), // 169.254.0.0/16 link-local, cloud metadata
    (0xAC10_0000, 12), // 172.16.0.0/12 private
    (0xC000_0000, 24), // 192.0.0.0/24 IETF protocol assignments
    (0xC000_0200, 24), // 192.0.2.0/24 documentation (TEST-NET-1)
    (0xC058_6300, 24), // 192.88.99.0/24 6to4 relay anycast (deprecated)
    (0xC0A8_0000, 16), // 192.168.0.0/16 private
    (0xC612_0000, 15), // 198.18.0.0/15 benchmarking
    (0xC633_6400, 24), // 198.51.100.0/24 documentation (TEST-NET-2)
    (0xCB00_7100, 24), // 203.0.113.0/24 documentation (TEST-NET-3)
    (0xE000_0000, 4),  // 224.0.0.0/4 multicast
    (0xF000_0000, 4),  // 240.0.0.0/4 reserved, and 255.255.255.255 broadcast
];

/// IPv6 ranges inside global unicast 2000::/3 that are not globally reachable, from the IANA
/// IPv6 Special-Purpose Address Registry. Everything outside 2000::/3 is blocked as a whole
/// (unless it carries an IPv4 address, see [`V6Form`]): that holds the registry's other
/// entries — `64:ff9b:1::/48` local-use NAT64, `100::/64` discard-only, `100:0:0:1::/64`
/// dummy prefix, `5f00::/16` segment routing, `fc00::/7` unique local (with fd00:ec2::254),
/// `fe80::/10` link-local, `fec0::/10` site-local — and `ff00::/8` multicast. Inside
/// 2001::/23 only Teredo is judged by what it carries; the registry's few global services
/// there are blocked with the rest.
const BLOCKED_V6: &[(u128, u8)] = &[
    (0x2001_0000 << 96, 23), // 2001::/23 IETF protocol assignments (Teredo aside)
    (0x2001_0db8 << 96, 32), // 2001:db8::/32 documentation
    (0x3fff << 112, 20),     // 3fff::/20 documentation
];

/// Global unicast, 2000::/3: IPv6 outside it is never a public web server.
const GLOBAL_UNICAST: (u128, u8) = (0x2000 << 112, 3);

fn in_v4(ip: u32, (net, len): (u32, u8)) -> bool {
    let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
    ip & mask == net & mask
}

fn in_v6(ip: u128, (net, len): (u128, u8)) -> bool {
    let mask = if len == 0 {
        0
    } else {
        u128::MAX << (128 - len)
    };
    ip & mask == net & mask
}

/// How an IPv6 address is judged.
enum V6Form {
    /// IPv4-mapped `::ffff:a.b.c.d`, IPv4-translated `::ffff:0:a.b.c.d` (SIIT) and NAT64
    /// `64:ff9b::a.b.c.d`: a connection to them reaches the IPv4 address they carry.
    CarriesV4(Ipv4Addr),
    /// 6to4 `2002:aabb:ccdd::/48` (its relay's IPv4 address) and Teredo `2001:0::/32` (its
    /// server, and its client, stored inverted): global unicast, blocked when an IPv4 address
    /// they reach is.
    Tunnel(Vec<Ipv4Addr>),
    /// IPv4-compatible `::a.b.c.d` (deprecated by RFC 4291), which holds `::` and `::1`.
    Compatible,
    Native,
}

fn v6_form(bits: u128) -> V6Form {
    let low = Ipv4Addr::from(bits as u32);
    if in_v6(bits, (0xffff << 32, 96))
        || in_v6(bits, (0xffff_0000 << 32, 96))
        || in_v6(bits, (0x0064_ff9b << 96, 96))
    {
        V6Form::CarriesV4(low)
    } else if in_v6(bits, (0, 96)) {
        V6Form::Compatible
    } else if in_v6(bits, (0x2002 << 112, 16)) {
        V6Form::Tunnel(vec![Ipv4Addr::from((bits >> 80) as u32)])
    } else if in_v6(bits, (0x2001_0000 << 96, 32)) {
        V6Form::Tunnel(vec![
            Ipv4Addr::from((bits >> 64) as u32),
            Ipv4Addr::from(!(bits as u32)),
        ])
    } else {
        V6Form::Native
    }
}

/// True for addresses a crawler must not connect to: every range the IANA special-purpose
/// registries mark as not globally reachable (loopback, private, shared, link-local and cloud
/// metadata, documentation, benchmarking, protocol assignments, discard, ULA), multicast,
/// reserved and unspecified addresses, IPv6 outside global unicast, and IPv6 forms that carry
/// or reach a blocked IPv4 address (mapped, translated, NAT64, 6to4, Teredo).
pub fn is_blocked(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => blocked_v4(v4),
        IpAddr::V6(v6) => {
            let bits = u128::from(v6);
            match v6_form(bits) {
                V6Form::CarriesV4(v4) => blocked_v4(v4),
                V6Form::Tunnel(reached) => reached.into_iter().any(blocked_v4),
                V6Form::Compatible => true,
                V6Form::Native => {
                    !in_v6(bits, GLOBAL_UNICAST) || BLOCKED_V6.iter().any(|&r| in_v6(bits, r))
                }
            }
        }
    }
}

fn blocked_v4(ip: Ipv4Addr) -> bool {
    let bits = u32::from(ip);
    BLOCKED_V4.iter().any(|&r| in_v4(bits, r))
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
            let ports = map.entries.entry(paths::host_key(host)).or_default();
            match ports.iter_mut().find(|(p, _)| *p == port) {
                Some((_, known)) => known.extend(ips),
                None => ports.push((port, ips)),
            }
        }
        Ok(map)
    }

    /// The entries of a host (its trailing dot and case ignored), by port.
    fn ports(&self, host: &str) -> Option<&Vec<(u16, Vec<IpAddr>)>> {
        self.entries.get(&paths::host_key(host))
    }

    /// Every mapped (host, port).
    pub fn entries(&self) -> impl Iterator<Item = (&str, u16)> + '_ {
        self.entries
            .iter()
            .flat_map(|(h, ports)| ports.iter().map(move |(p, _)| (h.as_str(), *p)))
    }

    /// The addresses mapped for `host` on `port`.
    pub fn addrs(&self, host: &str, port: u16) -> Option<&[IpAddr]> {
        self.ports(host)?
            .iter()
            .find(|(p, _)| *p == port)
            .map(|(_, ips)| ips.as_slice())
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

    /// The reqwest resolver enforcing this guard for every host the resolve map does not
    /// name: DNS, with blocked addresses removed.
    pub fn resolver(&self) -> Arc<GuardedResolver> {
        Arc::new(GuardedResolver {
            guard: self.clone(),
            entry: None,
        })
    }

    /// The resolver of one resolve-map entry: `host` on `port` resolves to exactly the
    /// addresses mapped for that port. reqwest hands a resolver the name alone, never the
    /// port, so each entry gets a client of its own (see the fetcher); one resolver for the
    /// whole map would hand back the addresses of every port the host is mapped on.
    pub fn resolver_for(&self, host: &str, port: u16) -> Arc<GuardedResolver> {
        Arc::new(GuardedResolver {
            guard: self.clone(),
            entry: Some((paths::host_key(host), port)),
        })
    }

    /// Whether `url`'s host and port are a resolve-map entry.
    pub fn mapped(&self, url: &Url) -> Option<(String, u16)> {
        let host = url.host_str()?;
        let port = url.port_or_known_default()?;
        self.map
            .addrs(host, port)
            .map(|_| (paths::host_key(host), port))
    }

    pub fn map(&self) -> &ResolveMap {
        &self.map
    }

    /// Checks what can be checked before a request: an IP-literal host (which no resolver
    /// sees) and a host mapped in the resolve map for a different port, which is refused here
    /// rather than sent to an address mapped for another port (or looked up in DNS).
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

    /// Resolves a name for `entry` (a resolve-map entry: its addresses, with its port) or, for
    /// every other name, by DNS with blocked addresses removed. A mapped name is never looked
    /// up in DNS. A name whose every address is blocked is a [`BlockedAddress`] error; a
    /// failed lookup is an I/O error (a network failure, not a refusal).
    pub async fn resolve_name(
        &self,
        name: &str,
        entry: Option<&(String, u16)>,
    ) -> Result<Vec<SocketAddr>, Box<dyn std::error::Error + Send + Sync>> {
        if let Some((host, port)) = entry {
            if paths::host_key(name) != *host {
                return Err(Box::new(BlockedAddress {
                    host: name.to_string(),
                    detail: format!("the client of resolve entry {host}:{port} asked for {name}"),
                }));
            }
            let ips = self.map.addrs(host, *port).unwrap_or_default();
            return Ok(ips.iter().map(|ip| SocketAddr::new(*ip, *port)).collect());
        }
        if self.map.ports(name).is_some() {
            return Err(Box::new(BlockedAddress {
                host: name.to_string(),
                detail: format!("{name} is in the resolve map, for other ports"),
            }));
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
    entry: Option<(String, u16)>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let guard = self.guard.clone();
        let entry = self.entry.clone();
        let name = name.as_str().to_string();
        Box::pin(async move {
            let addrs = guard.resolve_name(&name, entry.as_ref()).await?;
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

    /// The ranges judged by the IPv4 address they carry or reach, and the rest of the IANA
    /// special-purpose registries' non-global ranges. Unit tests only: never connected to.
    #[test]
    fn special_purpose_and_embedding_ranges() {
        for ip in [
            // NAT64, well-known and local-use prefixes.
            "64:ff9b::7f00:1",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b::c0a8:101",
            "64:ff9b:1::5db8:d822",
            // 6to4 relays for loopback, private and metadata addresses.
            "2002:7f00:1::1",
            "2002:0a00:0001::",
            "2002:a9fe:a9fe::1",
            // Teredo: server 10.0.0.1, or client 127.0.0.1 (stored inverted).
            "2001:0:a00:1::1",
            "2001:0:5db8:d822:0:0:80ff:fffe",
            // IPv4-translated and IPv4-compatible forms.
            "::ffff:0:7f00:1",
            "::ffff:0:a9fe:a9fe",
            "::7f00:1",
            "::5db8:d822",
            // IPv4 special-purpose ranges.
            "192.0.0.1",
            "192.0.0.9",
            "192.0.0.170",
            "192.88.99.1",
            "198.18.0.1",
            "198.51.100.7",
            "203.0.113.9",
            "192.0.2.1",
            "240.0.0.1",
            // IPv6 special-purpose ranges.
            "100::1",
            "100:0:0:1::1",
            "2001:2::1",
            "2001:10::1",
            "2001:20::1",
            "2001:db8::1",
            "3fff::1",
            "5f00::1",
            "fec0::1",
            "4000::1",
        ] {
            assert!(is_blocked(ip.parse().unwrap()), "{ip} should be blocked");
        }
        for ip in [
            "64:ff9b::5db8:d822",             // NAT64 of 93.184.216.34
            "2002:5db8:d822::1",              // 6to4 of a public address
            "2001:0:5db8:d822:0:0:a247:2dde", // Teredo: public server and client
            "::ffff:93.184.216.34",
            "2a00:1450:4001:82b::200e",
            "192.0.1.1",
            "192.88.98.1",
            "198.20.0.1",
        ] {
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
        let map = ResolveMap::parse(&[
            "a.test:8080:127.0.0.1".into(),
            "a.test:9090:127.0.0.2".into(),
        ])
        .unwrap();
        let g = Guard::new(map, false);
        let entry = ("a.test".to_string(), 9090);
        let addrs = g.resolve_name("a.test", Some(&entry)).await.unwrap();
        assert_eq!(
            addrs,
            vec!["127.0.0.2:9090".parse().unwrap()],
            "that port's entry only"
        );
        let fqdn = g.resolve_name("A.test.", Some(&entry)).await.unwrap();
        assert_eq!(fqdn, addrs, "a trailing dot names the same host");
        // A mapped name never reaches DNS through the default resolver.
        let err = g.resolve_name("a.test.", None).await.unwrap_err();
        assert!(err.downcast_ref::<BlockedAddress>().is_some(), "{err}");
        // `localhost` resolves (from /etc/hosts, no network) to loopback only: refused.
        let err = g.resolve_name("localhost", None).await.unwrap_err();
        assert!(err.downcast_ref::<BlockedAddress>().is_some(), "{err}");
    }
}
