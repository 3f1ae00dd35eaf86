/**
 * Starts gphoto2 for the queue's jobs and holders: logs the command line and the outcome, watches
 * for a gphoto2 that lingers after its work, and retries once after cleanup when the camera could
 * not be claimed (a leftover gphoto2 held it).
 */
import { CameraError } from './errors';
import * as gp from './gphoto2';
import { stopIfLingering, type JobWatch } from './lingerWatch';
import type { ManagerSettings, LogLevel } from './managerTypes';
import { describeHolders, type CleanupReport, type Holder } from './processReaper';
import type { ProcessRunner, RunningProcess, RunOptions, RunResult } from './processRunner';
import { emptyDir } from './stagedFiles';

export interface RunJudgement {
  /**
   * false: a run that ended by itself with exit code 0 is returned as it is, even when gphoto2
   * printed an `*** Error ***` block (a refused `--set-config` exits 0 and still prints the
   * `--get-config` read-backs that follow it: the settings jobs judge those themselves). Runs that
   * failed otherwise (exit code, timeout, cancel, not started, no claim) still throw.
   */
  judgeOutput?: boolean;
}

export interface LauncherDeps {
  runner: ProcessRunner;
  settings: () => ManagerSettings;
  /** Kill-and-wait cleanup of stray camera processes (the queue's sweep). */
  sweep: (reason: string) => Promise<CleanupReport>;
  log: (level: LogLevel, message: string) => void;
}

export class Gphoto2Launcher {
  constructor(private readonly deps: LauncherDeps) {}

  /**
   * Runs gphoto2 once (twice if the first run could not claim the camera: clean up, then retry),
   * waits for it to exit, and returns its output or a typed error.
   */
  async run(
    job: string,
    args: string[],
    timeoutMs: number,
    signal: AbortSignal,
    watch?: JobWatch,
    judgement: RunJudgement = {},
  ): Promise<RunResult> {
    const command = this.deps.settings().program.command;
    let result = await this.runOnce(job, args, timeoutMs, signal, watch);
    let error = gp.classifyOutcome(result, { job, command, timeoutMs });
    if (isClaimFailure(error) && !signal.aborted) {
      const report = await this.deps.sweep('after a failed claim');
      // A program that is not ours to stop holds the camera: retrying cannot help; name it.
      if (report.others.length > 0) throw heldBy(job, error, report.others);
      this.deps.log('warn', `${job}: the camera could not be claimed; cleaning up and trying once more.`);
      if (watch) await emptyDir(watch.dir);
      result = await this.runOnce(job, args, timeoutMs, signal, watch);
      error = gp.classifyOutcome(result, { job, command, timeoutMs });
      if (isClaimFailure(error) && !signal.aborted) {
        const again = await this.deps.sweep('after a second failed claim');
        if (again.others.length > 0) throw heldBy(job, error, again.others);
      }
    }
    if (error && !(judgement.judgeOutput === false && endedCleanly(result))) throw error;
    return result;
  }

  /** Starts a long-running gphoto2 (live view, the tether listener); the caller owns and stops it. */
  start(
    job: string,
    args: string[],
    options: Pick<RunOptions, 'killSignal' | 'streamStdout' | 'cwd' | 'onStdoutText' | 'onStderrText'>,
  ): RunningProcess {
    const { program, graceMs } = this.deps.settings();
    this.deps.log('info', `${job}: $ ${gp.formatCommandLine(program.displayName, args)}`);
    return this.deps.runner.start(program.command, [...program.prefixArgs, ...args], {
      timeoutMs: 0,
      graceMs,
      env: program.env,
      ...options,
    });
  }

  private async runOnce(
    job: string,
    args: string[],
    timeoutMs: number,
    signal: AbortSignal,
    watch?: JobWatch,
  ): Promise<RunResult> {
    const { program, graceMs, lingerMs } = this.deps.settings();
    this.deps.log('info', `${job}: $ ${gp.formatCommandLine(program.displayName, args)}`);
    const child = this.deps.runner.start(program.command, [...program.prefixArgs, ...args], {
      timeoutMs,
      signal,
      graceMs,
      env: program.env,
      cwd: watch?.dir,
      onStdoutText: watch ? (text) => (watch.stdout += text) : undefined,
    });
    const lingered = watch ? stopIfLingering(child, watch, lingerMs) : undefined;
    const result = await child.result;
    const lingeredMs = await lingered?.stop();
    const ended = result.signal
      ? `signal ${result.signal}`
      : result.spawnErrorCode
        ? `not started (${result.spawnErrorCode})`
        : `exit ${result.exitCode}`;
    const tail = gp.outputTail(result.stderr, 6);
    this.deps.log(
      result.exitCode === 0 || lingeredMs !== undefined ? 'info' : 'warn',
      `${job}: ${program.displayName} finished in ${Math.round(result.durationMs)} ms: ${ended}${result.timedOut ? ' (timed out)' : ''}${tail ? `\n  stderr: ${tail.replace(/\n/g, '\n  stderr: ')}` : ''}`,
    );
    if (lingeredMs !== undefined) {
      this.deps.log(
        'warn',
        `${job}: ${program.displayName} kept running ${Math.round(lingeredMs)} ms after its files were complete; it was stopped so the camera is free.`,
      );
      // We stopped it on purpose after verifying its work: judge the files, not the signal.
      return { ...result, signal: undefined, exitCode: 0 };
    }
    return result;
  }
}

function endedCleanly(result: RunResult): boolean {
  return result.exitCode === 0 && !result.timedOut && !result.cancelled && !result.spawnErrorCode && !result.signal;
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
