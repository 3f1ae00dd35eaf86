/**
 * The negative view's arithmetic, shared by the page (an SVG filter on the pictures and thumbnails,
 * done by the browser's compositor) and the analysis worker (a lookup table, so the histogram shows
 * what the eye sees). Per channel, on the recorded 0..255 value v:
 * - slide: v;
 * - B&W negative: 255 - v;
 * - colour negative: 255 * (1 - v / base), base being the film base (the orange mask) picked by the
 *   user: dividing by it makes the unexposed film neutral, then inverting makes it black. Without a
 *   picked base it is shown as a B&W negative.
 */
import type { NegativeMode } from '../src/ui/panelProtocol';

export interface NegativeSettings {
  negative: NegativeMode;
  base?: [number, number, number];
}

/** Slope and intercept per channel of out = slope * in + intercept (in and out 0..1), or undefined for no filter. */
export function negativeTransfer(s: NegativeSettings): { slope: number; intercept: number }[] | undefined {
  if (s.negative === 'slide') return undefined;
  if (s.negative === 'colour' && s.base) return s.base.map((b) => ({ slope: -255 / Math.max(1, b), intercept: 1 }));
  return [0, 1, 2].map(() => ({ slope: -1, intercept: 1 }));
}

/** The same transfer as three 256-entry tables (R, G, B). */
export function negativeLut(s: NegativeSettings): [Uint8Array, Uint8Array, Uint8Array] {
  const t = negativeTransfer(s);
  const table = (c: number) => {
    const out = new Uint8Array(256);
    for (let v = 0; v < 256; v++) {
      const f = t ? t[c].slope * (v / 255) + t[c].intercept : v / 255;
      out[v] = Math.round(Math.min(1, Math.max(0, f)) * 255);
    }
    return out;
  };
  return [table(0), table(1), table(2)];
}
