/**
 * One thumbnail from one capture: the cheapest embedded JPEG that is still big enough (a raw's
 * preview, a JPEG's own image), decoded already scaled down in the DCT domain (jpegScaled.ts),
 * box-filtered to the size, turned upright per the Exif orientation, and written as a small JPEG.
 * Pure computation plus file I/O: it runs in a worker thread (thumbnailWorker.ts) so a 24 MP decode
 * never blocks the extension host.
 */
import { randomUUID } from 'crypto';
import { promises as fs } from 'fs';
import * as path from 'path';
import { encodeJpegFast } from '../simulator/image/jpegEncoder';
import { findPreviews, type PreviewCandidate } from './embeddedPreview';
import { decodeJpegScaled, type JpegScale, type RgbImage } from './jpegScaled';

export const THUMBNAIL_SIZE = 256;
const QUALITY = 80;

export type ThumbnailResult =
  { made: true; width: number; height: number; from: string } | { made: false; reason: string };

export async function makeThumbnail(source: string, out: string, size = THUMBNAIL_SIZE): Promise<ThumbnailResult> {
  const scan = await findPreviews(source);
  if (scan.candidates.length === 0)
    return {
      made: false,
      reason:
        scan.format === 'unknown'
          ? 'not a file type with an embedded JPEG preview'
          : `no JPEG preview this decoder can read in the ${scan.format.toUpperCase()} file`,
    };
  const problems: string[] = [];
  for (const c of order(scan.candidates, size)) {
    try {
      const bytes = await readRange(source, c.offset, c.length);
      const scale = scaleFor(c, size);
      // Scaled down at least twice more after decoding: the chroma's own resolution is enough.
      const fineChroma = (Math.max(c.width, c.height) * scale) / 8 < 2 * size;
      const decoded = decodeJpegScaled(bytes, scale, { fineChroma });
      const small = orient(fit(decoded, size), scan.orientation);
      const jpeg = encodeJpegFast(toRgba(small), QUALITY);
      const tmp = path.join(path.dirname(out), `.${path.basename(out)}.${randomUUID()}.tmp`);
      await fs.writeFile(tmp, jpeg);
      await fs.rename(tmp, out).catch(async (err: unknown) => {
        await fs.rm(tmp, { force: true });
        throw err;
      });
      return { made: true, width: small.width, height: small.height, from: c.where };
    } catch (err) {
      problems.push(`${c.where}: ${(err as Error).message}`);
    }
  }
  return { made: false, reason: problems.join('; ') };
}

/** The smallest candidate still at least `size` on its long side first (least to decode), then the larger ones, then the smaller. */
function order(candidates: readonly PreviewCandidate[], size: number): PreviewCandidate[] {
  const long = (c: PreviewCandidate) => Math.max(c.width, c.height);
  const big = candidates.filter((c) => long(c) >= size).sort((a, b) => a.length - b.length);
  const small = candidates.filter((c) => long(c) < size).sort((a, b) => long(b) - long(a));
  return [...big, ...small];
}

/** The smallest DCT scale that still gives at least `size` pixels on the long side. */
function scaleFor(c: PreviewCandidate, size: number): JpegScale {
  const long = Math.max(c.width, c.height);
  for (const k of [1, 2, 4] as const) if (Math.ceil((long * k) / 8) >= size) return k;
  return 8;
}

async function readRange(file: string, offset: number, length: number): Promise<Buffer> {
  const handle = await fs.open(file, 'r');
  try {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buf, 0, length, offset);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** Box-filters `img` down so its long side is `size` (never up). */
export function fit(img: RgbImage, size: number): RgbImage {
  const long = Math.max(img.width, img.height);
  if (long <= size) return img;
  const w = Math.max(1, Math.round((img.width * size) / long));
  const h = Math.max(1, Math.round((img.height * size) / long));
  const data = new Uint8Array(w * h * 3);
  const xs = new Int32Array(w + 1);
  for (let x = 0; x <= w; x++) xs[x] = Math.min(img.width, Math.floor((x * img.width) / w));
  for (let y = 0; y < h; y++) {
    const y0 = Math.floor((y * img.height) / h);
    const y1 = Math.max(y0 + 1, Math.floor(((y + 1) * img.height) / h));
    for (let x = 0; x < w; x++) {
      const x0 = xs[x];
      const x1 = Math.max(x0 + 1, xs[x + 1]);
      let r = 0;
      let g = 0;
      let b = 0;
      for (let sy = y0; sy < y1; sy++) {
        let i = (sy * img.width + x0) * 3;
        for (let sx = x0; sx < x1; sx++, i += 3) {
          r += img.data[i];
          g += img.data[i + 1];
          b += img.data[i + 2];
        }
      }
      const n = (y1 - y0) * (x1 - x0);
      const o = (y * w + x) * 3;
      data[o] = Math.round(r / n);
      data[o + 1] = Math.round(g / n);
      data[o + 2] = Math.round(b / n);
    }
  }
  return { width: w, height: h, data };
}

/** Applies Exif orientation 2..8 so the thumbnail shows the picture upright. */
export function orient(img: RgbImage, orientation: number): RgbImage {
  if (orientation < 2 || orientation > 8) return img;
  const { width: W, height: H } = img;
  const swap = orientation >= 5;
  const w = swap ? H : W;
  const h = swap ? W : H;
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      let sx: number;
      let sy: number;
      switch (orientation) {
        case 2:
          [sx, sy] = [W - 1 - x, y];
          break;
        case 3:
          [sx, sy] = [W - 1 - x, H - 1 - y];
          break;
        case 4:
          [sx, sy] = [x, H - 1 - y];
          break;
        case 5:
          [sx, sy] = [y, x];
          break;
        case 6:
          [sx, sy] = [y, H - 1 - x];
          break;
        case 7:
          [sx, sy] = [W - 1 - y, H - 1 - x];
          break;
        default:
          [sx, sy] = [W - 1 - y, x];
      }
      const s = (sy * W + sx) * 3;
      const o = (y * w + x) * 3;
      data[o] = img.data[s];
      data[o + 1] = img.data[s + 1];
      data[o + 2] = img.data[s + 2];
    }
  return { width: w, height: h, data };
}

function toRgba(img: RgbImage): { width: number; height: number; data: Buffer } {
  const data = Buffer.alloc(img.width * img.height * 4);
  for (let i = 0, o = 0; i < img.data.length; i += 3, o += 4) {
    data[o] = img.data[i];
    data[o + 1] = img.data[i + 1];
    data[o + 2] = img.data[i + 2];
    data[o + 3] = 255;
  }
  return { width: img.width, height: img.height, data };
}
