import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { screenshotServiceAvailable, takeScreenshot } from '../screenshot';
import { run, simulatorConfig, until } from '../cameraCommands';

interface State {
  state: string;
  roll: string;
  folder: string;
  nextFrame: number;
  captured: number;
  source: string;
  camera: { model?: string; simulated: boolean };
  panel: { open: boolean; displayed?: { path: string; width: number; height: number } };
  statusBar: { text: string; error: boolean };
}

const getState = () => run<State>('getState');

const rollFiles = (folder: string) =>
  fs
    .readdirSync(folder)
    .filter((n) => !n.startsWith('.'))
    .sort();

describe('Commands with the simulated camera', function () {
  this.timeout(120_000);

  before(async () => {
    simulatorConfig({ captureWidth: 600, captureHeight: 400 });
    await vscode.extensions.getExtension('camera-tether.camera-tether')?.activate();
    await run('newRoll', 'ext-roll-a');
  });
  after(() => simulatorConfig({}));

  it('getState reports the simulated camera and a fresh roll', async () => {
    const s = await getState();
    assert.strictEqual(s.source, 'simulator');
    assert.strictEqual(s.camera.simulated, true);
    assert.strictEqual(s.roll, 'ext-roll-a');
    assert.strictEqual(s.nextFrame, 1);
    assert.match(s.statusBar.text, /Frame 1 \(simulated\)/);
  });

  it('capture x5 fired at once gives frames 1..5 and five distinct files; the status bar follows', async () => {
    const results = await Promise.all(
      Array.from({ length: 5 }, () => run<{ frame: number; files: string[]; roll: string }>('capture')),
    );
    assert.deepStrictEqual(
      results.map((r) => r.frame),
      [1, 2, 3, 4, 5],
    );
    const s = await getState();
    assert.deepStrictEqual(rollFiles(s.folder), [
      'frame-0001.JPG',
      'frame-0002.JPG',
      'frame-0003.JPG',
      'frame-0004.JPG',
      'frame-0005.JPG',
    ]);
    const hashes = new Set(results.map((r) => fs.readFileSync(r.files[0]).toString('base64')));
    assert.strictEqual(hashes.size, 5, 'five different images');
    assert.strictEqual(s.nextFrame, 6);
    assert.match(s.statusBar.text, /Frame 6/);
  });

  it('test capture leaves the counter and the roll folder unchanged', async () => {
    const before = await getState();
    const listing = rollFiles(before.folder);
    const r = await run<{ files: string[] }>('testCapture');
    assert.strictEqual(r.files.length, 1);
    assert.ok(fs.existsSync(r.files[0]));
    assert.ok(!r.files[0].startsWith(before.folder + path.sep), 'not inside the roll');
    const after = await getState();
    assert.strictEqual(after.nextFrame, before.nextFrame);
    assert.deepStrictEqual(rollFiles(after.folder), listing);
  });

  it('setFrameNumber then capture over an existing number never overwrites', async () => {
    const s = await getState();
    const original = fs.readFileSync(path.join(s.folder, 'frame-0002.JPG'));
    assert.deepStrictEqual(await run('setFrameNumber', 2), { nextFrame: 2 });
    const r = await run<{ frame: number; files: string[] }>('capture');
    assert.strictEqual(r.frame, 2);
    assert.strictEqual(path.basename(r.files[0]), 'frame-0002_2.JPG');
    assert.ok(fs.readFileSync(path.join(s.folder, 'frame-0002.JPG')).equals(original), 'frame-0002.JPG kept its bytes');
    assert.strictEqual((await getState()).nextFrame, 3);
  });

  it('newRoll starts a new folder at frame 1', async () => {
    const r = await run<{ roll: string; folder: string; nextFrame: number }>('newRoll', { name: 'ext-roll-b' });
    assert.strictEqual(r.roll, 'ext-roll-b');
    assert.strictEqual(r.nextFrame, 1);
    assert.ok(fs.existsSync(r.folder));
    assert.strictEqual((await run<{ frame: number }>('capture')).frame, 1);
  });

  it('a roll name that would leave the output folder is rejected with a clear error', async () => {
    await assert.rejects(run('newRoll', '../outside'), /contains/);
    assert.strictEqual((await getState()).roll, 'ext-roll-b');
  });

  it('preview goes into the panel, which reports it displayed; screenshot of the workbench', async () => {
    await run('openPanel');
    const p = await run<{ path: string; bytes: number; durationMs: number }>('preview');
    assert.ok(p.bytes > 0);
    const shown = await until('the panel to report the preview displayed', async () => {
      const s = await getState();
      return s.panel.displayed?.path === p.path ? s.panel.displayed : undefined;
    });
    assert.ok(shown.width > 0 && shown.height > 0, `displayed at ${shown.width}x${shown.height}`);
    if (screenshotServiceAvailable()) {
      const png = await takeScreenshot('panel-after-preview');
      assert.ok(fs.statSync(png).size > 10_000, 'a real screenshot');
    }
  });

  it('cleanup reports what it looked for', async () => {
    const report = await run<{ found: unknown[]; names: string[] }>('cleanup');
    assert.ok(report.names.includes('gphoto2-sim'));
    assert.deepStrictEqual(report.found, []);
  });

  it('no camera: capture rejects with a typed error, the counter stays, the status bar shows the error', async () => {
    simulatorConfig({ noCamera: true });
    const before = await getState();
    await assert.rejects(run('capture'), (e: unknown) => {
      const err = e as { kind?: string; message?: string };
      assert.strictEqual(err.kind, 'notFound', String(err.message));
      return true;
    });
    const after = await getState();
    assert.strictEqual(after.nextFrame, before.nextFrame);
    assert.strictEqual(after.state, 'error');
    assert.strictEqual(after.statusBar.error, true);
    simulatorConfig({});
    assert.strictEqual(
      (await run<{ frame: number }>('capture')).frame,
      before.nextFrame,
      'works again once the camera is back',
    );
  });
});
