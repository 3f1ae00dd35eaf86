/**
 * A small baseline JPEG encoder (JFIF, YCbCr 4:2:0, the standard Annex K tables, IJG quality
 * scaling). It exists for speed: a capture must cost well under 200 ms end to end, and jpeg-js's
 * encoder spends most of a cold run in table setup and garbage collection. Typed arrays only, and
 * flat 8x8 blocks (most of a test card) skip the DCT. Tests decode its output with jpeg-js.
 */
import type { RgbaImage } from './rgbaImage';

// Annex K.1 quantisation tables, natural (row-major) order.
const LUMA_Q = [
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51,
  87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101,
  72, 92, 95, 98, 112, 100, 103, 99,
];
const CHROMA_Q = [
  17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99,
  99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
  99, 99, 99, 99, 99, 99,
];
/** ZIGZAG[k] = natural index of the k-th coefficient in zigzag order. */
const ZIGZAG = [
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
  35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47,
  55, 62, 63,
];

// Annex K.3 Huffman tables: code counts per length 1..16, then the symbols.
const DC_LUMA_BITS = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];
const DC_LUMA_VALS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
const DC_CHROMA_BITS = [0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0];
const DC_CHROMA_VALS = DC_LUMA_VALS;
const AC_LUMA_BITS = [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d];
const AC_LUMA_VALS = hex(
  '01020300041105122131410613516107227114328191a1082342b1c11552d1f02433627282090a161718191a25262728292a3435363738393a434445464748494a' +
    '535455565758595a636465666768696a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7' +
    'c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9fa',
);
const AC_CHROMA_BITS = [0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77];
const AC_CHROMA_VALS = hex(
  '000102031104052131061241510761711322328108144291a1b1c109233352f0156272d10a162434e125f11718191a262728292a35363738393a434445464748494a' +
    '535455565758595a636465666768696a737475767778797a82838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6' +
    'c7c8c9cad2d3d4d5d6d7d8d9dae2e3e4e5e6e7e8e9eaf2f3f4f5f6f7f8f9fa',
);

function hex(s: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; i += 2) out.push(parseInt(s.slice(i, i + 2), 16));
  return out;
}

interface HuffTable {
  code: Uint16Array;
  size: Uint8Array;
}

function buildHuffman(bits: readonly number[], vals: readonly number[]): HuffTable {
  const code = new Uint16Array(256);
  const size = new Uint8Array(256);
  let c = 0;
  let k = 0;
  for (let len = 1; len <= 16; len++) {
    for (let i = 0; i < bits[len - 1]; i++) {
      code[vals[k]] = c;
      size[vals[k]] = len;
      c++;
      k++;
    }
    c <<= 1;
  }
  return { code, size };
}

const HUFF = {
  dcY: buildHuffman(DC_LUMA_BITS, DC_LUMA_VALS),
  acY: buildHuffman(AC_LUMA_BITS, AC_LUMA_VALS),
  dcC: buildHuffman(DC_CHROMA_BITS, DC_CHROMA_VALS),
  acC: buildHuffman(AC_CHROMA_BITS, AC_CHROMA_VALS),
};

const AAN_SCALE = [1.0, 1.387039845, 1.306562965, 1.175875602, 1.0, 0.785694958, 0.5411961, 0.275899379];

/** IJG quality scaling of a base table; returns [table in zigzag order for DQT, reciprocal divisors for the float DCT]. */
function scaledTables(base: readonly number[], quality: number): { zigzag: Uint8Array; divisors: Float32Array } {
  const q = Math.min(100, Math.max(1, Math.round(quality)));
  const scale = q < 50 ? 5000 / q : 200 - q * 2;
  const natural = base.map((v) => Math.min(255, Math.max(1, Math.floor((v * scale + 50) / 100))));
  const zigzag = new Uint8Array(64);
  for (let k = 0; k < 64; k++) zigzag[k] = natural[ZIGZAG[k]];
  const divisors = new Float32Array(64);
  for (let row = 0; row < 8; row++) {
    for (let col = 0; col < 8; col++)
      divisors[row * 8 + col] = 1 / (natural[row * 8 + col] * AAN_SCALE[row] * AAN_SCALE[col] * 8);
  }
  return { zigzag, divisors };
}

/** Growable output with JPEG byte stuffing for the entropy-coded data. */
class BitWriter {
  buf: Buffer;
  pos = 0;
  private acc = 0;
  private nbits = 0;

  constructor(capacity: number) {
    this.buf = Buffer.allocUnsafe(capacity);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  bytes(data: ArrayLike<number>): void {
    this.ensure(data.length);
    for (let i = 0; i < data.length; i++) this.buf[this.pos++] = data[i];
  }

  bits(value: number, count: number): void {
    this.acc = (this.acc << count) | (value & ((1 << count) - 1));
    this.nbits += count;
    while (this.nbits >= 8) {
      this.nbits -= 8;
      const byte = (this.acc >>> this.nbits) & 0xff;
      this.ensure(2);
      this.buf[this.pos++] = byte;
      if (byte === 0xff) this.buf[this.pos++] = 0; // stuffing
    }
    this.acc &= (1 << this.nbits) - 1;
  }

  /** Pads the last byte with 1-bits, as the standard asks. */
  flush(): void {
    if (this.nbits > 0) this.bits(0x7f, 8 - this.nbits);
  }
}

/** Number of bits of |v| (the JPEG "category"). */
function category(v: number): number {
  return v === 0 ? 0 : 32 - Math.clz32(v < 0 ? -v : v);
}

const block = new Float32Array(64);
const quantised = new Int32Array(64);

/** One 8-point forward DCT (AAN, float) in place: a row (stride 1) or a column (stride 8). */
function fdct8(d: Float32Array, o: number, s: number): void {
  const t0 = d[o] + d[o + 7 * s];
  const t7 = d[o] - d[o + 7 * s];
  const t1 = d[o + s] + d[o + 6 * s];
  const t6 = d[o + s] - d[o + 6 * s];
  const t2 = d[o + 2 * s] + d[o + 5 * s];
  const t5 = d[o + 2 * s] - d[o + 5 * s];
  const t3 = d[o + 3 * s] + d[o + 4 * s];
  const t4 = d[o + 3 * s] - d[o + 4 * s];
  let t10 = t0 + t3;
  const t13 = t0 - t3;
  let t11 = t1 + t2;
  let t12 = t1 - t2;
  d[o] = t10 + t11;
  d[o + 4 * s] = t10 - t11;
  const z1 = (t12 + t13) * 0.707106781;
  d[o + 2 * s] = t13 + z1;
  d[o + 6 * s] = t13 - z1;
  t10 = t4 + t5;
  t11 = t5 + t6;
  t12 = t6 + t7;
  const z5 = (t10 - t12) * 0.382683433;
  const z2 = 0.5411961 * t10 + z5;
  const z4 = 1.306562965 * t12 + z5;
  const z3 = t11 * 0.707106781;
  const z11 = t7 + z3;
  const z13 = t7 - z3;
  d[o + 5 * s] = z13 + z2;
  d[o + 3 * s] = z13 - z2;
  d[o + s] = z11 + z4;
  d[o + 7 * s] = z11 - z4;
}

/** Forward DCT (AAN, float) of `block` in place, then quantisation into `quantised` (natural order). */
function fdctQuantise(divisors: Float32Array): void {
  const d = block;
  for (let r = 0; r < 64; r += 8) fdct8(d, r, 1);
  for (let c = 0; c < 8; c++) fdct8(d, c, 8);
  for (let i = 0; i < 64; i++) quantised[i] = Math.round(d[i] * divisors[i]);
}

/** Entropy-codes `quantised` (or a flat block's DC only); returns the new DC predictor. */
function encodeBlock(
  w: BitWriter,
  prevDc: number,
  dc: number,
  flat: boolean,
  dcTable: HuffTable,
  acTable: HuffTable,
): number {
  const diff = dc - prevDc;
  const dcCat = category(diff);
  w.bits(dcTable.code[dcCat], dcTable.size[dcCat]);
  if (dcCat) w.bits(diff < 0 ? diff - 1 : diff, dcCat);
  if (!flat) {
    let run = 0;
    for (let k = 1; k < 64; k++) {
      const v = quantised[ZIGZAG[k]];
      if (v === 0) {
        run++;
        continue;
      }
      while (run > 15) {
        w.bits(acTable.code[0xf0], acTable.size[0xf0]);
        run -= 16;
      }
      const cat = category(v);
      const sym = (run << 4) | cat;
      w.bits(acTable.code[sym], acTable.size[sym]);
      w.bits(v < 0 ? v - 1 : v, cat);
      run = 0;
    }
    if (run === 0) return dc;
  }
  w.bits(acTable.code[0], acTable.size[0]); // EOB
  return dc;
}

/**
 * Loads one 8x8 block of a plane into `block` (level-shifted); returns true if all samples are
 * equal, in which case only the DC matters and the DCT is skipped.
 */
function loadBlock(plane: Uint8Array, stride: number, x0: number, y0: number): boolean {
  const first = plane[y0 * stride + x0];
  let flat = true;
  for (let y = 0; y < 8; y++) {
    const row = (y0 + y) * stride + x0;
    for (let x = 0; x < 8; x++) {
      const v = plane[row + x];
      if (v !== first) flat = false;
      block[y * 8 + x] = v - 128;
    }
  }
  return flat;
}

function flatDc(divisors: Float32Array): number {
  // For a flat block the DCT's DC term is 64 * (sample - 128); everything else is zero.
  return Math.round(block[0] * 64 * divisors[0]);
}

export function encodeJpegFast(img: RgbaImage, quality: number): Buffer {
  const { width, height, data } = img;
  // Planes padded to whole 16x16 MCUs by repeating the last column and row.
  const pw = Math.ceil(width / 16) * 16;
  const ph = Math.ceil(height / 16) * 16;
  const Y = new Uint8Array(pw * ph);
  const cw = pw / 2;
  const ch = ph / 2;
  const Cb = new Uint8Array(cw * ch);
  const Cr = new Uint8Array(cw * ch);
  // Fixed-point BT.601 (all results lie in 0..255, so |0 rounds).
  for (let y = 0; y < ph; y++) {
    const srcRow = (y < height ? y : height - 1) * width * 4;
    const dstRow = y * pw;
    for (let x = 0; x < pw; x++) {
      const i = srcRow + (x < width ? x : width - 1) * 4;
      Y[dstRow + x] = (19595 * data[i] + 38470 * data[i + 1] + 7471 * data[i + 2] + 32768) >> 16;
    }
  }
  // Chroma from the average colour of each 2x2 square (4:2:0).
  for (let y = 0; y < ch; y++) {
    const y0 = Math.min(2 * y, height - 1);
    const y1 = Math.min(2 * y + 1, height - 1);
    for (let x = 0; x < cw; x++) {
      const x0 = Math.min(2 * x, width - 1);
      const x1 = Math.min(2 * x + 1, width - 1);
      const a = (y0 * width + x0) * 4;
      const b = (y0 * width + x1) * 4;
      const c = (y1 * width + x0) * 4;
      const d = (y1 * width + x1) * 4;
      const r = (data[a] + data[b] + data[c] + data[d]) / 4;
      const g = (data[a + 1] + data[b + 1] + data[c + 1] + data[d + 1]) / 4;
      const bl = (data[a + 2] + data[b + 2] + data[c + 2] + data[d + 2]) / 4;
      Cb[y * cw + x] = (-0.168736 * r - 0.331264 * g + 0.5 * bl + 128.5) | 0;
      Cr[y * cw + x] = (0.5 * r - 0.418688 * g - 0.081312 * bl + 128.5) | 0;
    }
  }

  const luma = scaledTables(LUMA_Q, quality);
  const chroma = scaledTables(CHROMA_Q, quality);
  const w = new BitWriter(Math.max(4096, width * height));
  writeHeaders(w, width, height, luma.zigzag, chroma.zigzag);

  let dcY = 0;
  let dcCb = 0;
  let dcCr = 0;
  const coded = (
    plane: Uint8Array,
    stride: number,
    x: number,
    y: number,
    t: { divisors: Float32Array },
    prev: number,
    dcT: HuffTable,
    acT: HuffTable,
  ): number => {
    const flat = loadBlock(plane, stride, x, y);
    let dc: number;
    if (flat) dc = flatDc(t.divisors);
    else {
      fdctQuantise(t.divisors);
      dc = quantised[0];
    }
    return encodeBlock(w, prev, dc, flat, dcT, acT);
  };
  for (let my = 0; my < ph; my += 16) {
    for (let mx = 0; mx < pw; mx += 16) {
      dcY = coded(Y, pw, mx, my, luma, dcY, HUFF.dcY, HUFF.acY);
      dcY = coded(Y, pw, mx + 8, my, luma, dcY, HUFF.dcY, HUFF.acY);
      dcY = coded(Y, pw, mx, my + 8, luma, dcY, HUFF.dcY, HUFF.acY);
      dcY = coded(Y, pw, mx + 8, my + 8, luma, dcY, HUFF.dcY, HUFF.acY);
      dcCb = coded(Cb, cw, mx / 2, my / 2, chroma, dcCb, HUFF.dcC, HUFF.acC);
      dcCr = coded(Cr, cw, mx / 2, my / 2, chroma, dcCr, HUFF.dcC, HUFF.acC);
    }
  }
  w.flush();
  w.bytes([0xff, 0xd9]); // EOI
  return w.buf.subarray(0, w.pos);
}

function writeHeaders(w: BitWriter, width: number, height: number, lumaQ: Uint8Array, chromaQ: Uint8Array): void {
  w.bytes([0xff, 0xd8]); // SOI
  w.bytes([0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0]); // APP0 JFIF 1.1
  w.bytes([0xff, 0xdb, 0, 132, 0]); // DQT: two 8-bit tables
  w.bytes(lumaQ);
  w.bytes([1]);
  w.bytes(chromaQ);
  // SOF0: 8-bit, 3 components, Y sampled 2x2, Cb and Cr 1x1.
  w.bytes([
    0xff,
    0xc0,
    0,
    17,
    8,
    height >> 8,
    height & 0xff,
    width >> 8,
    width & 0xff,
    3,
    1,
    0x22,
    0,
    2,
    0x11,
    1,
    3,
    0x11,
    1,
  ]);
  const dht = (cls: number, bits: readonly number[], vals: readonly number[]): void => {
    w.bytes([0xff, 0xc4, 0, 3 + 16 + vals.length, cls]);
    w.bytes(bits);
    w.bytes(vals);
  };
  dht(0x00, DC_LUMA_BITS, DC_LUMA_VALS);
  dht(0x10, AC_LUMA_BITS, AC_LUMA_VALS);
  dht(0x01, DC_CHROMA_BITS, DC_CHROMA_VALS);
  dht(0x11, AC_CHROMA_BITS, AC_CHROMA_VALS);
  w.bytes([0xff, 0xda, 0, 12, 3, 1, 0x00, 2, 0x11, 3, 0x11, 0, 63, 0]); // SOS
}
