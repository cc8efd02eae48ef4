// Start and stop `herald serve` for Node tests (the SDK interop suite and the
// browser tests); the Python tiers have herald_serve.py.
//
//   const server = await new HeraldServer(configToml, { prefix: 'herald-x-' }).start();
//   server.port, server.kill9(), server.restart(), server.dispose()
//
// The binary comes from $HERALD_BIN (ctest sets it). The server listens on
// 127.0.0.1 with a free port (port 0 the first time) in its own temporary
// directory, and is stopped by its PID (SIGTERM, then SIGKILL); a restart
// reuses the port and the data directory, as a real restart would.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { startOnSamePort } from './start_retry.mjs';

const START_MS = 10_000;
const STOP_MS = 5_000;

export const HERALD_BIN = process.env.HERALD_BIN;
if (!HERALD_BIN) {
  const msg = 'HERALD_BIN is not set: point it at the herald binary (ctest sets it to the built target).';
  console.error(`\n*** ${msg}\n`);
  throw new Error(msg);
}

export class HeraldServer {
  constructor(config, { prefix = 'herald-test-' } = {}) {
    this.config = config;
    this.dir = mkdtempSync(path.join(tmpdir(), prefix));
    this.configFile = path.join(this.dir, 'herald.toml');
    this.dataDir = path.join(this.dir, 'data');
    writeFileSync(this.configFile, config);
    this.port = 0;
    this.proc = null;
    this.stderr = '';
  }

  get url() { return `http://127.0.0.1:${this.port}`; }
  get wsUrl() { return `ws://127.0.0.1:${this.port}/connection/websocket`; }
  get apiUrl() { return `http://127.0.0.1:${this.port}/api`; }

  // Starts `herald serve` on this.port and the same data dir; resolves once
  // it printed `listening on 127.0.0.1:PORT`.
  async start() {
    const args = ['serve', '--config', this.configFile, '--port', String(this.port),
                  '--data-dir', this.dataDir, '--log-level', 'warn'];
    // The test's own HERALD_* variables would be read as configuration.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('HERALD_')));
    const proc = spawn(HERALD_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: this.dir, env });
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

  // SIGTERM, then SIGKILL after STOP_MS. Resolves with { code, signal }.
  async stop() {
    if (!this.proc || this.proc.exitCode !== null || this.proc.signalCode !== null) return this.exited;
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), STOP_MS);
    const result = await this.exited;
    clearTimeout(timer);
    return result;
  }

  // kill -9: no shutdown, no close frames; clients see the TCP connection die.
  async kill9() {
    this.proc.kill('SIGKILL');
    return this.exited;
  }

  // A new process on the same port and data dir, retried while the dead
  // one's sockets still hold the port.
  async restart() {
    await this.stop();
    return startOnSamePort(() => this.start());
  }

  async dispose() {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
