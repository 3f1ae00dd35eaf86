// The settings jobs driving Debian's real /usr/bin/gphoto2 against libgphoto2's virtual camera
// (an emulated Nikon D750, see test/support/vcamera.ts), through the project's ProcessRunner: read
// everything in one run, set f-number and read it back in that same run, refuse a bad value, and
// apply the exposure lock inside a capture's own run. The virtual camera starts fresh in every
// process (f/2.8), which is why a write is only checked in its own run.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  checkExposureLock,
  planWrites,
  readCameraSettings,
  withExposureLock,
  writeCameraSettings,
  type CameraSetting,
  type RunGphoto2,
} from '../../src/camera/config';
import { CameraError } from '../../src/camera/errors';
import * as gp from '../../src/camera/gphoto2';
import { ProcessRunner } from '../../src/camera/processRunner';
import {
  vcameraDownloadsUnavailableReason,
  vcameraGphoto2,
  vcameraUnavailableReason,
  type VcameraGphoto2,
} from '../support/vcamera';

const SELECTION = { model: 'Nikon DSC D750', port: 'usb:>/dev/null' };

describe('camera settings: real gphoto2 2.5.28 + libgphoto2 virtual camera', function () {
  this.timeout(60_000);
  let vc: VcameraGphoto2 | undefined;
  const runner = new ProcessRunner();
  const calls: string[][] = [];
  let settings: CameraSetting[] = [];

  /** The runner the jobs get: every run that ends is handed back, whatever its exit code. */
  const run: RunGphoto2 = async (_label, args) => {
    if (!vc) throw new Error('no virtual camera');
    calls.push(args);
    const r = await runner.start(vc.command, args, {
      timeoutMs: 30_000,
      graceMs: 2000,
      cwd: vc.cwd,
      env: { ...vc.env, LANG: 'C', LC_ALL: 'C' },
    }).result;
    return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode ?? null };
  };
  /** The queue's kind of runner: gphoto2's error texts become a thrown CameraError. */
  const throwingRun: RunGphoto2 = async (label, args) => {
    const r = await run(label, args);
    const error = gp.classifyOutcome(
      { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode ?? undefined, timedOut: false, cancelled: false },
      { job: label, command: 'gphoto2', timeoutMs: 30_000 },
    );
    if (error) throw error;
    return r;
  };

  before(function () {
    const reason = vcameraUnavailableReason();
    if (reason) {
      console.log(`      (skipped: ${reason})`);
      this.skip();
    }
    vc = vcameraGphoto2();
  });

  after(async () => {
    await runner.dispose();
    if (vc) fs.rmSync(vc.env.HOME, { recursive: true, force: true });
  });

  beforeEach(() => (calls.length = 0));

  it('reads the whole configuration in one gphoto2 run', async () => {
    settings = await readCameraSettings(run, SELECTION);
    assert.strictEqual(calls.length, 1);
    assert.deepStrictEqual(calls[0], ['--camera=Nikon DSC D750', '--port=usb:>/dev/null', '--list-all-config']);
    const aperture = settings.find((s) => s.role === 'aperture');
    assert.deepStrictEqual(aperture && [aperture.name, aperture.value, aperture.choices?.length], [
      'f-number',
      'f/2.8',
      18,
    ]);
    assert.strictEqual(settings.find((s) => s.role === 'battery')?.readonly, true);
  });

  it('sets f-number and reads it back in the same run', async () => {
    const r = await writeCameraSettings(run, SELECTION, { name: 'aperture', value: 'f/8' }, settings);
    assert.strictEqual(calls.length, 1, 'one run: write then read back');
    assert.deepStrictEqual(calls[0].slice(2), ['--set-config-value=f-number=f/8', '--get-config=f-number']);
    assert.deepStrictEqual(r.applied, [
      { name: 'f-number', path: '/main/capturesettings/f-number', value: 'f/8', requested: 'f/8', role: 'aperture' },
    ]);
    // A new process is a fresh virtual camera: the value is gone (a real body keeps it).
    const again = await readCameraSettings(run, SELECTION);
    assert.strictEqual(again.find((s) => s.name === 'f-number')?.value, 'f/2.8');
  });

  it('sets several in one run and reports what the camera took', async () => {
    const r = await writeCameraSettings(
      run,
      SELECTION,
      [
        { name: 'f-number', value: 'f/11' },
        { name: 'shutter', value: '0.0050s' },
        { name: 'exposurecompensation', value: '-1' },
      ],
      settings,
    );
    assert.strictEqual(calls.length, 1);
    assert.deepStrictEqual(
      r.applied.map((a) => [a.name, a.value]),
      [
        ['f-number', 'f/11'],
        ['shutterspeed', '0.0050s'],
        ['exposurecompensation', '-1'],
      ],
    );
  });

  it('refuses a bad value with a typed error naming the setting, the value and the choices (either kind of runner)', async () => {
    for (const runWith of [run, throwingRun]) {
      let error: unknown;
      try {
        await writeCameraSettings(runWith, SELECTION, { name: 'f-number', value: 'banana' }, settings);
      } catch (err) {
        error = err;
      }
      assert.ok(error instanceof CameraError, String(error));
      assert.strictEqual(error.kind, 'cameraSetting');
      assert.strictEqual(error.details.cameraSetting?.problem, 'refused');
      assert.match(error.message, /refused F-Number \(f-number\) = "banana".*Allowed: f\/2\.8, f\/3\.5/);
    }
  });

  it('refuses an unknown name before running gphoto2, naming close ones', async () => {
    await assert.rejects(
      writeCameraSettings(run, SELECTION, { name: 'fnumber', value: 'f/8' }, settings),
      (e: CameraError) => e.details.cameraSetting?.problem === 'unknown' && /Did you mean "f-number"/.test(e.message),
    );
    assert.strictEqual(calls.length, 0);
  });

  it('applies the exposure lock in the capture run itself, and sees it in the read-back', async function () {
    if (!vc) return;
    const cannot = vcameraDownloadsUnavailableReason(vc);
    if (cannot) {
      console.log(`      (skipped: ${cannot})`);
      this.skip();
    }
    const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'camera-tether-lock-'));
    try {
      const locked = planWrites(settings, [{ name: 'f-number', value: 'f/8' }]);
      const args = withExposureLock(gp.captureAndDownloadArgs(SELECTION, stage, false), locked);
      const r = await run('Capture', args);
      assert.strictEqual(r.exitCode, 0, r.stderr);
      assert.deepStrictEqual(checkExposureLock(locked, r).values, [
        { name: 'f-number', path: '/main/capturesettings/f-number', locked: 'f/8', readBack: 'f/8', ok: true },
      ]);
      assert.deepStrictEqual(fs.readdirSync(stage), ['GPH_0099.JPG']);
    } finally {
      fs.rmSync(stage, { recursive: true, force: true });
    }
  });
});
