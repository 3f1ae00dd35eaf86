/**
 * The queue owns the camera: it alone decides the order of jobs, holds the cross-window lock, runs
 * the cleanup-before/after policy and sets the manager's state. One job runs at a time; nothing is
 * refused because something else runs (a job waits its turn; only cancellation or a timeout ends it).
 * Between jobs a holder (live view, the tether listener) may keep the camera: the queue pauses it
 * before each job and starts the wanted one again once the queue is empty.
 */
import { setMaxListeners } from 'events';
import type { CameraLock } from './cameraLock';
import { CameraError, toCameraError } from './errors';
import type { Gphoto2Launcher } from './gphoto2Launcher';
import type { CameraHolder } from './holders/holder';
import type { JobContext } from './jobs/jobContext';
import type { JobName, JobOptions, LogLevel, ManagerSettings, ManagerState } from './managerTypes';
import { describeCleanup, type CleanupReport, type ProcessReaper } from './processReaper';
import type { ProcessRunner } from './processRunner';

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

export interface QueueDeps {
  runner: ProcessRunner;
  reaper: ProcessReaper;
  lock: CameraLock;
  settings: () => ManagerSettings;
  onState: (state: ManagerState) => void;
  onCleanup: (report: CleanupReport) => void;
  log: (level: LogLevel, message: string) => void;
}

export interface JobFlags {
  /** Cleanup itself: no sweep before it. */
  skipCleanupBefore?: boolean;
  /** A single-frame preview is where gphoto2 is known to linger: always sweep after it. */
  sweepAfter?: boolean;
  /** The holder this job starts (nothing to do when it already runs or is no longer wanted). */
  starts?: CameraHolder;
  /**
   * Asked when the job's turn comes: true when the running holder does the job itself (the tether
   * listener captures on SIGUSR1), so it is not paused and no cleanup runs under it.
   */
  throughHolder?: () => boolean;
}

export class JobQueue {
  private tail: Promise<void> = Promise.resolve();
  private pending = 0;
  private currentState: ManagerState = { kind: 'idle' };
  /** The first job always cleans: a gphoto2 from before this window may still hold the camera. */
  private needsCleanup = true;
  private readonly lifetime = new AbortController();
  private disposed = false;
  private launcher: Gphoto2Launcher | undefined;

  constructor(
    private readonly deps: QueueDeps,
    /** Highest rank first: the first wanted one runs between jobs. */
    private readonly holders: readonly CameraHolder[],
  ) {
    // Every queued job listens to the lifetime signal; hundreds of quick clicks are legitimate.
    setMaxListeners(0, this.lifetime.signal);
  }

  /** Set once by the manager (the launcher needs the queue's sweep, the queue the launcher). */
  useLauncher(launcher: Gphoto2Launcher): void {
    this.launcher = launcher;
  }

  get state(): ManagerState {
    return this.currentState;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** The holder whose gphoto2 runs now, if any. */
  get activeHolder(): CameraHolder | undefined {
    return this.holders.find((h) => h.running);
  }

  /** The next job cleans up first (a setting that changes the program, a holder that died). */
  requestCleanup(): void {
    this.needsCleanup = true;
  }

  enqueue<T>(
    job: JobName,
    label: string,
    options: JobOptions,
    work: (ctx: JobContext) => Promise<T>,
    flags: JobFlags = {},
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
        // Awaited: when a job's promise settles, the camera lock is already released.
        if (this.pending === 0) await this.afterLastJob();
      }
    })();
  }

  /** Kill-and-wait cleanup of stray camera processes, queued like any other job. */
  cleanup(options: JobOptions = {}): Promise<CleanupReport> {
    return this.enqueue('cleanup', 'Cleaning up', options, () => this.sweep('on request'), { skipCleanupBefore: true });
  }

  /**
   * Starts `holder` once the camera is free; resolves once it works. Holders are ranked (live view
   * first): one ranked above it is turned off, one ranked below it is only paused and comes back
   * when this one stops (live view during tethered mode; tethering again afterwards).
   */
  startHolder(holder: CameraHolder, label: string, options: JobOptions = {}): Promise<void> {
    for (const other of this.holders.slice(0, this.holders.indexOf(holder))) other.unwant();
    holder.want();
    return this.enqueue(holder.kind, label, options, (ctx) => holder.start(ctx), { starts: holder });
  }

  /** Stops `holder` and waits until its gphoto2 has exited and the camera is free. */
  async stopHolder(holder: CameraHolder): Promise<void> {
    holder.unwant();
    await holder.pause('stopped');
    if (this.pending === 0) await this.afterLastJob();
  }

  /** A holder's gphoto2 ended on its own: the next job cleans up first, and the user is told. */
  holderFailed(holder: CameraHolder, error: CameraError): void {
    this.needsCleanup = true;
    this.deps.log('error', `${holder.kind === 'liveView' ? 'Live view' : 'Tethered mode'}: ${error.message}`);
    this.setState({ kind: 'error', job: holder.kind, error });
    if (this.pending === 0) void this.afterLastJob();
  }

  /** Stops everything: waiting jobs are cancelled, the running child is killed, the lock released. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    for (const h of this.holders) {
      h.unwant();
      h.dispose();
    }
    this.lifetime.abort();
    await this.deps.runner.dispose();
    await this.tail.catch(() => undefined);
    await this.deps.lock.release();
  }

  async sweep(reason: string): Promise<CleanupReport> {
    const report = await this.deps.reaper.cleanup({ exclude: this.deps.runner.activePids() });
    this.needsCleanup = false;
    this.deps.log(report.found.length > 0 ? 'warn' : 'debug', `Cleanup ${reason}: ${describeCleanup(report)}`);
    this.deps.onCleanup(report);
    return report;
  }

  /** The queue ran dry: start the wanted holder again, or, when nothing holds the camera, free it. */
  private async afterLastJob(): Promise<void> {
    if (this.disposed) return;
    if (this.activeHolder) return;
    const wanted = this.holders.find((h) => h.wanted);
    if (wanted) {
      // Its own status reports a failure to resume; nobody awaits this.
      this.enqueue(
        wanted.kind,
        wanted.kind === 'liveView' ? 'Resuming live view' : 'Resuming tethered mode',
        {},
        (ctx) => wanted.start(ctx),
      ).catch(() => undefined);
      return;
    }
    // The one place the camera lock is released while the manager lives.
    await this.deps.lock.release().catch(() => undefined);
    if (this.currentState.kind === 'live' || this.currentState.kind === 'tethering') this.setState({ kind: 'idle' });
  }

  private async runJob<T>(
    job: JobName,
    label: string,
    signal: AbortSignal,
    work: (ctx: JobContext) => Promise<T>,
    flags: JobFlags,
  ): Promise<T> {
    const starts = flags.starts;
    if (starts && (starts.running || !starts.wanted)) return undefined as T;
    this.setState({ kind: 'busy', job, label, since: Date.now(), queued: this.pending - 1 });
    try {
      if (signal.aborted) throw new CameraError('cancelled', `${label} was cancelled.`);
      const throughHolder = flags.throughHolder?.() === true;
      if (!throughHolder) {
        // A holder keeps the camera: pause it for this job; it starts again when the queue is empty.
        const active = this.activeHolder;
        if (active) await active.pause(`paused for ${label.toLowerCase()}`);
        await this.deps.lock.acquire();
        if (!flags.skipCleanupBefore && (this.deps.settings().cleanupMode === 'beforeEveryJob' || this.needsCleanup)) {
          await this.sweep(`before ${label.toLowerCase()}`);
        }
      }
      const result = await work(this.contextFor(signal));
      if (flags.sweepAfter) await this.sweep(`after ${label.toLowerCase()}`);
      if (this.pending <= 1) this.setState(this.restingState());
      return result;
    } catch (err) {
      const error =
        err instanceof CameraError
          ? err
          : signal.aborted
            ? new CameraError('cancelled', `${label} was cancelled.`)
            : toCameraError(err, `${label} failed`);
      if (CLEANUP_AFTER.has(error.kind)) this.needsCleanup = true;
      this.deps.log(error.kind === 'cancelled' ? 'info' : 'error', `${label}: ${error.message}`);
      this.setState({ kind: 'error', job, error });
      throw error;
    }
  }

  /** The state between jobs: which holder keeps the camera, if any. */
  private restingState(): ManagerState {
    const h = this.activeHolder;
    if (!h) return { kind: 'idle' };
    return h.kind === 'liveView' ? { kind: 'live', since: h.since } : { kind: 'tethering', since: h.since };
  }

  private contextFor(signal: AbortSignal): JobContext {
    const launcher = this.launcher;
    if (!launcher) throw new Error('JobQueue: no launcher (useLauncher was not called).');
    return {
      settings: this.deps.settings(),
      signal,
      run: (label, args, timeoutMs, watch, judgement) => launcher.run(label, args, timeoutMs, signal, watch, judgement),
      start: (label, args, options) => launcher.start(label, args, options),
      log: this.deps.log,
    };
  }

  /** The one place the manager's state changes. */
  private setState(state: ManagerState): void {
    this.currentState = state;
    this.deps.onState(state);
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
