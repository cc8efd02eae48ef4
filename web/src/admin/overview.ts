// Overview: every node (with Redis, every node sharing it) from `info`,
// polled every two seconds, as a table and as live charts of the sums.
import { LiveChart } from '../shared/charts';
import { byTestId, h } from '../shared/dom';
import type { AdminApi } from './api';

export interface NodeInfo {
  uid: string;
  name: string;
  version: string;
  engine: string;
  num_clients: number;
  num_subs: number;
  num_channels: number;
  uptime: number;
  messages_in_per_second: number;
  messages_out_per_second: number;
  history_store_damaged?: boolean;
}

const POLL_MS = 2000;
const COLORS = ['#2563eb', '#dc2626', '#059669'];

function uptime(seconds: number): string {
  const d = Math.floor(seconds / 86400), hh = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
  if (d) return `${d}d ${hh}h`;
  if (hh) return `${hh}h ${m}m`;
  return m ? `${m}m ${s}s` : `${s}s`;
}

export class Overview {
  private clients = new LiveChart(byTestId('clients-chart'), [
    { label: 'clients', stroke: COLORS[0] },
    { label: 'subscriptions', stroke: COLORS[1] },
  ], 300, 200);
  private messages = new LiveChart(byTestId('messages-chart'), [
    { label: 'in /s', stroke: COLORS[0] },
    { label: 'out /s', stroke: COLORS[1] },
  ], 300, 200);
  private timer: number | undefined;

  constructor(private api: AdminApi, private report: (e: unknown) => void) {}

  start(): void {
    if (this.timer !== undefined) return;
    const tick = () => this.refresh().catch(this.report);
    tick();
    this.timer = window.setInterval(tick, POLL_MS);
  }

  stop(): void {
    window.clearInterval(this.timer);
    this.timer = undefined;
  }

  private async refresh(): Promise<void> {
    const { nodes } = await this.api.call<{ nodes: NodeInfo[] }>('info');
    nodes.sort((a, b) => a.name.localeCompare(b.name) || a.uid.localeCompare(b.uid));
    const sum = (f: (n: NodeInfo) => number) => nodes.reduce((acc, n) => acc + f(n), 0);
    const now = Date.now();
    this.clients.push(now, [sum((n) => n.num_clients), sum((n) => n.num_subs)]);
    this.messages.push(now, [sum((n) => n.messages_in_per_second), sum((n) => n.messages_out_per_second)]);
    byTestId('nodes-summary').textContent =
      `${nodes.length} node${nodes.length === 1 ? '' : 's'}, ${sum((n) => n.num_clients)} clients`;
    byTestId('nodes-table').replaceChildren(...nodes.map((n) =>
      h('tr', { testid: 'node-row', 'data-node': n.name },
        h('td', {}, n.name, n.history_store_damaged ? h('span', { class: 'badge bad', title: 'the SQLite history file was found damaged' }, 'history damaged') : null),
        h('td', { class: 'num', testid: 'node-clients' }, String(n.num_clients)),
        h('td', { class: 'num' }, String(n.num_subs)),
        h('td', { class: 'num' }, String(n.num_channels)),
        h('td', { class: 'num' }, String(n.messages_in_per_second)),
        h('td', { class: 'num' }, String(n.messages_out_per_second)),
        h('td', { class: 'num' }, uptime(n.uptime)),
        h('td', {}, n.engine),
        h('td', {}, n.version))));
  }
}
