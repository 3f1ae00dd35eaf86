import * as assert from 'assert';
import { promises as fs } from 'fs';
import * as path from 'path';
import { CaptureStore, STAGING_FOLDER } from '../../src/capture/captureStore';
import { parseFilenamePattern } from '../../src/capture/fileNaming';
import { tempDir } from '../support/simulatorHarness';
import { stage } from '../support/stagedFiles';

describe('CaptureStore', () => {
  let out: string;
  let store: CaptureStore;
  beforeEach(async () => {
    out = await tempDir('ct-store-');
    store = new CaptureStore(out, parseFilenamePattern('frame-{frame:04}'), 'roll-1');
    await store.openRoll('roll-1');
  });
  afterEach(() => fs.rm(out, { recursive: true, force: true }));

  it('numbers frames from 1 and derives the next number from the files on disk', async () => {
    const a = await store.commitFrame(await stage(store, { 'IMG_0001.JPG': 'one' }));
    const b = await store.commitFrame(await stage(store, { 'IMG_0002.JPG': 'two' }));
    assert.deepStrictEqual([a.frame, b.frame], [1, 2]);
    assert.deepStrictEqual((await fs.readdir(store.rollFolder)).sort(), ['frame-0001.JPG', 'frame-0002.JPG']);
    // A fresh store (a restart, another window) continues after the highest number on disk.
    const again = new CaptureStore(out, parseFilenamePattern('frame-{frame:04}'), 'roll-1');
    assert.strictEqual(await again.nextFrame(), 3);
  });

  it('gives RAW and JPEG of one exposure the same frame number', async () => {
    const r = await store.commitFrame(await stage(store, { 'IMG_0001.JPG': 'jpeg', 'IMG_0001.NEF': 'raw' }));
    assert.strictEqual(r.frame, 1);
    assert.deepStrictEqual(r.files.map((f) => f.name).sort(), ['frame-0001.JPG', 'frame-0001.NEF']);
    assert.strictEqual(await store.nextFrame(), 2);
  });

  it('never overwrites: a re-shot frame number gets a distinct name and the original keeps its bytes', async () => {
    await store.commitFrame(await stage(store, { 'IMG_0001.JPG': 'original-1' }));
    await store.commitFrame(await stage(store, { 'IMG_0002.JPG': 'original-2' }));
    assert.strictEqual(await store.setNextFrame(1), 1);
    const reshot = await store.commitFrame(await stage(store, { 'IMG_0003.JPG': 'reshot-1' }));
    assert.strictEqual(reshot.frame, 1);
    assert.strictEqual(reshot.files[0].name, 'frame-0001_2.JPG');
    assert.strictEqual(await fs.readFile(path.join(store.rollFolder, 'frame-0001.JPG'), 'utf8'), 'original-1');
    assert.strictEqual(await fs.readFile(path.join(store.rollFolder, 'frame-0001_2.JPG'), 'utf8'), 'reshot-1');
    assert.strictEqual(await store.nextFrame(), 2, 'the set counter advances from where the user put it');
  });

  it('keeps the set counter across a restart', async () => {
    await store.setNextFrame(40);
    const again = new CaptureStore(out, parseFilenamePattern('frame-{frame:04}'), 'roll-1');
    assert.strictEqual(await again.nextFrame(), 40);
  });

  it('test captures go to their own folder and leave the roll and its counter alone', async () => {
    await store.commitFrame(await stage(store, { 'IMG_0001.JPG': 'one' }));
    const before = await fs.readdir(store.rollFolder);
    const t1 = await store.commitTest(await stage(store, { 'IMG_0002.JPG': 'test' }), new Date(2026, 0, 1, 12, 0, 0));
    const t2 = await store.commitTest(await stage(store, { 'IMG_0003.JPG': 'test2' }), new Date(2026, 0, 1, 12, 0, 0));
    assert.notStrictEqual(t1.files[0].path, t2.files[0].path, 'same second, still distinct names');
    assert.deepStrictEqual(await fs.readdir(store.rollFolder), before);
    assert.strictEqual(await store.nextFrame(), 2);
  });

  it('a new roll starts at frame 1 in its own folder', async () => {
    await store.commitFrame(await stage(store, { 'IMG_0001.JPG': 'one' }));
    const info = await store.openRoll('roll-2');
    assert.strictEqual(info.nextFrame, 1);
    assert.strictEqual(info.folder, path.join(out, 'roll-2'));
  });

  it('staging folders live beside the rolls, on the same file system, and start empty', async () => {
    const dir = await store.newStagingDir();
    assert.strictEqual(path.dirname(dir), path.join(out, STAGING_FOLDER));
    assert.deepStrictEqual(await fs.readdir(dir), []);
  });

  it('refuses roll names that would leave the output folder', async () => {
    await assert.rejects(store.openRoll('../escape'), /contains/);
    await assert.rejects(store.openRoll('test-captures'), /test captures/);
  });
});
