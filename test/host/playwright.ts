// playwright-core lives in the test host (.vscode-test/host, installed on first use by ensure.js),
// not in the project's node_modules, so the typecheck cannot import its types. These are the few
// APIs the runners use, written as a subset of playwright-core's own declarations:
// `npm run typecheck:host` (part of `npm test` once the host is installed) checks that the
// installed playwright-core still satisfies them (test/host/playwright-compat.mts).
import { TestHostError, testHostDir, testHostRequire } from './ensure';

export interface LaunchOptions {
  executablePath?: string;
  headless?: boolean;
  args?: string[];
  timeout?: number;
  handleSIGINT?: boolean;
  handleSIGTERM?: boolean;
  handleSIGHUP?: boolean;
}

export interface BrowserType {
  launch(options?: LaunchOptions): Promise<Browser>;
}

export interface Browser {
  close(): Promise<void>;
  newContext(options?: { viewport?: { width: number; height: number } | null }): Promise<BrowserContext>;
  on(event: 'disconnected', listener: () => void): this;
}

export interface BrowserContext {
  newPage(): Promise<Page>;
}

export interface ConsoleMessage {
  type(): string;
  text(): string;
  location(): { url: string; lineNumber: number; columnNumber: number };
}

export interface Response {
  ok(): boolean;
  status(): number;
}

export interface Keyboard {
  press(key: string, options?: { delay?: number }): Promise<void>;
  type(text: string, options?: { delay?: number }): Promise<void>;
}

export interface Locator {
  waitFor(options?: { state?: 'attached' | 'detached' | 'visible' | 'hidden'; timeout?: number }): Promise<void>;
  evaluateAll<R>(pageFunction: (elements: (SVGElement | HTMLElement)[]) => R | Promise<R>): Promise<R>;
  filter(options?: { hasText?: string | RegExp }): Locator;
  first(): Locator;
  getAttribute(name: string, options?: { timeout?: number }): Promise<string | null>;
  textContent(options?: { timeout?: number }): Promise<string | null>;
}

export interface FrameLocator {
  frameLocator(selector: string): FrameLocator;
  locator(selector: string): Locator;
}

export interface Frame {
  url(): string;
  evaluate<R, Arg>(pageFunction: (arg: Arg) => R | Promise<R>, arg: Arg): Promise<R>;
}

export interface Page {
  readonly keyboard: Keyboard;
  frames(): Frame[];
  mainFrame(): Frame;
  goto(
    url: string,
    options?: { waitUntil?: 'load' | 'domcontentloaded' | 'networkidle' | 'commit'; timeout?: number },
  ): Promise<Response | null>;
  exposeFunction(name: string, callback: (...args: never[]) => unknown): Promise<unknown>;
  screenshot(options?: {
    path?: string;
    timeout?: number;
    clip?: { x: number; y: number; width: number; height: number };
    type?: 'png' | 'jpeg';
    quality?: number;
  }): Promise<Buffer>;
  locator(selector: string): Locator;
  frameLocator(selector: string): FrameLocator;
  waitForTimeout(timeout: number): Promise<void>;
  on(event: 'console', listener: (message: ConsoleMessage) => void): this;
  on(event: 'pageerror', listener: (error: Error) => void): this;
  on(event: 'crash' | 'close', listener: () => void): this;
}

/** What the runners take from playwright-core. */
export interface Playwright {
  readonly chromium: BrowserType;
}

/** Loads playwright-core from the installed test host of the project at `root` (see ensure.js). */
export function loadPlaywright(root: string): Playwright {
  let loaded: unknown;
  try {
    loaded = testHostRequire(root)('playwright-core');
  } catch (err) {
    throw new TestHostError(
      `playwright-core is not installed in ${testHostDir(root)} (${err instanceof Error ? err.message.split('\n')[0] : String(err)}): run \`node test/host/ensure.js\``,
    );
  }
  if (typeof loaded !== 'object' || loaded === null || !('chromium' in loaded)) {
    throw new TestHostError(
      `${testHostDir(root)}/node_modules/playwright-core has no chromium export: run \`node test/host/ensure.js --force\``,
    );
  }
  return loaded as Playwright;
}
