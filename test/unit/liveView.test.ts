import * as assert from 'assert';
import { promises as fs } from 'fs';
import * as path from 'path';
import { CameraLock } from '../../src/camera/cameraLock';
import { CameraManager, type LiveFrame, type LiveViewStatus } from '../../src/camera/cameraManager';
import { isCompleteJpegBuffer } from '../../src/camera/downloadedFiles';
import { CameraError } from '../../src/camera/errors';
import { ProcessReaper, SIMULATOR_PROCESS_NAME } from '../../src/camera/processReaper';
import { ProcessRunner } from '../../src/camera/processRunner';
import { LinuxProcessTable } from '../../src/camera/processTable';
import { CaptureStore } from '../../src/capture/captureStore';
import { parseFilenamePattern } from '../../src/capture/fileNaming';
import { LiveViewPump } from '../../src/session/liveViewPump';
import { TetherSession } from '../../src/session/tetherSession';
import { OwnChildrenTable } from '../support/ownChildrenTable';
import { ownChildren, ProcessSampler } from '../support/processSampler';
import { CONNECTION_MODES, SimulatorHarness, tempDir, type SimulatorConfig } from '../support/simulatorHarness';

const NAMES = new Set([SIMULATOR_PROCESS_NAME]);

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

for (const connection of CONNECTION_MODES)
  describe(`Live view through the manager (simulator, connection: ${connection})`, function () {
    this.timeout(60_000);
    let sim: SimulatorHarness;
    let out: string;
    let manager: CameraManager;
    let session: TetherSession;
    let frames: LiveFrame[];
    let statuses: LiveViewStatus[];
    let sampler: ProcessSampler;

    async function setUp(config: SimulatorConfig = {}, maxFps = 0): Promise<void> {
      sim = await SimulatorHarness.create({
        liveViewFps: 60,
        liveViewWidth: 160,
        liveViewHeight: 106,
        captureWidth: 320,
        captureHeight: 200,
        ...config,
      });
      out = await tempDir('ct-live-');
      manager = new CameraManager(
        {
          runner: new ProcessRunner(),
          reaper: new ProcessReaper(new OwnChildrenTable(), {
            names: [],
            termTimeoutMs: 1000,
            killTimeoutMs: 1000,
            settleMs: 0,
          }),
          lock: new CameraLock(path.join(out, 'lock'), 'test'),
        },
        {
          program: sim.program,
          selection: {},
          timeouts: { commandMs: 10_000, previewMs: 5000, captureMs: 10_000, cleanupTermMs: 1000, cleanupKillMs: 1000 },
          graceMs: 1000,
          lingerMs: 150,
          cleanupMode: 'whenNeeded',
          cleanupNames: [],
          settleMs: 0,
          keepOnCamera: false,
          previewDir: path.join(out, 'previews'),
          liveViewMaxFps: maxFps,
          connection,
          sessionIdleMs: 30_000,
        },
      );
      session = await TetherSession.open(
        manager,
        new CaptureStore(path.join(out, 'captures'), parseFilenamePattern('frame-{frame:04}'), 'r'),
        { source: 'simulator' },
      );
      frames = [];
      statuses = [];
      // Through the session, as the panel gets them.
      session.on('liveFrame', (f) => frames.push(f));
      session.on('liveView', (s) => statuses.push(s));
      sampler = new ProcessSampler(NAMES).start();
    }

    afterEach(async () => {
      await sampler.stop();
      session.dispose();
      await manager.dispose();
      assert.ok(sampler.maxSeen <= 1, `at most one simulator at a time, saw ${sampler.maxSeen}`);
      assert.deepStrictEqual(await ownChildren(new LinuxProcessTable(), NAMES), [], 'nothing left running');
      await fs.rm(out, { recursive: true, force: true });
      await sim.dispose();
    });

    it('starts, streams complete distinct frames, and stops with the camera free', async () => {
      await setUp();
      await session.startLiveView();
      assert.strictEqual(manager.state.kind, 'live');
      await until('20 frames', () => frames.length >= 20);
      assert.ok(frames.every((f) => isCompleteJpegBuffer(f.data)));
      assert.notDeepStrictEqual(frames[0].data, frames[19].data, 'moving content');
      await session.stopLiveView();
      assert.strictEqual(manager.liveViewRunning, false);
      assert.strictEqual(manager.state.kind, 'idle');
      assert.strictEqual((await session.capture()).frame, 1, 'a capture right after stop succeeds');
    });

    it('capture during live view pauses the stream, captures, and resumes by itself', async () => {
      await setUp();
      await session.startLiveView();
      await until('frames', () => frames.length >= 5);
      const c = await session.capture();
      assert.strictEqual(c.frame, 1);
      const before = frames.length;
      await until('live view to resume', () => manager.liveViewRunning && frames.length > before + 5);
      assert.ok(statuses.some((s) => !s.running) && statuses[statuses.length - 1].running, 'paused then running again');
      const [a, b, cc] = await Promise.all([session.capture(), session.preview(), session.testCapture()]);
      assert.strictEqual(a.frame, 2);
      assert.ok(b.bytes > 0 && cc.files.length === 1);
      await until('live view to resume again', () => manager.liveViewRunning);
    });

    it('caps the frame rate when asked', async () => {
      await setUp({ liveViewFps: 60 }, 10);
      await session.startLiveView();
      const t0 = Date.now();
      await until('capped frames', () => Date.now() - t0 > 1500);
      await session.stopLiveView();
      const emitted = frames.length;
      const seconds = (Date.now() - t0) / 1000;
      assert.ok(emitted / seconds <= 12, `${emitted} frames in ${seconds.toFixed(1)} s is over the cap`);
      assert.ok(emitted >= 5, `still streaming: ${emitted}`);
    });

    it('a body without live view gets a clear unsupported error, not a spinner', async () => {
      await setUp({ noLiveView: true });
      await assert.rejects(
        session.startLiveView(),
        (e: unknown) =>
          e instanceof CameraError && e.kind === 'unsupported' && /does not support LiveView/.test(e.message),
      );
      assert.strictEqual(manager.liveViewRunning, false);
      assert.strictEqual(manager.liveViewWanted, false);
    });

    it('dispose during live view stops the stream (SIGINT) and releases everything', async () => {
      await setUp();
      await session.startLiveView();
      await manager.dispose();
      assert.strictEqual(manager.liveViewRunning, false);
    });
  });

describe('LiveViewPump (newest first, a window of frames in flight)', () => {
  const frame = (seq: number, receivedAt = 0): LiveFrame => ({ seq, data: Buffer.alloc(1), receivedAt });

  it('with a window of one: sends at most one frame until acked and replaces the waiting one', () => {
    const sent: number[] = [];
    let now = 0;
    const pump = new LiveViewPump(
      (f) => sent.push(f.seq),
      () => now,
      1,
    );
    pump.offer(frame(1));
    pump.offer(frame(2));
    pump.offer(frame(3));
    pump.offer(frame(4));
    assert.deepStrictEqual(sent, [1]);
    now = 40;
    pump.ack(1);
    assert.deepStrictEqual(sent, [1, 4], 'the newest frame goes next');
    pump.ack(99); // unknown ack is ignored
    pump.ack(4);
    pump.offer(frame(5));
    assert.deepStrictEqual(sent, [1, 4, 5]);
    const s = pump.stats();
    assert.strictEqual(s.offered, 5);
    assert.strictEqual(s.delivered, 2);
    assert.strictEqual(s.dropped, 2);
    assert.deepStrictEqual(s.latenciesMs, [40, 40]);
    assert.strictEqual(s.broken, 0);
  });

  it('by default two frames are in flight; each ack sends the newest waiting frame, one waits at most', () => {
    const sent: number[] = [];
    let now = 0;
    const pump = new LiveViewPump(
      (f) => sent.push(f.seq),
      () => now,
    );
    for (const seq of [1, 2, 3, 4, 5]) pump.offer(frame(seq, seq * 10));
    assert.deepStrictEqual(sent, [1, 2], 'two sent before any ack');
    now = 60;
    pump.ack(1);
    assert.deepStrictEqual(sent, [1, 2, 5], 'the newest waiting frame fills the freed slot; 3 and 4 dropped');
    pump.ack(2);
    assert.deepStrictEqual(sent, [1, 2, 5], 'nothing waiting: nothing more sent');
    pump.offer(frame(6, 60));
    assert.deepStrictEqual(sent, [1, 2, 5, 6], 'a free slot sends at once');
    pump.ack(5);
    pump.ack(5); // a repeated ack counts once
    pump.ack(6);
    const s = pump.stats();
    assert.deepStrictEqual(
      { offered: s.offered, delivered: s.delivered, dropped: s.dropped, latencies: s.latenciesMs },
      { offered: 6, delivered: 4, dropped: 2, latencies: [50, 40, 10, 0] },
    );
  });

  it('reset forgets the frames in flight (a reloaded page never acks them) so the stream goes on', () => {
    const sent: number[] = [];
    const pump = new LiveViewPump((f) => sent.push(f.seq));
    pump.offer(frame(1));
    pump.offer(frame(2));
    pump.offer(frame(3));
    pump.reset();
    pump.ack(1); // a late ack from the old page changes nothing
    pump.offer(frame(4));
    pump.offer(frame(5));
    assert.deepStrictEqual(sent, [1, 2, 4, 5]);
    assert.strictEqual(pump.stats().delivered, 0);
  });

  it('refuses a window of less than one frame', () => {
    assert.throws(() => new LiveViewPump(() => undefined, Date.now, 0), /frames in flight must be 1 or more, not 0/);
  });

  it('a frame the consumer could not decode still frees the slot, and is counted as broken', () => {
    const sent: number[] = [];
    const pump = new LiveViewPump(
      (f) => sent.push(f.seq),
      () => 0,
      1,
    );
    pump.offer(frame(1));
    pump.offer(frame(2));
    pump.ack(1, false);
    assert.deepStrictEqual(sent, [1, 2], 'the stream goes on');
    pump.ack(2);
    assert.deepStrictEqual(
      { delivered: pump.stats().delivered, broken: pump.stats().broken },
      { delivered: 2, broken: 1 },
    );
  });
});
