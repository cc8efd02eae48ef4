// Shared helpers of the browser tests: start and stop `herald serve` with the
// demo configuration serving web/dist, drive Debian's /usr/bin/chromium through
// playwright-core (never a downloaded browser), and open chat pages.
//
//   HERALD_BIN=/path/to/herald node --test      # in tests/e2e/web
//
// Every test file starts its own server on port 0 in a temporary directory,
// and stops it by its PID (SIGTERM, then SIGKILL).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(here, '../../..');
export const WEB_DIST = path.join(REPO, 'web', 'dist');
export const CHROMIUM = '/usr/bin/chromium';
export const API_KEY = 'demo-api-key';
export const STEP_MS = 10_000; // any single wait in a page
const START_MS = 10_000;
const STOP_MS = 5_000;

function fail(msg) {
  console.error(`\n*** ${msg}\n`);
  throw new Error(msg);
}

export const HERALD_BIN = process.env.HERALD_BIN;
if (!HERALD_BIN) fail('HERALD_BIN is not set: point it at the herald binary (ctest sets it to the built target).');
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

export class HeraldServer {
  constructor(config = demoConfig()) {
    this.dir = mkdtempSync(path.join(tmpdir(), 'herald-web-'));
    this.configFile = path.join(this.dir, 'herald.toml');
    this.dataDir = path.join(this.dir, 'data');
    writeFileSync(this.configFile, config);
    this.port = 0;
    this.proc = null;
    this.stderr = '';
  }

  get url() { return `http://127.0.0.1:${this.port}`; }

  // Starts `herald serve` on this.port (0 the first time) and the same data
  // dir; resolves once it printed `listening on 127.0.0.1:PORT`.
  async start() {
    const args = ['serve', '--config', this.configFile, '--port', String(this.port),
                  '--data-dir', this.dataDir, '--log-level', 'warn'];
    const proc = spawn(HERALD_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: this.dir });
    this.proc = proc;
    this.exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (d) => { this.stderr += d; });
    proc.stdout.setEncoding('utf8');
    let out = '';
    this.port = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`herald did not print "listening on" within ${START_MS} ms; stderr:\n${this.stderr}`)), START_MS);
      proc.stdout.on('data', (d) => {
        out += d;
        const m = /listening on [^\s]*:(\d+)/.exec(out);
        if (m) { clearTimeout(timer); resolve(Number(m[1])); }
      });
      proc.on('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`herald exited before listening (code ${code}, signal ${signal}); stderr:\n${this.stderr}`));
      });
      proc.on('error', (err) => { clearTimeout(timer); reject(err); });
    });
    return this;
  }

  async stop() {
    if (!this.proc || this.proc.exitCode !== null || this.proc.signalCode !== null) return this.exited;
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), STOP_MS);
    const result = await this.exited;
    clearTimeout(timer);
    return result;
  }

  // kill -9: no shutdown, no close frames.
  async kill9() {
    this.proc.kill('SIGKILL');
    return this.exited;
  }

  // A new process on the same port and data dir (retried while the port is
  // still held by the dead one's sockets).
  async restart() {
    await this.stop();
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.start();
      } catch (err) {
        if (attempt >= 30) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  async dispose() {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
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
