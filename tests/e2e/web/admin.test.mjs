// The admin UI (/admin) against two nodes sharing a real redis-server: a
// wrong password is refused and the right one signs in; the overview lists
// both nodes; a channel's presence and history match what the test put
// there; the publish console's message reaches a subscribed SDK client (the
// npm centrifuge SDK in this process, connected to the other node); and
// "disconnect user" disconnects that client with code 3503. Saves
// docs/screenshots/admin-overview.png and admin-channel.png.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

import { RedisServer } from '../../support/redis_server.mjs';
import { HeraldServer, REPO, SCREENSHOTS, STEP_MS, VIEWPORT, api, apiBatch, demoConfig, launchBrowser } from './harness.mjs';

// The SDK as an application's backend or a Node client would use it: the
// npm package from the interop suite's lock file, over the `ws` package.
const sdk = createRequire(path.join(REPO, 'tests', 'interop', 'centrifuge', 'package.json'));
const { Centrifuge } = sdk('centrifuge');
const WebSocket = sdk('ws');

const PASSWORD = 'demo-admin-password'; // herald.demo.toml's [admin] password
const CHANNEL = 'chat:admin-e2e';

let redis, nodeA, nodeB, browser, page, client, user;
const received = [];
let disconnected, unsubscribed;

function nodeConfig(name) {
  const config = demoConfig().replace(/^\[server\]$/m, `[server]\nnode_name = "${name}"`);
  assert.notEqual(config, demoConfig(), 'herald.demo.toml has no [server] section to name the node in');
  return `${config}\n[engine]\ntype = "redis"\nredis_addresses = ["${redis.address}"]\n`;
}

before(async () => {
  redis = await new RedisServer().start();
  nodeA = await new HeraldServer(nodeConfig('node-a')).start();
  nodeB = await new HeraldServer(nodeConfig('node-b')).start();

  // The SDK client: a demo user on node B, subscribed to the channel.
  const res = await fetch(`${nodeB.url}/demo/token`, { method: 'POST', body: JSON.stringify({ name: 'Mallory' }) });
  const minted = await res.json();
  user = minted.user;
  client = new Centrifuge(nodeB.wsUrl, { token: minted.token, websocket: WebSocket });
  disconnected = new Promise((resolve) => client.on('disconnected', resolve));
  const sub = client.newSubscription(CHANNEL);
  sub.on('publication', (ctx) => received.push(ctx.data));
  unsubscribed = new Promise((resolve) => sub.on('unsubscribed', resolve));
  const subscribed = new Promise((resolve, reject) => {
    sub.on('subscribed', resolve);
    sub.on('error', (ctx) => reject(new Error(`subscribe: ${JSON.stringify(ctx.error)}`)));
  });
  sub.subscribe();
  client.connect();
  await subscribed;
  for (let i = 1; i <= 3; i++) await api(nodeA, 'publish', { channel: CHANNEL, data: { text: `from the backend ${i}` } });

  browser = await launchBrowser();
  page = await (await browser.newContext({ viewport: VIEWPORT })).newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(String(e)));
  await page.goto(`${nodeA.url}/admin`);
});

after(async () => {
  client?.disconnect();
  await browser?.close();
  await nodeA?.dispose();
  await nodeB?.dispose();
  await redis?.dispose();
});

const text = (id) => page.getByTestId(id).textContent();

test('a wrong password is refused, the right one signs in', async () => {
  await page.getByTestId('signin-password').fill('not-the-password');
  await page.getByTestId('signin-submit').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="signin-error"]').textContent !== '', null, { timeout: STEP_MS });
  assert.equal(await text('signin-error'), 'wrong password');
  assert.equal(await page.getByTestId('admin-view').isVisible(), false);

  await page.getByTestId('signin-password').fill(PASSWORD);
  await page.getByTestId('signin-submit').click();
  await page.getByTestId('admin-view').waitFor({ state: 'visible', timeout: STEP_MS });
  assert.match(await text('session-expiry'), /^signed in until /);
});

test('the overview shows both nodes sharing Redis', async () => {
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="node-row"]').length === 2, null, { timeout: STEP_MS });
  const names = await page.$$eval('[data-testid="node-row"]', (rows) => rows.map((r) => r.dataset.node));
  assert.deepEqual(names, ['node-a', 'node-b']);
  // Node B holds the SDK client (the browser's page is not a client).
  await page.waitForFunction(() => document.querySelector('[data-testid="node-row"][data-node="node-b"] [data-testid="node-clients"]')?.textContent === '1',
    null, { timeout: STEP_MS });
  assert.match(await text('nodes-summary'), /^2 nodes, 1 clients$/);
});

test('screenshot of the overview', async () => {
  // A few polls, so the charts have lines.
  await page.waitForTimeout(5000);
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, 'admin-overview.png') });
});

test("a channel's presence and history match what was published", async () => {
  await page.getByTestId('tab-channels').click();
  await page.getByTestId('channel-search').fill('admin-e2e');
  await page.getByTestId('channel-search').press('Enter');
  const item = page.locator(`[data-testid="channel-item"][data-channel="${CHANNEL}"]`);
  await item.waitFor({ timeout: STEP_MS });
  await item.click();
  await page.locator(`[data-testid="presence-row"][data-user="${user}"]`).waitFor({ timeout: STEP_MS });
  assert.equal(await page.locator('[data-testid="presence-row"]').count(), 1);
  assert.match(await page.locator('[data-testid="presence-row"]').textContent(), /"name":"Mallory"/);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="history-row"]').length === 3, null, { timeout: STEP_MS });
  const rows = await page.$$eval('[data-testid="history-row"]', (rs) => rs.map((r) => [Number(r.dataset.offset), r.cells[2].textContent]));
  assert.deepEqual(rows, [3, 2, 1].map((i) => [i, JSON.stringify({ text: `from the backend ${i}` })]), 'newest first');
});

test("the publish console's message reaches the SDK client on the other node", async () => {
  await page.getByTestId('publish-data').fill('{"text":"from the admin console"}');
  await page.getByTestId('publish-submit').click();
  await page.waitForFunction(() => /^published at offset 4$/.test(document.querySelector('[data-testid="publish-result"]').textContent),
    null, { timeout: STEP_MS });
  const deadline = Date.now() + STEP_MS;
  while (received.length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(received, [1, 2, 3].map((i) => ({ text: `from the backend ${i}` })).concat([{ text: 'from the admin console' }]));
  // The history table was refreshed with it on top.
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="history-row"]').length === 4, null, { timeout: STEP_MS });
});

test('screenshot of a channel', async () => {
  await page.screenshot({ path: path.join(SCREENSHOTS, 'admin-channel.png') });
});

test('history is paged, newest first, 20 at a time', async () => {
  const commands = [];
  for (let i = 5; i <= 45; i++) commands.push({ publish: { channel: CHANNEL, data: { n: i } } });
  const replies = await apiBatch(nodeA, commands);
  assert.equal(replies.filter((r) => r.publish).length, 41, JSON.stringify(replies.find((r) => !r.publish)));
  const shown = () => page.$$eval('[data-testid="history-row"]', (rs) => rs.map((r) => Number(r.dataset.offset)));
  const range = (from, to) => Array.from({ length: from - to + 1 }, (_, i) => from - i);
  await page.getByTestId('history-newest').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="history-row"]')?.dataset.offset === '45', null, { timeout: STEP_MS });
  assert.deepEqual(await shown(), range(45, 26));
  for (const expected of [range(25, 6), range(5, 1)]) {
    await page.getByTestId('history-older').click();
    await page.waitForFunction((top) => document.querySelector('[data-testid="history-row"]')?.dataset.offset === String(top), expected[0], { timeout: STEP_MS });
    assert.deepEqual(await shown(), expected);
  }
  assert.equal(await page.getByTestId('history-older').isDisabled(), true, 'offset 1 is the oldest');
  assert.match(await text('history-position'), /^offsets 1–5 of 45, epoch /);
});

test('text that is not JSON is refused in the page, before any request', async () => {
  const before = received.length;
  await page.getByTestId('publish-data').fill('{not json');
  await page.getByTestId('publish-submit').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="publish-result"]').dataset.ok === 'false', null, { timeout: STEP_MS });
  assert.match(await text('publish-result'), /^not JSON: /);
  await page.waitForTimeout(300);
  assert.equal(received.length, before, 'nothing was published');
});

test('"unsubscribe" takes the user out of the channel, on the other node too', async () => {
  await page.getByTestId('tab-users').click();
  await page.getByTestId('unsubscribe-user').fill(user);
  await page.getByTestId('unsubscribe-channel').fill(CHANNEL);
  await page.getByTestId('unsubscribe-submit').click();
  const ctx = await Promise.race([unsubscribed, new Promise((_, reject) => setTimeout(() => reject(new Error('the SDK subscription was not ended')), STEP_MS))]);
  assert.equal(typeof ctx.code, 'number');
  await page.waitForFunction(() => document.querySelector('[data-testid="unsubscribe-result"]').dataset.ok === 'true', null, { timeout: STEP_MS });
  assert.equal(client.state, 'connected', 'only the subscription ends');
  // Subscribe again for what follows.
  const sub = client.getSubscription(CHANNEL);
  const again = new Promise((resolve) => sub.once('subscribed', resolve));
  sub.subscribe();
  await again;
});

test('"disconnect user" disconnects the SDK client with 3503', async () => {
  await page.getByTestId('tab-users').click();
  await page.getByTestId('disconnect-user').fill(user);
  await page.getByTestId('disconnect-code').selectOption('3503');
  await page.getByTestId('disconnect-submit').click();
  const ctx = await Promise.race([disconnected, new Promise((_, reject) => setTimeout(() => reject(new Error('the SDK client was not disconnected')), STEP_MS))]);
  assert.equal(ctx.code, 3503, `disconnected with ${ctx.code} (${ctx.reason})`);
  assert.equal(client.state, 'disconnected', 'a 3503 client does not reconnect');
  await page.waitForFunction(() => document.querySelector('[data-testid="disconnect-result"]').dataset.ok === 'true', null, { timeout: STEP_MS });
  assert.equal(await text('disconnect-result'), `user ${user} disconnected with 3503 on every node`);
  // Its presence is gone from the channel, as seen from node A.
  await page.getByTestId('tab-channels').click();
  await page.getByTestId('channel-open').fill(CHANNEL);
  await page.getByTestId('channel-open').press('Enter');
  await page.waitForFunction(() => document.querySelector('[data-testid="presence-count"]').textContent === '0 clients', null, { timeout: STEP_MS });
});

test('the configuration tab hides secrets; signing out asks for the password again', async () => {
  await page.getByTestId('tab-config').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="config-text"]').textContent.includes('[admin]'), null, { timeout: STEP_MS });
  const config = await text('config-text');
  assert.match(config, /^password = "<set>"$/m);
  assert.doesNotMatch(config, /demo-admin-password|demo-api-key|demo-secret-change-me/);
  assert.match(config, /^node_name = "node-a"$/m);
  await page.getByTestId('signout').click();
  await page.getByTestId('signin-view').waitFor({ state: 'visible', timeout: STEP_MS });
  await page.reload();
  await page.getByTestId('signin-view').waitFor({ state: 'visible', timeout: STEP_MS });
  assert.deepEqual(page.errors, []);
});
