// A demo feed channel: on every subscribe (the first and after each
// reconnect) the history the server keeps fills the gap, then live
// publications follow; each offset is applied once, in order.
import type { Centrifuge } from 'centrifuge';

const HISTORY_LIMIT = 600;

export function followFeed(client: Centrifuge, channel: string, apply: (data: any) => void, reset: () => void): void {
  const sub = client.newSubscription(channel);
  let epoch = '';
  let last = 0;
  let loading = false;
  let pending: { offset: number; data: any }[] = [];

  const take = (offset: number | undefined, data: any) => {
    if (offset === undefined) return apply(data);
    if (offset <= last) return;
    last = offset;
    apply(data);
  };

  sub.on('publication', (ctx) => {
    if (loading) pending.push({ offset: ctx.offset ?? 0, data: ctx.data });
    else take(ctx.offset, ctx.data);
  });
  sub.on('subscribed', async () => {
    loading = true;
    try {
      const r = await sub.history({ limit: HISTORY_LIMIT, reverse: true });
      if (epoch && r.epoch !== epoch) { last = 0; reset(); }
      epoch = r.epoch;
      for (const p of r.publications.slice().reverse()) take(p.offset, p.data);
    } catch { /* live publications still come */ }
    loading = false;
    for (const p of pending) take(p.offset, p.data);
    pending = [];
  });
  sub.on('error', () => {});
  sub.subscribe();
}
