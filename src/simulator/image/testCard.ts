/**
 * The pictures the simulated camera "takes": a test card (grey ramp, colour patches, border) with the
 * image or frame number and the time in big digits, encoded as a real baseline JPEG.
 * Backgrounds are cached per size because live view redraws only the moving parts every frame.
 */
import { drawText, GLYPH_HEIGHT, textWidth } from './bitmapFont';
import { encodeJpegFast } from './jpegEncoder';
import { cloneImage, createImage, fillRect } from './rgbaImage';
import type { Rgba, RgbaImage } from './rgbaImage';

const INK: Rgba = [255, 255, 255];
const SHADOW: Rgba = [0, 0, 0];
const BAR: Rgba = [255, 210, 0];
const PATCHES: readonly Rgba[] = [
  [220, 30, 30],
  [30, 190, 40],
  [30, 60, 220],
  [30, 200, 210],
  [210, 40, 200],
  [230, 220, 30],
  [255, 255, 255],
  [0, 0, 0],
];

const backgrounds = new Map<string, RgbaImage>();

/** Grey ramp across the top, colour patches across the bottom, a border: the static part of every picture. */
export function background(width: number, height: number): RgbaImage {
  const key = `${width}x${height}`;
  const cached = backgrounds.get(key);
  if (cached) return cached;
  const img = createImage(width, height);
  fillRect(img, 0, 0, width, height, [48, 52, 60]);
  const rampH = Math.max(4, Math.round(height * 0.12));
  // One ramp row painted pixel by pixel, then copied down.
  for (let x = 0; x < width; x++) {
    const v = Math.round((x / Math.max(1, width - 1)) * 255);
    const i = x * 4;
    img.data[i] = v;
    img.data[i + 1] = v;
    img.data[i + 2] = v;
    img.data[i + 3] = 255;
  }
  for (let y = 1; y < rampH; y++) img.data.copy(img.data, y * width * 4, 0, width * 4);
  const patchH = Math.max(4, Math.round(height * 0.12));
  const patchW = width / PATCHES.length;
  PATCHES.forEach((c, i) => fillRect(img, Math.round(i * patchW), height - patchH, Math.ceil(patchW), patchH, c));
  const border = Math.max(1, Math.round(Math.min(width, height) / 200));
  fillRect(img, 0, 0, width, border, INK);
  fillRect(img, 0, height - border, width, border, INK);
  fillRect(img, 0, 0, border, height, INK);
  fillRect(img, width - border, 0, border, height, INK);
  const labelScale = Math.max(1, Math.floor(height / 240));
  drawText(img, 'CAMERA TETHER SIM', border * 3, rampH + border * 3, labelScale, [170, 176, 190]);
  backgrounds.set(key, img);
  return img;
}

/** Draws text centred horizontally with a 1-scale drop shadow, fitted to at most `maxWidth`. */
function centredText(img: RgbaImage, text: string, centreY: number, wantedScale: number, maxWidth: number): number {
  const scale = Math.max(1, Math.min(wantedScale, Math.floor(maxWidth / Math.max(1, textWidth(text, 1)))));
  const x = Math.round((img.width - textWidth(text, scale)) / 2);
  const y = Math.round(centreY - (GLYPH_HEIGHT * scale) / 2);
  const off = Math.max(1, Math.floor(scale / 3));
  drawText(img, text, x + off, y + off, scale, SHADOW);
  drawText(img, text, x, y, scale, INK);
  return scale;
}

function two(n: number): string {
  return String(n).padStart(2, '0');
}

export function clockText(d: Date, withMillis: boolean): string {
  const base = `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
  return withMillis ? `${base}.${String(d.getMilliseconds()).padStart(3, '0')}` : base;
}

export function dateText(d: Date): string {
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}`;
}

/** A still: the title (e.g. "IMG_0007" or "PREVIEW 3") big, date and time below it. */
export function renderStill(width: number, height: number, title: string, when: Date): RgbaImage {
  const img = cloneImage(background(width, height));
  const big = Math.max(1, Math.floor(height / 13));
  centredText(img, title, height * 0.4, big, width * 0.9);
  centredText(
    img,
    `${dateText(when)} ${clockText(when, false)}`,
    height * 0.62,
    Math.max(1, Math.floor(big / 2)),
    width * 0.9,
  );
  return img;
}

/**
 * One live-view frame: a bar sweeping left to right (one pass about every 2 s at 30 fps), the
 * frame counter and a clock with milliseconds, so a frozen or repeated stream is obvious.
 */
export function renderLiveFrame(width: number, height: number, frame: number, when: Date): RgbaImage {
  const img = cloneImage(background(width, height));
  const barW = Math.max(2, Math.round(width / 24));
  const span = width + barW;
  const x = ((frame * Math.max(1, Math.round(span / 60))) % span) - barW;
  fillRect(img, x, Math.round(height * 0.14), barW, Math.round(height * 0.72), BAR);
  const big = Math.max(1, Math.floor(height / 12));
  centredText(img, `#${String(frame).padStart(6, '0')}`, height * 0.4, big, width * 0.9);
  centredText(img, clockText(when, true), height * 0.62, Math.max(1, Math.floor(big / 2)), width * 0.9);
  return img;
}

export function encodeJpeg(img: RgbaImage, quality: number): Buffer {
  return encodeJpegFast(img, quality);
}
