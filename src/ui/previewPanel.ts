/**
 * The preview panel: the latest preview or capture large (auto-review), live view, the roll and
 * counter, the last capture, the camera and the manager's state, with buttons and keys. A webview with a strict CSP (nothing but its own
 * nonce'd script, its CSS, and images from the folders it must show), typed messages both ways, a
 * ready handshake, and a serializer so it comes back after a restart.
 */
import * as crypto from 'crypto';
import * as path from 'path';
import * as vscode from 'vscode';
import { parsePanelSettings, SECTION, type PanelSettings } from '../config/settings';
import type { SessionSnapshot, TetherSession } from '../session/tetherSession';
import { isJpegName } from '../camera/downloadedFiles';
import {
  liveFrameEncoding,
  parseWebviewMessage,
  type HostMessage,
  type LiveFrameEncoding,
  type PanelCommand,
  type PanelState,
} from './panelProtocol';
import { LiveViewPump } from '../session/liveViewPump';
import type { JobName, LiveFrame, LiveViewStatus } from '../camera/cameraManager';
import type { ErrorPresenter } from './errorPresenter';
import type { CameraError } from '../camera/errors';
import { cameraLabel } from './cameraLabel';
import { runExposureMessage } from './exposureBar';
import { panelExposure } from './exposureBarModel';
import { FilmstripFeed } from './filmstripFeed';

export const VIEW_TYPE = 'cameraTether.preview';

interface CapturedFile {
  path: string;
  name: string;
  bytes: number;
}

interface ShownCapture {
  files: CapturedFile[];
  frame: number | undefined;
  test: boolean;
}

/**
 * `cameraTether.panel.*`, read on each capture. A wrong value falls back to the defaults here; the
 * settings check names it (parseSettings reads the same keys).
 */
export function panelSettings(): PanelSettings {
  const config = vscode.workspace.getConfiguration(SECTION);
  try {
    return parsePanelSettings((key) => config.get<unknown>(key));
  } catch {
    return parsePanelSettings(() => undefined);
  }
}

/** Which camera the picture came from: a different one means the picture is cleared. */
function cameraKey(s: SessionSnapshot): string {
  return JSON.stringify([s.source, s.camera.model ?? '', s.camera.port ?? '']);
}

/** The command the banner's "Try Again" runs for a failed job; none for jobs users do not start. */
export const RETRY_COMMANDS: Readonly<Record<JobName, string | undefined>> = {
  detect: 'cameraTether.detectCamera',
  summary: undefined,
  version: undefined,
  preview: 'cameraTether.preview',
  capture: 'cameraTether.capture',
  testCapture: 'cameraTether.testCapture',
  cleanup: 'cameraTether.cleanup',
  settings: 'cameraTether.cameraSettings',
  liveView: 'cameraTether.startLiveView',
  tether: 'cameraTether.startTethering',
};

export class PreviewPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private ready = false;
  private readonly queue: HostMessage[] = [];
  private previewSeq = 0;
  private lastPreview: { seq: number; path: string } | undefined;
  private lastCapture: ShownCapture | undefined;
  private captureSeq = 0;
  /** The seq the last capture was sent with (the webview reports it back when displayed). */
  private lastCaptureSeq = 0;
  /** What the picture area was last given: a reopened page shows the same. */
  private lastPicture: 'preview' | 'capture' | undefined;
  private shownCamera: string;
  private displayed: { seq: number; path: string; width: number; height: number } | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly onDisplayedEmitter = new vscode.EventEmitter<{ path: string; width: number; height: number }>();
  readonly onDisplayed = this.onDisplayedEmitter.event;
  /** Live frames to the webview: two in flight, newest first. */
  readonly pump = new LiveViewPump((frame) => this.sendFrame(frame));
  private statusTimer: NodeJS.Timeout | undefined;
  /** Chosen when a stream starts (see LIVE_FRAME_ENCODING_ENV); typed arrays unless a bench asks. */
  private frameEncoding: LiveFrameEncoding = 'typed';
  /** The pump's counters when the user started live view (the pump's own counters never reset). */
  private liveBaseline: { dropped: number; delivered: number; broken: number } | undefined;
  /** The filmstrip: the roll's frames and test captures, thumbnails on demand, reshoot/reject, the roll's view. */
  private readonly filmstrip: FilmstripFeed;

  get liveFrameEncoding(): LiveFrameEncoding {
    return this.frameEncoding;
  }

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly session: TetherSession,
    private readonly previewDir: string,
    private readonly presenter: ErrorPresenter,
    private readonly log: vscode.LogOutputChannel,
    /** Where each roll's view (negative mode, rotation...) is kept: the workspace state. */
    rollViews?: vscode.Memento,
  ) {
    this.shownCamera = cameraKey(session.snapshot());
    const panelOf = () => this.panel;
    const isReady = () => this.ready;
    this.filmstrip = new FilmstripFeed(
      session,
      {
        uri: (file) => panelOf()?.webview.asWebviewUri(vscode.Uri.file(file)).toString(),
        post: (m) => this.post(m),
        get live() {
          return panelOf() !== undefined && isReady();
        },
      },
      rollViews,
      log,
    );
    this.disposables.push(this.filmstrip);
    const onChanged = (s: SessionSnapshot) => {
      this.post({ type: 'state', state: toPanelState(s) });
      this.postExposure();
      this.post(this.errorMessage());
      if (cameraKey(s) !== this.shownCamera) this.cameraChanged(s);
    };
    const onPreview = (p: { path: string; bytes: number; durationMs: number }) =>
      this.showPreview(p.path, p.bytes, p.durationMs);
    const frameListener = (r: { frame: number; files: CapturedFile[] }) =>
      this.showCapture({ files: r.files, frame: r.frame, test: false }, panelSettings().showCaptures);
    const testListener = (r: { files: CapturedFile[] }) =>
      this.showCapture({ files: r.files, frame: undefined, test: true }, panelSettings().showCaptures);
    const onLiveFrame = (f: LiveFrame) => {
      if (this.panel && this.ready) this.pump.offer(f);
    };
    const onLiveStatus = (s: LiveViewStatus) => {
      if (!s.running) this.pump.reset();
      else this.frameEncoding = liveFrameEncoding(process.env);
      // The badge counts from the user's Start, across the pauses for captures, until their Stop.
      if (s.running && !this.liveBaseline) this.liveBaseline = this.pump.stats();
      if (!s.running && !this.session.liveView.wanted) this.liveBaseline = undefined;
      this.postLiveStatus(s.running);
      if (s.running) this.lastPicture = undefined; // the live picture replaces whatever was shown
      if (s.running && !this.statusTimer)
        this.statusTimer = setInterval(() => this.postLiveStatus(this.session.liveView.running), 1000);
      if (!s.running && !this.session.liveView.wanted && this.statusTimer) {
        clearInterval(this.statusTimer);
        this.statusTimer = undefined;
      }
    };
    session.on('liveFrame', onLiveFrame);
    session.on('liveView', onLiveStatus);
    session.on('changed', onChanged);
    session.on('previewReady', onPreview);
    session.on('frameCaptured', frameListener);
    session.on('testCaptured', testListener);
    this.disposables.push(
      { dispose: () => session.off('changed', onChanged) },
      { dispose: () => session.off('liveFrame', onLiveFrame) },
      { dispose: () => session.off('liveView', onLiveStatus) },
      { dispose: () => this.statusTimer && clearInterval(this.statusTimer) },
      { dispose: () => session.off('previewReady', onPreview) },
      { dispose: () => session.off('frameCaptured', frameListener) },
      { dispose: () => session.off('testCaptured', testListener) },
      this.onDisplayedEmitter,
      vscode.window.registerWebviewPanelSerializer(VIEW_TYPE, {
        deserializeWebviewPanel: async (panel) => this.adopt(panel),
      }),
    );
  }

  get isOpen(): boolean {
    return this.panel !== undefined;
  }

  /** What the webview last reported as displayed (for getState and the tests). */
  get lastDisplayed(): { path: string; width: number; height: number } | undefined {
    return this.displayed && { path: this.displayed.path, width: this.displayed.width, height: this.displayed.height };
  }

  /** The capture the panel was last sent (frame and file names), for getState and the tests. */
  get shownCapture(): { frame?: number; names: string[]; test: boolean } | undefined {
    const c = this.lastCapture;
    return c && { frame: c.frame, names: c.files.map((f) => f.name), test: c.test };
  }

  /** The panel is in view and its banner shows this error: a notification would only repeat it (and outlive it). */
  showsError(error: CameraError): boolean {
    return this.panel?.visible === true && this.ready && this.session.currentError()?.error === error;
  }

  show(): void {
    if (this.panel) {
      this.panel.reveal(undefined, true);
      return;
    }
    const panel = vscode.window.createWebviewPanel(
      VIEW_TYPE,
      'Camera',
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false },
      this.webviewOptions(),
    );
    this.adopt(panel);
  }

  /** Refreshes the folders the webview may load images from (after the output folder changed). */
  refreshRoots(): void {
    if (this.panel) this.panel.webview.options = this.webviewOptions();
  }

  private webviewOptions(): vscode.WebviewOptions & vscode.WebviewPanelOptions {
    return {
      enableScripts: true,
      retainContextWhenHidden: true,
      localResourceRoots: [
        vscode.Uri.joinPath(this.extensionUri, 'media'),
        vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview'),
        vscode.Uri.file(this.previewDir),
        vscode.Uri.file(this.session.outputFolder),
      ],
    };
  }

  private adopt(panel: vscode.WebviewPanel): void {
    this.panel = panel;
    this.ready = false;
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'camera.svg');
    panel.webview.options = this.webviewOptions();
    panel.webview.html = this.html(panel.webview);
    this.detectOnce();
    const subs = [
      panel.webview.onDidReceiveMessage((m: unknown) => this.receive(m)),
      panel.onDidDispose(() => {
        for (const s of subs) s.dispose();
        if (this.panel === panel) {
          this.panel = undefined;
          this.ready = false;
          this.queue.length = 0;
          this.pump.reset();
          // Nobody is watching: closing the panel stops live view (and frees the camera).
          if (this.session.liveView.wanted) void this.session.stopLiveView();
        }
      }),
    ];
  }

  /**
   * Detects the camera once per camera setting while the panel is open, so it can name the model
   * (gphoto2 otherwise uses "the first camera it finds" without saying which). A failure shows in
   * the banner like any other (gphoto2 missing, for instance), which is what a newcomer needs to see.
   */
  private detectOnce(): void {
    if (!this.panel || this.session.cameraDetected || this.session.camera.model || this.detecting) return;
    this.detecting = true;
    const camera = cameraKey(this.session.snapshot());
    const stillThisCamera = () => cameraKey(this.session.snapshot()) === camera;
    void this.session
      .detect()
      .then(async (cameras) => {
        // A camera answered: fill the exposure bar (one gphoto2 run for every setting).
        if (cameras.length > 0 && this.panel && stillThisCamera() && this.session.lastCameraSettings === undefined)
          await this.session.cameraSettings();
      })
      .catch((err: unknown) => this.log.info(`Detecting the camera for the panel: ${(err as Error).message}`))
      .finally(() => {
        this.detecting = false;
        // The user switched cameras while this one was being detected: detect the new one now.
        if (!stillThisCamera()) this.detectOnce();
      });
  }
  private detecting = false;

  /** Another source or camera: its predecessor's picture must not pass for this camera's. */
  private cameraChanged(s: SessionSnapshot): void {
    this.shownCamera = cameraKey(s);
    this.lastPreview = undefined;
    this.lastPicture = undefined;
    this.displayed = undefined;
    const label = cameraLabel(s.camera);
    const which = s.camera.simulated ? 'the simulated camera' : label.known ? label.name : 'the real camera (gphoto2)';
    this.post({ type: 'clear', message: `Switched to ${which}. Press P for a preview or Space to capture.` });
    this.detectOnce();
  }

  private errorMessage(): HostMessage {
    const current = this.session.currentError();
    if (!current) return { type: 'error', error: undefined };
    const actions = this.presenter.actionsFor(current.error, RETRY_COMMANDS[current.job] !== undefined);
    return { type: 'error', error: { kind: current.error.kind, message: current.error.message, actions } };
  }

  /** `show`: large in the picture area (a fresh capture, with auto-review on), not only in the footer. */
  private showCapture(capture: ShownCapture, show: boolean): void {
    const { files, frame, test } = capture;
    const jpeg = files.find((f) => isJpegName(f.name));
    if (!files[0]) return;
    if (this.lastCapture !== capture) this.lastCaptureSeq = ++this.captureSeq;
    this.lastCapture = capture;
    if (show) this.lastPicture = 'capture';
    const settings = panelSettings();
    this.post({
      type: 'capture',
      capture: {
        seq: this.lastCaptureSeq,
        show,
        holdMs: settings.reviewMs,
        name: files.map((f) => f.name).join(' + '),
        bytes: files.reduce((n, f) => n + f.bytes, 0),
        frame,
        test,
        thumbnailUri:
          jpeg && this.panel ? this.panel.webview.asWebviewUri(vscode.Uri.file(jpeg.path)).toString() : undefined,
      },
    });
  }

  private showPreview(file: string, bytes: number, durationMs: number): void {
    const seq = ++this.previewSeq;
    this.lastPreview = { seq, path: file };
    this.lastPicture = 'preview';
    if (!this.panel) return;
    this.post({
      type: 'preview',
      seq,
      uri: this.panel.webview.asWebviewUri(vscode.Uri.file(file)).toString(),
      bytes,
      durationMs: Math.round(durationMs),
    });
  }

  private sendFrame(frame: LiveFrame): void {
    if (!this.panel) return;
    const data =
      this.frameEncoding === 'base64'
        ? frame.data.toString('base64')
        : new Uint8Array(frame.data.buffer, frame.data.byteOffset, frame.data.byteLength);
    void this.panel.webview.postMessage({ type: 'liveFrame', seq: frame.seq, data } satisfies HostMessage);
  }

  private postLiveStatus(running: boolean): void {
    const s = this.pump.stats();
    const from = this.liveBaseline ?? { dropped: 0, delivered: 0, broken: 0 };
    this.post({
      type: 'liveStatus',
      running,
      wanted: this.session.liveView.wanted,
      fps: s.fps,
      dropped: s.dropped - from.dropped,
      delivered: s.delivered - from.delivered,
      broken: s.broken - from.broken,
    });
  }

  /** The exposure bar, when it changed (settings read or written, the roll's lock) or `always`. */
  private postExposure(always = false): void {
    const exposure = panelExposure(this.session.lastCameraSettings, this.session.snapshot().exposureLock);
    const json = JSON.stringify(exposure);
    if (!always && json === this.exposureJson) return;
    this.exposureJson = json;
    this.post({ type: 'exposure', exposure });
  }
  private exposureJson = '';

  private post(message: HostMessage): void {
    if (!this.panel) return;
    if (!this.ready) {
      // Keep only the newest message of each type until the script says it is ready.
      const i = this.queue.findIndex((m) => m.type === message.type);
      if (i >= 0) this.queue.splice(i, 1);
      this.queue.push(message);
      return;
    }
    void this.panel.webview.postMessage(message);
  }

  private receive(raw: unknown): void {
    const message = parseWebviewMessage(raw);
    if (!message) {
      this.log.warn(`Preview panel: ignored a message of unknown type or shape: ${safeJson(raw)}`);
      return;
    }
    switch (message.type) {
      case 'ready': {
        // A fresh page (opened, reopened, or restored after a restart) gets everything it shows.
        this.ready = true;
        // Frames sent to the old page will never be acked: without this the stream would stall.
        this.pump.reset();
        const s = this.session.snapshot();
        const pending = this.queue.splice(0);
        this.post({ type: 'state', state: toPanelState(s) });
        this.post(this.errorMessage());
        this.postExposure(true);
        for (const m of pending) if (m.type !== 'state' && m.type !== 'error' && m.type !== 'capture') this.post(m);
        const picture = this.lastPicture;
        if (this.lastPreview && !pending.some((m) => m.type === 'preview') && s.lastPreview)
          this.showPreview(s.lastPreview.path, s.lastPreview.bytes, s.lastPreview.durationMs);
        if (this.lastCapture) this.showCapture(this.lastCapture, picture === 'capture');
        this.lastPicture = picture;
        void this.filmstrip.refresh();
        return;
      }
      case 'thumbnails':
        void this.filmstrip.thumbnails(message.strip, message.keys);
        return;
      case 'frameAction':
        void this.filmstrip.frameAction(message.action, message.frame);
        return;
      case 'rollView':
        void this.filmstrip.setView(message.roll, message.view);
        return;
      case 'command':
        void this.run(message.command);
        return;
      case 'setSetting':
      case 'exposureAction':
        void runExposureMessage(message, this.session);
        return;
      case 'liveAck':
        this.pump.ack(message.seq, message.shown);
        return;
      case 'displayed': {
        const file =
          message.what === 'capture'
            ? message.seq === this.lastCaptureSeq
              ? (this.lastCapture?.files.find((f) => isJpegName(f.name))?.path ?? undefined)
              : undefined
            : this.lastPreview && this.lastPreview.seq === message.seq
              ? this.lastPreview.path
              : undefined;
        if (!file) return;
        this.displayed = { seq: message.seq, path: file, width: message.width, height: message.height };
        this.onDisplayedEmitter.fire({ path: file, width: message.width, height: message.height });
        return;
      }
      case 'errorAction': {
        const current = this.session.currentError();
        if (!current) return;
        const retryCommand = RETRY_COMMANDS[current.job];
        if (!this.presenter.actionsFor(current.error, retryCommand !== undefined).includes(message.action)) {
          this.log.warn(`Preview panel: ignored the action "${message.action}", which this error does not offer.`);
          return;
        }
        void this.presenter.run(
          message.action,
          current.error,
          retryCommand ? () => vscode.commands.executeCommand(retryCommand) : undefined,
        );
        return;
      }
    }
  }

  private async run(command: PanelCommand): Promise<void> {
    const id =
      command === 'liveView'
        ? 'cameraTether.toggleLiveView'
        : command === 'tether'
          ? 'cameraTether.toggleTethering'
          : `cameraTether.${command}`;
    // The command shows its own errors; the panel's banner follows the session state.
    await vscode.commands.executeCommand(id).then(undefined, () => undefined);
  }

  private html(webview: vscode.Webview): string {
    const nonce = crypto.randomBytes(18).toString('base64');
    const script = webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview', 'panel.js'));
    const css = webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'media', 'panel.css'));
    const reviewCss = webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'media', 'review.css'));
    const csp = [
      `default-src 'none'`,
      `img-src ${webview.cspSource} blob: data:`,
      `style-src ${webview.cspSource}`,
      `script-src 'nonce-${nonce}'`,
      `font-src ${webview.cspSource}`,
      // The picture analysis runs in a Worker made from a blob (see media/histogram.ts), and reads a
      // still picture by fetching its webview URI (the canvas of an <img> from there is not readable).
      `worker-src blob:`,
      `connect-src ${webview.cspSource}`,
    ].join('; ');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${css}">
<link rel="stylesheet" href="${reviewCss}">
<title>Camera</title>
</head>
<body>
<header class="toolbar" role="toolbar" aria-label="Camera actions">
  <span class="group" role="group" aria-label="Camera">
  <button id="btn-preview" data-command="preview" title="Preview (P)" aria-keyshortcuts="P">Preview</button>
  <button id="btn-liveView" data-command="liveView" class="toggle" aria-pressed="false" title="Live view on/off (L)" aria-keyshortcuts="L">Live view</button>
  <button id="btn-tether" data-command="tether" class="toggle" aria-pressed="false" title="Tethered mode on/off: pictures taken with the camera's own shutter land in the roll (B)" aria-keyshortcuts="B">Tethered</button>
  <button id="btn-capture" data-command="capture" class="primary" title="Capture (Space)" aria-keyshortcuts="Space">Capture</button>
  <button id="btn-testCapture" data-command="testCapture" title="Test capture, counter unchanged (T)" aria-keyshortcuts="T">Test capture</button>
  <button id="btn-cleanup" data-command="cleanup" title="Stop stray camera processes">Cleanup</button>
  </span>
  <span class="group view" role="group" aria-label="View">
  <button id="btn-grid" class="toggle" aria-pressed="false" title="Grid overlay (G)" aria-keyshortcuts="G">Grid</button>
  <button id="btn-zoom" class="toggle" aria-pressed="false" title="Zoom to 100 % / fit (Z or double-click)">100 %</button>
  </span>
</header>
<section id="exposure" class="exposure" aria-label="Camera exposure">
  <span id="exposure-controls" class="controls"></span>
  <span id="exposure-empty" class="muted">Camera settings not read yet.</span>
  <span class="group" role="group" aria-label="Exposure">
  <button id="btn-exposure-read" title="Read the camera's settings (one gphoto2 run)">Read settings</button>
  <button id="btn-exposure-lock" class="toggle" aria-pressed="false">Lock exposure</button>
  <button id="btn-exposure-all" title="Every camera setting, by section (Camera: Camera Settings...)">All settings…</button>
  </span>
  <div id="exposure-lock" class="lock-line" role="status" aria-live="polite" hidden></div>
</section>
<div id="error" class="error" role="alert" hidden>
  <span id="error-text"></span>
  <span id="error-actions"></span>
</div>
<main id="stage" class="stage fit" tabindex="0" aria-label="Preview image">
  <div id="caption" class="caption" role="status" aria-live="polite" hidden></div>
  <div id="placeholder" class="placeholder">No preview yet. Press P or click Preview.</div>
  <div id="frame" class="frame" hidden><img id="preview" class="picture" alt="Latest camera preview"><canvas id="live-frame" class="picture" role="img" aria-label="Live view" hidden></canvas><div id="grid" class="grid" hidden></div></div>
</main>
<footer class="info">
  <section class="roll" aria-label="Roll"><span class="label">Roll</span> <span id="roll" class="shrink"></span> · <span class="label">Next frame</span> <strong id="next-frame"></strong> · <span id="captured"></span></section>
  <button id="last" class="last" aria-label="Last capture: show it large" hidden><img id="last-thumb" alt="Last capture thumbnail"><span id="last-name" class="shrink"></span></button>
  <section class="camera" aria-label="Camera"><span class="label">Camera</span> <span id="camera" class="shrink"></span> <span id="sim" class="badge" hidden>simulated</span></section>
  <section class="fixed"><span id="live" class="badge live" hidden></span></section>
  <section class="fixed"><span id="status" role="status" aria-live="polite">Idle</span></section>
</footer>
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
  }

  dispose(): void {
    this.panel?.dispose();
    if (this.statusTimer) clearInterval(this.statusTimer);
    for (const d of this.disposables) d.dispose();
  }
}

function toPanelState(s: SessionSnapshot): PanelState {
  return {
    state: s.state,
    job: s.job,
    busySince: s.busySince,
    queued: s.queued,
    roll: s.roll,
    nextFrame: s.nextFrame,
    captured: s.captured,
    ...cameraText(s),
    simulated: s.camera.simulated,
    outputFolder: path.basename(s.outputFolder),
    tethered: s.tethering.wanted,
    listening: s.tethering.running,
  };
}

function cameraText(s: SessionSnapshot): { camera: string; cameraKnown: boolean } {
  const label = cameraLabel(s.camera);
  return { camera: `${label.name}${label.port ? ` on ${label.port}` : ''}`, cameraKnown: label.known };
}

function safeJson(value: unknown): string {
  try {
    const text = JSON.stringify(value);
    return text === undefined ? String(value) : text.length > 200 ? `${text.slice(0, 200)}…` : text;
  } catch {
    return String(value);
  }
}
