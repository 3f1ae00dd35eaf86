/**
 * The Camera panel as a newcomer meets it, observed in the real browser page (the code-server
 * runner reads the panel's DOM and the workbench for these tests, see ../workbenchQuery.ts): a
 * capture shown large, fit scaling small pictures up, a frozen live frame that says so, the
 * picture cleared when the camera changes, an error banner that goes when its error is resolved,
 * the camera's model, a footer that never moves the picture, and the bookkeeping files out of the
 * Explorer.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { run, simulatorConfig, until } from '../cameraCommands';
import { screenshotServiceAvailable, takeScreenshot } from '../screenshot';
import { type FoundElement, queryServiceAvailable, queryWorkbench, waitForWorkbench } from '../workbenchQuery';

interface State {
  state: string;
  error?: { kind: string; message: string };
  roll: string;
  folder: string;
  outputFolder: string;
  source: string;
  nextFrame: number;
  camera: { model?: string; detected?: { model?: string; count: number } };
  panel: { open: boolean; displayed?: { path: string; width: number; height: number } };
  statusBar: { text: string; error: boolean; tooltip: string };
}

const getState = () => run<State>('getState');
const config = () => vscode.workspace.getConfiguration('cameraTether');

/** The panel's element with this id (the Camera panel is the only webview page with these ids). */
async function panelElement(id: string): Promise<FoundElement | undefined> {
  return (await queryWorkbench({ selector: `#${id}`, scope: 'webviews' }))[0];
}

/** Waits until the panel's element `id` passes `accept`; returns it. */
function waitForPanel(what: string, id: string, accept: (e: FoundElement) => boolean, timeoutMs = 30_000) {
  return waitForWorkbench(
    what,
    { selector: `#${id}`, scope: 'webviews' },
    (found) => (found[0] && accept(found[0]) ? found[0] : undefined),
    timeoutMs,
  );
}

const fileOf = (e: FoundElement): string => decodeURIComponent(e.attributes.src ?? '').replace(/^.*\//, '');

async function previewShown(): Promise<{ path: string; width: number; height: number }> {
  const p = await run<{ path: string }>('preview');
  return until('the panel to report the preview displayed', async () => {
    const d = (await getState()).panel.displayed;
    return d?.path === p.path ? d : undefined;
  });
}

describe('The Camera panel for a newcomer (observed in the browser)', function () {
  this.timeout(120_000);

  before(async function () {
    if (!queryServiceAvailable()) {
      console.log('    (skipped: reading the page needs the code-server runner, `npm run test:extension`)');
      this.skip();
    }
    simulatorConfig({ captureWidth: 600, captureHeight: 400, previewWidth: 160, previewHeight: 106 });
    await vscode.extensions.getExtension('camera-tether.camera-tether')?.activate();
    await run('newRoll', 'newcomer-roll');
    await run('openPanel');
  });
  after(async () => {
    simulatorConfig({});
    for (const key of ['panel.showCaptures', 'panel.reviewSeconds', 'source'])
      await config().update(key, undefined, vscode.ConfigurationTarget.Workspace);
    await config().update('source', 'simulator', vscode.ConfigurationTarget.Workspace);
    await config().update('gphoto2Path', undefined, vscode.ConfigurationTarget.Global);
  });

  it('fit scales a small preview up to the picture area; 100 % shows it at its real pixel size', async () => {
    const shown = await previewShown();
    assert.deepStrictEqual([shown.width, shown.height], [160, 106]);
    // The picture area may still change size (the exposure bar fills once the camera's settings are
    // read): stage and picture are read together, until the picture fits the area as it is then.
    let last = '';
    const { fit } = await until(
      'the preview laid out to fit the picture area',
      async () => {
        const [stage, picture] = [await panelElement('stage'), await panelElement('preview')];
        if (!stage || !picture?.visible || picture.box.width === 0) return undefined;
        const scale = Math.min(stage.box.width / 160, stage.box.height / 106);
        last = `picture ${picture.box.width}x${picture.box.height}, area ${stage.box.width}x${stage.box.height}, expected about ${160 * scale}x${106 * scale}`;
        assert.ok(scale > 1.5, `the picture area is much larger than the preview (${last})`);
        const fits = Math.abs(picture.box.width - 160 * scale) <= 2 && Math.abs(picture.box.height - 106 * scale) <= 2;
        return fits ? { fit: picture } : undefined;
      },
      30_000,
    ).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}: fit does not fill the area (${last})`);
    });
    await queryWorkbench({ selector: '#btn-zoom', scope: 'webviews', click: true });
    const actual = await waitForPanel('100 %', 'preview', (e) => Math.abs(e.box.width - fit.box.width) > 2);
    assert.strictEqual(actual.box.width * actual.devicePixelRatio, 160, 'one image pixel per device pixel');
    assert.strictEqual(actual.box.height * actual.devicePixelRatio, 106);
    await queryWorkbench({ selector: '#btn-zoom', scope: 'webviews', click: true });
    await waitForPanel('fit again', 'preview', (e) => Math.abs(e.box.width - fit.box.width) <= 2);
  });

  it('a capture is shown large at once, with its frame number and file name', async () => {
    await previewShown();
    const c = await run<{ frame: number; files: string[] }>('capture');
    const displayed = await until('the panel to report the capture displayed', async () => {
      const d = (await getState()).panel.displayed;
      return d?.path === c.files[0] ? d : undefined;
    });
    assert.deepStrictEqual([displayed.width, displayed.height], [600, 400], 'the capture itself, not its thumbnail');
    const picture = await waitForPanel('the capture in the picture area', 'preview', (e) => e.visible);
    assert.strictEqual(fileOf(picture), path.basename(c.files[0]));
    assert.ok(picture.box.width > 300, `shown large (${picture.box.width} px wide)`);
    const caption = await panelElement('caption');
    assert.ok(caption?.visible);
    assert.strictEqual(caption.text, `Frame ${c.frame} · ${path.basename(c.files[0])}`);
    if (screenshotServiceAvailable()) {
      // The README's picture (the whole window) and the walkthrough's (the panel alone).
      await takeScreenshot('panel-capture');
      const editor = (await queryWorkbench({ selector: '.part.editor', scope: 'workbench' }))[0];
      if (editor) await takeScreenshot('panel-capture-only', { clip: editor.box, jpegQuality: 80 });
    }
  });

  it('with cameraTether.panel.showCaptures off, a capture only updates the thumbnail; clicking it shows it large', async () => {
    await config().update('panel.showCaptures', false, vscode.ConfigurationTarget.Workspace);
    try {
      const p = await previewShown();
      const c = await run<{ frame: number; files: string[] }>('capture');
      await waitForPanel('the thumbnail to name the capture', 'last-name', (e) => e.text.includes(`Frame ${c.frame}:`));
      const picture = await panelElement('preview');
      assert.ok(picture?.visible);
      assert.strictEqual(fileOf(picture), path.basename(p.path), 'the preview stays');
      assert.strictEqual((await panelElement('caption'))?.text.startsWith('Preview'), true);
      await queryWorkbench({ selector: '#last', scope: 'webviews', click: true });
      await waitForPanel(
        'the clicked capture in the picture area',
        'preview',
        (e) => fileOf(e) === path.basename(c.files[0]),
      );
    } finally {
      await config().update('panel.showCaptures', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  it('a capture during live view is shown, then live view takes over again by itself', async () => {
    simulatorConfig({
      captureWidth: 600,
      captureHeight: 400,
      liveViewFps: 15,
      liveViewWidth: 320,
      liveViewHeight: 212,
    });
    await config().update('panel.reviewSeconds', 1, vscode.ConfigurationTarget.Workspace);
    try {
      await run('startLiveView');
      await waitForPanel(
        'live frames on the canvas',
        'live-frame',
        (e) => e.visible && (e.natural?.width ?? 0) === 320,
        30_000,
      );
      const c = await run<{ frame: number; files: string[] }>('capture');
      await until(
        'the capture displayed',
        async () => ((await getState()).panel.displayed?.path === c.files[0] ? true : undefined),
        30_000,
      );
      await waitForPanel('live view back in the picture area', 'live-frame', (e) => e.visible, 30_000);
      assert.strictEqual((await panelElement('preview'))?.visible, false);
      assert.strictEqual((await panelElement('caption'))?.visible, false, 'a running live view needs no caption');
    } finally {
      await config().update('panel.reviewSeconds', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  it('after live view stops, its last frame says that it is frozen', async () => {
    if (!(await getState()).panel.open) await run('openPanel');
    await run('startLiveView');
    await waitForPanel('a live frame', 'live-frame', (e) => e.visible);
    await run('stopLiveView');
    const caption = await waitForPanel('the frozen caption', 'caption', (e) => e.visible);
    assert.match(caption.text, /^Live view stopped · last frame /);
    assert.strictEqual((await panelElement('live-frame'))?.visible, true, 'the last frame stays in view');
    simulatorConfig({ captureWidth: 600, captureHeight: 400, previewWidth: 160, previewHeight: 106 });
  });

  it("switching to the real camera clears the simulator's picture, and switching back clears again", async () => {
    await previewShown();
    await run('useRealCamera');
    const placeholder = await waitForPanel('the placeholder', 'placeholder', (e) => e.visible);
    assert.match(placeholder.text, /^Switched to /);
    assert.strictEqual((await panelElement('frame'))?.visible, false, 'no picture from the simulator');
    assert.strictEqual((await getState()).panel.displayed, undefined);
    await run('useSimulator');
    await waitForPanel('the placeholder after switching back', 'placeholder', (e) =>
      e.text.startsWith('Switched to the simulated camera'),
    );
  });

  it('an error banner, "Failed" and the red status bar go once "Use Simulated Camera" resolved it; no notification repeats the banner', async () => {
    const workspace = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '/tmp';
    await config().update(
      'gphoto2Path',
      path.join(path.dirname(workspace), 'no-gphoto2-here'),
      vscode.ConfigurationTarget.Global,
    );
    try {
      await run('useRealCamera');
      // The panel detects the switched-to camera by itself; wait for that to fail first. A capture
      // queued before it would see its error superseded by the running detection, and then rightly
      // be notified: the banner shows only the camera's current error.
      await until('the switched-to camera detected (and gphoto2 not found)', async () => {
        const s = await getState();
        return s.source === 'gphoto2' && s.state === 'error' && s.error?.kind === 'gphoto2Missing' ? true : undefined;
      });
      let message = '';
      await assert.rejects(run('capture'), (e: { kind?: string; message?: string }) => {
        message = e.message ?? '';
        return e.kind === 'gphoto2Missing';
      });
      const banner = await waitForPanel('the error banner', 'error', (e) => e.visible);
      assert.ok(banner.text.includes(message), `the banner says "${message}"`);
      assert.strictEqual((await panelElement('status'))?.text, 'Failed (see message above)');
      assert.strictEqual((await getState()).statusBar.error, true);
      const toasts = await queryWorkbench({ selector: '.notification-toast', scope: 'workbench' });
      assert.deepStrictEqual(
        toasts.filter((t) => t.visible && t.text.includes('gphoto2 was not found')).map((t) => t.text),
        [],
        'the banner shows the error; a notification could not be taken back once it is resolved',
      );
      await queryWorkbench({
        selector: '#error-actions button[data-action="useSimulator"]',
        scope: 'webviews',
        click: true,
      });
      await waitForPanel('the banner to go', 'error', (e) => !e.visible);
      await waitForPanel('the status to leave "Failed"', 'status', (e) => e.text === 'Idle');
      // The switched-to camera is detected and its settings read for the exposure bar: idle after that.
      const s = await until('the session idle on the simulator', async () => {
        const now = await getState();
        return now.state === 'idle' ? now : undefined;
      });
      assert.strictEqual(s.source, 'simulator');
      assert.strictEqual(s.statusBar.error, false);
    } finally {
      await config().update('gphoto2Path', undefined, vscode.ConfigurationTarget.Global);
      await config().update('source', 'simulator', vscode.ConfigurationTarget.Workspace);
    }
  });

  it('an error banner goes with the next job that succeeds', async () => {
    simulatorConfig({ captureWidth: 600, captureHeight: 400, previewWidth: 160, previewHeight: 106, noCamera: true });
    try {
      await assert.rejects(run('preview'), (e: { kind?: string }) => e.kind === 'notFound');
      await waitForPanel('the error banner', 'error', (e) => e.visible);
      assert.strictEqual((await getState()).statusBar.error, true);
    } finally {
      simulatorConfig({ captureWidth: 600, captureHeight: 400, previewWidth: 160, previewHeight: 106 });
    }
    await previewShown();
    await waitForPanel('the banner to go', 'error', (e) => !e.visible);
    assert.strictEqual((await panelElement('status'))?.text, 'Idle');
    assert.strictEqual((await getState()).statusBar.error, false);
  });

  it("the panel and the status bar name the camera's detected model, with roll, next frame and connection state", async () => {
    simulatorConfig({
      captureWidth: 600,
      captureHeight: 400,
      previewWidth: 160,
      previewHeight: 106,
      model: 'Nikon DSC D750',
    });
    try {
      await run('detectCamera', { interactive: false });
      const camera = await waitForPanel('the model in the footer', 'camera', (e) =>
        e.text.startsWith('Nikon DSC D750'),
      );
      assert.strictEqual(camera.text, 'Nikon DSC D750 on usb:001,004');
      const s = await getState();
      const tip = s.statusBar.tooltip.replace(/\\(.)/g, '$1');
      assert.match(tip, /Camera: Nikon DSC D750 on usb:001,004 \(simulated\)/);
      assert.match(tip, new RegExp(`Roll: ${s.roll} `));
      assert.match(tip, new RegExp(`Next frame: ${s.nextFrame}`));
      assert.match(tip, /Connection: ready \(camera detected\)/);
    } finally {
      simulatorConfig({ captureWidth: 600, captureHeight: 400, previewWidth: 160, previewHeight: 106 });
      await run('detectCamera', { interactive: false });
    }
  });

  it('a long roll name neither wraps the footer nor moves the picture', async () => {
    await previewShown();
    const footer = async () => (await queryWorkbench({ selector: 'footer.info', scope: 'webviews' }))[0];
    const before = { footer: await footer(), picture: await panelElement('preview') };
    const name = `scans-${'very-long-roll-name-'.repeat(5)}end`;
    await run('newRoll', name);
    try {
      await waitForPanel('the new roll in the footer', 'roll', (e) => e.text === name);
      const after = { footer: await footer(), picture: await panelElement('preview') };
      assert.ok(before.footer && after.footer && before.picture && after.picture);
      assert.strictEqual(after.footer.box.height, before.footer.box.height, 'the footer keeps its height');
      assert.deepStrictEqual(after.picture.box, before.picture.box, 'the picture stays where it was');
    } finally {
      await run('newRoll', 'newcomer-roll');
    }
  });

  it('the bookkeeping files (staging folder, roll counter) are hidden from the Explorer and from search', async () => {
    const s = await getState();
    await run('setFrameNumber', s.nextFrame);
    const counter = path.join(s.folder, '.camera-tether-roll.json');
    assert.ok(fs.existsSync(counter), 'the counter file exists on disk');
    assert.ok(fs.existsSync(path.join(s.outputFolder, '.camera-tether-staging')), 'and the staging folder');
    const exclude = vscode.workspace.getConfiguration('files').get<Record<string, boolean>>('exclude') ?? {};
    assert.strictEqual(exclude['**/.camera-tether-staging'], true);
    assert.strictEqual(exclude['**/.camera-tether-roll.json'], true);
    assert.strictEqual(exclude['**/.git'], true, "VS Code's own defaults are kept");
    assert.deepStrictEqual(await vscode.workspace.findFiles('**/.camera-tether-roll.json'), []);
    const frames = await vscode.workspace.findFiles(`**/${path.basename(s.folder)}/*.JPG`);
    assert.ok(frames.length > 0, 'the frames themselves are found');
    // Revealing a frame opens its roll folder in the Explorer, where the counter file would be listed.
    await vscode.commands.executeCommand('revealInExplorer', frames[0]);
    const rows = await waitForWorkbench(
      'the roll folder open in the Explorer',
      { selector: '.explorer-folders-view .monaco-list-row', scope: 'workbench' },
      (found) => (found.some((r) => /\.JPG$/.test(r.text.trim())) ? found.map((r) => r.text.trim()) : undefined),
    );
    assert.ok(!rows.some((r) => r.startsWith('.camera-tether')), `no bookkeeping files among ${rows.join(', ')}`);
  });
});
