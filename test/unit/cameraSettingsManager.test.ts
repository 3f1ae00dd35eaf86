// Camera settings through the queue (issue 11): the manager's settings jobs and the session's
// cameraSettings/setCameraSettings against the simulator. Build first: `node esbuild.js --tests`.
import * as assert from 'assert';
import { promises as fs } from 'fs';
import * as path from 'path';
import type { CameraSetting } from '../../src/camera/config';
import { ROLL_STATE_FILE } from '../../src/capture/rollState';
import type { ExposureLockNews } from '../../src/session/tetherSession';
import { CameraError } from '../../src/camera/errors';
import { exiftoolJson, exiftoolMissing } from '../support/exiftool';
import { openSimulatedSession, type SimulatedSession } from '../support/simulatedSession';
import { CONNECTION_MODES } from '../support/simulatorHarness';

for (const connection of CONNECTION_MODES)
  describe(`camera settings through the manager and the session (simulator, connection: ${connection})`, function () {
    this.timeout(60_000);
    let r: SimulatedSession;

    beforeEach(async () => {
      r = await openSimulatedSession('ct-settings2-', {}, { settings: { connection } });
    });

    afterEach(async () => {
      await r.dispose();
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

      // One process per command logs each run's end; a session runs them all in its one process.
      const runs = (): number =>
        logs.filter((l) => (connection === 'session' ? /: \$ / : / finished in /).test(l)).length;
      const runsBefore = runs();
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
      // (in a session: the session's own process, no new one)
      assert.strictEqual(runs() - runsBefore, connection === 'session' ? 0 : 1);
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

    it('turning the mode dial re-reads every setting: in A the shutter speed is read-only, with the reason', async () => {
      const { session } = r;
      await session.cameraSettings();
      await session.setCameraSettings({ name: 'expprogram', value: 'A' });
      const shutter = session.lastCameraSettings?.find((s) => s.role === 'shutter');
      assert.strictEqual(shutter?.readonly, true);
      assert.match(shutter.disabledReason ?? '', /mode dial|\bA\b/i);
      await session.setCameraSettings({ name: 'expprogram', value: 'M' });
      assert.strictEqual(session.lastCameraSettings?.find((s) => s.role === 'shutter')?.readonly, false);
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

for (const connection of CONNECTION_MODES)
  describe(`the exposure lock for the roll (session + simulator, Exif read with exiftool, connection: ${connection})`, function () {
    this.timeout(120_000);
    let r: SimulatedSession;

    beforeEach(async function () {
      const missing = exiftoolMissing();
      if (missing) {
        console.log(`skipped: ${missing}`);
        this.skip();
      }
      r = await openSimulatedSession('ct-settings2-lock-', {}, { settings: { connection } });
    });
    afterEach(async () => {
      if (!r) return;
      await r.dispose();
    });

    /**
     * A hand on the dial between captures: written through the queue (so no cleanup takes it for a
     * stray gphoto2) but past the session, whose settings cache still holds the old value.
     */
    const bump = async (assignment: string): Promise<void> => {
      const at = assignment.indexOf('=');
      await r.manager.writeSettings({ name: assignment.slice(0, at), value: assignment.slice(at + 1) });
    };
    const exif = (file: string): Record<string, unknown> => exiftoolJson([file], ['FNumber', 'ISO', 'ExposureTime'])[0];
    const jpegOf = (files: ReadonlyArray<{ path: string }>): string => {
      const jpeg = files.find((f) => /\.jpe?g$/i.test(f.path));
      assert.ok(jpeg, files.map((f) => f.path).join());
      return jpeg.path;
    };
    const news = (): ExposureLockNews[] => {
      const seen: ExposureLockNews[] = [];
      r.session.on('exposureLock', (n) => seen.push(n));
      return seen;
    };

    it('is stored with the roll, shown in the state, and every capture and test capture is taken at it although the dial was bumped', async () => {
      const { session } = r;
      await session.setCameraSettings([
        { name: 'f-number', value: 'f/8' },
        { name: 'iso', value: '200' },
      ]);
      const locked = await session.lockExposure();
      const values = Object.fromEntries(locked.lock.values.map((v) => [v.name, v.value]));
      assert.strictEqual(values['f-number'], 'f/8');
      assert.strictEqual(values.iso, '200');
      assert.deepStrictEqual(session.snapshot().exposureLock?.values, locked.lock.values);
      const onDisk = JSON.parse(await fs.readFile(path.join(session.snapshot().folder, ROLL_STATE_FILE), 'utf8')) as {
        exposureLock: { values: Array<{ path: string; value: string }> };
      };
      assert.ok(
        onDisk.exposureLock.values.some((v) => v.path === '/main/capturesettings/f-number' && v.value === 'f/8'),
      );

      const seen = news();
      await bump('f-number=f/11');
      await bump('iso=1600');
      const first = await session.capture();
      assert.deepStrictEqual([exif(jpegOf(first.files)).FNumber, exif(jpegOf(first.files)).ISO], [8, 200]);
      await bump('f-number=f/16');
      const test = await session.testCapture();
      assert.strictEqual(exif(jpegOf(test.files)).FNumber, 8);
      const second = await session.capture();
      assert.strictEqual(second.frame, first.frame + 1);
      assert.strictEqual(exif(jpegOf(second.files)).FNumber, 8);
      assert.deepStrictEqual(
        seen.map((n) => [n.job, n.ok, n.frame]),
        [
          ['capture', true, first.frame],
          ['testCapture', true, undefined],
          ['capture', true, second.frame],
        ],
      );
      assert.strictEqual(session.snapshot().exposureLock?.lastCheck?.ok, true);

      // Unlocking is explicit; afterwards the camera's own value is used.
      assert.deepStrictEqual(await session.unlockExposure(), { roll: session.snapshot().roll, wasLocked: true });
      assert.strictEqual(session.snapshot().exposureLock, undefined);
      await bump('f-number=f/11');
      assert.strictEqual(exif(jpegOf((await session.capture()).files)).FNumber, 11);
    });

    it('a dial moved to A mid-roll: the frame taken is reported with its mismatch, the next is refused, and after M again the lock is corrected', async () => {
      const { session } = r;
      await session.setCameraSettings({ name: 'shutterspeed', value: '1/125' });
      await session.lockExposure();
      const seen = news();
      const first = await session.capture();
      // A hand moves the shutter speed, then turns the dial to A: the shutter speed is the camera's
      // now (read-only to gphoto2) and stays where the hand left it.
      await bump('shutterspeed=1/60');
      await bump('expprogram=A');
      await bump('f-number=f/11');
      const second = await session.capture();
      const wrong = seen.find((n) => !n.ok);
      assert.ok(wrong, JSON.stringify(seen));
      assert.strictEqual(wrong.frame, second.frame);
      assert.deepStrictEqual(
        wrong.mismatches.map((m) => m.name),
        ['shutterspeed'],
        JSON.stringify(wrong),
      );
      assert.match(wrong.message ?? '', /shutterspeed|Shutter Speed/i);
      // The next frame is not taken at a wrong exposure: refused, with what to do, the counter unmoved.
      const nextBefore = session.snapshot().nextFrame;
      await assert.rejects(
        session.capture(),
        (e: CameraError) =>
          e.kind === 'cameraSetting' && /Not captured/.test(e.message) && /Unlock Exposure/.test(e.message),
      );
      assert.strictEqual(session.snapshot().nextFrame, nextBefore);
      // Back to M: the lock is written again (a correction run) and the frame is right.
      await bump('expprogram=M');
      seen.length = 0;
      const third = await session.capture();
      assert.deepStrictEqual(
        seen.map((n) => [n.job, n.ok]),
        [
          ['correction', true],
          ['capture', true],
        ],
      );
      assert.deepStrictEqual(
        [exif(jpegOf(third.files)).FNumber, exif(jpegOf(third.files)).ExposureTime],
        [exif(jpegOf(first.files)).FNumber, exif(jpegOf(first.files)).ExposureTime],
      );
      assert.strictEqual(third.frame, second.frame + 1);
    });

    it('a hand-broken lock record refuses captures with the fix, and a new lock replaces it', async () => {
      const { session } = r;
      const file = path.join(session.snapshot().folder, ROLL_STATE_FILE);
      await fs.mkdir(path.dirname(file), { recursive: true });
      await fs.writeFile(
        file,
        JSON.stringify({ version: 1, exposureLock: { lockedAt: 'yesterday', values: [{ path: 'f-number' }] } }),
      );
      await assert.rejects(session.capture(), (e: CameraError) =>
        /exposure lock that cannot be used \(exposureLock is ignored: lockedAt is not a date\)/.test(e.message),
      );
      await session.lockExposure();
      assert.ok((await session.capture()).frame >= 1);
    });
  });
