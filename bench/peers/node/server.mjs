// A Node `ws` peer for side-by-side runs with Herald.
//
//   node server.mjs PORT MODE      MODE: echo | broadcast; PORT 0 picks a free one
//
// Behaves as Herald's examples do: serves ws://127.0.0.1:PORT/ (other paths
// are refused), messages up to 16 MiB (larger ones are refused with 1009),
// prints "listening on 127.0.0.1:PORT" once ready, exits 0 on SIGTERM or SIGINT.
//
//   echo       every message goes back to its sender with the same opcode
//   broadcast  every message goes to every *other* client
//
// No permessage-deflate (ws enables it by default on the server; Herald
// does not). ws sets TCP_NODELAY itself. Like Herald's default
// (maxBackpressureBytes, 4 MiB), a broadcast recipient with more than 4 MiB
// buffered is dropped; one message to an idle client always goes.
import { WebSocketServer, WebSocket } from 'ws';

const [portArg, mode] = process.argv.slice(2);
if (portArg === undefined || (mode !== 'echo' && mode !== 'broadcast')) {
  console.error('usage: node server.mjs PORT echo|broadcast');
  process.exit(2);
}

const kMaxMessageBytes = 16 * 1024 * 1024;
const kMaxQueuedBytes = 4 * 1024 * 1024;

const wss = new WebSocketServer({
  host: '127.0.0.1',
  port: Number(portArg),
  path: '/',
  maxPayload: kMaxMessageBytes,
  perMessageDeflate: false,
  clientTracking: mode === 'broadcast',
});

wss.on('listening', () => {
  process.stdout.write(`listening on 127.0.0.1:${wss.address().port}\n`);
});
wss.on('error', (err) => {
  console.error(`node server: ${err.message}`);
  process.exit(1);
});

wss.on('connection', (ws) => {
  ws.on('error', () => {});  // a dropped client: its 'close' follows
  if (mode === 'echo') {
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    return;
  }
  ws.on('message', (data, isBinary) => {
    for (const client of wss.clients) {
      if (client === ws || client.readyState !== WebSocket.OPEN) continue;
      const queued = client.bufferedAmount;
      if (queued > 0 && queued + data.length > kMaxQueuedBytes) {
        client.terminate();  // slow consumer
        continue;
      }
      client.send(data, { binary: isBinary });
    }
  });
});

const stop = () => process.exit(0);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
