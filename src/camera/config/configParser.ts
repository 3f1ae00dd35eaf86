/**
 * Parsers for gphoto2's configuration listings: `--list-all-config` (a path line, then a block per
 * widget) and `--get-config` (the block alone), as printed by `print_widget()` in gphoto2's
 * actions.c:
 *
 *   /main/capturesettings/f-number        (only --list-all-config prints the path)
 *   Label: F-Number
 *   Readonly: 0                           (absent before gphoto2 2.5.x: read as 0)
 *   Type: RADIO                           (TEXT, RANGE, TOGGLE, DATE, MENU, RADIO)
 *   Current: f/8
 *   Choice: 0 f/2.8                       (RADIO, MENU)
 *   Bottom: 1 / Top: 10 / Step: 1         (RANGE, printed with %g)
 *   Printable: ... / Help: ...            (DATE)
 *   END                                   (absent before 2.5.x: a new path or Label ends the block)
 *
 * The text is not ours (camera names, owner names, lens names, a broken or hostile binary), so, as
 * in ../gphoto2.ts: one pass, no backtracking regular expressions, bounded input. A full listing
 * is larger than the other outputs (published dumps of Nikon, Canon and Fuji bodies are 50-110 KB,
 * with TEXT values up to 4 KB), so the bounds here are 1 MiB of text and 8 KiB per line; a longer
 * line is skipped (its widget keeps an empty value and is marked unreadable).
 */

export type WidgetType = 'radio' | 'menu' | 'toggle' | 'range' | 'text' | 'date';

export interface ConfigWidget {
  /** Full path from `--list-all-config` (`/main/capturesettings/f-number`); absent in `--get-config` output. */
  path?: string;
  label: string;
  readonly: boolean;
  type: WidgetType;
  /** The `Current:` text, '' when gphoto2 printed none or `(null)` (see `unset`). */
  current: string;
  /** gphoto2 printed `Current: (null)`: the camera holds a value that is not one of its choices. */
  unset?: boolean;
  /** RADIO/MENU choices in gphoto2's order; position = the index `--set-config-index` takes. */
  choices?: string[];
  bottom?: number;
  top?: number;
  step?: number;
  /** DATE: gphoto2's `Printable:` rendering of `current` (seconds since 1970). */
  printable?: string;
  /** A line of this widget was too long to read, or the block ended early: its value may be incomplete. */
  incomplete?: boolean;
}

/** How much of a listing is read (from its start: the blocks come first, errors at the end). */
export const MAX_CONFIG_CHARS = 1024 * 1024;
/** Longer lines are skipped. */
export const MAX_CONFIG_LINE_CHARS = 8 * 1024;

const TYPES: Readonly<Record<string, WidgetType>> = {
  RADIO: 'radio',
  MENU: 'menu',
  TOGGLE: 'toggle',
  RANGE: 'range',
  TEXT: 'text',
  DATE: 'date',
};

/** The first MAX_CONFIG_CHARS of text, cut at a line end so no line is read half. */
function boundedStart(text: string): string {
  if (text.length <= MAX_CONFIG_CHARS) return text;
  const nl = text.lastIndexOf('\n', MAX_CONFIG_CHARS - 1);
  return nl < 0 ? '' : text.slice(0, nl + 1);
}

/** Calls `visit` for each line (without \r\n); `tooLong` for lines over the limit. */
function eachLine(text: string, visit: (line: string) => void, tooLong: () => void): void {
  let from = 0;
  while (from < text.length) {
    let end = text.indexOf('\n', from);
    if (end < 0) end = text.length;
    const stop = end > from && text.charCodeAt(end - 1) === 0x0d ? end - 1 : end;
    if (stop - from > MAX_CONFIG_LINE_CHARS) tooLong();
    else visit(text.slice(from, stop));
    from = end + 1;
  }
}

/** `\s` at the end of a line (gphoto2 pads some lines with spaces over its progress output). */
function trimEndSpaces(s: string): string {
  let end = s.length;
  while (end > 0) {
    const c = s.charCodeAt(end - 1);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d) break;
    end--;
  }
  return end === s.length ? s : s.slice(0, end);
}

/** A whole number, as the `%d` of `Choice: %d` prints it. */
function parseIndex(s: string): number | undefined {
  if (s.length === 0 || s.length > 9) return undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return undefined;
  }
  return Number(s);
}

/** A `%g` number (`4.29497e+09`, `-0.5`); undefined for anything else. */
export function parseGNumber(s: string): number | undefined {
  const t = s.trim();
  if (t === '' || t.length > 64) return undefined;
  // Number() accepts '' , hex and Infinity: rule those out first.
  const c = t.charCodeAt(0);
  if (!(c === 0x2d || c === 0x2b || c === 0x2e || (c >= 0x30 && c <= 0x39))) return undefined;
  if (t.includes('x') || t.includes('X')) return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

interface OpenBlock {
  path?: string;
  label?: string;
  readonly: boolean;
  typeName?: string;
  current?: string;
  choices: string[];
  bottom?: number;
  top?: number;
  step?: number;
  printable?: string;
  incomplete: boolean;
}

function newBlock(path?: string): OpenBlock {
  return { path, readonly: false, choices: [], incomplete: false };
}

/** The widget of a finished block, or undefined when it is not one we can show (no label, unknown type). */
function finish(b: OpenBlock): ConfigWidget | undefined {
  if (b.label === undefined || b.typeName === undefined) return undefined;
  const type = TYPES[b.typeName];
  if (!type) return undefined;
  const raw = b.current ?? '';
  const unset = raw === '(null)';
  const w: ConfigWidget = { label: b.label, readonly: b.readonly, type, current: unset ? '' : raw };
  if (b.path !== undefined) w.path = b.path;
  if (unset) w.unset = true;
  if (type === 'radio' || type === 'menu') w.choices = b.choices;
  if (type === 'range') {
    if (b.bottom !== undefined) w.bottom = b.bottom;
    if (b.top !== undefined) w.top = b.top;
    if (b.step !== undefined) w.step = b.step;
  }
  if (type === 'date' && b.printable !== undefined) w.printable = b.printable;
  if (b.incomplete || b.current === undefined) w.incomplete = true;
  return w;
}

/** `rest` of a `Key: rest` line, or undefined. Values keep inner spaces; trailing padding is dropped. */
function after(line: string, key: string): string | undefined {
  return line.startsWith(key) ? trimEndSpaces(line.slice(key.length)) : undefined;
}

/**
 * A path line of `--list-all-config`: starts with `/`, holds no space-colon pair (so it cannot be a
 * `Key: value` line), e.g. `/main/capturesettings/f-number`.
 */
function isPathLine(line: string): boolean {
  return line.length > 1 && line.charCodeAt(0) === 0x2f && !line.includes(': ') && !line.includes('\t');
}

/**
 * Parses `--list-all-config` output (paths and blocks) or `--get-config` output (blocks only; also
 * blocks mixed with other lines, as in a run that reads settings back and then captures). Unknown
 * lines are ignored, so a multi-line TEXT value costs at most that widget.
 */
export function parseConfigListing(text: string): ConfigWidget[] {
  return parseBlocks(text, true);
}

/**
 * Parses `--get-config` output: blocks without paths, possibly mixed with other output (a capture's
 * `New file is in location ...` lines, or with `-q` bare camera paths, which must not be read as
 * widget paths). Blocks come in the order of the `--get-config` options that printed them; one that
 * failed prints none.
 */
export function parseGetConfigBlocks(text: string): ConfigWidget[] {
  return parseBlocks(text, false);
}

function parseBlocks(text: string, withPaths: boolean): ConfigWidget[] {
  const widgets: ConfigWidget[] = [];
  let block: OpenBlock | undefined;
  let pendingPath: string | undefined;
  const close = (): void => {
    if (block) {
      const w = finish(block);
      if (w) widgets.push(w);
    }
    block = undefined;
  };
  eachLine(
    boundedStart(text),
    (raw) => {
      const line = trimEndSpaces(raw);
      if (line === 'END') {
        close();
        pendingPath = undefined;
        return;
      }
      if (withPaths && isPathLine(line)) {
        // A path starts the next widget (old gphoto2 printed no END).
        close();
        pendingPath = line;
        return;
      }
      const label = after(line, 'Label: ') ?? (line === 'Label:' ? '' : undefined);
      if (label !== undefined) {
        // A second Label without END (old format, or output cut short) starts a new widget.
        if (block?.label !== undefined) close();
        block ??= newBlock(pendingPath);
        pendingPath = undefined;
        block.label = label;
        return;
      }
      if (!block) return; // lines outside a widget: capture output, headers, noise
      if (line === 'Current:') {
        block.current = '';
        return;
      }
      const current = after(line, 'Current: ');
      if (current !== undefined) {
        block.current = current;
        return;
      }
      const choice = after(line, 'Choice: ');
      if (choice !== undefined) {
        const sp = choice.indexOf(' ');
        const index = parseIndex(sp < 0 ? choice : choice.slice(0, sp));
        if (index === undefined) return;
        block.choices.push(sp < 0 ? '' : choice.slice(sp + 1));
        return;
      }
      const ro = after(line, 'Readonly: ');
      if (ro !== undefined) {
        block.readonly = ro === '1';
        return;
      }
      const type = after(line, 'Type: ');
      if (type !== undefined) {
        block.typeName = type;
        return;
      }
      const bottom = after(line, 'Bottom: ');
      if (bottom !== undefined) {
        block.bottom = parseGNumber(bottom);
        return;
      }
      const top = after(line, 'Top: ');
      if (top !== undefined) {
        block.top = parseGNumber(top);
        return;
      }
      const step = after(line, 'Step: ');
      if (step !== undefined) {
        block.step = parseGNumber(step);
        return;
      }
      const printable = after(line, 'Printable: ');
      if (printable !== undefined) block.printable = printable;
    },
    () => {
      if (block) block.incomplete = true;
    },
  );
  close();
  return widgets;
}

/** The last path segment: `f-number` for `/main/capturesettings/f-number`. */
export function lastSegment(path: string): string {
  const cut = path.lastIndexOf('/');
  return cut < 0 ? path : path.slice(cut + 1);
}
