// Load for `altegon-meet bench realtime`: `clients` receivers in one room, spread
// over `processes` Node processes, and one publisher sending `rate` chat messages
// per second for `seconds`; each receiver measures the delivery latency. Plan
// (argv[2]): { url, publisherToken, receiverToken, clients, rate, seconds, processes }
// Prints `publishing` when the load starts, `delivered` when every message arrived
// (or 10 s after the last was sent), then { deliveries, expected, p50, p99, seconds }.
'use strict';

const { fork } = require('child_process');
const { io } = require('socket.io-client');

const plan = JSON.parse(process.argv[2]);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function connect(token) {
  return new Promise((resolve, reject) => {
    const socket = io(plan.url, {
      path: '/erizocontroller/socket.io',
      auth: token ? { token } : {},
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

// A receiving process: connects its share of the receivers, reports how many
// messages arrived every 100 ms, and hands its latencies over when told to.
async function receive(count) {
  const latencies = [];
  const receivers = [];
  for (let i = 0; i < count; i += 50) {
    const batch = [];
    for (let j = i; j < Math.min(i + 50, count); j += 1) batch.push(connect(plan.receiverToken));
    receivers.push(...(await Promise.all(batch)));
  }
  for (const r of receivers) {
    r.on('chat-box', (m) => latencies.push(Date.now() - m.sent));
  }
  const progress = setInterval(() => process.send({ arrived: latencies.length }), 100);
  process.on('message', (m) => {
    if (m !== 'finish') return;
    clearInterval(progress);
    for (const r of receivers) r.close();
    process.send({ latencies }, () => process.exit(0));
  });
  process.send({ ready: true });
}

async function main() {
  const processes = Math.max(1, Math.min(plan.processes || 1, plan.clients));
  const workers = [];
  for (let w = 0; w < processes; w += 1) {
    const share = Math.floor(plan.clients / processes) + (w < plan.clients % processes ? 1 : 0);
    const worker = fork(__filename, [process.argv[2], String(share)]);
    const state = { worker, arrived: 0, ready: false, latencies: null };
    worker.on('message', (m) => {
      if (m.ready) state.ready = true;
      if (m.arrived !== undefined) state.arrived = m.arrived;
      if (m.latencies) state.latencies = m.latencies;
    });
    worker.on('exit', (code) => {
      if (code !== 0 && !state.latencies) {
        console.error(`a receiving process exited with ${code}`);
        process.exit(1);
      }
    });
    workers.push(state);
  }
  while (!workers.every((w) => w.ready)) await sleep(20);
  const publisher = await connect(plan.publisherToken);
  await sleep(1000);
  const total = plan.rate * plan.seconds;
  process.stdout.write('publishing\n');
  const started = Date.now();
  for (let i = 0; i < total; i += 1) {
    const due = started + (i * 1000) / plan.rate;
    const wait = due - Date.now();
    if (wait > 0) await sleep(wait);
    publisher.emit('chat-box', { type: 'chat-box', id: 'bench', username: 'Bench', msg: `message ${i}`, sent: Date.now() });
  }
  const deadline = Date.now() + 10000;
  const arrived = () => workers.reduce((n, w) => n + w.arrived, 0);
  while (arrived() < total * plan.clients && Date.now() < deadline) await sleep(50);
  const seconds = (Date.now() - started) / 1000;
  process.stdout.write('delivered\n');
  for (const w of workers) w.worker.send('finish');
  while (!workers.every((w) => w.latencies)) await sleep(20);
  const latencies = workers.flatMap((w) => w.latencies).sort((a, b) => a - b);
  const at = (p) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.round((latencies.length - 1) * p))] : null);
  process.stdout.write(JSON.stringify({ deliveries: latencies.length, expected: total * plan.clients, p50: at(0.5), p99: at(0.99), seconds }) + '\n');
  publisher.close();
}

const run = process.argv[3] === undefined ? main() : receive(Number(process.argv[3]));
run.then(() => {
  if (process.argv[3] === undefined) process.exit(0);
}, (e) => { console.error(e); process.exit(1); });
