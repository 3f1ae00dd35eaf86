/**
 * The `cameraTether.*` settings as one typed, validated object. Pure: the UI layer reads the raw
 * values from VS Code and hands them here, so every rule is tested in plain Node. A wrong value gives
 * an error naming the setting and what a right value looks like.
 */
import * as os from 'os';
import * as path from 'path';
import { parseFilenamePattern, NamingError, type FilenamePattern } from '../capture/fileNaming';
import { defaultCleanupNames, isNeverStopped } from '../camera/processReaper';
import type { CleanupMode, ConnectionMode } from '../camera/cameraManager';

import { SECTION } from './settingIds';

export { SECTION };

export type CameraSource = 'gphoto2' | 'simulator';

/** Chosen by the roll benchmark (README, Performance: Connection). */
export const DEFAULT_CONNECTION: ConnectionMode = 'session';

export interface TetherSettings {
  source: CameraSource;
  gphoto2Path: string;
  camera?: string;
  port?: string;
  outputFolder: string;
  filenamePattern: FilenamePattern;
  keepOnCamera: boolean;
  commandTimeoutMs: number;
  previewTimeoutMs: number;
  captureTimeoutMs: number;
  killGraceMs: number;
  lingerMs: number;
  connection: ConnectionMode;
  sessionIdleMs: number;
  cleanupMode: CleanupMode;
  cleanupProcessNames: string[];
  cleanupSettleMs: number;
  cleanupTimeoutMs: number;
  liveViewMaxFps: number;
  panel: PanelSettings;
}

/** `cameraTether.panel.*`: whether a capture is shown large, and for how long while live view runs. */
export interface PanelSettings {
  showCaptures: boolean;
  reviewMs: number;
}

export class SettingError extends Error {
  override readonly name = 'SettingError';
  /** Full id, e.g. `cameraTether.outputFolder`. */
  readonly setting: string;
  constructor(key: string, message: string) {
    super(message);
    this.setting = `${SECTION}.${key}`;
  }
}

export interface SettingsContext {
  /** The first workspace folder, for `${workspaceFolder}`; undefined without a workspace. */
  workspaceFolder?: string;
  homeDir?: string;
  platform?: NodeJS.Platform;
}

/** Reads one raw value: what VS Code's configuration returns for `cameraTether.<key>`. */
export type RawSettings = (key: string) => unknown;

export function parseSettings(raw: RawSettings, ctx: SettingsContext): TetherSettings {
  const source = oneOf(raw, 'source', ['gphoto2', 'simulator'] as const, 'gphoto2');
  const gphoto2Path = text(raw, 'gphoto2Path', 'gphoto2');
  if (gphoto2Path.trim() === '')
    throw new SettingError(
      'gphoto2Path',
      '"cameraTether.gphoto2Path" is empty. Set it to "gphoto2" (found on PATH) or the full path of the gphoto2 program.',
    );
  if (/[\r\n\0]/.test(gphoto2Path))
    throw new SettingError(
      'gphoto2Path',
      '"cameraTether.gphoto2Path" contains a line break or NUL. Set it to the path of the gphoto2 program.',
    );
  return {
    source,
    gphoto2Path: programPath(gphoto2Path, ctx),
    camera: optionalCameraField(raw, 'camera'),
    port: optionalCameraField(raw, 'port'),
    outputFolder: outputFolder(raw, ctx),
    filenamePattern: pattern(raw),
    keepOnCamera: bool(raw, 'keepOnCamera', false),
    commandTimeoutMs: seconds(raw, 'commandTimeoutSeconds', 15, 1, 600),
    previewTimeoutMs: seconds(raw, 'previewTimeoutSeconds', 20, 1, 600),
    captureTimeoutMs: seconds(raw, 'captureTimeoutSeconds', 60, 1, 3600),
    killGraceMs: integer(raw, 'killGraceMs', 2000, 50, 60_000),
    lingerMs: integer(raw, 'lingerMs', 1500, 0, 60_000),
    connection: oneOf(raw, 'connection', ['session', 'perCommand'] as const, DEFAULT_CONNECTION),
    sessionIdleMs: integer(raw, 'sessionIdleSeconds', 30, 1, 3600) * 1000,
    cleanupMode: oneOf(raw, 'cleanup.mode', ['whenNeeded', 'beforeEveryJob'] as const, 'whenNeeded'),
    cleanupProcessNames: processNames(raw, ctx.platform ?? process.platform),
    cleanupSettleMs: integer(raw, 'cleanup.settleMs', 0, 0, 10_000),
    cleanupTimeoutMs: integer(raw, 'cleanup.timeoutMs', 2000, 50, 60_000),
    liveViewMaxFps: integer(raw, 'liveView.maxFps', 30, 0, 120),
    panel: parsePanelSettings(raw),
  };
}

/** The panel's own settings (the panel reads them on each capture, without the rest). */
export function parsePanelSettings(raw: RawSettings): PanelSettings {
  return {
    showCaptures: bool(raw, 'panel.showCaptures', true),
    reviewMs: seconds(raw, 'panel.reviewSeconds', 3, 0, 60),
  };
}

function describe(value: unknown): string {
  return typeof value === 'string'
    ? JSON.stringify(value)
    : Array.isArray(value)
      ? 'a list'
      : value === null
        ? 'null'
        : `${typeof value} ${JSON.stringify(value)}`;
}

function text(raw: RawSettings, key: string, fallback: string): string {
  const v = raw(key);
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'string')
    throw new SettingError(key, `"${SECTION}.${key}" must be text, but it is ${describe(v)}. Fix it in the settings.`);
  return v;
}

function bool(raw: RawSettings, key: string, fallback: boolean): boolean {
  const v = raw(key);
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean')
    throw new SettingError(key, `"${SECTION}.${key}" must be true or false, but it is ${describe(v)}.`);
  return v;
}

function integer(raw: RawSettings, key: string, fallback: number, min: number, max: number): number {
  const v = raw(key);
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || !Number.isInteger(v) || v < min || v > max) {
    throw new SettingError(
      key,
      `"${SECTION}.${key}" must be a whole number from ${min} to ${max}, but it is ${describe(v)}.`,
    );
  }
  return v;
}

function seconds(raw: RawSettings, key: string, fallback: number, min: number, max: number): number {
  const v = raw(key);
  if (v === undefined || v === null) return fallback * 1000;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    throw new SettingError(
      key,
      `"${SECTION}.${key}" must be a number of seconds from ${min} to ${max}, but it is ${describe(v)}.`,
    );
  }
  return Math.round(v * 1000);
}

function oneOf<T extends string>(raw: RawSettings, key: string, values: readonly T[], fallback: T): T {
  const v = raw(key);
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) {
    throw new SettingError(
      key,
      `"${SECTION}.${key}" must be one of ${values.map((x) => `"${x}"`).join(', ')}, but it is ${describe(v)}.`,
    );
  }
  return v as T;
}

/** Model and port go to gphoto2 verbatim as one argv element each; only line breaks are refused. */
function optionalCameraField(raw: RawSettings, key: 'camera' | 'port'): string | undefined {
  const v = text(raw, key, '').trim();
  if (v === '') return undefined;
  if (/[\r\n\0]/.test(v))
    throw new SettingError(
      key,
      `"${SECTION}.${key}" contains a line break or NUL. Copy the value from "Camera: Detect Camera".`,
    );
  if (key === 'port' && !/^[a-z]+:/i.test(v))
    throw new SettingError(
      key,
      `"${SECTION}.port" must look like "usb:001,004" or "ptpip:192.168.1.10" (as gphoto2 --auto-detect prints it), but it is ${describe(v)}.`,
    );
  return v;
}

function outputFolder(raw: RawSettings, ctx: SettingsContext): string {
  const v = text(raw, 'outputFolder', '${workspaceFolder}/captures').trim();
  if (v === '')
    throw new SettingError(
      'outputFolder',
      '"cameraTether.outputFolder" is empty. Set a folder such as "${workspaceFolder}/captures" or "~/Pictures/scans".',
    );
  if (/[\r\n\0]/.test(v))
    throw new SettingError('outputFolder', '"cameraTether.outputFolder" contains a line break or NUL.');
  return expandPath(v, ctx, 'outputFolder');
}

/**
 * The gphoto2 program: a bare name looked up on PATH, or an absolute path (after `~` and
 * `${userHome}`). Never a path relative to the open folder or through `${workspaceFolder}`: a cloned
 * repository could ship a "gphoto2" that would then run with the user's rights. The setting is
 * machine-scoped, so a workspace cannot set it; this holds whatever the scope. (An absolute path the
 * user typed is taken as is, even inside a folder they open.)
 */
function programPath(value: string, ctx: SettingsContext): string {
  const fix =
    'Set it to "gphoto2" (looked up on PATH) or to the absolute path of the gphoto2 program, such as "/usr/bin/gphoto2" or "~/bin/gphoto2".';
  const fromFolder =
    'Camera Tether does not run a program from the open folder, where whoever made the repository could have put one.';
  if (value.includes('${workspaceFolder}'))
    throw new SettingError('gphoto2Path', `"${SECTION}.gphoto2Path" uses \${workspaceFolder}. ${fromFolder} ${fix}`);
  const home = ctx.homeDir ?? os.homedir();
  let v = value.split('${userHome}').join(home);
  if (v === '~' || v.startsWith('~/') || v.startsWith('~\\')) v = path.join(home, v.slice(1));
  const unknownVariable = /\$\{[^}]*\}/.exec(v);
  if (unknownVariable)
    throw new SettingError(
      'gphoto2Path',
      `"${SECTION}.gphoto2Path" uses ${unknownVariable[0]}, which Camera Tether does not know. ${fix}`,
    );
  // A bare name has no separator and no drive ("C:gphoto2" is relative to a drive's current folder).
  if (!/[/\\:]/.test(v) && v !== '.' && v !== '..') return v;
  if (!path.isAbsolute(v))
    throw new SettingError(
      'gphoto2Path',
      `"${SECTION}.gphoto2Path" is a relative path ("${value}"). ${fromFolder} ${fix}`,
    );
  return path.normalize(v);
}

/** Expands `~` and `${workspaceFolder}`/`${userHome}`; relative paths are taken from the workspace. */
export function expandPath(value: string, ctx: SettingsContext, key: string): string {
  const home = ctx.homeDir ?? os.homedir();
  let v = value;
  if (v.includes('${workspaceFolder}')) {
    if (!ctx.workspaceFolder)
      throw new SettingError(
        key,
        `"${SECTION}.${key}" uses \${workspaceFolder}, but no folder is open. Open a folder or set an absolute path such as "~/Pictures/scans".`,
      );
    v = v.split('${workspaceFolder}').join(ctx.workspaceFolder);
  }
  v = v.split('${userHome}').join(home);
  if (v === '~' || v.startsWith('~/') || v.startsWith('~\\')) v = path.join(home, v.slice(1));
  const unknownVariable = /\$\{[^}]*\}/.exec(v);
  if (unknownVariable)
    throw new SettingError(
      key,
      `"${SECTION}.${key}" uses ${unknownVariable[0]}, which Camera Tether does not know. Use \${workspaceFolder}, \${userHome} or ~.`,
    );
  if (!path.isAbsolute(v)) {
    if (!ctx.workspaceFolder)
      throw new SettingError(
        key,
        `"${SECTION}.${key}" is a relative path ("${value}") but no folder is open. Use an absolute path.`,
      );
    v = path.join(ctx.workspaceFolder, v);
  }
  return path.normalize(v);
}

function pattern(raw: RawSettings): FilenamePattern {
  const v = text(raw, 'filenamePattern', 'frame-{frame:04}');
  try {
    return parseFilenamePattern(v);
  } catch (err) {
    if (err instanceof NamingError) throw new SettingError('filenamePattern', err.message);
    throw err;
  }
}

function processNames(raw: RawSettings, platform: NodeJS.Platform): string[] {
  const v = raw('cleanup.processNames');
  if (v === undefined || v === null || (Array.isArray(v) && v.length === 0)) return defaultCleanupNames(platform);
  if (!Array.isArray(v) || v.some((n) => typeof n !== 'string' || n.trim() === '' || /[/\\\s]/.test(n))) {
    throw new SettingError(
      'cleanup.processNames',
      '"cameraTether.cleanup.processNames" must be a list of exact program names such as ["gphoto2", "gvfs-gphoto2-volume-monitor"] (no paths, no spaces), or empty for the defaults.',
    );
  }
  const names = (v as string[]).map((n) => n.trim());
  // Cleanup signals every process of this user with a listed name: a shell, the editor or init there
  // would take the user's session down with it.
  const denied = names.find((n) => isNeverStopped(n));
  if (denied !== undefined) {
    throw new SettingError(
      'cleanup.processNames',
      `"cameraTether.cleanup.processNames" lists "${denied}", which cleanup must never stop (it is a shell, editor, runtime or system process, not a camera program). Remove it; list only programs that hold cameras, such as "gphoto2".`,
    );
  }
  return names;
}
