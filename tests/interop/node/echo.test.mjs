// Interop tier: the Node `ws` client against Herald's example servers.
//
//   cd tests/interop/node && npm ci    # or scripts/install-deps.sh
//   HERALD_ECHO_SERVER=.../examples/echo_server \
//   HERALD_BROADCAST_SERVER=.../examples/broadcast node --test echo.test.mjs
//
// ctest (label "interop") sets both variables. Each suite starts its own server
// on a free port and, as its last test, stops it with SIGTERM expecting exit 0.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
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

const MiB = 1024 * 1024;
const SERVER_MAX = 16 * MiB;
// Payload lengths around the frame header's 7-bit / 16-bit / 64-bit forms, and
// the server's limit itself (a message of exactly the limit is allowed).
const SIZES = [0, 1, 125, 126, 127, 65535, 65536, SERVER_MAX];
const STEP_MS = 10_000;  // any single network step
const START_MS = 10_000;
const STOP_MS = 5_000;
const T = { timeout: 60_000 };

// ---- payloads ------------------------------------------------------------

// Characters of every UTF-8 length: 1, 2, 3 and 4 bytes.
const CHARS = [...'aZ9 ~\néß¿Ωж€中한あ\ufffd😀𝄞🂡'];
let pool;

function randomText(n) {
  // A string whose UTF-8 encoding is exactly n bytes.
  pool ??= Array.from({ length: 400_000 }, () => CHARS[randomInt(CHARS.length)]).join('');
  const parts = [];
  let size = 0;
  while (size < n) {
    const start = randomInt(pool.length);
    let enc = Buffer.from(pool.slice(start, start + 1 + randomInt(200_000)));
    if (size + enc.length > n) {
      // Cut at a character boundary, then pad with ASCII.
      let cut = n - size;
      while (cut > 0 && (enc[cut] & 0xc0) === 0x80) cut--;
      enc = Buffer.concat([enc.subarray(0, cut), Buffer.alloc(n - size - cut, 'x')]);
    }
    parts.push(enc.toString('utf8'));
    size += enc.length;
  }
  const text = parts.join('');
  assert.equal(Buffer.byteLength(text), n);
  return text;
}

// ---- server processes ----------------------------------------------------

function withTimeout(promise, ms, what) {
  let timer;
  const t = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, t]).finally(() => clearTimeout(timer));
}

async function startServer(envVar, args) {
  const path = process.env[envVar];
  if (!path) throw new Error(`${envVar} is not set: point it at the built server binary (ctest sets it)`);
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
  return { path, proc, port, url: `ws://127.0.0.1:${port}/`, exited };
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

// A ws client with a receive queue, so no message is missed between awaits.
class Client {
  static async open(url) {
    const c = new Client(url);
    await withTimeout(new Promise((resolve, reject) => {
      c.ws.once('open', resolve);
      c.ws.once('error', reject);
    }), STEP_MS, `connecting to ${url}`);
    return c;
  }

  constructor(url) {
    this.ws = new WebSocket(url, { maxPayload: 2 * SERVER_MAX });
    this.queue = [];
    this.waiters = [];
    this.errors = [];
    this.ws.on('message', (data, isBinary) => {
      const msg = isBinary ? { binary: true, data } : { binary: false, data: data.toString('utf8') };
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

  // Resolves with whether a message arrived within ms, without consuming a timeout error.
  async nothingWithin(ms) {
    await sleep(ms);
    return this.queue.length === 0;
  }

  send(data, opts = {}) {
    return new Promise((resolve, reject) => this.ws.send(data, opts, (err) => (err ? reject(err) : resolve())));
  }

  async close(code, reason) {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(code, reason);
    return withTimeout(this.closed, STEP_MS, 'closing');
  }
}

function assertSame(got, sent) {
  const isBinary = Buffer.isBuffer(sent);
  assert.equal(got.binary, isBinary, `message type: expected ${isBinary ? 'binary' : 'text'}`);
  if (isBinary) {
    assert.ok(Buffer.isBuffer(got.data) && got.data.equals(sent),
              `binary echo differs: sent ${sent.length} bytes, got ${got.data.length}`);
  } else {
    // Avoid a diff of 16 MiB strings in the failure message.
    assert.ok(got.data === sent,
              `text echo differs: sent ${Buffer.byteLength(sent)} bytes, got ${Buffer.byteLength(got.data)}`);
  }
}

async function echo(c, message) {
  await c.send(message);
  assertSame(await c.next(), message);
}

// ---- suites --------------------------------------------------------------

describe('echo_server', () => {
  let server;
  before(async () => { server = await startServer('HERALD_ECHO_SERVER', ['--max-message-bytes', String(SERVER_MAX)]); });
  after(() => killServer(server));

  test('binary messages of every header size come back exactly', T, async () => {
    const c = await Client.open(server.url);
    for (const n of SIZES) await echo(c, randomBytes(n));
    assert.equal((await c.close(1000)).code, 1000);
  });

  test('multi-byte UTF-8 text messages of every header size come back exactly', T, async () => {
    const c = await Client.open(server.url);
    for (const n of SIZES) await echo(c, randomText(n));
    await c.close(1000);
  });

  test('pipelined messages come back in order', T, async () => {
    const c = await Client.open(server.url);
    const msgs = Array.from({ length: 500 }, (_, i) =>
      i % 2 ? randomText(randomInt(300)) : randomBytes(randomInt(300)));
    await Promise.all(msgs.map((m) => c.send(m)));
    for (const m of msgs) assertSame(await c.next(), m);
    await c.close();
  });

  test('fragmented text comes back as one message', T, async () => {
    const c = await Client.open(server.url);
    const parts = [randomText(100), '', randomText(70000), randomText(1), randomText(125)];
    parts.forEach((p, i) => c.ws.send(p, { fin: i === parts.length - 1 }));
    assertSame(await c.next(), parts.join(''));
    await c.close();
  });

  test('fragmented binary comes back as one message', T, async () => {
    const c = await Client.open(server.url);
    const parts = [1, 0, 126, 65536, 3].map((n) => randomBytes(n));
    parts.forEach((p, i) => c.ws.send(p, { fin: i === parts.length - 1 }));
    assertSame(await c.next(), Buffer.concat(parts));
    await echo(c, 'after fragments');
    await c.close();
  });

  test('a UTF-8 character split across fragments is reassembled', T, async () => {
    const c = await Client.open(server.url);
    const euro = Buffer.from('x€');
    c.ws.send(euro.subarray(0, 3), { binary: false, fin: false });
    c.ws.send(euro.subarray(3), { fin: true });
    assertSame(await c.next(), 'x€');
    await c.close();
  });

  test('ping with payload gets a pong with the same payload', T, async () => {
    const c = await Client.open(server.url);
    for (const payload of [Buffer.alloc(0), Buffer.from('herald'), randomBytes(125)]) {
      const pong = withTimeout(new Promise((resolve) => c.ws.once('pong', resolve)), 5000, 'pong');
      c.ws.ping(payload);
      assert.ok((await pong).equals(payload), `pong payload differs for a ${payload.length}-byte ping`);
    }
    await echo(c, 'still open');
    await c.close();
  });

  test('ping between fragments is answered and the message is intact', T, async () => {
    const c = await Client.open(server.url);
    const pong = withTimeout(new Promise((resolve) => c.ws.once('pong', resolve)), 5000, 'pong');
    c.ws.send(Buffer.from('abc'), { fin: false });
    c.ws.ping('mid-message');
    c.ws.send(Buffer.from('def'), { fin: true });
    assert.equal((await pong).toString(), 'mid-message');
    assertSame(await c.next(), Buffer.from('abcdef'));
    await c.close();
  });

  test('client-initiated close: the server answers with the same code', T, async () => {
    for (const [code, reason] of [[1000, 'bye'], [4000, 'app-specific ünïcode'], [3001, '']]) {
      const c = await Client.open(server.url);
      await echo(c, 'hello');
      const seen = await c.close(code, reason);
      assert.equal(seen.code, code, `client saw ${JSON.stringify(seen)}`);
      assert.equal(typeof seen.reason, 'string');
    }
  });

  test('client close without a code', T, async () => {
    const c = await Client.open(server.url);
    const seen = await c.close();  // ws sends a close frame with an empty body
    assert.ok([1000, 1005].includes(seen.code), `client saw ${JSON.stringify(seen)}`);
  });

  test('invalid UTF-8 in a text message: close 1007', T, async () => {
    const bad = [[0xff, 0xfe], [0x6f, 0x6b, 0xc3, 0x28], [0x74, 0xe2, 0x82], [0xed, 0xa0, 0x80]];
    for (const bytes of bad) {
      const c = await Client.open(server.url);
      // ws sends a Buffer as-is; binary:false only sets the text opcode.
      await c.send(Buffer.from(bytes), { binary: false });
      const seen = await withTimeout(c.closed, STEP_MS, 'close after invalid UTF-8');
      assert.equal(seen.code, 1007, `for ${Buffer.from(bytes).toString('hex')}: ${JSON.stringify(seen)}`);
    }
  });

  test('many concurrent clients', T, async () => {
    await Promise.all(Array.from({ length: 20 }, async (_, i) => {
      const c = await Client.open(server.url);
      for (const n of [0, 200, 70000]) await echo(c, i % 2 ? randomBytes(n) : randomText(n));
      await c.close();
    }));
  });

  test('stops on SIGTERM with exit code 0', T, async () => { await stopServer(server); });
});

describe('echo_server --threads 2', () => {
  let server;
  before(async () => {
    server = await startServer('HERALD_ECHO_SERVER', ['--max-message-bytes', String(SERVER_MAX), '--threads', '2']);
  });
  after(() => killServer(server));

  test('concurrent clients across both loops', T, async () => {
    await Promise.all(Array.from({ length: 16 }, async (_, i) => {
      const c = await Client.open(server.url);
      for (const n of [1, 126, 65536, MiB]) await echo(c, i % 2 ? randomBytes(n) : randomText(n));
      c.ws.send('frag', { fin: false });
      c.ws.send('mented', { fin: true });
      assertSame(await c.next(), 'fragmented');
      await c.close();
    }));
  });

  test('server-initiated close: SIGTERM gives clients 1001, server exits 0', T, async () => {
    const clients = await Promise.all(Array.from({ length: 5 }, () => Client.open(server.url)));
    for (const [i, c] of clients.entries()) await echo(c, `hi ${i}`);
    await stopServer(server);
    for (const c of clients) {
      const seen = await withTimeout(c.closed, STEP_MS, 'close after SIGTERM');
      assert.equal(seen.code, 1001, `client saw ${JSON.stringify(seen)}`);
    }
  });
});

describe('echo_server --max-message-bytes 1000', () => {
  let server;
  before(async () => { server = await startServer('HERALD_ECHO_SERVER', ['--max-message-bytes', '1000']); });
  after(() => killServer(server));

  test('a message of exactly the limit is echoed', T, async () => {
    const c = await Client.open(server.url);
    await echo(c, randomBytes(1000));
    await echo(c, randomText(1000));
    await c.close();
  });

  for (const [name, send] of [
    ['binary', (c) => c.send(randomBytes(1001))],
    ['text', (c) => c.send(randomText(1001))],
    ['fragmented', (c) => { c.ws.send(randomBytes(600), { fin: false }); return c.send(randomBytes(401), { fin: true }); }],
    ['4 MiB', (c) => c.send(randomBytes(4 * MiB)).catch(() => {})],  // the server may close mid-write
  ]) {
    test(`1001 bytes or more (${name}): close 1009`, T, async () => {
      const c = await Client.open(server.url);
      await send(c);
      const seen = await withTimeout(c.closed, STEP_MS, 'close after an over-limit message');
      assert.equal(seen.code, 1009, `client saw ${JSON.stringify(seen)}`);
    });
  }

  test('stops on SIGTERM with exit code 0', T, async () => { await stopServer(server); });
});

for (const threads of ['1', '2']) {
  describe(`broadcast --threads ${threads}`, () => {
    let server;
    before(async () => {
      server = await startServer('HERALD_BROADCAST_SERVER',
                                 ['--max-message-bytes', String(SERVER_MAX), '--threads', threads]);
    });
    after(() => killServer(server));

    async function checkBroadcast(nClients, messages) {
      const clients = await Promise.all(Array.from({ length: nClients }, () => Client.open(server.url)));
      for (const [k, message] of messages.entries()) {
        const sender = clients[k % nClients];
        await sender.send(message);
        for (const c of clients) if (c !== sender) assertSame(await c.next(), message);
      }
      // Nobody got anything extra; in particular no sender saw its own message.
      await sleep(300);
      for (const [i, c] of clients.entries()) {
        assert.equal(c.queue.length, 0, `client ${i} received ${c.queue.length} unexpected message(s)`);
      }
      await Promise.all(clients.map((c) => c.close()));
    }

    test('3 clients: the other two receive it, the sender nothing', T, async () => {
      await checkBroadcast(3, ['héllo wörld ✓']);
    });

    test('3 clients, mixed sizes and types', T, async () => {
      await checkBroadcast(3, [randomBytes(0), randomText(125), randomBytes(65536), randomText(70000), randomBytes(MiB)]);
    });

    test('8 clients', T, async () => {
      await checkBroadcast(8, ['to all', randomBytes(1000), randomText(3000)]);
    });

    test('a fragmented message is broadcast whole', T, async () => {
      const clients = await Promise.all([0, 1, 2].map(() => Client.open(server.url)));
      clients[0].ws.send('part one, ', { fin: false });
      clients[0].ws.send('part two', { fin: true });
      for (const c of clients.slice(1)) assertSame(await c.next(), 'part one, part two');
      assert.ok(await clients[0].nothingWithin(300), 'the sender received its own message');
      await Promise.all(clients.map((c) => c.close()));
    });

    test('a closed client no longer receives', T, async () => {
      const [a, b, c] = await Promise.all([0, 1, 2].map(() => Client.open(server.url)));
      await c.close();
      await a.send('after c left');
      assertSame(await b.next(), 'after c left');
      await b.send('to a');
      assertSame(await a.next(), 'to a');
      await Promise.all([a.close(), b.close()]);
    });

    test('server-initiated close: SIGTERM gives clients 1001, server exits 0', T, async () => {
      const clients = await Promise.all([0, 1, 2].map(() => Client.open(server.url)));
      await stopServer(server);
      for (const c of clients) {
        const seen = await withTimeout(c.closed, STEP_MS, 'close after SIGTERM');
        assert.equal(seen.code, 1001, `client saw ${JSON.stringify(seen)}`);
      }
    });
  });
}
