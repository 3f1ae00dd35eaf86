/**
 * `npm run bench:webview`: opening a 1,000-frame roll's filmstrip in the real webview. Figures:
 * - first open (no thumbnail made yet): from switching to the roll until the strip lists every
 *   frame, and until every thumbnail in view is shown (made now in the extension's worker threads);
 * - cached open (every thumbnail already in the roll's .camera-tether-thumbs/): the same two times;
 * - what the page holds then: thumbnails loaded and held, the webview's JavaScript heap, and the
 *   browser's resident memory (this runner's Chromium processes) before and after.
 * Times are measured from the extension host, so they include the round trips to the page through
 * the runner's query service (about 50-100 ms each): they are upper bounds.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { ThumbnailService, frameTag } from '../../../src/capture/thumbnails';
import { encodeJpeg, renderStill } from '../../../src/simulator/image/testCard';
import { run } from '../cameraCommands';
import { type FoundElement, queryServiceAvailable, queryWorkbench } from '../workbenchQuery';

const FRAMES = Number(process.env.BENCH_FILMSTRIP_FRAMES ?? 1000);
const ROLL = 'bench-filmstrip-1000';
/** A scanned frame's JPEG size (the thumbnailer decodes it at 1/8 in the DCT domain). */
const WIDTH = 1200;
const HEIGHT = 800;

const round = (n: number, digits = 0) => Math.round(n * 10 ** digits) / 10 ** digits;
const q = (selector: string, click = false) => queryWorkbench({ selector, scope: 'webviews', click });

/** Resident memory of the runner's Chromium processes, MB (see webviewLiveView.test.ts for why only those). */
function browserRssMB(): number {
  const up = new Map<number, number>();
  for (const name of fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      up.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone
    }
  }
  let runner: number | undefined;
  for (let pid: number | undefined = process.pid; pid && pid > 1 && runner === undefined; pid = up.get(pid))
    if (fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('runInCodeServer')) runner = pid;
  let kb = 0;
  for (const pid of up.keys()) {
    try {
      if (!/^chrom/.test(fs.readFileSync(`/proc/${pid}/comm`, 'utf8'))) continue;
      let ours = runner === undefined;
      for (let p: number | undefined = pid; p && p > 1 && !ours; p = up.get(p)) ours = p === runner;
      if (!ours) continue;
      const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
      kb += Number(m?.[1] ?? 0);
    } catch {
      // gone
    }
  }
  return round(kb / 1024, 1);
}

/** Width of one strip item with its gap, CSS pixels (media/review.css: .thumb 88 px, gap 4 px). */
const ITEM_PITCH = 92;

/**
 * Every item inside the strip's visible box shows its thumbnail. Only the images are queried (a
 * few dozen exist at most), not the 1,000 items: describing those would cost more than the strip.
 */
async function inViewShown(): Promise<number | undefined> {
  const [strip] = await q('#strip-frames');
  if (!strip || strip.box.width <= 0) return undefined;
  const inView = Math.floor(strip.box.width / ITEM_PITCH);
  const inside = (e: FoundElement) =>
    e.box.width > 0 && e.box.x >= strip.box.x - 1 && e.box.x + e.box.width <= strip.box.x + strip.box.width + 1;
  const shown = (await q('#strip-frames .thumb img')).filter((e) => inside(e) && (e.natural?.width ?? 0) > 0);
  return shown.length >= inView ? shown.length : undefined;
}

async function poll<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 180_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Switches to the roll and times the listing and the thumbnails in view. */
async function open(): Promise<{ listedMs: number; inViewMs: number; inView: number }> {
  await run('setCurrentRoll', 'bench-filmstrip-elsewhere');
  await poll('the other roll', async () => {
    const [s] = await q('#filmstrip');
    return s && s.attributes['data-frames'] === '0' ? true : undefined;
  });
  const t0 = Date.now();
  await run('setCurrentRoll', ROLL);
  await poll('the listing', async () => {
    const [s] = await q('#filmstrip');
    return s && s.attributes['data-frames'] === String(FRAMES) ? true : undefined;
  });
  const listedMs = Date.now() - t0;
  const inView = await poll('the thumbnails in view', inViewShown);
  return { listedMs, inViewMs: Date.now() - t0, inView };
}

describe(`Bench: a ${FRAMES}-frame roll's filmstrip in the webview`, function () {
  this.timeout(900_000);

  before(function () {
    if (!queryServiceAvailable()) {
      console.log('    (skipped: reading the page needs the code-server runner)');
      this.skip();
    }
  });

  it('first open, cached open, memory', async () => {
    await vscode.extensions.getExtension('camera-tether.camera-tether')?.activate();
    const s = await run<{ outputFolder: string }>('getState');
    const folder = path.join(s.outputFolder, ROLL);
    fs.rmSync(folder, { recursive: true, force: true });
    fs.mkdirSync(folder, { recursive: true });
    const when = new Date(2026, 11, 1, 10, 0, 0);
    // Ten distinct pictures, copied: every file is still its own thumbnail job (its own name and inode).
    const pictures = Array.from({ length: 10 }, (_, i) =>
      encodeJpeg(renderStill(WIDTH, HEIGHT, `FRAME ${i}`, when), 85),
    );
    for (let n = 1; n <= FRAMES; n++) {
      await fs.promises.writeFile(path.join(folder, `frame-${String(n).padStart(4, '0')}.jpg`), pictures[n % 10]);
    }
    await run('openPanel');
    const rssBefore = browserRssMB();
    const heapBefore = (await q('#filmstrip'))[0]?.jsHeapBytes;
    const first = await open();
    const [afterFirst] = await q('#filmstrip');

    // Every thumbnail made (the domain's service, the extension's cache format), then opened again.
    const t0 = Date.now();
    const service = new ThumbnailService({
      workerScript: path.join(
        vscode.extensions.getExtension('camera-tether.camera-tether')?.extensionPath ?? '',
        'dist',
        'thumbnailWorker.js',
      ),
    });
    for (let n = 1; n <= FRAMES; n += 20)
      await Promise.all(
        Array.from({ length: Math.min(20, FRAMES - n + 1) }, (_, i) =>
          service.thumbnail(folder, frameTag(n + i), [`frame-${String(n + i).padStart(4, '0')}.jpg`]),
        ),
      );
    const makeAllMs = Date.now() - t0;
    const cached = await open();

    // Scroll end to end (the last frame, then the first): what the page holds afterwards.
    await q(`#strip-frames .thumb[data-frame="${FRAMES}"]`, true);
    await poll('the last thumbnail', async () => {
      const [img] = await q(`#strip-frames .thumb[data-frame="${FRAMES}"] img`);
      return (img?.natural?.width ?? 0) > 0 ? true : undefined;
    });
    await q('#strip-frames .thumb[data-frame="1"]', true);
    const [strip] = await poll('the first thumbnail', async () => {
      const found = await q('#strip-frames .thumb[data-frame="1"] img');
      return (found[0]?.natural?.width ?? 0) > 0 ? q('#filmstrip') : undefined;
    });
    const result = {
      date: new Date().toISOString(),
      frames: FRAMES,
      jpeg: `${WIDTH}x${HEIGHT}`,
      firstOpen: { ...first, loaded: Number(afterFirst?.attributes['data-loaded']) },
      makeAllThumbnailsMs: makeAllMs,
      cachedOpen: cached,
      afterScrollingEndToEnd: {
        thumbnailsLoaded: Number(strip?.attributes['data-loaded']),
        thumbnailsHeld: Number(strip?.attributes['data-held']),
      },
      // performance.memory of the panel's frame (the renderer's heap, which may include the workbench's).
      webviewJsHeapMB: {
        beforeOpening: heapBefore === undefined ? undefined : round(heapBefore / 2 ** 20, 1),
        after: strip?.jsHeapBytes === undefined ? undefined : round(strip.jsHeapBytes / 2 ** 20, 1),
      },
      browserRssMB: { beforeOpening: rssBefore, after: browserRssMB() },
    };
    console.log(`webview filmstrip: ${JSON.stringify(result)}`);
    const outDir =
      process.env.CAMERA_TETHER_BENCH_RESULTS ?? path.resolve(__dirname, '..', '..', '..', '..', 'bench', 'results');
    fs.mkdirSync(outDir, { recursive: true });
    fs.writeFileSync(
      path.join(outDir, `webview-filmstrip-${result.date.replace(/[:.]/g, '-')}.json`),
      JSON.stringify(result, null, 2),
    );
    // Another roll: the frame chosen above leaves the picture area to the benches after this one.
    await run('setCurrentRoll', 'bench-filmstrip-elsewhere');
    fs.rmSync(folder, { recursive: true, force: true });
  });
});
