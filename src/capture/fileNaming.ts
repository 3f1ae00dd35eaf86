/**
 * File and folder names the user controls (the filename pattern, roll names) turned into safe names
 * inside the output folder. Anything that could escape the folder or confuse a file system is
 * rejected with a message that names the problem and the fix.
 */
import { SETTING_IDS } from '../config/settingIds';
import * as path from 'path';

export class NamingError extends Error {
  override readonly name = 'NamingError';
  constructor(
    message: string,
    readonly setting?: string,
  ) {
    super(message);
  }
}

const RESERVED_WINDOWS = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const FORBIDDEN = /[<>:"/\\|?*]/;
export const MAX_NAME_LENGTH = 120;
/**
 * The highest frame number: names stay at most six digits wide (what the 255-byte check below
 * assumes), and a counter can never reach a number that prints as "1e+21".
 */
export const MAX_FRAME = 999_999;

/** Checks one path component the user typed (a roll name, or a pattern's literal text). */
export function checkNameComponent(name: string, what: string, setting?: string): string {
  const trimmed = name.trim();
  if (trimmed === '') throw new NamingError(`${what} is empty. Type a name such as "roll-001".`, setting);
  if (trimmed === '.' || trimmed === '..' || trimmed.includes('..'))
    throw new NamingError(`${what} "${trimmed}" contains "..". Use a plain name without dots in a row.`, setting);
  if (CONTROL.test(trimmed))
    throw new NamingError(`${what} contains control characters. Use letters, digits, spaces, "-" and "_".`, setting);
  if (FORBIDDEN.test(trimmed))
    throw new NamingError(
      `${what} "${trimmed}" contains one of < > : " / \\ | ? *. These are path separators or not allowed in file names; use "-" or "_" instead.`,
      setting,
    );
  if (RESERVED_WINDOWS.test(trimmed))
    throw new NamingError(`${what} "${trimmed}" is a reserved device name on Windows. Choose another name.`, setting);
  if (/[. ]$/.test(trimmed))
    throw new NamingError(
      `${what} "${trimmed}" ends with a dot or a space, which some file systems drop. Remove it.`,
      setting,
    );
  if (trimmed.startsWith('.'))
    throw new NamingError(`${what} "${trimmed}" starts with a dot, which hides it. Remove the dot.`, setting);
  if (Buffer.byteLength(trimmed) > MAX_NAME_LENGTH)
    throw new NamingError(`${what} is longer than ${MAX_NAME_LENGTH} bytes. Use a shorter name.`, setting);
  return trimmed;
}

export function checkRollName(name: string): string {
  return checkNameComponent(name, 'The roll name');
}

type Token =
  | { kind: 'text'; text: string }
  | { kind: 'frame'; width: number }
  | { kind: 'roll' }
  | { kind: 'date' }
  | { kind: 'time' };

export interface FilenamePattern {
  readonly source: string;
  /** The file name without extension for a frame. */
  render(frame: number, context: { roll: string; when: Date }): string;
  /**
   * The frame number a file name in the roll belongs to, or undefined when it is not one of ours.
   * Give the roll name when the pattern has {roll}: it is matched literally, not guessed.
   */
  frameOf(fileName: string, roll?: string): number | undefined;
  /**
   * Throws when this roll name makes the pattern render a name Windows reserves ("com" with
   * "{roll}{frame}" gives COM1): checked at New Roll and before a capture, so the camera never
   * fires for a frame that could not be named.
   */
  checkRoll(roll: string): void;
}

export const PATTERN_SETTING = SETTING_IDS.filenamePattern;

/**
 * Parses a pattern such as `frame-{frame:04}` or `{roll}_{frame:3}`. Tokens: {frame} or {frame:0N}
 * (zero-padded to N digits), {roll}, {date} (YYYY-MM-DD), {time} (HHMMSS). {frame} is required:
 * the frame number is what keeps every name distinct.
 */
export function parseFilenamePattern(source: string): FilenamePattern {
  const tokens: Token[] = [];
  const re = /\{([^{}]*)\}/g;
  let last = 0;
  for (let m = re.exec(source); m; m = re.exec(source)) {
    if (m.index > last) tokens.push({ kind: 'text', text: source.slice(last, m.index) });
    tokens.push(parseToken(m[1], source));
    last = m.index + m[0].length;
  }
  if (last < source.length) tokens.push({ kind: 'text', text: source.slice(last) });
  if (
    /[{}]/.test(
      tokens
        .filter((t) => t.kind === 'text')
        .map((t) => (t as { text: string }).text)
        .join(''),
    )
  ) {
    throw new NamingError(
      `The filename pattern "${source}" has an unmatched "{" or "}". Write tokens as {frame:04}, {roll}, {date} or {time}.`,
      PATTERN_SETTING,
    );
  }
  const frames = tokens.filter((t) => t.kind === 'frame').length;
  if (frames !== 1) {
    throw new NamingError(
      `The filename pattern "${source}" must contain {frame} exactly once (e.g. "frame-{frame:04}"), so that every capture gets its own number.`,
      PATTERN_SETTING,
    );
  }
  const literal = tokens.map((t) => (t.kind === 'text' ? t.text : 'x')).join('');
  if (CONTROL.test(source))
    throw new NamingError(
      `The filename pattern contains control characters (tab, line break...). Remove them.`,
      PATTERN_SETTING,
    );
  if (literal !== literal.trim())
    throw new NamingError(`The filename pattern "${source}" starts or ends with a space. Remove it.`, PATTERN_SETTING);
  checkNameComponent(literal, `The filename pattern "${source}"`, PATTERN_SETTING);
  // The longest name it can render (longest roll name, MAX_FRAME's digits, "_999" re-shoot suffix
  // and a ten-letter extension) must fit the 255 bytes file systems allow.
  const worst =
    tokens.reduce(
      (n, t) =>
        n +
        (t.kind === 'text'
          ? Buffer.byteLength(t.text)
          : t.kind === 'roll'
            ? MAX_NAME_LENGTH
            : t.kind === 'frame'
              ? Math.max(t.width, String(MAX_FRAME).length)
              : t.kind === 'date'
                ? 10
                : 6),
      0,
    ) +
    '_999.'.length +
    10;
  if (worst > 255)
    throw new NamingError(
      `The filename pattern "${source}" can produce names longer than 255 bytes (with a long roll name). Shorten it or use {roll} once.`,
      PATTERN_SETTING,
    );

  const renderRaw = (frame: number, context: { roll: string; when: Date }): string =>
    tokens
      .map((t) => {
        switch (t.kind) {
          case 'text':
            return t.text;
          case 'frame':
            return String(frame).padStart(t.width, '0');
          case 'roll':
            return context.roll;
          case 'date':
            return formatDate(context.when);
          case 'time':
            return formatTime(context.when);
        }
      })
      .join('');

  // Matches what render produces, plus the "_N" suffix of a re-shot frame, plus any extension.
  const hasRoll = tokens.some((t) => t.kind === 'roll');
  const body = tokens
    .map((t) => {
      switch (t.kind) {
        case 'text':
          return escapeRegExp(t.text);
        case 'frame':
          return '(\\d+)';
        case 'roll':
          return '.+?';
        case 'date':
          return '\\d{4}-\\d{2}-\\d{2}';
        case 'time':
          return '\\d{6}';
      }
    })
    .join('');
  // "com{frame}" would name frame 1 COM1.JPG, a device on Windows (and on shares it is served to).
  // Only single-digit frames can produce one (COM1..COM9, LPT1..LPT9); frames start at 1.
  const reservedSample = (roll: string): { frame: number; name: string } | undefined => {
    for (let frame = 1; frame <= 9; frame++) {
      const name = renderRaw(frame, { roll, when: new Date(2000, 0, 1) });
      if (RESERVED_WINDOWS.test(name)) return { frame, name };
    }
    return undefined;
  };
  const patternSample = reservedSample('roll');
  if (patternSample)
    throw new NamingError(
      `The filename pattern "${source}" names frame ${patternSample.frame} "${patternSample.name}", a reserved device name on Windows. Add a prefix such as "frame-".`,
      PATTERN_SETTING,
    );
  const reservedForRoll = (roll: string, frame: number, name: string): NamingError =>
    new NamingError(
      `The roll name "${roll}" with the filename pattern "${source}" names frame ${frame} "${name}", a reserved device name on Windows. Choose another roll name, or add a prefix to the pattern.`,
      PATTERN_SETTING,
    );
  const checkRoll = (roll: string): void => {
    const sample = hasRoll ? reservedSample(roll) : undefined;
    if (sample) throw reservedForRoll(roll, sample.frame, sample.name);
  };
  const render = (frame: number, context: { roll: string; when: Date }): string => {
    const name = renderRaw(frame, context);
    // The last guard (never a silent rename); New Roll and capture check earlier, before the camera fires.
    if (RESERVED_WINDOWS.test(name)) throw reservedForRoll(context.roll, frame, name);
    return name;
  };
  const matcher = new RegExp(`^${body}(?:_\\d+)?\\.[^.]+$`, 'i');
  const matchers = new Map<string, RegExp>();
  const matcherFor = (roll: string): RegExp => {
    let m = matchers.get(roll);
    if (!m) {
      const literalBody = tokens
        .map((t) =>
          t.kind === 'roll'
            ? escapeRegExp(roll)
            : t.kind === 'text'
              ? escapeRegExp(t.text)
              : t.kind === 'frame'
                ? '(\\d+)'
                : t.kind === 'date'
                  ? '\\d{4}-\\d{2}-\\d{2}'
                  : '\\d{6}',
        )
        .join('');
      m = new RegExp(`^${literalBody}(?:_\\d+)?\\.[^.]+$`, 'i');
      matchers.set(roll, m);
    }
    return m;
  };
  return {
    source,
    render,
    checkRoll,
    frameOf: (fileName, roll) => {
      const m = (hasRoll && roll !== undefined ? matcherFor(roll) : matcher).exec(fileName);
      return m ? Number(m[1]) : undefined;
    },
  };
}

function parseToken(inner: string, source: string): Token {
  const frame = /^frame(?::(0?)(\d{1,2}))?$/.exec(inner);
  if (frame) return { kind: 'frame', width: frame[2] ? Math.min(Number(frame[2]), 12) : 1 };
  if (inner === 'roll') return { kind: 'roll' };
  if (inner === 'date') return { kind: 'date' };
  if (inner === 'time') return { kind: 'time' };
  throw new NamingError(
    `The filename pattern "${source}" has an unknown token {${inner}}. Use {frame}, {frame:04}, {roll}, {date} or {time}.`,
    PATTERN_SETTING,
  );
}

/** The camera's extension, made safe to append (letters and digits only). */
export function safeExtension(ext: string): string {
  const clean = ext.replace(/^\./, '').replace(/[^A-Za-z0-9]/g, '');
  return clean === '' ? 'bin' : clean.slice(0, 10);
}

/** Joins a checked name to a folder and proves the result stays inside it. */
export function inside(folder: string, name: string): string {
  const full = path.resolve(folder, name);
  const rel = path.relative(path.resolve(folder), full);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel) || rel.includes(path.sep)) {
    throw new NamingError(`"${name}" would be written outside ${folder}. Use a plain file name.`);
  }
  return full;
}

function two(n: number): string {
  return String(n).padStart(2, '0');
}

export function formatDate(d: Date): string {
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}`;
}

export function formatTime(d: Date): string {
  return `${two(d.getHours())}${two(d.getMinutes())}${two(d.getSeconds())}`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
