// Refusals with the documented codes (include/herald/proto/codes.hpp), as
// the SDK reports them: reply errors end a subscription ('unsubscribed' with
// the code) or reject a call, token errors disconnect with 3500.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  baseConfig, collect, connectClient, disconnectAll, enc, makeToken, startHerald, waitFor,
} from './herald.mjs';

const CONFIG = baseConfig({ extraClient: 'max_subscriptions_per_connection = 3\nmax_channel_length = 64' }) + `
[channel]
allow_subscribe_for_client = true

[[namespace]]
name = "closed"
presence = true
history_size = 10
history_ttl = "5m"
durable = false

[[namespace]]
name = "plain"
allow_subscribe_for_client = true
allow_publish_for_subscriber = true
allow_history_for_subscriber = true
allow_presence_for_subscriber = true

[[namespace]]
name = "dm"
allow_user_limited_channels = true
`;

const rejectsWith = (promise, code) => assert.rejects(promise, (err) => {
  assert.equal(err.code, code, `expected error ${code}, got ${JSON.stringify(err)}`);
  return true;
});

// Subscribes and resolves with the 'unsubscribed' context of a refused subscribe.
async function refusedSubscribe(client, channel, options = {}) {
  const s = client.newSubscription(channel, options);
  const unsubscribed = waitFor(s, 'unsubscribed');
  s.subscribe();
  const ready = s.ready(5000).then(() => 'resolved', (err) => err);
  const ctx = await unsubscribed;
  const readyResult = await ready;
  assert.notEqual(readyResult, 'resolved', 'ready() rejects');
  assert.equal(s.state, 'unsubscribed');
  client.removeSubscription(s);
  return ctx;
}

describe('errors', () => {
  let server, c, anon;
  before(async () => {
    server = await startHerald(CONFIG);
    c = await connectClient(server.wsUrl, { token: makeToken('eve') });
    anon = await connectClient(server.wsUrl);
  });
  after(async () => { disconnectAll(); await server?.dispose(); });

  test('subscribe to an unknown namespace: 102', async () => {
    const ctx = await refusedSubscribe(c, 'nosuch:room');
    assert.equal(ctx.code, 102, `unsubscribed ${ctx.code} (${ctx.reason})`);
    assert.equal(c.state, 'connected');
  });

  test('subscribe to a forbidden channel: 103', async () => {
    const ctx = await refusedSubscribe(c, 'closed:room');
    assert.equal(ctx.code, 103, `unsubscribed ${ctx.code} (${ctx.reason})`);
  });

  test('anonymous subscribe where only authenticated clients may: 103', async () => {
    const ctx = await refusedSubscribe(anon, 'open-to-clients');
    assert.equal(ctx.code, 103, `unsubscribed ${ctx.code} (${ctx.reason})`);
  });

  test('a user-limited channel of other users: 103; of this user: subscribed', async () => {
    const ctx = await refusedSubscribe(c, 'dm:#alice,bob');
    assert.equal(ctx.code, 103, `unsubscribed ${ctx.code} (${ctx.reason})`);
    const s = c.newSubscription('dm:#eve,bob');
    s.subscribe();
    await s.ready(5000);
    c.removeSubscription(s);
  });

  test('a subscription token for another channel: 103', async () => {
    const token = makeToken('eve', { channel: 'closed:other' });
    const ctx = await refusedSubscribe(c, 'closed:mine', { token });
    assert.equal(ctx.code, 103, `unsubscribed ${ctx.code} (${ctx.reason})`);
  });

  test('a subscription token opens a forbidden channel', async () => {
    const s = c.newSubscription('closed:granted', { token: makeToken('eve', { channel: 'closed:granted' }) });
    s.subscribe();
    await s.ready(5000);
    c.removeSubscription(s);
  });

  test('an expired subscription token: 109, getToken, then subscribed', async () => {
    let calls = 0;
    const s = c.newSubscription('closed:renew', {
      token: makeToken('eve', { channel: 'closed:renew', ttl: -60 }),
      getToken: async () => { calls++; return makeToken('eve', { channel: 'closed:renew' }); },
      minResubscribeDelay: 50,
    });
    const errors = collect(s, 'error');
    s.subscribe();
    await s.ready(5000);
    assert.equal(calls, 1);
    assert.equal(errors[0]?.error?.code, 109, JSON.stringify(errors));
    c.removeSubscription(s);
  });

  test('publish without permission: 103', async () => {
    await rejectsWith(c.publish('closed:room', enc({ x: 1 })), 103);
    // plain: subscribers only.
    await rejectsWith(c.publish('plain:room', enc({ x: 1 })), 103);
    await rejectsWith(anon.publish('open', enc({ x: 1 })), 103);
    assert.equal(c.state, 'connected');
  });

  test('publish to an unknown namespace: 102', async () => {
    await rejectsWith(c.publish('nosuch:room', enc(1)), 102);
  });

  test('presence and presence_stats where presence is off: 108', async () => {
    const s = c.newSubscription('plain:nopresence');
    s.subscribe();
    await s.ready(5000);
    await rejectsWith(s.presence(), 108);
    await rejectsWith(s.presenceStats(), 108);
    c.removeSubscription(s);
  });

  test('history where history is off: 108', async () => {
    const s = c.newSubscription('plain:nohistory');
    s.subscribe();
    await s.ready(5000);
    await rejectsWith(s.history({ limit: 10 }), 108);
    c.removeSubscription(s);
  });

  test('presence and history without permission: 103', async () => {
    await rejectsWith(c.presence('closed:room'), 103);
    await rejectsWith(c.presenceStats('closed:room'), 103);
    await rejectsWith(c.history('closed:room', { limit: 1 }), 103);
  });

  test('rpc without a handler: a non-temporary error, the connection stays', async () => {
    await assert.rejects(c.rpc('getUser', enc({ id: 1 })), (err) => {
      assert.ok(err.code === 108 || err.code === 104, `108 not available or 104 method not found, got ${JSON.stringify(err)}`);
      assert.notEqual(err.temporary, true);
      return true;
    });
    assert.equal(c.state, 'connected');
  });

  test('more subscriptions than max_subscriptions_per_connection: 106', async () => {
    const own = await connectClient(server.wsUrl, { token: makeToken('many') });
    for (let i = 0; i < 3; i++) {
      const s = own.newSubscription(`many-${i}`);
      s.subscribe();
      await s.ready(5000);
    }
    const ctx = await refusedSubscribe(own, 'many-3');
    assert.equal(ctx.code, 106, `unsubscribed ${ctx.code} (${ctx.reason})`);
    own.disconnect();
  });

  test('a channel name longer than max_channel_length: a reply error (107), not a disconnect', async () => {
    // centrifugal/centrifuge answers a too long channel with ErrorBadRequest
    // (107; 106 limit exceeded in older versions) and keeps the connection.
    const own = await connectClient(server.wsUrl, { token: makeToken('long') });
    const s = own.newSubscription('x'.repeat(65));
    const outcome = Promise.race([
      waitFor(s, 'unsubscribed').then((ctx) => ['unsubscribed', ctx.code, ctx.reason]),
      waitFor(own, 'disconnected').then((ctx) => ['disconnected', ctx.code, ctx.reason]),
    ]);
    s.subscribe();
    const [event, code, reason] = await outcome;
    assert.equal(event, 'unsubscribed', `the connection was closed instead: ${code} (${reason})`);
    assert.ok(code === 107 || code === 106, `unsubscribed ${code} (${reason})`);
    assert.equal(own.state, 'connected');
    own.disconnect();
  });

  test('an invalid subscription token: disconnected with 3500', async () => {
    const own = await connectClient(server.wsUrl, { token: makeToken('forger') });
    const disconnected = waitFor(own, 'disconnected');
    const s = own.newSubscription('closed:forged', { token: makeToken('forger', { channel: 'closed:forged', secret: 'wrong' }) });
    s.subscribe();
    const ctx = await disconnected;
    assert.equal(ctx.code, 3500, `disconnected ${ctx.code} (${ctx.reason})`);
  });

  test('an invalid connection token: disconnected with 3500', async () => {
    const { makeClient } = await import('./herald.mjs');
    const own = makeClient(server.wsUrl, { token: 'not.a.jwt' });
    const disconnected = waitFor(own, 'disconnected');
    own.connect();
    const ctx = await disconnected;
    assert.equal(ctx.code, 3500, `disconnected ${ctx.code} (${ctx.reason})`);
  });
});
