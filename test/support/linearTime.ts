/**
 * What the hostile-input suites share: a parser is timed against a linear baseline (split into lines
 * and trim each) on the same input, interleaved so a change in the machine's load touches both alike,
 * in a worker thread so that a regression fails the test instead of freezing it.
 */
import fc from 'fast-check';
import { parentPort } from 'worker_threads';

export interface Timing {
  parseMs: number;
  baselineMs: number;
}

/** The linear baseline: the least any line parser does, a split into lines and a trim of each. */
export function linearPass(text: string): number {
  let n = 0;
  for (const line of text.split(/\r?\n/)) n += line.trim().length;
  return n;
}

/** The shortest of `runs` timings of `f` (ms). */
export function bestOf(runs: number, f: () => unknown): number {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    f();
    best = Math.min(best, performance.now() - t);
  }
  return best;
}

/** Worker side: answers each text posted to it with the best of `runs` timings of `parse` and of the baseline. */
export function serveTimings(parse: (text: string) => unknown, runs: number): void {
  parentPort?.on('message', (text: string) => {
    let parseMs = Infinity;
    let baselineMs = Infinity;
    for (let i = 0; i < runs; i++) {
      baselineMs = Math.min(
        baselineMs,
        bestOf(1, () => linearPass(text)),
      );
      parseMs = Math.min(
        parseMs,
        bestOf(1, () => parse(text)),
      );
    }
    parentPort?.postMessage({ parseMs, baselineMs } satisfies Timing);
  });
}

/** A generated input and how it was made: fast-check prints the recipe, not 1 MB of text. */
export class Hostile {
  constructor(
    readonly text: string,
    readonly recipe: string,
  ) {}
  [fc.toStringMethod](): string {
    return this.recipe;
  }
}
