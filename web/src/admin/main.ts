// The admin UI (/admin): sign in with the admin password, then watch the
// nodes, look into channels, publish, and disconnect users, all through the
// server HTTP API (api.ts). Closed unless [admin] enabled = true.
import '../styles/base.css';
import '../styles/admin.css';
import { byTestId, show } from '../shared/dom';
import { AdminApi, ApiError, forgetToken, signIn, storedToken, type AdminToken } from './api';
import { Channels } from './channels';
import { Overview } from './overview';
import { showResult } from './widgets';

type Tab = 'overview' | 'channels' | 'users' | 'config';

let session: { api: AdminApi; overview: Overview; channels: Channels } | null = null;

function report(e: unknown): void {
  const el = byTestId('admin-error');
  el.textContent = e instanceof Error ? e.message : String(e);
  show(el, !(e instanceof ApiError && e.status === 401));
}

function showSignIn(message = ''): void {
  session?.overview.stop();
  session = null;
  show(byTestId('admin-view'), false);
  show(byTestId('signin-view'), true);
  byTestId('signin-error').textContent = message;
  byTestId<HTMLInputElement>('signin-password').focus();
}

function showTab(tab: Tab): void {
  for (const page of document.querySelectorAll<HTMLElement>('[data-page]')) show(page, page.dataset.page === tab);
  for (const b of document.querySelectorAll<HTMLElement>('[data-tab]')) b.setAttribute('aria-selected', String(b.dataset.tab === tab));
  if (!session) return;
  if (tab === 'overview') session.overview.start();
  else session.overview.stop();
  if (tab === 'channels') session.channels.search().catch(report);
  if (tab === 'config') {
    session.api.call<{ toml: string }>('config').then((r) => { byTestId('config-text').textContent = r.toml; }, report);
  }
  history.replaceState(null, '', `#${tab}`);
}

function start(token: AdminToken): void {
  const api = new AdminApi(token);
  api.onSignedOut = () => showSignIn('Your sign-in has expired; sign in again.');
  session = { api, overview: new Overview(api, report), channels: new Channels(api, report) };
  show(byTestId('signin-view'), false);
  show(byTestId('admin-view'), true);
  show(byTestId('admin-error'), false);
  byTestId('session-expiry').textContent = `signed in until ${new Date(token.expiresAt * 1000).toLocaleTimeString()}`;
  const tab = location.hash.slice(1) as Tab;
  showTab(['overview', 'channels', 'users', 'config'].includes(tab) ? tab : 'overview');
}

byTestId('signin-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const input = byTestId<HTMLInputElement>('signin-password');
  const button = byTestId<HTMLButtonElement>('signin-submit');
  button.disabled = true;
  try {
    start(await signIn(input.value));
    input.value = '';
  } catch (err) {
    byTestId('signin-error').textContent = err instanceof Error ? err.message : String(err);
  } finally {
    button.disabled = false;
  }
});

byTestId('signout').addEventListener('click', () => {
  forgetToken();
  showSignIn();
});

for (const b of document.querySelectorAll<HTMLElement>('[data-tab]')) b.addEventListener('click', () => showTab(b.dataset.tab as Tab));

// Users: the server API's disconnect and unsubscribe, by user id.
function userAction(form: string, result: string, run: (api: AdminApi) => Promise<string>): void {
  byTestId(form).addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!session) return;
    try {
      showResult(result, true, await run(session.api));
    } catch (err) {
      showResult(result, false, err instanceof Error ? err.message : String(err));
    }
  });
}
userAction('disconnect-form', 'disconnect-result', async (api) => {
  const user = byTestId<HTMLInputElement>('disconnect-user').value.trim();
  const code = Number(byTestId<HTMLSelectElement>('disconnect-code').value);
  await api.call('disconnect', { user, disconnect: { code, reason: code === 3011 ? 'force reconnect' : 'force disconnect' } });
  return `user ${user} disconnected with ${code} on every node`;
});
userAction('unsubscribe-form', 'unsubscribe-result', async (api) => {
  const user = byTestId<HTMLInputElement>('unsubscribe-user').value.trim();
  const channel = byTestId<HTMLInputElement>('unsubscribe-channel').value.trim();
  await api.call('unsubscribe', { user, channel });
  return `user ${user} unsubscribed from ${channel} on every node`;
});

const token = storedToken();
if (token) start(token);
else showSignIn();
