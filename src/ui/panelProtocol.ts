/**
 * The messages between the extension and the preview panel's script, used by both sides (the
 * webview script is bundled from media/panel.ts and imports this file). Everything arriving from the
 * webview is checked here before the extension acts on it: unknown or malformed messages are dropped.
 */

export type PanelCommand = 'preview' | 'capture' | 'testCapture' | 'cleanup' | 'liveView' | 'tether';
export const PANEL_COMMANDS: readonly PanelCommand[] = [
  'preview',
  'capture',
  'testCapture',
  'cleanup',
  'liveView',
  'tether',
];

export type PanelErrorAction = 'cleanup' | 'showLog' | 'openSettings' | 'useSimulator' | 'retry' | 'takeOver';
/** The button label of each error action, the same in notifications and in the panel's banner. */
export const ERROR_ACTION_LABELS: Readonly<Record<PanelErrorAction, string>> = {
  cleanup: 'Run Cleanup',
  showLog: 'Show Log',
  openSettings: 'Open Settings',
  useSimulator: 'Use Simulated Camera',
  retry: 'Try Again',
  takeOver: 'Take Over…',
};
const ERROR_ACTIONS = Object.keys(ERROR_ACTION_LABELS) as PanelErrorAction[];

export interface PanelState {
  state: 'idle' | 'busy' | 'error' | 'live' | 'tethering';
  job?: string;
  busySince?: number;
  queued: number;
  roll: string;
  nextFrame: number;
  captured: number;
  /** The camera as the panel names it: the model (chosen or detected) and port, or what is known instead. */
  camera: string;
  /** False while no model is known ("not detected yet", "no camera found"): shown dimmed. */
  cameraKnown: boolean;
  simulated: boolean;
  outputFolder: string;
  /** Tethered mode is on (`listening`: the listener waits for the body's shutter right now). */
  tethered: boolean;
  listening: boolean;
}

export interface PanelCapture {
  /** Numbers the captures sent to this page; `displayed` reports it back. */
  seq: number;
  name: string;
  bytes: number;
  frame?: number;
  test: boolean;
  /** A webview URI of the capture's JPEG (thumbnail, and the large view); absent for RAW-only captures. */
  thumbnailUri?: string;
  /** Show it large in the picture area (auto-review), not only as the footer's thumbnail. */
  show: boolean;
  /** While live view runs: how long the capture stays before the live picture takes over again, in ms. */
  holdMs: number;
}

export interface PanelError {
  kind: string;
  message: string;
  actions: PanelErrorAction[];
}

export type HostMessage =
  | { type: 'state'; state: PanelState }
  | { type: 'preview'; seq: number; uri: string; bytes: number; durationMs: number }
  | { type: 'capture'; capture: PanelCapture }
  | { type: 'error'; error: PanelError | undefined }
  /** The picture belongs to a camera that is no longer used (source switched): show `message` instead. */
  | { type: 'clear'; message: string }
  /**
   * A live-view JPEG: bytes as a typed array (the default; crosses postMessage without a base64 round
   * trip), or a base64 string (kept so `npm run bench:webview` can measure one against the other).
   */
  | { type: 'liveFrame'; seq: number; data: Uint8Array | string }
  | {
      type: 'liveStatus';
      running: boolean;
      /** The user wants live view on: not running then means paused for a job, not stopped. */
      wanted: boolean;
      fps: number;
      dropped: number;
      delivered: number;
      broken: number;
    };

export type WebviewMessage =
  | { type: 'ready' }
  | { type: 'command'; command: PanelCommand }
  /** A preview (or, with `what: 'capture'`, a capture) was decoded and is shown; its natural size. */
  | { type: 'displayed'; seq: number; width: number; height: number; what?: 'preview' | 'capture' }
  | { type: 'errorAction'; action: PanelErrorAction }
  /** The webview is done with live frame `seq`: shown, or not decodable (shown false). */
  | { type: 'liveAck'; seq: number; shown: boolean };

export type LiveFrameEncoding = 'typed' | 'base64';

/** The environment variable the webview bench sets to compare encodings; anything else means typed. */
export const LIVE_FRAME_ENCODING_ENV = 'CAMERA_TETHER_LIVE_FRAME_ENCODING';

export function liveFrameEncoding(env: Readonly<Record<string, string | undefined>>): LiveFrameEncoding {
  return env[LIVE_FRAME_ENCODING_ENV] === 'base64' ? 'base64' : 'typed';
}

/** What the panel's script keeps through a reload (vscode.setState) and the serializer restores. */
export interface PanelViewState {
  zoom: 'fit' | '100';
  invert: boolean;
  grid: boolean;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Returns the message if it is one the extension understands, else undefined (never throws). */
export function parseWebviewMessage(value: unknown): WebviewMessage | undefined {
  if (!isRecord(value) || typeof value.type !== 'string') return undefined;
  switch (value.type) {
    case 'ready':
      return Object.keys(value).length === 1 ? { type: 'ready' } : undefined;
    case 'command':
      return typeof value.command === 'string' && (PANEL_COMMANDS as readonly string[]).includes(value.command)
        ? { type: 'command', command: value.command as PanelCommand }
        : undefined;
    case 'displayed':
      if (!isCount(value.seq) || !isCount(value.width) || !isCount(value.height)) return undefined;
      if (value.what === 'capture')
        return { type: 'displayed', seq: value.seq, width: value.width, height: value.height, what: 'capture' };
      return value.what === undefined || value.what === 'preview'
        ? { type: 'displayed', seq: value.seq, width: value.width, height: value.height }
        : undefined;
    case 'liveAck':
      return isCount(value.seq) && typeof value.shown === 'boolean' && Object.keys(value).length === 3
        ? { type: 'liveAck', seq: value.seq, shown: value.shown }
        : undefined;
    case 'errorAction':
      return typeof value.action === 'string' && (ERROR_ACTIONS as readonly string[]).includes(value.action)
        ? { type: 'errorAction', action: value.action as PanelErrorAction }
        : undefined;
    default:
      return undefined;
  }
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < 1e9;
}

export function parseViewState(value: unknown): PanelViewState {
  const v = isRecord(value) ? value : {};
  return { zoom: v.zoom === '100' ? '100' : 'fit', invert: v.invert === true, grid: v.grid === true };
}
