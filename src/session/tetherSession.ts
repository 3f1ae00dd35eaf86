/**
 * A tethering session: the camera manager plus the roll it captures into. This is what the commands,
 * the panel and the status bar talk to; it holds no VS Code types, so it is tested in plain Node.
 */
import { EventEmitter } from 'events';
import type { CameraLock, LockOwner, LockVerdict } from '../camera/cameraLock';
import type { ExposureSink } from '../camera/managerTypes';
import type {
  CameraManager,
  JobName,
  JobOptions,
  LiveFrame,
  LiveViewStatus,
  ManagerSettings,
  ManagerState,
  PreviewResult,
  TetherStatus,
} from '../camera/cameraManager';
import { CameraError } from '../camera/errors';
import type { CleanupReport } from '../camera/processReaper';
import type { DetectedCamera, Gphoto2Version } from '../camera/gphoto2';
import { RECOVERED_FOLDER, STAGING_FOLDER, TEST_FOLDER } from '../capture/captureStore';
import { listFrames, listRolls, type FrameEntry, type RollSummary } from '../capture/rollListing';
import type {
  CaptureStore,
  CommittedFile,
  FrameResult,
  RecoveredFolder,
  RecoveryReport,
  RollInfo,
} from '../capture/captureStore';
import { checkRollName, inside, MAX_FRAME, NamingError, type FilenamePattern } from '../capture/fileNaming';
import type { CameraSource } from '../config/settings';

export interface CameraIdentity {
  source: CameraSource;
  model?: string;
  port?: string;
}

export interface LastCapture {
  frame?: number;
  files: CommittedFile[];
  test: boolean;
  at: string;
}

export interface SessionSnapshot {
  state: ManagerState['kind'];
  /** The running job's label while busy. */
  job?: string;
  busySince?: number;
  queued: number;
  error?: { kind: string; message: string };
  roll: string;
  folder: string;
  outputFolder: string;
  nextFrame: number;
  captured: number;
  /** `model`/`port`: as chosen in the settings; `detected`: what the last detection found (see detect). */
  camera: {
    model?: string;
    port?: string;
    simulated: boolean;
    detected?: { model?: string; port?: string; count: number };
  };
  source: CameraSource;
  lastCapture?: LastCapture;
  lastPreview?: PreviewResult;
  liveView: { running: boolean; wanted: boolean };
  /** Tethered mode: `running` the listener waits for the body's shutter now; `wanted` the user turned it on. */
  tethering: { running: boolean; wanted: boolean; exposures: number };
}

export interface SessionEvents {
  changed: [SessionSnapshot];
  frameCaptured: [FrameResult];
  testCaptured: [{ files: CommittedFile[]; folder: string }];
  previewReady: [PreviewResult];
  /** A live-view frame (forwarded from the manager; many per second while live view runs). */
  liveFrame: [LiveFrame];
  /** Live view started, paused (for a capture), resumed or stopped (forwarded from the manager). */
  liveView: [LiveViewStatus];
  /** Tethered mode started, paused, resumed, stopped or failed. */
  tether: [TetherStatus];
  /** Pictures taken while tethered mode was paused, found on the card (downloaded into the roll unless `downloaded` is false). */
  foundOnCard: [{ files: string[]; downloaded: boolean }];
  /** Files a crashed window left in staging were moved to recovered/ (at open, Cleanup, or after a sweep stopped a leftover gphoto2). */
  recovered: [RecoveredFolder[]];
  /** What the session (or its store) decided on its own; same shape as the manager's log. */
  log: [{ level: 'info' | 'warn' | 'error'; message: string }];
}

/** Cleanup's report plus the folders it recovered from crashed windows' staging. */
export type SessionCleanupReport = CleanupReport & { recovered: RecoveredFolder[] };

/** What changed settings give the session (see reconfigure). */
export interface SessionSettings {
  manager: Partial<ManagerSettings>;
  outputFolder: string;
  filenamePattern: FilenamePattern;
  identity: CameraIdentity;
}

/** Who holds the cross-window camera lock and what we make of it (see inspectLock). */
export interface LockInspection {
  owner?: LockOwner;
  verdict?: LockVerdict;
  file: string;
}

export class TetherSession extends EventEmitter<SessionEvents> {
  private roll: RollInfo;
  private lastCapture: LastCapture | undefined;
  private lastPreview: PreviewResult | undefined;
  /** Every folder this session recovered, in order (a handful per session at most). */
  private readonly recoveredSoFar: RecoveredFolder[] = [];
  private readonly onState = (): void => this.emitChanged();
  private readonly onLive = (status: LiveViewStatus): void => {
    this.emit('liveView', status);
    this.emitChanged();
  };
  private readonly onLiveFrame = (frame: LiveFrame): void => void this.emit('liveFrame', frame);
  private readonly onTether = (status: TetherStatus): void => {
    this.emit('tether', status);
    this.emitChanged();
  };
  private readonly onFoundOnCard = (found: { files: string[]; downloaded: boolean }): void =>
    void this.emit('foundOnCard', found);
  // A sweep that stopped something may have ended a gphoto2 a crashed window left writing into staging.
  private readonly onSweep = (report: CleanupReport): void => {
    if (report.found.length > 0) void this.recoverOrphans();
  };
  /** What start-up recovered (the host tells the user; listeners were not attached yet). */
  recoveredAtOpen: RecoveredFolder[] = [];

  /**
   * `manager` and `store` are public for the tests; the extension's UI talks to the session only.
   * `lock` is the cross-window camera lock the manager uses (for inspectLock and takeOverLock).
   */
  private constructor(
    readonly manager: CameraManager,
    readonly store: CaptureStore,
    private identity: CameraIdentity,
    roll: RollInfo,
    private readonly lock: CameraLock | undefined,
  ) {
    super();
    this.roll = roll;
    manager.on('state', this.onState);
    manager.on('liveView', this.onLive);
    manager.on('liveFrame', this.onLiveFrame);
    manager.on('tether', this.onTether);
    manager.on('foundOnCard', this.onFoundOnCard);
    manager.on('cleanup', this.onSweep);
    store.log = (level, message) => this.emit('log', { level, message });
  }

  /** Opens the roll, and first recovers what crashed windows left in staging (see recoverOrphans). */
  static async open(
    manager: CameraManager,
    store: CaptureStore,
    identity: CameraIdentity,
    options: { log?: (entry: SessionEvents['log'][0]) => void; lock?: CameraLock } = {},
  ): Promise<TetherSession> {
    const roll = await store.openRoll(store.roll);
    const session = new TetherSession(manager, store, identity, roll, options.lock);
    // Attached before recovery, so what start-up recovered or left alone reaches the log.
    if (options.log) session.on('log', options.log);
    session.recoveredAtOpen = await session.recoverOrphans();
    if (session.recoveredAtOpen.length > 0) session.roll = await store.info();
    return session;
  }

  /**
   * Moves the files of staging folders whose window is gone (crashed or killed after gphoto2
   * downloaded, so the camera may have deleted them) to recovered/, logs what it did and left
   * alone, and emits `recovered`. Never throws: a problem is logged and the files stay in place.
   */
  async recoverOrphans(): Promise<RecoveredFolder[]> {
    let report: RecoveryReport;
    try {
      report = await this.store.recoverOrphans();
    } catch (err) {
      this.emit('log', {
        level: 'error',
        message: `Could not look for files left by a crashed window in ${this.store.stagingRoot}: ${(err as Error).message}`,
      });
      return [];
    }
    for (const r of report.recovered) {
      const parts = [
        `${r.files.length} complete file(s)`,
        ...(r.incomplete.length > 0 ? [`${r.incomplete.length} incomplete (kept, named "-incomplete")`] : []),
      ];
      this.emit('log', {
        level: 'warn',
        message: `Recovered ${parts.join(' and ')} left by a window that is gone (${r.reason}): moved from ${r.from} to ${r.folder}.`,
      });
    }
    for (const l of report.leftAlone)
      this.emit('log', { level: 'info', message: `Staging folder ${l.folder} left alone: ${l.reason}.` });
    for (const e of report.errors) this.emit('log', { level: 'error', message: e });
    this.recoveredSoFar.push(...report.recovered);
    if (report.recovered.length > 0) this.emit('recovered', report.recovered);
    return report.recovered;
  }

  setIdentity(identity: CameraIdentity): void {
    if (!sameCamera(identity, this.identity)) this.leaveCamera();
    this.identity = identity;
    this.emitChanged();
  }

  get camera(): CameraIdentity {
    return this.identity;
  }

  /** Where rolls are created (the output folder setting, resolved). */
  get outputFolder(): string {
    return this.store.output;
  }

  /** `running`: frames are flowing now; `wanted`: the user started it and has not stopped it (it may be paused for a capture). */
  get liveView(): { running: boolean; wanted: boolean } {
    return { running: this.manager.liveViewRunning, wanted: this.manager.liveViewWanted };
  }

  /** The error the last job ended in, and that job, while the session is in the error state. */
  currentError(): { error: CameraError; job: JobName } | undefined {
    const s = this.effectiveState();
    return s.kind === 'error' ? { error: s.error, job: s.job } : undefined;
  }

  /** Throws (with the reason) if `name` cannot be a new roll; returns the name as it would be used. */
  checkNewRollName(name: string): string {
    return this.store.checkNewRollName(name);
  }

  /** Applies changed settings to the manager and the store, then re-reads the roll. */
  async reconfigure(settings: SessionSettings): Promise<RollInfo> {
    this.manager.configure(settings.manager);
    this.store.configure(settings.outputFolder, settings.filenamePattern);
    this.setIdentity(settings.identity);
    return this.refreshRoll();
  }

  /** Who holds the cross-window camera lock and what we make of it, for a confirmation before takeOverLock(). */
  async inspectLock(): Promise<LockInspection> {
    return this.requireLock().inspect();
  }

  /** Takes the camera lock from `owner` (as inspectLock saw it); returns the previous owner, undefined if nothing was taken. */
  async takeOverLock(owner: LockOwner): Promise<LockOwner | undefined> {
    return this.requireLock().takeOver(owner);
  }

  private requireLock(): CameraLock {
    if (!this.lock) throw new Error('This session was opened without the camera lock.');
    return this.lock;
  }

  snapshot(): SessionSnapshot {
    const s = this.effectiveState();
    return {
      state: s.kind,
      job: s.kind === 'busy' ? s.label : undefined,
      busySince: s.kind === 'busy' ? s.since : undefined,
      queued: s.kind === 'busy' ? s.queued : 0,
      error: s.kind === 'error' ? { kind: s.error.kind, message: s.error.message } : undefined,
      roll: this.roll.roll,
      folder: this.roll.folder,
      outputFolder: this.store.output,
      nextFrame: this.roll.nextFrame,
      captured: this.roll.captured,
      camera: {
        model: this.identity.model,
        port: this.identity.port,
        simulated: this.identity.source === 'simulator',
        detected: this.detectedSummary(),
      },
      source: this.identity.source,
      lastCapture: this.lastCapture,
      lastPreview: this.lastPreview,
      liveView: this.liveView,
      tethering: this.tethering,
    };
  }

  get tethering(): { running: boolean; wanted: boolean; exposures: number } {
    const t = this.manager.tetherStatus;
    return { running: t.running, wanted: t.wanted, exposures: t.exposures };
  }

  async detect(options?: JobOptions): Promise<DetectedCamera[]> {
    const identity = this.identity;
    const cameras = await this.manager.detect(options);
    if (identity === this.identity) {
      this.detectedCameras = cameras;
      this.emitChanged();
    }
    return cameras;
  }

  async preview(options?: JobOptions): Promise<PreviewResult> {
    const result = await this.manager.preview(options);
    this.lastPreview = result;
    this.emit('previewReady', result);
    this.emitChanged();
    return result;
  }

  /** Capture into the roll; the frame number is assigned when the files are safely on disk. */
  async capture(options?: JobOptions): Promise<FrameResult> {
    // Synchronous up to the enqueue, so captures fired at once queue (and get frames) in click order.
    typed(() => this.store.checkFramesCanBeNamed());
    // The roll as last read says it is full: refuse now, with the reason from disk.
    if (this.roll.nextFrame > MAX_FRAME) await typedAsync(() => this.store.checkNextFrameFree());
    let result: FrameResult;
    try {
      result = await this.manager.capture({ job: 'capture', ...this.frameSink() }, options);
    } catch (err) {
      await this.refreshRollQuietly();
      throw err;
    }
    await this.framed(result);
    return result;
  }

  /** Where an exposure for the roll goes, from an app capture or the body's shutter. */
  private frameSink(): ExposureSink<FrameResult> {
    return {
      // Checked on disk when the job runs, before gphoto2 fires: captures queued ahead of this one
      // may have used the last frame number, or the counter file changed.
      makeStagingDir: async () => {
        typed(() => this.store.checkFramesCanBeNamed());
        await typedAsync(() => this.store.checkNextFrameFree());
        return this.store.newStagingDir();
      },
      commit: (files) => this.store.commitFrame(files),
      rescue: (files) => this.store.rescue(files),
    };
  }

  /** The files are in the roll: from here on nothing may report the capture as failed. */
  private async framed(result: FrameResult): Promise<void> {
    this.lastCapture = { frame: result.frame, files: result.files, test: false, at: new Date().toISOString() };
    try {
      this.emit('frameCaptured', result);
    } catch (err) {
      this.emit('log', {
        level: 'error',
        message: `Frame ${result.frame} was filed, but showing it failed: ${(err as Error).message}`,
      });
    }
    await this.refreshRollQuietly();
  }

  /**
   * Tethered mode on: every picture taken with the body's shutter (or a cable release) lands in the
   * roll with the next frame number, like an app capture. Live view stops first. Resolves once the
   * camera is listened to.
   */
  startTethering(options?: JobOptions): Promise<void> {
    const sink = this.frameSink();
    return this.manager.startTethering(
      {
        makeStagingDir: () => this.store.newStagingDir(),
        commit: async (files) => {
          // A body exposure must never be refused: when the roll cannot name it, it is kept in recovered/.
          await typedAsync(() => this.store.checkNextFrameFree());
          const result = await sink.commit(files);
          await this.framed(result);
          return result;
        },
        rescue: sink.rescue,
      },
      options,
    );
  }

  stopTethering(): Promise<void> {
    return this.manager.stopTethering();
  }

  private async refreshRollQuietly(): Promise<void> {
    try {
      await this.refreshRoll();
    } catch (err) {
      this.emit('log', {
        level: 'warn',
        message: `Could not re-read roll "${this.store.roll}": ${(err as Error).message}`,
      });
    }
  }

  /** Capture into the test folder; the roll and its counter stay as they are. */
  async testCapture(options?: JobOptions): Promise<{ files: CommittedFile[]; folder: string }> {
    const result = await this.manager.capture(
      {
        job: 'testCapture',
        makeStagingDir: () => this.store.newStagingDir(),
        commit: (files) => this.store.commitTest(files),
        rescue: (files) => this.store.rescue(files),
      },
      options,
    );
    this.lastCapture = { files: result.files, test: true, at: new Date().toISOString() };
    this.emit('testCaptured', result);
    this.emitChanged();
    return result;
  }

  startLiveView(options?: JobOptions): Promise<void> {
    return this.manager.startLiveView(options);
  }

  stopLiveView(): Promise<void> {
    return this.manager.stopLiveView();
  }

  /** Stops stray camera processes, then recovers what crashed windows left in staging. */
  async cleanup(options?: JobOptions): Promise<SessionCleanupReport> {
    // The sweep itself may start a recovery (it stopped a stray gphoto2): count that one too. A
    // position in the session's list, not a listener per call: many cleanups may be queued at once.
    const from = this.recoveredSoFar.length;
    const report = await this.manager.cleanup(options);
    await this.recoverOrphans();
    return { ...report, recovered: this.recoveredSoFar.slice(from) };
  }

  async newRoll(name: string): Promise<RollInfo> {
    this.roll = await this.store.openRoll(this.store.checkNewRollName(name));
    this.emitChanged();
    return this.roll;
  }

  async setNextFrame(n: number): Promise<number> {
    await this.store.setNextFrame(n);
    await this.refreshRoll();
    return this.roll.nextFrame;
  }

  /** Re-reads the roll from disk (after captures, or when files changed outside). */
  async refreshRoll(): Promise<RollInfo> {
    this.roll = await this.store.info();
    this.emitChanged();
    return this.roll;
  }

  dispose(): void {
    this.manager.off('state', this.onState);
    this.manager.off('liveView', this.onLive);
    this.manager.off('liveFrame', this.onLiveFrame);
    this.manager.off('tether', this.onTether);
    this.manager.off('foundOnCard', this.onFoundOnCard);
    this.manager.off('cleanup', this.onSweep);
    this.store.log = () => undefined;
    this.removeAllListeners();
  }

  /** Detaches (see dispose), then stops the manager: the running gphoto2 is stopped and the camera lock released. */
  async close(): Promise<void> {
    this.dispose();
    await this.manager.dispose();
  }

  private emitChanged(): void {
    this.emit('changed', this.snapshot());
  }

  // --- What the Rolls view, the panel and the status bar add: listing, the detected camera, settled errors ---

  /** What the last detection for the current camera settings found; undefined until one ran. */
  private detectedCameras: DetectedCamera[] | undefined;
  /** The error of a camera or source the user has since left: shown nowhere any more. */
  private settledError: CameraError | undefined;

  /** True once a detection ran for the current camera settings (the UI detects once to learn the model). */
  get cameraDetected(): boolean {
    return this.detectedCameras !== undefined;
  }

  /** The rolls in the output folder, newest change first; the current roll is always among them. */
  listRolls(): Promise<RollSummary[]> {
    return listRolls(this.store.output, this.store.filenamePattern, this.roll.roll, {
      names: [TEST_FOLDER, RECOVERED_FOLDER, STAGING_FOLDER],
    });
  }

  /** A roll's exposures, highest frame first (the roll name is checked: it cannot leave the output folder). */
  async listFrames(roll: string): Promise<FrameEntry[]> {
    return listFrames(inside(this.store.output, checkRollName(roll)), roll, this.store.filenamePattern);
  }

  /** `gphoto2 --version` of the program in use (the simulator answers for itself): is gphoto2 installed? */
  gphoto2Version(options?: JobOptions): Promise<Gphoto2Version> {
    return this.manager.version(options);
  }

  /**
   * Another camera or source: what was detected belonged to the old one, and so does its error
   * (after "Use Simulated Camera" the real camera's failure is no longer the camera's state).
   */
  private leaveCamera(): void {
    this.detectedCameras = undefined;
    const s = this.manager.state;
    if (s.kind === 'error') this.settledError = s.error;
  }

  private effectiveState(): ManagerState {
    const s = this.manager.state;
    return s.kind === 'error' && s.error === this.settledError ? { kind: 'idle' } : s;
  }

  private detectedSummary(): SessionSnapshot['camera']['detected'] {
    const d = this.detectedCameras;
    return d && { model: d[0]?.model, port: d[0]?.port, count: d.length };
  }
}

function sameCamera(a: CameraIdentity, b: CameraIdentity): boolean {
  return a.source === b.source && a.model === b.model && a.port === b.port;
}

/** The store's "cannot name the next frame" as a typed error (no cleanup needed: the camera is fine). */
function asCameraError(err: unknown): unknown {
  return err instanceof NamingError
    ? new CameraError('badSetting', err.message, { setting: err.setting }, err.setting ? ['openSettings'] : [])
    : err;
}

function typed(check: () => void): void {
  try {
    check();
  } catch (err) {
    throw asCameraError(err);
  }
}

async function typedAsync(check: () => Promise<void>): Promise<void> {
  try {
    await check();
  } catch (err) {
    throw asCameraError(err);
  }
}
