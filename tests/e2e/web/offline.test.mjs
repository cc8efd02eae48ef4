// What Ann types while the server is down stays on her screen, marked
// pending, and is published once the connection is back: Bob gets it exactly
// once, and so does Ann. A message the server refuses is marked failed,
// with a button to try again. Browsers need a favicon, and get one.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { HeraldServer, demoConfig, launchBrowser, openChat, say, shownTexts, waitConnection, waitForText } from './harness.mjs';

const count = (texts, t) => texts.filter((x) => x === t).length;

describe('offline messages', () => {
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

  test('typed while the server is stopped: pending, then delivered once to everyone after the restart', async () => {
    await say(ann, 'before the outage');
    await waitForText(bob, 'before the outage');
    await server.stop();
    await waitConnection(ann, 'reconnecting');
    await say(ann, 'written while offline');
    await ann.waitForSelector('[data-testid="pending-message"]', { timeout: 5000 });
    assert.equal(await ann.getByTestId('pending-text').textContent(), 'written while offline');
    assert.match(await ann.getByTestId('pending-status').textContent(), /waiting for the connection/);
    assert.equal(count(await shownTexts(ann), 'written while offline'), 0, 'pending, not yet a message');

    await server.restart();
    await waitForText(bob, 'written while offline', 20_000);
    await waitForText(ann, 'written while offline', 20_000);
    await ann.waitForFunction(() => !document.querySelector('[data-testid="pending-message"]'), null, { timeout: 10_000 });
    // A moment for any second copy to show up, then exactly one each.
    await say(bob, 'after the restart');
    await waitForText(ann, 'after the restart');
    for (const page of [ann, bob]) {
      const texts = await shownTexts(page);
      assert.equal(count(texts, 'written while offline'), 1, JSON.stringify(texts));
      assert.equal(count(texts, 'before the outage'), 1, JSON.stringify(texts));
      assert.ok(texts.indexOf('written while offline') < texts.indexOf('after the restart'), JSON.stringify(texts));
    }
    assert.deepEqual(ann.errors, []);
  });

  test('the chat has a favicon', async () => {
    const href = await ann.$eval('link[rel="icon"]', (l) => l.href);
    const res = await fetch(href);
    assert.equal(res.status, 200, href);
    assert.match(res.headers.get('content-type') ?? '', /image\/svg\+xml/);
  });
});

describe('a refused message', () => {
  let server, browser, ann;
  before(async () => {
    // The chat namespace without publishing: every message is refused (103).
    const config = demoConfig().replace(
      /(\[\[namespace\]\]\nname = "chat"[\s\S]*?)allow_publish_for_subscriber = true\n/, '$1');
    assert.notEqual(config, demoConfig(), 'the demo configuration lets chat subscribers publish');
    server = await new HeraldServer(config).start();
    browser = await launchBrowser();
    ann = await openChat(browser, server, 'Ann');
  });
  after(async () => {
    await browser?.close();
    await server?.dispose();
  });

  test('is marked failed with a retry button, and a retry that is refused again stays failed', async () => {
    await say(ann, 'nobody may publish here');
    await ann.waitForSelector('[data-testid="pending-message"].failed', { timeout: 10_000 });
    assert.match(await ann.getByTestId('pending-status').textContent(), /Not sent: permission denied/);
    await ann.getByTestId('pending-retry').click();
    await ann.waitForSelector('[data-testid="pending-retry"]', { timeout: 10_000 });
    assert.equal(await ann.locator('[data-testid="pending-message"]').count(), 1, 'still one line, not two');
    assert.equal(count(await shownTexts(ann), 'nobody may publish here'), 0);
  });
});
