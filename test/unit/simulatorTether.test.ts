/**
 * The simulator's event wait (`--capture-tethered`, `--wait-event-and-download`, `--wait-event`) and
 * the body's own shutter (`--press-shutter`), as a black box: `node dist/simulator.js` with its own
 * state folder and working folder per test. The texts are checked against the real gphoto2 2.5.28
 * transcripts in test/fixtures/gphoto2/vcamera-capture-tethered-*.json. Build first:
 * `node esbuild.js --tests`. Synchronisation is by output lines and files with deadlines, never by
 * fixed sleeps.
 */
import * as assert from 'assert';
import { spawn } from 'child_process';
import type { ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as jpeg from 'jpeg-js';
import { pressShutter } from '../../src/simulator/camera/shutterPresses';
import type { FixtureSignal } from '../support/fixtures';

const PROJECT_ROOT = path.resolve(__dirname, '..', '..', '..');
const SIMULATOR = path.join(PROJECT_ROOT, 'dist', 'simulator.js');
const FIXTURES = path.join(PROJECT_ROOT, 'test', 'fixtures', 'gphoto2');
const MODEL = 'Camera Tether Simulator';
const SELECT = ['--camera', MODEL, '--port', 'usb:001,004'];
const WAITING = 'Waiting for events from camera. Press Ctrl-C to abort.\n';
const CLAIM_TEXT =
  "An error occurred in the io-library ('Could not claim the USB device'): Could not claim interface 0 (Device or resource busy).";

type Config = Record<string, string | number | boolean>;

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

interface Running {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  done: Promise<Finished>;
}

interface Sim {
  home: string;
  cwd: string;
  /** Where downloads go: `--filename <out>/%f.%C`. */
  out: string;
  start(args: string[], opts?: { stdin?: string }): Running;
  run(args: string[], opts?: { stdin?: string }): Promise<Finished>;
  /** `--press-shutter`; resolves when the press is recorded (the process has exited 0). */
  press(): Promise<void>;
  listen(extra?: string[], opts?: { stdin?: string }): Running;
}

interface Fixture {
  exitCode: number;
  stdout: string;
  stderr: string;
  signals?: FixtureSignal[];
}

const cleanups: Array<() => void> = [];

function newSim(config: Config = {}): Sim {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-simtether-home-'));
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-simtether-cwd-'));
  fs.writeFileSync(path.join(home, 'config.json'), JSON.stringify(config));
  const out = path.join(cwd, 'out');
  const sim: Sim = {
    home,
    cwd,
    out,
    start(args, opts = {}) {
      const env: NodeJS.ProcessEnv = { ...process.env, CAMERA_TETHER_SIM_HOME: home };
      delete env.CAMERA_TETHER_SIM_CONFIG;
      const child = spawn(process.execPath, [SIMULATOR, ...args], {
        cwd,
        env,
        stdio: [opts.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      });
      if (opts.stdin !== undefined) child.stdin?.end(opts.stdin);
      let stdout = '';
      let stderr = '';
      child.stdout?.on('data', (b: Buffer) => (stdout += b.toString()));
      child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
      const done = new Promise<Finished>((resolve, reject) => {
        child.on('error', reject);
        child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
      });
      cleanups.push(() => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      });
      return { child, stdout: () => stdout, stderr: () => stderr, done };
    },
    run: (args, opts) => sim.start(args, opts).done,
    async press() {
      const r = await sim.run(['--press-shutter']);
      assert.strictEqual(r.code, 0, r.stderr);
      assert.strictEqual(r.stdout + r.stderr, '', 'a press prints nothing');
    },
    listen: (extra = [], opts) =>
      sim.start([...SELECT, '--capture-tethered', ...extra, '--filename', `${out}/%f.%C`], opts),
  };
  cleanups.push(() => {
    fs.rmSync(home, { recursive: true, force: true });
    fs.rmSync(cwd, { recursive: true, force: true });
  });
  return sim;
}

/**
 * Runs `args` and presses the shutter `presses` times once the wait is announced and the camera
 * claimed: a press made before a session listens is never announced to it (as on a real body).
 */
async function runPressing(sim: Sim, args: string[], presses: number): Promise<Finished> {
  const r = sim.start(args);
  await until('the wait', () => r.stdout().startsWith('Waiting for') && lockPid(sim) === r.child.pid);
  // In process (what --press-shutter runs), so a count of events is not eaten by a timeout meanwhile.
  for (let i = 0; i < presses; i++) pressShutter(sim.home);
  return r.done;
}

async function until(what: string, condition: () => boolean, timeoutMs = 8000, stepMs = 5): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

const count = (text: string, part: string): number => text.split(part).length - 1;

function loadFixture(name: string): Fixture {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8')) as Fixture;
}

/** Real and simulated transcripts side by side: the downloaded file's name is the camera's own. */
function normalise(text: string, dir: string): string {
  return text.replaceAll(dir, '<TMP>').replace(/<TMP>\/(?:GPH|IMG)_\d{4}\.JPG/g, '<TMP>/<FILE>.JPG');
}

/** Sends a fixture's signals the way the recorder did: after a stdout line appeared often enough. */
async function replaySignals(run: Running, signals: readonly FixtureSignal[]): Promise<void> {
  for (const s of signals) {
    const line = s.afterLine ?? WAITING.trimEnd(); // time-based steps: once the wait has begun
    await until(`"${line}" x${s.count ?? 1}`, () => count(run.stdout(), line) >= (s.count ?? 1));
    run.child.kill(s.signal);
  }
}

function files(dir: string): string[] {
  try {
    return fs.readdirSync(dir).sort();
  } catch {
    return [];
  }
}

/** A complete JPEG: SOI at the start, EOI at the end, and jpeg-js decodes it. */
function isCompleteJpeg(file: string): boolean {
  try {
    const data = fs.readFileSync(file);
    if (data.length < 4 || data[0] !== 0xff || data[1] !== 0xd8) return false;
    if (data[data.length - 2] !== 0xff || data[data.length - 1] !== 0xd9) return false;
    jpeg.decode(data, { useTArray: true });
    return true;
  } catch {
    return false;
  }
}

/** Cheap completeness check for timing: the JPEG's last two bytes are EOI (the write is one call). */
function endsWithEoi(file: string): boolean {
  try {
    const data = fs.readFileSync(file);
    return data.length > 4 && data[data.length - 2] === 0xff && data[data.length - 1] === 0xd9;
  } catch {
    return false;
  }
}

function lockPid(sim: Sim): number | undefined {
  try {
    return Number(fs.readFileSync(path.join(sim.home, 'device.lock'), 'utf8').split(/\s+/)[0]);
  } catch {
    return undefined;
  }
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

describe('gphoto2 simulator: tethered capture (--capture-tethered, --press-shutter)', function () {
  this.timeout(60000);

  before(() => {
    assert.ok(fs.existsSync(SIMULATOR), `${SIMULATOR} is missing: run "node esbuild.js" first`);
  });

  afterEach(() => {
    while (cleanups.length > 0) (cleanups.pop() as () => void)();
  });

  describe('texts and exit codes against the real gphoto2 2.5.28 transcripts', () => {
    for (const name of ['vcamera-capture-tethered-signals', 'vcamera-capture-tethered-sigint']) {
      it(`${name}: the same stdout, stderr and exit code`, async () => {
        const fixture = loadFixture(name);
        const sim = newSim();
        const run = sim.start([...SELECT, '--capture-tethered', '--filename', `${sim.cwd}/%f.%C`]);
        await replaySignals(run, fixture.signals ?? []);
        const r = await run.done;
        assert.strictEqual(r.code, fixture.exitCode, r.stderr);
        assert.strictEqual(normalise(r.stdout, sim.cwd), normalise(fixture.stdout, '<TMP>'));
        assert.strictEqual(r.stderr, fixture.stderr);
      });
    }

    it('vcamera-capture-tethered-existing-target: a download that meets an existing file ends the wait with -1, exit 1', async () => {
      const fixture = loadFixture('vcamera-capture-tethered-existing-target');
      const sim = newSim();
      fs.writeFileSync(path.join(sim.cwd, 'IMG_0001.JPG'), 'old contents\n');
      const run = sim.start([...SELECT, '--capture-tethered', '--filename', `${sim.cwd}/%f.%C`]);
      await replaySignals(run, fixture.signals ?? []);
      const r = await run.done;
      assert.strictEqual(r.code, fixture.exitCode, r.stderr);
      // Up to the debug paragraph, whose echoed command line names another camera and port.
      const head = (text: string): string => text.slice(0, text.indexOf('For debugging messages'));
      assert.strictEqual(head(normalise(r.stdout, sim.cwd)), head(normalise(fixture.stdout, '<TMP>')));
      assert.ok(r.stdout.includes('For debugging messages, please use the --debug option.'), r.stdout);
      assert.strictEqual(r.stderr, fixture.stderr);
      assert.strictEqual(fs.readFileSync(path.join(sim.cwd, 'IMG_0001.JPG'), 'utf8'), 'old contents\n');
    });

    it('vcamera-capture-tethered-2s: the time-bounded form ends by itself after 2 s, exit 0', async () => {
      const fixture = loadFixture('vcamera-capture-tethered-2s');
      const sim = newSim();
      const started = Date.now();
      const r = await sim.run([...SELECT, '--capture-tethered=2s', '--filename', `${sim.cwd}/%f.%C`]);
      const took = Date.now() - started;
      assert.strictEqual(r.code, fixture.exitCode, r.stderr);
      assert.strictEqual(r.stdout, fixture.stdout);
      assert.strictEqual(r.stderr, fixture.stderr);
      assert.ok(took >= 2000, `ended after ${took} ms, before its 2 s`);
      assert.strictEqual(lockPid(sim), undefined, 'the claim is released');
    });

    it("parses gphoto2's other argument forms: =Nms, =Nf (frames), =N (events, timeouts count), =NAME", async () => {
      const sim = newSim();
      const ms = await sim.run([...SELECT, '--wait-event-and-download=150ms']);
      assert.strictEqual(ms.code, 0, ms.stderr);
      assert.strictEqual(ms.stdout, 'Waiting for 150 milliseconds for events from camera. Press Ctrl-C to abort.\n');

      const frames = await runPressing(sim, [...SELECT, '--capture-tethered=2f', '--filename', `${sim.out}/%f.%C`], 2);
      assert.strictEqual(frames.code, 0, frames.stderr);
      assert.strictEqual(
        frames.stdout,
        'Waiting for 2 frames from the camera. Press Ctrl-C to abort.\n' +
          `Saving file as ${sim.out}/IMG_0001.JPG\nSaving file as ${sim.out}/IMG_0002.JPG\n`,
      );

      // Counted events include the 1 s timeouts: the press must come within the first second.
      const events = await runPressing(
        sim,
        [...SELECT, '--wait-event-and-download', '1', '--filename', `${sim.out}/%f.%C`],
        1,
      );
      assert.strictEqual(events.code, 0, events.stderr);
      assert.strictEqual(
        events.stdout,
        `Waiting for 1 events from camera. Press Ctrl-C to abort.\nSaving file as ${sim.out}/IMG_0003.JPG\n`,
      );

      const named = await runPressing(
        sim,
        [...SELECT, '--capture-tethered=FILEADDED', '--filename', `${sim.out}/%f.%C`],
        1,
      );
      assert.strictEqual(named.code, 0, named.stderr);
      assert.strictEqual(
        named.stdout,
        "Waiting for 'FILEADDED' event from camera. Press Ctrl-C to abort.\n" +
          `Saving file as ${sim.out}/IMG_0004.JPG\nevent found, stopping wait!\n`,
      );
      assert.deepStrictEqual(files(sim.out), ['IMG_0001.JPG', 'IMG_0002.JPG', 'IMG_0003.JPG', 'IMG_0004.JPG']);
    });

    it('--wait-event reports FILEADDED without downloading; the file stays on the card and is not reported again', async () => {
      const sim = newSim();
      const r = await runPressing(sim, [...SELECT, '--wait-event=1f'], 1);
      assert.strictEqual(r.code, 0, r.stderr);
      assert.strictEqual(
        r.stdout,
        'Waiting for 1 frames from the camera. Press Ctrl-C to abort.\nFILEADDED IMG_0001.JPG /store_00010001/DCIM/100SIMUL\n',
      );
      assert.deepStrictEqual(files(path.join(sim.home, 'card')), ['IMG_0001.JPG.json']);
      const again = await sim.run([...SELECT, '--wait-event=100ms']);
      assert.ok(!again.stdout.includes('FILEADDED'), again.stdout);
    });
  });

  describe('signals', () => {
    it('SIGUSR1 captures inside the wait and downloads a complete JPEG (RAW+JPEG: the NEF, then the JPEG)', async () => {
      const sim = newSim({ raw: true });
      const run = sim.listen();
      await until('the wait', () => run.stdout().includes(WAITING));
      run.child.kill('SIGUSR1');
      await until('two files', () => count(run.stdout(), 'Saving file as') === 2);
      await until('the JPEG complete', () => isCompleteJpeg(path.join(sim.out, 'IMG_0001.JPG')));
      run.child.kill('SIGUSR2');
      const r = await run.done;
      assert.strictEqual(r.code, 0, r.stderr);
      assert.strictEqual(
        r.stdout,
        WAITING +
          'SIGUSR1 signal received, triggering capture!\n' +
          `Saving file as ${sim.out}/IMG_0001.NEF\nSaving file as ${sim.out}/IMG_0001.JPG\n` +
          'SIGUSR2 signal received, stopping wait!\n',
      );
      assert.deepStrictEqual(files(sim.out), ['IMG_0001.JPG', 'IMG_0001.NEF']);
    });

    it('SIGUSR2 ends the wait with exit 0 and frees the claim', async () => {
      const sim = newSim();
      const run = sim.listen();
      await until('the claim', () => lockPid(sim) === run.child.pid);
      run.child.kill('SIGUSR2');
      const r = await run.done;
      assert.strictEqual(r.code, 0, r.stderr);
      assert.strictEqual(r.stdout, `${WAITING}SIGUSR2 signal received, stopping wait!\n`);
      assert.strictEqual(lockPid(sim), undefined);
    });

    it('SIGINT cancels the wait (Cancelling..., exit 0 as gphoto2) and frees the claim', async () => {
      const sim = newSim();
      const run = sim.listen();
      await until('the claim', () => lockPid(sim) === run.child.pid);
      run.child.kill('SIGINT');
      const r = await run.done;
      assert.strictEqual(r.code, 0, r.stderr);
      assert.strictEqual(r.stdout, `${WAITING}\nCancelling...\n`);
      assert.strictEqual(lockPid(sim), undefined);
    });

    it('SIGTERM during a slow download cancels it: no partial file, Operation cancelled., exit 1', async () => {
      const sim = newSim({ transferMs: 3000 });
      const run = sim.listen();
      await until('the wait', () => run.stdout().includes(WAITING));
      await sim.press();
      await until('the download', () => run.stdout().includes('Saving file as'));
      run.child.kill('SIGTERM');
      const r = await run.done;
      assert.strictEqual(r.code, 1);
      assert.ok(r.stdout.endsWith('\nCancelling...\n'), r.stdout);
      assert.strictEqual(r.stderr, 'ERROR: Could not get image.\nOperation cancelled.\n');
      assert.deepStrictEqual(files(sim.out), []);
      assert.deepStrictEqual(files(path.join(sim.home, 'card')), ['IMG_0001.JPG.json'], 'still on the card');
    });
    it('SIGKILL mid-download: the picture is not lost, it stays on the card (not reported again)', async () => {
      const sim = newSim({ transferMs: 5000 });
      const run = sim.listen();
      await until('the wait', () => run.stdout().includes(WAITING));
      await sim.press();
      await until('the download', () => run.stdout().includes('Saving file as'));
      run.child.kill('SIGKILL');
      await run.done;
      assert.deepStrictEqual(files(path.join(sim.home, 'presses')), []);
      assert.deepStrictEqual(files(path.join(sim.home, 'card')), ['IMG_0001.JPG.json']);
      const next = await sim.run([...SELECT, '--capture-tethered=100ms', '--filename', `${sim.out}/%f.%C`]);
      assert.strictEqual(next.code, 0, next.stderr);
      assert.ok(!next.stdout.includes('Saving file as'), next.stdout);
    });
  });

  describe('the body shutter (--press-shutter)', () => {
    it('presses while listening are downloaded, each a new file; a press never claims the camera', async () => {
      const sim = newSim();
      const run = sim.listen();
      await until('the claim', () => lockPid(sim) === run.child.pid);
      for (let i = 1; i <= 3; i++) {
        await sim.press(); // exit 0 while the listener holds the claim
        await until(`file ${i}`, () => isCompleteJpeg(path.join(sim.out, `IMG_000${i}.JPG`)));
      }
      assert.strictEqual(lockPid(sim), run.child.pid, 'the listener still holds the claim');
      run.child.kill('SIGUSR2');
      const r = await run.done;
      assert.strictEqual(r.code, 0, r.stderr);
      assert.strictEqual(count(r.stdout, 'Saving file as'), 3);
      assert.ok(!r.stdout.includes('New file is in location') && !r.stdout.includes('Deleting file'), r.stdout);
    });

    it('presses while nobody listens are on the card, never announced: the next listener ignores them; --list-files shows them and --get-file downloads them (they stay)', async () => {
      const sim = newSim();
      await sim.press();
      await sim.press();
      assert.strictEqual(files(path.join(sim.home, 'presses')).length, 2);
      const summary = await sim.run([...SELECT, '--summary']);
      assert.strictEqual(summary.code, 0, summary.stderr);
      // A real body sends no event to a USB session that did not exist when it shot.
      const run = sim.start([...SELECT, '--capture-tethered=1s', '--filename', `${sim.out}/%f.%C`]);
      const r = await run.done;
      assert.strictEqual(r.code, 0, r.stderr);
      assert.strictEqual(count(r.stdout, 'Saving file as'), 0, r.stdout);
      assert.deepStrictEqual(files(path.join(sim.home, 'presses')), [], 'filed on the card');
      const listed = await sim.run([...SELECT, '--quiet', '--list-files', '--parsable']);
      assert.strictEqual(listed.code, 0, listed.stderr);
      const lines = listed.stdout.trimEnd().split('\n');
      assert.strictEqual(lines.length, 2, listed.stdout);
      for (const [i, line] of lines.entries())
        assert.match(
          line,
          new RegExp(
            `^FILENAME='/store_00010001/DCIM/100SIMUL/IMG_000${i + 1}\\.JPG' PERMS=rd FILESIZE= *\\d+ FILETYPE=image/jpeg FILEMTIME=\\d+$`,
          ),
        );
      const paths = lines.map((l) => l.slice(10, l.indexOf("'", 10)));
      const got = await sim.run([...SELECT, '--filename', `${sim.out}/%f.%C`, ...paths.map((p) => `--get-file=${p}`)]);
      assert.strictEqual(got.code, 0, got.stderr);
      assert.strictEqual(
        got.stdout,
        `Saving file as ${sim.out}/IMG_0001.JPG\nSaving file as ${sim.out}/IMG_0002.JPG\n`,
      );
      assert.ok(isCompleteJpeg(path.join(sim.out, 'IMG_0002.JPG')));
      const again = await sim.run([...SELECT, '--quiet', '--list-files', '--parsable']);
      assert.strictEqual(again.stdout, listed.stdout, 'get-file leaves them on the card');
    });

    it('--get-file of a path not on the card: -108 File not found, exit 1 (as vcamera)', async () => {
      const sim = newSim();
      const r = await sim.run([...SELECT, '--get-file', '/store_00010001/DCIM/100SIMUL/IMG_0042.JPG']);
      assert.strictEqual(r.code, 1);
      assert.ok(r.stderr.startsWith("*** Error (-108: 'File not found') ***"), r.stderr);
    });

    it('vcamera-list-files-parsable / vcamera-get-file-by-path: the same line shapes as the real gphoto2', async () => {
      const listed = loadFixture('vcamera-list-files-parsable');
      for (const line of listed.stdout.trimEnd().split('\n'))
        assert.match(line, /^FILENAME='[^']+' PERMS=rd FILESIZE= *\d+ FILETYPE=[a-z/.-]+ FILEMTIME=\d+$/);
      const got = loadFixture('vcamera-get-file-by-path');
      assert.match(got.stdout, /^Saving file as <TMP>\/IMG_0002\.JPG\nSaving file as <TMP>\/IMG_0003\.JPG\n$/);
    });

    it('20 presses in 5 s all arrive, each a distinct file, none overwritten', async () => {
      const sim = newSim();
      const run = sim.listen();
      await until('the claim', () => lockPid(sim) === run.child.pid);
      const presses: Array<Promise<void>> = [];
      const started = Date.now();
      for (let i = 0; i < 20; i++) {
        presses.push(sim.press());
        // Pacing of the stimulus (one press every 250 ms), not synchronisation.
        await new Promise((r) => setTimeout(r, 250 - ((Date.now() - started) % 250)));
      }
      await Promise.all(presses);
      await until('20 files', () => count(run.stdout(), 'Saving file as') === 20, 10000);
      await until('20 complete files', () => files(sim.out).every((f) => isCompleteJpeg(path.join(sim.out, f))));
      run.child.kill('SIGUSR2');
      const r = await run.done;
      assert.strictEqual(r.code, 0, r.stderr);
      const names = files(sim.out);
      assert.strictEqual(names.length, 20);
      assert.deepStrictEqual(
        names,
        Array.from({ length: 20 }, (_, i) => `IMG_${String(i + 1).padStart(4, '0')}.JPG`),
      );
      assert.ok(!r.stdout.includes('exists. Overwrite?'), r.stdout);
    });

    it('an existing target is never overwritten: the question, ERROR: Could not get image., -1, and the file stays on the card', async () => {
      const sim = newSim();
      fs.mkdirSync(sim.out);
      fs.writeFileSync(path.join(sim.out, 'IMG_0001.JPG'), 'old contents\n');
      const r = await runPressing(sim, [...SELECT, '--capture-tethered', '--filename', `${sim.out}/%f.%C`], 1);
      assert.strictEqual(r.code, 1);
      assert.strictEqual(r.stdout.split('\n')[0], WAITING.trimEnd());
      assert.ok(r.stdout.includes(`\x07File ${sim.out}/IMG_0001.JPG exists. Overwrite? [y|n] `), r.stdout);
      assert.ok(r.stderr.startsWith('ERROR: Could not get image.\n'), r.stderr);
      assert.ok(r.stderr.includes("*** Error (-1: 'Unspecified error') ***"), r.stderr);
      assert.strictEqual(fs.readFileSync(path.join(sim.out, 'IMG_0001.JPG'), 'utf8'), 'old contents\n');
      assert.deepStrictEqual(files(path.join(sim.home, 'card')), ['IMG_0001.JPG.json']);
    });

    it('press-to-file-saved latency over 50 presses (printed: median and p95)', async () => {
      const sim = newSim();
      const run = sim.listen();
      await until('the claim', () => lockPid(sim) === run.child.pid);
      const fromSpawn: number[] = [];
      const fromRecorded: number[] = [];
      for (let i = 1; i <= 50; i++) {
        const target = path.join(sim.out, `IMG_${String(i).padStart(4, '0')}.JPG`);
        const t0 = performance.now();
        await sim.press();
        const t1 = performance.now();
        await until(`file ${i}`, () => endsWithEoi(target), 8000, 1);
        const t2 = performance.now();
        assert.ok(isCompleteJpeg(target), `${target} is not a complete JPEG`);
        fromSpawn.push(t2 - t0);
        fromRecorded.push(t2 - t1);
      }
      run.child.kill('SIGUSR2');
      assert.strictEqual((await run.done).code, 0);
      const a = [...fromSpawn].sort((x, y) => x - y);
      const b = [...fromRecorded].sort((x, y) => x - y);
      console.log(
        `      press -> file saved over 50 presses: median ${percentile(a, 50).toFixed(1)} ms, p95 ${percentile(a, 95).toFixed(1)} ms ` +
          `(from the press recorded: median ${percentile(b, 50).toFixed(1)} ms, p95 ${percentile(b, 95).toFixed(1)} ms)`,
      );
    });
  });

  describe('the USB claim', () => {
    it('is held for the whole wait: a second simulator gets the -53 busy text, the device file is open', async () => {
      const sim = newSim();
      const run = sim.listen();
      await until('the claim', () => lockPid(sim) === run.child.pid);
      const second = await sim.run([...SELECT, '--summary']);
      assert.strictEqual(second.code, 1);
      assert.ok(second.stderr.includes(CLAIM_TEXT), second.stderr);
      assert.ok(second.stderr.includes("*** Error (-53: 'Could not claim the USB device') ***"), second.stderr);
      const other = sim.start([...SELECT, '--capture-tethered', '--filename', `${sim.out}/%f.%C`]);
      const o = await other.done;
      assert.strictEqual(o.code, 1);
      assert.ok(o.stdout.startsWith(WAITING), 'the wait is announced before the camera is opened');
      assert.ok(o.stderr.includes(CLAIM_TEXT), o.stderr);
      if (process.platform === 'linux') {
        const device = path.join(sim.home, 'usb', '001', '004');
        const fds = fs.readdirSync(`/proc/${run.child.pid}/fd`).map((fd) => {
          try {
            return fs.readlinkSync(`/proc/${run.child.pid}/fd/${fd}`);
          } catch {
            return '';
          }
        });
        assert.ok(fds.includes(device), `${device} not open in the listener`);
      }
      run.child.kill('SIGUSR2');
      assert.strictEqual((await run.done).code, 0);
    });
  });
});
