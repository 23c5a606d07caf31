// Ingest throughput: one socket.io-client connection per recording, all at once,
// each streaming `mibPerRecording` MiB to one track with `window` chunks in flight.
// Plan (argv[2]): { url, path?, token?, recordingIds, mibPerRecording, chunkBytes, window }
// Prints { bytes, seconds, failures }.
'use strict';

const { io } = require('socket.io-client');

const plan = JSON.parse(process.argv[2]);
const chunk = Buffer.alloc(plan.chunkBytes, 0x5a);
const perRecording = plan.mibPerRecording * 1024 * 1024;

function connect() {
  return new Promise((resolve, reject) => {
    const socket = io(plan.url, {
      path: plan.path || '/socket.io',
      auth: plan.token ? { token: plan.token } : {},
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

async function record(recordingId) {
  const socket = await connect();
  const emit = (event, payload) => socket.timeout(120000).emitWithAck(event, payload);
  const opened = await emit('create-file', { recordingId, videoId: 'cam' });
  if (!opened.ok) throw new Error(JSON.stringify(opened));
  const inFlight = [];
  for (let sent = 0; sent < perRecording; sent += chunk.length) {
    inFlight.push(emit('stream', { recordingId, videoId: 'cam', chunk }));
    if (inFlight.length >= plan.window) {
      const ack = await inFlight.shift();
      if (!ack.ok) throw new Error(JSON.stringify(ack));
    }
  }
  for (const ack of await Promise.all(inFlight)) {
    if (!ack.ok) throw new Error(JSON.stringify(ack));
  }
  const stopped = await emit('stop-writing', { recordingId, videoId: 'cam' });
  if (!stopped.ok) throw new Error(JSON.stringify(stopped));
  socket.close();
  return stopped.size;
}

async function main() {
  const started = process.hrtime.bigint();
  const results = await Promise.allSettled(plan.recordingIds.map(record));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const bytes = results.filter((r) => r.status === 'fulfilled').reduce((a, r) => a + r.value, 0);
  const failures = results.filter((r) => r.status === 'rejected').map((r) => String(r.reason));
  process.stdout.write(JSON.stringify({ bytes, seconds, failures }) + '\n');
}

main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
