// Presence, presence_stats and join/leave pushes, as the SDK sees them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  apiOk, baseConfig, collect, connectClient, dec, disconnectAll, makeToken, startHerald, until, untilCount, waitFor,
} from './herald.mjs';

const CONFIG = baseConfig() + `
[[namespace]]
name = "room"
presence = true
join_leave = true
allow_subscribe_for_client = true
allow_presence_for_subscriber = true

[[namespace]]
name = "forced"
presence = true
join_leave = true
force_push_join_leave = true
allow_subscribe_for_client = true

[[namespace]]
name = "quiet"
presence = true
allow_subscribe_for_client = true
allow_presence_for_subscriber = true
`;

// Centrifugo publishes a join after adding the subscriber, so a subscriber
// may see its own join; the tests look at the events about other clients.
function others(emitter, event, self) {
  return collect(emitter, event, (ctx) => ctx.info?.client !== self());
}

async function joined(server, user, channel, subOptions = {}, clientOptions = {}) {
  const c = await connectClient(server.wsUrl, { token: makeToken(user, clientOptions), ...clientOptions.sdk });
  const s = c.newSubscription(channel, subOptions);
  s.allJoins = collect(s, 'join');
  s.allLeaves = collect(s, 'leave');
  s.joins = others(s, 'join', () => c.connectedCtx.client);
  s.leaves = others(s, 'leave', () => c.connectedCtx.client);
  s.subscribe();
  await s.ready(5000);
  return { c, s };
}

describe('presence', () => {
  let server;
  before(async () => { server = await startHerald(CONFIG); });
  after(async () => { disconnectAll(); await server?.dispose(); });

  test('presence lists every subscriber with user, client and conn_info', async () => {
    const a = await joined(server, 'pa', 'room:p', {}, { info: { color: 'red' } });
    const b = await joined(server, 'pb', 'room:p');
    const p = await a.s.presence();
    const clients = Object.keys(p.clients).sort();
    assert.deepEqual(clients, [a.c.connectedCtx.client, b.c.connectedCtx.client].sort());
    const ia = p.clients[a.c.connectedCtx.client];
    assert.equal(ia.user, 'pa');
    assert.equal(ia.client, a.c.connectedCtx.client);
    assert.deepEqual(dec(ia.connInfo), { color: 'red' });
    assert.equal(p.clients[b.c.connectedCtx.client].user, 'pb');
    // Client.presence(channel) is the same command.
    const p2 = await b.c.presence('room:p');
    assert.deepEqual(Object.keys(p2.clients).sort(), clients);
  });

  test('presence_stats counts clients and users, and drops to 0 after unsubscribe and disconnect', async () => {
    const a = await joined(server, 'sa', 'room:s');
    const b = await joined(server, 'sb', 'room:s');
    const b2 = await joined(server, 'sb', 'room:s');
    assert.deepEqual(await a.s.presenceStats(), { numClients: 3, numUsers: 2 });

    b2.s.unsubscribe();
    await until(async () => (await a.s.presenceStats()).numClients === 2, { what: 'numClients 2 after unsubscribe' });
    assert.deepEqual(await a.s.presenceStats(), { numClients: 2, numUsers: 2 });

    b.c.disconnect();
    await until(async () => (await a.s.presenceStats()).numClients === 1, { what: 'numClients 1 after disconnect' });
    assert.deepEqual(await a.s.presenceStats(), { numClients: 1, numUsers: 1 });

    a.c.disconnect();
    await until(async () => (await apiOk(server, 'presence_stats', { channel: 'room:s' })).num_clients === 0,
      { what: 'num_clients 0 after the last disconnect' });
    assert.deepEqual(await apiOk(server, 'presence_stats', { channel: 'room:s' }), { num_clients: 0, num_users: 0 });
    assert.deepEqual((await apiOk(server, 'presence', { channel: 'room:s' })).presence, {});
  });

  test('presence of a subscriber is refused (103) once it unsubscribed', async () => {
    const a = await joined(server, 'gone', 'room:g');
    a.s.unsubscribe();
    await assert.rejects(a.c.presence('room:g'), (err) => { assert.equal(err.code, 103, JSON.stringify(err)); return true; });
  });
});

describe('join and leave', () => {
  let server;
  before(async () => { server = await startHerald(CONFIG); });
  after(async () => { disconnectAll(); await server?.dispose(); });

  test('joinLeave: true gets join and leave of others, with their info', async () => {
    const watcher = await joined(server, 'watcher', 'room:jl', { joinLeave: true });
    const other = await joined(server, 'visitor', 'room:jl', {}, { info: { v: 1 } });
    await untilCount(watcher.s.joins, 1, 'joins');
    const j = watcher.s.joins[0];
    assert.equal(j.channel, 'room:jl');
    assert.equal(j.info.user, 'visitor');
    assert.equal(j.info.client, other.c.connectedCtx.client);
    assert.deepEqual(dec(j.info.connInfo), { v: 1 });

    other.s.unsubscribe();
    await untilCount(watcher.s.leaves, 1, 'leaves');
    assert.equal(watcher.s.leaves[0].info.user, 'visitor');
    assert.equal(watcher.s.leaves[0].info.client, other.c.connectedCtx.client);

    // A disconnect is a leave too.
    const third = await joined(server, 'third', 'room:jl');
    await untilCount(watcher.s.joins, 2, 'joins');
    assert.equal(watcher.s.joins[1].info.user, 'third');
    third.c.disconnect();
    await untilCount(watcher.s.leaves, 2, 'leaves');
    assert.equal(watcher.s.leaves[1].info.user, 'third');
  });

  test('the Centrifuge object sees nothing of client-side join/leave', async () => {
    const w = await connectClient(server.wsUrl, { token: makeToken('w2') });
    const onClient = collect(w, 'join');
    const s = w.newSubscription('room:jl2', { joinLeave: true });
    const joins = others(s, 'join', () => w.connectedCtx.client);
    s.subscribe();
    await s.ready(5000);
    await joined(server, 'x', 'room:jl2');
    await untilCount(joins, 1, 'joins');
    assert.deepEqual(onClient, []);
  });

  test('without joinLeave: no join/leave pushes', async () => {
    const w = await joined(server, 'nojl', 'room:nojl');
    const probe = await joined(server, 'probe', 'room:nojl', { joinLeave: true });
    const other = await joined(server, 'y', 'room:nojl');
    other.c.disconnect();
    // The probe, which asked, sees both; by then the other would have too.
    await untilCount(probe.s.leaves, 1, 'leaves at the probe');
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(w.s.allJoins, []);
    assert.deepEqual(w.s.allLeaves, []);
  });

  test('force_push_join_leave: every subscriber gets them, asked or not', async () => {
    const w = await joined(server, 'forcedw', 'forced:a');
    const other = await joined(server, 'z', 'forced:a');
    await untilCount(w.s.joins, 1, 'joins');
    assert.equal(w.s.joins[0].info.user, 'z');
    other.s.unsubscribe();
    await untilCount(w.s.leaves, 1, 'leaves');
  });

  test('a namespace without join_leave sends none even when asked', async () => {
    const w = await joined(server, 'quietw', 'quiet:a', { joinLeave: true });
    const other = await joined(server, 'q', 'quiet:a');
    await until(async () => (await w.s.presenceStats()).numClients === 2, { what: 'two subscribers' });
    other.c.disconnect();
    await until(async () => (await w.s.presenceStats()).numClients === 1, { what: 'one subscriber' });
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(w.s.allJoins, []);
    assert.deepEqual(w.s.allLeaves, []);
  });

  test('server-side subscriptions get join/leave on the Centrifuge object', async () => {
    const w = await connectClient(server.wsUrl, { token: makeToken('srvjl', { channels: ['forced:srv'] }) });
    const joins = others(w, 'join', () => w.connectedCtx.client);
    const leaves = others(w, 'leave', () => w.connectedCtx.client);
    await until(async () => (await apiOk(server, 'presence_stats', { channel: 'forced:srv' })).num_clients === 1,
      { what: 'the server-side subscription' });
    const other = await joined(server, 'srvjl-other', 'forced:srv');
    await untilCount(joins, 1, 'joins');
    assert.equal(joins[0].channel, 'forced:srv');
    assert.equal(joins[0].info.user, 'srvjl-other');
    other.c.disconnect();
    await untilCount(leaves, 1, 'leaves');
    assert.equal(leaves[0].info.user, 'srvjl-other');
  });
});
