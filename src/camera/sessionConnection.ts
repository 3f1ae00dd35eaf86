/**
 * The session connection: one long-lived `gphoto2 --shell` (ShellSession) that runs the one-shot
 * jobs' commands, so the USB claim, the PTP session and the card scan are paid once rather than per
 * job. It is the queue's: one job at a time uses it, and the queue closes it before a holder (live
 * view, the tether listener) or a command the shell cannot run starts its own process, on Cleanup,
 * after an idle period, and on dispose. A timeout or cancel ends it (gphoto2 cannot cancel one shell
 * command and keep the shell); the next job opens a new one.
 */
import { heldBy, isClaimFailure } from './claimFailure';
import { filesSignature, listDownloaded } from './downloadedFiles';
import { CameraError, toCameraError } from './errors';
import type { HolderStartOptions } from './gphoto2Launcher';
import { GPHOTO2_EVENT_DRAIN_MS, stopIfLingering, type JobWatch } from './lingerWatch';
import type { LogLevel, ManagerSettings } from './managerTypes';
import { delay, type CleanupReport } from './processReaper';
import type { RunningProcess, RunResult } from './processRunner';
import {
  commandFailed,
  getConfigBatches,
  listAllConfigText,
  parseConfigPaths,
  splitConfigBlocks,
  synthesiseRun,
  type ShellPlan,
} from './shellCommands';
import { MAX_LINE_BYTES, ShellSession, type ShellCommandResult } from './shellSession';
import { savedOutside } from './stagedFiles';

export interface SessionConnectionDeps {
  settings: () => ManagerSettings;
  /** Starts the session's gphoto2 (the launcher's start: the one ProcessRunner). */
  start: (job: string, args: string[], options: HolderStartOptions) => RunningProcess;
  sweep: (reason: string) => Promise<CleanupReport>;
  log: (level: LogLevel, message: string) => void;
}

const SESSION_LABEL = 'Camera session';
const FILE_POLL_MS = 25;
/** Files complete, as many as expected, unchanged this long: the exposure is in. */
const SETTLE_MS = 100;

export class SessionConnection {
  private session: ShellSession | undefined;
  /** What the open session was started with (program, camera, --keep): another value reopens it. */
  private key = '';
  /** A close in progress (idle, cleanup, a holder): the next command waits for it. */
  private closing: Promise<void> = Promise.resolve();
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: SessionConnectionDeps) {}

  /** A session is open (its gphoto2 runs and holds the camera). */
  get isOpen(): boolean {
    return this.session?.alive === true;
  }

  get pid(): number | undefined {
    return this.isOpen ? this.session?.pid : undefined;
  }

  /**
   * Runs a translated job in the session (opening one first when needed) and returns what one gphoto2
   * process would have printed. Throws a typed CameraError when the session could not open or ended
   * (timeout, cancel, gphoto2 exited).
   */
  async run(
    job: string,
    plan: ShellPlan,
    timeoutMs: number,
    signal: AbortSignal,
    watch?: JobWatch,
  ): Promise<RunResult> {
    this.cancelIdleClose();
    await this.closing;
    const started = performance.now();
    // One deadline for the whole job, opening included, as for one process (its start and connect count).
    const session = await this.ensureOpen(job, signal, timeoutMs);
    const deadline = started + timeoutMs;
    const remaining = (): number => Math.max(1, Math.round(deadline - performance.now()));
    const parts: Array<{ result: ShellCommandResult; failed: boolean }> = [];
    try {
      for (const step of plan.steps) {
        if (step.kind === 'listAllConfig') {
          parts.push(await listAllConfig(session, job, remaining, signal));
          continue;
        }
        if (step.kind === 'captureInWait') {
          const result = await this.captureInWait(session, job, step.localDir, remaining, signal, watch);
          parts.push({ result, failed: commandFailed(result) });
          await this.leaveFolder(session, job, remaining, signal);
          continue;
        }
        const options = {
          label: job,
          timeoutMs: remaining(),
          signal,
          localDir: step.localDir,
          onStdout: watch ? (t: string) => (watch.stdout += t) : undefined,
        };
        if (watch && step.localDir !== undefined) {
          const outcome = await this.watched(session, step.line, options, watch);
          if (typeof outcome === 'number') return this.lingered(job, outcome, watch, started);
          parts.push({ result: outcome, failed: commandFailed(outcome) });
          await this.leaveFolder(session, job, remaining, signal);
          continue;
        }
        const result = await session.run(step.line, options);
        parts.push({ result, failed: commandFailed(result) });
        if (step.localDir !== undefined) await this.leaveFolder(session, job, remaining, signal);
      }
    } catch (err) {
      if (!session.alive) {
        this.forget(session);
        const ended = await session.exited;
        this.deps.log(
          'info',
          `${job}: the camera session's gphoto2 ended (${ended.signal ? `signal ${ended.signal}` : `exit ${ended.exitCode}`}); the next job opens a new one.`,
        );
      }
      throw err;
    }
    const run = synthesiseRun(parts);
    return {
      ...run,
      timedOut: false,
      cancelled: false,
      command: 'gphoto2 --shell',
      args: parts.map((p) => p.result.line),
      pid: session.pid,
      durationMs: performance.now() - started,
      stoppedByRequest: false,
    };
  }

  /**
   * One exposure: SIGUSR1 armed at the prompt (gphoto2 keeps the request until an event wait reads
   * it), `wait-event-and-download` into `dir` (the wait captures at once and downloads the files),
   * then SIGUSR2 once the files are complete and quiet: the wait ends and the shell goes on. A
   * failed capture inside the wait (its error on stderr) ends the wait too; the run is judged as
   * usual. The wait is asked to last past the job's deadline, so a capture that never comes is the
   * job's timeout (the session ends), as for one process.
   */
  private async captureInWait(
    session: ShellSession,
    job: string,
    dir: string,
    remaining: () => number,
    signal: AbortSignal,
    watch: JobWatch | undefined,
  ): Promise<ShellCommandResult> {
    let waiting = false;
    let ended = false;
    let finished = false;
    const endWait = (): void => {
      if (waiting && !ended && !finished && session.alive && !signal.aborted) ended = session.endWait();
    };
    const run = session.run(`wait-event-and-download ${remaining() + 1000}ms`, {
      label: job,
      timeoutMs: remaining(),
      signal,
      localDir: dir,
      onStdout: watch ? (t: string) => (watch.stdout += t) : undefined,
      onStderr: (t: string) => {
        // Not the driver's own marker (`ERROR: Could not change to local directory '/dev/null/...`).
        if (t.includes('*** Error') || (t.includes('ERROR: ') && !t.includes('/dev/null/'))) endWait();
      },
      beforeLine: () => {
        waiting = session.captureInWait();
      },
    });
    const settled = run.then(
      () => (finished = true),
      () => (finished = true),
    );
    let signature = '';
    let quietSince = performance.now();
    while (!finished && !ended && !signal.aborted) {
      await Promise.race([settled, delay(FILE_POLL_MS)]);
      if (finished) break;
      // Files gphoto2 says it saved elsewhere count too (the job rescues them and says where they went).
      const files = [...(await listDownloaded(dir)), ...(watch ? await savedOutside(watch.stdout, dir) : [])];
      const now = performance.now();
      const sig = filesSignature(files);
      if (sig !== signature) {
        signature = sig;
        quietSince = now;
        continue;
      }
      if (files.length === 0 || !files.every((f) => f.complete)) continue;
      // As many files as the last exposure gave: done. Else gphoto2's own rule: no new file for 3 s.
      const asExpected = watch?.expectedFiles !== undefined && files.length >= watch.expectedFiles;
      if (now - quietSince >= (asExpected ? SETTLE_MS : GPHOTO2_EVENT_DRAIN_MS)) endWait();
    }
    return run;
  }

  /**
   * Back to `/` after a download: a session must not keep the job's folder as its working folder
   * (that folder is removed, and it would keep the output volume busy: no unmount, no remount).
   */
  private async leaveFolder(
    session: ShellSession,
    job: string,
    remaining: () => number,
    signal: AbortSignal,
  ): Promise<void> {
    if (session.alive) await session.run('lcd /', { label: job, timeoutMs: remaining(), signal });
  }

  /** Leaves the shell (`exit`; stopped if it lingers); resolves once gphoto2 has exited. */
  close(reason: string): Promise<void> {
    this.cancelIdleClose();
    const session = this.session;
    if (!session) return this.closing;
    this.forget(session);
    const previous = this.closing;
    this.closing = (async () => {
      await previous;
      const r = await session.close();
      this.deps.log(
        'info',
        `${SESSION_LABEL}: closed ${reason} (${r.stoppedByRequest ? 'stopped' : `exit ${r.exitCode ?? r.signal}`}).`,
      );
    })();
    return this.closing;
  }

  /** Closes the session after `ms` without a job, then calls `then` (the queue frees the camera lock). */
  closeWhenIdle(ms: number, then: () => Promise<void>): void {
    this.cancelIdleClose();
    if (!this.isOpen) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      void this.close(`after ${Math.round(ms / 1000)} s without a job`).then(then, then);
    }, ms);
    // An idle session must not keep a test or a CLI alive; dispose closes it anyway.
    this.idleTimer.unref();
  }

  cancelIdleClose(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  private forget(session: ShellSession): void {
    if (this.session === session) {
      this.session = undefined;
      this.key = '';
    }
  }

  private sessionKey(settings: ManagerSettings): string {
    const { program, selection, keepOnCamera } = settings;
    return JSON.stringify([
      program.command,
      program.prefixArgs,
      program.env,
      selection.model,
      selection.port,
      keepOnCamera,
    ]);
  }

  /** The open session, or a new one (after one cleanup-and-retry when the camera could not be claimed). */
  private async ensureOpen(job: string, signal: AbortSignal, timeoutMs: number): Promise<ShellSession> {
    const settings = this.deps.settings();
    const key = this.sessionKey(settings);
    if (this.session && (!this.session.alive || this.key !== key)) {
      await this.close(this.session.alive ? 'to use the changed settings' : 'after it ended');
    }
    if (this.session) return this.session;
    let opened: ShellSession;
    try {
      opened = await this.open(job, signal, timeoutMs);
    } catch (err) {
      const error = err instanceof CameraError ? err : toCameraError(err, `${job} failed`);
      if (!isClaimFailure(error) || signal.aborted) throw error;
      const report = await this.deps.sweep('after a failed claim');
      if (report.others.length > 0) throw heldBy(job, error, report.others);
      this.deps.log('warn', `${job}: the camera could not be claimed; cleaning up and trying once more.`);
      try {
        opened = await this.open(job, signal, timeoutMs);
      } catch (again) {
        if (again instanceof CameraError && isClaimFailure(again) && !signal.aborted) {
          const second = await this.deps.sweep('after a second failed claim');
          if (second.others.length > 0) throw heldBy(job, again, second.others);
        }
        throw again;
      }
    }
    this.session = opened;
    this.key = key;
    return opened;
  }

  private open(job: string, signal: AbortSignal, timeoutMs: number): Promise<ShellSession> {
    const settings = this.deps.settings();
    return ShellSession.open({
      start: (args, options) => this.deps.start(SESSION_LABEL, args, options),
      selection: settings.selection,
      keep: settings.keepOnCamera,
      timeoutMs,
      signal,
      label: job,
      log: this.deps.log,
      closeTimeoutMs: settings.graceMs + settings.lingerMs,
    });
  }

  /**
   * A download command with the linger watch of one-process runs: when its files are complete and
   * quiet past gphoto2's own wait but it does not come back to the prompt, the session is ended (a
   * shell command cannot be interrupted otherwise) and the files are judged. Returns the result, or
   * the lingered time.
   */
  private async watched(
    session: ShellSession,
    line: string,
    options: Parameters<ShellSession['run']>[1],
    watch: JobWatch,
  ): Promise<ShellCommandResult | number> {
    const command = session.run(line, options);
    const settled = command.then(
      () => undefined,
      () => undefined,
    );
    const child = {
      result: settled.then(() => ({}) as RunResult),
      stop: async (): Promise<RunResult> => session.terminate(),
    };
    // gphoto2's own wait for more files after a capture (up to 3 s) is no linger here: it ends at the
    // prompt, and ending the session to save it would cost a reconnect. Past that wait it lingers.
    const watcher = stopIfLingering(child, watch, this.deps.settings().lingerMs + GPHOTO2_EVENT_DRAIN_MS);
    try {
      const result = await command;
      await watcher.stop();
      return result;
    } catch (err) {
      const lingeredMs = await watcher.stop();
      if (lingeredMs !== undefined) return lingeredMs;
      throw err;
    }
  }

  private lingered(job: string, lingeredMs: number, watch: JobWatch, started: number): RunResult {
    this.deps.log(
      'warn',
      `${job}: gphoto2 kept the session busy ${Math.round(lingeredMs)} ms after its files were complete; the session was ended so the camera is free (the next job opens a new one).`,
    );
    if (this.session && !this.session.alive) this.forget(this.session);
    return {
      stdout: watch.stdout,
      stderr: '',
      exitCode: 0,
      timedOut: false,
      cancelled: false,
      command: 'gphoto2 --shell',
      args: [],
      durationMs: performance.now() - started,
      stoppedByRequest: true,
    };
  }
}

/**
 * `--list-all-config` in a shell: `list-config`, then every path's block, several paths per
 * `get-config` (the shell stops a `get-config` at the first name that fails: such a batch is read
 * again one name at a time, and a name that still fails is left out, as gphoto2 leaves out what it
 * cannot read).
 */
async function listAllConfig(
  session: ShellSession,
  job: string,
  remaining: () => number,
  signal: AbortSignal,
): Promise<{ result: ShellCommandResult; failed: boolean }> {
  const options = (): { label: string; timeoutMs: number; signal: AbortSignal } => ({
    label: job,
    timeoutMs: remaining(),
    signal,
  });
  const listed = await session.listConfig(options());
  if (commandFailed(listed)) return { result: listed, failed: true };
  const blocks: Array<{ path: string; block: string }> = [];
  let stderr = listed.stderr;
  for (const batch of getConfigBatches(parseConfigPaths(listed.stdout), MAX_LINE_BYTES)) {
    const r = await session.getConfig(batch, options());
    const found = splitConfigBlocks(r.stdout);
    if (!commandFailed(r) && found.length === batch.length) {
      batch.forEach((p, i) => blocks.push({ path: p, block: found[i] }));
      continue;
    }
    for (const p of batch) {
      const one = await session.getConfig([p], options());
      const block = splitConfigBlocks(one.stdout)[0];
      if (!commandFailed(one) && block !== undefined) blocks.push({ path: p, block });
      else stderr += one.stderr;
    }
  }
  return {
    result: { ...listed, line: 'list-all-config', stdout: listAllConfigText(blocks), stderr, errors: [], failures: [] },
    failed: false,
  };
}
