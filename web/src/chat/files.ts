// Files up to 10 MiB, sent over the connection in 32 KiB chunks (base64 in
// JSON: about 44 KB a message, under the server's 64 KiB limit), paced to
// about 120 chunks a second to stay well under the 200 commands/s limit.
// Every member reassembles them, checks the SHA-256 the sender computed, and
// offers a download link (images are shown inline).
import type { Subscription } from 'centrifuge';
import { h } from '../shared/dom';
import { formatBytes, MiB, sha256Hex } from '../shared/format';
import { randomId, type FileChunk, type FileMessage } from './wire';

export const MAX_FILE_BYTES = 10 * MiB;
const CHUNK_BYTES = 32 * 1024;
const CHUNKS_PER_SECOND = 120;
const IN_FLIGHT = 8;

export function refusal(file: File): string | null {
  if (file.size > MAX_FILE_BYTES) return `${file.name} is ${formatBytes(file.size)}; the limit is 10 MiB`;
  return null;
}

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 8192) s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return btoa(s);
}

function fromBase64(b64: string): Uint8Array<ArrayBuffer> {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Transfer {
  fileId: string;
  parts: (Uint8Array<ArrayBuffer> | undefined)[];
  received: number;
  chunks: number;
  name: string;
  size: number;
  mime: string;
  sha256?: string;   // computed here, from the reassembled bytes
  expected?: string; // the sender's, from its FileMessage
  url?: string;
  view?: HTMLElement;
}

export class Files {
  private transfers = new Map<string, Transfer>();

  private get(fileId: string): Transfer {
    let t = this.transfers.get(fileId);
    if (!t) {
      t = { fileId, parts: [], received: 0, chunks: 0, name: 'file', size: 0, mime: '' };
      this.transfers.set(fileId, t);
    }
    return t;
  }

  // Sends `file`: its chunks on the room's side channel, then its FileMessage
  // on the chat channel. `progress` gets the fraction acknowledged.
  async send(file: File, side: Subscription, chat: Subscription, progress: (f: number) => void): Promise<void> {
    const bytes = new Uint8Array(await file.arrayBuffer());
    const sha256 = await sha256Hex(bytes);
    const fileId = randomId();
    const chunks = Math.max(1, Math.ceil(bytes.length / CHUNK_BYTES));
    const mime = file.type || 'application/octet-stream';
    // Our own copy is complete already: the echoes of our chunks are ignored.
    const t = this.get(fileId);
    Object.assign(t, { chunks, received: chunks, name: file.name, size: file.size, mime, expected: sha256, sha256 });
    t.url = URL.createObjectURL(new Blob([bytes], { type: mime }));

    const start = performance.now();
    const inFlight: Promise<unknown>[] = [];
    let acked = 0;
    for (let seq = 0; seq < chunks; seq++) {
      const wait = start + (seq * 1000) / CHUNKS_PER_SECOND - performance.now();
      if (wait > 0) await sleep(wait);
      if (inFlight.length >= IN_FLIGHT) await inFlight.shift();
      const chunk: FileChunk = {
        type: 'chunk', fileId, seq, chunks,
        data: toBase64(bytes.subarray(seq * CHUNK_BYTES, (seq + 1) * CHUNK_BYTES)),
        ...(seq === 0 ? { name: file.name, size: file.size, mime } : {}),
      };
      inFlight.push(side.publish(chunk).then(() => progress(++acked / chunks)));
    }
    await Promise.all(inFlight);
    await chat.publish({ type: 'file', fileId, name: file.name, size: file.size, mime, sha256, chunks } satisfies FileMessage);
  }

  chunk(c: FileChunk): void {
    if (typeof c.fileId !== 'string' || typeof c.seq !== 'number' || typeof c.data !== 'string') return;
    const t = this.get(c.fileId);
    if (t.received === t.chunks && t.chunks > 0) return; // complete (or ours)
    if (c.seq === 0) Object.assign(t, { name: c.name ?? t.name, size: c.size ?? t.size, mime: c.mime ?? t.mime });
    t.chunks = c.chunks;
    if (t.parts[c.seq]) return;
    t.parts[c.seq] = fromBase64(c.data);
    t.received += 1;
    if (t.received === t.chunks) void this.complete(t);
    else this.update(t);
  }

  private async complete(t: Transfer): Promise<void> {
    const blob = new Blob(t.parts as Uint8Array<ArrayBuffer>[], { type: t.mime });
    t.parts = [];
    t.sha256 = await sha256Hex(await blob.arrayBuffer());
    t.url = URL.createObjectURL(blob);
    this.update(t);
  }

  // The body of a FileMessage in the list. `live` is false for one loaded from
  // history, whose chunks (sent live only) may never come.
  render(m: FileMessage, live: boolean): HTMLElement {
    const t = this.get(m.fileId);
    Object.assign(t, { name: m.name, size: m.size, mime: m.mime, expected: m.sha256 });
    if (!t.chunks) t.chunks = m.chunks;
    t.view = h('div', { class: 'file', testid: 'file', 'data-file-id': m.fileId });
    if (!live) t.view.dataset.fromHistory = '';
    this.update(t);
    return t.view;
  }

  private update(t: Transfer): void {
    const v = t.view;
    if (!v) return;
    const done = !!t.url;
    const ok = done && t.sha256 === t.expected;
    v.dataset.state = !done ? (t.received === 0 && 'fromHistory' in v.dataset ? 'unavailable' : 'receiving') : ok ? 'complete' : 'corrupt';
    if (t.sha256) v.dataset.sha256 = t.sha256;
    if (t.expected) v.dataset.sha256Expected = t.expected;
    const head = h('div', { class: 'file-head' },
      h('span', { class: 'file-name', testid: 'file-name' }, t.name),
      h('span', { class: 'file-size' }, formatBytes(t.size)));
    if (!done) {
      const status = v.dataset.state === 'unavailable'
        ? h('p', { class: 'file-note' }, 'Sent before you arrived: files travel live and are not kept by the server.')
        : h('progress', { testid: 'file-progress', max: t.chunks || 1, value: t.received });
      v.replaceChildren(head, status);
      return;
    }
    const link = h('a', { href: t.url, download: t.name, testid: 'file-download', class: 'file-download' }, 'Download');
    const check = h('span', { class: ok ? 'file-check ok' : 'file-check bad', title: `SHA-256 ${t.sha256}` },
      ok ? `SHA-256 ✓ ${t.sha256!.slice(0, 12)}…` : 'SHA-256 mismatch: the file is damaged');
    const image = ok && t.mime.startsWith('image/') && h('img', { src: t.url, alt: t.name, class: 'file-image', testid: 'file-image' });
    v.replaceChildren(head, image || '', h('div', { class: 'file-foot' }, link, check));
  }
}
