/**
 * The camera's commands: detect, preview, capture, test capture, live view, tethered mode, cleanup
 * and taking the camera over from another window.
 */
import * as vscode from 'vscode';
import { describeOwner, sanitizeForDisplay } from '../camera/cameraLock';
import { describeCleanup } from '../camera/processReaper';
import { SECTION } from '../config/settings';
import { abortOn, isObject, type Guard, type Handler } from './commandGuard';
import type { CommandHooks } from './commands';
import type { TetherHost } from './tetherHost';

export function cameraCommands(host: TetherHost, guarded: Guard, hooks: CommandHooks): Record<string, Handler> {
  const session = host.session;
  return {
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
  };
}
