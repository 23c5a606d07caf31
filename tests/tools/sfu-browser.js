// Two headless Chromium pages in one room, as the web client uses the SFU: the
// first publishes its (fake) camera, in two simulcast layers, its microphone and a
// data channel over the room data socket, the second subscribes when it hears
// `stream-added` and reads getStats() until video frames are decoded and audio
// energy grows; text sent on the data channel reaches the second page's socket;
// then the publisher leaves and the subscriber must hear `stream-removed`.
// A viewer's publish and a subscribe to an unknown stream are refused first.
// Plan (argv[2]): { url, publisherToken, subscriberToken, viewerToken, chromium? }
'use strict';

const { chromium } = require('playwright-core');

const plan = JSON.parse(process.argv[2]);
// The browser bundle (not among the package's exports, so found by path).
const socketIoClient = require('path').join(
  __dirname, 'node_modules', 'socket.io-client', 'dist', 'socket.io.min.js');

async function openPage(browser) {
  const context = await browser.newContext();
  await context.grantPermissions(['camera', 'microphone']);
  const page = await context.newPage();
  page.on('console', (m) => process.stderr.write(`[page] ${m.text()}\n`));
  // The server's origin: a secure context (localhost) for getUserMedia.
  await page.goto(`${plan.url}/healthz`);
  await page.addScriptTag({ path: socketIoClient });
  return page;
}

async function main() {
  const browser = await chromium.launch({
    executablePath: plan.chromium || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run',
      '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
      '--allow-loopback-in-peer-connection', '--autoplay-policy=no-user-gesture-required',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const publisher = await openPage(browser);
    const subscriber = await openPage(browser);

    const refusals = await subscriber.evaluate(async ({ url, token }) => {
      const socket = io(url, { path: '/erizocontroller/socket.io', auth: { token }, transports: ['websocket'] });
      await new Promise((resolve) => socket.on('connect', resolve));
      const pc = new RTCPeerConnection();
      pc.addTransceiver('audio', { direction: 'sendonly' });
      const offer = await pc.createOffer();
      pc.close();
      const publish = await socket.emitWithAck('publish', { offer });
      const subscribe = await socket.emitWithAck('subscribe', { streamId: 'no-such-stream' });
      // Signaling counts toward the socket's message rate: a burst past it is refused.
      const burst = await Promise.all(Array.from({ length: 150 },
        () => socket.emitWithAck('subscribe', { streamId: 'no-such-stream' })));
      const slowDown = burst.filter((a) => a.error === 'too many messages; slow down').length;
      socket.close();
      return { publish, subscribe, slowDown };
    }, { url: plan.url, token: plan.viewerToken });

    // The subscriber joins first and waits for streams.
    await subscriber.evaluate(({ url, token }) => {
      window.seen = { added: [], removed: [], errors: [], chat: [], streamData: [] };
      const socket = io(url, { path: '/erizocontroller/socket.io', auth: { token }, transports: ['websocket'] });
      window.socket = socket;
      socket.on('chat-box', (m) => window.seen.chat.push(m));
      socket.on('stream-data', (m) => window.seen.streamData.push(m));
      socket.on('stream-removed', (m) => window.seen.removed.push(m.id));
      socket.on('stream-added', async (stream) => {
        window.seen.added.push(stream);
        try {
          const sub = await socket.emitWithAck('subscribe', { streamId: stream.id });
          if (!sub.ok) throw new Error(`subscribe: ${sub.error}`);
          const pc = new RTCPeerConnection();
          window.pc = pc;
          pc.ontrack = (e) => {
            window.tracks = (window.tracks || 0) + 1;
            // Audio is measured as it is played out, as a page would play it.
            if (e.track.kind === 'audio') {
              const player = new Audio();
              player.srcObject = new MediaStream([e.track]);
              player.play().catch((err) => window.seen.errors.push(`play: ${err}`));
            }
          };
          await pc.setRemoteDescription(sub.offer);
          await pc.setLocalDescription(await pc.createAnswer());
          const done = await socket.emitWithAck('subscriber-answer',
            { subscriptionId: sub.subscriptionId, answer: pc.localDescription });
          if (!done.ok) throw new Error(`answer: ${done.error}`);
        } catch (e) {
          window.seen.errors.push(String(e));
        }
      });
      return new Promise((resolve, reject) => {
        socket.on('connect', resolve);
        socket.on('connect_error', (e) => reject(new Error(`connect: ${e.message}`)));
      });
    }, { url: plan.url, token: plan.subscriberToken });

    const published = await publisher.evaluate(async ({ url, token }) => {
      const socket = io(url, { path: '/erizocontroller/socket.io', auth: { token }, transports: ['websocket'] });
      window.socket = socket;
      await new Promise((resolve, reject) => {
        socket.on('connect', resolve);
        socket.on('connect_error', (e) => reject(new Error(`connect: ${e.message}`)));
      });
      const media = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 480 } });
      const pc = new RTCPeerConnection();
      window.pc = pc;
      window.channel = pc.createDataChannel('data');
      for (const track of media.getAudioTracks()) pc.addTransceiver(track, { direction: 'sendonly' });
      // Simulcast: a half-size layer and the full one; the SFU picks per subscriber.
      for (const track of media.getVideoTracks()) {
        pc.addTransceiver(track, {
          direction: 'sendonly',
          sendEncodings: [
            { rid: 'l', scaleResolutionDownBy: 2, maxBitrate: 200000 },
            { rid: 'h', maxBitrate: 900000 },
          ],
        });
      }
      await pc.setLocalDescription(await pc.createOffer());
      const reply = await socket.emitWithAck('publish', { offer: pc.localDescription, attributes: { name: 'camera' } });
      if (!reply.ok) throw new Error(`publish: ${reply.error}`);
      await pc.setRemoteDescription(reply.answer);
      await new Promise((resolve, reject) => {
        const check = () => {
          if (pc.connectionState === 'connected') resolve();
          if (pc.connectionState === 'failed') reject(new Error('publisher connection failed'));
        };
        pc.onconnectionstatechange = check;
        check();
        setTimeout(() => reject(new Error(`publisher stuck in ${pc.connectionState}`)), 20000);
      });
      return reply.streamId;
    }, { url: plan.url, token: plan.publisherToken });

    // Decoded video frames and audio energy grow on the subscriber.
    const received = await subscriber.evaluate(async () => {
      const read = async () => {
        const out = { framesDecoded: 0, audioEnergy: 0, audioPackets: 0, state: window.pc && window.pc.connectionState };
        if (!window.pc) return out;
        (await window.pc.getStats()).forEach((s) => {
          if (s.type === 'inbound-rtp' && s.kind === 'video') {
            out.framesDecoded = s.framesDecoded || 0;
            out.frameWidth = s.frameWidth || 0;
          }
          if (s.type === 'inbound-rtp' && s.kind === 'audio') {
            out.audioEnergy = s.totalAudioEnergy || 0;
            out.audioPackets = s.packetsReceived || 0;
          }
        });
        return out;
      };
      const deadline = Date.now() + 30000;
      let first = null;
      for (;;) {
        const now = await read();
        if (now.framesDecoded > 0 && now.audioEnergy > 0 && !first) first = now;
        if (first && now.framesDecoded >= first.framesDecoded + 20 && now.audioEnergy > first.audioEnergy) {
          return { first, later: now, added: window.seen.added, errors: window.seen.errors, tracks: window.tracks };
        }
        if (Date.now() > deadline) {
          return { first, later: now, added: window.seen.added, errors: window.seen.errors, tracks: window.tracks, timedOut: true };
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    });

    // The connection to the subscriber has room for more: the SFU moves it up to
    // the full-size layer.
    received.upgrade = await subscriber.evaluate(async () => {
      const started = Date.now();
      const widths = [];
      while (Date.now() < started + 30000) {
        let width = 0;
        (await window.pc.getStats()).forEach((s) => {
          if (s.type === 'inbound-rtp' && s.kind === 'video') width = s.frameWidth || 0;
        });
        if (widths[widths.length - 1] !== width) widths.push(width);
        if (width >= 640) return { widths, afterMs: Date.now() - started };
        await new Promise((r) => setTimeout(r, 250));
      }
      return { widths, timedOut: true };
    });

    // What the publisher sends on its data channel reaches the room.
    await publisher.evaluate(async () => {
      const channel = window.channel;
      if (channel.readyState !== 'open') {
        await new Promise((resolve, reject) => {
          channel.onopen = resolve;
          setTimeout(() => reject(new Error(`data channel stuck in ${channel.readyState}`)), 15000);
        });
      }
      channel.send(JSON.stringify({ type: 'chat-box', username: 'Host', msg: 'hello over the data channel' }));
      channel.send('just text');
    });
    const data = await subscriber.evaluate(async () => {
      const deadline = Date.now() + 15000;
      while ((window.seen.chat.length < 1 || window.seen.streamData.length < 1) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
      return { chat: window.seen.chat, streamData: window.seen.streamData };
    });

    // The room (maxParticipants 1) holds one stream and one subscriber per stream.
    const limits = {
      publish: await publisher.evaluate(async () => {
        const pc = new RTCPeerConnection();
        pc.addTransceiver('audio', { direction: 'sendonly' });
        const offer = await pc.createOffer();
        pc.close();
        return window.socket.emitWithAck('publish', { offer });
      }),
      subscribe: await subscriber.evaluate(async ({ url, token, streamId }) => {
        const socket = io(url, { path: '/erizocontroller/socket.io', auth: { token }, transports: ['websocket'] });
        await new Promise((resolve) => socket.on('connect', resolve));
        const answer = await socket.emitWithAck('subscribe', { streamId });
        socket.close();
        return answer;
      }, { url: plan.url, token: plan.viewerToken, streamId: published }),
    };

    // The publisher leaves; the subscriber is told.
    await publisher.close();
    const removed = await subscriber.evaluate(async (id) => {
      const deadline = Date.now() + 15000;
      while (!window.seen.removed.includes(id) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
      return window.seen.removed;
    }, published);

    process.stdout.write(JSON.stringify({ refusals, published, received, data, limits, removed }) + '\n');
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  process.stderr.write(`${e.stack || e}\n`);
  process.exit(1);
});
