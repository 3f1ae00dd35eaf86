import * as assert from 'assert';
import * as path from 'path';
import { CameraLock } from '../../src/camera/cameraLock';
import type { LiveViewStatus } from '../../src/camera/cameraManager';
import { parseFilenamePattern } from '../../src/capture/fileNaming';
import { openSimulatedSession, type SimulatedSession } from '../support/simulatedSession';

/** What the UI gets from the session alone (it never reaches the manager, the store or the lock). */
describe('TetherSession as the front of the UI', function () {
  this.timeout(30_000);
  let r: SimulatedSession;

  beforeEach(async () => {
    r = await openSimulatedSession('ct-front-', { previewWidth: 160, previewHeight: 106 });
  });

  afterEach(async () => {
    await r.dispose();
  });

  it('reports the output folder, live view, no error, and checks new roll names', () => {
    const { session } = r;
    assert.strictEqual(session.outputFolder, path.join(r.out, 'captures'));
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
    const other = new CameraLock(path.join(r.out, 'camera.lock'), 'other window', process.ppid);
    await other.acquire();
    const seen = await session.inspectLock();
    assert.ok(seen.owner);
    assert.strictEqual(seen.owner.description, 'other window');
    assert.notStrictEqual(seen.verdict, 'mine');
    assert.strictEqual(seen.file, path.join(r.out, 'camera.lock'));
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
    const other = path.join(r.out, 'elsewhere');
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
