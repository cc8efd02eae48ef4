// Files over the connection: a 5 MiB file sent by one page arrives at the
// other with the same SHA-256 as the bytes generated here, an image is shown
// inline, and an 11 MiB file is refused with a readable message.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';

import { HeraldServer, launchBrowser, openChat, waitForMember } from './harness.mjs';

let server, browser, ann, bob;

before(async () => {
  server = await new HeraldServer().start();
  browser = await launchBrowser();
  ann = await openChat(browser, server, 'Ann');
  bob = await openChat(browser, server, 'Bob');
  await waitForMember(ann, 'Bob');
  await waitForMember(bob, 'Ann');
});
after(async () => {
  await browser?.close();
  await server?.dispose();
});

const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');
const MiB = 1024 * 1024;

// The file view of `name` on `page` once complete: its data attributes.
async function received(page, name, timeout) {
  const handle = await page.waitForFunction((n) => {
    const el = [...document.querySelectorAll('[data-testid="file"]')]
      .find((f) => f.querySelector('[data-testid="file-name"]')?.textContent === n);
    return el && el.dataset.state !== 'receiving' ? { ...el.dataset } : null;
  }, name, { timeout });
  return handle.jsonValue();
}

test('a 5 MiB file arrives whole: the same SHA-256 on both pages as here', async () => {
  const bytes = randomBytes(5 * MiB);
  const expected = sha256(bytes);
  const progress = [];
  await ann.exposeFunction('recordProgress', (v) => progress.push(v));
  await ann.evaluate(() => {
    const bar = document.querySelector('[data-testid="upload-progress-bar"]');
    new MutationObserver(() => window.recordProgress(Number(bar.value))).observe(bar, { attributes: true });
  });
  const started = Date.now();
  await ann.getByTestId('file-input').setInputFiles({ name: 'data.bin', mimeType: 'application/octet-stream', buffer: bytes });
  // 160 chunks paced at 120/s: about 1.5 s, well within this.
  await ann.waitForSelector('[data-testid="upload-progress"]:not([hidden])', { timeout: 5000 }).catch(() => {});
  const atBob = await received(bob, 'data.bin', 30_000);
  const atAnn = await received(ann, 'data.bin', 10_000);
  assert.equal(atBob.state, 'complete');
  assert.equal(atBob.sha256, expected, 'SHA-256 of the reassembled file at the receiver');
  assert.equal(atBob.sha256Expected, expected, 'SHA-256 computed by the sender');
  assert.equal(atAnn.sha256, expected);
  const link = await bob.$eval('[data-testid="file"] [data-testid="file-download"]', (a) => ({ href: a.href, download: a.download }));
  assert.match(link.href, /^blob:/);
  assert.equal(link.download, 'data.bin');
  // The download link holds the same bytes.
  const viaLink = await bob.evaluate(async (href) => {
    const buf = await (await fetch(href)).arrayBuffer();
    return Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', buf)), (b) => b.toString(16).padStart(2, '0')).join('');
  }, link.href);
  assert.equal(viaLink, expected);
  console.log(`5 MiB delivered in ${Date.now() - started} ms`);
  assert.ok(await ann.getByTestId('upload-progress').isHidden(), 'the progress bar goes away when done');
  assert.ok(progress.some((v) => v > 0 && v < 1), `the progress bar moved: ${progress.slice(0, 5).join(', ')}…`);
});

test('an image is shown inline', async () => {
  // A 2x2 red PNG.
  const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==', 'base64');
  await ann.getByTestId('file-input').setInputFiles({ name: 'red.png', mimeType: 'image/png', buffer: png });
  const atBob = await received(bob, 'red.png', 10_000);
  assert.equal(atBob.sha256, sha256(png));
  const size = await bob.waitForFunction(() => {
    const img = document.querySelector('[data-testid="file-image"]');
    return img && img.complete && img.naturalWidth ? img.naturalWidth : 0;
  }, null, { timeout: 5000 });
  assert.equal(await size.jsonValue(), 2);
});

test('an 11 MiB file is refused with a readable message, and nothing is sent', async () => {
  const before = await bob.$$eval('[data-testid="file"]', (els) => els.length);
  await ann.getByTestId('file-input').setInputFiles({ name: 'big.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(11 * MiB, 7) });
  await ann.waitForFunction(() => document.querySelector('[data-testid="notice"]').textContent !== '');
  assert.equal(await ann.getByTestId('notice').textContent(), 'big.bin is 11.0 MiB; the limit is 10 MiB');
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(await bob.$$eval('[data-testid="file"]', (els) => els.length), before);
  assert.deepEqual(ann.errors, []);
  assert.deepEqual(bob.errors, []);
});
