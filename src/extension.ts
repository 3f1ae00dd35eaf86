/** Wires Camera Tether together; the logic lives in src/camera, src/capture, src/session and src/ui. */
import * as vscode from 'vscode';
import { registerCommands } from './ui/commands';
import { ErrorPresenter } from './ui/errorPresenter';
import { PreviewPanel } from './ui/previewPanel';
import { registerRollsView } from './ui/rollsView';
import { StatusBar } from './ui/statusBar';
import { TetherHost } from './ui/tetherHost';
import { registerWalkthrough } from './ui/walkthrough';

let host: TetherHost | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const log = vscode.window.createOutputChannel('Camera Tether', { log: true });
  context.subscriptions.push(log);
  host = await TetherHost.create(context, log);
  const tether = host;
  const presenter = new ErrorPresenter(log, {
    currentError: () => tether.session.currentError()?.error,
    usingSimulator: () => tether.session.snapshot().source === 'simulator',
    shownInPanel: (error): boolean => panel.showsError(error),
  });
  const panel = new PreviewPanel(
    context.extensionUri,
    host.session,
    host.previewDir,
    presenter,
    log,
    context.workspaceState,
  );
  host.onDidReload(() => panel.refreshRoots());
  const statusBar = new StatusBar(host.session);
  context.subscriptions.push(
    host,
    panel,
    statusBar,
    ...registerRollsView(host, presenter),
    ...registerWalkthrough(host, presenter),
    ...registerCommands(host, presenter, {
      openPanel: async () => panel.show(),
      panelInfo: () => {
        const live = panel.pump.stats();
        const sorted = [...live.latenciesMs].sort((a, b) => a - b);
        const at = (q: number) =>
          sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : undefined;
        return {
          open: panel.isOpen,
          displayed: panel.lastDisplayed,
          capture: panel.shownCapture,
          live: {
            encoding: panel.liveFrameEncoding,
            delivered: live.delivered,
            dropped: live.dropped,
            broken: live.broken,
            fps: live.fps,
            latencyMedianMs: at(0.5),
            latencyP95Ms: at(0.95),
          },
        };
      },
      statusBarInfo: () => statusBar.view,
    }),
  );
}

/** VS Code awaits this: the running gphoto2 is stopped and the camera lock released before exit. */
export async function deactivate(): Promise<void> {
  await host?.dispose();
  host = undefined;
}
