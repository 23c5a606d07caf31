// Baseline for `altegon-meet bench realtime`: a plain Node socket.io v4 server that
// relays `chat-box` to the other sockets of one room, as the relay does, with no
// tokens or checks. Run with NODE_PATH pointing at tests/tools/node_modules.
// Prints its port, then serves until killed.
'use strict';

const http = require('http');
const { Server } = require('socket.io');

const server = http.createServer();
const io = new Server(server, { path: '/erizocontroller/socket.io' });
io.on('connection', (socket) => {
  socket.join('room');
  socket.on('chat-box', (payload) => socket.to('room').emit('chat-box', payload));
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
