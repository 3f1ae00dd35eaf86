/**
 * Tethered mode in the real extension host: the toggle command, the status bar, and a picture
 * taken with the (simulated) body's shutter landing in the roll and in the panel. The shutter is
 * pressed as a user's cable release would: `node dist/simulator.js --press-shutter`, a separate
 * process that never claims the camera.
 */
import * as assert from 'assert';
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { promisify } from 'util';
import * as vscode from 'vscode';
import { run, simulatorConfig, until } from '../cameraCommands';

const exec = promisify(execFile);

interface State {
  state: string;
  folder: string;
  nextFrame: number;
  tethering: { running: boolean; wanted: boolean; exposures: number };
  lastCapture?: { frame?: number };
  panel: { open: boolean; capture?: { frame?: number; names: string[]; test: boolean } };
  statusBar: { text: string; error: boolean };
}

const getState = () => run<State>('getState');

describe('Tethered mode (simulated camera)', function () {
  this.timeout(120_000);
  let simulator: string;

  before(async () => {
    simulatorConfig({ captureWidth: 600, captureHeight: 400 });
    const ext = vscode.extensions.getExtension('camera-tether.camera-tether');
    assert.ok(ext, 'the extension is installed');
    await ext.activate();
    simulator = path.join(ext.extensionPath, 'dist', 'simulator.js');
    await run('newRoll', 'ext-tethered');
    await run('openPanel');
  });

  after(async () => {
    await run('stopTethering').catch(() => undefined);
    simulatorConfig({});
  });

  /** The body's shutter: the simulator's state folder comes from the same environment as the extension's. */
  const press = () => exec(process.execPath, [simulator, '--press-shutter'], { env: process.env });

  it('toggleTethering turns it on: listening, said in the status bar', async () => {
    const on = await run<{ running: boolean; wanted: boolean }>('toggleTethering');
    assert.deepStrictEqual({ running: on.running, wanted: on.wanted }, { running: true, wanted: true });
    const s = await getState();
    assert.strictEqual(s.state, 'tethering');
    assert.match(s.statusBar.text, /tethered/);
  });

  it('a press on the body lands in the roll with the next frame number and is shown in the panel', async () => {
    const before = await getState();
    await press();
    const s = await until('the body frame', async () => {
      const now = await getState();
      // The count of exposures from the body follows the frame (the listener counts it once filed).
      return now.nextFrame === before.nextFrame + 1 &&
        now.panel.capture?.frame === before.nextFrame &&
        now.tethering.exposures === 1
        ? now
        : undefined;
    });
    const name = `frame-${String(before.nextFrame).padStart(4, '0')}.JPG`;
    assert.ok(fs.existsSync(path.join(s.folder, name)), `${name} in ${s.folder}`);
    assert.deepStrictEqual(s.panel.capture?.names, [name]);
  });

  it('an app capture while tethering takes the next number and tethering stays on', async () => {
    const before = await getState();
    const r = await run<{ frame: number }>('capture');
    assert.strictEqual(r.frame, before.nextFrame);
    const s = await getState();
    assert.deepStrictEqual(
      { running: s.tethering.running, wanted: s.tethering.wanted },
      { running: true, wanted: true },
    );
  });

  it('toggleTethering again turns it off; a press then stays on the card', async () => {
    const off = await run<{ running: boolean; wanted: boolean }>('toggleTethering');
    assert.deepStrictEqual({ running: off.running, wanted: off.wanted }, { running: false, wanted: false });
    const s = await getState();
    assert.strictEqual(s.state, 'idle');
    assert.doesNotMatch(s.statusBar.text, /tethered/);
    await press();
    const after = await getState();
    assert.strictEqual(after.nextFrame, s.nextFrame, 'nothing downloaded while tethered mode is off');
  });
});
