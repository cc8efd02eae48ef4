// An echo server on Node `ws` (8.x, from package-lock.json), for Herald's client to talk to.
//
//   node echo_server.mjs [--port 0] [--compression [--deflate-options JSON]]
//                        [--tls-cert server.pem --tls-key server.key]
//
// Prints "listening on 127.0.0.1:PORT" (with " (tls)" for wss://) once ready,
// like Herald's examples, and stops with exit code 0 on SIGTERM or SIGINT.
//
// Every message comes back unchanged (same type), except these text commands,
// which tests/interop/herald_client_check.cpp uses to see what the server saw:
//
//   herald-check:extensions  -> "extensions: " + the Sec-WebSocket-Extensions it answered ("" if none)
//   herald-check:stats       -> "stats messages=N payload=BYTES wire=BYTES": the data messages
//                               received so far on this connection, their total size, and the
//                               bytes read from the (decrypted) stream up to the last of them
//   herald-check:last-close  -> "last-close code=N reason=TEXT": the close frame received on the
//                               last connection that ended, among those that never asked this
//   herald-check:close N R   -> closes this connection with code N and reason R
//
// --compression turns on ws's permessage-deflate with its defaults (messages of
// 1024 bytes or more compressed); --deflate-options '{"serverNoContextTakeover": true, ...}'
// is merged into the perMessageDeflate options.

import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { parseArgs } from 'node:util';

import { WebSocketServer } from 'ws';

const MAX_SIZE = 64 * 1024 * 1024;
const PREFIX = 'herald-check:';

const { values: args } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '0' },
    compression: { type: 'boolean', default: false },
    'deflate-options': { type: 'string' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
  },
});

const tls = Boolean(args['tls-cert']);
const server = tls
  ? createHttpsServer({ cert: readFileSync(args['tls-cert']), key: readFileSync(args['tls-key']) })
  : createHttpServer();

let perMessageDeflate = false;
if (args.compression) {
  perMessageDeflate = args['deflate-options'] ? JSON.parse(args['deflate-options']) : true;
}
const wss = new WebSocketServer({ server, perMessageDeflate, maxPayload: MAX_SIZE });

let lastClose = { code: null, reason: '' };

// The 101's Sec-WebSocket-Extensions, kept on the request for the connection handler.
wss.on('headers', (headers, req) => {
  const h = headers.find((line) => /^sec-websocket-extensions:/i.test(line));
  req.heraldExtensions = h ? h.slice(h.indexOf(':') + 1).trim() : '';
});

wss.on('connection', (ws, req) => {
  let wireTotal = 0;
  let messages = 0;
  let payload = 0;
  let wire = 0;
  let askedLastClose = false;
  // Before ws's own listener, so a message's last bytes are counted by the time it is emitted.
  req.socket.prependListener('data', (chunk) => { wireTotal += chunk.length; });

  ws.on('message', (data, isBinary) => {
    if (!isBinary && data.length < 200) {
      const text = data.toString('utf8');
      if (text.startsWith(PREFIX)) {
        const body = text.slice(PREFIX.length);
        const sp = body.indexOf(' ');
        const cmd = sp < 0 ? body : body.slice(0, sp);
        const arg = sp < 0 ? '' : body.slice(sp + 1);
        if (cmd === 'extensions') return ws.send(`extensions: ${req.heraldExtensions}`);
        if (cmd === 'stats') return ws.send(`stats messages=${messages} payload=${payload} wire=${wire}`);
        if (cmd === 'last-close') {
          askedLastClose = true;
          return ws.send(`last-close code=${lastClose.code} reason=${lastClose.reason}`);
        }
        if (cmd === 'close') {
          const sp2 = arg.indexOf(' ');
          return ws.close(Number(sp2 < 0 ? arg : arg.slice(0, sp2)), sp2 < 0 ? '' : arg.slice(sp2 + 1));
        }
      }
    }
    messages += 1;
    payload += data.length;
    wire = wireTotal;
    ws.send(data, { binary: isBinary });
  });

  ws.on('close', (code, reason) => {
    if (!askedLastClose) lastClose = { code, reason: reason.toString('utf8') };
  });
  ws.on('error', (err) => console.error(`echo_server.mjs: connection error: ${err.message}`));
});

function shutdown() {
  for (const ws of wss.clients) ws.close(1001, 'server shutting down');
  wss.close();
  server.close(() => process.exit(0));
  setTimeout(() => {
    for (const ws of wss.clients) ws.terminate();
    process.exit(0);
  }, 2000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

server.listen(Number(args.port), args.host, () => {
  console.log(`listening on ${args.host}:${server.address().port}${tls ? ' (tls)' : ''}`);
});
