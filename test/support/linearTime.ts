/**
 * What the hostile-input suites share: a parser is timed against a linear baseline (split into lines
 * and trim each) on the same input, interleaved so a change in the machine's load touches both alike,
 * in a worker thread so that a regression fails the test instead of freezing it.
 */
import * as assert from 'assert';
import fc from 'fast-check';
import { parentPort, Worker } from 'worker_threads';
import { askWorker } from './workerRequest';

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

/**
 * Main side: times every input (the known worst cases first, then `generated` more from `inputs`) in
 * a worker running this test file, asserts each parse stays within `maxRatio` of the linear pass,
 * and stops the worker (failing) when one input takes `hangRatio` times the baseline measured here.
 */
export async function assertLinearTime(options: {
  file: string;
  inputs: fc.Arbitrary<Hostile>;
  worstCases: readonly Hostile[];
  generated: number;
  maxRatio: number;
  hangRatio: number;
}): Promise<void> {
  const { maxRatio, hangRatio } = options;
  const worker = new Worker(options.file);
  worker.unref();
  let worst = { ratio: 0, parseMs: 0, baselineMs: 0 };
  let tried = 0;
  const time = (input: Hostile): Promise<Timing> => {
    // Only a hang guard: a ratio-based limit from a baseline measured here, on this machine.
    const mainBaseline = bestOf(3, () => linearPass(input.text));
    const guardMs = Math.max(hangRatio * mainBaseline, 2000);
    return askWorker<Timing>(
      worker,
      input.text,
      guardMs,
      () =>
        `parsing 1 MB did not finish in ${Math.round(guardMs)} ms (the linear pass took ${mainBaseline.toFixed(1)} ms); the worker was stopped. Input: ${input.recipe}`,
    );
  };
  try {
    await fc.assert(
      fc.asyncProperty(options.inputs, async (input) => {
        const t = await time(input);
        tried++;
        const ratio = t.parseMs / t.baselineMs;
        if (ratio > worst.ratio) worst = { ratio, ...t };
        assert.ok(
          ratio <= maxRatio,
          `parsing took ${t.parseMs.toFixed(1)} ms, ${ratio.toFixed(1)}x the linear pass (${t.baselineMs.toFixed(1)} ms); allowed ${maxRatio}x. Input: ${input.recipe}`,
        );
      }),
      // Shrinking 1 MB inputs one at a time would take minutes: the first failure is reported as is.
      {
        numRuns: options.worstCases.length + options.generated,
        endOnFailure: true,
        examples: options.worstCases.map((w) => [w] as [Hostile]),
      },
    );
  } finally {
    await worker.terminate();
  }
  console.log(
    `      (worst of ${tried} inputs of 1 MB: parse ${worst.parseMs.toFixed(2)} ms, linear pass ${worst.baselineMs.toFixed(2)} ms, ratio ${worst.ratio.toFixed(2)})`,
  );
}
