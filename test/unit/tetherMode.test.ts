/**
 * Tethered mode through the manager and the session, against the simulator: pictures taken with the
 * body's shutter (`gphoto2-sim --press-shutter`, which never claims the camera) land in the roll like
 * app captures; app captures while tethering go through the listener (SIGUSR1); jobs pause it and it
 * comes back by itself; what was shot while it was paused is found on the card. A process sampler
 * proves there is never more than one camera process.
 */
import * as assert from 'assert';
import { execFile } from 'child_process';
import { promises as fs } from 'fs';
import * as path from 'path';
import { promisify } from 'util';
import type { TetherStatus } from '../../src/camera/cameraManager';
import { isCompleteJpeg } from '../../src/camera/downloadedFiles';
import { CameraError } from '../../src/camera/errors';
import { simulatedGphoto2 } from '../../src/camera/gphoto2Program';
import { SIMULATOR_PROCESS_NAME } from '../../src/camera/processReaper';
import type { FrameResult } from '../../src/capture/captureStore';
import { openManagerSession, type ManagerSession } from '../support/managerSession';
import { ProcessSampler } from '../support/processSampler';
import {
  SIMULATOR_SCRIPT,
  SimulatorHarness,
  tempDir,
  testManagerSettings,
  type SimulatorConfig,
} from '../support/simulatorHarness';

const run = promisify(execFile);
const NAMES = new Set([SIMULATOR_PROCESS_NAME]);

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('Tethered mode: shooting from the camera body (simulator)', function () {
  this.timeout(90_000);
  let sim: SimulatorHarness;
  let work: string;
  let ms: ManagerSession;
  let framed: FrameResult[];
  let statuses: TetherStatus[];
  let sampler: ProcessSampler;

  async function setUp(config: SimulatorConfig = {}): Promise<void> {
    sim = await SimulatorHarness.create({ captureWidth: 320, captureHeight: 200, ...config });
    work = await tempDir('ct-tether-');
    ms = await openManagerSession({
      settings: testManagerSettings(sim.program, path.join(work, 'previews'), { lingerMs: 150 }),
      workDir: work,
      output: path.join(work, 'captures'),
      identity: { source: 'simulator' },
    });
    framed = [];
    statuses = [];
    ms.session.on('frameCaptured', (r) => framed.push(r));
    ms.session.on('tether', (s) => statuses.push(s));
    sampler = new ProcessSampler(NAMES).start();
  }

  afterEach(async () => {
    await sampler?.stop();
    await ms?.close();
    await sim?.dispose();
    if (work) await fs.rm(work, { recursive: true, force: true });
  });

  /** The body's shutter button: a separate simulator process that records a press and exits. */
  async function press(): Promise<void> {
    const pressing = run(process.execPath, [SIMULATOR_SCRIPT, '--press-shutter'], {
      env: { ...process.env, CAMERA_TETHER_SIM_HOME: sim.home },
    });
    // Named gphoto2-sim too, but it never opens the camera: not a camera process for the sampler.
    if (pressing.child.pid !== undefined) sampler.ignored.add(pressing.child.pid);
    await pressing;
  }

  /** The simulator's claim (device.lock: "<pid> <starttime>") is the running listener's. */
  async function listenerHoldsCamera(): Promise<boolean> {
    const holder = await fs.readFile(sim.lockPath, 'utf8').catch(() => '');
    const pid = Number(holder.split(/\s+/)[0]);
    return ms.runner.activePids().includes(pid);
  }

  async function rollFiles(): Promise<string[]> {
    const roll = ms.session.snapshot().folder;
    return (await fs.readdir(roll)).filter((n) => !n.startsWith('.')).sort();
  }

  it('presses on the body land in the roll as frames 1, 2, 3: complete, in order, shown in the snapshot', async () => {
    await setUp();
    await ms.session.startTethering();
    assert.deepStrictEqual(ms.session.tethering, { running: true, wanted: true, exposures: 0 });
    assert.strictEqual(ms.session.snapshot().state, 'tethering');
    for (let i = 1; i <= 3; i++) {
      await press();
      await until(`frame ${i}`, () => framed.length === i);
    }
    assert.deepStrictEqual(
      framed.map((f) => f.frame),
      [1, 2, 3],
    );
    for (const f of framed) for (const file of f.files) assert.ok(await isCompleteJpeg(file.path), file.path);
    assert.deepStrictEqual(await rollFiles(), ['frame-0001.JPG', 'frame-0002.JPG', 'frame-0003.JPG']);
    // The frame is announced as soon as it is filed; the listener counts the exposure right after.
    await until('three exposures counted', () => ms.session.tethering.exposures === 3);
    const snap = ms.session.snapshot();
    assert.strictEqual(snap.nextFrame, 4);
    assert.strictEqual(snap.lastCapture?.frame, 3);
    assert.strictEqual(snap.tethering.exposures, 3);
    await ms.session.stopTethering();
    assert.deepStrictEqual(ms.session.tethering, { running: false, wanted: false, exposures: 3 });
    assert.strictEqual(ms.session.snapshot().state, 'idle');
    assert.strictEqual(sampler.maxSeen, 1, 'one camera process at a time');
    assert.strictEqual(await sampler.current(), 0, 'the listener has exited');
  });

  it('RAW+JPEG from the body: both files under one frame number', async () => {
    await setUp({ raw: true });
    await ms.session.startTethering();
    await press();
    await until('the first exposure', () => framed.length === 1);
    await press();
    await until('the second exposure', () => framed.length === 2);
    assert.deepStrictEqual(await rollFiles(), ['frame-0001.JPG', 'frame-0001.NEF', 'frame-0002.JPG', 'frame-0002.NEF']);
  });

  it('an app capture while tethering is taken inside the listener (SIGUSR1): no second process, the listener keeps running', async () => {
    await setUp();
    await ms.session.startTethering();
    const listenerPids = [...sampler.pidsSeen];
    await press();
    await until('the body frame', () => framed.length === 1);
    const r = await ms.session.capture();
    assert.strictEqual(r.frame, 2);
    assert.ok(
      ms.logs.some((l) => l.includes('SIGUSR1 to the tethered gphoto2')),
      ms.logs.join('\n'),
    );
    await press();
    await until('another body frame', () => framed.length === 3);
    assert.deepStrictEqual(
      framed.map((f) => f.frame),
      [1, 2, 3],
    );
    assert.ok(ms.session.tethering.running);
    assert.strictEqual(sampler.maxSeen, 1);
    // The list-the-card run and the listener itself: no process was started for the capture.
    assert.ok(sampler.pidsSeen.size <= listenerPids.length + 1, `processes: ${[...sampler.pidsSeen].join(', ')}`);
  });

  it('a test capture while tethering goes to the test folder; the roll counter is untouched', async () => {
    await setUp();
    await ms.session.startTethering();
    const t = await ms.session.testCapture();
    assert.strictEqual(t.files.length, 1);
    assert.ok(await isCompleteJpeg(t.files[0].path));
    assert.strictEqual(ms.session.snapshot().nextFrame, 1);
    await press();
    await until('the body frame', () => framed.length === 1);
    assert.strictEqual(framed[0].frame, 1);
  });

  it('a preview pauses the listener; a press during it is found on the card when listening resumes', async () => {
    await setUp({ startupMs: 300 });
    const found: Array<{ files: string[]; downloaded: boolean }> = [];
    ms.session.on('foundOnCard', (f) => found.push(f));
    await ms.session.startTethering();
    // Pressed while the preview's gphoto2 holds the camera (its start-up takes 300 ms).
    const preview = ms.session.preview();
    await until('the preview job', () => ms.session.snapshot().state === 'busy');
    await until('the listener paused', () => !ms.session.tethering.running);
    await press();
    await preview;
    await until('listening again', () => ms.session.tethering.running);
    await until('the frame from the card', () => framed.length === 1);
    assert.deepStrictEqual(found, [{ files: ['/store_00010001/DCIM/100SIMUL/IMG_0001.JPG'], downloaded: true }]);
    assert.deepStrictEqual(await rollFiles(), ['frame-0001.JPG']);
    // Listening again (the listener holds the camera: a press from now on is announced as usual;
    // one made while it was still starting is on the card until the next resume, as on a body).
    await until('the listener holding the camera', async () => listenerHoldsCamera());
    await press();
    await until('the next frame', () => framed.length === 2);
    assert.strictEqual(sampler.maxSeen, 1);
  });

  it('live view pauses tethered mode (presses meanwhile are found on the card); stopping live view resumes it', async () => {
    await setUp({ liveViewFps: 30, liveViewWidth: 160, liveViewHeight: 106 });
    await ms.session.startTethering();
    await ms.session.startLiveView();
    assert.deepStrictEqual(ms.manager.holders, { active: 'liveView', wanted: 'liveView' });
    assert.strictEqual(ms.session.tethering.wanted, true, 'still on, paused');
    assert.strictEqual(ms.session.tethering.running, false);
    await press();
    await press();
    await ms.session.stopLiveView();
    await until('tethered again', () => ms.session.tethering.running);
    await until('both frames from the card', () => framed.length === 2);
    assert.deepStrictEqual(await rollFiles(), ['frame-0001.JPG', 'frame-0002.JPG']);
    assert.strictEqual(sampler.maxSeen, 1);
  });

  it('starting tethered mode turns live view off (one holder at a time)', async () => {
    await setUp({ liveViewFps: 30, liveViewWidth: 160, liveViewHeight: 106 });
    await ms.session.startLiveView();
    await ms.session.startTethering();
    assert.deepStrictEqual(ms.manager.holders, { active: 'tether', wanted: 'tether' });
    assert.deepStrictEqual(ms.session.liveView, { running: false, wanted: false });
  });

  it('20 presses in 5 s with a lingering simulator, and app captures queued among them: every exposure lands once, one process at most', async () => {
    await setUp({ lingerMs: 400 });
    await ms.session.startTethering();
    const presses: Array<Promise<void>> = [];
    const captures: Array<Promise<FrameResult>> = [];
    const started = Date.now();
    for (let i = 0; i < 20; i++) {
      presses.push(press());
      if (i % 5 === 2) captures.push(ms.session.capture());
      // Pacing of the stimulus (one press every 250 ms), not synchronisation.
      await new Promise((r) => setTimeout(r, 250 - ((Date.now() - started) % 250)));
    }
    await Promise.all(presses);
    const appFrames = await Promise.all(captures);
    await until('24 frames', () => framed.length === 24, 30_000);
    const frames = framed.map((f) => f.frame).sort((a, b) => a - b);
    assert.deepStrictEqual(
      frames,
      Array.from({ length: 24 }, (_, i) => i + 1),
    );
    assert.strictEqual(appFrames.length, 4);
    assert.strictEqual((await rollFiles()).length, 24);
    assert.strictEqual(sampler.maxSeen, 1, `max ${sampler.maxSeen} camera processes`);
  });

  it('gphoto2 older than 2.5.28: a clear message naming the version, nothing started', async () => {
    await setUp();
    const old = path.join(work, 'old-gphoto2.js');
    await fs.writeFile(
      old,
      "process.stdout.write('gphoto2 2.5.20\\n\\nCopyright (c) 2000-2018 Marcus Meissner and others\\n');\n",
    );
    ms.manager.configure({ program: simulatedGphoto2(old, {}) });
    await assert.rejects(ms.session.startTethering(), (err: unknown) => {
      assert.ok(err instanceof CameraError);
      assert.strictEqual(err.kind, 'unsupported');
      assert.match(err.message, /needs gphoto2 2\.5\.28 or newer \(this is gphoto2 2\.5\.20\)/);
      return true;
    });
    assert.deepStrictEqual(ms.session.tethering, { running: false, wanted: false, exposures: 0 });
    assert.ok(statuses.at(-1)?.error, 'the failure reaches the tether status');
  });

  it('the listener dying (camera unplugged) ends tethered mode with an error; what arrived stays in the roll', async () => {
    await setUp();
    await ms.session.startTethering();
    await press();
    await until('frame 1', () => framed.length === 1);
    const [pid] = ms.runner.activePids();
    assert.ok(pid !== undefined, 'the listener runs');
    process.kill(pid, 'SIGKILL');
    await until('the error', () => statuses.some((s) => s.error !== undefined));
    assert.strictEqual(ms.session.tethering.wanted, false);
    assert.strictEqual(ms.session.snapshot().state, 'error');
    assert.deepStrictEqual(await rollFiles(), ['frame-0001.JPG']);
    // The next job cleans up first and works.
    const r = await ms.session.capture();
    assert.strictEqual(r.frame, 2);
  });
});
