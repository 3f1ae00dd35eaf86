import * as assert from 'assert';
import { ChildProcess, spawn, spawnSync } from 'child_process';
import { closeSync, openSync, promises as fs } from 'fs';
import * as path from 'path';
import { CameraLock } from '../../src/camera/cameraLock';
import { CameraManager, type ManagerSettings, type ManagerState } from '../../src/camera/cameraManager';
import { isCompleteJpeg } from '../../src/camera/downloadedFiles';
import { CameraError } from '../../src/camera/errors';
import { realGphoto2 } from '../../src/camera/gphoto2Program';
import { ProcessReaper, SIMULATOR_PROCESS_NAME } from '../../src/camera/processReaper';
import { ProcessRunner } from '../../src/camera/processRunner';
import { LinuxProcessTable, type HolderScan, type ProcessInfo, type ProcessTable } from '../../src/camera/processTable';
import { parseFilenamePattern } from '../../src/capture/fileNaming';
import { TetherSession } from '../../src/session/tetherSession';
import { openManagerSession } from '../support/managerSession';
import { ownChildren, ProcessSampler } from '../support/processSampler';
import {
  CONNECTION_MODES,
  SimulatorHarness,
  tempDir,
  testManagerSettings,
  type SimulatorConfig,
} from '../support/simulatorHarness';
import type { ConnectionMode } from '../../src/camera/cameraManager';

const SIM_NAMES = new Set([SIMULATOR_PROCESS_NAME, 'gphoto2']);

interface Rig {
  sim: SimulatorHarness;
  manager: CameraManager;
  session: TetherSession;
  runner: ProcessRunner;
  out: string;
  states: ManagerState[];
  logs: string[];
  dispose(): Promise<void>;
}

/** The connection the running suite tests (set by its before hook). */
let connection: ConnectionMode = 'perCommand';
/** Session mode in these tests: an idle session lets the camera go after this long. */
const SESSION_IDLE_MS = 1000;

async function rig(config: SimulatorConfig = {}, overrides: Partial<ManagerSettings> = {}): Promise<Rig> {
  const sim = await SimulatorHarness.create({
    captureWidth: 320,
    captureHeight: 200,
    previewWidth: 160,
    previewHeight: 106,
    ...config,
  });
  const out = await tempDir('ct-mgr-');
  const { runner, manager, session, logs, close } = await openManagerSession({
    settings: testManagerSettings(sim.program, path.join(out, 'previews'), {
      connection,
      sessionIdleMs: SESSION_IDLE_MS,
      ...overrides,
    }),
    workDir: out,
    output: path.join(out, 'captures'),
    identity: { source: 'simulator' },
  });
  const states: ManagerState[] = [];
  manager.on('state', (s) => states.push(s));
  return {
    sim,
    manager,
    session,
    runner,
    out,
    states,
    logs,
    dispose: async () => {
      await close();
      await fs.rm(out, { recursive: true, force: true });
      await sim.dispose();
    },
  };
}

async function rollFiles(r: Rig): Promise<string[]> {
  return (await fs.readdir(r.session.store.rollFolder)).filter((n) => !n.startsWith('.')).sort();
}

async function noSimulatorLeft(): Promise<void> {
  const left = await ownChildren(new LinuxProcessTable(), SIM_NAMES);
  assert.deepStrictEqual(
    left.map((p) => `${p.name}:${p.pid}`),
    [],
    'no gphoto2 or simulator process is left running',
  );
}

/** Resolves once the child has exited (its exit event may trail the reaper's check by a tick). */
function exited(child: ReturnType<typeof spawn>, timeoutMs = 5000): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/**
 * Records every signal this test process sends to a child (execa's kill goes through
 * ChildProcess.prototype.kill, bound when the child is spawned: install before spawning).
 */
function recordSignals(): { sent: Array<{ pid: number | undefined; signal: string }>; restore(): void } {
  const original = Object.getOwnPropertyDescriptor(ChildProcess.prototype, 'kill');
  if (!original) throw new Error('ChildProcess.prototype.kill is missing');
  const kill = original.value as (this: ChildProcess, signal?: NodeJS.Signals | number) => boolean;
  const sent: Array<{ pid: number | undefined; signal: string }> = [];
  Object.defineProperty(ChildProcess.prototype, 'kill', {
    ...original,
    value: function (this: ChildProcess, signal?: NodeJS.Signals | number): boolean {
      sent.push({ pid: this.pid, signal: String(signal ?? 'SIGTERM') });
      return kill.call(this, signal);
    },
  });
  return { sent, restore: () => Object.defineProperty(ChildProcess.prototype, 'kill', original) };
}

function spawnSyncOk(program: string): boolean {
  return spawnSync('test', ['-x', program]).status === 0;
}

async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((res) => setTimeout(res, 10));
  }
}

function kindOf(kind: CameraError['kind']): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof CameraError, `a CameraError, got ${String(e)}`);
    assert.strictEqual(e.kind, kind, e.message);
    return true;
  };
}

for (const mode of CONNECTION_MODES)
  describe(`CameraManager against the simulator (connection: ${mode})`, function () {
    this.timeout(60_000);
    before(() => (connection = mode));
    let r: Rig;
    afterEach(async () => {
      await r?.dispose();
      await noSimulatorLeft();
    });

    describe('the Film-Scanner test sequence with a LINGERING simulator', () => {
      let sampler: ProcessSampler;
      beforeEach(async () => {
        // Every simulator run stays alive for 10 s after its work, holding the device.
        r = await rig({ lingerMs: 10_000 });
        sampler = new ProcessSampler(SIM_NAMES).start();
      });
      afterEach(async () => {
        // A session stays for the next job; once idle it leaves, and the lingering one is stopped.
        await waitFor(
          'the camera to be free',
          async () => (await ownChildren(new LinuxProcessTable(), SIM_NAMES)).length === 0,
        );
        await sampler.stop();
        assert.ok(sampler.samples > 10, `the sampler ran (${sampler.samples} samples)`);
        assert.strictEqual(
          sampler.maxSeen <= 1,
          true,
          `at most one gphoto2/simulator at any sample, saw ${sampler.maxSeen}`,
        );
      });

      it('1. preview works and leaves nothing running', async () => {
        const p = await r.session.preview();
        assert.ok(await isCompleteJpeg(p.path));
        assert.ok(p.bytes > 0);
        if (connection === 'session') {
          assert.ok(r.runner.activeCount <= 1, 'the session and nothing else');
          await waitFor('the idle session to close', () => r.runner.activeCount === 0);
        }
        await noSimulatorLeft();
        const noticed =
          connection === 'session'
            ? /did not leave its shell within \d+ ms; stopping it/
            : /kept running .* after its files were complete/;
        assert.ok(
          r.logs.some((l) => noticed.test(l)),
          'the lingering process was noticed and stopped',
        );
      });

      it('2. capture right after preview works (no -9, no claim error)', async () => {
        await r.session.preview();
        const c = await r.session.capture();
        assert.strictEqual(c.frame, 1);
        assert.deepStrictEqual(await rollFiles(r), ['frame-0001.JPG']);
      });

      it('3. five previews fired at once all work, no pile-up', async () => {
        const previews = await Promise.all(Array.from({ length: 5 }, () => r.session.preview()));
        assert.strictEqual(new Set(previews.map((p) => p.path)).size, 5);
        // A session keeps the camera until it has been idle a while; then nothing is left.
        if (connection === 'session') await waitFor('the idle session to close', () => r.runner.activeCount === 0);
        await noSimulatorLeft();
      });

      it('4. five captures fired at once give frames 1..5 in click order, five distinct complete files', async () => {
        const captures = await Promise.all(Array.from({ length: 5 }, () => r.session.capture()));
        assert.deepStrictEqual(
          captures.map((c) => c.frame),
          [1, 2, 3, 4, 5],
        );
        const files = await rollFiles(r);
        assert.deepStrictEqual(files, [
          'frame-0001.JPG',
          'frame-0002.JPG',
          'frame-0003.JPG',
          'frame-0004.JPG',
          'frame-0005.JPG',
        ]);
        for (const f of files)
          assert.ok(await isCompleteJpeg(path.join(r.session.store.rollFolder, f)), `${f} is a complete JPEG`);
        const contents = await Promise.all(files.map((f) => fs.readFile(path.join(r.session.store.rollFolder, f))));
        assert.strictEqual(new Set(contents.map((b) => b.toString('base64'))).size, 5, 'five different images');
      });

      it('5. preview, capture, preview, capture all work', async () => {
        const results = await Promise.all([
          r.session.preview(),
          r.session.capture(),
          r.session.preview(),
          r.session.capture(),
        ]);
        assert.deepStrictEqual(
          [(results[1] as { frame: number }).frame, (results[3] as { frame: number }).frame],
          [1, 2],
        );
      });

      it('6. five test captures work and leave the counter and the roll alone', async () => {
        const before = await r.session.store.nextFrame();
        const tests = await Promise.all(Array.from({ length: 5 }, () => r.session.testCapture()));
        assert.strictEqual(new Set(tests.map((t) => t.files[0].path)).size, 5);
        assert.strictEqual(await r.session.store.nextFrame(), before);
        assert.deepStrictEqual(await rollFiles(r), []);
      });
    });

    it('reports state: busy with the job name and queue length, then idle', async () => {
      r = await rig();
      await Promise.all([r.session.preview(), r.session.capture()]);
      const busy = r.states.filter((s): s is Extract<ManagerState, { kind: 'busy' }> => s.kind === 'busy');
      assert.ok(busy.some((s) => s.job === 'preview' && s.label === 'Preview'));
      assert.ok(busy.some((s) => s.job === 'capture'));
      assert.ok(
        busy.some((s) => s.queued === 1),
        'the second job was seen waiting',
      );
      assert.strictEqual(r.manager.state.kind, 'idle');
    });

    it('detects the simulated camera', async () => {
      r = await rig({ model: 'Nikon "D750"; $(x)' });
      assert.deepStrictEqual(await r.manager.detect(), [{ model: 'Nikon "D750"; $(x)', port: 'usb:001,004' }]);
    });

    it('a hung gphoto2 times out, is killed, and the queue moves on', async () => {
      r = await rig(
        { hang: true },
        {
          timeouts: { commandMs: 10_000, previewMs: 400, captureMs: 10_000, cleanupTermMs: 1000, cleanupKillMs: 1000 },
        },
      );
      const hung = r.session.preview();
      const next = r.manager.detect();
      await assert.rejects(hung, kindOf('timeout'));
      await noSimulatorLeft();
      assert.strictEqual((await next).length, 1, 'the queued job ran after the timeout');
    });

    it('cancel during a capture stops the child, keeps nothing and leaves the counter', async () => {
      r = await rig({ transferMs: 5000 });
      const controller = new AbortController();
      const capture = r.session.capture({ signal: controller.signal });
      // Cancel once the simulator is really running (not a fixed sleep).
      const deadline = Date.now() + 10_000;
      while (r.runner.activeCount === 0 && Date.now() < deadline) await new Promise((res) => setImmediate(res));
      controller.abort();
      await assert.rejects(capture, kindOf('cancelled'));
      await noSimulatorLeft();
      assert.deepStrictEqual(await rollFiles(r), []);
      assert.strictEqual(await r.session.store.nextFrame(), 1);
      const staging = path.join(r.session.store.output, '.camera-tether-staging');
      assert.deepStrictEqual(await fs.readdir(staging).catch(() => []), [], 'no partial file in staging either');
    });

    it('a job cancelled while queued never runs', async () => {
      r = await rig({ transferMs: 300 });
      const first = r.session.capture();
      const controller = new AbortController();
      const queued = r.session.capture({ signal: controller.signal });
      controller.abort();
      await assert.rejects(queued, kindOf('cancelled'));
      assert.strictEqual((await first).frame, 1);
      assert.deepStrictEqual(await rollFiles(r), ['frame-0001.JPG']);
    });

    it('dies mid-download: typed killed error, no partial file in the roll, counter unchanged', async () => {
      r = await rig({ dieMidDownload: true, transferMs: 100 });
      await assert.rejects(r.session.capture(), (e: unknown) => {
        assert.ok(e instanceof CameraError);
        assert.ok(['killed', 'io'].includes(e.kind), `${e.kind}: ${e.message}`);
        assert.doesNotMatch(e.message, /-9\b/);
        assert.ok(e.actions.includes('cleanup'));
        return true;
      });
      assert.deepStrictEqual(await rollFiles(r), []);
      assert.strictEqual(await r.session.store.nextFrame(), 1);
      await r.sim.configure({});
      assert.strictEqual((await r.session.capture()).frame, 1, 'the next capture works and gets frame 1');
    });

    it('exit 0 after a failed capture is still a failure (files are verified)', async () => {
      r = await rig({ captureFailsExitZero: true });
      await assert.rejects(r.session.capture(), kindOf('failed'));
      assert.deepStrictEqual(await rollFiles(r), []);
    });

    it('no camera -> notFound offering the simulator', async () => {
      r = await rig({ noCamera: true });
      await assert.rejects(
        r.session.capture(),
        (e: unknown) => e instanceof CameraError && e.kind === 'notFound' && e.actions.includes('useSimulator'),
      );
    });

    it('camera busy (-110) -> typed busy', async () => {
      r = await rig({ busy: true });
      await assert.rejects(r.session.preview(), kindOf('busy'));
    });

    it('garbage output without a file -> a clear failure, nothing kept', async () => {
      r = await rig({ garbage: true });
      // In a session the garbage comes instead of the shell's prompt, and the "shell" is gone.
      const expected = connection === 'session' ? /session ended unexpectedly/ : /delivered no image/;
      await assert.rejects(r.session.capture(), (e: unknown) => e instanceof CameraError && expected.test(e.message));
      assert.deepStrictEqual(await rollFiles(r), []);
    });

    it('twenty cleanups queued at once each report, with no listener build-up on the session', async () => {
      r = await rig();
      const warnings: string[] = [];
      const onWarning = (w: Error): void => void warnings.push(`${w.name}: ${w.message}`);
      process.on('warning', onWarning);
      try {
        const reports = await Promise.all(Array.from({ length: 20 }, () => r.session.cleanup()));
        assert.strictEqual(reports.length, 20);
        assert.ok(reports.every((rep) => Array.isArray(rep.recovered) && rep.recovered.length === 0));
        await new Promise((resolve) => setImmediate(resolve));
        assert.deepStrictEqual(
          warnings.filter((w) => /MaxListeners/.test(w)),
          [],
        );
      } finally {
        process.off('warning', onWarning);
      }
    });

    it('RAW+JPEG: both files share one frame number', async () => {
      r = await rig({ raw: true });
      const c = await r.session.capture();
      assert.deepStrictEqual(c.files.map((f) => f.name).sort(), ['frame-0001.JPG', 'frame-0001.NEF']);
    });

    describe('RAW+JPEG with a pause between the two files, and a watchdog quicker than that pause', () => {
      /** "Capture: ... kept running N ms after its files were complete" -> N of the capture's last run. */
      const lingered = (logs: string[]): number | undefined => {
        const line = logs.filter((l) => /^warn: Capture: \S+ kept running \d+ ms/.test(l)).pop();
        return line === undefined ? undefined : Number(/kept running (\d+) ms/.exec(line)?.[1]);
      };

      it('the first capture keeps both files under one frame number (the watchdog must not stop gphoto2 between them)', async () => {
        r = await rig({ raw: true, rawJpegGapMs: 800 }, { lingerMs: 150 });
        const c = await r.session.capture();
        assert.strictEqual(c.frame, 1);
        assert.deepStrictEqual(c.files.map((f) => f.name).sort(), ['frame-0001.JPG', 'frame-0001.NEF']);
        assert.deepStrictEqual(await rollFiles(r), ['frame-0001.JPG', 'frame-0001.NEF']);
      });

      // The watchdog of ONE process that stays alive after its files. A shell command ends at its
      // prompt instead; a session that lingers when it leaves is the Film-Scanner sequence's case.
      const perCommandOnly = mode === 'perCommand' ? it : it.skip;

      perCommandOnly(
        "once a capture gave two files, the next waits for two from a lingering gphoto2, then stops it promptly; a switch to JPEG only costs gphoto2's own wait once",
        async () => {
          r = await rig({ raw: true }, { lingerMs: 150 });
          assert.strictEqual(
            (await r.session.capture()).files.length,
            2,
            'learns: this body gives two files per exposure',
          );
          // Now the body pauses between the files and gphoto2 stays alive after them, holding the camera.
          await r.sim.configure({ raw: true, rawJpegGapMs: 800, lingerMs: -1, captureWidth: 320, captureHeight: 200 });
          const second = await r.session.capture();
          assert.deepStrictEqual(second.files.map((f) => f.name).sort(), ['frame-0002.JPG', 'frame-0002.NEF']);
          const afterPair = lingered(r.logs);
          assert.ok(
            afterPair !== undefined && afterPair < 3000,
            `stopped by the watchdog once both files were there, not after gphoto2's 3 s wait for more (${afterPair} ms)`,
          );
          // JPEG only now: one file never reaches the learned two; gphoto2's own wait for more files
          // (3 s) passes, then the lingering process is stopped and the capture counts.
          await r.sim.configure({ raw: false, lingerMs: -1, captureWidth: 320, captureHeight: 200 });
          const third = await r.session.capture();
          assert.deepStrictEqual(
            third.files.map((f) => f.name),
            ['frame-0003.JPG'],
          );
          const afterSingle = lingered(r.logs);
          assert.ok(
            afterSingle !== undefined && afterSingle >= 3000,
            `waited out gphoto2's own wait for a second file (${afterSingle} ms)`,
          );
          // ...once: the next JPEG-only capture is stopped promptly again.
          const fourth = await r.session.capture();
          assert.deepStrictEqual(
            fourth.files.map((f) => f.name),
            ['frame-0004.JPG'],
          );
          const afterLearned = lingered(r.logs);
          assert.ok(
            afterLearned !== undefined && afterLearned < 3000,
            `the count was learned again (${afterLearned} ms)`,
          );
        },
      );

      // A stand-in program that is no shell: per command only.
      perCommandOnly(
        'a file gphoto2 announced ("New file is in location") but has not saved yet keeps the watchdog waiting',
        async () => {
          r = await rig();
          // A stand-in for gphoto2 that announces the JPEG a second before it saves it, then lingers:
          // a RAW+JPEG exposure after the session learned "one file per capture".
          const script = [
            "const fs = require('fs'); const path = require('path');",
            "const i = process.argv.findIndex((a) => a === '--filename' || a.startsWith('--filename='));",
            "const dir = path.dirname(process.argv[i] === '--filename' ? process.argv[i + 1] : process.argv[i].slice('--filename='.length));",
            'const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 2, 0xff, 0xd9]);',
            "const say = (name) => console.log('New file is in location /store_00010001/DCIM/100STUB/' + name + ' on the camera');",
            "const save = (name, data) => { fs.writeFileSync(path.join(dir, name), data); console.log('Saving file as ' + path.join(dir, name)); };",
            "if (process.env.STUB_RAW !== '1') { say('IMG_0001.JPG'); save('IMG_0001.JPG', jpeg); }",
            "else { say('IMG_0002.NEF'); save('IMG_0002.NEF', Buffer.alloc(4096, 1)); say('IMG_0002.JPG'); setTimeout(() => save('IMG_0002.JPG', jpeg), 1000); }",
            'setInterval(() => {}, 1000);',
          ].join('\n');
          const stub = {
            command: process.execPath,
            prefixArgs: ['-e', script, '--'],
            env: {},
            simulated: false,
            processName: 'gphoto2-stub',
            displayName: 'gphoto2-stub',
          };
          r.manager.configure({ program: stub, lingerMs: 150 });
          assert.deepStrictEqual(
            (await r.session.capture()).files.map((f) => f.name),
            ['frame-0001.JPG'],
          );
          r.manager.configure({ program: { ...stub, env: { STUB_RAW: '1' } } });
          const c = await r.session.capture();
          assert.deepStrictEqual(c.files.map((f) => f.name).sort(), ['frame-0002.JPG', 'frame-0002.NEF']);
        },
      );
    });

    it('preview saved as thumb_<name> (gphoto2 #152) is still found', async () => {
      r = await rig({ previewThumbPrefix: true });
      const p = await r.session.preview();
      assert.ok(await isCompleteJpeg(p.path));
    });

    it('a stray simulator holding the device is cleaned up before the first job (claim would fail otherwise)', async () => {
      r = await rig({});
      // A leftover from "another program": holds the device lock forever.
      const stray = spawn(r.sim.program.command, [...r.sim.program.prefixArgs, '--summary'], {
        env: { ...process.env, ...r.sim.program.env, CAMERA_TETHER_SIM_CONFIG: JSON.stringify({ lingerMs: -1 }) },
        stdio: 'ignore',
      });
      const deadline = Date.now() + 10_000;
      while (!(await fs.stat(r.sim.lockPath).catch(() => undefined)) && Date.now() < deadline)
        await new Promise((res) => setTimeout(res, 10));
      const c = await r.session.capture();
      assert.strictEqual(c.frame, 1);
      assert.ok(await exited(stray), 'the stray was stopped');
      assert.ok(
        r.logs.some((l) => /Stopped 1 process/.test(l)),
        r.logs.join('\n'),
      );
    });

    it('a claim failure mid-session is cleaned up and retried once', async () => {
      r = await rig({});
      await r.session.preview(); // first-job cleanup done; the next job would not clean up by itself
      // A session keeps the claim while jobs come; the stray can take the camera once it has closed.
      await waitFor('the idle session to close', () => r.runner.activeCount === 0);
      const stray = spawn(r.sim.program.command, [...r.sim.program.prefixArgs, '--summary'], {
        env: { ...process.env, ...r.sim.program.env, CAMERA_TETHER_SIM_CONFIG: JSON.stringify({ lingerMs: -1 }) },
        stdio: 'ignore',
      });
      const deadline = Date.now() + 10_000;
      while (!(await fs.stat(r.sim.lockPath).catch(() => undefined)) && Date.now() < deadline)
        await new Promise((res) => setTimeout(res, 10));
      const c = await r.session.capture();
      assert.strictEqual(c.frame, 1);
      assert.ok(r.logs.some((l) => /could not be claimed; cleaning up and trying once more/.test(l)));
      assert.ok(await exited(stray), 'the stray was stopped');
    });

    it('a missing gphoto2 binary -> gphoto2Missing naming the setting', async () => {
      r = await rig({}, {});
      r.manager.configure({ program: realGphoto2('/nonexistent/gphoto2') });
      await assert.rejects(
        r.manager.detect(),
        (e: unknown) =>
          e instanceof CameraError && e.kind === 'gphoto2Missing' && e.details.setting === 'cameraTether.gphoto2Path',
      );
    });

    describe('the camera held by a program that is not ours to stop (the -53 claim failure)', () => {
      /**
       * The simulator's camera held by "darktable": a copy of /bin/sleep named so (the kernel names a
       * process after its file) holding the simulated USB device file open, as libusb holds
       * /dev/bus/usb/001/004, and owning the simulator's claim, so every gphoto2-sim run fails with -53.
       */
      async function darktableHoldingTheCamera(): Promise<{
        pid: number;
        child: ReturnType<typeof spawn>;
        usbRoot: string;
      }> {
        const usbRoot = path.join(r.sim.home, 'usb');
        const device = path.join(usbRoot, '001', '004');
        await fs.mkdir(path.dirname(device), { recursive: true });
        await fs.writeFile(device, '');
        const program = path.join(r.out, 'darktable');
        await fs.copyFile(['/usr/bin/sleep', '/bin/sleep'].find((p) => spawnSyncOk(p)) ?? '/bin/sleep', program);
        await fs.chmod(program, 0o755);
        const fd = openSync(device, 'r');
        const child = spawn(program, ['1000'], { stdio: ['ignore', 'ignore', 'ignore', fd] });
        await new Promise<void>((resolve, reject) => {
          child.once('spawn', resolve);
          child.once('error', reject);
        });
        closeSync(fd);
        await fs.writeFile(r.sim.lockPath, `${child.pid}\n`);
        return { pid: child.pid as number, child, usbRoot };
      }

      /** A manager like the extension's, its cleanup scanning the simulator's device folder for the port usb:001,004. */
      function managerFor(
        usbRoot: string,
        table: ProcessTable = new LinuxProcessTable(),
      ): { manager: CameraManager; logs: string[]; runner: ProcessRunner } {
        const runner = new ProcessRunner();
        const reaper = new ProcessReaper(table, {
          names: [],
          termTimeoutMs: 1000,
          killTimeoutMs: 1000,
          settleMs: 0,
          usbDeviceRoot: usbRoot,
        });
        const settings = testManagerSettings(r.sim.program, path.join(r.out, 'previews'), {
          selection: { model: 'Camera Tether Simulator', port: 'usb:001,004' },
        });
        const manager = new CameraManager(
          { runner, reaper, lock: new CameraLock(path.join(r.out, 'holder-test.lock'), 'holder test') },
          settings,
        );
        const logs: string[] = [];
        manager.on('log', (e) => logs.push(`${e.level}: ${e.message}`));
        return { manager, logs, runner };
      }

      it('the busy error names the holder ("darktable (pid N) holds the camera; close it"), which keeps running, and gphoto2 is not retried blindly', async () => {
        r = await rig();
        const darktable = await darktableHoldingTheCamera();
        const { manager, logs } = managerFor(darktable.usbRoot);
        try {
          await assert.rejects(manager.summary(), (e: unknown) => {
            kindOf('busy')(e);
            const err = e as CameraError;
            assert.strictEqual(
              err.message,
              `Camera summary failed: darktable (pid ${darktable.pid}) holds the camera; close it. Then try again.`,
            );
            assert.strictEqual(err.details.gphoto2Code, -53);
            assert.ok(!err.actions.includes('cleanup'), 'Cleanup cannot help: it does not stop darktable');
            return true;
          });
          assert.strictEqual(
            logs.filter((l) => /Camera summary: \$ gphoto2-sim /.test(l)).length,
            1,
            `one gphoto2 run, no retry:\n${logs.join('\n')}`,
          );
          assert.strictEqual(darktable.child.exitCode, null, 'darktable still runs');
          assert.strictEqual(darktable.child.signalCode, null);
        } finally {
          darktable.child.kill('SIGKILL');
          await manager.dispose();
        }
      });

      it('a holder found only after the retry also failed (-53 twice) is named too (ProcessTable stub: the first two scans miss it)', async () => {
        r = await rig();
        const darktable = await darktableHoldingTheCamera();
        const real = new LinuxProcessTable();
        let scans = 0;
        // Before the job and after the first -53 the holder is not seen (e.g. it had not opened the device yet).
        const table: ProcessTable = {
          list: (names?: ReadonlySet<string>): Promise<ProcessInfo[]> => real.list(names),
          isAlive: (proc: Pick<ProcessInfo, 'pid' | 'startTime'>): Promise<boolean> => real.isAlive(proc),
          holdersOf: async (device: string, exclude?: ReadonlySet<number>): Promise<HolderScan> => {
            const scan = await real.holdersOf(device, exclude);
            return ++scans <= 2 ? { ...scan, holders: scan.holders.filter((h) => h.pid !== darktable.pid) } : scan;
          },
        };
        const { manager, logs } = managerFor(darktable.usbRoot, table);
        try {
          await assert.rejects(manager.summary(), (e: unknown) => {
            kindOf('busy')(e);
            assert.match(
              (e as CameraError).message,
              new RegExp(`darktable \\(pid ${darktable.pid}\\) holds the camera; close it\\. Then try again\\.$`),
            );
            return true;
          });
          assert.strictEqual(
            logs.filter((l) => /Camera summary: \$ gphoto2-sim /.test(l)).length,
            2,
            `tried once more after the first cleanup:\n${logs.join('\n')}`,
          );
          assert.strictEqual(scans, 3);
        } finally {
          darktable.child.kill('SIGKILL');
          await manager.dispose();
        }
      });
    });

    it('another extension host holding the lock gets "in use by process N"', async () => {
      r = await rig({});
      const other = spawn(process.execPath, ['-e', 'setInterval(()=>{},1000)']);
      try {
        const lockFile = path.join(r.out, 'camera.lock');
        await new CameraLock(lockFile, 'other window', other.pid).acquire();
        await assert.rejects(
          r.manager.detect(),
          (e: unknown) => e instanceof CameraError && e.kind === 'inUse' && e.message.includes(`process ${other.pid}`),
        );
        other.kill('SIGKILL');
        await new Promise((res) => other.once('exit', res));
        assert.strictEqual((await r.manager.detect()).length, 1, 'stale lock taken over once the other window died');
      } finally {
        other.kill('SIGKILL');
      }
    });

    it('a roll whose name makes the pattern name a Windows device is refused at newRoll, and a capture into it refused before the camera fires', async () => {
      const r = await rig();
      try {
        r.session.store.configure(path.join(r.out, 'captures'), parseFilenamePattern('{roll}{frame}'));
        await assert.rejects(r.session.newRoll('com'), /roll name "com".*"com1", a reserved device name on Windows/);
        // A roll remembered from before the pattern changed still opens; the capture is what is refused.
        await r.session.store.openRoll('com');
        await assert.rejects(r.session.capture(), /reserved device name/);
        assert.deepStrictEqual(await rollFiles(r), []);
        assert.ok(
          !r.states.some((st) => st.kind === 'busy' && st.job === 'capture'),
          'the camera never fired: no capture job ran',
        );
        // The same roll with a pattern that cannot collide captures normally.
        r.session.store.configure(path.join(r.out, 'captures'), parseFilenamePattern('{roll}-{frame}'));
        assert.deepStrictEqual(
          (await r.session.capture()).files.map((f) => f.name),
          ['com-1.JPG'],
        );
      } finally {
        await r.dispose();
      }
    });

    it('dispose mid-job kills the child and releases the lock', async () => {
      r = await rig({ hang: true });
      const job = r.session.capture();
      const deadline = Date.now() + 10_000;
      while (r.runner.activeCount === 0 && Date.now() < deadline) await new Promise((res) => setImmediate(res));
      await r.manager.dispose();
      await assert.rejects(job, kindOf('cancelled'));
      await noSimulatorLeft();
      assert.strictEqual(
        await fs.stat(path.join(r.out, 'camera.lock')).catch(() => undefined),
        undefined,
        'lock released',
      );
    });

    describe('paths with % codes, spaces and non-ASCII letters (gphoto2 expands % codes in the WHOLE --filename)', () => {
      const FOLDERS = ['scans-%d', 'scans 100%', 'a%%b', 'Film ß ø 日本', '%', '100%%d %f.%C'];

      it('a capture into each output folder lands in its roll, and nothing anywhere else', async () => {
        r = await rig();
        for (const folder of FOLDERS) {
          r.session.store.configure(path.join(r.out, folder), parseFilenamePattern('frame-{frame:04}'));
          const c = await r.session.capture();
          assert.strictEqual(c.frame, 1, folder);
          assert.deepStrictEqual(await rollFiles(r), ['frame-0001.JPG'], folder);
          assert.ok(await isCompleteJpeg(path.join(r.out, folder, 'roll-1', 'frame-0001.JPG')), folder);
        }
        // gphoto2 made no folder of its own (the bug: "scans-%d" became "scans-30", "%f" a camera name).
        const images = (await fs.readdir(r.out, { recursive: true })).filter((n) => /\.JPG$/i.test(n)).sort();
        assert.deepStrictEqual(images, FOLDERS.map((f) => path.join(f, 'roll-1', 'frame-0001.JPG')).sort());
      });

      it('a preview into a preview folder with % codes works', async () => {
        r = await rig();
        r.manager.configure({ previewDir: path.join(r.out, 'previews %d 100% ß') });
        const p = await r.session.preview();
        assert.strictEqual(path.dirname(p.path), path.join(r.out, 'previews %d 100% ß'));
        assert.ok(await isCompleteJpeg(p.path));
      });

      it('a gphoto2 that still saves outside the staging folder: the image is rescued to recovered/ and the error names where it went', async () => {
        r = await rig();
        const elsewhere = path.join(r.out, 'elsewhere');
        // A wrapper whose extra --filename (the last one wins, as in gphoto2) sends the file elsewhere.
        const sim = r.sim.program;
        r.manager.configure({
          program: {
            ...sim,
            command: '/bin/sh',
            prefixArgs: ['-c', 'exec "$0" "$@" "--filename=$CT_ELSEWHERE/%f.%C"', sim.command, ...sim.prefixArgs],
            env: { ...sim.env, CT_ELSEWHERE: elsewhere },
          },
        });
        await assert.rejects(r.session.capture(), (e: unknown) => {
          kindOf('failed')(e);
          const message = (e as CameraError).message;
          assert.match(message, /saved the image outside the staging folder \(.*elsewhere\/IMG_0001\.JPG\)/);
          assert.match(message, /The image that arrived was kept in .*recovered/);
          return true;
        });
        assert.deepStrictEqual(await fs.readdir(elsewhere), [], 'moved away from where gphoto2 put it');
        const recovered = path.join(r.session.store.output, 'recovered');
        const [kept] = await fs.readdir(recovered);
        assert.deepStrictEqual(await fs.readdir(path.join(recovered, kept)), ['IMG_0001.JPG']);
        assert.ok(await isCompleteJpeg(path.join(recovered, kept, 'IMG_0001.JPG')));
        assert.deepStrictEqual(await rollFiles(r), []);
        assert.strictEqual(await r.session.store.nextFrame(), 1, 'the counter did not advance');
      });
    });

    it('dispose during a download sends gphoto2 ONE stop signal: it cancels cleanly instead of aborting on a second one', async () => {
      r = await rig({ transferMs: 5000 });
      const signals = recordSignals();
      try {
        const capture = r.session.capture();
        const staging = path.join(r.session.store.output, '.camera-tether-staging');
        // The download is under way once its (partial) file is in the staging folder.
        await waitFor('the download to start', async () => {
          for (const dir of await fs.readdir(staging).catch(() => [] as string[])) {
            if ((await fs.readdir(path.join(staging, dir)).catch(() => [] as string[])).some((n) => n.endsWith('.JPG')))
              return true;
          }
          return false;
        });
        const [pid] = r.runner.activePids();
        await r.manager.dispose();
        await assert.rejects(capture, kindOf('cancelled'));
        assert.deepStrictEqual(
          // A session's capture also sends SIGUSR1 (capture inside the event wait): no stop signal.
          signals.sent.filter((s) => s.pid === pid && s.signal !== 'SIGUSR1').map((s) => s.signal),
          ['SIGTERM'],
          'one SIGTERM (the simulator exits within the grace period, so no SIGKILL)',
        );
        // gphoto2's first signal: "Cancelling...", stop at the next safe point, "Operation cancelled."
        // (a second one prints "Aborting..." on stdout and exits without that line). A shell stops the
        // command there and leaves at the end of its input: an exit, not a kill.
        const ended =
          connection === 'session'
            ? /Capture: the camera session's gphoto2 ended \(exit [01]\)/
            : /Capture: gphoto2-sim finished in \d+ ms: exit 1\n {2}stderr: Operation cancelled\./;
        assert.ok(
          r.logs.some((l) => ended.test(l)),
          r.logs.join('\n'),
        );
        await noSimulatorLeft();
      } finally {
        signals.restore();
      }
    });

    it('a child that ignores the stop signal gets exactly one SIGTERM, whoever asks (cancel, stop, time limit, dispose), then SIGKILL after the grace period', async () => {
      r = await rig();
      const signals = recordSignals();
      const runner = new ProcessRunner();
      try {
        const controller = new AbortController();
        let out = '';
        // The time limit (1 s) passes inside the grace period (2 s) that follows the cancel.
        const child = runner.start(
          '/bin/sh',
          ['-c', "trap 'echo TERM' TERM; echo ready; while :; do sleep 0.02; done"],
          {
            timeoutMs: 1000,
            signal: controller.signal,
            graceMs: 2000,
            onStdoutText: (t) => (out += t),
          },
        );
        await waitFor('the child to trap SIGTERM', () => out.includes('ready'));
        controller.abort();
        void child.stop();
        void runner.dispose();
        const result = await child.result;
        assert.deepStrictEqual(
          signals.sent.filter((s) => s.pid === child.pid).map((s) => s.signal),
          ['SIGTERM', 'SIGKILL'],
        );
        assert.strictEqual(result.signal, 'SIGKILL');
        assert.strictEqual(result.cancelled, true, 'the cancel came first');
        assert.strictEqual(
          (result.stdout.match(/TERM/g) ?? []).length,
          1,
          `the child saw one SIGTERM: ${JSON.stringify(result.stdout)}`,
        );
      } finally {
        signals.restore();
        await runner.dispose();
      }
    });

    it('beforeEveryJob mode cleans before each job', async () => {
      r = await rig({}, { cleanupMode: 'beforeEveryJob' });
      await r.manager.detect();
      await r.manager.detect();
      assert.strictEqual(r.logs.filter((l) => /Cleanup before/.test(l)).length, 2);
    });
  });
