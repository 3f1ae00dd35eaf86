/**
 * gphoto2's --filename pattern expansion (get_path_for_file in gphoto2/main.c), including its error
 * texts and the `thumb_` prefix a preview gets when a --filename is given (gphoto2 issue #152).
 */

export interface PatternInput {
  /** The --filename pattern; undefined or '' means "use the camera's file name". */
  pattern: string | undefined;
  /** Camera folder, e.g. /store_00010001/DCIM/100SIMUL; for %F. */
  folder: string;
  /** Camera file name, e.g. IMG_0001.JPG, or "capture_preview" for a preview. */
  name: string;
  /** The file's time, for the date fields; undefined before download (gphoto2 then cannot expand them). */
  mtime: Date | undefined;
  /** Next value of gphoto2's per-process %n counter; called once per %n expanded. */
  takeNumber: () => number;
}

export type PatternResult = { ok: true; path: string } | { ok: false; message?: string };

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

export function expandPattern(input: PatternInput): PatternResult {
  const { pattern, name } = input;
  if (!pattern) {
    if (name.includes('.')) return { ok: true, path: name };
    // A name without suffix gets the suffix of its MIME type (all simulator previews are JPEGs).
    return input.mtime ? { ok: true, path: `${name}.jpg` } : { ok: false };
  }
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i] !== '%') {
      out += pattern[i];
      continue;
    }
    i++;
    let precision = 0;
    if (pattern[i] === '0') {
      precision = 1;
      i++;
    }
    const digits = /^\d+/.exec(pattern.slice(i));
    if (digits) {
      precision = Math.min(20, Math.max(1, Number(digits[0])));
      i += digits[0].length;
      if (pattern[i] !== 'n')
        return { ok: false, message: 'Zero padding numbers in file names is only possible with %n.' };
    } else if (precision && pattern[i] !== 'n') {
      return { ok: false, message: 'You cannot use %n zero padding without a precision value!' };
    }
    const ch = pattern[i] ?? '';
    switch (ch) {
      case 'n': {
        const n = String(input.takeNumber());
        out += precision > 1 ? n.padStart(precision, '0') : n;
        break;
      }
      case 'C': {
        const dot = name.lastIndexOf('.');
        if (dot < 0)
          return { ok: false, message: `The filename provided by the camera ('${name}') does not contain a suffix!` };
        out += name.slice(dot + 1);
        break;
      }
      case 'f': {
        const dot = name.lastIndexOf('.');
        out += dot < 0 ? name : name.slice(0, dot);
        break;
      }
      case 'F': {
        const f = input.folder.replace(/^\//, '');
        out += f === '' ? '.' : f;
        break;
      }
      case '%':
        out += '%';
        break;
      case ':':
        out += name.toLowerCase();
        break;
      default: {
        if (!'aAbBdHkIljmMSyY'.includes(ch) || ch === '') {
          // gphoto2 counts bytes of the UTF-8 value (a C string), not characters.
          return {
            ok: false,
            message: `Invalid format '${pattern}' (error at position ${Buffer.byteLength(pattern.slice(0, i)) + 1}).`,
          };
        }
        if (!input.mtime) return { ok: false };
        out += strftimeField(ch, input.mtime);
      }
    }
  }
  return { ok: true, path: out };
}

function pad(n: number, width: number, fill = '0'): string {
  return String(n).padStart(width, fill);
}

/** The strftime conversions gphoto2 passes through, in the C locale. */
function strftimeField(ch: string, t: Date): string {
  const hour12 = t.getHours() % 12 === 0 ? 12 : t.getHours() % 12;
  switch (ch) {
    case 'a':
      return WEEKDAYS[t.getDay()].slice(0, 3);
    case 'A':
      return WEEKDAYS[t.getDay()];
    case 'b':
      return MONTHS[t.getMonth()].slice(0, 3);
    case 'B':
      return MONTHS[t.getMonth()];
    case 'd':
      return pad(t.getDate(), 2);
    case 'H':
      return pad(t.getHours(), 2);
    case 'k':
      return pad(t.getHours(), 2, ' ');
    case 'I':
      return pad(hour12, 2);
    case 'l':
      return pad(hour12, 2, ' ');
    case 'j': {
      // Calendar days, not elapsed hours: a DST change must not shift the day of the year.
      const day = Date.UTC(t.getFullYear(), t.getMonth(), t.getDate()) - Date.UTC(t.getFullYear(), 0, 1);
      return pad(day / 86_400_000 + 1, 3);
    }
    case 'm':
      return pad(t.getMonth() + 1, 2);
    case 'M':
      return pad(t.getMinutes(), 2);
    case 'S':
      return pad(t.getSeconds(), 2);
    case 'y':
      return pad(t.getFullYear() % 100, 2);
    default:
      return String(t.getFullYear());
  }
}

/**
 * gp_file_get_name_by_type() for a preview: `thumb_` goes in front of the last path component and
 * the suffix becomes the MIME type's ("jpg"), so `--filename out/p.jpeg` is saved as `out/thumb_p.jpg`.
 */
export function thumbName(path: string): string {
  const slash = path.lastIndexOf('/');
  let dot = path.lastIndexOf('.');
  if (slash > dot) dot = -1;
  const dir = slash >= 0 ? path.slice(0, slash + 1) : '';
  const base = slash >= 0 ? path.slice(slash + 1) : path;
  if (dot >= 0) return `${dir}thumb_${path.slice(slash + 1, dot)}.jpg`;
  return `${dir}thumb_${base}.jpg`;
}
