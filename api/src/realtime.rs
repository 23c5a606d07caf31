//! Mounts the realtime relay on the HTTP server: room tokens verified with the
//! API's keys, limits from the configuration.

use std::sync::Arc;
use std::time::Duration;

use altegon_commands::CommandBus;
use altegon_commands::crypto::TranscriptCipher;
use altegon_domain::events::Location;
use altegon_domain::session::unknown_location;
use altegon_realtime::{
    Cluster, Locate, Presence, RelayServices, RelaySettings, RoomAccess, RoomAuth, RoomRelay,
};
use secrecy::ExposeSecret;
use serde_json::Value;

use crate::geo::{DeclaredLocation, GeoLocator};

use crate::auth::{JwtKeys, RoomGrant};
use crate::config::Config;

/// Room tokens as the relay needs them.
struct RoomTokens(JwtKeys);

impl RoomAuth for RoomTokens {
    fn authorize(&self, token: &str) -> Result<RoomAccess, String> {
        let claims = self.0.verify_room(token).map_err(|e| e.to_string())?;
        if !claims.grants.contains(&RoomGrant::Join) {
            return Err("the token lacks the join grant".into());
        }
        Ok(RoomAccess {
            user_id: claims.sub.parse().map_err(|_| "invalid token".to_owned())?,
            room_id: claims
                .room
                .parse()
                .map_err(|_| "invalid token".to_owned())?,
            token_id: claims.jti,
            host: claims.grants.contains(&RoomGrant::RoomAdmin),
            publish_data: claims.grants.contains(&RoomGrant::PublishData),
            publish: claims.grants.contains(&RoomGrant::Publish),
            subscribe: claims.grants.contains(&RoomGrant::Subscribe),
            max_participants: claims.max_participants,
        })
    }
}

/// Locations as the REST session routes find them.
struct SocketLocations {
    geo: Arc<GeoLocator>,
    trust_forwarded_for: bool,
}

impl Locate for SocketLocations {
    fn locate(&self, request: &http::request::Parts, declared: Option<&Value>) -> Location {
        let ip = crate::client_ip::client_ip(request, self.trust_forwarded_for);
        let declared: Option<DeclaredLocation> =
            declared.and_then(|d| serde_json::from_value(d.clone()).ok());
        self.geo
            .locate(ip, declared.as_ref())
            .unwrap_or_else(|_| unknown_location())
    }

    fn client_ip(&self, request: &http::request::Parts) -> Option<String> {
        crate::client_ip::client_ip(request, self.trust_forwarded_for).map(|ip| ip.to_string())
    }
}

/// What the relay of this server needs from its other parts.
pub struct RelayParts {
    /// Verifies room tokens.
    pub keys: JwtKeys,
    /// Records what must be kept.
    pub bus: CommandBus,
    /// Client locations.
    pub geo: Arc<GeoLocator>,
    /// Keeps transcript lines encrypted.
    pub cipher: Arc<TranscriptCipher>,
    /// The SFU, when `ALTEGON_SFU_LISTEN` is set.
    pub sfu: Option<altegon_media::sfu::server::SfuHandle>,
}

/// The relay for this server; with `ALTEGON_REDIS_URL`, its rooms are shared
/// with the other processes on that Redis (unreachable Redis fails the start).
pub async fn relay(config: &Config, parts: RelayParts) -> anyhow::Result<RoomRelay> {
    let cluster = match &config.redis_url {
        Some(url) => Some(Cluster::connect(url.expose_secret(), &config.redis_prefix).await?),
        None => None,
    };
    let RelayParts {
        keys,
        bus,
        geo,
        cipher,
        sfu,
    } = parts;
    let services = RelayServices {
        auth: Arc::new(RoomTokens(keys)),
        bus: bus.clone(),
        presence: Presence::new(
            bus,
            Duration::from_millis(config.realtime_leave_grace_ms),
            config.session_domain.clone(),
            cluster.clone(),
        ),
        locate: Arc::new(SocketLocations {
            geo,
            trust_forwarded_for: config.trust_forwarded_for,
        }),
        transcripts: cipher,
        cluster,
        sfu,
    };
    Ok(RoomRelay::new(
        services,
        RelaySettings {
            max_message_bytes: config.realtime_max_message_bytes,
            messages_per_second: config.realtime_messages_per_second,
        },
    ))
}
