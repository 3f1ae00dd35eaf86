/** The VS Code side of the settings: reads `cameraTether.*` and hands it to the pure validator. */
import * as vscode from 'vscode';
import { parseSettings, SECTION, SettingError, type TetherSettings } from '../config/settings';
import { CameraError } from '../camera/errors';

export function readSettings(): TetherSettings {
  const config = vscode.workspace.getConfiguration(SECTION);
  try {
    return parseSettings((key) => config.get(key), {
      workspaceFolder: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
    });
  } catch (err) {
    if (err instanceof SettingError)
      throw new CameraError('badSetting', err.message, { setting: err.setting }, ['openSettings']);
    throw err;
  }
}

export function openSetting(setting?: string): Thenable<unknown> {
  return vscode.commands.executeCommand('workbench.action.openSettings', setting ?? SECTION);
}

export function affectsTether(e: vscode.ConfigurationChangeEvent): boolean {
  return e.affectsConfiguration(SECTION);
}
