/**
 * Tethered mode: one long-running `gphoto2 --capture-tethered` that downloads every picture taken
 * with the body's shutter (or a cable release) into a staging folder. Each exposure's files (RAW+JPEG
 * share a camera base name) are verified and committed like an app capture. An app capture while
 * listening is taken inside the listener (SIGUSR1, gphoto2 >= 2.5.28), so the camera is never let go.
 * Paused for other jobs (SIGUSR2: the wait ends after the current download), it checks the card when
 * it starts again, so a picture taken while it was paused is downloaded too.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import { listDownloaded, type DownloadedFile } from '../downloadedFiles';
import { CameraError, toCameraError } from '../errors';
import * as gp from '../gphoto2';
import { afterFailedCapture } from '../jobs/captureRescue';
import type { JobContext } from '../jobs/jobContext';
import type { CaptureRequest, ExposureSink, LogLevel, TetherStatus } from '../managerTypes';
import { delay } from '../processReaper';
import { catchesSignal } from '../processIdentity';
import type { RunningProcess } from '../processRunner';
import { CardMemory, type FoundOnCard } from './cardMemory';
import { groupByExposure } from './exposureFiles';
import type { CameraHolder, HolderFailure } from './holder';

const SCAN_MS = 25;
/** With no known file count per exposure, a file waits this long for its RAW/JPEG partner. */
const PARTNER_WAIT_MS = 1000;
const MIN_VERSION = [2, 5, 28] as const;

export interface TetherEvents {
  status: (status: TetherStatus) => void;
  failed: HolderFailure;
  log: (level: LogLevel, message: string) => void;
  /** Pictures taken while the listener was paused, found on the card (downloaded: true) or left there. */
  foundOnCard: (found: FoundOnCard) => void;
}

/** What the listener needs from the manager: where body exposures go and what one exposure looks like. */
export interface TetherOptions {
  sink: () => ExposureSink<unknown> | undefined;
  /** Files per exposure learned from earlier captures (RAW+JPEG: 2), if known. */
  expectedFiles: () => number | undefined;
  learnedFiles: (count: number) => void;
}

interface AppCapture {
  request: CaptureRequest<unknown>;
  /** Its own staging folder (made by the request, which checks the next frame can be named). */
  dir: string;
  resolve: (value: unknown) => void;
  reject: (error: CameraError) => void;
}

interface Listening {
  child: RunningProcess;
  dir: string;
  stderr: string;
  /** When each file name was first seen (its exposure is committed in that order). */
  firstSeen: Map<string, number>;
  /** Each file's size at the previous scan: a file still growing is not committed. */
  sizes: Map<string, number>;
  timer: NodeJS.Timeout;
  /** pause() asked it to stop: its exit is not a failure. */
  stopping: boolean;
  /** gphoto2's SIGUSR1 handler is installed (seen in /proc): app captures can go through it. */
  signalReady: boolean;
}

export class TetherListener implements CameraHolder {
  readonly kind = 'tether' as const;
  private isWanted = false;
  private listening: Listening | undefined;
  private startedAt = 0;
  private exposures = 0;
  /** Scans (and so commits) run one at a time, in order; pause's final scan waits for the one running. */
  private scanChain: Promise<void> = Promise.resolve();
  private scanBusy = false;
  private readonly appCaptures: AppCapture[] = [];
  private readonly card = new CardMemory();
  private checkedVersionOf: string | undefined;

  constructor(
    private readonly events: TetherEvents,
    private readonly options: TetherOptions,
  ) {}

  get wanted(): boolean {
    return this.isWanted;
  }

  get running(): boolean {
    return this.listening !== undefined;
  }

  get since(): number {
    return this.startedAt;
  }

  /** An app capture can be taken inside the listener right now (no pause). */
  get canCapture(): boolean {
    return this.listening?.signalReady === true;
  }

  status(error?: CameraError): TetherStatus {
    return { running: this.running, wanted: this.isWanted, exposures: this.exposures, error };
  }

  want(): void {
    if (!this.isWanted) {
      this.exposures = 0;
      this.card.forget();
    }
    this.isWanted = true;
  }

  unwant(): void {
    this.isWanted = false;
  }

  dispose(): void {
    if (this.listening) clearInterval(this.listening.timer);
  }

  async start(ctx: JobContext): Promise<void> {
    try {
      await this.open(ctx);
    } catch (err) {
      this.isWanted = false;
      const error = err instanceof CameraError ? err : toCameraError(err, 'Tethered mode');
      this.events.status(this.status(error));
      throw error;
    }
  }

  /** Ends the wait (SIGUSR2: after the current download), commits what arrived, frees the camera. */
  async pause(reason: string): Promise<void> {
    const l = this.listening;
    if (!l) return;
    const t = performance.now();
    l.stopping = true;
    const r = await l.child.stop('SIGUSR2');
    clearInterval(l.timer);
    await this.scan(l, true);
    this.listening = undefined;
    this.rejectAppCaptures(
      new CameraError(
        'cancelled',
        'Capture was cancelled: tethered mode stopped before the camera delivered the image.',
      ),
    );
    await this.removeStaging(l.dir);
    this.events.log(
      'info',
      `Tethered mode ${reason}: ${this.exposures} exposure(s) so far; gphoto2 exited in ${Math.round(performance.now() - t)} ms (${r.signal ? `signal ${r.signal}` : `exit ${r.exitCode}`}).`,
    );
    this.events.status(this.status());
  }

  /**
   * An app capture (or test capture) taken inside the running listener: SIGUSR1 makes gphoto2
   * capture, and the next exposure that arrives is this request's. Runs inside a queued job.
   */
  async capture<T>(request: CaptureRequest<T>, ctx: JobContext): Promise<T> {
    const l = this.listening;
    if (!l) throw new CameraError('failed', 'Capture failed: tethered mode is not listening. Try again.');
    const label = request.job === 'capture' ? 'Capture' : 'Test capture';
    const timeoutMs = ctx.settings.timeouts.captureMs;
    const dir = await request.makeStagingDir();
    return new Promise<T>((resolve, reject) => {
      const entry: AppCapture = {
        request: request as CaptureRequest<unknown>,
        dir,
        resolve: (v) => finish(() => resolve(v as T)),
        reject: (e) => finish(() => reject(e)),
      };
      const drop = (error: CameraError): void => {
        const i = this.appCaptures.indexOf(entry);
        if (i >= 0) this.appCaptures.splice(i, 1);
        entry.reject(error);
      };
      const timer = setTimeout(
        () =>
          drop(
            new CameraError(
              'timeout',
              `${label} failed: the camera delivered no image within ${Math.round(timeoutMs / 1000)} s of the capture signal. Check focus (autofocus may refuse to fire), the card and the battery, then try again.`,
            ),
          ),
        timeoutMs,
      );
      const onAbort = (): void => drop(new CameraError('cancelled', `${label} was cancelled.`));
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      let done = false;
      const finish = (settle: () => void): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        ctx.signal.removeEventListener('abort', onAbort);
        void fs
          .rm(dir, { recursive: true, force: true })
          .catch(() => undefined)
          .then(settle);
      };
      this.appCaptures.push(entry);
      ctx.log('info', `${label}: SIGUSR1 to the tethered gphoto2 (pid ${l.child.pid ?? '?'}).`);
      if (!l.child.notify('SIGUSR1'))
        drop(new CameraError('failed', `${label} failed: tethered mode had just stopped. Try again.`));
    });
  }

  private async open(ctx: JobContext): Promise<void> {
    if (!this.isWanted || this.listening) return;
    const sink = this.options.sink();
    if (!sink) throw new CameraError('failed', 'Tethered mode cannot start: no roll to capture into.');
    await this.checkVersion(ctx);
    const { selection, keepOnCamera, timeouts } = ctx.settings;
    const found = await this.card.collect(ctx, sink, (group, dir) => this.commitGroup(group, sink, dir, ctx.log));
    if (found) this.events.foundOnCard(found);
    const dir = await sink.makeStagingDir();
    const child = ctx.start('Tethered mode', gp.captureTetheredArgs(selection, dir, keepOnCamera), {
      // gphoto2 downloads into tmpfileXXXXXX in its working folder: keep that in the staging folder.
      cwd: dir,
      // Output arrives after `listening` is set below (pipes deliver on a later tick).
      onStderrText: (text) => {
        if (this.listening?.child === child) this.onStderr(this.listening, text);
      },
    });
    const l: Listening = {
      child,
      dir,
      stderr: '',
      firstSeen: new Map(),
      sizes: new Map(),
      timer: setInterval(() => void this.scan(l, false), SCAN_MS),
      stopping: false,
      signalReady: false,
    };
    this.listening = l;
    this.startedAt = Date.now();
    void child.result.then((r) => this.onExit(l, r, ctx.settings.program.command));
    // gphoto2 block-buffers stdout into a pipe: its "Waiting for events" line only comes out with the
    // first download, so it cannot mark readiness. What can: gphoto2's main() installs its SIGUSR1
    // handler first thing, and a SIGUSR1 caught before the wait loop runs is taken when it starts.
    // Where the handler cannot be seen (no /proc), app captures pause the listener instead.
    const started = performance.now();
    for (;;) {
      if (this.listening !== l) {
        const r = await child.result;
        throw (
          gp.classifyOutcome(r, { job: 'Tethered mode', command: ctx.settings.program.command, timeoutMs: 0 }) ??
          new CameraError('failed', `Tethered mode did not start: gphoto2 exited${gp.describeFailureLine(r)}.`, {
            stderrTail: gp.outputTail(r.stderr, 6),
          })
        );
      }
      // Both handlers: gphoto2 installs them together, and a Node program (the simulator) has a
      // SIGUSR1 handler of Node's own from its first instant.
      const caught = child.pid === undefined ? undefined : handlersInstalled(child.pid);
      if (caught !== false) {
        l.signalReady = caught === true;
        break;
      }
      if (ctx.signal.aborted || performance.now() - started > timeouts.commandMs) {
        await this.pause(ctx.signal.aborted ? 'cancelled' : 'not started');
        throw ctx.signal.aborted
          ? new CameraError('cancelled', 'Tethered mode was cancelled.')
          : new CameraError(
              'timeout',
              `Tethered mode did not start: gphoto2 was not ready within ${Math.round(timeouts.commandMs / 1000)} s. Run Cleanup and try again.`,
            );
      }
      await Promise.race([delay(5), child.result]);
    }
    ctx.log('info', `Tethered mode listening (gphoto2 pid ${child.pid ?? '?'}).`);
    this.events.status(this.status());
  }

  /** gphoto2 before 2.5.28 cannot capture inside the wait (SIGUSR1): say so instead of failing later. */
  private async checkVersion(ctx: JobContext): Promise<void> {
    const command = ctx.settings.program.command;
    if (this.checkedVersionOf === command) return;
    const r = await ctx.run('gphoto2 --version', gp.versionArgs(), ctx.settings.timeouts.commandMs);
    const version = gp.parseVersion(r.stdout).gphoto2;
    const parts = version.split('.').map((n) => Number.parseInt(n, 10));
    const older = MIN_VERSION.findIndex((m, i) => (parts[i] ?? 0) !== m);
    if (older >= 0 && (parts[older] ?? 0) < MIN_VERSION[older]) {
      throw new CameraError(
        'unsupported',
        `Tethered mode needs gphoto2 ${MIN_VERSION.join('.')} or newer (this is gphoto2 ${version}): older versions cannot take a capture while waiting for the camera. Update gphoto2 (Debian 12 and Ubuntu 24.04 ship 2.5.28).`,
        {},
        ['showLog'],
      );
    }
    this.checkedVersionOf = command;
  }

  private onStderr(l: Listening, text: string): void {
    l.stderr = keepTail(l.stderr + text);
    // gphoto2's wait loop ignores a failed SIGUSR1 capture; libgphoto2 prints the error.
    if (this.appCaptures.length > 0 && gp.parseErrors(l.stderr).length > 0) {
      const said = gp.parseErrors(l.stderr)[0];
      l.stderr = '';
      this.rejectAppCaptures(
        new CameraError(
          'failed',
          `Capture failed: the camera did not take the picture (gphoto2: "${said.message}"). Check focus (autofocus may refuse to fire), the card and the battery, then try again.`,
          { gphoto2Code: said.code },
        ),
      );
    }
  }

  private rejectAppCaptures(error: CameraError): void {
    for (const a of this.appCaptures.splice(0)) a.reject(error);
  }

  /** Groups complete files into exposures and commits those whose files have all arrived. */
  private scan(l: Listening, final: boolean): Promise<void> {
    if (this.scanBusy && !final) return this.scanChain;
    this.scanBusy = true;
    const run = this.scanChain.then(() => this.scanOnce(l, final));
    this.scanChain = run.then(
      () => void (this.scanBusy = false),
      (err: unknown) => {
        this.scanBusy = false;
        this.events.log('error', `Tethered mode: ${(err as Error).message}`);
      },
    );
    return this.scanChain;
  }

  private async scanOnce(l: Listening, final: boolean): Promise<void> {
    {
      const all = await listDownloaded(l.dir);
      const now = performance.now();
      for (const f of all) if (!l.firstSeen.has(f.path)) l.firstSeen.set(f.path, now);
      // gphoto2 renames a finished download into place, but a file that still grows (another writer,
      // a simulator writing in place) is not trusted until one scan saw it at the same size.
      const growing = all.some((f) => l.sizes.get(f.path) !== f.bytes);
      l.sizes = new Map(all.map((f) => [f.path, f.bytes]));
      // A download in progress may be the partner of any exposure (its temp file has no camera name).
      const downloading = all.some((f) => !f.complete) || (growing && !final);
      const expected = this.options.expectedFiles();
      const seen = (g: DownloadedFile[]): number[] => g.map((f) => l.firstSeen.get(f.path) ?? now);
      const groups = groupByExposure(all.filter((f) => f.complete)).sort(
        (a, b) => Math.min(...seen(a)) - Math.min(...seen(b)),
      );
      for (const group of groups) {
        // All its files are here (as many as the last exposure had), or none came for a while: each
        // exposure waits on its own, so a burst of presses never holds back the first of them.
        const complete = expected !== undefined && group.length >= expected;
        const waitedMs = now - Math.max(...seen(group));
        const ready = final || (!downloading && (complete || waitedMs >= PARTNER_WAIT_MS));
        if (!ready) break; // keep exposures in order
        const sink = this.options.sink();
        const app = this.appCaptures.shift();
        const target: ExposureSink<unknown> | undefined = app?.request ?? sink;
        if (!target) break;
        await this.commitGroup(group, target, app?.dir ?? l.dir, this.events.log, app !== undefined).then(
          (result) => {
            for (const f of group) l.firstSeen.delete(f.path);
            this.options.learnedFiles(group.length);
            for (const f of group) this.card.noteDownloaded(path.basename(f.path));
            if (app) app.resolve(result);
            else this.exposures++;
            this.events.status(this.status());
          },
          (err: unknown) => {
            const error = err instanceof CameraError ? err : toCameraError(err, 'Tethered mode');
            if (app) app.reject(error);
            else this.events.log('error', `Tethered mode: ${error.message}`);
          },
        );
      }
    }
  }

  /**
   * The listener's staging folder once its gphoto2 has exited and every complete exposure is
   * committed: removed, unless a file is left (an incomplete download of a killed gphoto2), which
   * stays for the start-up recovery to keep. gphoto2's own unfinished tmpfile is never a picture.
   */
  private async removeStaging(dir: string): Promise<void> {
    const left = (await listDownloaded(dir)).filter((f) => !/^tmpfile/.test(path.basename(f.path)));
    if (left.length === 0) await fs.rm(dir, { recursive: true, force: true }).catch(() => undefined);
    else this.events.log('warn', `Tethered mode: ${left.length} file(s) left in ${dir}; they are kept there.`);
  }

  /** `ownDir`: `dir` is already this exposure's own empty folder (an app capture's staging folder). */
  private async commitGroup(
    group: DownloadedFile[],
    sink: ExposureSink<unknown>,
    dir: string,
    log: (level: LogLevel, message: string) => void,
    ownDir = false,
  ): Promise<unknown> {
    // Each exposure gets its own folder, so the sink commits exactly these files.
    const own = ownDir ? dir : await fs.mkdtemp(path.join(dir, '.exposure-'));
    const moved: DownloadedFile[] = [];
    for (const f of group) {
      const to = path.join(own, path.basename(f.path));
      await fs.rename(f.path, to);
      moved.push({ ...f, path: to });
    }
    try {
      return await sink.commit(moved);
    } catch (err) {
      const error = err instanceof CameraError ? err : toCameraError(err, 'Tethered capture failed');
      const failure = await afterFailedCapture(error, own, sink, log);
      throw failure.error;
    } finally {
      await fs.rm(own, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  private async onExit(l: Listening, r: { exitCode?: number; signal?: string }, command: string): Promise<void> {
    if (this.listening !== l || l.stopping) return;
    // An exit nobody asked for (camera unplugged, no event support): keep what arrived, then report.
    clearInterval(l.timer);
    await this.scan(l, true);
    if (this.listening !== l || l.stopping) return;
    this.listening = undefined;
    this.isWanted = false;
    const result = await l.child.result;
    const error =
      gp.classifyOutcome(result, { job: 'Tethered mode', command, timeoutMs: 0 }) ??
      new CameraError(
        'failed',
        `Tethered mode stopped: gphoto2 stopped waiting for the camera${gp.describeFailureLine(result)}. Check the cable and that the camera is on, then turn tethered mode on again.`,
        { stderrTail: gp.outputTail(result.stderr, 6) },
      );
    this.rejectAppCaptures(error);
    await this.removeStaging(l.dir);
    this.events.status(this.status(error));
    this.events.failed(this, error);
    void r;
  }
}

/** SIGUSR1 and SIGUSR2 both caught (true), not yet (false), or unknowable here (undefined). */
function handlersInstalled(pid: number): boolean | undefined {
  const usr1 = catchesSignal(pid, 'SIGUSR1');
  const usr2 = catchesSignal(pid, 'SIGUSR2');
  return usr1 === undefined || usr2 === undefined ? undefined : usr1 && usr2;
}

/** gphoto2's output is only read for markers near its end: keep it bounded over a long session. */
function keepTail(text: string): string {
  return text.length > 64 * 1024 ? text.slice(-32 * 1024) : text;
}
