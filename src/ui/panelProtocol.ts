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
    }
  /** The current roll's filmstrip and test strip (every frame, thumbnails as far as made), and the roll's view. */
  | { type: 'filmstrip'; strip: PanelStrip }
  /** A thumbnail asked for with `thumbnails` is made (`uri` absent: that file has no preview). */
  | { type: 'thumbnail'; strip: StripName; key: string; uri?: string };

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
  | { type: 'exposureAction'; action: ExposureAction }
  /** Make the thumbnails of these strip items (the ones scrolled into view). */
  | { type: 'thumbnails'; strip: StripName; keys: string[] }
  /** Reshoot or reject a frame from the filmstrip (runs the same commands as the palette). */
  | { type: 'frameAction'; action: FrameAction; frame: number }
  /** The user changed how this roll is looked at (negative mode, film base, rotation, mirror). */
  | { type: 'rollView'; roll: string; view: RollView };

export type StripName = 'frames' | 'tests';
export type FrameAction = 'reshoot' | 'reject';

/** One picture in a strip: a frame of the roll (key: its number) or a test capture (key: its name). */
export interface PanelStripItem {
  key: string;
  /** Frame number (absent for test captures). */
  frame?: number;
  /** What the strip prints under the thumbnail: the film-edge label, or the test capture's time. */
  label: string;
  /** The file names, for the tooltip and for files without a preview. */
  name: string;
  note?: string;
  /** Webview URI of the cached thumbnail, when made already. */
  thumbnailUri?: string;
  /** Webview URI of the picture shown large (the JPEG; a RAW-only frame shows its thumbnail). */
  imageUri?: string;
  /** The file has no preview the thumbnailer can read: the strip shows its name. */
  none: boolean;
}

export interface PanelStrip {
  roll: string;
  frames: PanelStripItem[];
  tests: PanelStripItem[];
  /** The frame the next capture re-takes, if a reshoot waits. */
  reshoot?: number;
  view: RollView;
}

/** How the film is shown: a slide as it is, a B&W negative inverted, a colour negative with its orange mask removed then inverted. */
export type NegativeMode = 'slide' | 'bw' | 'colour';
export const NEGATIVE_MODES: readonly NegativeMode[] = ['slide', 'bw', 'colour'];

/** The view of a roll the panel remembers per roll (the files are never changed). */
export interface RollView {
  negative: NegativeMode;
  /** The film base (rebate) colour picked for colour negatives, 0..255 per channel. */
  base?: [number, number, number];
  rotate: 0 | 90 | 180 | 270;
  mirror: boolean;
}
export const DEFAULT_ROLL_VIEW: RollView = { negative: 'slide', rotate: 0, mirror: false };

const STRIP_KEY = /^[A-Za-z0-9._-]{1,80}$/;
/** At most this many thumbnails per request (the strip asks for what is in view). */
export const MAX_THUMBNAIL_REQUEST = 200;

/** A roll view from anywhere (the webview, stored state): anything malformed falls back to the defaults. */
export function parseRollView(value: unknown): RollView {
  const v = isRecord(value) ? value : {};
  const negative = (NEGATIVE_MODES as readonly unknown[]).includes(v.negative) ? (v.negative as NegativeMode) : 'slide';
  const rotate = v.rotate === 90 || v.rotate === 180 || v.rotate === 270 ? v.rotate : 0;
  const base =
    Array.isArray(v.base) &&
    v.base.length === 3 &&
    v.base.every((c) => typeof c === 'number' && Number.isFinite(c) && c >= 1 && c <= 255)
      ? ([v.base[0], v.base[1], v.base[2]] as [number, number, number])
      : undefined;
  return { negative, ...(base ? { base } : {}), rotate, mirror: v.mirror === true };
}

export type LiveFrameEncoding = 'typed' | 'base64';

/** The environment variable the webview bench sets to compare encodings; anything else means typed. */
export const LIVE_FRAME_ENCODING_ENV = 'CAMERA_TETHER_LIVE_FRAME_ENCODING';

export function liveFrameEncoding(env: Readonly<Record<string, string | undefined>>): LiveFrameEncoding {
  return env[LIVE_FRAME_ENCODING_ENV] === 'base64' ? 'base64' : 'typed';
}

/** What the panel's script keeps through a reload (vscode.setState) and the serializer restores. */
export interface PanelViewState {
  zoom: 'fit' | '100';
  grid: boolean;
  /** The histogram (H) and the clipping overlay (C) are shown. */
  histogram: boolean;
  clipping: boolean;
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
    case 'thumbnails':
      return (value.strip === 'frames' || value.strip === 'tests') &&
        Array.isArray(value.keys) &&
        value.keys.length <= MAX_THUMBNAIL_REQUEST &&
        value.keys.every((k) => typeof k === 'string' && STRIP_KEY.test(k))
        ? { type: 'thumbnails', strip: value.strip, keys: value.keys as string[] }
        : undefined;
    case 'frameAction':
      return (value.action === 'reshoot' || value.action === 'reject') && isCount(value.frame) && value.frame > 0
        ? { type: 'frameAction', action: value.action, frame: value.frame }
        : undefined;
    case 'rollView':
      return typeof value.roll === 'string' && value.roll.length <= 255 && isRecord(value.view)
        ? { type: 'rollView', roll: value.roll, view: parseRollView(value.view) }
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
  return {
    zoom: v.zoom === '100' ? '100' : 'fit',
    grid: v.grid === true,
    histogram: v.histogram === true,
    clipping: v.clipping === true,
  };
}
