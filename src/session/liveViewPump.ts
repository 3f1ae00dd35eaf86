/**
 * Newest-first delivery of live-view frames to a slow consumer (the webview): at most one frame in
 * flight; a newer frame replaces the one waiting (which is dropped and counted), so latency never
 * grows however slow the consumer is. The consumer acks each frame once displayed, or once it
 * failed to decode it (a broken frame must not stall the stream; those are counted apart).
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

export class LiveViewPump {
  private inFlight: LiveFrame | undefined;
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
  ) {}

  offer(frame: LiveFrame): void {
    this.offered++;
    if (!this.inFlight) {
      this.dispatch(frame);
      return;
    }
    if (this.waiting) this.dropped++;
    this.waiting = frame;
  }

  /** The consumer is done with frame `seq` (`shown` false: it could not decode it); send the newest waiting one. */
  ack(seq: number, shown = true): void {
    if (!this.inFlight || this.inFlight.seq !== seq) return; // stale or unknown ack
    const t = this.now();
    this.delivered++;
    if (!shown) this.broken++;
    this.latencies.push(t - this.inFlight.receivedAt);
    if (this.latencies.length > LATENCY_WINDOW) this.latencies.shift();
    this.ackTimes.push(t);
    while (this.ackTimes.length > 0 && this.ackTimes[0] < t - 1000) this.ackTimes.shift();
    this.inFlight = undefined;
    const next = this.waiting;
    this.waiting = undefined;
    if (next) this.dispatch(next);
  }

  /** Forget frames in flight (the consumer went away or live view stopped). */
  reset(): void {
    this.inFlight = undefined;
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
    this.inFlight = frame;
    this.send(frame);
  }
}
