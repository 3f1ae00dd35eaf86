// Camera settings through the queue (issue 11): the manager's settings jobs and the session's
// cameraSettings/setCameraSettings against the simulator. Build first: `node esbuild.js --tests`.
import * as assert from 'assert';
import { promises as fs } from 'fs';
import * as path from 'path';
import { lockedExposure, type CameraSetting, type LockedExposure } from '../../src/camera/config';
import type { ExposureLockEvent } from '../../src/camera/managerTypes';
import { CameraError } from '../../src/camera/errors';
import { exiftoolJson, exiftoolMissing } from '../support/exiftool';
import { openManagerSession, type ManagerSession } from '../support/managerSession';
import { SimulatorHarness, tempDir, testManagerSettings } from '../support/simulatorHarness';

describe('camera settings through the manager and the session (simulator)', function () {
  this.timeout(60_000);
  let sim: SimulatorHarness;
  let out: string;
  let r: ManagerSession;

  beforeEach(async () => {
    sim = await SimulatorHarness.create({});
    out = await tempDir('ct-settings2-');
    r = await openManagerSession({
      settings: testManagerSettings(sim.program, path.join(out, 'previews')),
      workDir: out,
      output: path.join(out, 'captures'),
      identity: { source: 'simulator' },
    });
  });

  afterEach(async () => {
    await r.close();
    await fs.rm(out, { recursive: true, force: true });
    await sim.dispose();
  });

  const valueOf = (settings: readonly CameraSetting[], name: string): string | undefined =>
    settings.find((s) => s.name === name)?.value;

  it('reads every setting in one queued job, writes two in one run and reads them back', async () => {
    const { session, manager, logs } = r;
    const states: string[] = [];
    manager.on('state', (s) => states.push(s.kind === 'busy' ? `busy:${s.job}` : s.kind));
    const settings = await session.cameraSettings();
    assert.strictEqual(valueOf(settings, 'f-number'), 'f/5.6');
    assert.strictEqual(session.lastCameraSettings, settings);
    assert.ok(states.includes('busy:settings'), states.join());

    const runsBefore = logs.filter((l) => / finished in /.test(l)).length;
    const result = await session.setCameraSettings([
      { name: 'aperture', value: 'f/8' },
      { name: 'iso', value: '400' },
    ]);
    assert.deepStrictEqual(
      result.applied.map((a) => [a.name, a.value]),
      [
        ['f-number', 'f/8'],
        ['iso', '400'],
      ],
    );
    // Planned with the cached read: one gphoto2 run for both writes and their read-backs.
    assert.strictEqual(logs.filter((l) => / finished in /.test(l)).length - runsBefore, 1);
    assert.strictEqual(valueOf(session.lastCameraSettings ?? [], 'f-number'), 'f/8');
    const again = await session.cameraSettings();
    assert.strictEqual(valueOf(again, 'f-number'), 'f/8');
    assert.strictEqual(valueOf(again, 'iso'), '400');
  });

  it('a value the camera refuses (exit 0) is a typed error naming the allowed values, with the other write read back', async () => {
    const { session, manager } = r;
    const settings = await session.cameraSettings();
    // f/7 is not offered: the planner lets it through (a camera may round), the camera refuses it.
    const error = await manager
      .writeSettings(
        [
          { name: 'iso', value: '800' },
          { name: 'f-number', value: 'f/7' },
        ],
        settings,
      )
      .then(
        () => assert.fail('the write should be refused'),
        (e: unknown) => e,
      );
    assert.ok(error instanceof CameraError, String(error));
    assert.strictEqual(error.kind, 'cameraSetting');
    const problem = error.details.cameraSetting;
    assert.strictEqual(problem?.problem, 'refused');
    assert.strictEqual(problem?.name, 'f-number');
    assert.strictEqual(problem?.value, 'f/7');
    assert.match(error.message, /Allowed: .*f\/5\.6/);
    // Only the read-back of the same run can tell these (gphoto2 exits 0 and prints an error block):
    assert.match(error.message, /It stays "f\/5\.6"/);
    assert.deepStrictEqual(problem?.applied, [{ name: 'iso', value: '800' }]);
    assert.strictEqual(manager.state.kind, 'error');
  });

  it('a refused write drops the cached settings (the camera may have changed mode)', async () => {
    const { session } = r;
    await session.cameraSettings();
    assert.ok(session.lastCameraSettings);
    await assert.rejects(
      session.setCameraSettings({ name: 'f-number', value: 'f/7' }),
      (e: CameraError) => e.kind === 'cameraSetting' && /f\/7/.test(e.message) && /f\/8/.test(e.message),
    );
    assert.strictEqual(session.lastCameraSettings, undefined);
  });
});

describe('the exposure lock in the capture run (simulator, Exif read with exiftool)', function () {
  this.timeout(120_000);
  let sim: SimulatorHarness;
  let out: string;
  let r: ManagerSession;

  const open = async (startupMs = 0): Promise<void> => {
    sim = await SimulatorHarness.create({ startupMs });
    out = await tempDir('ct-settings2-lock-');
    r = await openManagerSession({
      settings: testManagerSettings(sim.program, path.join(out, 'previews')),
      workDir: out,
      output: path.join(out, 'captures'),
      identity: { source: 'simulator' },
    });
  };
  afterEach(async () => {
    await r.close();
    await fs.rm(out, { recursive: true, force: true });
    await sim.dispose();
  });

  /** Another program (or a hand on the dial) changes a setting between captures. */
  const bump = async (assignment: string): Promise<void> => {
    const done = await r.runner.start(
      sim.program.command,
      [...sim.program.prefixArgs, `--set-config-value=${assignment}`],
      {
        timeoutMs: 30_000,
        graceMs: 1000,
        env: sim.program.env,
      },
    ).result;
    assert.strictEqual(done.exitCode, 0, done.stderr);
  };

  let shot = 0;
  const capture = (lock?: LockedExposure): Promise<string> =>
    r.manager.capture<string>({
      job: 'capture',
      ...(lock ? { exposureLock: lock } : {}),
      makeStagingDir: () => fs.mkdtemp(path.join(out, 'staging-')),
      commit: async (files) => {
        const jpeg = files.find((f) => /\.jpe?g$/i.test(f.path));
        assert.ok(jpeg, files.map((f) => f.path).join());
        const dest = path.join(out, `shot-${++shot}.jpg`);
        await fs.rename(jpeg.path, dest);
        return dest;
      },
    });
  const fNumber = (file: string): unknown => exiftoolJson([file], ['FNumber'])[0].FNumber;

  it('every capture carries the locked f-number although the dial was bumped between captures', async function () {
    const missing = exiftoolMissing();
    if (missing) {
      console.log(`skipped: ${missing}`);
      this.skip();
    }
    await open();
    await r.manager.writeSettings({ name: 'f-number', value: 'f/8' });
    const { locked } = lockedExposure(await r.manager.readSettings());
    assert.ok(locked.some((p) => p.name === 'f-number'));
    const events: ExposureLockEvent[] = [];
    r.manager.on('exposureLock', (e) => events.push(e));

    assert.strictEqual(fNumber(await capture(locked)), 8);
    await bump('f-number=f/11');
    // Without the lock the camera takes the bumped value (what the lock guards against).
    assert.strictEqual(fNumber(await capture()), 11);
    await bump('f-number=f/16');
    assert.strictEqual(fNumber(await capture(locked)), 8);
    assert.deepStrictEqual(
      events.map((e) => [e.job, e.check.ok, e.check.values.find((v) => v.name === 'f-number')?.readBack]),
      [
        ['capture', true, 'f/8'],
        ['capture', true, 'f/8'],
      ],
    );
  });

  it('measures the extra time per capture the lock costs (simulator start-up 500 ms)', async () => {
    await open(500);
    const { locked } = lockedExposure(await r.manager.readSettings());
    const times = { plain: [] as number[], locked: [] as number[] };
    await capture(); // warm-up (the first job cleans up)
    for (let i = 0; i < 4; i++) {
      let t = performance.now();
      await capture();
      times.plain.push(performance.now() - t);
      t = performance.now();
      await capture(locked);
      times.locked.push(performance.now() - t);
    }
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    console.log(
      `      capture median: ${median(times.plain).toFixed(0)} ms plain, ${median(times.locked).toFixed(0)} ms with the lock (${locked.length} values): +${(median(times.locked) - median(times.plain)).toFixed(0)} ms`,
    );
  });
});
