/**
 * The one place this extension starts processes. Every child is tracked from spawn to exit, gets a
 * closed stdin (gphoto2 asks questions on stdin and would wait forever; only a `gphoto2 --shell`
 * session, which reads its commands there, asks for a pipe), an argv array (never a shell), a
 * timeout and a cancel signal, and is killed when the runner is disposed.
 *
 * A child gets at most ONE stop signal, whoever asks (time limit, cancel, the linger watchdog,
 * dispose), then SIGKILL once the grace period has passed: gphoto2 treats a second SIGINT/SIGTERM
 * as "abort now" (exit 1, no clean-up), where the first lets it stop at its next safe point.
 */
import { execa, type ResultPromise } from 'execa';
import type { Readable } from 'stream';
import { StringDecoder } from 'string_decoder';
import type { ProcessOutcome } from './gphoto2';

/** SIGUSR2 ends gphoto2's event wait (`--capture-tethered`) after the current download, without cancelling it. */
export type StopSignal = 'SIGTERM' | 'SIGINT' | 'SIGUSR2';

export interface RunOptions {
  timeoutMs: number;
  /** Aborting it stops the child (killSignal, then SIGKILL after graceMs). */
  signal?: AbortSignal;
  /** SIGINT for live view, so the camera leaves live view mode; SIGTERM otherwise. */
  killSignal?: StopSignal;
  /** How long a child may take to exit after killSignal before SIGKILL. */
  graceMs: number;
  cwd?: string;
  env?: Record<string, string>;
  /** Hand stdout to the caller as a binary stream instead of collecting it as text. */
  streamStdout?: boolean;
  /** 'pipe' for a child that reads commands (`gphoto2 --shell`): write with writeInput, end with endInput. */
  stdin?: 'ignore' | 'pipe';
  /**
   * false: nothing is collected into the result (its stdout and stderr are ''), only handed to the
   * callbacks. For a child that runs for hours (a shell session): collecting would hit the buffer limit.
   */
  keepOutput?: boolean;
  onStdoutText?: (chunk: string) => void;
  onStderrText?: (chunk: string) => void;
}

export interface RunResult extends ProcessOutcome {
  command: string;
  args: readonly string[];
  pid?: number;
  durationMs: number;
  /** True when the child was stopped through RunningProcess.stop (e.g. it lingered after its work). */
  stoppedByRequest: boolean;
}

export interface RunningProcess {
  readonly pid: number | undefined;
  readonly command: string;
  readonly args: readonly string[];
  /** Only with streamStdout. */
  readonly stdout: Readable | undefined;
  /** Resolves once the child has exited and its pipes are closed; never rejects. */
  readonly result: Promise<RunResult>;
  /** Asks the child to stop (signal, then SIGKILL after the grace period) and waits for its exit. */
  stop(signal?: StopSignal): Promise<RunResult>;
  /**
   * Sends a signal that asks for something other than stopping, and does not count as the one stop
   * signal: SIGUSR1 (gphoto2's event wait captures), SIGUSR2 to a `--shell` session (ends its event
   * wait, the shell goes on). false once exited.
   */
  notify(signal: 'SIGUSR1' | 'SIGUSR2'): boolean;
  /** With stdin 'pipe': writes text to the child's stdin; false once the input is ended or the child has exited. */
  writeInput(text: string): boolean;
  /** With stdin 'pipe': closes the child's stdin (end of input); does nothing otherwise. */
  endInput(): void;
}

const MAX_TEXT_BUFFER = 16 * 1024 * 1024;

export class ProcessRunner {
  private readonly running = new Set<RunningProcess>();
  private disposed = false;

  /** Pids of the children running right now (the reaper never kills these behind our back). */
  activePids(): number[] {
    return [...this.running].map((p) => p.pid).filter((pid): pid is number => pid !== undefined);
  }

  get activeCount(): number {
    return this.running.size;
  }

  start(command: string, args: readonly string[], options: RunOptions): RunningProcess {
    if (this.disposed) throw new Error('ProcessRunner is disposed; no new processes can start.');
    const started = performance.now();
    let stoppedByRequest = false;
    const killSignal = options.killSignal ?? 'SIGTERM';
    // No execa timeout/cancelSignal/forceKillAfterDelay: each would send its own signal. All stops go
    // through requestStop below.
    const child: ResultPromise = execa(command, [...args], {
      stdin: options.stdin ?? 'ignore',
      stdout: 'pipe',
      stderr: 'pipe',
      reject: false,
      shell: false,
      killSignal,
      forceKillAfterDelay: false,
      cwd: options.cwd,
      env: options.env,
      extendEnv: true,
      stripFinalNewline: false,
      encoding: options.streamStdout ? 'buffer' : 'utf8',
      buffer: { stdout: !options.streamStdout && options.keepOutput !== false, stderr: options.keepOutput !== false },
      maxBuffer: MAX_TEXT_BUFFER,
      windowsHide: true,
    });
    if (options.onStdoutText && !options.streamStdout) {
      // Decoded here (not setEncoding, which would change the chunks execa collects); a character
      // split across chunks is held back until it is complete.
      const decoder = new StringDecoder('utf8');
      child.stdout?.on('data', (chunk: Buffer | string) =>
        options.onStdoutText?.(typeof chunk === 'string' ? chunk : decoder.write(chunk)),
      );
    }
    // A child that exits while we write gives EPIPE on its stdin: the exit itself is what matters.
    child.stdin?.on('error', () => undefined);
    let inputEnded = options.stdin !== 'pipe';
    if (options.onStderrText) {
      const decoder = new StringDecoder('utf8');
      child.stderr?.on('data', (chunk: Buffer | string) =>
        options.onStderrText?.(typeof chunk === 'string' ? chunk : decoder.write(chunk)),
      );
    }

    let exited = false;
    let stopSent = false;
    let endedBy: 'timeout' | 'cancel' | undefined;
    let escalation: NodeJS.Timeout | undefined;
    const requestStop = (signal: StopSignal): void => {
      if (exited || stopSent) return;
      stopSent = true;
      child.kill(signal);
      escalation = setTimeout(() => {
        if (!exited) child.kill('SIGKILL');
      }, options.graceMs);
    };
    const timer =
      options.timeoutMs > 0
        ? setTimeout(() => {
            endedBy ??= 'timeout';
            requestStop(killSignal);
          }, options.timeoutMs)
        : undefined;
    const onAbort = (): void => {
      endedBy ??= 'cancel';
      requestStop(killSignal);
    };
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
    const ended = (): void => {
      exited = true;
      clearTimeout(timer);
      clearTimeout(escalation);
      options.signal?.removeEventListener('abort', onAbort);
    };
    // 'exit' is the process gone; the result may wait longer for pipes a grandchild still holds.
    child.once('exit', ended);

    const result: Promise<RunResult> = child.then((r) => {
      ended();
      const spawnErrorCode = typeof r.code === 'string' && r.exitCode === undefined && !r.signal ? r.code : undefined;
      const outcome: RunResult = {
        command,
        args,
        pid: child.pid,
        exitCode: r.exitCode,
        signal: r.signal,
        stdout: options.streamStdout ? '' : asText(r.stdout),
        stderr: asText(r.stderr),
        timedOut: endedBy === 'timeout',
        cancelled: endedBy === 'cancel',
        durationMs: performance.now() - started,
        stoppedByRequest,
        spawnErrorCode,
        spawnErrorMessage: spawnErrorCode ? r.originalMessage : undefined,
      };
      return outcome;
    });

    const handle: RunningProcess = {
      pid: child.pid,
      command,
      args,
      stdout: options.streamStdout ? (child.stdout ?? undefined) : undefined,
      result,
      stop: (signal?: StopSignal) => {
        stoppedByRequest = true;
        requestStop(signal ?? killSignal);
        return result;
      },
      notify: (signal) => !exited && child.kill(signal),
      writeInput: (text) => {
        if (inputEnded || exited || !child.stdin) return false;
        child.stdin.write(text);
        return true;
      },
      endInput: () => {
        if (inputEnded) return;
        inputEnded = true;
        child.stdin?.end();
      },
    };
    this.running.add(handle);
    void result.finally(() => this.running.delete(handle));
    return handle;
  }

  run(command: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
    return this.start(command, args, options).result;
  }

  /** Stops every child (one signal each, even if a cancel already sent it) and waits for all of them to exit. */
  async dispose(): Promise<void> {
    this.disposed = true;
    await Promise.all([...this.running].map((p) => p.stop()));
  }
}

/** execa gives strings, or Uint8Arrays with encoding 'buffer'. */
function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array)
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8');
  return '';
}
