/** The roll's commands: a new roll, the next frame number, the output folder. */
import * as vscode from 'vscode';
import { CameraError } from '../camera/errors';
import { MAX_FRAME } from '../capture/fileNaming';
import { isObject, type Guard, type Handler } from './commandGuard';
import { validationMessage } from './inputValidation';
import type { TetherHost } from './tetherHost';

export function rollCommands(host: TetherHost, guarded: Guard): Record<string, Handler> {
  const session = host.session;
  return {
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
  };
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
