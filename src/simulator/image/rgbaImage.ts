/** A plain RGBA pixel buffer (the layout jpeg-js encodes) and the few drawing primitives the test card needs. */

export interface RgbaImage {
  width: number;
  height: number;
  data: Buffer;
}

export type Rgba = readonly [number, number, number];

export function createImage(width: number, height: number): RgbaImage {
  // Alpha is ignored by the JPEG encoder, so a zero-filled buffer is fine.
  return { width, height, data: Buffer.alloc(width * height * 4) };
}

export function cloneImage(img: RgbaImage): RgbaImage {
  return { width: img.width, height: img.height, data: Buffer.from(img.data) };
}

/** Fills a rectangle, clipped to the image. */
export function fillRect(img: RgbaImage, x: number, y: number, w: number, h: number, [r, g, b]: Rgba): void {
  const x0 = Math.max(0, Math.floor(x));
  const y0 = Math.max(0, Math.floor(y));
  const x1 = Math.min(img.width, Math.floor(x + w));
  const y1 = Math.min(img.height, Math.floor(y + h));
  if (x1 <= x0 || y1 <= y0) return;
  const data = img.data;
  // Paint one row, then copy it down: much faster than per-pixel writes for big areas.
  const rowStart = (y0 * img.width + x0) * 4;
  for (let i = rowStart, end = rowStart + (x1 - x0) * 4; i < end; i += 4) {
    data[i] = r;
    data[i + 1] = g;
    data[i + 2] = b;
    data[i + 3] = 255;
  }
  const rowBytes = (x1 - x0) * 4;
  for (let yy = y0 + 1; yy < y1; yy++) {
    data.copy(data, (yy * img.width + x0) * 4, rowStart, rowStart + rowBytes);
  }
}
