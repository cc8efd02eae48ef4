// Small pieces the admin pages share.
import { byTestId, h } from '../shared/dom';

// A button for an action that cannot be undone: the first click asks
// "Confirm?", the second (within five seconds) acts.
export function confirmingButton(label: string, testid: string, action: () => void): HTMLButtonElement {
  const b = h('button', { class: 'secondary danger', testid }, label);
  let armed: number | undefined;
  b.addEventListener('click', () => {
    if (armed === undefined) {
      b.textContent = `Confirm ${label.toLowerCase()}?`;
      armed = window.setTimeout(() => { armed = undefined; b.textContent = label; }, 5000);
      return;
    }
    window.clearTimeout(armed);
    armed = undefined;
    b.textContent = label;
    b.disabled = true;
    action();
  });
  return b;
}

// A publication's data as text: JSON as written, binary as its base64.
export function dataText(p: { data?: unknown; b64data?: string }): string {
  if (p.b64data !== undefined) return `(binary, base64) ${p.b64data}`;
  return JSON.stringify(p.data);
}

export function showResult(testid: string, ok: boolean, text: string): void {
  const el = byTestId(testid);
  el.textContent = text;
  el.dataset.ok = String(ok);
}
