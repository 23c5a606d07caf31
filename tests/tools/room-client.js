// Helpers shared by the room socket test clients: a socket.io-client connection
// to the room data socket that records every message it hears, and waiting.
'use strict';

const { io } = require('socket.io-client');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Connects to `url` with a room token (none when `token` is null) and handshake
// fields; resolves to { socket, seen } once connected, rejects with connect_error.
function connect(url, token, extra = {}, path = '/erizocontroller/socket.io') {
  return new Promise((resolve, reject) => {
    const socket = io(url, {
      path,
      auth: token === null ? {} : { token, ...extra },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    const seen = [];
    socket.onAny((event, payload) => seen.push({ event, payload }));
    socket.once('connect', () => resolve({ socket, seen }));
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
}

// The reason a connection with `token` is refused, or null when it is admitted.
async function refused(url, token) {
  try {
    const c = await connect(url, token);
    c.socket.close();
    return null;
  } catch (err) {
    return err.message;
  }
}

// Waits until `check()` holds or `ms` pass; answers whether it holds.
async function until(check, ms = 8000) {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await sleep(20);
  return check();
}

// The payloads of `event` a connection heard, in order.
const of = (client, event) => client.seen.filter((m) => m.event === event).map((m) => m.payload);

module.exports = { connect, refused, until, of, sleep };
