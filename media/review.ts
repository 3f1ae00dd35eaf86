/**
 * The panel's review features, wired together for panel.ts: the filmstrip, the histogram and
 * clipping overlay, the negative view, focus peaking, the onion skin, the magnifier, rotation and
 * mirror. panel.ts calls a few hooks (a message arrived, a live frame was drawn, a still is shown,
 * the picture was cleared) and merges `keys` into its key map; everything else lives here.
 *
 * Keys: I negative mode (slide, B&W, colour), H histogram, C clipping, F focus peaking, O onion
 * skin, M magnifier (2x, 5x, 10x, off), R rotate 90 degrees, X mirror, Left/Right frames of the
 * strip, Esc back to the live or preview picture.
 */
import {
  DEFAULT_ROLL_VIEW,
  type HostMessage,
  type PanelViewState,
  type RollView,
  type WebviewMessage,
} from '../src/ui/panelProtocol';
import { Magnifier, OnionSkin, viewTransform } from './aids';
import { Filmstrip } from './filmstrip';
import { Analysis } from './histogram';
import { NEGATIVE_LABELS, NegativeView, nextNegativeMode } from './negative';

export interface ReviewHost {
  send(message: WebviewMessage): void;
  showStill(uri: string, caption: string): void;
  backToLive(): void;
  /** Lays the picture out again (rotation changes which side is long). */
  relayout(): void;
  /** The picture on screen with its pixel size. */
  picture(): { el: HTMLImageElement | HTMLCanvasElement; width: number; height: number } | undefined;
  /** The page's saved view (histogram and clipping are kept through reloads). */
  view(): PanelViewState;
  saveView(view: PanelViewState): void;
  /** A short note in the caption area (e.g. "click the film base"). */
  hint(text: string | undefined): void;
}

export interface Review {
  keys: Record<string, () => void>;
  /** A host message for the review features; false when it is not one. */
  onMessage(m: HostMessage): boolean;
  /** A live frame is on screen: true when the analysis took the bitmap (the caller must not close it). */
  liveFrame(bitmap: ImageBitmap): boolean;
  stillShown(uri: string): void;
  /** A preview or fresh capture replaced a frame chosen in the strip. */
  pictureReplaced(): void;
  cleared(): void;
  /** The transform of the picture area, and whether it is turned a quarter (width and height swap). */
  transform(): { css: string; quarter: boolean };
}

export function createReview(
  host: ReviewHost,
  parts: { toolbar: HTMLElement; stage: HTMLElement; frame: HTMLElement; footer: HTMLElement },
): Review {
  const strip = new Filmstrip({
    send: (m) => host.send(m),
    showStill: (uri, caption) => host.showStill(uri, caption),
    backToLive: () => host.backToLive(),
    rollView: (roll, v) => {
      rollName = roll;
      rollView = v;
      applyRollView(false);
    },
  });
  parts.footer.before(strip.root);
  const negative = new NegativeView();
  const analysis = new Analysis(parts.frame, parts.stage);
  const onion = new OnionSkin(parts.frame);
  const magnifier = new Magnifier(parts.stage, () => host.picture());
  let rollName = '';
  let rollView: RollView = DEFAULT_ROLL_VIEW;
  let picking = false;

  // The view buttons (toolbar group "Review"), each with its key.
  const group = document.createElement('span');
  group.className = 'group review';
  group.setAttribute('role', 'group');
  group.setAttribute('aria-label', 'Review');
  const button = (id: string, text: string, title: string, key: string, toggle: boolean, run: () => void) => {
    const b = document.createElement('button');
    b.id = id;
    b.textContent = text;
    b.title = key ? `${title} (${key})` : title;
    if (key) b.setAttribute('aria-keyshortcuts', key);
    if (toggle) {
      b.classList.add('toggle');
      b.setAttribute('aria-pressed', 'false');
    }
    b.addEventListener('click', run);
    group.append(b);
    return b;
  };
  const press = (b: HTMLElement, on: boolean) => b.setAttribute('aria-pressed', String(on));

  const cycleNegative = () => {
    rollView = { ...rollView, negative: nextNegativeMode(rollView.negative) };
    applyRollView(true);
  };
  const bNegative = button(
    'btn-negative',
    'Slide',
    'Negative view: slide, B&W negative, colour negative',
    'I',
    false,
    cycleNegative,
  );
  const bBase = button(
    'btn-film-base',
    'Film base',
    'Pick the film base: click the unexposed rebate between frames',
    '',
    true,
    () => pickBase(!picking),
  );
  const toggleAnalysis = (key: 'histogram' | 'clipping') => {
    const v = host.view();
    host.saveView({ ...v, [key]: !v[key] });
    syncAnalysis();
  };
  const bHistogram = button('btn-histogram', 'Histogram', 'Histogram: red, green, blue and luminance', 'H', true, () =>
    toggleAnalysis('histogram'),
  );
  const bClipping = button(
    'btn-clipping',
    'Clipping',
    'Show clipped highlights (red) and shadows (blue) on the picture',
    'C',
    true,
    () => toggleAnalysis('clipping'),
  );
  const togglePeaking = () => {
    analysis.configure({ peaking: !analysis.state.peaking });
    press(bPeaking, analysis.state.peaking);
  };
  const bPeaking = button('btn-peaking', 'Peaking', 'Focus peaking: sharp edges in yellow', 'F', true, togglePeaking);
  const toggleOnion = () => press(bOnion, onion.toggle());
  const bOnion = button(
    'btn-onion',
    'Onion',
    'Onion skin: the previous frame over the picture, to line up the next one',
    'O',
    true,
    toggleOnion,
  );
  const opacity = document.createElement('input');
  opacity.type = 'range';
  opacity.id = 'onion-opacity';
  opacity.min = '5';
  opacity.max = '90';
  opacity.value = '40';
  opacity.title = 'Onion skin opacity';
  opacity.setAttribute('aria-label', 'Onion skin opacity');
  opacity.addEventListener('input', () => {
    onion.opacity = Number(opacity.value) / 100;
  });
  group.append(opacity);
  const cycleMagnifier = () => {
    const z = magnifier.cycle();
    bMagnifier.textContent = z ? `Loupe ${z}x` : 'Loupe';
    press(bMagnifier, z > 0);
  };
  const bMagnifier = button(
    'btn-magnifier',
    'Loupe',
    'Magnifier 2x, 5x, 10x around the point clicked',
    'M',
    true,
    cycleMagnifier,
  );
  const rotate = () => {
    rollView = { ...rollView, rotate: ((rollView.rotate + 90) % 360) as RollView['rotate'] };
    applyRollView(true);
  };
  button('btn-rotate', 'Rotate', 'Rotate the view 90 degrees clockwise (the files are unchanged)', 'R', false, rotate);
  const mirror = () => {
    rollView = { ...rollView, mirror: !rollView.mirror };
    applyRollView(true);
  };
  const bMirror = button('btn-mirror', 'Mirror', 'Mirror the view (shooting through the film base)', 'X', true, mirror);
  parts.toolbar.append(group);

  function syncAnalysis(): void {
    const v = host.view();
    analysis.configure({
      histogram: v.histogram,
      clipping: v.clipping,
      negative: rollView.negative,
      ...(rollView.base ? { base: rollView.base } : { base: undefined }),
    });
    press(bHistogram, v.histogram);
    press(bClipping, v.clipping);
  }

  /** Applies the roll's view to everything shown; `changed`: the user changed it, the extension remembers it. */
  function applyRollView(changed: boolean, initial = false): void {
    negative.apply(rollView);
    bNegative.textContent = NEGATIVE_LABELS[rollView.negative];
    bNegative.dataset.mode = rollView.negative;
    bBase.hidden = rollView.negative !== 'colour';
    if (rollView.negative !== 'colour' && picking) pickBase(false);
    press(bMirror, rollView.mirror);
    syncAnalysis();
    if (!initial) host.relayout();
    if (rollView.negative === 'colour' && !rollView.base && changed) pickBase(true);
    if (changed && rollName) host.send({ type: 'rollView', roll: rollName, view: rollView });
  }

  function pickBase(on: boolean): void {
    picking = on;
    analysis.picking = on;
    press(bBase, on);
    parts.stage.classList.toggle('picking', on);
    host.hint(on ? 'Click the film base (the unexposed rebate between frames) to remove the orange mask' : undefined);
  }

  /** A click on the picture: the film base when picking, else the magnifier's point. */
  parts.stage.addEventListener('click', (e) => {
    const p = host.picture();
    if (!p || e.target !== p.el) return;
    // offsetX/Y are in the picture's own (untransformed) box, whatever the rotation and mirror.
    const x = e.offsetX / (p.el.clientWidth || 1);
    const y = e.offsetY / (p.el.clientHeight || 1);
    if (picking) {
      void analysis.sample(x, y).then((rgb) => {
        if (!rgb) return;
        rollView = { ...rollView, base: rgb };
        pickBase(false);
        applyRollView(true);
      });
      return;
    }
    if (magnifier.magnification > 0) magnifier.lookAt(x, y);
  });

  applyRollView(false, true);

  return {
    keys: {
      i: cycleNegative,
      h: () => toggleAnalysis('histogram'),
      c: () => toggleAnalysis('clipping'),
      f: togglePeaking,
      o: toggleOnion,
      m: cycleMagnifier,
      r: rotate,
      x: mirror,
      arrowleft: () => strip.step(-1),
      arrowright: () => strip.step(1),
      escape: () => {
        if (picking) pickBase(false);
        else strip.escape();
      },
    },
    onMessage(m) {
      if (m.type === 'filmstrip') {
        strip.update(m.strip);
        const last = m.strip.frames.at(-1);
        onion.previous = last?.imageUri ?? last?.thumbnailUri;
        return true;
      }
      if (m.type === 'thumbnail') {
        strip.thumbnail(m.strip, m.key, m.uri);
        return true;
      }
      return false;
    },
    liveFrame: (bitmap) => analysis.offerBitmap(bitmap),
    stillShown: (uri) => analysis.showStill(uri),
    pictureReplaced: () => strip.deselect(),
    cleared: () => analysis.clear(),
    transform: () => ({ css: viewTransform(rollView.rotate, rollView.mirror), quarter: rollView.rotate % 180 !== 0 }),
  };
}
