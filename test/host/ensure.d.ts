// Types for ensure.js (plain Node so it runs before anything is built; the runners import it and
// esbuild bundles it).

/** A failure to report as it is: its message names what is missing and how to get it. */
export class TestHostError extends Error {}

export interface EnsureOptions {
  /** Re-install even when the installed host is up to date. */
  readonly force?: boolean;
  /** Also check that the browser the tests drive is there (env CAMERA_TETHER_TEST_CHROMIUM, default /usr/bin/chromium). */
  readonly browser?: boolean;
  /** Where progress lines other than the install line go (default console.log). */
  readonly say?: (line: string) => void;
}

export interface TestHost {
  /** The host folder: <project>/.vscode-test/host. */
  readonly dir: string;
  /** Whether this call installed it. */
  readonly installed: boolean;
}

/** Where the test host is installed for the project at `root`. */
export function testHostDir(root: string): string;

/** A require() that resolves from the installed test host (code-server, playwright-core). */
export function testHostRequire(root: string): NodeJS.Require;

/** code-server's server entry point in the installed host; throws TestHostError when it is not installed. */
export function codeServerEntry(root: string): string;

/** The browser the tests drive: env CAMERA_TETHER_TEST_CHROMIUM, default /usr/bin/chromium. */
export function chromiumPath(): string;

/** Installs the test host into .vscode-test/host when missing or stale; rejects with a TestHostError saying what is missing. */
export function ensureTestHost(root: string, options?: EnsureOptions): Promise<TestHost>;
