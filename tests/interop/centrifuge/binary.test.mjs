// Binary data (bytes that are not JSON) in a channel with subscribers of both
// builds of the SDK. The Protobuf build carries any bytes; a JSON frame
// cannot, so a JSON-build client that would receive them is disconnected with
// 3506 "inappropriate protocol" (no reconnect), as Centrifugo does
// (DisconnectInappropriateProtocol), and never sees garbage. JSON text is the
// common ground: it crosses between the two builds unchanged.
//
// Every test uses both builds whatever HERALD_SDK_FORMAT says, so
// CMakeLists.txt registers this file once (interop_centrifuge_binary).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  api, apiOk, baseConfig, collect, connectClient, dec, disconnectAll, enc, loadBuild, makeToken, startHerald, until,
  untilCount, waitFor,
} from './herald.mjs';
import { RedisServer } from '../../support/redis_server.mjs';

const CONFIG = baseConfig() + `
[[namespace]]
name = "bin"
history_size = 100
history_ttl = "5m"
durable = false
allow_subscribe_for_client = true
allow_publish_for_subscriber = true
allow_history_for_subscriber = true
`;

// Not UTF-8 (a lone 0xff, an overlong start, a truncated sequence, an encoded
// surrogate), with a NUL and a newline, which would split a JSON frame.
const NOT_UTF8 = Uint8Array.from([0xff, 0xfe, 0x00, 0xc3, 0x28, 0x80, 0x7b, 0x0a, 0xed, 0xa0, 0x80, 0xc0, 0xaf]);
const b64 = (bytes) => Buffer.from(bytes).toString('base64');

// The bytes the Protobuf build handed over, as a plain Uint8Array (protobufjs
// may hand a Buffer, which deepEqual would not equate with a Uint8Array).
function bytesOf(data) {
  assert.ok(data instanceof Uint8Array, `expected bytes, got ${typeof data}: ${JSON.stringify(data)}`);
  return new Uint8Array(data);
}

let counter = 0;
const fresh = (prefix) => `bin:${prefix}-${counter++}`;

async function subscriber(server, format, user, channel, options = {}) {
  const c = await connectClient(server.wsUrl, { format, token: makeToken(user) });
  const s = c.newSubscription(channel, options);
  s.pubs = collect(s, 'publication');
  const ready = waitFor(s, 'subscribed');
  s.subscribe();
  s.subscribedCtx = await ready;
  c.drops = collect(c, 'connecting');
  return { c, s };
}

// A JSON-build client is told 3506 and stays disconnected.
async function refused(client, disconnected) {
  const ctx = await disconnected;
  assert.equal(ctx.code, 3506, `disconnected ${ctx.code} (${ctx.reason}), expected 3506 inappropriate protocol`);
  assert.equal(ctx.reason, 'inappropriate protocol');
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(client.state, 'disconnected');
  assert.deepEqual(client.drops.map((d) => [d.code, d.reason]), [], 'no reconnect after 3506');
}

describe('binary data', () => {
  let server;
  before(async () => {
    await loadBuild('json');
    await loadBuild('protobuf');
    server = await startHerald(CONFIG);
  });
  after(async () => { disconnectAll(); await server?.dispose(); });

  test('non-UTF-8 bytes through the API (b64data): the Protobuf build gets them byte-exact, a JSON-build subscriber gets 3506', async () => {
    const ch = fresh('api');
    const pb = await subscriber(server, 'protobuf', 'pb', ch);
    const js = await subscriber(server, 'json', 'js', ch);
    const jsGone = waitFor(js.c, 'disconnected');
    const r = await apiOk(server, 'publish', { channel: ch, b64data: b64(NOT_UTF8) });
    assert.equal(r.offset, 1, JSON.stringify(r));
    await untilCount(pb.s.pubs, 1, 'publications at the Protobuf build');
    assert.deepEqual(bytesOf(pb.s.pubs[0].data), NOT_UTF8);
    assert.equal(pb.s.pubs[0].offset, 1);
    await refused(js.c, jsGone);
    assert.deepEqual(js.s.pubs, [], 'the JSON build never got the bytes');
    // The channel and the Protobuf client carry on.
    await apiOk(server, 'publish', { channel: ch, data: { after: true } });
    await untilCount(pb.s.pubs, 2, 'publications at the Protobuf build');
    assert.deepEqual(dec(pb.s.pubs[1].data, 'protobuf'), { after: true });
    assert.equal(pb.c.state, 'connected');
    assert.deepEqual(pb.c.drops, []);
  });

  test('broadcast takes b64data too; a b64data that is not base64 is refused with 107 and delivers nothing', async () => {
    const [ch1, ch2] = [fresh('bc'), fresh('bc')];
    const pb1 = await subscriber(server, 'protobuf', 'pbb', ch1);
    const pb2 = await subscriber(server, 'protobuf', 'pbb', ch2);
    const js = await subscriber(server, 'json', 'jsb', ch2);
    const jsGone = waitFor(js.c, 'disconnected');
    // Not base64 (bad characters, missing padding): a protocol error in a 200,
    // Centrifugo's shape, whose message names the field.
    for (const bad of ['not base64!', 'AP8']) {
      const r = await api(server, 'publish', { channel: ch1, b64data: bad });
      assert.equal(r.status, 200, JSON.stringify(r));
      assert.equal(r.body.error?.code, 107, JSON.stringify(r.body));
      assert.match(r.body.error.message, /b64data/);
    }
    const r = await apiOk(server, 'broadcast', { channels: [ch1, ch2], b64data: b64(NOT_UTF8) });
    assert.equal(r.responses.length, 2, JSON.stringify(r));
    for (const { s } of [pb1, pb2]) {
      await untilCount(s.pubs, 1, 'the broadcast publication');
      assert.deepEqual(bytesOf(s.pubs[0].data), NOT_UTF8);
      assert.equal(s.pubs[0].offset, 1, 'the refused publishes took no offset');
    }
    await refused(js.c, jsGone);
    assert.deepEqual(js.s.pubs, []);
  });

  test('history keeps the bytes: the Protobuf build reads them back byte-exact, the HTTP API gives them as b64data', async () => {
    const ch = fresh('history');
    const pb = await subscriber(server, 'protobuf', 'pbh', ch);
    await apiOk(server, 'publish', { channel: ch, b64data: b64(NOT_UTF8) });
    await apiOk(server, 'publish', { channel: ch, data: { n: 2 } });
    const h = await pb.s.history({ limit: -1 });
    assert.equal(h.publications.length, 2);
    assert.deepEqual(bytesOf(h.publications[0].data), NOT_UTF8);
    assert.deepEqual(dec(h.publications[1].data, 'protobuf'), { n: 2 });
    assert.deepEqual(h.publications.map((p) => p.offset), [1, 2]);
    const viaApi = await apiOk(server, 'history', { channel: ch, limit: -1 });
    const [bin, json] = viaApi.publications;
    assert.equal(bin.b64data, b64(NOT_UTF8), JSON.stringify(bin));
    assert.equal(bin.data, undefined, 'binary data is given as b64data only');
    assert.deepEqual(json.data, { n: 2 });
    assert.equal(json.b64data, undefined, 'JSON data stays data');
  });

  test('a JSON-build client that would read binary data from history is disconnected with 3506', async () => {
    const ch = fresh('replay');
    const first = await apiOk(server, 'publish', { channel: ch, data: { n: 1 } });
    await apiOk(server, 'publish', { channel: ch, b64data: b64(NOT_UTF8) });
    // Subscribing alone sends no publication: allowed.
    const plain = await subscriber(server, 'json', 'jsh', ch);
    assert.equal(plain.c.state, 'connected');
    const gone = waitFor(plain.c, 'disconnected');
    const asked = plain.s.history({ limit: -1 }).then(() => 'resolved', (err) => err);
    await refused(plain.c, gone);
    assert.notEqual(await asked, 'resolved', 'the history call does not succeed');
    // Recovering from before the binary publication is refused the same way.
    const c = await connectClient(server.wsUrl, { format: 'json', token: makeToken('jsr') });
    c.drops = collect(c, 'connecting');
    const s = c.newSubscription(ch, { recoverable: true, since: { offset: first.offset, epoch: first.epoch } });
    const got = collect(s, 'publication');
    const recovering = waitFor(c, 'disconnected');
    s.subscribe();
    await refused(c, recovering);
    assert.deepEqual(got, [], 'nothing of the recovery reached the JSON build');
  });

  test('JSON crosses both ways: Protobuf-build bytes holding JSON reach a JSON-build subscriber as the value, and JSON-build data reaches the Protobuf build as its text', async () => {
    const ch = fresh('cross');
    const pb = await subscriber(server, 'protobuf', 'pbx', ch);
    const js = await subscriber(server, 'json', 'jsx', ch);
    await pb.s.publish(enc({ from: 'protobuf', n: 1 }, 'protobuf'));
    await js.s.publish(enc({ from: 'json', n: 2 }, 'json'));
    await apiOk(server, 'publish', { channel: ch, data: { from: 'api', n: 3 } });
    for (const { s, c } of [pb, js]) {
      await untilCount(s.pubs, 3, `publications at the ${c.sdkFormat} build`);
      assert.deepEqual(s.pubs.map((p) => dec(p.data, c.sdkFormat)),
        [{ from: 'protobuf', n: 1 }, { from: 'json', n: 2 }, { from: 'api', n: 3 }], c.sdkFormat);
      assert.deepEqual(s.pubs.map((p) => p.offset), [1, 2, 3]);
    }
    // The JSON build's data is its JSON text, unchanged.
    assert.equal(Buffer.from(bytesOf(pb.s.pubs[1].data)).toString('utf8'), JSON.stringify({ from: 'json', n: 2 }));
    assert.equal(js.c.state, 'connected');
    assert.deepEqual(js.c.drops, []);
  });

  test('UTF-8 text that is not JSON, published by the Protobuf build: the Protobuf subscribers get it, a JSON-build subscriber gets 3506', async () => {
    const ch = fresh('text');
    const text = new TextEncoder().encode('plain words, not JSON');
    const pb = await subscriber(server, 'protobuf', 'pbt', ch);
    const js = await subscriber(server, 'json', 'jst', ch);
    const jsGone = waitFor(js.c, 'disconnected');
    await pb.s.publish(text);
    await untilCount(pb.s.pubs, 1, 'publications at the Protobuf build');
    assert.deepEqual(bytesOf(pb.s.pubs[0].data), text);
    await refused(js.c, jsGone);
    assert.deepEqual(js.s.pubs, []);
    assert.equal(pb.c.state, 'connected');
  });

  test('the refusal is about the data, not the channel: a JSON-build subscriber that comes after binary data gets the JSON that follows', async () => {
    const ch = fresh('after');
    const pb = await subscriber(server, 'protobuf', 'pba', ch);
    await pb.s.publish(NOT_UTF8);
    await untilCount(pb.s.pubs, 1, 'the binary publication');
    const js = await subscriber(server, 'json', 'jsa', ch);
    await pb.s.publish(enc('text again', 'protobuf'));
    await untilCount(js.s.pubs, 1, 'publications at the JSON build');
    assert.equal(dec(js.s.pubs[0].data, 'json'), 'text again');
    await until(() => pb.s.pubs.length === 2, { what: 'both publications at the Protobuf build' });
    assert.deepEqual(bytesOf(pb.s.pubs[0].data), NOT_UTF8);
    assert.equal(js.c.state, 'connected');
  });
});

// Nodes sharing Redis: bytes cross nodes unchanged (Redis strings and the
// node codec are binary-safe), each node encodes for the formats its own
// clients speak, and the JSON refusal happens on the node of the JSON client.
describe('binary data across nodes sharing Redis', () => {
  let redis;
  const nodes = [];
  before(async () => {
    await loadBuild('json');
    await loadBuild('protobuf');
    redis = await new RedisServer().start();
    for (const name of ['b1', 'b2']) {
      nodes.push(await startHerald(CONFIG + `
[server]
node_name = "${name}"

[engine]
type = "redis"
redis_addresses = ["${redis.address}"]
`));
    }
  });
  after(async () => {
    disconnectAll();
    for (const n of nodes) await n.dispose();
    await redis?.dispose();
  });

  test('a Protobuf publication on one node reaches a Protobuf subscriber on the other byte-exact, and its JSON subscriber gets 3506', async () => {
    const ch = fresh('nodes');
    const far = await subscriber(nodes[1], 'protobuf', 'far', ch);
    const js = await subscriber(nodes[1], 'json', 'jsn', ch);
    const near = await subscriber(nodes[0], 'protobuf', 'near', ch);
    const jsGone = waitFor(js.c, 'disconnected');
    await near.s.publish(NOT_UTF8);
    await untilCount(far.s.pubs, 1, 'the publication on the far node');
    assert.deepEqual(bytesOf(far.s.pubs[0].data), NOT_UTF8);
    assert.equal(far.s.pubs[0].offset, 1);
    await refused(js.c, jsGone);
    const h = await far.s.history({ limit: 10 });
    assert.deepEqual(h.publications.map((p) => bytesOf(p.data)), [NOT_UTF8]);
  });
});
