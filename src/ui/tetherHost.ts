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
import { CaptureStore, type RecoveredFolder } from '../capture/captureStore';
import { parseSettings, type TetherSettings } from '../config/settings';
import { managerSettingsFrom } from '../session/managerSettings';
import { TetherSession, type ExposureLockNews } from '../session/tetherSession';
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
      settings = parseSettings(() => undefined, {
        workspaceFolder: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? context.globalStorageUri.fsPath,
      });
    }
    const previewDir = path.join(context.globalStorageUri.fsPath, 'previews', String(process.pid));
    const runner = new ProcessRunner();
    const reaper = new ProcessReaper(defaultProcessTable(runner), {
      names: settings.cleanupProcessNames,
      termTimeoutMs: settings.cleanupTimeoutMs,
      killTimeoutMs: settings.cleanupTimeoutMs,
      settleMs: settings.cleanupSettleMs,
    });
    const workspaceName = vscode.workspace.name ?? 'no folder';
    // In the user's private folder (resolved and checked at each job, so a refused folder is reported
    // by the command that met it, with the fix, instead of failing activation).
    const lock = new CameraLock(undefined, `VS Code window "${workspaceName}"`);
    const manager = new CameraManager(
      { runner, reaper, lock },
      managerSettingsFrom(settings, {
        simulatorScript: context.asAbsolutePath(path.join('dist', 'simulator.js')),
        previewDir,
      }),
    );
    manager.on('log', (e) => log[e.level](e.message));
    const store = new CaptureStore(
      settings.outputFolder,
      settings.filenamePattern,
      context.workspaceState.get<string>(ROLL_KEY) ?? DEFAULT_ROLL,
    );
    const sessionLog = (e: { level: 'info' | 'warn' | 'error'; message: string }): void => log[e.level](e.message);
    let session: TetherSession;
    try {
      session = await TetherSession.open(manager, store, identityOf(settings), { log: sessionLog, lock });
    } catch (err) {
      log.error(`Cannot open the roll folder: ${(err as Error).message}`);
      settingsError ??= new CameraError(
        'badSetting',
        `Cannot use the output folder ${settings.outputFolder}: ${(err as Error).message}. Choose a writable folder.`,
        { setting: 'cameraTether.outputFolder' },
        ['openSettings'],
      );
      await store.openRoll(DEFAULT_ROLL).catch(() => undefined);
      session = await TetherSession.open(manager, store, identityOf(settings), { log: sessionLog, lock }).catch(() => {
        throw settingsError;
      });
    }
    const host = new TetherHost(context, log, session, settings, previewDir);
    host.settingsError = settingsError;
    if (settingsError) log.error(settingsError.message);
    host.disposables.push(vscode.workspace.onDidChangeConfiguration((e) => affectsTether(e) && void host.reload()));
    // Images a crashed window left in staging: found at start-up, on Cleanup, or after a sweep.
    const onRecovered = (folders: RecoveredFolder[]): void => notifyRecovered(folders, log);
    session.on('recovered', onRecovered);
    host.disposables.push({ dispose: () => session.off('recovered', onRecovered) });
    if (session.recoveredAtOpen.length > 0) notifyRecovered(session.recoveredAtOpen, log);
    // Pictures taken on the body while tethered mode was paused (a preview, live view).
    const onFound = (found: { files: string[]; downloaded: boolean }): void => notifyFoundOnCard(found, log);
    session.on('foundOnCard', onFound);
    host.disposables.push({ dispose: () => session.off('foundOnCard', onFound) });
    // The roll's locked exposure did not read back as locked (the dial moved?), or was set right again.
    const onLock = (news: ExposureLockNews): void => notifyExposureLock(news, log);
    session.on('exposureLock', onLock);
    host.disposables.push({ dispose: () => session.off('exposureLock', onLock) });
    log.info(
      `Camera Tether ready: ${settings.source === 'simulator' ? 'simulated camera' : `gphoto2 at "${settings.gphoto2Path}"`}, output ${settings.outputFolder}, roll "${store.roll}".`,
    );
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
      await this.session.reconfigure({
        manager: managerSettingsFrom(settings, {
          simulatorScript: this.context.asAbsolutePath(path.join('dist', 'simulator.js')),
          previewDir: this.previewDir,
        }),
        outputFolder: settings.outputFolder,
        filenamePattern: settings.filenamePattern,
        identity: identityOf(settings),
      });
      // A different output folder may hold what a crashed window left there (told via `recovered`).
      void this.session.recoverOrphans();
      this.reloaded.fire();
      this.log.info(
        `Settings applied: ${settings.source === 'simulator' ? 'simulated camera' : `gphoto2 at "${settings.gphoto2Path}"`}, output ${settings.outputFolder}.`,
      );
    } catch (err) {
      this.settingsError = err instanceof CameraError ? err : new CameraError('badSetting', String(err));
      this.log.error(this.settingsError.message);
      void vscode.window
        .showErrorMessage(this.settingsError.message, 'Open Settings')
        .then(
          (b) =>
            b &&
            vscode.commands.executeCommand(
              'workbench.action.openSettings',
              this.settingsError?.details.setting ?? 'cameraTether',
            ),
        );
    }
  }

  dispose(): Promise<void> {
    this.disposed ??= (async () => {
      for (const d of this.disposables) d.dispose();
      this.reloaded.dispose();
      await this.session.close();
      await fs.promises.rm(this.previewDir, { recursive: true, force: true });
    })();
    return this.disposed;
  }
}

/**
 * Tells the user where images a crashed window left behind went (the camera may have deleted its
 * copies), with a button that opens the folder. The log has the details of every folder.
 */
export function notifyRecovered(folders: readonly RecoveredFolder[], log: vscode.LogOutputChannel): void {
  if (folders.length === 0) return;
  const complete = folders.reduce((n, f) => n + f.files.length, 0);
  const partial = folders.flatMap((f) => f.incomplete);
  const where =
    folders.length === 1 ? folders[0].folder : `${folders.length} folders under ${path.dirname(folders[0].folder)}`;
  const what = [
    complete > 0 ? `${complete} file${complete === 1 ? '' : 's'}` : '',
    partial.length > 0
      ? `${partial.length} incomplete file${partial.length === 1 ? '' : 's'} (named "-incomplete")`
      : '',
  ]
    .filter(Boolean)
    .join(' and ');
  const text = `Camera Tether recovered ${what} that a window which closed unexpectedly had downloaded but not filed (the camera may have deleted them from its card). They are in ${where}.`;
  log.warn(text);
  void vscode.window.showWarningMessage(text, 'Open Folder', 'Show Log').then(async (b) => {
    if (b === 'Show Log') log.show(true);
    if (b !== 'Open Folder') return;
    const uri = vscode.Uri.file(folders.length === 1 ? folders[0].folder : path.dirname(folders[0].folder));
    if (vscode.workspace.getWorkspaceFolder(uri)) await vscode.commands.executeCommand('revealInExplorer', uri);
    else if (vscode.env.remoteName)
      await vscode.commands.executeCommand('vscode.openFolder', uri, { forceNewWindow: true });
    else await vscode.commands.executeCommand('revealFileInOS', uri);
  });
}

function notifyFoundOnCard(found: { files: string[]; downloaded: boolean }, log: vscode.LogOutputChannel): void {
  const n = found.files.length;
  const what = `${n} picture${n === 1 ? '' : 's'} taken with the camera while tethered mode was paused`;
  const names = found.files.map((f) => f.slice(f.lastIndexOf('/') + 1)).join(', ');
  if (found.downloaded) {
    const text = `${what} ${n === 1 ? 'was' : 'were'} found on the card and added to the roll (${names}). ${n === 1 ? 'It stays' : 'They stay'} on the card too.`;
    log.info(text);
    void vscode.window.showInformationMessage(text);
    return;
  }
  const text = `${what} ${n === 1 ? 'is' : 'are'} on the camera's card but could not be downloaded: ${found.files.join(', ')}. Copy ${n === 1 ? 'it' : 'them'} from the card, or see the log.`;
  log.warn(text);
  void vscode.window.showWarningMessage(text, 'Show Log').then((b) => b === 'Show Log' && log.show(true));
}

function identityOf(s: TetherSettings): { source: TetherSettings['source']; model?: string; port?: string } {
  // The model shown is the one chosen in the settings, else what detection finds (the simulator's own name).
  return { source: s.source, model: s.camera || undefined, port: s.port || undefined };
}

function notifyExposureLock(news: ExposureLockNews, log: vscode.LogOutputChannel): void {
  if (news.job === 'correction') {
    if (news.ok) log.info("The roll's locked exposure was written again and reads back as locked.");
    return;
  }
  if (news.ok) return;
  const what = news.mismatches
    .map(
      (m) =>
        `${m.name} ${m.readBack === undefined ? 'did not read back' : `read back ${m.readBack}`} (locked: ${m.locked})`,
    )
    .join(', ');
  const subject =
    news.frame !== undefined
      ? `Frame ${news.frame} may not have the roll's locked exposure`
      : news.job === 'testCapture'
        ? "The test capture may not have the roll's locked exposure"
        : "The roll's locked exposure did not stay set";
  const text = `${subject}: ${what || news.message || 'a locked value did not read back as locked'}. Check the mode dial (M); the lock is written again before the next capture.`;
  log.warn(text);
  const reshoot = news.frame !== undefined ? `Reshoot Frame ${news.frame}` : undefined;
  void vscode.window.showWarningMessage(text, ...(reshoot ? [reshoot] : []), 'Show Log').then(async (b) => {
    if (b === 'Show Log') log.show(true);
    else if (b !== undefined && b === reshoot)
      await vscode.commands.executeCommand('cameraTether.reshootFrame', { frame: news.frame });
  });
}
