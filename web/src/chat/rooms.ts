// The room directory: rooms:index keeps a "room created" publication per
// room; the list is its history plus what arrives live. Each known room gets
// a Room (and so its subscriptions), which is what keeps unread counts.
import type { Centrifuge } from 'centrifuge';
import { h } from '../shared/dom';
import { Room, type RoomEvents } from './room';
import { ROOM_NAME, ROOMS_CHANNEL, type RoomCreated } from './wire';

export const DEFAULT_ROOM = 'lobby';
const INDEX_PAGE = 100;

export class RoomDirectory {
  readonly rooms = new Map<string, Room>();
  active: Room | null = null;
  onSelect: (room: Room) => void = () => {};

  constructor(private client: Centrifuge, private events: RoomEvents, private listEl: HTMLElement) {
    const index = client.newSubscription(ROOMS_CHANNEL);
    index.on('publication', (ctx) => this.learn(ctx.data));
    index.on('subscribed', () => void this.loadIndex());
    index.on('error', () => {});
    index.subscribe();
    this.ensure(DEFAULT_ROOM);
  }

  // The whole index, a page at a time: the server caps one history reply
  // (client.history_max_publication_limit, 300 by default).
  private async loadIndex(): Promise<void> {
    try {
      let r = await this.client.history(ROOMS_CHANNEL, { limit: INDEX_PAGE });
      for (;;) {
        for (const p of r.publications) this.learn(p.data);
        const last = r.publications[r.publications.length - 1];
        if (!last || last.offset === undefined || last.offset >= r.offset) break;
        r = await this.client.history(ROOMS_CHANNEL, { limit: INDEX_PAGE, since: { offset: last.offset, epoch: r.epoch } });
      }
    } catch { /* the live publications still arrive */ }
  }

  private learn(data: Partial<RoomCreated>): void {
    if (data?.type === 'room' && typeof data.name === 'string' && ROOM_NAME.test(data.name)) this.ensure(data.name);
  }

  ensure(name: string): Room {
    let room = this.rooms.get(name);
    if (!room) {
      room = new Room(name, this.client, this.events);
      this.rooms.set(name, room);
      this.render();
    }
    return room;
  }

  // Announces a room on rooms:index (once) and enters it.
  async create(name: string): Promise<void> {
    if (!ROOM_NAME.test(name)) throw new Error('a room name is 1–32 letters, digits, "-" or "_"');
    if (!this.rooms.has(name)) await this.client.publish(ROOMS_CHANNEL, { type: 'room', name } satisfies RoomCreated);
    this.select(this.ensure(name));
  }

  select(room: Room): void {
    this.active = room;
    room.activate();
    this.render();
    this.onSelect(room);
  }

  render(): void {
    const names = [...this.rooms.keys()].sort((a, b) =>
      a === DEFAULT_ROOM ? -1 : b === DEFAULT_ROOM ? 1 : a.localeCompare(b));
    this.listEl.replaceChildren(...names.map((name) => {
      const room = this.rooms.get(name)!;
      const button = h('button', { type: 'button', class: 'room-button', testid: 'room-button', 'data-room': name },
        h('span', { class: 'room-name' }, `# ${name}`),
        room.unread > 0 && h('span', { class: 'unread', testid: 'unread-count' }, String(room.unread)));
      button.addEventListener('click', () => this.select(room));
      return h('li', { class: room === this.active ? 'room active' : 'room', testid: 'room', 'data-room': name }, button);
    }));
  }
}
