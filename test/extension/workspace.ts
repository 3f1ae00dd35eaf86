// Shared by both extension-host runners (code-server and @vscode/test-electron): the project
// layout, the temp workspace the tests open, and the environment handed to the extension host.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** A problem with the run's set-up (build output, environment variables): its message says it all. */
export class SetupError extends Error {}

/**
 * The workspace settings every extension-host run starts with: the camera simulator, never real
 * hardware; one gphoto2 per command, because the suites change the simulated camera between jobs
 * (its config file, read when a simulator starts) and a long-lived session would keep the old
 * camera. The load suite runs in both connection modes; the unit and integration suites run the
 * session mode against the same fault matrix.
 */
export const BASE_SETTINGS: Readonly<Record<string, unknown>> = {
  'cameraTether.source': 'simulator',
  'cameraTether.connection': 'perCommand',
};

export interface ProjectPaths {
  /** The project folder (holds package.json, out/, node_modules/). */
  readonly root: string;
  /** The extension under test: the project, or env CAMERA_TETHER_TEST_EXTENSION_DIR (a stand-in extension). */
  readonly extension: string;
  /** The compiled test index (`out/test/extension/index.js`). */
  readonly testIndex: string;
  /** Where screenshots and other test artefacts go (env CAMERA_TETHER_TEST_RESULTS). */
  readonly results: string;
}

/** Finds the project from this compiled file (`out/test/extension/*.js`) by walking up to its package.json. */
export function projectPaths(fromDir: string = __dirname): ProjectPaths {
  let dir = fromDir;
  for (;;) {
    const pkgFile = path.join(dir, 'package.json');
    if (fs.existsSync(pkgFile) && packageName(pkgFile) === 'camera-tether') break;
    const parent = path.dirname(dir);
    if (parent === dir) throw new SetupError(`cannot find the camera-tether package.json above ${fromDir}`);
    dir = parent;
  }
  const results = path.resolve(process.env.CAMERA_TETHER_TEST_RESULTS ?? path.join(dir, 'test-results'));
  const extension = path.resolve(process.env.CAMERA_TETHER_TEST_EXTENSION_DIR ?? dir);
  return { root: dir, extension, testIndex: path.join(dir, 'out', 'test', 'extension', 'index.js'), results };
}

function packageField(pkgFile: string, field: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(fs.readFileSync(pkgFile, 'utf8'));
    if (typeof parsed === 'object' && parsed !== null) {
      const value: unknown = (parsed as Record<string, unknown>)[field];
      if (typeof value === 'string') return value;
    }
  } catch {
    // Not a readable package.json.
  }
  return undefined;
}

function packageName(pkgFile: string): string | undefined {
  return packageField(pkgFile, 'name');
}

/** The extension's entry file from its package.json `main`, with `.js` added when it is left out. */
function extensionMain(extensionDir: string): string {
  const main = packageField(path.join(extensionDir, 'package.json'), 'main') ?? 'dist/extension.js';
  const file = path.resolve(extensionDir, main);
  return path.extname(file) === '' ? `${file}.js` : file;
}

/** Checks the build outputs a run needs, with a message that says how to make them. */
export function assertBuilt(paths: ProjectPaths): void {
  const missing: string[] = [];
  const main = extensionMain(paths.extension);
  if (!fs.existsSync(main)) missing.push(`${path.relative(paths.root, main) || main} (run \`node esbuild.js\`)`);
  if (!fs.existsSync(paths.testIndex)) missing.push('out/test/extension/index.js (run `node esbuild.js --tests`)');
  if (missing.length > 0) throw new SetupError(`missing build output: ${missing.join(', ')}`);
}

/** The workspace settings for a run: BASE_SETTINGS plus the JSON object in env CAMERA_TETHER_TEST_SETTINGS. */
export function workspaceSettings(env: NodeJS.ProcessEnv = process.env): Record<string, unknown> {
  const extra = env.CAMERA_TETHER_TEST_SETTINGS;
  if (extra === undefined || extra.trim() === '') return { ...BASE_SETTINGS };
  let parsed: unknown;
  try {
    parsed = JSON.parse(extra);
  } catch (err) {
    throw new SetupError(`CAMERA_TETHER_TEST_SETTINGS is not valid JSON: ${String(err)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SetupError('CAMERA_TETHER_TEST_SETTINGS must be a JSON object of settings');
  }
  return { ...BASE_SETTINGS, ...(parsed as Record<string, unknown>) };
}

/** Creates `<parent>/workspace` with `.vscode/settings.json` and returns its path. */
export function createWorkspace(parent: string, settings: Record<string, unknown>): string {
  const workspace = path.join(parent, 'workspace');
  fs.mkdirSync(path.join(workspace, '.vscode'), { recursive: true });
  fs.writeFileSync(path.join(workspace, '.vscode', 'settings.json'), `${JSON.stringify(settings, null, 2)}\n`);
  return workspace;
}

/** A fresh temp folder for one run. */
export function makeTempRoot(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Removes a run's temp folder unless CAMERA_TETHER_TEST_KEEP_TEMP is set (then says where it is). */
export function removeTempRoot(dir: string): void {
  if (process.env.CAMERA_TETHER_TEST_KEEP_TEMP) {
    console.log(`[runner] kept temp folder ${dir}`);
    return;
  }
  try {
    fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  } catch (err) {
    console.error(`[runner] could not remove ${dir}: ${String(err)}`);
  }
}

/**
 * The variables the extension host gets on top of the inherited ones: every CAMERA_TETHER_* of
 * this process (tests point the extension at the simulator this way), the workspace and results paths.
 */
export function testEnv(
  workspace: string,
  results: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('CAMERA_TETHER_') && value !== undefined) env[key] = value;
  }
  env.CAMERA_TETHER_TEST_WORKSPACE = workspace;
  env.CAMERA_TETHER_TEST_RESULTS = results;
  return { ...env, ...extra };
}

/** Reads a positive number of seconds from the environment, in milliseconds. */
export function secondsFromEnv(name: string, defaultSeconds: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return defaultSeconds * 1000;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new SetupError(`${name} must be a positive number of seconds, got "${raw}"`);
  return value * 1000;
}

/** Headless Chromium on this offline machine: no sandbox as root, no background connections. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** User settings that keep a code-server workbench quiet and offline. */
export const QUIET_USER_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.enableExperiments': false,
  'workbench.tips.enabled': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'git.enabled': false,
  'npm.autoDetect': 'off',
} as const;

/**
 * Writes code-server's own config and returns its argv (after node): loopback only, no auth, private
 * folders, nothing that phones home. `extra` (e.g. the folder to open) goes last.
 */
export function codeServerArgs(
  entry: string,
  dirs: { config: string; userData: string; extensions: string },
  port: number,
  extra: string[] = [],
): string[] {
  fs.writeFileSync(dirs.config, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  return [
    entry,
    '--config',
    dirs.config,
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--auth',
    'none',
    '--user-data-dir',
    dirs.userData,
    '--extensions-dir',
    dirs.extensions,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--ignore-last-opened',
    '--disable-getting-started-override',
    ...extra,
  ];
}
