// The chat: a nickname, rooms, messages, presence, typing, files and calls,
// all over one Centrifuge connection to herald serve.
import '../styles/base.css';
import '../styles/chat.css';
import type { ClientInfo } from 'centrifuge';
import { bindIndicator, makeClient } from '../shared/connection';
import { clearSession, loadSession, type Session } from '../shared/session';
import { Calls } from './call';
import { Files, refusal } from './files';
import { authorName, messageFrame, renderText, type Pub } from './messages';
import { renderMembers } from './presence';
import type { Room } from './room';
import { RoomDirectory } from './rooms';
import { TypingIndicator, TypingSender } from './typing';
import { askNickname, setupDrawer, showUpload, ui } from './ui';
import { Outbox } from './outbox';
import type { ChatData, SideData } from './wire';

function start(session: Session): void {
  const me = session.user;
  ui.meName.textContent = session.name;
  const client = makeClient(session.token);
  bindIndicator(client, ui.connection);
  client.on('error', () => {});

  const files = new Files(() => session.token);
  const outbox = new Outbox(client);
  const calls = new Calls(client, me);
  const typing = new TypingIndicator(ui.typing);
  const typingSender = new TypingSender(session.name);
  const isActive = (room: Room) => directory.active === room;
  // Where the reader was before the newest insertion (scroll events only).
  let wasNearBottom = true;
  const nearBottom = () => ui.pane.scrollHeight - ui.pane.scrollTop - ui.pane.clientHeight < 80;
  const toBottom = () => { ui.pane.scrollTop = ui.pane.scrollHeight; };
  const membersChanged = (room: Room) => {
    if (isActive(room)) renderMembers(ui.members, room, me, (user, name) => void calls.start(user, name, room));
  };

  const directory: RoomDirectory = new RoomDirectory(client, {
    render(_room, pub: Pub, live: boolean) {
      const data = pub.data as ChatData | { text?: unknown };
      if ('type' in data && data.type === 'call-invite') return null;
      if ('type' in data && data.type === 'file') return messageFrame(pub, me, files.render(data, live));
      return renderText(pub, me);
    },
    publication(room, pub, isLive) {
      const data = pub.data as ChatData;
      if (data?.type === 'text') outbox.delivered(data.mid);
      if (data?.type === 'call-invite') {
        if (isLive) calls.invite(data, pub.info);
        return;
      }
      if (!isLive) return;
      if (isActive(room)) {
        if (pub.info) typing.stopped(pub.info.user);
        if (wasNearBottom || pub.info?.user === me) toBottom();
      } else if (pub.info?.user !== me) {
        room.unread += 1;
        directory.render();
      }
    },
    side(room, data: SideData, info?: ClientInfo) {
      if (data?.type === 'typing' && info && info.user !== me && isActive(room)) typing.signal(info.user, data.name);
    },
    presence: membersChanged,
    recentLoaded(room) {
      if (isActive(room)) toBottom();
    },
    joined(room, info) {
      if (isActive(room) && info.user !== me) room.list.addSystem(`${authorName(info)} joined`);
    },
    left(room, info) {
      if (isActive(room) && info.user !== me) room.list.addSystem(`${authorName(info)} left`);
    },
  }, ui.roomList);

  ui.pane.addEventListener('scroll', () => {
    wasNearBottom = nearBottom();
    const room = directory.active;
    if (room && ui.pane.scrollTop < 40) {
      const before = ui.pane.scrollHeight;
      void room.loadOlder().then((more) => {
        if (more) ui.pane.scrollTop += ui.pane.scrollHeight - before;
      });
    }
  });

  directory.onSelect = (room) => {
    ui.roomTitle.textContent = `# ${room.name}`;
    ui.pane.replaceChildren(room.list.el, room.pendingEl);
    typing.clear();
    membersChanged(room);
    wasNearBottom = true;
    toBottom();
  };
  directory.select(directory.ensure(new URLSearchParams(location.search).get('room') ?? 'lobby'));

  ui.roomForm.addEventListener('submit', (e) => {
    e.preventDefault();
    ui.roomError.textContent = '';
    directory.create(ui.roomInput.value.trim())
      .then(() => { ui.roomInput.value = ''; })
      .catch((err) => { ui.roomError.textContent = err.message; });
  });

  ui.messageInput.addEventListener('input', () => {
    const room = directory.active;
    if (room && ui.messageInput.value) typingSender.typed(room.side);
  });
  ui.composer.addEventListener('submit', (e) => {
    e.preventDefault();
    const room = directory.active;
    const text = ui.messageInput.value;
    if (!room || !text.trim()) return;
    ui.messageInput.value = '';
    typingSender.reset();
    outbox.send(room, text); // shown at once as pending; sent when connected
    toBottom();
  });

  ui.fileInput.addEventListener('change', async () => {
    const file = ui.fileInput.files?.[0];
    ui.fileInput.value = '';
    const room = directory.active;
    if (!file || !room) return;
    const refused = refusal(file);
    ui.notice.textContent = refused ?? '';
    if (refused) return;
    showUpload(file.name, 0);
    try {
      await files.send(file, room.chat, (f) => showUpload(file.name, f));
    } catch (err) {
      ui.notice.textContent = `${file.name} was not sent: ${(err as Error).message ?? err}`;
    } finally {
      showUpload(file.name, null);
    }
  });

  ui.changeNickname.addEventListener('click', () => {
    clearSession();
    client.disconnect();
    location.reload();
  });

  client.connect();
}

setupDrawer();
const session = loadSession();
if (session) {
  ui.login.hidden = true;
  ui.app.hidden = false;
  start(session);
} else {
  void askNickname().then(start);
}
