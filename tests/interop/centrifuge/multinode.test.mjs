// Three `herald serve` nodes sharing one redis-server ([engine] type =
// "redis"), driven by the unchanged centrifuge SDK: a client never notices
// which node it landed on.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { RedisServer, redisCommand } from '../../support/redis_server.mjs';
import {
  api, apiOk, baseConfig, collect, connectClient, dec, disconnectAll, enc, makeToken, startHerald, until, untilCount,
  waitFor,
} from './herald.mjs';

const ROOM = `
[[namespace]]
name = "room"
presence = true
join_leave = true
history_size = 100
history_ttl = "300s"
force_recovery = true
allow_subscribe_for_client = true
allow_publish_for_client = true
allow_history_for_subscriber = true
allow_presence_for_subscriber = true
`;

function nodeConfig(redis, name) {
  return baseConfig() + `
[server]
node_name = "${name}"
threads = 2

[engine]
type = "redis"
redis_addresses = ["${redis.address}"]
` + ROOM;
}

let counter = 0;
const fresh = (prefix) => `room:${prefix}-${Date.now()}-${counter++}`;

async function subscribed(node, user, channel, options = {}) {
  const c = await connectClient(node.wsUrl, { token: makeToken(user) });
  const s = c.newSubscription(channel, options);
  s.pubs = collect(s, 'publication');
  s.joins = collect(s, 'join');
  s.leaves = collect(s, 'leave');
  const ready = waitFor(s, 'subscribed');
  s.subscribe();
  s.subscribedCtx = await ready;
  return { c, s };
}

const offsets = (pubs) => pubs.map((p) => p.offset);
const datas = (pubs) => pubs.map((p) => JSON.stringify(dec(p.data)));

describe('three nodes and one Redis', () => {
  let redis;
  const nodes = [];
  before(async () => {
    redis = await new RedisServer().start();
    for (const name of ['n1', 'n2', 'n3']) nodes.push(await startHerald(nodeConfig(redis, name)));
  });
  after(async () => {
    disconnectAll();
    for (const n of nodes) await n.dispose();
    await redis?.dispose();
  });

  test('clients on different nodes see every publication, in one order, with the same offsets', async () => {
    const ch = fresh('pubs');
    const subs = [];
    for (let i = 0; i < 3; i++) subs.push(await subscribed(nodes[i], `u${i}`, ch));
    await subs[0].s.publish(enc({ from: 'sdk-n1' }));
    await subs[1].s.publish(enc({ from: 'sdk-n2' }));
    await apiOk(nodes[2], 'publish', { channel: ch, data: { from: 'api-n3' } });
    for (const { s } of subs) await untilCount(s.pubs, 3, 'publications');
    const first = subs[0].s.pubs;
    assert.deepEqual(offsets(first), [1, 2, 3]);
    for (const { s } of subs.slice(1)) {
      assert.deepEqual(offsets(s.pubs), offsets(first));
      assert.deepEqual(datas(s.pubs), datas(first));
    }
    assert.deepEqual(first.map((p) => dec(p.data).from), ['sdk-n1', 'sdk-n2', 'api-n3']);
  });

  test('joins and leaves cross nodes', async () => {
    const ch = fresh('joins');
    const a = await subscribed(nodes[0], 'ja', ch, { joinLeave: true });
    const b = await subscribed(nodes[1], 'jb', ch, { joinLeave: true });
    await until(() => a.s.joins.some((j) => j.info.user === 'jb'), { what: "n1's client to see jb join" });
    b.s.unsubscribe();
    await until(() => a.s.leaves.some((l) => l.info.user === 'jb'), { what: "n1's client to see jb leave" });
    const c = await subscribed(nodes[2], 'jc', ch, { joinLeave: true });
    await until(() => a.s.joins.some((j) => j.info.user === 'jc'), { what: 'jc join on n1' });
    c.c.disconnect();
    await until(() => a.s.leaves.some((l) => l.info.user === 'jc'), { what: 'jc leave on n1 after a disconnect on n3' });
  });

  test('presence and presence_stats agree on every node', async () => {
    const ch = fresh('presence');
    const subs = [];
    for (let i = 0; i < 3; i++) subs.push(await subscribed(nodes[i], `p${i}`, ch));
    subs.push(await subscribed(nodes[0], 'p0', ch));  // a second connection of user p0
    const ids = subs.map(({ c }) => c.connectedCtx.client).sort();
    for (let i = 0; i < 3; i++) {
      const viaSdk = await subs[i].s.presence();
      assert.deepEqual(Object.keys(viaSdk.clients).sort(), ids, `presence through n${i + 1}`);
      const stats = await subs[i].s.presenceStats();
      assert.deepEqual(stats, { numClients: 4, numUsers: 3 }, `presence_stats through n${i + 1}`);
      const viaApi = await apiOk(nodes[i], 'presence', { channel: ch });
      assert.deepEqual(Object.keys(viaApi.presence).sort(), ids);
      assert.equal(viaApi.presence[subs[1].c.connectedCtx.client].user, 'p1');
    }
    subs[3].s.unsubscribe();
    await until(async () => (await apiOk(nodes[2], 'presence_stats', { channel: ch })).num_clients === 3,
      { what: 'presence_stats on n3 to drop to 3 after an unsubscribe on n1' });
  });

  test('history is the same from every node', async () => {
    const ch = fresh('history');
    for (let i = 0; i < 6; i++) await apiOk(nodes[i % 3], 'publish', { channel: ch, data: { i } });
    const views = [];
    for (const n of nodes) views.push(await apiOk(n, 'history', { channel: ch, limit: -1 }));
    assert.equal(views[0].publications.length, 6);
    assert.deepEqual(views[0].publications.map((p) => p.data.i), [0, 1, 2, 3, 4, 5]);
    for (const v of views.slice(1)) assert.deepEqual(v, views[0]);
    const { s } = await subscribed(nodes[1], 'h', ch);
    const r = await s.history({ limit: 2, since: { offset: 3, epoch: views[0].epoch } });
    assert.deepEqual(r.publications.map((p) => p.offset), [4, 5]);
  });

  test('a client that moves to another node recovers exactly what it missed', async () => {
    const ch = fresh('recover');
    const first = await subscribed(nodes[0], 'mover', ch, { recoverable: true });
    await first.s.publish(enc({ n: 1 }));
    await untilCount(first.s.pubs, 1, 'the first publication');
    const offset = first.s.pubs[0].offset;
    const { epoch } = first.s.subscribedCtx.streamPosition;
    first.c.disconnect();
    for (let n = 2; n <= 4; n++) await apiOk(nodes[n % 3], 'publish', { channel: ch, data: { n } });
    const second = await subscribed(nodes[2], 'mover', ch, { recoverable: true, since: { offset, epoch } });
    assert.equal(second.s.subscribedCtx.recovered, true, JSON.stringify(second.s.subscribedCtx));
    await untilCount(second.s.pubs, 3, 'recovered publications');
    assert.deepEqual(second.s.pubs.map((p) => dec(p.data).n), [2, 3, 4]);
    assert.deepEqual(offsets(second.s.pubs), [2, 3, 4]);
  });

  test('a user disconnected through the API of one node is disconnected on every node', async () => {
    const a = await connectClient(nodes[0].wsUrl, { token: makeToken('kicked') });
    const b = await connectClient(nodes[2].wsUrl, { token: makeToken('kicked') });
    const bystander = await connectClient(nodes[0].wsUrl, { token: makeToken('stays') });
    const goneA = waitFor(a, 'disconnected');
    const goneB = waitFor(b, 'disconnected');
    await apiOk(nodes[1], 'disconnect', { user: 'kicked', disconnect: { code: 4500, reason: 'bye' } });
    const [ca, cb] = await Promise.all([goneA, goneB]);
    assert.equal(ca.code, 4500);
    assert.equal(cb.code, 4500);
    assert.equal(bystander.state, 'connected');
  });

  test('a publication that pub/sub lost is read from the stream, in order', async () => {
    const ch = fresh('gap');
    const a = await subscribed(nodes[0], 'ga', ch);
    const b = await subscribed(nodes[1], 'gb', ch);
    await apiOk(nodes[2], 'publish', { channel: ch, data: { n: 1 } });
    await untilCount(b.s.pubs, 1, 'the first publication');
    // What a dropped pub/sub message leaves behind: offset 2 in the stream
    // and the meta, never published (a Herald payload: version, no info,
    // the data, no tags).
    const data = Buffer.from('{"n":2}');
    const payload = Buffer.concat([Buffer.from([0x50, 0, data.length]), data, Buffer.from([0])]);
    assert.match(await redisCommand(redis.port, 'HINCRBY', `herald:meta:{${ch}}`, 's', 1), /^:2/);
    assert.match(await redisCommand(redis.port, 'XADD', `herald:stream:{${ch}}`, '2-0', 't', Date.now(), 'd', payload), /^\$3/);
    await apiOk(nodes[2], 'publish', { channel: ch, data: { n: 3 } });
    for (const { s } of [a, b]) {
      await untilCount(s.pubs, 3, 'publications, the lost one included');
      assert.deepEqual(s.pubs.map((p) => dec(p.data).n), [1, 2, 3]);
      assert.deepEqual(offsets(s.pubs), [1, 2, 3]);
    }
  });

  test('a channel whose history Redis lost: subscribers are told and learn recovery failed', async () => {
    const ch = fresh('lost');
    const a = await subscribed(nodes[0], 'la', ch, { recoverable: true });
    await apiOk(nodes[1], 'publish', { channel: ch, data: { n: 1 } });
    await untilCount(a.s.pubs, 1, 'the first publication');
    const resubscribed = waitFor(a.s, 'subscribed', { pred: (ctx) => ctx.wasRecovering, timeout: 10_000 });
    const told = waitFor(a.s, 'subscribing', { timeout: 10_000 });
    await redisCommand(redis.port, 'DEL', `herald:meta:{${ch}}`, `herald:stream:{${ch}}`);
    await apiOk(nodes[1], 'publish', { channel: ch, data: { n: 'new life' } });
    assert.equal((await told).code, 2500);
    const ctx = await resubscribed;
    assert.equal(ctx.recovered, false, JSON.stringify(ctx));
    assert.notEqual(ctx.streamPosition.epoch, a.s.subscribedCtx.streamPosition.epoch);
  });

  test('/api/info lists every live node', async () => {
    const info = await until(async () => {
      const r = await apiOk(nodes[1], 'info', {});
      return r.nodes.length === 3 ? r : null;
    }, { what: 'three nodes in /api/info' });
    assert.deepEqual(info.nodes.map((n) => n.name).sort(), ['n1', 'n2', 'n3']);
    for (const n of info.nodes) {
      assert.equal(n.engine, 'redis');
      assert.equal(typeof n.num_clients, 'number');
      assert.equal(typeof n.messages_out_per_second, 'number');
    }
  });

  test('/api/channels lists the channels of every node, subscribers summed', async () => {
    const ch = fresh('survey');
    const only = fresh('survey-n3');
    await subscribed(nodes[0], 'sv1', ch);
    await subscribed(nodes[1], 'sv2', ch);
    await subscribed(nodes[1], 'sv3', ch);
    await subscribed(nodes[2], 'sv4', only);
    // Asked of any node, even one without subscribers there.
    for (const node of nodes) {
      const r = await apiOk(node, 'channels', { pattern: 'survey' });
      assert.deepEqual(r.channels[ch], { num_clients: 3 }, `${ch} as node ${node.port} sees it`);
      assert.deepEqual(r.channels[only], { num_clients: 1 });
    }
  });

  test('while Redis is down publishes fail with a temporary error, clients stay, and nothing is lost after', async () => {
    const ch = fresh('outage');
    const a = await subscribed(nodes[0], 'oa', ch, { recoverable: true });
    const b = await subscribed(nodes[1], 'ob', ch, { recoverable: true });
    await a.s.publish(enc({ k: 'before' }));
    await untilCount(b.s.pubs, 1, 'the publication before the outage');
    await redis.kill9();
    const refused = await a.s.publish(enc({ k: 'during' })).then(() => null, (e) => e);
    assert.ok(refused, 'a publish while Redis is down must fail');
    assert.equal(refused.code, 100, JSON.stringify(refused));
    const viaApi = await api(nodes[2], 'publish', { channel: ch, data: { k: 'during-api' } });
    assert.equal(viaApi.body.error?.code, 100, JSON.stringify(viaApi.body));
    assert.equal(a.c.state, 'connected');
    assert.equal(b.c.state, 'connected');
    await redis.restart();
    await until(async () => (await api(nodes[2], 'publish', { channel: ch, data: { k: 'after' } })).status === 200 &&
      b.s.pubs.some((p) => dec(p.data).k === 'after'), { timeout: 20_000, every: 300, what: 'publishing again after Redis is back' });
    await until(() => a.s.pubs.some((p) => dec(p.data).k === 'after'), { what: "n1's subscriber to get the publication after the outage" });
    for (const s of [a.s, b.s]) {
      const ks = s.pubs.map((p) => dec(p.data).k).filter((k) => k !== 'after');
      assert.deepEqual(ks, ['before'], 'nothing refused during the outage was delivered');
      const offs = offsets(s.pubs);
      assert.deepEqual(offs, [...offs].sort((x, y) => x - y), 'offsets increase');
      assert.equal(new Set(offs).size, offs.length, 'no duplicates');
    }
  });
});

describe('two Redis instances, two nodes, a short presence ttl', () => {
  const redises = [];
  const nodes = [];
  const config = (name) => baseConfig() + `
[server]
node_name = "${name}"

[engine]
type = "redis"
redis_addresses = [${redises.map((r) => `"${r.address}"`).join(', ')}]
presence_ttl = "3s"
` + ROOM;
  before(async () => {
    for (let i = 0; i < 2; i++) redises.push(await new RedisServer().start());
    for (const name of ['s1', 's2']) nodes.push(await startHerald(config(name)));
  });
  after(async () => {
    disconnectAll();
    for (const n of nodes) await n.dispose();
    for (const r of redises) await r.dispose();
  });

  test('channels are spread over both instances and work the same on each', async () => {
    const channels = Array.from({ length: 12 }, (_, i) => `room:shard-${i}`);
    for (const ch of channels) {
      const s = await subscribed(nodes[1], 'sh', ch);
      await apiOk(nodes[0], 'publish', { channel: ch, data: { ch } });
      await untilCount(s.s.pubs, 1, `the publication on ${ch}`);
      assert.equal(dec(s.s.pubs[0].data).ch, ch);
      const h = await apiOk(nodes[1], 'history', { channel: ch, limit: -1 });
      assert.deepEqual(h.publications.map((p) => p.data.ch), [ch]);
    }
    const held = [];
    for (const r of redises) {
      const reply = await redisCommand(r.port, 'KEYS', 'herald:meta:{room:shard-*');
      held.push(Number(/^\*(\d+)/.exec(reply)[1]));
    }
    assert.equal(held[0] + held[1], channels.length, `meta keys per instance: ${held}`);
    assert.ok(held[0] > 0 && held[1] > 0, `both instances hold channels: ${held}`);
  });

  test("a crashed node's clients leave presence within the presence ttl", async () => {
    const ch = fresh('crash');
    const victim = await startHerald(config('s3'));
    nodes.push(victim);
    await subscribed(victim, 'doomed', ch);
    await subscribed(nodes[0], 'alive', ch);
    const users = async () => Object.values((await apiOk(nodes[1], 'presence', { channel: ch })).presence).map((c) => c.user).sort();
    assert.deepEqual(await users(), ['alive', 'doomed']);
    const killed = Date.now();
    await victim.kill9();
    await until(async () => JSON.stringify(await users()) === JSON.stringify(['alive']),
      { timeout: 8_000, every: 200, what: "the crashed node's client to leave presence" });
    const took = Date.now() - killed;
    assert.ok(took <= 4_500, `gone after ${took} ms (ttl 3 s)`);
    // The living node keeps refreshing its own client past the ttl.
    await new Promise((r) => setTimeout(r, 3_500));
    assert.deepEqual(await users(), ['alive']);
  });

  test('a Redis that comes back with fewer publications than were delivered gets a new epoch', async () => {
    const ch = fresh('rollback');
    const a = await subscribed(nodes[0], 'ra', ch, { recoverable: true });
    for (let n = 1; n <= 3; n++) await apiOk(nodes[1], 'publish', { channel: ch, data: { n } });
    await untilCount(a.s.pubs, 3, 'three publications');
    const epoch = a.s.subscribedCtx.streamPosition.epoch;
    // As if Redis were restored from a snapshot taken after offset 1 (its
    // stream lost too): the next publication would get offset 2 again.
    for (const r of redises) {
      await redisCommand(r.port, 'HSET', `herald:meta:{${ch}}`, 's', 1);
      await redisCommand(r.port, 'DEL', `herald:stream:{${ch}}`);
    }
    const resubscribed = waitFor(a.s, 'subscribed', { pred: (ctx) => ctx.wasRecovering, timeout: 10_000 });
    await apiOk(nodes[1], 'publish', { channel: ch, data: { n: 'after the rollback' } });
    const ctx = await resubscribed;
    assert.equal(ctx.recovered, false, JSON.stringify(ctx));
    assert.notEqual(ctx.streamPosition.epoch, epoch, 'offsets 2 and 3 must not be reused under the old epoch');
  });
});
