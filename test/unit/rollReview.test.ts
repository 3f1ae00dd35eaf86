// Reviewing a roll in the store: film details and frame notes, the XMP sidecars that carry them (read
// back with exiftool), and reject / restore / reshoot with the files moved, never overwritten, the
// counter right, and a window that dies half-way leaving nothing lost.
import * as assert from 'assert';
import fc from 'fast-check';
import { promises as fs } from 'fs';
import * as path from 'path';
import { CaptureStore } from '../../src/capture/captureStore';
import { parseFilenamePattern } from '../../src/capture/fileNaming';
import { RollDetailsError } from '../../src/capture/rollDetails';
import { RollEditError } from '../../src/capture/rollReview';
import { ROLL_STATE_FILE } from '../../src/capture/rollState';
import { exiftoolJson, exiftoolMissing, exiftoolWrite } from '../support/exiftool';
import { tempDir } from '../support/simulatorHarness';
import { stage } from '../support/stagedFiles';

const pattern = () => parseFilenamePattern('frame-{frame:04}');

describe('Roll review in the store', function () {
  this.timeout(30_000);
  let out: string;
  let store: CaptureStore;
  const logs: string[] = [];

  const open = async (): Promise<CaptureStore> => {
    const s = new CaptureStore(out, pattern(), 'roll-1');
    s.log = (level, message) => logs.push(`${level}: ${message}`);
    await s.openRoll('roll-1');
    return s;
  };
  const capture = (files: Record<string, string>, s = store) => stage(s, files).then((staged) => s.commitFrame(staged));
  const rollFiles = async () => (await fs.readdir(store.rollFolder)).filter((n) => !n.startsWith('.')).sort();
  const rejectedTree = async (): Promise<Record<string, string[]>> => {
    const root = path.join(store.rollFolder, 'rejected');
    const tree: Record<string, string[]> = {};
    for (const d of (await fs.readdir(root).catch(() => [] as string[])).sort())
      tree[d] = (await fs.readdir(path.join(root, d))).sort();
    return tree;
  };
  const read = (...parts: string[]) => fs.readFile(path.join(store.rollFolder, ...parts), 'utf8');

  beforeEach(async () => {
    out = await tempDir('ct-review-');
    logs.length = 0;
    store = await open();
  });
  afterEach(() => fs.rm(out, { recursive: true, force: true }));

  describe('details and notes', () => {
    it('merges details into the roll file: a value sets, null or "" removes, a left-out field stays', async () => {
      const a = await store.setRollDetails({ filmStock: ' Kodak Portra 400 ', filmIso: 400, format: '120' });
      assert.deepStrictEqual(a.details, { filmStock: 'Kodak Portra 400', filmIso: 400, format: '120' });
      const b = await store.setRollDetails({ format: null, lens: 'Sekor C 90mm', process: '' });
      assert.deepStrictEqual(b.details, { filmStock: 'Kodak Portra 400', filmIso: 400, lens: 'Sekor C 90mm' });
      // A fresh store (a restart, another window) reads them from the roll's file.
      assert.deepStrictEqual(await (await open()).rollDetails(), b.details);
    });

    it('refuses bad details with the field, the problem and what is accepted; nothing changes', async () => {
      await store.setRollDetails({ filmStock: 'HP5' });
      const cases: [unknown, RegExp][] = [
        [{ film_stock: 'x' }, /Unknown roll detail "film_stock"\. The fields are filmStock, filmIso/],
        [{ filmIso: 400.5 }, /filmIso must be a whole number from 1 to 51200 .*got 400\.5/],
        [{ filmIso: 'fast' }, /filmIso must be a whole number/],
        [{ scanDate: '2026-02-30' }, /scanDate "2026-02-30" is not a date written YYYY-MM-DD/],
        [{ firstFrameLabel: 'A' }, /firstFrameLabel "A" is not a film-edge start: use "00", "0" or a whole number/],
        [{ filmCamera: 'a\nb' }, /filmCamera contains control characters/],
        [{ filmStock: 'x'.repeat(101) }, /filmStock is 101 characters long; at most 100 fit/],
        ['HP5', /Roll details must be an object/],
      ];
      for (const [patch, message] of cases)
        await assert.rejects(
          store.setRollDetails(patch),
          (e: unknown) => e instanceof RollDetailsError && message.test(e.message),
        );
      assert.deepStrictEqual(await store.rollDetails(), { filmStock: 'HP5' });
    });

    it('details and a set counter share the roll file: setting one keeps the other', async () => {
      await store.setNextFrame(12);
      await store.setRollDetails({ filmStock: 'HP5', filmIso: 1600 });
      assert.strictEqual(await store.nextFrame(), 12);
      await store.setNextFrame(20);
      assert.deepStrictEqual(await store.rollDetails(), { filmStock: 'HP5', filmIso: 1600 });
      // Without a counter, details alone do not count as a broken counter file.
      const fresh = new CaptureStore(out, pattern(), 'roll-2');
      fresh.log = (level, message) => logs.push(`${level}: ${message}`);
      await fresh.openRoll('roll-2');
      await fresh.setRollDetails({ filmStock: 'HP5' });
      await capture({ 'IMG_0001.JPG': 'a' }, fresh);
      assert.strictEqual(await fresh.nextFrame(), 2);
      assert.deepStrictEqual(
        logs.filter((l) => l.includes('Ignoring the frame counter')),
        [],
      );
    });

    it('a frame note and label belong to a frame that exists; a bad label says what a film-edge number is', async () => {
      await capture({ 'IMG_0001.JPG': 'a' });
      const r = await store.setFrameNote(1, { note: 'dust top left', label: '00' });
      assert.deepStrictEqual(r.note, { note: 'dust top left', label: '00' });
      await assert.rejects(store.setFrameNote(2, { note: 'x' }), /Roll "roll-1" has no frame 2 \(its frames are 1\)/);
      await assert.rejects(store.setFrameNote(1, { label: '1/2' }), /The frame label "1\/2" is not a film-edge number/);
      assert.deepStrictEqual((await store.setFrameNote(1, { note: null })).note, { label: '00' });
    });
  });

  describe('XMP sidecars, read back with exiftool', () => {
    before(function () {
      const missing = exiftoolMissing();
      if (missing) {
        console.log(`      skipped: ${missing}`);
        this.skip();
      }
    });

    const xmp = (...names: string[]) =>
      exiftoolJson(
        names.map((n) => path.join(store.rollFolder, n)),
        ['XMP-ctfilm:all', 'XMP-dc:all', 'XMP-exif:UserComment'],
      );

    it('a roll without details gets none; setting details writes them for every frame, both naming conventions', async () => {
      await capture({ 'IMG_0001.NEF': 'raw-1', 'IMG_0001.JPG': 'jpeg-1' });
      await capture({ 'IMG_0002.JPG': 'jpeg-2' });
      assert.deepStrictEqual(await rollFiles(), ['frame-0001.JPG', 'frame-0001.NEF', 'frame-0002.JPG']);
      const r = await store.setRollDetails({
        filmStock: 'Kodak Portra 400',
        filmIso: 400,
        format: '120',
        process: 'C-41',
      });
      assert.strictEqual(r.sidecars.written.length, 5);
      assert.deepStrictEqual(await rollFiles(), [
        'frame-0001.JPG',
        'frame-0001.JPG.xmp',
        'frame-0001.NEF',
        'frame-0001.NEF.xmp',
        'frame-0001.xmp',
        'frame-0002.JPG',
        'frame-0002.JPG.xmp',
        'frame-0002.xmp',
      ]);
      const tags = xmp(
        'frame-0001.NEF.xmp',
        'frame-0001.JPG.xmp',
        'frame-0001.xmp',
        'frame-0002.JPG.xmp',
        'frame-0002.xmp',
      );
      for (const t of tags) {
        assert.strictEqual(t.FilmStock, 'Kodak Portra 400', String(t.SourceFile));
        assert.strictEqual(t.FilmISO, 400);
        assert.strictEqual(String(t.FilmFormat), '120');
        assert.strictEqual(t.Roll, 'roll-1');
        assert.deepStrictEqual(t.Subject, ['Kodak Portra 400', 120, 'C-41']);
      }
      assert.deepStrictEqual(
        tags.map((t) => [t.Frame, String(t.FrameLabel), t.Title]),
        [
          [1, '1', 'roll-1, frame 1'],
          [1, '1', 'roll-1, frame 1'],
          [1, '1', 'roll-1, frame 1'],
          [2, '2', 'roll-1, frame 2'],
          [2, '2', 'roll-1, frame 2'],
        ],
      );
      assert.match(String(tags[0].UserComment), /^Kodak Portra 400, ISO 400, 120; C-41; roll-1, frame 1$/);
    });

    it('labels follow the film edge from firstFrameLabel (00, 0, 1...), a frame label overrides; changes rewrite the sidecars', async () => {
      for (let i = 1; i <= 4; i++) await capture({ [`IMG_000${i}.JPG`]: `j${i}` });
      await store.setRollDetails({ filmStock: 'Ilford HP5 Plus', filmIso: 400, firstFrameLabel: '00' });
      const labels = () => xmp(...[1, 2, 3, 4].map((n) => `frame-000${n}.xmp`)).map((t) => String(t.FrameLabel));
      assert.deepStrictEqual(labels(), ['00', '0', '1', '2']);
      await store.setFrameNote(3, { label: '1A', note: 'half frame: camera double-advanced' });
      assert.deepStrictEqual(labels(), ['00', '0', '1A', '2']);
      const [three] = xmp('frame-0003.JPG.xmp');
      assert.strictEqual(three.FrameNote, 'half frame: camera double-advanced');
      assert.strictEqual(three.Description, 'half frame: camera double-advanced');
      await store.setRollDetails({ filmStock: 'Ilford HP5 Plus @ 1600', filmIso: 1600 });
      assert.deepStrictEqual(
        xmp('frame-0001.JPG.xmp', 'frame-0004.xmp').map((t) => [t.FilmStock, t.FilmISO]),
        [
          ['Ilford HP5 Plus @ 1600', 1600],
          ['Ilford HP5 Plus @ 1600', 1600],
        ],
      );
    });

    it('a capture into a roll with details gets its sidecars at once', async () => {
      await store.setRollDetails({ filmStock: 'Fomapan 100', filmIso: 100 });
      const r = await capture({ 'IMG_0001.NEF': 'raw', 'IMG_0001.JPG': 'jpeg' });
      assert.strictEqual(r.frame, 1);
      const tags = xmp('frame-0001.NEF.xmp', 'frame-0001.JPG.xmp', 'frame-0001.xmp');
      assert.deepStrictEqual(
        tags.map((t) => [t.FilmStock, t.FilmISO, String(t.FrameLabel)]),
        Array(3).fill(['Fomapan 100', 100, '1']),
      );
    });

    it('a sidecar another program changed is kept as it is, and reported; ours are still rewritten', async () => {
      await capture({ 'IMG_0001.NEF': 'raw', 'IMG_0001.JPG': 'jpeg' });
      await store.setRollDetails({ filmStock: 'Kodak Gold 200', filmIso: 200 });
      // darktable adds its own keys to x.NEF.xmp; here exiftool plays that part.
      exiftoolWrite(path.join(store.rollFolder, 'frame-0001.NEF.xmp'), 'XMP-xmp:Rating=4');
      const theirs = await read('frame-0001.NEF.xmp');
      const r = await store.setRollDetails({ filmStock: 'Kodak Ektar 100', filmIso: 100 });
      assert.deepStrictEqual(r.sidecars.kept, [path.join(store.rollFolder, 'frame-0001.NEF.xmp')]);
      assert.strictEqual(await read('frame-0001.NEF.xmp'), theirs, 'not a byte changed');
      assert.deepStrictEqual(
        xmp('frame-0001.NEF.xmp', 'frame-0001.JPG.xmp', 'frame-0001.xmp').map((t) => t.FilmStock),
        ['Kodak Gold 200', 'Kodak Ektar 100', 'Kodak Ektar 100'],
      );
      assert.ok(
        logs.some((l) => /another program changed them.*frame-0001\.NEF\.xmp/.test(l)),
        logs.join('\n'),
      );
    });

    it('a sidecar name taken by a file we did not write is never overwritten', async () => {
      await capture({ 'IMG_0001.JPG': 'jpeg' });
      await fs.writeFile(path.join(store.rollFolder, 'frame-0001.xmp'), '<x:xmpmeta>someone else</x:xmpmeta>');
      const r = await store.setRollDetails({ filmStock: 'CineStill 800T' });
      assert.deepStrictEqual(r.sidecars.kept, [path.join(store.rollFolder, 'frame-0001.xmp')]);
      assert.strictEqual(await read('frame-0001.xmp'), '<x:xmpmeta>someone else</x:xmpmeta>');
    });
  });

  describe('reject, restore, reshoot', () => {
    it("reject moves all of a frame's files to rejected/frame-NNNN.1; the counter does not take the number again", async () => {
      await store.setRollDetails({ filmStock: 'HP5' });
      for (let i = 1; i <= 3; i++) await capture({ [`IMG_000${i}.NEF`]: `raw${i}`, [`IMG_000${i}.JPG`]: `jpg${i}` });
      const r = await store.rejectFrame(3);
      assert.strictEqual(r.folder, path.join(store.rollFolder, 'rejected', 'frame-0003.1'));
      assert.deepStrictEqual(await rejectedTree(), {
        'frame-0003.1': [
          'frame-0003.JPG',
          'frame-0003.JPG.xmp',
          'frame-0003.NEF',
          'frame-0003.NEF.xmp',
          'frame-0003.xmp',
        ],
      });
      assert.ok(!(await rollFiles()).some((n) => n.startsWith('frame-0003')));
      assert.strictEqual(await read('rejected', 'frame-0003.1', 'frame-0003.NEF'), 'raw3');
      // The highest number is rejected, not free: the next capture is 4, so restoring 3 stays possible.
      assert.strictEqual((await store.info()).nextFrame, 4);
      assert.strictEqual((await store.info()).captured, 2);
      assert.strictEqual((await capture({ 'IMG_0004.JPG': 'jpg4' })).frame, 4);
      await assert.rejects(
        store.rejectFrame(3),
        (e: unknown) => e instanceof RollEditError && /has no frame 3 \(its frames are 1-2, 4\)/.test(e.message),
      );
    });

    it('reshoot: the next capture takes the number, the old files wait in rejected/, a second reject gets .2', async () => {
      for (let i = 1; i <= 3; i++) await capture({ [`IMG_000${i}.JPG`]: `first-${i}` });
      const r = await store.reshootFrame(2);
      assert.strictEqual(r.rejected?.folder, path.join(store.rollFolder, 'rejected', 'frame-0002.1'));
      assert.strictEqual((await store.info()).nextFrame, 2);
      assert.strictEqual((await store.info()).reshoot, 2);
      const again = await capture({ 'IMG_0004.JPG': 'second-2' });
      assert.strictEqual(again.frame, 2);
      assert.deepStrictEqual(
        again.files.map((f) => f.name),
        ['frame-0002.JPG'],
      );
      assert.strictEqual(await read('frame-0002.JPG'), 'second-2');
      assert.strictEqual(await read('rejected', 'frame-0002.1', 'frame-0002.JPG'), 'first-2');
      assert.strictEqual((await store.info()).nextFrame, 4, 'the counter continues after the highest frame');
      assert.strictEqual((await store.info()).reshoot, undefined);
      // Reshoot the same frame again: the first reject stays, the second gets its own folder.
      await store.reshootFrame(2);
      assert.strictEqual((await capture({ 'IMG_0005.JPG': 'third-2' })).frame, 2);
      assert.deepStrictEqual(await rejectedTree(), {
        'frame-0002.1': ['frame-0002.JPG'],
        'frame-0002.2': ['frame-0002.JPG'],
      });
      assert.strictEqual(await read('rejected', 'frame-0002.2', 'frame-0002.JPG'), 'second-2');
      assert.deepStrictEqual(await rollFiles(), ['frame-0001.JPG', 'frame-0002.JPG', 'frame-0003.JPG', 'rejected']);
    });

    it('a reshoot comes before a set counter and leaves it alone; a failed capture keeps the reshoot waiting', async () => {
      for (let i = 1; i <= 3; i++) await capture({ [`IMG_000${i}.JPG`]: `f${i}` });
      await store.setNextFrame(10);
      await store.reshootFrame(1);
      const staged = await stage(store, { 'IMG_0004.NEF': 'raw', 'IMG_0004.JPG': 'jpg' });
      await fs.rm(staged[1].path); // the JPEG never arrived: nothing is filed
      await assert.rejects(store.commitFrame(staged), /ENOENT/);
      assert.strictEqual(await store.nextFrame(), 1, 'still waiting for frame 1');
      assert.strictEqual((await capture({ 'IMG_0005.JPG': 'new-1' })).frame, 1);
      assert.strictEqual((await capture({ 'IMG_0006.JPG': 'f10' })).frame, 10);
    });

    it('restore brings the latest reject back, refuses while the number is taken, and cancels a waiting reshoot', async () => {
      for (let i = 1; i <= 2; i++) await capture({ [`IMG_000${i}.JPG`]: `first-${i}` });
      await store.reshootFrame(1);
      await capture({ 'IMG_0003.JPG': 'second-1' });
      await assert.rejects(
        store.unrejectFrame(1),
        /Frame 1 of roll "roll-1" is taken by frame-0001\.JPG \(a reshoot\).*Reject the current frame 1 first, then restore; nothing was moved/,
      );
      assert.deepStrictEqual(await rejectedTree(), { 'frame-0001.1': ['frame-0001.JPG'] });
      await store.rejectFrame(1);
      const back = await store.unrejectFrame(1); // the latest: the reshot one (frame-0001.2)
      assert.deepStrictEqual(back.files, [path.join(store.rollFolder, 'frame-0001.JPG')]);
      assert.strictEqual(await read('frame-0001.JPG'), 'second-1');
      assert.deepStrictEqual(
        await rejectedTree(),
        { 'frame-0001.1': ['frame-0001.JPG'] },
        'the emptied folder is gone',
      );
      // A waiting reshoot is cancelled by restoring the frame it waits for.
      await store.reshootFrame(2);
      assert.strictEqual(await store.nextFrame(), 2);
      await store.unrejectFrame(2);
      assert.strictEqual(await read('frame-0002.JPG'), 'first-2');
      assert.strictEqual((await store.info()).reshoot, undefined);
      assert.strictEqual(await store.nextFrame(), 3);
      await assert.rejects(store.unrejectFrame(7), /Roll "roll-1" has no rejected frame 7 \(rejected: 1\)/);
    });

    it('a window that died after moving some files finishes the reject at the next open: nothing lost, reshoot still waiting', async () => {
      await store.setRollDetails({ filmStock: 'HP5' });
      for (let i = 1; i <= 2; i++) await capture({ [`IMG_000${i}.NEF`]: `raw${i}`, [`IMG_000${i}.JPG`]: `jpg${i}` });
      const names = ['frame-0002.JPG', 'frame-0002.JPG.xmp', 'frame-0002.NEF', 'frame-0002.NEF.xmp', 'frame-0002.xmp'];
      // What reshootFrame(2) leaves when killed mid-way: the journal and the reshoot written, the
      // folder made, one file moved, one linked but not yet unlinked, the rest not moved.
      const dir = path.join(store.rollFolder, 'rejected', 'frame-0002.1');
      await fs.mkdir(dir, { recursive: true });
      const stateFile = path.join(store.rollFolder, ROLL_STATE_FILE);
      const state = JSON.parse(await fs.readFile(stateFile, 'utf8')) as Record<string, unknown>;
      await fs.writeFile(
        stateFile,
        JSON.stringify({
          ...state,
          reshoot: 2,
          pending: { op: 'reject', frame: 2, folder: 'frame-0002.1', files: names },
        }),
      );
      await fs.rename(path.join(store.rollFolder, names[0]), path.join(dir, names[0]));
      await fs.link(path.join(store.rollFolder, names[2]), path.join(dir, names[2]));

      const reopened = await open();
      assert.deepStrictEqual((await fs.readdir(dir)).sort(), names);
      assert.strictEqual(await fs.readFile(path.join(dir, 'frame-0002.NEF'), 'utf8'), 'raw2');
      assert.deepStrictEqual(
        (await fs.readdir(reopened.rollFolder)).filter((n) => n.startsWith('frame-0002')),
        [],
      );
      const info = await reopened.info();
      assert.strictEqual(info.nextFrame, 2);
      assert.strictEqual(info.reshoot, 2);
      assert.ok(!('pending' in JSON.parse(await fs.readFile(stateFile, 'utf8'))), 'the journal is cleared');
      assert.ok(
        logs.some((l) => /Rejecting frame 2 of roll "roll-1" was interrupted/.test(l)),
        logs.join('\n'),
      );
      assert.strictEqual((await capture({ 'IMG_0003.JPG': 'again' }, reopened)).frame, 2);
    });

    it('a restore interrupted half-way is finished too; a name with different content in both places keeps both', async () => {
      for (let i = 1; i <= 2; i++) await capture({ [`IMG_000${i}.NEF`]: `raw${i}`, [`IMG_000${i}.JPG`]: `jpg${i}` });
      await store.rejectFrame(2);
      const dir = path.join(store.rollFolder, 'rejected', 'frame-0002.1');
      const stateFile = path.join(store.rollFolder, ROLL_STATE_FILE);
      const state = JSON.parse(await fs.readFile(stateFile, 'utf8')) as Record<string, unknown>;
      await fs.writeFile(
        stateFile,
        JSON.stringify({
          ...state,
          pending: { op: 'unreject', frame: 2, folder: 'frame-0002.1', files: ['frame-0002.JPG', 'frame-0002.NEF'] },
        }),
      );
      await fs.rename(path.join(dir, 'frame-0002.JPG'), path.join(store.rollFolder, 'frame-0002.JPG'));
      await fs.writeFile(path.join(store.rollFolder, 'frame-0002.NEF'), 'not the same raw'); // someone else's file
      const reopened = await open();
      assert.strictEqual(await fs.readFile(path.join(reopened.rollFolder, 'frame-0002.JPG'), 'utf8'), 'jpg2');
      assert.strictEqual(
        await fs.readFile(path.join(reopened.rollFolder, 'frame-0002.NEF'), 'utf8'),
        'not the same raw',
      );
      assert.strictEqual(await fs.readFile(path.join(dir, 'frame-0002.NEF'), 'utf8'), 'raw2', 'kept where it was');
      assert.ok(
        logs.some((l) => /could not be finished for frame-0002\.NEF.*Both are kept/.test(l)),
        logs.join('\n'),
      );
    });

    it('no sequence of captures, rejects, reshoots, restores and counter changes loses or overwrites a file', async () => {
      const op = fc.oneof(
        fc.constant({ kind: 'capture' as const, raw: false }),
        fc.constant({ kind: 'capture' as const, raw: true }),
        fc.record({ kind: fc.constant('reject' as const), n: fc.integer({ min: 1, max: 3 }) }),
        fc.record({ kind: fc.constant('reshoot' as const), n: fc.integer({ min: 1, max: 3 }) }),
        fc.record({ kind: fc.constant('unreject' as const), n: fc.integer({ min: 1, max: 3 }) }),
        fc.record({ kind: fc.constant('counter' as const), n: fc.integer({ min: 1, max: 3 }) }),
        fc.constant({ kind: 'reopen' as const }),
      );
      await fc.assert(
        fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 14 }), async (ops) => {
          await fs.rm(out, { recursive: true, force: true });
          await fs.mkdir(out, { recursive: true });
          let s = await open();
          const written: string[] = [];
          let seq = 0;
          for (const o of ops) {
            try {
              if (o.kind === 'capture') {
                const files: Record<string, string> = { 'IMG.JPG': `jpeg ${++seq}` };
                if (o.raw) files['IMG.NEF'] = `raw ${seq}`;
                await capture(files, s);
                written.push(...Object.values(files));
              } else if (o.kind === 'reject') await s.rejectFrame(o.n);
              else if (o.kind === 'reshoot') await s.reshootFrame(o.n);
              else if (o.kind === 'unreject') await s.unrejectFrame(o.n);
              else if (o.kind === 'counter') await s.setNextFrame(o.n);
              else s = await open();
            } catch (err) {
              if (!(err instanceof RollEditError)) throw err;
            }
          }
          // Every byte ever filed is still under the roll: in it, or in rejected/.
          const found: string[] = [];
          const walk = async (dir: string): Promise<void> => {
            for (const e of await fs.readdir(dir, { withFileTypes: true })) {
              if (e.name.startsWith('.')) continue;
              if (e.isDirectory()) await walk(path.join(dir, e.name));
              else found.push(await fs.readFile(path.join(dir, e.name), 'utf8'));
            }
          };
          await walk(s.rollFolder);
          assert.deepStrictEqual(found.sort(), [...written].sort());
        }),
        { numRuns: 100 },
      );
    });
  });
});
