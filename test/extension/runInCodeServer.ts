// Runs the extension-host tests in a real VS Code extension host without downloading VS Code:
// code-server serves the workbench, headless Debian chromium (driven by playwright-core) opens it
// with a payload that makes the workbench load the extension under development and run
// out/test/extension/index.js. The workbench reports back through
// `codeAutomationLog` (the extension host's console) and `codeAutomationExit` (the result).
// See /work/shared/vscode-extension-tests-offline.md for the facts this relies on. code-server and
// playwright-core are the test host, installed on first use into .vscode-test/host (test/host/ensure.js).
//
// Environment:
//   CAMERA_TETHER_*                    passed through to the extension host
//   CAMERA_TETHER_TEST_SETTINGS        JSON object merged into the workspace settings
//   CAMERA_TETHER_TEST_RESULTS         results/screenshot folder (default <project>/test-results)
//   CAMERA_TETHER_TEST_TIMEOUT         overall time limit in seconds (default 600)
//   CAMERA_TETHER_TEST_START_TIMEOUT   limit for code-server and chromium to start, seconds (default 60)
//   CAMERA_TETHER_TEST_CHROMIUM        browser executable (default /usr/bin/chromium)
//   CAMERA_TETHER_TEST_VERBOSE=1       echo code-server's own output and all browser console lines
//   CAMERA_TETHER_TEST_KEEP_TEMP=1     keep the temp folder (user data, workspace) for inspection
//   CAMERA_TETHER_TEST_EXTENSION_DIR   test another extension folder than the project (a stand-in)
import { type ChildProcess, spawn } from 'child_process';
import { randomUUID } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { format } from 'util';
import { TestHostError, chromiumPath, codeServerEntry, ensureTestHost } from '../host/ensure';
import { type Browser, type Page, loadPlaywright } from '../host/playwright';
import {
  DONE_SUFFIX,
  REQUEST_SUFFIX,
  SCREENSHOT_REQUESTS_DIR,
  SCREENSHOT_SERVICE_ENV,
  isValidScreenshotName,
} from './screenshot';
import { ANSWER_SUFFIX, QUERY_SUFFIX, describeMatches, type FoundElement, type WorkbenchQuery } from './workbenchQuery';
import {
  SetupError,
  assertBuilt,
  createWorkspace,
  makeTempRoot,
  projectPaths,
  removeTempRoot,
  CHROMIUM_ARGS,
  codeServerArgs,
  QUIET_USER_SETTINGS,
  secondsFromEnv,
  testEnv,
  workspaceSettings,
} from './workspace';
import { freePort, killGroup, killMarked, markedProcesses } from '../demo/processes';

const LISTENING = /HTTP server listening on/;
/** code-server's line when an extension host process ends (normally only after the result). */
const EXTENSION_HOST_EXIT = /Extension Host Process exited (with .*?)\.?$/;
/** The summary line the test index prints (test/extension/index.ts). */
const SUMMARY = /^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?$/;
/** How long the workbench gets to report a result after its extension host died. */
const HOST_EXIT_GRACE_MS = 10_000;
const SCREENSHOT_POLL_MS = 100;
const OUTPUT_TAIL_LINES = 60;

const verbose = process.env.CAMERA_TETHER_TEST_VERBOSE === '1';

/** A failure with the exit code the runner should end with. */
class RunFailure extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

function log(message: string): void {
  console.log(`[runner] ${message}`);
}

function errorText(err: unknown): string {
  if (err instanceof RunFailure || err instanceof SetupError || err instanceof TestHostError) return err.message;
  if (err instanceof Error) return err.stack ?? err.message;
  return String(err);
}

// --- aborting: timeouts, signals and crashes all end the wait through one rejection -------------

let rejectRun: (err: RunFailure) => void = () => undefined;
let abortedWith: RunFailure | undefined;
const aborted = new Promise<never>((_resolve, reject) => {
  rejectRun = reject;
});

/** Ends the run with a failure; later failures (e.g. during cleanup) are only logged. */
function abortRun(err: RunFailure): void {
  if (abortedWith === undefined) {
    abortedWith = err;
    rejectRun(err);
  } else if (err !== abortedWith) {
    log(`(after the run was stopped) ${err.message}`);
  }
}
aborted.catch(() => undefined); // Observed through Promise.race; never an unhandled rejection.

function raceAbort<T>(promise: Promise<T>): Promise<T> {
  return Promise.race([promise, aborted]);
}

// --- processes -----------------------------------------------------------------------------------

/** Keeps the last lines a process printed, for error messages. */
class OutputTail {
  private readonly lines: string[] = [];
  private partial = '';

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: Buffer): void {
    const parts = (this.partial + chunk.toString('utf8')).split(/\r?\n/);
    this.partial = parts.pop() ?? '';
    for (const line of parts) this.add(line);
  }

  flush(): void {
    if (this.partial !== '') this.add(this.partial);
    this.partial = '';
  }

  text(): string {
    return this.lines.join('\n');
  }

  private add(line: string): void {
    this.lines.push(line);
    if (this.lines.length > OUTPUT_TAIL_LINES) this.lines.shift();
    this.onLine(line);
  }
}

interface CodeServer {
  readonly child: ChildProcess;
  readonly port: number;
  readonly output: OutputTail;
  /** Resolves with a description when the process exits. */
  readonly exited: Promise<string>;
}

/** Ends code-server's whole process group (the server, its extension host and their children). */
async function endGroup(pgid: number): Promise<void> {
  if (!(await killGroup(pgid))) log(`warning: process group ${pgid} still exists after SIGKILL`);
}

/** Kills processes of this run that left code-server's process group (e.g. spawned detached). */
async function sweepStragglers(marker: string): Promise<void> {
  const killed = await killMarked(marker);
  for (const { pid, command } of killed)
    log(`warning: killed leftover process ${pid} started during the run: ${command.slice(0, 200)}`);
  if (markedProcesses(marker).length > 0) log('warning: some leftover processes did not exit');
}

function codeServerEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    // VSCODE_* (e.g. from a VS Code terminal) would make code-server talk to another instance.
    if (key.startsWith('VSCODE_') || key.startsWith('CODE_SERVER_') || key === 'ELECTRON_RUN_AS_NODE') continue;
    if (key === 'PASSWORD' || key === 'HASHED_PASSWORD' || key === 'PORT') continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

async function startCodeServer(
  entry: string,
  dirs: RunDirs,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<CodeServer> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const args = codeServerArgs(entry, dirs, port);
    const started = Date.now();
    const child = spawn(process.execPath, args, {
      cwd: dirs.root,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output = new OutputTail((line) => {
      if (verbose) console.log(`[code-server] ${line}`);
      const hostExit = EXTENSION_HOST_EXIT.exec(line);
      if (hostExit) reportHostExit(hostExit[1] ?? line);
    });
    child.stdout?.on('data', (chunk: Buffer) => output.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk));
    const exited = new Promise<string>((resolve) => {
      child.on('error', (err) => resolve(`could not start: ${err.message}`));
      child.on('exit', (code, signal) => {
        output.flush();
        resolve(signal ? `killed by ${signal}` : `exited with code ${String(code)}`);
      });
    });
    codeServerGroup = child.pid;

    const listening = new Promise<void>((resolve) => {
      const check = (chunk: Buffer): void => {
        if (LISTENING.test(output.text()) || LISTENING.test(chunk.toString('utf8'))) resolve();
      };
      child.stdout?.on('data', check);
      child.stderr?.on('data', check);
    });
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const outcome = await raceAbort(
      Promise.race([listening.then(() => 'listening' as const), exited.then((how) => ({ how })), deadline]),
    ).finally(() => clearTimeout(timer));

    if (outcome === 'listening') {
      log(`code-server listening on 127.0.0.1:${port} (${Date.now() - started} ms)`);
      return { child, port, output, exited };
    }
    if (outcome === 'timeout') {
      throw new RunFailure(
        `code-server did not report "HTTP server listening" within ${timeoutMs / 1000} s; its last output:\n${output.text()}`,
      );
    }
    if (child.pid !== undefined) await endGroup(child.pid);
    if (/EADDRINUSE/.test(output.text()) && attempt < 3) {
      log(`port ${port} was taken, retrying`);
      continue;
    }
    throw new RunFailure(`code-server ${outcome.how} before listening; its last output:\n${output.text() || '(none)'}`);
  }
}

/** A runtime folder as XDG specifies it: owned by this user, mode 0700. */
function privateRuntimeFolder(parent: string): string {
  const dir = path.join(parent, 'runtime');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
  return dir;
}

// --- run state, cleanup -----------------------------------------------------------------------

interface RunDirs {
  readonly root: string;
  readonly config: string;
  readonly userData: string;
  readonly extensions: string;
  readonly xdg: string;
}

/** code-server's process group while it may still hold processes. */
let codeServerGroup: number | undefined;
let currentBrowser: Browser | undefined;
let tempRoot: string | undefined;
let screenshotTimer: NodeJS.Timeout | undefined;
let stopping = false;
const runMarker = `CAMERA_TETHER_TEST_RUN_ID=${randomUUID()}`;

async function closeBrowser(browser: Browser): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const closed = await Promise.race([
    browser.close().then(
      () => true,
      () => true,
    ),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), 10_000);
    }),
  ]);
  clearTimeout(timer);
  if (!closed) log('warning: chromium did not close within 10 s (playwright kills it on exit)');
}

async function cleanup(): Promise<void> {
  const started = Date.now();
  const step = (what: string): void => {
    if (verbose) log(`cleanup: ${what} after ${Date.now() - started} ms`);
  };
  stopping = true;
  if (screenshotTimer) clearTimeout(screenshotTimer);
  screenshotTimer = undefined;
  const browser = currentBrowser;
  currentBrowser = undefined;
  if (browser) await closeBrowser(browser);
  step('chromium closed');
  if (codeServerGroup !== undefined) await endGroup(codeServerGroup);
  codeServerGroup = undefined;
  step('code-server stopped');
  await sweepStragglers(runMarker);
  if (tempRoot) removeTempRoot(tempRoot);
  tempRoot = undefined;
  step('done');
}

/** Last resort on a hard exit: nothing asynchronous runs any more, so kill without waiting. */
process.on('exit', () => {
  if (codeServerGroup !== undefined) {
    try {
      process.kill(-codeServerGroup, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
});

let reportHostExit: (how: string) => void = () => undefined;
const hostExited = new Promise<string>((resolve) => {
  reportHostExit = resolve;
});

let signalled = 0;
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
  ['SIGHUP', 129],
] as const) {
  process.on(signal, () => {
    signalled++;
    if (signalled > 1) {
      log(`${signal} again: exiting now`);
      process.exit(code);
    }
    log(`${signal}: stopping`);
    abortRun(new RunFailure(`interrupted by ${signal}`, code));
  });
}
process.on('unhandledRejection', (reason) => {
  abortRun(new RunFailure(`internal error (unhandled rejection): ${errorText(reason)}`));
});
process.on('uncaughtException', (err) => {
  abortRun(new RunFailure(`internal error: ${errorText(err)}`));
});

// --- screenshots ----------------------------------------------------------------------------

function writeAtomically(file: string, text: string): void {
  const staging = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(staging, text);
  fs.renameSync(staging, file);
}

function clearScreenshotRequests(requests: string): void {
  fs.mkdirSync(requests, { recursive: true });
  for (const file of fs.readdirSync(requests)) fs.rmSync(path.join(requests, file), { force: true });
}

function startScreenshotService(page: Page, results: string): void {
  const requests = path.join(results, SCREENSHOT_REQUESTS_DIR);
  const serve = async (): Promise<void> => {
    let files: string[] = [];
    let queries: string[] = [];
    try {
      const all = fs.readdirSync(requests);
      files = all.filter((f) => f.endsWith(REQUEST_SUFFIX));
      queries = all.filter((f) => f.endsWith(QUERY_SUFFIX));
    } catch {
      fs.mkdirSync(requests, { recursive: true });
    }
    for (const file of queries) {
      if (stopping) return;
      const id = file.slice(0, -QUERY_SUFFIX.length);
      writeAtomically(
        path.join(requests, id + ANSWER_SUFFIX),
        JSON.stringify(await answerQuery(page, path.join(requests, file))),
      );
      fs.rmSync(path.join(requests, file), { force: true });
    }
    for (const file of files) {
      if (stopping) return;
      const name = file.slice(0, -REQUEST_SUFFIX.length);
      const done = path.join(requests, name + DONE_SUFFIX);
      let answer = 'ok';
      if (!isValidScreenshotName(name)) {
        answer = `error: unusable screenshot name "${name}"`;
      } else {
        try {
          const { clip, jpeg } = requestedShot(path.join(requests, file));
          const target = path.join(results, `${name}.${jpeg ? 'jpg' : 'png'}`);
          await page.screenshot({
            path: target,
            timeout: 20_000,
            clip,
            ...(jpeg ? { type: 'jpeg' as const, quality: jpeg.quality } : {}),
          });
          log(`screenshot ${target}`);
        } catch (err) {
          answer = `error: ${err instanceof Error ? err.message : String(err)}`;
          log(`screenshot ${name} failed: ${answer}`);
        }
      }
      writeAtomically(done, `${answer}\n`);
      fs.rmSync(path.join(requests, file), { force: true });
    }
  };
  const tick = (): void => {
    serve()
      .catch((err: unknown) => log(`screenshot service error: ${errorText(err)}`))
      .finally(() => {
        if (!stopping) screenshotTimer = setTimeout(tick, SCREENSHOT_POLL_MS);
      });
  };
  screenshotTimer = setTimeout(tick, SCREENSHOT_POLL_MS);
}

/**
 * What a screenshot request asks for (JSON): `clip` ({x, y, width, height}) for part of the page,
 * `jpegQuality` (1-100) for a JPEG instead of a PNG. An unreadable request means the whole page as PNG.
 */
function requestedShot(file: string): {
  clip?: { x: number; y: number; width: number; height: number };
  jpeg?: { quality: number };
} {
  let request: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
    request = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {}; // an older request: a timestamp, not JSON
  }
  const out: ReturnType<typeof requestedShot> = {};
  const clip = request.clip;
  if (typeof clip === 'object' && clip !== null) {
    const { x, y, width, height } = clip as Record<string, unknown>;
    if ([x, y, width, height].every((v) => typeof v === 'number' && Number.isFinite(v) && v >= 0))
      out.clip = { x: x as number, y: y as number, width: width as number, height: height as number };
  }
  const q = request.jpegQuality;
  if (typeof q === 'number' && Number.isInteger(q) && q >= 1 && q <= 100) out.jpeg = { quality: q };
  return out;
}

/** Answers a workbench query (see workbenchQuery.ts) from the live page: the main frame or the webviews' frames. */
async function answerQuery(
  page: Page,
  file: string,
): Promise<{ ok: true; found: FoundElement[] } | { ok: false; error: string }> {
  try {
    const query = JSON.parse(fs.readFileSync(file, 'utf8')) as WorkbenchQuery;
    if (typeof query.selector !== 'string' || (query.scope !== 'workbench' && query.scope !== 'webviews'))
      return { ok: false, error: 'a query needs a selector and a scope ("workbench" or "webviews")' };
    const main = page.mainFrame();
    const frames = query.scope === 'workbench' ? [main] : page.frames().filter((f) => f !== main);
    const found: FoundElement[] = [];
    let click = query.click === true;
    let choose = typeof query.choose === 'string' ? query.choose : undefined;
    const at = query.clickAt;
    let clickAt =
      at && typeof at.x === 'number' && typeof at.y === 'number' ? { x: Number(at.x), y: Number(at.y) } : undefined;
    for (const frame of frames) {
      // A frame may be navigating or gone (a closed webview): it has nothing to show then.
      const matches = await frame
        .evaluate(describeMatches, {
          selector: query.selector,
          click,
          ...(choose !== undefined ? { choose } : {}),
          ...(clickAt ? { clickAt } : {}),
        })
        .catch((): FoundElement[] => []);
      if (click && matches.some((m) => m.visible)) click = false;
      if (choose !== undefined && matches.some((m) => m.visible && m.tag === 'select' && !m.disabled))
        choose = undefined;
      if (clickAt && matches.some((m) => m.visible)) clickAt = undefined;
      found.push(...matches);
    }
    return { ok: true, found };
  } catch (err) {
    return { ok: false, error: errorText(err) };
  }
}

let lastHostExit: string | undefined;
void hostExited.then((how) => {
  lastHostExit = how;
});

function extensionHostExitSeen(): string | undefined {
  return lastHostExit === undefined ? undefined : `the extension host process exited (${lastHostExit})`;
}

// --- the workbench's reports ------------------------------------------------------------------

/** The workbench's own info lines that arrive through codeAutomationLog with the extension host's console. */
const WORKBENCH_CHATTER =
  /^(Resolving connection token|Resolved connection token|Creating a socket \(renderer-|Ignoring fetching additional builtin extensions|\[Service Worker\]|ChatSessionStore: |Updating additional builtin extensions cache)/;

/** Browser console errors that are expected with code-server: vsda (Microsoft's signing module) is not shipped. */
const BENIGN_BROWSER_ERROR_URL = /\/static\/node_modules\/vsda\//;

/** Error texts already printed: the workbench reports one error on several channels. */
const printedErrors = new Set<string>();

/** Prints an error once, without the browser console's `%c` styling. */
function printError(prefix: string, text: string, where?: string): void {
  const plain = text
    .replace(/%c/g, '')
    .replace(/\bcolor:\s*#[0-9a-fA-F]{3,8};?/g, '')
    .replace(/^\s*ERR\s+/, '')
    .trim();
  if (printedErrors.has(plain)) return;
  printedErrors.add(plain);
  console.log(`${prefix} ${plain}${where ? ` (at ${where})` : ''}`);
}

/** The console arguments as the extension host's console would print them (printf-style formats). */
function formatLogArgs(args: unknown): string {
  const parts: unknown[] = Array.isArray(args) ? args : [args];
  return format(...parts);
}

/** Saves the logs the workbench hands over with its exit (renderer, extension host, server). */
function saveWorkbenchLogs(logs: unknown, dir: string): void {
  if (!Array.isArray(logs)) return;
  fs.rmSync(dir, { recursive: true, force: true });
  for (const entry of logs) {
    if (typeof entry !== 'object' || entry === null) continue;
    const { relativePath, contents } = entry as { relativePath?: unknown; contents?: unknown };
    if (typeof relativePath !== 'string' || typeof contents !== 'string') continue;
    const target = path.resolve(dir, relativePath);
    if (!target.startsWith(dir + path.sep)) continue;
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, contents);
  }
}

// --- main -------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const paths = projectPaths();
  assertBuilt(paths);
  // Before the overall time limit starts: the first run installs the test host.
  await raceAbort(ensureTestHost(paths.root, { browser: true }));
  const started = Date.now();
  const overallMs = secondsFromEnv('CAMERA_TETHER_TEST_TIMEOUT', 600);
  const startMs = secondsFromEnv('CAMERA_TETHER_TEST_START_TIMEOUT', 60);
  const overallTimer = setTimeout(
    () =>
      abortRun(
        new RunFailure(`overall timeout: the run took longer than ${overallMs / 1000} s (CAMERA_TETHER_TEST_TIMEOUT)`),
      ),
    overallMs,
  );

  try {
    const entry = codeServerEntry(paths.root);
    const { chromium } = loadPlaywright(paths.root);

    tempRoot = makeTempRoot('camera-tether-code-server-');
    const dirs: RunDirs = {
      root: tempRoot,
      config: path.join(tempRoot, 'config.yaml'),
      userData: path.join(tempRoot, 'user-data'),
      extensions: path.join(tempRoot, 'extensions'),
      xdg: path.join(tempRoot, 'xdg'),
    };
    for (const dir of [dirs.userData, dirs.extensions, dirs.xdg]) fs.mkdirSync(dir, { recursive: true });
    fs.mkdirSync(path.join(dirs.userData, 'User'), { recursive: true });
    fs.writeFileSync(path.join(dirs.userData, 'User', 'settings.json'), JSON.stringify(QUIET_USER_SETTINGS, null, 2));
    const settings = workspaceSettings();
    const workspace = createWorkspace(tempRoot, settings);
    fs.mkdirSync(paths.results, { recursive: true });
    clearScreenshotRequests(path.join(paths.results, SCREENSHOT_REQUESTS_DIR));
    log(`workspace ${workspace} with settings ${JSON.stringify(settings)}`);

    const [markerKey, markerValue] = runMarker.split('=') as [string, string];
    const env = codeServerEnv({
      EXTENSIONS_GALLERY: JSON.stringify({ serviceUrl: '' }),
      XDG_DATA_HOME: path.join(dirs.xdg, 'data'),
      XDG_CONFIG_HOME: path.join(dirs.xdg, 'config'),
      XDG_CACHE_HOME: path.join(dirs.xdg, 'cache'),
      XDG_STATE_HOME: path.join(dirs.xdg, 'state'),
      // The camera lock and the simulator's state live in `$XDG_RUNTIME_DIR/camera-tether`: a folder
      // of this run's own, so test runs of other checkouts on the machine never share the lock or the
      // simulator's config.json (each run is one VS Code window of its own user, as the lock expects).
      XDG_RUNTIME_DIR: privateRuntimeFolder(dirs.xdg),
      ...testEnv(workspace, paths.results, { [SCREENSHOT_SERVICE_ENV]: '1', [markerKey]: markerValue }),
    });
    const server = await startCodeServer(entry, dirs, env, startMs);
    void server.exited.then((how) => {
      if (!stopping)
        abortRun(new RunFailure(`code-server ${how} during the run; its last output:\n${server.output.text()}`));
    });

    const browser = await raceAbort(
      chromium.launch({
        executablePath: chromiumPath(),
        headless: true,
        args: [...CHROMIUM_ARGS],
        timeout: startMs,
        handleSIGINT: false,
        handleSIGTERM: false,
        handleSIGHUP: false,
      }),
    );
    currentBrowser = browser;
    browser.on('disconnected', () => {
      if (!stopping) abortRun(new RunFailure('chromium disconnected (crashed or was killed) during the run'));
    });
    const context = await raceAbort(browser.newContext({ viewport: { width: 1280, height: 800 } }));
    const page = await raceAbort(context.newPage());

    let reportExit: (code: number) => void = () => undefined;
    const exitCode = new Promise<number>((resolve) => {
      reportExit = resolve;
    });
    let summary: { passed: number; failed: number } | undefined;
    await page.exposeFunction('codeAutomationLog', (type: unknown, args: unknown) => {
      const text = formatLogArgs(args);
      const counts = SUMMARY.exec(text.trim());
      if (counts) summary = { passed: Number(counts[1]), failed: Number(counts[2]) };
      if (type === 'error') printError('[error]', text);
      else if (type === 'warn' || type === 'warning') console.log(`[warning] ${text}`);
      else if (verbose || !WORKBENCH_CHATTER.test(text)) console.log(text);
    });
    await page.exposeFunction('codeAutomationExit', (code: unknown, logs: unknown) => {
      try {
        saveWorkbenchLogs(logs, path.join(paths.results, 'workbench-logs'));
      } catch (err) {
        log(`could not save the workbench logs: ${errorText(err)}`);
      }
      reportExit(typeof code === 'number' ? code : 1);
    });
    page.on('console', (message) => {
      const type = message.type();
      const where = message.location().url;
      if (type === 'error' && (verbose || !BENIGN_BROWSER_ERROR_URL.test(where))) {
        printError('[browser error]', message.text(), where);
      } else if (verbose) {
        console.log(`[browser ${type}] ${message.text()}`);
      }
    });
    page.on('pageerror', (err) => console.log(`[browser exception] ${err.stack ?? err.message}`));
    page.on('crash', () => abortRun(new RunFailure('the workbench page crashed')));
    page.on('close', () => {
      if (!stopping) abortRun(new RunFailure('the workbench page closed before the tests reported a result'));
    });
    startScreenshotService(page, paths.results);

    const origin = `127.0.0.1:${server.port}`;
    const remote = (file: string): string =>
      `vscode-remote://${origin}${file.split('/').map(encodeURIComponent).join('/')}`;
    const payload = [
      ['extensionDevelopmentPath', remote(paths.extension)],
      ['extensionTestsPath', remote(paths.testIndex)],
      ['skipWelcome', 'true'],
    ];
    const url = `http://${origin}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
    log('opening the workbench');
    const response = await raceAbort(page.goto(url, { waitUntil: 'domcontentloaded', timeout: startMs }));
    if (response && !response.ok()) throw new RunFailure(`the workbench page answered HTTP ${response.status()}`);

    // A dying extension host makes the workbench report too (with 0!): give it a moment, then judge.
    const hostGone = hostExited.then(async (how) => {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        timer = setTimeout(resolve, HOST_EXIT_GRACE_MS);
        void exitCode.then(() => resolve());
      });
      clearTimeout(timer);
      throw new RunFailure(`the extension host process exited (${how}) before the tests reported a result`);
    });
    let code = await raceAbort(Promise.race([exitCode, hostGone]));
    if (summary === undefined) {
      throw new RunFailure(
        `the workbench ended the run with code ${code} but the test index never printed its summary: ` +
          (extensionHostExitSeen() ?? 'the tests did not run or the extension host died (see the errors above)'),
      );
    }
    if (code === 0 && summary.failed > 0) code = 1;
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    log(
      code === 0
        ? `extension tests passed in ${seconds} s`
        : `extension tests FAILED (exit code ${code}) after ${seconds} s; workbench logs in ${path.join(paths.results, 'workbench-logs')}`,
    );
    return code;
  } finally {
    clearTimeout(overallTimer);
  }
}

main()
  .catch((err: unknown) => {
    log(`FAILED: ${errorText(err)}`);
    return err instanceof RunFailure ? err.exitCode : 1;
  })
  .then(async (code) => {
    try {
      await cleanup();
    } catch (err) {
      log(`cleanup failed: ${errorText(err)}`);
    }
    process.exit(code);
  });
