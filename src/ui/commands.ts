/**
 * One handler per command. Each accepts optional arguments (for keybindings, tasks and other
 * extensions) instead of prompts, returns a plain JSON-able result, and on failure both shows the
 * error with its fixing actions and rejects, so a caller can tell. The handlers live by group:
 * cameraCommands.ts, rollCommands.ts, reviewCommands.ts, settingsCommands.ts.
 */
import * as vscode from 'vscode';
import { SECTION } from '../config/settings';
import { cameraCommands } from './cameraCommands';
import { commandGuard, type Handler } from './commandGuard';
import type { ErrorPresenter } from './errorPresenter';
import { reviewCommands } from './reviewCommands';
import { rollCommands } from './rollCommands';
import { settingsCommands } from './settingsCommands';
import type { TetherHost } from './tetherHost';

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
  const guarded = commandGuard(host, presenter);

  const commands: Record<string, Handler> = {
    openPanel: async () => hooks.openPanel(),
    ...cameraCommands(host, guarded, hooks),
    ...rollCommands(host, guarded),

    getState: async () => {
      const s = session.snapshot();
      return { ...s, camera: { ...s.camera }, panel: hooks.panelInfo(), statusBar: hooks.statusBarInfo() };
    },

    showLog: async () => host.log.show(true),

    useSimulator: guarded('Use simulated camera', async () => setSource('simulator')),
    useRealCamera: guarded('Use real camera', async () => setSource('gphoto2')),
    // Roll details, frame notes, reshoot / reject / restore.
    ...reviewCommands(session, guarded),
    ...settingsCommands(session, guarded),
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
