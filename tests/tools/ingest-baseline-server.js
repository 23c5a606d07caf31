// The ingest benchmark's baseline: a plain Node socket.io server with the same
// events, appending chunks to files with fs and acking each (no auth, no events,
// no checkpoints). Prints its port, then serves until killed. argv[2]: a folder.
'use strict';

const fs = require('fs');
const path = require('path');
const http = require('http');
const { Server } = require('socket.io');

const dir = process.argv[2];
const server = http.createServer();
const io = new Server(server, { maxHttpBufferSize: 16 * 1024 * 1024 });
io.on('connection', (socket) => {
  const files = new Map();
  socket.on('create-file', ({ recordingId, videoId }, ack) => {
    const fd = fs.openSync(path.join(dir, `${recordingId}_${videoId}.webm`), 'a');
    files.set(videoId, { fd, size: 0 });
    ack({ ok: true, bytesWritten: 0 });
  });
  socket.on('stream', ({ videoId, chunk }, ack) => {
    const file = files.get(videoId);
    fs.write(file.fd, chunk, (err) => {
      if (err) return ack({ ok: false, error: String(err) });
      file.size += chunk.length;
      ack({ ok: true, bytesWritten: file.size });
    });
  });
  socket.on('stop-writing', ({ videoId }, ack) => {
    const file = files.get(videoId);
    fs.fsyncSync(file.fd);
    fs.closeSync(file.fd);
    files.delete(videoId);
    ack({ ok: true, size: file.size });
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
