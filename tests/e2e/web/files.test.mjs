// Files kept by the server ([files] in herald.demo.toml): a 5 MiB file sent
// by one page arrives at the other with the same SHA-256 as the bytes
// generated here; a member who joins after it was sent downloads it from the
// room's history with that SHA-256 too; a user who may not read the channel
// a file was shared in is refused (403), and the chat says so; an expired
// file and an older version's chunked file message are shown as such; an
// image is shown inline, and an 11 MiB file is refused with a readable message.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';

import { api, demoConfig, HeraldServer, launchBrowser, openChat, STEP_MS, waitForMember } from './harness.mjs';

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
  // One upload, then one download by Bob: well within this.
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
  // Over loopback the upload may finish between two progress events, so only
  // the last value is certain.
  assert.ok(progress.includes(1), `the progress bar reached the end: ${progress.slice(-5).join(', ')}`);
});

// The session of a page: its token and user id (localStorage, session.ts).
const sessionOf = (page) => page.evaluate(() => JSON.parse(localStorage.getItem('herald.session')));

// GET /files/<id> from `page` with its own token: the status and the SHA-256 of the body.
const fetchFile = (page, id) => page.evaluate(async (fileId) => {
  const { token } = JSON.parse(localStorage.getItem('herald.session'));
  const res = await fetch(`/files/${fileId}`, { headers: { Authorization: `Bearer ${token}` } });
  const buf = await res.arrayBuffer();
  const hex = Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', buf)), (b) => b.toString(16).padStart(2, '0')).join('');
  return { status: res.status, sha256: hex, text: res.status === 200 ? '' : new TextDecoder().decode(buf) };
}, id);

test('a member who joins after a file was sent downloads it, with the sender\'s SHA-256', async () => {
  const bytes = randomBytes(300 * 1024);
  const expected = sha256(bytes);
  await ann.getByTestId('file-input').setInputFiles({ name: 'minutes.bin', mimeType: 'application/octet-stream', buffer: bytes });
  const atAnn = await received(ann, 'minutes.bin', 10_000);
  assert.equal(atAnn.state, 'complete');
  // Dora was not there: she reads it from the room's history and downloads it.
  const dora = await openChat(browser, server, 'Dora');
  try {
    const atDora = await received(dora, 'minutes.bin', 15_000);
    assert.equal(atDora.state, 'complete');
    assert.equal(atDora.sha256, expected, 'SHA-256 of the bytes Dora downloaded');
    assert.equal(atDora.sha256Expected, expected, 'SHA-256 the sender computed');
    assert.match(atDora.fileId, /^[0-9a-f]{32}$/);
    const viaServer = await fetchFile(dora, atDora.fileId);
    assert.deepEqual(viaServer, { status: 200, sha256: expected, text: '' });
    assert.deepEqual(dora.errors, []);
  } finally {
    await dora.context().close();
  }
});

test('a user who may not read the file\'s channel cannot download it (403), and the chat says so', async () => {
  // Every room of the chat is open to everyone in the demo; a user-limited
  // one, chat:<room>#<a>,<b>, admits only users a and b (herald.demo.toml).
  const a = await sessionOf(ann), b = await sessionOf(bob);
  const channel = `chat:files-test#${a.user},${b.user}`;
  const bytes = randomBytes(4096);
  const stored = await ann.evaluate(async ({ channel, data }) => {
    const { token } = JSON.parse(localStorage.getItem('herald.session'));
    const res = await fetch(`/files?${new URLSearchParams({ channel, name: 'private.bin' })}`, {
      method: 'POST', headers: { Authorization: `Bearer ${token}` }, body: new Uint8Array(data),
    });
    const text = await res.text();
    return { status: res.status, body: res.status === 201 ? JSON.parse(text) : text };
  }, { channel, data: [...bytes] });
  assert.equal(stored.status, 201, stored.body);
  assert.equal(stored.body.sha256, sha256(bytes));
  const carol = await openChat(browser, server, 'Carol');
  try {
    const atCarol = await fetchFile(carol, stored.body.id);
    assert.equal(atCarol.status, 403);
    assert.equal(atCarol.text, `403 Forbidden: you may not read channel ${channel}, where this file was shared\n`);
    assert.deepEqual(await fetchFile(bob, stored.body.id), { status: 200, sha256: sha256(bytes), text: '' });
    // A message in the lobby naming that file: Bob gets it, Carol is told why not.
    await api(server, 'publish', { channel: 'chat:lobby', data: {
      type: 'file', fileId: stored.body.id, name: 'private.bin', size: bytes.length,
      mime: 'application/octet-stream', sha256: sha256(bytes), stored: true } });
    const atCarolView = await received(carol, 'private.bin', 10_000);
    assert.equal(atCarolView.state, 'forbidden');
    assert.equal(await carol.locator(`[data-file-id="${stored.body.id}"] [data-testid="file-note"]`).textContent(),
      'You may not read the room this file was shared in.');
    assert.equal(await carol.locator(`[data-file-id="${stored.body.id}"] [data-testid="file-download"]`).count(), 0);
    assert.equal((await received(bob, 'private.bin', 10_000)).state, 'complete');
    assert.deepEqual(carol.errors, []);
  } finally {
    await carol.context().close();
  }
});

test('an expired file and an older version\'s chunked file message are shown, not broken', async () => {
  await api(server, 'publish', { channel: 'chat:lobby', data: {
    type: 'file', fileId: '0'.repeat(32), name: 'gone.bin', size: 10, mime: 'application/octet-stream',
    sha256: 'a'.repeat(64), stored: true } });
  await api(server, 'publish', { channel: 'chat:lobby', data: {
    type: 'file', fileId: '1f2e3d4c5b6a7988', name: 'old.bin', size: 10, mime: 'application/octet-stream',
    sha256: 'b'.repeat(64), chunks: 1 } });
  assert.equal((await received(bob, 'gone.bin', 10_000)).state, 'expired');
  assert.equal((await received(bob, 'old.bin', 10_000)).state, 'unavailable');
  assert.deepEqual(bob.errors, []);
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

test('the server\'s refusals reach the sender as readable notices: over max_file_size, over quota', async () => {
  const config = demoConfig().replace(/^max_file_size = .*$/m, 'max_file_size = "48KiB"').replace(/^quota = .*$/m, 'quota = "64KiB"');
  assert.match(config, /quota = "64KiB"/);
  const small = await new HeraldServer(config).start();
  try {
    const eve = await openChat(browser, small, 'Eve');
    // Both files below are refused, so a notice comes; waiting for a shown
    // file as well returned at once for the second one (one.bin is shown),
    // before its refusal had arrived.
    const notice = async (name, bytes) => {
      await eve.evaluate(() => { document.querySelector('[data-testid="notice"]').textContent = ''; });
      await eve.getByTestId('file-input').setInputFiles({ name, mimeType: 'application/octet-stream', buffer: bytes });
      await eve.waitForFunction(() => document.querySelector('[data-testid="notice"]').textContent !== '', null,
        { timeout: STEP_MS });
    };
    await notice('big.bin', randomBytes(60 * 1024));
    assert.equal(await eve.getByTestId('notice').textContent(),
      `big.bin was not sent: request body over ${48 * 1024} bytes; files are limited to 48KiB ([files] max_file_size)`);
    await eve.getByTestId('file-input').setInputFiles({ name: 'one.bin', mimeType: 'application/octet-stream', buffer: randomBytes(40 * 1024) });
    assert.equal((await received(eve, 'one.bin', 10_000)).state, 'complete');
    await notice('two.bin', randomBytes(40 * 1024));
    assert.equal(await eve.getByTestId('notice').textContent(),
      `two.bin was not sent: the server keeps at most 64KiB of shared files ([files] quota) and holds ${40 * 1024} bytes; ` +
      `this file (${40 * 1024} bytes) does not fit. Older files are removed as they expire; an operator can raise [files] quota`);
    assert.equal(await eve.locator('[data-testid="file"]').count(), 1, 'nothing was published for the refused files');
    assert.deepEqual(eve.errors, []);
  } finally {
    await small.dispose();
  }
});
