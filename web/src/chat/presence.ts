// Who is here: the distinct users subscribed to the active room's chat
// channel, each with a call button (not for oneself).
import { h } from '../shared/dom';
import type { Room } from './room';

export function renderMembers(el: HTMLElement, room: Room, me: string, onCall: (user: string, name: string) => void): void {
  el.replaceChildren(...room.users().map(({ user, name }) => {
    const call = user !== me && h('button', { type: 'button', class: 'call-button', testid: 'call-button', title: `Video call ${name}` }, 'Call');
    if (call) call.addEventListener('click', () => onCall(user, name));
    return h('li', { class: 'member', testid: 'member', 'data-user': user },
      h('span', { class: 'dot' }),
      h('span', { class: 'member-name', testid: 'member-name' }, user === me ? `${name} (you)` : name),
      call);
  }));
}
