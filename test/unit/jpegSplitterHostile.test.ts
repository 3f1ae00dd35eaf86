// The live-view splitter reads bytes from a camera, or from whatever sits at the gphoto2 path: its
// work must stay linear and its memory bounded on any stream (issue 9, item 10). The timing runs in
// a worker thread so that a quadratic splitter fails the test instead of hanging it.
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { isMainThread, parentPort, Worker } from 'worker_threads';
import { JpegSplitter } from '../../src/camera/jpegSplitter';
import { frameStart, hostileStreams, largeFrame, nestedStarts, repeatTo } from '../support/hostileJpeg';
import { SIMULATOR_SCRIPT } from '../support/simulatorHarness';
import { askWorker } from '../support/workerRequest';

const MB = 1024 * 1024;
const CHUNK = 64 * 1024;
/** Best of this many runs each, interleaved, so one GC pause or a busy neighbour does not decide. */
const RUNS = 5;
/** A hostile stream may cost this many times real frames of the same size. */
const MAX_RATIO = 8;
/** The worker is stopped (and the test fails) when its runs on one stream take this many times one split of the real frames. */
const HANG_RATIO = 1000;

function split(stream: Buffer, chunk = CHUNK): { frames: Buffer[]; splitter: JpegSplitter } {
  const frames: Buffer[] = [];
  const splitter = new JpegSplitter((f) => frames.push(f));
  for (let i = 0; i < stream.length; i += chunk) splitter.push(stream.subarray(i, i + chunk));
  return { frames, splitter };
}

function timeSplit(stream: Buffer): number {
  const t = performance.now();
  split(stream);
  return performance.now() - t;
}

interface Job {
  hostile: Uint8Array;
  benign: Uint8Array;
}

interface Timing {
  hostileMs: number;
  benignMs: number;
}

if (!isMainThread) {
  parentPort?.on('message', (job: Job) => {
    const hostile = Buffer.from(job.hostile.buffer, job.hostile.byteOffset, job.hostile.byteLength);
    const benign = Buffer.from(job.benign.buffer, job.benign.byteOffset, job.benign.byteLength);
    let hostileMs = Infinity;
    let benignMs = Infinity;
    for (let i = 0; i < RUNS; i++) {
      benignMs = Math.min(benignMs, timeSplit(benign));
      hostileMs = Math.min(hostileMs, timeSplit(hostile));
    }
    parentPort?.postMessage({ hostileMs, benignMs } satisfies Timing);
  });
} else {
  /** Real 640x424 live-view frames from the simulator's JPEG encoder. */
  function realFrames(n: number): Buffer[] {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-split-hostile-'));
    try {
      const r = spawnSync(process.execPath, [SIMULATOR_SCRIPT, `--capture-movie=${n - 1}`, '--stdout'], {
        env: {
          ...process.env,
          CAMERA_TETHER_SIM_HOME: home,
          CAMERA_TETHER_SIM_CONFIG: JSON.stringify({ liveViewFps: 240, liveViewWidth: 640, liveViewHeight: 424 }),
        },
        maxBuffer: 64 * MB,
      });
      const { frames } = split(r.stdout);
      assert.strictEqual(frames.length, n, `the simulator gave ${frames.length} frames`);
      return frames;
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  }

  describe('JpegSplitter on hostile streams (linear work, bounded memory)', function () {
    this.timeout(120_000);
    let frames: Buffer[];
    before(() => (frames = realFrames(30)));

    it('still finds a frame that starts inside a broken one (a corrupt length jumped over its start)', () => {
      // Frame A's first segment claims a length that runs past A's end into frame B.
      let k = 100;
      while (frames[1][k] === 0xff) k++;
      const payload = Buffer.alloc(300, 0x11);
      const head = Buffer.from([0xff, 0xd8, 0xff, 0xe3, 0, 0]);
      head.writeUInt16BE(2 + payload.length + k, 4);
      const bad = Buffer.concat([head, payload]);
      const stream = Buffer.concat([bad, frames[1], frames[2]]);
      for (const chunk of [1, 7, 4096, CHUNK]) {
        const { frames: out, splitter } = split(stream, chunk);
        assert.deepStrictEqual(
          out.map((f) => frames.findIndex((g) => g.equals(f))),
          [1, 2],
          `chunks of ${chunk}`,
        );
        assert.ok(splitter.stats.truncated >= 1);
      }
    });

    it('after frames nested in frames that keep breaking, the real frames behind them come out', () => {
      const stream = Buffer.concat([
        frames[0],
        nestedStarts(50_000),
        frames[1],
        repeatTo(Buffer.from([0xff, 0xd8, 0x00]), 30_000),
        frames[2],
      ]);
      const { frames: out, splitter } = split(stream);
      assert.deepStrictEqual(
        out.map((f) => frames.findIndex((g) => g.equals(f))),
        [0, 1, 2],
      );
      assert.strictEqual(splitter.buffered, 0);
    });

    it('costs about what real frames of the same size cost, on every hostile stream (4 MB each, in a worker)', async () => {
      const benign = repeatTo(Buffer.concat(frames), 4 * MB);
      const worker = new Worker(__filename);
      worker.unref();
      const results: string[] = [];
      try {
        for (const [name, hostile] of Object.entries(hostileStreams(4 * MB))) {
          const mainBenignMs = Math.min(timeSplit(benign), timeSplit(benign));
          // Only a hang guard, from a baseline measured here; the assertion is the ratio below.
          const guardMs = Math.max(HANG_RATIO * mainBenignMs, 2000);
          const t = await askWorker<Timing>(
            worker,
            { hostile, benign } satisfies Job,
            guardMs,
            () =>
              `"${name}" (4 MB) was not split ${RUNS} times within ${Math.round(guardMs)} ms, ${HANG_RATIO}x what one split of real frames of the same size took (${mainBenignMs.toFixed(1)} ms); the worker was stopped`,
          );
          const ratio = t.hostileMs / t.benignMs;
          results.push(`${name} ${ratio.toFixed(2)}`);
          assert.ok(
            ratio <= MAX_RATIO,
            `"${name}": ${t.hostileMs.toFixed(1)} ms for 4 MB, ${ratio.toFixed(1)}x real frames of the same size (${t.benignMs.toFixed(1)} ms); allowed ${MAX_RATIO}x`,
          );
        }
      } finally {
        await worker.terminate();
      }
      console.log(`      (hostile / real frames, 4 MB each: ${results.join(', ')})`);
    });

    it("gives a large frame's memory back once it is gone (delivered, broken, or over the 32 MB limit)", () => {
      const small = Math.max(...frames.map((f) => f.length));
      // Room for about two frames like the last good one, in powers of two from 64 KB.
      const bound = 8 * Math.max(64 * 1024, small);
      const steady = (splitter: JpegSplitter, label: string): void => {
        assert.ok(
          splitter.capacity <= bound,
          `${label}: ${splitter.capacity} bytes still allocated (at most ${bound} expected)`,
        );
      };

      // A good 12 MB frame is delivered whole; the next ordinary frame lets its memory go.
      const big = largeFrame(frames[3], 12 * MB);
      const got: Buffer[] = [];
      const s1 = new JpegSplitter((f) => got.push(f));
      for (const part of [frames[0], big, frames[1], frames[2]])
        for (let i = 0; i < part.length; i += CHUNK) s1.push(part.subarray(i, i + CHUNK));
      assert.strictEqual(got.length, 4);
      assert.ok(got[1].equals(big));
      steady(s1, 'after a 12 MB frame and two ordinary ones');

      // A 20 MB frame that breaks: nothing delivered from it, memory back at once.
      const broken = Buffer.concat([frameStart(20 * MB), Buffer.from([0x00, 0x00])]);
      const s2 = new JpegSplitter((f) => got.push(f));
      for (let i = 0; i < broken.length; i += CHUNK) s2.push(broken.subarray(i, i + CHUNK));
      assert.strictEqual(s2.stats.truncated, 1);
      steady(s2, 'after a 20 MB frame that broke');
      s2.push(frames[4]);
      assert.ok(got[got.length - 1].equals(frames[4]), 'the next frame still comes out');

      // A frame that never ends is given up at 32 MB; the memory goes back and splitting goes on.
      const endless = frameStart(34 * MB);
      const s3 = new JpegSplitter((f) => got.push(f));
      for (let i = 0; i < endless.length; i += CHUNK) s3.push(endless.subarray(i, i + CHUNK));
      assert.strictEqual(s3.stats.truncated, 1, 'given up at the 32 MB limit');
      assert.ok(s3.buffered < 4 * MB, `${s3.buffered} bytes still buffered`);
      s3.push(frames[5]);
      assert.ok(got[got.length - 1].equals(frames[5]), 'the next frame still comes out');
      steady(s3, 'after a frame given up at 32 MB');
    });
  });
}
