/**
 * What a film scanner records about a roll (stock, speed, format, the camera and lens that shot it,
 * development, scan date, notes) and about each frame (a note, and the number printed on the film
 * edge). Values come from scripts as JSON and from input boxes, so every one is checked here with an
 * error that names the field, what was wrong and what is accepted.
 */

export interface RollDetails {
  filmStock?: string;
  /** The speed the film was exposed at (box speed, or pushed/pulled). */
  filmIso?: number;
  /** 35 mm, 120, 4x5... (free text: formats are many). */
  format?: string;
  filmCamera?: string;
  lens?: string;
  /** Developer and process, e.g. "C-41", "HC-110 B, 7 min". */
  process?: string;
  /** YYYY-MM-DD. */
  scanDate?: string;
  notes?: string;
  /**
   * The film-edge number of frame 1 of the roll: "00", "0" or a whole number. Later frames follow the
   * edge's sequence (00, 0, 1, 2...), unless a frame has its own label.
   */
  firstFrameLabel?: string;
}

export interface FrameNote {
  note?: string;
  /** The number printed on the film edge ("00", "0", "12A"...), when it is not the derived one. */
  label?: string;
}

export type RollDetailField = keyof RollDetails;

/** In the order the Roll Details flow asks for them. */
export const ROLL_DETAIL_FIELDS: readonly RollDetailField[] = [
  'filmStock',
  'filmIso',
  'format',
  'filmCamera',
  'lens',
  'process',
  'scanDate',
  'firstFrameLabel',
  'notes',
];

const TEXT_LIMITS: Record<Exclude<RollDetailField, 'filmIso'>, number> = {
  filmStock: 100,
  format: 40,
  filmCamera: 100,
  lens: 100,
  process: 200,
  scanDate: 10,
  notes: 2000,
  firstFrameLabel: 8,
};

export const MAX_FILM_ISO = 51_200;
export const MAX_NOTE_LENGTH = 2000;
const LABEL = /^[0-9A-Za-z][0-9A-Za-z-]{0,7}$/;

export class RollDetailsError extends Error {
  override readonly name = 'RollDetailsError';
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/**
 * `current` with `patch` applied: a field given as a value replaces it, `null` or `""` removes it,
 * a field left out stays. Unknown fields are refused (a typo such as `film_stock` must not vanish).
 */
export function mergeRollDetails(current: RollDetails, patch: unknown): RollDetails {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch))
    throw new RollDetailsError(
      `Roll details must be an object such as {"filmStock": "Kodak Portra 400", "filmIso": 400}; got ${describe(patch)}.`,
    );
  const changes = new Map<RollDetailField, RollDetails[RollDetailField] | null>();
  for (const [key, value] of Object.entries(patch)) {
    if (!isField(key))
      throw new RollDetailsError(`Unknown roll detail "${key}". The fields are ${ROLL_DETAIL_FIELDS.join(', ')}.`, key);
    if (value === undefined) continue;
    changes.set(key, value === null || value === '' ? null : checkField(key, value));
  }
  const out: RollDetails = {};
  for (const field of ROLL_DETAIL_FIELDS) {
    const value = changes.has(field) ? changes.get(field) : current[field];
    if (value !== null && value !== undefined) setField(out, field, value);
  }
  return out;
}

/** The value of one field, checked; for input boxes (text) as well as JSON (a number for filmIso). */
export function checkField<K extends RollDetailField>(field: K, value: unknown): NonNullable<RollDetails[K]> {
  if (field === 'filmIso') return checkIso(value) as NonNullable<RollDetails[K]>;
  const text = checkText(field, value, TEXT_LIMITS[field as Exclude<RollDetailField, 'filmIso'>], field === 'notes');
  if (field === 'scanDate') checkDate(text);
  if (field === 'firstFrameLabel' && !/^(00|0|[1-9]\d{0,5})$/.test(text))
    throw new RollDetailsError(
      `firstFrameLabel "${text}" is not a film-edge start: use "00", "0" or a whole number such as "1" (the number printed by frame 1).`,
      field,
    );
  return text as NonNullable<RollDetails[K]>;
}

/** Details read back from the roll file: fields that no longer pass are dropped, each with a reason. */
export function readRollDetails(raw: unknown): { details: RollDetails; problems: string[] } {
  const details: RollDetails = {};
  const problems: string[] = [];
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    if (raw !== undefined) problems.push(`the details are ${describe(raw)}, not an object`);
    return { details, problems };
  }
  for (const [key, value] of Object.entries(raw)) {
    if (!isField(key)) {
      problems.push(`unknown field "${key}"`);
      continue;
    }
    try {
      setField(details, key, checkField(key, value));
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  return { details, problems };
}

export function checkFrameLabel(value: unknown): string {
  const text = checkText('label', value, 8, false);
  if (!LABEL.test(text))
    throw new RollDetailsError(
      `The frame label "${text}" is not a film-edge number: up to 8 letters, digits and "-", starting with a letter or digit (e.g. "00", "0", "12", "12A").`,
      'label',
    );
  return text;
}

export function checkFrameNote(value: unknown): string {
  return checkText('note', value, MAX_NOTE_LENGTH, true);
}

/**
 * A frame's film-edge label: its own, or derived from the roll's firstFrameLabel (00, 0, 1, 2...), or
 * the frame number itself.
 */
export function frameLabel(frame: number, details: RollDetails, note: FrameNote | undefined): string {
  if (note?.label) return note.label;
  const first = details.firstFrameLabel;
  if (first === undefined) return String(frame);
  // Positions on the edge: "00" is -1, "0" is 0, "n" is n.
  const start = first === '00' ? -1 : Number(first);
  const at = start + frame - 1;
  return at === -1 ? '00' : String(at);
}

function checkIso(value: unknown): number {
  const n = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_FILM_ISO)
    throw new RollDetailsError(
      `filmIso must be a whole number from 1 to ${MAX_FILM_ISO} (the speed the film was exposed at, e.g. 400); got ${describe(value)}.`,
      'filmIso',
    );
  return n;
}

function checkText(field: string, value: unknown, max: number, multiline: boolean): string {
  if (typeof value !== 'string') throw new RollDetailsError(`${field} must be text; got ${describe(value)}.`, field);
  const text = multiline ? value.replace(/\r\n?/g, '\n').trim() : value.trim();
  if (text === '') throw new RollDetailsError(`${field} is empty; leave it out, or give null to remove it.`, field);
  // eslint-disable-next-line no-control-regex
  const control = multiline ? /[\u0000-\u0008\u000b-\u001f\u007f]/ : /[\u0000-\u001f\u007f]/;
  if (control.test(text))
    throw new RollDetailsError(
      `${field} contains control characters${multiline ? ' (line breaks and tabs are fine)' : ' (a line break or tab)'}; remove them.`,
      field,
    );
  // A lone surrogate cannot be written as XML (the sidecars), nor as UTF-8.
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text))
    throw new RollDetailsError(`${field} contains a broken character (a lone UTF-16 surrogate); retype it.`, field);
  if (text.length > max)
    throw new RollDetailsError(`${field} is ${text.length} characters long; at most ${max} fit.`, field);
  return text;
}

function checkDate(text: string): void {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  const ok =
    m !== null &&
    (() => {
      const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
      return (
        d.getUTCFullYear() === Number(m[1]) && d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3])
      );
    })();
  if (!ok)
    throw new RollDetailsError(`scanDate "${text}" is not a date written YYYY-MM-DD (e.g. 2026-11-30).`, 'scanDate');
}

function isField(key: string): key is RollDetailField {
  return (ROLL_DETAIL_FIELDS as readonly string[]).includes(key);
}

function setField<K extends RollDetailField>(target: RollDetails, key: K, value: RollDetails[K]): void {
  target[key] = value;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const json = JSON.stringify(value);
  return json === undefined ? String(value) : json.length > 60 ? `${json.slice(0, 57)}...` : json;
}
