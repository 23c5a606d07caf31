//! Where deliveries may go. Production defaults: HTTPS only, and never to an
//! address of this host or its networks (loopback, private, link-local — the cloud
//! metadata service lives there —, unique-local, CGNAT, multicast, unspecified),
//! so that registering a URL cannot make the server reach inside its own network.
//!
//! URLs are checked when registered, and every connection is checked again: the
//! HTTP client resolves names through [`GuardedResolver`], which drops refused
//! addresses, so a name that later resolves somewhere private (DNS rebinding)
//! gets nothing. Redirects are not followed.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

/// The deployment's rules for delivery URLs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UrlPolicy {
    /// Accept `http://` URLs (development only).
    pub allow_http: bool,
    /// Accept loopback and private addresses (development and tests only).
    pub allow_private: bool,
}

/// Why a delivery URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlRefused {
    /// Not a URL at all.
    #[error("is not a valid URL")]
    Malformed,
    /// Not HTTPS where HTTPS is required.
    #[error("must use https")]
    NotHttps,
    /// A scheme other than http(s).
    #[error("must be an http or https URL")]
    Scheme,
    /// Names or resolves to an address deliveries may not reach.
    #[error("must not point to a loopback, private or link-local address")]
    PrivateAddress,
}

impl UrlPolicy {
    /// Checks `url` as written: scheme, and the host when it is an address or a
    /// name that is this host by definition (`localhost`).
    pub fn check(&self, url: &str) -> Result<Url, UrlRefused> {
        let parsed = Url::parse(url.trim()).map_err(|_| UrlRefused::Malformed)?;
        match parsed.scheme() {
            "https" => {}
            "http" if self.allow_http => {}
            "http" => return Err(UrlRefused::NotHttps),
            _ => return Err(UrlRefused::Scheme),
        }
        if self.allow_private {
            return Ok(parsed);
        }
        match parsed.host() {
            None => Err(UrlRefused::Malformed),
            Some(Host::Ipv4(ip)) if !is_public(IpAddr::V4(ip)) => Err(UrlRefused::PrivateAddress),
            Some(Host::Ipv6(ip)) if !is_public(IpAddr::V6(ip)) => Err(UrlRefused::PrivateAddress),
            Some(Host::Domain(name)) if is_local_name(name) => Err(UrlRefused::PrivateAddress),
            Some(_) => Ok(parsed),
        }
    }

    /// [`check`](Self::check), then resolves a host name and refuses it when any
    /// address it has now is refused. A name that does not resolve yet passes:
    /// every delivery resolves it again through [`GuardedResolver`].
    pub async fn check_resolving(&self, url: &str) -> Result<Url, UrlRefused> {
        let parsed = self.check(url)?;
        if self.allow_private {
            return Ok(parsed);
        }
        if let Some(Host::Domain(name)) = parsed.host() {
            let port = parsed.port_or_known_default().unwrap_or(443);
            if let Ok(addrs) = tokio::net::lookup_host((name, port)).await
                && addrs.into_iter().any(|a| !is_public(a.ip()))
            {
                return Err(UrlRefused::PrivateAddress);
            }
        }
        Ok(parsed)
    }
}

fn is_local_name(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost")
}

/// Whether deliveries may connect to `ip` under the production rules.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            is_public_v6(v6)
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 192 && b == 0 && ip.octets()[2] == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240) // reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80 // link local
        || (first == 0x2001 && ip.segments()[1] == 0x0db8) // documentation
        || (first == 0x0064 && ip.segments()[1] == 0xff9b)) // NAT64 onto IPv4
}

/// The HTTP client's resolver: the system's, minus refused addresses.
#[derive(Debug, Clone, Copy)]
pub struct GuardedResolver {
    /// Pass private addresses through (development and tests only).
    pub allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            if !allow_private && is_local_name(&host) {
                return Err(refused(&host));
            }
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| allow_private || is_public(a.ip()))
                .collect();
            if found.is_empty() {
                return Err(refused(&host));
            }
            Ok(Box::new(found.into_iter()) as Addrs)
        })
    }
}

fn refused(host: &str) -> Box<dyn std::error::Error + Send + Sync> {
    format!("{host} has no address deliveries may reach").into()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PRODUCTION: UrlPolicy = UrlPolicy {
        allow_http: false,
        allow_private: false,
    };

    #[test]
    fn production_accepts_https_to_public_hosts_only() {
        assert!(PRODUCTION.check("https://hooks.example.com/in").is_ok());
        assert!(PRODUCTION.check("https://93.184.215.14/in").is_ok());
        assert_eq!(
            PRODUCTION.check("http://hooks.example.com/in"),
            Err(UrlRefused::NotHttps)
        );
        assert_eq!(
            PRODUCTION.check("ftp://x.example/"),
            Err(UrlRefused::Scheme)
        );
        assert_eq!(PRODUCTION.check("not a url"), Err(UrlRefused::Malformed));
    }

    #[test]
    fn addresses_inside_the_network_are_refused() {
        for url in [
            "https://127.0.0.1/",
            "https://127.1.2.3:8443/x",
            "https://10.0.0.7/",
            "https://172.16.1.1/",
            "https://192.168.1.1/",
            "https://169.254.169.254/latest/meta-data/",
            "https://100.64.0.1/",
            "https://0.0.0.0/",
            "https://[::1]/",
            "https://[fe80::1]/",
            "https://[fd00::1]/",
            "https://[::ffff:127.0.0.1]/",
            "https://localhost/",
            "https://api.localhost./",
            "https://2130706433/",
            "https://0x7f000001/",
        ] {
            assert_eq!(
                PRODUCTION.check(url),
                Err(UrlRefused::PrivateAddress),
                "{url}"
            );
        }
    }

    #[test]
    fn development_settings_open_http_and_private_addresses() {
        let dev = UrlPolicy {
            allow_http: true,
            allow_private: true,
        };
        assert!(dev.check("http://127.0.0.1:8080/hook").is_ok());
        let http_only = UrlPolicy {
            allow_http: true,
            allow_private: false,
        };
        assert_eq!(
            http_only.check("http://127.0.0.1:8080/hook"),
            Err(UrlRefused::PrivateAddress)
        );
    }

    #[tokio::test]
    async fn names_that_resolve_inside_the_network_are_refused() {
        assert_eq!(
            PRODUCTION.check_resolving("https://localhost:9/").await,
            Err(UrlRefused::PrivateAddress)
        );
        let resolver = GuardedResolver {
            allow_private: false,
        };
        let name: Name = "localhost".parse().unwrap();
        assert!(resolver.resolve(name).await.is_err());
        let open = GuardedResolver {
            allow_private: true,
        };
        let name: Name = "localhost".parse().unwrap();
        assert!(open.resolve(name).await.is_ok());
    }
}
