/** What a one-shot job (or a starting holder) gets from the queue: the settings, its cancel signal and gphoto2. */
import type { RunJudgement } from '../gphoto2Launcher';
import type { JobWatch } from '../lingerWatch';
import type { LogLevel, ManagerSettings } from '../managerTypes';
import type { RunningProcess, RunOptions, RunResult } from '../processRunner';

export interface JobContext {
  readonly settings: ManagerSettings;
  /** Aborted when the job is cancelled or the manager disposed. */
  readonly signal: AbortSignal;
  /**
   * Runs gphoto2 to completion (retrying once after cleanup on a failed claim); throws a typed
   * CameraError (with `{ judgeOutput: false }` not for gphoto2's error texts in a run that exited 0).
   */
  run(label: string, args: string[], timeoutMs: number, watch?: JobWatch, judgement?: RunJudgement): Promise<RunResult>;
  /** Starts a long-running gphoto2 for a holder. */
  start(
    label: string,
    args: string[],
    options: Pick<RunOptions, 'killSignal' | 'streamStdout' | 'cwd' | 'onStdoutText' | 'onStderrText'>,
  ): RunningProcess;
  log(level: LogLevel, message: string): void;
}
