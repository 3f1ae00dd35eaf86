/**
 * Typed camera failures. Every failure the user can see is one of these kinds, with a message that
 * says what happened and what to do; the UI maps `actions` to buttons.
 */
export type CameraErrorKind =
  | 'notFound'
  | 'busy'
  | 'inUse'
  | 'killed'
  | 'timeout'
  | 'cancelled'
  | 'io'
  | 'unsupported'
  | 'gphoto2Missing'
  | 'badOutput'
  | 'storageFull'
  | 'badSetting'
  /** A camera setting (ISO, aperture, ...) is unknown, refused by the camera, or read back different. */
  | 'cameraSetting'
  | 'failed';

/**
 * Something the user can do about an error; the UI turns each into a button. `takeOver`: take the
 * cross-window camera lock from an owner that cannot be checked (after a confirmation).
 */
export type CameraErrorAction = 'cleanup' | 'showLog' | 'openSettings' | 'useSimulator' | 'retry' | 'takeOver';

export interface CameraErrorDetails {
  /** gphoto2's own error code, e.g. -53, when it printed one. */
  gphoto2Code?: number;
  /** The last lines gphoto2 wrote to stderr, for the log and the details view. */
  stderrTail?: string;
  exitCode?: number;
  signal?: string;
  /** The setting a `badSetting` error is about, e.g. `cameraTether.outputFolder`. */
  setting?: string;
  /** The pid that holds the camera, for `inUse`. */
  ownerPid?: number;
  /** For `cameraSetting`: which setting, what was asked, what the camera allows or took. */
  cameraSetting?: CameraSettingProblem;
  cause?: unknown;
}

/**
 * `unknown`: no such setting (closeNames holds near misses); `refused`: the camera did not take the
 * value (gphoto2's reason in `cameraSaid`); `readOnly`: the camera reports it read-only (perhaps
 * because of the mode dial); `invalidValue`: refused before asking the camera (not on/off, outside
 * the range, no such choice index); `mismatch`: the camera took the write but reads back another
 * value.
 */
export interface CameraSettingProblem {
  problem: 'unknown' | 'refused' | 'readOnly' | 'invalidValue' | 'mismatch';
  /** The name, path or role as given. */
  name: string;
  /** The setting's full path, when known. */
  path?: string;
  value?: string;
  /** What the camera reports after the write. */
  readBack?: string;
  choices?: string[];
  min?: number;
  max?: number;
  closeNames?: string[];
  /** gphoto2's own words about it. */
  cameraSaid?: string[];
  /** Writes of the same run that did take effect, as read back. */
  applied?: Array<{ name: string; value: string }>;
}

const DEFAULT_ACTIONS: Record<CameraErrorKind, CameraErrorAction[]> = {
  notFound: ['useSimulator', 'retry', 'showLog'],
  busy: ['cleanup', 'retry', 'showLog'],
  inUse: ['retry', 'showLog'],
  killed: ['cleanup', 'retry', 'showLog'],
  timeout: ['cleanup', 'openSettings', 'showLog'],
  cancelled: [],
  io: ['cleanup', 'retry', 'showLog'],
  unsupported: ['showLog'],
  gphoto2Missing: ['openSettings', 'useSimulator'],
  badOutput: ['cleanup', 'showLog'],
  storageFull: ['showLog'],
  badSetting: ['openSettings'],
  cameraSetting: ['showLog'],
  failed: ['cleanup', 'showLog'],
};

export class CameraError extends Error {
  override readonly name = 'CameraError';
  readonly kind: CameraErrorKind;
  readonly details: CameraErrorDetails;
  readonly actions: readonly CameraErrorAction[];

  constructor(kind: CameraErrorKind, message: string, details: CameraErrorDetails = {}, actions?: CameraErrorAction[]) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.kind = kind;
    this.details = details;
    this.actions = actions ?? DEFAULT_ACTIONS[kind];
  }

  /** A plain, JSON-able view for command results and webview messages. */
  toJSON(): {
    kind: CameraErrorKind;
    message: string;
    actions: readonly CameraErrorAction[];
    details: Omit<CameraErrorDetails, 'cause'>;
  } {
    const { cause: _cause, ...details } = this.details;
    return { kind: this.kind, message: this.message, actions: this.actions, details };
  }
}

export function isCameraError(value: unknown): value is CameraError {
  return value instanceof CameraError;
}

export function cancelledError(what: string): CameraError {
  return new CameraError('cancelled', `${what} was cancelled.`);
}

/** Wraps anything thrown into a CameraError so callers only ever handle one type. */
export function toCameraError(value: unknown, context: string): CameraError {
  if (value instanceof CameraError) return value;
  const message = value instanceof Error ? value.message : String(value);
  const code = (value as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC') {
    return new CameraError(
      'storageFull',
      `${context}: the disk is full (${message}). Free some space or choose another output folder.`,
      { cause: value },
    );
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new CameraError(
      'io',
      `${context}: permission denied (${message}). Choose a writable output folder.`,
      { cause: value },
      ['openSettings', 'showLog'],
    );
  }
  return new CameraError('failed', `${context}: ${message}`, { cause: value });
}
