import * as assert from 'assert';
import { promises as fs } from 'fs';
import * as path from 'path';
import { CameraLock } from '../../src/camera/cameraLock';
import type { LiveViewStatus } from '../../src/camera/cameraManager';
import { parseFilenamePattern } from '../../src/capture/fileNaming';
import { openManagerSession, type ManagerSession } from '../support/managerSession';
import { SimulatorHarness, tempDir, testManagerSettings } from '../support/simulatorHarness';

/** What the UI gets from the session alone (it never reaches the manager, the store or the lock). */
describe('TetherSession as the front of the UI', function () {
  this.timeout(30_000);
  let sim: SimulatorHarness;
  let out: string;
  let r: ManagerSession;

  beforeEach(async () => {
    sim = await SimulatorHarness.create({ previewWidth: 160, previewHeight: 106 });
    out = await tempDir('ct-front-');
    r = await openManagerSession({
      settings: testManagerSettings(sim.program, path.join(out, 'previews')),
      workDir: out,
      output: path.join(out, 'captures'),
      identity: { source: 'simulator' },
    });
  });

  afterEach(async () => {
    await r.close();
    await fs.rm(out, { recursive: true, force: true });
    await sim.dispose();
  });

  it('reports the output folder, live view, no error, and checks new roll names', () => {
    const { session } = r;
    assert.strictEqual(session.outputFolder, path.join(out, 'captures'));
    assert.deepStrictEqual(session.liveView, { running: false, wanted: false });
    assert.deepStrictEqual(session.snapshot().liveView, session.liveView);
    assert.strictEqual(session.currentError(), undefined);
    assert.strictEqual(session.checkNewRollName('  roll-7 '), 'roll-7');
    assert.throws(() => session.checkNewRollName('a/b'));
  });

  it('inspects the camera lock and takes it over from another window', async () => {
    const { session } = r;
    assert.strictEqual((await session.inspectLock()).owner, undefined);
    // Another window (a live process that is not us) holds the lock.
    const other = new CameraLock(path.join(out, 'camera.lock'), 'other window', process.ppid);
    await other.acquire();
    const seen = await session.inspectLock();
    assert.ok(seen.owner);
    assert.strictEqual(seen.owner.description, 'other window');
    assert.notStrictEqual(seen.verdict, 'mine');
    assert.strictEqual(seen.file, path.join(out, 'camera.lock'));
    const previous = await session.takeOverLock(seen.owner);
    assert.strictEqual(previous?.description, 'other window');
    assert.strictEqual((await session.inspectLock()).verdict, 'mine');
    assert.strictEqual(other.isHeld, false);
  });

  it('forwards live frames and live-view status as its own events', async () => {
    const { session } = r;
    let frames = 0;
    const statuses: LiveViewStatus[] = [];
    session.on('liveFrame', () => frames++);
    session.on('liveView', (s) => statuses.push(s));
    await session.startLiveView();
    const deadline = Date.now() + 10_000;
    while (frames < 3 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
    assert.ok(frames >= 3, `frames: ${frames}`);
    assert.deepStrictEqual(session.liveView, { running: true, wanted: true });
    await session.stopLiveView();
    assert.ok(statuses.some((s) => s.running) && !statuses[statuses.length - 1].running);
    assert.deepStrictEqual(session.liveView, { running: false, wanted: false });
  });

  it('reconfigure applies a new output folder and re-reads the roll', async () => {
    const { session } = r;
    const changed: string[] = [];
    session.on('changed', (s) => changed.push(s.outputFolder));
    const other = path.join(out, 'elsewhere');
    const info = await session.reconfigure({
      manager: {},
      outputFolder: other,
      filenamePattern: parseFilenamePattern('shot-{frame:03}'),
      identity: { source: 'simulator', model: 'Renamed' },
    });
    assert.strictEqual(session.outputFolder, other);
    assert.strictEqual(info.nextFrame, 1);
    assert.strictEqual(session.camera.model, 'Renamed');
    assert.strictEqual(changed[changed.length - 1], other);
  });
});
