// The demo identity: a nickname exchanged for a token at POST /demo/token
// (herald's [demo] tokens), kept in localStorage so a reload keeps it.

export interface Session {
  token: string;
  user: string;
  name: string;
}

const KEY = 'herald.session';

export function loadSession(): Session | null {
  try {
    const s = JSON.parse(localStorage.getItem(KEY) ?? 'null');
    if (s && typeof s.token === 'string' && typeof s.user === 'string' && typeof s.name === 'string') return s;
  } catch { /* a corrupt entry is the same as none */ }
  return null;
}

export function clearSession(): void {
  localStorage.removeItem(KEY);
}

export async function requestSession(name: string): Promise<Session> {
  const res = await fetch('/demo/token', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`the server refused the nickname (HTTP ${res.status}): ${text}`);
  const body = JSON.parse(text);
  const session: Session = { token: body.token, user: body.user, name: body.name ?? name };
  localStorage.setItem(KEY, JSON.stringify(session));
  return session;
}
