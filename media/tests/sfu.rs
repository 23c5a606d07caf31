//! The SFU core on simulated time: str0m peers stand in for browsers, datagrams
//! move through memory, and the clock advances one millisecond per step, so every
//! run is the same run.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use altegon_media::sfu::{Datagram, PeerId, Sfu, SfuEvent};
use str0m::change::{SdpOffer, SdpPendingOffer};
use str0m::channel::ChannelId;
use str0m::format::Codec;
use str0m::media::{Direction, MediaKind, Mid, Rid, Simulcast, SimulcastLayer};
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

/// A link of limited rate from the SFU to one client: datagrams queue, leave at
/// the link's rate, and are dropped when the queue is full.
struct Bottleneck {
    to: SocketAddr,
    bytes_per_ms: usize,
    queue_limit: usize,
    queue: VecDeque<Datagram>,
    queued: usize,
    credit: usize,
}

/// The SFU and its clients on one simulated network.
struct Network {
    now: Instant,
    sfu: Sfu,
    clients: Vec<Client>,
    sfu_events: Vec<SfuEvent>,
    /// Datagrams from the SFU to a client that this returns `true` for are lost.
    lose: Box<Loss>,
    bottleneck: Option<Bottleneck>,
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
            bottleneck: None,
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
        let peer = self.offer_to_publish(c, stream, offer, pending);
        (c, peer, audio, video)
    }

    /// Sends client `c`'s publishing offer to the SFU and takes its answer.
    fn offer_to_publish(
        &mut self,
        c: usize,
        stream: &str,
        offer: SdpOffer,
        pending: SdpPendingOffer,
    ) -> PeerId {
        let (peer, answer) = self.sfu.publish(self.now, stream, offer).unwrap();
        self.clients[c]
            .rtc
            .sdp_api()
            .accept_answer(pending, answer)
            .unwrap();
        peer
    }

    /// A publisher of one Opus track and one VP8 track in two simulcast layers,
    /// `l` and `h`; returns its client and mids.
    fn publish_simulcast(&mut self, address: &str, stream: &str) -> (usize, Mid, Mid) {
        let c = self.add_client(address);
        let mut change = self.clients[c].rtc.sdp_api();
        let audio = change.add_media(MediaKind::Audio, Direction::SendOnly, None, None, None);
        let mut layers = Simulcast::new();
        layers.add_send_layer(SimulcastLayer::new("l"));
        layers.add_send_layer(SimulcastLayer::new("h"));
        let video = change.add_media(
            MediaKind::Video,
            Direction::SendOnly,
            None,
            None,
            Some(layers),
        );
        let (offer, pending) = change.apply().unwrap();
        self.offer_to_publish(c, stream, offer, pending);
        (c, audio, video)
    }

    /// A publisher with only a data channel; returns its client, peer and channel.
    fn publish_data(&mut self, address: &str, stream: &str) -> (usize, PeerId, ChannelId) {
        let c = self.add_client(address);
        let mut change = self.clients[c].rtc.sdp_api();
        let channel = change.add_channel("data".into());
        let (offer, pending) = change.apply().unwrap();
        let peer = self.offer_to_publish(c, stream, offer, pending);
        (c, peer, channel)
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
                if let Some(link) = self.bottleneck.as_mut().filter(|l| l.to == d.destination) {
                    if link.queued + d.contents.len() <= link.queue_limit {
                        link.queued += d.contents.len();
                        link.queue.push_back(d);
                    }
                    continue;
                }
                deliver(&mut self.clients, self.now, d);
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
        if let Some(link) = self.bottleneck.as_mut() {
            link.credit += link.bytes_per_ms;
            while link
                .queue
                .front()
                .is_some_and(|d| d.contents.len() <= link.credit)
            {
                let d = link.queue.pop_front().unwrap();
                link.credit -= d.contents.len();
                link.queued -= d.contents.len();
                deliver(&mut self.clients, self.now, d);
            }
            if link.queue.is_empty() {
                link.credit = link.credit.min(link.bytes_per_ms);
            }
        }
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

/// A connected publisher (of [`Network::publish`]) and subscriber of stream `camera`.
struct Connected {
    publisher: usize,
    publisher_peer: PeerId,
    audio: Mid,
    video: Mid,
    subscriber: usize,
    subscriber_peer: PeerId,
}

impl Network {
    /// A publisher of `camera` and a subscriber, both connected.
    fn connect_pair(&mut self) -> Connected {
        let (publisher, publisher_peer, audio, video) = self.publish("10.0.0.2:1000", "camera");
        self.run_until(Duration::from_secs(5), |n| n.connected(publisher));
        let (subscriber, subscriber_peer) = self.subscribe("10.0.0.3:1000", "camera");
        self.run_until(Duration::from_secs(5), |n| n.connected(subscriber));
        Connected {
            publisher,
            publisher_peer,
            audio,
            video,
            subscriber,
            subscriber_peer,
        }
    }
}

/// Hands a datagram from the SFU to the client it is for.
fn deliver(clients: &mut [Client], now: Instant, d: Datagram) {
    let Some(client) = clients.iter_mut().find(|c| c.address == d.destination) else {
        return;
    };
    let input = Input::Receive(
        now,
        Receive {
            proto: Protocol::Udp,
            source: d.source,
            destination: d.destination,
            contents: d.contents.as_slice().try_into().unwrap(),
        },
    );
    client.rtc.handle_input(input).unwrap();
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
    let Connected {
        publisher,
        audio,
        video,
        subscriber,
        ..
    } = net.connect_pair();
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
    let Connected {
        publisher,
        audio,
        video,
        subscriber,
        ..
    } = net.connect_pair();
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
    let Connected {
        publisher_peer,
        subscriber_peer,
        ..
    } = net.connect_pair();
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
    let Connected {
        publisher,
        audio,
        video,
        subscriber,
        ..
    } = net.connect_pair();
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

/// A VP8 frame of layer `layer` numbered `n`: its first byte says keyframe or not
/// (the VP8 payload header's inverse key frame bit).
fn layer_frame(layer: u8, n: u64, keyframe: bool, len: usize) -> Vec<u8> {
    let mut frame = vec![u8::from(!keyframe), layer];
    frame.extend_from_slice(&n.to_be_bytes());
    frame.resize(len, 0x5A);
    frame
}

/// The publisher of [`Network::publish_simulcast`] sends Opus every 20 ms and, every
/// 33 ms, a frame of each layer: `l` of 400 bytes (about 100 kbit/s), `h` of 4,000
/// (about 1 Mbit/s). Each layer starts a keyframe every second, and on request.
struct SimulcastSender {
    client: usize,
    audio: Mid,
    video: Mid,
    seen_events: usize,
    keyframe_wanted: Vec<Rid>,
}

impl SimulcastSender {
    fn send(&mut self, net: &mut Network, ms: u64) {
        let now = net.now;
        let client = &mut net.clients[self.client];
        for e in &client.events[self.seen_events..] {
            if let Event::KeyframeRequest(r) = e
                && let Some(rid) = r.rid
            {
                self.keyframe_wanted.push(rid);
            }
        }
        self.seen_events = client.events.len();
        let rtc = &mut client.rtc;
        if ms.is_multiple_of(20) {
            let pt = pt_of(rtc, Codec::Opus);
            rtc.writer(self.audio)
                .unwrap()
                .write(pt, now, media_time(ms, 48_000), numbered(ms, 80))
                .unwrap();
        }
        if ms.is_multiple_of(33) {
            let pt = pt_of(rtc, Codec::Vp8);
            for (layer, len) in [(b'l', 400), (b'h', 4_000)] {
                let rid = Rid::from(if layer == b'l' { "l" } else { "h" });
                let asked = self.keyframe_wanted.contains(&rid);
                self.keyframe_wanted.retain(|r| *r != rid);
                let keyframe = asked || ms % 1_000 < 33;
                let frame = layer_frame(layer, ms, keyframe, len);
                rtc.writer(self.video)
                    .unwrap()
                    .rid(rid)
                    .write(pt, now, media_time(ms, 90_000), frame)
                    .unwrap();
            }
        }
    }
}

/// The layer of each VP8 frame a client received, with its media time.
fn layers_seen(client: &Client) -> Vec<(u8, u64)> {
    client
        .events
        .iter()
        .filter_map(|e| match e {
            Event::MediaData(d) if d.params.spec().codec == Codec::Vp8 => {
                Some((d.data[1], d.time.numer()))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn a_subscriber_is_sent_the_simulcast_layer_its_bandwidth_allows() {
    let mut net = Network::new();
    let (client, audio, video) = net.publish_simulcast("10.0.0.2:1000", "camera");
    let mut sender = SimulcastSender {
        client,
        audio,
        video,
        seen_events: 0,
        keyframe_wanted: Vec::new(),
    };
    net.run_until(Duration::from_secs(5), |n| n.connected(client));
    let (subscriber, _) = net.subscribe("10.0.0.3:1000", "camera");
    net.run_until(Duration::from_secs(5), |n| n.connected(subscriber));

    // An open network: the estimate grows until the high layer fits.
    let mut ms = 0;
    net.run_for(Duration::from_secs(10), |n, _| {
        sender.send(n, ms);
        ms += 1;
    });
    let seen = layers_seen(&net.clients[subscriber]);
    assert_eq!(seen.first().map(|(l, _)| *l), Some(b'l'), "starts low");
    assert_eq!(seen.last().map(|(l, _)| *l), Some(b'h'), "ends high");
    let before = seen.len();

    // A 400 kbit/s link: the estimate falls and the low layer is sent again.
    net.bottleneck = Some(Bottleneck {
        to: net.clients[subscriber].address,
        bytes_per_ms: 50,
        queue_limit: 10_000,
        queue: VecDeque::new(),
        queued: 0,
        credit: 0,
    });
    net.run_for(Duration::from_secs(10), |n, _| {
        sender.send(n, ms);
        ms += 1;
    });
    let seen = layers_seen(&net.clients[subscriber]);
    let tail: Vec<u8> = seen[seen.len() - 30..].iter().map(|(l, _)| *l).collect();
    assert!(tail.iter().all(|l| *l == b'l'), "ends low: {tail:?}");
    assert!(seen[before..].iter().any(|(l, _)| *l == b'h'));

    // The link is open again: back to the high layer.
    net.bottleneck = None;
    net.run_for(Duration::from_secs(15), |n, _| {
        sender.send(n, ms);
        ms += 1;
    });
    let seen = layers_seen(&net.clients[subscriber]);
    assert_eq!(seen.last().map(|(l, _)| *l), Some(b'h'), "high again");

    // Through every switch, the subscriber's media time only moves forward.
    for pair in seen.windows(2) {
        assert!(pair[1].1 > pair[0].1, "media time went back: {pair:?}");
    }
}

#[test]
fn a_publishers_data_channel_text_reaches_signaling() {
    let mut net = Network::new();
    let (client, peer, channel) = net.publish_data("10.0.0.2:1000", "chat");
    net.run_until(Duration::from_secs(5), |n| {
        n.clients[client]
            .events
            .iter()
            .any(|e| matches!(e, Event::ChannelOpen(id, _) if *id == channel))
    });
    assert!(net.sfu_events.contains(&SfuEvent::Connected(peer)));
    let mut open = net.clients[client].rtc.channel(channel).unwrap();
    open.write(false, br#"{"type":"chat-box","msg":"hello"}"#)
        .unwrap();
    open.write(true, &[1, 2, 3]).unwrap();
    net.run_for(Duration::from_millis(100), |_, _| {});

    let messages: Vec<&SfuEvent> = net
        .sfu_events
        .iter()
        .filter(|e| matches!(e, SfuEvent::ChannelMessage { .. }))
        .collect();
    assert_eq!(
        messages,
        [&SfuEvent::ChannelMessage {
            peer,
            text: r#"{"type":"chat-box","msg":"hello"}"#.into(),
        }],
        "text is passed on, binary is not"
    );
    // A stream of data only has nothing to subscribe to.
    assert!(matches!(
        net.sfu.subscribe(net.now, "chat"),
        Err(altegon_media::sfu::SfuError::NoMedia(_))
    ));
}

/// An H.264 access unit in Annex B form: parameter sets and an IDR slice (a
/// keyframe) or a non-IDR slice, numbered `n`.
fn h264_frame(n: u64, keyframe: bool) -> Vec<u8> {
    let mut frame = Vec::new();
    if keyframe {
        frame.extend_from_slice(&[0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x1f, 0x8c, 0x8d, 0x40]);
        frame.extend_from_slice(&[0, 0, 0, 1, 0x68, 0xce, 0x3c, 0x80]);
    }
    frame.extend_from_slice(&[0, 0, 0, 1, if keyframe { 0x65 } else { 0x41 }]);
    frame.extend_from_slice(&n.to_be_bytes());
    frame.resize(frame.len() + 2_000, 0x3C);
    frame
}

#[test]
fn h264_video_is_forwarded_too() {
    let mut net = Network::new();
    let Connected {
        publisher,
        video,
        subscriber,
        ..
    } = net.connect_pair();

    net.run_for(Duration::from_secs(2), |n, ms| {
        if ms.is_multiple_of(33) {
            let now = n.now;
            let rtc = &mut n.clients[publisher].rtc;
            let pt = pt_of(rtc, Codec::H264);
            let frame = h264_frame(ms, ms % 500 < 33);
            rtc.writer(video)
                .unwrap()
                .write(pt, now, media_time(ms, 90_000), frame)
                .unwrap();
        }
    });
    net.run_for(Duration::from_millis(300), |_, _| {});

    let seen = net.clients[subscriber].media_of(Codec::H264);
    assert!(seen.len() >= 55, "{} of 61 H.264 frames", seen.len());
    let last = seen.last().unwrap();
    let slice = [0, 0, 0, 1, 0x41];
    let at = last
        .windows(5)
        .position(|w| w == slice)
        .expect("a non-IDR slice");
    assert_eq!(
        last[at + 5..at + 13],
        1_980_u64.to_be_bytes(),
        "frames arrive unchanged"
    );
}
