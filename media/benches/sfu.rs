//! SFU forwarding benchmark over loopback: the SFU task (`sfu::server`) runs alone
//! on one thread; str0m peers in a load generator on other threads publish video
//! to it and subscribe. Reports packets forwarded per CPU-second of the SFU's
//! thread and the delay the SFU adds (publisher write to subscriber frame).
//!
//! ```text
//! cargo bench -p altegon-media --bench sfu -- [--publishers P] [--subscribers S] [--seconds T] [--rate PACKETS_PER_S]
//! ```
//! Every subscriber client subscribes to every publisher's stream: `--publishers 1`
//! is one-to-many, `--publishers N --subscribers N` an N-by-N meeting.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use altegon_media::sfu::server::{SfuHandle, start};
use str0m::format::Codec;
use str0m::media::{Direction, Frequency, MediaKind, MediaTime, Mid};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output, Rtc};
use tokio::net::UdpSocket;

struct Args {
    publishers: usize,
    subscribers: usize,
    seconds: u64,
    /// Video packets per second per publisher (one packet per frame).
    rate: u64,
}

fn args() -> Args {
    let mut args = Args {
        publishers: 1,
        subscribers: 50,
        seconds: 10,
        rate: 500,
    };
    let list: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < list.len() {
        let value = list.get(i + 1).and_then(|v| v.parse::<u64>().ok());
        match (list[i].as_str(), value) {
            ("--publishers", Some(v)) => args.publishers = v as usize,
            ("--subscribers", Some(v)) => args.subscribers = v as usize,
            ("--seconds", Some(v)) => args.seconds = v,
            ("--rate", Some(v)) => args.rate = v,
            _ => {
                i += 1;
                continue;
            }
        }
        i += 2;
    }
    args
}

/// CPU seconds (user + system) of one thread of this process.
fn thread_cpu_seconds(tid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(") ")
        .map(|(_, rest)| rest.split(' ').collect())
        .unwrap_or_default();
    // utime and stime are fields 14 and 15; after the name, 12 and 13 (0-based 11, 12).
    let ticks: f64 = [11, 12]
        .iter()
        .filter_map(|i| fields.get(*i).and_then(|v| v.parse::<f64>().ok()))
        .sum();
    ticks / 100.0
}

/// Received frames and delays, shared by the subscriber tasks.
#[derive(Default)]
struct Received {
    frames: AtomicU64,
    delays_us: Mutex<Vec<u32>>,
}

/// One str0m peer on its own loopback socket, driven until `until`.
async fn drive(
    mut rtc: Rtc,
    socket: UdpSocket,
    until: Instant,
    mut on_event: impl FnMut(&mut Rtc, Event),
    mut each_ms: impl FnMut(&mut Rtc, Instant),
) {
    let local = socket.local_addr().expect("bound");
    let mut buf = vec![0_u8; 2_000];
    let mut tick = tokio::time::interval(Duration::from_millis(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        let now = Instant::now();
        if now >= until {
            break;
        }
        let wake = loop {
            match rtc.poll_output() {
                Ok(Output::Timeout(t)) => break t,
                Ok(Output::Transmit(t)) => {
                    let _ = socket.send_to(&t.contents, t.destination).await;
                }
                Ok(Output::Event(e)) => on_event(&mut rtc, e),
                Err(_) => return,
            }
        };
        let wake = tokio::time::Instant::from_std(wake.min(until));
        tokio::select! {
            received = socket.recv_from(&mut buf) => {
                if let Ok((n, source)) = received
                    && let Ok(contents) = buf[..n].try_into()
                {
                    let _ = rtc.handle_input(Input::Receive(Instant::now(), Receive {
                        proto: Protocol::Udp, source, destination: local, contents,
                    }));
                }
            }
            _ = tick.tick() => each_ms(&mut rtc, Instant::now()),
            () = tokio::time::sleep_until(wake) => {}
        }
        let _ = rtc.handle_input(Input::Timeout(Instant::now()));
    }
}

async fn peer() -> (Rtc, UdpSocket) {
    let socket = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
    let mut rtc = Rtc::builder().build(Instant::now());
    rtc.add_local_candidate(
        Candidate::host(socket.local_addr().expect("bound"), "udp").expect("candidate"),
    );
    (rtc, socket)
}

fn main() {
    let args = args();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "SFU benchmark: {} publisher(s) x {} subscriber(s), {} video packets/s each, {} s, {} cores",
        args.publishers, args.subscribers, args.rate, args.seconds, cores
    );

    // The SFU alone on one thread, so its CPU time is its own.
    let (ready, handle) = std::sync::mpsc::channel::<(SfuHandle, String)>();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async move {
            let tid = std::fs::read_link("/proc/thread-self")
                .ok()
                .and_then(|p| p.file_name().map(|f| f.to_string_lossy().into_owned()))
                .unwrap_or_default();
            let sfu = start(
                "127.0.0.1:0".parse().expect("address"),
                None,
                std::future::pending(),
            )
            .await
            .expect("SFU starts");
            let _ = ready.send((sfu, tid));
            std::future::pending::<()>().await;
        });
    });
    let (sfu, sfu_tid) = handle.recv().expect("SFU thread");

    let load = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores.saturating_sub(1).max(1))
        .enable_all()
        .build()
        .expect("runtime");
    load.block_on(run(args, sfu, sfu_tid));
}

async fn run(args: Args, sfu: SfuHandle, sfu_tid: String) {
    let setup_until = Instant::now() + Duration::from_secs(30 + args.seconds * 2);
    let started = Instant::now();
    let received = Arc::new(Received::default());
    let sent = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();

    // Publishers: one VP8 track each, a numbered frame of one packet every 1/rate s.
    let mut streams = Vec::new();
    for p in 0..args.publishers {
        let (mut rtc, socket) = peer().await;
        let mut change = rtc.sdp_api();
        let mid: Mid = change.add_media(MediaKind::Video, Direction::SendOnly, None, None, None);
        let (offer, pending) = change.apply().expect("offer");
        let stream = format!("stream-{p}");
        let (_, answer) = sfu.publish(&stream, offer).await.expect("publish");
        rtc.sdp_api()
            .accept_answer(pending, answer)
            .expect("answer");
        let pt = rtc
            .codec_config()
            .find(|c| c.spec().codec == Codec::Vp8)
            .map(|c| c.pt())
            .expect("vp8");
        let sent = sent.clone();
        let interval = Duration::from_micros(1_000_000 / args.rate.max(1));
        let mut next = Instant::now();
        let mut n = 0_u64;
        tasks.push(tokio::spawn(drive(
            rtc,
            socket,
            setup_until,
            |_, _| {},
            move |rtc, now| {
                if !rtc.is_connected() {
                    next = now;
                    return;
                }
                while next <= now {
                    let mut frame = (started.elapsed().as_micros() as u64)
                        .to_be_bytes()
                        .to_vec();
                    frame.resize(1_000, 0x5A);
                    let time =
                        MediaTime::new(n * 90_000 / 1_000, Frequency::new(90_000).expect("rate"));
                    if let Some(writer) = rtc.writer(mid)
                        && writer.write(pt, now, time, frame).is_ok()
                    {
                        sent.fetch_add(1, Ordering::Relaxed);
                    }
                    n += 1;
                    next += interval;
                }
            },
        )));
        streams.push(stream);
    }
    // Wait until every publisher is live (its tracks known to the SFU).
    for stream in &streams {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            match sfu.subscribe(stream).await {
                Ok((peer, _)) => {
                    let _ = sfu.remove(peer).await;
                    break;
                }
                Err(_) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(50)).await
                }
                Err(e) => panic!("{stream} never went live: {e}"),
            }
        }
    }

    // Subscribers: one peer connection per (subscriber, stream).
    for _ in 0..args.subscribers {
        for stream in &streams {
            let (mut rtc, socket) = peer().await;
            let (peer_id, offer) = sfu.subscribe(stream).await.expect("subscribe");
            let answer = rtc.sdp_api().accept_offer(offer).expect("answer");
            sfu.accept_answer(peer_id, answer).await.expect("accept");
            let received = received.clone();
            tasks.push(tokio::spawn(drive(
                rtc,
                socket,
                setup_until,
                move |_, event| {
                    if let Event::MediaData(data) = event {
                        received.frames.fetch_add(1, Ordering::Relaxed);
                        let sent_us = data
                            .data
                            .get(..8)
                            .and_then(|b| b.try_into().ok())
                            .map_or(0, u64::from_be_bytes);
                        let delay = (started.elapsed().as_micros() as u64).saturating_sub(sent_us);
                        if let Ok(mut delays) = received.delays_us.lock() {
                            delays.push(u32::try_from(delay).unwrap_or(u32::MAX));
                        }
                    }
                },
                |_, _| {},
            )));
        }
    }

    // Warm up until frames reach subscribers, then measure.
    let warm = Instant::now() + Duration::from_secs(20);
    while received.frames.load(Ordering::Relaxed) == 0 && Instant::now() < warm {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (frames0, sent0, cpu0, t0) = (
        received.frames.load(Ordering::Relaxed),
        sent.load(Ordering::Relaxed),
        thread_cpu_seconds(&sfu_tid),
        Instant::now(),
    );
    if let Ok(mut d) = received.delays_us.lock() {
        d.clear();
    }
    tokio::time::sleep(Duration::from_secs(args.seconds)).await;
    let (frames1, sent1, cpu1, elapsed) = (
        received.frames.load(Ordering::Relaxed),
        sent.load(Ordering::Relaxed),
        thread_cpu_seconds(&sfu_tid),
        t0.elapsed().as_secs_f64(),
    );
    let forwarded = (frames1 - frames0) as f64;
    let expected = (sent1 - sent0) as f64 * args.subscribers as f64;
    let cpu = (cpu1 - cpu0).max(0.01);
    let mut delays = received
        .delays_us
        .lock()
        .map(|d| d.clone())
        .unwrap_or_default();
    delays.sort_unstable();
    let pct = |p: f64| {
        delays
            .get(((delays.len() as f64 * p) as usize).min(delays.len().saturating_sub(1)))
            .map_or(0.0, |us| f64::from(*us) / 1_000.0)
    };
    println!(
        "| publishers | subscribers | packets in/s | forwarded/s | delivered | SFU CPU s | forwarded per CPU-second | delay p50 ms | p99 ms |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    println!(
        "| {} | {} | {:.0} | {:.0} | {:.1}% | {:.2} | {:.0} | {:.2} | {:.2} |",
        args.publishers,
        args.subscribers,
        (sent1 - sent0) as f64 / elapsed,
        forwarded / elapsed,
        100.0 * forwarded / expected.max(1.0),
        cpu,
        forwarded / cpu,
        pct(0.5),
        pct(0.99),
    );
    for task in tasks {
        task.abort();
    }
}
