/**
 * Captures with embedded previews, built to the layouts the formats use (and that exiftool reads:
 * the tests check it extracts the same bytes): a camera JPEG with an Exif thumbnail and an
 * orientation, a Canon CR3 (ISO BMFF with THMB and PRVW boxes), a Fujifilm RAF (header JPEG), and a
 * DNG-like TIFF whose only JPEG is lossless raw data (no preview).
 */
import { encodeJpegFast } from '../../src/simulator/image/jpegEncoder';
import { renderStill } from '../../src/simulator/image/testCard';

export function cardJpeg(width: number, height: number, title = 'SAMPLE', quality = 85): Buffer {
  return encodeJpegFast(renderStill(width, height, title, new Date(2026, 10, 30, 12, 0, 0)), quality);
}

/** A little-endian TIFF IFD: entries (tag, type, count, value) and the next-IFD offset. */
function ifd(entries: [number, number, number, number][], next: number): Buffer {
  const b = Buffer.alloc(2 + entries.length * 12 + 4);
  b.writeUInt16LE(entries.length, 0);
  entries.forEach(([tag, type, count, value], i) => {
    const o = 2 + i * 12;
    b.writeUInt16LE(tag, o);
    b.writeUInt16LE(type, o + 2);
    b.writeUInt32LE(count, o + 4);
    if (type === 3 && count === 1) b.writeUInt16LE(value, o + 8);
    else b.writeUInt32LE(value, o + 8);
  });
  b.writeUInt32LE(next, b.length - 4);
  return b;
}

/** `main` with an APP1 Exif block: IFD0 (orientation) and IFD1 holding `thumb` (JPEGInterchangeFormat). */
export function jpegWithExifThumbnail(main: Buffer, thumb: Buffer, orientation = 1): Buffer {
  const ifd0At = 8;
  const ifd0Size = 2 + 12 + 4;
  const ifd1At = ifd0At + ifd0Size;
  const ifd1Size = 2 + 3 * 12 + 4;
  const thumbAt = ifd1At + ifd1Size;
  const tiff = Buffer.concat([
    Buffer.from([0x49, 0x49, 0x2a, 0x00, ifd0At, 0, 0, 0]),
    ifd([[0x0112, 3, 1, orientation]], ifd1At),
    ifd(
      [
        [0x0103, 3, 1, 6],
        [0x0201, 4, 1, thumbAt],
        [0x0202, 4, 1, thumb.length],
      ],
      0,
    ),
    thumb,
  ]);
  const app1 = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const header = Buffer.from([0xff, 0xd8, 0xff, 0xe1, (app1.length + 2) >> 8, (app1.length + 2) & 0xff]);
  return Buffer.concat([header, app1, main.subarray(2)]);
}

function box(type: string, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(8);
  head.writeUInt32BE(8 + body.length, 0);
  head.write(type, 4, 'latin1');
  return Buffer.concat([head, body]);
}

/** A CR3 as exiftool reads it: ftyp crx, moov with Canon's uuid box holding THMB, the preview uuid box holding PRVW. */
export function cr3With(
  thumb: { jpeg: Buffer; width: number; height: number },
  preview: { jpeg: Buffer; width: number; height: number },
): Buffer {
  const ftyp = box('ftyp', Buffer.from('crx \0\0\0\x01crx isom', 'latin1'));
  const thmbHead = Buffer.alloc(16);
  thmbHead.writeUInt16BE(thumb.width, 4);
  thmbHead.writeUInt16BE(thumb.height, 6);
  thmbHead.writeUInt32BE(thumb.jpeg.length, 8);
  const canon = box(
    'uuid',
    Buffer.from('85c0b687820f11e08111f4ce462b6a48', 'hex'),
    box('CNCV', Buffer.from('CanonCR3_001/00.09.00/00.00.00', 'latin1')),
    box('THMB', thmbHead, thumb.jpeg),
  );
  const moov = box('moov', canon);
  const prvwHead = Buffer.alloc(16);
  prvwHead.writeUInt16BE(1, 4);
  prvwHead.writeUInt16BE(preview.width, 6);
  prvwHead.writeUInt16BE(preview.height, 8);
  prvwHead.writeUInt16BE(1, 10);
  prvwHead.writeUInt32BE(preview.jpeg.length, 12);
  const counts = Buffer.alloc(8);
  counts.writeUInt32BE(1, 4);
  const prvw = box(
    'uuid',
    Buffer.from('eaf42b5e1c984b88b9fbb7dc406e4d16', 'hex'),
    counts,
    box('PRVW', prvwHead, preview.jpeg),
  );
  const mdat = box('mdat', Buffer.alloc(4096, 0x5a));
  return Buffer.concat([ftyp, moov, prvw, mdat]);
}

/** A Fujifilm RAF: its 0x5c-byte header names where the embedded JPEG is (offset and length at 84 and 88, big-endian). */
export function rafWith(jpeg: Buffer): Buffer {
  const head = Buffer.alloc(0x100);
  head.write('FUJIFILMCCD-RAW 0201FF383501', 0, 'latin1');
  head.write('X-T3', 0x1c, 'latin1');
  head.write('0100', 0x3c, 'latin1');
  head.writeUInt32BE(0x100, 84);
  head.writeUInt32BE(jpeg.length, 88);
  return Buffer.concat([head, jpeg, Buffer.alloc(8192, 0x33)]);
}

/** A Canon CR2: TIFF with "CR" 2.0 after the header; IFD0's single strip is the JPEG preview (Compression 6). */
export function cr2With(jpeg: Buffer, width: number, height: number, orientation = 1): Buffer {
  const entries = 7;
  const at = 16 + 2 + entries * 12 + 4;
  const make = Buffer.from('Canon\0', 'latin1');
  const jpegAt = at + make.length + 2;
  const head = Buffer.from([0x49, 0x49, 0x2a, 0x00, 16, 0, 0, 0, 0x43, 0x52, 2, 0, 0, 0, 0, 0]);
  return Buffer.concat([
    head,
    ifd(
      [
        [0x0100, 3, 1, width],
        [0x0101, 3, 1, height],
        [0x0103, 3, 1, 6],
        [0x010f, 2, make.length, at],
        [0x0111, 4, 1, jpegAt],
        [0x0112, 3, 1, orientation],
        [0x0117, 4, 1, jpeg.length],
      ],
      0,
    ),
    make,
    Buffer.alloc(2),
    jpeg,
  ]);
}

/** A Panasonic RW2: "IIU" header; the JPEG preview is tag 0x2e (JpgFromRaw) of IFD0, as UNDEFINED bytes. */
export function rw2With(jpeg: Buffer): Buffer {
  const at = 8 + 2 + 12 + 4;
  return Buffer.concat([
    Buffer.from([0x49, 0x49, 0x55, 0x00, 8, 0, 0, 0]),
    ifd([[0x002e, 7, jpeg.length, at]], 0),
    jpeg,
  ]);
}

/** A DNG: IFD0 is the preview (NewSubfileType 1, baseline JPEG strip, Compression 7), SubIFD0 the lossless raw data. */
export function dngWith(jpeg: Buffer, width: number, height: number): Buffer {
  const sof3 = Buffer.from([
    0xff, 0xd8, 0xff, 0xc3, 0x00, 0x0b, 0x10, 0x00, 0x40, 0x00, 0x40, 0x01, 0x01, 0x11, 0x00, 0xff, 0xd9,
  ]);
  const ifd0At = 8;
  const ifd0Size = 2 + 8 * 12 + 4;
  const subAt = ifd0At + ifd0Size;
  const subSize = 2 + 4 * 12 + 4;
  const jpegAt = subAt + subSize;
  const rawAt = jpegAt + jpeg.length;
  return Buffer.concat([
    Buffer.from([0x49, 0x49, 0x2a, 0x00, ifd0At, 0, 0, 0]),
    ifd(
      [
        [0x00fe, 4, 1, 1],
        [0x0100, 3, 1, width],
        [0x0101, 3, 1, height],
        [0x0103, 3, 1, 7],
        [0x0111, 4, 1, jpegAt],
        [0x0117, 4, 1, jpeg.length],
        [0x014a, 4, 1, subAt],
        [0xc612, 1, 4, 0x00000401],
      ],
      0,
    ),
    ifd(
      [
        [0x00fe, 4, 1, 0],
        [0x0103, 3, 1, 7],
        [0x0111, 4, 1, rawAt],
        [0x0117, 4, 1, sof3.length],
      ],
      0,
    ),
    jpeg,
    sof3,
  ]);
}

/** A TIFF whose only JPEG-compressed image is lossless (SOF3) raw data, as in many DNGs: not a preview. */
export function tiffWithLosslessOnly(): Buffer {
  const sof3 = Buffer.from([
    0xff, 0xd8, 0xff, 0xc3, 0x00, 0x0b, 0x10, 0x00, 0x40, 0x00, 0x40, 0x01, 0x01, 0x11, 0x00, 0xff, 0xd9,
  ]);
  const at = 8 + 2 + 4 * 12 + 4;
  return Buffer.concat([
    Buffer.from([0x49, 0x49, 0x2a, 0x00, 8, 0, 0, 0]),
    ifd(
      [
        [0x00fe, 4, 1, 0],
        [0x0103, 3, 1, 7],
        [0x0111, 4, 1, at],
        [0x0117, 4, 1, sof3.length],
      ],
      0,
    ),
    sof3,
  ]);
}
