//! Rate limits per caller and route group: a signed-in caller is counted by
//! account, anyone else by address (login and register always by address). Each
//! group has its own allowance per minute, spent by GCRA (a steady rate with a
//! burst of one minute's allowance). Counted in process, or in Redis when
//! `ALTEGON_REDIS_URL` is set, so that every server process of a deployment
//! counts the same requests. Past the allowance: 429 with `Retry-After`.
//!
//! Sits in the HTTP middleware stack inside the audit trail (a 429 is audited),
//! before the handlers.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::{DefaultKeyedRateLimiter, Quota};
use redis::aio::ConnectionManager;
use secrecy::ExposeSecret;

use crate::auth::AuthUser;
use crate::config::Config;
use crate::error::Error;
use crate::state::AppState;

/// Routes that share an allowance (the reference's limiters, plus the rest).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RouteGroup {
    /// Login and register: strict, by address, against guessing.
    Auth,
    /// Reads of stored recordings and files (lists, storage figures, downloads).
    StorageReads,
    /// Recording and room file uploads.
    Uploads,
    /// Recording and room file deletions.
    Deletes,
    /// Download URL (SAS) generation.
    Sas,
    /// Every other route.
    Default,
}

impl RouteGroup {
    /// Every group, for configuration and documentation.
    pub const ALL: [RouteGroup; 6] = [
        RouteGroup::Auth,
        RouteGroup::StorageReads,
        RouteGroup::Uploads,
        RouteGroup::Deletes,
        RouteGroup::Sas,
        RouteGroup::Default,
    ];

    /// The name in keys, logs and documentation.
    pub fn name(self) -> &'static str {
        match self {
            RouteGroup::Auth => "auth",
            RouteGroup::StorageReads => "storage_reads",
            RouteGroup::Uploads => "uploads",
            RouteGroup::Deletes => "deletes",
            RouteGroup::Sas => "sas",
            RouteGroup::Default => "default",
        }
    }

    /// The group a route (as matched, e.g. `/room/{room_id}/files`) belongs to.
    pub fn of(method: &Method, route: &str) -> RouteGroup {
        let is = |m: Method| *method == m;
        match route {
            "/auth/login" | "/auth/register" => RouteGroup::Auth,
            r if r.ends_with("/sas-url") => RouteGroup::Sas,
            r if r.ends_with("/upload-to-blob") || r == "/room/{room_id}/upload" => {
                RouteGroup::Uploads
            }
            r if is(Method::DELETE)
                && (r.starts_with("/recordings/") || r.starts_with("/room/{room_id}/files")) =>
            {
                RouteGroup::Deletes
            }
            r if is(Method::GET)
                && (r.starts_with("/recordings/")
                    || r.starts_with("/blobs/")
                    || r.starts_with("/room/{room_id}/files")) =>
            {
                RouteGroup::StorageReads
            }
            _ => RouteGroup::Default,
        }
    }
}

/// Requests per minute of each group; 0 means unlimited.
pub fn allowances(config: &Config) -> HashMap<RouteGroup, u32> {
    HashMap::from([
        (RouteGroup::Auth, config.rate_limit_auth_per_minute),
        (
            RouteGroup::StorageReads,
            config.rate_limit_storage_reads_per_minute,
        ),
        (RouteGroup::Uploads, config.rate_limit_uploads_per_minute),
        (RouteGroup::Deletes, config.rate_limit_deletes_per_minute),
        (RouteGroup::Sas, config.rate_limit_sas_per_minute),
        (RouteGroup::Default, config.rate_limit_default_per_minute),
    ])
}

/// GCRA on Redis's clock (so processes with skewed clocks agree): the key holds
/// the theoretical arrival time in microseconds. Answers 0 when allowed, else the
/// milliseconds to wait.
const GCRA: &str = r"
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local tolerance = interval * (burst - 1)
if now < tat - tolerance then
  return math.ceil((tat - tolerance - now) / 1000)
end
local next_tat = tat + interval
redis.call('SET', KEYS[1], string.format('%d', next_tat), 'PX', math.ceil((next_tat - now) / 1000) + 1)
return 0
";

enum Counter {
    Local(HashMap<RouteGroup, DefaultKeyedRateLimiter<String>>),
    Redis {
        connection: ConnectionManager,
        script: redis::Script,
        prefix: String,
    },
}

/// The limits of this server.
#[derive(Clone)]
pub struct RateLimiter {
    allowances: Arc<HashMap<RouteGroup, u32>>,
    counter: Option<Arc<Counter>>,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter")
            .field("allowances", &self.allowances)
            .finish_non_exhaustive()
    }
}

/// How long keys of callers who stopped calling are kept in process.
const FORGET_EVERY: Duration = Duration::from_secs(60);

impl RateLimiter {
    /// Limits from the configuration: off when `ALTEGON_RATE_LIMITING` is off, in
    /// Redis when `ALTEGON_REDIS_URL` is set (unreachable Redis fails the start).
    pub async fn from_config(config: &Config) -> anyhow::Result<Self> {
        let allowances = Arc::new(allowances(config));
        if !config.rate_limiting {
            return Ok(Self {
                allowances,
                counter: None,
            });
        }
        let counter = match &config.redis_url {
            Some(url) => {
                let (_, connection) = altegon_realtime::connect_redis(url.expose_secret()).await?;
                Counter::Redis {
                    connection,
                    script: redis::Script::new(GCRA),
                    prefix: config.redis_prefix.clone(),
                }
            }
            None => Counter::Local(
                allowances
                    .iter()
                    .filter_map(|(group, per_minute)| {
                        let per_minute = NonZeroU32::new(*per_minute)?;
                        Some((
                            *group,
                            DefaultKeyedRateLimiter::keyed(Quota::per_minute(per_minute)),
                        ))
                    })
                    .collect(),
            ),
        };
        let counter = Arc::new(counter);
        if matches!(*counter, Counter::Local(_)) {
            let weak = Arc::downgrade(&counter);
            tokio::spawn(async move {
                let mut every = tokio::time::interval(FORGET_EVERY);
                loop {
                    every.tick().await;
                    let Some(counter) = weak.upgrade() else {
                        return;
                    };
                    if let Counter::Local(limiters) = &*counter {
                        for limiter in limiters.values() {
                            limiter.retain_recent();
                        }
                    }
                }
            });
        }
        Ok(Self {
            allowances,
            counter: Some(counter),
        })
    }

    /// Spends one request of `who` in `group`; the wait before the next one is
    /// allowed when there is none left. Redis failures let requests through (and
    /// are logged): limits must not take the API down with them.
    pub async fn check(&self, group: RouteGroup, who: &str) -> Result<(), Duration> {
        let Some(counter) = &self.counter else {
            return Ok(());
        };
        let per_minute = self.allowances.get(&group).copied().unwrap_or(0);
        if per_minute == 0 {
            return Ok(());
        }
        match &**counter {
            Counter::Local(limiters) => {
                let Some(limiter) = limiters.get(&group) else {
                    return Ok(());
                };
                limiter.check_key(&who.to_owned()).map_err(|not_until| {
                    not_until.wait_time_from(governor::clock::Clock::now(
                        &governor::clock::DefaultClock::default(),
                    ))
                })
            }
            Counter::Redis {
                connection,
                script,
                prefix,
            } => {
                let interval_us = 60_000_000 / u64::from(per_minute);
                let mut connection = connection.clone();
                let wait: Result<u64, _> = script
                    .key(format!("{prefix}:rate:{}:{who}", group.name()))
                    .arg(interval_us)
                    .arg(per_minute)
                    .invoke_async(&mut connection)
                    .await;
                match wait {
                    Ok(0) => Ok(()),
                    Ok(ms) => Err(Duration::from_millis(ms)),
                    Err(e) => {
                        tracing::warn!(error = %e, "rate limit not checked: Redis failed");
                        Ok(())
                    }
                }
            }
        }
    }
}

/// Routes never limited: probes and scrapes.
pub(crate) const UNLIMITED: &[&str] = &["/healthz", "/readyz", "/metrics"];

/// Middleware: counts the request against its route group and caller.
pub async fn limit(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().map_or_else(
        || request.uri().path().to_owned(),
        |m| m.as_str().to_owned(),
    );
    if UNLIMITED.contains(&route.as_str()) {
        return next.run(request).await;
    }
    let group = RouteGroup::of(request.method(), &route);
    let caller = match request.extensions().get::<AuthUser>() {
        Some(user) => Some(user.clone()),
        None => AuthUser::from_headers(&state, request.headers())
            .ok()
            .flatten(),
    };
    let who = match (&caller, group) {
        (Some(user), g) if g != RouteGroup::Auth => format!("user:{}", user.id),
        _ => {
            let (parts, body) = request.into_parts();
            let ip = crate::client_ip::client_ip(&parts, state.config.trust_forwarded_for)
                .map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
            request = Request::from_parts(parts, body);
            format!("ip:{ip}")
        }
    };
    if let Some(user) = caller {
        request.extensions_mut().insert(user);
    }
    match state.rate_limiter.check(group, &who).await {
        Ok(()) => next.run(request).await,
        Err(wait) => {
            tracing::info!(group = group.name(), "rate limited");
            too_many(wait).into_response()
        }
    }
}

/// The 429 for a wait.
pub fn too_many(wait: Duration) -> Error {
    Error::TooManyRequests {
        retry_after: u32::try_from(wait.as_secs_f64().ceil() as u64)
            .unwrap_or(u32::MAX)
            .max(1),
    }
}

/// Counts a login or register attempt made outside the REST routes (GraphQL)
/// against the caller's address, in the same allowance.
pub async fn spend_auth_attempt(limiter: &RateLimiter, ip: Option<&str>) -> Result<(), Error> {
    limiter
        .check(RouteGroup::Auth, &format!("ip:{}", ip.unwrap_or("unknown")))
        .await
        .map_err(too_many)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_fall_into_the_reference_s_groups() {
        let cases = [
            (Method::POST, "/auth/login", RouteGroup::Auth),
            (Method::POST, "/auth/register", RouteGroup::Auth),
            (
                Method::GET,
                "/recordings/user/{user_id}/room/{room_id}/recording/{recording_id}/file/{file_name}/sas-url",
                RouteGroup::Sas,
            ),
            (
                Method::POST,
                "/recordings/user/{user_id}/room/{room_id}/recording/{recording_id}/upload-to-blob",
                RouteGroup::Uploads,
            ),
            (Method::POST, "/room/{room_id}/upload", RouteGroup::Uploads),
            (
                Method::DELETE,
                "/recordings/user/{user_id}/room/{room_id}/recording/{recording_id}/{file_name}",
                RouteGroup::Deletes,
            ),
            (Method::DELETE, "/room/{room_id}/files", RouteGroup::Deletes),
            (Method::GET, "/recordings/list", RouteGroup::StorageReads),
            (Method::GET, "/blobs/{*path}", RouteGroup::StorageReads),
            (
                Method::GET,
                "/room/{room_id}/files/{file_name}/download",
                RouteGroup::StorageReads,
            ),
            (Method::POST, "/meetings/create", RouteGroup::Default),
            (Method::GET, "/meetings/list/{user_id}", RouteGroup::Default),
            (
                Method::PUT,
                "/recordings/user/{user_id}/storage-limit",
                RouteGroup::Default,
            ),
        ];
        for (method, route, group) in cases {
            assert_eq!(RouteGroup::of(&method, route), group, "{method} {route}");
        }
    }

    #[tokio::test]
    async fn a_caller_past_the_allowance_waits_and_others_do_not() {
        let config = Config {
            rate_limit_auth_per_minute: 3,
            ..Config::default()
        };
        let limiter = RateLimiter::from_config(&config).await.unwrap();
        for _ in 0..3 {
            assert!(limiter.check(RouteGroup::Auth, "ip:1").await.is_ok());
        }
        let wait = limiter.check(RouteGroup::Auth, "ip:1").await.unwrap_err();
        assert!(
            wait > Duration::from_secs(15) && wait <= Duration::from_secs(20),
            "{wait:?}"
        );
        assert!(limiter.check(RouteGroup::Auth, "ip:2").await.is_ok());
        assert!(limiter.check(RouteGroup::Default, "ip:1").await.is_ok());
    }
}
