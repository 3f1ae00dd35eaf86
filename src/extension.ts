/** Wires Camera Tether together; the logic lives in src/camera, src/capture, src/session and src/ui. */
import * as vscode from 'vscode';
import { registerCommands } from './ui/commands';
import { ErrorPresenter } from './ui/errorPresenter';
import { StatusBar } from './ui/statusBar';
import { TetherHost } from './ui/tetherHost';

let host: TetherHost | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const log = vscode.window.createOutputChannel('Camera Tether', { log: true });
  context.subscriptions.push(log);
  host = await TetherHost.create(context, log);
  const presenter = new ErrorPresenter(log);
  context.subscriptions.push(
    host,
    new StatusBar(host.session),
    ...registerCommands(host, presenter, {
      openPanel: async () => log.show(true),
    }),
  );
}

/** VS Code awaits this: the running gphoto2 is stopped and the camera lock released before exit. */
export async function deactivate(): Promise<void> {
  await host?.dispose();
  host = undefined;
}
