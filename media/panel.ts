/**
 * The preview panel's script (bundled by esbuild to dist/webview/panel.js). It renders what the
 * extension sends, sends commands for buttons and keys, and reports each preview and capture it has
 * displayed. The picture area shows one thing at a time (a preview, a capture, the live view, or
 * nothing) with a caption saying which; fit scales it to the area, up or down; 100 % is one image
 * pixel per screen pixel.
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
import { exposureBar } from './exposureBar';
import { createReview } from './review';

interface VsCodeApi {
  postMessage(message: WebviewMessage): void;
  getState(): unknown;
  setState(state: PanelViewState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const renderExposure = exposureBar((m) => vscode.postMessage(m));
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
const caption = el('caption');

/** What the picture area shows, for its caption and for what a live frame may replace. */
type Shown =
  | { kind: 'none' }
  | { kind: 'preview'; at: Date }
  | { kind: 'capture'; capture: PanelCapture }
  | { kind: 'live'; at: Date; frozen?: 'paused' | 'stopped' }
  /** A frame or test capture chosen in the filmstrip: stays until Esc (live frames wait behind it). */
  | { kind: 'still'; text: string };
let shown: Shown = { kind: 'none' };
/** A note from the review features (e.g. "click the film base"), shown in the caption over the rest. */
let hintText: string | undefined;
/** A fresh capture stays in view until then (ms since the epoch) while live frames keep arriving. */
let reviewUntil = 0;
let reviewTimer: ReturnType<typeof setTimeout> | undefined;
/** A live frame was drawn (into the hidden canvas) while a capture was under review. */
let liveWaiting = false;
/** What the last live-view status said about the stream (false before any). */
let liveReported = false;
/** The live canvas holds a frame of this camera (not its empty default bitmap). */
let liveDrawn = false;
/**
 * What the last live-view status said. A frame still decoding when the stream stopped lands after
 * that status: it must not make the picture look live again. 'running' until told otherwise (a
 * reloaded page gets frames before the next status).
 */
let liveState: 'running' | 'paused' | 'stopped' = 'running';

/** A live frame is now in view: the caption says frozen only while the stream is not running. */
function liveShown(): void {
  const frozen = liveState === 'running' ? undefined : liveState;
  if (shown.kind !== 'live' || shown.frozen !== frozen) setShown({ kind: 'live', at: new Date(), frozen });
  else shown.at = new Date();
}
/** The last capture the extension sent: the footer thumbnail shows it large when clicked. */
let lastCapture: PanelCapture | undefined;

// Fit means "fit the picture area", which changes with the panel's size and the error banner.
new ResizeObserver(() => layoutPicture()).observe(stage);

function send(message: WebviewMessage): void {
  vscode.postMessage(message);
}

function command(c: PanelCommand): void {
  send({ type: 'command', command: c });
}

/** The element showing the picture now, with the size of its pixels. */
function visiblePicture(): { el: HTMLElement; width: number; height: number } | undefined {
  if (!liveCanvas.hidden && liveCanvas.width > 0)
    return { el: liveCanvas, width: liveCanvas.width, height: liveCanvas.height };
  if (!preview.hidden && preview.naturalWidth > 0)
    return { el: preview, width: preview.naturalWidth, height: preview.naturalHeight };
  return undefined;
}

/**
 * Sizes the picture: fit scales it to the picture area, up as well as down (a 640 px preview fills a
 * large panel); 100 % shows one image pixel per device pixel. Sizes are set from script (CSSOM),
 * which the page's CSP allows, unlike style attributes.
 */
/** The picture size the last layout was made for. */
const laidOut = { width: 0, height: 0 };

function layoutPicture(): void {
  const p = visiblePicture();
  laidOut.width = p?.width ?? 0;
  laidOut.height = p?.height ?? 0;
  for (const e of [preview, liveCanvas]) {
    if (e === p?.el) continue;
    e.style.removeProperty('width');
    e.style.removeProperty('height');
  }
  if (!p) return;
  let width: number;
  let height: number;
  // A view turned a quarter (R) fits its height to the area's width; the transform turns the whole frame.
  const turn = review.transform();
  el('frame').style.transform = turn.css;
  if (view.zoom === 'fit') {
    const [w, h] = turn.quarter ? [p.height, p.width] : [p.width, p.height];
    const scale = Math.min(stage.clientWidth / w, stage.clientHeight / h);
    width = Math.max(1, Math.floor(p.width * scale));
    height = Math.max(1, Math.floor(p.height * scale));
  } else {
    width = p.width / window.devicePixelRatio;
    height = p.height / window.devicePixelRatio;
  }
  p.el.style.width = `${width}px`;
  p.el.style.height = `${height}px`;
}

function timeOf(d: Date): string {
  return d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

function renderCaption(): void {
  let text = '';
  let kind = '';
  switch (shown.kind) {
    case 'preview':
      text = `Preview · ${timeOf(shown.at)}`;
      break;
    case 'capture':
      text = shown.capture.test
        ? `Test capture · ${shown.capture.name}`
        : `Frame ${shown.capture.frame ?? ''} · ${shown.capture.name}`;
      kind = 'capture';
      break;
    case 'still':
      text = shown.text;
      kind = 'capture';
      break;
    case 'live':
      if (shown.frozen === 'stopped') {
        text = `Live view stopped · last frame ${timeOf(shown.at)}`;
        kind = 'frozen';
      } else if (shown.frozen === 'paused') {
        text = 'Live view paused for a camera job · resumes by itself';
        kind = 'frozen';
      }
      break;
  }
  if (hintText) {
    text = hintText;
    kind = 'hint';
  }
  caption.hidden = text === '';
  caption.textContent = text;
  caption.dataset.kind = kind;
}

function setShown(next: Shown): void {
  shown = next;
  renderCaption();
}

function applyView(): void {
  el('grid').hidden = !view.grid;
  stage.classList.toggle('fit', view.zoom === 'fit');
  stage.classList.toggle('actual', view.zoom === '100');
  el('btn-grid').setAttribute('aria-pressed', String(view.grid));
  el('btn-zoom').setAttribute('aria-pressed', String(view.zoom === '100'));
  layoutPicture();
  vscode.setState(view);
}

function toggle(key: 'grid' | 'zoom'): void {
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
  el('roll').title = s.roll;
  const camera = el('camera');
  camera.textContent = s.camera;
  camera.title = s.camera;
  camera.classList.toggle('unknown', !s.cameraKnown);
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
    b.dataset.action = action;
    b.addEventListener('click', () => send({ type: 'errorAction', action }));
    actions.append(b);
  }
}

/** Bumped when a preview is shown, so a live frame still decoding does not cover it. */
let liveGeneration = 0;

/** Which picture the stage shows: the <img> (previews, captures, base64 live frames) or the live <canvas>. */
function showPicture(which: 'img' | 'canvas'): void {
  preview.hidden = which !== 'img';
  liveCanvas.hidden = which !== 'canvas';
  el('placeholder').hidden = true;
  el('frame').hidden = false;
  layoutPicture();
}

/** Nothing in the picture area but `message` (e.g. after switching to another camera). */
function clearPicture(message: string): void {
  liveGeneration++; // a live frame still decoding must not bring the old camera's picture back
  endReview();
  preview.onload = null;
  preview.onerror = null;
  settleLiveImage?.();
  preview.removeAttribute('src');
  preview.hidden = true;
  liveCanvas.hidden = true;
  el('frame').hidden = true;
  review.cleared();
  const placeholder = el('placeholder');
  placeholder.textContent = message;
  placeholder.hidden = false;
  setShown({ kind: 'none' });
  layoutPicture();
}

function endReview(): void {
  reviewUntil = 0;
  liveWaiting = false;
  if (reviewTimer) clearTimeout(reviewTimer);
  reviewTimer = undefined;
}

/** Loads `uri` off-screen and shows it once decoded (never a half-loaded picture); calls `shownAs` then. */
function showImage(uri: string, shownAs: (width: number, height: number) => void): void {
  preview.onload = null;
  preview.onerror = null;
  liveGeneration++; // a live frame still decoding must not cover this picture
  const generation = liveGeneration;
  const img = new Image();
  img.onload = () => {
    if (generation !== liveGeneration) return; // something newer came first
    preview.src = uri;
    showPicture('img');
    review.stillShown(uri);
    shownAs(img.naturalWidth, img.naturalHeight);
  };
  img.src = uri;
}

/** The last preview shown: Esc from a frame of the strip goes back to it when live view is off. */
let lastPreview: { uri: string; at: Date } | undefined;

function renderPreview(seq: number, uri: string): void {
  endReview();
  review.pictureReplaced();
  showImage(uri, (width, height) => {
    lastPreview = { uri, at: new Date() };
    setShown({ kind: 'preview', at: lastPreview.at });
    // Report only once the browser has decoded it: that is "displayed".
    send({ type: 'displayed', seq, width, height });
  });
}

/**
 * A capture large in the picture area (auto-review). While live view runs, the live picture takes
 * over again after `holdMs`; a RAW-only capture has nothing the browser can show, so it says so.
 */
function showCaptureLarge(c: PanelCapture, holdMs: number): void {
  endReview();
  review.pictureReplaced();
  if (!c.thumbnailUri) {
    clearPicture(
      `${c.test ? 'Test capture' : `Frame ${c.frame ?? ''}`} saved: ${c.name}. RAW files cannot be shown here; shoot RAW+JPEG to see captures.`,
    );
    return;
  }
  reviewUntil = Date.now() + holdMs;
  reviewTimer = setTimeout(() => {
    const waiting = liveWaiting;
    endReview();
    if (waiting) {
      showPicture('canvas');
      liveShown();
    }
  }, holdMs);
  showImage(c.thumbnailUri, (width, height) => {
    setShown({ kind: 'capture', capture: c });
    send({ type: 'displayed', seq: c.seq, width, height, what: 'capture' });
  });
}

const liveContext = liveCanvas.getContext('2d');

function safely<T>(run: () => T, fallback: T): T {
  try {
    return run();
  } catch {
    return fallback;
  }
}

/**
 * Decodes a live JPEG from its bytes. Not through an <img> with a blob: URL: loading that URL cost
 * the browser 1.5 to 1.9 times the CPU at 30 fps (measured with `npm run bench:webview`).
 */
async function decodeLiveFrame(bytes: Uint8Array): Promise<ImageBitmap | undefined> {
  try {
    return await createImageBitmap(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'image/jpeg' }));
  } catch {
    return undefined; // not a decodable JPEG
  }
}

/** Draws a decoded live frame into the live canvas (and hands it to the histogram when on screen). */
function drawLiveFrame(bitmap: ImageBitmap | undefined): boolean {
  if (!liveContext || !bitmap) {
    bitmap?.close();
    return false;
  }
  let handedOver = false;
  try {
    if (liveCanvas.width !== bitmap.width || liveCanvas.height !== bitmap.height) {
      liveCanvas.width = bitmap.width;
      liveCanvas.height = bitmap.height;
    }
    liveContext.drawImage(bitmap, 0, 0);
    liveDrawn = true;
    // The histogram's worker takes the decoded frame as it is (no copy) when the frame is on screen.
    // A failure there must never lose the ack (the stream waits for it): the frame is shown anyway.
    if (Date.now() >= reviewUntil) handedOver = safely(() => review.liveFrame(bitmap), false);
  } finally {
    if (!handedOver) bitmap.close();
  }
  return true;
}

/**
 * Live frames are drawn in the order they came: the extension keeps two in flight, and a later
 * frame that decodes first must not be covered by the older one.
 */
let liveDrawOrder: Promise<void> = Promise.resolve();
/** Runs `step` after the frames before it; a step that throws must not stop the ones after it. */
function inDrawOrder(step: () => Promise<void>): void {
  liveDrawOrder = liveDrawOrder.then(step).catch((err: unknown) => console.error('live frame:', err));
}
/** Ends the base64 live frame loading into the <img> when the picture is cleared (no event would come). */
let settleLiveImage: (() => void) | undefined;

/** Shows a live frame, then acks it: the extension sends the next (newest) frame for each ack. */
function renderLiveFrame(seq: number, data: Uint8Array | string): void {
  const generation = liveGeneration;
  if (typeof data === 'string') {
    // A base64 string (only when a bench compares encodings) goes in as a data: URL, the usual way,
    // one at a time. Listeners, not onload: showing a preview meanwhile clears onload, and the frame
    // must still be acked (whichever picture loads or fails next ends it) or the stream would stall.
    inDrawOrder(
      () =>
        new Promise<void>((resolve) => {
          const controller = new AbortController();
          const done = (shown: boolean) => {
            controller.abort();
            settleLiveImage = undefined;
            if (shown && generation === liveGeneration) layoutPicture();
            send({ type: 'liveAck', seq, shown });
            resolve();
          };
          preview.addEventListener('load', () => done(true), { signal: controller.signal });
          preview.addEventListener('error', () => done(false), { signal: controller.signal });
          settleLiveImage = () => done(false);
          preview.src = `data:image/jpeg;base64,${data}`;
          showPicture('img');
          liveShown();
        }),
    );
    return;
  }
  // Decoding starts now (in parallel with the frame before); drawing waits its turn.
  const decoded = decodeLiveFrame(data);
  inDrawOrder(async () => {
    let drawn = false;
    try {
      drawn = drawLiveFrame(await decoded);
      if (drawn && generation === liveGeneration) {
        // A capture under review stays; the frame waits in the hidden canvas until the review ends.
        if (Date.now() < reviewUntil) liveWaiting = true;
        else {
          // Only when something changed: a layout per frame would cost the browser time at 30 fps.
          if (liveCanvas.hidden || liveCanvas.width !== laidOut.width || liveCanvas.height !== laidOut.height)
            showPicture('canvas');
          liveShown();
        }
      }
    } finally {
      // Always acked: the extension sends nothing more once its frames in flight go unanswered.
      send({ type: 'liveAck', seq, shown: drawn });
    }
  });
}

function renderLiveStatus(running: boolean, wanted: boolean, fps: number, dropped: number, broken: number): void {
  const badge = el('live');
  badge.hidden = !running;
  badge.textContent = `LIVE ${fps} fps · ${dropped} dropped${broken > 0 ? ` · ${broken} undecodable` : ''}`;
  el('btn-liveView').setAttribute('aria-pressed', String(running));
  // Live view turned on by the user: it takes over from a frame chosen in the strip.
  if (running && !liveReported && shown.kind === 'still') {
    review.pictureReplaced();
    endReview();
  }
  liveReported = running;
  liveState = running ? 'running' : wanted ? 'paused' : 'stopped';
  if (!running) {
    preview.onload = null;
    preview.onerror = null;
    // The last live frame stays in view: say that it no longer moves, and why.
    const frozen = wanted ? 'paused' : 'stopped';
    if (shown.kind === 'live' && shown.frozen !== frozen) setShown({ ...shown, frozen });
    if (!wanted) liveWaiting = false;
  }
}

function renderCapture(c: PanelCapture): void {
  lastCapture = c;
  el('last').hidden = false;
  const thumb = el<HTMLImageElement>('last-thumb');
  thumb.hidden = !c.thumbnailUri;
  if (c.thumbnailUri) thumb.src = c.thumbnailUri;
  const label = c.test ? `Test: ${c.name}` : `Frame ${c.frame ?? ''}: ${c.name}`;
  el('last-name').textContent = label;
  el('last').title = `${label} (${formatBytes(c.bytes)})${c.thumbnailUri ? ': click to show it large' : ''}`;
  if (c.show) showCaptureLarge(c, c.holdMs);
}

/** A frame or test capture from the strip, large until Esc; an empty uri: the file has no preview. */
function showStill(uri: string, text: string): void {
  if (!uri) {
    clearPicture(text);
    return;
  }
  endReview();
  reviewUntil = Number.POSITIVE_INFINITY; // live frames wait in the hidden canvas
  showImage(uri, () => setShown({ kind: 'still', text }));
}

/** Esc from the strip: the live picture (now, or with the next frame), else the last preview. */
function backToLive(): void {
  const waiting = liveWaiting;
  endReview();
  if (waiting || (liveDrawn && liveState !== 'stopped')) {
    showPicture('canvas');
    liveShown();
  } else if (lastPreview) {
    const at = lastPreview.at;
    showImage(lastPreview.uri, () => setShown({ kind: 'preview', at }));
  } else if (liveDrawn) {
    showPicture('canvas');
    liveShown();
  } else clearPicture('No preview yet. Press P or click Preview.');
}

const review = createReview(
  {
    send: (m) => send(m),
    showStill,
    backToLive,
    relayout: () => layoutPicture(),
    picture: () => {
      const p = visiblePicture();
      return p && { el: p.el as HTMLImageElement | HTMLCanvasElement, width: p.width, height: p.height };
    },
    view: () => view,
    saveView: (v) => {
      view = v;
      applyView();
    },
    hint: (text) => {
      hintText = text;
      renderCaption();
    },
  },
  {
    toolbar: document.querySelector<HTMLElement>('.toolbar') ?? document.body,
    stage: el('stage'),
    frame: el('frame'),
    footer: document.querySelector<HTMLElement>('footer.info') ?? document.body,
  },
);

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
      renderLiveStatus(m.running, m.wanted, m.fps, m.dropped, m.broken);
      break;
    case 'clear':
      liveDrawn = false; // the live canvas shows the old camera's picture
      clearPicture(m.message);
      break;
    case 'exposure':
      renderExposure(m.exposure);
      break;
    default:
      if (m) review.onMessage(m);
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
el('btn-grid').addEventListener('click', () => toggle('grid'));
el('btn-zoom').addEventListener('click', () => toggle('zoom'));
stage.addEventListener('dblclick', () => toggle('zoom'));
// The footer's thumbnail shows the last capture large (until live view's next frame, if it runs).
el('last').addEventListener('click', () => {
  if (lastCapture?.thumbnailUri) showCaptureLarge(lastCapture, lastCapture.holdMs);
});

const KEYS: Record<string, () => void> = {
  ' ': () => command('capture'),
  p: () => command('preview'),
  t: () => command('testCapture'),
  l: () => command('liveView'),
  b: () => command('tether'),
  g: () => toggle('grid'),
  z: () => toggle('zoom'),
  ...review.keys,
};

document.addEventListener('keydown', (e) => {
  if (e.ctrlKey || e.metaKey || e.altKey || e.repeat) return;
  const target = e.target as HTMLElement | null;
  // SPACE on a focused button already clicks it; don't capture twice.
  if (e.key === ' ' && target?.tagName === 'BUTTON') return;
  // Typing in the exposure bar's lists and boxes is not a panel shortcut.
  if (target && ['INPUT', 'SELECT', 'TEXTAREA'].includes(target.tagName)) return;
  const action = KEYS[e.key.toLowerCase()];
  if (!action) return;
  e.preventDefault();
  action();
});

applyView();
send({ type: 'ready' });
