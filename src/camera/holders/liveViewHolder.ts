/**
 * Live view: one long-running `--capture-movie --stdout` child whose MJPEG stream is split into
 * frames. Jobs pause it (SIGINT, so the camera leaves live view; wait for exit) and it resumes by
 * itself when the queue is empty.
 */
import { CameraError } from '../errors';
import * as gp from '../gphoto2';
import { JpegSplitter } from '../jpegSplitter';
import type { JobContext } from '../jobs/jobContext';
import type { LiveFrame, LiveViewStatus, LogLevel } from '../managerTypes';
import { delay } from '../processReaper';
import type { RunningProcess } from '../processRunner';
import type { CameraHolder, HolderFailure } from './holder';

export interface LiveViewEvents {
  frame: (frame: LiveFrame) => void;
  status: (status: LiveViewStatus) => void;
  failed: HolderFailure;
  log: (level: LogLevel, message: string) => void;
}

interface Stream {
  child: RunningProcess;
  splitter: JpegSplitter;
  since: number;
  lastFrameAt: number;
  nextDue: number;
  watchdog: NodeJS.Timeout;
}

export class LiveViewHolder implements CameraHolder {
  readonly kind = 'liveView' as const;
  private isWanted = false;
  private stream: Stream | undefined;
  private frames = 0;
  private capped = 0;
  private startedAt = 0;

  constructor(
    private readonly events: LiveViewEvents,
    private readonly maxFps: () => number,
  ) {}

  get wanted(): boolean {
    return this.isWanted;
  }

  get running(): boolean {
    return this.stream !== undefined;
  }

  get since(): number {
    return this.startedAt;
  }

  want(): void {
    this.isWanted = true;
  }

  unwant(): void {
    this.isWanted = false;
  }

  dispose(): void {
    if (this.stream) clearInterval(this.stream.watchdog);
  }

  /** Spawns the stream and waits for its first frame (or its failure). Runs inside a queued job. */
  async start(ctx: JobContext): Promise<void> {
    try {
      await this.open(ctx);
    } catch (err) {
      this.isWanted = false;
      const error = err instanceof CameraError ? err : new CameraError('failed', `Live view: ${String(err)}`);
      this.events.status(this.status(false, error));
      throw error;
    }
  }

  /** SIGINT (the camera leaves live view), escalate after the grace period, wait for exit. */
  async pause(reason: string): Promise<void> {
    const s = this.stream;
    if (!s) return;
    this.stream = undefined;
    clearInterval(s.watchdog);
    const t = performance.now();
    const r = await s.child.stop('SIGINT');
    this.events.log(
      'info',
      `Live view ${reason}: ${this.frames} frames; gphoto2 exited in ${Math.round(performance.now() - t)} ms (${r.signal ? `signal ${r.signal}` : `exit ${r.exitCode}`}).`,
    );
    this.events.status(this.status(false));
  }

  private status(running: boolean, error?: CameraError): LiveViewStatus {
    return {
      running,
      frames: this.frames,
      capped: this.capped,
      truncated: this.stream?.splitter.stats.truncated ?? 0,
      error,
    };
  }

  private async open(ctx: JobContext): Promise<void> {
    if (!this.isWanted || this.stream) return;
    const { selection, timeouts, program } = ctx.settings;
    const child = ctx.start('Live view', gp.captureMovieArgs(selection), { killSignal: 'SIGINT', streamStdout: true });
    let firstFrame!: () => void;
    const gotFirst = new Promise<void>((resolve) => (firstFrame = resolve));
    const now = performance.now();
    const splitter = new JpegSplitter((data) => this.onFrame(child, data, firstFrame));
    child.stdout?.on('data', (chunk: Buffer) => splitter.push(chunk));
    const stallMs = timeouts.previewMs;
    const watchdog = setInterval(
      () => {
        const s = this.stream;
        if (s && s.child === child && performance.now() - s.lastFrameAt > stallMs)
          void this.fail(
            child,
            new CameraError(
              'timeout',
              `Live view stopped: no frame from the camera for ${Math.round(stallMs / 1000)} s. Run Cleanup and start live view again; check the camera is awake.`,
            ),
          );
      },
      Math.min(1000, stallMs),
    );
    this.frames = 0;
    this.capped = 0;
    this.startedAt = Date.now();
    this.stream = { child, splitter, since: this.startedAt, lastFrameAt: now, nextDue: 0, watchdog };
    // An exit we did not ask for (camera unplugged, live view unsupported) ends live view with an error.
    void child.result.then((r) => {
      clearInterval(watchdog);
      if (this.stream?.child !== child) return;
      this.stream = undefined;
      this.isWanted = false;
      const error =
        gp.classifyOutcome(r, { job: 'Live view', command: program.command, timeoutMs: 0 }) ??
        new CameraError(
          'unsupported',
          `Live view ended: the camera sent ${this.frames} frame${this.frames === 1 ? '' : 's'} and stopped. It may not support live view over USB.`,
          { stderrTail: gp.outputTail(r.stderr, 6) },
        );
      this.events.status(this.status(false, error));
      this.events.failed(this, error);
    });
    const outcome = await Promise.race([
      gotFirst.then(() => 'frame' as const),
      child.result.then(() => 'exited' as const),
      delay(timeouts.previewMs).then(() => 'timeout' as const),
      new Promise<'aborted'>((resolve) =>
        ctx.signal.addEventListener('abort', () => resolve('aborted'), { once: true }),
      ),
    ]);
    if (outcome === 'frame') {
      ctx.log('info', `Live view running (first frame after ${Math.round(performance.now() - now)} ms).`);
      this.events.status(this.status(true));
      return;
    }
    if (outcome === 'exited') {
      const r = await child.result;
      throw (
        gp.classifyOutcome(r, { job: 'Live view', command: program.command, timeoutMs: 0 }) ??
        new CameraError(
          'unsupported',
          'Live view is not possible: the camera sent no frames. It may not support live view over USB.',
          { stderrTail: gp.outputTail(r.stderr, 6) },
        )
      );
    }
    await this.pause(outcome);
    throw outcome === 'aborted'
      ? new CameraError('cancelled', 'Live view was cancelled.')
      : new CameraError(
          'timeout',
          `Live view did not start: no frame within ${Math.round(timeouts.previewMs / 1000)} s. Run Cleanup and try again.`,
        );
  }

  private onFrame(child: RunningProcess, data: Buffer, firstFrame: () => void): void {
    const s = this.stream;
    if (!s || s.child !== child) return;
    const t = performance.now();
    s.lastFrameAt = t;
    this.frames++;
    firstFrame();
    // The cap keeps a schedule (not "time since the last frame"), so a camera that sends exactly
    // the capped rate with jitter is not thinned out; at most one frame of credit is banked.
    const cap = this.maxFps();
    if (cap > 0) {
      const interval = 1000 / cap;
      if (s.nextDue === 0) s.nextDue = t;
      if (t < s.nextDue - interval / 2) {
        this.capped++;
        return;
      }
      s.nextDue = Math.max(s.nextDue + interval, t - interval);
    }
    this.events.frame({ seq: this.frames, data, receivedAt: Date.now() });
  }

  private async fail(child: RunningProcess, error: CameraError): Promise<void> {
    if (this.stream?.child !== child) return;
    this.isWanted = false;
    await this.pause('stalled');
    this.events.status(this.status(false, error));
    this.events.failed(this, error);
  }
}
