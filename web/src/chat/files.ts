// Files up to 10 MiB (herald's [files] max_file_size in herald.demo.toml),
// kept by the server as long as the room's history. The sender hashes the
// file (SHA-256), uploads it once (POST /files?channel=chat:<room>, with the
// session's token), and publishes a FileMessage with the server's id and its
// own hash. Every member, whenever they read the message (live or from
// history), downloads the bytes (GET /files/<id>), checks them against the
// sender's hash, and offers a download link (images are shown inline).
import type { Subscription } from 'centrifuge';
import { h } from '../shared/dom';
import { formatBytes, MiB, sha256Hex } from '../shared/format';
import type { FileMessage } from './wire';

export const MAX_FILE_BYTES = 10 * MiB;
// Downloads at once: a room's history may mention many files.
const PARALLEL_DOWNLOADS = 2;

export function refusal(file: File): string | null {
  if (file.size > MAX_FILE_BYTES) return `${file.name} is ${formatBytes(file.size)}; the limit is 10 MiB`;
  return null;
}

// What the server answers an upload (docs/protocol.md, "Shared files").
interface Stored { id: string; size: number; sha256: string; name: string; mime: string; expires_at: number }

// A refusal's body is "413 Payload Too Large: <why>"; the why is for people.
function reason(status: number, body: string): string {
  const text = body.trim().replace(/^\d{3} [^:]*: /, '');
  return text || `HTTP ${status}`;
}

type State = 'receiving' | 'complete' | 'corrupt' | 'forbidden' | 'expired' | 'failed' | 'unavailable';

interface Transfer {
  fileId: string;
  name: string;
  size: number;
  mime: string;
  state: State;
  received: number;
  note?: string;
  sha256?: string;   // computed here, from the downloaded bytes
  expected?: string; // the sender's, from its FileMessage
  url?: string;
  view?: HTMLElement;
  started?: boolean;
}

export class Files {
  private transfers = new Map<string, Transfer>();
  private queue: Transfer[] = [];
  private active = 0;

  constructor(private token: () => string) {}

  // Uploads `file` into the room's chat channel, then publishes its
  // FileMessage there. `progress` gets the fraction uploaded. Rejects with
  // the server's reason (too large, over quota, not allowed...).
  async send(file: File, chat: Subscription, progress: (f: number) => void): Promise<void> {
    const bytes = new Uint8Array(await file.arrayBuffer());
    const sha256 = await sha256Hex(bytes);
    const mime = file.type || 'application/octet-stream';
    const stored = await this.upload(chat.channel, file.name, mime, bytes, progress);
    if (stored.sha256 !== sha256) throw new Error('the server stored other bytes than were sent (SHA-256 differs)');
    // Our own copy needs no download.
    this.transfers.set(stored.id, {
      fileId: stored.id, name: file.name, size: file.size, mime, state: 'complete', received: file.size,
      sha256, expected: sha256, url: URL.createObjectURL(new Blob([bytes], { type: mime })), started: true,
    });
    await chat.publish({ type: 'file', fileId: stored.id, name: file.name, size: file.size, mime, sha256, stored: true } satisfies FileMessage);
  }

  private upload(channel: string, name: string, mime: string, bytes: Uint8Array<ArrayBuffer>,
    progress: (f: number) => void): Promise<Stored> {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest(); // fetch() reports no upload progress
      xhr.open('POST', `/files?${new URLSearchParams({ channel, name })}`);
      xhr.setRequestHeader('Authorization', `Bearer ${this.token()}`);
      xhr.setRequestHeader('Content-Type', mime);
      xhr.upload.onprogress = (e) => { if (e.lengthComputable) progress(e.loaded / e.total); };
      xhr.onload = () => {
        if (xhr.status === 201) {
          try { return resolve(JSON.parse(xhr.responseText) as Stored); } catch { /* below */ }
        }
        reject(new Error(reason(xhr.status, xhr.responseText)));
      };
      xhr.onerror = () => reject(new Error('the upload failed: the server closed the connection (is the file over its limit?)'));
      xhr.send(bytes);
    });
  }

  // The body of a FileMessage in the list; its download starts at once.
  render(m: FileMessage, _live: boolean): HTMLElement {
    let t = this.transfers.get(m.fileId);
    if (!t) {
      t = { fileId: m.fileId, name: m.name, size: m.size, mime: m.mime, state: 'receiving', received: 0 };
      this.transfers.set(m.fileId, t);
    }
    Object.assign(t, { name: m.name, size: m.size, mime: m.mime, expected: m.sha256 });
    t.view = h('div', { class: 'file', testid: 'file', 'data-file-id': m.fileId });
    if (!m.stored) {
      // An older version's message: its bytes travelled live and were not kept.
      Object.assign(t, { state: 'unavailable', note: 'Sent live by an older version of the chat: the server did not keep it.' });
    } else if (!t.started && typeof m.fileId === 'string' && /^[0-9a-f]{32}$/.test(m.fileId)) {
      t.started = true;
      this.queue.push(t);
      this.pump();
    } else if (!t.started) {
      Object.assign(t, { state: 'failed', note: 'This message names no file the server could have.' });
    }
    this.update(t);
    return t.view;
  }

  private pump(): void {
    while (this.active < PARALLEL_DOWNLOADS && this.queue.length) {
      const t = this.queue.shift()!;
      this.active += 1;
      void this.download(t).finally(() => {
        this.active -= 1;
        this.pump();
      });
    }
  }

  private async download(t: Transfer): Promise<void> {
    try {
      const res = await fetch(`/files/${t.fileId}`, { headers: { Authorization: `Bearer ${this.token()}` } });
      if (!res.ok) {
        const why = reason(res.status, await res.text());
        const states: Record<number, State> = { 403: 'forbidden', 404: 'expired' };
        const notes: Record<number, string> = {
          403: 'You may not read the room this file was shared in.',
          404: 'No longer kept by the server: it expired with the room’s history.',
          401: `Your session was refused (${why}): change your nickname to start a new one.`,
        };
        Object.assign(t, { state: states[res.status] ?? 'failed', note: notes[res.status] ?? `Cannot download: ${why}` });
        return this.update(t);
      }
      const parts: Uint8Array<ArrayBuffer>[] = [];
      const reader = res.body!.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parts.push(value as Uint8Array<ArrayBuffer>);
        t.received += value.length;
        this.update(t);
      }
      const blob = new Blob(parts, { type: t.mime });
      t.sha256 = await sha256Hex(await blob.arrayBuffer());
      t.state = t.sha256 === t.expected ? 'complete' : 'corrupt';
      t.url = URL.createObjectURL(blob);
    } catch (err) {
      Object.assign(t, { state: 'failed', note: `Cannot download: ${(err as Error).message ?? err}` });
    }
    this.update(t);
  }

  private update(t: Transfer): void {
    const v = t.view;
    if (!v) return;
    v.dataset.state = t.state;
    if (t.sha256) v.dataset.sha256 = t.sha256;
    if (t.expected) v.dataset.sha256Expected = t.expected;
    const head = h('div', { class: 'file-head' },
      h('span', { class: 'file-name', testid: 'file-name' }, t.name),
      h('span', { class: 'file-size' }, formatBytes(t.size)));
    if (t.state === 'receiving') {
      v.replaceChildren(head, h('progress', { testid: 'file-progress', max: t.size || 1, value: t.received }));
      return;
    }
    if (t.state !== 'complete' && t.state !== 'corrupt') {
      v.replaceChildren(head, h('p', { class: 'file-note', testid: 'file-note' }, t.note ?? ''));
      return;
    }
    const ok = t.state === 'complete';
    const link = h('a', { href: t.url, download: t.name, testid: 'file-download', class: 'file-download' }, 'Download');
    const check = h('span', { class: ok ? 'file-check ok' : 'file-check bad', title: `SHA-256 ${t.sha256}` },
      ok ? `SHA-256 ✓ ${t.sha256!.slice(0, 12)}…` : 'SHA-256 mismatch: the file is damaged');
    const image = ok && t.mime.startsWith('image/') && h('img', { src: t.url, alt: t.name, class: 'file-image', testid: 'file-image' });
    v.replaceChildren(head, image || '', h('div', { class: 'file-foot' }, link, check));
  }
}
