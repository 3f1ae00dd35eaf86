/**
 * The Rolls view in the Camera activity bar container: the output folder's rolls (newest change
 * first, the current one marked and open) and their frames (highest number first). A frame opens in
 * VS Code's image preview; rolls can be made current, opened, and started from the view's title.
 * It follows captures (session events) and changes made outside (a file watcher on the output
 * folder), and reaches the files only through TetherSession.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import { toCameraError } from '../camera/errors';
import { isJpegName } from '../camera/downloadedFiles';
import type { FrameEntry, RollSummary } from '../capture/rollListing';
import type { SessionSnapshot, TetherSession } from '../session/tetherSession';
import type { ErrorPresenter } from './errorPresenter';
import type { TetherHost } from './tetherHost';

export const ROLLS_VIEW = 'cameraTether.rolls';

export type RollsNode = { kind: 'roll'; roll: RollSummary } | { kind: 'frame'; roll: string; frame: FrameEntry };

/** Files VS Code's image preview can show; others (RAW) open as VS Code decides. */
const PREVIEWABLE = /\.(jpe?g|png|gif|webp|bmp|svg|ico)$/i;
/** Many file events in a row (a capture moves files, a copy adds hundreds) make one refresh. */
const REFRESH_DELAY_MS = 150;

export class RollsTree implements vscode.TreeDataProvider<RollsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<RollsNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [];
  private watcher: vscode.FileSystemWatcher | undefined;
  private watchedFolder: string | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  /** What the tree shows of the session: a refresh only when one of these changed. */
  private shownKey = '';

  constructor(private readonly session: TetherSession) {
    const onChanged = (s: SessionSnapshot): void => {
      const key = JSON.stringify([s.outputFolder, s.roll, s.captured, s.nextFrame]);
      if (key === this.shownKey) return;
      this.shownKey = key;
      this.watch(s.outputFolder);
      this.scheduleRefresh();
    };
    const onFrame = (): void => this.scheduleRefresh();
    session.on('changed', onChanged);
    session.on('frameCaptured', onFrame);
    this.disposables.push(
      { dispose: () => session.off('changed', onChanged) },
      { dispose: () => session.off('frameCaptured', onFrame) },
    );
    const s = session.snapshot();
    this.shownKey = JSON.stringify([s.outputFolder, s.roll, s.captured, s.nextFrame]);
    this.watch(s.outputFolder);
  }

  /** Refreshes now (the Refresh button, and tests). */
  refresh(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
    this.changed.fire(undefined);
  }

  private scheduleRefresh(): void {
    this.refreshTimer ??= setTimeout(() => this.refresh(), REFRESH_DELAY_MS);
  }

  /** Files added, renamed or removed outside Camera Tether (a file manager, a script, another window). */
  private watch(folder: string): void {
    if (folder === this.watchedFolder) return;
    this.watcher?.dispose();
    this.watchedFolder = folder;
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(folder), '**'));
    const onEvent = (uri: vscode.Uri): void => {
      const rel = path.relative(folder, uri.fsPath);
      // Staging churns on every download and holds no frames (nor do the other dot files).
      if (rel === '' || rel.split(path.sep).some((part) => part.startsWith('.'))) return;
      this.scheduleRefresh();
    };
    watcher.onDidCreate(onEvent);
    watcher.onDidDelete(onEvent);
    watcher.onDidChange(onEvent);
    this.watcher = watcher;
  }

  getTreeItem(node: RollsNode): vscode.TreeItem {
    return node.kind === 'roll' ? rollItem(node.roll) : frameItem(node.roll, node.frame);
  }

  async getChildren(node?: RollsNode): Promise<RollsNode[]> {
    if (!node) {
      const rolls = await this.session.listRolls();
      return rolls.map((roll) => ({ kind: 'roll', roll }));
    }
    if (node.kind === 'frame') return [];
    const frames = await this.session.listRollFrames(node.roll.name);
    return frames.map((frame) => ({ kind: 'frame', roll: node.roll.name, frame }));
  }

  dispose(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.watcher?.dispose();
    this.changed.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

function rollItem(roll: RollSummary): vscode.TreeItem {
  const item = new vscode.TreeItem(
    roll.name,
    roll.current ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed,
  );
  // The current roll gets an id of its own: VS Code applies "expanded" only to an id it has not seen,
  // so the roll that just became current opens even if the user had closed it before.
  item.id = `roll:${roll.name}${roll.current ? ':current' : ''}`;
  const frames = `${roll.frames} frame${roll.frames === 1 ? '' : 's'}`;
  item.description = roll.current ? `current · ${frames}` : frames;
  item.iconPath = new vscode.ThemeIcon(roll.current ? 'record' : 'folder');
  item.contextValue = roll.current ? 'cameraTether.roll.current' : 'cameraTether.roll';
  const tip = new vscode.MarkdownString();
  tip.appendText(
    `${roll.name}${roll.current ? ' (current roll: captures go here)' : ''}\n\n${frames} in ${roll.folder}`,
  );
  if (roll.changedMs > 0) tip.appendText(`\n\nLast change ${new Date(roll.changedMs).toLocaleString()}`);
  item.tooltip = tip;
  item.accessibilityInformation = { label: `Roll ${roll.name}, ${frames}${roll.current ? ', current roll' : ''}` };
  return item;
}

function frameItem(roll: string, frame: FrameEntry): vscode.TreeItem {
  const main = mainFile(frame);
  const suffix = frame.stem.match(/_(\d+)$/)?.[1];
  const item = new vscode.TreeItem(
    `Frame ${frame.frame}${suffix ? ` (take ${suffix})` : ''}`,
    vscode.TreeItemCollapsibleState.None,
  );
  item.id = `frame:${roll}/${frame.stem}`;
  item.description = frame.files.map((f) => f.name).join(', ');
  item.resourceUri = vscode.Uri.file(main.path);
  item.contextValue = 'cameraTether.frame';
  item.command = {
    command: 'cameraTether.openFrame',
    title: 'Open Frame',
    arguments: [{ kind: 'frame', roll, frame }],
  };
  const tip = new vscode.MarkdownString();
  tip.appendText(
    `${frame.files.map((f) => `${f.name} (${formatBytes(f.bytes)})`).join('\n')}\n\n${new Date(frame.modifiedMs).toLocaleString()}`,
  );
  item.tooltip = tip;
  item.accessibilityInformation = { label: `${String(item.label)}, ${item.description}` };
  return item;
}

/** The file a frame opens as: its JPEG, else another picture VS Code can show, else the first. */
function mainFile(frame: FrameEntry): { path: string; name: string } {
  return (
    frame.files.find((f) => isJpegName(f.name)) ?? frame.files.find((f) => PREVIEWABLE.test(f.name)) ?? frame.files[0]
  );
}

function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : `${Math.max(1, Math.round(n / 1024))} KB`;
}

function isRollNode(value: unknown): value is Extract<RollsNode, { kind: 'roll' }> {
  return typeof value === 'object' && value !== null && (value as RollsNode).kind === 'roll';
}

function isFrameNode(value: unknown): value is Extract<RollsNode, { kind: 'frame' }> {
  return typeof value === 'object' && value !== null && (value as RollsNode).kind === 'frame';
}

/** Shows a folder or file where the user can see it: the Explorer inside the workspace, else the OS. */
async function reveal(target: string, kind: 'file' | 'folder'): Promise<void> {
  const uri = vscode.Uri.file(target);
  if (vscode.workspace.getWorkspaceFolder(uri)) await vscode.commands.executeCommand('revealInExplorer', uri);
  else if (vscode.env.remoteName)
    // The OS file manager is on the other machine; a VS Code window of its own can show the folder.
    await vscode.commands.executeCommand(
      'vscode.openFolder',
      vscode.Uri.file(kind === 'file' ? path.dirname(target) : target),
      { forceNewWindow: true },
    );
  else await vscode.commands.executeCommand('revealFileInOS', uri);
}

/** The view and its commands (those that take a roll accept a tree node, a name, or nothing). */
export function registerRollsView(host: TetherHost, presenter: ErrorPresenter): vscode.Disposable[] {
  const session = host.session;
  const tree = new RollsTree(session);
  const view = vscode.window.createTreeView(ROLLS_VIEW, { treeDataProvider: tree, showCollapseAll: true });

  const guarded =
    <A extends unknown[], R>(what: string, fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await fn(...args);
      } catch (err) {
        const error = toCameraError(err, what);
        presenter.show(error);
        throw error;
      }
    };

  const rollNameOf = async (arg: unknown): Promise<string | undefined> => {
    if (isRollNode(arg)) return arg.roll.name;
    if (typeof arg === 'string') return arg;
    if (typeof arg === 'object' && arg !== null && typeof (arg as { name?: unknown }).name === 'string')
      return (arg as { name: string }).name;
    const rolls = await session.listRolls();
    const picked = await vscode.window.showQuickPick(
      rolls.map((r) => ({
        label: r.name,
        description: `${r.frames} frame${r.frames === 1 ? '' : 's'}${r.current ? ' · current' : ''}`,
      })),
      { title: 'Which roll should captures go to?', placeHolder: 'Rolls in the output folder, newest first' },
    );
    return picked?.label;
  };

  return [
    tree,
    view,
    vscode.commands.registerCommand('cameraTether.refreshRolls', () => tree.refresh()),
    vscode.commands.registerCommand(
      'cameraTether.setCurrentRoll',
      guarded('Set current roll', async (arg?: unknown) => {
        const name = await rollNameOf(arg);
        if (name === undefined) return undefined;
        const info = await session.newRoll(name);
        await host.rememberRoll(info.roll);
        tree.refresh();
        return { roll: info.roll, folder: info.folder, nextFrame: info.nextFrame };
      }),
    ),
    vscode.commands.registerCommand(
      'cameraTether.openRollFolder',
      guarded('Open roll folder', async (arg?: unknown) => {
        const folder = isRollNode(arg) ? arg.roll.folder : session.snapshot().folder;
        await vscode.workspace.fs.createDirectory(vscode.Uri.file(folder));
        await reveal(folder, 'folder');
        return { folder };
      }),
    ),
    vscode.commands.registerCommand(
      'cameraTether.openFrame',
      guarded('Open frame', async (arg?: unknown) => {
        if (!isFrameNode(arg)) throw new Error('Open Frame takes a frame of the Rolls view.');
        const file = mainFile(arg.frame).path;
        const uri = vscode.Uri.file(file);
        if (PREVIEWABLE.test(file))
          await vscode.commands.executeCommand('vscode.openWith', uri, 'imagePreview.previewEditor');
        else await vscode.commands.executeCommand('vscode.open', uri);
        return { path: file };
      }),
    ),
    vscode.commands.registerCommand(
      'cameraTether.revealFrame',
      guarded('Reveal frame', async (arg?: unknown) => {
        if (!isFrameNode(arg)) throw new Error('Reveal Frame takes a frame of the Rolls view.');
        const file = mainFile(arg.frame).path;
        await reveal(file, 'file');
        return { path: file };
      }),
    ),
  ];
}
