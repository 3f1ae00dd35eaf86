// The extension test host (code-server + playwright-core, test/host/package.json and its lock file)
// is not part of the project's `npm ci`: it is installed on first use into <project>/.vscode-test/host
// (git-ignored; VS Code's own convention for test downloads) by `npm test`, `npm run test:extension`,
// `npm run test:demo`, `npm run bench:webview` and `npm run demo`, and again when
// test/host/package-lock.json or the Node major version changes (a stamp file).
//
//   node test/host/ensure.js             install when missing or stale, else say it is up to date
//   node test/host/ensure.js --force     re-install
//   node test/host/ensure.js --browser   also check that Chromium is there (the tests need it)
//
// Plain Node (no build step): .ci/run calls it before anything is built. The test runners import it
// (esbuild bundles it; types in ensure.d.ts). Every process starts from an argument array, no shell.
//
// Offline facts (see /work/shared/vscode-extension-tests-offline.md): @vscode/ripgrep downloads rg
// from GitHub unless its cache is seeded (test/setup/seed-ripgrep-cache.sh, Debian's ripgrep);
// code-server's postinstall stops as root without npm_config_unsafe_perm=true; node-pty's runs
// `npx node-gyp` (npm_config_yes=true); node-gyp takes Node's headers from nodedir instead of
// downloading them; code-server 4.100 refuses any Node but 20.
'use strict';

const { spawn, spawnSync } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { setTimeout: sleep } = require('timers/promises');

const HOST_PACKAGES = 'code-server, playwright-core';
const STAMP = '.installed.json';
const LOG = 'install.log';
/** code-server 4.100 (VS Code 1.100) runs on Node 20 only; its postinstall checks. */
const CODE_SERVER_NODE_MAJOR = 20;
const DEFAULT_CHROMIUM = '/usr/bin/chromium';
const LOCK_WAIT_MS = 20 * 60_000;
const DEBIAN_BUILD_PACKAGES = 'build-essential pkg-config python3 libkrb5-dev';

/** A failure to report as it is: its message names what is missing and how to get it. */
class TestHostError extends Error {}

/** Where the test host is installed for the project at `root`. */
function testHostDir(root) {
  return path.join(root, '.vscode-test', 'host');
}

function sourceDir(root) {
  return path.join(root, 'test', 'host');
}

/** What the installed host must match: the lock file, the Node major version and the platform. */
function wantedStamp(root) {
  const hash = crypto.createHash('sha256');
  for (const file of ['package.json', 'package-lock.json'])
    hash.update(fs.readFileSync(path.join(sourceDir(root), file)));
  return {
    lock: hash.digest('hex'),
    node: Number(process.versions.node.split('.')[0]),
    platform: `${process.platform}-${process.arch}`,
  };
}

function readStamp(dir) {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, STAMP), 'utf8'));
  } catch {
    return undefined;
  }
}

/** A require() that resolves from the installed test host (code-server, playwright-core). */
function testHostRequire(root) {
  return require('module').createRequire(path.join(testHostDir(root), 'package.json'));
}

/** code-server's server entry point in the installed host (throws TestHostError when it is not installed). */
function codeServerEntry(root) {
  let entry;
  try {
    entry = path.join(
      path.dirname(testHostRequire(root).resolve('code-server/package.json')),
      'out',
      'node',
      'entry.js',
    );
  } catch {
    throw new TestHostError(
      `code-server is not installed in ${displayPath(testHostDir(root))}: run \`node test/host/ensure.js\``,
    );
  }
  if (!fs.existsSync(entry))
    throw new TestHostError(
      `code-server's entry point is missing (${entry}): run \`node test/host/ensure.js --force\``,
    );
  return entry;
}

/** Whether the host in `dir` has what the runners load (code-server's postinstall built lib/vscode). */
function complete(dir) {
  return (
    fs.existsSync(path.join(dir, 'node_modules', 'code-server', 'lib', 'vscode', 'out')) &&
    fs.existsSync(path.join(dir, 'node_modules', 'code-server', 'out', 'node', 'entry.js')) &&
    fs.existsSync(path.join(dir, 'node_modules', 'playwright-core', 'package.json'))
  );
}

/** Whether the host in `dir` is complete and was installed from the same lock file, Node major and platform. */
function upToDate(dir, wanted) {
  const stamp = readStamp(dir);
  if (!stamp || stamp.lock !== wanted.lock || stamp.node !== wanted.node || stamp.platform !== wanted.platform)
    return false;
  return complete(dir);
}

function displayPath(file) {
  const relative = path.relative(process.cwd(), file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}

function onPath(program) {
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    if (dir === '') continue;
    try {
      fs.accessSync(path.join(dir, program), fs.constants.X_OK);
      return true;
    } catch {
      // Not here.
    }
  }
  return false;
}

/** The browser the tests drive (env CAMERA_TETHER_TEST_CHROMIUM, default /usr/bin/chromium). */
function chromiumPath() {
  return process.env.CAMERA_TETHER_TEST_CHROMIUM || DEFAULT_CHROMIUM;
}

function missingChromium() {
  const browser = chromiumPath();
  if (fs.existsSync(browser)) return undefined;
  return process.env.CAMERA_TETHER_TEST_CHROMIUM
    ? `no browser at ${browser} (CAMERA_TETHER_TEST_CHROMIUM)`
    : `no Chromium at ${browser}: sudo apt-get install chromium (or point CAMERA_TETHER_TEST_CHROMIUM at a Chromium or Chrome)`;
}

/** What code-server's native modules (argon2, node-pty, kerberos, ...) need to compile, when it is missing. */
function missingBuildTools() {
  const missing = [];
  if (!['cc', 'gcc', 'clang'].some(onPath)) missing.push('a C compiler');
  if (!['c++', 'g++', 'clang++'].some(onPath)) missing.push('a C++ compiler');
  if (!onPath('make')) missing.push('make');
  if (!onPath('python3')) missing.push('python3');
  if (process.platform === 'linux') {
    if (!onPath('pkg-config')) missing.push('pkg-config');
    if (!fs.existsSync('/usr/include/gssapi/gssapi.h') && !onPath('krb5-config'))
      missing.push('the Kerberos headers (gssapi/gssapi.h)');
  }
  if (missing.length === 0) return undefined;
  const how =
    process.platform === 'darwin'
      ? 'install the Xcode command line tools (xcode-select --install)'
      : `Debian/Ubuntu: sudo apt-get install ${DEBIAN_BUILD_PACKAGES}`;
  return `the C/C++ build tools code-server's native modules compile with: missing ${missing.join(', ')}; ${how}`;
}

function missingNode() {
  const major = Number(process.versions.node.split('.')[0]);
  if (major === CODE_SERVER_NODE_MAJOR || process.env.FORCE_NODE_VERSION) return undefined;
  return `Node ${CODE_SERVER_NODE_MAJOR}: code-server 4.100.3 (the newest that runs on Node ${CODE_SERVER_NODE_MAJOR}) refuses Node ${process.versions.node}`;
}

function cannot(what, missing) {
  const list = missing.map((m) => `  - ${m}`).join('\n');
  return new TestHostError(`Cannot ${what} the extension test host (${HOST_PACKAGES}). Missing:\n${list}`);
}

// --- one install at a time ------------------------------------------------------------------------

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/** Takes <dir>.lock (a folder holding the owner's pid); waits while another live process holds it. */
async function lock(dir, say) {
  const lockDir = `${dir}.lock`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  let told = false;
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      fs.writeFileSync(path.join(lockDir, 'pid'), `${process.pid}\n`);
      return () => fs.rmSync(lockDir, { recursive: true, force: true });
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
    }
    let owner = NaN;
    try {
      owner = Number(fs.readFileSync(path.join(lockDir, 'pid'), 'utf8'));
    } catch {
      // Being created or removed right now.
    }
    if (Number.isInteger(owner) && owner > 0 && !alive(owner)) {
      fs.rmSync(lockDir, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline)
      throw new TestHostError(
        `another install of the test host (pid ${owner}) has held ${lockDir} for ${LOCK_WAIT_MS / 60_000} minutes; remove that folder if no install is running`,
      );
    if (!told) say(`Waiting for another install of the test host (pid ${owner}) to finish...`);
    told = true;
    await sleep(1000);
  }
}

// --- installing ----------------------------------------------------------------------------------

/** npm as the command line that started us uses it (npm_execpath), else npm from PATH. */
function npmCommand(args) {
  const cli = process.env.npm_execpath;
  if (cli && /npm-cli\.[cm]?js$/.test(cli)) return [process.execPath, [cli, ...args]];
  return ['npm', args];
}

/** The environment npm gets: the offline facts, and nothing that ties it to the project's own npm run. */
function installEnv() {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (
      /^npm_(package|lifecycle)_/i.test(key) ||
      /^npm_config_(local_prefix|prefix|global|workspaces?|include_workspace_root|ignore_scripts)$/i.test(key)
    )
      continue;
    env[key] = value;
  }
  env.npm_config_yes = 'true';
  // Only root needs it; npm 11 warns that it no longer knows the setting, but code-server's postinstall reads it.
  if (typeof process.getuid === 'function' && process.getuid() === 0) env.npm_config_unsafe_perm = 'true';
  // node-gyp: the running Node's own headers (e.g. /usr/include/node) instead of a download from nodejs.org.
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  if (!env.npm_config_nodedir && fs.existsSync(path.join(prefix, 'include', 'node', 'node_version.h')))
    env.npm_config_nodedir = prefix;
  return env;
}

/** Seeds @vscode/ripgrep's download cache with the system's rg; returns why not when it cannot. */
function seedRipgrep(root, logFd) {
  if (!onPath('rg')) return 'ripgrep is not installed, so @vscode/ripgrep downloads rg from GitHub';
  const result = spawnSync('bash', [path.join(root, 'test', 'setup', 'seed-ripgrep-cache.sh')], {
    stdio: ['ignore', logFd, logFd],
  });
  if (result.error) return `could not seed the ripgrep cache: ${result.error.message}`;
  if (result.status !== 0) return `seeding the ripgrep cache failed (exit code ${result.status})`;
  return undefined;
}

/** Reads the install log's end and names the likely cause. */
function diagnose(logFile, ripgrepNote) {
  let text = '';
  try {
    text = fs.readFileSync(logFile, 'utf8');
  } catch {
    // No log.
  }
  const causes = [];
  const registry = /request to (https?:\/\/[^\s/]+)/.exec(text);
  if (
    /\b(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH)\b|network request|network connectivity|socket hang up/i.test(
      text,
    )
  ) {
    causes.push(
      `no connection to the npm registry${registry ? ` (${registry[1]})` : ''}: code-server's packages are downloaded on the first install (check the network, proxy and \`npm config get registry\`)`,
    );
  }
  if (
    /gyp ERR!|not found: make|command not found|No such file or directory.*(g\+\+|cc|make|python)|gssapi/i.test(text)
  ) {
    causes.push(
      `a native module did not compile: Debian/Ubuntu need ${DEBIAN_BUILD_PACKAGES} (sudo apt-get install ${DEBIAN_BUILD_PACKAGES})`,
    );
  }
  if (/ripgrep|github\.com/i.test(text) && ripgrepNote) causes.push(`${ripgrepNote}: sudo apt-get install ripgrep`);
  if (/--unsafe-perm/.test(text))
    causes.push('code-server refuses to install as root without npm_config_unsafe_perm=true');
  const tail = text.trimEnd().split('\n').slice(-25).join('\n');
  return (
    (causes.length > 0 ? `Likely cause:\n${causes.map((c) => `  - ${c}`).join('\n')}\n` : '') +
    `The end of npm's output (all of it in ${displayPath(logFile)}):\n${tail || '(none)'}`
  );
}

function runLogged(command, args, options, logFd) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', logFd, logFd] });
    child.once('error', (err) => resolve(`could not start (${command}: ${err.message})`));
    child.once('exit', (code, signal) =>
      resolve(code === 0 ? undefined : signal ? `was killed by ${signal}` : `failed (exit code ${code})`),
    );
  });
}

async function install(root, dir, wanted) {
  const missing = [missingNode(), missingBuildTools()].filter(Boolean);
  if (missing.length > 0) throw cannot('install', missing);
  const started = Date.now();
  fs.rmSync(path.join(dir, STAMP), { force: true });
  fs.mkdirSync(dir, { recursive: true });
  for (const file of ['package.json', 'package-lock.json'])
    fs.copyFileSync(path.join(sourceDir(root), file), path.join(dir, file));
  const logFile = path.join(dir, LOG);
  const logFd = fs.openSync(logFile, 'w');
  let failure;
  let ripgrepNote;
  try {
    process.stdout.write(
      `Installing the extension test host (${HOST_PACKAGES}) into ${displayPath(dir)}, a minute or two, once... `,
    );
    ripgrepNote = seedRipgrep(root, logFd);
    const [command, args] = npmCommand(['ci', '--no-audit', '--no-fund', '--prefer-offline']);
    failure = await runLogged(command, args, { cwd: dir, env: installEnv() }, logFd);
    if (!failure && !complete(dir))
      failure = 'ended, but code-server is incomplete (its postinstall did not set up lib/vscode)';
  } finally {
    fs.closeSync(logFd);
  }
  if (failure) {
    process.stdout.write('failed.\n');
    throw new TestHostError(
      `Could not install the extension test host (${HOST_PACKAGES}) into ${displayPath(dir)}: npm ci ${failure}.\n${diagnose(logFile, ripgrepNote)}`,
    );
  }
  fs.writeFileSync(
    path.join(dir, STAMP),
    `${JSON.stringify({ ...wanted, installed: new Date().toISOString() }, null, 2)}\n`,
  );
  process.stdout.write(`done in ${Math.round((Date.now() - started) / 1000)} s.\n`);
}

/**
 * Installs the test host into .vscode-test/host when it is missing or stale (or `force`), and checks
 * Chromium when `browser`. Resolves with the host folder and whether it was installed now; rejects
 * with a TestHostError whose message says what is missing.
 */
async function ensureTestHost(root, options = {}) {
  const dir = testHostDir(root);
  const say = options.say || ((line) => console.log(line));
  const browserProblem = options.browser ? missingChromium() : undefined;
  const wanted = wantedStamp(root);
  if (!options.force && upToDate(dir, wanted)) {
    if (browserProblem) throw cannot('use', [browserProblem]);
    return { dir, installed: false };
  }
  if (browserProblem) {
    const others = [missingNode(), missingBuildTools()].filter(Boolean);
    throw cannot('install', [...others, browserProblem]);
  }
  const release = await lock(dir, say);
  try {
    // Another process may have installed it while we waited.
    if (!options.force && upToDate(dir, wanted)) return { dir, installed: false };
    await install(root, dir, wanted);
  } finally {
    release();
  }
  return { dir, installed: true };
}

module.exports = { TestHostError, testHostDir, testHostRequire, codeServerEntry, chromiumPath, ensureTestHost };

if (require.main === module) {
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => !['--force', '--browser', '--help'].includes(a));
  if (unknown.length > 0 || args.includes('--help')) {
    (unknown.length > 0 ? console.error : console.log)('Usage: node test/host/ensure.js [--force] [--browser]');
    process.exit(unknown.length > 0 ? 2 : 0);
  }
  const root = path.resolve(__dirname, '..', '..');
  ensureTestHost(root, { force: args.includes('--force'), browser: args.includes('--browser') }).then(
    ({ dir, installed }) => {
      if (!installed)
        console.log(`The extension test host is up to date in ${displayPath(dir)} (--force re-installs it).`);
    },
    (err) => {
      console.error(err instanceof TestHostError ? err.message : err && err.stack ? err.stack : String(err));
      process.exit(1);
    },
  );
}
