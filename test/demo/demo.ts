// `npm run demo`: try Camera Tether with no VS Code and no camera installed. It packages the
// extension (`npm run package`), installs the .vsix into a private code-server extensions folder,
// starts code-server (VS Code in the browser, from the test host that test/host/ensure.js installs
// into .vscode-test/host on first use) on 127.0.0.1 with a demo workspace,
// and prints the URL. The workspace uses the real camera through gphoto2 when `gphoto2
// --auto-detect` finds one, else the bundled simulator. Ctrl-C stops everything it started.
// `npm run demo -- --desktop` opens desktop VS Code (`code` on PATH) with the extension under
// development on the same workspace instead.
//
// Everything lives in one folder (default <project>/.demo, git-ignored): the workspace (captures
// land in workspace/captures), code-server's user data, extensions, config and log.
import { type ChildProcess, execFile, spawn } from 'child_process';
import { randomUUID } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseAutoDetect } from '../../src/camera/gphoto2';
import { codeServerArgs, projectPaths, QUIET_USER_SETTINGS } from '../extension/workspace';
import { TestHostError, codeServerEntry, ensureTestHost } from '../host/ensure';
import { freePort, groupAlive, killGroup, killMarked, portIsFree, sleep } from './processes';

const DEFAULT_PORT = 8080;

const USAGE = `Usage: npm run demo [-- options]

Packages Camera Tether, starts VS Code in the browser (code-server) on 127.0.0.1 with the .vsix
installed and a demo workspace, and prints the URL to open. Ctrl-C stops it.

Options:
  --desktop            open desktop VS Code (\`code\` on PATH) with the extension under development instead
  --source <s>         auto (default: the real camera when \`gphoto2 --auto-detect\` finds one, else
                       the simulator), simulator, or gphoto2
  --port <n>           port for code-server (default ${DEFAULT_PORT}, or a free one when that is taken; 0: any free port)
  --dir <folder>       where the workspace, user data and extensions live (default <project>/.demo)
  --verbose            echo code-server's output (always written to <dir>/code-server.log)
  --help               this text`;
const START_TIMEOUT_MS = 90_000;
const DETECT_TIMEOUT_MS = 15_000;
/** A second Ctrl-C this long after the first one forces the stop (the first one from npm arrives twice). */
const FORCE_AFTER_MS = 3_000;
/** The variable every process started by this demo carries, to find strays at the end. */
const MARKER_KEY = 'CAMERA_TETHER_DEMO_ID';

type Source = 'auto' | 'simulator' | 'gphoto2';

interface Options {
  desktop: boolean;
  source: Source;
  /** undefined: DEFAULT_PORT or a free one. */
  port: number | undefined;
  dir: string | undefined;
  verbose: boolean;
}

/** A problem to report in one line, without a stack. */
class DemoError extends Error {}

const startedAt = Date.now();

function say(message: string): void {
  console.log(`[demo] ${message}`);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function parseOptions(argv: readonly string[]): Options | 'help' {
  const options: Options = { desktop: false, source: 'auto', port: undefined, dir: undefined, verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const [name, inline] =
      arg.startsWith('--') && arg.includes('=')
        ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
        : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new DemoError(`${name} needs a value\n\n${USAGE}`);
      return v;
    };
    switch (name) {
      case '--help':
      case '-h':
        return 'help';
      case '--desktop':
        options.desktop = true;
        break;
      case '--verbose':
        options.verbose = true;
        break;
      case '--source': {
        const v = value();
        if (v !== 'auto' && v !== 'simulator' && v !== 'gphoto2')
          throw new DemoError(`--source must be auto, simulator or gphoto2, not "${v}"`);
        options.source = v;
        break;
      }
      case '--port': {
        const v = value();
        const port = Number(v);
        if (!Number.isInteger(port) || port < 0 || port > 65535)
          throw new DemoError(`--port must be a port number (0 for any free port), not "${v}"`);
        options.port = port;
        break;
      }
      case '--dir':
        options.dir = path.resolve(value());
        break;
      default:
        throw new DemoError(`unknown option "${arg}"\n\n${USAGE}`);
    }
  }
  return options;
}

// --- the camera: real when gphoto2 sees one, else simulated ---------------------------------------

interface SourceChoice {
  source: 'simulator' | 'gphoto2';
  why: string;
}

function runAutoDetect(): Promise<{ ok: true; stdout: string } | { ok: false; why: string }> {
  return new Promise((resolve) => {
    execFile(
      'gphoto2',
      ['--auto-detect'],
      { timeout: DETECT_TIMEOUT_MS, killSignal: 'SIGKILL', encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (!err) {
          resolve({ ok: true, stdout });
          return;
        }
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') resolve({ ok: false, why: 'gphoto2 is not installed (not on PATH)' });
        else if (err.killed)
          resolve({ ok: false, why: `gphoto2 --auto-detect did not answer within ${DETECT_TIMEOUT_MS / 1000} s` });
        else
          resolve({
            ok: false,
            why: `gphoto2 --auto-detect failed: ${(stderr || err.message).trim().split('\n')[0] ?? ''}`,
          });
      },
    );
  });
}

async function chooseSource(wanted: Source): Promise<SourceChoice> {
  if (wanted === 'simulator') return { source: 'simulator', why: '--source simulator' };
  if (wanted === 'gphoto2') return { source: 'gphoto2', why: '--source gphoto2' };
  const detected = await runAutoDetect();
  if (!detected.ok) return { source: 'simulator', why: detected.why };
  let cameras: { model: string; port: string }[];
  try {
    cameras = parseAutoDetect(detected.stdout);
  } catch (err) {
    return { source: 'simulator', why: err instanceof Error ? err.message : String(err) };
  }
  if (cameras.length === 0) return { source: 'simulator', why: '`gphoto2 --auto-detect` found no camera' };
  const list = cameras.map((c) => `${c.model} on ${c.port}`).join(', ');
  return { source: 'gphoto2', why: `\`gphoto2 --auto-detect\` found ${list}` };
}

// --- the demo folder ---------------------------------------------------------------------------

interface DemoDirs {
  readonly root: string;
  readonly workspace: string;
  readonly userData: string;
  readonly extensions: string;
  readonly xdg: string;
  readonly config: string;
  readonly log: string;
  readonly simulatorHome: string;
  readonly pidFile: string;
}

function demoDirs(root: string): DemoDirs {
  return {
    root,
    workspace: path.join(root, 'workspace'),
    userData: path.join(root, 'user-data'),
    extensions: path.join(root, 'extensions'),
    xdg: path.join(root, 'xdg'),
    config: path.join(root, 'code-server.yaml'),
    log: path.join(root, 'code-server.log'),
    simulatorHome: path.join(root, 'simulator'),
    pidFile: path.join(root, 'demo.pid'),
  };
}

function readJsonObject(file: string): Record<string, unknown> | undefined {
  if (!fs.existsSync(file)) return {};
  try {
    const parsed: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
  } catch {
    // Not plain JSON (comments?): the caller decides.
  }
  return undefined;
}

function writeJson(file: string, value: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

/** The workspace's settings keep whatever you changed; only `cameraTether.source` is set each run. */
function prepareWorkspace(dirs: DemoDirs, source: 'simulator' | 'gphoto2'): void {
  const file = path.join(dirs.workspace, '.vscode', 'settings.json');
  let settings = readJsonObject(file);
  if (settings === undefined) {
    fs.copyFileSync(file, `${file}.bak`);
    say(`${file} is not plain JSON: saved it as settings.json.bak and started a new one`);
    settings = {};
  }
  writeJson(file, { ...settings, 'cameraTether.source': source });
}

/** One demo per folder: a second one would reinstall the extension under the first one's feet. */
function claimDemoDir(dirs: DemoDirs): void {
  fs.mkdirSync(dirs.root, { recursive: true });
  try {
    const [pidText, url] = fs.readFileSync(dirs.pidFile, 'utf8').split('\n');
    const pid = Number(pidText);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid) {
      process.kill(pid, 0);
      throw new DemoError(
        `a demo (pid ${pid}) is already running from ${dirs.root}${url ? ` at ${url}` : ''}; stop it first or use --dir`,
      );
    }
  } catch (err) {
    if (err instanceof DemoError) throw err;
    // No pid file, or its process is gone.
  }
  fs.writeFileSync(dirs.pidFile, `${process.pid}\n`);
  claimed = dirs;
}

function releaseDemoDir(dirs: DemoDirs): void {
  try {
    if (Number(fs.readFileSync(dirs.pidFile, 'utf8').split('\n')[0]) === process.pid)
      fs.rmSync(dirs.pidFile, { force: true });
  } catch {
    // Already gone.
  }
}

// --- building and packaging ----------------------------------------------------------------------

function run(
  command: string,
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: 'inherit' });
    child.once('error', (err) => reject(new DemoError(`could not run ${command}: ${err.message}`)));
    child.once('exit', (code, signal) => {
      if (code === 0) resolve();
      else
        reject(
          new DemoError(
            `${[path.basename(command), ...args].join(' ')} ${signal ? `was killed by ${signal}` : `exited with code ${String(code)}`}`,
          ),
        );
    });
  });
}

/** `npm run package` with the npm that started us (npm_execpath), else npm from PATH. */
async function packageExtension(root: string): Promise<void> {
  const npmCli = process.env.npm_execpath;
  if (npmCli !== undefined && /\.[cm]?js$/.test(npmCli)) await run(process.execPath, [npmCli, 'run', 'package'], root);
  else await run(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', 'package'], root);
}

function packageInfo(root: string): { name: string; version: string; publisher: string } {
  const pkg = readJsonObject(path.join(root, 'package.json')) ?? {};
  const field = (k: string): string => (typeof pkg[k] === 'string' ? (pkg[k] as string) : '');
  return { name: field('name'), version: field('version'), publisher: field('publisher') };
}

// --- code-server ---------------------------------------------------------------------------------

function codeServerEnv(dirs: DemoDirs, marker: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    // VSCODE_* (e.g. from a VS Code terminal) would make code-server talk to another instance.
    if (key.startsWith('VSCODE_') || key.startsWith('CODE_SERVER_') || key === 'ELECTRON_RUN_AS_NODE') continue;
    if (key === 'PASSWORD' || key === 'HASHED_PASSWORD' || key === 'PORT') continue;
    env[key] = value;
  }
  return {
    ...env,
    EXTENSIONS_GALLERY: JSON.stringify({ serviceUrl: '' }),
    XDG_DATA_HOME: path.join(dirs.xdg, 'data'),
    XDG_CONFIG_HOME: path.join(dirs.xdg, 'config'),
    XDG_CACHE_HOME: path.join(dirs.xdg, 'cache'),
    XDG_STATE_HOME: path.join(dirs.xdg, 'state'),
    // The simulator's camera state and USB claim, apart from the tests' and other demos'.
    CAMERA_TETHER_SIM_HOME: dirs.simulatorHome,
    [MARKER_KEY]: marker,
  };
}

async function installVsix(entry: string, vsix: string, dirs: DemoDirs, env: NodeJS.ProcessEnv): Promise<void> {
  const args = [
    entry,
    '--user-data-dir',
    dirs.userData,
    '--extensions-dir',
    dirs.extensions,
    '--install-extension',
    vsix,
    '--force',
  ];
  const output: string[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: dirs.root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (c: Buffer) => output.push(c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => output.push(c.toString('utf8')));
    child.once('error', reject);
    child.once('exit', (c) => resolve(c));
  });
  const text = output.join('');
  if (code !== 0 || !/successfully installed/i.test(text)) {
    throw new DemoError(
      `code-server could not install ${path.basename(vsix)} (exit code ${String(code)}):\n${text.trim()}`,
    );
  }
}

async function choosePort(wanted: number | undefined): Promise<number> {
  if (wanted === 0) return freePort();
  if (wanted !== undefined) {
    if (!(await portIsFree(wanted)))
      throw new DemoError(`port ${wanted} is taken on 127.0.0.1; pick another with --port (0: any free port)`);
    return wanted;
  }
  if (await portIsFree(DEFAULT_PORT)) return DEFAULT_PORT;
  const port = await freePort();
  say(`port ${DEFAULT_PORT} is taken, using ${port}`);
  return port;
}

interface Running {
  readonly child: ChildProcess;
  readonly exited: Promise<string>;
  readonly tail: () => string;
}

async function startCodeServer(
  entry: string,
  dirs: DemoDirs,
  port: number,
  env: NodeJS.ProcessEnv,
  verbose: boolean,
): Promise<Running> {
  const args = codeServerArgs(entry, dirs, port, [dirs.workspace]);
  const log = fs.createWriteStream(dirs.log);
  const lines: string[] = [];
  // Its own process group (detached): the extension host and the camera processes are in it, and
  // Ctrl-C in the terminal reaches only us, so we stop it in order and wait until it is gone.
  const child = spawn(process.execPath, args, {
    cwd: dirs.root,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let partial = '';
  let listening: () => void = () => undefined;
  const listens = new Promise<void>((resolve) => {
    listening = resolve;
  });
  const onData = (chunk: Buffer): void => {
    log.write(chunk);
    const parts = (partial + chunk.toString('utf8')).split(/\r?\n/);
    partial = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      if (lines.length > 40) lines.shift();
      if (verbose) console.log(`[code-server] ${line}`);
      if (/HTTP server listening on/.test(line)) listening();
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<string>((resolve) => {
    child.once('error', (err) => resolve(`could not start: ${err.message}`));
    child.once('exit', (code, signal) => {
      log.end();
      resolve(signal ? `was killed by ${signal}` : `exited with code ${String(code)}`);
    });
  });
  const running: Running = { child, exited, tail: () => [...lines, partial].join('\n').trim() };
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    listens.then(() => 'listening' as const),
    exited,
    new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), START_TIMEOUT_MS);
    }),
  ]);
  clearTimeout(timer);
  if (outcome === 'listening') return running;
  if (child.pid !== undefined) await killGroup(child.pid);
  const why = outcome === 'timeout' ? `did not start listening within ${START_TIMEOUT_MS / 1000} s` : outcome;
  throw new DemoError(`code-server ${why}; its last output (all of it in ${dirs.log}):\n${running.tail() || '(none)'}`);
}

// --- stopping ------------------------------------------------------------------------------------

let serverGroup: number | undefined;
let stopRequested: (signal: NodeJS.Signals) => void = () => undefined;
const stopSignal = new Promise<NodeJS.Signals>((resolve) => {
  stopRequested = resolve;
});
let firstSignalAt: number | undefined;
let marker = '';
/** The demo folder this run holds (its demo.pid), released on every way out. */
let claimed: DemoDirs | undefined;

async function forceStop(code: number): Promise<never> {
  if (serverGroup !== undefined) {
    try {
      process.kill(-serverGroup, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  if (marker !== '') await killMarked(marker);
  process.exit(code);
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    const now = Date.now();
    if (firstSignalAt === undefined) {
      firstSignalAt = now;
      stopRequested(signal);
    } else if (now - firstSignalAt > FORCE_AFTER_MS) {
      say(`${signal} again: killing everything now`);
      void forceStop(130);
    }
  });
}

/** Last resort when we exit some other way: nothing asynchronous runs any more, so just kill. */
process.on('exit', () => {
  if (serverGroup !== undefined && groupAlive(serverGroup)) {
    try {
      process.kill(-serverGroup, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
});

async function stopServer(dirs: DemoDirs): Promise<void> {
  const stopping = Date.now();
  if (serverGroup !== undefined) {
    const gone = await killGroup(serverGroup);
    if (!gone) say(`warning: code-server's process group ${serverGroup} is still there after SIGKILL`);
  }
  serverGroup = undefined;
  const strays = await killMarked(marker);
  for (const s of strays) say(`stopped a leftover process ${s.pid}: ${s.command.slice(0, 160)}`);
  releaseDemoDir(dirs);
  say(`stopped code-server and everything it started (${seconds(Date.now() - stopping)})`);
}

// --- the two modes -------------------------------------------------------------------------------

/** `code` (or `code.cmd`) on PATH, or undefined. */
function findOnPath(program: string): string | undefined {
  const names = process.platform === 'win32' ? [`${program}.cmd`, `${program}.exe`] : [program];
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    for (const name of names) {
      const candidate = path.join(dir, name);
      try {
        fs.accessSync(candidate, fs.constants.X_OK);
        if (fs.statSync(candidate).isFile()) return candidate;
      } catch {
        // Not here.
      }
    }
  }
  return undefined;
}

async function desktop(root: string, dirs: DemoDirs, options: Options): Promise<number> {
  const code = findOnPath('code');
  if (code === undefined) {
    throw new DemoError(
      "--desktop needs desktop VS Code's `code` command on PATH, and there is none. Install VS Code " +
        '(https://code.visualstudio.com) and its shell command (macOS: in VS Code, F1 → "Shell Command: Install ' +
        "'code' command in PATH\"), or run `npm run demo` without --desktop for VS Code in the browser.",
    );
  }
  const main = path.join(root, 'dist', 'extension.js');
  if (!fs.existsSync(main)) throw new DemoError(`${main} is missing: run \`npm run build\` (npm run demo does)`);
  fs.mkdirSync(dirs.root, { recursive: true });
  const choice = await chooseSource(options.source);
  prepareWorkspace(dirs, choice.source);
  say(
    `camera: ${choice.source === 'simulator' ? 'the bundled simulator' : 'the real camera through gphoto2'} (${choice.why})`,
  );
  say(`opening ${code} with the extension under development (${root}) on ${dirs.workspace}`);
  await run(code, ['--new-window', `--extensionDevelopmentPath=${root}`, dirs.workspace], root);
  say(
    'VS Code is open: F1 → "Camera: Open Preview Panel", then "Camera: Capture". Captures land in ' +
      path.join(dirs.workspace, 'captures'),
  );
  return 0;
}

async function browser(root: string, dirs: DemoDirs, options: Options): Promise<number> {
  await ensureTestHost(root);
  const entry = codeServerEntry(root);
  claimDemoDir(dirs);
  const port = await choosePort(options.port);
  const { name, version } = packageInfo(root);
  const vsix = path.join(root, `${name}-${version}.vsix`);

  const packagingStarted = Date.now();
  say('packaging the extension (npm run package)');
  fs.rmSync(vsix, { force: true });
  await packageExtension(root);
  if (!fs.existsSync(vsix)) throw new DemoError(`npm run package did not make ${vsix}`);
  say(
    `packaged ${path.basename(vsix)} (${(fs.statSync(vsix).size / 1024).toFixed(1)} KB) in ${seconds(Date.now() - packagingStarted)}`,
  );

  const serverStarted = Date.now();
  const choice = await chooseSource(options.source);
  prepareWorkspace(dirs, choice.source);
  say(
    `camera: ${choice.source === 'simulator' ? 'the bundled simulator' : 'the real camera through gphoto2'} (${choice.why})`,
  );
  for (const dir of [dirs.userData, dirs.extensions, dirs.xdg, dirs.simulatorHome])
    fs.mkdirSync(dir, { recursive: true });
  const userSettings = path.join(dirs.userData, 'User', 'settings.json');
  if (!fs.existsSync(userSettings)) writeJson(userSettings, QUIET_USER_SETTINGS);

  marker = `${MARKER_KEY}=${randomUUID()}`;
  const env = codeServerEnv(dirs, marker.slice(MARKER_KEY.length + 1));
  await installVsix(entry, vsix, dirs, env);
  say(`installed it into ${dirs.extensions}`);
  if (firstSignalAt !== undefined) return 0;

  const server = await startCodeServer(entry, dirs, port, env, options.verbose);
  serverGroup = server.child.pid;
  const url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(dirs.workspace).replace(/%2F/g, '/')}`;
  fs.writeFileSync(dirs.pidFile, `${process.pid}\n${url}\n`);
  if (firstSignalAt !== undefined) {
    await stopServer(dirs);
    return 0;
  }
  say(
    `code-server is up in ${seconds(Date.now() - serverStarted)} (${seconds(Date.now() - startedAt)} in all); its log: ${dirs.log}`,
  );
  console.log('');
  console.log(`  Camera Tether demo: ${url}`);
  console.log('');
  console.log('  Open it in a browser, then F1 → "Camera: Open Preview Panel" and F1 → "Camera: Capture"');
  console.log(`  (or Ctrl+Alt+Space). Captures land in ${path.join(dirs.workspace, 'captures')}.`);
  console.log('  Press Ctrl-C here to stop.');
  console.log('');

  const outcome = await Promise.race([
    stopSignal.then((signal) => ({ signal })),
    server.exited.then((how) => ({ how })),
  ]);
  if ('signal' in outcome) {
    say(`${outcome.signal}: stopping`);
    await stopServer(dirs);
    return 0;
  }
  say(`code-server ${outcome.how} by itself; its last output (all of it in ${dirs.log}):\n${server.tail()}`);
  await stopServer(dirs);
  return 1;
}

async function main(): Promise<number> {
  const parsed = parseOptions(process.argv.slice(2));
  if (parsed === 'help') {
    console.log(USAGE);
    return 0;
  }
  const root = projectPaths().root;
  const dirs = demoDirs(parsed.dir ?? path.join(root, '.demo'));
  if (os.platform() === 'win32' && !parsed.desktop)
    throw new DemoError('the browser demo needs Linux or macOS (process groups); try --desktop');
  return parsed.desktop ? desktop(root, dirs, parsed) : browser(root, dirs, parsed);
}

main()
  .catch(async (err: unknown) => {
    if (serverGroup !== undefined) await killGroup(serverGroup);
    if (marker !== '') await killMarked(marker);
    if (claimed) releaseDemoDir(claimed);
    if (firstSignalAt !== undefined) {
      // Ctrl-C while packaging or starting: the step it interrupted failed, which is what was asked.
      say('stopped');
      return 0;
    }
    console.error(
      `[demo] ${err instanceof DemoError || err instanceof TestHostError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
    );
    return 1;
  })
  .then(async (code) => {
    // Let the last lines reach the terminal before exiting.
    await sleep(0);
    process.exit(code);
  });
