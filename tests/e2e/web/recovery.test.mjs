// The server is killed (SIGKILL) and restarted on the same port and data dir
// while a third party keeps publishing through the HTTP API, retrying what
// fails. Both pages say "reconnecting", then "connected", and then show every
// acknowledged message exactly once, in the order it was acknowledged.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { HeraldServer, api, launchBrowser, openChat, shownTexts, waitConnection } from './harness.mjs';

let server, browser, ann, bob;

before(async () => {
  server = await new HeraldServer().start();
  browser = await launchBrowser();
  ann = await openChat(browser, server, 'Ann');
  bob = await openChat(browser, server, 'Bob');
});
after(async () => {
  await browser?.close();
  await server?.dispose();
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Publishes api-<n>-<attempt> one at a time until stopped; a failed attempt
// is retried under a new name (it may or may not have been stored, so only
// acknowledged names are expected, and none may show twice).
function startPublisher() {
  const acked = [];
  const attempted = [];
  let running = true;
  const done = (async () => {
    for (let n = 1; running; n++) {
      for (let attempt = 1; running; attempt++) {
        const text = `api-${n}-${attempt}`;
        attempted.push(text);
        try {
          await api(server, 'publish', { channel: 'chat:lobby', data: { type: 'text', text, ts: Date.now() } });
          acked.push(text);
          break;
        } catch {
          await sleep(50);
        }
      }
      await sleep(40);
    }
  })();
  return { acked, attempted, stop: async () => { running = false; await done; } };
}

test('kill -9 and restart: "reconnecting", then every acknowledged message once, in order', async () => {
  const pub = startPublisher();
  while (pub.acked.length < 10) await sleep(20);

  await server.kill9();
  const ackedBefore = pub.acked.length;
  await Promise.all([waitConnection(ann, 'reconnecting'), waitConnection(bob, 'reconnecting')]);
  await sleep(1000); // an outage: the publisher keeps failing and retrying
  await server.restart();
  const restartedAt = pub.acked.length;
  assert.ok(restartedAt - ackedBefore <= 1, 'no publication is acknowledged while the server is down');
  while (pub.acked.length < restartedAt + 15) await sleep(20);

  await Promise.all([waitConnection(ann, 'connected', 20_000), waitConnection(bob, 'connected', 20_000)]);
  await pub.stop();
  const acked = pub.acked;

  for (const page of [ann, bob]) {
    await page.waitForFunction((last) =>
      [...document.querySelectorAll('[data-testid="message-text"]')].some((e) => e.textContent === last),
      acked.at(-1), { timeout: 10_000 });
    await sleep(300); // anything delivered twice would show by now
    const shown = (await shownTexts(page)).filter((t) => t.startsWith('api-'));
    assert.equal(new Set(shown).size, shown.length, `a message shown twice: ${shown.join(' ')}`);
    const ackedSet = new Set(acked);
    assert.deepEqual(shown.filter((t) => ackedSet.has(t)), acked, 'every acknowledged message, in order');
    const unknown = shown.filter((t) => !ackedSet.has(t) && !pub.attempted.includes(t));
    assert.deepEqual(unknown, []);
    const offsets = await page.$$eval('[data-testid="message-list"] [data-testid="message"]', (els) => els.map((e) => Number(e.dataset.offset)));
    assert.deepEqual(offsets, [...offsets].sort((a, b) => a - b), 'shown in offset order');
    assert.deepEqual(page.errors, []);
  }
});
