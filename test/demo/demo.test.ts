// The demo as a person uses it: `npm run demo`, open the printed URL in a browser (headless
// chromium here), F1 → "Camera: Open Preview Panel", F1 → "Camera: Capture", see frame 1 in the
// panel, Ctrl-C, and nothing is left running. Also `--desktop`, with a stand-in `code` program.
// A stand-in `gphoto2` on PATH makes `gphoto2 --auto-detect` answer "no camera" (or one camera),
// so the run never touches a real camera plugged into the machine.
//
// The browser screenshot goes to test-results/demo-panel.png; with CAMERA_TETHER_UPDATE_SCREENSHOT=1
// it also replaces media/screenshot.png (the README's picture).
import * as assert from 'assert';
import { type ChildProcess, spawn, spawnSync } from 'child_process';
import { randomUUID } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CHROMIUM_ARGS, projectPaths } from '../extension/workspace';
import { chromiumPath, ensureTestHost } from '../host/ensure';
import { type Browser, type FrameLocator, type Page, loadPlaywright } from '../host/playwright';
import { markedProcesses, killMarked, portAnswers, waitUntil } from './processes';

const CHROMIUM = chromiumPath();
/** The first run installs the test host (code-server, playwright-core); a few minutes on a busy machine. */
const HOST_INSTALL_TIMEOUT_MS = 20 * 60_000;
const URL_LINE = /Camera Tether demo: (http:\/\/127\.0\.0\.1:(\d+)\/\S*)/;
const READY_TIMEOUT_MS = 180_000;
const UI_TIMEOUT_MS = 60_000;

const paths = projectPaths();
const ROOT = paths.root;

/** Runs npm the way the test itself was started (npm_execpath), else npm from PATH. */
function npmCommand(args: string[]): [string, string[]] {
  const npmCli = process.env.npm_execpath;
  if (npmCli !== undefined && /\.[cm]?js$/.test(npmCli)) return [process.execPath, [npmCli, ...args]];
  return ['npm', args];
}

function writeScript(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text, { mode: 0o755 });
}

/** Files under dir (relative paths), recursively. */
function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => fs.statSync(path.join(dir, f)).isFile());
}

interface Demo {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startDemo(args: string[], env: NodeJS.ProcessEnv): Demo {
  const [command, argv] = npmCommand(['run', 'demo', '--', ...args]);
  // Its own process group, like a terminal's foreground job: Ctrl-C goes to npm, sh and the demo.
  const child = spawn(command, argv, { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const chunks: string[] = [];
  child.stdout?.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
  child.stderr?.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  return { child, output: () => chunks.join(''), exited };
}

/** F1, type the command's title, check the palette picked exactly that command, Enter. */
async function runFromPalette(page: Page, title: string): Promise<void> {
  const deadline = Date.now() + UI_TIMEOUT_MS;
  for (;;) {
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
    await page.keyboard.type(title, { delay: 10 });
    // The list filters as you type; give it a moment, then read the entries. A recently used
    // command can stand above the exact match (e.g. "Open Preview Panel" above "Preview"): like
    // a person, go down to the right one.
    let picked = '';
    for (let i = 0; i < 20; i++) {
      await page.waitForTimeout(100);
      const rows = await page.locator('.quick-input-list .monaco-list-row').evaluateAll((els) =>
        els.map((e) => ({
          label: (e.getAttribute('aria-label') ?? '').split(',')[0] ?? '',
          focused: e.classList.contains('focused'),
        })),
      );
      const focused = rows.findIndex((r) => r.focused);
      const wanted = rows.findIndex((r) => r.label === title);
      picked = rows[focused]?.label ?? '';
      if (focused < 0 || wanted < 0) continue;
      for (let step = focused; step < wanted; step++) await page.keyboard.press('ArrowDown');
      for (let step = wanted; step < focused; step++) await page.keyboard.press('ArrowUp');
      picked =
        (await page.locator('.quick-input-list .monaco-list-row.focused').first().getAttribute('aria-label'))?.split(
          ',',
        )[0] ?? '';
      if (picked === title) break;
    }
    if (picked === title) {
      await page.keyboard.press('Enter');
      return;
    }
    // The extension's commands are not listed yet (extension host still starting): close and retry.
    await page.keyboard.press('Escape');
    if (Date.now() > deadline)
      throw new Error(`the command palette never offered "${title}" (last highlighted: "${picked}")`);
    await page.waitForTimeout(500);
  }
}

/** The Camera panel's content: a webview (outer iframe) holding the page in #active-frame. */
function cameraPanel(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
}

describe('npm run demo', function () {
  let tmp = '';
  let fakeBin = '';
  const marker = `CAMERA_TETHER_DEMO_TEST=${randomUUID()}`;
  const [markerKey, markerValue] = marker.split('=') as [string, string];
  let demo: Demo | undefined;
  let browser: Browser | undefined;

  before(async function () {
    this.timeout(HOST_INSTALL_TIMEOUT_MS);
    await ensureTestHost(ROOT);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'camera-tether-demo-test-'));
    fakeBin = path.join(tmp, 'bin');
    // gphoto2 2.5's --auto-detect table; a camera row only when CAMERA_TETHER_FAKE_CAMERA is set.
    writeScript(
      path.join(fakeBin, 'gphoto2'),
      '#!/bin/sh\n' +
        'echo "Model                          Port            "\n' +
        'echo "----------------------------------------------------------"\n' +
        '[ -n "$CAMERA_TETHER_FAKE_CAMERA" ] && echo "$CAMERA_TETHER_FAKE_CAMERA"\n' +
        'exit 0\n',
    );
  });

  after(async function () {
    this.timeout(30_000);
    if (browser) await browser.close().catch(() => undefined);
    if (demo && demo.child.exitCode === null && demo.child.signalCode === null && demo.child.pid !== undefined) {
      try {
        process.kill(-demo.child.pid, 'SIGINT');
      } catch {
        // Gone already.
      }
      await Promise.race([demo.exited, new Promise((resolve) => setTimeout(resolve, 15_000))]);
      try {
        process.kill(-demo.child.pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
    await killMarked(marker);
    if (tmp !== '') fs.rmSync(tmp, { recursive: true, force: true, maxRetries: 3 });
  });

  it('serves the packaged extension in code-server: Camera: Capture from the command palette shows frame 1 in the Camera panel, Ctrl-C stops everything', async function () {
    this.timeout(READY_TIMEOUT_MS + 4 * UI_TIMEOUT_MS);
    assert.ok(fs.existsSync(CHROMIUM), `no browser at ${CHROMIUM} (apt-get install -y chromium)`);
    const dir = path.join(tmp, 'demo');
    const started = Date.now();
    demo = startDemo(['--dir', dir, '--port', '0'], {
      ...process.env,
      PATH: `${fakeBin}${path.delimiter}${process.env.PATH ?? ''}`,
      [markerKey]: markerValue,
    });
    const running = demo;

    // 1. It packages, installs and starts, then prints the URL.
    const ready = await waitUntil(
      () => URL_LINE.test(running.output()) || running.child.exitCode !== null,
      READY_TIMEOUT_MS,
      100,
    );
    const match = URL_LINE.exec(running.output());
    assert.ok(
      ready && match,
      `the demo printed no URL${running.child.exitCode !== null ? ` and exited with ${running.child.exitCode}` : ''}; its output:\n${running.output()}`,
    );
    const [, url, portText] = match;
    const port = Number(portText);
    console.log(`      demo ready in ${((Date.now() - started) / 1000).toFixed(1)} s (npm run demo to URL)`);
    assert.match(running.output(), /camera: the bundled simulator \(`gphoto2 --auto-detect` found no camera\)/);
    const vsix = /packaged (\S+\.vsix) \(([\d.]+) KB\)/.exec(running.output());
    assert.ok(vsix, 'the demo did not report the packaged .vsix');
    console.log(`      ${vsix[1]}: ${vsix[2]} KB`);
    const installed = fs
      .readdirSync(path.join(dir, 'extensions'))
      .find((d) => d.startsWith('camera-tether.camera-tether-'));
    assert.ok(installed, 'the .vsix is not installed in the demo extensions folder');
    const shipped = filesUnder(path.join(dir, 'extensions', installed));
    for (const needed of [
      'package.json',
      'dist/extension.js',
      'dist/simulator.js',
      'dist/webview/panel.js',
      'media/panel.css',
      'media/icon.png',
    ]) {
      assert.ok(shipped.includes(needed), `the installed extension lacks ${needed}; it has ${shipped.join(', ')}`);
    }
    const unwanted = shipped.filter(
      (f) => /\.(ts|map)$/.test(f) || f.startsWith('src/') || f.startsWith('test/') || f.startsWith('node_modules/'),
    );
    assert.deepStrictEqual(unwanted, [], 'the .vsix ships sources, maps or node_modules');
    const settings: unknown = JSON.parse(
      fs.readFileSync(path.join(dir, 'workspace', '.vscode', 'settings.json'), 'utf8'),
    );
    assert.deepStrictEqual(settings, { 'cameraTether.source': 'simulator' });

    // 2. A person opens the URL, opens the panel and captures from the command palette.
    const { chromium } = loadPlaywright(ROOT);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [...CHROMIUM_ARGS],
      timeout: UI_TIMEOUT_MS,
    });
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    const response = await page.goto(url, { waitUntil: 'domcontentloaded', timeout: UI_TIMEOUT_MS });
    assert.ok(response?.ok(), `the demo URL answered HTTP ${response?.status()}`);
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });

    await runFromPalette(page, 'Camera: Open Preview Panel');
    const panel = cameraPanel(page);
    await panel.locator('#next-frame').filter({ hasText: /^1$/ }).waitFor({ timeout: UI_TIMEOUT_MS });

    await runFromPalette(page, 'Camera: Capture');
    const lastName = panel.locator('#last-name');
    await lastName.filter({ hasText: /^Frame 1: / }).waitFor({ timeout: UI_TIMEOUT_MS });
    assert.match((await lastName.textContent()) ?? '', /^Frame 1: frame-0001\.jpe?g/i);
    await panel.locator('#next-frame').filter({ hasText: /^2$/ }).waitFor({ timeout: UI_TIMEOUT_MS });
    const captures = filesUnder(path.join(dir, 'workspace', 'captures')).filter((f) =>
      /(^|\/)frame-0001\.\w+$/.test(f),
    );
    assert.strictEqual(
      captures.length,
      1,
      `expected one frame-0001 file in the workspace's captures, found: ${captures.join(', ') || 'none'}`,
    );

    // A preview fills the panel for the README's picture.
    await runFromPalette(page, 'Camera: Preview');
    await panel.locator('#frame').waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
    await panel
      .locator('#status')
      .filter({ hasText: /^Idle/ })
      .waitFor({ timeout: UI_TIMEOUT_MS })
      .catch(() => undefined);
    fs.mkdirSync(paths.results, { recursive: true });
    const shot = path.join(paths.results, 'demo-panel.png');
    await page.screenshot({ path: shot });
    if (process.env.CAMERA_TETHER_UPDATE_SCREENSHOT === '1')
      fs.copyFileSync(shot, path.join(ROOT, 'media', 'screenshot.png'));
    await browser.close();
    browser = undefined;

    // 3. Ctrl-C (SIGINT to the whole foreground job) stops it, and nothing it started is left.
    assert.ok(running.child.pid !== undefined);
    const stopping = Date.now();
    process.kill(-running.child.pid, 'SIGINT');
    const exit = await Promise.race([
      running.exited,
      new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 30_000)),
    ]);
    assert.notStrictEqual(
      exit,
      'timeout',
      `the demo did not stop within 30 s of Ctrl-C; its output:\n${running.output()}`,
    );
    console.log(`      stopped ${((Date.now() - stopping) / 1000).toFixed(1)} s after Ctrl-C`);
    assert.match(running.output(), /stopped code-server and everything it started/);
    const left = markedProcesses(marker);
    assert.deepStrictEqual(
      left,
      [],
      `processes left after Ctrl-C:\n${left.map((p) => `${p.pid} ${p.command}`).join('\n')}`,
    );
    assert.strictEqual(await portAnswers(port), false, `something still listens on port ${port}`);
    assert.ok(!fs.existsSync(path.join(dir, 'demo.pid')), 'demo.pid was not removed');
  });

  /** Runs the compiled demo directly (the build is already there) with PATH set as given. */
  function runDemoDirect(args: string[], env: NodeJS.ProcessEnv): { status: number | null; output: string } {
    const result = spawnSync(process.execPath, [path.join(ROOT, 'out', 'test', 'demo', 'demo.js'), ...args], {
      cwd: ROOT,
      env,
      encoding: 'utf8',
      timeout: 60_000,
    });
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
  }

  it('--desktop opens `code` with the extension under development on the demo workspace, and picks the real camera when gphoto2 sees one', function () {
    this.timeout(90_000);
    const desktopBin = path.join(tmp, 'desktop-bin');
    const argsFile = path.join(tmp, 'code-args.txt');
    writeScript(path.join(desktopBin, 'code'), '#!/bin/sh\nprintf "%s\\n" "$@" > "$CAMERA_TETHER_FAKE_CODE_ARGS"\n');
    const dir = path.join(tmp, 'desktop');
    const env = {
      ...process.env,
      PATH: [desktopBin, fakeBin, process.env.PATH ?? ''].join(path.delimiter),
      CAMERA_TETHER_FAKE_CODE_ARGS: argsFile,
      [markerKey]: markerValue,
    };
    const first = runDemoDirect(['--desktop', '--dir', dir], env);
    assert.strictEqual(first.status, 0, first.output);
    assert.deepStrictEqual(fs.readFileSync(argsFile, 'utf8').trimEnd().split('\n'), [
      '--new-window',
      `--extensionDevelopmentPath=${ROOT}`,
      path.join(dir, 'workspace'),
    ]);
    const settingsFile = path.join(dir, 'workspace', '.vscode', 'settings.json');
    assert.deepStrictEqual(JSON.parse(fs.readFileSync(settingsFile, 'utf8')), { 'cameraTether.source': 'simulator' });

    // A camera plugged in: the workspace switches to gphoto2 and keeps the settings you added.
    fs.writeFileSync(
      settingsFile,
      JSON.stringify({ 'cameraTether.source': 'simulator', 'cameraTether.keepOnCamera': true }),
    );
    const second = runDemoDirect(['--desktop', '--dir', dir], {
      ...env,
      CAMERA_TETHER_FAKE_CAMERA: 'Nikon DSC D750                 usb:001,004',
    });
    assert.strictEqual(second.status, 0, second.output);
    assert.match(
      second.output,
      /the real camera through gphoto2 \(`gphoto2 --auto-detect` found Nikon DSC D750 on usb:001,004\)/,
    );
    assert.deepStrictEqual(JSON.parse(fs.readFileSync(settingsFile, 'utf8')), {
      'cameraTether.source': 'gphoto2',
      'cameraTether.keepOnCamera': true,
    });
  });

  it('--desktop without `code` on PATH says what to install and exits 1', function () {
    this.timeout(60_000);
    const hasCode = (dir: string): boolean => fs.existsSync(path.join(dir, 'code'));
    const pathWithoutCode = [
      fakeBin,
      ...(process.env.PATH ?? '').split(path.delimiter).filter((d) => d !== '' && !hasCode(d)),
    ].join(path.delimiter);
    const result = runDemoDirect(['--desktop', '--dir', path.join(tmp, 'no-code')], {
      ...process.env,
      PATH: pathWithoutCode,
      [markerKey]: markerValue,
    });
    assert.strictEqual(result.status, 1, result.output);
    assert.match(result.output, /--desktop needs desktop VS Code's `code` command on PATH/);
    assert.ok(
      !fs.existsSync(path.join(tmp, 'no-code', 'workspace')),
      'it prepared a workspace although it could not open it',
    );
  });
});
