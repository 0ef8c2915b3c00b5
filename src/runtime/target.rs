//! Which addresses a request may go to: loopback, private, link-local, unspecified and
//! multicast addresses are refused unless `--allow-private-targets`.
//!
//! The check applies to the address actually connected to: [`GuardedResolver`] drops
//! refused addresses from DNS answers (so a name cannot point at 127.0.0.1), and
//! [`check_literal`] covers URLs whose host is an IP literal (reqwest does not resolve
//! those).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// A target refused by the private-address check; the reason is the attempt's error.
#[derive(Debug, Clone)]
pub struct RefusedTarget(pub String);

impl std::fmt::Display for RefusedTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RefusedTarget {}

/// Why an address is refused, or `None` when it is a public one.
pub fn refused_kind(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => refused_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => refused_v4(v4),
            None => refused_v6(v6),
        },
    }
}

fn refused_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = ip.octets();
    Some(if ip.is_loopback() {
        "loopback"
    } else if ip.is_private() || (a == 100 && (64..128).contains(&b)) {
        "private"
    } else if ip.is_link_local() {
        "link-local"
    } else if ip.is_unspecified() || a == 0 {
        "unspecified"
    } else if ip.is_multicast() || ip.is_broadcast() {
        "multicast"
    } else {
        return None;
    })
}

fn refused_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let first = ip.segments()[0];
    Some(if ip.is_loopback() {
        "loopback"
    } else if first & 0xfe00 == 0xfc00 {
        "private"
    } else if first & 0xffc0 == 0xfe80 {
        "link-local"
    } else if ip.is_unspecified() {
        "unspecified"
    } else if ip.is_multicast() {
        "multicast"
    } else {
        return None;
    })
}

/// Refuses a URL whose host is a refused IP literal.
pub fn check_literal(url: &reqwest::Url) -> Result<(), RefusedTarget> {
    let host = url.host_str().unwrap_or("");
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let Ok(ip) = bare.parse::<IpAddr>() else {
        return Ok(());
    };
    match refused_kind(ip) {
        Some(kind) => Err(refused(url.host_str().unwrap_or(""), ip, kind)),
        None => Ok(()),
    }
}

fn refused(host: &str, ip: IpAddr, kind: &str) -> RefusedTarget {
    RefusedTarget(format!(
        "target `{host}` is a {kind} address ({ip}); refused without --allow-private-targets"
    ))
}

/// A DNS resolver that keeps only public addresses.
#[derive(Debug, Default, Clone)]
pub struct GuardedResolver;

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = found
                .iter()
                .copied()
                .filter(|a| refused_kind(a.ip()).is_none())
                .collect();
            match (allowed.is_empty(), found.first()) {
                (true, Some(first)) => {
                    let kind = refused_kind(first.ip()).unwrap_or("private");
                    Err(Box::new(refused(&host, first.ip(), kind)) as _)
                }
                _ => Ok(Box::new(allowed.into_iter()) as Addrs),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(s: &str) -> Option<&'static str> {
        refused_kind(s.parse().unwrap())
    }

    #[test]
    fn private_ranges_are_refused_and_public_ones_allowed() {
        for (ip, k) in [
            ("127.0.0.1", "loopback"),
            ("10.1.2.3", "private"),
            ("172.16.0.1", "private"),
            ("172.31.255.255", "private"),
            ("192.168.1.1", "private"),
            ("169.254.169.254", "link-local"),
            ("0.0.0.0", "unspecified"),
            ("224.0.0.1", "multicast"),
            ("::1", "loopback"),
            ("fc00::1", "private"),
            ("fd12::1", "private"),
            ("fe80::1", "link-local"),
            ("::", "unspecified"),
            ("ff02::1", "multicast"),
            ("::ffff:127.0.0.1", "loopback"),
            ("::ffff:10.0.0.1", "private"),
        ] {
            assert_eq!(kind(ip), Some(k), "{ip}");
        }
        for ip in ["93.184.216.34", "172.32.0.1", "8.8.8.8", "2606:4700::1111"] {
            assert_eq!(kind(ip), None, "{ip}");
        }
    }

    #[test]
    fn ip_literal_urls_are_checked() {
        let bad = reqwest::Url::parse("http://[::ffff:192.168.0.1]:8080/x").unwrap();
        let err = check_literal(&bad).unwrap_err();
        assert!(err.0.contains("private"), "{err}");
        let ok = reqwest::Url::parse("https://93.184.216.34/").unwrap();
        assert!(check_literal(&ok).is_ok());
    }
}
