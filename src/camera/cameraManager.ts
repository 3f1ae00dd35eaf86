/**
 * The camera manager owns the camera. Every job (detect, summary, preview, capture, cleanup) goes
 * through one queue, so exactly one gphoto2 child exists at any instant in this extension host, and
 * a lock file keeps other extension hosts out while it works. Nothing is refused because something
 * else runs: a job waits its turn; only cancellation or a timeout ends it.
 */
import { EventEmitter, setMaxListeners } from 'events';
import { promises as fs } from 'fs';
import * as path from 'path';
import type { CameraLock } from './cameraLock';
import { filesSignature, isCompleteJpeg, isJpegName, listDownloaded, type DownloadedFile } from './downloadedFiles';
import { CameraError, toCameraError } from './errors';
import * as gp from './gphoto2';
import type { Gphoto2Program } from './gphoto2Program';
import {
  delay,
  describeCleanup,
  describeHolders,
  type CleanupReport,
  type Holder,
  type ProcessReaper,
} from './processReaper';
import type { ProcessRunner, RunningProcess, RunResult, StopSignal } from './processRunner';
import { JpegSplitter } from './jpegSplitter';

export type JobName = 'detect' | 'summary' | 'version' | 'preview' | 'capture' | 'testCapture' | 'cleanup' | 'liveView';

export type ManagerState =
  | { kind: 'idle' }
  | { kind: 'live'; since: number }
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

export interface CaptureRequest<T> {
  job: 'capture' | 'testCapture';
  /**
   * Makes an empty folder on the same file system as the destination, private to this capture.
   * Called only when the job runs, so a capture cancelled while queued leaves nothing behind.
   */
  makeStagingDir: () => Promise<string>;
  /**
   * Moves the verified files to their final names. It runs inside the job, while the queue is held,
   * so frame numbers are assigned one capture at a time, in click order.
   */
  commit: (files: DownloadedFile[]) => Promise<T>;
  /**
   * Keeps complete files when the capture fails after they arrived (the camera may have deleted them
   * from its card already). Returns where they went.
   */
  rescue?: (files: DownloadedFile[]) => Promise<string>;
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

export interface ManagerEvents {
  liveFrame: [LiveFrame];
  liveView: [LiveViewStatus];
  state: [ManagerState];
  log: [LogEntry];
  cleanup: [CleanupReport];
}

export interface ManagerDeps {
  runner: ProcessRunner;
  reaper: ProcessReaper;
  lock: CameraLock;
}

/** Kinds after which the next job first cleans up: something may still hold the device. */
const CLEANUP_AFTER: ReadonlySet<CameraError['kind']> = new Set([
  'busy',
  'killed',
  'timeout',
  'io',
  'badOutput',
  'failed',
  'cancelled',
]);
const PREVIEWS_KEPT = 4;
/** Below this much free space a failed capture is reported as a full disk. */
const LOW_DISK_BYTES = 1024 * 1024;
const FILE_POLL_MS = 25;
/**
 * After the last file of a capture, gphoto2 keeps waiting this long for more files of the same
 * exposure (capture_generic's final event loop, restarted at each new file) before it exits.
 */
const GPHOTO2_EVENT_DRAIN_MS = 3000;

/** A job whose files are watched while gphoto2 runs (see stopIfLingering). */
interface JobWatch {
  /** The job's own folder: gphoto2 runs in it and saves into it. */
  dir: string;
  /**
   * How many files this job should produce (a preview: 1; a capture: as many as the previous capture
   * of this session), or undefined when that is not known yet.
   */
  expectedFiles: number | undefined;
  /** gphoto2's stdout so far, as it streams (for `New file is in location` and `Saving file as`). */
  stdout: string;
}

export class CameraManager extends EventEmitter<ManagerEvents> {
  private settings: ManagerSettings;
  private tail: Promise<void> = Promise.resolve();
  private pending = 0;
  private currentState: ManagerState = { kind: 'idle' };
  /** The first job always cleans: a gphoto2 from before this window may still hold the camera. */
  private needsCleanup = true;
  private previewSeq = 0;
  private readonly lifetime = new AbortController();
  private disposed = false;
  /** The user wants live view: it runs whenever no other job needs the camera. */
  private liveWanted = false;
  private stream:
    | {
        child: RunningProcess;
        splitter: JpegSplitter;
        since: number;
        lastFrameAt: number;
        nextDue: number;
        watchdog: NodeJS.Timeout;
      }
    | undefined;
  private liveFrames = 0;
  private liveCapped = 0;
  /** Files the last successful capture produced (RAW+JPEG: 2): what the next one waits for. */
  private lastCaptureFiles: number | undefined;

  constructor(
    private readonly deps: ManagerDeps,
    settings: ManagerSettings,
  ) {
    super();
    // Every queued job listens to the lifetime signal; hundreds of quick clicks are legitimate.
    setMaxListeners(0, this.lifetime.signal);
    this.settings = settings;
    this.applyCleanupSettings();
  }

  get state(): ManagerState {
    return this.currentState;
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
    if (programChanged) this.needsCleanup = true;
    if (programChanged || cameraChanged) this.lastCaptureFiles = undefined;
  }

  detect(options: JobOptions = {}): Promise<gp.DetectedCamera[]> {
    return this.enqueue('detect', 'Detecting cameras', options, async (signal) => {
      const r = await this.runGphoto2('Detect camera', gp.autoDetectArgs(), this.settings.timeouts.commandMs, signal);
      return gp.parseAutoDetect(r.stdout);
    });
  }

  summary(options: JobOptions = {}): Promise<string> {
    return this.enqueue('summary', 'Reading camera summary', options, async (signal) => {
      const r = await this.runGphoto2(
        'Camera summary',
        gp.summaryArgs(this.settings.selection),
        this.settings.timeouts.commandMs,
        signal,
      );
      return r.stdout.trim();
    });
  }

  version(options: JobOptions = {}): Promise<gp.Gphoto2Version> {
    return this.enqueue('version', 'Checking gphoto2', options, async (signal) => {
      const r = await this.runGphoto2('gphoto2 --version', gp.versionArgs(), this.settings.timeouts.commandMs, signal);
      return gp.parseVersion(r.stdout);
    });
  }

  preview(options: JobOptions = {}): Promise<PreviewResult> {
    return this.enqueue('preview', 'Preview', options, async (signal) => {
      const started = performance.now();
      await fs.mkdir(this.settings.previewDir, { recursive: true });
      const staging = await fs.mkdtemp(path.join(this.settings.previewDir, '.preview-'));
      try {
        const args = gp.capturePreviewArgs(this.settings.selection, path.join(staging, 'preview.jpg'));
        const r = await this.runGphoto2('Preview', args, this.settings.timeouts.previewMs, signal, {
          dir: staging,
          expectedFiles: 1,
          stdout: '',
        });
        // gphoto2 may save as thumb_<name>: take what it says it saved, else what is in the folder.
        const said = gp.parseSavedFiles(r.stdout).find((f) => path.dirname(path.resolve(f)) === path.resolve(staging));
        const files = await listDownloaded(staging);
        const file = files.find((f) => said !== undefined && path.resolve(f.path) === path.resolve(said)) ?? files[0];
        if (!file)
          throw new CameraError(
            'badOutput',
            `Preview failed: gphoto2 finished but saved no preview image${describeFailureLine(r)}. Check that the camera is on and not in playback mode, then try again.`,
            { stderrTail: tailOf(r.stderr) },
          );
        if (!file.complete || !(await isCompleteJpeg(file.path))) {
          throw new CameraError(
            'io',
            'Preview failed: the preview image arrived incomplete. Try again; if it keeps happening, run Cleanup and check the cable.',
          );
        }
        const finalPath = path.join(this.settings.previewDir, `preview-${Date.now()}-${++this.previewSeq}.jpg`);
        await fs.rename(file.path, finalPath);
        await this.prunePreviews();
        const result: PreviewResult = { path: finalPath, bytes: file.bytes, durationMs: performance.now() - started };
        return result;
      } finally {
        await fs.rm(staging, { recursive: true, force: true });
      }
    });
  }

  /** Capture one exposure and download every file it produced (RAW+JPEG gives two). */
  capture<T>(request: CaptureRequest<T>, options: JobOptions = {}): Promise<T> {
    const label = request.job === 'capture' ? 'Capture' : 'Test capture';
    return this.enqueue(request.job, label, options, async (signal) => {
      const stagingDir = await request.makeStagingDir();
      let keepStaging = false;
      const watch: JobWatch = { dir: stagingDir, expectedFiles: this.lastCaptureFiles, stdout: '' };
      try {
        const entries = await fs.readdir(stagingDir);
        if (entries.length > 0)
          throw new CameraError(
            'failed',
            `${label} failed: the staging folder ${stagingDir} is not empty. This is a bug; please report it.`,
          );
        const args = gp.captureAndDownloadArgs(this.settings.selection, stagingDir, this.settings.keepOnCamera);
        const r = await this.runGphoto2(label, args, this.settings.timeouts.captureMs, signal, watch);
        const astray = await savedOutside(watch.stdout, stagingDir);
        if (astray.length > 0) {
          throw new CameraError(
            'failed',
            `${label} failed: gphoto2 saved ${astray.length === 1 ? 'the image' : `${astray.length} files`} outside the staging folder (${astray.map((f) => f.path).join(', ')}), so the exposure was not added to the roll. Please report this with the log.`,
            { stderrTail: tailOf(r.stderr), exitCode: r.exitCode },
            ['showLog'],
          );
        }
        const files = await listDownloaded(stagingDir);
        if (files.length === 0) {
          throw new CameraError(
            'failed',
            `${label} failed: gphoto2 ${r.exitCode === 0 ? 'exited normally but ' : ''}delivered no image${describeFailureLine(r)}. Check focus (autofocus may refuse to fire), the card and the battery, then try again.`,
            { stderrTail: tailOf(r.stderr), exitCode: r.exitCode },
          );
        }
        const incomplete = files.filter((f) => !f.complete);
        if (incomplete.length > 0) {
          throw new CameraError(
            'io',
            `${label} failed: ${incomplete.map((f) => path.basename(f.path)).join(', ')} arrived incomplete, so the exposure was not added to the roll. Try again; the image may still be on the camera's card.`,
          );
        }
        if (signal.aborted) throw new CameraError('cancelled', `${label} was cancelled.`);
        const result = await request.commit(files);
        this.lastCaptureFiles = files.length;
        return result;
      } catch (err) {
        const failure = await this.afterFailedCapture(
          err instanceof CameraError ? err : toCameraError(err, `${label} failed`),
          stagingDir,
          request,
          await savedOutside(watch.stdout, stagingDir),
        );
        keepStaging = failure.keepStaging;
        throw failure.error;
      } finally {
        // What is left here is partial (complete files were rescued): none of it belongs in the roll.
        if (!keepStaging) await fs.rm(stagingDir, { recursive: true, force: true });
      }
    });
  }

  /** Kill-and-wait cleanup of stray camera processes, queued like any other job. */
  cleanup(options: JobOptions = {}): Promise<CleanupReport> {
    return this.enqueue('cleanup', 'Cleaning up', options, () => this.sweep('on request'), { skipCleanupBefore: true });
  }

  get liveViewRunning(): boolean {
    return this.stream !== undefined;
  }

  get liveViewWanted(): boolean {
    return this.liveWanted;
  }

  /**
   * Starts live view: one long-running `--capture-movie --stdout` child, owned like any job. Other
   * jobs pause it (SIGINT, so the camera leaves live view; wait for exit), run, and it resumes by
   * itself. Resolves once the first frame arrived; rejects with a typed error otherwise.
   */
  startLiveView(options: JobOptions = {}): Promise<void> {
    this.liveWanted = true;
    return this.enqueue('liveView', 'Starting live view', options, (signal) => this.openStream(signal)).catch(
      (err: unknown) => {
        this.liveWanted = false;
        throw err;
      },
    );
  }

  /** Stops live view and waits until the child has exited and the camera is free. */
  async stopLiveView(): Promise<void> {
    this.liveWanted = false;
    await this.closeStream('stopped');
    if (this.pending === 0) {
      await this.deps.lock.release().catch(() => undefined);
      if (this.currentState.kind === 'live') this.setState({ kind: 'idle' });
    }
  }

  /** Stops everything: waiting jobs are cancelled, the running child is killed, the lock released. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.liveWanted = false;
    if (this.stream) clearInterval(this.stream.watchdog);
    this.lifetime.abort();
    await this.deps.runner.dispose();
    await this.tail.catch(() => undefined);
    await this.deps.lock.release();
    this.removeAllListeners();
  }

  private applyCleanupSettings(): void {
    const names = new Set(this.settings.cleanupNames);
    names.add(this.settings.program.processName);
    this.deps.reaper.configure({
      names: [...names],
      termTimeoutMs: this.settings.timeouts.cleanupTermMs,
      killTimeoutMs: this.settings.timeouts.cleanupKillMs,
      settleMs: this.settings.settleMs,
      port: this.settings.selection.port,
    });
  }

  private log(level: LogLevel, message: string): void {
    this.emit('log', { level, message });
  }

  private setState(state: ManagerState): void {
    this.currentState = state;
    this.emit('state', state);
  }

  private enqueue<T>(
    job: JobName,
    label: string,
    options: JobOptions,
    work: (signal: AbortSignal) => Promise<T>,
    flags: { skipCleanupBefore?: boolean } = {},
  ): Promise<T> {
    if (this.disposed)
      return Promise.reject(new CameraError('cancelled', `${label} was not started: Camera Tether is shutting down.`));
    const signal = options.signal ? AbortSignal.any([options.signal, this.lifetime.signal]) : this.lifetime.signal;
    const previous = this.tail;
    let finished!: () => void;
    const mine = new Promise<void>((resolve) => (finished = resolve));
    this.tail = previous.then(() => mine);
    this.pending++;
    if (this.currentState.kind === 'busy') this.setState({ ...this.currentState, queued: this.pending - 1 });
    return (async () => {
      try {
        await waitOrAbort(previous, signal, label);
        return await this.runJob(job, label, signal, work, flags);
      } finally {
        this.pending--;
        finished();
        if (this.pending === 0 && !this.stream) {
          if (this.liveWanted && !this.disposed) this.resumeLiveView();
          else await this.deps.lock.release().catch(() => undefined);
        }
      }
    })();
  }

  private async runJob<T>(
    job: JobName,
    label: string,
    signal: AbortSignal,
    work: (signal: AbortSignal) => Promise<T>,
    flags: { skipCleanupBefore?: boolean },
  ): Promise<T> {
    if (job === 'liveView' && this.stream) return undefined as T;
    this.setState({ kind: 'busy', job, label, since: Date.now(), queued: this.pending - 1 });
    try {
      if (signal.aborted) throw new CameraError('cancelled', `${label} was cancelled.`);
      // Live view holds the camera: pause it for this job; it resumes when the queue is empty.
      await this.closeStream(`paused for ${label.toLowerCase()}`);
      await this.deps.lock.acquire();
      if (!flags.skipCleanupBefore && (this.settings.cleanupMode === 'beforeEveryJob' || this.needsCleanup)) {
        await this.sweep(`before ${label.toLowerCase()}`);
      }
      const result = await work(signal);
      // A single-frame preview is where gphoto2 is known to linger: always sweep after it.
      if (job === 'preview') await this.sweep('after preview');
      if (this.pending <= 1) this.setState(this.stream ? { kind: 'live', since: this.stream.since } : { kind: 'idle' });
      return result;
    } catch (err) {
      const error =
        err instanceof CameraError
          ? err
          : signal.aborted
            ? new CameraError('cancelled', `${label} was cancelled.`)
            : toCameraError(err, `${label} failed`);
      if (CLEANUP_AFTER.has(error.kind)) this.needsCleanup = true;
      this.log(error.kind === 'cancelled' ? 'info' : 'error', `${label}: ${error.message}`);
      this.setState({ kind: 'error', job, error });
      throw error;
    }
  }

  private async sweep(reason: string): Promise<CleanupReport> {
    const report = await this.deps.reaper.cleanup({ exclude: this.deps.runner.activePids() });
    this.needsCleanup = false;
    const level: LogLevel = report.found.length > 0 ? 'warn' : 'debug';
    this.log(level, `Cleanup ${reason}: ${describeCleanup(report)}`);
    this.emit('cleanup', report);
    return report;
  }

  /**
   * Runs gphoto2 once (twice if the first run could not claim the camera: clean up, then retry),
   * waits for it to exit, and returns its output or a typed error.
   */
  private async runGphoto2(
    job: string,
    args: string[],
    timeoutMs: number,
    signal: AbortSignal,
    watch?: JobWatch,
  ): Promise<RunResult> {
    let result = await this.spawnOnce(job, args, timeoutMs, signal, watch);
    let error = gp.classifyOutcome(result, { job, command: this.settings.program.command, timeoutMs });
    if (isClaimFailure(error) && !signal.aborted) {
      const report = await this.sweep('after a failed claim');
      // A program that is not ours to stop holds the camera: retrying cannot help; name it.
      if (report.others.length > 0) throw heldBy(job, error, report.others);
      this.log('warn', `${job}: the camera could not be claimed; cleaning up and trying once more.`);
      if (watch) await emptyDir(watch.dir);
      result = await this.spawnOnce(job, args, timeoutMs, signal, watch);
      error = gp.classifyOutcome(result, { job, command: this.settings.program.command, timeoutMs });
      if (isClaimFailure(error) && !signal.aborted) {
        const again = await this.sweep('after a second failed claim');
        if (again.others.length > 0) throw heldBy(job, error, again.others);
      }
    }
    if (error) throw error;
    return result;
  }

  private async spawnOnce(
    job: string,
    args: string[],
    timeoutMs: number,
    signal: AbortSignal,
    watch?: JobWatch,
  ): Promise<RunResult> {
    const program = this.settings.program;
    const argv = [...program.prefixArgs, ...args];
    this.log('info', `${job}: $ ${gp.formatCommandLine(program.displayName, args)}`);
    const child = this.deps.runner.start(program.command, argv, {
      timeoutMs,
      signal,
      graceMs: this.settings.graceMs,
      env: program.env,
      cwd: watch?.dir,
      onStdoutText: watch ? (text) => (watch.stdout += text) : undefined,
    });
    const lingered = watch ? this.stopIfLingering(child, watch) : undefined;
    const result = await child.result;
    const lingeredMs = await lingered?.stop();
    const ended = result.signal
      ? `signal ${result.signal}`
      : result.spawnErrorCode
        ? `not started (${result.spawnErrorCode})`
        : `exit ${result.exitCode}`;
    const tail = tailOf(result.stderr);
    this.log(
      result.exitCode === 0 || lingeredMs !== undefined ? 'info' : 'warn',
      `${job}: ${program.displayName} finished in ${Math.round(result.durationMs)} ms: ${ended}${result.timedOut ? ' (timed out)' : ''}${tail ? `\n  stderr: ${tail.replace(/\n/g, '\n  stderr: ')}` : ''}`,
    );
    if (lingeredMs !== undefined) {
      this.log(
        'warn',
        `${job}: ${program.displayName} kept running ${Math.round(lingeredMs)} ms after its files were complete; it was stopped so the camera is free.`,
      );
      // We stopped it on purpose after verifying its work: judge the files, not the signal.
      return { ...result, signal: undefined, exitCode: 0 };
    }
    return result;
  }

  /**
   * gphoto2 sometimes stays alive after delivering its files, still holding the camera. Watch the
   * job's folder and gphoto2's output; stop it only once the job is done: every file present is
   * complete, every file it announced (`New file is in location ...`) has arrived, and nothing has
   * changed for `lingerMs`. A RAW+JPEG body may announce its second file only after a pause, so
   * until as many files as the last capture produced have arrived (or when that is unknown) it
   * gets gphoto2's own wait for more files on top. Returns how long it lingered, or undefined when
   * it exited by itself.
   */
  private stopIfLingering(
    child: { result: Promise<RunResult>; stop(signal?: StopSignal): Promise<RunResult> },
    watch: JobWatch,
  ): { stop(): Promise<number | undefined> } {
    let exited = false;
    const watcher = (async (): Promise<number | undefined> => {
      let signature = '';
      let quietSince = 0;
      while (!exited) {
        await Promise.race([delay(FILE_POLL_MS), child.result]);
        if (exited) return undefined;
        const files = [...(await listDownloaded(watch.dir)), ...(await savedOutside(watch.stdout, watch.dir))];
        // gphoto2 saves as %f.%C, so a camera file's local name is its camera-side base name.
        const announced = gp.parseNewCameraFiles(watch.stdout).map((p) => p.slice(p.lastIndexOf('/') + 1));
        const now = performance.now();
        const sig = `${filesSignature(files)}|${announced.join('/')}`;
        if (sig !== signature) {
          signature = sig;
          quietSince = now;
          continue;
        }
        const arrived = new Set(files.filter((f) => f.complete).map((f) => path.basename(f.path)));
        const done = files.length > 0 && files.every((f) => f.complete) && announced.every((name) => arrived.has(name));
        if (!done) continue;
        const asExpected = watch.expectedFiles !== undefined && files.length >= watch.expectedFiles;
        const quietMs = this.settings.lingerMs + (asExpected ? 0 : GPHOTO2_EVENT_DRAIN_MS);
        if (now - quietSince >= quietMs) {
          if (exited) return undefined;
          await child.stop();
          return now - quietSince;
        }
      }
      return undefined;
    })();
    void child.result.then(() => (exited = true));
    return {
      stop: async () => {
        exited = true;
        return watcher;
      },
    };
  }

  /**
   * Nothing a user captured may be lost: complete files of a failed capture are moved to safety and
   * the error says where. A full disk is named as such, whatever gphoto2 printed.
   */
  private async afterFailedCapture<T>(
    error: CameraError,
    stagingDir: string,
    request: CaptureRequest<T>,
    astray: DownloadedFile[] = [],
  ): Promise<{ error: CameraError; keepStaging: boolean }> {
    let result = error;
    if (error.kind !== 'cancelled' && error.kind !== 'storageFull') {
      const free = await fs
        .statfs(stagingDir)
        .then((s) => s.bavail * s.bsize)
        .catch(() => undefined);
      if (free !== undefined && free < LOW_DISK_BYTES) {
        result = new CameraError(
          'storageFull',
          `${error.message.split(':')[0]}: the disk holding ${path.dirname(path.dirname(stagingDir))} is full (${Math.round(free / 1024)} KB free). Free some space or choose another output folder.`,
          { ...error.details, setting: 'cameraTether.outputFolder' },
          ['openSettings', 'showLog'],
        );
      }
    }
    // Files gphoto2 saved outside the staging folder are rescued like those inside it.
    const complete = [...(await listDownloaded(stagingDir)), ...astray].filter((f) => f.complete);
    if (complete.length === 0) return { error: result, keepStaging: false };
    // The same error, with where the images that arrived are now.
    const saying = (where: string): CameraError =>
      new CameraError(result.kind, `${result.message} ${where}`, result.details, [...result.actions]);
    const staysInStaging = { error: saying(`The image that arrived stays in ${stagingDir}.`), keepStaging: true };
    if (!request.rescue) return staysInStaging;
    try {
      const kept = await request.rescue(complete);
      this.log('warn', `Kept ${complete.length} downloaded file(s) of the failed capture in ${kept}.`);
      const what = complete.length === 1 ? 'image that arrived was' : 'images that arrived were';
      return { error: saying(`The ${what} kept in ${kept}.`), keepStaging: false };
    } catch (rescueErr) {
      this.log(
        'error',
        `Could not move the downloaded files out of ${stagingDir}: ${(rescueErr as Error).message}; they stay there.`,
      );
      return staysInStaging;
    }
  }

  private resumeLiveView(): void {
    this.enqueue('liveView', 'Resuming live view', {}, (signal) => this.openStream(signal)).catch((err: unknown) => {
      this.liveWanted = false;
      const error = err instanceof CameraError ? err : toCameraError(err, 'Live view');
      this.emit('liveView', this.liveStatus(false, error));
    });
  }

  private liveStatus(running: boolean, error?: CameraError): LiveViewStatus {
    return {
      running,
      frames: this.liveFrames,
      capped: this.liveCapped,
      truncated: this.stream?.splitter.stats.truncated ?? 0,
      error,
    };
  }

  /** Spawns the stream and waits for its first frame (or its failure). Runs inside a queued job. */
  private async openStream(signal: AbortSignal): Promise<void> {
    if (!this.liveWanted || this.stream) return;
    const program = this.settings.program;
    const args = gp.captureMovieArgs(this.settings.selection);
    this.log('info', `Live view: $ ${gp.formatCommandLine(program.displayName, args)}`);
    const child = this.deps.runner.start(program.command, [...program.prefixArgs, ...args], {
      timeoutMs: 0,
      killSignal: 'SIGINT',
      graceMs: this.settings.graceMs,
      env: program.env,
      streamStdout: true,
    });
    let firstFrame!: () => void;
    const gotFirst = new Promise<void>((resolve) => (firstFrame = resolve));
    const now = performance.now();
    const splitter = new JpegSplitter((data) => {
      const s = this.stream;
      if (!s || s.child !== child) return;
      const t = performance.now();
      s.lastFrameAt = t;
      this.liveFrames++;
      firstFrame();
      // The cap keeps a schedule (not "time since the last frame"), so a camera that sends exactly
      // the capped rate with jitter is not thinned out; at most one frame of credit is banked.
      const cap = this.settings.liveViewMaxFps;
      if (cap > 0) {
        const interval = 1000 / cap;
        if (s.nextDue === 0) s.nextDue = t;
        if (t < s.nextDue - interval / 2) {
          this.liveCapped++;
          return;
        }
        s.nextDue = Math.max(s.nextDue + interval, t - interval);
      }
      this.emit('liveFrame', { seq: this.liveFrames, data, receivedAt: Date.now() });
    });
    child.stdout?.on('data', (chunk: Buffer) => splitter.push(chunk));
    const stallMs = this.settings.timeouts.previewMs;
    const watchdog = setInterval(
      () => {
        const s = this.stream;
        if (s && s.child === child && performance.now() - s.lastFrameAt > stallMs)
          void this.failStream(
            child,
            new CameraError(
              'timeout',
              `Live view stopped: no frame from the camera for ${Math.round(stallMs / 1000)} s. Run Cleanup and start live view again; check the camera is awake.`,
            ),
          );
      },
      Math.min(1000, stallMs),
    );
    this.liveFrames = 0;
    this.liveCapped = 0;
    this.stream = { child, splitter, since: Date.now(), lastFrameAt: now, nextDue: 0, watchdog };
    // An exit we did not ask for (camera unplugged, live view unsupported) ends live view with an error.
    void child.result.then((r) => {
      clearInterval(watchdog);
      if (this.stream?.child !== child) return;
      this.stream = undefined;
      this.liveWanted = false;
      this.needsCleanup = true;
      const error =
        gp.classifyOutcome(r, { job: 'Live view', command: program.command, timeoutMs: 0 }) ??
        new CameraError(
          'unsupported',
          `Live view ended: the camera sent ${this.liveFrames} frame${this.liveFrames === 1 ? '' : 's'} and stopped. It may not support live view over USB.`,
          { stderrTail: tailOf(r.stderr) },
        );
      this.log('error', `Live view: ${error.message}`);
      this.emit('liveView', this.liveStatus(false, error));
      this.setState({ kind: 'error', job: 'liveView', error });
      if (this.pending === 0) void this.deps.lock.release().catch(() => undefined);
    });
    const outcome = await Promise.race([
      gotFirst.then(() => 'frame' as const),
      child.result.then(() => 'exited' as const),
      delay(this.settings.timeouts.previewMs).then(() => 'timeout' as const),
      new Promise<'aborted'>((resolve) => signal.addEventListener('abort', () => resolve('aborted'), { once: true })),
    ]);
    if (outcome === 'frame') {
      this.log('info', `Live view running (first frame after ${Math.round(performance.now() - now)} ms).`);
      this.emit('liveView', this.liveStatus(true));
      return;
    }
    if (outcome === 'exited') {
      const r = await child.result;
      throw (
        gp.classifyOutcome(r, { job: 'Live view', command: program.command, timeoutMs: 0 }) ??
        new CameraError(
          'unsupported',
          'Live view is not possible: the camera sent no frames. It may not support live view over USB.',
          { stderrTail: tailOf(r.stderr) },
        )
      );
    }
    await this.closeStream(outcome);
    throw outcome === 'aborted'
      ? new CameraError('cancelled', 'Live view was cancelled.')
      : new CameraError(
          'timeout',
          `Live view did not start: no frame within ${Math.round(this.settings.timeouts.previewMs / 1000)} s. Run Cleanup and try again.`,
        );
  }

  private async failStream(child: RunningProcess, error: CameraError): Promise<void> {
    if (this.stream?.child !== child) return;
    this.liveWanted = false;
    await this.closeStream('stalled');
    this.needsCleanup = true;
    this.log('error', error.message);
    this.emit('liveView', this.liveStatus(false, error));
    this.setState({ kind: 'error', job: 'liveView', error });
    if (this.pending === 0) await this.deps.lock.release().catch(() => undefined);
  }

  /** SIGINT (the camera leaves live view), escalate after the grace period, wait for exit. */
  private async closeStream(reason: string): Promise<void> {
    const s = this.stream;
    if (!s) return;
    this.stream = undefined;
    clearInterval(s.watchdog);
    const t = performance.now();
    const r = await s.child.stop('SIGINT');
    this.log(
      'info',
      `Live view ${reason}: ${this.liveFrames} frames; gphoto2 exited in ${Math.round(performance.now() - t)} ms (${r.signal ? `signal ${r.signal}` : `exit ${r.exitCode}`}).`,
    );
    this.emit('liveView', this.liveStatus(false));
  }

  private async prunePreviews(): Promise<void> {
    const names = (await fs.readdir(this.settings.previewDir)).filter((n) => /^preview-\d+-\d+\.jpg$/.test(n));
    const byAge = names
      .map((n) => ({ n, t: Number(n.split('-')[1]), s: Number(n.split('-')[2].split('.')[0]) }))
      .sort((a, b) => b.t - a.t || b.s - a.s);
    await Promise.all(
      byAge.slice(PREVIEWS_KEPT).map((p) => fs.rm(path.join(this.settings.previewDir, p.n), { force: true })),
    );
  }
}

function waitOrAbort(previous: Promise<void>, signal: AbortSignal, label: string): Promise<void> {
  if (signal.aborted) return Promise.reject(new CameraError('cancelled', `${label} was cancelled before it started.`));
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => reject(new CameraError('cancelled', `${label} was cancelled before it started.`));
    signal.addEventListener('abort', onAbort, { once: true });
    void previous.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}

async function emptyDir(dir: string): Promise<void> {
  for (const name of await fs.readdir(dir).catch(() => [] as string[]))
    await fs.rm(path.join(dir, name), { recursive: true, force: true });
}

function tailOf(text: string, lines = 6): string {
  return text
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '')
    .slice(-lines)
    .join('\n');
}

function isClaimFailure(error: CameraError | undefined): error is CameraError {
  return error?.kind === 'busy' && error.details.gphoto2Code === -53;
}

/** The -53 error naming the programs that hold the camera (found by cleanup, not ours to stop). */
function heldBy(job: string, error: CameraError, others: readonly Holder[]): CameraError {
  return new CameraError('busy', `${job} failed: ${describeHolders(others)} Then try again.`, error.details, [
    'retry',
    'showLog',
  ]);
}

/**
 * Files gphoto2 says it saved (`Saving file as PATH`) that are not in the job's folder and exist:
 * where they went is what matters (a pattern code in a folder name, a changed gphoto2).
 */
async function savedOutside(stdout: string, dir: string): Promise<DownloadedFile[]> {
  const inside = path.resolve(dir);
  const found: DownloadedFile[] = [];
  for (const saved of new Set(gp.parseSavedFiles(stdout))) {
    const full = path.resolve(inside, saved);
    if (path.dirname(full) === inside) continue;
    const st = await fs.stat(full).catch(() => undefined);
    if (!st?.isFile()) continue;
    const complete = st.size > 0 && (!isJpegName(full) || (await isCompleteJpeg(full).catch(() => false)));
    found.push({ path: full, bytes: st.size, extension: path.extname(full).slice(1), complete });
  }
  return found;
}

function describeFailureLine(r: RunResult): string {
  const line = gp.parseFailureLines(`${r.stderr}\n${r.stdout}`)[0];
  return line ? ` (gphoto2: "${line}")` : '';
}
