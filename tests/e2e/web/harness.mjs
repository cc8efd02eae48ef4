// Shared helpers of the browser tests: start and stop `herald serve` with the
// demo configuration serving web/dist, drive Debian's /usr/bin/chromium through
// playwright-core (never a downloaded browser), and open chat pages.
//
//   HERALD_BIN=/path/to/herald node --test      # in tests/e2e/web
//
// Every test file starts its own server on port 0 in a temporary directory,
// and stops it by its PID (SIGTERM, then SIGKILL).
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { HERALD_BIN, HeraldServer as BaseServer } from '../../support/herald_serve.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(here, '../../..');
export const WEB_DIST = path.join(REPO, 'web', 'dist');
export const CHROMIUM = '/usr/bin/chromium';
export const API_KEY = 'demo-api-key';
export const STEP_MS = 10_000; // any single wait in a page

function fail(msg) {
  console.error(`\n*** ${msg}\n`);
  throw new Error(msg);
}

export { HERALD_BIN };
if (!existsSync(path.join(WEB_DIST, 'index.html')) || !existsSync(path.join(WEB_DIST, 'dashboard.html')))
  fail(`${WEB_DIST} has no index.html and dashboard.html: run make web (npm run build in web/) first.`);
if (!existsSync(CHROMIUM)) fail(`${CHROMIUM} is missing: run scripts/install-deps.sh (Debian's chromium package).`);

let chromium;
try {
  ({ chromium } = createRequire(path.join(REPO, 'web', 'package.json'))('playwright-core'));
} catch (err) {
  fail('playwright-core is not installed in web/node_modules: run scripts/install-deps.sh (or `npm ci` in web/).');
}

// herald.demo.toml, as `make run` uses it, with web_root made absolute.
export function demoConfig() {
  const demo = readFileSync(path.join(REPO, 'herald.demo.toml'), 'utf8');
  const out = demo.replace(/^web_root\s*=.*$/m, `web_root = ${JSON.stringify(WEB_DIST)}`);
  if (out === demo) fail('herald.demo.toml has no web_root line to point at web/dist');
  return out;
}

// ---- the server process ----------------------------------------------------

// tests/support/herald_serve.mjs, started with the demo configuration.
export class HeraldServer extends BaseServer {
  constructor(config = demoConfig()) {
    super(config, { prefix: 'herald-web-' });
  }
}

// POST /api/<method>; resolves with the parsed body, or rejects (no server,
// HTTP error, or an error reply).
export async function api(server, method, body) {
  const res = await fetch(`${server.url}/api/${method}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-API-Key': API_KEY },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(3000),
  });
  const json = await res.json();
  if (res.status !== 200 || json.error) throw new Error(`API ${method}: HTTP ${res.status} ${JSON.stringify(json)}`);
  return json.result;
}

// POST /api/batch: several commands in one request, e.g.
// [{ publish: { channel, data } }, ...]; resolves with one reply per command,
// each { <method>: result } or { error }.
export async function apiBatch(server, commands) {
  const res = await fetch(`${server.url}/api/batch`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-API-Key': API_KEY },
    body: JSON.stringify({ commands }),
    signal: AbortSignal.timeout(3000),
  });
  const json = await res.json();
  if (res.status !== 200 || !Array.isArray(json.replies)) throw new Error(`API batch: HTTP ${res.status} ${JSON.stringify(json)}`);
  return json.replies;
}

// ---- the browser -----------------------------------------------------------

export const BASE_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];
export const MEDIA_ARGS = ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
  '--allow-loopback-in-peer-connection', '--autoplay-policy=no-user-gesture-required'];

export function launchBrowser(extraArgs = []) {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...BASE_ARGS, ...extraArgs] });
}

export const VIEWPORT = { width: 1200, height: 800 };

// A page in its own browser context (its own localStorage, so its own user),
// with the nickname picked and the connection up. page.dialogs records every
// dialog (alert, confirm, ...) the page opened; page.errors its uncaught errors.
export async function openChat(browser, server, name, { room, permissions } = {}) {
  const context = await browser.newContext({ viewport: VIEWPORT, permissions });
  const page = await context.newPage();
  page.dialogs = [];
  page.errors = [];
  page.on('dialog', (d) => { page.dialogs.push(d.message()); void d.dismiss(); });
  page.on('pageerror', (e) => page.errors.push(String(e)));
  await page.goto(server.url + '/' + (room ? `?room=${encodeURIComponent(room)}` : ''));
  await page.getByTestId('nickname-input').fill(name);
  await page.getByTestId('nickname-submit').click();
  await waitConnection(page, 'connected');
  return page;
}

export async function waitConnection(page, state, timeout = STEP_MS) {
  await page.waitForSelector(`[data-testid="connection-state"][data-state="${state}"]`, { timeout });
}

// Types into the composer and sends.
export async function say(page, text) {
  await page.getByTestId('message-input').fill(text);
  await page.getByTestId('send-button').click();
}

// The texts of the messages shown in the active room, in order.
export function shownTexts(page) {
  return page.$$eval('[data-testid="message-list"] [data-testid="message-text"]', (els) => els.map((e) => e.textContent));
}

export async function waitForText(page, text, timeout = STEP_MS) {
  await page.waitForFunction((t) => [...document.querySelectorAll('[data-testid="message-text"]')].some((e) => e.textContent === t),
    text, { timeout });
}

export async function waitForMember(page, name, timeout = STEP_MS) {
  await page.waitForFunction((n) => [...document.querySelectorAll('[data-testid="member-name"]')].some((e) => e.textContent.startsWith(n)),
    name, { timeout });
}

export const SCREENSHOTS = path.join(REPO, 'docs', 'screenshots');
