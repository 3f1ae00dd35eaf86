// Draws the extension icon, media/icon.png (128x128 RGBA): a white camera glyph on a blue rounded
// square. No image library: shapes are tested per sub-sample (4x4 per pixel, for smooth edges) and
// the PNG is written with node's zlib. Run `node test/setup/make-icon.js [out.png]`.
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

const SIZE = 128;
const SUB = 4;

const inRoundRect = (x, y, x0, y0, x1, y1, r) => {
  if (x < x0 || x > x1 || y < y0 || y > y1) return false;
  const cx = Math.min(Math.max(x, x0 + r), x1 - r);
  const cy = Math.min(Math.max(y, y0 + r), y1 - r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
};
const inCircle = (x, y, cx, cy, r) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
/** The viewfinder hump: a trapezoid, wider at the body. */
const inHump = (x, y) => y >= 28 && y <= 46 && Math.abs(x - 64) <= 18 + (y - 28) * 0.6;

function background(y) {
  // Top #2f81f7 to bottom #0b3d91.
  const t = y / SIZE;
  return [0x2f + (0x0b - 0x2f) * t, 0x81 + (0x3d - 0x81) * t, 0xf7 + (0x91 - 0xf7) * t];
}

/** The colour at one sub-sample, or undefined outside the icon (transparent). */
function sample(x, y) {
  if (!inRoundRect(x, y, 0, 0, SIZE, SIZE, 26)) return undefined;
  const bg = background(y);
  const white = [255, 255, 255];
  const lensX = 64;
  const lensY = 72;
  if (inCircle(x, y, lensX, lensY, 25)) {
    if (!inCircle(x, y, lensX, lensY, 19)) return white; // lens ring
    if (inCircle(x, y, lensX - 5, lensY - 5, 4)) return [220, 235, 255]; // highlight
    if (inCircle(x, y, lensX, lensY, 12)) return [0x12, 0x2b, 0x5c]; // glass
    return bg;
  }
  if (inRoundRect(x, y, 88, 50, 100, 57, 2)) return [255, 196, 0]; // flash window
  if (inRoundRect(x, y, 18, 42, 110, 102, 11) || inHump(x, y)) return white;
  if (inRoundRect(x, y, 26, 35, 40, 44, 2)) return white; // shutter button
  return bg;
}

function render() {
  const rgba = Buffer.alloc(SIZE * SIZE * 4);
  for (let py = 0; py < SIZE; py++) {
    for (let px = 0; px < SIZE; px++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let covered = 0;
      for (let sy = 0; sy < SUB; sy++) {
        for (let sx = 0; sx < SUB; sx++) {
          const c = sample(px + (sx + 0.5) / SUB, py + (sy + 0.5) / SUB);
          if (!c) continue;
          r += c[0];
          g += c[1];
          b += c[2];
          covered++;
        }
      }
      const i = (py * SIZE + px) * 4;
      if (covered > 0) {
        rgba[i] = Math.round(r / covered);
        rgba[i + 1] = Math.round(g / covered);
        rgba[i + 2] = Math.round(b / covered);
      }
      rgba[i + 3] = Math.round((255 * covered) / (SUB * SUB));
    }
  }
  return rgba;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

function png(width, height, rgba) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  const raw = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 4 + 1)] = 0; // filter: none
    rgba.copy(raw, y * (width * 4 + 1) + 1, y * width * 4, (y + 1) * width * 4);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const out = path.resolve(process.argv[2] ?? path.join(__dirname, '..', '..', 'media', 'icon.png'));
fs.writeFileSync(out, png(SIZE, SIZE, render()));
console.log(`wrote ${out}`);
