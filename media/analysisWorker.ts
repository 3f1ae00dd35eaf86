/**
 * The panel's picture analysis, in a Worker so the page's main thread (which draws live view) never
 * waits for it: the R, G, B and luminance histogram, the clipping overlay (highlights and shadows
 * painted where a channel is clipped), focus peaking (strong edges painted), and the colour of a
 * clicked point (the film base of a colour negative). It draws straight into canvases the page
 * transferred to it (OffscreenCanvas), so no result crosses back for drawing.
 *
 * Only the newest picture is analysed: one that arrives while another is being analysed replaces
 * the waiting one (at most one waits), so a fast live view never builds a queue here.
 */
import type { AnalysisRequest, AnalysisSettings, WorkerReport } from './analysisTypes';
import { negativeLut } from './negativeMath';

interface Ctx {
  histogram?: OffscreenCanvasRenderingContext2D;
  overlay?: OffscreenCanvasRenderingContext2D;
}

const ctx: Ctx = {};
let settings: AnalysisSettings = {
  histogram: false,
  clipping: false,
  peaking: false,
  negative: 'slide',
};
let lut = negativeLut(settings);
let busy = false;
let waiting: ImageBitmap | Blob | undefined;
/** The last picture analysed, downscaled (for the film base pick and re-analysis after a settings change). */
let last: { data: Uint8ClampedArray; width: number; height: number } | undefined;
let analysed = 0;
let skipped = 0;
/**
 * The analysis size: a histogram's shape does not change with more pixels, and a clipping or
 * peaking overlay at this size is drawn over the picture scaled (a quarter of the work of 960 px).
 */
const MAX_SIDE = 480;
const scratch = new OffscreenCanvas(1, 1);
const scratchCtx = scratch.getContext('2d', { willReadFrequently: true });

function post(report: WorkerReport): void {
  (self as unknown as Worker).postMessage(report);
}

self.onmessage = (event: MessageEvent<AnalysisRequest>) => {
  const m = event.data;
  switch (m.kind) {
    case 'canvases':
      ctx.histogram = m.histogram.getContext('2d') ?? undefined;
      ctx.overlay = m.overlay.getContext('2d') ?? undefined;
      return;
    case 'settings':
      settings = m.settings;
      lut = negativeLut(settings);
      if (last) draw(last);
      else clearOverlay();
      return;
    case 'picture':
      if (waiting instanceof ImageBitmap) waiting.close();
      if (waiting) skipped++;
      waiting = m.picture;
      if (!busy) void next();
      return;
    case 'clear':
      if (waiting instanceof ImageBitmap) waiting.close();
      waiting = undefined;
      last = undefined;
      clearOverlay();
      clearHistogram();
      return;
    case 'sample':
      post({ kind: 'sample', id: m.id, rgb: sample(m.x, m.y) });
      return;
  }
};

async function next(): Promise<void> {
  busy = true;
  try {
    while (waiting) {
      const picture = waiting;
      waiting = undefined;
      const t0 = performance.now();
      const pixels = await pixelsOf(picture);
      if (pixels) {
        last = pixels;
        draw(pixels);
        analysed++;
      }
      // Reported even for a picture that did not decode: the page offers the next one after this.
      post({ kind: 'analysed', count: analysed, skipped, ms: performance.now() - t0 });
    }
  } finally {
    busy = false;
  }
}

async function pixelsOf(
  picture: ImageBitmap | Blob,
): Promise<{ data: Uint8ClampedArray; width: number; height: number } | undefined> {
  let bitmap: ImageBitmap;
  try {
    bitmap = picture instanceof Blob ? await createImageBitmap(picture) : picture;
  } catch {
    return undefined; // not a picture the browser decodes
  }
  try {
    const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
    const width = Math.max(1, Math.round(bitmap.width * scale));
    const height = Math.max(1, Math.round(bitmap.height * scale));
    if (!scratchCtx) return undefined;
    if (scratch.width !== width || scratch.height !== height) {
      scratch.width = width;
      scratch.height = height;
    }
    scratchCtx.drawImage(bitmap, 0, 0, width, height);
    return { data: scratchCtx.getImageData(0, 0, width, height).data, width, height };
  } finally {
    bitmap.close();
  }
}

function draw(p: { data: Uint8ClampedArray; width: number; height: number }): void {
  if (settings.histogram) drawHistogram(p.data);
  else clearHistogram();
  if (settings.clipping || settings.peaking) drawOverlay(p);
  else clearOverlay();
}

/** Counts per channel after the negative view (what the eye sees), luminance by Rec. 709 weights. */
function drawHistogram(data: Uint8ClampedArray): void {
  const c = ctx.histogram;
  if (!c) return;
  const r = new Uint32Array(256);
  const g = new Uint32Array(256);
  const b = new Uint32Array(256);
  const y = new Uint32Array(256);
  const [lr, lg, lb] = lut;
  for (let i = 0; i < data.length; i += 4) {
    const R = lr[data[i]];
    const G = lg[data[i + 1]];
    const B = lb[data[i + 2]];
    r[R]++;
    g[G]++;
    b[B]++;
    y[(R * 54 + G * 183 + B * 19) >> 8]++;
  }
  const { width, height } = c.canvas;
  c.clearRect(0, 0, width, height);
  // Scaled to the tallest bin but the two ends (clipped pixels pile up there and would flatten the rest).
  let peak = 1;
  for (const h of [r, g, b, y]) for (let i = 1; i < 255; i++) peak = Math.max(peak, h[i]);
  c.globalCompositeOperation = 'lighter';
  const plot = (h: Uint32Array, colour: string) => {
    c.fillStyle = colour;
    c.beginPath();
    c.moveTo(0, height);
    for (let i = 0; i < 256; i++) c.lineTo((i / 255) * width, height - Math.min(1, h[i] / peak) * height);
    c.lineTo(width, height);
    c.closePath();
    c.fill();
  };
  plot(r, 'rgba(220,50,50,0.7)');
  plot(g, 'rgba(50,200,50,0.7)');
  plot(b, 'rgba(60,90,230,0.7)');
  c.globalCompositeOperation = 'source-over';
  c.strokeStyle = 'rgba(255,255,255,0.9)';
  c.beginPath();
  for (let i = 0; i < 256; i++) {
    const px = (i / 255) * width;
    const py = height - Math.min(1, y[i] / peak) * height;
    if (i === 0) c.moveTo(px, py);
    else c.lineTo(px, py);
  }
  c.stroke();
  // The share of clipped pixels, at each end.
  const n = data.length / 4;
  const low = Math.round((y[0] / n) * 1000) / 10;
  const high = Math.round((y[255] / n) * 1000) / 10;
  c.fillStyle = 'rgba(255,255,255,0.85)';
  c.font = '10px sans-serif';
  c.textBaseline = 'top';
  if (low > 0) c.fillText(`${low} %`, 2, 2);
  if (high > 0) {
    const text = `${high} %`;
    c.fillText(text, width - c.measureText(text).width - 2, 2);
  }
}

/** Clipped highlights red, clipped shadows blue, peaking edges yellow, on a transparent overlay. */
function drawOverlay(p: { data: Uint8ClampedArray; width: number; height: number }): void {
  const c = ctx.overlay;
  if (!c) return;
  const { data, width, height } = p;
  if (c.canvas.width !== width || c.canvas.height !== height) {
    c.canvas.width = width;
    c.canvas.height = height;
  }
  const out = new ImageData(width, height);
  const o = out.data;
  const [lr, lg, lb] = lut;
  const lum = settings.peaking ? new Uint8Array(width * height) : undefined;
  for (let i = 0, j = 0; i < data.length; i += 4, j++) {
    const R = lr[data[i]];
    const G = lg[data[i + 1]];
    const B = lb[data[i + 2]];
    if (lum) lum[j] = (R * 54 + G * 183 + B * 19) >> 8;
    if (!settings.clipping) continue;
    if (R >= 254 || G >= 254 || B >= 254) {
      o[i] = 255;
      o[i + 1] = 0;
      o[i + 2] = 0;
      o[i + 3] = 200;
    } else if (R <= 1 && G <= 1 && B <= 1) {
      o[i] = 0;
      o[i + 1] = 80;
      o[i + 2] = 255;
      o[i + 3] = 200;
    }
  }
  if (lum) peaking(lum, width, height, o);
  c.putImageData(out, 0, 0);
}

/** Sobel gradient magnitude above a threshold relative to the picture's strongest edges. */
function peaking(lum: Uint8Array, width: number, height: number, o: Uint8ClampedArray): void {
  const mag = new Uint16Array(width * height);
  let max = 0;
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const i = y * width + x;
      const gx =
        lum[i - width + 1] +
        2 * lum[i + 1] +
        lum[i + width + 1] -
        lum[i - width - 1] -
        2 * lum[i - 1] -
        lum[i + width - 1];
      const gy =
        lum[i + width - 1] +
        2 * lum[i + width] +
        lum[i + width + 1] -
        lum[i - width - 1] -
        2 * lum[i - width] -
        lum[i - width + 1];
      const m = Math.abs(gx) + Math.abs(gy);
      mag[i] = m;
      if (m > max) max = m;
    }
  }
  const threshold = Math.max(64, max * 0.45);
  for (let i = 0; i < mag.length; i++) {
    if (mag[i] < threshold) continue;
    const k = i * 4;
    o[k] = 255;
    o[k + 1] = 230;
    o[k + 2] = 0;
    o[k + 3] = 255;
  }
}

/** The mean colour (as recorded, before the negative view) of a 5x5 patch at (x, y), 0..1 of the picture. */
function sample(x: number, y: number): [number, number, number] | undefined {
  if (!last) return undefined;
  const { data, width, height } = last;
  const cx = Math.min(width - 1, Math.max(0, Math.round(x * (width - 1))));
  const cy = Math.min(height - 1, Math.max(0, Math.round(y * (height - 1))));
  let r = 0;
  let g = 0;
  let b = 0;
  let n = 0;
  for (let dy = -2; dy <= 2; dy++) {
    for (let dx = -2; dx <= 2; dx++) {
      const px = cx + dx;
      const py = cy + dy;
      if (px < 0 || py < 0 || px >= width || py >= height) continue;
      const i = (py * width + px) * 4;
      r += data[i];
      g += data[i + 1];
      b += data[i + 2];
      n++;
    }
  }
  return [Math.round(r / n), Math.round(g / n), Math.round(b / n)];
}

function clearOverlay(): void {
  const c = ctx.overlay;
  if (c) c.clearRect(0, 0, c.canvas.width, c.canvas.height);
}

function clearHistogram(): void {
  const c = ctx.histogram;
  if (c) c.clearRect(0, 0, c.canvas.width, c.canvas.height);
}
