/**
 * Framing and focus aids over the picture: the onion skin (the roll's previous frame over the live
 * picture at an adjustable opacity, to line up the next frame of a strip with the last one), the
 * magnifier (2x, 5x, 10x around the point clicked, drawn from the picture on screen each display
 * frame while it is open), and the view's rotation and mirror (CSS transforms of the picture area;
 * the files are never changed). Focus peaking is computed by the analysis worker (histogram.ts).
 */
export type Magnification = 0 | 2 | 5 | 10;
const MAGNIFICATIONS: readonly Magnification[] = [0, 2, 5, 10];
const LOUPE_SIZE = 240;

export class OnionSkin {
  readonly img: HTMLImageElement;
  private uri: string | undefined;
  private on = false;

  constructor(frame: HTMLElement) {
    this.img = document.createElement('img');
    this.img.id = 'onion';
    this.img.className = 'onion';
    this.img.alt = '';
    this.img.hidden = true;
    frame.append(this.img);
    this.opacity = 0.4;
  }

  get enabled(): boolean {
    return this.on;
  }

  set opacity(value: number) {
    this.img.style.opacity = String(Math.min(0.9, Math.max(0.05, value)));
  }

  /** The previous frame (the roll's last one) as a webview URI, or undefined for an empty roll. */
  set previous(uri: string | undefined) {
    if (uri === this.uri) return;
    this.uri = uri;
    this.sync();
  }

  toggle(): boolean {
    this.on = !this.on;
    this.sync();
    return this.on;
  }

  private sync(): void {
    const show = this.on && this.uri !== undefined;
    if (show && this.img.getAttribute('src') !== this.uri) this.img.src = this.uri ?? '';
    if (!show) this.img.removeAttribute('src'); // the full-size frame is not kept when not shown
    this.img.hidden = !show;
  }
}

export class Magnifier {
  readonly loupe: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D | null;
  private zoom: Magnification = 0;
  /** The point looked at, 0..1 of the picture. */
  private at = { x: 0.5, y: 0.5 };
  private frame = 0;

  constructor(
    stage: HTMLElement,
    private readonly source: () =>
      { el: HTMLImageElement | HTMLCanvasElement; width: number; height: number } | undefined,
  ) {
    this.loupe = document.createElement('canvas');
    this.loupe.id = 'magnifier';
    this.loupe.className = 'magnifier';
    this.loupe.width = LOUPE_SIZE;
    this.loupe.height = LOUPE_SIZE;
    this.loupe.hidden = true;
    this.loupe.setAttribute('role', 'img');
    this.ctx = this.loupe.getContext('2d');
    stage.append(this.loupe);
  }

  get magnification(): Magnification {
    return this.zoom;
  }

  /** Off, 2x, 5x, 10x, off... */
  cycle(): Magnification {
    this.zoom = MAGNIFICATIONS[(MAGNIFICATIONS.indexOf(this.zoom) + 1) % MAGNIFICATIONS.length];
    this.loupe.hidden = this.zoom === 0;
    this.loupe.dataset.zoom = String(this.zoom);
    this.loupe.setAttribute('aria-label', `Magnifier ${this.zoom}x`);
    if (this.zoom > 0 && this.frame === 0) this.frame = requestAnimationFrame(() => this.draw());
    return this.zoom;
  }

  /** The user clicked the picture at (x, y), 0..1 of it. */
  lookAt(x: number, y: number): void {
    this.at = { x, y };
    this.loupe.dataset.x = x.toFixed(3);
    this.loupe.dataset.y = y.toFixed(3);
  }

  /** Redraws each display frame while open: live view changes under it. */
  private draw(): void {
    this.frame = 0;
    if (this.zoom === 0) return;
    const p = this.source();
    if (p && this.ctx) {
      const w = LOUPE_SIZE / this.zoom;
      const sx = Math.min(Math.max(0, this.at.x * p.width - w / 2), Math.max(0, p.width - w));
      const sy = Math.min(Math.max(0, this.at.y * p.height - w / 2), Math.max(0, p.height - w));
      this.ctx.imageSmoothingEnabled = false; // pixels, not a blur: this is for judging focus
      this.ctx.clearRect(0, 0, LOUPE_SIZE, LOUPE_SIZE);
      this.ctx.drawImage(p.el, sx, sy, w, w, 0, 0, LOUPE_SIZE, LOUPE_SIZE);
    }
    this.frame = requestAnimationFrame(() => this.draw());
  }
}

/** The CSS transform of the picture area for a rotation (clockwise) and mirror. */
export function viewTransform(rotate: number, mirror: boolean): string {
  const parts = [];
  if (rotate) parts.push(`rotate(${rotate}deg)`);
  if (mirror) parts.push('scaleX(-1)');
  return parts.join(' ');
}
