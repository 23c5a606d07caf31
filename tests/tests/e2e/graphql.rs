//! GraphQL over HTTP and WebSocket, as clients use it: queries and mutations with
//! the REST rules and error codes, cursor pagination, batched nested reads, and
//! subscriptions with the graphql-ws client library (`tools/graphql-client.js`),
//! including a reconnect from a position that misses nothing.

use std::process::Stdio;

use altegon_tests::recording_client::tools_dir;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::support::{Log, TestApp, registration};

async fn gql(app: &TestApp, token: Option<&str>, query: &str, variables: Value) -> Value {
    let mut request = app
        .client
        .post(format!("{}/graphql", app.base))
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let r = request.send().await.expect("request");
    assert_eq!(r.status(), 200);
    r.json().await.expect("json")
}

fn code(response: &Value) -> &str {
    response["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code in {response}"))
}

const CREATE_MEETING: &str = "mutation($title: String!) { createMeeting(input: {title: $title, transcriptEnabled: true}) { id title hostId transcriptEnabled } }";

#[tokio::test]
async fn queries_and_mutations_follow_the_rest_rules() {
    let app = TestApp::start(Log::Sqlite).await;

    // Register and log in through GraphQL.
    let r = gql(
        &app,
        None,
        "mutation($input: RegisterInput!) { register(input: $input) { id email fName roles } }",
        json!({ "input": registration("host@altegon.com") }),
    )
    .await;
    assert_eq!(r["data"]["register"]["email"], "host@altegon.com", "{r}");
    let host = r["data"]["register"]["id"].as_str().unwrap().to_owned();
    let again = gql(
        &app,
        None,
        "mutation($input: RegisterInput!) { register(input: $input) { id } }",
        json!({ "input": registration("HOST@altegon.com") }),
    )
    .await;
    assert_eq!(code(&again), "CONFLICT");
    let mut bad = registration("bad@altegon.com");
    bad["email"] = json!("not-an-email");
    let bad = gql(
        &app,
        None,
        "mutation($input: RegisterInput!) { register(input: $input) { id } }",
        json!({ "input": bad }),
    )
    .await;
    assert_eq!(code(&bad), "BAD_USER_INPUT");
    assert_eq!(bad["errors"][0]["extensions"]["field"], "email");

    let wrong = gql(
        &app,
        None,
        "mutation { login(email: \"host@altegon.com\", password: \"nope-nope\") { token } }",
        json!({}),
    )
    .await;
    assert_eq!(code(&wrong), "UNAUTHENTICATED");
    let login = gql(
        &app,
        None,
        "mutation($p: String!) { login(email: \"host@altegon.com\", password: $p) { token tokenType user { id } } }",
        json!({ "p": crate::support::PASSWORD }),
    )
    .await;
    let token = login["data"]["login"]["token"].as_str().unwrap().to_owned();
    assert_eq!(login["data"]["login"]["user"]["id"], host.as_str());

    // Signed out: UNAUTHENTICATED; a tampered token says why.
    assert_eq!(
        code(&gql(&app, None, "{ me { id } }", json!({})).await),
        "UNAUTHENTICATED"
    );
    let tampered = gql(&app, Some("abc.def.ghi"), "{ me { id } }", json!({})).await;
    assert_eq!(code(&tampered), "UNAUTHENTICATED");
    assert_eq!(tampered["errors"][0]["message"], "invalid token");
    let me = gql(&app, Some(&token), "{ me { id email roles } }", json!({})).await;
    assert_eq!(me["data"]["me"]["id"], host.as_str());

    // Create and read back: the mutation answers with the new state.
    let created = gql(
        &app,
        Some(&token),
        CREATE_MEETING,
        json!({ "title": "Planning" }),
    )
    .await;
    let meeting = &created["data"]["createMeeting"];
    assert_eq!(meeting["title"], "Planning", "{created}");
    assert_eq!(meeting["hostId"], host.as_str());
    let meeting_id = meeting["id"].as_str().unwrap().to_owned();
    let empty = gql(&app, Some(&token), CREATE_MEETING, json!({ "title": "  " })).await;
    assert_eq!(code(&empty), "BAD_USER_INPUT");

    let updated = gql(
        &app,
        Some(&token),
        "mutation($id: ID!) { updateMeeting(meetingId: $id, input: {title: \"Retro\"}) { id title } }",
        json!({ "id": meeting_id }),
    )
    .await;
    assert_eq!(
        updated["data"]["updateMeeting"]["title"], "Retro",
        "{updated}"
    );
    // The REST list sees the same meeting.
    let r = app
        .get_as(&token, &format!("/meetings/list/{host}"))
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(r["data"][0]["title"], "Retro");

    // Another user is refused, as over REST.
    let (_, other) = app.user("other@altegon.com").await;
    let forbidden = gql(
        &app,
        Some(&other),
        "query($id: ID!) { meeting(id: $id) { title } }",
        json!({ "id": meeting_id }),
    )
    .await;
    assert_eq!(code(&forbidden), "FORBIDDEN");
    let forbidden = gql(
        &app,
        Some(&other),
        "mutation($id: ID!) { updateMeeting(meetingId: $id, input: {title: \"Mine\"}) { id } }",
        json!({ "id": meeting_id }),
    )
    .await;
    assert_eq!(code(&forbidden), "FORBIDDEN");
    let missing = gql(
        &app,
        Some(&token),
        "{ meeting(id: \"68aff60d0d7bbb02c917906d\") { title } }",
        json!({}),
    )
    .await;
    assert_eq!(code(&missing), "NOT_FOUND");
    let malformed = gql(
        &app,
        Some(&token),
        "{ meeting(id: \"zz\") { title } }",
        json!({}),
    )
    .await;
    assert_eq!(code(&malformed), "BAD_USER_INPUT");
    let admin_only = gql(
        &app,
        Some(&token),
        "{ users { edges { node { id } } } }",
        json!({}),
    )
    .await;
    assert_eq!(code(&admin_only), "FORBIDDEN");

    // Rooms, tokens and storage figures.
    let room = gql(
        &app,
        Some(&token),
        "mutation { createRoom(input: {name: \"Main\", type: \"meeting\", isPrivate: true}) { id name type isPrivate } }",
        json!({}),
    )
    .await;
    let room_id = room["data"]["createRoom"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(room["data"]["createRoom"]["isPrivate"], true);
    let room_token = gql(
        &app,
        Some(&token),
        "mutation($id: ID!) { createRoomToken(roomId: $id) { token grants } }",
        json!({ "id": room_id }),
    )
    .await;
    let grants = room_token["data"]["createRoomToken"]["grants"]
        .as_array()
        .unwrap();
    assert!(grants.contains(&json!("room-admin")), "{room_token}");
    let private = gql(
        &app,
        Some(&other),
        "mutation($id: ID!) { createRoomToken(roomId: $id) { token } }",
        json!({ "id": room_id }),
    )
    .await;
    assert_eq!(code(&private), "FORBIDDEN");
    let storage = gql(
        &app,
        Some(&token),
        "{ storageInfo { totalUsage storageLimit isLimitExceeded files { edges { node { fileName } } } } }",
        json!({}),
    )
    .await;
    assert_eq!(storage["data"]["storageInfo"]["totalUsage"], 0, "{storage}");
    assert_eq!(
        storage["data"]["storageInfo"]["storageLimit"],
        5_368_709_120u64
    );

    // GET with a query string works too; a browser gets GraphiQL.
    let r = app
        .client
        .get(format!("{}/graphql?query=%7Bme%7Bid%7D%7D", app.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.json::<Value>().await.unwrap()["data"]["me"]["id"],
        host.as_str()
    );
    let page = app
        .client
        .get(format!("{}/graphql", app.base))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("graphiql"));
    app.stop().await;
}

#[tokio::test]
async fn pages_by_cursor_and_nested_lists_cost_a_constant_number_of_queries() {
    let app = TestApp::start(Log::Sqlite).await;
    let (_, token) = app.user("host@altegon.com").await;
    let nested = "query($first: Int, $after: String) { meetings(first: $first, after: $after) { \
        edges { cursor node { id title recordings { recordingId files { fileName } } transcript { message } summary { summary } files { fileName } } } \
        pageInfo { hasNextPage endCursor } } }";
    let mut reads = Vec::new();
    for total in [10usize, 100] {
        let (_, token) = app.user(&format!("host{total}@altegon.com")).await;
        let room = app.room(&token, false).await;
        while created(&app, &token).await < total {
            let r = gql(&app, Some(&token), CREATE_MEETING, json!({ "title": "M" })).await;
            let id = r["data"]["createMeeting"]["id"]
                .as_str()
                .unwrap()
                .to_owned();
            let recording = format!("rec_{}", id);
            let r = gql(
                &app,
                Some(&token),
                "mutation($input: StartRecordingInput!) { startRecording(input: $input) { recordingId meetingId } }",
                json!({ "input": {
                    "roomId": room, "recordingId": recording, "userName": "Host",
                    "streamId": "1", "startTime": "1756364334634", "videoType": "video",
                    "status": "pending", "meetingId": id,
                }}),
            )
            .await;
            assert_eq!(r["data"]["startRecording"]["meetingId"], id.as_str(), "{r}");
        }
        let r = gql(&app, Some(&token), nested, json!({ "first": 100 })).await;
        assert!(r.get("errors").is_none(), "{r}");
        let edges = r["data"]["meetings"]["edges"].as_array().unwrap();
        assert_eq!(edges.len(), total);
        assert!(
            edges
                .iter()
                .all(|e| e["node"]["recordings"].as_array().unwrap().len() == 1)
        );
        reads.push(r["extensions"]["readQueries"].as_u64().unwrap());
    }
    assert_eq!(
        reads[0], reads[1],
        "10 and 100 meetings should cost the same: {reads:?}"
    );
    assert!(reads[0] <= 6, "{reads:?}");

    // Pages follow each other without overlap.
    for i in 0..5 {
        gql(
            &app,
            Some(&token),
            CREATE_MEETING,
            json!({ "title": format!("T{i}") }),
        )
        .await;
    }
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let r = gql(
            &app,
            Some(&token),
            nested,
            json!({ "first": 2, "after": after }),
        )
        .await;
        let meetings = &r["data"]["meetings"];
        for edge in meetings["edges"].as_array().unwrap() {
            seen.push(edge["node"]["title"].as_str().unwrap().to_owned());
        }
        if meetings["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = meetings["pageInfo"]["endCursor"]
            .as_str()
            .map(str::to_owned);
    }
    assert_eq!(seen, ["T4", "T3", "T2", "T1", "T0"]);
    let bad = gql(&app, Some(&token), nested, json!({ "first": 1000 })).await;
    assert_eq!(code(&bad), "BAD_USER_INPUT");
    let bad = gql(&app, Some(&token), nested, json!({ "after": "garbage" })).await;
    assert_eq!(code(&bad), "BAD_USER_INPUT");
    app.stop().await;
}

async fn created(app: &TestApp, token: &str) -> usize {
    let r = gql(
        app,
        Some(token),
        "{ meetings(first: 100) { edges { cursor } } }",
        json!({}),
    )
    .await;
    r["data"]["meetings"]["edges"]
        .as_array()
        .map_or(0, Vec::len)
}

#[tokio::test]
async fn depth_complexity_and_introspection_are_bounded() {
    let app = TestApp::start_with(Log::Sqlite, |c| {
        c.graphql_max_depth = 4;
        c.graphql_max_complexity = 500;
        c.graphql_introspection = false;
    })
    .await;
    let (_, token) = app.user("host@altegon.com").await;
    let deep = gql(
        &app,
        Some(&token),
        "{ meetings { edges { node { recordings { files { fileName } } } } } }",
        json!({}),
    )
    .await;
    assert!(
        deep["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("nested too deep"),
        "{deep}"
    );
    let schema = gql(
        &app,
        Some(&token),
        "{ __schema { types { name } } }",
        json!({}),
    )
    .await;
    assert!(schema["data"]["__schema"].is_null(), "{schema}");
    // A page of 100 with a few fields each is over 500; a page of 20 is not.
    let wide = |first: u32| {
        format!(
            "{{ meetings(first: {first}) {{ edges {{ node {{ id title hostId createdAt }} }} }} }}"
        )
    };
    let big = gql(&app, Some(&token), &wide(100), json!({})).await;
    assert!(
        big["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("too complex"),
        "{big}"
    );
    let small = gql(&app, Some(&token), &wide(20), json!({})).await;
    assert!(small.get("errors").is_none(), "{small}");
    app.stop().await;
}

/// A graphql-ws subscriber running in Node; its output lines as JSON.
struct Subscriber {
    child: tokio::process::Child,
    lines: tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
}

impl Subscriber {
    fn start(app: &TestApp, token: &str, query: &str, variables: Value, stop: Value) -> Self {
        let mut plan = json!({
            "url": format!("{}/graphql/ws", app.base.replace("http://", "ws://")),
            "token": token,
            "query": query,
            "variables": variables,
        });
        for (k, v) in stop.as_object().unwrap() {
            plan[k] = v.clone();
        }
        let mut child = tokio::process::Command::new("node")
            .arg(tools_dir().join("graphql-client.js"))
            .arg(plan.to_string())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("node runs");
        let lines = BufReader::new(child.stdout.take().unwrap()).lines();
        Self { child, lines }
    }

    async fn next(&mut self) -> Value {
        let line = tokio::time::timeout(std::time::Duration::from_secs(30), self.lines.next_line())
            .await
            .expect("subscriber answers")
            .unwrap()
            .expect("subscriber is running");
        serde_json::from_str(&line).unwrap()
    }

    /// Every event until the subscriber is done.
    async fn events(&mut self, field: &str) -> Vec<Value> {
        let mut events = Vec::new();
        loop {
            let line = self.next().await;
            if line.get("done").is_some() {
                break;
            }
            assert!(line.get("error").is_none(), "{line}");
            if let Some(data) = line["next"]["data"].get(field) {
                events.push(data.clone());
            }
        }
        let _ = self.child.wait().await;
        events
    }
}

const MEETING_EVENTS: &str = "subscription($id: ID!, $after: String) { meetingEvents(meetingId: $id, after: $after) { position type streamId data } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn subscriptions_resume_from_a_position_without_gaps_or_repeats() {
    let app = TestApp::start(Log::Sqlite).await;
    let (_, token) = app.user("host@altegon.com").await;
    let created = gql(&app, Some(&token), CREATE_MEETING, json!({ "title": "t0" })).await;
    let meeting = created["data"]["createMeeting"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let update = async |title: String| {
        let r = gql(
            &app,
            Some(&token),
            "mutation($id: ID!, $t: String!) { updateMeeting(meetingId: $id, input: {title: $t}) { title } }",
            json!({ "id": meeting, "t": title }),
        )
        .await;
        assert!(r.get("errors").is_none(), "{r}");
    };

    // From now: history is not replayed; keep changing until three arrive.
    let mut first = Subscriber::start(
        &app,
        &token,
        MEETING_EVENTS,
        json!({ "id": meeting }),
        json!({ "count": 3 }),
    );
    assert_eq!(first.next().await["connected"], true);
    let mut made = 0;
    let collector = tokio::spawn(async move { first.events("meetingEvents").await });
    while !collector.is_finished() {
        made += 1;
        update(format!("t{made}")).await;
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let seen = collector.await.unwrap();
    assert_eq!(seen.len(), 3);
    let titles: Vec<usize> = seen
        .iter()
        .map(|e| {
            assert_eq!(e["type"], "MeetingUpdated", "{e}");
            e["data"]["title"].as_str().unwrap()[1..].parse().unwrap()
        })
        .collect();
    assert!(
        titles[0] >= 1 && titles[1] == titles[0] + 1 && titles[2] == titles[1] + 1,
        "{titles:?}"
    );
    let last_position = seen[2]["position"].as_str().unwrap().to_owned();

    // While the client is away: more changes and an (encrypted) transcript line.
    for _ in 0..2 {
        made += 1;
        update(format!("t{made}")).await;
    }
    let r = app
        .post_as(
            &token,
            "/send-transcript",
            json!({ "meetingId": meeting, "userName": "Host", "message": "hello again" }),
        )
        .await;
    assert_eq!(r.status(), 201);

    // Reconnect after the last position seen: everything missed, once, in order.
    let mut second = Subscriber::start(
        &app,
        &token,
        MEETING_EVENTS,
        json!({ "id": meeting, "after": last_position }),
        json!({ "untilType": "TranscriptLineAdded" }),
    );
    assert_eq!(second.next().await["connected"], true);
    let resumed = second.events("meetingEvents").await;
    let (line, updates) = resumed.split_last().unwrap();
    let resumed_titles: Vec<usize> = updates
        .iter()
        .map(|e| e["data"]["title"].as_str().unwrap()[1..].parse().unwrap())
        .collect();
    let expected: Vec<usize> = (titles[2] + 1..=made).collect();
    assert_eq!(resumed_titles, expected);
    assert_eq!(line["data"]["message"], "hello again");
    let positions: Vec<u64> = resumed
        .iter()
        .map(|e| e["position"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]));
    assert!(positions[0] > last_position.parse::<u64>().unwrap());

    // Someone else may not listen in.
    let (_, other) = app.user("other@altegon.com").await;
    let mut refused = Subscriber::start(
        &app,
        &other,
        MEETING_EVENTS,
        json!({ "id": meeting }),
        json!({ "count": 1 }),
    );
    assert_eq!(refused.next().await["connected"], true);
    let answer = refused.next().await;
    assert_eq!(
        answer["next"]["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{answer}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn storage_usage_and_room_events_arrive_as_they_happen() {
    let app = TestApp::start(Log::Sqlite).await;
    let (host, token) = app.user("host@altegon.com").await;
    let room = app.room(&token, false).await;

    let mut usage = Subscriber::start(
        &app,
        &token,
        "subscription { storageUsage { totalUsage recordingsCount } }",
        json!({}),
        json!({ "count": 2 }),
    );
    let mut room_events = Subscriber::start(
        &app,
        &token,
        "subscription($id: ID!) { roomEvents(roomId: $id) { type data } }",
        json!({ "id": room }),
        json!({ "untilType": "RecordingFileUploaded" }),
    );
    assert_eq!(usage.next().await["connected"], true);
    let initial = usage.next().await;
    assert_eq!(
        initial["next"]["data"]["storageUsage"]["totalUsage"], 0,
        "{initial}"
    );
    assert_eq!(room_events.next().await["connected"], true);
    // The room subscription is live once a first event of the room arrives.
    let mut started = 0;
    let room_task = tokio::spawn(async move { room_events.events("roomEvents").await });
    loop {
        started += 1;
        app.start_recording(&token, &room, &format!("rec_{started}"))
            .await;
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        if started >= 2 {
            break;
        }
    }
    let r = app
        .upload_as(
            &token,
            &format!("/recordings/user/{host}/room/{room}/recording/rec_1/upload-to-blob"),
            "clip.mp4",
            vec![7u8; 4096],
        )
        .await;
    assert_eq!(r.status(), 201);
    let changed = usage.events("storageUsage").await;
    assert_eq!(changed.last().unwrap()["totalUsage"], 4096, "{changed:?}");
    assert_eq!(changed.last().unwrap()["recordingsCount"], 1);
    let events = room_task.await.unwrap();
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert!(types.contains(&"RecordingStarted"), "{types:?}");
    assert_eq!(types.last(), Some(&"RecordingFileUploaded"));
    app.stop().await;
}

#[tokio::test]
async fn transcripts_notes_files_and_urls_have_graphql_counterparts() {
    let app = TestApp::start(Log::Sqlite).await;
    let (host, token) = app.user("host@altegon.com").await;
    let (_, admin_token) = app.admin("admin@altegon.com").await;
    let created = gql(
        &app,
        Some(&token),
        CREATE_MEETING,
        json!({ "title": "Notes" }),
    )
    .await;
    let meeting = created["data"]["createMeeting"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (who, text) in [
        ("Host", "We decided to ship on Friday."),
        ("Guest", "Ali will write the release notes by Thursday."),
    ] {
        let r = gql(
            &app,
            Some(&token),
            "mutation($m: ID!, $u: String!, $t: String!) { sendTranscript(meetingId: $m, userName: $u, message: $t) { id userName message } }",
            json!({ "m": meeting, "u": who, "t": text }),
        )
        .await;
        assert_eq!(r["data"]["sendTranscript"]["message"], text, "{r}");
    }
    let r = gql(
        &app,
        Some(&token),
        "mutation($m: ID!) { generateSummary(meetingId: $m) { summary summarizer notes } }",
        json!({ "m": meeting }),
    )
    .await;
    assert_eq!(r["data"]["generateSummary"]["summarizer"], "offline", "{r}");
    assert!(r["data"]["generateSummary"]["notes"].is_object());
    let r = gql(
        &app,
        Some(&token),
        "query($m: ID!) { meeting(id: $m) { summaryGenerated transcript { userName message } summary { summary } } }",
        json!({ "m": meeting }),
    )
    .await;
    let read = &r["data"]["meeting"];
    assert_eq!(
        read["transcript"][1]["message"], "Ali will write the release notes by Thursday.",
        "{r}"
    );
    assert!(!read["summary"]["summary"].as_str().unwrap().is_empty());

    // A stored recording file: listed, with a signed URL that downloads it.
    let room = app.room(&token, false).await;
    app.start_recording(&token, &room, "rec_1").await;
    let r = app
        .upload_as(
            &token,
            &format!("/recordings/user/{host}/room/{room}/recording/rec_1/upload-to-blob"),
            "clip.mp4",
            vec![9u8; 2048],
        )
        .await;
    assert_eq!(r.status(), 201);
    let r = gql(
        &app,
        Some(&token),
        "query($u: ID!, $r: ID!) { recordingFileUrl(userId: $u, roomId: $r, recordingId: \"rec_1\", fileName: \"clip.mp4\") { url permissions } \
         recordings { edges { node { recordingId files { fileName fileSize } } } } }",
        json!({ "u": host, "r": room }),
    )
    .await;
    let url = r["data"]["recordingFileUrl"]["url"].as_str().unwrap();
    let bytes = app
        .client
        .get(url)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(bytes.len(), 2048);
    assert_eq!(
        r["data"]["recordings"]["edges"][0]["node"]["files"][0]["fileSize"],
        2048
    );

    // Room files: listed for those who may enter, deleted by the owner.
    let r = app
        .upload_as(
            &token,
            &format!("/room/{room}/upload"),
            "agenda.txt",
            b"agenda".to_vec(),
        )
        .await;
    assert_eq!(r.status(), 200);
    let r = gql(
        &app,
        Some(&token),
        "query($r: ID!) { roomFiles(roomId: $r) { originalName size } }",
        json!({ "r": room }),
    )
    .await;
    assert_eq!(
        r["data"]["roomFiles"][0]["originalName"], "agenda.txt",
        "{r}"
    );
    let r = gql(
        &app,
        Some(&token),
        "mutation($r: ID!) { deleteRoomFiles(roomId: $r) }",
        json!({ "r": room }),
    )
    .await;
    assert_eq!(r["data"]["deleteRoomFiles"], 1, "{r}");

    // Admin-only figures.
    let r = gql(
        &app,
        Some(&token),
        "{ exceededStorageUsers { userId } }",
        json!({}),
    )
    .await;
    assert_eq!(code(&r), "FORBIDDEN");
    let r = gql(
        &app,
        Some(&admin_token),
        "mutation($u: ID!) { setStorageLimit(userId: $u, newLimit: 1024) { storageLimit isLimitExceeded } }",
        json!({ "u": host }),
    )
    .await;
    assert_eq!(r["data"]["setStorageLimit"]["isLimitExceeded"], true, "{r}");
    let r = gql(
        &app,
        Some(&admin_token),
        "{ exceededStorageUsers { userId exceedAmount } }",
        json!({}),
    )
    .await;
    assert_eq!(
        r["data"]["exceededStorageUsers"][0]["userId"],
        host.as_str(),
        "{r}"
    );
    assert_eq!(r["data"]["exceededStorageUsers"][0]["exceedAmount"], 1024);
    let r = gql(
        &app,
        Some(&admin_token),
        "{ users { edges { node { email } } } }",
        json!({}),
    )
    .await;
    assert_eq!(
        r["data"]["users"]["edges"].as_array().unwrap().len(),
        2,
        "{r}"
    );
    app.stop().await;
}
