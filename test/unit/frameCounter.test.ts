// The frame counter at its edges: frames are 1..MAX_FRAME (999999). A capture that reaches the last
// number is filed and reported as filed; the one after is refused before the camera fires (so it
// never deletes an image we could not name); a counter file or a file name beyond the range never
// produces a name like "frame-1e+21.JPG"; a set counter moves before the files and is put back when
// the move fails.
import * as assert from 'assert';
import { promises as fs } from 'fs';
import * as path from 'path';
import { CameraError } from '../../src/camera/errors';
import { CaptureStore, STAGING_FOLDER } from '../../src/capture/captureStore';
import { MAX_FRAME, NamingError, parseFilenamePattern } from '../../src/capture/fileNaming';
import { openManagerSession, type ManagerSession } from '../support/managerSession';
import { SimulatorHarness, tempDir, testManagerSettings } from '../support/simulatorHarness';
import { stage } from '../support/stagedFiles';

const COUNTER_FILE = '.camera-tether-roll.json';

describe('frame counter edges', () => {
  let out: string;
  let store: CaptureStore;
  let logs: string[];
  beforeEach(async () => {
    out = await tempDir('ct-frames-');
    store = new CaptureStore(out, parseFilenamePattern('frame-{frame:04}'), 'roll-1');
    await store.openRoll('roll-1');
    logs = [];
    store.log = (level, message) => logs.push(`${level}: ${message}`);
  });
  afterEach(() => fs.rm(out, { recursive: true, force: true }));

  const rollFiles = async () => (await fs.readdir(store.rollFolder)).filter((n) => !n.startsWith('.')).sort();
  const writeCounter = (text: string) => fs.writeFile(path.join(store.rollFolder, COUNTER_FILE), text);
  const refusedAtLimit = (pattern: RegExp) => (err: unknown) =>
    err instanceof NamingError &&
    pattern.test(err.message) &&
    /New Roll/.test(err.message) &&
    /Set Frame Number/.test(err.message);

  it('MAX_FRAME is 999999, and the pattern check assumes names that wide', () => {
    assert.strictEqual(MAX_FRAME, 999_999);
    assert.strictEqual(
      parseFilenamePattern('frame-{frame}').render(MAX_FRAME, { roll: 'r', when: new Date() }),
      'frame-999999',
    );
  });

  it('counter set to 999999: the capture is filed as frame 999999 (no error); the next one is refused before anything moves', async () => {
    await store.setNextFrame(MAX_FRAME);
    const r = await store.commitFrame(await stage(store, { 'IMG_0001.JPG': 'last', 'IMG_0001.NEF': 'last raw' }));
    assert.strictEqual(r.frame, MAX_FRAME);
    assert.deepStrictEqual(await rollFiles(), ['frame-999999.JPG', 'frame-999999.NEF']);
    assert.strictEqual(await store.nextFrame(), MAX_FRAME + 1, 'the counter says "full", not a frame');
    await assert.rejects(
      store.checkNextFrameFree(),
      refusedAtLimit(/Roll "roll-1" has reached frame 999999, the highest frame number/),
    );
    // The last guard, if a capture got past the check: nothing leaves staging.
    const next = await stage(store, { 'IMG_0002.JPG': 'one too many' });
    await assert.rejects(store.commitFrame(next), refusedAtLimit(/reached frame 999999/));
    assert.strictEqual(await fs.readFile(next[0].path, 'utf8'), 'one too many');
    assert.deepStrictEqual(await rollFiles(), ['frame-999999.JPG', 'frame-999999.NEF']);
    // Setting a lower number continues there (a re-shoot gets a distinct name).
    await store.setNextFrame(7);
    await store.checkNextFrameFree();
    assert.strictEqual((await store.commitFrame(next)).frame, 7);
  });

  it('frame 999999 reached from the files on disk (no counter set): the next capture is refused too', async () => {
    await fs.writeFile(path.join(store.rollFolder, 'frame-999999.JPG'), 'x');
    assert.strictEqual(await store.nextFrame(), MAX_FRAME + 1);
    await assert.rejects(store.checkNextFrameFree(), refusedAtLimit(/has reached frame 999999/));
  });

  it('a file numbered beyond 999999 (frame-99999999.JPG) caps the counter, and the error names the file', async () => {
    await fs.writeFile(path.join(store.rollFolder, 'frame-0003.JPG'), 'x');
    await fs.writeFile(path.join(store.rollFolder, 'frame-99999999.JPG'), 'x');
    assert.strictEqual(await store.nextFrame(), MAX_FRAME + 1);
    assert.strictEqual((await store.info()).nextFrame, MAX_FRAME + 1);
    await assert.rejects(
      store.checkNextFrameFree(),
      refusedAtLimit(/holds frame-99999999\.JPG, numbered beyond 999999.*Move or rename that file/),
    );
    await assert.rejects(store.commitFrame(await stage(store, { 'IMG_0001.JPG': 'a' })), NamingError);
    assert.deepStrictEqual(await rollFiles(), ['frame-0003.JPG', 'frame-99999999.JPG']);
  });

  it('{"nextFrame": 1e21} in the roll file: refused before the capture with the file named and a log line; never "1e+21" in a name', async () => {
    await writeCounter('{"nextFrame": 1e21}');
    assert.strictEqual(await store.nextFrame(), MAX_FRAME + 1);
    await assert.rejects(
      store.checkNextFrameFree(),
      refusedAtLimit(
        new RegExp(
          `The frame counter of roll "roll-1" \\(${path.join(store.rollFolder, COUNTER_FILE).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\) says the next frame is 1e\\+21, beyond 999999`,
        ),
      ),
    );
    await assert.rejects(store.commitFrame(await stage(store, { 'IMG_0001.JPG': 'a' })), NamingError);
    assert.deepStrictEqual(await rollFiles(), []);
    assert.deepStrictEqual(
      logs.filter((l) => /1e\+21, beyond 999999: captures into this roll are refused/.test(l)).length,
      1,
      `one log line, not one per read: ${logs.join('\n')}`,
    );
  });

  for (const [text, why] of [
    ['{"nextFrame": 12.5}', /nextFrame is 12\.5, not a whole number from 1 to 999999/],
    ['{"nextFrame": -3}', /nextFrame is -3, not a whole number/],
    ['{"nextFrame": "7"}', /nextFrame is "7", not a whole number/],
    ['{"frame": 7}', /it has no nextFrame/],
    ['not json', /it is not valid JSON/],
  ] as const) {
    it(`a roll file holding ${text} is ignored with a log line; numbering follows the files`, async () => {
      await fs.writeFile(path.join(store.rollFolder, 'frame-0004.JPG'), 'x');
      await writeCounter(text);
      assert.strictEqual(await store.nextFrame(), 5);
      const r = await store.commitFrame(await stage(store, { 'IMG_0001.JPG': 'a' }));
      assert.strictEqual(r.frame, 5);
      assert.deepStrictEqual(await rollFiles(), ['frame-0004.JPG', 'frame-0005.JPG']);
      assert.ok(
        logs.some((l) => l.startsWith('warn: Ignoring the frame counter of roll "roll-1"') && why.test(l)),
        logs.join('\n'),
      );
    });
  }

  it('a set counter moves before the files; when the move fails it is put back and the exposure is not half-filed', async () => {
    await store.setNextFrame(12);
    const files = await stage(store, { 'IMG_0001.NEF': 'raw', 'IMG_0001.JPG': 'jpeg' });
    // The second file vanishes (a card reader unplugged, a full disk on copy...): the first was already filed.
    await fs.rm(files[1].path);
    await assert.rejects(store.commitFrame(files), /ENOENT/);
    assert.deepStrictEqual(await rollFiles(), [], 'the RAW went back to staging with its JPEG missing');
    assert.strictEqual(await fs.readFile(files[0].path, 'utf8'), 'raw');
    assert.strictEqual(await store.nextFrame(), 12, 'frame 12 was never filed: the next capture gets 12 again');
    await fs.writeFile(files[1].path, 'jpeg');
    assert.strictEqual((await store.commitFrame(files)).frame, 12);
    assert.strictEqual(await store.nextFrame(), 13);
  });

  it('setNextFrame refuses 0, 1000000 and 1e21 (the range has one definition)', async () => {
    for (const n of [0, MAX_FRAME + 1, 1e21, 2.5])
      await assert.rejects(store.setNextFrame(n), /whole number from 1 to 999999/);
  });
});

describe('frame counter edges through the session (real manager, simulator)', function () {
  this.timeout(60_000);
  let sim: SimulatorHarness;
  let work: string;
  let output: string;
  let s: ManagerSession;
  let sessionLogs: string[];
  beforeEach(async () => {
    sim = await SimulatorHarness.create({ captureWidth: 320, captureHeight: 200 });
    work = await tempDir('ct-frames-work-');
    output = await tempDir('ct-frames-out-');
    s = await openManagerSession({
      settings: testManagerSettings(sim.program, path.join(work, 'previews')),
      workDir: work,
      output,
      identity: { source: 'simulator' },
    });
    sessionLogs = [];
    s.session.on('log', (e) => sessionLogs.push(`${e.level}: ${e.message}`));
  });
  afterEach(async () => {
    await s.close();
    await sim.dispose();
    await fs.rm(work, { recursive: true, force: true });
    await fs.rm(output, { recursive: true, force: true });
  });

  const gphoto2Runs = () => s.logs.filter((l) => /: \$ gphoto2-sim /.test(l)).length;
  const stagingFolders = () => fs.readdir(path.join(output, STAGING_FOLDER)).catch(() => [] as string[]);
  const atLimit = (err: unknown) =>
    err instanceof CameraError && err.kind === 'badSetting' && /has reached frame 999999/.test(err.message);

  it('counter at 999999: the capture commits and reports frame 999999; the next is refused before gphoto2 runs', async () => {
    await s.session.setNextFrame(MAX_FRAME);
    const r = await s.session.capture();
    assert.strictEqual(r.frame, MAX_FRAME);
    assert.deepStrictEqual(
      r.files.map((f) => f.name),
      ['frame-999999.JPG'],
    );
    assert.strictEqual(s.session.snapshot().lastCapture?.frame, MAX_FRAME);
    assert.strictEqual(s.session.snapshot().state, 'idle', 'not reported as an error');
    const runs = gphoto2Runs();
    await assert.rejects(s.session.capture(), atLimit);
    assert.strictEqual(gphoto2Runs(), runs, 'the camera never fired');
    assert.deepStrictEqual(await stagingFolders(), []);
  });

  it('two captures queued at 999999: the first is filed, the second is refused when its turn comes, before gphoto2 runs', async () => {
    await s.session.setNextFrame(MAX_FRAME);
    const first = s.session.capture();
    const second = s.session.capture(); // passes the check at the click: frame 999999 was still free
    assert.strictEqual((await first).frame, MAX_FRAME);
    await assert.rejects(second, atLimit);
    assert.strictEqual(gphoto2Runs(), 1, 'only the first capture ran gphoto2');
    assert.deepStrictEqual(
      (await fs.readdir(s.session.store.rollFolder)).filter((n) => !n.startsWith('.')),
      ['frame-999999.JPG'],
    );
    assert.deepStrictEqual(await stagingFolders(), []);
  });

  it('a filed capture is never reported as failed: a listener that throws afterwards is logged', async () => {
    s.session.on('frameCaptured', () => {
      throw new Error('the panel is gone');
    });
    const r = await s.session.capture();
    assert.strictEqual(r.frame, 1);
    assert.deepStrictEqual(
      (await fs.readdir(s.session.store.rollFolder)).filter((n) => !n.startsWith('.')),
      ['frame-0001.JPG'],
    );
    assert.ok(
      sessionLogs.includes('error: Frame 1 was filed, but showing it failed: the panel is gone'),
      sessionLogs.join('\n'),
    );
    assert.strictEqual(s.session.snapshot().nextFrame, 2);
  });

  it('{"nextFrame": 1e21} in the roll file: the capture is refused before gphoto2 runs, with a log line naming the file', async () => {
    await fs.writeFile(path.join(s.session.store.rollFolder, COUNTER_FILE), '{"nextFrame": 1e21}');
    await assert.rejects(
      s.session.capture(),
      (err: unknown) => err instanceof CameraError && /says the next frame is 1e\+21, beyond 999999/.test(err.message),
    );
    assert.strictEqual(gphoto2Runs(), 0);
    assert.ok(
      sessionLogs.some((l) => l.startsWith('warn: The frame counter of roll "roll-1"') && l.includes(COUNTER_FILE)),
      sessionLogs.join('\n'),
    );
  });
});
