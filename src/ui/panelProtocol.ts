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

/** One exposure control of the panel (issue 11), whatever the camera calls the setting. */
export interface PanelControl {
  /** The photographer's name for it: iso, shutter, aperture, ... (see SettingRole). */
  role: string;
  /** The camera's setting path: what a change names. */
  path: string;
  /** The short title the panel shows ("ISO", "Shutter"). */
  title: string;
  /** The camera's own label and name, for the tooltip ("F-Number (f-number)"). */
  cameraName: string;
  value: string;
  /** The value as a photographer reads it ("1/60" for a Nikon's "0.0166s"). */
  valueText: string;
  /** choice: a list (RADIO, MENU); number: a range; toggle; text; info: shown, never changed (battery). */
  kind: 'choice' | 'number' | 'toggle' | 'text' | 'info';
  choices?: string[];
  /** The choices as a photographer reads them, position for position. */
  choiceTexts?: string[];
  min?: number;
  max?: number;
  step?: number;
  /** Why it cannot be changed now (read-only, the mode dial, the roll's lock); absent: it can. */
  disabled?: string;
}

export interface PanelExposure {
  /** The camera's settings have been read (else the panel offers to read them). */
  loaded: boolean;
  controls: PanelControl[];
  /** The roll's locked exposure, when the roll has one. */
  lock?: {
    /** "ISO 100 · 1/125 · f/8 · 0 · Daylight" */
    summary: string;
    title: string;
    /** The last check of the lock failed: what to tell the photographer. */
    problem?: string;
  };
}

/** What the panel's exposure bar can ask for besides a change of one setting. */
export type ExposureAction = 'read' | 'lock' | 'unlock' | 'all';
const EXPOSURE_ACTIONS: readonly ExposureAction[] = ['read', 'lock', 'unlock', 'all'];

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
  /** The exposure bar: the camera's controls and the roll's lock. */
  | { type: 'exposure'; exposure: PanelExposure }
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
  | { type: 'liveAck'; seq: number; shown: boolean }
  /** Set one camera setting: by position in its choices (`index`), or a value (ranges, text, toggles). */
  | { type: 'setSetting'; path: string; value?: string; index?: number }
  | { type: 'exposureAction'; action: ExposureAction };

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
    case 'setSetting':
      return parseSetSetting(value);
    case 'exposureAction':
      return typeof value.action === 'string' &&
        (EXPOSURE_ACTIONS as readonly string[]).includes(value.action) &&
        Object.keys(value).length === 2
        ? { type: 'exposureAction', action: value.action as ExposureAction }
        : undefined;
    default:
      return undefined;
  }
}

const SETTING_PATH = /^(\/[A-Za-z0-9][A-Za-z0-9_.-]*){1,8}$/;

function parseSetSetting(value: Record<string, unknown>): WebviewMessage | undefined {
  if (typeof value.path !== 'string' || value.path.length > 200 || !SETTING_PATH.test(value.path)) return undefined;
  const keys = Object.keys(value).length;
  if (keys !== 3) return undefined;
  if (isCount(value.index)) return { type: 'setSetting', path: value.path, index: value.index };
  // A value goes on gphoto2's command line (as one argument): short, one line, no control characters.
  if (typeof value.value === 'string' && value.value.length <= 200 && !/\p{Cc}/u.test(value.value))
    return { type: 'setSetting', path: value.path, value: value.value };
  return undefined;
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < 1e9;
}

export function parseViewState(value: unknown): PanelViewState {
  const v = isRecord(value) ? value : {};
  return { zoom: v.zoom === '100' ? '100' : 'fit', invert: v.invert === true, grid: v.grid === true };
}
