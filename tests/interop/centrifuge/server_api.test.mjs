// The HTTP server API acting on SDK clients: publish, broadcast, subscribe,
// unsubscribe, disconnect (terminal and with a reconnect code), refresh, and
// the read methods agreeing with what the SDK did.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  api, apiOk, baseConfig, collect, connectClient, dec, disconnectAll, makeToken, startHerald, until, untilCount,
  waitFor,
} from './herald.mjs';

const CONFIG = baseConfig() + `
[channel]
presence = true
allow_subscribe_for_client = true

[[namespace]]
name = "hist"
presence = true
history_size = 50
history_ttl = "5m"
durable = false
allow_subscribe_for_client = true
`;

describe('server API', () => {
  let server;
  before(async () => { server = await startHerald(CONFIG); });
  after(async () => { disconnectAll(); await server?.dispose(); });

  test('a wrong API key is refused with HTTP 401 and error 101', async () => {
    const r = await api(server, 'publish', { channel: 'x', data: 1 }, { key: 'wrong' });
    assert.equal(r.status, 401);
    assert.equal(r.body.error?.code, 101);
  });

  test('broadcast reaches subscribers of each channel', async () => {
    const c = await connectClient(server.wsUrl, { token: makeToken('bc') });
    const s1 = c.newSubscription('bc-1');
    const s2 = c.newSubscription('hist:bc-2');
    const got1 = collect(s1, 'publication');
    const got2 = collect(s2, 'publication');
    s1.subscribe();
    s2.subscribe();
    await Promise.all([s1.ready(5000), s2.ready(5000)]);
    const r = await apiOk(server, 'broadcast', { channels: ['bc-1', 'hist:bc-2'], data: { all: true } });
    assert.equal(r.responses.length, 2);
    await untilCount(got1, 1, 'publications on bc-1');
    await untilCount(got2, 1, 'publications on hist:bc-2');
    assert.deepEqual(dec(got1[0].data), { all: true });
    assert.equal(got2[0].offset, 1);
  });

  test('subscribe: a server-side subscription appears on the Centrifuge object and delivers', async () => {
    const c = await connectClient(server.wsUrl, { token: makeToken('apisub') });
    const subscribed = waitFor(c, 'subscribed', { pred: (ctx) => ctx.channel === 'hist:pushed' });
    const pubs = collect(c, 'publication');
    await apiOk(server, 'subscribe', { user: 'apisub', channel: 'hist:pushed' });
    const ctx = await subscribed;
    assert.equal(ctx.channel, 'hist:pushed');
    await apiOk(server, 'publish', { channel: 'hist:pushed', data: 'to-server-side' });
    await untilCount(pubs, 1, 'publications');
    assert.equal(pubs[0].channel, 'hist:pushed');
    assert.equal(dec(pubs[0].data), 'to-server-side');
    assert.equal((await apiOk(server, 'presence_stats', { channel: 'hist:pushed' })).num_clients, 1);

    // And the API unsubscribe ends it: 'unsubscribed' on the Centrifuge object.
    const unsubscribed = waitFor(c, 'unsubscribed', { pred: (u) => u.channel === 'hist:pushed' });
    await apiOk(server, 'unsubscribe', { user: 'apisub', channel: 'hist:pushed' });
    await unsubscribed;
    await until(async () => (await apiOk(server, 'presence_stats', { channel: 'hist:pushed' })).num_clients === 0,
      { what: 'presence 0 after the API unsubscribe' });
  });

  test('subscribe to one client of a user only', async () => {
    const a = await connectClient(server.wsUrl, { token: makeToken('two') });
    const b = await connectClient(server.wsUrl, { token: makeToken('two') });
    const atB = collect(b, 'subscribed');
    const atA = waitFor(a, 'subscribed');
    await apiOk(server, 'subscribe', { user: 'two', client: a.connectedCtx.client, channel: 'just-a' });
    assert.equal((await atA).channel, 'just-a');
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(atB, []);
  });

  test('unsubscribe: a client-side subscription ends with code 2000 and is not resubscribed', async () => {
    const c = await connectClient(server.wsUrl, { token: makeToken('kick') });
    const s = c.newSubscription('kick-room');
    s.subscribe();
    await s.ready(5000);
    const unsubscribed = waitFor(s, 'unsubscribed');
    await apiOk(server, 'unsubscribe', { user: 'kick', channel: 'kick-room' });
    const ctx = await unsubscribed;
    assert.equal(ctx.code, 2000, `unsubscribed code ${ctx.code} (${ctx.reason})`);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(s.state, 'unsubscribed');
    assert.equal(c.state, 'connected');
    assert.equal((await apiOk(server, 'presence_stats', { channel: 'kick-room' })).num_clients, 0);
  });

  test('disconnect: default code 3503, the SDK does not reconnect', async () => {
    const c = await connectClient(server.wsUrl, { token: makeToken('bye') });
    const disconnected = waitFor(c, 'disconnected');
    await apiOk(server, 'disconnect', { user: 'bye' });
    const ctx = await disconnected;
    assert.equal(ctx.code, 3503, `disconnected code ${ctx.code} (${ctx.reason})`);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(c.state, 'disconnected');
  });

  test('disconnect with a terminal application code (4501) and reason', async () => {
    const c = await connectClient(server.wsUrl, { token: makeToken('bye2') });
    const disconnected = waitFor(c, 'disconnected');
    await apiOk(server, 'disconnect', { user: 'bye2', disconnect: { code: 4501, reason: 'banned' } });
    const ctx = await disconnected;
    assert.equal(ctx.code, 4501);
    assert.equal(ctx.reason, 'banned');
  });

  test('disconnect with 3011 force reconnect: the SDK reconnects and resubscribes', async () => {
    const c = await connectClient(server.wsUrl, { token: makeToken('again') });
    const s = c.newSubscription('hist:again', { recoverable: true });
    const got = collect(s, 'publication');
    s.subscribe();
    await s.ready(5000);
    await apiOk(server, 'publish', { channel: 'hist:again', data: 1 });
    await untilCount(got, 1, 'publications');
    const firstClient = c.connectedCtx.client;
    const connecting = waitFor(c, 'connecting');
    const reconnected = waitFor(c, 'connected', { timeout: 10000 });
    const resubscribed = waitFor(s, 'subscribed', { timeout: 10000 });
    await apiOk(server, 'disconnect', { user: 'again', disconnect: { code: 3011, reason: 'force reconnect' } });
    const ctx = await connecting;
    assert.equal(ctx.code, 3011, `connecting code ${ctx.code} (${ctx.reason})`);
    const again = await reconnected;
    assert.notEqual(again.client, firstClient, 'a new connection');
    const sub = await resubscribed;
    assert.equal(sub.wasRecovering, true);
    assert.equal(sub.recovered, true);
    await apiOk(server, 'publish', { channel: 'hist:again', data: 2 });
    await untilCount(got, 2, 'publications');
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(got.map((p) => dec(p.data)), [1, 2]);
  });

  test('disconnect of one client leaves the other connection of the user', async () => {
    const a = await connectClient(server.wsUrl, { token: makeToken('pair') });
    const b = await connectClient(server.wsUrl, { token: makeToken('pair') });
    const bDrop = collect(b, 'disconnected');
    const aGone = waitFor(a, 'disconnected');
    await apiOk(server, 'disconnect', { user: 'pair', client: a.connectedCtx.client });
    await aGone;
    await new Promise((r) => setTimeout(r, 150));
    assert.deepEqual(bDrop, []);
    assert.equal(b.state, 'connected');
  });

  test('presence, presence_stats, history and channels reflect the SDK clients', async () => {
    const c = await connectClient(server.wsUrl, { token: makeToken('seen') });
    const s = c.newSubscription('hist:seen');
    s.subscribe();
    await s.ready(5000);
    await apiOk(server, 'publish', { channel: 'hist:seen', data: { x: 1 } });
    const presence = await apiOk(server, 'presence', { channel: 'hist:seen' });
    assert.equal(presence.presence[c.connectedCtx.client]?.user, 'seen');
    assert.deepEqual(await apiOk(server, 'presence_stats', { channel: 'hist:seen' }), { num_clients: 1, num_users: 1 });
    const history = await apiOk(server, 'history', { channel: 'hist:seen', limit: 10 });
    assert.deepEqual(history.publications.map((p) => p.data), [{ x: 1 }]);
    const channels = await apiOk(server, 'channels', { pattern: 'hist:seen' });
    assert.equal(channels.channels['hist:seen']?.num_clients, 1, JSON.stringify(channels));
  });
});
