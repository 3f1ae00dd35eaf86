// The negative view's numbers (media/negativeMath.ts), shared by the page's SVG filter and the
// histogram worker: slide as recorded, B&W inverted, colour negative with the film base divided out.
import * as assert from 'assert';
import fc from 'fast-check';
import { negativeLut, negativeTransfer } from '../../media/negativeMath';

describe('negative view arithmetic', () => {
  it('slide: no filter, and the histogram sees the recorded values', () => {
    assert.strictEqual(negativeTransfer({ negative: 'slide' }), undefined);
    const [r, g, b] = negativeLut({ negative: 'slide' });
    for (let v = 0; v < 256; v++) assert.deepStrictEqual([r[v], g[v], b[v]], [v, v, v]);
  });

  it('B&W negative: 255 - v on every channel (also a colour negative whose film base is not picked yet)', () => {
    for (const s of [{ negative: 'bw' as const }, { negative: 'colour' as const }]) {
      const [r, g, b] = negativeLut(s);
      for (let v = 0; v < 256; v++) assert.deepStrictEqual([r[v], g[v], b[v]], [255 - v, 255 - v, 255 - v]);
    }
  });

  it('colour negative: the film base turns black, clear film white, each channel on its own scale', () => {
    const base: [number, number, number] = [224, 150, 96];
    const lut = negativeLut({ negative: 'colour', base });
    base.forEach((c, i) => {
      assert.strictEqual(lut[i][c], 0, `channel ${i}: the base is black`);
      assert.strictEqual(lut[i][0], 255, `channel ${i}: no density is white`);
      assert.strictEqual(lut[i][255], 0, `channel ${i}: denser than the base clamps to black`);
    });
    // The orange mask is removed: a grey half-way through the film (half the base on each channel) is neutral.
    const half = base.map((c, i) => lut[i][Math.round(c / 2)]);
    assert.ok(Math.max(...half) - Math.min(...half) <= 2, `neutral: ${half.join(',')}`);
  });

  it('the SVG filter and the lookup tables agree (within rounding) for any film base', () => {
    fc.assert(
      fc.property(
        fc.tuple(fc.integer({ min: 1, max: 255 }), fc.integer({ min: 1, max: 255 }), fc.integer({ min: 1, max: 255 })),
        fc.integer({ min: 0, max: 255 }),
        (base, v) => {
          const t = negativeTransfer({ negative: 'colour', base });
          const lut = negativeLut({ negative: 'colour', base });
          assert.ok(t);
          for (let c = 0; c < 3; c++) {
            const f = Math.min(1, Math.max(0, t[c].slope * (v / 255) + t[c].intercept)) * 255;
            assert.ok(Math.abs(lut[c][v] - f) <= 0.5 + 1e-9);
            if (v > 0) assert.ok(lut[c][v] <= lut[c][v - 1], 'denser film is never brighter');
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
