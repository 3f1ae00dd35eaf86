// What the workbench shows, read from the real browser page by the code-server runner.
//
// The extension host cannot see the page (the panel's DOM, the Rolls view, notifications), so the
// runner that drives chromium answers queries through files, like the screenshot service: a test
// writes `<results>/screenshot-requests/<id>.query` (JSON: a CSS selector, which frames to look in,
// optionally "click" the first match); the runner answers `<id>.answer` with the matching elements
// as the browser laid them out (text, visibility, box, image sizes). Only with the code-server
// runner (CAMERA_TETHER_TEST_SCREENSHOTS=1): suites skip with the reason elsewhere.
import * as fs from 'fs';
import * as path from 'path';
import { randomUUID } from 'crypto';
import { SCREENSHOT_REQUESTS_DIR, screenshotServiceAvailable } from './screenshot';

export const QUERY_SUFFIX = '.query';
export const ANSWER_SUFFIX = '.answer';

/** `workbench`: the main page; `webviews`: the frames inside webviews (the Camera panel's page). */
export type QueryScope = 'workbench' | 'webviews';

export interface WorkbenchQuery {
  selector: string;
  scope: QueryScope;
  /** Click the first visible match (HTMLElement.click) before describing the matches. */
  click?: boolean;
  /**
   * Pick the option with this text in the first visible, enabled <select> match, as a user does
   * (the value changes, then a bubbling `change` event), before describing the matches.
   */
  choose?: string;
  /**
   * Click the first visible match at this point (fractions of its box, 0..1) with a dispatched
   * MouseEvent, so the page sees where (offsetX/offsetY): e.g. the film base on the picture.
   */
  clickAt?: { x: number; y: number };
}

export interface FoundElement {
  tag: string;
  id: string;
  className: string;
  /** innerText, at most 2000 characters. */
  text: string;
  /** Element.checkVisibility(): rendered, not display:none or in a hidden subtree. */
  visible: boolean;
  /** getBoundingClientRect in CSS pixels, relative to its frame's viewport. */
  box: { x: number; y: number; width: number; height: number };
  attributes: Record<string, string>;
  /** For <select>: the chosen option's text; for <input>: its value. */
  value?: string;
  /** For form controls: disabled. */
  disabled?: boolean;
  /** For <img>: the decoded image's size; for <canvas>: its bitmap size. */
  natural?: { width: number; height: number };
  devicePixelRatio: number;
  /** The frame's JavaScript heap in use (Chromium's performance.memory), when the browser tells. */
  jsHeapBytes?: number;
}

export function queryServiceAvailable(): boolean {
  return screenshotServiceAvailable();
}

/** Asks the runner for the elements matching `query` in the live page; rejects on an error or no answer. */
export async function queryWorkbench(query: WorkbenchQuery, timeoutMs = 20_000): Promise<FoundElement[]> {
  const results = process.env.CAMERA_TETHER_TEST_RESULTS;
  if (!queryServiceAvailable() || !results)
    throw new Error('no workbench query service: run the tests with `npm run test:extension` (code-server runner)');
  const requests = path.join(results, SCREENSHOT_REQUESTS_DIR);
  const id = `q-${randomUUID()}`;
  const request = path.join(requests, id + QUERY_SUFFIX);
  const answer = path.join(requests, id + ANSWER_SUFFIX);
  await fs.promises.mkdir(requests, { recursive: true });
  const staging = `${request}.${process.pid}.tmp`;
  await fs.promises.writeFile(staging, JSON.stringify(query));
  await fs.promises.rename(staging, request);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let text: string | undefined;
    try {
      text = await fs.promises.readFile(answer, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (text !== undefined) {
      await fs.promises.rm(answer, { force: true });
      const parsed = JSON.parse(text) as { ok: true; found: FoundElement[] } | { ok: false; error: string };
      if (!parsed.ok) throw new Error(`workbench query ${JSON.stringify(query)} failed: ${parsed.error}`);
      return parsed.found;
    }
    if (Date.now() >= deadline) {
      await fs.promises.rm(request, { force: true });
      throw new Error(`workbench query ${JSON.stringify(query)}: no answer from the runner within ${timeoutMs} ms`);
    }
    await new Promise<void>((resolve) => setTimeout(resolve, 50));
  }
}

/** Polls the page until `accept` returns a value for the matches (never a fixed sleep). */
export async function waitForWorkbench<T>(
  what: string,
  query: WorkbenchQuery,
  accept: (found: FoundElement[]) => T | undefined,
  // Generous: the page is slow to follow on a machine shared with other test runs.
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: FoundElement[] = [];
  for (;;) {
    last = await queryWorkbench(query);
    const value = accept(last);
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${what}; last seen for ${query.selector}: ${JSON.stringify(last.map((e) => ({ id: e.id, text: e.text.slice(0, 200), visible: e.visible, box: e.box })))}`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The function the runner evaluates in each frame (serialised by playwright, so self-contained).
 * Kept here so both sides agree on the shape of FoundElement.
 */
export function describeMatches(arg: {
  selector: string;
  click: boolean;
  choose?: string;
  clickAt?: { x: number; y: number };
}): FoundElement[] {
  const elements = Array.from(document.querySelectorAll<HTMLElement>(arg.selector));
  const visible = (e: HTMLElement) => e.checkVisibility({ checkOpacity: false, checkVisibilityCSS: true });
  if (arg.click) elements.find(visible)?.click();
  if (arg.choose !== undefined) {
    const select = elements.find(
      (e): e is HTMLSelectElement => e instanceof HTMLSelectElement && visible(e) && !e.disabled,
    );
    const option = select && Array.from(select.options).find((o) => o.text === arg.choose && !o.disabled);
    if (select && option) {
      select.value = option.value;
      select.dispatchEvent(new Event('change', { bubbles: true }));
    }
  }
  const at = arg.clickAt;
  const target = at ? elements.find(visible) : undefined;
  if (at && target) {
    const r = target.getBoundingClientRect();
    const point = { clientX: r.x + at.x * r.width, clientY: r.y + at.y * r.height };
    target.dispatchEvent(
      new MouseEvent('click', { bubbles: true, cancelable: true, detail: 1, view: window, ...point }),
    );
  }
  return elements.map((e) => {
    const r = e.getBoundingClientRect();
    const attributes: Record<string, string> = {};
    for (const a of Array.from(e.attributes)) if (a.name !== 'style') attributes[a.name] = a.value.slice(0, 500);
    const natural =
      e instanceof HTMLImageElement
        ? { width: e.naturalWidth, height: e.naturalHeight }
        : e instanceof HTMLCanvasElement
          ? { width: e.width, height: e.height }
          : undefined;
    return {
      tag: e.tagName.toLowerCase(),
      id: e.id,
      className: typeof e.className === 'string' ? e.className : '',
      text: (e.innerText ?? e.textContent ?? '').slice(0, 2000),
      visible: visible(e),
      box: { x: r.x, y: r.y, width: r.width, height: r.height },
      attributes,
      ...(e instanceof HTMLSelectElement ? { value: e.selectedOptions[0]?.text ?? '', disabled: e.disabled } : {}),
      ...(e instanceof HTMLInputElement ? { value: e.value, disabled: e.disabled } : {}),
      natural,
      devicePixelRatio: window.devicePixelRatio,
      jsHeapBytes: (performance as Performance & { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize,
    };
  });
}
