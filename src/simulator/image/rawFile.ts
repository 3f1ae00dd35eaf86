/**
 * A fake Nikon NEF for RAW+JPEG mode, laid out like a real one: a little-endian TIFF header
 * (`II*\0`), IFD0 naming the camera with a SubIFDs tag pointing at SubIFD0, the embedded JPEG
 * preview (NewSubfileType 1, JPEGInterchangeFormat/Length, as Nikon bodies store it), and SubIFD1,
 * the "sensor data" (a few hundred KB of noise, compression 34713 like Nikon's). Tools that read
 * previews (exiftool -PreviewImage, file managers, Camera Tether's filmstrip) find the JPEG; no raw
 * developer will develop the noise.
 */

const RAW_BYTES = 320 * 1024;
const NOISE_BLOCK = 64 * 1024;

export function renderRaw(
  model: string,
  width: number,
  height: number,
  imageNumber: number,
  preview?: { jpeg: Buffer; width: number; height: number },
  /** The file's size (the config's rawBytes): a few hundred KB by default, 25 MB for a real body's NEF. */
  bytes = RAW_BYTES,
): Buffer {
  const make = 'Camera Tether\0';
  const modelText = `${model}\0`;
  // Layout: header | IFD0 | SubIFD0 | SubIFD1 | strings | SubIFD offsets | preview JPEG | sensor data.
  const ifd0Entries = 6;
  const sub0Entries = preview ? 6 : 0;
  const sub1Entries = 6;
  const ifdBytes = (n: number): number => 2 + n * 12 + 4;
  const ifd0At = 8;
  const sub0At = ifd0At + ifdBytes(ifd0Entries);
  const sub1At = sub0At + (preview ? ifdBytes(sub0Entries) : 0);
  const makeAt = sub1At + ifdBytes(sub1Entries);
  const modelAt = makeAt + make.length;
  const subListAt = align(modelAt + modelText.length, 4);
  const previewAt = align(subListAt + 8, 16);
  const dataAt = align(previewAt + (preview?.jpeg.length ?? 0), 16);
  const buf = Buffer.alloc(Math.max(bytes, dataAt + 64 * 1024));

  buf.write('II', 0, 'latin1');
  buf.writeUInt16LE(42, 2);
  buf.writeUInt32LE(ifd0At, 4);
  let p = 0;
  const ifd = (at: number, count: number): void => {
    buf.writeUInt16LE(count, at);
    p = at + 2;
  };
  const entry = (tag: number, type: number, count: number, value: number): void => {
    buf.writeUInt16LE(tag, p);
    buf.writeUInt16LE(type, p + 2);
    buf.writeUInt32LE(count, p + 4);
    if (type === 3 && count === 1) buf.writeUInt16LE(value, p + 8);
    else buf.writeUInt32LE(value, p + 8);
    p += 12;
  };
  const end = (): void => {
    buf.writeUInt32LE(0, p); // no next IFD
  };

  // IFD0: the camera, and where the images are.
  ifd(ifd0At, ifd0Entries);
  entry(254, 4, 1, 1); // NewSubfileType: reduced resolution (Nikon's IFD0 holds a thumbnail)
  entry(271, 2, make.length, makeAt); // Make
  entry(272, 2, modelText.length, modelAt); // Model
  entry(274, 3, 1, 1); // Orientation: as stored
  entry(305, 2, make.length, makeAt); // Software
  const subIfds = preview ? [sub0At, sub1At] : [sub1At];
  if (subIfds.length === 1) entry(330, 4, 1, sub1At);
  else entry(330, 4, subIfds.length, subListAt); // SubIFDs
  end();
  subIfds.forEach((o, i) => buf.writeUInt32LE(o, subListAt + i * 4));

  if (preview) {
    ifd(sub0At, sub0Entries);
    entry(254, 4, 1, 1); // NewSubfileType: reduced resolution
    entry(256, 4, 1, preview.width);
    entry(257, 4, 1, preview.height);
    entry(259, 3, 1, 6); // Compression: (old-style) JPEG, as in NEF previews
    entry(513, 4, 1, previewAt); // JPEGInterchangeFormat
    entry(514, 4, 1, preview.jpeg.length); // JPEGInterchangeFormatLength
    end();
    preview.jpeg.copy(buf, previewAt);
  }

  ifd(sub1At, sub1Entries);
  entry(254, 4, 1, 0); // NewSubfileType: the full-resolution image
  entry(256, 4, 1, width); // ImageWidth
  entry(257, 4, 1, height); // ImageLength
  entry(259, 3, 1, 34713); // Compression: Nikon NEF compressed
  entry(273, 4, 1, dataAt); // StripOffsets
  entry(279, 4, 1, buf.length - dataAt); // StripByteCounts
  end();

  buf.write(make, makeAt, 'latin1');
  buf.write(modelText, modelAt, 'latin1');
  // xorshift32 noise seeded by the image number: different for every picture. One 64 KB block is
  // made and repeated, so a 25 MB NEF costs a copy, not 6 million multiplications.
  const block = Buffer.alloc(Math.min(NOISE_BLOCK, buf.length - dataAt));
  let s = (imageNumber * 2654435761) >>> 0 || 1;
  for (let i = 0; i + 4 <= block.length; i += 4) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    block.writeUInt32LE(s, i);
  }
  buf.fill(block, dataAt);
  return buf;
}

function align(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}
