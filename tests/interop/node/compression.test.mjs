// Interop tier: the Node `ws` client with permessage-deflate against Herald's
// example servers started with --compression, over ws:// and wss://.
//
//   cd tests/interop/node && npm ci    # or scripts/install-deps.sh
//   HERALD_ECHO_SERVER=.../examples/echo_server HERALD_BROADCAST_SERVER=.../examples/broadcast \
//   HERALD_MAKE_CERTS=../../support/make_certs.sh node --test compression.test.mjs
//
// ctest (label "interop") sets the variables. The certificates (a CA, and a
// server certificate for 127.0.0.1 signed by it) are made in a temporary
// directory by make_certs.sh; the client trusts only that CA (the `ca` option).
//
// Besides the echoed bytes, each client records which messages arrived
// compressed and how many bytes they took on the wire, by wrapping the
// decompress() of ws's PerMessageDeflate instance (ws 8.x internals, pinned by
// package-lock.json): Herald must compress exactly the messages of 64 bytes or
// more and honour server_no_context_takeover and the window sizes it agreed to.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

let WebSocket;
try {
  ({ default: WebSocket } = await import('ws'));
} catch (err) {
  const msg =
    'The Node package "ws" is not installed in tests/interop/node/node_modules. ' +
    'Run scripts/install-deps.sh (or `npm ci` in tests/interop/node) first.';
  console.error(`\n*** ${msg}\n`);
  throw new Error(msg, { cause: err });
}

const HERE = dirname(fileURLToPath(import.meta.url));
const MiB = 1024 * 1024;
const SERVER_MAX = 16 * MiB;
const MIN_COMPRESS = 64;  // Herald sends messages of at least this many bytes compressed
const SIZES = [0, 1, 63, 64, 65, 1000, 65536, 4 * MiB];
const STEP_MS = 15_000;
const START_MS = 10_000;
const STOP_MS = 5_000;
const T = { timeout: 60_000 };

// ---- certificates ----------------------------------------------------------

let certs;
before(() => {
  certs = mkdtempSync(join(tmpdir(), 'herald-interop-certs-'));
  const script = process.env.HERALD_MAKE_CERTS ?? join(HERE, '..', '..', 'support', 'make_certs.sh');
  execFileSync('bash', [script, certs], { stdio: ['ignore', 'ignore', 'inherit'] });
});
after(() => { if (certs) rmSync(certs, { recursive: true, force: true }); });

// ---- payloads ------------------------------------------------------------

const CHARS = [...'aZ9 ~\néß¿Ωж€中한あ\ufffd😀𝄞🂡'];

// A string whose UTF-8 encoding is exactly n bytes, mixing 1- to 4-byte characters.
function randomText(n) {
  const parts = [];
  let size = 0;
  while (size < n) {
    const c = CHARS[randomInt(CHARS.length)];
    const len = Buffer.byteLength(c);
    if (size + len > n) break;
    parts.push(c);
    size += len;
  }
  return parts.join('') + 'x'.repeat(n - size);
}

// Random blocks, each repeated three times: back-references at distances from
// 100 bytes to 20 KB, so an inflater with a smaller window than the deflater
// used fails on them. Text is never cut inside a character.
function compressible(n, text) {
  const parts = [];
  let size = 0;
  while (size < n) {
    const len = Math.min([100, 1000, 5000, 20000][randomInt(4)], n - size);
    const block = text ? randomText(len) : randomBytes(len);
    for (let rep = 0; rep < 3; rep++) {
      if (size + len > n) {
        parts.push(text ? 'y'.repeat(n - size) : Buffer.alloc(n - size, 'y'));
        size = n;
        break;
      }
      parts.push(block);
      size += len;
    }
  }
  return text ? parts.join('') : Buffer.concat(parts, n);
}

const payload = (n, text, packed) => (packed ? compressible(n, text) : text ? randomText(n) : randomBytes(n));
const byteLength = (m) => (Buffer.isBuffer(m) ? m.length : Buffer.byteLength(m));

// 'permessage-deflate; a=1; b' -> { name: 'permessage-deflate', params: { a: '1', b: true } }
function parseExtension(header) {
  if (header === undefined) return undefined;
  const [name, ...params] = header.split(';').map((s) => s.trim());
  const out = {};
  for (const p of params) {
    const eq = p.indexOf('=');
    if (eq < 0) out[p.toLowerCase()] = true;
    else out[p.slice(0, eq).trim().toLowerCase()] = p.slice(eq + 1).trim().replace(/^"|"$/g, '');
  }
  return { name: name.toLowerCase(), params: out };
}

// ---- servers -------------------------------------------------------------

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function startServer(envVar, args, tls = false) {
  const path = process.env[envVar];
  if (!path) throw new Error(`${envVar} is not set: point it at the built server binary (ctest sets it)`);
  if (tls) args = [...args, '--tls-cert', join(certs, 'server.pem'), '--tls-key', join(certs, 'server.key')];
  // stderr is inherited so sanitizer reports show in the test output.
  const proc = spawn(path, ['--port', '0', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  const port = await withTimeout(new Promise((resolve, reject) => {
    let buf = '';
    proc.on('error', reject);
    proc.stdout.setEncoding('utf8');
    proc.stdout.on('data', (chunk) => {
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      const m = /^listening on (\S+):(\d+)\b/.exec(buf.slice(0, nl));
      if (m) resolve(Number(m[2]));
      else reject(new Error(`${path}: unexpected first line ${JSON.stringify(buf.slice(0, nl))}`));
    });
    exited.then(({ code, signal }) => reject(new Error(`${path} exited (${code ?? signal}) before listening`)));
  }), START_MS, `${path} printing "listening on"`).catch((err) => {
    proc.kill('SIGKILL');
    throw err;
  });
  return { path, proc, port, url: `${tls ? 'wss' : 'ws'}://127.0.0.1:${port}/`, exited };
}

async function stopServer(server) {
  assert.equal(server.proc.exitCode, null, `${server.path} died during the tests`);
  assert.equal(server.proc.signalCode, null, `${server.path} was killed during the tests`);
  server.proc.kill('SIGTERM');
  const { code, signal } = await withTimeout(server.exited, STOP_MS, `${server.path} exiting after SIGTERM`);
  assert.equal(signal, null, `${server.path} died of ${signal}`);
  assert.equal(code, 0, `${server.path} exited with ${code} after SIGTERM`);
}

function killServer(server) {
  if (server && server.proc.exitCode === null && server.proc.signalCode === null) server.proc.kill('SIGKILL');
}

// ---- clients -------------------------------------------------------------

// A ws client with a receive queue; each received message is
// { binary, data, compressed, wire } (wire: its compressed bytes, if compressed).
class Client {
  static async open(url, perMessageDeflate = true) {
    const c = new Client(url, perMessageDeflate);
    await withTimeout(new Promise((resolve, reject) => {
      c.ws.once('open', resolve);
      c.ws.once('error', reject);
    }), STEP_MS, `connecting to ${url}`);
    c.watchDecompression();
    return c;
  }

  constructor(url, perMessageDeflate) {
    const opts = { maxPayload: 2 * SERVER_MAX, perMessageDeflate };
    if (url.startsWith('wss:')) opts.ca = readFileSync(join(certs, 'ca.pem'));
    this.ws = new WebSocket(url, opts);
    this.queue = [];
    this.waiters = [];
    this.errors = [];
    this.compressedMessages = 0;  // counted by watchDecompression()
    this.seenCompressed = 0;
    this.wire = 0;
    this.ws.once('upgrade', (res) => { this.extensionHeader = res.headers['sec-websocket-extensions']; });
    this.ws.on('message', (data, isBinary) => {
      const compressed = this.compressedMessages > this.seenCompressed;
      this.seenCompressed = this.compressedMessages;
      const msg = { binary: isBinary, data: isBinary ? data : data.toString('utf8'), compressed, wire: this.wire };
      this.wire = 0;
      const w = this.waiters.shift();
      if (w) w.resolve(msg);
      else this.queue.push(msg);
    });
    this.ws.on('error', (err) => this.errors.push(err));
    this.closed = new Promise((resolve) => this.ws.on('close', (code, reason) => {
      const info = { code, reason: reason.toString('utf8') };
      this.closeInfo = info;
      for (const w of this.waiters.splice(0)) w.reject(new Error(`closed while waiting: ${JSON.stringify(info)}`));
      resolve(info);
    }));
  }

  // ws's Receiver calls decompress(data, fin, cb) on the connection's
  // PerMessageDeflate instance for each frame of a compressed message, and
  // emits the message only once it is inflated.
  watchDecompression() {
    const pmd = this.ws._extensions['permessage-deflate'];
    if (!pmd) return;
    const decompress = pmd.decompress.bind(pmd);
    pmd.decompress = (data, fin, cb) => {
      this.wire += data.length;
      if (fin) this.compressedMessages += 1;
      decompress(data, fin, cb);
    };
  }

  next(ms = STEP_MS) {
    if (this.queue.length) return Promise.resolve(this.queue.shift());
    if (this.closeInfo) return Promise.reject(new Error(`connection closed: ${JSON.stringify(this.closeInfo)}`));
    let waiter;
    const p = new Promise((resolve, reject) => { waiter = { resolve, reject }; this.waiters.push(waiter); });
    return withTimeout(p, ms, 'waiting for a message').finally(() => {
      const i = this.waiters.indexOf(waiter);
      if (i >= 0) this.waiters.splice(i, 1);
    });
  }

  send(data, opts = {}) {
    return new Promise((resolve, reject) => this.ws.send(data, opts, (err) => (err ? reject(err) : resolve())));
  }

  async close(code, reason) {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(code, reason);
    return withTimeout(this.closed, STEP_MS, 'closing');
  }
}

function assertSame(got, sent, what = 'echo') {
  const isBinary = Buffer.isBuffer(sent);
  assert.equal(got.binary, isBinary, `${what}: message type: expected ${isBinary ? 'binary' : 'text'}`);
  if (isBinary) {
    assert.ok(got.data.equals(sent), `${what} differs: sent ${sent.length} bytes, got ${got.data.length}`);
  } else {
    assert.ok(got.data === sent,
              `${what} differs: sent ${Buffer.byteLength(sent)} bytes, got ${Buffer.byteLength(got.data)}`);
  }
}

// Sends, checks the echo and whether it arrived compressed; returns its wire size.
async function echo(c, message, { compressed } = {}) {
  const n = byteLength(message);
  await c.send(message);
  const got = await c.next();
  assertSame(got, message, `the echo of a ${n}-byte message`);
  if (c.ws.extensions) {
    const expect = compressed ?? n >= MIN_COMPRESS;
    assert.equal(got.compressed, expect,
                 `the echo of a ${n}-byte message arrived ${got.compressed ? '' : 'un'}compressed`);
  } else {
    assert.equal(got.compressed, false);
  }
  return got.wire;
}

function assertExtension(c, params) {
  if (params === undefined) {
    assert.equal(c.ws.extensions, '', `the server accepted ${c.extensionHeader}`);
    assert.equal(c.extensionHeader, undefined);
    return;
  }
  assert.equal(c.ws.extensions, 'permessage-deflate');
  assert.deepEqual(parseExtension(c.extensionHeader), { name: 'permessage-deflate', params },
                   `answer: ${c.extensionHeader}`);
}

// ---- suites --------------------------------------------------------------

// [perMessageDeflate offer, Herald's answer, server_no_context_takeover agreed]
const OFFERS = [
  [true, { client_max_window_bits: '15' }, false],
  [{ serverNoContextTakeover: true }, { server_no_context_takeover: true, client_max_window_bits: '15' }, true],
  [{ clientNoContextTakeover: true }, { client_no_context_takeover: true, client_max_window_bits: '15' }, false],
  [{ serverMaxWindowBits: 9 }, { server_max_window_bits: '9', client_max_window_bits: '15' }, false],
  [{ serverMaxWindowBits: 12, clientMaxWindowBits: 11 }, { server_max_window_bits: '12', client_max_window_bits: '11' }, false],
  [{ clientMaxWindowBits: 9, clientNoContextTakeover: true, threshold: 0 },
   { client_max_window_bits: '9', client_no_context_takeover: true }, false],
  [{ serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 10, clientMaxWindowBits: 10 },
   { server_no_context_takeover: true, client_no_context_takeover: true, server_max_window_bits: '10',
     client_max_window_bits: '10' }, true],
  [{ zlibDeflateOptions: { level: 9, memLevel: 9 } }, { client_max_window_bits: '15' }, false],
];

for (const tls of [false, true]) {
  describe(`echo_server --compression over ${tls ? 'wss' : 'ws'}://`, () => {
    let server;
    before(async () => {
      server = await startServer('HERALD_ECHO_SERVER', ['--compression', '--max-message-bytes', String(SERVER_MAX)], tls);
    });
    after(() => killServer(server));

    test('default offer: negotiated; every size echoes; 64 bytes or more arrive compressed', T, async () => {
      const c = await Client.open(server.url);
      assertExtension(c, { client_max_window_bits: '15' });
      if (tls) assert.ok(c.ws._socket.encrypted, 'not a TLS connection');
      for (const text of [true, false]) {
        for (const packed of [true, false]) {
          for (const n of SIZES) await echo(c, payload(n, text, packed));
        }
      }
      assert.equal((await c.close(1000)).code, 1000);
    });

    // Negotiation does not depend on the transport: these run over ws:// only.
    for (const [offer, answer, serverNoTakeover] of tls ? [] : OFFERS) {
      test(`offer ${JSON.stringify(offer)}`, T, async () => {
        const c = await Client.open(server.url, offer);
        assertExtension(c, answer);
        for (const n of [0, 63, 64, 65, 1000, 65536, 300_000]) {
          for (const text of [true, false]) await echo(c, payload(n, text, true));
        }
        await echo(c, randomBytes(65536));
        await echo(c, randomText(70000));
        // The same message twice: with context takeover the second one refers
        // back into the first and is far smaller on the wire. (Random content,
        // short enough for the agreed window: zlib reaches back 2^bits - 262 bytes.)
        const bits = Number(answer.server_max_window_bits ?? 15);
        const m = randomBytes(Math.min(10_000, 2 ** bits / 4));
        const first = await echo(c, m);
        const second = await echo(c, m);
        if (serverNoTakeover) assert.equal(second, first, 'server_no_context_takeover agreed, yet the repeat differs');
        else assert.ok(second * 4 < first, `no context takeover? ${first} then ${second} bytes`);
        assert.equal((await c.close(4000, 'offer done')).code, 4000);
      });
    }

    if (!tls) test('window bits shape compression', T, async () => {
      // 1000-byte blocks repeated: a 512-byte window cannot reach back to the
      // previous block, a 32 KiB one can.
      const m = Buffer.concat(Array(20).fill(randomBytes(1000)));
      const sizes = {};
      for (const bits of [9, 15]) {
        const c = await Client.open(server.url, { serverMaxWindowBits: bits, serverNoContextTakeover: true });
        sizes[bits] = await echo(c, m);
        await c.close();
      }
      assert.ok(sizes[15] * 5 < sizes[9], `compressed sizes by server_max_window_bits: ${JSON.stringify(sizes)}`);
    });

    test('server_max_window_bits=8 is declined', T, async () => {
      // zlib cannot compress with a 256-byte window: Herald declines and ws
      // (which offered nothing else) goes on without compression.
      const c = await Client.open(server.url, { serverMaxWindowBits: 8 });
      assertExtension(c, undefined);
      await echo(c, compressible(1000, true));
      await c.close();
    });

    test('a client without compression gets plain frames', T, async () => {
      const c = await Client.open(server.url, false);
      assertExtension(c, undefined);
      await echo(c, compressible(100_000, true));
      await echo(c, randomBytes(1000));
      await c.close();
    });

    test('fragmented compressed messages come back whole', T, async () => {
      const c = await Client.open(server.url, { threshold: 0 });
      const cases = [
        [compressible(100, true), '', compressible(70000, true), randomText(1), randomText(125)],
        [1, 0, 126, 65536, 3].map((n) => randomBytes(n)),
        [0, 1, 2].map(() => compressible(MiB, false)),
        ['x'.repeat(63), '', 'y'],
      ];
      for (const parts of cases) {
        const binary = Buffer.isBuffer(parts[0]);
        parts.forEach((p, i) => c.ws.send(p, { binary, compress: true, fin: i === parts.length - 1 }));
        assertSame(await c.next(), binary ? Buffer.concat(parts) : parts.join(''), 'a fragmented message');
      }
      // A ping between compressed fragments.
      const pong = withTimeout(new Promise((resolve) => c.ws.once('pong', resolve)), 5000, 'pong');
      c.ws.send(compressible(3000, false), { compress: true, fin: false });
      c.ws.ping('mid-message');
      c.ws.send(compressible(3000, false), { compress: true, fin: true });
      assert.equal((await pong).toString(), 'mid-message');
      assert.equal((await c.next()).data.length, 6000);
      await echo(c, 'after fragments '.repeat(10));
      await c.close();
    });

    test('pipelined messages come back in order, each compressed or not by its size', T, async () => {
      const c = await Client.open(server.url, { clientNoContextTakeover: true, threshold: 10 });
      const msgs = Array.from({ length: 400 }, (_, i) => payload(randomInt(400), i % 2 === 1, i % 3 === 0));
      await Promise.all(msgs.map((m) => c.send(m)));
      for (const [i, m] of msgs.entries()) {
        const got = await c.next();
        assertSame(got, m, `pipelined message ${i}`);
        assert.equal(got.compressed, byteLength(m) >= MIN_COMPRESS, `pipelined message ${i} (${byteLength(m)} bytes)`);
      }
      await c.close();
    });

    test('ping, pong and close 4000 on a compressed connection', T, async () => {
      const c = await Client.open(server.url);
      for (const p of [Buffer.alloc(0), Buffer.from('herald'), randomBytes(125)]) {
        const pong = withTimeout(new Promise((resolve) => c.ws.once('pong', resolve)), 5000, 'pong');
        c.ws.ping(p);
        assert.ok((await pong).equals(p), `pong payload differs for a ${p.length}-byte ping`);
      }
      await echo(c, compressible(5000, true));
      const seen = await c.close(4000, 'app-specific ünïcode');
      assert.equal(seen.code, 4000, JSON.stringify(seen));
    });

    test('concurrent clients with different offers', T, async () => {
      const offers = [false, ...OFFERS.map(([o]) => o)];
      await Promise.all(offers.map(async (offer, i) => {
        const c = await Client.open(server.url, offer);
        for (const n of [0, 64, 5000, 70000, 300_000]) await echo(c, payload(n, i % 2 === 0, i % 3 !== 0));
        await c.close();
      }));
    });

    test('stops on SIGTERM with exit code 0', T, async () => { await stopServer(server); });
  });
}

describe('echo_server without --compression', () => {
  let server;
  before(async () => { server = await startServer('HERALD_ECHO_SERVER', ['--max-message-bytes', String(SERVER_MAX)]); });
  after(() => killServer(server));

  test('every offer is declined', T, async () => {
    for (const [offer] of OFFERS) {
      const c = await Client.open(server.url, offer);
      assertExtension(c, undefined);
      for (const n of [0, 64, 65536]) await echo(c, compressible(n, true));
      await c.close();
    }
  });

  test('stops on SIGTERM with exit code 0', T, async () => { await stopServer(server); });
});

for (const threads of ['1', '2']) {
  describe(`broadcast --compression --threads ${threads}`, () => {
    let server;
    before(async () => {
      server = await startServer('HERALD_BROADCAST_SERVER',
                                 ['--compression', '--max-message-bytes', String(SERVER_MAX), '--threads', threads]);
    });
    after(() => killServer(server));

    test('one message reaches clients with different parameters, each intact', T, async () => {
      const offers = [
        true,
        { serverNoContextTakeover: true },
        { serverMaxWindowBits: 9 },
        { clientMaxWindowBits: 9, clientNoContextTakeover: true },
        { serverMaxWindowBits: 11, serverNoContextTakeover: true, threshold: 0 },
        false,
      ];
      const clients = await Promise.all(offers.map((o) => Client.open(server.url, o)));
      const messages = [];
      for (let k = 0; k < 3; k++) {  // repeats exercise each receiver's context takeover
        messages.push(randomBytes(0), 'x'.repeat(63), compressible(64, true), compressible(1000, true),
                      randomBytes(65536), compressible(200_000, false), compressible(MiB, true));
      }
      messages.push(messages[3]);  // the very same message again
      for (const [k, message] of messages.entries()) {
        const sender = clients[k % clients.length];
        await sender.send(message);
        for (const [i, c] of clients.entries()) {
          if (c === sender) continue;
          const got = await c.next();
          assertSame(got, message, `client ${i}, message ${k}`);
          const expect = offers[i] !== false && byteLength(message) >= MIN_COMPRESS;
          assert.equal(got.compressed, expect, `client ${i} (${JSON.stringify(offers[i])}), message ${k}: compressed`);
        }
      }
      await sleep(300);
      for (const [i, c] of clients.entries()) {
        assert.equal(c.queue.length, 0, `client ${i} received ${c.queue.length} unexpected message(s)`);
      }
      await Promise.all(clients.map((c) => c.close()));
    });

    test('a fragmented compressed message is broadcast whole', T, async () => {
      const clients = await Promise.all([true, true, { serverNoContextTakeover: true }, false]
        .map((o) => Client.open(server.url, o)));
      const parts = [compressible(5000, true), '', 'part two '.repeat(20)];
      parts.forEach((p, i) => clients[0].ws.send(p, { compress: true, fin: i === parts.length - 1 }));
      for (const c of clients.slice(1)) assertSame(await c.next(), parts.join(''));
      await sleep(300);
      assert.equal(clients[0].queue.length, 0, 'the sender received its own message');
      await Promise.all(clients.map((c) => c.close()));
    });

    test('stops on SIGTERM with exit code 0', T, async () => { await stopServer(server); });
  });
}
