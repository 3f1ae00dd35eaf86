/**
 * The panel's exposure bar, what its controls and buttons ask for: changes go through the same
 * commands as the palette, so errors are reported in one place.
 */
import * as vscode from 'vscode';
import type { TetherSession } from '../session/tetherSession';
import type { ExposureAction, WebviewMessage } from './panelProtocol';

const ACTION_COMMANDS: Readonly<Record<ExposureAction, string>> = {
  read: 'cameraTether.getCameraSettings',
  lock: 'cameraTether.lockExposure',
  unlock: 'cameraTether.unlockExposure',
  all: 'cameraTether.cameraSettings',
};

/** Runs what the bar asked for; the commands report their own errors. */
export async function runExposureMessage(
  message: Extract<WebviewMessage, { type: 'setSetting' | 'exposureAction' }>,
  session: TetherSession,
): Promise<void> {
  if (message.type === 'exposureAction') {
    await vscode.commands.executeCommand(ACTION_COMMANDS[message.action]).then(undefined, () => undefined);
    return;
  }
  const write =
    message.index !== undefined
      ? { name: message.path, index: message.index }
      : { name: message.path, value: message.value };
  const ok = await vscode.commands.executeCommand('cameraTether.setCameraSetting', write).then(
    () => true,
    () => false,
  );
  // A refused value: show what the camera has now, not what the control was turned to.
  if (!ok && session.lastCameraSettings === undefined)
    await vscode.commands.executeCommand(ACTION_COMMANDS.read).then(undefined, () => undefined);
}
