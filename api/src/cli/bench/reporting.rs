//! `bench reporting`: each `/reporting/*` route over a one-month range on a
//! PostgreSQL read model holding 1,000,000 sessions with 10 participants each,
//! beside the same query run directly (no HTTP, no JSON).

use std::time::{Duration, Instant};

use altegon_projections::models::sessions::{self, ReportFilter};
use clap::Args;
use sqlx::AnyPool;

use super::{Figures, PgArgs, Scratch, header};

/// `bench reporting` options.
#[derive(Debug, Args)]
pub struct ReportingArgs {
    /// Completed and live sessions in the read model.
    #[arg(long, default_value_t = 1_000_000)]
    sessions: u64,
    /// Participants per session.
    #[arg(long, default_value_t = 10)]
    participants: u32,
    /// Hosts the sessions are spread over (each a registered user).
    #[arg(long, default_value_t = 100)]
    hosts: usize,
    /// Requests per route.
    #[arg(long, default_value_t = 400)]
    requests: usize,
    /// Concurrent requests.
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    #[command(flatten)]
    pg: PgArgs,
}

const ROUTES: [&str; 5] = [
    "total-sessions-for-user",
    "total-sessions-aggregation-for-user",
    "total-sessions-statistics-for-user",
    "total-sessions-by-location-for-user",
    "total-sessions-and-participants-count-by-location-for-user",
];

/// Runs `bench reporting` on a scratch database.
pub async fn reporting(args: ReportingArgs) -> anyhow::Result<()> {
    let scratch = Scratch::create(&args.pg.pg_url).await?;
    let result = reporting_in(&args, &scratch.url).await;
    scratch.drop().await;
    result
}

fn month(i: usize) -> (String, String) {
    let m = (i % 12) as u32 + 1;
    let last = chrono::NaiveDate::from_ymd_opt(2025 + i32::from(m == 12), m % 12 + 1, 1)
        .and_then(|d| d.pred_opt())
        .map_or(28, |d| chrono::Datelike::day(&d));
    (
        format!("2025-{m:02}-01T00:00:00.000Z"),
        format!("2025-{m:02}-{last:02}T23:59:59.999Z"),
    )
}

async fn reporting_in(args: &ReportingArgs, url: &str) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let server = super::postgres_server(dir.path(), url).await?;
    let base = format!("http://{}", server.addr());
    let client = reqwest::Client::new();

    println!("registering {} hosts", args.hosts);
    let mut hosts = Vec::new();
    for i in 0..args.hosts {
        let (id, token) =
            super::ingest::register_and_login(&client, &base, &format!("host{i}@bench.example"))
                .await?;
        hosts.push((id, token));
    }

    let pool = AnyPool::connect(url).await?;
    let ids: Vec<String> = hosts.iter().map(|(id, _)| id.clone()).collect();
    let started = Instant::now();
    println!("writing {} sessions", args.sessions);
    fill_sessions(&pool, &ids, args.sessions, args.participants).await?;
    println!("  {:.1} s", started.elapsed().as_secs_f64());
    let started = Instant::now();
    println!(
        "writing {} participants",
        args.sessions * u64::from(args.participants)
    );
    fill_participants(&pool, args.sessions, args.participants).await?;
    println!("  {:.1} s", started.elapsed().as_secs_f64());
    // As autovacuum leaves a settled table: statistics and the visibility map.
    sqlx::query("VACUUM ANALYZE sessions")
        .execute(&pool)
        .await?;
    sqlx::query("ANALYZE session_participants")
        .execute(&pool)
        .await?;

    println!(
        "bench reporting: {} sessions × {} participants over {} hosts (all of 2025), one-month ranges, {} requests per route, {} concurrent, PostgreSQL read model",
        args.sessions, args.participants, args.hosts, args.requests, args.concurrency
    );
    header("req/s");
    let mut worst_p99: f64 = 0.0;
    for route in ROUTES {
        let http = measure(args, &format!("GET {}", short(route)), |i| {
            let (token, (start, end)) = (&hosts[i % hosts.len()].1, month(i));
            let request = client
                .get(format!("{base}/reporting/{route}"))
                .bearer_auth(token)
                .query(&[
                    ("startDateRange", start.as_str()),
                    ("endDateRange", end.as_str()),
                    ("sessionType", ""),
                ]);
            async move {
                let r = request.send().await?;
                anyhow::ensure!(r.status().is_success(), "{route}: {}", r.status());
                r.bytes().await?;
                Ok(())
            }
        })
        .await?;
        worst_p99 = worst_p99.max(http.p99_ms);
        println!("{}", http.row());
        let direct = measure(args, &format!("  query alone: {}", short(route)), |i| {
            let (start, end) = month(i);
            let filter = ReportFilter {
                host_id: hosts[i % hosts.len()].0.clone(),
                start: Some(start),
                end: Some(end),
                ..ReportFilter::default()
            };
            let pool = pool.clone();
            async move {
                match route {
                    "total-sessions-for-user" => {
                        sessions::total_sessions(&pool, &filter).await?;
                    }
                    "total-sessions-aggregation-for-user" => {
                        sessions::per_day_and_domain(&pool, &filter).await?;
                    }
                    "total-sessions-statistics-for-user" => {
                        sessions::per_type(&pool, &filter).await?;
                    }
                    "total-sessions-by-location-for-user" => {
                        sessions::per_location(&pool, &filter).await?;
                    }
                    _ => {
                        sessions::sessions_and_participants_per_city(&pool, &filter).await?;
                    }
                }
                Ok(())
            }
        })
        .await?;
        println!("{}", direct.row());
    }
    println!(
        "target: p99 under 50 ms for every route: {} (worst p99 {worst_p99:.2} ms)",
        if worst_p99 < 50.0 { "met" } else { "NOT met" }
    );
    pool.close().await;
    server.stop().await?;
    Ok(())
}

/// A route's name short enough for the table.
fn short(route: &str) -> &str {
    match route {
        "total-sessions-for-user" => "total",
        "total-sessions-aggregation-for-user" => "per day and domain",
        "total-sessions-statistics-for-user" => "statistics",
        "total-sessions-by-location-for-user" => "by location",
        _ => "sessions+participants by city",
    }
}

/// Runs `args.requests` operations, `args.concurrency` at a time.
async fn measure<F, Fut>(args: &ReportingArgs, label: &str, op: F) -> anyhow::Result<Figures>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    use futures::StreamExt;
    // Warm the caches first.
    for i in 0..args.concurrency.max(1) * 2 {
        op(i).await?;
    }
    let started = Instant::now();
    let latencies: Vec<anyhow::Result<u32>> = futures::stream::iter(0..args.requests)
        .map(|i| {
            let fut = op(i);
            async move {
                let t = Instant::now();
                fut.await?;
                Ok(u32::try_from(t.elapsed().as_micros()).unwrap_or(u32::MAX))
            }
        })
        .buffer_unordered(args.concurrency.max(1))
        .collect()
        .await;
    let elapsed = started.elapsed();
    let latencies = latencies
        .into_iter()
        .collect::<anyhow::Result<Vec<u32>>>()?;
    Ok(Figures::from_latencies(
        label,
        elapsed.max(Duration::from_micros(1)),
        latencies,
    ))
}

async fn fill_sessions(
    pool: &AnyPool,
    hosts: &[String],
    n: u64,
    participants: u32,
) -> anyhow::Result<()> {
    // 20 cities, 4 types, 3 domains; starts spread evenly over 2025; 1 in 20 still live.
    let cities = "ARRAY['Lahore','Karachi','Islamabad','Berlin','Munich','Paris','Lyon','London','Leeds','Madrid', \
        'Rome','Milan','Dubai','Riyadh','Cairo','Istanbul','Toronto','Austin','Seattle','Sydney']";
    let regions = "ARRAY['Punjab','Sindh','Islamabad','Berlin','Bavaria','Ile-de-France','Auvergne-Rhone-Alpes','England','England','Madrid', \
        'Lazio','Lombardy','Dubai','Riyadh','Cairo','Istanbul','Ontario','Texas','Washington','New South Wales']";
    let countries = "ARRAY['PK','PK','PK','DE','DE','FR','FR','GB','GB','ES','IT','IT','AE','SA','EG','TR','CA','US','US','AU']";
    let names = "ARRAY['Pakistan','Pakistan','Pakistan','Germany','Germany','France','France','United Kingdom','United Kingdom','Spain', \
        'Italy','Italy','United Arab Emirates','Saudi Arabia','Egypt','Turkey','Canada','United States','United States','Australia']";
    let hosts_sql = format!(
        "ARRAY[{}]",
        hosts
            .iter()
            .map(|h| format!("'{h}'"))
            .collect::<Vec<_>>()
            .join(",")
    );
    let step = 365.0 * 86_400.0 / n as f64;
    let chunk = 100_000u64;
    let mut from = 1u64;
    while from <= n {
        let to = (from + chunk - 1).min(n);
        let sql = format!(
            "INSERT INTO sessions (id, room_id, host_id, session_type, domain, city, region, country, \
               country_name, started_at, started_day, ended_at, completed, participants) \
             SELECT lpad(to_hex(i), 24, '0'), '000000000000000000000001', \
               ({hosts_sql})[1 + i % {h}], \
               (ARRAY['meeting','conference','webinar','live'])[1 + (i / 7) % 4], \
               (ARRAY['altegon.com','partner.io','example.org'])[1 + (i / 11) % 3], \
               ({cities})[1 + (i / 3) % 20], ({regions})[1 + (i / 3) % 20], \
               ({countries})[1 + (i / 3) % 20], ({names})[1 + (i / 3) % 20], \
               to_char(t, 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), to_char(t, 'YYYY-MM-DD'), \
               CASE WHEN i % 20 = 0 THEN NULL ELSE to_char(t + interval '45 minutes', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') END, \
               CASE WHEN i % 20 = 0 THEN 0 ELSE 1 END, {participants} \
             FROM generate_series({from}::bigint, {to}::bigint) AS i, \
               LATERAL (SELECT timestamp '2025-01-01' + (i * {step}) * interval '1 second' AS t) AS s",
            h = hosts.len(),
        );
        sqlx::query(&sql).execute(pool).await?;
        from = to + 1;
    }
    Ok(())
}

async fn fill_participants(pool: &AnyPool, n: u64, per_session: u32) -> anyhow::Result<()> {
    if per_session == 0 {
        return Ok(());
    }
    let chunk = 50_000u64;
    let mut from = 1u64;
    while from <= n {
        let to = (from + chunk - 1).min(n);
        let sql = format!(
            "INSERT INTO session_participants (id, session_id, user_id, name, city, region, country, \
               country_name, joined_at, left_at, present) \
             SELECT lpad(to_hex(i), 24, '0') || '/' || lpad(to_hex(j), 24, '0'), lpad(to_hex(i), 24, '0'), \
               lpad(to_hex(j), 24, '0'), 'Participant ' || j, 'Lahore', 'Punjab', 'PK', 'Pakistan', \
               '2025-01-01T00:00:00.000Z', '2025-01-01T00:45:00.000Z', 0 \
             FROM generate_series({from}::bigint, {to}::bigint) AS i, generate_series(1, {per_session}) AS j"
        );
        sqlx::query(&sql).execute(pool).await?;
        from = to + 1;
    }
    Ok(())
}
