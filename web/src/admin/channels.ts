// Channels: search the channels that have subscribers, open one to see its
// presence and history (paged, newest first) and to publish into it;
// disconnect or unsubscribe a user present in it.
import { byTestId, h, show } from '../shared/dom';
import type { AdminApi } from './api';
import { confirmingButton, dataText, showResult } from './widgets';

const PAGE = 20;

interface Publication { data?: unknown; b64data?: string; offset?: number; info?: { user?: string; client?: string } }
interface HistoryResult { publications?: Publication[]; offset?: number; epoch?: string }
interface ClientInfo { client: string; user: string; conn_info?: unknown; chan_info?: unknown }

export class Channels {
  private channel = '';
  private epoch = '';
  private oldest: number | undefined; // lowest offset on the page shown

  constructor(private api: AdminApi, private report: (e: unknown) => void) {
    byTestId('channel-search-form').addEventListener('submit', (e) => {
      e.preventDefault();
      this.search().catch(report);
    });
    byTestId('channel-open-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const name = byTestId<HTMLInputElement>('channel-open').value.trim();
      if (name) this.open(name).catch(report);
    });
    byTestId('history-newest').addEventListener('click', () => this.history(undefined).catch(report));
    byTestId('history-older').addEventListener('click', () => {
      if (this.oldest !== undefined && this.oldest > 1) this.history(this.oldest).catch(report);
    });
    byTestId('publish-form').addEventListener('submit', (e) => {
      e.preventDefault();
      this.publish().catch(report);
    });
  }

  async search(): Promise<void> {
    const pattern = byTestId<HTMLInputElement>('channel-search').value.trim();
    const { channels } = await this.api.call<{ channels: Record<string, { num_clients: number }> }>('channels', { pattern });
    const names = Object.keys(channels).sort();
    byTestId('channel-list').replaceChildren(
      ...names.map((name) => h('li', {},
        h('button', { class: 'link', testid: 'channel-item', 'data-channel': name }, name),
        h('span', { class: 'muted' }, ` ${channels[name].num_clients} subscribed`))),
      ...(names.length ? [] : [h('li', { class: 'muted', testid: 'channel-none' }, pattern ? `no channel with subscribers matches "${pattern}"` : 'no channel has subscribers')]));
    for (const b of byTestId('channel-list').querySelectorAll<HTMLButtonElement>('[data-testid="channel-item"]'))
      b.addEventListener('click', () => this.open(b.dataset.channel!).catch(this.report));
  }

  async open(channel: string): Promise<void> {
    this.channel = channel;
    byTestId('channel-name').textContent = channel;
    byTestId('publish-result').textContent = '';
    show(byTestId('channel-view'), true);
    await Promise.all([this.presence(), this.history(undefined)]);
  }

  private async presence(): Promise<void> {
    const table = byTestId('presence-table');
    try {
      const { presence } = await this.api.call<{ presence: Record<string, ClientInfo> }>('presence', { channel: this.channel });
      const clients = Object.values(presence).sort((a, b) => a.user.localeCompare(b.user) || a.client.localeCompare(b.client));
      byTestId('presence-count').textContent = `${clients.length} client${clients.length === 1 ? '' : 's'}`;
      table.replaceChildren(...clients.map((c) => h('tr', { testid: 'presence-row', 'data-user': c.user },
        h('td', {}, c.user || '(anonymous)'),
        h('td', { class: 'mono' }, c.client),
        h('td', { class: 'mono' }, c.conn_info === undefined ? '' : JSON.stringify(c.conn_info)),
        h('td', { class: 'actions' },
          c.user ? confirmingButton('Disconnect', 'presence-disconnect', () => this.act('disconnect', { user: c.user })) : null,
          c.user ? confirmingButton('Unsubscribe', 'presence-unsubscribe', () => this.act('unsubscribe', { user: c.user, channel: this.channel })) : null))));
    } catch (e) {
      byTestId('presence-count').textContent = e instanceof Error ? e.message : String(e);
      table.replaceChildren();
    }
  }

  private async act(method: string, params: object): Promise<void> {
    try {
      await this.api.call(method, params);
      // Presence follows after the disconnect has reached every node.
      window.setTimeout(() => this.presence().catch(this.report), 500);
    } catch (e) {
      this.report(e);
    }
  }

  // The newest page (`before` undefined) or the page just older than `before`.
  private async history(before: number | undefined): Promise<void> {
    const params: Record<string, unknown> = { channel: this.channel, limit: PAGE, reverse: true };
    if (before !== undefined) params.since = { offset: before, epoch: this.epoch };
    const table = byTestId('history-table');
    let r: HistoryResult;
    try {
      r = await this.api.call<HistoryResult>('history', params);
    } catch (e) {
      byTestId('history-position').textContent = e instanceof Error ? e.message : String(e);
      table.replaceChildren();
      return;
    }
    const pubs = r.publications ?? [];
    this.epoch = r.epoch ?? '';
    this.oldest = pubs.length ? Math.min(...pubs.map((p) => p.offset ?? 0)) : undefined;
    byTestId('history-position').textContent = pubs.length
      ? `offsets ${this.oldest}–${Math.max(...pubs.map((p) => p.offset ?? 0))} of ${r.offset ?? 0}, epoch ${this.epoch}`
      : `empty (top offset ${r.offset ?? 0})`;
    byTestId<HTMLButtonElement>('history-older').disabled = this.oldest === undefined || this.oldest <= 1;
    table.replaceChildren(...pubs.map((p) => h('tr', { testid: 'history-row', 'data-offset': p.offset ?? 0 },
      h('td', { class: 'num' }, String(p.offset ?? '')),
      h('td', {}, p.info?.user ?? 'server'),
      h('td', { class: 'mono data' }, dataText(p)))));
  }

  private async publish(): Promise<void> {
    const text = byTestId<HTMLTextAreaElement>('publish-data').value;
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (e) {
      return showResult('publish-result', false, `not JSON: ${e instanceof Error ? e.message : e}`);
    }
    try {
      const r = await this.api.call<{ offset?: number; epoch?: string }>('publish', { channel: this.channel, data });
      showResult('publish-result', true, r.offset ? `published at offset ${r.offset}` : 'published (the channel keeps no history)');
      await this.history(undefined);
    } catch (e) {
      showResult('publish-result', false, e instanceof Error ? e.message : String(e));
    }
  }
}
