// History from the SDK (limit, since, reverse) and recovery of missed
// publications after a dropped connection: a cut network (a TCP proxy that
// drops every connection and refuses new ones), and kill -9 of the server
// followed by a restart on the same port and data dir.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  Proxy, apiOk, baseConfig, collect, connectClient, dec, disconnectAll, makeClient, makeToken, startHerald,
  untilCount, waitFor,
} from './herald.mjs';

const CONFIG = baseConfig() + `
[[namespace]]
name = "hist"
history_size = 100
history_ttl = "5m"
durable = true
allow_subscribe_for_client = true
allow_history_for_subscriber = true

[[namespace]]
name = "mem"
history_size = 100
history_ttl = "5m"
durable = false
allow_subscribe_for_client = true
allow_history_for_subscriber = true

[[namespace]]
name = "short"
history_size = 3
history_ttl = "5m"
durable = false
allow_subscribe_for_client = true
`;

async function publishN(server, channel, from, to) {
  const positions = [];
  for (let i = from; i <= to; i++) positions.push(await apiOk(server, 'publish', { channel, data: { i } }));
  return positions;
}

describe('history', () => {
  let server, client, sub, epoch;
  const CH = 'hist:ten';
  before(async () => {
    server = await startHerald(CONFIG);
    const positions = await publishN(server, CH, 1, 10);
    epoch = positions[0].epoch;
    client = await connectClient(server.wsUrl, { token: makeToken('reader') });
    sub = client.newSubscription(CH);
    sub.subscribe();
    await sub.ready(5000);
  });
  after(async () => { disconnectAll(); await server?.dispose(); });

  const nums = (r) => r.publications.map((p) => dec(p.data).i);
  const offsets = (r) => r.publications.map((p) => p.offset);

  test('limit: the oldest first, and the stream position', async () => {
    const r = await sub.history({ limit: 3 });
    assert.deepEqual(nums(r), [1, 2, 3]);
    assert.deepEqual(offsets(r), [1, 2, 3]);
    assert.equal(r.offset, 10);
    assert.equal(r.epoch, epoch);
  });

  test('limit 0: no publications, only the position', async () => {
    const r = await sub.history({ limit: 0 });
    assert.deepEqual(r.publications, []);
    assert.equal(r.offset, 10);
    assert.equal(r.epoch, epoch);
  });

  test('limit -1: everything', async () => {
    const r = await sub.history({ limit: -1 });
    assert.deepEqual(nums(r), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  test('reverse: the newest first', async () => {
    const r = await sub.history({ limit: 3, reverse: true });
    assert.deepEqual(nums(r), [10, 9, 8]);
  });

  test('since: the publications after a position', async () => {
    const r = await sub.history({ limit: 3, since: { offset: 4, epoch } });
    assert.deepEqual(offsets(r), [5, 6, 7]);
    const all = await sub.history({ limit: -1, since: { offset: 8, epoch } });
    assert.deepEqual(offsets(all), [9, 10]);
    const none = await sub.history({ limit: 10, since: { offset: 10, epoch } });
    assert.deepEqual(none.publications, []);
  });

  test('since with reverse: the publications before a position, newest first', async () => {
    const r = await sub.history({ limit: 2, since: { offset: 5, epoch }, reverse: true });
    assert.deepEqual(offsets(r), [4, 3]);
  });

  test('since with another epoch: error 112 unrecoverable position', async () => {
    await assert.rejects(sub.history({ limit: 3, since: { offset: 1, epoch: 'not-the-epoch' } }),
      (err) => { assert.equal(err.code, 112, JSON.stringify(err)); return true; });
  });

  test('a subscription with since (and recoverable): recovers the publications after that position', async () => {
    // As in Centrifugo, a position alone does not make a subscription
    // recoverable: the client asks with recoverable (or force_recovery).
    const other = await connectClient(server.wsUrl, { token: makeToken('reader2') });
    const s = other.newSubscription(CH, { since: { offset: 7, epoch }, recoverable: true });
    const got = collect(s, 'publication');
    s.subscribe();
    const ctx = await waitFor(s, 'subscribed');
    assert.equal(ctx.wasRecovering, true);
    assert.equal(ctx.recovered, true);
    await untilCount(got, 3, 'recovered publications');
    assert.deepEqual(got.map((p) => p.offset), [8, 9, 10]);
    other.disconnect();
  });

  test('getState: a position the server cannot recover is refused with 112, and the SDK loads the state again', async () => {
    // The SDK sends the "reject if not recovered" flag with getState; the
    // first state it loads names an epoch the channel never had.
    const other = await connectClient(server.wsUrl, { token: makeToken('reader3') });
    const loaded = [];
    const s = other.newSubscription(CH, {
      recoverable: true,
      getState: async () => {
        loaded.push(loaded.length === 0 ? { offset: 4, epoch: 'an-epoch-long-gone' } : { offset: 8, epoch });
        return loaded.at(-1);
      },
    });
    const got = collect(s, 'publication');
    s.subscribe();
    const ctx = await waitFor(s, 'subscribed');
    assert.equal(loaded.length, 2, 'getState was called again after the 112');
    assert.equal(ctx.recovered, true);
    await untilCount(got, 2, 'recovered publications');
    assert.deepEqual(got.map((p) => p.offset), [9, 10]);
    other.disconnect();
  });

  test('positioned: true gives the stream position', async () => {
    const s = client.newSubscription('hist:positioned', { positioned: true });
    s.subscribe();
    const ctx = await waitFor(s, 'subscribed');
    assert.equal(ctx.positioned, true);
    assert.equal(ctx.streamPosition?.offset, 0);
    assert.ok(ctx.streamPosition?.epoch, 'an epoch');
    client.removeSubscription(s);
  });

  test('the HTTP API history agrees with the SDK', async () => {
    const r = await apiOk(server, 'history', { channel: CH, limit: 2, reverse: true });
    assert.deepEqual(r.publications.map((p) => p.data.i), [10, 9]);
    assert.equal(r.offset, 10);
    assert.equal(r.epoch, epoch);
  });
});

describe('recovery', () => {
  let server, proxy;
  before(async () => {
    server = await startHerald(CONFIG);
    proxy = await new Proxy(server).start();
  });
  after(async () => { disconnectAll(); await proxy?.close(); await server?.dispose(); });

  // Subscribes through the proxy, receives `before` live publications, then
  // cuts the network, publishes `missed` more through the API, and lets the
  // client back. Returns what the subscription saw after the cut.
  async function dropAndMiss(channel, { before: nBefore, missed, restart = false, recoverable = true }) {
    const c = await connectClient(proxy.wsUrl, { token: makeToken('rec') });
    const s = c.newSubscription(channel, { recoverable });
    const live = collect(s, 'publication');
    s.subscribe();
    const first = await waitFor(s, 'subscribed');
    await publishN(server, channel, 1, nBefore);
    await untilCount(live, nBefore, 'live publications');

    const connecting = waitFor(c, 'connecting');
    const subscribing = waitFor(s, 'subscribing');
    proxy.block();
    if (restart) await server.kill9();
    proxy.drop();
    await connecting;
    await subscribing;
    if (restart) await server.restart();
    live.length = 0;
    const positions = await publishN(server, channel, nBefore + 1, nBefore + missed);
    const resubscribed = waitFor(s, 'subscribed', { timeout: 10000 });
    proxy.unblock();
    const ctx = await resubscribed;
    return { c, s, first, ctx, live, positions };
  }

  test('a cut network: recovered true, exactly the missed publications in order', async () => {
    const ch = 'mem:cut';
    const { s, first, ctx, live, positions } = await dropAndMiss(ch, { before: 3, missed: 5 });
    assert.equal(first.recoverable, true);
    assert.equal(ctx.wasRecovering, true, 'wasRecovering');
    assert.equal(ctx.recovered, true, `recovered: ${JSON.stringify(ctx)}`);
    assert.equal(ctx.streamPosition?.epoch, positions[0].epoch, 'same epoch');
    await untilCount(live, 5, 'recovered publications');
    assert.deepEqual(live.map((p) => dec(p.data).i), [4, 5, 6, 7, 8]);
    assert.deepEqual(live.map((p) => p.offset), [4, 5, 6, 7, 8]);
    // Live again, and nothing delivered twice.
    await apiOk(server, 'publish', { channel: ch, data: { i: 9 } });
    await untilCount(live, 6, 'publications');
    await new Promise((r) => setTimeout(r, 150));
    assert.deepEqual(live.map((p) => dec(p.data).i), [4, 5, 6, 7, 8, 9]);
    assert.equal(s.state, 'subscribed');
  });

  test('a cut network with nothing missed: recovered true, no publications', async () => {
    const { ctx, live } = await dropAndMiss('mem:nothing', { before: 2, missed: 0 });
    assert.equal(ctx.recovered, true);
    await new Promise((r) => setTimeout(r, 150));
    assert.deepEqual(live, []);
  });

  test('kill -9 and restart: durable history is recovered with the same epoch', async () => {
    const ch = 'hist:crash';
    const { ctx, live, first, positions } = await dropAndMiss(ch, { before: 2, missed: 4, restart: true });
    assert.equal(positions[0].offset, 3, `offsets continue after the restart: ${JSON.stringify(positions)}`);
    assert.equal(positions[0].epoch, first.streamPosition.epoch, 'epoch survives the restart');
    assert.equal(ctx.wasRecovering, true);
    assert.equal(ctx.recovered, true, `recovered: ${JSON.stringify(ctx)}`);
    await untilCount(live, 4, 'recovered publications');
    await new Promise((r) => setTimeout(r, 150));
    assert.deepEqual(live.map((p) => dec(p.data).i), [3, 4, 5, 6]);
    assert.deepEqual(live.map((p) => p.offset), [3, 4, 5, 6]);
  });

  test('kill -9 and restart with history in memory: a new epoch, recovered false', async () => {
    const { ctx, first, positions, s } = await dropAndMiss('mem:crash', { before: 2, missed: 2, restart: true });
    assert.notEqual(positions[0].epoch, first.streamPosition.epoch, 'memory history starts a new epoch');
    assert.equal(ctx.wasRecovering, true);
    assert.equal(ctx.recovered, false, `recovered: ${JSON.stringify(ctx)}`);
    assert.equal(ctx.streamPosition?.epoch, positions[0].epoch, 'the SDK is told the new epoch');
    assert.equal(s.state, 'subscribed');
  });

  test('more missed than history keeps: wasRecovering true, recovered false', async () => {
    const { ctx, s } = await dropAndMiss('short:gap', { before: 1, missed: 6 });
    assert.equal(ctx.wasRecovering, true);
    assert.equal(ctx.recovered, false, `recovered: ${JSON.stringify(ctx)}`);
    assert.equal(s.state, 'subscribed');
  });

  test('server-side subscriptions are recovered on reconnect too', async () => {
    const ch = 'mem:server-side';
    const c = makeClient(proxy.wsUrl, { token: makeToken('srvrec', { channels: [ch] }) });
    const pubs = collect(c, 'publication');
    const subscribed = collect(c, 'subscribed');
    const connected = waitFor(c, 'connected');
    c.connect();
    await connected;
    await untilCount(subscribed, 1, 'subscribed events');
    await publishN(server, ch, 1, 2);
    await untilCount(pubs, 2, 'live publications');

    const connecting = waitFor(c, 'connecting');
    proxy.block();
    proxy.drop();
    await connecting;
    pubs.length = 0;
    await publishN(server, ch, 3, 5);
    const reconnected = waitFor(c, 'connected', { timeout: 10000 });
    proxy.unblock();
    await reconnected;
    await untilCount(subscribed, 2, 'subscribed events');
    const ctx = subscribed[1];
    assert.equal(ctx.channel, ch);
    assert.equal(ctx.wasRecovering, true, `wasRecovering: ${JSON.stringify(ctx)}`);
    assert.equal(ctx.recovered, true, `recovered: ${JSON.stringify(ctx)}`);
    await untilCount(pubs, 3, 'recovered publications');
    await new Promise((r) => setTimeout(r, 150));
    assert.deepEqual(pubs.map((p) => dec(p.data).i), [3, 4, 5]);
  });
});
