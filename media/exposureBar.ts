/**
 * The panel's exposure bar (issue 11), webview side: one control per exposure setting the camera
 * has (a list, a number, a switch, or information only), disabled with the reason when the camera,
 * its mode dial or the roll's lock does not allow a change, and the roll's lock in one line. A
 * change is sent at once; what the camera took comes back as the next `exposure` message.
 */
import type { PanelControl, PanelExposure, WebviewMessage } from '../src/ui/panelProtocol';

export function exposureBar(send: (m: WebviewMessage) => void): (e: PanelExposure) => void {
  const controls = byId('exposure-controls');
  const empty = byId('exposure-empty');
  const lockLine = byId('exposure-lock');
  const lockButton = byId<HTMLButtonElement>('btn-exposure-lock');
  let locked = false;
  byId('btn-exposure-read').addEventListener('click', () => send({ type: 'exposureAction', action: 'read' }));
  byId('btn-exposure-all').addEventListener('click', () => send({ type: 'exposureAction', action: 'all' }));
  lockButton.addEventListener('click', () => send({ type: 'exposureAction', action: locked ? 'unlock' : 'lock' }));

  return (e) => {
    controls.replaceChildren(...e.controls.map((c) => controlElement(c, send)));
    empty.hidden = e.loaded;
    empty.textContent = e.loaded ? '' : 'Camera settings not read yet.';
    if (e.loaded && e.controls.length === 0) {
      empty.hidden = false;
      empty.textContent = 'The camera reports none of the usual exposure settings: see All settings….';
    }
    locked = e.lock !== undefined;
    lockButton.setAttribute('aria-pressed', String(locked));
    lockButton.textContent = locked ? 'Unlock exposure' : 'Lock exposure';
    lockButton.title = locked
      ? 'Unlock: captures of this roll use whatever the camera is set to'
      : "Lock this roll's exposure to the camera's current ISO, shutter, aperture, compensation and white balance";
    lockLine.hidden = !e.lock;
    lockLine.classList.toggle('problem', e.lock?.problem !== undefined);
    lockLine.textContent = e.lock
      ? `Locked for this roll: ${e.lock.summary}${e.lock.problem ? `. ${e.lock.problem}` : ''}`
      : '';
    lockLine.title = e.lock?.title ?? '';
  };
}

function controlElement(c: PanelControl, send: (m: WebviewMessage) => void): HTMLElement {
  const label = document.createElement('label');
  label.className = 'control';
  label.dataset.role = c.role;
  const title = document.createElement('span');
  title.className = 'control-title';
  title.textContent = c.title;
  label.append(title);
  const why = c.disabled ? ` Cannot be changed now: ${c.disabled}` : '';
  label.title = `${c.cameraName}: ${c.value === '' ? 'no value' : c.value}.${why}`;
  let input: HTMLElement;
  switch (c.kind) {
    case 'choice': {
      const select = document.createElement('select');
      for (const [i, choice] of (c.choices ?? []).entries()) {
        const option = new Option(c.choiceTexts?.[i] ?? choice, String(i), false, choice === c.value);
        option.title = choice;
        select.add(option);
      }
      // A value the camera reports but does not offer (a dial-decided shutter speed): shown, not offered.
      if (!(c.choices ?? []).includes(c.value)) {
        const current = new Option(c.value === '' ? '—' : c.valueText, '', true, true);
        current.disabled = true;
        select.add(current, 0);
      }
      select.addEventListener('change', () => {
        const index = Number(select.value);
        if (select.value !== '' && Number.isInteger(index)) send({ type: 'setSetting', path: c.path, index });
      });
      input = select;
      break;
    }
    case 'number':
    case 'text': {
      const box = document.createElement('input');
      box.type = c.kind === 'number' ? 'number' : 'text';
      box.value = c.value;
      if (c.min !== undefined) box.min = String(c.min);
      if (c.max !== undefined) box.max = String(c.max);
      if (c.step !== undefined) box.step = String(c.step);
      box.addEventListener('change', () => send({ type: 'setSetting', path: c.path, value: box.value }));
      input = box;
      break;
    }
    case 'toggle': {
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.checked = c.value === '1' || c.value.toLowerCase() === 'on';
      box.addEventListener('change', () => send({ type: 'setSetting', path: c.path, value: box.checked ? '1' : '0' }));
      input = box;
      break;
    }
    case 'info': {
      const out = document.createElement('output');
      out.textContent = c.value === '' ? '—' : c.valueText;
      input = out;
      break;
    }
  }
  input.className = 'control-input';
  input.setAttribute('aria-label', `${c.title}${why}`);
  if (c.disabled && input instanceof HTMLSelectElement) input.disabled = true;
  if (c.disabled && input instanceof HTMLInputElement) input.disabled = true;
  if (c.disabled) label.classList.add('disabled');
  label.append(input);
  return label;
}

function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`panel markup lacks #${id}`);
  return found as T;
}
