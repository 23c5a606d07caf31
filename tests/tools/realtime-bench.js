// Load for `altegon-meet bench realtime`: `clients` receivers in one room and one
// publisher sending `rate` chat messages per second for `seconds`; each receiver
// measures the delivery latency. Plan (argv[2]):
// { url, publisherToken, receiverToken, clients, rate, seconds }
// Prints `publishing` when the load starts, `delivered` when every message arrived
// (or 10 s after the last was sent), then { deliveries, expected, p50, p99, seconds }.
'use strict';

const { io } = require('socket.io-client');

const plan = JSON.parse(process.argv[2]);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const latencies = [];

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

async function main() {
  const receivers = [];
  for (let i = 0; i < plan.clients; i += 50) {
    const batch = [];
    for (let j = i; j < Math.min(i + 50, plan.clients); j += 1) batch.push(connect(plan.receiverToken));
    receivers.push(...(await Promise.all(batch)));
  }
  for (const r of receivers) {
    r.on('chat-box', (m) => latencies.push(Date.now() - m.sent));
  }
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
  while (latencies.length < total * plan.clients && Date.now() < deadline) await sleep(50);
  const seconds = (Date.now() - started) / 1000;
  process.stdout.write('delivered\n');
  latencies.sort((a, b) => a - b);
  const at = (p) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.round((latencies.length - 1) * p))] : null);
  process.stdout.write(JSON.stringify({ deliveries: latencies.length, expected: total * plan.clients, p50: at(0.5), p99: at(0.99), seconds }) + '\n');
  for (const r of receivers) r.close();
  publisher.close();
}

main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
