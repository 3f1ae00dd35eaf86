import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { JpegSplitter } from '../../src/camera/jpegSplitter';
import { isCompleteJpegBuffer } from '../../src/camera/downloadedFiles';
import { SIMULATOR_SCRIPT } from '../support/simulatorHarness';

/** Real frames from the simulator's live view (a real JPEG encoder). */
function realFrames(n: number): Buffer[] {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-split-'));
  try {
    const r = spawnSync(process.execPath, [SIMULATOR_SCRIPT, `--capture-movie=${n - 1}`, '--stdout'], {
      env: {
        ...process.env,
        CAMERA_TETHER_SIM_HOME: home,
        CAMERA_TETHER_SIM_CONFIG: JSON.stringify({ liveViewFps: 240, liveViewWidth: 160, liveViewHeight: 106 }),
      },
      maxBuffer: 64 * 1024 * 1024,
    });
    const frames: Buffer[] = [];
    new JpegSplitter((f) => frames.push(f)).push(r.stdout);
    assert.strictEqual(frames.length, n, `simulator gave ${frames.length} frames`);
    return frames;
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}

/** A tiny deterministic PRNG so failures are reproducible. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
}

function feed(data: Buffer, random: () => number, maxChunk: number): { frames: Buffer[]; splitter: JpegSplitter } {
  const frames: Buffer[] = [];
  const splitter = new JpegSplitter((f) => frames.push(f));
  let i = 0;
  while (i < data.length) {
    const n = 1 + Math.floor(random() * maxChunk);
    splitter.push(data.subarray(i, i + n));
    i += n;
  }
  return { frames, splitter };
}

/** A JPEG whose APP1 segment holds a complete thumbnail JPEG (with its own FF D9). */
function withThumbnail(frame: Buffer, thumb: Buffer): Buffer {
  const payload = Buffer.concat([Buffer.from('Exif\0\0'), thumb]);
  const app1 = Buffer.alloc(4);
  app1.writeUInt16BE(0xffe1, 0);
  app1.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([frame.subarray(0, 2), app1, payload, frame.subarray(2)]);
}

describe('JpegSplitter', () => {
  let frames: Buffer[];
  before(() => (frames = realFrames(12)));

  it('splits real frames identically under 200 random chunkings (1 byte to 64 KB)', () => {
    const stream = Buffer.concat(frames);
    const random = rng(42);
    for (let round = 0; round < 200; round++) {
      const maxChunk = [1, 3, 17, 512, 4096, 65536][round % 6];
      const { frames: out, splitter } = feed(stream, random, maxChunk);
      assert.strictEqual(out.length, frames.length, `round ${round}, chunks up to ${maxChunk}`);
      out.forEach((f, i) => assert.ok(f.equals(frames[i]), `frame ${i} differs in round ${round}`));
      assert.strictEqual(splitter.buffered, 0);
      assert.deepStrictEqual(splitter.stats, { frames: frames.length, truncated: 0, garbageBytes: 0 });
    }
  });

  it('skips garbage between frames and counts it', () => {
    const junk = Buffer.from([0x00, 0xff, 0x00, 0x12, 0xff, 0xff, 0xd9, 0x55]);
    const stream = Buffer.concat([junk, frames[0], junk, frames[1], junk]);
    const { frames: out, splitter } = feed(stream, rng(7), 100);
    assert.strictEqual(out.length, 2);
    assert.ok(out[0].equals(frames[0]) && out[1].equals(frames[1]));
    assert.ok(splitter.stats.garbageBytes >= junk.length * 2);
  });

  it('drops a truncated frame when the next one starts, and keeps the rest', () => {
    const cut = frames[1].subarray(0, Math.floor(frames[1].length / 2));
    const stream = Buffer.concat([frames[0], cut, frames[2], frames[3]]);
    const { frames: out, splitter } = feed(stream, rng(9), 333);
    assert.deepStrictEqual(
      out.map((f) => frames.findIndex((g) => g.equals(f))),
      [0, 2, 3],
    );
    assert.strictEqual(splitter.stats.truncated, 1);
    for (const f of out) assert.ok(isCompleteJpegBuffer(f));
  });

  it("is not fooled by an embedded thumbnail's end marker", () => {
    const big = withThumbnail(frames[4], frames[5]);
    const { frames: out } = feed(Buffer.concat([big, frames[6]]), rng(3), 50);
    assert.strictEqual(out.length, 2);
    assert.ok(out[0].equals(big), 'the whole frame including its thumbnail');
    assert.ok(out[1].equals(frames[6]));
  });

  it('holds an unfinished frame until the rest arrives', () => {
    const got: Buffer[] = [];
    const s = new JpegSplitter((f) => got.push(f));
    s.push(frames[0].subarray(0, frames[0].length - 1));
    assert.strictEqual(got.length, 0);
    assert.strictEqual(s.buffered, frames[0].length - 1);
    s.push(frames[0].subarray(frames[0].length - 1));
    assert.strictEqual(got.length, 1);
  });
});
