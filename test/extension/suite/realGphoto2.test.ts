/**
 * cameraTether.capture in the real extension host driving Debian's REAL gphoto2 against libgphoto2's
 * virtual camera (built by test/setup/build-vcamera.sh; skipped with the reason when it is missing).
 * gphoto2 is started through a tiny wrapper set as cameraTether.gphoto2Path: the vusb driver reads
 * the camera's USB ids from ">/dev/null" relative to the working folder, which is the capture's
 * staging folder (see test/integration/managerRealGphoto2.test.ts for the measurements).
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { isCompleteJpeg } from '../../../src/camera/downloadedFiles';
import { GPHOTO2_BINARY, vcameraGphoto2, vcameraUnavailableReason } from '../../support/vcamera';
import { run } from '../cameraCommands';

function sh(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

describe("Capture with the real gphoto2 and libgphoto2's virtual camera", function () {
  this.timeout(120_000);
  const config = () => vscode.workspace.getConfiguration('cameraTether');
  let dir: string;

  before(async function () {
    const vc = vcameraGphoto2();
    if (!vc) {
      console.log(`    (skipped: ${vcameraUnavailableReason()})`);
      this.skip();
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-ext-vcam-'));
    const state = await run<{ outputFolder: string }>('getState');
    const wrapper = path.join(dir, 'gphoto2-vcamera');
    fs.writeFileSync(
      wrapper,
      [
        '#!/bin/sh',
        `export LD_LIBRARY_PATH=${sh(vc.env.LD_LIBRARY_PATH)} IOLIBS=${sh(vc.env.IOLIBS)} CAMLIBS=${sh(vc.env.CAMLIBS)} HOME=${sh(vc.env.HOME)}`,
        'here=$(pwd -P)',
        `case "$here/" in ${sh(fs.realpathSync(state.outputFolder))}/*) [ -e '>' ] || ln -s ${sh(path.join(vc.cwd, '>'))} '>' || exit 97 ;; *) cd ${sh(vc.cwd)} || exit 97 ;; esac`,
        `exec ${GPHOTO2_BINARY} "$@"`,
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
    // gphoto2Path is a machine setting: it lives in the user settings, not the workspace.
    await config().update('gphoto2Path', wrapper, vscode.ConfigurationTarget.Global);
    await config().update('camera', 'Nikon DSC D750', vscode.ConfigurationTarget.Workspace);
    await config().update('port', 'usb:>/dev/null', vscode.ConfigurationTarget.Workspace);
    await config().update('source', 'gphoto2', vscode.ConfigurationTarget.Workspace);
    await run('newRoll', 'real-gphoto2');
  });

  after(async () => {
    await config().update('gphoto2Path', undefined, vscode.ConfigurationTarget.Global);
    for (const key of ['camera', 'port']) await config().update(key, undefined, vscode.ConfigurationTarget.Workspace);
    await config().update('source', 'simulator', vscode.ConfigurationTarget.Workspace);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('captures a real JPEG into the roll and advances the counter', async () => {
    const state = await run<{ source: string; nextFrame: number; camera: { simulated: boolean } }>('getState');
    assert.strictEqual(state.source, 'gphoto2');
    assert.strictEqual(state.camera.simulated, false);
    const r = await run<{ frame: number; files: string[]; roll: string }>('capture');
    assert.strictEqual(r.frame, 1);
    assert.strictEqual(r.roll, 'real-gphoto2');
    assert.strictEqual(path.basename(r.files[0]), 'frame-0001.JPG');
    assert.ok(await isCompleteJpeg(r.files[0]), 'a complete JPEG from the virtual camera');
    assert.strictEqual((await run<{ nextFrame: number }>('getState')).nextFrame, 2);
  });

  it("preview on this body is a typed unsupported error with gphoto2's own words", async () => {
    await assert.rejects(
      run('preview'),
      (e: unknown) =>
        (e as { kind?: string }).kind === 'unsupported' &&
        /does not support LiveView/.test(String((e as Error).message)),
    );
  });
});
