/**
 * The gphoto2 simulator as a black box: `node dist/simulator.js <gphoto2 args>` with its own state
 * folder and working folder per test, checked for gphoto2's texts, exit codes and files.
 * Build first: `node esbuild.js --tests`. Synchronisation is by polling with deadlines, never by
 * fixed sleeps.
 */
import * as assert from 'assert';
import { spawn, spawnSync } from 'child_process';
import type { ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as jpeg from 'jpeg-js';
import { JpegSplitter } from '../../src/camera/jpegSplitter';

const PROJECT_ROOT = path.resolve(__dirname, '..', '..', '..');
const SIMULATOR = path.join(PROJECT_ROOT, 'dist', 'simulator.js');
const MODEL = 'Camera Tether Simulator';
const SELECT = ['--camera', MODEL, '--port', 'usb:001,004'];
const CLAIM_TEXT =
  "An error occurred in the io-library ('Could not claim the USB device'): Could not claim interface 0 (Device or resource busy). " +
  'Make sure no other program (gvfs-gphoto2-volume-monitor) or kernel module (such as sdc2xx, stv680, spca50x) is using the device ' +
  'and you have read/write access to the device.';

type Config = Record<string, string | number | boolean>;

interface Sim {
  home: string;
  cwd: string;
  /** Written to config.json, which the simulator reads at every start. */
  configure(config: Config): void;
  start(args: string[], opts?: StartOptions): Running;
  run(args: string[], opts?: StartOptions): Promise<Finished>;
}

interface StartOptions {
  /** Fed to stdin, which is then closed; default: no stdin at all (/dev/null). */
  stdin?: string;
  /** A stdin pipe that stays open, so reads block like on a terminal. */
  keepStdinOpen?: boolean;
  env?: Record<string, string>;
}

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

interface Running {
  child: ChildProcess;
  stdout(): Buffer;
  stderr(): string;
  done: Promise<Finished>;
}

const cleanups: Array<() => void> = [];

function newSim(config: Config = {}): Sim {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-simtest-home-'));
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-simtest-cwd-'));
  const sim: Sim = {
    home,
    cwd,
    configure: (c) => fs.writeFileSync(path.join(home, 'config.json'), JSON.stringify(c)),
    start(args, opts = {}) {
      const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env, CAMERA_TETHER_SIM_HOME: home };
      delete env.CAMERA_TETHER_SIM_CONFIG;
      const child = spawn(process.execPath, [SIMULATOR, ...args], {
        cwd,
        env,
        stdio: [opts.stdin === undefined && !opts.keepStdinOpen ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      });
      if (opts.stdin !== undefined) child.stdin?.end(opts.stdin);
      const out: Buffer[] = [];
      let err = '';
      child.stdout?.on('data', (b: Buffer) => out.push(b));
      child.stderr?.on('data', (b: Buffer) => (err += b.toString('latin1')));
      const done = new Promise<Finished>((resolve, reject) => {
        child.on('error', reject);
        child.on('close', (code, signal) => resolve({ code, signal, stdout: Buffer.concat(out), stderr: err }));
      });
      cleanups.push(() => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      });
      return { child, stdout: () => Buffer.concat(out), stderr: () => err, done };
    },
    run(args, opts) {
      return sim.start(args, opts).done;
    },
  };
  sim.configure(config);
  cleanups.push(() => {
    fs.rmSync(home, { recursive: true, force: true });
    fs.rmSync(cwd, { recursive: true, force: true });
  });
  return sim;
}

async function until(what: string, condition: () => boolean, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function lockPid(sim: Sim): number | undefined {
  try {
    return Number(fs.readFileSync(path.join(sim.home, 'device.lock'), 'utf8').split(/\s+/)[0]);
  } catch {
    return undefined;
  }
}

function lockExists(sim: Sim): boolean {
  return fs.existsSync(path.join(sim.home, 'device.lock'));
}

/** Splits an MJPEG stream into its JPEGs (SOI ... EOI; the entropy data can never contain FF D9). */
function splitJpegs(stream: Buffer): Buffer[] {
  const frames: Buffer[] = [];
  let start = stream.indexOf(Buffer.from([0xff, 0xd8]));
  while (start >= 0) {
    const end = stream.indexOf(Buffer.from([0xff, 0xd9]), start + 2);
    if (end < 0) break;
    frames.push(stream.subarray(start, end + 2));
    start = stream.indexOf(Buffer.from([0xff, 0xd8]), end + 2);
  }
  return frames;
}

function decode(data: Buffer): { width: number; height: number; data: Uint8Array } {
  return jpeg.decode(data, { useTArray: true });
}

describe('gphoto2 simulator (dist/simulator.js)', function () {
  this.timeout(30000);

  before(() => {
    assert.ok(fs.existsSync(SIMULATOR), `${SIMULATOR} is missing: run "node esbuild.js" first`);
  });

  afterEach(() => {
    while (cleanups.length > 0) (cleanups.pop() as () => void)();
  });

  describe('information commands', () => {
    it('prints gphoto2 2.5.28 --version text and never claims the camera', async () => {
      const sim = newSim();
      const r = await sim.run(['--version']);
      assert.strictEqual(r.code, 0);
      assert.match(r.stdout.toString(), /^gphoto2 2\.5\.28\n\nCopyright \(c\) 2000-2021 Marcus Meissner and others\n/);
      assert.match(r.stdout.toString(), /^libgphoto2 {6}2\.5\.30 /m);
      assert.ok(!lockExists(sim));
    });

    it('lists the camera in --auto-detect with gphoto2 column padding', async () => {
      const sim = newSim();
      const r = await sim.run(['--auto-detect']);
      assert.strictEqual(r.code, 0);
      assert.strictEqual(
        r.stdout.toString(),
        `${'Model'.padEnd(30)} ${'Port'.padEnd(16)}\n${'-'.repeat(58)}\n${MODEL.padEnd(30)} ${'usb:001,004'.padEnd(16)}\n`,
      );
    });

    it('prints a camera summary and releases the claim afterwards', async () => {
      const sim = newSim();
      const r = await sim.run([...SELECT, '--summary']);
      assert.strictEqual(r.code, 0, r.stderr);
      const out = r.stdout.toString();
      for (const line of [
        'Camera summary:',
        `Model: ${MODEL}`,
        'Manufacturer: ',
        '  Serial Number: ',
        'Capture Formats: ',
        'Device Capabilities:',
      ]) {
        assert.ok(out.includes(line), `summary lacks "${line}"`);
      }
      assert.ok(!lockExists(sim), 'device.lock left behind');
    });

    it('rejects an unknown option with popt usage on stderr and exit 1', async () => {
      const r = await newSim().run(['--bogus']);
      assert.strictEqual(r.code, 1);
      assert.match(r.stderr, /^Usage: gphoto2 \[-\?qvalLnPTDR\] \[-\?\|--help\]/);
      assert.strictEqual(r.stdout.length, 0);
    });

    it('rejects an unknown port and an unknown model like gphoto2', async () => {
      const sim = newSim();
      const port = await sim.run(['--port', 'foo:bar', '--summary']);
      assert.strictEqual(port.code, 1);
      assert.ok(port.stderr.startsWith("The port you specified ('foo:bar') can not be found."), port.stderr);
      assert.ok(port.stderr.includes("*** Error (-5: 'Unknown port') ***"));
      assert.ok(
        port.stdout
          .toString()
          .includes('    env LANG=C gphoto2 --debug --debug-logfile=my-logfile.txt --port foo:bar --summary\n'),
      );
      const model = await sim.run(['--camera', 'Nikon DSC D750', '--summary']);
      assert.strictEqual(model.code, 1);
      assert.strictEqual(model.stderr, "*** Error (-105: 'Unknown model') ***       \n\n");
    });

    it('takes --camera=VALUE / --port=VALUE (one argv element) like popt, and a value that looks like an option stays a value (as the real gphoto2 fixtures show)', async () => {
      const sim = newSim();
      const joined = await sim.run([`--camera=${MODEL}`, '--port=usb:001,004', '--summary']);
      assert.strictEqual(joined.code, 0, joined.stderr);
      assert.match(joined.stdout.toString(), /^Camera summary:/);
      // Real: camera-value-looks-like-option.json / port-value-looks-like-option.json.
      const model = await sim.run(['--camera=--version', '--summary']);
      assert.strictEqual(model.code, 1);
      assert.strictEqual(model.stderr, "*** Error (-105: 'Unknown model') ***       \n\n");
      assert.doesNotMatch(model.stdout.toString(), /^gphoto2 \d/m, 'not the --version option');
      assert.ok(
        model.stdout
          .toString()
          .includes('    env LANG=C gphoto2 --debug --debug-logfile=my-logfile.txt --camera=--version --summary\n'),
      );
      const port = await sim.run([`--camera=${MODEL}`, '--port=--help', '--summary']);
      assert.strictEqual(port.code, 1);
      assert.strictEqual(port.stderr, "*** Error (-5: 'Unknown port') ***       \n\n");
      assert.doesNotMatch(port.stdout.toString(), /^Usage:/m, 'not the --help option');
    });

    it('with --camera and --port, a port without the camera (or no camera) gives -2 as measured on 2.5.28; without --camera the detected port wins', async () => {
      const sim = newSim({ captureWidth: 64, captureHeight: 48 });
      const wrong = await sim.run(['--camera', MODEL, '--port', 'usb:001,009', '--summary']);
      assert.strictEqual(wrong.code, 1);
      assert.strictEqual(
        wrong.stderr,
        "\n*** Error ***              \nAn error occurred in the io-library ('Bad parameters'): No error description available\n*** Error (-2: 'Bad parameters') ***       \n\n",
      );
      const detected = await sim.run(['--port', 'usb:001,009', '--summary']);
      assert.strictEqual(detected.code, 0, detected.stderr);
      sim.configure({ noCamera: true });
      const capture = await sim.run([...SELECT, '--capture-image-and-download']);
      assert.strictEqual(capture.code, 0, 'gphoto2 exits 0: -2 is not one of the errors that end capture_generic()');
      assert.ok(
        capture.stderr.endsWith(
          "('Bad parameters'): No error description available\nERROR: Could not capture image.\nERROR: Could not capture.\n",
        ),
        capture.stderr,
      );
      assert.deepStrictEqual(fs.readdirSync(sim.cwd), []);
    });

    it('names its process gphoto2-sim for the reaper', async function () {
      if (process.platform !== 'linux') this.skip();
      const sim = newSim({ hang: true });
      const p = sim.start([...SELECT, '--summary']);
      await until('the camera claim', () => lockPid(sim) === p.child.pid);
      assert.strictEqual(fs.readFileSync(`/proc/${p.child.pid}/comm`, 'utf8').trim(), 'gphoto2-sim');
      p.child.kill('SIGKILL');
      await p.done;
    });
  });

  describe('capture and download', () => {
    it('downloads a real JPEG of the configured size with gphoto2 lines, then numbers continue across processes', async () => {
      const sim = newSim({ captureWidth: 320, captureHeight: 240 });
      const out = path.join(sim.cwd, 'shots');
      const first = await sim.run([...SELECT, '--capture-image-and-download', '--filename', `${out}/%f.%C`]);
      assert.strictEqual(first.code, 0, first.stderr);
      assert.strictEqual(
        first.stdout.toString(),
        'New file is in location /store_00010001/DCIM/100SIMUL/IMG_0001.JPG on the camera\n' +
          `Saving file as ${out}/IMG_0001.JPG\n` +
          'Deleting file /store_00010001/DCIM/100SIMUL/IMG_0001.JPG on the camera\n',
      );
      const img = decode(fs.readFileSync(path.join(out, 'IMG_0001.JPG')));
      assert.deepStrictEqual([img.width, img.height], [320, 240]);

      const second = await sim.run([...SELECT, '--capture-image-and-download', '--filename', `${out}/%f.%C`, '--keep']);
      assert.strictEqual(second.code, 0, second.stderr);
      assert.ok(
        second.stdout.toString().includes('Keeping file /store_00010001/DCIM/100SIMUL/IMG_0002.JPG on the camera\n'),
      );
      assert.deepStrictEqual(fs.readdirSync(out).sort(), ['IMG_0001.JPG', 'IMG_0002.JPG']);
      const piped = await sim.run([...SELECT, '--capture-image-and-download', '--stdout']);
      assert.strictEqual(piped.code, 0);
      assert.strictEqual(decode(piped.stdout).width, 320, '--stdout: nothing but the JPEG on stdout');
      const third = await sim.run([...SELECT, '--capture-image']);
      assert.strictEqual(
        third.stdout.toString(),
        'New file is in location /store_00010001/DCIM/100SIMUL/IMG_0004.JPG on the camera\n',
      );
      assert.ok(!lockExists(sim));
    });

    it('yields a .NEF (TIFF little-endian) and a .JPG with one number in RAW+JPEG mode', async () => {
      const sim = newSim({ raw: true, captureWidth: 320, captureHeight: 240 });
      const r = await sim.run([...SELECT, '--capture-image-and-download', '--filename', `${sim.cwd}/%f.%C`]);
      assert.strictEqual(r.code, 0, r.stderr);
      assert.deepStrictEqual(fs.readdirSync(sim.cwd).sort(), ['IMG_0001.JPG', 'IMG_0001.NEF']);
      const nef = fs.readFileSync(path.join(sim.cwd, 'IMG_0001.NEF'));
      assert.deepStrictEqual([...nef.subarray(0, 4)], [0x49, 0x49, 0x2a, 0x00]);
      assert.ok(nef.length > 100_000, `NEF only ${nef.length} bytes`);
      assert.strictEqual(decode(fs.readFileSync(path.join(sim.cwd, 'IMG_0001.JPG'))).width, 320);
      assert.strictEqual((r.stdout.toString().match(/^Saving file as /gm) ?? []).length, 2);
    });

    it("rawJpegGapMs: the JPEG comes that long after the NEF, with all of the NEF's lines first (capture_generic's order); over gphoto2's 3 s wait it stays on the card", async () => {
      const sim = newSim({ raw: true, rawJpegGapMs: 400, captureWidth: 64, captureHeight: 48 });
      const p = sim.start([...SELECT, '--capture-image-and-download', '--filename', `${sim.cwd}/%f.%C`]);
      await until('the NEF', () =>
        p.stdout().toString().includes('Deleting file /store_00010001/DCIM/100SIMUL/IMG_0001.NEF on the camera\n'),
      );
      assert.ok(!p.stdout().toString().includes('IMG_0001.JPG'), 'the JPEG is not announced during the pause');
      const r = await p.done;
      assert.strictEqual(r.code, 0, r.stderr);
      const lines = r.stdout
        .toString()
        .trim()
        .split('\n')
        .map((l) => l.replace(sim.cwd, '<CWD>'));
      assert.deepStrictEqual(lines, [
        'New file is in location /store_00010001/DCIM/100SIMUL/IMG_0001.NEF on the camera',
        'Saving file as <CWD>/IMG_0001.NEF',
        'Deleting file /store_00010001/DCIM/100SIMUL/IMG_0001.NEF on the camera',
        'New file is in location /store_00010001/DCIM/100SIMUL/IMG_0001.JPG on the camera',
        'Saving file as <CWD>/IMG_0001.JPG',
        'Deleting file /store_00010001/DCIM/100SIMUL/IMG_0001.JPG on the camera',
      ]);
      sim.configure({ raw: true, rawJpegGapMs: 3500, captureWidth: 64, captureHeight: 48 });
      const late = await sim.run([...SELECT, '--capture-image-and-download', '--filename', `${sim.cwd}/late-%f.%C`]);
      assert.strictEqual(late.code, 0, late.stderr);
      assert.ok(
        !late.stdout.toString().includes('IMG_0002.JPG'),
        'gphoto2 stopped waiting before the camera reported the JPEG',
      );
      assert.deepStrictEqual(
        fs.readdirSync(sim.cwd).filter((n) => n.startsWith('late-')),
        ['late-IMG_0002.NEF'],
      );
    });

    it('expands %n, %% and date fields of --filename like gphoto2', async () => {
      const sim = newSim({ captureWidth: 64, captureHeight: 48 });
      const r = await sim.run([
        ...SELECT,
        '--capture-image-and-download',
        '--filenumber',
        '7',
        '--filename',
        `${sim.cwd}/%Y-%m-%d_%03n_%%_%f.%C`,
      ]);
      assert.strictEqual(r.code, 0, r.stderr);
      const [name] = fs.readdirSync(sim.cwd);
      assert.match(name, /^\d{4}-\d\d-\d\d_007_%_IMG_0001\.JPG$/);
      const bad = await sim.run([...SELECT, '--capture-image-and-download', '--filename', `${sim.cwd}/%Q`]);
      assert.strictEqual(bad.code, 0);
      assert.ok(
        bad.stderr.includes(`Invalid format '${sim.cwd}/%Q' (error at position ${sim.cwd.length + 3}).`),
        bad.stderr,
      );
      assert.ok(bad.stderr.includes('ERROR: Could not get image.'));
    });

    it("expands % codes in the WHOLE --filename, folders too, with gphoto2 2.5.28's texts (real: vcamera-filename-*.json)", async () => {
      const sim = newSim({ captureWidth: 64, captureHeight: 48 });
      // "%/" in a folder is an invalid code; gphoto2 counts the position in bytes of the UTF-8 value.
      const bad = `${sim.cwd}/Film ß ø 日本 100%/st/%f.%C`;
      const r = await sim.run([...SELECT, '--capture-image-and-download', `--filename=${bad}`]);
      assert.strictEqual(r.code, 0);
      const at = Buffer.byteLength(`${sim.cwd}/Film ß ø 日本 100%`) + 1;
      assert.strictEqual(
        r.stderr,
        `\n*** Error ***              \nInvalid format '${Buffer.from(bad).toString('latin1')}' (error at position ${at}).\nERROR: Could not get image.\n`,
      );
      assert.ok(!r.stdout.toString().includes('Deleting file'), 'the image stays on the card');
      assert.deepStrictEqual(fs.readdirSync(sim.cwd), [], 'nothing saved, no folder made');
      // %% is a literal %, and missing folders are created; %d in a folder is the day of the month.
      const dayBefore = String(new Date().getDate()).padStart(2, '0');
      const ok = await sim.run([
        ...SELECT,
        '--capture-image-and-download',
        `--filename=${sim.cwd}/Film ß ø 日本 100%%/st-%d/%f.%C`,
      ]);
      assert.strictEqual(ok.code, 0, ok.stderr);
      const day = fs.existsSync(path.join(sim.cwd, 'Film ß ø 日本 100%', `st-${dayBefore}`))
        ? dayBefore
        : String(new Date().getDate()).padStart(2, '0');
      assert.ok(
        ok.stdout.toString().includes(`Saving file as ${sim.cwd}/Film ß ø 日本 100%/st-${day}/IMG_0002.JPG\n`),
        ok.stdout.toString(),
      );
      assert.ok(fs.existsSync(path.join(sim.cwd, 'Film ß ø 日本 100%', `st-${day}`, 'IMG_0002.JPG')));
    });

    it('asks before overwriting; with stdin closed it prints ERROR: Could not get image., exits 0 and keeps the file', async () => {
      const sim = newSim({ captureWidth: 64, captureHeight: 48 });
      const target = path.join(sim.cwd, 'frame.jpg');
      fs.writeFileSync(target, 'original');
      const r = await sim.run([...SELECT, '--capture-image-and-download', '--filename', target]);
      assert.strictEqual(r.code, 0);
      assert.ok(
        r.stdout.toString().endsWith(`\x07File ${target} exists. Overwrite? [y|n] `),
        JSON.stringify(r.stdout.toString()),
      );
      assert.ok(!r.stdout.toString().includes('Deleting file'));
      assert.strictEqual(r.stderr, 'ERROR: Could not get image.\n');
      assert.strictEqual(fs.readFileSync(target, 'utf8'), 'original');

      const yes = await sim.run([...SELECT, '--capture-image-and-download', '--filename', target], { stdin: 'y\n' });
      assert.strictEqual(yes.code, 0);
      assert.ok(yes.stdout.toString().includes(`Saving file as ${target}\n`));
      assert.strictEqual(decode(fs.readFileSync(target)).width, 64);

      fs.writeFileSync(target, 'original');
      const skip = await sim.run([...SELECT, '--capture-image-and-download', '--skip-existing', '--filename', target]);
      assert.ok(skip.stdout.toString().includes(`Skip existing file ${target}\n`));
      assert.strictEqual(fs.readFileSync(target, 'utf8'), 'original');

      const quiet = await sim.run([...SELECT, '-q', '--capture-image-and-download', '--filename', target]);
      assert.strictEqual(quiet.code, 0);
      assert.strictEqual(quiet.stdout.toString(), '/store_00010001/DCIM/100SIMUL/IMG_0004.JPG\n');
      assert.strictEqual(decode(fs.readFileSync(target)).width, 64, '-q must overwrite silently');
    });
  });

  describe('faults', () => {
    it('captureFailsExitZero: ERROR: Could not capture., exit 0, no file, no number used', async () => {
      const sim = newSim({ captureFailsExitZero: true });
      const r = await sim.run([...SELECT, '--capture-image-and-download', '--filename', `${sim.cwd}/%f.%C`]);
      assert.strictEqual(r.code, 0);
      assert.ok(r.stderr.endsWith('ERROR: Could not capture image.\nERROR: Could not capture.\n'), r.stderr);
      assert.deepStrictEqual(fs.readdirSync(sim.cwd), []);
      sim.configure({ captureWidth: 64, captureHeight: 48 }); // read again at the next start
      const ok = await sim.run([...SELECT, '--capture-image']);
      assert.ok(ok.stdout.toString().includes('IMG_0001.JPG'));
    });

    it('noCamera and busy fail with gphoto2 error blocks (-105, -110) and the debug paragraph', async () => {
      const sim = newSim({ noCamera: true });
      const none = await sim.run(['--summary']);
      assert.strictEqual(none.code, 1);
      assert.strictEqual(
        none.stderr,
        "\n*** Error ***              \nCould not detect any camera\n*** Error (-105: 'Unknown model') ***       \n\n",
      );
      assert.ok(none.stdout.toString().startsWith('For debugging messages, please use the --debug option.\n'));
      const detect = await sim.run(['--auto-detect']);
      assert.strictEqual(detect.stdout.toString().split('\n').length, 3, 'header, dashes, nothing else');

      sim.configure({ busy: true });
      const busy = await sim.run([...SELECT, '--capture-image']);
      assert.strictEqual(busy.code, 1);
      assert.match(
        busy.stderr,
        /\*\*\* Error \*\*\* +\nPTP Device Busy\nERROR: Could not capture image\.\nERROR: Could not capture\.\n\*\*\* Error \(-110: 'I\/O in progress'\) \*\*\*/,
      );
      assert.ok(!lockExists(sim));
    });

    it('cardFull fails the capture with -3', async () => {
      const r = await newSim({ cardFull: true }).run([...SELECT, '--capture-image-and-download']);
      assert.strictEqual(r.code, 1);
      assert.ok(r.stderr.includes("*** Error (-3: 'Out of memory') ***"), r.stderr);
    });

    it('garbage prints non-gphoto2 output on both streams, exits 0 and writes nothing', async () => {
      const sim = newSim({ garbage: true });
      const r = await sim.run([...SELECT, '--capture-image-and-download', '--filename', `${sim.cwd}/%f.%C`]);
      assert.strictEqual(r.code, 0);
      assert.ok(r.stdout.length > 0 && r.stderr.length > 0);
      assert.ok(!/New file|Saving file|\*\*\* Error/.test(r.stdout.toString('latin1') + r.stderr));
      assert.deepStrictEqual(fs.readdirSync(sim.cwd), []);
    });

    it('dieMidDownload leaves a truncated, undecodable file, dies by SIGKILL, and the next run takes the stale lock over', async () => {
      const sim = newSim({ dieMidDownload: true });
      const target = path.join(sim.cwd, 'IMG_0001.JPG');
      const r = await sim.run([...SELECT, '--capture-image-and-download', '--filename', `${sim.cwd}/%f.%C`]);
      assert.strictEqual(r.signal, 'SIGKILL');
      const partial = fs.readFileSync(target);
      assert.ok(partial.length > 1000, `only ${partial.length} bytes written`);
      assert.notDeepStrictEqual([...partial.subarray(-2)], [0xff, 0xd9], 'the file is complete');
      assert.throws(() => decode(partial));
      assert.ok(lockExists(sim), 'a SIGKILLed process cannot release its claim');

      sim.configure({ captureWidth: 64, captureHeight: 48 });
      const next = await sim.run([
        ...SELECT,
        '--capture-image-and-download',
        '--force-overwrite',
        '--filename',
        `${sim.cwd}/%f.%C`,
      ]);
      assert.strictEqual(next.code, 0, next.stderr);
      assert.ok(next.stdout.toString().includes('IMG_0002.JPG'));
      assert.ok(!lockExists(sim));
    });

    it('noLiveView: --capture-preview fails with -6, --capture-movie writes nothing and exits 0', async () => {
      const sim = newSim({ noLiveView: true });
      const preview = await sim.run([...SELECT, '--capture-preview']);
      assert.strictEqual(preview.code, 1);
      assert.ok(
        preview.stderr.includes(
          "Sorry, your Nikon camera does not support LiveView mode\n*** Error (-6: 'Unsupported operation') ***",
        ),
      );
      const movie = await sim.run([...SELECT, '--capture-movie', '--stdout']);
      assert.strictEqual(movie.code, 0);
      assert.strictEqual(movie.stdout.length, 0);
      assert.ok(
        movie.stderr.endsWith('ERROR: Movie capture error... Exiting.\nMovie capture finished (0 frames)\n'),
        movie.stderr,
      );
    });
  });

  describe('device lock and signals', () => {
    it('a second simulator fails with the -53 claim error while the first lingers; SIGINT ends the linger and frees the lock', async () => {
      const sim = newSim({ lingerMs: -1 });
      const holder = sim.start([...SELECT, '--summary']);
      await until('the first simulator to finish its output', () =>
        holder.stdout().toString().includes('Camera summary:'),
      );
      assert.strictEqual(lockPid(sim), holder.child.pid);

      sim.configure({});
      const second = await sim.run([...SELECT, '--capture-image']);
      assert.strictEqual(second.code, 1);
      assert.strictEqual(
        second.stderr,
        `\n*** Error ***              \n${CLAIM_TEXT}\nERROR: Could not capture image.\nERROR: Could not capture.\n*** Error (-53: 'Could not claim the USB device') ***       \n\n`,
      );
      assert.ok(second.stdout.toString().startsWith('For debugging messages, please use the --debug option.\n'));
      const enumerate = await sim.run(['--auto-detect']);
      assert.strictEqual(enumerate.code, 0, '--auto-detect only enumerates and must not need the claim');

      holder.child.kill('SIGINT');
      const end = await holder.done;
      assert.strictEqual(end.code, 0, 'the work had finished; the linger ends with its exit code');
      assert.ok(end.stdout.toString().endsWith('\nCancelling...\n'));
      assert.ok(!lockExists(sim));
    });

    it('SIGINT during a hang prints Cancelling..., exits 1 and releases the lock', async () => {
      const sim = newSim({ hang: true });
      const p = sim.start([...SELECT, '--summary']);
      await until('the camera claim', () => lockPid(sim) === p.child.pid);
      p.child.kill('SIGINT');
      const r = await p.done;
      assert.strictEqual(r.code, 1);
      assert.strictEqual(r.stdout.toString(), '\nCancelling...\n');
      assert.strictEqual(r.stderr, 'Operation cancelled.\n');
      assert.ok(!lockExists(sim));
    });

    it('the first signal does not interrupt the overwrite question (as fgets restarts); a second one aborts at once', async () => {
      const sim = newSim({ captureWidth: 64, captureHeight: 48 });
      const target = path.join(sim.cwd, 'x.jpg');
      fs.writeFileSync(target, 'original');
      const p = sim.start([...SELECT, '--capture-image-and-download', '--filename', target], { keepStdinOpen: true });
      await until('the overwrite question', () => p.stdout().toString().endsWith('Overwrite? [y|n] '));
      p.child.kill('SIGTERM');
      await until('Cancelling...', () => p.stdout().toString().endsWith('\nCancelling...\n'));
      assert.strictEqual(p.child.exitCode, null, 'still waiting for an answer');
      p.child.kill('SIGTERM');
      const r = await p.done;
      assert.strictEqual(r.code, 1);
      assert.ok(
        r.stdout.toString().endsWith('\nCancelling...\n\nAborting...\nAborted.\n'),
        JSON.stringify(r.stdout.toString()),
      );
      assert.strictEqual(fs.readFileSync(target, 'utf8'), 'original');
      assert.ok(!lockExists(sim));
    });

    it('takes over the stale lock of a SIGKILLed simulator, and of several racing simulators exactly one wins', async () => {
      const sim = newSim({ hang: true });
      const dead = sim.start([...SELECT, '--summary']);
      await until('the camera claim', () => lockPid(sim) === dead.child.pid);
      dead.child.kill('SIGKILL');
      await dead.done;
      assert.strictEqual(lockPid(sim), dead.child.pid, 'the stale lock stays behind');

      sim.configure({ lingerMs: 1500 });
      // Each racer pauses 400 ms between finding the stale lock and acting on it, so all four act on the same stale lock.
      const racers = [0, 1, 2, 3].map(() =>
        sim.start([...SELECT, '--summary'], { env: { CAMERA_TETHER_SIM_LOCK_RACE_MS: '400' } }),
      );
      const results = await Promise.all(racers.map((r) => r.done));
      const winners = results.filter((r) => r.code === 0);
      const losers = results.filter(
        (r) => r.code === 1 && r.stderr.includes("*** Error (-53: 'Could not claim the USB device') ***"),
      );
      assert.strictEqual(winners.length, 1, results.map((r) => `${r.code}: ${r.stderr}`).join('\n'));
      assert.strictEqual(losers.length, 3);
      assert.ok(!lockExists(sim));
      assert.deepStrictEqual(
        fs.readdirSync(sim.home).filter((f) => f.startsWith('device.lock')),
        [],
        'no takeover or temp files left',
      );
    });

    it('the takeover sweeps temp files a killed owner left between linking and unlinking, not those of live pids', async () => {
      const sim = newSim();
      const deadPid = spawnSync('true').pid;
      assert.throws(() => process.kill(deadPid, 0), /ESRCH/, 'the pid is gone');
      // What a simulator SIGKILLed right after link(2) leaves: the lock and its still-linked temp file.
      fs.writeFileSync(path.join(sim.home, 'device.lock'), `${deadPid}\n`);
      fs.writeFileSync(path.join(sim.home, `device.lock.${deadPid}.k1lled.tmp`), `${deadPid}\n`);
      fs.writeFileSync(path.join(sim.home, `device.lock.takeover-7.${deadPid}.k2lled.tmp`), `${deadPid}\n`);
      const liveTemp = `device.lock.${process.pid}.writing.tmp`;
      fs.writeFileSync(path.join(sim.home, liveTemp), `${process.pid}\n`);
      const r = await sim.run([...SELECT, '--summary']);
      assert.strictEqual(r.code, 0, r.stderr);
      assert.deepStrictEqual(
        fs.readdirSync(sim.home).filter((f) => f.startsWith('device.lock')),
        [liveTemp],
      );
    });

    it('a download cancelled mid-transfer leaves no file and exits 1', async () => {
      const sim = newSim({ transferMs: 3000, captureWidth: 320, captureHeight: 240 });
      const p = sim.start([...SELECT, '--capture-image-and-download', '--filename', `${sim.cwd}/%f.%C`]);
      await until('the transfer to start', () => p.stdout().toString().includes('Saving file as'));
      await until('a partial file', () => fs.existsSync(path.join(sim.cwd, 'IMG_0001.JPG')));
      p.child.kill('SIGINT');
      const r = await p.done;
      assert.strictEqual(r.code, 1);
      assert.ok(r.stderr.endsWith('Operation cancelled.\n'), r.stderr);
      assert.deepStrictEqual(fs.readdirSync(sim.cwd), []);
      assert.ok(!lockExists(sim));
    });
  });

  describe('preview and live view', () => {
    it('saves capture_preview.jpg in the cwd by default, and thumb_X with previewThumbPrefix', async () => {
      const sim = newSim({ previewWidth: 160, previewHeight: 106 });
      const r = await sim.run([...SELECT, '--capture-preview']);
      assert.strictEqual(r.code, 0, r.stderr);
      assert.strictEqual(r.stdout.toString(), 'Saving file as capture_preview.jpg\n');
      const img = decode(fs.readFileSync(path.join(sim.cwd, 'capture_preview.jpg')));
      assert.deepStrictEqual([img.width, img.height], [160, 106]);

      sim.configure({ previewThumbPrefix: true });
      const wanted = path.join(sim.cwd, 'p', 'preview.jpg');
      const thumb = await sim.run([...SELECT, '--capture-preview', '--filename', wanted]);
      const saved = path.join(sim.cwd, 'p', 'thumb_preview.jpg');
      assert.strictEqual(thumb.stdout.toString(), `Saving file as ${saved}\n`);
      assert.ok(fs.existsSync(saved) && !fs.existsSync(wanted));

      const stdout = await sim.run([...SELECT, '--capture-preview', '--stdout']);
      assert.strictEqual(decode(stdout.stdout).width, 640);
    });

    it('streams decodable, changing JPEG frames until SIGINT, then reports the frame count and frees the lock', async () => {
      const sim = newSim({ liveViewWidth: 160, liveViewHeight: 120, liveViewFps: 30 });
      const p = sim.start([...SELECT, '--capture-movie', '--stdout']);
      await until('5 frames', () => splitJpegs(p.stdout()).length >= 5);
      assert.strictEqual(lockPid(sim), p.child.pid);
      p.child.kill('SIGINT');
      const r = await p.done;
      assert.strictEqual(r.code, 0);
      const frames = splitJpegs(r.stdout);
      assert.strictEqual(
        r.stderr.split('\n')[0],
        "Capturing preview frames as movie to 'stdout'. Press Ctrl-C to abort.",
      );
      assert.ok(
        r.stderr.endsWith(`Ctrl-C pressed ... Exiting.\nMovie capture finished (${frames.length} frames)\n`),
        r.stderr,
      );
      assert.ok(!r.stdout.toString('latin1').includes('Cancelling'), '--stdout is quiet: nothing but frames on stdout');
      const pixels = frames.slice(0, 5).map((f) => {
        const img = decode(f);
        assert.deepStrictEqual([img.width, img.height], [160, 120]);
        return Buffer.from(img.data);
      });
      for (let i = 1; i < pixels.length; i++)
        assert.ok(!pixels[i].equals(pixels[i - 1]), `frames ${i - 1} and ${i} are identical`);
      assert.ok(!lockExists(sim));
    });

    it('liveViewCorruptEvery makes every Nth frame a complete but undecodable JPEG', async () => {
      const sim = newSim({ liveViewWidth: 64, liveViewHeight: 48, liveViewFps: 100, liveViewCorruptEvery: 3 });
      const r = await sim.run([...SELECT, '--capture-movie=8', '--stdout']);
      assert.strictEqual(r.code, 0, r.stderr);
      // Cut by the extension's own splitter, which walks the JPEG structure: the bad frames pass it.
      const frames: Buffer[] = [];
      new JpegSplitter((f) => frames.push(Buffer.from(f))).push(r.stdout);
      const decodable = frames.map((f) => {
        try {
          decode(f);
          return true;
        } catch {
          return false;
        }
      });
      assert.deepStrictEqual(decodable, [true, true, false, true, true, false, true, true, false]);
    });

    it('liveViewFrameLoop replays the first N frames byte for byte; 0 draws every frame', async () => {
      const looped = newSim({ liveViewWidth: 64, liveViewHeight: 48, liveViewFps: 100, liveViewFrameLoop: 3 });
      const r = await looped.run([...SELECT, '--capture-movie=6', '--stdout']);
      assert.strictEqual(r.code, 0, r.stderr);
      const frames = splitJpegs(r.stdout);
      assert.strictEqual(frames.length, 7);
      for (let i = 3; i < frames.length; i++) assert.ok(frames[i].equals(frames[i - 3]), `frame ${i} replays ${i - 3}`);
      assert.ok(!frames[0].equals(frames[1]) && !frames[1].equals(frames[2]), 'the loop holds different frames');
      const bad = newSim({ liveViewFrameLoop: -1 });
      const refused = await bad.run([...SELECT, '--capture-movie=1', '--stdout']);
      assert.notStrictEqual(refused.code, 0);
      assert.match(
        refused.stderr,
        /"liveViewFrameLoop" must be 0 \(draw every frame\) or a whole number of frames up to 240/,
      );
    });

    it("--capture-movie=N stops by itself after gphoto2's N+1 frames", async () => {
      const sim = newSim({ liveViewWidth: 64, liveViewHeight: 48, liveViewFps: 100 });
      const r = await sim.run([...SELECT, '--capture-movie=3', '--stdout']);
      assert.strictEqual(r.code, 0);
      assert.strictEqual(splitJpegs(r.stdout).length, 4);
      assert.strictEqual(
        r.stderr,
        "Capturing 3 preview frames as movie to 'stdout'.\nMovie capture finished (4 frames)\n",
      );
    });
  });
});
