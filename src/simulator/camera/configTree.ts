/**
 * The camera's configuration tree for `--list-config`, `--list-all-config`, `--get-config` and the
 * three set options, printed and refused in gphoto2's words (see outputTexts.ts). Laid out like a
 * Nikon body under libgphoto2 2.5.30 (the published Nikon D780 listing: status, imgsettings,
 * capturesettings, and the raw PTP properties under /main/other), with the simulator's existing
 * `/main/imgsettings/imageformat` for the image format. The exposure properties live in
 * properties.ts; written values persist in the state folder (config-values.json).
 *
 * How a write goes, as in gphoto2 + libgphoto2:
 * 1. gphoto2 finds the widget: by its bare name, libgphoto2 sets that one property ("single set");
 *    by path or label it sets the whole tree, which reports less (a refusal there is silent).
 * 2. gphoto2 checks what it can itself: a number for RANGE (and its bounds), a toggle word, an index.
 * 3. The driver: a read-only property (the mode dial decides it, or a status value) is refused with
 *    `Sorry, the property '<label>' / 0x<id> is currently read-only.`; a value it cannot parse, or one
 *    the camera does not offer (`The property ... was not set (0x201c: ...)`), ends a single set
 *    with `Property '<name>' not found.` (-2). Shutter speed and exposure compensation round to the
 *    nearest offered value, as libgphoto2's _put_ExpTime / _put_ExpCompensation do.
 * 4. gphoto2 adds `Failed to set new configuration value <value> for configuration entry <name>.`.
 */
import type { GpContext } from '../cli/gpContext';
import {
  GpError,
  GP_ERROR,
  GP_ERROR_BAD_PARAMETERS,
  GP_ERROR_CAMERA_BUSY,
  GP_ERROR_NOT_SUPPORTED,
} from '../cli/gpError';
import {
  cLocaleDate,
  contextErrorBlock,
  DATE_HELP_LINES,
  DEVICE_BUSY_MESSAGE,
  failedToSetText,
  noIndexText,
  noSuchChoiceText,
  notFloatText,
  notInTreeText,
  notSetText,
  notTimeText,
  notToggleText,
  outOfRangeText,
  propertyNotFoundText,
  readOnlyPropertyText,
  widgetReadOnlyText,
} from '../cli/outputTexts';
import {
  CAPTURE_MODES,
  COMPRESSIONS,
  decidedByDial,
  EXPOSURE_PROGRAMS,
  FOCUS_MODES,
  formatG,
  PROPS,
  PROP_KEYS,
  textOf,
  WHITE_BALANCES,
  type PropKey,
  type PropValues,
} from './properties';

type WidgetType = 'TEXT' | 'RANGE' | 'TOGGLE' | 'DATE' | 'MENU' | 'RADIO';

/** The driver's answer to a value: take this raw value, cannot parse it, or the camera refuses it. */
type PutResult = { raw: number } | 'unparsable' | { refused: number };

interface Widget {
  path: string;
  label: string;
  type: WidgetType;
  readonly: boolean;
  current: string;
  choices?: string[];
  range?: { bottom: number; top: number; step: number };
  /**
   * What the driver does with a value: `plain` (gphoto2-side settings the driver takes as they
   * are), `none` (status text: _put_None, -6), `named` (a property behind a named widget), `raw`
   * (the generic setter of /main/other).
   */
  driver:
    | { kind: 'plain' }
    | { kind: 'none' }
    | { kind: 'named'; key?: PropKey; ptp: number; put?: (v: string) => PutResult }
    | { kind: 'raw'; key: PropKey };
}

const NAME_OF = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

/** sscanf("%g"/"%f") of a leading number; undefined when there is none. */
function leadingFloat(s: string): number | undefined {
  const m = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(s);
  return m ? Number(m[0]) : undefined;
}

/** sscanf("%d") of a leading integer. */
function leadingInt(s: string): number | undefined {
  const m = /^\s*[+-]?\d+/.exec(s);
  return m ? Number(m[0]) : undefined;
}

function closest(values: readonly number[], target: number): number {
  let best = values[0];
  for (const v of values) if (Math.abs(v - target) < Math.abs(best - target)) best = v;
  return best;
}

function tablePut(table: ReadonlyArray<[number, string]>): (v: string) => PutResult {
  return (v) => {
    const hit = table.find(([, text]) => text === v);
    return hit ? { raw: hit[0] } : 'unparsable';
  };
}

/** _put_FNumber: the listed value whose %g matches, else the number (which the camera may refuse). */
function putFNumber(v: string): PutResult {
  const s = v.startsWith('f/') ? v.slice(2) : v;
  const values = PROPS.fnumber.values ?? [];
  const listed = values.find((raw) => formatG(raw / 100) === s);
  if (listed !== undefined) return { raw: listed };
  const f = leadingFloat(s);
  if (f === undefined) return 'unparsable';
  const raw = Math.trunc(f * 100);
  return values.includes(raw) ? { raw } : { refused: raw };
}

/** _put_ExpTime: "1 1/3", "1/125" or seconds, rounded to the nearest offered time. */
function putExpTime(v: string): PutResult {
  let seconds: number | undefined;
  const mixed = /^\s*([+-]?\d+)\s+([+-]?\d+)\/([+-]?\d+)/.exec(v);
  const frac = /^\s*([+-]?\d+)\/([+-]?\d+)/.exec(v);
  if (mixed) seconds = Number(mixed[1]) + Number(mixed[2]) / Number(mixed[3]);
  else if (frac) seconds = Number(frac[1]) / Number(frac[2]);
  else seconds = leadingFloat(v);
  if (seconds === undefined || !Number.isFinite(seconds)) return 'unparsable';
  return { raw: closest(PROPS.exptime.values ?? [], seconds * 10000) };
}

/** _put_INT for ISO: an integer, which the camera refuses when it does not offer it. */
function putIso(v: string): PutResult {
  const n = leadingInt(v);
  if (n === undefined || n < 0) return 'unparsable';
  return (PROPS.iso.values ?? []).includes(n) ? { raw: n } : { refused: n };
}

/** _put_ExpCompensation: %g stops, rounded to the nearest offered step. */
function putBias(v: string): PutResult {
  const f = leadingFloat(v);
  return f === undefined ? 'unparsable' : { raw: closest(PROPS.expbias.values ?? [], f * 1000) };
}

function named(
  path: string,
  label: string,
  key: PropKey,
  values: PropValues,
  decided: ReadonlySet<PropKey>,
  table: ReadonlyArray<[number, string]> | ((raw: number) => string),
  put: (v: string) => PutResult,
): Widget {
  const text = typeof table === 'function' ? table : (raw: number): string => textOf(table, raw);
  return {
    path,
    label,
    type: 'RADIO',
    readonly: decided.has(key),
    current: text(values[key]),
    choices: (PROPS[key].values ?? []).map(text),
    driver: { kind: 'named', key, ptp: PROPS[key].ptp, put },
  };
}

function tree(gp: GpContext): Widget[] {
  const camera = gp.camera;
  const c = camera.config;
  const v = camera.values;
  const decided = decidedByDial(v.expprogram);
  const now = Math.floor(Date.now() / 1000);
  const freeBytes = 31868993536 - (camera.nextImage - 1) * 4_500_000;
  const text = (path: string, label: string, current: string): Widget => ({
    path,
    label,
    type: 'TEXT',
    readonly: true,
    current,
    driver: { kind: 'none' },
  });
  const widgets: Widget[] = [
    {
      path: '/main/actions/autofocusdrive',
      label: 'Drive Nikon DSLR Autofocus',
      type: 'TOGGLE',
      readonly: false,
      current: '0',
      driver: { kind: 'plain' },
    },
    {
      path: '/main/actions/viewfinder',
      label: 'Nikon Viewfinder',
      type: 'TOGGLE',
      readonly: false,
      current: '0',
      driver: { kind: 'plain' },
    },
    {
      path: '/main/settings/datetime',
      label: 'Camera Date and Time',
      type: 'DATE',
      readonly: false,
      current: String(now),
      driver: { kind: 'plain' },
    },
    {
      path: '/main/settings/capturetarget',
      label: 'Capture Target',
      type: 'RADIO',
      readonly: false,
      current: 'Memory card',
      choices: ['Internal RAM', 'Memory card'],
      driver: { kind: 'plain' },
    },
    text('/main/status/serialnumber', 'Serial Number', 'SIM00000001'),
    text('/main/status/manufacturer', 'Camera Manufacturer', 'Camera Tether'),
    text('/main/status/cameramodel', 'Camera Model', c.model),
    { ...text('/main/status/batterylevel', 'Battery Level', '100%'), driver: { kind: 'named', ptp: 0x5001 } },
    {
      path: '/main/status/availableshots',
      label: 'Available Shots',
      type: 'RANGE',
      readonly: true,
      current: String(Math.max(0, Math.floor(freeBytes / 4_500_000))),
      range: { bottom: 0, top: 4294967295, step: 1 },
      driver: { kind: 'named', ptp: 0xd1f1 },
    },
    named(
      '/main/imgsettings/imageformat',
      'Image Quality',
      'compression',
      v,
      decided,
      COMPRESSIONS,
      tablePut(COMPRESSIONS),
    ),
    named('/main/imgsettings/iso', 'ISO Speed', 'iso', v, decided, (raw) => String(raw), putIso),
    named(
      '/main/imgsettings/whitebalance',
      'WhiteBalance',
      'whitebalance',
      v,
      decided,
      WHITE_BALANCES,
      tablePut(WHITE_BALANCES),
    ),
    named(
      '/main/capturesettings/exposurecompensation',
      'Exposure Compensation',
      'expbias',
      v,
      decided,
      (raw) => formatG(raw / 1000),
      putBias,
    ),
    named(
      '/main/capturesettings/f-number',
      'F-Number',
      'fnumber',
      v,
      decided,
      (raw) => `f/${formatG(raw / 100)}`,
      putFNumber,
    ),
    named('/main/capturesettings/focusmode', 'Focus Mode', 'focusmode', v, decided, FOCUS_MODES, tablePut(FOCUS_MODES)),
    named(
      '/main/capturesettings/expprogram',
      'Exposure Program',
      'expprogram',
      v,
      decided,
      EXPOSURE_PROGRAMS,
      tablePut(EXPOSURE_PROGRAMS),
    ),
    named(
      '/main/capturesettings/capturemode',
      'Still Capture Mode',
      'capturemode',
      v,
      decided,
      CAPTURE_MODES,
      tablePut(CAPTURE_MODES),
    ),
    named(
      '/main/capturesettings/shutterspeed',
      'Shutter Speed',
      'exptime',
      v,
      decided,
      (raw) => `${(raw / 10000).toFixed(4)}s`,
      putExpTime,
    ),
    {
      path: '/main/capturesettings/autowhitebias',
      label: 'Auto White Balance Bias',
      type: 'RANGE',
      readonly: false,
      current: String(v.autowhitebias),
      range: PROPS.autowhitebias.range,
      driver: {
        kind: 'named',
        key: 'autowhitebias',
        ptp: PROPS.autowhitebias.ptp,
        put: (s) => ({ raw: Math.trunc(Number(s)) }),
      },
    },
  ];
  // The raw PTP properties, as libgphoto2 lists every property the body reports (sorted by code).
  for (const key of [...PROP_KEYS].sort((a, b) => PROPS[a].ptp - PROPS[b].ptp)) {
    const def = PROPS[key];
    if (!def.values) continue;
    widgets.push({
      path: `/main/other/${def.ptp.toString(16).padStart(4, '0')}`,
      label: def.ptpLabel,
      type: 'MENU',
      readonly: decided.has(key),
      current: String(v[key]),
      choices: def.values.map(String),
      driver: { kind: 'raw', key },
    });
  }
  return widgets;
}

async function open(gp: GpContext): Promise<Widget[]> {
  await gp.camera.ensureOpen();
  gp.session.checkpoint();
  if (gp.camera.config.busy) throw new GpError(GP_ERROR_CAMERA_BUSY, DEVICE_BUSY_MESSAGE);
  return tree(gp);
}

/**
 * _find_widget_by_name: the bare name (libgphoto2's single-property path: `single` true), else a
 * label, else a path walked part by part.
 */
function find(widgets: Widget[], name: string): { widget: Widget; single: boolean } {
  const byName = widgets.find((w) => NAME_OF(w.path) === name);
  if (byName) return { widget: byName, single: true };
  const byLabel = widgets.find((w) => w.label === name);
  if (byLabel) return { widget: byLabel, single: false };
  const bare = name.replace(/^\/+/, '');
  const byPath = widgets.find((w) => w.path === `/${bare}` || w.path.endsWith(`/${bare}`));
  if (byPath && bare.includes('/')) return { widget: byPath, single: false };
  // gphoto2 reports the path cut at its first separator (it walks it with strchr/'\0'): "/main/no/such" -> "/main".
  const cut = bare.indexOf('/');
  const shown = cut >= 0 ? name.slice(0, name.length - bare.length + cut) : name;
  throw new GpError(GP_ERROR, notInTreeText(shown));
}

function block(w: Widget): string {
  let out = `Label: ${w.label}\nReadonly: ${w.readonly ? 1 : 0}\nType: ${w.type}\nCurrent: ${w.current}\n`;
  if (w.range)
    out += `Bottom: ${formatG(w.range.bottom)}\nTop: ${formatG(w.range.top)}\nStep: ${formatG(w.range.step)}\n`;
  if (w.type === 'DATE') out += `Printable: ${cLocaleDate(new Date(Number(w.current) * 1000))}\n${DATE_HELP_LINES}`;
  (w.choices ?? []).forEach((choice, i) => (out += `Choice: ${i} ${choice}\n`));
  return `${out}END\n`;
}

export async function listConfig(gp: GpContext, withValues: boolean): Promise<void> {
  const widgets = await open(gp);
  gp.session.out(widgets.map((w) => `${w.path}\n${withValues ? block(w) : ''}`).join(''));
}

export async function getConfig(gp: GpContext, name: string): Promise<void> {
  gp.session.out(block(find(await open(gp), name).widget));
}

export type SetOption = 'set-config' | 'set-config-index' | 'set-config-value';

const TOGGLE_WORDS: Readonly<Record<string, number>> = {
  off: 0,
  no: 0,
  false: 0,
  '0': 0,
  on: 1,
  yes: 1,
  true: 1,
  '1': 1,
};

/** `--set-config*` NAME=VALUE. Throws GpError with gphoto2's result; context errors are printed as they happen. */
export async function setConfig(gp: GpContext, option: SetOption, assignment: string): Promise<void> {
  const eq = assignment.indexOf('=');
  if (eq < 0) throw new GpError(GP_ERROR_BAD_PARAMETERS);
  const name = assignment.slice(0, eq);
  const value = assignment.slice(eq + 1);
  const { widget, single } = find(await open(gp), name);
  const fail = (message: string, code = GP_ERROR_BAD_PARAMETERS): never => {
    throw new GpError(code, message);
  };
  if (option === 'set-config' && widget.readonly) fail(widgetReadOnlyText(name), GP_ERROR);
  let text = value;
  const hasChoices = widget.type === 'RADIO' || widget.type === 'MENU';
  if (option === 'set-config-index') {
    if (!hasChoices) fail(noIndexText(name));
    const i = leadingInt(value);
    const choice = i !== undefined && i >= 0 ? widget.choices?.[i] : undefined;
    if (choice === undefined) fail(noSuchChoiceText(value));
    text = choice as string;
  } else if (widget.type === 'RANGE') {
    const f = leadingFloat(value);
    if (f === undefined) fail(notFloatText(value));
    const { bottom, top } = widget.range ?? { bottom: 0, top: 0 };
    if ((f as number) < bottom || (f as number) > top) fail(outOfRangeText(f as number, bottom, top));
    text = String(f);
  } else if (widget.type === 'TOGGLE') {
    const t = TOGGLE_WORDS[value.toLowerCase()];
    if (t === undefined) fail(notToggleText(value));
    text = String(t);
  } else if (widget.type === 'DATE') {
    if (value.toLowerCase() !== 'now' && leadingInt(value) === undefined) fail(notTimeText(value));
  } else if (hasChoices && option === 'set-config' && !(widget.choices ?? []).includes(value)) {
    // set_config_action: a whole number that is no choice's text is an index.
    const i = /^[+-]?\d+$/.test(value) ? Number(value) : undefined;
    if (i !== undefined && i >= 0 && i < (widget.choices ?? []).length) text = (widget.choices ?? [])[i];
  }
  const result = drive(gp, widget, name, text, single);
  if (result !== 0) {
    gp.session.err(contextErrorBlock(failedToSetText(value, name)));
    throw new GpError(result);
  }
}

/** The driver's part of a write; returns libgphoto2's result. */
function drive(gp: GpContext, w: Widget, name: string, text: string, single: boolean): number {
  const say = (message: string): void => gp.session.err(contextErrorBlock(message));
  const d = w.driver;
  switch (d.kind) {
    case 'plain':
      return 0;
    case 'none':
      return GP_ERROR_NOT_SUPPORTED;
    case 'raw': {
      const def = PROPS[d.key];
      if (w.readonly) {
        say(readOnlyPropertyText(def.ptpLabel, def.ptp));
        return GP_ERROR_NOT_SUPPORTED;
      }
      const raw = leadingInt(text) ?? 0;
      // The generic setter reports the camera's refusal but returns success (libgphoto2's TODO).
      if (!(def.values ?? []).includes(raw)) say(notSetText(def.ptpLabel, def.ptp, true));
      else gp.camera.writeValue(d.key, raw);
      return 0;
    }
    case 'named': {
      // By path or label libgphoto2 sets the whole tree, where these refusals end silently.
      const notFound = (): number => {
        if (!single) return 0;
        say(propertyNotFoundText(name));
        return GP_ERROR_BAD_PARAMETERS;
      };
      if (w.readonly) {
        say(readOnlyPropertyText(w.label, d.ptp));
        return notFound();
      }
      if (!d.key || !d.put) return notFound();
      const r = d.put(text);
      if (r === 'unparsable') return notFound();
      if ('refused' in r) {
        say(notSetText(w.label, d.ptp, false));
        return notFound();
      }
      gp.camera.writeValue(d.key, r.raw);
      return 0;
    }
  }
}
