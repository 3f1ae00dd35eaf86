/**
 * The page's side of the picture analysis (histogram, clipping overlay, focus peaking, film base
 * sample): it owns the analysis Worker (created from a blob: the webview's CSP allows `worker-src
 * blob:` and nothing else for workers), hands it the picture on screen, and shows the two canvases
 * the worker draws into. A live frame's decoded bitmap is transferred (no copy, no second decode);
 * a still (preview, capture, a frame of the strip) is fetched from its webview URI as a Blob and
 * decoded in the worker. With everything off, nothing is sent: live view pays nothing.
 *
 * Reports on #histogram: data-analysed (pictures analysed), data-skipped (replaced while waiting).
 */
import type { AnalysisRequest, AnalysisSettings, WorkerReport } from './analysisTypes';
import workerSource from 'analysis-worker-source';

/** Live frames analysed per second at most. */
const LIVE_ANALYSIS_FPS = 15;

export class Analysis {
  readonly panel: HTMLElement;
  readonly overlay: HTMLCanvasElement;
  private readonly worker: Worker | undefined;
  private settings: AnalysisSettings = { histogram: false, clipping: false, peaking: false, negative: 'slide' };
  /** The still on screen (undefined while live view or nothing is shown): re-analysed when analysis is turned on. */
  private still: string | undefined;
  private stillToken = 0;
  /** A film base pick waits for the worker's picture. */
  private sampling = false;
  /** A live frame is with the worker: the next is offered only once it reported (never a queue). */
  private busy = false;
  private workMs = 0;
  private lastOffer = 0;
  private samples = new Map<number, (rgb: [number, number, number] | undefined) => void>();
  private sampleId = 0;

  constructor(frame: HTMLElement, stage: HTMLElement) {
    this.panel = document.createElement('div');
    this.panel.id = 'histogram';
    this.panel.className = 'histogram';
    this.panel.hidden = true;
    this.panel.setAttribute('role', 'img');
    this.panel.setAttribute('aria-label', 'Histogram: red, green, blue and luminance');
    const histogram = document.createElement('canvas');
    histogram.width = 256;
    histogram.height = 100;
    this.panel.append(histogram);
    stage.append(this.panel);
    this.overlay = document.createElement('canvas');
    this.overlay.id = 'analysis-overlay';
    this.overlay.className = 'overlay';
    this.overlay.hidden = true;
    frame.append(this.overlay);
    try {
      const url = URL.createObjectURL(new Blob([workerSource], { type: 'text/javascript' }));
      this.worker = new Worker(url, { name: 'picture analysis' });
      const h = histogram.transferControlToOffscreen();
      const o = this.overlay.transferControlToOffscreen();
      this.post({ kind: 'canvases', histogram: h, overlay: o }, [h, o]);
      this.worker.onmessage = (e: MessageEvent<WorkerReport>) => this.report(e.data);
      this.panel.dataset.analysed = '0';
    } catch (err) {
      // No worker, no analysis (the picture itself is unaffected): say why in the panel.
      this.worker = undefined;
      this.panel.dataset.error = String(err);
    }
  }

  private post(m: AnalysisRequest, transfer: Transferable[] = []): void {
    this.worker?.postMessage(m, transfer);
  }

  private report(r: WorkerReport): void {
    if (r.kind === 'analysed') {
      this.busy = false;
      this.panel.dataset.analysed = String(r.count);
      this.panel.dataset.skipped = String(r.skipped);
      // The worker's time per picture (decode of a still, scaling, histogram, overlays), smoothed.
      this.workMs = this.workMs === 0 ? r.ms : this.workMs * 0.9 + r.ms * 0.1;
      this.panel.dataset.ms = this.workMs.toFixed(1);
      return;
    }
    const done = this.samples.get(r.id);
    this.samples.delete(r.id);
    done?.(r.rgb);
  }

  /** Something wants the pictures: the histogram, the overlays, or a film base pick. */
  get wanted(): boolean {
    return (
      this.worker !== undefined &&
      (this.settings.histogram || this.settings.clipping || this.settings.peaking || this.sampling)
    );
  }

  get state(): Readonly<AnalysisSettings> {
    return this.settings;
  }

  configure(change: Partial<AnalysisSettings>): void {
    const was = this.wanted;
    this.settings = { ...this.settings, ...change };
    this.panel.hidden = !this.settings.histogram;
    this.overlay.hidden = !(this.settings.clipping || this.settings.peaking);
    this.post({ kind: 'settings', settings: this.settings });
    if (!was && this.wanted && this.still) this.analyseStill(this.still);
  }

  /** A live frame was drawn and is on screen: the worker takes the bitmap (true) or the caller closes it. */
  offerBitmap(bitmap: ImageBitmap): boolean {
    this.still = undefined;
    if (!this.wanted || this.busy) return false;
    // The histogram and overlays follow live view at up to LIVE_ANALYSIS_FPS: enough for the eye,
    // and the worker's share of a 2-core machine stays small at 45 fps.
    const now = performance.now();
    if (now - this.lastOffer < 1000 / LIVE_ANALYSIS_FPS) return false;
    this.lastOffer = now;
    this.busy = true;
    this.post({ kind: 'picture', picture: bitmap }, [bitmap]);
    return true;
  }

  /** A still is on screen now (its webview URI). */
  showStill(uri: string): void {
    this.still = uri;
    if (this.wanted) this.analyseStill(uri);
  }

  /** The picture area is empty. */
  clear(): void {
    this.still = undefined;
    this.busy = false; // the worker drops what waits
    this.stillToken++;
    this.post({ kind: 'clear' });
  }

  private analyseStill(uri: string): void {
    const token = ++this.stillToken;
    void fetch(uri)
      .then((r) => (r.ok ? r.blob() : undefined))
      .then((blob) => {
        if (blob && token === this.stillToken) this.post({ kind: 'picture', picture: blob });
      })
      .catch(() => undefined); // the histogram stays empty; the picture is unaffected
  }

  /** The recorded colour around (x, y) (0..1 of the picture on screen), for the film base. */
  sample(x: number, y: number): Promise<[number, number, number] | undefined> {
    if (!this.worker) return Promise.resolve(undefined);
    const id = ++this.sampleId;
    return new Promise((resolve) => {
      this.samples.set(id, resolve);
      this.post({ kind: 'sample', id, x, y });
    });
  }

  /** While the user is about to pick the film base, pictures go to the worker even with everything off. */
  set picking(on: boolean) {
    const was = this.wanted;
    this.sampling = on;
    if (!was && this.wanted && this.still) this.analyseStill(this.still);
  }
}
