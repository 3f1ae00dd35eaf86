/**
 * A fake Nikon NEF for RAW+JPEG mode: a little-endian TIFF header (`II*\0`) with one IFD naming
 * the camera and the size, then a few hundred KB of noise standing in for sensor data. Enough for
 * anything that sniffs file types or sizes; no raw developer will open it.
 */

const RAW_BYTES = 320 * 1024;

export function renderRaw(model: string, width: number, height: number, imageNumber: number): Buffer {
  const buf = Buffer.alloc(RAW_BYTES);
  buf.write('II', 0, 'latin1');
  buf.writeUInt16LE(42, 2);
  buf.writeUInt32LE(8, 4); // first IFD right after the header
  const make = 'Camera Tether\0';
  const modelText = `${model}\0`;
  const entries = 5;
  const ifdSize = 2 + entries * 12 + 4;
  const makeAt = 8 + ifdSize;
  const modelAt = makeAt + make.length;
  const dataAt = Math.ceil((modelAt + modelText.length) / 16) * 16;
  let p = 8;
  buf.writeUInt16LE(entries, p);
  p += 2;
  const entry = (tag: number, type: number, count: number, value: number): void => {
    buf.writeUInt16LE(tag, p);
    buf.writeUInt16LE(type, p + 2);
    buf.writeUInt32LE(count, p + 4);
    buf.writeUInt32LE(value, p + 8);
    p += 12;
  };
  entry(256, 4, 1, width); // ImageWidth, LONG
  entry(257, 4, 1, height); // ImageLength, LONG
  entry(271, 2, make.length, makeAt); // Make, ASCII
  entry(272, 2, modelText.length, modelAt); // Model, ASCII
  entry(273, 4, 1, dataAt); // StripOffsets, LONG
  buf.writeUInt32LE(0, p); // no next IFD
  buf.write(make, makeAt, 'latin1');
  buf.write(modelText, modelAt, 'latin1');
  // xorshift32 noise seeded by the image number: cheap, and different for every picture.
  let s = (imageNumber * 2654435761) >>> 0 || 1;
  for (let i = dataAt; i + 4 <= RAW_BYTES; i += 4) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    buf.writeUInt32LE(s, i);
  }
  return buf;
}
