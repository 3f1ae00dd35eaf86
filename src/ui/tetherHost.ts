/**
 * Builds the camera objects for this extension host from the settings, keeps them in step with
 * setting changes, forwards the manager's log to the output channel, and tears everything down
 * (child killed, lock released) on dispose.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { CameraLock } from '../camera/cameraLock';
import { CameraManager } from '../camera/cameraManager';
import { CameraError } from '../camera/errors';
import { ProcessReaper } from '../camera/processReaper';
import { ProcessRunner } from '../camera/processRunner';
import { defaultProcessTable } from '../camera/processTable';
import { CaptureStore } from '../capture/captureStore';
import { parseSettings, type TetherSettings } from '../config/settings';
import { managerSettingsFrom } from '../session/managerSettings';
import { TetherSession } from '../session/tetherSession';
import { affectsTether, readSettings } from './config';

const ROLL_KEY = 'cameraTether.roll';
export const DEFAULT_ROLL = 'roll-001';

export class TetherHost implements vscode.Disposable {
  private settingsError: CameraError | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private disposed: Promise<void> | undefined;
  private readonly reloaded = new vscode.EventEmitter<void>();
  /** Fires after changed settings were applied. */
  readonly onDidReload = this.reloaded.event;

  private constructor(
    private readonly context: vscode.ExtensionContext,
    readonly log: vscode.LogOutputChannel,
    readonly runner: ProcessRunner,
    readonly manager: CameraManager,
    readonly session: TetherSession,
    private settings: TetherSettings,
    readonly previewDir: string,
  ) {}

  static async create(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): Promise<TetherHost> {
    let settings: TetherSettings;
    let settingsError: CameraError | undefined;
    try {
      settings = readSettings();
    } catch (err) {
      // Start with the defaults so the extension still activates; every command reports the bad setting.
      settingsError = err instanceof CameraError ? err : new CameraError('badSetting', String(err));
      settings = parseSettings(() => undefined, { workspaceFolder: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? context.globalStorageUri.fsPath });
    }
    const previewDir = path.join(context.globalStorageUri.fsPath, 'previews', String(process.pid));
    const runner = new ProcessRunner();
    const reaper = new ProcessReaper(defaultProcessTable(runner), { names: settings.cleanupProcessNames, termTimeoutMs: settings.cleanupTimeoutMs, killTimeoutMs: settings.cleanupTimeoutMs, settleMs: settings.cleanupSettleMs });
    const workspaceName = vscode.workspace.name ?? 'no folder';
    const lock = new CameraLock(undefined, `VS Code window "${workspaceName}"`);
    const manager = new CameraManager({ runner, reaper, lock }, managerSettingsFrom(settings, { simulatorScript: context.asAbsolutePath(path.join('dist', 'simulator.js')), previewDir }));
    manager.on('log', (e) => log[e.level](e.message));
    const store = new CaptureStore(settings.outputFolder, settings.filenamePattern, context.workspaceState.get<string>(ROLL_KEY) ?? DEFAULT_ROLL);
    let session: TetherSession;
    try {
      session = await TetherSession.open(manager, store, identityOf(settings));
    } catch (err) {
      log.error(`Cannot open the roll folder: ${(err as Error).message}`);
      settingsError ??= new CameraError('badSetting', `Cannot use the output folder ${settings.outputFolder}: ${(err as Error).message}. Choose a writable folder.`, { setting: 'cameraTether.outputFolder' }, ['openSettings']);
      await store.openRoll(DEFAULT_ROLL).catch(() => undefined);
      session = await TetherSession.open(manager, store, identityOf(settings)).catch(() => {
        throw settingsError;
      });
    }
    const host = new TetherHost(context, log, runner, manager, session, settings, previewDir);
    host.settingsError = settingsError;
    if (settingsError) log.error(settingsError.message);
    host.disposables.push(vscode.workspace.onDidChangeConfiguration((e) => affectsTether(e) && void host.reload()));
    log.info(`Camera Tether ready: ${settings.source === 'simulator' ? 'simulated camera' : `gphoto2 at "${settings.gphoto2Path}"`}, output ${settings.outputFolder}, roll "${store.roll}".`);
    return host;
  }

  get current(): TetherSettings {
    return this.settings;
  }

  /** Throws the settings problem, if any, so every command reports it. */
  ensureSettings(): void {
    if (this.settingsError) throw this.settingsError;
  }

  async rememberRoll(roll: string): Promise<void> {
    await this.context.workspaceState.update(ROLL_KEY, roll);
  }

  /** Applies changed settings; a bad value is reported and the last good settings stay in force. */
  async reload(): Promise<void> {
    try {
      const settings = readSettings();
      this.settingsError = undefined;
      this.settings = settings;
      this.manager.configure(managerSettingsFrom(settings, { simulatorScript: this.context.asAbsolutePath(path.join('dist', 'simulator.js')), previewDir: this.previewDir }));
      this.session.store.configure(settings.outputFolder, settings.filenamePattern);
      this.session.setIdentity(identityOf(settings));
      await this.session.refreshRoll();
      this.reloaded.fire();
      this.log.info(`Settings applied: ${settings.source === 'simulator' ? 'simulated camera' : `gphoto2 at "${settings.gphoto2Path}"`}, output ${settings.outputFolder}.`);
    } catch (err) {
      this.settingsError = err instanceof CameraError ? err : new CameraError('badSetting', String(err));
      this.log.error(this.settingsError.message);
      void vscode.window.showErrorMessage(this.settingsError.message, 'Open Settings').then((b) => b && vscode.commands.executeCommand('workbench.action.openSettings', this.settingsError?.details.setting ?? 'cameraTether'));
    }
  }

  dispose(): Promise<void> {
    this.disposed ??= (async () => {
      for (const d of this.disposables) d.dispose();
      this.reloaded.dispose();
      this.session.dispose();
      await this.manager.dispose();
      await fs.promises.rm(this.previewDir, { recursive: true, force: true });
    })();
    return this.disposed;
  }
}

function identityOf(s: TetherSettings): { source: TetherSettings['source']; model?: string; port?: string } {
  return s.source === 'simulator' ? { source: 'simulator', model: 'Camera Tether Simulator' } : { source: 'gphoto2', model: s.camera, port: s.port };
}
