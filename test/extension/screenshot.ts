// Screenshots of the workbench from inside extension-host tests.
//
// The extension host cannot see the browser page, so the code-server runner offers a file-based
// service: a test writes `<results>/screenshot-requests/<name>.request`; the runner (polling about
// every 100 ms) saves `<results>/<name>.png` and answers with `<name>.done`, which holds `ok` or
// `error: <message>`. `<results>` is env CAMERA_TETHER_TEST_RESULTS. The request holds JSON; its
// optional `clip` ({x, y, width, height}) limits the picture to that part of the page, and
// `jpegQuality` makes it `<name>.jpg`. The runner sets
// CAMERA_TETHER_TEST_SCREENSHOTS=1 when the service runs (not under @vscode/test-electron).
import * as fs from 'fs';
import * as path from 'path';

export const SCREENSHOT_REQUESTS_DIR = 'screenshot-requests';
export const SCREENSHOT_SERVICE_ENV = 'CAMERA_TETHER_TEST_SCREENSHOTS';
export const REQUEST_SUFFIX = '.request';
export const DONE_SUFFIX = '.done';

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** Screenshot names become file names: letters, digits, `.`, `_`, `-`; no path separators. */
export function isValidScreenshotName(name: string): boolean {
  return NAME_PATTERN.test(name) && !name.endsWith(REQUEST_SUFFIX) && !name.endsWith(DONE_SUFFIX);
}

/** True when a runner that takes screenshots started this extension host. */
export function screenshotServiceAvailable(): boolean {
  return process.env[SCREENSHOT_SERVICE_ENV] === '1' && resultsDir() !== undefined;
}

function resultsDir(): string | undefined {
  const dir = process.env.CAMERA_TETHER_TEST_RESULTS;
  return dir === undefined || dir === '' ? undefined : dir;
}

export interface ScreenshotOptions {
  /** How long to wait for the runner, in ms (default 30 000). */
  readonly timeoutMs?: number;
  /** Only this part of the page, in CSS pixels (e.g. a box from workbenchQuery). */
  readonly clip?: { x: number; y: number; width: number; height: number };
  /** A JPEG of this quality (1-100), `<name>.jpg`, instead of a PNG: smaller, for pictures that ship. */
  readonly jpegQuality?: number;
}

/**
 * Asks the runner for a screenshot of the whole workbench and resolves with the PNG's path once
 * it is written. Rejects when the service is not available, the name is unusable, the runner
 * reports an error, or no answer comes before the deadline.
 */
export async function takeScreenshot(name: string, options: ScreenshotOptions = {}): Promise<string> {
  const results = resultsDir();
  if (!screenshotServiceAvailable() || results === undefined) {
    throw new Error('no screenshot service: run the tests with `npm run test:extension` (code-server runner)');
  }
  if (!isValidScreenshotName(name)) throw new Error(`unusable screenshot name "${name}"`);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const requests = path.join(results, SCREENSHOT_REQUESTS_DIR);
  const request = path.join(requests, name + REQUEST_SUFFIX);
  const done = path.join(requests, name + DONE_SUFFIX);
  await fs.promises.mkdir(requests, { recursive: true });
  await fs.promises.rm(done, { force: true });
  // Write-then-rename so the runner never sees a half-written request.
  const staging = `${request}.${process.pid}.tmp`;
  await fs.promises.writeFile(
    staging,
    JSON.stringify({ at: new Date().toISOString(), clip: options.clip, jpegQuality: options.jpegQuality }),
  );
  await fs.promises.rename(staging, request);

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let answer: string | undefined;
    try {
      answer = await fs.promises.readFile(done, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (answer !== undefined) {
      await fs.promises.rm(done, { force: true });
      const text = answer.trim();
      if (text !== 'ok') throw new Error(`screenshot "${name}" failed: ${text.replace(/^error:\s*/, '')}`);
      return path.join(results, `${name}.${options.jpegQuality ? 'jpg' : 'png'}`);
    }
    if (Date.now() >= deadline) {
      await fs.promises.rm(request, { force: true });
      throw new Error(`screenshot "${name}": no answer from the runner within ${timeoutMs} ms`);
    }
    await new Promise<void>((resolve) => setTimeout(resolve, 50));
  }
}
