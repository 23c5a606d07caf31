// Two server processes sharing rooms over Redis, played by socket.io-client: a
// host on the first, a guest on the second and a plain WebSocket client on the
// second; the script prints what each one saw.
// Plan (argv[2]): { urls: [a, b], hostToken, guestToken, wsToken, guestId, meetingId }
'use strict';

const WebSocket = require('ws');
const { connect, refused, until, of, sleep } = require('./room-client');

const plan = JSON.parse(process.argv[2]);
const result = {};

async function main() {
  const [a, b] = plan.urls;
  const host = await connect(a, plan.hostToken, { name: 'Host' });
  await until(() => of(host, 'room_connected').length > 0);
  result.hostSession = of(host, 'room_connected')[0].sessionId;
  host.socket.emit('meetingId', { type: 'meetingId', meetingId: plan.meetingId });
  host.socket.emit('white-board-stage', { type: 'white-board-stage', msg: { stage: { attrs: { width: 640 }, children: [] } } });
  await sleep(300);

  // A late joiner on the other process gets the stage kept by the first.
  const guest = await connect(b, plan.guestToken, { name: 'Guest' });
  await until(() => of(guest, 'room_connected').length > 0 && of(guest, 'white-board-stage').length > 0);
  result.guestSession = of(guest, 'room_connected')[0].sessionId;
  result.guestStage = of(guest, 'white-board-stage')[0];
  await until(() => of(host, 'room_connected').some((p) => p.id === plan.guestId));
  result.hostSawGuestJoin = of(host, 'room_connected').some((p) => p.id === plan.guestId);
  await until(() => of(host, 'view_count').some((v) => v.count === 2));
  result.hostViewCounts = of(host, 'view_count').map((v) => v.count);

  // Chat both ways, in order.
  for (let i = 0; i < 20; i += 1) {
    guest.socket.emit('chat-box', { type: 'chat-box', id: plan.guestId, username: 'Guest', time: i, msg: `from b ${i}` });
  }
  host.socket.emit('chat-box', { type: 'chat-box', id: 'host', username: 'Host', time: 99, msg: 'from a' });
  await until(() => of(host, 'chat-box').length >= 20 && of(guest, 'chat-box').length >= 1);
  result.hostChat = of(host, 'chat-box').map((m) => m.msg);
  result.guestChat = of(guest, 'chat-box').map((m) => m.msg);

  // A plain WebSocket client on the second process hears the first.
  const wsBase = b.replace(/^http/, 'ws');
  const plain = await new Promise((resolve, reject) => {
    const w = new WebSocket(`${wsBase}/ws?token=${encodeURIComponent(plan.wsToken)}&name=Plain`);
    const seen = [];
    w.on('message', (d) => {
      const f = JSON.parse(d);
      seen.push({ event: f.event, payload: f.data });
    });
    w.once('open', () => resolve({ socket: w, seen }));
    w.once('error', reject);
  });
  await until(() => of(plain, 'room_connected').length > 0);
  host.socket.emit('video-off', { type: 'video-off', id: 'host' });
  await until(() => of(plain, 'video-off').length > 0);
  result.plainHeard = of(plain, 'video-off').length;
  plain.socket.close();

  // The host on the first process removes the guest on the second.
  const gone = new Promise((r) => guest.socket.once('disconnect', r));
  host.socket.emit('remove-participant', { type: 'remove-participant', id: plan.guestId });
  result.removedNotice = await until(() => of(guest, 'remove-participant').length > 0);
  await Promise.race([gone, sleep(3000)]);
  result.guestDisconnected = !guest.socket.connected;
  await sleep(300);
  result.rejoinA = await refused(a, plan.guestToken);
  result.rejoinB = await refused(b, plan.guestToken);

  host.socket.close();
  process.stdout.write(JSON.stringify(result) + '\n');
}

main().then(() => process.exit(0), (e) => {
  console.error(e);
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(1);
});
