/**
 * The camera settings model handed to the UI and to scripts (`cameraTether.getCameraSettings`):
 * `{ name, path, label, type, value, choices?, min?, max?, step?, readonly, role? }` plus
 * `disabledReason` for a control that cannot be changed now.
 */
import { CameraError } from '../errors';
import { lastSegment, type ConfigWidget, type WidgetType } from './configParser';
import {
  isSettingRole,
  MODE_DIAL_NAMES,
  modeKind,
  ROLE_ALIASES,
  ROLE_WORDS,
  rolesSetByCamera,
  SETTING_ROLES,
  type SettingRole,
} from './roles';

export type SettingType = WidgetType;

export interface CameraSetting {
  /** The last path segment, e.g. `f-number`. */
  name: string;
  /** The full path, e.g. `/main/capturesettings/f-number`. */
  path: string;
  label: string;
  type: SettingType;
  /** What the camera reports now ('' when it reports nothing readable). */
  value: string;
  /** RADIO and MENU: the values the camera offers, in its order (position = gphoto2's index). */
  choices?: string[];
  /** RANGE bounds and step. */
  min?: number;
  max?: number;
  step?: number;
  readonly: boolean;
  role?: SettingRole;
  /** Why it cannot be changed now (the camera reports it read-only, or the mode dial decides it). */
  disabledReason?: string;
}

/**
 * Settings from a `--list-all-config` listing: one per path (the first when a dump repeats one),
 * roles assigned, read-only ones explained.
 */
export function settingsFromWidgets(widgets: readonly ConfigWidget[]): CameraSetting[] {
  const seen = new Set<string>();
  const settings: CameraSetting[] = [];
  for (const w of widgets) {
    if (w.path === undefined || seen.has(w.path)) continue;
    seen.add(w.path);
    const s: CameraSetting = {
      name: lastSegment(w.path),
      path: w.path,
      label: w.label,
      type: w.type,
      value: w.current,
      readonly: w.readonly,
    };
    if (w.choices) s.choices = [...w.choices];
    if (w.type === 'range') {
      if (w.bottom !== undefined) s.min = w.bottom;
      if (w.top !== undefined) s.max = w.top;
      if (w.step !== undefined) s.step = w.step;
    }
    settings.push(s);
  }
  assignRoles(settings);
  explainReadOnly(settings);
  return settings;
}

/** `/main/other/5007`-style entries repeat the named ones as raw PTP values: never given a role. */
function isRawProperty(s: CameraSetting): boolean {
  return s.path.startsWith('/main/other/');
}

function assignRoles(settings: CameraSetting[]): void {
  const byName = new Map<string, CameraSetting[]>();
  for (const s of settings) {
    if (isRawProperty(s)) continue;
    const list = byName.get(s.name);
    if (list) list.push(s);
    else byName.set(s.name, [s]);
  }
  for (const role of SETTING_ROLES) {
    const candidates = ROLE_ALIASES[role].flatMap((n) => byName.get(n) ?? []);
    const chosen =
      candidates.find((c) => !c.readonly && c.role === undefined) ?? candidates.find((c) => c.role === undefined);
    if (chosen) chosen.role = role;
  }
}

/** The mode dial, when the camera reports one. */
export function modeDial(settings: readonly CameraSetting[]): CameraSetting | undefined {
  for (const name of MODE_DIAL_NAMES) {
    const found = settings.find((s) => s.name === name && !isRawProperty(s));
    if (found) return found;
  }
  return undefined;
}

function explainReadOnly(settings: CameraSetting[]): void {
  const dial = modeDial(settings);
  const decidedByDial = new Set(dial ? rolesSetByCamera(modeKind(dial.value)) : []);
  for (const s of settings) {
    if (!s.readonly) continue;
    if (dial && s.role && decidedByDial.has(s.role)) {
      s.disabledReason = `The mode dial is at ${dial.value}, so the camera sets the ${ROLE_WORDS[s.role]} itself. Turn the dial to M (manual) to set it here.`;
    } else if (s.role === 'battery' || s.role === 'freeSpace' || s.path.startsWith('/main/status/')) {
      s.disabledReason = 'The camera only reports this value; it cannot be set.';
    } else {
      s.disabledReason = 'The camera reports this setting as read-only right now.';
    }
  }
}

/**
 * The setting a script or the UI means by `key`: a full path, a name, a role (`aperture`), or
 * gphoto2's label (case-insensitive, as gphoto2 also accepts labels). Throws a `cameraSetting`
 * CameraError naming close names when nothing matches.
 */
export function resolveSetting(settings: readonly CameraSetting[], key: string): CameraSetting {
  const found =
    settings.find((s) => s.path === key) ??
    settings.find((s) => s.name === key && !isRawProperty(s)) ??
    settings.find((s) => s.name === key) ??
    (isSettingRole(key) ? settings.find((s) => s.role === key) : undefined) ??
    settings.find((s) => s.name.toLowerCase() === key.toLowerCase()) ??
    settings.find((s) => s.label.toLowerCase() === key.toLowerCase());
  if (found) return found;
  throw unknownSettingError(key, settings);
}

export function unknownSettingError(key: string, settings: readonly CameraSetting[]): CameraError {
  const close = closeNames(key, settings);
  const roleHint = isSettingRole(key)
    ? ` This camera reports no ${ROLE_WORDS[key]} setting (names tried: ${ROLE_ALIASES[key].join(', ')}).`
    : '';
  const shown = key.length > 80 ? `${key.slice(0, 80)}…` : key;
  return new CameraError(
    'cameraSetting',
    `The camera has no setting "${shown}".${roleHint}${close.length > 0 ? ` Did you mean ${close.map((c) => `"${c}"`).join(', ')}?` : ''} Use a name or path from "Camera: Camera Settings...", or a role (${SETTING_ROLES.join(', ')}).`,
    { cameraSetting: { problem: 'unknown', name: key, closeNames: close } },
  );
}

const MAX_CANDIDATES = 1000;

/** Up to five names (or roles) within a small edit distance of `key`, or containing it, closest first. */
export function closeNames(key: string, settings: readonly CameraSetting[]): string[] {
  const k = key.toLowerCase().slice(0, 64);
  if (k === '') return [];
  // Real trees hold a few hundred names; a hostile listing could hold tens of thousands, and each
  // comparison costs up to 64 x 64 steps, so only the first MAX_CANDIDATES (the Nikon D6's
  // published tree has about 300 named settings) are compared.
  const candidates = new Set<string>();
  for (const s of settings) if (s.role) candidates.add(s.role);
  for (const s of settings) {
    if (candidates.size >= MAX_CANDIDATES) break;
    if (!isRawProperty(s)) candidates.add(s.name);
  }
  const limit = Math.max(2, Math.floor(k.length / 3));
  const scored: Array<{ name: string; d: number }> = [];
  for (const name of candidates) {
    const n = name.toLowerCase();
    const d = n.includes(k) || (k.includes(n) && n.length >= 3) ? 0.5 : editDistance(k, n.slice(0, 64), limit);
    if (d <= limit) scored.push({ name, d });
  }
  scored.sort((a, b) => a.d - b.d || a.name.localeCompare(b.name));
  return scored.slice(0, 5).map((s) => s.name);
}

/** Levenshtein distance, giving up (limit + 1) once every path exceeds `limit`. O(|a|·|b|), both ≤ 64. */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prev = ROW_A;
  let cur = ROW_B;
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let best = i;
    const ca = a.charCodeAt(i - 1);
    for (let j = 1; j <= b.length; j++) {
      const v = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca === b.charCodeAt(j - 1) ? 0 : 1));
      cur[j] = v;
      if (v < best) best = v;
    }
    if (best > limit) return limit + 1;
    [prev, cur] = [cur, prev];
  }
  return prev[b.length];
}

/** Two reused rows for editDistance (names and keys are cut to 64 characters). */
const ROW_A = new Uint16Array(65);
const ROW_B = new Uint16Array(65);

/** The setting holding each role, for the panel's exposure controls. */
export function settingsByRole(settings: readonly CameraSetting[]): Partial<Record<SettingRole, CameraSetting>> {
  const out: Partial<Record<SettingRole, CameraSetting>> = {};
  for (const s of settings) if (s.role) out[s.role] = s;
  return out;
}
