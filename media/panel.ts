/**
 * The preview panel's script (bundled by esbuild to dist/webview/panel.js). It renders what the
 * extension sends, sends commands for buttons and keys, and reports each preview it has displayed.
 */
import {
  ERROR_ACTION_LABELS,
  parseViewState,
  type HostMessage,
  type PanelCapture,
  type PanelCommand,
  type PanelError,
  type PanelState,
  type PanelViewState,
  type WebviewMessage,
} from '../src/ui/panelProtocol';

interface VsCodeApi {
  postMessage(message: WebviewMessage): void;
  getState(): unknown;
  setState(state: PanelViewState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
let view: PanelViewState = parseViewState(vscode.getState());
let state: PanelState | undefined;
let busyTimer: ReturnType<typeof setInterval> | undefined;

function el<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`panel markup lacks #${id}`);
  return found as T;
}

const preview = el<HTMLImageElement>('preview');
const liveCanvas = el<HTMLCanvasElement>('live-frame');
const stage = el<HTMLElement>('stage');

// Fit means "fit the picture area", which shrinks when the error banner shows or the footer wraps.
new ResizeObserver(() => stage.style.setProperty('--fit-height', `${stage.clientHeight}px`)).observe(stage);

function send(message: WebviewMessage): void {
  vscode.postMessage(message);
}

function command(c: PanelCommand): void {
  send({ type: 'command', command: c });
}

function applyView(): void {
  preview.classList.toggle('inverted', view.invert);
  liveCanvas.classList.toggle('inverted', view.invert);
  el('grid').hidden = !view.grid;
  stage.classList.toggle('fit', view.zoom === 'fit');
  stage.classList.toggle('actual', view.zoom === '100');
  el('btn-invert').setAttribute('aria-pressed', String(view.invert));
  el('btn-grid').setAttribute('aria-pressed', String(view.grid));
  el('btn-zoom').setAttribute('aria-pressed', String(view.zoom === '100'));
  vscode.setState(view);
}

function toggle(key: 'invert' | 'grid' | 'zoom'): void {
  view = key === 'zoom' ? { ...view, zoom: view.zoom === 'fit' ? '100' : 'fit' } : { ...view, [key]: !view[key] };
  applyView();
}

function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : `${Math.max(1, Math.round(n / 1024))} KB`;
}

function renderStatus(): void {
  const status = el('status');
  if (!state) return;
  status.dataset.state = state.state; // not a class: .error is the banner's
  if (state.state === 'busy') {
    const secs = state.busySince ? Math.max(0, Math.floor((Date.now() - state.busySince) / 1000)) : 0;
    status.textContent = `${state.job ?? 'Working'}… ${secs} s${state.queued > 0 ? ` (${state.queued} waiting)` : ''}`;
  } else {
    status.textContent =
      state.state === 'error'
        ? 'Failed (see message above)'
        : state.state === 'live'
          ? state.tethered
            ? 'Live view (tethered mode paused)'
            : 'Live view'
          : state.state === 'tethering'
            ? 'Tethered: shoot with the camera'
            : state.tethered
              ? 'Tethered (paused)'
              : 'Idle';
  }
}

function renderState(s: PanelState): void {
  state = s;
  el('roll').textContent = s.roll;
  el('next-frame').textContent = String(s.nextFrame);
  el('captured').textContent = `${s.captured} captured`;
  el('camera').textContent = `${s.cameraModel ?? 'first detected camera'}${s.cameraPort ? ` on ${s.cameraPort}` : ''}`;
  el('sim').hidden = !s.simulated;
  el('btn-tether').setAttribute('aria-pressed', String(s.tethered));
  for (const b of document.querySelectorAll<HTMLButtonElement>('button[data-command]'))
    b.classList.toggle('busy', s.state === 'busy');
  renderStatus();
  if (s.state === 'busy' && !busyTimer) busyTimer = setInterval(renderStatus, 1000);
  if (s.state !== 'busy' && busyTimer) {
    clearInterval(busyTimer);
    busyTimer = undefined;
  }
}

function renderError(error: PanelError | undefined): void {
  const box = el('error');
  box.hidden = !error;
  if (!error) return;
  el('error-text').textContent = error.message;
  const actions = el('error-actions');
  actions.replaceChildren();
  for (const action of error.actions) {
    const b = document.createElement('button');
    b.textContent = ERROR_ACTION_LABELS[action];
    b.addEventListener('click', () => send({ type: 'errorAction', action }));
    actions.append(b);
  }
}

/** Bumped when a preview is shown, so a live frame still decoding does not cover it. */
let liveGeneration = 0;

/** Which picture the stage shows: the <img> (previews, base64 live frames) or the live <canvas>. */
function showPicture(which: 'img' | 'canvas'): void {
  preview.hidden = which !== 'img';
  liveCanvas.hidden = which !== 'canvas';
  el('placeholder').hidden = true;
  el('frame').hidden = false;
}

function renderPreview(seq: number, uri: string): void {
  preview.onload = null;
  preview.onerror = null;
  liveGeneration++; // a live frame still decoding must not cover this preview
  const img = new Image();
  img.onload = () => {
    preview.src = uri;
    showPicture('img');
    // Report only once the browser has decoded it: that is "displayed".
    send({ type: 'displayed', seq, width: img.naturalWidth, height: img.naturalHeight });
  };
  img.src = uri;
}

const liveContext = liveCanvas.getContext('2d');

/**
 * Decodes a live JPEG from its bytes and draws it. Not through an <img> with a blob: URL: loading
 * that URL cost the browser 1.5 to 1.9 times the CPU at 30 fps (measured with `npm run bench:webview`).
 */
async function drawLiveFrame(bytes: Uint8Array): Promise<boolean> {
  if (!liveContext) return false;
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'image/jpeg' }));
  } catch {
    return false; // not a decodable JPEG
  }
  try {
    if (liveCanvas.width !== bitmap.width || liveCanvas.height !== bitmap.height) {
      liveCanvas.width = bitmap.width;
      liveCanvas.height = bitmap.height;
    }
    liveContext.drawImage(bitmap, 0, 0);
  } finally {
    bitmap.close();
  }
  return true;
}

/** Shows a live frame, then acks it: the extension sends the next (newest) frame only after the ack. */
function renderLiveFrame(seq: number, data: Uint8Array | string): void {
  const generation = liveGeneration;
  if (typeof data === 'string') {
    // A base64 string (only when a bench compares encodings) goes in as a data: URL, the usual way.
    preview.onload = () => send({ type: 'liveAck', seq, shown: true });
    preview.onerror = () => send({ type: 'liveAck', seq, shown: false }); // a broken frame must not stall the stream
    preview.src = `data:image/jpeg;base64,${data}`;
    showPicture('img');
    return;
  }
  void drawLiveFrame(data).then((shown) => {
    if (shown && generation === liveGeneration) showPicture('canvas');
    send({ type: 'liveAck', seq, shown });
  });
}

function renderLiveStatus(running: boolean, fps: number, dropped: number, broken: number): void {
  const badge = el('live');
  badge.hidden = !running;
  badge.textContent = `LIVE ${fps} fps · ${dropped} dropped${broken > 0 ? ` · ${broken} undecodable` : ''}`;
  el('btn-liveView').setAttribute('aria-pressed', String(running));
  if (!running) {
    preview.onload = null;
    preview.onerror = null;
  }
}

function renderCapture(c: PanelCapture): void {
  el('last').hidden = false;
  const thumb = el<HTMLImageElement>('last-thumb');
  thumb.hidden = !c.thumbnailUri;
  if (c.thumbnailUri) thumb.src = c.thumbnailUri;
  el('last-name').textContent = c.test ? `Test: ${c.name}` : `Frame ${c.frame ?? ''}: ${c.name}`;
  el('last-size').textContent = formatBytes(c.bytes);
}

window.addEventListener('message', (event: MessageEvent<HostMessage>) => {
  const m = event.data;
  switch (m?.type) {
    case 'state':
      renderState(m.state);
      break;
    case 'preview':
      renderPreview(m.seq, m.uri);
      break;
    case 'capture':
      renderCapture(m.capture);
      break;
    case 'error':
      renderError(m.error);
      break;
    case 'liveFrame':
      renderLiveFrame(m.seq, m.data);
      break;
    case 'liveStatus':
      renderLiveStatus(m.running, m.fps, m.dropped, m.broken);
      break;
  }
});

for (const b of document.querySelectorAll<HTMLButtonElement>('button[data-command]')) {
  b.addEventListener('click', () => command(b.dataset.command as PanelCommand));
}
// After a mouse click, focus goes back to the picture so that SPACE captures again instead of
// clicking the same button; keyboard users (Tab, then Space or Enter: detail 0) keep their focus.
document.addEventListener('click', (e) => {
  if (e.detail > 0 && (e.target as HTMLElement).closest('button')) stage.focus({ preventScroll: true });
});
el('btn-invert').addEventListener('click', () => toggle('invert'));
el('btn-grid').addEventListener('click', () => toggle('grid'));
el('btn-zoom').addEventListener('click', () => toggle('zoom'));
stage.addEventListener('dblclick', () => toggle('zoom'));

const KEYS: Record<string, () => void> = {
  ' ': () => command('capture'),
  p: () => command('preview'),
  t: () => command('testCapture'),
  l: () => command('liveView'),
  b: () => command('tether'),
  i: () => toggle('invert'),
  g: () => toggle('grid'),
  z: () => toggle('zoom'),
};

document.addEventListener('keydown', (e) => {
  if (e.ctrlKey || e.metaKey || e.altKey || e.repeat) return;
  const target = e.target as HTMLElement | null;
  // SPACE on a focused button already clicks it; don't capture twice.
  if (e.key === ' ' && target?.tagName === 'BUTTON') return;
  const action = KEYS[e.key.toLowerCase()];
  if (!action) return;
  e.preventDefault();
  action();
});

applyView();
send({ type: 'ready' });
