/**
 * The Getting Started walkthrough's commands: open it, and check that gphoto2 is installed (its
 * step completes when `gphoto2 --version` answers, through the context key below).
 */
import * as vscode from 'vscode';
import { toCameraError } from '../camera/errors';
import type { ErrorPresenter } from './errorPresenter';
import type { TetherHost } from './tetherHost';

export const WALKTHROUGH_ID = 'camera-tether.camera-tether#gettingStarted';
/** Set once gphoto2 answered `--version` in this window: completes the walkthrough's first step. */
export const GPHOTO2_FOUND_CONTEXT = 'cameraTether.gphoto2Found';

export function registerWalkthrough(host: TetherHost, presenter: ErrorPresenter): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('cameraTether.openWalkthrough', async () => {
      await vscode.commands.executeCommand('workbench.action.openWalkthrough', WALKTHROUGH_ID, false);
    }),
    vscode.commands.registerCommand('cameraTether.checkGphoto2', async () => {
      const s = host.session.snapshot();
      if (s.source === 'simulator') {
        void vscode.window
          .showInformationMessage(
            'The simulated camera is in use, so gphoto2 is not needed now. To check gphoto2, switch to the real camera first.',
            'Use Real Camera',
          )
          .then((b) => b && vscode.commands.executeCommand('cameraTether.useRealCamera'));
        return { found: false, simulated: true };
      }
      try {
        const v = await host.session.gphoto2Version();
        await vscode.commands.executeCommand('setContext', GPHOTO2_FOUND_CONTEXT, true);
        const text = `gphoto2 ${v.gphoto2}${v.libgphoto2 ? ` (libgphoto2 ${v.libgphoto2})` : ''} is installed: "${host.current.gphoto2Path}".`;
        host.log.info(text);
        void vscode.window.showInformationMessage(text);
        return { found: true, version: v.gphoto2, libgphoto2: v.libgphoto2 };
      } catch (err) {
        const error = toCameraError(err, 'Check gphoto2');
        presenter.show(error);
        throw error;
      }
    }),
  ];
}
