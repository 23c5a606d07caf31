// A recording-server client as the browser's is: socket.io-client sending the
// chunks of WebM files. Driven by a JSON plan (argv[2]); prints one JSON line per
// step so the Rust tests can check every ack.
//
// Plan: { url, path, token, recordingId, tracks: [{ videoId, file }], chunkBytes,
//         window, dropAfterBytes?, probes?, process?: { width, height },
//         waitFor?: "stored" | "processing", connectOnly? }
'use strict';

const fs = require('fs');
const { io } = require('socket.io-client');

const plan = JSON.parse(process.argv[2]);
const out = (step, data) => process.stdout.write(JSON.stringify({ step, ...data }) + '\n');
const ACK_TIMEOUT = 60000;

function connect() {
  return new Promise((resolve, reject) => {
    const socket = io(plan.url, {
      path: plan.path || '/socket.io',
      auth: plan.token === undefined ? {} : { token: plan.token },
      transports: plan.transports || ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
}

const emit = (socket, event, payload) => socket.timeout(ACK_TIMEOUT).emitWithAck(event, payload);

// Sends `bytes[from..]` in chunks, keeping up to `window` chunks unacknowledged.
async function sendChunks(socket, videoId, bytes, from, until, withOffsets) {
  const size = plan.chunkBytes || 65536;
  const window = plan.window || 4;
  const inFlight = [];
  let last = null;
  for (let offset = from; offset < until; offset += size) {
    const chunk = bytes.subarray(offset, Math.min(offset + size, until));
    const payload = { recordingId: plan.recordingId, videoId, chunk };
    if (withOffsets) payload.offset = offset;
    inFlight.push(emit(socket, 'stream', payload));
    if (inFlight.length >= window) {
      last = await inFlight.shift();
      if (!last.ok) return last;
    }
  }
  for (const pending of inFlight) {
    last = await pending;
    if (!last.ok) return last;
  }
  return last;
}

async function main() {
  let socket;
  try {
    socket = await connect();
  } catch (err) {
    out('connect_error', { message: err.message });
    return;
  }
  out('connected', {});
  if (plan.connectOnly) {
    socket.close();
    return;
  }

  const updates = [];
  const watch = (s) => {
    for (const event of ['processing-progress', 'recording-stored', 'processing-failed']) {
      s.on(event, (update) => {
        updates.push({ event, update });
        out('update', { event, update });
      });
    }
  };
  watch(socket);

  if (plan.probes) {
    out('probe-unknown-track', {
      ack: await emit(socket, 'stream', {
        recordingId: plan.recordingId,
        videoId: 'never-opened',
        chunk: Buffer.from([1, 2, 3]),
      }),
    });
    out('probe-bad-video-id', {
      ack: await emit(socket, 'create-file', { recordingId: plan.recordingId, videoId: '../x' }),
    });
    out('probe-malformed', { ack: await emit(socket, 'stream', { videoId: 7 }) });
  }

  for (const [i, track] of plan.tracks.entries()) {
    const bytes = fs.readFileSync(track.file);
    const created = await emit(socket, 'create-file', {
      recordingId: plan.recordingId,
      videoId: track.videoId,
    });
    out('create-file', { videoId: track.videoId, ack: created });
    if (!created.ok) return;
    let from = created.bytesWritten;
    if (i === 0 && plan.dropAfterBytes) {
      const acked = await sendChunks(socket, track.videoId, bytes, from, plan.dropAfterBytes, false);
      out('before-drop', { videoId: track.videoId, ack: acked });
      socket.disconnect();
      socket = await connect();
      watch(socket);
      const resumed = await emit(socket, 'create-file', {
        recordingId: plan.recordingId,
        videoId: track.videoId,
      });
      out('resumed', { videoId: track.videoId, ack: resumed });
      from = resumed.bytesWritten;
      // A resend of bytes already written is acknowledged without writing them twice.
      const size = plan.chunkBytes || 65536;
      const repeat = await emit(socket, 'stream', {
        recordingId: plan.recordingId,
        videoId: track.videoId,
        chunk: bytes.subarray(from - size, from),
        offset: from - size,
      });
      out('repeat', { videoId: track.videoId, ack: repeat });
      const gap = await emit(socket, 'stream', {
        recordingId: plan.recordingId,
        videoId: track.videoId,
        chunk: bytes.subarray(from + size, from + 2 * size),
        offset: from + size,
      });
      out('gap', { videoId: track.videoId, ack: gap });
    }
    const sent = await sendChunks(socket, track.videoId, bytes, from, bytes.length, from > 0);
    out('sent', { videoId: track.videoId, bytes: bytes.length, ack: sent });
    const stopped = await emit(socket, 'stop-writing', {
      recordingId: plan.recordingId,
      videoId: track.videoId,
    });
    out('stop-writing', { videoId: track.videoId, ack: stopped });
    if (plan.probes && i === 0) {
      out('probe-after-stop', {
        ack: await emit(socket, 'stream', {
          recordingId: plan.recordingId,
          videoId: track.videoId,
          chunk: Buffer.from([1]),
        }),
      });
    }
  }

  if (plan.process) {
    const processing = await emit(socket, 'process-recording', {
      recordingId: plan.recordingId,
      ...plan.process,
    });
    const processAcked = Date.now();
    out('process-recording', { ack: processing });
    if (processing.ok && plan.waitFor === 'stored') {
      const deadline = Date.now() + (plan.waitSecs || 240) * 1000;
      while (!updates.some((u) => u.event !== 'processing-progress') && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
      out('finished', { updates, processMs: Date.now() - processAcked });
    }
  }
  socket.close();
}

main().then(
  () => process.exit(0),
  (err) => {
    out('error', { message: String(err && err.stack ? err.stack : err) });
    process.exit(1);
  },
);
