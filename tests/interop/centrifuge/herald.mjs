// Shared helpers of the centrifuge SDK acceptance suite: start and stop
// `herald serve`, mint tokens, call the HTTP API, make SDK clients, wait for
// events, and cut the network between a client and the server.
//
//   HERALD_BIN=/path/to/herald node --test                              # JSON build of the SDK
//   HERALD_BIN=/path/to/herald HERALD_SDK_FORMAT=protobuf node --test   # its Protobuf build
//
// The whole suite runs with either build of the SDK (CMakeLists.txt registers
// each file twice; binary.test.mjs, which mixes the builds, once). The build
// is chosen here and only here: tests import `Centrifuge` and the clients of
// makeClient from this file, and pass what they publish through enc() and
// what they receive through dec(), so their assertions are the same in both
// formats. No file here writes raw client-protocol frames; HTTP API bodies
// are JSON whatever the SDK build.
//
// Every server binds port 0 in its own temporary directory and is stopped by
// its PID (SIGTERM, then SIGKILL); nothing is shared between test files.

import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';

import { HERALD_BIN, HeraldServer as BaseServer } from '../../support/herald_serve.mjs';

// ---- the SDK build and its data format ------------------------------------

// The module of each build of the npm package. The JSON build asks for no
// WebSocket subprotocol (text frames; data is any JSON value), the Protobuf
// build for `centrifuge-protobuf` (binary frames; data is bytes).
const BUILDS = { json: 'centrifuge', protobuf: 'centrifuge/build/protobuf' };

// The format of this run: HERALD_SDK_FORMAT, set by CMakeLists.txt.
export const FORMAT = process.env.HERALD_SDK_FORMAT || 'json';
if (!(FORMAT in BUILDS)) {
  const msg = `HERALD_SDK_FORMAT=${FORMAT}: expected one of ${Object.keys(BUILDS).join(', ')}`;
  console.error(`\n*** ${msg}\n`);
  throw new Error(msg);
}

const builds = {};  // format -> the Centrifuge class of that build, once loaded
let WebSocket;
// Loads a build of the SDK so makeClient(url, { format }) can use it. The
// run's build is loaded below; only a test that mixes formats
// (binary.test.mjs) loads the other.
export async function loadBuild(format) {
  try {
    builds[format] ??= (await import(BUILDS[format])).Centrifuge;
    WebSocket ??= (await import('ws')).default;
  } catch (err) {
    const msg =
      `The npm packages "centrifuge" (${BUILDS[format]}) and "ws" are not installed in tests/interop/centrifuge/node_modules. ` +
      'Run scripts/install-deps.sh (or `npm ci` in tests/interop/centrifuge) first.';
    console.error(`\n*** ${msg}\n`);
    throw new Error(msg, { cause: err });
  }
  return builds[format];
}
const Centrifuge = await loadBuild(FORMAT);
export { Centrifuge, WebSocket };

const utf8 = new TextDecoder('utf-8', { fatal: true });

// What a test publishes or sends through the SDK (publish, rpc), from a JSON
// value: the value itself for the JSON build, its JSON text as UTF-8 bytes
// for the Protobuf build (which sends data as protobuf `bytes`). So a JSON
// and a Protobuf subscriber of the run see the same value after dec().
export function enc(value, format = FORMAT) {
  return format === 'protobuf' ? new TextEncoder().encode(JSON.stringify(value)) : value;
}

// What a test received through the SDK (publication, history, presence
// connInfo/chanInfo, rpc data), back to the JSON value: as given for the JSON
// build; for the Protobuf build the bytes, which must be a Uint8Array of
// valid UTF-8 holding one JSON value (anything else throws, so a wrong type
// or garbage fails the test instead of comparing as something else).
export function dec(data, format = FORMAT) {
  if (format !== 'protobuf') return data;
  if (!(data instanceof Uint8Array))
    throw new TypeError(`expected bytes (Uint8Array) from the Protobuf build, got ${typeof data}: ${JSON.stringify(data)}`);
  return JSON.parse(utf8.decode(data));
}

export const SECRET = 'interop-secret-0123456789abcdef';
export const API_KEY = 'interop-api-key';
export const STEP_MS = 5_000;  // any single wait for an event

export { HERALD_BIN };

// The [client] and [api] sections every test server starts from; a test adds
// its channel options (a [channel] table and [[namespace]] tables).
export function baseConfig({ anonymous = true, extraClient = '' } = {}) {
  return `[client]
token_hmac_secret = "${SECRET}"
allow_anonymous = ${anonymous}
${extraClient}
[api]
key = "${API_KEY}"
`;
}

// ---- the server process ----------------------------------------------------

// tests/support/herald_serve.mjs, in a directory named for this suite.
export class HeraldServer extends BaseServer {
  constructor(config) {
    super(config, { prefix: 'herald-centrifuge-' });
  }
}

export async function startHerald(config) {
  return new HeraldServer(config).start();
}

// ---- tokens ----------------------------------------------------------------

const b64url = (buf) => Buffer.from(buf).toString('base64url');

// An HS256 JWT signed with SECRET. `ttl` in seconds (negative: already
// expired); claims such as channels, info, channel are passed through.
export function makeToken(sub, { ttl = 3600, secret = SECRET, ...claims } = {}) {
  const now = Math.floor(Date.now() / 1000);
  const payload = { sub, iat: now, ...claims };
  if (ttl !== 0) payload.exp = now + ttl;
  const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = b64url(JSON.stringify(payload));
  const sig = createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${sig}`;
}

// The same through `herald token`, the documented way to mint one.
export async function cliToken(args) {
  const { stdout } = await promisify(execFile)(HERALD_BIN, ['token', '--secret', SECRET, ...args]);
  return stdout.trim();
}

// ---- the HTTP API ----------------------------------------------------------

export async function api(server, method, body = {}, { key = API_KEY } = {}) {
  const res = await fetch(`${server.apiUrl}/${method}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-API-Key': key },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = { raw: text }; }
  return { status: res.status, body: json };
}

// An API call that must succeed: returns its `result`.
export async function apiOk(server, method, body) {
  const r = await api(server, method, body);
  if (r.status !== 200 || r.body.error || !('result' in r.body))
    throw new Error(`API ${method} failed: HTTP ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.result;
}

// ---- SDK clients -----------------------------------------------------------

const clients = new Set();

// A Centrifuge client on `url` using the ws package. Not connected yet.
// `format` picks the SDK build (the run's by default; the other build must
// have been loaded with loadBuild()); it is kept as `c.sdkFormat`.
export function makeClient(url, { format = FORMAT, ...options } = {}) {
  if (!builds[format]) throw new Error(`the ${format} build of the SDK is not loaded: call loadBuild('${format}') first`);
  const c = new builds[format](url, {
    websocket: WebSocket,
    minReconnectDelay: 100,
    maxReconnectDelay: 500,
    timeout: STEP_MS,
    ...options,
  });
  c.sdkFormat = format;
  // An unhandled 'error' event would throw inside the SDK: record instead.
  c.errors = [];
  c.on('error', (ctx) => c.errors.push(ctx));
  clients.add(c);
  return c;
}

// Connects and resolves with the 'connected' context. A connect that fails
// says what the SDK reported (its errors and the codes it was disconnected
// or reconnected with), which a timeout alone would hide.
export async function connectClient(url, options = {}) {
  const c = makeClient(url, options);
  const seen = [];
  const note = (event) => (ctx) => seen.push(`${event} ${ctx.code} (${ctx.reason})`);
  c.on('connecting', note('connecting'));
  c.on('disconnected', note('disconnected'));
  const connected = waitFor(c, 'connected');
  c.connect();
  try {
    c.connectedCtx = await connected;
  } catch (err) {
    const counts = new Map();
    for (const e of c.errors) {
      const key = `${e.type}: ${e.error?.code ?? ''} ${e.error?.message ?? e.error}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    const errors = [...counts].map(([key, n]) => (n > 1 ? `${key} (x${n})` : key));
    err.message += ` (${c.sdkFormat} build; events: ${seen.join(', ') || 'none'}; errors: ${errors.join(', ') || 'none'})`;
    throw err;
  }
  return c;
}

export function disconnectAll() {
  for (const c of clients) c.disconnect();
  clients.clear();
}

// Resolves with the next `event` of `emitter` for which `pred` holds; rejects
// after `timeout` ms naming the event.
export function waitFor(emitter, event, { pred = () => true, timeout = STEP_MS, what = '' } = {}) {
  return new Promise((resolve, reject) => {
    const handler = (ctx) => {
      if (!pred(ctx)) return;
      clearTimeout(timer);
      emitter.off(event, handler);
      resolve(ctx);
    };
    const timer = setTimeout(() => {
      emitter.off(event, handler);
      reject(new Error(`no '${event}' event ${what} within ${timeout} ms`));
    }, timeout);
    // A wait that lost a race must not hold the test file open; while a wait
    // matters, the client's socket or reconnect timer keeps the loop alive.
    timer.unref();
    emitter.on(event, handler);
  });
}

// Collects every `event` (for which `pred` holds) into an array, in arrival order.
export function collect(emitter, event, pred = () => true) {
  const seen = [];
  emitter.on(event, (ctx) => { if (pred(ctx)) seen.push(ctx); });
  return seen;
}

// Polls `fn` until it returns a truthy value (or resolves to one).
export async function until(fn, { timeout = STEP_MS, every = 20, what = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

// Waits until `array` has `n` elements, then returns them.
export function untilCount(array, n, what = 'events') {
  return until(() => array.length >= n, { what: `${n} ${what} (have ${array.length})` }).then(() => array);
}

// ---- a TCP proxy to cut the network --------------------------------------

// Forwards 127.0.0.1:proxy.port to the server's current port. drop() destroys
// every forwarded connection (the client sees its socket die, as on a network
// failure); while blocked, new connections are closed at once.
export class Proxy {
  constructor(server) {
    this.server = server;
    this.blocked = false;
    this.sockets = new Set();
    this.listener = net.createServer((client) => {
      if (this.blocked) return client.destroy();
      const upstream = net.connect(this.server.port, '127.0.0.1');
      const pair = [client, upstream];
      for (const s of pair) {
        this.sockets.add(s);
        s.on('error', () => {});
        s.on('close', () => { this.sockets.delete(s); for (const o of pair) o.destroy(); });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
  }
  async start() {
    await new Promise((r) => this.listener.listen(0, '127.0.0.1', r));
    this.port = this.listener.address().port;
    return this;
  }
  get wsUrl() { return `ws://127.0.0.1:${this.port}/connection/websocket`; }
  block() { this.blocked = true; }
  unblock() { this.blocked = false; }
  drop() { for (const s of this.sockets) s.destroy(); }
  async close() {
    this.drop();
    await new Promise((r) => this.listener.close(r));
  }
}
