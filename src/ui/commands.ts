/**
 * One handler per command. Each accepts optional arguments (for keybindings, tasks and other
 * extensions) instead of prompts, returns a plain JSON-able result, and on failure both shows the
 * error with its fixing actions and rejects, so a caller can tell.
 */
import * as vscode from 'vscode';
import { describeOwner, sanitizeForDisplay } from '../camera/cameraLock';
import { CameraError, toCameraError } from '../camera/errors';
import { describeCleanup } from '../camera/processReaper';
import { MAX_FRAME, NamingError } from '../capture/fileNaming';
import { SECTION } from '../config/settings';
import type { ErrorPresenter } from './errorPresenter';
import { validationMessage } from './inputValidation';
import { reviewCommands } from './reviewCommands';
import { settingsCommands } from './settingsCommands';
import type { TetherHost } from './tetherHost';

type Handler = (...args: unknown[]) => Promise<unknown>;

export interface CommandHooks {
  openPanel: () => Promise<void>;
  panelInfo: () => {
    open: boolean;
    displayed?: { path: string; width: number; height: number };
    capture?: { frame?: number; names: string[]; test: boolean };
    live?: { delivered: number; dropped: number; fps: number; latencyMedianMs?: number; latencyP95Ms?: number };
  };
  statusBarInfo: () => { text: string; error: boolean };
}

export function registerCommands(
  host: TetherHost,
  presenter: ErrorPresenter,
  hooks: CommandHooks,
): vscode.Disposable[] {
  const session = host.session;

  /** `retryWith`: true retries the command itself, a command name retries that one instead. */
  const guarded = (name: string, handler: Handler, retryWith: boolean | string = false): Handler => {
    const wrapped: Handler = async (...args) => {
      try {
        host.ensureSettings();
        return await handler(...args);
      } catch (err) {
        const error =
          err instanceof NamingError
            ? new CameraError('badSetting', err.message, { setting: err.setting }, err.setting ? ['openSettings'] : [])
            : toCameraError(err, name);
        const retry =
          retryWith === false
            ? undefined
            : `cameraTether.${typeof retryWith === 'string' ? retryWith : commandOf(name)}`;
        presenter.show(error, retry ? () => vscode.commands.executeCommand(retry) : undefined);
        throw error;
      }
    };
    return wrapped;
  };

  const commands: Record<string, Handler> = {
    openPanel: async () => hooks.openPanel(),

    detectCamera: guarded('Detect camera', async (arg) => {
      const cameras = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: 'Detecting cameras' },
        () => session.detect(),
      );
      const interactive = !isObject(arg) || arg.interactive !== false;
      if (interactive) {
        if (cameras.length === 0) {
          if (session.snapshot().source === 'simulator')
            void vscode.window.showWarningMessage(
              'The simulated camera reports no camera (its noCamera fault is switched on).',
            );
          else
            void vscode.window
              .showWarningMessage(
                'No camera found. Check that it is on, connected by USB and not in mass-storage mode, or try the simulated camera.',
                'Use Simulated Camera',
              )
              .then((b) => b && vscode.commands.executeCommand('cameraTether.useSimulator'));
        } else if (cameras.length === 1) {
          void vscode.window.showInformationMessage(`Found ${cameras[0].model} on ${cameras[0].port}.`);
        } else {
          const picked = await vscode.window.showQuickPick(
            cameras.map((c) => ({ label: c.model, description: c.port, camera: c })),
            { title: 'Several cameras found: which one should Camera Tether use?' },
          );
          if (picked) {
            const config = vscode.workspace.getConfiguration(SECTION);
            await config.update('camera', picked.camera.model, vscode.ConfigurationTarget.Global);
            await config.update('port', picked.camera.port, vscode.ConfigurationTarget.Global);
          }
        }
      }
      return { cameras };
    }),

    preview: guarded(
      'Preview',
      async () => {
        if (!hooks.panelInfo().open) await hooks.openPanel();
        const r = await vscode.window.withProgress(
          { location: vscode.ProgressLocation.Window, title: '$(sync~spin) Camera preview' },
          () => session.preview(),
        );
        return { path: r.path, bytes: r.bytes, durationMs: Math.round(r.durationMs) };
      },
      true,
    ),

    capture: guarded(
      'Capture',
      async () => {
        // The frame number is assigned when the files are safely on disk, so the title names none.
        const r = await vscode.window.withProgress(
          { location: vscode.ProgressLocation.Notification, title: 'Camera: capturing', cancellable: true },
          (_progress, token) => session.capture({ signal: abortOn(token) }),
        );
        vscode.window.setStatusBarMessage(`$(check) Frame ${r.frame}: ${r.files.map((f) => f.name).join(', ')}`, 4000);
        return { frame: r.frame, files: r.files.map((f) => f.path), roll: r.roll };
      },
      true,
    ),

    testCapture: guarded(
      'Test capture',
      async () => {
        const r = await vscode.window.withProgress(
          {
            location: vscode.ProgressLocation.Notification,
            title: 'Test capture (counter unchanged)',
            cancellable: true,
          },
          (_progress, token) => session.testCapture({ signal: abortOn(token) }),
        );
        vscode.window.setStatusBarMessage(`$(beaker) Test capture: ${r.files.map((f) => f.name).join(', ')}`, 4000);
        return { files: r.files.map((f) => f.path) };
      },
      true,
    ),

    startLiveView: guarded(
      'Start live view',
      async () => {
        if (!hooks.panelInfo().open) await hooks.openPanel();
        await vscode.window.withProgress(
          { location: vscode.ProgressLocation.Window, title: '$(sync~spin) Starting live view' },
          () => session.startLiveView(),
        );
        return { running: session.liveView.running };
      },
      true,
    ),

    stopLiveView: guarded('Stop live view', async () => {
      await session.stopLiveView();
      return { running: session.liveView.running };
    }),

    toggleLiveView: guarded(
      'Toggle live view',
      async () => {
        if (session.liveView.wanted) await session.stopLiveView();
        else {
          if (!hooks.panelInfo().open) await hooks.openPanel();
          await session.startLiveView();
        }
        return { running: session.liveView.running };
      },
      'startLiveView',
    ),

    startTethering: guarded(
      'Start tethered mode',
      async () => {
        await vscode.window.withProgress(
          { location: vscode.ProgressLocation.Window, title: '$(sync~spin) Starting tethered mode' },
          () => session.startTethering(),
        );
        return session.tethering;
      },
      true,
    ),

    stopTethering: guarded('Stop tethered mode', async () => {
      await session.stopTethering();
      return session.tethering;
    }),

    toggleTethering: guarded(
      'Toggle tethered mode',
      async () => {
        if (session.tethering.wanted) await session.stopTethering();
        else await session.startTethering();
        return session.tethering;
      },
      'startTethering',
    ),

    cleanup: guarded('Cleanup', async () => {
      const report = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'Stopping camera processes' },
        () => session.cleanup(),
      );
      // Files a crashed window left in staging were recovered too; that has its own notification (Open Folder).
      const recovered =
        report.recovered.length > 0
          ? ` Recovered files left by a window that closed unexpectedly into ${report.recovered.map((r) => r.folder).join(', ')}.`
          : '';
      const text = describeCleanup(report) + recovered;
      host.log.info(`Cleanup: ${text}`);
      void vscode.window.showInformationMessage(text);
      return report;
    }),

    /**
     * Takes the cross-window camera lock from the window (or leftover) holding it, after a modal
     * confirmation; `{ "confirmed": true }` skips it (scripts). `cameraFree`: this window may use the
     * camera now (the error button then runs the failed job again).
     */
    takeOverCamera: guarded('Take over camera', async (arg) => {
      const { owner, verdict, file } = await session.inspectLock();
      if (!owner || verdict === 'mine') {
        void vscode.window.showInformationMessage(
          owner ? 'This window already holds the camera.' : 'No other window holds the camera: nothing to take over.',
        );
        return { takenOver: false, cameraFree: true };
      }
      const who = describeOwner(owner);
      const where = verdict === 'otherHost' ? ` on the computer "${sanitizeForDisplay(owner.hostname, 64)}"` : '';
      if (verdict !== 'stale' && !(isObject(arg) && arg.confirmed === true)) {
        const picked = await vscode.window.showWarningMessage(
          `Take over the camera from ${who}${where}?`,
          {
            modal: true,
            detail:
              'Do this only if that window is closed, hung or on a computer you no longer use. If it is still working it may be in the middle of a capture or live view: its capture can fail, and until it is closed the two windows may disturb each other. This window then uses the camera.',
          },
          'Take Over',
        );
        if (picked !== 'Take Over') return { takenOver: false, cameraFree: false };
      }
      const previous = await session.takeOverLock(owner);
      host.log.warn(
        `Took over the camera lock ${file} from ${who}${where} (${verdict === 'stale' ? 'its owner was gone' : verdict === 'otherHost' ? 'another computer' : verdict === 'live' ? 'a live window, as the user chose' : 'an owner that could not be checked'}).`,
      );
      return { takenOver: previous !== undefined, cameraFree: true };
    }),

    newRoll: guarded('New roll', async (arg) => {
      let name = typeof arg === 'string' ? arg : isObject(arg) && typeof arg.name === 'string' ? arg.name : undefined;
      if (arg !== undefined && name === undefined)
        throw new CameraError(
          'failed',
          'cameraTether.newRoll takes a roll name (a string, or {"name": "..."}).',
          {},
          [],
        );
      if (name === undefined) {
        name = await vscode.window.showInputBox({
          title: 'New roll',
          prompt: 'Name of the new roll (a folder under the output folder)',
          value: await nextRollName(host),
          validateInput: (v) => validationMessage(() => session.checkNewRollName(v)),
        });
        if (name === undefined) throw new CameraError('cancelled', 'New roll was cancelled.');
      }
      const info = await session.newRoll(name);
      await host.rememberRoll(info.roll);
      return { roll: info.roll, folder: info.folder, nextFrame: info.nextFrame };
    }),

    setFrameNumber: guarded('Set frame number', async (arg) => {
      let n = typeof arg === 'number' ? arg : isObject(arg) && typeof arg.frame === 'number' ? arg.frame : undefined;
      if (arg !== undefined && n === undefined)
        throw new CameraError(
          'failed',
          'cameraTether.setFrameNumber takes a frame number (a number, or {"frame": N}).',
          {},
          [],
        );
      if (n === undefined) {
        const text = await vscode.window.showInputBox({
          title: 'Next frame number',
          prompt: 'The next capture gets this number (an existing file is never overwritten)',
          value: String(session.snapshot().nextFrame),
          validateInput: (v) =>
            /^\d+$/.test(v.trim()) && Number(v) >= 1 && Number(v) <= MAX_FRAME
              ? undefined
              : `A whole number from 1 to ${MAX_FRAME}`,
        });
        if (text === undefined) throw new CameraError('cancelled', 'Set frame number was cancelled.');
        n = Number(text.trim());
      }
      if (!Number.isInteger(n) || n < 1 || n > MAX_FRAME)
        throw new CameraError(
          'failed',
          `The frame number must be a whole number from 1 to ${MAX_FRAME} (got ${n}).`,
          {},
          [],
        );
      return { nextFrame: await session.setNextFrame(n) };
    }),

    getState: async () => {
      const s = session.snapshot();
      return { ...s, camera: { ...s.camera }, panel: hooks.panelInfo(), statusBar: hooks.statusBarInfo() };
    },

    showLog: async () => host.log.show(true),

    openOutputFolder: guarded('Open output folder', async () => {
      const folder = session.snapshot().folder;
      await vscode.workspace.fs.createDirectory(vscode.Uri.file(folder));
      const uri = vscode.Uri.file(folder);
      if (vscode.workspace.getWorkspaceFolder(uri)) await vscode.commands.executeCommand('revealInExplorer', uri);
      else if (vscode.env.remoteName)
        await vscode.commands.executeCommand('vscode.openFolder', uri, { forceNewWindow: true });
      else await vscode.commands.executeCommand('revealFileInOS', uri);
      return { folder };
    }),

    useSimulator: guarded('Use simulated camera', async () => setSource('simulator')),
    useRealCamera: guarded('Use real camera', async () => setSource('gphoto2')),
    // Roll details, frame notes, reshoot / reject / restore (src/ui/reviewCommands.ts).
    ...reviewCommands(session, (name, handler) => guarded(name, handler)),
    // Camera settings (src/ui/settingsCommands.ts).
    ...settingsCommands(session, (name, handler) => guarded(name, handler)),
  };

  return Object.entries(commands).map(([name, handler]) =>
    vscode.commands.registerCommand(`cameraTether.${name}`, handler),
  );
}

async function setSource(source: 'simulator' | 'gphoto2'): Promise<{ source: string }> {
  const target = vscode.workspace.workspaceFolders
    ? vscode.ConfigurationTarget.Workspace
    : vscode.ConfigurationTarget.Global;
  await vscode.workspace.getConfiguration(SECTION).update('source', source, target);
  return { source };
}

/** The next free `roll-NNN` name in the output folder. */
async function nextRollName(host: TetherHost): Promise<string> {
  let highest = 0;
  try {
    for (const [name] of await vscode.workspace.fs.readDirectory(vscode.Uri.file(host.session.outputFolder))) {
      const m = /^roll-(\d+)$/.exec(name);
      if (m) highest = Math.max(highest, Number(m[1]));
    }
  } catch {
    // no output folder yet
  }
  return `roll-${String(highest + 1).padStart(3, '0')}`;
}

function abortOn(token: vscode.CancellationToken): AbortSignal {
  const controller = new AbortController();
  token.onCancellationRequested(() => controller.abort());
  return controller.signal;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function commandOf(name: string): string {
  const words = name.toLowerCase().split(' ');
  return (
    words[0] +
    words
      .slice(1)
      .map((w) => w[0].toUpperCase() + w.slice(1))
      .join('')
  );
}
