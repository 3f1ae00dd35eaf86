/**
 * Shows a CameraError as a notification whose buttons fix the problem (Run Cleanup, Show Log, Open
 * Settings, Use Simulated Camera), and logs it.
 */
import * as vscode from 'vscode';
import { CameraError, type CameraErrorAction } from '../camera/errors';
import { openSetting } from './config';

const LABELS: Record<CameraErrorAction, string> = {
  cleanup: 'Run Cleanup',
  showLog: 'Show Log',
  openSettings: 'Open Settings',
  useSimulator: 'Use Simulated Camera',
  retry: 'Try Again',
};

export class ErrorPresenter {
  constructor(private readonly log: vscode.LogOutputChannel) {}

  /** Does not wait for the user's click: commands return (and reject) at once. */
  show(error: CameraError, retry?: () => Thenable<unknown>): void {
    if (error.kind === 'cancelled') {
      this.log.info(error.message);
      return;
    }
    this.log.error(`[${error.kind}] ${error.message}${error.details.stderrTail ? `\n${error.details.stderrTail}` : ''}`);
    const actions = error.actions.filter((a) => a !== 'retry' || retry !== undefined);
    void vscode.window.showErrorMessage(error.message, ...actions.map((a) => LABELS[a])).then((picked) => {
      const action = actions.find((a) => LABELS[a] === picked);
      if (action) void this.run(action, error, retry);
    });
  }

  run(action: CameraErrorAction, error: CameraError, retry?: () => Thenable<unknown>): Thenable<unknown> {
    switch (action) {
      case 'cleanup':
        return vscode.commands.executeCommand('cameraTether.cleanup');
      case 'showLog':
        this.log.show(true);
        return Promise.resolve();
      case 'openSettings':
        return openSetting(error.details.setting);
      case 'useSimulator':
        return vscode.commands.executeCommand('cameraTether.useSimulator');
      case 'retry':
        return retry ? retry() : Promise.resolve();
    }
  }
}
