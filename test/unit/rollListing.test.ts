/**
 * What the Rolls view, the panel and the status bar get from the session: the rolls and frames on
 * disk (newest first, RAW+JPEG together, never the bookkeeping folders), the detected camera, and
 * an error that stops counting once the user switched to another camera.
 */
import * as assert from 'assert';
import { promises as fs } from 'fs';
import * as path from 'path';
import { listFrames, listRolls } from '../../src/capture/rollListing';
import { parseFilenamePattern } from '../../src/capture/fileNaming';
import { openSimulatedSession, type SimulatedSession } from '../support/simulatedSession';
import { tempDir } from '../support/simulatorHarness';

const NOT_ROLLS = { names: ['test-captures', 'recovered', '.camera-tether-staging'] };

describe('Roll listing (the Rolls view)', () => {
  let out: string;
  const pattern = parseFilenamePattern('frame-{frame:04}');

  beforeEach(async () => {
    out = await tempDir('ct-rolls-');
  });
  afterEach(async () => {
    await fs.rm(out, { recursive: true, force: true });
  });

  async function file(rel: string, bytes = 3, mtime?: Date): Promise<void> {
    const full = path.join(out, rel);
    await fs.mkdir(path.dirname(full), { recursive: true });
    await fs.writeFile(full, Buffer.alloc(bytes, 1));
    if (mtime) await fs.utimes(full, mtime, mtime);
  }

  it('lists rolls newest change first, counts exposures once, leaves out what is not a roll', async () => {
    await file('old-roll/frame-0001.JPG');
    await file('old-roll/frame-0001.NEF');
    await file('old-roll/frame-0002.JPG');
    await file('new-roll/frame-0001.JPG');
    for (const other of [
      'test-captures/test-x.JPG',
      'recovered/a/b.JPG',
      '.camera-tether-staging/x/y.JPG',
      '.hidden/z.JPG',
    ])
      await file(other);
    await fs.utimes(path.join(out, 'old-roll'), new Date(2020, 0, 1), new Date(2020, 0, 1));
    await fs.utimes(path.join(out, 'new-roll'), new Date(2024, 0, 1), new Date(2024, 0, 1));
    const rolls = await listRolls(out, pattern, 'old-roll', NOT_ROLLS);
    assert.deepStrictEqual(
      rolls.map((r) => [r.name, r.frames, r.current]),
      [
        ['new-roll', 1, false],
        ['old-roll', 2, true],
      ],
    );
  });

  it('always lists the current roll, even before its folder exists', async () => {
    const rolls = await listRolls(path.join(out, 'missing'), pattern, 'roll-001', NOT_ROLLS);
    assert.deepStrictEqual(
      rolls.map((r) => [r.name, r.frames, r.current]),
      [['roll-001', 0, true]],
    );
  });

  it('lists frames highest first, the files of one exposure together, a re-shot take above the first', async () => {
    await file('r/frame-0001.JPG', 10);
    await file('r/frame-0001.NEF', 20);
    await file('r/frame-0002.JPG');
    await file('r/frame-0002_2.JPG');
    await file('r/frame-0010.JPG');
    await file('r/notes.txt');
    await file('r/.camera-tether-roll.json');
    await fs.mkdir(path.join(out, 'r', 'rejected'));
    const frames = await listFrames(path.join(out, 'r'), 'r', pattern);
    assert.deepStrictEqual(
      frames.map((f) => [f.frame, f.stem, f.files.map((x) => x.name)]),
      [
        [10, 'frame-0010', ['frame-0010.JPG']],
        [2, 'frame-0002_2', ['frame-0002_2.JPG']],
        [2, 'frame-0002', ['frame-0002.JPG']],
        [1, 'frame-0001', ['frame-0001.JPG', 'frame-0001.NEF']],
      ],
    );
    assert.deepStrictEqual(
      frames[3].files.map((f) => f.bytes),
      [10, 20],
    );
  });
});

describe('TetherSession for the Rolls view, the panel and the status bar', function () {
  this.timeout(30_000);
  let r: SimulatedSession;

  beforeEach(async () => {
    r = await openSimulatedSession('ct-newcomer-', { captureWidth: 64, captureHeight: 48 }, { roll: 'first' });
  });
  afterEach(async () => {
    await r.dispose();
  });

  it('lists the rolls and a capture in its roll; a roll name cannot leave the output folder', async () => {
    const { session } = r;
    const c = await session.capture();
    await session.newRoll('second');
    assert.deepStrictEqual((await session.listRolls()).map((x) => [x.name, x.frames, x.current]).sort(), [
      ['first', 1, false],
      ['second', 0, true],
    ]);
    const frames = await session.listRollFrames('first');
    assert.deepStrictEqual(
      frames.map((f) => f.files.map((x) => x.path)),
      [c.files.map((x) => x.path)],
    );
    await assert.rejects(session.listRollFrames('../first'), /contains/);
  });

  it('remembers what detection found, until the camera settings change', async () => {
    const { session } = r;
    assert.strictEqual(session.cameraDetected, false);
    assert.strictEqual(session.snapshot().camera.detected, undefined);
    await session.detect();
    assert.deepStrictEqual(session.snapshot().camera.detected, {
      model: 'Camera Tether Simulator',
      port: 'usb:001,004',
      count: 1,
    });
    session.setIdentity({ source: 'simulator', model: 'Other' });
    assert.strictEqual(session.cameraDetected, false);
    assert.strictEqual(session.snapshot().camera.detected, undefined);
  });

  it("an error of the camera the user switched away from is no longer the session's error; a new one is", async () => {
    const { session } = r;
    await r.sim.configure({ noCamera: true });
    await assert.rejects(session.capture());
    assert.strictEqual(session.snapshot().state, 'error');
    assert.ok(session.currentError());
    session.setIdentity({ source: 'simulator' });
    assert.strictEqual(session.snapshot().state, 'error', 'the same camera: still its error');
    session.setIdentity({ source: 'gphoto2' });
    assert.strictEqual(session.snapshot().state, 'idle');
    assert.strictEqual(session.snapshot().error, undefined);
    assert.strictEqual(session.currentError(), undefined);
    await assert.rejects(session.capture());
    assert.strictEqual(session.snapshot().state, 'error', 'a new failure shows');
  });
});
