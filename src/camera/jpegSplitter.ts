/**
 * Cuts a stream of concatenated JPEG frames (gphoto2 --capture-movie --stdout, MJPEG) into frames,
 * whatever the chunk boundaries. It walks the JPEG structure rather than searching for FF D9: marker
 * segments are skipped by their length (so an EXIF thumbnail's own end marker cannot end the frame
 * early), and inside entropy-coded data FF is always followed by 00, a restart marker or fill bytes,
 * so the first other marker there is the frame's end. A new start-of-image where the current frame
 * should continue means the frame was truncated: it is dropped and counted. Bytes between frames
 * (garbage) are skipped and counted.
 */

export interface SplitterStats {
  frames: number;
  truncated: number;
  garbageBytes: number;
}

type Phase =
  | { kind: 'seekStart' }
  | { kind: 'segments' }
  | { kind: 'entropy' };

/** A frame larger than this is not a live-view frame: resynchronise instead of buffering forever. */
const MAX_FRAME_BYTES = 32 * 1024 * 1024;

export class JpegSplitter {
  /** Growable storage; the pending bytes are store[0, len). Doubling keeps appends O(1) amortised. */
  private store: Buffer = Buffer.alloc(64 * 1024);
  private len = 0;
  /** Index in buf where the current frame starts (valid once SOI was found). */
  private start = 0;
  /** Scan position in buf. */
  private pos = 0;
  private phase: Phase = { kind: 'seekStart' };
  readonly stats: SplitterStats = { frames: 0, truncated: 0, garbageBytes: 0 };

  constructor(private readonly onFrame: (frame: Buffer) => void) {}

  push(chunk: Uint8Array): void {
    // Every exit of scan() leaves the pending frame at index 0, so appending keeps indices valid.
    if (this.len + chunk.length > this.store.length) {
      const bigger = Buffer.alloc(Math.max(this.store.length * 2, this.len + chunk.length));
      this.store.copy(bigger, 0, 0, this.len);
      this.store = bigger;
    }
    this.store.set(chunk, this.len);
    this.len += chunk.length;
    this.scan();
  }

  /** Bytes held for an unfinished frame (for tests and leak checks). */
  get buffered(): number {
    return this.len - this.start;
  }

  private get buf(): Buffer {
    return this.store.subarray(0, this.len);
  }

  /** Forgets the first n pending bytes. */
  private dropPrefix(n: number): void {
    if (n <= 0) return;
    this.store.copyWithin(0, n, this.len);
    this.len -= n;
  }

  private scan(): void {
    let b = this.buf;
    outer: for (;;) {
      if (this.phase.kind === 'seekStart') {
        const soi = findSoi(b, this.pos);
        if (soi < 0) {
          // Keep a trailing FF: it may be the first half of a start marker.
          const keep = b.length > 0 && b[b.length - 1] === 0xff ? 1 : 0;
          this.stats.garbageBytes += b.length - this.pos - keep;
          this.dropBefore(b.length - keep);
          return;
        }
        this.stats.garbageBytes += soi - this.pos;
        this.start = soi;
        this.pos = soi + 2;
        this.phase = { kind: 'segments' };
      }
      if (this.phase.kind === 'segments') {
        // Each segment: FF, marker, 2-byte big-endian length (which includes itself).
        while (this.phase.kind === 'segments') {
          if (this.pos + 2 > b.length) return this.compact();
          if (b[this.pos] !== 0xff) { this.resync(); b = this.buf; continue outer; }
          const marker = b[this.pos + 1];
          if (marker === 0xff) {
            this.pos += 1; // fill byte
            continue;
          }
          if (marker === 0xd8) { this.truncatedAt(this.pos); b = this.buf; continue outer; }
          if (marker === 0xd9) { this.emit(this.pos + 2); b = this.buf; continue outer; }
          if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
            this.pos += 2;
            continue;
          }
          if (this.pos + 4 > b.length) return this.compact();
          const length = b.readUInt16BE(this.pos + 2);
          if (length < 2) { this.resync(); b = this.buf; continue outer; }
          this.pos += 2 + length;
          if (marker === 0xda) this.phase = { kind: 'entropy' };
          if (this.pos > b.length) return this.compact();
        }
      }
      if (this.phase.kind === 'entropy') {
        for (;;) {
          const ff = b.indexOf(0xff, this.pos);
          if (ff < 0 || ff + 1 >= b.length) {
            this.pos = ff < 0 ? b.length : ff;
            return this.compact();
          }
          const next = b[ff + 1];
          if (next === 0x00 || (next >= 0xd0 && next <= 0xd7) || next === 0xff) {
            this.pos = ff + 1;
            continue;
          }
          if (next === 0xd9) { this.emit(ff + 2); b = this.buf; continue outer; }
          if (next === 0xd8) { this.truncatedAt(ff); b = this.buf; continue outer; }
          // Another marker after scan data (progressive JPEG: the next scan's header).
          this.pos = ff;
          this.phase = { kind: 'segments' };
          break;
        }
      }
    }
  }

  private emit(end: number): void {
    this.stats.frames++;
    this.onFrame(Buffer.from(this.buf.subarray(this.start, end)));
    this.restartAt(end);
  }

  private truncatedAt(soi: number): void {
    this.stats.truncated++;
    this.restartAt(soi);
  }

  private resync(): void {
    // Broken structure: count the frame as truncated and look for the next start-of-image.
    this.stats.truncated++;
    this.restartAt(this.start + 2);
  }

  private restartAt(index: number): void {
    this.dropPrefix(index);
    this.start = 0;
    this.pos = 0;
    this.phase = { kind: 'seekStart' };
  }

  private dropBefore(index: number): void {
    this.dropPrefix(index);
    this.start = 0;
    this.pos = 0;
  }

  /** Waiting for more data: forget bytes before the frame, and give up on absurdly large frames. */
  private compact(): void {
    if (this.start > 0) {
      this.dropPrefix(this.start);
      this.pos -= this.start;
      this.start = 0;
    }
    if (this.len > MAX_FRAME_BYTES) this.resync();
  }
}

function findSoi(b: Buffer, from: number): number {
  let i = b.indexOf(0xff, from);
  while (i >= 0 && i + 1 < b.length) {
    if (b[i + 1] === 0xd8) return i;
    i = b.indexOf(0xff, i + 1);
  }
  return -1;
}
