/**
 * Thumbnails of a roll's frames, made once and kept in the roll's hidden `.camera-tether-thumbs/`
 * folder. A thumbnail's name carries a key of its source file (name, size, modification time,
 * inode), so a reshoot or any change of the file makes a new one; listing a 1,000-frame roll costs
 * one readdir of the cache and one lstat per frame. Thumbnails are made on demand by a small pool of
 * worker threads (concurrency limit), each request once even when asked for twice; a file with no
 * usable preview gets a `.none` marker so it is not tried again, and the UI shows its name.
 */
import { createHash } from 'crypto';
import { existsSync, promises as fs, type Stats } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { makeThumbnail, THUMBNAIL_SIZE, type ThumbnailResult } from './thumbnailMaker';
import type { ThumbnailTask } from './thumbnailWorker';

export const THUMBNAIL_FOLDER = '.camera-tether-thumbs';

export interface FrameThumbnail {
  /** The image the thumbnail is made from (the JPEG of a RAW+JPEG pair, else the raw), absolute. */
  source?: string;
  /** The cached thumbnail, when made. */
  path?: string;
  /** True when the source has no preview this decoder can read (the UI shows the file name). */
  none: boolean;
}

export interface ThumbnailServiceOptions {
  /** The worker script (dist/thumbnailWorker.js); null: make thumbnails on this thread (tests). */
  workerScript?: string | null;
  /** Thumbnails made at once (default: one per spare core, 1 or 2). */
  concurrency?: number;
  size?: number;
  /** Workers stop after this long without work. */
  idleMs?: number;
}

const JPEG = /\.jpe?g$/i;

export class ThumbnailService {
  private readonly pool: Pool;
  private readonly inFlight = new Map<string, Promise<string | undefined>>();
  /** Per cache folder: the cached names by group tag (read once, then kept in step with what we write). */
  private readonly index = new Map<string, Promise<Map<string, Set<string>>>>();
  readonly size: number;
  /** Thumbnails made at once. */
  readonly concurrency: number;

  constructor(options: ThumbnailServiceOptions = {}) {
    this.size = options.size ?? THUMBNAIL_SIZE;
    const concurrency = options.concurrency ?? Math.max(1, Math.min(2, os.cpus().length - 1));
    this.concurrency = concurrency;
    const script =
      options.workerScript === undefined ? path.join(__dirname, 'thumbnailWorker.js') : options.workerScript;
    this.pool = new Pool(script && existsSync(script) ? script : undefined, concurrency, options.idleMs ?? 30_000);
  }

  /** Whether thumbnails are made in worker threads (false: on the calling thread). */
  get usesWorkers(): boolean {
    return this.pool.script !== undefined;
  }

  cacheFolder(rollFolder: string): string {
    return path.join(rollFolder, THUMBNAIL_FOLDER);
  }

  /**
   * What is cached for each group of images (a frame: key `frameTag(n)`; a test capture: its name
   * stem), without making anything: one readdir of the cache, one stat per group. In key order.
   */
  async list(folder: string, groups: ReadonlyMap<string, readonly string[]>): Promise<Map<string, FrameThumbnail>> {
    const cache = this.cacheFolder(folder);
    const names = await fs.readdir(cache).catch(() => [] as string[]);
    const cached = new Set(names);
    // A fresh look (another window may have made some): the index starts from it.
    this.index.set(cache, Promise.resolve(indexOf(names)));
    const entries = [...groups.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const found: FrameThumbnail[] = new Array<FrameThumbnail>(entries.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < entries.length) {
        const i = next++;
        const [tag, images] = entries[i];
        const source = sourceOf(images);
        if (!source) {
          found[i] = { none: true };
          continue;
        }
        const file = path.join(folder, source);
        const st = await fs.stat(file).catch(() => undefined);
        if (!st) {
          found[i] = { source: file, none: true };
          continue;
        }
        const base = this.baseName(tag, source, st);
        found[i] = {
          source: file,
          path: cached.has(`${base}.jpg`) ? path.join(cache, `${base}.jpg`) : undefined,
          none: cached.has(`${base}.none`),
        };
      }
    };
    await Promise.all(Array.from({ length: 32 }, worker));
    return new Map(entries.map(([n], i) => [n, found[i]]));
  }

  /**
   * The thumbnail of one group of images in `folder` (a frame: `frameTag(n)`), made now if needed:
   * its path, or undefined when the file has no usable preview. Asked twice at once, made once.
   */
  async thumbnail(folder: string, tag: string, images: readonly string[]): Promise<string | undefined> {
    const source = sourceOf(images);
    if (!source) return undefined;
    const file = path.join(folder, source);
    const st = await fs.stat(file);
    const cache = this.cacheFolder(folder);
    const base = this.baseName(tag, source, st);
    const out = path.join(cache, `${base}.jpg`);
    const known = this.inFlight.get(out);
    if (known) return known;
    const run = (async () => {
      const index = await this.indexFor(cache);
      const mine = index.get(tag) ?? new Set<string>();
      if (mine.has(`${base}.jpg`)) return out;
      if (mine.has(`${base}.none`)) return undefined;
      await fs.mkdir(cache, { recursive: true });
      const result = await this.pool.run({ source: file, out, size: this.size });
      const made = result.made ? `${base}.jpg` : `${base}.none`;
      if (!result.made) await fs.writeFile(path.join(cache, made), `${source}: ${result.reason}\n`);
      // An older source's thumbnail of this group (before a reshoot) is of no use any more.
      for (const stale of mine) if (stale !== made) await fs.rm(path.join(cache, stale), { force: true });
      index.set(tag, new Set([made]));
      return result.made ? out : undefined;
    })();
    this.inFlight.set(out, run);
    try {
      return await run;
    } finally {
      this.inFlight.delete(out);
    }
  }

  private indexFor(cache: string): Promise<Map<string, Set<string>>> {
    let index = this.index.get(cache);
    if (!index) {
      index = fs.readdir(cache).then(indexOf, () => new Map<string, Set<string>>());
      this.index.set(cache, index);
    }
    return index;
  }

  /** Stops the worker threads (they also stop by themselves when idle). */
  dispose(): Promise<void> {
    return this.pool.dispose();
  }

  private baseName(tag: string, source: string, st: Stats): string {
    const key = createHash('sha1')
      .update(`${source}\0${st.size}\0${st.mtimeMs}\0${st.ino}\0${this.size}`)
      .digest('hex')
      .slice(0, 16);
    return `${tag}-${key}`;
  }
}

/** The cache key of frame `n`'s thumbnail group. */
export function frameTag(n: number): string {
  return String(n).padStart(6, '0');
}

/** The picture a frame's thumbnail comes from: its latest exposure (`_2` after a re-shot number), the JPEG before the raw. */
export function sourceOf(images: readonly string[]): string | undefined {
  if (images.length === 0) return undefined;
  const suffix = (name: string): number => {
    const m = /_(\d+)\.[^.]+$/.exec(name);
    return m ? Number(m[1]) : 1;
  };
  const latest = Math.max(...images.map(suffix));
  const mine = images.filter((n) => suffix(n) === latest);
  return mine.find((n) => JPEG.test(n)) ?? mine[0];
}

/** Cache names (`<tag>-<key>.jpg` / `.none`) grouped by tag. */
function indexOf(names: readonly string[]): Map<string, Set<string>> {
  const index = new Map<string, Set<string>>();
  for (const name of names) {
    const m = /^(.+)-[0-9a-f]{16}\.(jpg|none)$/.exec(name);
    if (!m) continue;
    let set = index.get(m[1]);
    if (!set) index.set(m[1], (set = new Set()));
    set.add(name);
  }
  return index;
}

interface Job {
  task: Omit<ThumbnailTask, 'id'>;
  resolve: (r: ThumbnailResult) => void;
  reject: (e: Error) => void;
}

/** Worker threads (or, without a script, this thread) with at most `limit` thumbnails at once. */
class Pool {
  private readonly queue: Job[] = [];
  private readonly idle: Worker[] = [];
  private readonly all = new Set<Worker>();
  private running = 0;
  private seq = 0;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly script: string | undefined,
    private readonly limit: number,
    private readonly idleMs: number,
  ) {}

  run(task: Omit<ThumbnailTask, 'id'>): Promise<ThumbnailResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ task, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    while (this.running < this.limit && this.queue.length > 0) {
      const job = this.queue.shift() as Job;
      this.running++;
      const done = (): void => {
        this.running--;
        this.pump();
      };
      if (!this.script) {
        makeThumbnail(job.task.source, job.task.out, job.task.size).then(job.resolve, job.reject).finally(done);
        continue;
      }
      this.onWorker(job, done);
    }
    if (this.running === 0 && this.queue.length === 0 && this.all.size > 0) {
      this.idleTimer = setTimeout(() => void this.dispose(), this.idleMs);
      this.idleTimer.unref();
    }
  }

  private onWorker(job: Job, done: () => void): void {
    const worker = this.idle.pop() ?? this.spawn();
    const id = ++this.seq;
    const cleanup = (): void => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    const onMessage = (msg: { id: number; result?: ThumbnailResult; error?: string }): void => {
      if (msg.id !== id) return;
      cleanup();
      this.idle.push(worker);
      if (msg.result) job.resolve(msg.result);
      else job.reject(new Error(msg.error ?? 'the thumbnail worker failed'));
      done();
    };
    const onError = (err: Error): void => {
      cleanup();
      this.all.delete(worker);
      job.reject(err);
      done();
    };
    const onExit = (code: number): void => onError(new Error(`the thumbnail worker exited (code ${code})`));
    worker.on('message', onMessage);
    worker.once('error', onError);
    worker.once('exit', onExit);
    worker.postMessage({ ...job.task, id });
  }

  private spawn(): Worker {
    const worker = new Worker(this.script as string);
    worker.unref(); // never keeps the extension host (or a test) alive
    this.all.add(worker);
    worker.once('exit', () => {
      this.all.delete(worker);
      const i = this.idle.indexOf(worker);
      if (i >= 0) this.idle.splice(i, 1);
    });
    return worker;
  }

  async dispose(): Promise<void> {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    const workers = [...this.all];
    this.idle.length = 0;
    this.all.clear();
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
