/**
 * A baseline JPEG decoder that outputs the picture already scaled down by 8, 4 or 2 (or full size),
 * for thumbnails. Scaling happens in the DCT domain: each 8x8 block becomes 1x1, 2x2 or 4x4 pixels,
 * each the exact average of the pixels it covers (a box-filtered downscale), so a 1/8 thumbnail
 * needs only the DC coefficient and no inverse transform at all. All coefficients must still be
 * entropy-decoded, but a 24 MP camera JPEG takes a fraction of a full decode (see bench/rollReview.ts).
 *
 * Baseline and extended Huffman (SOF0/SOF1), 8-bit, 1 or 3 components, any sampling factors,
 * interleaved or not, restart markers. Progressive, arithmetic-coded, lossless (the raw data in
 * some DNGs) and CMYK JPEGs are refused with JpegUnsupported; truncated data decodes as grey.
 */

export type JpegScale = 1 | 2 | 4 | 8;

export interface JpegHeader {
  width: number;
  height: number;
  components: number;
  /** The SOFn marker (0xc0 baseline, 0xc1 extended, 0xc2 progressive, 0xc3 lossless...). */
  sof: number;
  precision: number;
}

export interface RgbImage {
  width: number;
  height: number;
  /** width * height * 3 bytes, RGB. */
  data: Uint8Array;
}

export class JpegUnsupported extends Error {
  override readonly name = 'JpegUnsupported';
}

/** Whether this decoder can decode a JPEG with this header. */
export function decodable(h: JpegHeader): boolean {
  return (h.sof === 0xc0 || h.sof === 0xc1) && h.precision === 8 && (h.components === 1 || h.components === 3);
}

/**
 * The frame header of the JPEG at the start of `buf` (segments are skipped by their lengths), or
 * undefined when `buf` is not a JPEG or ends before the frame header.
 */
export function readJpegHeader(buf: Uint8Array): JpegHeader | undefined {
  if (buf.length < 4 || buf[0] !== 0xff || buf[1] !== 0xd8) return undefined;
  let pos = 2;
  while (pos + 4 <= buf.length) {
    if (buf[pos] !== 0xff) return undefined;
    const marker = buf[pos + 1];
    if (marker === 0xff) {
      pos++;
      continue;
    }
    pos += 2;
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue;
    if (marker === 0xd9 || marker === 0xda) return undefined;
    const len = (buf[pos] << 8) | buf[pos + 1];
    if (len < 2) return undefined;
    if (isSof(marker)) {
      if (pos + 8 > buf.length) return undefined;
      return {
        sof: marker,
        precision: buf[pos + 2],
        height: (buf[pos + 3] << 8) | buf[pos + 4],
        width: (buf[pos + 5] << 8) | buf[pos + 6],
        components: buf[pos + 7],
      };
    }
    pos += len;
  }
  return undefined;
}

function isSof(m: number): boolean {
  return m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;
}

/** ZIGZAG[k]: the natural (row-major) index of the k-th coefficient in the stream. */
const ZIGZAG = new Uint8Array([
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
  35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47,
  55, 62, 63,
]);

/**
 * basis(k)[u * k + j]: the average, over the 8/k pixels of output column j, of the 1-D IDCT basis
 * function u (with its 1/2 and C(u) factors). The 2-D block is separable: out = B^T F B.
 */
const BASES = new Map<number, Float32Array>();
function basis(k: number): Float32Array {
  let b = BASES.get(k);
  if (!b) {
    b = new Float32Array(8 * k);
    const seg = 8 / k;
    for (let u = 0; u < 8; u++) {
      const c = u === 0 ? Math.SQRT1_2 : 1;
      for (let j = 0; j < k; j++) {
        let sum = 0;
        for (let x = j * seg; x < (j + 1) * seg; x++) sum += 0.5 * c * Math.cos(((2 * x + 1) * u * Math.PI) / 16);
        b[u * k + j] = sum / seg;
      }
    }
    BASES.set(k, b);
  }
  return b;
}

interface Component {
  id: number;
  h: number;
  v: number;
  tq: number;
  plane: Uint8ClampedArray;
  /** Plane width in pixels. */
  stride: number;
  pred: number;
  /**
   * Pixels per block, across and down, in this component's plane: subsampled chroma is decoded
   * finer (2x across for 4:2:2, 2x both ways for 4:2:0) so that it matches the luma's resolution.
   */
  kx: JpegScale;
  ky: JpegScale;
}

/** A 16-bit lookahead table: entry = (code length << 8) | symbol; 0 for an invalid code. */
function buildHuffman(counts: Uint8Array, symbols: Uint8Array): Uint16Array {
  const table = new Uint16Array(65536);
  let code = 0;
  let k = 0;
  for (let len = 1; len <= 16; len++) {
    for (let i = 0; i < counts[len - 1]; i++) {
      if (k >= symbols.length) throw new JpegUnsupported('a Huffman table has fewer symbols than codes');
      const shift = 16 - len;
      const start = code << shift;
      if (start + (1 << shift) > 65536) throw new JpegUnsupported('a Huffman table is over-subscribed');
      table.fill((len << 8) | symbols[k++], start, start + (1 << shift));
      code++;
    }
    code <<= 1;
  }
  return table;
}

/**
 * Decodes `buf` with each 8x8 block turned into `scale` x `scale` pixels (1: 1/8 size ... 8: full
 * size). `fineChroma: false` keeps subsampled chroma at its own (coarser) resolution, which is
 * cheaper and invisible when the picture is scaled down further anyway.
 */
export function decodeJpegScaled(buf: Uint8Array, scale: JpegScale, options: { fineChroma?: boolean } = {}): RgbImage {
  const fineChroma = options.fineChroma ?? true;
  if (buf[0] !== 0xff || buf[1] !== 0xd8) throw new JpegUnsupported('not a JPEG (no SOI marker)');
  const quant: (Int32Array | undefined)[] = [];
  const dcTables: (Uint16Array | undefined)[] = [];
  const acTables: (Uint16Array | undefined)[] = [];
  let comps: Component[] = [];
  let width = 0;
  let height = 0;
  let hmax = 1;
  let vmax = 1;
  let mcusX = 0;
  let mcusY = 0;
  let restartInterval = 0;
  let adobeTransform = -1;
  let framed = false;
  let scanned = false;
  const coef = new Float32Array(64);
  const tmp = new Float32Array(64);

  let pos = 2;
  const end = buf.length;
  outer: while (pos + 1 < end) {
    if (buf[pos] !== 0xff) {
      pos++;
      continue;
    }
    const marker = buf[pos + 1];
    if (marker === 0xff) {
      pos++;
      continue;
    }
    pos += 2;
    if (marker === 0x00 || marker === 0x01 || marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7)) continue;
    if (marker === 0xd9) break;
    if (pos + 2 > end) break;
    const len = (buf[pos] << 8) | buf[pos + 1];
    const segEnd = Math.min(end, pos + len);
    const seg = pos + 2;
    switch (marker) {
      case 0xdb: {
        let p = seg;
        while (p < segEnd) {
          const pq = buf[p] >> 4;
          const tq = buf[p] & 15;
          p++;
          if (tq > 3) throw new JpegUnsupported('bad quantisation table id');
          const q = new Int32Array(64);
          for (let i = 0; i < 64; i++) {
            q[i] = pq ? (buf[p] << 8) | buf[p + 1] : buf[p];
            p += pq ? 2 : 1;
          }
          quant[tq] = q;
        }
        break;
      }
      case 0xc4: {
        let p = seg;
        while (p + 17 <= segEnd) {
          const tc = buf[p] >> 4;
          const th = buf[p] & 15;
          const counts = buf.subarray(p + 1, p + 17);
          let n = 0;
          for (let i = 0; i < 16; i++) n += counts[i];
          const symbols = buf.subarray(p + 17, p + 17 + n);
          if (th > 3 || tc > 1) throw new JpegUnsupported('bad Huffman table id');
          (tc === 0 ? dcTables : acTables)[th] = buildHuffman(counts, symbols);
          p += 17 + n;
        }
        break;
      }
      case 0xc0:
      case 0xc1: {
        if (buf[seg] !== 8) throw new JpegUnsupported(`${buf[seg]}-bit JPEG`);
        height = (buf[seg + 1] << 8) | buf[seg + 2];
        width = (buf[seg + 3] << 8) | buf[seg + 4];
        const n = buf[seg + 5];
        if (width === 0 || height === 0) throw new JpegUnsupported('the JPEG has no size in its frame header');
        if (n !== 1 && n !== 3) throw new JpegUnsupported(`a JPEG with ${n} components (CMYK?)`);
        comps = [];
        for (let i = 0; i < n; i++) {
          const b = seg + 6 + i * 3;
          const h = buf[b + 1] >> 4;
          const v = buf[b + 1] & 15;
          if (h < 1 || h > 4 || v < 1 || v > 4) throw new JpegUnsupported('bad sampling factors');
          comps.push({
            id: buf[b],
            h,
            v,
            tq: buf[b + 2] & 3,
            plane: new Uint8ClampedArray(0),
            stride: 0,
            pred: 0,
            kx: scale,
            ky: scale,
          });
        }
        hmax = Math.max(...comps.map((c) => c.h));
        vmax = Math.max(...comps.map((c) => c.v));
        mcusX = Math.ceil(width / (8 * hmax));
        mcusY = Math.ceil(height / (8 * vmax));
        for (const c of comps) {
          c.kx = fineChroma ? finer(scale, hmax / c.h) : scale;
          c.ky = fineChroma ? finer(scale, vmax / c.v) : scale;
          c.stride = mcusX * c.h * c.kx;
          c.plane = new Uint8ClampedArray(c.stride * mcusY * c.v * c.ky).fill(128);
        }
        framed = true;
        break;
      }
      case 0xdd:
        restartInterval = (buf[seg] << 8) | buf[seg + 1];
        break;
      case 0xee:
        if (len >= 12 && String.fromCharCode(...buf.subarray(seg, seg + 5)) === 'Adobe') adobeTransform = buf[seg + 11];
        break;
      case 0xda: {
        if (!framed) throw new JpegUnsupported('scan before the frame header');
        const ns = buf[seg];
        const inScan: { c: Component; dc: Uint16Array; ac: Uint16Array; q: Int32Array }[] = [];
        for (let i = 0; i < ns; i++) {
          const id = buf[seg + 1 + i * 2];
          const t = buf[seg + 2 + i * 2];
          const c = comps.find((x) => x.id === id);
          const dc = dcTables[t >> 4];
          const ac = acTables[t & 15];
          if (!c || !dc || !ac) throw new JpegUnsupported('a scan uses a component or table that is not defined');
          const q = quant[c.tq];
          if (!q) throw new JpegUnsupported('a component uses a quantisation table that is not defined');
          inScan.push({ c, dc, ac, q });
        }
        pos = decodeScan(segEnd, inScan);
        scanned = true;
        continue outer;
      }
      default:
        if (isSof(marker))
          throw new JpegUnsupported(`JPEG frame type 0x${marker.toString(16)} (progressive, lossless or arithmetic)`);
    }
    pos = segEnd;
  }
  if (!scanned) throw new JpegUnsupported('the JPEG has no image data');

  // Upsample the chroma planes (nearest) and convert to RGB.
  const outW = Math.ceil((width * scale) / 8);
  const outH = Math.ceil((height * scale) / 8);
  const data = new Uint8Array(outW * outH * 3);
  // Output pixel x covers full-size column x * 8 / scale, which is sample x * 8/scale * h/hmax of the
  // component, which is x * h * kx / (hmax * scale) in its plane (and the same down).
  const xmaps = comps.map((c) => {
    const m = new Int32Array(outW);
    for (let x = 0; x < outW; x++) m[x] = Math.floor((x * c.h * c.kx) / (hmax * scale));
    return m;
  });
  const rgb = comps.length === 3 && adobeTransform === 0;
  for (let y = 0; y < outH; y++) {
    const rows = comps.map((c) => Math.floor((y * c.v * c.ky) / (vmax * scale)) * c.stride);
    let o = y * outW * 3;
    if (comps.length === 1) {
      const p = comps[0].plane;
      const xm = xmaps[0];
      for (let x = 0; x < outW; x++, o += 3) data[o] = data[o + 1] = data[o + 2] = p[rows[0] + xm[x]];
      continue;
    }
    const [a, b, c] = comps;
    for (let x = 0; x < outW; x++, o += 3) {
      const Y = a.plane[rows[0] + xmaps[0][x]];
      const Cb = b.plane[rows[1] + xmaps[1][x]];
      const Cr = c.plane[rows[2] + xmaps[2][x]];
      if (rgb) {
        data[o] = Y;
        data[o + 1] = Cb;
        data[o + 2] = Cr;
      } else {
        data[o] = clamp(Y + 1.402 * (Cr - 128));
        data[o + 1] = clamp(Y - 0.344136 * (Cb - 128) - 0.714136 * (Cr - 128));
        data[o + 2] = clamp(Y + 1.772 * (Cb - 128));
      }
    }
  }
  return { width: outW, height: outH, data };

  /** Decodes one scan's entropy-coded data starting at `start`; returns where the next marker is. */
  function decodeScan(
    start: number,
    inScan: { c: Component; dc: Uint16Array; ac: Uint16Array; q: Int32Array }[],
  ): number {
    let p = start;
    let bitBuf = 0;
    let bitCnt = 0;
    const fill = (): void => {
      while (bitCnt <= 24) {
        let byte = 0;
        if (p < end) {
          byte = buf[p];
          if (byte === 0xff) {
            const next = buf[p + 1];
            if (next === 0x00) p += 2;
            else byte = 0; // a marker: feed zeros, do not pass it
          } else p++;
        }
        bitBuf = ((bitBuf << 8) | byte) >>> 0;
        bitCnt += 8;
      }
    };
    const huff = (table: Uint16Array): number => {
      if (bitCnt < 16) fill();
      const e = table[(bitBuf >>> (bitCnt - 16)) & 0xffff];
      if (e === 0) throw new JpegUnsupported('corrupt JPEG data (an invalid Huffman code)');
      bitCnt -= e >> 8;
      return e & 0xff;
    };
    const receive = (s: number): number => {
      if (bitCnt < s) fill();
      const v = (bitBuf >>> (bitCnt - s)) & ((1 << s) - 1);
      bitCnt -= s;
      return v < 1 << (s - 1) ? v - (1 << s) + 1 : v;
    };
    const skip = (s: number): void => {
      if (bitCnt < s) fill();
      bitCnt -= s;
    };
    const block = (c: Component, dc: Uint16Array, ac: Uint16Array, q: Int32Array, bx: number, by: number): void => {
      const t = huff(dc);
      c.pred += t === 0 ? 0 : receive(t);
      const out = c.plane;
      const kx = c.kx;
      const ky = c.ky;
      if (kx === 1 && ky === 1) {
        for (let k = 1; k < 64;) {
          const rs = huff(ac);
          const s = rs & 15;
          if (s === 0) {
            if (rs >> 4 !== 15) break;
            k += 16;
          } else {
            k += (rs >> 4) + 1;
            skip(s);
          }
        }
        out[by * c.stride + bx] = (c.pred * q[0]) / 8 + 128;
        return;
      }
      coef.fill(0);
      coef[0] = c.pred * q[0];
      for (let k = 1; k < 64;) {
        const rs = huff(ac);
        const s = rs & 15;
        if (s === 0) {
          if (rs >> 4 !== 15) break;
          k += 16;
        } else {
          k += rs >> 4;
          if (k > 63) break;
          coef[ZIGZAG[k]] = receive(s) * q[k];
          k++;
        }
      }
      const bx8 = basis(kx);
      const by8 = basis(ky);
      for (let v = 0; v < 8; v++) {
        const row = v * 8;
        for (let j = 0; j < kx; j++) {
          let sum = 0;
          for (let u = 0; u < 8; u++) sum += coef[row + u] * bx8[u * kx + j];
          tmp[v * kx + j] = sum;
        }
      }
      const ox = bx * kx;
      const oy = by * ky;
      for (let i = 0; i < ky; i++) {
        const o = (oy + i) * c.stride + ox;
        for (let j = 0; j < kx; j++) {
          let sum = 0;
          for (let v = 0; v < 8; v++) sum += by8[v * ky + i] * tmp[v * kx + j];
          out[o + j] = sum + 128;
        }
      }
    };
    const restart = (): void => {
      bitBuf = 0;
      bitCnt = 0;
      while (p + 1 < end && !(buf[p] === 0xff && buf[p + 1] >= 0xd0 && buf[p + 1] <= 0xd7)) p++;
      p = Math.min(end, p + 2);
      for (const s of inScan) s.c.pred = 0;
    };
    for (const s of inScan) s.c.pred = 0;
    let mcu = 0;
    if (inScan.length === 1) {
      const { c, dc, ac, q } = inScan[0];
      const bw = Math.ceil(Math.ceil((width * c.h) / hmax) / 8);
      const bh = Math.ceil(Math.ceil((height * c.v) / vmax) / 8);
      const total = bw * bh;
      for (let by = 0; by < bh; by++)
        for (let bx = 0; bx < bw; bx++) {
          if (restartInterval > 0 && mcu > 0 && mcu % restartInterval === 0) restart();
          block(c, dc, ac, q, bx, by);
          mcu++;
          if (mcu > total) break;
        }
    } else {
      for (let my = 0; my < mcusY; my++)
        for (let mx = 0; mx < mcusX; mx++) {
          if (restartInterval > 0 && mcu > 0 && mcu % restartInterval === 0) restart();
          for (const { c, dc, ac, q } of inScan)
            for (let v = 0; v < c.v; v++) for (let h = 0; h < c.h; h++) block(c, dc, ac, q, mx * c.h + h, my * c.v + v);
          mcu++;
        }
    }
    // The next marker (skipping what the bit reader read ahead and any padding).
    while (p + 1 < end && !(buf[p] === 0xff && buf[p + 1] !== 0x00 && !(buf[p + 1] >= 0xd0 && buf[p + 1] <= 0xd7))) p++;
    return p;
  }
}

/** The scale a subsampled component is decoded at: `ratio` times finer, at most full size. */
function finer(scale: JpegScale, ratio: number): JpegScale {
  const f = ratio >= 4 ? 4 : ratio >= 2 ? 2 : 1;
  return Math.min(8, scale * f) as JpegScale;
}

function clamp(x: number): number {
  return x < 0 ? 0 : x > 255 ? 255 : x + 0.5;
}
