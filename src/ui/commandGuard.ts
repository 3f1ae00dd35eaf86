/**
 * What every command handler shares: the error guard (shows the error with its fixing actions and
 * rejects, so a calling script can tell) and the small argument helpers.
 */
import * as vscode from 'vscode';
import { CameraError, toCameraError } from '../camera/errors';
import { NamingError } from '../capture/fileNaming';
import type { ErrorPresenter } from './errorPresenter';
import type { TetherHost } from './tetherHost';

export type Handler = (...args: unknown[]) => Promise<unknown>;
/** `retryWith`: true retries the command itself, a command name retries that one instead. */
export type Guard = (name: string, handler: Handler, retryWith?: boolean | string) => Handler;

export function commandGuard(host: TetherHost, presenter: ErrorPresenter): Guard {
  return (name, handler, retryWith = false) => {
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
}

export function abortOn(token: vscode.CancellationToken): AbortSignal {
  const controller = new AbortController();
  token.onCancellationRequested(() => controller.abort());
  return controller.signal;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** "Start live view" -> "startLiveView". */
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
