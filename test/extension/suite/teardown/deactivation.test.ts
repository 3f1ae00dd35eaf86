/**
 * Runs after every other suite (see ../../index.ts): it ends the extension. VS Code deactivates an
 * extension by calling its module's `deactivate()` and awaiting it when the window closes or
 * reloads; this test calls that same export of the loaded bundle, in the real extension host, while
 * a capture is mid-download and live view waits to resume. The trigger is the only stand-in.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { defaultLockPath } from '../../../../src/camera/cameraLock';
import { LinuxProcessTable } from '../../../../src/camera/processTable';
import { STAGING_FOLDER } from '../../../../src/capture/captureStore';
import { run, simulatorConfig, until } from '../../cameraCommands';

const CAMERA_NAMES = new Set(['gphoto2-sim', 'gphoto2']);
const table = new LinuxProcessTable();

/** Pids of camera processes started by this extension host. */
async function ourCameraProcesses(): Promise<number[]> {
  return (await table.list(CAMERA_NAMES)).filter((p) => p.ppid === process.pid).map((p) => p.pid);
}

/** Bytes in this window's staging folders (a download in progress writes there, never into the roll). */
function ourStagedBytes(staging: string): number {
  let bytes = 0;
  const dirs = fs.existsSync(staging) ? fs.readdirSync(staging).filter((d) => d.startsWith(`${process.pid}-`)) : [];
  for (const dir of dirs) {
    for (const name of fs.readdirSync(path.join(staging, dir)))
      bytes += fs.statSync(path.join(staging, dir, name)).size;
  }
  return bytes;
}

function lockOwnerPid(): number | undefined {
  try {
    // The extension's lock: in the user's private folder, as the extension host resolves it.
    return (JSON.parse(fs.readFileSync(defaultLockPath(), 'utf8')) as { pid?: number }).pid;
  } catch {
    return undefined;
  }
}

describe('Deactivation mid-job (runs last: it ends the extension)', function () {
  this.timeout(120_000);

  it('deactivate() during a download with live view paused: child killed and awaited, lock released, nothing half-written in the roll, nothing restarts', async () => {
    const extension = vscode.extensions.getExtension('camera-tether.camera-tether');
    assert.ok(extension?.isActive, 'the extension is active');
    const bundle = require.resolve(path.join(extension.extensionPath, 'dist', 'extension.js'));
    const loaded = require.cache[bundle]?.exports as { deactivate?: () => Promise<void> } | undefined;
    assert.strictEqual(typeof loaded?.deactivate, 'function', `the extension host loaded ${bundle} through require`);

    // Each capture's download takes 30 s, so the capture is certainly mid-transfer when we deactivate.
    simulatorConfig({ transferMs: 30_000, liveViewFps: 30 });
    const roll = await run<{ folder: string }>('newRoll', 'deactivation-roll');
    await run('startLiveView');
    const capture = Promise.resolve(run('capture')).then(
      () => 'resolved',
      (e: unknown) => `rejected: ${(e as Error).message}`,
    );
    const staging = path.join(path.dirname(roll.folder), STAGING_FOLDER);
    // Only a capture writes to staging; it runs alone (live view was stopped for it).
    const child = await until('the capture to be part-way through its download', async () => {
      const procs = await ourCameraProcesses();
      return procs.length === 1 && ourStagedBytes(staging) > 0 ? procs[0] : undefined;
    });
    assert.strictEqual(lockOwnerPid(), process.pid, 'this window holds the camera lock while it works');

    await loaded?.deactivate?.();

    assert.throws(
      () => process.kill(child, 0),
      /ESRCH/,
      `the capture child ${child} is gone (killed and reaped) once deactivate() resolves`,
    );
    assert.deepStrictEqual(
      await ourCameraProcesses(),
      [],
      'no camera process of ours is left, and live view did not resume',
    );
    assert.notStrictEqual(lockOwnerPid(), process.pid, 'the camera lock is released');
    assert.deepStrictEqual(
      fs.readdirSync(roll.folder).filter((n) => !n.startsWith('.')),
      [],
      'no partial file in the roll',
    );
    assert.strictEqual(ourStagedBytes(staging), 0, 'the partial download is not left in the staging folder');
    assert.match(await capture, /^rejected: /, 'the caller of the interrupted capture hears about it');
    assert.deepStrictEqual(await ourCameraProcesses(), [], 'still nothing running after the capture settled');
  });
});
