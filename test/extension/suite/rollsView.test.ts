/**
 * The Rolls view in the Camera activity bar container, read from the real workbench page (see
 * ../workbenchQuery.ts): rolls newest first with the current one open, a capture appearing at the
 * top of its roll, a frame added outside Camera Tether appearing too (the file watcher), the
 * current roll set from the view, and a frame opening in VS Code's image preview.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { run, simulatorConfig } from '../cameraCommands';
import { screenshotServiceAvailable, takeScreenshot } from '../screenshot';
import { type FoundElement, queryServiceAvailable, queryWorkbench, waitForWorkbench } from '../workbenchQuery';

interface State {
  roll: string;
  folder: string;
  nextFrame: number;
}

const getState = () => run<State>('getState');
const ROWS = '[id="workbench.view.extension.cameraTether"] .monaco-list-row';

/**
 * The view's rows top to bottom, as screen readers get them: "Roll tree-a, 2 frames, current roll"
 * for a roll, "Frame 2, frame-0002.JPG" for a frame.
 */
const rowsOf = (found: FoundElement[]) =>
  found
    .filter((r) => r.visible)
    .sort((a, b) => a.box.y - b.box.y)
    .map((r) => ({ text: r.attributes['aria-label'] ?? '', level: Number(r.attributes['aria-level'] ?? 0) }));

/** Waits until the view's rows (top to bottom) pass `accept`. */
function waitForRows(what: string, accept: (rows: { text: string; level: number }[]) => boolean, timeoutMs = 30_000) {
  return waitForWorkbench(
    what,
    { selector: ROWS, scope: 'workbench' },
    (found) => {
      const rows = rowsOf(found);
      return accept(rows) ? rows : undefined;
    },
    timeoutMs,
  );
}

/** The texts of the rows under the roll `name` (its frames while it is expanded). */
function framesUnder(rows: { text: string; level: number }[], name: string): string[] {
  const at = rows.findIndex((r) => r.level === 1 && r.text.startsWith(`Roll ${name},`));
  if (at < 0) return [];
  const out: string[] = [];
  for (const r of rows.slice(at + 1)) {
    if (r.level <= 1) break;
    out.push(r.text);
  }
  return out;
}

describe('The Rolls view', function () {
  this.timeout(120_000);

  before(async function () {
    if (!queryServiceAvailable()) {
      console.log('    (skipped: reading the view needs the code-server runner, `npm run test:extension`)');
      this.skip();
    }
    simulatorConfig({ captureWidth: 320, captureHeight: 212 });
    await vscode.extensions.getExtension('camera-tether.camera-tether')?.activate();
    await run('newRoll', 'tree-older');
    await run('capture');
    await run('newRoll', 'tree-newer');
    await run('capture');
    await vscode.commands.executeCommand('workbench.view.extension.cameraTether');
  });
  after(() => simulatorConfig({}));

  it('lists the rolls newest first, the current one open with its frames; a capture appears at the top of its roll', async () => {
    const rows = await waitForRows(
      'both rolls, the current one open',
      (r) => framesUnder(r, 'tree-newer').length === 1,
    );
    const rolls = rows.filter((r) => r.level === 1).map((r) => r.text);
    assert.strictEqual(rolls[0], 'Roll tree-newer, 1 frame, current roll', `newest first: ${rolls.join(' | ')}`);
    assert.ok(
      rolls.indexOf('Roll tree-older, 1 frame') > 0,
      `the older roll after the newer one: ${rolls.join(' | ')}`,
    );
    assert.deepStrictEqual(framesUnder(rows, 'tree-newer'), ['Frame 1, frame-0001.JPG']);
    const c = await run<{ frame: number }>('capture');
    assert.strictEqual(c.frame, 2);
    const after = await waitForRows('the new frame in the view', (r) => framesUnder(r, 'tree-newer').length === 2);
    assert.deepStrictEqual(framesUnder(after, 'tree-newer'), ['Frame 2, frame-0002.JPG', 'Frame 1, frame-0001.JPG']);
    assert.strictEqual(after.find((r) => r.level === 1)?.text, 'Roll tree-newer, 2 frames, current roll');
  });

  it("sets the current roll from the roll's inline action; captures then go there", async () => {
    // Select the row (VS Code shows a row's inline actions on hover or selection), then click its action.
    await queryWorkbench({ selector: `${ROWS}[aria-label^="Roll tree-older,"]`, scope: 'workbench', click: true });
    await waitForWorkbench(
      'the inline action to click',
      {
        selector: `${ROWS}[aria-label^="Roll tree-older,"] .action-label[aria-label^="Set Current Roll"]`,
        scope: 'workbench',
        click: true,
      },
      (found) => (found.some((f) => f.visible) ? true : undefined),
    );
    const rows = await waitForRows('tree-older marked current', (r) =>
      r.some((x) => x.text === 'Roll tree-older, 1 frame, current roll'),
    );
    assert.ok(
      rows.some((x) => x.text === 'Roll tree-newer, 2 frames'),
      `only one current roll: ${rows.map((x) => x.text).join(' | ')}`,
    );
    const s = await getState();
    assert.strictEqual(s.roll, 'tree-older');
    assert.strictEqual((await run<{ frame: number; roll: string }>('capture')).roll, 'tree-older');
    await waitForRows('the capture under tree-older', (r) => framesUnder(r, 'tree-older').length === 2);
  });

  it('a frame copied into a roll by another program appears (the file watcher)', async () => {
    const s = await getState();
    fs.copyFileSync(path.join(s.folder, 'frame-0001.JPG'), path.join(s.folder, 'frame-0009.JPG'));
    const rows = await waitForRows('frame 9 under the roll', (r) =>
      framesUnder(r, s.roll).some((t) => t.startsWith('Frame 9,')),
    );
    assert.strictEqual(framesUnder(rows, s.roll)[0], 'Frame 9, frame-0009.JPG', 'the highest number on top');
  });

  it("a frame opens in VS Code's image preview when clicked", async () => {
    const s = await getState();
    await queryWorkbench({ selector: `${ROWS}[aria-label^="Frame 9,"]`, scope: 'workbench', click: true });
    const input = await waitForWorkbench(
      'the image preview of frame 9',
      { selector: 'body', scope: 'workbench' },
      () => {
        const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
        return tab?.input instanceof vscode.TabInputCustom ? tab.input : undefined;
      },
    );
    assert.strictEqual(input.viewType, 'imagePreview.previewEditor');
    assert.strictEqual(input.uri.fsPath, path.join(s.folder, 'frame-0009.JPG'));
    // VS Code's own webview (a new one, through code-server's webview service worker): its first load
    // has taken close to 30 s on a busy machine.
    await waitForWorkbench(
      'the image decoded in the preview',
      { selector: 'img', scope: 'webviews' },
      (found) => (found.some((f) => f.visible && (f.natural?.width ?? 0) === 320) ? true : undefined),
      60_000,
    );
    if (screenshotServiceAvailable()) await takeScreenshot('rolls-view'); // for the README
  });
});
