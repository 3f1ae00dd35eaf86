/**
 * The panel's exposure bar (issue 11), host side: the camera's settings turned into the controls a
 * photographer reaches for (whatever the vendor calls them), the roll's lock in words, and what a
 * control's change or a button asks for. Changes go through the same commands as the palette, so
 * errors are reported in one place.
 */
import * as vscode from 'vscode';
import type { CameraSetting, SettingRole } from '../camera/config';
import type { ExposureLockView } from '../session/rollExposureLock';
import type { TetherSession } from '../session/tetherSession';
import type { ExposureAction, PanelControl, PanelExposure, WebviewMessage } from './panelProtocol';

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
    kind,
    ...(kind === 'choice' ? { choices: [...(s.choices ?? [])] } : {}),
    ...(s.min !== undefined ? { min: s.min } : {}),
    ...(s.max !== undefined ? { max: s.max } : {}),
    ...(s.step !== undefined ? { step: s.step } : {}),
    ...(disabled ? { disabled } : {}),
  };
}

function lockText(lock: ExposureLockView): NonNullable<PanelExposure['lock']> {
  const summary = lock.values.map((v) => v.value).join(' · ');
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

const ACTION_COMMANDS: Readonly<Record<ExposureAction, string>> = {
  read: 'cameraTether.getCameraSettings',
  lock: 'cameraTether.lockExposure',
  unlock: 'cameraTether.unlockExposure',
  all: 'cameraTether.cameraSettings',
};

/** Runs what the bar asked for; the commands report their own errors. */
export async function runExposureMessage(
  message: Extract<WebviewMessage, { type: 'setSetting' | 'exposureAction' }>,
  session: TetherSession,
): Promise<void> {
  if (message.type === 'exposureAction') {
    await vscode.commands.executeCommand(ACTION_COMMANDS[message.action]).then(undefined, () => undefined);
    return;
  }
  const write =
    message.index !== undefined
      ? { name: message.path, index: message.index }
      : { name: message.path, value: message.value };
  const ok = await vscode.commands.executeCommand('cameraTether.setCameraSetting', write).then(
    () => true,
    () => false,
  );
  // A refused value: show what the camera has now, not what the control was turned to.
  if (!ok && session.lastCameraSettings === undefined)
    await vscode.commands.executeCommand(ACTION_COMMANDS.read).then(undefined, () => undefined);
}
