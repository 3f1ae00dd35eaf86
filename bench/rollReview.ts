/**
 * Reviewing a big roll (part of `npm run bench`; alone: `node esbuild.js --tests && node
 * out/bench/rollReview.js`). All figures come from one run on the same machine, as ratios:
 * - listing a 1,000-frame RAW+JPEG roll with details (frames, labels, sidecars, thumbnail state)
 *   against a bare readdir of the same folder;
 * - the first thumbnail pass over the roll (worker threads) against the cached pass;
 * - one 24 MP camera JPEG: our DCT-domain 1/8 decode against a full decode with jpeg-js;
 * - how busy the main thread (the extension host's event loop) is during a thumbnail pass, worker
 *   threads against making them on the main thread (event-loop utilisation, 0..1).
 */
import { promises as fs } from 'fs';
import * as jpegJs from 'jpeg-js';
import * as os from 'os';
import * as path from 'path';
import { performance as perf } from 'perf_hooks';
import { CaptureStore } from '../src/capture/captureStore';
import { parseFilenamePattern } from '../src/capture/fileNaming';
import { decodeJpegScaled } from '../src/capture/jpegScaled';
import { frameTag, ThumbnailService } from '../src/capture/thumbnails';
import { encodeJpegFast } from '../src/simulator/image/jpegEncoder';
import { renderRaw } from '../src/simulator/image/rawFile';
import { renderStill } from '../src/simulator/image/testCard';

const ROOT = path.resolve(__dirname, '..', '..');
const WORKER = path.join(ROOT, 'dist', 'thumbnailWorker.js');
const FRAMES = Number(process.env.BENCH_ROLL_FRAMES ?? 1000);

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

async function timed<T>(fn: () => Promise<T> | T): Promise<[number, T]> {
  const t = performance.now();
  const r = await fn();
  return [performance.now() - t, r];
}

/** A photo-like picture (gradients and noise: a camera JPEG's entropy, not the flat test card's). */
function photo(width: number, height: number, seed: number): { width: number; height: number; data: Buffer } {
  const data = Buffer.alloc(width * height * 4);
  let s = seed >>> 0 || 1;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      s ^= s << 13;
      s >>>= 0;
      s ^= s >>> 17;
      s ^= s << 5;
      s >>>= 0;
      const n = (s & 31) - 16;
      const i = (y * width + x) * 4;
      data[i] = Math.max(0, Math.min(255, (x * 255) / width + n));
      data[i + 1] = Math.max(0, Math.min(255, (y * 255) / height + n));
      data[i + 2] = Math.max(0, Math.min(255, 128 + 90 * Math.sin(x / 40 + y / 70) + n));
    }
  return { width, height, data };
}

export interface RollReviewResults {
  frames: number;
  sidecars: number;
  sidecarsFirstMs: number;
  sidecarsRewriteMs: number;
  listMs: number;
  readdirMs: number;
  listOverReaddir: number;
  firstPassMs: number;
  firstPassPerFrameMs: number;
  cachedPassMs: number;
  firstOverCached: number;
  cacheMB: number;
  decode24mpScaledMs: number;
  decode24mpJpegJsMs: number;
  jpegJsOverScaled: number;
  mainThreadBusyWorkers: number;
  mainThreadBusyInline: number;
  workers: number;
}

export async function rollReviewBench(): Promise<RollReviewResults> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ct-bench-roll-'));
  try {
    // A roll like a scanned film session: RAW+JPEG, 1200x800 JPEG and a NEF embedding it, details set.
    const store = new CaptureStore(dir, parseFilenamePattern('frame-{frame:04}'), 'bench-roll');
    await store.openRoll('bench-roll');
    const jpeg = encodeJpegFast(renderStill(1200, 800, 'FRAME', new Date(2026, 10, 30)), 85);
    const nef = renderRaw('Nikon D750', 6016, 4016, 1, { jpeg, width: 1200, height: 800 });
    const staging = await store.newStagingDir();
    await fs.writeFile(path.join(staging, 'a.JPG'), jpeg);
    await fs.writeFile(path.join(staging, 'a.NEF'), nef);
    for (let i = 1; i <= FRAMES; i++) {
      const base = path.join(store.rollFolder, `frame-${String(i).padStart(4, '0')}`);
      await fs.copyFile(path.join(staging, 'a.JPG'), `${base}.JPG`);
      await fs.copyFile(path.join(staging, 'a.NEF'), `${base}.NEF`);
    }
    process.stdout.write(`  roll review: ${FRAMES} RAW+JPEG frames; writing their sidecars...\n`);
    const [sidecarsFirstMs, first] = await timed(() =>
      store.setRollDetails({ filmStock: 'Kodak Portra 400', filmIso: 400, format: '120', firstFrameLabel: '00' }),
    );
    const [sidecarsRewriteMs] = await timed(() =>
      store.setRollDetails({ filmStock: 'Kodak Portra 800', filmIso: 800 }),
    );

    const service = new ThumbnailService({ workerScript: WORKER, idleMs: 1000 });
    const list = async () => {
      const files = await store.frameFiles();
      await store.rollState();
      await store.rejectedFrames();
      return service.list(store.rollFolder, new Map([...files].map(([n, f]) => [frameTag(n), f.images] as const)));
    };
    await list(); // warm the file system cache and the JIT once, as a panel that opens twice would
    const listRuns: number[] = [];
    const readdirRuns: number[] = [];
    for (let i = 0; i < 5; i++) {
      listRuns.push((await timed(list))[0]);
      readdirRuns.push((await timed(() => fs.readdir(store.rollFolder)))[0]);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const listMs = median(listRuns);
    const readdirMs = median(readdirRuns);

    // The first pass: every thumbnail made (worker threads, the service's own concurrency limit).
    const files = await store.frameFiles();
    const all = [...files.keys()];
    const elu0 = perf.eventLoopUtilization();
    const [firstPassMs] = await timed(() =>
      Promise.all(all.map((n) => service.thumbnail(store.rollFolder, frameTag(n), files.get(n)?.images ?? []))),
    );
    const busyWorkers = perf.eventLoopUtilization(elu0).utilization;
    const [cachedPassMs] = await timed(() =>
      Promise.all(all.map((n) => service.thumbnail(store.rollFolder, frameTag(n), files.get(n)?.images ?? []))),
    );
    let cacheBytes = 0;
    for (const name of await fs.readdir(service.cacheFolder(store.rollFolder)))
      cacheBytes += (await fs.stat(path.join(service.cacheFolder(store.rollFolder), name))).size;
    const workers = service.concurrency;
    await service.dispose();

    // The same work on the main thread, for what the workers spare the extension host (50 frames).
    const inline = new ThumbnailService({ workerScript: null });
    const inlineRoll = path.join(dir, 'inline');
    await fs.mkdir(inlineRoll);
    for (let i = 1; i <= 50; i++) await fs.copyFile(path.join(staging, 'a.JPG'), path.join(inlineRoll, `f${i}.JPG`));
    const elu1 = perf.eventLoopUtilization();
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => inline.thumbnail(inlineRoll, `f${i + 1}`, [`f${i + 1}.JPG`])),
    );
    const busyInline = perf.eventLoopUtilization(elu1).utilization;
    await inline.dispose();

    // One 24 MP camera JPEG: 1/8 in the DCT domain (what a thumbnail needs) vs a full jpeg-js decode.
    process.stdout.write('  roll review: one 24 MP JPEG, scaled decode vs jpeg-js...\n');
    const big = encodeJpegFast(photo(6000, 4000, 7), 92);
    decodeJpegScaled(big, 1, { fineChroma: false }); // JIT warm-up
    const scaledRuns: number[] = [];
    for (let i = 0; i < 3; i++)
      scaledRuns.push((await timed(() => decodeJpegScaled(big, 1, { fineChroma: false })))[0]);
    const [jpegJsMs] = await timed(() =>
      jpegJs.decode(big, { useTArray: true, maxResolutionInMP: 100, maxMemoryUsageInMB: 1024 }),
    );
    const scaledMs = median(scaledRuns);

    return {
      frames: FRAMES,
      sidecars: first.sidecars.written.length,
      sidecarsFirstMs: round(sidecarsFirstMs),
      sidecarsRewriteMs: round(sidecarsRewriteMs),
      listMs: round(listMs),
      readdirMs: round(readdirMs, 2),
      listOverReaddir: round(listMs / readdirMs),
      firstPassMs: round(firstPassMs),
      firstPassPerFrameMs: round(firstPassMs / FRAMES, 2),
      cachedPassMs: round(cachedPassMs),
      firstOverCached: round(firstPassMs / cachedPassMs),
      cacheMB: round(cacheBytes / 2 ** 20, 2),
      decode24mpScaledMs: round(scaledMs),
      decode24mpJpegJsMs: round(jpegJsMs),
      jpegJsOverScaled: round(jpegJsMs / scaledMs),
      mainThreadBusyWorkers: round(busyWorkers, 3),
      mainThreadBusyInline: round(busyInline, 3),
      workers,
    };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

export function printRollReview(r: RollReviewResults): void {
  console.log(`\nReviewing a ${r.frames}-frame RAW+JPEG roll (thumbnails in ${r.workers} worker thread(s))`);
  console.log(
    `  roll details set: ${r.sidecars} sidecars written in ${r.sidecarsFirstMs} ms; details changed: all rewritten in ${r.sidecarsRewriteMs} ms`,
  );
  console.log(
    `  list frames (labels, sidecars, thumbnail state) ${r.listMs} ms; a bare readdir ${r.readdirMs} ms: x${r.listOverReaddir}`,
  );
  console.log(
    `  first thumbnail pass ${r.firstPassMs} ms (${r.firstPassPerFrameMs} ms/frame); cached ${r.cachedPassMs} ms: first/cached = ${r.firstOverCached}; cache ${r.cacheMB} MB`,
  );
  console.log(
    `  24 MP JPEG: 1/8 DCT-domain decode ${r.decode24mpScaledMs} ms vs jpeg-js full decode ${r.decode24mpJpegJsMs} ms: x${r.jpegJsOverScaled} faster`,
  );
  console.log(
    `  main thread busy while thumbnails are made: ${Math.round(r.mainThreadBusyWorkers * 100)} % with worker threads, ${Math.round(r.mainThreadBusyInline * 100)} % when made on it`,
  );
}

if (require.main === module) {
  rollReviewBench().then(printRollReview, (err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
