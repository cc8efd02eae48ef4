// The Centrifuge client of a page, and the connection indicator driven only by
// the SDK's state events, so it shows what the SDK knows and nothing else.
import { Centrifuge } from 'centrifuge';

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'offline';

export function websocketUrl(): string {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${location.host}/connection/websocket`;
}

export function makeClient(token?: string): Centrifuge {
  return new Centrifuge(websocketUrl(), {
    token,
    // A restarted server is back within a second or two: retry soon, and
    // never wait more than 5 s between attempts.
    minReconnectDelay: 200,
    maxReconnectDelay: 5000,
  });
}

const LABELS: Record<ConnectionState, string> = {
  connecting: 'connecting…',
  connected: 'connected',
  reconnecting: 'reconnecting…',
  offline: 'offline',
};

// Sets `el`'s data-state and text on every state change of `client`.
export function bindIndicator(client: Centrifuge, el: HTMLElement): void {
  let everConnected = false;
  const set = (state: ConnectionState, title = '') => {
    el.dataset.state = state;
    el.textContent = LABELS[state];
    el.title = title;
  };
  set('offline');
  client.on('connecting', (ctx) => set(everConnected ? 'reconnecting' : 'connecting', ctx.reason));
  client.on('connected', () => { everConnected = true; set('connected'); });
  client.on('disconnected', (ctx) => set('offline', ctx.reason));
}
