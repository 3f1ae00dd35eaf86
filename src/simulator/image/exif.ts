/**
 * A minimal Exif block (APP1) for the simulator's captures, so a test can read with exiftool which
 * exposure a frame was taken at (ISO, ExposureTime, FNumber, ...), as it would from a camera's JPEG.
 * Layout per the Exif 2.3 specification: `Exif\0\0`, a little-endian TIFF header, IFD0 (Make,
 * Model, DateTime, the Exif IFD pointer), then the Exif IFD; values over 4 bytes follow the IFDs.
 */

type Entry =
  | { tag: number; type: 'ascii'; value: string }
  | { tag: number; type: 'short'; value: number }
  | { tag: number; type: 'long'; value: number }
  | { tag: number; type: 'rational'; value: [number, number] }
  | { tag: number; type: 'srational'; value: [number, number] }
  | { tag: number; type: 'undefined'; value: Buffer };

const TYPE_CODE = { ascii: 2, short: 3, long: 4, rational: 5, srational: 10, undefined: 7 } as const;

export interface ExifFields {
  make: string;
  model: string;
  width: number;
  height: number;
  when: Date;
  /** Seconds, as a fraction. */
  exposureTime: [number, number];
  fNumber: [number, number];
  iso: number;
  /** Stops, as a fraction (may be negative). */
  exposureBias: [number, number];
  /** 1 manual, 2 program, 3 aperture priority, 4 shutter priority, 7 portrait, 8 landscape. */
  exposureProgram: number;
  whiteBalanceManual: boolean;
}

function exifDate(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}:${p(d.getMonth() + 1)}:${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** The bytes of one entry's value. */
function valueBytes(e: Entry): Buffer {
  switch (e.type) {
    case 'ascii':
      return Buffer.from(`${e.value}\0`, 'latin1');
    case 'short': {
      const b = Buffer.alloc(2);
      b.writeUInt16LE(e.value);
      return b;
    }
    case 'long': {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(e.value);
      return b;
    }
    case 'rational': {
      const b = Buffer.alloc(8);
      b.writeUInt32LE(e.value[0]);
      b.writeUInt32LE(e.value[1], 4);
      return b;
    }
    case 'srational': {
      const b = Buffer.alloc(8);
      b.writeInt32LE(e.value[0]);
      b.writeInt32LE(e.value[1], 4);
      return b;
    }
    case 'undefined':
      return e.value;
  }
}

/** Values in the entry: one number or fraction, or the bytes of a string. */
function count(e: Entry, bytes: Buffer): number {
  return e.type === 'ascii' || e.type === 'undefined' ? bytes.length : 1;
}

/**
 * One IFD at `offset` (from the TIFF header), entries sorted by tag, its large values right after
 * it. `next` is the offset of the following IFD (0: none). Returns the bytes.
 */
function ifd(entries: Entry[], offset: number, next = 0): Buffer {
  const sorted = [...entries].sort((a, b) => a.tag - b.tag);
  const head = Buffer.alloc(2 + sorted.length * 12 + 4);
  head.writeUInt16LE(sorted.length, 0);
  const extra: Buffer[] = [];
  let extraOffset = offset + head.length;
  sorted.forEach((e, i) => {
    const bytes = valueBytes(e);
    const at = 2 + i * 12;
    head.writeUInt16LE(e.tag, at);
    head.writeUInt16LE(TYPE_CODE[e.type], at + 2);
    head.writeUInt32LE(count(e, bytes), at + 4);
    if (bytes.length <= 4) {
      bytes.copy(head, at + 8);
    } else {
      head.writeUInt32LE(extraOffset, at + 8);
      const padded = bytes.length % 2 === 1 ? Buffer.concat([bytes, Buffer.alloc(1)]) : bytes;
      extra.push(padded);
      extraOffset += padded.length;
    }
  });
  head.writeUInt32LE(next, 2 + sorted.length * 12);
  return Buffer.concat([head, ...extra]);
}

/** The APP1 segment (marker included) holding these fields. */
export function exifSegment(f: ExifFields): Buffer {
  const date = exifDate(f.when);
  const tiffHeader = Buffer.from([0x49, 0x49, 0x2a, 0x00, 0x08, 0x00, 0x00, 0x00]); // "II", 42, IFD0 at 8
  const ifd0Entries = (exifOffset: number): Entry[] => [
    { tag: 0x010f, type: 'ascii', value: f.make },
    { tag: 0x0110, type: 'ascii', value: f.model },
    { tag: 0x011a, type: 'rational', value: [72, 1] },
    { tag: 0x011b, type: 'rational', value: [72, 1] },
    { tag: 0x0128, type: 'short', value: 2 }, // inches
    { tag: 0x0132, type: 'ascii', value: date },
    { tag: 0x0213, type: 'short', value: 1 }, // centred
    { tag: 0x8769, type: 'long', value: exifOffset },
  ];
  // IFD0's size does not depend on the pointer's value: build it once to learn where the Exif IFD goes.
  const exifOffset = 8 + ifd(ifd0Entries(0), 8).length;
  const ifd0 = ifd(ifd0Entries(exifOffset), 8);
  const exif = ifd(
    [
      { tag: 0x829a, type: 'rational', value: f.exposureTime },
      { tag: 0x829d, type: 'rational', value: f.fNumber },
      { tag: 0x8822, type: 'short', value: f.exposureProgram },
      { tag: 0x8827, type: 'short', value: f.iso },
      { tag: 0x9000, type: 'undefined', value: Buffer.from('0230', 'latin1') },
      { tag: 0x9003, type: 'ascii', value: date },
      { tag: 0x9101, type: 'undefined', value: Buffer.from([1, 2, 3, 0]) }, // Y Cb Cr
      { tag: 0x9204, type: 'srational', value: f.exposureBias },
      { tag: 0xa000, type: 'undefined', value: Buffer.from('0100', 'latin1') },
      { tag: 0xa001, type: 'short', value: 1 }, // sRGB
      { tag: 0xa002, type: 'long', value: f.width },
      { tag: 0xa003, type: 'long', value: f.height },
      { tag: 0xa403, type: 'short', value: f.whiteBalanceManual ? 1 : 0 },
    ],
    exifOffset,
  );
  const body = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiffHeader, ifd0, exif]);
  const marker = Buffer.alloc(4);
  marker.writeUInt16BE(0xffe1, 0);
  marker.writeUInt16BE(body.length + 2, 2);
  return Buffer.concat([marker, body]);
}

/**
 * The JPEG with the segment inserted after its APP0 (JFIF) segment, or right after SOI when it has
 * none. Returns the JPEG unchanged if it does not start with SOI.
 */
export function insertSegment(jpeg: Buffer, segment: Buffer): Buffer {
  if (jpeg.length < 4 || jpeg[0] !== 0xff || jpeg[1] !== 0xd8) return jpeg;
  let at = 2;
  if (jpeg[2] === 0xff && jpeg[3] === 0xe0 && jpeg.length >= 6) at = 4 + jpeg.readUInt16BE(4);
  return Buffer.concat([jpeg.subarray(0, at), segment, jpeg.subarray(at)]);
}
