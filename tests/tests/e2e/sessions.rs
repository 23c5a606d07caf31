//! Live sessions over HTTP (start, join, leave, end, with locations from a MaxMind
//! database the test writes, from declared locations, or unknown), and every
//! reporting route checked against counts computed here from a seeded data set of
//! sessions across days, types, domains and cities.

use std::collections::BTreeMap;

use altegon_commands::{Actor, CommandBus, CommandContext};
use altegon_domain::events::Location;
use altegon_domain::meeting::Caller;
use altegon_domain::session::{RoomFacts, Session, SessionCommand};
use altegon_domain::{RoomId, SessionId, UserId};
use altegon_tests::mmdb::{CityNetwork, write_city_database};
use chrono::{TimeZone, Utc};
use serde_json::{Value, json};

use crate::support::{Log, TestApp};

const PLACES: [(&str, &str, &str, &str); 3] = [
    ("Lahore", "Punjab", "PK", "Pakistan"),
    ("Karachi", "Sindh", "PK", "Pakistan"),
    ("Berlin", "Berlin", "DE", "Germany"),
];
const TYPES: [&str; 4] = ["meeting", "conference", "webinar", "live"];
const DOMAINS: [&str; 2] = ["altegon.com", "partner.io"];

fn database(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("cities.mmdb");
    let net = |a: u8,
               (city, region, country, country_name): (
        &'static str,
        &'static str,
        &'static str,
        &'static str,
    )| CityNetwork {
        network: std::net::Ipv4Addr::new(10, a, 0, 0),
        prefix: 16,
        city,
        region,
        country,
        country_name,
    };
    write_city_database(
        &path,
        &[net(1, PLACES[0]), net(2, PLACES[1]), net(3, PLACES[2])],
    );
    path
}

/// What the test knows of one session, to compute expected reports.
#[derive(Debug, Clone)]
pub(crate) struct Known {
    pub(crate) host: String,
    pub(crate) session_type: String,
    pub(crate) domain: String,
    pub(crate) place: (String, String, String, String),
    pub(crate) day: String,
    pub(crate) completed: bool,
    pub(crate) participants: i64,
}

async fn post_from(
    app: &TestApp,
    token: &str,
    ip: &str,
    path: &str,
    body: Value,
) -> reqwest::Response {
    app.client
        .post(format!("{}{path}", app.base))
        .bearer_auth(token)
        .header("x-forwarded-for", ip)
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// `POST /sessions/{session}/{action}` from `ip`, without a body's fields.
async fn act(
    app: &TestApp,
    token: &str,
    ip: &str,
    session: &str,
    action: &str,
) -> reqwest::Response {
    post_from(
        app,
        token,
        ip,
        &format!("/sessions/{session}/{action}"),
        json!({}),
    )
    .await
}

async fn report(
    app: &TestApp,
    token: &str,
    route: &str,
    query: &[(&str, &str)],
) -> reqwest::Response {
    app.client
        .get(format!("{}/reporting/{route}", app.base))
        .bearer_auth(token)
        .query(query)
        .send()
        .await
        .unwrap()
}

async fn report_data(app: &TestApp, token: &str, route: &str, query: &[(&str, &str)]) -> Value {
    let r = report(app, token, route, query).await;
    assert_eq!(r.status(), 200, "{route} {query:?}");
    r.json::<Value>().await.unwrap()["data"].clone()
}

/// Sessions of past days, written to the log as the commands would.
pub(crate) async fn seed(bus: &CommandBus, host: UserId, room: RoomId, known: &mut Vec<Known>) {
    let ctx = &CommandContext::new(Actor::system());
    let caller = Caller {
        user_id: host,
        is_admin: false,
    };
    let mut i = 0usize;
    for day in 10..=20u32 {
        for _ in 0..((day % 3) + 2) {
            i += 1;
            let (city, region, country, country_name) = PLACES[i % 3];
            let session_type = TYPES[i % 4];
            let domain = DOMAINS[(i / 3) % 2];
            let start = Utc
                .with_ymd_and_hms(2025, 10, day, 8 + (i % 10) as u32, 0, 0)
                .unwrap();
            let session_id = SessionId::from(altegon_commands::ids::new_object_id());
            let location = Location {
                city: city.into(),
                region: region.into(),
                country: country.into(),
                country_name: country_name.into(),
                source: "geoip".into(),
            };
            let run = |command: SessionCommand| async move {
                bus.execute::<Session>(ctx, session_id, &command)
                    .await
                    .expect("seed command");
            };
            run(SessionCommand::Start {
                session_id,
                room_id: room,
                room: Some(RoomFacts {
                    owner_id: host,
                    is_private: false,
                }),
                session_type: session_type.into(),
                domain: domain.into(),
                caller,
                name: "Host".into(),
                location: location.clone(),
                now: start,
            })
            .await;
            let extra = i % 5;
            for _ in 0..extra {
                run(SessionCommand::Join {
                    caller: Caller {
                        user_id: UserId::from(altegon_commands::ids::new_object_id()),
                        is_admin: false,
                    },
                    name: "Guest".into(),
                    location: location.clone(),
                    may_enter: true,
                    now: start + chrono::Duration::minutes(1),
                })
                .await;
            }
            let completed = !i.is_multiple_of(7);
            if completed {
                run(SessionCommand::End {
                    caller,
                    now: start + chrono::Duration::minutes(45),
                })
                .await;
            }
            known.push(Known {
                host: host.to_string(),
                session_type: session_type.into(),
                domain: domain.into(),
                place: (
                    city.into(),
                    region.into(),
                    country.into(),
                    country_name.into(),
                ),
                day: format!("2025-10-{day:02}"),
                completed,
                participants: 1 + extra as i64,
            });
        }
    }
}

pub(crate) fn matches(k: &Known, host: &str, query: &[(&str, &str)]) -> bool {
    if k.host != host || !k.completed {
        return false;
    }
    query.iter().all(|(key, value)| {
        if value.is_empty() {
            return true;
        }
        match *key {
            "domain" => k.domain == *value,
            "sessionType" => k.session_type == *value,
            "countryCode" => k.place.2 == *value,
            "countryName" => k.place.3 == *value,
            "cityName" => k.place.0 == *value,
            // Seeded sessions start on the hour, so day bounds decide.
            "startDateRange" => k.day.as_str() >= &value[..10],
            "endDateRange" => k.day.as_str() <= &value[..10],
            _ => true,
        }
    })
}

async fn check_reports(
    app: &TestApp,
    token: &str,
    host: &str,
    known: &[Known],
    query: &[(&str, &str)],
) {
    let hits: Vec<&Known> = known.iter().filter(|k| matches(k, host, query)).collect();

    let total = report_data(app, token, "total-sessions-for-user", query).await;
    assert_eq!(total["totalSessions"], hits.len(), "total {query:?}");

    let stats = report_data(app, token, "total-sessions-statistics-for-user", query).await;
    assert_eq!(stats["totalSessions"], hits.len(), "statistics {query:?}");
    let mut by_type: BTreeMap<String, i64> = BTreeMap::new();
    for k in &hits {
        *by_type.entry(k.session_type.clone()).or_default() += 1;
    }
    let got: BTreeMap<String, i64> = stats["totalSessionsByType"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["sessionType"].as_str().unwrap().to_owned(),
                t["totalSessions"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, by_type, "by type {query:?}");

    let days = report_data(app, token, "total-sessions-aggregation-for-user", query).await;
    let mut per_day: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
    for k in &hits {
        *per_day
            .entry(format!("{}T00:00:00.000Z", k.day))
            .or_default()
            .entry(k.domain.clone())
            .or_default() += 1;
    }
    let got: BTreeMap<String, BTreeMap<String, i64>> = days
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["date"].as_str().unwrap().to_owned(),
                d["domainCounts"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| {
                        (
                            c["domain"].as_str().unwrap().to_owned(),
                            c["count"].as_i64().unwrap(),
                        )
                    })
                    .collect(),
            )
        })
        .collect();
    assert_eq!(got, per_day, "per day {query:?}");
    let dates: Vec<&str> = days
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["date"].as_str().unwrap())
        .collect();
    assert!(dates.windows(2).all(|w| w[0] < w[1]), "days in order");

    let places = report_data(app, token, "total-sessions-by-location-for-user", query).await;
    let mut per_place: BTreeMap<(String, String, String, String), i64> = BTreeMap::new();
    for k in &hits {
        *per_place.entry(k.place.clone()).or_default() += 1;
    }
    let rows = places.as_array().unwrap();
    let got: BTreeMap<(String, String, String, String), i64> = rows
        .iter()
        .map(|p| {
            let id = &p["_id"];
            let s = |f: &str| id[f].as_str().unwrap().to_owned();
            (
                (s("city"), s("region"), s("country"), s("country_name")),
                p["count"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, per_place, "by location {query:?}");
    let counts: Vec<i64> = rows.iter().map(|p| p["count"].as_i64().unwrap()).collect();
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "most first");

    let cities = report_data(
        app,
        token,
        "total-sessions-and-participants-count-by-location-for-user",
        query,
    )
    .await;
    let mut per_city: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for k in &hits {
        let e = per_city.entry(k.place.0.clone()).or_default();
        e.0 += 1;
        e.1 += k.participants;
    }
    let got: BTreeMap<String, (i64, i64)> = cities
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["_id"].as_str().unwrap().to_owned(),
                (
                    c["totalSessions"].as_i64().unwrap(),
                    c["totalParticipants"].as_i64().unwrap(),
                ),
            )
        })
        .collect();
    assert_eq!(got, per_city, "sessions and participants {query:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sessions_and_reports_work_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path());
    let mut app = TestApp::start_with(Log::Sqlite, |c| {
        c.geoip_database = Some(db);
        c.trust_forwarded_for = true;
    })
    .await;
    let (host, host_token) = app.user("host@altegon.com").await;
    let (other, other_token) = app.user("other@partner.io").await;
    let (_, admin) = app.admin("admin@altegon.com").await;
    let (_, g1) = app.user("g1@example.com").await;
    let (_, g2) = app.user("g2@example.com").await;
    let (_, g3) = app.user("g3@example.com").await;
    let room = app.room(&host_token, false).await;
    let private_room = app.room(&other_token, true).await;
    let mut known = Vec::new();
    let today = Utc::now().format("%Y-%m-%d").to_string();

    // A meeting: the host in Lahore (GeoIP), guests from Karachi (GeoIP), Paris
    // (declared) and nowhere known.
    let r = post_from(
        &app,
        &host_token,
        "10.1.0.5",
        "/sessions",
        json!({ "roomId": room, "sessionType": "Meeting" }),
    )
    .await;
    assert_eq!(r.status(), 201);
    let s: Value = r.json().await.unwrap();
    let meeting = s["data"]["_id"].as_str().unwrap().to_owned();
    assert_eq!(s["data"]["sessionType"], "meeting");
    assert_eq!(s["data"]["domain"], "altegon.com");
    assert_eq!(s["data"]["status"], "live");
    assert_eq!(
        s["data"]["location"],
        json!({ "city": "Lahore", "region": "Punjab", "country": "PK", "country_name": "Pakistan" })
    );
    assert_eq!(s["data"]["participants"][0]["name"], "Haseeb Asif");
    let r = act(&app, &g1, "10.2.0.7", &meeting, "join").await;
    assert_eq!(r.status(), 200);
    let r = post_from(
        &app,
        &g2,
        "192.168.0.9",
        &format!("/sessions/{meeting}/join"),
        json!({ "name": "Guest Two", "location": { "city": "Paris", "region": "Île-de-France", "country": "fr", "countryName": "France" } }),
    )
    .await;
    assert_eq!(r.status(), 200);
    let r = app
        .client
        .post(format!("{}/sessions/{meeting}/join", app.base))
        .bearer_auth(&g3)
        .header("x-forwarded-for", "192.168.0.10")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "joining needs no body");
    let s: Value = r.json().await.unwrap();
    let places: Vec<(String, String)> = s["data"]["participants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["location"]["city"].as_str().unwrap().to_owned(),
                p["location"]["country"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(places.len(), 4);
    for expected in [
        ("Lahore", "PK"),
        ("Karachi", "PK"),
        ("Paris", "FR"),
        ("Unknown", "Unknown"),
    ] {
        assert!(
            places.contains(&(expected.0.into(), expected.1.into())),
            "{places:?}"
        );
    }
    // Joining twice changes nothing; a guest may not end it; leaving twice is refused.
    let r = act(&app, &g1, "10.2.0.7", &meeting, "join").await;
    assert_eq!(
        r.json::<Value>().await.unwrap()["data"]["participantsCount"],
        4
    );
    let r = act(&app, &g1, "10.2.0.7", &meeting, "end").await;
    assert_eq!(r.status(), 403);
    let r = act(&app, &g1, "10.2.0.7", &meeting, "leave").await;
    assert_eq!(r.status(), 200);
    let r = act(&app, &g1, "10.2.0.7", &meeting, "leave").await;
    assert_eq!(r.status(), 409);
    let r = act(&app, &host_token, "10.1.0.5", &meeting, "end").await;
    assert_eq!(r.status(), 200);
    let s: Value = r.json().await.unwrap();
    assert_eq!(s["data"]["status"], "completed");
    assert!(
        s["data"]["participants"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["present"] == false)
    );
    let r = act(&app, &g1, "10.2.0.7", &meeting, "join").await;
    assert_eq!(r.status(), 409, "an ended session takes no one");
    known.push(Known {
        host: host.clone(),
        session_type: "meeting".into(),
        domain: "altegon.com".into(),
        place: (
            "Lahore".into(),
            "Punjab".into(),
            "PK".into(),
            "Pakistan".into(),
        ),
        day: today.clone(),
        completed: true,
        participants: 4,
    });

    // A guest starts a live session in the host's room from Berlin; it ends when they leave.
    let r = post_from(
        &app,
        &g1,
        "10.3.0.1",
        "/sessions",
        json!({ "roomId": room, "sessionType": "live" }),
    )
    .await;
    assert_eq!(r.status(), 201);
    let live = r.json::<Value>().await.unwrap()["data"]["_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = act(&app, &g1, "10.3.0.1", &live, "leave").await;
    assert_eq!(
        r.json::<Value>().await.unwrap()["data"]["status"],
        "completed"
    );
    known.push(Known {
        host: host.clone(),
        session_type: "live".into(),
        domain: "altegon.com".into(),
        place: (
            "Berlin".into(),
            "Berlin".into(),
            "DE".into(),
            "Germany".into(),
        ),
        day: today.clone(),
        completed: true,
        participants: 1,
    });

    // A session still live does not count.
    let r = post_from(
        &app,
        &host_token,
        "10.1.0.5",
        "/sessions",
        json!({ "roomId": room, "sessionType": "webinar" }),
    )
    .await;
    assert_eq!(r.status(), 201);

    // Refusals.
    let r = post_from(
        &app,
        &host_token,
        "10.1.0.5",
        "/sessions",
        json!({ "roomId": private_room, "sessionType": "meeting" }),
    )
    .await;
    assert_eq!(r.status(), 403, "another's private room");
    let r = post_from(
        &app,
        &host_token,
        "10.1.0.5",
        "/sessions",
        json!({ "roomId": room, "sessionType": "two words" }),
    )
    .await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("sessionType"));
    let r = post_from(
        &app,
        &host_token,
        "10.1.0.5",
        "/sessions/68ee4b39b22d6134386fc5dd/join",
        json!({}),
    )
    .await;
    assert_eq!(r.status(), 404);
    let r = app.get_as(&g3, &format!("/sessions/{live}")).await;
    assert_eq!(r.status(), 403, "not a participant of that one");
    let r = app.get_as(&host_token, &format!("/sessions/{live}")).await;
    assert_eq!(r.status(), 200);

    // Past days, for both hosts.
    let host_id: UserId = host.parse().unwrap();
    let other_id: UserId = other.parse().unwrap();
    let room_id: RoomId = room.parse().unwrap();
    let other_room: RoomId = private_room.parse().unwrap();
    let mut other_known = Vec::new();
    app.seed_log(async |bus| {
        seed(bus, host_id, room_id, &mut known).await;
        seed(bus, other_id, other_room, &mut other_known).await;
    })
    .await;

    let october: [(&str, &str); 3] = [
        ("startDateRange", "2025-10-01T00:00:00.000Z"),
        ("endDateRange", "2025-10-31T23:59:59.999Z"),
        ("sessionType", ""),
    ];
    let filters: Vec<Vec<(&str, &str)>> = vec![
        vec![],
        october.to_vec(),
        vec![("sessionType", "webinar")],
        vec![("startDateRange", "2025-10-16T00:00:00.000Z")],
        vec![("endDateRange", "2025-10-13")],
        vec![("userID", host.as_str())],
        vec![("domain", "partner.io")],
        vec![("countryCode", "PK")],
        vec![("countryName", "Germany")],
        vec![("cityName", "Karachi")],
        vec![
            ("sessionType", "meeting"),
            ("countryCode", "PK"),
            ("startDateRange", "2025-10-12"),
            ("endDateRange", "2025-10-15"),
        ],
        vec![
            ("domain", "altegon.com"),
            ("cityName", "Lahore"),
            ("endDateRange", "2025-10-14T23:59:59.999Z"),
            ("countryName", ""),
        ],
        vec![
            ("startDateRange", "2025-10-18T00:00:00Z"),
            ("cityName", "Berlin"),
        ],
    ];
    for query in &filters {
        check_reports(&app, &host_token, &host, &known, query).await;
    }
    // An admin sees any host's reports; the others' are not mixed in.
    let mut with_user = october.to_vec();
    with_user.push(("userID", other.as_str()));
    check_reports(&app, &admin, &other, &other_known, &with_user).await;
    let r = report(&app, &host_token, "total-sessions-for-user", &with_user).await;
    assert_eq!(r.status(), 403, "a user sees only their own sessions");

    // Malformed dates name their field.
    for (field, value) in [
        ("startDateRange", "yesterday"),
        ("endDateRange", "2025-13-40"),
    ] {
        let r = report(
            &app,
            &host_token,
            "total-sessions-statistics-for-user",
            &[(field, value)],
        )
        .await;
        assert_eq!(r.status(), 400);
        assert!(r.text().await.unwrap().contains(field));
    }
    let r = report(
        &app,
        &host_token,
        "total-sessions-for-user",
        &[
            ("startDateRange", "2025-10-20"),
            ("endDateRange", "2025-10-10"),
        ],
    )
    .await;
    // An end before the start is an empty range, not an error.
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["data"]["totalSessions"], 0);
    let r = report(
        &app,
        &host_token,
        "total-sessions-for-user",
        &[("userID", "nope")],
    )
    .await;
    assert_eq!(r.status(), 400);
    let r = app.get("/reporting/total-sessions-for-user").await;
    assert_eq!(r.status(), 401);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reports_match_on_postgresql_too() {
    let mut app = TestApp::start(Log::Postgres).await;
    let (host, token) = app.user("host@altegon.com").await;
    let room = app.room(&token, false).await;
    let mut known = Vec::new();
    let host_id: UserId = host.parse().unwrap();
    let room_id: RoomId = room.parse().unwrap();
    app.seed_log(async |bus| seed(bus, host_id, room_id, &mut known).await)
        .await;
    for query in [
        vec![],
        vec![
            ("startDateRange", "2025-10-12"),
            ("endDateRange", "2025-10-16"),
            ("domain", "altegon.com"),
        ],
        vec![("countryCode", "DE"), ("sessionType", "live")],
    ] {
        check_reports(&app, &token, &host, &known, &query).await;
    }
    app.stop().await;
}

/// A participant still connected when the server stops gracefully is recorded
/// as having left, and the session ends: it does not stay open across a restart.
#[tokio::test]
async fn a_graceful_stop_records_everyone_connected_as_left() {
    use futures::StreamExt;

    let mut app = TestApp::start(Log::Sqlite).await;
    let (_, host) = app.user("host@example.com").await;
    let room = app.room(&host, false).await;
    let token = app.room_token(&host, &room).await;
    let url = format!("{}/ws?token={token}", app.base.replacen("http", "ws", 1));
    let (mut socket, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("websocket");
    let session = loop {
        let frame = tokio::time::timeout(std::time::Duration::from_secs(10), socket.next())
            .await
            .expect("room_connected in time")
            .expect("a frame")
            .expect("a readable frame");
        let Ok(text) = frame.to_text() else { continue };
        let frame: Value = serde_json::from_str(text).unwrap_or_default();
        if frame["event"] == "room_connected" {
            break frame["data"]["sessionId"]
                .as_str()
                .expect("a session")
                .to_owned();
        }
    };

    app.restart().await;
    drop(socket);
    let types: Vec<String> = app
        .stream_events(&format!("session-{session}"))
        .await
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    assert_eq!(
        types,
        [
            "SessionStarted",
            "ParticipantJoined",
            "ParticipantLeft",
            "SessionEnded"
        ],
        "{types:?}"
    );
    app.stop().await;
}
