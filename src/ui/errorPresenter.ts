/**
 * Shows a CameraError as a notification whose buttons fix the problem (Run Cleanup, Show Log, Open
 * Settings, Use Simulated Camera, Try Again, Take Over…), and logs it; while the Camera panel is in
 * view its banner shows the error instead (it goes away with the error; a notification cannot be
 * closed by an extension). The panel's error banner runs its actions through here too.
 */
import * as vscode from 'vscode';
import { CameraError, type CameraErrorAction } from '../camera/errors';
import { openSetting } from './config';
import { ERROR_ACTION_LABELS } from './panelProtocol';

const LABELS: Readonly<Record<CameraErrorAction, string>> = ERROR_ACTION_LABELS;

/** What the presenter needs to know about the camera right now. */
export interface ErrorContext {
  /** The error the camera manager is in, if it is in one. */
  currentError(): CameraError | undefined;
  usingSimulator(): boolean;
  /**
   * The Camera panel is in view and its banner shows this error (with the same buttons). Then no
   * notification: VS Code offers no way to close one, so it would stay after the error is resolved.
   */
  shownInPanel?(error: CameraError): boolean;
}

export class ErrorPresenter {
  constructor(
    private readonly log: vscode.LogOutputChannel,
    private readonly context: ErrorContext,
  ) {}

  /** The actions worth offering for this error now (no "Use Simulated Camera" while simulated). */
  actionsFor(error: CameraError, canRetry: boolean): CameraErrorAction[] {
    return error.actions.filter(
      (a) => (a !== 'retry' || canRetry) && (a !== 'useSimulator' || !this.context.usingSimulator()),
    );
  }

  /** Does not wait for the user's click: commands return (and reject) at once. */
  show(error: CameraError, retry?: () => Thenable<unknown>): void {
    if (error.kind === 'cancelled') {
      this.log.info(error.message);
      return;
    }
    this.log.error(
      `[${error.kind}] ${error.message}${error.details.stderrTail ? `\n${error.details.stderrTail}` : ''}`,
    );
    if (this.context.shownInPanel?.(error)) return;
    const actions = this.actionsFor(error, retry !== undefined);
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
        if (!retry) return Promise.resolve();
        // A notification outlives its error: once the camera has done anything since, "Try Again"
        // must not fire it again unasked (the user may already have re-shot that frame).
        if (this.context.currentError() !== error) {
          this.log.info(`Not retried: the camera has been used since "${error.message}".`);
          return vscode.window.showInformationMessage('Nothing retried: the camera has been used since that error.');
        }
        return retry();
      case 'takeOver':
        // The command asks for a modal confirmation, takes the lock and logs it; the job that met the
        // lock then runs again (the user just chose to have this window use the camera).
        return vscode.commands.executeCommand<{ cameraFree?: boolean } | undefined>('cameraTether.takeOverCamera').then(
          (r) => (r?.cameraFree && retry ? retry() : undefined),
          () => undefined, // the command has shown its own error
        );
    }
  }
}
