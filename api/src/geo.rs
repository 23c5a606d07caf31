//! Where a client is, for session reports: from the configured MaxMind-format
//! city database when the client's address is in it, else from the location the
//! client declared, else `Unknown`. Never guessed.

use std::net::IpAddr;
use std::path::Path;

use altegon_domain::events::Location;
use altegon_domain::session::unknown_location;
use maxminddb::geoip2;
use serde::Deserialize;

use crate::config::ConfigError;
use crate::error::Error;

/// Longest declared location field, in characters.
const MAX_FIELD_CHARS: usize = 100;

/// Where the client is, when the server's GeoIP database does not know its address. Missing fields are `Unknown`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeclaredLocation {
    /// City.
    #[schema(max_length = 100)]
    pub city: Option<String>,
    /// Region.
    #[schema(max_length = 100)]
    pub region: Option<String>,
    /// ISO 3166-1 alpha-2
    pub country: Option<String>,
    /// Country name.
    #[schema(max_length = 100)]
    pub country_name: Option<String>,
}

/// Looks addresses up in the configured database, if any.
pub struct GeoLocator {
    reader: Option<maxminddb::Reader<Vec<u8>>>,
}

impl GeoLocator {
    /// Opens the database at `path`; `None` makes a locator without one.
    pub fn open(path: Option<&Path>) -> Result<Self, ConfigError> {
        let reader = path
            .map(|p| {
                maxminddb::Reader::open_readfile(p).map_err(|e| ConfigError::Unacceptable {
                    key: "ALTEGON_GEOIP_DATABASE",
                    message: format!("{} is not a readable MaxMind database: {e}", p.display()),
                })
            })
            .transpose()?;
        Ok(Self { reader })
    }

    /// The location of a client at `ip` that declared `declared`.
    pub fn locate(
        &self,
        ip: Option<IpAddr>,
        declared: Option<&DeclaredLocation>,
    ) -> Result<Location, Error> {
        if let Some(found) = ip.and_then(|ip| self.lookup(ip)) {
            return Ok(found);
        }
        match declared {
            Some(d)
                if [&d.city, &d.region, &d.country, &d.country_name]
                    .iter()
                    .any(|f| f.as_deref().is_some_and(|v| !v.trim().is_empty())) =>
            {
                Ok(Location {
                    city: field("location.city", &d.city)?,
                    region: field("location.region", &d.region)?,
                    country: field("location.country", &d.country)?.to_uppercase(),
                    country_name: field("location.countryName", &d.country_name)?,
                    source: "declared".into(),
                })
            }
            _ => Ok(unknown_location()),
        }
    }

    fn lookup(&self, ip: IpAddr) -> Option<Location> {
        let reader = self.reader.as_ref()?;
        let city: geoip2::City = match reader.lookup(ip) {
            Ok(found) => found?,
            Err(e) => {
                tracing::warn!(error = %e, "geoip lookup failed");
                return None;
            }
        };
        let english = |names: Option<&std::collections::BTreeMap<&str, &str>>| {
            names
                .and_then(|n| n.get("en"))
                .map(|s| (*s).to_owned())
                .unwrap_or_else(|| "Unknown".into())
        };
        Some(Location {
            city: english(city.city.as_ref().and_then(|c| c.names.as_ref())),
            region: english(
                city.subdivisions
                    .as_ref()
                    .and_then(|s| s.first())
                    .and_then(|s| s.names.as_ref()),
            ),
            country: city
                .country
                .as_ref()
                .and_then(|c| c.iso_code)
                .map_or_else(|| "Unknown".into(), str::to_owned),
            country_name: english(city.country.as_ref().and_then(|c| c.names.as_ref())),
            source: "geoip".into(),
        })
    }
}

fn field(name: &'static str, value: &Option<String>) -> Result<String, Error> {
    let value = value.as_deref().map(str::trim).unwrap_or_default();
    if value.chars().count() > MAX_FIELD_CHARS {
        return Err(Error::invalid(
            name,
            format!("must be at most {MAX_FIELD_CHARS} characters"),
        ));
    }
    Ok(if value.is_empty() {
        "Unknown".into()
    } else {
        value.to_owned()
    })
}
