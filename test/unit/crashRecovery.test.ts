// End to end: a window's extension host is SIGKILLed after gphoto2 downloaded an image into staging
// (the camera deletes its copy once downloaded). The real manager, session and store run in a
// child Node process (test/support/crashingWindow.ts) against the bundled simulator, configured
// to linger after the download like a slow camera; the test kills that child at the worst moment,
// then opens a new session as the next window would, and checks the image reaches recovered/ and
// the user is told.
import * as assert from 'assert';
import { spawn, type ChildProcess } from 'child_process';
import { promises as fs } from 'fs';
import * as path from 'path';
import { isCompleteJpeg, listDownloaded } from '../../src/camera/downloadedFiles';
import { LinuxProcessTable, type ProcessInfo } from '../../src/camera/processTable';
import { RECOVERED_FOLDER, STAGING_FOLDER, type RecoveredFolder } from '../../src/capture/captureStore';
import { processesUsing } from '../../src/capture/stagingOwner';
import { openManagerSession, type ManagerSession } from '../support/managerSession';
import { PROJECT_ROOT, SimulatorHarness, tempDir, testManagerSettings } from '../support/simulatorHarness';

const CRASHING_WINDOW = path.join(PROJECT_ROOT, 'out', 'test', 'support', 'crashingWindow.js');

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const procs = new LinuxProcessTable();
/** A zombie counts as gone (the stray was reparented away from us). */
const alive = (pid: number): Promise<boolean> => procs.isAlive({ pid });

/** Sees only the given pids, so this test's Cleanup never stops another suite's simulator. */
class OnlyThese extends LinuxProcessTable {
  constructor(private readonly pids: ReadonlySet<number>) {
    super();
  }
  override async list(names?: ReadonlySet<string>): Promise<ProcessInfo[]> {
    return (await super.list(names)).filter((p) => this.pids.has(p.pid));
  }
}

describe('a window killed after gphoto2 downloaded (real manager and simulator)', function () {
  this.timeout(60_000);
  const undo: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const step of undo.splice(0).reverse()) await step();
  });

  async function scratch(prefix: string): Promise<string> {
    const dir = await tempDir(prefix);
    undo.push(() => fs.rm(dir, { recursive: true, force: true }));
    return dir;
  }

  /**
   * Runs a capture in a child "extension host" and SIGKILLs it once the JPEG is complete in staging
   * and gphoto2 has said it deleted the camera's copy (the simulator lingers after the download, so
   * the manager never got to file it). Returns the staging folder and the processes still in it:
   * the gphoto2 the dead window started, if it outlived it (a real one does, until its next write).
   */
  async function crashAfterDownload(
    sim: SimulatorHarness,
    output: string,
  ): Promise<{ staging: string; strays: number[] }> {
    await sim.configure({ captureWidth: 320, captureHeight: 200, lingerMs: -1 });
    const work = await scratch('ct-crash-work-');
    const window: ChildProcess = spawn(
      process.execPath,
      [CRASHING_WINDOW, JSON.stringify({ simHome: sim.home, output, workDir: work })],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let said = '';
    window.stdout?.on('data', (d: Buffer) => (said += d.toString()));
    window.stderr?.on('data', (d: Buffer) => (said += d.toString()));
    const exited = new Promise<void>((resolve) => window.once('exit', () => resolve()));
    undo.push(async () => {
      window.kill('SIGKILL');
      await exited;
    });
    await until(`the download announced as done (window said: ${said})`, async () =>
      /Deleting file \S+ on the camera/.test(said) ? true : undefined,
    );
    const root = path.join(output, STAGING_FOLDER);
    const staging = await until(`a complete JPEG in ${root}`, async () => {
      for (const name of await fs.readdir(root).catch(() => [] as string[])) {
        const files = await listDownloaded(path.join(root, name));
        if (files.some((f) => f.complete && /\.jpg$/i.test(f.path))) return path.join(root, name);
      }
      return undefined;
    });
    window.kill('SIGKILL');
    await exited;
    assert.doesNotMatch(said, /committed/, 'the window died before it filed the image');
    const strays = ((await processesUsing([staging])).get(path.resolve(staging)) ?? []).map((p) => p.pid);
    undo.push(async () => {
      for (const pid of strays) if (await alive(pid)) process.kill(pid, 'SIGKILL'); // a test that failed half-way
    });
    // Later commands (this test's own session) should not linger.
    await sim.configure({ captureWidth: 320, captureHeight: 200 });
    return { staging, strays };
  }

  /** The next window. Its Cleanup sees only `strays`: it must never stop another suite's simulator. */
  async function nextWindow(
    sim: SimulatorHarness,
    output: string,
    strays: ReadonlySet<number> = new Set(),
  ): Promise<ManagerSession> {
    const work = await scratch('ct-crash-next-');
    const s = await openManagerSession({
      settings: testManagerSettings(sim.program, path.join(work, 'previews')),
      workDir: work,
      output,
      identity: { source: 'simulator' },
      table: new OnlyThese(strays),
      lockLabel: 'next window',
    });
    undo.push(() => s.close());
    return s;
  }

  async function rig(): Promise<{ sim: SimulatorHarness; output: string }> {
    const sim = await SimulatorHarness.create();
    undo.push(() => sim.dispose());
    return { sim, output: await scratch('ct-crash-out-') };
  }

  async function assertRecovered(r: RecoveredFolder, output: string, staging: string): Promise<void> {
    assert.strictEqual(path.dirname(r.folder), path.join(output, RECOVERED_FOLDER));
    assert.strictEqual(r.from, staging);
    assert.deepStrictEqual(
      r.files.map((f) => path.basename(f)),
      ['IMG_0001.JPG'],
    );
    assert.deepStrictEqual(r.incomplete, []);
    assert.ok(await isCompleteJpeg(r.files[0]), 'the recovered image is the whole JPEG');
    assert.deepStrictEqual(await fs.readdir(path.join(output, STAGING_FOLDER)), [], 'staging is empty');
  }

  it('the next window recovers the image to recovered/ when it opens (once the stray gphoto2 has ended), and reports it', async () => {
    const { sim, output } = await rig();
    const { staging, strays } = await crashAfterDownload(sim, output);
    for (const pid of strays) process.kill(pid, 'SIGTERM');
    await until(`no process left in ${staging}`, async () =>
      (await processesUsing([staging])).size === 0 ? true : undefined,
    );
    const s = await nextWindow(sim, output);
    // On disk first: the image left staging for recovered/.
    const left = await fs.readdir(path.join(output, STAGING_FOLDER));
    assert.deepStrictEqual(
      left,
      [],
      `nothing is left in staging (found ${left.map((d) => path.join(d, '*')).join(', ')})`,
    );
    const kept = await fs.readdir(path.join(output, RECOVERED_FOLDER)).catch(() => [] as string[]);
    assert.strictEqual(kept.length, 1, 'one folder in recovered/');
    assert.deepStrictEqual(await fs.readdir(path.join(output, RECOVERED_FOLDER, kept[0])), ['IMG_0001.JPG']);
    assert.strictEqual(s.session.recoveredAtOpen.length, 1, 'the session reports what it recovered at start-up');
    await assertRecovered(s.session.recoveredAtOpen[0], output, staging);
    // The roll is untouched: nothing was filed in it, and the next frame is still 1.
    assert.deepStrictEqual(
      (await fs.readdir(s.session.store.rollFolder)).filter((n) => !n.startsWith('.')),
      [],
    );
    assert.strictEqual(s.session.snapshot().nextFrame, 1);
  });

  it('Cleanup in an open window stops the stray gphoto2 of a window that crashed meanwhile, recovers the image, lists it in its result, emits `recovered` and logs it', async () => {
    const { sim, output } = await rig();
    const seen = new Set<number>();
    const s = await nextWindow(sim, output, seen);
    assert.deepStrictEqual(s.session.recoveredAtOpen, []);
    const { staging, strays } = await crashAfterDownload(sim, output);
    for (const pid of strays) seen.add(pid);
    const logs: string[] = [];
    s.session.on('log', (e) => logs.push(`${e.level}: ${e.message}`));
    if (strays.length > 0) {
      // A folder a process still writes into is not touched, and the log says why.
      assert.deepStrictEqual(await s.session.recoverOrphans(), []);
      assert.deepStrictEqual(
        (await fs.readdir(staging)).filter((n) => /\.jpg$/i.test(n)),
        ['IMG_0001.JPG'],
      );
      assert.ok(
        logs.some((l) => l.includes(staging) && /still uses it/.test(l)),
        logs.join('\n'),
      );
    }
    const told: RecoveredFolder[][] = [];
    s.session.on('recovered', (r) => told.push(r));
    const report = await s.session.cleanup();
    assert.deepStrictEqual(
      report.found.map((p) => p.pid).sort(),
      [...strays].sort(),
      'Cleanup stopped the stray gphoto2',
    );
    assert.strictEqual(report.recovered.length, 1, 'the cleanup result lists the recovered folder');
    await assertRecovered(report.recovered[0], output, staging);
    assert.deepStrictEqual(told, [report.recovered], 'the session emitted `recovered` once');
    assert.ok(
      logs.some((l) => l.startsWith('warn: Recovered 1 complete file(s)') && l.includes(report.recovered[0].folder)),
      logs.join('\n'),
    );
    assert.doesNotThrow(() => JSON.stringify(report), 'the command result is plain JSON');
  });
});
