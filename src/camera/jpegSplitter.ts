/**
 * Cuts a stream of concatenated JPEG frames (gphoto2 --capture-movie --stdout, MJPEG) into frames,
 * whatever the chunk boundaries. It walks the JPEG structure rather than searching for FF D9: marker
 * segments are skipped by their length (so an EXIF thumbnail's own end marker cannot end the frame
 * early), and inside entropy-coded data FF is always followed by 00, a restart marker or fill bytes,
 * so the first other marker there is the frame's end. A new start-of-image where the current frame
 * should continue means the frame was truncated: it is dropped and counted. Bytes between frames
 * (garbage) are skipped and counted.
 *
 * The bytes come from a camera (or whatever sits at the gphoto2 path), so the cost is bounded for
 * any input: consumed bytes are forgotten by moving a read offset (the store is compacted only when
 * the dead prefix outweighs what must move), a broken frame's bytes are searched again for a frame
 * starting inside them only up to a budget proportional to their length, and the store shrinks back
 * once a large frame is gone. Every byte is looked at a bounded number of times.
 */

export interface SplitterStats {
  frames: number;
  truncated: number;
  garbageBytes: number;
}

type Phase = 'seekStart' | 'segments' | 'entropy';

/** A frame larger than this is not a live-view frame: resynchronise instead of buffering forever. */
const MAX_FRAME_BYTES = 32 * 1024 * 1024;
const INITIAL_STORE_BYTES = 64 * 1024;
/**
 * After a frame breaks, frames that start inside it are looked for (a corrupt length may have
 * jumped over the next frame's start), re-reading at most this many times the broken stretch's
 * length; beyond that the stretch is skipped whole. Frames nested in frames forever is an attack,
 * not a camera.
 */
const RESCAN_FACTOR = 2;

export class JpegSplitter {
  /** The pending bytes are store[head, len). */
  private store: Buffer = Buffer.alloc(INITIAL_STORE_BYTES);
  private head = 0;
  private len = 0;
  /** Index in store where the current frame starts (valid once SOI was found). */
  private start = 0;
  /** Scan position in store. */
  private pos = 0;
  private phase: Phase = 'seekStart';
  /** Where the search that found the current frame began: the start of what a failure re-reads. */
  private searchFrom = 0;
  /** The broken stretch being re-read for nested frames: [brokenFrom, brokenTo), or brokenTo < 0. */
  private brokenFrom = 0;
  private brokenTo = -1;
  private reread = 0;
  /** Size of the last good frame: the store keeps room for about two of them. */
  private lastFrameBytes = 0;
  readonly stats: SplitterStats = { frames: 0, truncated: 0, garbageBytes: 0 };

  constructor(private readonly onFrame: (frame: Buffer) => void) {}

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.reserve(chunk.length);
    this.store.set(chunk, this.len);
    this.len += chunk.length;
    this.scan();
    this.shrinkIfMostlyEmpty();
  }

  /** Bytes held for an unfinished frame (for tests and leak checks). */
  get buffered(): number {
    return this.len - this.head;
  }

  /** Bytes allocated for pending data (for tests and leak checks). */
  get capacity(): number {
    return this.store.length;
  }

  /** Room for n more bytes: slide the live bytes down when that frees enough, else grow. */
  private reserve(n: number): void {
    if (this.len + n <= this.store.length) return;
    const live = this.len - this.head;
    // Sliding only when the result is at most half full means the dead prefix is at least as large
    // as what moves: each consumed byte pays for one moved byte (amortised O(1)), as in Go's bytes.Buffer.
    if (live + n <= this.store.length / 2) this.relocate(this.store);
    else this.relocate(Buffer.allocUnsafe(Math.max(this.store.length * 2, live + n)));
  }

  /** Once a large frame is gone, give its memory back (keeping room for about two frames like the last good one). */
  private shrinkIfMostlyEmpty(): void {
    const live = this.len - this.head;
    let target = INITIAL_STORE_BYTES;
    while (target < 2 * Math.max(live, this.lastFrameBytes)) target *= 2;
    if (this.store.length >= 4 * target) this.relocate(Buffer.allocUnsafe(target));
  }

  /** Moves the live bytes to the front of `into` (every index shifts by head). */
  private relocate(into: Buffer): void {
    const shift = this.head;
    this.store.copy(into, 0, this.head, this.len);
    this.store = into;
    this.len -= shift;
    this.head = 0;
    this.start -= shift;
    this.pos -= shift;
    this.searchFrom -= shift;
    this.brokenFrom -= shift;
    if (this.brokenTo >= 0) this.brokenTo -= shift;
  }

  private scan(): void {
    // A view ending at len, so that indexOf never reads stale bytes past it. The loops keep the scan
    // position in a local: they run once per byte on hostile input.
    const b = this.store.subarray(0, this.len);
    const end = b.length;
    for (;;) {
      if (this.phase === 'seekStart') {
        let from = this.pos;
        let soi = findSoi(b, from, end);
        // FF D8 followed by a byte that starts no segment is broken at once (decided, as for any
        // frame, once the two bytes after the marker are here) and holds nothing to search again:
        // count it and go on here, without the bookkeeping of a longer broken frame.
        while (soi >= 0 && soi + 4 <= end && b[soi + 2] !== 0xff) {
          this.stats.garbageBytes += soi - from;
          this.stats.truncated++;
          from = soi + 2;
          soi = findSoi(b, from, end);
        }
        if (soi < 0) {
          // Keep a trailing FF: it may be the first half of a start marker.
          const upTo = Math.max(from, end - (b[end - 1] === 0xff ? 1 : 0));
          this.stats.garbageBytes += upTo - from;
          this.pos = upTo;
          this.consume(upTo);
          return;
        }
        this.stats.garbageBytes += soi - from;
        this.start = soi;
        this.pos = soi + 2;
        this.consume(soi);
        this.phase = 'segments';
      }
      if (this.phase === 'segments') {
        // Each segment: FF, marker, 2-byte big-endian length (which includes itself).
        let p = this.pos;
        let exit: 'wait' | 'broken' | 'soi' | 'eoi' | 'entropy';
        for (;;) {
          if (p + 2 > end) {
            exit = 'wait';
            break;
          }
          if (b[p] !== 0xff) {
            exit = 'broken';
            break;
          }
          const marker = b[p + 1];
          if (marker === 0xff) {
            // Fill bytes: skip the run with one load per byte.
            p += 1;
            while (p + 2 < end && b[p + 1] === 0xff) p++;
            continue;
          }
          if (marker === 0xd8) {
            exit = 'soi';
            break;
          }
          if (marker === 0xd9) {
            exit = 'eoi';
            break;
          }
          if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
            p += 2;
            continue;
          }
          if (p + 4 > end) {
            exit = 'wait';
            break;
          }
          const length = (b[p + 2] << 8) | b[p + 3];
          if (length < 2) {
            exit = 'broken';
            break;
          }
          p += 2 + length;
          if (marker === 0xda) {
            exit = p > end ? 'wait' : 'entropy';
            this.phase = 'entropy';
            break;
          }
          if (p > end) {
            exit = 'wait';
            break;
          }
        }
        this.pos = p;
        if (exit === 'wait') return this.waitForMore();
        if (exit === 'broken') this.broken();
        else if (exit === 'soi') this.truncatedAt(p);
        else if (exit === 'eoi') this.emit(p + 2);
        continue;
      }
      // Entropy-coded data: FF is followed by 00 (a stuffed FF), a restart marker or fill; any other marker ends it.
      let p = this.pos;
      for (;;) {
        const ff = nextFF(b, p, end);
        if (ff < 0 || ff + 1 >= end) {
          this.pos = ff < 0 ? end : ff;
          return this.waitForMore();
        }
        const next = b[ff + 1];
        if (next === 0x00 || (next >= 0xd0 && next <= 0xd7) || next === 0xff) {
          p = ff + 1;
          continue;
        }
        this.pos = ff;
        if (next === 0xd9) this.emit(ff + 2);
        else if (next === 0xd8) this.truncatedAt(ff);
        else this.phase = 'segments'; // another marker after scan data (progressive JPEG: the next scan's header)
        break;
      }
    }
  }

  private emit(end: number): void {
    this.stats.frames++;
    this.lastFrameBytes = end - this.start;
    this.onFrame(Buffer.from(this.store.subarray(this.start, end)));
    this.restartAt(end);
  }

  private truncatedAt(soi: number): void {
    this.stats.truncated++;
    this.restartAt(soi);
  }

  /**
   * Broken structure at pos: count the frame as truncated and look for a frame starting inside it,
   * unless this stretch has already been re-read as often as the budget allows.
   */
  private broken(): void {
    this.stats.truncated++;
    if (this.brokenTo < 0) {
      this.brokenFrom = this.start;
      this.brokenTo = this.pos;
      this.reread = 0;
    } else {
      this.reread += Math.max(0, Math.min(this.pos, this.brokenTo) - this.searchFrom);
      this.brokenTo = Math.max(this.brokenTo, this.pos);
    }
    if (this.reread > RESCAN_FACTOR * (this.brokenTo - this.brokenFrom)) {
      this.stats.garbageBytes += this.brokenTo - (this.start + 2);
      this.restartAt(this.brokenTo);
    } else {
      this.restartAt(this.start + 2);
    }
  }

  private restartAt(index: number): void {
    this.start = index;
    this.pos = index;
    this.searchFrom = index;
    this.phase = 'seekStart';
    this.consume(index);
  }

  /** Everything before index is done with. */
  private consume(index: number): void {
    this.head = index;
    if (this.brokenTo >= 0 && index >= this.brokenTo) this.brokenTo = -1;
  }

  /** Waiting for more data; a frame past the size limit is given up, with everything buffered. */
  private waitForMore(): void {
    if (this.len - this.start <= MAX_FRAME_BYTES) return;
    this.stats.truncated++;
    // Searching 32 MB again for a frame inside it, chunk after chunk, would cost more than it finds.
    const upTo = this.len - (this.store[this.len - 1] === 0xff ? 1 : 0);
    this.stats.garbageBytes += Math.max(0, upTo - (this.start + 2));
    this.brokenTo = -1;
    this.restartAt(upTo);
  }
}

/** The next FF in b[from, end), or -1. A native indexOf costs about as much as scanning dozens of bytes, so short distances are scanned here. */
function nextFF(b: Buffer, from: number, end: number): number {
  const near = Math.min(end, from + 32);
  for (let i = from; i < near; i++) if (b[i] === 0xff) return i;
  return near < end ? b.indexOf(0xff, near) : -1;
}

/** The next FF D8 (start of image) in b[from, end), or -1. */
function findSoi(b: Buffer, from: number, end: number): number {
  let i = nextFF(b, from, end);
  while (i >= 0 && i + 1 < end) {
    const next = b[i + 1];
    if (next === 0xd8) return i;
    i = next === 0xff ? i + 1 : nextFF(b, i + 2, end);
  }
  return -1;
}
