// Load driver for the Socket.IO peer (server.mjs), measuring what
// `herald bench fanout` and `herald bench idle --protocol centrifugo` measure
// against herald serve and Centrifugo, with Socket.IO's own client.
//
//   node load.mjs fanout --url http://127.0.0.1:PORT -c 1000 --size 32 --rate 0 --inflight 8 \
//                        -d 5 --warmup 1 [--publishers 1] [--server-pid PID] [--json]
//   node load.mjs idle   --url http://127.0.0.1:PORT -c 10000 -d 2 [--server-pid PID] [--json]
//
// Every client is a socket.io-client Socket on its own Manager (forceNew),
// WebSocket transport only, no reconnection. A subscriber emits
// "subscribe" (channel) and counts as connected once that is acknowledged;
// --concurrency connections are in the making at once.
//
// fanout, as herald bench does it (src/loadgen/scenario_fanout.cpp):
// - a publication's data is the same document herald bench publishes,
//   {"h":"<hex of [u32 publisher][u64 sequence][u64 send time, ns]>","p":"xxx…"}
//   with --size - 20 bytes of "x", sent as "publish" (channel, data);
// - each subscriber expects each publisher's sequence numbers in order:
//   a gap counts out of order and its size missing, a lower one a duplicate,
//   and what a subscriber never got by the end is missing too;
// - latency is publisher send to subscriber receive, one clock (one process);
// - --rate 0: a publisher keeps at most --inflight publications not yet seen
//   by its pacer (the subscriber whose subscription was acknowledged first,
//   so the first of the room's members); --rate R: R/s on a 1 ms tick,
//   forgiving a backlog of more than 100 ms;
// - --warmup seconds of traffic, then --duration measured; then publishing
//   stops and subscribers get up to 5 s to receive the rest.
// With --server-pid, the server's CPU (utime+stime from /proc/PID/stat) over
// the measured window, per million deliveries, and its RSS (VmRSS).
//
// idle: open -c subscribed clients and hold them --duration seconds. With
// --server-pid, the growth of the server's RSS from before the first connect
// to when all are subscribed, per client (as herald bench idle reports it).
//
// Output: a summary on stderr, or with --json one JSON document on stdout
// with herald bench's field names (metrics.delivered_per_second,
// metrics.server_cpu_seconds_per_million_deliveries, latency.p99_us, ok, …).
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { io } from 'socket.io-client';

const kHeaderBytes = 20;

function parseArgs(argv) {
  const o = {
    scenario: argv[0], url: 'http://127.0.0.1:3000', connections: 100, size: 64, inflight: 1, duration: 10,
    warmup: 2, rate: 1000, publishers: 1, concurrency: 100, channel: 'bench', serverPid: 0, json: false,
  };
  const names = {
    '--url': 'url', '-c': 'connections', '--connections': 'connections', '-s': 'size', '--size': 'size',
    '--inflight': 'inflight', '-d': 'duration', '--duration': 'duration', '--warmup': 'warmup', '--rate': 'rate',
    '--publishers': 'publishers', '--concurrency': 'concurrency', '--channel': 'channel', '--server-pid': 'serverPid',
  };
  for (let i = 1; i < argv.length; ++i) {
    const a = argv[i];
    if (a === '--json') { o.json = true; continue; }
    const key = names[a];
    if (!key || i + 1 >= argv.length) usage(`unknown or incomplete option ${a}`);
    const v = argv[++i];
    o[key] = key === 'url' || key === 'channel' ? v : Number(v);
    if (typeof o[key] === 'number' && !Number.isFinite(o[key])) usage(`${a} needs a number`);
  }
  if (o.scenario !== 'fanout' && o.scenario !== 'idle') usage('scenario: fanout or idle');
  if (o.size < kHeaderBytes) usage(`--size is at least ${kHeaderBytes}`);
  return o;
}

function usage(why) {
  console.error(`load.mjs: ${why}\nusage: node load.mjs fanout|idle --url http://127.0.0.1:PORT [options] (see the header)`);
  process.exit(2);
}

const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

// {cpuSeconds, rssBytes, wall} of a process from /proc, or null.
function sampleProcess(pid) {
  if (!pid) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state); utime is field 14, stime 15.
    const ticks = Number(fields[11]) + Number(fields[12]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(status)[1]);
    return { cpuSeconds: ticks / ticksPerSecond, rssBytes: rssKiB * 1024, wall: performance.now() / 1000 };
  } catch {
    return null;
  }
}

// A Socket.IO client subscribed to `channel`; resolves to the socket or rejects.
function openClient(o, onPub) {
  return new Promise((resolve, reject) => {
    const socket = io(o.url, {
      transports: ['websocket'], forceNew: true, reconnection: false, timeout: 20000,
    });
    if (onPub) socket.on('pub', (data) => onPub(socket, data));
    socket.once('connect_error', (err) => reject(new Error(`connect_error: ${err.message}`)));
    socket.once('connect', () => {
      if (!onPub) return resolve(socket);  // a publisher does not subscribe
      socket.emit('subscribe', o.channel, (ok) => (ok ? resolve(socket) : reject(new Error('subscribe refused'))));
    });
  });
}

// Opens `count` clients, `concurrency` at a time; returns {sockets, failed, errors, seconds}.
async function openAll(o, count, onPub) {
  const sockets = [];
  const errors = {};
  let failed = 0, next = 0;
  const t0 = performance.now();
  async function lane() {
    while (next < count) {
      ++next;
      try {
        sockets.push(await openClient(o, onPub));
      } catch (err) {
        ++failed;
        errors[err.message] = (errors[err.message] || 0) + 1;
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(o.concurrency, count) }, lane));
  return { sockets, failed, errors, seconds: (performance.now() - t0) / 1000 };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function percentile(sorted, q) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

class Samples {
  constructor() { this.a = new Float64Array(1 << 20); this.n = 0; }
  push(v) {
    if (this.n === this.a.length) {
      const b = new Float64Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = v;
  }
  summary(what) {
    const s = this.a.subarray(0, this.n).sort();
    let sum = 0;
    for (let i = 0; i < s.length; ++i) sum += s[i];
    return {
      what, count: s.length, min_us: s.length ? s[0] : null, p50_us: percentile(s, 0.5), p90_us: percentile(s, 0.9),
      p99_us: percentile(s, 0.99), p99_9_us: percentile(s, 0.999), max_us: s.length ? s[s.length - 1] : null,
      mean_us: s.length ? sum / s.length : null,
    };
  }
}

async function fanout(o) {
  const pad = 'x'.repeat(o.size - kHeaderBytes);
  const header = Buffer.alloc(kHeaderBytes);
  const stats = {
    sent: 0, received: 0, bytes: 0, missing: 0, duplicates: 0, outOfOrder: 0, corrupt: 0,
    windowSent: 0, windowReceived: 0,
  };
  const latency = new Samples();
  let recording = false, sending = false;
  const pubs = [];
  const nextOf = new Map();  // subscriber socket -> per-publisher next expected sequence
  let pacer = null;

  const onPub = (socket, data) => {
    const now = performance.now();
    let next = nextOf.get(socket);
    if (!next) return;  // before its subscription was acknowledged: cannot happen in this server
    if (!data || typeof data.h !== 'string' || data.h.length !== 2 * kHeaderBytes || data.p !== pad) {
      ++stats.corrupt;
      return;
    }
    const h = Buffer.from(data.h, 'hex');
    const id = h.readUInt32LE(0);
    const seq = h.readUInt32LE(4) + h.readUInt32LE(8) * 4294967296;
    const sentAtNs = h.readUInt32LE(12) + h.readUInt32LE(16) * 4294967296;
    if (id >= o.publishers) {
      ++stats.corrupt;
      return;
    }
    if (seq === next[id]) {
      ++next[id];
    } else if (seq > next[id]) {
      ++stats.outOfOrder;
      stats.missing += seq - next[id];
      next[id] = seq + 1;
    } else {
      ++stats.duplicates;
    }
    ++stats.received;
    stats.bytes += o.size;
    if (recording) {
      ++stats.windowReceived;
      latency.push(now * 1000 - sentAtNs / 1000);
    }
    if (socket === pacer && o.rate === 0) pump(pubs[id]);
  };

  function sendOne(p) {
    const nowNs = Math.round(performance.now() * 1e6);
    header.writeUInt32LE(p.id, 0);
    header.writeUInt32LE(p.nextSeq % 4294967296, 4);
    header.writeUInt32LE(Math.floor(p.nextSeq / 4294967296), 8);
    header.writeUInt32LE(nowNs % 4294967296, 12);
    header.writeUInt32LE(Math.floor(nowNs / 4294967296), 16);
    p.socket.emit('publish', o.channel, { h: header.toString('hex'), p: pad }, () => {});
    ++p.nextSeq;
    ++p.sentOnSchedule;
    ++stats.sent;
    if (recording) ++stats.windowSent;
  }

  function pump(p) {
    if (!sending || !p) return;
    if (o.rate > 0) {
      const now = performance.now();
      let due = Math.floor((now - p.scheduleStart) * o.rate / 1000);
      if (due > p.sentOnSchedule + Math.floor(o.rate / 10) + 1) {
        p.scheduleStart = now;  // more than 100 ms behind: start again from now
        p.sentOnSchedule = 0;
        due = 1;
      }
      while (p.sentOnSchedule < due) sendOne(p);
    } else if (pacer) {
      const seen = nextOf.get(pacer)[p.id];
      while (p.nextSeq - seen < o.inflight) sendOne(p);
    }
  }

  const subs = await openAll(o, o.connections, (socket, data) => onPub(socket, data));
  // openAll resolves each socket once subscribed; register them in that order.
  for (const s of subs.sockets) nextOf.set(s, new Array(o.publishers).fill(0));
  pacer = subs.sockets[0] || null;
  // Deliveries that arrive before a socket is in nextOf are impossible: nothing is published yet.
  const pubOpen = await openAll({ ...o, concurrency: o.publishers }, o.publishers, null);
  pubOpen.sockets.forEach((socket, id) => pubs.push({ id, socket, nextSeq: 0, sentOnSchedule: 0, scheduleStart: 0 }));
  const connectSeconds = subs.seconds + pubOpen.seconds;

  sending = true;
  for (const p of pubs) {
    p.scheduleStart = performance.now();
    pump(p);
  }
  const ticker = setInterval(() => pubs.forEach(pump), 1);
  await sleep(o.warmup * 1000);
  recording = true;
  const w0 = sampleProcess(o.serverPid);
  const t0 = performance.now();
  await sleep(o.duration * 1000);
  const w1 = sampleProcess(o.serverPid);
  const measured = (performance.now() - t0) / 1000;
  recording = false;
  sending = false;
  clearInterval(ticker);
  const finalSent = pubs.map((p) => p.nextSeq);
  const drainDeadline = performance.now() + 5000;
  const behind = () => [...nextOf.values()].some((next) => next.some((n, id) => n < finalSent[id]));
  while (behind() && performance.now() < drainDeadline) await sleep(20);
  for (const next of nextOf.values()) next.forEach((n, id) => { if (n < finalSent[id]) stats.missing += finalSent[id] - n; });

  const metrics = {
    publishers_connected: pubs.length,
    subscribers_connected: subs.sockets.length,
    connect_seconds: round(connectSeconds, 2),
    measured_seconds: round(measured, 2),
    published_per_second: Math.round(stats.windowSent / measured),
    delivered_per_second: Math.round(stats.windowReceived / measured),
    messages_published: stats.sent,
    deliveries_checked: stats.received,
    missing: stats.missing,
    duplicates: stats.duplicates,
    out_of_order: stats.outOfOrder,
    corrupt: stats.corrupt,
  };
  if (w0 && w1) {
    const cpu = w1.cpuSeconds - w0.cpuSeconds;
    metrics.server_cpu_seconds = round(cpu, 2);
    metrics.server_cpu_percent = round(100 * cpu / (w1.wall - w0.wall), 1);
    if (stats.windowReceived) metrics.server_cpu_seconds_per_million_deliveries = round(cpu / stats.windowReceived * 1e6, 3);
    metrics.server_rss_mib = round(w1.rssBytes / 1048576, 1);
  }
  const failures = [];
  const check = (n, what) => { if (n) failures.push(`${n} ${what}`); };
  check(stats.missing, 'messages missing at subscribers');
  check(stats.duplicates, 'duplicate deliveries');
  check(stats.outOfOrder, 'deliveries out of order (gaps)');
  check(stats.corrupt, 'corrupt deliveries');
  if (subs.sockets.length < o.connections)
    failures.push(`only ${subs.sockets.length} of ${o.connections} subscribers connected`);
  if (pubs.length < o.publishers) failures.push(`only ${pubs.length} of ${o.publishers} publishers connected`);
  const report = {
    scenario: 'fanout', url: o.url, client: 'socket.io-client (websocket transport)',
    settings: { publishers: o.publishers, subscribers: o.connections, rate: o.rate, size: o.size, inflight: o.inflight,
      concurrency: o.concurrency, duration: o.duration, warmup: o.warmup, channel: o.channel },
    metrics, latency: latency.summary('end to end (publisher send to subscriber receive)'),
    errors: { ...subs.errors, ...pubOpen.errors }, failures, ok: failures.length === 0,
  };
  for (const s of [...subs.sockets, ...pubOpen.sockets]) s.disconnect();
  return report;
}

async function idle(o) {
  const before = sampleProcess(o.serverPid);
  const clientBefore = process.memoryUsage().rss;
  const opened = await openAll(o, o.connections, () => {});
  const ready = sampleProcess(o.serverPid);
  const clientReady = process.memoryUsage().rss;
  let closed = 0;
  for (const s of opened.sockets) s.on('disconnect', () => ++closed);
  const t0 = performance.now();
  await sleep(o.duration * 1000);
  const end = sampleProcess(o.serverPid);
  const n = opened.sockets.length;
  const metrics = {
    connections_opened: n,
    connections_failed: opened.failed,
    connect_seconds: round(opened.seconds, 2),
    connections_per_second: Math.round(n / opened.seconds),
    held_seconds: round((performance.now() - t0) / 1000, 2),
    connections_open_at_end: n - closed,
  };
  if (before && ready && n) {
    metrics.server_rss_before_mib = round(before.rssBytes / 1048576, 1);
    metrics.server_rss_open_mib = round(ready.rssBytes / 1048576, 1);
    metrics.server_rss_bytes_per_connection = Math.round((ready.rssBytes - before.rssBytes) / n);
    metrics.server_cpu_connecting_seconds = round(ready.cpuSeconds - before.cpuSeconds, 2);
  }
  if (ready && end) {
    metrics.server_cpu_holding_seconds = round(end.cpuSeconds - ready.cpuSeconds, 2);
    metrics.server_rss_end_mib = round(end.rssBytes / 1048576, 1);
  }
  if (n) metrics.client_rss_bytes_per_connection = Math.round((clientReady - clientBefore) / n);
  const failures = [];
  if (n < o.connections) failures.push(`only ${n} of ${o.connections} connections opened`);
  if (closed) failures.push(`${closed} connections closed while held`);
  for (const s of opened.sockets) s.disconnect();
  return {
    scenario: 'idle', url: o.url, client: 'socket.io-client (websocket transport)',
    settings: { connections: o.connections, concurrency: o.concurrency, duration: o.duration, channel: o.channel },
    metrics, errors: opened.errors, failures, ok: failures.length === 0,
  };
}

function round(v, digits) {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

const o = parseArgs(process.argv.slice(2));
const report = o.scenario === 'fanout' ? await fanout(o) : await idle(o);
if (o.json) {
  process.stdout.write(JSON.stringify(report) + '\n');
} else {
  console.error(JSON.stringify(report, null, 2));
}
process.exit(report.ok ? 0 : 1);
