/**
 * What gphoto2 actually left on disk. gphoto2 can exit 0 after a failed capture and can be killed
 * mid-download, so success is judged from the files: present, non-empty, and (for JPEG) complete.
 */
import { promises as fs } from 'fs';
import * as path from 'path';

export interface DownloadedFile {
  path: string;
  bytes: number;
  /** "JPG", "NEF", ... as gphoto2 named it. */
  extension: string;
  /** For JPEG only: start and end markers are both present. */
  complete: boolean;
}

const JPEG_EXTENSIONS = new Set(['jpg', 'jpeg', 'jpe']);
/** Cameras sometimes pad JPEGs after the end marker; look for it near the end, not at the last byte only. */
const JPEG_TAIL_WINDOW = 4096;

export function isJpegName(file: string): boolean {
  return JPEG_EXTENSIONS.has(path.extname(file).slice(1).toLowerCase());
}

/**
 * A JPEG is complete when it starts with SOI (FF D8) and has EOI (FF D9) in its tail. FF D9 cannot
 * occur inside entropy-coded data (byte stuffing), so a truncated download fails this test.
 */
export async function isCompleteJpeg(file: string): Promise<boolean> {
  const handle = await fs.open(file, 'r');
  try {
    const { size } = await handle.stat();
    if (size < 4) return false;
    const head = Buffer.alloc(3);
    await handle.read(head, 0, 3, 0);
    if (head[0] !== 0xff || head[1] !== 0xd8 || head[2] !== 0xff) return false;
    const window = Math.min(size, JPEG_TAIL_WINDOW);
    const tail = Buffer.alloc(window);
    await handle.read(tail, 0, window, size - window);
    for (let i = window - 2; i >= 0; i--) {
      if (tail[i] === 0xff && tail[i + 1] === 0xd9) return true;
    }
    return false;
  } finally {
    await handle.close();
  }
}

/** Complete-looking JPEG bytes in memory (live-view frames, `--stdout` previews). */
export function isCompleteJpegBuffer(data: Uint8Array): boolean {
  if (data.length < 4 || data[0] !== 0xff || data[1] !== 0xd8) return false;
  const start = Math.max(0, data.length - JPEG_TAIL_WINDOW);
  for (let i = data.length - 2; i >= start; i--) {
    if (data[i] === 0xff && data[i + 1] === 0xd9) return true;
  }
  return false;
}

/** Every regular file in a staging folder, with completeness for JPEGs. Missing folder: none. */
export async function listDownloaded(dir: string): Promise<DownloadedFile[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return [];
  }
  const files: DownloadedFile[] = [];
  for (const name of names.sort()) {
    const full = path.join(dir, name);
    let bytes: number;
    try {
      const st = await fs.stat(full);
      if (!st.isFile()) continue;
      bytes = st.size;
    } catch {
      continue;
    }
    // gphoto2 downloads into tmpfileXXXXXX in its working folder and renames it when done: one still
    // there is an unfinished download, never a result.
    const unfinished = /^tmpfile[A-Za-z0-9]{6}$/.test(name);
    const complete = !unfinished && bytes > 0 && (!isJpegName(name) || (await isCompleteJpeg(full).catch(() => false)));
    files.push({ path: full, bytes, extension: path.extname(name).slice(1), complete });
  }
  return files;
}

/** A fingerprint that changes whenever a file appears, disappears or grows. */
export function filesSignature(files: readonly DownloadedFile[]): string {
  return files.map((f) => `${path.basename(f.path)}:${f.bytes}:${f.complete ? 1 : 0}`).join('|');
}
