/**
 * gphoto2 command lines for reading and writing settings, and the plan of a write: which option,
 * which argument, and what the camera should read back.
 *
 * Value or index? Writes use `--set-config-value NAME=VALUE`, never the plain `--set-config`: for
 * RADIO/MENU widgets `--set-config` treats a numeric-looking value as an INDEX when no choice has
 * that exact text (actions.c `set_config_action`, the strtol branch), so "8" could become the 9th
 * choice; `--set-config-value` only ever matches the text or hands it to the driver (gphoto2 #69:
 * "never guess"). `--set-config-index NAME=N` is used only when the caller names an index: for a
 * list that holds the same text twice (libgphoto2's Nikon 1 table has two "NEF (Raw)"), where the
 * text alone always picks the first. Sony's "step-through" setters (libgphoto2 #291) walk the dial
 * one notch at a time whatever the option, because `--set-config-index` turns the index back into
 * the choice's text before the driver sees it; there the read-back decides.
 *
 * Names on the command line: the bare name (`f-number`) when it is unique in the camera's tree, so
 * libgphoto2 takes its fast single-property path (`gp_camera_get_single_config`); otherwise the
 * full path, which makes gphoto2 read the whole tree first. Every option is ONE argv element
 * (`--set-config-value=NAME=VALUE`): popt splits at the first `=`, and a value like `-1` can never
 * be read as an option.
 */
import { CameraError } from '../errors';
import { selectionArgs, type CameraSelection } from '../gphoto2';
import { parseGNumber } from './configParser';
import type { SettingRole } from './roles';
import { resolveSetting, type CameraSetting, type SettingType } from './settings';

/** One write asked for by a script or the UI: a name, path or role, and a value or a choice index. */
export interface SettingWrite {
  name: string;
  value?: string | number | boolean;
  /** RADIO/MENU: the position in `choices` (to pick one of two identical texts). */
  index?: number;
}

/** A write resolved against the camera's settings. JSON-able: the exposure lock stores these with a roll. */
export interface PlannedWrite {
  name: string;
  path: string;
  label: string;
  type: SettingType;
  role?: SettingRole;
  /** What goes on the command line to name it (`f-number`, or the path when the name is not unique). */
  cliName: string;
  option: 'value' | 'index';
  /** The text after `NAME=`: the value, or the index. */
  argument: string;
  /** The value as asked for (for messages). */
  requested: string;
  /**
   * The text the read-back must show. Undefined when the camera may legitimately choose (a value not
   * in the list, which drivers round to the nearest one, e.g. shutter speeds; DATE).
   */
  expected?: string;
  /** RANGE: accept a read-back within this distance of `expected`. */
  tolerance?: number;
  /** The value before the write (from the settings the plan was made from). */
  before: string;
  choices?: string[];
  min?: number;
  max?: number;
}

export function readAllSettingsArgs(selection: CameraSelection): string[] {
  return [...selectionArgs(selection), '--list-all-config'];
}

/** The setting's name for the command line: bare when unique (fast path in libgphoto2), else the full path. */
export function commandLineName(settings: readonly CameraSetting[], setting: CameraSetting): string {
  let count = 0;
  for (const s of settings) if (s.name === setting.name) count++;
  return count === 1 && setting.name !== '' ? setting.name : setting.path;
}

/** gphoto2's toggle words (actions.c), untranslated. */
const TOGGLE_OFF = new Set(['off', 'no', 'false', '0']);
const TOGGLE_ON = new Set(['on', 'yes', 'true', '1']);

function invalid(setting: CameraSetting, key: string, value: string, why: string): CameraError {
  return new CameraError('cameraSetting', `${setting.label} (${setting.name}) cannot be set to "${value}": ${why}`, {
    cameraSetting: {
      problem: 'invalidValue',
      name: key,
      path: setting.path,
      value,
      ...(setting.choices ? { choices: setting.choices } : {}),
      ...(setting.min !== undefined ? { min: setting.min } : {}),
      ...(setting.max !== undefined ? { max: setting.max } : {}),
    },
  });
}

export function readOnlyError(
  setting: CameraSetting,
  key: string,
  value: string,
  cameraSaid: string[] = [],
): CameraError {
  const why = setting.disabledReason ?? 'The camera reports this setting as read-only right now.';
  return new CameraError('cameraSetting', `${setting.label} (${setting.name}) cannot be set to "${value}". ${why}`, {
    cameraSetting: {
      problem: 'readOnly',
      name: key,
      path: setting.path,
      value,
      ...(cameraSaid.length ? { cameraSaid } : {}),
    },
  });
}

/** Short list of the allowed values for a message. */
export function describeAllowed(setting: Pick<CameraSetting, 'choices' | 'min' | 'max' | 'step' | 'type'>): string {
  if (setting.type === 'toggle') return 'on or off';
  if (setting.type === 'range' && setting.min !== undefined && setting.max !== undefined)
    return `a number from ${setting.min} to ${setting.max}${setting.step ? ` in steps of ${setting.step}` : ''}`;
  const c = setting.choices ?? [];
  if (c.length === 0) return 'any text';
  const shown = c.length > 24 ? [...c.slice(0, 24), `… (${c.length} in all)`] : c;
  return shown.join(', ');
}

/**
 * Resolves one write against the camera's settings and checks what can be checked without the
 * camera: the name, read-only, a TOGGLE word, a RANGE bound, a choice index. Throws a typed
 * `cameraSetting` CameraError otherwise.
 */
export function planWrite(settings: readonly CameraSetting[], write: SettingWrite): PlannedWrite {
  const setting = resolveSetting(settings, write.name);
  const shownValue = write.index !== undefined ? `#${write.index}` : String(write.value ?? '');
  if (setting.readonly) throw readOnlyError(setting, write.name, shownValue);
  const base = {
    name: setting.name,
    path: setting.path,
    label: setting.label,
    type: setting.type,
    ...(setting.role ? { role: setting.role } : {}),
    cliName: commandLineName(settings, setting),
    before: setting.value,
    ...(setting.choices ? { choices: setting.choices } : {}),
    ...(setting.min !== undefined ? { min: setting.min } : {}),
    ...(setting.max !== undefined ? { max: setting.max } : {}),
  };
  if (write.index !== undefined) {
    const choices = setting.choices;
    if (!choices)
      throw invalid(
        setting,
        write.name,
        shownValue,
        `it has no list of choices; give a value (${describeAllowed(setting)}).`,
      );
    if (!Number.isInteger(write.index) || write.index < 0 || write.index >= choices.length)
      throw invalid(
        setting,
        write.name,
        shownValue,
        `the index must be 0 to ${choices.length - 1} (${describeAllowed(setting)}).`,
      );
    const text = choices[write.index];
    return { ...base, option: 'index', argument: String(write.index), requested: text, expected: text };
  }
  if (write.value === undefined) throw invalid(setting, write.name, '', 'no value was given.');
  const raw = typeof write.value === 'boolean' ? (write.value ? '1' : '0') : String(write.value);
  switch (setting.type) {
    case 'toggle': {
      const word = raw.trim().toLowerCase();
      const on = TOGGLE_ON.has(word);
      if (!on && !TOGGLE_OFF.has(word))
        throw invalid(setting, write.name, raw, 'it is on or off (1/0, true/false, yes/no).');
      return { ...base, option: 'value', argument: on ? '1' : '0', requested: raw, expected: on ? '1' : '0' };
    }
    case 'range': {
      const n = typeof write.value === 'number' ? write.value : parseGNumber(raw);
      if (n === undefined || !Number.isFinite(n))
        throw invalid(setting, write.name, raw, `it takes ${describeAllowed(setting)}.`);
      if ((setting.min !== undefined && n < setting.min) || (setting.max !== undefined && n > setting.max))
        throw invalid(setting, write.name, raw, `it takes ${describeAllowed(setting)}.`);
      // The camera may round to its step; gphoto2 prints %g (6 significant digits).
      const tolerance = Math.max((setting.step ?? 0) / 2, Math.abs(n) * 1e-5, 1e-9);
      return { ...base, option: 'value', argument: String(n), requested: raw, expected: String(n), tolerance };
    }
    case 'date':
      return { ...base, option: 'value', argument: raw, requested: raw };
    case 'text':
      return { ...base, option: 'value', argument: raw, requested: raw, expected: raw };
    case 'radio':
    case 'menu': {
      const listed = (setting.choices ?? []).includes(raw);
      // Not in the list: gphoto2 hands the text to the driver ("flexible setters, like PTP
      // shutterspeed", which round to the nearest value); the read-back says what the camera took.
      return listed
        ? { ...base, option: 'value', argument: raw, requested: raw, expected: raw }
        : { ...base, option: 'value', argument: raw, requested: raw };
    }
  }
}

/** Plans several writes; a later write to the same setting replaces an earlier one. */
export function planWrites(settings: readonly CameraSetting[], writes: readonly SettingWrite[]): PlannedWrite[] {
  const byPath = new Map<string, PlannedWrite>();
  for (const w of writes) {
    const plan = planWrite(settings, w);
    byPath.delete(plan.path);
    byPath.set(plan.path, plan);
  }
  return [...byPath.values()];
}

function setOption(p: PlannedWrite): string {
  return p.option === 'index'
    ? `--set-config-index=${p.cliName}=${p.argument}`
    : `--set-config-value=${p.cliName}=${p.argument}`;
}

/** The writes, then a read-back of each, for one gphoto2 run (no camera selection). */
export function setThenGetArgs(plans: readonly PlannedWrite[]): string[] {
  return [...plans.map(setOption), ...plans.map((p) => `--get-config=${p.cliName}`)];
}

/** One run: select the camera, write every setting, then read each back. */
export function writeSettingsArgs(selection: CameraSelection, plans: readonly PlannedWrite[]): string[] {
  return [...selectionArgs(selection), ...setThenGetArgs(plans)];
}

/** The read-back options alone (to check a roll's locked exposure without writing). */
export function getSettingsArgs(selection: CameraSelection, plans: readonly PlannedWrite[]): string[] {
  return [...selectionArgs(selection), ...plans.map((p) => `--get-config=${p.cliName}`)];
}

/**
 * A capture's argv with the exposure lock applied in the same run: camera selection first, then
 * each locked value written and read back, then the capture (`captureArgs` as built by
 * gphoto2.ts, e.g. `captureAndDownloadArgs`, which starts with the selection). gphoto2 runs the
 * capture even when a write was refused, so check the run with `checkExposureLock`. Do not use it
 * with `--stdout` captures: the read-back blocks would be mixed into the image bytes.
 */
export function withExposureLock(captureArgs: readonly string[], plans: readonly PlannedWrite[]): string[] {
  let split = 0;
  while (
    split < captureArgs.length &&
    (captureArgs[split].startsWith('--camera=') || captureArgs[split].startsWith('--port='))
  )
    split++;
  return [...captureArgs.slice(0, split), ...setThenGetArgs(plans), ...captureArgs.slice(split)];
}
