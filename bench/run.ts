/**
 * `npm run bench`: what the camera manager costs, against a bare spawn and against the Film-Scanner
 * strategy (kill everything, sleep 0.2+0.2+0.3+0.3 s, run, kill again after a preview), all in one
 * run on the same zero-latency simulator; then live view through the manager to a consumer that
 * acks like the webview; then the real gphoto2 binary's own per-process cost; then the live-view
 * splitter's CPU on hostile streams (bench/splitterCpu.ts); then reviewing a 1,000-frame roll
 * (bench/rollReview.ts); then camera settings and the exposure lock (bench/settingsRead.ts). Prints
 * a table and writes JSON to bench/results/.
 */
import { execFileSync, spawn } from 'child_process';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CameraLock } from '../src/camera/cameraLock';
import { CameraManager, type LiveFrame } from '../src/camera/cameraManager';
import { captureAndDownloadArgs, capturePreviewArgs } from '../src/camera/gphoto2';
import { simulatedGphoto2 } from '../src/camera/gphoto2Program';
import { ProcessReaper, SIMULATOR_PROCESS_NAME, defaultCleanupNames } from '../src/camera/processReaper';
import { ProcessRunner } from '../src/camera/processRunner';
import { LinuxProcessTable } from '../src/camera/processTable';
import { CaptureStore } from '../src/capture/captureStore';
import { parseFilenamePattern } from '../src/capture/fileNaming';
import { LiveViewPump } from '../src/session/liveViewPump';
import { TetherSession } from '../src/session/tetherSession';
import { printRollReview, rollReviewBench } from './rollReview';
import { printSettingsBench, settingsBench } from './settingsRead';
import { printSplitterCpu, splitterCpu } from './splitterCpu';
import { tetherLatency, type TetherLatency } from './tetherLatency';

const ROOT = path.resolve(__dirname, '..', '..');
const SIMULATOR = path.join(ROOT, 'dist', 'simulator.js');
const JOBS = Number(process.env.BENCH_JOBS ?? 50);
const LIVE_SECONDS = Number(process.env.BENCH_LIVE_SECONDS ?? 20);
const RSS_FRAMES = Number(process.env.BENCH_RSS_FRAMES ?? 10_000);
const TETHER_PRESSES = Number(process.env.BENCH_TETHER_PRESSES ?? 50);
const TETHER_CAPTURES = Number(process.env.BENCH_TETHER_CAPTURES ?? 20);

interface Stats {
  n: number;
  medianMs: number;
  p95Ms: number;
}

function stats(xs: number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { n: s.length, medianMs: round(at(0.5)), p95Ms: round(at(0.95)) };
}

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function runOnce(command: string, args: string[], env: NodeJS.ProcessEnv, cwd?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, cwd, stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', (code) => resolve(code ?? -1));
  });
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

/** (a) the simulator spawned directly: the floor any strategy pays. */
async function bare(kind: 'preview' | 'capture', env: NodeJS.ProcessEnv, dir: string): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < JOBS; i++) {
    const staging = await fs.mkdtemp(path.join(dir, 'bare-'));
    const args =
      kind === 'preview'
        ? capturePreviewArgs({}, path.join(staging, 'p.jpg'))
        : captureAndDownloadArgs({}, staging, false);
    out.push(await timed(() => runOnce(process.execPath, [SIMULATOR, ...args], env, staging)));
    await fs.rm(staging, { recursive: true, force: true });
  }
  return out;
}

/** (c) the Film-Scanner note's fix, reproduced: killall + fixed sleeps before, and after a preview. */
async function filmScanner(kind: 'preview' | 'capture', env: NodeJS.ProcessEnv, dir: string): Promise<number[]> {
  const killall = (signal: string | undefined, name: string) =>
    runOnce(
      KILLALL,
      KILLALL.endsWith('pkill') ? [...(signal ? [signal] : []), '-x', name] : [...(signal ? [signal] : []), '-q', name],
      process.env,
    );
  const killProcesses = async () => {
    await killall(undefined, SIMULATOR_PROCESS_NAME); // stands for `killall gphoto2`
    await sleep(200);
    await killall('-9', SIMULATOR_PROCESS_NAME);
    await sleep(200);
    await killall(undefined, 'gvfs-gphoto2-volume-monitor');
    await sleep(300);
    await killall('-9', 'PTPCamera');
    await sleep(300);
  };
  const out: number[] = [];
  for (let i = 0; i < JOBS; i++) {
    const staging = await fs.mkdtemp(path.join(dir, 'fs-'));
    const args =
      kind === 'preview'
        ? capturePreviewArgs({}, path.join(staging, 'p.jpg'))
        : captureAndDownloadArgs({}, staging, false);
    out.push(
      await timed(async () => {
        await killProcesses();
        await runOnce(process.execPath, [SIMULATOR, ...args], env, staging);
        if (kind === 'preview') await killProcesses();
      }),
    );
    await fs.rm(staging, { recursive: true, force: true });
  }
  return out;
}

const KILLALL = (() => {
  for (const c of ['/usr/bin/killall', '/bin/killall', '/usr/bin/pkill']) {
    try {
      execFileSync(c, ['--version'], { stdio: 'ignore' });
      return c;
    } catch {
      // try the next
    }
  }
  return 'pkill';
})();

async function makeSession(home: string, dir: string, maxFps = 0): Promise<TetherSession> {
  const program = simulatedGphoto2(SIMULATOR, { CAMERA_TETHER_SIM_HOME: home });
  const runner = new ProcessRunner();
  const manager = new CameraManager(
    {
      runner,
      reaper: new ProcessReaper(new LinuxProcessTable(), {
        names: defaultCleanupNames('linux'),
        termTimeoutMs: 2000,
        killTimeoutMs: 2000,
        settleMs: 0,
      }),
      lock: new CameraLock(path.join(dir, 'lock'), 'bench'),
    },
    {
      program,
      selection: {},
      timeouts: { commandMs: 15_000, previewMs: 20_000, captureMs: 60_000, cleanupTermMs: 2000, cleanupKillMs: 2000 },
      graceMs: 2000,
      lingerMs: 1500,
      cleanupMode: 'whenNeeded',
      cleanupNames: defaultCleanupNames('linux'),
      settleMs: 0,
      keepOnCamera: false,
      previewDir: path.join(dir, 'previews'),
      liveViewMaxFps: maxFps,
    },
  );
  return TetherSession.open(
    manager,
    new CaptureStore(path.join(dir, 'captures'), parseFilenamePattern('frame-{frame:04}'), 'bench'),
    { source: 'simulator' },
  );
}

/** (b) our manager: each job awaited from the call to the verified, committed result. */
async function managed(kind: 'preview' | 'capture', session: TetherSession): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < JOBS; i++)
    out.push(await timed(() => (kind === 'preview' ? session.preview() : session.capture())));
  return out;
}

async function liveView(home: string, dir: string): Promise<Record<string, number>> {
  await fs.writeFile(
    path.join(home, 'config.json'),
    JSON.stringify({ liveViewFps: 30, liveViewWidth: 640, liveViewHeight: 424 }),
  );
  const session = await makeSession(home, dir);
  const manager = session.manager;
  // A consumer like the webview: decoding and painting a 640x424 JPEG takes a few ms, then it acks.
  const pump: LiveViewPump = new LiveViewPump((f: LiveFrame) => setTimeout(() => pump.ack(f.seq), 4));
  manager.on('liveFrame', (f) => pump.offer(f));
  let produced = 0;
  manager.on('liveFrame', () => produced++);
  manager.on('liveView', (st) => {
    if (st.error) console.log(`  live view ended: ${st.error.message}`);
  });
  await session.startLiveView();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const p0 = produced;
  const d0 = pump.stats().delivered;
  await sleep(LIVE_SECONDS * 1000);
  const seconds = (performance.now() - t0) / 1000;
  const p1 = produced;
  const cpu = process.cpuUsage(cpu0);
  const s = pump.stats();
  const lat = stats(s.latenciesMs);
  await session.stopLiveView();

  // RSS over many frames: the simulator at its fastest, same path.
  await fs.writeFile(
    path.join(home, 'config.json'),
    JSON.stringify({ liveViewFps: 240, liveViewWidth: 640, liveViewHeight: 424 }),
  );
  await session.startLiveView();
  // Warm up first (buffers grow to their working size), then measure growth over RSS_FRAMES frames.
  const warm = produced;
  while (produced - warm < 500) await sleep(50);
  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  const heapBefore = process.memoryUsage();
  const start = produced;
  while (produced - start < RSS_FRAMES) {
    if (!manager.liveViewRunning && !manager.liveViewWanted)
      throw new Error(`live view stopped after ${produced - start} frames`);
    await sleep(100);
  }
  const memAfter = process.memoryUsage();
  global.gc?.();
  const rssAfter = process.memoryUsage().rss;
  const heapAfter = process.memoryUsage();
  await session.stopLiveView();
  session.dispose();
  await manager.dispose();
  return {
    seconds: round(seconds),
    producedFps: round((p1 - p0) / seconds),
    deliveredFps: round((s.delivered - d0) / seconds),
    dropped: s.dropped,
    latencyMedianMs: lat.medianMs,
    latencyP95Ms: lat.p95Ms,
    cpuSecondsPerSecond: round((cpu.user + cpu.system) / 1e6 / seconds, 3),
    rssFrames: produced - start,
    rssBeforeMB: round(rssBefore / 2 ** 20),
    rssAfterMB: round(rssAfter / 2 ** 20),
    rssGrowthMB: round((rssAfter - rssBefore) / 2 ** 20),
    heapAndBuffersGrowthMB: round(
      (heapAfter.heapUsed + heapAfter.external - heapBefore.heapUsed - heapBefore.external) / 2 ** 20,
    ),
    peakBeforeGcMB: round((memAfter.heapUsed + memAfter.external) / 2 ** 20),
  };
}

async function realGphoto2(): Promise<Record<string, Stats> | { skipped: string }> {
  try {
    execFileSync('/usr/bin/gphoto2', ['--version'], { stdio: 'ignore' });
  } catch {
    return { skipped: '/usr/bin/gphoto2 is not installed' };
  }
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'ct-bench-gp-'));
  const env = { ...process.env, HOME: home, LANG: 'C' };
  const version: number[] = [];
  const detect: number[] = [];
  for (let i = 0; i < 20; i++) version.push(await timed(() => runOnce('/usr/bin/gphoto2', ['--version'], env)));
  for (let i = 0; i < 20; i++) detect.push(await timed(() => runOnce('/usr/bin/gphoto2', ['--auto-detect'], env)));
  await fs.rm(home, { recursive: true, force: true });
  return { version: stats(version), autoDetect: stats(detect) };
}

async function main(): Promise<void> {
  await fs.access(SIMULATOR).catch(() => {
    throw new Error('dist/simulator.js is missing: run `npm run build` first');
  });
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ct-bench-'));
  const home = path.join(dir, 'sim');
  await fs.mkdir(home);
  await fs.writeFile(path.join(home, 'config.json'), '{}');
  const env = { ...process.env, CAMERA_TETHER_SIM_HOME: home };
  console.log(
    `Camera Tether bench: ${JOBS} previews and ${JOBS} captures each way, zero-latency simulator; killall = ${KILLALL}`,
  );

  const session = await makeSession(home, dir);
  await session.preview(); // warm-up: the first job's cleanup and the file cache
  const jobs: Record<string, Record<string, Stats>> = {};
  for (const kind of ['preview', 'capture'] as const) {
    const a = stats(await bare(kind, env, dir));
    const b = stats(await managed(kind, session));
    process.stdout.write(
      `  ${kind}: bare and manager done; Film-Scanner strategy (${JOBS} x ~${kind === 'preview' ? 2 : 1} s)...\n`,
    );
    const c = stats(await filmScanner(kind, env, dir));
    jobs[kind] = { bare: a, manager: b, filmScanner: c };
  }
  session.dispose();
  await session.manager.dispose();

  process.stdout.write(`  live view: ${LIVE_SECONDS} s at 30 fps, then ${RSS_FRAMES} frames for RSS...\n`);
  const live = await liveView(home, dir);
  const tether: Record<string, Record<string, Stats>> = {};
  for (const startupMs of [0, 500]) {
    process.stdout.write(
      `  tethered mode, simulator start-up ${startupMs} ms: ${TETHER_PRESSES} body presses, ${TETHER_CAPTURES} app captures each way...\n`,
    );
    const t: TetherLatency = await tetherLatency(
      async (startup) => {
        const tetherDir = await fs.mkdtemp(path.join(dir, `tether-${startup}-`));
        const tetherHome = path.join(tetherDir, 'sim');
        await fs.mkdir(tetherHome);
        await fs.writeFile(path.join(tetherHome, 'config.json'), JSON.stringify({ startupMs: startup }));
        const s = await makeSession(tetherHome, tetherDir);
        return { session: s, home: tetherHome, close: () => s.close() };
      },
      startupMs,
      TETHER_PRESSES,
      TETHER_CAPTURES,
    );
    tether[`startup${startupMs}ms`] = {
      pressToFile: stats(t.pressToFile),
      appCaptureSignal: stats(t.signalCapture),
      appCapturePauseCaptureResume: stats(t.pauseCapture),
      listenerRestart: stats(t.pauseResume),
    };
  }
  const gphoto2 = await realGphoto2();
  await fs.rm(dir, { recursive: true, force: true });
  process.stdout.write('  live-view splitter on hostile streams (bench/splitterCpu.ts)...\n');
  const splitter = await splitterCpu();
  process.stdout.write('  reviewing a big roll: listing, thumbnails (bench/rollReview.ts)...\n');
  const rollReview = await rollReviewBench();
  process.stdout.write('  camera settings and the exposure lock (bench/settingsRead.ts)...\n');
  const settings = await settingsBench();

  const ratios: Record<string, Record<string, number>> = {};
  console.log('\nPer-job time (ms)        median    p95');
  for (const [kind, r] of Object.entries(jobs)) {
    for (const [way, s] of Object.entries(r))
      console.log(
        `  ${kind.padEnd(8)} ${way.padEnd(12)} ${String(s.medianMs).padStart(8)} ${String(s.p95Ms).padStart(7)}`,
      );
    const overhead = r.manager.medianMs - r.bare.medianMs;
    const filmOverhead = r.filmScanner.medianMs - r.bare.medianMs;
    ratios[kind] = {
      managerOverheadMs: round(overhead),
      filmScannerOverheadMs: round(filmOverhead),
      overheadRatio: round(overhead / filmOverhead, 4),
      totalRatio: round(r.manager.medianMs / r.filmScanner.medianMs, 3),
    };
    console.log(
      `  ${kind}: manager overhead ${round(overhead)} ms vs Film-Scanner ${round(filmOverhead)} ms: (b-a)/(c-a) = ${ratios[kind].overheadRatio} (${ratios[kind].overheadRatio > 0 ? `1/${round(1 / ratios[kind].overheadRatio, 0)}` : 'no measurable overhead'}), b/c = ${ratios[kind].totalRatio}`,
    );
  }
  console.log('\nLive view through the manager (30 fps simulator, acking consumer)');
  for (const [k, v] of Object.entries(live)) console.log(`  ${k.padEnd(22)} ${v}`);
  console.log('\nTethered mode (simulator)                 median    p95');
  for (const [profile, r] of Object.entries(tether))
    for (const [what, st] of Object.entries(r))
      console.log(
        `  ${profile.padEnd(14)} ${what.padEnd(28)} ${String(st.medianMs).padStart(7)} ${String(st.p95Ms).padStart(7)}`,
      );
  console.log('\nReal gphoto2 per process (no camera)');
  console.log(`  ${JSON.stringify(gphoto2)}`);
  printSplitterCpu(splitter);
  printRollReview(rollReview);
  printSettingsBench(settings);

  const results = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    jobs,
    ratios,
    live,
    tether,
    gphoto2,
    splitter,
    rollReview,
    settings,
  };
  const outDir = path.join(ROOT, 'bench', 'results');
  await fs.mkdir(outDir, { recursive: true });
  const file = path.join(outDir, `bench-${results.date.replace(/[:.]/g, '-')}.json`);
  await fs.writeFile(file, JSON.stringify(results, null, 2));
  console.log(`\nWrote ${path.relative(ROOT, file)}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
