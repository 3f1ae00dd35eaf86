/**
 * Newest-first delivery of live-view frames to a slow consumer (the webview): at most `window` frames
 * in flight and one waiting; a newer frame replaces the waiting one (which is dropped and counted), so
 * latency never grows however slow the consumer is. The consumer acks each frame once displayed, or
 * once it failed to decode it (a broken frame must not stall the stream; those are counted apart).
 *
 * Two in flight, not one: a frame's round trip to the webview and back (~60 ms in code-server) is
 * longer than a 30 or 45 fps camera's frame interval, so with one in flight the stream ran at the
 * transport's pace, not the camera's (`npm run bench:webview`). The webview draws in arrival order.
 */
import type { LiveFrame } from '../camera/cameraManager';

export interface PumpStats {
  offered: number;
  delivered: number;
  dropped: number;
  /** Delivered frames the consumer could not decode (corrupt JPEG from the camera or the transport). */
  broken: number;
  /** Frames acknowledged in the last second. */
  fps: number;
  /** Milliseconds from frame complete to ack, for the most recent acks (newest last). */
  latenciesMs: number[];
}

const LATENCY_WINDOW = 300;
/** Frames sent and not yet acked. */
export const DEFAULT_FRAMES_IN_FLIGHT = 2;

export class LiveViewPump {
  /** Sent, not yet acked, in send order. */
  private readonly inFlight: LiveFrame[] = [];
  private waiting: LiveFrame | undefined;
  private offered = 0;
  private delivered = 0;
  private dropped = 0;
  private broken = 0;
  private readonly ackTimes: number[] = [];
  private readonly latencies: number[] = [];

  constructor(
    private readonly send: (frame: LiveFrame) => void,
    private readonly now: () => number = Date.now,
    private readonly window: number = DEFAULT_FRAMES_IN_FLIGHT,
  ) {
    if (!Number.isInteger(window) || window < 1)
      throw new RangeError(`frames in flight must be 1 or more, not ${window}`);
  }

  offer(frame: LiveFrame): void {
    this.offered++;
    if (this.inFlight.length < this.window) {
      this.dispatch(frame);
      return;
    }
    if (this.waiting) this.dropped++;
    this.waiting = frame;
  }

  /** The consumer is done with frame `seq` (`shown` false: it could not decode it); send the newest waiting one. */
  ack(seq: number, shown = true): void {
    const index = this.inFlight.findIndex((f) => f.seq === seq);
    if (index < 0) return; // stale or unknown ack
    const [frame] = this.inFlight.splice(index, 1);
    const t = this.now();
    this.delivered++;
    if (!shown) this.broken++;
    this.latencies.push(t - frame.receivedAt);
    if (this.latencies.length > LATENCY_WINDOW) this.latencies.shift();
    this.ackTimes.push(t);
    while (this.ackTimes.length > 0 && this.ackTimes[0] < t - 1000) this.ackTimes.shift();
    const next = this.waiting;
    this.waiting = undefined;
    if (next) this.dispatch(next);
  }

  /** Forget frames in flight (the consumer went away or live view stopped). */
  reset(): void {
    this.inFlight.length = 0;
    this.waiting = undefined;
  }

  stats(): PumpStats {
    const t = this.now();
    return {
      offered: this.offered,
      delivered: this.delivered,
      dropped: this.dropped,
      broken: this.broken,
      fps: this.ackTimes.filter((a) => a >= t - 1000).length,
      latenciesMs: [...this.latencies],
    };
  }

  private dispatch(frame: LiveFrame): void {
    this.inFlight.push(frame);
    this.send(frame);
  }
}
