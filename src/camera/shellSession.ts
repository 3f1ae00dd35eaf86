/**
 * One long-lived `gphoto2 --shell` that keeps the camera open across commands, so the USB claim, the
 * PTP session and the card scan are paid once instead of once per command.
 *
 * The protocol, as recorded from Debian's gphoto2 2.5.28 (test/fixtures/gphoto2/shell/):
 * - The shell prints `gphoto2: {<local folder>} <camera folder>> ` without a newline and reads a line.
 *   A command is complete when the next prompt arrives; there is no success marker.
 * - With stdin a pipe every line comes back twice on stdout (readline's echo, then gphoto2's own).
 * - readline scrolls lines longer than $COLUMNS, cutting the prompt: COLUMNS is set far above any
 *   line we send (and lines are limited to what gphoto2's 1024-byte buffers hold).
 * - libgphoto2's context errors (`*** Error ***` + message) and gphoto2's `ERROR: ...` lines go to
 *   stderr, but the shell's `*** Error (<code>: '<text>') ***` line goes to STDOUT. stdout and stderr
 *   are two pipes, so a command's stderr can arrive after the prompt that ends it. After each command
 *   the driver therefore types `lcd` into a folder that cannot exist: gphoto2 answers with one stderr
 *   line naming that folder, and once that line is in, every stderr byte of the command before it is
 *   too (one pipe keeps its order).
 * - Downloads go to the local folder (`lcd`), under the camera's own names: `--filename=` (empty)
 *   keeps a `filename` default in ~/.gphoto/settings from sending them elsewhere.
 * - An existing target makes gphoto2 ask `Overwrite? [y|n]` on the same stdin. Answering `n` twice
 *   loses the picture (it is deleted from the card unsaved), so the driver ends stdin instead: the
 *   download is refused, the picture stays on the card, and the session ends.
 * - A signal while a command runs stops it at its next safe point and, unless the command itself was
 *   cancelled, ends the whole shell; at the prompt SIGTERM ends it, SIGINT waits for the next line.
 *   No command can be cancelled with the session kept, so a timeout or cancel ends the session: stdin
 *   is closed (which ends an idle or cancelled shell too) and one SIGTERM sent (SIGKILL after the
 *   runner's grace), and the next job opens a new one.
 * - After the camera failed to open (no camera, wrong port), every later command of that shell fails
 *   with -110 "I/O in progress": a session whose opening command fails is closed at once.
 *
 * Parsing is linear and bounded like src/camera/gphoto2.ts: each command's output is kept up to
 * MAX_WINDOW_CHARS (the newest part), prompt and question checks look only at the last line.
 */
import * as path from 'path';
import { CameraError } from './errors';
import * as gp from './gphoto2';
import type { LogLevel } from './managerTypes';
import type { RunningProcess, RunResult } from './processRunner';

/** Added to gphoto2's environment: no line wraps, readline without terminal tricks or user setup. */
export const SHELL_ENV: Readonly<Record<string, string>> = { COLUMNS: '4000', TERM: 'dumb', INPUTRC: '/dev/null' };

/** gphoto2 copies a line into 1024-byte buffers (shell.c `cmd`, `arg`, MAX_FOLDER_LEN): longer ones overflow them. */
export const MAX_LINE_BYTES = 1000;

/** What the driver asks of the process starter (ctx.start / Gphoto2Launcher.start with a label bound). */
export interface ShellStartOptions {
  stdin: 'pipe';
  keepOutput: false;
  killSignal: 'SIGTERM';
  env: Record<string, string>;
  cwd?: string;
  onStdoutText: (text: string) => void;
  onStderrText: (text: string) => void;
}

/** Starts gphoto2 with these arguments (the program and its own prefix arguments are the starter's). */
export type ShellStarter = (args: string[], options: ShellStartOptions) => RunningProcess;

export interface ShellOpenOptions {
  start: ShellStarter;
  selection: gp.CameraSelection;
  /** The shell's first working folder (the virtual camera reads its port file relative to it). */
  cwd?: string;
  /** For the prompt and the opening command together (the USB claim and the PTP session). */
  timeoutMs: number;
  signal?: AbortSignal;
  /**
   * The first camera command, which opens the camera so that a missing or held camera shows at once
   * (and, with libgphoto2's virtual camera, before any `lcd`). `ls /` lists the storages only.
   */
  openCommand?: string;
  /** For messages: "Camera session". */
  label?: string;
  log?: (level: LogLevel, message: string) => void;
  /** How long `close()` waits for gphoto2 to leave after `exit` before it is stopped. Default 2000 ms. */
  closeTimeoutMs?: number;
  /** `--keep`: downloaded pictures stay on the card (gphoto2 reads the flag once, at start). */
  keep?: boolean;
}

export interface ShellCommandOptions {
  /** What the user asked for, e.g. "Capture": starts error messages. */
  label: string;
  /** For the whole command, its `lcd` and the stderr marker. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Absolute folder to `lcd` into first: where the files of this command land. */
  localDir?: string;
  /** The command's stdout as it arrives (echo and prompt included), e.g. for a watch on its files. */
  onStdout?: (text: string) => void;
  /** The command's stderr as it arrives (the marker's line included). */
  onStderr?: (text: string) => void;
  /** Called after the `lcd`, just before the line is typed (to arm SIGUSR1 for an event wait). */
  beforeLine?: () => void;
}

export interface ShellCommandResult {
  line: string;
  /** The command's stdout, without the echoed line and the prompt. */
  stdout: string;
  /** The command's stderr, all of it (read up to the marker). */
  stderr: string;
  /**
   * gphoto2's errors: the shell's coded line (stdout) paired with libgphoto2's message (stderr).
   * Empty when the command succeeded as far as gphoto2 says; files must still be verified.
   */
  errors: gp.Gphoto2ErrorBlock[];
  /** `ERROR: ...` / `Sorry, your ...` lines of either stream. */
  failures: string[];
  /** Files gphoto2 says it saved (`Saving file as`), resolved against the command's local folder. */
  saved: string[];
  /** The local folder the command ran in. */
  localDir: string | undefined;
  durationMs: number;
}

const MAX_WINDOW_CHARS = 4 * 1024 * 1024;
/** The longest prompt: `gphoto2: {` + a local folder of at most 25 characters + `} ` + a camera folder of up to 1024. */
const MAX_PROMPT_CHARS = 1100;
const PROMPT_START = 'gphoto2: {';
const QUESTION_END = 'Overwrite? [y|n] ';
const MARKER_ROOT = '/dev/null/camera-tether-sync-';

/** `gphoto2: {<local>} <camera folder>> `: the whole last line of the output, nothing after it. */
export function isShellPrompt(line: string): boolean {
  return (
    line.length <= MAX_PROMPT_CHARS &&
    line.startsWith(PROMPT_START) &&
    line.endsWith('> ') &&
    line.indexOf('} ', PROMPT_START.length) > 0 &&
    line.indexOf('\n') < 0
  );
}

/**
 * The output without the typed line's echoes (readline's and gphoto2's): the first two lines equal
 * to it among the first four (a buffered `Cancelling...` from an earlier signal can come first).
 */
export function stripEcho(output: string, line: string): string {
  let rest = output;
  let removed = 0;
  let from = 0;
  for (let n = 0; n < 4 && removed < 2 && from <= rest.length; n++) {
    const end = rest.indexOf('\n', from);
    if (end < 0) break;
    const stop = end > from && rest.charCodeAt(end - 1) === 0x0d ? end - 1 : end;
    if (stop - from === line.length && rest.startsWith(line, from)) {
      rest = rest.slice(0, from) + rest.slice(end + 1);
      removed++;
    } else {
      from = end + 1;
    }
  }
  return rest;
}

/** libgphoto2's port texts (gp_port_result_as_string) for the codes a failed camera open gives. */
const IO_LIBRARY_CODES: ReadonlyMap<string, number> = new Map([
  ['Bad parameters', -2],
  ['Unknown port', -5],
  ['I/O problem', -7],
  ['Timeout reading from or writing to the port', -10],
  ['Could not find the requested device on the USB port', -52],
  ['Could not claim the USB device', -53],
  ['Could not lock the device', -60],
]);
const IO_LIBRARY_PREFIX = "An error occurred in the io-library ('";

/** The port error named by `An error occurred in the io-library ('<text>'): ...`, if it is a known one. */
function ioLibraryCode(message: string): { code: number; codeText: string } | undefined {
  const at = message.indexOf(IO_LIBRARY_PREFIX);
  if (at < 0) return undefined;
  const start = at + IO_LIBRARY_PREFIX.length;
  const end = message.indexOf("')", start);
  if (end < 0 || end - start > 120) return undefined;
  const codeText = message.slice(start, end);
  const code = IO_LIBRARY_CODES.get(codeText);
  return code === undefined ? undefined : { code, codeText };
}

/**
 * One error per failure: the shell prints libgphoto2's message on stderr and its own coded line on
 * stdout, so each coded stdout line takes the uncoded stderr messages before it. When the camera could
 * not be opened the shell reports -110 "I/O in progress" (recorded: shell-absent-port,
 * shell-lcd-before-first-command) while the message names the real port error: that one counts.
 */
export function pairShellErrors(stderr: string, stdout: string): gp.Gphoto2ErrorBlock[] {
  const messages = gp.parseErrors(stderr);
  const coded = gp.parseErrors(stdout).filter((b) => b.code !== undefined);
  const out: gp.Gphoto2ErrorBlock[] = [];
  let pending: gp.Gphoto2ErrorBlock[] = [];
  for (const m of messages) {
    if (m.code === undefined) pending.push(m);
    else out.push(m);
  }
  for (const c of coded) {
    const message = [c.message, ...pending.map((p) => p.message)].filter((t) => t !== '').join(' ');
    pending = [];
    const io = c.code === -110 ? ioLibraryCode(message) : undefined;
    out.push(io ? { ...io, message } : { ...c, message });
  }
  return [...out, ...pending];
}

/** A command's result as a typed error (gphoto2's codes and texts, as for a one-shot run), or undefined. */
export function shellCommandError(
  result: ShellCommandResult,
  label: string,
  timeoutMs: number,
): CameraError | undefined {
  const stderr = [
    ...result.errors.map((e) =>
      e.code === undefined
        ? `*** Error ***\n${e.message}\n`
        : `*** Error ***\n${e.message}\n*** Error (${e.code}: '${e.codeText ?? ''}') ***\n`,
    ),
    ...result.failures.map((f) => `${f}\n`),
  ].join('');
  const failed = result.errors.some((e) => e.code !== undefined);
  return gp.classifyOutcome(
    { exitCode: failed ? 1 : 0, stdout: '', stderr, timedOut: false, cancelled: false },
    { job: label, command: 'gphoto2 --shell', timeoutMs },
  );
}

/** Why a wait ended without its condition. */
type Interruption = { kind: 'exited'; result: RunResult } | { kind: 'timeout' } | { kind: 'cancelled' };

class Interrupted extends Error {
  constructor(readonly why: Interruption) {
    super(why.kind);
  }
}

/** One stream's text since a point, bounded: past MAX_WINDOW_CHARS the oldest half goes. */
class Window {
  text = '';
  dropped = false;

  append(chunk: string): void {
    this.text += chunk;
    if (this.text.length > MAX_WINDOW_CHARS) {
      // Keep the newest half, from a line start where there is one: the parsers read the end.
      let cut = this.text.length - MAX_WINDOW_CHARS / 2;
      const nextLine = this.text.indexOf('\n', cut);
      if (nextLine >= 0 && nextLine - cut < MAX_PROMPT_CHARS) cut = nextLine + 1;
      this.text = this.text.slice(cut);
      this.dropped = true;
    }
  }

  /**
   * Where the prompt that ends the text starts, or -1. Only the last MAX_PROMPT_CHARS are looked at;
   * the prompt may follow output that did not end its line.
   */
  promptStart(): number {
    const from = Math.max(0, this.text.length - MAX_PROMPT_CHARS);
    const i = this.text.slice(from).lastIndexOf(PROMPT_START);
    return i >= 0 && isShellPrompt(this.text.slice(from + i)) ? from + i : -1;
  }

  endsWith(suffix: string): boolean {
    return this.text.endsWith(suffix);
  }

  /** The last line, at most `max` characters of it. */
  lastLine(max: number): string {
    const tail = this.text.slice(Math.max(0, this.text.length - max));
    return tail.slice(tail.lastIndexOf('\n') + 1);
  }

  reset(): void {
    this.text = '';
    this.dropped = false;
  }
}

export class ShellSession {
  private readonly out = new Window();
  private readonly err = new Window();
  /** Where in `err` the marker search continues (so a long stderr is searched once). */
  private errSearchFrom = 0;
  private waiter: (() => void) | undefined;
  /** The running command's onStdout / onStderr. */
  private stdoutTap: ((text: string) => void) | undefined;
  private stderrTap: ((text: string) => void) | undefined;
  private markers = 0;
  private busy = false;
  private ended: RunResult | undefined;
  private dead = false;
  private proc!: RunningProcess;
  private readonly log: (level: LogLevel, message: string) => void;
  /** The last prompt gphoto2 printed (its local and camera folder), for the log. */
  prompt = '';
  /** The local folder of the last successful `lcd`. */
  private localDir: string | undefined;

  private constructor(private readonly options: ShellOpenOptions) {
    this.log = options.log ?? (() => undefined);
  }

  /**
   * Starts `gphoto2 --shell`, waits for its prompt and opens the camera with a first command. Throws
   * a typed CameraError (the process is gone by then) when any of it fails.
   */
  static async open(options: ShellOpenOptions): Promise<ShellSession> {
    const session = new ShellSession(options);
    const label = options.label ?? 'Camera session';
    const started = performance.now();
    session.proc = options.start(
      [...gp.selectionArgs(options.selection), ...(options.keep ? ['--keep'] : []), '--filename=', '--shell'],
      {
        stdin: 'pipe',
        keepOutput: false,
        killSignal: 'SIGTERM',
        env: { ...SHELL_ENV },
        cwd: options.cwd,
        onStdoutText: (t) => session.onOutput(session.out, t),
        onStderrText: (t) => session.onOutput(session.err, t),
      },
    );
    void session.proc.result.then((r) => {
      session.ended = r;
      session.dead = true;
      session.waiter?.();
    });
    const deadline = started + options.timeoutMs;
    try {
      await session.until(() => session.atPrompt(), deadline, options.signal);
      session.prompt = session.out.text.slice(session.out.promptStart());
      const opened = await session.exchange(options.openCommand ?? 'ls /', deadline, options.signal, label);
      const error = shellCommandError(opened, label, options.timeoutMs);
      if (error) {
        // libgphoto2 keeps failing (-110) in a shell whose camera did not open: no use keeping it.
        await session.terminate();
        throw error;
      }
    } catch (err) {
      throw await session.failure(err, label, options.timeoutMs);
    }
    session.log('info', `${label}: gphoto2 --shell ready in ${Math.round(performance.now() - started)} ms`);
    return session;
  }

  /** The process is running and has not been told to stop. */
  get alive(): boolean {
    return !this.dead;
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  /** Resolves once gphoto2 has exited. */
  get exited(): Promise<RunResult> {
    return this.proc.result;
  }

  /**
   * Runs one shell command (after an `lcd` into `localDir`, if given) and returns what it printed and
   * gphoto2's errors. Throws a typed CameraError when the session cannot answer: a timeout or cancel
   * (the session is ended first, the process gone), or gphoto2 exiting. A gphoto2 error of the
   * command itself (a refused setting, an unsupported preview) is returned in `errors`.
   */
  async run(line: string, options: ShellCommandOptions): Promise<ShellCommandResult> {
    checkLine(line, options.label);
    if (options.localDir !== undefined) checkLocalDir(options.localDir, options.label);
    if (this.busy)
      throw new Error(`ShellSession: "${line}" while another command runs (the queue runs one job at a time).`);
    if (this.dead) throw this.deadError(options.label);
    this.busy = true;
    const deadline = performance.now() + options.timeoutMs;
    try {
      if (options.localDir !== undefined) await this.lcd(options.localDir, deadline, options);
      this.stdoutTap = options.onStdout;
      this.stderrTap = options.onStderr;
      options.beforeLine?.();
      return await this.exchange(line, deadline, options.signal, options.label, options.localDir);
    } catch (err) {
      throw await this.failure(err, options.label, options.timeoutMs);
    } finally {
      this.stdoutTap = undefined;
      this.stderrTap = undefined;
      this.busy = false;
    }
  }

  /** Capture and download into `dir` (an empty folder of the job's own), under the camera's file names. */
  captureAndDownload(dir: string, options: Omit<ShellCommandOptions, 'localDir'>): Promise<ShellCommandResult> {
    return this.run('capture-image-and-download', { ...options, localDir: dir });
  }

  /** One preview frame saved in `dir` (as `capture_preview.jpg`; take the name from `saved`). */
  capturePreview(dir: string, options: Omit<ShellCommandOptions, 'localDir'>): Promise<ShellCommandResult> {
    return this.run('capture-preview', { ...options, localDir: dir });
  }

  /** One `Label:`...`END` block per name, in order (the shell reads several names in one command). */
  async getConfig(names: readonly string[], options: ShellCommandOptions): Promise<ShellCommandResult> {
    for (const n of names) checkWord(n, 'setting name', options.label);
    if (names.length === 0) throw new Error('ShellSession.getConfig: no names');
    return await this.run(`get-config ${names.join(' ')}`, options);
  }

  /** `set-config-value`, `set-config-index` or `set-config` NAME=VALUE (the value may hold spaces). */
  async setConfig(
    command: 'set-config' | 'set-config-value' | 'set-config-index',
    name: string,
    value: string,
    options: ShellCommandOptions,
  ): Promise<ShellCommandResult> {
    checkWord(name, 'setting name', options.label);
    if (name.includes('=')) throw badArgument(options.label, `the setting name "${name}" contains "="`);
    return await this.run(`${command} ${name}=${value}`, options);
  }

  /** Every setting's path, one a line (the shell has no list-all-config: values need get-config). */
  listConfig(options: ShellCommandOptions): Promise<ShellCommandResult> {
    return this.run('list-config', options);
  }

  summary(options: ShellCommandOptions): Promise<ShellCommandResult> {
    return this.run('summary', options);
  }

  /**
   * Waits up to `ms` for the camera's events, downloading new pictures into `dir`. SIGUSR2 ends the
   * wait early and keeps the session (recorded: shell-wait-event-and-download); SIGUSR1 captures.
   */
  waitEventAndDownload(
    dir: string,
    ms: number,
    options: Omit<ShellCommandOptions, 'localDir'>,
  ): Promise<ShellCommandResult> {
    if (!Number.isInteger(ms) || ms < 1) throw new Error(`ShellSession.waitEventAndDownload: bad time ${ms}`);
    return this.run(`wait-event-and-download ${ms}ms`, { ...options, localDir: dir });
  }

  /**
   * Ends an event wait that runs now (SIGUSR2), keeping the session; false when the process is gone.
   * Outside a wait it does nothing (the wait clears the flag when it starts).
   */
  endWait(): boolean {
    return this.proc.notify('SIGUSR2');
  }

  /**
   * Captures inside an event wait that runs now (SIGUSR1). Sent while no wait runs, gphoto2 keeps the
   * request and the NEXT wait captures at once (it never clears the flag): only call it during a wait.
   */
  captureInWait(): boolean {
    return this.proc.notify('SIGUSR1');
  }

  /** Leaves the shell (`exit`, end of input); stops gphoto2 if it does not go within closeTimeoutMs. */
  async close(): Promise<RunResult> {
    if (!this.dead && !this.busy) {
      this.proc.writeInput('exit\n');
      this.proc.endInput();
      this.dead = true;
      const timeout = this.options.closeTimeoutMs ?? 2000;
      let timer: NodeJS.Timeout | undefined;
      const left = await Promise.race([
        this.proc.result.then(() => true),
        new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeout))),
      ]);
      clearTimeout(timer);
      if (left) return this.proc.result;
      this.log(
        'warn',
        `${this.options.label ?? 'Camera session'}: gphoto2 did not leave its shell within ${timeout} ms; stopping it.`,
      );
    }
    return this.terminate();
  }

  /** Ends the session at once: end of input and ONE SIGTERM (SIGKILL after the runner's grace); waits for the exit. */
  async terminate(): Promise<RunResult> {
    this.dead = true;
    this.proc.endInput();
    return this.proc.stop('SIGTERM');
  }

  private onOutput(window: Window, text: string): void {
    window.append(text);
    if (window === this.out) this.stdoutTap?.(text);
    else this.stderrTap?.(text);
    if (window === this.err && window.dropped) this.errSearchFrom = Math.min(this.errSearchFrom, window.text.length);
    this.waiter?.();
  }

  private atPrompt(): boolean {
    return this.out.promptStart() >= 0;
  }

  private asked(): boolean {
    return this.out.endsWith(QUESTION_END);
  }

  /** Resolves when `done()` holds; rejects with Interrupted on exit, deadline or cancel. */
  private until(done: () => boolean, deadline: number, signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted) return Promise.reject(new Interrupted({ kind: 'cancelled' }));
    return new Promise<void>((resolve, reject) => {
      const finish = (error?: Interrupted): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.waiter = undefined;
        if (error) reject(error);
        else resolve();
      };
      const onAbort = (): void => finish(new Interrupted({ kind: 'cancelled' }));
      const timer = setTimeout(
        () => finish(new Interrupted({ kind: 'timeout' })),
        Math.max(0, deadline - performance.now()),
      );
      signal?.addEventListener('abort', onAbort, { once: true });
      const check = (): void => {
        if (done()) finish();
        else if (this.ended) finish(new Interrupted({ kind: 'exited', result: this.ended }));
      };
      this.waiter = check;
      check();
    });
  }

  /** Types `line`, waits for the prompt, then the stderr marker; the command's result. */
  private async exchange(
    line: string,
    deadline: number,
    signal: AbortSignal | undefined,
    label: string,
    localDir?: string,
  ): Promise<ShellCommandResult> {
    const started = performance.now();
    const stdout = await this.send(line, deadline, signal, label);
    const stderr = await this.sync(deadline, signal, label);
    const saved = gp.parseSavedFiles(stdout).map((f) => (localDir === undefined ? f : path.resolve(localDir, f)));
    const result: ShellCommandResult = {
      line,
      stdout,
      stderr,
      errors: pairShellErrors(stderr, stdout),
      failures: gp.parseFailureLines(`${stderr}\n${stdout}`),
      saved,
      localDir,
      durationMs: performance.now() - started,
    };
    this.log('debug', `${label}: gphoto2 shell "${line}" answered in ${Math.round(result.durationMs)} ms`);
    return result;
  }

  /** One line in, the output up to the next prompt out (without the echo). */
  private async send(line: string, deadline: number, signal: AbortSignal | undefined, label: string): Promise<string> {
    this.out.reset();
    if (!this.proc.writeInput(`${line}\n`)) throw this.deadError(label);
    await this.until(() => this.atPrompt() || this.asked(), deadline, signal);
    if (this.asked()) {
      // The only answer that neither overwrites nor loses the picture: end of input.
      const question = this.out.lastLine(MAX_PROMPT_CHARS + 1100);
      this.proc.endInput();
      this.dead = true;
      this.log(
        'warn',
        `${label}: gphoto2 asked "${question.replaceAll('\u0007', '').trim()}"; input ended, nothing is overwritten.`,
      );
      // It answers itself (`ERROR: Could not get image.`), finishes the command and leaves at end of input.
      await this.until(() => this.ended !== undefined, deadline, signal).catch(() => this.terminate());
      throw new CameraError(
        'failed',
        `${label} failed: gphoto2 found a file of the same name in ${this.localDir ?? 'its download folder'} and asked whether to overwrite it. Nothing was overwritten and the picture stays on the camera's card; the camera session was closed and opens again for the next job. Please report this with the log.`,
        { stderrTail: gp.outputTail(this.err.text, 6) },
        ['retry', 'showLog'],
      );
    }
    const at = this.out.promptStart();
    const text = this.out.text.slice(0, at);
    this.prompt = this.out.text.slice(at);
    return this.out.dropped ? text : stripEcho(text, line);
  }

  /** Types the stderr marker; returns the stderr that came before its line. */
  private async sync(deadline: number, signal: AbortSignal | undefined, label: string): Promise<string> {
    const marker = `${MARKER_ROOT}${++this.markers}`;
    const answer = `ERROR: Could not change to local directory '${marker}'.\n`;
    await this.send(`lcd ${marker}`, deadline, signal, label);
    let at = -1;
    await this.until(
      () => {
        at = this.err.text.indexOf(answer, this.errSearchFrom);
        if (at < 0) this.errSearchFrom = Math.max(0, this.err.text.length - answer.length);
        return at >= 0;
      },
      deadline,
      signal,
    );
    const before = this.err.text.slice(0, at);
    const after = this.err.text.slice(at + answer.length);
    this.err.reset();
    this.errSearchFrom = 0;
    if (after !== '') this.err.append(after);
    return before;
  }

  private async lcd(dir: string, deadline: number, options: ShellCommandOptions): Promise<void> {
    const r = await this.exchange(`lcd ${dir}`, deadline, options.signal, options.label);
    if (r.stdout.includes(`Local directory now '${dir}'.`)) {
      this.localDir = dir;
    } else {
      throw new CameraError(
        'io',
        `${options.label} failed: gphoto2 could not change to the download folder ${dir}${r.failures[0] ? ` ("${r.failures[0]}")` : ''}. Check that it exists and is writable.`,
        { stderrTail: gp.outputTail(r.stderr, 6) },
        ['showLog'],
      );
    }
  }

  /** Turns whatever ended a command into a typed error; a timeout or cancel first ends the session. */
  private async failure(err: unknown, label: string, timeoutMs: number): Promise<unknown> {
    if (!(err instanceof Interrupted)) return err;
    const why = err.why;
    const result = why.kind === 'exited' ? why.result : await this.terminate();
    this.dead = true;
    const tails = { stderr: this.err.text, stdout: this.out.text };
    if (why.kind === 'timeout' || why.kind === 'cancelled') {
      const outcome = { ...result, ...tails, timedOut: why.kind === 'timeout', cancelled: why.kind === 'cancelled' };
      return gp.classifyOutcome(outcome, { job: label, command: 'gphoto2 --shell', timeoutMs });
    }
    const error = gp.classifyOutcome({ ...result, ...tails }, { job: label, command: 'gphoto2 --shell', timeoutMs });
    return (
      error ??
      new CameraError(
        'failed',
        `${label} failed: the gphoto2 session ended unexpectedly (exit ${result.exitCode ?? result.signal}). It opens again for the next job.`,
        { stderrTail: gp.outputTail(this.err.text, 6), exitCode: result.exitCode, signal: result.signal },
        ['retry', 'showLog'],
      )
    );
  }

  private deadError(label: string): CameraError {
    return new CameraError(
      'failed',
      `${label} failed: the gphoto2 session has ended. Open a new one (the camera queue does this for the next job).`,
      { exitCode: this.ended?.exitCode, signal: this.ended?.signal },
      ['retry', 'showLog'],
    );
  }
}

function badArgument(label: string, why: string): CameraError {
  return new CameraError(
    'failed',
    `${label} failed: ${why}, which gphoto2's shell cannot take. This is a bug; please report it.`,
    {},
    ['showLog'],
  );
}

/** One line of the shell: no line breaks or NULs, and short enough for gphoto2's buffers. */
function checkLine(line: string, label: string): void {
  if (/[\r\n\0]/.test(line)) throw badArgument(label, 'a command contains a line break');
  if (Buffer.byteLength(line, 'utf8') > MAX_LINE_BYTES)
    throw badArgument(label, `a command is longer than ${MAX_LINE_BYTES} bytes`);
}

/** A word of a command the shell splits at spaces (get-config names). */
function checkWord(word: string, what: string, label: string): void {
  if (word === '' || /\s/.test(word)) throw badArgument(label, `the ${what} "${word}" is empty or contains a space`);
}

/** `lcd` takes the rest of the line; gphoto2 resolves `.` and `..` itself and echoes the result. */
function checkLocalDir(dir: string, label: string): void {
  if (!path.isAbsolute(dir) || path.resolve(dir) !== dir)
    throw badArgument(label, `the download folder "${dir}" is not an absolute, normalised path`);
  if (dir.startsWith(' ') || dir.endsWith(' '))
    throw badArgument(label, `the download folder "${dir}" starts or ends with a space`);
}
