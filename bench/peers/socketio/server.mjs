// A Socket.IO 4.8 server shaped like `herald serve` for one benchmark:
// clients subscribe to channels and publish into them, and a publication
// reaches every subscriber of its channel. No Redis, one process.
//
//   node server.mjs PORT          PORT 0 picks a free one
//
// Prints "listening on 127.0.0.1:PORT" once ready; exits 0 on SIGTERM/SIGINT.
//
// Events (each with an acknowledgement, as the Centrifugo protocol's commands
// each get a reply):
//   "subscribe" (channel)         joins the room named by the channel; ack: true
//   "publish" (channel, data)     emits "pub" (data) to the room; ack: true
// A publisher that is not subscribed does not get its own publication, as in
// herald serve and Centrifugo.
//
// Options against Socket.IO's defaults, and why:
// - transports: ["websocket"] — the load driver uses WebSocket only, as
//   Herald's and Centrifugo's clients do; no HTTP long-polling upgrade.
// - perMessageDeflate: false — already Socket.IO 4's default; Herald and
//   Centrifugo compress nothing in these runs either.
// - everything else is the default: pingInterval 25 s (as Herald and
//   Centrifugo), pingTimeout 20 s, maxHttpBufferSize 1 MB, the in-memory
//   adapter (a room broadcast encodes the packet and its WebSocket frame once
//   for all recipients). Socket.IO has no per-client write-queue limit: a
//   slow subscriber is never dropped (Herald drops at 4 MiB queued).
import { createServer } from 'node:http';
import { Server } from 'socket.io';

const portArg = process.argv[2];
if (portArg === undefined || !/^\d+$/.test(portArg)) {
  console.error('usage: node server.mjs PORT');
  process.exit(2);
}

const http = createServer((req, res) => {
  res.writeHead(404).end();
});
const io = new Server(http, {
  transports: ['websocket'],
  perMessageDeflate: false,
  serveClient: false,
});

io.on('connection', (socket) => {
  socket.on('subscribe', (channel, ack) => {
    if (typeof channel !== 'string' || channel === '') return typeof ack === 'function' && ack(false);
    socket.join(channel);
    if (typeof ack === 'function') ack(true);
  });
  socket.on('publish', (channel, data, ack) => {
    if (typeof channel !== 'string' || channel === '') return typeof ack === 'function' && ack(false);
    io.to(channel).emit('pub', data);
    if (typeof ack === 'function') ack(true);
  });
});

http.on('error', (err) => {
  console.error(`socket.io server: ${err.message}`);
  process.exit(1);
});
http.listen(Number(portArg), '127.0.0.1', () => {
  process.stdout.write(`listening on 127.0.0.1:${http.address().port}\n`);
});

const stop = () => process.exit(0);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
