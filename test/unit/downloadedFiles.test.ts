import * as assert from 'assert';
import { spawnSync } from 'child_process';
import { promises as fs } from 'fs';
import * as path from 'path';
import { filesSignature, isCompleteJpeg, listDownloaded } from '../../src/camera/downloadedFiles';
import { SIMULATOR_SCRIPT, tempDir } from '../support/simulatorHarness';

describe('downloadedFiles: judging what gphoto2 left on disk', () => {
  let dir: string;
  let jpeg: Buffer;
  before(async () => {
    const home = await tempDir('ct-dl-sim-');
    const r = spawnSync(process.execPath, [SIMULATOR_SCRIPT, '--capture-preview', '--stdout'], {
      env: { ...process.env, CAMERA_TETHER_SIM_HOME: home },
    });
    jpeg = r.stdout;
    await fs.rm(home, { recursive: true, force: true });
    assert.ok(jpeg.length > 1000, 'a real JPEG from the simulator');
  });
  beforeEach(async () => (dir = await tempDir('ct-dl-')));
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  it('a whole JPEG is complete, also with padding after its end marker', async () => {
    await fs.writeFile(path.join(dir, 'a.JPG'), jpeg);
    await fs.writeFile(path.join(dir, 'b.jpg'), Buffer.concat([jpeg, Buffer.alloc(500)]));
    assert.ok(await isCompleteJpeg(path.join(dir, 'a.JPG')));
    assert.ok(await isCompleteJpeg(path.join(dir, 'b.jpg')));
  });

  it("a truncated JPEG, an empty file and gphoto2's unfinished tmpfile are not complete", async () => {
    await fs.writeFile(path.join(dir, 'cut.JPG'), jpeg.subarray(0, Math.floor(jpeg.length / 2)));
    await fs.writeFile(path.join(dir, 'empty.NEF'), '');
    await fs.writeFile(path.join(dir, 'tmpfileAb12Cd'), jpeg.subarray(0, 100));
    await fs.writeFile(path.join(dir, 'raw.NEF'), 'II*\0raw');
    const files = await listDownloaded(dir);
    assert.deepStrictEqual(
      files.map((f) => [path.basename(f.path), f.complete]),
      [
        ['cut.JPG', false],
        ['empty.NEF', false],
        ['raw.NEF', true],
        ['tmpfileAb12Cd', false],
      ],
    );
    assert.notStrictEqual(
      filesSignature(files),
      filesSignature(files.slice(1)),
      'the signature changes with the file set',
    );
  });

  it('a missing folder lists nothing', async () => {
    assert.deepStrictEqual(await listDownloaded(path.join(dir, 'nope')), []);
  });
});
