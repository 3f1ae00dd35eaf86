/**
 * gphoto2's command line: argv builders and parsers of its output. Pure functions only, so they
 * are tested against real gphoto2 output kept as fixtures.
 */
import { SETTING_IDS } from '../config/settingIds';
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
export function captureAndDownloadArgs(
  selection: CameraSelection,
  stagingDir: string,
  keepOnCamera: boolean,
): string[] {
  const args = [
    ...selectionArgs(selection),
    '--capture-image-and-download',
    `--filename=${path.join(escapeFilenamePattern(stagingDir), '%f.%C')}`,
  ];
  if (keepOnCamera) args.push('--keep');
  return args;
}

/**
 * Tethered mode: wait for the body's shutter and download every new file into `stagingDir`
 * (`--capture-tethered`; SIGUSR1 captures inside the wait, SIGUSR2 ends it after the current download).
 */
export function captureTetheredArgs(selection: CameraSelection, stagingDir: string, keepOnCamera: boolean): string[] {
  return [
    ...selectionArgs(selection),
    '--capture-tethered',
    keepOnCamera ? '--keep' : '--no-keep',
    `--filename=${path.join(escapeFilenamePattern(stagingDir), '%f.%C')}`,
  ];
}

/** Every file on the card, one `FILENAME='<folder>/<name>' ...` line each (gphoto2 >= 2.5.28). */
export function listCardFilesArgs(selection: CameraSelection): string[] {
  return [...selectionArgs(selection), '--quiet', '--list-files', '--parsable'];
}

/** Downloads card files by their full camera path into `dir` (they stay on the card). */
export function getCardFilesArgs(selection: CameraSelection, cameraPaths: readonly string[], dir: string): string[] {
  return [
    ...selectionArgs(selection),
    `--filename=${path.join(escapeFilenamePattern(dir), '%f.%C')}`,
    ...cameraPaths.map((p) => `--get-file=${p}`),
  ];
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

/*
 * Parsing gphoto2's output. It runs on the extension host's only thread and the text is not ours
 * (a camera's name, a folder name, a broken or hostile binary can put anything in it): a regular
 * expression that backtracks (`\s*(.*?)\s*` took 10 s on 3,000 spaces) would freeze VS Code. So
 * every parser here works in one pass over bounded text: only the last 64 KB of a stream is read
 * (gphoto2's errors and results come at its end; the start for --version and --auto-detect, whose
 * headers come first), lines are cut with indexOf, lines over 1 KB are skipped (no gphoto2 line we
 * read is that long: a path would have to be over 1,000 characters), and matching is startsWith,
 * endsWith and slices. The few regular expressions left have no two quantifiers that can take the
 * same characters, so they cannot backtrack more than once per character.
 */

/** How much of one stream the parsers read. */
const MAX_PARSED_CHARS = 64 * 1024;
/** Lines longer than this are skipped by the parsers. */
const MAX_LINE_CHARS = 1024;

/** The last MAX_PARSED_CHARS of text, from a line start (a cut line would parse as something else). */
function lastPart(text: string): string {
  if (text.length <= MAX_PARSED_CHARS) return text;
  const cut = text.length - MAX_PARSED_CHARS;
  if (text.charCodeAt(cut - 1) === 0x0a) return text.slice(cut);
  const nl = text.indexOf('\n', cut);
  return nl < 0 ? '' : text.slice(nl + 1);
}

/** The first MAX_PARSED_CHARS of text, up to a line end. */
function firstPart(text: string): string {
  if (text.length <= MAX_PARSED_CHARS) return text;
  const nl = text.lastIndexOf('\n', MAX_PARSED_CHARS - 1);
  return nl < 0 ? '' : text.slice(0, nl + 1);
}

/** Lines as split(/\r?\n/) gives them, without those longer than MAX_LINE_CHARS. */
function boundedLines(text: string): string[] {
  const out: string[] = [];
  let from = 0;
  while (from <= text.length) {
    let end = text.indexOf('\n', from);
    if (end < 0) end = text.length;
    const stop = end > from && text.charCodeAt(end - 1) === 0x0d ? end - 1 : end;
    if (stop - from <= MAX_LINE_CHARS) out.push(text.slice(from, stop));
    from = end + 1;
  }
  return out;
}

/** What `\s` matches (and `trim()` removes): one code unit, no regular expression. */
function isSpace(c: number): boolean {
  return (
    c === 0x20 ||
    (c >= 0x09 && c <= 0x0d) ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/** `<name> <version>` at the start of a line: the version's whole token, if it starts like 2.5.28. */
function versionAfter(line: string, name: string): string | undefined {
  if (!line.startsWith(name) || line.length === name.length || !isSpace(line.charCodeAt(name.length))) return undefined;
  let i = name.length;
  while (i < line.length && isSpace(line.charCodeAt(i))) i++;
  let j = i;
  while (j < line.length && !isSpace(line.charCodeAt(j))) j++;
  const token = line.slice(i, j);
  // \d and \. never match the same character: no backtracking.
  return /^\d+(?:\.\d+)+/.test(token) ? token : undefined;
}

export function parseVersion(stdout: string): Gphoto2Version {
  let gphoto2: string | undefined;
  let libgphoto2: string | undefined;
  for (const line of boundedLines(firstPart(stdout))) {
    gphoto2 ??= versionAfter(line, 'gphoto2');
    libgphoto2 ??= versionAfter(line, 'libgphoto2');
  }
  if (!gphoto2) {
    throw new CameraError(
      'badOutput',
      `This does not look like gphoto2: "--version" printed ${describeOutput(stdout)}. Check the gphoto2 path setting.`,
      {},
      ['openSettings', 'showLog'],
    );
  }
  return libgphoto2 ? { gphoto2, libgphoto2 } : { gphoto2 };
}

/** `----------` (ten or more dashes), then only spaces. */
function isDashLine(line: string): boolean {
  const t = line.trimEnd();
  if (t.length < 10) return false;
  for (let i = 0; i < t.length; i++) if (t.charCodeAt(i) !== 0x2d) return false;
  return true;
}

/** `Model` and `Port` separated by spaces, nothing else but spaces. */
function isAutoDetectHeader(line: string | undefined): boolean {
  const t = (line ?? '').trim();
  return t.length > 'ModelPort'.length && t.startsWith('Model') && t.endsWith('Port') && t.slice(5, -4).trim() === '';
}

/**
 * `--auto-detect` prints a "Model ... Port" header, a line of dashes, then one row per camera:
 * the model padded to a column, then the port. Models can contain spaces; the port is the last field.
 */
export function parseAutoDetect(stdout: string): DetectedCamera[] {
  const lines = boundedLines(firstPart(stdout));
  const dashes = lines.findIndex(isDashLine);
  if (dashes < 0 || !isAutoDetectHeader(lines[dashes - 1])) {
    throw new CameraError(
      'badOutput',
      `gphoto2 --auto-detect printed something unexpected: ${describeOutput(stdout)}. Is the gphoto2 path setting pointing at gphoto2?`,
      {},
      ['openSettings', 'showLog'],
    );
  }
  const cameras: DetectedCamera[] = [];
  for (const line of lines.slice(dashes + 1)) {
    if (line.trim() === '') continue;
    // The port is the last space-free field and holds a ':' after its first character ("usb:001,004").
    const t = line.trimEnd();
    let k = t.length - 1;
    while (k >= 0 && !isSpace(t.charCodeAt(k))) k--;
    const port = t.slice(k + 1);
    const model = k < 0 ? '' : t.slice(0, k).trim();
    if (model === '' || port.indexOf(':', 1) < 1) {
      throw new CameraError('badOutput', `gphoto2 --auto-detect printed a row it cannot read: "${line.trim()}".`, {}, [
        'showLog',
      ]);
    }
    cameras.push({ model, port });
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
  return errorsIn(boundedLines(lastPart(output)));
}

const ERROR_PREFIX = '*** Error';
const CODED_PREFIX = '*** Error (';
const CODED_SUFFIX = "') ***";

/**
 * `*** Error (<int>: '<text without quotes>') ***` at the end of a trimmed line: the index where it
 * starts, the code and the text. Read backwards from the end: the text holds no quote, so the
 * closing quote's partner is the last quote before it.
 */
function codedErrorAtEnd(line: string): { index: number; code: number; codeText: string } | undefined {
  if (!line.endsWith(CODED_SUFFIX)) return undefined;
  const close = line.length - CODED_SUFFIX.length;
  const open = line.lastIndexOf("'", close - 1);
  if (open < 2 || line.charCodeAt(open - 1) !== 0x20 || line.charCodeAt(open - 2) !== 0x3a) return undefined;
  let i = open - 2; // the ':'
  while (i > 0 && line.charCodeAt(i - 1) >= 0x30 && line.charCodeAt(i - 1) <= 0x39) i--;
  if (i === open - 2) return undefined; // no digits
  if (i > 0 && line.charCodeAt(i - 1) === 0x2d) i--;
  const index = i - CODED_PREFIX.length;
  if (index < 0 || !line.startsWith(CODED_PREFIX, index)) return undefined;
  return { index, code: Number(line.slice(i, open - 2)), codeText: line.slice(open + 1, close) };
}

function errorsIn(lines: readonly string[]): Gphoto2ErrorBlock[] {
  const blocks: Gphoto2ErrorBlock[] = [];
  let collecting: string[] | undefined;
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '*** Error ***') {
      collecting = [];
      continue;
    }
    // The coded line can follow the message on the same line (the -5 "Unknown port" text does).
    const coded = codedErrorAtEnd(line);
    if (coded) {
      const before = line.slice(0, coded.index).trim();
      const message = [...(collecting ?? []), ...(before ? [before] : [])].join(' ').trim();
      blocks.push({ code: coded.code, codeText: coded.codeText, message });
      collecting = undefined;
      continue;
    }
    // `*** Error: <message> ***` (the colon optional), the message trimmed.
    if (line.length >= ERROR_PREFIX.length + 3 && line.startsWith(ERROR_PREFIX) && line.endsWith('***')) {
      const inner = line.slice(ERROR_PREFIX.length, -3);
      const message = (inner.startsWith(':') ? inner.slice(1) : inner).trim();
      blocks.push({ code: /No camera found/i.test(message) ? -2000 : undefined, message });
      continue;
    }
    if (collecting && line !== '') collecting.push(line);
  }
  if (collecting && collecting.length > 0) blocks.push({ message: collecting.join(' ') });
  return blocks;
}

/** The rest of each line that starts with `prefix`, trailing spaces removed (and not empty). */
function linesAfter(text: string, prefix: string): string[] {
  const out: string[] = [];
  for (const line of boundedLines(lastPart(text))) {
    if (!line.startsWith(prefix)) continue;
    const rest = line.slice(prefix.length).trimEnd();
    if (rest !== '') out.push(rest);
  }
  return out;
}

/** Paths from `Saving file as PATH` lines: what gphoto2 actually wrote (it may differ from --filename). */
export function parseSavedFiles(stdout: string): string[] {
  return linesAfter(stdout, 'Saving file as ');
}

/** Camera-side paths from `New file is in location PATH on the camera`. */
/** Camera paths from `--list-files --parsable` (`FILENAME='/store_00010001/DCIM/100CANON/IMG_0001.JPG' PERMS=rd ...`). */
export function parseCardFiles(stdout: string): string[] {
  // The whole listing (a card holds thousands of files; a cut list would make old files look new),
  // still one linear pass with indexOf and lines over 1 KB skipped.
  const files: string[] = [];
  let start = 0;
  while (start < stdout.length) {
    let end = stdout.indexOf('\n', start);
    if (end < 0) end = stdout.length;
    if (end - start <= MAX_LINE_CHARS && stdout.startsWith("FILENAME='", start)) {
      const close = stdout.indexOf("'", start + 10);
      if (close > start + 10 && close < end) files.push(stdout.slice(start + 10, close));
    }
    start = end + 1;
  }
  return files;
}

export function parseNewCameraFiles(stdout: string): string[] {
  const suffix = ' on the camera';
  return linesAfter(stdout, 'New file is in location ')
    .filter((r) => r.length > suffix.length && r.endsWith(suffix))
    .map((r) => r.slice(0, -suffix.length));
}

/** Lines gphoto2 prints when an operation failed although it may still exit 0. */
export function parseFailureLines(output: string): string[] {
  return failureLinesIn(boundedLines(lastPart(output)));
}

function failureLinesIn(lines: readonly string[]): string[] {
  const out: string[] = [];
  for (const line of lines) {
    for (const prefix of ['ERROR: ', 'Sorry, your ']) {
      if (line.startsWith(prefix) && line.trimEnd().length > prefix.length) out.push(line.trimEnd());
    }
  }
  return out;
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
  const stderrTail = outputTail(outcome.stderr);
  const base = { stderrTail, exitCode: outcome.exitCode, signal: outcome.signal };
  if (outcome.spawnErrorCode === 'ENOENT') {
    return new CameraError(
      'gphoto2Missing',
      `gphoto2 was not found ("${ctx.command}"). Install it (Debian/Ubuntu: sudo apt install gphoto2; macOS: brew install gphoto2) or set "${SETTING_IDS.gphoto2Path}", or try the simulated camera.`,
      { ...base, setting: SETTING_IDS.gphoto2Path },
    );
  }
  if (outcome.spawnErrorCode === 'EACCES') {
    return new CameraError(
      'gphoto2Missing',
      `"${ctx.command}" cannot be run (permission denied). Make it executable or set "${SETTING_IDS.gphoto2Path}" to the gphoto2 program.`,
      { ...base, setting: SETTING_IDS.gphoto2Path },
    );
  }
  if (outcome.spawnErrorCode) {
    return new CameraError(
      'failed',
      `${ctx.job} could not start gphoto2: ${outcome.spawnErrorMessage ?? outcome.spawnErrorCode}.`,
      base,
      ['openSettings', 'showLog'],
    );
  }
  if (outcome.cancelled) return new CameraError('cancelled', `${ctx.job} was cancelled; gphoto2 was stopped.`, base);
  if (outcome.timedOut) {
    return new CameraError(
      'timeout',
      `${ctx.job} took longer than ${formatSeconds(ctx.timeoutMs)} and gphoto2 was stopped. The camera may be asleep, busy or held by another program: run Cleanup, check the camera, or raise the timeout in the settings.`,
      base,
    );
  }
  // stderr then stdout, each bounded (see the parsers above).
  const output = [...boundedLines(lastPart(outcome.stderr)), ...boundedLines(lastPart(outcome.stdout))];
  const noLiveView = output.find((l) => /does not support LiveView/i.test(l));
  if (noLiveView !== undefined) {
    return new CameraError(
      'unsupported',
      `${ctx.job} is not possible: the camera does not support live view ("${noLiveView.trim()}").`,
      { ...base, gphoto2Code: -6 },
    );
  }
  const errors = errorsIn(output);
  const known = errors.find((e) => e.code !== undefined) ?? errors[0];
  if (known) return errorFromGphoto2Code(known, ctx, base);
  if (outcome.signal) {
    const killedBy = outcome.signal === 'SIGKILL' ? 'killed (signal 9)' : `stopped by ${outcome.signal}`;
    return new CameraError(
      'killed',
      `${ctx.job} failed: gphoto2 was ${killedBy}. The camera was busy or another program killed the process. Run Cleanup, then try again.`,
      base,
    );
  }
  if (outcome.exitCode !== 0 && output.some((l) => /^Usage:|unknown option|bad argument/i.test(l))) {
    return new CameraError(
      'failed',
      `${ctx.job} failed: gphoto2 rejected its arguments (${firstLine(output)}). Your gphoto2 may be too old; gphoto2 2.5 or newer is needed.`,
      base,
      ['showLog'],
    );
  }
  const failure = failureLinesIn(output)[0];
  if (outcome.exitCode !== 0) {
    return new CameraError(
      'failed',
      `${ctx.job} failed: gphoto2 exited with code ${outcome.exitCode}${failure ? ` ("${failure}")` : ''}. See the log for its output.`,
      base,
    );
  }
  if (failure) {
    return new CameraError(
      'failed',
      `${ctx.job} failed although gphoto2 exited normally: "${failure}". Check the camera (focus, card, battery) and try again.`,
      base,
    );
  }
  return undefined;
}

function errorFromGphoto2Code(
  e: Gphoto2ErrorBlock,
  ctx: ClassifyContext,
  base: { stderrTail: string; exitCode?: number; signal?: string },
): CameraError {
  const details = { ...base, gphoto2Code: e.code };
  const said = [e.message, e.codeText].filter(Boolean).join(' ');
  switch (e.code) {
    case -53:
      return new CameraError(
        'busy',
        `${ctx.job} failed: another program holds the camera (gphoto2: "Could not claim the USB device"). On Linux this is usually gvfs-gphoto2-volume-monitor, on macOS PTPCamera/ptpcamerad. Run Cleanup to stop it, then try again.`,
        details,
      );
    case -110:
      return new CameraError(
        'busy',
        `${ctx.job} failed: the camera reports it is busy (still writing to its card, focusing, or in a menu). Wait a moment and try again.`,
        details,
        ['retry', 'cleanup', 'showLog'],
      );
    case -105:
    case -2000:
    case -52:
      return new CameraError(
        'notFound',
        `${ctx.job} failed: no camera found. Check that the camera is switched on, connected by USB, and not in mass-storage mode; or use the simulated camera.`,
        details,
      );
    case -5:
      return new CameraError(
        'badSetting',
        `${ctx.job} failed: gphoto2 does not know the port in "${SETTING_IDS.port}" (${said}). Clear the setting or pick a port from "Camera: Detect Camera".`,
        { ...details, setting: SETTING_IDS.port },
      );
    case -6:
      return new CameraError('unsupported', `${ctx.job} is not supported by this camera (${said}).`, details);
    case -3:
      return new CameraError(
        'storageFull',
        `${ctx.job} failed: the camera's card or memory is full (${said}). Free space on the card, or let downloads delete images from the camera.`,
        details,
      );
    case -7:
    case -1:
    case -10:
      return new CameraError(
        'io',
        `${ctx.job} failed: the camera connection had an I/O problem (${said}). Check the cable, run Cleanup and try again.`,
        details,
      );
    default:
      return new CameraError(
        'failed',
        `${ctx.job} failed: gphoto2 said "${said || 'unknown error'}"${e.code !== undefined ? ` (${e.code})` : ''}. See the log for details.`,
        details,
      );
  }
}

/** The last non-blank lines of a stream's bounded part, for the log; an overlong line is cut, not hidden. */
export function outputTail(text: string, lines = 8): string {
  const part = lastPart(text);
  const out: string[] = [];
  let end = part.length;
  while (end >= 0 && out.length < lines) {
    const start = end === 0 ? 0 : part.lastIndexOf('\n', end - 1) + 1;
    const line = part.slice(start, Math.min(end, start + MAX_LINE_CHARS + 1)).replace(/\r$/, '');
    if (line.trim() !== '') out.push(line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)}…` : line);
    end = start - 1;
  }
  return out.reverse().join('\n');
}

function firstLine(lines: readonly string[]): string {
  return lines.find((l) => l.trim() !== '')?.trim() ?? '';
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

function describeOutput(text: string): string {
  const t = firstPart(text).trim();
  if (t === '') return 'nothing';
  return `"${t.length > 120 ? `${t.slice(0, 120)}…` : t}"`;
}

/** ` (gphoto2: "<first failure line>")` for an error message, or nothing when gphoto2 printed none. */
export function describeFailureLine(outcome: Pick<ProcessOutcome, 'stdout' | 'stderr'>): string {
  const line = parseFailureLines(`${outcome.stderr}\n${outcome.stdout}`)[0];
  return line ? ` (gphoto2: "${line}")` : '';
}
