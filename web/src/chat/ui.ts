// The chat page's fixed elements (index.html), the nickname form, and the
// rooms drawer of phone-sized screens.
import { byTestId, show } from '../shared/dom';
import { requestSession, type Session } from '../shared/session';

export const ui = {
  login: byTestId('login'),
  app: byTestId('chat-app'),
  connection: byTestId('connection-state'),
  meName: byTestId('me-name'),
  changeNickname: byTestId('change-nickname'),
  roomsToggle: byTestId('rooms-toggle'),
  roomsPanel: byTestId('rooms-panel'),
  roomList: byTestId('room-list'),
  roomForm: byTestId<HTMLFormElement>('room-form'),
  roomInput: byTestId<HTMLInputElement>('room-input'),
  roomError: byTestId('room-error'),
  roomTitle: byTestId('room-title'),
  pane: byTestId('messages-pane'),
  typing: byTestId('typing'),
  composer: byTestId<HTMLFormElement>('composer'),
  messageInput: byTestId<HTMLInputElement>('message-input'),
  fileInput: byTestId<HTMLInputElement>('file-input'),
  notice: byTestId('notice'),
  upload: byTestId('upload-progress'),
  uploadBar: byTestId<HTMLProgressElement>('upload-progress-bar'),
  uploadText: byTestId('upload-progress-text'),
  members: byTestId('member-list'),
};

// Shows the nickname form until a token is obtained.
export function askNickname(): Promise<Session> {
  show(ui.app, false);
  show(ui.login, true);
  const form = byTestId<HTMLFormElement>('nickname-form');
  const input = byTestId<HTMLInputElement>('nickname-input');
  const error = byTestId('login-error');
  input.focus();
  return new Promise((resolve) => {
    form.onsubmit = async (e) => {
      e.preventDefault();
      const name = input.value.trim();
      if (!name) return;
      error.textContent = '';
      try {
        const session = await requestSession(name);
        show(ui.login, false);
        show(ui.app, true);
        resolve(session);
      } catch (err) {
        error.textContent = (err as Error).message;
      }
    };
  });
}

// On a narrow screen the rooms list is a drawer opened from the header.
export function setupDrawer(): void {
  ui.roomsToggle.addEventListener('click', () => ui.app.classList.toggle('rooms-open'));
  ui.roomList.addEventListener('click', () => ui.app.classList.remove('rooms-open'));
}

export function showUpload(name: string, fraction: number | null): void {
  show(ui.upload, fraction !== null);
  if (fraction === null) return;
  ui.uploadBar.value = fraction;
  ui.uploadText.textContent = `Sending ${name}: ${Math.round(fraction * 100)}%`;
}
