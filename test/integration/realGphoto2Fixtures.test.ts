// Keeps test/fixtures/gphoto2/*.json honest: re-runs their commands against Debian's real
// /usr/bin/gphoto2 (no-camera ones whenever the binary exists, the virtual-camera ones when
// test/setup/build-vcamera.sh has been run) and checks that the live run still has the stored
// exit code and key lines. Regenerate the fixtures with test/fixtures/gphoto2/capture-fixtures.mjs.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import type { FixtureSignal } from '../support/fixtures';
import {
  GPHOTO2_BINARY,
  vcameraDownloadsUnavailableReason,
  vcameraGphoto2,
  vcameraUnavailableReason,
  type VcameraGphoto2,
} from '../support/vcamera';

interface KeyLines {
  stdout: string[];
  stderr: string[];
}

interface FixtureFile {
  path: string;
  type: 'dir' | 'file';
  jpeg?: boolean;
}

interface Fixture {
  name: string;
  signals: FixtureSignal[];
  args: string[];
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  note: string;
  camera: string;
  produced: boolean;
  runAsNobody: boolean;
  /** Runs as nobody (uid switch) or as root writing into a read-only folder. */
  requiresRoot: boolean;
  keyLines: KeyLines;
  homeSettings?: string;
  setupFiles: Record<string, string>;
  setupDirs: Record<string, string>;
  files?: FixtureFile[];
  fileChanged?: boolean;
  stdoutBytes?: number;
  stdoutIsJpeg?: boolean;
  stdoutTruncated: boolean;
}

interface LiveRun {
  exitCode: number | undefined;
  signal: string | undefined;
  timedOut: boolean;
  stdoutBytes: Buffer;
  stdout: string;
  stderr: string;
  files: FixtureFile[];
  changedSetupFiles: string[];
  failure?: string;
}

const NOBODY = 65534;
const RUN_TIMEOUT_MS = 60_000;

// ------------------------------------------------------------------ loading the fixtures

function findFixtureDir(): string {
  const candidates: string[] = [];
  for (const start of [__dirname, process.cwd()]) {
    let dir = start;
    for (;;) {
      candidates.push(path.join(dir, 'test', 'fixtures', 'gphoto2'));
      const parent = path.dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  const found = candidates.find((c) => fs.existsSync(path.join(c, 'README.md')));
  if (!found) throw new Error(`test/fixtures/gphoto2 not found above ${__dirname} or ${process.cwd()}`);
  return found;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringArray(value: unknown, what: string): string[] {
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string'))
    throw new Error(`${what} is not a string array`);
  return value;
}

function stringRecord(value: unknown, what: string): Record<string, string> {
  if (value === undefined) return {};
  if (!isRecord(value)) throw new Error(`${what} is not an object`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new Error(`${what}.${k} is not a string`);
    out[k] = v;
  }
  return out;
}

function optional<T>(value: unknown, type: 'string' | 'number' | 'boolean', what: string): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== type) throw new Error(`${what} is not a ${type}`);
  return value as T;
}

function parseFixture(name: string, raw: unknown): Fixture {
  if (!isRecord(raw)) throw new Error(`${name}: not an object`);
  const { args, exitCode, signal, stdout, stderr, note, keyLines, files } = raw;
  if (exitCode !== null && typeof exitCode !== 'number') throw new Error(`${name}: exitCode`);
  if (signal !== null && typeof signal !== 'string') throw new Error(`${name}: signal`);
  if (typeof stdout !== 'string' || typeof stderr !== 'string' || typeof note !== 'string')
    throw new Error(`${name}: stdout/stderr/note`);
  if (!isRecord(keyLines)) throw new Error(`${name}: keyLines`);
  let parsedFiles: FixtureFile[] | undefined;
  if (files !== undefined) {
    if (!Array.isArray(files)) throw new Error(`${name}: files`);
    parsedFiles = files.map((f: unknown, i): FixtureFile => {
      if (!isRecord(f) || typeof f.path !== 'string' || (f.type !== 'dir' && f.type !== 'file'))
        throw new Error(`${name}: files[${i}]`);
      return { path: f.path, type: f.type, ...(f.type === 'file' ? { jpeg: f.jpeg === true } : {}) };
    });
  }
  const signals = raw.signals === undefined ? [] : raw.signals;
  if (!Array.isArray(signals)) throw new Error(`${name}: signals`);
  return {
    name,
    signals: signals.map((x: unknown, i): FixtureSignal => {
      if (!isRecord(x) || typeof x.signal !== 'string') throw new Error(`${name}: signals[${i}]`);
      return {
        signal: x.signal as NodeJS.Signals,
        afterLine: optional<string>(x.afterLine, 'string', `${name}: signals[${i}].afterLine`),
        count: optional<number>(x.count, 'number', `${name}: signals[${i}].count`),
        afterMs: optional<number>(x.afterMs, 'number', `${name}: signals[${i}].afterMs`),
      };
    }),
    args: stringArray(args, `${name}: args`),
    exitCode,
    signal,
    stdout,
    stderr,
    note,
    camera: optional<string>(raw.camera, 'string', `${name}: camera`) ?? 'none',
    produced: raw.produced !== false,
    runAsNobody: typeof raw.runAs === 'string' && raw.runAs.startsWith('nobody'),
    requiresRoot:
      typeof raw.runAs === 'string' &&
      (raw.runAs.startsWith('nobody') || (raw.runAs === 'root' && isRecord(raw.setupDirs))),
    keyLines: {
      stdout: stringArray(keyLines.stdout, `${name}: keyLines.stdout`),
      stderr: stringArray(keyLines.stderr, `${name}: keyLines.stderr`),
    },
    homeSettings: optional<string>(raw.homeSettings, 'string', `${name}: homeSettings`),
    setupFiles: stringRecord(raw.setupFiles, `${name}: setupFiles`),
    setupDirs: stringRecord(raw.setupDirs, `${name}: setupDirs`),
    files: parsedFiles,
    fileChanged: optional<boolean>(raw.fileChanged, 'boolean', `${name}: fileChanged`),
    stdoutBytes: optional<number>(raw.stdoutBytes, 'number', `${name}: stdoutBytes`),
    stdoutIsJpeg: optional<boolean>(raw.stdoutIsJpeg, 'boolean', `${name}: stdoutIsJpeg`),
    stdoutTruncated: raw.stdoutTruncated === true,
  };
}

const FIXTURE_DIR = findFixtureDir();
const FIXTURES: Fixture[] = fs
  .readdirSync(FIXTURE_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) =>
    parseFixture(f.replace(/\.json$/, ''), JSON.parse(fs.readFileSync(path.join(FIXTURE_DIR, f), 'utf8')) as unknown),
  );

// ------------------------------------------------------------------ helpers

/** Lines without trailing blanks (gphoto2 pads its `*** Error ***` markers with spaces). */
function linesOf(text: string): string[] {
  return text.split('\n').map((l) => l.replace(/\s+$/, ''));
}

/** Key texts (paths as <TMP>) that no line of `text` contains. */
function missingKeyLines(keys: readonly string[], text: string): string[] {
  const lines = linesOf(text);
  return keys.filter((k) => !lines.some((l) => l.includes(k)));
}

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
const isJpeg = (data: Buffer): boolean => data.length >= 3 && data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff;

function listTree(root: string): FixtureFile[] {
  const out: FixtureFile[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, entry.name);
      const shown = p.replace(root, '<TMP>');
      if (entry.isDirectory()) {
        out.push({ path: shown, type: 'dir' });
        walk(p);
      } else {
        out.push({ path: shown, type: 'file', jpeg: isJpeg(fs.readFileSync(p)) });
      }
    }
  };
  walk(root);
  return out;
}

const tempDirs: string[] = [];
function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/** Sends the fixture's signals the way capture-fixtures.mjs did. */
function sendSignals(
  child: { kill(signal: NodeJS.Signals): boolean; stdout: NodeJS.ReadableStream | null },
  signals: readonly FixtureSignal[],
): void {
  let elapsed = 0;
  for (const s of signals.filter((x) => x.afterMs !== undefined)) {
    elapsed += s.afterMs ?? 0;
    setTimeout(() => child.kill(s.signal), elapsed);
  }
  const byLine = signals.filter((x) => x.afterLine !== undefined);
  if (byLine.length === 0 || !child.stdout) return;
  let seen = '';
  let next = 0;
  child.stdout.on('data', (chunk: Buffer | string) => {
    seen += chunk.toString();
    while (next < byLine.length) {
      const s = byLine[next];
      if (seen.split(s.afterLine ?? '').length - 1 < (s.count ?? 1)) break;
      child.kill(s.signal);
      next++;
    }
  });
}

/** Runs one fixture's command live, the way capture-fixtures.mjs produced it. Never rejects. */
async function runLive(fixture: Fixture, vcamera: VcameraGphoto2 | undefined, home: string): Promise<LiveRun> {
  const tmp = tempDir('camera-tether-gp2-live-');
  const setupHashes = new Map<string, string>();
  try {
    if (fixture.homeSettings !== undefined) {
      fs.mkdirSync(path.join(home, '.gphoto'));
      fs.writeFileSync(path.join(home, '.gphoto', 'settings'), fixture.homeSettings);
    }
    for (const [name, text] of Object.entries(fixture.setupFiles)) {
      fs.writeFileSync(path.join(tmp, name), text);
      setupHashes.set(name, sha256(Buffer.from(text)));
    }
    for (const [name, mode] of Object.entries(fixture.setupDirs))
      fs.mkdirSync(path.join(tmp, name), { mode: parseInt(mode, 8) });
    if (fixture.runAsNobody) {
      fs.chmodSync(tmp, 0o755);
      for (const p of [tmp, home, ...fs.readdirSync(tmp).map((f) => path.join(tmp, f))])
        fs.chownSync(p, NOBODY, NOBODY);
    }
    // Signalled fixtures wait for stdout lines, which gphoto2 only flushes into a pipe line by line
    // under `stdbuf -oL` (as the recorder ran it).
    const byLine = fixture.signals.some((x) => x.afterLine !== undefined);
    const liveArgs = fixture.args.map((a) => a.replaceAll('<TMP>', tmp));
    const subprocess = execa(
      byLine ? '/usr/bin/stdbuf' : GPHOTO2_BINARY,
      byLine ? ['-oL', GPHOTO2_BINARY, ...liveArgs] : liveArgs,
      {
        cwd: vcamera ? vcamera.cwd : tmp,
        env: {
          LANG: 'C',
          LC_ALL: 'C',
          HOME: home,
          ...(vcamera
            ? { LD_LIBRARY_PATH: vcamera.env.LD_LIBRARY_PATH, IOLIBS: vcamera.env.IOLIBS, CAMLIBS: vcamera.env.CAMLIBS }
            : {}),
        },
        extendEnv: true,
        stdin: 'ignore',
        encoding: 'buffer',
        reject: false,
        timeout: RUN_TIMEOUT_MS,
        killSignal: 'SIGKILL',
        ...(fixture.runAsNobody ? { uid: NOBODY, gid: NOBODY } : {}),
      },
    );
    sendSignals(subprocess, fixture.signals);
    const result = await subprocess;
    const stdoutBytes = Buffer.from(result.stdout);
    const changedSetupFiles = [...setupHashes]
      .filter(([name, hash]) => sha256(fs.readFileSync(path.join(tmp, name))) !== hash)
      .map(([name]) => name);
    const scrub = (s: string): string => s.replaceAll(tmp, '<TMP>').replaceAll(home, '<HOME>');
    return {
      exitCode: result.exitCode,
      signal: result.signal,
      timedOut: result.timedOut,
      stdoutBytes,
      stdout: scrub(stdoutBytes.toString('utf8')),
      stderr: scrub(Buffer.from(result.stderr).toString('utf8')),
      files: listTree(tmp),
      changedSetupFiles,
      failure:
        result.failed && result.exitCode === undefined && !result.timedOut && result.signal === undefined
          ? result.message
          : undefined,
    };
  } catch (err) {
    return {
      exitCode: undefined,
      signal: undefined,
      timedOut: false,
      stdoutBytes: Buffer.alloc(0),
      stdout: '',
      stderr: '',
      files: [],
      changedSetupFiles: [],
      failure: String(err),
    };
  }
}

function assertMatches(fixture: Fixture, run: LiveRun): void {
  const where = `${fixture.name} (${fixture.args.join(' ')})`;
  assert.equal(run.failure, undefined, `${where}: could not run: ${run.failure}`);
  assert.equal(run.timedOut, false, `${where}: timed out after ${RUN_TIMEOUT_MS} ms`);
  assert.equal(run.signal ?? null, fixture.signal, `${where}: signal`);
  assert.equal(
    run.exitCode ?? null,
    fixture.exitCode,
    `${where}: exit code\nstdout:\n${run.stdout.slice(0, 2000)}\nstderr:\n${run.stderr.slice(0, 2000)}`,
  );
  for (const stream of ['stdout', 'stderr'] as const) {
    const missing = missingKeyLines(fixture.keyLines[stream], run[stream]);
    assert.deepEqual(missing, [], `${where}: key lines missing from live ${stream}:\n${run[stream].slice(0, 3000)}`);
  }
  if (fixture.stdoutIsJpeg !== undefined)
    assert.equal(isJpeg(run.stdoutBytes), fixture.stdoutIsJpeg, `${where}: stdout is a JPEG`);
  if (fixture.stdoutBytes === 0) assert.equal(run.stdoutBytes.length, 0, `${where}: stdout should stay empty`);
  if (fixture.fileChanged !== undefined) {
    assert.equal(
      run.changedSetupFiles.length > 0,
      fixture.fileChanged,
      `${where}: existing target file changed (${run.changedSetupFiles.join(', ')})`,
    );
  }
  if (fixture.files !== undefined) assert.deepEqual(run.files, fixture.files, `${where}: files left in <TMP>`);
}

// ------------------------------------------------------------------ the stored fixtures themselves

describe('gphoto2 fixtures: stored files', function () {
  it('has the fixtures the README documents, and the README lists every fixture', function () {
    assert.ok(FIXTURES.length >= 20, `only ${FIXTURES.length} fixtures in ${FIXTURE_DIR}`);
    const readme = fs.readFileSync(path.join(FIXTURE_DIR, 'README.md'), 'utf8');
    const unlisted = FIXTURES.filter((f) => !readme.includes(`${f.name}.json`)).map((f) => f.name);
    assert.deepEqual(unlisted, [], 'fixtures missing from README.md');
  });

  it('every fixture contains its own key lines and no leaked temp paths', function () {
    for (const f of FIXTURES) {
      for (const stream of ['stdout', 'stderr'] as const) {
        if (stream === 'stdout' && (f.stdoutTruncated || f.stdoutIsJpeg !== undefined)) continue;
        assert.deepEqual(
          missingKeyLines(f.keyLines[stream], f[stream]),
          [],
          `${f.name}: stored ${stream} lacks its key lines`,
        );
      }
      const text = JSON.stringify(f);
      assert.doesNotMatch(text, /\/tmp\/(camera-tether|gp2fx)-/, `${f.name}: temp path not replaced by <TMP>/<HOME>`);
      assert.ok(f.note.length > 0, `${f.name}: note`);
    }
  });

  it('a --camera/--port value that looks like an option stays a value (no version or usage text; the live run keeps the exit code)', function () {
    const model = FIXTURES.find((f) => f.name === 'camera-value-looks-like-option');
    const port = FIXTURES.find((f) => f.name === 'port-value-looks-like-option');
    assert.ok(model && port, 'camera-value-looks-like-option.json and port-value-looks-like-option.json');
    assert.equal(model.exitCode, 1);
    assert.doesNotMatch(model.stdout, /^gphoto2 \d/m, '--version was not run');
    assert.equal(port.exitCode, 1);
    assert.doesNotMatch(`${port.stdout}${port.stderr}`, /^Usage: gphoto2/m, '--help was not run');
  });

  it('the -53 fixture is marked as not produced here', function () {
    const claim = FIXTURES.find((f) => f.name === 'claim-usb-device-busy');
    assert.ok(claim, 'claim-usb-device-busy.json');
    assert.equal(claim.produced, false);
    assert.match(claim.note, /not produced here/);
    assert.match(claim.stderr, /\*\*\* Error \(-53: 'Could not claim the USB device'\) \*\*\*/);
  });
});

// ------------------------------------------------------------------ live: no camera

describe('gphoto2 fixtures: live /usr/bin/gphoto2 without a camera', function () {
  this.timeout(RUN_TIMEOUT_MS + 10_000);
  const fixtures = FIXTURES.filter((f) => f.produced && f.camera === 'none');

  before(function () {
    if (!fs.existsSync(GPHOTO2_BINARY)) {
      console.log(`    (skipped: ${GPHOTO2_BINARY} is not installed; apt-get install gphoto2)`);
      this.skip();
    }
  });

  it('covers the no-camera fixtures', function () {
    assert.ok(fixtures.length >= 8, `only ${fixtures.length} no-camera fixtures`);
  });

  for (const fixture of fixtures) {
    it(`${fixture.name}: exit ${fixture.exitCode} and the same key lines`, async function () {
      const home = tempDir('camera-tether-gp2-home-');
      const run = await runLive(fixture, undefined, home);
      assertMatches(fixture, run);
    });
  }
});

// ------------------------------------------------------------------ live: the virtual camera

describe('gphoto2 fixtures: live /usr/bin/gphoto2 against the virtual camera', function () {
  this.timeout(RUN_TIMEOUT_MS + 30_000);
  const fixtures = FIXTURES.filter((f) => f.produced && f.camera === 'vcamera');
  const runs = new Map<string, Promise<LiveRun>>();
  /** Fixtures this user cannot run here, and why (printed with the skip). */
  const cannotRun = new Map<string, string>();
  let unavailable: string | undefined;

  before(function () {
    unavailable = vcameraUnavailableReason();
    if (unavailable !== undefined) return;
    // Each capture takes ~6.6 s inside the emulator; every process gets its own fresh virtual
    // camera and there is no USB claim, so start them all at once and let each test await its own.
    for (const fixture of fixtures) {
      if (fixture.requiresRoot && process.getuid?.() !== 0) {
        cannotRun.set(fixture.name, 'needs root: it runs as nobody or writes into a read-only folder');
        continue;
      }
      const home = tempDir('camera-tether-gp2-home-');
      const vcamera = vcameraGphoto2({ home });
      if (!vcamera) continue;
      const downloads =
        /--capture-image-and-download|--capture-preview|--capture-tethered|--get-(?:file|all-files)/.test(
          fixture.args.join(' '),
        );
      const noDownloads = downloads && !fixture.runAsNobody ? vcameraDownloadsUnavailableReason(vcamera) : undefined;
      if (noDownloads !== undefined) {
        cannotRun.set(fixture.name, noDownloads);
        continue;
      }
      runs.set(fixture.name, runLive(fixture, vcamera, home));
    }
  });

  it('covers the virtual-camera fixtures', function () {
    assert.ok(fixtures.length >= 10, `only ${fixtures.length} vcamera fixtures`);
  });

  for (const fixture of fixtures) {
    it(`${fixture.name}: exit ${fixture.exitCode} and the same key lines`, async function () {
      if (unavailable !== undefined) this.skip(); // the reason is printed once by after()
      const pending = runs.get(fixture.name);
      if (!pending) {
        console.log(
          `    (skipped ${fixture.name}: ${cannotRun.get(fixture.name) ?? 'the virtual camera build was not found'})`,
        );
        this.skip();
      }
      const run = await pending;
      assertMatches(fixture, run);
    });
  }

  after(function () {
    if (unavailable !== undefined) console.log(`    (virtual camera skipped: ${unavailable})`);
  });
});

after(async function () {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});
