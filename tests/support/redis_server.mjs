// Start, kill and restart a real `redis-server` for Node tests; the Python
// tiers have redis_server.py.
//
//   const redis = await new RedisServer().start();
//   redis.address, redis.kill9(), redis.restart(), redis.dispose()
//
// Debian's redis-server (scripts/install-deps.sh installs it) or
// $HERALD_REDIS_SERVER, on 127.0.0.1 with a free port in its own temporary
// directory, append-only file on with `appendfsync no`, so that a killed
// Redis comes back with everything it acknowledged (see redis_server.py for
// why not `everysec`); stopped by its PID. A restart reuses the port and the
// directory.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { startOnSamePort } from './start_retry.mjs';

const BINARY = process.env.HERALD_REDIS_SERVER || '/usr/bin/redis-server';

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

function ping(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.setTimeout(200, () => { s.destroy(); resolve(false); });
    s.on('error', () => resolve(false));
    s.on('connect', () => s.write('PING\r\n'));
    s.on('data', (d) => { s.destroy(); resolve(d.toString().startsWith('+PONG')); });
  });
}

export class RedisServer {
  constructor() {
    if (!existsSync(BINARY)) throw new Error(`${BINARY} not found: run scripts/install-deps.sh (it installs redis-server)`);
    this.dir = mkdtempSync(path.join(tmpdir(), 'herald-redis-'));
    this.port = 0;
    this.proc = null;
  }

  get address() { return `127.0.0.1:${this.port}`; }

  async start() {
    if (!this.port) this.port = await freePort();
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '',
                  '--appendonly', 'yes', '--appendfsync', 'no', '--daemonize', 'no',
                  '--logfile', path.join(this.dir, 'redis.log')];
    const proc = spawn(BINARY, args, { stdio: 'ignore' });
    this.proc = proc;
    this.exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (await ping(this.port)) return this;
      if (proc.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await this.kill9();
    throw new Error(`redis-server did not start on port ${this.port} (log in ${this.dir})`);
  }

  async kill9() {
    if (!this.proc || this.proc.exitCode !== null || this.proc.signalCode !== null) return this.exited;
    this.proc.kill('SIGKILL');
    return this.exited;
  }

  async restart() {
    await this.kill9();
    return startOnSamePort(() => this.start());
  }

  async dispose() {
    if (this.proc && this.proc.exitCode === null && this.proc.signalCode === null) {
      this.proc.kill('SIGTERM');
      await this.exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

// One command over a fresh connection (RESP), for tests that reach into
// Redis directly. Resolves with the raw reply text.
export function redisCommand(port, ...args) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let out = Buffer.alloc(0);
    s.on('error', reject);
    s.on('connect', () => {
      const parts = [Buffer.from(`*${args.length}\r\n`)];
      for (const a of args) {
        const b = Buffer.isBuffer(a) ? a : Buffer.from(String(a));
        parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
      }
      s.write(Buffer.concat(parts));
    });
    s.on('data', (d) => {
      out = Buffer.concat([out, d]);
      if (out.includes('\r\n')) { s.destroy(); resolve(out.toString()); }
    });
  });
}
