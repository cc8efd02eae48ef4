// A room's messages in offset order: each publication is shown once, however
// often it arrives (live, recovered after a reconnect, or from history), and
// in the place its offset gives it. System lines (joins, leaves) sit after
// the newest message seen when they happened.
import type { ClientInfo } from 'centrifuge';
import { h } from '../shared/dom';
import { formatTime } from '../shared/format';

export interface Pub {
  offset: number;
  data: any;
  info?: ClientInfo;
}

interface Entry { key: number; el: HTMLElement }

export function authorName(info?: ClientInfo): string {
  const name = info?.connInfo?.name;
  if (typeof name === 'string' && name) return name;
  return info?.user ? info.user : 'server';
}

export class MessageList {
  readonly el = h('ol', { class: 'messages', testid: 'message-list' });
  private entries: Entry[] = [];
  private offsets = new Set<number>();
  private mids = new Set<string>(); // messages' own ids (outbox.ts): one shown per id
  private systemSeq = 0;
  oldest = 0; // the smallest offset seen, 0 before any
  newest = 0;

  has(offset: number): boolean {
    return this.offsets.has(offset);
  }

  // Adds a publication (render returns null for ones not shown, such as call
  // invites; they still count as seen). Returns false if already seen: its
  // offset, or the message id it carries (a message its sender sent again).
  add(pub: Pub, render: (pub: Pub) => HTMLElement | null): boolean {
    if (this.offsets.has(pub.offset)) return false;
    this.offsets.add(pub.offset);
    const mid = pub.data?.mid;
    if (typeof mid === 'string') {
      if (this.mids.has(mid)) return false;
      this.mids.add(mid);
    }
    if (!this.oldest || pub.offset < this.oldest) this.oldest = pub.offset;
    if (pub.offset > this.newest) this.newest = pub.offset;
    const el = render(pub);
    if (el) {
      el.dataset.offset = String(pub.offset);
      this.insert({ key: pub.offset, el });
    }
    return true;
  }

  addSystem(text: string): void {
    this.systemSeq += 1;
    const el = h('li', { class: 'system', testid: 'system-message' }, text);
    this.insert({ key: this.newest + 1 - 1 / (1 + this.systemSeq), el });
  }

  clear(): void {
    this.entries = [];
    this.offsets.clear();
    this.mids.clear();
    this.oldest = this.newest = 0;
    this.el.replaceChildren();
  }

  private insert(entry: Entry): void {
    let lo = 0, hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.entries[mid].key <= entry.key) lo = mid + 1; else hi = mid;
    }
    const next = this.entries[lo];
    this.entries.splice(lo, 0, entry);
    this.el.insertBefore(entry.el, next ? next.el : null);
  }
}

// The frame of every shown message: author, time, then the body.
export function messageFrame(pub: Pub, me: string, body: Node, ts = Date.now()): HTMLElement {
  const mine = pub.info?.user === me;
  return h('li', { class: mine ? 'message mine' : 'message', testid: 'message', 'data-user': pub.info?.user ?? '' },
    h('div', { class: 'meta' },
      h('span', { class: 'author', testid: 'message-author' }, authorName(pub.info)),
      h('time', {}, formatTime(ts))),
    body);
}

export function renderText(pub: Pub, me: string): HTMLElement {
  const text = typeof pub.data?.text === 'string' ? pub.data.text : JSON.stringify(pub.data);
  return messageFrame(pub, me, h('p', { class: 'text', testid: 'message-text' }, text),
    typeof pub.data?.ts === 'number' ? pub.data.ts : Date.now());
}
