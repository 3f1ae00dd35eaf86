/**
 * Plays a recorded `gphoto2 --shell` transcript (test/fixtures/gphoto2/shell/*.json) back as a
 * RunningProcess: each output chunk in its recorded order, each line the driver types checked
 * against the line that was typed, end of input and signals matched to the driver's endInput/stop.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { RunningProcess, RunResult, StopSignal } from '../../src/camera/processRunner';
import type { ShellStartOptions } from '../../src/camera/shellSession';
import { PROJECT_ROOT } from './simulatorHarness';

export type TranscriptEvent =
  | { t: number; fd: 'stdout' | 'stderr'; text: string }
  | { t: number; fd: 'stdin'; text: string }
  | { t: number; fd: 'stdin'; eof: true }
  | { t: number; signal: string }
  | { t: number; exit: number | null; signal: string | null }
  | { t: number; note: string };

export interface TranscriptStep {
  send?: string;
  answer?: string;
  close?: boolean;
  signal?: string;
  after?: string;
  afterText?: string;
  count?: number;
  afterMs?: number;
  atPrompt?: boolean;
  force?: boolean;
}

export interface ShellTranscript {
  args: string[];
  exitCode: number | null;
  signal: string | null;
  note: string;
  driver: boolean;
  camera: 'vcamera' | 'none';
  steps: TranscriptStep[];
  events: TranscriptEvent[];
  stdout: string;
  stderr: string;
  files: Array<{ path: string; type: 'dir' | 'file'; bytes?: number; jpeg?: boolean }>;
  keyLines: { stdout: string[]; stderr: string[] };
  dirs?: string[];
  setupFiles?: Record<string, string>;
  deadline?: string;
}

export const SHELL_FIXTURE_DIR = path.join(PROJECT_ROOT, 'test', 'fixtures', 'gphoto2', 'shell');

export function shellTranscript(name: string): ShellTranscript {
  return JSON.parse(fs.readFileSync(path.join(SHELL_FIXTURE_DIR, `${name}.json`), 'utf8')) as ShellTranscript;
}

export function shellTranscriptNames(): string[] {
  return fs
    .readdirSync(SHELL_FIXTURE_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .sort();
}

type Action = { kind: 'line'; text: string } | { kind: 'eof' } | { kind: 'signal'; signal: string };

export class ReplayedShell implements RunningProcess {
  readonly pid = 4242;
  readonly command = 'gphoto2';
  readonly stdout = undefined;
  readonly result: Promise<RunResult>;
  /** What went differently from the recording (empty when the driver did exactly what was recorded). */
  readonly mismatches: string[] = [];
  readonly linesTyped: string[] = [];
  readonly signalsSent: string[] = [];
  inputEnded = false;
  private readonly events: TranscriptEvent[];
  private next = 0;
  /** Stderr events already emitted ahead of the driver's input (see emitEarlyMarker). */
  private readonly early = new Set<number>();
  private exited = false;
  private emitting = false;
  private finish!: (r: RunResult) => void;

  constructor(
    readonly transcript: ShellTranscript,
    readonly args: readonly string[],
    private readonly options: ShellStartOptions,
    private readonly substitutions: Readonly<Record<string, string>> = { '<TMP>': '/replay/tmp' },
  ) {
    this.events = transcript.events.map((e) => ('text' in e ? { ...e, text: this.subst(e.text) } : e));
    this.result = new Promise((resolve) => (this.finish = resolve));
    setImmediate(() => this.pump());
  }

  writeInput(text: string): boolean {
    if (this.exited || this.inputEnded) return false;
    this.linesTyped.push(text);
    this.act({ kind: 'line', text });
    return true;
  }

  endInput(): void {
    if (this.inputEnded) return;
    this.inputEnded = true;
    if (!this.exited) this.act({ kind: 'eof' });
  }

  stop(signal: StopSignal = 'SIGTERM'): Promise<RunResult> {
    if (!this.exited && this.signalsSent.length === 0) {
      this.signalsSent.push(signal);
      this.act({ kind: 'signal', signal });
    }
    return this.result;
  }

  notify(signal: 'SIGUSR1' | 'SIGUSR2'): boolean {
    if (this.exited) return false;
    this.act({ kind: 'signal', signal });
    return true;
  }

  private subst(text: string): string {
    let t = text;
    for (const [from, to] of Object.entries(this.substitutions)) t = t.replaceAll(from, to);
    return t;
  }

  /** The driver did something: it must be the next thing the recording did. */
  private act(action: Action): void {
    // stderr recorded before this input was written before gphoto2 read it: it comes first.
    for (;;) {
      while (this.early.has(this.next)) this.next++;
      const pending = this.events[this.next];
      if (pending === undefined || !('fd' in pending) || pending.fd !== 'stderr' || !('text' in pending)) break;
      this.next++;
      this.options.onStderrText(pending.text);
    }
    const e = this.events[this.next];
    const expected = e === undefined ? undefined : expectedAction(e);
    if (!expected || !sameAction(expected, action)) {
      this.mismatches.push(
        `event ${this.next}: the driver did ${describe(action)}, the recording ${expected ? describe(expected) : `has ${JSON.stringify(e ?? 'nothing more')}`}`,
      );
      // Played out as recorded would hang the driver: end the process as a crash would.
      this.exit({ exit: null, signal: 'SIGKILL' });
      return;
    }
    this.next++;
    setImmediate(() => this.pump());
  }

  /** Emits recorded output, one chunk per turn of the event loop, until the driver must act or it exits. */
  private pump(): void {
    if (this.emitting || this.exited) return;
    while (this.early.has(this.next)) this.next++;
    const e = this.events[this.next];
    if (e === undefined) return;
    if (expectedAction(e)) {
      this.emitEarlyMarker();
      return; // waits for the driver
    }
    this.next++;
    if ('fd' in e && (e.fd === 'stdout' || e.fd === 'stderr') && 'text' in e) {
      this.emitting = true;
      if (e.fd === 'stdout') this.options.onStdoutText(e.text);
      else this.options.onStderrText(e.text);
      this.emitting = false;
    } else if ('exit' in e) {
      this.exit(e);
      return;
    }
    setImmediate(() => this.pump());
  }

  /**
   * The driver waits for the stderr line of its marker (`lcd /dev/null/camera-tether-sync-N`) before
   * it types on; the recorder typed on at once, so that line can be recorded after later input.
   * gphoto2 wrote it before the prompt the driver already has, and stderr keeps its order: when the
   * recording waits for the driver and a marker line is recorded ahead (before any more stdout), the
   * stderr up to it comes now.
   */
  private emitEarlyMarker(): void {
    const ahead: number[] = [];
    for (let i = this.next; i < this.events.length; i++) {
      const e = this.events[i];
      if (this.early.has(i) || expectedAction(e)) continue;
      if (!('fd' in e) || e.fd !== 'stderr' || !('text' in e)) return;
      ahead.push(i);
      if (e.text.includes('/dev/null/camera-tether-sync-')) break;
      if (i === this.events.length - 1) return;
    }
    const last = ahead.at(-1);
    if (last === undefined) return;
    const lastEvent = this.events[last];
    if (!('text' in lastEvent) || !lastEvent.text.includes('/dev/null/camera-tether-sync-')) return;
    for (const i of ahead) {
      this.early.add(i);
      const e = this.events[i];
      if ('text' in e) this.options.onStderrText(e.text);
    }
  }

  private exit(e: { exit: number | null; signal: string | null }): void {
    if (this.exited) return;
    this.exited = true;
    this.finish({
      command: this.command,
      args: this.args,
      pid: this.pid,
      exitCode: e.exit ?? undefined,
      signal: e.signal ?? undefined,
      stdout: '',
      stderr: '',
      timedOut: false,
      cancelled: false,
      durationMs: 0,
      stoppedByRequest: this.signalsSent.length > 0,
    });
  }
}

function expectedAction(e: TranscriptEvent): Action | undefined {
  if ('fd' in e && e.fd === 'stdin') return 'eof' in e ? { kind: 'eof' } : { kind: 'line', text: e.text };
  if ('signal' in e && !('exit' in e)) return { kind: 'signal', signal: e.signal };
  return undefined;
}

function sameAction(a: Action, b: Action): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'line' && b.kind === 'line') return a.text === b.text;
  if (a.kind === 'signal' && b.kind === 'signal') return a.signal === b.signal;
  return true;
}

function describe(a: Action): string {
  return a.kind === 'line' ? `typed ${JSON.stringify(a.text)}` : a.kind === 'eof' ? 'ended input' : `sent ${a.signal}`;
}

/** gphoto2's shell prompt at the end of stdout (the recorder's test, kept the same). */
export function endsWithShellPrompt(text: string): boolean {
  const line = text.slice(text.lastIndexOf('\n') + 1);
  return line.startsWith('gphoto2: {') && line.endsWith('> ') && line.includes('} ');
}

export interface StepChild {
  stdin: { write(text: string): void; end(): void };
  kill(signal: NodeJS.Signals): void;
  /** stdout so far. */
  stdout(): string;
  /** Called on every output chunk and at exit: the runner re-checks its current step. */
  onChange(listener: () => void): void;
  exited(): boolean;
}

/**
 * Does what the recorder did (capture-shell-fixtures.mjs), step by step, against another process
 * (the simulator): each step waits for its condition (a new prompt, a text, a time), then types, ends
 * input or signals. `<TMP>` in typed lines becomes `tmp`. Resolves when every step is done; rejects
 * naming the step that could not happen within `stepTimeoutMs`.
 */
export function runTranscriptSteps(
  child: StepChild,
  steps: readonly TranscriptStep[],
  tmp: string,
  stepTimeoutMs = 20_000,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let next = 0;
    let prompts = 0;
    let promptsAtStep = 0;
    let stdoutAtStep = -1;
    let stepStarted = performance.now();
    let lastLength = 0;
    let timer: NodeJS.Timeout | undefined;
    let deadline: NodeJS.Timeout | undefined;
    const begin = (): void => {
      stepStarted = performance.now();
      promptsAtStep = prompts;
      stdoutAtStep = next === 0 ? -1 : child.stdout().length;
      clearTimeout(timer);
      clearTimeout(deadline);
      const s = steps[next];
      if (!s) return resolve();
      if (s.afterMs !== undefined) timer = setTimeout(advance, s.afterMs);
      deadline = setTimeout(
        () =>
          reject(new Error(`step ${next} ${JSON.stringify(s)} did not happen; stdout: ${child.stdout().slice(-400)}`)),
        stepTimeoutMs,
      );
    };
    const ready = (s: TranscriptStep): boolean => {
      const out = child.stdout();
      if (s.afterMs !== undefined && performance.now() - stepStarted < s.afterMs) return false;
      if ((s.signal || s.force) && s.afterMs !== undefined) return true;
      if (s.afterText !== undefined) return out.split(s.afterText).length - 1 >= (s.count ?? 1);
      if (s.after !== undefined) return out.length > stdoutAtStep && out.endsWith(s.after);
      return prompts > promptsAtStep && endsWithShellPrompt(out);
    };
    const advance = (): void => {
      // As the recorder: a process that exits ends the steps (the rest could never happen).
      if (child.exited()) {
        clearTimeout(timer);
        clearTimeout(deadline);
        return resolve();
      }
      const out = child.stdout();
      if (out.length !== lastLength) {
        lastLength = out.length;
        if (endsWithShellPrompt(out)) prompts++;
      }
      while (next < steps.length && ready(steps[next])) {
        const s = steps[next++];
        if (s.signal) child.kill(s.signal as NodeJS.Signals);
        else if (s.close) child.stdin.end();
        else child.stdin.write(`${(s.send ?? s.answer ?? '').replaceAll('<TMP>', tmp)}\n`);
        begin();
      }
      // A timer may fire a little before performance.now() says the time is up: look again then.
      const s = steps[next];
      if (s?.afterMs !== undefined) {
        const left = s.afterMs - (performance.now() - stepStarted);
        if (left > 0) {
          clearTimeout(timer);
          timer = setTimeout(advance, Math.ceil(left) + 1);
        }
      }
    };
    child.onChange(advance);
    begin();
    advance();
  });
}
