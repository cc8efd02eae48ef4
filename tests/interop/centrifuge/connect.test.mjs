// The SDK connects with a token, without one, with an expired one (the
// getToken flow), and refreshes a short-lived token while connected.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  apiOk, baseConfig, cliToken, collect, connectClient, disconnectAll, makeClient, makeToken,
  startHerald, until, untilCount, waitFor,
} from './herald.mjs';

const CONFIG = baseConfig({ anonymous: true }) + `
[channel]
presence = true
allow_subscribe_for_client = true
allow_subscribe_for_anonymous = true
`;

describe('connect', () => {
  let server;
  before(async () => { server = await startHerald(CONFIG); });
  after(async () => { disconnectAll(); await server?.dispose(); });

  test('a token minted by `herald token` connects as its user', async () => {
    const token = await cliToken(['--user', 'alice', '--ttl', '1h', '--info', '{"name":"Alice"}']);
    const c = await connectClient(server.wsUrl, { token });
    assert.ok(c.connectedCtx.client, 'connected context has a client id');
    assert.equal(c.state, 'connected');
    // The server knows the connection as alice, with the token's info.
    const sub = c.newSubscription('lobby');
    sub.subscribe();
    await sub.ready(5000);
    const presence = await apiOk(server, 'presence', { channel: 'lobby' });
    const entry = presence.presence[c.connectedCtx.client];
    assert.ok(entry, `presence has the client: ${JSON.stringify(presence)}`);
    assert.equal(entry.user, 'alice');
    assert.deepEqual(entry.conn_info, { name: 'Alice' });
    c.disconnect();
  });

  test('a token signed in JS (node:crypto HS256) connects', async () => {
    const c = await connectClient(server.wsUrl, { token: makeToken('bob') });
    assert.equal(c.state, 'connected');
    assert.ok(c.connectedCtx.client);
    c.disconnect();
  });

  test('without a token when anonymous connections are allowed', async () => {
    const c = await connectClient(server.wsUrl);
    assert.equal(c.state, 'connected');
    const sub = c.newSubscription('lobby-anon');
    sub.subscribe();
    await sub.ready(5000);
    const presence = await apiOk(server, 'presence', { channel: 'lobby-anon' });
    assert.equal(presence.presence[c.connectedCtx.client]?.user, '');
    c.disconnect();
  });

  test('getToken alone is called for the first connect', async () => {
    let calls = 0;
    const c = await connectClient(server.wsUrl, {
      getToken: async () => { calls++; return makeToken('carol'); },
    });
    assert.equal(calls, 1);
    assert.equal(c.state, 'connected');
    c.disconnect();
  });

  test('an expired token: error 109, getToken is called, then connected', async () => {
    let calls = 0;
    const c = makeClient(server.wsUrl, {
      token: makeToken('dave', { ttl: -60 }),
      getToken: async () => { calls++; return makeToken('dave'); },
    });
    const connected = waitFor(c, 'connected');
    c.connect();
    await connected;
    assert.equal(calls, 1, 'getToken called once');
    const connectErrors = c.errors.filter((e) => e.type === 'connect');
    assert.equal(connectErrors.length, 1, `one connect error: ${JSON.stringify(c.errors)}`);
    assert.equal(connectErrors[0].error.code, 109);
    c.disconnect();
  });

  test('short-lived connection and subscription tokens are refreshed; connection and subscription stay', async () => {
    // The server allows a refresh up to 5 s late; waiting past exp + grace
    // proves the refresh and sub_refresh commands were accepted.
    let calls = 0;
    let subCalls = 0;
    const c = makeClient(server.wsUrl, {
      token: makeToken('erin', { ttl: 2 }),
      getToken: async () => { calls++; return makeToken('erin', { ttl: 2 }); },
    });
    const connected = waitFor(c, 'connected');
    c.connect();
    const ctx = await connected;
    const drops = [];
    c.on('connecting', (ctx) => drops.push(['connecting', ctx.code, ctx.reason]));
    c.on('disconnected', (ctx) => drops.push(['disconnected', ctx.code, ctx.reason]));
    const clientId = ctx.client;
    const tokenSub = c.newSubscription('sub-refresh', {
      token: makeToken('erin', { channel: 'sub-refresh', ttl: 2 }),
      getToken: async () => { subCalls++; return makeToken('erin', { channel: 'sub-refresh', ttl: 2 }); },
    });
    const subGot = collect(tokenSub, 'publication');
    tokenSub.subscribe();
    await tokenSub.ready(5000);
    const subDrops = collect(tokenSub, 'subscribing');
    const t0 = Date.now();
    await until(() => Date.now() - t0 > 8000 && calls >= 3 && subCalls >= 3,
      { timeout: 15000, what: `three refreshes of each token past the first exp + grace (have ${calls}, ${subCalls})` });
    assert.deepEqual(drops, [], 'never reconnected');
    assert.deepEqual(subDrops.map((d) => [d.code, d.reason]), [], 'never resubscribed');
    assert.equal(tokenSub.state, 'subscribed');
    await apiOk(server, 'publish', { channel: 'sub-refresh', data: 'still here' });
    await untilCount(subGot, 1, 'publications after the refreshes');
    assert.equal(c.state, 'connected');
    assert.equal(c.errors.length, 0, JSON.stringify(c.errors));
    // Still the same connection, and it still works.
    const sub = c.newSubscription('after-refresh');
    sub.subscribe();
    await sub.ready(5000);
    const presence = await apiOk(server, 'presence', { channel: 'after-refresh' });
    assert.ok(presence.presence[clientId], 'same client id after refreshes');
    c.disconnect();
  });

  test('subscriptions made before connect are all subscribed after it', async () => {
    const c = makeClient(server.wsUrl, { token: makeToken('early') });
    const subs = ['pre-1', 'pre-2', 'pre-3'].map((ch) => c.newSubscription(ch));
    for (const s of subs) s.subscribe();
    c.connect();
    await Promise.all(subs.map((s) => s.ready(5000)));
    for (const ch of ['pre-1', 'pre-2', 'pre-3'])
      assert.equal((await apiOk(server, 'presence_stats', { channel: ch })).num_clients, 1, ch);
    c.disconnect();
  });

  test('SIGTERM: the SDK is told to reconnect (3001) and does once the server is back', async () => {
    const own = await startHerald(CONFIG);
    try {
      const c = await connectClient(own.wsUrl, { token: makeToken('frank'), maxReconnectDelay: 300 });
      const connecting = waitFor(c, 'connecting');
      const exited = await own.stop();
      assert.deepEqual(exited, { code: 0, signal: null }, 'herald serve exits 0 on SIGTERM');
      const ctx = await connecting;
      assert.equal(ctx.code, 3001, `connecting code ${ctx.code} (${ctx.reason}), expected 3001 shutdown`);
      const reconnected = waitFor(c, 'connected', { timeout: 10000 });
      await own.restart();
      await reconnected;
      c.disconnect();
    } finally {
      await own.dispose();
    }
  });
});

describe('server pings', () => {
  let server;
  before(async () => {
    // Pings every 2 s (the sweep runs each second, so up to 3 s apart); a
    // pong more than 1 s late is a disconnect (3012).
    server = await startHerald(CONFIG.replace('[client]\n', '[client]\nping_interval = "2s"\npong_timeout = "1s"\n'));
  });
  after(async () => { disconnectAll(); await server?.dispose(); });

  test('the SDK answers server pings and stays connected over several ping intervals', async () => {
    // The SDK closes when no ping comes within ping + maxServerPingDelay.
    const c = await connectClient(server.wsUrl, { token: makeToken('pinged'), maxServerPingDelay: 2000 });
    const drops = collect(c, 'connecting');
    await new Promise((r) => setTimeout(r, 5500));
    assert.deepEqual(drops.map((d) => [d.code, d.reason]), [], 'no reconnect: pings arrive and pongs are accepted');
    assert.equal(c.state, 'connected');
  });
});

describe('connect refused', () => {
  let server;
  before(async () => { server = await startHerald(baseConfig({ anonymous: false })); });
  after(async () => { disconnectAll(); await server?.dispose(); });

  test('without a token when anonymous is not allowed: disconnected (101), no reconnect', async () => {
    const c = makeClient(server.wsUrl);
    const connecting = [];
    const disconnected = waitFor(c, 'disconnected');
    c.connect();
    c.on('connecting', (ctx) => connecting.push(ctx));
    const ctx = await disconnected;
    assert.equal(ctx.code, 101, `disconnected code ${ctx.code} (${ctx.reason})`);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(c.state, 'disconnected');
    assert.deepEqual(connecting, [], 'no reconnect attempt');
  });

  test('a token with a wrong signature: disconnected with 3500, no reconnect', async () => {
    const c = makeClient(server.wsUrl, { token: makeToken('mallory', { secret: 'not-the-secret' }) });
    const disconnected = waitFor(c, 'disconnected');
    c.connect();
    const ctx = await disconnected;
    assert.equal(ctx.code, 3500, `disconnected code ${ctx.code} (${ctx.reason})`);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(c.state, 'disconnected');
  });
});
