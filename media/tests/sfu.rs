//! The SFU core on simulated time: str0m peers stand in for browsers, datagrams
//! move through memory, and the clock advances one millisecond per step, so every
//! run is the same run.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use altegon_media::sfu::{PeerId, Sfu, SfuEvent};
use str0m::format::Codec;
use str0m::media::{Direction, MediaKind, Mid};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output, Rtc};

const SFU: &str = "10.0.0.1:5000";

/// A browser: one peer connection at its own address.
struct Client {
    address: SocketAddr,
    rtc: Rtc,
    events: Vec<Event>,
}

impl Client {
    fn new(address: &str, now: Instant) -> Self {
        let address: SocketAddr = address.parse().unwrap();
        let mut rtc = Rtc::builder().build(now);
        rtc.add_local_candidate(Candidate::host(address, "udp").unwrap());
        Self {
            address,
            rtc,
            events: Vec::new(),
        }
    }

    fn count(&self, what: impl Fn(&Event) -> bool) -> usize {
        self.events.iter().filter(|e| what(e)).count()
    }

    fn media_of(&self, kind: Codec) -> Vec<Vec<u8>> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::MediaData(d) if d.params.spec().codec == kind => Some(d.data.to_vec()),
                _ => None,
            })
            .collect()
    }
}

/// Decides, from its destination and bytes, whether a datagram is lost.
type Loss = dyn FnMut(&SocketAddr, &[u8]) -> bool;

/// The SFU and its clients on one simulated network.
struct Network {
    now: Instant,
    sfu: Sfu,
    clients: Vec<Client>,
    sfu_events: Vec<SfuEvent>,
    /// Datagrams from the SFU to a client that this returns `true` for are lost.
    lose: Box<Loss>,
}

impl Network {
    fn new() -> Self {
        let now = Instant::now();
        Self {
            now,
            sfu: Sfu::new(SFU.parse().unwrap()),
            clients: Vec::new(),
            sfu_events: Vec::new(),
            lose: Box::new(|_, _| false),
        }
    }

    fn add_client(&mut self, address: &str) -> usize {
        self.clients.push(Client::new(address, self.now));
        self.clients.len() - 1
    }

    /// A publisher with one Opus and one VP8 track; returns its client, peer and mids.
    fn publish(&mut self, address: &str, stream: &str) -> (usize, PeerId, Mid, Mid) {
        let c = self.add_client(address);
        let mut change = self.clients[c].rtc.sdp_api();
        let audio = change.add_media(MediaKind::Audio, Direction::SendOnly, None, None, None);
        let video = change.add_media(MediaKind::Video, Direction::SendOnly, None, None, None);
        let (offer, pending) = change.apply().unwrap();
        let (peer, answer) = self.sfu.publish(self.now, stream, offer).unwrap();
        self.clients[c]
            .rtc
            .sdp_api()
            .accept_answer(pending, answer)
            .unwrap();
        (c, peer, audio, video)
    }

    fn subscribe(&mut self, address: &str, stream: &str) -> (usize, PeerId) {
        let c = self.add_client(address);
        let (peer, offer) = self.sfu.subscribe(self.now, stream).unwrap();
        let answer = self.clients[c].rtc.sdp_api().accept_offer(offer).unwrap();
        self.sfu.accept_answer(peer, answer).unwrap();
        (c, peer)
    }

    /// Moves every datagram until nothing is in flight.
    fn settle(&mut self) {
        let sfu_address: SocketAddr = SFU.parse().unwrap();
        loop {
            let mut moved = false;
            for client in &mut self.clients {
                while let Ok(output) = client.rtc.poll_output() {
                    match output {
                        Output::Timeout(_) => break,
                        Output::Event(e) => client.events.push(e),
                        Output::Transmit(t) => {
                            moved = true;
                            assert_eq!(t.destination, sfu_address);
                            self.sfu
                                .receive(self.now, t.source, t.destination, &t.contents);
                        }
                    }
                }
            }
            while let Some(d) = self.sfu.poll_datagram() {
                moved = true;
                if (self.lose)(&d.destination, &d.contents) {
                    continue;
                }
                let Some(client) = self.clients.iter_mut().find(|c| c.address == d.destination)
                else {
                    continue;
                };
                let input = Input::Receive(
                    self.now,
                    Receive {
                        proto: Protocol::Udp,
                        source: d.source,
                        destination: d.destination,
                        contents: d.contents.as_slice().try_into().unwrap(),
                    },
                );
                client.rtc.handle_input(input).unwrap();
            }
            while let Some(e) = self.sfu.poll_event() {
                self.sfu_events.push(e);
            }
            if !moved {
                break;
            }
        }
    }

    /// One millisecond later.
    fn step(&mut self) {
        self.now += Duration::from_millis(1);
        for client in &mut self.clients {
            if client.rtc.is_alive() {
                client.rtc.handle_input(Input::Timeout(self.now)).unwrap();
            }
        }
        self.sfu.handle_timeout(self.now);
        self.settle();
    }

    fn run_until(&mut self, limit: Duration, done: impl Fn(&Self) -> bool) {
        let end = self.now + limit;
        while !done(self) {
            assert!(self.now < end, "not done within {limit:?}");
            self.step();
        }
    }

    fn run_for(&mut self, span: Duration, mut each_ms: impl FnMut(&mut Self, u64)) {
        for ms in 0..span.as_millis() as u64 {
            each_ms(self, ms);
            self.step();
        }
    }

    fn connected(&self, c: usize) -> bool {
        self.clients[c].rtc.is_connected()
    }

    /// The publisher sends a 20 ms Opus frame every 20 ms and a VP8 frame every 33 ms,
    /// each numbered so the subscriber's copy can be compared.
    fn send_media(&mut self, c: usize, audio: Mid, video: Mid, ms: u64) {
        let now = self.now;
        let rtc = &mut self.clients[c].rtc;
        if ms.is_multiple_of(20) {
            let pt = pt_of(rtc, Codec::Opus);
            let frame = numbered(ms, 80);
            rtc.writer(audio)
                .unwrap()
                .write(pt, now, media_time(ms, 48_000), frame)
                .unwrap();
        }
        if ms.is_multiple_of(33) {
            let pt = pt_of(rtc, Codec::Vp8);
            let frame = numbered(ms, 1_200);
            rtc.writer(video)
                .unwrap()
                .write(pt, now, media_time(ms, 90_000), frame)
                .unwrap();
        }
    }
}

fn pt_of(rtc: &Rtc, codec: Codec) -> str0m::media::Pt {
    rtc.codec_config()
        .find(|p| p.spec().codec == codec)
        .map(|p| p.pt())
        .unwrap()
}

fn media_time(ms: u64, rate: u32) -> str0m::media::MediaTime {
    str0m::media::MediaTime::new(
        ms * u64::from(rate) / 1_000,
        str0m::media::Frequency::new(rate).unwrap(),
    )
}

/// A frame whose first bytes carry `n`, padded to `len`.
fn numbered(n: u64, len: usize) -> Vec<u8> {
    let mut frame = n.to_be_bytes().to_vec();
    frame.resize(len, 0xA5);
    frame
}

fn is_keyframe_request(e: &Event) -> bool {
    matches!(e, Event::KeyframeRequest(_))
}

#[test]
fn a_subscriber_receives_the_publishers_audio_and_video_unchanged() {
    let mut net = Network::new();
    let (publisher, _, audio, video) = net.publish("10.0.0.2:1000", "camera");
    net.run_until(Duration::from_secs(5), |n| n.connected(publisher));
    let (subscriber, _) = net.subscribe("10.0.0.3:1000", "camera");
    net.run_until(Duration::from_secs(5), |n| n.connected(subscriber));
    assert_eq!(net.sfu.subscriber_count("camera"), 1);

    net.run_for(Duration::from_secs(2), |n, ms| {
        n.send_media(publisher, audio, video, ms)
    });
    net.run_for(Duration::from_millis(300), |_, _| {});

    let heard = net.clients[subscriber].media_of(Codec::Opus);
    let seen = net.clients[subscriber].media_of(Codec::Vp8);
    // 100 audio frames and 61 video frames were sent; the first few may precede
    // the subscriber's first keyframe or the SFU's knowledge of the codec.
    assert!(heard.len() >= 95, "{} audio frames", heard.len());
    assert!(seen.len() >= 55, "{} video frames", seen.len());
    let last_audio = heard.last().unwrap();
    assert_eq!(last_audio, &numbered(1_980, 80), "frames arrive unchanged");
    assert!(
        seen.iter()
            .all(|f| f.len() == 1_200 && f[8..].iter().all(|b| *b == 0xA5))
    );
}

#[test]
fn a_subscriber_joining_asks_the_publisher_for_a_keyframe() {
    let mut net = Network::new();
    let (publisher, _, audio, video) = net.publish("10.0.0.2:1000", "camera");
    net.run_until(Duration::from_secs(5), |n| n.connected(publisher));
    net.run_for(Duration::from_millis(500), |n, ms| {
        n.send_media(publisher, audio, video, ms)
    });
    assert_eq!(net.clients[publisher].count(is_keyframe_request), 0);

    let (subscriber, _) = net.subscribe("10.0.0.3:1000", "camera");
    net.run_until(Duration::from_secs(5), |n| n.connected(subscriber));
    net.run_for(Duration::from_millis(300), |n, ms| {
        n.send_media(publisher, audio, video, ms)
    });
    let requests: Vec<_> = net.clients[publisher]
        .events
        .iter()
        .filter_map(|e| match e {
            Event::KeyframeRequest(r) => Some(r.mid),
            _ => None,
        })
        .collect();
    assert!(
        !requests.is_empty(),
        "no keyframe request reached the publisher"
    );
    assert!(
        requests.iter().all(|mid| *mid == video),
        "only video is asked for keyframes"
    );
}

#[test]
fn packets_lost_on_the_way_to_a_subscriber_are_sent_again() {
    let mut net = Network::new();
    let (publisher, _, audio, video) = net.publish("10.0.0.2:1000", "camera");
    net.run_until(Duration::from_secs(5), |n| n.connected(publisher));
    let (subscriber, _) = net.subscribe("10.0.0.3:1000", "camera");
    net.run_until(Duration::from_secs(5), |n| n.connected(subscriber));
    net.run_for(Duration::from_millis(200), |n, ms| {
        n.send_media(publisher, audio, video, ms)
    });

    // Every 7th SRTP datagram to the subscriber is lost for one second.
    let subscriber_address = net.clients[subscriber].address;
    let mut counter = 0_u32;
    let lossy_until = net.now + Duration::from_secs(1);
    let clock = std::rc::Rc::new(std::cell::Cell::new(net.now));
    let seen_clock = clock.clone();
    net.lose = Box::new(move |to, bytes| {
        let rtp = bytes.first().is_some_and(|b| (128..192).contains(b));
        if *to != subscriber_address || !rtp || seen_clock.get() >= lossy_until {
            return false;
        }
        counter += 1;
        counter.is_multiple_of(7)
    });
    let before = net.clients[subscriber].media_of(Codec::Vp8).len();
    net.run_for(Duration::from_secs(2), |n, ms| {
        clock.set(n.now);
        n.send_media(publisher, audio, video, 200 + ms)
    });
    net.run_for(Duration::from_millis(500), |n, _| clock.set(n.now));

    let seen = net.clients[subscriber].media_of(Codec::Vp8).len() - before;
    // 61 video frames were sent while packets were lost and after; retransmissions
    // (NACK, RTX) fill the gaps, or a keyframe restarts the picture.
    assert!(seen >= 55, "{seen} of 61 video frames after the losses");
}

#[test]
fn unpublishing_closes_the_stream_for_its_subscribers() {
    let mut net = Network::new();
    let (publisher, publisher_peer, _, _) = net.publish("10.0.0.2:1000", "camera");
    net.run_until(Duration::from_secs(5), |n| n.connected(publisher));
    let (subscriber, subscriber_peer) = net.subscribe("10.0.0.3:1000", "camera");
    net.run_until(Duration::from_secs(5), |n| n.connected(subscriber));
    assert!(
        net.sfu_events
            .contains(&SfuEvent::Connected(publisher_peer))
    );
    assert!(
        net.sfu_events
            .contains(&SfuEvent::Connected(subscriber_peer))
    );

    net.sfu.remove(publisher_peer).unwrap();
    net.settle();
    assert!(net.sfu_events.contains(&SfuEvent::Closed(publisher_peer)));
    assert!(net.sfu_events.contains(&SfuEvent::Closed(subscriber_peer)));
    assert_eq!(net.sfu.subscriber_count("camera"), 0);
    assert!(matches!(
        net.sfu.subscribe(net.now, "camera"),
        Err(altegon_media::sfu::SfuError::UnknownStream(_))
    ));
}

#[test]
fn a_stream_has_one_publisher() {
    let mut net = Network::new();
    net.publish("10.0.0.2:1000", "camera");
    let mut other = Client::new("10.0.0.4:1000", net.now);
    let mut change = other.rtc.sdp_api();
    change.add_media(MediaKind::Audio, Direction::SendOnly, None, None, None);
    let (offer, _) = change.apply().unwrap();
    assert!(matches!(
        net.sfu.publish(net.now, "camera", offer),
        Err(altegon_media::sfu::SfuError::AlreadyPublished(_))
    ));
    other.events.clear();
}

#[test]
fn a_muted_publisher_is_not_heard_but_still_seen() {
    let mut net = Network::new();
    let (publisher, _, audio, video) = net.publish("10.0.0.2:1000", "camera");
    net.run_until(Duration::from_secs(5), |n| n.connected(publisher));
    let (subscriber, _) = net.subscribe("10.0.0.3:1000", "camera");
    net.run_until(Duration::from_secs(5), |n| n.connected(subscriber));
    net.run_for(Duration::from_millis(500), |n, ms| {
        n.send_media(publisher, audio, video, ms)
    });

    net.sfu.set_audio_muted("camera", true).unwrap();
    let heard = net.clients[subscriber].media_of(Codec::Opus).len();
    let seen = net.clients[subscriber].media_of(Codec::Vp8).len();
    net.run_for(Duration::from_secs(1), |n, ms| {
        n.send_media(publisher, audio, video, 500 + ms)
    });
    // Frames already on their way may still land.
    assert!(net.clients[subscriber].media_of(Codec::Opus).len() <= heard + 2);
    assert!(net.clients[subscriber].media_of(Codec::Vp8).len() >= seen + 28);

    net.sfu.set_audio_muted("camera", false).unwrap();
    let heard = net.clients[subscriber].media_of(Codec::Opus).len();
    net.run_for(Duration::from_secs(1), |n, ms| {
        n.send_media(publisher, audio, video, 1_500 + ms)
    });
    assert!(net.clients[subscriber].media_of(Codec::Opus).len() >= heard + 45);
}
