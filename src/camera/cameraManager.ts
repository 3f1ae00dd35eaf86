/**
 * The camera manager owns the camera. Every job (detect, summary, preview, capture, cleanup) goes
 * through one queue, so exactly one gphoto2 child exists at any instant in this extension host, and
 * a lock file keeps other extension hosts out while it works. Between jobs a holder may keep the
 * camera: live view, or the tether listener that downloads what the body's shutter takes. This
 * class wires the queue, the jobs and the holders together and is the API the session uses.
 */
import { EventEmitter } from 'events';
import type { CameraLock } from './cameraLock';
import * as gp from './gphoto2';
import { Gphoto2Launcher } from './gphoto2Launcher';
import { LiveViewHolder } from './holders/liveViewHolder';
import { TetherListener } from './holders/tetherListener';
import { JobQueue } from './jobQueue';
import { captureJob, captureLabel } from './jobs/captureJob';
import { previewJob } from './jobs/previewJob';
import { detectJob, summaryJob, versionJob } from './jobs/queryJobs';
import { applyLockJob, readSettingsJob, writeSettingsJob } from './jobs/settingsJobs';
import type { CameraSetting, LockCheck, LockedExposure, SettingWrite, WriteResult } from './config';
import type {
  CaptureRequest,
  ExposureLockEvent,
  ExposureSink,
  HolderStatus,
  JobOptions,
  LiveFrame,
  LiveViewStatus,
  LogEntry,
  LogLevel,
  ManagerSettings,
  ManagerState,
  PreviewResult,
  TetherStatus,
} from './managerTypes';
import type { CleanupReport, ProcessReaper } from './processReaper';
import type { ProcessRunner } from './processRunner';

export type * from './managerTypes';

export interface ManagerEvents {
  liveFrame: [LiveFrame];
  liveView: [LiveViewStatus];
  tether: [TetherStatus];
  /** Pictures taken while tethered mode was paused, found on the card (and downloaded, unless `downloaded` is false). */
  foundOnCard: [{ files: string[]; downloaded: boolean }];
  state: [ManagerState];
  log: [LogEntry];
  cleanup: [CleanupReport];
  /** A capture's exposure lock check (and the correction run after a mismatch). */
  exposureLock: [ExposureLockEvent];
}

export interface ManagerDeps {
  runner: ProcessRunner;
  reaper: ProcessReaper;
  lock: CameraLock;
}

export class CameraManager extends EventEmitter<ManagerEvents> {
  private settings: ManagerSettings;
  private readonly queue: JobQueue;
  private readonly live: LiveViewHolder;
  private readonly tether: TetherListener;
  /** Where body exposures go while tethered (set by startTethering). */
  private tetherSink: ExposureSink<unknown> | undefined;
  /** Files the last exposure produced (RAW+JPEG: 2): what the next one waits for. */
  private lastCaptureFiles: number | undefined;
  private readonly reaper: ProcessReaper;
  /** The last capture's lock check failed: the locked values are written again before the next frame. */
  private lockNeedsCorrection = false;

  constructor(deps: ManagerDeps, settings: ManagerSettings) {
    super();
    this.reaper = deps.reaper;
    this.settings = settings;
    const log = (level: LogLevel, message: string): void => void this.emit('log', { level, message });
    this.live = new LiveViewHolder(
      {
        frame: (frame) => this.emit('liveFrame', frame),
        status: (status) => this.emit('liveView', status),
        failed: (holder, error) => this.queue.holderFailed(holder, error),
        log,
      },
      () => this.settings.liveViewMaxFps,
    );
    this.tether = new TetherListener(
      {
        status: (status) => this.emit('tether', status),
        failed: (holder, error) => this.queue.holderFailed(holder, error),
        foundOnCard: (found) => this.emit('foundOnCard', found),
        log,
      },
      {
        sink: () => this.tetherSink,
        expectedFiles: () => this.lastCaptureFiles,
        learnedFiles: (n) => (this.lastCaptureFiles = n),
      },
    );
    this.queue = new JobQueue(
      {
        ...deps,
        settings: () => this.settings,
        onState: (state) => this.emit('state', state),
        onCleanup: (report) => this.emit('cleanup', report),
        log,
      },
      [this.live, this.tether],
    );
    this.queue.useLauncher(
      new Gphoto2Launcher({
        runner: deps.runner,
        settings: () => this.settings,
        sweep: (reason) => this.queue.sweep(reason),
        log,
      }),
    );
    this.applyCleanupSettings();
  }

  get state(): ManagerState {
    return this.queue.state;
  }

  get simulated(): boolean {
    return this.settings.program.simulated;
  }

  configure(update: Partial<ManagerSettings>): void {
    const programChanged = update.program !== undefined && update.program.command !== this.settings.program.command;
    const cameraChanged =
      update.selection !== undefined &&
      (update.selection.model !== this.settings.selection.model ||
        update.selection.port !== this.settings.selection.port);
    this.settings = { ...this.settings, ...update };
    this.applyCleanupSettings();
    if (programChanged) this.queue.requestCleanup();
    if (programChanged || cameraChanged) this.lastCaptureFiles = undefined;
  }

  detect(options: JobOptions = {}): Promise<gp.DetectedCamera[]> {
    return this.queue.enqueue('detect', 'Detecting cameras', options, detectJob);
  }

  summary(options: JobOptions = {}): Promise<string> {
    return this.queue.enqueue('summary', 'Reading camera summary', options, summaryJob);
  }

  version(options: JobOptions = {}): Promise<gp.Gphoto2Version> {
    return this.queue.enqueue('version', 'Checking gphoto2', options, versionJob);
  }

  preview(options: JobOptions = {}): Promise<PreviewResult> {
    return this.queue.enqueue('preview', 'Preview', options, previewJob, { sweepAfter: true });
  }

  /**
   * Capture one exposure and download every file it produced (RAW+JPEG gives two). While tethered
   * mode listens, the listener takes it (SIGUSR1) without letting the camera go.
   */
  capture<T>(request: CaptureRequest<T>, options: JobOptions = {}): Promise<T> {
    return this.queue.enqueue(
      request.job,
      captureLabel(request.job),
      options,
      async (ctx) => {
        if (this.tether.canCapture) return this.tether.capture(request, ctx);
        const locked = await request.exposureLock?.(() => readSettingsJob(ctx));
        if (locked && locked.length > 0 && this.lockNeedsCorrection) {
          const corrected = await applyLockJob(ctx, locked);
          this.lockNeedsCorrection = !corrected.ok;
          this.reportLock('correction', corrected);
        }
        const { result, files, lock } = await captureJob(ctx, request, this.lastCaptureFiles, locked);
        this.lastCaptureFiles = files;
        if (lock) {
          this.lockNeedsCorrection = !lock.ok;
          this.reportLock(request.job, lock, result);
        }
        return result;
      },
      { throughHolder: () => this.tether.canCapture },
    );
  }

  /** Every setting the camera reports, read in one gphoto2 run (queued like any job). */
  readSettings(options: JobOptions = {}): Promise<CameraSetting[]> {
    return this.queue.enqueue('settings', 'Reading camera settings', options, readSettingsJob);
  }

  /**
   * Writes one or several settings in one gphoto2 run and reads them back in that run. `known`:
   * the last read (else the settings are read first, one more run). Rejects with a `cameraSetting`
   * CameraError naming the setting, the value and the allowed values.
   */
  writeSettings(
    writes: SettingWrite | readonly SettingWrite[],
    known?: readonly CameraSetting[],
    options: JobOptions = {},
  ): Promise<WriteResult> {
    return this.queue.enqueue('settings', 'Changing camera settings', options, (ctx) =>
      writeSettingsJob(ctx, writes, known),
    );
  }

  /** Writes and verifies a roll's locked exposure in a run of its own. */
  applyExposureLock(locked: LockedExposure, options: JobOptions = {}): Promise<LockCheck> {
    return this.queue.enqueue('settings', 'Applying the locked exposure', options, (ctx) => applyLockJob(ctx, locked));
  }

  private reportLock(job: ExposureLockEvent['job'], check: LockCheck, result?: unknown): void {
    if (!check.ok) {
      const what =
        job === 'correction' ? 'Correcting the locked exposure' : `${captureLabel(job)} with the locked exposure`;
      this.emit('log', {
        level: 'warn',
        message: `${what}: ${check.error?.message ?? 'a locked value did not read back as locked.'}${job === 'correction' ? '' : ' The frame may not have the locked exposure; the lock is applied again before the next one.'}`,
      });
    }
    this.emit('exposureLock', { job, check, ...(result !== undefined ? { result } : {}) });
  }

  /** Kill-and-wait cleanup of stray camera processes, queued like any other job. */
  cleanup(options: JobOptions = {}): Promise<CleanupReport> {
    return this.queue.cleanup(options);
  }

  get liveViewRunning(): boolean {
    return this.live.running;
  }

  get liveViewWanted(): boolean {
    return this.live.wanted;
  }

  get tetherStatus(): TetherStatus {
    return this.tether.status();
  }

  /** Which holder keeps the camera now, and which one the user turned on. */
  get holders(): HolderStatus {
    const active = this.live.running ? 'liveView' : this.tether.running ? 'tether' : undefined;
    const wanted = this.live.wanted ? 'liveView' : this.tether.wanted ? 'tether' : undefined;
    return { active, wanted };
  }

  /**
   * Starts live view (tethered mode stops first): one long-running `--capture-movie --stdout`
   * child. Jobs pause it and it resumes by itself. Resolves once the first frame arrived.
   */
  startLiveView(options: JobOptions = {}): Promise<void> {
    return this.queue.startHolder(this.live, 'Starting live view', options);
  }

  /** Stops live view and waits until the child has exited and the camera is free. */
  stopLiveView(): Promise<void> {
    return this.queue.stopHolder(this.live);
  }

  /**
   * Turns tethered mode on (live view stops first): every picture taken with the body's shutter is
   * staged, verified and committed by `sink`. Resolves once the listener waits for the camera.
   */
  startTethering(sink: ExposureSink<unknown>, options: JobOptions = {}): Promise<void> {
    this.tetherSink = sink;
    return this.queue.startHolder(this.tether, 'Starting tethered mode', options);
  }

  /** Turns tethered mode off; resolves once the listener has exited and what it downloaded is committed. */
  stopTethering(): Promise<void> {
    return this.queue.stopHolder(this.tether);
  }

  /** Stops everything: waiting jobs are cancelled, the running child is killed, the lock released. */
  async dispose(): Promise<void> {
    if (this.queue.isDisposed) return;
    await this.queue.dispose();
    this.removeAllListeners();
  }

  private applyCleanupSettings(): void {
    const names = new Set(this.settings.cleanupNames);
    names.add(this.settings.program.processName);
    this.reaper.configure({
      names: [...names],
      termTimeoutMs: this.settings.timeouts.cleanupTermMs,
      killTimeoutMs: this.settings.timeouts.cleanupKillMs,
      settleMs: this.settings.settleMs,
      port: this.settings.selection.port,
    });
  }
}
