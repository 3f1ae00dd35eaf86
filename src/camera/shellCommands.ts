/**
 * A one-shot job's gphoto2 argv as commands of a `gphoto2 --shell` session, and the session's answers
 * as the output that one process would have given. The jobs keep building argv and judging output
 * exactly as they do for one process per command; only the connection differs.
 *
 * What translates: the camera selection (the session was opened with it), `--summary`,
 * `--get-config`, `--set-config[-value|-index]`, `--list-all-config` (the shell has none:
 * `list-config`, then `get-config` of every path), `--capture-image-and-download` (a capture inside
 * an event wait, see ShellStep) and `--capture-preview` into the job's own empty folder (`lcd`), and
 * `--keep` when the session was
 * opened with it. Anything else (`--auto-detect`, `--version`, card listings, holders) returns
 * undefined: it runs as a process of its own, after the session is closed.
 *
 * Like one gphoto2 run, every command runs even when an earlier one failed (a refused write does not
 * stop the read-back or the capture after it), and the run "exits" 1 when its last action failed.
 * The shell prints its coded `*** Error (N: '...') ***` line on stdout after each failed command; one
 * process prints it once, on stderr, for its last action: so it is kept for the last command only,
 * after that command's stderr, and the same classifier reads both.
 */
import * as path from 'path';
import * as gp from './gphoto2';
import type { ShellCommandResult } from './shellSession';

export type ShellStep =
  /** One shell line; `localDir`: `lcd` there first (the job's own empty folder). */
  | { kind: 'line'; line: string; localDir?: string }
  /**
   * A capture and its download into `localDir`, made inside an event wait (SIGUSR1 armed before
   * `wait-event-and-download`, SIGUSR2 once the files are in): `capture-image-and-download` would
   * sit in gphoto2's wait for more files of the exposure (seconds) before its prompt returns.
   */
  | { kind: 'captureInWait'; localDir: string }
  /** `--list-all-config`: `list-config`, then the values of every path it lists. */
  | { kind: 'listAllConfig' };

export interface ShellPlan {
  steps: ShellStep[];
  /** The run asked for `--keep` (files stay on the card): the session must have been opened so. */
  keep: boolean;
  /** It captures or previews into the job's folder (where `--keep` matters). */
  downloads: boolean;
}

const SETTERS = ['--set-config-value=', '--set-config-index=', '--set-config='] as const;

/**
 * The steps for `args`, or undefined when any part of them has no shell equivalent. `dir`: the
 * job's own folder (its watch), where a capture or preview must save: any other `--filename` is not
 * translated (the shell saves under the camera's names into its local folder only).
 */
export function shellPlanFor(args: readonly string[], dir: string | undefined): ShellPlan | undefined {
  const steps: ShellStep[] = [];
  let keep = false;
  let filename: string | undefined;
  let download: 'capture' | 'preview' | undefined;
  for (const a of args) {
    if (a.startsWith('--camera=') || a.startsWith('--port=')) continue;
    if (a === '--keep') keep = true;
    else if (a === '--summary') steps.push({ kind: 'line', line: 'summary' });
    else if (a === '--list-all-config') steps.push({ kind: 'listAllConfig' });
    else if (a.startsWith('--get-config=')) steps.push({ kind: 'line', line: `get-config ${a.slice(13)}` });
    else if (a.startsWith('--filename=')) filename = a.slice(11);
    else if (a === '--capture-image-and-download' || a === '--capture-preview') {
      if (download || dir === undefined) return undefined;
      download = a === '--capture-preview' ? 'preview' : 'capture';
      steps.push(
        download === 'preview'
          ? { kind: 'line', line: 'capture-preview', localDir: dir }
          : { kind: 'captureInWait', localDir: dir },
      );
    } else {
      const setter = SETTERS.find((s) => a.startsWith(s));
      if (!setter) return undefined;
      steps.push({ kind: 'line', line: `${setter.slice(2, -1)} ${a.slice(setter.length)}` });
    }
  }
  if (steps.length === 0) return undefined;
  if (download !== undefined) {
    // The shell saves into the `lcd` folder under the camera's names: only a job that asked for
    // exactly that (a capture: DIR/%f.%C; a preview: a name in DIR, which gphoto2 chooses anyway) fits.
    const escaped = gp.escapeFilenamePattern(dir ?? '');
    const fits =
      filename !== undefined &&
      (download === 'capture'
        ? filename === path.join(escaped, '%f.%C')
        : path.dirname(filename) === escaped && !path.basename(filename).includes('%'));
    if (!fits) return undefined;
  } else if (filename !== undefined || keep) {
    return undefined;
  }
  return { steps, keep, downloads: download !== undefined };
}

/** The shell's coded error line (stdout): `*** Error (-1: 'Unspecified error') ***`. */
const CODED_LINE = /^\*\*\* Error \(-?\d+: '[^'\n]*'\) \*\*\*$/;

/** What one gphoto2 run would have printed, from the session's answers to a plan's commands. */
export interface SynthesisedRun {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/**
 * Joins the commands' answers into one run's output: `Saving file as` names made absolute (the shell
 * prints them relative to its local folder), coded error lines moved to stderr after their message.
 * `failed[i]`: whether command i failed (its result decides the exit code when it is the last).
 */
export function synthesiseRun(parts: ReadonlyArray<{ result: ShellCommandResult; failed: boolean }>): SynthesisedRun {
  let stdout = '';
  let stderr = '';
  for (const [i, { result }] of parts.entries()) {
    // One gphoto2 run prints the coded line once, for its last action's result; an earlier refusal
    // (a locked value the dial will not take) leaves only libgphoto2's message, and the run goes on.
    const last = i === parts.length - 1;
    const coded: string[] = [];
    for (const raw of result.stdout.split('\n')) {
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (CODED_LINE.test(line.trim())) coded.push(line.trim());
      else if (line.startsWith('Saving file as ') && result.localDir !== undefined)
        stdout += `Saving file as ${path.resolve(result.localDir, line.slice(15))}\n`;
      else if (line !== '') stdout += `${line}\n`;
    }
    stderr += result.stderr;
    if (last && coded.length > 0)
      stderr += `${stderr.endsWith('\n') || stderr === '' ? '' : '\n'}${coded.join('\n')}\n`;
  }
  const last = parts[parts.length - 1];
  return { stdout, stderr, exitCode: last?.failed ? 1 : 0 };
}

/** A command failed as far as gphoto2 says: a coded error, or an `ERROR:` / `Sorry, ...` line. */
export function commandFailed(result: ShellCommandResult): boolean {
  return result.errors.some((e) => e.code !== undefined);
}

/** The paths `list-config` printed, one a line. */
export function parseConfigPaths(stdout: string): string[] {
  const out: string[] = [];
  for (const raw of stdout.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('/') && !line.includes(' ')) out.push(line);
  }
  return out;
}

/** gphoto2 copies a shell line into 1024-byte buffers: several paths per `get-config`, under that. */
export function getConfigBatches(paths: readonly string[], maxBytes: number): string[][] {
  const batches: string[][] = [];
  let batch: string[] = [];
  let bytes = 'get-config'.length;
  for (const p of paths) {
    const add = Buffer.byteLength(p, 'utf8') + 1;
    if (batch.length > 0 && bytes + add > maxBytes) {
      batches.push(batch);
      batch = [];
      bytes = 'get-config'.length;
    }
    batch.push(p);
    bytes += add;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/** `--list-all-config`'s output from each path and its `get-config` block (`Label:` ... `END`). */
export function listAllConfigText(blocks: ReadonlyArray<{ path: string; block: string }>): string {
  return blocks.map((b) => `${b.path}\n${b.block.endsWith('\n') ? b.block : `${b.block}\n`}`).join('');
}

/** Splits a multi-name `get-config` answer into its `Label:` ... `END` blocks, in order. */
export function splitConfigBlocks(stdout: string): string[] {
  const blocks: string[] = [];
  let current: string[] | undefined;
  for (const raw of stdout.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.startsWith('Label:')) current = [line];
    else if (current) {
      current.push(line);
      if (line.trimEnd() === 'END') {
        blocks.push(`${current.join('\n')}\n`);
        current = undefined;
      }
    }
  }
  return blocks;
}
