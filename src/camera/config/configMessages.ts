/**
 * What gphoto2 and libgphoto2 say when a setting cannot be written. Each context error is printed
 * to stderr as `\n*** Error ***              \n<message>\n` the moment it happens. Texts from gphoto2
 * 2.5.28 actions.c (`set_config_value_action`, `set_config_index_action`, `set_config_action`,
 * `_find_widget_by_name`) and libgphoto2 2.5.30 camlibs/ptp2/config.c (`_set_config`), checked
 * against the real binary with libgphoto2's virtual camera (test/fixtures/gphoto2/vcamera-set-*).
 *
 * gphoto2 runs EVERY action of its command line even after one failed, and exits with the result
 * of the last one only: `--set-config-value f-number=banana --get-config f-number` prints the
 * refusal on stderr and exits 0. So a write is judged by these messages and by reading the value
 * back, never by the exit code.
 */

export type SetConfigMessage =
  /** gphoto2: `Failed to set new configuration value %s for configuration entry %s.` (the camera said no). */
  | { kind: 'failedSet'; value: string; name: string; text: string }
  /** libgphoto2 single set: `Property '%s' not found.` (no camlib entry took the value). */
  | { kind: 'propertyNotFound'; name: string; text: string }
  /** libgphoto2: `Sorry, the property '%s' / 0x%04x is currently read-only.` (label, PTP id). */
  | { kind: 'readOnlyProperty'; label: string; text: string }
  /** gphoto2 `--set-config`: `Property %s is read only.` */
  | { kind: 'readOnlyWidget'; name: string; text: string }
  /** libgphoto2: `The property '%s' / 0x%04x was not set (0x%04x: %s)` (the camera's PTP answer). */
  | { kind: 'notSet'; label: string; text: string }
  /** libgphoto2 (Canon EOS, Sigma): `Parsing the value of widget '%s' / 0x%04x failed with %d.` */
  | { kind: 'parseFailed'; label: string; text: string }
  /** gphoto2: `%s not found in configuration tree.` (a path is cut at its first unknown part). */
  | { kind: 'notInTree'; name: string; text: string }
  /** gphoto2: `Choice %s not found within list of choices.` */
  | { kind: 'noSuchChoice'; value: string; text: string }
  /** gphoto2 (RANGE): `The passed value %f is not within the expected range %f - %f.` */
  | { kind: 'outOfRange'; value: number; bottom: number; top: number; text: string }
  /** gphoto2 (RANGE): `The passed value %s is not a floating point value.` */
  | { kind: 'notANumber'; value: string; text: string }
  /** gphoto2 (TOGGLE): `The passed value %s is not a valid toggle value.` */
  | { kind: 'notAToggle'; value: string; text: string }
  /** gphoto2 (DATE): `The passed value %s is neither a valid time nor an integer.` */
  | { kind: 'notATime'; value: string; text: string }
  /** gphoto2 `--set-config-index`: `The %s widget has no indexed list of choices. Use --set-config-value instead.` */
  | { kind: 'noIndex'; name: string; text: string }
  /** gphoto2: `The %s widget is not configurable.` */
  | { kind: 'notConfigurable'; name: string; text: string }
  /** gphoto2: `Failed to set the value of text widget %s to %s.` and its range/toggle/date siblings. */
  | { kind: 'widgetSetFailed'; name: string; text: string }
  | { kind: 'other'; text: string };

/** How much of stderr is read (its end: messages of a long run's last writes matter most). */
const MAX_STDERR_CHARS = 64 * 1024;
const MAX_LINE_CHARS = 1024;
const HEADER = '*** Error ***';

/** The messages of gphoto2's `*** Error ***` blocks, in order (each block's lines joined by a space). */
export function contextMessages(stderr: string): string[] {
  let text = stderr;
  if (text.length > MAX_STDERR_CHARS) {
    const nl = text.indexOf('\n', text.length - MAX_STDERR_CHARS);
    text = nl < 0 ? '' : text.slice(nl + 1);
  }
  const out: string[] = [];
  let collecting: string[] | undefined;
  const flush = (): void => {
    if (collecting && collecting.length > 0) out.push(collecting.join(' '));
    collecting = undefined;
  };
  let from = 0;
  while (from <= text.length) {
    let end = text.indexOf('\n', from);
    if (end < 0) end = text.length;
    const raw = text.slice(from, Math.min(end, from + MAX_LINE_CHARS + 1));
    from = end + 1;
    if (raw.length > MAX_LINE_CHARS) continue;
    const line = raw.trim();
    if (line === HEADER) {
      flush();
      collecting = [];
      continue;
    }
    if (line === '' || line.startsWith('*** Error')) {
      flush();
      continue;
    }
    collecting?.push(line);
  }
  flush();
  return out;
}

/** `<prefix><a><mid><b><suffix>`, split at the LAST `mid` (values may contain the words). */
function two(text: string, prefix: string, mid: string, suffix: string): [string, string] | undefined {
  if (!text.startsWith(prefix) || !text.endsWith(suffix) || text.length < prefix.length + suffix.length)
    return undefined;
  const body = text.slice(prefix.length, text.length - suffix.length);
  const at = body.lastIndexOf(mid);
  return at < 0 ? undefined : [body.slice(0, at), body.slice(at + mid.length)];
}

function one(text: string, prefix: string, suffix: string): string | undefined {
  if (!text.startsWith(prefix) || !text.endsWith(suffix) || text.length < prefix.length + suffix.length)
    return undefined;
  return text.slice(prefix.length, text.length - suffix.length);
}

/** `'<label>' / 0x<hex>` followed by `rest`: the label (it may hold quotes; the id cannot). */
function quotedLabel(text: string, prefix: string, rest: string): string | undefined {
  if (!text.startsWith(prefix)) return undefined;
  const at = text.lastIndexOf(`' / 0x`);
  if (at < prefix.length) return undefined;
  const tail = text.slice(at + 6);
  const hexEnd = tail.indexOf(' ');
  if (hexEnd < 1 || !tail.slice(hexEnd).startsWith(rest)) return undefined;
  return text.slice(prefix.length, at);
}

const TEXT_WIDGET_FAILURES = [
  'Failed to set the value of text widget ',
  'Failed to set the value of range widget ',
  'Failed to set values ',
  'Failed to set new time of date/time widget ',
];

export function classifyMessage(text: string): SetConfigMessage {
  let pair = two(text, 'Failed to set new configuration value ', ' for configuration entry ', '.');
  if (pair) return { kind: 'failedSet', value: pair[0], name: pair[1], text };
  let single = one(text, "Property '", "' not found.");
  if (single !== undefined) return { kind: 'propertyNotFound', name: single, text };
  let label = quotedLabel(text, "Sorry, the property '", ' is currently read-only.');
  if (label !== undefined) return { kind: 'readOnlyProperty', label, text };
  single = one(text, 'Property ', ' is read only.');
  if (single !== undefined) return { kind: 'readOnlyWidget', name: single, text };
  label = quotedLabel(text, "The property '", ' was not set (');
  if (label !== undefined) return { kind: 'notSet', label, text };
  label = quotedLabel(text, "Parsing the value of widget '", ' failed with ');
  if (label !== undefined) return { kind: 'parseFailed', label, text };
  single = one(text, '', ' not found in configuration tree.');
  if (single !== undefined) return { kind: 'notInTree', name: single, text };
  single = one(text, 'Choice ', ' not found within list of choices.');
  if (single !== undefined) return { kind: 'noSuchChoice', value: single, text };
  const range = two(text, 'The passed value ', ' is not within the expected range ', '.');
  if (range) {
    const bounds = range[1].split(' - ');
    const value = Number(range[0]);
    if (bounds.length === 2 && Number.isFinite(value))
      return { kind: 'outOfRange', value, bottom: Number(bounds[0]), top: Number(bounds[1]), text };
  }
  single = one(text, 'The passed value ', ' is not a floating point value.');
  if (single !== undefined) return { kind: 'notANumber', value: single, text };
  single = one(text, 'The passed value ', ' is not a valid toggle value.');
  if (single !== undefined) return { kind: 'notAToggle', value: single, text };
  single = one(text, 'The passed value ', ' is neither a valid time nor an integer.');
  if (single !== undefined) return { kind: 'notATime', value: single, text };
  single = one(text, 'The ', ' widget has no indexed list of choices. Use --set-config-value instead.');
  if (single !== undefined) return { kind: 'noIndex', name: single, text };
  single = one(text, 'The ', ' widget is not configurable.');
  if (single !== undefined) return { kind: 'notConfigurable', name: single, text };
  for (const prefix of TEXT_WIDGET_FAILURES) {
    if (!text.startsWith(prefix)) continue;
    // `... widget NAME to VALUE.` / `Failed to set values VALUE of toggle widget NAME.`
    pair =
      prefix === 'Failed to set values '
        ? two(text, prefix, ' of toggle widget ', '.')
        : two(text, prefix, ' to ', '.');
    if (pair) return { kind: 'widgetSetFailed', name: prefix === 'Failed to set values ' ? pair[1] : pair[0], text };
  }
  return { kind: 'other', text };
}

/** Every context error of a run's stderr, classified. */
export function setConfigMessages(stderr: string): SetConfigMessage[] {
  return contextMessages(stderr).map(classifyMessage);
}

/**
 * stderr without the context errors that are about settings (the texts above), so a capture run
 * that also applied a roll's exposure lock can be judged by what is left: a refused lock value is
 * the lock check's business (checkExposureLock), not a failed capture. Other blocks, the final
 * `*** Error (-N ...)` line and every other line stay as they were.
 */
export function withoutSettingMessages(stderr: string): string {
  const lines = stderr.split('\n');
  const keep: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== HEADER) {
      keep.push(lines[i]);
      continue;
    }
    // The block's message: the lines up to a blank line, the next header or a coded line.
    let end = i + 1;
    while (end < lines.length && lines[end].trim() !== '' && !lines[end].trim().startsWith('*** Error')) end++;
    const message = lines
      .slice(i + 1, end)
      .map((l) => l.trim())
      .join(' ');
    if (message !== '' && classifyMessage(message).kind !== 'other') {
      // Drop the block and the blank line gphoto2 printed before it.
      if (keep.length > 0 && keep[keep.length - 1].trim() === '') keep.pop();
      i = end - 1;
      continue;
    }
    keep.push(lines[i]);
  }
  return keep.join('\n');
}
