/**
 * Finds the JPEG pictures inside a capture without reading all of it: a JPEG's own image and its
 * Exif thumbnail; the previews TIFF-based raw files keep in their IFDs and SubIFDs (NEF, CR2, ARW,
 * DNG, PEF, and RW2's JpgFromRaw); Canon CR3's THMB and PRVW boxes; Fujifilm RAF's header JPEG.
 * Olympus ORF keeps its preview in the maker notes and is not covered (nor are uncompressed RGB
 * thumbnails): such a file gets no thumbnail and the filmstrip shows its name.
 *
 * Reads are positional and bounded (a few small reads per file); every offset read from the file is
 * checked against its size, and loops in IFD chains are cut.
 */
import { promises as fs } from 'fs';
import { decodable, readJpegHeader, type JpegHeader } from './jpegScaled';

export interface PreviewCandidate {
  offset: number;
  length: number;
  width: number;
  height: number;
  /** Where it was found, for logs and tests ("Exif thumbnail", "SubIFD 0", "CR3 PRVW"...). */
  where: string;
  header: JpegHeader;
}

export interface PreviewScan {
  /** JPEGs this decoder can read, largest first. */
  candidates: PreviewCandidate[];
  /** Exif orientation of the capture (1 = as stored). */
  orientation: number;
  /** What kind of file it looked like. */
  format: 'jpeg' | 'tiff' | 'cr3' | 'raf' | 'unknown';
}

const MAX_IFDS = 16;
const MAX_ENTRIES = 1000;
const HEADER_READ = 64 * 1024;
const CR3_PREVIEW_UUID = 'eaf42b5e1c984b88b9fbb7dc406e4d16';
const CR3_CANON_UUID = '85c0b687820f11e08111f4ce462b6a48';

class Reader {
  constructor(
    private readonly handle: fs.FileHandle,
    readonly size: number,
  ) {}

  async read(offset: number, length: number): Promise<Buffer> {
    if (offset < 0 || offset >= this.size) return Buffer.alloc(0);
    const n = Math.min(length, this.size - offset);
    const buf = Buffer.alloc(n);
    const { bytesRead } = await this.handle.read(buf, 0, n, offset);
    return buf.subarray(0, bytesRead);
  }
}

export async function findPreviews(file: string): Promise<PreviewScan> {
  const handle = await fs.open(file, 'r');
  try {
    const size = (await handle.stat()).size;
    const r = new Reader(handle, size);
    const head = await r.read(0, 96);
    const scan: PreviewScan = { candidates: [], orientation: 1, format: 'unknown' };
    const add = async (offset: number, length: number, where: string): Promise<void> => {
      if (offset <= 0 && where !== 'the image') return;
      if (offset < 0 || length < 4 || offset + length > size) return;
      const header = readJpegHeader(await r.read(offset, Math.min(length, HEADER_READ)));
      if (!header || !decodable(header)) return;
      if (scan.candidates.some((c) => c.offset === offset)) return;
      scan.candidates.push({ offset, length, width: header.width, height: header.height, where, header });
    };
    if (head[0] === 0xff && head[1] === 0xd8) {
      scan.format = 'jpeg';
      await add(0, size, 'the image');
      await jpegExif(r, scan, add);
    } else if (isTiff(head)) {
      scan.format = 'tiff';
      await tiff(r, 0, scan, add, true);
    } else if (
      head.length >= 12 &&
      head.toString('latin1', 4, 8) === 'ftyp' &&
      head.toString('latin1', 8, 12) === 'crx '
    ) {
      scan.format = 'cr3';
      await cr3(r, add);
    } else if (head.length >= 92 && head.toString('latin1', 0, 8) === 'FUJIFILM') {
      scan.format = 'raf';
      await add(head.readUInt32BE(84), head.readUInt32BE(88), 'RAF preview');
    }
    scan.candidates.sort((a, b) => b.width * b.height - a.width * a.height);
    return scan;
  } finally {
    await handle.close();
  }
}

type Add = (offset: number, length: number, where: string) => Promise<void>;

function isTiff(b: Buffer): boolean {
  if (b.length < 8) return false;
  const order = b.toString('latin1', 0, 2);
  if (order !== 'II' && order !== 'MM') return false;
  const magic = order === 'II' ? b.readUInt16LE(2) : b.readUInt16BE(2);
  // 42: TIFF (NEF, CR2, ARW, DNG, PEF...); 0x55: Panasonic RW2; 0x4f52/0x5352: Olympus ORF.
  return magic === 42 || magic === 0x55 || magic === 0x4f52 || magic === 0x5352;
}

/** The Exif block (APP1) of a JPEG: orientation, and the thumbnail in IFD1. */
async function jpegExif(r: Reader, scan: PreviewScan, add: Add): Promise<void> {
  const head = await r.read(0, HEADER_READ);
  let pos = 2;
  while (pos + 4 <= head.length && head[pos] === 0xff) {
    const marker = head[pos + 1];
    if (marker === 0xda || marker === 0xd9) return;
    const len = head.readUInt16BE(pos + 2);
    if (marker === 0xe1 && head.toString('latin1', pos + 4, pos + 10) === 'Exif\0\0') {
      await tiff(r, pos + 10, scan, add, true);
      return;
    }
    pos += 2 + len;
  }
}

/**
 * Walks a TIFF structure at `base` (offsets inside are relative to it): IFD0 and the chain after it,
 * and SubIFDs one level down. `top`: orientation is read from IFD0.
 */
async function tiff(r: Reader, base: number, scan: PreviewScan, add: Add, top: boolean): Promise<void> {
  const hdr = await r.read(base, 8);
  if (hdr.length < 8) return;
  const le = hdr.toString('latin1', 0, 2) === 'II';
  const u16 = (b: Buffer, o: number): number => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
  const u32 = (b: Buffer, o: number): number => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const seen = new Set<number>();
  let count = 0;

  const ifd = async (offset: number, name: string, depth: number): Promise<number> => {
    if (offset < 8 || seen.has(offset) || ++count > MAX_IFDS || base + offset + 2 > r.size) return 0;
    seen.add(offset);
    const n = u16(await r.read(base + offset, 2), 0);
    if (n === 0 || n > MAX_ENTRIES) return 0;
    const body = await r.read(base + offset + 2, n * 12 + 4);
    if (body.length < n * 12 + 4) return 0;
    const tags = new Map<number, { type: number; count: number; value: number; at: number }>();
    for (let i = 0; i < n; i++) {
      const e = i * 12;
      const type = u16(body, e + 2);
      // A SHORT value sits in the first two bytes of the field, whatever the byte order.
      const value = type === 3 ? u16(body, e + 8) : u32(body, e + 8);
      tags.set(u16(body, e), { type, count: u32(body, e + 4), value, at: e + 8 });
    }
    const v = (tag: number): number | undefined => tags.get(tag)?.value;
    if (top && name === 'IFD0') {
      const o = v(0x0112);
      if (o !== undefined && o >= 1 && o <= 8) scan.orientation = o;
    }
    const jOff = v(0x0201);
    const jLen = v(0x0202);
    if (jOff !== undefined && jLen !== undefined) await add(base + jOff, jLen, `${name} JPEG`);
    const compression = v(0x0103);
    const strips = tags.get(0x0111);
    const stripBytes = tags.get(0x0117);
    if ((compression === 6 || compression === 7) && strips?.count === 1 && stripBytes?.count === 1)
      await add(base + strips.value, stripBytes.value, `${name} strip`);
    const rw2 = tags.get(0x002e); // Panasonic JpgFromRaw (UNDEFINED bytes)
    if (rw2 && rw2.type === 7) await add(base + rw2.value, rw2.count, 'RW2 JpgFromRaw');
    const sub = tags.get(0x014a);
    if (sub && depth === 0) {
      const offsets: number[] = [];
      if (sub.count === 1) offsets.push(sub.value);
      else if (sub.count <= 8) {
        const arr = await r.read(base + sub.value, sub.count * 4);
        for (let i = 0; i + 4 <= arr.length; i += 4) offsets.push(u32(arr, i));
      }
      for (let i = 0; i < offsets.length; i++) await ifd(offsets[i], `SubIFD ${i}`, depth + 1);
    }
    return u32(body, n * 12);
  };

  let next = u32(hdr, 4);
  for (let i = 0; next !== 0 && i < 4; i++) next = await ifd(next, `IFD${i}`, 0);
}

/** ISO BMFF boxes of a CR3: THMB inside moov's Canon uuid, PRVW in the top-level preview uuid. */
async function cr3(r: Reader, add: Add): Promise<void> {
  const boxes = async (
    start: number,
    end: number,
    visit: (type: string, uuid: string, payload: number, boxEnd: number) => Promise<void>,
  ): Promise<void> => {
    let pos = start;
    for (let i = 0; i < 64 && pos + 8 <= end; i++) {
      const h = await r.read(pos, 32);
      if (h.length < 8) return;
      let size = h.readUInt32BE(0);
      const type = h.toString('latin1', 4, 8);
      let payload = pos + 8;
      if (size === 1) {
        if (h.length < 16) return;
        size = Number(h.readBigUInt64BE(8));
        payload += 8;
      } else if (size === 0) size = end - pos;
      if (size < 8 || pos + size > end) return;
      let uuid = '';
      if (type === 'uuid') {
        uuid = h.toString('hex', payload - pos, payload - pos + 16);
        payload += 16;
      }
      await visit(type, uuid, payload, pos + size);
      pos += size;
    }
  };
  /** A JPEG inside a box: its SOI within the first bytes of the payload. */
  const jpegIn = async (payload: number, end: number, where: string): Promise<void> => {
    const head = await r.read(payload, 64);
    for (let i = 0; i + 3 <= head.length; i++)
      if (head[i] === 0xff && head[i + 1] === 0xd8 && head[i + 2] === 0xff) {
        await add(payload + i, end - payload - i, where);
        return;
      }
  };
  await boxes(0, r.size, async (type, uuid, payload, end) => {
    if (type === 'moov')
      await boxes(payload, end, async (t, u, p, e) => {
        if (t === 'uuid' && u === CR3_CANON_UUID)
          await boxes(p, e, async (tt, _u, pp, ee) => {
            if (tt === 'THMB') await jpegIn(pp, ee, 'CR3 THMB');
          });
      });
    else if (type === 'uuid' && uuid === CR3_PREVIEW_UUID)
      // 8 bytes (version, count), then the PRVW box.
      await boxes(payload + 8, end, async (t, _u, p, e) => {
        if (t === 'PRVW') await jpegIn(p, e, 'CR3 PRVW');
      });
  });
}
