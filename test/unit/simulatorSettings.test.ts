// The simulator's camera settings (issue 11): its configuration tree (a Nikon-like body with RADIO,
// MENU, RANGE, TOGGLE, TEXT and DATE widgets, read-only battery and shots left, a mode dial),
// values kept across processes, gphoto2's refusal texts and exit codes as the real binary printed
// them with libgphoto2's virtual camera (test/fixtures/gphoto2/vcamera-*), the settings jobs
// driving it, and captures that carry their exposure in EXIF (read back with exiftool).
// Build first: `node esbuild.js --tests`.
import * as assert from 'assert';
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import {
  checkExposureLock,
  lockedExposure,
  parseConfigListing,
  parseGetConfigBlocks,
  readCameraSettings,
  settingsFromWidgets,
  withExposureLock,
  writeCameraSettings,
  type RunGphoto2,
} from '../../src/camera/config';
import { CameraError } from '../../src/camera/errors';
import * as gp from '../../src/camera/gphoto2';
import { ProcessRunner } from '../../src/camera/processRunner';
import { fixture } from '../support/fixtures';
import { SimulatorHarness, tempDir } from '../support/simulatorHarness';

const SELECTION = { model: 'Camera Tether Simulator', port: 'usb:001,004' };
const SELECT_ARGS = gp.selectionArgs(SELECTION);

interface Ran {
  stdout: string;
  stderr: string;
  exitCode: number | null;
}

describe('simulator: camera settings', function () {
  this.timeout(60_000);
  const runner = new ProcessRunner();
  let sim: SimulatorHarness;
  let shots: string;

  const raw = async (args: string[]): Promise<Ran> => {
    const r = await runner.start(sim.program.command, [...sim.program.prefixArgs, ...args], {
      timeoutMs: 30_000,
      graceMs: 2000,
      env: sim.program.env,
      cwd: sim.home,
    }).result;
    return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode ?? null };
  };
  /** The simulator with the camera selected, as the settings jobs would run it. */
  const simRun = (args: string[]): Promise<Ran> => raw([...SELECT_ARGS, ...args]);
  const jobRun: RunGphoto2 = (_label, args) => raw(args);
  const current = async (name: string): Promise<string> => {
    const r = await simRun([`--get-config=${name}`]);
    assert.strictEqual(r.exitCode, 0, r.stderr);
    return parseGetConfigBlocks(r.stdout)[0]?.current ?? '(no block)';
  };

  beforeEach(async () => {
    sim = await SimulatorHarness.create({});
    shots = await tempDir('ct-sim-shots-');
  });
  afterEach(async () => {
    await sim.dispose();
    fs.rmSync(shots, { recursive: true, force: true });
  });
  after(async () => runner.dispose());

  describe('the tree', () => {
    it('lists every widget with its block, in one run, with all six widget types', async () => {
      const r = await simRun(['--list-all-config']);
      assert.strictEqual(r.exitCode, 0, r.stderr);
      const widgets = parseConfigListing(r.stdout);
      assert.strictEqual(widgets.length, r.stdout.split('\n').filter((l) => l.startsWith('/main/')).length);
      assert.deepStrictEqual(
        new Set(widgets.map((w) => w.type)),
        new Set(['toggle', 'date', 'radio', 'text', 'range', 'menu']),
      );
      // --list-config: the same paths, no blocks.
      const list = await simRun(['--list-config']);
      assert.deepStrictEqual(
        list.stdout.trim().split('\n'),
        widgets.map((w) => w.path),
      );
    });

    it('gives every role of the panel a setting, with read-only battery and shots left', async () => {
      const settings = await readCameraSettings(jobRun, SELECTION);
      const roles = Object.fromEntries(
        settings.filter((s) => s.role).map((s) => [s.role, [s.name, s.value, s.readonly]]),
      );
      assert.deepStrictEqual(roles, {
        iso: ['iso', '100', false],
        shutter: ['shutterspeed', '0.0166s', false],
        aperture: ['f-number', 'f/5.6', false],
        exposureCompensation: ['exposurecompensation', '0', false],
        whiteBalance: ['whitebalance', 'Automatic', false],
        imageFormat: ['imageformat', 'JPEG Fine', false],
        focusMode: ['focusmode', 'AF-S', false],
        driveMode: ['capturemode', 'Single Shot', false],
        battery: ['batterylevel', '100%', true],
        freeSpace: ['availableshots', '7081', true],
      });
      const shots = settings.find((s) => s.name === 'availableshots');
      assert.deepStrictEqual([shots?.type, shots?.min, shots?.max, shots?.step], ['range', 0, 4.29497e9, 1]);
    });

    it('prints blocks in the real format: DATE Printable and Help, then an empty line (as vcamera-list-all-config)', async () => {
      const sim = await simRun(['--get-config=datetime']);
      const real = fixture('vcamera-list-all-config').stdout;
      const shape = (text: string): string[] =>
        text
          .slice(text.indexOf('Label: Camera Date and Time'))
          .split('\n')
          .slice(0, 8)
          .map((l) => l.replace(/: .*/, ':'));
      assert.deepStrictEqual(shape(sim.stdout), shape(real));
      assert.match(
        sim.stdout,
        /^Printable: (Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}$/m,
      );
    });
  });

  describe("gphoto2's texts and exit codes (each vcamera fixture's argv, on the simulator)", () => {
    // [fixture, the simulator's argv when the virtual camera's widget does not exist here]
    const cases: Array<[string, string[] | undefined]> = [
      ['vcamera-set-config-value-refused', undefined],
      ['vcamera-set-config-value-refused-alone', undefined],
      ['vcamera-set-config-value-read-only', undefined],
      ['vcamera-set-config-read-only', undefined],
      ['vcamera-set-config-index-bad', undefined],
      ['vcamera-set-config-value-unknown-name', undefined],
      // The virtual camera's fastfs TOGGLE is autofocusdrive here.
      [
        'vcamera-set-config-value-toggle-bad',
        ['--set-config-value=autofocusdrive=maybe', '--get-config=autofocusdrive'],
      ],
    ];
    for (const [name, argv] of cases) {
      it(`${name}: the same exit code and stderr texts`, async () => {
        const f = fixture(name);
        const r = await simRun(argv ?? f.args.slice(4));
        assert.strictEqual(r.exitCode, f.exitCode, `${r.stdout}\n${r.stderr}`);
        // Every stderr line of the real run, padding included (blank lines aside).
        const lines = (t: string): string[] => t.split('\n').filter((l) => l.trim() !== '');
        assert.deepStrictEqual(lines(r.stderr), lines(f.stderr));
        assert.strictEqual(parseGetConfigBlocks(r.stdout).length, parseGetConfigBlocks(f.stdout).length);
        if (f.exitCode !== 0) assert.match(r.stdout, /^For debugging messages, please use the --debug option\.$/m);
      });
    }

    it('a write by path is refused silently (libgphoto2 sets the whole tree), as the real binary does', async () => {
      const r = await simRun(['--set-config-value=/main/capturesettings/f-number=banana', '--get-config=f-number']);
      assert.deepStrictEqual([r.exitCode, r.stderr], [0, '']);
      assert.strictEqual(parseGetConfigBlocks(r.stdout)[0].current, 'f/5.6');
    });

    it('rounds shutter speed and exposure compensation to the nearest offered value (libgphoto2 _put_ExpTime, _put_ExpCompensation)', async () => {
      const r = await simRun([
        '--set-config-value=shutterspeed=1/125',
        '--set-config-value=exposurecompensation=0.7',
        '--get-config=shutterspeed',
        '--get-config=exposurecompensation',
      ]);
      assert.deepStrictEqual(
        parseGetConfigBlocks(r.stdout).map((b) => b.current),
        ['0.0080s', '0.666'],
      );
    });

    it('an f-number the camera does not offer: the PTP refusal, then the refused-write texts', async () => {
      const r = await simRun(['--set-config-value=f-number=f/7', '--get-config=f-number']);
      assert.strictEqual(r.exitCode, 0);
      assert.deepStrictEqual(
        r.stderr.split('\n').filter((l) => l && !l.startsWith('***')),
        [
          "The property 'F-Number' / 0x5007 was not set (0x201c: PTP Invalid Device Prop Value)",
          "Property 'f-number' not found.",
          'Failed to set new configuration value f/7 for configuration entry f-number.',
        ],
      );
    });

    it('the raw MENU view /main/other/5007 sets the same property; an unoffered value is refused but exits 0', async () => {
      const ok = await simRun(['--set-config-value=5007=800', '--get-config=f-number']);
      assert.strictEqual(parseGetConfigBlocks(ok.stdout)[0].current, 'f/8');
      const refused = await simRun(['--set-config-value=5007=700']);
      assert.strictEqual(refused.exitCode, 0);
      assert.match(
        refused.stderr,
        /The property 'F-Number' \/ 0x5007 was not set \(0x201c: PTP Invalid Device Prop Value\)\.$/m,
      );
    });
  });

  describe('the mode dial', () => {
    it('A makes the shutter speed read-only, S the aperture, P both, Auto also ISO and compensation', async () => {
      const expect: Record<string, string[]> = {
        M: [],
        A: ['shutterspeed'],
        S: ['f-number'],
        P: ['f-number', 'shutterspeed'],
        Auto: ['iso', 'exposurecompensation', 'f-number', 'shutterspeed'],
      };
      for (const [mode, readonly] of Object.entries(expect)) {
        const set = await simRun([`--set-config-value=expprogram=${mode}`]);
        assert.strictEqual(set.exitCode, 0, set.stderr);
        const settings = await readCameraSettings(jobRun, SELECTION);
        const ro = settings
          .filter((s) => s.readonly && ['iso', 'exposurecompensation', 'f-number', 'shutterspeed'].includes(s.name))
          .map((s) => s.name);
        assert.deepStrictEqual(ro, readonly, mode);
        for (const s of settings.filter((x) => readonly.includes(x.name)))
          assert.match(s.disabledReason ?? '', new RegExp(`mode dial is at ${mode}, so the camera sets the`), s.name);
      }
    });

    it("a write the dial forbids fails with the camera's read-only text, and the job's typed error says why", async () => {
      await simRun(['--set-config-value=expprogram=P']);
      const r = await simRun(['--set-config-value=f-number=f/8']);
      assert.strictEqual(r.exitCode, 1);
      assert.match(r.stderr, /Sorry, the property 'F-Number' \/ 0x5007 is currently read-only\./);
      assert.match(r.stderr, /\*\*\* Error \(-2: 'Bad parameters'\) \*\*\*/);
      // Planned against a stale read (taken in M): the camera's own refusal becomes the typed error.
      await simRun(['--set-config-value=expprogram=M']);
      const stale = await readCameraSettings(jobRun, SELECTION);
      await simRun(['--set-config-value=expprogram=P']);
      await assert.rejects(
        writeCameraSettings(jobRun, SELECTION, { name: 'aperture', value: 'f/8' }, stale),
        (e: CameraError) => e.details.cameraSetting?.problem === 'readOnly' && /turn it to M/.test(e.message),
      );
      // Planned against a fresh read: refused before gphoto2 runs, with the dial named.
      const fresh = await readCameraSettings(jobRun, SELECTION);
      await assert.rejects(
        writeCameraSettings(jobRun, SELECTION, { name: 'aperture', value: 'f/8' }, fresh),
        (e: CameraError) => /mode dial is at P, so the camera sets the aperture itself/.test(e.message),
      );
    });
  });

  describe('values across processes and the jobs', () => {
    it('keeps written values in the state folder across processes (config-values.json)', async () => {
      const w = await simRun(['--set-config-value=f-number=f/8', '--set-config-value=iso=400']);
      assert.strictEqual(w.exitCode, 0, w.stderr);
      assert.strictEqual(await current('f-number'), 'f/8');
      assert.strictEqual(await current('iso'), '400');
      assert.deepStrictEqual(JSON.parse(fs.readFileSync(path.join(sim.home, 'config-values.json'), 'utf8')), {
        fnumber: 800,
        iso: 400,
      });
    });

    it('writes several settings and reads them back in one run through writeCameraSettings', async () => {
      const settings = await readCameraSettings(jobRun, SELECTION);
      const r = await writeCameraSettings(
        jobRun,
        SELECTION,
        [
          { name: 'aperture', value: 'f/11' },
          { name: 'shutter', value: '0.0080s' },
          { name: 'iso', value: 800 },
          { name: 'whiteBalance', value: 'Daylight' },
        ],
        settings,
      );
      assert.deepStrictEqual(
        r.applied.map((a) => [a.name, a.value]),
        [
          ['f-number', 'f/11'],
          ['shutterspeed', '0.0080s'],
          ['iso', '800'],
          ['whitebalance', 'Daylight'],
        ],
      );
    });

    it('the image format decides the files: NEF+JPEG, NEF only, JPEG', async () => {
      const files = async (format: string): Promise<string[]> => {
        const dir = path.join(shots, format.replace(/\W/g, ''));
        const r = await simRun([
          `--set-config-value=imageformat=${format}`,
          '--capture-image-and-download',
          `--filename=${dir}/%f.%C`,
        ]);
        assert.strictEqual(r.exitCode, 0, r.stderr);
        return fs
          .readdirSync(dir)
          .map((f) => path.extname(f))
          .sort();
      };
      assert.deepStrictEqual(await files('NEF+Fine'), ['.JPG', '.NEF']);
      assert.deepStrictEqual(await files('NEF (Raw)'), ['.NEF']);
      assert.deepStrictEqual(await files('JPEG Basic'), ['.JPG']);
    });

    it('the summary shows the values as set', async () => {
      await simRun(['--set-config-value=f-number=f/8']);
      const r = await simRun(['--summary']);
      assert.match(r.stdout, /^F-Number\(0x5007\):.*value: f\/8 \(800\)$/m);
    });
  });

  describe('captures carry their exposure in EXIF (exiftool)', function () {
    let exiftool = true;
    before(function () {
      const probe = spawnSync('exiftool', ['-ver'], { encoding: 'utf8' });
      if (probe.error || probe.status !== 0) {
        exiftool = false;
        console.log('      (skipped: exiftool is not installed; apt-get install libimage-exiftool-perl)');
        this.skip();
      }
    });

    const exif = (file: string): Record<string, unknown> => {
      const out = execFileSync(
        'exiftool',
        [
          '-json',
          '-n',
          '-Make',
          '-Model',
          '-ExposureTime',
          '-FNumber',
          '-ISO',
          '-ExposureCompensation',
          '-ExposureProgram',
          '-WhiteBalance',
          file,
        ],
        { encoding: 'utf8' },
      );
      const [tags] = JSON.parse(out) as Array<Record<string, unknown>>;
      delete tags.SourceFile;
      return tags;
    };

    it('records ISO, exposure time and f-number as set (a valid Exif block: exiftool -validate is OK)', async () => {
      assert.ok(exiftool);
      const r = await simRun([
        '--set-config-value=f-number=f/8',
        '--set-config-value=shutterspeed=0.0080s',
        '--set-config-value=iso=400',
        '--set-config-value=exposurecompensation=-0.333',
        '--set-config-value=whitebalance=Daylight',
        '--capture-image-and-download',
        `--filename=${shots}/%f.%C`,
      ]);
      assert.strictEqual(r.exitCode, 0, r.stderr);
      const file = path.join(shots, 'IMG_0001.JPG');
      assert.deepStrictEqual(exif(file), {
        Make: 'Camera Tether',
        Model: 'Camera Tether Simulator',
        ExposureTime: 0.008,
        FNumber: 8,
        ISO: 400,
        ExposureCompensation: -0.333,
        ExposureProgram: 1,
        WhiteBalance: 1,
      });
      const validate = execFileSync('exiftool', ['-validate', '-warning', '-a', '-s3', file], { encoding: 'utf8' });
      assert.strictEqual(validate.trim(), 'OK');
    });

    it('a roll locked at f/8 1/125 ISO 400 keeps it although the dial was bumped between frames', async () => {
      await simRun([
        '--set-config-value=f-number=f/8',
        '--set-config-value=shutterspeed=1/125',
        '--set-config-value=iso=400',
      ]);
      const settings = await readCameraSettings(jobRun, SELECTION);
      const { locked } = lockedExposure(settings);
      // Someone turns the aperture ring and the ISO dial (another process, as a real body keeps it).
      const bump = await simRun(['--set-config-value=f-number=f/2.8', '--set-config-value=iso=3200']);
      assert.strictEqual(bump.exitCode, 0, bump.stderr);
      const args = withExposureLock(gp.captureAndDownloadArgs(SELECTION, shots, false), locked);
      const r = await jobRun('Capture', args);
      assert.strictEqual(r.exitCode, 0, r.stderr);
      const check = checkExposureLock(locked, r);
      assert.ok(check.ok, JSON.stringify(check));
      assert.deepStrictEqual(
        check.values.map((v) => [v.name, v.readBack]),
        locked.map((p) => [p.name, p.requested]),
      );
      const [file] = gp.parseSavedFiles(r.stdout);
      const tags = exif(file);
      assert.deepStrictEqual([tags.FNumber, tags.ExposureTime, tags.ISO], [8, 0.008, 400]);
    });

    it('without the lock the bumped values are what the frame gets (the test above can fail)', async () => {
      await simRun(['--set-config-value=f-number=f/2.8', '--set-config-value=iso=3200']);
      const r = await simRun(['--capture-image-and-download', `--filename=${shots}/%f.%C`]);
      const tags = exif(gp.parseSavedFiles(r.stdout)[0]);
      assert.deepStrictEqual([tags.FNumber, tags.ISO], [2.8, 3200]);
    });
  });

  it('parses its own listing into the model without surprises (settingsFromWidgets, paths unique)', async () => {
    const r = await simRun(['--list-all-config']);
    const settings = settingsFromWidgets(parseConfigListing(r.stdout));
    assert.strictEqual(new Set(settings.map((s) => s.path)).size, settings.length);
    assert.ok(
      settings.every((s) => s.type !== 'radio' || (s.choices ?? []).includes(s.value)),
      'every current value is a choice',
    );
  });
});
