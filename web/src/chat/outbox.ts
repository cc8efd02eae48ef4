// Text messages on their way. A message is shown at once, marked pending, in
// its room; it is published as soon as the connection allows (typed while
// offline, it waits for the reconnect) and replaced by the real publication
// when that arrives. It is never shown twice: each carries a client-made id
// (`mid`), and a room's list shows one publication per id, so a retry after
// an acknowledgement lost with the connection -- which may store the message
// twice -- is still seen once by everyone. A message the server refuses
// (permission, size) is marked failed, with a button to try again.
import type { Centrifuge } from 'centrifuge';
import { h } from '../shared/dom';
import type { Room } from './room';
import type { TextMessage } from './wire';

interface Pending {
  room: Room;
  msg: TextMessage;
  el: HTMLElement;
  status: HTMLElement;
  sending: boolean;
  failed: boolean;
}

// Codes below 100 are the SDK's own (timeout, transport closed, client
// disconnected): the message did not get an answer, so it is sent again.
const isRefusal = (err: any) => typeof err?.code === 'number' && err.code >= 100 && !err.temporary && err.code !== 111;

function newMid(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export class Outbox {
  private pending = new Map<string, Pending>();

  constructor(private client: Centrifuge) {
    client.on('connected', () => this.flush());
  }

  send(room: Room, text: string): void {
    const msg: TextMessage = { type: 'text', text, ts: Date.now(), mid: newMid() };
    const status = h('span', { class: 'status', testid: 'pending-status' });
    const el = h('li', { class: 'message mine pending', testid: 'pending-message', 'data-mid': msg.mid },
      h('p', { class: 'text', testid: 'pending-text' }, text), status);
    room.pendingEl.append(el);
    this.pending.set(msg.mid!, { room, msg, el, status, sending: false, failed: false });
    void this.attempt(msg.mid!);
  }

  // A publication arrived in a room: if it is one of ours, it has landed.
  delivered(mid: unknown): void {
    if (typeof mid !== 'string') return;
    const p = this.pending.get(mid);
    if (!p) return;
    p.el.remove();
    this.pending.delete(mid);
  }

  private flush(): void {
    for (const [mid, p] of this.pending) if (!p.failed) void this.attempt(mid);
  }

  private async attempt(mid: string): Promise<void> {
    const p = this.pending.get(mid);
    if (!p || p.sending || p.failed) return;
    if (this.client.state !== 'connected') {
      p.status.textContent = 'waiting for the connection…';
      return; // flush() sends it on the next connect
    }
    p.sending = true;
    p.status.textContent = 'sending…';
    try {
      await p.room.chat.publish(p.msg);
      // Acknowledged: stored. The publication itself replaces this line
      // (delivered); it normally comes at once.
      if (this.pending.has(mid)) p.status.textContent = 'sent';
    } catch (err: any) {
      if (!this.pending.has(mid)) return;
      if (isRefusal(err)) {
        p.failed = true;
        p.el.classList.add('failed');
        const retry = h('button', { type: 'button', class: 'retry', testid: 'pending-retry' }, 'Retry');
        retry.addEventListener('click', () => {
          p.failed = false;
          p.el.classList.remove('failed');
          retry.remove();
          void this.attempt(mid);
        });
        p.status.replaceChildren(`Not sent: ${err.message ?? 'refused'} `, retry);
        return;
      }
      // No answer (timeout, connection lost): it goes again on the next
      // connect, or now if the connection is still up.
      p.status.textContent = 'waiting for the connection…';
      if (this.client.state === 'connected') setTimeout(() => void this.attempt(mid), 1000);
    } finally {
      p.sending = false;
    }
  }
}
