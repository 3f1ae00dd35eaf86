/**
 * A tethering session: the camera manager plus the roll it captures into. This is what the commands,
 * the panel and the status bar talk to; it holds no VS Code types, so it is tested in plain Node.
 */
import { EventEmitter } from 'events';
import * as path from 'path';
import type { CameraLock, LockOwner, LockVerdict } from '../camera/cameraLock';
import type { ExposureLockEvent, ExposureSink } from '../camera/managerTypes';
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
import { modeDial, type CameraSetting, type LockCheck, type SettingWrite, type WriteResult } from '../camera/config';
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
import { frameLabel, RollDetailsError, type RollDetails } from '../capture/rollDetails';
import { RollEditError, scanTestCaptures, type SidecarReport } from '../capture/rollReview';
import { frameTag, ThumbnailService } from '../capture/thumbnails';
import { RollExposureLock, type ExposureLockView } from './rollExposureLock';
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
  /** The exposure the current roll is locked to, and its last check; absent when the roll is not locked. */
  exposureLock?: ExposureLockView;
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
  /** The current roll's frames changed other than by a capture: a reject, restore, reshoot, new details or note. */
  framesChanged: [{ roll: string; frames?: number[] }];
  /**
   * The roll's locked exposure did not read back as locked in a capture's run (`frame`: the frame
   * it may be wrong in), or a correction before the next capture set it right again.
   */
  exposureLock: [ExposureLockNews];
  /** What the session (or its store) decided on its own; same shape as the manager's log. */
  log: [{ level: 'info' | 'warn' | 'error'; message: string }];
}

/** A check of the roll's locked exposure, for the UI (see the `exposureLock` event). */
export interface ExposureLockNews {
  job: 'capture' | 'testCapture' | 'correction' | 'tethering';
  ok: boolean;
  frame?: number;
  mismatches: Array<{ name: string; locked: string; readBack?: string }>;
  /** What went wrong, when it did. */
  message?: string;
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
  /** The last settings read (or written) from this camera: what writes are planned with. */
  private settingsCache: CameraSetting[] | undefined;
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
  private readonly onExposureLock = (e: ExposureLockEvent): void =>
    this.lockChecked(e.job, e.check, isFrameResult(e.result) ? e.result.frame : undefined);
  /** The roll's locked exposure (issue 11). */
  private readonly exposure: RollExposureLock;
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
    this.exposure = new RollExposureLock(store, {
      last: () => this.settingsCache,
      remember: (settings) => {
        this.settingsCache = settings;
      },
    });
    manager.on('state', this.onState);
    manager.on('liveView', this.onLive);
    manager.on('liveFrame', this.onLiveFrame);
    manager.on('tether', this.onTether);
    manager.on('exposureLock', this.onExposureLock);
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
    await session.exposure.refresh();
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
      ...(this.exposure.current ? { exposureLock: this.exposure.current } : {}),
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
      result = await this.manager.capture(
        { job: 'capture', ...this.frameSink(), exposureLock: (read) => this.exposure.forCapture(read) },
        options,
      );
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
   * camera is listened to. A roll with a locked exposure has it written and verified first (the
   * body's own exposures cannot carry it in their run); tethered mode does not start when it fails.
   */
  async startTethering(options?: JobOptions): Promise<void> {
    await this.applyLockForTethering(options);
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

  private async applyLockForTethering(options?: JobOptions): Promise<void> {
    const locked = await this.exposure.forCapture(() => this.manager.readSettings(options));
    if (!locked || locked.length === 0) return;
    const check = await this.manager.applyExposureLock(locked, options);
    this.lockChecked('tethering', check);
    if (!check.ok)
      throw new CameraError(
        'cameraSetting',
        `Tethered mode was not started: the roll's locked exposure did not stay set. ${check.error?.message ?? ''} Set the camera to manual (M), or unlock the exposure (Camera: Unlock Exposure).`,
        check.error?.details ?? {},
      );
  }

  /**
   * Locks the roll's exposure to the camera's current ISO, shutter speed, aperture, compensation and
   * white balance (read now, one gphoto2 run): every later capture of the roll sets and verifies
   * them in its own run. `skipped`: exposure settings the camera does not let us set now.
   */
  async lockExposure(options?: JobOptions): Promise<{
    roll: string;
    lock: ExposureLockView;
    skipped: Array<{ name: string; label: string; reason: string }>;
  }> {
    const settings = await this.cameraSettings(options);
    const camera = this.identity.model ?? this.detectedCameras?.[0]?.model;
    const { view, skipped } = await this.exposure.lock(settings, camera);
    this.emitChanged();
    return {
      roll: this.store.roll,
      lock: view,
      skipped: skipped.map((s) => ({
        name: s.name,
        label: s.label,
        reason: s.disabledReason ?? (s.value === '' ? 'the camera reports no value' : 'read-only'),
      })),
    };
  }

  private lockChecked(job: ExposureLockNews['job'], check: LockCheck, frame?: number): void {
    // A failed check means the camera no longer takes the locked values as planned (the dial moved?):
    // the next capture plans its writes from a fresh read, and refuses if they cannot be made.
    if (!check.ok) this.settingsCache = undefined;
    this.exposure.checked(job, check);
    this.emit('exposureLock', {
      job,
      ok: check.ok,
      ...(frame !== undefined ? { frame } : {}),
      mismatches: this.exposure.current?.lastCheck?.mismatches ?? [],
      ...(check.error ? { message: check.error.message } : {}),
    });
    this.emitChanged();
  }

  /** Captures of the roll are taken at whatever the camera is set to again. */
  async unlockExposure(): Promise<{ roll: string; wasLocked: boolean }> {
    const was = (await this.store.exposureLock()).lock !== undefined;
    await this.exposure.unlock();
    this.emitChanged();
    return { roll: this.store.roll, wasLocked: was };
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
        exposureLock: (read) => this.exposure.forCapture(read),
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
    await this.exposure.refresh();
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
    await this.exposure.refresh();
    this.emitChanged();
    return this.roll;
  }

  dispose(): void {
    this.manager.off('state', this.onState);
    this.manager.off('liveView', this.onLive);
    this.manager.off('liveFrame', this.onLiveFrame);
    this.manager.off('tether', this.onTether);
    this.manager.off('exposureLock', this.onExposureLock);
    this.manager.off('foundOnCard', this.onFoundOnCard);
    this.manager.off('cleanup', this.onSweep);
    this.store.log = () => undefined;
    this.removeAllListeners();
  }

  /**
   * Detaches (see dispose), then stops the manager (the running gphoto2 is stopped and the camera
   * lock released) and ends the thumbnail workers.
   */
  async close(): Promise<void> {
    this.dispose();
    await Promise.all([this.manager.dispose(), this.thumbnailService?.dispose()]);
  }

  private emitChanged(): void {
    this.emit('changed', this.snapshot());
  }

  // ---- Review (issue 13): the roll's frames and thumbnails for the filmstrip, reject / restore /
  // reshoot, roll details and frame notes (carried to every capture as XMP sidecars). ----

  private thumbnailService: ThumbnailService | undefined;

  /** Thumbnails are made in worker threads (dist/thumbnailWorker.js beside the extension bundle). */
  private get thumbnails(): ThumbnailService {
    this.thumbnailService ??= new ThumbnailService();
    return this.thumbnailService;
  }

  /**
   * Every frame of the current roll in capture order, cheaply (one readdir of the roll and of its
   * thumbnail cache, one stat per frame: a 1,000-frame roll lists in milliseconds). Thumbnails that
   * are not made yet have no `thumbnail`; ask for them with frameThumbnail(), a few at a time as
   * they scroll into view.
   */
  async listFrames(): Promise<RollFrames> {
    const store = this.store;
    const folder = store.rollFolder;
    const [files, state, rejected] = await Promise.all([store.frameFiles(), store.rollState(), store.rejectedFrames()]);
    const thumbs = await this.thumbnails.list(
      folder,
      new Map([...files].map(([n, f]) => [frameTag(n), f.images] as const)),
    );
    const frames: ReviewFrame[] = [];
    for (const n of [...files.keys()].sort((a, b) => a - b)) {
      const f = files.get(n);
      if (!f || f.images.length === 0) continue;
      const note = state.frames.get(n);
      const t = thumbs.get(frameTag(n));
      frames.push({
        frame: n,
        label: frameLabel(n, state.details, note),
        ...(note?.note !== undefined ? { note: note.note } : {}),
        files: f.images.map((name) => path.join(folder, name)),
        sidecars: f.sidecars.map((name) => path.join(folder, name)),
        ...(t?.path ? { thumbnail: t.path } : {}),
        noThumbnail: t?.none ?? true,
      });
    }
    return {
      roll: store.roll,
      folder,
      frames,
      rejected: rejected.map((r) => ({
        frame: r.frame,
        folder: r.path,
        files: r.files.map((n) => path.join(r.path, n)),
      })),
      ...(state.reshoot !== undefined ? { reshoot: state.reshoot } : {}),
      thumbnailFolder: this.thumbnails.cacheFolder(folder),
    };
  }

  /** Frame `n`'s thumbnail (made now if needed, in a worker thread): its path, or undefined when its file has no preview. */
  async frameThumbnail(n: number): Promise<string | undefined> {
    const f = (await this.store.frameFiles()).get(n);
    if (!f || f.images.length === 0)
      throw new CameraError('failed', `Roll "${this.store.roll}" has no frame ${n}.`, {}, []);
    return this.thumbnails.thumbnail(this.store.rollFolder, frameTag(n), f.images);
  }

  /**
   * Thumbnails of several frames (the ones scrolled into view) with one look at the roll: each is
   * reported to `onReady` as soon as it is made (undefined: that file has no preview), in worker
   * threads at the service's concurrency limit. Frames not in the roll are skipped.
   */
  async frameThumbnails(
    frames: readonly number[],
    onReady?: (frame: number, thumbnail: string | undefined) => void,
  ): Promise<Map<number, string | undefined>> {
    const files = await this.store.frameFiles();
    const folder = this.store.rollFolder;
    const out = new Map<number, string | undefined>();
    await Promise.all(
      frames.map(async (n) => {
        const images = files.get(n)?.images;
        if (!images || images.length === 0) return;
        const t = await this.thumbnails.thumbnail(folder, frameTag(n), images).catch((err: unknown) => {
          this.emit('log', { level: 'warn', message: `No thumbnail for frame ${n}: ${(err as Error).message}` });
          return undefined;
        });
        out.set(n, t);
        onReady?.(n, t);
      }),
    );
    return out;
  }

  /** The test captures (their own strip), oldest first, with cached thumbnails. */
  async listTestCaptures(): Promise<{ folder: string; captures: ReviewTestCapture[]; thumbnailFolder: string }> {
    const folder = this.store.testFolder;
    const groups = await scanTestCaptures(folder);
    const thumbs = await this.thumbnails.list(folder, new Map(groups.map((g) => [g.stem, g.images] as const)));
    return {
      folder,
      captures: groups.map((g) => {
        const t = thumbs.get(g.stem);
        return {
          name: g.stem,
          files: g.images.map((n) => path.join(folder, n)),
          ...(t?.path ? { thumbnail: t.path } : {}),
          noThumbnail: t?.none ?? true,
        };
      }),
      thumbnailFolder: this.thumbnails.cacheFolder(folder),
    };
  }

  /** A test capture's thumbnail by its name (see listTestCaptures). */
  async testCaptureThumbnail(name: string): Promise<string | undefined> {
    const g = (await scanTestCaptures(this.store.testFolder)).find((x) => x.stem === name);
    if (!g) throw new CameraError('failed', `There is no test capture named "${name}".`, {}, []);
    return this.thumbnails.thumbnail(this.store.testFolder, g.stem, g.images);
  }

  async getRollDetails(): Promise<{ roll: string; details: RollDetails }> {
    return { roll: this.store.roll, details: await this.store.rollDetails() };
  }

  /** Merges `patch` ({ filmStock?, filmIso?, format?, ... }; null or "" removes a field) and rewrites the roll's sidecars. */
  async setRollDetails(patch: unknown): Promise<{ roll: string; details: RollDetails; sidecars: SidecarReport }> {
    const r = await review(() => this.store.setRollDetails(patch));
    this.emit('framesChanged', { roll: this.store.roll });
    return { roll: this.store.roll, ...r };
  }

  async setFrameNote(
    frame: number,
    change: { note?: unknown; label?: unknown },
  ): Promise<{ roll: string; frame: number; note?: string; label: string; sidecars: SidecarReport }> {
    const r = await review(() => this.store.setFrameNote(frame, change));
    const details = await this.store.rollDetails();
    this.emit('framesChanged', { roll: this.store.roll, frames: [frame] });
    return {
      roll: this.store.roll,
      frame,
      ...(r.note.note !== undefined ? { note: r.note.note } : {}),
      label: frameLabel(frame, details, r.note),
      sidecars: r.sidecars,
    };
  }

  /** Moves frame `n`'s files to the roll's rejected/frame-NNNN.K/ (never deleted, never replacing a file). */
  async rejectFrame(
    n: number,
  ): Promise<{ roll: string; frame: number; folder: string; files: string[]; nextFrame: number }> {
    const r = await review(() => this.store.rejectFrame(n));
    await this.refreshRollQuietly();
    this.emit('framesChanged', { roll: this.store.roll, frames: [n] });
    return { roll: this.store.roll, ...r, nextFrame: this.roll.nextFrame };
  }

  /** The next capture takes frame `n`'s number; its old files move to rejected/ now. */
  async reshootFrame(n: number): Promise<{
    roll: string;
    frame: number;
    rejected?: { folder: string; files: string[] };
    replaced?: number;
    nextFrame: number;
  }> {
    const r = await review(() => this.store.reshootFrame(n));
    await this.refreshRollQuietly();
    this.emit('framesChanged', { roll: this.store.roll, frames: [n] });
    return {
      roll: this.store.roll,
      frame: n,
      ...(r.rejected ? { rejected: { folder: r.rejected.folder, files: r.rejected.files } } : {}),
      ...(r.replaced !== undefined ? { replaced: r.replaced } : {}),
      nextFrame: this.roll.nextFrame,
    };
  }

  /** Brings frame `n` back from rejected/ (its latest reject, or the one in `folder`); cancels a reshoot waiting for it. */
  async unrejectFrame(
    n: number,
    folder?: string,
  ): Promise<{ roll: string; frame: number; files: string[]; nextFrame: number }> {
    const r = await review(() => this.store.unrejectFrame(n, folder === undefined ? undefined : path.basename(folder)));
    await this.refreshRollQuietly();
    this.emit('framesChanged', { roll: this.store.roll, frames: [n] });
    return { roll: this.store.roll, frame: n, files: r.files, nextFrame: this.roll.nextFrame };
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
  async listRollFrames(roll: string): Promise<FrameEntry[]> {
    return listFrames(inside(this.store.output, checkRollName(roll)), roll, this.store.filenamePattern);
  }

  /** Every setting the camera reports (one gphoto2 run); kept to plan the next writes with. */
  async cameraSettings(options?: JobOptions): Promise<CameraSetting[]> {
    const identity = this.identity;
    const settings = await this.manager.readSettings(options);
    if (identity === this.identity) {
      this.settingsCache = settings;
      this.emitChanged();
    }
    return settings;
  }

  /** The settings of the last read, if this camera was read since it was chosen. */
  get lastCameraSettings(): readonly CameraSetting[] | undefined {
    return this.settingsCache;
  }

  /**
   * Writes settings (by name, path or role) in one gphoto2 run and resolves with what the camera
   * read back; rejects with a `cameraSetting` CameraError (the setting, the value, what is allowed).
   * After a refusal the cache is dropped: the camera may have changed mode.
   */
  async setCameraSettings(writes: SettingWrite | readonly SettingWrite[], options?: JobOptions): Promise<WriteResult> {
    const identity = this.identity;
    try {
      const result = await this.manager.writeSettings(writes, this.settingsCache, options);
      if (identity === this.identity) {
        this.settingsCache = result.settings;
        this.emitChanged();
        // The mode dial decides which other settings may be changed: read them all again.
        const dial = modeDial(result.settings);
        if (dial && result.applied.some((a) => a.path === dial.path)) await this.cameraSettings(options);
      }
      return result;
    } catch (err) {
      if (identity === this.identity) {
        this.settingsCache = undefined;
        this.emitChanged();
      }
      throw err;
    }
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
    this.settingsCache = undefined;
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

export interface ReviewFrame {
  frame: number;
  /** The film-edge label: the frame's own, else derived from the roll's firstFrameLabel, else the number. */
  label: string;
  note?: string;
  /** The frame's images, absolute (RAW+JPEG share a number; a re-used number adds `_2` names). */
  files: string[];
  sidecars: string[];
  /** The cached thumbnail (absolute), when made. */
  thumbnail?: string;
  /** True when the frame's file has no preview to show (the filmstrip shows its name instead). */
  noThumbnail: boolean;
}

export interface ReviewTestCapture {
  /** The name stem (`test-2026-11-30-101112`). */
  name: string;
  files: string[];
  thumbnail?: string;
  noThumbnail: boolean;
}

export interface RollFrames {
  roll: string;
  folder: string;
  frames: ReviewFrame[];
  /** Rejected frames, each reject in its own folder (rejected/frame-0005.1, frame-0005.2...). */
  rejected: { frame: number; folder: string; files: string[] }[];
  /** The frame the next capture re-takes, if a reshoot is waiting. */
  reshoot?: number;
  /** Where the roll's thumbnails are cached (inside the roll folder). */
  thumbnailFolder: string;
}

/** The store's "that cannot be done to the roll" as a typed error without camera actions (nothing to clean up). */
async function review<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof RollDetailsError || err instanceof RollEditError)
      throw new CameraError('failed', err.message, { cause: err }, []);
    throw err;
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

function isFrameResult(x: unknown): x is FrameResult {
  return typeof x === 'object' && x !== null && typeof (x as { frame?: unknown }).frame === 'number';
}
