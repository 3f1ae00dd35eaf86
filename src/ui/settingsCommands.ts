/**
 * Camera settings commands (issue 11): getCameraSettings and setCameraSetting for scripts (the fixed
 * contract), and **Camera: Camera Settings...** (a section, a setting, then a value). The wording
 * the user sees lives here.
 */
import * as vscode from 'vscode';
import type { Guard, Handler } from './commandGuard';
import type { CameraSetting, SettingWrite } from '../camera/config';
import { CameraError } from '../camera/errors';
import type { TetherSession } from '../session/tetherSession';
import { validationMessage } from './inputValidation';

/** The contract's shape: no UI-only fields (`disabledReason` stays out). */
function forScripts(s: CameraSetting): Record<string, unknown> {
  return {
    name: s.name,
    path: s.path,
    label: s.label,
    type: s.type,
    value: s.value,
    ...(s.choices ? { choices: [...s.choices] } : {}),
    ...(s.min !== undefined ? { min: s.min } : {}),
    ...(s.max !== undefined ? { max: s.max } : {}),
    ...(s.step !== undefined ? { step: s.step } : {}),
    readonly: s.readonly,
    ...(s.role ? { role: s.role } : {}),
  };
}

/** `{ name, value }` or `{ name, index }` (name: a name, a path or a role). */
function toWrite(arg: unknown, at: string): SettingWrite {
  if (typeof arg !== 'object' || arg === null || Array.isArray(arg))
    throw new CameraError('badSetting', `${at}: expected { name, value }, got ${JSON.stringify(arg)}.`);
  const o = arg as Record<string, unknown>;
  if (typeof o.name !== 'string' || o.name.trim() === '')
    throw new CameraError(
      'badSetting',
      `${at}: "name" must be a setting's name, path or role (e.g. "f-number" or "aperture").`,
    );
  const value = o.value;
  const okValue = typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
  const index = o.index;
  if (!okValue && typeof index !== 'number')
    throw new CameraError(
      'badSetting',
      `${at}: "value" must be a string, number or boolean (or give "index", a position in the choices).`,
    );
  return {
    name: o.name.trim(),
    ...(okValue ? { value } : {}),
    ...(typeof index === 'number' ? { index } : {}),
  };
}

/** The path's section (`/main/capturesettings/f-number` -> `capturesettings`). */
function sectionOf(s: CameraSetting): string {
  const parts = s.path.split('/').filter((p) => p !== '');
  return parts.length >= 3 ? parts[parts.length - 2] : 'other';
}

export function settingsCommands(session: TetherSession, guarded: Guard): Record<string, Handler> {
  return {
    getCameraSettings: guarded('Get camera settings', async () => {
      const settings = await session.cameraSettings();
      return { settings: settings.map(forScripts) };
    }),

    setCameraSetting: guarded('Set camera setting', async (arg) => {
      const writes = Array.isArray(arg)
        ? arg.map((a, i) => toWrite(a, `Set camera setting, item ${i + 1}`))
        : [toWrite(arg, 'Set camera setting')];
      const result = await session.setCameraSettings(writes);
      return { applied: result.applied.map((a) => ({ name: a.name, value: a.value })) };
    }),

    cameraSettings: guarded('Camera settings', async () => settingsFlow(session)),

    lockExposure: guarded('Lock exposure', async () => {
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: 'Reading the exposure to lock' },
        () => session.lockExposure(),
      );
      const values = result.lock.values.map((v) => `${v.label} ${v.value}`).join(', ');
      const skipped =
        result.skipped.length > 0
          ? ` Not locked: ${result.skipped.map((s) => `${s.label} (${s.reason})`).join('; ')}.`
          : '';
      void vscode.window.showInformationMessage(
        `Exposure locked for roll "${result.roll}": ${values}. Every capture of this roll sets and checks it.${skipped}`,
      );
      return result;
    }),

    unlockExposure: guarded('Unlock exposure', async () => {
      const result = await session.unlockExposure();
      void vscode.window.showInformationMessage(
        result.wasLocked
          ? `Exposure unlocked for roll "${result.roll}": captures use the camera's settings as they are.`
          : `Roll "${result.roll}" had no locked exposure.`,
      );
      return result;
    }),
  };
}

/** Camera: Camera Settings...: a section, a setting in it (disabled ones say why), then its value. */
async function settingsFlow(session: TetherSession): Promise<unknown> {
  const settings = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Window, title: 'Reading camera settings' },
    () => session.cameraSettings(),
  );
  const sections = [...new Set(settings.map(sectionOf))];
  const section = await vscode.window.showQuickPick(
    sections.map((name) => ({
      label: name,
      description: `${settings.filter((s) => sectionOf(s) === name).length} settings`,
    })),
    { title: 'Camera settings', placeHolder: 'Choose a section' },
  );
  if (!section) return { applied: [] };
  type Item = vscode.QuickPickItem & { setting: CameraSetting };
  const items: Item[] = settings
    .filter((s) => sectionOf(s) === section.label)
    .map((s) => ({
      label: s.readonly ? `$(lock) ${s.label}` : s.label,
      description: s.value === '' ? '(no value)' : s.value,
      detail: s.readonly ? (s.disabledReason ?? 'The camera reports this setting read-only.') : s.name,
      setting: s,
    }));
  const picked = await vscode.window.showQuickPick(items, {
    title: `Camera settings: ${section.label}`,
    placeHolder: 'Choose a setting to change',
  });
  if (!picked) return { applied: [] };
  const s = picked.setting;
  if (s.readonly) {
    void vscode.window.showInformationMessage(
      `${s.label} cannot be changed now: ${s.disabledReason ?? 'the camera reports it read-only.'}`,
    );
    return { applied: [] };
  }
  const write = await askValue(s);
  if (!write) return { applied: [] };
  const result = await session.setCameraSettings(write);
  const applied = result.applied.map((a) => ({ name: a.name, value: a.value }));
  const took = applied[0];
  if (took) void vscode.window.showInformationMessage(`${s.label} is now ${took.value}.`);
  return { applied };
}

async function askValue(s: CameraSetting): Promise<SettingWrite | undefined> {
  if (s.choices && s.choices.length > 0) {
    const pick = await vscode.window.showQuickPick(
      s.choices.map((c, index) => ({ label: c, description: c === s.value ? 'current' : undefined, index })),
      { title: `${s.label} (${s.name})`, placeHolder: `Now ${s.value}` },
    );
    // By position: two choices may read the same (gphoto2 #69: --set-config-index, never guess).
    return pick ? { name: s.path, index: pick.index } : undefined;
  }
  if (s.type === 'toggle') {
    const pick = await vscode.window.showQuickPick(['On', 'Off'], { title: `${s.label} (${s.name})` });
    return pick ? { name: s.path, value: pick === 'On' } : undefined;
  }
  const range = s.type === 'range' && s.min !== undefined && s.max !== undefined;
  const text = await vscode.window.showInputBox({
    title: `${s.label} (${s.name})`,
    prompt: range ? `A number from ${s.min} to ${s.max}${s.step ? ` in steps of ${s.step}` : ''}` : 'The new value',
    value: s.value,
    validateInput: (v) =>
      validationMessage(() => {
        if (range && (v.trim() === '' || !Number.isFinite(Number(v))))
          throw new Error(`A number from ${s.min} to ${s.max}`);
      }),
  });
  return text === undefined ? undefined : { name: s.path, value: range ? Number(text) : text };
}
