/** The camera manager's settings, states and events, shared by the queue, the jobs and the holders. */
import type { CameraError } from './errors';
import type * as gp from './gphoto2';
import type { Gphoto2Program } from './gphoto2Program';
import type { DownloadedFile } from './downloadedFiles';
import type { CameraSetting, LockCheck, LockedExposure } from './config';

/** What the exposure lock found in a capture's run (or in the run that corrected it). */
export interface ExposureLockEvent {
  job: 'capture' | 'testCapture' | 'correction';
  check: LockCheck;
  /** What the capture's sink made of the files (the session's frame), once they are committed. */
  result?: unknown;
}

export type HolderKind = 'liveView' | 'tether';

export type JobName =
  'detect' | 'summary' | 'version' | 'preview' | 'capture' | 'testCapture' | 'cleanup' | 'settings' | HolderKind;

export type ManagerState =
  | { kind: 'idle' }
  /** Live view holds the camera (frames flowing) and no job runs. */
  | { kind: 'live'; since: number }
  /** The tether listener holds the camera, waiting for the body's shutter, and no job runs. */
  | { kind: 'tethering'; since: number }
  | { kind: 'busy'; job: JobName; label: string; since: number; queued: number }
  | { kind: 'error'; job: JobName; error: CameraError };

export type CleanupMode = 'whenNeeded' | 'beforeEveryJob';

export interface ManagerTimeouts {
  /** detect, summary, version. */
  commandMs: number;
  previewMs: number;
  captureMs: number;
  cleanupTermMs: number;
  cleanupKillMs: number;
}

export interface ManagerSettings {
  program: Gphoto2Program;
  selection: gp.CameraSelection;
  timeouts: ManagerTimeouts;
  /** Time a child gets to exit after SIGTERM/SIGINT before SIGKILL. */
  graceMs: number;
  /** How long gphoto2 may keep running after its files are complete and quiet before it is stopped. */
  lingerMs: number;
  cleanupMode: CleanupMode;
  /** Process names cleanup stops (the program's own name is always added). */
  cleanupNames: readonly string[];
  settleMs: number;
  keepOnCamera: boolean;
  /** Where preview frames are kept (the newest few). */
  previewDir: string;
  /** Live view frames per second at most (0 = the camera's own pace). */
  liveViewMaxFps: number;
}

export interface JobOptions {
  signal?: AbortSignal;
}

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';
export interface LogEntry {
  level: LogLevel;
  message: string;
}

export interface PreviewResult {
  path: string;
  bytes: number;
  durationMs: number;
}

/** Where the files of one exposure go: staged, verified, then committed (or rescued on failure). */
export interface ExposureSink<T> {
  /**
   * Makes an empty folder on the same file system as the destination, private to this capture.
   * Called only when the job runs, so a capture cancelled while queued leaves nothing behind.
   */
  makeStagingDir: () => Promise<string>;
  /**
   * Moves the verified files to their final names. It runs while the camera is held, so frame
   * numbers are assigned one exposure at a time, in order.
   */
  commit: (files: DownloadedFile[]) => Promise<T>;
  /**
   * Keeps complete files when the capture fails after they arrived (the camera may have deleted them
   * from its card already). Returns where they went.
   */
  rescue?: (files: DownloadedFile[]) => Promise<string>;
}

export interface CaptureRequest<T> extends ExposureSink<T> {
  job: 'capture' | 'testCapture';
  /**
   * The roll's locked exposure, asked for when the capture's turn comes (so captures still queue in
   * click order), then written and read back in the capture's own gphoto2 run. `read` reads the
   * camera's settings inside the capture's job, for planning the writes.
   */
  exposureLock?: (read: () => Promise<CameraSetting[]>) => Promise<LockedExposure | undefined>;
}

export interface LiveFrame {
  seq: number;
  data: Buffer;
  /** Date.now() when the frame was complete on our side. */
  receivedAt: number;
}

export interface LiveViewStatus {
  running: boolean;
  /** Frames received from the camera since live view started. */
  frames: number;
  /** Frames skipped to respect liveViewMaxFps. */
  capped: number;
  /** Frames the splitter had to drop (truncated). */
  truncated: number;
  error?: CameraError;
}

export interface TetherStatus {
  /** The listener is waiting for the body's shutter right now. */
  running: boolean;
  /** The user turned tethered mode on (it may be paused for a job). */
  wanted: boolean;
  /** Exposures downloaded from the body since tethered mode was turned on. */
  exposures: number;
  error?: CameraError;
}

/** What holds the camera between jobs, for the UI ("live view" or "tethered"). */
export interface HolderStatus {
  active: HolderKind | undefined;
  wanted: HolderKind | undefined;
}
