/** The messages between the panel's page and its analysis worker (media/analysisWorker.ts). */
import type { NegativeMode } from '../src/ui/panelProtocol';

export interface AnalysisSettings {
  histogram: boolean;
  clipping: boolean;
  peaking: boolean;
  negative: NegativeMode;
  /** The film base picked for colour negatives, 0..255 per channel. */
  base?: [number, number, number];
}

export type AnalysisRequest =
  | { kind: 'canvases'; histogram: OffscreenCanvas; overlay: OffscreenCanvas }
  | { kind: 'settings'; settings: AnalysisSettings }
  /** The picture on screen: a live frame's decoded bitmap (transferred), or a still's file as a Blob. */
  | { kind: 'picture'; picture: ImageBitmap | Blob }
  /** Nothing to analyse (the picture area was cleared). */
  | { kind: 'clear' }
  /** The recorded colour at (x, y), each 0..1 of the picture (for the film base). */
  | { kind: 'sample'; id: number; x: number; y: number };

export type WorkerReport =
  | { kind: 'analysed'; count: number; skipped: number; ms: number }
  | { kind: 'sample'; id: number; rgb: [number, number, number] | undefined };
