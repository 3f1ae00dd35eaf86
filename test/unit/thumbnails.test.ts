// Thumbnails for the filmstrip: the scaled JPEG decoder against jpeg-js (a reference decoder) on
// libjpeg-made files, the embedded previews of NEF (the simulator's), CR3, RAF and camera JPEGs
// compared with what exiftool extracts, and the cache: made once, keyed so a reshoot makes a new one,
// a file without a preview marked, the same request made once, in worker threads.
import * as assert from 'assert';
import fc from 'fast-check';
import { promises as fs } from 'fs';
import * as jpegJs from 'jpeg-js';
import * as path from 'path';
import { CaptureStore } from '../../src/capture/captureStore';
import { findPreviews } from '../../src/capture/embeddedPreview';
import { parseFilenamePattern } from '../../src/capture/fileNaming';
import { decodeJpegScaled, JpegUnsupported, readJpegHeader, type RgbImage } from '../../src/capture/jpegScaled';
import { fit, makeThumbnail } from '../../src/capture/thumbnailMaker';
import { frameTag, THUMBNAIL_FOLDER, ThumbnailService } from '../../src/capture/thumbnails';
import { renderRaw } from '../../src/simulator/image/rawFile';
import { exiftoolBinary, exiftoolMissing } from '../support/exiftool';
import {
  cardJpeg,
  cr2With,
  cr3With,
  dngWith,
  jpegWithExifThumbnail,
  rafWith,
  rw2With,
  tiffWithLosslessOnly,
} from '../support/rawSamples';
import { PROJECT_ROOT, tempDir } from '../support/simulatorHarness';

const FIXTURES = path.join(PROJECT_ROOT, 'test', 'fixtures', 'jpeg');
const WORKER = path.join(PROJECT_ROOT, 'dist', 'thumbnailWorker.js');

/** PSNR of `img` against the reference decode box-averaged by `f` (dB; higher is closer). */
function psnrAgainstReference(jpeg: Buffer, img: RgbImage, f: number): number {
  const ref = jpegJs.decode(jpeg, { useTArray: true, formatAsRGBA: true });
  let se = 0;
  let n = 0;
  for (let y = 0; y < Math.floor(ref.height / f); y++)
    for (let x = 0; x < Math.floor(ref.width / f); x++)
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        for (let yy = 0; yy < f; yy++)
          for (let xx = 0; xx < f; xx++) sum += ref.data[((y * f + yy) * ref.width + x * f + xx) * 4 + c];
        const d = img.data[(y * img.width + x) * 3 + c] - sum / (f * f);
        se += d * d;
        n++;
      }
  return se === 0 ? Infinity : 10 * Math.log10((255 * 255) / (se / n));
}

describe('Thumbnails', function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(async () => {
    dir = await tempDir('ct-thumbs-');
  });
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  describe('the scaled JPEG decoder', () => {
    const samples = async (): Promise<[string, Buffer][]> => [
      ...(await Promise.all(
        ['gray-80x60.jpg', 'ycc422-restart3-81x61.jpg', 'ycc444-restartrow-64x40.jpg', 'ycc420-97x75.jpg'].map(
          async (n): Promise<[string, Buffer]> => [n, await fs.readFile(path.join(FIXTURES, n))],
        ),
      )),
      ['simulator card 600x400', cardJpeg(600, 400)],
    ];

    it('matches jpeg-js at full size and at 1/2, 1/4, 1/8 (grey, 4:2:2 with restarts, 4:4:4, odd 4:2:0 sizes)', async () => {
      for (const [name, jpeg] of await samples()) {
        const header = readJpegHeader(jpeg);
        assert.ok(header, name);
        for (const scale of [8, 4, 2, 1] as const) {
          const img = decodeJpegScaled(jpeg, scale);
          assert.strictEqual(img.width, Math.ceil((header.width * scale) / 8), `${name} width at ${scale}/8`);
          assert.strictEqual(img.height, Math.ceil((header.height * scale) / 8), `${name} height at ${scale}/8`);
          const psnr = psnrAgainstReference(jpeg, img, 8 / scale);
          // The same pixels as the full decode box-averaged to that size, give or take rounding (about 50 dB).
          assert.ok(psnr > 45, `${name} at ${scale}/8: PSNR ${psnr.toFixed(1)} dB`);
        }
      }
    });

    it('with coarse chroma (for thumbnails scaled down further) it is as good once halved again', () => {
      const card = cardJpeg(600, 400);
      for (const scale of [4, 2] as const) {
        const img = decodeJpegScaled(card, scale, { fineChroma: false });
        const halved = fit(img, Math.max(img.width, img.height) / 2);
        const psnr = psnrAgainstReference(card, halved, 16 / scale);
        assert.ok(psnr > 40, `at ${scale}/16: PSNR ${psnr.toFixed(1)} dB`);
      }
    });

    it('refuses progressive JPEGs and what is not a JPEG; a truncated one decodes to its size without hanging', async () => {
      const progressive = await fs.readFile(path.join(FIXTURES, 'progressive-64x48.jpg'));
      assert.throws(
        () => decodeJpegScaled(progressive, 1),
        (e: unknown) => e instanceof JpegUnsupported && /progressive/.test(e.message),
      );
      assert.throws(() => decodeJpegScaled(Buffer.from('II*\0'), 1), JpegUnsupported);
      const card = cardJpeg(320, 240);
      const cut = decodeJpegScaled(card.subarray(0, Math.floor(card.length / 2)), 2);
      assert.deepStrictEqual([cut.width, cut.height], [80, 60]);
    });

    it('survives hostile bytes after a valid header: a result or JpegUnsupported, never a crash or a hang', () => {
      const card = cardJpeg(64, 48);
      const sos = card.indexOf(Buffer.from([0xff, 0xda]));
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 0, maxLength: 600 }), fc.nat(card.length), (noise, at) => {
          const bytes = Buffer.concat([card.subarray(0, Math.max(sos + 2, at)), Buffer.from(noise)]);
          try {
            decodeJpegScaled(bytes, 2);
          } catch (err) {
            if (!(err instanceof JpegUnsupported) && !(err instanceof RangeError)) throw err;
          }
        }),
        { numRuns: 300 },
      );
    });
  });

  describe('embedded previews, compared with exiftool', () => {
    const thumb = cardJpeg(160, 120, 'THUMB');
    const preview = cardJpeg(1620, 1080, 'PREVIEW');
    const write = async (name: string, bytes: Buffer): Promise<string> => {
      const file = path.join(dir, name);
      await fs.writeFile(file, bytes);
      return file;
    };
    const slice = async (file: string, c: { offset: number; length: number }) =>
      (await fs.readFile(file)).subarray(c.offset, c.offset + c.length);
    const sameAsExiftool = (file: string, tag: string, bytes: Buffer): void => {
      if (exiftoolMissing()) return; // the byte comparison with what we embedded still ran
      assert.ok(
        exiftoolBinary(file, tag).equals(bytes),
        `exiftool -${tag} extracts the same bytes from ${path.basename(file)}`,
      );
    };

    it("the simulator's NEF: the SubIFD preview (exiftool's JpgFromRaw); without one, none", async () => {
      const nef = await write(
        'a.NEF',
        renderRaw('Nikon D750', 6016, 4016, 7, { jpeg: preview, width: 1620, height: 1080 }),
      );
      const scan = await findPreviews(nef);
      assert.deepStrictEqual(
        scan.candidates.map((c) => [c.where, c.width, c.height]),
        [['SubIFD 0 JPEG', 1620, 1080]],
      );
      const bytes = await slice(nef, scan.candidates[0]);
      assert.ok(bytes.equals(preview));
      sameAsExiftool(nef, 'JpgFromRaw', bytes);
      const bare = await write('b.NEF', renderRaw('Nikon D750', 6016, 4016, 8));
      assert.deepStrictEqual((await findPreviews(bare)).candidates, []);
      const r = await makeThumbnail(bare, path.join(dir, 'b.jpg'));
      assert.deepStrictEqual(r, { made: false, reason: 'no JPEG preview this decoder can read in the TIFF file' });
      await assert.rejects(fs.stat(path.join(dir, 'b.jpg')));
    });

    it('CR3: THMB and PRVW; RAF: the header JPEG; a DNG whose only JPEG is lossless raw data: none', async () => {
      const cr3 = await write(
        'c.CR3',
        cr3With({ jpeg: thumb, width: 160, height: 120 }, { jpeg: preview, width: 1620, height: 1080 }),
      );
      const c = await findPreviews(cr3);
      assert.deepStrictEqual(
        c.candidates.map((x) => [x.where, x.width, x.height]),
        [
          ['CR3 PRVW', 1620, 1080],
          ['CR3 THMB', 160, 120],
        ],
      );
      assert.ok((await slice(cr3, c.candidates[0])).equals(preview));
      assert.ok((await slice(cr3, c.candidates[1])).equals(thumb));
      sameAsExiftool(cr3, 'PreviewImage', preview);
      sameAsExiftool(cr3, 'ThumbnailImage', thumb);
      const raf = await write('d.RAF', rafWith(preview));
      const r = await findPreviews(raf);
      assert.deepStrictEqual(
        r.candidates.map((x) => x.where),
        ['RAF preview'],
      );
      assert.ok((await slice(raf, r.candidates[0])).equals(preview));
      sameAsExiftool(raf, 'PreviewImage', preview);
      assert.deepStrictEqual((await findPreviews(await write('e.DNG', tiffWithLosslessOnly()))).candidates, []);
    });

    it('CR2 (IFD0 strip), RW2 (JpgFromRaw), DNG (IFD0 preview beside lossless raw data); CR2 orientation 8 comes out upright', async () => {
      const samples: [string, Buffer, string, string][] = [
        ['h.CR2', cr2With(preview, 1620, 1080, 8), 'IFD0 strip', 'PreviewImage'],
        ['i.RW2', rw2With(preview), 'RW2 JpgFromRaw', 'JpgFromRaw'],
        ['j.DNG', dngWith(preview, 1620, 1080), 'IFD0 strip', 'PreviewImage'],
      ];
      for (const [name, bytes, where, tag] of samples) {
        const file = await write(name, bytes);
        const scan = await findPreviews(file);
        assert.deepStrictEqual(
          scan.candidates.map((c) => c.where),
          [where],
          name,
        );
        assert.ok((await slice(file, scan.candidates[0])).equals(preview), name);
        sameAsExiftool(file, tag, preview);
      }
      assert.deepStrictEqual(await makeThumbnail(path.join(dir, 'h.CR2'), path.join(dir, 'h.jpg')), {
        made: true,
        width: 171,
        height: 256,
        from: 'IFD0 strip',
      });
    });

    it('a camera JPEG: its own image and the Exif thumbnail; the thumbnail comes out upright (orientation 6)', async () => {
      const jpg = await write('f.JPG', jpegWithExifThumbnail(cardJpeg(1200, 800, 'MAIN'), thumb, 6));
      const scan = await findPreviews(jpg);
      assert.strictEqual(scan.orientation, 6);
      assert.deepStrictEqual(
        scan.candidates.map((x) => x.where),
        ['the image', 'IFD1 JPEG'],
      );
      sameAsExiftool(jpg, 'ThumbnailImage', await slice(jpg, scan.candidates[1]));
      const out = path.join(dir, 'f-thumb.jpg');
      // 1200 px is at least 256 at 1/4: the main image, not the 160 px Exif thumbnail.
      assert.deepStrictEqual(await makeThumbnail(jpg, out), { made: true, width: 171, height: 256, from: 'the image' });
      const decoded = jpegJs.decode(await fs.readFile(out));
      assert.deepStrictEqual([decoded.width, decoded.height], [171, 256]);
    });

    it('a RAW with a large preview and a small one decodes the smallest that is still big enough', async () => {
      const cr3 = await write(
        'g.CR3',
        cr3With({ jpeg: cardJpeg(300, 200), width: 300, height: 200 }, { jpeg: preview, width: 1620, height: 1080 }),
      );
      assert.deepStrictEqual(await makeThumbnail(cr3, path.join(dir, 'g.jpg')), {
        made: true,
        width: 256,
        height: 171,
        from: 'CR3 THMB',
      });
    });
  });

  describe('the cache beside the roll', () => {
    let store: CaptureStore;
    const groups = (frames: Map<number, { images: string[] }>) =>
      new Map([...frames].map(([n, f]) => [frameTag(n), f.images] as const));
    const jpegFrame = (title: string) => cardJpeg(640, 426, title);
    const capture = async (files: Record<string, Buffer>): Promise<number> => {
      const staging = await store.newStagingDir();
      const staged = [];
      for (const [name, bytes] of Object.entries(files)) {
        const p = path.join(staging, name);
        await fs.writeFile(p, bytes);
        staged.push({ path: p, bytes: bytes.length, extension: path.extname(name).slice(1) });
      }
      return (await store.commitFrame(staged)).frame;
    };

    beforeEach(async () => {
      store = new CaptureStore(dir, parseFilenamePattern('frame-{frame:04}'), 'roll-1');
      await store.openRoll('roll-1');
      await capture({ 'IMG_0001.JPG': jpegFrame('ONE') });
      await capture({
        'IMG_0002.NEF': renderRaw('Nikon D750', 640, 426, 2, { jpeg: jpegFrame('TWO-RAW'), width: 640, height: 426 }),
        'IMG_0002.JPG': jpegFrame('TWO'),
      });
      await capture({
        'IMG_0003.NEF': renderRaw('Nikon D750', 640, 426, 3, { jpeg: jpegFrame('THREE'), width: 640, height: 426 }),
      });
      await capture({ 'IMG_0004.NEF': renderRaw('Nikon D750', 640, 426, 4) });
    });

    for (const mode of ['worker threads', 'this thread'] as const) {
      it(`made once on demand (${mode}); listed cheaply; a file without a preview is marked, not retried`, async () => {
        const service = new ThumbnailService({ workerScript: mode === 'worker threads' ? WORKER : null, idleMs: 50 });
        try {
          assert.strictEqual(service.usesWorkers, mode === 'worker threads');
          const frames = await store.frameFiles();
          const before = await service.list(store.rollFolder, groups(frames));
          assert.deepStrictEqual(
            [...before.values()].map((t) => [path.basename(t.source ?? ''), t.path, t.none]),
            [
              ['frame-0001.JPG', undefined, false],
              ['frame-0002.JPG', undefined, false],
              ['frame-0003.NEF', undefined, false],
              ['frame-0004.NEF', undefined, false],
            ],
          );
          const made = await Promise.all(
            [1, 2, 3, 4].map((n) => service.thumbnail(store.rollFolder, frameTag(n), frames.get(n)?.images ?? [])),
          );
          assert.deepStrictEqual(
            made.map((p) => (p ? path.dirname(p) : p)),
            [...Array(3).fill(path.join(store.rollFolder, THUMBNAIL_FOLDER)), undefined],
          );
          for (const p of made.slice(0, 3)) {
            const img = jpegJs.decode(await fs.readFile(p as string));
            assert.deepStrictEqual([img.width, img.height], [256, 170]);
          }
          const after = await service.list(store.rollFolder, groups(frames));
          assert.deepStrictEqual(
            [...after.values()].map((t) => [t.path, t.none]),
            [
              [made[0], false],
              [made[1], false],
              [made[2], false],
              [undefined, true],
            ],
          );
          // Asked again: the same files, not made again.
          const stats = await Promise.all(made.slice(0, 3).map((p) => fs.stat(p as string)));
          const again = await Promise.all(
            [1, 2, 3, 4].map((n) => service.thumbnail(store.rollFolder, frameTag(n), frames.get(n)?.images ?? [])),
          );
          assert.deepStrictEqual(again, made);
          const stats2 = await Promise.all(made.slice(0, 3).map((p) => fs.stat(p as string)));
          assert.deepStrictEqual(
            stats2.map((s) => s.mtimeMs),
            stats.map((s) => s.mtimeMs),
          );
          assert.match(
            await fs.readFile(
              path.join(
                store.rollFolder,
                THUMBNAIL_FOLDER,
                (await fs.readdir(path.join(store.rollFolder, THUMBNAIL_FOLDER))).find((n) =>
                  n.endsWith('.none'),
                ) as string,
              ),
              'utf8',
            ),
            /frame-0004\.NEF: no JPEG preview/,
          );
        } finally {
          await service.dispose();
        }
      });
    }

    it('a reshoot makes a new thumbnail (the old one is dropped); five requests at once make one', async () => {
      const service = new ThumbnailService({ workerScript: WORKER, idleMs: 50 });
      try {
        let frames = await store.frameFiles();
        const first = await service.thumbnail(store.rollFolder, frameTag(1), frames.get(1)?.images ?? []);
        await store.reshootFrame(1);
        assert.strictEqual(await capture({ 'IMG_0005.JPG': jpegFrame('ONE AGAIN') }), 1);
        frames = await store.frameFiles();
        assert.strictEqual(
          (await service.list(store.rollFolder, groups(frames))).get(frameTag(1))?.path,
          undefined,
          'the cached one is for the old file',
        );
        const five = await Promise.all(
          Array.from({ length: 5 }, () =>
            service.thumbnail(store.rollFolder, frameTag(1), frames.get(1)?.images ?? []),
          ),
        );
        assert.strictEqual(new Set(five).size, 1);
        assert.notStrictEqual(five[0], first);
        const cached = (await fs.readdir(path.join(store.rollFolder, THUMBNAIL_FOLDER))).filter((n) =>
          n.startsWith('000001-'),
        );
        assert.deepStrictEqual(cached, [path.basename(five[0] as string)]);
      } finally {
        await service.dispose();
      }
    });
  });
});
