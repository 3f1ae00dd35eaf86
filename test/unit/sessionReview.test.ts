// The review side of TetherSession, as the filmstrip and the commands use it: frames with labels,
// files, sidecars and thumbnails after real (simulated) RAW+JPEG captures; reject / reshoot / restore
// with events and the counter; test captures in their own list; typed errors without camera actions.
import * as assert from 'assert';
import * as path from 'path';
import { CameraError } from '../../src/camera/errors';
import { openSimulatedSession, type SimulatedSession } from '../support/simulatedSession';

describe('TetherSession: reviewing the roll', function () {
  this.timeout(60_000);
  let r: SimulatedSession;

  beforeEach(async () => {
    r = await openSimulatedSession('ct-sreview-', { raw: true, captureWidth: 480, captureHeight: 320 });
  });

  afterEach(async () => {
    await r.dispose();
  });

  it('lists frames with labels, files, sidecars and thumbnails; reshoot, reject and restore emit framesChanged', async () => {
    const { session } = r;
    const changed: { roll: string; frames?: number[] }[] = [];
    session.on('framesChanged', (e) => changed.push(e));
    await session.setRollDetails({ filmStock: 'Kodak Tri-X 400', filmIso: 400, firstFrameLabel: '0' });
    for (let i = 0; i < 3; i++) await session.capture();
    let list = await session.listFrames();
    assert.deepStrictEqual(
      list.frames.map((f) => [f.frame, f.label, f.files.map((p) => path.basename(p)), f.sidecars.length, f.thumbnail]),
      [
        [1, '0', ['frame-0001.JPG', 'frame-0001.NEF'], 3, undefined],
        [2, '1', ['frame-0002.JPG', 'frame-0002.NEF'], 3, undefined],
        [3, '2', ['frame-0003.JPG', 'frame-0003.NEF'], 3, undefined],
      ],
    );
    const thumb = await session.frameThumbnail(2);
    assert.ok(thumb && thumb.startsWith(list.thumbnailFolder + path.sep), String(thumb));
    const ready: number[] = [];
    const some = await session.frameThumbnails([1, 2, 3, 99], (n) => ready.push(n));
    assert.deepStrictEqual([...some.keys()].sort(), [1, 2, 3], 'frame 99 is not in the roll');
    assert.deepStrictEqual(ready.sort(), [1, 2, 3]);
    assert.strictEqual(some.get(2), thumb, 'made once, then taken from the cache');
    assert.strictEqual((await session.listFrames()).frames[1].thumbnail, thumb);

    const reshoot = await session.reshootFrame(2);
    assert.strictEqual(reshoot.nextFrame, 2);
    assert.strictEqual(session.snapshot().nextFrame, 2, 'the status bar shows the frame being re-shot');
    assert.strictEqual((await session.capture()).frame, 2);
    assert.strictEqual(session.snapshot().nextFrame, 4);
    await assert.rejects(session.unrejectFrame(2), (e: unknown) => {
      assert.ok(e instanceof CameraError);
      assert.match(e.message, /Frame 2 of roll "roll-1" is taken by frame-0002\.JPG, frame-0002\.NEF \(a reshoot\)/);
      assert.deepStrictEqual(e.actions, [], 'nothing for Cleanup to fix');
      return true;
    });
    const rejected = await session.rejectFrame(3);
    assert.strictEqual(path.basename(rejected.folder), 'frame-0003.1');
    list = await session.listFrames();
    assert.deepStrictEqual(
      list.rejected.map((x) => [x.frame, path.basename(x.folder), x.files.length]),
      [
        [2, 'frame-0002.1', 5],
        [3, 'frame-0003.1', 5],
      ],
    );
    assert.notStrictEqual(list.frames[1].thumbnail, thumb, 'the re-shot frame has not got its new thumbnail yet');
    const back = await session.unrejectFrame(3);
    assert.strictEqual(back.files.length, 5);
    assert.deepStrictEqual(
      changed.map((c) => c.frames),
      [undefined, [2], [3], [3]],
    );
    await assert.rejects(session.setRollDetails({ filmIso: 'fast' }), (e: unknown) => {
      assert.ok(e instanceof CameraError);
      assert.match(e.message, /filmIso must be a whole number from 1 to 51200/);
      assert.deepStrictEqual(e.actions, []);
      return true;
    });
  });

  it('test captures have their own list and thumbnails; the roll is untouched', async () => {
    const { session } = r;
    const t = await session.testCapture();
    const list = await session.listTestCaptures();
    assert.strictEqual(list.captures.length, 1);
    assert.deepStrictEqual(list.captures[0].files.sort(), t.files.map((f) => f.path).sort());
    const thumb = await session.testCaptureThumbnail(list.captures[0].name);
    assert.ok(thumb?.startsWith(path.join(list.folder, '.camera-tether-thumbs')), String(thumb));
    assert.deepStrictEqual((await session.listFrames()).frames, []);
  });
});
