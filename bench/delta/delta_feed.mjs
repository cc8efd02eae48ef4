// Fossil deltas on the wire (issue 14): one channel carrying a ~2 KiB JSON
// quote board whose every publication moves one price, followed by
// SUBSCRIBERS clients of the npm centrifuge SDK, once with delta: 'fossil'
// and once without, each against its own fresh `herald serve`. Reports, per
// run: WebSocket message bytes the clients received per delivery, what the
// SDK decoded, and the server's CPU time (all threads, /proc schedstat) per delivery
// while the publications were delivered. Every received document is checked
// against the published one.
//
//   HERALD_BIN=build/release/src/app/herald node bench/delta/delta_feed.mjs \
//     [--subscribers 200] [--publications 300] [--rounds 3]
//
// The SDK and `ws` come from tests/interop/centrifuge/node_modules
// (scripts/install-deps.sh installs them).
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { HeraldServer } from '../../tests/support/herald_serve.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const sdk = createRequire(path.join(here, '../../tests/interop/centrifuge/package.json'));
const { Centrifuge } = sdk('centrifuge');
const WebSocket = sdk('ws');

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const SUBSCRIBERS = opt('subscribers', 200);
const PUBLICATIONS = opt('publications', 300);
const ROUNDS = opt('rounds', 3);
const API_KEY = 'bench-key';
const CHANNEL = 'doc:board';

const CONFIG = `
[client]
insecure = true
[api]
key = "${API_KEY}"
max_body_bytes = "4MiB"
[[namespace]]
name = "doc"
allow_subscribe_for_client = true
allowed_delta_types = ["fossil"]
`;

function board(version) {
  const rows = [];
  for (let i = 0; i < 40; i++) rows.push({ symbol: `SYM${i}`, price: 1000 + i * 7 + (i === version % 40 ? version : 0), trend: 'flat' });
  return { board: rows, version };
}

// CPU time of every thread of `pid`, in seconds, from the scheduler's
// nanosecond counters (/proc/PID/task/TID/schedstat: time on CPU first).
function cpuSeconds(pid) {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
  return ns / 1e9;
}

let wireBytes = 0;
class CountingWebSocket extends WebSocket {
  constructor(...a) {
    super(...a);
    this.on('message', (data) => { wireBytes += data.length; });
  }
}

async function api(server, method, body) {
  const res = await fetch(`${server.url}/api/${method}`, {
    method: 'POST', headers: { 'X-API-Key': API_KEY }, body: JSON.stringify(body),
  });
  const json = await res.json();
  if (json.error) throw new Error(`${method}: ${JSON.stringify(json.error)}`);
  return json.result;
}

async function run(delta) {
  const server = await new HeraldServer(CONFIG, { prefix: 'herald-delta-bench-' }).start();
  const clients = [];
  let received = 0, decodedBytes = 0, wrong = 0;
  try {
    for (let i = 0; i < SUBSCRIBERS; i++) {
      const c = new Centrifuge(server.wsUrl, { websocket: CountingWebSocket });
      const s = c.newSubscription(CHANNEL, delta ? { delta: 'fossil' } : {});
      let expect = 1;
      s.on('publication', (ctx) => {
        if (JSON.stringify(ctx.data) !== JSON.stringify(board(expect))) wrong++;
        decodedBytes += JSON.stringify(ctx.data).length;
        expect++;
        received++;
      });
      const ready = new Promise((r) => s.once('subscribed', r));
      s.subscribe();
      c.connect();
      await ready;
      clients.push(c);
    }
    wireBytes = 0;
    const cpu0 = cpuSeconds(server.proc.pid);
    const t0 = performance.now();
    for (let v = 1; v <= PUBLICATIONS; v += 10) {
      const commands = [];
      for (let k = v; k < v + 10 && k <= PUBLICATIONS; k++) commands.push({ publish: { channel: CHANNEL, data: board(k), delta: true } });
      await api(server, 'batch', { commands });
    }
    const want = SUBSCRIBERS * PUBLICATIONS;
    while (received < want && performance.now() - t0 < 120_000) await new Promise((r) => setTimeout(r, 20));
    const cpu = cpuSeconds(server.proc.pid) - cpu0;
    if (received !== want || wrong) throw new Error(`${received}/${want} deliveries, ${wrong} wrong`);
    return {
      delta, deliveries: want,
      wireBytesPerDelivery: wireBytes / want,
      decodedBytesPerDelivery: decodedBytes / want,
      serverCpuMicrosPerDelivery: (cpu * 1e6) / want,
    };
  } finally {
    for (const c of clients) c.disconnect();
    await server.dispose();
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = { delta: [], full: [] };
for (let r = 0; r < ROUNDS; r++) {
  // Interleaved, so both see the same machine.
  results.full.push(await run(false));
  results.delta.push(await run(true));
}
const summary = (runs) => ({
  wireBytesPerDelivery: median(runs.map((x) => x.wireBytesPerDelivery)),
  decodedBytesPerDelivery: median(runs.map((x) => x.decodedBytesPerDelivery)),
  serverCpuMicrosPerDelivery: median(runs.map((x) => x.serverCpuMicrosPerDelivery)),
  serverCpuMicrosRange: [Math.min(...runs.map((x) => x.serverCpuMicrosPerDelivery)), Math.max(...runs.map((x) => x.serverCpuMicrosPerDelivery))],
});
const full = summary(results.full), delta = summary(results.delta);
console.log(JSON.stringify({ subscribers: SUBSCRIBERS, publications: PUBLICATIONS, rounds: ROUNDS, full, delta }, null, 2));
console.log(`\n| | bytes received per delivery | decoded | server CPU per delivery (median, range) |`);
console.log(`|---|---|---|---|`);
for (const [name, s] of [['without delta', full], ['fossil delta', delta]])
  console.log(`| ${name} | ${s.wireBytesPerDelivery.toFixed(0)} B | ${s.decodedBytesPerDelivery.toFixed(0)} B | ${s.serverCpuMicrosPerDelivery.toFixed(2)} µs (${s.serverCpuMicrosRange.map((x) => x.toFixed(2)).join('–')}) |`);
console.log(`\nbytes: ${(full.wireBytesPerDelivery / delta.wireBytesPerDelivery).toFixed(1)}x fewer with delta`);
