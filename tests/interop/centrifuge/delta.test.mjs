// Fossil delta compression with the SDK's own decoder (subscription option
// delta: 'fossil'; issue 14): a 2 KiB JSON document published again and
// again with small changes arrives as one full payload and then deltas,
// each decoded by the SDK to exactly what was published; a subscriber that
// joins late, or recovers after a cut network, starts again with a full
// payload; publications without the API's `delta` and namespaces that do
// not allow deltas stay whole; across two nodes on Redis the node that
// holds the subscriber computes the deltas. In JSON and Protobuf builds.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { RedisServer } from '../../support/redis_server.mjs';
import {
  FORMAT, Proxy, apiOk, baseConfig, collect, connectClient, dec, disconnectAll, makeToken, startHerald, untilCount,
  waitFor,
} from './herald.mjs';

const NAMESPACES = `
[[namespace]]
name = "doc"
history_size = 100
history_ttl = "5m"
force_recovery = true
allow_subscribe_for_client = true
allowed_delta_types = ["fossil"]

[[namespace]]
name = "plain"
allow_subscribe_for_client = true
`;

// A quote board of about 2 KiB; `version` moves one price and the counter.
function board(version) {
  const rows = [];
  for (let i = 0; i < 40; i++) {
    rows.push({ symbol: `SYM${i}`, price: 1000 + i * 7 + (i === version % 40 ? version : 0), trend: 'flat' });
  }
  return { board: rows, version };
}

async function publishBoards(server, channel, from, to, { delta = true } = {}) {
  for (let v = from; v <= to; v++) await apiOk(server, 'publish', { channel, data: board(v), delta });
}

async function deltaSubscriber(url, channel, user, options = {}) {
  const c = await connectClient(url, { token: makeToken(user) });
  const s = c.newSubscription(channel, { delta: 'fossil', ...options });
  s.pubs = collect(s, 'publication');
  s.subscribe();
  s.ctx = await waitFor(s, 'subscribed');
  return { c, s };
}

const versions = (pubs) => pubs.map((p) => dec(p.data).version);

describe('fossil deltas, one node', () => {
  let server, proxy;
  before(async () => {
    server = await startHerald(baseConfig() + NAMESPACES);
    proxy = await new Proxy(server).start();
  });
  after(async () => { disconnectAll(); await proxy?.close(); await server?.dispose(); });

  test('one full payload, then deltas that decode to exactly the published documents', async () => {
    const { s } = await deltaSubscriber(server.wsUrl, 'doc:quotes', 'd1');
    await publishBoards(server, 'doc:quotes', 1, 20);
    await untilCount(s.pubs, 20, 'publications');
    for (let i = 0; i < 20; i++) assert.deepEqual(dec(s.pubs[i].data), board(i + 1), `publication ${i + 1}`);
    const stats = s.deltaStats();
    assert.equal(stats.numFullPayloads, 1);
    assert.equal(stats.numDeltaPayloads, 19);
    assert.ok(stats.bytesReceived * 5 < stats.bytesDecoded,
      `${stats.bytesReceived} bytes received for ${stats.bytesDecoded} decoded: less than 5x smaller`);
  });

  test('a subscriber that joins late starts with a full payload', async () => {
    await publishBoards(server, 'doc:late', 1, 5);
    const { s } = await deltaSubscriber(server.wsUrl, 'doc:late', 'd2');
    await publishBoards(server, 'doc:late', 6, 10);
    await untilCount(s.pubs, 5, 'publications');
    assert.deepEqual(versions(s.pubs), [6, 7, 8, 9, 10]);
    assert.deepEqual(dec(s.pubs[4].data), board(10));
    assert.equal(s.deltaStats().numFullPayloads, 1);
    assert.equal(s.deltaStats().numDeltaPayloads, 4);
  });

  test('publications without the API\'s delta flag stay whole, and the chain goes on after them', async () => {
    const { s } = await deltaSubscriber(server.wsUrl, 'doc:mixed', 'd3');
    await publishBoards(server, 'doc:mixed', 1, 3, { delta: false });
    await publishBoards(server, 'doc:mixed', 4, 6);
    await untilCount(s.pubs, 6, 'publications');
    assert.deepEqual(s.pubs.map((p) => dec(p.data)), [1, 2, 3, 4, 5, 6].map(board));
    assert.equal(s.deltaStats().numFullPayloads, 3);
    assert.equal(s.deltaStats().numDeltaPayloads, 3);
  });

  test('recovery after a cut network: the missed publications in full, then deltas again', async () => {
    const { c, s } = await deltaSubscriber(proxy.wsUrl, 'doc:cut', 'd4');
    await publishBoards(server, 'doc:cut', 1, 3);
    await untilCount(s.pubs, 3, 'live publications');
    const connecting = waitFor(c, 'connecting');
    proxy.block();
    proxy.drop();
    await connecting;
    await publishBoards(server, 'doc:cut', 4, 6);
    const resubscribed = waitFor(s, 'subscribed', { timeout: 10000 });
    proxy.unblock();
    const ctx = await resubscribed;
    assert.equal(ctx.recovered, true);
    await untilCount(s.pubs, 6, 'recovered publications');
    await publishBoards(server, 'doc:cut', 7, 9);
    await untilCount(s.pubs, 9, 'publications after recovery');
    assert.deepEqual(s.pubs.map((p) => dec(p.data)), [1, 2, 3, 4, 5, 6, 7, 8, 9].map(board));
    // 1 full + 2 deltas before the cut; 3 recovered in full; 7 full, 8 and 9 deltas.
    assert.equal(s.deltaStats().numFullPayloads, 5);
    assert.equal(s.deltaStats().numDeltaPayloads, 4);
  });

  test('a namespace that does not allow deltas answers without them', async () => {
    const { s } = await deltaSubscriber(server.wsUrl, 'plain:news', 'd5');
    await publishBoards(server, 'plain:news', 1, 3);
    await untilCount(s.pubs, 3, 'publications');
    assert.deepEqual(s.pubs.map((p) => dec(p.data)), [1, 2, 3].map(board));
    assert.equal(s.deltaStats().numDeltaPayloads, 0);
  });

  test('subscribers without delta on the same channel get plain publications', async () => {
    const c = await connectClient(server.wsUrl, { token: makeToken('p1') });
    const plain = c.newSubscription('doc:both');
    const got = collect(plain, 'publication');
    plain.subscribe();
    await waitFor(plain, 'subscribed');
    const { s } = await deltaSubscriber(server.wsUrl, 'doc:both', 'd6');
    await publishBoards(server, 'doc:both', 1, 4);
    await untilCount(got, 4, 'plain publications');
    await untilCount(s.pubs, 4, 'delta publications');
    assert.deepEqual(got.map((p) => dec(p.data)), [1, 2, 3, 4].map(board));
    assert.deepEqual(s.pubs.map((p) => dec(p.data)), [1, 2, 3, 4].map(board));
    assert.equal(s.deltaStats().numDeltaPayloads, 3);
  });

  test('binary data on a channel with a JSON delta subscriber: 3506, as for plain JSON subscribers', { skip: FORMAT !== 'json' }, async () => {
    const { c } = await deltaSubscriber(server.wsUrl, 'doc:binary', 'd7');
    const disconnected = waitFor(c, 'disconnected');
    await apiOk(server, 'publish', { channel: 'doc:binary', b64data: 'AAEC/w==', delta: true });
    const ctx = await disconnected;
    assert.equal(ctx.code, 3506);
  });
});

describe('fossil deltas, two nodes on Redis', () => {
  let redis;
  const nodes = [];
  before(async () => {
    redis = await new RedisServer().start();
    for (const name of ['a', 'b']) {
      nodes.push(await startHerald(baseConfig() + `
[server]
node_name = "${name}"

[engine]
type = "redis"
redis_addresses = ["${redis.address}"]
` + NAMESPACES));
    }
  });
  after(async () => {
    disconnectAll();
    for (const n of nodes) await n.dispose();
    await redis?.dispose();
  });

  test('published on one node, deltas computed and decoded on the other', async () => {
    const { s } = await deltaSubscriber(nodes[1].wsUrl, 'doc:cluster', 'r1');
    await publishBoards(nodes[0], 'doc:cluster', 1, 10);
    await untilCount(s.pubs, 10, 'publications');
    assert.deepEqual(s.pubs.map((p) => dec(p.data)), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(board));
    assert.equal(s.deltaStats().numFullPayloads, 1);
    assert.equal(s.deltaStats().numDeltaPayloads, 9);
  });
});
