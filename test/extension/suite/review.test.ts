// Reviewing a roll through the commands, in a real extension host with the simulated camera in
// RAW+JPEG mode: reject and reshoot move files to rejected/ and never overwrite one, the counter
// stays right; roll details and frame labels reach every capture's XMP sidecars, read back with exiftool.
import * as assert from 'assert';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { exiftoolJson, exiftoolMissing } from '../../support/exiftool';
import { run, simulatorConfig } from '../cameraCommands';

interface Capture {
  frame: number;
  files: string[];
  roll: string;
}

const getState = () => run<{ nextFrame: number; folder: string; roll: string }>('getState');
const sha = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/** Every file under the roll (rejected/ included, hidden folders not), by content hash. */
function hashesUnder(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.')) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) for (const [h, f] of hashesUnder(p)) out.set(h, f);
    else out.set(sha(p), p);
  }
  return out;
}

describe('Reviewing a roll: reshoot, reject, sidecars', function () {
  this.timeout(120_000);

  before(async () => {
    simulatorConfig({ raw: true, captureWidth: 480, captureHeight: 320 });
    await vscode.extensions.getExtension('camera-tether.camera-tether')?.activate();
  });
  after(() => simulatorConfig({}));

  it('reject and reshoot move the old files to rejected/, never overwrite, and keep the counter right', async () => {
    await run('newRoll', 'ext-review');
    const shots: Capture[] = [];
    for (let i = 0; i < 3; i++) shots.push(await run<Capture>('capture'));
    assert.deepStrictEqual(
      shots.map((s) => s.frame),
      [1, 2, 3],
    );
    const folder = (await getState()).folder;
    const original = new Map(shots.flatMap((s) => s.files.map((f) => [f, sha(f)] as const)));

    const rejected = await run<{ frame: number; folder: string; files: string[]; nextFrame: number }>('rejectFrame', 2);
    assert.strictEqual(rejected.folder, path.join(folder, 'rejected', 'frame-0002.1'));
    assert.deepStrictEqual(fs.readdirSync(rejected.folder).sort(), ['frame-0002.JPG', 'frame-0002.NEF']);
    for (const f of shots[1].files)
      assert.strictEqual(
        sha(path.join(rejected.folder, path.basename(f))),
        original.get(f),
        `${path.basename(f)} moved, same bytes`,
      );
    assert.ok(!fs.readdirSync(folder).some((n) => n.startsWith('frame-0002')));
    assert.strictEqual(rejected.nextFrame, 4, 'a rejected number is not taken again by the counter');
    assert.strictEqual((await run<Capture>('capture')).frame, 4);
    // Rejecting the last frame does not hand its number to the next capture either (only a reshoot does).
    assert.strictEqual((await run<{ nextFrame: number }>('rejectFrame', 4)).nextFrame, 5);
    assert.strictEqual((await run<{ nextFrame: number }>('unrejectFrame', 4)).nextFrame, 5);

    const reshoot = await run<{ frame: number; nextFrame: number; rejected?: { folder: string } }>('reshootFrame', {
      frame: 3,
    });
    assert.strictEqual(reshoot.nextFrame, 3);
    assert.strictEqual((await getState()).nextFrame, 3, 'getState (and the status bar) show the frame to re-take');
    const again = await run<Capture>('capture');
    assert.strictEqual(again.frame, 3);
    assert.deepStrictEqual(again.files.map((f) => path.basename(f)).sort(), ['frame-0003.JPG', 'frame-0003.NEF']);
    for (const f of shots[2].files)
      assert.strictEqual(sha(path.join(folder, 'rejected', 'frame-0003.1', path.basename(f))), original.get(f));
    assert.notStrictEqual(sha(again.files[0]), original.get(shots[2].files[0]), 'a new picture under the old number');
    assert.strictEqual((await getState()).nextFrame, 5);

    // The same frame again: its second reject gets its own folder.
    await run('reshootFrame', 3);
    assert.strictEqual((await run<Capture>('capture')).frame, 3);
    assert.deepStrictEqual(fs.readdirSync(path.join(folder, 'rejected')).sort(), [
      'frame-0002.1',
      'frame-0003.1',
      'frame-0003.2',
    ]);

    await assert.rejects(
      run('unrejectFrame', 3),
      /Frame 3 of roll "ext-review" is taken by frame-0003\.JPG, frame-0003\.NEF/,
    );
    const back = await run<{ frame: number; files: string[]; nextFrame: number }>('unrejectFrame', { frame: 2 });
    assert.deepStrictEqual(back.files.map((f) => path.basename(f)).sort(), ['frame-0002.JPG', 'frame-0002.NEF']);
    for (const f of shots[1].files)
      assert.strictEqual(sha(f), original.get(f), `${path.basename(f)} is back, same bytes`);
    assert.strictEqual(back.nextFrame, 5);

    // Nothing was ever overwritten or lost: every picture ever filed is still under the roll.
    const all = hashesUnder(folder);
    for (const [file, hash] of original) assert.ok(all.has(hash), `${file}'s bytes are still under the roll`);
    assert.strictEqual(all.size, 6 * 2, 'frames 1-4 plus two reshoots of 3, two files each');
  });

  it('roll details and film-edge labels reach the XMP sidecars of every capture (read back with exiftool)', async function () {
    const missing = exiftoolMissing();
    if (missing) {
      console.log(`      skipped: ${missing}`);
      this.skip();
    }
    await run('newRoll', 'ext-film');
    const set = await run<{ roll: string; details: Record<string, unknown> }>('setRollDetails', {
      filmStock: 'Kodak Portra 400',
      filmIso: 400,
      format: '120',
      firstFrameLabel: '00',
    });
    assert.deepStrictEqual(set, {
      roll: 'ext-film',
      details: { filmStock: 'Kodak Portra 400', filmIso: 400, format: '120', firstFrameLabel: '00' },
    });
    assert.deepStrictEqual(await run('getRollDetails'), set);
    const shots: Capture[] = [];
    for (let i = 0; i < 3; i++) shots.push(await run<Capture>('capture'));
    const note = await run<{ frame: number; label: string; note?: string }>('setFrameNote', {
      frame: 3,
      label: '1A',
      note: 'light leak on the right',
    });
    assert.deepStrictEqual(note, { roll: 'ext-film', frame: 3, note: 'light leak on the right', label: '1A' });

    const sidecarsOf = (s: Capture) => [...s.files.map((f) => `${f}.xmp`), s.files[0].replace(/\.[^.]+$/, '.xmp')];
    const read = (s: Capture) => exiftoolJson(sidecarsOf(s), ['XMP-ctfilm:all']);
    const expectedLabels = ['00', '0', '1A'];
    for (const [i, s] of shots.entries()) {
      const tags = read(s);
      assert.strictEqual(tags.length, 3, `three sidecars for frame ${s.frame}`);
      for (const t of tags) {
        assert.strictEqual(t.FilmStock, 'Kodak Portra 400', String(t.SourceFile));
        assert.strictEqual(t.FilmISO, 400);
        assert.strictEqual(String(t.FrameLabel), expectedLabels[i], String(t.SourceFile));
        assert.strictEqual(t.Frame, s.frame);
      }
    }
    assert.strictEqual(read(shots[2])[0].FrameNote, 'light leak on the right');

    // Changing the details rewrites every sidecar of the roll.
    await run('setRollDetails', { filmStock: 'Kodak Portra 800', filmIso: 800 });
    for (const s of shots)
      for (const t of read(s)) assert.deepStrictEqual([t.FilmStock, t.FilmISO], ['Kodak Portra 800', 800]);
  });

  it('bad details and unknown frames are refused with a message that says what is accepted', async () => {
    await assert.rejects(run('setRollDetails', { filmIso: 'fast' }), /filmIso must be a whole number from 1 to 51200/);
    await assert.rejects(run('setRollDetails', { film_stock: 'x' }), /Unknown roll detail "film_stock"/);
    await assert.rejects(run('rejectFrame', 99), /Roll "ext-film" has no frame 99 \(its frames are 1-3\)/);
    await assert.rejects(run('rejectFrame', 'two'), /takes a frame number/);
    assert.strictEqual((await run<{ details: { filmIso: number } }>('getRollDetails')).details.filmIso, 800);
  });
});
