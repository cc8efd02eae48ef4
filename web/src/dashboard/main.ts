// The live dashboard: demo:prices (three tickers, 10 a second) and the
// server's own figures from demo:stats (once a second), as uPlot charts.
// Text figures are written once per animation frame, like the charts.
import '../styles/base.css';
import '../styles/dashboard.css';
import { bindIndicator, makeClient } from '../shared/connection';
import { byTestId, h } from '../shared/dom';
import { LiveChart } from '../shared/charts';
import { followFeed } from './feed';

const TICKERS = ['HRLD', 'WSKT', 'CPPX'] as const;
const COLORS = ['#2563eb', '#dc2626', '#059669'];

// One chart per ticker: each on its own scale, so every move shows.
const prices = TICKERS.map((label, i) => new LiveChart(byTestId(`price-chart-${label}`), [{ label, stroke: COLORS[i] }], 600, 150));
const connections = new LiveChart(byTestId('connections-chart'), [
  { label: 'connections', stroke: COLORS[0] },
  { label: 'clients', stroke: COLORS[1] },
  { label: 'subscriptions', stroke: COLORS[2] },
], 300, 200);
const rates = new LiveChart(byTestId('rates-chart'), [
  { label: 'in /s', stroke: COLORS[0] },
  { label: 'out /s', stroke: COLORS[1] },
  { label: 'publications /s', stroke: COLORS[2] },
], 300, 200);

let updates = 0;
let lastPrices: Record<string, number> = {};
let lastStats: Record<string, number> = {};
let scheduled = false;

// One DOM write per frame for the figures.
function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  requestAnimationFrame(() => {
    scheduled = false;
    byTestId('updates-count').textContent = String(updates);
    for (const t of TICKERS) byTestId(`last-${t}`).textContent = lastPrices[t]?.toFixed(2) ?? '–';
    const stat = (key: string, label: string, digits = 0) =>
      h('span', { class: 'figure', testid: `stat-${key}` }, `${label} ${lastStats[key]?.toFixed(digits) ?? '–'}`);
    byTestId('last-connections').replaceChildren(
      stat('connections', 'connections'), stat('clients', 'clients'),
      stat('subscriptions', 'subscriptions'), stat('channels', 'channels'));
    byTestId('last-rates').replaceChildren(
      stat('messages_in_per_second', 'in', 1), stat('messages_out_per_second', 'out', 1),
      stat('publications_per_second', 'publications', 1));
  });
}

const client = makeClient();
bindIndicator(client, byTestId('connection-state'));
client.on('error', () => {});

followFeed(client, 'demo:prices', (d) => {
  if (typeof d?.t !== 'number' || !d.prices) return;
  updates += 1;
  lastPrices = d.prices;
  TICKERS.forEach((t, i) => prices[i].push(d.t, [Number(d.prices[t])]));
  schedule();
}, () => prices.forEach((c) => c.clear()));

followFeed(client, 'demo:stats', (d) => {
  if (typeof d?.t !== 'number') return;
  updates += 1;
  lastStats = d;
  connections.push(d.t, [d.connections, d.clients, d.subscriptions]);
  rates.push(d.t, [d.messages_in_per_second, d.messages_out_per_second, d.publications_per_second]);
  schedule();
}, () => { connections.clear(); rates.clear(); });

client.connect();
