/**
 * gphoto2's command line: argv builders and parsers of its output. Pure functions only, so they
 * are tested against real gphoto2 output kept as fixtures.
 */
import * as path from 'path';
import { CameraError } from './errors';

export interface CameraSelection {
  /** gphoto2 `--camera` model name, e.g. "Canon EOS 700D". */
  model?: string;
  /** gphoto2 `--port`, e.g. "usb:001,004". */
  port?: string;
}

export interface DetectedCamera {
  model: string;
  port: string;
}

export interface Gphoto2Version {
  gphoto2: string;
  libgphoto2?: string;
}

/**
 * gphoto2 remembers `--camera`/`--port` in ~/.gphoto/settings and reuses them on later calls, so
 * whenever a body is chosen both flags go on every command line. Each is ONE argv element
 * (`--camera=<model>`), so a value starting with `-` can never be read as an option.
 */
export function selectionArgs(selection: CameraSelection): string[] {
  const args: string[] = [];
  if (selection.model) args.push(`--camera=${selection.model}`);
  if (selection.port) args.push(`--port=${selection.port}`);
  return args;
}

export const versionArgs = (): string[] => ['--version'];
export const autoDetectArgs = (): string[] => ['--auto-detect'];
export const summaryArgs = (selection: CameraSelection): string[] => [...selectionArgs(selection), '--summary'];

/**
 * gphoto2 expands `%` codes in the WHOLE `--filename` value (folders included) and creates the
 * folders it names, so a `%` in a path of ours would send the file elsewhere (`scans-%d` became
 * `scans-30`) or fail every download (`scans 100%`). `%%` is its literal percent sign.
 */
export function escapeFilenamePattern(literalPath: string): string {
  return literalPath.replace(/%/g, '%%');
}

/** One preview frame saved to `file` (gphoto2 may still choose `thumb_<name>`; see parseSavedFiles). */
export function capturePreviewArgs(selection: CameraSelection, file: string): string[] {
  return [...selectionArgs(selection), '--capture-preview', `--filename=${escapeFilenamePattern(file)}`];
}

/**
 * Capture and download into an empty staging folder under the camera's own file names, so RAW and
 * JPEG of one exposure arrive as two files and no existing file can ever be a target. The folder
 * is escaped; `%f.%C` (camera name and suffix) are the only codes gphoto2 expands.
 */
export function captureAndDownloadArgs(selection: CameraSelection, stagingDir: string, keepOnCamera: boolean): string[] {
  const args = [...selectionArgs(selection), '--capture-image-and-download', `--filename=${path.join(escapeFilenamePattern(stagingDir), '%f.%C')}`];
  if (keepOnCamera) args.push('--keep');
  return args;
}

/** Live view: a stream of JPEG frames on stdout until SIGINT. */
export function captureMovieArgs(selection: CameraSelection): string[] {
  return [...selectionArgs(selection), '--capture-movie', '--stdout'];
}

/** Renders argv for the log the way a user could paste it into a shell. */
export function formatCommandLine(command: string, args: readonly string[]): string {
  return [command, ...args].map(shellQuoteForDisplay).join(' ');
}

function shellQuoteForDisplay(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function parseVersion(stdout: string): Gphoto2Version {
  const first = /^gphoto2\s+(\d+(?:\.\d+)+\S*)/m.exec(stdout);
  if (!first) {
    throw new CameraError('badOutput', `This does not look like gphoto2: "--version" printed ${describeOutput(stdout)}. Check the gphoto2 path setting.`, {}, ['openSettings', 'showLog']);
  }
  const lib = /^libgphoto2\s+(\d+(?:\.\d+)+\S*)/m.exec(stdout);
  return lib ? { gphoto2: first[1], libgphoto2: lib[1] } : { gphoto2: first[1] };
}

/**
 * `--auto-detect` prints a "Model ... Port" header, a line of dashes, then one row per camera:
 * the model padded to a column, then the port. Models can contain spaces; the port is the last field.
 */
export function parseAutoDetect(stdout: string): DetectedCamera[] {
  const lines = stdout.split(/\r?\n/);
  const dashes = lines.findIndex((l) => /^-{10,}\s*$/.test(l));
  if (dashes < 0 || !/^\s*Model\s+Port\s*$/.test(lines[dashes - 1] ?? '')) {
    throw new CameraError('badOutput', `gphoto2 --auto-detect printed something unexpected: ${describeOutput(stdout)}. Is the gphoto2 path setting pointing at gphoto2?`, {}, ['openSettings', 'showLog']);
  }
  const cameras: DetectedCamera[] = [];
  for (const line of lines.slice(dashes + 1)) {
    if (line.trim() === '') continue;
    const row = /^(.*\S)\s+(\S+:\S*)\s*$/.exec(line);
    if (!row) {
      throw new CameraError('badOutput', `gphoto2 --auto-detect printed a row it cannot read: "${line.trim()}".`, {}, ['showLog']);
    }
    cameras.push({ model: row[1].trim(), port: row[2] });
  }
  return cameras;
}

export interface Gphoto2ErrorBlock {
  code?: number;
  /** gphoto2's short name for the code, e.g. "Could not claim the USB device". */
  codeText?: string;
  /** The explanatory lines, e.g. the io-library sentence naming gvfs-gphoto2-volume-monitor. */
  message: string;
}

/**
 * Error blocks look like `*** Error ***` / message lines / `*** Error (-53: 'Could not claim the
 * USB device') ***`; `*** Error: No camera found. ***` is a one-line variant.
 */
export function parseErrors(output: string): Gphoto2ErrorBlock[] {
  const blocks: Gphoto2ErrorBlock[] = [];
  let collecting: string[] | undefined;
  for (const raw of output.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '*** Error ***') {
      collecting = [];
      continue;
    }
    // The coded line can follow the message on the same line (the -5 "Unknown port" text does).
    const coded = /\*\*\* Error \((-?\d+): '([^']*)'\) \*\*\*$/.exec(line);
    if (coded) {
      const before = line.slice(0, coded.index).trim();
      const message = [...(collecting ?? []), ...(before ? [before] : [])].join(' ').trim();
      blocks.push({ code: Number(coded[1]), codeText: coded[2], message });
      collecting = undefined;
      continue;
    }
    const oneLine = /^\*\*\* Error:?\s*(.*?)\s*\*\*\*$/.exec(line);
    if (oneLine) {
      blocks.push({ code: /No camera found/i.test(oneLine[1]) ? -2000 : undefined, message: oneLine[1] });
      continue;
    }
    if (collecting && line !== '') collecting.push(line);
  }
  if (collecting && collecting.length > 0) blocks.push({ message: collecting.join(' ') });
  return blocks;
}

/** Paths from `Saving file as PATH` lines: what gphoto2 actually wrote (it may differ from --filename). */
export function parseSavedFiles(stdout: string): string[] {
  return [...stdout.matchAll(/^Saving file as (.+?)\s*$/gm)].map((m) => m[1]);
}

/** Camera-side paths from `New file is in location PATH on the camera`. */
export function parseNewCameraFiles(stdout: string): string[] {
  return [...stdout.matchAll(/^New file is in location (.+) on the camera\s*$/gm)].map((m) => m[1]);
}

/** Lines gphoto2 prints when an operation failed although it may still exit 0. */
export function parseFailureLines(output: string): string[] {
  return [...output.matchAll(/^(ERROR: .+?|Sorry, your .+?)\s*$/gm)].map((m) => m[1]);
}

export interface ProcessOutcome {
  exitCode?: number;
  signal?: string;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  cancelled: boolean;
  /** errno of a spawn failure, e.g. ENOENT when the binary is missing. */
  spawnErrorCode?: string;
  spawnErrorMessage?: string;
}

export interface ClassifyContext {
  /** What the user asked for, e.g. "Capture"; starts the message. */
  job: string;
  command: string;
  timeoutMs: number;
}

/**
 * Turns a finished gphoto2 run into a typed error, or undefined when nothing went wrong as far as the
 * process can tell. Callers still verify the files: gphoto2 exits 0 after some failed captures.
 */
export function classifyOutcome(outcome: ProcessOutcome, ctx: ClassifyContext): CameraError | undefined {
  const stderrTail = tail(outcome.stderr);
  const base = { stderrTail, exitCode: outcome.exitCode, signal: outcome.signal };
  if (outcome.spawnErrorCode === 'ENOENT') {
    return new CameraError('gphoto2Missing', `gphoto2 was not found ("${ctx.command}"). Install it (Debian/Ubuntu: sudo apt install gphoto2; macOS: brew install gphoto2) or set "cameraTether.gphoto2Path", or try the simulated camera.`, { ...base, setting: 'cameraTether.gphoto2Path' });
  }
  if (outcome.spawnErrorCode === 'EACCES') {
    return new CameraError('gphoto2Missing', `"${ctx.command}" cannot be run (permission denied). Make it executable or set "cameraTether.gphoto2Path" to the gphoto2 program.`, { ...base, setting: 'cameraTether.gphoto2Path' });
  }
  if (outcome.spawnErrorCode) {
    return new CameraError('failed', `${ctx.job} could not start gphoto2: ${outcome.spawnErrorMessage ?? outcome.spawnErrorCode}.`, base, ['openSettings', 'showLog']);
  }
  if (outcome.cancelled) return new CameraError('cancelled', `${ctx.job} was cancelled; gphoto2 was stopped.`, base);
  if (outcome.timedOut) {
    return new CameraError('timeout', `${ctx.job} took longer than ${formatSeconds(ctx.timeoutMs)} and gphoto2 was stopped. The camera may be asleep, busy or held by another program: run Cleanup, check the camera, or raise the timeout in the settings.`, base);
  }
  const output = `${outcome.stderr}\n${outcome.stdout}`;
  const noLiveView = /^.*does not support LiveView.*$/im.exec(output);
  if (noLiveView) {
    return new CameraError('unsupported', `${ctx.job} is not possible: the camera does not support live view ("${noLiveView[0].trim()}").`, { ...base, gphoto2Code: -6 });
  }
  const errors = parseErrors(output);
  const known = errors.find((e) => e.code !== undefined) ?? errors[0];
  if (known) return errorFromGphoto2Code(known, ctx, base);
  if (outcome.signal) {
    const killedBy = outcome.signal === 'SIGKILL' ? 'killed (signal 9)' : `stopped by ${outcome.signal}`;
    return new CameraError('killed', `${ctx.job} failed: gphoto2 was ${killedBy}. The camera was busy or another program killed the process. Run Cleanup, then try again.`, base);
  }
  if (outcome.exitCode !== 0 && /^Usage:|unknown option|bad argument/im.test(output)) {
    return new CameraError('failed', `${ctx.job} failed: gphoto2 rejected its arguments (${firstLine(output)}). Your gphoto2 may be too old; gphoto2 2.5 or newer is needed.`, base, ['showLog']);
  }
  const failure = parseFailureLines(output)[0];
  if (outcome.exitCode !== 0) {
    return new CameraError('failed', `${ctx.job} failed: gphoto2 exited with code ${outcome.exitCode}${failure ? ` ("${failure}")` : ''}. See the log for its output.`, base);
  }
  if (failure) {
    return new CameraError('failed', `${ctx.job} failed although gphoto2 exited normally: "${failure}". Check the camera (focus, card, battery) and try again.`, base);
  }
  return undefined;
}

function errorFromGphoto2Code(e: Gphoto2ErrorBlock, ctx: ClassifyContext, base: { stderrTail: string; exitCode?: number; signal?: string }): CameraError {
  const details = { ...base, gphoto2Code: e.code };
  const said = [e.message, e.codeText].filter(Boolean).join(' ');
  switch (e.code) {
    case -53:
      return new CameraError('busy', `${ctx.job} failed: another program holds the camera (gphoto2: "Could not claim the USB device"). On Linux this is usually gvfs-gphoto2-volume-monitor, on macOS PTPCamera/ptpcamerad. Run Cleanup to stop it, then try again.`, details);
    case -110:
      return new CameraError('busy', `${ctx.job} failed: the camera reports it is busy (still writing to its card, focusing, or in a menu). Wait a moment and try again.`, details, ['retry', 'cleanup', 'showLog']);
    case -105:
    case -2000:
    case -52:
      return new CameraError('notFound', `${ctx.job} failed: no camera found. Check that the camera is switched on, connected by USB, and not in mass-storage mode; or use the simulated camera.`, details);
    case -5:
      return new CameraError('badSetting', `${ctx.job} failed: gphoto2 does not know the port in "cameraTether.port" (${said}). Clear the setting or pick a port from "Camera: Detect Camera".`, { ...details, setting: 'cameraTether.port' });
    case -6:
      return new CameraError('unsupported', `${ctx.job} is not supported by this camera (${said}).`, details);
    case -3:
      return new CameraError('storageFull', `${ctx.job} failed: the camera's card or memory is full (${said}). Free space on the card, or let downloads delete images from the camera.`, details);
    case -7:
    case -1:
    case -10:
      return new CameraError('io', `${ctx.job} failed: the camera connection had an I/O problem (${said}). Check the cable, run Cleanup and try again.`, details);
    default:
      return new CameraError('failed', `${ctx.job} failed: gphoto2 said "${said || 'unknown error'}"${e.code !== undefined ? ` (${e.code})` : ''}. See the log for details.`, details);
  }
}

function tail(text: string, lines = 8): string {
  return text.split(/\r?\n/).filter((l) => l.trim() !== '').slice(-lines).join('\n');
}

function firstLine(text: string): string {
  return text.split(/\r?\n/).find((l) => l.trim() !== '')?.trim() ?? '';
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

function describeOutput(text: string): string {
  const t = text.trim();
  if (t === '') return 'nothing';
  return `"${t.length > 120 ? `${t.slice(0, 120)}…` : t}"`;
}
