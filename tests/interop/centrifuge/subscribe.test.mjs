// Subscriptions from the SDK: subscribe, unsubscribe (also in quick loops),
// publications from another client and from the HTTP API, and server-side
// subscriptions from the token's `channels` claim.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  apiOk, baseConfig, collect, connectClient, dec, disconnectAll, enc, makeClient, makeToken, startHerald, until,
  untilCount, waitFor,
} from './herald.mjs';

const CONFIG = baseConfig() + `
[channel]
presence = true
allow_subscribe_for_client = true
allow_subscribe_for_anonymous = true
allow_publish_for_subscriber = true
allow_presence_for_subscriber = true

[[namespace]]
name = "feed"
presence = true
history_size = 100
history_ttl = "5m"
durable = false
allow_subscribe_for_client = true
`;

const stats = (server, channel) => apiOk(server, 'presence_stats', { channel });

describe('subscribe', () => {
  let server;
  before(async () => { server = await startHerald(CONFIG); });
  after(async () => { disconnectAll(); await server?.dispose(); });

  test('publish from one client is received by another', async () => {
    const a = await connectClient(server.wsUrl, { token: makeToken('ann') });
    const b = await connectClient(server.wsUrl, { token: makeToken('ben') });
    const subA = a.newSubscription('room1');
    const subB = b.newSubscription('room1');
    const gotA = collect(subA, 'publication');
    const gotB = collect(subB, 'publication');
    subA.subscribe();
    subB.subscribe();
    await Promise.all([subA.ready(5000), subB.ready(5000)]);

    await subA.publish(enc({ text: 'hello', n: 1 }));
    await untilCount(gotB, 1, 'publications at ben');
    assert.deepEqual(dec(gotB[0].data), { text: 'hello', n: 1 });
    assert.equal(gotB[0].channel, 'room1');
    assert.equal(gotB[0].info?.user, 'ann', 'publication info names the publisher');
    assert.equal(gotB[0].info?.client, a.connectedCtx.client);
    // The publisher receives its own publication too, once.
    await untilCount(gotA, 1, 'publications at ann');
    // Client.publish (not through the Subscription) works the same.
    await b.publish('room1', enc('plain string'));
    await untilCount(gotA, 2, 'publications at ann');
    assert.equal(dec(gotA[1].data), 'plain string');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(gotA.length, 2, 'no duplicates');
    assert.equal(gotB.length, 2, 'no duplicates');
  });

  test('a publication through POST /api/publish reaches every SDK subscriber', async () => {
    const subs = [];
    for (const user of ['u1', 'u2', '']) {
      const c = await connectClient(server.wsUrl, user ? { token: makeToken(user) } : {});
      const s = c.newSubscription('news');
      s.got = collect(s, 'publication');
      s.subscribe();
      subs.push(s);
    }
    await Promise.all(subs.map((s) => s.ready(5000)));
    const result = await apiOk(server, 'publish', { channel: 'news', data: { headline: 'extra' }, tags: { k: 'v' } });
    assert.equal(typeof result, 'object');
    for (const s of subs) {
      await untilCount(s.got, 1, 'publications');
      assert.deepEqual(dec(s.got[0].data), { headline: 'extra' });
      assert.deepEqual(s.got[0].tags, { k: 'v' });
      assert.equal(s.got[0].info, undefined, 'no publisher info for an API publication');
    }
  });

  test('publications on a history channel carry increasing offsets', async () => {
    const c = await connectClient(server.wsUrl, { token: makeToken('olga') });
    const s = c.newSubscription('feed:offsets');
    const got = collect(s, 'publication');
    s.subscribe();
    await s.ready(5000);
    for (let i = 1; i <= 3; i++) {
      const r = await apiOk(server, 'publish', { channel: 'feed:offsets', data: { i } });
      assert.equal(r.offset, i, `API publish result ${JSON.stringify(r)}`);
      assert.ok(r.epoch, 'API publish result has an epoch');
    }
    await untilCount(got, 3, 'publications');
    assert.deepEqual(got.map((p) => [dec(p.data).i, p.offset]), [[1, 1], [2, 2], [3, 3]]);
  });

  test('unsubscribe stops the publications and the presence entry', async () => {
    const c = await connectClient(server.wsUrl, { token: makeToken('uma') });
    const s = c.newSubscription('room-unsub');
    const got = collect(s, 'publication');
    s.subscribe();
    await s.ready(5000);
    assert.equal((await stats(server, 'room-unsub')).num_clients, 1);
    const unsubscribed = waitFor(s, 'unsubscribed');
    s.unsubscribe();
    const ctx = await unsubscribed;
    assert.equal(ctx.code, 0, 'code 0: unsubscribe called');
    await until(async () => (await stats(server, 'room-unsub')).num_clients === 0, { what: 'presence to drop to 0' });
    await apiOk(server, 'publish', { channel: 'room-unsub', data: 1 });
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(got.length, 0);
  });

  test('subscribe/unsubscribe 50 times without waiting ends subscribed, once', async () => {
    const c = await connectClient(server.wsUrl, { token: makeToken('quick') });
    const s = c.newSubscription('room-quick');
    const got = collect(s, 'publication');
    for (let i = 0; i < 50; i++) {
      s.subscribe();
      s.unsubscribe();
    }
    s.subscribe();
    await s.ready(5000);
    assert.equal(s.state, 'subscribed');
    await until(async () => (await stats(server, 'room-quick')).num_clients === 1, { what: 'num_clients 1' });
    const p = await stats(server, 'room-quick');
    assert.deepEqual(p, { num_clients: 1, num_users: 1 });
    await apiOk(server, 'publish', { channel: 'room-quick', data: 'once' });
    await untilCount(got, 1, 'publications');
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(got.length, 1, 'exactly one delivery: a single server-side subscription');
    assert.equal(c.state, 'connected');
    assert.equal(c.errors.length, 0, JSON.stringify(c.errors));
  });

  test('subscribe/unsubscribe 50 times, each step awaited, ends unsubscribed with presence 0', async () => {
    const c = await connectClient(server.wsUrl, { token: makeToken('steady') });
    const s = c.newSubscription('room-steady');
    let subscribedEvents = 0;
    s.on('subscribed', () => subscribedEvents++);
    for (let i = 0; i < 50; i++) {
      s.subscribe();
      await s.ready(5000);
      const unsub = waitFor(s, 'unsubscribed');
      s.unsubscribe();
      await unsub;
    }
    assert.equal(subscribedEvents, 50);
    // Unsubscribes are not answered to the app: poll the server's view.
    await until(async () => (await stats(server, 'room-steady')).num_clients === 0, { what: 'num_clients 0' });
    s.subscribe();
    await s.ready(5000);
    await until(async () => (await stats(server, 'room-steady')).num_clients === 1, { what: 'num_clients 1' });
    assert.deepEqual(await stats(server, 'room-steady'), { num_clients: 1, num_users: 1 });
    assert.equal(c.state, 'connected');
  });

  test('newSubscription/removeSubscription loops over several channels stay consistent', async () => {
    const c = await connectClient(server.wsUrl, { token: makeToken('loops') });
    for (let i = 0; i < 50; i++) {
      const ch = `loop-${i % 5}`;
      const s = c.newSubscription(ch);
      s.subscribe();
      if (i % 2) await s.ready(5000);
      c.removeSubscription(s);
    }
    const keep = c.newSubscription('loop-0');
    keep.subscribe();
    await keep.ready(5000);
    await until(async () => {
      const counts = await Promise.all([0, 1, 2, 3, 4].map(async (i) => (await stats(server, `loop-${i}`)).num_clients));
      return counts.join() === '1,0,0,0,0';
    }, { what: 'presence 1 on loop-0 and 0 elsewhere' });
    assert.equal(c.state, 'connected');
  });

  test('the same channel subscribed by two clients of one user counts one user', async () => {
    const a = await connectClient(server.wsUrl, { token: makeToken('twin') });
    const b = await connectClient(server.wsUrl, { token: makeToken('twin') });
    const sa = a.newSubscription('room-twin');
    const sb = b.newSubscription('room-twin');
    sa.subscribe();
    sb.subscribe();
    await Promise.all([sa.ready(5000), sb.ready(5000)]);
    assert.deepEqual(await stats(server, 'room-twin'), { num_clients: 2, num_users: 1 });
    b.disconnect();
    await until(async () => (await stats(server, 'room-twin')).num_clients === 1, { what: 'num_clients 1 after a disconnect' });
  });
});

describe('server-side subscriptions (token channels claim)', () => {
  let server;
  before(async () => { server = await startHerald(CONFIG); });
  after(async () => { disconnectAll(); await server?.dispose(); });

  test('subscribed and publication events on the Centrifuge object', async () => {
    const c = makeClient(server.wsUrl, { token: makeToken('srv', { channels: ['srv-a', 'feed:srv-b'] }) });
    const subscribed = collect(c, 'subscribed');
    const pubs = collect(c, 'publication');
    const connected = waitFor(c, 'connected');
    c.connect();
    await connected;
    await untilCount(subscribed, 2, 'subscribed events');
    assert.deepEqual(subscribed.map((s) => s.channel).sort(), ['feed:srv-b', 'srv-a']);
    const hist = subscribed.find((s) => s.channel === 'feed:srv-b');
    assert.equal(hist.recoverable, true, 'history channel is recoverable for server-side subs');
    assert.ok(hist.streamPosition, 'and has a stream position');

    await apiOk(server, 'publish', { channel: 'srv-a', data: { n: 1 } });
    await apiOk(server, 'publish', { channel: 'feed:srv-b', data: { n: 2 } });
    await untilCount(pubs, 2, 'publications');
    const byChannel = Object.fromEntries(pubs.map((p) => [p.channel, p]));
    assert.deepEqual(dec(byChannel['srv-a'].data), { n: 1 });
    assert.deepEqual(dec(byChannel['feed:srv-b'].data), { n: 2 });
    assert.equal(byChannel['feed:srv-b'].offset, 1);
    // The server lists the connection in both channels' presence.
    assert.equal((await stats(server, 'srv-a')).num_clients, 1);
    assert.equal((await stats(server, 'feed:srv-b')).num_clients, 1);
    // getServerSideSubscriptions... the SDK has no client-side Subscription objects.
    assert.equal(c.getSubscription('srv-a'), null);
  });

  test('a channel of an unknown namespace in the claim is skipped, the others work', async () => {
    const c = makeClient(server.wsUrl, { token: makeToken('srv2', { channels: ['nope:x', 'srv-c'] }) });
    const subscribed = collect(c, 'subscribed');
    const connected = waitFor(c, 'connected');
    c.connect();
    await connected;
    await untilCount(subscribed, 1, 'subscribed events');
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(subscribed.map((s) => s.channel), ['srv-c']);
  });
});
