//! Mounts the realtime relay on the HTTP server: room tokens verified with the
//! API's keys, limits from the configuration.

use std::sync::Arc;

use altegon_commands::CommandBus;
use altegon_realtime::{RelaySettings, RoomAccess, RoomAuth, RoomRelay};

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
        })
    }
}

/// The relay for this server.
pub fn relay(config: &Config, keys: JwtKeys, bus: CommandBus) -> RoomRelay {
    RoomRelay::new(
        Arc::new(RoomTokens(keys)),
        bus,
        RelaySettings {
            max_message_bytes: config.realtime_max_message_bytes,
            messages_per_second: config.realtime_messages_per_second,
        },
    )
}
