/**
 * Live-view streams built to hit a JPEG splitter's weak spots (used by the splitter's tests and by
 * `npm run bench`): each is a pattern repeated to the size asked for.
 */

const bytes = (...xs: number[]): Buffer => Buffer.from(xs);

/** unit repeated to exactly size bytes. */
export function repeatTo(unit: Buffer, size: number): Buffer {
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i += unit.length) unit.copy(out, i);
  return out;
}

/** SOI, then `count` APP0 segments each holding a start marker, then a byte that breaks the frame. */
export function nestedStarts(count: number): Buffer {
  return Buffer.concat([
    bytes(0xff, 0xd8),
    ...Array<Buffer>(count).fill(bytes(0xff, 0xe0, 0x00, 0x04, 0xff, 0xd8)),
    bytes(0x00),
  ]);
}

export function hostileStreams(size: number): Record<string, Buffer> {
  return {
    // Start markers each broken at once: one resync per 3 bytes.
    'SOI + broken segment': repeatTo(bytes(0xff, 0xd8, 0x00), size),
    // A frame whose segments each hold a start marker, broken at the end: every nested start is a
    // frame to try again from, each walking to the same break.
    'nested starts, break at end': repeatTo(nestedStarts(10_000), size),
    // Fill bytes (FF runs) where a segment should start, then a zero length.
    'FF runs after SOI': repeatTo(
      Buffer.concat([bytes(0xff, 0xd8), Buffer.alloc(5000, 0xff), bytes(0x00, 0x00)]),
      size,
    ),
    // Scan data made only of stuffed FF 00 pairs.
    'FF 00 scan data': repeatTo(
      Buffer.concat([
        bytes(0xff, 0xd8, 0xff, 0xda, 0x00, 0x02),
        Buffer.alloc(60_000, bytes(0xff, 0x00)),
        bytes(0xff, 0xd9),
      ]),
      size,
    ),
    'FF only': repeatTo(bytes(0xff), size),
  };
}

/** SOI and APP segments of zeros (64 KB each) up to about `size` bytes: the start of a frame that has not ended. */
export function frameStart(size: number): Buffer {
  const segment = Buffer.alloc(4 + 65_533);
  segment.writeUInt16BE(0xffe2, 0);
  segment.writeUInt16BE(65_535, 2);
  return Buffer.concat([
    Buffer.from([0xff, 0xd8]),
    ...Array<Buffer>(Math.ceil((size - 2) / segment.length)).fill(segment),
  ]);
}

/** A structurally valid frame of about `size` bytes: frameStart, then a real frame without its own SOI. */
export function largeFrame(realFrame: Buffer, size: number): Buffer {
  return Buffer.concat([frameStart(size - realFrame.length), realFrame.subarray(2)]);
}
