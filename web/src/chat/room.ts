// One room: its chat:<room> subscription (messages, presence, join/leave,
// recovered by the SDK after a reconnect), its live:<room> side channel,
// the list of its messages and the count of unread ones.
import type { Centrifuge, ClientInfo, Subscription } from 'centrifuge';
import { h } from '../shared/dom';
import { MessageList, type Pub } from './messages';
import { chatChannel, sideChannel } from './wire';

const PAGE = 100;

export interface RoomEvents {
  // A publication the list had not seen; `live` when it arrived as it happened
  // (or was recovered), false when it came from a history page.
  publication(room: Room, pub: Pub, live: boolean): void;
  side(room: Room, data: any, info?: ClientInfo): void;
  presence(room: Room): void;
  joined(room: Room, info: ClientInfo): void;
  left(room: Room, info: ClientInfo): void;
  render(room: Room, pub: Pub, live: boolean): HTMLElement | null;
  // The last messages of the room are in its list (after entering it).
  recentLoaded(room: Room): void;
}

export class Room {
  readonly list = new MessageList();
  // Messages of this user on their way (outbox.ts), shown after the list.
  readonly pendingEl = h('ol', { class: 'messages pending-list', testid: 'pending-list' });
  readonly chat: Subscription;
  readonly side: Subscription;
  readonly members = new Map<string, ClientInfo>(); // by client id
  unread = 0;
  // The active room shows history; others only count unread messages.
  private wantsHistory = false;
  private epoch = '';
  private historyLoaded = false;
  private olderDone = false;
  private loadingOlder = false;

  constructor(readonly name: string, client: Centrifuge, private events: RoomEvents) {
    this.chat = client.getSubscription(chatChannel(name)) ?? client.newSubscription(chatChannel(name), { joinLeave: true });
    this.side = client.getSubscription(sideChannel(name)) ?? client.newSubscription(sideChannel(name));
    this.chat.on('publication', (ctx) => {
      if (ctx.offset === undefined) return;
      this.accept({ offset: ctx.offset, data: ctx.data, info: ctx.info }, true);
    });
    this.chat.on('subscribed', (ctx) => {
      const epoch = ctx.streamPosition?.epoch ?? '';
      // A new epoch (history lost) or a gap recovery could not fill: start
      // the list again from history.
      if ((this.epoch && epoch !== this.epoch) || (ctx.wasRecovering && !ctx.recovered)) {
        this.list.clear();
        this.historyLoaded = false;
        this.olderDone = false;
      }
      this.epoch = epoch;
      void this.refreshPresence();
      if (this.wantsHistory) void this.loadRecent();
    });
    this.chat.on('join', (ctx) => {
      if (this.members.has(ctx.info.client)) return;
      this.members.set(ctx.info.client, ctx.info);
      this.events.joined(this, ctx.info);
      this.events.presence(this);
    });
    this.chat.on('leave', (ctx) => {
      if (!this.members.delete(ctx.info.client)) return;
      this.events.left(this, ctx.info);
      this.events.presence(this);
    });
    this.side.on('publication', (ctx) => this.events.side(this, ctx.data, ctx.info));
    // A refused command must not throw inside the SDK; the UI shows state instead.
    this.chat.on('error', () => {});
    this.side.on('error', () => {});
    this.chat.subscribe();
    this.side.subscribe();
  }

  activate(): void {
    this.wantsHistory = true;
    this.unread = 0;
    if (this.chat.state === 'subscribed') void this.loadRecent();
  }

  private accept(pub: Pub, live: boolean): void {
    if (this.list.add(pub, (p) => this.events.render(this, p, live))) this.events.publication(this, pub, live);
  }

  // The last PAGE messages, newest first from the server, shown oldest first.
  private async loadRecent(): Promise<void> {
    if (this.historyLoaded) return;
    this.historyLoaded = true;
    try {
      const r = await this.chat.history({ limit: PAGE, reverse: true });
      this.epoch = r.epoch;
      if (r.publications.length < PAGE) this.olderDone = true;
      for (const p of r.publications.slice().reverse()) {
        if (p.offset !== undefined) this.accept({ offset: p.offset, data: p.data, info: p.info }, false);
      }
      this.events.recentLoaded(this);
    } catch {
      this.historyLoaded = false; // tried again on the next subscribe
    }
  }

  // The PAGE messages before the oldest shown. Resolves true if some came.
  async loadOlder(): Promise<boolean> {
    if (this.olderDone || this.loadingOlder || !this.list.oldest || this.list.oldest <= 1) return false;
    this.loadingOlder = true;
    try {
      const r = await this.chat.history({ limit: PAGE, reverse: true, since: { offset: this.list.oldest, epoch: this.epoch } });
      if (r.publications.length < PAGE) this.olderDone = true;
      for (const p of r.publications) {
        if (p.offset !== undefined) this.accept({ offset: p.offset, data: p.data, info: p.info }, false);
      }
      return r.publications.length > 0;
    } catch {
      return false;
    } finally {
      this.loadingOlder = false;
    }
  }

  private async refreshPresence(): Promise<void> {
    try {
      const r = await this.chat.presence();
      this.members.clear();
      for (const [client, info] of Object.entries(r.clients)) this.members.set(client, info);
      this.events.presence(this);
    } catch { /* shown again on the next join, leave or subscribe */ }
  }

  // Distinct users here, by user id, with their names.
  users(): { user: string; name: string }[] {
    const byUser = new Map<string, string>();
    for (const info of this.members.values()) {
      byUser.set(info.user, typeof info.connInfo?.name === 'string' ? info.connInfo.name : info.user);
    }
    return [...byUser].map(([user, name]) => ({ user, name })).sort((a, b) => a.name.localeCompare(b.name));
  }
}
