/**
 * The negative view: slide (as recorded), B&W negative (inverted), colour negative (the film base
 * picked by the user divided out, then inverted; see negativeMath.ts). The browser applies it as an
 * SVG filter to the picture, the filmstrip's thumbnails, the onion skin and the magnifier, so live
 * view pays no script time for it; the histogram applies the same numbers in its worker.
 */
import { NEGATIVE_MODES, type NegativeMode, type RollView } from '../src/ui/panelProtocol';
import { negativeTransfer } from './negativeMath';

const SVG = 'http://www.w3.org/2000/svg';
export const NEGATIVE_LABELS: Readonly<Record<NegativeMode, string>> = {
  slide: 'Slide',
  bw: 'B&W negative',
  colour: 'Colour negative',
};

export class NegativeView {
  private readonly funcs: SVGElement[];

  constructor() {
    const svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('width', '0');
    svg.setAttribute('height', '0');
    svg.setAttribute('aria-hidden', 'true');
    svg.classList.add('filters');
    const filter = document.createElementNS(SVG, 'filter');
    filter.id = 'ct-negative';
    // The film's numbers as recorded (sRGB), not converted to linear light first.
    filter.setAttribute('color-interpolation-filters', 'sRGB');
    const transfer = document.createElementNS(SVG, 'feComponentTransfer');
    this.funcs = ['feFuncR', 'feFuncG', 'feFuncB'].map((name) => {
      const f = document.createElementNS(SVG, name);
      f.setAttribute('type', 'linear');
      transfer.append(f);
      return f;
    });
    filter.append(transfer);
    svg.append(filter);
    document.body.append(svg);
  }

  /** Shows the pictures as `view` says (body[data-negative] selects the filter in panel CSS). */
  apply(view: RollView): void {
    const t = negativeTransfer(view);
    document.body.dataset.negative = t ? 'on' : 'off';
    document.body.dataset.negativeMode = view.negative;
    if (!t) return;
    this.funcs.forEach((f, i) => {
      f.setAttribute('slope', String(t[i].slope));
      f.setAttribute('intercept', String(t[i].intercept));
    });
  }
}

export function nextNegativeMode(mode: NegativeMode): NegativeMode {
  return NEGATIVE_MODES[(NEGATIVE_MODES.indexOf(mode) + 1) % NEGATIVE_MODES.length];
}
