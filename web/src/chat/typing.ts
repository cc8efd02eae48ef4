// "X is typing…": a typing signal at most every 1.5 s while the composer
// changes, on live:<room>; a name is shown for 3 s after its last signal.
import type { Subscription } from 'centrifuge';
import type { Typing } from './wire';

const SEND_EVERY_MS = 1500;
const SHOW_FOR_MS = 3000;

export class TypingSender {
  private lastSent = 0;
  constructor(private name: string) {}

  typed(side: Subscription): void {
    const now = Date.now();
    if (now - this.lastSent < SEND_EVERY_MS || side.state !== 'subscribed') return;
    this.lastSent = now;
    side.publish({ type: 'typing', name: this.name } satisfies Typing).catch(() => {});
  }

  // After sending a message the next keystroke signals again at once.
  reset(): void {
    this.lastSent = 0;
  }
}

export class TypingIndicator {
  private until = new Map<string, { name: string; until: number }>(); // by user id
  private timer = 0;

  constructor(private el: HTMLElement) {}

  signal(user: string, name: string): void {
    this.until.set(user, { name, until: Date.now() + SHOW_FOR_MS });
    this.render();
  }

  // The user's message arrived: they stopped typing it.
  stopped(user: string): void {
    if (this.until.delete(user)) this.render();
  }

  clear(): void {
    this.until.clear();
    this.render();
  }

  private render(): void {
    const now = Date.now();
    for (const [user, t] of this.until) if (t.until <= now) this.until.delete(user);
    const names = [...this.until.values()].map((t) => t.name);
    this.el.textContent =
      names.length === 0 ? '' :
      names.length === 1 ? `${names[0]} is typing…` :
      names.length === 2 ? `${names[0]} and ${names[1]} are typing…` :
      `${names.length} people are typing…`;
    clearTimeout(this.timer);
    if (names.length) this.timer = window.setTimeout(() => this.render(), 500);
  }
}
