/**
 * The panel's exposure bar (issue 11), what it shows: the camera's settings turned into the controls
 * a photographer reaches for (whatever the vendor calls them) and the roll's lock in words. No
 * vscode here (unit-tested in plain Node); exposureBar.ts runs what the bar asks for.
 */
import type { CameraSetting, SettingRole } from '../camera/config';
import type { ExposureLockView } from '../session/rollExposureLock';
import type { PanelControl, PanelExposure } from './panelProtocol';

/** In the order the bar shows them; battery and shots left are information only. */
const ROLE_TITLES: ReadonlyArray<[SettingRole, string]> = [
  ['iso', 'ISO'],
  ['shutter', 'Shutter'],
  ['aperture', 'Aperture'],
  ['exposureCompensation', 'Exp. comp.'],
  ['whiteBalance', 'White balance'],
  ['imageFormat', 'Format'],
  ['focusMode', 'Focus'],
  ['driveMode', 'Drive'],
  ['battery', 'Battery'],
  ['freeSpace', 'Shots left'],
];
const INFO_ROLES: ReadonlySet<SettingRole> = new Set(['battery', 'freeSpace']);

export function panelExposure(
  settings: readonly CameraSetting[] | undefined,
  lock: ExposureLockView | undefined,
): PanelExposure {
  const lockedPaths = new Set(lock?.values.map((v) => v.path) ?? []);
  const controls: PanelControl[] = [];
  for (const [role, title] of ROLE_TITLES) {
    const s = settings?.find((x) => x.role === role);
    if (!s) continue;
    controls.push(control(s, role, title, lockedPaths.has(s.path)));
  }
  return {
    loaded: settings !== undefined,
    controls,
    ...(lock ? { lock: lockText(lock) } : {}),
  };
}

function control(s: CameraSetting, role: SettingRole, title: string, locked: boolean): PanelControl {
  const kind: PanelControl['kind'] = INFO_ROLES.has(role)
    ? 'info'
    : s.choices && s.choices.length > 0
      ? 'choice'
      : s.type === 'range'
        ? 'number'
        : s.type === 'toggle'
          ? 'toggle'
          : 'text';
  const disabled = locked
    ? 'Locked for this roll: unlock the exposure to change it.'
    : s.readonly && kind !== 'info'
      ? (s.disabledReason ?? 'The camera reports it read-only.')
      : undefined;
  return {
    role,
    path: s.path,
    title,
    cameraName: `${s.label} (${s.name})`,
    value: s.value,
    valueText: valueText(role, s.value),
    kind,
    ...(kind === 'choice'
      ? { choices: [...(s.choices ?? [])], choiceTexts: (s.choices ?? []).map((c) => valueText(role, c)) }
      : {}),
    ...(s.min !== undefined ? { min: s.min } : {}),
    ...(s.max !== undefined ? { max: s.max } : {}),
    ...(s.step !== undefined ? { step: s.step } : {}),
    ...(disabled ? { disabled } : {}),
  };
}

/** Shutter speeds as printed on a dial, 1/3 stops from 1/8000 s to 30 s. */
const SHUTTER_DIAL = [
  ...[
    8000, 6400, 5000, 4000, 3200, 2500, 2000, 1600, 1250, 1000, 800, 640, 500, 400, 320, 250, 200, 160, 125, 100, 80,
    60, 50, 40, 30, 25, 20, 15, 13, 10, 8, 6, 5, 4, 3, 2.5, 2, 1.6, 1.3,
  ].map((d) => 1 / d),
  ...[1, 1.3, 1.6, 2, 2.5, 3, 4, 5, 6, 8, 10, 13, 15, 20, 25, 30],
];

/**
 * A control's value as a photographer reads it. Nikon bodies report shutter speeds in whole
 * 1/10000 s ("0.0166s"): shown as the dial speed ("1/60") when exactly one speed on the dial prints
 * that way, else as the camera says it (0.0002s could be 1/4000, 1/5000 or 1/6400).
 */
export function valueText(role: string, value: string): string {
  if (role === 'exposureCompensation' && /^[+-]?\d+(\.\d+)?$/.test(value)) {
    const ev = Number(value);
    return ev === 0 ? '±0' : `${ev > 0 ? '+' : '−'}${Math.abs(ev).toFixed(1).replace(/\.0$/, '')}`;
  }
  const m = role === 'shutter' ? /^(\d+\.\d{4})s$/.exec(value.trim()) : null;
  if (!m) return value;
  const units = Number(m[1]) * 10_000;
  const candidates = SHUTTER_DIAL.filter((s) => Math.abs(s * 10_000 - units) < 0.999);
  if (candidates.length !== 1) return value;
  const speed = candidates[0];
  return speed >= 1 ? `${speed}″` : `1/${Math.round((1 / speed) * 10) / 10}`;
}

/** The same, with the unit where the bare value would not say what it is (the lock's line). */
function summaryText(role: string, value: string): string {
  const text = valueText(role, value);
  if (role === 'iso' && /^\d+$/.test(value)) return `ISO ${value}`;
  if (role === 'exposureCompensation' && text !== value) return `${text} EV`;
  return text;
}

function lockText(lock: ExposureLockView): NonNullable<PanelExposure['lock']> {
  const summary = lock.values.map((v) => summaryText(v.role ?? '', v.value)).join(' · ');
  const when = new Date(lock.lockedAt).toLocaleString();
  const title = `Locked for roll "${lock.roll}" on ${when}${lock.camera ? ` (${lock.camera})` : ''}: ${lock.values
    .map((v) => `${v.label} ${v.value}`)
    .join(', ')}. Every capture of the roll sets and checks these.`;
  const check = lock.lastCheck;
  const problem =
    check && !check.ok
      ? `The last ${check.job === 'testCapture' ? 'test capture' : check.job === 'tethering' ? 'start of tethered mode' : 'capture'} did not read back ${check.mismatches
          .map((m) => `${m.name} ${m.locked}${m.readBack !== undefined ? ` (camera: ${m.readBack})` : ''}`)
          .join(', ')}. Check the mode dial.`
      : undefined;
  return { summary, title, ...(problem ? { problem } : {}) };
}
