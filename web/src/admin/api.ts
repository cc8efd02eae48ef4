// The admin UI talks to the server only through its HTTP API: it trades the
// admin password for a short-lived token at POST /admin/auth, then calls
// POST /admin/api/<method> with the same bodies as /api/<method> (so every
// action here can be scripted with curl and the API key instead).
// The token lives in sessionStorage: gone with the tab.

const STORAGE_KEY = 'herald-admin-token';

export interface AdminToken { token: string; expiresAt: number } // expiresAt: unix seconds

// An answer the server gave that is not a result: a refused method
// ({"error":{code,message}}) or an HTTP failure. `status` 401 means the
// token is gone or expired: sign in again.
export class ApiError extends Error {
  constructor(message: string, readonly status: number, readonly code?: number) {
    super(message);
  }
}

export function storedToken(): AdminToken | null {
  try {
    const t = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? 'null');
    if (t && typeof t.token === 'string' && typeof t.expiresAt === 'number' && t.expiresAt * 1000 > Date.now()) return t;
  } catch { /* a damaged entry is the same as none */ }
  return null;
}

export function forgetToken(): void {
  sessionStorage.removeItem(STORAGE_KEY);
}

async function readJson(res: Response): Promise<any> {
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    return { error: text.trim() || `HTTP ${res.status}` };
  }
}

export async function signIn(password: string): Promise<AdminToken> {
  const res = await fetch('/admin/auth', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ password }),
  });
  const body = await readJson(res);
  if (!res.ok || typeof body.token !== 'string') {
    const why = typeof body.error === 'string' ? body.error : `HTTP ${res.status}`;
    throw new ApiError(res.status === 404 ? 'the admin UI is disabled on this server ([admin] enabled = false)' : why, res.status);
  }
  const t = { token: body.token, expiresAt: Number(body.expires_at) };
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify(t));
  return t;
}

export class AdminApi {
  // Called once when the server says the token is no longer good.
  onSignedOut: () => void = () => {};

  constructor(private token: AdminToken) {}

  get expiresAt(): number {
    return this.token.expiresAt;
  }

  async call<T = any>(method: string, params: object = {}): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`/admin/api/${method}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `token ${this.token.token}` },
        body: JSON.stringify(params),
      });
    } catch {
      throw new ApiError('the server cannot be reached', 0);
    }
    const body = await readJson(res);
    if (res.status === 401) {
      forgetToken();
      this.onSignedOut();
    }
    if (body && typeof body === 'object' && 'result' in body) return body.result as T;
    const e = body?.error;
    if (e && typeof e === 'object') throw new ApiError(`${e.message} (${e.code})`, res.status, e.code);
    throw new ApiError(typeof e === 'string' ? e : `HTTP ${res.status}`, res.status);
  }
}
