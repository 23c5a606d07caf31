// The web client's room sockets, played by socket.io-client: a host, a guest and a
// viewer in one room exchange messages; the script prints what each one saw.
// Plan (argv[2]): { url, hostToken, guestToken, viewerToken, guestId, meetingId,
//                  hostAccessToken, roomId, legacyToken, wsToken }
'use strict';

const ioV2 = require('socket.io-client-v2');
const WebSocket = require('ws');
const room = require('./room-client');

const { until, of, sleep } = room;
const plan = JSON.parse(process.argv[2]);
const result = {};
const connect = (token, path, extra) => room.connect(plan.url, token, extra, path);
const refused = (token) => room.refused(plan.url, token);

async function main() {
  result.noToken = await refused(null);
  result.badToken = await refused('not-a-token');

  const host = await connect(plan.hostToken, undefined, {
    name: 'Host',
    sessionType: 'webinar',
    location: { city: 'Lahore', region: 'Punjab', country: 'PK', countryName: 'Pakistan' },
  });
  await until(() => of(host, 'view_count').length > 0);
  result.sessionId = (of(host, 'room_connected')[0] || {}).sessionId;
  host.socket.emit('meetingId', { type: 'meetingId', meetingId: plan.meetingId });
  const stage = { type: 'white-board-stage', msg: { stage: { attrs: { width: 800 }, children: [] }, socketId: host.socket.id, room_id: 'r' } };
  host.socket.emit('white-board-stage', stage);
  await sleep(100);

  const guest = await connect(plan.guestToken, undefined, { name: 'Guest' });
  await until(() => of(guest, 'white-board-stage').length > 0 && of(host, 'room_connected').length > 1);
  result.lateJoinerStage = of(guest, 'white-board-stage')[0];
  result.hostSawGuestJoin = of(host, 'room_connected').some((p) => p.id === plan.guestId);
  await until(() => of(host, 'view_count').some((v) => v.count === 2));
  result.viewCounts = of(host, 'view_count').map((v) => v.count);

  const chat = { type: 'chat-box', id: plan.guestId, username: 'Guest', time: 1692345678, msg: 'Hello everyone!' };
  guest.socket.emit('chat-box', chat);
  await until(() => of(host, 'chat-box').length > 0);
  result.hostChat = of(host, 'chat-box')[0];
  result.guestEcho = of(guest, 'chat-box').length;

  // A transcript line (in clear here; the web client sends ciphertext) is relayed
  // and kept encrypted; the host turns recording on.
  guest.socket.emit('transcript', { type: 'transcript', id: plan.guestId, username: 'Guest', msg: 'We ship on Friday.', time: 1692345679 });
  await until(() => of(host, 'transcript').length > 0);
  result.hostTranscript = of(host, 'transcript')[0];
  host.socket.emit('recording', { type: 'recording', msg: { status: 'start' } });
  await until(() => of(guest, 'recording').length > 0);
  result.guestRecording = of(guest, 'recording')[0];

  // The host has the transcript summarized: the room hears that notes are ready.
  let summarized = 0;
  for (let i = 0; i < 50 && summarized !== 200; i += 1) {
    const r = await fetch(`${plan.url}/transcription/generate-summary/${plan.meetingId}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${plan.hostAccessToken}` },
    });
    summarized = r.status;
    if (summarized !== 200) await sleep(100);
  }
  result.summaryStatus = summarized;
  await until(() => of(guest, 'event').some((e) => e.type === 'MeetingSummaryGenerated'));
  result.guestSummaryEvent = of(guest, 'event').find((e) => e.type === 'MeetingSummaryGenerated');

  // The older web client (socket.io-client v2, protocol 4) in the same room.
  const legacy = await new Promise((resolve, reject) => {
    const socket = ioV2(plan.url, {
      path: '/erizocontroller/socket.io',
      query: { token: plan.legacyToken },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    const seen = [];
    const onevent = socket.onevent;
    socket.onevent = function (packet) {
      const [event, payload] = packet.data || [];
      seen.push({ event, payload });
      onevent.call(this, packet);
    };
    socket.once('connect', () => resolve({ socket, seen }));
    socket.once('connect_error', reject);
    socket.once('error', reject);
  });
  host.socket.emit('chat-box', { type: 'chat-box', id: 'host', username: 'Host', time: 1692345679, msg: 'Hi v2' });
  await until(() => of(legacy, 'chat-box').length > 0);
  result.legacyChat = of(legacy, 'chat-box')[0];
  legacy.socket.emit('video-off', { type: 'video-off', id: 'legacy' });
  await until(() => of(host, 'video-off').length > 0);
  result.hostSawLegacy = of(host, 'video-off')[0];
  legacy.socket.close();

  // A plain WebSocket client (JSON frames) in the same room.
  const wsBase = plan.url.replace(/^http/, 'ws');
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
  result.plainConnected = of(plain, 'room_connected')[0];
  host.socket.emit('chat-box', { type: 'chat-box', id: 'host', username: 'Host', time: 1692345680, msg: 'Hi plain' });
  await until(() => of(plain, 'chat-box').some((m) => m.msg === 'Hi plain'));
  result.plainHeard = of(plain, 'chat-box').some((m) => m.msg === 'Hi plain');
  plain.socket.send(JSON.stringify({ event: 'video-off', data: { type: 'video-off', id: 'plain' } }));
  await until(() => of(host, 'video-off').some((v) => v.id === 'plain'));
  result.hostHeardPlain = of(host, 'video-off').some((v) => v.id === 'plain');
  plain.socket.send(JSON.stringify({ event: 'mute-all-participants', data: { type: 'mute-all-participants' } }));
  await until(() => of(plain, 'error').length > 0);
  result.plainRefused = of(plain, 'error')[0];
  plain.socket.close();
  result.plainBadToken = await new Promise((resolve) => {
    const w = new WebSocket(`${wsBase}/ws?token=nope`);
    w.on('message', (d) => resolve(JSON.parse(d)));
    w.once('error', () => resolve(null));
  });

  // Something happens elsewhere (a recording starts over REST): the room hears of it.
  const started = await fetch(`${plan.url}/recording/start`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${plan.hostAccessToken}` },
    body: JSON.stringify({ roomId: plan.roomId, userName: 'Host', streamId: '1', recordingId: 'live_1',
      startTime: Date.now(), videoType: 'video', status: 'pending' }),
  });
  result.recordingStartStatus = started.status;
  await until(() => of(guest, 'event').some((e) => e.type === 'RecordingStarted'));
  result.guestEvents = of(guest, 'event')
    .filter((e) => e.type.startsWith('Recording'))
    .map((e) => [e.type, e.recordingId]);

  guest.socket.emit('mute-all-participants', { type: 'mute-all-participants' });
  await until(() => of(guest, 'error').length > 0);
  result.guestHostControl = of(guest, 'error')[0];
  host.socket.emit('mute-participant', { type: 'mute-participant', id: plan.guestId, mute: true });
  await until(() => of(guest, 'mute-participant').length > 0);
  result.guestMuted = of(guest, 'mute-participant')[0];
  result.hostSawMuteAll = of(host, 'mute-all-participants').length;

  guest.socket.emit('annotation', { type: 'annotation', msg: 'x'.repeat(70 * 1024) });
  await until(() => of(guest, 'error').length > 1);
  result.oversized = of(guest, 'error')[1];

  // A burst: what is relayed arrives in order; past the rate, errors, not a crash.
  for (let i = 0; i < 300; i += 1) {
    guest.socket.emit('sendDrawingData', { type: 'sendDrawingData', msg: { seq: i } });
  }
  await sleep(1500);
  const seqs = of(host, 'sendDrawingData').map((p) => p.msg.seq);
  result.drawingRelayed = seqs.length;
  result.drawingInOrder = seqs.every((v, i) => i === 0 || v > seqs[i - 1]);
  result.rateErrors = of(guest, 'error').filter((e) => e.status === 429).length;

  // The Meet APIs socket: room.join with a token.
  const meet = await connect(null, '/socket.io');
  result.meetJoin = await meet.socket.timeout(5000).emitWithAck('room.join', { token: plan.viewerToken });
  result.meetBadJoin = await meet.socket.timeout(5000).emitWithAck('room.join', { token: 'nope' });
  meet.socket.close();

  // A viewer may listen but not send.
  const viewer = await connect(plan.viewerToken);
  await until(() => of(viewer, 'room_connected').length > 0);
  viewer.socket.emit('chat-box', { type: 'chat-box', msg: 'may I?' });
  await until(() => of(viewer, 'error').length > 0);
  result.viewerChat = of(viewer, 'error')[0];

  // The host removes the guest, whose token then stays refused.
  const gone = new Promise((r) => guest.socket.once('disconnect', r));
  host.socket.emit('remove-participant', { type: 'remove-participant', id: plan.guestId });
  result.removedNotice = await until(() => of(guest, 'remove-participant').length > 0);
  await Promise.race([gone, sleep(3000)]);
  result.guestDisconnected = !guest.socket.connected;
  result.rejoin = await refused(plan.guestToken);

  viewer.socket.close();
  host.socket.close();
  process.stdout.write(JSON.stringify(result) + '\n');
}

main().then(() => process.exit(0), (e) => {
  console.error(e);
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(1);
});
